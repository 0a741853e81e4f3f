/*
 * adjust: the checks and the posting of manual entries (SPEC §6), for
 * `accrue adjust add | expire-invoice | reverse-expiry` and `accrue import
 * adjustments`.  See adjust.h.
 *
 *   add             ± units to usable; reference MANUALADJ unless given; a
 *                   negative one beyond the usable balance is refused
 *   expire-invoice  the invoice's pending units expire now (source E<invoice>);
 *                   it must be posted, have pending units, and the invoice
 *                   date given must match
 *   reverse-expiry  an expired invoice's units are pending again (source
 *                   R<invoice>); it is then exempt from automatic expiry and
 *                   vests when paid in full
 *
 * A reason is always required.  A child named is applied to its parent's
 * account, with a warning.  Nothing dated before the last completed close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adjust.h"
#include "app.h"
#include "db.h"
#include "log.h"
#include "lots.h"
#include "money.h"
#include "text.h"
#include "posting.h"
#include "runs.h"

/* Every staged request with its account, program and current figures.
 * An invoice's expired units are its expiries (automatic, document the
 * invoice; manual, E<invoice>) less their reversals: manual ones
 * (R<invoice>) and the close's own, document the invoice, when the reward
 * allocation that made it expire "paid with reward units" is reversed
 * (SPEC §4).  Its pending is summed over the same documents. */
#define RESOLVED \
	"WITH r AS (" \
	"  SELECT s.*, COALESCE(s.entry_date, current_setting('accrue.today')::date) AS d," \
	"         c.customer IS NOT NULL AS known, COALESCE(c.parent, c.customer) AS account," \
	"         c.parent AS parent, COALESCE(par.program, c.program) AS program" \
	"    FROM stage s LEFT JOIN customers c ON c.customer = s.customer" \
	"    LEFT JOIN customers par ON par.customer = c.parent)," \
	" last_close AS (SELECT max(business_date) AS d FROM runs" \
	"                 WHERE job IN ('daily-close', 'month-end') AND status = 'done')," \
	" inv AS (" \
	"  SELECT r.line, i.invoice AS found, i.kind, i.status, i.doc_date, i.customer AS inv_customer," \
	"         COALESCE(ic.parent, ic.customer) AS inv_account," \
	"         (SELECT COALESCE(sum(l.pending_units), 0) FROM ledger l" \
	"           WHERE l.account = r.account AND l.program = r.program" \
	"             AND l.document IN (r.invoice, manual_expiry_document(r.invoice)," \
	"                                expiry_reversal_document(r.invoice))) AS pending," \
	"         (SELECT COALESCE(-sum(l.pending_units) FILTER (WHERE l.kind = 'expire'" \
	"                                 AND l.document IN (r.invoice, manual_expiry_document(r.invoice))), 0)" \
	"               - COALESCE(sum(l.pending_units) FILTER (WHERE l.kind = 'reverse_expiry'" \
	"                                 AND l.document IN (r.invoice, expiry_reversal_document(r.invoice))), 0)" \
	"            FROM ledger l WHERE l.account = r.account AND l.program = r.program) AS expired," \
	"         min(r.line) OVER (PARTITION BY r.invoice) AS first" \
	"    FROM r LEFT JOIN invoices i ON i.invoice = r.invoice" \
	"    LEFT JOIN customers ic ON ic.customer = i.customer" \
	"   WHERE r.action <> 'add' AND r.invoice IS NOT NULL AND r.known)"

