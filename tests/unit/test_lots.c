/*
 * Unit tests of core/lots: the usable units of an account as lots (SPEC §5).
 * Last usable days (days, months clamped to the month end, the customer's
 * cap), consumption first-expiring-first then oldest-first with lots that
 * never expire last, partial consumption, debt and its repayment, expiry of
 * remainders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lots.h"

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

/* Open a lot: last day "" for a lot that never expires. */
static void add(struct lot_book *b, const char *doc, const char *opened, const char *last,
		int64_t units)
{
	struct lot l;

	memset(&l, 0, sizeof(l));
	l.opened = D(opened);
	if (last[0]) {
		l.last_day = D(last);
		l.has_last = 1;
	}
	l.units = units;
	snprintf(l.document, sizeof(l.document), "%s", doc);
	snprintf(l.customer, sizeof(l.customer), "C1");
	assert_int_equal(lots_add(b, &l), 0);
}

/* What the callbacks saw, in order. */
struct seen {
	int n;
	char doc[32][LOTS_DOC_SIZE];
	int64_t units[32];
};

static void on_used(void *ctx, const struct lot *l, int64_t units)
{
	struct seen *s = ctx;

	assert_true(s->n < 32);
	snprintf(s->doc[s->n], LOTS_DOC_SIZE, "%s", l->document);
	s->units[s->n++] = units;
}

static void on_expired(void *ctx, const struct lot *l)
{
	struct seen *s = ctx;

	assert_true(s->n < 32);
	snprintf(s->doc[s->n], LOTS_DOC_SIZE, "%s", l->document);
	s->units[s->n++] = l->units;
}

/* The units left in the lot of a document (-1 when it has no lot). */
static int64_t left(const struct lot_book *b, const char *doc)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].document, doc) == 0)
			return b->v[i].units;
	return -1;
}

/* -- lots_last_day --------------------------------------------------------- */

static void test_last_day_days(void **state)
{
	int has = -1;

	(void)state;
	expect_date(lots_last_day(D("2026-01-10"), 30, 0, 0, 0, &has), "2026-02-09");
	assert_int_equal(has, 1);
	expect_date(lots_last_day(D("2026-12-15"), 365, 0, 0, 0, &has), "2027-12-15");
	assert_int_equal(has, 1);
	expect_date(lots_last_day(D("2024-02-28"), 1, 0, 0, 0, &has), "2024-02-29");
	assert_int_equal(has, 1);
}

static void test_last_day_months(void **state)
{
	int has = -1;

	(void)state;
	expect_date(lots_last_day(D("2026-01-15"), 0, 1, 0, 0, &has), "2026-02-15");
	assert_int_equal(has, 1);
	/* Clamped to the end of the target month. */
	expect_date(lots_last_day(D("2026-01-31"), 0, 1, 0, 0, &has), "2026-02-28");
	expect_date(lots_last_day(D("2024-01-31"), 0, 1, 0, 0, &has), "2024-02-29");
	expect_date(lots_last_day(D("2026-03-31"), 0, 1, 0, 0, &has), "2026-04-30");
	expect_date(lots_last_day(D("2024-02-29"), 0, 12, 0, 0, &has), "2025-02-28");
	expect_date(lots_last_day(D("2025-11-30"), 0, 3, 0, 0, &has), "2026-02-28");
	expect_date(lots_last_day(D("2026-08-31"), 0, 18, 0, 0, &has), "2028-02-29");
	assert_int_equal(has, 1);
}

static void test_last_day_cap(void **state)
{
	int has = -1;

	(void)state;
	/* The customer's points expiry date caps the last day... */
	expect_date(lots_last_day(D("2026-01-10"), 30, 0, 1, D("2026-01-31"), &has),
		    "2026-01-31");
	assert_int_equal(has, 1);
	expect_date(lots_last_day(D("2026-01-31"), 0, 6, 1, D("2026-05-01"), &has),
		    "2026-05-01");
	assert_int_equal(has, 1);
	/* ...but never extends it. */
	expect_date(lots_last_day(D("2026-01-10"), 30, 0, 1, D("2026-12-31"), &has),
		    "2026-02-09");
	assert_int_equal(has, 1);
	/* The cap on its own gives a lot that would never expire a last day. */
	expect_date(lots_last_day(D("2026-01-10"), 0, 0, 1, D("2026-06-30"), &has),
		    "2026-06-30");
	assert_int_equal(has, 1);
	/* A cap equal to the computed day. */
	expect_date(lots_last_day(D("2026-01-10"), 30, 0, 1, D("2026-02-09"), &has),
		    "2026-02-09");
	assert_int_equal(has, 1);
}

