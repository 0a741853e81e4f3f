/*
 * xlsx: a report's rows as an Excel workbook (xlsx.h).
 */
#include "xlsx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "date.h"
#include "money.h"
#include "text.h"

/* The workbook's creation time: 1980-01-01T00:00:00Z, the time of every
 * entry of the zip libxlsxwriter writes, so the same rows give the same
 * bytes. */
#define XLSX_CREATED 315532800

struct xlsx_out {
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold, *text, *date, *amount, *integer;
	char path[4096];               /* the finished workbook's temporary file */
	char tmpdir[4096];
	size_t ncols;
	const char *const *names;
	const enum xlsx_cell *types;
	lxw_row_t row;                 /* the next row (the header is row 0) */
	size_t width[XLSX_MAX_COLS];   /* characters, the widest cell so far */
	char sheet[XLSX_SHEET_NAME_SIZE];  /* the first sheet's name */
	int nsheets;
	char *why;
};

static int xlsx_add_sheet(struct xlsx_out *x, const char *sheet);

/* ---- the pure parts ---- */

int xlsx_number(const char *s, int decimals, int64_t *minor)
{
	switch (decimal_parse(s, decimals, minor)) {
	case DECIMAL_OK:
		return 1;
	case DECIMAL_RANGE:
		/* beyond MONEY_MAX_ABS: written as text (decimal_parse refuses
		 * what is larger) */
		return 0;
	default:
		return -1;
	}
}

double xlsx_cell_value(int64_t minor, int decimals)
{
	/* |minor| ≤ 10^15 < 2^53: exact as a double, and one correctly
	 * rounded division gives the double nearest the amount */
	return decimals == 2 ? (double)minor / 100.0 : (double)minor;
}

/* The length of the UTF-8 sequence at s when it is a well-formed one,
 * else 0. */
static size_t xlsx_utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
		 : (c & 0xF8) == 0xF0 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if (!s[i])
			return 0;
	return n && text_utf8_valid(s, n) ? n : 0;
}

void xlsx_sheet_name(const char *prefix, const char *subject, char out[XLSX_SHEET_NAME_SIZE])
{
	/* room for more than 31 characters of 4 bytes: the name is cut below */
	char full[2 * XLSX_SHEET_NAME_SIZE];
	size_t o = 0, units = 0, cut = 0;   /* cut: out's bytes within 30 units */

	snprintf(full, sizeof(full), "%s%s%s", prefix, subject && *subject ? " " : "",
		 subject ? subject : "");
	for (const char *s = full; *s;) {
		size_t ctl = text_control_at(s), n = ctl ? 0 : xlsx_utf8_len(s);
		size_t u = n == 4 ? 2 : 1;

		if (units + u > XLSX_SHEET_CHARS) {
			o = cut;
			out[o++] = '~';
			break;
		}
		if (n == 0 || (n == 1 && strchr("[]:*?/\\", *s))) {
			out[o++] = '_';
			s += ctl ? ctl : 1;
		} else {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		}
		units += u;
		if (units <= XLSX_SHEET_CHARS - 1)
			cut = o;
	}
	out[o] = '\0';
	if (out[0] == '\'')
		out[0] = '_';
	if (o && out[o - 1] == '\'')
		out[o - 1] = '_';
}

void xlsx_sheet_continued(const char *sheet, int n, char out[XLSX_SHEET_NAME_SIZE])
{
	char suffix[16];
	size_t o = 0, units = 0, slen = (size_t)snprintf(suffix, sizeof(suffix), " (%d)", n);

	for (const char *s = sheet; *s;) {
		unsigned char c = (unsigned char)*s;
		size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		size_t u = len == 4 ? 2 : 1;

		if (units + u + slen > XLSX_SHEET_CHARS || strnlen(s, len) < len)
			break;
		memcpy(out + o, s, len);
		o += len;
		s += len;
		units += u;
	}
	memcpy(out + o, suffix, slen + 1);
}

