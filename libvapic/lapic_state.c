// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Save/restore of the whole local APIC: a versioned, checksummed record
 * that embeds the timer's own record (struct vapic_timer_state).
 *
 * Restore validates everything before it changes anything: the LAPIC
 * fields here, then the timer record inside vapic_timer_restore() (which
 * itself leaves the timer untouched when it refuses).  Only after both have
 * passed are the LAPIC registers written, and that cannot fail.
 */
#include "lapic_internal.h"

VAPIC_BUILD_BUG_ON(sizeof(struct vapic_lapic_state) != 280);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, apic_base) !=
		   8);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, lvt) != 60);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, irr) != 84);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, pv_eoi_msr) !=
		   192);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, timer) != 208);
VAPIC_BUILD_BUG_ON(__builtin_offsetof(struct vapic_lapic_state, checksum) !=
		   276);

/* Features a record must agree on (BSP is per vCPU, not a feature). */
#define STATE_FEATURES \
	(VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC | VAPIC_LAPIC_F_EOI_SUPPRESS)

static u32 state_checksum(const struct vapic_lapic_state *s)
{
	struct vapic_lapic_state c = *s;

	c.checksum = 0;
	return vapic_checksum32(&c, sizeof(c));
}

VAPIC_API int vapic_lapic_save(struct vapic_lapic *l,
			       struct vapic_lapic_state *s)
{
	int i, r;

	if (!l || !s)
		return VAPIC_EINVAL;
	__builtin_memset(s, 0, sizeof(*s));
	r = vapic_timer_save(&l->timer, &s->timer);
	if (r)
		return r;
	s->magic = VAPIC_LAPIC_STATE_MAGIC;
	s->version = VAPIC_LAPIC_STATE_VERSION;
	s->size = sizeof(*s);
	s->apic_base = l->apic_base;
	s->flags = l->flags & STATE_FEATURES;
	s->x2apic_id = l->x2apic_id;
	s->xapic_id = l->xapic_id;
	s->tpr = l->tpr;
	s->ldr = l->ldr;
	s->dfr = l->dfr;
	s->svr = l->svr;
	s->esr = l->esr;
	s->esr_pending = VAPIC_READ_ONCE(l->esr_pending);
	s->icr_lo = l->icr_lo;
	s->icr_hi = l->icr_hi;
	for (i = 0; i < VAPIC_LVT_NR; i++)
		s->lvt[i] = l->lvt[i];
	for (i = 0; i < 8; i++) {
		s->irr[i] = VAPIC_READ_ONCE(l->irr[i]);
		s->isr[i] = l->isr[i];
		s->tmr[i] = VAPIC_READ_ONCE(l->tmr[i]);
	}
	s->events = VAPIC_READ_ONCE(l->events);
	s->sipi_vector = (s->events & VAPIC_EVENT_SIPI) ? l->sipi_vector : 0;
	s->lint_level = l->lint_level;
	s->pv_eoi_msr = l->pv_eoi_msr;
	s->pv_eoi_flags = l->pv_eoi_pending ? VAPIC_LAPIC_STATE_PV_EOI_PENDING
					    : 0;
	s->checksum = state_checksum(s);
	return 0;
}

/* Vectors 0..15 can never be pending, in service or level-triggered. */
static bool maps_valid(const struct vapic_lapic_state *s)
{
	return !((s->irr[0] | s->isr[0] | s->tmr[0]) & 0xffffU);
}

