// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of libvapic/haltpoll.c: KVM's halt-polling policy bit-exact on
 * hand-computed sequences (Linux 6.1 virt/kvm/kvm_main.c kvm_vcpu_halt()),
 * the guest cpuidle-haltpoll governor's variant, the ADAPTIVE policy
 * (timer exactness, predictor, budget), the KVM stats, and every error.
 *
 * Time is virtual: a halt is described by when its wake-up event comes
 * (ev_ns after the halt began) and what a blocked wake-up costs; the helper
 * plays the host's poll loop against it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vapic/errors.h>
#include <vapic/haltpoll.h>
#include <vapic/timer.h>

static uint64_t now; /* virtual host clock, ns */

/*
 * One halt on @hp whose event arrives @ev_ns after it begins.  If the
 * window covers it, the poll sees it (poll end = end = start + ev_ns, as
 * KVM's "goto out" path); otherwise the host polls the whole window,
 * blocks, and is runnable @wake_ns after the event.  @flags are added
 * (VAPIC_HALT_INVALID, VAPIC_HALT_TIMER).  The vCPU then runs 1 us.
 * Returns the window the policy chose.
 */
static uint64_t halt_timer(struct vapic_haltpoll *hp, uint64_t ev_ns,
			   uint64_t wake_ns, uint32_t flags, uint64_t timer_ns)
{
	uint64_t start = now, w = 12345, poll_end, end;

	assert_int_equal(vapic_haltpoll_begin(hp, start, timer_ns, &w), 0);
	if (w && ev_ns <= w) {
		poll_end = end = start + ev_ns;
	} else {
		poll_end = start + w;
		end = start + ev_ns + wake_ns;
		flags |= VAPIC_HALT_WAITED;
	}
	assert_int_equal(vapic_haltpoll_end(hp, poll_end, end, flags), 0);
	now = end + 1000;
	return w;
}

static uint64_t halt(struct vapic_haltpoll *hp, uint64_t ev_ns)
{
	return halt_timer(hp, ev_ns, 0, 0, VAPIC_HALTPOLL_NO_TIMER);
}

static void init_policy(struct vapic_haltpoll *hp, uint32_t policy)
{
	struct vapic_haltpoll_config c;

	assert_int_equal(vapic_haltpoll_config_default(&c, policy), 0);
	assert_int_equal(vapic_haltpoll_init(hp, &c), 0);
	now = 1000000;
}

static void init_kvm(struct vapic_haltpoll *hp, uint32_t max, uint32_t grow,
		     uint32_t start, uint32_t shrink)
{
	struct vapic_haltpoll_config c;

	assert_int_equal(vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_KVM),
			 0);
	c.max_ns = max;
	c.grow = grow;
	c.grow_start_ns = start;
	c.shrink = shrink;
	assert_int_equal(vapic_haltpoll_init(hp, &c), 0);
	now = 1000000;
}

/*
 * Run @n halts of @ev_ns each and check the window chosen for each one
 * against @expect (hand-computed in the callers' comments).
 */
static void expect_windows(struct vapic_haltpoll *hp, uint64_t ev_ns,
			   const uint64_t *expect, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t w = halt(hp, ev_ns);

		if (w != expect[i])
			fail_msg("halt %u: window %llu, expected %llu", i,
				 (unsigned long long)w,
				 (unsigned long long)expect[i]);
	}
}

/* ---------------------------------------------------------------------- */
/* KVM, bit-exact                                                         */

/*
 * Defaults (halt_poll_ns 200000, grow 2, grow_start 10000, shrink 0), halts
 * of 150 us.  kvm_vcpu_halt() after each halt, halt_ns = 150000:
 *   w=0:      halt_ns > w; w == 0 so no shrink; 0 < max && 150000 < max:
 *             grow: 0*2 = 0 < 10000 -> 10000
 *   w=10000:  poll fails, grow -> 20000
 *   w=20000:  -> 40000;  w=40000: -> 80000;  w=80000: -> 160000
 *   w=160000: poll succeeds at 150 us; halt_ns <= w: keep 160000 (twice)
 */
static void test_kvm_grows_from_zero_by_grow_start_then_doubles(void **state)
{
	static const uint64_t expect[] = { 0,	  10000,  20000, 40000,
					   80000, 160000, 160000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, expect, 7);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
}

/*
 * Halts of 190 us: 0, 10000, 20000, 40000, 80000, 160000 as above; after
 * the 160000 halt (190000 > 160000, both < max) grow stores 320000 (no cap
 * in grow_halt_poll_ns()); the next halt caps it to max = 200000 before
 * polling, and 190000 <= 200000 keeps it.
 */
static void test_kvm_grow_past_max_is_capped_at_next_halt(void **state)
{
	static const uint64_t expect[] = { 0,	  10000,  20000,  40000,
					   80000, 160000, 200000, 200000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 190000, expect, 6);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 320000);
	expect_windows(&hp, 190000, expect + 6, 2);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 200000);
}

/*
 * Window 160000 (after the 150 us sequence); one halt of 500 us: the poll
 * fails; halt_ns 500000 > max with w != 0: shrink with shrink 0 -> 0.  The
 * next halt (150 us) does not poll and grows back to grow_start.
 */
