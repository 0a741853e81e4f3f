/*
 * accrue: the command table and the global options (SPEC §10).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accrue_version.h"
#include "app.h"
#include "commands.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "template.h"

struct command {
	const char *name;
	command_fn fn;
	const char *summary;
};

static const struct command commands[] = {
	{"db", cmd_db, "db migrate: create or upgrade the schema"},
	{"import", cmd_import,
	 "import customers|programs|tiers|invoices|payments|adjustments FILE.csv"},
	{"daily-close", cmd_daily_close,
	 "daily-close [--date YYYY-MM-DD] [--dry-run] [--full] [--workers N] [--allow-future]"},
	{"month-end", cmd_month_end,
	 "month-end --period YYYY-MM [--dry-run] [--no-statements] [--no-email] [--full]\n"
	 "            [--workers N] [--allow-future]"},
	{"worker", cmd_worker, "worker [--run ID]: join a running close from any host"},
	{"adjust", cmd_adjust, "adjust add|expire-invoice|reverse-expiry ... (see accrue adjust --help)"},
	{"gl", cmd_gl,
	 "gl export --from DATE --to DATE [--format csv|iif|xero|xlsx] [--program P] [--out FILE]"},
	{"balances", cmd_balances,
	 "balances [--customer N] [--as-of DATE] [--format table|csv|xlsx] [--out FILE]"},
	{"history", cmd_history,
	 "history --customer N [--from DATE] [--to DATE] [--format table|csv|xlsx]\n"
	 "            [--out FILE]"},
	{"statements", cmd_statements,
	 "statements (--customer N | --all) --from DATE --to DATE [--out DIR] [--email] [--no-company-header]"},
	{"mail", cmd_mail, "mail retry [--resend-interrupted] [--failed]"},
	{"report", cmd_report, "report --period YYYY-MM [--out FILE.pdf]: finance's month report"},
	{"reconcile", cmd_reconcile,
	 "reconcile --as-of DATE [--from DATE] [--format table|csv|xlsx] [--out FILE]: the GL beside\n"
	 "            the ledger"},
	{"verify", cmd_verify, "verify [--deep]: check every invariant of the books, read-only"},
	{"runs", cmd_runs, "runs [--limit N] [--format table|csv]: recent runs, status, duration, counts"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: accrue [--db CONNINFO] [--config FILE] [--quiet | --verbose] COMMAND ...\n"
		"\n"
		"Runs customer loyalty and reward programs on PostgreSQL.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out,
		"\n"
		"options:\n"
		"  --db CONNINFO   PostgreSQL connection (else $ACCRUE_DB, else PG* variables)\n"
		"  --config FILE   configuration (else $ACCRUE_CONFIG, else config/accrue.conf)\n"
		"  --quiet         log errors only (no progress, no warnings)\n"
		"  --verbose       log more: each chunk of a close, each worker\n"
		"  --version       the version of accrue and of the schema it migrates to\n"
		"  -h, --help      this help; `accrue COMMAND --help` for a command's own\n"
		"\n"
		"Without a terminal, log lines on stderr are logfmt (ts=... level=... run=...\n"
		"step=... msg=...); on a terminal, plain lines and a progress bar.\n"
		"\n"
		"exit status: 0 ok, 1 failure, 2 usage, 3 finished with exceptions,\n"
		"65 bad input data, 69 database or mail server unavailable,\n"
		"75 another run holds the lock\n");
}

/* Standard streams closed at start (`2>&-`) are opened on /dev/null, so
 * that the first file or socket opened never becomes stdout or stderr and
 * takes accrue's output. */
static void std_streams(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EXIT_FAIL);
}

/* After the command, as git does: stdout flushed and closed, and a write
 * that failed (a full disk, a closed pipe) turns success into exit 1. */
static int close_stdout(int rc)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		bad = 1;
	if (bad && rc == EXIT_OK) {
		fprintf(stderr, "accrue: cannot write the output: %s\n",
			errno ? strerror(errno) : "write error");
		return EXIT_FAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct app a = {0};
	struct err e = {0};
	const char *cfg_arg = NULL;
	int c, rc;

	std_streams();
	/* a file over `ulimit -f` is a write error to report, not a signal
	 * that kills the run half-way */
	signal(SIGXFSZ, SIG_IGN);
	log_init("accrue");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a.conninfo = optarg;
			break;
		case 'c':
			cfg_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return close_stdout(EXIT_OK);
		case 'q':
			log_set_level(LOG_ERROR);
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'V':
			printf("accrue %s (schema %d)\n", ACCRUE_VERSION, migrations_count);
			return close_stdout(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!a.conninfo) {
		const char *env = getenv("ACCRUE_DB");
		if (env && *env)
			a.conninfo = env;
	}
	config_defaults(&a.cfg);
	a.config_path = config_pick(cfg_arg);
	if (a.config_path && config_load(&a.cfg, a.config_path, &e))
		return app_fail(&e);
	template_dir_set(a.cfg.templates_dir);

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]) == 0) {
			char **sub = argv + optind;
			int subc = argc - optind;

			/* each command parses its own options; 0 makes glibc start
			 * afresh (1 would keep the "+" of the parse above: no
			 * permuting, so `import KIND FILE --date D` would stop at
			 * KIND) */
			optind = 0;
			rc = commands[i].fn(&a, subc, sub);
			db_close(a.db);
			return close_stdout(rc);
		}
	}
	fprintf(stderr, "accrue: unknown command \"%s\"\n(see `accrue --help`)\n", argv[optind]);
	return EXIT_USAGE;
}
