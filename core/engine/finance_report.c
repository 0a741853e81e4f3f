/*
 * finance_report: the month report's figures from the database (see
 * finance_report.h).  Five set-based queries in one REPEATABLE READ READ
 * ONLY snapshot; the money values and the movements' grouping are
 * core/rules/month_report's.
 */
#include "finance_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "files.h"
#include "money.h"
#include "report.h"
#include "report_pdf.h"
#include "month_report.h"

#define MR_PDF_MAX (64u << 20)

/* Per program: units before the month and through its last day.  $1 first,
 * $2 last. */
static const char programs_sql[] =
	"SELECT p.program, p.name, p.unit, p.unit_value_cents,"
	"       COALESCE(sum(l.pending_units + l.usable_units) FILTER (WHERE l.entry_date < $1::date), 0),"
	"       COALESCE(sum(l.pending_units + l.usable_units), 0)"
	"  FROM programs p LEFT JOIN ledger l ON l.program = p.program AND l.entry_date <= $2::date"
	" GROUP BY p.program, p.name, p.unit, p.unit_value_cents ORDER BY p.program COLLATE \"C\"";
enum { P_PROGRAM, P_NAME, P_UNIT, P_UNIT_VALUE, P_OPEN, P_CLOSE };

/* The month's movements per program and kind (vesting: the units moved to
 * usable). */
static const char moves_sql[] =
	"SELECT program, kind,"
	"       CASE WHEN kind = 'vest' THEN sum(usable_units) ELSE sum(pending_units + usable_units) END"
	"  FROM ledger WHERE entry_date BETWEEN $1::date AND $2::date"
	" GROUP BY program, kind";
enum { M_PROGRAM, M_KIND, M_UNITS };

/* Twelve months up to the period, per program, month and kind.  $1 the
 * first of the twelve months, $2 last. */
static const char months_sql[] =
	"SELECT p.unit_value_cents, extract(year FROM l.entry_date)::int,"
	"       extract(month FROM l.entry_date)::int, l.kind, sum(l.pending_units + l.usable_units)"
	"  FROM ledger l JOIN programs p ON p.program = l.program"
	" WHERE l.entry_date BETWEEN $1::date AND $2::date AND l.kind <> 'vest'"
	" GROUP BY p.program, p.unit_value_cents, 2, 3, l.kind";
enum { Y_UNIT_VALUE, Y_YEAR, Y_MONTH, Y_KIND, Y_UNITS };

/* The month's largest expiries by money value. */
static const char expiries_sql[] =
	"SELECT l.entry_date::text, l.account, l.customer, l.program, l.document,"
	"       -(l.pending_units + l.usable_units), p.unit_value_cents"
	"  FROM ledger l JOIN programs p ON p.program = l.program"
	" WHERE l.kind = 'expire' AND l.entry_date BETWEEN $1::date AND $2::date"
	" ORDER BY -(l.pending_units + l.usable_units)::numeric * p.unit_value_cents DESC, l.entry_id"
	" LIMIT 20";
enum { X_DATE, X_ACCOUNT, X_CUSTOMER, X_PROGRAM, X_DOCUMENT, X_UNITS, X_UNIT_VALUE };

/* The redemptions refused by the month's end ($1, its last day) and not
 * redeemed by then, the oldest first, and how many there are. */
static const char refusals_sql[] =
	"SELECT r.pay_date::text, r.payment, r.customer, r.invoice, r.reason,"
	"       COALESCE(y.amount_cents, 0), count(*) OVER ()"
	"  FROM redemption_refusals r"
	"  LEFT JOIN payments y ON y.payment = r.payment AND COALESCE(y.invoice, '') = r.invoice"
	" WHERE r.pay_date <= $1::date"
	"   AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.kind = 'redeem' AND l.document = r.payment"
	"                      AND l.customer = r.customer AND l.entry_date <= $1::date)"
	" ORDER BY r.pay_date, r.payment"
	" LIMIT 30";
enum { R_DATE, R_PAYMENT, R_CUSTOMER, R_INVOICE, R_REASON, R_AMOUNT, R_TOTAL };

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static int read_programs(PGconn *db, struct err *e, struct month_report *r, const char *const p[2])
{
	PGresult *res = db_query(db, e, programs_sql, 2, p);

	if (!res)
		return e->exit;
	for (int i = 0; i < PQntuples(res); i++) {
		struct mr_program *g;

		if (r->nprograms == MR_PROGRAMS) {
			r->more_programs++;
			continue;
		}
		g = &r->programs[r->nprograms++];
		COPY(g->code, PQgetvalue(res, i, P_PROGRAM));
		COPY(g->name, PQgetvalue(res, i, P_NAME));
		COPY(g->unit, PQgetvalue(res, i, P_UNIT));
		g->unit_value_cents = db_int64(PQgetvalue(res, i, P_UNIT_VALUE));
		g->open_units = db_int64(PQgetvalue(res, i, P_OPEN));
		g->close_units = db_int64(PQgetvalue(res, i, P_CLOSE));
	}
	PQclear(res);
	if (!(res = db_query(db, e, moves_sql, 2, p)))
		return e->exit;
	for (int i = 0; i < PQntuples(res); i++) {
		int mv = mr_move_of_kind(PQgetvalue(res, i, M_KIND));

		for (size_t k = 0; k < r->nprograms && mv >= 0; k++)
			if (!strcmp(r->programs[k].code, PQgetvalue(res, i, M_PROGRAM)))
				r->programs[k].move_units[mv] += db_int64(PQgetvalue(res, i, M_UNITS));
	}
	PQclear(res);
	month_report_values(r);
	return 0;
}

