/*
 * Unit tests of core/xlsx and the xlsx mode of core/table: amounts from
 * the CSV's text to the double a workbook stores and back to the same
 * cents (edge values, every amount up to 10,000.00, amounts around each
 * power of ten and a pseudo-random sweep up to the cap), amounts beyond the
 * cap as text, whole numbers, sheet names as Excel takes them, and
 * workbooks written (past the rows a sheet holds, on into a second sheet),
 * refused (a cell not of its type, text too long) and dropped without
 * leaving a temporary
 * file or descriptor behind (the sanitizer build checks that nothing
 * leaks).
 */
#define _GNU_SOURCE  /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "money.h"
#include "table.h"
#include "xlsx.h"

/* An amount or whole-number cell as xlsx_cell_write makes it: the int64
 * from the CSV's text, then the double written. */
static int cell_number(const char *s, int decimals, double *v)
{
	int64_t minor;
	int kind = xlsx_number(s, decimals, &minor);

	if (kind == 1)
		*v = xlsx_cell_value(minor, decimals);
	return kind;
}

static int cell_amount(const char *s, double *v)
{
	return cell_number(s, 2, v);
}

static int cell_integer(const char *s, double *v)
{
	return cell_number(s, 0, v);
}

/*
 * The round trip of one amount: the text the CSV prints, its double, the
 * text libxlsxwriter writes into the sheet for it (16 significant digits,
 * "%.16G"), what a reader makes of that text, and that printed with 2
 * decimals, which must be the CSV's text again.
 */
static void round_trip(int64_t hundredths)
{
	char csv[MONEY_FMT_SIZE], stored[64], back[64];
	double v = 0;

	decimal_format(hundredths, 2, csv);
	if (cell_amount(csv, &v) != 1)
		fail_msg("%s: not written as a number", csv);
	snprintf(stored, sizeof(stored), "%.16G", v);
	snprintf(back, sizeof(back), "%.2f", strtod(stored, NULL));
	if (strcmp(back, csv) != 0)
		fail_msg("%s: stored as %s, read back as %s", csv, stored, back);
	/* and the double itself, before any text */
	snprintf(back, sizeof(back), "%.2f", v);
	if (strcmp(back, csv) != 0)
		fail_msg("%s: the double prints as %s", csv, back);
}

static void test_amount_edges(void **state)
{
	static const int64_t edges[] = {
		0, 1, -1, 5, -5, 10, 29, -29, 50, 99, 100, 101, 105, 115, 1005, 123456,
		-123456, 999999, 100000000, 3086420, 123456789, -123456789012, 562949953421311,
		-562949953421311, 999999999999999, -999999999999999, MONEY_MAX_ABS, -MONEY_MAX_ABS,
	};
	double v = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		round_trip(edges[i]);
	assert_int_equal(cell_amount("0.00", &v), 1);
	assert_true(v == 0.0);
	assert_int_equal(cell_amount("-0.01", &v), 1);
	assert_true(v == -0.01);
	assert_int_equal(cell_amount("9999999999999.99", &v), 1);
	assert_int_equal(cell_amount("10000000000000.00", &v), 1);
	assert_true(v == 1e13);
	/* the CSV never prints fewer decimals, but the parser takes them */
	assert_int_equal(cell_amount("12", &v), 1);
	assert_true(v == 12.0);
}

static void test_amount_sweep(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15u;

	(void)state;
	/* every amount from -10,000.00 to 10,000.00 */
	for (int64_t h = -1000000; h <= 1000000; h++)
		round_trip(h);
	/* around every power of ten up to the cap, both signs */
	for (int64_t p = 1000; p <= MONEY_MAX_ABS; p *= 10)
		for (int64_t d = -2000; d <= 2000; d++)
			if (p + d <= MONEY_MAX_ABS) {
				round_trip(p + d);
				round_trip(-(p + d));
			}
	/* just under the cap */
	for (int64_t d = 0; d < 100000; d++)
		round_trip(MONEY_MAX_ABS - d);
	/* pseudo-random amounts of every size up to the cap (xorshift64) */
	for (int i = 0; i < 1000000; i++) {
		int64_t h;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* a magnitude of 1 to 16 digits, so small amounts come as often
		 * as large ones */
		h = (int64_t)(x % (uint64_t)MONEY_MAX_ABS);
		for (int k = (int)(x >> 60); k > 0; k--)
			h /= 10;
		round_trip(x & 1 ? -h : h);
	}
}

