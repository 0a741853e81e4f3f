/*
 * rules_sql CONNINFO: the rules that live both in C (core/rules) and in SQL
 * (sql/005_rules.sql) give the same answers (ARCHITECTURE.md, "Each rule
 * once").  Run by tests/lib/rules-test against a database that `accrue db
 * migrate` has made:
 *
 *   fiscal_year_start  every first month 1..12 and every day 1999-01-01 ..
 *                      2101-12-31: SQL's fiscal_year_start(d, m) equals
 *                      date_fiscal_year_start(d, m)
 *   earning_rules      the SQL table's rows are core/rules/earning.c's table:
 *                      the same names, per_invoice and sales_by
 *   ledger_ltd         every kind of acct_kind_names counts in the figure
 *                      the reports expect ('earned', 'expired', 'used', or
 *                      NULL), and that list names exactly the C kinds
 *   ledger kind check  the ledger's CHECK on kind, evaluated by the server,
 *                      accepts every C kind name and rejects a made-up one
 *   documents          manual_expiry_document / expiry_reversal_document
 *                      put ACCT_DOC_EXPIRY / ACCT_DOC_REVERSAL before the
 *                      invoice number
 *
 * One line per difference on stdout; exit 0 when there is none, 1 when
 * there is, 2 on usage or database trouble.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "db.h"
#include "earning.h"


#define FIRST_DAY "1999-01-01"
#define LAST_DAY "2101-12-31"
/* Lines printed per check before the rest is only counted. */
#define SHOW_MAX 20

static int failures;
static int shown;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	if (++shown > SHOW_MAX)
		return;
	fputs("rules_sql: FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Start a check: its failures are shown up to SHOW_MAX. */
static void check_begin(void)
{
	shown = 0;
}

static void check_end(const char *what)
{
	if (shown > SHOW_MAX)
		printf("rules_sql: FAIL: %s: %d more differences not shown\n", what, shown - SHOW_MAX);
}

static PGresult *query(PGconn *db, const char *sql, int n, const char *const *p)
{
	struct err e;
	PGresult *r;

	err_clear(&e);
	if (!(r = db_query(db, &e, sql, n, p))) {
		fprintf(stderr, "rules_sql: %s\n  in: %s\n", e.msg, sql);
		db_close(db);
		exit(2);
	}
	return r;
}

static const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static const char *show(const char *s)
{
	return s ? s : "NULL";
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* --- a. fiscal_year_start ------------------------------------------------- */

static long check_fiscal_year_start(PGconn *db)
{
	date_t first, last;
	long compared = 0;

	if (date_parse(FIRST_DAY, &first) || date_parse(LAST_DAY, &last)) {
		fprintf(stderr, "rules_sql: internal: cannot parse the range\n");
		exit(2);
	}
	check_begin();
	for (int m = 1; m <= 12; m++) {
		char month[4], want[DATE_FMT_SIZE], day[DATE_FMT_SIZE];
		const char *p[1] = {month};
		PGresult *r;
		int n;

		snprintf(month, sizeof(month), "%d", m);
		r = query(db, "SELECT d::date, fiscal_year_start(d::date, $1::integer)"
			      "  FROM generate_series(date '" FIRST_DAY "', date '" LAST_DAY "',"
			      "                       interval '1 day') d ORDER BY 1",
			  1, p);
		enum { FY_DAY, FY_START };

		n = PQntuples(r);
		if (n != last - first + 1)
			fail("fiscal_year_start, first month %d: SQL gave %d days, want %ld", m, n,
			     (long)(last - first + 1));
		for (int i = 0; i < n; i++) {
			date_t d = first + i, sql_d, sql_fy, c_fy;

			date_format(d, day);
			if (date_parse(PQgetvalue(r, i, FY_DAY), &sql_d) || sql_d != d) {
				fail("fiscal_year_start, first month %d: row %d is day \"%s\", want %s",
				     m, i, PQgetvalue(r, i, FY_DAY), day);
				continue;
			}
			c_fy = date_fiscal_year_start(d, m);
			if (PQgetisnull(r, i, FY_START) || date_parse(PQgetvalue(r, i, FY_START), &sql_fy) ||
			    sql_fy != c_fy)
				fail("fiscal_year_start(%s, %d): SQL %s, C %s", day, m,
				     show(val(r, i, FY_START)), date_format(c_fy, want));
			compared++;
		}
		PQclear(r);
	}
	check_end("fiscal_year_start");
	return compared;
}

/* --- b. earning_rules ------------------------------------------------------- */

static void check_earning_rules(PGconn *db)
{
	PGresult *r = query(db, "SELECT earning, per_invoice, sales_by FROM earning_rules"
				" ORDER BY earning COLLATE \"C\"", 0, NULL);
	enum { ER_EARNING, ER_PER_INVOICE, ER_SALES_BY };
	int n = PQntuples(r);

	check_begin();
	for (size_t k = 0; k < earning_rules_count; k++) {
		const struct earning_rule *rule = &earning_rules[k];
		const char *sales = earning_sales_name(rule->sales_by);
		int row = -1;

		for (size_t j = 0; j < k; j++)
			if (strcmp(earning_rules[j].name, rule->name) == 0)
				fail("earning_rules: C names \"%s\" twice", rule->name);
		for (int i = 0; i < n; i++)
			if (strcmp(PQgetvalue(r, i, ER_EARNING), rule->name) == 0)
				row = i;
		if (row < 0) {
			fail("earning_rules: C rule \"%s\" (per_invoice %s, sales_by %s) has no SQL row",
			     rule->name, rule->per_invoice ? "true" : "false", show(sales));
			continue;
		}
		if (strcmp(PQgetvalue(r, row, ER_PER_INVOICE), rule->per_invoice ? "t" : "f") != 0)
			fail("earning_rules \"%s\": per_invoice: SQL %s, C %s", rule->name,
			     PQgetvalue(r, row, ER_PER_INVOICE), rule->per_invoice ? "t" : "f");
		if (!same(val(r, row, ER_SALES_BY), sales))
			fail("earning_rules \"%s\": sales_by: SQL %s, C %s", rule->name,
			     show(val(r, row, ER_SALES_BY)), show(sales));
	}
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < earning_rules_count; k++)
			if (strcmp(PQgetvalue(r, i, ER_EARNING), earning_rules[k].name) == 0)
				break;
		if (k == earning_rules_count)
			fail("earning_rules: SQL row \"%s\" (per_invoice %s, sales_by %s) is not in C's table",
			     PQgetvalue(r, i, ER_EARNING), PQgetvalue(r, i, ER_PER_INVOICE), show(val(r, i, ER_SALES_BY)));
	}
	PQclear(r);
	check_end("earning_rules");
}

