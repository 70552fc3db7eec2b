// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Adaptive halt-polling: KVM's policy (bit-exact), the guest cpuidle
 * haltpoll governor's variant, and libvapic's timer-aware, predictive,
 * budgeted policy.  See include/vapic/haltpoll.h and docs/haltpoll.md.
 *
 * Written from the behaviour of Linux 6.1 (Debian linux-source 6.1.192):
 * virt/kvm/kvm_main.c kvm_vcpu_halt() and its helpers,
 * Documentation/virt/kvm/halt-polling.rst,
 * drivers/cpuidle/governors/haltpoll.c.  The arithmetic widths are KVM's
 * (the window is an unsigned int, so a grow may wrap modulo 2^32), because
 * "bit-exact" includes its corner cases.
 */
#include "internal.h"
#include "timer_int.h"
#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/haltpoll.h>
#include <vapic/timer.h>

const struct vapic_stat_desc vapic_haltpoll_stat_descs[] = {
#define D(f, n)                                                               \
	{                                                                     \
#f, (u32) __builtin_offsetof(struct vapic_haltpoll_stats, f), \
			n                                                     \
	}
	D(halt_successful_poll, 1),
	D(halt_attempted_poll, 1),
	D(halt_poll_invalid, 1),
	D(halt_wakeup, 1),
	D(halt_poll_success_ns, 1),
	D(halt_poll_fail_ns, 1),
	D(halt_wait_ns, 1),
	D(halt_poll_success_hist, VAPIC_HALTPOLL_HIST_BUCKETS),
	D(halt_poll_fail_hist, VAPIC_HALTPOLL_HIST_BUCKETS),
	D(halt_wait_hist, VAPIC_HALTPOLL_HIST_BUCKETS),
	D(halt_poll_timer, 1),
	D(halt_poll_throttled, 1),
	D(halt_poll_events, 1),
	D(halt_poll_continued, 1),
#undef D
};
const uint32_t vapic_haltpoll_stat_ndescs =
	VAPIC_ARRAY_SIZE(vapic_haltpoll_stat_descs);

/*
 * Predictor: samples weigh 16; a context halves once it holds 4096 samples.
 * The window hangs on the tail: with a 1% tail, whether one more bucket of
 * the body is worth polling for turns on a handful of samples; 256 made
 * the window jitter, 1024 still flipped it between two edges a third of
 * the time (odsync, docs/haltpoll.md).  A burst of a new behaviour outvotes
 * the old one within about as many halts as the context holds.
 */
#define PRED_SAMPLE 16U
#define PRED_TOTAL_LIMIT (4096U * PRED_SAMPLE)
#define PRED_LONG (VAPIC_HALTPOLL_PRED_BUCKETS - 1)
#define PRED_HEADROOM 1U
#define CTX_SHORT 0 /* the last halt was short */
#define CTX_LONG 1 /* long, ended by an event */
#define CTX_IDLE 2 /* long, ended by the own timer */

/* A bucket's weight, and a context's, stay below 2^17 (pred_window()). */
VAPIC_BUILD_BUG_ON(PRED_TOTAL_LIMIT + PRED_SAMPLE >= (1U << 17));
VAPIC_BUILD_BUG_ON(VAPIC_ADAPTIVE_WINDOW_LIMIT_NS >
		   (1U << VAPIC_HALTPOLL_PRED_MAX_SHIFT));

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */

