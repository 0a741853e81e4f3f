/*
 * Unit tests of core/sbuf: appending, the hard cap (appending past it fails
 * and leaves the content as it was), reset and free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sbuf.h"

static void test_sbuf_append(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1024);
	assert_string_equal(sbuf_str(&b), "");
	assert_int_equal(b.len, 0);
	assert_int_equal(sbuf_adds(&b, "abc"), 0);
	assert_int_equal(sbuf_addc(&b, '-'), 0);
	assert_int_equal(sbuf_add(&b, "xyz123", 3), 0);
	assert_int_equal(sbuf_addf(&b, ":%d:%s", 42, "ok"), 0);
	assert_int_equal(sbuf_add(&b, "", 0), 0);
	assert_string_equal(sbuf_str(&b), "abc-xyz:42:ok");
	assert_int_equal(b.len, strlen("abc-xyz:42:ok"));
	sbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 1024);
}

static void test_sbuf_binary(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 16);
	assert_int_equal(sbuf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "a\0b", 4);  /* and still NUL-terminated */
	sbuf_free(&b);
}

static void test_sbuf_cap(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 8);
	assert_int_equal(sbuf_adds(&b, "12345"), 0);
	/* 5 + 4 > 8: refused, content intact. */
	assert_int_equal(sbuf_adds(&b, "6789"), -1);
	assert_string_equal(sbuf_str(&b), "12345");
	assert_int_equal(b.len, 5);
	assert_int_equal(sbuf_addf(&b, "%s", "abcd"), -1);
	assert_string_equal(sbuf_str(&b), "12345");
	assert_int_equal(b.len, 5);
	/* Exactly up to the cap is fine. */
	assert_int_equal(sbuf_adds(&b, "678"), 0);
	assert_string_equal(sbuf_str(&b), "12345678");
	assert_int_equal(b.len, 8);
	/* Not one byte more, by any route. */
	assert_int_equal(sbuf_addc(&b, '9'), -1);
	assert_int_equal(sbuf_add(&b, "9", 1), -1);
	assert_int_equal(sbuf_addf(&b, "%d", 9), -1);
	assert_string_equal(sbuf_str(&b), "12345678");
	assert_int_equal(b.len, 8);
	/* The cap bounds the allocation too. */
	assert_true(b.cap <= b.max + 1);
	/* An empty append at the cap still succeeds. */
	assert_int_equal(sbuf_add(&b, "", 0), 0);
	assert_int_equal(sbuf_addf(&b, "%s", ""), 0);
	assert_string_equal(sbuf_str(&b), "12345678");
	sbuf_free(&b);
}

static void test_sbuf_cap_first_append(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 4);
	assert_int_equal(sbuf_adds(&b, "hello"), -1);
	assert_string_equal(sbuf_str(&b), "");
	assert_int_equal(b.len, 0);
	/* A huge length cannot wrap the size arithmetic around. */
	assert_int_equal(sbuf_adds(&b, "ab"), 0);
	assert_int_equal(sbuf_add(&b, "x", SIZE_MAX), -1);
	assert_int_equal(sbuf_add(&b, "x", SIZE_MAX - 1), -1);
	assert_string_equal(sbuf_str(&b), "ab");
	sbuf_free(&b);
}

static void test_sbuf_growth(void **state)
{
	struct sbuf b;
	char chunk[100];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	sbuf_init(&b, 100000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sbuf_add(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(strlen(sbuf_str(&b)), 100000);
	assert_int_equal(sbuf_addc(&b, 'y'), -1);
	assert_int_equal(b.len, 100000);
	sbuf_free(&b);
}

static void test_sbuf_reset(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 64);
	sbuf_reset(&b);  /* on a fresh buffer: no allocation to touch */
	assert_string_equal(sbuf_str(&b), "");
	assert_int_equal(sbuf_adds(&b, "first"), 0);
	sbuf_reset(&b);
	assert_string_equal(sbuf_str(&b), "");
	assert_int_equal(b.len, 0);
	assert_non_null(b.p);  /* the memory is kept for reuse */
	assert_int_equal(sbuf_adds(&b, "second"), 0);
	assert_string_equal(sbuf_str(&b), "second");
	sbuf_free(&b);
	sbuf_free(&b);  /* freeing twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_append),
		cmocka_unit_test(test_sbuf_binary),
		cmocka_unit_test(test_sbuf_cap),
		cmocka_unit_test(test_sbuf_cap_first_append),
		cmocka_unit_test(test_sbuf_growth),
		cmocka_unit_test(test_sbuf_reset),
	};

	return cmocka_run_group_tests_name("sbuf", tests, NULL, NULL);
}
