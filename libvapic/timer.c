// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The LAPIC timer state machine (Intel SDM vol. 3A, "APIC Timer").
 *
 * Every state change on the vCPU thread has the same shape:
 *
 *	begin_write()	cancel the host timer (synchronously) and sync():
 *			complete any expiry that is already due, so a tick
 *			that happened in guest time is never lost by the write
 *	...mutate...
 *	finish_write()	rearm(): the one place that decides whether a host
 *			timer is needed and arms it; completes at once a
 *			target that is already due
 *
 * vapic_timer_poll() is sync() + deliver(): it hands out the pending tick
 * once the guest TSC has reached its deadline.  The host timer only wakes
 * the vCPU thread up; time is always re-read and compared in guest TSC, so
 * an early or spurious host timer cannot cause an early interrupt.
 *
 * Lazy TSC-deadline (lazy.c, docs/lazy-tscdeadline.md) hooks in at two
 * places: arm_hw()/rearm() publish the page's "armed" (they are the one
 * place that arms the host timer or leaves it idle), and lazy_check(),
 * called wherever a TSC-deadline expiry is about to be completed, lets the
 * guest's "pending" move the deadline later instead of injecting.
 */
#include "internal.h"
#include "lazy_int.h"
#include "timer_fast.h"
#include "timer_int.h"
#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/timer.h>

const struct vapic_stat_desc vapic_timer_stat_descs[] = {
#define D(f, n) { "timer_" #f, (u32)__builtin_offsetof(struct vapic_timer_stats, f), n }
	D(arms, 1),	   D(arm_failures, 1), D(fires, 1),
	D(injections, 1),  D(posted, 1),       D(early, 1),
	D(immediate, 1),   D(masked, 1),       D(missed, 1),
	D(coalesced, 1),   D(catchup, 1),      D(dropped, 1),
	D(clamped, 1),	   D(waits, 1),	       D(wait_ns, 1),
	D(lateness_hist, VAPIC_HIST_BUCKETS),
#undef D
};
const uint32_t vapic_timer_stat_ndescs = VAPIC_ARRAY_SIZE(vapic_timer_stat_descs);

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static void log_(const struct vapic_timer *t, int lvl, const char *msg, u64 a,
		 u64 b)
{
	if (t->ops->log)
		t->ops->log(t->host, lvl, msg, a, b);
}

/* ---------------------------------------------------------------------- */
/* One-shot / periodic position arithmetic                                */
/*
 * Time inside a period is kept in "sub" units of 1/bus_khz guest TSC
 * cycles.  One bus cycle is then exactly guest_tsc_khz sub units and a
 * period of TMICT * divide bus cycles is TMICT * divide * guest_tsc_khz sub
 * units: exact for any pair of frequencies, with no drift across periods.
 */

u64 timer_period_sub_for_(const struct vapic_timer *t, u32 count, bool periodic,
			  bool *clamped)
{
	/* < 2^32 * 2^7 * 2^25 = 2^64: cannot overflow (config is checked). */
	u64 p = (u64)count * t->divide * t->cfg.guest_tsc_khz;

	*clamped = false;
	if (periodic && p < t->min_period_sub) {
		*clamped = true;
		p = t->min_period_sub;
	}
	return p;
}

/* First guest TSC at which the current period has fully elapsed. */
static u64 position_target(u64 start_tsc, u32 start_frac, u64 period_sub,
			   u32 bus_khz)
{
	struct vapic_u128 end = u128_add_(u128_from_(period_sub), start_frac);
	u64 rem, q;
	bool ovf;

	/* bus_khz >= VAPIC_KHZ_MIN, so q < 2^55: no overflow. */
	q = u128_div_(end, bus_khz, &rem, &ovf);
	return start_tsc + q + (rem ? 1 : 0);
}

/* Place the period start so that @e sub units have elapsed at @now. */
void timer_position_set_(struct vapic_timer *t, u64 now, u64 e)
{
	u32 b = t->cfg.bus_khz;
	u32 rem;
	u64 q = vapic_div_u64_rem(e, b, &rem);

	if (rem)
		q++;
	VAPIC_WRITE_ONCE(t->start_tsc, now - q);
	VAPIC_WRITE_ONCE(t->start_frac, rem ? b - rem : 0);
	VAPIC_WRITE_ONCE(t->target_tsc,
			 position_target(t->start_tsc, t->start_frac,
					 t->period_sub, b));
}

/* Move the period start forward by @k whole periods. */
static void position_advance(struct vapic_timer *t, u64 k)
{
	u32 b = t->cfg.bus_khz;
	struct vapic_u128 total =
		u128_add_(u128_mul_(k, t->period_sub), t->start_frac);
	u64 rem, q;
	bool ovf;

	q = u128_div_(total, b, &rem, &ovf);
	VAPIC_WRITE_ONCE(t->start_tsc, t->start_tsc + q);
	VAPIC_WRITE_ONCE(t->start_frac, (u32)rem);
	VAPIC_WRITE_ONCE(t->target_tsc,
			 position_target(t->start_tsc, t->start_frac,
					 t->period_sub, b));
}

/*
 * lazy_check() - the host timer fired for the running TSC deadline, or it is
 * due at @now: before completing it, ask the guest's lazy page whether the
 * deadline moved later (rules H1-H4).  Returns true if it moved to a
 * deadline not yet due at @now: there is nothing to complete, re-arm.  If
 * it moved to a deadline already due, the caller completes that one.
 * Posted mode: called by the callback inside the sequence counter.
 */
static bool lazy_check(struct vapic_timer *t, u64 now)
{
	u64 later;

	if (!lazy_on_(t) || timer_mode_(t->lvtt) != VAPIC_TIMER_TSC_DEADLINE)
		return false;
	later = lazy_arbitrate_(t);
	if (!later)
		return false;
	VAPIC_WRITE_ONCE(t->tsc_deadline, later);
	VAPIC_WRITE_ONCE(t->start_tsc, timer_tscd_base_(now, later));
	VAPIC_WRITE_ONCE(t->target_tsc, later);
	lazy_moved_(t, t->ops->now_ns(t->host));
	return now < later;
}

/* Whole periods of the running periodic timer elapsed since its start. */
static u64 periods_elapsed(const struct vapic_timer *t, u64 now)
{
	struct vapic_u128 e = timer_elapsed_sub_(now, t->start_tsc,
						 t->start_frac, t->cfg.bus_khz);
	u64 rem;
	bool ovf;

	return u128_div_(e, t->period_sub, &rem, &ovf);
}

