/*
 * finance_report: finance's month report (`accrue report`, and the
 * month-end beside the statements): its figures read from the database in
 * one read-only snapshot (core/rules/month_report), drawn by
 * core/io/report_pdf, written whole or not at all.
 */
#ifndef ACCRUE_FINANCE_REPORT_H
#define ACCRUE_FINANCE_REPORT_H

#include <libpq-fe.h>

#include "app.h"
#include "date.h"
#include "err.h"

/* The report of the month whose first day is `first` into path (NULL:
 * [statements] out_dir/report_YYYY-MM.pdf); the path written is copied to
 * written (FILES_PATH_MAX bytes) when not NULL.  Outside a transaction.
 * 0, or the exit status with e filled. */
int month_report_write(struct app *a, PGconn *db, date_t first, const char *path,
		       char *written, struct err *e);

#endif
