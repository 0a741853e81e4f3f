/*
 * month_report: the figures of finance's month report (month_report.h).
 */
#include "month_report.h"

#include <string.h>

#include "money.h"

const char *const mr_move_names[MR_MOVES] = {"earned", "vested", "expired", "redeemed",
					       "adjusted"};

int mr_move_of_kind(const char *kind)
{
	static const struct {
		const char *kind;
		enum mr_move move;
	} map[] = {
		{"earn", MR_EARNED}, {"accrual", MR_EARNED}, {"vest", MR_VESTED},
		{"expire", MR_EXPIRED}, {"reverse_expiry", MR_EXPIRED}, {"redeem", MR_REDEEMED},
		{"adjust", MR_ADJUSTED},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].kind, kind))
			return (int)map[i].move;
	return -1;
}

void month_report_init(struct month_report *r, date_t first)
{
	int y, m, d;

	memset(r, 0, sizeof(*r));
	r->first = first;
	r->last = date_month_end(first);
	date_to_ymd(first, &y, &m, &d);
	for (int i = MR_MONTHS - 1; i >= 0; i--) {
		r->months[i].year = y;
		r->months[i].month = m;
		if (--m == 0) {
			m = 12;
			y--;
		}
	}
	date_to_ymd(first, &y, &m, &d);
	r->period[0] = '\0';
	{
		static const char digits[] = "0123456789";
		char *p = r->period;

		*p++ = digits[(y / 1000) % 10];
		*p++ = digits[(y / 100) % 10];
		*p++ = digits[(y / 10) % 10];
		*p++ = digits[y % 10];
		*p++ = '-';
		*p++ = digits[m / 10];
		*p++ = digits[m % 10];
		*p = '\0';
	}
}

int month_report_month(const struct month_report *r, int year, int month)
{
	for (int i = 0; i < MR_MONTHS; i++)
		if (r->months[i].year == year && r->months[i].month == month)
			return i;
	return -1;
}

void month_report_add_month(struct month_report *r, int year, int month, const char *kind,
			    int64_t units, int64_t unit_value_cents)
{
	int i = month_report_month(r, year, month), mv = mr_move_of_kind(kind);
	int64_t cents = units_value_cents(units, unit_value_cents);

	if (i < 0 || mv < 0)
		return;
	/* the life-to-date figures: adjustments count as earned */
	switch ((enum mr_move)mv) {
	case MR_EARNED:
	case MR_ADJUSTED:
		r->months[i].earned_cents += cents;
		break;
	case MR_EXPIRED:
		r->months[i].expired_cents -= cents;
		break;
	case MR_REDEEMED:
		r->months[i].used_cents -= cents;
		break;
	case MR_VESTED:
	case MR_MOVES:
		break;
	}
}

void month_report_values(struct month_report *r)
{
	for (size_t i = 0; i < r->nprograms; i++) {
		struct mr_program *p = &r->programs[i];

		p->open_cents = units_value_cents(p->open_units, p->unit_value_cents);
		p->close_cents = units_value_cents(p->close_units, p->unit_value_cents);
		for (int k = 0; k < MR_MOVES; k++)
			p->move_cents[k] = units_value_cents(p->move_units[k], p->unit_value_cents);
	}
}

void month_report_totals(const struct month_report *r, int64_t *open_cents,
			 int64_t move_cents[MR_MOVES], int64_t *close_cents)
{
	*open_cents = *close_cents = 0;
	for (int k = 0; k < MR_MOVES; k++)
		move_cents[k] = 0;
	for (size_t i = 0; i < r->nprograms; i++) {
		*open_cents += r->programs[i].open_cents;
		*close_cents += r->programs[i].close_cents;
		for (int k = 0; k < MR_MOVES; k++)
			move_cents[k] += r->programs[i].move_cents[k];
	}
}

struct chart_axis chart_axis(int64_t smallest, int64_t largest, int ticks)
{
	struct chart_axis a;
	int64_t lo = smallest < 0 ? smallest : 0, hi = largest > 0 ? largest : 0;
	int64_t span = hi - lo, step = 1;

	if (ticks < 1)
		ticks = 1;
	if (span <= 0)
		span = 100;  /* nothing to show: one unit of money */
	/* the smallest 1, 2 or 5 × 10^k at least span / ticks */
	for (int64_t base = 1;; base *= 10) {
		if (base * ticks >= span) {
			step = base;
			break;
		}
		if (2 * base * ticks >= span) {
			step = 2 * base;
			break;
		}
		if (5 * base * ticks >= span) {
			step = 5 * base;
			break;
		}
		if (base > INT64_MAX / 100)
			break;
	}
	a.step = step;
	a.lo = lo < 0 ? -((-lo + step - 1) / step) * step : 0;
	a.hi = hi > 0 ? ((hi + step - 1) / step) * step : 0;
	if (a.lo == a.hi)
		a.hi = a.lo + step;
	return a;
}
