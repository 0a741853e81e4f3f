/*
 * Unit tests of core/msmtp: what msmtp's exit status and output mean, the
 * error line kept for the outbox, and the process pool (with /bin/sh
 * standing in for msmtp: every message arrives whole on stdin, several at
 * a time, exit statuses and output come back to the right message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "msmtp.h"

#define EXITED(code) ((code) << 8)

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(msmtp_classify(EXITED(0), ""), MSMTP_SENT);
	/* No connection. */
	assert_int_equal(msmtp_classify(EXITED(75), "msmtp: cannot connect to 127.0.0.1, port 1: "
					"Connection refused\n"), MSMTP_TEMPORARY);
	/* The server refused the data: msmtp exits 69 for 4xx and 5xx alike. */
	assert_int_equal(msmtp_classify(EXITED(69), "msmtp: the server did not accept the mail\n"
					"msmtp: server message: 451 4.3.0 try again later\n"),
			 MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(69), "msmtp: the server did not accept the mail\n"
					"msmtp: server message: 554 5.7.1 rejected\n"),
			 MSMTP_PERMANENT);
	/* A recipient refused: 65 with a 5xx, 69 with a 4xx. */
	assert_int_equal(msmtp_classify(EXITED(65), "msmtp: recipient address x@y.z not accepted "
					"by the server\nmsmtp: server message: 550 5.1.1 no\n"),
			 MSMTP_PERMANENT);
	assert_int_equal(msmtp_classify(EXITED(69), "msmtp: server message: 452 4.2.2 full\n"),
			 MSMTP_TEMPORARY);
	/* The last reply quoted decides. */
	assert_int_equal(msmtp_classify(EXITED(69), "server message: 550 x\nserver message: 421 y\n"),
			 MSMTP_TEMPORARY);
	/* By status alone. */
	assert_int_equal(msmtp_classify(EXITED(69), ""), MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(74), ""), MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(68), ""), MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(71), ""), MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(65), ""), MSMTP_PERMANENT);
	assert_int_equal(msmtp_classify(EXITED(77), ""), MSMTP_PERMANENT);
	assert_int_equal(msmtp_classify(EXITED(78), "msmtp: account nope not found\n"),
			 MSMTP_PERMANENT);
	assert_int_equal(msmtp_classify(EXITED(1), ""), MSMTP_PERMANENT);
	assert_int_equal(msmtp_classify(EXITED(127), "cannot run /nope: No such file\n"),
			 MSMTP_PERMANENT);
	/* Killed: it may be tried again. */
	assert_int_equal(msmtp_classify(9, ""), MSMTP_TEMPORARY);
	assert_int_equal(msmtp_classify(EXITED(69), NULL), MSMTP_TEMPORARY);
}

static void test_describe(void **state)
{
	char out[200];

	(void)state;
	msmtp_describe(EXITED(69),
		       "msmtp: the server did not accept the mail\n"
		       "msmtp: server message: 451 4.3.0 try again later\n"
		       "msmtp: could not send mail (account default from /tmp/x.msmtprc)\n",
		       out, sizeof(out));
	assert_string_equal(out, "the server did not accept the mail; server message: 451 4.3.0 "
				 "try again later [exit 69]");
	msmtp_describe(EXITED(75), "", out, sizeof(out));
	assert_string_equal(out, "[exit 75]");
	msmtp_describe(9, "msmtp: partial\r\n", out, sizeof(out));
	assert_string_equal(out, "partial; killed by signal 9");
	msmtp_describe(EXITED(69), "x\x1b[31my\n", out, sizeof(out));
	assert_string_equal(out, "x [31my [exit 69]");
	/* Cut to the buffer, NUL-terminated. */
	msmtp_describe(EXITED(69), "a very long message that does not fit\n", out, 10);
	assert_int_equal(strlen(out), 9);
}

/* A script that checks its stdin against the expected size and first
 * bytes, then says something and exits with the status asked. */
