/*
 * Unit tests of core/date: strict parsing, month arithmetic clamped to the
 * month end, fiscal years and YYYY-MM periods.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "date.h"

#define assert_i64(a, b) assert_int_equal((intmax_t)(a), (intmax_t)(b))

static date_t D(const char *s)
{
	date_t d = 0;

	if (date_parse(s, &d) != 0)
		fail_msg("test date \"%s\" does not parse", s);
	return d;
}

static void expect_date(date_t d, const char *want)
{
	char buf[DATE_FMT_SIZE];

	assert_string_equal(date_format(d, buf), want);
}

static void expect_reject(const char *s)
{
	date_t d = 12345;

	if (date_parse(s, &d) == 0)
		fail_msg("date_parse accepted \"%s\"", s);
	assert_i64(d, 12345);
}

static void test_date_parse_ok(void **state)
{
	(void)state;
	assert_i64(D("1970-01-01"), 0);
	assert_i64(D("1970-01-02"), 1);
	assert_i64(D("1969-12-31"), -1);
	assert_i64(D("2000-03-01") - D("2000-02-28"), 2);  /* 2000 is leap */
	assert_i64(D("1900-03-01") - D("1900-02-28"), 1);  /* 1900 is not */
	D("1900-01-01");
	D("9000-12-31");
	D("2026-12-31");
}

/* The dates accrue takes end at 9000-12-31: a real date beyond (or before
 * 1900) is told apart from a malformed one. */
static void test_date_range(void **state)
{
	date_t d;

	(void)state;
	assert_int_equal(date_parse("9001-01-01", &d), DATE_OUT_OF_RANGE);
	assert_int_equal(date_parse("9999-01-10", &d), DATE_OUT_OF_RANGE);
	assert_int_equal(date_parse("1899-12-31", &d), DATE_OUT_OF_RANGE);
	assert_int_equal(date_parse("1899-02-30", &d), -1);
	assert_int_equal(date_parse("9000-12-31", &d), 0);
}

static void test_date_parse_rejects(void **state)
{
	(void)state;
	expect_reject("2026-02-30");
	expect_reject("2026-02-29");
	expect_reject("2026-04-31");
	expect_reject("2026-13-01");
	expect_reject("2026-00-10");
	expect_reject("2026-01-00");
	expect_reject("2026-01-32");
	expect_reject("2026-1-01");
	expect_reject("2026-01-1");
	expect_reject("26-01-01");
	expect_reject("2026-01-01x");
	expect_reject("2026-01-01 ");
	expect_reject(" 2026-01-01");
	expect_reject("2026/01/01");
	expect_reject("2026-01+01");
	expect_reject("+026-01-01");
	expect_reject("2026-0a-01");
	expect_reject("1899-12-31");
	expect_reject("");
	expect_reject("today");
}

static void test_date_leap_years(void **state)
{
	(void)state;
	expect_date(D("2024-02-29"), "2024-02-29");
	expect_date(D("2000-02-29"), "2000-02-29");
	expect_reject("2100-02-29");
	expect_reject("1900-02-29");
	expect_reject("2023-02-29");
	assert_int_equal(date_days_in_month(2024, 2), 29);
	assert_int_equal(date_days_in_month(2100, 2), 28);
	assert_int_equal(date_days_in_month(2000, 2), 29);
	assert_int_equal(date_days_in_month(2026, 4), 30);
	assert_int_equal(date_days_in_month(2026, 12), 31);
	assert_int_equal(date_days_in_month(2026, 13), 0);
	assert_int_equal(date_days_in_month(2026, 0), 0);
}

