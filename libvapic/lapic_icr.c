// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Interprocessor interrupts: sending through the ICR and the x2APIC SELF IPI
 * register, destination matching, receiving, lowest-priority arbitration,
 * MSI decoding.
 *
 * Intel SDM vol. 3A, "Advanced Programmable Interrupt Controller (APIC)":
 * "Interrupt Command Register (ICR)" and its table of valid combinations,
 * "Determining IPI Destination" (physical, logical flat and cluster
 * models, broadcast), "Lowest Priority Delivery Mode", "Error Handling"
 * (send/receive illegal vector), "Interrupt Command Register (ICR) in
 * x2APIC Mode", "Logical Destination Mode in x2APIC Mode", "SELF IPI
 * Register", "Message Signalled Interrupts".
 *
 * The core delivers to its own LAPIC itself (shorthands self and all,
 * or a destination that names the sender); everything else goes to the
 * host's send_ipi op as a struct vapic_ipi.
 */
#include "lapic_internal.h"

/* ---------------------------------------------------------------------- */
/* Destination matching                                                   */

static bool logical_match(const struct vapic_lapic *l,
			  const struct vapic_ipi *ipi)
{
	u32 mode = lapic_mode_(l);
	u32 dest = ipi->dest;
	u32 ldr, dfr;

	if (ipi->x2apic) {
		if (dest == VAPIC_X2APIC_BROADCAST)
			return true;
		if (mode != VAPIC_APIC_X2APIC)
			return false;
		ldr = x2apic_ldr_(l->x2apic_id);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == VAPIC_XAPIC_BROADCAST)
		return true;
	if (mode != VAPIC_APIC_XAPIC)
		return false;
	ldr = VAPIC_READ_ONCE(l->ldr) >> 24;
	dfr = VAPIC_READ_ONCE(l->dfr);
	if ((dfr & LAPIC_DFR_MODEL_MASK) == LAPIC_DFR_FLAT)
		return ldr & dest;
	/* Cluster model: cluster in bits 7:4 (0xf: all), members 3:0. */
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) &&
	       (ldr & dest & 0xf);
}

bool lapic_dest_matches_(const struct vapic_lapic *l,
			 const struct vapic_ipi *ipi)
{
	u32 id;

	switch (ipi->shorthand) {
	case VAPIC_SH_SELF:
		return ipi->src == l;
	case VAPIC_SH_ALL:
		return true;
	case VAPIC_SH_ALL_BUT_SELF:
		/* Lowest priority may come back to the sender (SDM note). */
		return ipi->src != l || ipi->delivery_mode == VAPIC_DM_LOWEST;
	default:
		break;
	}
	if (ipi->logical)
		return logical_match(l, ipi);
	if (ipi->dest ==
	    (ipi->x2apic ? VAPIC_X2APIC_BROADCAST : VAPIC_XAPIC_BROADCAST))
		return true;
	id = lapic_x2apic_(l) ? l->x2apic_id : VAPIC_READ_ONCE(l->xapic_id);
	return ipi->dest == id;
}

VAPIC_API bool vapic_lapic_match_dest(const struct vapic_lapic *l,
				      const struct vapic_ipi *ipi)
{
	if (lapic_mode_(l) == VAPIC_APIC_DISABLED)
		return false;
	if (ipi->src == l && ipi->delivery_mode != VAPIC_DM_LOWEST)
		return false; /* the core delivered to the sender itself */
	return lapic_dest_matches_(l, ipi);
}

VAPIC_API struct vapic_lapic *
vapic_lapic_lowest_priority(struct vapic_lapic *const *cands, uint32_t n,
			    uint32_t vector)
{
	struct vapic_lapic *best = NULL;
	u32 best_apr = 0, best_id = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		struct vapic_lapic *c = cands[i];
		u32 apr, id;

		/* Focus processor: the vector is already pending/in service. */
		if (vector >= VAPIC_VECTOR_MIN_LEGAL && vector <= 0xff &&
		    !(VAPIC_READ_ONCE(c->svr) & VAPIC_SVR_FOCUS_DISABLE) &&
		    (vtest_(c->isr, vector) || vtest_(c->irr, vector)))
			return c;
		apr = vapic_lapic_apr(c);
		id = vapic_lapic_id(c);
		if (!best || apr < best_apr ||
		    (apr == best_apr && id < best_id)) {
			best = c;
			best_apr = apr;
			best_id = id;
		}
	}
	return best;
}

