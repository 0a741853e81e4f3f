/*
 * accrue adjust add | expire-invoice | reverse-expiry (SPEC §6, §10)
 *
 *   add             ± units to usable; reference MANUALADJ unless given; a
 *                   negative one beyond the usable balance is refused
 *   expire-invoice  the invoice's pending units expire now (source E<invoice>);
 *                   it must be posted, have pending units, and the invoice
 *                   date given must match
 *   reverse-expiry  an expired invoice's units are pending again (source
 *                   R<invoice>); it is then exempt from automatic expiry and
 *                   vests when paid in full
 *
 * A reason is always required.  A child named is applied to its parent's
 * account, with a warning.  Nothing dated before the last completed close.
 * The request is staged, checked and posted by core/engine/adjust.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjust.h"
#include "app.h"
#include "commands.h"
#include "db.h"
#include "money.h"
#include "text.h"

/* -- the command ------------------------------------------------------------- */

static const char help[] =
	"usage: accrue adjust add --customer N --amount X --reason TEXT [--reference REF] [--date D]\n"
	"                         [--allow-future]\n"
	"       accrue adjust expire-invoice --customer N --invoice I --invoice-date D --reason TEXT\n"
	"                                    [--date D] [--allow-future]\n"
	"       accrue adjust reverse-expiry --customer N --invoice I --invoice-date D --reason TEXT\n"
	"                                    [--date D] [--allow-future]\n"
	"\n"
	"Manual entries on a customer's reward account, each with its GL journal:\n"
	"  add             add (or, negative, take away) usable units; the reference\n"
	"                  defaults to MANUALADJ; the usable balance cannot go below zero\n"
	"  expire-invoice  expire a posted invoice's pending units (source E<invoice>);\n"
	"                  --invoice-date must be the invoice's date\n"
	"  reverse-expiry  make an expired invoice's units pending again (source\n"
	"                  R<invoice>); it then vests when paid in full, whatever the date\n"
	"A reason is required.  A child named is applied to its parent, with a\n"
	"warning.  --date (default today) may not be before the last completed close,\n"
	"nor more than [run] max_future_days (default 1) after today without\n"
	"--allow-future.\n"
	"Many at once: accrue import adjustments FILE.csv\n";

/* Option names for the columns a check names. */
static const char *option_of(const char *column)
{
	static const char *const map[][2] = {
		{"customer", "--customer"}, {"amount", "--amount"}, {"invoice", "--invoice"},
		{"invoice_date", "--invoice-date"}, {"reference", "--reference"},
		{"reason", "--reason"}, {"date", "--date"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], column))
			return map[i][1];
	return column;
}

