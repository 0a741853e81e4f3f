#include "account.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"
#include "mem.h"
#include "sbuf.h"
#include "money.h"
#include "tiered.h"

const char *const acct_kind_names[] = {
	"earn", "vest", "expire", "accrual", "adjust", "redeem", "reverse_expiry", NULL,
};

int acct_kind_parse(const char *s)
{
	for (int i = 0; acct_kind_names[i]; i++)
		if (strcmp(acct_kind_names[i], s) == 0)
			return i;
	return -1;
}

/* -- working memory --------------------------------------------------------- */

enum inv_state { ST_NONE, ST_PENDING, ST_VESTED, ST_EXPIRED, ST_LOST, ST_CANCELLED };

struct inv {
	int doc;                /* index into in->docs */
	int earns;              /* takes part in per-invoice earning */
	int64_t eligible;       /* cents */
	int64_t credited;       /* eligible cents of its credit notes so far */
	int64_t earned;         /* units earned now */
	int64_t rate_ppm, factor_cents;
	int is_factor, has_tier;
	char tier[TIERS_NAME_SIZE];
	int state;
	int64_t forfeited;      /* usable units of its lots expired or lost */
	int exempt;             /* expiry reversed: no automatic expiry */
	int has_paid;           /* paid in full now (as far as the replay stands) */
	date_t paid;            /* since this day */
	int reward_touched;     /* a live reward allocation on that day */
	int reward_expired;     /* expired "paid with reward units" */
	int had_close_earn;     /* the ledger holds close earnings for it */
	int has_cancel;
	date_t cancel;          /* date of the cancellation reversal */
	int ck_keep;            /* goes into the checkpoint being taken */
	int64_t ck_paid, ck_credit;  /* allocations and credit notes through its day */
	int ck_reward;          /* a reward allocation through its day */
};

enum ev_type {
	EV_EARN, EV_CREDIT, EV_CANCEL, EV_PAID, EV_DEADLINE, EV_FACT, EV_REDEEM, EV_ACCRUAL,
	EV_UNREDEEM,
};

static const int ev_prio[] = {2, 2, 2, 3, 3, 4, 5, 4, 5};

/* EV_PAID's ref: how the invoice's payment stands from that day. */
enum {
	PS_FULL = 1,            /* paid in full */
	PS_REWARD = 2,          /* a live reward allocation among its allocations */
	PS_REWARD_REVERSED = 4, /* a reward allocation of it reversed that day */
	PS_AGAIN = 8,           /* paid in full still: settle it now (an expiry
				 * reversed by hand) */
};

struct event {
	date_t date;
	int prio;
	long seq;
	int type;
	int inv;    /* index into invs */
	int ref;    /* doc (credit note), entry (fact) or alloc */
};

struct keyed {
	const struct acct_entry *e;
	long first;             /* order of first appearance */
	int64_t pending, usable;
	int matched;
};

/* An invoice as a checkpoint keeps it: what the rules still need of it. */
struct ck_inv {
	char number[ACCT_KEY];
	char customer[ACCT_KEY];
	date_t date;
	int64_t total_cents, eligible, credited, earned, forfeited;
	int64_t rate_ppm, factor_cents;
	int is_factor, has_tier;
	char tier[TIERS_NAME_SIZE];
	int state, exempt, cancelled, has_cancel, has_paid, reward;
	date_t cancel, paid;
	int64_t paid_cents, credit_cents;  /* through the day, when not paid in full */
};

struct account_sim {
	struct inv *invs;
	size_t ninvs, capinvs;
	int *doc_inv;           /* doc index → inv index or -1 */
	size_t capdoc;
	int *by_number;         /* doc indices sorted by number */
	size_t capnum;
	struct event *heap;
	size_t nheap, capheap;
	long seq;
	struct acct_entry *target;
	size_t ntarget, captarget;
	struct keyed *kt, *ke;
	size_t capkt, capke;
	size_t nstored;         /* ke holds the ledger's close entries, grouped */
	struct lot_book lots;
	struct acct_entry accrual;  /* month-end: the accrual made, if any */
	int has_accrual;

	/* per run */
	const struct acct_input *in;
	const struct acct_output *out;
	int64_t pending_bal, usable_bal;
	int has_last_invoice;
	date_t last_invoice;
	int lost_done;          /* inactivity applied for last_invoice */
	long refused;           /* redemptions refused by this replay */
	int has_next_event;     /* account_next_event */
	date_t next_event;

	/* checkpoints (account_checkpoint) */
	struct ck_inv *ck;      /* invoices of the checkpoint resumed from */
	size_t nck, capck;
	date_t ck_day;
	int64_t ck_cumulative;
	int resumed;            /* docs [0, nsynth) stand for the checkpoint's invoices */
	size_t nsynth;
	struct acct_doc *mdocs; /* the checkpoint's invoices, then in->docs */
	size_t capmdocs;
	struct acct_input in_copy;
	date_t snap_day;        /* the day the new checkpoint is taken at */
	int want_snap, snapped;
	struct sbuf snap;       /* the new checkpoint, when has_snap */
	int has_snap;
	int oom;
	int overflow;           /* a sum of the account's amounts left int64 */
};

static void find_next_event(struct account_sim *s);

#define CK_MAX ((size_t)64 << 20)  /* a checkpoint's text at most */

struct account_sim *account_sim_new(void)
{
	struct account_sim *s = calloc(1, sizeof(struct account_sim));

	if (s)
		sbuf_init(&s->snap, CK_MAX);
	return s;
}

void account_sim_free(struct account_sim *s)
{
	if (!s)
		return;
	free(s->invs);
	free(s->doc_inv);
	free(s->by_number);
	free(s->heap);
	free(s->target);
	free(s->kt);
	free(s->ke);
	lots_free(&s->lots);
	free(s->ck);
	free(s->mdocs);
	sbuf_free(&s->snap);
	free(s);
}

/* -- events ------------------------------------------------------------------ */

static int ev_less(const struct event *a, const struct event *b)
{
	if (a->date != b->date)
		return a->date < b->date;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return a->seq < b->seq;
}

