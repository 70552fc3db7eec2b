// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libvapic behaviour checks, shared by the userspace runner and the
 * in-kernel selftest (see vapic_checks.h).
 *
 * Each test checks one behaviour of the public API on a deterministic
 * virtual clock: time moves only when a test moves it, the host timer fires
 * exactly at its expiry, and the "vCPU" polls when the test says so.  The
 * expected values are computed by hand from the Intel SDM's rules (chapter
 * "Advanced Programmable Interrupt Controller (APIC)": "APIC Timer",
 * "TSC-Deadline Mode", "Local Vector Table", "Interrupt, Task, and
 * Processor Priority", "Error Handling", "Spurious-Interrupt Vector
 * Register"), not from the implementation.
 *
 * Freestanding: only the public vapic headers and vapic_checks.h; kbuild
 * compiles this file into vapic_selftest.ko unchanged.
 */
#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/host.h>
#include <vapic/lapic.h>
#include <vapic/timer.h>
#include "vapic_checks.h"

#define CHK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define U64_ALL_ONES 0xffffffffffffffffULL
#define NS0 1000000000ULL /* the virtual clock starts at 1 s */
#define KHZ_1GHZ 1000000U
#define KHZ_2_5GHZ 2500000U

#define LVTT_ONESHOT 0x00000000U
#define LVTT_PERIODIC 0x00020000U
#define LVTT_TSCDL 0x00040000U
#define LVT_MASK 0x00010000U
#define TDCR_DIV1 0xbU
#define TDCR_DIV2 0x0U
#define SVR_ON 0x1ffU

/* ---------------------------------------------------------------------- */
/* Check primitives                                                       */

static void vchk_fail_(struct vchk *c, int line, const char *what)
{
	c->failed_checks++;
	c->test_failed = 1;
	vchk_log("#   %s: line %d: check failed: %s", c->test, line, what);
}

static bool vchk_(struct vchk *c, bool ok, const char *expr, int line)
{
	c->checks++;
	if (!ok)
		vchk_fail_(c, line, expr);
	return ok;
}

static bool vchk_eq_(struct vchk *c, unsigned long long a, unsigned long long b,
		     const char *ea, const char *eb, int line)
{
	c->checks++;
	if (a != b) {
		vchk_fail_(c, line, ea);
		vchk_log(
			"#     %s = %llu (0x%llx), expected %s = %llu (0x%llx)",
			ea, a, a, eb, b, b);
		return false;
	}
	return true;
}

#define CHECK(cond) vchk_(c, !!(cond), #cond, __LINE__)
#define CHECK_EQ(a, b)                                                        \
	vchk_eq_(c, (unsigned long long)(a), (unsigned long long)(b), #a, #b, \
		 __LINE__)

/* ---------------------------------------------------------------------- */
/* Reference 128-bit arithmetic, independent of the core's                */

struct ref128 {
	uint64_t hi, lo;
};

static struct ref128 ref_mul(uint64_t a, uint64_t b)
{
	uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
	struct ref128 r;

	r.lo = (mid << 32) | (uint32_t)ll;
	r.hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return r;
}

/* floor(x / d) by binary long division; *ovf if it does not fit 64 bits. */
static uint64_t ref_div(struct ref128 x, uint64_t d, uint64_t *rem, bool *ovf)
{
	struct ref128 q = { 0, 0 };
	uint64_t r = 0;
	int i;

	for (i = 127; i >= 0; i--) {
		uint64_t bit =
			i >= 64 ? (x.hi >> (i - 64)) & 1 : (x.lo >> i) & 1;
		uint64_t top = r >> 63;

		r = (r << 1) | bit;
		q.hi = (q.hi << 1) | (q.lo >> 63);
		q.lo <<= 1;
		if (top || r >= d) {
			r -= d;
			q.lo |= 1;
		}
	}
	*rem = r;
	*ovf = q.hi != 0;
	return q.lo;
}

static uint64_t ref_mul_div(uint64_t a, uint64_t b, uint64_t d, bool ceil)
{
	uint64_t rem, q;
	bool ovf;

	if (!d)
		return U64_ALL_ONES;
	q = ref_div(ref_mul(a, b), d, &rem, &ovf);
	if (ovf)
		return U64_ALL_ONES;
	if (ceil && rem)
		return q == U64_ALL_ONES ? U64_ALL_ONES : q + 1;
	return q;
}

static uint64_t lcg_state;

static uint64_t lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return lcg_state;
}

/* A random value of random magnitude (1..64 bits), to hit every range. */
static uint64_t lcg_mag(void)
{
	unsigned int bits = (unsigned int)(lcg() >> 58) + 1;

	return bits >= 64 ? lcg() : lcg() & ((1ULL << bits) - 1);
}

/* ---------------------------------------------------------------------- */
/* The virtual-clock host                                                 */

struct vh {
	uint64_t now_ns;
	uint32_t tsc_khz;
	uint64_t tsc_offset;
	bool armed;
	uint64_t expires_ns;
	unsigned int arms, cancels, double_arms, fires, kicks, waits;
	bool post_ok;
	unsigned int posts;
	uint32_t posted_vector;
	uint64_t posted_tsc;
	uint64_t min_post_margin; /* min over posts of tsc - deadline */
	struct vapic_timer *t;
	struct vapic_host_ops ops;
};

