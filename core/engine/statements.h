/*
 * statements: making the PDF statements of a period (SPEC §9), for
 * `accrue statements` (jobs/statements.c) and the month-end close.
 */
#ifndef ACCRUE_STATEMENTS_H
#define ACCRUE_STATEMENTS_H

#include "app.h"
#include "date.h"
#include "err.h"

struct statements_request {
	date_t from, to;             /* the period, both included */
	const char *customer;        /* one parent account; NULL: every one (--all) */
	const char *out_dir;         /* NULL: [statements] out_dir */
	int email;                   /* queue and send to the customers' addresses */
	int company;                 /* print the [company] header */
	int month_end;               /* made by the month-end close */
	int workers;                 /* --all: processes making the PDFs; 0: [run] workers */
};

/* The statements of q, recorded, and emailed when q->email.  A customer
 * must be a parent account of a client program.  Prints the summary;
 * returns 0 or the exit status with e filled. */
int statements_make(struct app *a, const struct statements_request *q, struct err *e);

/* After the period first..last is closed: the statement of every parent
 * account of a client program with activity in the month or a balance, into
 * [statements] out_dir, emailed when `email` to customers with
 * send_statements and an address.  Prints its summary; returns the exit
 * status (0, or what went wrong). */
int statements_month_end(struct app *a, date_t first, date_t last, int email, int workers);

#endif