static void test_kvm_long_halt_resets_with_shrink_zero(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	assert_int_equal(halt(&hp, 500000), 160000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	assert_int_equal(halt(&hp, 150000), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 10000);
}

/* Window 0 and a halt longer than max: neither shrink (w == 0) nor grow. */
static void test_kvm_long_halt_with_zero_window_does_nothing(void **state)
{
	static const uint64_t expect[] = { 0, 0, 0 };
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 4000000, expect, 3);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/*
 * Boundaries.  Window 160000:
 *   halt_ns == 200000 == max: not <= w, not > max, not < max: unchanged.
 *   halt_ns == 160000 == w: "halt_ns <= w": unchanged (a poll success).
 *   halt_ns == 200001: > max: shrink -> 0.
 */
static void test_kvm_halt_equal_to_max_or_window_keeps_window(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	halt(&hp, 200000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
	halt(&hp, 160000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
	halt(&hp, 200001);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/*
 * shrink = 2 (halt_poll_ns_shrink=2), grow_start 10000: from 160000, long
 * halts (1 ms) halve it: 160000 -> 80000 -> 40000 -> 20000 -> 10000, then
 * 10000 / 2 = 5000 < grow_start -> 0 (6.1's shrink_halt_poll_ns()).  The
 * windows used by those halts are 160000, 80000, 40000, 20000, 10000, 0.
 */
static void
test_kvm_shrink_divisor_halves_then_drops_below_grow_start(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	static const uint64_t down[] = { 160000, 80000, 40000, 20000,
					 10000,	 0,	0 };
	struct vapic_haltpoll hp;

	(void)state;
	init_kvm(&hp, 200000, 2, 10000, 2);
	expect_windows(&hp, 150000, ramp, 6);
	expect_windows(&hp, 1000000, down, 7);
}

/*
 * grow 3, grow_start 7000, max 200000, halts of 199 us:
 *   0 -> 7000 (0*3 < 7000) -> 21000 -> 63000 -> 189000 -> 567000 (stored)
 *   -> capped to 200000 at the next halt, which catches 199000.
 */
static void test_kvm_grow_factor_three_and_custom_grow_start(void **state)
{
	static const uint64_t expect[] = { 0,	   7000,   21000, 63000,
					   189000, 200000, 200000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_kvm(&hp, 200000, 3, 7000, 0);
	expect_windows(&hp, 199000, expect, 5);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 567000);
	expect_windows(&hp, 199000, expect + 5, 2);
}

/* grow 0: grow_halt_poll_ns() leaves the window alone: never polls. */
static void test_kvm_grow_zero_never_grows(void **state)
{
	static const uint64_t expect[] = { 0, 0, 0, 0 };
	struct vapic_haltpoll hp;

	(void)state;
	init_kvm(&hp, 200000, 0, 10000, 0);
	expect_windows(&hp, 50000, expect, 4);
	assert_int_equal(hp.stats.halt_attempted_poll, 0);
}

/*
 * grow_start above max (max 5000, grow_start 10000): the first grow stores
 * 10000; the next halt caps it to 5000, catches a 4 us event, keeps it.
 */
static void test_kvm_grow_start_above_max_is_capped(void **state)
{
	static const uint64_t expect[] = { 0, 5000, 5000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_kvm(&hp, 5000, 2, 10000, 0);
	expect_windows(&hp, 4000, expect, 1);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 10000);
	expect_windows(&hp, 4000, expect + 1, 2);
}

/*
 * The window is an unsigned int: max 4000000000 ns, halts of 3 s.
 * 10000 * 2^k grows while < 3e9: after 18 grows it is 2621440000; the 19th
 * grow computes 5242880000 mod 2^32 = 947912704 (KVM wraps, then
 * 947912704 >= grow_start is kept); then 1895825408, 3791650816, which
 * covers 3e9 and stays.
 */
static void test_kvm_grow_wraps_like_unsigned_int(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w = 0;
	unsigned int i;

	(void)state;
	init_kvm(&hp, 4000000000U, 2, 10000, 0);
	assert_int_equal(halt(&hp, 3000000000ULL), 0);
	for (i = 0; i < 18; i++) {
		w = halt(&hp, 3000000000ULL);
		assert_int_equal(w, 10000ULL << i);
	}
	assert_int_equal(w, 1310720000ULL);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 2621440000U);
	assert_int_equal(halt(&hp, 3000000000ULL), 2621440000ULL);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 947912704U);
	assert_int_equal(halt(&hp, 3000000000ULL), 947912704ULL);
	assert_int_equal(halt(&hp, 3000000000ULL), 1895825408ULL);
	assert_int_equal(halt(&hp, 3000000000ULL), 3791650816ULL);
	assert_int_equal(halt(&hp, 3000000000ULL), 3791650816ULL);
}

/* The per-VM maximum (KVM_CAP_HALT_POLL) caps the window at the next halt. */
static void test_kvm_vm_max_caps_window_at_next_halt(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	vapic_haltpoll_set_vm_max(&hp, 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
	/* Capped to 100000; 150 us > max: shrink (0) -> 0. */
	assert_int_equal(halt(&hp, 150000), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/*
 * The per-VM maximum overrides the module parameter even when larger:
 * with max_ns 200000 but the VM's 400000, halts of 300 us grow
 * 0, 10000, ..., 160000, 320000 and 320000 catches them.
 */
static void test_kvm_vm_max_overrides_module_param_upwards(void **state)
{
	static const uint64_t expect[] = { 0,	  10000,  20000,  40000,
					   80000, 160000, 320000, 320000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	vapic_haltpoll_set_vm_max(&hp, 400000);
	expect_windows(&hp, 300000, expect, 8);
}

/*
 * The maximum is re-read when the halt ends.  Window 40000, max 200000; a
 * halt of 120 us begins, the VM maximum drops to 100000 during it: at the
 * end 120000 > 100000 with w != 0: shrink -> 0 (the old maximum would have
 * grown it to 80000).
 */
static void test_kvm_vm_max_change_during_halt_decides_at_end(void **state)
{
	static const uint64_t ramp[] = { 0, 10000, 20000 };
	struct vapic_haltpoll hp;
	uint64_t w, t0;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 30000, ramp, 3);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40000);
	t0 = now;
	assert_int_equal(vapic_haltpoll_begin(&hp, t0, 0, &w), 0);
	assert_int_equal(w, 40000);
	vapic_haltpoll_set_vm_max(&hp, 100000);
	assert_int_equal(
		vapic_haltpoll_end(&hp, t0 + w, t0 + 120000, VAPIC_HALT_WAITED),
		0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/*
 * The per-VM maximum drops to 0 during a halt (window 40000): at the end
 * max == 0, so kvm_vcpu_halt() zeroes the window.  Raised again, polling
 * starts over from 0 (grow_start on the next short halt).
 */
static void test_kvm_vm_max_zero_during_halt_zeroes_window(void **state)
{
	static const uint64_t ramp[] = { 0, 10000, 20000 };
	static const uint64_t again[] = { 0, 10000 };
	struct vapic_haltpoll hp;
	uint64_t w, t0;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 30000, ramp, 3);
	t0 = now;
	assert_int_equal(vapic_haltpoll_begin(&hp, t0, 0, &w), 0);
	assert_int_equal(w, 40000);
	vapic_haltpoll_set_vm_max(&hp, 0);
	assert_int_equal(
		vapic_haltpoll_end(&hp, t0 + w, t0 + 120000, VAPIC_HALT_WAITED),
		0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	now = t0 + 121000;
	vapic_haltpoll_set_vm_max(&hp, 200000);
	expect_windows(&hp, 30000, again, 2);
}

/* A per-VM maximum of 0: no polling, and a valid wake-up zeroes the window. */
static void test_kvm_vm_max_zero_disables_polling(void **state)
{
	static const uint64_t ramp[] = { 0, 10000, 20000 };
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 30000, ramp, 3);
	vapic_haltpoll_set_vm_max(&hp, 0);
	assert_int_equal(halt(&hp, 30000), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	assert_int_equal(halt(&hp, 30000), 0);
	assert_int_equal(hp.stats.halt_attempted_poll, 2);
}

/*
 * halt_poll_ns (module parameter) lowered at run time: picked up at the
 * next halt, as writing /sys/module/kvm/parameters/halt_poll_ns.
 */
static void test_kvm_module_param_change_applies_at_next_halt(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	c = hp.cfg;
	c.max_ns = 50000;
	assert_int_equal(vapic_haltpoll_set_config(&hp, &c), 0);
	/* Kept until the halt: same policy keeps the learnt window. */
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
	assert_int_equal(halt(&hp, 30000), 50000);
}

/*
 * Invalid wakeups (vcpu_valid_wakeup() false) shrink whatever the halt
 * time, and count as successful polls plus halt_poll_invalid.
 *   shrink 0: 160000 -> 0.   shrink 2: 160000 -> 80000.
 */
static void test_kvm_invalid_wakeup_shrinks_and_counts(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	assert_int_equal(hp.stats.halt_successful_poll, 1); /* the 6th */
	/* A "wake-up" 20 us in, during the poll, with no real event. */
	assert_int_equal(halt_timer(&hp, 20000, 0, VAPIC_HALT_INVALID,
				    VAPIC_HALTPOLL_NO_TIMER),
			 160000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	assert_int_equal(hp.stats.halt_successful_poll, 2);
	assert_int_equal(hp.stats.halt_poll_invalid, 1);

	init_kvm(&hp, 200000, 2, 10000, 2);
	expect_windows(&hp, 150000, ramp, 6);
	halt_timer(&hp, 20000, 0, VAPIC_HALT_INVALID, VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 80000);
	/* Invalid after blocking: a failed poll, not counted invalid. */
	halt_timer(&hp, 500000, 0, VAPIC_HALT_INVALID, VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40000);
	assert_int_equal(hp.stats.halt_poll_invalid, 1);
}

/*
 * An invalid wakeup with window 0 and a short halt: KVM still shrinks
 * (0 stays 0) instead of growing: waking without an event is no reason to
 * poll.
 */
static void test_kvm_invalid_wakeup_does_not_grow(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	halt_timer(&hp, 5000, 0, VAPIC_HALT_INVALID, VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	halt(&hp, 5000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 10000);
}

/*
 * Guest MSR_KVM_POLL_CONTROL bit 0 clear (kvm_arch_no_poll()): no poll, no
 * adaptation, but the cap to the maximum still happens at the start.
 */
static void test_kvm_guest_no_poll_freezes_window(void **state)
{
	static const uint64_t ramp[] = {
		0, 10000, 20000, 40000, 80000, 160000
	};
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 150000, ramp, 6);
	vapic_haltpoll_set_guest_no_poll(&hp, true);
	assert_int_equal(halt(&hp, 5000000), 0);
	assert_int_equal(halt(&hp, 190000), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 160000);
	assert_int_equal(hp.stats.halt_attempted_poll, 5);
	assert_int_equal(hp.stats.halt_wakeup, 7);
	vapic_haltpoll_set_guest_no_poll(&hp, false);
	assert_int_equal(halt(&hp, 150000), 160000);
}

/* ---------------------------------------------------------------------- */
/* Stats                                                                  */

/*
 * Three halts, KVM defaults:
 *   w=0, event at 30 us: no poll, blocked 30000; grow -> 10000
 *   w=10000, event at 30 us: poll fails after 10000, blocked 20000;
 *     grow -> 20000
 *   w=20000, event at 15 us: poll succeeds after 15000
 */
static void test_stats_kvm_accounting(void **state)
{
	struct vapic_haltpoll hp;
	const struct vapic_haltpoll_stats *s = &hp.stats;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	assert_int_equal(halt(&hp, 30000), 0); /* block 30000 */
	assert_int_equal(halt(&hp, 30000), 10000); /* fail 10000, wait 20000 */
	assert_int_equal(halt(&hp, 15000), 20000); /* success 15000 */
	assert_int_equal(s->halt_attempted_poll, 2);
	assert_int_equal(s->halt_successful_poll, 1);
	assert_int_equal(s->halt_poll_invalid, 0);
	assert_int_equal(s->halt_wakeup, 2);
	assert_int_equal(s->halt_poll_success_ns, 15000);
	assert_int_equal(s->halt_poll_fail_ns, 10000);
	assert_int_equal(s->halt_wait_ns, 30000 + 20000);
	/* fls64: 15000 -> 14, 10000 -> 14, 30000 -> 15, 20000 -> 15. */
	assert_int_equal(s->halt_poll_success_hist[14], 1);
	assert_int_equal(s->halt_poll_fail_hist[14], 1);
	assert_int_equal(s->halt_wait_hist[15], 2);
}

/* The log2 buckets are KVM's: fls64(ns), the last one catches the rest. */
static void test_stats_hist_buckets_fls64_and_cap(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_NONE);
	/* Wait 0 -> bucket 0; 1 -> 1; 2^40 -> 31 (capped). */
	assert_int_equal(vapic_haltpoll_begin(&hp, 100, 0, &w), 0);
	assert_int_equal(w, 0);
	assert_int_equal(vapic_haltpoll_end(&hp, 100, 100, VAPIC_HALT_WAITED),
			 0);
	assert_int_equal(vapic_haltpoll_begin(&hp, 200, 0, &w), 0);
	assert_int_equal(vapic_haltpoll_end(&hp, 200, 201, VAPIC_HALT_WAITED),
			 0);
	assert_int_equal(vapic_haltpoll_begin(&hp, 300, 0, &w), 0);
	assert_int_equal(vapic_haltpoll_end(&hp, 300, 300 + (1ULL << 40),
					    VAPIC_HALT_WAITED),
			 0);
	assert_int_equal(hp.stats.halt_wait_hist[0], 1);
	assert_int_equal(hp.stats.halt_wait_hist[1], 1);
	assert_int_equal(hp.stats.halt_wait_hist[31], 1);
	assert_int_equal(hp.stats.halt_wakeup, 3);
	assert_int_equal(hp.stats.halt_attempted_poll, 0);
}

/*
 * A success is "not scheduled out", even if the event came after the poll
 * loop but before blocking: poll time start..poll end, halt until end.
 */
static void test_stats_success_after_loop_before_block(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	halt(&hp, 30000); /* window -> 10000 */
	assert_int_equal(vapic_haltpoll_begin(&hp, now, 0, &w), 0);
	assert_int_equal(w, 10000);
	assert_int_equal(vapic_haltpoll_end(&hp, now + 10200, now + 10500, 0),
			 0);
	assert_int_equal(hp.stats.halt_successful_poll, 1);
	assert_int_equal(hp.stats.halt_poll_success_ns, 10200);
	assert_int_equal(hp.stats.halt_wait_ns, 30000);
	/* halt_ns 10500 > 10000, < max: grow to 20000. */
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 20000);
}

/* The descriptor table names KVM's stats and covers the struct exactly. */
static void test_stats_descriptors_cover_struct(void **state)
{
	static const char *const kvm_names[] = {
		"halt_successful_poll", "halt_attempted_poll",
		"halt_poll_invalid",	"halt_wakeup",
		"halt_poll_success_ns", "halt_poll_fail_ns",
		"halt_wait_ns",		"halt_poll_success_hist",
		"halt_poll_fail_hist",	"halt_wait_hist",
	};
	uint32_t i, off = 0;

	(void)state;
	assert_int_equal(vapic_haltpoll_stat_ndescs, 14);
	for (i = 0; i < vapic_haltpoll_stat_ndescs; i++) {
		const struct vapic_stat_desc *d = &vapic_haltpoll_stat_descs[i];

		assert_int_equal(d->offset, off);
		off += d->count * 8;
		if (i < 10)
			assert_string_equal(d->name, kvm_names[i]);
	}
	assert_int_equal(off, sizeof(struct vapic_haltpoll_stats));
	assert_int_equal(vapic_haltpoll_stat_descs[7].count,
			 VAPIC_HALTPOLL_HIST_BUCKETS);
	assert_int_equal(VAPIC_HALTPOLL_HIST_BUCKETS, 32);
}

/* NONE never polls and never adapts. */
static void test_none_never_polls(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_NONE);
	for (i = 0; i < 10; i++)
		assert_int_equal(halt_timer(&hp, 5000, 0, 0, 1000), 0);
	assert_int_equal(hp.stats.halt_attempted_poll, 0);
	assert_int_equal(hp.stats.halt_wakeup, 10);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/* ---------------------------------------------------------------------- */
/* Guest cpuidle-haltpoll governor                                        */

/*
 * Defaults: guest_halt_poll_ns 200000, grow 2, grow_start 50000, shrink 2.
 *   h1 w=0, event 30 us: halted 30000 (> 0, <= max): grow 0*2 < 50000
 *      -> 50000
 *   h2 w=50000, event 30 us: caught by the poll: no adjustment
 *   h3 w=50000, event 120 us: halted 120000-50000 = 70000 > 50000: grow
 *      -> 100000
 *   h4 w=100000, event 150 us: halted 50000, not > 100000: unchanged
 *      (KVM would grow: it compares the whole halt)
 *   h5 w=100000, event 400 us: halted 300000 > max: shrink -> 50000
 *   h6 w=50000, event 1 ms: halted 950000: shrink -> 25000 (no zeroing
 *      below grow_start, unlike KVM)
 *   h7 w=25000, event 1 ms: -> 12500
 */
static void test_guest_governor_sequence(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_GUEST);
	assert_int_equal(halt(&hp, 30000), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);
	assert_int_equal(halt(&hp, 30000), 50000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);
	assert_int_equal(halt(&hp, 120000), 50000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 100000);
	assert_int_equal(halt(&hp, 150000), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 100000);
	assert_int_equal(halt(&hp, 400000), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);
	assert_int_equal(halt(&hp, 1000000), 50000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 25000);
	assert_int_equal(halt(&hp, 1000000), 25000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 12500);
}

/*
 * The governor caps a grow at guest_halt_poll_ns at once: max 150000,
 * window 100000, halted 120000 after the poll: 200000 -> 150000.
 */
static void test_guest_governor_caps_grow_immediately(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_GUEST);
	c = hp.cfg;
	c.max_ns = 150000;
	assert_int_equal(vapic_haltpoll_set_config(&hp, &c), 0);
	halt(&hp, 30000); /* 0 -> 50000 */
	halt(&hp, 120000); /* halted 70000 > 50000 -> 100000 */
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 100000);
	halt(&hp, 220000); /* halted 120000 > 100000 -> 200000 -> 150000 */
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 150000);
}

/*
 * Boundaries: halted exactly guest_halt_poll_ns after the poll still grows
 * (block_ns <= max); exactly the window does not (block_ns > window).
 *   w=0, 30 us -> 50000; w=50000, event 250 us: halted 200000 == max:
 *   grow -> 100000; w=100000, event 200 us: halted 100000 == w: unchanged.
 */
static void test_guest_governor_boundaries(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_GUEST);
	halt(&hp, 30000);
	assert_int_equal(halt(&hp, 250000), 50000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 100000);
	assert_int_equal(halt(&hp, 200000), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 100000);
	/* Halted max + 1: shrink. */
	assert_int_equal(halt(&hp, 300001), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);
}