/* ---- the workbook ---- */

static int xlsx_fail(struct xlsx_out *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int xlsx_fail(struct xlsx_out *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, XLSX_WHY_SIZE, fmt, ap);
	va_end(ap);
	return -1;
}

/* Characters of s, as a column's width counts them. */
static size_t xlsx_chars(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void xlsx_release(struct xlsx_out *x)
{
	if (x->wb) {
		/* a workbook that is not written: libxlsxwriter 1.1.4 frees it
		 * but leaves the sheet's temporary file open */
		lxw_worksheet *ws;

		LXW_FOREACH_WORKSHEET(ws, x->wb) {
			if (ws->optimize_tmpfile) {
				fclose(ws->optimize_tmpfile);
				ws->optimize_tmpfile = NULL;
				ws->file = NULL;
			}
		}
		lxw_workbook_free(x->wb);
	}
	x->wb = NULL;
	if (x->path[0])
		unlink(x->path);
	free(x);
}

/* A new sheet and its header row: the rows go on there. */
static int xlsx_add_sheet(struct xlsx_out *x, const char *sheet)
{
	if (!(x->ws = workbook_add_worksheet(x->wb, sheet)))
		return xlsx_fail(x, "cannot add the sheet \"%.40s\" (its temporary file in %.150s?)",
				 sheet, x->tmpdir);
	x->nsheets++;
	for (size_t c = 0; c < x->ncols; c++) {
		/* room for the filter's button beside a header */
		x->width[c] = xlsx_chars(x->names[c]) + 3;
		if (worksheet_write_string(x->ws, 0, (lxw_col_t)c, x->names[c], x->bold) !=
		    LXW_NO_ERROR)
			return xlsx_fail(x, "cannot start a sheet: out of memory");
	}
	x->row = 1;
	return 0;
}

/* The current sheet's last touches, once its rows are written: widths,
 * autofilter, frozen header (libxlsxwriter writes them when the workbook
 * closes, so in constant-memory mode too). */
static int xlsx_finish_sheet(struct xlsx_out *x)
{
	lxw_row_t last = x->row - 1;
	lxw_col_t lastcol = (lxw_col_t)(x->ncols - 1);
	char range[64];

	for (size_t c = 0; c < x->ncols; c++)
		/* (a width in characters, which libxlsxwriter takes as a double) */
		if (worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c,
					 (double)(x->width[c] > XLSX_MAX_WIDTH ? XLSX_MAX_WIDTH
										: x->width[c]),
					 NULL) != LXW_NO_ERROR)
			return xlsx_fail(x, "cannot set the column widths");
	if (worksheet_autofilter(x->ws, 0, 0, last, lastcol) != LXW_NO_ERROR)
		return xlsx_fail(x, "cannot set the autofilter");
	worksheet_freeze_panes(x->ws, 1, 0);
	/* codes as text that look like numbers (00123) are meant so: no
	 * "number stored as text" mark on them */
	lxw_rowcol_to_range(range, 0, 0, last, lastcol);
	if (worksheet_ignore_errors(x->ws, LXW_IGNORE_NUMBER_STORED_AS_TEXT, range) != LXW_NO_ERROR)
		return xlsx_fail(x, "cannot mark the text cells");
	/* libxlsxwriter does not check its writes to the sheet's temporary
	 * file (a full disk, a file size limit): a workbook made from what
	 * did reach it would be short of rows */
	if (x->ws->optimize_tmpfile &&
	    (fflush(x->ws->optimize_tmpfile) != 0 || ferror(x->ws->optimize_tmpfile)))
		return xlsx_fail(x, "cannot write the sheet's temporary file in %s: %s", x->tmpdir,
				 errno ? strerror(errno) : "write error");
	return 0;
}