int cmd_adjust(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"customer", required_argument, NULL, 'c'},
		{"amount", required_argument, NULL, 'a'},
		{"reason", required_argument, NULL, 'r'},
		{"reference", required_argument, NULL, 'R'},
		{"date", required_argument, NULL, 'd'},
		{"allow-future", no_argument, NULL, 'F'},
		{"invoice", required_argument, NULL, 'i'},
		{"invoice-date", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *action, *customer = NULL, *amount = NULL, *reason = NULL, *reference = NULL;
	const char *date = NULL, *invoice = NULL, *invoice_date = NULL;
	char units[32] = "", today[DATE_FMT_SIZE], what[64];
	struct err e = {0}, ignored;
	PGconn *db;
	date_t d, business = 0;
	int allow_future = 0;
	int opt, rc = 0, bad = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		action = "add";
	else if (!strcmp(argv[1], "expire-invoice"))
		action = "expire_invoice";
	else if (!strcmp(argv[1], "reverse-expiry"))
		action = "reverse_expiry";
	else
		return app_usage("adjust", "unknown action \"%s\" (add, expire-invoice or reverse-expiry)",
				 argv[1]);
	snprintf(what, sizeof(what), "adjust %s", argv[1]);
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': customer = optarg; break;
		case 'a': amount = optarg; break;
		case 'r': reason = optarg; break;
		case 'R': reference = optarg; break;
		case 'i': invoice = optarg; break;
		case 'd':
			if (app_date_arg(what, "--date", optarg, &business))
				return EXIT_USAGE;
			date = optarg;
			break;
		case 'F':
			allow_future = 1;
			break;
		case 'I':
			if (app_date_arg(what, "--invoice-date", optarg, &d))
				return EXIT_USAGE;
			invoice_date = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return app_usage(what, "unknown option");
		}
	}
	if (optind < argc)
		return app_usage(what, "unexpected argument \"%s\"", argv[optind]);
	if (date && app_check_future(a, what, business, allow_future))
		return EXIT_USAGE;
	if (!customer)
		return app_usage(what, "--customer is required");
	if (!reason || !*reason)
		return app_usage(what, "--reason is required: say why");
	{
		/* the import's check of a text field (core/rules/text) */
		const char *const texts[][2] = {{"--reason", reason}, {"--reference", reference},
					       {"--customer", customer}, {"--invoice", invoice}};

		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
			const char *why = texts[k][1] ? text_field_problem(texts[k][1], strlen(texts[k][1]), 0)
						     : NULL;

			if (why)
				return app_usage(what, "%s %s", texts[k][0], why);
		}
	}
	if (!strcmp(action, "add")) {
		int64_t v;
		enum decimal_status st;

		if (!amount)
			return app_usage(what, "--amount is required");
		if ((st = decimal_parse(amount, 2, &v)) != DECIMAL_OK)
			return app_usage(what, "--amount: \"%s\" %s", amount, decimal_status_text(st, 2));
		snprintf(units, sizeof(units), "%lld", (long long)v);
		if (invoice || invoice_date)
			return app_usage(what, "--invoice and --invoice-date are for expire-invoice and "
					 "reverse-expiry");
	} else {
		if (!invoice || !invoice_date)
			return app_usage(what, "--invoice and --invoice-date are required");
		if (amount || reference)
			return app_usage(what, "--amount and --reference are for adjust add");
	}
	date_format(app_today(a), today);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	{
		const char *p[9] = {customer, action, *units ? units : NULL, invoice, invoice_date,
				    reference, reason, date, today};
		const char *t[1] = {today};

		if ((rc = db_exec(db, &e, "BEGIN", 0, NULL)) ||
		    (rc = db_exec_script(db, &e, ADJUST_STAGE_SQL)) ||
		    (rc = db_exec(db, &e, "SELECT set_config('accrue.today', $1, true)", 1, t)) ||
		    (rc = db_exec(db, &e,
				  "INSERT INTO stage (line, customer, action, units, invoice, invoice_date,"
				  " reference, reason, entry_date)"
				  " VALUES (1, $1, $2, $3::bigint, $4, $5::date, $6, $7, $8::date)", 8, p)))
			goto fail;
	}
	for (const char *const *q = adjust_checks; *q; q++) {
		PGresult *r = db_query(db, &e, *q, 0, NULL);

		if (!r) {
			rc = e.exit;
			goto fail;
		}
		for (int i = 0; i < PQntuples(r); i++) {
			fprintf(stderr, "accrue %s: %s: %s\n", what, option_of(PQgetvalue(r, i, CHK_COLUMN)),
				PQgetvalue(r, i, CHK_MESSAGE));
			bad++;
		}
		PQclear(r);
	}
	if (bad) {
		fprintf(stderr, "accrue %s: refused: nothing was written\n", what);
		rc = EXIT_DATAERR;
		goto fail;
	}
	if ((rc = adjust_post_staged(db, &e, what)) ||
	    (rc = db_exec(db, &e, "COMMIT", 0, NULL)))
		goto fail;
	return EXIT_OK;
fail:
	db_exec(db, &ignored, "ROLLBACK", 0, NULL);
	if (e.msg[0] && rc != EXIT_DATAERR)
		app_fail(&e);
	return rc;
}
