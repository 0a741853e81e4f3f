/*
 * accrue report --period YYYY-MM [--out FILE.pdf]          (SPEC §10)
 *
 * Finance's month report (core/engine/finance_report): the liability per
 * program at the start and the end of the month and the movements between,
 * as a table and a waterfall; the last twelve months of earned, used and
 * expired as bars; the twenty largest expiries and the refused
 * redemptions.  Read-only.  Without --out: [statements] out_dir/
 * report_YYYY-MM.pdf, where the month-end writes it too.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "files.h"
#include "finance_report.h"
#include "report.h"

static const char help[] =
	"usage: accrue report --period YYYY-MM [--out FILE.pdf]\n"
	"\n"
	"Writes finance's month report as a PDF: per program, the liability at the\n"
	"start and the end of the month and the movements between (earned, vested,\n"
	"expired, redeemed, adjusted) as a table and a waterfall chart; the last\n"
	"twelve months of earned, used and expired as bars; the twenty largest\n"
	"expiries of the month and the refused redemptions.  Reads only.\n"
	"\n"
	"  --period P   the month (YYYY-MM)\n"
	"  --out FILE   the PDF (default: [statements] out_dir/report_YYYY-MM.pdf);\n"
	"               written whole or not at all\n"
	"\n"
	"The month-end writes the same report beside the month's statements.\n";

int cmd_report(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"period", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	char written[FILES_PATH_MAX];
	struct err e = {0};
	date_t first = 0;
	int have_period = 0, c;
	PGconn *db;

	if (app_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (period_parse(optarg, &first))
				return app_usage("report", "--period: \"%s\" is not a month (YYYY-MM)", optarg);
			have_period = 1;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("report", "--out: empty file name");
			out = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return report_parse_opts_error("report", c, argv);
		}
	}
	if (optind < argc)
		return app_usage("report", "unexpected argument \"%s\"", argv[optind]);
	if (!have_period)
		return app_usage("report", "--period is required");
	if (!(db = app_db(a, &e)) || month_report_write(a, db, first, out, written, &e))
		return app_fail(&e);
	printf("report: %s\n", written);
	return EXIT_OK;
}