static void test_amount_beyond(void **state)
{
	double v = 7;

	(void)state;
	/* past 10^15 hundredths the cents are not certain in a double: text */
	assert_int_equal(cell_amount("10000000000000.01", &v), 0);
	assert_int_equal(cell_amount("-10000000000000.01", &v), 0);
	assert_int_equal(cell_amount("92233720368547758.07", &v), 0);
	assert_int_equal(cell_amount("-92233720368547758.08", &v), 0);
	assert_true(v == 7);
	/* not amounts at all */
	assert_int_equal(cell_amount("", &v), -1);
	assert_int_equal(cell_amount("12,50", &v), -1);
	assert_int_equal(cell_amount("1e5", &v), -1);
	assert_int_equal(cell_amount("1.234", &v), -1);
	assert_int_equal(cell_amount(" 1.00", &v), -1);
	assert_int_equal(cell_amount("abc", &v), -1);
}

static void test_integer(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(cell_integer("0", &v), 1);
	assert_true(v == 0);
	assert_int_equal(cell_integer("123", &v), 1);
	assert_true(v == 123);
	assert_int_equal(cell_integer("1000000000000000", &v), 1);
	assert_true(v == 1e15);
	assert_int_equal(cell_integer("1000000000000001", &v), 0);
	assert_int_equal(cell_integer("9223372036854775807", &v), 0);
	assert_int_equal(cell_integer("1.5", &v), -1);
	assert_int_equal(cell_integer("", &v), -1);
	assert_int_equal(cell_integer("x1", &v), -1);
}

/* Excel's count of a name: UTF-16 units. */
static size_t units(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xC0) != 0x80)
			n += (c & 0xF8) == 0xF0 ? 2 : 1;
	}
	return n;
}

static void expect_sheet(const char *prefix, const char *subject, const char *want)
{
	char out[XLSX_SHEET_NAME_SIZE];

	xlsx_sheet_name(prefix, subject, out);
	assert_string_equal(out, want);
	assert_true(units(out) <= XLSX_SHEET_CHARS);
}

static void test_sheet_name(void **state)
{
	(void)state;
	expect_sheet("History", "C1001", "History C1001");
	expect_sheet("History", "00123", "History 00123");
	expect_sheet("Balances", "2026-03-31", "Balances 2026-03-31");
	expect_sheet("GL 2026-03", NULL, "GL 2026-03");
	expect_sheet("GL 2026-03", "", "GL 2026-03");
	expect_sheet("GL 2026-01-01 to 2026-03-31", NULL, "GL 2026-01-01 to 2026-03-31");
	/* what Excel forbids in a name */
	expect_sheet("History", "A[1]:B*C?D/E\\F", "History A_1__B_C_D_E_F");
	/* no apostrophe first or last; inside is fine */
	expect_sheet("History", "O'Neil'", "History O'Neil_");
	expect_sheet("'Quoted", NULL, "_Quoted");
	/* control characters and broken UTF-8 */
	expect_sheet("History", "A\tB\x1b" "C\x7f" "D", "History A_B_C_D");
	expect_sheet("History", "A\xc3(B\xff", "History A_(B_");
	expect_sheet("History", "Zo\xc3\xab Caf\xc3\xa9", "History Zo\xc3\xab Caf\xc3\xa9");
	/* 31 characters fit; 32 are cut to 30 and '~' */
	expect_sheet("History", "12345678901234567890123", "History 12345678901234567890123");
	expect_sheet("History", "123456789012345678901234", "History 1234567890123456789012~");
	expect_sheet("GL 2026-01-01 to 2026-03-31", "PROGRAM", "GL 2026-01-01 to 2026-03-31 PR~");
	/* é is one character, not two bytes */
	expect_sheet("History", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		     "History \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	/* a character beyond U+FFFF counts two, and is never split */
	expect_sheet("History", "1234567890123456789012\xf0\x9f\x98\x80",
		     "History 1234567890123456789012~");
	expect_sheet("History", "123456789012345678901\xf0\x9f\x98\x80",
		     "History 123456789012345678901\xf0\x9f\x98\x80");
	/* a name cut just before an apostrophe keeps its '~' last */
	expect_sheet("History", "12345678901234567890123'", "History 1234567890123456789012~");
}

/* ---- workbooks ---- */

static char tmpdir[] = "/tmp/accrue-test-xlsx.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return setenv("TMPDIR", tmpdir, 1);
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* Nothing left in TMPDIR. */
static void expect_no_temporaries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *x;

	assert_non_null(d);
	while ((x = readdir(d)) != NULL)
		if (strcmp(x->d_name, ".") && strcmp(x->d_name, ".."))
			fail_msg("left in TMPDIR: %s", x->d_name);
	closedir(d);
}