VAPIC_API int vapic_haltpoll_config_default(struct vapic_haltpoll_config *cfg,
					    uint32_t policy)
{
	struct vapic_haltpoll_config c;

	if (!cfg || policy > VAPIC_HALTPOLL_POLICY_MAX)
		return VAPIC_EINVAL;
	__builtin_memset(&c, 0, sizeof(c));
	c.policy = policy;
	switch (policy) {
	case VAPIC_HALTPOLL_KVM:
		c.max_ns = VAPIC_KVM_HALT_POLL_NS;
		c.grow = VAPIC_KVM_HALT_POLL_NS_GROW;
		c.grow_start_ns = VAPIC_KVM_HALT_POLL_NS_GROW_START;
		c.shrink = VAPIC_KVM_HALT_POLL_NS_SHRINK;
		break;
	case VAPIC_HALTPOLL_GUEST:
		c.max_ns = VAPIC_GUEST_HALT_POLL_NS;
		c.grow = VAPIC_GUEST_HALT_POLL_GROW;
		c.grow_start_ns = VAPIC_GUEST_HALT_POLL_GROW_START;
		c.shrink = VAPIC_GUEST_HALT_POLL_SHRINK;
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		c.max_ns = VAPIC_ADAPTIVE_MAX_NS;
		c.timer_max_ns = VAPIC_ADAPTIVE_TIMER_MAX_NS;
		c.block_cost_ns = VAPIC_ADAPTIVE_BLOCK_COST_NS;
		c.cpu_weight_q8 = VAPIC_ADAPTIVE_CPU_WEIGHT_Q8;
		c.budget_ppm = VAPIC_ADAPTIVE_BUDGET_PPM;
		c.budget_burst_ns = VAPIC_ADAPTIVE_BUDGET_BURST_NS;
		break;
	default:
		break;
	}
	*cfg = c;
	return 0;
}

static int check_config(const struct vapic_haltpoll_config *c)
{
	u32 kvm_fields = c->max_ns | c->grow | c->grow_start_ns | c->shrink;
	u32 ada_fields = c->timer_max_ns | c->block_cost_ns | c->cpu_weight_q8 |
			 c->budget_ppm | c->budget_burst_ns;
	u32 ada_flags = VAPIC_HALTPOLL_F_NO_TIMER |
			VAPIC_HALTPOLL_F_NO_PREDICT |
			VAPIC_HALTPOLL_F_NO_BUDGET | VAPIC_HALTPOLL_F_EVENTS;

	if (c->reserved || (c->flags & ~VAPIC_HALTPOLL_F_ALL))
		return VAPIC_EINVAL;
	switch (c->policy) {
	case VAPIC_HALTPOLL_NONE:
		if (c->flags || kvm_fields || ada_fields)
			return VAPIC_EINVAL;
		return 0;
	case VAPIC_HALTPOLL_KVM:
		/* Every unsigned int the module parameters take is valid. */
		if (c->flags || ada_fields)
			return VAPIC_EINVAL;
		return 0;
	case VAPIC_HALTPOLL_GUEST:
		if ((c->flags & ~VAPIC_HALTPOLL_F_NO_SHRINK) || ada_fields)
			return VAPIC_EINVAL;
		return 0;
	case VAPIC_HALTPOLL_ADAPTIVE:
		if ((c->flags & ~ada_flags) || c->grow || c->grow_start_ns ||
		    c->shrink)
			return VAPIC_EINVAL;
		if (c->max_ns > VAPIC_ADAPTIVE_WINDOW_LIMIT_NS ||
		    c->timer_max_ns > VAPIC_ADAPTIVE_WINDOW_LIMIT_NS ||
		    !c->block_cost_ns ||
		    c->block_cost_ns > VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS ||
		    !c->cpu_weight_q8 || c->cpu_weight_q8 > 0xffffU ||
		    c->budget_ppm > VAPIC_PPM ||
		    c->budget_burst_ns > VAPIC_ADAPTIVE_BURST_LIMIT_NS)
			return VAPIC_ERANGE;
		return 0;
	default:
		return VAPIC_EINVAL;
	}
}

/* Forget what the policy learnt (the window, the predictor, the budget). */
static void reset_policy(struct vapic_haltpoll *hp)
{
	hp->poll_ns = 0;
	hp->ctx = CTX_LONG;
	hp->pred_window_ns = 0;
	hp->cut = false;
	hp->cut_ns = 0;
	hp->cut_learn = false;
	hp->budget_started = false;
	hp->credit_ns = 0;
	hp->credit_stamp_ns = 0;
	__builtin_memset(hp->hist, 0, sizeof(hp->hist));
	__builtin_memset(hp->hist_total, 0, sizeof(hp->hist_total));
}

