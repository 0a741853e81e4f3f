/*
 * close: one chunk of a close (SPEC §3–§8, §14) — the accounts of a range
 * of keys brought up to the business date, inside the caller's transaction.
 *
 * One connection streams, with COPY and sorted by account, each account's
 * tier set, documents, payment allocations and ledger entries; core/account
 * replays the account as of B and gives the entries it is missing.  Those
 * go to a temporary file and then, with COPY, into run_entries; the
 * accounts' next events and checkpoints go to account_state and
 * account_checkpoints, the refused redemptions to run_refusals, and the
 * marks the chunk has seen out of account_changes.  The journals are made
 * once every chunk of the run is done (core/engine/close_run.c).
 *
 * Memory holds one account at a time: nothing grows with the number of
 * customers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "close_chunk.h"
#include "db.h"
#include "gl.h"
#include "log.h"
#include "mem.h"
#include "posting.h"
#include "money.h"
#include "sbuf.h"
#include "text.h"

#define REFUSALS_MAX 100000

struct refusal {
	struct acct_alloc a;
	char account[ACCT_KEY];
	char why[256];
};

struct closer {
	PGconn *db;
	struct err *e;
	struct close_job job;
	date_t as_of;
	int month_end;          /* month-end: tiered accruals, period closed */
	int full;               /* --full: every account, not only changed or due ones */
	int accrual_pass;       /* month-end: the accounts only the accrual reaches */
	struct chunk_counts n;  /* of the chunk being done */
	long long n_accr_total;
	long long range_accounts; /* the accounts of the chunk's range */
	FILE *state;            /* account_state rows of the accounts replayed */
	FILE *spool;            /* the chunk's entries, until the stream ends */
	int has_next_stored;    /* the account's next event in account_state */
	date_t next_stored;
	struct sbuf ckpt;       /* the account's checkpoint, when has_ckpt */
	int has_ckpt;
	struct sbuf staterow;
	const char *period;     /* YYYY-MM */
	int sums;               /* the stream sums tiered accounts' sales (stream_agg_sql) */
	long long warnings;     /* of this process, for the cap on what is logged */
	struct progress *pr;
	long long pr_base;

	struct posting post;

	/* the account being gathered */
	char account[ACCT_KEY];
	int has_header;
	const struct prog *prog;
	int has_points_expiry;
	date_t points_expiry;
	struct tier *tiers;
	size_t ntiers, captiers;
	struct acct_doc *docs;
	size_t ndocs, capdocs;
	struct acct_alloc *allocs;
	size_t nallocs, capallocs;
	struct acct_entry *entries;
	size_t nentries, capentries;

	struct account_sim *sim;
	int failed;

	struct refusal *refusals;
	size_t nrefusals, caprefusals;
};

/* -- programs ---------------------------------------------------------------- */

/* -- new entries --------------------------------------------------------------- */

static void on_entry(void *ctx, const struct acct_entry *e)
{
	struct closer *c = ctx;

	if (posting_entry(&c->post, c->account, c->prog->p.code,
			  e->by_close ? ORIGIN_CLOSE : ORIGIN_MONTH_END, e))
		c->failed = 1;
}

static void on_warning(void *ctx, const char *account, const char *msg)
{
	struct closer *c = ctx;

	c->n.warnings++;
	c->warnings++;
	if (c->warnings <= 1000)
		log_warn("account %s: %s", account, msg);
	else if (c->warnings == 1001)
		log_warn("more warnings follow; only their count is shown");
}

static void on_refusal(void *ctx, const struct acct_alloc *a, const char *why)
{
	struct closer *c = ctx;

	if (c->nrefusals >= REFUSALS_MAX)
		return;  /* the first REFUSALS_MAX are listed and recorded */
	if (mem_grow((void **)&c->refusals, &c->caprefusals, c->nrefusals + 1, sizeof(*c->refusals))) {
		err_set(c->e, EXIT_FAIL, "out of memory");
		c->failed = 1;
		return;
	}
	c->refusals[c->nrefusals].a = *a;
	text_copy(c->refusals[c->nrefusals].account, sizeof(c->refusals[0].account), c->account);
	text_copy(c->refusals[c->nrefusals].why, sizeof(c->refusals[0].why), why);
	c->nrefusals++;
}

/* -- the stream ---------------------------------------------------------------- */

/* The account's row of account_state, spilled to a temporary file until
 * the writer's COPY is free: account, next event (\N: none), replayed (f:
 * only the month-end accrual, whose new lot may come first). */
static int state_row(struct closer *c)
{
	char d[DATE_FMT_SIZE], k[DATE_FMT_SIZE];
	struct sbuf *b = &c->staterow;
	const char *ck = c->accrual_pass ? NULL : account_checkpoint(c->sim);
	date_t next;
	int has = account_next_event(c->sim, &next), rc = 0;

	if (!c->state)
		return 0;
	/* only the accrual: its lot matters when it expires first */
	if (c->accrual_pass && (!has || (c->has_next_stored && c->next_stored <= next)))
		return 0;
	sbuf_reset(b);
	if (db_copy_field(b, c->account) ||
	    sbuf_addf(b, "\t%s\t%s\t%s\t", has ? date_format(next, d) : "\\N",
		      c->accrual_pass ? "f" : "t",
		      ck ? date_format(account_checkpoint_day(ck), k) : "\\N") ||
	    db_copy_field(b, ck) || sbuf_addc(b, '\n'))
		rc = -1;
	else if (fwrite(b->p, 1, b->len, c->state) != b->len)
		rc = -1;
	return rc;
}