static void test_last_day_none(void **state)
{
	int has = -1;

	(void)state;
	lots_last_day(D("2026-01-10"), 0, 0, 0, 0, &has);
	assert_int_equal(has, 0);
}

/* -- consumption ----------------------------------------------------------- */

static void test_consume_order(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};

	(void)state;
	/* Opened in this order; the consumption order is by last day, then
	 * opening date, and lots without expiry come last (oldest first). */
	add(&b, "LATE", "2026-01-01", "2026-06-30", 100);    /* 3rd */
	add(&b, "NOEXP2", "2026-01-04", "", 100);            /* 6th */
	add(&b, "MAR-B", "2026-01-05", "2026-03-31", 100);   /* 2nd */
	add(&b, "NOEXP1", "2026-01-03", "", 100);            /* 5th */
	add(&b, "MAR-A", "2026-01-02", "2026-03-31", 100);   /* 1st */
	add(&b, "LATE2", "2026-01-06", "2026-07-01", 100);   /* 4th */
	assert_i64(lots_total(&b), 600);

	assert_i64(lots_consume(&b, 600, on_used, &s), 600);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.doc[0], "MAR-A");
	assert_string_equal(s.doc[1], "MAR-B");
	assert_string_equal(s.doc[2], "LATE");
	assert_string_equal(s.doc[3], "LATE2");
	assert_string_equal(s.doc[4], "NOEXP1");
	assert_string_equal(s.doc[5], "NOEXP2");
	for (int i = 0; i < 6; i++)
		assert_i64(s.units[i], 100);
	assert_i64(lots_total(&b), 0);
	assert_int_equal(b.n, 0);
	assert_i64(b.debt, 0);
	lots_free(&b);
}

static void test_consume_same_day_oldest_first(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};

	(void)state;
	/* Same last day and same opening day: the one opened first. */
	add(&b, "FIRST", "2026-01-10", "2026-04-10", 100);
	add(&b, "SECOND", "2026-01-10", "2026-04-10", 100);
	/* Same last day, opened earlier but added later: still oldest first. */
	add(&b, "OLDER", "2026-01-09", "2026-04-10", 100);
	assert_i64(lots_consume(&b, 250, on_used, &s), 250);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.doc[0], "OLDER");
	assert_string_equal(s.doc[1], "FIRST");
	assert_string_equal(s.doc[2], "SECOND");
	assert_i64(s.units[2], 50);
	assert_i64(left(&b, "SECOND"), 50);
	lots_free(&b);
}

static void test_consume_partial(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};

	(void)state;
	add(&b, "A", "2026-01-10", "2026-02-09", 1000);
	add(&b, "B", "2026-01-20", "2026-02-19", 500);
	assert_i64(lots_consume(&b, 300, on_used, &s), 300);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.doc[0], "A");
	assert_i64(s.units[0], 300);
	assert_i64(left(&b, "A"), 700);
	assert_i64(left(&b, "B"), 500);
	assert_i64(lots_total(&b), 1200);

	/* Across a lot boundary: A is used up and dropped, B partly. */
	memset(&s, 0, sizeof(s));
	assert_i64(lots_consume(&b, 800, on_used, &s), 800);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.doc[0], "A");
	assert_i64(s.units[0], 700);
	assert_string_equal(s.doc[1], "B");
	assert_i64(s.units[1], 100);
	assert_i64(left(&b, "A"), -1);
	assert_i64(left(&b, "B"), 400);
	assert_int_equal(b.n, 1);
	assert_i64(lots_total(&b), 400);

	/* A NULL callback is allowed. */
	assert_i64(lots_consume(&b, 1, NULL, NULL), 1);
	assert_i64(lots_total(&b), 399);
	lots_free(&b);
}

