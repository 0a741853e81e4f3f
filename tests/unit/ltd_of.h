/*
 * ltd_of: the life-to-date figure of a ledger kind as SQL's ledger_ltd
 * (sql/005_rules.sql) sends it with each line of a statement — the
 * expectation of the tests and the bench that build statements without a
 * database (tests/unit/test_statement.c, tests/bench/statements.c).
 */
#ifndef ACCRUE_TEST_LTD_OF_H
#define ACCRUE_TEST_LTD_OF_H

#include <string.h>

static inline const char *ltd_of(const char *kind)
{
	if (!strcmp(kind, "earn") || !strcmp(kind, "accrual") || !strcmp(kind, "adjust"))
		return "earned";
	if (!strcmp(kind, "expire") || !strcmp(kind, "reverse_expiry"))
		return "expired";
	if (!strcmp(kind, "redeem"))
		return "used";
	return NULL;
}

#endif
