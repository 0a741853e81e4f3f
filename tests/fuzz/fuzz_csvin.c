/* fuzz_csvin: core/csvin on any bytes: no crash, no read out of bounds,
 * every row's line number and field count within the caps. */
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "fuzz.h"

static int on_row(void *ctx, const struct csvin_row *row)
{
	(void)ctx;
	if (row->line < 1 || row->n > CSVIN_MAX_FIELDS)
		abort();
	for (size_t i = 0; i < row->n; i++)
		if (row->field[i][row->len[i]] != '\0')
			abort();
	return 0;
}

static void on_error(void *ctx, long line, int field, const char *msg)
{
	(void)ctx;
	(void)field;
	if (line < 0 || !msg || !*msg)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvin_cb cb = {on_row, on_error, NULL};
	struct err e;
	const char *path = fuzz_file(data, size);

	memset(&e, 0, sizeof(e));
	if (path)
		csvin_read(path, &cb, &e);
	fuzz_file_close();
	return 0;
}
