/*
 * month_report: finance's month report (`accrue report --period P`), the
 * data and the rules of its figures, pure.  core/engine/month_report fills
 * it from the database; core/io/report_pdf draws it.
 *
 * Per program: the units of all pending plus usable entries before the
 * month (opening) and through its last day (closing), and the month's
 * movements by kind — earned (earnings and accruals), vested (units moved
 * from pending to usable: no value moves), expired (expiries net of
 * reversed ones), redeemed, adjusted (manual entries) — so that opening +
 * earned + expired + redeemed + adjusted = closing, in units.  Each figure's
 * money value is the posting's (units_value_cents of the units).
 *
 * Twelve months up to the period: the money value of what was earned
 * (life-to-date "earned": earnings, accruals, adjustments), used
 * (redemptions) and expired, all programs together.
 */
#ifndef ACCRUE_MONTH_REPORT_H
#define ACCRUE_MONTH_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"

#define MR_PROGRAMS 24     /* programs shown (the rest counted) */
#define MR_MONTHS 12
#define MR_EXPIRIES 20     /* the largest expiries listed */
#define MR_REFUSALS 30     /* refused redemptions listed (the rest counted) */
#define MR_KEY 72
#define MR_TEXT 200

enum mr_move { MR_EARNED, MR_VESTED, MR_EXPIRED, MR_REDEEMED, MR_ADJUSTED, MR_MOVES };
extern const char *const mr_move_names[MR_MOVES];   /* "earned", … */

/* The movement a ledger kind counts in, or -1 (an unknown kind). */
int mr_move_of_kind(const char *kind);

struct mr_program {
	char code[MR_KEY];
	char name[MR_TEXT];
	char unit[16];                  /* points, dollars */
	int64_t unit_value_cents;
	int64_t open_units, close_units;
	int64_t move_units[MR_MOVES];
	/* money values (month_report_values) */
	int64_t open_cents, close_cents, move_cents[MR_MOVES];
};

struct mr_month {
	int year, month;
	int64_t earned_cents, used_cents, expired_cents;   /* used, expired: positive */
};

struct mr_expiry {
	char account[MR_KEY], customer[MR_KEY], program[MR_KEY], document[MR_KEY];
	char date[DATE_FMT_SIZE];
	int64_t units, cents;           /* positive: what expired */
};

struct mr_refusal {
	char payment[MR_KEY], customer[MR_KEY], invoice[MR_KEY], date[DATE_FMT_SIZE];
	char reason[MR_TEXT];
	int64_t amount_cents;
};

struct month_report {
	char period[8];                 /* YYYY-MM */
	date_t first, last;
	char company[MR_TEXT];
	struct mr_program programs[MR_PROGRAMS];
	size_t nprograms, more_programs;
	struct mr_month months[MR_MONTHS];   /* the oldest first; the last is the period */
	struct mr_expiry expiries[MR_EXPIRIES];
	size_t nexpiries;
	struct mr_refusal refusals[MR_REFUSALS];
	size_t nrefusals;
	long long refusals_total;
};

/* Start an empty report of the month holding `first` (its first day):
 * the twelve months' calendar filled, every figure 0. */
void month_report_init(struct month_report *r, date_t first);

/* The index in r->months of a month, or -1 outside the twelve. */
int month_report_month(const struct month_report *r, int year, int month);

/* Add `units` of ledger kind `kind` dated in month (year, month) of a
 * program with this unit value to the twelve months' figures (money). */
void month_report_add_month(struct month_report *r, int year, int month, const char *kind,
			    int64_t units, int64_t unit_value_cents);

/* Every program's money values from its units. */
void month_report_values(struct month_report *r);

/* The totals of every program, in money: opening, moves, closing. */
void month_report_totals(const struct month_report *r, int64_t *open_cents,
			 int64_t move_cents[MR_MOVES], int64_t *close_cents);

/*
 * A chart's value axis: from lo ≤ min(0, smallest) to hi ≥ max(0,
 * largest) in steps of 1, 2 or 5 × 10^k cents, about `ticks` of them.
 */
struct chart_axis {
	int64_t lo, hi, step;
};
struct chart_axis chart_axis(int64_t smallest, int64_t largest, int ticks);

#endif