VAPIC_API int vapic_haltpoll_init(struct vapic_haltpoll *hp,
				  const struct vapic_haltpoll_config *cfg)
{
	int ret;

	if (!hp || !cfg)
		return VAPIC_EINVAL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	__builtin_memset(hp, 0, sizeof(*hp));
	hp->cfg = *cfg;
	reset_policy(hp);
	return 0;
}

VAPIC_API int vapic_haltpoll_set_config(struct vapic_haltpoll *hp,
					const struct vapic_haltpoll_config *cfg)
{
	int ret;

	if (!hp || !cfg)
		return VAPIC_EINVAL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	if (hp->in_halt)
		return VAPIC_EBUSY;
	if (cfg->policy != hp->cfg.policy)
		reset_policy(hp);
	hp->cfg = *cfg;
	return 0;
}

VAPIC_API void vapic_haltpoll_set_vm_max(struct vapic_haltpoll *hp,
					 uint32_t max_ns)
{
	/* Value first, then the flag: pairs with the acquire in vm_max(). */
	VAPIC_WRITE_ONCE(hp->vm_max_ns, max_ns);
	vapic_store_release(&hp->vm_override, 1U);
}

VAPIC_API void vapic_haltpoll_set_guest_no_poll(struct vapic_haltpoll *hp,
						bool no_poll)
{
	VAPIC_WRITE_ONCE(hp->guest_no_poll, no_poll ? 1U : 0U);
}

VAPIC_API void vapic_haltpoll_event(struct vapic_haltpoll *hp)
{
	STAT_INC_(hp->stats.halt_poll_events);
	/* Ignored without F_EVENTS (not kept for when it is turned on). */
	if (hp->cfg.flags & VAPIC_HALTPOLL_F_EVENTS)
		hp->event = true;
}

/* kvm_vcpu_max_halt_poll_ns(): the per-VM value once set, else the param. */
static u32 max_poll_ns(const struct vapic_haltpoll *hp)
{
	if (vapic_load_acquire(&hp->vm_override))
		return VAPIC_READ_ONCE(hp->vm_max_ns);
	return hp->cfg.max_ns;
}

/* ---------------------------------------------------------------------- */
/* Stats (update_halt_poll_stats() and the wait accounting of KVM)        */

static void hist_add(u64 *hist, u64 ns)
{
	unsigned int b = fls64_(ns);

	if (b >= VAPIC_HALTPOLL_HIST_BUCKETS)
		b = VAPIC_HALTPOLL_HIST_BUCKETS - 1;
	STAT_INC_(hist[b]);
}

static void account(struct vapic_haltpoll *hp, u64 poll_ns, u64 wait_ns,
		    u32 flags)
{
	struct vapic_haltpoll_stats *s = &hp->stats;
	bool waited = flags & VAPIC_HALT_WAITED;

	if (hp->polled) {
		STAT_INC_(s->halt_attempted_poll);
		if (!waited) {
			STAT_INC_(s->halt_successful_poll);
			if (flags & VAPIC_HALT_INVALID)
				STAT_INC_(s->halt_poll_invalid);
			STAT_ADD_(s->halt_poll_success_ns, poll_ns);
			hist_add(s->halt_poll_success_hist, poll_ns);
		} else {
			STAT_ADD_(s->halt_poll_fail_ns, poll_ns);
			hist_add(s->halt_poll_fail_hist, poll_ns);
		}
	}
	if (waited) {
		STAT_INC_(s->halt_wakeup);
		STAT_ADD_(s->halt_wait_ns, wait_ns);
		hist_add(s->halt_wait_hist, wait_ns);
	}
}

/* ---------------------------------------------------------------------- */
/* KVM (kvm_vcpu_halt)                                                    */

