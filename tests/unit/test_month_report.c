/*
 * Unit tests of core/rules/month_report: the movement of each ledger kind,
 * the twelve months' calendar and figures, the money values and totals,
 * and a chart's axis (steps of 1, 2 or 5 × 10^k, 0 always on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "month_report.h"

static void test_moves(void **state)
{
	(void)state;
	assert_int_equal(mr_move_of_kind("earn"), MR_EARNED);
	assert_int_equal(mr_move_of_kind("accrual"), MR_EARNED);
	assert_int_equal(mr_move_of_kind("vest"), MR_VESTED);
	assert_int_equal(mr_move_of_kind("expire"), MR_EXPIRED);
	assert_int_equal(mr_move_of_kind("reverse_expiry"), MR_EXPIRED);
	assert_int_equal(mr_move_of_kind("redeem"), MR_REDEEMED);
	assert_int_equal(mr_move_of_kind("adjust"), MR_ADJUSTED);
	assert_int_equal(mr_move_of_kind("unposted"), -1);
}

static void test_calendar(void **state)
{
	struct month_report r;

	(void)state;
	month_report_init(&r, date_from_ymd(2026, 3, 1));
	assert_string_equal(r.period, "2026-03");
	assert_int_equal(r.last, date_from_ymd(2026, 3, 31));
	assert_int_equal(r.months[0].year, 2025);
	assert_int_equal(r.months[0].month, 4);
	assert_int_equal(r.months[MR_MONTHS - 1].year, 2026);
	assert_int_equal(r.months[MR_MONTHS - 1].month, 3);
	assert_int_equal(month_report_month(&r, 2025, 12), 8);
	assert_int_equal(month_report_month(&r, 2025, 3), -1);
	/* points at 0.01: 1000.00 points are 10.00; the used and expired
	 * figures count positive */
	month_report_add_month(&r, 2026, 1, "earn", 100000, 1);
	month_report_add_month(&r, 2026, 1, "adjust", -10000, 1);
	month_report_add_month(&r, 2026, 1, "redeem", -20000, 1);
	month_report_add_month(&r, 2026, 1, "expire", -5000, 1);
	month_report_add_month(&r, 2026, 1, "reverse_expiry", 1000, 1);
	month_report_add_month(&r, 2026, 1, "vest", 99999, 1);
	month_report_add_month(&r, 2024, 1, "earn", 99999, 1);    /* outside: ignored */
	assert_int_equal(r.months[9].earned_cents, 900);
	assert_int_equal(r.months[9].used_cents, 200);
	assert_int_equal(r.months[9].expired_cents, 40);
}

static void test_values_and_totals(void **state)
{
	struct month_report r;
	int64_t open, close, moves[MR_MOVES];

	(void)state;
	month_report_init(&r, date_from_ymd(2026, 3, 1));
	r.nprograms = 2;
	r.programs[0].unit_value_cents = 100;      /* dollars */
	r.programs[0].open_units = 1234;
	r.programs[0].move_units[MR_EARNED] = 500;
	r.programs[0].move_units[MR_EXPIRED] = -200;
	r.programs[0].close_units = 1534;
	r.programs[1].unit_value_cents = 1;        /* points at 0.01 */
	r.programs[1].open_units = 250;            /* 2.50 points: 0.025, rounds to 0.03 */
	r.programs[1].close_units = 250;
	month_report_values(&r);
	assert_int_equal(r.programs[0].open_cents, 1234);
	assert_int_equal(r.programs[1].open_cents, 3);
	month_report_totals(&r, &open, moves, &close);
	assert_int_equal(open, 1237);
	assert_int_equal(moves[MR_EARNED], 500);
	assert_int_equal(moves[MR_EXPIRED], -200);
	assert_int_equal(close, 1537);
}

static void test_axis(void **state)
{
	struct chart_axis a;

	(void)state;
	a = chart_axis(0, 3700, 5);        /* 37.00 in five steps: 10.00 */
	assert_int_equal(a.step, 1000);
	assert_int_equal(a.lo, 0);
	assert_int_equal(a.hi, 4000);
	a = chart_axis(-502, 502, 5);      /* both sides of 0 */
	assert_int_equal(a.step, 500);
	assert_int_equal(a.lo, -1000);
	assert_int_equal(a.hi, 1000);
	a = chart_axis(0, 0, 5);           /* nothing: one step to draw */
	assert_true(a.hi > a.lo);
	a = chart_axis(100, 900000000, 4); /* 0 is always on the axis */
	assert_int_equal(a.lo, 0);
	assert_true(a.hi >= 900000000 && a.step * 4 >= a.hi - a.step);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moves),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_values_and_totals),
		cmocka_unit_test(test_axis),
	};

	return cmocka_run_group_tests_name("month_report", tests, NULL, NULL);
}
