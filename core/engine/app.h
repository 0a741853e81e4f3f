/*
 * app: what every command gets — the global options, the configuration and
 * a database connection opened on first use — and the helpers commands share
 * for their own options.
 */
#ifndef ACCRUE_APP_H
#define ACCRUE_APP_H

#include <libpq-fe.h>

#include "config.h"
#include "date.h"
#include "err.h"

struct app {
	const char *conninfo;    /* --db, else $ACCRUE_DB, else libpq defaults */
	const char *config_path; /* the file read, or NULL */
	struct config cfg;
	PGconn *db;
};

/* Connect if not yet connected; NULL with e filled (exit 69). */
PGconn *app_db(struct app *a, struct err *e);

/* Print e on stderr and return its exit status. */
int app_fail(const struct err *e);

/* A usage error for `cmd`: prints the message and a pointer to --help. */
int app_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse an option's date value, or print a usage error. */
int app_date_arg(const char *cmd, const char *opt, const char *v, date_t *out);

/* Today in the configured time zone ([run] timezone). */
date_t app_today(const struct app *a);

/* A business date more than [run] max_future_days after today is refused
 * (a usage error naming both and the way out) unless allow_future: an
 * append-only ledger cannot take back years of expiries posted by a typo. */
int app_check_future(const struct app *a, const char *cmd, date_t d, int allow_future);

/* Parse --workers N (1 to 1024), or print a usage error. */
int app_workers_arg(const char *cmd, const char *v, int *out);

/* 1 when argv holds -h or --help. */
int app_wants_help(int argc, char **argv);

#endif
