/*
 * Unit tests of core/gl: the posting rules of SPEC §7.  Each ledger kind's
 * counter role, balanced journals (Σ cents over the roles = 0), and no drift:
 * after any sequence of journals the liability holds exactly the rounded
 * money value (half away from zero) of its running units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"
#include "gl.h"
#include "money.h"

#define assert_i64(a, b) assert_int_equal((intmax_t)(a), (intmax_t)(b))

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/* A signed amount in [-span, span]. */
static int64_t rnd(int64_t span)
{
	return (int64_t)(rng() % (uint64_t)(2 * span + 1)) - span;
}

/* round(units × unit_value) half away from zero, written out independently
 * of core/money: units are hundredths, so value = units × uv / 100 cents. */
static int64_t ref_value(int64_t units, int64_t uv)
{
	__int128 p = (__int128)units * uv;
	__int128 a = p < 0 ? -p : p;
	__int128 q = (a + 50) / 100;

	return (int64_t)(p < 0 ? -q : q);
}

static void test_counter_roles(void **state)
{
	(void)state;
	assert_int_equal(gl_counter_role(K_EARN), GL_EXPENSE);
	assert_int_equal(gl_counter_role(K_ACCRUAL), GL_EXPENSE);
	assert_int_equal(gl_counter_role(K_ADJUST), GL_EXPENSE);
	assert_int_equal(gl_counter_role(K_EXPIRE), GL_FORFEIT);
	assert_int_equal(gl_counter_role(K_REVERSE_EXPIRY), GL_FORFEIT);
	assert_int_equal(gl_counter_role(K_REDEEM), GL_RECEIVABLE);
	/* Vesting moves pending to usable: no liability change, no journal. */
	assert_int_equal(gl_counter_role(K_VEST), -1);
	assert_int_equal(gl_counter_role(99), -1);
	assert_string_equal(gl_role_names[GL_EXPENSE], "expense");
	assert_string_equal(gl_role_names[GL_LIABILITY], "liability");
	assert_string_equal(gl_role_names[GL_FORFEIT], "forfeit");
	assert_string_equal(gl_role_names[GL_RECEIVABLE], "receivable");
}

/* Post one movement of u units of kind k as a journal: −u to the liability,
 * +u to the counter role (SPEC §7's table, debits positive). */
static void movement(int64_t delta[GL_ROLES], int kind, int64_t u)
{
	memset(delta, 0, sizeof(int64_t) * GL_ROLES);
	delta[gl_counter_role(kind)] += u;
	delta[GL_LIABILITY] -= u;
}

static void test_directions(void **state)
{
	struct gl_running run = {{0}};
	int64_t delta[GL_ROLES], cents[GL_ROLES];

	(void)state;
	/* earn 12.34 dollars: debit expense 12.34, credit liability 12.34 */
	movement(delta, K_EARN, 1234);
	gl_journal_cents(&run, delta, 100, cents);
	assert_i64(cents[GL_EXPENSE], 1234);
	assert_i64(cents[GL_LIABILITY], -1234);
	assert_i64(cents[GL_FORFEIT], 0);
	assert_i64(cents[GL_RECEIVABLE], 0);
	/* clawback of 2.00: debit liability, credit expense */
	movement(delta, K_EARN, -200);
	gl_journal_cents(&run, delta, 100, cents);
	assert_i64(cents[GL_EXPENSE], -200);
	assert_i64(cents[GL_LIABILITY], 200);
	/* expiry of 1.00: debit liability, credit forfeit (u = −100 units) */
	movement(delta, K_EXPIRE, -100);
	gl_journal_cents(&run, delta, 100, cents);
	assert_i64(cents[GL_LIABILITY], 100);
	assert_i64(cents[GL_FORFEIT], -100);
	assert_i64(cents[GL_EXPENSE], 0);
	/* reverse expiry: debit forfeit, credit liability */
	movement(delta, K_REVERSE_EXPIRY, 100);
	gl_journal_cents(&run, delta, 100, cents);
	assert_i64(cents[GL_FORFEIT], 100);
	assert_i64(cents[GL_LIABILITY], -100);
	/* redemption of 5.00: debit liability, credit receivable */
	movement(delta, K_REDEEM, -500);
	gl_journal_cents(&run, delta, 100, cents);
	assert_i64(cents[GL_LIABILITY], 500);
	assert_i64(cents[GL_RECEIVABLE], -500);
	assert_i64(cents[GL_EXPENSE], 0);
	/* running units: 12.34 − 2.00 − 1.00 + 1.00 − 5.00 = 5.34 owed */
	assert_i64(run.units[GL_LIABILITY], -534);
	assert_i64(run.units[GL_EXPENSE], 1034);
	assert_i64(run.units[GL_FORFEIT], 0);
	assert_i64(run.units[GL_RECEIVABLE], -500);
}