const char *const adjust_checks[] = {
	RESOLVED
	" SELECT r.line, v.col, v.msg FROM r CROSS JOIN last_close lc, LATERAL (VALUES"
	"  (1, NOT r.known, 'customer', format('unknown customer \"%s\"', r.customer)),"
	"  (2, r.known AND r.program IS NULL, 'customer',"
	"   format('customer \"%s\" is in no program', r.customer)),"
	"  (3, r.action = 'add' AND COALESCE(r.units, 0) = 0, 'amount',"
	"   'a non-zero amount is required to add'),"
	"  (4, r.action <> 'add' AND r.invoice IS NULL, 'invoice',"
	"   format('an invoice is required to %s', replace(r.action, '_', ' '))),"
	"  (5, r.action <> 'add' AND r.invoice_date IS NULL, 'invoice_date',"
	"   format('the invoice date is required to %s', replace(r.action, '_', ' '))),"
	"  (6, r.d < lc.d, 'date',"
	"   format('%s is before the last completed close (%s): the books do not run backwards',"
	"          r.d, lc.d))"
	" ) v(n, bad, col, msg) WHERE v.bad ORDER BY r.line, v.n LIMIT 1000",

	RESOLVED
	" SELECT r.line, e.col, e.msg FROM r JOIN inv USING (line), LATERAL ("
	"  SELECT v.col, v.msg FROM (VALUES"
	"   (1, inv.found IS NULL, 'invoice', format('unknown invoice \"%s\"', r.invoice)),"
	"   (2, inv.kind <> 'invoice', 'invoice', format('\"%s\" is a credit note, not an invoice', r.invoice)),"
	"   (3, inv.inv_account <> r.account, 'invoice',"
	"    format('invoice \"%s\" belongs to customer \"%s\", not to the account of \"%s\"',"
	"           r.invoice, inv.inv_customer, r.customer)),"
	"   (4, inv.status <> 'posted', 'invoice',"
	"    format('invoice \"%s\" is %s, not posted', r.invoice, inv.status)),"
	"   (5, inv.doc_date IS DISTINCT FROM r.invoice_date, 'invoice_date',"
	"    format('invoice \"%s\" is dated %s, not %s', r.invoice, inv.doc_date, r.invoice_date)),"
	"   (6, r.action = 'expire_invoice' AND inv.pending <= 0, 'invoice',"
	"    format('invoice \"%s\" has no pending units to expire', r.invoice)),"
	"   (7, r.action = 'reverse_expiry' AND (inv.expired <= 0 OR inv.pending <> 0), 'invoice',"
	"    format('invoice \"%s\" is not expired: there is nothing to reverse', r.invoice)),"
	"   (8, r.line > inv.first, 'invoice',"
	"    format('invoice \"%s\" is adjusted twice (first on line %s)', r.invoice, inv.first))"
	"  ) v(n, bad, col, msg) WHERE v.bad ORDER BY v.n LIMIT 1) e"
	" ORDER BY 1 LIMIT 1000",

	/* A negative add beyond the usable balance is refused; adds of one
	 * file count in line order. */
	RESOLVED
	", adds AS ("
	"  SELECT r.line, r.units,"
	"         (SELECT COALESCE(sum(l.usable_units), 0)::bigint FROM ledger l"
	"           WHERE l.account = r.account AND l.program = r.program) AS usable,"
	"         (sum(r.units) OVER (PARTITION BY r.account, r.program ORDER BY r.line))::bigint AS running"
	"    FROM r WHERE r.action = 'add' AND r.program IS NOT NULL AND r.units IS NOT NULL)"
	" SELECT line, 'amount', format('%s would take the usable balance of %s below zero',"
	"        money_text(units), money_text(usable + running - units))"
	"   FROM adds WHERE units < 0 AND usable + running < 0 ORDER BY 1 LIMIT 1000",
	NULL,
};

/* The rows to post, in line order. */
static const char post_sql[] =
	RESOLVED
	" SELECT r.line, r.action, r.account, r.program, r.customer, r.parent,"
	"        COALESCE(inv.inv_customer, r.account), COALESCE(r.units, 0), r.invoice,"
	"        COALESCE(NULLIF(r.reference, ''), 'MANUALADJ'), r.reason, r.d::text,"
	"        COALESCE(inv.pending, 0), COALESCE(inv.expired, 0),"
	"        a.points_expiry_date::text, (SELECT max(d)::text FROM r)"
	"   FROM r LEFT JOIN inv USING (line) JOIN customers a ON a.customer = r.account"
	"  ORDER BY r.line";
/* Its columns. */
enum { A_LINE, A_ACTION, A_ACCOUNT, A_PROGRAM, A_CUSTOMER, A_PARENT, A_INV_CUSTOMER, A_UNITS,
       A_INVOICE, A_REFERENCE, A_REASON, A_DATE, A_PENDING, A_EXPIRED, A_POINTS_EXPIRY,
       A_LAST_DATE };

/* Rows of an imported file found posted before, or -1 (not an import). */
static long adjust_unchanged(PGconn *db, struct err *e)
{
	PGresult *u = db_query(db, e, "SELECT to_regclass('pg_temp.adjust_unchanged') IS NOT NULL",
			       0, NULL);
	long n = -1;

	if (u && db_value(u) && !strcmp(db_value(u), "t")) {
		PQclear(u);
		u = db_query(db, e, "SELECT n FROM adjust_unchanged", 0, NULL);
		if (u && db_value(u))
			n = atol(db_value(u));
	}
	if (u)
		PQclear(u);
	return n;
}

