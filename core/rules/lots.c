#include "lots.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

date_t lots_last_day(date_t opened, int expiry_days, int expiry_months,
		     int has_cap, date_t cap, int *has)
{
	date_t last = 0;

	*has = 0;
	if (expiry_days > 0) {
		last = opened + expiry_days;
		*has = 1;
	} else if (expiry_months > 0) {
		last = date_add_months(opened, expiry_months);
		*has = 1;
	}
	if (has_cap && (!*has || cap < last)) {
		last = cap;
		*has = 1;
	}
	/* past the customer's expiry date already, the last day stays X (at
	 * most X, SPEC §5); lots_next_expiry dates its expiry the day it opens,
	 * not before it */
	return last;
}

void lots_reset(struct lot_book *b)
{
	b->n = 0;
	b->debt = 0;
	b->seq = 0;
}

void lots_free(struct lot_book *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

int lots_add(struct lot_book *b, const struct lot *l)
{
	int64_t units = l->units;

	if (b->debt > 0) {
		int64_t repay = units < b->debt ? units : b->debt;
		b->debt -= repay;
		units -= repay;
	}
	if (units <= 0)
		return 0;
	if (mem_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v)))
		return -1;
	b->v[b->n] = *l;
	b->v[b->n].units = units;
	b->v[b->n].seq = b->seq++;
	b->n++;
	return 0;
}

/* Consumption order: lots that expire before lots that do not; earlier last
 * day first; then the oldest. */
static int lot_before(const struct lot *a, const struct lot *b)
{
	if (a->has_last != b->has_last)
		return a->has_last;
	if (a->has_last && a->last_day != b->last_day)
		return a->last_day < b->last_day;
	if (a->opened != b->opened)
		return a->opened < b->opened;
	return a->seq < b->seq;
}

static void drop_empty(struct lot_book *b)
{
	size_t o = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].units > 0)
			b->v[o++] = b->v[i];
	b->n = o;
}

int64_t lots_consume(struct lot_book *b, int64_t units,
		     void (*used)(void *ctx, const struct lot *l, int64_t units), void *ctx)
{
	int64_t taken = 0;

	while (units > 0) {
		struct lot *best = NULL;
		int64_t take;

		for (size_t i = 0; i < b->n; i++)
			if (b->v[i].units > 0 && (!best || lot_before(&b->v[i], best)))
				best = &b->v[i];
		if (!best)
			break;
		take = best->units < units ? best->units : units;
		best->units -= take;
		units -= take;
		taken += take;
		if (used)
			used(ctx, best, take);
	}
	b->debt += units;
	drop_empty(b);
	return taken;
}

date_t lots_next_expiry(const struct lot_book *b, int *has)
{
	date_t best = 0;

	*has = 0;
	for (size_t i = 0; i < b->n; i++) {
		date_t d = b->v[i].last_day + 1;

		if (d < b->v[i].opened)
			d = b->v[i].opened;
		if (b->v[i].has_last && (!*has || d < best)) {
			best = d;
			*has = 1;
		}
	}
	return best;
}

void lots_expire_before(struct lot_book *b, date_t day,
			void (*expired)(void *ctx, const struct lot *l), void *ctx)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].has_last && b->v[i].last_day < day && b->v[i].units > 0) {
			expired(ctx, &b->v[i]);
			b->v[i].units = 0;
		}
	}
	drop_empty(b);
}

void lots_expire_all(struct lot_book *b, void (*expired)(void *ctx, const struct lot *l),
		     void *ctx)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].units > 0)
			expired(ctx, &b->v[i]);
	b->n = 0;
}

int64_t lots_total(const struct lot_book *b)
{
	int64_t t = 0;

	for (size_t i = 0; i < b->n; i++)
		t += b->v[i].units;
	return t - b->debt;
}
