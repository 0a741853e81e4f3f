/*
 * runs: the bookkeeping every posting job shares (SPEC §8) — one run of a
 * kind at a time under a PostgreSQL advisory lock, a row in `runs` per run
 * (job, date or period, status, counts, host, pid, start, end), and the rule
 * that the books do not run backwards.
 */
#ifndef ACCRUE_RUNS_H
#define ACCRUE_RUNS_H

#include <libpq-fe.h>

#include "date.h"
#include "err.h"
#include "locks.h"

/* Take the lock without waiting: 0, or exit 75 with a message naming the run
 * that holds it.  Runs left 'running' by a crash are then marked failed. */
int runs_lock(PGconn *db, struct err *e, const char *lock_key, const char *what);

/* The business date of the last completed daily close, 0 in *has if none. */
int runs_last_close(PGconn *db, struct err *e, date_t *day, int *has);

/* Insert a run row (committed at once, so it shows while the run goes on). */
int runs_start(PGconn *db, struct err *e, const char *job, const char *business_date,
	       const char *period, long long *run_id);

/* Within the caller's transaction: the run is done, with its counts (JSON). */
int runs_done(PGconn *db, struct err *e, long long run_id, const char *counts_json);

/* After a failure (own transaction): the run failed, with the message. */
void runs_failed(PGconn *db, long long run_id, const char *message);

#endif