static int account_flush(struct closer *c)
{
	struct acct_input in;
	struct acct_output out = {on_entry, on_refusal, c, on_warning};
	const struct tier *tiers;
	size_t ntiers;

	if (!c->has_header || !c->prog)
		goto reset;
	tiers = c->ntiers ? c->tiers : c->prog->tiers;
	ntiers = c->ntiers ? c->ntiers : c->prog->ntiers;
	memset(&in, 0, sizeof(in));
	in.account = c->account;
	in.as_of = c->as_of;
	in.has_points_expiry = c->has_points_expiry;
	in.points_expiry = c->points_expiry;
	in.program = &c->prog->p;
	in.tiers = tiers;
	in.ntiers = ntiers;
	in.docs = c->docs;
	in.ndocs = c->ndocs;
	in.allocs = c->allocs;
	in.nallocs = c->nallocs;
	in.entries = c->entries;
	in.nentries = c->nentries;
	in.month_end = c->month_end;
	in.period = c->period;
	in.accrual_only = c->accrual_pass;
	in.checkpoint = c->has_ckpt ? sbuf_str(&c->ckpt) : NULL;
	switch (account_close(c->sim, &in, &out)) {
	case 0:
		break;
	case -2:
		return err_set(c->e, EXIT_FAIL, "account %s: its checkpoint cannot be read; "
			       "run the close with --full", c->account);
	case ACCT_OVERFLOW:
		return err_set(c->e, EXIT_DATAERR, "account %s: its sales add up to more than "
			       "accrue can hold (about 92,233,720,368,547,758.07); check its documents' "
			       "amounts (README, Caps)", c->account);
	default:
		return err_set(c->e, EXIT_FAIL, "out of memory replaying account %s", c->account);
	}
	if (c->accrual_pass)
		c->n.accrual_only++;
	else
		c->n.accounts++;
	if (state_row(c))
		return err_set(c->e, EXIT_FAIL, "cannot write the accounts' state to a temporary file");
reset:
	c->has_header = 0;
	c->has_ckpt = 0;
	c->prog = NULL;
	c->ntiers = c->ndocs = c->nallocs = c->nentries = 0;
	return 0;
}

/* The facts of the accounts in the temporary table `work` (the accounts
 * this close brings up to date), sorted by account; the enums after them name the
 * columns.  Two versions: a book with a tiered program without an
 * inactivity rule gets the sales of those programs' accounts summed
 * (AGG_BRANCH); any other book the plain stream, which is a tenth faster
 * without the sums' joins and branch. */
#define ACCT_PLAIN \
	" acct AS (SELECT customer, account, since FROM work_customers)," \
	ACC("work")
/* The accounts, with the day of the checkpoint their replay resumes from
 * (since; NULL: the whole history) and the checkpoint itself. */
#define ACC(WORK) \
	" acc AS (SELECT c.customer AS account, c.program, c.points_expiry_date, w.since," \
	"                k.checkpoint, st.next_event" \
	"           FROM customers c JOIN " WORK " w ON w.account = c.customer" \
	"           LEFT JOIN account_checkpoints k ON k.account = c.customer AND w.since IS NOT NULL" \
	"           LEFT JOIN account_state st ON st.account = c.customer" \
	"          WHERE c.parent IS NULL AND c.program IS NOT NULL)"
/* AGG: which accounts get their sales summed.  MATERIALIZED: where one
 * branch reads acct (the month-end's accrual stream) the planner would
 * inline it and, misjudging the documents of a join on two keys as one
 * row, look up each document's customer, program and rule again (464,000
 * lookups of each at 100,000 accounts: the stream took 5.9 s on a kept
 * book of tests/bench/nightly, 3.6 s materialized, each account's
 * documents then read by index). */
#define ACCT_AGG(WORK, AGG) \
	" acct AS MATERIALIZED (SELECT w.customer, w.account, w.since, " AGG " AS agg," \
	"                 er.per_invoice, er.sales_by, g.fiscal_year_start AS fys" \
	"            FROM " WORK "_customers w" \
	"            LEFT JOIN customers a ON a.customer = w.account" \
	"            LEFT JOIN programs g ON g.program = a.program" \
	"            LEFT JOIN earning_rules er ON er.earning = g.earning)," \
	ACC(WORK)
#define AGG_TIERED_ACTIVE \
	"COALESCE(NOT er.per_invoice AND g.inactivity_days IS NULL, false)"
/* A tiered account without an inactivity rule needs of its documents only
 * their eligible sales (the view sales_documents, sql/005_rules.sql) per
 * fiscal year or per month, as its earning rule's sales_by says: summed
 * here, one row each, dated by its last document, instead of one row per
 * document.  SINCE narrows the documents. */
#define AGG_BRANCH(SINCE) \
	" UNION ALL" \
	" SELECT x.account, 2, max(i.doc_date), 'sales ' || b.bucket, NULL, 0," \
	"        'sales ' || b.bucket, x.account, 'invoice', max(i.doc_date)::text, ''," \
	/* (a sum beyond bigint is an error, 22003, not a figure clamped on \
	 * its way into C) */ \
	"        sum(i.net_cents)::bigint::text, sum(i.total_cents)::bigint::text," \
	"        'posted', 'f', NULL, NULL, NULL" \
	"   FROM sales_documents i JOIN acct x ON x.customer = i.customer AND i.account = x.account" \
	"    AND x.agg CROSS JOIN p" \
	"   CROSS JOIN LATERAL (SELECT CASE WHEN x.sales_by = 'month'" \
	"        THEN date_trunc('month', i.doc_date::timestamp)::date" \
	"        ELSE fiscal_year_start(i.doc_date, x.fys) END AS bucket) b" \
	"  WHERE i.doc_date <= p.as_of" SINCE \
	"  GROUP BY x.account, b.bucket"
