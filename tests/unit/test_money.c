/*
 * Unit tests of core/money: plain decimals, rates, formatting and the
 * integer arithmetic of SPEC §1 (round half away from zero, 128-bit
 * products, truncating collection factors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "money.h"

/* cmocka compares integers as uintmax_t; equality of int64 still holds, but
 * a failure prints a huge unsigned number for a negative value, so compare
 * signed values through this helper to get readable messages. */
#define assert_i64(a, b) assert_int_equal((intmax_t)(a), (intmax_t)(b))

static void expect_parse(const char *s, int scale, int64_t want)
{
	int64_t v = -777;

	assert_int_equal(decimal_parse(s, scale, &v), DECIMAL_OK);
	assert_i64(v, want);
}

static void expect_reject(const char *s, int scale, enum decimal_status want)
{
	int64_t v = -777;

	assert_int_equal(decimal_parse(s, scale, &v), want);
	assert_i64(v, -777);  /* untouched on failure */
}

static void test_money_parse_ok(void **state)
{
	(void)state;
	expect_parse("-1234.56", 2, -123456);
	expect_parse("0.5", 2, 50);
	expect_parse("12", 2, 1200);
	expect_parse("0", 2, 0);
	expect_parse("-0", 2, 0);
	expect_parse("0.01", 2, 1);
	expect_parse("-0.01", 2, -1);
	expect_parse("007.10", 2, 710);
	/* The largest magnitude accepted: MONEY_MAX_ABS minor units. */
	expect_parse("10000000000000", 2, MONEY_MAX_ABS);
	expect_parse("-10000000000000.00", 2, -MONEY_MAX_ABS);
}

static void test_money_parse_rejects(void **state)
{
	(void)state;
	expect_reject("12,50", 2, DECIMAL_SYNTAX);
	expect_reject("1.234", 2, DECIMAL_PRECISION);
	expect_reject("1e5", 2, DECIMAL_SYNTAX);
	expect_reject("+1", 2, DECIMAL_SYNTAX);
	expect_reject("", 2, DECIMAL_SYNTAX);
	expect_reject("-", 2, DECIMAL_SYNTAX);
	expect_reject("12.", 2, DECIMAL_SYNTAX);
	expect_reject(".5", 2, DECIMAL_SYNTAX);
	expect_reject("-.5", 2, DECIMAL_SYNTAX);
	expect_reject(" 1", 2, DECIMAL_SYNTAX);
	expect_reject("1 ", 2, DECIMAL_SYNTAX);
	expect_reject("$1", 2, DECIMAL_SYNTAX);
	expect_reject("1$", 2, DECIMAL_SYNTAX);
	expect_reject("1,000.00", 2, DECIMAL_SYNTAX);
	expect_reject("1.2.3", 2, DECIMAL_SYNTAX);
	expect_reject("--1", 2, DECIMAL_SYNTAX);
	expect_reject("1-", 2, DECIMAL_SYNTAX);
	expect_reject("0x10", 2, DECIMAL_SYNTAX);
	/* A syntax error after too many decimals is still a syntax error. */
	expect_reject("1.234x", 2, DECIMAL_SYNTAX);
	/* Too large. */
	expect_reject("10000000000000.01", 2, DECIMAL_RANGE);
	expect_reject("-10000000000000.01", 2, DECIMAL_RANGE);
	expect_reject("99999999999999999999999999", 2, DECIMAL_RANGE);
	expect_reject("9223372036854775807", 2, DECIMAL_RANGE);
}

static void test_money_status_text(void **state)
{
	(void)state;
	assert_non_null(decimal_status_text(DECIMAL_SYNTAX, 2));
	assert_string_equal(decimal_status_text(DECIMAL_PRECISION, 2), "has more than 2 decimals");
	assert_string_equal(decimal_status_text(DECIMAL_PRECISION, 4), "has more than 4 decimals");
	assert_string_equal(decimal_status_text(DECIMAL_RANGE, 2), "is too large");
}

static void test_rate_parse(void **state)
{
	int64_t ppm = -1;

	(void)state;
	assert_int_equal(rate_parse("2.5", &ppm), DECIMAL_OK);
	assert_i64(ppm, 25000);
	assert_int_equal(rate_parse("0.0125", &ppm), DECIMAL_OK);
	assert_i64(ppm, 125);
	assert_int_equal(rate_parse("100", &ppm), DECIMAL_OK);
	assert_i64(ppm, 1000000);
	assert_int_equal(rate_parse("0.0001", &ppm), DECIMAL_OK);
	assert_i64(ppm, 1);
	ppm = -1;
	assert_int_equal(rate_parse("0.00001", &ppm), DECIMAL_PRECISION);
	assert_int_equal(rate_parse("2.5%", &ppm), DECIMAL_SYNTAX);
	assert_i64(ppm, -1);
}

