// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz target 'haltpoll': one struct vapic_haltpoll (include/vapic/
 * haltpoll.h) driven through every policy, against the harness's own model:
 * an independent re-implementation of Linux 6.1 kvm_vcpu_halt()'s window
 * (virt/kvm/kvm_main.c) and of the cpuidle haltpoll governor
 * (drivers/cpuidle/governors/haltpoll.c), KVM's stats definitions, and the
 * contracts of the adaptive policy (docs/haltpoll.md).
 *
 * Input: a byte script; missing bytes read as 0.
 *   config (gen_config(): policy, default / tuned / random / corrupted
 *   fields), then one byte for the clock's base, then ops, one byte
 *   (op % 12) plus operands:
 *   0 a t          begin: the clock advances dur(a); timer_ns from t
 *   1 f x y        end: f bits 0-2 VAPIC_HALT_*, bits 3-5 where the poll
 *                  ended, bits 6-7 where the halt ended (some out of
 *                  order, some with unknown flags: refused)
 *   2              vapic_haltpoll_event() (outside a halt)
 *   3 c ...        vapic_haltpoll_set_vm_max(val32(c))
 *   4 b            vapic_haltpoll_set_guest_no_poll(b & 1)
 *   5 config       vapic_haltpoll_set_config() (maybe invalid; EBUSY in a
 *                  halt)
 *   6 m ...        API misuse (NULLs, end without begin, begin twice,
 *                  config_default() and init() contracts)
 *   7 b            time goes backwards by dur(b) (then a begin)
 *   8 a t f x y    one whole halt: begin (0 a t) then end (1 f x y)
 *   9 n a t f x y  the same halt 1 + (n & 63) times (n & 64: an event
 *                  before each; n & 128: the clock advance grows)
 *   10 a           the clock advances dur(a) (the vCPU runs)
 *   11             reads: window, credit, stats (as after every op)
 *
 * Oracle, after every op (abort on a violation):
 *  - kvm: the window (vapic_haltpoll_window_ns()) and every poll length
 *    begin returns equal the model's, with 32-bit unsigned wrap, the cap at
 *    begin, the per-VM maximum re-read at the end, invalid wake-ups, guest
 *    no-poll (the window is still capped, as KVM does, but neither polls
 *    nor adapts);
 *  - guest: the same for the governor (adjusts only when the halt state was
 *    entered, from the time halted after the poll);
 *  - adaptive: timer-aware polls are exactly timer_ns (when timer_ns <= the
 *    timer window: timer_max_ns, capped by the per-VM maximum); a predicted
 *    window never exceeds the maximum in force, nor, for the rest of a wait
 *    (F_EVENTS, "Continuation"), maximum - age; the poll is the predicted
 *    window cut to timer_ns; window_ns() moves only at predicted halts;
 *    F_NO_PREDICT / F_NO_TIMER / F_NO_BUDGET; the budget: predicted poll
 *    time that did not end in a real event (counted up to the granted
 *    window) never exceeds the burst at each (re)start + budget_ppm of the
 *    elapsed time, and credit_ns() never exceeds what is left of that;
 *    halt_poll_timer exact, halt_poll_throttled only on budgeted predicted
 *    halts;
 *  - every policy: stats exactly KVM's definitions over the times the
 *    harness fed (counts, ns sums, the three log2 histograms), guest
 *    no-poll -> 0, set_config/init validate as the header says and change
 *    nothing on error (memcmp), misuse fails with the documented error
 *    and changes nothing, no VAPIC_WARN_ON, and determinism: the whole
 *    script runs twice and every output must repeat.
 * FUZZ_HALTPOLL_TRACE=1 in the environment prints each op.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/haltpoll.h>

#include "fuzz.h"
#include "vapic_user.h"

#define MAX_OPS 4096
#define MAX_REPEAT 64
#define NR_OPS 12
#define TIME_LIMIT (1ULL << 62)

struct reached {
	bool none, kvm, guest, adaptive, kvm_grow, kvm_shrink, kvm_wrap,
		kvm_cap, vm_max, guest_grow, guest_shrink, timer_poll,
		predicted, throttled, continued, event, no_poll, invalid_wakeup,
		reconfig, policy_switch, config_refused, busy, misuse,
		time_back, budget_spent, hist_top, refused_end;
	uint64_t ops, halts, polls;
};

static struct reached last_reached;

/* The harness's model: what the state must be, from the ops alone. */
struct model {
	struct vapic_haltpoll_config cfg;
	bool vm_override;
	uint32_t vm_max;
	bool no_poll;

	/* The halt in progress. */
	bool in_halt, allowed, timer_path, predicted, budgeted;
	uint64_t start, granted;
	uint64_t since; /* adaptive: the age of the wait it goes on */
	uint64_t since_used; /* the same, capped at the window limit */

	/* kvm: vcpu->halt_poll_ns; guest: dev->poll_limit_ns. */
	uint32_t win;

	/* adaptive */
	uint32_t pred_win;
	bool budget_started;
	uint64_t stamp, allowance, waste;
	uint32_t ppm_max;
	bool cont, event;
	uint64_t cont_age, cont_end;

	struct vapic_haltpoll_stats st;
	uint64_t now;
};

struct fz {
	const uint8_t *p;
	size_t n, i;
	unsigned int op_index;
	const char *op_str;
	bool trace;
	struct vapic_haltpoll hp;
	struct model m;
	struct reached rc;
	uint64_t digest;
};

/* ---------------------------------------------------------------------- */
/* Failure reporting, input, digest                                       */

#define fail(fz, ...) \
	fuzz_fail("haltpoll_fuzz", (fz)->op_index, (fz)->op_str, __VA_ARGS__)
#define trace(fz, ...) fuzz_trace((fz)->trace, __VA_ARGS__)

static uint8_t get8(struct fz *fz)
{
	return fz->i < fz->n ? fz->p[fz->i++] : 0;
}

