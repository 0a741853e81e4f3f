/*
 * accrue balances / accrue history: the on-demand reports of SPEC §10 and
 * §11, as CSV or an aligned table (core/table).
 *
 * Each report is one set-based query, read through a cursor 1000 rows at a
 * time inside one read-only REPEATABLE READ transaction (one snapshot, and
 * memory that does not grow with the number of customers).
 *
 * Choices where the contract is silent:
 * - The default format is `table` (a person at a terminal); scripts and the
 *   scenarios ask for `--format csv`.
 * - An unknown customer is an error, exit 1 (`no customer "N"`): the command
 *   line named something that does not exist; it is not bad input data (65).
 *   `balances --customer N` for a customer in no program prints the header
 *   only, with a note on stderr.
 * - A customer's program is its own, or for a child its parent's account's
 *   program (the parent's when set, else the child's own).  Balances and
 *   history count only the ledger lines of that program: after a change of
 *   program the old program's units are not mixed into the new one's.
 * - A child's history is the whole history of its parent's account, every
 *   child's lines included, because the balances shown are the account's;
 *   each line names its own source customer.
 * - `history` without --to runs to the last entry, whatever its date.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "money.h"
#include "sbuf.h"
#include "table.h"
#include "tiers.h"

#define REPORT_FETCH "1000"             /* rows per FETCH */
#define BALANCES_MAX_TIERS 256          /* rows in one tier set */
#define REPORT_MAX_CELLS (256 * 1024)   /* bytes of one assembled row */

/* ---- shared: the read-only transaction and its cursor ---- */

