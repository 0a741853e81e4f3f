/*
 * accrue mail retry [--resend-interrupted] [--failed]      (SPEC §9, §10)
 *
 * Sends what waits in the outbox, through core/engine/mail, under the mail
 * lock and a run row of job `mail-retry`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "mail.h"
#include "runs.h"

static void mail_usage(FILE *out)
{
	fprintf(out,
		"usage: accrue mail retry [--resend-interrupted] [--failed]\n"
		"\n"
		"Sends every statement email waiting in the outbox: those a run could not\n"
		"send for now (the mail server down, or a 4xx reply), up to [mail]\n"
		"max_attempts tries each.  A message is never sent twice by itself.\n"
		"\n"
		"  --resend-interrupted  also send the messages a run stopped in the middle\n"
		"                        of sending (they may have gone out: check the mail\n"
		"                        server's log for their Message-ID first)\n"
		"  --failed              also send again the messages that failed for good\n"
		"                        (after fixing the cause), with fresh attempts\n"
		"\n"
		"exit status: 0 everything sent; 3 some failed or wait for a retry (listed);\n"
		"69 the mail server is unavailable (every attempt failed for now)\n");
}

int cmd_mail(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"resend-interrupted", no_argument, NULL, 'I'},
		{"failed", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mail_counts counts;
	struct err e = {0};
	long long run_id = 0;
	char json[256];
	PGconn *db;
	int c, flags = 0, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		mail_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "retry") != 0)
		return app_usage("mail", "unknown subcommand \"%s\" (retry)", argv[1]);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'I':
			flags |= MAIL_RESEND_INTERRUPTED;
			break;
		case 'F':
			flags |= MAIL_REQUEUE_FAILED;
			break;
		case 'h':
			mail_usage(stdout);
			return EXIT_OK;
		default:
			return app_usage("mail retry", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("mail retry", "unexpected argument \"%s\"", argv[optind]);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	/* The lock first, then the run row: a mail-retry run still marked
	 * running now belongs to a process that died (one waiting for the lock
	 * has no row yet). */
	if (mail_lock(db, &e) ||
	    db_exec(db, &e,
		    "UPDATE runs SET status = 'failed', ended_at = now(),"
		    "       message = COALESCE(message, 'the process ended before the run finished')"
		    " WHERE status = 'running' AND job = 'mail-retry'", 0, NULL) ||
	    runs_start(db, &e, "mail-retry", NULL, NULL, &run_id))
		return app_fail(&e);
	rc = mail_send(a, db, &e, run_id, flags, &counts);
	snprintf(json, sizeof(json),
		 "{\"queued\": %lld, \"sent\": %lld, \"temporary\": %lld, \"failed\": %lld,"
		 " \"untried\": %lld, \"interrupted\": %lld}",
		 counts.queued, counts.sent, counts.temporary, counts.failed, counts.untried,
		 counts.interrupted);
	if (rc == 0 || rc == EXIT_EXCEPTIONS || rc == EXIT_UNAVAILABLE) {
		struct err ignored;

		if (PQstatus(db) == CONNECTION_OK)
			runs_done(db, &ignored, run_id, json);
		return rc ? app_fail(&e) : EXIT_OK;
	}
	runs_failed(db, run_id, e.msg);
	return app_fail(&e);
}
