/*
 * tiers: which tier of a tier set applies to an amount (SPEC §2 Tiers, §3).
 * Pure rules, no I/O: the caller loads one tier set and asks.
 *
 * A tier set is every row of one (program, customer); the caller has already
 * chosen the set (a customer's own rows replace the program's entirely).
 * Ranges are inclusive money amounts, `lower ≤ x ≤ upper`, and a tier with
 * no upper (has_upper 0) has no limit.
 *
 * Rate tiers (is_factor 0, rate_ppm) and collection-factor tiers (is_factor
 * 1, factor_cents) are chosen by different rules, so each pick looks only at
 * the rows of its own kind: tiers_pick_range at rate tiers, tiers_pick_factor
 * at factor tiers.
 *
 * Category (SPEC §3 per_invoice): the rows for the asked category take part
 * when the set has at least one such row (of the kind being picked);
 * otherwise the blank-category rows do.  A NULL or "" category asks for the
 * blank-category rows only (ytd_tiered and month_tiered sets are all blank).
 */
#ifndef ACCRUE_TIERS_H
#define ACCRUE_TIERS_H

#include <stddef.h>
#include <stdint.h>

#define TIERS_NAME_SIZE 64
#define TIERS_CATEGORY_SIZE 16

struct tier {
	char name[TIERS_NAME_SIZE];
	char category[TIERS_CATEGORY_SIZE];  /* "" (blank), "sales", "rental", "service" */
	int64_t lower_cents;
	int64_t upper_cents;   /* meaningful when has_upper */
	int has_upper;
	int64_t rate_ppm;      /* rate tiers: percent rate in parts per million */
	int64_t factor_cents;  /* factor tiers: one point per this much money */
	int is_factor;
};

/* What a pick returns instead of an index when no tier applies. */
enum tiers_miss {
	/* The amount is below the lowest lower bound of the candidate rows:
	 * for ytd_tiered, target 0. */
	TIERS_BELOW = -1,
	/* The amount is above the top upper bound, or in a gap between two
	 * tiers: for ytd_tiered, no further points (target = posted) and the
	 * run reports a warning. */
	TIERS_UNCOVERED = -2,
	/* No candidate rows at all (no row of that kind for the category, nor
	 * blank-category rows). */
	TIERS_EMPTY = -3,
};

/*
 * The rate tier whose range holds amount_cents: its index in t[0..n), or a
 * negative enum tiers_miss.  Ranges of one set should not overlap; when they
 * do (say 0–1000.00 and 1000.00–), the tier with the highest lower bound
 * wins, and among equal lower bounds the first in t.
 */
int tiers_pick_range(const struct tier *t, size_t n, const char *category,
		     int64_t amount_cents);

/*
 * The collection-factor tier for a cumulative spend: the one with the
 * highest lower bound ≤ cumulative_cents (upper bounds are not looked at),
 * the first in t among equal lower bounds.  Its index, TIERS_BELOW when the
 * spend is below every lower bound, or TIERS_EMPTY.
 */
int tiers_pick_factor(const struct tier *t, size_t n, const char *category,
		      int64_t cumulative_cents);

/* A short lowercase description of a negative pick result, for messages. */
const char *tiers_miss_text(int code);

#endif
