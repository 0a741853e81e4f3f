/*
 * accrue balances [--customer N] [--as-of DATE] [--format table|csv|xlsx]
 *                 [--out FILE]                             (SPEC §10, §11)
 *
 * One set-based query, read through a cursor 1000 rows at a time inside one
 * read-only REPEATABLE READ transaction (core/engine/report): one snapshot,
 * and memory that does not grow with the number of customers.  As CSV, an
 * aligned table or a workbook (core/io/table; the workbook streams too:
 * core/io/xlsx), to standard output or to --out FILE, written whole or not
 * at all.
 *
 * Choices where the contract is silent:
 * - The default format is `table` (a person at a terminal); scripts and the
 *   scenarios ask for `--format csv`.
 * - An unknown customer is an error, exit 1 (`no customer "N"`): the command
 *   line named something that does not exist; it is not bad input data (65).
 *   `balances --customer N` for a customer in no program prints the header
 *   only, with a note on stderr.
 * - A customer's program is its own, or for a child its parent's account's
 *   program (the parent's when set, else the child's own).  Balances
 *   count only the ledger lines of that program: after a change of
 *   program the old program's units are not mixed into the new one's.
 * - Unposted pending (SPEC §2) exists for per_invoice programs only: an
 *   unposted invoice would earn what the daily close would give it if it were
 *   posted now — its tier picked by the cumulative eligible spend of the
 *   account's posted invoices ordered before it (date, then number) plus its
 *   own eligible amount — and other unposted invoices do not count in that
 *   spend.  Tiered programs earn on period totals, not per invoice, so they
 *   show 0.00 and list no unposted lines.  A no_points invoice would earn
 *   nothing, so it is neither counted nor listed.
 * - The workbook's sheet is named "Balances DATE", the as-of date.
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

/* ---- balances ---- */

static const char balances_help[] =
	"usage: accrue balances [--customer N] [--as-of DATE] [--format table|csv|xlsx]\n"
	"                       [--out FILE]\n"
	"\n"
	"Prints the balances of every customer in a program, one row each, ordered\n"
	"by customer number (numeric numbers first, in numeric order).  A child\n"
	"shows its parent's account and the account's balances.\n"
	"\n"
	"  --customer N     only customer N\n"
	"  --as-of DATE     ledger lines and sales up to and including DATE\n"
	"                   (YYYY-MM-DD; default: today, or the last close when later)\n"
	"  --format FORMAT  table (default: aligned columns), csv, or xlsx (an Excel\n"
	"                   workbook: amounts as numbers, codes as text; needs --out\n"
	"                   or a redirection, not a terminal)\n"
	"  --out FILE       write FILE (whole or not at all) instead of stdout\n"
	"\n"
	"columns: customer,account,program,unit,pending,usable,unposted_pending,\n"
	"ltd_earned,ltd_used,ltd_expired,ytd_sales,tier\n"
	"  unposted_pending  per_invoice programs: what the account's unposted\n"
	"               invoices dated up to DATE would earn if posted now (each\n"
	"               tiered by the spend of the posted invoices before it plus\n"
	"               its own); 0.00 for other programs\n"
	"  ltd_expired  expiries minus reversed expiries\n"
	"  ltd_used     redemptions\n"
	"  ltd_earned   earnings, accruals and adjustments, minus ltd_expired\n"
	"               (so pending + usable = ltd_earned - ltd_used)\n"
	"  ytd_sales    the account's eligible posted sales (children included)\n"
	"               from the start of the program's fiscal year to DATE\n"
	"  tier         for ytd_tiered programs, the tier whose range holds\n"
	"               ytd_sales (empty when below, above or between tiers)\n";

static const char *const balances_cols[] = {
	"customer", "account", "program", "unit", "pending", "usable",
	"unposted_pending", "ltd_earned", "ltd_used", "ltd_expired", "ytd_sales", "tier",
};
static const enum table_align balances_align[] = {
	TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT,
	TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT,
};
static const enum xlsx_cell balances_types[] = {
	XLSX_TEXT, XLSX_TEXT, XLSX_TEXT, XLSX_TEXT, XLSX_AMOUNT, XLSX_AMOUNT,
	XLSX_AMOUNT, XLSX_AMOUNT, XLSX_AMOUNT, XLSX_AMOUNT, XLSX_AMOUNT, XLSX_TEXT,
};
#define BALANCES_NCOLS (sizeof(balances_cols) / sizeof(balances_cols[0]))

