/*
 * accrue gl export --from D --to D [--format csv|iif|xero|xlsx] [--program P]
 *                  [--out FILE]                            (SPEC §7, §10)
 *
 * The GL journals dated in the range, line by line, read through a cursor
 * in one read-only snapshot (core/engine/report):
 *   csv   journal,date,account,debit,credit,memo,program,run
 *   iif   QuickBooks Desktop: each journal one GENERAL JOURNAL transaction
 *         (TRNS for its first line, SPL for the rest, ENDTRNS), amounts
 *         signed (debits positive) and summing to zero
 *   xero  Xero's manual-journal import: Narration,Date,Description,
 *         AccountCode,TaxRate,Amount — one narration per journal, dates
 *         dd/mm/yyyy, debits positive and credits negative, TaxRate from
 *         [gl] xero_tax_rate; at most XERO_LINES lines a file, so a longer
 *         export is several numbered files (FILE-001.csv, FILE-002.csv, …),
 *         never splitting a journal, and needs --out
 *   xlsx  an Excel workbook of the csv's columns (core/io/xlsx): journal and
 *         run as whole numbers, date as a date, debit and credit as
 *         numbers, account, memo and program as text; its sheet is "GL
 *         YYYY-MM" for a range of exactly one month, else "GL FROM to TO",
 *         followed by the program with --program (cut to Excel's 31
 *         characters); not to a terminal
 *
 * Without --out the export goes to stdout; with it, to FILE, written whole
 * or not at all (core/io/files).  The same range gives the same bytes; an
 * export marks nothing.  A range without journals: the header alone (csv,
 * xero) or nothing (iif), and a note on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "files.h"
#include "money.h"
#include "report.h"
#include "table.h"

#define XERO_LINES 300            /* lines a Xero import file takes at most */
#define XERO_FILES 9999           /* numbered files at most */

static const char help[] =
	"usage: accrue gl export --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|iif|xero|xlsx]\n"
	"                        [--program P] [--out FILE]\n"
	"\n"
	"Prints the GL journals dated from --from to --to (inclusive):\n"
	"  csv   journal,date,account,debit,credit,memo,program,run (the default)\n"
	"  iif   QuickBooks Desktop import file, one GENERAL JOURNAL per journal\n"
	"  xero  Xero manual journals: Narration,Date,Description,AccountCode,TaxRate,\n"
	"        Amount (dates dd/mm/yyyy, debits positive, credits negative, TaxRate\n"
	"        from [gl] xero_tax_rate); at most 300 lines a file: a longer export\n"
	"        is written as FILE-001.csv, FILE-002.csv, ... (needs --out), a\n"
	"        journal never split between two files\n"
	"  xlsx  an Excel workbook of the csv's columns: dates as dates, amounts as\n"
	"        numbers, accounts and programs as text (needs --out or a\n"
	"        redirection, not a terminal)\n"
	"\n"
	"  --program P  only program P's journals\n"
	"  --out FILE   write FILE (whole or not at all) instead of stdout\n"
	"\n"
	"The same range always gives the same bytes; an export marks nothing.\n";

enum gl_format { GL_CSV, GL_IIF, GL_XERO, GL_XLSX };

/* The journals' lines of the range, in journal and line order: $1 from,
 * $2 to, $3 the program or NULL. */
#define GL_WHERE \
	" WHERE j.journal_date BETWEEN $1::date AND $2::date" \
	"   AND ($3::text IS NULL OR j.program = $3::text)"
static const char gl_sql[] =
	"DECLARE gl_rows NO SCROLL CURSOR FOR "
	"SELECT j.journal_id::text, j.journal_date::text, l.account, l.debit_cents,"
	"       l.credit_cents, j.memo, j.program, COALESCE(j.run_id::text, ''),"
	"       to_char(j.journal_date, 'MM/DD/YYYY'), to_char(j.journal_date, 'DD/MM/YYYY'),"
	"       COALESCE(l.role, ''), count(*) OVER (PARTITION BY j.journal_id)"
	"  FROM gl_journals j JOIN gl_lines l USING (journal_id)"
	GL_WHERE
	" ORDER BY j.journal_date, j.journal_id, l.line_id";
