/*
 * csvin: reading a CSV file (RFC 4180) with libcsv in strict mode, row by
 * row, knowing the physical line each row starts on.
 *
 * The file is fed to libcsv one physical line at a time, so the line of every
 * row and of every error is exact even when quoted fields hold newlines.  A
 * UTF-8 byte-order mark at the start is skipped.  Caps: CSVIN_MAX_LINE bytes
 * per physical line, CSVIN_MAX_ROW bytes and CSVIN_MAX_FIELDS fields per row.
 * Structural problems (a stray quote, an unterminated quoted field, a line or
 * row over its cap, a NUL byte) are reported through `on_error` and reading
 * goes on at the next line, so that one pass names every error.
 *
 * Rows made only of one empty field (blank lines) are skipped.  Fields passed
 * to `on_row` are NUL-terminated and valid until on_row returns; nothing about
 * them (UTF-8, meaning) is checked here.
 */
#ifndef ACCRUE_CSVIN_H
#define ACCRUE_CSVIN_H

#include <stddef.h>

#include "err.h"

#define CSVIN_MAX_LINE (64 * 1024)
#define CSVIN_MAX_ROW (256 * 1024)
#define CSVIN_MAX_FIELDS 64

struct csvin_row {
	long line;          /* physical line the row starts on, 1-based */
	size_t n;           /* number of fields */
	char **field;       /* field[i], NUL-terminated */
	size_t *len;        /* len[i], bytes (a field may hold a NUL: len tells) */
};

struct csvin_cb {
	/* Return non-zero to stop reading (e.g. too many errors). */
	int (*on_row)(void *ctx, const struct csvin_row *row);
	/* line, the field index the problem is in (or -1), a message. */
	void (*on_error)(void *ctx, long line, int field, const char *msg);
	void *ctx;
};

/* Read the whole file.  Returns 0 when it was read to the end (errors in it
 * were reported through on_error), else fills e (the file cannot be opened
 * or read: exit 65 / 1). */
int csvin_read(const char *path, const struct csvin_cb *cb, struct err *e);

#endif
