/*
 * statements: the PDF statements of a period (SPEC §9), for `accrue
 * statements` and the month-end close.
 *
 * One read-only snapshot; one query, read through a cursor sorted by
 * account, brings every chosen account's header and all its ledger lines up
 * to the last day (the balances and lots run from the first line).  For each
 * account in turn core/statement works out the statement and its pages,
 * core/pdf draws it, and the file goes under the output directory; its
 * name, digest and pages stream (COPY, a chunk at a time) into a staging
 * table.  At the end, set-based: the `statements` rows — a statement whose
 * customer, range and SHA-256 are already recorded keeps its row, so it is
 * never mailed twice — and with --email one `mail_outbox` row per address of
 * every customer with send_statements, then jobs/mail sends what is queued.
 * Memory holds one account at a time.
 *
 * Choices where the contract is silent (README, Statements):
 * - --all takes every parent account of a client (not promotional) program
 *   with a ledger line in the range or a non-zero balance at its end;
 *   --customer N makes N's statement whatever its activity.
 * - A child asked for is an error (exit 1) naming its parent; so is a
 *   customer in no program or in a promotional program.
 * - Only the lines of the account's current program count, as in the
 *   reports.
 * - The file is CUSTOMER_FROM_TO.pdf, the customer number made safe
 *   (text_safe_filename) and, when that changed it, followed by 8 hex digits
 *   of its SHA-256 so two numbers never share a file.  It is written whole
 *   or not at all (core/io/files), so a reader never sees half a file.
 * - `statements.path` is the file's absolute path (mail retry may run from
 *   another directory); a re-run that writes the same bytes elsewhere moves
 *   the recorded path there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "digest.h"
#include "files.h"
#include "locks.h"
#include "log.h"
#include "mail.h"
#include "pdf.h"
#include "runs.h"
#include "sbuf.h"
#include "statement.h"
#include "statements.h"
#include "template.h"
#include "text.h"

#define STMT_FETCH "FETCH 5000 FROM stmt_rows"
#define STMT_PDF_MAX (256u << 20)       /* bytes of one PDF */
#define STMT_STAGE_FLUSH (1u << 20)     /* COPY the staged rows past this */
#define STMT_STAGE_MAX (64u << 20)

struct stmt_run {
	struct app *a;
	PGconn *db;
	struct err *e;
	date_t from, to;
	char from_s[DATE_FMT_SIZE], to_s[DATE_FMT_SIZE];
	const char *customer;        /* NULL: --all */
	const char *out_dir;         /* as given */
	char out_abs[PATH_MAX];
	int email;
	int company;
	int month_end;
	long long run_id;

	struct template_set tpl;
	struct statement st;
	int active;                  /* st holds an account */
	char lang[TEMPLATE_LANG_SIZE];
	struct sbuf pdf;
	struct sbuf stage;
	struct progress prog;

	long long accounts, made, pages, reused, queued;

	int workers;                 /* processes that make the PDFs */
	int part;                    /* a worker's share: accounts hashed to it */
	int pipe_fd;                 /* a worker: its staged rows go here */
};

/* ---- reading ---- */

static int date_col(PGresult *r, int row, int col, date_t *d)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return date_parse(PQgetvalue(r, row, col), d) == 0;
}

/*
 * The accounts a run makes statements for ($1 from, $2 to, $3 the customer
 * or NULL for --all): parent accounts of a client program; with --all only
 * those with a ledger line of the program in the range or a non-zero balance
 * at its end.
 */
