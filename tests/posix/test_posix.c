// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The POSIX adapter's thread hand-offs: kicks reach a halted thread and a
 * thread "in KVM_RUN" (its immediate_exit byte), timers complete through
 * vapic_timer_expired() on the vCPU thread, and never early.
 *
 * Real threads and signals, but no assertion on how long anything takes:
 * every test waits for an outcome and checks which outcome it was.  A test
 * that needs the thread to get somewhere before a deadline (to enter "the
 * guest" before its timer is due, say) runs as attempts: an attempt whose
 * thread lost the CPU past that deadline (a loaded or nested host can
 * take milliseconds away) is inconclusive and run again; the test fails
 * if none of ATTEMPTS is conclusive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

struct offset_reader {
	struct vapic_posix_vcpu *v;
	uint64_t a, b;
	int stop;
	unsigned long seen_a, seen_b, bad; /* reads that saw a, b, neither */
};

/*
 * Each test's vCPUs (and its offset reader) are static, recorded when
 * initialised; its threads are recorded when started.  A test that fails
 * an assertion leaves through a longjmp, past its own joins and destroy
 * calls; teardown() then stops the reader, joins the threads and deletes
 * the POSIX timers, so no signal or thread of a failed test reaches the
 * next one or a dead stack frame.
 */
#define MAX_LIVE 4
static struct vapic_posix_vcpu *live[MAX_LIVE];
static unsigned int nlive;
static pthread_t live_threads[MAX_LIVE];
static unsigned int nthreads;
static struct offset_reader *live_reader;

/* vapic_posix_vcpu_init() on clk; a vCPU it accepts is recorded. */
static int vcpu_init(struct vapic_posix_vcpu *v, uint64_t tsc_offset,
		     const struct vapic_posix_config *cfg)
{
	int ret = vapic_posix_vcpu_init(v, &clk, tsc_offset, cfg);
	unsigned int i;

	for (i = 0; i < nlive && live[i] != v; i++)
		;
	if (!ret && i == nlive) {
		assert_true(nlive < MAX_LIVE);
		live[nlive++] = v;
	}
	return ret;
}

/* pthread_create(), recorded. */
static void start_thread(void *(*fn)(void *), void *arg)
{
	assert_true(nthreads < MAX_LIVE);
	assert_int_equal(pthread_create(&live_threads[nthreads], NULL, fn, arg),
			 0);
	nthreads++;
}

/* pthread_join() of the last thread started; returns its result. */
static void *join_thread(void)
{
	void *ret = NULL;

	assert_true(nthreads > 0);
	pthread_join(live_threads[--nthreads], &ret);
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	if (live_reader)
		__atomic_store_n(&live_reader->stop, 1, __ATOMIC_RELEASE);
	live_reader = NULL;
	while (nthreads)
		pthread_join(live_threads[--nthreads], NULL);
	while (nlive)
		vapic_posix_vcpu_destroy(live[--nlive]); /* idempotent */
	return 0;
}

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

#define ATTEMPTS 10

/* Runs @attempt until one is conclusive (returns true), ATTEMPTS at most. */
static void conclusive(bool (*attempt)(void))
{
	int i;

	for (i = 0; i < ATTEMPTS; i++)
		if (attempt())
			return;
	fail_msg("no conclusive attempt in %d: the thread was always late",
		 ATTEMPTS);
}

/*
 * vapic_posix_enter(); false if it refused because @v's timer was due
 * (the thread came late), which is checked; not for a refused kick.
 */
static bool entered(struct vapic_posix_vcpu *v)
{
	uint64_t refused = v->stats.entries_refused;

	if (vapic_posix_enter(v))
		return true;
	assert_int_equal(v->stats.entries_refused, refused + 1);
	assert_false(vapic_posix_kicked(v));
	assert_true(vapic_posix_now_ns() + v->cfg.kick_advance_ns >=
		    vapic_posix_expires_ns(v));
	return false;
}

static void *kicker(void *arg)
{
	vapic_posix_kick(arg);
	return NULL;
}

static void test_halt_wakes_on_kick_from_another_thread(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	start_thread(kicker, &v);
	assert_int_equal(vapic_posix_halt(&v, VAPIC_POSIX_NEVER),
			 VAPIC_POSIX_WAKE_KICK);
	join_thread();
	/* service() consumes the kick exactly once. */
	assert_true(vapic_posix_service(&v));
	assert_false(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

static void test_halt_times_out_at_until(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	assert_int_equal(vapic_posix_halt(&v, vapic_posix_now_ns() + 100000),
			 VAPIC_POSIX_WAKE_TIMEOUT);
	assert_false(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

/* A timer attached to @v in TSC-deadline mode, vector 0x40. */
static void tscd_timer(struct vapic_posix_vcpu *v, struct vapic_timer *t,
		       uint64_t offset)
{
	struct vapic_timer_config cfg;

	assert_int_equal(vcpu_init(v, offset, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(t, &cfg, &ops, v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(v, t, NULL), 0);
	vapic_timer_set_sw_enabled(t, true);
	assert_int_equal(vapic_timer_write_lvtt(t, 0x40040, false), 0);
}

/*
 * Service, poll, wait out the advance or halt until the timer injects;
 * returns the guest TSC (the adapter's view) at the injection.  *@halts
 * (if not NULL) counts the halts on the way.
 */
static uint64_t run_to_injection(struct vapic_posix_vcpu *v,
				 struct vapic_timer *t, int *halts)
{
	struct vapic_timer_event ev;
	int r;

	for (;;) {
		vapic_posix_service(v);
		r = vapic_timer_poll(t, 0, &ev);
		if (r == VAPIC_TIMER_INJECT)
			break;
		if (r == VAPIC_TIMER_WAIT) {
			uint64_t until = vapic_posix_now_ns() + ev.wait_ns;

			while (vapic_posix_now_ns() < until)
				;
			continue;
		}
		assert_int_equal(r, VAPIC_TIMER_NONE);
		vapic_posix_halt(v, VAPIC_POSIX_NEVER);
		if (halts)
			(*halts)++;
	}
	assert_int_equal(ev.vector, 0x40);
	return ops.guest_tsc(v);
}

/* Inconclusive if the thread came back after the deadline: no halt. */
static bool attempt_tsc_deadline_interrupt_is_delivered_never_early(void)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	uint64_t deadline;
	int halts = 0;

	tscd_timer(&v, &t, 0);
	deadline = vapic_posix_rdtsc() + clk.tsc_khz / 5; /* 200 us */
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, deadline), 0);
	assert_int_not_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	assert_true(run_to_injection(&v, &t, &halts) >= deadline);
	assert_true(vapic_posix_rdtsc() >= deadline);
	assert_int_equal(t.stats.early, 0);
	assert_int_equal(t.stats.injections, 1);
	assert_int_equal(v.stats.fires, 1);
	/* One-shot: nothing more to come. */
	assert_int_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	vapic_timer_destroy(&t);
	vapic_posix_vcpu_destroy(&v);
	return halts >= 1;
}

static void test_tsc_deadline_interrupt_is_delivered_never_early(void **state)
{
	(void)state;
	conclusive(attempt_tsc_deadline_interrupt_is_delivered_never_early);
}

static void test_enter_refuses_after_a_kick(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
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
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, &ie), 0);
	assert_true(vapic_posix_enter(&v));
	/* "In KVM_RUN": the kick must arrive as a signal. */
	start_thread(kicker, &v);
	while (!ie)
		short_sleep(); /* ThreadSanitizer delivers signals there */
	join_thread();
	assert_int_equal(v.stats.kick_signals, 1);
	vapic_posix_exit(&v, true);
	assert_int_equal(ie, 0);
	assert_true(vapic_posix_service(&v));
	vapic_posix_vcpu_destroy(&v);
}

/* Inconclusive if the timer was due before the thread entered. */
static bool attempt_timer_signal_reaches_thread_in_guest(void)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	volatile uint8_t ie = 0;

	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, &ie), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_lvtt(&t, 0x40041, false), 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(
				 &t, vapic_posix_rdtsc() + clk.tsc_khz),
			 0); /* 1 ms */
	if (!entered(&v)) {
		vapic_timer_destroy(&t);
		vapic_posix_vcpu_destroy(&v);
		return false;
	}
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
	return true;
}