static int validate(const struct vapic_lapic *l,
		    const struct vapic_lapic_state *s)
{
	u64 rsvd = 0x2ffULL | ~((1ULL << l->maxphyaddr) - 1);
	u32 mode, svr_mask, i;
	bool sw_disabled;

	if (s->magic != VAPIC_LAPIC_STATE_MAGIC)
		return VAPIC_ESTATE;
	if (s->version != VAPIC_LAPIC_STATE_VERSION &&
	    s->version != VAPIC_LAPIC_STATE_VERSION_V1)
		return VAPIC_EVERSION;
	if (s->size != sizeof(*s) || s->checksum != state_checksum(s))
		return VAPIC_ESTATE;
	if (s->reserved[0])
		return VAPIC_ESTATE;
	/*
	 * Version 1 had reserved (zero) words where PV EOI now is: the same
	 * size and layout, PV EOI off.
	 */
	if (s->version == VAPIC_LAPIC_STATE_VERSION_V1 &&
	    (s->pv_eoi_msr || s->pv_eoi_flags))
		return VAPIC_ESTATE;
	if (s->pv_eoi_msr && lapic_pv_eoi_check_(l, s->pv_eoi_msr))
		return VAPIC_ESTATE;
	if ((s->pv_eoi_flags & ~VAPIC_LAPIC_STATE_PV_EOI_PENDING) ||
	    ((s->pv_eoi_flags & VAPIC_LAPIC_STATE_PV_EOI_PENDING) &&
	     !(s->pv_eoi_msr & VAPIC_PV_EOI_MSR_ENABLE)))
		return VAPIC_ESTATE;
	if (s->reserved2)
		return VAPIC_ESTATE;
	if (s->flags != (l->flags & STATE_FEATURES))
		return VAPIC_ESTATE; /* other features: not this LAPIC's */
	if (s->x2apic_id != l->x2apic_id || s->xapic_id > 0xff)
		return VAPIC_ESTATE;
	/* IA32_APIC_BASE: reserved bits, the invalid state. */
	if (!(l->flags & VAPIC_LAPIC_F_X2APIC))
		rsvd |= VAPIC_APIC_BASE_EXTD;
	if (s->apic_base & rsvd)
		return VAPIC_ESTATE;
	if ((s->apic_base & VAPIC_APIC_BASE_EXTD) &&
	    !(s->apic_base & VAPIC_APIC_BASE_EN))
		return VAPIC_ESTATE;
	mode = !(s->apic_base & VAPIC_APIC_BASE_EN)    ? VAPIC_APIC_DISABLED
	       : (s->apic_base & VAPIC_APIC_BASE_EXTD) ? VAPIC_APIC_X2APIC
						       : VAPIC_APIC_XAPIC;
	/* Registers: only bits the hardware can hold. */
	svr_mask = VAPIC_SVR_VECTOR_MASK | VAPIC_SVR_ENABLE |
		   VAPIC_SVR_FOCUS_DISABLE;
	if (l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS)
		svr_mask |= VAPIC_SVR_EOI_SUPPRESS;
	if (s->tpr > 0xff || (s->svr & ~svr_mask) ||
	    (s->esr & ~LAPIC_ESR_VALID) || (s->esr_pending & ~LAPIC_ESR_VALID))
		return VAPIC_ESTATE;
	if (mode == VAPIC_APIC_X2APIC) {
		if (s->ldr != x2apic_ldr_(s->x2apic_id))
			return VAPIC_ESTATE;
	} else if (s->ldr & 0x00ffffffU) {
		return VAPIC_ESTATE;
	}
	/*
	 * DFR: bits 27:0 read as ones.  The model nibble holds what the
	 * guest wrote, also a value the SDM defines no model for (decoded
	 * as cluster, lapic_icr.c): a record must restore what save saw.
	 */
	if ((s->dfr | LAPIC_DFR_MODEL_MASK) != LAPIC_DFR_RESET)
		return VAPIC_ESTATE;
	if (s->icr_lo & ~VAPIC_ICR_LO_WRITABLE)
		return VAPIC_ESTATE;
	if (mode != VAPIC_APIC_X2APIC && (s->icr_hi & 0x00ffffffU))
		return VAPIC_ESTATE;
	sw_disabled = !(s->svr & VAPIC_SVR_ENABLE);
	for (i = 0; i < VAPIC_LVT_NR; i++) {
		u32 ok = lvt_writable_((enum vapic_lvt)i);

		if (i == VAPIC_LVT_LINT0 || i == VAPIC_LVT_LINT1)
			ok |= VAPIC_LVT_REMOTE_IRR;
		if (s->lvt[i] & ~ok)
			return VAPIC_ESTATE;
		if (sw_disabled && !(s->lvt[i] & VAPIC_LVT_MASKED))
			return VAPIC_ESTATE;
	}
	if (!maps_valid(s))
		return VAPIC_ESTATE;
	if ((s->events & ~VAPIC_EVENT_ALL) || s->sipi_vector > 0xff ||
	    (!(s->events & VAPIC_EVENT_SIPI) && s->sipi_vector) ||
	    (s->lint_level & ~3U))
		return VAPIC_ESTATE;
	/* The timer's view of SVR bit 8 must agree with SVR. */
	if (!!(s->timer.flags & VAPIC_TSTATE_SW_DISABLED) != sw_disabled)
		return VAPIC_ESTATE;
	/*
	 * A disabled APIC holds only power-up values, but TPR: it is CR8,
	 * which the guest may write (and read back) in any APIC state
	 * (vapic_lapic_set_cr8(); SDM "Task Priority in IA-32e Mode").
	 */
	if (mode == VAPIC_APIC_DISABLED &&
	    (s->svr != LAPIC_SVR_RESET ||
	     (s->irr[7] | s->irr[6] | s->irr[5] | s->irr[4] | s->irr[3] |
	      s->irr[2] | s->irr[1] | s->irr[0]) ||
	     (s->isr[7] | s->isr[6] | s->isr[5] | s->isr[4] | s->isr[3] |
	      s->isr[2] | s->isr[1] | s->isr[0])))
		return VAPIC_ESTATE;
	return 0;
}

