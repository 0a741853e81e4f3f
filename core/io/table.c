#include "table.h"

#include <string.h>

#include "text.h"

int table_parse_format(const char *s, enum table_format *f)
{
	if (strcmp(s, "csv") == 0)
		*f = TABLE_CSV;
	else if (strcmp(s, "table") == 0)
		*f = TABLE_TEXT;
	else if (strcmp(s, "xlsx") == 0)
		*f = TABLE_XLSX;
	else
		return -1;
	return 0;
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t table_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* A control character a terminal would obey (ESC sequences, C1 CSI …):
 * its length, to be written as one '?' (line breaks and tabs are the
 * callers' to handle). */
static size_t table_control(const char *s)
{
	if (*s == '\r' || *s == '\n' || *s == '\t')
		return 0;
	return text_control_at(s);
}

static void table_csv_field(FILE *out, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', out);
	for (; *s; s++) {
		size_t n = table_control(s);

		if (n) {
			fputc('?', out);
			s += n - 1;
			continue;
		}
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	if (quote)
		fputc('"', out);
}

static void table_csv_row(struct table_out *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			fputc(',', t->out);
		table_csv_field(t->out, cells[i] ? cells[i] : "");
	}
	fputc('\n', t->out);
}

/* Text lines are written through a count of pending blanks, so that padding
 * only reaches the stream when something follows it: no trailing blanks. */
static void table_put(struct table_out *t, size_t *blanks, const char *s)
{
	if (!*s)
		return;
	for (; *blanks; (*blanks)--)
		fputc(' ', t->out);
	fputs(s, t->out);
}

static void table_text_cell(struct table_out *t, size_t *blanks, size_t col, const char *s)
{
	size_t w = table_width(s), pad = t->width[col] > w ? t->width[col] - w : 0;

	if (col)
		*blanks += 2;
	if (t->align[col] == TABLE_RIGHT) {
		*blanks += pad;
		table_put(t, blanks, s);
	} else {
		table_put(t, blanks, s);
		*blanks += pad;
	}
}

static void table_text_header(struct table_out *t)
{
	size_t blanks = 0;

	if (t->header_shown)
		fputc('\n', t->out);
	for (size_t i = 0; i < t->ncols; i++)
		table_text_cell(t, &blanks, i, t->names[i]);
	fputc('\n', t->out);
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			fputs("  ", t->out);
		for (size_t k = 0; k < t->width[i]; k++)
			fputc('-', t->out);
	}
	fputc('\n', t->out);
	memcpy(t->header_width, t->width, sizeof(t->width));
	t->header_shown = 1;
}

/* Print the buffered chunk, widening the columns for it first. */
static void table_text_flush(struct table_out *t)
{
	const char *p = t->buf.p;
	size_t col = 0;

	for (size_t i = 0; i < t->nrows * t->ncols; i++) {
		size_t w = table_width(p);

		if (w > t->width[col])
			t->width[col] = w;
		p += strlen(p) + 1;
		col = (col + 1) % t->ncols;
	}
	if (!t->header_shown || memcmp(t->width, t->header_width, sizeof(t->width)) != 0)
		table_text_header(t);
	p = t->buf.p;
	for (size_t r = 0; r < t->nrows; r++) {
		size_t blanks = 0;

		for (size_t c = 0; c < t->ncols; c++) {
			table_text_cell(t, &blanks, c, p);
			p += strlen(p) + 1;
		}
		fputc('\n', t->out);
	}
	t->nrows = 0;
	sbuf_reset(&t->buf);
}

int table_begin_sheet(struct table_out *t, FILE *out, enum table_format f, size_t ncols,
		      const char *const *names, const enum table_align *align,
		      const enum xlsx_cell *types, const char *sheet)
{
	memset(t, 0, sizeof(*t));
	if (ncols == 0 || ncols > TABLE_MAX_COLS || (f == TABLE_XLSX && (!types || !sheet))) {
		snprintf(t->why, sizeof(t->why), "internal: a table of %zu columns", ncols);
		t->failed = 1;
		return -1;
	}
	t->out = out;
	t->format = f;
	t->ncols = ncols;
	t->names = names;
	t->align = align;
	sbuf_init(&t->buf, TABLE_CHUNK_BYTES + TABLE_MAX_ROW);
	if (f == TABLE_CSV) {
		table_csv_row(t, names);
	} else if (f == TABLE_XLSX) {
		if (!(t->xlsx = xlsx_begin(sheet, ncols, names, types, t->why))) {
			t->failed = 1;
			return -1;
		}
	} else {
		for (size_t i = 0; i < ncols; i++)
			t->width[i] = table_width(names[i]);
	}
	return 0;
}

int table_begin(struct table_out *t, FILE *out, enum table_format f, size_t ncols,
		const char *const *names, const enum table_align *align)
{
	return table_begin_sheet(t, out, f, ncols, names, align, NULL, NULL);
}

static int table_has_control(const char *s)
{
	for (; *s; s++)
		if (table_control(s))
			return 1;
	return 0;
}

/* A row for the workbook: the cells as the CSV writes them (a control
 * character as '?', line breaks and tabs kept), copied into t->buf only
 * when they hold such a character. */
static int table_xlsx_row(struct table_out *t, const char *const *cells)
{
	const char *row[TABLE_MAX_COLS];
	size_t at[TABLE_MAX_COLS];

	sbuf_reset(&t->buf);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		int rc = 0;

		row[i] = s;
		at[i] = (size_t)-1;
		if (!table_has_control(s))
			continue;
		at[i] = t->buf.len;
		for (; *s && !rc; s++) {
			size_t n = table_control(s);

			rc = sbuf_addc(&t->buf, n ? '?' : *s);
			if (n)
				s += n - 1;
		}
		if (rc || sbuf_addc(&t->buf, '\0')) {
			snprintf(t->why, sizeof(t->why), "a row larger than %d bytes", TABLE_MAX_ROW);
			return -1;
		}
	}
	/* (the buffer may have moved as it grew: the pointers only now) */
	for (size_t i = 0; i < t->ncols; i++)
		if (at[i] != (size_t)-1)
			row[i] = t->buf.p + at[i];
	return xlsx_row(t->xlsx, row);
}