/*
 * One row per (customer, detail of its account): the report columns, then
 * the details — first the rows of the account's tier set (a fiscal-year
 * rule, for the tier column; per_invoice with unposted invoices, to price
 * them), then every per_invoice invoice of an account with unposted ones, in
 * (date, number) order — or NULL details for an account with neither.
 *
 * The rules come from one place each: the life-to-date figures from
 * ledger_ltd, the fiscal year from fiscal_year_start, the eligible sales
 * from sales_documents, the earning rule's kind from earning_rules (all
 * sql/005_rules.sql); the tier of the ytd_sales and the units an unposted
 * invoice would earn are decided in C, by core/rules/tiers — the rules the
 * closes use.
 *
 * $1 as-of date, $2 the customer or NULL for all.
 */
static const char balances_sql[] =
	"DECLARE balances_rows NO SCROLL CURSOR FOR "
	"WITH member AS ("
	/* every customer in a program, itself or through its parent (SPEC §2) */
	"  SELECT c.customer, COALESCE(c.parent, c.customer) AS account,"
	"         COALESCE(par.program, c.program) AS program"
	"    FROM customers c LEFT JOIN customers par ON par.customer = c.parent"
	"   WHERE COALESCE(par.program, c.program) IS NOT NULL"
	"     AND ($2::text IS NULL OR c.customer = $2::text)"
	"), account AS ("
	"  SELECT DISTINCT m.account, m.program, p.basis, er.per_invoice, er.sales_by,"
	"         fiscal_year_start($1::date, p.fiscal_year_start) AS fy_start"
	"    FROM member m JOIN programs p ON p.program = m.program"
	"    JOIN earning_rules er ON er.earning = p.earning"
	"), led AS ("
	/* so that pending + usable = ltd_earned − ltd_used */
	"  SELECT l.account, l.program,"
	"         sum(l.pending_units)::bigint AS pending,"
	"         sum(l.usable_units)::bigint AS usable,"
	"         COALESCE(sum(l.pending_units + l.usable_units)"
	"                  FILTER (WHERE ledger_ltd(l.kind) = 'earned'), 0) AS earned,"
	"         -COALESCE(sum(l.pending_units + l.usable_units)"
	"                   FILTER (WHERE ledger_ltd(l.kind) = 'expired'), 0) AS expired,"
	"         -COALESCE(sum(l.usable_units) FILTER (WHERE ledger_ltd(l.kind) = 'used'), 0) AS used"
	"    FROM ledger l JOIN account a ON a.account = l.account AND a.program = l.program"
	"   WHERE l.entry_date <= $1::date"
	"   GROUP BY l.account, l.program"
	"), sales AS ("
	/* the account's and its children's eligible sales of the fiscal year,
	 * on the program's basis */
	"  SELECT a.account, a.program,"
	"         sum(CASE WHEN a.basis = 'total' THEN i.total_cents ELSE i.net_cents END)::bigint AS ytd"
	"    FROM account a"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = a.account"
	"    JOIN sales_documents i ON i.account = a.account AND i.customer = c.customer"
	"   WHERE i.doc_date BETWEEN a.fy_start AND $1::date"
	"   GROUP BY a.account, a.program"
	"), pending_account AS ("
	/* the per_invoice accounts with unposted invoices that would earn, so
	 * that only their invoices are read below */
	"  SELECT DISTINCT a.account, a.program, a.basis"
	"    FROM account a"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = a.account"
	"    JOIN invoices i ON i.account = a.account AND i.customer = c.customer"
	"   WHERE a.per_invoice AND i.kind = 'invoice' AND i.status = 'unposted'"
	"     AND NOT i.no_points AND i.doc_date <= $1::date"
	"), tierset AS ("
	/* the account's own tier set replaces the program's (customer '') */
	"  SELECT a.account, a.program, t.tier, t.category, t.lower_cents, t.upper_cents,"
	"         t.rate_ppm, t.factor_cents"
	"    FROM account a JOIN tiers t ON t.program = a.program"
	"   WHERE (a.sales_by = 'fiscal_year'"
	"          OR (a.account, a.program) IN (SELECT account, program FROM pending_account))"
	"     AND t.customer = CASE WHEN EXISTS (SELECT 1 FROM tiers own"
	"                                         WHERE own.program = a.program"
	"                                           AND own.customer = a.account)"
	"                           THEN a.account ELSE '' END"
	"), invoice AS ("
	/* SPEC §2 unposted pending: the posted invoices make the spend, the
	 * unposted ones are priced (not cancelled, not no_points, children
	 * included) */
	"  SELECT pa.account, pa.program, i.doc_date, i.invoice, i.status, i.category,"
	"         CASE WHEN pa.basis = 'total' THEN i.total_cents ELSE i.net_cents END AS eligible"
	"    FROM pending_account pa"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = pa.account"
	"    JOIN invoices i ON i.account = pa.account AND i.customer = c.customer"
	"   WHERE i.kind = 'invoice' AND NOT i.no_points"
	"     AND i.status IN ('posted', 'unposted') AND i.doc_date <= $1::date"
	"), detail AS ("
	"  SELECT account, program, 0 AS detail, tier, category, lower_cents, upper_cents,"
	"         rate_ppm, factor_cents, NULL::date AS doc_date, NULL::text AS invoice,"
	"         NULL::text AS status, NULL::bigint AS eligible"
	"    FROM tierset"
	"  UNION ALL"
	"  SELECT account, program, 1, NULL, category, NULL, NULL, NULL, NULL, doc_date, invoice,"
	"         status, eligible"
	"    FROM invoice"
	") "
	"SELECT m.customer, m.account, m.program, p.unit,"
	"       led.pending, led.usable, led.earned - led.expired, led.used, led.expired,"
	"       s.ytd, er.sales_by = 'fiscal_year', d.detail,"
	"       d.tier, d.category, d.lower_cents, d.upper_cents, d.rate_ppm, d.factor_cents,"
	"       d.status, d.eligible"
	"  FROM member m"
	/* (a LEFT JOIN, though every member has its program, so that the
	 * planner keeps counting every member row and does not pick a nested
	 * loop for the joins below) */
	"  LEFT JOIN programs p ON p.program = m.program"
	"  LEFT JOIN earning_rules er ON er.earning = p.earning"
	"  LEFT JOIN led ON led.account = m.account AND led.program = m.program"
	"  LEFT JOIN sales s ON s.account = m.account AND s.program = m.program"
	"  LEFT JOIN detail d ON d.account = m.account AND d.program = m.program"
	/* customer numbers: all-digit ones first in numeric order, then the
	 * rest byte by byte (independent of the database's collation); the
	 * tier rows of a customer before its invoices, in (date, number) order */
	" ORDER BY m.customer ~ '^[0-9]{1,30}$' DESC,"
	"          CASE WHEN m.customer ~ '^[0-9]{1,30}$' THEN m.customer::numeric END,"
	"          m.customer COLLATE \"C\", d.detail, d.lower_cents, d.tier COLLATE \"C\","
	"          d.doc_date, d.invoice COLLATE \"C\"";
