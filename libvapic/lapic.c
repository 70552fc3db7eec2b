// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Local APIC core: init and reset, interrupt acceptance, priority (TPR, APR,
 * PPR), delivery to the guest (poll / injected), EOI, the error status
 * register's error reporting, pending events (NMI, SMI, INIT, SIPI,
 * ExtINT), the LINT pins and the other local interrupt sources.
 *
 * Intel SDM vol. 3A, "Advanced Programmable Interrupt Controller (APIC)":
 * "Local APIC State After Power-Up or Reset", "Local APIC State After an
 * INIT Reset", "Local APIC State After It Has Been Software Disabled",
 * "Local Vector Table", "Error Handling", "Interrupt, Task, and Processor
 * Priority", "Interrupt Acceptance for Fixed Interrupts", "Signaling
 * Interrupt Servicing Completion".
 *
 * The register views are in lapic_regs.c, IPIs in lapic_icr.c,
 * save/restore in lapic_state.c.
 */
#include "lapic_internal.h"

const struct vapic_stat_desc vapic_lapic_stat_descs[] = {
#define D(f)                                                                   \
	{                                                                      \
		"lapic_" #f,                                                   \
			(u32) __builtin_offsetof(struct vapic_lapic_stats, f), \
			1                                                      \
	}
	D(accepted),
	D(merged),
	D(injected),
	D(eoi),
	D(illegal_vector),
	D(error_irqs),
	D(eoi_broadcast),
	D(dropped),
	D(ipi_sent),
	D(ipi_self),
	D(ipi_host),
	D(ipi_failed),
	D(ipi_invalid),
	D(nmi),
	D(init),
	D(sipi),
	D(smi),
	D(extint),
	D(gp),
	D(mmio_ignored),
	D(apic_base_writes),
	D(pv_eoi_set),
	D(pv_eoi_skipped),
	D(pv_eoi_unused),
	D(pv_eoi_msr_writes),
#undef D
};
const uint32_t vapic_lapic_stat_ndescs =
	VAPIC_ARRAY_SIZE(vapic_lapic_stat_descs);

VAPIC_BUILD_BUG_ON(sizeof(struct vapic_lapic_stats) != 25 * sizeof(uint64_t));

/* ---------------------------------------------------------------------- */
/* Priority                                                               */

VAPIC_API bool vapic_lapic_sw_enabled(const struct vapic_lapic *l)
{
	return VAPIC_READ_ONCE(l->svr) & VAPIC_SVR_ENABLE;
}

VAPIC_API uint32_t vapic_lapic_id(const struct vapic_lapic *l)
{
	return lapic_x2apic_(l) ? l->x2apic_id : VAPIC_READ_ONCE(l->xapic_id);
}

VAPIC_API uint32_t vapic_lapic_ppr(const struct vapic_lapic *l)
{
	return lapic_ppr_(l);
}

VAPIC_API uint32_t vapic_lapic_apr(const struct vapic_lapic *l)
{
	u32 tpr = VAPIC_READ_ONCE(l->tpr) & 0xff;
	int irrv = highest_vector_(l->irr);
	int isrv = VAPIC_READ_ONCE(l->isr_top);
	u32 irrc = irrv < 0 ? 0 : ((u32)irrv & 0xf0);
	u32 isrc = isrv < 0 ? 0 : ((u32)isrv & 0xf0);
	u32 m;

	if ((tpr & 0xf0) >= irrc && (tpr & 0xf0) > isrc)
		return tpr;
	m = tpr & 0xf0;
	if (isrc > m)
		m = isrc;
	if (irrc > m)
		m = irrc;
	return m;
}

VAPIC_API int vapic_lapic_set_cr8(struct vapic_lapic *l, uint64_t cr8)
{
	u32 old = l->tpr;

	if (cr8 > 15)
		return VAPIC_ERSVD;
	/* SDM "Task Priority in IA-32e Mode": TPR[7:4] = CR8[3:0], TPR[3:0]
	 * = 0. */
	VAPIC_WRITE_ONCE(l->tpr, (u32)cr8 << 4);
	return l->tpr < old ? VAPIC_LAPIC_ACT_POLL : 0;
}