#define STMT_CHOSEN                                                                    \
	"WITH acct AS ("                                                               \
	"  SELECT c.customer AS account, c.program"                                    \
	"    FROM customers c JOIN programs p ON p.program = c.program"                \
	"   WHERE c.parent IS NULL AND p.points_type = 'client'"                       \
	"     AND ($3::text IS NULL OR c.customer = $3::text)"                         \
	"     AND ($4::integer = 1"                                                    \
	"          OR mod(hashtext(c.customer)::bigint + 2147483648, $4::integer) = $5::integer)" \
	"), bal AS ("                                                                  \
	"  SELECT l.account, bool_or(l.entry_date >= $1::date) AS active,"             \
	"         sum(l.pending_units) <> 0 OR sum(l.usable_units) <> 0 AS nonzero"    \
	"    FROM ledger l JOIN acct a ON a.account = l.account AND a.program = l.program" \
	"   WHERE l.entry_date <= $2::date"                                            \
	"   GROUP BY l.account"                                                        \
	"), chosen AS ("                                                               \
	"  SELECT a.account, a.program FROM acct a LEFT JOIN bal b ON b.account = a.account" \
	"   WHERE $3::text IS NOT NULL OR b.active OR b.nonzero"                       \
	") "

/*
 * Per chosen account, its header (part 0) then every ledger line of its
 * program up to $2 in date and entry order (part 1).
 *
 * Columns: 0 part, 1 account, 2 date, 3 kind, 4 document, 5 pending,
 * 6 usable, 7 expires_on, 8 note, 9 the child whose line it is ('' for the
 * account's own); header: 10 name, 11 address, 12 language, 13 member_since,
 * 14 points_expiry_date, 15 program name, 16 unit, 17 expiry_days,
 * 18 expiry_months; 19 the entry's id (the order within a date); 20 the
 * line's life-to-date figure (ledger_ltd, sql/005_rules.sql).
 */
static const char stmt_sql[] =
	"DECLARE stmt_rows NO SCROLL CURSOR FOR "
	STMT_CHOSEN
	"SELECT x.* FROM ("
	"  SELECT 0 AS part, ch.account, NULL::date AS day,"
	"         NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::date, NULL::text,"
	"         NULL::text, c.name, c.address, c.language, c.member_since,"
	"         c.points_expiry_date, p.name, p.unit, p.expiry_days, p.expiry_months,"
	"         NULL::bigint AS entry_id, NULL::text AS ltd"
	"    FROM chosen ch JOIN customers c ON c.customer = ch.account"
	"    JOIN programs p ON p.program = ch.program"
	"  UNION ALL"
	"  SELECT 1, l.account, l.entry_date, l.kind, l.document,"
	"         l.pending_units, l.usable_units, l.expires_on, l.note,"
	"         CASE WHEN l.customer = l.account THEN '' ELSE l.customer END,"
	"         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, l.entry_id,"
	"         ledger_ltd(l.kind)"
	"    FROM ledger l JOIN chosen ch ON ch.account = l.account AND ch.program = l.program"
	"   WHERE l.entry_date <= $2::date"
	") x ORDER BY x.account, x.part, x.day, x.entry_id";
enum { SC_PART, SC_ACCOUNT, SC_DATE, SC_KIND, SC_DOCUMENT, SC_PENDING, SC_USABLE, SC_EXPIRES,
       SC_NOTE, SC_CUSTOMER, SC_NAME, SC_ADDRESS, SC_LANGUAGE, SC_MEMBER_SINCE,
       SC_POINTS_EXPIRY, SC_PROGRAM_NAME, SC_UNIT, SC_EXPIRY_DAYS, SC_EXPIRY_MONTHS,
       SC_ENTRY_ID, SC_LTD };

static const char stmt_count_sql[] = STMT_CHOSEN "SELECT count(*) FROM chosen";

/* ---- writing one statement ---- */

