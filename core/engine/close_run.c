/*
 * close_run: a close as a run of chunks (SPEC §8, §14), for `accrue
 * daily-close`, `accrue month-end` and `accrue worker`.
 *
 * The close that starts a run (the coordinator) takes the close's advisory
 * lock, writes the run's row, and plans: the accounts it will bring up to
 * date, sorted by key and cut into ranges, one row of run_chunks each.
 * Workers — the coordinator itself with --workers 1, else N processes it
 * forks, and any `accrue worker` that joins — claim chunks with FOR UPDATE
 * SKIP LOCKED and a lease, and do each in one transaction of their own
 * connection (core/engine/close.c).  When every chunk is done the
 * coordinator makes the journals from the run's entries and posts them,
 * with the refusals and the run's end, in one transaction: the ledger and
 * the GL change at once, the same for any number of workers.
 *
 * A chunk whose worker died (its session is gone) or whose lease ran out
 * is claimed again.  A run that did not finish is finished by the next
 * close, whatever its date, before anything else.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "close.h"
#include "close_chunk.h"
#include "db.h"
#include "log.h"
#include "money.h"
#include "posting.h"
#include "runs.h"
#include "sbuf.h"
#include "text.h"

#define CHUNK_MAX 5000      /* accounts per chunk, at most (a close of a small part
			     * of the book) */
#define CHUNK_MIN 16        /* and at least, when there are many workers */
#define REFUSALS_SHOWN 100000

/* A chunk as a claim gives it. */
struct chunk {
	int no;
	char lo[256], hi[256];
	int has_lo, has_hi;
	int claims;
};

static void me(char *buf, size_t n)
{
	char host[200] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(buf, n, "%s:%ld", host, (long)getpid());
}

static void id_text(char *buf, size_t n, long long id)
{
	snprintf(buf, n, "%lld", id);
}

/* A worker's session: a killed worker's server process notices at once
 * and lets go of its chunk; one that stalls in a transaction for longer
 * than the lease is ended by the server. */
static int worker_session(PGconn *db, struct err *e, int lease)
{
	char ms[32];
	const char *p[1] = {ms};

	snprintf(ms, sizeof(ms), "%lld", (long long)lease * 1000);
	if (db_exec(db, e, "SET client_connection_check_interval = '1s'", 0, NULL) ||
	    db_exec(db, e, "SELECT set_config('idle_in_transaction_session_timeout', $1, false)",
		    1, p))
		return e->exit;
	return 0;
}

/* The job of a run, from its row. */
static int job_of_run(PGconn *db, struct err *e, long long run_id, struct close_job *j,
		      char *status, size_t nstatus)
{
	char id[32];
	const char *p[1] = {id};
	PGresult *r;
	int y, m, d;

	enum { J_JOB, J_DATE, J_FULL, J_STATUS };
	id_text(id, sizeof(id), run_id);
	r = db_query(db, e,
		     "SELECT job, business_date::text, full_replay, status FROM runs"
		     " WHERE run_id = $1::bigint AND job IN ('daily-close', 'month-end')", 1, p);
	if (!r)
		return e->exit;
	if (PQntuples(r) != 1 || date_parse(PQgetvalue(r, 0, J_DATE), &j->as_of)) {
		PQclear(r);
		return err_set(e, EXIT_USAGE, "run %lld is not a daily close or a month-end", run_id);
	}
	j->run_id = run_id;
	j->month_end = !strcmp(PQgetvalue(r, 0, J_JOB), "month-end");
	j->full = !strcmp(PQgetvalue(r, 0, J_FULL), "t");
	text_copy(status, nstatus, PQgetvalue(r, 0, J_STATUS));
	PQclear(r);
	date_to_ymd(j->as_of, &y, &m, &d);
	snprintf(j->period, sizeof(j->period), "%04d-%02d", y % 10000, m);
	return 0;
}

/* -- claims ---------------------------------------------------------------------- */

enum claimed { CLAIM_GOT, CLAIM_ALL_DONE, CLAIM_WAIT, CLAIM_STOPPED };

/* Claim the first chunk nobody works on: not done, not locked by a worker's
 * transaction, and either never claimed, or its lease has run out, or the
 * session that claimed it is gone.  Its own short transaction, so that the
 * claim shows to every other worker. */
static int claim(PGconn *db, struct err *e, long long run_id, int lease, struct chunk *k,
		 enum claimed *got, char *why, size_t nwhy)
{
	char id[32], secs[32], who[256];
	const char *p[3] = {id, secs, who};
	PGresult *r;

