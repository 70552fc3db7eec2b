/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private interface between timer.c (the state machine) and timer_state.c
 * (save / restore, register images): helpers of the one-shot / periodic
 * position arithmetic and of the register layout.  The write discipline
 * (timer_begin_write_(), timer_finish_write_()) is in lazy_int.h.
 */
#ifndef VAPIC_TIMER_INT_H
#define VAPIC_TIMER_INT_H

#include "internal.h"
#include <vapic/timer.h>

/* LVT timer bits a write stores (delivery status is read-only). */
#define TIMER_LVTT_WRITABLE_ \
	(VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_MASKED | VAPIC_LVTT_MODE_MASK)
/* Bit 18: TSC-deadline mode, reserved when the mode is not exposed. */
#define TIMER_LVTT_MODE_TSC_BIT_ (1U << 18)

/* TDCR bits 3,1,0 -> divisor: 000b = 2 ... 110b = 128, 111b = 1. */
static inline u32 timer_tdcr_to_divide_(u32 tdcr)
{
	u32 idx = (tdcr & 3) | ((tdcr >> 1) & 4);

	return idx == 7 ? 1 : 2U << idx;
}

/* Sub units elapsed since the period start at guest TSC @now (mod 2^64). */
static inline struct vapic_u128 timer_elapsed_sub_(u64 now, u64 start_tsc,
						   u32 start_frac, u32 bus_khz)
{
	return u128_sub_(u128_mul_(now - start_tsc, bus_khz), start_frac);
}

static inline void timer_stop_counting_(struct vapic_timer *t)
{
	VAPIC_WRITE_ONCE(t->running, false);
}

/*
 * Forget what is in flight: an unpolled expiry, the advance window, both
 * due-tick slots and the periodic backlog.  The host timer must be
 * cancelled (or owned) by the caller.
 */
static inline void timer_drop_in_flight_(struct vapic_timer *t)
{
	VAPIC_WRITE_ONCE(t->fired, 0);
	t->in_window = false;
	t->measured = false;
	t->pending = false;
	t->pending_vector = 0;
	t->pending_due_tsc = 0;
	t->pending_old = false;
	t->pending_old_vector = 0;
	t->pending_old_due_tsc = 0;
	t->backlog = 0;
}

/*
 * Period of @count bus cycles at the current divide, in sub units (1 /
 * bus_khz TSC cycles); a periodic one below the minimum period is raised
 * to it (*@clamped).
 */
u64 timer_period_sub_for_(const struct vapic_timer *t, u32 count, bool periodic,
			  bool *clamped);
/* Place the period start so that @e sub units have elapsed at @now. */
void timer_position_set_(struct vapic_timer *t, u64 now, u64 e);
/*
 * vapic_timer_next_deadline() as a distance (halt-poll, haltpoll.c): guest
 * TSC cycles from @now until the next due tick, 0 if one is due; false if
 * none is scheduled.  Compared as the timer does (timer_due_()): a
 * one-shot / periodic target across a guest TSC wrap is still ahead.
 */
bool timer_next_due_in_(struct vapic_timer *t, u64 now, u64 *delta_tsc);
/* Power-on registers, nothing running, fired or pending. */
void timer_reset_regs_(struct vapic_timer *t);

#endif /* VAPIC_TIMER_INT_H */
