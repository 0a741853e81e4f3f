/*
 * accrue reconcile --as-of D [--from D] [--format table|csv|xlsx] [--out FILE]
 *                                                          (SPEC §13, §10)
 *
 * Per program, the GL beside the ledger, in one snapshot:
 *   liability   the liability role's GL balance from the journals dated up
 *               to D, beside the money value of all pending plus usable
 *               units of the entries dated up to D;
 *   expense, forfeit, receivable
 *               each role's GL movement from the journals dated from F to
 *               D, beside the money value of the ledger's earnings
 *               (earnings, accruals, adjustments), expiries (and reversed
 *               expiries) and redemptions dated from F to D — the kinds'
 *               figure of ledger_ltd (sql/005_rules.sql) picks the role.
 * F is --from, else the day after the last reconcile as of a day before D
 * (reconciling the same D again shows the same range), else the start.
 * Every difference is followed by the entries behind it: an entry dated in
 * the range whose journal is dated outside it (a late document journaled
 * in the next open period), or the other way round, one row each; what they
 * leave is the rounding of the values, on a row of its own.
 *
 * Columns: program,line,gl,ledger,difference,detail (money, 2 decimals; gl
 * and ledger signed as the GL: debits positive, so the liability and the
 * movements that credit it are negative).  A reconcile is recorded as a run
 * of job `reconcile` (its D), so the next one starts the day after.
 * Before any close there is nothing to reconcile: it says so, exit 0 (a
 * workbook, which is no place for a sentence, gets its header row only and
 * the sentence goes to stderr).  The workbook's sheet is "Reconcile D".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "files.h"
#include "money.h"
#include "report.h"
#include "runs.h"
#include "table.h"

#define RECONCILE_ENTRIES 100     /* entries listed behind one difference */
#define RECONCILE_ENTRIES_S "100"

static const char help[] =
	"usage: accrue reconcile --as-of DATE [--from DATE] [--format table|csv|xlsx]\n"
	"                        [--out FILE]\n"
	"\n"
	"Per program, the GL beside the ledger:\n"
	"  liability    the liability account's GL balance as of DATE beside the money\n"
	"               value of all pending plus usable units as of DATE\n"
	"  expense, forfeit, receivable\n"
	"               the GL movements from --from to DATE beside the value of the\n"
	"               ledger's earnings, expiries and redemptions dated in that range\n"
	"Every difference is followed by the entries behind it (dated in the range\n"
	"but journaled outside it, or the other way round) and the rounding left.\n"
	"\n"
	"  --as-of DATE     the last day (YYYY-MM-DD)\n"
	"  --from DATE      the first day of the movements (default: the day after the\n"
	"                   last reconcile as of an earlier day, else the start)\n"
	"  --format FORMAT  table (default), csv, or xlsx (an Excel workbook: amounts\n"
	"                   as numbers, codes as text; needs --out or a redirection)\n"
	"  --out FILE       write FILE (whole or not at all) instead of stdout\n"
	"\n"
	"columns: program,line,gl,ledger,difference,detail (debits positive)\n";

static const char *const cols[] = {"program", "line", "gl", "ledger", "difference", "detail"};
static const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT,
					 TABLE_RIGHT, TABLE_LEFT};
static const enum xlsx_cell types[] = {XLSX_TEXT, XLSX_TEXT, XLSX_AMOUNT, XLSX_AMOUNT,
				       XLSX_AMOUNT, XLSX_TEXT};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/*
 * Per program and line: the GL side in cents, the ledger side in units (C
 * values them, as the posting does), and the unit value.  $1 from ('-infinity'
 * for the start), $2 as-of.  The line's role: liability for the balance,
 * else the ledger_ltd figure's (earned → expense, expired → forfeit, used →
 * receivable).
 */
