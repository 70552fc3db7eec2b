// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the timer hooks a hypervisor's own LAPIC ABI needs
 * (include/vapic/timer.h): vapic_timer_load_regs(), loading a register
 * image as KVM_SET_LAPIC does, and vapic_timer_target_tsc(), the guest-TSC
 * deadline behind a host-timer arm (VMX preemption timer).  Virtual clock,
 * manual vCPU thread: the test polls the timer itself.  The guest TSC runs
 * at the timer's guest_tsc_khz (ratio 1.0).
 */
#include "vtest.h"

#define LVT_PERIODIC(v) (0x20000U | (v))
#define LVT_TSCDL(v) (0x40000U | (v))
#define MASKED 0x10000U
#define TDCR_DIV1 0xbU
#define TDCR_DIV2 0x0U
#define TDCR_DIV16 0x3U

/* 1 GHz bus and TSC: one count (divide 1) = one TSC cycle = one ns. */
static void setup_c(struct vt_tfx *f, const struct vapic_timer_config *tc)
{
	struct vclock_config cfg;

	vclock_config_default(&cfg, 1);
	if (tc)
		cfg.lapic.timer = *tc;
	else
		vapic_timer_config_default(&cfg.lapic.timer, 1000000);
	cfg.lapic.timer.advance_ns = 0;
	cfg.host_tsc_khz = cfg.lapic.timer.guest_tsc_khz;
	vt_tfx_create(f, &cfg);
	f->v->auto_enter = false;
	vt_enable(f->v);
}

static void setup(struct vt_tfx *f)
{
	setup_c(f, NULL);
}

/* First ns (from t0) at which a poll injects, stepping 1 ns from @from;
 * UINT64_MAX if none up to @to. */
static uint64_t first_injection(struct vt_tfx *f, uint64_t from, uint64_t to)
{
	struct vapic_timer_event ev;
	uint64_t d;

	for (d = from; d <= to; d++) {
		vt_at(f, d);
		if (vt_poll(f, &ev) == VAPIC_TIMER_INJECT)
			return d;
	}
	return UINT64_MAX;
}

/* ---------------------------------------------------------------------- */
/* vapic_timer_load_regs()                                                */

static const struct {
	uint32_t tdcr;
	uint32_t div;
	uint32_t tmict;
	uint32_t tmcct;
} oneshot_cases[] = {
	{ TDCR_DIV1, 1, 1000, 1000 },	{ TDCR_DIV1, 1, 1000, 999 },
	{ TDCR_DIV1, 1, 1000, 1 },	{ TDCR_DIV2, 2, 777, 333 },
	{ TDCR_DIV16, 16, 50, 7 },	{ TDCR_DIV1, 1, 0xffffffffU, 3 },
	{ TDCR_DIV16, 16, 0xffffffffU, 0xfffffffeU },
};

static void load_oneshot_resumes_tmcct_and_fires_after_remaining_counts(
	void **state)
{
	size_t i;

	for (i = 0; i < sizeof(oneshot_cases) / sizeof(oneshot_cases[0]); i++) {
		struct vapic_timer_event ev;
		uint64_t due;
		struct vt_tfx f;

		setup(&f);
		assert_int_equal(vapic_timer_load_regs(f.t, 0x40,
						       oneshot_cases[i].tdcr,
						       oneshot_cases[i].tmict,
						       oneshot_cases[i].tmcct),
				 0);
		if (vapic_timer_read_tmcct(f.t) != oneshot_cases[i].tmcct)
			fail_msg("case %zu: TMCCT %u after load, want %u", i,
				 vapic_timer_read_tmcct(f.t),
				 oneshot_cases[i].tmcct);
		assert_int_equal(vapic_timer_read_tmict(f.t),
				 oneshot_cases[i].tmict);
		assert_int_equal(vapic_timer_read_tdcr(f.t),
				 oneshot_cases[i].tdcr);
		/* Due exactly when the remaining counts have elapsed. */
		due = (uint64_t)oneshot_cases[i].tmcct * oneshot_cases[i].div;
		assert_int_equal(vapic_timer_target_tsc(f.t), vt_gtsc(&f) + due);
		if (due < 100000) {
			vt_at(&f, due - 1);
			assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
			vt_at(&f, due);
			assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
			assert_int_equal(ev.vector, 0x40);
			assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
		}
		vt_teardown(&f);
	}
}