static char *const *script(const char *body)
{
	static char *argv[4];

	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)body;
	argv[3] = NULL;
	return argv;
}

static void test_pool(void **state)
{
	struct msmtp_pool *p = malloc(sizeof(*p));
	struct msmtp_done d;
	struct err e = {0};
	int seen[12] = {0}, started = 0, finished = 0;

	(void)state;
	assert_non_null(p);
	msmtp_pool_init(p, 4, 4u << 20);
	assert_int_equal(p->size, 4);
	/* 12 messages of 1 MiB each, 4 at a time: much more than a pipe holds,
	 * so the parent must feed them all without waiting on any one. */
	while (finished < 12) {
		struct sbuf *b = started < 12 ? msmtp_pool_buffer(p) : NULL;

		if (b) {
			char cmd[300];
			int code = started % 3 == 0 ? 0 : started % 3 == 1 ? 75 : 65;

			for (int k = 0; k < (1 << 20) / 16; k++)
				assert_int_equal(sbuf_add(b, "0123456789abcde\n", 16), 0);
			snprintf(cmd, sizeof(cmd),
				 "n=$(wc -c); echo \"msmtp: message $n bytes\" >&2; "
				 "echo \"msmtp: server message: %s\" >&2; exit %d",
				 code == 65 ? "550 no" : code == 75 ? "" : "250 ok", code);
			assert_int_equal(msmtp_pool_start(p, script(cmd), 100 + started, &e), 0);
			started++;
			continue;
		}
		assert_int_equal(msmtp_pool_wait(p, &d, &e), 1);
		assert_true(d.id >= 100 && d.id < 112);
		assert_int_equal(seen[d.id - 100]++, 0);
		switch ((d.id - 100) % 3) {
		case 0:
			assert_int_equal(d.outcome, MSMTP_SENT);
			assert_string_equal(d.error, "");
			break;
		case 1:
			assert_int_equal(d.outcome, MSMTP_TEMPORARY);
			assert_string_equal(d.error, "message 1048576 bytes; server message: [exit 75]");
			break;
		default:
			assert_int_equal(d.outcome, MSMTP_PERMANENT);
			assert_string_equal(d.error, "message 1048576 bytes; server message: 550 no [exit 65]");
		}
		finished++;
	}
	assert_int_equal(msmtp_pool_wait(p, &d, &e), 0);  /* none left */

	/* A program that cannot run: a permanent failure saying why. */
	{
		char *argv[] = {"/nonexistent/msmtp", "-t", NULL};

		assert_non_null(msmtp_pool_buffer(p));
		assert_int_equal(msmtp_pool_start(p, argv, 7, &e), 0);
		assert_int_equal(msmtp_pool_wait(p, &d, &e), 1);
		assert_int_equal(d.id, 7);
		assert_int_equal(d.outcome, MSMTP_PERMANENT);
		assert_non_null(strstr(d.error, "cannot run /nonexistent/msmtp"));
		assert_non_null(strstr(d.error, "[exit 127]"));
	}

	/* A child that does not read its stdin: no SIGPIPE for us, its own
	 * status tells.  And free() waits for children still running. */
	{
		struct sbuf *b = msmtp_pool_buffer(p);

		for (int k = 0; k < (1 << 20) / 16; k++)
			sbuf_add(b, "0123456789abcde\n", 16);
		assert_int_equal(msmtp_pool_start(p, script("exec 0<&-; exit 75"), 8, &e), 0);
		assert_int_equal(msmtp_pool_wait(p, &d, &e), 1);
		assert_int_equal(d.outcome, MSMTP_TEMPORARY);
		b = msmtp_pool_buffer(p);
		sbuf_adds(b, "x");
		assert_int_equal(msmtp_pool_start(p, script("sleep 0.2; cat >/dev/null"), 9, &e), 0);
	}
	msmtp_pool_free(p);
	assert_int_equal(p->running, 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests_name("msmtp", tests, NULL, NULL);
}