int table_row(struct table_out *t, const char *const *cells)
{
	size_t start = t->buf.len;

	if (t->format == TABLE_CSV) {
		table_csv_row(t, cells);
		return ferror(t->out) ? (t->failed = 1, -1) : 0;
	}
	if (t->format == TABLE_XLSX)
		return table_xlsx_row(t, cells) ? (t->failed = 1, -1) : 0;
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		int rc = 0;

		for (; *s && !rc; s++) {
			size_t n = table_control(s);

			if (n) {
				rc = sbuf_addc(&t->buf, '?');
				s += n - 1;
			} else {
				rc = sbuf_addc(&t->buf, (*s == '\r' || *s == '\n' || *s == '\t') ? ' ' : *s);
			}
		}
		if (rc || sbuf_addc(&t->buf, '\0') || t->buf.len - start > TABLE_MAX_ROW) {
			t->buf.len = start;  /* drop the partial row */
			if (t->buf.p)
				t->buf.p[start] = '\0';
			t->failed = 1;
			return -1;
		}
	}
	if (++t->nrows >= TABLE_CHUNK_ROWS || t->buf.len >= TABLE_CHUNK_BYTES)
		table_text_flush(t);
	return ferror(t->out) ? (t->failed = 1, -1) : 0;
}

int table_end(struct table_out *t)
{
	if (t->format == TABLE_XLSX) {
		struct xlsx_out *x = t->xlsx;

		t->xlsx = NULL;
		sbuf_free(&t->buf);
		if (t->failed || !x) {
			xlsx_abort(x);
			return -1;
		}
		return xlsx_end(x, t->out) ? (t->failed = 1, -1) : 0;
	}
	if (t->format == TABLE_TEXT && (t->nrows || !t->header_shown))
		table_text_flush(t);
	sbuf_free(&t->buf);
	if (fflush(t->out) != 0 || ferror(t->out))
		t->failed = 1;
	return t->failed ? -1 : 0;
}

void table_abort(struct table_out *t)
{
	if (t->format == TABLE_XLSX) {
		xlsx_abort(t->xlsx);
		t->xlsx = NULL;
		sbuf_free(&t->buf);
		return;
	}
	if (t->out)
		table_end(t);
	else
		sbuf_free(&t->buf);
}