/*
 * complete_expiry() - the running timer's target has been reached at guest
 * TSC @now (>= target).  Returns how many ticks fell due (>= 1; more than 1
 * only for a periodic timer whose expiries were not processed in time).
 * Called by the owner of the running state: the vCPU thread, or in posted
 * mode the timer callback (then inside the sequence counter).
 */
static u64 complete_expiry(struct vapic_timer *t, u64 now)
{
	u64 k;

	switch (timer_mode_(t->lvtt)) {
	case VAPIC_TIMER_TSC_DEADLINE:
		/* SDM: the timer disarms itself and clears the MSR. */
		VAPIC_WRITE_ONCE(t->tsc_deadline, 0);
		VAPIC_WRITE_ONCE(t->running, false);
		return 1;
	case VAPIC_TIMER_PERIODIC:
		k = periods_elapsed(t, now);
		if (!k)
			k = 1;
		position_advance(t, k);
		return k;
	default:
		VAPIC_WRITE_ONCE(t->running, false);
		return 1;
	}
}

/*
 * The pending tick belongs to a vector the LVT no longer has (the guest
 * changed it after the tick fell due, before the host polled): in a LAPIC
 * it already sits in IRR under its own bit, so a tick of the new vector
 * must not merge into it.  Move it to the second slot.  Under the
 * poll-before-entry contract at most two vectors can be pending (changing
 * the vector again takes another exit, and the host polls before it
 * re-enters); a third means the host skipped a poll: merge and warn.
 */
static void park_other_vector(struct vapic_timer *t)
{
	if (!t->pending ||
	    t->pending_vector == (t->lvtt & VAPIC_LVT_VECTOR_MASK))
		return;
	if (!t->pending_old) {
		t->pending_old = true;
		t->pending_old_vector = t->pending_vector;
		t->pending_old_due_tsc = t->pending_due_tsc;
	} else {
		/* Same vector: same IRR bit.  Another: a skipped poll. */
		VAPIC_WARN_ON(t->pending_old_vector != t->pending_vector);
		STAT_INC_(t->stats.coalesced);
	}
	t->pending = false;
}

/*
 * The guest TSC at which the running target, due at @now, fell due: the
 * record of its tick (the early self-check, lateness, vapic_timer_next_
 * deadline()).  The target, except a TSC deadline more than 2^63 cycles
 * behind @now (written numerically below a TSC near 2^64): unsigned, as
 * the SDM compares, it is in the past and due at once, so it counts as due
 * at @now.  Every recorded due is then at or at most 2^63 cycles before
 * @now, and the checks compare it modulo 2^64 whatever the mode.
 */
static u64 due_tsc_at(const struct vapic_timer *t, u64 now)
{
	u64 target = t->target_tsc;

	return (s64)(now - target) < 0 ? now : target;
}

/* Account @k ticks that fell due at @due_tsc (the first of them). */
static void queue_ticks(struct vapic_timer *t, u64 k, u64 due_tsc)
{
	u64 extra;

	if (!timer_deliverable_(t)) {
		STAT_ADD_(t->stats.masked, k);
		return;
	}
	extra = k - 1;
	STAT_ADD_(t->stats.missed, extra);
	park_other_vector(t);
	if (t->pending) {
		/*
		 * One more tick while one is already pending.  Catch-up is
		 * for periodic ticks only: a one-shot or TSC-deadline expiry
		 * merges into the pending one (as into a set IRR bit).
		 */
		extra++;
		if (t->cfg.missed_policy == VAPIC_MISSED_COALESCE ||
		    timer_mode_(t->lvtt) != VAPIC_TIMER_PERIODIC) {
			STAT_INC_(t->stats.coalesced);
			return;
		}
	} else {
		t->pending = true;
		t->pending_vector = t->lvtt & VAPIC_LVT_VECTOR_MASK;
		t->pending_due_tsc = due_tsc;
	}
	if (t->cfg.missed_policy == VAPIC_MISSED_CATCHUP && extra) {
		u64 room = t->cfg.catchup_max - t->backlog;

		if (extra > room) {
			STAT_ADD_(t->stats.dropped, extra - room);
			extra = room;
		}
		t->backlog += (u32)extra;
	}
}

/* ---------------------------------------------------------------------- */
/* Host timer                                                             */

/*
 * rearm() - arm the host timer for the running target, or leave it idle.
 * Precondition: the host timer is not armed.  A target already due is
 * completed here, so no host timer is armed for a deadline in the past.
 *
 * This is the single place where the timer goes from "has a target" to
 * "host timer armed" (with arm_hw(), which the TSC-deadline write's fast
 * path also uses), so the lazy TSC-deadline page's "armed" follows it here:
 * R1 the TSC deadline when a host timer is armed for it, R2 0 on every
 * return without one.
 */
/*
 * Rare path of arm_hw(): the host could not arm; retried at the next poll.
 * (Logs the target rather than the host expiry: the fast paths then keep
 * one value less live across the timer_arm call.)
 */
VAPIC_NOINLINE int timer_arm_failed_(struct vapic_timer *t, int r)
{
	/* Cancelled before the arm; the write's fast path leaves it set. */
	t->hw_armed = false;
	t->need_arm = true;
	STAT_INC_(t->stats.arm_failures);
	log_(t, VAPIC_LOG_ERR, "host timer_arm failed (err, target_tsc)",
	     (u64)(s64)r, t->target_tsc);
	lazy_publish_(t, 0); /* R2 */
	return VAPIC_EHOST;
}

/*
 * arm_hw() with lazy TSC-deadline on (timer_fast.h), out of line: the host
 * timer expiry rate-bounded (H4), and "armed" published before the arm.
 * @credit: a TSC-deadline write on its fast path, which gives the write's
 * credit here rather than before its checks (the credit is read only by
 * the clamp; the general path gives it in begin_write()).
 */