	enum { C_CHUNK, C_LO, C_HI, C_CLAIMS };
	enum { W_STATUS, W_MESSAGE, W_TODO };
	id_text(id, sizeof(id), run_id);
	snprintf(secs, sizeof(secs), "%d", lease);
	me(who, sizeof(who));
	r = db_query(db, e,
		     "UPDATE run_chunks c"
		     "   SET claims = c.claims + 1, claimed_by = $3, claim_pid = pg_backend_pid(),"
		     "       claim_started = (SELECT backend_start FROM pg_stat_activity"
		     "                         WHERE pid = pg_backend_pid()),"
		     "       lease_until = clock_timestamp() + make_interval(secs => $2::integer)"
		     " WHERE (c.run_id, c.chunk) = ("
		     "       SELECT x.run_id, x.chunk FROM run_chunks x JOIN runs r ON r.run_id = x.run_id"
		     "        WHERE x.run_id = $1::bigint AND x.status = 'todo' AND r.status = 'running'"
		     "          AND (x.lease_until IS NULL OR x.lease_until < clock_timestamp()"
		     "               OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a"
		     "                               WHERE a.pid = x.claim_pid"
		     "                                 AND a.backend_start = x.claim_started))"
		     "        ORDER BY x.chunk LIMIT 1 FOR UPDATE OF x SKIP LOCKED)"
		     " RETURNING c.chunk, c.first_account, c.next_account, c.claims", 3, p);
	if (!r)
		return e->exit;
	if (PQntuples(r) == 1) {
		k->no = atoi(PQgetvalue(r, 0, C_CHUNK));
		k->has_lo = !PQgetisnull(r, 0, C_LO);
		k->has_hi = !PQgetisnull(r, 0, C_HI);
		text_copy(k->lo, sizeof(k->lo), PQgetvalue(r, 0, C_LO));
		text_copy(k->hi, sizeof(k->hi), PQgetvalue(r, 0, C_HI));
		k->claims = atoi(PQgetvalue(r, 0, C_CLAIMS));
		PQclear(r);
		*got = CLAIM_GOT;
		return 0;
	}
	PQclear(r);
	r = db_query(db, e,
		     "SELECT r.status, COALESCE(r.message, ''),"
		     "       (SELECT count(*) FROM run_chunks x WHERE x.run_id = r.run_id"
		     "           AND x.status = 'todo')"
		     "  FROM runs r WHERE r.run_id = $1::bigint", 1, p);
	if (!r)
		return e->exit;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, W_STATUS), "running") != 0) {
		*got = CLAIM_STOPPED;
		text_copy(why, nwhy, PQntuples(r) == 1 ? PQgetvalue(r, 0, W_MESSAGE) : "");
	} else {
		*got = atoll(PQgetvalue(r, 0, W_TODO)) == 0 ? CLAIM_ALL_DONE : CLAIM_WAIT;
	}
	PQclear(r);
	return 0;
}

/* Give a chunk back after a transaction lost to another (it is claimed
 * again at once). */
static void unclaim(PGconn *db, long long run_id, const struct chunk *k)
{
	struct err ignored;
	char id[32], no[16];
	const char *p[2] = {id, no};

	id_text(id, sizeof(id), run_id);
	snprintf(no, sizeof(no), "%d", k->no);
	db_exec(db, &ignored,
		"UPDATE run_chunks SET lease_until = NULL, claim_pid = NULL"
		" WHERE run_id = $1::bigint AND chunk = $2::integer AND status = 'todo'"
		"   AND claim_pid = pg_backend_pid()", 2, p);
}

/* Do a claimed chunk in one transaction.  *lost: another worker has it
 * (the claim ran out and was taken), nothing done. */
static int chunk_run(PGconn *db, struct err *e, struct closer *w, long long run_id,
		     const struct chunk *k, struct progress *pr, long long base, int *lost,
		     struct chunk_counts *n)
{
	char id[32], no[16], claims[16], who[256];
	char c_acc[32], c_chg[32], c_due[32], c_res[32], c_accr[32], c_warn[32];
	const char *p[3] = {id, no, claims};
	PGresult *r;
	int rc;

	*lost = 0;
	id_text(id, sizeof(id), run_id);
	snprintf(no, sizeof(no), "%d", k->no);
	snprintf(claims, sizeof(claims), "%d", k->claims);
	if ((rc = db_exec(db, e, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL)))
		return rc;
	/* still ours, and locked until COMMIT: nobody else can claim it now */
	r = db_query(db, e,
		     "SELECT 1 FROM run_chunks WHERE run_id = $1::bigint AND chunk = $2::integer"
		     "   AND status = 'todo' AND claim_pid = pg_backend_pid()"
		     "   AND claims = $3::integer FOR UPDATE", 3, p);
	if (!r || PQntuples(r) != 1) {
		struct err ignored;

		if (r)
			PQclear(r);
		else if (!db_is(e, "40001"))
			return e->exit;
		db_exec(db, &ignored, "ROLLBACK", 0, NULL);
		*lost = 1;
		return 0;
	}
	PQclear(r);
	if ((rc = closer_chunk(w, k->has_lo ? k->lo : NULL, k->has_hi ? k->hi : NULL, pr, base, n)))
		return rc;
	me(who, sizeof(who));
	snprintf(c_acc, sizeof(c_acc), "%lld", n->accounts);
	snprintf(c_chg, sizeof(c_chg), "%lld", n->changed);
	snprintf(c_due, sizeof(c_due), "%lld", n->due);
	snprintf(c_res, sizeof(c_res), "%lld", n->resumed);
	snprintf(c_accr, sizeof(c_accr), "%lld", n->accrual_only);
	snprintf(c_warn, sizeof(c_warn), "%lld", n->warnings);
	{
		const char *q[9] = {id, no, who, c_acc, c_chg, c_due, c_res, c_accr, c_warn};

		if ((rc = db_exec(db, e,
				  "UPDATE run_chunks SET status = 'done', done_by = $3,"
				  "       done_at = clock_timestamp(), lease_until = NULL,"
				  "       accounts = $4::integer, changed = $5::integer, due = $6::integer,"
				  "       resumed = $7::integer, accrual_only = $8::integer,"
				  "       warnings = $9::integer"
				  " WHERE run_id = $1::bigint AND chunk = $2::integer", 9, q)))
			return rc;
	}
	return db_exec(db, e, "COMMIT", 0, NULL);
}

/* work_loop: the run stopped (another worker failed, or the run was
 * given up); e says why. */
#define WORK_STOPPED (-3)

/* Claim and do chunks until none is left to claim.  wait: until every
 * chunk is done, waiting for those other workers hold (the coordinator);
 * else return when nothing can be claimed now (a worker).  A failure marks
 * the run failed, so that every other worker stops. */