/* An account's header and its own tier set. */
#define HEAD_AND_TIERS \
	" SELECT acc.account, 0 AS src, NULL::date AS d, NULL::text AS k1, NULL::text AS k2," \
	"        0::bigint AS ord, acc.program AS c1, acc.points_expiry_date::text AS c2," \
	"        acc.checkpoint AS c3, acc.next_event::text AS c4, NULL::text AS c5, NULL::text AS c6," \
	"        NULL::text AS c7, NULL::text AS c8, NULL::text AS c9, NULL::text AS c10," \
	"        NULL::text AS c11, NULL::text AS c12" \
	"   FROM acc" \
	" UNION ALL" \
	" SELECT t.customer, 1, NULL, t.tier, t.category, t.lower_cents, t.tier, t.category," \
	"        t.lower_cents::text, t.upper_cents::text, t.rate_ppm::text, t.factor_cents::text," \
	"        NULL, NULL, NULL, NULL, NULL, NULL" \
	"   FROM tiers t JOIN acc ON acc.account = t.customer AND acc.program = t.program"
#define LEDGER_BRANCH(WHERE) \
	" UNION ALL" \
	" SELECT l.account, 4, NULL, NULL, NULL, l.entry_id, l.kind, l.origin, l.entry_date::text," \
	"        l.document, l.customer, l.note, l.tier, l.tier_rate_ppm::text," \
	"        l.tier_factor_cents::text, l.pending_units::text, l.usable_units::text," \
	"        l.expires_on::text" \
	"   FROM ledger l JOIN acc ON acc.account = l.account AND acc.program = l.program" \
	"   CROSS JOIN p WHERE l.entry_date <= p.as_of" \
	"    AND l.entry_date > COALESCE(acc.since, '-infinity')" WHERE
#define STREAM_SQL(ACCT, DOC_JOIN, AGG, PAY_WHERE) \
	"COPY (" \
	" WITH p AS (SELECT current_setting('accrue.as_of')::date AS as_of)," \
	ACCT \
	HEAD_AND_TIERS \
	" UNION ALL" \
	" SELECT x.account, 2, i.doc_date, i.invoice, NULL, 0, i.invoice, i.customer, i.kind," \
	"        i.doc_date::text, i.category, i.net_cents::text, i.total_cents::text, i.status," \
	"        CASE WHEN i.no_points THEN 't' ELSE 'f' END, i.original," \
	"        CASE WHEN i.kind = 'credit_note' AND against_no_points(i.kind, i.account, i.original)" \
	"             THEN 't' ELSE 'f' END, NULL" \
	"   FROM invoices i JOIN acct x ON x.customer = i.customer AND i.account = x.account" \
	DOC_JOIN " CROSS JOIN p" \
	"  WHERE i.status <> 'unposted' AND i.doc_date <= p.as_of" \
	"    AND i.doc_date > COALESCE(x.since, '-infinity')" \
	AGG \
	" UNION ALL" \
	" SELECT x.account, 3, y.pay_date, y.payment, COALESCE(y.invoice, ''), 0, y.payment," \
	"        COALESCE(y.invoice, ''), y.customer, y.pay_date::text, y.amount_cents::text," \
	"        y.method, y.reversed_on::text, NULL, NULL, NULL, NULL, NULL" \
	"   FROM payments y JOIN acct x ON x.customer = y.customer AND y.account = x.account" \
	"  CROSS JOIN p" \
	"  WHERE y.pay_date <= p.as_of AND y.pay_date > COALESCE(x.since, '-infinity')" PAY_WHERE \
	LEDGER_BRANCH("") \
	" ORDER BY 1, 2, 3, 4, 5, 6" \
	") TO STDOUT"

/* Of a tiered account's allocations only its redemptions matter (vesting
 * on payment is for per_invoice programs only). */
#define TIERED_PAYMENTS " AND (x.per_invoice OR y.method = 'reward')"
/* A fiscal year starts less than a year before the period's last day. */
#define FY_DOCS " AND i.doc_date >= (p.as_of - interval '1 year')::date"

static const char stream_sql[] = STREAM_SQL(ACCT_PLAIN, "", "", "");
/* A daily close needs nothing of a summed account's documents (they only
 * feed the month-end's accrual: no inactivity rule, no per-invoice
 * earning); the month-end, the fiscal year's sales. */
static const char stream_agg_daily_sql[] = STREAM_SQL(ACCT_AGG("work", AGG_TIERED_ACTIVE),
						      " AND NOT x.agg", "", TIERED_PAYMENTS);
static const char stream_agg_sql[] = STREAM_SQL(ACCT_AGG("work", AGG_TIERED_ACTIVE),
						" AND NOT x.agg", AGG_BRANCH(FY_DOCS), TIERED_PAYMENTS);

/* Month-end, the tiered accounts in `accr` (none of their data changed and
 * nothing is due): only what the accrual needs — the fiscal year's sales,
 * summed, and the year's accruals. */