/* CUSTOMER_FROM_TO.pdf, the number made safe for a file name. */
static int file_name(struct stmt_run *r, const char *customer, char *out, size_t n)
{
	char safe[STMT_KEY * 2], tag[DIGEST_HEX_SIZE];

	if (text_safe_filename(customer, safe, sizeof(safe) - 10))
		return err_set(r->e, EXIT_FAIL, "customer \"%.100s\": no file name can be made from it",
			       customer);
	if (strcmp(safe, customer) != 0) {
		/* characters were replaced: keep apart numbers that differ in them */
		if (digest_sha256_hex(customer, strlen(customer), tag))
			return err_set(r->e, EXIT_FAIL, "SHA-256 failed (libcrypto)");
		snprintf(safe + strlen(safe), 10, "-%.8s", tag);
	}
	if ((size_t)snprintf(out, n, "%s/%s_%s_%s.pdf", r->out_abs, safe, r->from_s, r->to_s) >= n)
		return err_set(r->e, EXIT_FAIL, "%s: the path of the statements is too long", r->out_abs);
	return 0;
}

/* The PDF whole or not at all (core/io/files). */
static int write_file(struct stmt_run *r, const char *path, const void *data, size_t len)
{
	char failed[FILES_PATH_MAX];

	if (files_write_atomic(path, data, len, failed))
		return err_set(r->e, EXIT_FAIL, "%s: cannot write: %s", failed, strerror(errno));
	return 0;
}

static int stage_flush(struct stmt_run *r)
{
	int rc;

	if (r->stage.len == 0)
		return 0;
	if (r->pipe_fd >= 0) {
		/* a worker: to the run's process, which records them */
		if (files_write_all(r->pipe_fd, r->stage.p, r->stage.len))
			return err_set(r->e, EXIT_FAIL, "cannot hand the statements over: %s",
				       strerror(errno));
		sbuf_reset(&r->stage);
		return 0;
	}
	if ((rc = db_copy_begin(r->db, r->e, "COPY stmt_stage (customer, path, sha256, pages) FROM STDIN")) ||
	    (rc = db_copy_put(r->db, r->e, r->stage.p, r->stage.len)) ||
	    (rc = db_copy_end(r->db, r->e, NULL)))
		return rc;
	sbuf_reset(&r->stage);
	return 0;
}

/* The account in r->st is complete: draw it, write it, stage its row. */
static int statement_done(struct stmt_run *r)
{
	const struct template *t;
	char path[PATH_MAX + 64], sha[DIGEST_HEX_SIZE], pages[24];
	int rc;

	r->active = 0;
	if (statement_finish(&r->st))
		return err_set(r->e, EXIT_FAIL, "out of memory");
	if (!(t = template_set_get(&r->tpl, r->lang, r->e)))
		return r->e->exit;
	sbuf_reset(&r->pdf);
	if ((rc = pdf_statement(&r->st, t, &r->pdf, r->e)) ||
	    (rc = file_name(r, r->st.h.customer, path, sizeof(path))) ||
	    (rc = write_file(r, path, r->pdf.p, r->pdf.len)))
		return rc;
	if (digest_sha256_hex(r->pdf.p, r->pdf.len, sha))
		return err_set(r->e, EXIT_FAIL, "SHA-256 failed (libcrypto)");
	snprintf(pages, sizeof(pages), "%zu", r->st.npages);
	if (db_copy_field(&r->stage, r->st.h.customer) || sbuf_addc(&r->stage, '\t') ||
	    db_copy_field(&r->stage, path) || sbuf_addc(&r->stage, '\t') ||
	    db_copy_field(&r->stage, sha) || sbuf_addc(&r->stage, '\t') ||
	    db_copy_field(&r->stage, pages) || sbuf_addc(&r->stage, '\n'))
		return err_set(r->e, EXIT_FAIL, "out of memory (staged statements)");
	r->made++;
	r->pages += (long long)r->st.npages;
	progress_update(&r->prog, r->made);
	if (r->stage.len >= STMT_STAGE_FLUSH)
		return stage_flush(r);
	return 0;
}