enum { J_JOURNAL, J_DATE, J_ACCOUNT, J_DEBIT, J_CREDIT, J_MEMO, J_PROGRAM, J_RUN, J_US_DATE,
       J_DMY_DATE, J_ROLE, J_JOURNAL_LINES };
/* How many lines, and whether the program exists. */
static const char gl_count_sql[] =
	"SELECT (SELECT count(*) FROM gl_journals j JOIN gl_lines l USING (journal_id)" GL_WHERE "),"
	"       $3::text IS NULL OR EXISTS (SELECT 1 FROM programs WHERE program = $3::text)";
enum { C_LINES, C_PROGRAM_KNOWN };

static const char *const csv_cols[] = {"journal", "date", "account", "debit", "credit",
				       "memo", "program", "run"};
static const enum table_align csv_align[] = {TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
					     TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};
static const enum xlsx_cell csv_types[] = {XLSX_INTEGER, XLSX_DATE, XLSX_TEXT, XLSX_AMOUNT,
					   XLSX_AMOUNT, XLSX_TEXT, XLSX_TEXT, XLSX_INTEGER};
static const char *const xero_cols[] = {"Narration", "Date", "Description", "AccountCode",
					"TaxRate", "Amount"};
static const enum table_align xero_align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT,
					      TABLE_LEFT, TABLE_RIGHT};
#define N(a) (sizeof(a) / sizeof((a)[0]))

struct gl_out {
	enum gl_format fmt;
	const char *out;            /* --out, or NULL: stdout */
	int numbered;               /* xero: several files, FILE-001.ext … */
	const char *tax_rate;
	char sheet[XLSX_SHEET_NAME_SIZE];   /* xlsx */
	struct files_out file;
	int file_open;
	int nfile;
	FILE *f;
	struct table_out t;
	int table_open;
	long long file_lines;       /* lines in the current file */
	char prev[32];              /* the journal of the last line, "" before the first */
	struct err *e;
};

static int gl_write_failed(struct gl_out *o, const char *what)
{
	if (o->t.why[0])
		return err_set(o->e, EXIT_FAIL, "cannot write %s: %s", what, o->t.why);
	return err_set(o->e, EXIT_FAIL, "cannot write %s: %s", what,
		       errno ? strerror(errno) : "output error");
}

/* The workbook's sheet: "GL YYYY-MM" for exactly one calendar month, else
 * "GL FROM to TO"; then the program, with --program. */
static void gl_sheet_name(date_t from, date_t to, const char *program,
			  char sheet[XLSX_SHEET_NAME_SIZE])
{
	char prefix[64], f[DATE_FMT_SIZE], t[DATE_FMT_SIZE];

	date_format(from, f);
	date_format(to, t);
	if (from == date_month_start(from) && to == date_month_end(from))
		snprintf(prefix, sizeof(prefix), "GL %.7s", f);
	else
		snprintf(prefix, sizeof(prefix), "GL %s to %s", f, t);
	xlsx_sheet_name(prefix, program, sheet);
}

/* FILE-001.csv from FILE.csv (FILE-001 without an extension). */
static int numbered_name(const char *out, int n, char *buf, size_t size)
{
	const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');

	if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : out))
		dot = out + strlen(out);
	return (size_t)snprintf(buf, size, "%.*s-%03d%s", (int)(dot - out), out, n, dot) >= size
	       ? -1 : 0;
}