VAPIC_NOINLINE int timer_arm_hw_lazy_(struct vapic_timer *t, u64 delta_tsc,
				      bool credit)
{
	u64 expires = timer_expiry_ns_(t, delta_tsc);

	if (credit)
		lazy_credit_(t);
	expires = lazy_clamp_expiry_(t, expires); /* H4 */
	/*
	 * R1 before arming: once armed, a posted-mode callback may run on
	 * another CPU at once and own the state (it may CLEAR and deliver
	 * before timer_arm() even returns).  The guest is stopped: it sees
	 * the value only when the arm is done.
	 */
	lazy_publish_(t, timer_mode_(t->lvtt) == VAPIC_TIMER_TSC_DEADLINE ?
				 t->target_tsc :
				 0);
	if (credit)
		return timer_arm_at_(t, expires, true);
	return timer_arm_at_(t, expires, false);
}

static int rearm(struct vapic_timer *t, u64 now)
{
	t->need_arm = false;
	if (!t->running || !timer_deliverable_(t)) {
		lazy_publish_(t, 0); /* R2 */
		return 0;
	}
	if (timer_due_(t, now, t->target_tsc) && !lazy_check(t, now)) {
		u64 due = due_tsc_at(t, now);

		STAT_INC_(t->stats.immediate);
		queue_ticks(t, complete_expiry(t, now), due);
		if (!t->running) {
			lazy_publish_(t, 0); /* R2 */
			return 0;
		}
	}
	return timer_arm_hw_(t, t->target_tsc - now, false);
}

/*
 * A host timer fired (or a stray vapic_timer_expired() call came) @wait_tsc
 * before the target: more than any advance the arm could have used, plus
 * a microsecond of rounding?  Then it is no advance window but an early
 * fire, which host.h forbids: rather than spinning the whole way to the
 * target (seconds, for a far deadline), the caller re-arms.
 */
#define TIMER_EARLY_SLACK_NS 1000U
static bool fire_too_early(const struct vapic_timer *t, u64 wait_tsc)
{
	u64 adv = t->cfg.advance_ns == VAPIC_ADVANCE_ADAPTIVE
			  ? VAPIC_ADVANCE_NS_MAX
			  : (u64)t->cfg.advance_ns;

	return vapic_tsc_to_ns(wait_tsc, t->cfg.guest_tsc_khz) >
	       adv + TIMER_EARLY_SLACK_NS;
}

/* sync()'s result for an early fire: nothing due, re-arm (poll_slow()). */
#define TIMER_SYNC_REARM_ 3

static int early_fire(struct vapic_timer *t, u64 wait_tsc)
{
	log_(t, VAPIC_LOG_WARN, "host timer fired early (tsc early, target)",
	     wait_tsc, t->target_tsc);
	t->in_window = false;
	t->measured = false;
	timer_cancel_hw_(t);
	return TIMER_SYNC_REARM_;
}

/*
 * sync() - vCPU thread: complete an expiry that is due.  Returns
 * VAPIC_TIMER_WAIT (and *wait_ns) inside the advance window, VAPIC_TIMER_
 * INJECT if an expiry was completed or the lazy protocol moved the deadline
 * (either way the caller must re-arm), TIMER_SYNC_REARM_ if the host timer
 * fired too early (the caller must re-arm; nothing is due), else
 * VAPIC_TIMER_NONE.
 */
static int sync(struct vapic_timer *t, u64 now, u64 *wait_ns)
{
	u64 due;

	/*
	 * Posted mode: while the host timer is armed and has not handed the
	 * expiry back, the callback owns the running state.
	 */
	if (timer_posted_(t) && t->hw_armed && !vapic_load_acquire(&t->fired))
		return VAPIC_TIMER_NONE;
	if (vapic_xchg(&t->fired, 0))
		t->in_window = true;
	if (!t->running) {
		t->in_window = false;
		return VAPIC_TIMER_NONE;
	}
	if (!timer_due_(t, now, t->target_tsc)) {
		if (!t->in_window)
			return VAPIC_TIMER_NONE;
		/* Fired by the advance: a moved deadline needs no wait. */
		if (lazy_check(t, now)) {
			t->in_window = false;
			t->measured = false;
			return VAPIC_TIMER_INJECT;
		}
		if (VAPIC_UNLIKELY(!t->measured &&
				   fire_too_early(t, t->target_tsc - now)))
			return early_fire(t, t->target_tsc - now);
		if (!t->measured) {
			timer_adjust_advance_(t, (s64)(now - t->target_tsc));
			t->measured = true;
		}
		*wait_ns = vapic_tsc_to_ns_ceil(t->target_tsc - now,
						t->cfg.guest_tsc_khz);
		return VAPIC_TIMER_WAIT;
	}
	if (lazy_check(t, now)) {
		t->in_window = false;
		t->measured = false;
		return VAPIC_TIMER_INJECT;
	}
	if (t->in_window && !t->measured)
		timer_adjust_advance_(t, (s64)(now - t->target_tsc));
	t->in_window = false;
	t->measured = false;
	due = due_tsc_at(t, now);
	queue_ticks(t, complete_expiry(t, now), due);
	return VAPIC_TIMER_INJECT;
}

/*
 * Take the running state over from the callback and flush due expiries.
 * Returns the guest TSC to use for the write: read after the cancel, which
 * may have waited for a running callback (a time read before it could make
 * rearm() arm a host timer for a deadline that is already due: found by
 * the lazy TSC-deadline model).  With @credit (a guest register write:
 * an exit the guest paid for) it buys one exact lazy re-arm (rate bound,
 * lazy.c); a change the guest did not pay for (vapic_lazy_remap()) buys
 * none.  @delta_tsc: the host has just changed the guest TSC by that much
 * (begin_write_before()): flushes at, and returns, the TSC before the
 * change.
 */
static u64 begin_write_credit(struct vapic_timer *t, u64 delta_tsc, bool credit)
{
	u64 wait_ns, now;

	timer_cancel_hw_(t);
	now = timer_now_tsc_(t) - delta_tsc;
	if (credit)
		lazy_credit_(t);
	/*
	 * With the host timer cancelled, 'fired' is stable.  Nothing fired,
	 * no advance window open and no target reached: sync() would do
	 * nothing, so skip it (the common re-programming case).
	 */
	if (VAPIC_LIKELY(!VAPIC_READ_ONCE(t->fired) && !t->in_window &&
			 (!t->running || !timer_due_(t, now, t->target_tsc)))) {
		t->measured = false;
		return now;
	}
	(void)sync(t, now, &wait_ns);
	t->in_window = false;
	t->measured = false;
	return now;
}