static int header_row(struct stmt_run *r, PGresult *res, int i)
{
	struct stmt_header h;

	memset(&h, 0, sizeof(h));
	text_copy(h.customer, sizeof(h.customer), PQgetvalue(res, i, SC_ACCOUNT));
	text_copy(h.name, sizeof(h.name), PQgetvalue(res, i, SC_NAME));
	text_copy(h.address, sizeof(h.address), PQgetvalue(res, i, SC_ADDRESS));
	text_copy(r->lang, sizeof(r->lang), PQgetvalue(res, i, SC_LANGUAGE));
	h.has_member_since = date_col(res, i, SC_MEMBER_SINCE, &h.member_since);
	h.has_points_expiry = date_col(res, i, SC_POINTS_EXPIRY, &h.points_expiry);
	text_copy(h.program, sizeof(h.program), PQgetvalue(res, i, SC_PROGRAM_NAME));
	h.points = strcmp(PQgetvalue(res, i, SC_UNIT), "points") == 0;
	h.expiry_days = (int)db_int64(PQgetvalue(res, i, SC_EXPIRY_DAYS));
	h.expiry_months = (int)db_int64(PQgetvalue(res, i, SC_EXPIRY_MONTHS));
	h.from = r->from;
	h.to = r->to;
	h.expiring_days = r->a->cfg.expiring_days;
	if (r->company) {
		h.company_name = r->a->cfg.company_name;
		h.company_address = r->a->cfg.company_address;
	}
	statement_begin(&r->st, &h);
	r->active = 1;
	r->accounts++;
	return 0;
}

static int line_row(struct stmt_run *r, PGresult *res, int i)
{
	struct stmt_entry x;

	if (!r->active)
		return err_set(r->e, EXIT_FAIL, "internal: a ledger line before its account");
	memset(&x, 0, sizeof(x));
	if (!date_col(res, i, SC_DATE, &x.date))
		return err_set(r->e, EXIT_FAIL, "internal: a ledger line without a date");
	text_copy(x.kind, sizeof(x.kind), PQgetvalue(res, i, SC_KIND));
	x.ltd = statement_ltd_parse(PQgetisnull(res, i, SC_LTD) ? NULL : PQgetvalue(res, i, SC_LTD));
	text_copy(x.document, sizeof(x.document), PQgetvalue(res, i, SC_DOCUMENT));
	x.pending = db_int64(PQgetvalue(res, i, SC_PENDING));
	x.usable = db_int64(PQgetvalue(res, i, SC_USABLE));
	x.has_expires = date_col(res, i, SC_EXPIRES, &x.expires);
	text_copy(x.note, sizeof(x.note), PQgetvalue(res, i, SC_NOTE));
	text_copy(x.customer, sizeof(x.customer), PQgetvalue(res, i, SC_CUSTOMER));
	if (statement_add(&r->st, &x))
		return err_set(r->e, EXIT_FAIL, "out of memory");
	return 0;
}

static int stream(struct stmt_run *r)
{
	char workers[16], part[16];
	const char *params[5] = {r->from_s, r->to_s, r->customer, workers, part};
	PGresult *res;
	int rc = 0;

	snprintf(workers, sizeof(workers), "%d", r->workers > 1 ? r->workers : 1);
	snprintf(part, sizeof(part), "%d", r->part);
	if (r->pipe_fd < 0) {
		if (!(res = db_query(r->db, r->e, stmt_count_sql, 5, params)))
			return r->e->exit;
		progress_start(&r->prog, "statements", db_int64(db_value(res)));
		PQclear(res);
	}
	if (!(res = db_query(r->db, r->e, stmt_sql, 5, params)))
		return r->e->exit;
	PQclear(res);
	for (;;) {
		int n;

		if (!(res = db_query(r->db, r->e, STMT_FETCH, 0, NULL)))
			return r->e->exit;
		n = PQntuples(res);
		for (int i = 0; i < n && !rc; i++) {
			if (strcmp(PQgetvalue(res, i, SC_PART), "0") == 0) {
				if (r->active)
					rc = statement_done(r);
				if (!rc)
					rc = header_row(r, res, i);
			} else {
				rc = line_row(r, res, i);
			}
		}
		PQclear(res);
		if (rc)
			return rc;
		if (n == 0)
			break;
		/* between fetches: the staged rows so far go to the server */
		if ((rc = stage_flush(r)))
			return rc;
	}
	if (r->active && (rc = statement_done(r)))
		return rc;
	if (r->pipe_fd < 0)
		progress_end(&r->prog);
	return stage_flush(r);
}

