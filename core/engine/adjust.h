/*
 * adjust: manual work on the ledger (SPEC §6) — for `accrue adjust add |
 * expire-invoice | reverse-expiry` (jobs/adjust.c) and `accrue import
 * adjustments FILE`.
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

/* A file imported again: rows identical to a manual entry already posted
 * (same account, action, document, date, amount and reason) are taken out
 * of the stage and counted as unchanged (in adjust_unchanged). */
#define ADJUST_DEDUPE_SQL \
	"CREATE TEMP TABLE adjust_unchanged ON COMMIT DROP AS" \
	" WITH gone AS (" \
	"  DELETE FROM stage s USING customers c" \
	"   WHERE c.customer = s.customer AND s.entry_date IS NOT NULL" \
	"     AND EXISTS (SELECT 1 FROM ledger l" \
	"                  WHERE l.origin = 'manual' AND l.account = COALESCE(c.parent, c.customer)" \
	"                    AND l.entry_date = s.entry_date AND l.note = s.reason" \
	"                    AND ((s.action = 'add' AND l.kind = 'adjust'" \
	"                          AND l.document = COALESCE(NULLIF(s.reference, ''), 'MANUALADJ')" \
	"                          AND l.usable_units = s.units)" \
	"                      OR (s.action = 'expire_invoice' AND l.kind = 'expire'" \
	"                          AND l.document = manual_expiry_document(s.invoice))" \
	"                      OR (s.action = 'reverse_expiry' AND l.kind = 'reverse_expiry'" \
	"                          AND l.document = expiry_reversal_document(s.invoice))))" \
	"  RETURNING 1)" \
	" SELECT count(*) AS n FROM gone"

/* The set-based checks of the staged rows, NULL-terminated; each returns
 * the rows in error, with these columns. */
extern const char *const adjust_checks[];
enum { CHK_LINE, CHK_COLUMN, CHK_MESSAGE };

int adjust_post_staged(PGconn *db, struct err *e, const char *what);

#endif
