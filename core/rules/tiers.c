#include "tiers.h"

#include <string.h>

#include "money.h"

static int tiers_blank(const char *category)
{
	return !category || !*category;
}

static int tiers_kind(const struct tier *r, int is_factor)
{
	return (r->is_factor != 0) == (is_factor != 0);
}

/* The category whose rows take part: the asked one when the set has a row of
 * this kind for it, else blank. */
static const char *tiers_category(const struct tier *t, size_t n, const char *category,
				  int is_factor)
{
	if (tiers_blank(category))
		return "";
	for (size_t i = 0; i < n; i++)
		if (tiers_kind(&t[i], is_factor) && strcmp(t[i].category, category) == 0)
			return category;
	return "";
}

static int tiers_candidate(const struct tier *r, const char *category, int is_factor)
{
	return tiers_kind(r, is_factor) && strcmp(r->category, category) == 0;
}

static int pick_range_in(const struct tier *t, size_t n, const char *cat,
			 int64_t amount_cents)
{
	int found = -1, any = 0, below = 1;

	for (size_t i = 0; i < n; i++) {
		const struct tier *r = &t[i];

		if (!tiers_candidate(r, cat, 0))
			continue;
		any = 1;
		if (amount_cents < r->lower_cents)
			continue;
		below = 0;
		if (r->has_upper && amount_cents > r->upper_cents)
			continue;
		if (found < 0 || r->lower_cents > t[found].lower_cents)
			found = (int)i;
	}
	if (found >= 0)
		return found;
	if (!any)
		return TIERS_EMPTY;
	return below ? TIERS_BELOW : TIERS_UNCOVERED;
}

/* The row of the invoice's category whose range holds the amount, else the
 * blank-category row whose range holds it (SPEC §3 per_invoice). */
int tiers_pick_range(const struct tier *t, size_t n, const char *category,
		     int64_t amount_cents)
{
	const char *cat = tiers_category(t, n, category, 0);
	int r = pick_range_in(t, n, cat, amount_cents), blank;

	if (r >= 0 || !cat[0])
		return r;
	blank = pick_range_in(t, n, "", amount_cents);
	return blank >= 0 ? blank : r;
}

int tiers_pick_factor(const struct tier *t, size_t n, const char *category,
		      int64_t cumulative_cents)
{
	const char *cat = tiers_category(t, n, category, 1);
	int found = -1, any = 0;

	for (size_t i = 0; i < n; i++) {
		const struct tier *r = &t[i];

		if (!tiers_candidate(r, cat, 1))
			continue;
		any = 1;
		if (r->lower_cents > cumulative_cents)
			continue;
		if (found < 0 || r->lower_cents > t[found].lower_cents)
			found = (int)i;
	}
	if (found >= 0)
		return found;
	return any ? TIERS_BELOW : TIERS_EMPTY;
}

const char *tiers_miss_text(int code)
{
	switch (code) {
	case TIERS_BELOW:
		return "below the lowest tier";
	case TIERS_UNCOVERED:
		return "above the top tier or in a gap between tiers";
	case TIERS_EMPTY:
		return "no tiers";
	}
	return code >= 0 ? "a tier applies" : "unknown tier result";
}

struct tier_pick tiers_pick_invoice(const struct tier *t, size_t n, const char *category,
				    int64_t spend_cents)
{
	struct tier_pick p = {.index = TIERS_EMPTY};
	int k;

	if ((k = tiers_pick_range(t, n, category, spend_cents)) >= 0) {
		p.rate_ppm = t[k].rate_ppm;
	} else if ((k = tiers_pick_factor(t, n, category, spend_cents)) >= 0) {
		p.is_factor = 1;
		p.factor_cents = t[k].factor_cents;
	}
	p.index = k;
	p.has_tier = k >= 0;
	return p;
}

int64_t tier_pick_units(const struct tier_pick *p, int64_t eligible_cents)
{
	if (!p->has_tier || eligible_cents <= 0)
		return 0;
	if (p->is_factor)
		return units_by_factor(eligible_cents, p->factor_cents);
	return units_at_rate(eligible_cents, p->rate_ppm);
}

int64_t tiers_unposted_units(struct tiers_spend *sp, const struct tier *t, size_t n,
			     const char *category, int posted, int64_t eligible_cents)
{
	struct tier_pick pick;
	int64_t spend;

	/* sums past the int64 range stay at its end: no tier reaches there */
	if (posted) {
		if (__builtin_add_overflow(sp->posted_cents, eligible_cents, &sp->posted_cents))
			sp->posted_cents = eligible_cents > 0 ? INT64_MAX : INT64_MIN;
		return 0;
	}
	if (__builtin_add_overflow(sp->posted_cents, eligible_cents, &spend))
		spend = eligible_cents > 0 ? INT64_MAX : INT64_MIN;
	pick = tiers_pick_invoice(t, n, category, spend);
	return tier_pick_units(&pick, eligible_cents);
}
