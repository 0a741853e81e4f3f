/*
 * finance_report: the month report's figures from the database (see
 * finance_report.h).  Three set-based queries (one scan of the ledger for
 * every figure, then the expiries and the refusals) in one REPEATABLE READ
 * READ ONLY snapshot; the money values and the movements' grouping are
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

/*
 * One scan of the ledger through the period's last day ($2): per program,
 * kind and month of the twelve (NULL: before them, from $1, the first of
 * the twelve months), the units (pending + usable) and, for vesting, the
 * units moved to usable.  C adds them up: before the period is opening,
 * all is closing, the period's month is the movements, each of the twelve
 * months its earned, used and expired.  A program without entries comes
 * once with a NULL kind.
 */
static const char ledger_sql[] =
	"SELECT p.program, p.name, p.unit, p.unit_value_cents, l.kind,"
	"       CASE WHEN l.entry_date >= $1::date"
	"            THEN extract(year FROM l.entry_date)::int * 12"
	"                 + extract(month FROM l.entry_date)::int - 1 END,"
	"       COALESCE(sum(l.pending_units + l.usable_units), 0),"
	"       COALESCE(sum(l.usable_units), 0)"
	"  FROM programs p LEFT JOIN ledger l ON l.program = p.program AND l.entry_date <= $2::date"
	" GROUP BY p.program, p.name, p.unit, p.unit_value_cents, 5, 6"
	" ORDER BY p.program COLLATE \"C\"";
enum { L_PROGRAM, L_NAME, L_UNIT, L_UNIT_VALUE, L_KIND, L_MONTH, L_UNITS, L_USABLE };

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
 * redeemed by then, the oldest first, and how many there are.  A refused
 * redemption whose allocation is reversed on or before that day is no
 * longer tried (SPEC §6) and is not listed; one reversed later still was
 * refused at the month's end.  Redeemed means a real redemption (negative
 * usable): a returned one, note "redemption reversed", is positive. */
static const char refusals_sql[] =
	"SELECT r.pay_date::text, r.payment, r.customer, r.invoice, r.reason,"
	"       COALESCE(y.amount_cents, 0), count(*) OVER ()"
	"  FROM redemption_refusals r"
	"  LEFT JOIN payments y ON y.account = r.account AND y.payment = r.payment"
	"        AND COALESCE(y.invoice, '') = r.invoice"
	" WHERE r.pay_date <= $1::date"
	/* (no allocation found: listed, as before reversals) */
	"   AND (y.reversed_on IS NULL OR y.reversed_on > $1::date)"
	"   AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.account = r.account AND l.kind = 'redeem'"
	"                      AND l.document = r.payment AND l.customer = r.customer"
	"                      AND l.usable_units < 0 AND l.entry_date <= $1::date)"
	" ORDER BY r.pay_date, r.payment"
	" LIMIT 30";
enum { R_DATE, R_PAYMENT, R_CUSTOMER, R_INVOICE, R_REASON, R_AMOUNT, R_TOTAL };

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static int read_ledger(PGconn *db, struct err *e, struct month_report *r, const char *last)
{
	char first12[DATE_FMT_SIZE], seen[MR_KEY] = "";
	const char *p[2] = {first12, last};
	int py, pm, pd, period;
	struct mr_program *g = NULL;
	PGresult *res;

	date_format(date_from_ymd(r->months[0].year, r->months[0].month, 1), first12);
	date_to_ymd(r->first, &py, &pm, &pd);
	period = py * 12 + pm - 1;
	if (!(res = db_query(db, e, ledger_sql, 2, p)))
		return e->exit;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *code = PQgetvalue(res, i, L_PROGRAM), *kind = PQgetvalue(res, i, L_KIND);
		int64_t units = db_int64(PQgetvalue(res, i, L_UNITS));
		int mv = mr_move_of_kind(kind), month;

		if (strcmp(seen, code) != 0) {   /* the rows come program by program */
			COPY(seen, code);
			g = NULL;
			if (r->nprograms == MR_PROGRAMS) {
				r->more_programs++;
			} else {
				g = &r->programs[r->nprograms++];
				COPY(g->code, code);
				COPY(g->name, PQgetvalue(res, i, L_NAME));
				COPY(g->unit, PQgetvalue(res, i, L_UNIT));
				g->unit_value_cents = db_int64(PQgetvalue(res, i, L_UNIT_VALUE));
			}
		}
		if (PQgetisnull(res, i, L_KIND))
			continue;       /* a program without entries */
		month = PQgetisnull(res, i, L_MONTH) ? -1 : atoi(PQgetvalue(res, i, L_MONTH));
		/* the twelve months count every program, shown or not */
		if (month >= 0)
			month_report_add_month(r, month / 12, month % 12 + 1, kind, units,
					       db_int64(PQgetvalue(res, i, L_UNIT_VALUE)));
		if (!g)
			continue;
		g->close_units += units;
		if (month < period)
			g->open_units += units;
		else if (mv >= 0)
			g->move_units[mv] += mv == MR_VESTED ? db_int64(PQgetvalue(res, i, L_USABLE))
							     : units;
	}
	PQclear(res);
	month_report_values(r);
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
	rc = read_ledger(db, e, r, last_s);
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
		/* the month-end's report: the temporaries of one killed mid-write
		 * (the month-end runs under the close's lock; `accrue report`
		 * writes here only when told to with --out) */
		files_sweep(a->cfg.statements_out_dir, "report_9999-99.pdf", 1);
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