static const char accrual_sql[] =
	"COPY ("
	" WITH p AS (SELECT current_setting('accrue.as_of')::date AS as_of),"
	ACCT_AGG("accr", "true")
	HEAD_AND_TIERS
	AGG_BRANCH(FY_DOCS)
	LEDGER_BRANCH(" AND l.kind = 'accrual' AND l.entry_date >= (p.as_of - interval '1 year')::date")
	" ORDER BY 1, 2, 3, 4, 5, 6"
	") TO STDOUT";


/* A date of the stream that is not one: the database never sends it. */
static int stream_bad_date(struct closer *c, const char *text)
{
	return err_set(c->e, EXIT_FAIL, "account %.100s: the database sent \"%.40s\" where a date "
		       "was expected", c->account, text);
}
/* The stream's columns, as the SELECTs above give them: the account, the
 * source of the row and its sort keys, then per source its fields. */
enum { S_ACCOUNT, S_SRC, S_FIELDS = 6, S_NCOLS = S_FIELDS + 12 };
enum { SRC_HEAD, SRC_TIER, SRC_DOC, SRC_ALLOC, SRC_ENTRY };
enum { HEAD_PROGRAM = S_FIELDS, HEAD_POINTS_EXPIRY, HEAD_CHECKPOINT, HEAD_NEXT_EVENT };
enum { TIER_NAME = S_FIELDS };  /* then as posting_tier reads them */
enum { DOC_NUMBER = S_FIELDS, DOC_CUSTOMER, DOC_KIND, DOC_DATE, DOC_CATEGORY, DOC_NET,
       DOC_TOTAL, DOC_STATUS, DOC_NO_POINTS, DOC_ORIGINAL, DOC_AGAINST_NO_POINTS };
enum { ALLOC_PAYMENT = S_FIELDS, ALLOC_INVOICE, ALLOC_CUSTOMER, ALLOC_DATE, ALLOC_AMOUNT,
       ALLOC_METHOD, ALLOC_REVERSED_ON };
enum { ENT_KIND = S_FIELDS, ENT_ORIGIN, ENT_DATE, ENT_DOCUMENT, ENT_CUSTOMER, ENT_NOTE, ENT_TIER,
       ENT_RATE, ENT_FACTOR, ENT_PENDING, ENT_USABLE, ENT_EXPIRES };

#define F(i) (f[(i)])

static int take_row(struct closer *c, char **f, int n)
{
	int src;
	date_t d;

	if (n < S_NCOLS)
		return err_set(c->e, EXIT_FAIL, "internal: short row from the account stream");
	src = atoi(F(S_SRC));
	switch (src) {
	case SRC_HEAD:
		c->has_header = 1;
		c->prog = posting_prog(&c->post, F(HEAD_PROGRAM));
		c->has_points_expiry = F(HEAD_POINTS_EXPIRY) && date_parse(F(HEAD_POINTS_EXPIRY), &c->points_expiry) == 0;
		c->has_next_stored = F(HEAD_NEXT_EVENT) && date_parse(F(HEAD_NEXT_EVENT), &c->next_stored) == 0;
		sbuf_reset(&c->ckpt);
		c->has_ckpt = F(HEAD_CHECKPOINT) && sbuf_adds(&c->ckpt, F(HEAD_CHECKPOINT)) == 0;
		if (F(HEAD_CHECKPOINT) && !c->has_ckpt)
			return err_set(c->e, EXIT_FAIL, "account %s: its checkpoint is too large",
				       c->account);
		break;
	case SRC_TIER:
		if (mem_grow((void **)&c->tiers, &c->captiers, c->ntiers + 1, sizeof(*c->tiers)))
			return err_set(c->e, EXIT_FAIL, "out of memory");
		posting_tier(&c->tiers[c->ntiers++], f + TIER_NAME);
		break;
	case SRC_DOC: {
		struct acct_doc *x;

		if (mem_grow((void **)&c->docs, &c->capdocs, c->ndocs + 1, sizeof(*c->docs)))
			return err_set(c->e, EXIT_FAIL, "out of memory");
		x = &c->docs[c->ndocs++];
		memset(x, 0, sizeof(*x));
		text_copy(x->number, sizeof(x->number), F(DOC_NUMBER));
		text_copy(x->customer, sizeof(x->customer), F(DOC_CUSTOMER));
		x->is_credit = !strcmp(F(DOC_KIND), "credit_note");
		if (date_parse(F(DOC_DATE), &d))
			return stream_bad_date(c, F(DOC_DATE));
		x->date = d;
		text_copy(x->category, sizeof(x->category), F(DOC_CATEGORY));
		x->net_cents = db_int64(F(DOC_NET));
		x->total_cents = db_int64(F(DOC_TOTAL));
		x->cancelled = !strcmp(F(DOC_STATUS), "cancelled");
		x->no_points = !strcmp(F(DOC_NO_POINTS), "t");
		text_copy(x->original, sizeof(x->original), F(DOC_ORIGINAL));
		x->against_no_points = F(DOC_AGAINST_NO_POINTS) &&
				       !strcmp(F(DOC_AGAINST_NO_POINTS), "t");
		break;
	}
	case SRC_ALLOC: {
		struct acct_alloc *x;

		if (mem_grow((void **)&c->allocs, &c->capallocs, c->nallocs + 1, sizeof(*c->allocs)))
			return err_set(c->e, EXIT_FAIL, "out of memory");
		x = &c->allocs[c->nallocs++];
		memset(x, 0, sizeof(*x));
		text_copy(x->payment, sizeof(x->payment), F(ALLOC_PAYMENT));
		text_copy(x->invoice, sizeof(x->invoice), F(ALLOC_INVOICE));
		text_copy(x->customer, sizeof(x->customer), F(ALLOC_CUSTOMER));
		if (date_parse(F(ALLOC_DATE), &d))
			return stream_bad_date(c, F(ALLOC_DATE));
		x->date = d;
		x->amount_cents = db_int64(F(ALLOC_AMOUNT));
		x->reward = !strcmp(F(ALLOC_METHOD), "reward");
		if (F(ALLOC_REVERSED_ON)) {
			if (date_parse(F(ALLOC_REVERSED_ON), &d))
				return stream_bad_date(c, F(ALLOC_REVERSED_ON));
			x->has_reversed = 1;
			x->reversed_on = d;
		}
		break;
	}
	case SRC_ENTRY: {
		struct acct_entry *x;

		if (mem_grow((void **)&c->entries, &c->capentries, c->nentries + 1, sizeof(*c->entries)))
			return err_set(c->e, EXIT_FAIL, "out of memory");
		x = &c->entries[c->nentries++];
		memset(x, 0, sizeof(*x));
		x->kind = acct_kind_parse(F(ENT_KIND));
		x->by_close = !strcmp(F(ENT_ORIGIN), "close");
		if (date_parse(F(ENT_DATE), &d))
			return stream_bad_date(c, F(ENT_DATE));
		x->date = d;
		text_copy(x->document, sizeof(x->document), F(ENT_DOCUMENT));
		text_copy(x->customer, sizeof(x->customer), F(ENT_CUSTOMER));
		text_copy(x->note, sizeof(x->note), F(ENT_NOTE));
		text_copy(x->tier, sizeof(x->tier), F(ENT_TIER));
		x->tier_rate_ppm = db_int64(F(ENT_RATE));
		x->tier_factor_cents = db_int64(F(ENT_FACTOR));
		x->pending = db_int64(F(ENT_PENDING));
		x->usable = db_int64(F(ENT_USABLE));
		x->has_expires = F(ENT_EXPIRES) && date_parse(F(ENT_EXPIRES), &x->expires_on) == 0;
		if (x->kind < 0)
			c->nentries--;
		break;
	}
	}
	return 0;
}