/* Guest TSC: tsc_offset + now_ns * tsc_khz / 10^6 (exact, reference math). */
static uint64_t vh_tsc(const struct vh *h)
{
	return h->tsc_offset +
	       ref_mul_div(h->now_ns, h->tsc_khz, 1000000, false);
}

static uint64_t vh_now_ns_op(void *host)
{
	return ((struct vh *)host)->now_ns;
}

static uint64_t vh_tsc_op(void *host)
{
	return vh_tsc(host);
}

static int vh_arm_op(void *host, uint64_t expires_ns)
{
	struct vh *h = host;

	if (h->armed)
		h->double_arms++;
	h->armed = true;
	h->expires_ns = expires_ns;
	h->arms++;
	return 0;
}

static void vh_cancel_op(void *host)
{
	struct vh *h = host;

	h->armed = false;
	h->cancels++;
}

static void vh_kick_op(void *host)
{
	((struct vh *)host)->kicks++;
}

static int vh_post_op(void *host, uint32_t vector)
{
	struct vh *h = host;

	if (!h->post_ok)
		return VAPIC_EBUSY;
	h->posts++;
	h->posted_vector = vector;
	h->posted_tsc = vh_tsc(h);
	return 0;
}

static void vh_init(struct vh *h, uint32_t tsc_khz, bool with_post)
{
	__builtin_memset(h, 0, sizeof(*h));
	h->now_ns = NS0;
	h->tsc_khz = tsc_khz;
	h->ops.now_ns = vh_now_ns_op;
	h->ops.guest_tsc = vh_tsc_op;
	h->ops.timer_arm = vh_arm_op;
	h->ops.timer_cancel = vh_cancel_op;
	h->ops.kick = vh_kick_op;
	if (with_post) {
		h->ops.post = vh_post_op;
		h->post_ok = true;
	}
}

/*
 * Move the clock to @target_ns, firing the host timer exactly at its expiry
 * on the way (the timer callback's view), and following REARM / WAIT.
 */
static void vh_run_to(struct vh *h, uint64_t target_ns)
{
	unsigned int n = 0;

	while (h->armed && h->expires_ns <= target_ns && n++ < 100000) {
		uint64_t exp = 0;
		int a;

		if (h->expires_ns > h->now_ns)
			h->now_ns = h->expires_ns;
		h->armed = false;
		h->fires++;
		a = vapic_timer_expired(h->t, &exp);
		if (a == VAPIC_TFN_REARM || a == VAPIC_TFN_WAIT) {
			h->armed = true;
			h->expires_ns = exp;
		}
	}
	if (target_ns > h->now_ns)
		h->now_ns = target_ns;
}

/* The vCPU thread: poll the timer, waiting out WAIT answers. */
static int vh_poll_timer(struct vh *h, uint32_t flags, uint32_t *vector)
{
	struct vapic_timer_event ev = { 0, 0 };
	int r, n = 0;

	for (;;) {
		r = vapic_timer_poll(h->t, flags, &ev);
		if (r != VAPIC_TIMER_WAIT || n++ > 100)
			break;
		h->waits++;
		vh_run_to(h, h->now_ns + ev.wait_ns);
	}
	if (r == VAPIC_TIMER_INJECT)
		*vector = ev.vector;
	return r;
}

static int vh_poll_lapic(struct vh *h, struct vapic_lapic *l, uint32_t *vector)
{
	uint64_t wait_ns = 0;
	int r, n = 0;

	for (;;) {
		r = vapic_lapic_poll(l, vector, &wait_ns);
		if (r != VAPIC_LAPIC_WAIT || n++ > 100)
			break;
		h->waits++;
		vh_run_to(h, h->now_ns + wait_ns);
	}
	return r;
}

static int vh_timer_init(struct vh *h, struct vapic_timer *t,
			 int32_t advance_ns, uint32_t extra_flags)
{
	struct vapic_timer_config cfg;

	vapic_timer_config_default(&cfg, h->tsc_khz);
	cfg.advance_ns = advance_ns;
	cfg.flags |= extra_flags;
	h->t = t;
	return vapic_timer_init(t, &cfg, &h->ops, h);
}

static int vh_lapic_init(struct vh *h, struct vapic_lapic *l)
{
	struct vapic_lapic_config cfg;
	int r;

	vapic_lapic_config_default(&cfg, 0, h->tsc_khz);
	cfg.timer.advance_ns = 0;
	h->t = &l->timer;
	r = vapic_lapic_init(l, &cfg, &h->ops, h);
	if (r)
		return r;
	return vapic_lapic_write(l, VAPIC_REG_SVR, SVR_ON);
}

/* Objects of one test (static: kernel stack frames are small). */
static struct {
	struct vh h, h2;
	struct vapic_timer t, t2;
	struct vapic_lapic l;
	struct vapic_timer_state s, s2;
} fx;

/* ---------------------------------------------------------------------- */
/* Time math                                                              */

