/*
 * msmtp: the other half of the mail adapter (SPEC §9) — sending a message
 * by running msmtp, never a shell, several at a time, and what msmtp's exit
 * status means.  accrue has no SMTP client of its own.
 *
 * The pool: each slot owns a message buffer the caller fills
 * (msmtp_pool_buffer), then msmtp_pool_start forks and execs argv with the
 * message on its stdin and its stdout and stderr captured (capped);
 * msmtp_pool_wait returns the next one to finish.  The parent writes every
 * message through non-blocking pipes, so no child waits on another.
 *
 * A child is killed when accrue dies (PR_SET_PDEATHSIG): msmtp sends
 * whatever reached its stdin before EOF, so without this a killed accrue
 * could leave it sending half a message.
 */
#ifndef ACCRUE_MSMTP_H
#define ACCRUE_MSMTP_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "sbuf.h"

#define MSMTP_MAX_PARALLEL 64   /* the [mail] parallel cap of core/config */
#define MSMTP_ERR_MAX 2048      /* bytes of msmtp's output kept */
#define MSMTP_DESCRIBE_MAX 1024

enum msmtp_outcome {
	MSMTP_SENT,        /* exit 0 */
	MSMTP_TEMPORARY,   /* try again later */
	MSMTP_PERMANENT,   /* trying again will not help */
};

/*
 * What a finished msmtp means.  The SMTP server's own reply, when msmtp
 * quotes one ("server message: 451 ..."), decides first: 4xx temporary, 5xx
 * permanent (msmtp exits 69 for both when the server refuses the data).
 * Else the exit status (sysexits.h): 75 EX_TEMPFAIL (no connection), 69
 * EX_UNAVAILABLE, 74 EX_IOERR, 71 EX_OSERR and 68 EX_NOHOST (a name that
 * did not resolve: often the resolver, not the name) are temporary, and so
 * is a msmtp killed by a signal; every other status — 65 EX_DATAERR, 77
 * EX_NOPERM, 78 EX_CONFIG, ... — is permanent.
 */
enum msmtp_outcome msmtp_classify(int wstatus, const char *output);

/* msmtp's output as one line for the outbox's last_error: "msmtp: " prefixes
 * and the closing "could not send mail (...)" dropped, lines joined by "; ",
 * the exit status after it ("server message: 451 try later [exit 69]"). */
void msmtp_describe(int wstatus, const char *output, char *out, size_t n);

struct msmtp_slot {
	pid_t pid;            /* 0: free */
	int in_fd, out_fd;    /* -1 once closed */
	size_t off;           /* bytes of msg written */
	long long id;         /* the caller's */
	struct sbuf msg;
	size_t out_len;
	char out[MSMTP_ERR_MAX];
};

struct msmtp_pool {
	int size, running, next;
	struct msmtp_slot slot[MSMTP_MAX_PARALLEL];
	struct sigaction old_pipe;
};

struct msmtp_done {
	long long id;
	int wstatus;
	enum msmtp_outcome outcome;
	char error[MSMTP_DESCRIBE_MAX];  /* msmtp_describe, "" when sent */
};

/* size processes at most (1..MSMTP_MAX_PARALLEL), messages of at most
 * msg_max bytes.  SIGPIPE is ignored while the pool lives. */
void msmtp_pool_init(struct msmtp_pool *p, int size, size_t msg_max);
/* Waits for every child still running (their messages are written to the
 * end first: a message is never cut short), then frees the buffers. */
void msmtp_pool_free(struct msmtp_pool *p);

/* The buffer of a free slot, emptied, for the next message; NULL when every
 * slot is busy (msmtp_pool_wait first). */
struct sbuf *msmtp_pool_buffer(struct msmtp_pool *p);

/* Run argv (argv[0] a path, no shell) on the message in the buffer last
 * handed out.  0, or non-zero with e filled (the slot is free again). */
int msmtp_pool_start(struct msmtp_pool *p, char *const argv[], long long id, struct err *e);

/* Wait for the next child to finish: 1 with *d filled, 0 when none runs,
 * -1 on a failure of the pool itself (e filled). */
int msmtp_pool_wait(struct msmtp_pool *p, struct msmtp_done *d, struct err *e);

#endif