static void test_date_round_trip(void **state)
{
	static const char *const cases[] = {
		"1900-01-01", "1969-12-31", "1970-01-01", "1999-12-31", "2000-02-29",
		"2024-02-29", "2026-01-31", "2026-07-15", "2099-12-31", "9000-12-31",
	};
	char buf[DATE_FMT_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(date_format(D(cases[i]), buf), cases[i]);
	/* Every day of a few years survives ymd → day number → ymd. */
	for (date_t d = D("1999-01-01"); d <= D("2001-12-31"); d++) {
		int y, m, dd;
		date_t back;

		date_to_ymd(d, &y, &m, &dd);
		assert_true(date_valid_ymd(y, m, dd));
		back = date_from_ymd(y, m, dd);
		assert_i64(back, d);
		assert_int_equal(date_parse(date_format(d, buf), &back), 0);
		assert_i64(back, d);
	}
}

static void test_date_add_months(void **state)
{
	(void)state;
	expect_date(date_add_months(D("2026-01-31"), 1), "2026-02-28");
	expect_date(date_add_months(D("2024-01-31"), 1), "2024-02-29");
	expect_date(date_add_months(D("2026-03-31"), -1), "2026-02-28");
	expect_date(date_add_months(D("2026-03-31"), 1), "2026-04-30");
	expect_date(date_add_months(D("2026-01-15"), 0), "2026-01-15");
	expect_date(date_add_months(D("2026-01-15"), 12), "2027-01-15");
	expect_date(date_add_months(D("2024-02-29"), 12), "2025-02-28");
	expect_date(date_add_months(D("2024-02-29"), 48), "2028-02-29");
	expect_date(date_add_months(D("2026-01-15"), -13), "2024-12-15");
	expect_date(date_add_months(D("2026-03-31"), -13), "2025-02-28");
	expect_date(date_add_months(D("2026-12-31"), 1), "2027-01-31");
	expect_date(date_add_months(D("2026-01-01"), -1), "2025-12-01");
	expect_date(date_add_months(D("2026-11-30"), 3), "2027-02-28");
	expect_date(date_add_months(D("2026-08-31"), 18), "2028-02-29");
	expect_date(date_add_months(D("2026-05-31"), -24), "2024-05-31");
}

static void test_date_month_bounds(void **state)
{
	(void)state;
	expect_date(date_month_end(D("2026-02-10")), "2026-02-28");
	expect_date(date_month_end(D("2024-02-01")), "2024-02-29");
	expect_date(date_month_end(D("2026-12-31")), "2026-12-31");
	expect_date(date_month_end(D("2026-04-01")), "2026-04-30");
	expect_date(date_month_end(D("2026-01-01")), "2026-01-31");
	expect_date(date_month_start(D("2026-02-28")), "2026-02-01");
	expect_date(date_month_start(D("2026-01-01")), "2026-01-01");
}

static void test_date_fiscal_year_start(void **state)
{
	(void)state;
	/* Calendar fiscal year. */
	expect_date(date_fiscal_year_start(D("2026-01-01"), 1), "2026-01-01");
	expect_date(date_fiscal_year_start(D("2026-06-15"), 1), "2026-01-01");
	expect_date(date_fiscal_year_start(D("2026-12-31"), 1), "2026-01-01");
	/* April. */
	expect_date(date_fiscal_year_start(D("2026-03-31"), 4), "2025-04-01");
	expect_date(date_fiscal_year_start(D("2026-04-01"), 4), "2026-04-01");
	expect_date(date_fiscal_year_start(D("2027-01-10"), 4), "2026-04-01");
	/* July. */
	expect_date(date_fiscal_year_start(D("2026-06-30"), 7), "2025-07-01");
	expect_date(date_fiscal_year_start(D("2026-07-01"), 7), "2026-07-01");
	expect_date(date_fiscal_year_start(D("2026-12-31"), 7), "2026-07-01");
	/* December. */
	expect_date(date_fiscal_year_start(D("2026-11-30"), 12), "2025-12-01");
	expect_date(date_fiscal_year_start(D("2026-12-01"), 12), "2026-12-01");
	expect_date(date_fiscal_year_start(D("2027-01-01"), 12), "2026-12-01");
}

static void test_period_parse(void **state)
{
	date_t d = 777;

	(void)state;
	assert_int_equal(period_parse("2026-02", &d), 0);
	expect_date(d, "2026-02-01");
	assert_int_equal(period_parse("2026-12", &d), 0);
	expect_date(d, "2026-12-01");
	d = 777;
	assert_int_not_equal(period_parse("2026-2", &d), 0);
	assert_int_not_equal(period_parse("2026-13", &d), 0);
	assert_int_not_equal(period_parse("2026-00", &d), 0);
	assert_int_not_equal(period_parse("2026-02-01", &d), 0);
	assert_int_not_equal(period_parse("2026-0x", &d), 0);
	assert_int_not_equal(period_parse("202602", &d), 0);
	assert_int_not_equal(period_parse("2026/02", &d), 0);
	assert_int_not_equal(period_parse("", &d), 0);
	assert_i64(d, 777);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_range),
		cmocka_unit_test(test_date_parse_ok),
		cmocka_unit_test(test_date_parse_rejects),
		cmocka_unit_test(test_date_leap_years),
		cmocka_unit_test(test_date_round_trip),
		cmocka_unit_test(test_date_add_months),
		cmocka_unit_test(test_date_month_bounds),
		cmocka_unit_test(test_date_fiscal_year_start),
		cmocka_unit_test(test_period_parse),
	};

	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