static void test_money_parse_helper(void **state)
{
	int64_t cents = 0;

	(void)state;
	assert_int_equal(money_parse("19.99", &cents), DECIMAL_OK);
	assert_i64(cents, 1999);
	assert_int_equal(money_parse("19.999", &cents), DECIMAL_PRECISION);
}

static void test_decimal_format(void **state)
{
	char buf[MONEY_FMT_SIZE];

	(void)state;
	assert_string_equal(decimal_format(0, 2, buf), "0.00");
	assert_string_equal(decimal_format(-5, 2, buf), "-0.05");
	assert_string_equal(decimal_format(5, 2, buf), "0.05");
	assert_string_equal(decimal_format(123456, 2, buf), "1234.56");
	assert_string_equal(decimal_format(-123456, 2, buf), "-1234.56");
	assert_string_equal(decimal_format(100, 2, buf), "1.00");
	assert_string_equal(decimal_format(-100, 2, buf), "-1.00");
	assert_string_equal(decimal_format(25000, 4, buf), "2.5000");
	assert_string_equal(decimal_format(125, 4, buf), "0.0125");
	assert_string_equal(decimal_format(7, 0, buf), "7");
	assert_string_equal(decimal_format(-7, 0, buf), "-7");
	assert_string_equal(money_format(MONEY_MAX_ABS, buf), "10000000000000.00");
	/* The extremes of int64 fit the buffer and do not overflow. */
	assert_string_equal(decimal_format(INT64_MIN, 2, buf), "-92233720368547758.08");
	assert_string_equal(decimal_format(INT64_MAX, 2, buf), "92233720368547758.07");
	assert_string_equal(decimal_format(INT64_MIN, 0, buf), "-9223372036854775808");
	assert_string_equal(decimal_format(INT64_MAX, 4, buf), "922337203685477.5807");
}

static void test_parse_format_round_trip(void **state)
{
	static const char *const cases[] = {"0.00", "-0.05", "1234.56", "-1234.56", "0.10", "99999.99"};
	char buf[MONEY_FMT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v;
		assert_int_equal(money_parse(cases[i], &v), DECIMAL_OK);
		assert_string_equal(money_format(v, buf), cases[i]);
	}
}

static void test_div_round_half_away(void **state)
{
	(void)state;
	assert_i64(div_round_half_away(5, 10), 1);
	assert_i64(div_round_half_away(-5, 10), -1);
	assert_i64(div_round_half_away(15, 10), 2);
	assert_i64(div_round_half_away(-15, 10), -2);
	assert_i64(div_round_half_away(14, 10), 1);
	assert_i64(div_round_half_away(-14, 10), -1);
	assert_i64(div_round_half_away(16, 10), 2);
	assert_i64(div_round_half_away(-16, 10), -2);
	assert_i64(div_round_half_away(4, 10), 0);
	assert_i64(div_round_half_away(-4, 10), 0);
	assert_i64(div_round_half_away(0, 10), 0);
	assert_i64(div_round_half_away(20, 10), 2);
	assert_i64(div_round_half_away(-20, 10), -2);
	/* A negative denominator rounds the same way. */
	assert_i64(div_round_half_away(5, -10), -1);
	assert_i64(div_round_half_away(-5, -10), 1);
	assert_i64(div_round_half_away(15, -10), -2);
	/* Odd denominators: 1/3 → 0, 2/3 → 1. */
	assert_i64(div_round_half_away(1, 3), 0);
	assert_i64(div_round_half_away(2, 3), 1);
	assert_i64(div_round_half_away(-2, 3), -1);
	/* Numerators beyond 64 bits. */
	assert_i64(div_round_half_away((__int128)INT64_MAX * 1000 + 499, 1000), INT64_MAX);
	assert_i64(div_round_half_away((__int128)INT64_MIN * 1000 - 499, 1000), INT64_MIN);
}

