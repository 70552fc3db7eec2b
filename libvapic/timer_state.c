// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The LAPIC timer's state as a whole: save / restore (the versioned,
 * checksummed record of <vapic/timer.h>) and loading a hypervisor's
 * register image (vapic_timer_load_regs()).  Split from timer.c, whose
 * write discipline they follow: timer_begin_write_() (cancel the host
 * timer, complete what is due) ... timer_finish_write_() (re-arm).
 */
#include "internal.h"
#include "lazy_int.h"
#include "timer_fast.h"
#include "timer_int.h"
#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/timer.h>

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

VAPIC_BUILD_BUG_ON(sizeof(struct vapic_timer_state) != 64);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_timer_state, tsc_deadline) !=
		   24);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_timer_state, checksum) !=
		   60);

static u32 state_checksum(const struct vapic_timer_state *s)
{
	struct vapic_timer_state c = *s;

	c.checksum = 0;
	return vapic_checksum32(&c, sizeof(c));
}

/* TMCCT as a function of the saved progress (so restore can check it). */
static u32 tmcct_from_progress(u32 tmict, u64 progress)
{
	return tmict - (u32)vapic_mul_u64_u64_shr(progress, tmict, 64);
}

VAPIC_API int vapic_timer_save(struct vapic_timer *t,
			       struct vapic_timer_state *s)
{
	u32 mode;
	u64 now;

	if (!t || !s)
		return VAPIC_EINVAL;
	now = timer_begin_write_(t);
	__builtin_memset(s, 0, sizeof(*s));
	s->magic = VAPIC_TIMER_STATE_MAGIC;
	s->version = VAPIC_TIMER_STATE_VERSION;
	s->size = sizeof(*s);
	s->lvtt = t->lvtt;
	s->tmict = t->tmict;
	s->tdcr = t->tdcr;
	mode = timer_mode_(t->lvtt);
	if (t->running)
		s->flags |= VAPIC_TSTATE_RUNNING;
	if (t->pending) {
		s->flags |= VAPIC_TSTATE_DUE;
		s->pending_vector = t->pending_vector;
	}
	if (t->pending_old) {
		s->flags |= VAPIC_TSTATE_DUE_OLD;
		s->pending_old_vector = t->pending_old_vector;
	}
	if (t->sw_disabled)
		s->flags |= VAPIC_TSTATE_SW_DISABLED;
	s->tsc_deadline = t->tsc_deadline;
	if (t->running && mode != VAPIC_TIMER_TSC_DEADLINE) {
		struct vapic_u128 e = timer_elapsed_sub_(
			now, t->start_tsc, t->start_frac, t->cfg.bus_khz);
		struct vapic_u128 num = { e.lo, 0 };
		u64 rem;
		bool ovf;

		/*
		 * e < period_sub after sync(): progress = e / period, rounded
		 * up.  Rounding down would make the restored timer resume up
		 * to one sub unit short: TMCCT read back one count higher than
		 * at save time and the expiry one cycle late.  Rounded up, the
		 * restore (floor(progress * period / 2^64)) gets e back
		 * exactly, since period_sub < 2^64; progress < 2^64 as well.
		 */
		s->progress = u128_div_(num, t->period_sub, &rem, &ovf);
		if (rem)
			s->progress++;
		s->tmcct = tmcct_from_progress(t->tmict, s->progress);
	}
	s->backlog = t->backlog;
	s->checksum = state_checksum(s);
	(void)timer_finish_write_(t, now);
	return 0;
}

