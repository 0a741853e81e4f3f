/*
 * Unit tests of core/csvin: rows and the physical line each starts on (also
 * when a quoted field holds newlines), CRLF, the UTF-8 byte-order mark, blank
 * lines, and every structural error reported at its line with reading going
 * on at the next line: a stray quote, an unterminated quoted field, a line,
 * row or field count over its cap, a NUL byte.  Each case writes a temporary
 * file and reads it with csvin_read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csvin.h"

#define MAX_SEEN 32
#define SEEN_SIZE 1024

/* What one csvin_read delivered: each row as "LINE:f1|f2|...", each error
 * as "LINE:FIELD" plus its message.  Rows past the first MAX_SEEN are only
 * counted, and the last one kept. */
struct seen {
	char row[MAX_SEEN][SEEN_SIZE];
	size_t row_n[MAX_SEEN];   /* fields in each row */
	int nrows;
	char last_row[SEEN_SIZE];
	char err[MAX_SEEN][32];
	char err_msg[MAX_SEEN][256];
	int nerrs;
	int stop_after;           /* on_row asks to stop after this many rows (0: never) */
};

struct fixture {
	char path[256];
	struct seen seen;
};

static int on_row(void *ctx, const struct csvin_row *row)
{
	struct seen *s = ctx;
	char *out;
	size_t left, used;

	out = s->nrows < MAX_SEEN ? s->row[s->nrows] : s->last_row;
	left = SEEN_SIZE;
	used = (size_t)snprintf(out, left, "%ld:", row->line);
	for (size_t i = 0; i < row->n; i++) {
		/* No NUL inside a field in these cases: len agrees with the string. */
		assert_int_equal(row->len[i], strlen(row->field[i]));
		if (used < left)
			used += (size_t)snprintf(out + used, left - used, "%s%s",
						 i ? "|" : "", row->field[i]);
	}
	if (s->nrows < MAX_SEEN)
		s->row_n[s->nrows] = row->n;
	if (out != s->last_row)
		memcpy(s->last_row, out, SEEN_SIZE);
	s->nrows++;
	return s->stop_after && s->nrows >= s->stop_after;
}

static void on_error(void *ctx, long line, int field, const char *msg)
{
	struct seen *s = ctx;

	assert_true(s->nerrs < MAX_SEEN);
	snprintf(s->err[s->nerrs], sizeof(s->err[0]), "%ld:%d", line, field);
	snprintf(s->err_msg[s->nerrs], sizeof(s->err_msg[0]), "%s", msg);
	s->nerrs++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/accrue-test-csvin.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(f->path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

/* Write len bytes of data to the fixture's file and read it back: csvin_read
 * must succeed.  What it delivered is in the fixture's `seen`. */
static struct seen *read_bytes(void **state, const char *data, size_t len)
{
	struct fixture *f = *state;
	FILE *out = fopen(f->path, "wb");
	struct csvin_cb cb;
	struct err e = {0};
	int stop_after = f->seen.stop_after;

	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	memset(&f->seen, 0, sizeof(f->seen));
	f->seen.stop_after = stop_after;
	cb.on_row = on_row;
	cb.on_error = on_error;
	cb.ctx = &f->seen;
	if (csvin_read(f->path, &cb, &e) != 0)
		fail_msg("csvin_read failed: %s", e.msg);
	return &f->seen;
}

static struct seen *read_text(void **state, const char *text)
{
	return read_bytes(state, text, strlen(text));
}

static void expect_error(const struct seen *s, int i, const char *where, const char *what)
{
	assert_true(i < s->nerrs);
	assert_string_equal(s->err[i], where);
	if (!strstr(s->err_msg[i], what))
		fail_msg("expected \"%s\" in \"%s\"", what, s->err_msg[i]);
}

/* A buffer of n bytes of 'x' followed by tail, NUL-terminated; free it. */
static char *long_text(const char *head, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *p = malloc(hl + n + tl + 1);

	assert_non_null(p);
	memcpy(p, head, hl);
	memset(p + hl, 'x', n);
	memcpy(p + hl + n, tail, tl + 1);
	return p;
}

static void test_csvin_simple(void **state)
{
	struct seen *s = read_text(state, "id,name,amount\n1,\"Smith, J.\",12.50\n2,\"say \"\"hi\"\"\",\n");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 3);
	assert_string_equal(s->row[0], "1:id|name|amount");
	assert_string_equal(s->row[1], "2:1|Smith, J.|12.50");
	assert_string_equal(s->row[2], "3:2|say \"hi\"|");
	assert_int_equal(s->row_n[2], 3);
}

/* The row starting on line 2 has a quoted field over lines 2–4: the next row
 * starts on line 5. */
static void test_csvin_multiline_field(void **state)
{
	struct seen *s = read_text(state,
				   "id,note\n"
				   "1,\"first\n"
				   "second\n"
				   "third\"\n"
				   "2,plain\n"
				   "3,\"a\n"
				   "\"\n"
				   "4,end\n");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 5);
	assert_string_equal(s->row[0], "1:id|note");
	assert_string_equal(s->row[1], "2:1|first\nsecond\nthird");
	assert_string_equal(s->row[2], "5:2|plain");
	assert_string_equal(s->row[3], "6:3|a\n");
	assert_string_equal(s->row[4], "8:4|end");
}

