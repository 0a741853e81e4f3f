/*
 * report: what the reports (`accrue balances`, `history`, `reconcile`,
 * `gl export`) share — the read-only transaction and its cursor, number
 * and amount cells, their options, where their output goes, and the tier
 * rows of an account.
 */
#ifndef ACCRUE_REPORT_H
#define ACCRUE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "err.h"
#include "files.h"
#include "money.h"
#include "table.h"
#include "tiers.h"

#define REPORT_FETCH "1000"             /* rows per FETCH */
#define REPORT_MAX_TIERS 256            /* rows in one tier set */
#define REPORT_MAX_CELLS (256 * 1024)   /* bytes of one assembled row */

/* One read-only REPEATABLE READ transaction: one snapshot for the report. */
int report_begin(PGconn *db, struct err *e);
void report_rollback(PGconn *db);

/* Every row of a cursor, `fetch` ("FETCH " REPORT_FETCH " FROM name") at a
 * time, given to row(ctx, r, i) in order until one returns non-zero.
 * Returns that, 0 at the end, or e->exit when the database fails. */
typedef int (*report_row_fn)(void *ctx, PGresult *r, int i);
int report_each(PGconn *db, struct err *e, const char *fetch, report_row_fn row, void *ctx);

/* A bigint the database sent. */
int report_i64(const char *s, int64_t *v, struct err *e);

/* The units or cents of a column with 2 decimals; NULL counts as 0. */
int report_amount(PGresult *r, int row, int col, char buf[MONEY_FMT_SIZE], struct err *e);

/* The reports' options: a getopt error, --format (table, csv or xlsx),
 * --customer. */
int report_parse_opts_error(const char *cmd, int c, char **argv);
int report_format_arg(const char *cmd, const char *v, enum table_format *f);
int report_customer_arg(const char *cmd, const char *v, const char **out);

/* "cannot write the report" with errno's reason. */
int report_write_failed(struct err *e);

/*
 * Where a report goes: with --out FILE, to FILE, written whole or not at
 * all (core/io/files: a temporary file beside it, renamed over it once
 * complete); else to standard output.
 */
struct report_out {
	const char *path;           /* --out, or NULL: standard output */
	struct files_out file;
	int open;                   /* file is open */
	FILE *f;                    /* where the report goes */
};

/* Before anything else: a workbook is no text for a terminal, so
 * `--format xlsx` without --out on a terminal is a usage error (exit 2,
 * said on stderr).  0 otherwise. */
int report_out_check(const char *cmd, enum table_format f, const char *path);

/* Open the output: 0, or e filled (exit 1, naming the file). */
int report_out_open(struct report_out *o, const char *path, struct err *e);

/* Once the table has ended: with rc 0 the file takes its place (a failure
 * fills e and is returned), else it is removed.  Returns rc, or the
 * failure.  Standard output is left to the caller (jobs/main.c flushes it
 * and checks it). */
int report_out_close(struct report_out *o, int rc, struct err *e);

/* A table that could not be written: "cannot write FILE: why" (t->why,
 * else errno's reason; "the report" for standard output). */
int report_table_failed(struct err *e, const struct table_out *t, const struct report_out *o);

/* A tier row: from its first column, tier, category, lower_cents,
 * upper_cents, rate_ppm, factor_cents (the columns of the tiers table). */
enum { RT_NAME, RT_CATEGORY, RT_LOWER, RT_UPPER, RT_RATE, RT_FACTOR, RT_COLS };
int report_tier(PGresult *r, int row, int col, struct tier *t, struct err *e);

#endif