static int report_begin(PGconn *db, struct err *e)
{
	return db_exec(db, e, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
}

static void report_rollback(PGconn *db)
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

/* A bigint column; the database never sends anything else there. */
static int report_i64(const char *s, int64_t *v, struct err *e)
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
static int report_amount(PGresult *r, int row, int col, char buf[MONEY_FMT_SIZE],
			 struct err *e)
{
	int64_t v = 0;

	if (!PQgetisnull(r, row, col) && report_i64(PQgetvalue(r, row, col), &v, e))
		return e->exit;
	decimal_format(v, 2, buf);
	return 0;
}

static int report_parse_opts_error(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return app_usage(cmd, "option \"%s\" needs a value", argv[optind - 1]);
	if (optopt)
		return app_usage(cmd, "unknown option \"-%c\"", optopt);
	return app_usage(cmd, "unknown option \"%s\"", argv[optind - 1]);
}

static int report_format_arg(const char *cmd, const char *v, enum table_format *f)
{
	if (table_parse_format(v, f))
		return app_usage(cmd, "--format: \"%s\" is not table or csv", v);
	return 0;
}

static int report_customer_arg(const char *cmd, const char *v, const char **out)
{
	if (!*v)
		return app_usage(cmd, "--customer: empty customer number");
	*out = v;
	return 0;
}

static int report_write_failed(struct err *e)
{
	return err_set(e, EXIT_FAIL, "cannot write the report: %s",
		       errno ? strerror(errno) : "output error");
}

/* ---- balances ---- */

static const char balances_help[] =
	"usage: accrue balances [--customer N] [--as-of DATE] [--format table|csv]\n"
	"\n"
	"Prints the balances of every customer in a program, one row each, ordered\n"
	"by customer number (numeric numbers first, in numeric order).  A child\n"
	"shows its parent's account and the account's balances.\n"
	"\n"
	"  --customer N     only customer N\n"
	"  --as-of DATE     ledger lines and sales up to and including DATE\n"
	"                   (YYYY-MM-DD; default: today)\n"
	"  --format FORMAT  table (default: aligned columns) or csv\n"
	"\n"
	"columns: customer,account,program,unit,pending,usable,unposted_pending,\n"
	"ltd_earned,ltd_used,ltd_expired,ytd_sales,tier\n"
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
#define BALANCES_NCOLS (sizeof(balances_cols) / sizeof(balances_cols[0]))

/*
 * One row per (customer, tier of its account's set): the report columns,
 * then the tier rows (NULL for accounts without a ytd_tiered set), so that
 * the tier is chosen in C by core/tiers — the same rule month-end uses.
 *
 * $1 as-of date, $2 the customer or NULL for all.
 *
 * Columns: 0 customer, 1 account, 2 program, 3 unit, 4 pending, 5 usable,
 * 6 ltd_earned, 7 ltd_used, 8 ltd_expired, 9 ytd_sales (cents), 10 tier,
 * 11 category, 12 lower, 13 upper, 14 rate_ppm, 15 factor_cents.
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
	"  SELECT DISTINCT m.account, m.program, p.unit, p.basis, p.earning,"
	/* first day of the fiscal year holding the as-of date */
	"         make_date(extract(year FROM $1::date)::int"
	"                   - (extract(month FROM $1::date) < p.fiscal_year_start)::int,"
	"                   p.fiscal_year_start, 1) AS fy_start"
	"    FROM member m JOIN programs p ON p.program = m.program"
	"), led AS ("
	/* SPEC §5: ltd_expired = expiries − reversed expiries; ltd_used =
	 * redemptions; ltd_earned = earnings + accruals + adjustments −
	 * ltd_expired; so pending + usable = ltd_earned − ltd_used */
	"  SELECT l.account, l.program,"
	"         sum(l.pending_units)::bigint AS pending,"
	"         sum(l.usable_units)::bigint AS usable,"
	"         COALESCE(sum(l.pending_units + l.usable_units)"
	"                  FILTER (WHERE l.kind IN ('earn', 'accrual', 'adjust')), 0) AS earned,"
	"         -COALESCE(sum(l.pending_units + l.usable_units)"
	"                   FILTER (WHERE l.kind IN ('expire', 'reverse_expiry')), 0) AS expired,"
	"         -COALESCE(sum(l.usable_units) FILTER (WHERE l.kind = 'redeem'), 0) AS used"
	"    FROM ledger l JOIN account a ON a.account = l.account AND a.program = l.program"
	"   WHERE l.entry_date <= $1::date"
	"   GROUP BY l.account, l.program"
	"), sales AS ("
	/* SPEC §3 ytd: posted invoices minus credit notes of the account and its
	 * children, no_points documents and credit notes against them excluded,
	 * on the program's basis */
	"  SELECT a.account, a.program,"
	"         sum(CASE WHEN i.kind = 'credit_note' THEN -1 ELSE 1 END"
	"             * CASE WHEN a.basis = 'total' THEN i.total_cents ELSE i.net_cents END)::bigint AS ytd"
	"    FROM account a"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = a.account"
	"    JOIN invoices i ON i.customer = c.customer"
	"    LEFT JOIN invoices o ON o.invoice = i.original"
	"   WHERE i.status = 'posted' AND NOT i.no_points AND NOT COALESCE(o.no_points, false)"
	"     AND i.doc_date BETWEEN a.fy_start AND $1::date"
	"   GROUP BY a.account, a.program"
	"), tierset AS ("
	/* the account's own tier set replaces the program's (customer '') */
	"  SELECT a.account, a.program, t.tier, t.category, t.lower_cents, t.upper_cents,"
	"         t.rate_ppm, t.factor_cents"
	"    FROM account a JOIN tiers t ON t.program = a.program"
	"   WHERE a.earning = 'ytd_tiered'"
	"     AND t.customer = CASE WHEN EXISTS (SELECT 1 FROM tiers own"
	"                                         WHERE own.program = a.program"
	"                                           AND own.customer = a.account)"
	"                           THEN a.account ELSE '' END"
	") "
	"SELECT m.customer, m.account, m.program, a.unit,"
	"       led.pending, led.usable, led.earned - led.expired, led.used, led.expired,"
	"       s.ytd, ts.tier, ts.category, ts.lower_cents, ts.upper_cents,"
	"       ts.rate_ppm, ts.factor_cents"
	"  FROM member m"
	"  JOIN account a ON a.account = m.account AND a.program = m.program"
	"  LEFT JOIN led ON led.account = m.account AND led.program = m.program"
	"  LEFT JOIN sales s ON s.account = m.account AND s.program = m.program"
	"  LEFT JOIN tierset ts ON ts.account = m.account AND ts.program = m.program"
	/* customer numbers: all-digit ones first in numeric order, then the
	 * rest byte by byte (independent of the database's collation) */
	" ORDER BY m.customer ~ '^[0-9]{1,30}$' DESC,"
	"          CASE WHEN m.customer ~ '^[0-9]{1,30}$' THEN m.customer::numeric END,"
	"          m.customer COLLATE \"C\", ts.lower_cents, ts.tier COLLATE \"C\"";

/* The report row of one customer while its tier rows stream by. */
struct balances_row {
	int active;
	struct sbuf cells;          /* the columns before `tier`, each NUL-terminated */
	int64_t ytd_cents;
	struct tier *tiers;         /* BALANCES_MAX_TIERS */
	size_t ntiers;
	struct sbuf names;          /* full tier names, each NUL-terminated */
	size_t name_at[BALANCES_MAX_TIERS];
};

static int balances_emit(struct balances_row *b, struct table_out *t, struct err *e)
{
	const char *cells[BALANCES_NCOLS];
	const char *p = sbuf_str(&b->cells);
	int pick;

	for (size_t i = 0; i + 1 < BALANCES_NCOLS; i++) {
		cells[i] = p;
		p += strlen(p) + 1;
	}
	/* below, above or between the tiers: no tier to show */
	pick = tiers_pick_range(b->tiers, b->ntiers, "", b->ytd_cents);
	cells[BALANCES_NCOLS - 1] = pick >= 0 ? b->names.p + b->name_at[pick] : "";
	b->active = 0;
	if (table_row(t, cells))
		return report_write_failed(e);
	return 0;
}

static int balances_start(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	/* result column of each output column; -1: unposted_pending */
	static const int from[BALANCES_NCOLS - 1] = {0, 1, 2, 3, 4, 5, -1, 6, 7, 8, 9};
	char buf[MONEY_FMT_SIZE];

	sbuf_reset(&b->cells);
	sbuf_reset(&b->names);
	b->ntiers = 0;
	b->ytd_cents = 0;
	for (size_t i = 0; i + 1 < BALANCES_NCOLS; i++) {
		const char *v;

		if (from[i] < 0) {
			v = "0.00";  /* unposted pending: computed by the daily close (later) */
		} else if (from[i] >= 4) {
			if (report_amount(r, row, from[i], buf, e))
				return e->exit;
			v = buf;
		} else {
			v = PQgetvalue(r, row, from[i]);
		}
		if (sbuf_add(&b->cells, v, strlen(v) + 1))
			return err_set(e, EXIT_FAIL, "customer %.100s: row too large", PQgetvalue(r, row, 0));
	}
	if (!PQgetisnull(r, row, 9) && report_i64(PQgetvalue(r, row, 9), &b->ytd_cents, e))
		return e->exit;
	b->active = 1;
	return 0;
}

static int balances_add_tier(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	struct tier *t;
	const char *name = PQgetvalue(r, row, 10);

	if (b->ntiers == BALANCES_MAX_TIERS)
		return err_set(e, EXIT_FAIL, "program %.100s: the tier set of account %.100s has more than %d tiers",
			       PQgetvalue(r, row, 2), PQgetvalue(r, row, 1), BALANCES_MAX_TIERS);
	t = &b->tiers[b->ntiers];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->category, sizeof(t->category), "%s", PQgetvalue(r, row, 11));
	if (report_i64(PQgetvalue(r, row, 12), &t->lower_cents, e))
		return e->exit;
	t->has_upper = !PQgetisnull(r, row, 13);
	if (t->has_upper && report_i64(PQgetvalue(r, row, 13), &t->upper_cents, e))
		return e->exit;
	t->is_factor = PQgetisnull(r, row, 14);
	if (!t->is_factor && report_i64(PQgetvalue(r, row, 14), &t->rate_ppm, e))
		return e->exit;
	if (t->is_factor && report_i64(PQgetvalue(r, row, 15), &t->factor_cents, e))
		return e->exit;
	b->name_at[b->ntiers] = b->names.len;
	if (sbuf_add(&b->names, name, strlen(name) + 1))
		return err_set(e, EXIT_FAIL, "program %.100s: tier names too long", PQgetvalue(r, row, 2));
	b->ntiers++;
	return 0;
}

