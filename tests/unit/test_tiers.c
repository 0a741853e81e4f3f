/*
 * Unit tests of core/tiers: rate tiers picked by an inclusive range
 * (`lower ≤ x ≤ upper`, no upper = no limit), the misses (below the lowest
 * tier, a gap or above the top, no tiers), the category rule (the asked
 * category's rows when the set has any, else the blank-category rows), and
 * collection-factor tiers picked by the highest lower bound ≤ the spend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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
	};

	return cmocka_run_group_tests_name("tiers", tests, NULL, NULL);
}
