#include "tiered.h"

#include "money.h"

struct tiered_result tiered_ytd(const struct tier *t, size_t n, int64_t ytd_cents,
				int64_t posted)
{
	struct tiered_result r = {0, 0, -1};
	int pick = tiers_pick_range(t, n, "", ytd_cents);

	if (pick >= 0) {
		r.tier = pick;
		r.target = units_at_rate(ytd_cents, t[pick].rate_ppm);
	} else if (pick == TIERS_UNCOVERED) {
		r.uncovered = 1;
		r.target = posted;
	}
	return r;
}

struct tiered_result tiered_months(const struct tier *t, size_t n,
				   const int64_t *month_cents, int nmonths, int64_t posted)
{
	struct tiered_result r = {0, 0, -1};

	for (int m = 0; m < nmonths; m++) {
		int pick = tiers_pick_range(t, n, "", month_cents[m]);

		if (pick >= 0) {
			r.target += units_at_rate(month_cents[m], t[pick].rate_ppm);
		} else if (pick == TIERS_UNCOVERED) {
			/* no points for a month above the top tier or in a gap */
			r.uncovered = 1;
		}
	}
	(void)posted;
	return r;
}