static const char lines_sql[] =
	"WITH line(line, ord) AS (VALUES ('liability', 0), ('expense', 1), ('forfeit', 2),"
	"                                ('receivable', 3)),"
	" gl AS ("
	"  SELECT j.program, l.role AS line,"
	"         sum(l.debit_cents - l.credit_cents) FILTER (WHERE l.role = 'liability'"
	"                                                     OR j.journal_date >= $1::date) AS cents"
	"    FROM gl_journals j JOIN gl_lines l USING (journal_id)"
	"   WHERE j.journal_date <= $2::date"
	"   GROUP BY j.program, l.role"
	"), led AS ("
	"  SELECT e.program, r.line, sum(e.pending_units + e.usable_units) AS units"
	"    FROM ledger e"
	"   CROSS JOIN LATERAL (VALUES ('liability'),"
	"        (CASE ledger_ltd(e.kind) WHEN 'earned' THEN 'expense' WHEN 'expired' THEN 'forfeit'"
	"                                 WHEN 'used' THEN 'receivable' END)) r(line)"
	"   WHERE e.entry_date <= $2::date AND r.line IS NOT NULL"
	"     AND (r.line = 'liability' OR e.entry_date >= $1::date)"
	"   GROUP BY e.program, r.line"
	") "
	"SELECT p.program, ln.line, COALESCE(gl.cents, 0), COALESCE(led.units, 0), p.unit_value_cents"
	"  FROM programs p CROSS JOIN line ln"
	"  LEFT JOIN gl ON gl.program = p.program AND gl.line = ln.line"
	"  LEFT JOIN led ON led.program = p.program AND led.line = ln.line"
	" ORDER BY p.program COLLATE \"C\", ln.ord";
enum { L_PROGRAM, L_LINE, L_CENTS, L_UNITS, L_UNIT_VALUE };

/*
 * The entries of one program and line counted on one side only: dated in
 * the range but journaled outside it (or without a journal), or journaled
 * in it but dated outside.  $1 from, $2 as-of, $3 program, $4 line.
 */
static const char behind_sql[] =
	"SELECT e.entry_id, e.kind, e.entry_date::text, e.document, e.pending_units + e.usable_units,"
	"       e.journal_id, j.journal_date::text,"
	"       e.entry_date BETWEEN (CASE WHEN $4 = 'liability' THEN '-infinity' ELSE $1::date END)"
	"                        AND $2::date AS in_ledger"
	"  FROM ledger e LEFT JOIN gl_journals j ON j.journal_id = e.journal_id"
	" WHERE e.program = $3 AND e.pending_units + e.usable_units <> 0"
	"   AND ($4 = 'liability'"
	"        OR (CASE ledger_ltd(e.kind) WHEN 'earned' THEN 'expense' WHEN 'expired' THEN 'forfeit'"
	"                                    WHEN 'used' THEN 'receivable' END) = $4)"
	"   AND (e.entry_date BETWEEN (CASE WHEN $4 = 'liability' THEN '-infinity' ELSE $1::date END)"
	"                         AND $2::date)"
	"       IS DISTINCT FROM"
	"       (j.journal_date BETWEEN (CASE WHEN $4 = 'liability' THEN '-infinity' ELSE $1::date END)"
	"                           AND $2::date)"
	" ORDER BY e.entry_date, e.entry_id"
	" LIMIT " RECONCILE_ENTRIES_S " + 1";
enum { B_ENTRY, B_KIND, B_DATE, B_DOCUMENT, B_UNITS, B_JOURNAL, B_JOURNAL_DATE, B_IN_LEDGER };

struct rec {
	PGconn *db;
	struct err *e;
	struct table_out t;
	struct report_out o;
	const char *from, *to;       /* from: '-infinity' for the start */
	long long differences;
};

static int row(struct rec *r, const char *program, const char *line, int64_t gl, int64_t ledger,
	       const char *detail)
{
	char g[MONEY_FMT_SIZE], l[MONEY_FMT_SIZE], d[MONEY_FMT_SIZE];
	const char *cells[NCOLS] = {program, line, money_format(gl, g), money_format(ledger, l),
				    money_format(gl - ledger, d), detail};

	return table_row(&r->t, cells) ? report_table_failed(r->e, &r->t, &r->o) : 0;
}

