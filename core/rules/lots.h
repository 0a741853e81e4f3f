/*
 * lots: the usable units of one account as lots (SPEC §5).
 *
 * Every positive usable movement opens a lot with its own last usable day;
 * every negative one consumes lots first-expiring-first, then oldest-first,
 * lots with no expiry last.  What cannot be consumed (a clawback beyond the
 * balance) is carried as debt, which the next lots repay before they count.
 * A lot whose last usable day is before a date expires with its remainder.
 *
 * Pure bookkeeping, no I/O.  The book owns its array; lots_reset keeps the
 * memory for the next account, lots_free releases it.
 */
#ifndef ACCRUE_LOTS_H
#define ACCRUE_LOTS_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"

#define LOTS_DOC_SIZE 72

struct lot {
	date_t opened;
	date_t last_day;     /* meaningful when has_last */
	int has_last;
	int64_t units;       /* remaining, hundredths */
	long seq;            /* opening order, for oldest-first among equals */
	char document[LOTS_DOC_SIZE];
	char customer[LOTS_DOC_SIZE];
};

struct lot_book {
	struct lot *v;
	size_t n, cap;
	int64_t debt;        /* units owed by consumption beyond the lots */
	long seq;
};

/* The last usable day of a lot opened on `opened`: + expiry_days, or +
 * expiry_months clamped to the month's end, capped by the customer's points
 * expiry date when has_cap (a lot opened after that date expires the day it
 * opens).  0 in *has when the lot never expires. */
date_t lots_last_day(date_t opened, int expiry_days, int expiry_months,
		     int has_cap, date_t cap, int *has);

void lots_reset(struct lot_book *b);
void lots_free(struct lot_book *b);

/* Open a lot (units > 0); debt is repaid first.  0, or -1 out of memory. */
int lots_add(struct lot_book *b, const struct lot *l);

/* Consume units (> 0) in expiry order.  Each lot touched is reported through
 * `used` (may be NULL).  The part beyond all lots becomes debt; returns the
 * units taken from lots. */
int64_t lots_consume(struct lot_book *b, int64_t units,
		     void (*used)(void *ctx, const struct lot *l, int64_t units), void *ctx);

/* The earliest day a lot expires (last_day + 1), or 0 in *has when none. */
date_t lots_next_expiry(const struct lot_book *b, int *has);

/* Expire every lot whose last usable day is before `day`, reporting each
 * through `expired` with its remainder, and drop it. */
void lots_expire_before(struct lot_book *b, date_t day,
			void (*expired)(void *ctx, const struct lot *l), void *ctx);

/* Drop every lot (inactivity), reporting each like lots_expire_before. */
void lots_expire_all(struct lot_book *b, void (*expired)(void *ctx, const struct lot *l),
		     void *ctx);

int64_t lots_total(const struct lot_book *b);

#endif
