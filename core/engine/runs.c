#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

int runs_lock(PGconn *db, struct err *e, const char *lock_key, const char *what)
{
	PGresult *r;
	int got, rc;

	if ((rc = db_try_lock(db, e, lock_key, 0, &got)))
		return rc;
	if (!got) {
		enum { R_RUN, R_JOB, R_DATE, R_HOST, R_PID, R_STARTED };
		enum { H_PID, H_CLIENT, H_SINCE };
		const char *key[1] = {lock_key};

		/* The holder writes its run row just after taking the lock: two
		 * closes started at the same instant wait a moment for it, so
		 * that the loser names the winner. */
		for (int tries = 0; tries < 10; tries++) {
			r = db_query(db, e,
				     "SELECT run_id, job, COALESCE(business_date::text, to_char(period, 'YYYY-MM'), ''),"
				     "       COALESCE(host, '?'), COALESCE(pid, 0), to_char(started_at, 'YYYY-MM-DD HH24:MI:SS')"
				     "  FROM runs WHERE status = 'running' AND job IN ('daily-close', 'month-end')"
			     " ORDER BY run_id DESC LIMIT 1", 0, NULL);
			if (!r)
				return e->exit;
			if (PQntuples(r) == 1) {
				err_set(e, EXIT_TEMPFAIL,
					"another %s is running: run %s (%s %s) on host %s, pid %s, started %s; "
					"try again when it has finished", what, PQgetvalue(r, 0, R_RUN),
					PQgetvalue(r, 0, R_JOB), PQgetvalue(r, 0, R_DATE),
					PQgetvalue(r, 0, R_HOST), PQgetvalue(r, 0, R_PID),
					PQgetvalue(r, 0, R_STARTED));
				PQclear(r);
				return EXIT_TEMPFAIL;
			}
			PQclear(r);
			usleep(100 * 1000);
		}
		/* no run row: name the database session that holds the lock (a
		 * bigint advisory key is classid = its high half, objid = its low
		 * half, objsubid = 1) */
		r = db_query(db, e,
			     "SELECT a.pid, COALESCE(a.client_hostname, host(a.client_addr), 'a local socket'),"
			     "       to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS')"
			     "  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
			     " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
			     "   AND l.database = (SELECT oid FROM pg_database"
			     "                      WHERE datname = current_database())"
			     "   AND l.classid = ($1::bigint >> 32)::oid"
			     "   AND l.objid = ($1::bigint & 4294967295)::oid LIMIT 1", 1, key);
		if (r && PQntuples(r) == 1) {
			err_set(e, EXIT_TEMPFAIL, "another %s is starting: the database session of "
				"server pid %s, connected from %s since %s, holds the lock; try again "
				"when it has finished", what, PQgetvalue(r, 0, H_PID),
				PQgetvalue(r, 0, H_CLIENT), PQgetvalue(r, 0, H_SINCE));
			PQclear(r);
			return EXIT_TEMPFAIL;
		}
		if (r)
			PQclear(r);
		/* nobody holds it any more: the holder had just committed and
		 * was letting go; name the close that ended a moment ago */
		r = db_query(db, e,
			     "SELECT run_id, job, COALESCE(business_date::text, to_char(period, 'YYYY-MM'), ''),"
			     "       COALESCE(host, '?'), COALESCE(pid, 0), to_char(started_at, 'YYYY-MM-DD HH24:MI:SS')"
			     "  FROM runs WHERE job IN ('daily-close', 'month-end')"
			     "   AND ended_at > now() - interval '10 seconds'"
			     " ORDER BY run_id DESC LIMIT 1", 0, NULL);
		if (!r)
			return e->exit;
		if (PQntuples(r) == 1) {
			err_set(e, EXIT_TEMPFAIL,
				"another %s was just finishing: run %s (%s %s) on host %s, pid %s, started "
				"%s; try again", what, PQgetvalue(r, 0, R_RUN), PQgetvalue(r, 0, R_JOB),
				PQgetvalue(r, 0, R_DATE), PQgetvalue(r, 0, R_HOST), PQgetvalue(r, 0, R_PID),
				PQgetvalue(r, 0, R_STARTED));
			PQclear(r);
			return EXIT_TEMPFAIL;
		}
		PQclear(r);
		err_set(e, EXIT_TEMPFAIL, "another %s is running (it holds the lock); "
			"try again when it has finished", what);
		return EXIT_TEMPFAIL;
	}
	/* We hold the lock: any run still marked running died. */
	return db_exec(db, e,
		       "UPDATE runs SET status = 'failed', ended_at = now(),"
		       "       message = COALESCE(message, 'the process ended before the run finished')"
		       " WHERE status = 'running' AND job IN ('daily-close', 'month-end')", 0, NULL);
}

int runs_last_close(PGconn *db, struct err *e, date_t *day, int *has)
{
	PGresult *r = db_query(db, e,
			       "SELECT max(business_date)::text FROM runs"
			       " WHERE job IN ('daily-close', 'month-end') AND status = 'done'", 0, NULL);

	if (!r)
		return e->exit;
	*has = db_value(r) && date_parse(db_value(r), day) == 0;
	PQclear(r);
	return 0;
}

int runs_start(PGconn *db, struct err *e, const char *job, const char *business_date,
	       const char *period, long long *run_id)
{
	char host[256] = "", pid[32];
	const char *p[5];
	PGresult *r;

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	p[0] = job;
	p[1] = business_date;
	p[2] = period;
	p[3] = host;
	p[4] = pid;
	r = db_query(db, e,
		     "INSERT INTO runs (job, business_date, period, host, pid)"
		     " VALUES ($1, $2::date, $3::date, $4, $5::integer) RETURNING run_id", 5, p);
	if (!r)
		return e->exit;
	*run_id = db_value(r) ? atoll(db_value(r)) : 0;
	PQclear(r);
	return *run_id ? 0 : err_set(e, EXIT_FAIL, "internal: the run row gave no id");
}

int runs_done(PGconn *db, struct err *e, long long run_id, const char *counts_json)
{
	char id[32];
	const char *p[2] = {id, counts_json};

	snprintf(id, sizeof(id), "%lld", run_id);
	return db_exec(db, e,
		       "UPDATE runs SET status = 'done', ended_at = clock_timestamp(), counts = $2::jsonb"
		       " WHERE run_id = $1", 2, p);
}

void runs_failed(PGconn *db, long long run_id, const char *message)
{
	struct err ignored;
	char id[32];
	const char *p[2] = {id, message};

	snprintf(id, sizeof(id), "%lld", run_id);
	db_exec(db, &ignored,
		"UPDATE runs SET status = 'failed', ended_at = clock_timestamp(), message = $2 WHERE run_id = $1",
		2, p);
}
