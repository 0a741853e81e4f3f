/*
 * account: the reward account of one parent customer, replayed from its facts
 * as of a business date (SPEC §3 per_invoice, §4, §5, §6 redemption).
 *
 * The daily close is "recompute and diff": this module works out every entry
 * the account *should* hold as of B under today's rules and data — earnings,
 * vesting and invoice expiry, lot expiry, inactivity, redemptions — and
 * compares them with the entries the ledger already holds from earlier
 * closes.  Only the differences come out, as new entries; so a re-run posts
 * nothing, late documents are caught up, and a gap of days gives the same
 * ledger as running each day.
 *
 * Entries the close does not make (manual adjustments, manual expiries and
 * reversals, month-end accruals) are facts here: they move balances and lots
 * but are never diffed.
 *
 * At month-end (in->month_end) the tiered programs' accrual is recomputed
 * for the whole fiscal year through as_of (core/tiered) and the difference
 * from the year's accruals so far comes out as a new accrual entry (by_close
 * 0: it is a fact for every later close), dated as_of.
 *
 * Pure: the caller gathers one account's rows and calls account_close; the
 * struct account_sim keeps its arrays between accounts (reset, not freed).
 *
 * Same-day order (a redemption can use the same day's vesting):
 *   1. inactivity loss and lot expiry dated that day
 *   2. earnings, credit notes, cancellations
 *   3. vesting and invoice expiry on payment or after the payment window,
 *      and their undoing when a reversed allocation unpays the invoice
 *   4. manual entries and accruals
 *   5. redemptions, then reversed redemptions returned
 *
 * Payment reversals (SPEC §4): an invoice is paid in full on the days its
 * live allocations (each from its date to the day before its reversal)
 * reach its total less its credit notes.  A vested invoice no longer paid
 * in full goes back to pending ("payment reversed"), an expiry "paid with
 * reward units" whose reward allocation is reversed is itself reversed;
 * either way the invoice then vests again when paid in full in time, or
 * expires at its deadline (on the reversal day itself, "payment reversed
 * after N days", when that is already past).  A posted redemption whose
 * allocation is reversed comes back as a new lot ("redemption reversed");
 * a refused one is no longer tried.
 */
#ifndef ACCRUE_ACCOUNT_H
#define ACCRUE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "earning.h"
#include "tiers.h"

#define ACCT_KEY 72
#define ACCT_NOTE 160

enum acct_kind {
	K_EARN, K_VEST, K_EXPIRE, K_ACCRUAL, K_ADJUST, K_REDEEM, K_REVERSE_EXPIRY,
};
extern const char *const acct_kind_names[];  /* as in the ledger's kind column */
int acct_kind_parse(const char *s);          /* -1 when unknown */

/* The ledger documents of manual work on an invoice (SPEC §6): a manual
 * expiry is E<invoice>, the reversal of an expiry R<invoice> (SQL:
 * manual_expiry_document, expiry_reversal_document, sql/005_rules.sql). */
#define ACCT_DOC_EXPIRY "E"
#define ACCT_DOC_REVERSAL "R"

/* The notes of the lines a payment reversal makes (SPEC §4, §6), which the
 * statements name for the customer (core/io/template: "Payment reversed",
 * "Redemption reversed"): the undone vesting and the reversed expiry "paid
 * with reward units", and the returned redemption. */
#define ACCT_NOTE_PAYMENT_REVERSED "payment reversed"
#define ACCT_NOTE_REDEMPTION_REVERSED "redemption reversed"


struct acct_program {
	char code[ACCT_KEY];
	enum acct_earning earning;
	int on_payment;
	int basis_total;         /* eligible = total instead of net */
	int max_payment_days;
	int expiry_days, expiry_months, inactivity_days;  /* 0: none */
	int64_t unit_value_cents;
	int fiscal_year_start;   /* 1..12 */
};

/* A posted or cancelled invoice or credit note of the account (children's
 * included), dated on or before the business date. */
struct acct_doc {
	char number[ACCT_KEY];
	char customer[ACCT_KEY];
	char category[TIERS_CATEGORY_SIZE];
	char original[ACCT_KEY];  /* credit notes: the invoice, or "" */
	date_t date;
	int64_t net_cents, total_cents;
	int is_credit;
	int cancelled;
	int no_points;
	int against_no_points;    /* a credit note against a no_points invoice
				   * (SQL's against_no_points): no sales */
};

/* A payment allocation of the account, dated on or before the business date.
 * A reversed one (SPEC §2, §4: a bounced cheque, a misapplied payment, a
 * withdrawn reward payment) counts from its date to the day before
 * reversed_on; a reversal dated after the business date is not yet one. */