static void test_csvin_crlf(void **state)
{
	static const char lf[] = "id,name\n1,\"x\"\n2,\n,\n\"3\",\"y\"\n";
	static const char crlf[] = "id,name\r\n1,\"x\"\r\n2,\r\n,\r\n\"3\",\"y\"\r\n";
	struct seen a, *b;

	a = *read_text(state, lf);
	b = read_text(state, crlf);
	assert_int_equal(a.nerrs, 0);
	assert_int_equal(b->nerrs, 0);
	assert_int_equal(a.nrows, 5);
	assert_int_equal(b->nrows, a.nrows);
	for (int i = 0; i < a.nrows; i++) {
		assert_string_equal(b->row[i], a.row[i]);
		assert_int_equal(b->row_n[i], a.row_n[i]);
	}
	assert_string_equal(b->row[0], "1:id|name");
	assert_string_equal(b->row[2], "3:2|");
	assert_string_equal(b->row[3], "4:|");
	assert_string_equal(b->row[4], "5:3|y");
}

/* CRLF inside a quoted field: the line count still follows the '\n's. */
static void test_csvin_crlf_multiline(void **state)
{
	struct seen *s = read_text(state, "a,\"b\r\nc\"\r\nd,e\r\n");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "1:a|b\r\nc");
	assert_string_equal(s->row[1], "3:d|e");
}

static void test_csvin_bom(void **state)
{
	struct seen *s = read_text(state, "\xEF\xBB\xBFid,name\n1,x\n");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "1:id|name");
	assert_string_equal(s->row[1], "2:1|x");

	/* A quoted first field after the mark. */
	s = read_text(state, "\xEF\xBB\xBF\"id\",name\n");
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 1);
	assert_string_equal(s->row[0], "1:id|name");

	/* Only at the start of the file. */
	s = read_text(state, "id\n\xEF\xBB\xBFx\n");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:\xEF\xBB\xBFx");

	/* A file that is only the mark. */
	s = read_text(state, "\xEF\xBB\xBF");
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 0);
}

static void test_csvin_blank_lines(void **state)
{
	struct seen *s = read_text(state, "\na,b\n\n\r\n\nc,d\n\n");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "2:a|b");
	assert_string_equal(s->row[1], "6:c|d");
}

/* `a"b`: reported at its line; the rest of the line is dropped and reading
 * goes on with the next line. */
static void test_csvin_stray_quote(void **state)
{
	struct seen *s = read_text(state,
				   "id,name\n"
				   "1,a\"b\n"
				   "2,ok\n"
				   "3,\"closed\"x\n"
				   "4,\"fine\"\n");

	assert_int_equal(s->nerrs, 2);
	expect_error(s, 0, "2:1", "malformed quoting");
	expect_error(s, 1, "4:1", "malformed quoting");
	assert_int_equal(s->nrows, 3);
	assert_string_equal(s->row[0], "1:id|name");
	assert_string_equal(s->row[1], "3:2|ok");
	assert_string_equal(s->row[2], "5:4|fine");
}