/*
 * At the maximum, a block of exactly guest_halt_poll_ns neither grows
 * (block_ns > window fails) nor shrinks (block_ns > max fails):
 *   w=0, 30 us -> 50000; w=50000, event 250 us: halted 200000 -> 100000;
 *   w=100000, event 250 us: halted 150000 -> 200000;
 *   w=200000, event 400 us: halted 200000 == max == w: unchanged.
 */
static void test_guest_governor_block_of_max_at_max_keeps_window(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_GUEST);
	halt(&hp, 30000);
	halt(&hp, 250000);
	assert_int_equal(halt(&hp, 250000), 100000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 200000);
	assert_int_equal(halt(&hp, 400000), 200000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 200000);
}

/*
 * A poll that saw the event adjusts nothing (haltpoll_reflect() adjusts
 * only after the halt state), even when the halt ended later than the
 * poll (the event came after the loop, before blocking): window 50000,
 * poll ends at 20 us, halt at 120 us, not waited: still 50000.
 */
static void test_guest_governor_caught_poll_adjusts_nothing(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_GUEST);
	halt(&hp, 30000);
	assert_int_equal(vapic_haltpoll_begin(&hp, now, 0, &w), 0);
	assert_int_equal(w, 50000);
	assert_int_equal(vapic_haltpoll_end(&hp, now + 20000, now + 120000, 0),
			 0);
	assert_int_equal(hp.stats.halt_successful_poll, 1);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);
}

/* allow_shrink=N: long halts leave the window alone; shrink 0 -> 0. */
static void test_guest_governor_no_shrink_and_shrink_zero(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_GUEST), 0);
	c.flags = VAPIC_HALTPOLL_F_NO_SHRINK;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	halt(&hp, 30000);
	halt(&hp, 5000000);
	halt(&hp, 5000000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 50000);

	c.flags = 0;
	c.shrink = 0;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	halt(&hp, 30000);
	halt(&hp, 5000000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/* ---------------------------------------------------------------------- */
/* ADAPTIVE                                                               */

#define BLOCK VAPIC_ADAPTIVE_BLOCK_COST_NS

static uint64_t ahalt(struct vapic_haltpoll *hp, uint64_t ev_ns)
{
	return halt_timer(hp, ev_ns, BLOCK, 0, VAPIC_HALTPOLL_NO_TIMER);
}

/*
 * ADAPTIVE with its defaults after 10 halts of 30 us (bucket [28672,
 * 32768)): the window is 40960, with the headroom bucket.
 */
static void init_learnt_30us(struct vapic_haltpoll *hp)
{
	unsigned int i;

	init_policy(hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 10; i++)
		ahalt(hp, 30000);
}

/* A deadline inside the timer window is polled to exactly. */
static void test_adaptive_polls_exactly_to_own_timer(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	assert_int_equal(vapic_haltpoll_begin(&hp, now, 123457, &w), 0);
	assert_int_equal(w, 123457);
	assert_int_equal(
		vapic_haltpoll_end(&hp, now + w, now + w, VAPIC_HALT_TIMER), 0);
	assert_int_equal(hp.stats.halt_poll_timer, 1);
	assert_int_equal(hp.stats.halt_successful_poll, 1);
	/* Exactly at the window's edge, and one past it. */
	assert_int_equal(halt_timer(&hp, VAPIC_ADAPTIVE_TIMER_MAX_NS, BLOCK,
				    VAPIC_HALT_TIMER,
				    VAPIC_ADAPTIVE_TIMER_MAX_NS),
			 VAPIC_ADAPTIVE_TIMER_MAX_NS);
	assert_int_equal(halt_timer(&hp, VAPIC_ADAPTIVE_TIMER_MAX_NS + 1, BLOCK,
				    VAPIC_HALT_TIMER,
				    VAPIC_ADAPTIVE_TIMER_MAX_NS + 1),
			 0);
	/* Due already: nothing to poll for. */
	assert_int_equal(halt_timer(&hp, 0, BLOCK, VAPIC_HALT_TIMER, 0), 0);
	assert_int_equal(hp.stats.halt_poll_timer, 2);
}

/* F_NO_TIMER ignores the deadline; a per-VM maximum caps the timer window. */
static void test_adaptive_timer_window_flags_and_vm_max(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.flags = VAPIC_HALTPOLL_F_NO_TIMER;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	assert_int_equal(halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000),
			 0);

	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	vapic_haltpoll_set_vm_max(&hp, 40000);
	assert_int_equal(halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000),
			 0);
	assert_int_equal(halt_timer(&hp, 40000, BLOCK, VAPIC_HALT_TIMER, 40000),
			 40000);
}

/*
 * Intervals of 30 us.  Context starts "long"; halt 1 (no data) blocks and
 * is learnt in the long context; halt 2 is in the short context (empty):
 * blocks; halt 3 on: the short context holds 30000, bucket [28672, 32768),
 * plus the headroom pseudo-sample in the next bucket [32768, 40960); with
 * no long halt seen, covering it costs nothing: window 40960, every
 * wake-up caught.
 */
