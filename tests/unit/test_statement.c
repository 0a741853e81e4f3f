/*
 * Unit tests of core/statement (what a statement shows, SPEC §9) and of the
 * text side of core/pdf and core/template: opening and closing balances,
 * life-to-date figures, the units due to expire, the columns of dollars and
 * points programs, pagination, WinAnsi, amounts and dates per language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdf.h"
#include "ltd_of.h"
#include "statement.h"
#include "statement_text.h"
#include "template.h"

#define assert_i64(a, b) assert_int_equal((intmax_t)(a), (intmax_t)(b))

static date_t D(const char *s)
{
	date_t d = 0;

	if (date_parse(s, &d) != 0)
		fail_msg("test date \"%s\" does not parse", s);
	return d;
}

static void header(struct stmt_header *h, const char *from, const char *to, int points)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->customer, sizeof(h->customer), "C1");
	snprintf(h->name, sizeof(h->name), "Zoë Café");
	snprintf(h->program, sizeof(h->program), "Trade Rewards");
	h->points = points;
	h->from = D(from);
	h->to = D(to);
	h->expiring_days = 90;
	h->expiry_days = 60;
}

static void line(struct statement *s, const char *date, const char *kind, const char *doc,
		 int64_t pending, int64_t usable, const char *expires, const char *child)
{
	struct stmt_entry e;

	memset(&e, 0, sizeof(e));
	e.date = D(date);
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	e.ltd = statement_ltd_parse(ltd_of(kind));
	snprintf(e.document, sizeof(e.document), "%s", doc);
	e.pending = pending;
	e.usable = usable;
	if (expires) {
		e.expires = D(expires);
		e.has_expires = 1;
	}
	snprintf(e.customer, sizeof(e.customer), "%s", child ? child : "");
	assert_int_equal(statement_add(s, &e), 0);
}

/* Balances before, through and after the period; LTD figures; the rows. */
static void test_balances(void **state)
{
	struct statement s;
	struct stmt_header h;

	(void)state;
	statement_init(&s);
	header(&h, "2026-02-01", "2026-02-28", 0);
	statement_begin(&s, &h);
	line(&s, "2026-01-05", "earn", "I1", 2000, 0, NULL, NULL);
	line(&s, "2026-01-10", "vest", "I1", -2000, 2000, "2026-03-11", NULL);
	line(&s, "2026-01-20", "earn", "I2", 500, 0, NULL, NULL);
	/* the period */
	line(&s, "2026-02-03", "redeem", "R1", 0, -300, NULL, NULL);
	line(&s, "2026-02-21", "expire", "I2", -500, 0, NULL, NULL);
	line(&s, "2026-02-25", "earn", "I3", 1000, 0, NULL, "K1");
	assert_int_equal(statement_finish(&s), 0);

	assert_i64(s.open_pending, 500);
	assert_i64(s.open_usable, 2000);
	assert_i64(s.pending, 1000);
	assert_i64(s.usable, 1700);
	assert_int_equal(s.nlines, 3);
	assert_i64(s.lines[0].usable_balance, 1700);
	assert_i64(s.lines[1].pending_balance, 0);
	assert_i64(s.lines[2].pending_balance, 1000);
	/* earned 35.00, expired 5.00, used 3.00: 30.00 - 3.00 = 27.00 held */
	assert_i64(statement_ltd_earned(&s), 3000);
	assert_i64(s.ltd_used, 300);
	assert_i64(statement_ltd_earned(&s) - s.ltd_used, s.pending + s.usable);
	/* a child's line: the account column is shown */
	assert_true(s.child_lines);
	/* rows: opening, three lines, closing */
	assert_int_equal(statement_rows(&s), 5);
	assert_int_equal(s.npages, 1);
	statement_free(&s);
}

/* A period without movements still has an opening balance when the lines
 * all lie before it. */
static void test_no_lines(void **state)
{
	struct statement s;
	struct stmt_header h;

	(void)state;
	statement_init(&s);
	header(&h, "2026-03-01", "2026-03-31", 0);
	statement_begin(&s, &h);
	line(&s, "2026-01-10", "adjust", "MANUALADJ", 0, 1234, "2026-12-31", NULL);
	assert_int_equal(statement_finish(&s), 0);
	assert_i64(s.open_usable, 1234);
	assert_i64(s.usable, 1234);
	assert_int_equal(s.nlines, 0);
	assert_false(s.child_lines);
	statement_free(&s);
}