/* grow_halt_poll_ns(): unsigned int arithmetic; no cap here (see begin). */
static void kvm_grow(struct vapic_haltpoll *hp)
{
	u32 val = hp->poll_ns;

	if (!hp->cfg.grow)
		return;
	val *= hp->cfg.grow;
	if (val < hp->cfg.grow_start_ns)
		val = hp->cfg.grow_start_ns;
	VAPIC_WRITE_ONCE(hp->poll_ns, val);
}

/* shrink_halt_poll_ns(): shrink 0 resets; below grow_start becomes 0. */
static void kvm_shrink(struct vapic_haltpoll *hp)
{
	u32 val = hp->poll_ns;

	if (!hp->cfg.shrink)
		val = 0;
	else
		val /= hp->cfg.shrink;
	if (val < hp->cfg.grow_start_ns)
		val = 0;
	VAPIC_WRITE_ONCE(hp->poll_ns, val);
}

static u64 kvm_begin(struct vapic_haltpoll *hp)
{
	u32 max = max_poll_ns(hp);

	if (hp->poll_ns > max)
		VAPIC_WRITE_ONCE(hp->poll_ns, max);
	return hp->poll_allowed ? hp->poll_ns : 0;
}

static void kvm_end(struct vapic_haltpoll *hp, u64 halt_ns, u32 flags)
{
	u32 max;

	if (!hp->poll_allowed)
		return;
	/* Re-read: the per-VM maximum may have changed during the halt. */
	max = max_poll_ns(hp);
	if (flags & VAPIC_HALT_INVALID) {
		kvm_shrink(hp);
	} else if (max) {
		if (halt_ns <= hp->poll_ns)
			; /* the window was long enough: keep it */
		else if (hp->poll_ns && halt_ns > max)
			kvm_shrink(hp); /* a long block: polling is pointless */
		else if (hp->poll_ns < max && halt_ns < max)
			kvm_grow(hp); /* short halt, window too small */
	} else {
		VAPIC_WRITE_ONCE(hp->poll_ns, 0U);
	}
}

/* ---------------------------------------------------------------------- */
/* Guest cpuidle haltpoll governor                                        */

/*
 * haltpoll_select(): poll while poll_limit_ns is non-zero; adjust only
 * after the halt state was entered (haltpoll_reflect() with index 1), from
 * its residency: the time halted after the poll, not the whole idle time.
 */
static void guest_adjust(struct vapic_haltpoll *hp, u64 block_ns)
{
	u32 gmax = hp->cfg.max_ns;
	u32 val;

	if (block_ns > hp->poll_ns && block_ns <= gmax) {
		val = hp->poll_ns * hp->cfg.grow;
		if (val < hp->cfg.grow_start_ns)
			val = hp->cfg.grow_start_ns;
		if (val > gmax)
			val = gmax;
		VAPIC_WRITE_ONCE(hp->poll_ns, val);
	} else if (block_ns > gmax &&
		   !(hp->cfg.flags & VAPIC_HALTPOLL_F_NO_SHRINK)) {
		val = hp->cfg.shrink ? hp->poll_ns / hp->cfg.shrink : 0;
		VAPIC_WRITE_ONCE(hp->poll_ns, val);
	}
}

static void guest_end(struct vapic_haltpoll *hp, u64 block_ns, u32 flags)
{
	if (!hp->poll_allowed)
		return;
	if (hp->polled && !(flags & VAPIC_HALT_WAITED))
		return; /* the poll state saw the event: no adjustment */
	guest_adjust(hp, block_ns);
}

/* ---------------------------------------------------------------------- */
/* ADAPTIVE                                                               */

static unsigned int pred_bucket(u64 ns, u32 max_ns)
{
	unsigned int o, s;

	if (ns >= max_ns || ns >= (1ULL << VAPIC_HALTPOLL_PRED_MAX_SHIFT))
		return PRED_LONG;
	if (ns < (1ULL << VAPIC_HALTPOLL_PRED_MIN_SHIFT))
		return 0;
	o = fls64_(ns) - 1;
	s = (unsigned int)(ns >> (o - 2)) & (VAPIC_HALTPOLL_PRED_SUB - 1);
	return 1 +
	       (o - VAPIC_HALTPOLL_PRED_MIN_SHIFT) * VAPIC_HALTPOLL_PRED_SUB +
	       s;
}