/* --- c. ledger_ltd ---------------------------------------------------------- */

/* The life-to-date figure of each ledger kind (SPEC §5, README Reports):
 * what the reports and statements expect of ledger_ltd. */
static const struct {
	const char *kind, *ltd;
} ltd_of[] = {
	{"earn", "earned"},     {"accrual", "earned"},        {"adjust", "earned"},
	{"expire", "expired"},  {"reverse_expiry", "expired"}, {"redeem", "used"},
	{"vest", NULL},
};
#define NLTD (sizeof(ltd_of) / sizeof(ltd_of[0]))

static int nkinds;

static void check_ledger_ltd(PGconn *db)
{
	check_begin();
	for (nkinds = 0; acct_kind_names[nkinds]; nkinds++) {
		const char *kind = acct_kind_names[nkinds];
		const char *p[1] = {kind};
		size_t k;
		PGresult *r;

		if (acct_kind_parse(kind) != nkinds)
			fail("acct_kind_names[%d] \"%s\" parses as %d", nkinds, kind,
			     acct_kind_parse(kind));
		for (k = 0; k < NLTD; k++)
			if (strcmp(ltd_of[k].kind, kind) == 0)
				break;
		if (k == NLTD) {
			fail("ledger_ltd: C kind \"%s\" is not one rules_sql knows: which life-to-date "
			     "figure does it count in? (ledger_ltd, sql/005_rules.sql)", kind);
			continue;
		}
		r = query(db, "SELECT ledger_ltd($1::text)", 1, p);
		if (!same(db_value(r), ltd_of[k].ltd))
			fail("ledger_ltd('%s'): SQL %s, want %s", kind, show(db_value(r)),
			     show(ltd_of[k].ltd));
		PQclear(r);
	}
	if (nkinds != K_REVERSE_EXPIRY + 1)
		fail("acct_kind_names holds %d names, enum acct_kind %d kinds", nkinds,
		     K_REVERSE_EXPIRY + 1);
	for (size_t k = 0; k < NLTD; k++)
		if (acct_kind_parse(ltd_of[k].kind) < 0)
			fail("ledger_ltd: kind \"%s\" (%s) is not a C kind (acct_kind_names)",
			     ltd_of[k].kind, show(ltd_of[k].ltd));
	check_end("ledger_ltd");
}

/* --- d. the ledger's kind CHECK ---------------------------------------------- */

