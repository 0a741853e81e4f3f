/*
 * xlsx: a report's rows as an Excel workbook (`--format xlsx`, SPEC §11:
 * "the same columns as the CSV, typed"), written with libxlsxwriter.
 *
 * One sheet (and more when the rows pass the 1,048,575 a sheet holds: the
 * rows go on in "NAME (2)", "NAME (3)" ..., each under the same header):
 * a bold header row, frozen, an autofilter over the whole
 * table, columns as wide as their content (capped at XLSX_MAX_WIDTH), and
 * each cell typed by its column:
 *   XLSX_TEXT     a string cell (number format `@`), whatever it looks
 *                 like: customer numbers, documents, accounts and programs
 *                 keep their leading zeros and never become numbers or
 *                 formulas
 *   XLSX_DATE     YYYY-MM-DD → an Excel date, number format `yyyy-mm-dd`
 *   XLSX_AMOUNT   a plain decimal with 2 decimals (what the CSV prints) →
 *                 a number, number format `#,##0.00`; see xlsx_number and xlsx_cell_value
 *   XLSX_INTEGER  a whole number (journal and run ids) → a number, format `0`
 * An empty field is no cell at all.  The cells come as the strings the CSV
 * prints, so both formats show the same columns in the same order; only
 * here, writing the cell, does an amount become the double the file
 * format stores.
 *
 * Memory stays flat whatever the number of rows: libxlsxwriter's
 * constant-memory mode keeps one row, and the sheet goes to a temporary
 * file in $TMPDIR (else /tmp) as it is written.  libxlsxwriter writes the
 * finished workbook to a file it names itself, so xlsx_end has it write a
 * private temporary file (mode 0600, in the same folder) and copies that
 * to the caller's stream: to a file through core/io/files (whole or not at
 * all) or to a pipe.  The workbook's creation time is fixed (1980-01-01,
 * as the zip entries' times), so that the same rows give the same bytes.
 *
 * An xlsx_out owns its workbook and temporary files: xlsx_end or xlsx_abort
 * releases them, and removes the temporary workbook.  Column names and types
 * are copied by pointer and must outlive it (string literals in practice).
 */
#ifndef ACCRUE_XLSX_H
#define ACCRUE_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define XLSX_MAX_COLS 32
/* Rows an Excel sheet holds, the header's included. */
#define XLSX_MAX_ROWS 1048576
/* Column width cap, in characters. */
#define XLSX_MAX_WIDTH 60
/* A sheet name: at most 31 characters of up to 4 bytes, and its NUL. */
#define XLSX_SHEET_CHARS 31
#define XLSX_SHEET_NAME_SIZE (XLSX_SHEET_CHARS * 4 + 1)
/* Room for a message of what went wrong. */
#define XLSX_WHY_SIZE 256

enum xlsx_cell { XLSX_TEXT, XLSX_DATE, XLSX_AMOUNT, XLSX_INTEGER };

struct xlsx_out;

/*
 * A workbook with one sheet named `sheet` (made by xlsx_sheet_name) and
 * its header row of ncols (≤ XLSX_MAX_COLS) names.  NULL when it cannot
 * be made, with the reason in why (XLSX_WHY_SIZE bytes), which also gets
 * the reason of any later failure of this workbook: it must outlive it.
 */
struct xlsx_out *xlsx_begin(const char *sheet, size_t ncols, const char *const *names,
			    const enum xlsx_cell *types, char *why);

/* One row of ncols cells (NULL or "" is no cell); past the rows a sheet
 * holds, on a new sheet.  0, or -1 with why set: a cell that is not of its
 * column's type, text longer than a cell holds (32,767 characters), a
 * write that failed. */
int xlsx_row(struct xlsx_out *x, const char *const *cells);

/* Finish the sheet (widths, autofilter, frozen header), write the
 * workbook and copy it to out (flushed); release everything.  0, or -1
 * with why set (out's own failures with errno's reason). */
int xlsx_end(struct xlsx_out *x, FILE *out);

/* Release everything and write nothing (a report that failed). */
void xlsx_abort(struct xlsx_out *x);

/* ---- the pure parts, for their unit tests ---- */

/*
 * A number cell from the text the CSV prints: an amount (decimals 2, core/
 * rules/money's decimal_parse) or a whole number (decimals 0).  1 and
 * *minor, the int64 hundredths or units, when |*minor| ≤ MONEY_MAX_ABS
 * (10^15: 9,999,999,999,999.99 and 10,000,000,000,000.00 included); 0
 * when larger (such a figure is written as text, exactly as the CSV prints
 * it); -1 when s is not such a number.
 */
int xlsx_number(const char *s, int decimals, int64_t *minor);

/*
 * The double a number cell stores, from its int64: called only in the call
 * that writes the cell, the one place a figure becomes floating point.
 *
 * Why the cap of xlsx_number: a double holds 15 significant decimal
 * digits exactly (DBL_DIG), so up to 10^15 hundredths the double nearest
 * the amount, and the 16 significant digits libxlsxwriter writes it with,
 * read back within a thousandth of a cent of it and print to the same 2
 * decimals.  Past it, the cents would no longer be certain.
 */
double xlsx_cell_value(int64_t minor, int decimals);

/*
 * A sheet name from prefix and subject ("History" and "C1001" give
 * "History C1001"; a NULL or empty subject gives the prefix alone):
 * Excel takes at most 31 characters and none of []:*?/\ (each becomes
 * '_', as does a control character or invalid UTF-8), nor an apostrophe
 * first or last (one becomes '_').  A name too long loses the end of its
 * subject, then of its prefix, and ends with '~' to show it was cut.  A
 * character beyond U+FFFF counts as two (Excel counts UTF-16 units).
 */
void xlsx_sheet_name(const char *prefix, const char *subject, char out[XLSX_SHEET_NAME_SIZE]);

/* The name of the n-th sheet of a table whose first is `sheet` (a name
 * xlsx_sheet_name made): "Balances 2026-03-31 (2)", the first name cut
 * (at a whole character) so that the whole stays within 31. */
void xlsx_sheet_continued(const char *sheet, int n, char out[XLSX_SHEET_NAME_SIZE]);

#endif