/* Exclusive upper edge of bucket @b (< PRED_LONG). */
static u64 pred_edge(unsigned int b)
{
	unsigned int o, s;

	if (!b)
		return 1ULL << VAPIC_HALTPOLL_PRED_MIN_SHIFT;
	o = VAPIC_HALTPOLL_PRED_MIN_SHIFT + (b - 1) / VAPIC_HALTPOLL_PRED_SUB;
	s = (b - 1) % VAPIC_HALTPOLL_PRED_SUB;
	return (1ULL << o) + ((u64)(s + 1) << (o - 2));
}

static void pred_record(struct vapic_haltpoll *hp, unsigned int ctx, u64 ns,
			u32 max_ns)
{
	u32 *h = hp->hist[ctx];
	unsigned int i;
	u32 total;

	h[pred_bucket(ns, max_ns)] += PRED_SAMPLE;
	total = hp->hist_total[ctx] + PRED_SAMPLE;
	if (total >= PRED_TOTAL_LIMIT) {
		/*
		 * Decay: halve the context, so old behaviour fades out, but
		 * keep a trace (1) of every interval seen: a rare one must not
		 * vanish and come back as a miss every few thousand halts.  A
		 * weight of 1 against a sample's 16 is too little to make the
		 * window longer at any price (see pred_window()).
		 */
		total = 0;
		for (i = 0; i < VAPIC_HALTPOLL_PRED_BUCKETS; i++) {
			if (h[i] > 1)
				h[i] >>= 1;
			total += h[i];
		}
	}
	hp->hist_total[ctx] = total;
}

/*
 * The window P <= @limit_ns that maximises, over the recorded intervals of
 * context @ctx,
 *	caught(P) * block_cost - cpu_weight * missed(P) * P
 * where caught(P) is the weight of intervals <= P (each saves the block
 * cost) and missed(P) that of longer ones (each burns P ns of polling for
 * nothing).  0 if no window gains.
 *
 * Continuation: a wait that has already lasted @since_ns (> 0) counts only
 * the intervals longer than that, and its window ends @since_ns earlier:
 * caught(P) is then the weight in (@since_ns, @since_ns + P].  The bucket
 * that holds @since_ns counts as wholly above it.
 *
 * Headroom: the next interval exceeds all those seen with a probability
 * of about 1/(n+1) (rule of succession), so the bucket just above the
 * highest one seen counts as holding a pseudo-sample of weight 1 (a real
 * sample weighs 16).  It makes the window one sub-bucket longer when no
 * long halts argue against it, as when a steady workload has not yet
 * shown its whole spread; any long mass outweighs it.
 *
 * Weights < 2^17, times <= 2^22 ns, block cost <= 2^20 ns, cpu weight <
 * 2^16, x 2^8: both terms fit in 63 bits.
 */
static u32 pred_window(const struct vapic_haltpoll *hp, unsigned int ctx,
		       u32 max_ns, u64 limit_ns, u64 since_ns)
{
	const u32 *h = hp->hist[ctx];
	u64 total = hp->hist_total[ctx];
	u64 caught = 0, best = 0;
	s64 best_net = 0;
	unsigned int b, top = PRED_LONG, first = 0;

	if (since_ns) {
		if (since_ns >= max_ns)
			return 0; /* only long intervals last that long */
		first = pred_bucket(since_ns, max_ns);
		for (b = 0; b < first; b++)
			total -= h[b];
	}
	for (b = first; b < PRED_LONG; b++)
		if (h[b])
			top = b;
	if (top + 1 < PRED_LONG && pred_edge(top) < max_ns)
		total += PRED_HEADROOM;
	else
		top = PRED_LONG; /* no headroom bucket */

	for (b = first; b < PRED_LONG; b++) {
		u64 p, gain, cost, w = h[b];
		s64 net;

		if (b == top + 1)
			w += PRED_HEADROOM;
		if (!w)
			continue;
		if (b && pred_edge(b - 1) >= max_ns)
			break; /* learnt under a larger maximum: long now */
		caught += w;
		p = pred_edge(b);
		if (p > max_ns)
			p = max_ns;
		p -= since_ns; /* > 0: since < edge(first) and < max */
		if (p > limit_ns)
			break;
		gain = caught * hp->cfg.block_cost_ns * 256;
		cost = (total - caught) * p * hp->cfg.cpu_weight_q8;
		net = (s64)gain - (s64)cost;
		if (net > best_net) {
			best_net = net;
			best = p;
		}
	}
	return (u32)best;
}

