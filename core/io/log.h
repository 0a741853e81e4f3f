/*
 * log: what a run tells its operator, on stderr.
 *
 * On a terminal: plain lines ("accrue: ...") and a progress bar redrawn in
 * place, with its rate and the time left.  Otherwise (cron, a systemd
 * unit, a pipe): one logfmt line per event, so that journalctl and log
 * shippers can parse it:
 *
 *   ts=2026-03-31T22:05:01Z level=info run=42 step=close elapsed=3.104s msg="daily close: 1000 of 1000"
 *
 * run and step are the context the engine sets (log_context); a value with
 * a space, '=' or '"' is quoted, '"' and '\' escaped, a newline written \n.
 * --quiet keeps errors only; --verbose adds the debug lines.
 */
#ifndef ACCRUE_LOG_H
#define ACCRUE_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(const char *prog);
/* Lines above this level are not written (default LOG_INFO). */
void log_set_level(enum log_level level);
/* The run (0: none) and step (NULL: none) the following lines belong to. */
void log_context(long long run_id, const char *step);
void log_step(const char *step);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A command's failure: "accrue: MESSAGE" on a terminal, level=error
 * otherwise; never silenced. */
void log_failure(const char *msg);

/* Progress of one step: a bar on a terminal; otherwise one line at its
 * end, with the time it took (elapsed=). */
struct progress {
	const char *what;
	int64_t total;
	int64_t done;
	int last_shown;  /* percent last shown */
	int tty;
	int64_t started_ms;  /* milliseconds (monotonic clock) */
};

void progress_start(struct progress *p, const char *what, int64_t total);
void progress_update(struct progress *p, int64_t done);
void progress_end(struct progress *p);

#endif
