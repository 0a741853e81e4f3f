#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "accrue";
static int log_tty;

void log_init(const char *prog)
{
	log_prog = prog;
	log_tty = isatty(STDERR_FILENO);
}

__attribute__((format(printf, 2, 0)))
static void log_line(const char *level, const char *fmt, va_list ap)
{
	if (!log_tty) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s %s: ", ts, log_prog);
	} else {
		fprintf(stderr, "%s: ", log_prog);
	}
	if (level)
		fprintf(stderr, "%s: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

void progress_start(struct progress *p, const char *what, int64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->last_shown = -1;
	p->tty = isatty(STDERR_FILENO);
}

void progress_update(struct progress *p, int64_t done)
{
	int pct;

	p->done = done;
	if (p->total <= 0)
		return;
	pct = (int)(done * 100 / p->total);
	if (pct == p->last_shown)
		return;
	if (p->tty) {
		int bar = pct * 30 / 100;
		fprintf(stderr, "\r%-24s [", p->what);
		for (int i = 0; i < 30; i++)
			fputc(i < bar ? '#' : ' ', stderr);
		fprintf(stderr, "] %3d%%", pct);
		fflush(stderr);
	} else if (pct / 10 != p->last_shown / 10 || p->last_shown < 0) {
		log_info("%s: %d%% (%lld of %lld)", p->what, pct,
			 (long long)done, (long long)p->total);
	}
	p->last_shown = pct;
}

void progress_end(struct progress *p)
{
	if (p->tty && p->last_shown >= 0)
		fputc('\n', stderr);
}
