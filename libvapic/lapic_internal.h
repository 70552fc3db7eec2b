/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private helpers shared by lapic.c (acceptance, priority, EOI, events),
 * lapic_regs.c (register views), lapic_icr.c (IPIs) and lapic_state.c
 * (save/restore).
 */
#ifndef VAPIC_LAPIC_INTERNAL_H
#define VAPIC_LAPIC_INTERNAL_H

#include "internal.h"
#include <vapic/errors.h>
#include <vapic/lapic.h>

#define LAPIC_DFR_RESET 0xffffffffU
#define LAPIC_DFR_MODEL_MASK 0xf0000000U
#define LAPIC_DFR_FLAT 0xf0000000U
#define LAPIC_DFR_CLUSTER 0x00000000U
#define LAPIC_SVR_RESET 0x000000ffU
#define LAPIC_ESR_VALID 0x000000ffU

/* Bit of a vector in its 32-bit word of a 256-bit map. */
static inline u32 vbit_(u32 v)
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

static inline u32 lapic_mode_(const struct vapic_lapic *l)
{
	return VAPIC_READ_ONCE(l->mode);
}

static inline bool lapic_x2apic_(const struct vapic_lapic *l)
{
	return lapic_mode_(l) == VAPIC_APIC_X2APIC;
}

/* Software enable (SVR bit 8) and global enable together. */
static inline bool lapic_enabled_(const struct vapic_lapic *l)
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
static inline u32 lapic_ppr_(const struct vapic_lapic *l)
{
	u32 tpr = VAPIC_READ_ONCE(l->tpr) & 0xff;
	int isrv = VAPIC_READ_ONCE(l->isr_top);

	if (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0))
		return tpr;
	return (u32)isrv & 0xf0;
}

/* Accept a fixed vector >= 16 into IRR without checks; kick if @kick. */
static inline int lapic_accept_fixed_(struct vapic_lapic *l, u32 vector,
				      bool level, bool kick)
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

#endif /* VAPIC_LAPIC_INTERNAL_H */