/* ---------------------------------------------------------------------- */
/* Receiving                                                              */

/* Returns accept's result (0 new, 1 merged) or a negative error. */
static int receive(struct vapic_lapic *l, const struct vapic_ipi *ipi,
		   bool kick)
{
	u32 ev;

	if (ipi->vector > 0xff)
		return VAPIC_EINVAL;
	switch (ipi->delivery_mode) {
	case VAPIC_DM_FIXED:
	case VAPIC_DM_LOWEST:
		if (lapic_mode_(l) == VAPIC_APIC_DISABLED) {
			STAT_INC_(l->stats.dropped);
			return VAPIC_EBUSY;
		}
		if (ipi->vector < VAPIC_VECTOR_MIN_LEGAL) {
			STAT_INC_(l->stats.illegal_vector);
			lapic_raise_error_(l, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
			return VAPIC_ERSVD;
		}
		if (!vapic_lapic_sw_enabled(l)) {
			STAT_INC_(l->stats.dropped);
			return VAPIC_EBUSY;
		}
		return lapic_accept_fixed_(l, ipi->vector, ipi->level, kick);
	case VAPIC_DM_SMI:
		ev = VAPIC_EVENT_SMI;
		break;
	case VAPIC_DM_NMI:
		ev = VAPIC_EVENT_NMI;
		break;
	case VAPIC_DM_INIT:
		ev = VAPIC_EVENT_INIT;
		break;
	case VAPIC_DM_SIPI:
		ev = VAPIC_EVENT_SIPI;
		break;
	case VAPIC_DM_EXTINT:
		ev = VAPIC_EVENT_EXTINT;
		break;
	default:
		return VAPIC_EINVAL;
	}
	if (lapic_mode_(l) == VAPIC_APIC_DISABLED)
		return VAPIC_EBUSY;
	lapic_raise_event_(l, ev, ipi->vector, kick);
	return 0;
}

VAPIC_API int vapic_lapic_receive(struct vapic_lapic *l,
				  const struct vapic_ipi *ipi)
{
	return receive(l, ipi, true);
}

/* ---------------------------------------------------------------------- */
/* Sending                                                                */

static int self_deliver(struct vapic_lapic *l, const struct vapic_ipi *ipi)
{
	int r = receive(l, ipi, false);

	STAT_INC_(l->stats.ipi_self);
	if (r == 0)
		return ipi->delivery_mode <= VAPIC_DM_LOWEST
			       ? VAPIC_LAPIC_ACT_POLL
			       : VAPIC_LAPIC_ACT_EVENT;
	return 0;
}

/* Does the message, besides the sender, possibly reach another LAPIC? */
static bool reaches_others(const struct vapic_lapic *l,
			   const struct vapic_ipi *ipi)
{
	if (ipi->shorthand == VAPIC_SH_SELF)
		return false;
	if (ipi->shorthand != VAPIC_SH_NONE || ipi->logical)
		return true;
	/* Physical unicast to our own ID: IDs are unique. */
	return ipi->dest == (ipi->x2apic ? VAPIC_X2APIC_BROADCAST
					 : VAPIC_XAPIC_BROADCAST) ||
	       ipi->dest != vapic_lapic_id(l);
}

int lapic_send_icr_(struct vapic_lapic *l, u32 icr_lo, u32 dest)
{
	struct vapic_ipi ipi;
	bool x2 = lapic_x2apic_(l);
	u32 dm = (icr_lo & VAPIC_ICR_DM_MASK) >> VAPIC_ICR_DM_SHIFT;
	bool self, lowest = dm == VAPIC_DM_LOWEST;
	int act = 0, r;

	STAT_INC_(l->stats.ipi_sent);
	ipi.vector = icr_lo & VAPIC_ICR_VECTOR_MASK;
	ipi.delivery_mode = (u8)dm;
	ipi.shorthand = (u8)((icr_lo & VAPIC_ICR_SHORTHAND_MASK) >>
			     VAPIC_ICR_SHORTHAND_SHIFT);
	ipi.logical = !!(icr_lo & VAPIC_ICR_DEST_LOGICAL);
	/* IPIs are edge-triggered whatever the trigger bit says. */
	ipi.level = 0;
	ipi.x2apic = x2;
	ipi.reserved[0] = ipi.reserved[1] = ipi.reserved[2] = 0;
	ipi.dest = x2 ? dest : dest & 0xff;
	ipi.src = l;
	/*
	 * Does the sender take it?  Lowest priority: here only when it is the
	 * only possible target (self shorthand, or a physical destination
	 * naming the sender: IDs are unique); else the host arbitrates, the
	 * sender included.
	 */
	self = lowest ? ipi.shorthand == VAPIC_SH_SELF ||
				(ipi.shorthand == VAPIC_SH_NONE &&
				 !reaches_others(l, &ipi))
		      : lapic_dest_matches_(l, &ipi);

	switch (dm) {
	case VAPIC_DM_RESERVED3:
	case VAPIC_DM_EXTINT: /* reserved in the ICR */
		STAT_INC_(l->stats.ipi_invalid);
		return 0;
	case VAPIC_DM_INIT:
		if ((icr_lo & VAPIC_ICR_TRIGGER_LEVEL) &&
		    !(icr_lo & VAPIC_ICR_LEVEL_ASSERT)) {
			/* INIT level de-assert: not supported since the
			 * Pentium 4; no message. */
			STAT_INC_(l->stats.ipi_invalid);
			return 0;
		}
		break;
	case VAPIC_DM_SIPI:
	case VAPIC_DM_NMI:
	case VAPIC_DM_SMI:
		break;
	default: /* fixed, lowest priority */
		if (VAPIC_UNLIKELY(ipi.vector < VAPIC_VECTOR_MIN_LEGAL)) {
			/* Sent anyway: each receiver logs its own error. */
			u32 esr = VAPIC_ESR_SEND_ILLEGAL_VECTOR;

			STAT_INC_(l->stats.illegal_vector);
			if (self) {
				esr |= VAPIC_ESR_RECV_ILLEGAL_VECTOR;
				STAT_INC_(l->stats.ipi_self);
			}
			lapic_raise_error_(l, esr);
			goto others;
		}
		break;
	}
	if (self)
		act |= self_deliver(l, &ipi);
others:
	if (!reaches_others(l, &ipi))
		return act;
	if (VAPIC_UNLIKELY(!l->ops->send_ipi)) {
		STAT_INC_(l->stats.ipi_failed);
		return act;
	}
	r = l->ops->send_ipi(l->host, &ipi);
	if (VAPIC_UNLIKELY(r < 0))
		STAT_INC_(l->stats.ipi_failed);
	else
		STAT_INC_(l->stats.ipi_host);
	return act;
}

int lapic_self_ipi_(struct vapic_lapic *l, u32 vector)
{
	STAT_INC_(l->stats.ipi_sent);
	STAT_INC_(l->stats.ipi_self);
	if (VAPIC_UNLIKELY(vector < VAPIC_VECTOR_MIN_LEGAL)) {
		/* SDM "Error Handling": both send and receive illegal. */
		STAT_INC_(l->stats.illegal_vector);
		lapic_raise_error_(l, VAPIC_ESR_SEND_ILLEGAL_VECTOR |
					      VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return 0;
	}
	if (!vapic_lapic_sw_enabled(l)) {
		STAT_INC_(l->stats.dropped);
		return 0;
	}
	return lapic_accept_fixed_(l, vector, false, false) == 0
		       ? VAPIC_LAPIC_ACT_POLL
		       : 0;
}

/* ---------------------------------------------------------------------- */
/* MSI                                                                    */

VAPIC_API int vapic_ipi_from_msi(struct vapic_ipi *ipi, uint64_t addr,
				 uint32_t data)
{
	u32 dm = (data >> 8) & 7;

	if ((addr & 0xfffffffffff00000ULL) != 0xfee00000ULL)
		return VAPIC_EINVAL;
	if (dm == VAPIC_DM_RESERVED3 || dm == VAPIC_DM_SIPI)
		return VAPIC_EINVAL;
	__builtin_memset(ipi, 0, sizeof(*ipi));
	ipi->vector = data & 0xff;
	ipi->logical = !!(addr & 0x4);
	/* Redirection hint with logical mode: lowest priority in the group. */
	if (dm == VAPIC_DM_FIXED && (addr & 0x8) && ipi->logical)
		dm = VAPIC_DM_LOWEST;
	ipi->delivery_mode = (u8)dm;
	ipi->shorthand = VAPIC_SH_NONE;
	ipi->level = (dm <= VAPIC_DM_LOWEST) && (data & 0x8000);
	ipi->dest = (u32)(addr >> 12) & 0xff;
	return 0;
}