static u64 begin_write_before(struct vapic_timer *t, u64 delta_tsc)
{
	return begin_write_credit(t, delta_tsc, true);
}

static u64 begin_write(struct vapic_timer *t)
{
	return begin_write_before(t, 0);
}

/*
 * A due tick waits while the APIC is software-disabled: it would be in IRR,
 * which the SDM holds then ("Local APIC State After It Has Been Software
 * Disabled"), and the LAPIC refuses new interrupts meanwhile.
 */
static bool tick_ready(const struct vapic_timer *t)
{
	return ((t->pending | t->pending_old) && !t->sw_disabled) ||
	       (t->backlog && timer_deliverable_(t));
}

static int finish_write(struct vapic_timer *t, u64 now)
{
	int r;

	/* Every change of the LVT, the lazy page or the config ends here. */
	timer_update_fire_slow_(t);
	r = rearm(t, now);

	if (r < 0)
		return r;
	return tick_ready(t) ? VAPIC_TIMER_DUE : 0;
}

/* For the lazy protocol's MSR write (lazy.c). */
u64 timer_begin_write_(struct vapic_timer *t)
{
	return begin_write(t);
}

u64 timer_begin_host_write_(struct vapic_timer *t)
{
	return begin_write_credit(t, 0, false);
}

int timer_finish_write_(struct vapic_timer *t, u64 now)
{
	return finish_write(t, now);
}

bool timer_lazy_check_(struct vapic_timer *t, u64 now)
{
	return t->running && lazy_check(t, now);
}

/* ---------------------------------------------------------------------- */
/* Init / reset                                                           */

VAPIC_API void vapic_timer_config_default(struct vapic_timer_config *cfg,
					  uint32_t guest_tsc_khz)
{
	cfg->bus_khz = VAPIC_BUS_KHZ_DEFAULT;
	cfg->guest_tsc_khz = guest_tsc_khz;
	cfg->min_period_ns = VAPIC_MIN_PERIOD_NS_DEFAULT;
	cfg->missed_policy = VAPIC_MISSED_COALESCE;
	cfg->catchup_max = VAPIC_CATCHUP_MAX_DEFAULT;
	cfg->advance_ns = VAPIC_ADVANCE_ADAPTIVE;
	cfg->flags = VAPIC_TIMER_F_TSC_DEADLINE;
}

static int check_config(const struct vapic_timer_config *cfg)
{
	if (cfg->flags & ~VAPIC_TIMER_F_ALL)
		return VAPIC_EINVAL;
	if (cfg->missed_policy != VAPIC_MISSED_COALESCE &&
	    cfg->missed_policy != VAPIC_MISSED_CATCHUP)
		return VAPIC_EINVAL;
	if (cfg->bus_khz < VAPIC_KHZ_MIN || cfg->bus_khz > VAPIC_KHZ_MAX ||
	    cfg->guest_tsc_khz < VAPIC_KHZ_MIN ||
	    cfg->guest_tsc_khz > VAPIC_KHZ_MAX)
		return VAPIC_ERANGE;
	if (cfg->min_period_ns > VAPIC_MIN_PERIOD_NS_MAX)
		return VAPIC_ERANGE;
	if (!cfg->catchup_max || cfg->catchup_max > VAPIC_CATCHUP_MAX_LIMIT)
		return VAPIC_ERANGE;
	if (cfg->advance_ns != VAPIC_ADVANCE_ADAPTIVE &&
	    (cfg->advance_ns < 0 ||
	     cfg->advance_ns > (s32)VAPIC_ADVANCE_FIXED_MAX_NS))
		return VAPIC_ERANGE;
	return 0;
}

/* The multipliers that depend on cfg.guest_tsc_khz. */
static void set_khz_consts(struct vapic_timer *t)
{
	u32 khz = t->cfg.guest_tsc_khz;

	/* ceil(10^6 * 2^32 / khz); 10^6 * 2^32 < 2^52 fits. */
	t->ns_per_tsc_32 = vapic_div64_u64((1000000ULL << 32) + khz - 1, khz);
	t->adv_step_mult = timer_adv_step_mult_(khz);
}

void timer_reset_regs_(struct vapic_timer *t)
{
	t->lvtt = VAPIC_LVT_MASKED;
	t->tmict = 0;
	t->tdcr = 0;
	t->divide = timer_tdcr_to_divide_(0);
	VAPIC_WRITE_ONCE(t->tsc_deadline, 0);
	timer_stop_counting_(t);
	t->target_tsc = 0;
	t->start_tsc = 0;
	t->start_frac = 0;
	t->period_sub = 0;
	t->need_arm = false;
	timer_drop_in_flight_(t);
}

VAPIC_API int vapic_timer_init(struct vapic_timer *t,
			       const struct vapic_timer_config *cfg,
			       const struct vapic_host_ops *ops, void *host)
{
	u64 min_tsc;
	int r;

	if (!t || !cfg || !vapic_host_ops_valid(ops))
		return VAPIC_EINVAL;
	r = check_config(cfg);
	if (r)
		return r;
	__builtin_memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->host = host;
	t->cfg = *cfg;
	/* <= 10^3 * 2^25 TSC cycles * 2^25 < 2^60 sub units. */
	min_tsc = vapic_ns_to_tsc_ceil(cfg->min_period_ns, cfg->guest_tsc_khz);
	t->min_period_sub = min_tsc * cfg->bus_khz;
	t->advance_ns = cfg->advance_ns == VAPIC_ADVANCE_ADAPTIVE ?
				VAPIC_ADVANCE_NS_INIT :
				(u32)cfg->advance_ns;
	set_khz_consts(t);
	timer_reset_regs_(t);
	timer_update_fire_slow_(t);
	return 0;
}

VAPIC_API void vapic_timer_reset(struct vapic_timer *t)
{
	timer_cancel_hw_(t);
	/* INIT/RESET disables lazy TSC-deadline: CLEAR, then unmap. */
	lazy_reset_(t);
	timer_reset_regs_(t);
	timer_update_fire_slow_(t);
	(void)rearm(t, 0);
}

VAPIC_API void vapic_timer_destroy(struct vapic_timer *t)
{
	timer_cancel_hw_(t);
	lazy_reset_(t);
	timer_stop_counting_(t);
}

/* ---------------------------------------------------------------------- */
/* Register writes                                                        */