struct xlsx_out *xlsx_begin(const char *sheet, size_t ncols, const char *const *names,
			    const enum xlsx_cell *types, char *why)
{
	struct xlsx_out *x = calloc(1, sizeof(*x));
	const char *tmp = getenv("TMPDIR");
	lxw_workbook_options opt = {0};
	lxw_doc_properties props = {0};
	int fd;

	why[0] = '\0';
	if (!x) {
		snprintf(why, XLSX_WHY_SIZE, "out of memory");
		return NULL;
	}
	x->why = why;
	if (ncols == 0 || ncols > XLSX_MAX_COLS) {
		snprintf(why, XLSX_WHY_SIZE, "a sheet of %zu columns", ncols);
		goto fail;
	}
	x->ncols = ncols;
	x->names = names;
	x->types = types;
	snprintf(x->tmpdir, sizeof(x->tmpdir), "%s", tmp && *tmp ? tmp : "/tmp");
	if ((size_t)snprintf(x->path, sizeof(x->path), "%s/accrue-xlsx.XXXXXX", x->tmpdir) >=
	    sizeof(x->path)) {
		x->path[0] = '\0';
		snprintf(why, XLSX_WHY_SIZE, "TMPDIR is too long");
		goto fail;
	}
	if ((fd = mkstemp(x->path)) < 0) {
		snprintf(why, XLSX_WHY_SIZE, "cannot make a temporary file in %.200s: %s", x->tmpdir,
			 strerror(errno));
		x->path[0] = '\0';
		goto fail;
	}
	close(fd);
	opt.constant_memory = LXW_TRUE;
	opt.tmpdir = x->tmpdir;
	if (!(x->wb = workbook_new_opt(x->path, &opt))) {
		snprintf(why, XLSX_WHY_SIZE, "cannot start a workbook (out of memory?)");
		goto fail;
	}
	props.title = (char *)sheet;
	props.author = "accrue";
	props.created = XLSX_CREATED;
	if (workbook_set_properties(x->wb, &props) != LXW_NO_ERROR)
		goto lxw_fail;
	snprintf(x->sheet, sizeof(x->sheet), "%s", sheet);
	if (!(x->bold = workbook_add_format(x->wb)) || !(x->text = workbook_add_format(x->wb)) ||
	    !(x->date = workbook_add_format(x->wb)) || !(x->amount = workbook_add_format(x->wb)) ||
	    !(x->integer = workbook_add_format(x->wb)))
		goto lxw_fail;
	format_set_bold(x->bold);
	format_set_num_format(x->text, "@");
	format_set_num_format(x->date, "yyyy-mm-dd");
	format_set_num_format(x->amount, "#,##0.00");
	format_set_num_format(x->integer, "0");
	if (xlsx_add_sheet(x, sheet))
		goto fail;
	return x;
lxw_fail:
	snprintf(why, XLSX_WHY_SIZE, "cannot start a workbook: out of memory");
fail:
	xlsx_release(x);
	return NULL;
}

/* The displayed width of an amount with `#,##0.00`: its digits, sign and
 * point, and a separator per group of three digits. */
static size_t xlsx_amount_width(const char *s)
{
	size_t n = strlen(s), digits = strcspn(s[0] == '-' ? s + 1 : s, ".");

	return n + (digits > 3 ? (digits - 1) / 3 : 0);
}

