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

/*
 * The per_invoice rule (SPEC §3): an invoice earns by the rate tier of its
 * category (else the blank category) whose range holds spend_cents, else by
 * the collection-factor tier for that spend; spend_cents is the account's
 * cumulative eligible spend of its posted, not cancelled invoices in
 * (date, number) order, this invoice's own amount included.  The close
 * (core/rules/account.c) and the reports' unposted pending
 * (core/engine/report.c) both call it.
 */
struct tier_pick {
	int index;             /* in t, or a negative enum tiers_miss */
	int has_tier;
	int is_factor;
	int64_t rate_ppm;      /* rate tiers */
	int64_t factor_cents;  /* factor tiers */
};
struct tier_pick tiers_pick_invoice(const struct tier *t, size_t n, const char *category,
				    int64_t spend_cents);

/* What an invoice earns on eligible_cents with its pick: round(eligible ×
 * rate), or trunc(eligible / factor) whole points; nothing without a tier
 * or when nothing is eligible. */
int64_t tier_pick_units(const struct tier_pick *p, int64_t eligible_cents);

/*
 * Unposted pending (SPEC §2): what an unposted invoice would earn if it
 * were posted now, by tiers_pick_invoice — its spend is that of the
 * account's posted invoices before it plus its own amount; other unposted
 * invoices do not count.  Feed every per_invoice invoice of the account
 * (posted and unposted; not cancelled, not no_points) in (date, number)
 * order, starting from a zeroed struct: a posted one adds to the spend and
 * gives 0, an unposted one gives its would-be units.
 */
struct tiers_spend {
	int64_t posted_cents;
};
int64_t tiers_unposted_units(struct tiers_spend *sp, const struct tier *t, size_t n,
			     const char *category, int posted, int64_t eligible_cents);

/* A short lowercase description of a negative pick result, for messages. */
const char *tiers_miss_text(int code);

#endif