/* The entries behind a difference, then the rounding they leave. */
static int behind(struct rec *r, const char *program, const char *line, int64_t diff,
		  int64_t unit_value)
{
	const char *p[4] = {r->from, r->to, program, line};
	PGresult *res = db_query(r->db, r->e, behind_sql, 4, p);
	int64_t explained = 0;
	int rc = 0, n;

	if (!res)
		return r->e->exit;
	n = PQntuples(res);
	for (int i = 0; i < n && i < RECONCILE_ENTRIES && !rc; i++) {
		int64_t units = db_int64(PQgetvalue(res, i, B_UNITS));
		/* as the GL signs it: units credit the liability, debit the
		 * counter role */
		int64_t cents = units_value_cents(strcmp(line, "liability") ? units : -units, unit_value);
		int in_ledger = !strcmp(PQgetvalue(res, i, B_IN_LEDGER), "t");
		char detail[512];

		snprintf(detail, sizeof(detail), "entry %s: %s %s %s, %s", PQgetvalue(res, i, B_ENTRY),
			 PQgetvalue(res, i, B_KIND), PQgetvalue(res, i, B_DATE),
			 PQgetvalue(res, i, B_DOCUMENT),
			 PQgetisnull(res, i, B_JOURNAL) ? "no journal"
			 : PQgetvalue(res, i, B_JOURNAL_DATE));
		if (!PQgetisnull(res, i, B_JOURNAL))
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
				 " (journal %s)", PQgetvalue(res, i, B_JOURNAL));
		explained += in_ledger ? -cents : cents;
		rc = row(r, program, "entry", in_ledger ? 0 : cents, in_ledger ? cents : 0, detail);
	}
	if (!rc && n > RECONCILE_ENTRIES)
		rc = row(r, program, "entry", 0, 0, "... and more entries");
	PQclear(res);
	if (!rc && diff != explained && n <= RECONCILE_ENTRIES)
		rc = row(r, program, "rounding", diff - explained, 0,
			 "the cents the rounding of each journal leaves");
	return rc;
}

static int reconcile(struct rec *r)
{
	const char *p[2] = {r->from, r->to};
	PGresult *res = db_query(r->db, r->e, lines_sql, 2, p);
	int rc = 0;

	if (!res)
		return r->e->exit;
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		const char *program = PQgetvalue(res, i, L_PROGRAM), *line = PQgetvalue(res, i, L_LINE);
		int64_t cents = db_int64(PQgetvalue(res, i, L_CENTS));
		int64_t units = db_int64(PQgetvalue(res, i, L_UNITS));
		int64_t uv = db_int64(PQgetvalue(res, i, L_UNIT_VALUE));
		int liability = !strcmp(line, "liability");
		/* the GL's sign: the units credit the liability (negative) and
		 * debit the counter role */
		int64_t value = units_value_cents(liability ? -units : units, uv);
		char detail[128];

		if (liability)
			snprintf(detail, sizeof(detail), "balance as of %s", r->to);
		else if (!strcmp(r->from, "-infinity"))
			snprintf(detail, sizeof(detail), "movements to %s", r->to);
		else
			snprintf(detail, sizeof(detail), "movements %s to %s", r->from, r->to);
		rc = row(r, program, line, cents, value, detail);
		if (!rc && cents != value) {
			r->differences++;
			rc = behind(r, program, line, cents - value, uv);
		}
	}
	PQclear(res);
	return rc;
}

/* The day after the last reconcile as of a day before r->to (so that
 * reconciling the same day again shows the same range), and whether any
 * close has finished. */
static int defaults(struct rec *r, char from[DATE_FMT_SIZE], int *closed)
{
	enum { D_NEXT, D_CLOSED };
	const char *p[1] = {r->to};
	PGresult *res = db_query(r->db, r->e,
				 "SELECT (SELECT max(business_date) + 1 FROM runs"
				 "         WHERE job = 'reconcile' AND status = 'done'"
				 "           AND business_date < $1::date)::text,"
				 "       EXISTS (SELECT 1 FROM runs WHERE status = 'done'"
				 "                  AND job IN ('daily-close', 'month-end'))", 1, p);

	if (!res)
		return r->e->exit;
	snprintf(from, DATE_FMT_SIZE, "%s",
		 PQgetisnull(res, 0, D_NEXT) ? "" : PQgetvalue(res, 0, D_NEXT));
	*closed = !strcmp(PQgetvalue(res, 0, D_CLOSED), "t");
	PQclear(res);
	return 0;
}

