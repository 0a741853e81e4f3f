#include "money.h"

#include <string.h>

enum decimal_status decimal_parse(const char *s, int scale, int64_t *out)
{
	const char *p = s;
	int neg = 0, decimals = 0, digits = 0, seen_point = 0;
	int64_t v = 0, limit = MONEY_MAX_ABS;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return DECIMAL_SYNTAX;
	for (; *p; p++) {
		if (*p == '.') {
			if (seen_point)
				return DECIMAL_SYNTAX;
			seen_point = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			return DECIMAL_SYNTAX;
		if (seen_point)
			decimals++;
		else
			digits++;
		if (digits > 18)
			return DECIMAL_RANGE;
		if (decimals > scale)
			continue;  /* keep scanning: syntax errors win */
		v = v * 10 + (*p - '0');
		if (v > limit)
			return DECIMAL_RANGE;
	}
	if (seen_point && decimals == 0)
		return DECIMAL_SYNTAX;
	if (decimals > scale)
		return DECIMAL_PRECISION;
	for (; decimals < scale; decimals++) {
		v *= 10;
		if (v > limit)
			return DECIMAL_RANGE;
	}
	*out = neg ? -v : v;
	return DECIMAL_OK;
}

const char *decimal_status_text(enum decimal_status st, int scale)
{
	switch (st) {
	case DECIMAL_OK:
		return "ok";
	case DECIMAL_SYNTAX:
		return "is not a plain decimal (like -1234.56: no separators, signs or exponents)";
	case DECIMAL_PRECISION:
		return scale == 2 ? "has more than 2 decimals" : "has more than 4 decimals";
	case DECIMAL_RANGE:
		return "is too large";
	}
	return "is not a number";
}

char *decimal_format(int64_t v, int scale, char buf[MONEY_FMT_SIZE])
{
	char tmp[MONEY_FMT_SIZE];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int n = 0, i = 0;

	/* Digits backwards, at least scale + 1 of them. */
	do {
		if (n == scale && scale > 0)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u || n <= scale);
	if (v < 0)
		buf[i++] = '-';
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return buf;
}

int64_t div_round_half_away(__int128 num, __int128 den)
{
	__int128 q, r;

	if (den < 0) {
		num = -num;
		den = -den;
	}
	q = num / den;  /* truncates toward zero */
	r = num % den;
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	return (int64_t)q;
}

int64_t units_at_rate(int64_t cents, int64_t rate_ppm)
{
	/* cents × (ppm / 10^6) gives hundredths of a unit directly:
	 * $100.00 at 2% = 10000 × 20000 / 10^6 = 200 = 2.00 units. */
	return div_round_half_away((__int128)cents * rate_ppm, 1000000);
}

int64_t units_by_factor(int64_t cents, int64_t factor_cents)
{
	if (factor_cents <= 0)
		return 0;
	return (cents / factor_cents) * 100;
}

int64_t units_value_cents(int64_t units, int64_t unit_value_cents)
{
	return div_round_half_away((__int128)units * unit_value_cents, 100);
}

int64_t units_for_cents(int64_t cents, int64_t unit_value_cents)
{
	if (unit_value_cents <= 0)
		return 0;
	return div_round_half_away((__int128)cents * 100, unit_value_cents);
}
