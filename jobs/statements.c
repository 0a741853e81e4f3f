/*
 * accrue statements (--customer N | --all) --from D --to D [--out DIR]
 *                   [--email] [--no-company-header]      (SPEC §9, §10)
 *
 * The options; the statements are made by core/engine/statements.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "statements.h"

static const char help[] =
	"usage: accrue statements (--customer N | --all) --from DATE --to DATE [--out DIR]\n"
	"                         [--email] [--no-company-header]\n"
	"\n"
	"Makes one PDF statement per parent account for the period: opening\n"
	"balances, every ledger line of the period with the balances after it,\n"
	"closing balances, earned and used to date, and the units due to expire in\n"
	"the [statements] expiring_days days after the period, in the customer's\n"
	"language.  Each file is recorded in `statements` with its SHA-256.\n"
	"\n"
	"  --customer N          customer N's statement (N must be a parent account)\n"
	"  --all                 every parent account of a client program with\n"
	"                        movements in the period or a balance at its end\n"
	"  --from D, --to D      the period (YYYY-MM-DD, both included)\n"
	"  --out DIR             where the files go (default: [statements] out_dir)\n"
	"  --email               queue and send each statement to its customer's\n"
	"                        addresses (customers with send_statements); a\n"
	"                        statement already sent is never sent again\n"
	"  --no-company-header   leave out the [company] name and address\n"
	"\n"
	"Files are named CUSTOMER_FROM_TO.pdf.  The same data gives the same bytes.\n"
	"\n"
	"exit status: 0 ok, 1 failure, 2 usage, 3 mail finished with exceptions,\n"
	"69 database or mail server unavailable\n";


int cmd_statements(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"all", no_argument, NULL, 'A'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"out", required_argument, NULL, 'o'},
		{"email", no_argument, NULL, 'm'},
		{"no-company-header", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct err e = {0};
	struct statements_request r;
	int all = 0, has_from = 0, has_to = 0, c, rc;

	if (app_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	memset(&r, 0, sizeof(r));
	r.company = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!*optarg)
				return app_usage("statements", "--customer: empty customer number");
			r.customer = optarg;
			break;
		case 'A':
			all = 1;
			break;
		case 'f':
			if (app_date_arg("statements", "--from", optarg, &r.from))
				return EXIT_USAGE;
			has_from = 1;
			break;
		case 't':
			if (app_date_arg("statements", "--to", optarg, &r.to))
				return EXIT_USAGE;
			has_to = 1;
			break;
		case 'o':
			if (!*optarg)
				return app_usage("statements", "--out: empty directory name");
			r.out_dir = optarg;
			break;
		case 'm':
			r.email = 1;
			break;
		case 'H':
			r.company = 0;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case ':':
			return app_usage("statements", "option \"%s\" needs a value", argv[optind - 1]);
		default:
			return app_usage("statements", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return app_usage("statements", "unexpected argument \"%s\"", argv[optind]);
	if (!r.customer == !all)
		return app_usage("statements", "give one of --customer N and --all");
	if (!has_from || !has_to)
		return app_usage("statements", "--from and --to are required");
	if (r.from > r.to) {
		char f[DATE_FMT_SIZE], t[DATE_FMT_SIZE];

		return app_usage("statements", "--from %s is after --to %s", date_format(r.from, f),
				 date_format(r.to, t));
	}
	rc = statements_make(a, &r, &e);
	return rc ? app_fail(&e) : EXIT_OK;
}
