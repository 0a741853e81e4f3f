/*
 * app: what every command gets (core/engine/app.h).
 */
#include "app.h"

#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#include "db.h"

PGconn *app_db(struct app *a, struct err *e)
{
	if (!a->db)
		a->db = db_connect(a->conninfo, e);
	return a->db;
}

int app_fail(const struct err *e)
{
	log_failure(e->msg);
	return e->exit ? e->exit : EXIT_FAIL;
}

int app_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "accrue %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see `accrue %s --help`)\n", cmd);
	return EXIT_USAGE;
}

int app_date_arg(const char *cmd, const char *opt, const char *v, date_t *out)
{
	int rc = date_parse(v, out);

	if (rc == DATE_OUT_OF_RANGE)
		return app_usage(cmd, "%s: %s is outside the dates accrue takes (%s)", opt, v,
				 DATE_RANGE_TEXT);
	if (rc)
		return app_usage(cmd, "%s: \"%s\" is not a date (YYYY-MM-DD)", opt, v);
	return 0;
}

date_t app_today(const struct app *a)
{
	time_t now = time(NULL);
	struct tm tm;

	if (strcmp(a->cfg.timezone, "local") != 0)
		setenv("TZ", a->cfg.timezone, 1);
	tzset();
	localtime_r(&now, &tm);
	return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int app_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") != 0 && strcmp(argv[i], "--help") != 0)
			continue;
		/* `--customer --help` gives --help as the customer: after an
		 * option that may take a value, it is left to the option parser
		 * (which prints the help for a real --help) */
		if (i > 1 && !strncmp(argv[i - 1], "--", 2) && !strchr(argv[i - 1], '=') &&
		    strcmp(argv[i - 1], "--"))
			continue;
		return 1;
	}
	return 0;
}

int app_check_future(const struct app *a, const char *cmd, date_t d, int allow_future)
{
	date_t today = app_today(a);
	char ds[DATE_FMT_SIZE], ts[DATE_FMT_SIZE];

	if (allow_future || d <= today + a->cfg.max_future_days)
		return 0;
	return app_usage(cmd, "the business date %s is %d days after today (%s); [run] "
			 "max_future_days allows %d: give --allow-future if the date is right",
			 date_format(d, ds), (int)(d - today), date_format(today, ts),
			 a->cfg.max_future_days);
}

int app_workers_arg(const char *cmd, const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 1024)
		return app_usage(cmd, "--workers: \"%s\" is not a number of workers from 1 to 1024", v);
	*out = (int)n;
	return 0;
}
