/*
 * accrue daily-close [--date B] [--dry-run] [--full] [--workers N]
 *                                                   (SPEC §3–§8, §10, §14)
 *
 * The options; the books are brought up to B by core/engine/close.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "close.h"
#include "commands.h"

static const char help[] =
	"usage: accrue daily-close [--date YYYY-MM-DD] [--dry-run] [--full] [--workers N]\n"
	"                          [--allow-future]\n"
	"\n"
	"Brings every reward account up to the business date (default: today):\n"
	"earnings on posted invoices, credit notes and cancellations, vesting of\n"
	"pending rewards paid in time, expiry (payment window, lots, inactivity),\n"
	"redemptions, and one balanced GL journal per program and date.  Skipped\n"
	"days are caught up, each entry dated by its event.  Running it again for\n"
	"the same date posts nothing.  A date before the last completed close is\n"
	"refused.\n"
	"\n"
	"Only the accounts whose data changed since they were last brought up to\n"
	"date, or whose next dated event (a payment deadline, a lot's expiry,\n"
	"inactivity, the points expiry date, a refused redemption) has come, are\n"
	"replayed; every other account would post nothing.\n"
	"\n"
	"  --date D     the business date (YYYY-MM-DD)\n"
	"  --dry-run    compute and report everything, write nothing\n"
	"  --full       replay every account (after a correct close: posts nothing)\n"
	"  --workers N  bring the accounts up to date in N processes, each with its\n"
	"               own database connection (default: [run] workers, 1); `accrue\n"
	"               worker` on any host can join; the books are the same for any N\n"
	"  --allow-future  a date more than [run] max_future_days (default 1) after\n"
	"               today (refused without it: expiries posted ahead cannot be\n"
	"               taken back)\n"
	"\n"
	"A close that died is finished by the next close, whatever its date, before\n"
	"anything else: the chunks it had done stand, the rest are done again.\n"
	"\n"
	"exit status: 0 ok, 1 failure, 2 usage (also: more workers than the database\n"
	"has free connections), 3 some redemptions were refused (listed), 65 bad data,\n"
	"69 database unavailable, 75 another close is running\n";

int cmd_daily_close(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"date", required_argument, NULL, 'd'},
		{"dry-run", no_argument, NULL, 'n'},
		{"full", no_argument, NULL, 'F'},
		{"workers", required_argument, NULL, 'w'},
		{"allow-future", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct close_request c;
	int opt, has_date = 0, allow_future = 0;

	memset(&c, 0, sizeof(c));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (app_date_arg("daily-close", "--date", optarg, &c.as_of))
				return EXIT_USAGE;
			has_date = 1;
			break;
		case 'n':
			c.dry_run = 1;
			break;
		case 'F':
			c.full = 1;
			break;
		case 'w':
			if (app_workers_arg("daily-close", optarg, &c.workers))
				return EXIT_USAGE;
			break;
		case 'A':
			allow_future = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage("daily-close", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("daily-close", "unexpected argument \"%s\"", argv[optind]);
	if (!has_date)
		c.as_of = app_today(a);
	if (app_check_future(a, "daily-close", c.as_of, allow_future))
		return EXIT_USAGE;
	return close_books(a, &c);
}
