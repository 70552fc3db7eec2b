// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the LAPIC timer (include/vapic/timer.h, libvapic/timer.c)
 * on the virtual clock.  Intel SDM vol. 3A, "APIC Timer", "TSC-Deadline
 * Mode", "Local Vector Table".
 *
 * Two ways of driving the timer:
 *  - manual: the vCPU's entries are off (auto_enter false); the test is the
 *    vCPU thread and calls vapic_timer_poll() itself;
 *  - auto: the vclock run loop plays the vCPU thread (poll, spin, inject via
 *    the LAPIC, auto-EOI) and logs every delivery.
 * Unless a test says otherwise, the guest TSC runs exactly at the timer's
 * guest_tsc_khz (host TSC at the same frequency, ratio 1.0) and time starts
 * at t0 = 1 s, where the guest TSC reads g0 = khz * 1000.
 */
#include "vtest.h"

#include <stdlib.h>

#include <vapic/haltpoll.h>

/* ---------------------------------------------------------------------- */
/* Fixture                                                                */

static struct vapic_timer_config tcfg(uint32_t tsc_khz, uint32_t bus_khz,
				      int32_t advance_ns)
{
	struct vapic_timer_config c;

	vapic_timer_config_default(&c, tsc_khz);
	c.bus_khz = bus_khz;
	c.advance_ns = advance_ns;
	return c;
}

static void setup_n(struct vt_tfx *f, const struct vapic_timer_config *tc,
		    bool manual, uint32_t nr_vcpus)
{
	struct vclock_config cfg;

	vclock_config_default(&cfg, nr_vcpus);
	if (tc)
		cfg.lapic.timer = *tc;
	cfg.host_tsc_khz = cfg.lapic.timer.guest_tsc_khz;
	cfg.nr_host_cpus = 4;
	vt_tfx_create(f, &cfg);
	for (uint32_t i = 0; i < nr_vcpus; i++) {
		f->vm->vcpus[i].auto_enter = !manual;
		vt_enable(&f->vm->vcpus[i]);
	}
}

static void setup(struct vt_tfx *f, const struct vapic_timer_config *tc,
		  bool manual)
{
	setup_n(f, tc, manual, 1);
}

/* Manual vCPU thread: poll, waiting out every WAIT in virtual time. */
static int poll_wait(struct vt_tfx *f, struct vapic_timer_event *ev)
{
	int r, n = 0;

	while ((r = vt_poll(f, ev)) == VAPIC_TIMER_WAIT) {
		assert_true(ev->wait_ns > 0);
		assert_int_equal(vclock_advance(f->vm, ev->wait_ns), 0);
		assert_true(++n < 1000);
	}
	return r;
}

static void lvtt(struct vt_tfx *f, uint32_t val)
{
	assert_true(vapic_timer_write_lvtt(f->t, val, false) >= 0);
}

static void tmict(struct vt_tfx *f, uint32_t val)
{
	assert_true(vapic_timer_write_tmict(f->t, val) >= 0);
}

static void tdcr(struct vt_tfx *f, uint32_t val)
{
	assert_true(vapic_timer_write_tdcr(f->t, val, false) >= 0);
}

static uint64_t armed_at(struct vt_tfx *f)
{
	uint64_t e = 0;

	assert_true(vclock_timer_armed(f->v, &e));
	return e;
}

static size_t ndeliv(const struct vt_tfx *f)
{
	return f->vm->log_len;
}

#define LVT_ONESHOT(v) (v)
#define LVT_PERIODIC(v) (0x20000U | (v))
#define LVT_TSCDL(v) (0x40000U | (v))
#define MASKED 0x10000U
#define TDCR_DIV1 0xbU
#define TDCR_DIV2 0x0U

/* ---------------------------------------------------------------------- */
/* LVT timer register                                                     */

static void lvtt_write_reads_back_vector_mask_and_mode(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x40);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_ONESHOT);
	lvtt(&f, MASKED | 0x41);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x10041);
	lvtt(&f, LVT_PERIODIC(0x42));
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x20042);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_PERIODIC);
	lvtt(&f, LVT_TSCDL(0xff));
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x400ff);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_TSC_DEADLINE);
	/* The same through the x2APIC (strict) path. */
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x30020, true), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x30020);
	vt_teardown(&f);
}

static void lvtt_xapic_ignores_reserved_bits(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	/* Bits 8-11, 13-15, 19-31 reserved; bit 12 read-only. */
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0xfffaff40, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x20040);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0xfff9ef41, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x10041);
	vt_teardown(&f);
}

static void lvtt_x2apic_refuses_each_reserved_bit(void **state)
{
	struct vt_tfx f;
	uint64_t dl, exp;
	int bit;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 1000000;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl), 0);
	exp = armed_at(&f);
	for (bit = 0; bit < 32; bit++) {
		uint32_t b = 1U << bit;

		if (b & VAPIC_LVTT_VALID_MASK)
			continue;
		assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40040 | b, true),
				 VAPIC_ERSVD);
		/* Nothing changed: register, deadline, host timer. */
		assert_int_equal(vapic_timer_read_lvtt(f.t), 0x40040);
		assert_int_equal(vapic_timer_read_tsc_deadline(f.t), dl);
		assert_int_equal(armed_at(&f), exp);
	}
	assert_int_equal(f.v->stats.cancels, 0);
	vt_teardown(&f);
}

static void lvtt_x2apic_accepts_and_drops_delivery_status(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x1040, true), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x40);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x1041, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x41);
	vt_teardown(&f);
}

static void lvtt_mode_11b_xapic_is_stored_and_never_runs(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x60040, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x60040);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_MODE_RESERVED);
	assert_int_equal(vapic_timer_write_tmict(f.t, 1000), 0);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 10), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 1000000000);
	assert_int_equal(f.v->stats.fires, 0);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

static void lvtt_mode_11b_x2apic_is_refused(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, LVT_PERIODIC(0x30));
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x60040, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x20030);
	vt_teardown(&f);
}

static void lvtt_bit18_without_tsc_deadline_ignored_or_refused(void **state)
{
	struct vapic_timer_config c =
		tcfg(2500000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;

	c.flags &= ~VAPIC_TIMER_F_TSC_DEADLINE;
	setup(&f, &c, true);
	/* xAPIC: bit 18 is reserved and ignored; bit 17 rules. */
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40040, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x40);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_ONESHOT);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x60041, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x20041);
	/* x2APIC: a reserved bit, #GP. */
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40040, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x60040, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x20041);
	/* The MSR is never live. */
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 5), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	vt_teardown(&f);
}

static void lvtt_software_disabled_keeps_mask_set(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, 0x40);
	vapic_timer_set_sw_enabled(f.t, false);
	assert_int_equal(vapic_timer_read_lvtt(f.t), MASKED | 0x40);
	lvtt(&f, 0x41);
	assert_int_equal(vapic_timer_read_lvtt(f.t), MASKED | 0x41);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x42, true), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), MASKED | 0x42);
	/* Re-enabling leaves it masked until the guest clears the bit. */
	vapic_timer_set_sw_enabled(f.t, true);
	assert_int_equal(vapic_timer_read_lvtt(f.t), MASKED | 0x42);
	lvtt(&f, 0x42);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x42);
	vt_teardown(&f);
}

static void software_disabled_timer_counts_but_delivers_nothing(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	c.min_period_ns = 0;
	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000);
	vapic_timer_set_sw_enabled(f.t, false);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 10500);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 500);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.masked, 10);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* TMICT / TMCCT                                                          */

static void tmict_write_starts_oneshot_that_fires_once(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 1000);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	assert_int_equal(vapic_timer_write_tmict(f.t, 1000000), 0); /* 1 ms */
	assert_int_equal(vapic_timer_read_tmict(f.t), 1000000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1000000);
	/* Host timer: the deadline minus the 1000 ns advance. */
	assert_int_equal(armed_at(&f), f.t0 + 999000);
	vt_at(&f, 998999);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 999000);
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	assert_int_equal(ev.wait_ns, 1000);
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 100000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(f.t->stats.injections, 1);
	/* TMICT keeps its value; TMCCT stays 0. */
	assert_int_equal(vapic_timer_read_tmict(f.t), 1000000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	vt_teardown(&f);
}

struct tmcct_case {
	uint32_t tsc_khz, bus_khz, tdcr, tmict;
	bool periodic;
	struct {
		uint64_t d_ns;
		uint32_t tmcct;
	} pt[10];
};

/*
 * Hand-computed counts.  Elapsed guest TSC e = floor(tsc_khz * d / 10^6);
 * counts done = floor(e * bus_khz / (divide * tsc_khz)).
 */
static const struct tmcct_case tmcct_cases[] = {
	/* 2 GHz TSC, 100 MHz bus, /2: one count per 20 ns. */
	{ 2000000,
	  100000,
	  0x0,
	  1000,
	  false,
	  { { 0, 1000 },
	    { 19, 1000 },
	    { 20, 999 },
	    { 399, 981 },
	    { 400, 980 },
	    { 19999, 1 },
	    { 20000, 0 },
	    { 30000, 0 } } },
	/* 2.5 GHz TSC, 1 GHz bus, /1: e = floor(2.5 d), counts = e / 2.5. */
	{ 2500000,
	  1000000,
	  0xb,
	  10,
	  false,
	  { { 0, 10 },
	    { 1, 10 },
	    { 2, 8 },
	    { 3, 8 },
	    { 4, 6 },
	    { 9, 2 },
	    { 10, 0 } } },
	/* 1 MHz TSC, 1 GHz bus, /128: 7.8125 counts per TSC cycle. */
	{ 1000,
	  1000000,
	  0xa,
	  1000,
	  false,
	  { { 999, 1000 },
	    { 1000, 993 },
	    { 2000, 985 },
	    { 127000, 8 },
	    { 127999, 8 },
	    { 128000, 0 } } },
	/* 3 GHz TSC, 25 MHz bus, /16: 640 ns per count, periodic 3.2 us. */
	{ 3000000,
	  25000,
	  0x3,
	  5,
	  true,
	  { { 0, 5 },
	    { 639, 5 },
	    { 640, 4 },
	    { 3199, 1 },
	    { 3200, 5 },
	    { 3839, 5 },
	    { 3840, 4 },
	    { 321280, 3 } } },
	/* 10 GHz TSC, 1 MHz bus, /128, TMICT max: 128 us per count. */
	{ 10000000,
	  1000,
	  0xa,
	  0xffffffffU,
	  false,
	  { { 0, 0xffffffffU },
	    { 127999, 0xffffffffU },
	    { 128000, 0xfffffffeU },
	    { 128000000000000ULL, 0xffffffffU - 1000000000U } } },
	/* 1 GHz TSC and bus, /2, periodic 100 counts (200 ns). */
	{ 1000000,
	  1000000,
	  0x0,
	  100,
	  true,
	  { { 1, 100 },
	    { 2, 99 },
	    { 199, 1 },
	    { 200, 100 },
	    { 201, 100 },
	    { 202, 99 },
	    { 1000000, 100 },
	    { 1000050, 75 } } },
};

static void tmcct_counts_down_exactly(void **state)
{
	size_t i, j;

	for (i = 0; i < sizeof(tmcct_cases) / sizeof(tmcct_cases[0]); i++) {
		const struct tmcct_case *tc = &tmcct_cases[i];
		struct vapic_timer_config c = tcfg(tc->tsc_khz, tc->bus_khz, 0);
		struct vt_tfx f;

		c.min_period_ns = 0;
		setup(&f, &c, true);
		tdcr(&f, tc->tdcr);
		lvtt(&f, tc->periodic ? LVT_PERIODIC(0x40) : 0x40);
		tmict(&f, tc->tmict);
		for (j = 0; j < 10 && (j == 0 || tc->pt[j].d_ns); j++) {
			vt_at(&f, tc->pt[j].d_ns);
			if (vapic_timer_read_tmcct(f.t) != tc->pt[j].tmcct)
				fail_msg("case %zu at %llu ns: tmcct %u, want "
					 "%u",
					 i, (unsigned long long)tc->pt[j].d_ns,
					 vapic_timer_read_tmcct(f.t),
					 tc->pt[j].tmcct);
		}
		vt_teardown(&f);
	}
}

static void oneshot_stops_at_zero(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 500);
	vt_at(&f, 499);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1);
	vt_at(&f, 500);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_at(&f, 1500);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void periodic_reloads_and_ticks_every_period(void **state)
{
	struct vapic_timer_config c =
		tcfg(2500000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;
	size_t k;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000); /* 1 ms */
	vt_at(&f, 10000500);
	assert_int_equal(ndeliv(&f), 10);
	for (k = 0; k < 10; k++) {
		const struct vclock_delivery *d = &f.vm->log[k];

		assert_int_equal(d->vector, 0x40);
		assert_int_equal(d->flags, VCLOCK_DELIVERY_TIMER);
		assert_int_equal(d->deadline_tsc, f.g0 + (k + 1) * 2500000);
		/*
		 * The adaptive advance fires early; the spin (ceil ns) ends
		 * within 1 ns (2.5 cycles) after the deadline, never before.
		 */
		assert_true(d->guest_tsc >= d->deadline_tsc);
		assert_true(d->guest_tsc - d->deadline_tsc <= 2);
		assert_true(d->host_ns - (f.t0 + (k + 1) * 1000000) <= 1);
	}
	/* Half way through the 11th period. */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 999500);
	vt_teardown(&f);
}

static void tmict_rewrite_restarts_the_count(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000);
	vt_at(&f, 500);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 500);
	tmict(&f, 2000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 2000);
	assert_int_equal(armed_at(&f), f.t0 + 2500);
	vt_at(&f, 1000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1500);
	vt_at(&f, 2500);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.injections, 1);
	vt_teardown(&f);
}

static void tmict_zero_stops_the_timer(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	c.min_period_ns = 0;
	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000);
	vt_at(&f, 3500);
	assert_int_equal(ndeliv(&f), 3);
	assert_int_equal(vclock_write(f.v, VAPIC_REG_TMICT, 0), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 3);
	vt_teardown(&f);
}

static void tmict_ignored_in_tsc_deadline_mode(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tmict(f.t, 1000), 0);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(f.v->stats.arms, 0);
	vt_teardown(&f);
}

static void tdcr_all_eight_encodings_divide(void **state)
{
	static const uint32_t enc[8][2] = {
		{ 0x0, 2 },  { 0x1, 4 },  { 0x2, 8 },	{ 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	int i;

	for (i = 0; i < 8; i++) {
		struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
		struct vapic_timer_event ev;
		uint32_t div = enc[i][1];
		struct vt_tfx f;

		setup(&f, &c, true);
		tdcr(&f, enc[i][0]);
		assert_int_equal(vapic_timer_read_tdcr(f.t), enc[i][0]);
		lvtt(&f, 0x40);
		tmict(&f, 1000);
		assert_int_equal(armed_at(&f), f.t0 + 1000 * div);
		vt_at(&f, 10 * div - 1);
		assert_int_equal(vapic_timer_read_tmcct(f.t), 991);
		vt_at(&f, 10 * div);
		assert_int_equal(vapic_timer_read_tmcct(f.t), 990);
		vt_at(&f, 1000 * div - 1);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
		vt_at(&f, 1000 * div);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
		vt_teardown(&f);
	}
}

static void tdcr_reserved_bits_ignored_or_refused(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0xfffffffb, false), 0);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0xb);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0x4, false), 0);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0x0);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0x9, true), 0);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0x9);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0x4, true), VAPIC_ERSVD);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0x10 | 0x1, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_write_tdcr(f.t, 0x80000000, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0x9);
	vt_teardown(&f);
}