static int work_loop(PGconn *db, struct err *e, struct closer *w, const struct close_job *j,
		     int lease, int wait, struct progress *pr, long long *base,
		     long long *nchunks, long long *naccounts)
{
	for (;;) {
		struct chunk k;
		struct chunk_counts n;
		enum claimed got = CLAIM_STOPPED;
		char why[512] = "";
		int lost = 0, rc;

		if ((rc = claim(db, e, j->run_id, lease, &k, &got, why, sizeof(why))))
			return rc;
		if (got == CLAIM_ALL_DONE || (got == CLAIM_WAIT && !wait))
			return 0;
		if (got == CLAIM_STOPPED) {
			err_set(e, EXIT_FAIL, "run %lld stopped: %s", j->run_id,
				*why ? why : "it is no longer running");
			return WORK_STOPPED;
		}
		if (got == CLAIM_WAIT) {
			/* another worker has the last chunks: its lease or its
			 * session's end frees them if it died */
			usleep(250 * 1000);
			continue;
		}
		memset(&n, 0, sizeof(n));
		rc = chunk_run(db, e, w, j->run_id, &k, pr, base ? *base : 0, &lost, &n);
		if (rc) {
			struct err ignored;

			db_exec(db, &ignored, "ROLLBACK", 0, NULL);
			if (db_is(e, "40001") || db_is(e, "40P01")) {
				/* lost to a concurrent writer: give it back, try again */
				unclaim(db, j->run_id, &k);
				continue;
			}
			runs_failed(db, j->run_id, e->msg);
			return rc;
		}
		if (lost)
			continue;
		log_debug("chunk %d done: %lld accounts (%lld changed, %lld due, %lld from a "
			  "checkpoint, %lld accrual only), %lld entries", k.no, n.accounts, n.changed,
			  n.due, n.resumed, n.accrual_only, n.entries);
		if (base)
			*base += n.accounts + n.accrual_only;
		if (nchunks)
			(*nchunks)++;
		if (naccounts)
			*naccounts += n.accounts + n.accrual_only;
	}
}

/* -- the coordinator ---------------------------------------------------------------- */

struct run {
	struct app *a;
	PGconn *db;             /* holds the close's lock */
	struct err *e;
	struct close_job job;
	int workers, lease;
	int quiet_failure;      /* a worker process printed the failure already */
	/* the summary */
	long long accounts, changed, due, resumed, accrual_only, warnings, chunks;
	long long journals, entries;
	struct posting post;
	char (*refused)[512];
	size_t nrefused;
	long long refused_total;
};

static const char *what_of(const struct close_job *j, char *buf, size_t n)
{
	char d[DATE_FMT_SIZE];

	if (j->month_end)
		snprintf(buf, n, "month-end %s", j->period);
	else
		snprintf(buf, n, "daily close %s", date_format(j->as_of, d));
	return buf;
}

/* Plan the run: its accounts cut into chunks, in one snapshot.  The keys
 * are those a chunk will look at (changed, due, at month-end every tiered
 * account, with --full every account); the ranges between them cover
 * every key, so that an account changed meanwhile still falls in one. */
static int plan(struct run *x)
{
	char id[32], d[DATE_FMT_SIZE], per[32];
	const char *p[3] = {id, d, per};
	PGresult *r;
	long long n, book, size;
	int rc;

#define PLAN_KEYS \
	" keys AS (SELECT account FROM account_changes WHERE from_date <= $2::date" \
	"          UNION SELECT account FROM account_state WHERE next_event <= $2::date" \
	"          UNION SELECT c.customer FROM customers c JOIN programs g USING (program)" \
	"                  JOIN earning_rules er USING (earning)" \
	"                 WHERE $4::boolean AND c.parent IS NULL AND NOT er.per_invoice" \
	"          UNION SELECT customer FROM customers" \
	"                 WHERE $5::boolean AND parent IS NULL AND program IS NOT NULL)"
	id_text(id, sizeof(id), x->job.run_id);
	date_format(x->job.as_of, d);
	{
		const char *q[5] = {id, d, "0", x->job.month_end ? "t" : "f", x->job.full ? "t" : "f"};

		if ((rc = db_exec(x->db, x->e, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL)))
			return rc;
		enum { K_KEYS, K_BOOK };
		r = db_query(x->db, x->e,
			     "WITH" PLAN_KEYS " SELECT count(*),"
			     "       (SELECT count(*) FROM customers"
			     "         WHERE parent IS NULL AND program IS NOT NULL)"
			     "  FROM keys WHERE $1::bigint IS NOT NULL AND $3::text IS NOT NULL", 5, q);
		if (!r)
			return x->e->exit;
		n = atoll(PQgetvalue(r, 0, K_KEYS));
		book = atoll(PQgetvalue(r, 0, K_BOOK));
		PQclear(r);
		if (n * 10 > book) {
			/* Much of the book: each chunk hashes the tables whole
			 * (its accounts are most of its range), so as few chunks
			 * as keep the workers busy: one with one worker, two per
			 * worker with more, so that a worker that joins finds some */
			long long parts = x->workers > 1 ? 2LL * x->workers : 1;

			size = (n + parts - 1) / parts;
		} else if (x->workers == 1) {
			/* A small part of it, read by index, by one worker: as
			 * few chunks as CHUNK_MAX allows, since each costs a few
			 * queries and a commit of its own (a next day of 8,000
			 * accounts in eight chunks took a tenth longer than in
			 * two, tests/bench/nightly); past CHUNK_MAX accounts an
			 * `accrue worker` that joins finds some to take */
			size = n < CHUNK_MAX ? n : CHUNK_MAX;
		} else {
			/* the same by many: about eight chunks per worker, so
			 * that they end together and `accrue worker` finds some
			 * to take */
			size = (n + 8LL * x->workers - 1) / (8LL * x->workers);
			if (size < CHUNK_MIN)
				size = CHUNK_MIN;
			if (size > CHUNK_MAX)
				size = CHUNK_MAX;
		}
		if (size < 1)
			size = 1;
		snprintf(per, sizeof(per), "%lld", size);
		q[2] = per;
		if ((rc = db_exec(x->db, x->e,
				  "INSERT INTO run_chunks (run_id, chunk, first_account, next_account, planned)"
				  " WITH" PLAN_KEYS ","
				  " g AS (SELECT (row_number() OVER (ORDER BY account) - 1) / $3::integer AS g,"
				  "              account FROM keys),"
				  " c AS (SELECT g, min(account) AS first, count(*) AS n FROM g GROUP BY g)"
				  " SELECT $1::bigint, g, CASE WHEN g = 0 THEN NULL ELSE first END,"
				  "        lead(first) OVER (ORDER BY g), n FROM c", 5, q)))
			return rc;
		/* nothing to do: one chunk all the same, which consumes the
		 * marks of accounts outside any program */
		if (n == 0 &&
		    (rc = db_exec(x->db, x->e,
				  "INSERT INTO run_chunks (run_id, chunk, planned) VALUES ($1::bigint, 0, 0)",
				  1, p)))
			return rc;
	}
#undef PLAN_KEYS
	if ((rc = db_exec(x->db, x->e, "COMMIT", 0, NULL)))
		return rc;
	if (n == 0)
		log_info("planned: no account changed or due");
	else
		log_info("planned: %lld account%s to look at, in chunks of up to %lld, for %d "
			 "worker%s", n, n == 1 ? "" : "s", size, x->workers, x->workers == 1 ? "" : "s");
	return 0;
}