int adjust_post_staged(PGconn *db, struct err *e, const char *what)
{
	struct posting post = {0};
	PGresult *r = NULL, *run = NULL;
	long long run_id = 0;
	int rc, n, got;

	/* Not while a close runs: the close's GL would not see this journal. */
	if ((rc = db_try_lock(db, e, LOCK_CLOSE, 1, &got)))
		return rc;
	if (!got)
		return err_set(e, EXIT_TEMPFAIL, "a close is running: key the adjustment again "
			       "when it has finished");
	if ((rc = posting_begin(&post, db, e)))
		goto out;
	if (!(r = db_query(db, e, post_sql, 0, NULL))) {
		rc = e->exit;
		goto out;
	}
	n = PQntuples(r);
	if (n == 0) {
		printf("%s: nothing to post: %ld adjustments unchanged (posted before)\n", what,
		       adjust_unchanged(db, e));
		goto out;
	}
	{
		char host[256] = "", pid[32];
		const char *p[4] = {"adjust", n ? PQgetvalue(r, 0, A_LAST_DATE) : NULL, host, pid};

		/* the run is this process on this machine, as for a close */
		gethostname(host, sizeof(host) - 1);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		run = db_query(db, e,
			       "INSERT INTO runs (job, business_date, status, host, pid, ended_at)"
			       " VALUES ($1, $2::date, 'done', $3, $4::integer, now())"
			       " RETURNING run_id", 4, p);
		if (!run) {
			rc = e->exit;
			goto out;
		}
		if (!db_value(run)) {
			rc = err_set(e, EXIT_FAIL, "internal: the run row gave no id");
			goto out;
		}
		run_id = atoll(db_value(run));
	}
	if ((rc = posting_stage_begin(&post)))
		goto out;
	for (int i = 0; i < n && !rc; i++) {
		const char *action = PQgetvalue(r, i, A_ACTION), *account = PQgetvalue(r, i, A_ACCOUNT);
		const char *program = PQgetvalue(r, i, A_PROGRAM);
		const struct prog *pg = posting_prog(&post, program);
		struct acct_entry x;
		date_t d;

		memset(&x, 0, sizeof(x));
		if (date_parse(PQgetvalue(r, i, A_DATE), &d)) {
			rc = err_set(e, EXIT_FAIL, "line %s: the database sent \"%.40s\" where a date "
				     "was expected", PQgetvalue(r, i, A_LINE), PQgetvalue(r, i, A_DATE));
			break;
		}
		x.date = d;
		x.by_close = 0;
		text_copy(x.note, sizeof(x.note), PQgetvalue(r, i, A_REASON));
		if (!PQgetisnull(r, i, A_PARENT))
			log_warn("%s is a child of %s: the adjustment is applied to %s",
				 PQgetvalue(r, i, A_CUSTOMER), account, account);
		if (!strcmp(action, "add")) {
			x.kind = K_ADJUST;
			text_copy(x.document, sizeof(x.document), PQgetvalue(r, i, A_REFERENCE));
			text_copy(x.customer, sizeof(x.customer), account);
			x.usable = strtoll(PQgetvalue(r, i, A_UNITS), NULL, 10);
			if (x.usable > 0 && pg) {
				date_t cap = 0;
				int has_cap = !PQgetisnull(r, i, A_POINTS_EXPIRY) &&
					      date_parse(PQgetvalue(r, i, A_POINTS_EXPIRY), &cap) == 0;

				x.expires_on = lots_last_day(d, pg->p.expiry_days, pg->p.expiry_months,
							     has_cap, cap, &x.has_expires);
			}
		} else if (!strcmp(action, "expire_invoice")) {
			x.kind = K_EXPIRE;
			snprintf(x.document, sizeof(x.document), ACCT_DOC_EXPIRY "%s", PQgetvalue(r, i, A_INVOICE));
			text_copy(x.customer, sizeof(x.customer), PQgetvalue(r, i, A_INV_CUSTOMER));
			x.pending = -strtoll(PQgetvalue(r, i, A_PENDING), NULL, 10);
		} else {
			x.kind = K_REVERSE_EXPIRY;
			snprintf(x.document, sizeof(x.document), ACCT_DOC_REVERSAL "%s", PQgetvalue(r, i, A_INVOICE));
			text_copy(x.customer, sizeof(x.customer), PQgetvalue(r, i, A_INV_CUSTOMER));
			x.pending = strtoll(PQgetvalue(r, i, A_EXPIRED), NULL, 10);
		}
		rc = posting_entry(&post, account, program, ORIGIN_MANUAL, &x);
	}
	if (rc) {
		posting_stage_end(&post, 1);
		goto out;
	}
	if ((rc = posting_stage_end(&post, 0)) ||
	    (rc = posting_finish(&post, run_id, "manual adjustment")))
		goto out;
	{
		char id[32], counts[256];
		const char *p[2] = {id, counts};

		snprintf(id, sizeof(id), "%lld", run_id);
		snprintf(counts, sizeof(counts), "{\"entries\": %lld, \"journals\": %lld}",
			 posting_count(&post), post.journals);
		if ((rc = db_exec(db, e, "UPDATE runs SET counts = $2::jsonb WHERE run_id = $1::bigint",
				  2, p)))
			goto out;
	}
	{
		long unchanged = adjust_unchanged(db, e);

		if (unchanged >= 0)
			printf("%s: %d adjustment%s posted, %ld unchanged (posted before)\n", what, n,
			       n == 1 ? "" : "s", unchanged);
		else
			printf("%s: %d adjustment%s posted\n", what, n, n == 1 ? "" : "s");
	}
	posting_print_kinds(&post);
out:
	if (r)
		PQclear(r);
	if (run)
		PQclear(run);
	posting_free(&post);
	return rc;
}