static void ev_push(struct account_sim *s, int type, date_t date, int inv, int ref)
{
	struct event e = {date, ev_prio[type], s->seq++, type, inv, ref};
	size_t i;

	if (mem_grow((void **)&s->heap, &s->capheap, s->nheap + 1, sizeof(*s->heap))) {
		s->oom = 1;
		return;
	}
	i = s->nheap++;
	while (i > 0 && ev_less(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct event ev_pop(struct account_sim *s)
{
	struct event top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* -- posting ----------------------------------------------------------------- */

static void set_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static struct acct_entry *target_new(struct account_sim *s, int kind, date_t date,
				     const char *document, const char *customer,
				     const char *note)
{
	struct acct_entry *e;

	if (mem_grow((void **)&s->target, &s->captarget, s->ntarget + 1, sizeof(*s->target))) {
		s->oom = 1;
		return NULL;
	}
	e = &s->target[s->ntarget++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->by_close = 1;
	e->date = date;
	set_str(e->document, sizeof(e->document), document);
	set_str(e->customer, sizeof(e->customer), customer);
	set_str(e->note, sizeof(e->note), note);
	return e;
}

static int key_cmp(const struct acct_entry *a, const struct acct_entry *b);

/* The last usable day an earlier close stored for the same entry: a lot
 * keeps its own last day even when the program's expiry changes since. */
static int stored_expiry(const struct account_sim *s, const struct acct_entry *e, date_t *last)
{
	size_t lo = 0, hi = s->nstored;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(s->ke[mid].e, e);

		if (c == 0) {
			if (!s->ke[mid].e->has_expires)
				return 0;
			*last = s->ke[mid].e->expires_on;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Move balances and lots for an entry (made now or a fact). */
static void apply(struct account_sim *s, struct acct_entry *e)
{
	const struct acct_program *p = s->in->program;

	s->pending_bal += e->pending;
	s->usable_bal += e->usable;
	if (e->usable > 0) {
		struct lot l;

		memset(&l, 0, sizeof(l));
		l.opened = e->date;
		if (e->has_expires) {
			l.last_day = e->expires_on;
			l.has_last = 1;
		} else {
			date_t kept;

			l.last_day = lots_last_day(e->date, p->expiry_days, p->expiry_months,
						   s->in->has_points_expiry, s->in->points_expiry,
						   &l.has_last);
			if (e->by_close && stored_expiry(s, e, &kept)) {
				/* capped by a points expiry date set since */
				if (!s->in->has_points_expiry || kept < s->in->points_expiry)
					l.last_day = kept;
				l.has_last = 1;
			}
			if (e->by_close) {
				e->expires_on = l.last_day;
				e->has_expires = l.has_last;
			}
		}
		l.units = e->usable;
		set_str(l.document, sizeof(l.document), e->document);
		set_str(l.customer, sizeof(l.customer), e->customer);
		if (lots_add(&s->lots, &l))
			s->oom = 1;
	} else if (e->usable < 0) {
		lots_consume(&s->lots, -e->usable, NULL, NULL);
	}
}

static void post(struct account_sim *s, int kind, date_t date, const char *document,
		 const char *customer, const char *note, int64_t pending, int64_t usable,
		 const struct inv *v)
{
	struct acct_entry *e;

	if (pending == 0 && usable == 0)
		return;
	e = target_new(s, kind, date, document, customer, note);
	if (!e)
		return;
	e->pending = pending;
	e->usable = usable;
	if (v && v->has_tier) {
		set_str(e->tier, sizeof(e->tier), v->tier);
		e->tier_rate_ppm = v->is_factor ? 0 : v->rate_ppm;
		e->tier_factor_cents = v->is_factor ? v->factor_cents : 0;
	}
	apply(s, e);
}

static void lot_expired(void *ctx, const struct lot *l);

/* The day and note of the lot expiries being made (callback context). */
static date_t expiring_day;
static const char *expiring_note;

static int find_doc(const struct account_sim *s, const char *number);

static void lot_expired(void *ctx, const struct lot *l)
{
	struct account_sim *s = ctx;
	struct acct_entry *e = target_new(s, K_EXPIRE, expiring_day, l->document, l->customer,
					  expiring_note);
	int di = find_doc(s, l->document);

	/* an invoice's forfeited units can no longer be clawed back (one
	 * back in pending since a payment reversal holds its units there:
	 * what is left of its old lot is no longer its own) */
	if (di >= 0 && s->doc_inv[di] >= 0 && s->invs[s->doc_inv[di]].state != ST_PENDING)
		s->invs[s->doc_inv[di]].forfeited += l->units;
	if (!e)
		return;
	e->usable = -l->units;
	s->usable_bal -= l->units;
}

/* a + b; when the sum leaves int64, the account is marked: the close stops
 * with an error naming it, never a wrong figure (README, Caps). */
static int64_t add_checked(struct account_sim *s, int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r)) {
		s->overflow = 1;
		return a;
	}
	return r;
}

/* -- the rules --------------------------------------------------------------- */

/* The units an invoice holds: pending while pending, usable once vested.
 * Its earning less what expired of its lots: only an invoice that vested
 * and went back to pending on a payment reversal has lost any while it
 * holds them in pending. */
static int64_t held(const struct inv *v)
{
	return v->earned > v->forfeited ? v->earned - v->forfeited : 0;
}

/* Units an invoice earns on an eligible amount with its tier (SPEC §3). */
static int64_t inv_units(const struct inv *v, int64_t eligible)
{
	struct tier_pick p = {.has_tier = v->has_tier, .is_factor = v->is_factor,
			      .rate_ppm = v->rate_ppm, .factor_cents = v->factor_cents};

	return tier_pick_units(&p, eligible);
}

/* Inactivity (SPEC §5): with no posted invoice for inactivity_days after the
 * last one, the whole balance is lost, pending included. */
static void lose_everything(struct account_sim *s, date_t day)
{
	const struct acct_input *in = s->in;
	char note[ACCT_NOTE];

	snprintf(note, sizeof(note), "no activity for %d days", in->program->inactivity_days);
	for (size_t i = 0; i < s->ninvs; i++) {
		struct inv *v = &s->invs[i];
		const struct acct_doc *d = &in->docs[v->doc];

		if (v->state != ST_PENDING)
			continue;
		post(s, K_EXPIRE, day, d->number, d->customer, note, -held(v), 0, NULL);
		v->state = ST_LOST;
	}
	expiring_day = day;
	expiring_note = note;
	lots_expire_all(&s->lots, lot_expired, s);
	s->lost_done = 1;
}

/* Run the automatic events (lot expiry, inactivity) dated up to `day`. */
static void advance_to(struct account_sim *s, date_t day)
{
	const struct acct_program *p = s->in->program;

	for (;;) {
		int has_lot, has_idle = 0;
		date_t lot_day = lots_next_expiry(&s->lots, &has_lot), idle_day = 0;

		if (p->inactivity_days > 0 && s->has_last_invoice && !s->lost_done) {
			idle_day = s->last_invoice + p->inactivity_days + 1;
			has_idle = 1;
		}
		if (has_lot && lot_day <= day && (!has_idle || lot_day <= idle_day)) {
			expiring_day = lot_day;
			expiring_note = "expired";
			lots_expire_before(&s->lots, lot_day, lot_expired, s);
		} else if (has_idle && idle_day <= day) {
			lose_everything(s, idle_day);
		} else {
			break;
		}
	}
}

static void on_earn(struct account_sim *s, struct inv *v)
{
	const struct acct_input *in = s->in;
	const struct acct_doc *d = &in->docs[v->doc];

	v->earned = inv_units(v, v->eligible - v->credited);
	if (in->program->on_payment) {
		v->state = ST_PENDING;
		post(s, K_EARN, d->date, d->number, d->customer, "", v->earned, 0, v);
	} else {
		v->state = ST_VESTED;
		post(s, K_EARN, d->date, d->number, d->customer, "", 0, v->earned, v);
	}
}

/* A credit note recomputes its invoice on eligible − credited with the tier
 * stored; before vesting it adjusts pending, after vesting usable. */
static void on_credit(struct account_sim *s, struct inv *v, const struct acct_doc *cn,
		      date_t day)
{
	const struct acct_input *in = s->in;
	const struct acct_doc *d = &in->docs[v->doc];
	int64_t cn_eligible = in->program->basis_total ? cn->total_cents : cn->net_cents;
	int64_t now, delta;
	char note[ACCT_NOTE];

	v->credited = add_checked(s, v->credited, cn_eligible);
	if (v->state != ST_PENDING && v->state != ST_VESTED)
		return;  /* expired, lost or cancelled: nothing left to adjust */
	now = inv_units(v, v->eligible - v->credited);
	delta = now - v->earned;
	/* after vesting, units already expired or lost stay forfeited: a
	 * clawback takes at most what is left of the earning */
	if (delta < 0 && -delta > held(v))
		delta = -held(v);
	v->earned += delta;
	snprintf(note, sizeof(note), "credit note %s", cn->number);
	if (v->state == ST_PENDING)
		post(s, K_EARN, day, d->number, cn->customer, note, delta, 0, v);
	else
		post(s, K_EARN, day, d->number, cn->customer, note, 0, delta, v);
}

static void on_cancel(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];

	if (v->state == ST_PENDING)
		post(s, K_EARN, day, d->number, d->customer, "cancelled", -held(v), 0, v);
	else if (v->state == ST_VESTED && held(v) > 0)
		post(s, K_EARN, day, d->number, d->customer, "cancelled", 0, -held(v), v);
	v->state = ST_CANCELLED;
}

/* Paid in full on `day` while pending (SPEC §4): vests when in time, or
 * whenever for an invoice whose expiry was reversed by hand; expires when
 * a reward allocation helped pay it. */
static void settle_paid(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	int n = s->in->program->max_payment_days;

	if (v->state != ST_PENDING)
		return;
	if (v->reward_touched && !v->exempt) {
		post(s, K_EXPIRE, day, d->number, d->customer, "paid with reward units",
		     -held(v), 0, NULL);
		v->state = ST_EXPIRED;
		v->reward_expired = 1;
	} else if (v->exempt || day <= d->date + n) {
		post(s, K_VEST, day, d->number, d->customer, "paid in full", -held(v), held(v), NULL);
		v->state = ST_VESTED;
	}
}

/* Back in pending on a payment reversal: past its payment window already
 * (and not exempt), it expires the same day. */
static void reversed_to_pending(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	int n = s->in->program->max_payment_days;
	char note[ACCT_NOTE];

	v->state = ST_PENDING;
	if (v->exempt || day <= d->date + n)
		return;
	snprintf(note, sizeof(note), ACCT_NOTE_PAYMENT_REVERSED " after %d days", n);
	post(s, K_EXPIRE, day, d->number, d->customer, note, -held(v), 0, NULL);
	v->state = ST_EXPIRED;
}

/* How the invoice's payment stands from `day` (PS_ flags), as the walk of
 * its allocations and reversals in setup_events found it (SPEC §4). */
static void on_paid(struct account_sim *s, struct inv *v, date_t day, int flags)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	int full = flags & PS_FULL, was_full = v->has_paid;
	int reward_gone = (flags & PS_REWARD_REVERSED) && !(flags & PS_REWARD);

	v->has_paid = full;
	if (full && !was_full) {
		v->paid = day;
		v->reward_touched = (flags & PS_REWARD) != 0;
		settle_paid(s, v, day);
		return;
	}
	if (full && (flags & PS_AGAIN)) {
		settle_paid(s, v, day);
		return;
	}
	if (reward_gone)
		v->reward_touched = 0;
	if (v->state == ST_VESTED && !full && s->in->program->on_payment) {
		/* vested, no longer paid in full: the vesting undone */
		post(s, K_VEST, day, d->number, d->customer, ACCT_NOTE_PAYMENT_REVERSED, held(v), -held(v),
		     NULL);
		reversed_to_pending(s, v, day);
	} else if (v->state == ST_EXPIRED && v->reward_expired && reward_gone) {
		/* expired because reward units paid it, and those are taken back */
		post(s, K_REVERSE_EXPIRY, day, d->number, d->customer, ACCT_NOTE_PAYMENT_REVERSED, held(v),
		     0, NULL);
		v->state = ST_PENDING;
		v->reward_expired = 0;
		if (full)
			settle_paid(s, v, day);
		if (v->state == ST_PENDING)
			reversed_to_pending(s, v, day);
	}
}

static void on_deadline(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	char note[ACCT_NOTE];

	if (v->state != ST_PENDING || v->exempt)
		return;
	snprintf(note, sizeof(note), "not paid within %d days", s->in->program->max_payment_days);
	post(s, K_EXPIRE, day, d->number, d->customer, note, -held(v), 0, NULL);
	v->state = ST_EXPIRED;
}

static int find_doc(const struct account_sim *s, const char *number);

/* 1 when doc is the document of manual work on an invoice with this prefix
 * (ACCT_DOC_EXPIRY, ACCT_DOC_REVERSAL). */
static int is_manual_doc(const char *doc, const char *prefix)
{
	return strncmp(doc, prefix, strlen(prefix)) == 0;
}

/* A fact: a manual entry or an accrual.  Manual expiries (E<invoice>) and
 * reversals (R<invoice>) also move their invoice's state. */
static void on_fact(struct account_sim *s, const struct acct_entry *f, date_t day)
{
	struct acct_entry copy = *f;
	int di;

	apply(s, &copy);
	if ((f->kind != K_EXPIRE && f->kind != K_REVERSE_EXPIRY) || !f->document[0])
		return;
	/* the invoice after the prefix (both prefixes are as long) */
	_Static_assert(sizeof(ACCT_DOC_EXPIRY) == sizeof(ACCT_DOC_REVERSAL), "prefix lengths");
	di = find_doc(s, f->document + strlen(ACCT_DOC_EXPIRY));
	if (di < 0 || s->doc_inv[di] < 0)
		return;
	{
		struct inv *v = &s->invs[s->doc_inv[di]];

		if (f->kind == K_EXPIRE && is_manual_doc(f->document, ACCT_DOC_EXPIRY)) {
			if (v->state == ST_PENDING)
				v->state = ST_EXPIRED;
		} else if (f->kind == K_REVERSE_EXPIRY && is_manual_doc(f->document, ACCT_DOC_REVERSAL)) {
			v->state = ST_PENDING;
			v->exempt = 1;
			v->reward_expired = 0;
			/* vests when paid in full, dated the later of the payment
			 * and the reversal: now when paid in full already, else
			 * on the day it is (an event to come) */
			if (v->has_paid)
				ev_push(s, EV_PAID, day, (int)(v - s->invs), PS_FULL | PS_AGAIN);
		}
	}
}

/* A redemption an earlier close posted stands, whatever a late document did
 * to the balance before it (the clawback becomes debt instead). */
static int redeemed_before(const struct account_sim *s, const struct acct_alloc *a,
			   const char *note)
{
	struct acct_entry k;
	size_t lo = 0, hi = s->nstored;

	memset(&k, 0, sizeof(k));
	k.kind = K_REDEEM;
	k.date = a->date;
	set_str(k.document, sizeof(k.document), a->payment);
	set_str(k.note, sizeof(k.note), note);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(s->ke[mid].e, &k);

		if (c == 0)
			return s->ke[mid].usable < 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* An allocation reversed on or before the business date. */
static int alloc_reversed(const struct acct_input *in, const struct acct_alloc *a)
{
	return a->has_reversed && a->reversed_on <= in->as_of;
}

/* A `reward` allocation redeems amount / unit_value units from usable.  A
 * reversed one that posts comes back on its reversal day (EV_UNREDEEM); a
 * reversed one that would be refused is no longer tried (SPEC §6). */
static void on_redeem(struct account_sim *s, int ref)
{
	const struct acct_input *in = s->in;
	const struct acct_alloc *a = &in->allocs[ref];
	int64_t units = units_for_cents(a->amount_cents, in->program->unit_value_cents);
	char why[256], note[ACCT_NOTE];

	if (strcmp(a->customer, in->account) != 0) {
		if (alloc_reversed(in, a))
			return;
		snprintf(why, sizeof(why), "only the parent account can redeem: %s is a child of %s",
			 a->customer, in->account);
		s->refused++;
		if (s->out->refusal)
			s->out->refusal(s->out->ctx, a, why);
		return;
	}
	if (a->invoice[0])
		snprintf(note, sizeof(note), "invoice %s", a->invoice);
	else
		snprintf(note, sizeof(note), "on account");
	if (units > s->usable_bal && !redeemed_before(s, a, note)) {
		char need[MONEY_FMT_SIZE], have[MONEY_FMT_SIZE];

		if (alloc_reversed(in, a))
			return;
		snprintf(why, sizeof(why), "%s units are beyond the usable balance of %s",
			 decimal_format(units, 2, need), decimal_format(s->usable_bal, 2, have));
		s->refused++;
		if (s->out->refusal)
			s->out->refusal(s->out->ctx, a, why);
		return;
	}
	post(s, K_REDEEM, a->date, a->payment, a->customer, note, 0, -units, NULL);
	if (alloc_reversed(in, a))
		ev_push(s, EV_UNREDEEM, a->reversed_on, -1, ref);
}

/* A posted redemption whose allocation is reversed: its units come back
 * on the reversal day as a new lot (GL: receivable to liability). */
static void on_unredeem(struct account_sim *s, int ref, date_t day)
{
	const struct acct_alloc *a = &s->in->allocs[ref];
	int64_t units = units_for_cents(a->amount_cents, s->in->program->unit_value_cents);

	post(s, K_REDEEM, day, a->payment, a->customer, ACCT_NOTE_REDEMPTION_REVERSED, 0, units,
	     NULL);
}

/* Month-end (SPEC §3 ytd_tiered, month_tiered): the year's target from the
 * eligible sales of the fiscal year through as_of (the program's earning
 * rule, core/rules/earning), minus the accruals the year already holds,
 * posted as one accrual dated as_of.  The eligible sales are those of SQL's
 * view sales_documents (sql/005_rules.sql), which the close sums for the
 * accounts it does not replay document by document; tests/lib/rules-test
 * feeds the same accounts through both. */
_Static_assert(ACCT_NOTE >= EARNING_NOTE_SIZE, "an accrual's note fits an entry's");

static void on_accrual(struct account_sim *s, date_t day)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;
	date_t fy = date_fiscal_year_start(day, p->fiscal_year_start);
	date_t fy_end = date_add_months(fy, 12) - 1;
	int64_t months[12] = {0}, ytd = 0, posted = 0;
	int nmonths, fy_y, fy_m, fy_d, y, m, d;
	const struct earning_rule *rule = earning_rule_of(p->earning);
	struct earning_sales_in sales;
	struct tiered_result r;
	struct acct_entry *e = &s->accrual;
	char note[EARNING_NOTE_SIZE];

	date_to_ymd(fy, &fy_y, &fy_m, &fy_d);
	date_to_ymd(day, &y, &m, &d);
	nmonths = (y * 12 + m) - (fy_y * 12 + fy_m) + 1;
	for (size_t i = 0; i < in->ndocs; i++) {
		const struct acct_doc *doc = &in->docs[i];
		int64_t eligible = p->basis_total ? doc->total_cents : doc->net_cents;
		int dy, dm, dd, idx;

		if (doc->cancelled || doc->no_points || doc->date < fy || doc->date > day)
			continue;
		if (doc->against_no_points)
			continue;  /* decided by SQL: the original may not be here */
		if (doc->is_credit)
			eligible = -eligible;
		date_to_ymd(doc->date, &dy, &dm, &dd);
		idx = (dy * 12 + dm) - (fy_y * 12 + fy_m);
		if (idx >= 0 && idx < 12)
			months[idx] = add_checked(s, months[idx], eligible);
		ytd = add_checked(s, ytd, eligible);
	}
	for (size_t i = 0; i < in->nentries; i++) {
		const struct acct_entry *x = &in->entries[i];
		if (x->kind == K_ACCRUAL && x->date >= fy && x->date <= fy_end)
			posted = add_checked(s, posted, add_checked(s, x->pending, x->usable));
	}
	sales.month_cents = months;
	sales.nmonths = nmonths;
	sales.ytd_cents = ytd;
	sales.posted = posted;
	r = rule->target(in->tiers, in->ntiers, &sales);
	if (r.uncovered && s->out->warning)
		s->out->warning(s->out->ctx, in->account, rule->uncovered(&sales, note));
	if (r.target == posted)
		return;
	rule->note(in->tiers, &r, &sales, note);
	memset(e, 0, sizeof(*e));
	e->kind = K_ACCRUAL;
	e->by_close = 0;
	e->date = day;
	set_str(e->document, sizeof(e->document), in->period);
	set_str(e->customer, sizeof(e->customer), in->account);
	set_str(e->note, sizeof(e->note), note);
	if (r.tier >= 0)
		set_str(e->tier, sizeof(e->tier), in->tiers[r.tier].name);
	e->usable = r.target - posted;
	if (e->usable > 0)
		e->expires_on = lots_last_day(day, p->expiry_days, p->expiry_months,
					      in->has_points_expiry, in->points_expiry,
					      &e->has_expires);
	s->has_accrual = 1;
	apply(s, e);
}

/* -- setup ------------------------------------------------------------------- */

static const struct acct_doc *sort_docs;

static int by_number_cmp(const void *a, const void *b)
{
	return strcmp(sort_docs[*(const int *)a].number, sort_docs[*(const int *)b].number);
}

static int find_doc(const struct account_sim *s, const char *number)
{
	size_t lo = 0, hi = s->in->ndocs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->in->docs[s->by_number[mid]].number, number);
		if (c == 0)
			return s->by_number[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int setup_invoices(struct account_sim *s)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;
	int64_t cumulative = s->resumed ? s->ck_cumulative : 0;

	if (mem_grow((void **)&s->doc_inv, &s->capdoc, in->ndocs + 1, sizeof(int)) ||
	    mem_grow((void **)&s->by_number, &s->capnum, in->ndocs + 1, sizeof(int)) ||
	    mem_grow((void **)&s->invs, &s->capinvs, in->ndocs + 1, sizeof(*s->invs)))
		return -1;
	for (size_t i = 0; i < in->ndocs; i++) {
		s->by_number[i] = (int)i;
		s->doc_inv[i] = -1;
	}
	sort_docs = in->docs;
	qsort(s->by_number, in->ndocs, sizeof(int), by_number_cmp);

	/* The ledger remembers what earlier closes decided: an invoice's tier
	 * and whether (and when) its cancellation was reversed. */
	for (size_t i = 0; i < in->ndocs; i++) {
		const struct acct_doc *d = &in->docs[i];
		struct inv *v;

		if (d->is_credit)
			continue;
		if (i < s->nsynth) {
			/* an invoice of the checkpoint: as the replay left it */
			const struct ck_inv *k = &s->ck[i];

			v = &s->invs[s->ninvs];
			memset(v, 0, sizeof(*v));
			v->doc = (int)i;
			v->earns = 1;
			v->eligible = k->eligible;
			v->credited = k->credited;
			v->earned = k->earned;
			v->forfeited = k->forfeited;
			v->rate_ppm = k->rate_ppm;
			v->factor_cents = k->factor_cents;
			v->is_factor = k->is_factor;
			v->has_tier = k->has_tier;
			set_str(v->tier, sizeof(v->tier), k->tier);
			v->state = k->state;
			v->exempt = k->exempt;
			v->had_close_earn = 1;
			v->has_cancel = k->has_cancel;
			v->cancel = k->cancel;
			v->has_paid = k->has_paid;
			v->paid = k->paid;
			v->reward_touched = k->has_paid && k->reward;
			s->doc_inv[i] = (int)s->ninvs++;
			continue;
		}
		if (!d->cancelled) {
			/* activity for the inactivity rule: any posted invoice */
			ev_push(s, EV_EARN, d->date, -1, (int)i);
		}
		if (d->no_points || !earning_rule_of(p->earning)->per_invoice)
			continue;
		v = &s->invs[s->ninvs];
		memset(v, 0, sizeof(*v));
		v->doc = (int)i;
		v->eligible = p->basis_total ? d->total_cents : d->net_cents;
		if (!d->cancelled)
			cumulative = add_checked(s, cumulative, v->eligible);
		s->doc_inv[i] = (int)s->ninvs++;
		v->earns = 1;
		/* Tier by cumulative spend including this invoice (unless stored). */
		{
			int64_t spend = d->cancelled ? cumulative + v->eligible : cumulative;
			struct tier_pick t = tiers_pick_invoice(in->tiers, in->ntiers, d->category,
								spend);

			v->has_tier = t.has_tier;
			v->is_factor = t.is_factor;
			v->rate_ppm = t.rate_ppm;
			v->factor_cents = t.factor_cents;
			if (t.has_tier)
				set_str(v->tier, sizeof(v->tier), in->tiers[t.index].name);
		}
	}
	for (size_t i = 0; i < in->nentries; i++) {
		const struct acct_entry *e = &in->entries[i];
		struct inv *v;
		int di;

		if (!e->by_close || e->kind != K_EARN)
			continue;
		di = find_doc(s, e->document);
		if (di < 0 || s->doc_inv[di] < 0)
			continue;
		v = &s->invs[s->doc_inv[di]];
		if (!v->had_close_earn && e->tier[0]) {
			/* the tier chosen is stored with the entry */
			v->has_tier = 1;
			v->is_factor = e->tier_factor_cents > 0;
			v->rate_ppm = e->tier_rate_ppm;
			v->factor_cents = e->tier_factor_cents;
			set_str(v->tier, sizeof(v->tier), e->tier);
		}
		v->had_close_earn = 1;
		if (strcmp(e->note, "cancelled") == 0 && !v->has_cancel) {
			v->has_cancel = 1;
			v->cancel = e->date;
		}
	}
	return 0;
}

/* One change to what an invoice has received: an allocation from its date
 * (+1 live), its reversal (−1), or a credit note. */
struct pay_ev {
	int inv;
	date_t date;
	int64_t paid, credit;
	int live, reward;       /* +1, −1 or 0 */
	int reward_reversed;
	int flags;              /* the walk's result: EV_PAID's PS_ flags */
	long seq;
};
static int pay_ev_cmp(const void *x, const void *y)
{
	const struct pay_ev *a = x, *b = y;

	if (a->inv != b->inv)
		return a->inv - b->inv;
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void setup_events(struct account_sim *s)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;

	for (size_t i = 0; i < s->ninvs; i++) {
		struct inv *v = &s->invs[i];
		const struct acct_doc *d = &in->docs[v->doc];

		if (d->cancelled && !v->had_close_earn)
			continue;  /* cancelled before it ever earned: nothing */
		if ((size_t)v->doc >= s->nsynth)
			ev_push(s, EV_EARN, d->date, (int)i, v->doc);
		if (d->cancelled) {
			date_t c = v->has_cancel ? v->cancel : in->as_of;
			ev_push(s, EV_CANCEL, c < d->date ? d->date : c, (int)i, v->doc);
		}
	}
	/* Credit notes against earning invoices; their totals reduce what is due. */
	for (size_t i = 0; i < in->ndocs; i++) {
		const struct acct_doc *cn = &in->docs[i];
		int di;
		struct inv *v;

		if (!cn->is_credit || cn->cancelled || !cn->original[0])
			continue;
		di = find_doc(s, cn->original);
		if (di < 0 || s->doc_inv[di] < 0)
			continue;
		v = &s->invs[s->doc_inv[di]];
		if (in->docs[di].cancelled && !v->had_close_earn)
			continue;
		ev_push(s, EV_CREDIT, cn->date < in->docs[di].date ? in->docs[di].date : cn->date,
			s->doc_inv[di], (int)i);
	}
	/* Paid in full: the days on which its live allocations (of any
	 * method), each counted from its own date to the day before its
	 * reversal, reach its total minus its credit notes, so that a later
	 * credit note cannot unpay an invoice but a reversed payment can
	 * (SPEC §4).  Each change of that is an EV_PAID event. */
	{
		struct pay_ev *pe = NULL;
		size_t npe = 0, cappe = 0, nps;

#define PE_ADD(...) do { \
		if (mem_grow((void **)&pe, &cappe, npe + 1, sizeof(*pe))) { \
			s->oom = 1; \
			free(pe); \
			return; \
		} \
		pe[npe] = (struct pay_ev){__VA_ARGS__}; \
		pe[npe].seq = (long)npe; \
		npe++; \
	} while (0)
		for (size_t i = 0; i < in->nallocs + in->ndocs; i++) {
			int di, vi, is_alloc = i < in->nallocs;
			const char *target;

			if (is_alloc) {
				target = in->allocs[i].invoice;
			} else {
				const struct acct_doc *cn = &in->docs[i - in->nallocs];
				if (!cn->is_credit || cn->cancelled)
					continue;
				target = cn->original;
			}
			if (!target[0] || (di = find_doc(s, target)) < 0 || (vi = s->doc_inv[di]) < 0)
				continue;
			if (!is_alloc) {
				const struct acct_doc *cn = &in->docs[i - in->nallocs];

				PE_ADD(.inv = vi, .date = cn->date, .credit = cn->total_cents);
				continue;
			}
			{
				const struct acct_alloc *a = &in->allocs[i];

				PE_ADD(.inv = vi, .date = a->date, .paid = a->amount_cents,
				       .live = a->amount_cents > 0, .reward = a->reward);
				if (alloc_reversed(in, a))
					PE_ADD(.inv = vi, .date = a->reversed_on, .paid = -a->amount_cents,
					       .live = -(a->amount_cents > 0), .reward = -a->reward,
					       .reward_reversed = a->reward);
			}
		}
		/* a checkpoint's invoice not yet paid in full: what was paid
		 * and credited through its day */
		for (size_t i = 0; i < s->nsynth; i++) {
			const struct ck_inv *k = &s->ck[i];

			if (k->has_paid || (!k->paid_cents && !k->credit_cents) || s->doc_inv[i] < 0)
				continue;
			PE_ADD(.inv = s->doc_inv[i], .date = s->ck_day, .paid = k->paid_cents,
			       .credit = k->credit_cents, .live = k->paid_cents > 0,
			       .reward = k->reward != 0);
		}
#undef PE_ADD
		if (npe)
			qsort(pe, npe, sizeof(*pe), pay_ev_cmp);
		nps = 0;
		for (size_t i = 0; i < npe;) {
			int vi = pe[i].inv;
			struct inv *v = &s->invs[vi];
			int64_t total = in->docs[v->doc].total_cents, paid = 0, credit = 0;
			int live = 0, reward = 0, full = 0, had_reward = 0;

			if (v->has_paid) {
				/* paid in full by a checkpoint's day: what it was paid
				 * then is never reversed later (no checkpoint passes
				 * an allocation reversed after it) */
				for (; i < npe && pe[i].inv == vi; i++)
					;
				continue;
			}
			for (; i < npe && pe[i].inv == vi;) {
				date_t day = pe[i].date;
				int rr = 0, now;

				for (; i < npe && pe[i].inv == vi && pe[i].date == day; i++) {
					paid += pe[i].paid;
					credit += pe[i].credit;
					live += pe[i].live;
					reward += pe[i].reward;
					rr |= pe[i].reward_reversed;
				}
				now = live > 0 && paid >= total - credit;
				if (now != full || (now && rr && had_reward && reward == 0)) {
					/* kept in pe (behind i) to be pushed invoice
					 * by invoice below, each before its deadline */
					pe[nps++] = (struct pay_ev){.inv = vi, .date = day,
						.flags = (now ? PS_FULL : 0) | (reward > 0 ? PS_REWARD : 0) |
							 (rr ? PS_REWARD_REVERSED : 0)};
				}
				full = now;
				had_reward = reward > 0;
			}
		}
		if (p->on_payment) {
			size_t k = 0;

			for (size_t i = 0; i < s->ninvs; i++) {
				struct inv *v = &s->invs[i];
				const struct acct_doc *d = &in->docs[v->doc];
				date_t deadline = d->date + p->max_payment_days + 1;

				for (; k < nps && pe[k].inv < (int)i; k++)
					;
				if (d->cancelled && !v->had_close_earn)
					continue;
				for (; k < nps && pe[k].inv == (int)i; k++)
					ev_push(s, EV_PAID, pe[k].date, (int)i, pe[k].flags);
				if (deadline <= in->as_of)
					ev_push(s, EV_DEADLINE, deadline, (int)i, v->doc);
			}
		}
		free(pe);
	}
	for (size_t i = 0; i < in->nentries; i++)
		if (!in->entries[i].by_close)
			ev_push(s, EV_FACT, in->entries[i].date, -1, (int)i);
	for (size_t i = 0; i < in->nallocs; i++)
		if (in->allocs[i].reward)
			ev_push(s, EV_REDEEM, in->allocs[i].date, -1, (int)i);
	if (in->month_end && !earning_rule_of(p->earning)->per_invoice)
		ev_push(s, EV_ACCRUAL, in->as_of, -1, 0);
}

/* -- diff -------------------------------------------------------------------- */

static int key_cmp(const struct acct_entry *a, const struct acct_entry *b)
{
	int c;

	if (a->kind != b->kind)
		return a->kind - b->kind;
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	if ((c = strcmp(a->document, b->document)))
		return c;
	return strcmp(a->note, b->note);
}

static int keyed_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c = key_cmp(a->e, b->e);

	if (c)
		return c;
	return a->first < b->first ? -1 : a->first > b->first;
}

static int first_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* Group entries by key (kind, date, document, note), summing amounts. */
static size_t group(struct keyed *k, size_t n)
{
	size_t o = 0;

	qsort(k, n, sizeof(*k), keyed_cmp);
	for (size_t i = 0; i < n; i++) {
		if (o && key_cmp(k[o - 1].e, k[i].e) == 0) {
			k[o - 1].pending += k[i].pending;
			k[o - 1].usable += k[i].usable;
		} else {
			k[o++] = k[i];
		}
	}
	return o;
}

static void emit(struct account_sim *s, const struct acct_entry *like, int64_t pending,
		 int64_t usable)
{
	struct acct_entry e = *like;

	e.pending = pending;
	e.usable = usable;
	e.by_close = 1;
	s->out->entry(s->out->ctx, &e);
}

/* The ledger's close entries grouped by key, for the diff and for the
 * last usable days they stored. */
static int stored_entries(struct account_sim *s)
{
	const struct acct_input *in = s->in;
	size_t ne = 0;

	if (mem_grow((void **)&s->ke, &s->capke, in->nentries + 1, sizeof(*s->ke)))
		return -1;
	for (size_t i = 0; i < in->nentries; i++)
		if (in->entries[i].by_close)
			s->ke[ne++] = (struct keyed){&in->entries[i], (long)i, in->entries[i].pending,
						     in->entries[i].usable, 0};
	s->nstored = group(s->ke, ne);
	return 0;
}

static int diff(struct account_sim *s)
{
	size_t nt = 0, ne = s->nstored;

	if (mem_grow((void **)&s->kt, &s->capkt, s->ntarget + 1, sizeof(*s->kt)))
		return -1;
	for (size_t i = 0; i < s->ntarget; i++)
		s->kt[nt++] = (struct keyed){&s->target[i], (long)i, s->target[i].pending,
					     s->target[i].usable, 0};
	nt = group(s->kt, nt);
	qsort(s->kt, nt, sizeof(*s->kt), first_cmp);  /* posting order */
	for (size_t i = 0; i < nt; i++) {
		struct keyed *t = &s->kt[i];
		int64_t pending = t->pending, usable = t->usable;
		size_t lo = 0, hi = ne;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = key_cmp(s->ke[mid].e, t->e);
			if (c == 0) {
				pending -= s->ke[mid].pending;
				usable -= s->ke[mid].usable;
				s->ke[mid].matched = 1;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (pending || usable)
			emit(s, t->e, pending, usable);
	}
	/* What the ledger holds that the rules no longer make: undo it. */
	for (size_t i = 0; i < ne; i++)
		if (!s->ke[i].matched && (s->ke[i].pending || s->ke[i].usable))
			emit(s, s->ke[i].e, -s->ke[i].pending, -s->ke[i].usable);
	return 0;
}


/* -- checkpoints ------------------------------------------------------------- */
/*
 * A checkpoint is the replay's state at the end of a day D: balances, the
 * lots left, the last invoice date for inactivity, the cumulative spend
 * that picks the next invoice's tier, and every invoice the rules can still
 * reach without new data dated on or before D — pending ones, cancelled
 * ones whose reversal is still ahead, and those that facts dated after D
 * (credit notes, allocations, manual expiries and reversals) name.  Resumed
 * from it, with only the facts dated after D, a replay makes exactly the
 * entries dated after D that a whole replay makes.  Any new fact dated on
 * or before D makes the caller replay the whole history instead (SPEC §8:
 * the writers mark the account from that date).
 *
 * Text, one line: "c1" and numbers separated by spaces, strings in hex.
 */

static void ck_hex(struct sbuf *b, const char *str)
{
	static const char digits[] = "0123456789abcdef";

	sbuf_addc(b, ' ');
	if (!*str) {
		sbuf_addc(b, '-');
		return;
	}
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		sbuf_addc(b, digits[*p >> 4]);
		sbuf_addc(b, digits[*p & 15]);
	}
}

static void ck_num(struct sbuf *b, long long v)
{
	sbuf_addf(b, " %lld", v);
}

struct ck_reader {
	const char *p;
	int bad;
};

static long long ck_read_num(struct ck_reader *r)
{
	char *end;
	long long v;

	while (*r->p == ' ')
		r->p++;
	v = strtoll(r->p, &end, 10);
	if (end == r->p)
		r->bad = 1;
	r->p = end;
	return v;
}

static void ck_read_str(struct ck_reader *r, char *dst, size_t n)
{
	size_t k = 0;

	while (*r->p == ' ')
		r->p++;
	if (*r->p == '-') {
		r->p++;
		dst[0] = '\0';
		return;
	}
	while (isxdigit((unsigned char)r->p[0]) && isxdigit((unsigned char)r->p[1])) {
		int hi = isdigit((unsigned char)r->p[0]) ? r->p[0] - '0' : (r->p[0] | 32) - 'a' + 10;
		int lo = isdigit((unsigned char)r->p[1]) ? r->p[1] - '0' : (r->p[1] | 32) - 'a' + 10;

		if (k + 1 >= n) {
			r->bad = 1;
			return;
		}
		dst[k++] = (char)(hi * 16 + lo);
		r->p += 2;
	}
	if (k == 0)
		r->bad = 1;
	dst[k] = '\0';
}

/* Read a checkpoint into s (lots, balances, s->ck).  0, -1 when malformed
 * or out of memory. */
static int ck_load(struct account_sim *s, const char *text)
{
	struct ck_reader r = {text, 0};
	long long nlots, ninvs;

	if (strncmp(text, "c1", 2) != 0)
		return -1;
	r.p += 2;
	s->ck_day = (date_t)ck_read_num(&r);
	s->pending_bal = ck_read_num(&r);
	s->usable_bal = ck_read_num(&r);
	s->has_last_invoice = (int)ck_read_num(&r);
	s->last_invoice = (date_t)ck_read_num(&r);
	s->lost_done = (int)ck_read_num(&r);
	s->ck_cumulative = ck_read_num(&r);
	nlots = ck_read_num(&r);
	ninvs = ck_read_num(&r);
	if (r.bad || nlots < 0 || ninvs < 0 || nlots > 10000000 || ninvs > 10000000)
		return -1;
	lots_reset(&s->lots);
	for (long long i = 0; i < nlots && !r.bad; i++) {
		struct lot l;

		memset(&l, 0, sizeof(l));
		l.opened = (date_t)ck_read_num(&r);
		l.has_last = (int)ck_read_num(&r);
		l.last_day = (date_t)ck_read_num(&r);
		l.units = ck_read_num(&r);
		ck_read_str(&r, l.document, sizeof(l.document));
		ck_read_str(&r, l.customer, sizeof(l.customer));
		if (!r.bad && l.units > 0 && lots_add(&s->lots, &l))
			return -1;
	}
	s->lots.debt = ck_read_num(&r);
	if (mem_grow((void **)&s->ck, &s->capck, (size_t)ninvs + 1, sizeof(*s->ck)))
		return -1;
	for (long long i = 0; i < ninvs && !r.bad; i++) {
		struct ck_inv *k = &s->ck[i];

		memset(k, 0, sizeof(*k));
		ck_read_str(&r, k->number, sizeof(k->number));
		ck_read_str(&r, k->customer, sizeof(k->customer));
		k->date = (date_t)ck_read_num(&r);
		k->total_cents = ck_read_num(&r);
		k->eligible = ck_read_num(&r);
		k->credited = ck_read_num(&r);
		k->earned = ck_read_num(&r);
		k->forfeited = ck_read_num(&r);
		k->rate_ppm = ck_read_num(&r);
		k->factor_cents = ck_read_num(&r);
		k->is_factor = (int)ck_read_num(&r);
		k->has_tier = (int)ck_read_num(&r);
		ck_read_str(&r, k->tier, sizeof(k->tier));
		k->state = (int)ck_read_num(&r);
		k->exempt = (int)ck_read_num(&r);
		k->cancelled = (int)ck_read_num(&r);
		k->has_cancel = (int)ck_read_num(&r);
		k->cancel = (date_t)ck_read_num(&r);
		k->has_paid = (int)ck_read_num(&r);
		k->paid = (date_t)ck_read_num(&r);
		k->reward = (int)ck_read_num(&r);
		k->paid_cents = ck_read_num(&r);
		k->credit_cents = ck_read_num(&r);
	}
	while (*r.p == ' ')
		r.p++;
	if (r.bad || *r.p)
		return -1;
	s->nck = (size_t)ninvs;
	return 0;
}

/* Resume: the checkpoint's invoices become the first documents (all dated
 * on or before its day, so the order by date holds), the input's follow. */
static int ck_resume(struct account_sim *s, const struct acct_input *in)
{
	size_t n;

	if (ck_load(s, in->checkpoint))
		return -1;
	n = s->nck + in->ndocs;
	if (mem_grow((void **)&s->mdocs, &s->capmdocs, n + 1, sizeof(*s->mdocs)))
		return -1;
	for (size_t i = 0; i < s->nck; i++) {
		struct acct_doc *d = &s->mdocs[i];
		const struct ck_inv *k = &s->ck[i];

		memset(d, 0, sizeof(*d));
		set_str(d->number, sizeof(d->number), k->number);
		set_str(d->customer, sizeof(d->customer), k->customer);
		d->date = k->date;
		d->total_cents = k->total_cents;
		d->net_cents = k->eligible;
		d->cancelled = k->cancelled;
	}
	if (in->ndocs)
		memcpy(s->mdocs + s->nck, in->docs, in->ndocs * sizeof(*in->docs));
	s->in_copy = *in;
	s->in_copy.docs = s->mdocs;
	s->in_copy.ndocs = n;
	s->in = &s->in_copy;
	s->nsynth = s->nck;
	s->resumed = 1;
	return 0;
}

/* Mark (ck_keep) the invoices that a fact dated after `day` names: a credit
 * note, an allocation, a manual expiry or reversal. */
static void ck_mark_named_later(struct account_sim *s, date_t day)
{
	const struct acct_input *in = s->in;

	for (size_t i = 0; i < s->ninvs; i++)
		s->invs[i].ck_keep = 0;
#define KEEP(number) do { \
		int di_ = find_doc(s, (number)); \
		if (di_ >= 0 && s->doc_inv[di_] >= 0) \
			s->invs[s->doc_inv[di_]].ck_keep = 1; \
	} while (0)
	for (size_t i = 0; i < in->ndocs; i++)
		if (in->docs[i].is_credit && in->docs[i].date > day && in->docs[i].original[0])
			KEEP(in->docs[i].original);
	for (size_t i = 0; i < in->nallocs; i++)
		if (in->allocs[i].date > day && in->allocs[i].invoice[0])
			KEEP(in->allocs[i].invoice);
	for (size_t i = 0; i < in->nentries; i++) {
		const struct acct_entry *e = &in->entries[i];

		if (!e->by_close && e->date > day && (is_manual_doc(e->document, ACCT_DOC_EXPIRY) ||
						     is_manual_doc(e->document, ACCT_DOC_REVERSAL)))
			KEEP(e->document + 1);
	}
#undef KEEP
}

