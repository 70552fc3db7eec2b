// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Local APIC register views: the xAPIC MMIO page, the x2APIC MSRs, and
 * IA32_APIC_BASE with its mode transitions.
 *
 * Intel SDM vol. 3A, "Advanced Programmable Interrupt Controller (APIC)":
 * "Local APIC Register Address Map" (32-bit accesses to 16-byte aligned
 * registers), "Local APIC Status and Location" (IA32_APIC_BASE), "x2APIC
 * Register Address Space", "Reserved Bit Checking", "x2APIC State
 * Transitions", "Logical Destination Mode in x2APIC Mode", "Error
 * Handling" (ESR write-then-read), "Spurious-Interrupt Vector Register".
 */
#include "lapic_internal.h"

/* Writable bits of each non-timer LVT entry. */
static const u32 lvt_writable[VAPIC_LVT_NR] = {
	[VAPIC_LVT_CMCI] = VAPIC_LVT_VECTOR_MASK |
			   VAPIC_LVT_DELIVERY_MODE_MASK | VAPIC_LVT_MASKED,
	[VAPIC_LVT_THERMAL] = VAPIC_LVT_VECTOR_MASK |
			      VAPIC_LVT_DELIVERY_MODE_MASK | VAPIC_LVT_MASKED,
	[VAPIC_LVT_PMC] = VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_DELIVERY_MODE_MASK |
			  VAPIC_LVT_MASKED,
	[VAPIC_LVT_LINT0] = VAPIC_LVT_VECTOR_MASK |
			    VAPIC_LVT_DELIVERY_MODE_MASK |
			    VAPIC_LVT_PIN_POLARITY | VAPIC_LVT_LEVEL_TRIGGER |
			    VAPIC_LVT_MASKED,
	[VAPIC_LVT_LINT1] = VAPIC_LVT_VECTOR_MASK |
			    VAPIC_LVT_DELIVERY_MODE_MASK |
			    VAPIC_LVT_PIN_POLARITY | VAPIC_LVT_LEVEL_TRIGGER |
			    VAPIC_LVT_MASKED,
	[VAPIC_LVT_ERROR] = VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_MASKED,
};

u32 lvt_writable_(enum vapic_lvt idx)
{
	return lvt_writable[idx];
}

/* Read-only bits of an LVT entry: writes to them are ignored, not #GP. */
static u32 lvt_readonly(enum vapic_lvt idx)
{
	if (idx == VAPIC_LVT_LINT0 || idx == VAPIC_LVT_LINT1)
		return VAPIC_LVT_DELIVERY_STATUS | VAPIC_LVT_REMOTE_IRR;
	return VAPIC_LVT_DELIVERY_STATUS;
}

/* x2APIC ICR: reserved bits 12 (no delivery status), 13, 16, 17, 20-31. */
#define X2APIC_ICR_RSVD 0x00000000fff33000ULL

/* LVT index of a register offset, or -1. */
static int lvt_index(const struct vapic_lapic *l, u32 off)
{
	switch (off) {
	case VAPIC_REG_LVT_CMCI:
		return (l->flags & VAPIC_LAPIC_F_CMCI) ? VAPIC_LVT_CMCI : -1;
	case VAPIC_REG_LVT_THERMAL:
		return VAPIC_LVT_THERMAL;
	case VAPIC_REG_LVT_PMC:
		return VAPIC_LVT_PMC;
	case VAPIC_REG_LVT_LINT0:
		return VAPIC_LVT_LINT0;
	case VAPIC_REG_LVT_LINT1:
		return VAPIC_LVT_LINT1;
	case VAPIC_REG_LVT_ERROR:
		return VAPIC_LVT_ERROR;
	default:
		return -1;
	}
}

static u32 svr_writable(const struct vapic_lapic *l)
{
	u32 m = VAPIC_SVR_VECTOR_MASK | VAPIC_SVR_ENABLE |
		VAPIC_SVR_FOCUS_DISABLE;

	if (l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS)
		m |= VAPIC_SVR_EOI_SUPPRESS;
	return m;
}