/* With --customer: fail when there is no such customer, and say so when it
 * is in no program (the report then has no row). */
static int balances_check_customer(PGconn *db, const char *customer, struct err *e)
{
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
	else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		fprintf(stderr, "accrue balances: customer %s is in no program\n", customer);
	PQclear(r);
	return rc;
}

static int balances_run(PGconn *db, const char *as_of, const char *customer,
			struct table_out *t, struct err *e)
{
	const char *params[] = {as_of, customer};
	struct balances_row b = {0};
	PGresult *r;
	int rc = 0;

	sbuf_init(&b.cells, REPORT_MAX_CELLS);
	sbuf_init(&b.names, REPORT_MAX_CELLS);
	b.tiers = calloc(BALANCES_MAX_TIERS, sizeof(*b.tiers));
	if (!b.tiers) {
		rc = err_set(e, EXIT_FAIL, "out of memory");
		goto out;
	}
	if (!(r = db_query(db, e, balances_sql, 2, params))) {
		rc = e->exit;
		goto out;
	}
	PQclear(r);
	for (;;) {
		int n;

		if (!(r = report_fetch(db, e, "FETCH " REPORT_FETCH " FROM balances_rows"))) {
			rc = e->exit;
			goto out;
		}
		n = PQntuples(r);
		for (int i = 0; i < n && !rc; i++) {
			/* a new customer: the previous one has all its tier rows */
			if (b.active && strcmp(sbuf_str(&b.cells), PQgetvalue(r, i, 0)) != 0)
				rc = balances_emit(&b, t, e);
			if (!rc && !b.active)
				rc = balances_start(&b, r, i, e);
			if (!rc && !PQgetisnull(r, i, 10))
				rc = balances_add_tier(&b, r, i, e);
		}
		PQclear(r);
		if (rc || n == 0)
			break;
	}
	if (!rc && b.active)
		rc = balances_emit(&b, t, e);
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum table_format fmt = TABLE_TEXT;
	const char *customer = NULL;
	char as_of_text[DATE_FMT_SIZE];
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
	date_format(as_of, as_of_text);

	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (report_begin(db, &e))
		return app_fail(&e);
	if (!(rc = customer ? balances_check_customer(db, customer, &e) : 0)) {
		table_begin(&t, stdout, fmt, BALANCES_NCOLS, balances_cols, balances_align);
		rc = balances_run(db, as_of_text, customer, &t, &e);
		if (table_end(&t) && !rc)
			rc = report_write_failed(&e);
	}
	report_rollback(db);
	return rc ? app_fail(&e) : EXIT_OK;
}

