/*
 * accrue gl export --from D --to D [--format csv|iif] (SPEC §7).
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

static int export(PGconn *db, struct err *e, const char *from, const char *to, int iif)
{
	const char *p[2] = {from, to};
	PGresult *r;
	struct table_out t;
	static const char *const cols[] = {"journal", "date", "account", "debit", "credit",
					   "memo", "program", "run"};
	static const enum table_align num[] = {TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
					       TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};
	const char *prev = NULL;
	enum { J_JOURNAL, J_DATE, J_ACCOUNT, J_DEBIT, J_CREDIT, J_MEMO, J_PROGRAM, J_RUN,
	       J_IIF_DATE };

	r = db_query(db, e,
		     "SELECT j.journal_id::text, j.journal_date::text, l.account, l.debit_cents,"
		     "       l.credit_cents, j.memo, j.program, COALESCE(j.run_id::text, ''),"
		     "       to_char(j.journal_date, 'MM/DD/YYYY')"
		     "  FROM gl_journals j JOIN gl_lines l USING (journal_id)"
		     " WHERE j.journal_date BETWEEN $1::date AND $2::date"
		     " ORDER BY j.journal_date, j.journal_id, l.line_id", 2, p);
	if (!r)
		return e->exit;
	if (iif) {
		printf("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
		       "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tAMOUNT\tDOCNUM\tMEMO\n"
		       "!ENDTRNS\n");
	} else {
		table_begin(&t, stdout, TABLE_CSV, 8, cols, num);
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *journal = PQgetvalue(r, i, J_JOURNAL);
		int64_t debit = atoll(PQgetvalue(r, i, J_DEBIT)), credit = atoll(PQgetvalue(r, i, J_CREDIT));
		char d[MONEY_FMT_SIZE], c[MONEY_FMT_SIZE];

		if (!iif) {
			const char *row[8];


			row[0] = journal;
			row[1] = PQgetvalue(r, i, J_DATE);
			row[2] = PQgetvalue(r, i, J_ACCOUNT);
			row[3] = money_format(debit, d);
			row[4] = money_format(credit, c);
			row[5] = PQgetvalue(r, i, J_MEMO);
			row[6] = PQgetvalue(r, i, J_PROGRAM);
			row[7] = PQgetvalue(r, i, J_RUN);
			table_row(&t, row);
			continue;
		}
		{
			char account[128], memo[256];
			int first = !prev || strcmp(prev, journal) != 0;

			if (first && prev)
				printf("ENDTRNS\n");
			iif_text(PQgetvalue(r, i, J_ACCOUNT), account, sizeof(account));
			iif_text(PQgetvalue(r, i, J_MEMO), memo, sizeof(memo));
			printf("%s\t\tGENERAL JOURNAL\t%s\t%s\t%s\tJ%s\t%s\n", first ? "TRNS" : "SPL",
			       PQgetvalue(r, i, J_IIF_DATE), account, money_format(debit - credit, d), journal,
			       memo);
			prev = journal;
		}
	}
	if (iif && prev)
		printf("ENDTRNS\n");
	if (!iif)
		table_end(&t);
	PQclear(r);
	return 0;
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