static int stream_accounts(struct closer *c, const char *sql)
{
	char *row = NULL;
	char *f[24];
	int n, rc = 0;

	if (db_copy_begin(c->db, c->e, sql))
		return c->e->exit;
	c->account[0] = '\0';
	while ((n = db_copy_row(c->db, c->e, &row)) >= 0) {
		int nf = db_copy_split(row, (size_t)n, f, 24);

		if (nf > S_ACCOUNT && f[S_ACCOUNT] && strcmp(f[S_ACCOUNT], c->account) != 0) {
			if ((rc = account_flush(c)))
				break;
			text_copy(c->account, sizeof(c->account), f[S_ACCOUNT]);
			if (c->pr && ((c->n.accounts + c->n.accrual_only) & 255) == 0)
				progress_update(c->pr, c->pr_base + c->n.accounts + c->n.accrual_only);
		}
		if ((rc = take_row(c, f, nf)))
			break;
		PQfreemem(row);
		row = NULL;
		if (c->failed) {
			rc = c->e->exit;
			break;
		}
	}
	if (row)
		PQfreemem(row);
	if (n == -2 && !rc)
		rc = c->e->exit;
	if (rc) {
		/* leave the connection usable for the ROLLBACK: drain the COPY */
		struct err ignored;
		char *rest = NULL;

		while (n >= 0 && (n = db_copy_row(c->db, &ignored, &rest)) >= 0) {
			PQfreemem(rest);
			rest = NULL;
		}
		return rc;
	}
	if ((rc = account_flush(c)))
		return rc;
	if (c->pr)
		progress_update(c->pr, c->pr_base + c->n.accounts + c->n.accrual_only);
	return c->failed ? c->e->exit : 0;
}

/* -- after the stream ------------------------------------------------------------ */

/* The redemptions the chunk refused, for the run to record and list once
 * every chunk is done (a later close tries them again). */
static int save_refusals(struct closer *c)
{
	struct sbuf b;
	char d[DATE_FMT_SIZE], id[32];
	int rc;

	if (!c->nrefusals)
		return 0;
	if ((rc = db_copy_begin(c->db, c->e,
				"COPY run_refusals (run_id, seq, account, payment, invoice, customer, pay_date,"
				" amount_cents, reason) FROM STDIN")))
		return rc;
	sbuf_init(&b, (size_t)REFUSALS_MAX * 1024);
	snprintf(id, sizeof(id), "%lld", c->job.run_id);
	for (size_t i = 0; i < c->nrefusals && !rc; i++) {
		const struct refusal *x = &c->refusals[i];

		if (sbuf_addf(&b, "%s\t%zu\t", id, i) || db_copy_field(&b, x->account) ||
		    sbuf_addc(&b, '\t') || db_copy_field(&b, x->a.payment) || sbuf_addc(&b, '\t') ||
		    db_copy_field(&b, x->a.invoice) || sbuf_addc(&b, '\t') ||
		    db_copy_field(&b, x->a.customer) ||
		    sbuf_addf(&b, "\t%s\t%lld\t", date_format(x->a.date, d),
			      (long long)x->a.amount_cents) ||
		    db_copy_field(&b, x->why) || sbuf_addc(&b, '\n'))
			rc = err_set(c->e, EXIT_FAIL, "the refused redemptions take more than %zu bytes",
				     b.max);
	}
	if (!rc)
		rc = db_copy_put(c->db, c->e, b.p, b.len);
	sbuf_free(&b);
	if (rc) {
		struct err ignored;
		db_copy_end(c->db, &ignored, "failed");
		return rc;
	}
	return db_copy_end(c->db, c->e, NULL);
}