static void t_clock_muldiv_matches_reference(struct vchk *c)
{
	static const uint64_t edge[] = { 0,
					 1,
					 2,
					 999999,
					 1000000,
					 0xffffffffULL,
					 0x100000000ULL,
					 U64_ALL_ONES - 1,
					 U64_ALL_ONES };
	unsigned int i, j, k, bad = 0, n = 0;

	for (i = 0; i < CHK_ARRAY_SIZE(edge); i++)
		for (j = 0; j < CHK_ARRAY_SIZE(edge); j++)
			for (k = 0; k < CHK_ARRAY_SIZE(edge); k++) {
				uint64_t a = edge[i], b = edge[j], d = edge[k];

				n++;
				if (vapic_mul_div_u64(a, b, d) !=
					    ref_mul_div(a, b, d, false) ||
				    vapic_mul_div_u64_ceil(a, b, d) !=
					    ref_mul_div(a, b, d, true))
					bad++;
			}
	lcg_state = 0x5eed;
	for (i = 0; i < 20000; i++) {
		uint64_t a = lcg_mag(), b = lcg_mag(), d = lcg_mag();

		n++;
		if (vapic_mul_div_u64(a, b, d) != ref_mul_div(a, b, d, false) ||
		    vapic_mul_div_u64_ceil(a, b, d) !=
			    ref_mul_div(a, b, d, true))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(n > 20000);
	/* Saturation and the documented zero divisor. */
	CHECK_EQ(vapic_tsc_to_ns(U64_ALL_ONES, 1), U64_ALL_ONES);
	CHECK_EQ(vapic_tsc_to_ns(5, 0), U64_ALL_ONES);
	CHECK_EQ(vapic_ns_to_tsc(1000000000ULL, KHZ_2_5GHZ), 2500000000ULL);
	CHECK_EQ(vapic_tsc_to_ns(2500000001ULL, KHZ_2_5GHZ), 1000000000ULL);
	CHECK_EQ(vapic_tsc_to_ns_ceil(2500000001ULL, KHZ_2_5GHZ),
		 1000000001ULL);
}

static void t_clock_guest_tsc_scaling(struct vchk *c)
{
	struct vapic_clock clk, clk2;
	uint64_t host, ratio;
	unsigned int i, bad = 0;
	bool ovf;
	uint64_t rem;

	CHECK_EQ(vapic_clock_init(&clk, KHZ_2_5GHZ, KHZ_1GHZ, 12345), 0);
	/* ratio = floor(guest * 2^48 / host) */
	ratio = ref_div(ref_mul(KHZ_1GHZ, 1ULL << 48), KHZ_2_5GHZ, &rem, &ovf);
	CHECK_EQ(clk.ratio, ratio);
	lcg_state = 42;
	for (i = 0; i < 10000; i++) {
		struct ref128 p;

		host = lcg_mag();
		p = ref_mul(host, ratio);
		if (vapic_clock_guest_tsc(&clk, host) !=
		    ((p.hi << 16) | (p.lo >> 48)) + 12345)
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* The offset that keeps the guest TSC continuous after migration. */
	host = 0x123456789ULL;
	clk2 = clk;
	clk2.offset = vapic_clock_offset_for(&clk, host, 777);
	CHECK_EQ(vapic_clock_guest_tsc(&clk2, host), 777);
	CHECK_EQ(vapic_clock_init(&clk, 0, KHZ_1GHZ, 0), VAPIC_EINVAL);
	CHECK_EQ(vapic_clock_init(&clk, VAPIC_KHZ_MAX + 1, KHZ_1GHZ, 0),
		 VAPIC_ERANGE);
}

/* ---------------------------------------------------------------------- */
/* One-shot and periodic                                                  */

static void t_oneshot_fires_at_deadline_not_before(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0x40, false), 0);
	CHECK(!h->armed);
	t0 = h->now_ns;
	/* 1000 counts at 1 GHz / 1 = 1000 ns. */
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	CHECK(h->armed);
	CHECK_EQ(h->expires_ns, t0 + 1000);
	vh_run_to(h, t0 + 999);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 1000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(v, 0x40);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 0);
	CHECK(!h->armed);
	CHECK_EQ(h->double_arms, 0);
	vapic_timer_destroy(&fx.t);
}

static void t_oneshot_tmcct_counts_down_with_divide(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV2, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 1000);
	/* One count per 2 ns. */
	vh_run_to(h, t0 + 500);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 750);
	vh_run_to(h, t0 + 1999);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 1);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 2000);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 0);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	/* One-shot stays at 0. */
	vh_run_to(h, t0 + 5000);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 0);
	CHECK_EQ(vapic_timer_read_tmict(&fx.t), 1000);
	vapic_timer_destroy(&fx.t);
}

static void t_tmict_zero_stops_timer(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 300000), 0);
	vh_run_to(h, t0 + 100000);
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 0), 0);
	CHECK(!h->armed);
	vh_run_to(h, t0 + 1000000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 0);
	vapic_timer_destroy(&fx.t);
}

static void t_periodic_reloads_each_period(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_timer_stats st;
	uint64_t t0;
	uint32_t v = 0;
	int i;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x41, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 300000), 0); /* 300 us */
	for (i = 1; i <= 3; i++) {
		uint64_t due = t0 + 300000ULL * (uint64_t)i;

		CHECK_EQ(h->expires_ns, due);
		vh_run_to(h, due - 1);
		CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
		CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 1);
		vh_run_to(h, due);
		CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
		CHECK_EQ(v, 0x41);
		/* Reloaded: the full count again at the period start. */
		CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 300000);
		vh_run_to(h, due + 150000);
		CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 150000);
	}
	st = fx.t.stats;
	CHECK_EQ(st.injections, 3);
	CHECK_EQ(st.missed, 0);
	CHECK_EQ(st.early, 0);
	CHECK_EQ(h->double_arms, 0);
	vapic_timer_destroy(&fx.t);
}