static void load_oneshot_with_tmcct_zero_stays_expired(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f);
	assert_int_equal(vapic_timer_load_regs(f.t, 0x40, TDCR_DIV1, 1000, 0),
			 0);
	assert_int_equal(vapic_timer_read_tmict(f.t), 1000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

static void load_periodic_tmcct_zero_or_above_tmict_is_a_full_period(
	void **state)
{
	static const uint32_t tmccts[] = { 0, 5001, 0xffffffffU };
	size_t i;

	for (i = 0; i < sizeof(tmccts) / sizeof(tmccts[0]); i++) {
		struct vapic_timer_config c;
		struct vt_tfx f;

		vapic_timer_config_default(&c, 1000000);
		c.min_period_ns = 0;
		setup_c(&f, &c);
		assert_int_equal(vapic_timer_load_regs(f.t, LVT_PERIODIC(0x41),
						       TDCR_DIV1, 5000,
						       tmccts[i]),
				 0);
		assert_int_equal(vapic_timer_read_tmcct(f.t), 5000);
		assert_int_equal(first_injection(&f, 4990, 5010), 5000);
		/* And it keeps ticking with the full period. */
		assert_int_equal(first_injection(&f, 9990, 10010), 10000);
		vt_teardown(&f);
	}
}

static void load_periodic_resumes_phase_then_reloads(void **state)
{
	struct vapic_timer_config c;
	struct vt_tfx f;

	vapic_timer_config_default(&c, 1000000);
	c.min_period_ns = 0;
	setup_c(&f, &c);
	/* Period 2 * 3000 = 6000 ns, 1000 counts (2000 ns) left. */
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_PERIODIC(0x41),
					       TDCR_DIV2, 3000, 1000),
			 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1000);
	assert_int_equal(first_injection(&f, 1990, 2010), 2000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 3000);
	assert_int_equal(first_injection(&f, 7990, 8010), 8000);
	vt_teardown(&f);
}

static void load_periodic_below_min_period_is_clamped(void **state)
{
	struct vapic_timer_config c;
	struct vt_tfx f;

	vapic_timer_config_default(&c, 1000000);
	c.min_period_ns = 200000;
	setup_c(&f, &c);
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_PERIODIC(0x41),
					       TDCR_DIV1, 1000, 0),
			 0);
	assert_int_equal(f.t->stats.clamped, 1);
	/* The host never fires faster than the minimum period. */
	assert_int_equal(first_injection(&f, 199990, 200010), 200000);
	vt_teardown(&f);
}

/* A clamped period is no multiple of TMICT: TMCCT must still read back. */
static void load_clamped_periodic_reads_back_every_tmcct(void **state)
{
	struct vapic_timer_config c;
	uint32_t tmcct;
	struct vt_tfx f;

	vapic_timer_config_default(&c, 1000000);
	c.min_period_ns = 200000;
	setup_c(&f, &c);
	for (tmcct = 1; tmcct <= 7; tmcct++) {
		assert_int_equal(vapic_timer_load_regs(f.t, LVT_PERIODIC(0x41),
						       TDCR_DIV1, 7, tmcct),
				 0);
		if (vapic_timer_read_tmcct(f.t) != tmcct)
			fail_msg("TMCCT %u after loading %u",
				 vapic_timer_read_tmcct(f.t), tmcct);
	}
	vt_teardown(&f);
}