/* Its columns: the report's up to ytd_sales (cents), then whether the tier
 * column shows a tier, then the detail — 0 a tier row (B_TIER + RT_*), 1 an
 * invoice (B_CATEGORY, B_STATUS, B_ELIGIBLE cents), NULL none. */
enum { B_CUSTOMER, B_ACCOUNT, B_PROGRAM, B_UNIT, B_PENDING, B_USABLE, B_LTD_EARNED, B_LTD_USED,
       B_LTD_EXPIRED, B_YTD_SALES, B_SHOWS_TIER, B_DETAIL, B_TIER,
       B_CATEGORY = B_TIER + RT_CATEGORY, B_STATUS = B_TIER + RT_COLS, B_ELIGIBLE };

/* The report row of one customer while its detail rows stream by. */
struct balances_row {
	int active;
	int shows_tier;             /* a fiscal-year rule: the tier of ytd_sales */
	struct sbuf cells;          /* the columns before `tier`, each NUL-terminated
				     * (unposted_pending an empty placeholder) */
	int64_t ytd_cents;
	int64_t unposted_units;     /* Σ would-be units of the unposted invoices */
	struct tiers_spend spend;   /* of the posted invoices read so far */
	struct tier *tiers;         /* REPORT_MAX_TIERS */
	size_t ntiers;
	struct sbuf names;          /* full tier names, each NUL-terminated */
	size_t name_at[REPORT_MAX_TIERS];
};

#define BALANCES_UNPOSTED_COL 6     /* unposted_pending in balances_cols */

static int balances_emit(struct balances_row *b, struct table_out *t, const struct report_out *o,
			 struct err *e)
{
	const char *cells[BALANCES_NCOLS];
	const char *p = sbuf_str(&b->cells);
	char unposted[MONEY_FMT_SIZE];
	int pick = TIERS_EMPTY;

	for (size_t i = 0; i + 1 < BALANCES_NCOLS; i++) {
		cells[i] = p;
		p += strlen(p) + 1;
	}
	cells[BALANCES_UNPOSTED_COL] = decimal_format(b->unposted_units, 2, unposted);
	/* below, above or between the tiers: no tier to show */
	if (b->shows_tier)
		pick = tiers_pick_range(b->tiers, b->ntiers, "", b->ytd_cents);
	cells[BALANCES_NCOLS - 1] = pick >= 0 ? b->names.p + b->name_at[pick] : "";
	b->active = 0;
	if (table_row(t, cells))
		return report_table_failed(e, t, o);
	return 0;
}