/* COL is in the chunk's range of keys [accrue.lo, accrue.hi), '' being
 * unbounded. */
#define IN_CHUNK(COL) \
	" (current_setting('accrue.lo') = '' OR " COL " >= current_setting('accrue.lo'))" \
	" AND (current_setting('accrue.hi') = '' OR " COL " < current_setting('accrue.hi'))"

/* The customers of the accounts in table T, as T_customers (customer,
 * account, since), analysed: the stream's joins are planned on true row
 * counts. */
#define CUSTOMERS_OF(T) \
	"CREATE TEMP TABLE " T "_customers ON COMMIT DROP AS" \
	" SELECT account AS customer, account, since FROM " T " UNION ALL" \
	" SELECT k.customer, w.account, w.since FROM " T " w" \
	"   JOIN customers k ON k.parent = w.account;" \
	"CREATE INDEX ON " T "_customers (customer);" \
	"ANALYZE " T "_customers"

/* The accounts this close brings up to date, in the reader's temporary
 * table `work` (account, why): with --full every account; else those with
 * a change on or before the close's date (SPEC §8: documents, payments,
 * adjustments, the customer row, their program or tiers) and those whose
 * next dated event has come — one indexed look at account_changes and
 * account_state.  Month-end: `accr` holds the tiered accounts left out,
 * which get their accrual only.  When the work is a small part of the
 * book, the stream reads each account's rows by index instead of hashing
 * whole tables: a close then costs what the day holds. */
static int pick_accounts(struct closer *c, long long *total)
{
	PGresult *r;
	long long naccounts;
	int rc;


	if (c->full)
		rc = db_exec(c->db, c->e,
			     "CREATE TEMP TABLE work ON COMMIT DROP AS"
			     " SELECT customer AS account, 'full'::text AS why, NULL::date AS since"
			     "   FROM customers WHERE parent IS NULL AND program IS NOT NULL"
			     "    AND" IN_CHUNK("customer"), 0, NULL);
	else if (!(rc = db_exec(c->db, c->e,
				"CREATE TEMP TABLE todo ON COMMIT DROP AS"
				" SELECT account, min(first) AS first FROM ("
				"   SELECT account, from_date AS first FROM account_changes"
				"    WHERE from_date <= current_setting('accrue.as_of')::date"
				"      AND" IN_CHUNK("account")
				"   UNION ALL"
				"   SELECT account, NULL FROM account_state"
				"    WHERE next_event <= current_setting('accrue.as_of')::date"
				"      AND" IN_CHUNK("account") ") t"
				"  GROUP BY account", 0, NULL)) &&
		 !(rc = db_exec(c->db, c->e, "ANALYZE todo", 0, NULL)))
		/* todo analysed: the accounts' rows are then read by key */
		rc = db_exec(c->db, c->e,
			     "CREATE TEMP TABLE work ON COMMIT DROP AS"
			     " SELECT c.customer AS account,"
			     "        CASE WHEN t.first IS NOT NULL THEN 'changed' ELSE 'due' END AS why,"
			     /* resume from the checkpoint unless a change reaches
			      * back to its day */
			     "        CASE WHEN (t.first IS NULL OR t.first > k.checkpoint_day)"
			     /* a month-end run long after its period's last day
			      * replays whole: the checkpoint is past its date */
			     "              AND k.checkpoint_day < current_setting('accrue.as_of')::date"
			     "             THEN k.checkpoint_day END AS since"
			     "   FROM todo t JOIN customers c ON c.customer = t.account"
			     "   LEFT JOIN account_checkpoints k ON k.account = t.account"
			     "  WHERE c.parent IS NULL AND c.program IS NOT NULL",
			     0, NULL);
	if (rc || (rc = db_exec(c->db, c->e, "CREATE UNIQUE INDEX ON work (account)", 0, NULL)) ||
	    (rc = db_exec(c->db, c->e, "ANALYZE work", 0, NULL)) ||
	    (rc = db_exec_script(c->db, c->e, CUSTOMERS_OF("work"))))
		return rc;
	if (c->month_end &&
	    ((rc = db_exec(c->db, c->e,
			   "CREATE TEMP TABLE accr ON COMMIT DROP AS"
			   " SELECT c.customer AS account, NULL::date AS since FROM customers c"
			   "   JOIN programs g ON g.program = c.program"
			   "   JOIN earning_rules er ON er.earning = g.earning"
			   "  WHERE c.parent IS NULL AND NOT er.per_invoice AND" IN_CHUNK("c.customer")
			   "    AND NOT EXISTS (SELECT 1 FROM work w WHERE w.account = c.customer)",
			   0, NULL)) ||
	     (rc = db_exec(c->db, c->e, "ANALYZE accr", 0, NULL)) ||
	     (rc = db_exec_script(c->db, c->e, CUSTOMERS_OF("accr")))))
		return rc;
	/* what the summary says, and the size of the work beside the book */
	enum { PICK_CHANGED, PICK_DUE, PICK_TOTAL, PICK_RESUMED, PICK_ACCRUAL };
	r = db_query(c->db, c->e, c->month_end
		     ? "SELECT count(*) FILTER (WHERE why = 'changed'),"
		       "       count(*) FILTER (WHERE why = 'due'), count(*),"
		       "       count(*) FILTER (WHERE since IS NOT NULL),"
		       "       (SELECT count(*) FROM accr)"
		       "  FROM work"
		     : "SELECT count(*) FILTER (WHERE why = 'changed'),"
		       "       count(*) FILTER (WHERE why = 'due'), count(*),"
		       "       count(*) FILTER (WHERE since IS NOT NULL),"
		       "       0"
		       "  FROM work", 0, NULL);
	if (!r)
		return c->e->exit;
	c->n.changed = atoll(PQgetvalue(r, 0, PICK_CHANGED));
	c->n.due = atoll(PQgetvalue(r, 0, PICK_DUE));
	*total = atoll(PQgetvalue(r, 0, PICK_TOTAL));
	c->n.resumed = atoll(PQgetvalue(r, 0, PICK_RESUMED));
	c->n_accr_total = atoll(PQgetvalue(r, 0, PICK_ACCRUAL));
	PQclear(r);
	/* A tenth or less of the accounts of its range, or up to half of them
	 * when most resume from a checkpoint (a month or two of facts each):
	 * by index; more, and hashing whole tables is cheaper (a close of much
	 * of the book has few chunks, each of a wide range). */
	{
		r = db_query(c->db, c->e, "SELECT count(*) FROM customers"
			     " WHERE parent IS NULL AND program IS NOT NULL AND" IN_CHUNK("customer"),
			     0, NULL);
		if (!r)
			return c->e->exit;
		naccounts = db_value(r) ? atoll(db_value(r)) : 0;
		c->range_accounts = naccounts;
		PQclear(r);
	}
	if ((*total * 10 <= naccounts ||
	     (!c->full && *total * 2 <= naccounts && c->n.resumed * 2 >= *total)) &&
	    ((rc = db_exec(c->db, c->e, "SET LOCAL enable_hashjoin = off", 0, NULL)) ||
	     (rc = db_exec(c->db, c->e, "SET LOCAL enable_mergejoin = off", 0, NULL)) ||
	     (rc = db_exec(c->db, c->e, "SET LOCAL jit = off", 0, NULL))))
		return rc;
	return 0;
}

