/*
 * accrue history --customer N [--from DATE] [--to DATE]
 *                [--format table|csv|xlsx] [--out FILE]    (SPEC §10, §11)
 *
 * One query, read through a cursor 1000 rows at a time inside one read-only
 * REPEATABLE READ transaction (core/engine/report), after the one tier set
 * of the account.  As CSV, an aligned table or a workbook (core/io/table),
 * to standard output or to --out FILE, written whole or not at all.
 *
 * Choices where the contract is silent:
 * - The default format is `table` (a person at a terminal); scripts and the
 *   scenarios ask for `--format csv`.
 * - An unknown customer is an error, exit 1 (`no customer "N"`): the command
 *   line named something that does not exist; it is not bad input data (65).
 * - A customer's program is its own, or for a child its parent's account's
 *   program (the parent's when set, else the child's own).  History
 *   counts only the ledger lines of that program: after a change of
 *   program the old program's units are not mixed into the new one's.
 * - A child's history is the whole history of its parent's account, every
 *   child's lines included, because the balances shown are the account's;
 *   each line names its own source customer.
 * - `history` without --to runs to the last entry, whatever its date (and
 *   lists every unposted invoice, whatever its date).
 * - The workbook's sheet is named "History N" (N the customer asked for,
 *   cut and cleaned as Excel requires: core/io/xlsx); it holds the CSV's
 *   rows, unposted lines included, as the screen finance knows does.
 * - Unposted pending (SPEC §2) exists for per_invoice programs only: an
 *   unposted invoice would earn what the daily close would give it if it were
 *   posted now — its tier picked by the cumulative eligible spend of the
 *   account's posted invoices ordered before it (date, then number) plus its
 *   own eligible amount — and other unposted invoices do not count in that
 *   spend.  Tiered programs earn on period totals, not per invoice, so they
 *   show 0.00 and list no unposted lines.  A no_points invoice would earn
 *   nothing, so it is neither counted nor listed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "money.h"
#include "report.h"
#include "runs.h"
#include "sbuf.h"
#include "table.h"
#include "tiers.h"

/* ---- history ---- */

static const char history_help[] =
	"usage: accrue history --customer N [--from DATE] [--to DATE] [--format table|csv|xlsx]\n"
	"                      [--out FILE]\n"
	"\n"
	"Prints the ledger lines of customer N's account in date order, with the\n"
	"pending and usable balances after each line (counted from the account's\n"
	"first line, whatever --from says).  For a child, that is its parent's\n"
	"account: every line of it, each naming the customer whose document it is.\n"
	"\n"
	"  --customer N     the customer (required)\n"
	"  --from DATE      first date shown (YYYY-MM-DD; default: the first line)\n"
	"  --to DATE        last date shown (default: the last line)\n"
	"  --format FORMAT  table (default: aligned columns), csv, or xlsx (an Excel\n"
	"                   workbook: dates as dates, amounts as numbers, codes as\n"
	"                   text; needs --out or a redirection, not a terminal)\n"
	"  --out FILE       write FILE (whole or not at all) instead of stdout\n"
	"\n"
	"In a per_invoice program, each unposted invoice of the account is listed\n"
	"too, as a line of type `unposted` on the invoice's date, after the ledger\n"
	"lines of that date: pending is what it would earn if posted now; it\n"
	"changes no balance.\n"
	"\n"
	"columns: date,type,document,pending,pending_balance,usable,usable_balance,\n"
	"expired,note,customer,name\n"
	"  expired  the last usable day of the lot the line opens, if any\n";

static const char *const history_cols[] = {
	"date", "type", "document", "pending", "pending_balance", "usable",
	"usable_balance", "expired", "note", "customer", "name",
};
static const enum table_align history_align[] = {
	TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT,
	TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT,
};
static const enum xlsx_cell history_types[] = {
	XLSX_DATE, XLSX_TEXT, XLSX_TEXT, XLSX_AMOUNT, XLSX_AMOUNT, XLSX_AMOUNT,
	XLSX_AMOUNT, XLSX_DATE, XLSX_TEXT, XLSX_TEXT, XLSX_TEXT,
};
#define HISTORY_NCOLS (sizeof(history_cols) / sizeof(history_cols[0]))

