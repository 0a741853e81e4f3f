/*
 * tiered: the month-end targets of tiered programs (SPEC §3), pure.
 *
 * ytd_tiered: the tier whose range holds the year-to-date eligible sales
 * applies its rate to the whole of them: target = round(ytd × rate).
 * month_tiered: each month of the fiscal year at the rate of that month's own
 * sales: target = Σ round(sales_m × rate_m).
 * Below the lowest tier: 0 for that amount.  Above the top tier or in a gap:
 * no further points and a warning — for ytd_tiered the target stays what was
 * posted; for month_tiered that month adds nothing.
 */
#ifndef ACCRUE_TIERED_H
#define ACCRUE_TIERED_H

#include <stddef.h>
#include <stdint.h>

#include "tiers.h"

struct tiered_result {
	int64_t target;       /* units the year should hold */
	int uncovered;        /* an amount fell above the top tier or in a gap */
	int tier;             /* ytd_tiered: index of the tier used, or -1 */
};

/* ytd_cents: the year's eligible sales so far; posted: accruals so far. */
struct tiered_result tiered_ytd(const struct tier *t, size_t n, int64_t ytd_cents,
				int64_t posted);

/* month_cents[0..nmonths): each month's eligible sales, the fiscal year's
 * first month first. */
struct tiered_result tiered_months(const struct tier *t, size_t n,
				   const int64_t *month_cents, int nmonths, int64_t posted);

#endif
