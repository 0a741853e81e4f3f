/*
 * Unit tests of core/config: defaults, every key of SPEC §12, the "\n"
 * escape in the company address, and errors that name FILE:LINE.
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

#include "config.h"

struct fixture {
	char path[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/accrue-test-config.XXXXXX",
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

static const char *write_ini(void **state, const char *text)
{
	struct fixture *f = *state;
	FILE *out = fopen(f->path, "w");

	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
	return f->path;
}

/* Load text; expect success. */
static void load_ok(void **state, const char *text, struct config *c)
{
	const char *path = write_ini(state, text);
	struct err e = {0};

	config_defaults(c);
	if (config_load(c, path, &e) != 0)
		fail_msg("config_load failed: %s", e.msg);
	assert_string_equal(c->path, path);
}

/* Load text; expect a usage error whose message starts "FILE:LINE: " and
 * contains `what`. */
static void load_fails(void **state, const char *text, int line, const char *what)
{
	const char *path = write_ini(state, text);
	struct config c;
	struct err e = {0};
	char prefix[300];

	config_defaults(&c);
	assert_int_equal(config_load(&c, path, &e), EXIT_USAGE);
	assert_int_equal(e.exit, EXIT_USAGE);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		fail_msg("expected the message to start with \"%s\", got \"%s\"", prefix, e.msg);
	if (!strstr(e.msg, what))
		fail_msg("expected \"%s\" in \"%s\"", what, e.msg);
}

static void expect_defaults(const struct config *c)
{
	assert_string_equal(c->company_name, "");
	assert_string_equal(c->company_address, "");
	assert_string_equal(c->statements_out_dir, "out/statements");
	assert_int_equal(c->expiring_days, 90);
	assert_int_equal(c->transport, MAIL_OUTBOX);
	assert_string_equal(c->outbox_dir, "out/mail");
	assert_string_equal(c->msmtp, "/usr/bin/msmtp");
	assert_string_equal(c->msmtp_config, "/etc/msmtprc");
	assert_string_equal(c->msmtp_account, "default");
	assert_int_equal(c->parallel, 4);
	assert_int_equal(c->max_attempts, 5);
	assert_string_equal(c->timezone, "local");
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	expect_defaults(&c);
	assert_string_equal(c.path, "");
}

static void test_empty_file_keeps_defaults(void **state)
{
	struct config c;

	load_ok(state, "", &c);
	expect_defaults(&c);
	load_ok(state, "; nothing but a comment\n\n[company]\n[mail]\n", &c);
	expect_defaults(&c);
}

static void test_partial_file(void **state)
{
	struct config c;

	load_ok(state, "[mail]\nparallel = 2\n", &c);
	assert_int_equal(c.parallel, 2);
	assert_int_equal(c.max_attempts, 5);
	assert_string_equal(c.outbox_dir, "out/mail");
	assert_string_equal(c.statements_out_dir, "out/statements");
}

/* The example of SPEC §12, as it stands, inline comments included. */
static const char spec_example[] =
	"[company]\n"
	"name = Example Supply Co.\n"
	"address = 1 Harbour Road\\nPort Town        ; \\n starts a new line\n"
	"[statements]\n"
	"out_dir = out/statements\n"
	"expiring_days = 90\n"
	"[mail]\n"
	"transport = outbox            ; outbox (write .eml files) or msmtp\n"
	"outbox_dir = out/mail\n"
	"msmtp = /usr/bin/msmtp\n"
	"msmtp_config = /etc/msmtprc\n"
	"msmtp_account = default\n"
	"from = Example Supply Co. <statements@example.com>\n"
	"parallel = 4                  ; concurrent msmtp processes\n"
	"max_attempts = 5\n"
	"[run]\n"
	"timezone = local              ; business date for a run without --date\n";

static void test_spec_example(void **state)
{
	struct config c;

	load_ok(state, spec_example, &c);
	assert_string_equal(c.company_name, "Example Supply Co.");
	assert_string_equal(c.company_address, "1 Harbour Road\nPort Town");
	assert_string_equal(c.statements_out_dir, "out/statements");
	assert_int_equal(c.expiring_days, 90);
	assert_int_equal(c.transport, MAIL_OUTBOX);
	assert_string_equal(c.outbox_dir, "out/mail");
	assert_string_equal(c.msmtp, "/usr/bin/msmtp");
	assert_string_equal(c.msmtp_config, "/etc/msmtprc");
	assert_string_equal(c.msmtp_account, "default");
	assert_string_equal(c.mail_from, "Example Supply Co. <statements@example.com>");
	assert_int_equal(c.parallel, 4);
	assert_int_equal(c.max_attempts, 5);
	assert_string_equal(c.timezone, "local");
}