static void t_periodic_below_min_period_is_clamped(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;
	unsigned int inj = 0, i;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x40, false), 0);
	t0 = h->now_ns;
	/* A 1 us period asks for a storm: it runs at 200 us instead. */
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	CHECK_EQ(fx.t.stats.clamped, 1);
	CHECK_EQ(h->expires_ns, t0 + VAPIC_MIN_PERIOD_NS_DEFAULT);
	for (i = 1; i <= 50; i++) {
		vh_run_to(h, t0 + 20000ULL * i); /* poll every 20 us for 1 ms */
		if (vh_poll_timer(h, 0, &v) == VAPIC_TIMER_INJECT)
			inj++;
	}
	CHECK_EQ(inj, 5);
	CHECK_EQ(h->arms, 6); /* the first arm + one per tick */
	vapic_timer_destroy(&fx.t);
}

static void t_periodic_missed_ticks_coalesce(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 300000), 0);
	/* The vCPU does not run for 3.3 periods. */
	vh_run_to(h, t0 + 1000000);
	CHECK_EQ(h->fires, 1); /* deferred: one host wake-up, no storm */
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(fx.t.stats.missed, 2);
	/* The period grid is kept: next tick at 1.2 ms. */
	CHECK_EQ(h->expires_ns, t0 + 1200000);
	vapic_timer_destroy(&fx.t);
}

static void t_divide_change_rescales_remaining(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	vh_run_to(h, t0 + 400);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 600);
	/* Divide by 2 now: the count stays, the rest runs at half speed. */
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV2, false), 0);
	CHECK_EQ(vapic_timer_read_tdcr(&fx.t), TDCR_DIV2);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 600);
	CHECK_EQ(h->expires_ns, t0 + 400 + 1200);
	vh_run_to(h, t0 + 1000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 300);
	vh_run_to(h, t0 + 1599);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 1600);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	vapic_timer_destroy(&fx.t);
}

/* ---------------------------------------------------------------------- */
/* TSC-deadline mode                                                      */

static void tscdl_setup(struct vchk *c, int32_t advance, uint32_t flags,
			bool post)
{
	vh_init(&fx.h, KHZ_2_5GHZ, post);
	CHECK_EQ(vh_timer_init(&fx.h, &fx.t, advance, flags), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_TSCDL | 0xec, false), 0);
	CHECK_EQ(vapic_timer_mode(&fx.t), VAPIC_TIMER_TSC_DEADLINE);
}

static void t_tscdl_fires_at_deadline_not_before(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0, dl;
	uint32_t v = 0;

	tscdl_setup(c, 0, 0, false);
	t0 = h->now_ns;
	dl = vh_tsc(h) + 2500; /* 1 us at 2.5 GHz */
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	CHECK(h->armed);
	CHECK_EQ(h->expires_ns, t0 + 1000);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), dl);
	vh_run_to(h, t0 + 999);
	CHECK(vh_tsc(h) < dl);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 1000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(v, 0xec);
	CHECK(vh_tsc(h) >= dl);
	/* Fired: the MSR reads 0 and nothing more comes. */
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), 0);
	vh_run_to(h, t0 + 10000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(fx.t.stats.early, 0);
	vapic_timer_destroy(&fx.t);
}

static void t_tscdl_past_deadline_is_due_at_once(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint32_t v = 0;

	tscdl_setup(c, 0, 0, false);
	vh_run_to(h, h->now_ns + 1000);
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h) - 1),
		 VAPIC_TIMER_DUE);
	CHECK(!h->armed); /* no host timer for a deadline in the past */
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(v, 0xec);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	/* A deadline equal to the TSC now is due too. */
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h)),
		 VAPIC_TIMER_DUE);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(fx.t.stats.immediate, 2);
	vapic_timer_destroy(&fx.t);
}

static void t_tscdl_zero_disarms(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	tscdl_setup(c, 0, 0, false);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h) + 2500), 0);
	CHECK(h->armed);
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, 0), 0);
	CHECK(!h->armed);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), 0);
	vh_run_to(h, t0 + 100000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(fx.t.stats.injections, 0);
	vapic_timer_destroy(&fx.t);
}

static void t_tscdl_rewrite_replaces_deadline(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0, dl;
	uint32_t v;

	tscdl_setup(c, 0, 0, false);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h) + 2500), 0);
	dl = vh_tsc(h) + 25000; /* later: 10 us */
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	CHECK_EQ(h->expires_ns, t0 + 10000);
	vh_run_to(h, t0 + 5000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 10000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(fx.t.stats.injections, 1); /* exactly once */
	vapic_timer_destroy(&fx.t);
}

