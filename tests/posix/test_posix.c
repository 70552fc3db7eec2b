// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The POSIX adapter's thread hand-offs: kicks reach a halted thread and a
 * thread "in KVM_RUN" (its immediate_exit byte), timers complete through
 * vapic_timer_expired() on the vCPU thread, and never early.
 *
 * Real threads and signals, but no assertion on how long anything takes:
 * every test waits for an outcome and checks which outcome it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <vapic/errors.h>
#include <vapic/timer.h>
#include "vapic_posix.h"

static struct vapic_posix_clock clk;
static struct vapic_host_ops ops;

static int setup(void **state)
{
	(void)state;
	if (!clk.tsc_khz)
		clk.tsc_khz = vapic_posix_tsc_measure_khz(10000000);
	vapic_posix_host_ops(&ops);
	return 0;
}

static void short_sleep(void)
{
	struct timespec ts = { 0, 50000 };

	nanosleep(&ts, NULL);
}

static void *kicker(void *arg)
{
	vapic_posix_kick(arg);
	return NULL;
}

static void test_halt_wakes_on_kick_from_another_thread(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	pthread_t thr;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	assert_int_equal(pthread_create(&thr, NULL, kicker, &v), 0);
	assert_int_equal(vapic_posix_halt(&v, VAPIC_POSIX_NEVER),
			 VAPIC_POSIX_WAKE_KICK);
	pthread_join(thr, NULL);
	/* service() consumes the kick exactly once. */
	assert_true(vapic_posix_service(&v));
	assert_false(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

static void test_halt_times_out_at_until(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	assert_int_equal(vapic_posix_halt(&v, vapic_posix_now_ns() + 100000),
			 VAPIC_POSIX_WAKE_TIMEOUT);
	assert_false(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

static void test_tsc_deadline_interrupt_is_delivered_never_early(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	struct vapic_timer_event ev;
	uint64_t deadline;
	int r, halts = 0;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_lvtt(&t, 0x40040, false), 0);
	deadline = vapic_posix_rdtsc() + clk.tsc_khz / 5; /* 200 us */
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, deadline), 0);
	assert_int_not_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	for (;;) {
		vapic_posix_service(&v);
		r = vapic_timer_poll(&t, 0, &ev);
		if (r == VAPIC_TIMER_INJECT)
			break;
		if (r == VAPIC_TIMER_WAIT) {
			uint64_t until = vapic_posix_now_ns() + ev.wait_ns;

			while (vapic_posix_now_ns() < until)
				;
			continue;
		}
		assert_int_equal(r, VAPIC_TIMER_NONE);
		vapic_posix_halt(&v, VAPIC_POSIX_NEVER);
		halts++;
	}
	assert_true(vapic_posix_rdtsc() >= deadline);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(t.stats.early, 0);
	assert_int_equal(t.stats.injections, 1);
	assert_true(halts >= 1);
	assert_int_equal(v.stats.fires, 1);
	/* One-shot: nothing more to come. */
	assert_int_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	vapic_timer_destroy(&t);
	vapic_posix_vcpu_destroy(&v);
}

static void test_enter_refuses_after_a_kick(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, &ie), 0);
	vapic_posix_kick(&v);
	assert_false(vapic_posix_enter(&v));
	assert_int_equal(v.stats.entries_refused, 1);
	assert_true(vapic_posix_service(&v));
	assert_true(vapic_posix_enter(&v));
	vapic_posix_exit(&v, false);
	vapic_posix_vcpu_destroy(&v);
}

static void test_kick_in_guest_sets_immediate_exit_by_signal(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;
	pthread_t thr;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, &ie), 0);
	assert_true(vapic_posix_enter(&v));
	/* "In KVM_RUN": the kick must arrive as a signal. */
	assert_int_equal(pthread_create(&thr, NULL, kicker, &v), 0);
	while (!ie)
		short_sleep(); /* ThreadSanitizer delivers signals there */
	pthread_join(thr, NULL);
	assert_int_equal(v.stats.kick_signals, 1);
	vapic_posix_exit(&v, true);
	assert_int_equal(ie, 0);
	assert_true(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

static void test_timer_signal_reaches_thread_in_guest(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, &ie), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_lvtt(&t, 0x40041, false), 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(
				 &t, vapic_posix_rdtsc() + clk.tsc_khz),
			 0); /* 1 ms */
	assert_true(vapic_posix_enter(&v));
	while (!ie) /* the POSIX timer's signal sets it */
		short_sleep();
	vapic_posix_exit(&v, true);
	assert_int_equal(v.stats.timer_exits, 1);
	/*
	 * Kicked up to the kick advance early: entry is refused until the
	 * expiry, which the thread waits out; then the timer fires.
	 */
	if (vapic_posix_now_ns() < vapic_posix_expires_ns(&v))
		assert_false(vapic_posix_enter(&v));
	vapic_posix_wait_expiry(&v, VAPIC_POSIX_NEVER);
	assert_true(vapic_posix_now_ns() >= vapic_posix_expires_ns(&v));
	assert_true(vapic_posix_service(&v));
	assert_int_equal(v.stats.fires, 1);
	vapic_timer_destroy(&t);
	vapic_posix_vcpu_destroy(&v);
}