/* Fork a worker process: its own connection, chunks until none is left
 * to claim; it dies with the coordinator. */
static pid_t spawn(struct run *x)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	{
		struct err e = {0};
		PGconn *db;
		struct closer *w;
		int rc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(EXIT_FAIL);
		log_context(x->job.run_id, "worker");
		log_debug("worker process %ld started", (long)getpid());
		/* the coordinator's connection is not ours to use or close */
		db = db_connect(x->a->conninfo, &e);
		if (!db)
			_exit(app_fail(&e));
		w = closer_new(db, &x->job, &e);
		if (!w)
			rc = err_set(&e, EXIT_FAIL, "out of memory");
		else if (!(rc = worker_session(db, &e, x->lease)))
			rc = work_loop(db, &e, w, &x->job, x->lease, 0, NULL, NULL, NULL, NULL);
		/* another worker failed and said why; the close reports it */
		if (rc == WORK_STOPPED)
			rc = 0;
		if (rc)
			app_fail(&e);
		closer_free(w);
		PQfinish(db);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
}

/* Where the run is: chunks and accounts done, chunks left, its status. */
static int run_progress(struct run *x, long long *done_accounts, long long *todo, int *running,
			char *why, size_t nwhy)
{
	char id[32];
	const char *p[1] = {id};
	PGresult *r;

	enum { P_DONE, P_TODO, P_STATUS, P_MESSAGE };
	id_text(id, sizeof(id), x->job.run_id);
	r = db_query(x->db, x->e,
		     "SELECT COALESCE(sum(accounts + COALESCE(accrual_only, 0))"
		     "                FILTER (WHERE x.status = 'done'), 0),"
		     "       count(*) FILTER (WHERE x.status = 'todo'), r.status, COALESCE(r.message, '')"
		     "  FROM runs r LEFT JOIN run_chunks x ON x.run_id = r.run_id"
		     " WHERE r.run_id = $1::bigint GROUP BY r.status, r.message", 1, p);
	if (!r)
		return x->e->exit;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_set(x->e, EXIT_FAIL, "internal: run %lld has no row", x->job.run_id);
	}
	*done_accounts = atoll(PQgetvalue(r, 0, P_DONE));
	*todo = atoll(PQgetvalue(r, 0, P_TODO));
	*running = !strcmp(PQgetvalue(r, 0, P_STATUS), "running");
	text_copy(why, nwhy, PQgetvalue(r, 0, P_MESSAGE));
	PQclear(r);
	return 0;
}

