#include "posting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "mem.h"
#include "money.h"
#include "text.h"

#define COPY_CHUNK (1 << 20)

const struct prog *posting_prog(const struct posting *c, const char *code)
{
	for (size_t i = 0; i < c->nprogs; i++)
		if (strcmp(c->progs[i].p.code, code) == 0)
			return &c->progs[i];
	return NULL;
}

void posting_tier(struct tier *t, char *const f[POSTING_TIER_FIELDS])
{
	memset(t, 0, sizeof(*t));
	text_copy(t->name, sizeof(t->name), f[TIER_F_NAME]);
	text_copy(t->category, sizeof(t->category), f[TIER_F_CATEGORY]);
	t->lower_cents = db_int64(f[TIER_F_LOWER]);
	t->has_upper = f[TIER_F_UPPER] != NULL;
	t->upper_cents = db_int64(f[TIER_F_UPPER]);
	t->is_factor = f[TIER_F_FACTOR] != NULL;
	t->rate_ppm = db_int64(f[TIER_F_RATE]);
	t->factor_cents = db_int64(f[TIER_F_FACTOR]);
}

/* The columns of load_programs' queries, in the order of their SELECTs. */
enum { P_PROGRAM, P_EARNING, P_VESTING, P_BASIS, P_MAX_PAYMENT_DAYS, P_EXPIRY_DAYS,
       P_EXPIRY_MONTHS, P_INACTIVITY_DAYS, P_UNIT_VALUE, P_ACCOUNTS /* GL_ROLES of them */,
       P_FISCAL_YEAR_START = P_ACCOUNTS + GL_ROLES };
enum { T_PROGRAM, T_FIELDS /* as posting_tier reads them */ };
enum { G_PROGRAM, G_KIND, G_UNITS };