static void test_units_at_rate(void **state)
{
	(void)state;
	/* $100.00 at 2% = 2.00 units. */
	assert_i64(units_at_rate(10000, 20000), 200);
	/* $10.10 at 2.5% = 0.2525 → 0.25; $10.30 at 2.5% = 0.2575 → 0.26. */
	assert_i64(units_at_rate(1010, 25000), 25);
	assert_i64(units_at_rate(1030, 25000), 26);
	/* Exactly half a hundredth rounds away from zero both ways:
	 * $0.50 at 1% = 0.005 units. */
	assert_i64(units_at_rate(50, 10000), 1);
	assert_i64(units_at_rate(-50, 10000), -1);
	assert_i64(units_at_rate(49, 10000), 0);
	assert_i64(units_at_rate(-49, 10000), 0);
	assert_i64(units_at_rate(0, 25000), 0);
	assert_i64(units_at_rate(123456, 0), 0);
	/* 0.0125% of $1,234.56 = 0.15432 → 0.15. */
	assert_i64(units_at_rate(123456, 125), 15);
	/* Products beyond 64 bits: 10^15 cents × 10^8 ppm = 10^23, which
	 * overflows int64 (9.2 × 10^18); / 10^6 = 10^17. */
	assert_i64(units_at_rate(INT64_C(1000000000000000), 100000000),
		   INT64_C(100000000000000000));
	assert_i64(units_at_rate(-INT64_C(1000000000000000), 100000000),
		   -INT64_C(100000000000000000));
	/* 10^15 - 1 cents at 0.0001% (1 ppm) = 999999999.999999 → 10^9. */
	assert_i64(units_at_rate(INT64_C(999999999999999), 1), INT64_C(1000000000));
	assert_i64(units_at_rate(INT64_MAX, 1000), INT64_MAX / 1000 + 1);
}

static void test_units_by_factor(void **state)
{
	(void)state;
	/* One point per $10.00: $25.00 → 2 points, stored as 200. */
	assert_i64(units_by_factor(2500, 1000), 200);
	assert_i64(units_by_factor(999, 1000), 0);
	assert_i64(units_by_factor(1000, 1000), 100);
	assert_i64(units_by_factor(1999, 1000), 100);
	/* Truncation is toward zero for negatives too (credit notes). */
	assert_i64(units_by_factor(-2500, 1000), -200);
	assert_i64(units_by_factor(-1999, 1000), -100);
	assert_i64(units_by_factor(-999, 1000), 0);
	assert_i64(units_by_factor(0, 1000), 0);
	/* A factor that is not positive earns nothing. */
	assert_i64(units_by_factor(2500, 0), 0);
	assert_i64(units_by_factor(2500, -1000), 0);
}

static void test_units_value_cents(void **state)
{
	(void)state;
	/* 1.00 point at $0.01 = $0.01; 1.50 points = $0.015 → $0.02. */
	assert_i64(units_value_cents(100, 1), 1);
	assert_i64(units_value_cents(150, 1), 2);
	assert_i64(units_value_cents(-150, 1), -2);
	assert_i64(units_value_cents(149, 1), 1);
	assert_i64(units_value_cents(-149, 1), -1);
	/* Reward dollars at $1.00: units and cents coincide. */
	assert_i64(units_value_cents(12345, 100), 12345);
	assert_i64(units_value_cents(-12345, 100), -12345);
	assert_i64(units_value_cents(0, 100), 0);
	/* Beyond 64 bits in the product. */
	assert_i64(units_value_cents(INT64_C(1000000000000000000), 500),
		   INT64_C(5000000000000000000));
}

static void test_units_for_cents(void **state)
{
	(void)state;
	/* $12.34 paid with dollars worth $1.00 each: 12.34 units. */
	assert_i64(units_for_cents(1234, 100), 1234);
	/* $1.00 with points worth $0.01: 100.00 points. */
	assert_i64(units_for_cents(100, 1), 10000);
	/* $1.00 with units worth $0.03: 33.333… → 33.33; $2.00 → 66.67. */
	assert_i64(units_for_cents(100, 3), 3333);
	assert_i64(units_for_cents(200, 3), 6667);
	assert_i64(units_for_cents(-200, 3), -6667);
	/* $0.01 with units worth $0.08: 0.125 → 0.13 (half away from zero). */
	assert_i64(units_for_cents(1, 8), 13);
	assert_i64(units_for_cents(-1, 8), -13);
	assert_i64(units_for_cents(1234, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse_ok),
		cmocka_unit_test(test_money_parse_rejects),
		cmocka_unit_test(test_money_status_text),
		cmocka_unit_test(test_rate_parse),
		cmocka_unit_test(test_money_parse_helper),
		cmocka_unit_test(test_decimal_format),
		cmocka_unit_test(test_parse_format_round_trip),
		cmocka_unit_test(test_div_round_half_away),
		cmocka_unit_test(test_units_at_rate),
		cmocka_unit_test(test_units_by_factor),
		cmocka_unit_test(test_units_value_cents),
		cmocka_unit_test(test_units_for_cents),
	};

	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
