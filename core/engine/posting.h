/*
 * posting: how every job that moves units writes them (SPEC §7) — the
 * daily close, the month-end, manual adjustments.
 *
 * Within the caller's transaction: the programs are loaded with their GL
 * accounts and the running units of every GL role so far; new ledger
 * entries stream with COPY into the staging table new_entries; then
 * posting_finish makes one journal per program and journal date (never a
 * date inside a closed period), its lines per GL account from core/gl, and
 * inserts the entries into the ledger with their journal, in posting order.
 */
#ifndef ACCRUE_POSTING_H
#define ACCRUE_POSTING_H

#include <stdio.h>

#include <libpq-fe.h>

#include "account.h"
#include "date.h"
#include "err.h"
#include "gl.h"
#include "sbuf.h"
#include "tiers.h"

struct prog {
	struct acct_program p;
	char account[GL_ROLES][ACCT_KEY];
	struct tier *tiers;      /* the program's own tier set */
	size_t ntiers, captiers;
	struct gl_running gl;
};

struct kind_count {
	long long entries;
	int64_t pending, usable;
};

enum posting_origin { ORIGIN_CLOSE, ORIGIN_MANUAL, ORIGIN_MONTH_END };

struct posting {
	PGconn *db;
	struct err *e;
	struct prog *progs;
	size_t nprogs;
	int has_open_from;
	date_t open_from;        /* first day of the first open period */
	struct sbuf copy;
	FILE *spool;             /* posting_spool_begin: entries go here */
	long long spool_run, spool_entries;
	char seq_account[ACCT_KEY];
	long long seq;
	int copying, failed;
	long long journals;
	struct kind_count kinds[K_REVERSE_EXPIRY + 1];
};

/* Load programs, tiers, GL running units and the first open period; create
 * the staging tables.  Call inside the transaction. */
int posting_begin(struct posting *p, PGconn *db, struct err *e);
/* The same without the staging tables (a chunk of a close).  Either may be
 * called again on the same struct: what it held is freed first. */
int posting_load(struct posting *p, PGconn *db, struct err *e);

/* A chunk of a close: posting_entry writes its entries to the temporary
 * file spool, numbered within their account; posting_spool_end copies them
 * into run_entries under run_id. */
void posting_spool_begin(struct posting *p, FILE *spool, long long run_id);
int posting_spool_end(struct posting *p);

/* The end of a close, in its transaction: posting_load, and the entries of
 * run_id's chunks where posting_finish reads them (a view of run_entries),
 * counted by kind. */
int posting_begin_run(struct posting *p, PGconn *db, struct err *e, long long run_id);
void posting_free(struct posting *p);

const struct prog *posting_prog(const struct posting *p, const char *code);

/* A tier from the text of its columns tier, category, lower_cents,
 * upper_cents, rate_ppm, factor_cents (NULL for SQL NULL), as the close's
 * stream and the programs' query send them. */
/* The fields of a tier row, in the order of the SELECTs that give them
 * (posting.c's load of the programs' tiers, close.c's HEAD_AND_TIERS):
 * tier, category, lower_cents, upper_cents, rate_ppm, factor_cents. */
enum { TIER_F_NAME, TIER_F_CATEGORY, TIER_F_LOWER, TIER_F_UPPER, TIER_F_RATE, TIER_F_FACTOR,
       POSTING_TIER_FIELDS };
void posting_tier(struct tier *t, char *const f[POSTING_TIER_FIELDS]);

/* Stage entries: posting_stage_begin, posting_entry..., posting_stage_end. */
int posting_stage_begin(struct posting *p);
int posting_entry(struct posting *p, const char *account, const char *program,
		  enum posting_origin origin, const struct acct_entry *e);
int posting_stage_end(struct posting *p, int abort);

/* Journals, GL lines and ledger rows for everything staged.  With run_id 0
 * (a dry run) only the journals are counted. */
int posting_finish(struct posting *p, long long run_id, const char *memo);

/* Print the entries staged, by kind, on stdout. */
void posting_print_kinds(const struct posting *p);

long long posting_count(const struct posting *p);

#endif