static void tdcr_change_rescales_remaining_time_keeps_count(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV2);
	lvtt(&f, 0x40);
	tmict(&f, 1000); /* 2000 ns */
	vt_at(&f, 501); /* 250.5 counts done */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750);
	tdcr(&f, 0x1); /* /4 */
	/* Count and the half tick kept; 749.5 counts of 4 ns remain. */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750);
	assert_int_equal(armed_at(&f), f.t0 + 501 + 2998);
	vt_at(&f, 502);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750);
	vt_at(&f, 503);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 749);
	vt_at(&f, 907);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 648);
	vt_at(&f, 3498);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 3499);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&f);
}

static void tdcr_change_on_periodic_keeps_phase(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	c.min_period_ns = 0;
	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV2);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 100); /* 200 ns */
	vt_at(&f, 250);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 75);
	vclock_write(f.v, VAPIC_REG_TDCR, 0x2); /* /8: 800 ns */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 75);
	vt_at(&f, 2000);
	assert_int_equal(ndeliv(&f), 3);
	assert_int_equal(f.vm->log[1].host_ns, f.t0 + 850);
	assert_int_equal(f.vm->log[2].host_ns, f.t0 + 1650);
	vt_teardown(&f);
}

static void tdcr_change_on_stopped_timer_applies_at_next_start(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, true);
	lvtt(&f, 0x40);
	tdcr(&f, 0x3); /* /16 */
	assert_false(vclock_timer_armed(f.v, NULL));
	tmict(&f, 10);
	assert_int_equal(armed_at(&f), f.t0 + 160);
	vt_teardown(&f);
}

static void tdcr_change_near_expiry_is_never_early(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, 0x3); /* /16 */
	lvtt(&f, 0x40);
	tmict(&f, 100); /* 1600 ns */
	vt_at(&f, 1599);
	/* 3997 of 4000 cycles done; /128: the 3 cycles left become 24. */
	tdcr(&f, 0xa);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1);
	vt_at(&f, 1608); /* guest TSC +4020 */
	assert_int_not_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_at(&f, 1609); /* +4022 >= +4021 */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* TSC-deadline mode                                                      */

static void tsc_deadline_fires_at_deadline_never_before(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 12346; /* not a whole number of ns at 2.5 GHz */
	assert_int_equal(vclock_wrmsr_tsc_deadline(f.v, dl), 0);
	vt_at(&f, 4938);
	assert_int_equal(ndeliv(&f), 0);
	vt_at(&f, 4939); /* first ns at which the guest TSC reaches dl */
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, dl);
	assert_true(f.vm->log[0].guest_tsc >= dl);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 4939);
	vt_at(&f, 1000000);
	assert_int_equal(ndeliv(&f), 1);
	vt_teardown(&f);
}

static void tsc_deadline_tmcct_reads_zero(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(
		vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 1000000), 0);
	vt_at(&f, 100);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	vt_teardown(&f);
}

static void tsc_deadline_zero_disarms(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 2500000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	assert_true(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 500000);
	assert_int_equal(vclock_wrmsr_tsc_deadline(f.v, 0), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	vt_at(&f, 10000000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.v->stats.fires, 0);
	vt_teardown(&f);
}

static void tsc_deadline_in_the_past_is_due_at_once(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	int i;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	for (i = 0; i < 3; i++) {
		/* Long past, just past, exactly now. */
		uint64_t dl = i == 0 ? 1 : i == 1 ? vt_gtsc(&f) - 1 : vt_gtsc(&f);

		assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl),
				 VAPIC_TIMER_DUE);
		assert_false(vclock_timer_armed(f.v, NULL));
		assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
		assert_int_equal(ev.vector, 0x40);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	}
	assert_int_equal(f.t->stats.immediate, 3);
	assert_int_equal(f.t->stats.arms, 0);
	assert_int_equal(f.v->stats.arms, 0);
	assert_int_equal(f.t->stats.injections, 3);
	vt_teardown(&f);
}

static void tsc_deadline_in_the_past_delivered_before_next_exit(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	assert_int_equal(vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) - 100),
			 VAPIC_TIMER_DUE);
	/* The re-entry after this exit injects it, without time passing. */
	assert_int_equal(vclock_settle(f.vm), 0);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].host_ns, f.t0);
	vt_teardown(&f);
}

static void tsc_deadline_msr_reads_armed_then_zero_after_fire(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 25000; /* 10 us */
	vclock_wrmsr_tsc_deadline(f.v, dl);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), dl);
	vt_at(&f, 9999);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), dl);
	vt_at(&f, 10000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	vt_at(&f, 20000);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	vt_teardown(&f);
}

static void tsc_deadline_msr_reads_zero_once_reached_even_unpolled(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 25000;
	vapic_timer_write_tsc_deadline(f.t, dl);
	vt_at(&f, 10000);
	/* The guest TSC reached it: the timer has fired, architecturally. */
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	vt_teardown(&f);
}

static void
tsc_deadline_msr_outside_mode_reads_zero_ignores_writes(void **state)
{
	struct vt_tfx f;
	int mode;

	setup(&f, NULL, true);
	for (mode = 0; mode < 4; mode++) {
		if (mode == VAPIC_TIMER_TSC_DEADLINE)
			continue;
		lvtt(&f, ((uint32_t)mode << 17) | 0x40);
		assert_int_equal(
			vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 1000),
			0);
		assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
		assert_false(vclock_timer_armed(f.v, NULL));
	}
	/* The ignored writes did not stick. */
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_teardown(&f);
}

static void tsc_deadline_rewrite_later_and_earlier(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 25000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	vclock_wrmsr_tsc_deadline(f.v, dl + 25000); /* later: replaces */
	vt_at(&f, 15000);
	assert_int_equal(ndeliv(&f), 0);
	vclock_wrmsr_tsc_deadline(f.v, dl + 12500); /* earlier */
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, dl + 12500);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 15000);
	assert_int_equal(f.v->stats.max_armed, 1);
	vt_teardown(&f);
}

/*
 * As timer.h documents: every mode change disarms, one-shot <-> periodic
 * included.  (The SDM, "TSC-Deadline Mode", only says that transitions
 * between TSC-deadline mode and the other modes disarm; KVM keeps a
 * one-shot <-> periodic switch running.  Reported to the lead.)
 */
static void every_mode_switch_disarms(void **state)
{
	static const uint32_t modes[] = { 0, 1, 2, 3 };
	size_t a, b;

	for (a = 0; a < 4; a++)
		for (b = 0; b < 4; b++) {
			struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
			struct vapic_timer_event ev;
			struct vt_tfx f;

			if (a == b)
				continue;
			setup(&f, &c, true);
			tdcr(&f, TDCR_DIV1);
			lvtt(&f, (modes[a] << 17) | 0x40);
			tmict(&f, 1000);
			vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 1000);
			vt_at(&f, 300);
			lvtt(&f, (modes[b] << 17) | 0x41);
			assert_int_equal(vapic_timer_read_tmict(f.t), 0);
			assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
			assert_false(vclock_timer_armed(f.v, NULL));
			if (modes[b] == VAPIC_TIMER_TSC_DEADLINE)
				assert_int_equal(
					vapic_timer_read_tsc_deadline(f.t), 0);
			vt_at(&f, 100000);
			assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
			assert_int_equal(f.t->stats.injections, 0);
			vt_teardown(&f);
		}
}

static void same_mode_lvt_write_keeps_timer_running(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000);
	vt_at(&f, 400);
	lvtt(&f, 0x41); /* new vector, same mode */
	assert_int_equal(vapic_timer_read_tmict(f.t), 1000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 600);
	vt_at(&f, 1000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x41);
	vt_teardown(&f);
}

static void spurious_early_host_fire_never_injects_early(void **state)
{
	struct vt_tfx f;
	struct vapic_timer_event ev;
	uint64_t dl, exp = 0;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 250000; /* 100 us */
	vapic_timer_write_tsc_deadline(f.t, dl);
	vt_at(&f, 50000);
	/*
	 * A host that wrongly fires 50 us early (more than any advance):
	 * no 50 us wait, the host timer is armed again for the deadline.
	 */
	assert_int_equal(vapic_timer_expired(f.t, &exp), VAPIC_TFN_DONE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_true(vclock_timer_armed(f.v, &exp));
	assert_int_equal(exp, f.t0 + 100000 - vapic_timer_advance_ns(f.t));
	vt_at(&f, 99999);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	vt_at(&f, 100000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.early, 0);
	assert_int_equal(f.t->stats.injections, 1);
	vt_teardown(&f);
}

/*
 * An early fire inside the largest adaptive advance (5 us) is taken as an
 * advance window: the vCPU waits out the rest, no re-arm.
 */
static void early_host_fire_within_advance_max_waits(void **state)
{
	struct vt_tfx f;
	struct vapic_timer_event ev;
	uint64_t dl, exp = 0, arms;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 250000; /* 100 us */
	vapic_timer_write_tsc_deadline(f.t, dl);
	vt_at(&f, 96000);
	arms = f.v->stats.arms;
	assert_int_equal(vapic_timer_expired(f.t, &exp), VAPIC_TFN_DONE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	assert_int_equal(ev.wait_ns, 4000);
	assert_int_equal(f.v->stats.arms, arms);
	vt_at(&f, 100000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

/*
 * Posted mode: a callback that runs far too early re-arms the host timer
 * (VAPIC_TFN_REARM for the deadline minus the advance) instead of asking
 * to spin to the deadline; the tick is then posted on time.
 */
static void posted_early_callback_rearms_instead_of_waiting(void **state)
{
	struct vapic_timer_config c =
		tcfg(2500000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;
	uint64_t dl, exp = 0;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 2500000; /* 1 ms */
	vclock_wrmsr_tsc_deadline(f.v, dl);
	vclock_settle(f.vm);
	assert_true(vclock_timer_take(f.v, &exp)); /* the host's arm */
	vt_at(&f, 500000);
	/* A stray callback 500 us early. */
	assert_int_equal(vapic_timer_expired(f.t, &exp), VAPIC_TFN_REARM);
	assert_int_equal(exp, f.t0 + 1000000 - vapic_timer_advance_ns(f.t));
	assert_int_equal(f.t->ops->timer_arm(f.t->host, exp), 0);
	vt_at(&f, 2000000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	assert_int_equal(f.vm->log[0].guest_tsc, dl);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void expiry_of_stopped_timer_is_harmless(void **state)
{
	struct vt_tfx f;
	struct vapic_timer_event ev;
	uint64_t exp = 0;

	setup(&f, NULL, true);
	lvtt(&f, 0x40);
	assert_int_equal(vapic_timer_expired(f.t, &exp), VAPIC_TFN_DONE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Masked LVT                                                             */

static void masked_periodic_keeps_counting_and_reloading(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, MASKED | LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	/* No host timer is needed for a masked timer. */
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 250000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750000);
	vt_at(&f, 1250000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750000);
	vt_at(&f, 10500000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 500000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.masked, 10);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

static void unmasking_does_not_deliver_old_ticks(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, MASKED | LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 10500000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(
		vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40)), 0);
	vt_at(&f, 10999999);
	assert_int_equal(ndeliv(&f), 0);
	vt_at(&f, 11000000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 11000000);
	vt_teardown(&f);
}

static void masked_oneshot_expiry_is_not_delivered_later(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, MASKED | 0x40);
	vclock_write(f.v, VAPIC_REG_TMICT, 1000);
	vt_at(&f, 2000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, 0x40);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.t->stats.masked, 1);
	vt_teardown(&f);
}

static void masked_tsc_deadline_passes_silently(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, MASKED | LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 2500;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), dl);
	vt_at(&f, 2000);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 0);
	vt_teardown(&f);
}

static void masking_a_pending_timer_disarms_host_timer(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 2500000);
	assert_true(vclock_timer_armed(f.v, NULL));
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, MASKED | LVT_TSCDL(0x40));
	assert_false(vclock_timer_armed(f.v, NULL));
	/* Unmasked before the deadline: still delivered on time. */
	vt_at(&f, 500000);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	assert_true(vclock_timer_armed(f.v, NULL));
	vt_at(&f, 2000000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 1000000);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Illegal vector                                                         */

static void illegal_vector_not_delivered_sets_esr(void **state)
{
	struct vt_tfx f;
	uint32_t esr;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x05));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 2500);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.v->lapic.stats.illegal_vector, 1);
	vclock_write(f.v, VAPIC_REG_ESR, 0);
	vclock_read(f.v, VAPIC_REG_ESR, &esr);
	assert_int_equal(esr, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	vt_teardown(&f);
}

static void illegal_vector_raises_unmasked_lvt_error(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_ERROR, 0xfe);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x0f));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 2500);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].vector, 0xfe);
	assert_int_equal(f.vm->log[0].flags, 0);
	vt_teardown(&f);
}

static void illegal_vector_in_posted_mode_goes_through_the_lapic(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	uint32_t esr;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x03));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 2500);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.v->stats.posts, 0);
	vclock_write(f.v, VAPIC_REG_ESR, 0);
	vclock_read(f.v, VAPIC_REG_ESR, &esr);
	assert_int_equal(esr, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Minimum period                                                         */

static void periodic_below_min_period_runs_at_min_period(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	size_t k;

	assert_int_equal(c.min_period_ns, 200000);
	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 100); /* 100 ns programmed */
	assert_int_equal(f.t->stats.clamped, 1);
	vt_at(&f, 100000);
	/* TMCCT counts down over the longer period. */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 50);
	vt_at(&f, 2000000);
	assert_int_equal(ndeliv(&f), 10);
	for (k = 0; k < 10; k++)
		assert_int_equal(f.vm->log[k].host_ns, f.t0 + (k + 1) * 200000);
	vt_teardown(&f);
}

static void periodic_just_below_min_period_is_clamped(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 199999); /* 1 ns short */
	assert_int_equal(f.t->stats.clamped, 1);
	vt_at(&f, 1000000);
	assert_int_equal(ndeliv(&f), 5);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 200000);
	/* Exactly the minimum is not clamped. */
	vclock_write(f.v, VAPIC_REG_TMICT, 200000);
	assert_int_equal(f.t->stats.clamped, 1);
	vt_at(&f, 2000000);
	assert_int_equal(ndeliv(&f), 10);
	vt_teardown(&f);
}

static void min_period_is_configurable(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	c.min_period_ns = 50000;
	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 100);
	vt_at(&f, 1000000);
	assert_int_equal(ndeliv(&f), 20);
	/* A period at the minimum is not clamped. */
	vclock_write(f.v, VAPIC_REG_TMICT, 50000);
	assert_int_equal(f.t->stats.clamped, 1);
	vt_teardown(&f);
}

static void guest_cannot_make_host_fire_faster_than_min_period(void **state)
{
	struct vt_tfx f;
	int i;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1);
	vt_at(&f, 100000000); /* 100 ms */
	assert_int_equal(ndeliv(&f), 500);
	assert_int_equal(f.v->stats.fires, 500);
	/* Nor by re-programming the divider each tick. */
	for (i = 0; i < 100; i++) {
		vclock_write(f.v, VAPIC_REG_TDCR, i & 1 ? 0xb : 0x0);
		assert_int_equal(vclock_advance(f.vm, 200000), 0);
	}
	assert_true(f.v->stats.fires <= 500 + 100 + 1);
	vt_teardown(&f);
}

static void oneshot_and_tsc_deadline_are_not_clamped(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, 0x40);
	vclock_write(f.v, VAPIC_REG_TMICT, 100);
	vt_at(&f, 1000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 100);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 50);
	vt_at(&f, 2000);
	assert_int_equal(ndeliv(&f), 2);
	assert_int_equal(f.vm->log[1].host_ns, f.t0 + 1050);
	assert_int_equal(f.t->stats.clamped, 0);
	vt_teardown(&f);
}