VAPIC_API int vapic_timer_write_lvtt(struct vapic_timer *t, uint32_t val,
				     bool strict)
{
	bool tscd = t->cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE;
	u32 mode, old_mode;
	u64 now;

	if (strict) {
		u32 rsvd = ~VAPIC_LVTT_VALID_MASK;

		if (!tscd)
			rsvd |= TIMER_LVTT_MODE_TSC_BIT_;
		mode = timer_mode_(val);
		if ((val & rsvd) || mode == VAPIC_TIMER_MODE_RESERVED)
			return VAPIC_ERSVD;
	}
	val &= TIMER_LVTT_WRITABLE_;
	if (!tscd)
		val &= ~TIMER_LVTT_MODE_TSC_BIT_; /* bit 18 reserved: bit 17 rules */
	if (t->sw_disabled)
		val |= VAPIC_LVT_MASKED;

	now = begin_write(t);
	mode = timer_mode_(val);
	old_mode = timer_mode_(t->lvtt);
	if (mode != old_mode) {
		/* SDM: a write that changes the timer mode disarms it. */
		t->tmict = 0;
		VAPIC_WRITE_ONCE(t->tsc_deadline, 0);
		timer_stop_counting_(t);
		t->backlog = 0;
	}
	t->lvtt = val;
	return finish_write(t, now);
}

VAPIC_API int vapic_timer_write_tmict(struct vapic_timer *t, uint32_t val)
{
	u32 mode = timer_mode_(t->lvtt);
	bool clamped;
	u64 now;

	if (mode != VAPIC_TIMER_ONESHOT && mode != VAPIC_TIMER_PERIODIC)
		return 0; /* SDM: ignored in TSC-deadline mode */
	now = begin_write(t);
	t->tmict = val;
	t->backlog = 0;
	if (!val) {
		timer_stop_counting_(t);
	} else {
		t->period_sub = timer_period_sub_for_(
			t, val, mode == VAPIC_TIMER_PERIODIC, &clamped);
		if (clamped) {
			STAT_INC_(t->stats.clamped);
			log_(t, VAPIC_LOG_INFO,
			     "periodic timer clamped to min period (tmict, divide)",
			     val, t->divide);
		}
		timer_position_set_(t, now, 0);
		VAPIC_WRITE_ONCE(t->running, true);
	}
	return finish_write(t, now);
}

VAPIC_API int vapic_timer_write_tdcr(struct vapic_timer *t, uint32_t val,
				     bool strict)
{
	u32 mode = timer_mode_(t->lvtt);
	u32 new_div;
	u64 now;

	if (strict && (val & ~VAPIC_TDCR_VALID_MASK))
		return VAPIC_ERSVD;
	val &= VAPIC_TDCR_VALID_MASK;
	new_div = timer_tdcr_to_divide_(val);
	now = begin_write(t);
	t->tdcr = val;
	if (new_div != t->divide) {
		u64 old_period = t->period_sub;

		t->divide = new_div;
		if (t->running && (mode == VAPIC_TIMER_ONESHOT ||
				   mode == VAPIC_TIMER_PERIODIC)) {
			/*
			 * Keep the count and the progress inside the current
			 * tick: scale the elapsed part of the period by
			 * new/old (the count continues at the new rate).
			 */
			struct vapic_u128 e = timer_elapsed_sub_(
				now, t->start_tsc, t->start_frac,
				t->cfg.bus_khz);
			u64 rem, e2;
			bool clamped, ovf;

			t->period_sub = timer_period_sub_for_(
				t, t->tmict, mode == VAPIC_TIMER_PERIODIC,
				&clamped);
			if (clamped)
				STAT_INC_(t->stats.clamped);
			/* e < old_period after sync(): e * new fits 128. */
			e2 = u128_div_(u128_mul_(e.lo, t->period_sub),
				       old_period, &rem, &ovf);
			timer_position_set_(t, now, e2);
		}
	}
	return finish_write(t, now);
}

/* The general TSC-deadline write (timer_fast.h has the fast path). */
VAPIC_NOINLINE int timer_write_tsc_deadline_slow_(struct vapic_timer *t,
						  u64 deadline_tsc)
{
	u64 now = begin_write(t);

	VAPIC_WRITE_ONCE(t->tsc_deadline, deadline_tsc);
	if (!deadline_tsc) {
		timer_stop_counting_(t);
	} else {
		VAPIC_WRITE_ONCE(t->start_tsc,
				 timer_tscd_base_(now, deadline_tsc));
		VAPIC_WRITE_ONCE(t->target_tsc, deadline_tsc);
		VAPIC_WRITE_ONCE(t->running, true);
	}
	return finish_write(t, now);
}

VAPIC_API int vapic_timer_write_tsc_deadline(struct vapic_timer *t,
					     uint64_t deadline_tsc)
{
	u32 lvtt = t->lvtt;
	int r;

	if ((lvtt & VAPIC_LVTT_MODE_MASK) != TIMER_LVTT_TSCD_)
		return 0; /* SDM: writes ignored in other modes */
	if (VAPIC_UNLIKELY(lvtt & VAPIC_LVT_MASKED))
		return timer_write_tsc_deadline_slow_(t, deadline_tsc);
	/* The fastpath's hot case (seed 004): timer_fast.h. */
	r = timer_write_tsc_deadline_inl_(t, deadline_tsc);
	if (VAPIC_UNLIKELY(r == TIMER_WRITE_SLOW_))
		return timer_write_tsc_deadline_slow_(t, deadline_tsc);
	return r;
}

VAPIC_API void vapic_timer_set_sw_enabled(struct vapic_timer *t, bool enabled)
{
	u64 now;

	if (enabled == !t->sw_disabled)
		return;
	now = begin_write(t);
	t->sw_disabled = !enabled;
	if (!enabled)
		t->lvtt |= VAPIC_LVT_MASKED;
	(void)finish_write(t, now);
}

/* ---------------------------------------------------------------------- */
/* Register reads                                                         */

struct snap {
	bool running;
	u64 target_tsc;
	u64 start_tsc;
	u32 start_frac;
	u64 tsc_deadline;
};

