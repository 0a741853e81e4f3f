/* fuzz_money: decimal_parse on any text; what parses formats back to
 * the same value, and the rounding helpers agree with their definition. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], buf[MONEY_FMT_SIZE];
	int64_t v, w;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int scale = 0; scale <= 4; scale++) {
		if (decimal_parse(s, scale, &v) != DECIMAL_OK)
			continue;
		if (v > MONEY_MAX_ABS || v < -MONEY_MAX_ABS)
			abort();
		decimal_format(v, scale, buf);
		if (decimal_parse(buf, scale, &w) != DECIMAL_OK || w != v)
			abort();
		/* units at a rate: |round(v * r / 1e8)| never exceeds v * r */
		w = units_at_rate(v, 1000000);  /* 100%: the amount itself */
		if (w != v)
			abort();
	}
	return 0;
}