static uint32_t get32(struct fz *fz)
{
	uint32_t v = 0;
	int k;

	for (k = 0; k < 4; k++)
		v |= (uint32_t)get8(fz) << (8 * k);
	return v;
}

static void out(struct fz *fz, uint64_t v)
{
	int k;

	for (k = 0; k < 8; k++) {
		fz->digest ^= (v >> (8 * k)) & 0xff;
		fz->digest *= 0x100000001b3ULL;
	}
}

/* A duration: 0, or 1..16 times 4^0..4^15 ns (up to 2^34 ns, 17 s). */
static uint64_t dur(uint8_t b)
{
	if (!b)
		return 0;
	return (uint64_t)((b & 15) + 1) << ((b >> 4) * 2);
}

/* An interesting 32-bit value. */
static uint32_t val32(struct fz *fz, uint8_t c)
{
	uint8_t b;

	switch (c % 8) {
	case 0:
		return 0;
	case 1:
		return 1 + (c >> 3);
	case 2:
		return 1000U * get8(fz);
	case 3:
		return 200000U - 16 + (c >> 3);
	case 4:
		return 0xffffffffU - (c >> 3);
	case 5:
		return 0x80000000U + get8(fz);
	case 6:
		b = get8(fz);
		return (uint32_t)((uint64_t)(b + 1U) << (get8(fz) % 32));
	default:
		return get32(fz);
	}
}

/* ---------------------------------------------------------------------- */
/* Configs: generation and the header's validity rules                    */

static uint32_t ada_range(struct fz *fz, uint32_t lo, uint32_t hi)
{
	uint8_t c = get8(fz);

	switch (c % 4) {
	case 0:
		return lo;
	case 1:
		return hi;
	case 2:
		return lo + (uint32_t)((uint64_t)(hi - lo) * get8(fz) / 255);
	default:
		return lo + get32(fz) % (hi - lo + 1);
	}
}

static void gen_config(struct fz *fz, struct vapic_haltpoll_config *c)
{
	uint8_t b = get8(fz), mode = (b >> 2) & 3, k;
	uint32_t policy = b & 3;

	memset(c, 0, sizeof(*c));
	if (vapic_haltpoll_config_default(c, policy))
		fail(fz, "config_default(%u) failed", policy);
	if (mode == 0)
		return;
	switch (policy) {
	case VAPIC_HALTPOLL_KVM:
	case VAPIC_HALTPOLL_GUEST:
		c->max_ns = val32(fz, get8(fz));
		c->grow = (b & 0x10) ? get8(fz) % 5 : val32(fz, get8(fz));
		c->grow_start_ns = val32(fz, get8(fz));
		c->shrink = (b & 0x20) ? get8(fz) % 5 : val32(fz, get8(fz));
		if (policy == VAPIC_HALTPOLL_GUEST && (b & 0x40))
			c->flags = VAPIC_HALTPOLL_F_NO_SHRINK;
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		c->flags = get8(fz) &
			   (VAPIC_HALTPOLL_F_ALL & ~VAPIC_HALTPOLL_F_NO_SHRINK);
		if (mode == 1) {
			/* defaults, with the flags and a small burst maybe */
			if (b & 0x10)
				c->budget_burst_ns = 1000U * get8(fz);
			if (b & 0x20)
				c->max_ns = ada_range(fz, 0, 400000);
			break;
		}
		c->max_ns = ada_range(fz, 0, VAPIC_ADAPTIVE_WINDOW_LIMIT_NS);
		c->timer_max_ns =
			ada_range(fz, 0, VAPIC_ADAPTIVE_WINDOW_LIMIT_NS);
		c->block_cost_ns =
			ada_range(fz, 1, VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS);
		c->cpu_weight_q8 = ada_range(fz, 1, 0xffff);
		c->budget_ppm = ada_range(fz, 0, VAPIC_PPM);
		c->budget_burst_ns =
			ada_range(fz, 0, VAPIC_ADAPTIVE_BURST_LIMIT_NS);
		break;
	default:
		break;
	}
	if (mode != 3)
		return;
	/* Corrupt: one field the header says is refused (or not). */
	k = get8(fz);
	switch (k % 12) {
	case 0:
		c->reserved = 1U << (k >> 4);
		break;
	case 1:
		c->flags |= 0x20U << (k >> 5);
		break;
	case 2:
		c->flags |= 1U << ((k >> 4) % 5);
		break;
	case 3:
		c->policy = 4 + (k >> 4);
		break;
	case 4:
		c->timer_max_ns = val32(fz, get8(fz));
		break;
	case 5:
		c->grow = val32(fz, get8(fz));
		break;
	case 6:
		c->max_ns = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS + (k >> 4);
		break;
	case 7:
		c->block_cost_ns =
			(k & 0x10)
				? 0
				: VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS + (k >> 5);
		break;
	case 8:
		c->cpu_weight_q8 = (k & 0x10) ? 0 : 0x10000U << (k >> 5);
		break;
	case 9:
		c->budget_ppm = VAPIC_PPM + (k >> 4);
		break;
	case 10:
		c->budget_burst_ns = VAPIC_ADAPTIVE_BURST_LIMIT_NS + (k >> 4);
		break;
	default:
		c->budget_ppm = val32(fz, get8(fz));
		break;
	}
}

/*
 * The header's rules (struct vapic_haltpoll_config, vapic_haltpoll_init()):
 * bit 0 of the result: VAPIC_EINVAL is due, bit 1: VAPIC_ERANGE is due
 * (when both are, either error is right).
 */
#define BAD_INVAL 1
#define BAD_RANGE 2