static void test_debt_and_repayment(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};

	(void)state;
	add(&b, "A", "2026-01-10", "2026-02-09", 500);
	/* A clawback beyond the lots: 500 from A, 300 as debt. */
	assert_i64(lots_consume(&b, 800, on_used, &s), 500);
	assert_int_equal(s.n, 1);
	assert_i64(s.units[0], 500);
	assert_int_equal(b.n, 0);
	assert_i64(b.debt, 300);
	assert_i64(lots_total(&b), -300);

	/* More consumption with no lots at all: all of it debt. */
	assert_i64(lots_consume(&b, 100, NULL, NULL), 0);
	assert_i64(b.debt, 400);
	assert_i64(lots_total(&b), -400);

	/* The next lot repays the debt first; one smaller than the debt opens
	 * nothing. */
	add(&b, "B", "2026-01-20", "2026-02-19", 150);
	assert_int_equal(b.n, 0);
	assert_i64(b.debt, 250);
	assert_i64(lots_total(&b), -250);
	/* A lot equal to the debt: nothing left to open. */
	add(&b, "C", "2026-01-21", "2026-02-20", 250);
	assert_int_equal(b.n, 0);
	assert_i64(b.debt, 0);
	assert_i64(lots_total(&b), 0);
	/* The debt repaid, lots open whole again. */
	add(&b, "D", "2026-01-22", "", 75);
	assert_int_equal(b.n, 1);
	assert_i64(left(&b, "D"), 75);

	/* A lot larger than the debt opens with the rest. */
	assert_i64(lots_consume(&b, 100, NULL, NULL), 75);
	assert_i64(b.debt, 25);
	add(&b, "E", "2026-01-23", "2026-03-01", 1000);
	assert_i64(b.debt, 0);
	assert_i64(left(&b, "E"), 975);
	assert_i64(lots_total(&b), 975);
	lots_free(&b);
}

static void test_next_expiry(void **state)
{
	struct lot_book b = {0};
	int has = -1;

	(void)state;
	lots_next_expiry(&b, &has);
	assert_int_equal(has, 0);

	add(&b, "NOEXP", "2026-01-01", "", 100);
	lots_next_expiry(&b, &has);
	assert_int_equal(has, 0);

	add(&b, "LATE", "2026-01-02", "2026-06-30", 100);
	add(&b, "EARLY", "2026-01-03", "2026-03-31", 100);
	add(&b, "MID", "2026-01-04", "2026-05-15", 100);
	/* The day after the earliest last day. */
	expect_date(lots_next_expiry(&b, &has), "2026-04-01");
	assert_int_equal(has, 1);

	/* Once EARLY is used up, the next one. */
	assert_i64(lots_consume(&b, 100, NULL, NULL), 100);
	assert_i64(left(&b, "EARLY"), -1);
	expect_date(lots_next_expiry(&b, &has), "2026-05-16");
	assert_int_equal(has, 1);
	lots_free(&b);
}

static void test_expire_before(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};
	int has = -1;

	(void)state;
	add(&b, "A", "2026-01-01", "2026-01-31", 1000);
	add(&b, "B", "2026-01-05", "2026-02-04", 400);
	add(&b, "C", "2026-01-06", "2026-02-05", 300);
	add(&b, "N", "2026-01-07", "", 200);
	/* A partly used: its remainder expires. */
	assert_i64(lots_consume(&b, 250, NULL, NULL), 250);

	/* Before the first expiry day: nothing. */
	lots_expire_before(&b, D("2026-01-31"), on_expired, &s);
	assert_int_equal(s.n, 0);
	assert_i64(lots_total(&b), 1650);

	/* "Last usable day < day": on 2026-02-05 A and B expire, C (last day
	 * 2026-02-05) is still usable that day. */
	lots_expire_before(&b, D("2026-02-05"), on_expired, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.doc[0], "A");
	assert_i64(s.units[0], 750);
	assert_string_equal(s.doc[1], "B");
	assert_i64(s.units[1], 400);
	assert_i64(left(&b, "A"), -1);
	assert_i64(left(&b, "B"), -1);
	assert_i64(left(&b, "C"), 300);
	assert_i64(lots_total(&b), 500);
	expect_date(lots_next_expiry(&b, &has), "2026-02-06");

	/* Far in the future: C goes, N never does. */
	memset(&s, 0, sizeof(s));
	lots_expire_before(&b, D("2099-01-01"), on_expired, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.doc[0], "C");
	assert_i64(s.units[0], 300);
	assert_i64(left(&b, "N"), 200);
	assert_i64(lots_total(&b), 200);
	lots_next_expiry(&b, &has);
	assert_int_equal(has, 0);
	lots_free(&b);
}