static void t_tscdl_mode_switch_disarms(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v;

	tscdl_setup(c, 0, 0, false);
	t0 = h->now_ns;
	/* TMICT is ignored in TSC-deadline mode. */
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 5000), 0);
	CHECK_EQ(vapic_timer_read_tmict(&fx.t), 0);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 0);
	CHECK(!h->armed);
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h) + 2500), 0);
	CHECK(h->armed);
	/* Switching to one-shot disarms. */
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0xec, false), 0);
	CHECK(!h->armed);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), 0);
	/* The MSR is ignored outside TSC-deadline mode. */
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, vh_tsc(h) + 2500), 0);
	CHECK(!h->armed);
	vh_run_to(h, t0 + 100000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	/* Back in TSC-deadline mode nothing was kept. */
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_TSCDL | 0xec, false), 0);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), 0);
	CHECK(!h->armed);
	CHECK_EQ(fx.t.stats.injections, 0);
	/* x2APIC (strict) refuses the reserved mode 11b. */
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, 0x00060000U | 0xec, true),
		 VAPIC_ERSVD);
	CHECK_EQ(vapic_timer_mode(&fx.t), VAPIC_TIMER_TSC_DEADLINE);
	vapic_timer_destroy(&fx.t);
}

static void t_advance_fires_early_injects_on_time(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0, dl;
	uint32_t v;

	tscdl_setup(c, VAPIC_ADVANCE_ADAPTIVE, 0, false);
	CHECK_EQ(vapic_timer_advance_ns(&fx.t), VAPIC_ADVANCE_NS_INIT);
	t0 = h->now_ns;
	dl = vh_tsc(h) + 250000; /* 100 us */
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	/* The host timer is armed the advance (1000 ns) early... */
	CHECK_EQ(h->expires_ns, t0 + 100000 - VAPIC_ADVANCE_NS_INIT);
	vh_run_to(h, h->expires_ns);
	/* ...and the vCPU waits the rest out before injecting. */
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(h->waits, 1);
	CHECK(vh_tsc(h) >= dl);
	CHECK_EQ(h->now_ns, t0 + 100000);
	CHECK_EQ(fx.t.stats.early, 0);
	/*
	 * KVM's rule: 1000 ns early (2500 cycles, inside 100..10000) moves
	 * the advance by 1/8 of it: 1000 - 125.
	 */
	CHECK_EQ(vapic_timer_advance_ns(&fx.t), 875);
	vapic_timer_destroy(&fx.t);
}

static void t_posted_delivers_without_vcpu(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0, dl;
	uint32_t v;

	tscdl_setup(c, 0, VAPIC_TIMER_F_POSTED, true);
	t0 = h->now_ns;
	dl = vh_tsc(h) + 25000;
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	vh_run_to(h, t0 + 20000);
	CHECK_EQ(h->posts, 1);
	CHECK_EQ(h->posted_vector, 0xec);
	CHECK(h->posted_tsc >= dl);
	CHECK_EQ(h->kicks, 0); /* exitless */
	/* The vCPU has nothing more to inject. */
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	CHECK_EQ(fx.t.stats.posted, 1);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t), 0);
	/* If posting fails the tick falls back to the vCPU thread. */
	h->post_ok = false;
	dl = vh_tsc(h) + 25000;
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	vh_run_to(h, t0 + 40000);
	CHECK_EQ(h->kicks, 1);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK(vh_tsc(h) >= dl);
	vapic_timer_destroy(&fx.t);
}

static void t_posted_periodic_with_advance_never_early(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	unsigned int i;

	vh_init(h, KHZ_1GHZ, true);
	CHECK_EQ(vh_timer_init(h, &fx.t, 500, VAPIC_TIMER_F_POSTED), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x50, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 250000), 0);
	CHECK_EQ(h->expires_ns, t0 + 250000 - 500);
	for (i = 1; i <= 4; i++) {
		uint64_t due = t0 + 250000ULL * i;

		vh_run_to(h, due - 1);
		CHECK_EQ(h->posts, i - 1);
		vh_run_to(h, due);
		CHECK_EQ(h->posts, i);
		CHECK_EQ(h->posted_tsc, due); /* 1 GHz: TSC == ns */
	}
	CHECK_EQ(fx.t.stats.early, 0);
	CHECK_EQ(h->kicks, 0);
	vapic_timer_destroy(&fx.t);
}

/* ---------------------------------------------------------------------- */
/* Mask                                                                   */

static void t_masked_timer_counts_but_never_delivers(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v = 0;
	unsigned int i, inj = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | LVT_MASK | 0x40,
					false),
		 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 300000), 0);
	for (i = 1; i <= 10; i++) {
		vh_run_to(h, t0 + 100000ULL * i);
		if (vh_poll_timer(h, 0, &v) == VAPIC_TIMER_INJECT)
			inj++;
	}
	CHECK_EQ(inj, 0);
	/* Still counting: 1.05 ms = 3.5 periods, half a period left. */
	vh_run_to(h, t0 + 1050000);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t), 150000);
	/* Unmasked: the next period end delivers, not the masked ones. */
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x40, false), 0);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 1199999);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h, t0 + 1200000);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(fx.t.stats.injections, 1);
	vapic_timer_destroy(&fx.t);
}

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