/* The account and program whose history customer $1 sees. */
static const char history_account_sql[] =
	"SELECT COALESCE(c.parent, c.customer), COALESCE(par.program, c.program)"
	"  FROM customers c LEFT JOIN customers par ON par.customer = c.parent"
	" WHERE c.customer = $1";
enum { HA_ACCOUNT, HA_PROGRAM };

/*
 * The tier set the account's invoices earn by in program $2 when that is a
 * per_invoice program (SPEC §2: the account's own set, customer $1, replaces
 * the program's, customer ''); no rows otherwise.  Columns RT_*.
 */
static const char history_tiers_sql[] =
	"SELECT t.tier, t.category, t.lower_cents, t.upper_cents, t.rate_ppm, t.factor_cents"
	"  FROM tiers t JOIN programs p ON p.program = t.program"
	"  JOIN earning_rules er ON er.earning = p.earning"
	" WHERE t.program = $2::text AND er.per_invoice"
	"   AND t.customer = CASE WHEN EXISTS (SELECT 1 FROM tiers own"
	"                                       WHERE own.program = $2::text"
	"                                         AND own.customer = $1::text)"
	"                         THEN $1::text ELSE '' END"
	" ORDER BY t.lower_cents, t.tier COLLATE \"C\"";

/*
 * $1 account, $2 program (NULL: every line of the account), $3 from, $4 to
 * (NULL: open).  The running balances run over every line from the first
 * (a window over the whole account), and only then are lines before $3 left
 * out; lines after $4 change nothing before it, so they are not read.
 *
 * With a per_invoice program $2, the account's per_invoice invoices come in
 * too (SPEC §2 unposted pending), after the ledger lines of their date, in
 * (date, number) order, with no units of their own (they change no
 * balance): an unposted one is a line of the report, a posted one is not
 * shown (it only adds to the spend the next unposted ones are priced by,
 * in C, by core/rules/tiers) — so those are read whatever --from says.
 */
static const char history_sql[] =
	"DECLARE history_rows NO SCROLL CURSOR FOR "
	"WITH invoice AS ("
	"  SELECT i.invoice, i.customer, i.doc_date, i.category, i.status,"
	"         CASE WHEN p.basis = 'total' THEN i.total_cents ELSE i.net_cents END AS eligible"
	"    FROM programs p"
	"    JOIN earning_rules er ON er.earning = p.earning"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = $1::text"
	"    JOIN invoices i ON i.account = $1::text AND i.customer = c.customer"
	"   WHERE p.program = $2::text AND er.per_invoice"
	"     AND i.kind = 'invoice' AND NOT i.no_points AND i.status IN ('posted', 'unposted')"
	"     AND ($4::date IS NULL OR i.doc_date <= $4::date)"
	"), line AS ("
	"  SELECT l.entry_date AS day, 0 AS src, l.entry_id, NULL::text AS invoice, l.kind,"
	"         l.document, l.pending_units, l.usable_units, l.expires_on, l.note, l.customer,"
	"         NULL::text AS category, NULL::text AS status, NULL::bigint AS eligible"
	"    FROM ledger l"
	"   WHERE l.account = $1"
	"     AND ($2::text IS NULL OR l.program = $2::text)"
	"     AND ($4::date IS NULL OR l.entry_date <= $4::date)"
	"  UNION ALL"
	"  SELECT u.doc_date, 1, NULL, u.invoice, 'unposted', u.invoice, 0, 0, NULL, 'unposted',"
	"         u.customer, u.category, u.status, u.eligible"
	"    FROM invoice u"
	") "
	"SELECT to_char(h.day, 'YYYY-MM-DD'), h.kind, h.document,"
	"       h.pending_units, h.pending_balance, h.usable_units, h.usable_balance,"
	"       to_char(h.expires_on, 'YYYY-MM-DD'), h.note, h.customer, c.name,"
	"       h.category, h.status, h.eligible,"
	"       $3::date IS NULL OR h.day >= $3::date"
	"  FROM (SELECT ln.*,"
	"               sum(ln.pending_units) OVER w AS pending_balance,"
	"               sum(ln.usable_units) OVER w AS usable_balance"
	"          FROM line ln"
	"        WINDOW w AS (ORDER BY ln.day, ln.src, ln.entry_id, ln.invoice COLLATE \"C\""
	"                     ROWS UNBOUNDED PRECEDING)) h"
	"  JOIN customers c ON c.customer = h.customer"
	" WHERE $3::date IS NULL OR h.day >= $3::date OR h.src = 1"
	" ORDER BY h.day, h.src, h.entry_id, h.invoice COLLATE \"C\"";