struct acct_alloc {
	char payment[ACCT_KEY];
	char invoice[ACCT_KEY];   /* "" on account */
	char customer[ACCT_KEY];
	date_t date;
	int64_t amount_cents;
	int reward;
	int has_reversed;
	date_t reversed_on;       /* >= date */
};

/* A ledger entry: existing ones come in, new ones go out. */
struct acct_entry {
	int kind;                 /* enum acct_kind */
	int by_close;             /* made by a close (diffed) or a fact */
	date_t date;
	char document[ACCT_KEY];
	char customer[ACCT_KEY];
	char note[ACCT_NOTE];
	char tier[TIERS_NAME_SIZE];
	int64_t tier_rate_ppm;    /* the rate or factor the earning used */
	int64_t tier_factor_cents;
	int64_t pending, usable;
	date_t expires_on;
	int has_expires;
};

struct acct_input {
	const char *account;
	date_t as_of;
	int has_points_expiry;
	date_t points_expiry;
	const struct acct_program *program;
	const struct tier *tiers;  /* the account's set (its own, else the program's) */
	size_t ntiers;
	const struct acct_doc *docs;       /* sorted by date, then number */
	size_t ndocs;
	const struct acct_alloc *allocs;   /* sorted by date, then payment */
	size_t nallocs;
	const struct acct_entry *entries;  /* the ledger's, in posting order */
	size_t nentries;
	/* Month-end: also recompute the tiered accrual of the fiscal year
	 * through as_of (the period's last day) and post the difference. */
	int month_end;
	const char *period;                /* "YYYY-MM", the accrual's document */
	/* Month-end for an account nothing else brings up to date: only the
	 * tiered accrual, from the fiscal year's sales (docs may be one summed
	 * row per month or year) and the year's accruals (entries). */
	int accrual_only;
	/* The state at the end of a day before as_of, from account_checkpoint
	 * of an earlier replay, or NULL: replay the whole history.  With one,
	 * docs, allocs and entries hold only what is dated after that day. */
	const char *checkpoint;
	int checkpoint_lag;     /* days before as_of to take the next one at;
				 * 0: ACCT_CHECKPOINT_LAG */
};

/* A replay takes its checkpoint this many days before its as_of. */
#define ACCT_CHECKPOINT_LAG 31

struct acct_output {
	/* A new entry to post, in posting order. */
	void (*entry)(void *ctx, const struct acct_entry *e);
	/* A redemption refused now (not one refused by an earlier run). */
	void (*refusal)(void *ctx, const struct acct_alloc *a, const char *why);
	void *ctx;
	/* Something finance should look at (a tiered account above its top
	 * tier or in a gap); may be NULL. */
	void (*warning)(void *ctx, const char *account, const char *msg);
};

struct account_sim;  /* working memory, reused account after account */

struct account_sim *account_sim_new(void);
void account_sim_free(struct account_sim *s);

/* account_close's result when a sum of the account's amounts would leave
 * int64: nothing is given out for the account. */
#define ACCT_OVERFLOW (-3)

/* Replay one account and emit its differences.  0; -1 out of memory; -2 a
 * checkpoint that cannot be read. */
int account_close(struct account_sim *s, const struct acct_input *in,
		  const struct acct_output *out);

/* After account_close: the first day after as_of on which the account will
 * post something with no new data (SPEC §8) — an open invoice's payment
 * deadline + 1, a lot's last usable day + 1, the inactivity date, the
 * points expiry date + 1, or as_of itself when a redemption was refused
 * (tried again by every close, a re-run of the same date included).  1 with *next set, 0 when nothing ever will.
 * An account whose data changes is brought up to date whatever this says. */
int account_next_event(const struct account_sim *s, date_t *next);

/* After account_close: the account's state at the end of a day about a
 * month before as_of, for the next replay to start from (acct_input
 * checkpoint), or NULL when there is none to keep (a tiered program, a
 * refused redemption).  Valid until the next account_close; its day is
 * account_checkpoint_day. */
const char *account_checkpoint(const struct account_sim *s);
date_t account_checkpoint_day(const char *checkpoint);

/* What `accrue verify` checks of a stored checkpoint (SPEC §13): its day,
 * the balances it holds, and its lots — their count, their units summed,
 * the smallest, and the debt (usable consumed beyond the lots), so that
 * lots − debt must equal usable. */
struct acct_ck_summary {
	date_t day;
	int64_t pending, usable;
	long long nlots;
	int64_t lots_units, min_lot, debt;
};
/* 0, or -1 when the text is not a checkpoint this accrue can read. */
int account_checkpoint_summary(const char *checkpoint, struct acct_ck_summary *out);

#endif