/* In the close's transaction: each account brought up to date gets its
 * next dated event (an account the month-end only accrued for keeps its
 * own, unless the accrual's lot comes first), and the changes this close
 * has seen are consumed — those on or before its date; a change reaching
 * past it keeps its later part, due when the books get there.  Changes
 * written since the close's snapshot are not seen, and stay. */
static int save_state(struct closer *c)
{
	char d[DATE_FMT_SIZE];
	const char *p[1] = {d};
	int rc;

	if ((rc = db_exec(c->db, c->e,
			  "CREATE TEMP TABLE new_state (account text COLLATE \"C\", next_event date,"
			  " replayed boolean, checkpoint_day date, checkpoint text) ON COMMIT DROP",
			  0, NULL)) ||
	    (rc = db_copy_file(c->db, c->e, "COPY new_state FROM STDIN", c->state,
			       "the accounts' state")))
		return rc;
	date_format(c->as_of, d);
	if ((rc = db_exec(c->db, c->e,
			  "INSERT INTO account_state AS s (account, next_event, closed_through)"
			  " SELECT account, next_event, $1::date FROM new_state WHERE replayed"
			  " ON CONFLICT (account) DO UPDATE"
			  "   SET next_event = EXCLUDED.next_event,"
			  "       closed_through = greatest(s.closed_through, EXCLUDED.closed_through),"
			  "       updated_at = now()", 1, p)) ||
	    (rc = db_exec(c->db, c->e,
			  "INSERT INTO account_checkpoints AS k (account, checkpoint_day, checkpoint)"
			  " SELECT account, checkpoint_day, checkpoint FROM new_state"
			  "  WHERE replayed AND checkpoint IS NOT NULL"
			  " ON CONFLICT (account) DO UPDATE"
			  "   SET checkpoint_day = EXCLUDED.checkpoint_day, checkpoint = EXCLUDED.checkpoint",
			  0, NULL)) ||
	    (rc = db_exec(c->db, c->e,
			  "DELETE FROM account_checkpoints k USING new_state n"
			  " WHERE n.account = k.account AND n.replayed AND n.checkpoint IS NULL",
			  0, NULL)) ||
	    (rc = db_exec(c->db, c->e,
			  "UPDATE account_state s SET next_event = least(s.next_event, n.next_event),"
			  "       updated_at = now()"
			  "  FROM new_state n"
			  " WHERE NOT n.replayed AND n.account = s.account"
			  "   AND s.next_event IS DISTINCT FROM least(s.next_event, n.next_event)",
			  0, NULL)) ||
	    (rc = db_exec(c->db, c->e,
			  "DELETE FROM account_changes WHERE from_date <= $1::date AND to_date <= $1::date"
			  "   AND" IN_CHUNK("account"), 1, p)))
		return rc;
	/* A change reaching past the close's date (a document or payment
	 * dated later) is due again on the date of the account's first fact
	 * after it, found by index; none left: nothing is due. */
	if ((rc = db_exec(c->db, c->e,
			  "UPDATE account_changes x SET from_date = f.next"
			  /* (an account's documents and payments, its children's
			   * too, carry it: read by its key) */
			  "  FROM (SELECT a.account, least("
			  "          (SELECT min(i.doc_date) FROM invoices i"
			  "            WHERE i.account = a.account AND i.doc_date > $1::date),"
			  "          (SELECT min(y.pay_date) FROM payments y"
			  "            WHERE y.account = a.account AND y.pay_date > $1::date),"
			  "          (SELECT min(l.entry_date) FROM ledger l"
			  "            WHERE l.account = a.account AND l.entry_date > $1::date"
			  "              AND l.origin = 'manual')) AS next"
			  "          FROM (SELECT DISTINCT account FROM account_changes"
			  "                 WHERE from_date <= $1::date AND" IN_CHUNK("account") ") a) f"
			  " WHERE x.account = f.account AND x.from_date <= $1::date AND f.next IS NOT NULL",
			  1, p)))
		return rc;
	return db_exec(c->db, c->e, "DELETE FROM account_changes WHERE from_date <= $1::date"
		       " AND" IN_CHUNK("account"), 1, p);
}