/* Points worth $0.01: 0.50 points is half a cent, rounded away from zero. */
static void test_half_cents(void **state)
{
	struct gl_running run = {{0}};
	int64_t delta[GL_ROLES], cents[GL_ROLES];

	(void)state;
	/* earn 0.50 points: liability −0.5¢ → −1¢ */
	movement(delta, K_EARN, 50);
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], -1);
	assert_i64(cents[GL_EXPENSE], 1);
	/* another 0.50: −1.00 points is exactly −1¢: nothing more to post */
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], 0);
	assert_i64(cents[GL_EXPENSE], 0);
	/* 0.49 more: −1.49 points → −1¢ still */
	movement(delta, K_EARN, 49);
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], 0);
	/* 0.01 more: −1.50 → −2¢ */
	movement(delta, K_EARN, 1);
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], -1);
	assert_i64(cents[GL_EXPENSE], 1);
	/* redeem 1.50: liability back to 0; receivable −1.5¢ → −2¢ */
	movement(delta, K_REDEEM, -150);
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], 2);
	assert_i64(cents[GL_RECEIVABLE], -2);
	assert_i64(cents[GL_EXPENSE], 0);
	/* a clawback beyond the balance: liability +0.50 points = +1¢ (away
	 * from zero on the positive side too) */
	movement(delta, K_EARN, -50);
	gl_journal_cents(&run, delta, 1, cents);
	assert_i64(cents[GL_LIABILITY], 1);
	assert_i64(cents[GL_EXPENSE], -1);
	assert_i64(run.units[GL_LIABILITY], 50);
}

/* Many random journals: each balances, and the liability (and forfeit and
 * receivable) never drift from the rounded value of their running units. */
static void random_journals(int64_t uv, uint64_t seed, int64_t span)
{
	struct gl_running run = {{0}};
	int64_t total[GL_ROLES] = {0};

	rng_state = seed;
	for (int j = 0; j < 20000; j++) {
		int64_t delta[GL_ROLES] = {0}, cents[GL_ROLES];
		int64_t sum = 0;
		int moves = 1 + (int)(rng() % 4);

		/* A journal sums several movements of random kinds and signs. */
		for (int m = 0; m < moves; m++) {
			static const int kinds[] = {K_EARN, K_ACCRUAL, K_ADJUST, K_EXPIRE,
						    K_REVERSE_EXPIRY, K_REDEEM};
			int k = kinds[rng() % 6];
			int64_t u = rnd(span);

			/* Half a cent now and then, at any unit value. */
			if (rng() % 5 == 0)
				u = (u / 100) * 100 + (u < 0 ? -50 : 50);
			delta[gl_counter_role(k)] += u;
			delta[GL_LIABILITY] -= u;
		}
		gl_journal_cents(&run, delta, uv, cents);
		for (int r = 0; r < GL_ROLES; r++) {
			sum += cents[r];
			total[r] += cents[r];
		}
		if (sum != 0)
			fail_msg("journal %d (unit value %lld) does not balance: %lld", j,
				 (long long)uv, (long long)sum);
		for (int r = GL_LIABILITY; r < GL_ROLES; r++) {
			if (total[r] != ref_value(run.units[r], uv))
				fail_msg("journal %d: %s holds %lld cents for %lld units at "
					 "%lld: drift", j, gl_role_names[r], (long long)total[r],
					 (long long)run.units[r], (long long)uv);
		}
		/* the liability also matches core/money's rounding */
		assert_i64(total[GL_LIABILITY],
			   units_value_cents(run.units[GL_LIABILITY], uv));
	}
}

static void test_random_points(void **state)
{
	(void)state;
	random_journals(1, UINT64_C(0x9E3779B97F4A7C15), 100000);
	random_journals(1, UINT64_C(12345), 499);
}

static void test_random_dollars(void **state)
{
	(void)state;
	random_journals(100, UINT64_C(0xDEADBEEFCAFE), 1000000);
	random_journals(100, UINT64_C(777), 999);
}

static void test_random_odd_unit_values(void **state)
{
	(void)state;
	random_journals(3, UINT64_C(42), 100000);
	random_journals(125, UINT64_C(43), 100000);
}

/* A fixed sequence with negative movements and half cents: the liability's
 * cumulative cents are round(value of cumulative units) after every step. */
static void test_no_drift_sequence(void **state)
{
	static const struct {
		int kind;
		int64_t units;
	} seq[] = {
		{K_EARN, 50},     {K_EARN, 50},     {K_EARN, 150},   {K_EXPIRE, -50},
		{K_REDEEM, -150}, {K_EARN, -150},   {K_ADJUST, -50}, {K_ADJUST, -50},
		{K_REVERSE_EXPIRY, 50}, {K_ACCRUAL, 12345}, {K_REDEEM, -12395},
		{K_EARN, 1},      {K_EARN, 49},     {K_EXPIRE, -99},
	};
	struct gl_running run = {{0}};
	int64_t liab_units = 0, liab_cents = 0, exp_cents = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		int64_t delta[GL_ROLES], cents[GL_ROLES];

		movement(delta, seq[i].kind, seq[i].units);
		gl_journal_cents(&run, delta, 1, cents);
		liab_units -= seq[i].units;
		liab_cents += cents[GL_LIABILITY];
		exp_cents += cents[GL_EXPENSE];
		assert_i64(cents[GL_EXPENSE] + cents[GL_LIABILITY] + cents[GL_FORFEIT] +
				   cents[GL_RECEIVABLE], 0);
		assert_i64(run.units[GL_LIABILITY], liab_units);
		assert_i64(liab_cents, ref_value(liab_units, 1));
	}
	/* The movements sum to −2.49 points: the liability has a debit balance
	 * of 2.49 points, 2¢. */
	assert_i64(liab_units, 249);
	assert_i64(liab_cents, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_roles),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_half_cents),
		cmocka_unit_test(test_random_points),
		cmocka_unit_test(test_random_dollars),
		cmocka_unit_test(test_random_odd_unit_values),
		cmocka_unit_test(test_no_drift_sequence),
	};

	return cmocka_run_group_tests_name("gl", tests, NULL, NULL);
}