static int config_bad(const struct vapic_haltpoll_config *c)
{
	int bad = 0;
	bool used_kvm, used_ada;
	uint32_t ok_flags;

	if (c->reserved)
		bad |= BAD_INVAL;
	switch (c->policy) {
	case VAPIC_HALTPOLL_NONE:
		used_kvm = used_ada = false;
		ok_flags = 0;
		break;
	case VAPIC_HALTPOLL_KVM:
		used_kvm = true;
		used_ada = false;
		ok_flags = 0;
		break;
	case VAPIC_HALTPOLL_GUEST:
		used_kvm = true;
		used_ada = false;
		ok_flags = VAPIC_HALTPOLL_F_NO_SHRINK;
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		used_kvm = false;
		used_ada = true;
		ok_flags = VAPIC_HALTPOLL_F_NO_TIMER |
			   VAPIC_HALTPOLL_F_NO_PREDICT |
			   VAPIC_HALTPOLL_F_NO_BUDGET | VAPIC_HALTPOLL_F_EVENTS;
		break;
	default:
		return BAD_INVAL;
	}
	if (c->flags & ~ok_flags)
		bad |= BAD_INVAL;
	/* max_ns: KVM, GUEST, ADAPTIVE; grow/grow_start/shrink: KVM, GUEST */
	if (c->policy == VAPIC_HALTPOLL_NONE && c->max_ns)
		bad |= BAD_INVAL;
	if (!used_kvm && (c->grow || c->grow_start_ns || c->shrink))
		bad |= BAD_INVAL;
	if (!used_ada &&
	    (c->timer_max_ns || c->block_cost_ns || c->cpu_weight_q8 ||
	     c->budget_ppm || c->budget_burst_ns))
		bad |= BAD_INVAL;
	if (used_ada &&
	    (c->max_ns > 4000000U || c->timer_max_ns > 4000000U ||
	     c->block_cost_ns < 1 || c->block_cost_ns > 1000000U ||
	     c->cpu_weight_q8 < 1 || c->cpu_weight_q8 > 65535U ||
	     c->budget_ppm > 1000000U || c->budget_burst_ns > 1000000000U))
		bad |= BAD_RANGE;
	return bad;
}

static bool error_ok(int bad, int r)
{
	return ((bad & BAD_INVAL) && r == VAPIC_EINVAL) ||
	       ((bad & BAD_RANGE) && r == VAPIC_ERANGE);
}

/* ---------------------------------------------------------------------- */
/* The model: KVM's and the governor's windows, stats, adaptive contracts */

static uint32_t model_max(const struct model *m)
{
	return m->vm_override ? m->vm_max : m->cfg.max_ns;
}

/* grow_halt_poll_ns() */
static void kvm_grow(struct fz *fz)
{
	struct model *m = &fz->m;
	uint64_t wide = (uint64_t)m->win * m->cfg.grow;
	uint32_t val;

	if (m->cfg.grow == 0)
		return;
	val = (uint32_t)(wide & 0xffffffffU); /* unsigned int, as KVM */
	if (wide > 0xffffffffU)
		fz->rc.kvm_wrap = true;
	if (val < m->cfg.grow_start_ns)
		val = m->cfg.grow_start_ns;
	m->win = val;
	fz->rc.kvm_grow = true;
}

/* shrink_halt_poll_ns() */
static void kvm_shrink(struct fz *fz)
{
	struct model *m = &fz->m;
	uint32_t val = m->cfg.shrink ? m->win / m->cfg.shrink : 0;

	m->win = val < m->cfg.grow_start_ns ? 0 : val;
	fz->rc.kvm_shrink = true;
}

/* kvm_vcpu_halt() after the halt: halt_ns from its start to its end. */
static void kvm_after(struct fz *fz, uint64_t halt_ns, uint32_t flags)
{
	struct model *m = &fz->m;
	uint32_t max = model_max(m); /* read again */

	if (!m->allowed)
		return;
	if (flags & VAPIC_HALT_INVALID)
		kvm_shrink(fz);
	else if (max == 0)
		m->win = 0;
	else if (halt_ns <= m->win)
		return;
	else if (m->win != 0 && halt_ns > max)
		kvm_shrink(fz);
	else if (m->win < max && halt_ns < max)
		kvm_grow(fz);
}

/* haltpoll_reflect(index 1) -> adjust_poll_limit(residency) */
static void guest_reflect(struct fz *fz, uint64_t block_ns)
{
	struct model *m = &fz->m;
	uint32_t gmax = m->cfg.max_ns, val;

	if (block_ns > m->win && block_ns <= gmax) {
		val = (uint32_t)((uint64_t)m->win * m->cfg.grow);
		if (val < m->cfg.grow_start_ns)
			val = m->cfg.grow_start_ns;
		if (val > gmax)
			val = gmax;
		m->win = val;
		fz->rc.guest_grow = true;
	} else if (block_ns > gmax &&
		   !(m->cfg.flags & VAPIC_HALTPOLL_F_NO_SHRINK)) {
		m->win = m->cfg.shrink ? m->win / m->cfg.shrink : 0;
		fz->rc.guest_shrink = true;
	}
}

/* KVM_STATS_LOG_HIST_UPDATE: bucket fls64(v), at most 31. */
static void hist(struct fz *fz, uint64_t *h, uint64_t v)
{
	unsigned int b = 0;

	while (v) {
		b++;
		v >>= 1;
	}
	if (b > VAPIC_HALTPOLL_HIST_BUCKETS - 1) {
		b = VAPIC_HALTPOLL_HIST_BUCKETS - 1;
		fz->rc.hist_top = true;
	}
	h[b]++;
}

/* Forget what the policy learnt (a policy change). */
static void model_reset_policy(struct model *m)
{
	m->win = 0;
	m->pred_win = 0;
	m->budget_started = false;
	m->cont = false;
}