static int xlsx_cell_write(struct xlsx_out *x, size_t c, const char *s)
{
	lxw_col_t col = (lxw_col_t)c;
	lxw_error le = LXW_NO_ERROR;
	size_t w = xlsx_chars(s);
	unsigned long row = (unsigned long)x->row + 1;  /* as Excel numbers it */
	int64_t minor = 0;
	int kind;
	date_t d;

	switch (x->types[c]) {
	case XLSX_TEXT:
		le = worksheet_write_string(x->ws, x->row, col, s, x->text);
		break;
	case XLSX_DATE: {
		int y, m, dd;
		lxw_datetime dt = {0};

		if (date_parse(s, &d) != 0)
			return xlsx_fail(x, "row %lu, column %s: \"%.40s\" is not a date", row,
					 x->names[c], s);
		date_to_ymd(d, &y, &m, &dd);
		dt.year = y;
		dt.month = m;
		dt.day = dd;
		le = worksheet_write_datetime(x->ws, x->row, col, &dt, x->date);
		break;
	}
	case XLSX_AMOUNT:
	case XLSX_INTEGER: {
		int decimals = x->types[c] == XLSX_AMOUNT ? 2 : 0;

		if ((kind = xlsx_number(s, decimals, &minor)) < 0)
			return xlsx_fail(x, "row %lu, column %s: \"%.40s\" is not %s", row,
					 x->names[c], s, decimals ? "an amount" : "a whole number");
		if (kind && decimals)
			w = xlsx_amount_width(s);
		/* the int64 becomes the double the file format stores here, in
		 * the call that writes the cell, and nowhere else */
		le = kind ? worksheet_write_number(x->ws, x->row, col,
						   xlsx_cell_value(minor, decimals),
						   decimals ? x->amount : x->integer)
			  : worksheet_write_string(x->ws, x->row, col, s, x->text);
		break;
	}
	}
	if (le == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED)
		return xlsx_fail(x, "row %lu, column %s: text longer than the 32,767 characters "
				 "an Excel cell holds", row, x->names[c]);
	if (le != LXW_NO_ERROR)
		return xlsx_fail(x, "row %lu, column %s: %s", row, x->names[c], lxw_strerror(le));
	if (w + 1 > x->width[c])
		x->width[c] = w + 1;
	return 0;
}

int xlsx_row(struct xlsx_out *x, const char *const *cells)
{
	if (x->row >= XLSX_MAX_ROWS) {
		/* a sheet is full: the rows go on in the next, under the same
		 * header, named "NAME (2)", "NAME (3)" ... */
		char next[XLSX_SHEET_NAME_SIZE];

		xlsx_sheet_continued(x->sheet, x->nsheets + 1, next);
		if (xlsx_finish_sheet(x) || xlsx_add_sheet(x, next))
			return -1;
	}
	for (size_t c = 0; c < x->ncols; c++)
		if (cells[c] && *cells[c] && xlsx_cell_write(x, c, cells[c]))
			return -1;
	x->row++;
	return 0;
}

/* Copy the finished workbook at x->path to out; the file is removed as
 * soon as it is open. */
static int xlsx_copy(struct xlsx_out *x, FILE *out)
{
	char buf[65536];
	FILE *in = fopen(x->path, "rb");
	size_t n;
	int rc = 0, saved = 0;

	if (!in)
		return xlsx_fail(x, "cannot read the workbook back from %s: %s", x->tmpdir,
				 strerror(errno));
	unlink(x->path);
	x->path[0] = '\0';
	while (!rc && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			saved = errno;
			rc = xlsx_fail(x, "%s", strerror(saved ? saved : EIO));
		}
	if (!rc && ferror(in))
		rc = xlsx_fail(x, "cannot read the workbook back from %s: %s", x->tmpdir,
			       strerror(errno));
	fclose(in);
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = xlsx_fail(x, "%s", strerror(errno ? errno : EIO));
	return rc;
}

int xlsx_end(struct xlsx_out *x, FILE *out)
{
	lxw_error le;
	int rc = xlsx_finish_sheet(x);

	if (rc) {
		xlsx_release(x);
		return -1;
	}
	le = workbook_close(x->wb);
	x->wb = NULL;
	if (le != LXW_NO_ERROR)
		rc = xlsx_fail(x, "cannot write the workbook: %s (in %s)", lxw_strerror(le), x->tmpdir);
	else
		rc = xlsx_copy(x, out);
	xlsx_release(x);
	return rc;
}

void xlsx_abort(struct xlsx_out *x)
{
	if (x)
		xlsx_release(x);
}