/* The state at the end of `day`, while the replay stands there. */
static void ck_take(struct account_sim *s, date_t day)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;
	struct sbuf *b = &s->snap;
	int64_t cumulative = s->resumed ? s->ck_cumulative : 0;
	size_t nlots = 0, ninvs = 0;

	s->snapped = 1;
	sbuf_reset(b);
	/* the tier spend: every posted invoice through the day, as
	 * setup_invoices counts it */
	for (size_t i = s->nsynth; i < in->ndocs; i++) {
		const struct acct_doc *d = &in->docs[i];

		if (d->date <= day && s->doc_inv[i] >= 0 && !d->cancelled)
			cumulative = add_checked(s, cumulative,
						 p->basis_total ? d->total_cents : d->net_cents);
	}
	for (size_t i = 0; i < s->lots.n; i++)
		nlots += s->lots.v[i].units > 0;
	ck_mark_named_later(s, day);
	/* what was paid and credited through the day, per invoice, in one
	 * pass (the checkpoint's own sums to start with) */
	for (size_t i = 0; i < s->ninvs; i++) {
		struct inv *v = &s->invs[i];
		int synth = (size_t)v->doc < s->nsynth && !s->ck[v->doc].has_paid;

		v->ck_paid = synth ? s->ck[v->doc].paid_cents : 0;
		v->ck_credit = synth ? s->ck[v->doc].credit_cents : 0;
		v->ck_reward = synth ? s->ck[v->doc].reward : 0;
	}
	for (size_t k = 0; k < in->nallocs; k++) {
		const struct acct_alloc *a = &in->allocs[k];
		int di = a->invoice[0] && a->date <= day ? find_doc(s, a->invoice) : -1;

		/* (one reversed after the day keeps the replay from taking a
		 * checkpoint at all: account_close) */
		if (a->has_reversed && a->reversed_on <= day)
			continue;
		if (di >= 0 && s->doc_inv[di] >= 0) {
			s->invs[s->doc_inv[di]].ck_paid += a->amount_cents;
			s->invs[s->doc_inv[di]].ck_reward |= a->reward;
		}
	}
	for (size_t k = s->nsynth; k < in->ndocs; k++) {
		const struct acct_doc *cn = &in->docs[k];
		int di = cn->is_credit && !cn->cancelled && cn->date <= day && cn->original[0]
			 ? find_doc(s, cn->original) : -1;

		if (di >= 0 && s->doc_inv[di] >= 0)
			s->invs[s->doc_inv[di]].ck_credit += cn->total_cents;
	}
	for (size_t i = 0; i < s->ninvs; i++) {
		struct inv *v = &s->invs[i];
		const struct acct_doc *d = &in->docs[v->doc];

		if (d->date > day) {
			v->ck_keep = 0;
			continue;
		}
		v->ck_keep |= v->state == ST_PENDING || (d->cancelled && v->state == ST_VESTED);
		ninvs += v->ck_keep;
	}
	sbuf_adds(b, "c1");
	ck_num(b, day);
	ck_num(b, s->pending_bal);
	ck_num(b, s->usable_bal);
	ck_num(b, s->has_last_invoice);
	ck_num(b, s->last_invoice);
	ck_num(b, s->lost_done);
	ck_num(b, cumulative);
	ck_num(b, (long long)nlots);
	ck_num(b, (long long)ninvs);
	for (size_t i = 0; i < s->lots.n; i++) {
		const struct lot *l = &s->lots.v[i];

		if (l->units <= 0)
			continue;
		ck_num(b, l->opened);
		ck_num(b, l->has_last);
		ck_num(b, l->last_day);
		ck_num(b, l->units);
		ck_hex(b, l->document);
		ck_hex(b, l->customer);
	}
	ck_num(b, s->lots.debt);
	for (size_t i = 0; i < s->ninvs; i++) {
		const struct inv *v = &s->invs[i];
		const struct acct_doc *d = &in->docs[v->doc];
		int64_t paid = v->ck_paid, credit = v->ck_credit;
		int reward = v->ck_reward, has_paid = v->has_paid && v->paid <= day;

		if (d->date > day || !v->ck_keep)
			continue;
		if (has_paid)
			reward = v->reward_touched;
		ck_hex(b, d->number);
		ck_hex(b, d->customer);
		ck_num(b, d->date);
		ck_num(b, d->total_cents);
		ck_num(b, v->eligible);
		ck_num(b, v->credited);
		ck_num(b, v->earned);
		ck_num(b, v->forfeited);
		ck_num(b, v->rate_ppm);
		ck_num(b, v->factor_cents);
		ck_num(b, v->is_factor);
		ck_num(b, v->has_tier);
		ck_hex(b, v->tier);
		ck_num(b, v->state);
		ck_num(b, v->exempt);
		ck_num(b, d->cancelled);
		/* a cancellation still ahead is posted on the date this
		 * replay gives it */
		ck_num(b, d->cancelled ? 1 : v->has_cancel);
		ck_num(b, v->has_cancel ? v->cancel : in->as_of);
		ck_num(b, has_paid);
		ck_num(b, has_paid ? v->paid : 0);
		ck_num(b, reward);
		ck_num(b, has_paid ? 0 : paid);
		ck_num(b, has_paid ? 0 : credit);
	}
	/* sbuf refuses past its cap: a checkpoint cut short is none */
	s->has_snap = b->len + 64 < CK_MAX;
}