/* Finish the current output: the table's end, the file renamed in place. */
static int close_output(struct gl_out *o)
{
	int rc = 0;

	if (o->table_open) {
		o->table_open = 0;
		if (table_end(&o->t))
			rc = gl_write_failed(o, o->out ? o->file.path : "the export");
	}
	if (o->file_open) {
		o->file_open = 0;
		if (rc)
			files_out_abort(&o->file);
		else if (files_out_commit(&o->file))
			rc = gl_write_failed(o, o->file.failed);
	} else if (!rc && (fflush(stdout) || ferror(stdout))) {
		rc = gl_write_failed(o, "the export");
	}
	return rc;
}

/* Start an output (the next numbered file for a long Xero export) with its
 * header. */
static int open_output(struct gl_out *o)
{
	char path[FILES_PATH_MAX];

	o->f = stdout;
	o->file_lines = 0;
	if (o->out) {
		const char *name = o->out;

		if (o->numbered) {
			if (++o->nfile > XERO_FILES)
				return err_set(o->e, EXIT_FAIL, "more than %d files of %d lines: export "
					       "a shorter range", XERO_FILES, XERO_LINES);
			if (numbered_name(o->out, o->nfile, path, sizeof(path)))
				return err_set(o->e, EXIT_FAIL, "--out: \"%.200s\": name too long", o->out);
			name = path;
		}
		if (files_out_open(&o->file, name))
			return gl_write_failed(o, o->file.failed);
		o->file_open = 1;
		o->f = o->file.f;
	}
	if (o->fmt == GL_CSV || o->fmt == GL_XLSX) {
		o->table_open = 1;
		if (table_begin_sheet(&o->t, o->f, o->fmt == GL_CSV ? TABLE_CSV : TABLE_XLSX,
				      N(csv_cols), csv_cols, csv_align, csv_types, o->sheet))
			return gl_write_failed(o, o->out ? o->file.path : "the export");
	} else if (o->fmt == GL_XERO) {
		table_begin(&o->t, o->f, TABLE_CSV, N(xero_cols), xero_cols, xero_align);
		o->table_open = 1;
	}
	return 0;
}

/* IIF fields are tab-separated lines: no tabs or line breaks inside. */
static void iif_text(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 1 < n; s++)
		out[o++] = (*s == '\t' || *s == '\n' || *s == '\r' || *s == '"') ? ' ' : *s;
	out[o] = '\0';
}

static int iif_line(struct gl_out *o, PGresult *r, int i, int first, int64_t signed_cents)
{
	char account[128], memo[256], amount[MONEY_FMT_SIZE];

	if (!o->prev[0] &&
	    fprintf(o->f, "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
			  "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
			  "!ENDTRNS\n") < 0)
		return gl_write_failed(o, "the export");
	if (first && o->prev[0] && fprintf(o->f, "ENDTRNS\n") < 0)
		return gl_write_failed(o, "the export");
	iif_text(PQgetvalue(r, i, J_ACCOUNT), account, sizeof(account));
	iif_text(PQgetvalue(r, i, J_MEMO), memo, sizeof(memo));
	if (fprintf(o->f, "%s\t\tGENERAL JOURNAL\t%s\t%s\t%s\tJ%s\t%s\n", first ? "TRNS" : "SPL",
		    PQgetvalue(r, i, J_US_DATE), account, money_format(signed_cents, amount),
		    PQgetvalue(r, i, J_JOURNAL), memo) < 0)
		return gl_write_failed(o, "the export");
	return 0;
}

