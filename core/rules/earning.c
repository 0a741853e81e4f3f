/*
 * earning: the table of earning rules (see earning.h).
 */
#include "earning.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

/* -- ytd_tiered: the tier of the year-to-date sales on all of them -------- */

static struct tiered_result ytd_target(const struct tier *t, size_t n,
				       const struct earning_sales_in *in)
{
	return tiered_ytd(t, n, in->ytd_cents, in->posted);
}

static void ytd_note(const struct tier *t, const struct tiered_result *r,
		     const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE])
{
	char amount[MONEY_FMT_SIZE], rate[MONEY_FMT_SIZE];
	size_t len;

	decimal_format(in->ytd_cents, 2, amount);
	if (r->tier < 0) {
		snprintf(out, EARNING_NOTE_SIZE, "no tier on year-to-date sales of %s", amount);
		return;
	}
	/* the percent without trailing zeros: 2.5, not 2.5000 */
	decimal_format(t[r->tier].rate_ppm, 4, rate);
	len = strlen(rate);
	while (len && rate[len - 1] == '0')
		rate[--len] = '\0';
	if (len && rate[len - 1] == '.')
		rate[--len] = '\0';
	snprintf(out, EARNING_NOTE_SIZE, "tier %s at %s%% on year-to-date sales of %s",
		 t[r->tier].name, rate, amount);
}

static const char *ytd_uncovered(const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE])
{
	char amount[MONEY_FMT_SIZE];

	snprintf(out, EARNING_NOTE_SIZE, "year-to-date sales of %s are above the top tier or "
		 "in a gap between tiers: no further points", decimal_format(in->ytd_cents, 2, amount));
	return out;
}

/* -- month_tiered: each month at the tier of its own sales ----------------- */

static struct tiered_result month_target(const struct tier *t, size_t n,
					 const struct earning_sales_in *in)
{
	return tiered_months(t, n, in->month_cents, in->nmonths, in->posted);
}

static void month_note(const struct tier *t, const struct tiered_result *r,
		       const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE])
{
	char amount[MONEY_FMT_SIZE];

	(void)t;
	(void)r;
	snprintf(out, EARNING_NOTE_SIZE, "monthly tiers on the year's sales of %s",
		 decimal_format(in->ytd_cents, 2, amount));
}

static const char *month_uncovered(const struct earning_sales_in *in, char out[EARNING_NOTE_SIZE])
{
	(void)in;
	snprintf(out, EARNING_NOTE_SIZE, "a month's sales are above the top tier or in a gap "
		 "between tiers: that month earns nothing");
	return out;
}

/* -- the table --------------------------------------------------------------- */

#define YTD_TIERED "ytd_tiered"
#define MONTH_TIERED "month_tiered"
#define PER_INVOICE "per_invoice"

/* per_invoice earns in the close's invoice replay (core/rules/account.c,
 * with core/rules/tiers.c's tiers_pick_invoice), not at month-end. */
const struct earning_rule earning_rules[] = {
	{YTD_TIERED, EARN_YTD_TIERED, 0, SALES_FISCAL_YEAR, ytd_target, ytd_note, ytd_uncovered},
	{MONTH_TIERED, EARN_MONTH_TIERED, 0, SALES_MONTH, month_target, month_note,
	 month_uncovered},
	{PER_INVOICE, EARN_PER_INVOICE, 1, SALES_NONE, NULL, NULL, NULL},
};
const size_t earning_rules_count = sizeof(earning_rules) / sizeof(earning_rules[0]);

/* The same names, NULL-terminated, for the import's checks of a value. */
const char *const earning_names[] = {YTD_TIERED, MONTH_TIERED, PER_INVOICE, NULL};

const struct earning_rule *earning_rule_named(const char *name)
{
	for (size_t i = 0; i < earning_rules_count; i++)
		if (!strcmp(earning_rules[i].name, name))
			return &earning_rules[i];
	return NULL;
}

const struct earning_rule *earning_rule_of(enum acct_earning id)
{
	for (size_t i = 0; i < earning_rules_count; i++)
		if (earning_rules[i].id == id)
			return &earning_rules[i];
	return &earning_rules[0];   /* unreachable: every id has its entry */
}

const char *earning_sales_name(enum earning_sales s)
{
	switch (s) {
	case SALES_FISCAL_YEAR:
		return "fiscal_year";
	case SALES_MONTH:
		return "month";
	default:
		return NULL;
	}
}
