#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sbuf.h"

struct reader {
	const struct csvin_cb *cb;
	struct csv_parser p;
	long line;          /* physical line being fed */
	long row_line;      /* line the current row started on */
	size_t row_bytes;   /* bytes of the current row fed to libcsv so far */
	int row_bad;        /* the current row already had an error: drop it */
	int stop;
	struct sbuf data;   /* field bytes of the current row, NUL-separated */
	size_t off[CSVIN_MAX_FIELDS + 1];
	size_t len[CSVIN_MAX_FIELDS + 1];
	size_t n;           /* fields so far */
	int too_many;
};

static void row_reset(struct reader *r)
{
	sbuf_reset(&r->data);
	r->n = 0;
	r->too_many = 0;
	r->row_bad = 0;
}

static void report(struct reader *r, long line, int field, const char *msg)
{
	r->cb->on_error(r->cb->ctx, line, field, msg);
}

/* A row over CSVIN_MAX_ROW is a quoted field running on over many lines (an
 * unclosed quote, or a huge value): where it ends cannot be known, and
 * reading on would take the rest of the field for rows of their own, each
 * one false error.  So it is reported once and the file is read no
 * further (it is refused whole anyway). */
static void row_too_long(struct reader *r)
{
	report(r, r->row_line, (int)r->n,
	       "the row is longer than its cap of 256 KiB (a quoted field that does not end?); "
	       "the rest of the file is not read");
	r->row_bad = 1;
	r->stop = 1;
}

static void on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;

	if (r->row_bad)
		return;
	if (r->n >= CSVIN_MAX_FIELDS) {
		r->too_many = 1;
		return;
	}
	r->off[r->n] = r->data.len;
	r->len[r->n] = len;
	if (sbuf_add(&r->data, s ? s : "", s ? len : 0) || sbuf_addc(&r->data, '\0')) {
		row_too_long(r);
		return;
	}
	r->n++;
}

static void on_row_end(int c, void *data)
{
	struct reader *r = data;
	char *field[CSVIN_MAX_FIELDS];
	struct csvin_row row;

	(void)c;
	if (r->stop)
		return;
	if (r->too_many) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the row has more than %d fields", CSVIN_MAX_FIELDS);
		report(r, r->row_line, -1, msg);
	} else if (!r->row_bad && !(r->n == 1 && r->len[0] == 0)) {
		for (size_t i = 0; i < r->n; i++)
			field[i] = r->data.p + r->off[i];
		row.line = r->row_line;
		row.n = r->n;
		row.field = field;
		row.len = r->len;
		if (r->cb->on_row(r->cb->ctx, &row))
			r->stop = 1;
	}
	row_reset(r);
}

/* After a syntax error libcsv cannot go on: start afresh at the next line. */
static void parser_restart(struct reader *r)
{
	csv_free(&r->p);
	csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	row_reset(r);
}

static void feed_line(struct reader *r, const char *s, size_t len)
{
	if (r->p.pstate == 0) {  /* ROW_NOT_BEGUN: a new row starts on this line */
		r->row_line = r->line;
		r->row_bytes = 0;
	}
	if (memchr(s, '\0', len)) {
		report(r, r->line, -1, "the line holds a NUL byte (is this a text file?)");
		parser_restart(r);
		return;
	}
	/* libcsv holds a field in its own buffer, grown without bound, until the
	 * field ends: cap the row before feeding it, or one unclosed quote would
	 * pull the rest of the file into memory. */
	if (len > CSVIN_MAX_ROW - r->row_bytes) {
		if (!r->row_bad)
			row_too_long(r);
		parser_restart(r);
		return;
	}
	r->row_bytes += len;
	if (csv_parse(&r->p, s, len, on_field, on_row_end, r) != len) {
		int field = r->row_bad ? -1 : (int)r->n;
		report(r, r->line, field, csv_error(&r->p) == CSV_EPARSE
		       ? "malformed quoting: a quote inside an unquoted field, or text after a closing quote"
		       : "cannot parse the line (out of memory)");
		parser_restart(r);
	}
}

int csvin_read(const char *path, const struct csvin_cb *cb, struct err *e)
{
	struct reader r;
	FILE *f;
	char *buf = NULL;
	size_t cap = CSVIN_MAX_LINE + 2, have = 0, start = 0;
	int rc = 0, eof = 0, skipping = 0;

	memset(&r, 0, sizeof(r));
	r.cb = cb;
	sbuf_init(&r.data, CSVIN_MAX_ROW);
	f = fopen(path, "rb");
	if (!f)
		return err_set(e, EXIT_DATAERR, "%s: cannot open: %s", path, strerror(errno));
	{
		struct stat st;

		/* a directory opens, then fails to read: say what it is (a pipe
		 * or /dev/stdin is read as a file) */
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			fclose(f);
			return err_set(e, EXIT_DATAERR, "%s: is a directory, not a CSV file", path);
		}
	}
	buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return err_set(e, EXIT_FAIL, "%s: out of memory", path);
	}
	csv_init(&r.p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);

	/* Split into physical lines (each keeping its '\n'); a line longer
	 * than CSVIN_MAX_LINE is reported and skipped. */
	while (!r.stop) {
		char *nl = have > start ? memchr(buf + start, '\n', have - start) : NULL;
		size_t take;

		if (!nl && !eof) {
			size_t got;

			if (start > 0) {
				memmove(buf, buf + start, have - start);
				have -= start;
				start = 0;
			}
			if (have == cap) {
				/* A full buffer with no newline: too long. */
				if (!skipping) {
					r.line++;
					/* the header line: nothing after it can be read */
					report(&r, r.line, -1, r.line == 1
					       ? "the header line is longer than its cap of 64 KiB; the rest "
						 "of the file is not read"
					       : "the line is longer than its cap of 64 KiB");
					parser_restart(&r);
					skipping = 1;
					if (r.line == 1)
						r.stop = 1;
				}
				have = 0;
			}
			got = fread(buf + have, 1, cap - have, f);
			if (got == 0) {
				if (ferror(f)) {
					rc = err_set(e, EXIT_FAIL, "%s: read error: %s", path, strerror(errno));
					goto out;
				}
				eof = 1;
			}
			have += got;
			continue;
		}
		if (!nl && start == have)
			break;  /* end of file */
		take = nl ? (size_t)(nl - (buf + start)) + 1 : have - start;
		if (skipping) {
			skipping = 0;  /* the rest of the over-long line */
		} else {
			char *s = buf + start;
			size_t len = take;

			r.line++;
			if (r.line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
				s += 3;
				len -= 3;
			}
			feed_line(&r, s, len);
		}
		start += take;
	}
	if (!r.stop && csv_fini(&r.p, on_field, on_row_end, &r) != 0)
		report(&r, r.row_line, r.row_bad ? -1 : (int)r.n,
		       "unterminated quoted field at the end of the file");
out:
	csv_free(&r.p);
	sbuf_free(&r.data);
	free(buf);
	fclose(f);
	return rc;
}