const char *account_checkpoint(const struct account_sim *s)
{
	return s->has_snap ? sbuf_str(&s->snap) : NULL;
}

/* -- the close --------------------------------------------------------------- */

int account_close(struct account_sim *s, const struct acct_input *in,
		  const struct acct_output *out)
{
	s->in = in;
	s->out = out;
	s->ninvs = 0;
	s->nheap = 0;
	s->seq = 0;
	s->ntarget = 0;
	s->pending_bal = 0;
	s->usable_bal = 0;
	s->has_last_invoice = 0;
	s->lost_done = 0;
	s->refused = 0;
	s->oom = 0;
	s->overflow = 0;
	s->has_accrual = 0;
	lots_reset(&s->lots);
	s->resumed = 0;
	s->nsynth = 0;
	s->nck = 0;
	s->snapped = 0;
	s->has_snap = 0;
	sbuf_reset(&s->snap);

	s->nstored = 0;
	if (in->checkpoint && *in->checkpoint && !in->accrual_only) {
		if (ck_resume(s, in))
			return -2;
		in = s->in;
	}
	/* a checkpoint a month back: late documents rarely reach before it */
	s->snap_day = in->as_of - (in->checkpoint_lag > 0 ? in->checkpoint_lag : ACCT_CHECKPOINT_LAG);
	s->want_snap = earning_rule_of(in->program->earning)->per_invoice && !in->accrual_only &&
		       (!s->resumed || s->snap_day > s->ck_day);
	/* A checkpoint holds what was paid through its day: none is taken
	 * where an allocation of that day or before is reversed after it (a
	 * reversal known in advance, dated after the business date, too). */
	for (size_t i = 0; s->want_snap && i < in->nallocs; i++)
		if (in->allocs[i].has_reversed && in->allocs[i].date <= s->snap_day &&
		    in->allocs[i].reversed_on > s->snap_day)
			s->want_snap = 0;
	if (setup_invoices(s) || stored_entries(s))
		return -1;
	if (in->accrual_only) {
		/* the same rule as in a replay, on the year's sales alone */
		s->nheap = 0;
		if (in->month_end && !earning_rule_of(in->program->earning)->per_invoice)
			on_accrual(s, in->as_of);
		if (s->oom)
			return -1;
		if (s->has_accrual)
			out->entry(out->ctx, &s->accrual);
		find_next_event(s);
		return 0;
	}
	setup_events(s);
	while (s->nheap && !s->oom) {
		struct event ev = ev_pop(s);
		struct inv *v = ev.inv >= 0 ? &s->invs[ev.inv] : NULL;

		if (s->want_snap && !s->snapped && ev.date > s->snap_day) {
			advance_to(s, s->snap_day);
			ck_take(s, s->snap_day);
		}
		/* A posted invoice dated the day inactivity would strike is
		 * activity of that day: B > L + N no longer holds (SPEC §5). */
		if (ev.type == EV_EARN && !v) {
			advance_to(s, ev.date - 1);
			if (!s->has_last_invoice || ev.date > s->last_invoice) {
				s->last_invoice = ev.date;
				s->has_last_invoice = 1;
				s->lost_done = 0;
			}
		}
		advance_to(s, ev.date);
		switch (ev.type) {
		case EV_EARN:
			if (v)  /* without v: activity, taken above */
				on_earn(s, v);
			break;
		case EV_CREDIT:
			on_credit(s, v, &in->docs[ev.ref], ev.date);
			break;
		case EV_CANCEL:
			on_cancel(s, v, ev.date);
			break;
		case EV_PAID:
			on_paid(s, v, ev.date, ev.ref);
			break;
		case EV_DEADLINE:
			on_deadline(s, v, ev.date);
			break;
		case EV_FACT:
			on_fact(s, &in->entries[ev.ref], ev.date);
			break;
		case EV_REDEEM:
			on_redeem(s, ev.ref);
			break;
		case EV_UNREDEEM:
			on_unredeem(s, ev.ref, ev.date);
			break;
		case EV_ACCRUAL:
			on_accrual(s, ev.date);
			break;
		}
	}
	if (s->want_snap && !s->snapped) {
		advance_to(s, s->snap_day);
		ck_take(s, s->snap_day);
	}
	advance_to(s, in->as_of);
	if (s->overflow)
		return ACCT_OVERFLOW;
	if (s->oom || diff(s))
		return -1;
	if (s->has_accrual)
		out->entry(out->ctx, &s->accrual);
	find_next_event(s);
	if (s->resumed && !s->want_snap && !s->snapped) {
		/* too soon for a new one: the one resumed from stands */
		sbuf_reset(&s->snap);
		s->has_snap = sbuf_adds(&s->snap, in->checkpoint) == 0;
	}
	/* a refused redemption is tried again as of its own date: the next
	 * replay must see it, so no checkpoint passes it */
	if (s->refused || s->oom)
		s->has_snap = 0;
	return 0;
}