/* Open file descriptors of this process. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static const char *const names[] = {"date", "code", "amount", "id"};
static const enum xlsx_cell types[] = {XLSX_DATE, XLSX_TEXT, XLSX_AMOUNT, XLSX_INTEGER};

static void test_workbook_written(void **state)
{
	const char *rows[][4] = {
		{"2026-03-31", "00123", "-1234.56", "7"},
		{"1900-01-01", "=SUM(A1)", "0.00", ""},
		{"", "", "92233720368547758.07", "12345678901234567"},
		{"9000-12-31", "line\nbreak\x1b[31m", "10000000000000.00", NULL},
	};
	char why[XLSX_WHY_SIZE], magic[4];
	struct xlsx_out *x;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	x = xlsx_begin("History 00123", 4, names, types, why);
	assert_non_null(x);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(xlsx_row(x, rows[i]), 0);
	assert_int_equal(xlsx_end(x, f), 0);
	/* a zip: "PK\3\4" */
	rewind(f);
	assert_int_equal(fread(magic, 1, 4, f), 4);
	assert_memory_equal(magic, "PK\x03\x04", 4);
	fclose(f);
	expect_no_temporaries();
}

static void expect_refused(const char *const row[4], const char *why_part)
{
	char why[XLSX_WHY_SIZE];
	struct xlsx_out *x = xlsx_begin("Sheet", 4, names, types, why);

	assert_non_null(x);
	assert_int_equal(xlsx_row(x, row), -1);
	if (!strstr(why, why_part))
		fail_msg("\"%s\" does not say \"%s\"", why, why_part);
	xlsx_abort(x);
	expect_no_temporaries();
}

static void test_workbook_refused(void **state)
{
	static const char *const bad_date[] = {"2026-02-30", "A", "1.00", "1"};
	static const char *const bad_amount[] = {"2026-02-28", "A", "12,50", "1"};
	static const char *const bad_id[] = {"2026-02-28", "A", "1.00", "1.5"};
	static char big[40000];
	const char *long_text[] = {"2026-02-28", big, "1.00", "1"};
	char why[XLSX_WHY_SIZE];

	(void)state;
	expect_refused(bad_date, "row 2, column date: \"2026-02-30\" is not a date");
	expect_refused(bad_amount, "row 2, column amount: \"12,50\" is not an amount");
	expect_refused(bad_id, "row 2, column id: \"1.5\" is not a whole number");
	memset(big, 'x', sizeof(big) - 1);
	expect_refused(long_text, "32,767 characters");
	/* workbooks dropped after some rows: no file left open either (the
	 * sheet's temporary file is closed by xlsx_abort) */
	{
		static const char *const ok[] = {"2026-02-28", "A", "1.00", "1"};
		int fds = open_fds();

		for (int k = 0; k < 10; k++) {
			struct xlsx_out *x = xlsx_begin("Sheet", 4, names, types, why);

			assert_non_null(x);
			for (int i = 0; i < 100; i++)
				assert_int_equal(xlsx_row(x, ok), 0);
			xlsx_abort(x);
		}
		assert_int_equal(open_fds(), fds);
		expect_no_temporaries();
	}
	/* no temporary file can be made */
	setenv("TMPDIR", "/nonexistent-accrue-dir", 1);
	assert_null(xlsx_begin("Sheet", 4, names, types, why));
	assert_non_null(strstr(why, "cannot make a temporary file in /nonexistent-accrue-dir"));
	setenv("TMPDIR", tmpdir, 1);
}

/* A sheet holds 1,048,576 rows, the header's included: the next goes on
 * in a second sheet, "Long (2)", under the same header; nothing dropped. */
