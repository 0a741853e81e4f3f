/*
 * report: what the on-demand reports share (report.h).
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
PGresult *report_fetch(PGconn *db, struct err *e, const char *fetch)
{
	return db_query(db, e, fetch, 0, NULL);
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
		return app_usage(cmd, "--format: \"%s\" is not table or csv", v);
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

/* One tier row from columns col..col+5 of r: tier, category, lower_cents,
 * upper_cents, rate_ppm, factor_cents (the columns of the tiers table). */
int report_tier(PGresult *r, int row, int col, struct tier *t, struct err *e)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", PQgetvalue(r, row, col));
	snprintf(t->category, sizeof(t->category), "%s", PQgetvalue(r, row, col + 1));
	if (report_i64(PQgetvalue(r, row, col + 2), &t->lower_cents, e))
		return e->exit;
	t->has_upper = !PQgetisnull(r, row, col + 3);
	if (t->has_upper && report_i64(PQgetvalue(r, row, col + 3), &t->upper_cents, e))
		return e->exit;
	t->is_factor = PQgetisnull(r, row, col + 4);
	if (!t->is_factor && report_i64(PQgetvalue(r, row, col + 4), &t->rate_ppm, e))
		return e->exit;
	if (t->is_factor && report_i64(PQgetvalue(r, row, col + 5), &t->factor_cents, e))
		return e->exit;
	return 0;
}

/*
 * What an unposted invoice would earn if it were posted now (SPEC §2
 * unposted pending), by the per_invoice rule of SPEC §3 exactly as the daily
 * close applies it: a rate tier of the invoice's category (else the blank
 * category) whose range holds spend_cents, earning round(eligible × rate);
 * failing that, a collection-factor tier, earning trunc(eligible / factor)
 * whole points; no tier, or nothing eligible, earns nothing.
 * spend_cents is the cumulative eligible spend including this invoice.
 */
int64_t report_would_earn(const struct tier *t, size_t n, const char *category,
				 int64_t eligible_cents, int64_t spend_cents)
{
	int k;

	if (eligible_cents <= 0)
		return 0;
	if ((k = tiers_pick_range(t, n, category, spend_cents)) >= 0)
		return units_at_rate(eligible_cents, t[k].rate_ppm);
	if ((k = tiers_pick_factor(t, n, category, spend_cents)) >= 0)
		return units_by_factor(eligible_cents, t[k].factor_cents);
	return 0;
}

/* The would-be units of one unposted invoice: columns category_col (its
 * category), amounts_col (eligible cents) and amounts_col + 1 (cumulative
 * spend including it) of r. */
int report_unposted_units(PGresult *r, int row, int category_col, int amounts_col,
				 const struct tier *t, size_t n, int64_t *units,
				 struct err *e)
{
	int64_t eligible, spend;

	if (report_i64(PQgetvalue(r, row, amounts_col), &eligible, e) ||
	    report_i64(PQgetvalue(r, row, amounts_col + 1), &spend, e))
		return e->exit;
	*units = report_would_earn(t, n, PQgetvalue(r, row, category_col), eligible, spend);
	return 0;
}