static int validate_state(const struct vapic_timer *t,
			  const struct vapic_timer_state *s)
{
	bool tscd = t->cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE;
	bool running = s->flags & VAPIC_TSTATE_RUNNING;
	u32 mode = timer_mode_(s->lvtt);

	if (s->magic != VAPIC_TIMER_STATE_MAGIC)
		return VAPIC_ESTATE;
	if (s->version != VAPIC_TIMER_STATE_VERSION)
		return VAPIC_EVERSION;
	if (s->size != sizeof(*s) || s->checksum != state_checksum(s))
		return VAPIC_ESTATE;
	if (s->reserved[0])
		return VAPIC_ESTATE;
	if ((s->lvtt & ~TIMER_LVTT_WRITABLE_) ||
	    (s->tdcr & ~VAPIC_TDCR_VALID_MASK) ||
	    (s->flags & ~VAPIC_TSTATE_FLAGS_ALL))
		return VAPIC_ESTATE;
	if (!tscd && (s->lvtt & TIMER_LVTT_MODE_TSC_BIT_))
		return VAPIC_ESTATE; /* destination does not expose it */
	if ((s->flags & VAPIC_TSTATE_SW_DISABLED) &&
	    !(s->lvtt & VAPIC_LVT_MASKED))
		return VAPIC_ESTATE;
	if (s->tsc_deadline && mode != VAPIC_TIMER_TSC_DEADLINE)
		return VAPIC_ESTATE;
	if (mode == VAPIC_TIMER_TSC_DEADLINE && running != !!s->tsc_deadline)
		return VAPIC_ESTATE;
	if (mode == VAPIC_TIMER_MODE_RESERVED && running)
		return VAPIC_ESTATE;
	if (mode == VAPIC_TIMER_TSC_DEADLINE && s->tmict)
		return VAPIC_ESTATE;
	if (mode != VAPIC_TIMER_ONESHOT && mode != VAPIC_TIMER_PERIODIC &&
	    (s->progress || s->tmcct))
		return VAPIC_ESTATE; /* no count in these modes */
	if (mode == VAPIC_TIMER_ONESHOT || mode == VAPIC_TIMER_PERIODIC) {
		if (running && !s->tmict)
			return VAPIC_ESTATE;
		if (running &&
		    s->tmcct != tmcct_from_progress(s->tmict, s->progress))
			return VAPIC_ESTATE;
	}
	if (!running && (s->progress || s->tmcct))
		return VAPIC_ESTATE;
	/* Only a one-shot or periodic count has a position. */
	if (mode != VAPIC_TIMER_ONESHOT && mode != VAPIC_TIMER_PERIODIC &&
	    (s->progress || s->tmcct))
		return VAPIC_ESTATE;
	/* Catch-up ticks exist only for a running periodic timer. */
	if (s->backlog && (mode != VAPIC_TIMER_PERIODIC || !running))
		return VAPIC_ESTATE;
	if (!(s->flags & VAPIC_TSTATE_DUE) && s->pending_vector)
		return VAPIC_ESTATE;
	if (s->pending_vector > VAPIC_LVT_VECTOR_MASK)
		return VAPIC_ESTATE;
	if (!(s->flags & VAPIC_TSTATE_DUE_OLD) && s->pending_old_vector)
		return VAPIC_ESTATE;
	/*
	 * An older due tick is parked only when a newer one falls due (save
	 * never records it alone); alone, a new tick of its vector would not
	 * merge with it, and the next save would record two of one vector.
	 */
	if ((s->flags & VAPIC_TSTATE_DUE_OLD) && !(s->flags & VAPIC_TSTATE_DUE))
		return VAPIC_ESTATE;
	if (s->pending_old_vector > VAPIC_LVT_VECTOR_MASK)
		return VAPIC_ESTATE;
	/* Two due ticks of one vector would be one IRR bit: merged. */
	if ((s->flags & VAPIC_TSTATE_DUE_OLD) &&
	    (s->flags & VAPIC_TSTATE_DUE) &&
	    s->pending_old_vector == s->pending_vector)
		return VAPIC_ESTATE;
	if (s->backlog > VAPIC_CATCHUP_MAX_LIMIT)
		return VAPIC_ESTATE;
	return 0;
}

VAPIC_API int vapic_timer_restore(struct vapic_timer *t,
				  const struct vapic_timer_state *s)
{
	u32 mode;
	u64 now;
	int r;

	if (!t || !s)
		return VAPIC_EINVAL;
	r = validate_state(t, s);
	if (r)
		return r;
	timer_cancel_hw_(t);
	timer_reset_regs_(t);
	lazy_credit_(t);
	now = timer_now_tsc_(t);
	t->lvtt = s->lvtt;
	t->tmict = s->tmict;
	t->tdcr = s->tdcr;
	t->divide = timer_tdcr_to_divide_(s->tdcr);
	t->sw_disabled = s->flags & VAPIC_TSTATE_SW_DISABLED;
	t->backlog = s->backlog;
	if (t->cfg.missed_policy == VAPIC_MISSED_COALESCE) {
		/* Coalesce: at most one tick pending; the rest merge. */
		u32 keep = (s->flags & VAPIC_TSTATE_DUE) ? 0 : 1;

		if (t->backlog > keep) {
			STAT_ADD_(t->stats.coalesced, t->backlog - keep);
			t->backlog = keep;
		}
	} else if (t->backlog > t->cfg.catchup_max) {
		STAT_ADD_(t->stats.dropped, t->backlog - t->cfg.catchup_max);
		t->backlog = t->cfg.catchup_max;
	}
	if (s->flags & VAPIC_TSTATE_DUE) {
		t->pending = true;
		t->pending_vector = s->pending_vector;
		t->pending_due_tsc = now;
	}
	if (s->flags & VAPIC_TSTATE_DUE_OLD) {
		t->pending_old = true;
		t->pending_old_vector = s->pending_old_vector;
		t->pending_old_due_tsc = now;
	}
	mode = timer_mode_(s->lvtt);
	if (s->flags & VAPIC_TSTATE_RUNNING) {
		if (mode == VAPIC_TIMER_TSC_DEADLINE) {
			/* As after a TSC change: compared at the TSC now. */
			t->tsc_deadline = s->tsc_deadline;
			t->start_tsc = timer_tscd_base_(now, s->tsc_deadline);
			t->target_tsc = s->tsc_deadline;
		} else {
			bool clamped;

			t->period_sub = timer_period_sub_for_(
				t, t->tmict, mode == VAPIC_TIMER_PERIODIC,
				&clamped);
			timer_position_set_(t, now,
					    vapic_mul_u64_u64_shr(s->progress,
								  t->period_sub,
								  64));
		}
		t->running = true;
	}
	return timer_finish_write_(t, now) < 0 ? VAPIC_EHOST : 0;
}

