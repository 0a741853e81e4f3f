#include "account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lots.h"
#include "mem.h"
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
	int has_paid;
	date_t paid;            /* paid in full */
	int reward_touched;
	int had_close_earn;     /* the ledger holds close earnings for it */
	int has_cancel;
	date_t cancel;          /* date of the cancellation reversal */
};

enum ev_type {
	EV_EARN, EV_CREDIT, EV_CANCEL, EV_PAID, EV_DEADLINE, EV_FACT, EV_REDEEM, EV_ACCRUAL,
};

static const int ev_prio[] = {2, 2, 2, 3, 3, 4, 5, 4};

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
	int oom;
};

static void find_next_event(struct account_sim *s);

struct account_sim *account_sim_new(void)
{
	return calloc(1, sizeof(struct account_sim));
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

	/* an invoice's forfeited units can no longer be clawed back */
	if (di >= 0 && s->doc_inv[di] >= 0)
		s->invs[s->doc_inv[di]].forfeited += l->units;
	if (!e)
		return;
	e->usable = -l->units;
	s->usable_bal -= l->units;
}

/* -- the rules --------------------------------------------------------------- */

/* Units an invoice earns on an eligible amount with its tier (SPEC §3). */
static int64_t inv_units(const struct inv *v, int64_t eligible)
{
	if (!v->has_tier || eligible <= 0)
		return 0;
	if (v->is_factor)
		return units_by_factor(eligible, v->factor_cents);
	return units_at_rate(eligible, v->rate_ppm);
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
		post(s, K_EXPIRE, day, d->number, d->customer, note, -v->earned, 0, NULL);
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

	v->credited += cn_eligible;
	if (v->state != ST_PENDING && v->state != ST_VESTED)
		return;  /* expired, lost or cancelled: nothing left to adjust */
	now = inv_units(v, v->eligible - v->credited);
	delta = now - v->earned;
	/* after vesting, units already expired or lost stay forfeited: a
	 * clawback takes at most what is left of the earning */
	if (v->state == ST_VESTED && delta < 0 && -delta > v->earned - v->forfeited)
		delta = -(v->earned - v->forfeited > 0 ? v->earned - v->forfeited : 0);
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
		post(s, K_EARN, day, d->number, d->customer, "cancelled", -v->earned, 0, v);
	else if (v->state == ST_VESTED && v->earned > v->forfeited)
		post(s, K_EARN, day, d->number, d->customer, "cancelled", 0,
		     -(v->earned - v->forfeited), v);
	v->state = ST_CANCELLED;
}

/* Vesting on payment (SPEC §4). */
static void on_paid(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	int n = s->in->program->max_payment_days;

	if (v->state != ST_PENDING)
		return;
	/* an invoice whose expiry was reversed vests whenever paid in full */
	if (v->reward_touched && !v->exempt) {
		post(s, K_EXPIRE, day, d->number, d->customer, "paid with reward units",
		     -v->earned, 0, NULL);
		v->state = ST_EXPIRED;
	} else if (v->exempt || v->paid <= d->date + n) {
		post(s, K_VEST, day, d->number, d->customer, "paid in full", -v->earned,
		     v->earned, NULL);
		v->state = ST_VESTED;
	}
}

static void on_deadline(struct account_sim *s, struct inv *v, date_t day)
{
	const struct acct_doc *d = &s->in->docs[v->doc];
	char note[ACCT_NOTE];

	if (v->state != ST_PENDING || v->exempt)
		return;
	snprintf(note, sizeof(note), "not paid within %d days", s->in->program->max_payment_days);
	post(s, K_EXPIRE, day, d->number, d->customer, note, -v->earned, 0, NULL);
	v->state = ST_EXPIRED;
}

static int find_doc(const struct account_sim *s, const char *number);

/* A fact: a manual entry or an accrual.  Manual expiries (E<invoice>) and
 * reversals (R<invoice>) also move their invoice's state. */