/* ---------------------------------------------------------------------- */
/* Writes shared by both views                                            */

static void write_svr(struct vapic_lapic *l, u32 val)
{
	bool was = vapic_lapic_sw_enabled(l);
	bool now;
	int i;

	VAPIC_WRITE_ONCE(l->svr, val & svr_writable(l));
	now = vapic_lapic_sw_enabled(l);
	if (was == now)
		return;
	if (!now) {
		/* SDM: software disable sets every LVT mask bit. */
		for (i = 0; i < VAPIC_LVT_NR; i++)
			VAPIC_WRITE_ONCE(l->lvt[i],
					 l->lvt[i] | VAPIC_LVT_MASKED);
	}
	vapic_timer_set_sw_enabled(&l->timer, now);
}

static void write_lvt(struct vapic_lapic *l, int idx, u32 val)
{
	u32 old = l->lvt[idx];

	val &= lvt_writable[idx];
	if (!vapic_lapic_sw_enabled(l))
		val |= VAPIC_LVT_MASKED;
	/* Remote IRR survives only while the entry stays level + fixed. */
	if ((old & VAPIC_LVT_REMOTE_IRR) && (val & VAPIC_LVT_LEVEL_TRIGGER) &&
	    !(val & VAPIC_LVT_DELIVERY_MODE_MASK))
		val |= VAPIC_LVT_REMOTE_IRR;
	VAPIC_WRITE_ONCE(l->lvt[idx], val);
}

static int write_tpr(struct vapic_lapic *l, u32 val)
{
	u32 old = l->tpr;

	VAPIC_WRITE_ONCE(l->tpr, val & 0xff);
	return (val & 0xff) < old ? VAPIC_LAPIC_ACT_POLL : 0;
}

/* ESR: write, then read: latch the errors seen since the last write. */
static void write_esr(struct vapic_lapic *l)
{
	l->esr = vapic_xchg(&l->esr_pending, 0);
}