/* A stray quote on a later line of a multi-line row: reported at that line. */
static void test_csvin_stray_quote_multiline(void **state)
{
	struct seen *s = read_text(state, "1,\"open\nclosed\"x\n2,ok\n");

	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "2:1", "malformed quoting");
	assert_int_equal(s->nrows, 1);
	assert_string_equal(s->row[0], "3:2|ok");
}

/* Reported at the line the row starts on. */
static void test_csvin_unterminated(void **state)
{
	struct seen *s = read_text(state, "id,name\n1,ok\n2,\"open\nmore\n");

	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "3:1", "unterminated quoted field");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:1|ok");

	s = read_text(state, "\"");
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "1:0", "unterminated quoted field");
	assert_int_equal(s->nrows, 0);
}

static void test_csvin_long_line(void **state)
{
	char *text = long_text("a,1\nb,", 2 * CSVIN_MAX_LINE + 100, "\nc,3\n");
	struct seen *s = read_text(state, text);

	free(text);
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "2:-1", "longer than its cap");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "1:a|1");
	assert_string_equal(s->row[1], "3:c|3");
}

/* Two over-long lines one after the other, the second one the last line of
 * the file without a newline. */
static void test_csvin_long_lines(void **state)
{
	size_t n = CSVIN_MAX_LINE + 10;
	char *text = malloc(2 * n + 16);
	struct seen *s;

	assert_non_null(text);
	memcpy(text, "a\n", 2);
	memset(text + 2, 'x', n);
	text[2 + n] = '\n';
	memset(text + 3 + n, 'y', n);
	memcpy(text + 3 + 2 * n, "\nb\n", 4);
	s = read_text(state, text);
	assert_int_equal(s->nerrs, 2);
	expect_error(s, 0, "2:-1", "longer than its cap");
	expect_error(s, 1, "3:-1", "longer than its cap");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "1:a");
	assert_string_equal(s->row[1], "4:b");

	text[3 + 2 * n] = '\0';  /* the second long line is now the last */
	s = read_text(state, text);
	free(text);
	assert_int_equal(s->nerrs, 2);
	expect_error(s, 1, "3:-1", "longer than its cap");
	assert_int_equal(s->nrows, 1);
}

/* A line of exactly CSVIN_MAX_LINE bytes before its line end is read, with
 * LF and with CRLF. */
static void test_csvin_line_at_cap(void **state)
{
	char *text = long_text("a\n", CSVIN_MAX_LINE, "\nb\n");
	struct seen *s = read_text(state, text);

	free(text);
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 3);
	assert_int_equal(s->row_n[1], 1);
	assert_string_equal(s->row[2], "3:b");

	text = long_text("a\r\n", CSVIN_MAX_LINE, "\r\nb\r\n");
	s = read_text(state, text);
	free(text);
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 3);
	assert_string_equal(s->row[2], "3:b");
}

/* A quoted field over several lines, each under the line cap, that makes the
 * row longer than CSVIN_MAX_ROW: reported once, at the row's first line,
 * and the file is read no further (reading on would take the rest of the
 * field for rows of their own, each one a false error). */
static void test_csvin_long_row(void **state)
{
	size_t per = CSVIN_MAX_LINE / 2;
	size_t lines = CSVIN_MAX_ROW / per + 2;
	char *text = malloc(lines * (per + 1) + 64);
	char *p = text;
	char want[32];
	struct seen *s;

	assert_non_null(text);
	memcpy(p, "a,1\nb,\"", 7);
	p += 7;
	for (size_t i = 0; i < lines; i++) {
		memset(p, 'x', per);
		p += per;
		*p++ = '\n';
	}
	memcpy(p - 1, "\"\nc,3\n", 7);
	s = read_text(state, text);
	free(text);
	/* Lines 2 to lines + 1 hold the field. */
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "2:1", "row is longer than its cap");
	expect_error(s, 0, "2:1", "the rest of the file is not read");
	assert_int_equal(s->nrows, 1);
	assert_string_equal(s->row[0], "1:a|1");
	(void)want;
}

/* A header line over the line cap: nothing after it can be read. */
static void test_csvin_long_header(void **state)
{
	char *text = long_text("", CSVIN_MAX_LINE + 100, "\na,1\nb,2\n");
	struct seen *s = read_text(state, text);

	free(text);
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "1:-1", "header line is longer than its cap of 64 KiB");
	assert_int_equal(s->nrows, 0);
}