static int xero_line(struct gl_out *o, PGresult *r, int i, int first, int64_t signed_cents)
{
	char narration[512], description[256], amount[MONEY_FMT_SIZE];
	const char *role = PQgetvalue(r, i, J_ROLE);
	int rc;

	if (first) {
		long long n = db_int64(PQgetvalue(r, i, J_JOURNAL_LINES));

		if (n > XERO_LINES)
			return err_set(o->e, EXIT_FAIL, "journal %s has %lld lines, more than a Xero file "
				       "takes (%d)", PQgetvalue(r, i, J_JOURNAL), n, XERO_LINES);
		/* a journal never splits: it starts the next file when it
		 * would not fit in this one */
		if (o->numbered && o->file_lines + n > XERO_LINES &&
		    ((rc = close_output(o)) || (rc = open_output(o))))
			return rc;
	}
	snprintf(narration, sizeof(narration), "%s (accrue journal %s, program %s)",
		 PQgetvalue(r, i, J_MEMO), PQgetvalue(r, i, J_JOURNAL), PQgetvalue(r, i, J_PROGRAM));
	snprintf(description, sizeof(description), "%s %s", PQgetvalue(r, i, J_PROGRAM),
		 *role ? role : "rewards");
	{
		const char *row[N(xero_cols)] = {
			narration, PQgetvalue(r, i, J_DMY_DATE), description,
			PQgetvalue(r, i, J_ACCOUNT), o->tax_rate, money_format(signed_cents, amount),
		};

		if (table_row(&o->t, row))
			return gl_write_failed(o, o->out ? o->file.path : "the export");
	}
	o->file_lines++;
	return 0;
}

/* One line of a journal. */
static int gl_line(struct gl_out *o, PGresult *r, int i)
{
	const char *journal = PQgetvalue(r, i, J_JOURNAL);
	int64_t debit, credit;
	int first = strcmp(o->prev, journal) != 0, rc = 0;

	if (report_i64(PQgetvalue(r, i, J_DEBIT), &debit, o->e) ||
	    report_i64(PQgetvalue(r, i, J_CREDIT), &credit, o->e))
		return o->e->exit;
	if (o->fmt == GL_CSV || o->fmt == GL_XLSX) {
		char d[MONEY_FMT_SIZE], c[MONEY_FMT_SIZE];
		const char *row[N(csv_cols)] = {
			journal, PQgetvalue(r, i, J_DATE), PQgetvalue(r, i, J_ACCOUNT),
			money_format(debit, d), money_format(credit, c), PQgetvalue(r, i, J_MEMO),
			PQgetvalue(r, i, J_PROGRAM), PQgetvalue(r, i, J_RUN),
		};

		if (table_row(&o->t, row))
			rc = gl_write_failed(o, o->out ? o->file.path : "the export");
	} else if (o->fmt == GL_IIF) {
		rc = iif_line(o, r, i, first, debit - credit);
	} else {
		rc = xero_line(o, r, i, first, debit - credit);
	}
	snprintf(o->prev, sizeof(o->prev), "%s", journal);
	return rc;
}

/* gl_line through report_each. */
static int gl_each_row(void *ctx, PGresult *r, int i)
{
	struct gl_out *o = ctx;

	return gl_line(o, r, i);
}

/* After a Xero export to FILE: the numbered files of an earlier, longer
 * export that this one did not write again are removed, so that FILE-*.csv
 * never mixes two exports (importing them all would post journals twice). */
static void remove_stale(const struct gl_out *o)
{
	char path[FILES_PATH_MAX];

	for (int n = o->numbered ? o->nfile + 1 : 1; n <= XERO_FILES; n++) {
		if (numbered_name(o->out, n, path, sizeof(path)) || unlink(path) != 0)
			break;
	}
}

