/*
 * import_kinds: what each importable file holds (SPEC §11) — its columns
 * with their types, caps and defaults, the staging table, the set-based
 * checks and the upsert.  Adding a column is a change here only.
 */
#ifndef ACCRUE_IMPORT_KINDS_H
#define ACCRUE_IMPORT_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "err.h"

#define IMPORT_MAX_COLS 64

enum col_type {
	COL_TEXT,    /* free text, line breaks allowed (addresses) */
	COL_NAME,    /* one line of text: keys, names, codes (no control bytes) */
	COL_DATE,    /* YYYY-MM-DD */
	COL_MONEY,   /* plain decimal, 2 decimals → cents; lo is the minimum */
	COL_RATE,    /* percent, 4 decimals → ppm; lo is the minimum */
	COL_INT,     /* whole number in lo..hi */
	COL_BOOL,    /* true / false → t / f */
	COL_ENUM,    /* one of values */
	COL_EMAILS,  /* addresses separated by ';' */
	COL_LANG,    /* a language code */
};

#define COL_REQUIRED 1u  /* must be in the header and never blank */

struct import_col {
	const char *name;
	enum col_type type;
	unsigned flags;
	size_t cap;                 /* bytes */
	int64_t lo, hi;              /* COL_INT; COL_MONEY: lo, and ±IMPORT_MONEY_MAX */
	const char *const *values;  /* COL_ENUM, NULL-terminated */
	const char *dflt;           /* staged when blank or absent; NULL: SQL NULL */
};

struct import_kind {
	const char *name;
	const struct import_col *cols;
	size_t ncols;
	const char *one_of[2];      /* the header needs at least one of these */
	/* Lock the target, create temp table stage (line integer, then the
	 * columns in order: text, date, bigint for COL_MONEY and COL_RATE,
	 * integer for COL_INT, boolean; the rows come in binary COPY). */
	const char *prepare_sql;
	const char *const *checks;  /* each: SELECT line, column, message */
	const char *upsert_sql;     /* returns inserted, updated, unchanged[, removed] */
	/* Instead of upsert_sql: write what is staged (adjustments post ledger
	 * entries); prints its own summary. */
	int (*post)(PGconn *db, struct err *e, const char *what);
	/* Run after staging, before the checks (may be NULL).  The setting
	 * accrue.columns holds the kind's columns the file's header gives,
	 * as ",name,name,": a column whose absence must keep what is
	 * stored, rather than stage its default (a payment's reversed_on),
	 * is filled in from the table here. */
	const char *before_checks_sql;
	/* Instead of upsert_sql: an UPDATE of the stored rows that changed and
	 * an INSERT of the new ones, counted by their command tags (no
	 * RETURNING rows to gather).  The INSERT relies on the table's unique
	 * key, which refuses a key given twice in the file among the new rows;
	 * `checks` must find a key given twice among the stored ones. */
	const char *update_sql;
	const char *insert_sql;
	/* Checks of the file merged with the table (references into the file
	 * or the table).  When nothing else was wrong they run after the
	 * writes, against the table, which then is that merged state
	 * (`checks_after`); otherwise, and when the unique key refused the
	 * INSERT, `checks_unwritten` find the same errors from the staged rows
	 * and the table as they stand, and every repeated key, so that one run
	 * still lists every error. */
	const char *const *checks_after;
	const char *const *checks_unwritten;
};

const struct import_kind *import_kind_find(const char *name);

/* An amount of a file: at most 10,000,000,000,000.00 either way (README,
 * Caps), so that sums of many stay far inside int64. */
#define IMPORT_MONEY_MAX INT64_C(1000000000000000)
#define IMPORT_MONEY_MAX_TEXT "10000000000000.00"

#endif
