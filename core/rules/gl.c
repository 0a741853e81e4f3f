#include "gl.h"

#include "account.h"
#include "money.h"

const char *const gl_role_names[GL_ROLES] = {"expense", "liability", "forfeit", "receivable"};

int gl_counter_role(int kind)
{
	switch (kind) {
	case K_EARN:
	case K_ACCRUAL:
	case K_ADJUST:
		return GL_EXPENSE;
	case K_EXPIRE:
	case K_REVERSE_EXPIRY:
		return GL_FORFEIT;
	case K_REDEEM:
		return GL_RECEIVABLE;
	}
	return -1;
}

void gl_journal_cents(struct gl_running *run, const int64_t delta[GL_ROLES],
		      int64_t unit_value_cents, int64_t cents[GL_ROLES])
{
	int64_t others = 0;

	for (int r = 0; r < GL_ROLES; r++) {
		int64_t before = units_value_cents(run->units[r], unit_value_cents);

		run->units[r] += delta[r];
		if (r == GL_EXPENSE)
			continue;
		cents[r] = units_value_cents(run->units[r], unit_value_cents) - before;
		others += cents[r];
	}
	cents[GL_EXPENSE] = -others;
}