static void on_fact(struct account_sim *s, const struct acct_entry *f, date_t day)
{
	struct acct_entry copy = *f;
	int di;

	apply(s, &copy);
	if ((f->kind != K_EXPIRE && f->kind != K_REVERSE_EXPIRY) || !f->document[0])
		return;
	di = find_doc(s, f->document + 1);
	if (di < 0 || s->doc_inv[di] < 0)
		return;
	{
		struct inv *v = &s->invs[s->doc_inv[di]];

		if (f->kind == K_EXPIRE && f->document[0] == 'E') {
			if (v->state == ST_PENDING)
				v->state = ST_EXPIRED;
		} else if (f->kind == K_REVERSE_EXPIRY && f->document[0] == 'R') {
			v->state = ST_PENDING;
			v->exempt = 1;
			/* vests when paid in full, dated the later of the payment
			 * and the reversal */
			if (v->has_paid)
				ev_push(s, EV_PAID, v->paid > day ? v->paid : day,
					(int)(v - s->invs), 0);
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

/* A `reward` allocation redeems amount / unit_value units from usable. */
static void on_redeem(struct account_sim *s, const struct acct_alloc *a)
{
	const struct acct_input *in = s->in;
	int64_t units = units_for_cents(a->amount_cents, in->program->unit_value_cents);
	char why[256], note[ACCT_NOTE];

	if (strcmp(a->customer, in->account) != 0) {
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
		snprintf(why, sizeof(why), "%s units are beyond the usable balance of %s",
			 decimal_format(units, 2, need), decimal_format(s->usable_bal, 2, have));
		s->refused++;
		if (s->out->refusal)
			s->out->refusal(s->out->ctx, a, why);
		return;
	}
	post(s, K_REDEEM, a->date, a->payment, a->customer, note, 0, -units, NULL);
}

/* Month-end (SPEC §3 ytd_tiered, month_tiered): the year's target from the
 * eligible sales of the fiscal year through as_of, minus the accruals the
 * year already holds, posted as one accrual dated as_of. */
static int find_doc(const struct account_sim *s, const char *number);

static void on_accrual(struct account_sim *s, date_t day)
{
	const struct acct_input *in = s->in;
	const struct acct_program *p = in->program;
	date_t fy = date_fiscal_year_start(day, p->fiscal_year_start);
	date_t fy_end = date_add_months(fy, 12) - 1;
	int64_t months[12] = {0}, ytd = 0, posted = 0;
	int nmonths, fy_y, fy_m, fy_d, y, m, d;
	struct tiered_result r;
	struct acct_entry *e = &s->accrual;
	char note[ACCT_NOTE], amount[MONEY_FMT_SIZE];

	date_to_ymd(fy, &fy_y, &fy_m, &fy_d);
	date_to_ymd(day, &y, &m, &d);
	nmonths = (y * 12 + m) - (fy_y * 12 + fy_m) + 1;
	for (size_t i = 0; i < in->ndocs; i++) {
		const struct acct_doc *doc = &in->docs[i];
		int64_t eligible = p->basis_total ? doc->total_cents : doc->net_cents;
		int dy, dm, dd, idx;

		if (doc->cancelled || doc->no_points || doc->date < fy || doc->date > day)
			continue;
		if (doc->is_credit && doc->original[0]) {
			int oi = find_doc(s, doc->original);
			if (oi >= 0 && in->docs[oi].no_points)
				continue;  /* credit notes against no_points invoices */
		}
		if (doc->is_credit)
			eligible = -eligible;
		date_to_ymd(doc->date, &dy, &dm, &dd);
		idx = (dy * 12 + dm) - (fy_y * 12 + fy_m);
		if (idx >= 0 && idx < 12)
			months[idx] += eligible;
		ytd += eligible;
	}
	for (size_t i = 0; i < in->nentries; i++) {
		const struct acct_entry *x = &in->entries[i];
		if (x->kind == K_ACCRUAL && x->date >= fy && x->date <= fy_end)
			posted += x->pending + x->usable;
	}
	if (p->earning == EARN_YTD_TIERED)
		r = tiered_ytd(in->tiers, in->ntiers, ytd, posted);
	else
		r = tiered_months(in->tiers, in->ntiers, months, nmonths, posted);
	if (r.uncovered && s->out->warning) {
		char msg[256];

		if (p->earning == EARN_YTD_TIERED)
			snprintf(msg, sizeof(msg), "year-to-date sales of %s are above the top tier or "
				 "in a gap between tiers: no further points", decimal_format(ytd, 2, amount));
		else
			snprintf(msg, sizeof(msg), "a month's sales are above the top tier or in a gap "
				 "between tiers: that month earns nothing");
		s->out->warning(s->out->ctx, in->account, msg);
	}
	if (r.target == posted)
		return;
	if (p->earning == EARN_YTD_TIERED && r.tier >= 0) {
		char rate[MONEY_FMT_SIZE];
		size_t n;

		/* the percent without trailing zeros: 2.5, not 2.5000 */
		decimal_format(in->tiers[r.tier].rate_ppm, 4, rate);
		n = strlen(rate);
		while (n && rate[n - 1] == '0')
			rate[--n] = '\0';
		if (n && rate[n - 1] == '.')
			rate[--n] = '\0';
		snprintf(note, sizeof(note), "tier %s at %s%% on year-to-date sales of %s",
			 in->tiers[r.tier].name, rate, decimal_format(ytd, 2, amount));
	} else if (p->earning == EARN_YTD_TIERED) {
		snprintf(note, sizeof(note), "no tier on year-to-date sales of %s",
			 decimal_format(ytd, 2, amount));
	} else {
		snprintf(note, sizeof(note), "monthly tiers on the year's sales of %s",
			 decimal_format(ytd, 2, amount));
	}
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
	int64_t cumulative = 0;

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
		if (!d->cancelled) {
			/* activity for the inactivity rule: any posted invoice */
			ev_push(s, EV_EARN, d->date, -1, (int)i);
		}
		if (d->no_points || p->earning != EARN_PER_INVOICE)
			continue;
		v = &s->invs[s->ninvs];
		memset(v, 0, sizeof(*v));
		v->doc = (int)i;
		v->eligible = p->basis_total ? d->total_cents : d->net_cents;
		if (!d->cancelled)
			cumulative += v->eligible;
		s->doc_inv[i] = (int)s->ninvs++;
		v->earns = 1;
		/* Tier by cumulative spend including this invoice (unless stored). */
		{
			int64_t spend = d->cancelled ? cumulative + v->eligible : cumulative;
			int t = tiers_pick_range(in->tiers, in->ntiers, d->category, spend);
			int f = tiers_pick_factor(in->tiers, in->ntiers, d->category, spend);

			if (t >= 0) {
				v->has_tier = 1;
				v->rate_ppm = in->tiers[t].rate_ppm;
				set_str(v->tier, sizeof(v->tier), in->tiers[t].name);
			} else if (f >= 0) {
				v->has_tier = 1;
				v->is_factor = 1;
				v->factor_cents = in->tiers[f].factor_cents;
				set_str(v->tier, sizeof(v->tier), in->tiers[f].name);
			}
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

struct pay_ev {
	int inv;
	date_t date;
	int64_t paid, credit;
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
	/* Paid in full: the first day on which its allocations (of any method)
	 * reach its total minus its credit notes, each counted from its own
	 * date, so that a later credit note cannot unpay an invoice. */
	{
		struct pay_ev *pe = NULL;
		size_t npe = 0, cappe = 0;

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
			if (mem_grow((void **)&pe, &cappe, npe + 1, sizeof(*pe))) {
				s->oom = 1;
				free(pe);
				return;
			}
			pe[npe].inv = vi;
			pe[npe].date = is_alloc ? in->allocs[i].date : in->docs[i - in->nallocs].date;
			pe[npe].paid = is_alloc ? in->allocs[i].amount_cents : 0;
			pe[npe].credit = is_alloc ? 0 : in->docs[i - in->nallocs].total_cents;
			pe[npe].seq = (long)npe;
			npe++;
		}
		if (npe)
			qsort(pe, npe, sizeof(*pe), pay_ev_cmp);
		for (size_t i = 0; i < npe;) {
			int vi = pe[i].inv;
			struct inv *v = &s->invs[vi];
			int64_t total = in->docs[v->doc].total_cents, paid = 0, credit = 0;
			int any = 0;

			for (; i < npe && pe[i].inv == vi;) {
				date_t day = pe[i].date;

				for (; i < npe && pe[i].inv == vi && pe[i].date == day; i++) {
					paid += pe[i].paid;
					credit += pe[i].credit;
					any |= pe[i].paid > 0;
				}
				if (!v->has_paid && any && paid >= total - credit) {
					v->has_paid = 1;
					v->paid = day;
				}
			}
		}
		free(pe);
		for (size_t i = 0; i < in->nallocs; i++) {
			const struct acct_alloc *a = &in->allocs[i];
			int di = a->invoice[0] ? find_doc(s, a->invoice) : -1;
			int vi = di >= 0 ? s->doc_inv[di] : -1;

			if (vi >= 0 && a->reward && s->invs[vi].has_paid && a->date <= s->invs[vi].paid)
				s->invs[vi].reward_touched = 1;
		}
	}
	if (p->on_payment) {
		for (size_t i = 0; i < s->ninvs; i++) {
			struct inv *v = &s->invs[i];
			const struct acct_doc *d = &in->docs[v->doc];
			date_t deadline = d->date + p->max_payment_days + 1;

			if (d->cancelled && !v->had_close_earn)
				continue;
			if (v->has_paid)
				ev_push(s, EV_PAID, v->paid, (int)i, v->doc);
			if (deadline <= in->as_of)
				ev_push(s, EV_DEADLINE, deadline, (int)i, v->doc);
		}
	}
	for (size_t i = 0; i < in->nentries; i++)
		if (!in->entries[i].by_close)
			ev_push(s, EV_FACT, in->entries[i].date, -1, (int)i);
	for (size_t i = 0; i < in->nallocs; i++)
		if (in->allocs[i].reward)
			ev_push(s, EV_REDEEM, in->allocs[i].date, -1, (int)i);
	if (in->month_end && (p->earning == EARN_YTD_TIERED || p->earning == EARN_MONTH_TIERED))
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
	s->has_accrual = 0;
	lots_reset(&s->lots);

	s->nstored = 0;
	if (setup_invoices(s) || stored_entries(s))
		return -1;
	if (in->accrual_only) {
		/* the same rule as in a replay, on the year's sales alone */
		s->nheap = 0;
		if (in->month_end && (in->program->earning == EARN_YTD_TIERED ||
				      in->program->earning == EARN_MONTH_TIERED))
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
			on_paid(s, v, ev.date);
			break;
		case EV_DEADLINE:
			on_deadline(s, v, ev.date);
			break;
		case EV_FACT:
			on_fact(s, &in->entries[ev.ref], ev.date);
			break;
		case EV_REDEEM:
			on_redeem(s, &in->allocs[ev.ref]);
			break;
		case EV_ACCRUAL:
			on_accrual(s, ev.date);
			break;
		}
	}
	advance_to(s, in->as_of);
	if (s->oom || diff(s))
		return -1;
	if (s->has_accrual)
		out->entry(out->ctx, &s->accrual);
	find_next_event(s);
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
