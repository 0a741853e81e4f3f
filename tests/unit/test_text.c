/*
 * Unit tests of core/text: UTF-8 validity, header safety, e-mail address
 * shape and safe file names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static int utf8(const char *s)
{
	return text_utf8_valid(s, strlen(s));
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8(""));
	assert_true(utf8("plain ASCII, 100%"));
	assert_true(utf8("caf\xC3\xA9"));              /* café */
	assert_true(utf8("\xE2\x82\xAC 12.50"));       /* € */
	assert_true(utf8("\xF0\x9F\x98\x80"));         /* 😀, 4 bytes */
	assert_true(utf8("\xF4\x8F\xBF\xBF"));         /* U+10FFFF, the last */
	assert_true(utf8("\xED\x9F\xBF"));             /* U+D7FF, before surrogates */
	assert_true(utf8("\xEE\x80\x80"));             /* U+E000, after them */
	assert_true(utf8("\xC2\x80"));                 /* U+0080, smallest 2-byte */
	assert_true(utf8("\xE0\xA0\x80"));             /* U+0800, smallest 3-byte */
	assert_true(utf8("\xF0\x90\x80\x80"));         /* U+10000, smallest 4-byte */
	/* An embedded NUL is valid UTF-8 when the length says so. */
	assert_true(text_utf8_valid("a\0b", 3));
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	assert_false(utf8("\xC0\x80"));                /* overlong NUL */
	assert_false(utf8("\xC1\xBF"));                /* overlong 2-byte */
	assert_false(utf8("\xE0\x80\x80"));            /* overlong 3-byte */
	assert_false(utf8("\xE0\x9F\xBF"));            /* overlong U+07FF */
	assert_false(utf8("\xF0\x80\x80\x80"));        /* overlong 4-byte */
	assert_false(utf8("\xF0\x8F\xBF\xBF"));        /* overlong U+FFFF */
	assert_false(utf8("\xED\xA0\x80"));            /* surrogate U+D800 */
	assert_false(utf8("\xED\xBF\xBF"));            /* surrogate U+DFFF */
	assert_false(utf8("\xF4\x90\x80\x80"));        /* U+110000, too large */
	assert_false(utf8("\xF5\x80\x80\x80"));
	assert_false(utf8("\xFF"));
	assert_false(utf8("\x80"));                    /* lone continuation */
	assert_false(utf8("abc\xBF"));
	assert_false(utf8("caf\xC3"));                 /* truncated 2-byte */
	assert_false(utf8("\xE2\x82"));                /* truncated 3-byte */
	assert_false(utf8("\xF0\x9F\x98"));            /* truncated 4-byte */
	assert_false(utf8("\xE2\x82" "A"));            /* bad continuation */
	assert_false(utf8("\xC3" "A"));
	assert_false(utf8("caf\xE9"));                 /* Latin-1 é */
	/* Truncated by the length even though more bytes follow. */
	assert_false(text_utf8_valid("\xF0\x9F\x98\x80", 3));
	assert_true(text_utf8_valid("\xF0\x9F\x98\x80", 4));
}

static void test_has_crlf(void **state)
{
	(void)state;
	assert_false(text_has_crlf(""));
	assert_false(text_has_crlf("Example Supply Co."));
	assert_true(text_has_crlf("a\nb"));
	assert_true(text_has_crlf("a\rb"));
	assert_true(text_has_crlf("Subject\r\nBcc: x@example.com"));
	assert_true(text_has_crlf("\n"));
	assert_true(text_has_crlf("trailing\n"));
}

static void test_email_valid(void **state)
{
	(void)state;
	assert_true(text_email_valid("ap@example.com"));
	assert_true(text_email_valid("first.last+tag@mail.example.co.uk"));
	assert_true(text_email_valid("a@b.c"));
	assert_false(text_email_valid(""));
	assert_false(text_email_valid("ap"));
	assert_false(text_email_valid("ap@"));
	assert_false(text_email_valid("@example.com"));
	assert_false(text_email_valid("ap@localhost"));
	assert_false(text_email_valid("ap@.example.com"));
	assert_false(text_email_valid("ap@example.com."));
	assert_false(text_email_valid("a@b@example.com"));
	assert_false(text_email_valid("a p@example.com"));
	assert_false(text_email_valid("ap@example.com "));
	assert_false(text_email_valid("\"ap\"@example.com"));
	assert_false(text_email_valid("<ap@example.com>"));
	assert_false(text_email_valid("ap@example.com,bo@example.com"));
	assert_false(text_email_valid("ap@example.com;bo@example.com"));
	assert_false(text_email_valid("ap@example.com\r\nBcc: x@example.com"));
	assert_false(text_email_valid("ap@example.com\n"));
	assert_false(text_email_valid("ap\t@example.com"));
	assert_false(text_email_valid("caf\xC3\xA9@example.com"));
}

