/*
 * close: bringing every reward account up to a business date (SPEC §3–§8,
 * §14) — the daily close, and the close part of the month-end — in chunks
 * that any number of workers share, then the GL journals in one
 * transaction (core/engine/close_run.c, core/engine/close.c).
 */
#ifndef ACCRUE_CLOSE_H
#define ACCRUE_CLOSE_H

#include "app.h"
#include "date.h"

struct close_request {
	date_t as_of;        /* the business date; the month's last day at month-end */
	int dry_run;         /* compute and report, write nothing */
	int month_end;       /* tiered accruals for every tiered account, period closed */
	int full;            /* replay every account, not only the changed or due ones */
	int workers;         /* worker processes; 0: [run] workers */
	long long posted;    /* out: the entries it posted (a dry run: would post) */
};

/* Run the close, print its summary (and any failure on stderr); returns
 * the exit status: 0, 3 (refused redemptions), or a failure's. */
int close_books(struct app *a, struct close_request *q);

/* `accrue worker`: join the running close run_id (0: the latest that has
 * chunks left) and do chunks until none is left to claim.  No running
 * close: says so, 0. */
int close_worker(struct app *a, long long run_id);

#endif
