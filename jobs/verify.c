/*
 * accrue verify [--deep]                                   (SPEC §13, §10)
 *
 * Read-only, safe at any time (like `git fsck`): one REPEATABLE READ READ
 * ONLY snapshot, in which
 *
 *   1. the schema is the one this accrue knows (else exit 2);
 *   2. the GL: every journal balances; per program, the liability role's
 *      balance equals the rounded money value of all pending plus usable
 *      units (core/rules/money, as the posting rounds);
 *   3. one pass over the ledger (GROUPING SETS: per account and program,
 *      per program and kind, per journal) checks every stored balance
 *      against the sum of its entries — ledger_totals per program and
 *      kind, each checkpoint's pending and usable at its day — and each
 *      account's pending + usable = ltd_earned − ltd_used, every
 *      value-moving entry has a journal that exists, and each checkpoint's
 *      lots are none below zero and sum, less its debt, to its usable;
 *   4. the closed periods have no gap (a month never closed between two
 *      closed ones).
 *
 * --deep also replays every account as of the last close, as a dry run,
 * and fails if it would post anything (an incremental close missed it).
 *
 * Each failure is one line naming the account, entry, journal, program or
 * period behind it (at most VERIFY_LIST of a check, then how many more).
 * Exit 0 clean, 1 failures, 2 a schema this accrue cannot check.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "app.h"
#include "close.h"
#include "commands.h"
#include "db.h"
#include "migrate.h"
#include "money.h"
#include "report.h"
#include "runs.h"

#define VERIFY_LIST 20          /* failures listed per check */
#define VERIFY_PROGRAMS 1024    /* programs checked for the GL */
#define VERIFY_TOTALS (VERIFY_PROGRAMS * 8)   /* ledger_totals rows */

static const char help[] =
	"usage: accrue verify [--deep]\n"
	"\n"
	"Checks every invariant of the books, reading only (safe at any time):\n"
	"  - every stored balance equals the sum of its entries (the running\n"
	"    totals per program and kind; each account's checkpoint)\n"
	"  - a checkpoint's lots are none below zero and sum, less its debt, to\n"
	"    its usable balance\n"
	"  - per account, pending + usable = ltd_earned - ltd_used\n"
	"  - every journal balances, and every entry that moves value has one\n"
	"  - per program, the liability account's GL balance equals the rounded\n"
	"    money value of all pending plus usable units\n"
	"  - the closed periods have no gap\n"
	"\n"
	"  --deep   also replay every account as of the last close (a dry run) and\n"
	"           check that it would post nothing\n"
	"\n"
	"Each failure is listed with the account, entry, journal or period behind\n"
	"it.  exit status: 0 clean, 1 failures found, 2 usage or a schema this\n"
	"accrue does not know, 69 database unavailable\n";

/* The failures of one check. */
struct check {
	const char *name;
	long long failed;
};

struct verify {
	PGconn *db;
	struct err *e;
	struct check *cur;
	long long failures;
	long long checked_accounts, checked_journals, checked_checkpoints;
	/* per program: units from the ledger, GL liability, unit value */
	struct vprog {
		char code[ACCT_KEY];
		int64_t units;
		int64_t liability_cents;   /* debits positive */
		int64_t unit_value_cents;
		int mixed;                 /* the liability account shares a line with another role */
	} progs[VERIFY_PROGRAMS];
	size_t nprogs;
	/* ledger_totals as stored, each marked when the ledger had its kind */
	struct vtotal {
		char program[ACCT_KEY];
		char kind[16];
		int64_t units;
		int seen;
	} totals[VERIFY_TOTALS];
	size_t ntotals;
};

