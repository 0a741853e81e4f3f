/*
 * mail: sending the statement emails of the outbox (SPEC §9), for the
 * statements (core/engine/statements) and `accrue mail retry` (jobs/mail.c).
 *
 * The statement job INSERTs one mail_outbox row per (statement, recipient)
 * with status 'queued', COMMITs, then calls mail_queue_and_send.  Each
 * message is built here (core/mime, core/template) from the statements row
 * (the PDF at statements.path) and the customer's language template, and
 * goes out by [mail] transport:
 *
 *   msmtp   msmtp -C <msmtp_config> -a <msmtp_account> -- <recipient>, the
 *           message on stdin, [mail] parallel at a time.  The row is marked
 *           'sending' (attempts + 1, message_id) and committed before msmtp
 *           starts; msmtp's result then makes it 'sent', 'queued' again
 *           (temporary failure, until max_attempts) or 'failed'.
 *   outbox  <outbox_dir>/<statement id>-<safe recipient>.eml, then 'sent'.
 *
 * Exactly once: a row is never sent again once 'sent'; a row left
 * 'sending' (accrue died while msmtp ran) may or may not have gone out, so
 * it is reported on every run and resent only by
 * `mail retry --resend-interrupted` (its Message-ID is the same, so a
 * duplicate can be recognised).  With transport outbox, rewriting the same
 * file is harmless, so such rows are simply sent again.
 */
#ifndef ACCRUE_MAIL_H
#define ACCRUE_MAIL_H

#include <libpq-fe.h>

#include "app.h"
#include "err.h"
#include "locks.h"

/* Message and attachment caps. */
#define MAIL_PDF_MAX (16u << 20)
#define MAIL_MESSAGE_MAX (24u << 20)

struct mail_counts {
	long long queued;       /* to send when the run began */
	long long sent;
	long long temporary;    /* failed for now: queued again */
	long long failed;       /* failed for good (permanent, or out of attempts) */
	long long untried;      /* left queued without an attempt (server down) */
	long long interrupted;  /* left 'sending' by an earlier run */
};

enum {
	MAIL_RESEND_INTERRUPTED = 1,  /* send rows left 'sending' again */
	MAIL_REQUEUE_FAILED = 2,      /* send rows 'failed' again, attempts from 0 */
};

/*
 * Send every queued outbox row.  Must be called outside a transaction (each
 * row's status is committed before and after its message goes).  Prints a
 * summary and the exceptions on stdout.  Returns 0 when everything queued
 * was sent; 3 (e filled with a summary) when some failed for good, wait
 * queued for a retry, or were left 'sending' by an earlier run; 69 (e
 * filled) when every attempt failed temporarily (the mail server is
 * unavailable: the mail waits in the outbox); else the exit status of a
 * failure (database, configuration).  run_id is the caller's run (0: none).
 */
int mail_queue_and_send(struct app *a, PGconn *db, struct err *e, long long run_id);

/* Take the mail lock of this session, waiting for another sender to
 * finish (advisory locks stack: the same session may take it again). */
int mail_lock(PGconn *db, struct err *e);

/* The same with mail retry's options, and the counts. */
int mail_send(struct app *a, PGconn *db, struct err *e, long long run_id, int flags,
	      struct mail_counts *counts);

#endif
