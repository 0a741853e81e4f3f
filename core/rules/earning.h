/*
 * earning: the table of earning rules (SPEC §3), one entry per value of
 * programs.earning, pure.
 *
 * A rule either earns on each posted invoice in the close (per_invoice:
 * core/rules/account.c's invoice replay, core/rules/tiers.c's
 * tiers_pick_invoice), or accrues at month-end a target computed on the
 * fiscal year's sales (core/rules/tiered.c), summed over the fiscal year or
 * month by month (sales_by).  SQL has the same table (sql/005_rules.sql,
 * earning_rules) for its set-based queries; tests/lib/rules-test checks
 * that the two agree.
 *
 * Adding a rule: an entry in earning.c with its functions, a row in a
 * migration's earning_rules, and their tests.  An unknown name is an error
 * wherever one is read (earning_rule_named returns NULL).
 */
#ifndef ACCRUE_EARNING_H
#define ACCRUE_EARNING_H

#include <stddef.h>
#include <stdint.h>

#include "tiered.h"
#include "tiers.h"

enum acct_earning { EARN_YTD_TIERED, EARN_MONTH_TIERED, EARN_PER_INVOICE };

enum earning_sales {
	SALES_NONE,          /* per_invoice: no month-end accrual */
	SALES_FISCAL_YEAR,   /* the tiers apply to the year-to-date total */
	SALES_MONTH,         /* the tiers apply to each month's sales on its own */
};

#define EARNING_NOTE_SIZE 160

/* What a month-end rule is given: the fiscal year's eligible sales through
 * the month-end, by month (the fiscal year's first month first) and in
 * total, and the accruals the year already holds. */
struct earning_sales_in {
	const int64_t *month_cents;   /* [nmonths] */
	int nmonths;
	int64_t ytd_cents;
	int64_t posted;
};

struct earning_rule {
	const char *name;            /* as in programs.earning */
	enum acct_earning id;
	int per_invoice;             /* earns per invoice in the close */
	enum earning_sales sales_by; /* SALES_NONE exactly when per_invoice */
	/* month-end rules: the units the year should hold */
	struct tiered_result (*target)(const struct tier *t, size_t n,
				       const struct earning_sales_in *in);
	/* month-end rules: the accrual's note, and the warning when a sales
	 * amount is above the top tier or in a gap */
	void (*note)(const struct tier *t, const struct tiered_result *r,
		     const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE]);
	const char *(*uncovered)(const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE]);
};

extern const struct earning_rule earning_rules[];
extern const size_t earning_rules_count;
extern const char *const earning_names[];   /* their names, NULL-terminated */

/* The rule of a programs.earning value; NULL when there is none. */
const struct earning_rule *earning_rule_named(const char *name);

/* The rule of an id (always one). */
const struct earning_rule *earning_rule_of(enum acct_earning id);

/* "fiscal_year", "month", or NULL for SALES_NONE: as in earning_rules.sales_by. */
const char *earning_sales_name(enum earning_sales s);

#endif