static void stop_children(pid_t *kids, int n)
{
	for (int i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
}

/* Every chunk of the run done, by whoever: the coordinator's own work with
 * one worker; else its worker processes, which it watches. */
static int drive(struct run *x)
{
	char id[32], why[512];
	const char *p[1] = {id};
	struct progress pr;
	struct closer *w;
	PGresult *r;
	long long planned, done = 0, todo = 0;
	int rc = 0, running = 1;

	id_text(id, sizeof(id), x->job.run_id);
	r = db_query(x->db, x->e,
		     "SELECT COALESCE(sum(planned), 0) FROM run_chunks WHERE run_id = $1::bigint", 1, p);
	if (!r)
		return x->e->exit;
	planned = db_value(r) ? atoll(db_value(r)) : 0;
	PQclear(r);
	w = closer_new(x->db, &x->job, x->e);
	if (!w)
		return err_set(x->e, EXIT_FAIL, "out of memory");
	log_step("close");
	progress_start(&pr, "daily close", planned);
	if ((rc = run_progress(x, &done, &todo, &running, why, sizeof(why))))
		goto out;
	if (x->workers <= 1) {
		rc = work_loop(x->db, x->e, w, &x->job, x->lease, 1, &pr, &done, NULL, NULL);
		if (rc == WORK_STOPPED)
			rc = EXIT_FAIL;
		goto out;
	}
	{
		pid_t kids[1024];
		int nkids = x->workers, live = 0, respawns = 0;

		for (int i = 0; i < nkids; i++) {
			kids[i] = spawn(x);
			if (kids[i] < 0) {
				rc = err_set(x->e, EXIT_FAIL, "cannot start a worker process: %s",
					     strerror(errno));
				stop_children(kids, i);
				goto out;
			}
			live++;
		}
		for (;;) {
			int st;
			pid_t pid;

			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				int i;

				for (i = 0; i < nkids && kids[i] != pid; i++)
					;
				if (i == nkids)
					continue;
				kids[i] = 0;
				live--;
				if (WIFSIGNALED(st)) {
					log_warn("worker process %ld was killed (signal %d); its chunk "
						 "will be done again", (long)pid, WTERMSIG(st));
					if (respawns++ < 3 * nkids && (kids[i] = spawn(x)) > 0)
						live++;
					else
						kids[i] = 0;
				} else if (WEXITSTATUS(st) != 0 && !rc) {
					rc = WEXITSTATUS(st);
					x->quiet_failure = 1;
				}
			}
			if (rc) {
				stop_children(kids, nkids);
				err_set(x->e, rc, "a worker process failed");
				goto out;
			}
			if ((rc = run_progress(x, &done, &todo, &running, why, sizeof(why)))) {
				stop_children(kids, nkids);
				goto out;
			}
			progress_update(&pr, done);
			if (!running) {
				stop_children(kids, nkids);
				rc = err_set(x->e, EXIT_FAIL, "run %lld stopped: %s", x->job.run_id,
					     *why ? why : "it is no longer running");
				goto out;
			}
			if (live == 0)
				break;
			usleep(200 * 1000);
		}
		/* what is left (chunks other workers hold, or whose worker
		 * died last): the coordinator's own */
		rc = work_loop(x->db, x->e, w, &x->job, x->lease, 1, &pr, &done, NULL, NULL);
		if (rc == WORK_STOPPED)
			rc = EXIT_FAIL;
	}
out:
	if (!rc)
		progress_update(&pr, planned > done ? planned : done);
	progress_end(&pr);
	closer_free(w);
	return rc;
}

/* The run's staging rows go.  They are the only ones (one close at a
 * time, and a dry run's never commit): TRUNCATE, which writes almost
 * nothing, instead of deleting row by row; DELETE if another's are there. */
static int clear_staging(struct run *x)
{
	char id[32];
	const char *p[1] = {id};
	PGresult *r;
	int others;

	id_text(id, sizeof(id), x->job.run_id);
	r = db_query(x->db, x->e,
		     "SELECT EXISTS (SELECT 1 FROM run_entries WHERE run_id <> $1::bigint)"
		     "    OR EXISTS (SELECT 1 FROM run_refusals WHERE run_id <> $1::bigint)", 1, p);
	if (!r)
		return x->e->exit;
	others = db_value(r) && !strcmp(db_value(r), "t");
	PQclear(r);
	if (!others)
		return db_exec(x->db, x->e, "TRUNCATE run_entries, run_refusals", 0, NULL);
	if (db_exec(x->db, x->e, "DELETE FROM run_entries WHERE run_id = $1::bigint", 1, p) ||
	    db_exec(x->db, x->e, "DELETE FROM run_refusals WHERE run_id = $1::bigint", 1, p))
		return x->e->exit;
	return 0;
}

/* Every chunk done: the journals, the ledger, the refusals and the run's
 * end in one transaction.  run_id 0: the dry run's, in its transaction,
 * which the caller rolls back. */
