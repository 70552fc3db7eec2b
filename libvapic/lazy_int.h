/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private interface between the timer (timer.c) and the lazy TSC-deadline
 * protocol (lazy.c, lazy_guest.c).  Rule numbers (G1.., H1.., R1..) are
 * those of docs/lazy-tscdeadline.md and tests/model/lazy.pml.
 */
#ifndef VAPIC_LAZY_INT_H
#define VAPIC_LAZY_INT_H

#include "internal.h"
#include <vapic/lazy.h>
#include <vapic/timer.h>

/* The page is little-endian (x86's byte order). */
static inline u64 lazy_le64_(u64 v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline u32 lazy_le32_(u32 v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/*
 * The guest has the protocol enabled and its block is mapped (not
 * detached by a failed vapic_lazy_remap()): publish and arbitrate.
 */
static inline bool lazy_on_(const struct vapic_timer *t)
{
	return t->lazy.page != NULL;
}

/*
 * Hooks called by timer.c.  All run on the owner of the timer's running
 * state: the vCPU thread with the host timer cancelled, or the posted-mode
 * timer callback while the timer is armed.
 */

/* R1/R2: publish "armed" (the TSC deadline the host timer is for, or 0). */
void lazy_publish_(struct vapic_timer *t, u64 armed_tsc);

/*
 * H1-H3: the host timer fired for, or the vCPU thread found due, the TSC
 * deadline t->target_tsc.  CLEAR "armed", full barrier, read "pending".
 * Returns the guest's later deadline if it moved past the target, else 0.
 */
u64 lazy_arbitrate_(struct vapic_timer *t);

/* H4: the deadline was moved; account it against the rate bound. */
void lazy_moved_(struct vapic_timer *t, u64 now_ns);

/* H4: the host timer expiry to use for a (possibly lazy) re-arm. */
u64 lazy_clamp_expiry_(struct vapic_timer *t, u64 expires_ns);

/* H4: a guest write to a timer register pays for one lazy re-arm. */
static inline void lazy_credit_(struct vapic_timer *t)
{
	t->lazy.credit = true;
	t->lazy.not_before_ns = 0;
}

/* INIT/RESET and destroy: CLEAR, unmap, MSR reads 0. */
void lazy_reset_(struct vapic_timer *t);

/* timer.c's write discipline, for the protocol MSR write in lazy.c. */
u64 timer_begin_write_(struct vapic_timer *t);
/* The same for a change the guest did not pay an exit for: no credit. */
u64 timer_begin_host_write_(struct vapic_timer *t);
int timer_finish_write_(struct vapic_timer *t, u64 now);
/* timer.c: H1-H3 on a running TSC deadline; moves it if "pending" is later. */
bool timer_lazy_check_(struct vapic_timer *t, u64 now);

#endif /* VAPIC_LAZY_INT_H */
