/*
 * accrue month-end --period YYYY-MM [--dry-run] [--no-statements]
 *                  [--no-email] [--full]                  (SPEC §3, §8, §9, §10)
 *
 * The close through the month's last day with the tiered accruals
 * (core/engine/close), then the month's statements
 * (core/engine/statements), a run of their own.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "close.h"
#include "commands.h"
#include "files.h"
#include "finance_report.h"
#include "log.h"
#include "statements.h"

static const char month_end_help[] =
	"usage: accrue month-end --period YYYY-MM [--dry-run] [--no-statements] [--no-email]\n"
	"                        [--full] [--workers N] [--allow-future]\n"
	"\n"
	"The month-end close: the daily close through the month's last day, then\n"
	"every tiered account (ytd_tiered, month_tiered) recomputed for its fiscal\n"
	"year through that day, the difference posted as an accrual dated that\n"
	"day, and the period marked closed.  Re-running a closed period posts\n"
	"nothing.  Documents that arrive late for a closed period are caught up by\n"
	"the next open month-end.\n"
	"\n"
	"  --period P        the month (YYYY-MM)\n"
	"  --dry-run         compute and report everything, write nothing\n"
	"  --no-statements   do not make the month's statements\n"
	"  --no-email        make the statements but do not email them\n"
	"  --allow-future    a month whose last day is more than [run] max_future_days\n"
	"                    (default 1) after today (refused without it)\n"
	"  --full            replay every account in the daily-close part, not only\n"
	"                    the changed or due ones (tiered accruals: always all)\n"
	"  --workers N       bring the accounts up to date in N processes, each with\n"
	"                    its own database connection (default: [run] workers, 1);\n"
	"                    `accrue worker` on any host can join\n"
	"\n"
	"After the close, the statements of the month (as `accrue statements --all\n"
	"--from FIRST --to LAST --email`): every parent account of a client program\n"
	"with movements in the month or a balance, into [statements] out_dir,\n"
	"emailed to customers with send_statements and an address.  A re-run makes\n"
	"the same files and sends nothing twice.  A dry run makes no statements.\n"
	"\n"
	"exit status: 0 ok, 1 failure, 2 usage, 3 finished with exceptions (refused\n"
	"redemptions, mail that failed or waits), 69 database or mail server\n"
	"unavailable, 75 another close is running\n";

int cmd_month_end(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"period", required_argument, NULL, 'p'},
		{"dry-run", no_argument, NULL, 'n'},
		{"no-statements", no_argument, NULL, 'S'},
		{"no-email", no_argument, NULL, 'E'},
		{"full", no_argument, NULL, 'F'},
		{"workers", required_argument, NULL, 'w'},
		{"allow-future", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct close_request c;
	date_t first = 0;
	int opt, has_period = 0, statements = 1, email = 1, allow_future = 0, rc, src;

	memset(&c, 0, sizeof(c));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (period_parse(optarg, &first))
				return app_usage("month-end", "--period: \"%s\" is not a month (YYYY-MM)",
						 optarg);
			c.as_of = date_month_end(first);
			has_period = 1;
			break;
		case 'n':
			c.dry_run = 1;
			break;
		case 'S':
			statements = 0;
			break;
		case 'E':
			email = 0;
			break;
		case 'F':
			c.full = 1;
			break;
		case 'w':
			if (app_workers_arg("month-end", optarg, &c.workers))
				return EXIT_USAGE;
			break;
		case 'A':
			allow_future = 1;
			break;
		case 'h':
			fputs(month_end_help, stdout);
			return EXIT_OK;
		default:
			return app_usage("month-end", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("month-end", "unexpected argument \"%s\"", argv[optind]);
	if (!has_period)
		return app_usage("month-end", "--period is required");
	c.month_end = 1;
	/* the business date is the month's last day */
	if (app_check_future(a, "month-end", c.as_of, allow_future))
		return EXIT_USAGE;
	rc = close_books(a, &c);
	if ((rc != EXIT_OK && rc != EXIT_EXCEPTIONS) || c.dry_run || !statements)
		return rc;
	/* The close is committed; the statements are a run of their own, so a
	 * failure here leaves the period closed and `accrue statements` (or a
	 * re-run of the month-end) makes them. */
	fflush(stdout);
	src = statements_month_end(a, first, date_month_end(first), email, c.workers);
	/* finance's month report beside the statements (its own snapshot) */
	{
		char written[FILES_PATH_MAX];
		struct err e = {0};
		PGconn *db = app_db(a, &e);

		log_context(0, "report");

		if (!db || month_report_write(a, db, first, NULL, written, &e)) {
			app_fail(&e);
			if (src == EXIT_OK)
				src = e.exit ? e.exit : EXIT_FAIL;
		} else {
			log_info("month-end: the month report is %s", written);
		}
	}
	return src != EXIT_OK ? src : rc;
}
