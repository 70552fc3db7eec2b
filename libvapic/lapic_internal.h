/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private helpers shared by lapic.c (acceptance, priority, EOI, events),
 * lapic_regs.c (register views), lapic_icr.c (IPIs) and lapic_state.c
 * (save/restore).
 */
#ifndef VAPIC_LAPIC_INTERNAL_H
#define VAPIC_LAPIC_INTERNAL_H

#include "internal.h"
#include "timer_fast.h"
#include <vapic/errors.h>
#include <vapic/lapic.h>

#define LAPIC_DFR_RESET 0xffffffffU
#define LAPIC_DFR_MODEL_MASK 0xf0000000U
#define LAPIC_DFR_FLAT 0xf0000000U
#define LAPIC_SVR_RESET 0x000000ffU
#define LAPIC_ESR_VALID 0x000000ffU

/* Bit of a vector in its 32-bit word of a 256-bit map. */
static VAPIC_ALWAYS_INLINE u32 vbit_(u32 v)
{
	return 1U << (v & 31);
}

static inline bool vtest_(const u32 *map, u32 v)
{
	return VAPIC_READ_ONCE(map[v >> 5]) & vbit_(v);
}

/* Highest set vector of a 256-bit map, or -1. */
static inline int highest_vector_(const u32 *map)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = VAPIC_READ_ONCE(map[i]);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* Highest in-service vector from the ISR word summary, or -1. */
static inline int isr_highest_(const struct vapic_lapic *l)
{
	u32 w;

	if (!l->isr_words)
		return -1;
	w = 31 - (u32)__builtin_clz(l->isr_words);
	return (int)(w * 32 + 31 - (u32)__builtin_clz(l->isr[w]));
}

/* Recompute the ISR summary and top after a wholesale ISR change. */
static inline void isr_recompute_(struct vapic_lapic *l)
{
	u32 w, m = 0;

	for (w = 0; w < 8; w++)
		if (l->isr[w])
			m |= 1U << w;
	l->isr_words = m;
	VAPIC_WRITE_ONCE(l->isr_top, isr_highest_(l));
}

static VAPIC_ALWAYS_INLINE u32 lapic_mode_(const struct vapic_lapic *l)
{
	return VAPIC_READ_ONCE(l->mode);
}

static inline bool lapic_x2apic_(const struct vapic_lapic *l)
{
	return lapic_mode_(l) == VAPIC_APIC_X2APIC;
}

/* Software enable (SVR bit 8) and global enable together. */
static VAPIC_ALWAYS_INLINE bool lapic_enabled_(const struct vapic_lapic *l)
{
	return lapic_mode_(l) != VAPIC_APIC_DISABLED &&
	       (VAPIC_READ_ONCE(l->svr) & VAPIC_SVR_ENABLE);
}

/* x2APIC logical ID (SDM "Logical Destination Mode in x2APIC Mode"). */
static inline u32 x2apic_ldr_(u32 x2apic_id)
{
	return ((x2apic_id >> 4) << 16) | (1U << (x2apic_id & 0xf));
}

/*
 * PPR from TPR and the highest in-service vector (SDM "Processor Priority
 * Register"): PPR[7:4] = max(TPR[7:4], ISRV[7:4]); PPR[3:0] = TPR[3:0] if
 * TPR[7:4] >= ISRV[7:4], else 0.
 */
static VAPIC_ALWAYS_INLINE u32 lapic_ppr_(const struct vapic_lapic *l)
{
	u32 tpr = VAPIC_READ_ONCE(l->tpr) & 0xff;
	int isrv = VAPIC_READ_ONCE(l->isr_top);

	if (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0))
		return tpr;
	return (u32)isrv & 0xf0;
}

/* Accept a fixed vector >= 16 into IRR without checks; kick if @kick. */
static VAPIC_ALWAYS_INLINE int lapic_accept_fixed_(struct vapic_lapic *l,
						   u32 vector, bool level,
						   bool kick)
{
	u32 w = vector >> 5, b = vbit_(vector);
	u32 old;

	/* TMR follows the trigger mode of the last accepted interrupt. */
	if (level)
		vapic_atomic_or(&l->tmr[w], b);
	else if (VAPIC_UNLIKELY(VAPIC_READ_ONCE(l->tmr[w]) & b))
		vapic_atomic_andnot(&l->tmr[w], b);
	old = vapic_atomic_fetch_or(&l->irr[w], b);
	if (old & b) {
		STAT_INC_(l->stats.merged);
		return 1;
	}
	STAT_INC_(l->stats.accepted);
	if (kick)
		l->ops->kick(l->host);
	return 0;
}

/* lapic.c: vapic_lapic_poll() with the guest TSC @now already read. */
int lapic_poll_at_(struct vapic_lapic *l, u32 *vector, u64 *wait_ns, u64 now);

/*
 * lapic_poll_fast_() - vapic_lapic_poll()'s timer fire + inject fast path
 * (seed 004), at guest TSC @now: the TSC deadline the deferred-mode
 * callback handed over is due (timer_fire_ready_()), its vector is legal
 * and not already in IRR, and the APIC accepts fixed interrupts.  Then the
 * tick goes straight into IRR (atomically: other threads may accept at the
 * same time), and the vector to inject is the highest in IRR, which is at
 * or above the timer's: only the IRR words from the timer's up are read
 * (the timer's word keeps the bit just set: only this thread clears IRR).
 * The same steps as vapic_timer_poll() + accept_checked() + the priority
 * check of lapic_poll_at_() for exactly this state.  (The tick enters IRR
 * before the timer's bookkeeping, timer_fire_take_(): both are this
 * thread's, and other threads only ever add to IRR.)
 *
 * Return: the vector to inject (0..255), LAPIC_FAST_NONE (the tick is in
 * IRR, but the priority holds it), or LAPIC_FAST_NOT_TAKEN (nothing
 * changed: the caller runs lapic_poll_at_() at @now).
 */
