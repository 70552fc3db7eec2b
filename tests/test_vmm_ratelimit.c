// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the example VMM's log rate limit (examples/vmm/ratelimit.h):
 * libvapic's warnings reach stderr at most @burst at once, then one per
 * period; the rest are counted and announced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../examples/vmm/ratelimit.h"

#define S 1000000000ULL

static void burst_passes_then_holds(void **state)
{
	struct ratelimit rl;
	uint64_t held = 99;
	int i;

	(void)state;
	ratelimit_init(&rl, 3, S);
	for (i = 0; i < 3; i++) {
		assert_true(ratelimit_allow(&rl, 5 * S, &held));
		assert_int_equal(held, 0);
	}
	assert_false(ratelimit_allow(&rl, 5 * S, &held));
	assert_false(ratelimit_allow(&rl, 5 * S + S - 1, &held));
	assert_int_equal(rl.held, 2);
}

static void one_per_period_and_held_count_reported(void **state)
{
	struct ratelimit rl;
	uint64_t held;
	int i;

	(void)state;
	ratelimit_init(&rl, 2, S);
	assert_true(ratelimit_allow(&rl, 0, &held));
	assert_true(ratelimit_allow(&rl, 0, &held));
	for (i = 0; i < 7; i++)
		assert_false(ratelimit_allow(&rl, S / 2, &held));
	assert_true(ratelimit_allow(&rl, S, &held));
	assert_int_equal(held, 7);
	assert_false(ratelimit_allow(&rl, S + 1, &held));
	assert_true(ratelimit_allow(&rl, 2 * S, &held));
	assert_int_equal(held, 1);
}

static void long_idle_refills_to_burst_only(void **state)
{
	struct ratelimit rl;
	uint64_t held;
	int i;

	(void)state;
	ratelimit_init(&rl, 4, S);
	for (i = 0; i < 4; i++)
		assert_true(ratelimit_allow(&rl, 0, &held));
	for (i = 0; i < 4; i++)
		assert_true(ratelimit_allow(&rl, 1000 * S, &held));
	assert_false(ratelimit_allow(&rl, 1000 * S, &held));
}

static void partial_period_carries_over(void **state)
{
	struct ratelimit rl;
	uint64_t held;

	(void)state;
	ratelimit_init(&rl, 1, S);
	assert_true(ratelimit_allow(&rl, 0, &held));
	assert_false(ratelimit_allow(&rl, S / 2 + S / 4, &held));
	/* the token of [0, S) counts from 0, not from the held line */
	assert_true(ratelimit_allow(&rl, S, &held));
	assert_int_equal(held, 1);
}

static void clock_going_back_refills_nothing(void **state)
{
	struct ratelimit rl;
	uint64_t held;

	(void)state;
	ratelimit_init(&rl, 1, S);
	assert_true(ratelimit_allow(&rl, 10 * S, &held));
	assert_false(ratelimit_allow(&rl, 3 * S, &held));
	assert_false(ratelimit_allow(&rl, 10 * S + S / 2, &held));
	assert_true(ratelimit_allow(&rl, 11 * S, &held));
	assert_int_equal(held, 2);
}

static void zero_arguments_mean_one(void **state)
{
	struct ratelimit rl;
	uint64_t held;

	(void)state;
	ratelimit_init(&rl, 0, 0);
	assert_true(ratelimit_allow(&rl, 7, &held));
	assert_false(ratelimit_allow(&rl, 7, &held));
	assert_true(ratelimit_allow(&rl, 8, &held));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_passes_then_holds),
		cmocka_unit_test(one_per_period_and_held_count_reported),
		cmocka_unit_test(long_idle_refills_to_burst_only),
		cmocka_unit_test(partial_period_carries_over),
		cmocka_unit_test(clock_going_back_refills_nothing),
		cmocka_unit_test(zero_arguments_mean_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