static void oneshot_host_arm_needs_a_guest_write(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vt_tfx f;
	int i;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, 0x40);
	for (i = 0; i < 50; i++) {
		vclock_write(f.v, VAPIC_REG_TMICT, 1);
		assert_int_equal(vclock_advance(f.vm, 10), 0);
	}
	assert_int_equal(ndeliv(&f), 50);
	assert_int_equal(f.v->stats.arms, 50);
	vt_at(&f, 10000000);
	/* No guest write, no host timer. */
	assert_int_equal(f.v->stats.arms, 50);
	assert_int_equal(f.v->stats.fires, 50);
	/* Many writes at one instant arm at most once each, fire once. */
	for (i = 0; i < 1000; i++)
		vclock_write(f.v, VAPIC_REG_TMICT, 1000);
	assert_int_equal(f.v->stats.arms, 1050);
	vt_at(&f, 20000000);
	assert_int_equal(f.v->stats.fires, 51);
	assert_int_equal(ndeliv(&f), 51);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Missed ticks                                                           */

static void coalesce_is_the_default_policy(void **state)
{
	struct vapic_timer_config c;

	vapic_timer_config_default(&c, 1000000);
	assert_int_equal(c.missed_policy, VAPIC_MISSED_COALESCE);
}

static void coalesce_merges_ticks_while_vector_pending(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_vcpu_set_irq_window(f.v, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 10500000);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.t->stats.injections, 1); /* into IRR */
	assert_int_equal(f.t->stats.coalesced, 9);
	vclock_vcpu_set_irq_window(f.v, true);
	vt_at(&f, 10500001);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, f.g0 + 2500000);
	vt_at(&f, 11000000);
	assert_int_equal(ndeliv(&f), 2);
	assert_int_equal(f.vm->log[1].host_ns, f.t0 + 11000000);
	vt_teardown(&f);
}

static void coalesce_when_vcpu_did_not_run(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	vt_at(&f, 10500000);
	assert_int_equal(f.v->stats.fires, 1); /* nobody re-armed it */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.missed, 9);
	assert_int_equal(f.t->stats.injections, 1);
	/* Phase kept: the next tick is at 11 ms. */
	assert_int_equal(armed_at(&f), f.t0 + 11000000);
	vt_teardown(&f);
}

static void catchup_delivers_every_missed_tick_late(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	int n = 0;

	c.missed_policy = VAPIC_MISSED_CATCHUP;
	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	vt_at(&f, 10500000);
	while (vt_poll(&f, &ev) == VAPIC_TIMER_INJECT) {
		assert_int_equal(ev.vector, 0x40);
		n++;
	}
	assert_int_equal(n, 10);
	assert_int_equal(f.t->stats.catchup, 9);
	assert_int_equal(f.t->stats.dropped, 0);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void catchup_waits_while_vector_busy(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	c.missed_policy = VAPIC_MISSED_CATCHUP;
	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	vt_at(&f, 3500000);
	assert_int_equal(vapic_timer_poll(f.t, VAPIC_POLL_VECTOR_BUSY, &ev),
			 VAPIC_TIMER_NONE);
	assert_int_equal(vapic_timer_poll(f.t, VAPIC_POLL_VECTOR_BUSY, &ev),
			 VAPIC_TIMER_NONE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(vapic_timer_poll(f.t, VAPIC_POLL_VECTOR_BUSY, &ev),
			 VAPIC_TIMER_NONE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.coalesced, 0);
	vt_teardown(&f);
}

static void catchup_backlog_is_capped_and_excess_dropped(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	int n = 0;

	c.missed_policy = VAPIC_MISSED_CATCHUP;
	c.catchup_max = 3;
	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	vt_at(&f, 10500000);
	while (vt_poll(&f, &ev) == VAPIC_TIMER_INJECT)
		n++;
	assert_int_equal(n, 4); /* the due tick + 3 from the backlog */
	assert_int_equal(f.t->stats.dropped, 6);
	assert_int_equal(f.t->stats.catchup, 3);
	vt_teardown(&f);
}

static void catchup_through_lapic_delivers_one_at_a_time(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	size_t k;

	c.missed_policy = VAPIC_MISSED_CATCHUP;
	setup(&f, &c, false);
	vclock_vcpu_set_irq_window(f.v, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 10500000);
	assert_int_equal(ndeliv(&f), 0);
	vclock_vcpu_set_irq_window(f.v, true);
	vclock_settle(f.vm);
	assert_int_equal(ndeliv(&f), 10);
	for (k = 0; k < 10; k++) {
		assert_int_equal(f.vm->log[k].host_ns, f.t0 + 10500000);
		assert_int_equal(f.vm->log[k].vector, 0x40);
	}
	assert_int_equal(f.vm->log[0].deadline_tsc, f.g0 + 2500000);
	assert_int_equal(f.vm->log[1].deadline_tsc, f.g0 + 5000000);
	assert_int_equal(f.vm->log[9].flags, VCLOCK_DELIVERY_CATCHUP);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Timer advance                                                          */

/*
 * Run @n TSC-deadline expiries 100 us apart with the host timer firing
 * @late_ns after the time it was armed for; record the advance after each.
 */
static void advance_run(struct vt_tfx *f, uint64_t late_ns, int n, uint32_t *out)
{
	int i;

	f->v->timer_latency_ns = late_ns;
	for (i = 0; i < n; i++) {
		size_t before = ndeliv(f);

		vclock_wrmsr_tsc_deadline(
			f->v, vt_gtsc(f) + vt_ns_to_tsc(100000, f->khz));
		assert_int_equal(vclock_advance(f->vm, 200000), 0);
		assert_int_equal(ndeliv(f), before + 1);
		out[i] = vapic_timer_advance_ns(f->t);
	}
}

static void advance_starts_at_1000ns(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, false);
	assert_int_equal(vapic_timer_advance_ns(f.t), 1000);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 250000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	assert_int_equal(armed_at(&f), f.t0 + 100000 - 1000);
	vt_teardown(&f);
}

static void advance_grows_by_eighth_of_lateness(void **state)
{
	static const uint32_t want[8] = { 1125, 1234, 1329, 1412,
					  1485, 1549, 1605, 1654 };
	struct vapic_timer_config c =
		tcfg(1000000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	uint32_t got[8];
	struct vt_tfx f;
	int i;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	advance_run(&f, 2000, 8, got);
	for (i = 0; i < 8; i++)
		assert_int_equal(got[i], want[i]);
	vt_teardown(&f);
}

static void advance_shrinks_when_timer_fires_early(void **state)
{
	static const uint32_t want[20] = { 875, 766, 671, 588, 515, 451, 395,
					   346, 303, 266, 233, 204, 179, 157,
					   138, 121, 106, 93,  93,  93 };
	struct vapic_timer_config c =
		tcfg(1000000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	uint32_t got[20];
	struct vt_tfx f;
	int i;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	advance_run(&f, 0, 20, got);
	for (i = 0; i < 20; i++)
		assert_int_equal(got[i], want[i]);
	/* Every one waited (spun) the rest of the way: never early. */
	assert_int_equal(f.t->stats.waits, 20);
	vt_teardown(&f);
}

static void advance_ignores_samples_outside_100_to_10000_cycles(void **state)
{
	struct vapic_timer_config c =
		tcfg(1000000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	uint32_t got[1];
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	advance_run(&f, 1000 + 99, 1, got); /* 99 cycles late */
	assert_int_equal(got[0], 1000);
	advance_run(&f, 1000 + 10001, 1, got); /* 10001 cycles late */
	assert_int_equal(got[0], 1000);
	advance_run(&f, 1000 + 100, 1, got); /* bounds are included */
	assert_int_equal(got[0], 1012);
	advance_run(&f, 1012 + 10000, 1, got);
	assert_int_equal(got[0], 1012 + 1250);
	vt_teardown(&f);
}

static void advance_window_is_in_tsc_cycles_not_ns(void **state)
{
	struct vapic_timer_config c =
		tcfg(2500000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	uint32_t got[1];
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	/* 30 ns = 75 cycles at 2.5 GHz: ignored. */
	advance_run(&f, 1030, 1, got);
	assert_int_equal(got[0], 1000);
	/* 50 ns = 125 cycles: used; the step is in ns: 50 / 8 = 6. */
	advance_run(&f, 1050, 1, got);
	assert_int_equal(got[0], 1006);
	/* 4100 ns = 10250 cycles: beyond the window although < 10000 ns. */
	advance_run(&f, 1006 + 4100, 1, got);
	assert_int_equal(got[0], 1006);
	vt_teardown(&f);
}

static void advance_resets_to_1000_past_5000(void **state)
{
	static const uint32_t want[6] = { 2000, 2875, 3640, 4310, 4896, 1000 };
	struct vapic_timer_config c =
		tcfg(1000000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	uint32_t got[6];
	struct vt_tfx f;
	int i;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	advance_run(&f, 9000, 6, got);
	for (i = 0; i < 6; i++)
		assert_int_equal(got[i], want[i]);
	vt_teardown(&f);
}

static void advance_wait_path_never_injects_before_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 5000);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;
	int r;

	setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 250000; /* 100 us */
	vapic_timer_write_tsc_deadline(f.t, dl);
	assert_int_equal(armed_at(&f), f.t0 + 95000);
	vt_at(&f, 95000);
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	assert_int_equal(ev.wait_ns, 5000);
	/* Poll at every ns until the deadline: never an injection. */
	for (uint64_t d = 95001; d < 100000; d += 7) {
		vt_at(&f, d);
		r = vt_poll(&f, &ev);
		assert_int_equal(r, VAPIC_TIMER_WAIT);
		assert_int_equal(ev.wait_ns,
				 vapic_tsc_to_ns_ceil(dl - vt_gtsc(&f), 2500000));
	}
	vt_at(&f, 99999);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	assert_int_equal(ev.wait_ns, 2); /* 3 cycles left: ceil(1.2 ns) */
	vt_at(&f, 100000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.waits, 1 + 715 + 1);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void fixed_advance_is_not_tuned(void **state)
{
	struct vapic_timer_config c = tcfg(1000000, 1000000, 3000);
	uint32_t got[4];
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 10000);
	assert_int_equal(armed_at(&f), f.t0 + 7000);
	vt_at(&f, 20000);
	advance_run(&f, 5000, 4, got);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], 3000);
	advance_run(&f, 0, 4, got);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got[i], 3000);
	vt_teardown(&f);
}

static void zero_advance_arms_exactly_at_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	assert_int_equal(vapic_timer_advance_ns(f.t), 0);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 250000);
	assert_int_equal(armed_at(&f), f.t0 + 100000);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.v->stats.spins, 0);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Expiry on another CPU, posted delivery                                 */

static void unpinned_expiry_hands_off_to_vcpu_thread(void **state)
{
	struct vt_tfx f;
	uint64_t dl;

	setup_n(&f, NULL, false, 2);
	f.v = &f.vm->vcpus[1];
	f.t = &f.v->lapic.timer;
	f.v->timer_pinned = false; /* fires on housekeeping CPU 0 */
	assert_int_equal(f.v->cpu, 1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 25000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].vcpu, 1);
	assert_int_equal(f.vm->log[0].cpu, 1); /* injected by the vCPU */
	assert_int_equal(f.vm->log[0].flags, VCLOCK_DELIVERY_TIMER);
	assert_int_equal(f.v->last_fire_cpu, 0);
	assert_int_equal(f.v->stats.cross_cpu_fires, 1);
	assert_int_equal(f.v->stats.kicks, 1);
	assert_true(f.vm->log[0].guest_tsc >= dl);
	vt_teardown(&f);
}

static void posted_delivers_without_exit(void **state)
{
	struct vapic_timer_config c =
		tcfg(2500000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;
	uint64_t dl;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	f.v->timer_pinned = false;
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 250000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	vclock_settle(f.vm);
	f.v->stats.entries = 0;
	vt_at(&f, 200000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	assert_int_equal(f.vm->log[0].cpu, 0);
	assert_int_equal(f.vm->log[0].guest_tsc, dl);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 100000);
	assert_int_equal(f.v->stats.kicks, 0);
	assert_int_equal(f.v->stats.entries, 0);
	assert_int_equal(f.v->stats.callback_waits, 1);
	assert_int_equal(f.t->stats.posted, 1);
	assert_int_equal(f.t->stats.injections, 1);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	vt_teardown(&f);
}

static void posted_periodic_rearms_from_callback(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	size_t k;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 10000000);
	assert_int_equal(ndeliv(&f), 10);
	for (k = 0; k < 10; k++) {
		assert_int_equal(f.vm->log[k].flags,
				 VCLOCK_DELIVERY_POSTED |
					 VCLOCK_DELIVERY_TIMER);
		assert_int_equal(f.vm->log[k].host_ns,
				 f.t0 + (k + 1) * 1000000);
	}
	assert_int_equal(f.v->stats.rearms, 10);
	assert_int_equal(f.v->stats.kicks, 0);
	/* TMCCT stays exact while the callback owns the running state. */
	vt_at(&f, 10250000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750000);
	vt_teardown(&f);
}

/* The first host timer fire comes 5.5 ms late; the others on time. */
static uint64_t stall_first_fire(void *arg, struct vclock_vcpu *v, uint64_t e)
{
	(void)v;
	(void)e;
	return (*(int *)arg)++ ? 0 : 5500000;
}

/*
 * Posted mode keeps VAPIC_MISSED_CATCHUP's promise: the first fire of a
 * 1 ms periodic timer comes 5.5 ms late (6 periods due): the callback
 * hands it to the vCPU thread (which owns the backlog) and every tick is
 * delivered, 5 of them as catch-up; the later periods are posted again.
 * (It posted one tick and counted 5 missed: 5 of 10 ticks delivered.)
 */
static void posted_catchup_hands_missed_periods_to_vcpu(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	int calls = 0;

	c.flags |= VAPIC_TIMER_F_POSTED;
	c.missed_policy = VAPIC_MISSED_CATCHUP;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	f.v->latency_fn = stall_first_fire;
	f.v->latency_arg = &calls;
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 10500000);
	assert_int_equal(ndeliv(&f), 10);
	assert_int_equal(f.t->stats.catchup, 5);
	assert_int_equal(f.t->stats.dropped, 0);
	assert_int_equal(f.t->stats.early, 0);
	assert_int_equal(f.t->stats.posted, 4);
	assert_int_equal(f.vm->log[9].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	vt_teardown(&f);
}

static void posted_post_failure_falls_back_to_kick(void **state)
{
	struct vapic_timer_config c =
		tcfg(1000000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;
	uint64_t dl;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	f.v->timer_latency_ns = 2000; /* fires 1000 ns after the deadline */
	vclock_fault_next(f.v, VCLOCK_OP_POST, 1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 100000;
	vclock_wrmsr_tsc_deadline(f.v, dl);
	vt_at(&f, 200000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].flags, VCLOCK_DELIVERY_TIMER);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 101000);
	assert_int_equal(f.v->stats.post_failures, 1);
	assert_int_equal(f.v->stats.kicks, 1);
	assert_int_equal(f.t->stats.posted, 0);
	assert_int_equal(f.t->stats.injections, 1);
	/* One expiry, one lateness sample: 1000 ns late -> +125. */
	assert_int_equal(vapic_timer_advance_ns(f.t), 1125);
	/* Posting works again for the next deadline. */
	vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 100000);
	vt_at(&f, 400000);
	assert_int_equal(ndeliv(&f), 2);
	assert_int_equal(f.vm->log[1].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	vt_teardown(&f);
}

static void posted_disabled_on_vcpu_falls_back_every_time(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 5000000);
	assert_int_equal(ndeliv(&f), 5);
	for (size_t k = 0; k < 5; k++) {
		assert_int_equal(f.vm->log[k].flags, VCLOCK_DELIVERY_TIMER);
		assert_int_equal(f.vm->log[k].host_ns,
				 f.t0 + (k + 1) * 1000000);
	}
	assert_int_equal(f.v->stats.post_failures, 5);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

