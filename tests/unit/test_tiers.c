/*
 * Unit tests of core/tiers: rate tiers picked by an inclusive range
 * (`lower ≤ x ≤ upper`, no upper = no limit), the misses (below the lowest
 * tier, a gap or above the top, no tiers), the category rule (the asked
 * category's rows when the set has any, else the blank-category rows),
 * collection-factor tiers picked by the highest lower bound ≤ the spend;
 * the per_invoice pick and its units, unposted pending; and the table of
 * earning rules (core/rules/earning).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "earning.h"
#include "tiers.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct tier rate(const char *category, int64_t lower, int has_upper,
			int64_t upper, int64_t ppm)
{
	struct tier t;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s %lld", category, (long long)lower);
	snprintf(t.category, sizeof(t.category), "%s", category);
	t.lower_cents = lower;
	t.has_upper = has_upper;
	t.upper_cents = upper;
	t.rate_ppm = ppm;
	return t;
}

static struct tier factor(const char *category, int64_t lower, int64_t factor_cents)
{
	struct tier t;

	memset(&t, 0, sizeof(t));
	snprintf(t.category, sizeof(t.category), "%s", category);
	t.lower_cents = lower;
	t.factor_cents = factor_cents;
	t.is_factor = 1;
	return t;
}

/* 0.00–999.99, 1000.00–4999.99, 5000.00– (no limit). */
static void test_tiers_range_inclusive(void **state)
{
	struct tier t[] = {
		rate("", 0, 1, 99999, 10000),
		rate("", 100000, 1, 499999, 20000),
		rate("", 500000, 0, 0, 30000),
	};

	(void)state;
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 0), 0);        /* x == lower */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 50000), 0);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 99999), 0);    /* x == upper */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 100000), 1);   /* x == lower */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 499999), 1);   /* x == upper */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 500000), 2);
	/* No upper: no limit. */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, INT64_MAX), 2);
	assert_int_equal(tiers_pick_range(t, N(t), "", 250000), 1);
}

/* Rows in any order: the pick is an index into t as given. */
static void test_tiers_range_unordered(void **state)
{
	struct tier t[] = {
		rate("", 500000, 0, 0, 30000),
		rate("", 0, 1, 99999, 10000),
		rate("", 100000, 1, 499999, 20000),
	};

	(void)state;
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 10), 1);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 100000), 2);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 600000), 0);
}

/* Overlapping ranges (0–1000.00 and 1000.00–): the highest lower bound
 * wins; among equal lower bounds the first in t. */
static void test_tiers_range_overlap(void **state)
{
	struct tier t[] = {
		rate("", 0, 1, 100000, 10000),
		rate("", 100000, 0, 0, 20000),
		rate("", 100000, 0, 0, 30000),
	};

	(void)state;
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 99999), 0);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 100000), 1);
}

/* 100.00–199.99 and 300.00–399.99: below, gap, above. */
static void test_tiers_range_misses(void **state)
{
	struct tier t[] = {
		rate("", 10000, 1, 19999, 10000),
		rate("", 30000, 1, 39999, 20000),
	};

	(void)state;
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 9999), TIERS_BELOW);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, -1), TIERS_BELOW);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 20000), TIERS_UNCOVERED);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 29999), TIERS_UNCOVERED);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 40000), TIERS_UNCOVERED);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 10000), 0);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 39999), 1);
}

static void test_tiers_range_category(void **state)
{
	struct tier t[] = {
		rate("", 0, 0, 0, 10000),
		rate("sales", 0, 1, 99999, 20000),
		rate("sales", 100000, 0, 0, 30000),
		rate("rental", 50000, 0, 0, 40000),
		/* A factor row for service does not make service rows exist for
		 * a rate pick. */
		factor("service", 0, 1000),
	};

	(void)state;
	/* The set has sales rows: only they take part. */
	assert_int_equal(tiers_pick_range(t, N(t), "sales", 0), 1);
	assert_int_equal(tiers_pick_range(t, N(t), "sales", 100000), 2);
	/* The set has rental rows: where none holds the spend, the blank row
	 * whose range holds it stands in (SPEC §3: "the row for the invoice's
	 * category (else the blank-category row) whose range holds ..."). */
	assert_int_equal(tiers_pick_range(t, N(t), "rental", 50000), 3);
	assert_int_equal(tiers_pick_range(t, N(t), "rental", 49999), 0);
	/* No (rate) service rows: the blank-category rows. */
	assert_int_equal(tiers_pick_range(t, N(t), "service", 7), 0);
	/* Neither a category row nor a blank row holds it: the category's
	 * miss is reported. */
	{
		struct tier u[] = {
			rate("", 0, 1, 9999, 10000),
			rate("rental", 50000, 0, 0, 40000),
		};
		assert_int_equal(tiers_pick_range(u, N(u), "rental", 20000), TIERS_BELOW);
		assert_int_equal(tiers_pick_range(u, N(u), "rental", 5000), 0);
	}
	/* NULL and "" ask for the blank rows only. */
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 200000), 0);
	assert_int_equal(tiers_pick_range(t, N(t), "", 200000), 0);
}