static int export(PGconn *db, struct gl_out *o, const char *const p[3])
{
	long long lines = 0;
	PGresult *r;
	int rc = 0;

	if (report_begin(db, o->e))
		return o->e->exit;
	if (!(r = db_query(db, o->e, gl_count_sql, 3, p))) {
		rc = o->e->exit;
		goto out;
	}
	lines = db_int64(PQgetvalue(r, 0, C_LINES));
	if (strcmp(PQgetvalue(r, 0, C_PROGRAM_KNOWN), "t") != 0)
		rc = err_set(o->e, EXIT_FAIL, "no program \"%.100s\"", p[2]);
	PQclear(r);
	if (rc)
		goto out;
	if (o->fmt == GL_XERO && lines > XERO_LINES) {
		if (!o->out) {
			rc = err_set(o->e, EXIT_USAGE, "%lld lines: a Xero file takes %d at most, so this "
				     "export is several files: give --out FILE", lines, XERO_LINES);
			goto out;
		}
		o->numbered = 1;
	}
	if (!(r = db_query(db, o->e, gl_sql, 3, p))) {
		rc = o->e->exit;
		goto out;
	}
	PQclear(r);
	if ((rc = open_output(o)))
		goto out;
	rc = report_each(db, o->e, "FETCH " REPORT_FETCH " FROM gl_rows", gl_each_row, o);
	if (!rc && o->fmt == GL_IIF && o->prev[0] && fprintf(o->f, "ENDTRNS\n") < 0)
		rc = gl_write_failed(o, "the export");
out:
	if (rc) {
		if (o->table_open)
			table_abort(&o->t);
		o->table_open = 0;
		if (o->file_open)
			files_out_abort(&o->file);
		o->file_open = 0;
	} else {
		rc = close_output(o);
	}
	report_rollback(db);
	if (!rc && o->fmt == GL_XERO && o->out)
		remove_stale(o);
	if (!rc && !lines)
		fprintf(stderr, "accrue gl export: no journals from %s to %s%s%s: %s\n", p[0], p[1],
			p[2] ? " of program " : "", p[2] ? p[2] : "",
			o->fmt == GL_IIF ? "nothing written" : "the header only");
	else if (!rc && o->numbered)
		fprintf(stderr, "accrue gl export: %lld lines in %d files of at most %d lines\n", lines,
			o->nfile, XERO_LINES);
	return rc;
}

int cmd_gl(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'F'},
		{"program", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct err e = {0};
	struct gl_out o;
	const char *from = NULL, *to = NULL, *program = NULL;
	date_t d, df = 0, dt = 0;
	int opt;
	PGconn *db;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "export") != 0)
		return app_usage("gl", "unknown subcommand \"%s\" (gl export)", argv[1]);
	argc--;
	argv++;
	memset(&o, 0, sizeof(o));
	o.e = &e;
	o.fmt = GL_CSV;
	o.tax_rate = a->cfg.xero_tax_rate;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (app_date_arg("gl export", "--from", optarg, &d))
				return EXIT_USAGE;
			from = optarg;
			df = d;
			break;
		case 't':
			if (app_date_arg("gl export", "--to", optarg, &d))
				return EXIT_USAGE;
			to = optarg;
			dt = d;
			break;
		case 'F':
			if (!strcmp(optarg, "csv"))
				o.fmt = GL_CSV;
			else if (!strcmp(optarg, "iif"))
				o.fmt = GL_IIF;
			else if (!strcmp(optarg, "xero"))
				o.fmt = GL_XERO;
			else if (!strcmp(optarg, "xlsx"))
				o.fmt = GL_XLSX;
			else
				return app_usage("gl export", "--format: \"%s\" is not csv, iif, xero "
						 "or xlsx", optarg);
			break;
		case 'p':
			if (!*optarg)
				return app_usage("gl export", "--program: empty program code");
			program = optarg;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("gl export", "--out: empty file name");
			o.out = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("gl export", opt, argv);
		}
	}
	if (optind < argc)
		return app_usage("gl export", "unexpected argument \"%s\"", argv[optind]);
	if (!from || !to)
		return app_usage("gl export", "--from and --to are required");
	if (df > dt)
		return app_usage("gl export", "--from %s is after --to %s", from, to);
	if (report_out_check("gl export", o.fmt == GL_XLSX ? TABLE_XLSX : TABLE_CSV, o.out))
		return EXIT_USAGE;
	gl_sheet_name(df, dt, program, o.sheet);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	{
		const char *p[3] = {from, to, program};

		if (export(db, &o, p))
			return app_fail(&e);
	}
	return EXIT_OK;
}