/* Its columns: the report's (amounts in hundredths), then for an invoice
 * its category, status and eligible cents (NULL for a ledger line), and
 * whether the row is on or after --from. */
enum { H_DATE, H_TYPE, H_DOCUMENT, H_PENDING, H_PENDING_BALANCE, H_USABLE, H_USABLE_BALANCE,
       H_EXPIRED, H_NOTE, H_CUSTOMER, H_NAME, H_CATEGORY, H_STATUS, H_ELIGIBLE, H_IN_RANGE };

/* The per_invoice tier set of the account, for its unposted lines, and the
 * spend of its posted invoices so far. */
struct history_tiers {
	struct tier *t;             /* REPORT_MAX_TIERS */
	size_t n;
	struct tiers_spend spend;
};

static int history_row(PGresult *r, int row, struct history_tiers *ts,
		       struct table_out *t, const struct report_out *o, struct err *e)
{
	char amount[4][MONEY_FMT_SIZE];
	const char *cells[HISTORY_NCOLS];

	if (!PQgetisnull(r, row, H_STATUS)) {
		/* a per_invoice invoice: a posted one only adds to the spend;
		 * an unposted one's pending is what it would earn */
		int posted = !strcmp(PQgetvalue(r, row, H_STATUS), "posted");
		int64_t eligible, units;

		if (report_i64(PQgetvalue(r, row, H_ELIGIBLE), &eligible, e))
			return e->exit;
		units = tiers_unposted_units(&ts->spend, ts->t, ts->n, PQgetvalue(r, row, H_CATEGORY),
					     posted, eligible);
		if (posted || strcmp(PQgetvalue(r, row, H_IN_RANGE), "t") != 0)
			return 0;
		decimal_format(units, 2, amount[0]);
	} else if (report_amount(r, row, H_PENDING, amount[0], e)) {
		return e->exit;
	}
	for (int i = 1; i < 4; i++)
		if (report_amount(r, row, H_PENDING + i, amount[i], e))
			return e->exit;
	for (int i = 0; i < (int)HISTORY_NCOLS; i++)
		cells[i] = (i >= H_PENDING && i <= H_USABLE_BALANCE) ? amount[i - H_PENDING]
								       : PQgetvalue(r, row, i);
	if (table_row(t, cells))
		return report_table_failed(e, t, o);
	return 0;
}

/* history_row through report_each. */
struct history_each {
	struct history_tiers *ts;
	struct table_out *t;
	const struct report_out *o;
	struct err *e;
};

static int history_each_row(void *ctx, PGresult *r, int i)
{
	struct history_each *h = ctx;

	return history_row(r, i, h->ts, h->t, h->o, h->e);
}

/* Load the tier set of history_tiers_sql into ts (ts->t has room for
 * REPORT_MAX_TIERS). */
static int history_load_tiers(PGconn *db, const char *const params[2],
			      struct history_tiers *ts, struct err *e)
{
	PGresult *r = db_query(db, e, history_tiers_sql, 2, params);
	int rc = 0;

	if (!r)
		return e->exit;
	if (PQntuples(r) > REPORT_MAX_TIERS)
		rc = err_set(e, EXIT_FAIL, "program %.100s: the tier set of account %.100s has more than %d tiers",
			     params[1], params[0], REPORT_MAX_TIERS);
	for (int i = 0; i < PQntuples(r) && !rc; i++)
		rc = report_tier(r, i, 0, &ts->t[ts->n++], e);
	PQclear(r);
	return rc;
}

/* The account and program whose history `customer` sees, into the caller's
 * buffers (freed by the caller); "no customer" when there is none. */
