/*
 * adjust: manual work on the ledger (SPEC §6) — `accrue adjust add |
 * expire-invoice | reverse-expiry` and `accrue import adjustments FILE`.
 *
 * Both stage their requests in the temporary table `stage` (one row for a
 * command, one per line for a file), run the same set-based checks
 * (adjust_checks: every error of every row, nothing written), and post with
 * adjust_post_staged: ledger entries of origin manual, one GL journal per
 * program and date, and a run row of job `adjust`, in the caller's
 * transaction.
 */
#ifndef ACCRUE_ADJUST_H
#define ACCRUE_ADJUST_H

#include <libpq-fe.h>

#include "err.h"

/* units is the amount in hundredths; entry_date NULL means the business date
 * given in the setting accrue.today. */
#define ADJUST_STAGE_SQL \
	"CREATE TEMP TABLE stage (line integer, customer text COLLATE \"C\", action text," \
	" units bigint, invoice text COLLATE \"C\", invoice_date date, reference text," \
	" reason text, entry_date date) ON COMMIT DROP"

extern const char *const adjust_checks[];

int adjust_post_staged(PGconn *db, struct err *e, const char *what);

#endif