/* Consistent view of the running state (the posted callback may write). */
static void snapshot(const struct vapic_timer *t, struct snap *s)
{
	u32 seq;

	do {
		seq = seq_read_begin_(&t->seq);
		s->running = VAPIC_READ_ONCE(t->running);
		s->target_tsc = VAPIC_READ_ONCE(t->target_tsc);
		s->start_tsc = VAPIC_READ_ONCE(t->start_tsc);
		s->start_frac = VAPIC_READ_ONCE(t->start_frac);
		s->tsc_deadline = VAPIC_READ_ONCE(t->tsc_deadline);
	} while (seq_read_retry_(&t->seq, seq));
}

VAPIC_API uint32_t vapic_timer_read_lvtt(const struct vapic_timer *t)
{
	return t->lvtt;
}

VAPIC_API uint32_t vapic_timer_read_tmict(const struct vapic_timer *t)
{
	return t->tmict;
}

VAPIC_API uint32_t vapic_timer_read_tdcr(const struct vapic_timer *t)
{
	return t->tdcr;
}

VAPIC_API enum vapic_timer_mode vapic_timer_mode(const struct vapic_timer *t)
{
	return (enum vapic_timer_mode)timer_mode_(t->lvtt);
}

VAPIC_API uint32_t vapic_timer_read_tmcct(struct vapic_timer *t)
{
	u32 mode = timer_mode_(t->lvtt);
	struct vapic_u128 e;
	struct snap s;
	u64 rem, done;
	bool ovf;

	if (mode != VAPIC_TIMER_ONESHOT && mode != VAPIC_TIMER_PERIODIC)
		return 0; /* SDM: reads 0 in TSC-deadline mode */
	snapshot(t, &s);
	if (!s.running || !t->tmict)
		return 0;
	e = timer_elapsed_sub_(timer_now_tsc_(t), s.start_tsc, s.start_frac,
			t->cfg.bus_khz);
	if (mode == VAPIC_TIMER_ONESHOT) {
		if (u128_ge_(e, t->period_sub))
			return 0;
		rem = e.lo;
	} else {
		(void)u128_div_(e, t->period_sub, &rem, &ovf);
	}
	/* rem < period_sub: ticks done = floor(rem * tmict / period). */
	done = u128_div_(u128_mul_(rem, t->tmict), t->period_sub, &rem, &ovf);
	return t->tmict - (u32)done;
}

VAPIC_API uint64_t vapic_timer_read_tsc_deadline(struct vapic_timer *t)
{
	struct snap s;

	if (timer_mode_(t->lvtt) != VAPIC_TIMER_TSC_DEADLINE)
		return 0; /* SDM: reads 0 in other modes */
	snapshot(t, &s);
	if (!s.tsc_deadline)
		return 0;
	/* Once the guest TSC reached it, the timer fired: reads 0. */
	if (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), s.tsc_deadline))
		return 0;
	return s.tsc_deadline;
}

/* ---------------------------------------------------------------------- */
/* Poll / expiry                                                          */

/* Hand over a due tick: stats and the event. */
static int hand_over(struct vapic_timer *t, u32 vector, u64 due_tsc, u64 now,
		     struct vapic_timer_event *ev)
{
	ev->vector = vector;
	/*
	 * Modulo 2^64 for every mode: a due tick is at most a little late,
	 * and a guest TSC change moves due_tsc with the TSC.
	 */
	if (VAPIC_CONFIG_CHECK_EARLY && (s64)(now - due_tsc) < 0)
		STAT_INC_(t->stats.early);
	else
		timer_record_lateness_(t, now - due_tsc);
	STAT_INC_(t->stats.injections);
	return VAPIC_TIMER_INJECT;
}

static int deliver(struct vapic_timer *t, u32 flags, u64 now,
		   struct vapic_timer_event *ev)
{
	if (t->pending_old && !t->sw_disabled) {
		/* The older tick first; its vector is not the LVT's now. */
		t->pending_old = false;
		return hand_over(t, t->pending_old_vector,
				 t->pending_old_due_tsc, now, ev);
	}
	if (t->pending && !t->sw_disabled) {
		/*
		 * VAPIC_POLL_VECTOR_BUSY is about the LVT's vector now: a
		 * tick of another vector (due before the guest changed it)
		 * has an IRR bit of its own, so it is handed over.
		 */
		if ((flags & VAPIC_POLL_VECTOR_BUSY) &&
		    t->pending_vector == (t->lvtt & VAPIC_LVT_VECTOR_MASK)) {
			if (t->cfg.missed_policy == VAPIC_MISSED_COALESCE) {
				/* Merges with the IRR bit already set. */
				STAT_INC_(t->stats.coalesced);
				t->pending = false;
			}
			return VAPIC_TIMER_NONE;
		}
		t->pending = false;
		return hand_over(t, t->pending_vector, t->pending_due_tsc, now,
				 ev);
	}
	if (t->backlog && timer_deliverable_(t) &&
	    !(flags & VAPIC_POLL_VECTOR_BUSY)) {
		t->backlog--;
		ev->vector = t->lvtt & VAPIC_LVT_VECTOR_MASK;
		STAT_INC_(t->stats.catchup);
		STAT_INC_(t->stats.injections);
		return VAPIC_TIMER_INJECT;
	}
	return VAPIC_TIMER_NONE;
}

/* The general poll. */
static VAPIC_NOINLINE int poll_slow(struct vapic_timer *t, u32 flags, u64 now,
				    struct vapic_timer_event *ev)
{
	u64 wait_ns = 0;
	int r;

	if (VAPIC_UNLIKELY(t->need_arm))
		(void)rearm(t, now);
	r = sync(t, now, &wait_ns);
	if (VAPIC_UNLIKELY(r == TIMER_SYNC_REARM_)) {
		(void)rearm(t, now); /* an early fire: arm again */
		r = VAPIC_TIMER_NONE;
	}
	if (r == VAPIC_TIMER_WAIT) {
		/* A tick already due does not wait for the next one. */
		if (tick_ready(t) &&
		    deliver(t, flags, now, ev) == VAPIC_TIMER_INJECT)
			return VAPIC_TIMER_INJECT;
		ev->wait_ns = wait_ns;
		STAT_INC_(t->stats.waits);
		STAT_ADD_(t->stats.wait_ns, wait_ns);
		return VAPIC_TIMER_WAIT;
	}
	if (r == VAPIC_TIMER_INJECT) {
		/* A periodic timer needs its next period armed. */
		timer_cancel_hw_(t);
		(void)rearm(t, now);
	}
	return deliver(t, flags, now, ev);
}

