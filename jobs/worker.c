/*
 * accrue worker [--run ID]                                    (SPEC §10, §14)
 *
 * Join a running close from any host: claim its chunks as its own workers
 * do (core/engine/close_run.c) until none is left to claim.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "close.h"
#include "commands.h"

static const char help[] =
	"usage: accrue worker [--run ID]\n"
	"\n"
	"Joins a running daily close or month-end, from this host or any other\n"
	"that reaches the same database: claims the close's chunks of accounts, as\n"
	"the close's own workers do, and brings them up to date, one transaction\n"
	"per chunk, until none is left to claim.  The close that started the run\n"
	"posts the journals when every chunk is done, whoever did it.\n"
	"\n"
	"A claim holds for [run] lease_seconds (default 300); a chunk whose worker\n"
	"died is claimed again when its session is gone or its lease has run out.\n"
	"\n"
	"  --run ID   the run to join (see the runs table); default: the latest\n"
	"             close with chunks left\n"
	"\n"
	"With no close running it says so and exits 0.\n"
	"\n"
	"exit status: 0 ok (also: nothing to join), 1 failure, 2 usage, 65 bad data\n"
	"in a chunk (the run stops), 69 database unavailable\n";

int cmd_worker(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"run", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long run_id = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': {
			char *end;

			errno = 0;
			run_id = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || run_id < 1)
				return app_usage("worker", "--run: \"%s\" is not a run number", optarg);
			break;
		}
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage("worker", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("worker", "unexpected argument \"%s\"", argv[optind]);
	return close_worker(a, run_id);
}