static void test_adaptive_predictor_learns_steady_interval(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	assert_int_equal(ahalt(&hp, 30000), 0);
	assert_int_equal(ahalt(&hp, 30000), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(ahalt(&hp, 30000), 40960);
	assert_int_equal(hp.stats.halt_successful_poll, 50);
	assert_int_equal(hp.stats.halt_poll_fail_ns, 0);
}

/*
 * A blocked halt is measured with the block cost on top; the predictor
 * takes it out: event at 100 us, measured 125 us: learnt as 100000 ->
 * bucket [98304, 114688), headroom [114688, 131072): window 131072.  Had
 * it learnt 125000 ([114688, 131072)), the window would be 163840.
 */
static void test_adaptive_predictor_removes_block_cost(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	ahalt(&hp, 100000);
	ahalt(&hp, 100000);
	assert_int_equal(ahalt(&hp, 100000), 131072);
}

/*
 * A blocked halt measured shorter than the block cost (a host that wakes
 * faster than configured) is learnt as its poll time (here 0), never as a
 * wrapped-around huge interval: bucket [0, 1024), headroom up to 1280.
 */
static void test_adaptive_block_cost_removal_clamps(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	halt_timer(&hp, 5000, 5000, 0, VAPIC_HALTPOLL_NO_TIMER);
	halt_timer(&hp, 5000, 5000, 0, VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(halt_timer(&hp, 500, 5000, 0, VAPIC_HALTPOLL_NO_TIMER),
			 1280);
}

/*
 * Headroom yields to evidence: 50 x 30 us in the short context give
 * 40960 (see above); one 5 ms halt learnt there makes the extra bucket a
 * loss: Net(32768) = 800*25000 - 17*32768 = 19442944 beats Net(40960) =
 * 801*25000 - 16*40960 = 19369640 (weights: a sample 16, headroom 1).
 * The halt after the long one is in the long context (one 30 us sample,
 * no long: 40960).
 */
static void test_adaptive_headroom_drops_after_long_halt(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	ahalt(&hp, 30000);
	ahalt(&hp, 30000);
	for (i = 0; i < 48; i++)
		assert_int_equal(ahalt(&hp, 30000), 40960);
	assert_int_equal(ahalt(&hp, 5000000), 40960);
	assert_int_equal(ahalt(&hp, 30000), 40960);
	assert_int_equal(ahalt(&hp, 30000), 32768);
}

/*
 * Alternating short (30 us) and long (5 ms) halts, as I/O completions
 * followed by idle: after a long halt the next is always short (poll:
 * 30 us plus headroom, 40960), after a short one always long (do not
 * poll): every short one is caught and no poll is wasted once learnt.
 * KVM, by contrast, fails and resets.
 */
static void test_adaptive_predictor_markov_context(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t fail_before;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 8; i++) {
		ahalt(&hp, 30000);
		ahalt(&hp, 5000000);
	}
	fail_before = hp.stats.halt_poll_fail_ns;
	for (i = 0; i < 20; i++) {
		assert_int_equal(ahalt(&hp, 30000), 40960);
		assert_int_equal(ahalt(&hp, 5000000), 0);
	}
	assert_int_equal(hp.stats.halt_poll_fail_ns, fail_before);
}

/*
 * Unpredictable: short and long in the pattern S S L L (each context sees
 * 50% long).  Catching a short saves 25 us; missing costs a 32768 ns poll:
 * 0.5 * 25000 < 0.5 * 32768, so no poll (40960 is worse still).  With 3
 * shorts in 4 (S S S L): after the long one always short: 40960 (no long
 * mass there, headroom); after a short 2/3 are short: 32768, since
 * 2/3*25000 - 1/3*32768 = 5744 > 2/3*25000 - 1/3*40960 = 3013.
 */
static void test_adaptive_predictor_declines_unprofitable_window(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 16; i++) {
		ahalt(&hp, 30000);
		ahalt(&hp, 30000);
		ahalt(&hp, 5000000);
		ahalt(&hp, 5000000);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(ahalt(&hp, 30000), 0);
		assert_int_equal(ahalt(&hp, 30000), 0);
		assert_int_equal(ahalt(&hp, 5000000), 0);
		assert_int_equal(ahalt(&hp, 5000000), 0);
	}

	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 16; i++) {
		ahalt(&hp, 30000);
		ahalt(&hp, 30000);
		ahalt(&hp, 30000);
		ahalt(&hp, 5000000);
	}
	/* After the long one: always short; after a short: 2/3 short. */
	assert_int_equal(ahalt(&hp, 30000), 40960);
	assert_int_equal(ahalt(&hp, 30000), 32768);
}

/*
 * cpu_weight scales the trade-off.  Cycle (L S) x 7, L, L, L: after a long
 * halt the next is short 7 times in 10 (each S is followed by an L, so the
 * short context never polls).  In the long context, window 32768:
 *   weight 1.0: 0.7 * 25000 = 17500 > 0.3 * 32768 * 1 = 9830: poll
 *   weight 4.0: 17500 < 0.3 * 32768 * 4 = 39322: do not poll
 * and with (L S) x 9, L (90% short after a long one), weight 4.0:
 *   0.9 * 25000 = 22500 > 0.1 * 32768 * 4 = 13107: poll.
 */
static void train_cycle(struct vapic_haltpoll *hp, unsigned int pairs,
			unsigned int longs)
{
	unsigned int i;

	for (i = 0; i < pairs; i++) {
		ahalt(hp, 5000000);
		ahalt(hp, 30000);
	}
	for (i = 0; i < longs; i++)
		ahalt(hp, 5000000);
}

static uint64_t weight_case(uint32_t weight_q8, unsigned int pairs,
			    unsigned int longs)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	unsigned int i;

	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.cpu_weight_q8 = weight_q8;
	c.budget_ppm = VAPIC_PPM; /* keep the budget out of the way */
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	for (i = 0; i < 20; i++)
		train_cycle(&hp, pairs, longs);
	ahalt(&hp, 5000000); /* now in the long context */
	return ahalt(&hp, 30000);
}

static void test_adaptive_cpu_weight_changes_decision(void **state)
{
	(void)state;
	assert_int_equal(weight_case(256, 7, 3), 32768);
	assert_int_equal(weight_case(1024, 7, 3), 0);
	assert_int_equal(weight_case(1024, 9, 1), 32768);
}

/*
 * How the last halt ended picks the context.  Bursty receive: 8 packets
 * 30 us apart (S), then an idle gap that the own tick (known, 1.5 ms away:
 * beyond the timer window) cuts (T), then the rest of the gap until the
 * next burst, 1 ms (L).  Learnt: after S: 7 S and 1 T (long); after T
 * (long, timer-ended: the "idle" context): L, long; after L (long, by an
 * event): S.  Windows, in weights of 16 per sample and 1 of headroom:
 *   after L: only S: 40960 (30 us + headroom)
 *   after S: Net(32768) = 112*25000 - 17*32768 = 2242944 >
 *            Net(40960) = 113*25000 - 16*40960 = 2169640: 32768
 *   after T: only long: 0 (had T kept the short context, as "transparent"
 *            timers would, the rest of the gap would be polled for).
 */
static void test_adaptive_context_after_timer_ended_long_halt(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i, k;
	uint64_t fail;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 20; i++) {
		for (k = 0; k < 8; k++)
			ahalt(&hp, 30000);
		halt_timer(&hp, 1500000, BLOCK, VAPIC_HALT_TIMER, 1500000);
		ahalt(&hp, 1000000);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(ahalt(&hp, 30000), 40960);
		for (k = 0; k < 7; k++)
			assert_int_equal(ahalt(&hp, 30000), 32768);
		fail = hp.stats.halt_poll_fail_ns;
		assert_int_equal(halt_timer(&hp, 1500000, BLOCK,
					    VAPIC_HALT_TIMER, 1500000),
				 32768);
		assert_int_equal(hp.stats.halt_poll_fail_ns, fail + 32768);
		assert_int_equal(ahalt(&hp, 1000000), 0);
	}
}

/*
 * A short wait that the own tick cut short (polled to exactly: not
 * learnt) leaves the context alone: the next halt waits for the same
 * kind of event.  30 us intervals give the short context 40960; after a
 * tick 10 us into a wait, the remainder is still predicted from it (the
 * "idle" context is empty and would say 0).
 */
static void test_adaptive_short_timer_wake_keeps_context(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(halt_timer(&hp, 10000, BLOCK, VAPIC_HALT_TIMER, 10000),
			 10000);
	assert_int_equal(ahalt(&hp, 20000), 40960);
}

/*
 * Decay keeps a trace of rare intervals.  30 us intervals and one of
 * 38 us ([36864, 40960)); then 30000 more of 30 us: the context is halved
 * every 4096 samples, the 38 us bucket goes 16, 8, 4, 2, 1 and stays at 1,
 * so it is still the highest seen and the window keeps covering it plus
 * headroom: 49152.  (Were it forgotten, the window would shrink to 40960
 * and the next 38-41 us wake-up would be missed.)
 */
static void test_adaptive_decay_remembers_rare_interval(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t w = 0;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(ahalt(&hp, 38000), 40960);
	assert_int_equal(ahalt(&hp, 30000), 49152);
	for (i = 0; i < 30000; i++)
		w = ahalt(&hp, 30000);
	assert_int_equal(w, 49152);
}

/*
 * Extreme but valid parameters (largest window, block cost and cpu weight,
 * full budget) over a spread of intervals: no arithmetic overflow turns a
 * decision into nonsense; every window stays within max_ns, and with the
 * cpu weight at its largest, a context with many long halts never polls.
 */
static void test_adaptive_extreme_config_stays_in_range(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t w;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.max_ns = c.timer_max_ns = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
	c.block_cost_ns = VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS;
	c.cpu_weight_q8 = 0xffff;
	c.budget_ppm = VAPIC_PPM;
	c.budget_burst_ns = VAPIC_ADAPTIVE_BURST_LIMIT_NS;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	for (i = 0; i < 20000; i++) {
		uint64_t ev = 500 + (uint64_t)(i * 2654435761U % 5000000U);

		w = halt_timer(&hp, ev, VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS, 0,
			       VAPIC_HALTPOLL_NO_TIMER);
		assert_true(w <= VAPIC_ADAPTIVE_WINDOW_LIMIT_NS);
	}
	for (i = 0; i < 3000; i++)
		halt_timer(&hp, 4500000, VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS, 0,
			   VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(halt_timer(&hp, 4500000,
				    VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS, 0,
				    VAPIC_HALTPOLL_NO_TIMER),
			 0);
}

/* Invalid wakeups teach nothing but do use budget. */
static void test_adaptive_invalid_wakeup_not_learnt(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t credit;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40960);
	credit = vapic_haltpoll_credit_ns(&hp);
	/*
	 * Ten invalid wake-ups at 500 us (after blocking): not learnt (a
	 * learnt long halt would drop the headroom to 32768).
	 */
	for (i = 0; i < 10; i++)
		assert_int_equal(halt_timer(&hp, 500000, BLOCK,
					    VAPIC_HALT_INVALID,
					    VAPIC_HALTPOLL_NO_TIMER),
				 40960);
	assert_int_equal(ahalt(&hp, 30000), 40960);
	assert_true(vapic_haltpoll_credit_ns(&hp) < credit);
}

/*
 * The guest disabled host polling (MSR_KVM_POLL_CONTROL): no window, not
 * even to a near own timer, and the halts teach nothing; re-enabled, the
 * learnt window is back.
 */
static void test_adaptive_guest_no_poll_never_polls(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40960);
	vapic_haltpoll_set_guest_no_poll(&hp, true);
	assert_int_equal(ahalt(&hp, 30000), 0);
	assert_int_equal(halt_timer(&hp, 30000, BLOCK, 0, 5000), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(ahalt(&hp, 150000), 0);
	assert_int_equal(hp.stats.halt_attempted_poll, 8);
	vapic_haltpoll_set_guest_no_poll(&hp, false);
	assert_int_equal(ahalt(&hp, 30000), 40960);
}

/*
 * Intervals learnt under a larger maximum are long under a smaller one.
 * 20 halts of 150 us: bucket [131072, 163840), window 196608 (with the
 * headroom bucket).  The per-VM maximum drops to 100000: that bucket
 * starts at or above it, so the context holds only "long" intervals and
 * nothing is worth polling (counting them as caught by a 100 us window
 * would poll 100 us for events that come at 150 us).
 */