/* A one-vCPU VM with its own clock/timer settings, manual. */
static void dst_setup(struct vt_tfx *f, uint32_t host_khz, uint32_t tsc_khz,
		      uint32_t bus_khz, uint32_t flags)
{
	struct vclock_config cfg;

	vclock_config_default(&cfg, 1);
	cfg.host_tsc_khz = host_khz;
	cfg.start_ns = 5000000000ULL;
	cfg.lapic.timer.guest_tsc_khz = tsc_khz;
	cfg.lapic.timer.bus_khz = bus_khz;
	cfg.lapic.timer.advance_ns = 0;
	cfg.lapic.timer.flags = flags;
	f->vm = vt_vm_cfg(&cfg);
	f->v = &f->vm->vcpus[0];
	f->t = &f->v->lapic.timer;
	f->v->auto_enter = false;
	vt_enable(f->v);
	f->t0 = f->vm->now_ns;
	f->khz = tsc_khz;
}

static void fix_checksum(struct vapic_timer_state *s)
{
	s->checksum = 0;
	s->checksum = vapic_checksum32(s, sizeof(*s));
}

static void save_restore_oneshot_resumes_tmcct_exactly(void **state)
{
	static const uint64_t save_at[] = { 300000, 300001, 1, 1999999,
					    1234567 };
	size_t i;

	for (i = 0; i < sizeof(save_at) / sizeof(save_at[0]); i++) {
		struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
		struct vapic_timer_state s;
		struct vapic_timer_event ev;
		struct vt_tfx src, dst;
		uint64_t left, end;
		uint32_t count;

		setup(&src, &c, true);
		tdcr(&src, TDCR_DIV2);
		lvtt(&src, 0x40);
		tmict(&src, 1000000); /* 2 ms = 5M cycles */
		vt_at(&src, save_at[i]);
		left = 5000000 - (vt_gtsc(&src) - src.g0);
		count = vapic_timer_read_tmcct(src.t);
		assert_int_equal(count, 1000000 - save_at[i] / 2);
		assert_int_equal(vapic_timer_save(src.t, &s), 0);
		assert_int_equal(s.tmcct, count);
		assert_int_equal(vapic_timer_read_tmcct(src.t), count);

		dst_setup(&dst, 2500000, 2500000, 1000000,
			  VAPIC_TIMER_F_TSC_DEADLINE);
		assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
		assert_int_equal(vapic_timer_read_tmcct(dst.t), count);
		assert_int_equal(vapic_timer_read_tmict(dst.t), 1000000);
		assert_int_equal(vapic_timer_read_lvtt(dst.t), 0x40);
		/* The rest of the 5M cycles runs on the destination. */
		end = vclock_ns_for_guest_tsc(dst.v, vt_gtsc(&dst) + left);
		vt_at(&dst, end - dst.t0 - 1);
		assert_int_not_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
		vt_at(&dst, end - dst.t0);
		assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
		vt_teardown(&src);
		vt_teardown(&dst);
	}
}

static void save_restore_periodic_keeps_phase(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_state s;
	struct vt_tfx src, dst;

	setup(&src, &c, false);
	vclock_write(src.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(src.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(src.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&src, 2300000);
	assert_int_equal(ndeliv(&src), 2);
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_int_equal(s.tmcct, 700000);

	dst_setup(&dst, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	dst.v->auto_enter = true;
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	vt_at(&dst, 2700000);
	assert_int_equal(ndeliv(&dst), 3);
	assert_int_equal(dst.vm->log[0].host_ns, dst.t0 + 700000);
	assert_int_equal(dst.vm->log[1].host_ns, dst.t0 + 1700000);
	assert_int_equal(dst.vm->log[2].host_ns, dst.t0 + 2700000);
	vt_teardown(&src);
	vt_teardown(&dst);
}

static void save_restore_tsc_deadline_keeps_guest_tsc_value(void **state)
{
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;
	uint64_t dl, g;

	setup(&src, NULL, true);
	lvtt(&src, LVT_TSCDL(0x40));
	dl = vt_gtsc(&src) + 12500000; /* 5 ms */
	vapic_timer_write_tsc_deadline(src.t, dl);
	vt_at(&src, 1000000);
	g = vt_gtsc(&src);
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_int_equal(s.tsc_deadline, dl);

	/* Another host: 3 GHz TSC, guest kept at 2.5 GHz, TSC continuous. */
	dst_setup(&dst, 3000000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	vclock_vcpu_set_guest_tsc(dst.v, g);
	assert_true(dst.v->clock.ratio != VAPIC_TSC_RATIO_ONE);
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(dst.t), dl);
	vt_at(&dst, vclock_ns_for_guest_tsc(dst.v, dl) - dst.t0 - 1);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	vt_at(&dst, vclock_ns_for_guest_tsc(dst.v, dl) - dst.t0);
	assert_true(vt_gtsc(&dst) >= dl);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&src);
	vt_teardown(&dst);
}

static void restore_on_host_with_other_offset_and_ratio(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;
	uint64_t g;

	setup(&src, &c, true);
	tdcr(&src, TDCR_DIV1);
	lvtt(&src, 0x40);
	tmict(&src, 1000000);
	vt_at(&src, 400000);
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_int_equal(s.tmcct, 600000);

	/* 1.7 GHz host TSC; guest TSC 2.5 GHz with a large offset. */
	dst_setup(&dst, 1700000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	vclock_vcpu_set_guest_tsc(dst.v, 0x123456789abcULL);
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	assert_int_equal(vapic_timer_read_tmcct(dst.t), 600000);
	g = vt_gtsc(&dst);
	/* 600000 counts of 1 ns = 1.5M guest cycles from here. */
	vt_at(&dst, vclock_ns_for_guest_tsc(dst.v, g + 1500000) - dst.t0 - 1);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(vapic_timer_read_tmcct(dst.t), 1);
	vt_at(&dst, vclock_ns_for_guest_tsc(dst.v, g + 1500000) - dst.t0);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&src);
	vt_teardown(&dst);
}

static void restore_with_other_bus_and_tsc_frequency_keeps_count(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;
	uint64_t save_at;

	for (save_at = 1; save_at < 2000000; save_at += 333331) {
		uint32_t count;

		setup(&src, &c, true);
		tdcr(&src, TDCR_DIV2);
		lvtt(&src, 0x40);
		tmict(&src, 1000000);
		vt_at(&src, save_at);
		count = vapic_timer_read_tmcct(src.t);
		assert_int_equal(vapic_timer_save(src.t, &s), 0);

		/* 1 GHz TSC, 500 MHz bus: each count now takes 4 ns. */
		dst_setup(&dst, 1000000, 1000000, 500000,
			  VAPIC_TIMER_F_TSC_DEADLINE);
		assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
		assert_int_equal(vapic_timer_read_tmcct(dst.t), count);
		vt_at(&dst, (uint64_t)count * 4 - 4);
		assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
		vt_at(&dst, (uint64_t)count * 4);
		assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
		vt_teardown(&src);
		vt_teardown(&dst);
	}
}

static void save_restore_preserves_due_tick(void **state)
{
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;

	setup(&src, NULL, true);
	lvtt(&src, LVT_TSCDL(0x40));
	vapic_timer_write_tsc_deadline(src.t, vt_gtsc(&src) + 2500);
	vt_at(&src, 10000); /* fired, not yet polled */
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_DUE);
	assert_int_equal(s.pending_vector, 0x40);
	assert_int_equal(s.tsc_deadline, 0);
	assert_false(s.flags & VAPIC_TSTATE_RUNNING);

	dst_setup(&dst, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&src);
	vt_teardown(&dst);
}

static void save_restore_keeps_masked_and_sw_disabled(void **state)
{
	struct vapic_timer_state s;
	struct vt_tfx src, dst;

	setup(&src, NULL, true);
	lvtt(&src, LVT_PERIODIC(0x40));
	tmict(&src, 1000000);
	vapic_timer_set_sw_enabled(src.t, false);
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_SW_DISABLED);
	dst_setup(&dst, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	assert_int_equal(vapic_timer_read_lvtt(dst.t), MASKED | 0x20040);
	/* Still software-disabled: an unmask attempt is ignored. */
	lvtt(&dst, LVT_PERIODIC(0x40));
	assert_int_equal(vapic_timer_read_lvtt(dst.t), MASKED | 0x20040);
	vt_teardown(&src);
	vt_teardown(&dst);
}

/* A destination timer running a TSC deadline, to prove it is untouched. */
struct victim {
	struct vt_tfx f;
	struct vapic_timer before;
	uint64_t armed_ns;
	struct vapic_timer_state good;
};

static void victim_setup(struct victim *vi, uint32_t flags)
{
	struct vt_tfx src;

	setup(&src, NULL, true);
	src.vm->vcpus[0].stats = (struct vclock_vcpu_stats){ 0 };
	lvtt(&src, LVT_PERIODIC(0x33));
	tdcr(&src, 0x3);
	tmict(&src, 123456);
	vt_at(&src, 77777);
	assert_int_equal(vapic_timer_save(src.t, &vi->good), 0);
	vt_teardown(&src);

	dst_setup(&vi->f, 2500000, 2500000, 1000000, flags);
	lvtt(&vi->f, LVT_PERIODIC(0x40));
	tmict(&vi->f, 3000000);
	vt_at(&vi->f, 1000000);
	vi->armed_ns = armed_at(&vi->f);
	vi->before = *vi->f.t;
}

static void victim_expect(struct victim *vi, const struct vapic_timer_state *s,
			  int err)
{
	assert_int_equal(vapic_timer_restore(vi->f.t, s), err);
	assert_memory_equal(vi->f.t, &vi->before, sizeof(vi->before));
	assert_int_equal(armed_at(&vi->f), vi->armed_ns);
}

static void victim_teardown(struct victim *vi)
{
	/* The good record is accepted by the same timer. */
	assert_int_equal(vapic_timer_restore(vi->f.t, &vi->good), 0);
	vt_teardown(&vi->f);
}

static void restore_rejects_bad_magic(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	s = vi.good;
	s.magic ^= 1;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	s.magic = 0;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	victim_teardown(&vi);
}

static void restore_rejects_unknown_version(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	s = vi.good;
	s.version = VAPIC_TIMER_STATE_VERSION + 1;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_EVERSION);
	s.version = 0;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_EVERSION);
	victim_teardown(&vi);
}

static void restore_rejects_bad_size(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	s = vi.good;
	s.size = sizeof(s) - 4;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	s.size = sizeof(s) + 8;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	victim_teardown(&vi);
}

static void restore_rejects_bad_checksum(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;
	size_t byte;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	/* Any single flipped bit anywhere in the record. */
	for (byte = 0; byte < sizeof(s); byte++) {
		s = vi.good;
		((uint8_t *)&s)[byte] ^= (uint8_t)(1U << (byte % 8));
		assert_int_not_equal(vapic_timer_restore(vi.f.t, &s), 0);
		assert_memory_equal(vi.f.t, &vi.before, sizeof(vi.before));
	}
	s = vi.good;
	s.tmcct ^= 4;
	victim_expect(&vi, &s, VAPIC_ESTATE);
	s = vi.good;
	s.checksum ^= 0x80000000U;
	victim_expect(&vi, &s, VAPIC_ESTATE);
	victim_teardown(&vi);
}

static void restore_rejects_nonzero_reserved_fields(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	s = vi.good;
	s.reserved[0] = 1;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	victim_teardown(&vi);
}

static void restore_rejects_inconsistent_older_pending_tick(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	/* A vector without its flag. */
	s = vi.good;
	s.pending_old_vector = 0x60;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	/* Beyond 255. */
	s = vi.good;
	s.flags |= VAPIC_TSTATE_DUE_OLD;
	s.pending_old_vector = 0x100;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	/* The same vector as the current due tick (one IRR bit). */
	s = vi.good;
	s.flags |= VAPIC_TSTATE_DUE | VAPIC_TSTATE_DUE_OLD;
	s.pending_vector = 0x61;
	s.pending_old_vector = 0x61;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	/* An older due tick without a newer one (save never makes it). */
	s = vi.good;
	s.flags |= VAPIC_TSTATE_DUE_OLD;
	s.pending_old_vector = 0x61;
	fix_checksum(&s);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	/* Consistent: accepted (by a fresh victim, untouched otherwise). */
	s = vi.good;
	s.flags |= VAPIC_TSTATE_DUE | VAPIC_TSTATE_DUE_OLD;
	s.pending_vector = 0x62;
	s.pending_old_vector = 0x61;
	fix_checksum(&s);
	assert_int_equal(vapic_timer_restore(vi.f.t, &s), 0);
	victim_teardown(&vi);
}

static void restore_rejects_reserved_register_and_flag_bits(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;
	int bit;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	for (bit = 0; bit < 32; bit++) {
		uint32_t b = 1U << bit;

		if (!(b & (VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_MASKED |
			   VAPIC_LVTT_MODE_MASK))) {
			s = vi.good;
			s.lvtt |= b;
			fix_checksum(&s);
			victim_expect(&vi, &s, VAPIC_ESTATE);
		}
		if (!(b & VAPIC_TDCR_VALID_MASK)) {
			s = vi.good;
			s.tdcr |= b;
			fix_checksum(&s);
			victim_expect(&vi, &s, VAPIC_ESTATE);
		}
		if (!(b & VAPIC_TSTATE_FLAGS_ALL)) {
			s = vi.good;
			s.flags |= b;
			fix_checksum(&s);
			victim_expect(&vi, &s, VAPIC_ESTATE);
		}
	}
	victim_teardown(&vi);
}

/* Mutations that make a well-formed record self-contradictory. */
static void mut_deadline_in_periodic(struct vapic_timer_state *s)
{
	s->tsc_deadline = 12345;
}
static void mut_tscd_running_without_deadline(struct vapic_timer_state *s)
{
	s->lvtt = 0x40040;
	s->tmict = 0;
	s->progress = 0;
	s->tmcct = 0;
	s->tsc_deadline = 0;
}
static void mut_tscd_deadline_not_running(struct vapic_timer_state *s)
{
	mut_tscd_running_without_deadline(s);
	s->flags &= ~VAPIC_TSTATE_RUNNING;
	s->tsc_deadline = 5;
}
static void mut_tscd_with_tmict(struct vapic_timer_state *s)
{
	mut_tscd_running_without_deadline(s);
	s->tsc_deadline = 1ULL << 40;
	s->tmict = 5;
}
static void mut_tscd_with_progress(struct vapic_timer_state *s)
{
	mut_tscd_running_without_deadline(s);
	s->tsc_deadline = 1ULL << 40;
	s->progress = 1ULL << 63;
}
static void mut_tscd_with_tmcct(struct vapic_timer_state *s)
{
	mut_tscd_running_without_deadline(s);
	s->tsc_deadline = 1ULL << 40;
	s->tmcct = 7;
}
static void mut_reserved_mode_running(struct vapic_timer_state *s)
{
	s->lvtt = 0x60040;
	s->tmict = 0;
	s->progress = 0;
	s->tmcct = 0;
}
static void mut_running_without_tmict(struct vapic_timer_state *s)
{
	s->tmict = 0;
	s->tmcct = 0;
	s->progress = 0;
}
static void mut_tmcct_contradicts_progress(struct vapic_timer_state *s)
{
	s->tmcct += 1;
}
static void mut_tmcct_above_tmict(struct vapic_timer_state *s)
{
	s->progress = 0;
	s->tmcct = s->tmict + 1;
}
static void mut_progress_when_stopped(struct vapic_timer_state *s)
{
	s->flags &= ~VAPIC_TSTATE_RUNNING;
	s->tmcct = 0;
}
static void mut_tmcct_when_stopped(struct vapic_timer_state *s)
{
	s->flags &= ~VAPIC_TSTATE_RUNNING;
	s->progress = 0;
}
static void mut_vector_without_due(struct vapic_timer_state *s)
{
	s->pending_vector = 0x40;
}
static void mut_vector_too_big(struct vapic_timer_state *s)
{
	s->flags |= VAPIC_TSTATE_DUE;
	s->pending_vector = 0x100;
}
static void mut_backlog_too_big(struct vapic_timer_state *s)
{
	s->backlog = VAPIC_CATCHUP_MAX_LIMIT + 1;
}
static void mut_sw_disabled_unmasked(struct vapic_timer_state *s)
{
	s->flags |= VAPIC_TSTATE_SW_DISABLED;
	s->lvtt &= ~VAPIC_LVT_MASKED;
}