static int load_programs(struct posting *c)
{
	PGresult *r = db_query(c->db, c->e,
			       "SELECT program, earning, vesting, basis, COALESCE(max_payment_days, 0),"
			       "       COALESCE(expiry_days, 0), COALESCE(expiry_months, 0),"
			       "       COALESCE(inactivity_days, 0), unit_value_cents, expense_account,"
			       "       liability_account, forfeit_account, receivable_account,"
			       "       fiscal_year_start"
			       "  FROM programs ORDER BY program", 0, NULL);
	PGresult *t = NULL, *g = NULL;
	int rc = 0;

	if (!r)
		return c->e->exit;
	c->nprogs = (size_t)PQntuples(r);
	c->progs = calloc(c->nprogs + 1, sizeof(*c->progs));
	if (!c->progs) {
		PQclear(r);
		return err_set(c->e, EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < c->nprogs; i++) {
		struct prog *p = &c->progs[i];
		const char *earning = PQgetvalue(r, (int)i, P_EARNING);
		const struct earning_rule *rule;

		text_copy(p->p.code, sizeof(p->p.code), PQgetvalue(r, (int)i, P_PROGRAM));
		rule = earning_rule_named(earning);
		if (!rule) {
			/* the schema's foreign key to earning_rules keeps this from
			 * happening, but a rule this binary does not know is an
			 * error, never a default */
			rc = err_set(c->e, EXIT_FAIL, "program %.100s: earning \"%.40s\" is not a rule "
				     "this accrue knows: upgrade accrue, or fix the program",
				     PQgetvalue(r, (int)i, P_PROGRAM), earning);
			break;
		}
		p->p.earning = rule->id;
		p->p.on_payment = !strcmp(PQgetvalue(r, (int)i, P_VESTING), "on_payment");
		p->p.basis_total = !strcmp(PQgetvalue(r, (int)i, P_BASIS), "total");
		p->p.max_payment_days = atoi(PQgetvalue(r, (int)i, P_MAX_PAYMENT_DAYS));
		p->p.expiry_days = atoi(PQgetvalue(r, (int)i, P_EXPIRY_DAYS));
		p->p.expiry_months = atoi(PQgetvalue(r, (int)i, P_EXPIRY_MONTHS));
		p->p.inactivity_days = atoi(PQgetvalue(r, (int)i, P_INACTIVITY_DAYS));
		p->p.unit_value_cents = db_int64(PQgetvalue(r, (int)i, P_UNIT_VALUE));
		for (int k = 0; k < GL_ROLES; k++)
			text_copy(p->account[k], sizeof(p->account[k]), PQgetvalue(r, (int)i, P_ACCOUNTS + k));
		p->p.fiscal_year_start = atoi(PQgetvalue(r, (int)i, P_FISCAL_YEAR_START));
	}
	PQclear(r);
	if (rc)
		return rc;

	/* The programs' own tier sets (customer sets come with their account). */
	t = db_query(c->db, c->e,
		     "SELECT program, tier, category, lower_cents, upper_cents, rate_ppm, factor_cents"
		     "  FROM tiers WHERE customer = '' ORDER BY program, lower_cents, tier", 0, NULL);
	if (!t)
		return c->e->exit;
	for (int i = 0; i < PQntuples(t); i++) {
		struct prog *p = (struct prog *)posting_prog(c, PQgetvalue(t, i, T_PROGRAM));
		char *f[POSTING_TIER_FIELDS];

		if (!p)
			continue;
		for (int k = 0; k < POSTING_TIER_FIELDS; k++)
			f[k] = PQgetisnull(t, i, T_FIELDS + k) ? NULL : PQgetvalue(t, i, T_FIELDS + k);
		if (mem_grow((void **)&p->tiers, &p->captiers, p->ntiers + 1, sizeof(*p->tiers))) {
			rc = err_set(c->e, EXIT_FAIL, "out of memory");
			break;
		}
		posting_tier(&p->tiers[p->ntiers++], f);
	}
	PQclear(t);
	if (rc)
		return rc;

	/* Running units per program and GL role, from every entry so far
	 * (ledger_totals, kept by post_everything). */
	g = db_query(c->db, c->e, "SELECT program, kind, units::text FROM ledger_totals", 0, NULL);
	if (!g)
		return c->e->exit;
	for (int i = 0; i < PQntuples(g); i++) {
		struct prog *p = (struct prog *)posting_prog(c, PQgetvalue(g, i, G_PROGRAM));
		int kind = acct_kind_parse(PQgetvalue(g, i, G_KIND));
		int role = gl_counter_role(kind);
		int64_t u = db_int64(PQgetvalue(g, i, G_UNITS));

		if (!p || role < 0)
			continue;
		p->gl.units[role] += u;
		p->gl.units[GL_LIABILITY] -= u;
	}
	PQclear(g);
	return 0;
}

int posting_load(struct posting *p, PGconn *db, struct err *e)
{
	PGresult *r;
	int rc;

	posting_free(p);
	memset(p, 0, sizeof(*p));
	p->db = db;
	p->e = e;
	sbuf_init(&p->copy, 4 * COPY_CHUNK);
	if ((rc = load_programs(p)))
		return rc;
	enum { OPEN_FROM };
	r = db_query(db, e, "SELECT (max(period) + interval '1 month')::date::text FROM periods",
		     0, NULL);
	if (!r)
		return e->exit;
	p->has_open_from = !PQgetisnull(r, 0, OPEN_FROM) &&
			   date_parse(PQgetvalue(r, 0, OPEN_FROM), &p->open_from) == 0;
	PQclear(r);
	return 0;
}

int posting_begin(struct posting *p, PGconn *db, struct err *e)
{
	int rc = posting_load(p, db, e);

	if (rc)
		return rc;
	return db_exec_script(db, e,
			      "CREATE TEMP TABLE new_entries (seq bigint, account text COLLATE \"C\","
			      " customer text COLLATE \"C\", program text COLLATE \"C\", origin text, kind text,"
			      " entry_date date, jdate date, document text COLLATE \"C\", pending bigint,"
			      " usable bigint, expires_on date, note text, tier text,"
			      " tier_rate_ppm bigint, tier_factor_cents bigint) ON COMMIT DROP;"
			      "CREATE TEMP TABLE new_lines (program text COLLATE \"C\", jdate date,"
			      " account text, debit bigint, credit bigint, role text) ON COMMIT DROP");
}

void posting_free(struct posting *p)
{
	for (size_t i = 0; i < p->nprogs; i++)
		free(p->progs[i].tiers);
	free(p->progs);
	sbuf_free(&p->copy);
	p->progs = NULL;
	p->nprogs = 0;
}

static void flush(struct posting *c)
{
	if (c->failed || !c->copy.len)
		return;
	if (c->spool) {
		if (fwrite(c->copy.p, 1, c->copy.len, c->spool) != c->copy.len) {
			err_set(c->e, EXIT_FAIL, "cannot write the entries to a temporary file "
				"(is the temporary folder full?)");
			c->failed = 1;
		}
	} else if (db_copy_put(c->db, c->e, c->copy.p, c->copy.len)) {
		c->failed = 1;
	}
	sbuf_reset(&c->copy);
}

void posting_spool_begin(struct posting *p, FILE *spool, long long run_id)
{
	p->spool = spool;
	p->spool_run = run_id;
	p->seq = 0;
	p->seq_account[0] = '\0';
	p->failed = 0;
	sbuf_reset(&p->copy);
}

int posting_spool_end(struct posting *p)
{
	flush(p);
	p->spool_entries = 0;
	if (p->failed)
		return p->e->exit;
	return db_copy_file(p->db, p->e,
			    "COPY run_entries (run_id, seq, account, customer, program, origin, kind,"
			    " entry_date, jdate, document, pending, usable, expires_on, note, tier,"
			    " tier_rate_ppm, tier_factor_cents) FROM STDIN", p->spool, "the entries");
}

int posting_begin_run(struct posting *p, PGconn *db, struct err *e, long long run_id)
{
	char id[32];
	const char *q[1] = {id};
	PGresult *r;
	int rc;

	if ((rc = posting_load(p, db, e)))
		return rc;
	snprintf(id, sizeof(id), "%lld", run_id);
	/* the run's entries where the journals and the ledger read them,
	 * without a copy: a view of run_entries, for this transaction */
	if ((rc = db_exec(db, e, "SELECT set_config('accrue.run_id', $1, true)", 1, q)) ||
	    (rc = db_exec_script(db, e,
				 "CREATE OR REPLACE TEMP VIEW new_entries AS"
				 " SELECT seq, account, customer, program, origin, kind, entry_date, jdate,"
				 "        document, pending, usable, expires_on, note, tier, tier_rate_ppm,"
				 "        tier_factor_cents"
				 "   FROM run_entries"
				 "  WHERE run_id = current_setting('accrue.run_id')::bigint;"
				 "CREATE TEMP TABLE new_lines (program text COLLATE \"C\", jdate date,"
				 " account text, debit bigint, credit bigint, role text) ON COMMIT DROP")))
		return rc;
	enum { K_KIND, K_ENTRIES, K_PENDING, K_USABLE };
	r = db_query(p->db, p->e,
		     "SELECT kind, count(*), sum(pending)::bigint, sum(usable)::bigint"
		     "  FROM new_entries GROUP BY kind", 0, NULL);
	if (!r)
		return p->e->exit;
	for (int i = 0; i < PQntuples(r); i++) {
		int k = acct_kind_parse(PQgetvalue(r, i, K_KIND));

		if (k < 0 || k > K_REVERSE_EXPIRY)
			continue;
		p->kinds[k].entries = db_int64(PQgetvalue(r, i, K_ENTRIES));
		p->kinds[k].pending = db_int64(PQgetvalue(r, i, K_PENDING));
		p->kinds[k].usable = db_int64(PQgetvalue(r, i, K_USABLE));
	}
	PQclear(r);
	return 0;
}

int posting_stage_begin(struct posting *p)
{
	int rc = db_copy_begin(p->db, p->e,
			       "COPY new_entries (seq, account, customer, program, origin, kind, entry_date, jdate,"
			       " document, pending, usable, expires_on, note, tier, tier_rate_ppm,"
			       " tier_factor_cents) FROM STDIN");

	p->copying = rc == 0;
	return rc;
}

int posting_entry(struct posting *c, const char *account, const char *program,
		  enum posting_origin origin, const struct acct_entry *e)
{
	static const char *const origins[] = {"close", "manual", "month_end"};
	char d[DATE_FMT_SIZE], j[DATE_FMT_SIZE], x[DATE_FMT_SIZE];
	date_t jdate = c->has_open_from && e->date < c->open_from ? c->open_from : e->date;
	struct sbuf *b = &c->copy;
	int ok;

	if (c->failed)
		return c->e->exit;
	date_format(e->date, d);
	date_format(jdate, j);
	ok = 1;
	if (c->spool) {
		/* a run's entries: numbered within their account */
		if (strcmp(c->seq_account, account) != 0) {
			text_copy(c->seq_account, sizeof(c->seq_account), account);
			c->seq = 0;
		}
		ok = sbuf_addf(b, "%lld\t", c->spool_run) == 0;
		c->spool_entries++;
	}
	ok = ok && sbuf_addf(b, "%lld\t", ++c->seq) == 0;
	ok = ok && db_copy_field(b, account) == 0 && sbuf_addc(b, '\t') == 0;
	ok = ok && db_copy_field(b, e->customer) == 0 && sbuf_addc(b, '\t') == 0;
	ok = ok && db_copy_field(b, program) == 0;
	ok = ok && sbuf_addf(b, "\t%s\t%s\t%s\t%s\t", origins[origin],
			     acct_kind_names[e->kind], d, j) == 0;
	ok = ok && db_copy_field(b, e->document) == 0;
	ok = ok && sbuf_addf(b, "\t%lld\t%lld\t%s\t", (long long)e->pending, (long long)e->usable,
			     e->has_expires ? date_format(e->expires_on, x) : "\\N") == 0;
	ok = ok && db_copy_field(b, e->note) == 0 && sbuf_addc(b, '\t') == 0;
	ok = ok && db_copy_field(b, e->tier[0] ? e->tier : NULL) == 0;
	if (e->tier[0])
		ok = ok && sbuf_addf(b, "\t%lld\t%lld\n", (long long)e->tier_rate_ppm,
				     (long long)e->tier_factor_cents) == 0;
	else
		ok = ok && sbuf_adds(b, "\t\\N\t\\N\n") == 0;
	if (!ok) {
		c->failed = 1;
		return err_set(c->e, EXIT_FAIL, "out of memory staging entries");
	}
	c->kinds[e->kind].entries++;
	c->kinds[e->kind].pending += e->pending;
	c->kinds[e->kind].usable += e->usable;
	if (b->len >= COPY_CHUNK)
		flush(c);
	return c->failed ? c->e->exit : 0;
}

int posting_stage_end(struct posting *p, int abort)
{
	struct err ignored;

	if (!p->copying)
		return 0;
	p->copying = 0;
	if (!abort)
		flush(p);
	if (abort || p->failed) {
		db_copy_end(p->db, &ignored, "staging abandoned");
		return p->failed ? p->e->exit : 0;
	}
	return db_copy_end(p->db, p->e, NULL);
}

long long posting_count(const struct posting *p)
{
	long long n = 0;

	for (int k = 0; k <= K_REVERSE_EXPIRY; k++)
		n += p->kinds[k].entries;
	return n;
}

void posting_print_kinds(const struct posting *p)
{
	char a[MONEY_FMT_SIZE], b[MONEY_FMT_SIZE];

	for (int k = 0; k <= K_REVERSE_EXPIRY; k++) {
		if (!p->kinds[k].entries)
			continue;
		printf("  %-15s %8lld  pending %14s  usable %14s\n", acct_kind_names[k],
		       p->kinds[k].entries, decimal_format(p->kinds[k].pending, 2, a),
		       decimal_format(p->kinds[k].usable, 2, b));
	}
}

/* One journal per program and date: lines per GL account, from the units
 * each role moved (core/gl), into the staging table new_lines. */
static int make_journal_lines(struct posting *c, long long *journals)
{
	enum { J_PROGRAM, J_DATE, J_KIND, J_UNITS };
	PGresult *r = db_query(c->db, c->e,
			       "SELECT program, jdate::text, kind, sum(pending + usable)::text"
			       "  FROM new_entries GROUP BY program, jdate, kind ORDER BY program, jdate",
			       0, NULL);
	struct sbuf b;
	int rc = 0, n;

	if (!r)
		return c->e->exit;
	n = PQntuples(r);
	sbuf_init(&b, (size_t)1 << 30);
	for (int i = 0; i < n && !rc;) {
		const char *program = PQgetvalue(r, i, J_PROGRAM), *jdate = PQgetvalue(r, i, J_DATE);
		struct prog *p = (struct prog *)posting_prog(c, program);
		int64_t delta[GL_ROLES] = {0}, cents[GL_ROLES];
		int k = i;

		for (; k < n && !strcmp(PQgetvalue(r, k, J_PROGRAM), program) &&
		       !strcmp(PQgetvalue(r, k, J_DATE), jdate); k++) {
			int role = gl_counter_role(acct_kind_parse(PQgetvalue(r, k, J_KIND)));
			int64_t u = db_int64(PQgetvalue(r, k, J_UNITS));

			if (role < 0)
				continue;
			delta[role] += u;
			delta[GL_LIABILITY] -= u;
		}
		(*journals)++;
		if (p) {
			gl_journal_cents(&p->gl, delta, p->p.unit_value_cents, cents);
			/* lines summed per account code */
			for (int x = 0; x < GL_ROLES; x++) {
				int64_t sum = 0;
				int first = 1, mixed = 0;

				for (int y = 0; y < x; y++)
					if (!strcmp(p->account[y], p->account[x]))
						first = 0;
				if (!first)
					continue;
				for (int y = x; y < GL_ROLES; y++) {
					if (strcmp(p->account[y], p->account[x]))
						continue;
					sum += cents[y];
					if (y != x && cents[y])
						mixed = 1;
				}
				if (!sum)
					continue;
				if (db_copy_field(&b, program) || sbuf_addf(&b, "\t%s\t", jdate) ||
				    db_copy_field(&b, p->account[x]) ||
				    sbuf_addf(&b, "\t%lld\t%lld\t%s\n", (long long)(sum > 0 ? sum : 0),
					      (long long)(sum < 0 ? -sum : 0),
					      mixed ? "\\N" : gl_role_names[x]))
					rc = err_set(c->e, EXIT_FAIL, "the GL lines take more than %zu bytes",
						     b.max);
			}
		} else {
			rc = err_set(c->e, EXIT_FAIL, "internal: entries of program %.100s, which is "
				     "not loaded", program);
		}
		i = k;
	}
	PQclear(r);
	if (b.len && !rc) {
		if ((rc = db_copy_begin(c->db, c->e,
					"COPY new_lines (program, jdate, account, debit, credit, role)"
					" FROM STDIN")) == 0) {
			rc = db_copy_put(c->db, c->e, b.p, b.len);
			if (rc) {
				struct err ignored;
				db_copy_end(c->db, &ignored, "failed");
			} else {
				rc = db_copy_end(c->db, c->e, NULL);
			}
		}
	}
	sbuf_free(&b);
	return rc;
}

static int post_everything(struct posting *c, long long run_id, const char *memo_text)
{
	char id[32];
	const char *p[2] = {id, memo_text};
	int rc;

	snprintf(id, sizeof(id), "%lld", run_id);
	if ((rc = db_exec(c->db, c->e,
			  "INSERT INTO gl_journals (run_id, program, journal_date, memo)"
			  " SELECT $1::bigint, program, jdate, $2"
			  "   FROM (SELECT DISTINCT program, jdate FROM new_entries) j"
			  "  ORDER BY program, jdate", 2, p)))
		return rc;
	if ((rc = db_exec(c->db, c->e,
			  "INSERT INTO gl_lines (journal_id, account, debit_cents, credit_cents, memo, role)"
			  " SELECT j.journal_id, n.account, n.debit, n.credit, j.memo, n.role"
			  "   FROM new_lines n JOIN gl_journals j ON j.run_id = $1::bigint"
			  "    AND j.program = n.program AND j.journal_date = n.jdate"
			  "  ORDER BY j.journal_id, n.account", 1, p)))
		return rc;
	if ((rc = db_exec(c->db, c->e,
			  "INSERT INTO ledger_totals AS t (program, kind, units)"
			  " SELECT program, kind, sum(pending + usable) FROM new_entries"
			  "  GROUP BY program, kind"
			  " ON CONFLICT (program, kind) DO UPDATE SET units = t.units + EXCLUDED.units",
			  0, NULL)))
		return rc;
	return db_exec(c->db, c->e,
		       "INSERT INTO ledger (account, customer, program, kind, entry_date, document,"
		       "  pending_units, usable_units, expires_on, note, tier, tier_rate_ppm,"
		       "  tier_factor_cents, origin, run_id, journal_id)"
		       " SELECT e.account, e.customer, e.program, e.kind, e.entry_date, e.document,"
		       "        e.pending, e.usable, e.expires_on, e.note, e.tier, e.tier_rate_ppm,"
		       "        e.tier_factor_cents, e.origin, $1::bigint, j.journal_id"
		       "   FROM new_entries e JOIN gl_journals j ON j.run_id = $1::bigint"
		       "    AND j.program = e.program AND j.journal_date = e.jdate"
		       /* each account's as made; the accounts in order, so that
			* the ledger is the same for any number of workers */
		       "  ORDER BY e.account, e.seq", 1, p);
}

int posting_finish(struct posting *p, long long run_id, const char *memo)
{
	int rc = make_journal_lines(p, &p->journals);

	if (rc || !run_id)
		return rc;
	return post_everything(p, run_id, memo);
}
