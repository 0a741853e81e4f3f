/*
 * accrue balances / accrue history: the on-demand reports of SPEC §10 and
 * §11, as CSV or an aligned table (core/table).
 *
 * Each report is one set-based query, read through a cursor 1000 rows at a
 * time inside one read-only REPEATABLE READ transaction (one snapshot, and
 * memory that does not grow with the number of customers); history first
 * reads the one tier set of its account.
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
 * - `history` without --to runs to the last entry, whatever its date (and
 *   lists every unposted invoice, whatever its date).
 * - Unposted pending (SPEC §2) exists for per_invoice programs only: an
 *   unposted invoice would earn what the daily close would give it if it were
 *   posted now — its tier picked by the cumulative eligible spend of the
 *   account's posted invoices ordered before it (date, then number) plus its
 *   own eligible amount — and other unposted invoices do not count in that
 *   spend.  Tiered programs earn on period totals, not per invoice, so they
 *   show 0.00 and list no unposted lines.  A no_points invoice would earn
 *   nothing, so it is neither counted nor listed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "runs.h"
#include "db.h"
#include "money.h"
#include "sbuf.h"
#include "table.h"
#include "tiers.h"

#define REPORT_FETCH "1000"             /* rows per FETCH */
#define REPORT_MAX_TIERS 256            /* rows in one tier set */
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

/* One tier row from columns col..col+5 of r: tier, category, lower_cents,
 * upper_cents, rate_ppm, factor_cents (the columns of the tiers table). */
