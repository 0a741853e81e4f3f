/*
 * err: a small error value carried up from where a thing went wrong.
 *
 * A function that can fail takes a `struct err *` and returns non-zero after
 * filling it.  The message names the thing that is wrong, lowercase, with its
 * context (`invoices.csv:14: net: "12,50" is not an amount`).  `exit` is the
 * process exit status the failure maps to (SPEC §8), `sqlstate` keeps the
 * PostgreSQL SQLSTATE when the database said no.
 */
#ifndef ACCRUE_ERR_H
#define ACCRUE_ERR_H

#include <stdarg.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_EXCEPTIONS = 3,
	EXIT_DATAERR = 65,
	EXIT_UNAVAILABLE = 69,
	EXIT_TEMPFAIL = 75,
};

struct err {
	int exit;          /* enum exit_status */
	char sqlstate[6];  /* "" unless the database failed */
	char msg[1024];
};

int err_set(struct err *e, int exit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, the message prefixed with "PATH:LINE: " (a file being read). */
int err_vset_at(struct err *e, int exit, const char *path, int line, const char *fmt,
		va_list ap) __attribute__((format(printf, 5, 0)));
void err_clear(struct err *e);

#endif