/* Refill the budget for the time since the last halt began. */
static void budget_refill(struct vapic_haltpoll *hp, u64 now_ns)
{
	u64 burst = hp->cfg.budget_burst_ns;
	u64 add;

	if (!hp->budget_started) {
		hp->budget_started = true;
		hp->credit_ns = burst;
		hp->credit_stamp_ns = now_ns;
		return;
	}
	if (now_ns > hp->credit_stamp_ns) {
		add = vapic_mul_div_u64(now_ns - hp->credit_stamp_ns,
					hp->cfg.budget_ppm, VAPIC_PPM);
		hp->credit_ns = add >= burst - hp->credit_ns
					? burst
					: hp->credit_ns + add;
		hp->credit_stamp_ns = now_ns;
	}
	if (hp->credit_ns > burst)
		hp->credit_ns = burst; /* the burst was lowered */
}

static u64 adaptive_begin(struct vapic_haltpoll *hp, u64 now_ns, u64 timer_ns)
{
	u32 flags = hp->cfg.flags;
	bool override = vapic_load_acquire(&hp->vm_override);
	u32 max = override ? VAPIC_READ_ONCE(hp->vm_max_ns) : hp->cfg.max_ns;
	u32 tmax = hp->cfg.timer_max_ns;
	u64 limit, since = 0, w = 0;
	u32 free_w;

	if (override && tmax > max)
		tmax = max;
	if (max > VAPIC_ADAPTIVE_WINDOW_LIMIT_NS)
		max = VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
	/*
	 * Continuation: the last halt ended with nothing delivered but the
	 * own timer (or nothing at all: an invalid wake-up): the vCPU waits
	 * on for what it waited for, which has been @since ns now (the halts
	 * and the runs between).  Unless the host reported an interrupt
	 * since: then the wait ended while the vCPU ran, and is learnt as
	 * lasting @since (at most), if the predictor decided a part of it.
	 */
	if ((flags & VAPIC_HALTPOLL_F_EVENTS) && hp->cut) {
		since = hp->cut_ns;
		if (now_ns > hp->cut_end_ns)
			since += now_ns - hp->cut_end_ns;
		if (hp->event) {
			if (hp->cut_learn) {
				pred_record(hp, hp->ctx, since, max);
				hp->ctx = since < max ? CTX_SHORT : CTX_LONG;
			}
			since = 0;
		}
	}
	if (!since)
		hp->cut_learn = false;
	hp->event = false;
	hp->cut = false;
	hp->cut_ns = 0;
	/*
	 * Ages are capped at the largest maximum, not at this one: a wait
	 * that outlasted a lower maximum stays long when it is raised.
	 */
	hp->since_ns = since < VAPIC_ADAPTIVE_WINDOW_LIMIT_NS
			       ? (u32)since
			       : VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
	if (hp->since_ns)
		STAT_INC_(hp->stats.halt_poll_continued);
	if (!(flags & VAPIC_HALTPOLL_F_NO_BUDGET))
		budget_refill(hp, now_ns);
	if (!hp->poll_allowed)
		return 0;

	/* Timer-aware: the own deadline is near, poll exactly to it. */
	hp->predicted = false;
	if (!(flags & VAPIC_HALTPOLL_F_NO_TIMER) && timer_ns <= tmax) {
		hp->timer_poll = timer_ns > 0;
		if (hp->timer_poll)
			STAT_INC_(hp->stats.halt_poll_timer);
		return timer_ns;
	}

	if (flags & VAPIC_HALTPOLL_F_NO_PREDICT)
		return 0;
	hp->predicted = true;
	limit = (flags & VAPIC_HALTPOLL_F_NO_BUDGET) ? UINT64_MAX
						     : hp->credit_ns;
	w = pred_window(hp, hp->ctx, max, limit, hp->since_ns);
	VAPIC_WRITE_ONCE(hp->pred_window_ns, (u32)w);
	if (limit < max) {
		free_w =
			pred_window(hp, hp->ctx, max, UINT64_MAX, hp->since_ns);
		if (free_w > w)
			STAT_INC_(hp->stats.halt_poll_throttled);
	}
	/* An own timer due sooner than the predicted window ends it. */
	if (!(flags & VAPIC_HALTPOLL_F_NO_TIMER) && timer_ns < w)
		w = timer_ns;
	return w;
}

