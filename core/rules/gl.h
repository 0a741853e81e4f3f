/*
 * gl: the general-ledger posting rules (SPEC §7), pure.
 *
 * Every movement of units u (the change of pending + usable) posts −u to the
 * liability role and +u to a counter role, debits positive:
 *
 *   earn, accrual, manual add (either sign)   expense     / liability
 *   expiry of any kind, reverse expiry        forfeit     / liability
 *   redemption                                receivable  / liability
 *
 * Vesting moves units from pending to usable: u = 0, nothing to post.
 * Amounts never drift by rounding: per program and role, a journal posts
 * round(value of the running units after) − round(value before), so the
 * liability always equals the rounded value of all pending plus usable
 * units.  The expense role takes whatever cent the other roles' rounding
 * leaves, so every journal balances.
 */
#ifndef ACCRUE_GL_H
#define ACCRUE_GL_H

#include <stdint.h>

enum gl_role { GL_EXPENSE, GL_LIABILITY, GL_FORFEIT, GL_RECEIVABLE, GL_ROLES };
extern const char *const gl_role_names[GL_ROLES];

/* The counter role of a ledger kind (enum acct_kind), or -1 for none (vest). */
int gl_counter_role(int kind);

/* Running units of one program, per role (debits positive). */
struct gl_running {
	int64_t units[GL_ROLES];
};

/* Post one journal: `delta` holds the journal's units per role (liability
 * = −Σ of the others); fills cents[] (debit positive) and advances run. */
void gl_journal_cents(struct gl_running *run, const int64_t delta[GL_ROLES],
		      int64_t unit_value_cents, int64_t cents[GL_ROLES]);

#endif
