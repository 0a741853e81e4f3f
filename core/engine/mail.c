/*
 * mail: the sending of the statement emails of the outbox (SPEC §9).
 * See mail.h for the outbox's states and the exactly-once rule.
 *
 * The queued rows stream from PostgreSQL a chunk at a time (with their
 * statement and customer); each message is built in the slot of the msmtp
 * pool that will send it, so memory holds `parallel` messages at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "db.h"
#include "digest.h"
#include "files.h"
#include "log.h"
#include "mail.h"
#include "mime.h"
#include "msmtp.h"
#include "runs.h"
#include "template.h"
#include "text.h"

#define MAIL_CHUNK 200          /* queued rows read at a time */
#define MAIL_LIST_MAX 100       /* exceptions listed one by one */
#define MAIL_ERROR_MAX 1000     /* bytes of last_error */
#define MAIL_BODY_MAX (64u << 10) /* the text part, placeholders filled */
#define MAIL_ACCOUNT_MAX 128  /* bytes of an account number, NUL included */
#define MAIL_STR(x) #x
#define MAIL_XSTR(x) MAIL_STR(x)

/* The queued rows of a chunk, with what their message needs.  Every
 * statement of a row names its account (o.account, the statement's
 * customer) beside its mail_id: the key the outbox is distributed by past
 * one server (README, Beyond one database server). */
static const char chunk_sql[] =
	"SELECT o.mail_id, o.statement_id, o.recipient, o.attempts, s.path,"
	"       s.date_from::text, s.date_to::text, s.customer, c.name, c.language,"
	"       COALESCE(p.name, c.program, ''), s.sha256, o.account"
	"  FROM mail_outbox o"
	"  JOIN statements s ON s.customer = o.account AND s.statement_id = o.statement_id"
	"  JOIN customers c ON c.customer = s.customer"
	"  LEFT JOIN programs p ON p.program = c.program"
	" WHERE o.status = 'queued' AND o.mail_id > $1::bigint"
	" ORDER BY o.mail_id LIMIT " MAIL_XSTR(MAIL_CHUNK);

enum { C_MAIL, C_STATEMENT, C_RECIPIENT, C_ATTEMPTS, C_PATH, C_FROM, C_TO, C_CUSTOMER,
       C_NAME, C_LANGUAGE, C_PROGRAM, C_SHA256, C_ACCOUNT };
/* The columns of a temporary failure's UPDATE ... RETURNING. */
enum { RET_STATUS, RET_ATTEMPTS };

struct in_flight {
	long long mail_id;
	char account[MAIL_ACCOUNT_MAX];
	char statement_id[24];
	char recipient[256];
};

struct failure {
	char statement_id[24];
	char mail_id[24];
	char recipient[256];
	char error[300];
};

struct mail_run {
	struct app *a;
	PGconn *db;
	struct err *e;
	struct mail_counts *c;
	char host[256];
	char max_attempts[16];
	char *argv[8];
	struct msmtp_pool pool;
	struct in_flight flight[MSMTP_MAX_PARALLEL];
	struct template_set tpl;    /* the subject and body per language */
	struct sbuf pdf, subject, body, scratch;
	long long attempted, perm, gave_up;
	int streak, streak_max;     /* temporary failures in a row, and the cut-off */
	int stopped;                /* the cut-off was reached */
	char last_temp[MSMTP_DESCRIBE_MAX];
	struct failure failures[MAIL_LIST_MAX];
	int nfailures;
	struct progress pr;
};

static void add_failure(struct mail_run *m, const char *statement_id, long long mail_id,
			const char *recipient, const char *error)
{
	struct failure *f;

	if (m->nfailures >= MAIL_LIST_MAX)
		return;
	f = &m->failures[m->nfailures++];
	snprintf(f->statement_id, sizeof(f->statement_id), "%s", statement_id);
	snprintf(f->mail_id, sizeof(f->mail_id), "%lld", mail_id);
	snprintf(f->recipient, sizeof(f->recipient), "%s", recipient);
	snprintf(f->error, sizeof(f->error), "%s", error);
}