int account_next_event(const struct account_sim *s, date_t *next)
{
	*next = s->next_event;
	return s->has_next_event;
}

/* Called at the end of account_close, while s->in is the caller's. */
static void find_next_event(struct account_sim *s)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;
	date_t best = 0, d;
	int has = 0, has_lot;

#define CONSIDER(day) do { d = (day); if (!has || d < best) { best = d; has = 1; } } while (0)
	d = lots_next_expiry(&s->lots, &has_lot);
	if (has_lot)
		CONSIDER(d);
	if (in->has_points_expiry && in->points_expiry >= in->as_of)
		CONSIDER(in->points_expiry + 1);
	if (!in->accrual_only) {
		if (p->inactivity_days > 0 && s->has_last_invoice && !s->lost_done)
			CONSIDER(s->last_invoice + p->inactivity_days + 1);
		for (size_t i = 0; p->on_payment && i < s->ninvs; i++) {
			const struct inv *v = &s->invs[i];

			/* still pending: expires the day after its payment window */
			if (v->state == ST_PENDING && !v->exempt)
				CONSIDER(in->docs[v->doc].date + p->max_payment_days + 1);
		}
		/* a reversal known in advance takes effect on its day */
		for (size_t i = 0; i < in->nallocs; i++)
			if (in->allocs[i].has_reversed && in->allocs[i].reversed_on > in->as_of)
				CONSIDER(in->allocs[i].reversed_on);
	}