/* ---- history ---- */

static const char history_help[] =
	"usage: accrue history --customer N [--from DATE] [--to DATE] [--format table|csv]\n"
	"\n"
	"Prints the ledger lines of customer N's account in date order, with the\n"
	"pending and usable balances after each line (counted from the account's\n"
	"first line, whatever --from says).  For a child, that is its parent's\n"
	"account: every line of it, each naming the customer whose document it is.\n"
	"\n"
	"  --customer N     the customer (required)\n"
	"  --from DATE      first date shown (YYYY-MM-DD; default: the first line)\n"
	"  --to DATE        last date shown (default: the last line)\n"
	"  --format FORMAT  table (default: aligned columns) or csv\n"
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
#define HISTORY_NCOLS (sizeof(history_cols) / sizeof(history_cols[0]))

/* The account and program whose history customer $1 sees. */
static const char history_account_sql[] =
	"SELECT COALESCE(c.parent, c.customer), COALESCE(par.program, c.program)"
	"  FROM customers c LEFT JOIN customers par ON par.customer = c.parent"
	" WHERE c.customer = $1";

/*
 * $1 account, $2 program (NULL: every line of the account), $3 from, $4 to
 * (NULL: open).  The running balances run over every line from the first
 * (a window over the whole account), and only then are lines before $3 left
 * out; lines after $4 change nothing before it, so they are not read.
 * Columns are those of the report, amounts in hundredths.
 */