/* Read the statement PDF into m->pdf (capped). */
static int read_pdf(struct mail_run *m, const char *path, char *why, size_t n)
{
	struct stat st;
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	sbuf_reset(&m->pdf);
	if (fd < 0) {
		snprintf(why, n, "statement file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)MAIL_PDF_MAX) {
		snprintf(why, n, "statement file %s: larger than %u bytes", path, MAIL_PDF_MAX);
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || sbuf_add(&m->pdf, buf, (size_t)r)) {
			snprintf(why, n, "statement file %s: %s", path,
				 r < 0 ? strerror(errno) : "too large");
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* The message of row i into out, its Message-ID into mid.  0; -1 with why
 * filled: this message cannot be built and fails for good; -2 with m->e
 * filled: nothing can be (a bad template file). */
static int build(struct mail_run *m, PGresult *r, int i, struct sbuf *out, char *mid,
		 size_t mid_n, char *why, size_t why_n)
{
	const struct config *cfg = &m->a->cfg;
	const char *recipient = PQgetvalue(r, i, C_RECIPIENT), *path = PQgetvalue(r, i, C_PATH);
	const char *slash = strrchr(path, '/');
	const struct template *t;
	struct template_mail v;
	struct mime_mail mm;
	struct err e = {0};
	char date[MIME_DATE_MAX];

	if (mime_message_id(mid, mid_n, atoll(PQgetvalue(r, i, C_STATEMENT)), recipient,
			    cfg->mail_from, m->host)) {
		snprintf(why, why_n, "cannot make a Message-ID");
		return -1;
	}
	if (!text_email_valid(recipient)) {
		snprintf(why, why_n, "\"%s\" is not an e-mail address", recipient);
		return -1;
	}
	/* A bad template is no fault of this message: the run stops, the
	 * mail stays queued. */
	if (!(t = template_set_get(&m->tpl, PQgetvalue(r, i, C_LANGUAGE), m->e)))
		return -2;
	memset(&v, 0, sizeof(v));
	v.customer_name = PQgetvalue(r, i, C_NAME);
	v.customer = PQgetvalue(r, i, C_CUSTOMER);
	v.program = PQgetvalue(r, i, C_PROGRAM);
	v.company = cfg->company_name;
	if (date_parse(PQgetvalue(r, i, C_FROM), &v.from) ||
	    date_parse(PQgetvalue(r, i, C_TO), &v.to)) {
		snprintf(why, why_n, "statement dates %s..%s", PQgetvalue(r, i, C_FROM),
			 PQgetvalue(r, i, C_TO));
		return -1;
	}
	sbuf_reset(&m->subject);
	sbuf_reset(&m->body);
	if (template_mail(t, &v, &m->subject, &m->body)) {
		snprintf(why, why_n, "template: the subject or body is too long");
		return -1;
	}
	if (read_pdf(m, path, why, why_n))
		return -1;
	/* The file attached is the one the statement recorded, not one written
	 * over it since. */
	{
		char sha[DIGEST_HEX_SIZE];

		if (digest_sha256_hex(m->pdf.p ? m->pdf.p : "", m->pdf.len, sha) ||
		    strcmp(sha, PQgetvalue(r, i, C_SHA256)) != 0) {
			snprintf(why, why_n, "statement file %s: not the file the statement recorded "
				 "(its SHA-256 differs): make the statement again", path);
			return -1;
		}
	}
	mime_date(time(NULL), date);
	memset(&mm, 0, sizeof(mm));
	mm.from = cfg->mail_from;
	mm.to_name = v.customer_name;
	mm.to_addr = recipient;
	mm.subject = sbuf_str(&m->subject);
	mm.date = date;
	mm.message_id = mid;
	mm.body = sbuf_str(&m->body);
	mm.pdf = m->pdf.p ? m->pdf.p : "";
	mm.pdf_len = m->pdf.len;
	mm.filename = slash ? slash + 1 : path;
	sbuf_reset(out);
	if (mime_build(&mm, out, &e)) {
		snprintf(why, why_n, "message: %s", e.msg);
		return -1;
	}
	return 0;
}

/* A row whose message could not be built: failed for good, not sent. */
static int fail_unbuilt(struct mail_run *m, PGresult *r, int i, const char *why)
{
	const char *p[3] = {PQgetvalue(r, i, C_MAIL), why, PQgetvalue(r, i, C_ACCOUNT)};
	long long mail_id = atoll(p[0]);

	m->attempted++;
	m->perm++;
	m->c->failed++;
	add_failure(m, PQgetvalue(r, i, C_STATEMENT), mail_id, PQgetvalue(r, i, C_RECIPIENT), why);
	progress_update(&m->pr, m->attempted);
	return db_exec(m->db, m->e,
		       "UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1,"
		       "       last_error = $2"
		       " WHERE account = $3 AND mail_id = $1::bigint AND status = 'queued'",
		       3, p);
}

/* Record what msmtp said about one message. */
static int record(struct mail_run *m, const struct msmtp_done *d)
{
	struct in_flight *f = NULL;
	char id[24];
	/* each UPDATE below takes the first two, three or four */
	const char *p[4] = {NULL, id, d->error, m->max_attempts};
	PGresult *r;
	int rc = 0;

	for (int i = 0; i < MSMTP_MAX_PARALLEL; i++)
		if (m->flight[i].mail_id == d->id)
			f = &m->flight[i];
	if (!f)  /* every message started is in flight until it is recorded */
		return err_set(m->e, EXIT_FAIL, "mail: internal: mail %lld finished but was not "
			       "in flight", d->id);
	p[0] = f->account;
	snprintf(id, sizeof(id), "%lld", d->id);
	switch (d->outcome) {
	case MSMTP_SENT:
		m->c->sent++;
		m->streak = 0;
		rc = db_exec(m->db, m->e,
			     "UPDATE mail_outbox SET status = 'sent', sent_at = now(), last_error = NULL"
			     " WHERE account = $1 AND mail_id = $2::bigint AND status = 'sending'", 2, p);
		break;
	case MSMTP_TEMPORARY:
		snprintf(m->last_temp, sizeof(m->last_temp), "%s", d->error);
		if (++m->streak >= m->streak_max)
			m->stopped = 1;
		r = db_query(m->db, m->e,
			     "UPDATE mail_outbox SET last_error = left($3, 1000),"
			     "       status = CASE WHEN attempts >= $4::integer THEN 'failed' ELSE 'queued' END"
			     " WHERE account = $1 AND mail_id = $2::bigint AND status = 'sending'"
			     " RETURNING status, attempts", 4, p);
		if (!r) {
			rc = m->e->exit;
			break;
		}
		if (PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, RET_STATUS), "failed")) {
			char why[MSMTP_DESCRIBE_MAX + 64];

			snprintf(why, sizeof(why), "gave up after %s attempts: %s",
				 PQgetvalue(r, 0, RET_ATTEMPTS), d->error);
			m->gave_up++;
			m->c->failed++;
			add_failure(m, f->statement_id, d->id, f->recipient, why);
		} else {
			m->c->temporary++;
		}
		PQclear(r);
		break;
	case MSMTP_PERMANENT:
		m->streak = 0;
		m->perm++;
		m->c->failed++;
		add_failure(m, f->statement_id, d->id, f->recipient, d->error);
		rc = db_exec(m->db, m->e,
			     "UPDATE mail_outbox SET status = 'failed', last_error = left($3, 1000)"
			     " WHERE account = $1 AND mail_id = $2::bigint AND status = 'sending'", 3, p);
		break;
	}
	f->mail_id = 0;
	progress_update(&m->pr, m->attempted);
	return rc;
}

/* Wait for one msmtp and record it. */
static int reap_one(struct mail_run *m)
{
	struct msmtp_done d;
	int w = msmtp_pool_wait(&m->pool, &d, m->e);

	if (w < 0)
		return m->e->exit;
	return w == 1 ? record(m, &d) : 0;
}

/* One chunk through msmtp. */
static int send_chunk_msmtp(struct mail_run *m, PGresult *r)
{
	int n = PQntuples(r), rc = 0;

	for (int i = 0; i < n && !rc && !m->stopped; i++) {
		char mid[300], why[MAIL_ERROR_MAX];
		const char *p[3] = {PQgetvalue(r, i, C_MAIL), mid, PQgetvalue(r, i, C_ACCOUNT)};
		struct sbuf *buf;
		struct in_flight *f = NULL;
		PGresult *claim;

		while (!(buf = msmtp_pool_buffer(&m->pool)))
			if ((rc = reap_one(m)))
				return rc;
		if (m->stopped)
			break;
		if ((rc = build(m, r, i, buf, mid, sizeof(mid), why, sizeof(why)))) {
			if (rc == -2)
				return m->e->exit;
			rc = fail_unbuilt(m, r, i, why);
			continue;
		}
		/* Committed before msmtp starts: a crash from here on leaves the
		 * row 'sending', which is never resent by itself. */
		claim = db_query(m->db, m->e,
				 "UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1,"
				 "       message_id = $2"
				 " WHERE account = $3 AND mail_id = $1::bigint AND status = 'queued'"
				 " RETURNING attempts", 3, p);
		if (!claim)
			return m->e->exit;
		if (PQntuples(claim) != 1) {  /* no longer queued */
			PQclear(claim);
			continue;
		}
		PQclear(claim);
		for (int k = 0; k < MSMTP_MAX_PARALLEL && !f; k++)
			if (!m->flight[k].mail_id)
				f = &m->flight[k];
		f->mail_id = atoll(p[0]);
		snprintf(f->account, sizeof(f->account), "%s", PQgetvalue(r, i, C_ACCOUNT));
		snprintf(f->statement_id, sizeof(f->statement_id), "%s", PQgetvalue(r, i, C_STATEMENT));
		snprintf(f->recipient, sizeof(f->recipient), "%s", PQgetvalue(r, i, C_RECIPIENT));
		m->argv[6] = f->recipient;
		m->attempted++;
		if (msmtp_pool_start(&m->pool, m->argv, f->mail_id, m->e)) {
			/* Not started: the row goes back as it was. */
			struct err ignored;
			const char *back[2] = {p[2], p[0]};

			db_exec(m->db, &ignored,
				"UPDATE mail_outbox SET status = 'queued', attempts = attempts - 1"
				" WHERE account = $1 AND mail_id = $2::bigint AND status = 'sending'",
				2, back);
			f->mail_id = 0;
			return m->e->exit;
		}
	}
	return rc;
}

/* Write out to dir/name whole or not at all (core/io/files). */
static int write_eml(const char *dir, const char *name, const struct sbuf *out, char *why,
		     size_t why_n)
{
	char path[CONFIG_STR + 300], failed[FILES_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(why, why_n, "%s/%s: path too long", dir, name);
		return -1;
	}
	if (files_write_atomic(path, out->p, out->len, failed)) {
		snprintf(why, why_n, "%s: %s", failed, strerror(errno));
		return -1;
	}
	return 0;
}

/* v as an element of a text[] literal, after a comma unless first: quoted,
 * with its quotes and backslashes escaped. */
static int array_add(struct sbuf *b, int first, const char *v)
{
	if ((!first && sbuf_addc(b, ',')) || sbuf_addc(b, '"'))
		return -1;
	for (; *v; v++)
		if (((*v == '"' || *v == '\\') && sbuf_addc(b, '\\')) || sbuf_addc(b, *v))
			return -1;
	return sbuf_addc(b, '"');
}

/* One chunk into .eml files; the rows written are marked sent together. */
static int send_chunk_outbox(struct mail_run *m, PGresult *r)
{
	const struct config *cfg = &m->a->cfg;
	struct sbuf ids, mids, accounts;
	int n = PQntuples(r), rc = 0, written = 0;

	sbuf_init(&ids, (size_t)MAIL_CHUNK * 24 + 16);
	sbuf_init(&mids, (size_t)MAIL_CHUNK * 310 + 16);
	sbuf_init(&accounts, (size_t)MAIL_CHUNK * (2 * MAIL_ACCOUNT_MAX + 3) + 16);
	if (sbuf_addc(&ids, '{') || sbuf_addc(&mids, '{') || sbuf_addc(&accounts, '{'))
		rc = err_set(m->e, EXIT_FAIL, "out of memory");
	for (int i = 0; i < n && !rc; i++) {
		char mid[300], why[MAIL_ERROR_MAX], safe[200], name[260];

		int built = build(m, r, i, &m->scratch, mid, sizeof(mid), why, sizeof(why));

		if (built == -2) {
			rc = m->e->exit;
			break;
		}
		if (built ||
		    text_safe_filename(PQgetvalue(r, i, C_RECIPIENT), safe, sizeof(safe)) ||
		    (snprintf(name, sizeof(name), "%s-%s.eml", PQgetvalue(r, i, C_STATEMENT), safe),
		     write_eml(cfg->outbox_dir, name, &m->scratch, why, sizeof(why)))) {
			rc = fail_unbuilt(m, r, i, why);
			continue;
		}
		m->attempted++;
		if (sbuf_addf(&ids, "%s%s", written ? "," : "", PQgetvalue(r, i, C_MAIL)) ||
		    sbuf_addf(&mids, "%s\"%s\"", written ? "," : "", mid) ||
		    array_add(&accounts, !written, PQgetvalue(r, i, C_ACCOUNT))) {
			rc = err_set(m->e, EXIT_FAIL, "mail: chunk too large");
			break;
		}
		written++;
		progress_update(&m->pr, m->attempted);
	}
	if (!rc && (sbuf_addc(&ids, '}') || sbuf_addc(&mids, '}') || sbuf_addc(&accounts, '}')))
		rc = err_set(m->e, EXIT_FAIL, "mail: chunk too large");
	if (!rc && written) {
		const char *p[3] = {sbuf_str(&ids), sbuf_str(&mids), sbuf_str(&accounts)};
		PGresult *u = db_query(m->db, m->e,
				       "UPDATE mail_outbox o SET status = 'sent', sent_at = now(),"
				       "       attempts = o.attempts + 1, message_id = u.mid, last_error = NULL"
				       "  FROM unnest($1::bigint[], $2::text[], $3::text[]) u(id, mid, account)"
				       " WHERE o.account = u.account AND o.mail_id = u.id"
				       "   AND o.status = 'queued'", 3, p);
		if (!u)
			rc = m->e->exit;
		else {
			m->c->sent += db_affected(u);
			PQclear(u);
		}
	}
	sbuf_free(&ids);
	sbuf_free(&mids);
	sbuf_free(&accounts);
	return rc;
}

/* Rows left 'sending' by a run that stopped: listed, counted. */
static int report_interrupted(struct mail_run *m)
{
	enum { I_MAIL, I_STATEMENT, I_RECIPIENT, I_MESSAGE_ID, I_COUNT };
	PGresult *r = db_query(m->db, m->e,
			       "SELECT mail_id, statement_id, recipient, COALESCE(message_id, ''),"
			       "       count(*) OVER ()"
			       "  FROM mail_outbox WHERE status = 'sending' ORDER BY mail_id LIMIT 100",
			       0, NULL);
	int n;

	if (!r)
		return m->e->exit;
	n = PQntuples(r);
	m->c->interrupted = n ? atoll(PQgetvalue(r, 0, I_COUNT)) : 0;
	for (int i = 0; i < n; i++)
		printf("mail: interrupted: statement %s to %s (mail %s, %s): a run stopped while "
		       "msmtp sent it, so it may or may not have gone out\n",
		       PQgetvalue(r, i, I_STATEMENT), PQgetvalue(r, i, I_RECIPIENT),
		       PQgetvalue(r, i, I_MAIL), PQgetvalue(r, i, I_MESSAGE_ID));
	if (m->c->interrupted > n)
		printf("mail: interrupted: ... and %lld more\n", m->c->interrupted - n);
	if (m->c->interrupted)
		printf("mail: check the mail server's log for these Message-IDs; `accrue mail retry "
		       "--resend-interrupted` sends them again\n");
	PQclear(r);
	return 0;
}

/* The rows still queued after the run, listed. */
static int report_queued(struct mail_run *m, long long *left)
{
	enum { Q_MAIL, Q_STATEMENT, Q_RECIPIENT, Q_ATTEMPTS, Q_ERROR, Q_COUNT };
	PGresult *r = db_query(m->db, m->e,
			       "SELECT mail_id, statement_id, recipient, attempts,"
			       "       COALESCE(last_error, 'not tried yet'), count(*) OVER ()"
			       "  FROM mail_outbox WHERE status = 'queued' ORDER BY mail_id LIMIT 100",
			       0, NULL);
	int n;

	if (!r)
		return m->e->exit;
	n = PQntuples(r);
	*left = n ? atoll(PQgetvalue(r, 0, Q_COUNT)) : 0;
	for (int i = 0; i < n; i++)
		printf("mail: queued: statement %s to %s (mail %s, %s of %d attempts): %s\n",
		       PQgetvalue(r, i, Q_STATEMENT), PQgetvalue(r, i, Q_RECIPIENT),
		       PQgetvalue(r, i, Q_MAIL), PQgetvalue(r, i, Q_ATTEMPTS), m->a->cfg.max_attempts,
		       PQgetvalue(r, i, Q_ERROR));
	if (*left > n)
		printf("mail: queued: ... and %lld more\n", *left - n);
	PQclear(r);
	return 0;
}

/* The mail lock of this session (taken again by the same session: advisory
 * locks stack), waiting for another sender to finish. */
int mail_lock(PGconn *db, struct err *e)
{
	const char *lock[] = {LOCK_MAIL};
	int got, rc;

	if ((rc = db_try_lock(db, e, LOCK_MAIL, 0, &got)) || got)
		return rc;
	log_info("mail: another process is sending mail; waiting for it to finish");
	return db_exec(db, e, "SELECT pg_advisory_lock($1::bigint)", 1, lock);
}

static void mail_unlock(PGconn *db)
{
	const char *lock[] = {LOCK_MAIL};
	struct err ignored;

	if (PQstatus(db) == CONNECTION_OK)
		db_exec(db, &ignored, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
}

static int send_all(struct mail_run *m, int flags)
{
	const struct config *cfg = &m->a->cfg;
	PGresult *r;
	long long last = 0;
	int rc = 0;

	if (flags & MAIL_REQUEUE_FAILED) {
		r = db_query(m->db, m->e,
			     "UPDATE mail_outbox SET status = 'queued', attempts = 0"
			     " WHERE status = 'failed'", 0, NULL);
		if (!r)
			return m->e->exit;
		if (db_affected(r))
			printf("mail: %lld failed messages queued again\n", db_affected(r));
		PQclear(r);
	}
	/* With .eml files, writing the same file again is harmless. */
	if ((flags & MAIL_RESEND_INTERRUPTED) || cfg->transport == MAIL_OUTBOX) {
		r = db_query(m->db, m->e,
			     "UPDATE mail_outbox SET status = 'queued' WHERE status = 'sending'", 0, NULL);
		if (!r)
			return m->e->exit;
		if (db_affected(r))
			printf("mail: %lld interrupted messages queued again\n", db_affected(r));
		PQclear(r);
	}
	if ((rc = report_interrupted(m)))
		return rc;
	r = db_query(m->db, m->e, "SELECT count(*) FROM mail_outbox WHERE status = 'queued'", 0,
		     NULL);
	if (!r)
		return m->e->exit;
	m->c->queued = db_value(r) ? atoll(db_value(r)) : 0;
	PQclear(r);
	if (!m->c->queued)
		return 0;
	if (cfg->transport == MAIL_MSMTP)
		printf("mail: %lld to send through msmtp (account %s, %d at a time)\n",
		       m->c->queued, cfg->msmtp_account, m->pool.size);
	else
		printf("mail: %lld to write to %s\n", m->c->queued, cfg->outbox_dir);
	progress_start(&m->pr, "mail", m->c->queued);
	while (!rc && !m->stopped) {
		char lastbuf[24];
		const char *p[1] = {lastbuf};
		int n;

		snprintf(lastbuf, sizeof(lastbuf), "%lld", last);
		if (!(r = db_query(m->db, m->e, chunk_sql, 1, p)))
			return m->e->exit;
		n = PQntuples(r);
		if (n == 0) {
			PQclear(r);
			break;
		}
		last = atoll(PQgetvalue(r, n - 1, C_MAIL));
		rc = cfg->transport == MAIL_MSMTP ? send_chunk_msmtp(m, r) : send_chunk_outbox(m, r);
		PQclear(r);
	}
	while (!rc && m->pool.running)
		rc = reap_one(m);
	progress_end(&m->pr);
	return rc;
}

int mail_send(struct app *a, PGconn *db, struct err *e, long long run_id, int flags,
	      struct mail_counts *counts)
{
	const struct config *cfg = &a->cfg;
	struct mail_run *m;
	long long left = 0;
	char dir[FILES_PATH_MAX];
	int rc, lock_rc;

	memset(counts, 0, sizeof(*counts));
	if (PQtransactionStatus(db) != PQTRANS_IDLE)
		return err_set(e, EXIT_FAIL, "mail: called inside a transaction: commit the outbox "
			       "rows first (each message's status is committed as it goes)");
	if (cfg->transport == MAIL_MSMTP) {
		if (access(cfg->msmtp, X_OK))
			return err_set(e, EXIT_FAIL, "[mail] msmtp: %s: cannot run it: %s",
				       cfg->msmtp, strerror(errno));
		if (access(cfg->msmtp_config, R_OK))
			return err_set(e, EXIT_FAIL, "[mail] msmtp_config: %s: %s",
				       cfg->msmtp_config, strerror(errno));
	} else if (files_mkdir_p(cfg->outbox_dir, dir)) {
		return err_set(e, EXIT_FAIL, "[mail] outbox_dir: cannot make %s: %s",
			       dir, strerror(errno));
	}
	if (!(m = calloc(1, sizeof(*m))))
		return err_set(e, EXIT_FAIL, "mail: out of memory");
	m->a = a;
	m->db = db;
	m->e = e;
	m->c = counts;
	template_set_init(&m->tpl, template_dir());
	if (gethostname(m->host, sizeof(m->host) - 1))
		m->host[0] = '\0';
	snprintf(m->max_attempts, sizeof(m->max_attempts), "%d", cfg->max_attempts);
	m->argv[0] = (char *)cfg->msmtp;
	m->argv[1] = "-C";
	m->argv[2] = (char *)cfg->msmtp_config;
	m->argv[3] = "-a";
	m->argv[4] = (char *)cfg->msmtp_account;
	m->argv[5] = "--";   /* the recipient is never an option */
	m->argv[6] = NULL;
	m->argv[7] = NULL;
	msmtp_pool_init(&m->pool, cfg->parallel, MAIL_MESSAGE_MAX);
	/* Temporary failures in a row before the run stops trying: the server
	 * is down, and every further message would wait for its timeout. */
	m->streak_max = 2 * m->pool.size < 10 ? 10 : 2 * m->pool.size;
	sbuf_init(&m->pdf, MAIL_PDF_MAX);
	sbuf_init(&m->subject, MIME_MAX_SUBJECT + 100);
	sbuf_init(&m->body, MAIL_BODY_MAX);
	sbuf_init(&m->scratch, MAIL_MESSAGE_MAX);

	(void)run_id;  /* the caller's run: its row is the caller's to keep */
	log_step("mail");
	rc = lock_rc = mail_lock(db, e);
	if (!rc && m->a->cfg.transport == MAIL_OUTBOX) {
		/* the temporaries of a sender killed mid-write (only a sender,
		 * under this lock, writes .eml files) */
		long swept = files_sweep(m->a->cfg.outbox_dir, ".eml", 0);

		if (swept > 0)
			log_info("mail: removed %ld temporary file%s left in %s by a run that was "
				 "killed", swept, swept == 1 ? "" : "s", m->a->cfg.outbox_dir);
	}
	if (!rc)
		rc = send_all(m, flags);
	/* Messages under way are written to the end and waited for. */
	msmtp_pool_free(&m->pool);
	/* The exceptions (failed, then still queued), then the summary. */
	for (int i = 0; i < m->nfailures; i++)
		printf("mail: failed: statement %s to %s (mail %s): %s\n",
		       m->failures[i].statement_id, m->failures[i].recipient,
		       m->failures[i].mail_id, m->failures[i].error);
	if (counts->failed > m->nfailures)
		printf("mail: failed: ... and %lld more\n", counts->failed - m->nfailures);
	if (!rc)
		rc = report_queued(m, &left);
	if (!rc) {
		counts->untried = m->c->queued - m->attempted;
		if (counts->untried < 0)
			counts->untried = 0;
		if (counts->queued || counts->interrupted)
			printf("mail: %lld sent, %lld failed, %lld left queued%s%s\n", counts->sent,
			       counts->failed, left, m->stopped ? " (stopped trying: the mail server "
			       "failed every message in a row)" : "",
			       counts->interrupted ? ", some interrupted (listed above)" : "");
		else
			printf("mail: nothing to send\n");
	}
	if (lock_rc == 0)
		mail_unlock(db);
	if (!rc) {
		if (counts->sent == 0 && m->perm == 0 && counts->temporary + m->gave_up > 0)
			rc = err_set(e, EXIT_UNAVAILABLE,
				     "mail server unavailable: every attempt failed for now (%s); "
				     "%lld messages wait in the outbox for the next run or "
				     "`accrue mail retry`, %lld ran out of attempts", m->last_temp,
				     left, m->gave_up);
		else if (counts->failed || left || counts->interrupted)
			rc = err_set(e, EXIT_EXCEPTIONS,
				     "mail: %lld failed, %lld wait for a retry, %lld interrupted "
				     "(listed on stdout)", counts->failed, left, counts->interrupted);
	}
	sbuf_free(&m->pdf);
	sbuf_free(&m->subject);
	sbuf_free(&m->body);
	sbuf_free(&m->scratch);
	template_set_free(&m->tpl);
	free(m);
	return rc;
}

int mail_queue_and_send(struct app *a, PGconn *db, struct err *e, long long run_id)
{
	struct mail_counts c;

	return mail_send(a, db, e, run_id, 0, &c);
}