/* ---------------------------------------------------------------------- */
/* Hypervisor register images and hardware timers                         */

VAPIC_API int vapic_timer_load_regs(struct vapic_timer *t, uint32_t lvtt,
				    uint32_t tdcr, uint32_t tmict,
				    uint32_t tmcct)
{
	bool tscd = t->cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE;
	u32 old_mode = timer_mode_(t->lvtt);
	u32 mode, remaining;
	bool periodic, clamped, reached;
	u64 now;

	lvtt &= TIMER_LVTT_WRITABLE_;
	if (!tscd)
		lvtt &= ~TIMER_LVTT_MODE_TSC_BIT_;
	if (t->sw_disabled)
		lvtt |= VAPIC_LVT_MASKED;
	tdcr &= VAPIC_TDCR_VALID_MASK;
	mode = timer_mode_(lvtt);

	/* Drop everything in flight: the image replaces it. */
	timer_cancel_hw_(t);
	lazy_credit_(t);
	now = timer_now_tsc_(t);
	/* A kept deadline the TSC reached (also across a wrap) is due. */
	reached = t->running && old_mode == VAPIC_TIMER_TSC_DEADLINE &&
		  timer_tscd_reached_(t->start_tsc, now, t->target_tsc);
	if (reached && !timer_deliverable_(t)) {
		/*
		 * It fired while the old LVT was masked (or the APIC
		 * software-disabled): SDM "Local Vector Table", no interrupt,
		 * and the MSR reads 0 since.  Nothing is left to keep; else a
		 * loaded LVT without the mask would deliver it.
		 */
		STAT_INC_(t->stats.masked);
		VAPIC_WRITE_ONCE(t->tsc_deadline, 0);
		reached = false;
	}
	timer_drop_in_flight_(t);
	timer_stop_counting_(t);

	t->lvtt = lvtt;
	t->tdcr = tdcr;
	t->divide = timer_tdcr_to_divide_(tdcr);
	t->tmict = 0;
	if (mode != VAPIC_TIMER_TSC_DEADLINE ||
	    old_mode != VAPIC_TIMER_TSC_DEADLINE)
		VAPIC_WRITE_ONCE(t->tsc_deadline, 0);

	switch (mode) {
	case VAPIC_TIMER_TSC_DEADLINE:
		if (t->tsc_deadline) {
			VAPIC_WRITE_ONCE(
				t->start_tsc,
				reached ? t->tsc_deadline
					: timer_tscd_base_(now,
							   t->tsc_deadline));
			VAPIC_WRITE_ONCE(t->target_tsc, t->tsc_deadline);
			VAPIC_WRITE_ONCE(t->running, true);
		}
		break;
	case VAPIC_TIMER_ONESHOT:
	case VAPIC_TIMER_PERIODIC:
		t->tmict = tmict;
		periodic = mode == VAPIC_TIMER_PERIODIC;
		if (!tmict || (!periodic && !tmcct))
			break; /* stopped, or a one-shot that expired */
		remaining = (!tmcct || tmcct > tmict) ? tmict : tmcct;
		t->period_sub =
			timer_period_sub_for_(t, tmict, periodic, &clamped);
		if (clamped)
			STAT_INC_(t->stats.clamped);
		{
			/*
			 * Elapsed part of the period, rounded up so that
			 * TMCCT (floor of the remaining fraction) reads back
			 * exactly @tmcct: period_sub >= tmict, so one sub unit
			 * more is less than one count.  period_sub < 2^64 and
			 * tmict - remaining < 2^32: the quotient is below
			 * period_sub.
			 */
			u64 rem, e;
			bool ovf;

			e = u128_div_(
				u128_mul_(t->period_sub, tmict - remaining),
				tmict, &rem, &ovf);
			if (rem)
				e++;
			timer_position_set_(t, now, e);
		}
		VAPIC_WRITE_ONCE(t->running, true);
		break;
	default:
		/* Reserved mode 11b: the registers hold, the timer never runs.
		 */
		t->tmict = tmict;
		break;
	}
	return timer_finish_write_(t, now);
}