static int report_tier(PGresult *r, int row, int col, struct tier *t, struct err *e)
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
static int64_t report_would_earn(const struct tier *t, size_t n, const char *category,
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
static int report_unposted_units(PGresult *r, int row, int category_col, int amounts_col,
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
	"                   (YYYY-MM-DD; default: today, or the last close when later)\n"
	"  --format FORMAT  table (default: aligned columns) or csv\n"
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
#define BALANCES_NCOLS (sizeof(balances_cols) / sizeof(balances_cols[0]))

/*
 * One row per (customer, detail of its account): the report columns, then
 * the details — first the rows of the account's tier set (ytd_tiered, and
 * per_invoice with unposted invoices), then its unposted invoices
 * (per_invoice programs) —
 * or NULL details for an account with neither.  The tier, and the units an
 * unposted invoice would earn, are decided in C by core/tiers and core/money:
 * the same rules month-end and the daily close use.
 *
 * $1 as-of date, $2 the customer or NULL for all.
 *
 * Columns: 0 customer, 1 account, 2 program, 3 unit, 4 pending, 5 usable,
 * 6 ltd_earned, 7 ltd_used, 8 ltd_expired, 9 ytd_sales (cents), 10 earning,
 * 11 detail (0 tier row, 1 unposted invoice, NULL none);
 * tier rows: 12 tier, 13 category, 14 lower, 15 upper, 16 rate_ppm,
 * 17 factor_cents; unposted invoices: 13 category, 18 eligible cents,
 * 19 cumulative spend including it.
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
	"  SELECT DISTINCT m.account, m.program, p.basis, p.earning,"
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
	"), pending_account AS ("
	/* the per_invoice accounts with unposted invoices that would earn, so
	 * that only their invoices are read again below */
	"  SELECT DISTINCT a.account, a.program, a.basis"
	"    FROM account a"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = a.account"
	"    JOIN invoices i ON i.customer = c.customer"
	"   WHERE a.earning = 'per_invoice' AND i.kind = 'invoice' AND i.status = 'unposted'"
	"     AND NOT i.no_points AND i.doc_date <= $1::date"
	"), tierset AS ("
	/* the account's own tier set replaces the program's (customer '') */
	"  SELECT a.account, a.program, t.tier, t.category, t.lower_cents, t.upper_cents,"
	"         t.rate_ppm, t.factor_cents"
	"    FROM account a JOIN tiers t ON t.program = a.program"
	/* ytd_tiered: for the tier column; per_invoice: for the unposted
	 * invoices, so only where there are some */
	"   WHERE (a.earning = 'ytd_tiered'"
	"          OR (a.account, a.program) IN (SELECT account, program FROM pending_account))"
	"     AND t.customer = CASE WHEN EXISTS (SELECT 1 FROM tiers own"
	"                                         WHERE own.program = a.program"
	"                                           AND own.customer = a.account)"
	"                           THEN a.account ELSE '' END"
	"), unposted AS ("
	/* SPEC §2 unposted pending: each unposted invoice as if posted now, with
	 * the cumulative eligible spend of the account's posted invoices (not
	 * cancelled, not no_points, children included) ordered before it by
	 * date then number, plus its own eligible amount (SPEC §3 per_invoice) */
	"  SELECT x.account, x.program, x.category, x.eligible,"
	"         x.before + x.eligible AS spend"
	"    FROM (SELECT pa.account, pa.program, i.status, i.category,"
	"                 CASE WHEN pa.basis = 'total' THEN i.total_cents ELSE i.net_cents END AS eligible,"
	"                 COALESCE(sum(CASE WHEN i.status <> 'posted' THEN 0"
	"                                   WHEN pa.basis = 'total' THEN i.total_cents"
	"                                   ELSE i.net_cents END)"
	"                          OVER (PARTITION BY pa.account, pa.program"
	"                                ORDER BY i.doc_date, i.invoice COLLATE \"C\""
	"                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),"
	"                          0)::bigint AS before"
	"            FROM pending_account pa"
	"            JOIN customers c ON COALESCE(c.parent, c.customer) = pa.account"
	"            JOIN invoices i ON i.customer = c.customer"
	"           WHERE i.kind = 'invoice' AND NOT i.no_points"
	"             AND i.status IN ('posted', 'unposted') AND i.doc_date <= $1::date) x"
	"   WHERE x.status = 'unposted'"
	"), detail AS ("
	"  SELECT account, program, 0 AS detail, tier, category, lower_cents, upper_cents,"
	"         rate_ppm, factor_cents, NULL::bigint AS eligible, NULL::bigint AS spend"
	"    FROM tierset"
	"  UNION ALL"
	"  SELECT account, program, 1, NULL, category, NULL, NULL, NULL, NULL, eligible, spend"
	"    FROM unposted"
	") "
	"SELECT m.customer, m.account, m.program, p.unit,"
	"       led.pending, led.usable, led.earned - led.expired, led.used, led.expired,"
	"       s.ytd, p.earning, d.detail, d.tier, d.category, d.lower_cents, d.upper_cents,"
	"       d.rate_ppm, d.factor_cents, d.eligible, d.spend"
	"  FROM member m"
	/* (a LEFT JOIN, though every member has its program, so that the
	 * planner keeps counting every member row and does not pick a nested
	 * loop for the joins below) */
	"  LEFT JOIN programs p ON p.program = m.program"
	"  LEFT JOIN led ON led.account = m.account AND led.program = m.program"
	"  LEFT JOIN sales s ON s.account = m.account AND s.program = m.program"
	"  LEFT JOIN detail d ON d.account = m.account AND d.program = m.program"
	/* customer numbers: all-digit ones first in numeric order, then the
	 * rest byte by byte (independent of the database's collation); the
	 * tier rows of a customer before its unposted invoices */
	" ORDER BY m.customer ~ '^[0-9]{1,30}$' DESC,"
	"          CASE WHEN m.customer ~ '^[0-9]{1,30}$' THEN m.customer::numeric END,"
	"          m.customer COLLATE \"C\", d.detail, d.lower_cents, d.tier COLLATE \"C\"";

/* The report row of one customer while its detail rows stream by. */
struct balances_row {
	int active;
	int ytd_tiered;             /* shows a tier */
	struct sbuf cells;          /* the columns before `tier`, each NUL-terminated
				     * (unposted_pending an empty placeholder) */
	int64_t ytd_cents;
	int64_t unposted_units;     /* Σ would-be units of the unposted invoices */
	struct tier *tiers;         /* REPORT_MAX_TIERS */
	size_t ntiers;
	struct sbuf names;          /* full tier names, each NUL-terminated */
	size_t name_at[REPORT_MAX_TIERS];
};

#define BALANCES_UNPOSTED_COL 6     /* unposted_pending in balances_cols */

static int balances_emit(struct balances_row *b, struct table_out *t, struct err *e)
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
	/* only ytd_tiered shows a tier; below, above or between the tiers:
	 * no tier to show */
	if (b->ytd_tiered)
		pick = tiers_pick_range(b->tiers, b->ntiers, "", b->ytd_cents);
	cells[BALANCES_NCOLS - 1] = pick >= 0 ? b->names.p + b->name_at[pick] : "";
	b->active = 0;
	if (table_row(t, cells))
		return report_write_failed(e);
	return 0;
}

static int balances_start(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	/* result column of each output column; -1: unposted_pending, filled in
	 * by balances_emit once the customer's unposted invoices are read */
	static const int from[BALANCES_NCOLS - 1] = {0, 1, 2, 3, 4, 5, -1, 6, 7, 8, 9};
	char buf[MONEY_FMT_SIZE];

	sbuf_reset(&b->cells);
	sbuf_reset(&b->names);
	b->ntiers = 0;
	b->ytd_cents = 0;
	b->unposted_units = 0;
	b->ytd_tiered = strcmp(PQgetvalue(r, row, 10), "ytd_tiered") == 0;
	for (size_t i = 0; i + 1 < BALANCES_NCOLS; i++) {
		const char *v;

		if (from[i] < 0) {
			v = "";
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
	const char *name = PQgetvalue(r, row, 12);

	if (b->ntiers == REPORT_MAX_TIERS)
		return err_set(e, EXIT_FAIL, "program %.100s: the tier set of account %.100s has more than %d tiers",
			       PQgetvalue(r, row, 2), PQgetvalue(r, row, 1), REPORT_MAX_TIERS);
	if (report_tier(r, row, 12, &b->tiers[b->ntiers], e))
		return e->exit;
	b->name_at[b->ntiers] = b->names.len;
	if (sbuf_add(&b->names, name, strlen(name) + 1))
		return err_set(e, EXIT_FAIL, "program %.100s: tier names too long", PQgetvalue(r, row, 2));
	b->ntiers++;
	return 0;
}

/* One unposted invoice of the account: its would-be units, picked from the
 * tier rows already read (they come first). */
static int balances_add_unposted(struct balances_row *b, PGresult *r, int row, struct err *e)
{
	int64_t units;

	if (report_unposted_units(r, row, 13, 18, b->tiers, b->ntiers, &units, e))
		return e->exit;
	if (__builtin_add_overflow(b->unposted_units, units, &b->unposted_units))
		return err_set(e, EXIT_FAIL, "account %.100s: unposted pending out of range",
			       PQgetvalue(r, row, 1));
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
			if (!rc && !PQgetisnull(r, i, 11))
				rc = strcmp(PQgetvalue(r, i, 11), "0") == 0
				     ? balances_add_tier(&b, r, i, e)
				     : balances_add_unposted(&b, r, i, e);
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
#define HISTORY_NCOLS (sizeof(history_cols) / sizeof(history_cols[0]))

/* The account and program whose history customer $1 sees. */
static const char history_account_sql[] =
	"SELECT COALESCE(c.parent, c.customer), COALESCE(par.program, c.program)"
	"  FROM customers c LEFT JOIN customers par ON par.customer = c.parent"
	" WHERE c.customer = $1";

/*
 * The tier set the account's invoices earn by in program $2 when that is a
 * per_invoice program (SPEC §2: the account's own set, customer $1, replaces
 * the program's, customer ''); no rows otherwise.
 */
static const char history_tiers_sql[] =
	"SELECT t.tier, t.category, t.lower_cents, t.upper_cents, t.rate_ppm, t.factor_cents"
	"  FROM tiers t JOIN programs p ON p.program = t.program"
	" WHERE t.program = $2::text AND p.earning = 'per_invoice'"
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
 * With a per_invoice program $2, the account's unposted invoices come in
 * too (SPEC §2 unposted pending): after the ledger lines of their date, with
 * no units of their own (they change no balance), each with the cumulative
 * eligible spend of the account's posted invoices (not cancelled, not
 * no_points, children included) ordered before it by date then number, plus
 * its own eligible amount, for C to pick its tier (SPEC §3 per_invoice).
 *
 * Columns are those of the report, amounts in hundredths, then for an
 * unposted invoice 11 category, 12 eligible cents, 13 spend (NULL for a
 * ledger line).
 */
static const char history_sql[] =
	"DECLARE history_rows NO SCROLL CURSOR FOR "
	"WITH doc AS ("
	"  SELECT i.invoice, i.customer, i.doc_date, i.category, i.status,"
	"         CASE WHEN p.basis = 'total' THEN i.total_cents ELSE i.net_cents END AS eligible"
	"    FROM programs p"
	"    JOIN customers c ON COALESCE(c.parent, c.customer) = $1::text"
	"    JOIN invoices i ON i.customer = c.customer"
	"   WHERE p.program = $2::text AND p.earning = 'per_invoice'"
	"     AND i.kind = 'invoice' AND NOT i.no_points AND i.status IN ('posted', 'unposted')"
	"), unposted AS ("
	"  SELECT x.invoice, x.customer, x.doc_date, x.category, x.eligible,"
	"         x.before + x.eligible AS spend"
	"    FROM (SELECT d.*,"
	"                 COALESCE(sum(CASE WHEN d.status = 'posted' THEN d.eligible ELSE 0 END)"
	"                          OVER (ORDER BY d.doc_date, d.invoice COLLATE \"C\""
	"                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),"
	"                          0)::bigint AS before"
	"            FROM doc d) x"
	"   WHERE x.status = 'unposted' AND ($4::date IS NULL OR x.doc_date <= $4::date)"
	"), line AS ("
	"  SELECT l.entry_date AS day, 0 AS src, l.entry_id, NULL::text AS invoice, l.kind,"
	"         l.document, l.pending_units, l.usable_units, l.expires_on, l.note, l.customer,"
	"         NULL::text AS category, NULL::bigint AS eligible, NULL::bigint AS spend"
	"    FROM ledger l"
	"   WHERE l.account = $1"
	"     AND ($2::text IS NULL OR l.program = $2::text)"
	"     AND ($4::date IS NULL OR l.entry_date <= $4::date)"
	"  UNION ALL"
	"  SELECT u.doc_date, 1, NULL, u.invoice, 'unposted', u.invoice, 0, 0, NULL, 'unposted',"
	"         u.customer, u.category, u.eligible, u.spend"
	"    FROM unposted u"
	") "
	"SELECT to_char(h.day, 'YYYY-MM-DD'), h.kind, h.document,"
	"       h.pending_units, h.pending_balance, h.usable_units, h.usable_balance,"
	"       to_char(h.expires_on, 'YYYY-MM-DD'), h.note, h.customer, c.name,"
	"       h.category, h.eligible, h.spend"
	"  FROM (SELECT ln.*,"
	"               sum(ln.pending_units) OVER w AS pending_balance,"
	"               sum(ln.usable_units) OVER w AS usable_balance"
	"          FROM line ln"
	"        WINDOW w AS (ORDER BY ln.day, ln.src, ln.entry_id, ln.invoice COLLATE \"C\""
	"                     ROWS UNBOUNDED PRECEDING)) h"
	"  JOIN customers c ON c.customer = h.customer"
	" WHERE $3::date IS NULL OR h.day >= $3::date"
	" ORDER BY h.day, h.src, h.entry_id, h.invoice COLLATE \"C\"";

/* The per_invoice tier set of the account, for its unposted lines. */
struct history_tiers {
	struct tier *t;             /* REPORT_MAX_TIERS */
	size_t n;
};

static int history_row(PGresult *r, int row, const struct history_tiers *ts,
		       struct table_out *t, struct err *e)
{
	char amount[4][MONEY_FMT_SIZE];
	const char *cells[HISTORY_NCOLS];

	for (int i = 0; i < 4; i++)
		if (report_amount(r, row, 3 + i, amount[i], e))
			return e->exit;
	if (!PQgetisnull(r, row, 13)) {
		/* an unposted invoice: pending is what it would earn */
		int64_t units;

		if (report_unposted_units(r, row, 11, 12, ts->t, ts->n, &units, e))
			return e->exit;
		decimal_format(units, 2, amount[0]);
	}
	for (int i = 0; i < (int)HISTORY_NCOLS; i++)
		cells[i] = (i >= 3 && i <= 6) ? amount[i - 3] : PQgetvalue(r, row, i);
	if (table_row(t, cells))
		return report_write_failed(e);
	return 0;
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
	for (;;) {
		int n;

		if (!(r = report_fetch(db, e, "FETCH " REPORT_FETCH " FROM history_rows"))) {
			rc = e->exit;
			goto out;
		}
		n = PQntuples(r);
		for (int i = 0; i < n && !rc; i++)
			rc = history_row(r, i, &ts, t, e);
		PQclear(r);
		if (rc || n == 0)
			break;
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
