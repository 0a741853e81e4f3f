/*
 * accrue adjust add | expire-invoice | reverse-expiry (SPEC §6), and the
 * posting of `import adjustments`.  See adjust.h.
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
#include <getopt.h>
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

/* Every staged request with its account, program and current figures. */
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
	"             AND l.document IN (r.invoice, 'E' || r.invoice, 'R' || r.invoice)) AS pending," \
	"         (SELECT COALESCE(-sum(l.pending_units) FILTER (WHERE l.kind = 'expire'" \
	"                                 AND l.document IN (r.invoice, 'E' || r.invoice)), 0)" \
	"               - COALESCE(sum(l.pending_units) FILTER (WHERE l.kind = 'reverse_expiry'" \
	"                                 AND l.document = 'R' || r.invoice), 0)" \
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
/* The columns of adjust_checks. */
enum { CHK_LINE, CHK_COLUMN, CHK_MESSAGE };

/* Rows of an imported file found posted before, or -1 (not an import). */
static long adjust_unchanged(PGconn *db, struct err *e)
{
	PGresult *u = db_query(db, e, "SELECT to_regclass('pg_temp.adjust_unchanged') IS NOT NULL",
			       0, NULL);
	long n = -1;

	if (u && !strcmp(PQgetvalue(u, 0, 0), "t")) {
		PQclear(u);
		u = db_query(db, e, "SELECT n FROM adjust_unchanged", 0, NULL);
		if (u && PQntuples(u))
			n = atol(PQgetvalue(u, 0, 0));
	}
	if (u)
		PQclear(u);
	return n;
}

int adjust_post_staged(PGconn *db, struct err *e, const char *what)
{
	struct posting post;
	PGresult *r = NULL, *run = NULL;
	long long run_id = 0;
	int rc, n, got;

	/* Not while a close runs: the close's GL would not see this journal. */
	if ((rc = db_try_lock(db, e, RUNS_LOCK_CLOSE, 1, &got)))
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
		run_id = atoll(PQgetvalue(run, 0, 0));
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
		date_parse(PQgetvalue(r, i, A_DATE), &d);
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
			snprintf(x.document, sizeof(x.document), "E%s", PQgetvalue(r, i, A_INVOICE));
			text_copy(x.customer, sizeof(x.customer), PQgetvalue(r, i, A_INV_CUSTOMER));
			x.pending = -strtoll(PQgetvalue(r, i, A_PENDING), NULL, 10);
		} else {
			x.kind = K_REVERSE_EXPIRY;
			snprintf(x.document, sizeof(x.document), "R%s", PQgetvalue(r, i, A_INVOICE));
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

/* -- the command ------------------------------------------------------------- */

static const char help[] =
	"usage: accrue adjust add --customer N --amount X --reason TEXT [--reference REF] [--date D]\n"
	"       accrue adjust expire-invoice --customer N --invoice I --invoice-date D --reason TEXT [--date D]\n"
	"       accrue adjust reverse-expiry --customer N --invoice I --invoice-date D --reason TEXT [--date D]\n"
	"\n"
	"Manual entries on a customer's reward account, each with its GL journal:\n"
	"  add             add (or, negative, take away) usable units; the reference\n"
	"                  defaults to MANUALADJ; the usable balance cannot go below zero\n"
	"  expire-invoice  expire a posted invoice's pending units (source E<invoice>);\n"
	"                  --invoice-date must be the invoice's date\n"
	"  reverse-expiry  make an expired invoice's units pending again (source\n"
	"                  R<invoice>); it then vests when paid in full, whatever the date\n"
	"A reason is required.  A child named is applied to its parent, with a\n"
	"warning.  --date (default today) may not be before the last completed close.\n"
	"Many at once: accrue import adjustments FILE.csv\n";

/* Option names for the columns a check names. */
static const char *option_of(const char *column)
{
	static const char *const map[][2] = {
		{"customer", "--customer"}, {"amount", "--amount"}, {"invoice", "--invoice"},
		{"invoice_date", "--invoice-date"}, {"reference", "--reference"},
		{"reason", "--reason"}, {"date", "--date"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], column))
			return map[i][1];
	return column;
}

