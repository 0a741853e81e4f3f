/*
 * log: what a run tells its operator.  Plain lines on stderr, prefixed with
 * the time when stderr is not a terminal (cron, systemd journal); on a
 * terminal, a progress bar redrawn in place.
 */
#ifndef ACCRUE_LOG_H
#define ACCRUE_LOG_H

#include <stdint.h>

void log_init(const char *prog);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress of one step: a bar on a terminal, a line per 10% otherwise. */
struct progress {
	const char *what;
	int64_t total;
	int64_t done;
	int last_shown;  /* percent last shown */
	int tty;
};

void progress_start(struct progress *p, const char *what, int64_t total);
void progress_update(struct progress *p, int64_t done);
void progress_end(struct progress *p);

#endif
