#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int exit, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return exit ? exit : EXIT_FAIL;
	e->exit = exit ? exit : EXIT_FAIL;
	e->sqlstate[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return e->exit;
}

int err_vset_at(struct err *e, int exit, const char *path, int line, const char *fmt,
		va_list ap)
{
	char msg[sizeof(e->msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return err_set(e, exit, "%s:%d: %s", path, line, msg);
}

void err_clear(struct err *e)
{
	memset(e, 0, sizeof(*e));
}
