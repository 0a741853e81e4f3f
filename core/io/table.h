/*
 * table: writing a report's rows as CSV, as an aligned text table or as
 * an Excel workbook (`--format csv|table|xlsx` of the export commands,
 * SPEC §10, §11): each command makes its rows once, as the strings the CSV
 * prints, and every format writes those, so all show the same columns in
 * the same order.
 *
 * CSV follows RFC 4180: a field is quoted when it holds a comma, a double
 * quote, a CR or an LF, with quotes doubled inside.  Lines end with LF (not
 * CRLF), like every other text accrue writes.  Rows go straight to the
 * stream.
 *
 * The text table right-aligns the columns given TABLE_RIGHT (numbers),
 * separates columns with two spaces and underlines the header with dashes.
 * Widths count UTF-8 characters; a CR, LF or TAB in a cell prints as a space
 * (any other control character, C0, DEL or C1, prints as `?` in both
 * formats, so that text a terminal would obey never reaches it)
 * so that a row stays on one line.  To know the widths the table must see
 * the rows first, so it buffers them, but only up to TABLE_CHUNK_ROWS rows
 * (or TABLE_CHUNK_BYTES bytes): a full chunk is printed and the buffer
 * reused.  Column widths never shrink from one chunk to the next; when a
 * chunk needs a wider column, a blank line and the header (with its rule)
 * are printed again above it, so every block is aligned under its own header.
 * Memory therefore stays bounded whatever the number of rows.
 *
 * The workbook (core/io/xlsx) types each column's cells as table_begin_sheet
 * says (text, date, amount, integer); its text cells get the CSV's text,
 * control characters as '?' included.  It is written whole at table_end,
 * copied to the stream then; a report that fails calls table_abort, and
 * no workbook is written.
 *
 * The table_out owns its buffer and workbook: table_end flushes and
 * releases them; on an error path call table_abort (CSV and text keep what
 * they printed, buffered rows flushed; a workbook is dropped).  Column
 * names, alignments and types are copied by pointer and must outlive the
 * table (string literals in practice).
 */
#ifndef ACCRUE_TABLE_H
#define ACCRUE_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "sbuf.h"
#include "xlsx.h"

#define TABLE_MAX_COLS 32
#define TABLE_CHUNK_ROWS 1000
#define TABLE_CHUNK_BYTES (1024 * 1024)
/* Largest single row accepted in table mode. */
#define TABLE_MAX_ROW (4 * 1024 * 1024)

enum table_format { TABLE_CSV, TABLE_TEXT, TABLE_XLSX };
enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_out {
	FILE *out;
	enum table_format format;
	size_t ncols;
	const char *const *names;
	const enum table_align *align;
	/* text mode */
	size_t width[TABLE_MAX_COLS];         /* widths of the rows printed */
	size_t header_width[TABLE_MAX_COLS];  /* widths the header was printed with */
	int header_shown;
	size_t nrows;                         /* rows in buf */
	struct sbuf buf;                      /* cells, each NUL-terminated */
	int failed;                           /* a row was refused or a write failed */
	/* xlsx mode */
	struct xlsx_out *xlsx;
	char why[XLSX_WHY_SIZE];              /* what failed, "" when errno says it */
};

/* "csv", "table" or "xlsx" → format; -1 for anything else. */
int table_parse_format(const char *s, enum table_format *f);

/* Start a table of ncols (≤ TABLE_MAX_COLS) columns; the CSV header line is
 * written at once.  Returns 0, or -1 when ncols is out of range or the
 * format is TABLE_XLSX (which needs table_begin_sheet). */
int table_begin(struct table_out *t, FILE *out, enum table_format f, size_t ncols,
		const char *const *names, const enum table_align *align);

/* The same, with each column's cell type and the sheet's name (from
 * xlsx_sheet_name) for TABLE_XLSX; other formats ignore them.  Returns 0,
 * or -1 with t->why set when the workbook cannot be started (release the
 * table with table_abort). */
int table_begin_sheet(struct table_out *t, FILE *out, enum table_format f, size_t ncols,
		      const char *const *names, const enum table_align *align,
		      const enum xlsx_cell *types, const char *sheet);

/* One row of ncols cells (NULL prints as empty).  Returns 0, or -1 when the
 * row is larger than TABLE_MAX_ROW or the output failed. */
int table_row(struct table_out *t, const char *const *cells);

/* Print what is buffered (in text mode the header too, even with no rows;
 * in xlsx mode the whole workbook), flush the stream and free the buffer.
 * Returns 0, or -1 when any row was refused or any write failed (t->why
 * says why when errno does not). */
int table_end(struct table_out *t);

/* The end of a table whose report failed: CSV and text as table_end
 * (what is buffered is printed), a workbook released unwritten. */
void table_abort(struct table_out *t);

#endif