static void adaptive_end(struct vapic_haltpoll *hp, u64 poll_ns, u64 halt_ns,
			 u32 flags)
{
	bool override = vapic_load_acquire(&hp->vm_override);
	u32 max = override ? VAPIC_READ_ONCE(hp->vm_max_ns) : hp->cfg.max_ns;
	u64 sample = halt_ns;
	bool learn = hp->predicted || hp->cut_learn;

	if (!hp->poll_allowed)
		return;
	/* A poll that caught no real event used up budget. */
	if (hp->polled && (flags & (VAPIC_HALT_WAITED | VAPIC_HALT_INVALID)) &&
	    !(hp->cfg.flags & VAPIC_HALTPOLL_F_NO_BUDGET))
		hp->credit_ns =
			hp->credit_ns > poll_ns ? hp->credit_ns - poll_ns : 0;
	/*
	 * A blocked vCPU is measured awake only after the block cost; take it
	 * out so missed intervals are not learnt as longer than they were.
	 */
	if (flags & VAPIC_HALT_WAITED) {
		sample = halt_ns > hp->cfg.block_cost_ns
				 ? halt_ns - hp->cfg.block_cost_ns
				 : 0;
		if (sample < poll_ns)
			sample = poll_ns;
	}
	sample += hp->since_ns; /* the whole wait, if this one went on */
	/*
	 * An invalid wake-up delivered nothing, and an own timer that ends a
	 * short wait leaves what the vCPU waits for to come: with
	 * VAPIC_HALTPOLL_F_EVENTS the next halt goes on with this wait
	 * (unless the host reports an interrupt first), and the wait is learnt
	 * when it ends.  Without it, an invalid wake-up teaches nothing and a
	 * short timer wake-up is learnt as it is (below).
	 */
	if ((flags & VAPIC_HALT_INVALID) ||
	    ((flags & VAPIC_HALT_TIMER) && sample < max)) {
		if (hp->cfg.flags & VAPIC_HALTPOLL_F_EVENTS) {
			/* Its age: the whole halt, block cost included. */
			u64 age = hp->since_ns + halt_ns;

			hp->cut = true;
			hp->cut_ns = age < VAPIC_ADAPTIVE_WINDOW_LIMIT_NS
					     ? (u32)age
					     : VAPIC_ADAPTIVE_WINDOW_LIMIT_NS;
			hp->cut_end_ns = hp->start_ns + halt_ns;
			hp->cut_learn = learn;
			return;
		}
		if (flags & VAPIC_HALT_INVALID)
			return;
	}
	/*
	 * Learn only from halts the predictor decided (for a wait that went
	 * on over several halts: any of them): what it must predict is the
	 * next wake-up when the own timer is not near.  A timer wake-up then
	 * is evidence too ("nothing else came before it").
	 *
	 * The context is how the last halt ended: short, long by an event,
	 * or long by the own timer (an idle vCPU's tick; after it the vCPU
	 * usually goes on idling, while after a long wait that an event
	 * ended, a burst may start).  A short wait that the own timer cut
	 * short leaves the context alone: the vCPU goes back to waiting for
	 * what it waited for.
	 */
	if (learn)
		pred_record(hp, hp->ctx_begin, sample, max);
	if (!(flags & VAPIC_HALT_TIMER))
		hp->ctx = sample < max ? CTX_SHORT : CTX_LONG;
	else if (sample >= max)
		hp->ctx = CTX_IDLE;
}