static void restore_rejects_inconsistent_fields(void **state)
{
	static void (*const muts[])(struct vapic_timer_state *) = {
		mut_deadline_in_periodic,
		mut_tscd_running_without_deadline,
		mut_tscd_deadline_not_running,
		mut_tscd_with_tmict,
		mut_tscd_with_progress,
		mut_tscd_with_tmcct,
		mut_reserved_mode_running,
		mut_running_without_tmict,
		mut_tmcct_contradicts_progress,
		mut_tmcct_above_tmict,
		mut_progress_when_stopped,
		mut_tmcct_when_stopped,
		mut_vector_without_due,
		mut_vector_too_big,
		mut_backlog_too_big,
		mut_sw_disabled_unmasked,
	};
	struct victim vi;
	size_t i;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	assert_true(vi.good.flags & VAPIC_TSTATE_RUNNING);
	assert_true(vi.good.progress != 0);
	for (i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		struct vapic_timer_state s = vi.good;

		muts[i](&s);
		fix_checksum(&s);
		if (vapic_timer_restore(vi.f.t, &s) != VAPIC_ESTATE)
			fail_msg("mutation %zu accepted", i);
		assert_memory_equal(vi.f.t, &vi.before, sizeof(vi.before));
		assert_int_equal(armed_at(&vi.f), vi.armed_ns);
	}
	victim_teardown(&vi);
}

static void restore_rejects_tsc_mode_where_not_exposed(void **state)
{
	struct victim vi;
	struct vapic_timer_state s;

	victim_setup(&vi, VAPIC_TIMER_F_TSC_DEADLINE);
	s = vi.good;
	mut_tscd_running_without_deadline(&s);
	s.tsc_deadline = 1ULL << 40;
	fix_checksum(&s);
	/* Fine where TSC-deadline mode is exposed... */
	victim_teardown(&vi);
	dst_setup(&vi.f, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	assert_int_equal(vapic_timer_restore(vi.f.t, &s), 0);
	vt_teardown(&vi.f);
	/* ...refused where it is not. */
	victim_setup(&vi, 0);
	victim_expect(&vi, &s, VAPIC_ESTATE);
	victim_teardown(&vi);
}

static void save_restore_reject_null(void **state)
{
	struct vapic_timer_state s;
	struct vt_tfx f;

	setup(&f, NULL, true);
	assert_int_equal(vapic_timer_save(NULL, &s), VAPIC_EINVAL);
	assert_int_equal(vapic_timer_save(f.t, NULL), VAPIC_EINVAL);
	assert_int_equal(vapic_timer_restore(NULL, &s), VAPIC_EINVAL);
	assert_int_equal(vapic_timer_restore(f.t, NULL), VAPIC_EINVAL);
	vt_teardown(&f);
}

static void restore_host_arm_failure_is_ehost_and_retried(void **state)
{
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;
	uint64_t dl;

	setup(&src, NULL, true);
	lvtt(&src, LVT_TSCDL(0x40));
	dl = vt_gtsc(&src) + 2500000;
	vapic_timer_write_tsc_deadline(src.t, dl);
	vapic_timer_save(src.t, &s);
	dst_setup(&dst, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	vclock_vcpu_set_guest_tsc(dst.v, vt_gtsc(&src));
	vclock_fault_next(dst.v, VCLOCK_OP_TIMER_ARM, 1);
	assert_int_equal(vapic_timer_restore(dst.t, &s), VAPIC_EHOST);
	assert_int_equal(vapic_timer_read_tsc_deadline(dst.t), dl);
	assert_false(vclock_timer_armed(dst.v, NULL));
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	assert_true(vclock_timer_armed(dst.v, NULL));
	vt_at(&dst, 1000000);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&src);
	vt_teardown(&dst);
}

/* ---------------------------------------------------------------------- */
/* Host timer failures                                                    */

static void arm_failure_is_ehost_keeps_deadline_retries_at_poll(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	vclock_fault_next(f.v, VCLOCK_OP_TIMER_ARM, 1);
	dl = vt_gtsc(&f) + 250000;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl), VAPIC_EHOST);
	assert_int_equal(f.t->stats.arm_failures, 1);
	assert_int_equal(f.vm->log_msgs[VAPIC_LOG_ERR], 1);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), dl);
	assert_true(vapic_timer_next_deadline(f.t, &dl) && dl);
	vt_at(&f, 10000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(armed_at(&f), f.t0 + 100000 - 1000);
	assert_int_equal(f.t->stats.arms, 1);
	vt_at(&f, 99000);
	assert_int_equal(poll_wait(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(vt_gtsc(&f), f.g0 + 250000);
	vt_teardown(&f);
}

/* The TSC-deadline write's fast path: a host timer it failed to arm is
 * not armed, so the next write has nothing to cancel. */
static void arm_failure_leaves_nothing_to_cancel(void **state)
{
	struct vt_tfx f;
	uint64_t cancels;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(
		vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 100000), 0);
	vclock_fault_next(f.v, VCLOCK_OP_TIMER_ARM, 1);
	assert_int_equal(
		vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 250000),
		VAPIC_EHOST);
	assert_false(vclock_timer_armed(f.v, NULL));
	cancels = f.v->stats.cancels;
	assert_int_equal(
		vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 500000), 0);
	assert_int_equal(f.v->stats.cancels, cancels);
	assert_true(vclock_timer_armed(f.v, NULL));
	vt_teardown(&f);
}

/* A write the fast path hands to the general path (a deadline already
 * past) cancels the armed host timer once, not again there. */
static void past_deadline_write_cancels_host_timer_once(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t cancels;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(
		vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 250000), 0);
	assert_true(vclock_timer_armed(f.v, NULL));
	cancels = f.v->stats.cancels;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) - 1),
			 VAPIC_TIMER_DUE);
	assert_int_equal(f.v->stats.cancels, cancels + 1);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_teardown(&f);
}