static void t_save_restore_resumes_remaining_count(struct vchk *c)
{
	struct vh *h = &fx.h, *h2 = &fx.h2;
	uint64_t t0, t1;
	uint32_t v;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	vh_run_to(h, t0 + 300);
	CHECK_EQ(vapic_timer_save(&fx.t, &fx.s), 0);
	CHECK_EQ(fx.s.tmcct, 700);
	/* The destination: another clock, another TSC offset. */
	vh_init(h2, KHZ_1GHZ, false);
	h2->now_ns = 7 * NS0;
	h2->tsc_offset = 123456789;
	CHECK_EQ(vh_timer_init(h2, &fx.t2, 0, 0), 0);
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s), 0);
	t1 = h2->now_ns;
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t2), 700);
	CHECK_EQ(vapic_timer_read_lvtt(&fx.t2), LVTT_ONESHOT | 0x40);
	CHECK_EQ(vapic_timer_read_tdcr(&fx.t2), TDCR_DIV1);
	CHECK_EQ(vapic_timer_read_tmict(&fx.t2), 1000);
	vh_run_to(h2, t1 + 699);
	CHECK_EQ(vh_poll_timer(h2, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h2, t1 + 700);
	CHECK_EQ(vh_poll_timer(h2, 0, &v), VAPIC_TIMER_INJECT);
	CHECK_EQ(v, 0x40);
	vapic_timer_destroy(&fx.t);
	vapic_timer_destroy(&fx.t2);
}

static void t_save_restore_keeps_tsc_deadline(struct vchk *c)
{
	struct vh *h = &fx.h, *h2 = &fx.h2;
	uint64_t dl;
	uint32_t v;

	tscdl_setup(c, 0, 0, false);
	dl = vh_tsc(h) + 25000;
	CHECK_EQ(vapic_timer_write_tsc_deadline(&fx.t, dl), 0);
	CHECK_EQ(vapic_timer_save(&fx.t, &fx.s), 0);
	/* Destination whose guest TSC continues where the source was. */
	vh_init(h2, KHZ_2_5GHZ, false);
	h2->now_ns = 3 * NS0;
	h2->tsc_offset =
		vh_tsc(h) - ref_mul_div(3 * NS0, KHZ_2_5GHZ, 1000000, false);
	CHECK_EQ(vh_tsc(h2), vh_tsc(h));
	CHECK_EQ(vh_timer_init(h2, &fx.t2, 0, 0), 0);
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s), 0);
	CHECK_EQ(vapic_timer_read_tsc_deadline(&fx.t2), dl);
	CHECK(h2->armed);
	vh_run_to(h2, h2->now_ns + 9999);
	CHECK_EQ(vh_poll_timer(h2, 0, &v), VAPIC_TIMER_NONE);
	vh_run_to(h2, h2->now_ns + 1);
	CHECK_EQ(vh_poll_timer(h2, 0, &v), VAPIC_TIMER_INJECT);
	CHECK(vh_tsc(h2) >= dl);
	vapic_timer_destroy(&fx.t);
	vapic_timer_destroy(&fx.t2);
}

static void t_restore_refuses_corrupt_record(struct vchk *c)
{
	struct vh *h = &fx.h, *h2 = &fx.h2;
	unsigned int i, bit, accepted = 0, changed = 0;
	uint32_t lvtt, tmict, tmcct, arms;
	int r;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_PERIODIC | 0x40, false), 0);
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 400000), 0);
	vh_run_to(h, h->now_ns + 100000);
	CHECK_EQ(vapic_timer_save(&fx.t, &fx.s), 0);

	/* The destination runs a different timer that must stay as it is. */
	vh_init(h2, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h2, &fx.t2, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t2, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t2, LVTT_ONESHOT | 0x33, false), 0);
	CHECK_EQ(vapic_timer_write_tmict(&fx.t2, 5000), 0);
	vh_run_to(h2, h2->now_ns + 1000);
	lvtt = vapic_timer_read_lvtt(&fx.t2);
	tmict = vapic_timer_read_tmict(&fx.t2);
	tmcct = vapic_timer_read_tmcct(&fx.t2);
	arms = h2->arms;

	/* Every single-bit flip anywhere in the record is refused. */
	for (i = 0; i < sizeof(fx.s); i++) {
		for (bit = 0; bit < 8; bit++) {
			fx.s2 = fx.s;
			((uint8_t *)&fx.s2)[i] ^= (uint8_t)(1U << bit);
			r = vapic_timer_restore(&fx.t2, &fx.s2);
			if (r != VAPIC_ESTATE && r != VAPIC_EVERSION)
				accepted++;
			if (vapic_timer_read_lvtt(&fx.t2) != lvtt ||
			    vapic_timer_read_tmict(&fx.t2) != tmict ||
			    vapic_timer_read_tmcct(&fx.t2) != tmcct ||
			    h2->arms != arms || !h2->armed)
				changed++;
		}
	}
	CHECK_EQ(accepted, 0);
	CHECK_EQ(changed, 0);

	/* Well-checksummed but invalid contents are refused too. */
	fx.s2 = fx.s;
	fx.s2.version = VAPIC_TIMER_STATE_VERSION + 1;
	fx.s2.checksum = 0;
	fx.s2.checksum = vapic_checksum32(&fx.s2, sizeof(fx.s2));
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s2), VAPIC_EVERSION);
	fx.s2 = fx.s;
	fx.s2.lvtt |= 0x00100000U; /* reserved LVT bit */
	fx.s2.checksum = 0;
	fx.s2.checksum = vapic_checksum32(&fx.s2, sizeof(fx.s2));
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s2), VAPIC_ESTATE);
	fx.s2 = fx.s;
	fx.s2.tmcct ^= 1; /* contradicts the saved progress */
	fx.s2.checksum = 0;
	fx.s2.checksum = vapic_checksum32(&fx.s2, sizeof(fx.s2));
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s2), VAPIC_ESTATE);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t2), tmcct);
	/* The intact record is accepted. */
	CHECK_EQ(vapic_timer_restore(&fx.t2, &fx.s), 0);
	CHECK_EQ(vapic_timer_read_tmcct(&fx.t2), 300000);
	vapic_timer_destroy(&fx.t);
	vapic_timer_destroy(&fx.t2);
}