static void test_tiers_range_empty(void **state)
{
	struct tier t[] = {
		rate("sales", 0, 0, 0, 10000),
		factor("", 0, 1000),
	};

	(void)state;
	assert_int_equal(tiers_pick_range(NULL, 0, NULL, 100), TIERS_EMPTY);
	assert_int_equal(tiers_pick_range(t, 0, "sales", 100), TIERS_EMPTY);
	/* No rental rows and no blank rate rows (the blank row is a factor). */
	assert_int_equal(tiers_pick_range(t, N(t), "rental", 100), TIERS_EMPTY);
	assert_int_equal(tiers_pick_range(t, N(t), NULL, 100), TIERS_EMPTY);
	assert_int_equal(tiers_pick_range(t, N(t), "sales", 100), 0);
}

static void test_tiers_factor(void **state)
{
	struct tier t[] = {
		factor("", 100000, 500),
		factor("", 0, 1000),
		factor("", 500000, 250),
		factor("", 500000, 100),
		rate("", 0, 0, 0, 10000),   /* not a factor row: never picked */
	};

	(void)state;
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 0), 1);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 99999), 1);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 100000), 0);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 499999), 0);
	/* Equal lower bounds: the first in t. */
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 500000), 2);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, INT64_MAX), 2);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, -1), TIERS_BELOW);
}

/* Upper bounds are not looked at for factor tiers. */
static void test_tiers_factor_ignores_upper(void **state)
{
	struct tier t[] = {
		factor("", 10000, 500),
	};

	(void)state;
	t[0].has_upper = 1;
	t[0].upper_cents = 19999;
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 9999), TIERS_BELOW);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 10000), 0);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 1000000), 0);
}

static void test_tiers_factor_category(void **state)
{
	struct tier t[] = {
		factor("", 0, 1000),
		factor("sales", 50000, 500),
		rate("rental", 0, 0, 0, 10000),
	};

	(void)state;
	assert_int_equal(tiers_pick_factor(t, N(t), "sales", 50000), 1);
	/* The set has sales factor rows: the blank row does not stand in. */
	assert_int_equal(tiers_pick_factor(t, N(t), "sales", 49999), TIERS_BELOW);
	/* Only a rate row for rental: the blank factor rows. */
	assert_int_equal(tiers_pick_factor(t, N(t), "rental", 10), 0);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 60000), 0);
}

static void test_tiers_factor_empty(void **state)
{
	struct tier t[] = {
		rate("", 0, 0, 0, 10000),
	};

	(void)state;
	assert_int_equal(tiers_pick_factor(NULL, 0, NULL, 0), TIERS_EMPTY);
	assert_int_equal(tiers_pick_factor(t, N(t), NULL, 0), TIERS_EMPTY);
	assert_int_equal(tiers_pick_factor(t, N(t), "sales", 0), TIERS_EMPTY);
}

static void test_tiers_miss_text(void **state)
{
	(void)state;
	assert_string_equal(tiers_miss_text(TIERS_BELOW), "below the lowest tier");
	assert_string_equal(tiers_miss_text(TIERS_UNCOVERED),
			    "above the top tier or in a gap between tiers");
	assert_string_equal(tiers_miss_text(TIERS_EMPTY), "no tiers");
	assert_string_equal(tiers_miss_text(0), "a tier applies");
	assert_string_equal(tiers_miss_text(-99), "unknown tier result");
}

/* SPEC §3 per_invoice: a rate tier of the category, else a factor tier;
 * round(eligible × rate) or trunc(eligible / factor). */