static void model_set_config(struct fz *fz,
			     const struct vapic_haltpoll_config *c)
{
	struct model *m = &fz->m;

	if (c->policy != m->cfg.policy) {
		model_reset_policy(m);
		fz->rc.policy_switch = true;
	}
	if (c->budget_ppm > m->ppm_max)
		m->ppm_max = c->budget_ppm;
	m->cfg = *c;
	fz->rc.reconfig = true;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                 */

static void check_stats(struct fz *fz)
{
	const struct vapic_haltpoll_stats *s = &fz->hp.stats;
	const struct vapic_haltpoll_stats *e = &fz->m.st;
	int b;

	FUZZ_CHECK_EQ(fz, s->halt_successful_poll, e->halt_successful_poll);
	FUZZ_CHECK_EQ(fz, s->halt_attempted_poll, e->halt_attempted_poll);
	FUZZ_CHECK_EQ(fz, s->halt_poll_invalid, e->halt_poll_invalid);
	FUZZ_CHECK_EQ(fz, s->halt_wakeup, e->halt_wakeup);
	FUZZ_CHECK_EQ(fz, s->halt_poll_success_ns, e->halt_poll_success_ns);
	FUZZ_CHECK_EQ(fz, s->halt_poll_fail_ns, e->halt_poll_fail_ns);
	FUZZ_CHECK_EQ(fz, s->halt_wait_ns, e->halt_wait_ns);
	for (b = 0; b < VAPIC_HALTPOLL_HIST_BUCKETS; b++) {
		FUZZ_CHECK_EQ(fz, s->halt_poll_success_hist[b],
			      e->halt_poll_success_hist[b]);
		FUZZ_CHECK_EQ(fz, s->halt_poll_fail_hist[b],
			      e->halt_poll_fail_hist[b]);
		FUZZ_CHECK_EQ(fz, s->halt_wait_hist[b], e->halt_wait_hist[b]);
	}
	FUZZ_CHECK_EQ(fz, s->halt_poll_timer, e->halt_poll_timer);
	FUZZ_CHECK_EQ(fz, s->halt_poll_events, e->halt_poll_events);
	FUZZ_CHECK_EQ(fz, s->halt_poll_continued, e->halt_poll_continued);
	/* Throttled: checked where it may change (begin); never elsewhere. */
	FUZZ_CHECK_EQ(fz, s->halt_poll_throttled, e->halt_poll_throttled);
}

static void check_all(struct fz *fz)
{
	struct model *m = &fz->m;
	uint32_t w = vapic_haltpoll_window_ns(&fz->hp);
	uint64_t credit = vapic_haltpoll_credit_ns(&fz->hp);

	out(fz, w);
	out(fz, credit);
	check_stats(fz);
	switch (m->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
	case VAPIC_HALTPOLL_GUEST:
		FUZZ_CHECK_EQ(fz, w, m->win);
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		FUZZ_CHECK_EQ(fz, w, m->pred_win);
		/* The budget: never more waste than allowed, nor credit. */
		if (m->waste > m->allowance)
			fail(fz, "budget: wasted %llu ns > allowed %llu ns",
			     (unsigned long long)m->waste,
			     (unsigned long long)m->allowance);
		if (m->budget_started && credit > m->allowance - m->waste)
			fail(fz,
			     "budget: credit %llu ns > allowed %llu - wasted "
			     "%llu ns",
			     (unsigned long long)credit,
			     (unsigned long long)m->allowance,
			     (unsigned long long)m->waste);
		if (m->budget_started && m->waste && credit == 0)
			fz->rc.budget_spent = true;
		break;
	default:
		FUZZ_CHECK_EQ(fz, w, 0);
		break;
	}
	if (vapic_user_warn_count())
		fail(fz, "VAPIC_WARN_ON fired (%lu)", vapic_user_warn_count());
}

/* ---------------------------------------------------------------------- */
/* Ops                                                                    */

static uint64_t timer_arg(struct fz *fz, uint8_t t)
{
	struct model *m = &fz->m;
	uint32_t tmax = m->cfg.timer_max_ns;

	if (m->vm_override && tmax > m->vm_max)
		tmax = m->vm_max;
	switch (t % 8) {
	case 0:
	case 1:
		return VAPIC_HALTPOLL_NO_TIMER;
	case 2:
		return 0;
	case 3:
		return tmax + (uint64_t)(t >> 3) - 16; /* around the window */
	case 4:
		return VAPIC_HALTPOLL_NO_TIMER - (t >> 3);
	case 5:
		return (uint64_t)1 << (32 + (t >> 3)); /* huge */
	default:
		return dur((uint8_t)((t >> 3) | ((t & 1) << 5) | 0x40));
	}
}

static void halt_begin(struct fz *fz, uint64_t now, uint64_t timer_ns)
{
	struct model *m = &fz->m;
	uint64_t poll = 0xdeadbeefULL, want = 0;
	uint32_t max, maxc, tmax, flags = m->cfg.flags, w_after;
	struct vapic_haltpoll before;
	int r;

	trace(fz, "begin now %llu timer %llu\n", (unsigned long long)now,
	      (unsigned long long)timer_ns);
	if (m->in_halt) {
		/* Begin twice: VAPIC_EBUSY, nothing changes. */
		memcpy(&before, &fz->hp, sizeof(before));
		r = vapic_haltpoll_begin(&fz->hp, now, timer_ns, &poll);
		FUZZ_CHECK_EQ(fz, r, VAPIC_EBUSY);
		FUZZ_CHECK(fz, poll == 0xdeadbeefULL);
		FUZZ_CHECK(fz, !memcmp(&before, &fz->hp, sizeof(before)));
		fz->rc.busy = true;
		out(fz, (uint64_t)r);
		return;
	}
	m->now = now;
	r = vapic_haltpoll_begin(&fz->hp, now, timer_ns, &poll);
	FUZZ_CHECK_EQ(fz, r, 0);
	out(fz, poll);
	w_after = vapic_haltpoll_window_ns(&fz->hp);
	m->in_halt = true;
	m->start = now;
	m->allowed = !m->no_poll;
	m->timer_path = m->predicted = false;
	m->since = m->since_used = 0;
	if (!m->allowed)
		fz->rc.no_poll = true;
	max = model_max(m);
	switch (m->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
		fz->rc.kvm = true;
		if (m->win > max) {
			m->win = max; /* even when polling is not allowed */
			fz->rc.kvm_cap = true;
		}
		want = m->allowed ? m->win : 0;
		break;
	case VAPIC_HALTPOLL_GUEST:
		fz->rc.guest = true;
		want = m->allowed ? m->win : 0;
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		fz->rc.adaptive = true;
		maxc = max < VAPIC_ADAPTIVE_WINDOW_LIMIT_NS
			       ? max
			       : VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
		tmax = m->cfg.timer_max_ns;
		if (m->vm_override && tmax > m->vm_max)
			tmax = m->vm_max;
		/* Continuation: the age of the wait this halt goes on. */
		if ((flags & VAPIC_HALTPOLL_F_EVENTS) && m->cont && !m->event) {
			m->since = m->cont_age +
				   (now > m->cont_end ? now - m->cont_end : 0);
			/* the whole wait, in the sample (at most the limit) */
			m->since_used =
				m->since < VAPIC_ADAPTIVE_WINDOW_LIMIT_NS
					? m->since
					: VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
			if (m->since)
				m->st.halt_poll_continued++;
		}
		m->cont = false;
		m->event = false;
		/* The budget's allowance (harness side): burst + ppm. */
		if (!(flags & VAPIC_HALTPOLL_F_NO_BUDGET)) {
			if (!m->budget_started) {
				m->budget_started = true;
				m->allowance += m->cfg.budget_burst_ns;
				m->stamp = now;
				m->ppm_max = m->cfg.budget_ppm;
			} else if (now > m->stamp) {
				/* ceil(d x ppm / 10^6), the largest ppm */
				uint64_t d = now - m->stamp;

				m->allowance += d / VAPIC_PPM * m->ppm_max +
						((d % VAPIC_PPM) * m->ppm_max +
						 VAPIC_PPM - 1) /
							VAPIC_PPM;
				m->stamp = now;
				m->ppm_max = m->cfg.budget_ppm;
			}
		}
		if (!m->allowed) {
			want = 0;
		} else if (!(flags & VAPIC_HALTPOLL_F_NO_TIMER) &&
			   timer_ns <= tmax) {
			/* Timer-aware: exactly to the deadline. */
			m->timer_path = true;
			want = timer_ns;
			if (timer_ns) {
				m->st.halt_poll_timer++;
				fz->rc.timer_poll = true;
			}
		} else if (flags & VAPIC_HALTPOLL_F_NO_PREDICT) {
			want = 0;
		} else {
			m->predicted = true;
			m->budgeted = !(flags & VAPIC_HALTPOLL_F_NO_BUDGET);
			if (w_after > maxc)
				fail(fz, "predicted window %u > maximum %u",
				     w_after, maxc);
			if (m->since) {
				fz->rc.continued = true;
				if (w_after && w_after + m->since > maxc)
					fail(fz,
					     "continued wait: window %u + age "
					     "%llu > maximum %u",
					     w_after,
					     (unsigned long long)m->since,
					     maxc);
			}
			m->pred_win = w_after;
			want = w_after;
			if (!(flags & VAPIC_HALTPOLL_F_NO_TIMER) &&
			    timer_ns < want)
				want = timer_ns;
			if (w_after)
				fz->rc.predicted = true;
			if (fz->hp.stats.halt_poll_throttled ==
			    m->st.halt_poll_throttled + 1) {
				if (!m->budgeted)
					fail(fz, "throttled without budget");
				m->st.halt_poll_throttled++;
				fz->rc.throttled = true;
			}
		}
		break;
	default:
		fz->rc.none = true;
		break;
	}
	trace(fz, "  poll %llu window %u\n", (unsigned long long)poll, w_after);
	if (poll != want)
		fail(fz, "begin: poll %llu ns, model %llu ns",
		     (unsigned long long)poll, (unsigned long long)want);
	m->granted = poll;
	fz->rc.halts++;
	if (poll)
		fz->rc.polls++;
}

/* Where the poll ended (bits 3-5 of f) and the halt (bits 6-7). */
static void halt_end(struct fz *fz, uint8_t f, uint8_t x, uint8_t y)
{
	struct model *m = &fz->m;
	uint32_t flags = f & VAPIC_HALT_FLAGS_ALL, max;
	uint64_t start = m->start, g = m->granted, pe, e, poll_ns, halt_ns;
	uint64_t wait_ns;
	bool legal = true, polled = g != 0, waited;
	struct vapic_haltpoll before;
	int r;

	switch ((f >> 3) & 7) {
	case 0:
		pe = start + g;
		break;
	case 1:
		pe = start + (g ? g - 1 : 0);
		break;
	case 2:
		pe = start + dur(x);
		break;
	case 3:
		pe = start;
		break;
	case 4:
		pe = start + g + 1;
		break;
	case 5:
		pe = start + (dur(x) < g ? dur(x) : g);
		break;
	case 6:
		pe = start >= 1 + dur(x) ? start - 1 - dur(x) : 0;
		break;
	default:
		pe = start + g;
		flags |= 8U << (x % 29); /* an unknown flag */
		break;
	}
	max = model_max(m);
	switch (f >> 6) {
	case 0:
		e = pe + dur(y);
		break;
	case 1:
		e = pe;
		break;
	case 2: /* around the window or the maximum */
		e = (uint64_t)((y & 1) ? m->win : max) + (y >> 2);
		e = start + (e > 32 ? e - 32 : 0);
		if (e < pe)
			e = pe;
		break;
	default:
		e = pe >= 1 + dur(y) ? pe - 1 - dur(y) : pe;
		break;
	}
	if ((flags & ~VAPIC_HALT_FLAGS_ALL) || pe < start || e < pe)
		legal = false;
	trace(fz, "end poll_end %llu end %llu flags %#x%s\n",
	      (unsigned long long)pe, (unsigned long long)e, flags,
	      legal ? "" : " (refused)");
	if (!m->in_halt || !legal) {
		memcpy(&before, &fz->hp, sizeof(before));
		r = vapic_haltpoll_end(&fz->hp, pe, e, flags);
		out(fz, (uint64_t)r);
		if (!m->in_halt && legal)
			FUZZ_CHECK_EQ(fz, r, VAPIC_EBUSY);
		else if (!m->in_halt)
			FUZZ_CHECK(fz, r == VAPIC_EBUSY || r == VAPIC_EINVAL);
		else
			FUZZ_CHECK_EQ(fz, r, VAPIC_EINVAL);
		FUZZ_CHECK(fz, !memcmp(&before, &fz->hp, sizeof(before)));
		if (m->in_halt)
			fz->rc.refused_end = true;
		else
			fz->rc.misuse = true;
		return;
	}
	r = vapic_haltpoll_end(&fz->hp, pe, e, flags);
	out(fz, (uint64_t)r);
	FUZZ_CHECK_EQ(fz, r, 0);
	m->in_halt = false;
	m->now = e;
	poll_ns = pe - start;
	halt_ns = e - start;
	wait_ns = e - pe;
	waited = flags & VAPIC_HALT_WAITED;
	if (flags & VAPIC_HALT_INVALID)
		fz->rc.invalid_wakeup = true;

	/* update_halt_poll_stats() and the wait accounting. */
	if (polled) {
		m->st.halt_attempted_poll++;
		if (!waited) {
			m->st.halt_successful_poll++;
			if (flags & VAPIC_HALT_INVALID)
				m->st.halt_poll_invalid++;
			m->st.halt_poll_success_ns += poll_ns;
			hist(fz, m->st.halt_poll_success_hist, poll_ns);
		} else {
			m->st.halt_poll_fail_ns += poll_ns;
			hist(fz, m->st.halt_poll_fail_hist, poll_ns);
		}
	}
	if (waited) {
		m->st.halt_wakeup++;
		m->st.halt_wait_ns += wait_ns;
		hist(fz, m->st.halt_wait_hist, wait_ns);
	}

	switch (m->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
		kvm_after(fz, halt_ns, flags);
		break;
	case VAPIC_HALTPOLL_GUEST:
		/* The poll state saw the event: reflect(0), no change. */
		if (m->allowed && !(polled && !waited))
			guest_reflect(fz, wait_ns);
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		if (!m->allowed)
			break;
		/* Waste: a predicted poll that caught no real event. */
		if (m->predicted && m->budgeted && polled &&
		    (flags & (VAPIC_HALT_WAITED | VAPIC_HALT_INVALID)))
			m->waste += poll_ns < g ? poll_ns : g;
		/* Continuation (F_EVENTS): the wait goes on at next halt. */
		if (m->cfg.flags & VAPIC_HALTPOLL_F_EVENTS) {
			uint64_t sample = halt_ns;

			if (waited) {
				uint64_t bc = m->cfg.block_cost_ns;

				sample = halt_ns > bc ? halt_ns - bc : 0;
				if (sample < poll_ns)
					sample = poll_ns;
			}
			sample += m->since_used;
			if ((flags & VAPIC_HALT_INVALID) ||
			    ((flags & VAPIC_HALT_TIMER) && sample < max)) {
				m->cont = true;
				m->cont_age = m->since + halt_ns;
				m->cont_end = e;
			}
		}
		break;
	default:
		break;
	}
}

static void set_config_op(struct fz *fz)
{
	struct vapic_haltpoll_config c;
	struct vapic_haltpoll before;
	int bad, r;

	gen_config(fz, &c);
	bad = config_bad(&c);
	memcpy(&before, &fz->hp, sizeof(before));
	r = vapic_haltpoll_set_config(&fz->hp, &c);
	out(fz, (uint64_t)r);
	trace(fz, "set_config policy %u flags %#x max %u -> %d\n", c.policy,
	      c.flags, c.max_ns, r);
	if (bad) {
		if (!error_ok(bad, r) && !(fz->m.in_halt && r == VAPIC_EBUSY))
			fail(fz, "set_config: %d for a bad config (%d)", r,
			     bad);
		FUZZ_CHECK(fz, !memcmp(&before, &fz->hp, sizeof(before)));
		fz->rc.config_refused = true;
		return;
	}
	if (fz->m.in_halt) {
		FUZZ_CHECK_EQ(fz, r, VAPIC_EBUSY);
		FUZZ_CHECK(fz, !memcmp(&before, &fz->hp, sizeof(before)));
		fz->rc.busy = true;
		return;
	}
	FUZZ_CHECK_EQ(fz, r, 0);
	model_set_config(fz, &c);
}

static void check_defaults(struct fz *fz, const struct vapic_haltpoll_config *c,
			   uint32_t policy)
{
	/* The values the kernel-doc of config_default() names. */
	static const uint32_t kvm[4] = { 200000, 2, 10000, 0 };
	static const uint32_t gst[4] = { 200000, 2, 50000, 2 };
	const uint32_t *k = policy == VAPIC_HALTPOLL_KVM     ? kvm
			    : policy == VAPIC_HALTPOLL_GUEST ? gst
							     : NULL;

	FUZZ_CHECK_EQ(fz, c->policy, policy);
	FUZZ_CHECK_EQ(fz, c->flags, 0);
	FUZZ_CHECK_EQ(fz, c->reserved, 0);
	FUZZ_CHECK_EQ(fz, config_bad(c), 0);
	if (k) {
		FUZZ_CHECK_EQ(fz, c->max_ns, k[0]);
		FUZZ_CHECK_EQ(fz, c->grow, k[1]);
		FUZZ_CHECK_EQ(fz, c->grow_start_ns, k[2]);
		FUZZ_CHECK_EQ(fz, c->shrink, k[3]);
	} else if (policy == VAPIC_HALTPOLL_ADAPTIVE) {
		FUZZ_CHECK_EQ(fz, c->max_ns, VAPIC_ADAPTIVE_MAX_NS);
		FUZZ_CHECK_EQ(fz, c->timer_max_ns, VAPIC_ADAPTIVE_TIMER_MAX_NS);
		FUZZ_CHECK_EQ(fz, c->block_cost_ns,
			      VAPIC_ADAPTIVE_BLOCK_COST_NS);
		FUZZ_CHECK_EQ(fz, c->cpu_weight_q8,
			      VAPIC_ADAPTIVE_CPU_WEIGHT_Q8);
		FUZZ_CHECK_EQ(fz, c->budget_ppm, VAPIC_ADAPTIVE_BUDGET_PPM);
		FUZZ_CHECK_EQ(fz, c->budget_burst_ns,
			      VAPIC_ADAPTIVE_BUDGET_BURST_NS);
	}
}

static void misuse(struct fz *fz, uint8_t k)
{
	struct vapic_haltpoll before, other;
	struct vapic_haltpoll_config c, c2;
	uint64_t poll = 0x5a5a5a5aULL;
	int r, bad;

	memcpy(&before, &fz->hp, sizeof(before));
	fz->rc.misuse = true;
	trace(fz, "misuse %u\n", k % 8);
	switch (k % 8) {
	case 0:
		FUZZ_CHECK_EQ(fz,
			      vapic_haltpoll_begin(NULL, fz->m.now, 0, &poll),
			      VAPIC_EINVAL);
		r = vapic_haltpoll_begin(&fz->hp, fz->m.now, 0, NULL);
		FUZZ_CHECK(fz, r == VAPIC_EINVAL ||
				       (fz->m.in_halt && r == VAPIC_EBUSY));
		FUZZ_CHECK(fz, poll == 0x5a5a5a5aULL);
		break;
	case 1:
		FUZZ_CHECK_EQ(fz,
			      vapic_haltpoll_end(NULL, fz->m.now, fz->m.now, 0),
			      VAPIC_EINVAL);
		break;
	case 2:
		vapic_haltpoll_config_default(&c, VAPIC_HALTPOLL_KVM);
		FUZZ_CHECK_EQ(fz, vapic_haltpoll_set_config(NULL, &c),
			      VAPIC_EINVAL);
		FUZZ_CHECK_EQ(fz, vapic_haltpoll_set_config(&fz->hp, NULL),
			      VAPIC_EINVAL);
		break;
	case 3:
		vapic_haltpoll_config_default(&c, (k >> 3) & 3);
		memset(&other, 0xa5, sizeof(other));
		FUZZ_CHECK_EQ(fz, vapic_haltpoll_init(NULL, &c), VAPIC_EINVAL);
		FUZZ_CHECK_EQ(fz, vapic_haltpoll_init(&other, NULL),
			      VAPIC_EINVAL);
		for (r = 0; r < (int)sizeof(other); r++)
			FUZZ_CHECK(fz, ((uint8_t *)&other)[r] == 0xa5);
		break;
	case 4:
		memset(&c, 0xa5, sizeof(c));
		memcpy(&c2, &c, sizeof(c));
		FUZZ_CHECK_EQ(fz, vapic_haltpoll_config_default(NULL, 1),
			      VAPIC_EINVAL);
		FUZZ_CHECK_EQ(
			fz,
			vapic_haltpoll_config_default(&c, 4U + (k >> 3) * 977U),
			VAPIC_EINVAL);
		FUZZ_CHECK(fz, !memcmp(&c, &c2, sizeof(c)));
		FUZZ_CHECK_EQ(
			fz, vapic_haltpoll_config_default(&c, (k >> 3) & 3), 0);
		check_defaults(fz, &c, (k >> 3) & 3);
		break;
	case 5:
		/* init() of another state with a generated config. */
		gen_config(fz, &c);
		bad = config_bad(&c);
		memset(&other, 0xa5, sizeof(other));
		r = vapic_haltpoll_init(&other, &c);
		if (bad) {
			if (!error_ok(bad, r))
				fail(fz, "init: %d for a bad config (%d)", r,
				     bad);
			for (r = 0; r < (int)sizeof(other); r++)
				FUZZ_CHECK(fz, ((uint8_t *)&other)[r] == 0xa5);
			fz->rc.config_refused = true;
		} else {
			FUZZ_CHECK_EQ(fz, r, 0);
			FUZZ_CHECK_EQ(fz, vapic_haltpoll_window_ns(&other), 0);
			FUZZ_CHECK_EQ(fz, other.stats.halt_attempted_poll, 0);
		}
		break;
	default:
		/* end without begin / begin twice */
		if (fz->m.in_halt)
			halt_begin(fz, fz->m.now, VAPIC_HALTPOLL_NO_TIMER);
		else
			halt_end(fz, k & 7, 0, 0);
		return;
	}
	FUZZ_CHECK(fz, !memcmp(&before, &fz->hp, sizeof(before)));
}

static uint64_t advance(struct fz *fz, uint64_t d)
{
	uint64_t t = fz->m.now + d;

	if (t >= TIME_LIMIT)
		t = TIME_LIMIT - 1;
	return t;
}

static void whole_halt(struct fz *fz, const uint8_t *a, bool grow, int iter)
{
	uint64_t d = dur(a[0]);

	if (grow)
		d += (uint64_t)iter * (dur(a[0]) / 8 + 1);
	halt_begin(fz, advance(fz, d), timer_arg(fz, a[1]));
	halt_end(fz, a[2], a[3], a[4]);
}

static void event(struct fz *fz)
{
	/* "Only for F_EVENTS (otherwise ignored)"; outside a halt only. */
	if (fz->m.in_halt)
		return;
	vapic_haltpoll_event(&fz->hp);
	fz->m.st.halt_poll_events++; /* counted for any policy */
	if (fz->m.cfg.policy == VAPIC_HALTPOLL_ADAPTIVE &&
	    (fz->m.cfg.flags & VAPIC_HALTPOLL_F_EVENTS)) {
		fz->m.event = true;
		fz->rc.event = true;
	}
}

static void exec_op(struct fz *fz, uint8_t op)
{
	uint8_t a[5], n, k;
	uint32_t v;
	int j;

	switch (op % NR_OPS) {
	case 0:
		fz->op_str = "begin";
		a[0] = get8(fz);
		a[1] = get8(fz);
		halt_begin(fz, advance(fz, dur(a[0])), timer_arg(fz, a[1]));
		break;
	case 1:
		fz->op_str = "end";
		a[0] = get8(fz);
		a[1] = get8(fz);
		a[2] = get8(fz);
		halt_end(fz, a[0], a[1], a[2]);
		break;
	case 2:
		fz->op_str = "event";
		trace(fz, "event\n");
		event(fz);
		break;
	case 3:
		fz->op_str = "set_vm_max";
		v = val32(fz, get8(fz));
		trace(fz, "set_vm_max %u\n", v);
		vapic_haltpoll_set_vm_max(&fz->hp, v);
		fz->m.vm_override = true;
		fz->m.vm_max = v;
		fz->rc.vm_max = true;
		break;
	case 4:
		fz->op_str = "set_guest_no_poll";
		k = get8(fz) & 1;
		trace(fz, "guest_no_poll %u\n", k);
		vapic_haltpoll_set_guest_no_poll(&fz->hp, k);
		fz->m.no_poll = k;
		break;
	case 5:
		fz->op_str = "set_config";
		set_config_op(fz);
		break;
	case 6:
		fz->op_str = "misuse";
		misuse(fz, get8(fz));
		break;
	case 7:
		fz->op_str = "time_back";
		if (fz->m.in_halt)
			break;
		k = get8(fz);
		a[1] = get8(fz);
		fz->rc.time_back = true;
		halt_begin(fz,
			   fz->m.now > dur(k) + 1 ? fz->m.now - dur(k) - 1 : 0,
			   timer_arg(fz, a[1]));
		break;
	case 8:
		fz->op_str = "halt";
		for (j = 0; j < 5; j++)
			a[j] = get8(fz);
		whole_halt(fz, a, false, 0);
		break;
	case 9:
		fz->op_str = "repeat";
		n = get8(fz);
		for (j = 0; j < 5; j++)
			a[j] = get8(fz);
		for (j = 0; j <= (n & (MAX_REPEAT - 1)); j++) {
			if (n & 64)
				event(fz);
			whole_halt(fz, a, n & 128, j);
			check_all(fz);
		}
		break;
	case 10:
		fz->op_str = "run";
		fz->m.now = advance(fz, dur(get8(fz)));
		break;
	default:
		fz->op_str = "read";
		out(fz, vapic_haltpoll_window_ns(&fz->hp));
		out(fz, vapic_haltpoll_credit_ns(&fz->hp));
		break;
	}
}

static void setup(struct fz *fz)
{
	struct vapic_haltpoll_config c;
	static const uint64_t base[4] = { 0, 1000, 1000000000000ULL,
					  1ULL << 61 };
	int bad, r;

	memset(&fz->m, 0, sizeof(fz->m));
	memset(&fz->rc, 0, sizeof(fz->rc));
	gen_config(fz, &c);
	bad = config_bad(&c);
	memset(&fz->hp, 0xa5, sizeof(fz->hp));
	r = vapic_haltpoll_init(&fz->hp, &c);
	if (bad) {
		size_t k;

		if (!error_ok(bad, r))
			fail(fz, "init: %d for a bad config (%d)", r, bad);
		for (k = 0; k < sizeof(fz->hp); k++)
			FUZZ_CHECK(fz, ((uint8_t *)&fz->hp)[k] == 0xa5);
		fz->rc.config_refused = true;
		c.policy &= 3;
		vapic_haltpoll_config_default(&c, c.policy);
		r = vapic_haltpoll_init(&fz->hp, &c);
	}
	FUZZ_CHECK_EQ(fz, r, 0);
	fz->m.cfg = c;
	fz->m.ppm_max = c.budget_ppm;
	fz->m.now = base[get8(fz) & 3];
	trace(fz,
	      "init policy %u flags %#x max %u grow %u start %u shrink %u\n",
	      c.policy, c.flags, c.max_ns, c.grow, c.grow_start_ns, c.shrink);
}

static void run(struct fz *fz, const uint8_t *data, size_t size)
{
	fz->p = data;
	fz->n = size;
	fz->i = 0;
	fz->digest = 0xcbf29ce484222325ULL;
	fz->op_str = NULL;
	fz->op_index = 0;
	setup(fz);
	check_all(fz);
	for (fz->op_index = 0; fz->op_index < MAX_OPS && fz->i < fz->n;
	     fz->op_index++) {
		uint8_t op = get8(fz);

		trace(fz, "op %u: %u\n", fz->op_index, op % NR_OPS);
		exec_op(fz, op);
		check_all(fz);
	}
	fz->rc.ops = fz->op_index;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz fz_mem;
	struct fz *fz = &fz_mem;
	uint64_t digest;

	fz->trace = getenv("FUZZ_HALTPOLL_TRACE") != NULL;
	run(fz, data, size);
	digest = fz->digest;
	last_reached = fz->rc;
	/* Determinism: the same input again gives the same outputs. */
	fz->trace = false;
	run(fz, data, size);
	if (fz->digest != digest)
		fail(fz, "not deterministic: outputs differ on a second run");
	return 0;
}

void fuzz_summary(char *buf, size_t len)
{
	const struct reached *r = &last_reached;
	static const struct fuzz_flag names[] = {
#define R(f) FUZZ_FLAG(struct reached, f)
		R(none),	 R(kvm),	   R(guest),
		R(adaptive),	 R(kvm_grow),	   R(kvm_shrink),
		R(kvm_wrap),	 R(kvm_cap),	   R(vm_max),
		R(guest_grow),	 R(guest_shrink),  R(timer_poll),
		R(predicted),	 R(throttled),	   R(continued),
		R(event),	 R(no_poll),	   R(invalid_wakeup),
		R(reconfig),	 R(policy_switch), R(config_refused),
		R(busy),	 R(misuse),	   R(time_back),
		R(budget_spent), R(hist_top),	   R(refused_end),
#undef R
	};

	fuzz_summary_flags(buf, len, r->ops, r->halts, r->polls, r, names,
			   sizeof(names) / sizeof(names[0]));
}