/* ---------------------------------------------------------------------- */
/* LAPIC acceptance, priority, EOI                                        */

static void t_lapic_highest_priority_first_and_eoi(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint32_t v = 0, isr = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK_EQ(vapic_lapic_accept(l, 0x31, 0), 0);
	CHECK_EQ(vapic_lapic_accept(l, 0x51, 0), 0);
	CHECK_EQ(vapic_lapic_accept(l, 0x51, 0), 1); /* merged */
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0x51);
	CHECK_EQ(vapic_lapic_injected(l, 0x51), 0);
	CHECK_EQ(vapic_lapic_ppr(l), 0x50);
	/* Class 3 does not preempt class 5 in service. */
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_ISR0 + 0x20, &isr), 0);
	CHECK_EQ(isr, 1U << (0x51 - 64));
	CHECK(vapic_lapic_write(l, VAPIC_REG_EOI, 0) >= 0);
	CHECK_EQ(vapic_lapic_ppr(l), 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0x31);
	CHECK_EQ(vapic_lapic_injected(l, 0x31), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_EOI, 0) >= 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_ISR0 + 0x10, &isr), 0);
	CHECK_EQ(isr, 0);
	/* Injecting a vector that is not pending is a host error. */
	CHECK_EQ(vapic_lapic_injected(l, 0x31), VAPIC_EINVAL);
	vapic_lapic_destroy(l);
}

static void t_lapic_tpr_blocks_lower_classes(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint32_t v = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_TPR, 0x50) >= 0);
	CHECK_EQ(vapic_lapic_accept(l, 0x5f, 0), 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK_EQ(vapic_lapic_accept(l, 0x60, 0), 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0x60);
	CHECK_EQ(vapic_lapic_injected(l, 0x60), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_EOI, 0) >= 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK(vapic_lapic_write(l, VAPIC_REG_TPR, 0) >= 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0x5f);
	vapic_lapic_destroy(l);
}

static void t_lapic_illegal_vector_sets_esr(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint32_t v = 0, esr = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK_EQ(vapic_lapic_accept(l, 3, 0), VAPIC_ERSVD);
	CHECK_EQ(vapic_lapic_accept(l, 256, 0), VAPIC_EINVAL);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	/* ESR: write, then read what was latched. */
	CHECK(vapic_lapic_write(l, VAPIC_REG_ESR, 0) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_ESR, &esr), 0);
	CHECK(esr & VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	CHECK(vapic_lapic_write(l, VAPIC_REG_ESR, 0) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_ESR, &esr), 0);
	CHECK_EQ(esr, 0);
	vapic_lapic_destroy(l);
}

static void t_lapic_sw_disabled_keeps_lvt_masked(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint32_t val = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK(vapic_lapic_sw_enabled(l));
	CHECK(vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, 0x40) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_LVT_TIMER, &val), 0);
	CHECK_EQ(val, 0x40);
	/* Software disable sets the mask, and it sticks while disabled. */
	CHECK(vapic_lapic_write(l, VAPIC_REG_SVR, 0xff) >= 0);
	CHECK(!vapic_lapic_sw_enabled(l));
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_LVT_TIMER, &val), 0);
	CHECK_EQ(val, 0x40 | LVT_MASK);
	CHECK(vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, 0x40) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_LVT_TIMER, &val), 0);
	CHECK_EQ(val, 0x40 | LVT_MASK);
	/* Enabling again leaves it masked until the guest unmasks. */
	CHECK(vapic_lapic_write(l, VAPIC_REG_SVR, SVR_ON) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_LVT_TIMER, &val), 0);
	CHECK_EQ(val, 0x40 | LVT_MASK);
	vapic_lapic_destroy(l);
}

static void t_lapic_timer_tick_through_irr(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint64_t t0;
	uint32_t v = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_TDCR, TDCR_DIV1) >= 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, LVTT_PERIODIC | 0xec) >=
	      0);
	t0 = h->now_ns;
	CHECK(vapic_lapic_write(l, VAPIC_REG_TMICT, 300000) >= 0);
	vh_run_to(h, t0 + 299999);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	vh_run_to(h, t0 + 300000);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0xec);
	CHECK_EQ(vapic_lapic_injected(l, 0xec), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_EOI, 0) >= 0);
	vh_run_to(h, t0 + 600000);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0xec);
	/* Not taken yet (still in IRR) when the next tick comes: merged. */
	vh_run_to(h, t0 + 900000);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_INJECT);
	CHECK_EQ(v, 0xec);
	CHECK_EQ(vapic_lapic_injected(l, 0xec), 0);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK_EQ(l->timer.stats.early, 0);
	vapic_lapic_destroy(l);
}