static void test_adaptive_lowered_max_turns_learnt_intervals_long(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t w = 0;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 20; i++)
		w = ahalt(&hp, 150000);
	assert_int_equal(w, 196608);
	vapic_haltpoll_set_vm_max(&hp, 100000);
	assert_int_equal(ahalt(&hp, 150000), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
}

/*
 * A window that only breaks even is not polled ("0 if no window gains"),
 * and one sample more makes it gain.  max_ns 50000, block cost 25000;
 * 49.5 us is in bucket [49152, 57344), whose window is capped at 50000.
 * Halts alternate long (100 us) and 49.5 us, so the context after a long
 * halt learns only the 49.5 us ones and the other context only the long:
 *   halts 1, 3, 5 (contexts long, short, short): long;
 *   halts 2, 4 (context long): 49.5 us, not polled (no gain yet).
 * Halt 6 (context long: 1 long, 2 x 49.5 us, weights 16 each):
 *   gain 32 * 25000 = cost 16 * 50000: no gain, no poll.
 * Halt 8, after one more 49.5 us sample: gain 48 * 25000 > 800000: poll.
 */
static void test_adaptive_break_even_window_not_polled(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.max_ns = 50000;
	c.timer_max_ns = 50000;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	for (i = 0; i < 5; i++)
		assert_int_equal(ahalt(&hp, i & 1 ? 49500 : 100000), 0);
	assert_int_equal(ahalt(&hp, 49500), 0);
	assert_int_equal(ahalt(&hp, 100000), 0);
	assert_int_equal(ahalt(&hp, 49500), 50000);
}

/*
 * A blocked halt is learnt as at least its poll: the event came after the
 * window ended, even when the wake-up took less than the block cost.
 * Window 40960 (30 us halts); an event at 41 us, awake at once: halt_ns
 * 41000 - block cost 25000 = 16000, learnt as 40960, in bucket [40960,
 * 49152): the next window covers it and the headroom bucket above it,
 * 57344.  (Learnt as 16000, the window would stay 40960.)
 */
static void test_adaptive_blocked_halt_learnt_as_at_least_its_poll(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(halt_timer(&hp, 41000, 0, 0, VAPIC_HALTPOLL_NO_TIMER),
			 40960);
	assert_int_equal(ahalt(&hp, 30000), 57344);
}

/*
 * Old behaviour fades: a context halves once it holds 4096 samples.
 * Halts alternate 30 us and 250 us (long), 20000 pairs: the context after
 * a short halt learns only long ones (never worth a poll).  Then only
 * 30 us halts, all in that context: they must outweigh the long mass by
 * 41 to 25 (gain 25000 per catch against 40960 per miss).  With decay the
 * long mass is at most 4096 samples; without it, 20000 and the window
 * would stay 0 for over 32000 halts.
 */
static void test_adaptive_context_decay_forgets_old_behaviour(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i, first = 0;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 20000; i++) {
		ahalt(&hp, 30000);
		ahalt(&hp, 250000);
	}
	ahalt(&hp, 30000); /* context long: learnt there */
	for (i = 1; i <= 8000 && !first; i++)
		if (ahalt(&hp, 30000))
			first = i;
	assert_true(first > 1000);
	assert_true(first <= 8000);
}

/*
 * An invalid wake-up during the poll (nothing delivered: the poll saw a
 * false wake-up) used up what it polled: 5 us of credit.
 */
static void test_adaptive_invalid_wakeup_in_poll_uses_budget(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w, t0;

	(void)state;
	init_learnt_30us(&hp);
	t0 = now;
	assert_int_equal(vapic_haltpoll_begin(&hp, t0, ~0ULL, &w), 0);
	assert_int_equal(w, 40960);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp),
			 VAPIC_ADAPTIVE_BUDGET_BURST_NS);
	assert_int_equal(vapic_haltpoll_end(&hp, t0 + 5000, t0 + 5000,
					    VAPIC_HALT_INVALID),
			 0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp),
			 VAPIC_ADAPTIVE_BUDGET_BURST_NS - 5000);
}

/* A lowered burst caps the credit at the next halt. */
static void test_adaptive_lowered_burst_caps_credit(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_learnt_30us(&hp);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp),
			 VAPIC_ADAPTIVE_BUDGET_BURST_NS);
	c = hp.cfg;
	c.budget_burst_ns = 100000;
	assert_int_equal(vapic_haltpoll_set_config(&hp, &c), 0);
	assert_int_equal(vapic_haltpoll_begin(&hp, now, ~0ULL, &w), 0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp), 100000);
	assert_int_equal(w, 40960);
}

/*
 * Refill saturates: at budget_ppm 100% a gap of nearly 2^64 ns adds nearly
 * 2^64 ns of credit, which must cap at the burst, not wrap around.
 */
static void test_adaptive_budget_refill_saturates_on_huge_gap(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t w, t0;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.budget_ppm = VAPIC_PPM;
	c.budget_burst_ns = VAPIC_ADAPTIVE_BURST_LIMIT_NS;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	for (i = 0; i < 10; i++)
		ahalt(&hp, 30000);
	/* An invalid wake-up after blocking: debit the whole 40960 poll. */
	t0 = now;
	assert_int_equal(vapic_haltpoll_begin(&hp, t0, ~0ULL, &w), 0);
	assert_int_equal(w, 40960);
	assert_int_equal(
		vapic_haltpoll_end(&hp, t0 + w, t0 + 50000,
				   VAPIC_HALT_WAITED | VAPIC_HALT_INVALID),
		0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp),
			 VAPIC_ADAPTIVE_BURST_LIMIT_NS - 40960);
	assert_int_equal(vapic_haltpoll_begin(&hp, UINT64_MAX, ~0ULL, &w), 0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp),
			 VAPIC_ADAPTIVE_BURST_LIMIT_NS);
	assert_int_equal(vapic_haltpoll_end(&hp, UINT64_MAX, UINT64_MAX, 0), 0);
}

/* ADAPTIVE with VAPIC_HALTPOLL_F_EVENTS (the host reports interrupts). */
static void init_events(struct vapic_haltpoll *hp)
{
	struct vapic_haltpoll_config c;

	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.flags = VAPIC_HALTPOLL_F_EVENTS;
	assert_int_equal(vapic_haltpoll_init(hp, &c), 0);
	now = 1000000;
}

/*
 * 30 us waits with one in ten longer than the maximum (1 ms), then two
 * more 30 us ones.  When the last one begins, the short context holds 80
 * samples of 30 us ([28672, 32768)) and 10 long (the first 30 us halt of
 * each round follows a long one: the long context), plus the headroom
 * pseudo-sample in [32768, 40960); total 90 * 16 + 1 = 1441.
 * Net(32768) = 1280 * 25000 - 161 * 32768 = 26724352 beats Net(40960) =
 * 1281 * 25000 - 160 * 40960 = 25471400: window 32768.  (After it, 81
 * samples of 30 us: 27124352 against 25871400, still 32768.)
 */
static void train_short_and_long(struct vapic_haltpoll *hp)
{
	unsigned int r, i;

	for (r = 0; r < 10; r++) {
		for (i = 0; i < 9; i++)
			ahalt(hp, 30000);
		ahalt(hp, 1000000);
	}
	ahalt(hp, 30000);
	assert_int_equal(ahalt(hp, 30000), 32768);
}

/*
 * F_EVENTS and 20 waits of 30 us: 19 in the short context (the first goes
 * to the long one), window 40960 (30 us bucket plus the headroom).
 */
static void init_events_30us(struct vapic_haltpoll *hp)
{
	unsigned int i;

	init_events(hp);
	for (i = 0; i < 20; i++)
		ahalt(hp, 30000);
	assert_int_equal(vapic_haltpoll_window_ns(hp), 40960);
}

/*
 * The own timer cuts a wait at 50 us; 1 us later the vCPU halts again.
 * With F_EVENTS that halt is the rest of a wait that has lasted 51 us:
 * only the long intervals last that long, so it does not poll.  Without
 * F_EVENTS it is a new halt: window 32768.
 */
static void test_adaptive_events_continue_a_timer_cut_wait(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events(&hp);
	train_short_and_long(&hp);
	assert_int_equal(halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000),
			 50000);
	assert_int_equal(ahalt(&hp, 1000000), 0);

	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	train_short_and_long(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	assert_int_equal(ahalt(&hp, 1000000), 32768);
}

/*
 * An interrupt reported between the halts ends the wait: the next halt is
 * a new one (window 32768).  Without F_EVENTS the report is ignored.
 */
static void test_adaptive_event_report_starts_a_new_wait(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events(&hp);
	train_short_and_long(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	vapic_haltpoll_event(&hp);
	assert_int_equal(ahalt(&hp, 30000), 32768);
	/* One report covers one gap: the next cut wait goes on again. */
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	assert_int_equal(ahalt(&hp, 1000000), 0);

	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	train_short_and_long(&hp);
	vapic_haltpoll_event(&hp);
	assert_int_equal(ahalt(&hp, 30000), 32768);
}

/*
 * halt_poll_events counts every report, whatever the policy and flags,
 * also where the policy ignores it (KVM's, ADAPTIVE without F_EVENTS).
 */
static void test_event_reports_are_counted(void **state)
{
	static const uint32_t policies[] = { VAPIC_HALTPOLL_NONE,
					     VAPIC_HALTPOLL_KVM,
					     VAPIC_HALTPOLL_GUEST,
					     VAPIC_HALTPOLL_ADAPTIVE };
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		init_policy(&hp, policies[i]);
		vapic_haltpoll_event(&hp);
		ahalt(&hp, 30000);
		vapic_haltpoll_event(&hp);
		vapic_haltpoll_event(&hp);
		assert_int_equal(hp.stats.halt_poll_events, 3);
		assert_int_equal(hp.stats.halt_poll_continued, 0);
	}
}

/*
 * halt_poll_continued counts the halts that go on with a cut wait: after
 * a short timer wake-up (continued), not after a report (new wait), after
 * an invalid wake-up (continued), and never without F_EVENTS.
 */
