// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Known core issues found by the fuzzers and not fixed yet: each test shows
 * the issue and FAILS today.  The suite is registered with should_fail
 * (meson reports EXPECTEDFAIL); when a fix lands the test passes, meson
 * reports an unexpected pass, and the test moves to
 * test_fuzz_regressions.c.  See fuzz/known-issues/README.
 */
#include "vtest.h"

/*
 * A tick that falls due while the timer still holds a pending tick of
 * another vector merges into it (queue_ticks() has one pending slot).  A
 * LAPIC has one IRR bit per vector: both interrupts must arrive.
 *
 * Reached here by a host that saves right after a guest LVT write that
 * changed the vector (the pending tick keeps the old one), restores, and
 * resumes the vCPU after the next period boundary.
 */
static void tick_of_another_vector_merges_into_pending(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_timer_state s;
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20040) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	/* The guest changes the vector; the 0x40 tick is now pending. */
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20050) &
		    VAPIC_TIMER_DUE);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_DUE);
	assert_int_equal(vapic_timer_restore(&v->lapic.timer, &s), 0);
	/* Resumed after the next boundary (a 0x50 tick). */
	assert_int_equal(vclock_run_until(vm, t0 + 420000), 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 1);
	vclock_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tick_of_another_vector_merges_into_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