static void test_workbook_row_limit(void **state)
{
	static const char *const name[] = {"n"};
	static const enum xlsx_cell type[] = {XLSX_INTEGER};
	static const char *const row[] = {"1"};
	char why[XLSX_WHY_SIZE], *buf = NULL;
	size_t len = 0;
	struct xlsx_out *x = xlsx_begin("Long", 1, name, type, why);
	FILE *out;

	(void)state;
	assert_non_null(x);
	for (long i = 1; i < XLSX_MAX_ROWS; i++)
		if (xlsx_row(x, row) != 0)
			fail_msg("row %ld refused: %s", i + 1, why);
	assert_int_equal(xlsx_row(x, row), 0);
	assert_int_equal(xlsx_row(x, row), 0);
	assert_non_null(out = open_memstream(&buf, &len));
	assert_int_equal(xlsx_end(x, out), 0);
	fclose(out);
	/* a zip names its members in the clear */
	assert_non_null(memmem(buf, len, "xl/worksheets/sheet2.xml", 24));
	assert_null(memmem(buf, len, "xl/worksheets/sheet3.xml", 24));
	free(buf);
	expect_no_temporaries();
}

static void test_sheet_continued(void **state)
{
	char out[XLSX_SHEET_NAME_SIZE];

	(void)state;
	xlsx_sheet_continued("Balances 2026-03-31", 2, out);
	assert_string_equal(out, "Balances 2026-03-31 (2)");
	/* 31 characters: cut to 27 for " (2)", to 26 for " (10)" */
	xlsx_sheet_continued("History ABCDEFGHIJKLMNOPQRSTUV~", 2, out);
	assert_string_equal(out, "History ABCDEFGHIJKLMNOPQRS (2)");
	xlsx_sheet_continued("History ABCDEFGHIJKLMNOPQRSTUV~", 10, out);
	assert_string_equal(out, "History ABCDEFGHIJKLMNOPQR (10)");
	/* a character beyond U+FFFF counts two and is never split */
	xlsx_sheet_continued("History ABCDEFGHIJKLMNOPQR\xf0\x9f\x98\x80", 2, out);
	assert_string_equal(out, "History ABCDEFGHIJKLMNOPQR (2)");
	xlsx_sheet_continued("History \xc3\xa9", 3, out);
	assert_string_equal(out, "History \xc3\xa9 (3)");
}

/* The table in xlsx mode: a write that fails (a full device) is said, and
 * an aborted table writes nothing. */
static void test_table_xlsx(void **state)
{
	static const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT};
	static const char *const row[] = {"2026-03-31", "C\x1b" "1", "1.00", "2"};
	struct table_out t;
	FILE *full = fopen("/dev/full", "w"), *f = tmpfile();
	long size;

	(void)state;
	assert_non_null(f);
	/* TABLE_XLSX needs its types and sheet */
	assert_int_equal(table_begin(&t, f, TABLE_XLSX, 4, names, align), -1);
	table_abort(&t);
	/* aborted: nothing written */
	assert_int_equal(table_begin_sheet(&t, f, TABLE_XLSX, 4, names, align, types, "S"), 0);
	assert_int_equal(table_row(&t, row), 0);
	table_abort(&t);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_int_equal(ftell(f), 0);
	/* written */
	assert_int_equal(table_begin_sheet(&t, f, TABLE_XLSX, 4, names, align, types, "S"), 0);
	assert_int_equal(table_row(&t, row), 0);
	assert_int_equal(table_end(&t), 0);
	size = ftell(f);
	assert_true(size > 1000);
	fclose(f);
	expect_no_temporaries();
	if (full) {
		assert_int_equal(table_begin_sheet(&t, full, TABLE_XLSX, 4, names, align, types, "S"),
				 0);
		assert_int_equal(table_row(&t, row), 0);
		assert_int_equal(table_end(&t), -1);
		assert_non_null(strstr(t.why, "No space left on device"));
		fclose(full);
		expect_no_temporaries();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amount_edges),
		cmocka_unit_test(test_amount_sweep),
		cmocka_unit_test(test_amount_beyond),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_sheet_name),
		cmocka_unit_test(test_workbook_written),
		cmocka_unit_test(test_workbook_refused),
		cmocka_unit_test(test_workbook_row_limit),
		cmocka_unit_test(test_sheet_continued),
		cmocka_unit_test(test_table_xlsx),
	};

	return cmocka_run_group_tests_name("xlsx", tests, setup, teardown);
}