static const char history_sql[] =
	"DECLARE history_rows NO SCROLL CURSOR FOR "
	"SELECT to_char(h.entry_date, 'YYYY-MM-DD'), h.kind, h.document,"
	"       h.pending_units, h.pending_balance, h.usable_units, h.usable_balance,"
	"       to_char(h.expires_on, 'YYYY-MM-DD'), h.note, h.customer, c.name"
	"  FROM (SELECT l.entry_id, l.entry_date, l.kind, l.document, l.pending_units,"
	"               l.usable_units, l.expires_on, l.note, l.customer,"
	"               sum(l.pending_units) OVER w AS pending_balance,"
	"               sum(l.usable_units) OVER w AS usable_balance"
	"          FROM ledger l"
	"         WHERE l.account = $1"
	"           AND ($2::text IS NULL OR l.program = $2::text)"
	"           AND ($4::date IS NULL OR l.entry_date <= $4::date)"
	"        WINDOW w AS (ORDER BY l.entry_date, l.entry_id ROWS UNBOUNDED PRECEDING)) h"
	"  JOIN customers c ON c.customer = h.customer"
	" WHERE $3::date IS NULL OR h.entry_date >= $3::date"
	" ORDER BY h.entry_date, h.entry_id";

static int history_row(PGresult *r, int row, struct table_out *t, struct err *e)
{
	char amount[4][MONEY_FMT_SIZE];
	const char *cells[HISTORY_NCOLS];

	for (int i = 0; i < 4; i++)
		if (report_amount(r, row, 3 + i, amount[i], e))
			return e->exit;
	for (int i = 0; i < (int)HISTORY_NCOLS; i++)
		cells[i] = (i >= 3 && i <= 6) ? amount[i - 3] : PQgetvalue(r, row, i);
	if (table_row(t, cells))
		return report_write_failed(e);
	return 0;
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
		*account = strdup(PQgetvalue(r, 0, 0));
		*program = PQgetisnull(r, 0, 1) ? NULL : strdup(PQgetvalue(r, 0, 1));
		if (!*account || (!*program && !PQgetisnull(r, 0, 1)))
			rc = err_set(e, EXIT_FAIL, "out of memory");
	}
	PQclear(r);
	return rc;
}

static int history_run(PGconn *db, const char *const params[4], struct table_out *t,
		       struct err *e)
{
	PGresult *r;
	int rc = 0;

	if (!(r = db_query(db, e, history_sql, 4, params)))
		return e->exit;
	PQclear(r);
	for (;;) {
		int n;

		if (!(r = report_fetch(db, e, "FETCH " REPORT_FETCH " FROM history_rows")))
			return e->exit;
		n = PQntuples(r);
		for (int i = 0; i < n && !rc; i++)
			rc = history_row(r, i, t, e);
		PQclear(r);
		if (rc || n == 0)
			return rc;
	}
}

int cmd_history(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum table_format fmt = TABLE_TEXT;
	const char *customer = NULL;
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

	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (report_begin(db, &e))
		return app_fail(&e);
	if (!(rc = history_account(db, customer, &account, &program, &e))) {
		const char *params[4] = {account, program, have_from ? from_text : NULL,
					 have_to ? to_text : NULL};

		table_begin(&t, stdout, fmt, HISTORY_NCOLS, history_cols, history_align);
		rc = history_run(db, params, &t, &e);
		if (table_end(&t) && !rc)
			rc = report_write_failed(&e);
	}
	report_rollback(db);
	free(account);
	free(program);
	return rc ? app_fail(&e) : EXIT_OK;
}