VAPIC_API int vapic_lapic_restore(struct vapic_lapic *l,
				  const struct vapic_lapic_state *s)
{
	u32 *pv_word = NULL;
	int i, r, rt;

	if (!l || !s)
		return VAPIC_EINVAL;
	r = validate(l, s);
	if (r)
		return r;
	if (s->pv_eoi_msr & VAPIC_PV_EOI_MSR_ENABLE) {
		pv_word = lapic_pv_eoi_map_(l, s->pv_eoi_msr, &r);
		if (!pv_word)
			return r;
	}
	/* Validates the timer record; leaves the timer untouched on error. */
	rt = vapic_timer_restore(&l->timer, &s->timer);
	if (rt && rt != VAPIC_EHOST) {
		if (pv_word)
			l->ops->unmap_guest(l->host, pv_word, sizeof(u32));
		return rt;
	}
	/* The old word's flag belongs to the state being replaced: no EOI. */
	l->pv_eoi_pending = 0;
	lapic_pv_eoi_install_(l, s->pv_eoi_msr, pv_word,
			      s->pv_eoi_flags & VAPIC_LAPIC_STATE_PV_EOI_PENDING);
	l->apic_base = s->apic_base;
	VAPIC_WRITE_ONCE(l->mode, !(s->apic_base & VAPIC_APIC_BASE_EN)
					  ? VAPIC_APIC_DISABLED
				  : (s->apic_base & VAPIC_APIC_BASE_EXTD)
					  ? VAPIC_APIC_X2APIC
					  : VAPIC_APIC_XAPIC);
	VAPIC_WRITE_ONCE(l->xapic_id, s->xapic_id);
	VAPIC_WRITE_ONCE(l->tpr, s->tpr);
	VAPIC_WRITE_ONCE(l->ldr, s->ldr);
	VAPIC_WRITE_ONCE(l->dfr, s->dfr);
	VAPIC_WRITE_ONCE(l->svr, s->svr);
	l->esr = s->esr;
	VAPIC_WRITE_ONCE(l->esr_pending, s->esr_pending);
	l->icr_lo = s->icr_lo;
	l->icr_hi = s->icr_hi;
	for (i = 0; i < VAPIC_LVT_NR; i++)
		VAPIC_WRITE_ONCE(l->lvt[i], s->lvt[i]);
	for (i = 0; i < 8; i++) {
		VAPIC_WRITE_ONCE(l->irr[i], s->irr[i]);
		VAPIC_WRITE_ONCE(l->isr[i], s->isr[i]);
		VAPIC_WRITE_ONCE(l->tmr[i], s->tmr[i]);
	}
	isr_recompute_(l);
	l->sipi_vector = s->sipi_vector;
	VAPIC_WRITE_ONCE(l->events, s->events);
	l->lint_level = s->lint_level;
	l->eoi_vector = 0;
	return rt;
}