static int balances_start(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	/* result column of each output column; -1: unposted_pending, filled in
	 * by balances_emit once the customer's unposted invoices are read */
	static const int from[BALANCES_NCOLS - 1] = {
		B_CUSTOMER, B_ACCOUNT, B_PROGRAM, B_UNIT, B_PENDING, B_USABLE, -1,
		B_LTD_EARNED, B_LTD_USED, B_LTD_EXPIRED, B_YTD_SALES,
	};
	char buf[MONEY_FMT_SIZE];

	sbuf_reset(&b->cells);
	sbuf_reset(&b->names);
	b->ntiers = 0;
	b->ytd_cents = 0;
	b->unposted_units = 0;
	memset(&b->spend, 0, sizeof(b->spend));
	b->shows_tier = !strcmp(PQgetvalue(r, row, B_SHOWS_TIER), "t");
	for (size_t i = 0; i + 1 < BALANCES_NCOLS; i++) {
		const char *v;

		if (from[i] < 0) {
			v = "";
		} else if (from[i] >= B_PENDING) {
			if (report_amount(r, row, from[i], buf, e))
				return e->exit;
			v = buf;
		} else {
			v = PQgetvalue(r, row, from[i]);
		}
		if (sbuf_add(&b->cells, v, strlen(v) + 1))
			return err_set(e, EXIT_FAIL, "customer %.100s: row too large",
				       PQgetvalue(r, row, B_CUSTOMER));
	}
	if (!PQgetisnull(r, row, B_YTD_SALES) &&
	    report_i64(PQgetvalue(r, row, B_YTD_SALES), &b->ytd_cents, e))
		return e->exit;
	b->active = 1;
	return 0;
}

static int balances_add_tier(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	const char *name = PQgetvalue(r, row, B_TIER + RT_NAME);

	if (b->ntiers == REPORT_MAX_TIERS)
		return err_set(e, EXIT_FAIL, "program %.100s: the tier set of account %.100s has more than %d tiers",
			       PQgetvalue(r, row, B_PROGRAM), PQgetvalue(r, row, B_ACCOUNT),
			       REPORT_MAX_TIERS);
	if (report_tier(r, row, B_TIER, &b->tiers[b->ntiers], e))
		return e->exit;
	b->name_at[b->ntiers] = b->names.len;
	if (sbuf_add(&b->names, name, strlen(name) + 1))
		return err_set(e, EXIT_FAIL, "program %.100s: tier names too long",
			       PQgetvalue(r, row, B_PROGRAM));
	b->ntiers++;
	return 0;
}

/* One per_invoice invoice of the account, in (date, number) order after
 * the tier rows: a posted one adds to the spend, an unposted one adds what
 * it would earn (core/rules/tiers, tiers_unposted_units). */
static int balances_add_invoice(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	int64_t eligible, units;

	if (report_i64(PQgetvalue(r, row, B_ELIGIBLE), &eligible, e))
		return e->exit;
	units = tiers_unposted_units(&b->spend, b->tiers, b->ntiers, PQgetvalue(r, row, B_CATEGORY),
				     !strcmp(PQgetvalue(r, row, B_STATUS), "posted"), eligible);
	if (__builtin_add_overflow(b->unposted_units, units, &b->unposted_units))
		return err_set(e, EXIT_FAIL, "account %.100s: unposted pending out of range",
			       PQgetvalue(r, row, B_ACCOUNT));
	return 0;
}

/* With --customer: fail when there is no such customer, and say so when it
 * is in no program (the report then has no row). */
static int balances_check_customer(PGconn *db, const char *customer, struct err *e)
{
	enum { IN_PROGRAM };
	const char *params[] = {customer};
	PGresult *r = db_query(db, e,
			       "SELECT COALESCE(par.program, c.program) IS NOT NULL"
			       "  FROM customers c LEFT JOIN customers par ON par.customer = c.parent"
			       " WHERE c.customer = $1", 1, params);
	int rc = 0;

	if (!r)
		return e->exit;
	if (PQntuples(r) == 0)
		rc = err_set(e, EXIT_FAIL, "no customer \"%.200s\"", customer);
	else if (strcmp(PQgetvalue(r, 0, IN_PROGRAM), "t") != 0)
		fprintf(stderr, "accrue balances: customer %s is in no program\n", customer);
	PQclear(r);
	return rc;
}