static void expect_safe(const char *in, const char *want)
{
	char out[64];

	memset(out, 'X', sizeof(out));
	assert_int_equal(text_safe_filename(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.');
}

static void test_safe_filename(void **state)
{
	char small[4];

	(void)state;
	expect_safe("C-100", "C-100");
	expect_safe("c_100.v2", "c_100.v2");
	expect_safe("../etc/passwd", "_._etc_passwd");
	expect_safe("..", "_.");
	expect_safe(".", "_");
	expect_safe(".hidden", "_hidden");
	expect_safe("/", "_");
	expect_safe("a/b\\c", "a_b_c");
	expect_safe("a b", "a_b");
	expect_safe("caf\xC3\xA9", "caf__");
	expect_safe("a\nb", "a_b");
	expect_safe("-rf", "_rf");   /* never read as an option */
	/* Empty is refused. */
	assert_int_equal(text_safe_filename("", small, sizeof(small)), -1);
	/* Too long for the output is refused: 3 characters need 4 bytes. */
	assert_int_equal(text_safe_filename("abc", small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
	assert_int_equal(text_safe_filename("abcd", small, sizeof(small)), -1);
	assert_int_equal(text_safe_filename("a", small, 1), -1);
}

static void test_line(void **state)
{
	char b[8];

	(void)state;
	assert_string_equal(text_line("one\ntwo\r\nthree", 0, b, sizeof(b)), "one");
	assert_string_equal(text_line("one\ntwo\r\nthree", 1, b, sizeof(b)), "two");
	assert_string_equal(text_line("one\ntwo\r\nthree", 2, b, sizeof(b)), "three");
	assert_string_equal(text_line("one\ntwo", 2, b, sizeof(b)), "");
	assert_string_equal(text_line("", 0, b, sizeof(b)), "");
	/* cut to the buffer */
	assert_string_equal(text_line("a long first line", 0, b, sizeof(b)), "a long ");
}

/* The one text check of every entry point. */
/* text_field_problem of a whole C string. */
static const char *field(const char *s, int multiline)
{
	return text_field_problem(s, strlen(s), multiline);
}

static void test_field_problem(void **state)
{
	(void)state;
	assert_null(field("Zoë & Co", 0));
	assert_null(field("1 Rue\nParis\tFR", 1));
	assert_string_equal(field("a\nb", 0), "must not hold a line break");
	assert_string_equal(field("\x1b]0;pwned\x07", 0),
			    "must not hold control characters");
	assert_string_equal(field("\x1b[2J", 1), "must not hold control characters");
	assert_string_equal(field("a\xc2\x9b" "2J", 1),   /* U+009B, CSI */
			    "must not hold control characters");
	assert_string_equal(field("a\x7f", 0), "must not hold control characters");
	assert_string_equal(field("\xc3(", 0),
			    "is not valid UTF-8 (save the file as UTF-8)");
	assert_int_equal(text_control_at("\xc2\x85"), 2);
	assert_int_equal(text_control_at("\xc2\xa0"), 0);                 /* NBSP is text */
	assert_int_equal(text_control_at("\t"), 1);
	assert_int_equal(text_control_at("e"), 0);
}

/* Passwords in a message that quotes a connection string. */
static void test_redact_passwords(void **state)
{
	char a[] = "invalid: \"postgresql://bob:s3cret@[::1/db\"";
	char b[] = "bad option: host=x password=hunter22 port=abc";
	char c[] = "host=x password='sec ret' dbname=y";
	char d[] = "postgresql://bob@host/db?password=pw&sslmode=require";
	char e[] = "nothing secret here: postgresql://host/db";
	char f[] = "postgresql://u:pw@h";

	(void)state;
	text_redact_passwords(a);
	assert_string_equal(a, "invalid: \"postgresql://bob:***@[::1/db\"");
	text_redact_passwords(b);
	assert_string_equal(b, "bad option: host=x password=*** port=abc");
	text_redact_passwords(c);
	assert_string_equal(c, "host=x password=*** dbname=y");
	text_redact_passwords(d);
	assert_string_equal(d, "postgresql://bob@host/db?password=**&sslmode=require");
	text_redact_passwords(e);
	assert_string_equal(e, "nothing secret here: postgresql://host/db");
	text_redact_passwords(f);
	assert_string_equal(f, "postgresql://u:**@h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_problem),
		cmocka_unit_test(test_redact_passwords),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_has_crlf),
		cmocka_unit_test(test_email_valid),
		cmocka_unit_test(test_safe_filename),
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
