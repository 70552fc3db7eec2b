/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The timer's two fast paths (seed 004), as inline functions so that the
 * fastpath exit dispatch (fastpath.c) and the LAPIC poll (lapic.c) run them
 * without a call, and the small helpers they share with timer.c:
 *
 *	timer_write_tsc_deadline_inl_()
 *		WRMSR IA32_TSC_DEADLINE, a future deadline on a quiet timer:
 *		re-arm
 *	timer_fire_ready_() + timer_fire_take_()
 *		the TSC deadline the deferred-mode callback handed over is
 *		due: take it
 *
 * Each is the general path (timer.c: begin_write() / finish_write(),
 * sync() / deliver()) with every branch that cannot be taken in its state
 * removed; in any other state the caller takes the general path.  The
 * equivalence test (tests/timer_diff.c) runs the same scenarios with
 * VAPIC_CONFIG_TIMER_FASTPATH 0 and 1 and compares the traces.
 *
 * Rules (timer.c's header comment): the running state belongs to the vCPU
 * thread once the host timer is cancelled (or, deferred mode, once its
 * callback has handed the expiry over with 'fired'); the lazy TSC-deadline
 * page's "armed" follows every arm (R1) and every return without one (R2).
 */
#ifndef VAPIC_TIMER_FAST_H
#define VAPIC_TIMER_FAST_H

#include "internal.h"
#include "lazy_int.h"
#include <vapic/timer.h>

/* LVT timer: TSC-deadline mode, unmasked (the bits the fast paths test). */
#define TIMER_LVTT_MODE_MASKED_ (VAPIC_LVTT_MODE_MASK | VAPIC_LVT_MASKED)
#define TIMER_LVTT_TSCD_ \
	((u32)VAPIC_TIMER_TSC_DEADLINE << VAPIC_LVTT_MODE_SHIFT)

/* The byte of struct vapic_timer.busy that is in_window. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TIMER_BUSY_IN_WINDOW_ (0xffULL << 56)
#else
#define TIMER_BUSY_IN_WINDOW_ 0xffULL
#endif
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_timer, in_window) !=
		   __builtin_offsetof(struct vapic_timer, busy));
VAPIC_BUILD_BUG_ON(sizeof(((struct vapic_timer *)0)->busy) !=
		   4 * sizeof(bool) + sizeof(uint32_t));
VAPIC_BUILD_BUG_ON(sizeof(bool) != 1);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_timer, need_arm) !=
		   __builtin_offsetof(struct vapic_timer, fire_busy));

static VAPIC_ALWAYS_INLINE u32 timer_mode_(u32 lvtt)
{
	return (lvtt & VAPIC_LVTT_MODE_MASK) >> VAPIC_LVTT_MODE_SHIFT;
}

static VAPIC_ALWAYS_INLINE bool timer_posted_(const struct vapic_timer *t)
{
	return (t->cfg.flags & VAPIC_TIMER_F_POSTED) && t->ops->post;
}

static VAPIC_ALWAYS_INLINE bool timer_deliverable_(const struct vapic_timer *t)
{
	return !(t->lvtt & VAPIC_LVT_MASKED) && !t->sw_disabled;
}

static VAPIC_ALWAYS_INLINE u64 timer_now_tsc_(const struct vapic_timer *t)
{
	return t->ops->guest_tsc(t->host);
}

/*
 * TSC-deadline mode: the guest TSC the running deadline @deadline_tsc counts
 * from, kept in start_tsc (unused by this mode otherwise): the TSC when the
 * deadline was armed, or the deadline itself if the TSC was already at or
 * past it (unsigned, as the SDM compares).  Re-based whenever the TSC
 * jumps (vapic_timer_guest_tsc_changed(), restore).
 */
static VAPIC_ALWAYS_INLINE u64 timer_tscd_base_(u64 now, u64 deadline_tsc)
{
	return now < deadline_tsc ? now : deadline_tsc;
}

/*
 * The deadline armed from @base_tsc (timer_tscd_base_()) is reached at
 * @now: the TSC, counting up from the base, has equalled the deadline.
 * That is the SDM's unsigned "equals or exceeds" at the instant it first
 * held, and it stays true when the TSC counts on past 2^64 (to values
 * numerically below the deadline) before the expiry is processed: the
 * interrupt was generated when the TSC reached the deadline.  Exact while
 * fewer than 2^64 cycles have passed since the base.
 */
static VAPIC_ALWAYS_INLINE bool timer_tscd_reached_(u64 base_tsc, u64 now,
						    u64 deadline_tsc)
{
	return now - base_tsc >= deadline_tsc - base_tsc;
}

/*
 * !timer_tscd_reached_() for a base at or below the deadline, which
 * timer_tscd_base_() makes so: the TSC is at or past the base (no wrap
 * since) and below the deadline.  Two compares against memory instead of
 * two subtractions: the TSC-deadline write's fast path.
 */
static VAPIC_ALWAYS_INLINE bool timer_tscd_ahead_(u64 base_tsc, u64 now,
						  u64 deadline_tsc)
{
	return now >= base_tsc && now < deadline_tsc;
}

/*
 * timer_due_() - the running timer's target @target_tsc is reached at guest
 * TSC @now.  The two families compare differently:
 *
 *  - TSC-deadline mode: unsigned, as the SDM says ("TSC-Deadline Mode":
 *    the timer fires when the TSC equals or exceeds the deadline), from
 *    the TSC at which the deadline was armed (timer_tscd_reached_()).  A
 *    deadline of 2^64 - 1 is far ahead of a small TSC; one numerically
 *    below a TSC near 2^64 is in the past; one the TSC reached before it
 *    wrapped past 2^64 stays reached.
 *  - one-shot / periodic: they count on the bus clock, and the target is a
 *    position at most one period (< 2^55 TSC cycles) after the period
 *    start, itself at or before @now.  Compared modulo 2^64 (the sign of
 *    now - target), so a guest TSC that wraps past 2^64 inside the period
 *    (a guest write of IA32_TSC or IA32_TSC_ADJUST near its maximum, a
 *    restore that lands there) neither makes it due early nor stalls it;
 *    valid while an unprocessed target is less than 2^63 cycles late.
 *
 * The mode is the LVT's: a write that changes it stops the timer (timer.c,
 * vapic_timer_write_lvtt()), so the running target always has the LVT's
 * mode.  The fast paths, which run only in TSC-deadline mode, compare
 * unsigned directly where a "not due" answer only sends them to the
 * general path (unsigned "due" implies reached; the converse fails only
 * across a wrap).
 */
static VAPIC_ALWAYS_INLINE bool timer_due_(const struct vapic_timer *t, u64 now,
					   u64 target_tsc)
{
	if (timer_mode_(t->lvtt) == VAPIC_TIMER_TSC_DEADLINE)
		return timer_tscd_reached_(t->start_tsc, now, target_tsc);
	return (s64)(now - target_tsc) >= 0;
}

/*
 * Guest TSC cycles -> host ns for arming the host timer: one multiply
 * (fixed point, 32 fractional bits, multiplier rounded up) instead of a
 * 128-by-64 division.  Equal to the exact floor(delta * 10^6 / khz) except
 * that it can exceed it by 1 ns per 2^32 cycles of @delta_tsc (1.7 s at
 * 2.5 GHz): the host timer is then armed at most that much later, inside
 * the timer advance; it never makes an interrupt early (delivery compares
 * in guest TSC).
 */
static VAPIC_ALWAYS_INLINE u64 timer_arm_delta_ns_(const struct vapic_timer *t,
						   u64 delta_tsc)
{
	u64 hi, lo = vapic_umul128(delta_tsc, t->ns_per_tsc_32, &hi);

	/* Beyond 2^64 ns: saturate (never wrap into an early arm). */
	if (VAPIC_UNLIKELY(hi >> 32))
		return UINT64_MAX;
	return (hi << 32) | (lo >> 32);
}

/*
 * Lateness histogram: bucket fls64(ns) capped at VAPIC_HIST_BUCKETS - 1,
 * ns = the late TSC cycles converted as arm_delta_ns() does (a bucket
 * index: the multiply's rounding is fine), without its saturation and
 * fls64_()'s zero test: with p = late_tsc * ns_per_tsc_32, ns = p >> 32;
 * p >= 2^62 means ns >= 2^30, the last bucket; else fls(ns) is the index
 * of the highest bit of (ns << 1) | 1, which is (p >> 31) | 1 (< 2^31).
 */
static VAPIC_ALWAYS_INLINE void timer_record_lateness_(struct vapic_timer *t,
						       u64 late_tsc)
{
	u64 hi, lo = vapic_umul128(late_tsc, t->ns_per_tsc_32, &hi);
	u64 b;

	VAPIC_BUILD_BUG_ON(VAPIC_HIST_BUCKETS != 32);
	if (VAPIC_UNLIKELY(hi | (lo >> 62)))
		b = VAPIC_HIST_BUCKETS - 1;
	else
		b = 31 ^ (u32)__builtin_clz((u32)(lo >> 31) | 1);
	STAT_INC_(t->stats.lateness_hist[b]);
}

/*
 * KVM's adaptive advance (arch/x86/kvm/lapic.c, adjust_lapic_timer_advance):
 * ignore samples outside [100, 10000] TSC cycles, move 1/8 of the error,
 * reset to the initial value past the maximum.  @late: the sample is
 * late (the guest TSC when the expiry was first seen is at or past its
 * deadline), else early; @mag: its magnitude in TSC cycles.  u32
 * arithmetic as KVM, so an underflow also resets.
 *
 * The step is floor(mag * 10^6 / khz / 8) ns, computed as
 * (mag * adv_step_mult) >> 42 with adv_step_mult = ceil(10^6 * 2^39 / khz):
 * the multiplier's rounding adds less than mag / 2^39 < 2^-25 to
 * mag * 10^6 / khz, whose fraction is a multiple of 1/khz, at most
 * 1 - 1/khz < 1 - 2^-25 (khz < 2^25): the floor is exact; and
 * mag * adv_step_mult < 10^4 * 2^49 < 2^64.
 */
static VAPIC_ALWAYS_INLINE void timer_adjust_advance_mag_(struct vapic_timer *t,
							  bool late, u64 mag)
{
	u32 adv = t->advance_ns;
	u32 step;

	if (t->cfg.advance_ns != VAPIC_ADVANCE_ADAPTIVE)
		return;
	if (mag > VAPIC_ADVANCE_ADJUST_MAX_TSC ||
	    mag < VAPIC_ADVANCE_ADJUST_MIN_TSC)
		return;
	VAPIC_BUILD_BUG_ON(VAPIC_ADVANCE_ADJUST_STEP != 8);
	VAPIC_BUILD_BUG_ON(VAPIC_ADVANCE_ADJUST_MAX_TSC >= (1U << 14));
	VAPIC_BUILD_BUG_ON(VAPIC_KHZ_MAX >= (1U << 25));
	step = (u32)((mag * t->adv_step_mult) >> (39 + 3));
	if (late)
		adv += step;
	else
		adv -= step;
	if (adv > VAPIC_ADVANCE_NS_MAX)
		adv = VAPIC_ADVANCE_NS_INIT;
	VAPIC_WRITE_ONCE(t->advance_ns, adv);
}

/*
 * @delta_tsc: the guest TSC when the expiry was first seen minus its
 * deadline: < 0 fired too early, > 0 too late.
 */
static VAPIC_ALWAYS_INLINE void timer_adjust_advance_(struct vapic_timer *t,
						      s64 delta_tsc)
{
	timer_adjust_advance_mag_(t, delta_tsc >= 0,
				  delta_tsc < 0 ? (u64)-delta_tsc
						: (u64)delta_tsc);
}

/* ceil(10^6 * 2^39 / khz) (khz >= VAPIC_KHZ_MIN: < 2^49). */
static inline u64 timer_adv_step_mult_(u32 guest_tsc_khz)
{
	return vapic_div64_u64((1000000ULL << 39) + guest_tsc_khz - 1,
			       guest_tsc_khz);
}

/* Not a VAPIC_E* code nor VAPIC_TIMER_DUE. */
#define TIMER_WRITE_SLOW_ 0x100

/* timer.c: the rare paths of the fast paths below. */
int timer_arm_hw_lazy_(struct vapic_timer *t, u64 delta_tsc, bool credit);
int timer_arm_failed_(struct vapic_timer *t, int r);
int timer_write_tsc_deadline_slow_(struct vapic_timer *t, u64 deadline_tsc);

/*
 * timer_expiry_ns_() - the host time at which to arm the host timer for a
 * target @delta_tsc guest TSC cycles from now: now_ns + the delta in ns
 * minus the timer advance (not below now_ns), saturated at 2^64 - 1.
 */
static VAPIC_ALWAYS_INLINE u64 timer_expiry_ns_(struct vapic_timer *t,
						u64 delta_tsc)
{
	u64 now_ns = t->ops->now_ns(t->host);
	u64 delta_ns = timer_arm_delta_ns_(t, delta_tsc), expires;

	if (__builtin_sub_overflow(
		    delta_ns, (u64)VAPIC_READ_ONCE(t->advance_ns), &delta_ns))
		delta_ns = 0;
	if (VAPIC_UNLIKELY(__builtin_add_overflow(now_ns, delta_ns, &expires)))
		expires = UINT64_MAX;
	return expires;
}

/*
 * The end of arm_hw(): arm the host timer at @expires (host ns).  The
 * caller has cleared 'measured' (timer_arm_hw_()).
 */
static VAPIC_ALWAYS_INLINE int timer_arm_at_(struct vapic_timer *t, u64 expires,
					     bool write_fast)
{
	int r;

	if (!write_fast) {
		t->in_window = false;
		VAPIC_WRITE_ONCE(t->fired, 0);
	}
	r = t->ops->timer_arm(t->host, expires);
	if (VAPIC_UNLIKELY(r < 0))
		return timer_arm_failed_(t, r);
	t->hw_armed = true;
	STAT_INC_(t->stats.arms);
	return 0;
}

/*
 * timer_arm_hw_() - arm the host timer for the running target, which is in
 * the future: @delta_tsc = target_tsc - now > 0, now the guest TSC read by
 * the caller.  Inlined into rearm() and into the TSC-deadline write's fast
 * path; the only code that calls timer_arm.  With lazy TSC-deadline on,
 * the same steps plus the rate bound and "armed" (R1), out of line
 * (timer_arm_hw_lazy_()).
 * @write_fast: called by the TSC-deadline write's fast path, which has
 * checked that 'fired' and in_window are clear, and which gives the lazy
 * protocol its credit in timer_arm_hw_lazy_() (a guest register write pays
 * for one exact lazy re-arm; lazy.c reads the credit only in the clamp).
 */
static VAPIC_ALWAYS_INLINE int timer_arm_hw_(struct vapic_timer *t,
					     u64 delta_tsc, bool write_fast)
{
	t->measured = false;
	if (VAPIC_UNLIKELY(lazy_on_(t)))
		return timer_arm_hw_lazy_(t, delta_tsc, write_fast);
	return timer_arm_at_(t, timer_expiry_ns_(t, delta_tsc), write_fast);
}

static VAPIC_ALWAYS_INLINE void timer_cancel_hw_(struct vapic_timer *t)
{
	if (t->hw_armed) {
		t->ops->timer_cancel(t->host);
		t->hw_armed = false;
	}
	t->need_arm = false;
}

/*
 * timer_write_tsc_deadline_inl_() - vapic_timer_write_tsc_deadline() for a
 * timer in TSC-deadline mode with the LVT unmasked (the caller checked
 * both), except that it returns TIMER_WRITE_SLOW_ instead of taking the
 * general path (timer_write_tsc_deadline_slow_(), which the caller calls):
 * callers keep fewer values live across the host calls.  Otherwise returns
 * as that function.
 *
 * Fast path: a future deadline on a deliverable timer with nothing fired,
 * due or pending.  It is begin_write() + the mutation + finish_write() with
 * every branch that cannot be taken removed: sync() would do nothing (the
 * host timer is cancelled and had not fired; no target reached; no advance
 * window open), rearm() goes straight to arm_hw() (which gives the lazy
 * credit and publishes the lazy page's "armed"), and tick_ready() is false.
 */
static VAPIC_ALWAYS_INLINE int
timer_write_tsc_deadline_inl_(struct vapic_timer *t, u64 deadline_tsc)
{
	u64 now;

	/*
	 * timer_cancel_hw_() with its two flag stores moved to where this
	 * returns (nothing reads them in between: the callback cannot run
	 * after the cancel, and guest_tsc/now_ns do not call back in).  On
	 * the fast path, need_arm's store sits next to timer_arm_hw_()'s of
	 * 'measured' (one store), hw_armed is set by the arm, or cleared by
	 * timer_arm_failed_().
	 */
	if (t->hw_armed)
		t->ops->timer_cancel(t->host);
	/* After the cancel, which may wait for a running callback. */
	now = timer_now_tsc_(t);
	/*
	 * 'busy' 0: also not software-disabled; need_arm: just cleared.  The
	 * caller checked TSC-deadline mode, so a running target is a TSC
	 * deadline, not yet reached (timer_due_(): also not across a wrap,
	 * else the write would drop an expiry due before it).
	 */
	if (VAPIC_LIKELY(VAPIC_CONFIG_TIMER_FASTPATH && deadline_tsc > now &&
			 !t->busy && !VAPIC_READ_ONCE(t->fired) &&
			 (!t->running || timer_tscd_ahead_(t->start_tsc, now,
							   t->target_tsc)))) {
		VAPIC_WRITE_ONCE(t->tsc_deadline, deadline_tsc);
		VAPIC_WRITE_ONCE(t->start_tsc, now);
		VAPIC_WRITE_ONCE(t->target_tsc, deadline_tsc);
		VAPIC_WRITE_ONCE(t->running, true);
		t->need_arm = false;
		return timer_arm_hw_(t, deadline_tsc - now, true);
	}
	t->hw_armed = false;
	t->need_arm = false;
	return TIMER_WRITE_SLOW_;
}

/*
 * timer_fire_ready_() - the state of a TSC-deadline expiry that the
 * deferred-mode callback handed over ('fired', or the advance window it
 * opened), with nothing else pending: timer_fire_take_() completes and
 * hands it out once the guest TSC reached the target.  Only in TSC-deadline
 * mode with a legal vector unmasked (t->fire_slow); not posted mode (the
 * callback delivers), and not with lazy TSC-deadline on: the expiry must first
 * read the guest's "pending" (H1-H3), which sync() does.
 */
static VAPIC_ALWAYS_INLINE bool timer_fire_ready_(const struct vapic_timer *t)
{
	/* Acquire: pairs with the callback's release of 'fired'. */
	return VAPIC_CONFIG_TIMER_FASTPATH && !t->fire_busy &&
	       !(t->busy & ~TIMER_BUSY_IN_WINDOW_) &&
	       (vapic_load_acquire(&t->fired) || t->in_window) && t->running;
}

/*
 * What timer_fire_ready_() needs besides the running state, cached in
 * t->fire_slow: TSC-deadline mode, unmasked, a legal vector (the LAPIC
 * needs ESR for an illegal one), not lazy TSC-deadline, not posted.
 * timer.c recomputes it in init, reset and finish_write(), which every
 * change of the LVT, the lazy page or the config goes through.
 */
static VAPIC_ALWAYS_INLINE void timer_update_fire_slow_(struct vapic_timer *t)
{
	t->fire_slow =
		(t->lvtt & TIMER_LVTT_MODE_MASKED_) != TIMER_LVTT_TSCD_ ||
		(t->lvtt & VAPIC_LVT_VECTOR_MASK) < VAPIC_VECTOR_MIN_LEGAL ||
		lazy_on_(t) || timer_posted_(t);
}

/*
 * timer_fire_take_() - timer_fire_ready_() and the guest TSC now is
 * @late_tsc (>= 0) past target_tsc: the same
 * steps as sync() + complete_expiry() + queue_ticks() + the re-arm check +
 * deliver() for exactly this state, in one pass.  The callback has run, so
 * the host timer is idle: no cancel needed (the host contract allows an arm
 * after an expiry).  The caller hands the LVT vector to the guest (no other
 * tick can be pending: 'busy' was 0).
 */
static VAPIC_ALWAYS_INLINE void timer_fire_take_(struct vapic_timer *t,
						 u64 late_tsc)
{
	/*
	 * No exchange needed: the callback has run (or, in_window, ran
	 * before), and the host timer fires once per arm: nothing can set
	 * 'fired' until the next arm.
	 */
	VAPIC_WRITE_ONCE(t->fired, 0);
	if (!t->measured)
		timer_adjust_advance_mag_(t, true, late_tsc);
	t->in_window = false;
	t->measured = false;
	t->hw_armed = false;
	VAPIC_WRITE_ONCE(t->tsc_deadline, 0);
	VAPIC_WRITE_ONCE(t->running, false);
	timer_record_lateness_(t, late_tsc);
	STAT_INC_(t->stats.injections);
}

/* timer.c: vapic_timer_poll() at guest TSC @now (read by the caller). */
int timer_poll_at_(struct vapic_timer *t, u32 flags, u64 now,
		   struct vapic_timer_event *ev);

/* timer.c: the host timer's expiry, taken on the vCPU thread. */
void timer_expired_vcpu_(struct vapic_timer *t);

#endif /* VAPIC_TIMER_FAST_H */