/* One row through report_each: a new customer emits the previous one's row
 * (it has all its detail rows), then the row starts a customer or adds a
 * detail to it. */
struct balances_each {
	struct balances_row *b;
	struct table_out *t;
	const struct report_out *o;
	struct err *e;
};

static int balances_each_row(void *ctx, PGresult *r, int i)
{
	struct balances_each *x = ctx;
	struct balances_row *b = x->b;
	int rc = 0;

	if (b->active && strcmp(sbuf_str(&b->cells), PQgetvalue(r, i, B_CUSTOMER)) != 0)
		rc = balances_emit(b, x->t, x->o, x->e);
	if (!rc && !b->active)
		rc = balances_start(b, r, i, x->e);
	if (!rc && !PQgetisnull(r, i, B_DETAIL))
		rc = strcmp(PQgetvalue(r, i, B_DETAIL), "0") == 0 ? balances_add_tier(b, r, i, x->e)
								  : balances_add_invoice(b, r, i, x->e);
	return rc;
}

static int balances_run(PGconn *db, const char *as_of, const char *customer,
			struct table_out *t, const struct report_out *o, struct err *e)
{
	const char *params[] = {as_of, customer};
	struct balances_row b = {0};
	PGresult *r;
	int rc = 0;

	sbuf_init(&b.cells, REPORT_MAX_CELLS);
	sbuf_init(&b.names, REPORT_MAX_CELLS);
	b.tiers = calloc(REPORT_MAX_TIERS, sizeof(*b.tiers));
	if (!b.tiers) {
		rc = err_set(e, EXIT_FAIL, "out of memory");
		goto out;
	}
	if (!(r = db_query(db, e, balances_sql, 2, params))) {
		rc = e->exit;
		goto out;
	}
	PQclear(r);
	{
		struct balances_each each = {&b, t, o, e};

		rc = report_each(db, e, "FETCH " REPORT_FETCH " FROM balances_rows", balances_each_row,
				 &each);
	}
	if (!rc && b.active)
		rc = balances_emit(&b, t, o, e);
out:
	sbuf_free(&b.cells);
	sbuf_free(&b.names);
	free(b.tiers);
	return rc;
}

int cmd_balances(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"as-of", required_argument, NULL, 'a'},
		{"format", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum table_format fmt = TABLE_TEXT;
	const char *customer = NULL, *out = NULL;
	char as_of_text[DATE_FMT_SIZE], sheet[XLSX_SHEET_NAME_SIZE];
	struct report_out o;
	struct table_out t;
	struct err e = {0};
	date_t as_of;
	int have_as_of = 0, c, rc;
	PGconn *db;

	if (app_wants_help(argc, argv)) {
		fputs(balances_help, stdout);
		return EXIT_OK;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (report_customer_arg("balances", optarg, &customer))
				return EXIT_USAGE;
			break;
		case 'a':
			if (app_date_arg("balances", "--as-of", optarg, &as_of))
				return EXIT_USAGE;
			have_as_of = 1;
			break;
		case 'f':
			if (report_format_arg("balances", optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("balances", "--out: empty file name");
			out = optarg;
			break;
		case 'h':
			fputs(balances_help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("balances", c, argv);
		}
	}
	if (optind < argc)
		return app_usage("balances", "unexpected argument \"%s\"", argv[optind]);
	if (!have_as_of)
		as_of = app_today(a);
	if (report_out_check("balances", fmt, out))
		return EXIT_USAGE;

	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (!have_as_of) {
		/* Without --as-of: today, or the last close when the books have
		 * been closed further than today, so that nothing posted hides. */
		date_t last;
		int has_last;

		if (runs_last_close(db, &e, &last, &has_last))
			return app_fail(&e);
		if (has_last && last > as_of)
			as_of = last;
	}
	date_format(as_of, as_of_text);
	if (report_begin(db, &e))
		return app_fail(&e);
	if (!(rc = customer ? balances_check_customer(db, customer, &e) : 0)) {
		xlsx_sheet_name("Balances", as_of_text, sheet);
		if (!(rc = report_out_open(&o, out, &e))) {
			if (table_begin_sheet(&t, o.f, fmt, BALANCES_NCOLS, balances_cols, balances_align,
					      balances_types, sheet))
				rc = report_table_failed(&e, &t, &o);
			else
				rc = balances_run(db, as_of_text, customer, &t, &o, &e);
			if (rc)
				table_abort(&t);
			else if (table_end(&t))
				rc = report_table_failed(&e, &t, &o);
			rc = report_out_close(&o, rc, &e);
		}
	}
	report_rollback(db);
	return rc ? app_fail(&e) : EXIT_OK;
}