static void load_tsc_deadline_keeps_deadline_only_in_the_same_mode(
	void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;

	setup(&f);
	assert_true(vapic_timer_write_lvtt(f.t, LVT_TSCDL(0x42), false) >= 0);
	dl = vt_gtsc(&f) + 3000;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl), 0);
	/* Same mode: the deadline stays armed. */
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_TSCDL(0x43), TDCR_DIV1,
					       1234, 99),
			 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), dl);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), dl);
	assert_int_equal(first_injection(&f, 2990, 3010), 3000);
	assert_int_equal(f.t->stats.injections, 1);

	/* From one-shot mode: the deadline is 0, nothing armed. */
	assert_true(vapic_timer_write_lvtt(f.t, 0x42, false) >= 0);
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_TSCDL(0x42), TDCR_DIV1,
					       0, 0),
			 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void load_tsc_deadline_already_due_says_due(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;

	setup(&f);
	assert_true(vapic_timer_write_lvtt(f.t, LVT_TSCDL(0x42), false) >= 0);
	dl = vt_gtsc(&f) + 3000;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl), 0);
	/* The vCPU stops; when it is loaded again the deadline has passed. */
	f.v->auto_enter = false;
	assert_int_equal(vclock_run_until(f.vm, f.t0 + 2000), 0);
	assert_true(vclock_timer_armed(f.v, NULL));
	vclock_vcpu_set_guest_tsc(f.v, dl + 10);
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_TSCDL(0x42), TDCR_DIV1,
					       0, 0),
			 VAPIC_TIMER_DUE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x42);
	vt_teardown(&f);
}

static void load_drops_pending_tick_and_backlog(void **state)
{
	struct vapic_timer_config c;
	struct vapic_timer_event ev;
	struct vt_tfx f;

	vapic_timer_config_default(&c, 1000000);
	c.min_period_ns = 0;
	c.missed_policy = VAPIC_MISSED_CATCHUP;
	setup_c(&f, &c);
	assert_true(vapic_timer_write_lvtt(f.t, LVT_PERIODIC(0x44), false) >= 0);
	assert_true(vapic_timer_write_tmict(f.t, 1000) >= 0);
	/* Five periods pass unpolled: one tick due, four in the backlog. */
	vt_at(&f, 5500);
	assert_true(vapic_timer_has_event(f.t));
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_PERIODIC(0x44),
					       TDCR_DIV1, 1000, 500),
			 0);
	assert_false(vapic_timer_has_event(f.t));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	/* The loaded phase rules: next tick 500 counts later. */
	assert_int_equal(first_injection(&f, 5990, 6010), 6000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void load_ignores_unimplemented_bits_and_hidden_tsc_mode(void **state)
{
	struct vapic_timer_config c;
	struct vt_tfx f;

	vapic_timer_config_default(&c, 1000000);
	c.flags &= ~VAPIC_TIMER_F_TSC_DEADLINE;
	setup_c(&f, &c);
	assert_int_equal(vapic_timer_load_regs(f.t, 0xfffdf040U, 0xfffffff0U,
					       100, 100),
			 0);
	/* Bit 18 without TSC-deadline mode: reserved, one-shot remains. */
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x10040);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_ONESHOT);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0);
	vt_teardown(&f);
}