/* -- the chunk ------------------------------------------------------------------- */

struct closer *closer_new(PGconn *db, const struct close_job *job, struct err *e)
{
	struct closer *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->db = db;
	c->e = e;
	c->job = *job;
	c->as_of = job->as_of;
	c->month_end = job->month_end;
	c->full = job->full;
	c->period = c->job.period;
	sbuf_init(&c->ckpt, (size_t)64 << 20);
	sbuf_init(&c->staterow, (size_t)130 << 20);
	c->sim = account_sim_new();
	c->state = tmpfile();
	c->spool = tmpfile();
	if (!c->sim || !c->state || !c->spool) {
		closer_free(c);
		return NULL;
	}
	return c;
}

void closer_free(struct closer *c)
{
	if (!c)
		return;
	if (c->state)
		fclose(c->state);
	if (c->spool)
		fclose(c->spool);
	sbuf_free(&c->ckpt);
	sbuf_free(&c->staterow);
	account_sim_free(c->sim);
	posting_free(&c->post);
	free(c->tiers);
	free(c->docs);
	free(c->allocs);
	free(c->entries);
	free(c->refusals);
	free(c);
}

static int empty_file(FILE *f)
{
	if (fflush(f) || ftruncate(fileno(f), 0))
		return -1;
	rewind(f);
	return 0;
}

int closer_chunk(struct closer *c, const char *lo, const char *hi, struct progress *pr,
		 long long pr_base, struct chunk_counts *out)
{
	char d[DATE_FMT_SIZE];
	const char *p[3] = {d, lo ? lo : "", hi ? hi : ""};
	PGresult *r;
	long long total = 0;
	int rc;

	memset(&c->n, 0, sizeof(c->n));
	c->nrefusals = 0;
	c->failed = 0;
	c->pr = pr;
	c->pr_base = pr_base;
	date_format(c->as_of, d);
	if ((rc = db_exec(c->db, c->e,
			  "SELECT set_config('accrue.as_of', $1, true), set_config('accrue.lo', $2, true),"
			  "       set_config('accrue.hi', $3, true)", 3, p)) ||
	    (rc = db_exec(c->db, c->e, "SET LOCAL work_mem = '256MB'", 0, NULL)))
		return rc;
	r = db_query(c->db, c->e,
		     "SELECT EXISTS (SELECT 1 FROM programs g JOIN earning_rules er USING (earning)"
		     "               WHERE NOT er.per_invoice AND g.inactivity_days IS NULL)", 0, NULL);
	if (!r)
		return c->e->exit;
	c->sums = db_value(r) && !strcmp(db_value(r), "t");
	PQclear(r);
	/* With sums the stream's one sort should be its ORDER BY.  Left to
	 * itself the planner sorts the invoices of tiered accounts to group
	 * them (an external sort of millions of rows) where hashing them takes
	 * half the time (tests/bench/month-end).  enable_sort off adds its
	 * "disabled" cost to the ORDER BY, which would switch JIT compilation
	 * on for every close, however small (a second each): off too. */
	if (c->sums &&
	    ((rc = db_exec(c->db, c->e, "SET LOCAL enable_sort = off", 0, NULL)) ||
	     (rc = db_exec(c->db, c->e, "SET LOCAL jit = off", 0, NULL))))
		return rc;
	if ((rc = posting_load(&c->post, c->db, c->e)) || (rc = pick_accounts(c, &total)))
		return rc;
	if (pr && pr->total == 0 && total + c->n_accr_total > 0) {
		/* one chunk for the whole close (a dry run): its size is known now */
		pr->total = total + c->n_accr_total;
		progress_update(pr, 0);
	}
	if (empty_file(c->state) || empty_file(c->spool))
		return err_set(c->e, EXIT_FAIL, "cannot reuse the close's temporary files");
	posting_spool_begin(&c->post, c->spool, c->job.run_id);
	if ((rc = stream_accounts(c, !c->sums ? stream_sql
				  : c->month_end ? stream_agg_sql : stream_agg_daily_sql)))
		return rc;
	if (c->month_end) {
		/* many tiered accounts: hashing is right again */
		if (c->n_accr_total * 10 > c->range_accounts &&
		    ((rc = db_exec(c->db, c->e, "SET LOCAL enable_hashjoin TO DEFAULT", 0, NULL)) ||
		     (rc = db_exec(c->db, c->e, "SET LOCAL enable_mergejoin TO DEFAULT", 0, NULL))))
			return rc;
		c->accrual_pass = 1;
		rc = stream_accounts(c, accrual_sql);
		c->accrual_pass = 0;
		if (rc)
			return rc;
	}
	c->n.entries = c->post.spool_entries;
	c->n.refused = (long long)c->nrefusals;
	if ((rc = posting_spool_end(&c->post)) || (rc = save_refusals(c)) || (rc = save_state(c)))
		return rc;
	*out = c->n;
	return 0;
}