/* A worker process of the run: the PDFs of its share of the accounts, in
 * the run's snapshot, their rows handed to the run's process on fd. */
static void stream_worker(struct stmt_run *r, const char *snapshot, int fd)
{
	PGconn *db;
	int rc;

	r->pipe_fd = fd;
	r->prog.total = 0;   /* the run's process shows the progress */
	r->made = r->pages = r->accounts = 0;
	sbuf_reset(&r->stage);
	if (!(db = db_connect(r->a->conninfo, r->e)))
		_exit(app_fail(r->e));
	r->db = db;
	if ((rc = db_exec(db, r->e, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL)) ||
	    (rc = db_set_snapshot(db, r->e, snapshot)) || (rc = stream(r)))
		app_fail(r->e);
	PQfinish(db);
	_exit(rc);
}

/* The PDFs made by r->workers processes, each its share of the accounts
 * in this transaction's snapshot; their rows staged here as they come. */
static int stream_parallel(struct stmt_run *r)
{
	char snap[128], buf[64 * 1024];
	pid_t kids[64];
	int fds[64], nkids = 0, rc = 0, open_fds;
	PGresult *res;
	const char *params[5];
	char workers[16];

	snprintf(workers, sizeof(workers), "%d", r->workers);
	params[0] = r->from_s;
	params[1] = r->to_s;
	params[2] = r->customer;
	params[3] = "1";
	params[4] = "0";
	if (!(res = db_query(r->db, r->e, stmt_count_sql, 5, params)))
		return r->e->exit;
	progress_start(&r->prog, "statements", db_int64(db_value(res)));
	PQclear(res);
	if (!(res = db_query(r->db, r->e, "SELECT pg_export_snapshot()", 0, NULL)))
		return r->e->exit;
	text_copy(snap, sizeof(snap), db_value(res) ? db_value(res) : "");
	PQclear(res);
	fflush(stdout);
	fflush(stderr);
	for (int k = 0; k < r->workers && k < 64; k++) {
		int p[2];

		if (pipe(p))
			return err_set(r->e, EXIT_FAIL, "cannot make a pipe: %s", strerror(errno));
		kids[k] = fork();
		if (kids[k] < 0) {
			rc = err_set(r->e, EXIT_FAIL, "cannot start a worker process: %s", strerror(errno));
			close(p[0]);
			close(p[1]);
			break;
		}
		if (kids[k] == 0) {
			pid_t parent = getppid();

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(EXIT_FAIL);
			close(p[0]);
			for (int j = 0; j < k; j++)
				close(fds[j]);
			r->part = k;
			stream_worker(r, snap, p[1]);
		}
		close(p[1]);
		fds[k] = p[0];
		nkids++;
	}
	/* the workers' rows, line by line as they come, into stmt_stage */
	open_fds = nkids;
	while (open_fds > 0) {
		struct pollfd pf[64];
		int n = 0, map[64];

		for (int k = 0; k < nkids; k++)
			if (fds[k] >= 0) {
				pf[n].fd = fds[k];
				pf[n].events = POLLIN;
				map[n++] = k;
			}
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(r->e, EXIT_FAIL, "poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			ssize_t got;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pf[i].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(pf[i].fd);
				fds[map[i]] = -1;
				open_fds--;
				continue;
			}
			for (ssize_t j = 0; j < got; j++)
				if (buf[j] == '\n') {
					r->made++;
					progress_update(&r->prog, r->made);
				}
			if (!rc && sbuf_add(&r->stage, buf, (size_t)got))
				rc = err_set(r->e, EXIT_FAIL, "out of memory (staged statements)");
		}
		/* whole lines only go to the server */
		if (!rc && r->stage.len >= STMT_STAGE_FLUSH) {
			size_t whole = r->stage.len;

			while (whole > 0 && r->stage.p[whole - 1] != '\n')
				whole--;
			if (whole > 0) {
				size_t rest = r->stage.len - whole;

				if ((rc = db_copy_begin(r->db, r->e,
							"COPY stmt_stage (customer, path, sha256, pages) FROM STDIN")) ||
				    (rc = db_copy_put(r->db, r->e, r->stage.p, whole)) ||
				    (rc = db_copy_end(r->db, r->e, NULL)))
					break;
				memmove(r->stage.p, r->stage.p + whole, rest);
				r->stage.len = rest;
			}
		}
	}
	for (int k = 0; k < nkids; k++) {
		int st;

		if (fds[k] >= 0)
			close(fds[k]);
		if (rc)
			kill(kids[k], SIGTERM);
		if (waitpid(kids[k], &st, 0) == kids[k] && !rc &&
		    (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			rc = err_set(r->e, WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL,
				     "a statements worker process failed (see above)");
	}
	progress_end(&r->prog);
	if (rc)
		return rc;
	if ((rc = stage_flush(r)))
		return rc;
	/* the pages, from what the workers staged */
	if (!(res = db_query(r->db, r->e, "SELECT COALESCE(sum(pages), 0) FROM stmt_stage", 0, NULL)))
		return r->e->exit;
	r->pages = db_int64(db_value(res));
	PQclear(res);
	return 0;
}

/* The staged statements become rows of `statements` (an identical one
 * already recorded is reused) and, with --email, outbox rows. */
static int record(struct stmt_run *r)
{
	const char *params[3] = {r->from_s, r->to_s, NULL};
	char id[32];
	PGresult *res;
	int rc;

	snprintf(id, sizeof(id), "%lld", r->run_id);
	params[2] = id;
	/* one run records at a time, so two never both add the same statement */
	if ((rc = db_exec(r->db, r->e, "SELECT pg_advisory_xact_lock(" LOCK_STATEMENTS ")", 0, NULL)))
		return rc;
	if ((rc = db_exec(r->db, r->e,
			  "UPDATE stmt_stage s SET statement_id = o.statement_id, reused = true"
			  "  FROM (SELECT customer, sha256, min(statement_id) AS statement_id"
			  "          FROM statements"
			  "         WHERE date_from = $1::date AND date_to = $2::date"
			  "         GROUP BY customer, sha256) o"
			  " WHERE o.customer = s.customer AND o.sha256 = s.sha256", 2, params)))
		return rc;
	if ((rc = db_exec(r->db, r->e,
			  "UPDATE statements t SET path = s.path FROM stmt_stage s"
			  " WHERE t.customer = s.customer AND t.statement_id = s.statement_id"
			  "   AND t.path <> s.path", 0, NULL)))
		return rc;
	if ((rc = db_exec(r->db, r->e,
			  "WITH ins AS ("
			  "  INSERT INTO statements (customer, date_from, date_to, run_id, path, sha256)"
			  "  SELECT customer, $1::date, $2::date, $3::bigint, path, sha256"
			  "    FROM stmt_stage WHERE statement_id IS NULL ORDER BY customer"
			  "  RETURNING statement_id, customer)"
			  " UPDATE stmt_stage s SET statement_id = ins.statement_id"
			  "   FROM ins WHERE ins.customer = s.customer", 3, params)))
		return rc;
	if (!(res = db_query(r->db, r->e, "SELECT count(*) FILTER (WHERE reused) FROM stmt_stage",
			     0, NULL)))
		return r->e->exit;
	r->reused = db_int64(db_value(res));
	PQclear(res);
	if (!r->email)
		return 0;
	/* SPEC §9: one outbox row per statement and address; a statement
	 * already queued for an address is not queued again */
	if (!(res = db_query(r->db, r->e,
			     "INSERT INTO mail_outbox (account, statement_id, recipient)"
			     " SELECT s.customer, s.statement_id, btrim(a.addr)"
			     "   FROM stmt_stage s JOIN customers c ON c.customer = s.customer"
			     "  CROSS JOIN LATERAL regexp_split_to_table(c.email, ';') AS a(addr)"
			     "  WHERE c.send_statements AND btrim(a.addr) <> ''"
			     "  ORDER BY s.customer, a.addr"
			     " ON CONFLICT (account, statement_id, recipient) DO NOTHING", 0, NULL)))
		return r->e->exit;
	r->queued = db_affected(res);
	PQclear(res);
	return 0;
}

static void summary(const struct stmt_run *r)
{
	printf("statements %s to %s: %lld statement%s, %lld page%s, in %s\n", r->from_s, r->to_s,
	       r->made, r->made == 1 ? "" : "s", r->pages, r->pages == 1 ? "" : "s", r->out_dir);
	if (r->reused)
		printf("  %lld identical to one made before (recorded once)\n", r->reused);
	if (r->email)
		printf("  emails queued: %lld\n", r->queued);
}

static void statements_unlock(struct stmt_run *r, int *locked)
{
	const char *lock[] = {LOCK_STATEMENTS_RUN};
	struct err ignored;

	if (*locked && PQstatus(r->db) == CONNECTION_OK)
		db_exec(r->db, &ignored, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
	*locked = 0;
}

static int run(struct stmt_run *r)
{
	char counts[256], period[DATE_FMT_SIZE];
	int rc, in_tx = 0, locked = 0;

	if (!(r->db = app_db(r->a, r->e)))
		return r->e->exit;
	if (files_mkdir_p(r->out_dir, r->out_abs))
		return err_set(r->e, EXIT_FAIL, "%s: cannot make the directory: %s", r->out_abs,
			       strerror(errno));
	if (!realpath(r->out_dir, r->out_abs))
		return err_set(r->e, EXIT_FAIL, "%s: %s", r->out_dir, strerror(errno));
	date_format(r->from, r->from_s);
	date_format(r->to, r->to_s);
	/* a calendar month is recorded as the run's period */
	date_format(r->from, period);
	/* The run lock first, then the run row: a statements run still
	 * marked running now belongs to a process that died. */
	{
		const char *lock[] = {LOCK_STATEMENTS_RUN};

		if ((rc = db_exec(r->db, r->e, "SELECT pg_advisory_lock($1::bigint)", 1, lock)) ||
		    (rc = db_exec(r->db, r->e,
				  "UPDATE runs SET status = 'failed', ended_at = now(),"
				  "       message = COALESCE(message, 'the process ended before the run finished')"
				  " WHERE status = 'running' AND job = 'statements'", 0, NULL)))
			return rc;
		locked = 1;
	}
	/* the temporaries of a statements run killed mid-write (only a
	 * statements run, under this lock, writes such names) */
	{
		long swept = files_sweep(r->out_abs, "_9999-99-99_9999-99-99.pdf", 0);

		if (swept > 0)
			log_info("statements: removed %ld temporary file%s left in %s by a run that "
				 "was killed", swept, swept == 1 ? "" : "s", r->out_abs);
	}
	if ((rc = runs_start(r->db, r->e, "statements", r->to_s,
			     r->from == date_month_start(r->from) && r->to == date_month_end(r->from)
			     ? period : NULL, &r->run_id)))
		goto out;
	log_context(r->run_id, "statements");

	template_set_init(&r->tpl, template_dir());
	statement_init(&r->st);
	sbuf_init(&r->pdf, STMT_PDF_MAX);
	sbuf_init(&r->stage, STMT_STAGE_MAX);
	if ((rc = db_exec(r->db, r->e, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL)))
		goto out;
	in_tx = 1;
	if ((rc = db_exec(r->db, r->e,
			  "CREATE TEMP TABLE stmt_stage (customer text COLLATE \"C\", path text,"
			  " sha256 text, pages integer, statement_id bigint,"
			  " reused boolean NOT NULL DEFAULT false) ON COMMIT DROP", 0, NULL)) ||
	    (rc = (r->workers > 1 && !r->customer ? stream_parallel(r) : stream(r))) ||
	    (rc = record(r)))
		goto out;
	snprintf(counts, sizeof(counts),
		 "{\"statements\": %lld, \"pages\": %lld, \"reused\": %lld, \"queued\": %lld}",
		 r->made, r->pages, r->reused, r->queued);
	if ((rc = runs_done(r->db, r->e, r->run_id, counts)) ||
	    (rc = db_exec(r->db, r->e, "COMMIT", 0, NULL)))
		goto out;
	in_tx = 0;
	statements_unlock(r, &locked);
	summary(r);
	fflush(stdout);
	if (r->email)
		rc = mail_queue_and_send(r->a, r->db, r->e, r->run_id);
out:
	if (rc && in_tx) {
		struct err ignored;

		db_exec(r->db, &ignored, "ROLLBACK", 0, NULL);
		runs_failed(r->db, r->run_id, r->e->msg);
	}
	statements_unlock(r, &locked);
	template_set_free(&r->tpl);
	statement_free(&r->st);
	sbuf_free(&r->pdf);
	sbuf_free(&r->stage);
	return rc;
}

/* --customer N: a parent account in a client program. */
static int check_customer(struct stmt_run *r)
{
	enum { WHO_PARENT, WHO_PROGRAM, WHO_POINTS_TYPE };
	const char *params[1] = {r->customer};
	PGresult *res;
	int rc = 0;

	if (!(r->db = app_db(r->a, r->e)))
		return r->e->exit;
	res = db_query(r->db, r->e,
		       "SELECT c.parent, c.program, p.points_type"
		       "  FROM customers c LEFT JOIN programs p ON p.program = c.program"
		       " WHERE c.customer = $1", 1, params);
	if (!res)
		return r->e->exit;
	if (PQntuples(res) == 0)
		rc = err_set(r->e, EXIT_FAIL, "no customer \"%.200s\"", r->customer);
	else if (!PQgetisnull(res, 0, WHO_PARENT))
		rc = err_set(r->e, EXIT_FAIL, "%.100s is a child of %.100s: statements are made for %.100s",
			     r->customer, PQgetvalue(res, 0, WHO_PARENT), PQgetvalue(res, 0, WHO_PARENT));
	else if (PQgetisnull(res, 0, WHO_PROGRAM))
		rc = err_set(r->e, EXIT_FAIL, "customer %.200s is in no program: it has no statement",
			     r->customer);
	else if (strcmp(PQgetvalue(res, 0, WHO_POINTS_TYPE), "client") != 0)
		rc = err_set(r->e, EXIT_FAIL, "customer %.100s is in promotional program %.100s: "
			     "promotional programs never appear on statements", r->customer,
			     PQgetvalue(res, 0, WHO_PROGRAM));
	PQclear(res);
	return rc;
}

int statements_make(struct app *a, const struct statements_request *q, struct err *e)
{
	struct stmt_run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.e = e;
	r.from = q->from;
	r.to = q->to;
	r.customer = q->customer;
	r.out_dir = q->out_dir ? q->out_dir : a->cfg.statements_out_dir;
	r.email = q->email;
	r.company = q->company;
	r.month_end = q->month_end;
	r.workers = q->workers > 0 ? q->workers : a->cfg.workers;
	if (r.workers > 64)
		r.workers = 64;
	r.pipe_fd = -1;
	if (r.customer && (rc = check_customer(&r)))
		return rc;
	return run(&r);
}

int statements_month_end(struct app *a, date_t first, date_t last, int email, int workers)
{
	struct statements_request q = {
		.from = first, .to = last, .email = email, .company = 1, .month_end = 1,
		.workers = workers,
	};
	struct err e = {0};

	return statements_make(a, &q, &e) ? app_fail(&e) : EXIT_OK;
}