static int history_account(PGconn *db, const char *customer, char **account,
			   char **program, struct err *e)
{
	const char *params[] = {customer};
	PGresult *r = db_query(db, e, history_account_sql, 1, params);
	int rc = 0;

	if (!r)
		return e->exit;
	if (PQntuples(r) == 0) {
		rc = err_set(e, EXIT_FAIL, "no customer \"%.200s\"", customer);
	} else {
		*account = strdup(PQgetvalue(r, 0, HA_ACCOUNT));
		*program = PQgetisnull(r, 0, HA_PROGRAM) ? NULL : strdup(PQgetvalue(r, 0, HA_PROGRAM));
		if (!*account || (!*program && !PQgetisnull(r, 0, HA_PROGRAM)))
			rc = err_set(e, EXIT_FAIL, "out of memory");
	}
	PQclear(r);
	return rc;
}

static int history_run(PGconn *db, const char *const params[4], struct table_out *t,
		       const struct report_out *o, struct err *e)
{
	struct history_tiers ts = {0};
	PGresult *r;
	int rc = 0;

	if (!(ts.t = calloc(REPORT_MAX_TIERS, sizeof(*ts.t))))
		return err_set(e, EXIT_FAIL, "out of memory");
	if (params[1] && (rc = history_load_tiers(db, params, &ts, e)))
		goto out;
	if (!(r = db_query(db, e, history_sql, 4, params))) {
		rc = e->exit;
		goto out;
	}
	PQclear(r);
	{
		struct history_each each = {&ts, t, o, e};

		rc = report_each(db, e, "FETCH " REPORT_FETCH " FROM history_rows", history_each_row,
				 &each);
	}
out:
	free(ts.t);
	return rc;
}

int cmd_history(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'F'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum table_format fmt = TABLE_TEXT;
	const char *customer = NULL, *out = NULL;
	char sheet[XLSX_SHEET_NAME_SIZE];
	struct report_out o;
	char *account = NULL, *program = NULL;
	char from_text[DATE_FMT_SIZE], to_text[DATE_FMT_SIZE];
	date_t from = 0, to = 0;
	int have_from = 0, have_to = 0, c, rc;
	struct table_out t;
	struct err e = {0};
	PGconn *db;

	if (app_wants_help(argc, argv)) {
		fputs(history_help, stdout);
		return EXIT_OK;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (report_customer_arg("history", optarg, &customer))
				return EXIT_USAGE;
			break;
		case 'f':
			if (app_date_arg("history", "--from", optarg, &from))
				return EXIT_USAGE;
			have_from = 1;
			break;
		case 't':
			if (app_date_arg("history", "--to", optarg, &to))
				return EXIT_USAGE;
			have_to = 1;
			break;
		case 'F':
			if (report_format_arg("history", optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("history", "--out: empty file name");
			out = optarg;
			break;
		case 'h':
			fputs(history_help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("history", c, argv);
		}
	}
	if (optind < argc)
		return app_usage("history", "unexpected argument \"%s\"", argv[optind]);
	if (!customer)
		return app_usage("history", "--customer is required");
	if (have_from && have_to && from > to)
		return app_usage("history", "--from %s is after --to %s",
				 date_format(from, from_text), date_format(to, to_text));
	if (have_from)
		date_format(from, from_text);
	if (have_to)
		date_format(to, to_text);
	if (report_out_check("history", fmt, out))
		return EXIT_USAGE;

	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (report_begin(db, &e))
		return app_fail(&e);
	if (!(rc = history_account(db, customer, &account, &program, &e))) {
		const char *params[4] = {account, program, have_from ? from_text : NULL,
					 have_to ? to_text : NULL};

		xlsx_sheet_name("History", customer, sheet);
		if (!(rc = report_out_open(&o, out, &e))) {
			if (table_begin_sheet(&t, o.f, fmt, HISTORY_NCOLS, history_cols, history_align,
					      history_types, sheet))
				rc = report_table_failed(&e, &t, &o);
			else
				rc = history_run(db, params, &t, &o, &e);
			if (rc)
				table_abort(&t);
			else if (table_end(&t))
				rc = report_table_failed(&e, &t, &o);
			rc = report_out_close(&o, rc, &e);
		}
	}
	report_rollback(db);
	free(account);
	free(program);
	return rc ? app_fail(&e) : EXIT_OK;
}
