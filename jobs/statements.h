/*
 * statements: what the month-end close calls to make the month's statements
 * (jobs/statements.c; `accrue statements` is its command).
 */
#ifndef ACCRUE_STATEMENTS_H
#define ACCRUE_STATEMENTS_H

#include "app.h"

/* After the period first..last is closed: the statement of every parent
 * account of a client program with activity in the month or a balance, into
 * [statements] out_dir, emailed when `email` to customers with
 * send_statements and an address.  Prints its summary; returns the exit
 * status (0, or what went wrong). */
int statements_month_end(struct app *a, date_t first, date_t last, int email);

#endif