#define LAPIC_FAST_NONE 0x100
#define LAPIC_FAST_NOT_TAKEN (-1)
static VAPIC_ALWAYS_INLINE int lapic_poll_fast_ready_(struct vapic_lapic *l,
						     u64 now)
{
	struct vapic_timer *t = &l->timer;
	u32 v, w, b, x;
	s32 pc, ic;

	/* TSC-deadline mode (timer_fire_ready_()): unsigned (timer_due_()). */
	if (now < t->target_tsc)
		return LAPIC_FAST_NOT_TAKEN;
	/*
	 * Accepting needs the APIC enabled (accept_checked()), which
	 * timer_fire_ready_() implies: the timer is software-disabled
	 * (t->sw_disabled, in 'busy') exactly when SVR bit 8 is clear (SVR
	 * writes, reset and restore keep them equal: lapic_regs.c,
	 * lapic.c, lapic_state.c), and SVR bit 8 is clear while the APIC is
	 * globally disabled (entering that state resets SVR, no register is
	 * writable in it, restore refuses anything else).
	 */
	v = t->lvtt & VAPIC_LVT_VECTOR_MASK;
	w = v >> 5;
	b = vbit_(v);
	/*
	 * Into IRR first.  Already set: the vector is busy, and the general
	 * path coalesces the tick into it (nothing changed: the bit was
	 * set).  Then lapic_accept_fixed_()'s trigger mode (edge: TMR bit
	 * clear; after the IRR bit here, which only a concurrent
	 * level-triggered accept of the same vector could tell, and that
	 * races with this edge either way) and its count.  No kick: this is
	 * the vCPU thread.
	 */
	if (vapic_atomic_fetch_or(&l->irr[w], b) & b)
		return LAPIC_FAST_NOT_TAKEN;
	if (VAPIC_UNLIKELY(VAPIC_READ_ONCE(l->tmr[w]) & b))
		vapic_atomic_andnot(&l->tmr[w], b);
	STAT_INC_(l->stats.accepted);
	/* The highest vector in IRR: above the timer's word, or in it. */
	x = 0;
	if (VAPIC_UNLIKELY(w < 7)) {
		u32 i;

		for (i = 7; i > w; i--) {
			x = VAPIC_READ_ONCE(l->irr[i]);
			if (x) {
				w = i;
				break;
			}
		}
	}
	if (!x)
		x = VAPIC_READ_ONCE(l->irr[w]) | b;
	timer_fire_take_(t, now - t->target_tsc);
	v = w << 5 | (31 ^ (u32)__builtin_clz(x));
	/*
	 * Deliverable iff its priority class is above PPR's: the class of
	 * lapic_ppr_() is max(TPR's, the in-service vector's), TPR's alone
	 * with nothing in service (isr_top -1: & ~0xf gives -16).
	 */
	pc = (s32)(VAPIC_READ_ONCE(l->tpr) & 0xf0);
	ic = VAPIC_READ_ONCE(l->isr_top) & ~0xf;
	if (ic > pc)
		pc = ic;
	if ((s32)(v & 0xf0) <= pc)
		return LAPIC_FAST_NONE;
	return (int)v;
}

static VAPIC_ALWAYS_INLINE int lapic_poll_fast_(struct vapic_lapic *l, u64 now)
{
	/* timer_fire_ready_(): also a legal vector (t->fire_slow). */
	if (!timer_fire_ready_(&l->timer))
		return LAPIC_FAST_NOT_TAKEN;
	return lapic_poll_fast_ready_(l, now);
}

/* lapic.c: lapic_poll_fast_() out of line (a leaf: few live values). */
int lapic_poll_fast_leaf_(struct vapic_lapic *l, u64 now);

/* Writable bits of a non-timer LVT entry (lapic_regs.c). */
u32 lvt_writable_(enum vapic_lvt idx);
/* Power-on values of every register but the IDs and the APIC base. */
void lapic_reset_regs_(struct vapic_lapic *l);
/* Record an error in ESR and raise the LVT error interrupt (lapic.c). */
void lapic_raise_error_(struct vapic_lapic *l, u32 esr_bits);
/* Raise an event (NMI ...) on @l; kick if @kick. */
void lapic_raise_event_(struct vapic_lapic *l, u32 event, u32 sipi_vector,
			bool kick);
/* Send the message in the ICR (lapic_icr.c).  Returns ACT bits. */
int lapic_send_icr_(struct vapic_lapic *l, u32 icr_lo, u32 dest);
/* SELF IPI (x2APIC). */
int lapic_self_ipi_(struct vapic_lapic *l, u32 vector);
/* Does @l's destination field/shorthand name @l, sender exclusion aside. */
bool lapic_dest_matches_(const struct vapic_lapic *l,
			 const struct vapic_ipi *ipi);

/* lapic.c: the EOI itself (retire the highest in-service vector). */
int lapic_eoi_now_(struct vapic_lapic *l);
/* lapic_pveoi.c: PV EOI pieces shared with lapic.c and lapic_state.c. */
void lapic_pv_eoi_reset_(struct vapic_lapic *l);
int lapic_pv_eoi_settle_(struct vapic_lapic *l);
int lapic_pv_eoi_check_(const struct vapic_lapic *l, u64 val);
u32 *lapic_pv_eoi_map_(struct vapic_lapic *l, u64 val, int *err);
void lapic_pv_eoi_install_(struct vapic_lapic *l, u64 val, u32 *w,
			   bool pending);

#endif /* VAPIC_LAPIC_INTERNAL_H */