/*
 * The kernel timer fires while the thread is out of the guest (handling an
 * exit): its signal sets immediate_exit there.  When the thread enters
 * again for a later expiry, with nothing pending, that stale byte must not
 * bounce KVM_RUN straight back with EINTR.
 */
static void
test_timer_signal_in_userspace_does_not_bounce_next_entry(void **state)
{
	struct vapic_posix_vcpu v;
	volatile uint8_t ie = 0;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(ops.timer_arm(&v, vapic_posix_now_ns() + 1000000), 0);
	assert_true(vapic_posix_enter(&v)); /* programs the kernel timer */
	vapic_posix_exit(&v, false); /* an exit of the guest's own */
	while (!ie) /* the kernel timer's signal, in userspace */
		short_sleep();
	/* The deadline moves 1 s out; nothing is pending now. */
	ops.timer_cancel(&v);
	assert_int_equal(ops.timer_arm(&v, vapic_posix_now_ns() + 1000000000),
			 0);
	assert_false(vapic_posix_kicked(&v));
	assert_true(vapic_posix_enter(&v));
	assert_int_equal(ie, 0);
	vapic_posix_exit(&v, false);
	ops.timer_cancel(&v);
	vapic_posix_vcpu_destroy(&v);
}

/* The process's POSIX timers (/proc/self/timers), or -1. */
static int posix_timers(void)
{
	FILE *f = fopen("/proc/self/timers", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "ID:", 3))
			n++;
	fclose(f);
	return n;
}

/* Attaching again (a vCPU moved to another thread) keeps one timer. */
static void test_attach_again_keeps_one_posix_timer(void **state)
{
	struct vapic_posix_vcpu v;
	volatile uint8_t ie = 0;
	int n0 = posix_timers();

	(void)state;
	if (n0 < 0)
		skip();
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(posix_timers(), n0 + 1);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(posix_timers(), n0 + 1);
	vapic_posix_vcpu_destroy(&v);
	assert_int_equal(posix_timers(), n0);
}

static void test_init_rejects_out_of_range_knobs(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_posix_config cfg;
	struct vapic_posix_clock zero = { 0 };

	(void)state;
	vapic_posix_config_default(&cfg);
	cfg.spin_margin_ns = VAPIC_POSIX_ADVANCE_LIMIT_NS + 1;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.kick_advance_ns = VAPIC_POSIX_ADVANCE_LIMIT_NS + 1;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.flags = 0x80;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.signo = 1;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, &cfg), -EINVAL);
	assert_int_equal(vapic_posix_vcpu_init(&v, &zero, 0, NULL), -EINVAL);
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
}

static void test_halt_spins_to_until_and_times_out(void **state)
{
	struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	uint64_t until;

	(void)state;
	assert_int_equal(vapic_posix_vcpu_init(&v, &clk, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	/* A timer armed after @until: the caller's deadline comes first. */
	assert_int_equal(ops.timer_arm(&v, vapic_posix_now_ns() + 50000000), 0);
	until = vapic_posix_now_ns() + 5000; /* inside the spin margin */
	assert_int_equal(vapic_posix_halt(&v, until), VAPIC_POSIX_WAKE_TIMEOUT);
	assert_true(vapic_posix_now_ns() >= until);
	assert_int_equal(v.stats.halt_sleeps, 0); /* spun, did not sleep */
	ops.timer_cancel(&v);
	vapic_posix_vcpu_destroy(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_halt_wakes_on_kick_from_another_thread),
		cmocka_unit_test(test_halt_times_out_at_until),
		cmocka_unit_test(
			test_tsc_deadline_interrupt_is_delivered_never_early),
		cmocka_unit_test(test_enter_refuses_after_a_kick),
		cmocka_unit_test(
			test_kick_in_guest_sets_immediate_exit_by_signal),
		cmocka_unit_test(test_timer_signal_reaches_thread_in_guest),
		cmocka_unit_test(
			test_timer_signal_in_userspace_does_not_bounce_next_entry),
		cmocka_unit_test(test_attach_again_keeps_one_posix_timer),
		cmocka_unit_test(test_init_rejects_out_of_range_knobs),
		cmocka_unit_test(test_halt_spins_to_until_and_times_out),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
