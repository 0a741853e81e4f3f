/*
 * accrue runs [--limit N] [--format table|csv]                (SPEC §8, §10)
 *
 * The recent runs, newest first, from the runs table: what ran, for which
 * date or period, how it ended, how long it took, what it did, where.  A
 * run still marked running whose kind's lock nobody holds died (killed, or
 * its machine went down): it shows as `died`, and the next run of its kind
 * finishes or marks it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "locks.h"
#include "table.h"

static const char help[] =
	"usage: accrue runs [--limit N] [--format table|csv]\n"
	"\n"
	"The recent runs, newest first: run, job, date (business date or period),\n"
	"status, start, duration, accounts, entries, warnings, host and pid.  A run\n"
	"still marked running whose process is gone shows as `died` (the next run\n"
	"of its kind finishes it, or marks it failed).\n"
	"\n"
	"  --limit N          how many runs (default 20)\n"
	"  --format F         table (default) or csv\n"
	"\n"
	"exit status: 0 ok, 1 failure, 2 usage, 69 database unavailable\n";

/* A run marked running is alive while a session holds its kind's advisory
 * lock in this database (a close: LOCK_CLOSE; a statements run:
 * LOCK_STATEMENTS_RUN; mail: LOCK_MAIL); a bigint key is classid = its high
 * half, objid = its low. */
#define HELD(KEY) \
	"EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted" \
	"        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
	"        AND l.objsubid = 1 AND l.classid = 0 AND l.objid = " KEY ")"

static const char runs_sql[] =
	"SELECT r.run_id, r.job,"
	"       COALESCE(to_char(r.period, 'YYYY-MM'), r.business_date::text, ''),"
	"       CASE WHEN r.status <> 'running' THEN r.status"
	"            WHEN r.job IN ('daily-close', 'month-end') AND NOT " HELD(LOCK_CLOSE) " THEN 'died'"
	"            WHEN r.job = 'statements' AND NOT " HELD(LOCK_STATEMENTS_RUN) " THEN 'died'"
	"            WHEN r.job = 'mail-retry' AND NOT " HELD(LOCK_MAIL) " THEN 'died'"
	"            ELSE r.status END,"
	"       to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS'),"
	"       to_char(COALESCE(r.ended_at, now()) - r.started_at, 'FMHH24:MI:SS'),"
	"       COALESCE(r.counts->>'accounts', r.counts->>'statements', ''),"
	"       COALESCE(r.counts->>'entries', ''), COALESCE(r.counts->>'warnings', ''),"
	"       COALESCE(r.host, ''), COALESCE(r.pid::text, '')"
	"  FROM runs r ORDER BY r.run_id DESC LIMIT $1::bigint";
enum { R_RUN, R_JOB, R_DATE, R_STATUS, R_STARTED, R_DURATION, R_ACCOUNTS, R_ENTRIES,
       R_WARNINGS, R_HOST, R_PID, R_NCOLS };

int cmd_runs(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const names[R_NCOLS] = {
		"run", "job", "date", "status", "started", "duration", "accounts", "entries",
		"warnings", "host", "pid",
	};
	static const enum table_align align[R_NCOLS] = {
		TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
		TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT, TABLE_RIGHT,
	};
	enum table_format format = TABLE_TEXT;
	struct table_out t;
	struct err e = {0};
	char limit[24] = "20";
	const char *p[1] = {limit};
	PGresult *r;
	PGconn *db;
	int opt, rc = EXIT_OK;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': {
			char *end;
			long long n;

			errno = 0;
			n = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > 1000000)
				return app_usage("runs", "--limit: \"%s\" is not a number of runs from 1 "
						 "to 1000000", optarg);
			snprintf(limit, sizeof(limit), "%lld", n);
			break;
		}
		case 'f':
			if (table_parse_format(optarg, &format) || format == TABLE_XLSX)
				return app_usage("runs", "--format: \"%s\" is not table or csv", optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage("runs", "unknown option");
		}
	}
	if (optind < argc)
		return app_usage("runs", "unexpected argument \"%s\"", argv[optind]);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (!(r = db_query(db, &e, runs_sql, 1, p)))
		return app_fail(&e);
	if (table_begin(&t, stdout, format, R_NCOLS, names, align)) {
		PQclear(r);
		err_set(&e, EXIT_FAIL, "internal: the runs table has too many columns");
		return app_fail(&e);
	}
	for (int i = 0; i < PQntuples(r); i++) {
		/* each column by its name in the query, into its place in the table */
		const char *cells[R_NCOLS] = {
			[R_RUN] = PQgetvalue(r, i, R_RUN),
			[R_JOB] = PQgetvalue(r, i, R_JOB),
			[R_DATE] = PQgetvalue(r, i, R_DATE),
			[R_STATUS] = PQgetvalue(r, i, R_STATUS),
			[R_STARTED] = PQgetvalue(r, i, R_STARTED),
			[R_DURATION] = PQgetvalue(r, i, R_DURATION),
			[R_ACCOUNTS] = PQgetvalue(r, i, R_ACCOUNTS),
			[R_ENTRIES] = PQgetvalue(r, i, R_ENTRIES),
			[R_WARNINGS] = PQgetvalue(r, i, R_WARNINGS),
			[R_HOST] = PQgetvalue(r, i, R_HOST),
			[R_PID] = PQgetvalue(r, i, R_PID),
		};
		if (table_row(&t, cells))
			break;
	}
	PQclear(r);
	if (table_end(&t)) {
		err_set(&e, EXIT_FAIL, "cannot write the runs: %s", errno ? strerror(errno) : "write error");
		rc = app_fail(&e);
	}
	return rc;
}