static int finish(struct run *x)
{
	char id[32], counts[1024], memo[64];
	const char *p[1] = {id};
	PGresult *r;
	int rc;

	enum { S_ACCOUNTS, S_CHANGED, S_DUE, S_RESUMED, S_ACCRUAL, S_WARNINGS, S_CHUNKS, S_TODO };
	log_step("journals");
	id_text(id, sizeof(id), x->job.run_id);
	if (x->job.run_id && (rc = db_exec(x->db, x->e, "BEGIN", 0, NULL)))
		return rc;
	if (x->job.run_id) {
		r = db_query(x->db, x->e,
			     "SELECT sum(accounts), sum(changed), sum(due), sum(resumed), sum(accrual_only),"
			     "       sum(warnings), count(*), count(*) FILTER (WHERE status <> 'done')"
			     "  FROM run_chunks WHERE run_id = $1::bigint", 1, p);
		if (!r)
			return x->e->exit;
		if (atoll(PQgetvalue(r, 0, S_TODO)) != 0) {
			PQclear(r);
			return err_set(x->e, EXIT_FAIL, "internal: run %lld has chunks left", x->job.run_id);
		}
		x->accounts = atoll(PQgetvalue(r, 0, S_ACCOUNTS));
		x->changed = atoll(PQgetvalue(r, 0, S_CHANGED));
		x->due = atoll(PQgetvalue(r, 0, S_DUE));
		x->resumed = atoll(PQgetvalue(r, 0, S_RESUMED));
		x->accrual_only = atoll(PQgetvalue(r, 0, S_ACCRUAL));
		x->warnings = atoll(PQgetvalue(r, 0, S_WARNINGS));
		x->chunks = atoll(PQgetvalue(r, 0, S_CHUNKS));
		PQclear(r);
	}
	/* the run's rows are most of the table: the planner should know (a
	 * run's id has no statistics of its own otherwise) */
	if ((rc = db_exec(x->db, x->e, "ANALYZE run_entries", 0, NULL)) ||
	    (rc = posting_begin_run(&x->post, x->db, x->e, x->job.run_id)))
		return rc;
	x->entries = posting_count(&x->post);
	what_of(&x->job, memo, sizeof(memo));
	if ((rc = posting_finish(&x->post, x->job.run_id, memo)))
		return rc;
	x->journals = x->post.journals;
	if (x->job.run_id && x->entries)
		log_info("posting %lld entries in %lld journal%s", x->entries, x->journals,
			 x->journals == 1 ? "" : "s");
	else if (x->job.run_id)
		log_info("nothing to post");
	/* the refusals, listed once each, recorded by the first close that
	 * refused them */
	enum { F_PAYMENT, F_INVOICE, F_CUSTOMER, F_DATE, F_AMOUNT, F_REASON };
	r = db_query(x->db, x->e,
		     "SELECT payment, invoice, customer, pay_date::text, amount_cents, reason"
		     "  FROM run_refusals WHERE run_id = $1::bigint ORDER BY account, seq", 1, p);
	if (!r)
		return x->e->exit;
	x->refused_total = PQntuples(r);
	x->nrefused = x->refused_total < REFUSALS_SHOWN ? (size_t)x->refused_total : REFUSALS_SHOWN;
	x->refused = calloc(x->nrefused + 1, sizeof(*x->refused));
	if (!x->refused) {
		PQclear(r);
		return err_set(x->e, EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < x->nrefused; i++) {
		char a[MONEY_FMT_SIZE];
		const char *inv = PQgetvalue(r, (int)i, F_INVOICE);

		snprintf(x->refused[i], sizeof(x->refused[i]), "payment %s%s%s by %s on %s, %s: %s",
			 PQgetvalue(r, (int)i, F_PAYMENT), *inv ? " to invoice " : " on account", inv,
			 PQgetvalue(r, (int)i, F_CUSTOMER), PQgetvalue(r, (int)i, F_DATE),
			 decimal_format(db_int64(PQgetvalue(r, (int)i, F_AMOUNT)), 2, a),
			 PQgetvalue(r, (int)i, F_REASON));
	}
	PQclear(r);
	if (!x->job.run_id)
		return 0;
	if ((rc = db_exec(x->db, x->e,
			  "INSERT INTO redemption_refusals (account, payment, invoice, customer, pay_date,"
			  "                                 reason, run_id)"
			  " SELECT DISTINCT ON (account, payment, invoice) account, payment, invoice,"
			  "        customer, pay_date, reason, run_id"
			  "   FROM run_refusals WHERE run_id = $1::bigint ORDER BY account, payment, invoice"
			  " ON CONFLICT (account, payment, invoice) DO NOTHING", 1, p)) ||
	    (rc = clear_staging(x)))
		return rc;
	snprintf(counts, sizeof(counts),
		 "{\"accounts\": %lld, \"changed\": %lld, \"due\": %lld,"
		 " \"from_checkpoint\": %lld, \"full\": %s,"
		 " \"accrual_only\": %lld, \"entries\": %lld, \"journals\": %lld,"
		 " \"refused\": %lld, \"chunks\": %lld, \"workers\": %d, \"warnings\": %lld}",
		 x->accounts, x->changed, x->due, x->resumed, x->job.full ? "true" : "false",
		 x->accrual_only, x->entries, x->journals, x->refused_total, x->chunks, x->workers,
		 x->warnings);
	if ((rc = runs_done(x->db, x->e, x->job.run_id, counts)))
		return rc;
	if (x->job.month_end) {
		char first[DATE_FMT_SIZE];
		const char *q[2] = {first, id};

		date_format(date_month_start(x->job.as_of), first);
		if ((rc = db_exec(x->db, x->e,
				  "INSERT INTO periods (period, run_id) VALUES ($1::date, $2::bigint)",
				  2, q)))
			return rc;
	}
	return db_exec(x->db, x->e, "COMMIT", 0, NULL);
}

static void summary(const struct run *x, int dry_run)
{
	char d[DATE_FMT_SIZE];

	if (x->job.month_end)
		printf("month-end %s (through %s)", x->job.period, date_format(x->job.as_of, d));
	else
		printf("daily close %s", date_format(x->job.as_of, d));
	printf("%s: %lld accounts, %lld entries, %lld journals\n",
	       dry_run ? " (dry run: nothing written)" : "", x->accounts, x->entries, x->journals);
	if (x->job.full)
		printf("accounts brought up to date: %lld (--full: every account)\n", x->accounts);
	else
		printf("accounts brought up to date: %lld (changed %lld, event due %lld);"
		       " from a checkpoint: %lld\n", x->accounts, x->changed, x->due, x->resumed);
	if (x->job.month_end)
		printf("accounts with only the month-end accrual: %lld\n", x->accrual_only);
	posting_print_kinds(&x->post);
	if (x->warnings)
		printf("warnings: %lld (listed on stderr)\n", x->warnings);
	if (x->refused_total) {
		printf("refused redemptions: %lld\n", x->refused_total);
		for (size_t i = 0; i < x->nrefused; i++)
			printf("  %s\n", x->refused[i]);
	}
}

/* The latest close that did not finish: a run not done that has chunks.
 * One none of whose chunks is done changed nothing: it is let go. */
static int unfinished(struct run *x, long long *run_id)
{
	PGresult *r;
	int rc;

	enum { U_RUN, U_DONE };
	*run_id = 0;
	r = db_query(x->db, x->e,
		     "SELECT r.run_id, count(*) FILTER (WHERE x.status = 'done')"
		     "  FROM runs r JOIN run_chunks x ON x.run_id = r.run_id"
		     " WHERE r.job IN ('daily-close', 'month-end') AND r.status <> 'done'"
		     " GROUP BY r.run_id ORDER BY r.run_id LIMIT 1", 0, NULL);
	if (!r)
		return x->e->exit;
	if (PQntuples(r) == 1) {
		char id[32];
		const char *p[1] = {id};

		text_copy(id, sizeof(id), PQgetvalue(r, 0, U_RUN));
		if (atoll(PQgetvalue(r, 0, U_DONE)) > 0) {
			*run_id = atoll(id);
		} else if ((rc = db_exec(x->db, x->e,
					 "DELETE FROM run_chunks WHERE run_id = $1::bigint", 1, p))) {
			PQclear(r);
			return rc;
		}
	}
	PQclear(r);
	return 0;
}

static void run_free(struct run *x)
{
	posting_free(&x->post);
	free(x->refused);
	x->refused = NULL;
	x->nrefused = 0;
}

/* Finish run_id, which a close left unfinished. */
static int resume(struct run *x, long long run_id)
{
	char status[32], what[64], who[256], id[32];
	int rc;

	if ((rc = job_of_run(x->db, x->e, run_id, &x->job, status, sizeof(status))))
		return rc;
	log_context(run_id, "resume");
	log_info("run %lld (%s) did not finish; finishing it first", run_id,
		 what_of(&x->job, what, sizeof(what)));
	me(who, sizeof(who));
	id_text(id, sizeof(id), run_id);
	/* the run is this process's now (a second close names it); who
	 * started it stays in the message */
	{
		char host[200] = "", pid[32];
		const char *q[4] = {id, who, host, pid};

		gethostname(host, sizeof(host) - 1);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		if ((rc = db_exec(x->db, x->e,
				  "UPDATE runs SET status = 'running', ended_at = NULL,"
				  "       message = 'started by ' || COALESCE(host, '?') || ':'"
				  "                 || COALESCE(pid::text, '?') || ', finished by ' || $2,"
				  "       host = $3, pid = $4::integer"
				  " WHERE run_id = $1::bigint", 4, q)))
			return rc;
	}
	if ((rc = drive(x)) || (rc = finish(x)))
		return rc;
	return 0;
}

static int free_connections(struct run *x)
{
	PGresult *r;
	long long free_;

	r = db_query(x->db, x->e,
		     "SELECT current_setting('max_connections')::integer"
		     "       - current_setting('superuser_reserved_connections')::integer"
		     "       - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
		     0, NULL);
	if (!r)
		return x->e->exit;
	free_ = db_value(r) ? atoll(db_value(r)) : 0;
	PQclear(r);
	if (x->workers > free_)
		return err_set(x->e, EXIT_USAGE,
			       "--workers %d: the database has %lld free connection%s (each worker "
			       "needs one); use --workers %lld or fewer, or raise the server's "
			       "max_connections", x->workers, free_ > 0 ? free_ : 0,
			       free_ == 1 ? "" : "s", free_ > 1 ? free_ : 1);
	return 0;
}

static int close_main(struct run *x, struct close_request *q)
{
	char d[DATE_FMT_SIZE];
	long long left;
	date_t last;
	int has_last, rc;

	if (!(x->db = app_db(x->a, x->e)))
		return x->e->exit;
	if ((rc = runs_lock(x->db, x->e, LOCK_CLOSE, "close")))
		return rc;
	if (x->workers > 1 && !q->dry_run && (rc = free_connections(x)))
		return rc;
	if ((rc = unfinished(x, &left)))
		return rc;
	if (left && q->dry_run)
		return err_set(x->e, EXIT_FAIL, "run %lld, a close, did not finish: run the close "
			       "without --dry-run to finish it first", left);
	if (left) {
		struct close_job asked = {0};

		asked.as_of = q->as_of;
		asked.month_end = q->month_end;
		asked.full = q->full;
		if ((rc = worker_session(x->db, x->e, x->lease)) || (rc = resume(x, left)))
			return rc;
		if (x->job.as_of == asked.as_of && x->job.month_end == asked.month_end &&
		    x->job.full == asked.full) {
			summary(x, 0);
			q->posted = x->entries;
			return x->refused_total ? EXIT_EXCEPTIONS : EXIT_OK;
		}
		summary(x, 0);
		run_free(x);
		memset(&x->job, 0, sizeof(x->job));
		x->accounts = x->changed = x->due = x->resumed = x->accrual_only = 0;
		x->warnings = x->chunks = x->journals = x->entries = x->refused_total = 0;
	}
	x->job.as_of = q->as_of;
	x->job.month_end = q->month_end;
	x->job.full = q->full;
	{
		int y, m, dd;

		date_to_ymd(q->as_of, &y, &m, &dd);
		snprintf(x->job.period, sizeof(x->job.period), "%04d-%02d", y % 10000, m);
	}
	if ((rc = runs_last_close(x->db, x->e, &last, &has_last)))
		return rc;
	/* The month-end of a period may run after the daily closes of the next
	 * days (its own entries are dated the period's last day); a daily
	 * close may not run before the last one. */
	if (has_last && q->as_of < last && !q->month_end) {
		char l[DATE_FMT_SIZE];
		return err_set(x->e, EXIT_USAGE,
			       "the last completed close is for %s: a close for %s would run the "
			       "books backwards", date_format(last, l), date_format(q->as_of, d));
	}
	date_format(q->as_of, d);
	if (q->month_end) {
		char first[DATE_FMT_SIZE];
		const char *pp[1] = {first};
		PGresult *r;
		int closed;

		date_format(date_month_start(q->as_of), first);
		/* a closed period re-run posts nothing and says so (SPEC §8),
		 * whatever was closed after it */
		r = db_query(x->db, x->e, "SELECT 1 FROM periods WHERE period = $1::date", 1, pp);
		if (!r)
			return x->e->exit;
		closed = PQntuples(r) > 0;
		PQclear(r);
		if (closed) {
			printf("month-end %s: the period is already closed; nothing to post "
			       "(late documents are caught up by the next open month-end)\n",
			       x->job.period);
			return EXIT_OK;
		}
		r = db_query(x->db, x->e,
			     "SELECT to_char(max(period), 'YYYY-MM') FROM periods WHERE period > $1::date",
			     1, pp);
		if (!r)
			return x->e->exit;
		if (db_value(r)) {
			rc = err_set(x->e, EXIT_USAGE, "period %s is closed already: closing %s now "
				     "would run the books backwards", db_value(r), x->job.period);
			PQclear(r);
			return rc;
		}
		PQclear(r);
	}
	if (q->dry_run) {
		/* one transaction, one process, rolled back */
		struct closer *w;
		struct chunk_counts n;
		struct progress pr;
		x->job.run_id = 0;
		if ((rc = db_exec(x->db, x->e, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL)))
			return rc;
		if (!(w = closer_new(x->db, &x->job, x->e)))
			return err_set(x->e, EXIT_FAIL, "out of memory");
		progress_start(&pr, "daily close", 0);
		memset(&n, 0, sizeof(n));
		rc = closer_chunk(w, NULL, NULL, &pr, 0, &n);
		progress_end(&pr);
		closer_free(w);
		if (rc || (rc = finish(x)))
			return rc;
		x->accounts = n.accounts;
		x->changed = n.changed;
		x->due = n.due;
		x->resumed = n.resumed;
		x->accrual_only = n.accrual_only;
		x->warnings = n.warnings;
		db_exec(x->db, x->e, "ROLLBACK", 0, NULL);
		summary(x, 1);
		q->posted = x->entries;
		return x->refused_total ? EXIT_EXCEPTIONS : EXIT_OK;
	}
	{
		char first[DATE_FMT_SIZE], id[32], nw[16];
		const char *p[3] = {id, q->full ? "t" : "f", nw};

		date_format(date_month_start(q->as_of), first);
		if ((rc = runs_start(x->db, x->e, q->month_end ? "month-end" : "daily-close", d,
				     q->month_end ? first : NULL, &x->job.run_id)))
			return rc;
		id_text(id, sizeof(id), x->job.run_id);
		log_context(x->job.run_id, "plan");
		snprintf(nw, sizeof(nw), "%d", x->workers);
		if ((rc = db_exec(x->db, x->e,
				  "UPDATE runs SET full_replay = $2::boolean, workers = $3::integer"
				  " WHERE run_id = $1::bigint", 3, p)))
			return rc;
	}
	if ((rc = worker_session(x->db, x->e, x->lease)) || (rc = plan(x)) || (rc = drive(x)) ||
	    (rc = finish(x)))
		return rc;
	summary(x, 0);
	q->posted = x->entries;
	return x->refused_total ? EXIT_EXCEPTIONS : EXIT_OK;
}

int close_books(struct app *a, struct close_request *q)
{
	struct err e = {0};
	struct run x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.e = &e;
	x.workers = q->workers > 0 ? q->workers : a->cfg.workers;
	x.lease = a->cfg.lease_seconds;
	rc = close_main(&x, q);
	if (rc && rc != EXIT_EXCEPTIONS) {
		struct err ignored;

		if (x.db && PQstatus(x.db) == CONNECTION_OK) {
			db_exec(x.db, &ignored, "ROLLBACK", 0, NULL);
			/* a worker process that failed recorded why itself */
			if (x.job.run_id && !x.quiet_failure)
				runs_failed(x.db, x.job.run_id, e.msg);
		}
		if (!x.quiet_failure)
			app_fail(&e);
	}
	run_free(&x);
	log_context(0, NULL);
	return rc;
}

int close_worker(struct app *a, long long run_id)
{
	struct err e = {0};
	struct close_job job;
	struct closer *w = NULL;
	char status[32] = "", what[64];
	long long chunks = 0, accounts = 0;
	PGconn *db;
	int rc;

	memset(&job, 0, sizeof(job));
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (!run_id) {
		PGresult *r = db_query(db, &e,
				       "SELECT r.run_id FROM runs r"
				       " WHERE r.job IN ('daily-close', 'month-end') AND r.status = 'running'"
				       "   AND EXISTS (SELECT 1 FROM run_chunks x WHERE x.run_id = r.run_id"
				       "                  AND x.status = 'todo')"
				       " ORDER BY r.run_id DESC LIMIT 1", 0, NULL);
		if (!r)
			return app_fail(&e);
		run_id = db_value(r) ? atoll(db_value(r)) : 0;
		PQclear(r);
		if (!run_id) {
			printf("worker: no close is running; nothing to do\n");
			return EXIT_OK;
		}
	}
	if ((rc = job_of_run(db, &e, run_id, &job, status, sizeof(status))))
		return app_fail(&e);
	if (strcmp(status, "running") != 0) {
		printf("worker: run %lld (%s) is not running (%s); nothing to do\n", run_id,
		       what_of(&job, what, sizeof(what)), status);
		return EXIT_OK;
	}
	if (!(w = closer_new(db, &job, &e))) {
		err_set(&e, EXIT_FAIL, "out of memory");
		return app_fail(&e);
	}
	log_context(run_id, "worker");
	log_info("worker: joining run %lld (%s)", run_id, what_of(&job, what, sizeof(what)));
	if (!(rc = worker_session(db, &e, a->cfg.lease_seconds)))
		rc = work_loop(db, &e, w, &job, a->cfg.lease_seconds, 0, NULL, NULL, &chunks, &accounts);
	closer_free(w);
	if (rc == WORK_STOPPED)
		rc = EXIT_FAIL;
	if (rc)
		return app_fail(&e);
	printf("worker: run %lld (%s): %lld chunks, %lld accounts done here\n", run_id,
	       what_of(&job, what, sizeof(what)), chunks, accounts);
	return EXIT_OK;
}