static void test_timer_signal_reaches_thread_in_guest(void **state)
{
	(void)state;
	conclusive(attempt_timer_signal_reaches_thread_in_guest);
}

/*
 * The kernel timer fires while the thread is out of the guest (handling an
 * exit): its signal sets immediate_exit there.  When the thread enters
 * again for a later expiry, with nothing pending, that stale byte must not
 * bounce KVM_RUN straight back with EINTR.  Inconclusive if the timer was
 * due before the first entry.
 */
static bool attempt_timer_signal_in_userspace_does_not_bounce_next_entry(void)
{
	static struct vapic_posix_vcpu v;
	volatile uint8_t ie = 0;

	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(ops.timer_arm(&v, vapic_posix_now_ns() + 1000000), 0);
	if (!entered(&v)) { /* (entering programs the kernel timer) */
		ops.timer_cancel(&v);
		vapic_posix_vcpu_destroy(&v);
		return false;
	}
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
	return true;
}

static void
test_timer_signal_in_userspace_does_not_bounce_next_entry(void **state)
{
	(void)state;
	conclusive(
		attempt_timer_signal_in_userspace_does_not_bounce_next_entry);
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
	static struct vapic_posix_vcpu v;
	volatile uint8_t ie = 0;
	int n0 = posix_timers();

	(void)state;
	if (n0 < 0)
		skip();
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(posix_timers(), n0 + 1);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, &ie), 0);
	assert_int_equal(posix_timers(), n0 + 1);
	vapic_posix_vcpu_destroy(&v);
	assert_int_equal(posix_timers(), n0);
}

