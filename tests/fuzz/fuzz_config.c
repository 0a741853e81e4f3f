/* fuzz_config: the INI configuration on any bytes: no crash; a file that
 * loads leaves every value within its documented range. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err e;
	const char *path = fuzz_file(data, size);

	memset(&e, 0, sizeof(e));
	config_defaults(&c);
	if (path && config_load(&c, path, &e) == 0) {
		if (c.parallel < 1 || c.max_attempts < 1 || c.expiring_days < 0)
			abort();
	}
	fuzz_file_close();
	return 0;
}
