/*
 * accrue gl export --from D --to D [--format csv|iif] (SPEC §7, §10).
 *
 * The GL journals dated in the range, line by line: CSV with the columns
 * journal,date,account,debit,credit,memo,program,run, or a QuickBooks Desktop
 * IIF file where each journal is one GENERAL JOURNAL transaction (TRNS for
 * its first line, SPL for the rest, ENDTRNS) with signed amounts (debits
 * positive) that sum to zero.
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
#include "table.h"

static const char help[] =
	"usage: accrue gl export --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|iif]\n"
	"\n"
	"Prints the GL journals dated from --from to --to (inclusive) on stdout:\n"
	"  csv  journal,date,account,debit,credit,memo,program,run (the default)\n"
	"  iif  QuickBooks Desktop import file, one GENERAL JOURNAL per journal\n";

/* IIF fields are tab-separated lines: no tabs or line breaks inside. */
static void iif_text(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 1 < n; s++)
		out[o++] = (*s == '\t' || *s == '\n' || *s == '\r' || *s == '"') ? ' ' : *s;
	out[o] = '\0';
}

/* The journals' lines of the range, in journal and line order: $1 from,
 * $2 to. */
static const char gl_sql[] =
	"DECLARE gl_rows NO SCROLL CURSOR FOR "
	"SELECT j.journal_id::text, j.journal_date::text, l.account, l.debit_cents,"
	"       l.credit_cents, j.memo, j.program, COALESCE(j.run_id::text, ''),"
	"       to_char(j.journal_date, 'MM/DD/YYYY')"
	"  FROM gl_journals j JOIN gl_lines l USING (journal_id)"
	" WHERE j.journal_date BETWEEN $1::date AND $2::date"
	" ORDER BY j.journal_date, j.journal_id, l.line_id";
enum { J_JOURNAL, J_DATE, J_ACCOUNT, J_DEBIT, J_CREDIT, J_MEMO, J_PROGRAM, J_RUN, J_IIF_DATE };

static const char *const gl_cols[] = {"journal", "date", "account", "debit", "credit",
				      "memo", "program", "run"};
static const enum table_align gl_align[] = {TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
					    TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};
#define GL_NCOLS (sizeof(gl_cols) / sizeof(gl_cols[0]))

struct gl_out {
	int iif;
	struct table_out t;      /* csv */
	char prev[32];           /* iif: the journal of the last line, "" before the first */
};

/* One line of a journal. */
static int gl_line(struct gl_out *o, PGresult *r, int i, struct err *e)
{
	const char *journal = PQgetvalue(r, i, J_JOURNAL);
	char d[MONEY_FMT_SIZE], c[MONEY_FMT_SIZE], account[128], memo[256];
	int64_t debit, credit;
	int first;

	if (report_i64(PQgetvalue(r, i, J_DEBIT), &debit, e) ||
	    report_i64(PQgetvalue(r, i, J_CREDIT), &credit, e))
		return e->exit;
	if (!o->iif) {
		const char *row[GL_NCOLS] = {
			[J_JOURNAL] = journal,
			[J_DATE] = PQgetvalue(r, i, J_DATE),
			[J_ACCOUNT] = PQgetvalue(r, i, J_ACCOUNT),
			[J_DEBIT] = money_format(debit, d),
			[J_CREDIT] = money_format(credit, c),
			[J_MEMO] = PQgetvalue(r, i, J_MEMO),
			[J_PROGRAM] = PQgetvalue(r, i, J_PROGRAM),
			[J_RUN] = PQgetvalue(r, i, J_RUN),
		};

		return table_row(&o->t, row) ? report_write_failed(e) : 0;
	}
	first = strcmp(o->prev, journal) != 0;
	if (first && o->prev[0] && printf("ENDTRNS\n") < 0)
		return report_write_failed(e);
	iif_text(PQgetvalue(r, i, J_ACCOUNT), account, sizeof(account));
	iif_text(PQgetvalue(r, i, J_MEMO), memo, sizeof(memo));
	if (printf("%s\t\tGENERAL JOURNAL\t%s\t%s\t%s\tJ%s\t%s\n", first ? "TRNS" : "SPL",
		   PQgetvalue(r, i, J_IIF_DATE), account, money_format(debit - credit, d), journal,
		   memo) < 0)
		return report_write_failed(e);
	snprintf(o->prev, sizeof(o->prev), "%s", journal);
	return 0;
}

/* The lines stream through a cursor, a FETCH at a time, in one read-only
 * snapshot (core/engine/report), so memory does not grow with the range. */
static int export(PGconn *db, struct err *e, const char *from, const char *to, int iif)
{
	const char *p[2] = {from, to};
	struct gl_out o = {.iif = iif};
	PGresult *r;
	int rc = 0, began = 0;

	if (report_begin(db, e))
		return e->exit;
	if (!(r = db_query(db, e, gl_sql, 2, p))) {
		rc = e->exit;
		goto out;
	}
	PQclear(r);
	if (iif) {
		if (printf("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
			   "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
			   "!ENDTRNS\n") < 0) {
			rc = report_write_failed(e);
			goto out;
		}
	} else {
		table_begin(&o.t, stdout, TABLE_CSV, GL_NCOLS, gl_cols, gl_align);
		began = 1;
	}
	for (;;) {
		int n;

		if (!(r = report_fetch(db, e, "FETCH " REPORT_FETCH " FROM gl_rows"))) {
			rc = e->exit;
			goto out;
		}
		n = PQntuples(r);
		for (int i = 0; i < n && !rc; i++)
			rc = gl_line(&o, r, i, e);
		PQclear(r);
		if (rc || n == 0)
			break;
	}
	if (!rc && iif && o.prev[0] && printf("ENDTRNS\n") < 0)
		rc = report_write_failed(e);
out:
	if (began && table_end(&o.t) && !rc)
		rc = report_write_failed(e);
	if (!rc && (fflush(stdout) || ferror(stdout)))
		rc = report_write_failed(e);
	report_rollback(db);
	return rc;
}

int cmd_gl(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct err e = {0};
	const char *from = NULL, *to = NULL;
	date_t d;
	int iif = 0, opt;
	PGconn *db;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "export") != 0)
		return app_usage("gl", "unknown subcommand \"%s\" (gl export)", argv[1]);
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (app_date_arg("gl export", "--from", optarg, &d))
				return EXIT_USAGE;
			from = optarg;
			break;
		case 't':
			if (app_date_arg("gl export", "--to", optarg, &d))
				return EXIT_USAGE;
			to = optarg;
			break;
		case 'F':
			if (!strcmp(optarg, "iif"))
				iif = 1;
			else if (strcmp(optarg, "csv"))
				return app_usage("gl export", "--format: \"%s\" is not csv or iif", optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage("gl export", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("gl export", "unexpected argument \"%s\"", argv[optind]);
	if (!from || !to)
		return app_usage("gl export", "--from and --to are required");
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (export(db, &e, from, to, iif))
		return app_fail(&e);
	return EXIT_OK;
}