static void fail(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->failures++;
	if (++v->cur->failed > VERIFY_LIST)
		return;
	printf("FAIL %s: ", v->cur->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_end(struct verify *v)
{
	if (v->cur->failed > VERIFY_LIST)
		printf("FAIL %s: ... and %lld more\n", v->cur->name, v->cur->failed - VERIFY_LIST);
	else if (!v->cur->failed)
		printf("ok   %s\n", v->cur->name);
}

static int64_t num(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : db_int64(PQgetvalue(r, row, col));
}

/* ---- 1. the schema ---- */

static int check_schema(struct verify *v)
{
	int known = 0;
	PGresult *r;
	const char *have;

	for (int i = 0; i < migrations_count; i++)
		if (migrations[i].version > known)
			known = migrations[i].version;
	r = db_query(v->db, v->e, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL);
	if (!r)
		return v->e->exit;
	have = db_value(r);
	if (!have || strcmp(have, "t") != 0) {
		PQclear(r);
		return err_set(v->e, EXIT_USAGE, "the database is not migrated: run `accrue db migrate`");
	}
	PQclear(r);
	if (!(r = db_query(v->db, v->e, "SELECT COALESCE(max(version), 0) FROM schema_migrations",
			   0, NULL)))
		return v->e->exit;
	have = db_value(r);
	{
		int version = have ? atoi(have) : 0;

		PQclear(r);
		if (version > known)
			return err_set(v->e, EXIT_USAGE, "the database was migrated by a newer accrue "
				       "(schema %d, this accrue knows %d): run that accrue's verify",
				       version, known);
		if (version < known)
			return err_set(v->e, EXIT_USAGE, "the database's schema is %d, this accrue's %d: "
				       "run `accrue db migrate` first", version, known);
	}
	return 0;
}

/* ---- 2. the GL ---- */

/* Journals whose lines do not balance (the database checks each at
 * commit; this finds what was changed since). */
static const char unbalanced_sql[] =
	"SELECT j.journal_id, j.program, j.journal_date::text,"
	"       COALESCE(sum(l.debit_cents), 0), COALESCE(sum(l.credit_cents), 0), count(l.line_id)"
	"  FROM gl_journals j LEFT JOIN gl_lines l USING (journal_id)"
	" GROUP BY j.journal_id, j.program, j.journal_date"
	" HAVING COALESCE(sum(l.debit_cents), 0) <> COALESCE(sum(l.credit_cents), 0)"
	" ORDER BY j.journal_id";
enum { UB_JOURNAL, UB_PROGRAM, UB_DATE, UB_DEBIT, UB_CREDIT, UB_LINES };

/* Per program: its unit value and the GL balance of its liability role. */
static const char liability_sql[] =
	"SELECT p.program, p.unit_value_cents,"
	"       COALESCE(sum(l.debit_cents - l.credit_cents) FILTER (WHERE l.role = 'liability'), 0),"
	"       COALESCE(bool_or(l.role IS NULL AND l.account = p.liability_account), false)"
	"  FROM programs p"
	"  LEFT JOIN gl_journals j ON j.program = p.program"
	"  LEFT JOIN gl_lines l ON l.journal_id = j.journal_id"
	" GROUP BY p.program, p.unit_value_cents ORDER BY p.program";
enum { LB_PROGRAM, LB_UNIT_VALUE, LB_LIABILITY, LB_MIXED };

static int check_journals(struct verify *v)
{
	struct check c = {"journals balance", 0};
	PGresult *r;

	v->cur = &c;
	if (!(r = db_query(v->db, v->e, unbalanced_sql, 0, NULL)))
		return v->e->exit;
	for (int i = 0; i < PQntuples(r); i++) {
		char d[MONEY_FMT_SIZE], k[MONEY_FMT_SIZE];

		fail(v, "journal %s (program %s, %s): debits %s, credits %s in %s lines",
		     PQgetvalue(r, i, UB_JOURNAL), PQgetvalue(r, i, UB_PROGRAM), PQgetvalue(r, i, UB_DATE),
		     money_format(num(r, i, UB_DEBIT), d), money_format(num(r, i, UB_CREDIT), k),
		     PQgetvalue(r, i, UB_LINES));
	}
	PQclear(r);
	check_end(v);

	if (!(r = db_query(v->db, v->e, "SELECT count(*) FROM gl_journals", 0, NULL)))
		return v->e->exit;
	v->checked_journals = db_value(r) ? atoll(db_value(r)) : 0;
	PQclear(r);
	if (!(r = db_query(v->db, v->e, liability_sql, 0, NULL)))
		return v->e->exit;
	if ((size_t)PQntuples(r) > VERIFY_PROGRAMS) {
		PQclear(r);
		return err_set(v->e, EXIT_FAIL, "more than %d programs: verify cannot check them",
			       VERIFY_PROGRAMS);
	}
	v->nprogs = (size_t)PQntuples(r);
	for (size_t i = 0; i < v->nprogs; i++) {
		struct vprog *p = &v->progs[i];

		memset(p, 0, sizeof(*p));
		snprintf(p->code, sizeof(p->code), "%s", PQgetvalue(r, (int)i, LB_PROGRAM));
		p->unit_value_cents = num(r, (int)i, LB_UNIT_VALUE);
		p->liability_cents = num(r, (int)i, LB_LIABILITY);
		p->mixed = !strcmp(PQgetvalue(r, (int)i, LB_MIXED), "t");
	}
	PQclear(r);
	return 0;
}

static struct vprog *prog_of(struct verify *v, const char *code)
{
	for (size_t i = 0; i < v->nprogs; i++)
		if (!strcmp(v->progs[i].code, code))
			return &v->progs[i];
	return NULL;
}

/* After the ledger pass has summed each program's units. */
static void check_liability(struct verify *v)
{
	struct check c = {"liability equals the value of the units", 0};

	v->cur = &c;
	for (size_t i = 0; i < v->nprogs; i++) {
		const struct vprog *p = &v->progs[i];
		/* the liability role's running units are −Σ units (debits
		 * positive); the posting rounds their value the same way */
		int64_t want = units_value_cents(-p->units, p->unit_value_cents);
		char have_s[MONEY_FMT_SIZE], want_s[MONEY_FMT_SIZE], units_s[MONEY_FMT_SIZE];
		char diff_s[MONEY_FMT_SIZE];

		if (p->mixed) {
			printf("note %s: program %s: its liability account shares GL lines with another "
			       "role; not checked\n", c.name, p->code);
			continue;
		}
		if (p->liability_cents != want)
			fail(v, "program %s: GL liability %s, value of %s units %s (difference %s)",
			     p->code, money_format(-p->liability_cents, have_s),
			     decimal_format(p->units, 2, units_s), money_format(-want, want_s),
			     money_format(p->liability_cents - want, diff_s));
	}
	check_end(v);
}

/* ---- 3. the ledger, in one pass ---- */

/*
 * The ledger grouped per account and program, in parallel where the server
 * can, each entry joined to its account's checkpoint day and to its
 * journal (so that an entry naming a journal that does not exist is
 * counted): the balances, the life-to-date sums (ledger_ltd,
 * sql/005_rules.sql), the balances through the checkpoint's day, the
 * entries without a journal or with a lost one; then the account's
 * current program and checkpoint.  No ORDER BY: each row is checked on its
 * own.  (One level of grouping: grouping per kind first and then per
 * account was a third slower, in combining the workers' sums.)
 */
static const char ledger_sql[] =
	"DECLARE verify_rows NO SCROLL CURSOR FOR "
	"WITH acc AS ("
	"  SELECT l.account, l.program,"
	"         sum(l.pending_units)::bigint AS pending, sum(l.usable_units)::bigint AS usable,"
	"         COALESCE(sum(l.pending_units + l.usable_units)"
	"                  FILTER (WHERE ledger_ltd(l.kind) = 'earned'), 0)::bigint AS earned,"
	"         -COALESCE(sum(l.pending_units + l.usable_units)"
	"                   FILTER (WHERE ledger_ltd(l.kind) = 'expired'), 0)::bigint AS expired,"
	"         -COALESCE(sum(l.usable_units) FILTER (WHERE ledger_ltd(l.kind) = 'used'), 0)::bigint"
	"           AS used,"
	"         COALESCE(sum(l.pending_units) FILTER (WHERE l.entry_date <= k.checkpoint_day), 0)::bigint"
	"           AS ck_pending,"
	"         COALESCE(sum(l.usable_units) FILTER (WHERE l.entry_date <= k.checkpoint_day), 0)::bigint"
	"           AS ck_usable,"
	"         count(*) FILTER (WHERE l.journal_id IS NULL"
	"                          AND l.pending_units + l.usable_units <> 0) AS unjournaled,"
	"         min(l.entry_id) FILTER (WHERE l.journal_id IS NULL"
	"                                 AND l.pending_units + l.usable_units <> 0) AS first_unjournaled,"
	"         count(*) FILTER (WHERE l.journal_id IS NOT NULL AND j.journal_id IS NULL) AS lost,"
	"         min(l.entry_id) FILTER (WHERE l.journal_id IS NOT NULL AND j.journal_id IS NULL)"
	"           AS first_lost"
	"    FROM ledger l"
	"    LEFT JOIN account_checkpoints k ON k.account = l.account"
	"    LEFT JOIN gl_journals j ON j.journal_id = l.journal_id"
	"   GROUP BY l.account, l.program"
	") "
	"SELECT a.account, a.program, a.pending, a.usable, a.earned, a.expired, a.used,"
	"       a.ck_pending, a.ck_usable, a.unjournaled, a.first_unjournaled, a.lost, a.first_lost,"
	"       c.program = a.program AND k.checkpoint IS NOT NULL, k.checkpoint"
	"  FROM acc a"
	"  LEFT JOIN customers c ON c.customer = a.account"
	"  LEFT JOIN account_checkpoints k ON k.account = a.account";
enum { V_ACCOUNT, V_PROGRAM, V_PENDING, V_USABLE, V_EARNED, V_EXPIRED, V_USED,
       V_CK_PENDING, V_CK_USABLE, V_UNJOURNALED, V_FIRST_UNJOURNALED, V_LOST, V_FIRST_LOST,
       V_CHECKPOINTED, V_CHECKPOINT };

/* The units per program and kind, beside ledger_totals (read before, so
 * that a stored total with no entries is found too). */
static const char kinds_sql[] =
	"SELECT program, kind, sum(pending_units + usable_units)::bigint FROM ledger"
	" GROUP BY program, kind";
enum { K_PROGRAM, K_KIND, K_UNITS };

struct ledger_checks {
	struct check identity, totals, journals, checkpoints, lots;
};

static void journals_of(struct verify *v, struct ledger_checks *lc, PGresult *r, int i);

static void account_row(struct verify *v, struct ledger_checks *lc, PGresult *r, int i)
{
	const char *account = PQgetvalue(r, i, V_ACCOUNT), *program = PQgetvalue(r, i, V_PROGRAM);
	int64_t pending = num(r, i, V_PENDING), usable = num(r, i, V_USABLE);
	int64_t ltd_earned = num(r, i, V_EARNED) - num(r, i, V_EXPIRED), ltd_used = num(r, i, V_USED);
	struct vprog *p = prog_of(v, program);
	char a[MONEY_FMT_SIZE], b[MONEY_FMT_SIZE];

	v->checked_accounts++;
	if (p)
		p->units += pending + usable;
	journals_of(v, lc, r, i);
	v->cur = &lc->identity;
	if (pending + usable != ltd_earned - ltd_used)
		fail(v, "account %s, program %s: pending + usable %s, ltd_earned - ltd_used %s",
		     account, program, decimal_format(pending + usable, 2, a),
		     decimal_format(ltd_earned - ltd_used, 2, b));
	if (strcmp(PQgetvalue(r, i, V_CHECKPOINTED), "t") != 0)
		return;
	{
		struct acct_ck_summary k;
		char day[DATE_FMT_SIZE];

		v->checked_checkpoints++;
		v->cur = &lc->checkpoints;
		if (account_checkpoint_summary(PQgetvalue(r, i, V_CHECKPOINT), &k)) {
			fail(v, "account %s: its checkpoint cannot be read", account);
			return;
		}
		date_format(k.day, day);
		if (k.pending != num(r, i, V_CK_PENDING))
			fail(v, "account %s: checkpoint of %s holds pending %s, its entries through "
			     "that day sum to %s", account, day, decimal_format(k.pending, 2, a),
			     decimal_format(num(r, i, V_CK_PENDING), 2, b));
		if (k.usable != num(r, i, V_CK_USABLE))
			fail(v, "account %s: checkpoint of %s holds usable %s, its entries through "
			     "that day sum to %s", account, day, decimal_format(k.usable, 2, a),
			     decimal_format(num(r, i, V_CK_USABLE), 2, b));
		v->cur = &lc->lots;
		if (k.nlots && k.min_lot < 0)
			fail(v, "account %s: checkpoint of %s holds a lot of %s units", account, day,
			     decimal_format(k.min_lot, 2, a));
		if (k.lots_units - k.debt != k.usable) {
			char c[MONEY_FMT_SIZE];

			fail(v, "account %s: checkpoint of %s: lots %s less debt %s is not its usable %s",
			     account, day, decimal_format(k.lots_units, 2, a),
			     decimal_format(k.debt, 2, b), decimal_format(k.usable, 2, c));
		}
	}
}

static void kind_row(struct verify *v, struct ledger_checks *lc, PGresult *r, int i)
{
	const char *program = PQgetvalue(r, i, K_PROGRAM), *kind = PQgetvalue(r, i, K_KIND);
	int64_t units = num(r, i, K_UNITS);
	char a[MONEY_FMT_SIZE], b[MONEY_FMT_SIZE];

	v->cur = &lc->totals;
	for (size_t k = 0; k < v->ntotals; k++) {
		struct vtotal *t = &v->totals[k];

		if (strcmp(t->program, program) || strcmp(t->kind, kind))
			continue;
		t->seen = 1;
		if (t->units != units)
			fail(v, "program %s, kind %s: stored total %s, entries sum to %s", program, kind,
			     decimal_format(t->units, 2, a), decimal_format(units, 2, b));
		return;
	}
	if (units)
		fail(v, "program %s, kind %s: no stored total, entries sum to %s", program, kind,
		     decimal_format(units, 2, b));
}

/* Before the ledger pass: ledger_totals as stored. */
static int load_totals(struct verify *v)
{
	enum { T_PROGRAM, T_KIND, T_UNITS };
	PGresult *r = db_query(v->db, v->e, "SELECT program, kind, units FROM ledger_totals", 0, NULL);

	if (!r)
		return v->e->exit;
	if ((size_t)PQntuples(r) > VERIFY_TOTALS) {
		PQclear(r);
		return err_set(v->e, EXIT_FAIL, "more than %d stored totals: verify cannot check them",
			       VERIFY_TOTALS);
	}
	v->ntotals = (size_t)PQntuples(r);
	for (size_t k = 0; k < v->ntotals; k++) {
		struct vtotal *t = &v->totals[k];

		snprintf(t->program, sizeof(t->program), "%s", PQgetvalue(r, (int)k, T_PROGRAM));
		snprintf(t->kind, sizeof(t->kind), "%s", PQgetvalue(r, (int)k, T_KIND));
		t->units = num(r, (int)k, T_UNITS);
		t->seen = 0;
	}
	PQclear(r);
	return 0;
}

/* The entries of an account without a journal, or naming one that does
 * not exist. */
static void journals_of(struct verify *v, struct ledger_checks *lc, PGresult *r, int i)
{
	v->cur = &lc->journals;
	if (num(r, i, V_UNJOURNALED))
		fail(v, "account %s, program %s: %lld entries that move value have no journal "
		     "(the first: entry %s)", PQgetvalue(r, i, V_ACCOUNT), PQgetvalue(r, i, V_PROGRAM),
		     (long long)num(r, i, V_UNJOURNALED), PQgetvalue(r, i, V_FIRST_UNJOURNALED));
	if (num(r, i, V_LOST))
		fail(v, "account %s, program %s: %lld entries name a journal that does not exist "
		     "(the first: entry %s)", PQgetvalue(r, i, V_ACCOUNT), PQgetvalue(r, i, V_PROGRAM),
		     (long long)num(r, i, V_LOST), PQgetvalue(r, i, V_FIRST_LOST));
}

/* account_row through report_each (a failure is counted, not an error). */
struct verify_each {
	struct verify *v;
	struct ledger_checks *lc;
};

static int verify_each_row(void *ctx, PGresult *r, int i)
{
	struct verify_each *x = ctx;

	account_row(x->v, x->lc, r, i);
	return 0;
}

static int check_ledger(struct verify *v)
{
	struct ledger_checks lc = {
		{"pending + usable = ltd_earned - ltd_used", 0},
		{"stored totals equal their entries", 0},
		{"entries have their journals", 0},
		{"checkpoints equal their entries", 0},
		{"checkpoint lots", 0},
	};
	PGresult *r;
	int rc;

	if ((rc = load_totals(v)))
		return rc;
	if (!(r = db_query(v->db, v->e, ledger_sql, 0, NULL)))
		return v->e->exit;
	PQclear(r);
	{
		struct verify_each each = {v, &lc};

		if ((rc = report_each(v->db, v->e, "FETCH " REPORT_FETCH " FROM verify_rows",
				      verify_each_row, &each)))
			return rc;
	}
	if (!(r = db_query(v->db, v->e, kinds_sql, 0, NULL)))
		return v->e->exit;
	for (int i = 0; i < PQntuples(r); i++)
		kind_row(v, &lc, r, i);
	PQclear(r);
	v->cur = &lc.totals;
	for (size_t k = 0; k < v->ntotals; k++) {
		char a[MONEY_FMT_SIZE];

		if (!v->totals[k].seen && v->totals[k].units)
			fail(v, "program %s, kind %s: stored total %s, no entries", v->totals[k].program,
			     v->totals[k].kind, decimal_format(v->totals[k].units, 2, a));
	}
	for (struct check *c = &lc.identity; c <= &lc.lots; c++) {
		v->cur = c;
		check_end(v);
	}
	return rc;
}

/* ---- 4. the periods ---- */

static int check_periods(struct verify *v)
{
	struct check c = {"closed periods have no gap", 0};
	PGresult *r = db_query(v->db, v->e,
			       "SELECT to_char(prev, 'YYYY-MM'), to_char(period, 'YYYY-MM')"
			       "  FROM (SELECT period, lag(period) OVER (ORDER BY period) AS prev"
			       "          FROM periods) x"
			       " WHERE prev IS NOT NULL AND period <> (prev + interval '1 month')::date"
			       " ORDER BY period", 0, NULL);
	enum { P_PREV, P_PERIOD };

	if (!r)
		return v->e->exit;
	v->cur = &c;
	for (int i = 0; i < PQntuples(r); i++)
		fail(v, "periods %s and %s are closed, the months between are not",
		     PQgetvalue(r, i, P_PREV), PQgetvalue(r, i, P_PERIOD));
	PQclear(r);
	check_end(v);
	return 0;
}

/* ---- --deep ---- */

static int check_deep(struct app *a, struct verify *v)
{
	struct check c = {"a replay of every account posts nothing", 0};
	struct close_request q = {.dry_run = 1, .full = 1};
	struct err e = {0};
	int has, rc;

	v->cur = &c;
	if ((rc = runs_last_close(v->db, &e, &q.as_of, &has)))
		return app_fail(&e);
	if (!has) {
		printf("note %s: no close has finished: nothing to replay\n", c.name);
		return 0;
	}
	fflush(stdout);
	rc = close_books(a, &q);
	if (rc != EXIT_OK && rc != EXIT_EXCEPTIONS)
		return rc;
	if (q.posted)
		fail(v, "a --full dry run as of the last close would post %lld entries: "
		     "run `accrue daily-close --full`", q.posted);
	check_end(v);
	return 0;
}

int cmd_verify(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"deep", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct verify *v;
	struct err e = {0};
	int deep = 0, c, rc;

	if (app_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			deep = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("verify", c, argv);
		}
	}
	if (optind < argc)
		return app_usage("verify", "unexpected argument \"%s\"", argv[optind]);
	if (!(v = calloc(1, sizeof(*v)))) {
		err_set(&e, EXIT_FAIL, "out of memory");
		return app_fail(&e);
	}
	v->e = &e;
	if (!(v->db = app_db(a, &e))) {
		free(v);
		return app_fail(&e);
	}
	/* the ledger's grouping hashes in memory, as the close's do */
	if ((rc = report_begin(v->db, &e)) ||
	    (rc = db_exec(v->db, &e, "SET LOCAL work_mem = '256MB'", 0, NULL)) ||
	    (rc = check_schema(v)) || (rc = check_journals(v)) || (rc = check_ledger(v)) ||
	    (rc = check_periods(v))) {
		report_rollback(v->db);
		free(v);
		return app_fail(&e);
	}
	check_liability(v);
	report_rollback(v->db);
	if (deep && (rc = check_deep(a, v))) {
		free(v);
		return rc;
	}
	printf("verify: %lld accounts, %lld checkpoints, %lld journals checked: %s\n",
	       v->checked_accounts, v->checked_checkpoints, v->checked_journals,
	       v->failures ? "FAILED" : "clean");
	rc = v->failures ? EXIT_FAIL : EXIT_OK;
	if (v->failures)
		fprintf(stderr, "accrue verify: %lld failures (listed above)\n", v->failures);
	free(v);
	return rc;
}