/* One unclosed quote near the top of a big file: the row is cut at its cap
 * (libcsv would otherwise buffer the rest of the file), reported once, and
 * the file read no further. */
static void test_csvin_unclosed_quote_capped(void **state)
{
	size_t n = CSVIN_MAX_ROW / 8 + 1000;  /* lines of 8 bytes after the quote */
	char *text = malloc(16 + 8 * n + 1);
	char *p = text;
	char want[32];
	struct seen *s;

	assert_non_null(text);
	memcpy(p, "id\n1,\"oops\n", 11);
	p += 11;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, "2,a-row\n", 8);
		p += 8;
	}
	*p = '\0';
	s = read_text(state, text);
	free(text);
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "2:1", "row is longer than its cap");
	assert_string_equal(s->row[0], "1:id");
	assert_int_equal(s->nrows, 1);
	(void)want;
}

static void test_csvin_nul_byte(void **state)
{
	static const char text[] = "a,b\nc\0d,e\nf,g\n";
	struct seen *s = read_bytes(state, text, sizeof(text) - 1);

	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "2:-1", "NUL byte");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[0], "1:a|b");
	assert_string_equal(s->row[1], "3:f|g");
}

static void test_csvin_too_many_fields(void **state)
{
	char text[8 * CSVIN_MAX_FIELDS + 64];
	size_t len = 0;
	struct seen *s;

#define ADD(...) (len += (size_t)snprintf(text + len, sizeof(text) - len, __VA_ARGS__))
	ADD("a,b\n");
	for (int i = 0; i < CSVIN_MAX_FIELDS; i++)  /* exactly the cap: read */
		ADD("%s%d", i ? "," : "", i % 10);
	ADD("\n");
	for (int i = 0; i <= CSVIN_MAX_FIELDS; i++)  /* one over: reported */
		ADD("%s%d", i ? "," : "", i % 10);
	ADD("\nc,d\n");
#undef ADD
	assert_true(len < sizeof(text));
	s = read_text(state, text);
	assert_int_equal(s->nerrs, 1);
	expect_error(s, 0, "3:-1", "more than 64 fields");
	assert_int_equal(s->nrows, 3);
	assert_string_equal(s->row[0], "1:a|b");
	assert_int_equal(s->row_n[1], CSVIN_MAX_FIELDS);
	assert_int_equal(strncmp(s->row[1], "2:0|1|2", 7), 0);
	assert_string_equal(s->row[2], "4:c|d");
}

static void test_csvin_no_final_newline(void **state)
{
	struct seen *s = read_text(state, "a,b\nc,d");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:c|d");

	s = read_text(state, "a,b\n\"c\",\"d\"");
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:c|d");

	s = read_text(state, "a,b\r\nc,d\r");
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:c|d");
}

static void test_csvin_empty_file(void **state)
{
	struct seen *s = read_text(state, "");

	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 0);

	s = read_text(state, "\n\n\r\n");
	assert_int_equal(s->nerrs, 0);
	assert_int_equal(s->nrows, 0);
}

static void test_csvin_stop(void **state)
{
	struct fixture *f = *state;
	struct seen *s;

	f->seen.stop_after = 2;
	s = read_text(state, "a\nb\nc\nd\n");
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->row[1], "2:b");
}

static void test_csvin_missing_file(void **state)
{
	struct fixture *f = *state;
	struct seen *s = &f->seen;
	struct csvin_cb cb = { on_row, on_error, s };
	struct err e = {0};
	char path[300];

	snprintf(path, sizeof(path), "%s.missing", f->path);
	assert_int_not_equal(csvin_read(path, &cb, &e), 0);
	assert_int_equal(e.exit, EXIT_DATAERR);
	assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
	if (!strstr(e.msg, "cannot open"))
		fail_msg("expected \"cannot open\" in \"%s\"", e.msg);
	assert_int_equal(s->nrows, 0);
	assert_int_equal(s->nerrs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_csvin_simple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_multiline_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_crlf_multiline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_blank_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_stray_quote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_stray_quote_multiline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_unterminated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_line_at_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_long_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_long_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_unclosed_quote_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_too_many_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_no_final_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csvin_missing_file, setup, teardown),
	};

	return cmocka_run_group_tests_name("csvin", tests, NULL, NULL);
}