#undef CONSIDER
	/* an event already passed (a month-end replaying an earlier day than
	 * the last daily close) is due at the next close */
	if (has && best <= in->as_of)
		best = in->as_of + 1;
	/* a refused redemption is tried again by every close, a re-run of
	 * this one's date included (SPEC §6) */
	if (s->refused) {
		best = in->as_of;
		has = 1;
	}
	s->next_event = best;
	s->has_next_event = has;
}

date_t account_checkpoint_day(const char *checkpoint)
{
	struct ck_reader r = {checkpoint, 0};

	if (strncmp(checkpoint, "c1", 2) != 0)
		return 0;
	r.p += 2;
	return (date_t)ck_read_num(&r);
}

int account_checkpoint_summary(const char *checkpoint, struct acct_ck_summary *out)
{
	struct ck_reader r = {checkpoint, 0};
	long long ninvs;

	memset(out, 0, sizeof(*out));
	if (strncmp(checkpoint, "c1", 2) != 0)
		return -1;
	r.p += 2;
	out->day = (date_t)ck_read_num(&r);
	out->pending = ck_read_num(&r);
	out->usable = ck_read_num(&r);
	for (int i = 0; i < 4; i++)     /* last invoice, inactivity, spend */
		ck_read_num(&r);
	out->nlots = ck_read_num(&r);
	ninvs = ck_read_num(&r);
	if (r.bad || out->nlots < 0 || ninvs < 0 || out->nlots > 10000000)
		return -1;
	for (long long i = 0; i < out->nlots && !r.bad; i++) {
		char skip[LOTS_DOC_SIZE];
		int64_t units;

		for (int k = 0; k < 3; k++)  /* opened, has_last, last_day */
			ck_read_num(&r);
		units = ck_read_num(&r);
		ck_read_str(&r, skip, sizeof(skip));
		ck_read_str(&r, skip, sizeof(skip));
		if (i == 0 || units < out->min_lot)
			out->min_lot = units;
		if (__builtin_add_overflow(out->lots_units, units, &out->lots_units))
			return -1;
	}
	out->debt = ck_read_num(&r);
	return r.bad ? -1 : 0;
}