static void test_adaptive_events_continued_halts_are_counted(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events(&hp);
	train_short_and_long(&hp);
	assert_int_equal(hp.stats.halt_poll_continued, 0);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	ahalt(&hp, 30000);
	assert_int_equal(hp.stats.halt_poll_continued, 1);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	vapic_haltpoll_event(&hp);
	ahalt(&hp, 30000);
	assert_int_equal(hp.stats.halt_poll_continued, 1);
	halt_timer(&hp, 40000, BLOCK, VAPIC_HALT_INVALID,
		   VAPIC_HALTPOLL_NO_TIMER);
	ahalt(&hp, 30000);
	assert_int_equal(hp.stats.halt_poll_continued, 2);

	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	train_short_and_long(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	ahalt(&hp, 30000);
	assert_int_equal(hp.stats.halt_poll_continued, 0);
}

/*
 * An invalid wake-up at 40 us (after the 32768 window, blocked): the wait
 * goes on, 41 us old at the next halt: only long intervals are left, no
 * poll.
 */
static void test_adaptive_events_invalid_wakeup_continues_wait(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events(&hp);
	train_short_and_long(&hp);
	assert_int_equal(halt_timer(&hp, 40000, BLOCK, VAPIC_HALT_INVALID,
				    VAPIC_HALTPOLL_NO_TIMER),
			 32768);
	assert_int_equal(ahalt(&hp, 1000000), 0);
}

/*
 * The rest of a wait is learnt as the whole wait.  20 waits of 30 us, then
 * 30 of 71 us that the own timer cuts at 50 us (the rest: 20 us after a
 * 1 us run).  The first rest finds nothing above 51 us: no poll, blocked;
 * learnt as 51 + 20 = 71 us ([65536, 81920)).  From then on the rest of a
 * cut wait polls to the headroom edge: 98304 - 51000 = 47304.  (Learnt as
 * 20 us, nothing would ever lie above 51 us: no poll.)
 */
static void test_adaptive_events_learn_the_whole_wait(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_events_30us(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	assert_int_equal(ahalt(&hp, 20000), 0);
	for (i = 0; i < 30; i++) {
		halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
		assert_int_equal(ahalt(&hp, 20000), 47304);
	}
	/*
	 * Caught: the 30 us waits but the first two (each the first of its
	 * context: nothing learnt, no poll), the 31 timer polls, and the 30
	 * rests after the first.
	 */
	assert_int_equal(hp.stats.halt_successful_poll, 18 + 31 + 30);
}

/*
 * A wait's age counts its blocked halts whole.  20 waits of 30 us (window
 * 40960; 19 in the short context).  An invalid wake-up at 50 us, after
 * the window: blocked, the halt lasts 75 us; 1 us later the rest begins
 * 76 us old: nothing learnt lies above, no poll; the event 10 us later
 * (blocked): learnt as 86 us ([81920, 98304)).  The next wait polls to the
 * headroom edge above it: Net(114688) = 321 * 25000 = 8025000 beats
 * Net(98304) = 320 * 25000 - 98304 = 7901696.  (Counting the invalid halt
 * as 50 us, the block cost left out, would learn 61 us ([57344, 65536))
 * and poll to 81920.)
 */
static void test_adaptive_events_age_includes_block_cost(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events_30us(&hp);
	assert_int_equal(halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_INVALID,
				    VAPIC_HALTPOLL_NO_TIMER),
			 40960);
	assert_int_equal(ahalt(&hp, 10000), 0);
	assert_int_equal(ahalt(&hp, 30000), 114688);
}

/*
 * A wait that the host's report ends between halts is learnt, as lasting
 * until the next halt, if the predictor decided a part of it.  20 waits of
 * 30 us (window 40960; 19 in the short context).  A predicted halt ends in
 * an invalid wake-up at 50 us (blocked: 75 us); an interrupt is reported;
 * the next halt learns a 76 us wait ([65536, 81920)), and polls to the
 * headroom edge above it: Net(98304) = 321 * 25000 = 8025000 beats
 * Net(81920) = 320 * 25000 - 81920 = 7918080 and Net(32768) = 304 *
 * 25000 - 17 * 32768 = 7042944.  A wait of which only a timer poll was
 * seen (cut by the own timer at 50 us) is not learnt: 40960.
 */
static void test_adaptive_events_reported_end_learns_the_wait(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events_30us(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_INVALID,
		   VAPIC_HALTPOLL_NO_TIMER);
	vapic_haltpoll_event(&hp);
	assert_int_equal(ahalt(&hp, 30000), 98304);

	init_events_30us(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_TIMER, 50000);
	vapic_haltpoll_event(&hp);
	assert_int_equal(ahalt(&hp, 30000), 40960);
}

/*
 * A wait is learnt if the predictor decided any part of it, even when a
 * timer poll saw it end.  20 waits of 30 us; a predicted halt ends in an
 * invalid wake-up at 50 us (blocked: 75 us); the rest, 76 us old, has its
 * own timer due in 20 us: a timer poll, which the event ends at 10 us:
 * learnt as 86 us, so the next wait polls to 114688 (as in
 * test_adaptive_events_age_includes_block_cost; not learnt: 40960).
 */
static void test_adaptive_events_wait_learnt_if_partly_predicted(void **state)
{
	struct vapic_haltpoll hp;

	(void)state;
	init_events_30us(&hp);
	halt_timer(&hp, 50000, BLOCK, VAPIC_HALT_INVALID,
		   VAPIC_HALTPOLL_NO_TIMER);
	assert_int_equal(halt_timer(&hp, 10000, BLOCK, 0, 20000), 20000);
	assert_int_equal(ahalt(&hp, 30000), 114688);
}

/*
 * A wait that outlasts the maximum is not polled for.  150 us waits with
 * a few of 30 us: window to the headroom edge, 196608.  An invalid wake-up
 * at 120 us (caught by the poll); at the next halt the wait is 121 us old:
 * poll to 196608 - 121000 = 75608; another invalid wake-up at 80 us after
 * it (blocked: the halt lasts 105 us): 226 us, past the 200 us maximum:
 * no poll.
 */
static void test_adaptive_events_wait_past_max_not_polled(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	init_events(&hp);
	for (i = 0; i < 5; i++)
		ahalt(&hp, 30000);
	for (i = 0; i < 20; i++)
		ahalt(&hp, 150000);
	assert_int_equal(halt_timer(&hp, 120000, BLOCK, VAPIC_HALT_INVALID,
				    VAPIC_HALTPOLL_NO_TIMER),
			 196608);
	assert_int_equal(halt_timer(&hp, 80000, BLOCK, VAPIC_HALT_INVALID,
				    VAPIC_HALTPOLL_NO_TIMER),
			 75608);
	assert_int_equal(ahalt(&hp, 30000), 0);
}

/*
 * Any mix of cut waits, invalid wake-ups, reports, own timers and per-VM
 * maximum changes (down to 0 and up to the window limit, between halts):
 * no window, timer polls aside, exceeds the maximum in force; a halt whose
 * own timer is due within the window is never polled past it.
 */
static void test_adaptive_events_random_mix_stays_in_range(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t x = 88172645463325252ULL;
	uint32_t max = VAPIC_ADAPTIVE_MAX_NS;
	unsigned int i;

	(void)state;
	init_events(&hp);
	for (i = 0; i < 50000; i++) {
		uint64_t ev, timer = VAPIC_HALTPOLL_NO_TIMER, w;
		uint32_t flags = 0, r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)x;
		ev = 1 + (x >> 40) % 400000;
		if (r % 7 == 0) {
			/* The own timer, mostly within the timer window. */
			timer = ev = 1 + (x >> 24) % 300000;
			flags = VAPIC_HALT_TIMER;
		} else if (r % 11 == 0) {
			flags = VAPIC_HALT_INVALID;
		}
		if (r % 13 == 0)
			vapic_haltpoll_event(&hp);
		if (r % 997 == 0) {
			max = (uint32_t)((x >> 20) % 300000);
			if (r % 3 == 0)
				max = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
			vapic_haltpoll_set_vm_max(&hp, max);
		}
		w = halt_timer(&hp, ev, BLOCK, flags, timer);
		if (timer != VAPIC_HALTPOLL_NO_TIMER && timer <= max &&
		    timer <= VAPIC_ADAPTIVE_TIMER_MAX_NS)
			assert_int_equal(w, timer);
		else /* since_ns (the age) may exceed max: then no poll */
			assert_true(w == 0 || w + hp.since_ns <= max);
	}
}

/*
 * The budget: credit starts at the burst, a failed predicted poll costs its
 * poll time, time refills it at budget_ppm.  Burst 100000, 1% (10000 ppm).
 */
static void test_adaptive_budget_arithmetic(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	uint64_t w, t0;
	unsigned int i;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.budget_ppm = 10000;
	c.budget_burst_ns = 100000;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	for (i = 0; i < 10; i++)
		ahalt(&hp, 30000); /* all caught from the 3rd: no debit */
	assert_int_equal(vapic_haltpoll_credit_ns(&hp), 100000);
	/* An invalid wake-up after blocking: debit the whole 40960 poll. */
	t0 = now;
	assert_int_equal(vapic_haltpoll_begin(&hp, t0, ~0ULL, &w), 0);
	assert_int_equal(w, 40960);
	assert_int_equal(
		vapic_haltpoll_end(&hp, t0 + w, t0 + 50000,
				   VAPIC_HALT_WAITED | VAPIC_HALT_INVALID),
		0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp), 100000 - 40960);
	/* 1 ms later: + 1% of 1000000 = 10000. */
	assert_int_equal(vapic_haltpoll_begin(&hp, t0 + 1000000, ~0ULL, &w), 0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp), 100000 - 40960 + 10000);
	assert_int_equal(vapic_haltpoll_end(&hp, t0 + 1000000 + 30000,
					    t0 + 1000000 + 30000, 0),
			 0);
	/* A long gap refills to the burst, not beyond. */
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t0 + 10000000000ULL, ~0ULL, &w), 0);
	assert_int_equal(vapic_haltpoll_credit_ns(&hp), 100000);
}

/*
 * The cost bound: an adversary that makes every predicted poll fail
 * without teaching the predictor (invalid wake-ups after blocking, 1 ms
 * apart).  Failed poll time <= burst + ppm * elapsed, and throttling is
 * counted.  Without the budget the same pattern exceeds the bound, so the
 * check can fail.
 */