/* ---------------------------------------------------------------------- */
/* The halt                                                               */

VAPIC_API int vapic_haltpoll_begin(struct vapic_haltpoll *hp, uint64_t now_ns,
				   uint64_t timer_ns, uint64_t *poll_ns)
{
	u64 w = 0;

	if (!hp || !poll_ns)
		return VAPIC_EINVAL;
	if (hp->in_halt)
		return VAPIC_EBUSY;
	hp->poll_allowed = !VAPIC_READ_ONCE(hp->guest_no_poll);
	hp->timer_poll = false;
	switch (hp->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
		w = kvm_begin(hp);
		break;
	case VAPIC_HALTPOLL_GUEST:
		w = hp->poll_allowed ? hp->poll_ns : 0;
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		w = adaptive_begin(hp, now_ns, timer_ns);
		break;
	default:
		break;
	}
	/* The context this halt decided in (adaptive_begin() may move it). */
	hp->ctx_begin = hp->ctx;
	hp->polled = w != 0;
	hp->window_ns = w;
	hp->start_ns = now_ns;
	hp->in_halt = true;
	*poll_ns = w;
	return 0;
}

VAPIC_API int vapic_haltpoll_end(struct vapic_haltpoll *hp,
				 uint64_t poll_end_ns, uint64_t end_ns,
				 uint32_t flags)
{
	u64 poll_ns, halt_ns, wait_ns;

	if (!hp)
		return VAPIC_EINVAL;
	if (!hp->in_halt)
		return VAPIC_EBUSY;
	if ((flags & ~VAPIC_HALT_FLAGS_ALL) || poll_end_ns < hp->start_ns ||
	    end_ns < poll_end_ns)
		return VAPIC_EINVAL;
	poll_ns = poll_end_ns - hp->start_ns;
	halt_ns = end_ns - hp->start_ns;
	wait_ns = end_ns - poll_end_ns;

	account(hp, poll_ns, wait_ns, flags);
	switch (hp->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
		kvm_end(hp, halt_ns, flags);
		break;
	case VAPIC_HALTPOLL_GUEST:
		guest_end(hp, wait_ns, flags);
		break;
	case VAPIC_HALTPOLL_ADAPTIVE:
		adaptive_end(hp, poll_ns, halt_ns, flags);
		break;
	default:
		break;
	}
	hp->in_halt = false;
	return 0;
}

VAPIC_API uint32_t vapic_haltpoll_window_ns(const struct vapic_haltpoll *hp)
{
	switch (hp->cfg.policy) {
	case VAPIC_HALTPOLL_KVM:
	case VAPIC_HALTPOLL_GUEST:
		return VAPIC_READ_ONCE(hp->poll_ns);
	case VAPIC_HALTPOLL_ADAPTIVE:
		return VAPIC_READ_ONCE(hp->pred_window_ns);
	default:
		return 0;
	}
}

VAPIC_API uint64_t vapic_haltpoll_credit_ns(const struct vapic_haltpoll *hp)
{
	return hp->credit_ns;
}

VAPIC_API bool vapic_haltpoll_timer_ns(struct vapic_timer *t,
				       uint64_t *timer_ns)
{
	u64 delta;

	*timer_ns = VAPIC_HALTPOLL_NO_TIMER;
	/* Wrap-safe for one-shot / periodic, unsigned for TSC-deadline. */
	if (!timer_next_due_in_(t, t->ops->guest_tsc(t->host), &delta))
		return false;
	*timer_ns = delta ? vapic_tsc_to_ns_ceil(delta, t->cfg.guest_tsc_khz)
			  : 0;
	return true;
}
