/*
 * report: what the on-demand reports share (report.h).
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "money.h"

/* ---- shared: the read-only transaction and its cursor ---- */

int report_begin(PGconn *db, struct err *e)
{
	return db_exec(db, e, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
}

void report_rollback(PGconn *db)
{
	struct err ignored;

	db_exec(db, &ignored, "ROLLBACK", 0, NULL);
}

/* Fetch the next rows of `fetch` (a "FETCH n FROM cursor" statement);
 * NULL with e filled on failure, a result with 0 rows at the end. */
static PGresult *report_fetch(PGconn *db, struct err *e, const char *fetch)
{
	return db_query(db, e, fetch, 0, NULL);
}

int report_each(PGconn *db, struct err *e, const char *fetch, report_row_fn row, void *ctx)
{
	int rc = 0;

	for (;;) {
		PGresult *r = report_fetch(db, e, fetch);
		int n;

		if (!r)
			return e->exit;
		n = PQntuples(r);
		for (int i = 0; i < n && !rc; i++)
			rc = row(ctx, r, i);
		PQclear(r);
		if (rc || n == 0)
			return rc;
	}
}

/* A bigint column; the database never sends anything else there. */
int report_i64(const char *s, int64_t *v, struct err *e)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return err_set(e, EXIT_FAIL, "database returned \"%.40s\" where a number was expected", s);
	return 0;
}

/* The units or cents of column `col`, formatted with 2 decimals; NULL
 * counts as 0 (an account without ledger lines or sales). */
int report_amount(PGresult *r, int row, int col, char buf[MONEY_FMT_SIZE],
			 struct err *e)
{
	int64_t v = 0;

	if (!PQgetisnull(r, row, col) && report_i64(PQgetvalue(r, row, col), &v, e))
		return e->exit;
	decimal_format(v, 2, buf);
	return 0;
}

int report_parse_opts_error(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return app_usage(cmd, "option \"%s\" needs a value", argv[optind - 1]);
	if (optopt)
		return app_usage(cmd, "unknown option \"-%c\"", optopt);
	return app_usage(cmd, "unknown option \"%s\"", argv[optind - 1]);
}

int report_format_arg(const char *cmd, const char *v, enum table_format *f)
{
	if (table_parse_format(v, f))
		return app_usage(cmd, "--format: \"%s\" is not table, csv or xlsx", v);
	return 0;
}

int report_customer_arg(const char *cmd, const char *v, const char **out)
{
	if (!*v)
		return app_usage(cmd, "--customer: empty customer number");
	*out = v;
	return 0;
}

int report_write_failed(struct err *e)
{
	return err_set(e, EXIT_FAIL, "cannot write the report: %s",
		       errno ? strerror(errno) : "output error");
}

/* ---- where a report goes ---- */

int report_out_check(const char *cmd, enum table_format f, const char *path)
{
	if (f == TABLE_XLSX && !path && isatty(STDOUT_FILENO))
		return app_usage(cmd, "--format xlsx writes a workbook, not text for a terminal: "
				 "give --out FILE.xlsx, or redirect standard output (> FILE.xlsx)");
	return 0;
}

int report_out_open(struct report_out *o, const char *path, struct err *e)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->f = stdout;
	if (!path)
		return 0;
	if (files_out_open(&o->file, path))
		return err_set(e, EXIT_FAIL, "cannot write %s: %s", o->file.failed, strerror(errno));
	o->open = 1;
	o->f = o->file.f;
	return 0;
}

int report_out_close(struct report_out *o, int rc, struct err *e)
{
	if (!o->open)
		return rc;
	o->open = 0;
	o->f = NULL;
	if (rc) {
		files_out_abort(&o->file);
		return rc;
	}
	if (files_out_commit(&o->file))
		return err_set(e, EXIT_FAIL, "cannot write %s: %s", o->file.failed, strerror(errno));
	return 0;
}

int report_table_failed(struct err *e, const struct table_out *t, const struct report_out *o)
{
	const char *what = o && o->path ? o->path : "the report";

	if (t->why[0])
		return err_set(e, EXIT_FAIL, "cannot write %s: %s", what, t->why);
	return err_set(e, EXIT_FAIL, "cannot write %s: %s", what,
		       errno ? strerror(errno) : "output error");
}

/* One tier row from columns col + RT_* of r. */
int report_tier(PGresult *r, int row, int col, struct tier *t, struct err *e)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", PQgetvalue(r, row, col + RT_NAME));
	snprintf(t->category, sizeof(t->category), "%s", PQgetvalue(r, row, col + RT_CATEGORY));
	if (report_i64(PQgetvalue(r, row, col + RT_LOWER), &t->lower_cents, e))
		return e->exit;
	t->has_upper = !PQgetisnull(r, row, col + RT_UPPER);
	if (t->has_upper && report_i64(PQgetvalue(r, row, col + RT_UPPER), &t->upper_cents, e))
		return e->exit;
	t->is_factor = PQgetisnull(r, row, col + RT_RATE);
	if (!t->is_factor && report_i64(PQgetvalue(r, row, col + RT_RATE), &t->rate_ppm, e))
		return e->exit;
	if (t->is_factor && report_i64(PQgetvalue(r, row, col + RT_FACTOR), &t->factor_cents, e))
		return e->exit;
	return 0;
}