static void test_adaptive_budget_bounds_wasted_polling(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	uint64_t t_start, bound;
	unsigned int i, k;

	(void)state;
	for (k = 0; k < 2; k++) {
		assert_int_equal(vapic_haltpoll_config_default(
					 &c, VAPIC_HALTPOLL_ADAPTIVE),
				 0);
		c.budget_ppm = 10000; /* 1% */
		c.budget_burst_ns = 100000;
		if (k)
			c.flags = VAPIC_HALTPOLL_F_NO_BUDGET;
		assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
		now = 1000000;
		for (i = 0; i < 10; i++)
			ahalt(&hp, 30000);
		t_start = now;
		memset(&hp.stats, 0, sizeof(hp.stats));
		for (i = 0; i < 1000; i++)
			halt_timer(&hp, 1000000, BLOCK, VAPIC_HALT_INVALID,
				   VAPIC_HALTPOLL_NO_TIMER);
		bound = 100000 + (now - t_start) / 100;
		if (!k) {
			assert_true(hp.stats.halt_poll_fail_ns <= bound);
			assert_true(hp.stats.halt_poll_throttled > 0);
		} else {
			assert_true(hp.stats.halt_poll_fail_ns > bound);
		}
	}
}

/*
 * The budget limits predicted windows, never timer polls (they cannot
 * fail): with no credit left, the own deadline is still polled to.
 */
static void test_adaptive_budget_spares_timer_polls(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.budget_ppm = 0;
	c.budget_burst_ns = 0;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	ahalt(&hp, 30000);
	ahalt(&hp, 30000);
	/* Learnt 30 us, but no credit: no predicted poll. */
	assert_int_equal(ahalt(&hp, 30000), 0);
	assert_true(hp.stats.halt_poll_throttled > 0);
	assert_int_equal(halt_timer(&hp, 80000, BLOCK, VAPIC_HALT_TIMER, 80000),
			 80000);
}

/*
 * With a timer window narrower than the predicted one, an own deadline
 * inside the predicted window ends it early (poll no longer than useful).
 */
static void test_adaptive_timer_shortens_predicted_window(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.timer_max_ns = 10000;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	now = 1000000;
	ahalt(&hp, 100000);
	ahalt(&hp, 100000);
	assert_int_equal(ahalt(&hp, 100000), 131072);
	assert_int_equal(halt_timer(&hp, 20000, BLOCK, VAPIC_HALT_TIMER, 20000),
			 20000);
	/* Learnt as a 20 us wake-up, which the window covers: unchanged. */
	assert_int_equal(ahalt(&hp, 100000), 131072);
}

/* F_NO_PREDICT: timer polls only. */
static void test_adaptive_no_predict_flag(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;
	unsigned int i;

	(void)state;
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.flags = VAPIC_HALTPOLL_F_NO_PREDICT;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(ahalt(&hp, 30000), 0);
	assert_int_equal(halt_timer(&hp, 8000, BLOCK, VAPIC_HALT_TIMER, 8000),
			 8000);
}

/*
 * Decay: after 30 us intervals the workload slows to 150 us; the window
 * follows at once (no missed mass beyond it); never beyond max.
 */
static void test_adaptive_predictor_follows_change(void **state)
{
	struct vapic_haltpoll hp;
	unsigned int i;
	uint64_t w = 0;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_ADAPTIVE);
	for (i = 0; i < 100; i++)
		ahalt(&hp, 30000);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40960);
	/* 150000: bucket [131072, 163840), headroom up to 196608. */
	ahalt(&hp, 150000);
	for (i = 0; i < 10; i++)
		w = ahalt(&hp, 150000);
	assert_int_equal(w, 196608);
	/*
	 * 250 us is beyond max: long.  The short context misses once and
	 * learns it; the long context (one 30 us sample from the first halt)
	 * misses once; then one long sample outweighs it: no poll.
	 */
	for (i = 0; i < 200; i++)
		w = ahalt(&hp, 250000);
	assert_int_equal(w, 0);
	assert_true(vapic_haltpoll_window_ns(&hp) <= VAPIC_ADAPTIVE_MAX_NS);
}

/* ---------------------------------------------------------------------- */
/* The timer helper                                                       */

static uint64_t fake_tsc;
static uint64_t fake_now_ns(void *h)
{
	(void)h;
	return fake_tsc / 2;
}
static uint64_t fake_guest_tsc(void *h)
{
	(void)h;
	return fake_tsc;
}
static int fake_arm(void *h, uint64_t e)
{
	(void)h;
	(void)e;
	return 0;
}
static void fake_nop(void *h)
{
	(void)h;
}

static const struct vapic_host_ops fake_ops = {
	.now_ns = fake_now_ns,
	.guest_tsc = fake_guest_tsc,
	.timer_arm = fake_arm,
	.timer_cancel = fake_nop,
	.kick = fake_nop,
};

/* 2 GHz guest TSC: 1001 cycles = 500.5 ns, rounded up to 501. */
static void test_timer_ns_helper(void **state)
{
	struct vapic_timer_config cfg;
	struct vapic_timer_event ev;
	struct vapic_timer t;
	uint64_t ns = 0;

	(void)state;
	fake_tsc = 1000000;
	vapic_timer_config_default(&cfg, 2000000);
	assert_int_equal(vapic_timer_init(&t, &cfg, &fake_ops, NULL), 0);
	assert_false(vapic_haltpoll_timer_ns(&t, &ns));
	assert_true(ns == VAPIC_HALTPOLL_NO_TIMER);
	assert_true(vapic_timer_write_lvtt(&t, (2U << 17) | 0xec, false) >= 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, fake_tsc + 1001),
			 0);
	assert_true(vapic_haltpoll_timer_ns(&t, &ns));
	assert_int_equal(ns, 501);
	fake_tsc += 1001;
	assert_true(vapic_haltpoll_timer_ns(&t, &ns));
	assert_int_equal(ns, 0);
	assert_int_equal(vapic_timer_poll(&t, 0, &ev), VAPIC_TIMER_INJECT);
	/* Next deadline 5000 cycles away: 2500 ns; masked: none. */
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, fake_tsc + 5000),
			 0);
	assert_true(vapic_haltpoll_timer_ns(&t, &ns));
	assert_int_equal(ns, 2500);
	assert_true(vapic_timer_write_lvtt(&t,
					   (2U << 17) | VAPIC_LVT_MASKED | 0xec,
					   false) >= 0);
	assert_false(vapic_haltpoll_timer_ns(&t, &ns));
	vapic_timer_destroy(&t);
}

/* ---------------------------------------------------------------------- */
/* Configuration and misuse                                               */

static void test_config_defaults(void **state)
{
	struct vapic_haltpoll_config c;

	(void)state;
	assert_int_equal(vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_KVM),
			 0);
	assert_int_equal(c.max_ns, 200000);
	assert_int_equal(c.grow, 2);
	assert_int_equal(c.grow_start_ns, 10000);
	assert_int_equal(c.shrink, 0);
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_GUEST), 0);
	assert_int_equal(c.max_ns, 200000);
	assert_int_equal(c.grow, 2);
	assert_int_equal(c.grow_start_ns, 50000);
	assert_int_equal(c.shrink, 2);
	assert_int_equal(c.flags, 0);
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	assert_int_equal(c.max_ns, VAPIC_ADAPTIVE_MAX_NS);
	assert_int_equal(c.block_cost_ns, VAPIC_ADAPTIVE_BLOCK_COST_NS);
	assert_int_equal(c.grow, 0);
	assert_int_equal(vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_NONE),
			 0);
	assert_int_equal(c.max_ns, 0);
}

static void test_config_default_rejects_bad_args(void **state)
{
	struct vapic_haltpoll_config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(vapic_haltpoll_config_default(&c, 4), VAPIC_EINVAL);
	assert_int_equal(c.policy, 0x5a5a5a5a);
	assert_int_equal(vapic_haltpoll_config_default(NULL, 1), VAPIC_EINVAL);
}

/* Each bad config is refused with its code, and @hp is left untouched. */
static void expect_init_error(struct vapic_haltpoll_config *c, int err)
{
	struct vapic_haltpoll hp, orig;

	memset(&hp, 0xa5, sizeof(hp));
	orig = hp;
	assert_int_equal(vapic_haltpoll_init(&hp, c), err);
	assert_memory_equal(&hp, &orig, sizeof(hp));
}

static void test_config_invalid_is_rejected(void **state)
{
	struct vapic_haltpoll_config c, k, g, a;
	struct vapic_haltpoll hp;

	(void)state;
	assert_int_equal(vapic_haltpoll_config_default(&k, VAPIC_HALTPOLL_KVM),
			 0);
	assert_int_equal(
		vapic_haltpoll_config_default(&g, VAPIC_HALTPOLL_GUEST), 0);
	assert_int_equal(
		vapic_haltpoll_config_default(&a, VAPIC_HALTPOLL_ADAPTIVE), 0);
	assert_int_equal(vapic_haltpoll_init(NULL, &k), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_init(&hp, NULL), VAPIC_EINVAL);

	c = k;
	c.policy = 4;
	expect_init_error(&c, VAPIC_EINVAL);
	c = k;
	c.policy = 0xffffffff;
	expect_init_error(&c, VAPIC_EINVAL);
	c = k;
	c.flags = 0x100;
	expect_init_error(&c, VAPIC_EINVAL);
	c = k;
	c.reserved = 1;
	expect_init_error(&c, VAPIC_EINVAL);
	/* Flags and fields of another policy. */
	c = k;
	c.flags = VAPIC_HALTPOLL_F_NO_SHRINK;
	expect_init_error(&c, VAPIC_EINVAL);
	c = k;
	c.block_cost_ns = 1;
	expect_init_error(&c, VAPIC_EINVAL);
	c = g;
	c.flags = VAPIC_HALTPOLL_F_NO_TIMER;
	expect_init_error(&c, VAPIC_EINVAL);
	c = g;
	c.budget_ppm = 1;
	expect_init_error(&c, VAPIC_EINVAL);
	c = a;
	c.flags = VAPIC_HALTPOLL_F_NO_SHRINK;
	expect_init_error(&c, VAPIC_EINVAL);
	c = k;
	c.flags = VAPIC_HALTPOLL_F_EVENTS;
	expect_init_error(&c, VAPIC_EINVAL);
	c = g;
	c.flags = VAPIC_HALTPOLL_F_EVENTS;
	expect_init_error(&c, VAPIC_EINVAL);
	c = a;
	c.grow = 2;
	expect_init_error(&c, VAPIC_EINVAL);
	c = a;
	c.shrink = 2;
	expect_init_error(&c, VAPIC_EINVAL);
	c = a;
	c.grow_start_ns = 1;
	expect_init_error(&c, VAPIC_EINVAL);
	memset(&c, 0, sizeof(c));
	c.max_ns = 1;
	expect_init_error(&c, VAPIC_EINVAL); /* NONE */
	c.max_ns = 0;
	c.flags = VAPIC_HALTPOLL_F_NO_TIMER;
	expect_init_error(&c, VAPIC_EINVAL);

	/* ADAPTIVE ranges. */
	c = a;
	c.max_ns = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS + 1;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.timer_max_ns = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS + 1;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.block_cost_ns = 0;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.block_cost_ns = VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS + 1;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.cpu_weight_q8 = 0;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.cpu_weight_q8 = 0x10000;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.budget_ppm = VAPIC_PPM + 1;
	expect_init_error(&c, VAPIC_ERANGE);
	c = a;
	c.budget_burst_ns = VAPIC_ADAPTIVE_BURST_LIMIT_NS + 1;
	expect_init_error(&c, VAPIC_ERANGE);
}