static int read_months(PGconn *db, struct err *e, struct month_report *r, const char *last)
{
	char first[DATE_FMT_SIZE];
	const char *p[2] = {first, last};
	PGresult *res;

	date_format(date_from_ymd(r->months[0].year, r->months[0].month, 1), first);
	if (!(res = db_query(db, e, months_sql, 2, p)))
		return e->exit;
	for (int i = 0; i < PQntuples(res); i++)
		month_report_add_month(r, atoi(PQgetvalue(res, i, Y_YEAR)),
				       atoi(PQgetvalue(res, i, Y_MONTH)), PQgetvalue(res, i, Y_KIND),
				       db_int64(PQgetvalue(res, i, Y_UNITS)),
				       db_int64(PQgetvalue(res, i, Y_UNIT_VALUE)));
	PQclear(res);
	return 0;
}

static int read_lists(PGconn *db, struct err *e, struct month_report *r, const char *const p[2])
{
	PGresult *res = db_query(db, e, expiries_sql, 2, p);

	if (!res)
		return e->exit;
	for (int i = 0; i < PQntuples(res) && r->nexpiries < MR_EXPIRIES; i++) {
		struct mr_expiry *x = &r->expiries[r->nexpiries++];

		COPY(x->date, PQgetvalue(res, i, X_DATE));
		COPY(x->account, PQgetvalue(res, i, X_ACCOUNT));
		COPY(x->customer, PQgetvalue(res, i, X_CUSTOMER));
		COPY(x->program, PQgetvalue(res, i, X_PROGRAM));
		COPY(x->document, PQgetvalue(res, i, X_DOCUMENT));
		x->units = db_int64(PQgetvalue(res, i, X_UNITS));
		x->cents = units_value_cents(x->units, db_int64(PQgetvalue(res, i, X_UNIT_VALUE)));
	}
	PQclear(res);
	if (!(res = db_query(db, e, refusals_sql, 1, p + 1)))
		return e->exit;
	for (int i = 0; i < PQntuples(res) && r->nrefusals < MR_REFUSALS; i++) {
		struct mr_refusal *f = &r->refusals[r->nrefusals++];

		COPY(f->date, PQgetvalue(res, i, R_DATE));
		COPY(f->payment, PQgetvalue(res, i, R_PAYMENT));
		COPY(f->customer, PQgetvalue(res, i, R_CUSTOMER));
		COPY(f->invoice, PQgetvalue(res, i, R_INVOICE));
		COPY(f->reason, PQgetvalue(res, i, R_REASON));
		f->amount_cents = db_int64(PQgetvalue(res, i, R_AMOUNT));
		r->refusals_total = db_int64(PQgetvalue(res, i, R_TOTAL));
	}
	PQclear(res);
	return 0;
}

int month_report_write(struct app *a, PGconn *db, date_t first, const char *path,
		       char *written, struct err *e)
{
	struct month_report *r = calloc(1, sizeof(*r));
	char first_s[DATE_FMT_SIZE], last_s[DATE_FMT_SIZE], name[FILES_PATH_MAX];
	char failed[FILES_PATH_MAX];
	const char *p[2] = {first_s, last_s};
	struct sbuf pdf;
	int rc;

	if (!r)
		return err_set(e, EXIT_FAIL, "out of memory");
	month_report_init(r, first);
	COPY(r->company, a->cfg.company_name);
	date_format(r->first, first_s);
	date_format(r->last, last_s);
	sbuf_init(&pdf, MR_PDF_MAX);
	if ((rc = report_begin(db, e)))
		goto out;
	rc = read_programs(db, e, r, p);
	if (!rc)
		rc = read_months(db, e, r, last_s);
	if (!rc)
		rc = read_lists(db, e, r, p);
	report_rollback(db);
	if (rc || (rc = report_pdf(r, &pdf, e)))
		goto out;
	if (!path) {
		if (files_mkdir_p(a->cfg.statements_out_dir, failed)) {
			rc = err_set(e, EXIT_FAIL, "%s: cannot make the directory: %s", failed,
				     strerror(errno));
			goto out;
		}
		if ((size_t)snprintf(name, sizeof(name), "%s/report_%s.pdf", a->cfg.statements_out_dir,
				     r->period) >= sizeof(name)) {
			rc = err_set(e, EXIT_FAIL, "[statements] out_dir: path too long");
			goto out;
		}
		path = name;
	}
	if (files_write_atomic(path, pdf.p, pdf.len, failed)) {
		rc = err_set(e, EXIT_FAIL, "%s: cannot write: %s", failed, strerror(errno));
		goto out;
	}
	if (written)
		snprintf(written, FILES_PATH_MAX, "%s", path);
out:
	sbuf_free(&pdf);
	free(r);
	return rc;
}