/* Units due to expire: lots left at the period's end whose last usable day
 * is within expiring_days after it, summed per day; what a redemption took
 * first-expiring-first is gone; later lots are not listed. */
static void test_expiring(void **state)
{
	struct statement s;
	struct stmt_header h;

	(void)state;
	statement_init(&s);
	header(&h, "2026-01-01", "2026-01-31", 0);
	statement_begin(&s, &h);
	line(&s, "2026-01-02", "vest", "A", 0, 1000, "2026-02-15", NULL);
	line(&s, "2026-01-03", "vest", "B", 0, 500, "2026-03-01", NULL);
	line(&s, "2026-01-04", "vest", "C", 0, 700, "2026-03-01", NULL);
	line(&s, "2026-01-05", "vest", "D", 0, 900, "2026-06-30", NULL);
	/* takes all of A (first to expire) and 200 of B */
	line(&s, "2026-01-20", "redeem", "R", 0, -1200, NULL, NULL);
	assert_int_equal(statement_finish(&s), 0);
	assert_int_equal(s.nexpiring, 1);
	assert_int_equal(s.expiring[0].last_day, D("2026-03-01"));
	assert_i64(s.expiring[0].units, 1000);
	assert_i64(s.expiring_total, 1000);
	assert_int_equal(s.expiring_by, D("2026-05-01"));
	statement_free(&s);
}

/* A lot whose line carries no last day is dated as the close dates it:
 * expiry_days after the day it opened. */
static void test_expiring_program_days(void **state)
{
	struct statement s;
	struct stmt_header h;

	(void)state;
	statement_init(&s);
	header(&h, "2026-01-01", "2026-01-31", 0);
	statement_begin(&s, &h);
	line(&s, "2026-01-10", "accrual", "2026-01", 0, 400, NULL, NULL);
	assert_int_equal(statement_finish(&s), 0);
	assert_int_equal(s.nexpiring, 1);
	assert_i64(s.expiring[0].units, 400);
	statement_free(&s);
}

/* Dollars: every column; points: one amount and one balance column; the
 * account column only with a child's line. */
static void test_columns(void **state)
{
	struct statement s;
	struct stmt_header h;
	enum stmt_col cols[STMT_NCOLS];
	int n;

	(void)state;
	statement_init(&s);
	header(&h, "2026-01-01", "2026-01-31", 0);
	statement_begin(&s, &h);
	line(&s, "2026-01-05", "earn", "I1", 100, 0, NULL, NULL);
	assert_int_equal(statement_finish(&s), 0);
	n = statement_columns(&s, cols);
	assert_int_equal(n, STMT_NCOLS - 1);
	for (int i = 0; i < n; i++)
		assert_int_not_equal(cols[i], STMT_COL_CUSTOMER);

	header(&h, "2026-01-01", "2026-01-31", 1);
	statement_begin(&s, &h);
	line(&s, "2026-01-31", "accrual", "2026-01", 0, 1235, NULL, "K1");
	assert_int_equal(statement_finish(&s), 0);
	n = statement_columns(&s, cols);
	for (int i = 0; i < n; i++) {
		assert_int_not_equal(cols[i], STMT_COL_PENDING);
		assert_int_not_equal(cols[i], STMT_COL_PENDING_BALANCE);
	}
	assert_int_equal(cols[n - 1], STMT_COL_CUSTOMER);
	statement_free(&s);
}

/* Many lines: several pages, every row on exactly one page, in order; the
 * summary and the chart on the first, above its table, which starts lower
 * than the next pages' do. */