static void test_config_limits_are_accepted(void **state)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll hp;

	(void)state;
	/* KVM takes every unsigned int its module parameters take. */
	assert_int_equal(vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_KVM),
			 0);
	c.max_ns = c.grow = c.grow_start_ns = c.shrink = 0xffffffffU;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	c.max_ns = c.grow = c.grow_start_ns = c.shrink = 0;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_ADAPTIVE), 0);
	c.max_ns = c.timer_max_ns = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
	c.block_cost_ns = VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS;
	c.cpu_weight_q8 = 0xffff;
	c.budget_ppm = VAPIC_PPM;
	c.budget_burst_ns = VAPIC_ADAPTIVE_BURST_LIMIT_NS;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
	c.max_ns = c.timer_max_ns = c.budget_ppm = c.budget_burst_ns = 0;
	c.block_cost_ns = c.cpu_weight_q8 = 1;
	assert_int_equal(vapic_haltpoll_init(&hp, &c), 0);
}

static void test_set_config_rules(void **state)
{
	static const uint64_t ramp[] = { 0, 10000, 20000 };
	struct vapic_haltpoll_config c, bad;
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	expect_windows(&hp, 30000, ramp, 3);
	c = hp.cfg;
	bad = c;
	bad.reserved = 7;
	assert_int_equal(vapic_haltpoll_set_config(&hp, &bad), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_set_config(NULL, &c), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_set_config(&hp, NULL), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 40000);
	/* During a halt: busy. */
	assert_int_equal(vapic_haltpoll_begin(&hp, now, 0, &w), 0);
	assert_int_equal(vapic_haltpoll_set_config(&hp, &c), VAPIC_EBUSY);
	assert_int_equal(vapic_haltpoll_end(&hp, now + 10, now + 10, 0), 0);
	/* Another policy starts afresh; stats are kept. */
	assert_int_equal(
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_GUEST), 0);
	assert_int_equal(vapic_haltpoll_set_config(&hp, &c), 0);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 0);
	assert_int_equal(hp.stats.halt_attempted_poll, 3);
}

static void test_halt_misuse_is_rejected(void **state)
{
	struct vapic_haltpoll hp;
	uint64_t w;

	(void)state;
	init_policy(&hp, VAPIC_HALTPOLL_KVM);
	assert_int_equal(vapic_haltpoll_end(&hp, 10, 10, 0), VAPIC_EBUSY);
	assert_int_equal(vapic_haltpoll_begin(NULL, 0, 0, &w), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_begin(&hp, 0, 0, NULL), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_end(NULL, 0, 0, 0), VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_begin(&hp, 1000, 0, &w), 0);
	assert_int_equal(vapic_haltpoll_begin(&hp, 1000, 0, &w), VAPIC_EBUSY);
	/* Bad ends leave the halt open and change nothing. */
	assert_int_equal(vapic_haltpoll_end(&hp, 1000, 2000, 0x80),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_end(&hp, 999, 2000, VAPIC_HALT_WAITED),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_haltpoll_end(&hp, 1500, 1400, VAPIC_HALT_WAITED),
			 VAPIC_EINVAL);
	assert_int_equal(hp.stats.halt_wakeup, 0);
	assert_int_equal(vapic_haltpoll_end(&hp, 1000, 2000, VAPIC_HALT_WAITED),
			 0);
	assert_int_equal(hp.stats.halt_wakeup, 1);
	assert_int_equal(vapic_haltpoll_end(&hp, 1000, 2000, 0), VAPIC_EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_kvm_grows_from_zero_by_grow_start_then_doubles),
		cmocka_unit_test(test_kvm_grow_past_max_is_capped_at_next_halt),
		cmocka_unit_test(test_kvm_long_halt_resets_with_shrink_zero),
		cmocka_unit_test(
			test_kvm_long_halt_with_zero_window_does_nothing),
		cmocka_unit_test(
			test_kvm_halt_equal_to_max_or_window_keeps_window),
		cmocka_unit_test(
			test_kvm_shrink_divisor_halves_then_drops_below_grow_start),
		cmocka_unit_test(
			test_kvm_grow_factor_three_and_custom_grow_start),
		cmocka_unit_test(test_kvm_grow_zero_never_grows),
		cmocka_unit_test(test_kvm_grow_start_above_max_is_capped),
		cmocka_unit_test(test_kvm_grow_wraps_like_unsigned_int),
		cmocka_unit_test(test_kvm_vm_max_caps_window_at_next_halt),
		cmocka_unit_test(
			test_kvm_vm_max_overrides_module_param_upwards),
		cmocka_unit_test(
			test_kvm_vm_max_change_during_halt_decides_at_end),
		cmocka_unit_test(test_kvm_vm_max_zero_disables_polling),
		cmocka_unit_test(
			test_kvm_vm_max_zero_during_halt_zeroes_window),
		cmocka_unit_test(
			test_kvm_module_param_change_applies_at_next_halt),
		cmocka_unit_test(test_kvm_invalid_wakeup_shrinks_and_counts),
		cmocka_unit_test(test_kvm_invalid_wakeup_does_not_grow),
		cmocka_unit_test(test_kvm_guest_no_poll_freezes_window),
		cmocka_unit_test(test_stats_kvm_accounting),
		cmocka_unit_test(test_stats_hist_buckets_fls64_and_cap),
		cmocka_unit_test(test_stats_success_after_loop_before_block),
		cmocka_unit_test(test_stats_descriptors_cover_struct),
		cmocka_unit_test(test_none_never_polls),
		cmocka_unit_test(test_guest_governor_sequence),
		cmocka_unit_test(test_guest_governor_caps_grow_immediately),
		cmocka_unit_test(test_guest_governor_boundaries),
		cmocka_unit_test(
			test_guest_governor_block_of_max_at_max_keeps_window),
		cmocka_unit_test(
			test_guest_governor_caught_poll_adjusts_nothing),
		cmocka_unit_test(test_guest_governor_no_shrink_and_shrink_zero),
		cmocka_unit_test(test_adaptive_polls_exactly_to_own_timer),
		cmocka_unit_test(test_adaptive_timer_window_flags_and_vm_max),
		cmocka_unit_test(
			test_adaptive_predictor_learns_steady_interval),
		cmocka_unit_test(test_adaptive_predictor_removes_block_cost),
		cmocka_unit_test(test_adaptive_block_cost_removal_clamps),
		cmocka_unit_test(test_adaptive_headroom_drops_after_long_halt),
		cmocka_unit_test(test_adaptive_predictor_markov_context),
		cmocka_unit_test(
			test_adaptive_predictor_declines_unprofitable_window),
		cmocka_unit_test(test_adaptive_cpu_weight_changes_decision),
		cmocka_unit_test(
			test_adaptive_context_after_timer_ended_long_halt),
		cmocka_unit_test(test_adaptive_short_timer_wake_keeps_context),
		cmocka_unit_test(test_adaptive_decay_remembers_rare_interval),
		cmocka_unit_test(test_adaptive_extreme_config_stays_in_range),
		cmocka_unit_test(test_adaptive_invalid_wakeup_not_learnt),
		cmocka_unit_test(test_adaptive_guest_no_poll_never_polls),
		cmocka_unit_test(
			test_adaptive_lowered_max_turns_learnt_intervals_long),
		cmocka_unit_test(test_adaptive_break_even_window_not_polled),
		cmocka_unit_test(
			test_adaptive_blocked_halt_learnt_as_at_least_its_poll),
		cmocka_unit_test(
			test_adaptive_context_decay_forgets_old_behaviour),
		cmocka_unit_test(
			test_adaptive_events_continue_a_timer_cut_wait),
		cmocka_unit_test(test_adaptive_event_report_starts_a_new_wait),
		cmocka_unit_test(test_event_reports_are_counted),
		cmocka_unit_test(
			test_adaptive_events_continued_halts_are_counted),
		cmocka_unit_test(
			test_adaptive_events_invalid_wakeup_continues_wait),
		cmocka_unit_test(test_adaptive_events_learn_the_whole_wait),
		cmocka_unit_test(test_adaptive_events_wait_past_max_not_polled),
		cmocka_unit_test(test_adaptive_events_age_includes_block_cost),
		cmocka_unit_test(
			test_adaptive_events_reported_end_learns_the_wait),
		cmocka_unit_test(
			test_adaptive_events_wait_learnt_if_partly_predicted),
		cmocka_unit_test(
			test_adaptive_events_random_mix_stays_in_range),
		cmocka_unit_test(test_adaptive_budget_arithmetic),
		cmocka_unit_test(
			test_adaptive_invalid_wakeup_in_poll_uses_budget),
		cmocka_unit_test(test_adaptive_lowered_burst_caps_credit),
		cmocka_unit_test(
			test_adaptive_budget_refill_saturates_on_huge_gap),
		cmocka_unit_test(test_adaptive_budget_bounds_wasted_polling),
		cmocka_unit_test(test_adaptive_budget_spares_timer_polls),
		cmocka_unit_test(test_adaptive_timer_shortens_predicted_window),
		cmocka_unit_test(test_adaptive_no_predict_flag),
		cmocka_unit_test(test_adaptive_predictor_follows_change),
		cmocka_unit_test(test_timer_ns_helper),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_default_rejects_bad_args),
		cmocka_unit_test(test_config_invalid_is_rejected),
		cmocka_unit_test(test_config_limits_are_accepted),
		cmocka_unit_test(test_set_config_rules),
		cmocka_unit_test(test_halt_misuse_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