int timer_poll_at_(struct vapic_timer *t, u32 flags, u64 now,
		   struct vapic_timer_event *ev)
{
	/*
	 * Fast path (timer fire + inject, seed 004): a TSC-deadline expiry
	 * that the deferred-mode callback handed over, due now, nothing else
	 * pending (timer_fast.h).  TSC-deadline mode: unsigned (timer_due_()).
	 */
	if (VAPIC_LIKELY(timer_fire_ready_(t) &&
			 now >= t->target_tsc &&
			 !(flags & VAPIC_POLL_VECTOR_BUSY))) {
		timer_fire_take_(t, now - t->target_tsc);
		ev->vector = t->lvtt & VAPIC_LVT_VECTOR_MASK;
		return VAPIC_TIMER_INJECT;
	}
	/*
	 * Idle: nothing fired, no advance window, nothing pending, no target
	 * reached (or, posted mode, the armed callback owns it): sync() and
	 * deliver() would both do nothing.  ('busy' also holds sw_disabled:
	 * a software-disabled APIC takes the general path.)
	 */
	if (VAPIC_LIKELY(VAPIC_CONFIG_TIMER_FASTPATH &&
			 !VAPIC_READ_ONCE(t->fired) && !t->busy &&
			 !t->need_arm &&
			 ((timer_posted_(t) && t->hw_armed) || !t->running ||
			  !timer_due_(t, now, t->target_tsc))))
		return VAPIC_TIMER_NONE;
	return poll_slow(t, flags, now, ev);
}

VAPIC_API int vapic_timer_poll(struct vapic_timer *t, uint32_t flags,
			       struct vapic_timer_event *ev)
{
	return timer_poll_at_(t, flags, timer_now_tsc_(t), ev);
}

/*
 * Posted mode, VAPIC_MISSED_CATCHUP: does this expiry at @now owe more than
 * one tick (periods missed), or is a catch-up backlog already waiting?
 * Then the vCPU thread delivers: it owns the backlog, and a posted tick
 * would merge into a backlog tick still in IRR.
 */
static bool catchup_owed(struct vapic_timer *t, u64 now)
{
	if (t->cfg.missed_policy != VAPIC_MISSED_CATCHUP ||
	    timer_mode_(t->lvtt) != VAPIC_TIMER_PERIODIC)
		return false;
	return VAPIC_READ_ONCE(t->backlog) || periods_elapsed(t, now) > 1;
}

/*
 * Posted mode: the callback owns the running state while it runs, and runs
 * on another CPU while the guest runs: the lazy arbitration here is the one
 * that needs the barriers of rules H2/G2.
 */
static VAPIC_NOINLINE int expired_posted(struct vapic_timer *t,
					  u64 *expires_ns)
{
	u64 now = timer_now_tsc_(t);
	u64 target, k;
	u32 vector = t->lvtt & VAPIC_LVT_VECTOR_MASK;
	bool moved;

	if (!t->running)
		return VAPIC_TFN_DONE;
	if (lazy_on_(t)) {
		/* Before deciding anything (also on the WAIT re-call). */
		seq_write_begin_(&t->seq);
		moved = lazy_check(t, now);
		seq_write_end_(&t->seq);
		if (moved) {
			t->measured = false;
			*expires_ns = lazy_clamp_expiry_(
				t, timer_expiry_ns_(t, t->target_tsc - now));
			lazy_publish_(t, t->target_tsc); /* R1 */
			STAT_INC_(t->stats.arms);
			return VAPIC_TFN_REARM;
		}
	}
	target = t->target_tsc;
	if (!timer_due_(t, now, target) && !t->measured &&
	    fire_too_early(t, target - now)) {
		/* Early (host.h forbids it): re-arm, not a long spin. */
		log_(t, VAPIC_LOG_WARN,
		     "host timer fired early (tsc early, target)", target - now,
		     target);
		*expires_ns = timer_expiry_ns_(t, target - now);
		STAT_INC_(t->stats.arms);
		return VAPIC_TFN_REARM;
	}
	if (!timer_due_(t, now, target)) {
		if (!t->measured) {
			timer_adjust_advance_(t, (s64)(now - target));
			t->measured = true;
		}
		*expires_ns = t->ops->now_ns(t->host) +
			      vapic_tsc_to_ns_ceil(target - now,
						   t->cfg.guest_tsc_khz);
		return VAPIC_TFN_WAIT;
	}
	if (!t->measured)
		timer_adjust_advance_(t, (s64)(now - target));
	/*
	 * Illegal vectors need the LAPIC's ESR, and catch-up ticks the
	 * backlog (VAPIC_MISSED_CATCHUP): the vCPU thread handles both.
	 */
	if (vector < VAPIC_VECTOR_MIN_LEGAL || catchup_owed(t, now) ||
	    t->ops->post(t->host, vector)) {
		/*
		 * Fall back to deferred delivery.  This expiry's lateness was
		 * sampled above: 'measured' stays set so that the vCPU thread
		 * does not feed the same expiry to the advance a second time
		 * (the release below publishes it with 'fired').
		 */
		t->measured = true;
		vapic_store_release(&t->fired, 1);
		t->ops->kick(t->host);
		return VAPIC_TFN_DONE;
	}
	t->measured = false;
	seq_write_begin_(&t->seq);
	k = complete_expiry(t, now);
	seq_write_end_(&t->seq);
	STAT_ADD_(t->stats.missed, k - 1);
	STAT_INC_(t->stats.injections);
	STAT_INC_(t->stats.posted);
	timer_record_lateness_(t, now - target);
	if (!t->running)
		return VAPIC_TFN_DONE;
	*expires_ns = timer_expiry_ns_(t, t->target_tsc - now);
	STAT_INC_(t->stats.arms);
	return VAPIC_TFN_REARM;
}

VAPIC_API int vapic_timer_expired(struct vapic_timer *t, uint64_t *expires_ns)
{
	STAT_INC_(t->stats.fires);
	if (timer_posted_(t))
		return expired_posted(t, expires_ns);
	/* Release: the vCPU thread's acquire of 'fired' sees our state. */
	vapic_store_release(&t->fired, 1);
	t->ops->kick(t->host);
	return VAPIC_TFN_DONE;
}