static void test_pages(void **state)
{
	struct statement s;
	struct stmt_header h;
	size_t next = 0;

	(void)state;
	statement_init(&s);
	header(&h, "2026-01-01", "2026-12-31", 0);
	statement_begin(&s, &h);
	for (int i = 0; i < 400; i++) {
		char doc[16], day[16];

		snprintf(doc, sizeof(doc), "I%03d", i);
		snprintf(day, sizeof(day), "2026-%02d-%02d", 1 + i / 40, 1 + i % 28);
		line(&s, day, "earn", doc, 100, 0, NULL, NULL);
	}
	assert_int_equal(statement_finish(&s), 0);
	assert_true(s.npages >= 5);
	for (size_t p = 0; p < s.npages; p++) {
		assert_int_equal(s.pages[p].first_row, next);
		assert_true(s.pages[p].nrows > 0 || s.pages[p].summary);
		next += s.pages[p].nrows;
		assert_int_equal(s.pages[p].summary, p == 0);
		if (p > 0)
			assert_true(s.pages[p].table_y < s.pages[0].table_y);
	}
	assert_true(s.pages[0].summary_y < s.pages[0].chart_y);
	assert_true(s.pages[0].chart_y + STMT_CHART_H <= s.pages[0].table_y);
	/* the chart: 400 lines of 1.00 each over January to October */
	assert_int_equal(s.chart_earned[0], 40 * 100);       /* January */
	assert_int_equal(s.chart_earned[9], 40 * 100);       /* October */
	assert_int_equal(s.chart_earned[10], 0);
	assert_int_equal(s.chart_used[0], 0);
	assert_int_equal(next, statement_rows(&s));
	statement_free(&s);
}

static void test_winansi(void **state)
{
	char out[64];

	(void)state;
	assert_true(pdf_fits_winansi("Zoë Café – Société Générale €5"));
	assert_false(pdf_fits_winansi("Ζωή Καφέ"));
	assert_false(pdf_fits_winansi("Иван"));
	assert_int_equal(pdf_winansi("Zoë", out, sizeof(out)), 0);
	assert_string_equal(out, "Zo\xeb");
	assert_int_equal(pdf_winansi("a–b€", out, sizeof(out)), 0);
	assert_string_equal(out, "a\x96" "b\x80");
	assert_int_equal(pdf_winansi("Ζ", out, sizeof(out)), -1);
	assert_int_equal(pdf_winansi("abcdef", out, 4), -1);
}

/* The project's templates: English and French numbers and dates; a
 * language without a file reads in English. */
static void test_templates(void **state)
{
	struct template t;
	struct err e = {0};
	char buf[TEMPLATE_AMOUNT_SIZE];

	(void)state;
	assert_int_equal(template_load(&t, template_dir(), "en", &e), 0);
	assert_string_equal(template_amount(&t, -123456789, buf), "-1,234,567.89");
	assert_string_equal(template_amount(&t, 5, buf), "0.05");
	assert_string_equal(template_date(&t, D("2026-03-31"), buf), "31 Mar 2026");
	template_free(&t);

	assert_int_equal(template_load(&t, template_dir(), "fr", &e), 0);
	assert_string_equal(template_amount(&t, 123456, buf), "1\xc2\xa0" "234,56");
	assert_string_equal(template_date(&t, D("2026-03-31"), buf), "31/03/2026");
	assert_string_equal(template_type(&t, "earn", NULL), "Gagné");
	template_free(&t);

	assert_int_equal(template_load(&t, template_dir(), "xx", &e), 0);
	assert_string_equal(template_text(&t, TPL_TITLE), "Rewards statement");
	template_free(&t);
	/* a language code that is no file name reads in English */
	assert_int_equal(template_load(&t, template_dir(), "../en", &e), 0);
	assert_string_equal(template_text(&t, TPL_TITLE), "Rewards statement");
	template_free(&t);
}

/* A line with a note, through the statement's Type column. */
static const char *type_cell(const struct template *t, const char *kind, const char *note)
{
	static char buf[STMT_CELL_SIZE];
	struct statement s;
	struct stmt_header h;
	struct stmt_entry e;
	const char *cell;
	int bold;

	statement_init(&s);
	header(&h, "2026-03-01", "2026-03-31", 0);
	statement_begin(&s, &h);
	memset(&e, 0, sizeof(e));
	e.date = D("2026-03-20");
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	e.ltd = statement_ltd_parse(ltd_of(kind));
	snprintf(e.document, sizeof(e.document), "I1");
	e.usable = 100;
	snprintf(e.note, sizeof(e.note), "%s", note);
	assert_int_equal(statement_add(&s, &e), 0);
	assert_int_equal(statement_finish(&s), 0);
	cell = statement_cell(&s, t, 1, STMT_COL_TYPE, buf, &bold);
	snprintf(buf, sizeof(buf), "%s", cell);
	statement_free(&s);
	return buf;
}

