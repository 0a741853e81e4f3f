/*
 * commands: the command table's entries (jobs/main.c), one file each in
 * jobs/.
 */
#ifndef ACCRUE_COMMANDS_H
#define ACCRUE_COMMANDS_H

#include "app.h"

typedef int (*command_fn)(struct app *a, int argc, char **argv);

/* The commands, one file each. */
int cmd_db(struct app *a, int argc, char **argv);
int cmd_import(struct app *a, int argc, char **argv);
int cmd_balances(struct app *a, int argc, char **argv);
int cmd_history(struct app *a, int argc, char **argv);
int cmd_daily_close(struct app *a, int argc, char **argv);
int cmd_gl(struct app *a, int argc, char **argv);
int cmd_month_end(struct app *a, int argc, char **argv);
int cmd_adjust(struct app *a, int argc, char **argv);
int cmd_mail(struct app *a, int argc, char **argv);
int cmd_statements(struct app *a, int argc, char **argv);
int cmd_verify(struct app *a, int argc, char **argv);
int cmd_reconcile(struct app *a, int argc, char **argv);
int cmd_report(struct app *a, int argc, char **argv);
int cmd_worker(struct app *a, int argc, char **argv);
int cmd_runs(struct app *a, int argc, char **argv);

#endif