static void load_while_software_disabled_forces_mask_but_counts(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f);
	vapic_timer_set_sw_enabled(f.t, false);
	assert_int_equal(vapic_timer_load_regs(f.t, 0x45, TDCR_DIV1, 1000, 400),
			 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), MASKED | 0x45);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 400);
	vt_at(&f, 10000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

static void load_reserved_mode_holds_registers_never_runs(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f);
	assert_int_equal(vapic_timer_load_regs(f.t, 0x60040, TDCR_DIV1, 1000,
					       500),
			 0);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_MODE_RESERVED);
	assert_int_equal(vapic_timer_read_tmict(f.t), 1000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 100000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void load_replaces_a_running_timer_with_one_host_timer(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f);
	assert_true(vapic_timer_write_lvtt(f.t, 0x46, false) >= 0);
	assert_true(vapic_timer_write_tmict(f.t, 500) >= 0);
	assert_int_equal(vapic_timer_load_regs(f.t, 0x46, TDCR_DIV1, 3000,
					       3000),
			 0);
	/* The old 500 ns expiry is gone; the loaded one is at 3000 ns. */
	assert_int_equal(first_injection(&f, 0, 3010), 3000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_true(f.v->stats.max_armed <= 1);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* vapic_timer_target_tsc()                                               */

static void target_tsc_follows_the_running_timer(void **state)
{
	struct vapic_timer_config c;
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t g;

	vapic_timer_config_default(&c, 1000000);
	c.min_period_ns = 0;
	setup_c(&f, &c);
	assert_int_equal(vapic_timer_target_tsc(f.t), 0);
	assert_true(vapic_timer_write_lvtt(f.t, LVT_TSCDL(0x40), false) >= 0);
	g = vt_gtsc(&f);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, g + 777), 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), g + 777);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0), 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), 0);

	assert_true(vapic_timer_write_lvtt(f.t, LVT_PERIODIC(0x40), false) >= 0);
	assert_true(vapic_timer_write_tdcr(f.t, TDCR_DIV2, false) >= 0);
	g = vt_gtsc(&f);
	assert_true(vapic_timer_write_tmict(f.t, 100) >= 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), g + 200);
	vt_at(&f, 200);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	/* Reloaded: the next period's end. */
	assert_int_equal(vapic_timer_target_tsc(f.t), g + 400);
	assert_true(vapic_timer_write_tmict(f.t, 0) >= 0);
	assert_int_equal(vapic_timer_target_tsc(f.t), 0);
	vt_teardown(&f);
}

/*
 * The TSC reached the kept deadline just before it wrapped past 2^64 (the
 * vCPU thread had not polled); the image is loaded after the wrap, at a
 * TSC numerically below the deadline: still due.
 */
static void load_tsc_deadline_reached_before_wrap_says_due(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f);
	vclock_vcpu_set_guest_tsc(f.v, 0ULL - 5000);
	assert_true(vapic_timer_write_lvtt(f.t, LVT_TSCDL(0x42), false) >= 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 3000), 0);
	assert_int_equal(vclock_run_until(f.vm, f.t0 + 6000), 0);
	assert_true(vt_gtsc(&f) == 1000);
	assert_int_equal(vapic_timer_load_regs(f.t, LVT_TSCDL(0x42), TDCR_DIV1,
					       0, 0),
			 VAPIC_TIMER_DUE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x42);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	vt_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			load_oneshot_resumes_tmcct_and_fires_after_remaining_counts),
		cmocka_unit_test(load_oneshot_with_tmcct_zero_stays_expired),
		cmocka_unit_test(
			load_periodic_tmcct_zero_or_above_tmict_is_a_full_period),
		cmocka_unit_test(load_periodic_resumes_phase_then_reloads),
		cmocka_unit_test(load_periodic_below_min_period_is_clamped),
		cmocka_unit_test(load_clamped_periodic_reads_back_every_tmcct),
		cmocka_unit_test(
			load_tsc_deadline_keeps_deadline_only_in_the_same_mode),
		cmocka_unit_test(load_tsc_deadline_already_due_says_due),
		cmocka_unit_test(load_tsc_deadline_reached_before_wrap_says_due),
		cmocka_unit_test(load_drops_pending_tick_and_backlog),
		cmocka_unit_test(
			load_ignores_unimplemented_bits_and_hidden_tsc_mode),
		cmocka_unit_test(
			load_while_software_disabled_forces_mask_but_counts),
		cmocka_unit_test(load_reserved_mode_holds_registers_never_runs),
		cmocka_unit_test(
			load_replaces_a_running_timer_with_one_host_timer),
		cmocka_unit_test(target_tsc_follows_the_running_timer),
	};

	return cmocka_run_group_tests_name("timer_load", tests, NULL, NULL);
}