static void test_init_rejects_out_of_range_knobs(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_posix_config cfg;
	struct vapic_posix_clock zero = { 0 };

	(void)state;
	vapic_posix_config_default(&cfg);
	cfg.spin_margin_ns = VAPIC_POSIX_ADVANCE_LIMIT_NS + 1;
	assert_int_equal(vcpu_init(&v, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.kick_advance_ns = VAPIC_POSIX_ADVANCE_LIMIT_NS + 1;
	assert_int_equal(vcpu_init(&v, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.flags = 0x80;
	assert_int_equal(vcpu_init(&v, 0, &cfg), -EINVAL);
	vapic_posix_config_default(&cfg);
	cfg.signo = 1;
	assert_int_equal(vcpu_init(&v, 0, &cfg), -EINVAL);
	assert_int_equal(vapic_posix_vcpu_init(&v, &zero, 0, NULL), -EINVAL);
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
}

static void test_halt_spins_to_until_and_times_out(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	uint64_t until;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
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

/* ---- the guest TSC offset (vapic_posix_set_tsc_offset) ---------------- */

/* @ms milliseconds of guest TSC at the measured rate. */
static uint64_t ms_to_tsc(uint64_t ms)
{
	return ms * clk.tsc_khz;
}

/*
 * The guest TSC is still before @deadline (read after the move, so it was
 * before at the move too); else tears @v and @t down: the attempt is
 * inconclusive.
 */
static bool tsc_before(struct vapic_posix_vcpu *v, struct vapic_timer *t,
		       uint64_t deadline)
{
	if (ops.guest_tsc(v) < deadline)
		return true;
	vapic_timer_destroy(t);
	vapic_posix_vcpu_destroy(v);
	return false;
}

/*
 * Is @off the guest TSC offset, given a guest TSC @g read between the host
 * TSC reads @h0 and @h1?  Modulo 2^64: g - off lies in [h0, h1].
 */
static bool offset_is(uint64_t g, uint64_t h0, uint64_t h1, uint64_t off)
{
	return g - off - h0 <= h1 - h0;
}

/*
 * The end of a tscd_timer() test: its one interrupt came, not early, from
 * @fires host timer expiries; both torn down.
 */
static void one_tick_on_time(struct vapic_posix_vcpu *v, struct vapic_timer *t,
			     uint64_t fires)
{
	assert_int_equal(t->stats.injections, 1);
	assert_int_equal(t->stats.early, 0);
	assert_int_equal(v->stats.fires, fires);
	vapic_timer_destroy(t);
	vapic_posix_vcpu_destroy(v);
}

static void test_init_offset_is_the_guest_tsc_offset(void **state)
{
	static struct vapic_posix_vcpu v;
	const uint64_t off = 0xfffffffc00000000ULL; /* negative: -2^34 */
	uint64_t h0, g, h1;

	(void)state;
	assert_int_equal(vcpu_init(&v, off, NULL), 0);
	assert_int_equal(vapic_posix_tsc_offset(&v), off);
	h0 = vapic_posix_rdtsc();
	g = ops.guest_tsc(&v);
	h1 = vapic_posix_rdtsc();
	/* guest - host, modulo 2^64, bracketed by two host reads */
	assert_true(offset_is(g, h0, h1, off));
}

static void test_set_tsc_offset_moves_the_guest_tsc(void **state)
{
	static struct vapic_posix_vcpu v;
	const uint64_t off = 1ULL << 40;
	uint64_t h0, g, h1;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	/* Not attached, no timer: only the offset changes. */
	assert_int_equal(vapic_posix_set_tsc_offset(&v, off), 0);
	assert_int_equal(vapic_posix_tsc_offset(&v), off);
	h0 = vapic_posix_rdtsc();
	g = ops.guest_tsc(&v);
	h1 = vapic_posix_rdtsc();
	assert_true(offset_is(g, h0, h1, off));
	h0 = vapic_posix_rdtsc();
	g = vapic_posix_guest_tsc(&v);
	h1 = vapic_posix_rdtsc();
	assert_true(offset_is(g, h0, h1, off));
	/* and back, below the host TSC */
	assert_int_equal(vapic_posix_set_tsc_offset(&v, (uint64_t)-5), 0);
	h0 = vapic_posix_rdtsc();
	g = ops.guest_tsc(&v);
	h1 = vapic_posix_rdtsc();
	assert_true(offset_is(g, h0, h1, (uint64_t)-5));
}

/*
 * The guest TSC jumps past an armed deadline 10 s away: the interrupt is
 * due at once (the timer was told), not when the host timer armed for the
 * old TSC would have fired.
 */
static void test_tsc_moved_past_the_deadline_injects_at_once(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_event ev;
	uint64_t deadline, off = 12345;
	int r;

	(void)state;
	tscd_timer(&v, &t, off);
	deadline = ops.guest_tsc(&v) + ms_to_tsc(10000);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, deadline), 0);
	assert_int_not_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	vapic_posix_service(&v);
	assert_int_equal(vapic_timer_poll(&t, 0, &ev), VAPIC_TIMER_NONE);

	assert_int_equal(vapic_posix_set_tsc_offset(&v, off + ms_to_tsc(20000)),
			 0);
	/* Told: the tick is complete, the host timer of the old TSC gone. */
	assert_int_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	/* No halt: only the advance wait, if any, before the interrupt. */
	for (;;) {
		vapic_posix_service(&v);
		r = vapic_timer_poll(&t, 0, &ev);
		if (r != VAPIC_TIMER_WAIT)
			break;
	}
	assert_int_equal(r, VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_true(ops.guest_tsc(&v) >= deadline);
	/* The host timer of the old TSC never expired: nothing is armed. */
	assert_int_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	one_tick_on_time(&v, &t, 0);
}

/*
 * The guest TSC jumps 9.99 s forward while a deadline 10 s away is armed:
 * the host timer moves 9.99 s earlier (a halted vCPU sleeps until it), and
 * the interrupt comes from its one expiry, never early.  Inconclusive if
 * the moved TSC had already passed the deadline (the thread lost 10 ms).
 */
static bool attempt_tsc_moved_forward_brings_the_host_timer_earlier(void)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	uint64_t deadline, exp, off = 0;

	tscd_timer(&v, &t, off);
	deadline = ops.guest_tsc(&v) + ms_to_tsc(10000);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, deadline), 0);
	exp = vapic_posix_expires_ns(&v);
	assert_int_not_equal(exp, VAPIC_POSIX_NEVER);
	assert_int_equal(vapic_posix_set_tsc_offset(&v, off + ms_to_tsc(9990)),
			 0);
	if (!tsc_before(&v, &t, deadline))
		return false;
	/* 9.99 s earlier, give or take the clock reads: 5 s is plenty. */
	assert_true(vapic_posix_expires_ns(&v) < exp - 5000000000ULL);
	assert_true(run_to_injection(&v, &t, NULL) >= deadline);
	one_tick_on_time(&v, &t, 1);
	return true;
}

static void test_tsc_moved_forward_brings_the_host_timer_earlier(void **state)
{
	(void)state;
	conclusive(attempt_tsc_moved_forward_brings_the_host_timer_earlier);
}

/*
 * The guest TSC moves back 2 ms while a deadline 1 ms away is armed: the
 * interrupt comes when the moved TSC reaches the deadline, from one host
 * timer expiry: the host timer was re-armed for the new TSC, not left to
 * fire 2 ms early (where the core would only catch it and arm again).
 * Inconclusive if the moved TSC had already passed the deadline.
 */
static bool attempt_tsc_moved_back_delays_the_deadline_never_early(void)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	uint64_t deadline, off = 0;

	tscd_timer(&v, &t, off);
	deadline = ops.guest_tsc(&v) + ms_to_tsc(1);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, deadline), 0);
	assert_int_equal(vapic_posix_set_tsc_offset(&v, off - ms_to_tsc(2)), 0);
	if (!tsc_before(&v, &t, deadline))
		return false;
	assert_true(run_to_injection(&v, &t, NULL) >= deadline);
	assert_int_equal(vapic_posix_expires_ns(&v), VAPIC_POSIX_NEVER);
	one_tick_on_time(&v, &t, 1);
	return true;
}

