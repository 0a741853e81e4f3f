/*
 * close_chunk: one chunk of a close (core/engine/close.c) — the accounts
 * whose keys fall in a range, brought up to the close's business date in
 * the caller's transaction.  The run around the chunks (planning, workers,
 * claims, journals) is core/engine/close_run.c.
 */
#ifndef ACCRUE_CLOSE_CHUNK_H
#define ACCRUE_CLOSE_CHUNK_H

#include <libpq-fe.h>

#include "date.h"
#include "err.h"
#include "log.h"

/* What a close was asked; every worker reads it from the run's row. */
struct close_job {
	long long run_id;    /* 0: a dry run (nothing is kept) */
	date_t as_of;        /* the business date; the month's last day at month-end */
	int month_end;       /* tiered accruals for every tiered account */
	int full;            /* every account, not only the changed or due ones */
	char period[8];      /* month-end: YYYY-MM */
};

/* What one chunk did, as run_chunks keeps it. */
struct chunk_counts {
	long long accounts;      /* brought up to date */
	long long changed, due;  /* why */
	long long resumed;       /* from a checkpoint */
	long long accrual_only;  /* month-end: only the accrual */
	long long warnings;
	long long refused;
	long long entries;
};

struct closer;

/* A worker's closer on its own connection: NULL when out of memory. */
struct closer *closer_new(PGconn *db, const struct close_job *job, struct err *e);
void closer_free(struct closer *c);

/* The accounts with keys in [lo, hi) (NULL: unbounded), in the caller's
 * REPEATABLE READ transaction: their entries into run_entries, refused
 * redemptions into run_refusals, their state and checkpoints, and the
 * marks of account_changes seen for them consumed.  pr, when not NULL,
 * shows the accounts done, after pr_base.  0 or the exit status. */
int closer_chunk(struct closer *c, const char *lo, const char *hi, struct progress *pr,
		 long long pr_base, struct chunk_counts *out);

#endif