static void arm_failing_always_still_delivered_at_next_poll(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl, d;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	vclock_fault_every(f.v, VCLOCK_OP_TIMER_ARM, 1);
	dl = vt_gtsc(&f) + 250000;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, dl), VAPIC_EHOST);
	/* The vCPU exits for other reasons every 7 us. */
	for (d = 7000;; d += 7000) {
		vt_at(&f, d);
		if (vt_poll(&f, &ev) == VAPIC_TIMER_INJECT)
			break;
		assert_true(vt_gtsc(&f) < dl);
	}
	assert_int_equal(d, 105000);
	assert_true(f.t->stats.arm_failures >= 15);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void arm_failure_on_periodic_rearm_keeps_ticking(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vclock_fault_every(f.v, VCLOCK_OP_TIMER_ARM, 3);
	vt_at(&f, 20000000);
	/* Every 3rd re-arm fails: the tick is then missed until the next
	 * exit; with coalescing, nothing is ever early. */
	assert_true(ndeliv(&f) >= 1);
	assert_true(f.t->stats.arm_failures >= 1);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Init / config / reset                                                  */

static void config_default_values(void **state)
{
	struct vapic_timer_config c;

	memset(&c, 0xff, sizeof(c));
	vapic_timer_config_default(&c, 2596136);
	assert_int_equal(c.bus_khz, 1000000);
	assert_int_equal(c.guest_tsc_khz, 2596136);
	assert_int_equal(c.min_period_ns, 200000);
	assert_int_equal(c.missed_policy, VAPIC_MISSED_COALESCE);
	assert_int_equal(c.catchup_max, VAPIC_CATCHUP_MAX_DEFAULT);
	assert_int_equal(c.advance_ns, VAPIC_ADVANCE_ADAPTIVE);
	assert_int_equal(c.flags, VAPIC_TIMER_F_TSC_DEADLINE);
}

static void init_rejects_each_out_of_range_field(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_timer t, pattern;
	struct vapic_timer_config good, c;
	int i;

	vapic_timer_config_default(&good, 2500000);
	memset(&pattern, 0x5a, sizeof(pattern));
	for (i = 0;; i++) {
		int want;

		c = good;
		switch (i) {
		case 0:
			c.bus_khz = VAPIC_KHZ_MIN - 1;
			want = VAPIC_ERANGE;
			break;
		case 1:
			c.bus_khz = VAPIC_KHZ_MAX + 1;
			want = VAPIC_ERANGE;
			break;
		case 2:
			c.bus_khz = 0;
			want = VAPIC_ERANGE;
			break;
		case 3:
			c.guest_tsc_khz = VAPIC_KHZ_MIN - 1;
			want = VAPIC_ERANGE;
			break;
		case 4:
			c.guest_tsc_khz = VAPIC_KHZ_MAX + 1;
			want = VAPIC_ERANGE;
			break;
		case 5:
			c.min_period_ns = VAPIC_MIN_PERIOD_NS_MAX + 1;
			want = VAPIC_ERANGE;
			break;
		case 6:
			c.missed_policy = 2;
			want = VAPIC_EINVAL;
			break;
		case 7:
			c.catchup_max = 0;
			want = VAPIC_ERANGE;
			break;
		case 8:
			c.catchup_max = VAPIC_CATCHUP_MAX_LIMIT + 1;
			want = VAPIC_ERANGE;
			break;
		case 9:
			c.advance_ns = -2;
			want = VAPIC_ERANGE;
			break;
		case 10:
			c.advance_ns = VAPIC_ADVANCE_FIXED_MAX_NS + 1;
			want = VAPIC_ERANGE;
			break;
		case 11:
			c.flags = VAPIC_TIMER_F_ALL + 1;
			want = VAPIC_EINVAL;
			break;
		case 12:
			c.flags = 0x80000000U;
			want = VAPIC_EINVAL;
			break;
		default:
			want = 1;
			break;
		}
		if (want == 1)
			break;
		t = pattern;
		if (vapic_timer_init(&t, &c, &vclock_host_ops, &vm->vcpus[0]) !=
		    want)
			fail_msg("case %d: not refused with %d", i, want);
		assert_memory_equal(&t, &pattern, sizeof(t));
	}
	/* The limits themselves are accepted. */
	c = good;
	c.bus_khz = VAPIC_KHZ_MIN;
	c.guest_tsc_khz = VAPIC_KHZ_MAX;
	c.min_period_ns = VAPIC_MIN_PERIOD_NS_MAX;
	c.catchup_max = VAPIC_CATCHUP_MAX_LIMIT;
	c.advance_ns = VAPIC_ADVANCE_FIXED_MAX_NS;
	c.flags = VAPIC_TIMER_F_ALL;
	c.missed_policy = VAPIC_MISSED_CATCHUP;
	assert_int_equal(
		vapic_timer_init(&t, &c, &vclock_host_ops, &vm->vcpus[0]), 0);
	vapic_timer_destroy(&t);
	vclock_vm_destroy(vm);
}

static void init_rejects_null_and_incomplete_host_ops(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_timer_config c;
	struct vapic_host_ops ops;
	struct vapic_timer t;
	int i;

	vapic_timer_config_default(&c, 2500000);
	assert_int_equal(
		vapic_timer_init(NULL, &c, &vclock_host_ops, vm->vcpus),
		VAPIC_EINVAL);
	assert_int_equal(
		vapic_timer_init(&t, NULL, &vclock_host_ops, vm->vcpus),
		VAPIC_EINVAL);
	assert_int_equal(vapic_timer_init(&t, &c, NULL, vm->vcpus),
			 VAPIC_EINVAL);
	for (i = 0; i < 6; i++) {
		ops = vclock_host_ops;
		switch (i) {
		case 0:
			ops.now_ns = NULL;
			break;
		case 1:
			ops.guest_tsc = NULL;
			break;
		case 2:
			ops.timer_arm = NULL;
			break;
		case 3:
			ops.timer_cancel = NULL;
			break;
		case 4:
			ops.kick = NULL;
			break;
		case 5:
			ops.unmap_guest = NULL;
			break; /* map_guest set */
		}
		assert_false(vapic_host_ops_valid(&ops));
		assert_int_equal(vapic_timer_init(&t, &c, &ops, vm->vcpus),
				 VAPIC_EINVAL);
	}
	/* Optional members may be absent. */
	ops = vclock_host_ops;
	ops.post = NULL;
	ops.log = NULL;
	ops.send_ipi = NULL;
	ops.map_guest = NULL;
	ops.unmap_guest = NULL;
	assert_true(vapic_host_ops_valid(&ops));
	assert_int_equal(vapic_timer_init(&t, &c, &ops, vm->vcpus), 0);
	vclock_vm_destroy(vm);
}

static void init_is_power_on_state(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_timer_config c;
	struct vapic_timer t;
	uint64_t d;

	vapic_timer_config_default(&c, 2500000);
	assert_int_equal(vapic_timer_init(&t, &c, &vclock_host_ops, vm->vcpus),
			 0);
	assert_int_equal(vapic_timer_read_lvtt(&t), 0x10000);
	assert_int_equal(vapic_timer_read_tmict(&t), 0);
	assert_int_equal(vapic_timer_read_tmcct(&t), 0);
	assert_int_equal(vapic_timer_read_tdcr(&t), 0);
	assert_int_equal(vapic_timer_mode(&t), VAPIC_TIMER_ONESHOT);
	assert_false(vapic_timer_next_deadline(&t, &d));
	assert_int_equal(vapic_timer_advance_ns(&t), VAPIC_ADVANCE_NS_INIT);
	vapic_timer_destroy(&t);
	vclock_vm_destroy(vm);
}

static void reset_restores_power_on_values_and_cancels(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint32_t adv;

	setup(&f, NULL, false);
	f.v->timer_latency_ns = 3000;
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 5000000);
	assert_true(ndeliv(&f) > 0);
	adv = vapic_timer_advance_ns(f.t);
	assert_int_not_equal(adv, 1000);
	f.v->auto_enter = false;
	vapic_timer_reset(f.t);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x10000);
	assert_int_equal(vapic_timer_read_tmict(f.t), 0);
	assert_int_equal(vapic_timer_read_tdcr(f.t), 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	/* Advance and stats are kept. */
	assert_int_equal(vapic_timer_advance_ns(f.t), adv);
	assert_true(f.t->stats.injections > 0);
	vt_at(&f, 50000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void reset_drops_a_pending_tick(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 1),
			 VAPIC_TIMER_DUE);
	vapic_timer_reset(f.t);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void next_deadline_reports_running_unmasked_tick(void **state)
{
	struct vt_tfx f;
	uint64_t d = 0, dl;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_false(vapic_timer_next_deadline(f.t, &d));
	dl = vt_gtsc(&f) + 5000;
	vapic_timer_write_tsc_deadline(f.t, dl);
	assert_true(vapic_timer_next_deadline(f.t, &d));
	assert_int_equal(d, dl);
	lvtt(&f, MASKED | LVT_TSCDL(0x40));
	assert_false(vapic_timer_next_deadline(f.t, &d));
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Stats                                                                  */

static void stats_count_arms_fires_injections(void **state)
{
	struct vt_tfx f;
	int i;

	setup(&f, NULL, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	for (i = 0; i < 5; i++) {
		vclock_wrmsr_tsc_deadline(f.v, vt_gtsc(&f) + 250000);
		assert_int_equal(vclock_advance(f.vm, 200000), 0);
	}
	assert_int_equal(f.t->stats.arms, 5);
	assert_int_equal(f.t->stats.fires, 5);
	assert_int_equal(f.t->stats.injections, 5);
	assert_int_equal(f.t->stats.early, 0);
	assert_int_equal(f.t->stats.waits, 5);
	assert_int_equal(f.t->stats.arms, f.v->stats.arms);
	assert_int_equal(f.t->stats.fires, f.v->stats.fires);
	vt_teardown(&f);
}

static void stats_lateness_histogram_log2_buckets(void **state)
{
	static const struct {
		uint64_t late_ns;
		unsigned int bucket;
	} cases[] = {
		{ 0, 0 },     { 1, 1 },	       { 2, 2 },
		{ 3, 2 },     { 1000, 10 },    { 1023, 10 },
		{ 1024, 11 }, { 1 << 20, 21 }, { 1ULL << 40, 31 },
	};
	struct vapic_timer_config c = tcfg(1000000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	size_t i;

	setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = f.t->stats.lateness_hist[cases[i].bucket];
		uint64_t dl = vt_gtsc(&f) + 100;

		vapic_timer_write_tsc_deadline(f.t, dl);
		assert_int_equal(vclock_advance(f.vm, 100 + cases[i].late_ns),
				 0);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
		if (f.t->stats.lateness_hist[cases[i].bucket] != before + 1)
			fail_msg("%llu ns late not in bucket %u",
				 (unsigned long long)cases[i].late_ns,
				 cases[i].bucket);
	}
	vt_teardown(&f);
}

static void stats_descriptors_cover_every_counter(void **state)
{
	uint32_t i, j, words = 0;

	for (i = 0; i < vapic_timer_stat_ndescs; i++) {
		const struct vapic_stat_desc *d = &vapic_timer_stat_descs[i];

		assert_non_null(d->name);
		assert_int_equal(strncmp(d->name, "timer_", 6), 0);
		assert_int_equal(d->offset % 8, 0);
		assert_true(d->offset + 8 * d->count <=
			    sizeof(struct vapic_timer_stats));
		for (j = 0; j < i; j++)
			assert_string_not_equal(d->name,
						vapic_timer_stat_descs[j].name);
		words += d->count;
	}
	assert_int_equal(words * 8, sizeof(struct vapic_timer_stats));
	assert_int_equal(
		vapic_timer_stat_descs[vapic_timer_stat_ndescs - 1].count,
		VAPIC_HIST_BUCKETS);
}

/* ---------------------------------------------------------------------- */
/* Property: never early, one host timer, bounded rate, many vCPUs        */

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void random_programs_are_never_early(void **state)
{
	const uint32_t n = 8;
	struct vclock_config cfg;
	struct vclock_vm *vm;
	uint64_t seed = 2024, writes[8] = { 0 }, t_start;
	uint32_t i;
	int step;

	vclock_config_default(&cfg, n);
	cfg.nr_host_cpus = 3;
	cfg.lapic.timer.min_period_ns = 20000;
	vm = vt_vm_cfg(&cfg);
	t_start = vm->now_ns;
	for (i = 0; i < n; i++) {
		struct vclock_vcpu *v = &vm->vcpus[i];
		struct vapic_lapic_config lc;

		vapic_lapic_config_default(&lc, i, 1000000 + 400000 * i);
		lc.timer.min_period_ns = 20000;
		lc.timer.bus_khz = 100000 + 300000 * (i % 3);
		if (i & 1)
			lc.timer.flags |= VAPIC_TIMER_F_POSTED;
		if (i % 4 == 3)
			lc.timer.missed_policy = VAPIC_MISSED_CATCHUP;
		if (i == 5)
			lc.timer.advance_ns = 2000;
		assert_int_equal(vclock_vcpu_reinit(v, &lc), 0);
		vclock_vcpu_set_guest_tsc(v, 1000000007ULL * (i + 1));
		v->post_enabled = i % 3 != 0;
		v->timer_pinned = i % 2 == 0;
		v->timer_latency_ns = 300 * i;
		v->entry_latency_ns = 100 * (i % 3);
		v->auto_eoi = i != 6;
		vt_enable(v);
	}
	for (step = 0; step < 50000; step++) {
		struct vclock_vcpu *v = &vm->vcpus[rnd(&seed) % n];
		uint32_t vec = 0x20 + (uint32_t)(rnd(&seed) % 0xd0);
		uint64_t g = vclock_guest_tsc(v);

		switch (rnd(&seed) % 12) {
		case 0:
			vclock_write(v, VAPIC_REG_LVT_TIMER,
				     (uint32_t)(rnd(&seed) % 3) << 17 | vec |
					     (rnd(&seed) % 5 ? 0 : MASKED));
			writes[v->index]++;
			break;
		case 1:
		case 2:
			vclock_write(v, VAPIC_REG_TMICT,
				     (uint32_t)(rnd(&seed) % 200000));
			writes[v->index]++;
			break;
		case 3:
			vclock_write(v, VAPIC_REG_TDCR,
				     (uint32_t)(rnd(&seed) % 16));
			writes[v->index]++;
			break;
		case 4:
		case 5:
			vclock_wrmsr_tsc_deadline(
				v, g - 1000 + rnd(&seed) % 400000);
			writes[v->index]++;
			break;
		case 6:
			vclock_vcpu_set_irq_window(v, rnd(&seed) % 4 != 0);
			break;
		case 7:
			if (!v->auto_eoi && (rnd(&seed) & 1))
				vclock_write(v, VAPIC_REG_EOI, 0);
			break;
		default:
			assert_int_equal(vclock_advance(vm, rnd(&seed) % 60000),
					 0);
			break;
		}
		if (step % 64 == 0)
			vt_assert_invariants(vm);
	}
	for (i = 0; i < n; i++)
		vclock_vcpu_set_irq_window(&vm->vcpus[i], true);
	assert_int_equal(vclock_advance(vm, 10000000), 0);
	vt_assert_invariants(vm);
	assert_true(vm->log_len > 1000);
	for (i = 0; i < n; i++) {
		const struct vclock_vcpu *v = &vm->vcpus[i];
		uint64_t fires = v->stats.fires - v->stats.callback_waits;
		uint64_t bound = writes[i] + (vm->now_ns - t_start) / 20000 + 1;

		/* Host timer rate: a guest write or a min period each. */
		if (fires > bound)
			fail_msg("vcpu %u: %llu fires > bound %llu", i,
				 (unsigned long long)fires,
				 (unsigned long long)bound);
		assert_int_equal(v->lapic.timer.stats.early, 0);
	}
	vclock_vm_destroy(vm);
}

/* ---------------------------------------------------------------------- */
/* Host-side changes: has_event, guest TSC jumps and rate, CPUID          */

static void has_event_matches_what_poll_returns(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, true);
	f.v->timer_latency_ns = 5000;
	lvtt(&f, LVT_TSCDL(0x40));
	assert_false(vapic_timer_has_event(f.t));
	dl = vt_gtsc(&f) + 250000; /* 100 us */
	vapic_timer_write_tsc_deadline(f.t, dl);
	vt_at(&f, 99999);
	assert_false(vapic_timer_has_event(f.t));
	/* Reached in guest TSC, host timer still late: an event. */
	vt_at(&f, 100000);
	assert_true(vapic_timer_has_event(f.t));
	assert_true(vapic_timer_has_event(f.t)); /* not consuming */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_false(vapic_timer_has_event(f.t));
	/* Fired early by the advance: an event (poll says WAIT). */
	f.v->timer_latency_ns = 0;
	vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 250000);
	vt_at(&f, 199000);
	assert_int_equal(f.v->stats.fires, 1);
	assert_true(vapic_timer_has_event(f.t));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	vt_at(&f, 200000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	/* A due tick written in the past. */
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 5),
			 VAPIC_TIMER_DUE);
	assert_true(vapic_timer_has_event(f.t));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_false(vapic_timer_has_event(f.t));
	/* Masked: never an event. */
	lvtt(&f, MASKED | LVT_TSCDL(0x40));
	vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 25);
	vt_at(&f, 300000);
	assert_false(vapic_timer_has_event(f.t));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void has_event_false_while_posted_callback_owns_expiry(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, true);
	f.v->post_enabled = true;
	f.v->timer_latency_ns = 10000;
	lvtt(&f, LVT_TSCDL(0x40));
	vapic_timer_write_tsc_deadline(f.t, vt_gtsc(&f) + 250000);
	vt_at(&f, 101000); /* reached; the callback has not run */
	/* has_event promises that poll delivers: it cannot here. */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_false(vapic_timer_has_event(f.t));
	vt_at(&f, 110000);
	assert_int_equal(f.v->stats.posts, 1);
	assert_false(vapic_timer_has_event(f.t));
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_teardown(&f);
}

static void guest_tsc_jump_keeps_oneshot_host_time(void **state)
{
	static const int64_t jumps[] = { 1000000000, -500000, 7 };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
		struct vapic_timer_event ev;
		struct vt_tfx f;

		setup(&f, &c, true);
		tdcr(&f, TDCR_DIV1);
		lvtt(&f, 0x40);
		tmict(&f, 1000000); /* 1 ms */
		vt_at(&f, 400000);
		vclock_vcpu_set_guest_tsc(f.v, vt_gtsc(&f) + (uint64_t)jumps[i]);
		assert_int_equal(vapic_timer_guest_tsc_changed(f.t, jumps[i]),
				 0);
		assert_int_equal(vapic_timer_read_tmcct(f.t), 600000);
		vt_at(&f, 999999);
		assert_int_not_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
		vt_at(&f, 1000000);
		assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
		vt_teardown(&f);
	}
}

static void guest_tsc_jump_keeps_tsc_deadline_absolute(void **state)
{
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t dl;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	dl = vt_gtsc(&f) + 2500000; /* 1 ms */
	vapic_timer_write_tsc_deadline(f.t, dl);
	/* Backwards by 1 ms: the deadline is 2 ms away in host time. */
	vclock_vcpu_set_guest_tsc(f.v, vt_gtsc(&f) - 2500000);
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, -2500000), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), dl);
	vt_at(&f, 1500000);
	assert_int_not_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	/* Forwards past it: due at once. */
	vclock_vcpu_set_guest_tsc(f.v, vt_gtsc(&f) + 2500000);
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, 2500000), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void guest_tsc_khz_change_keeps_count_and_host_time(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t g;

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000);
	vt_at(&f, 400000);
	g = vt_gtsc(&f);
	/* The guest TSC now runs at 1 GHz, continuous at this instant. */
	assert_int_equal(vclock_vcpu_set_tsc(f.v, 1000000, 0), 0);
	vclock_vcpu_set_guest_tsc(f.v, g);
	assert_int_equal(vapic_timer_set_guest_tsc_khz(f.t, 1000000), 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 600000);
	vt_at(&f, 700000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 300000);
	vt_at(&f, 999999);
	assert_int_not_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	/* Out of range: refused, nothing changed. */
	assert_int_equal(vapic_timer_set_guest_tsc_khz(f.t, VAPIC_KHZ_MIN - 1),
			 VAPIC_ERANGE);
	assert_int_equal(vapic_timer_set_guest_tsc_khz(f.t, VAPIC_KHZ_MAX + 1),
			 VAPIC_ERANGE);
	assert_int_equal(f.t->cfg.guest_tsc_khz, 1000000);
	vt_teardown(&f);
}

static void guest_tsc_khz_change_keeps_min_period_in_host_time(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	uint64_t g;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 10); /* clamped to 200 us */
	vt_at(&f, 100000);
	g = vt_gtsc(&f);
	assert_int_equal(vclock_vcpu_set_tsc(f.v, 1000000, 0), 0);
	vclock_vcpu_set_guest_tsc(f.v, g);
	assert_int_equal(vapic_timer_set_guest_tsc_khz(f.t, 1000000), 0);
	vt_at(&f, 1000000);
	assert_int_equal(ndeliv(&f), 5);
	for (size_t k = 0; k < 5; k++)
		assert_int_equal(f.vm->log[k].host_ns, f.t0 + (k + 1) * 200000);
	vt_teardown(&f);
}

/*
 * The host timer for a deadline is armed in the new frequency's ns (the
 * cycles -> ns multiplier followed the change; it used to keep 2.5 GHz,
 * arming a 1 GHz deadline 100 us away at 40 us).
 */
static void guest_tsc_khz_change_rescales_host_timer_arm(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	uint64_t g;

	setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40));
	g = vt_gtsc(&f);
	assert_int_equal(vclock_vcpu_set_tsc(f.v, 1000000, 0), 0);
	vclock_vcpu_set_guest_tsc(f.v, g);
	assert_int_equal(vapic_timer_set_guest_tsc_khz(f.t, 1000000), 0);
	vclock_wrmsr_tsc_deadline(f.v, g + 100000);
	assert_int_equal(armed_at(&f), f.t0 + 100000);
	vt_at(&f, 100000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 100000);
	vt_teardown(&f);
}

static void tsc_deadline_exposure_can_change_outside_the_mode(void **state)
{
	struct vt_tfx f;

	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_set_tsc_deadline_exposed(f.t, false),
			 VAPIC_EBUSY);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40040, true), 0);
	lvtt(&f, 0x40);
	assert_int_equal(vapic_timer_set_tsc_deadline_exposed(f.t, false), 0);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40040, true),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40041, false), 0);
	assert_int_equal(vapic_timer_read_lvtt(f.t), 0x41);
	assert_int_equal(vapic_timer_set_tsc_deadline_exposed(f.t, true), 0);
	assert_int_equal(vapic_timer_write_lvtt(f.t, 0x40042, true), 0);
	assert_int_equal(vapic_timer_mode(f.t), VAPIC_TIMER_TSC_DEADLINE);
	vt_teardown(&f);
}

/*
 * Never lost, never duplicated: every TSC deadline that the guest TSC
 * reaches before it is overwritten is delivered exactly once, in order;
 * every deadline overwritten before it is reached is never delivered.
 * Deferred and posted vCPUs, pinned and not, late host timers.
 */