static void test_tsc_moved_back_delays_the_deadline_never_early(void **state)
{
	(void)state;
	conclusive(attempt_tsc_moved_back_delays_the_deadline_never_early);
}

/* The same offset again touches nothing: no cancel, no arm. */
static void test_set_same_tsc_offset_is_a_no_op(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	uint64_t arms, cancels, exp;

	(void)state;
	tscd_timer(&v, &t, 777);
	assert_int_equal(vapic_timer_write_tsc_deadline(
				 &t, ops.guest_tsc(&v) + ms_to_tsc(10000)),
			 0);
	arms = v.stats.arms;
	cancels = v.stats.cancels;
	exp = vapic_posix_expires_ns(&v);
	assert_int_equal(vapic_posix_set_tsc_offset(&v, 777), 0);
	assert_int_equal(v.stats.arms, arms);
	assert_int_equal(v.stats.cancels, cancels);
	assert_int_equal(vapic_posix_expires_ns(&v), exp);
	/* A different one re-arms (cancel + arm). */
	assert_int_equal(vapic_posix_set_tsc_offset(&v, 778), 0);
	assert_int_equal(v.stats.cancels, cancels + 1);
	assert_int_equal(v.stats.arms, arms + 1);
	vapic_timer_destroy(&t);
	vapic_posix_vcpu_destroy(&v);
}

