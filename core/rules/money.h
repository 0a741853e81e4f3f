/*
 * money: amounts, reward units and rates as integers (SPEC §1).
 *
 * Money is an int64 count of cents; reward units an int64 count of
 * hundredths of a unit; percent rates an int64 count of parts per million
 * (a percent with up to 4 decimals: 2.5% = 25000 ppm).  Products go through
 * 128-bit intermediates and are rounded once, half away from zero.
 */
#ifndef ACCRUE_MONEY_H
#define ACCRUE_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* Largest magnitude accepted from text: 10^15 minor units (10 trillion). */
#define MONEY_MAX_ABS INT64_C(1000000000000000)

/* Enough for "-" + 19 digits + "." + NUL with room to spare. */
#define MONEY_FMT_SIZE 32

enum decimal_status {
	DECIMAL_OK = 0,
	DECIMAL_SYNTAX,     /* not a plain decimal */
	DECIMAL_PRECISION,  /* more decimals than allowed */
	DECIMAL_RANGE,      /* too large */
};

/*
 * Parse a plain decimal with at most `scale` decimals into an integer count
 * of 10^-scale: "-1234.56" at scale 2 gives -123456.  No sign but a leading
 * '-', no separators, currency signs or exponents; at least one digit before
 * the point and one after it when there is a point.
 */
enum decimal_status decimal_parse(const char *s, int scale, int64_t *out);
const char *decimal_status_text(enum decimal_status st, int scale);

/* Format v (a count of 10^-scale) with exactly `scale` decimals. */
char *decimal_format(int64_t v, int scale, char buf[MONEY_FMT_SIZE]);

static inline enum decimal_status money_parse(const char *s, int64_t *cents)
{
	return decimal_parse(s, 2, cents);
}

static inline char *money_format(int64_t cents, char buf[MONEY_FMT_SIZE])
{
	return decimal_format(cents, 2, buf);
}

/* A percent rate with up to 4 decimals, as parts per million. */
static inline enum decimal_status rate_parse(const char *s, int64_t *ppm)
{
	return decimal_parse(s, 4, ppm);
}

/* num / den rounded half away from zero; den must not be 0. */
int64_t div_round_half_away(__int128 num, __int128 den);

/* round(cents × rate): units earned at a percent rate (SPEC §1). */
int64_t units_at_rate(int64_t cents, int64_t rate_ppm);

/* trunc(cents / factor) whole points, as hundredths (collection factor). */
int64_t units_by_factor(int64_t cents, int64_t factor_cents);

/* Money value of units: round(units × unit_value), in cents. */
int64_t units_value_cents(int64_t units, int64_t unit_value_cents);

/* Units bought by an amount of money: round(cents / unit_value). */
int64_t units_for_cents(int64_t cents, int64_t unit_value_cents);

#endif
