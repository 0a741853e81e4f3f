/*
 * report_pdf: finance's month report (core/rules/month_report) drawn as a
 * PDF with libharu: A4 portrait, built-in Helvetica (text converted to
 * WinAnsi; a character it lacks prints as '?').
 *
 * Page 1: the liability per program at the start and the end of the month
 * and the movements between (a table, money and units), the movements of
 * all programs as a waterfall (opening, earned, expired, redeemed,
 * adjusted, closing), and the last twelve months of earned / used /
 * expired as grouped bars.  Page 2: the twenty largest expiries of the
 * month and the refused redemptions.  The same report gives the same bytes
 * (no creation date).
 */
#ifndef ACCRUE_REPORT_PDF_H
#define ACCRUE_REPORT_PDF_H

#include "err.h"
#include "month_report.h"
#include "sbuf.h"

/* The PDF's bytes appended to out.  0, or the exit status with e filled. */
int report_pdf(const struct month_report *r, struct sbuf *out, struct err *e);

#endif