static void test_tiers_pick_invoice(void **state)
{
	struct tier t[] = {
		rate("", 0, 1, 99999, 10000),            /* 1% to 999.99 */
		rate("", 100000, 0, 0, 20000),           /* 2% from 1000.00 */
		rate("rental", 0, 0, 0, 50000),          /* rental: 5% */
	};
	struct tier f[] = {factor("", 0, 1000), factor("", 500000, 500)};
	struct tier_pick p;

	(void)state;
	p = tiers_pick_invoice(t, N(t), "sales", 99999);
	assert_true(p.has_tier);
	assert_int_equal(p.index, 0);
	assert_int_equal(tier_pick_units(&p, 12345), 123);      /* 1% of 123.45 = 1.2345 → 1.23 */
	p = tiers_pick_invoice(t, N(t), "sales", 100000);
	assert_int_equal(p.index, 1);
	assert_int_equal(tier_pick_units(&p, 100000), 2000);
	p = tiers_pick_invoice(t, N(t), "rental", 5);
	assert_int_equal(p.index, 2);
	assert_int_equal(tier_pick_units(&p, -100), 0);          /* nothing eligible */
	p = tiers_pick_invoice(f, N(f), "", 500000);
	assert_true(p.has_tier && p.is_factor);
	assert_int_equal(tier_pick_units(&p, 1299), 200);        /* 12.99 / 5.00 = 2 points */
	p = tiers_pick_invoice(NULL, 0, "", 100);
	assert_false(p.has_tier);
	assert_int_equal(tier_pick_units(&p, 100000), 0);
}

/* Unposted pending: posted invoices make the spend, each unposted one is
 * priced on that spend plus its own, and does not count for the next. */
static void test_tiers_unposted_units(void **state)
{
	struct tier t[] = {rate("", 0, 1, 99999, 10000), rate("", 100000, 0, 0, 20000)};
	struct tiers_spend sp = {0};

	(void)state;
	assert_int_equal(tiers_unposted_units(&sp, t, N(t), "", 1, 90000), 0);  /* posted */
	assert_int_equal(tiers_unposted_units(&sp, t, N(t), "", 0, 5000), 50);  /* 950.00: 1% */
	assert_int_equal(tiers_unposted_units(&sp, t, N(t), "", 0, 10000), 200); /* 1000.00: 2% */
	assert_int_equal(tiers_unposted_units(&sp, t, N(t), "", 0, 5000), 50);  /* still 950.00 */
	assert_int_equal(sp.posted_cents, 90000);
	sp.posted_cents = INT64_MAX - 1;                          /* saturates, no overflow */
	assert_int_equal(tiers_unposted_units(&sp, t, N(t), "", 1, 100), 0);
	assert_int_equal(sp.posted_cents, INT64_MAX);
}

/* The earning rules: every name once in the table, in the list the import
 * checks, and found by name; an unknown name is no rule. */
static void test_earning_rules(void **state)
{
	size_t n = 0;

	(void)state;
	for (const char *const *name = earning_names; *name; name++, n++) {
		const struct earning_rule *r = earning_rule_named(*name);

		assert_non_null(r);
		assert_ptr_equal(earning_rule_of(r->id), r);
		assert_int_equal(r->per_invoice, r->sales_by == SALES_NONE);
		assert_int_equal(r->target == NULL, r->per_invoice);
	}
	assert_int_equal(n, earning_rules_count);
	assert_null(earning_rule_named("ytd_tiered "));
	assert_null(earning_rule_named(""));
	assert_false(earning_rule_named("per_invoice")->sales_by);
	assert_string_equal(earning_sales_name(earning_rule_named("month_tiered")->sales_by), "month");
	assert_string_equal(earning_sales_name(earning_rule_named("ytd_tiered")->sales_by),
			    "fiscal_year");
	assert_null(earning_sales_name(SALES_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiers_range_inclusive),
		cmocka_unit_test(test_tiers_range_unordered),
		cmocka_unit_test(test_tiers_range_overlap),
		cmocka_unit_test(test_tiers_range_misses),
		cmocka_unit_test(test_tiers_range_category),
		cmocka_unit_test(test_tiers_range_empty),
		cmocka_unit_test(test_tiers_factor),
		cmocka_unit_test(test_tiers_factor_ignores_upper),
		cmocka_unit_test(test_tiers_factor_category),
		cmocka_unit_test(test_tiers_factor_empty),
		cmocka_unit_test(test_tiers_miss_text),
		cmocka_unit_test(test_tiers_pick_invoice),
		cmocka_unit_test(test_tiers_unposted_units),
		cmocka_unit_test(test_earning_rules),
	};

	return cmocka_run_group_tests_name("tiers", tests, NULL, NULL);
}