/*
 * One-shot counting runs on the APIC bus clock: a TSC move either way
 * keeps the current count (it goes on counting down, by no more than the
 * bus cycles that passed around the move).
 */
static void test_tsc_move_keeps_the_oneshot_count(void **state)
{
	static struct vapic_posix_vcpu v;
	struct vapic_timer t;
	struct vapic_timer_config cfg;
	const uint64_t bus_khz = VAPIC_BUS_KHZ_DEFAULT;
	uint64_t h0, h1, max_done;
	uint32_t c1, c2, c3;

	(void)state;
	assert_int_equal(vcpu_init(&v, 0, NULL), 0);
	vapic_timer_config_default(&cfg, clk.tsc_khz);
	assert_int_equal(vapic_timer_init(&t, &cfg, &ops, &v), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, &t, NULL), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_tdcr(&t, 0xb, false), 0); /* 1 */
	assert_int_equal(vapic_timer_write_lvtt(&t, 0x40, false), 0);
	assert_int_equal(vapic_timer_write_tmict(&t, 0xffffffffU), 0);

	h0 = vapic_posix_rdtsc();
	c1 = vapic_timer_read_tmcct(&t);
	/* back 1 s: the count must not go up */
	assert_int_equal(vapic_posix_set_tsc_offset(&v, -ms_to_tsc(1000)), 0);
	c2 = vapic_timer_read_tmcct(&t);
	assert_true(c2 <= c1);
	/* forward 2 s: it must not drop by those 2 s either */
	assert_int_equal(vapic_posix_set_tsc_offset(&v, ms_to_tsc(1000)), 0);
	c3 = vapic_timer_read_tmcct(&t);
	h1 = vapic_posix_rdtsc();
	assert_true(c3 <= c2);
	max_done = (h1 - h0) * bus_khz / clk.tsc_khz + 2;
	assert_true((uint64_t)(c1 - c3) <= max_done);
	vapic_timer_destroy(&t);
	vapic_posix_vcpu_destroy(&v);
}

static void *set_offset_thread(void *arg)
{
	return (void *)(intptr_t)vapic_posix_set_tsc_offset(arg, 99);
}

/* Only the attached vCPU thread may move its TSC. */
static void test_set_tsc_offset_from_another_thread_is_refused(void **state)
{
	static struct vapic_posix_vcpu v;
	void *ret;

	(void)state;
	assert_int_equal(vapic_posix_set_tsc_offset(NULL, 1), -EINVAL);
	assert_int_equal(vcpu_init(&v, 5, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, NULL), 0);
	start_thread(set_offset_thread, &v);
	ret = join_thread();
	assert_int_equal((intptr_t)ret, -EINVAL);
	assert_int_equal(vapic_posix_tsc_offset(&v), 5);
	vapic_posix_vcpu_destroy(&v);
}