int cmd_adjust(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"amount", required_argument, NULL, 'a'},
		{"reason", required_argument, NULL, 'r'},
		{"reference", required_argument, NULL, 'R'},
		{"date", required_argument, NULL, 'd'},
		{"invoice", required_argument, NULL, 'i'},
		{"invoice-date", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *action, *customer = NULL, *amount = NULL, *reason = NULL, *reference = NULL;
	const char *date = NULL, *invoice = NULL, *invoice_date = NULL;
	char units[32] = "", today[DATE_FMT_SIZE], what[64];
	struct err e = {0}, ignored;
	PGconn *db;
	date_t d;
	int opt, rc = 0, bad = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		action = "add";
	else if (!strcmp(argv[1], "expire-invoice"))
		action = "expire_invoice";
	else if (!strcmp(argv[1], "reverse-expiry"))
		action = "reverse_expiry";
	else
		return app_usage("adjust", "unknown action \"%s\" (add, expire-invoice or reverse-expiry)",
				 argv[1]);
	snprintf(what, sizeof(what), "adjust %s", argv[1]);
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': customer = optarg; break;
		case 'a': amount = optarg; break;
		case 'r': reason = optarg; break;
		case 'R': reference = optarg; break;
		case 'i': invoice = optarg; break;
		case 'd':
			if (app_date_arg(what, "--date", optarg, &d))
				return EXIT_USAGE;
			date = optarg;
			break;
		case 'I':
			if (app_date_arg(what, "--invoice-date", optarg, &d))
				return EXIT_USAGE;
			invoice_date = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage(what, "unknown option");
		}
	}
	if (optind < argc)
		return app_usage(what, "unexpected argument \"%s\"", argv[optind]);
	if (!customer)
		return app_usage(what, "--customer is required");
	if (!reason || !*reason)
		return app_usage(what, "--reason is required: say why");
	if (strpbrk(reason, "\r\n") || (reference && strpbrk(reference, "\r\n")))
		return app_usage(what, "--reason and --reference must be one line");
	if (!strcmp(action, "add")) {
		int64_t v;
		enum decimal_status st;

		if (!amount)
			return app_usage(what, "--amount is required");
		if ((st = decimal_parse(amount, 2, &v)) != DECIMAL_OK)
			return app_usage(what, "--amount: \"%s\" %s", amount, decimal_status_text(st, 2));
		snprintf(units, sizeof(units), "%lld", (long long)v);
		if (invoice || invoice_date)
			return app_usage(what, "--invoice and --invoice-date are for expire-invoice and "
					 "reverse-expiry");
	} else {
		if (!invoice || !invoice_date)
			return app_usage(what, "--invoice and --invoice-date are required");
		if (amount || reference)
			return app_usage(what, "--amount and --reference are for adjust add");
	}
	date_format(app_today(a), today);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	{
		const char *p[9] = {customer, action, *units ? units : NULL, invoice, invoice_date,
				    reference, reason, date, today};
		const char *t[1] = {today};

		if ((rc = db_exec(db, &e, "BEGIN", 0, NULL)) ||
		    (rc = db_exec_script(db, &e, ADJUST_STAGE_SQL)) ||
		    (rc = db_exec(db, &e, "SELECT set_config('accrue.today', $1, true)", 1, t)) ||
		    (rc = db_exec(db, &e,
				  "INSERT INTO stage (line, customer, action, units, invoice, invoice_date,"
				  " reference, reason, entry_date)"
				  " VALUES (1, $1, $2, $3::bigint, $4, $5::date, $6, $7, $8::date)", 8, p)))
			goto fail;
	}
	for (const char *const *q = adjust_checks; *q; q++) {
		PGresult *r = db_query(db, &e, *q, 0, NULL);

		if (!r) {
			rc = e.exit;
			goto fail;
		}
		for (int i = 0; i < PQntuples(r); i++) {
			fprintf(stderr, "accrue %s: %s: %s\n", what, option_of(PQgetvalue(r, i, CHK_COLUMN)),
				PQgetvalue(r, i, CHK_MESSAGE));
			bad++;
		}
		PQclear(r);
	}
	if (bad) {
		fprintf(stderr, "accrue %s: refused: nothing was written\n", what);
		rc = EXIT_DATAERR;
		goto fail;
	}
	if ((rc = adjust_post_staged(db, &e, what)) ||
	    (rc = db_exec(db, &e, "COMMIT", 0, NULL)))
		goto fail;
	return EXIT_OK;
fail:
	db_exec(db, &ignored, "ROLLBACK", 0, NULL);
	if (e.msg[0] && rc != EXIT_DATAERR)
		app_fail(&e);
	return rc;
}
