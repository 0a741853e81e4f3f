/*
 * accrue import KIND FILE.csv (SPEC §11): customers, programs, tiers,
 * invoices, payments.
 *
 * A file is imported whole or not at all.  One pass reads it with csvin,
 * checks each field in C (type, caps, UTF-8, no line breaks where a header
 * could get them) and streams the good rows with binary COPY, in pieces
 * small enough that the server stores while accrue reads, into a temporary
 * staging table.  Then set-based queries check what needs the whole file or
 * the database (duplicate keys, references, one level of parents, status
 * transitions), each returning (line, column, message).  Any error at all:
 * every one is printed as FILE:LINE: column: message (the first 100 by line,
 * then a count), the transaction is rolled back and the exit status is 65.
 * Otherwise a few set-based statements upsert by natural key and the counts
 * of rows inserted, updated and unchanged are printed.
 *
 * Invoices, the big file, let the writes check part of it: the primary key
 * refuses a new document given twice and the table's checks a misplaced
 * original, and the originals are checked after the writes against the
 * table, one index probe per credit note.  When the writes are refused, or
 * anything else was wrong, they are undone and the full checks run instead,
 * so an import with errors still lists every one.
 *
 * Absent optional columns take the defaults of SPEC §2, for new and existing
 * rows alike: the file states the whole record.  The one exception is a
 * payment's reversed_on: a file without that column leaves the stored
 * reversals as they are, so that an old file imported again changes
 * nothing (import_kinds.c reads the header's columns from the setting
 * accrue.columns).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "csvin.h"
#include "date.h"
#include "db.h"
#include "import_kinds.h"
#include "log.h"
#include "money.h"
#include "sbuf.h"
#include "text.h"

#define ERRORS_SHOWN 100
#define ERRORS_KEPT 1000
#define COPY_CHUNK (1 << 16)

static const char help[] =
	"usage: accrue import customers|programs|tiers|invoices|payments FILE.csv\n"
	"       accrue import adjustments FILE.csv [--date YYYY-MM-DD] [--allow-future]\n"
	"\n"
	"Imports one CSV file (UTF-8, header row, RFC 4180) whole or not at all.\n"
	"Rows are upserted by their natural key, so importing the same file twice\n"
	"changes nothing.  Every error is listed as FILE:LINE: column: message and\n"
	"nothing is written (exit status 65).  A stored payment allocation never\n"
	"changes but for its reversed_on, set once; a payments file without that\n"
	"column leaves stored reversals as they are.  See the README for each\n"
	"file's columns and rules.\n"
	"\n"
	"  --date D   adjustments only: the business date of rows whose date is\n"
	"             blank (default: today); none may be before the last close\n";

struct import_error {
	long line;
	long seq;
	char *text;
};

struct import {
	const struct import_kind *kind;
	const char *path;
	char today[DATE_FMT_SIZE];  /* the default business date */
	int colmap[IMPORT_MAX_COLS];  /* file field index → kind column, -1 */
	int present[IMPORT_MAX_COLS]; /* kind column → file field index, -1 */
	size_t nfields;
	int header_done;
	int header_ok;
	long rows;
	long staged;

	struct import_error *errs;
	size_t nerrs;
	long total_errors;

	PGconn *db;
	struct err *e;
	int db_failed;
	struct sbuf copy;
	struct sbuf val;
};

/* -- errors --------------------------------------------------------------- */

static void error_add(struct import *im, long line, const char *column, const char *msg)
{
	struct sbuf b;
	struct import_error *slot;

	im->total_errors++;
	if (im->nerrs == ERRORS_KEPT) {
		/* Keep the earliest lines: replace the latest one kept. */
		size_t worst = 0;
		for (size_t i = 1; i < im->nerrs; i++)
			if (im->errs[i].line > im->errs[worst].line)
				worst = i;
		if (im->errs[worst].line <= line)
			return;
		free(im->errs[worst].text);
		slot = &im->errs[worst];
	} else {
		if (!im->errs) {
			im->errs = calloc(ERRORS_KEPT, sizeof(*im->errs));
			if (!im->errs)
				return;
		}
		slot = &im->errs[im->nerrs++];
	}
	sbuf_init(&b, 2048);
	if (column && *column)
		sbuf_addf(&b, "%s:%ld: %s: %s", im->path, line, column, msg);
	else
		sbuf_addf(&b, "%s:%ld: %s", im->path, line, msg);
	slot->line = line;
	slot->seq = im->total_errors;
	slot->text = b.p ? b.p : strdup("(out of memory)");
}