#define MADE_UP_KIND "made_up_kind"

static void check_kind_constraint(PGconn *db)
{
	PGresult *r;
	char *sql;
	size_t len;

	check_begin();
	/* the CHECK constraints of ledger on the column kind alone */
	r = query(db, "SELECT c.conname, pg_get_expr(c.conbin, c.conrelid)"
		      "  FROM pg_constraint c"
		      "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'kind'"
		      " WHERE c.conrelid = 'ledger'::regclass AND c.contype = 'c'"
		      "   AND c.conkey = ARRAY[a.attnum]", 0, NULL);
	enum { CK_NAME, CK_EXPR };
	if (PQntuples(r) != 1) {
		fail("ledger: %d CHECK constraints on kind alone, want 1", PQntuples(r));
		PQclear(r);
		return;
	}
	/* The server evaluates the constraint's own expression on each name:
	 * a CHECK accepts a row unless the expression is false. */
	len = strlen(PQgetvalue(r, 0, CK_EXPR)) + 128;
	if (!(sql = malloc(len))) {
		fprintf(stderr, "rules_sql: out of memory\n");
		exit(2);
	}
	snprintf(sql, len, "SELECT (%s) IS NOT FALSE FROM (VALUES ($1::text)) AS v(kind)",
		 PQgetvalue(r, 0, CK_EXPR));
	for (int i = 0; i <= nkinds; i++) {
		const char *kind = i < nkinds ? acct_kind_names[i] : MADE_UP_KIND;
		const char *p[1] = {kind};
		PGresult *v = query(db, sql, 1, p);
		int accepted = db_value(v) && strcmp(db_value(v), "t") == 0;

		if (i < nkinds && !accepted)
			fail("ledger's %s rejects the C kind \"%s\": %s", PQgetvalue(r, 0, CK_NAME), kind,
			     PQgetvalue(r, 0, CK_EXPR));
		if (i == nkinds && accepted)
			fail("ledger's %s accepts the made-up kind \"%s\": %s", PQgetvalue(r, 0, CK_NAME),
			     kind, PQgetvalue(r, 0, CK_EXPR));
		PQclear(v);
	}
	free(sql);
	PQclear(r);
	check_end("ledger kind check");
}

/* --- e. the documents of manual work -------------------------------------------- */

static void check_documents(PGconn *db)
{
	const char *p[1] = {"X1"};
	PGresult *r = query(db, "SELECT manual_expiry_document($1::text),"
				"       expiry_reversal_document($1::text)", 1, p);
	enum { DOC_EXPIRY, DOC_REVERSAL };

	check_begin();
	if (!same(val(r, 0, DOC_EXPIRY), ACCT_DOC_EXPIRY "X1"))
		fail("manual_expiry_document('X1'): SQL %s, C (ACCT_DOC_EXPIRY) %s",
		     show(val(r, 0, DOC_EXPIRY)), ACCT_DOC_EXPIRY "X1");
	if (!same(val(r, 0, DOC_REVERSAL), ACCT_DOC_REVERSAL "X1"))
		fail("expiry_reversal_document('X1'): SQL %s, C (ACCT_DOC_REVERSAL) %s",
		     show(val(r, 0, DOC_REVERSAL)), ACCT_DOC_REVERSAL "X1");
	PQclear(r);
	check_end("documents");
}

int main(int argc, char **argv)
{
	struct err e;
	PGconn *db;
	long days;

	if (argc != 2) {
		fprintf(stderr, "usage: rules_sql CONNINFO\n");
		return 2;
	}
	err_clear(&e);
	if (!(db = db_connect(argv[1], &e))) {
		fprintf(stderr, "rules_sql: %s\n", e.msg);
		return 2;
	}
	/* dates as YYYY-MM-DD whatever the server's default */
	if (db_exec(db, &e, "SET DateStyle = ISO", 0, NULL)) {
		fprintf(stderr, "rules_sql: %s\n", e.msg);
		db_close(db);
		return 2;
	}
	days = check_fiscal_year_start(db);
	check_earning_rules(db);
	check_ledger_ltd(db);
	check_kind_constraint(db);
	check_documents(db);
	db_close(db);
	printf("rules_sql: %s: fiscal_year_start on %ld days (%s..%s, first months 1..12), "
	       "%zu earning rules, ledger_ltd and the ledger's kind check on %d kinds, "
	       "2 document prefixes; %d differences\n",
	       failures ? "FAILED" : "C and SQL agree", days, FIRST_DAY, LAST_DAY,
	       earning_rules_count, nkinds, failures);
	return failures ? 1 : 0;
}
