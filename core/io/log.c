#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "accrue";
static int log_tty;
static enum log_level log_max = LOG_INFO;
static long long log_run;
static char log_step_name[48];

void log_init(const char *prog)
{
	log_prog = prog;
	log_tty = isatty(STDERR_FILENO);
}

void log_set_level(enum log_level level)
{
	log_max = level;
}

void log_context(long long run_id, const char *step)
{
	log_run = run_id;
	log_step(step);
}

void log_step(const char *step)
{
	snprintf(log_step_name, sizeof(log_step_name), "%s", step ? step : "");
}

/* A logfmt value: bare when it can be, else quoted and escaped. */
static void logfmt_value(FILE *f, const char *s)
{
	if (*s && !strpbrk(s, " =\"\\\t\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void log_text_t(enum log_level level, const char *msg, int bare, int64_t elapsed_ms);

static void log_text(enum log_level level, const char *msg, int bare)
{
	log_text_t(level, msg, bare, -1);
}

/* elapsed_ms >= 0: the milliseconds a step took, a field of its own */
static void log_text_t(enum log_level level, const char *msg, int bare, int64_t elapsed_ms)
{
	if (level > log_max && level != LOG_ERROR)
		return;
	if (!log_tty) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "ts=%s level=%s", ts, level_names[level]);
		if (log_run)
			fprintf(stderr, " run=%lld", log_run);
		if (log_step_name[0]) {
			fputs(" step=", stderr);
			logfmt_value(stderr, log_step_name);
		}
		if (elapsed_ms >= 0)
			fprintf(stderr, " elapsed=%lld.%03llds", (long long)(elapsed_ms / 1000),
				(long long)(elapsed_ms % 1000));
		fputs(" msg=", stderr);
		logfmt_value(stderr, msg);
		fputc('\n', stderr);
		return;
	}
	fprintf(stderr, "%s: ", log_prog);
	if (!bare && level != LOG_INFO)
		fprintf(stderr, "%s: ", level == LOG_WARN ? "warning" : level_names[level]);
	fputs(msg, stderr);
	fputc('\n', stderr);
}

__attribute__((format(printf, 2, 0)))
static void log_line(enum log_level level, const char *fmt, va_list ap)
{
	char msg[4096];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_text(level, msg, 0);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_WARN, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_ERROR, fmt, ap);
	va_end(ap);
}

void log_failure(const char *msg)
{
	log_text(LOG_ERROR, msg, 1);
}

/* Milliseconds on the monotonic clock: whole numbers, like every figure
 * accrue prints. */
static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void progress_start(struct progress *p, const char *what, int64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->last_shown = -1;
	p->tty = isatty(STDERR_FILENO);
	p->started_ms = now_ms();
}

void progress_update(struct progress *p, int64_t done)
{
	int pct;

	p->done = done;
	if (p->total <= 0 || log_max < LOG_INFO)
		return;
	pct = (int)(done * 100 / p->total);
	if (pct == p->last_shown)
		return;
	if (p->tty) {
		int bar = pct * 30 / 100;
		int64_t spent = now_ms() - p->started_ms;

		fprintf(stderr, "\r%-24s [", p->what);
		for (int i = 0; i < 30; i++)
			fputc(i < bar ? '#' : ' ', stderr);
		fprintf(stderr, "] %3d%%", pct);
		/* the rate so far, and the time left at that rate, in whole
		 * numbers (128-bit products: no overflow whatever the counts) */
		if (done > 0 && spent >= 500) {
			long long rate = (long long)((__int128)done * 1000 / spent);
			long long left = (long long)(((__int128)(p->total - done) * spent / done + 500) / 1000);

			fprintf(stderr, "  %8lld/s  %lld:%02lld left ", rate, left / 60, left % 60);
		}
		fflush(stderr);
	}
	p->last_shown = pct;
}

/* Without a terminal a step's progress is one line at its end (SPEC §8:
 * one log line per step), with the time it took as a field. */
void progress_end(struct progress *p)
{
	if (log_max < LOG_INFO)
		return;
	if (p->tty) {
		if (p->last_shown >= 0)
			fputc('\n', stderr);
		return;
	}
	if (p->total > 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s: %lld of %lld", p->what, (long long)p->done,
			 (long long)p->total);
		log_text_t(LOG_INFO, msg, 0, now_ms() - p->started_ms);
	}
}