static void random_tsc_deadlines_delivered_exactly_once(void **state)
{
	enum { N = 4, MAXD = 20000 };
	static uint64_t expect[N][MAXD];
	size_t nexp[N] = { 0 }, got[N] = { 0 };
	uint64_t cur[N] = { 0 }, seed = 77, uniq = 0;
	struct vclock_config cfg;
	struct vclock_vm *vm;
	uint32_t i;
	size_t k;
	int step;

	vclock_config_default(&cfg, N);
	cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	vm = vt_vm_cfg(&cfg);
	for (i = 0; i < N; i++) {
		struct vclock_vcpu *v = &vm->vcpus[i];

		v->post_enabled = i & 1;
		v->timer_pinned = i < 2;
		v->timer_latency_ns = 700 * i;
		vclock_vcpu_set_guest_tsc(v, 1000000000000ULL * (i + 1));
		vt_enable(v);
		vclock_write(v, VAPIC_REG_LVT_TIMER, LVT_TSCDL(0x40 + i));
	}
	for (step = 0; step < 40000; step++) {
		struct vclock_vcpu *v = &vm->vcpus[rnd(&seed) % N];
		uint32_t idx = v->index;
		uint64_t g = vclock_guest_tsc(v), d;

		if (rnd(&seed) % 3) {
			assert_int_equal(vclock_advance(vm, rnd(&seed) % 20000),
					 0);
			continue;
		}
		/* Distinct values, some in the past, most ahead. */
		d = g - 3000 + rnd(&seed) % 60000;
		d = (d & ~0xfffULL) | (++uniq & 0xfff);
		if (cur[idx] && vclock_guest_tsc(v) >= cur[idx])
			expect[idx][nexp[idx]++] = cur[idx];
		cur[idx] = d;
		vclock_wrmsr_tsc_deadline(v, d);
		assert_int_equal(vclock_settle(vm), 0);
		assert_true(nexp[idx] < MAXD);
	}
	assert_int_equal(vclock_advance(vm, 1000000), 0);
	for (i = 0; i < N; i++)
		if (cur[i])
			expect[i][nexp[i]++] = cur[i];
	for (k = 0; k < vm->log_len; k++) {
		const struct vclock_delivery *d = &vm->log[k];

		assert_true(d->flags & VCLOCK_DELIVERY_TIMER);
		assert_true(got[d->vcpu] < nexp[d->vcpu]);
		if (d->deadline_tsc != expect[d->vcpu][got[d->vcpu]])
			fail_msg("vcpu %u delivery %zu: deadline %llu, want "
				 "%llu",
				 d->vcpu, got[d->vcpu],
				 (unsigned long long)d->deadline_tsc,
				 (unsigned long long)
					 expect[d->vcpu][got[d->vcpu]]);
		got[d->vcpu]++;
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(got[i], nexp[i]);
		assert_true(nexp[i] > 100);
	}
	assert_true(vm->vcpus[1].stats.posts > 100);
	vt_vm_destroy(vm);
}

static void tsc_deadline_far_future_arms_at_end_of_time(void **state)
{
	struct vapic_timer_config c =
		tcfg(1000, 1000000, VAPIC_ADVANCE_ADAPTIVE);
	struct vt_tfx f;

	/* 2.5 GHz: the wait still fits in ns. */
	setup(&f, NULL, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, UINT64_MAX), 0);
	/*
	 * The host timer is armed with a fixed-point multiply: never before
	 * the exact time, at most 1 ns later per 2^32 TSC cycles (timer.c,
	 * arm_delta_ns()).
	 */
	{
		uint64_t d = UINT64_MAX - f.g0;
		uint64_t exact = f.t0 + vapic_tsc_to_ns(d, 2500000) - 1000;

		assert_true(armed_at(&f) >= exact);
		assert_true(armed_at(&f) <= exact + (d >> 32) + 1);
	}
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), UINT64_MAX);
	vt_at(&f, 3600ULL * 1000000000ULL);
	assert_int_equal(f.v->stats.fires, 0);
	vt_teardown(&f);
	/* 1 MHz: 2^64 cycles overflow the ns clock: saturate, never wrap. */
	setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, UINT64_MAX), 0);
	assert_int_equal(armed_at(&f), UINT64_MAX);
	vt_teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Guest TSC wrap                                                         */
/*
 * A guest may write IA32_TSC (or IA32_TSC_ADJUST) near 2^64, and a restore
 * may land there: one-shot and periodic timers count on the bus clock, so
 * their deadlines are positions that stay right when the guest TSC wraps
 * past 2^64 inside a period.  TSC-deadline mode keeps the SDM's unsigned
 * compare ("TSC-Deadline Mode": the timer fires when the TSC, unsigned, is
 * at or past the deadline).
 *
 * The fixture: 2.5 GHz guest TSC, 1 GHz bus (one count per ns at divide
 * 1), no advance unless a test says otherwise; the guest TSC reads
 * WRAP_G0 at t0, 0.5 ms before it wraps.
 */
#define WRAP_AHEAD_TSC 1250000ULL /* 0.5 ms at 2.5 GHz */
#define WRAP_G0 (0ULL - WRAP_AHEAD_TSC)

static void wrap_setup(struct vt_tfx *f, struct vapic_timer_config *c,
		       bool manual)
{
	setup(f, c, manual);
	/* Nothing is programmed yet: no timer position to move. */
	vclock_vcpu_set_guest_tsc(f->v, WRAP_G0);
	f->g0 = vt_gtsc(f);
	assert_true(f->g0 == WRAP_G0);
}

static void oneshot_across_tsc_wrap_fires_at_deadline_once(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000); /* 1 ms: due at guest TSC 1250000 after the wrap */
	assert_int_equal(armed_at(&f), f.t0 + 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 999999);
	assert_true(vt_gtsc(&f) < 1250000); /* wrapped, not yet due */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.v->stats.fires, 0);
	vt_at(&f, 1000000);
	assert_int_equal(vt_gtsc(&f), 1250000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 10000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(f.t->stats.injections, 1);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void periodic_across_tsc_wrap_ticks_once_per_period(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	size_t i;

	wrap_setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000); /* 1 ms */
	vt_at(&f, 3500000);
	assert_int_equal(ndeliv(&f), 3);
	for (i = 0; i < 3; i++) {
		const struct vclock_delivery *d = &f.vm->log[i];

		assert_int_equal(d->host_ns, f.t0 + (i + 1) * 1000000);
		assert_int_equal(d->flags, VCLOCK_DELIVERY_TIMER);
		assert_true(d->deadline_tsc == WRAP_G0 + (i + 1) * 2500000);
		assert_true(d->guest_tsc == d->deadline_tsc);
	}
	assert_int_equal(f.t->stats.missed, 0);
	assert_int_equal(f.t->stats.early, 0);
	assert_int_equal(f.v->stats.fires, 3);
	vt_teardown(&f);
}

static void tmcct_counts_down_across_tsc_wrap(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 1000000);
	vt_at(&f, 250000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 750000);
	vt_at(&f, 500000); /* the guest TSC reads 0 */
	assert_true(vt_gtsc(&f) == 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 500000);
	vt_at(&f, 750000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 250000);
	/* 2499997 cycles: 999998.8 counts done. */
	vt_at(&f, 999999);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 2);
	vt_at(&f, 1000000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 0);
	vt_teardown(&f);
}

static void periodic_tmcct_reloads_across_tsc_wrap(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	/* The period starts before the wrap and reloads after it. */
	wrap_setup(&f, &c, false);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_PERIODIC(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 400000); /* 0.4 ms */
	vt_at(&f, 300000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 100000);
	vt_at(&f, 600000); /* 0.1 ms past the wrap, in the 2nd period */
	assert_int_equal(vapic_timer_read_tmcct(f.t), 200000);
	vt_at(&f, 1100000);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 100000);
	assert_int_equal(ndeliv(&f), 2);
	vt_teardown(&f);
}

static void save_restore_across_tsc_wrap_keeps_count_and_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_state s;
	struct vapic_timer_event ev;
	struct vt_tfx src, dst;
	uint64_t g;

	wrap_setup(&src, &c, true);
	tdcr(&src, TDCR_DIV1);
	lvtt(&src, 0x40);
	tmict(&src, 1000000);
	vt_at(&src, 250000); /* saved before the wrap */
	g = vt_gtsc(&src);
	assert_int_equal(vapic_timer_save(src.t, &s), 0);
	assert_int_equal(s.tmcct, 750000);
	assert_true(s.flags & VAPIC_TSTATE_RUNNING);

	/* The destination's guest TSC continues from the source's. */
	dst_setup(&dst, 2500000, 2500000, 1000000, VAPIC_TIMER_F_TSC_DEADLINE);
	vclock_vcpu_set_guest_tsc(dst.v, g);
	assert_int_equal(vapic_timer_restore(dst.t, &s), 0);
	assert_int_equal(vapic_timer_read_tmcct(dst.t), 750000);
	assert_int_equal(armed_at(&dst), dst.t0 + 750000);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	vt_at(&dst, 749999);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(vapic_timer_read_tmcct(dst.t), 2);
	vt_at(&dst, 750000);
	assert_true(vt_gtsc(&dst) == 1250000);
	assert_int_equal(vt_poll(&dst, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(dst.t->stats.injections, 1);
	assert_int_equal(dst.t->stats.early, 0);
	vt_teardown(&src);
	vt_teardown(&dst);
}

static void guest_tsc_write_near_wrap_keeps_oneshot_host_time(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t g, to = 0ULL - 250000; /* 0.1 ms before the wrap */

	setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000); /* 1 ms */
	vt_at(&f, 400000);
	/* The guest writes IA32_TSC; the deadline is 0.5 ms past the wrap. */
	g = vt_gtsc(&f);
	vclock_vcpu_set_guest_tsc(f.v, to);
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, (int64_t)(to - g)),
			 0);
	assert_int_equal(vapic_timer_read_tmcct(f.t), 600000);
	assert_int_equal(armed_at(&f), f.t0 + 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 999999);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.injections, 1);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void advance_window_across_tsc_wrap_waits_for_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 1000);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	setup(&f, &c, true);
	/* Due 200 ns (500 cycles) past the wrap; the host fires 1 us early. */
	vclock_vcpu_set_guest_tsc(f.v, 0ULL - 2500000 + 500);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000);
	assert_int_equal(armed_at(&f), f.t0 + 999000);
	vt_at(&f, 999000);
	assert_int_equal(f.v->stats.fires, 1);
	assert_true(vt_gtsc(&f) > 0ULL - 2500); /* before the wrap */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	assert_int_equal(ev.wait_ns, 1000);
	vt_at(&f, 999999);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_WAIT);
	vt_at(&f, 1000000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

static void posted_oneshot_across_tsc_wrap_posts_at_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 1000);
	struct vt_tfx f;

	c.flags |= VAPIC_TIMER_F_POSTED;
	setup(&f, &c, false);
	f.v->post_enabled = true;
	/* Due 200 ns past the wrap; the callback runs 1 us before it. */
	vclock_vcpu_set_guest_tsc(f.v, 0ULL - 2500000 + 500);
	vclock_write(f.v, VAPIC_REG_TDCR, TDCR_DIV1);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVT_ONESHOT(0x40));
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vt_at(&f, 2000000);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	assert_int_equal(f.vm->log[0].host_ns, f.t0 + 1000000);
	assert_true(f.vm->log[0].guest_tsc == 500);
	assert_int_equal(f.v->stats.posts, 1);
	vt_teardown(&f);
}

static void catchup_across_tsc_wrap_counts_missed_periods(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	int n = 0;

	c.missed_policy = VAPIC_MISSED_CATCHUP;
	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, LVT_PERIODIC(0x40));
	tmict(&f, 1000000);
	/* The vCPU thread polls only 3.5 periods later, past the wrap. */
	vt_at(&f, 3500000);
	while (vt_poll(&f, &ev) == VAPIC_TIMER_INJECT)
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(f.t->stats.missed, 2);
	assert_int_equal(f.t->stats.catchup, 2);
	assert_int_equal(f.t->stats.early, 0);
	/* The phase is kept: the 4th tick at 4 ms. */
	assert_int_equal(armed_at(&f), f.t0 + 4000000);
	vt_teardown(&f);
}

static void has_event_across_tsc_wrap_only_at_deadline(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000);
	assert_false(vapic_timer_has_event(f.t));
	vt_at(&f, 250000);
	assert_false(vapic_timer_has_event(f.t));
	vt_at(&f, 999999);
	assert_false(vapic_timer_has_event(f.t));
	vt_at(&f, 1000000);
	assert_true(vapic_timer_has_event(f.t));
	vt_teardown(&f);
}

static void next_deadline_across_tsc_wrap_is_the_wrapped_tsc(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	uint64_t dl = 0, ns = 0;

	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 1000000);
	vt_at(&f, 250000);
	assert_true(vapic_timer_next_deadline(f.t, &dl));
	assert_true(dl == 1250000);
	/* Halt-polling: the timer is 0.75 ms away, not due. */
	assert_true(vapic_haltpoll_timer_ns(f.t, &ns));
	assert_int_equal(ns, 750000);
	vt_teardown(&f);
}

static void
tick_due_before_tsc_wrap_polled_after_is_late_not_early(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	tdcr(&f, TDCR_DIV1);
	lvtt(&f, 0x40);
	tmict(&f, 400000); /* due 0.1 ms before the wrap */
	/* The vCPU thread polls 0.2 ms late, past the wrap. */
	vt_at(&f, 600000);
	assert_true(vt_gtsc(&f) == 250000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.early, 0);
	/* 500000 cycles = 200000 ns late: fls(200000) = 18. */
	assert_int_equal(f.t->stats.lateness_hist[18], 1);
	vt_teardown(&f);
}

static void tsc_deadline_far_ahead_of_small_tsc_never_fires(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t ns = 0;

	/*
	 * Unsigned as the SDM says: 2^64 - 1 is far ahead of a small TSC
	 * (not "just behind it").  Through the general path: written while
	 * masked, armed by the unmasking LVT write.
	 */
	setup(&f, &c, true);
	vclock_vcpu_set_guest_tsc(f.v, 1000);
	lvtt(&f, MASKED | LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, UINT64_MAX), 0);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_true(armed_at(&f) > f.t0 + 3600ULL * 1000000000ULL);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_false(vapic_timer_has_event(f.t));
	assert_true(vapic_timer_read_tsc_deadline(f.t) == UINT64_MAX);
	assert_true(vapic_haltpoll_timer_ns(f.t, &ns));
	assert_true(ns > 3600ULL * 1000000000ULL);
	vt_at(&f, 3600ULL * 1000000000ULL);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.v->stats.fires, 0);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

static void tsc_deadline_below_tsc_near_wrap_is_due_at_once(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	/*
	 * The other side of the unsigned compare: with the TSC 1000 cycles
	 * before 2^64, a deadline of 500 is in the past (the TSC would have
	 * to wrap to reach it): due at once, not 1500 cycles later.
	 */
	wrap_setup(&f, &c, true);
	vclock_vcpu_set_guest_tsc(f.v, 0ULL - 1000);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 500),
			 VAPIC_TIMER_DUE);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

/*
 * A deadline armed before the wrap, above the TSC, is reached when the TSC
 * counts up to it: the SDM's "equals or exceeds" holds at that instant,
 * and the interrupt is generated then.  A vCPU thread that polls only
 * after the TSC went on past 2^64 (a small value, numerically below the
 * deadline) must still get it: late, never lost.
 */
static void tsc_deadline_reached_before_wrap_polled_after_is_delivered(
	void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	/* 0.1 ms before the wrap, 0.4 ms from now. */
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 250000),
			 0);
	assert_int_equal(armed_at(&f), f.t0 + 400000);
	/* The vCPU thread polls 0.2 ms late, past the wrap. */
	vt_at(&f, 600000);
	assert_int_equal(f.v->stats.fires, 1);
	assert_true(vt_gtsc(&f) == 250000);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.t->stats.injections, 1);
	assert_int_equal(f.t->stats.early, 0);
	/* 500000 cycles = 200000 ns late: fls(200000) = 18. */
	assert_int_equal(f.t->stats.lateness_hist[18], 1);
	vt_teardown(&f);
}

/* The same, seen before the poll: the MSR reads 0 (fired), an event. */
static void tsc_deadline_reached_before_wrap_reads_fired_after_it(
	void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vt_tfx f;
	uint64_t ns = 1;

	wrap_setup(&f, &c, true);
	lvtt(&f, MASKED | LVT_TSCDL(0x40));
	/* Masked: no host timer; only the TSC passes the deadline. */
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 250000),
			 0);
	vt_at(&f, 300000);
	assert_true(vapic_timer_read_tsc_deadline(f.t) == 0ULL - 250000);
	vt_at(&f, 600000); /* past the deadline, then past the wrap */
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	lvtt(&f, LVT_TSCDL(0x40));
	/* It fired while masked: nothing to deliver, nothing armed. */
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_false(vapic_timer_has_event(f.t));
	assert_false(vapic_haltpoll_timer_ns(f.t, &ns));
	assert_int_equal(f.t->stats.masked, 1);
	vt_teardown(&f);
}