static void test_expire_all(void **state)
{
	struct lot_book b = {0};
	struct seen s = {0};

	(void)state;
	add(&b, "A", "2026-01-01", "2026-01-31", 1000);
	add(&b, "N", "2026-01-07", "", 200);
	add(&b, "B", "2026-01-08", "2026-12-31", 50);
	assert_i64(lots_consume(&b, 100, NULL, NULL), 100);
	lots_expire_all(&b, on_expired, &s);
	assert_int_equal(s.n, 3);
	assert_i64(s.units[0] + s.units[1] + s.units[2], 1150);
	for (int i = 0; i < 3; i++) {
		if (strcmp(s.doc[i], "A") == 0)
			assert_i64(s.units[i], 900);
		else if (strcmp(s.doc[i], "N") == 0)
			assert_i64(s.units[i], 200);
		else
			assert_i64(s.units[i], 50);
	}
	assert_int_equal(b.n, 0);
	assert_i64(lots_total(&b), 0);

	/* A fresh balance afterwards. */
	add(&b, "F", "2026-03-01", "", 10);
	assert_i64(lots_total(&b), 10);

	/* Nothing to expire: no callback. */
	memset(&s, 0, sizeof(s));
	lots_reset(&b);
	lots_expire_all(&b, on_expired, &s);
	assert_int_equal(s.n, 0);
	lots_free(&b);
}

static void test_total_reset_and_growth(void **state)
{
	struct lot_book b = {0};

	(void)state;
	assert_i64(lots_total(&b), 0);
	/* More lots than the first allocation holds. */
	for (int i = 0; i < 100; i++) {
		struct lot l;

		memset(&l, 0, sizeof(l));
		l.opened = D("2026-01-01") + i;
		l.units = i + 1;
		assert_int_equal(lots_add(&b, &l), 0);
	}
	assert_int_equal(b.n, 100);
	assert_i64(lots_total(&b), 5050);
	/* Lots without expiry are used oldest-first. */
	assert_i64(lots_consume(&b, 3, NULL, NULL), 3);
	/* lots 0 (1 unit) and 1 (2 units) used up: lot 2 comes first now */
	assert_int_equal(b.n, 98);
	assert_i64(b.v[0].units, 3);
	assert_i64(lots_total(&b), 5047);

	/* Reset keeps the memory, clears lots and debt. */
	assert_i64(lots_consume(&b, 6000, NULL, NULL), 5047);
	assert_i64(lots_total(&b), -953);
	lots_reset(&b);
	assert_int_equal(b.n, 0);
	assert_i64(b.debt, 0);
	assert_i64(lots_total(&b), 0);
	assert_non_null(b.v);
	lots_free(&b);
	assert_null(b.v);
	assert_int_equal(b.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_day_days),
		cmocka_unit_test(test_last_day_months),
		cmocka_unit_test(test_last_day_cap),
		cmocka_unit_test(test_last_day_none),
		cmocka_unit_test(test_consume_order),
		cmocka_unit_test(test_consume_same_day_oldest_first),
		cmocka_unit_test(test_consume_partial),
		cmocka_unit_test(test_debt_and_repayment),
		cmocka_unit_test(test_next_expiry),
		cmocka_unit_test(test_expire_before),
		cmocka_unit_test(test_expire_all),
		cmocka_unit_test(test_total_reset_and_growth),
	};

	return cmocka_run_group_tests_name("lots", tests, NULL, NULL);
}