static void t_lapic_illegal_timer_vector_not_delivered(struct vchk *c)
{
	struct vh *h = &fx.h;
	struct vapic_lapic *l = &fx.l;
	uint32_t v = 0, esr = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_lapic_init(h, l), 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_TDCR, TDCR_DIV1) >= 0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, LVTT_ONESHOT | 0x05) >=
	      0);
	CHECK(vapic_lapic_write(l, VAPIC_REG_TMICT, 1000) >= 0);
	vh_run_to(h, h->now_ns + 1000);
	CHECK_EQ(vh_poll_lapic(h, l, &v), VAPIC_LAPIC_NONE);
	CHECK(vapic_lapic_write(l, VAPIC_REG_ESR, 0) >= 0);
	CHECK_EQ(vapic_lapic_read(l, VAPIC_REG_ESR, &esr), 0);
	CHECK(esr & VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	vapic_lapic_destroy(l);
}

/* ---------------------------------------------------------------------- */
/* Negative control                                                       */

/*
 * Deliberately wrong expectation: that a one-shot timer is delivered 1 ns
 * before its deadline.  The core must refuse (never early), so this test
 * fails, and a run with it must report failure.
 */
static void t_negative_control_expects_early_interrupt(struct vchk *c)
{
	struct vh *h = &fx.h;
	uint64_t t0;
	uint32_t v = 0;

	vh_init(h, KHZ_1GHZ, false);
	CHECK_EQ(vh_timer_init(h, &fx.t, 0, 0), 0);
	CHECK_EQ(vapic_timer_write_tdcr(&fx.t, TDCR_DIV1, false), 0);
	CHECK_EQ(vapic_timer_write_lvtt(&fx.t, LVTT_ONESHOT | 0x40, false), 0);
	t0 = h->now_ns;
	CHECK_EQ(vapic_timer_write_tmict(&fx.t, 1000), 0);
	vh_run_to(h, t0 + 999);
	CHECK_EQ(vh_poll_timer(h, 0, &v), VAPIC_TIMER_INJECT);
	vapic_timer_destroy(&fx.t);
}

/* ---------------------------------------------------------------------- */

struct vchk_test {
	const char *name;
	void (*fn)(struct vchk *c);
};

#define T(f)              \
	{                 \
#f, t_##f \
	}
static const struct vchk_test vchk_tests[] = {
	T(clock_muldiv_matches_reference),
	T(clock_guest_tsc_scaling),
	T(oneshot_fires_at_deadline_not_before),
	T(oneshot_tmcct_counts_down_with_divide),
	T(tmict_zero_stops_timer),
	T(periodic_reloads_each_period),
	T(periodic_below_min_period_is_clamped),
	T(periodic_missed_ticks_coalesce),
	T(divide_change_rescales_remaining),
	T(tscdl_fires_at_deadline_not_before),
	T(tscdl_past_deadline_is_due_at_once),
	T(tscdl_zero_disarms),
	T(tscdl_rewrite_replaces_deadline),
	T(tscdl_mode_switch_disarms),
	T(advance_fires_early_injects_on_time),
	T(posted_delivers_without_vcpu),
	T(posted_periodic_with_advance_never_early),
	T(masked_timer_counts_but_never_delivers),
	T(save_restore_resumes_remaining_count),
	T(save_restore_keeps_tsc_deadline),
	T(restore_refuses_corrupt_record),
	T(lapic_highest_priority_first_and_eoi),
	T(lapic_tpr_blocks_lower_classes),
	T(lapic_illegal_vector_sets_esr),
	T(lapic_sw_disabled_keeps_lvt_masked),
	T(lapic_timer_tick_through_irr),
	T(lapic_illegal_timer_vector_not_delivered),
};
#undef T

static const struct vchk_test vchk_negative = {
	"negative_control_expects_early_interrupt",
	t_negative_control_expects_early_interrupt
};

static void run_one(struct vchk *c, const struct vchk_test *t, unsigned int n)
{
	unsigned int before = c->checks;

	c->test = t->name;
	c->test_failed = 0;
	t->fn(c);
	c->tests_run++;
	if (c->test_failed)
		c->tests_failed++;
	vchk_log("%s %u - %s (%u checks)", c->test_failed ? "not ok" : "ok", n,
		 t->name, c->checks - before);
}

unsigned int vchk_ntests(const struct vchk *c)
{
	return CHK_ARRAY_SIZE(vchk_tests) + (c->force_fail ? 1 : 0);
}

unsigned int vchk_run_all(struct vchk *c, unsigned int first)
{
	unsigned int n = CHK_ARRAY_SIZE(vchk_tests), i;

	for (i = 0; i < n; i++)
		run_one(c, &vchk_tests[i], first + i);
	if (c->force_fail)
		run_one(c, &vchk_negative, first + n);
	vchk_log("# behaviour: %u tests, %u failed; %u checks, %u failed",
		 c->tests_run, c->tests_failed, c->checks, c->failed_checks);
	return c->tests_failed;
}