VAPIC_API uint64_t vapic_lapic_cr8(const struct vapic_lapic *l)
{
	return (l->tpr >> 4) & 0xf;
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

/*
 * Record an error in the internal ESR and raise the LVT error interrupt if
 * it is unmasked (SDM "Error Handling").  An illegal vector in the LVT
 * error entry itself only records the error again (no loop).
 */
void lapic_raise_error_(struct vapic_lapic *l, u32 esr_bits)
{
	u32 lvt = VAPIC_READ_ONCE(l->lvt[VAPIC_LVT_ERROR]);
	u32 v = lvt & VAPIC_LVT_VECTOR_MASK;

	vapic_atomic_or(&l->esr_pending, esr_bits);
	if ((lvt & VAPIC_LVT_MASKED) || !lapic_enabled_(l))
		return;
	if (v < VAPIC_VECTOR_MIN_LEGAL) {
		vapic_atomic_or(&l->esr_pending, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	STAT_INC_(l->stats.error_irqs);
	(void)lapic_accept_fixed_(l, v, false, true);
}

/* ---------------------------------------------------------------------- */
/* Acceptance                                                             */

/*
 * A fixed interrupt for this LAPIC: from another thread (@kick) or from a
 * local source on the vCPU thread.  Checks in the SDM's order: no APIC at
 * all when globally disabled; illegal vector (ESR works while software
 * disabled); discarded while software disabled.
 */
static int accept_checked(struct vapic_lapic *l, u32 vector, bool level,
			  bool kick)
{
	if (VAPIC_UNLIKELY(lapic_mode_(l) == VAPIC_APIC_DISABLED)) {
		STAT_INC_(l->stats.dropped);
		return VAPIC_EBUSY;
	}
	if (VAPIC_UNLIKELY(vector < VAPIC_VECTOR_MIN_LEGAL)) {
		STAT_INC_(l->stats.illegal_vector);
		lapic_raise_error_(l, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return VAPIC_ERSVD;
	}
	if (VAPIC_UNLIKELY(!(VAPIC_READ_ONCE(l->svr) & VAPIC_SVR_ENABLE))) {
		STAT_INC_(l->stats.dropped);
		return VAPIC_EBUSY;
	}
	return lapic_accept_fixed_(l, vector, level, kick);
}

VAPIC_API int vapic_lapic_accept(struct vapic_lapic *l, uint32_t vector,
				 uint32_t flags)
{
	if (vector > 0xff)
		return VAPIC_EINVAL;
	return accept_checked(l, vector, flags & VAPIC_ACCEPT_LEVEL, true);
}

/* ---------------------------------------------------------------------- */
/* Events                                                                 */

void lapic_raise_event_(struct vapic_lapic *l, u32 event, u32 sipi_vector,
			bool kick)
{
	switch (event) {
	case VAPIC_EVENT_NMI:
		STAT_INC_(l->stats.nmi);
		break;
	case VAPIC_EVENT_SMI:
		STAT_INC_(l->stats.smi);
		break;
	case VAPIC_EVENT_INIT:
		STAT_INC_(l->stats.init);
		break;
	case VAPIC_EVENT_SIPI:
		STAT_INC_(l->stats.sipi);
		/* Published by the fully ordered OR below. */
		VAPIC_WRITE_ONCE(l->sipi_vector, sipi_vector & 0xff);
		break;
	default:
		STAT_INC_(l->stats.extint);
		break;
	}
	if (event == VAPIC_EVENT_INIT) {
		const u32 lost = VAPIC_EVENT_NMI | VAPIC_EVENT_SIPI;
		u32 old;

		/*
		 * INIT resets the CPU: an NMI or a SIPI raised before it and
		 * not taken yet goes with the reset (as KVM's INIT drops a
		 * pending NMI; a SIPI that came before the wait-for-SIPI state
		 * is ignored), one raised after it stays.  The VMM takes the
		 * bits at once and cannot see their order.  Fully ordered, as
		 * the OR below.
		 */
		do {
			old = VAPIC_READ_ONCE(l->events);
		} while (!vapic_cmpxchg32(&l->events, old,
					  (old & ~lost) | VAPIC_EVENT_INIT));
	} else {
		vapic_atomic_or(&l->events, event);
	}
	if (kick)
		l->ops->kick(l->host);
}

VAPIC_API uint32_t vapic_lapic_pending_events(const struct vapic_lapic *l)
{
	return vapic_load_acquire(&l->events);
}

VAPIC_API uint32_t vapic_lapic_take_events(struct vapic_lapic *l, uint32_t mask,
					   uint32_t *sipi_vector)
{
	u32 old;

	mask &= VAPIC_EVENT_ALL;
	do {
		old = VAPIC_READ_ONCE(l->events);
		if (!(old & mask))
			return 0;
	} while (!vapic_cmpxchg32(&l->events, old, old & ~mask));
	if (sipi_vector && (old & mask & VAPIC_EVENT_SIPI))
		*sipi_vector = VAPIC_READ_ONCE(l->sipi_vector);
	return old & mask;
}

/* ---------------------------------------------------------------------- */
/* Local interrupt sources: LVT entries and the LINT pins                 */

/* Deliver a local interrupt per an LVT entry's delivery mode (edge). */
static int deliver_lvt(struct vapic_lapic *l, u32 lvt)
{
	u32 v = lvt & VAPIC_LVT_VECTOR_MASK;

	if (lvt & VAPIC_LVT_MASKED)
		return 0;
	switch ((lvt & VAPIC_LVT_DELIVERY_MODE_MASK) >>
		VAPIC_LVT_DELIVERY_MODE_SHIFT) {
	case VAPIC_DM_FIXED:
		return accept_checked(l, v, false, false) == 0
			       ? VAPIC_LAPIC_ACT_POLL
			       : 0;
	case VAPIC_DM_SMI:
		lapic_raise_event_(l, VAPIC_EVENT_SMI, 0, false);
		return VAPIC_LAPIC_ACT_EVENT;
	case VAPIC_DM_NMI:
		lapic_raise_event_(l, VAPIC_EVENT_NMI, 0, false);
		return VAPIC_LAPIC_ACT_EVENT;
	case VAPIC_DM_INIT:
		lapic_raise_event_(l, VAPIC_EVENT_INIT, 0, false);
		return VAPIC_LAPIC_ACT_EVENT;
	case VAPIC_DM_EXTINT:
		lapic_raise_event_(l, VAPIC_EVENT_EXTINT, 0, false);
		return VAPIC_LAPIC_ACT_EVENT;
	default:
		return 0; /* reserved delivery mode: nothing */
	}
}

VAPIC_API int vapic_lapic_raise_lvt(struct vapic_lapic *l, enum vapic_lvt lvt)
{
	if (lvt != VAPIC_LVT_THERMAL && lvt != VAPIC_LVT_PMC &&
	    lvt != VAPIC_LVT_CMCI)
		return VAPIC_EINVAL;
	if (lvt == VAPIC_LVT_CMCI && !(l->flags & VAPIC_LAPIC_F_CMCI))
		return VAPIC_EINVAL;
	if (lapic_mode_(l) == VAPIC_APIC_DISABLED)
		return 0;
	return deliver_lvt(l, l->lvt[lvt]);
}

/* LINT entry in fixed mode, level-triggered: one interrupt per EOI. */
static int lint_level_fixed(struct vapic_lapic *l, u32 idx)
{
	u32 lvt = l->lvt[idx];

	if ((lvt & VAPIC_LVT_REMOTE_IRR) || (lvt & VAPIC_LVT_MASKED))
		return 0;
	if (accept_checked(l, lvt & VAPIC_LVT_VECTOR_MASK, true, false))
		return 0;
	l->lvt[idx] = lvt | VAPIC_LVT_REMOTE_IRR;
	return VAPIC_LAPIC_ACT_POLL;
}

static bool lvt_is_level_fixed(u32 lvt)
{
	return (lvt & VAPIC_LVT_LEVEL_TRIGGER) &&
	       !(lvt & VAPIC_LVT_DELIVERY_MODE_MASK);
}

VAPIC_API int vapic_lapic_set_lint(struct vapic_lapic *l, uint32_t pin,
				   bool asserted)
{
	u32 bit, idx, lvt;
	bool rising;

	if (pin > 1)
		return VAPIC_EINVAL;
	bit = 1U << pin;
	rising = asserted && !(l->lint_level & bit);
	if (asserted)
		l->lint_level |= bit;
	else
		l->lint_level &= ~bit;
	if (lapic_mode_(l) == VAPIC_APIC_DISABLED) {
		/* No APIC: LINT0 is INTR (level), LINT1 is NMI (edge). */
		if (pin == 0 && asserted) {
			lapic_raise_event_(l, VAPIC_EVENT_EXTINT, 0, false);
			return VAPIC_LAPIC_ACT_EVENT;
		}
		if (pin == 1 && rising) {
			lapic_raise_event_(l, VAPIC_EVENT_NMI, 0, false);
			return VAPIC_LAPIC_ACT_EVENT;
		}
		return 0;
	}
	idx = VAPIC_LVT_LINT0 + pin;
	lvt = l->lvt[idx];
	if (lvt & VAPIC_LVT_MASKED)
		return 0;
	if (lvt_is_level_fixed(lvt))
		return asserted ? lint_level_fixed(l, idx) : 0;
	/* ExtINT is always level-sensitive; everything else edge. */
	if ((lvt & VAPIC_LVT_DELIVERY_MODE_MASK) ==
	    ((u32)VAPIC_DM_EXTINT << VAPIC_LVT_DELIVERY_MODE_SHIFT))
		return asserted ? deliver_lvt(l, lvt) : 0;
	return rising ? deliver_lvt(l, lvt) : 0;
}

/* ---------------------------------------------------------------------- */
/* Init / reset                                                           */

VAPIC_API void vapic_lapic_config_default(struct vapic_lapic_config *cfg,
					  uint32_t apic_id,
					  uint32_t guest_tsc_khz)
{
	cfg->apic_id = apic_id;
	cfg->flags = VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC;
	if (apic_id == 0)
		cfg->flags |= VAPIC_LAPIC_F_BSP;
	cfg->maxphyaddr = 0;
	vapic_timer_config_default(&cfg->timer, guest_tsc_khz);
}

void lapic_reset_regs_(struct vapic_lapic *l)
{
	int i;

	/* Bits 23:16: number of LVT entries minus one. */
	l->version = VAPIC_VERSION_ID |
		     ((l->flags & VAPIC_LAPIC_F_CMCI) ? 6U << 16 : 5U << 16);
	if (l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS)
		l->version |= VAPIC_VERSION_EOI_SUPPRESS;
	VAPIC_WRITE_ONCE(l->tpr, 0);
	/* In x2APIC mode the LDR is a function of the x2APIC ID. */
	VAPIC_WRITE_ONCE(l->ldr,
			 lapic_x2apic_(l) ? x2apic_ldr_(l->x2apic_id) : 0);
	VAPIC_WRITE_ONCE(l->dfr, LAPIC_DFR_RESET);
	VAPIC_WRITE_ONCE(l->svr, LAPIC_SVR_RESET);
	l->esr = 0;
	VAPIC_WRITE_ONCE(l->esr_pending, 0);
	l->icr_lo = 0;
	l->icr_hi = 0;
	for (i = 0; i < VAPIC_LVT_NR; i++)
		VAPIC_WRITE_ONCE(l->lvt[i], VAPIC_LVT_MASKED);
	for (i = 0; i < 8; i++) {
		VAPIC_WRITE_ONCE(l->irr[i], 0);
		VAPIC_WRITE_ONCE(l->isr[i], 0);
		VAPIC_WRITE_ONCE(l->tmr[i], 0);
	}
	l->isr_words = 0;
	VAPIC_WRITE_ONCE(l->isr_top, -1);
	l->eoi_vector = 0;
	vapic_timer_reset(&l->timer);
	vapic_timer_set_sw_enabled(&l->timer, false);
}

static void power_on(struct vapic_lapic *l)
{
	l->apic_base = VAPIC_APIC_BASE_DEFAULT | VAPIC_APIC_BASE_EN;
	if (l->flags & VAPIC_LAPIC_F_BSP)
		l->apic_base |= VAPIC_APIC_BASE_BSP;
	VAPIC_WRITE_ONCE(l->mode, VAPIC_APIC_XAPIC);
	VAPIC_WRITE_ONCE(l->xapic_id, l->x2apic_id & 0xff);
	VAPIC_WRITE_ONCE(l->events, 0);
	l->sipi_vector = 0;
	l->lint_level = 0;
	lapic_reset_regs_(l);
}

VAPIC_API int vapic_lapic_init(struct vapic_lapic *l,
			       const struct vapic_lapic_config *cfg,
			       const struct vapic_host_ops *ops, void *host)
{
	struct vapic_timer tmp;
	u32 maxphy;
	int r;

	if (!l || !cfg)
		return VAPIC_EINVAL;
	if (cfg->flags & ~VAPIC_LAPIC_F_ALL)
		return VAPIC_EINVAL;
	maxphy = cfg->maxphyaddr ? cfg->maxphyaddr : VAPIC_MAXPHYADDR_DEFAULT;
	if (maxphy < 24 || maxphy > 52)
		return VAPIC_ERANGE;
	r = vapic_timer_init(&tmp, &cfg->timer, ops, host);
	if (r)
		return r;
	__builtin_memset(l, 0, sizeof(*l));
	l->ops = ops;
	l->host = host;
	l->flags = cfg->flags;
	l->maxphyaddr = maxphy;
	l->x2apic_id = cfg->apic_id;
	l->timer = tmp;
	power_on(l);
	return 0;
}

VAPIC_API void vapic_lapic_reset(struct vapic_lapic *l)
{
	lapic_pv_eoi_reset_(l);
	lapic_reset_regs_(l);
}

VAPIC_API void vapic_lapic_power_reset(struct vapic_lapic *l)
{
	lapic_pv_eoi_reset_(l);
	power_on(l);
}

VAPIC_API void vapic_lapic_destroy(struct vapic_lapic *l)
{
	lapic_pv_eoi_reset_(l);
	vapic_timer_destroy(&l->timer);
}

/* ---------------------------------------------------------------------- */
/* Delivery to the guest                                                  */

VAPIC_NOINLINE int lapic_poll_fast_leaf_(struct vapic_lapic *l, u64 now)
{
	return lapic_poll_fast_(l, now);
}

VAPIC_API int vapic_lapic_poll(struct vapic_lapic *l, uint32_t *vector,
			       uint64_t *wait_ns)
{
	u64 now = timer_now_tsc_(&l->timer);
	int r = lapic_poll_fast_(l, now);

	if (VAPIC_LIKELY(r >= 0 && r < LAPIC_FAST_NONE)) {
		*vector = (u32)r;
		return VAPIC_LAPIC_INJECT;
	}
	if (r == LAPIC_FAST_NONE)
		return VAPIC_LAPIC_NONE;
	return lapic_poll_at_(l, vector, wait_ns, now);
}

/* The general poll (lapic_poll_fast_() has the timer's fast path). */
VAPIC_NOINLINE int lapic_poll_at_(struct vapic_lapic *l, u32 *vector,
				  u64 *wait_ns, u64 now)
{
	struct vapic_timer_event ev;
	unsigned int n = 0;
	bool refused;
	int r, v;

	/*
	 * Move every due timer tick into IRR: usually one, but a tick of an
	 * earlier LVT vector may wait beside the current one (timer.c,
	 * park_other_vector()), and both must reach IRR before the guest
	 * runs.  A tick the LAPIC refuses (illegal vector: ESR) leaves
	 * nothing to inject, so the timer is asked again: the running target
	 * may have fired behind it, inside its advance window, and its WAIT
	 * must reach the host (no host timer is armed for it any more; a
	 * NONE would strand it).  Bounded: two slots and the running target.
	 */
	do {
		u32 tv = l->timer.lvtt & VAPIC_LVT_VECTOR_MASK;

		/* The first round at @now, a later one at its own time. */
		if (n)
			now = timer_now_tsc_(&l->timer);
		r = timer_poll_at_(&l->timer,
				   vtest_(l->irr, tv) ? VAPIC_POLL_VECTOR_BUSY :
							0,
				   now, &ev);
		if (VAPIC_UNLIKELY(r == VAPIC_TIMER_WAIT)) {
			*wait_ns = ev.wait_ns;
			return VAPIC_LAPIC_WAIT;
		}
		if (r == VAPIC_TIMER_NONE)
			break;
		refused = accept_checked(l, ev.vector, false, false) < 0;
	} while (VAPIC_UNLIKELY((l->timer.pending | l->timer.pending_old) ||
				refused) &&
		 ++n < 3);
	v = highest_vector_(l->irr);
	if (v < 0 || ((u32)v & 0xf0) <= (lapic_ppr_(l) & 0xf0))
		return VAPIC_LAPIC_NONE;
	*vector = (u32)v;
	return VAPIC_LAPIC_INJECT;
}

VAPIC_API int vapic_lapic_injected(struct vapic_lapic *l, uint32_t vector)
{
	u32 w = vector >> 5, b = vbit_(vector);

	if (vector > 0xff || !(VAPIC_READ_ONCE(l->irr[w]) & b))
		return VAPIC_EINVAL;
	vapic_atomic_andnot(&l->irr[w], b);
	VAPIC_WRITE_ONCE(l->isr[w], l->isr[w] | b);
	l->isr_words |= 1U << w;
	if ((s32)vector > l->isr_top)
		VAPIC_WRITE_ONCE(l->isr_top, (s32)vector);
	STAT_INC_(l->stats.injected);
	return 0;
}

/*
 * An EOI register write.  A PV EOI flag the host set for the last entry is
 * settled first, as the after-exit call does (KVM syncs the flag on exit,
 * before it handles the write): if the guest skipped an EOI through it,
 * that one is performed, then this one.
 */
VAPIC_API int vapic_lapic_eoi(struct vapic_lapic *l)
{
	int act = 0;

	if (VAPIC_UNLIKELY(l->pv_eoi_pending))
		act = lapic_pv_eoi_settle_(l);
	return act | lapic_eoi_now_(l);
}

int lapic_eoi_now_(struct vapic_lapic *l)
{
	int v = l->isr_top;
	int act = 0;
	u32 i;

	if (v < 0)
		return 0; /* EOI with nothing in service: ignored */
	VAPIC_WRITE_ONCE(l->isr[v >> 5], l->isr[v >> 5] & ~vbit_((u32)v));
	if (!l->isr[v >> 5])
		l->isr_words &= ~(1U << (v >> 5));
	VAPIC_WRITE_ONCE(l->isr_top, isr_highest_(l));
	STAT_INC_(l->stats.eoi);
	if (VAPIC_UNLIKELY(vtest_(l->tmr, (u32)v))) {
		/* Level-triggered: a LINT entry waiting for this EOI. */
		for (i = VAPIC_LVT_LINT0; i <= VAPIC_LVT_LINT1; i++) {
			u32 lvt = l->lvt[i];

			if (!(lvt & VAPIC_LVT_REMOTE_IRR) ||
			    (lvt & VAPIC_LVT_VECTOR_MASK) != (u32)v)
				continue;
			l->lvt[i] = lvt & ~VAPIC_LVT_REMOTE_IRR;
			if (l->lint_level & (1U << (i - VAPIC_LVT_LINT0)))
				act |= lint_level_fixed(l, i);
		}
		if (!((l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS) &&
		      (l->svr & VAPIC_SVR_EOI_SUPPRESS))) {
			l->eoi_vector = (u32)v;
			STAT_INC_(l->stats.eoi_broadcast);
			act |= VAPIC_LAPIC_ACT_EOI;
		}
	}
	for (i = 0; i < 8; i++) {
		if (VAPIC_READ_ONCE(l->irr[i])) {
			act |= VAPIC_LAPIC_ACT_POLL;
			break;
		}
	}
	return act;
}

VAPIC_API uint32_t vapic_lapic_eoi_vector(const struct vapic_lapic *l)
{
	return l->eoi_vector;
}
