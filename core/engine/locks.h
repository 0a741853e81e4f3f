/*
 * locks: the PostgreSQL advisory lock keys of accrue, all of them, so that
 * no two uses share a key by accident.  Text, as the queries take them
 * ($1::bigint, or spliced into a constant statement).
 */
#ifndef ACCRUE_LOCKS_H
#define ACCRUE_LOCKS_H

#define LOCK_MIGRATE "7401"     /* `db migrate`: one migration at a time */
#define LOCK_CLOSE "7402"       /* the closes (daily close and month-end), and
				 * manual entries while one runs */
#define LOCK_MAIL "7403"        /* sending mail: one sender at a time */
#define LOCK_STATEMENTS "7404"  /* recording statements (transaction lock) */
#define LOCK_STATEMENTS_RUN "7405"  /* a statements run, from its run row to its
				     * commit: one at a time, so that a run row
				     * left 'running' belongs to a dead process */

#endif