static void *offset_reader(void *arg)
{
	struct offset_reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t h0 = vapic_posix_rdtsc();
		uint64_t g = ops.guest_tsc(r->v);
		uint64_t h1 = vapic_posix_rdtsc();

		if (offset_is(g, h0, h1, r->a))
			__atomic_store_n(&r->seen_a, r->seen_a + 1,
					 __ATOMIC_RELAXED);
		else if (offset_is(g, h0, h1, r->b))
			__atomic_store_n(&r->seen_b, r->seen_b + 1,
					 __ATOMIC_RELAXED);
		else
			__atomic_store_n(&r->bad, r->bad + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Another thread reading the guest TSC (the guest_tsc op may be called
 * from any context) while the vCPU thread moves it sees the old offset or
 * the new one, nothing else (and ThreadSanitizer sees no race).
 */
static void test_guest_tsc_read_elsewhere_sees_old_or_new_offset(void **state)
{
	static struct vapic_posix_vcpu v;
	static struct offset_reader r;
	unsigned long i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.v = &v;
	r.a = 0x0123456789abcdefULL;
	r.b = 0xfedcba9876543210ULL;
	assert_int_equal(vcpu_init(&v, r.a, NULL), 0);
	assert_int_equal(vapic_posix_vcpu_attach(&v, NULL, NULL), 0);
	live_reader = &r;
	start_thread(offset_reader, &r);
	/*
	 * 20000 flips; every 2500, after a flip to each offset, the writer
	 * yields until the reader has read that offset, so both are read
	 * concurrently with the flips however the two threads get scheduled
	 * (on one CPU the reader runs only when the writer yields).
	 */
	for (i = 0; i < 20000; i++) {
		unsigned long *seen = i & 1 ? &r.seen_a : &r.seen_b;
		unsigned long n;

		assert_int_equal(
			vapic_posix_set_tsc_offset(&v, i & 1 ? r.a : r.b), 0);
		if (i % 2500 > 1)
			continue;
		n = __atomic_load_n(seen, __ATOMIC_RELAXED);
		while (__atomic_load_n(seen, __ATOMIC_RELAXED) == n &&
		       !__atomic_load_n(&r.bad, __ATOMIC_RELAXED))
			sched_yield(); /* (a bad read fails below) */
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	join_thread();
	live_reader = NULL;
	assert_int_equal(r.bad, 0);
	vapic_posix_vcpu_destroy(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			test_halt_wakes_on_kick_from_another_thread, teardown),
		cmocka_unit_test_teardown(test_halt_times_out_at_until,
					  teardown),
		cmocka_unit_test_teardown(
			test_tsc_deadline_interrupt_is_delivered_never_early,
			teardown),
		cmocka_unit_test_teardown(test_enter_refuses_after_a_kick,
					  teardown),
		cmocka_unit_test_teardown(
			test_kick_in_guest_sets_immediate_exit_by_signal,
			teardown),
		cmocka_unit_test_teardown(
			test_timer_signal_reaches_thread_in_guest, teardown),
		cmocka_unit_test_teardown(
			test_timer_signal_in_userspace_does_not_bounce_next_entry,
			teardown),
		cmocka_unit_test_teardown(
			test_attach_again_keeps_one_posix_timer, teardown),
		cmocka_unit_test_teardown(test_init_rejects_out_of_range_knobs,
					  teardown),
		cmocka_unit_test_teardown(
			test_halt_spins_to_until_and_times_out, teardown),
		cmocka_unit_test_teardown(
			test_init_offset_is_the_guest_tsc_offset, teardown),
		cmocka_unit_test_teardown(
			test_set_tsc_offset_moves_the_guest_tsc, teardown),
		cmocka_unit_test_teardown(
			test_tsc_moved_past_the_deadline_injects_at_once,
			teardown),
		cmocka_unit_test_teardown(
			test_tsc_moved_forward_brings_the_host_timer_earlier,
			teardown),
		cmocka_unit_test_teardown(
			test_tsc_moved_back_delays_the_deadline_never_early,
			teardown),
		cmocka_unit_test_teardown(test_set_same_tsc_offset_is_a_no_op,
					  teardown),
		cmocka_unit_test_teardown(test_tsc_move_keeps_the_oneshot_count,
					  teardown),
		cmocka_unit_test_teardown(
			test_set_tsc_offset_from_another_thread_is_refused,
			teardown),
		cmocka_unit_test_teardown(
			test_guest_tsc_read_elsewhere_sees_old_or_new_offset,
			teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