static int error_cmp(const void *a, const void *b)
{
	const struct import_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void errors_print(struct import *im)
{
	size_t shown = im->nerrs < ERRORS_SHOWN ? im->nerrs : ERRORS_SHOWN;

	qsort(im->errs, im->nerrs, sizeof(*im->errs), error_cmp);
	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, "%s\n", im->errs[i].text);
	if (im->total_errors > (long)shown)
		fprintf(stderr, "%s: ... and %ld more errors\n", im->path,
			im->total_errors - (long)shown);
	fprintf(stderr, "%s: %ld error%s: nothing was imported; correct the file and "
		"import it again\n", im->path, im->total_errors,
		im->total_errors == 1 ? "" : "s");
}

static void errors_free(struct import *im)
{
	for (size_t i = 0; i < im->nerrs; i++)
		free(im->errs[i].text);
	free(im->errs);
}

/* Quote a value for a message: at most 40 bytes, control bytes as '?'. */
static void quote_value(char *out, size_t n, const char *v)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; v[i] && o + 5 < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (i == 40) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* -- fields --------------------------------------------------------------- */

static int is_blank(const char *s)
{
	return *s == '\0';
}

/* -- the staged rows, in binary COPY format ------------------------------ */

/* Binary COPY spares the server parsing text into dates and numbers and
 * accrue escaping it: about a quarter of the server's staging time. */
static const char copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static int put_be(struct sbuf *b, uint64_t v, int bytes)
{
	unsigned char buf[8];

	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		buf[i] = (unsigned char)(v & 0xFF);
	return sbuf_add(b, buf, (size_t)bytes);
}

static int stage_null(struct sbuf *b)
{
	return put_be(b, UINT32_MAX, 4);  /* length -1 */
}

static int stage_text(struct sbuf *b, const char *s, size_t len)
{
	return put_be(b, len, 4) || sbuf_add(b, s, len);
}

static int stage_int4(struct sbuf *b, int64_t v)
{
	return put_be(b, 4, 4) || put_be(b, (uint32_t)(int32_t)v, 4);
}

static int stage_int8(struct sbuf *b, int64_t v)
{
	return put_be(b, 8, 4) || put_be(b, (uint64_t)v, 8);
}

static int stage_bool(struct sbuf *b, int v)
{
	return put_be(b, 1, 4) || put_be(b, v ? 1 : 0, 1);
}

/* PostgreSQL counts days from 2000-01-01, date_t from 1970-01-01. */
static int stage_date(struct sbuf *b, date_t d)
{
	return stage_int4(b, (int64_t)d - 10957);
}

/* A blank field's default, written as a value of the column's type. */
static int stage_default(struct sbuf *b, const struct import_col *c)
{
	switch (c->type) {
	case COL_BOOL:
		return stage_bool(b, c->dflt[0] == 't');
	case COL_INT:
		return stage_int4(b, atoi(c->dflt));
	default:
		return stage_text(b, c->dflt, strlen(c->dflt));
	}
}

/* Check one field and append its staged form to the COPY buffer (binary,
 * NULL for a blank without a default).  Returns 0, or
 * -1 after reporting (on_row then drops the row's partial staging).  The
 * value is quoted for a message only when there is an error: this runs for
 * every field of the file. */