/*
 * The host timer's expiry, taken on the vCPU thread: the host timer is a
 * VMX-preemption-timer style exit, so the exit's dispatcher stands in for
 * the callback.  Handed over as in deferred mode, in either mode: no kick
 * (the vCPU thread is here), and in posted mode the vCPU thread completes
 * it (sync() takes the state over while 'fired' is set); a posted-mode
 * WAIT or REARM result would have no callback to act on it.
 */
void timer_expired_vcpu_(struct vapic_timer *t)
{
	STAT_INC_(t->stats.fires);
	/* Expired: no callback owns the running state (sync()). */
	if (timer_posted_(t))
		t->hw_armed = false;
	vapic_store_release(&t->fired, 1);
}

VAPIC_API bool vapic_timer_next_deadline(struct vapic_timer *t,
					 uint64_t *deadline_tsc)
{
	struct snap s;

	if (t->pending_old || t->pending) {
		*deadline_tsc = t->pending_old ? t->pending_old_due_tsc :
						 t->pending_due_tsc;
		return true;
	}
	snapshot(t, &s);
	if (!s.running || !timer_deliverable_(t))
		return false;
	*deadline_tsc = s.target_tsc;
	return true;
}

bool timer_next_due_in_(struct vapic_timer *t, u64 now, u64 *delta_tsc)
{
	u64 due;

	if (!vapic_timer_next_deadline(t, &due))
		return false;
	if (t->pending_old || t->pending)
		/* A tick that fell due: modulo 2^64 (hand_over()). */
		*delta_tsc = (s64)(now - due) >= 0 ? 0 : due - now;
	else
		*delta_tsc = timer_due_(t, now, due) ? 0 : due - now;
	return true;
}

VAPIC_API uint32_t vapic_timer_advance_ns(const struct vapic_timer *t)
{
	return VAPIC_READ_ONCE(t->advance_ns);
}

/* ---------------------------------------------------------------------- */
/* Host-side changes                                                      */

VAPIC_API bool vapic_timer_has_event(struct vapic_timer *t)
{
	struct snap s;

	if (tick_ready(t) || vapic_load_acquire(&t->fired))
		return true;
	/*
	 * Posted mode: while the host timer is armed, the callback owns the
	 * expiry and delivers it with post (which wakes the vCPU); poll
	 * returns NONE until then, so this is no event for the vCPU thread.
	 */
	if (timer_posted_(t) && t->hw_armed)
		return false;
	snapshot(t, &s);
	return s.running && timer_deliverable_(t) &&
	       timer_due_(t, timer_now_tsc_(t), s.target_tsc);
}

VAPIC_API int vapic_timer_guest_tsc_changed(struct vapic_timer *t,
					    int64_t delta_tsc)
{
	u32 mode = timer_mode_(t->lvtt);
	u64 d = (u64)delta_tsc;
	u64 now;

	/*
	 * First complete what fell due before the change, at the old TSC: a
	 * TSC deadline the TSC had reached fired then (SDM), even when the
	 * new TSC is below it (moved across the wrap, or back).
	 */
	now = begin_write_before(t, d) + d;
	/* Positions and due ticks are in the old TSC: move them. */
	if (t->running &&
	    (mode == VAPIC_TIMER_ONESHOT || mode == VAPIC_TIMER_PERIODIC)) {
		VAPIC_WRITE_ONCE(t->start_tsc, t->start_tsc + d);
		VAPIC_WRITE_ONCE(t->target_tsc, t->target_tsc + d);
	}
	/*
	 * A TSC deadline stays: from the new TSC it is due at once if the
	 * TSC is now at or past it, else when the TSC reaches it.
	 */
	if (t->running && mode == VAPIC_TIMER_TSC_DEADLINE)
		VAPIC_WRITE_ONCE(t->start_tsc,
				 timer_tscd_base_(now, t->target_tsc));
	if (t->pending)
		t->pending_due_tsc += d;
	if (t->pending_old)
		t->pending_old_due_tsc += d;
	return finish_write(t, now) < 0 ? VAPIC_EHOST : 0;
}

VAPIC_API int vapic_timer_set_guest_tsc_khz(struct vapic_timer *t,
					    uint32_t guest_tsc_khz)
{
	u32 mode = timer_mode_(t->lvtt);
	u64 progress = 0, now;
	bool counting, clamped;

	if (guest_tsc_khz < VAPIC_KHZ_MIN || guest_tsc_khz > VAPIC_KHZ_MAX)
		return VAPIC_ERANGE;
	now = begin_write(t);
	counting = t->running && (mode == VAPIC_TIMER_ONESHOT ||
				  mode == VAPIC_TIMER_PERIODIC);
	if (counting) {
		struct vapic_u128 e = timer_elapsed_sub_(now, t->start_tsc,
						  t->start_frac,
						  t->cfg.bus_khz);
		struct vapic_u128 num = { e.lo, 0 };
		u64 rem;
		bool ovf;

		/* e < period_sub after sync(); round up as save does. */
		progress = u128_div_(num, t->period_sub, &rem, &ovf);
		if (rem)
			progress++;
	}
	t->cfg.guest_tsc_khz = guest_tsc_khz;
	/* Was missing: the host timer kept the old frequency's ns. */
	set_khz_consts(t);
	t->min_period_sub =
		vapic_ns_to_tsc_ceil(t->cfg.min_period_ns, guest_tsc_khz) *
		t->cfg.bus_khz;
	if (counting) {
		t->period_sub = timer_period_sub_for_(
			t, t->tmict, mode == VAPIC_TIMER_PERIODIC, &clamped);
		timer_position_set_(t, now,
			     vapic_mul_u64_u64_shr(progress, t->period_sub, 64));
	}
	return finish_write(t, now) < 0 ? VAPIC_EHOST : 0;
}

VAPIC_API int vapic_timer_set_tsc_deadline_exposed(struct vapic_timer *t,
						   bool exposed)
{
	if (!exposed && timer_mode_(t->lvtt) == VAPIC_TIMER_TSC_DEADLINE)
		return VAPIC_EBUSY;
	if (exposed)
		t->cfg.flags |= VAPIC_TIMER_F_TSC_DEADLINE;
	else
		t->cfg.flags &= ~VAPIC_TIMER_F_TSC_DEADLINE;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Hardware timers                                                        */

VAPIC_API uint64_t vapic_timer_target_tsc(const struct vapic_timer *t)
{
	struct snap s;

	snapshot(t, &s);
	return s.running ? s.target_tsc : 0;
}