/* Registers with the same read in both views (32-bit value), or -1. */
static int read_common(struct vapic_lapic *l, u32 off, u32 *val)
{
	int idx;

	switch (off) {
	case VAPIC_REG_VERSION:
		*val = l->version;
		return 0;
	case VAPIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case VAPIC_REG_PPR:
		*val = vapic_lapic_ppr(l);
		return 0;
	case VAPIC_REG_SVR:
		*val = l->svr;
		return 0;
	case VAPIC_REG_ESR:
		*val = l->esr;
		return 0;
	case VAPIC_REG_LVT_TIMER:
		*val = vapic_timer_read_lvtt(&l->timer);
		return 0;
	case VAPIC_REG_TMICT:
		*val = vapic_timer_read_tmict(&l->timer);
		return 0;
	case VAPIC_REG_TMCCT:
		*val = vapic_timer_read_tmcct(&l->timer);
		return 0;
	case VAPIC_REG_TDCR:
		*val = vapic_timer_read_tdcr(&l->timer);
		return 0;
	default:
		break;
	}
	if (off >= VAPIC_REG_ISR0 && off < VAPIC_REG_ISR0 + 0x80) {
		*val = l->isr[(off - VAPIC_REG_ISR0) >> 4];
		return 0;
	}
	if (off >= VAPIC_REG_TMR0 && off < VAPIC_REG_TMR0 + 0x80) {
		*val = VAPIC_READ_ONCE(l->tmr[(off - VAPIC_REG_TMR0) >> 4]);
		return 0;
	}
	if (off >= VAPIC_REG_IRR0 && off < VAPIC_REG_IRR0 + 0x80) {
		*val = VAPIC_READ_ONCE(l->irr[(off - VAPIC_REG_IRR0) >> 4]);
		return 0;
	}
	idx = lvt_index(l, off);
	if (idx >= 0) {
		*val = l->lvt[idx];
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* xAPIC view                                                             */

VAPIC_API int vapic_lapic_read(struct vapic_lapic *l, uint32_t offset,
			       uint32_t *val)
{
	*val = 0;
	if (VAPIC_UNLIKELY(lapic_mode_(l) != VAPIC_APIC_XAPIC)) {
		*val = 0xffffffffU;
		return VAPIC_ENOTSUP;
	}
	if (offset & 0xf)
		goto illegal;
	switch (offset) {
	case VAPIC_REG_ID:
		*val = l->xapic_id << 24;
		return 0;
	case VAPIC_REG_APR:
		*val = vapic_lapic_apr(l);
		return 0;
	case VAPIC_REG_RRD:
		return 0; /* remote read: never valid, reads 0 */
	case VAPIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case VAPIC_REG_DFR:
		*val = l->dfr;
		return 0;
	case VAPIC_REG_ICR_LO:
		*val = l->icr_lo; /* delivery status 0: idle */
		return 0;
	case VAPIC_REG_ICR_HI:
		*val = l->icr_hi;
		return 0;
	default:
		break;
	}
	if (!read_common(l, offset, val))
		return 0;
illegal:
	lapic_raise_error_(l, VAPIC_ESR_ILLEGAL_REGISTER);
	return VAPIC_ENOENT;
}

VAPIC_API int vapic_lapic_write(struct vapic_lapic *l, uint32_t offset,
				uint32_t val)
{
	int idx;

	if (VAPIC_UNLIKELY(lapic_mode_(l) != VAPIC_APIC_XAPIC))
		return VAPIC_ENOTSUP;
	if (offset & 0xf)
		goto illegal;
	switch (offset) {
	case VAPIC_REG_EOI:
		return vapic_lapic_eoi(l);
	case VAPIC_REG_ICR_LO:
		l->icr_lo = val & VAPIC_ICR_LO_WRITABLE;
		return lapic_send_icr_(l, l->icr_lo,
				       l->icr_hi >> VAPIC_ICR_HI_DEST_SHIFT);
	case VAPIC_REG_TMICT:
		return vapic_timer_write_tmict(&l->timer, val);
	case VAPIC_REG_ID:
		VAPIC_WRITE_ONCE(l->xapic_id, val >> 24);
		return 0;
	case VAPIC_REG_TPR:
		return write_tpr(l, val);
	case VAPIC_REG_LDR:
		VAPIC_WRITE_ONCE(l->ldr, val & 0xff000000U);
		return 0;
	case VAPIC_REG_DFR:
		VAPIC_WRITE_ONCE(l->dfr, (val & LAPIC_DFR_MODEL_MASK) |
						 ~LAPIC_DFR_MODEL_MASK);
		return 0;
	case VAPIC_REG_SVR:
		write_svr(l, val);
		return 0;
	case VAPIC_REG_ESR:
		write_esr(l);
		return 0;
	case VAPIC_REG_ICR_HI:
		l->icr_hi = val & 0xff000000U;
		return 0;
	case VAPIC_REG_LVT_TIMER:
		return vapic_timer_write_lvtt(&l->timer, val, false);
	case VAPIC_REG_TDCR:
		return vapic_timer_write_tdcr(&l->timer, val, false);
	case VAPIC_REG_VERSION:
	case VAPIC_REG_APR:
	case VAPIC_REG_PPR:
	case VAPIC_REG_RRD:
	case VAPIC_REG_TMCCT:
		return 0; /* read-only: writes ignored */
	default:
		break;
	}
	if (offset >= VAPIC_REG_ISR0 && offset < VAPIC_REG_IRR0 + 0x80)
		return 0; /* ISR/TMR/IRR are read-only */
	idx = lvt_index(l, offset);
	if (idx >= 0) {
		write_lvt(l, idx, val);
		return 0;
	}
illegal:
	lapic_raise_error_(l, VAPIC_ESR_ILLEGAL_REGISTER);
	return VAPIC_ENOENT;
}

/* ---------------------------------------------------------------------- */
/* MMIO page                                                              */

VAPIC_API uint64_t vapic_lapic_mmio_base(const struct vapic_lapic *l)
{
	return l->apic_base & VAPIC_APIC_BASE_ADDR_MASK;
}

VAPIC_API bool vapic_lapic_mmio_enabled(const struct vapic_lapic *l)
{
	return lapic_mode_(l) == VAPIC_APIC_XAPIC;
}

VAPIC_API bool vapic_lapic_mmio_match(const struct vapic_lapic *l, uint64_t gpa,
				      uint32_t *offset)
{
	u64 d = gpa - vapic_lapic_mmio_base(l);

	if (d >= VAPIC_XAPIC_PAGE_SIZE)
		return false;
	*offset = (u32)d;
	return true;
}

static u64 ones(u32 size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static bool size_ok(u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

VAPIC_API int vapic_lapic_mmio_read(struct vapic_lapic *l, uint32_t offset,
				    uint32_t size, uint64_t *val)
{
	u32 slot = offset & 0xf, reg;
	int r;

	*val = 0;
	if (VAPIC_WARN_ON(offset >= VAPIC_XAPIC_PAGE_SIZE))
		return VAPIC_EINVAL;
	if (lapic_mode_(l) != VAPIC_APIC_XAPIC) {
		*val = size_ok(size) ? ones(size) : 0;
		return VAPIC_ENOTSUP;
	}
	if (VAPIC_UNLIKELY(!size_ok(size) || slot + size > 16 ||
			   slot + size > 4)) {
		/* Crosses its slot, odd size, or touches bytes 4-15. */
		STAT_INC_(l->stats.mmio_ignored);
		if (!size_ok(size) || slot + size > 16 || slot >= 4)
			return 0;
	}
	r = vapic_lapic_read(l, offset & ~0xfU, &reg);
	/* Bytes 4-15 of the slot read 0. */
	*val = ((u64)reg >> (slot * 8)) & ones(size);
	return r;
}

VAPIC_API int vapic_lapic_mmio_write(struct vapic_lapic *l, uint32_t offset,
				     uint32_t size, uint64_t val)
{
	if (VAPIC_WARN_ON(offset >= VAPIC_XAPIC_PAGE_SIZE))
		return VAPIC_EINVAL;
	if (lapic_mode_(l) != VAPIC_APIC_XAPIC)
		return VAPIC_ENOTSUP;
	if (VAPIC_UNLIKELY(size != 4 || (offset & 0xf))) {
		STAT_INC_(l->stats.mmio_ignored);
		return 0;
	}
	return vapic_lapic_write(l, offset, (u32)val);
}

/* ---------------------------------------------------------------------- */
/* IA32_APIC_BASE                                                         */

VAPIC_API enum vapic_apic_mode vapic_lapic_mode(const struct vapic_lapic *l)
{
	return (enum vapic_apic_mode)lapic_mode_(l);
}

VAPIC_API uint64_t vapic_lapic_apic_base(const struct vapic_lapic *l)
{
	return l->apic_base;
}

static u64 apic_base_reserved(const struct vapic_lapic *l)
{
	u64 r = 0x2ffULL | ~((1ULL << l->maxphyaddr) - 1);

	if (!(l->flags & VAPIC_LAPIC_F_X2APIC))
		r |= VAPIC_APIC_BASE_EXTD;
	return r;
}

static u32 mode_of(u64 base)
{
	if (!(base & VAPIC_APIC_BASE_EN))
		return VAPIC_APIC_DISABLED;
	return (base & VAPIC_APIC_BASE_EXTD) ? VAPIC_APIC_X2APIC
					     : VAPIC_APIC_XAPIC;
}

VAPIC_API int vapic_lapic_set_apic_base(struct vapic_lapic *l, uint64_t val,
					bool host_initiated)
{
	u64 old = l->apic_base;
	u32 from = lapic_mode_(l), to = mode_of(val);

	if (val & apic_base_reserved(l))
		return VAPIC_ERSVD;
	if ((val & VAPIC_APIC_BASE_EXTD) && !(val & VAPIC_APIC_BASE_EN))
		return VAPIC_ERSVD; /* the invalid state EXTD=1, EN=0 */
	if (!host_initiated &&
	    ((from == VAPIC_APIC_X2APIC && to == VAPIC_APIC_XAPIC) ||
	     (from == VAPIC_APIC_DISABLED && to == VAPIC_APIC_X2APIC)))
		return VAPIC_ERSVD; /* illegal transitions of the figure */
	STAT_INC_(l->stats.apic_base_writes);
	l->apic_base = val;
	if (from == to)
		return ((old ^ val) & VAPIC_APIC_BASE_ADDR_MASK)
			       ? VAPIC_LAPIC_ACT_BASE
			       : 0;
	VAPIC_WRITE_ONCE(l->mode, to);
	if (to == VAPIC_APIC_DISABLED || from == VAPIC_APIC_DISABLED ||
	    (from == VAPIC_APIC_X2APIC && to == VAPIC_APIC_XAPIC)) {
		/*
		 * Disabling loses every register but the IDs (SDM "Enabling
		 * or Disabling the Local APIC"); a host-initiated change
		 * between the enabled modes starts from power-up values too.
		 */
		lapic_reset_regs_(l);
	} else {
		/* xAPIC -> x2APIC: the LDR becomes the x2APIC logical ID. */
		VAPIC_WRITE_ONCE(l->ldr, x2apic_ldr_(l->x2apic_id));
		l->icr_hi = 0;
	}
	return VAPIC_LAPIC_ACT_BASE;
}

/* ---------------------------------------------------------------------- */
/* MSR view                                                               */

VAPIC_API bool vapic_lapic_msr_owned(uint32_t msr)
{
	return msr == VAPIC_MSR_APIC_BASE || msr == VAPIC_MSR_TSC_DEADLINE ||
	       msr == VAPIC_MSR_KVM_PV_EOI_EN ||
	       (msr >= VAPIC_MSR_X2APIC_FIRST && msr <= VAPIC_MSR_X2APIC_LAST);
}

static int gp(struct vapic_lapic *l)
{
	STAT_INC_(l->stats.gp);
	return VAPIC_ERSVD;
}

static int x2apic_read(struct vapic_lapic *l, u32 off, u64 *val)
{
	u32 v32;

	switch (off) {
	case VAPIC_REG_ID:
		*val = l->x2apic_id;
		return 0;
	case VAPIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case VAPIC_REG_ICR_LO:
		*val = ((u64)l->icr_hi << 32) | l->icr_lo;
		return 0;
	default:
		break;
	}
	/* EOI and SELF IPI are write-only; APR, RRD, DFR, ICR high absent. */
	if (read_common(l, off, &v32))
		return gp(l);
	*val = v32;
	return 0;
}

static int x2apic_write(struct vapic_lapic *l, u32 off, u64 val)
{
	int idx, r;

	/* Every register but ICR is 32 bits: bits 63:32 are reserved. */
	if ((val >> 32) && off != VAPIC_REG_ICR_LO)
		return gp(l);
	switch (off) {
	case VAPIC_REG_EOI:
		if (val)
			return gp(l);
		return vapic_lapic_eoi(l);
	case VAPIC_REG_ICR_LO:
		if (val & X2APIC_ICR_RSVD)
			return gp(l);
		l->icr_lo = (u32)val;
		l->icr_hi = (u32)(val >> 32);
		return lapic_send_icr_(l, l->icr_lo, l->icr_hi);
	case VAPIC_REG_TMICT:
		return vapic_timer_write_tmict(&l->timer, (u32)val);
	case VAPIC_REG_TPR:
		if (val & ~0xffULL)
			return gp(l);
		return write_tpr(l, (u32)val);
	case VAPIC_REG_SVR:
		if (val & ~(u64)svr_writable(l))
			return gp(l);
		write_svr(l, (u32)val);
		return 0;
	case VAPIC_REG_ESR:
		if (val)
			return gp(l);
		write_esr(l);
		return 0;
	case VAPIC_REG_SELF_IPI:
		if (val & ~0xffULL)
			return gp(l);
		return lapic_self_ipi_(l, (u32)val);
	case VAPIC_REG_LVT_TIMER:
		r = vapic_timer_write_lvtt(&l->timer, (u32)val, true);
		return r == VAPIC_ERSVD ? gp(l) : r;
	case VAPIC_REG_TDCR:
		r = vapic_timer_write_tdcr(&l->timer, (u32)val, true);
		return r == VAPIC_ERSVD ? gp(l) : r;
	default:
		break;
	}
	idx = lvt_index(l, off);
	if (idx >= 0) {
		if (val & ~(u64)(lvt_writable[idx] | lvt_readonly(idx)))
			return gp(l);
		write_lvt(l, idx, (u32)val);
		return 0;
	}
	/* Read-only (ID, version, PPR, LDR, ISR/TMR/IRR, TMCCT), absent in
	 * x2APIC mode (APR, RRD, DFR, ICR high) or undefined. */
	return gp(l);
}

VAPIC_API int vapic_lapic_rdmsr(struct vapic_lapic *l, uint32_t msr,
				uint64_t *val)
{
	*val = 0;
	if (msr >= VAPIC_MSR_X2APIC_FIRST && msr <= VAPIC_MSR_X2APIC_LAST) {
		if (!lapic_x2apic_(l))
			return gp(l);
		return x2apic_read(l, (msr - VAPIC_MSR_X2APIC_FIRST) << 4, val);
	}
	if (msr == VAPIC_MSR_TSC_DEADLINE) {
		if (!(l->timer.cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))
			return gp(l);
		*val = vapic_timer_read_tsc_deadline(&l->timer);
		return 0;
	}
	if (msr == VAPIC_MSR_APIC_BASE) {
		*val = l->apic_base;
		return 0;
	}
	if (msr == VAPIC_MSR_KVM_PV_EOI_EN) {
		if (!(l->flags & VAPIC_LAPIC_F_PV_EOI))
			return gp(l);
		*val = l->pv_eoi_msr;
		return 0;
	}
	return VAPIC_ENOENT;
}

VAPIC_API int vapic_lapic_wrmsr(struct vapic_lapic *l, uint32_t msr,
				uint64_t val)
{
	int r;

	if (msr >= VAPIC_MSR_X2APIC_FIRST && msr <= VAPIC_MSR_X2APIC_LAST) {
		if (!lapic_x2apic_(l))
			return gp(l);
		return x2apic_write(l, (msr - VAPIC_MSR_X2APIC_FIRST) << 4,
				    val);
	}
	if (msr == VAPIC_MSR_TSC_DEADLINE) {
		if (!(l->timer.cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))
			return gp(l);
		return vapic_timer_write_tsc_deadline(&l->timer, val);
	}
	if (msr == VAPIC_MSR_APIC_BASE) {
		r = vapic_lapic_set_apic_base(l, val, false);
		return r == VAPIC_ERSVD ? gp(l) : r;
	}
	if (msr == VAPIC_MSR_KVM_PV_EOI_EN) {
		r = vapic_lapic_write_pv_eoi(l, val);
		return r == VAPIC_ERSVD ? gp(l) : r;
	}
	return VAPIC_ENOENT;
}

VAPIC_API int vapic_lapic_write_tsc_deadline(struct vapic_lapic *l,
					     uint64_t deadline_tsc)
{
	return vapic_timer_write_tsc_deadline(&l->timer, deadline_tsc);
}

VAPIC_API uint64_t vapic_lapic_read_tsc_deadline(struct vapic_lapic *l)
{
	return vapic_timer_read_tsc_deadline(&l->timer);
}