static int field_stage(struct import *im, long line, const struct import_col *c,
		       const char *v, size_t len)
{
	struct sbuf *out = &im->copy;
	char q[64], msg[256];
	int64_t n;
	date_t d;

	/* csvin refuses a line holding a NUL byte, so len is strlen(v) */
	if (!text_utf8_valid(v, len)) {
		error_add(im, line, c->name, "is not valid UTF-8 (save the file as UTF-8)");
		return -1;
	}
	if (is_blank(v)) {
		if (c->flags & COL_REQUIRED) {
			error_add(im, line, c->name, "a value is required");
			return -1;
		}
		return c->dflt ? stage_default(out, c) : stage_null(out);
	}
	if (len > c->cap) {
		snprintf(msg, sizeof(msg), "is longer than %zu bytes", c->cap);
		error_add(im, line, c->name, msg);
		return -1;
	}
	switch (c->type) {
	case COL_TEXT:
	case COL_NAME: {
		/* the one text check (core/rules/text), as for a command's options */
		const char *why = text_field_problem(v, len, c->type == COL_TEXT);

		if (why) {
			error_add(im, line, c->name, why);
			return -1;
		}
		return stage_text(out, v, len);
	}
	case COL_DATE:
		if (date_parse(v, &d)) {
			quote_value(q, sizeof(q), v);
			if (date_parse(v, &d) == DATE_OUT_OF_RANGE)
				snprintf(msg, sizeof(msg), "%s is outside the dates accrue takes (%s)", q,
					 DATE_RANGE_TEXT);
			else
				snprintf(msg, sizeof(msg), "%s is not a date (YYYY-MM-DD)", q);
			error_add(im, line, c->name, msg);
			return -1;
		}
		return stage_date(out, d);
	case COL_MONEY:
	case COL_RATE: {
		int scale = c->type == COL_RATE ? 4 : 2;
		enum decimal_status st = decimal_parse(v, scale, &n);

		if (st == DECIMAL_OK && c->type == COL_MONEY &&
		    (n > IMPORT_MONEY_MAX || n < -IMPORT_MONEY_MAX))
			st = DECIMAL_RANGE;
		if (st == DECIMAL_RANGE && c->type == COL_MONEY) {
			quote_value(q, sizeof(q), v);
			snprintf(msg, sizeof(msg), "%s is beyond the cap of an amount, %s either way", q,
				 IMPORT_MONEY_MAX_TEXT);
			error_add(im, line, c->name, msg);
			return -1;
		}
		if (st != DECIMAL_OK) {
			quote_value(q, sizeof(q), v);
			snprintf(msg, sizeof(msg), "%s %s", q, decimal_status_text(st, scale));
			error_add(im, line, c->name, msg);
			return -1;
		}
		if (n < c->lo) {
			quote_value(q, sizeof(q), v);
			snprintf(msg, sizeof(msg), "%s must %s", q,
				 c->lo > 0 ? "be greater than zero" : "not be negative");
			error_add(im, line, c->name, msg);
			return -1;
		}
		return stage_int8(out, n);
	}
	case COL_INT: {
		char *end;
		long long x = strtoll(v, &end, 10);

		if (*end || end == v || x < c->lo || x > c->hi || v[0] == '+' ||
		    strspn(v, "-0123456789") != len) {
			quote_value(q, sizeof(q), v);
			snprintf(msg, sizeof(msg), "%s is not a whole number from %lld to %lld",
				 q, (long long)c->lo, (long long)c->hi);
			error_add(im, line, c->name, msg);
			return -1;
		}
		return stage_int4(out, x);
	}
	case COL_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			return stage_bool(out, v[0] == 't');
		quote_value(q, sizeof(q), v);
		snprintf(msg, sizeof(msg), "%s is not true or false", q);
		error_add(im, line, c->name, msg);
		return -1;
	case COL_ENUM:
		for (const char *const *e = c->values; *e; e++)
			if (strcmp(v, *e) == 0)
				return stage_text(out, v, len);
		{
			struct sbuf b;
			quote_value(q, sizeof(q), v);
			sbuf_init(&b, 512);
			sbuf_addf(&b, "%s is not one of: ", q);
			for (const char *const *e = c->values; *e; e++)
				sbuf_addf(&b, "%s%s", e == c->values ? "" : ", ", *e);
			error_add(im, line, c->name, sbuf_str(&b));
			sbuf_free(&b);
		}
		return -1;
	case COL_EMAILS: {
		/* Addresses separated by ';', spaces around them dropped. */
		const char *p = v;
		int count = 0;

		sbuf_reset(&im->val);
		while (*p) {
			char one[321];
			size_t k;

			while (*p == ' ')
				p++;
			k = strcspn(p, ";");
			while (k && p[k - 1] == ' ')
				k--;
			if (k >= sizeof(one)) {
				error_add(im, line, c->name, "an address is longer than 320 bytes");
				return -1;
			}
			memcpy(one, p, k);
			one[k] = '\0';
			if (k && !text_email_valid(one)) {
				quote_value(q, sizeof(q), one);
				snprintf(msg, sizeof(msg), "%s is not an e-mail address%s", q,
					 text_has_crlf(one) ? " (it holds a line break)" : "");
				error_add(im, line, c->name, msg);
				return -1;
			}
			if (k)
				sbuf_addf(&im->val, "%s%s", count++ ? ";" : "", one);
			p += strcspn(p, ";");
			if (*p == ';')
				p++;
		}
		return count ? stage_text(out, im->val.p, im->val.len) : stage_null(out);
	}
	case COL_LANG:
		if (len < 2 || len > 8 || strspn(v, "abcdefghijklmnopqrstuvwxyz_-ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len) {
			quote_value(q, sizeof(q), v);
			snprintf(msg, sizeof(msg), "%s is not a language code (like en or fr)", q);
			error_add(im, line, c->name, msg);
			return -1;
		}
		return stage_text(out, v, len);
	}
	return -1;
}

/* -- rows ----------------------------------------------------------------- */

/* Map the header onto the kind's columns.  Unknown and repeated columns are
 * errors but the rows are still checked (without them); a missing required
 * column stops the row checks (returns 0). */
static int header(struct import *im, const struct csvin_row *row)
{
	const struct import_kind *k = im->kind;
	int ok = 1;

	for (size_t i = 0; i < k->ncols; i++)
		im->present[i] = -1;
	im->nfields = row->n;
	for (size_t f = 0; f < row->n; f++) {
		const char *name = row->field[f];
		char q[64], msg[256];
		size_t i;

		im->colmap[f] = -1;
		for (i = 0; i < k->ncols; i++)
			if (strcmp(k->cols[i].name, name) == 0)
				break;
		quote_value(q, sizeof(q), name);
		if (i == k->ncols) {
			struct sbuf b;
			sbuf_init(&b, 1024);
			sbuf_addf(&b, "unknown column %s (the %s columns are: ", q, k->name);
			for (size_t j = 0; j < k->ncols; j++)
				sbuf_addf(&b, "%s%s", j ? "," : "", k->cols[j].name);
			sbuf_adds(&b, ")");
			error_add(im, row->line, *name ? name : q, sbuf_str(&b));
			sbuf_free(&b);
		} else if (im->present[i] >= 0) {
			snprintf(msg, sizeof(msg), "column %s appears twice in the header", q);
			error_add(im, row->line, name, msg);
		} else {
			im->present[i] = (int)f;
			im->colmap[f] = (int)i;
		}
	}
	for (size_t i = 0; i < k->ncols; i++) {
		if ((k->cols[i].flags & COL_REQUIRED) && im->present[i] < 0) {
			error_add(im, row->line, k->cols[i].name, "this required column is missing from the header");
			ok = 0;
		}
	}
	if (k->one_of[0]) {
		int a = -1, b = -1;
		for (size_t i = 0; i < k->ncols; i++) {
			if (!strcmp(k->cols[i].name, k->one_of[0]))
				a = im->present[i];
			if (!strcmp(k->cols[i].name, k->one_of[1]))
				b = im->present[i];
		}
		if (a < 0 && b < 0) {
			char msg[200];
			snprintf(msg, sizeof(msg), "the header needs a %s or a %s column",
				 k->one_of[0], k->one_of[1]);
			error_add(im, row->line, k->one_of[0], msg);
			ok = 0;
		}
	}
	return ok;
}

static int copy_flush(struct import *im)
{
	if (im->db_failed || !im->copy.len)
		return 0;
	if (db_copy_put(im->db, im->e, im->copy.p, im->copy.len)) {
		im->db_failed = 1;
		return -1;
	}
	sbuf_reset(&im->copy);
	return 0;
}

static int all_digits(const char *v, size_t min, size_t max)
{
	size_t n = 0;

	if (*v == '-' && min)
		v++;
	for (; v[n]; n++)
		if (v[n] < '0' || v[n] > '9')
			return 0;
	return n >= (min ? min : 1) && n <= max;
}

/* A row one field longer than the header whose amount (or rate) column
 * holds whole digits followed by a field of one to four digits: "12,50"
 * written unquoted.  Returns that column's field index, else -1. */
static long split_amount(const struct import *im, const struct csvin_row *row)
{
	if (row->n != im->nfields + 1)
		return -1;
	for (size_t f = 0; f + 1 < row->n && f < im->nfields; f++) {
		int ci = im->colmap[f];

		if (ci < 0 || (im->kind->cols[ci].type != COL_MONEY &&
			       im->kind->cols[ci].type != COL_RATE))
			continue;
		if (all_digits(row->field[f], 1, 18) && all_digits(row->field[f + 1], 0, 4))
			return (long)f;
	}
	return -1;
}

static int on_row(void *ctx, const struct csvin_row *row)
{
	struct import *im = ctx;
	const struct import_kind *k = im->kind;
	size_t mark;
	long errors;
	int bad = 0;

	if (!im->header_done) {
		im->header_done = 1;
		im->header_ok = header(im, row);
		return 0;
	}
	im->rows++;
	if (!im->header_ok)
		return 0;
	if (row->n != im->nfields) {
		char msg[160], col[40];
		long split = split_amount(im, row);

		/* the column: an amount an unquoted decimal comma split in two,
		 * the first one missing, or the first field beyond the header */
		if (split >= 0) {
			text_copy(col, sizeof(col), k->cols[im->colmap[split]].name);
			snprintf(msg, sizeof(msg), "%.20s,%.20s is not an amount: use '.' as the "
				 "decimal point (the comma split the row into %zu fields, the header "
				 "has %zu)", row->field[split], row->field[split + 1], row->n,
				 im->nfields);
			error_add(im, row->line, col, msg);
			return 0;
		}
		if (row->n < im->nfields && im->colmap[row->n] >= 0)
			text_copy(col, sizeof(col), k->cols[im->colmap[row->n]].name);
		else
			snprintf(col, sizeof(col), "field %zu", im->nfields + 1);
		snprintf(msg, sizeof(msg), "%sthe row has %zu field%s, the header has %zu%s",
			 row->n < im->nfields ? "missing: " : "", row->n,
			 row->n == 1 ? "" : "s", im->nfields,
			 row->n > im->nfields ? " (an unquoted comma? amounts use '.' as the decimal point)" : "");
		error_add(im, row->line, col, msg);
		return 0;
	}
	mark = im->copy.len;
	errors = im->total_errors;
	put_be(&im->copy, k->ncols + 1, 2);  /* fields: line, then the kind's */
	stage_int4(&im->copy, row->line);
	for (size_t i = 0; i < k->ncols; i++) {
		int f = im->present[i];

		if (field_stage(im, row->line, &k->cols[i], f >= 0 ? row->field[f] : "",
				f >= 0 ? row->len[f] : 0))
			bad = 1;
	}
	if (bad && im->total_errors == errors)
		error_add(im, row->line, "row", "out of memory staging the row");
	if (bad) {
		/* The good rows are still staged so the checks in SQL find the
		 * errors of the rest of the file too. */
		im->copy.len = mark;
		if (im->copy.p)
			im->copy.p[mark] = '\0';
		return 0;
	}
	im->staged++;
	if (im->copy.len >= COPY_CHUNK)
		copy_flush(im);
	return 0;
}

static void on_csv_error(void *ctx, long line, int field, const char *msg)
{
	struct import *im = ctx;
	char col[40] = "row";

	/* every error names a column: the header's name for the field, else
	 * "header", "field N" or, for the line as a whole, "row" */
	if (field >= 0 && im->header_done && im->header_ok && (size_t)field < im->nfields &&
	    im->colmap[field] >= 0)
		text_copy(col, sizeof(col), im->kind->cols[im->colmap[field]].name);
	else if (field >= 0 && !im->header_done)
		text_copy(col, sizeof(col), "header");
	else if (field >= 0)
		snprintf(col, sizeof(col), "field %d", field + 1);
	error_add(im, line, col, msg);
}

/* -- database ------------------------------------------------------------- */

/* A check's columns: the file line, the column it names, the message. */
enum { CHECK_LINE, CHECK_COLUMN, CHECK_MESSAGE };

static int run_checks(struct import *im, const char *const *checks)
{
	for (const char *const *q = checks; q && *q; q++) {
		PGresult *r = db_query(im->db, im->e, *q, 0, NULL);

		if (!r)
			return -1;
		for (int i = 0; i < PQntuples(r); i++)
			error_add(im, atol(PQgetvalue(r, i, CHECK_LINE)), PQgetvalue(r, i, CHECK_COLUMN),
				  PQgetvalue(r, i, CHECK_MESSAGE));
		PQclear(r);
	}
	return 0;
}

/* The UPDATE and the INSERT of a kind with update_sql.  Returns 0 with the
 * counts, the exit status of a failure, or -1 when a constraint of the
 * table refused a row (the unique key: a key given twice in the file; a
 * check: what checks_after would have named).  The writes are then undone,
 * checks_unwritten list the errors, and the caller prints them. */
static int write_staged(struct import *im, long long *inserted, long long *updated)
{
	const struct import_kind *k = im->kind;
	const char *sql[2] = {k->update_sql, k->insert_sql};
	long long *count[2] = {updated, inserted};
	struct err refused = {0};
	int rc;

	if ((rc = db_exec(im->db, im->e, "SAVEPOINT write", 0, NULL)))
		return rc;
	for (int i = 0; i < 2; i++) {
		PGresult *r = db_query(im->db, &refused, sql[i], 0, NULL);

		if (r) {
			*count[i] = db_affected(r);
			PQclear(r);
			continue;
		}
		if (strncmp(refused.sqlstate, "23", 2) != 0) {  /* not integrity_constraint_violation */
			*im->e = refused;
			return refused.exit;
		}
		if ((rc = db_exec(im->db, im->e, "ROLLBACK TO SAVEPOINT write", 0, NULL)))
			return rc;
		if (run_checks(im, k->checks_unwritten))
			return im->e->exit;
		if (!im->total_errors) {
			*im->e = refused;  /* nothing in the file explains it: say what it was */
			return refused.exit;
		}
		return -1;
	}
	return 0;
}

static int import_run(struct import *im)
{
	const struct import_kind *k = im->kind;
	struct csvin_cb cb = {on_row, on_csv_error, im};
	struct err ignored;
	PGresult *r;
	int rc;

	/* The staging table lives in local buffers: give it room (this must
	 * come before the session's first temporary table). */
	if ((rc = db_exec(im->db, im->e, "SET temp_buffers = '256MB'", 0, NULL)) ||
	    (rc = db_exec(im->db, im->e, "BEGIN", 0, NULL)))
		return rc;
	/* JIT would compile each big check for longer than it runs. */
	if ((rc = db_exec_script(im->db, im->e, "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off")) ||
	    (rc = db_exec_script(im->db, im->e, k->prepare_sql)))
		goto fail;
	if ((rc = db_copy_begin(im->db, im->e, "COPY stage FROM STDIN (FORMAT binary)")))
		goto fail;
	sbuf_add(&im->copy, copy_header, sizeof(copy_header));
	rc = csvin_read(im->path, &cb, im->e);
	put_be(&im->copy, UINT16_MAX, 2);  /* the trailer: -1 fields */
	copy_flush(im);
	if (db_copy_end(im->db, im->db_failed ? &ignored : im->e, NULL) || im->db_failed) {
		rc = im->e->exit;
		goto fail;
	}
	if (rc)
		goto fail;
	if (!im->header_done)
		error_add(im, 1, "header", "the file is empty: a header row is required");
	/* Statistics, so the checks below get good plans on a big file. */
	if (im->staged > 1000 &&
	    (rc = db_exec_script(im->db, im->e, "SET LOCAL default_statistics_target = 10;"
				 "ANALYZE stage; RESET default_statistics_target")))
		goto fail;
	{
		/* the kind's columns the header gives, for the SQL of a column
		 * whose absence keeps what is stored (import_kinds.h) */
		struct sbuf cols;
		const char *p[2] = {im->today, NULL};

		sbuf_init(&cols, 1024);
		sbuf_adds(&cols, ",");
		for (size_t i = 0; im->header_done && i < k->ncols; i++)
			if (im->present[i] >= 0)
				sbuf_addf(&cols, "%s,", k->cols[i].name);
		p[1] = sbuf_str(&cols);
		rc = db_exec(im->db, im->e, "SELECT set_config('accrue.today', $1, true),"
			     " set_config('accrue.columns', $2, true)", 2, p);
		sbuf_free(&cols);
		if (rc)
			goto fail;
	}
	if (k->before_checks_sql && (rc = db_exec_script(im->db, im->e, k->before_checks_sql)))
		goto fail;
	if (im->header_ok && run_checks(im, k->checks)) {
		rc = im->e->exit;
		goto fail;
	}
	if (im->total_errors && im->header_ok && run_checks(im, k->checks_unwritten)) {
		rc = im->e->exit;
		goto fail;
	}
	if (im->total_errors) {
		errors_print(im);
		rc = EXIT_DATAERR;
		goto fail;
	}
	if (k->post) {
		if ((rc = k->post(im->db, im->e, im->path)) ||
		    (rc = db_exec(im->db, im->e, "COMMIT", 0, NULL)))
			goto fail;
		return 0;
	}
	if (k->update_sql) {
		long long ins = 0, upd = 0;

		rc = write_staged(im, &ins, &upd);
		if (rc == 0 && run_checks(im, k->checks_after))
			rc = im->e->exit;
		if (rc > 0)
			goto fail;
		if (im->total_errors) {
			errors_print(im);
			rc = EXIT_DATAERR;
			goto fail;
		}
		if ((rc = db_exec(im->db, im->e, "COMMIT", 0, NULL)))
			goto fail;
		printf("%s: %ld rows: %lld inserted, %lld updated, %lld unchanged\n", im->path,
		       im->staged, ins, upd, im->staged - ins - upd);
		return 0;
	}
	r = db_query_script(im->db, im->e, k->upsert_sql);
	if (!r) {
		rc = im->e->exit;
		goto fail;
	}
	if ((rc = db_exec(im->db, im->e, "COMMIT", 0, NULL))) {
		PQclear(r);
		goto fail;
	}
	/* every kind's upsert_sql ends with these counts */
	enum { UP_INSERTED, UP_UPDATED, UP_UNCHANGED, UP_REMOVED };
	printf("%s: %ld rows: %s inserted, %s updated, %s unchanged", im->path, im->staged,
	       PQgetvalue(r, 0, UP_INSERTED), PQgetvalue(r, 0, UP_UPDATED),
	       PQgetvalue(r, 0, UP_UNCHANGED));
	if (PQnfields(r) > UP_REMOVED)
		printf(", %s removed", PQgetvalue(r, 0, UP_REMOVED));
	printf("\n");
	PQclear(r);
	return 0;
fail:
	db_exec(im->db, &ignored, "ROLLBACK", 0, NULL);
	return rc;
}

int cmd_import(struct app *a, int argc, char **argv)
{
	struct err e = {0};
	struct import im;
	const struct import_kind *kind;
	static const struct option opts[] = {
		{"date", required_argument, NULL, 'd'},
		{"allow-future", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *date = NULL;
	date_t d = 0;

	log_step("import");
	int rc, opt, allow_future = 0;

	if (app_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (app_date_arg("import", "--date", optarg, &d))
				return EXIT_USAGE;
			date = optarg;
			break;
		case 'F':
			allow_future = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage("import", "unknown option");
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 3)
		return app_usage("import", "expected a kind and a file: import KIND FILE.csv");
	kind = import_kind_find(argv[1]);
	if (!kind)
		return app_usage("import", "unknown kind \"%s\" (customers, programs, tiers, "
				 "invoices, payments or adjustments)", argv[1]);
	if (date && !strcmp(kind->name, "adjustments") &&
	    app_check_future(a, "import", d, allow_future))
		return EXIT_USAGE;
	if (date && strcmp(kind->name, "adjustments") != 0)
		return app_usage("import", "--date applies to import adjustments only (it posts; "
				 "%s does not)", kind->name);
	memset(&im, 0, sizeof(im));
	im.kind = kind;
	im.path = argv[2];
	if (date)
		text_copy(im.today, sizeof(im.today), date);
	else
		date_format(app_today(a), im.today);
	im.e = &e;
	sbuf_init(&im.copy, 2 * COPY_CHUNK + CSVIN_MAX_ROW * 2);
	sbuf_init(&im.val, CSVIN_MAX_ROW);
	if (!(im.db = app_db(a, &e))) {
		rc = app_fail(&e);
		goto out;
	}
	rc = import_run(&im);
	if (rc && e.msg[0])  /* data errors were listed already */
		app_fail(&e);
out:
	sbuf_free(&im.copy);
	sbuf_free(&im.val);
	errors_free(&im);
	return rc;
}
