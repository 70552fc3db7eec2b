// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Local APIC register file: acceptance, priority, EOI, ESR, SVR, LVTs, and
 * the routing of the timer registers to struct vapic_timer.
 *
 * Intel SDM vol. 3A, "Advanced Programmable Interrupt Controller (APIC)":
 * "Local APIC State After Power-Up or Reset", "Local Vector Table",
 * "Error Handling", "Interrupt, Task, and Processor Priority",
 * "Spurious Interrupt".
 */
#include "internal.h"
#include <vapic/errors.h>
#include <vapic/lapic.h>

const struct vapic_stat_desc vapic_lapic_stat_descs[] = {
#define D(f) { "lapic_" #f, (u32)__builtin_offsetof(struct vapic_lapic_stats, f), 1 }
	D(accepted), D(merged), D(injected), D(eoi), D(illegal_vector),
	D(error_irqs),
#undef D
};
const uint32_t vapic_lapic_stat_ndescs = VAPIC_ARRAY_SIZE(vapic_lapic_stat_descs);

#define DFR_RESET 0xffffffffU
#define DFR_MODEL_MASK 0xf0000000U
#define SVR_RESET 0x000000ffU

/* Writable bits of each non-timer LVT entry. */
static const u32 lvt_writable[VAPIC_LVT_NR] = {
	[VAPIC_LVT_CMCI] = VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_DELIVERY_MODE_MASK |
			   VAPIC_LVT_MASKED,
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

/* ---------------------------------------------------------------------- */
/* Vector bitmaps                                                         */

static inline u32 vbit(u32 v)
{
	return 1U << (v & 31);
}

static inline bool vtest(const u32 *map, u32 v)
{
	return VAPIC_READ_ONCE(map[v >> 5]) & vbit(v);
}

/* Highest set vector of a 256-bit map, or -1. */
static int highest_vector(const u32 *map)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = VAPIC_READ_ONCE(map[i]);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

VAPIC_API bool vapic_lapic_sw_enabled(const struct vapic_lapic *l)
{
	return l->svr & VAPIC_SVR_ENABLE;
}

VAPIC_API uint32_t vapic_lapic_ppr(const struct vapic_lapic *l)
{
	int isrv = highest_vector(l->isr);
	u32 tpr = l->tpr & 0xff;

	if (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0))
		return tpr;
	return (u32)isrv & 0xf0;
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

static int accept_fixed(struct vapic_lapic *l, u32 vector, u32 flags,
			bool kick);

/*
 * Record an error in the internal ESR and raise the LVT error interrupt if
 * it is unmasked (SDM "Error Handling").  An illegal vector in the LVT
 * error entry itself only records the error again (no loop).
 */
static void raise_error(struct vapic_lapic *l, u32 esr_bits)
{
	u32 lvt = l->lvt[VAPIC_LVT_ERROR];
	u32 v = lvt & VAPIC_LVT_VECTOR_MASK;

	vapic_atomic_or(&l->esr_pending, esr_bits);
	if ((lvt & VAPIC_LVT_MASKED) || !vapic_lapic_sw_enabled(l))
		return;
	if (v < VAPIC_VECTOR_MIN_LEGAL) {
		vapic_atomic_or(&l->esr_pending, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	STAT_INC_(l->stats.error_irqs);
	(void)accept_fixed(l, v, 0, true);
}

/* ---------------------------------------------------------------------- */
/* Acceptance                                                             */

static int accept_fixed(struct vapic_lapic *l, u32 vector, u32 flags,
			bool kick)
{
	u32 old;

	if (flags & VAPIC_ACCEPT_LEVEL)
		vapic_atomic_or(&l->tmr[vector >> 5], vbit(vector));
	else
		vapic_atomic_andnot(&l->tmr[vector >> 5], vbit(vector));
	old = vapic_atomic_fetch_or(&l->irr[vector >> 5], vbit(vector));
	if (old & vbit(vector)) {
		STAT_INC_(l->stats.merged);
		return 1;
	}
	STAT_INC_(l->stats.accepted);
	if (kick)
		l->ops->kick(l->host);
	return 0;
}

/* @kick: false only on the vCPU thread itself, which polls right after. */
static int accept_(struct vapic_lapic *l, u32 vector, u32 flags, bool kick)
{
	if (vector > 0xff)
		return VAPIC_EINVAL;
	if (vector < VAPIC_VECTOR_MIN_LEGAL) {
		STAT_INC_(l->stats.illegal_vector);
		raise_error(l, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return VAPIC_ERSVD;
	}
	return accept_fixed(l, vector, flags, kick);
}

VAPIC_API int vapic_lapic_accept(struct vapic_lapic *l, uint32_t vector,
				 uint32_t flags)
{
	return accept_(l, vector, flags, true);
}

/* ---------------------------------------------------------------------- */
/* Init / reset                                                           */

VAPIC_API void vapic_lapic_config_default(struct vapic_lapic_config *cfg,
					  uint32_t apic_id,
					  uint32_t guest_tsc_khz)
{
	cfg->apic_id = apic_id;
	cfg->flags = VAPIC_LAPIC_F_CMCI;
	vapic_timer_config_default(&cfg->timer, guest_tsc_khz);
}

static void reset_regs(struct vapic_lapic *l)
{
	int i;

	l->version = VAPIC_VERSION_DEFAULT;
	if (!(l->flags & VAPIC_LAPIC_F_CMCI))
		l->version = (l->version & ~0x00ff0000U) | (5U << 16);
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = DFR_RESET;
	l->svr = SVR_RESET;
	l->esr = 0;
	VAPIC_WRITE_ONCE(l->esr_pending, 0);
	l->icr_lo = 0;
	l->icr_hi = 0;
	for (i = 0; i < VAPIC_LVT_NR; i++)
		l->lvt[i] = VAPIC_LVT_MASKED;
	for (i = 0; i < 8; i++) {
		VAPIC_WRITE_ONCE(l->irr[i], 0);
		l->isr[i] = 0;
		VAPIC_WRITE_ONCE(l->tmr[i], 0);
	}
	vapic_timer_reset(&l->timer);
	vapic_timer_set_sw_enabled(&l->timer, false);
}

VAPIC_API int vapic_lapic_init(struct vapic_lapic *l,
			       const struct vapic_lapic_config *cfg,
			       const struct vapic_host_ops *ops, void *host)
{
	struct vapic_timer tmp;
	int r;

	if (!l || !cfg)
		return VAPIC_EINVAL;
	if (cfg->flags & ~VAPIC_LAPIC_F_ALL)
		return VAPIC_EINVAL;
	r = vapic_timer_init(&tmp, &cfg->timer, ops, host);
	if (r)
		return r;
	__builtin_memset(l, 0, sizeof(*l));
	l->ops = ops;
	l->host = host;
	l->flags = cfg->flags;
	l->id = cfg->apic_id;
	l->timer = tmp;
	reset_regs(l);
	return 0;
}

VAPIC_API void vapic_lapic_reset(struct vapic_lapic *l)
{
	reset_regs(l);
}

VAPIC_API void vapic_lapic_destroy(struct vapic_lapic *l)
{
	vapic_timer_destroy(&l->timer);
}

/* ---------------------------------------------------------------------- */
/* Register access                                                        */

static void write_svr(struct vapic_lapic *l, u32 val)
{
	u32 mask = VAPIC_SVR_VECTOR_MASK | VAPIC_SVR_ENABLE |
		   VAPIC_SVR_FOCUS_DISABLE;
	bool was = vapic_lapic_sw_enabled(l);
	int i;

	l->svr = val & mask;
	if (was == vapic_lapic_sw_enabled(l))
		return;
	if (!vapic_lapic_sw_enabled(l)) {
		/* SDM: software disable sets every LVT mask bit. */
		for (i = 0; i < VAPIC_LVT_NR; i++)
			l->lvt[i] |= VAPIC_LVT_MASKED;
	}
	vapic_timer_set_sw_enabled(&l->timer, vapic_lapic_sw_enabled(l));
}

static void do_eoi(struct vapic_lapic *l)
{
	int v = highest_vector(l->isr);

	if (v < 0)
		return; /* EOI with nothing in service: ignored */
	l->isr[v >> 5] &= ~vbit((u32)v);
	STAT_INC_(l->stats.eoi);
}

VAPIC_API int vapic_lapic_read(struct vapic_lapic *l, uint32_t offset,
			       uint32_t *val)
{
	int idx;

	*val = 0;
	if (offset & 0xf)
		goto illegal;
	switch (offset) {
	case VAPIC_REG_ID:
		*val = l->id << 24;
		return 0;
	case VAPIC_REG_VERSION:
		*val = l->version;
		return 0;
	case VAPIC_REG_TPR:
		*val = l->tpr;
		return 0;
	case VAPIC_REG_APR:
	case VAPIC_REG_RRD:
		return 0;
	case VAPIC_REG_PPR:
		*val = vapic_lapic_ppr(l);
		return 0;
	case VAPIC_REG_LDR:
		*val = l->ldr;
		return 0;
	case VAPIC_REG_DFR:
		*val = l->dfr;
		return 0;
	case VAPIC_REG_SVR:
		*val = l->svr;
		return 0;
	case VAPIC_REG_ESR:
		*val = l->esr;
		return 0;
	case VAPIC_REG_ICR_LO:
		*val = l->icr_lo;
		return 0;
	case VAPIC_REG_ICR_HI:
		*val = l->icr_hi;
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
	if (offset >= VAPIC_REG_ISR0 && offset < VAPIC_REG_ISR0 + 0x80) {
		*val = l->isr[(offset - VAPIC_REG_ISR0) >> 4];
		return 0;
	}
	if (offset >= VAPIC_REG_TMR0 && offset < VAPIC_REG_TMR0 + 0x80) {
		*val = VAPIC_READ_ONCE(l->tmr[(offset - VAPIC_REG_TMR0) >> 4]);
		return 0;
	}
	if (offset >= VAPIC_REG_IRR0 && offset < VAPIC_REG_IRR0 + 0x80) {
		*val = VAPIC_READ_ONCE(l->irr[(offset - VAPIC_REG_IRR0) >> 4]);
		return 0;
	}
	idx = lvt_index(l, offset);
	if (idx >= 0) {
		*val = l->lvt[idx];
		return 0;
	}
illegal:
	raise_error(l, VAPIC_ESR_ILLEGAL_REGISTER);
	return VAPIC_ENOENT;
}

VAPIC_API int vapic_lapic_write(struct vapic_lapic *l, uint32_t offset,
				uint32_t val)
{
	int idx;

	if (offset & 0xf)
		goto illegal;
	switch (offset) {
	case VAPIC_REG_ID:
		l->id = val >> 24;
		return 0;
	case VAPIC_REG_TPR:
		l->tpr = val & 0xff;
		return 0;
	case VAPIC_REG_EOI:
		do_eoi(l);
		return 0;
	case VAPIC_REG_LDR:
		l->ldr = val & 0xff000000U;
		return 0;
	case VAPIC_REG_DFR:
		l->dfr = (val & DFR_MODEL_MASK) | ~DFR_MODEL_MASK;
		return 0;
	case VAPIC_REG_SVR:
		write_svr(l, val);
		return 0;
	case VAPIC_REG_ESR:
		/* Write, then read: latch the errors seen since last time. */
		l->esr = vapic_xchg(&l->esr_pending, 0);
		return 0;
	case VAPIC_REG_ICR_LO:
		l->icr_lo = val;
		return 0;
	case VAPIC_REG_ICR_HI:
		l->icr_hi = val & 0xff000000U;
		return 0;
	case VAPIC_REG_LVT_TIMER:
		return vapic_timer_write_lvtt(&l->timer, val, false);
	case VAPIC_REG_TMICT:
		return vapic_timer_write_tmict(&l->timer, val);
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
		val &= lvt_writable[idx];
		if (!vapic_lapic_sw_enabled(l))
			val |= VAPIC_LVT_MASKED;
		l->lvt[idx] = val;
		return 0;
	}
illegal:
	raise_error(l, VAPIC_ESR_ILLEGAL_REGISTER);
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

/* ---------------------------------------------------------------------- */
/* Delivery                                                               */

VAPIC_API int vapic_lapic_poll(struct vapic_lapic *l, uint32_t *vector,
			       uint64_t *wait_ns)
{
	struct vapic_timer_event ev;
	u32 tv = vapic_timer_read_lvtt(&l->timer) & VAPIC_LVT_VECTOR_MASK;
	u32 flags = vtest(l->irr, tv) ? VAPIC_POLL_VECTOR_BUSY : 0;
	int r, v;

	r = vapic_timer_poll(&l->timer, flags, &ev);
	if (r == VAPIC_TIMER_WAIT) {
		*wait_ns = ev.wait_ns;
		return VAPIC_LAPIC_WAIT;
	}
	/*
	 * The timer's tick goes into IRR from the vCPU thread, which injects
	 * it below: no kick (a self-kick costs the host a spurious exit).
	 */
	if (r == VAPIC_TIMER_INJECT)
		(void)accept_(l, ev.vector, 0, false);
	v = highest_vector(l->irr);
	if (v < 0)
		return VAPIC_LAPIC_NONE;
	if (((u32)v & 0xf0) <= (vapic_lapic_ppr(l) & 0xf0))
		return VAPIC_LAPIC_NONE;
	*vector = (u32)v;
	return VAPIC_LAPIC_INJECT;
}

VAPIC_API int vapic_lapic_injected(struct vapic_lapic *l, uint32_t vector)
{
	if (vector > 0xff || !vtest(l->irr, vector))
		return VAPIC_EINVAL;
	vapic_atomic_andnot(&l->irr[vector >> 5], vbit(vector));
	l->isr[vector >> 5] |= vbit(vector);
	STAT_INC_(l->stats.injected);
	return 0;
}