/*
 * The TSC reached the deadline; before the vCPU thread polls, the guest
 * moves its TSC forward across the wrap (IA32_TSC_ADJUST), to a value
 * below the deadline.  The interrupt was generated when the TSC reached
 * the deadline, before the write: it is still delivered.
 */
static void tsc_deadline_reached_then_tsc_jumps_across_wrap_is_delivered(
	void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t g;

	wrap_setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 750000),
			 0);
	vt_at(&f, 200000); /* the deadline: the host timer fires */
	assert_int_equal(f.v->stats.fires, 1);
	vt_at(&f, 300000);
	g = vt_gtsc(&f);
	assert_true(g == 0ULL - 500000);
	vclock_vcpu_set_guest_tsc(f.v, g + 1000000); /* 500000 */
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, 1000000), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_int_equal(f.t->stats.early, 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_teardown(&f);
}

/*
 * The other case: the TSC jumps across the wrap from below the deadline to
 * a value below it, without ever equalling or exceeding it (SDM
 * "TSC-Deadline Mode"): no interrupt; the deadline stays armed, now nearly
 * 2^64 cycles ahead.
 */
static void tsc_jump_across_wrap_below_deadline_does_not_fire(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 250000),
			 0);
	vclock_vcpu_set_guest_tsc(f.v, WRAP_G0 + 2000000); /* 750000 */
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, 2000000), 0);
	assert_true(armed_at(&f) > f.t0 + 3600ULL * 1000000000ULL);
	assert_true(vapic_timer_read_tsc_deadline(f.t) == 0ULL - 250000);
	assert_false(vapic_timer_has_event(f.t));
	vt_at(&f, 3600ULL * 1000000000ULL);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(f.v->stats.fires, 0);
	assert_int_equal(f.t->stats.injections, 0);
	vt_teardown(&f);
}

/*
 * The TSC reached the deadline; before the vCPU thread polls, the guest
 * writes IA32_TSC back to a value between the TSC at which it armed the
 * deadline and the deadline.  The interrupt was generated before the write:
 * delivered (completed at the old TSC, not compared at the new one).
 */
static void tsc_deadline_reached_then_tsc_moved_back_is_delivered(void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;
	uint64_t g;

	setup(&f, &c, true);
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, f.g0 + 500000),
			 0);
	vt_at(&f, 300000); /* 100 us past the deadline: the timer fired */
	assert_int_equal(f.v->stats.fires, 1);
	g = vt_gtsc(&f);
	vclock_vcpu_set_guest_tsc(f.v, g - 500000); /* g0 + 250000 */
	assert_int_equal(vapic_timer_guest_tsc_changed(f.t, -500000), 0);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vapic_timer_read_tsc_deadline(f.t), 0);
	assert_int_equal(f.t->stats.early, 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	vt_teardown(&f);
}

/*
 * The TSC passed the deadline just before the wrap; the host timer is
 * late (it has not fired yet) when the guest, after the wrap, writes a new
 * deadline.  The first interrupt was generated before the write: it is
 * due (the write says so), and the new deadline fires as well.
 */
static void tsc_deadline_reached_before_wrap_survives_a_new_deadline(
	void **state)
{
	struct vapic_timer_config c = tcfg(2500000, 1000000, 0);
	struct vapic_timer_event ev;
	struct vt_tfx f;

	wrap_setup(&f, &c, true);
	f.v->timer_latency_ns = 500000;
	lvtt(&f, LVT_TSCDL(0x40));
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 0ULL - 250000),
			 0);
	vt_at(&f, 600000); /* TSC 250000, past the wrap */
	assert_int_equal(f.v->stats.fires, 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 500000),
			 VAPIC_TIMER_DUE);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(ev.vector, 0x40);
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_NONE);
	assert_true(vapic_timer_read_tsc_deadline(f.t) == 500000);
	f.v->timer_latency_ns = 0;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, 500000), 0);
	vt_at(&f, 700000); /* TSC 500000 */
	assert_int_equal(vt_poll(&f, &ev), VAPIC_TIMER_INJECT);
	assert_int_equal(f.t->stats.injections, 2);
	assert_int_equal(f.t->stats.early, 0);
	vt_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* LVT timer */
		cmocka_unit_test(lvtt_write_reads_back_vector_mask_and_mode),
		cmocka_unit_test(lvtt_xapic_ignores_reserved_bits),
		cmocka_unit_test(lvtt_x2apic_refuses_each_reserved_bit),
		cmocka_unit_test(lvtt_x2apic_accepts_and_drops_delivery_status),
		cmocka_unit_test(lvtt_mode_11b_xapic_is_stored_and_never_runs),
		cmocka_unit_test(lvtt_mode_11b_x2apic_is_refused),
		cmocka_unit_test(
			lvtt_bit18_without_tsc_deadline_ignored_or_refused),
		cmocka_unit_test(lvtt_software_disabled_keeps_mask_set),
		cmocka_unit_test(
			software_disabled_timer_counts_but_delivers_nothing),
		/* TMICT / TMCCT / TDCR */
		cmocka_unit_test(tmict_write_starts_oneshot_that_fires_once),
		cmocka_unit_test(tmcct_counts_down_exactly),
		cmocka_unit_test(oneshot_stops_at_zero),
		cmocka_unit_test(periodic_reloads_and_ticks_every_period),
		cmocka_unit_test(tmict_rewrite_restarts_the_count),
		cmocka_unit_test(tmict_zero_stops_the_timer),
		cmocka_unit_test(tmict_ignored_in_tsc_deadline_mode),
		cmocka_unit_test(tdcr_all_eight_encodings_divide),
		cmocka_unit_test(tdcr_reserved_bits_ignored_or_refused),
		cmocka_unit_test(
			tdcr_change_rescales_remaining_time_keeps_count),
		cmocka_unit_test(tdcr_change_on_periodic_keeps_phase),
		cmocka_unit_test(
			tdcr_change_on_stopped_timer_applies_at_next_start),
		cmocka_unit_test(tdcr_change_near_expiry_is_never_early),
		/* TSC-deadline */
		cmocka_unit_test(tsc_deadline_fires_at_deadline_never_before),
		cmocka_unit_test(tsc_deadline_tmcct_reads_zero),
		cmocka_unit_test(tsc_deadline_zero_disarms),
		cmocka_unit_test(tsc_deadline_in_the_past_is_due_at_once),
		cmocka_unit_test(
			tsc_deadline_in_the_past_delivered_before_next_exit),
		cmocka_unit_test(
			tsc_deadline_msr_reads_armed_then_zero_after_fire),
		cmocka_unit_test(
			tsc_deadline_msr_reads_zero_once_reached_even_unpolled),
		cmocka_unit_test(
			tsc_deadline_msr_outside_mode_reads_zero_ignores_writes),
		cmocka_unit_test(tsc_deadline_rewrite_later_and_earlier),
		cmocka_unit_test(tsc_deadline_far_future_arms_at_end_of_time),
		cmocka_unit_test(every_mode_switch_disarms),
		cmocka_unit_test(same_mode_lvt_write_keeps_timer_running),
		cmocka_unit_test(spurious_early_host_fire_never_injects_early),
		cmocka_unit_test(early_host_fire_within_advance_max_waits),
		cmocka_unit_test(
			posted_early_callback_rearms_instead_of_waiting),
		cmocka_unit_test(expiry_of_stopped_timer_is_harmless),
		/* Masked, illegal vector */
		cmocka_unit_test(masked_periodic_keeps_counting_and_reloading),
		cmocka_unit_test(unmasking_does_not_deliver_old_ticks),
		cmocka_unit_test(masked_oneshot_expiry_is_not_delivered_later),
		cmocka_unit_test(masked_tsc_deadline_passes_silently),
		cmocka_unit_test(masking_a_pending_timer_disarms_host_timer),
		cmocka_unit_test(illegal_vector_not_delivered_sets_esr),
		cmocka_unit_test(illegal_vector_raises_unmasked_lvt_error),
		cmocka_unit_test(
			illegal_vector_in_posted_mode_goes_through_the_lapic),
		/* Minimum period */
		cmocka_unit_test(periodic_below_min_period_runs_at_min_period),
		cmocka_unit_test(periodic_just_below_min_period_is_clamped),
		cmocka_unit_test(min_period_is_configurable),
		cmocka_unit_test(
			guest_cannot_make_host_fire_faster_than_min_period),
		cmocka_unit_test(oneshot_and_tsc_deadline_are_not_clamped),
		cmocka_unit_test(oneshot_host_arm_needs_a_guest_write),
		/* Missed ticks */
		cmocka_unit_test(coalesce_is_the_default_policy),
		cmocka_unit_test(coalesce_merges_ticks_while_vector_pending),
		cmocka_unit_test(coalesce_when_vcpu_did_not_run),
		cmocka_unit_test(catchup_delivers_every_missed_tick_late),
		cmocka_unit_test(catchup_waits_while_vector_busy),
		cmocka_unit_test(catchup_backlog_is_capped_and_excess_dropped),
		cmocka_unit_test(catchup_through_lapic_delivers_one_at_a_time),
		/* Advance */
		cmocka_unit_test(advance_starts_at_1000ns),
		cmocka_unit_test(advance_grows_by_eighth_of_lateness),
		cmocka_unit_test(advance_shrinks_when_timer_fires_early),
		cmocka_unit_test(
			advance_ignores_samples_outside_100_to_10000_cycles),
		cmocka_unit_test(advance_window_is_in_tsc_cycles_not_ns),
		cmocka_unit_test(advance_resets_to_1000_past_5000),
		cmocka_unit_test(
			advance_wait_path_never_injects_before_deadline),
		cmocka_unit_test(fixed_advance_is_not_tuned),
		cmocka_unit_test(zero_advance_arms_exactly_at_deadline),
		/* Cross-CPU, posted */
		cmocka_unit_test(unpinned_expiry_hands_off_to_vcpu_thread),
		cmocka_unit_test(posted_delivers_without_exit),
		cmocka_unit_test(posted_periodic_rearms_from_callback),
		cmocka_unit_test(posted_catchup_hands_missed_periods_to_vcpu),
		cmocka_unit_test(posted_post_failure_falls_back_to_kick),
		cmocka_unit_test(posted_disabled_on_vcpu_falls_back_every_time),
		/* Save / restore */
		cmocka_unit_test(save_restore_oneshot_resumes_tmcct_exactly),
		cmocka_unit_test(save_restore_periodic_keeps_phase),
		cmocka_unit_test(
			save_restore_tsc_deadline_keeps_guest_tsc_value),
		cmocka_unit_test(restore_on_host_with_other_offset_and_ratio),
		cmocka_unit_test(
			restore_with_other_bus_and_tsc_frequency_keeps_count),
		cmocka_unit_test(save_restore_preserves_due_tick),
		cmocka_unit_test(save_restore_keeps_masked_and_sw_disabled),
		cmocka_unit_test(restore_rejects_bad_magic),
		cmocka_unit_test(restore_rejects_unknown_version),
		cmocka_unit_test(restore_rejects_bad_size),
		cmocka_unit_test(restore_rejects_bad_checksum),
		cmocka_unit_test(restore_rejects_nonzero_reserved_fields),
		cmocka_unit_test(
			restore_rejects_inconsistent_older_pending_tick),
		cmocka_unit_test(
			restore_rejects_reserved_register_and_flag_bits),
		cmocka_unit_test(restore_rejects_inconsistent_fields),
		cmocka_unit_test(restore_rejects_tsc_mode_where_not_exposed),
		cmocka_unit_test(save_restore_reject_null),
		cmocka_unit_test(restore_host_arm_failure_is_ehost_and_retried),
		/* Host failures */
		cmocka_unit_test(
			arm_failure_is_ehost_keeps_deadline_retries_at_poll),
		cmocka_unit_test(
			arm_failing_always_still_delivered_at_next_poll),
		cmocka_unit_test(arm_failure_leaves_nothing_to_cancel),
		cmocka_unit_test(past_deadline_write_cancels_host_timer_once),
		cmocka_unit_test(arm_failure_on_periodic_rearm_keeps_ticking),
		/* Init, config, reset */
		cmocka_unit_test(config_default_values),
		cmocka_unit_test(init_rejects_each_out_of_range_field),
		cmocka_unit_test(init_rejects_null_and_incomplete_host_ops),
		cmocka_unit_test(init_is_power_on_state),
		cmocka_unit_test(reset_restores_power_on_values_and_cancels),
		cmocka_unit_test(reset_drops_a_pending_tick),
		cmocka_unit_test(next_deadline_reports_running_unmasked_tick),
		/* Stats */
		cmocka_unit_test(stats_count_arms_fires_injections),
		cmocka_unit_test(stats_lateness_histogram_log2_buckets),
		cmocka_unit_test(stats_descriptors_cover_every_counter),
		/* Host-side changes */
		cmocka_unit_test(has_event_matches_what_poll_returns),
		cmocka_unit_test(
			has_event_false_while_posted_callback_owns_expiry),
		cmocka_unit_test(guest_tsc_jump_keeps_oneshot_host_time),
		cmocka_unit_test(guest_tsc_jump_keeps_tsc_deadline_absolute),
		cmocka_unit_test(
			guest_tsc_khz_change_keeps_count_and_host_time),
		cmocka_unit_test(
			guest_tsc_khz_change_keeps_min_period_in_host_time),
		cmocka_unit_test(guest_tsc_khz_change_rescales_host_timer_arm),
		cmocka_unit_test(
			tsc_deadline_exposure_can_change_outside_the_mode),
		/* Guest TSC wrap */
		cmocka_unit_test(
			oneshot_across_tsc_wrap_fires_at_deadline_once),
		cmocka_unit_test(
			periodic_across_tsc_wrap_ticks_once_per_period),
		cmocka_unit_test(tmcct_counts_down_across_tsc_wrap),
		cmocka_unit_test(periodic_tmcct_reloads_across_tsc_wrap),
		cmocka_unit_test(
			save_restore_across_tsc_wrap_keeps_count_and_deadline),
		cmocka_unit_test(
			guest_tsc_write_near_wrap_keeps_oneshot_host_time),
		cmocka_unit_test(
			advance_window_across_tsc_wrap_waits_for_deadline),
		cmocka_unit_test(
			posted_oneshot_across_tsc_wrap_posts_at_deadline),
		cmocka_unit_test(catchup_across_tsc_wrap_counts_missed_periods),
		cmocka_unit_test(has_event_across_tsc_wrap_only_at_deadline),
		cmocka_unit_test(
			next_deadline_across_tsc_wrap_is_the_wrapped_tsc),
		cmocka_unit_test(
			tick_due_before_tsc_wrap_polled_after_is_late_not_early),
		cmocka_unit_test(
			tsc_deadline_far_ahead_of_small_tsc_never_fires),
		cmocka_unit_test(
			tsc_deadline_below_tsc_near_wrap_is_due_at_once),
		cmocka_unit_test(
			tsc_deadline_reached_before_wrap_polled_after_is_delivered),
		cmocka_unit_test(
			tsc_deadline_reached_before_wrap_reads_fired_after_it),
		cmocka_unit_test(
			tsc_deadline_reached_then_tsc_jumps_across_wrap_is_delivered),
		cmocka_unit_test(
			tsc_jump_across_wrap_below_deadline_does_not_fire),
		cmocka_unit_test(
			tsc_deadline_reached_then_tsc_moved_back_is_delivered),
		cmocka_unit_test(
			tsc_deadline_reached_before_wrap_survives_a_new_deadline),
		/* Properties */
		cmocka_unit_test(random_programs_are_never_early),
		cmocka_unit_test(random_tsc_deadlines_delivered_exactly_once),
	};

	return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