/* The report to --out or stdout, whole or not at all: its rows, or with
 * `rows` 0 the header alone. */
static int output(struct rec *r, enum table_format fmt, const char *out, int rows)
{
	char sheet[XLSX_SHEET_NAME_SIZE];
	int rc;

	xlsx_sheet_name("Reconcile", r->to, sheet);
	if ((rc = report_out_open(&r->o, out, r->e)))
		return rc;
	if (table_begin_sheet(&r->t, r->o.f, fmt, NCOLS, cols, align, types, sheet))
		rc = report_table_failed(r->e, &r->t, &r->o);
	else if (rows)
		rc = reconcile(r);
	if (rc)
		table_abort(&r->t);
	else if (table_end(&r->t))
		rc = report_table_failed(r->e, &r->t, &r->o);
	return report_out_close(&r->o, rc, r->e);
}

int cmd_reconcile(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"as-of", required_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'f'},
		{"format", required_argument, NULL, 'F'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum table_format fmt = TABLE_TEXT;
	char from_s[DATE_FMT_SIZE] = "", to_s[DATE_FMT_SIZE], last[DATE_FMT_SIZE];
	date_t from = 0, to = 0;
	int have_from = 0, have_to = 0, closed = 0, c, rc;
	struct err e = {0};
	struct rec r;
	long long run_id = 0;
	const char *out = NULL;

	if (app_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (app_date_arg("reconcile", "--as-of", optarg, &to))
				return EXIT_USAGE;
			have_to = 1;
			break;
		case 'f':
			if (app_date_arg("reconcile", "--from", optarg, &from))
				return EXIT_USAGE;
			have_from = 1;
			break;
		case 'F':
			if (report_format_arg("reconcile", optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("reconcile", "--out: empty file name");
			out = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("reconcile", c, argv);
		}
	}
	if (optind < argc)
		return app_usage("reconcile", "unexpected argument \"%s\"", argv[optind]);
	if (!have_to)
		return app_usage("reconcile", "--as-of is required");
	if (have_from && from > to)
		return app_usage("reconcile", "--from %s is after --as-of %s", date_format(from, from_s),
				 date_format(to, to_s));
	date_format(to, to_s);
	if (report_out_check("reconcile", fmt, out))
		return EXIT_USAGE;
	memset(&r, 0, sizeof(r));
	r.e = &e;
	r.to = to_s;
	if (!(r.db = app_db(a, &e)))
		return app_fail(&e);
	if ((rc = db_exec(r.db, &e, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL)) ||
	    (rc = defaults(&r, last, &closed)))
		goto fail;
	if (!closed) {
		db_exec(r.db, &e, "ROLLBACK", 0, NULL);
		if (fmt != TABLE_XLSX) {
			printf("reconcile: no close has finished yet: nothing to reconcile\n");
			return EXIT_OK;
		}
		fprintf(stderr, "accrue reconcile: no close has finished yet: nothing to reconcile "
			"(the header only)\n");
		return output(&r, fmt, out, 0) ? app_fail(&e) : EXIT_OK;
	}
	if (have_from)
		date_format(from, from_s);
	else if (last[0])
		snprintf(from_s, sizeof(from_s), "%s", last);
	r.from = from_s[0] ? from_s : "-infinity";
	if ((rc = output(&r, fmt, out, 1)))
		goto fail;
	if ((rc = runs_start(r.db, &e, "reconcile", to_s, NULL, &run_id)))
		goto fail;
	{
		char counts[64];

		snprintf(counts, sizeof(counts), "{\"differences\": %lld}", r.differences);
		if ((rc = runs_done(r.db, &e, run_id, counts)) ||
		    (rc = db_exec(r.db, &e, "COMMIT", 0, NULL)))
			goto fail;
	}
	if (r.differences)
		fprintf(stderr, "accrue reconcile: %lld lines differ (the entries behind each are "
			"listed under it)\n", r.differences);
	return EXIT_OK;
fail:
	{
		struct err ignored;

		db_exec(r.db, &ignored, "ROLLBACK", 0, NULL);
	}
	return app_fail(&e);
}