/* The lines of a reversal (SPEC §4, §6) read as such in both languages,
 * chosen by kind and exact note; every other line keeps its kind's label
 * (an expiry noted "payment reversed after N days" is an expiry). */
static void test_reversal_types(void **state)
{
	static const struct {
		const char *kind, *note, *en, *fr;
	} cases[] = {
		{"vest", "payment reversed", "Payment reversed", "Paiement annulé"},
		{"reverse_expiry", "payment reversed", "Payment reversed", "Paiement annulé"},
		{"redeem", "redemption reversed", "Redemption reversed", "Utilisation annulée"},
		{"vest", "paid in full", "Vested", "Acquis"},
		{"reverse_expiry", "reinstated by finance", "Expiry reversed", "Expiration annulée"},
		{"redeem", "invoice I202", "Redeemed", "Utilisé"},
		{"redeem", "", "Redeemed", "Utilisé"},
		{"expire", "payment reversed after 30 days", "Expired", "Expiré"},
		/* the note alone, or the kind alone, is not enough */
		{"expire", "payment reversed", "Expired", "Expiré"},
		{"redeem", "payment reversed", "Redeemed", "Utilisé"},
		{"vest", "redemption reversed", "Vested", "Acquis"},
		{"earn", "payment reversed", "Earned", "Gagné"},
		/* exactly the close's note */
		{"vest", "Payment reversed", "Vested", "Acquis"},
		{"vest", "payment reversed ", "Vested", "Acquis"},
	};
	struct template en, fr;
	struct err e = {0};

	(void)state;
	assert_int_equal(template_load(&en, template_dir(), "en", &e), 0);
	assert_int_equal(template_load(&fr, template_dir(), "fr", &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(template_type(&en, cases[i].kind, cases[i].note), cases[i].en);
		assert_string_equal(template_type(&fr, cases[i].kind, cases[i].note), cases[i].fr);
		assert_string_equal(type_cell(&en, cases[i].kind, cases[i].note), cases[i].en);
		assert_string_equal(type_cell(&fr, cases[i].kind, cases[i].note), cases[i].fr);
	}
	/* no note: the kind's label; an unknown kind: the kind itself */
	assert_string_equal(template_type(&en, "vest", NULL), "Vested");
	assert_string_equal(template_type(&fr, "unposted", "payment reversed"), "unposted");
	template_free(&en);
	template_free(&fr);
}

/* Write `text` to dir/name, or when text is NULL copy the project's file
 * of that name there. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512], buf[4096];
	FILE *in = NULL, *out;
	size_t n;

	if (!text) {
		snprintf(path, sizeof(path), "%s/%s", template_dir(), name);
		assert_non_null(in = fopen(path, "r"));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(out = fopen(path, "w"));
	if (text)
		fputs(text, out);
	while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	if (in)
		fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(remove(path), 0);
}

/* The template loader's rules hold for the new keys: a language that
 * leaves them out reads them in English, and a misspelt one is refused. */
static void test_reversal_types_loader(void **state)
{
	char dir[] = "/tmp/accrue-test-templates.XXXXXX";
	struct template t;
	struct err e = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	put_file(dir, "en.ini", NULL);
	put_file(dir, "de.ini", "[types]\nvest = Erworben\n");
	assert_int_equal(template_load(&t, dir, "de", &e), 0);
	assert_string_equal(template_type(&t, "vest", "paid in full"), "Erworben");
	assert_string_equal(template_type(&t, "vest", "payment reversed"), "Payment reversed");
	assert_string_equal(template_type(&t, "redeem", "redemption reversed"), "Redemption reversed");
	template_free(&t);

	put_file(dir, "xx.ini", "[types]\npayment_reverse = Zahlung storniert\n");
	assert_int_not_equal(template_load(&t, dir, "xx", &e), 0);
	assert_non_null(strstr(e.msg, "xx.ini:2"));
	assert_non_null(strstr(e.msg, "unknown key \"payment_reverse\" in [types]"));

	remove_file(dir, "en.ini");
	remove_file(dir, "de.ini");
	remove_file(dir, "xx.ini");
	assert_int_equal(remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_balances),
		cmocka_unit_test(test_no_lines),
		cmocka_unit_test(test_expiring),
		cmocka_unit_test(test_expiring_program_days),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_winansi),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_reversal_types),
		cmocka_unit_test(test_reversal_types_loader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