static void test_every_key_changed(void **state)
{
	struct config c;

	load_ok(state,
		"[company]\n"
		"name = Acme Ltd\n"
		"address = Unit 4\\nDock Street\\nPort Town PT1 2AB\n"
		"[statements]\n"
		"out_dir = /var/lib/accrue/statements\n"
		"expiring_days = 30\n"
		"[mail]\n"
		"transport = msmtp\n"
		"outbox_dir = /var/spool/accrue\n"
		"msmtp = /usr/local/bin/msmtp\n"
		"msmtp_config = /etc/accrue/msmtprc\n"
		"msmtp_account = statements\n"
		"from = Acme <ar@acme.example>\n"
		"parallel = 16\n"
		"max_attempts = 9\n"
		"[run]\n"
		"timezone = Europe/Paris\n",
		&c);
	assert_string_equal(c.company_name, "Acme Ltd");
	assert_string_equal(c.company_address, "Unit 4\nDock Street\nPort Town PT1 2AB");
	assert_string_equal(c.statements_out_dir, "/var/lib/accrue/statements");
	assert_int_equal(c.expiring_days, 30);
	assert_int_equal(c.transport, MAIL_MSMTP);
	assert_string_equal(c.outbox_dir, "/var/spool/accrue");
	assert_string_equal(c.msmtp, "/usr/local/bin/msmtp");
	assert_string_equal(c.msmtp_config, "/etc/accrue/msmtprc");
	assert_string_equal(c.msmtp_account, "statements");
	assert_string_equal(c.mail_from, "Acme <ar@acme.example>");
	assert_int_equal(c.parallel, 16);
	assert_int_equal(c.max_attempts, 9);
	assert_string_equal(c.timezone, "Europe/Paris");
}

static void test_address_escape_only_in_address(void **state)
{
	struct config c;

	/* Only the address turns "\n" into a line break; other values keep
	 * their backslashes (a Windows-ish path stays as written). */
	load_ok(state, "[company]\nname = A\\nB\n[statements]\nout_dir = C:\\new\n", &c);
	assert_string_equal(c.company_name, "A\\nB");
	assert_string_equal(c.statements_out_dir, "C:\\new");
	load_ok(state, "[company]\naddress = trailing\\\n", &c);
	assert_string_equal(c.company_address, "trailing\\");
}

static void test_unknown_key(void **state)
{
	load_fails(state,
		   "[company]\n"
		   "name = Acme\n"
		   "\n"
		   "; a comment\n"
		   "nmae = typo\n",
		   5, "unknown key \"nmae\" in [company]");
	load_fails(state, "[mail]\ntransport = outbox\nparalel = 2\n", 3, "paralel");
}

static void test_unknown_section(void **state)
{
	load_fails(state,
		   "[company]\n"
		   "name = Acme\n"
		   "[mial]\n"
		   "transport = msmtp\n",
		   3, "unknown section [mial]");
	/* An unknown section is an error even when it holds no key. */
	load_fails(state,
		   "[company]\n"
		   "name = Acme\n"
		   "[mial]\n"
		   "\n"
		   "[mail]\n"
		   "transport = msmtp\n",
		   3, "unknown section [mial]");
	load_fails(state, "[company]\nname = Acme\n[extra]\n", 3, "unknown section [extra]");
	/* A key before any section is in no known section. */
	load_fails(state, "name = Acme\n", 1, "name");
}

static void test_bad_values(void **state)
{
	load_fails(state, "[mail]\nparallel = 0\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel = 65\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel = four\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel = 4x\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel = -1\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel = 99999999999999999999\n", 2, "parallel");
	load_fails(state, "[mail]\nparallel =\n", 2, "parallel");
	load_fails(state, "[mail]\nmax_attempts = 0\n", 2, "max_attempts");
	load_fails(state, "[statements]\nexpiring_days = -5\n", 2, "expiring_days");
	load_fails(state, "[mail]\ntransport = smtp\n", 2, "transport");
	/* a misspelt zone would quietly run on UTC */
	load_fails(state, "[run]\ntimezone = Mars/Olympus\n", 2, "unknown time zone");
	load_fails(state, "[run]\ntimezone = ../../etc/passwd\n", 2, "unknown time zone");
	load_fails(state, "[run]\ntimezone = /etc/localtime\n", 2, "unknown time zone");
}

static void test_bad_lines(void **state)
{
	load_fails(state, "[company]\nname = Acme\njust some words\n", 3, "not a valid INI line");
	load_fails(state, "[company\nname = Acme\n", 1, "not a valid INI line");
}

static void test_long_line(void **state)
{
	char text[700];
	size_t n;

	/* A value longer than the parser's line buffer is an error on its own
	 * line, not silently cut into pieces that shift every later line. */
	n = (size_t)snprintf(text, sizeof(text), "[company]\nname = ");
	while (n < 400)
		text[n++] = 'x';
	snprintf(text + n, sizeof(text) - n, "\n[mail]\nparalel = 2\n");
	load_fails(state, text, 2, "too long");
}

static void test_value_too_long_for_field(void **state)
{
	struct config c;

	/* 150 characters fit the field and the line. */
	load_ok(state,
		"[company]\nname = "
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890\n",
		&c);
	assert_int_equal(strlen(c.company_name), 150);
}

static void test_missing_file(void **state)
{
	struct config c;
	struct err e = {0};

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, "/nonexistent/accrue.conf", &e), EXIT_USAGE);
	assert_non_null(strstr(e.msg, "/nonexistent/accrue.conf"));
}

static void test_pick(void **state)
{
	(void)state;
	setenv("ACCRUE_CONFIG", "/etc/from-env.conf", 1);
	assert_string_equal(config_pick("explicit.conf"), "explicit.conf");
	assert_string_equal(config_pick(NULL), "/etc/from-env.conf");
	unsetenv("ACCRUE_CONFIG");
	/* The tests run from the build tree, which has no config/accrue.conf. */
	if (access("config/accrue.conf", F_OK) != 0)
		assert_null(config_pick(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_empty_file_keeps_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_escape_only_in_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_too_long_for_field, setup, teardown),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_pick),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
