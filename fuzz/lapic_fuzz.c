// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz target 'lapic': the LAPIC register file (include/vapic/lapic.h,
 * ipi.h) and the fastpath exit dispatcher (include/vapic/fastpath.h) of a
 * three-vCPU guest on the virtual-clock host (adapters/vclock), against the
 * harness's own model of the architecture (Intel SDM vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)": "Local APIC State After
 * Power-Up or Reset", "Local APIC Status and Location" (IA32_APIC_BASE),
 * "x2APIC State Transitions", "x2APIC Register Address Space", "Reserved
 * Bit Checking", "Error Handling", "Task and Processor Priorities",
 * "Interrupt Acceptance for Fixed Interrupts", "EOI Register", "Interrupt
 * Command Register (ICR)", "Determining IPI Destination", "Logical
 * Destination Mode in x2APIC Mode") and of the headers' contracts, not the
 * core's state.
 *
 * Input: a byte script; missing bytes read as 0.  Byte 0 chooses the
 * config (bit 0 CMCI, bit 1 EOI-broadcast suppression, bit 2 no x2APIC,
 * bit 3 BSP, bits 4-5 MAXPHYADDR 36/39/46/52).  Then ops, one byte (op %
 * NR_OPS) plus operands; c is a vCPU (c % 3):
 *   0 c o o s      MMIO load, offset o (12 bits), size s (0..9)
 *   1 c o o s v*4  MMIO store
 *   2 c m          RDMSR 0x800 + m (m 0xff.. picks APIC_BASE / TSC_DL)
 *   3 c m v*8      WRMSR 0x800 + m, value (LVTT vector kept >= 32)
 *   4 c k a        IA32_APIC_BASE: k bits 0-1 mode, bit 2 BSP, bit 3
 *                  reserved bit a, bit 4 address from a, bit 5 host
 *   5 c v v        SVR (the view of the mode)
 *   6 c t h        TPR = t (h & 1: through CR8)
 *   7 c i v*4      LVT entry i (0..5, timer vector kept >= 32)
 *   8 c            ESR write, then read
 *   9 c l*4 d*4    ICR send (xAPIC: high then low; x2APIC: one write)
 *   10 c v         x2APIC SELF IPI (through the view: refused elsewhere)
 *   11 c v f       accept vector v (f & 1: level); f 0x40-0x47: LINT
 *                  pin f >> 1 & 1 to level f >> 2 & 1; f 0x48-0x4f: raise
 *                  LVT thermal / PMC / CMCI / (refused) LINT0 by v & 3
 *   12 c           poll and inject
 *   13 c           EOI (the view of the mode)
 *   14 c k x       save + restore (k: 0 in place, else mutate byte x ^ k)
 *   15 c k         INIT (k & 1: power-up RESET; k & 2: take events)
 *   16 c k ...     one fastpath exit (kind k, build_exit()), checked
 *                  against the slow path from the same state
 *                  (save/restore twin), or live (below)
 *   17 c d         time passes: d * 2^(d & 7) ns
 *
 * Oracle, after every op, for every vCPU (abort on a violation):
 *  - IRR/ISR/TMR/TPR/PPR/ESR/LDR/DFR/SVR/ICR/LVT/ID/version read back in
 *    the view of the mode exactly as the model says (the model's PPR is the
 *    SDM's; reserved bits zero); the vector the core injects is the model's
 *    highest IRR above PPR's class; vectors 0-15 never pending; EOI retires
 *    the model's highest ISR (ACT_EOI exactly for level vectors unless
 *    suppressed); errors latch in ESR per the SDM, and raise the LVT error
 *    interrupt;
 *  - x2APIC MSRs: refused (#GP) exactly as the model of reserved bits,
 *    read-only, write-only and absent registers says;
 *  - IA32_APIC_BASE: exactly the SDM's legal transitions accepted (host
 *    writes: any valid state), refused ones leave the LAPIC byte for byte
 *    untouched; entering/leaving disabled resets the registers, xAPIC ->
 *    x2APIC derives the LDR;
 *  - IPIs: the vCPUs that take each message, its mode and vector equal the
 *    model's destination set (physical, logical flat / cluster, x2APIC
 *    cluster, broadcast, shorthands; lowest priority: one of the set);
 *  - fastpath: the dispatcher and the slow path (the register call, then
 *    vapic_lapic_poll() when it says so) from the same saved state end in
 *    the same saved record and send the same messages; the result and
 *    actions are the ones the header gives for the slow path's outcome.
 *    Timer, window, kick and HLT exits while the host timer's expiry is
 *    in flight, and preemption-timer exits (only at an armed host timer's
 *    expiry), run live (saving would take the expiry the timer fire +
 *    inject path needs): a poll right after must agree.  A wait never
 *    exceeds the advance.
 *    Every exit's accounting (struct vapic_exit_stats) is the header's;
 *  - save/restore: a record restores to the same record; a mutated record
 *    is refused with the LAPIC untouched, or restores to a state whose
 *    registers are architecturally possible and read back as the record;
 *  - no VAPIC_WARN_ON; determinism: the script runs twice and every output
 *    must repeat.
 * Timer interrupts are not modeled here (the 'timer' target's job): a tick
 * of the programmed LVT timer vector that appears in IRR is adopted.
 * FUZZ_LAPIC_TRACE=1 in the environment prints each op.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/fastpath.h>
#include <vapic/lapic.h>

#include "fuzz.h"
#include "vapic_user.h"
#include "vclock.h"

#define NR_CPU 3
#define MAX_OPS 2048
#define NR_OPS 18
#define MAX_MSGS 16

struct reached {
	bool xapic, x2apic, disabled, base_refused, base_host, mmio_odd,
		mmio_reserved, msr_gp, phys, flat, cluster, x2_logical,
		broadcast, sh_self, sh_all, sh_others, ipi_event, lowest,
		illegal_vector, self_ipi, injected, eoi_level, tpr_blocked,
		esr_latched, error_irq, sw_disabled, restored, mutated_ok,
		mutated_refused, init, fp_inject, fp_host, fp_slow, fp_gp,
		fp_icr, fp_tscd, fp_preempt, fp_timer_inject, fp_live,
		timer_tick, timer_tick_merged, lint, lint_remote_irr, raise_lvt,
		lvt_event;
	uint64_t ops, msgs, injections;
};

static struct reached last_reached;

/* The harness's model of one LAPIC. */
struct mlapic {
	uint64_t base;
	uint32_t mode;
	uint32_t x2id, xid;
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
	uint32_t lvt[VAPIC_LVT_NR];
	bool irr[256], isr[256], tmr[256];
	uint32_t events, sipi_vector;
	uint32_t lint_level; /* bit n: LINTn asserted (kept across INIT) */
	uint32_t lvtt_vector; /* what the harness last wrote */
	/*
	 * Every vector LVTT held since the last reset: a tick that came due
	 * before a vector change carries the old vector (the count reached
	 * zero then), and reaches IRR at the next poll.
	 */
	bool timer_vec[256];
};

struct msg {
	struct vapic_ipi ipi;
	uint32_t src;
};

struct fz {
	const uint8_t *p;
	size_t n, i;
	unsigned int op_index;
	const char *op_str;
	bool trace;
	struct vclock_vm *vm;
	struct vapic_lapic *l[NR_CPU];
	struct vapic_fastpath fp[NR_CPU];
	uint64_t
		merged[NR_CPU]; /* the LAPIC's stats.merged at the last check */
	struct mlapic m[NR_CPU];
	uint32_t flags, maxphy;
	struct msg q[MAX_MSGS];
	unsigned int nq;
	bool q_overflow;
	bool via_mmio; /* xAPIC writes through vapic_lapic_mmio_write() */
	struct reached rc;
	uint64_t digest;
};

/* ---------------------------------------------------------------------- */
/* Failure reporting, input, digest                                       */

#define fail(fz, ...) \
	fuzz_fail("lapic_fuzz", (fz)->op_index, (fz)->op_str, __VA_ARGS__)
#define trace(fz, ...) fuzz_trace((fz)->trace, __VA_ARGS__)

static uint8_t get8(struct fz *fz)
{
	return fz->i < fz->n ? fz->p[fz->i++] : 0;
}

static uint32_t get32(struct fz *fz)
{
	uint32_t v = 0;
	int k;

	for (k = 0; k < 4; k++)
		v |= (uint32_t)get8(fz) << (8 * k);
	return v;
}

static uint64_t get64(struct fz *fz)
{
	uint64_t lo = get32(fz);

	return lo | (uint64_t)get32(fz) << 32;
}

static void out(struct fz *fz, uint64_t v)
{
	int k;

	for (k = 0; k < 8; k++) {
		fz->digest ^= (v >> (8 * k)) & 0xff;
		fz->digest *= 0x100000001b3ULL;
	}
}

/* ---------------------------------------------------------------------- */
/* The model                                                              */

FUZZ_ORACLE static int mhighest(const bool *map)
{
	int v;

	for (v = 255; v >= 0; v--)
		if (map[v])
			return v;
	return -1;
}

static bool m_enabled(const struct mlapic *m)
{
	return m->mode != VAPIC_APIC_DISABLED && (m->svr & VAPIC_SVR_ENABLE);
}

/* SDM "Processor Priority Register (PPR)". */
FUZZ_ORACLE static uint32_t m_ppr(const struct mlapic *m)
{
	int isrv = mhighest(m->isr);
	uint32_t isr_class = isrv < 0 ? 0 : ((uint32_t)isrv >> 4);
	uint32_t tpr_class = m->tpr >> 4;

	if (tpr_class >= isr_class)
		return m->tpr;
	return isr_class << 4;
}

/* SDM "Arbitration Priority Register (APR)". */
FUZZ_ORACLE static uint32_t m_apr(const struct mlapic *m)
{
	int irrv = mhighest(m->irr), isrv = mhighest(m->isr);
	uint32_t irr_c = irrv < 0 ? 0 : (uint32_t)irrv >> 4;
	uint32_t isr_c = isrv < 0 ? 0 : (uint32_t)isrv >> 4;
	uint32_t tpr_c = m->tpr >> 4, c;

	if (tpr_c >= irr_c && tpr_c > isr_c)
		return m->tpr;
	c = tpr_c > isr_c ? tpr_c : isr_c;
	c = c > irr_c ? c : irr_c;
	return c << 4;
}

static uint32_t m_x2ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xf));
}

static uint32_t m_version(const struct fz *fz)
{
	uint32_t v = VAPIC_VERSION_ID;

	v |= (fz->flags & VAPIC_LAPIC_F_CMCI) ? 6U << 16 : 5U << 16;
	if (fz->flags & VAPIC_LAPIC_F_EOI_SUPPRESS)
		v |= VAPIC_VERSION_EOI_SUPPRESS;
	return v;
}

static uint32_t m_svr_writable(const struct fz *fz)
{
	uint32_t w = 0x3ffU;

	if (fz->flags & VAPIC_LAPIC_F_EOI_SUPPRESS)
		w |= VAPIC_SVR_EOI_SUPPRESS;
	return w;
}

/* SDM "Local Vector Table": the writable bits of each entry. */
static uint32_t m_lvt_writable(unsigned int i)
{
	uint32_t w = VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_MASKED;

	if (i == VAPIC_LVT_ERROR)
		return w;
	w |= VAPIC_LVT_DELIVERY_MODE_MASK;
	if (i == VAPIC_LVT_LINT0 || i == VAPIC_LVT_LINT1)
		w |= VAPIC_LVT_PIN_POLARITY | VAPIC_LVT_LEVEL_TRIGGER;
	return w;
}

/* Power-up values of everything but the IDs and the base (SDM). */
static void m_reset_regs(struct mlapic *m)
{
	int i;

	m->tpr = 0;
	m->ldr = m->mode == VAPIC_APIC_X2APIC ? m_x2ldr(m->x2id) : 0;
	m->dfr = 0xffffffffU;
	m->svr = 0xff;
	m->esr = m->esr_pending = 0;
	m->icr_lo = m->icr_hi = 0;
	for (i = 0; i < VAPIC_LVT_NR; i++)
		m->lvt[i] = VAPIC_LVT_MASKED;
	memset(m->irr, 0, sizeof(m->irr));
	memset(m->isr, 0, sizeof(m->isr));
	memset(m->tmr, 0, sizeof(m->tmr));
	m->lvtt_vector = 0;
	memset(m->timer_vec, 0, sizeof(m->timer_vec));
}

static void m_power_up(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];

	memset(m, 0, sizeof(*m));
	m->x2id = c;
	m->xid = c;
	m->base = VAPIC_APIC_BASE_DEFAULT | VAPIC_APIC_BASE_EN |
		  ((fz->flags & VAPIC_LAPIC_F_BSP) ? VAPIC_APIC_BASE_BSP : 0);
	m->mode = VAPIC_APIC_XAPIC;
	m_reset_regs(m);
}

/* An edge/level fixed vector into IRR, no checks (accept_fixed). */
static int m_accept_fixed(struct mlapic *m, uint32_t v, bool level)
{
	bool was = m->irr[v];

	m->tmr[v] = level;
	m->irr[v] = true;
	return was;
}

/* SDM "Error Handling": latch, and the LVT error interrupt. */
static void m_error(struct fz *fz, struct mlapic *m, uint32_t bits)
{
	uint32_t lvt = m->lvt[VAPIC_LVT_ERROR], v = lvt & 0xff;

	m->esr_pending |= bits;
	if ((lvt & VAPIC_LVT_MASKED) || !m_enabled(m))
		return;
	if (v < 16) {
		m->esr_pending |= VAPIC_ESR_RECV_ILLEGAL_VECTOR;
		return;
	}
	fz->rc.error_irq = true;
	m_accept_fixed(m, v, false);
}

/* vapic_lapic_accept(): the return code the header gives. */
static int m_accept(struct fz *fz, struct mlapic *m, uint32_t v, bool level)
{
	if (m->mode == VAPIC_APIC_DISABLED)
		return VAPIC_EBUSY;
	if (v < 16) {
		fz->rc.illegal_vector = true;
		m_error(fz, m, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return VAPIC_ERSVD;
	}
	if (!(m->svr & VAPIC_SVR_ENABLE))
		return VAPIC_EBUSY;
	return m_accept_fixed(m, v, level);
}

static uint32_t dm_event(uint32_t dm)
{
	switch (dm) {
	case VAPIC_DM_SMI:
		return VAPIC_EVENT_SMI;
	case VAPIC_DM_NMI:
		return VAPIC_EVENT_NMI;
	case VAPIC_DM_INIT:
		return VAPIC_EVENT_INIT;
	case VAPIC_DM_SIPI:
		return VAPIC_EVENT_SIPI;
	default:
		return 0;
	}
}

/*
 * Event @ev raised on @m: an INIT drops the NMI and SIPI raised before it
 * (they go with the reset).
 */
static void m_raise(struct mlapic *m, uint32_t ev)
{
	if (ev == VAPIC_EVENT_INIT)
		m->events &= ~(VAPIC_EVENT_NMI | VAPIC_EVENT_SIPI);
	m->events |= ev;
}

/* One message taken by @m (vapic_lapic_receive()). */
static void m_receive(struct fz *fz, struct mlapic *m, uint32_t dm,
		      uint32_t vector)
{
	uint32_t ev;

	if (dm <= VAPIC_DM_LOWEST) {
		(void)m_accept(fz, m, vector, false);
		return;
	}
	ev = dm_event(dm);
	if (!ev || m->mode == VAPIC_APIC_DISABLED)
		return;
	fz->rc.ipi_event = true;
	m_raise(m, ev);
	if (ev == VAPIC_EVENT_SIPI)
		m->sipi_vector = vector;
}

/*
 * SDM "Determining IPI Destination": does vCPU @t match destination @dest
 * (@logical) of a message in @x2 format?  (Shorthands aside.)
 */
static bool m_dest_match(struct fz *fz, unsigned int t, bool logical, bool x2,
			 uint32_t dest)
{
	const struct mlapic *m = &fz->m[t];
	uint32_t ldr;

	if (m->mode == VAPIC_APIC_DISABLED)
		return false;
	if (x2 ? dest == 0xffffffffU : dest == 0xff) {
		fz->rc.broadcast = true;
		return true;
	}
	if (!logical) {
		fz->rc.phys = true;
		return dest ==
		       (m->mode == VAPIC_APIC_X2APIC ? m->x2id : m->xid);
	}
	if (x2) {
		fz->rc.x2_logical = true;
		if (m->mode != VAPIC_APIC_X2APIC)
			return false;
		ldr = m_x2ldr(m->x2id);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	if (m->mode != VAPIC_APIC_XAPIC)
		return false;
	ldr = m->ldr >> 24;
	if ((m->dfr >> 28) == 0xf) {
		fz->rc.flat = true;
		return (ldr & dest) != 0;
	}
	fz->rc.cluster = true;
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) &&
	       (ldr & dest & 0xf);
}

/* ---------------------------------------------------------------------- */
/* IPI routing (the host's send_ipi)                                      */

static int host_send_ipi(void *arg, struct vclock_vcpu *src,
			 const struct vapic_ipi *ipi)
{
	struct fz *fz = arg;

	if (fz->nq == MAX_MSGS) {
		fz->q_overflow = true;
		return VAPIC_EBUSY;
	}
	fz->q[fz->nq].ipi = *ipi;
	fz->q[fz->nq].src = src->index;
	fz->nq++;
	fz->rc.msgs++;
	return 0;
}

/*
 * The ICR the guest of vCPU @s wrote (@lo, @dest in the format of the
 * mode) was sent: check the messages the core handed to the host against
 * the model's destination set, deliver them (match_dest + receive), and
 * apply the model's deliveries.  The core delivers to the sender itself.
 */
static void icr_sent(struct fz *fz, unsigned int s, uint32_t lo, uint32_t dest)
{
	struct mlapic *ms = &fz->m[s];
	bool x2 = ms->mode == VAPIC_APIC_X2APIC;
	uint32_t dm = (lo >> 8) & 7, vec = lo & 0xff;
	uint32_t sh = (lo >> 18) & 3;
	bool logical = lo & VAPIC_ICR_DEST_LOGICAL;
	bool set[NR_CPU] = { false };
	unsigned int t, k, nset = 0;
	bool any_msg = false;

	if (!x2)
		dest &= 0xff;
	switch (sh) {
	case VAPIC_SH_SELF:
		fz->rc.sh_self = true;
		break;
	case VAPIC_SH_ALL:
		fz->rc.sh_all = true;
		break;
	case VAPIC_SH_ALL_BUT_SELF:
		fz->rc.sh_others = true;
		break;
	default:
		break;
	}
	/* Reserved delivery modes, INIT level de-assert: no message. */
	if (dm == VAPIC_DM_RESERVED3 || dm == VAPIC_DM_EXTINT ||
	    (dm == VAPIC_DM_INIT && (lo & VAPIC_ICR_TRIGGER_LEVEL) &&
	     !(lo & VAPIC_ICR_LEVEL_ASSERT))) {
		FUZZ_CHECK_EQ(fz, fz->nq, 0);
		return;
	}
	for (t = 0; t < NR_CPU; t++) {
		/*
		 * A physical destination naming the sender names only it
		 * (unique IDs; duplicates are a guest error the SDM leaves
		 * undefined).
		 */
		if (sh == VAPIC_SH_NONE && !logical && t != s &&
		    m_dest_match(fz, s, false, x2, dest) &&
		    dest != (x2 ? 0xffffffffU : 0xffU)) {
			set[t] = false;
			continue;
		}
		switch (sh) {
		case VAPIC_SH_SELF:
			set[t] = t == s;
			break;
		case VAPIC_SH_ALL:
			set[t] = fz->m[t].mode != VAPIC_APIC_DISABLED;
			break;
		case VAPIC_SH_ALL_BUT_SELF:
			set[t] = t != s && fz->m[t].mode != VAPIC_APIC_DISABLED;
			break;
		default:
			set[t] = m_dest_match(fz, t, logical, x2, dest);
			break;
		}
		nset += set[t];
	}
	if (dm <= VAPIC_DM_LOWEST && vec < 16) {
		/* SDM "Error Handling": the sender logs send illegal. */
		fz->rc.illegal_vector = true;
		m_error(fz, ms, VAPIC_ESR_SEND_ILLEGAL_VECTOR);
	}
	/* The messages the host got: one, from s, in the sender's format. */
	for (k = 0; k < fz->nq; k++) {
		const struct vapic_ipi *ipi = &fz->q[k].ipi;

		FUZZ_CHECK_EQ(fz, fz->q[k].src, s);
		FUZZ_CHECK_EQ(fz, ipi->delivery_mode, dm);
		FUZZ_CHECK_EQ(fz, ipi->x2apic, x2);
		FUZZ_CHECK_EQ(fz, ipi->level, 0);
		any_msg = true;
	}
	FUZZ_CHECK(fz, fz->nq <= 1);
	if (dm == VAPIC_DM_LOWEST) {
		/*
		 * Lowest priority: exactly one of the set takes it (the
		 * sender's self shorthand: the sender).
		 */
		fz->rc.lowest = true;
		if (sh == VAPIC_SH_SELF ||
		    (sh == VAPIC_SH_NONE && !logical && set[s] &&
		     dest != (x2 ? 0xffffffffU : 0xffU))) {
			/*
			 * The sender is the only target (a physical ID names
			 * one LAPIC: the core assumes unique IDs, as the SDM
			 * requires of software): delivered to itself.
			 */
			FUZZ_CHECK_EQ(fz, fz->nq, 0);
			if (vec < 16)
				m_error(fz, ms, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
			else
				m_receive(fz, ms, dm, vec);
			return;
		}
		/*
		 * All-but-self with lowest priority may pick the sender
		 * (the header's arbitration includes it).
		 */
		if (sh == VAPIC_SH_ALL_BUT_SELF && ms->mode)
			nset += !set[s], set[s] = true;
		if (!any_msg) {
			FUZZ_CHECK_EQ(fz, nset, 0);
			return;
		}
		{
			struct vapic_lapic *cands[NR_CPU], *win;
			unsigned int nc = 0;

			for (t = 0; t < NR_CPU; t++) {
				bool mt = vapic_lapic_match_dest(fz->l[t],
								 &fz->q[0].ipi);

				if (mt != set[t])
					fail(fz,
					     "lowest: match_dest(%u) %d, "
					     "model %d",
					     t, mt, set[t]);
				if (mt)
					cands[nc++] = fz->l[t];
			}
			win = vapic_lapic_lowest_priority(cands, nc, vec);
			if (!nc) {
				FUZZ_CHECK(fz, win == NULL);
				return;
			}
			for (t = 0; t < NR_CPU; t++)
				if (win == fz->l[t])
					break;
			FUZZ_CHECK(fz, t < NR_CPU && set[t]);
			(void)vapic_lapic_receive(win, &fz->q[0].ipi);
			m_receive(fz, &fz->m[t], dm, vec);
		}
		return;
	}
	/* The sender's own delivery is the core's; others go to the host. */
	if (set[s]) {
		if (dm <= VAPIC_DM_LOWEST && vec < 16)
			m_error(fz, ms, VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		else
			m_receive(fz, ms, dm, vec);
	}
	for (t = 0; t < NR_CPU; t++) {
		bool mt;

		if (t == s)
			continue;
		mt = any_msg && vapic_lapic_match_dest(fz->l[t], &fz->q[0].ipi);
		if (mt != set[t])
			fail(fz,
			     "ICR %#x dest %#x from %u: vCPU %u takes it: "
			     "%d, model %d",
			     lo, dest, s, t, mt, set[t]);
		if (!mt)
			continue;
		(void)vapic_lapic_receive(fz->l[t], &fz->q[0].ipi);
		m_receive(fz, &fz->m[t], dm, vec);
	}
	if (fz->q_overflow)
		fail(fz, "message queue overflow");
}

/* ---------------------------------------------------------------------- */
/* Register writes: the model and the core, in both views                 */

enum view { V_XAPIC = 0, V_X2APIC = 1 };

/* The model's EOI (SDM "EOI Register"); returns ACT_EOI or 0. */
/*
 * An LVT entry delivers (SDM "Local Vector Table"; lapic.h,
 * vapic_lapic_set_lint(), vapic_lapic_raise_lvt()): masked, nothing; fixed
 * mode accepts the vector edge-triggered (*@poll when it newly entered
 * IRR); NMI, SMI, INIT and ExtINT raise their event (ACT_EVENT); the
 * reserved modes (001, 011, 110) nothing.
 */
static int m_deliver_lvt(struct fz *fz, struct mlapic *m, uint32_t lvt,
			 bool *poll)
{
	uint32_t dm = (lvt & VAPIC_LVT_DELIVERY_MODE_MASK) >>
		      VAPIC_LVT_DELIVERY_MODE_SHIFT;
	uint32_t ev;

	if (lvt & VAPIC_LVT_MASKED)
		return 0;
	switch (dm) {
	case VAPIC_DM_FIXED:
		if (m_accept(fz, m, lvt & VAPIC_LVT_VECTOR_MASK, false) == 0)
			*poll = true;
		return 0;
	case VAPIC_DM_NMI:
	case VAPIC_DM_SMI:
	case VAPIC_DM_INIT:
		ev = dm_event(dm);
		break;
	case VAPIC_DM_EXTINT:
		ev = VAPIC_EVENT_EXTINT;
		break;
	default:
		return 0;
	}
	fz->rc.lvt_event = true;
	m_raise(m, ev);
	return VAPIC_LAPIC_ACT_EVENT;
}

/*
 * LINT entry @idx, fixed and level-triggered, with its pin asserted: one
 * interrupt (TMR set) per EOI of its vector, remote IRR set meanwhile.
 */
static void m_lint_level_fixed(struct fz *fz, struct mlapic *m, int idx,
			       bool *poll)
{
	uint32_t lvt = m->lvt[idx];

	if (lvt & (VAPIC_LVT_REMOTE_IRR | VAPIC_LVT_MASKED))
		return;
	if (m_accept(fz, m, lvt & VAPIC_LVT_VECTOR_MASK, true))
		return; /* refused, or merged into a pending IRR bit */
	fz->rc.lint_remote_irr = true;
	m->lvt[idx] = lvt | VAPIC_LVT_REMOTE_IRR;
	*poll = true;
}

/*
 * LINT pin @pin goes to level @asserted.  APIC globally disabled: LINT0 is
 * INTR (ExtINT while asserted), LINT1 NMI (rising edge).  Otherwise per the
 * entry: fixed level-triggered as above; ExtINT level-sensitive (while
 * asserted); everything else on the rising edge.
 */
static int m_set_lint(struct fz *fz, struct mlapic *m, uint32_t pin,
		      bool asserted, bool *poll)
{
	uint32_t bit = 1U << pin, lvt, dm;
	bool rising = asserted && !(m->lint_level & bit);

	if (asserted)
		m->lint_level |= bit;
	else
		m->lint_level &= ~bit;
	if (m->mode == VAPIC_APIC_DISABLED) {
		if (pin == 0 && asserted)
			m->events |= VAPIC_EVENT_EXTINT;
		else if (pin == 1 && rising)
			m->events |= VAPIC_EVENT_NMI;
		else
			return 0;
		fz->rc.lvt_event = true;
		return VAPIC_LAPIC_ACT_EVENT;
	}
	lvt = m->lvt[VAPIC_LVT_LINT0 + pin];
	dm = (lvt & VAPIC_LVT_DELIVERY_MODE_MASK) >>
	     VAPIC_LVT_DELIVERY_MODE_SHIFT;
	if (lvt & VAPIC_LVT_MASKED)
		return 0;
	if ((lvt & VAPIC_LVT_LEVEL_TRIGGER) && dm == VAPIC_DM_FIXED) {
		if (asserted)
			m_lint_level_fixed(fz, m, VAPIC_LVT_LINT0 + (int)pin,
					   poll);
		return 0;
	}
	if (dm == VAPIC_DM_EXTINT ? asserted : rising)
		return m_deliver_lvt(fz, m, lvt, poll);
	return 0;
}

static int m_eoi(struct fz *fz, struct mlapic *m, uint32_t *eoi_vec)
{
	int v = mhighest(m->isr), i;
	bool poll = false;

	if (v < 0)
		return 0;
	m->isr[v] = false;
	if (!m->tmr[v])
		return 0;
	fz->rc.eoi_level = true;
	/* A LINT entry waiting for this EOI: again if its pin is asserted. */
	for (i = VAPIC_LVT_LINT0; i <= VAPIC_LVT_LINT1; i++) {
		if (!(m->lvt[i] & VAPIC_LVT_REMOTE_IRR) ||
		    (m->lvt[i] & VAPIC_LVT_VECTOR_MASK) != (uint32_t)v)
			continue;
		m->lvt[i] &= ~VAPIC_LVT_REMOTE_IRR;
		if (m->lint_level & (1U << (i - VAPIC_LVT_LINT0)))
			m_lint_level_fixed(fz, m, i, &poll);
	}
	if ((fz->flags & VAPIC_LAPIC_F_EOI_SUPPRESS) &&
	    (m->svr & VAPIC_SVR_EOI_SUPPRESS))
		return 0;
	*eoi_vec = (uint32_t)v;
	return VAPIC_LAPIC_ACT_EOI;
}

static void m_write_svr(struct fz *fz, struct mlapic *m, uint32_t val)
{
	int i;

	m->svr = val & m_svr_writable(fz);
	if (!(m->svr & VAPIC_SVR_ENABLE)) {
		fz->rc.sw_disabled = true;
		for (i = 0; i < VAPIC_LVT_NR; i++)
			m->lvt[i] |= VAPIC_LVT_MASKED;
	}
}

/*
 * A non-timer LVT entry write: the writable bits; masked while software
 * disabled; remote IRR (only a record sets it here) stays while the entry
 * stays fixed and level-triggered.
 */
static void m_write_lvt(struct mlapic *m, int idx, uint32_t val)
{
	val &= m_lvt_writable((unsigned int)idx);
	if (!(m->svr & VAPIC_SVR_ENABLE))
		val |= VAPIC_LVT_MASKED;
	if ((m->lvt[idx] & VAPIC_LVT_REMOTE_IRR) &&
	    (val & VAPIC_LVT_LEVEL_TRIGGER) &&
	    !(val & VAPIC_LVT_DELIVERY_MODE_MASK))
		val |= VAPIC_LVT_REMOTE_IRR;
	m->lvt[idx] = val;
}

static int lvt_of(const struct fz *fz, uint32_t off)
{
	switch (off) {
	case VAPIC_REG_LVT_CMCI:
		return (fz->flags & VAPIC_LAPIC_F_CMCI) ? VAPIC_LVT_CMCI : -1;
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

static bool is_timer_reg(uint32_t off)
{
	return off == VAPIC_REG_LVT_TIMER || off == VAPIC_REG_TMICT ||
	       off == VAPIC_REG_TMCCT || off == VAPIC_REG_TDCR;
}

/*
 * The model's expected result of a register write through @view (in the
 * mode's view: other views are refused before this), with its effects;
 * *send set when an ICR/SELF IPI was written.  Timer registers: the
 * result is not predicted (MODEL_ANY) but refusals change nothing.
 */
#define MODEL_ANY 0x10000
static int m_write(struct fz *fz, unsigned int c, enum view view, uint32_t off,
		   uint64_t val, uint32_t *eoi_vec, int *send)
{
	struct mlapic *m = &fz->m[c];
	int idx;

	*send = 0;
	if (view == V_X2APIC) {
		if ((val >> 32) && off != VAPIC_REG_ICR_LO)
			return VAPIC_ERSVD;
		switch (off) {
		case VAPIC_REG_EOI:
			if (val)
				return VAPIC_ERSVD;
			return m_eoi(fz, m, eoi_vec);
		case VAPIC_REG_ICR_LO:
			if (val & 0xfff33000ULL)
				return VAPIC_ERSVD;
			m->icr_lo = (uint32_t)val;
			m->icr_hi = (uint32_t)(val >> 32);
			*send = 1;
			return 0;
		case VAPIC_REG_TPR:
			if (val > 0xff)
				return VAPIC_ERSVD;
			m->tpr = (uint32_t)val;
			return 0;
		case VAPIC_REG_SVR:
			if (val & ~(uint64_t)m_svr_writable(fz))
				return VAPIC_ERSVD;
			m_write_svr(fz, m, (uint32_t)val);
			return 0;
		case VAPIC_REG_ESR:
			if (val)
				return VAPIC_ERSVD;
			m->esr = m->esr_pending;
			m->esr_pending = 0;
			return 0;
		case VAPIC_REG_SELF_IPI:
			if (val > 0xff)
				return VAPIC_ERSVD;
			*send = 2;
			return 0;
		case VAPIC_REG_LVT_TIMER:
		case VAPIC_REG_TMICT:
		case VAPIC_REG_TDCR:
			return MODEL_ANY;
		default:
			break;
		}
		idx = lvt_of(fz, off);
		if (idx < 0)
			return VAPIC_ERSVD;
		/* Read-only bits (delivery status, remote IRR) are ignored. */
		if (val & ~(uint64_t)(m_lvt_writable((unsigned int)idx) |
				      VAPIC_LVT_DELIVERY_STATUS |
				      ((idx == VAPIC_LVT_LINT0 ||
					idx == VAPIC_LVT_LINT1)
					       ? VAPIC_LVT_REMOTE_IRR
					       : 0)))
			return VAPIC_ERSVD;
		m_write_lvt(m, idx, (uint32_t)val);
		return 0;
	}
	/* xAPIC: reserved bits ignored, read-only registers ignored. */
	if (off & 0xf)
		goto illegal;
	switch (off) {
	case VAPIC_REG_EOI:
		return m_eoi(fz, m, eoi_vec);
	case VAPIC_REG_ICR_LO:
		m->icr_lo = (uint32_t)val & VAPIC_ICR_LO_WRITABLE;
		*send = 1;
		return 0;
	case VAPIC_REG_ID:
		m->xid = (uint32_t)val >> 24;
		return 0;
	case VAPIC_REG_TPR:
		m->tpr = (uint32_t)val & 0xff;
		return 0;
	case VAPIC_REG_LDR:
		m->ldr = (uint32_t)val & 0xff000000U;
		return 0;
	case VAPIC_REG_DFR:
		m->dfr = ((uint32_t)val & 0xf0000000U) | 0x0fffffffU;
		return 0;
	case VAPIC_REG_SVR:
		m_write_svr(fz, m, (uint32_t)val);
		return 0;
	case VAPIC_REG_ESR:
		m->esr = m->esr_pending;
		m->esr_pending = 0;
		return 0;
	case VAPIC_REG_ICR_HI:
		m->icr_hi = (uint32_t)val & 0xff000000U;
		return 0;
	case VAPIC_REG_LVT_TIMER:
	case VAPIC_REG_TMICT:
	case VAPIC_REG_TDCR:
		return MODEL_ANY;
	case VAPIC_REG_VERSION:
	case VAPIC_REG_APR:
	case VAPIC_REG_PPR:
	case VAPIC_REG_RRD:
	case VAPIC_REG_TMCCT:
		return 0;
	default:
		break;
	}
	if (off >= VAPIC_REG_ISR0 && off < VAPIC_REG_IRR0 + 0x80)
		return 0;
	idx = lvt_of(fz, off);
	if (idx >= 0) {
		m_write_lvt(m, idx, (uint32_t)val);
		return 0;
	}
illegal:
	fz->rc.mmio_reserved = true;
	m_error(fz, m, VAPIC_ESR_ILLEGAL_REGISTER);
	return VAPIC_ENOENT;
}

/* The LVT timer's vector kept >= 32 (timer interrupts are adopted). */
static uint64_t tame_lvtt(struct fz *fz, unsigned int c, uint32_t off,
			  uint64_t val)
{
	if (off == VAPIC_REG_LVT_TIMER) {
		val = (val & ~0xffULL) | 0x20 | (val & 0xdf);
		if (!(val & 0xe0))
			val |= 0x20;
		fz->m[c].lvtt_vector = (uint32_t)val & 0xff;
		fz->m[c].timer_vec[val & 0xff] = true;
	}
	return val;
}

/* Compare a write's result with the model's expectation. */
static void check_write_result(struct fz *fz, int r, int e, uint32_t eoi_m,
			       unsigned int c)
{
	if (e == MODEL_ANY) {
		FUZZ_CHECK(fz, r >= 0 || r == VAPIC_ERSVD || r == VAPIC_EHOST);
		return;
	}
	if (e < 0) {
		FUZZ_CHECK_EQ(fz, r, e);
		return;
	}
	FUZZ_CHECK(fz, r >= 0);
	FUZZ_CHECK_EQ(fz, r & VAPIC_LAPIC_ACT_EOI, e & VAPIC_LAPIC_ACT_EOI);
	FUZZ_CHECK_EQ(fz, r & VAPIC_LAPIC_ACT_BASE, 0);
	if (e & VAPIC_LAPIC_ACT_EOI)
		FUZZ_CHECK_EQ(fz, vapic_lapic_eoi_vector(fz->l[c]), eoi_m);
}

/*
 * One register write through @view (xAPIC: vapic_lapic_write(), x2APIC:
 * WRMSR), model and core.  Returns the core's result.
 */
static void exit_poll(struct fz *fz, unsigned int c, int r);

static int reg_write(struct fz *fz, unsigned int c, enum view view,
		     uint32_t off, uint64_t val)
{
	struct mlapic *m = &fz->m[c];
	struct vapic_lapic *l = fz->l[c];
	uint32_t eoi_m = 0;
	int e, r, send = 0;

	val = tame_lvtt(fz, c, off, val);
	fz->nq = 0;
	fz->q_overflow = false;
	if ((view == V_X2APIC && m->mode != VAPIC_APIC_X2APIC) ||
	    (view == V_XAPIC && m->mode != VAPIC_APIC_XAPIC)) {
		if (view == V_X2APIC) {
			r = vapic_lapic_wrmsr(l, VAPIC_X2APIC_MSR(off), val);
			FUZZ_CHECK_EQ(fz, r, VAPIC_ERSVD);
			fz->rc.msr_gp = true;
		} else {
			r = vapic_lapic_write(l, off, (uint32_t)val);
			FUZZ_CHECK_EQ(fz, r, VAPIC_ENOTSUP);
		}
		FUZZ_CHECK_EQ(fz, fz->nq, 0);
		return r;
	}
	e = m_write(fz, c, view, off, val, &eoi_m, &send);
	if (view == V_X2APIC)
		r = vapic_lapic_wrmsr(l, VAPIC_X2APIC_MSR(off), val);
	else if (fz->via_mmio)
		r = vapic_lapic_mmio_write(l, off, 4, val);
	else
		r = vapic_lapic_write(l, off, (uint32_t)val);
	trace(fz, "  write %s %#x = %#llx: %d (model %d)\n",
	      view == V_X2APIC ? "msr" : "xapic", off, (unsigned long long)val,
	      r, e);
	if (e == VAPIC_ERSVD)
		fz->rc.msr_gp = true;
	check_write_result(fz, r, e, eoi_m, c);
	if (send == 2) {
		uint32_t v = (uint32_t)val;

		fz->rc.self_ipi = true;
		FUZZ_CHECK_EQ(fz, fz->nq, 0);
		if (v < 16) {
			fz->rc.illegal_vector = true;
			m_error(fz, m,
				VAPIC_ESR_SEND_ILLEGAL_VECTOR |
					VAPIC_ESR_RECV_ILLEGAL_VECTOR);
		} else if (m->svr & VAPIC_SVR_ENABLE) {
			m_accept_fixed(m, v, false);
		}
	} else if (send == 1) {
		icr_sent(fz, c, m->icr_lo,
			 m->mode == VAPIC_APIC_X2APIC ? m->icr_hi
						      : m->icr_hi >> 24);
	}
	if (e == VAPIC_ERSVD || e == VAPIC_ENOENT)
		FUZZ_CHECK_EQ(fz, fz->nq, 0);
	out(fz, (uint64_t)(int64_t)r);
	exit_poll(fz, c, r);
	return r;
}

static enum view view_of(const struct fz *fz, unsigned int c)
{
	return fz->m[c].mode == VAPIC_APIC_X2APIC ? V_X2APIC : V_XAPIC;
}

/* ---------------------------------------------------------------------- */
/* Register reads: the model's values                                     */

/*
 * The model's value of register @off in @view: 0 and true if readable
 * (*val set), false if the read is illegal (xAPIC: ESR; x2APIC: #GP).
 * Timer registers: *val unknown (returns true, *known false).
 */
FUZZ_ORACLE static bool m_read(const struct fz *fz, unsigned int c,
			       enum view view, uint32_t off, uint64_t *val,
			       bool *known)
{
	const struct mlapic *m = &fz->m[c];
	int idx, i;

	*val = 0;
	*known = true;
	if (off & 0xf)
		return false;
	if (is_timer_reg(off)) {
		*known = false;
		return true;
	}
	switch (off) {
	case VAPIC_REG_ID:
		*val = view == V_X2APIC ? m->x2id : m->xid << 24;
		return true;
	case VAPIC_REG_VERSION:
		*val = m_version(fz);
		return true;
	case VAPIC_REG_TPR:
		*val = m->tpr;
		return true;
	case VAPIC_REG_APR:
		*val = m_apr(m);
		return view == V_XAPIC;
	case VAPIC_REG_PPR:
		*val = m_ppr(m);
		return true;
	case VAPIC_REG_RRD:
		return view == V_XAPIC;
	case VAPIC_REG_LDR:
		*val = view == V_X2APIC ? m_x2ldr(m->x2id) : m->ldr;
		return true;
	case VAPIC_REG_DFR:
		*val = m->dfr;
		return view == V_XAPIC;
	case VAPIC_REG_SVR:
		*val = m->svr;
		return true;
	case VAPIC_REG_ESR:
		*val = m->esr;
		return true;
	case VAPIC_REG_ICR_LO:
		*val = view == V_X2APIC
			       ? ((uint64_t)m->icr_hi << 32) | m->icr_lo
			       : m->icr_lo;
		return true;
	case VAPIC_REG_ICR_HI:
		*val = m->icr_hi;
		return view == V_XAPIC;
	default:
		break;
	}
	if (off >= VAPIC_REG_ISR0 && off < VAPIC_REG_IRR0 + 0x80) {
		const bool *map = off < VAPIC_REG_TMR0	 ? m->isr
				  : off < VAPIC_REG_IRR0 ? m->tmr
							 : m->irr;
		uint32_t w = ((off - VAPIC_REG_ISR0) >> 4) & 7;

		for (i = 0; i < 32; i++)
			if (map[w * 32 + (uint32_t)i])
				*val |= 1ULL << i;
		return true;
	}
	idx = lvt_of(fz, off);
	if (idx >= 0) {
		*val = m->lvt[idx];
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* Checks after every op                                                  */

/*
 * A timer tick of a vector the LVT timer held may appear in IRR: adopt it.
 * A tick (edge-triggered) that merges into the same vector already pending
 * level-triggered clears its TMR bit (TMR follows the last accepted
 * interrupt's trigger mode, as for any fixed interrupt): adopt that too,
 * when the LAPIC counted a merge since the last check (the model applies
 * every other merge itself).
 */
FUZZ_ORACLE static void adopt_timer(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	struct vapic_lapic *l = fz->l[c];
	bool merged = l->stats.merged != fz->merged[c];
	uint32_t v;

	fz->merged[c] = l->stats.merged;
	if (m->mode == VAPIC_APIC_DISABLED)
		return;
	for (v = 32; v < 256; v++) {
		uint32_t b = 1U << (v & 31);

		if (!m->timer_vec[v] || !(l->irr[v >> 5] & b))
			continue;
		if (!m->irr[v]) {
			fz->rc.timer_tick = true;
			m->irr[v] = true;
			m->tmr[v] = false;
		} else if (merged && m->tmr[v] && !(l->tmr[v >> 5] & b)) {
			fz->rc.timer_tick_merged = true;
			m->tmr[v] = false;
		}
	}
}

static const uint32_t check_offs[] = {
	VAPIC_REG_ID,	       VAPIC_REG_VERSION,   VAPIC_REG_TPR,
	VAPIC_REG_APR,	       VAPIC_REG_PPR,	    VAPIC_REG_LDR,
	VAPIC_REG_DFR,	       VAPIC_REG_SVR,	    VAPIC_REG_ESR,
	VAPIC_REG_ICR_LO,      VAPIC_REG_ICR_HI,    VAPIC_REG_LVT_CMCI,
	VAPIC_REG_LVT_THERMAL, VAPIC_REG_LVT_PMC,   VAPIC_REG_LVT_LINT0,
	VAPIC_REG_LVT_LINT1,   VAPIC_REG_LVT_ERROR, VAPIC_REG_RRD,
};

FUZZ_ORACLE static void check_regs(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	struct vapic_lapic *l = fz->l[c];
	enum view view = view_of(fz, c);
	uint64_t mv, cv;
	uint32_t v32;
	bool known;
	unsigned int k;
	int r;

	for (k = 0; k < sizeof(check_offs) / sizeof(check_offs[0]) + 24; k++) {
		uint32_t off =
			k < sizeof(check_offs) / sizeof(check_offs[0])
				? check_offs[k]
				: VAPIC_REG_ISR0 +
					  16 * (k -
						(uint32_t)(sizeof(check_offs) /
							   sizeof(check_offs
									  [0])));

		if (!m_read(fz, c, view, off, &mv, &known))
			continue;
		if (view == V_X2APIC) {
			r = vapic_lapic_rdmsr(l, VAPIC_X2APIC_MSR(off), &cv);
		} else {
			r = vapic_lapic_read(l, off, &v32);
			cv = v32;
		}
		if (r)
			fail(fz, "vCPU %u read %#x (%s): %d", c, off,
			     view == V_X2APIC ? "msr" : "xapic", r);
		if (known && cv != mv)
			fail(fz,
			     "vCPU %u reg %#x (%s) reads %#llx, model %#llx", c,
			     off, view == V_X2APIC ? "msr" : "xapic",
			     (unsigned long long)cv, (unsigned long long)mv);
		out(fz, cv);
	}
	FUZZ_CHECK_EQ(fz, vapic_lapic_ppr(l), m_ppr(m));
	FUZZ_CHECK_EQ(fz, vapic_lapic_cr8(l), m->tpr >> 4);
	FUZZ_CHECK_EQ(fz, vapic_lapic_id(l),
		      view == V_X2APIC ? m->x2id : m->xid);
}

FUZZ_ORACLE static void check_all(struct fz *fz)
{
	unsigned int c;
	int v;

	for (c = 0; c < NR_CPU; c++) {
		struct mlapic *m = &fz->m[c];
		struct vapic_lapic *l = fz->l[c];
		uint32_t v32;
		uint64_t v64;

		adopt_timer(fz, c);
		FUZZ_CHECK_EQ(fz, vapic_lapic_mode(l), m->mode);
		FUZZ_CHECK_EQ(fz, vapic_lapic_apic_base(l), m->base);
		FUZZ_CHECK_EQ(fz, vapic_lapic_pending_events(l), m->events);
		FUZZ_CHECK_EQ(fz, l->lint_level, m->lint_level);
		FUZZ_CHECK_EQ(fz, vapic_lapic_sw_enabled(l),
			      !!(m->svr & VAPIC_SVR_ENABLE));
		for (v = 0; v < 16; v++)
			FUZZ_CHECK(fz, !m->irr[v] && !m->isr[v]);
		switch (m->mode) {
		case VAPIC_APIC_XAPIC:
			fz->rc.xapic = true;
			check_regs(fz, c);
			FUZZ_CHECK_EQ(fz, vapic_lapic_rdmsr(l, 0x808, &v64),
				      VAPIC_ERSVD);
			break;
		case VAPIC_APIC_X2APIC:
			fz->rc.x2apic = true;
			check_regs(fz, c);
			FUZZ_CHECK_EQ(fz,
				      vapic_lapic_read(l, VAPIC_REG_TPR, &v32),
				      VAPIC_ENOTSUP);
			FUZZ_CHECK_EQ(fz, v32, 0xffffffffU);
			break;
		default:
			fz->rc.disabled = true;
			FUZZ_CHECK_EQ(fz,
				      vapic_lapic_read(l, VAPIC_REG_TPR, &v32),
				      VAPIC_ENOTSUP);
			FUZZ_CHECK_EQ(fz, vapic_lapic_rdmsr(l, 0x808, &v64),
				      VAPIC_ERSVD);
			/* A disabled APIC holds power-up values. */
			FUZZ_CHECK_EQ(fz, m->svr, 0xff);
			FUZZ_CHECK(fz, mhighest(m->irr) < 0 &&
					       mhighest(m->isr) < 0);
			break;
		}
		/* The core's maps, directly (any mode). */
		for (v = 0; v < 256; v++) {
			bool ci = l->irr[v >> 5] & (1U << (v & 31));
			bool cs = l->isr[v >> 5] & (1U << (v & 31));
			bool ct = l->tmr[v >> 5] & (1U << (v & 31));

			if (ci != m->irr[v] || cs != m->isr[v] ||
			    (ci && ct != m->tmr[v]))
				fail(fz,
				     "vCPU %u vector %d: irr %d isr %d tmr %d, "
				     "model %d %d %d",
				     c, v, ci, cs, ct, m->irr[v], m->isr[v],
				     m->tmr[v]);
		}
	}
	if (vapic_user_warn_count())
		fail(fz, "VAPIC_WARN_ON fired (%lu)", vapic_user_warn_count());
}

/* ---------------------------------------------------------------------- */
/* Ops                                                                    */

static unsigned int cpu(struct fz *fz)
{
	return get8(fz) % NR_CPU;
}

static const uint32_t sizes[10] = { 1, 2, 4, 8, 4, 4, 3, 0, 16, 4 };

static void op_mmio_read(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	uint32_t off = (get8(fz) | (uint32_t)get8(fz) << 8) & 0xfff;
	uint32_t size = sizes[get8(fz) % 10];
	uint32_t slot = off & 0xf;
	uint64_t val, mv, ones;
	bool size_ok = size == 1 || size == 2 || size == 4 || size == 8;
	bool known;
	int r;

	ones = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	r = vapic_lapic_mmio_read(fz->l[c], off, size, &val);
	trace(fz, "  mmio read %u %#x/%u: %d %#llx\n", c, off, size, r,
	      (unsigned long long)val);
	out(fz, val);
	if (m->mode != VAPIC_APIC_XAPIC) {
		FUZZ_CHECK_EQ(fz, r, VAPIC_ENOTSUP);
		FUZZ_CHECK_EQ(fz, val, size_ok ? ones : 0);
		return;
	}
	if (!size_ok || slot + size > 16 || slot >= 4) {
		fz->rc.mmio_odd = true;
		FUZZ_CHECK_EQ(fz, r, 0);
		FUZZ_CHECK_EQ(fz, val, 0);
		return;
	}
	if (slot + size > 4 || slot)
		fz->rc.mmio_odd = true;
	if (!m_read(fz, c, V_XAPIC, off & ~0xfU, &mv, &known) ||
	    (off & ~0xfU) == VAPIC_REG_SELF_IPI) {
		fz->rc.mmio_reserved = true;
		FUZZ_CHECK_EQ(fz, r, VAPIC_ENOENT);
		FUZZ_CHECK_EQ(fz, val, 0);
		m_error(fz, m, VAPIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	FUZZ_CHECK_EQ(fz, r, 0);
	if (known)
		FUZZ_CHECK_EQ(fz, val,
			      ((mv & 0xffffffffULL) >> (slot * 8)) & ones);
}

static void op_mmio_write(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	uint32_t off = (get8(fz) | (uint32_t)get8(fz) << 8) & 0xfff;
	uint32_t size = sizes[get8(fz) % 10];
	uint32_t val = get32(fz);
	int r;

	if (m->mode == VAPIC_APIC_XAPIC && size == 4 && !(off & 0xf)) {
		fz->via_mmio = true;
		(void)reg_write(fz, c, V_XAPIC, off, val);
		fz->via_mmio = false;
		return;
	}
	fz->nq = 0;
	r = vapic_lapic_mmio_write(fz->l[c], off, size, val);
	trace(fz, "  mmio write %u %#x/%u = %#x: %d\n", c, off, size, val, r);
	if (m->mode != VAPIC_APIC_XAPIC) {
		FUZZ_CHECK_EQ(fz, r, VAPIC_ENOTSUP);
	} else {
		fz->rc.mmio_odd = true;
		FUZZ_CHECK_EQ(fz, r, 0);
	}
	FUZZ_CHECK_EQ(fz, fz->nq, 0);
}

static void op_rdmsr(struct fz *fz, unsigned int c, uint32_t msr)
{
	struct mlapic *m = &fz->m[c];
	uint64_t val, mv;
	bool known;
	int r;

	r = vapic_lapic_rdmsr(fz->l[c], msr, &val);
	trace(fz, "  rdmsr %u %#x: %d %#llx\n", c, msr, r,
	      (unsigned long long)val);
	out(fz, val);
	if (msr == VAPIC_MSR_APIC_BASE) {
		FUZZ_CHECK_EQ(fz, r, 0);
		FUZZ_CHECK_EQ(fz, val, m->base);
		return;
	}
	if (msr < VAPIC_MSR_X2APIC_FIRST || msr > VAPIC_MSR_X2APIC_LAST)
		return;
	if (m->mode != VAPIC_APIC_X2APIC ||
	    !m_read(fz, c, V_X2APIC, (msr - 0x800) << 4, &mv, &known)) {
		fz->rc.msr_gp = true;
		FUZZ_CHECK_EQ(fz, r, VAPIC_ERSVD);
		FUZZ_CHECK_EQ(fz, val, 0);
		return;
	}
	FUZZ_CHECK_EQ(fz, r, 0);
	if (known)
		FUZZ_CHECK_EQ(fz, val, mv);
}

/* IA32_APIC_BASE write: the SDM's legal set, and its effects. */
static void op_apic_base(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	struct vapic_lapic *l = fz->l[c];
	static struct vapic_lapic before;
	uint8_t k = get8(fz), a = get8(fz);
	bool host = k & 0x20;
	uint64_t val = m->base & ~(VAPIC_APIC_BASE_EN | VAPIC_APIC_BASE_EXTD |
				   VAPIC_APIC_BASE_BSP);
	uint64_t rsvd = 0x2ffULL | ~((1ULL << fz->maxphy) - 1);
	uint32_t from = m->mode, to;
	bool refused;
	int r;

	if (!(fz->flags & VAPIC_LAPIC_F_X2APIC))
		rsvd |= VAPIC_APIC_BASE_EXTD;
	if (k & 1)
		val |= VAPIC_APIC_BASE_EN;
	if (k & 2)
		val |= VAPIC_APIC_BASE_EXTD;
	if (k & 4)
		val |= VAPIC_APIC_BASE_BSP;
	if (k & 8)
		val |= 1ULL << (a & 63);
	if (k & 0x10)
		val = (val & 0xfffULL) | ((uint64_t)a << 24) |
		      ((k & 0x40) ? 0xfee00000ULL : 0);
	to = !(val & VAPIC_APIC_BASE_EN)    ? VAPIC_APIC_DISABLED
	     : (val & VAPIC_APIC_BASE_EXTD) ? VAPIC_APIC_X2APIC
					    : VAPIC_APIC_XAPIC;
	refused =
		(val & rsvd) ||
		((val & VAPIC_APIC_BASE_EXTD) && !(val & VAPIC_APIC_BASE_EN)) ||
		(!host &&
		 ((from == VAPIC_APIC_X2APIC && to == VAPIC_APIC_XAPIC) ||
		  (from == VAPIC_APIC_DISABLED && to == VAPIC_APIC_X2APIC)));
	before = *l;
	if (host)
		r = vapic_lapic_set_apic_base(l, val, true);
	else
		r = vapic_lapic_wrmsr(l, VAPIC_MSR_APIC_BASE, val);
	trace(fz, "  apic base %u %#llx%s: %d (model %s)\n", c,
	      (unsigned long long)val, host ? " host" : "", r,
	      refused ? "refused" : "ok");
	out(fz, (uint64_t)(int64_t)r);
	if (refused) {
		fz->rc.base_refused = true;
		FUZZ_CHECK_EQ(fz, r, VAPIC_ERSVD);
		before.stats = l->stats;
		if (memcmp(&before, l, sizeof(before)))
			fail(fz, "refused APIC base write changed the LAPIC");
		return;
	}
	if (host && from != to)
		fz->rc.base_host = true;
	FUZZ_CHECK(fz, r >= 0);
	FUZZ_CHECK_EQ(
		fz, r & VAPIC_LAPIC_ACT_BASE,
		(from != to || ((val ^ m->base) & VAPIC_APIC_BASE_ADDR_MASK))
			? VAPIC_LAPIC_ACT_BASE
			: 0);
	m->base = val;
	if (from != to) {
		m->mode = to;
		if (to == VAPIC_APIC_DISABLED || from == VAPIC_APIC_DISABLED ||
		    (from == VAPIC_APIC_X2APIC && to == VAPIC_APIC_XAPIC)) {
			m_reset_regs(m);
		} else {
			m->ldr = m_x2ldr(m->x2id);
			m->icr_hi = 0;
		}
	}
}

/* An ICR value of the fuzzer's choosing, biased to valid encodings. */
static void op_icr(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	uint32_t lo = get32(fz), d = get32(fz);

	if (!(lo & 0x80000000U))
		lo &= VAPIC_ICR_LO_WRITABLE;
	if (m->mode == VAPIC_APIC_X2APIC) {
		uint64_t v = ((uint64_t)d << 32) | lo;

		if (!(lo & 0x40000000U) && (d & 0x80000000U))
			v = ((uint64_t)(d & 0xffff00ffU) << 32) | lo;
		(void)reg_write(fz, c, V_X2APIC, VAPIC_REG_ICR_LO, v);
	} else {
		(void)reg_write(fz, c, V_XAPIC, VAPIC_REG_ICR_HI, d << 24);
		(void)reg_write(fz, c, V_XAPIC, VAPIC_REG_ICR_LO, lo);
	}
}

/* Poll, check against the model, inject. */
/*
 * Poll vCPU @c and check the answer against the model; @inject: the guest
 * takes the vector (else it stays in IRR, as while the guest has IF=0).
 */
static void poll_checked(struct fz *fz, unsigned int c, bool inject)
{
	struct mlapic *m = &fz->m[c];
	struct vapic_lapic *l = fz->l[c];
	uint32_t vec = 0;
	uint64_t wait_ns = 0;
	int r, hv;

	r = vapic_lapic_poll(l, &vec, &wait_ns);
	adopt_timer(fz, c);
	hv = mhighest(m->irr);
	trace(fz, "  poll %u: %d vec %u (model irr %d ppr %#x)\n", c, r, vec,
	      hv, m_ppr(m));
	out(fz, (uint64_t)r << 32 | vec);
	if (r == VAPIC_LAPIC_WAIT)
		return;
	if (hv >= 0 && ((uint32_t)hv >> 4) > (m_ppr(m) >> 4)) {
		if (r != VAPIC_LAPIC_INJECT || vec != (uint32_t)hv)
			fail(fz, "vCPU %u poll %d vector %u, model injects %d",
			     c, r, vec, hv);
		if (!inject)
			return;
		FUZZ_CHECK_EQ(fz, vapic_lapic_injected(l, vec), 0);
		m->irr[vec] = false;
		m->isr[vec] = true;
		fz->rc.injected = true;
		fz->rc.injections++;
		return;
	}
	if (hv >= 0)
		fz->rc.tpr_blocked = true;
	if (r != VAPIC_LAPIC_NONE)
		fail(fz,
		     "vCPU %u poll %d vector %u, model: nothing (irr %d "
		     "ppr %#x)",
		     c, r, vec, hv, m_ppr(m));
}

static void op_poll(struct fz *fz, unsigned int c)
{
	poll_checked(fz, c, true);
}

/*
 * A guest exit returned VAPIC_LAPIC_ACT_POLL: the host polls before it
 * re-enters the guest (the contract of the register writes; the fastpath
 * does it itself).  The guest takes nothing here; a tick that fell due
 * moves into IRR.  Skipping this poll would let a third LVT timer vector
 * come due unpolled, which the core refuses with a warning.
 */
static void exit_poll(struct fz *fz, unsigned int c, int r)
{
	if (r >= 0 && (r & VAPIC_LAPIC_ACT_POLL))
		poll_checked(fz, c, false);
}

static void op_eoi(struct fz *fz, unsigned int c)
{
	(void)reg_write(fz, c, view_of(fz, c), VAPIC_REG_EOI, 0);
}

/*
 * A LINT pin level change (@b bit 3 clear: pin @b bit 1, level @b bit 2) or
 * a thermal / PMC / CMCI event (@v & 3; 3 asks for LINT0, which is refused)
 * on vCPU @c, from the host's devices.
 */
static void op_external(struct fz *fz, unsigned int c, uint8_t v, uint8_t b)
{
	static const enum vapic_lvt src[4] = {
		VAPIC_LVT_THERMAL,
		VAPIC_LVT_PMC,
		VAPIC_LVT_CMCI,
		VAPIC_LVT_LINT0,
	};
	struct mlapic *m = &fz->m[c];
	bool poll = false;
	int e, r;

	fz->nq = 0;
	if (!(b & 0x08)) {
		uint32_t pin = (b >> 1) & 1;
		bool asserted = b & 4;

		fz->op_str = "lint";
		e = m_set_lint(fz, m, pin, asserted, &poll);
		r = vapic_lapic_set_lint(fz->l[c], pin, asserted);
		trace(fz, "  lint %u pin %u %s: %d (model %d)\n", c, pin,
		      asserted ? "asserted" : "deasserted", r, e);
		fz->rc.lint = true;
	} else {
		enum vapic_lvt s = src[v & 3];

		fz->op_str = "raise_lvt";
		if (s == VAPIC_LVT_LINT0 ||
		    (s == VAPIC_LVT_CMCI && !(fz->flags & VAPIC_LAPIC_F_CMCI)))
			e = VAPIC_EINVAL;
		else if (m->mode == VAPIC_APIC_DISABLED)
			e = 0;
		else
			e = m_deliver_lvt(fz, m, m->lvt[s], &poll);
		r = vapic_lapic_raise_lvt(fz->l[c], s);
		trace(fz, "  raise lvt %u %d: %d (model %d)\n", c, (int)s, r,
		      e);
		fz->rc.raise_lvt = true;
	}
	out(fz, (uint64_t)(int64_t)r);
	FUZZ_CHECK_EQ(fz, fz->nq, 0);
	if (e < 0) {
		FUZZ_CHECK_EQ(fz, r, e);
		return;
	}
	FUZZ_CHECK(fz, r >= 0);
	FUZZ_CHECK_EQ(fz, r & VAPIC_LAPIC_ACT_EVENT, e);
	FUZZ_CHECK_EQ(fz, r & ~(VAPIC_LAPIC_ACT_EVENT | VAPIC_LAPIC_ACT_POLL),
		      0);
	if (poll)
		FUZZ_CHECK(fz, r & VAPIC_LAPIC_ACT_POLL);
	exit_poll(fz, c, r);
}

static void op_esr(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	uint32_t pend = m->esr_pending;

	(void)reg_write(fz, c, view_of(fz, c), VAPIC_REG_ESR, 0);
	if (pend && m->mode != VAPIC_APIC_DISABLED)
		fz->rc.esr_latched = true;
}

static void m_from_record(struct fz *fz, unsigned int c,
			  const struct vapic_lapic_state *s)
{
	struct mlapic *m = &fz->m[c];
	int v;

	m->base = s->apic_base;
	m->mode = !(s->apic_base & VAPIC_APIC_BASE_EN)	  ? VAPIC_APIC_DISABLED
		  : (s->apic_base & VAPIC_APIC_BASE_EXTD) ? VAPIC_APIC_X2APIC
							  : VAPIC_APIC_XAPIC;
	m->xid = s->xapic_id;
	m->tpr = s->tpr;
	m->ldr = s->ldr;
	m->dfr = s->dfr;
	m->svr = s->svr;
	m->esr = s->esr;
	m->esr_pending = s->esr_pending;
	m->icr_lo = s->icr_lo;
	m->icr_hi = s->icr_hi;
	memcpy(m->lvt, s->lvt, sizeof(m->lvt));
	for (v = 0; v < 256; v++) {
		m->irr[v] = s->irr[v >> 5] & (1U << (v & 31));
		m->isr[v] = s->isr[v >> 5] & (1U << (v & 31));
		m->tmr[v] = s->tmr[v >> 5] & (1U << (v & 31));
	}
	m->events = s->events;
	m->sipi_vector = s->sipi_vector;
	m->lint_level = s->lint_level;
	m->timer_vec[s->timer.lvtt & 0xff] = true; /* its ticks may be due */
}

/*
 * The architectural sanity of a record the core accepted (SDM register
 * formats, "x2APIC States", the reset values of a disabled APIC).
 */
static void check_record_possible(struct fz *fz,
				  const struct vapic_lapic_state *s)
{
	uint64_t rsvd = 0x2ffULL | ~((1ULL << fz->maxphy) - 1);
	int i;

	if (!(fz->flags & VAPIC_LAPIC_F_X2APIC))
		rsvd |= VAPIC_APIC_BASE_EXTD;
	FUZZ_CHECK(fz, !(s->apic_base & rsvd));
	FUZZ_CHECK(fz, !((s->apic_base & VAPIC_APIC_BASE_EXTD) &&
			 !(s->apic_base & VAPIC_APIC_BASE_EN)));
	FUZZ_CHECK(fz, s->tpr <= 0xff && s->xapic_id <= 0xff);
	FUZZ_CHECK(fz, !(s->svr & ~m_svr_writable(fz)));
	FUZZ_CHECK(fz, !(s->esr & ~0xffU) && !(s->esr_pending & ~0xffU));
	FUZZ_CHECK(fz, !((s->irr[0] | s->isr[0]) & 0xffffU));
	FUZZ_CHECK(fz, !(s->icr_lo & ~VAPIC_ICR_LO_WRITABLE));
	/* DFR bits 27:0 are ones; the model nibble is what a guest wrote. */
	FUZZ_CHECK(fz, (s->dfr & 0x0fffffffU) == 0x0fffffffU);
	if ((s->apic_base & (VAPIC_APIC_BASE_EN | VAPIC_APIC_BASE_EXTD)) ==
	    (VAPIC_APIC_BASE_EN | VAPIC_APIC_BASE_EXTD))
		FUZZ_CHECK_EQ(fz, s->ldr, m_x2ldr(s->x2apic_id));
	else
		FUZZ_CHECK(fz, !(s->ldr & 0x00ffffffU));
	for (i = 0; i < VAPIC_LVT_NR; i++) {
		uint32_t ok = m_lvt_writable((unsigned int)i);

		if (i == VAPIC_LVT_LINT0 || i == VAPIC_LVT_LINT1)
			ok |= VAPIC_LVT_REMOTE_IRR;
		FUZZ_CHECK(fz, !(s->lvt[i] & ~ok));
		if (!(s->svr & VAPIC_SVR_ENABLE))
			FUZZ_CHECK(fz, s->lvt[i] & VAPIC_LVT_MASKED);
	}
	FUZZ_CHECK(fz, !(s->events & ~VAPIC_EVENT_ALL));
	if (!(s->apic_base & VAPIC_APIC_BASE_EN)) {
		FUZZ_CHECK_EQ(fz, s->svr, 0xff);
		for (i = 0; i < 8; i++)
			FUZZ_CHECK(fz, !s->irr[i] && !s->isr[i]);
	}
}

static void op_save_restore(struct fz *fz, unsigned int c)
{
	struct vapic_lapic *l = fz->l[c];
	static struct vapic_lapic before;
	struct vapic_lapic_state s, s2;
	uint8_t k = get8(fz), x = get8(fz);
	int r;

	FUZZ_CHECK_EQ(fz, vapic_lapic_save(l, &s), 0);
	if (!k) {
		r = vapic_lapic_restore(l, &s);
		FUZZ_CHECK_EQ(fz, r, 0);
		FUZZ_CHECK_EQ(fz, vapic_lapic_save(l, &s2), 0);
		if (memcmp(&s, &s2, sizeof(s)))
			fail(fz, "save/restore/save differs");
		fz->rc.restored = true;
		return;
	}
	/* Mutate one byte of the registers (the part before the timer). */
	((uint8_t *)&s)[x % offsetof(struct vapic_lapic_state, timer)] ^= k;
	if (k & 1) {
		s.checksum = 0;
		s.checksum = vapic_checksum32(&s, sizeof(s));
	}
	before = *l;
	r = vapic_lapic_restore(l, &s);
	trace(fz, "  mutated restore %u byte %u ^ %#x: %d\n", c,
	      x % (unsigned int)offsetof(struct vapic_lapic_state, timer), k,
	      r);
	out(fz, (uint64_t)(int64_t)r);
	if (r) {
		fz->rc.mutated_refused = true;
		FUZZ_CHECK(fz, r == VAPIC_ESTATE || r == VAPIC_EVERSION);
		if (memcmp(&before, l, sizeof(before)))
			fail(fz, "refused restore changed the LAPIC");
		return;
	}
	fz->rc.mutated_ok = true;
	check_record_possible(fz, &s);
	FUZZ_CHECK_EQ(fz, vapic_lapic_save(l, &s2), 0);
	/* A version 1 record (header: PV EOI off) saves as the current one. */
	if (s.version == VAPIC_LAPIC_STATE_VERSION_V1) {
		FUZZ_CHECK(fz, !s.pv_eoi_msr && !s.pv_eoi_flags);
		s.version = VAPIC_LAPIC_STATE_VERSION;
		s.checksum = 0;
		s.checksum = vapic_checksum32(&s, sizeof(s));
	}
	if (memcmp(&s, &s2, sizeof(s)))
		fail(fz, "a restored mutated record saves differently");
	m_from_record(fz, c, &s);
}

static void op_init(struct fz *fz, unsigned int c)
{
	struct mlapic *m = &fz->m[c];
	uint8_t k = get8(fz);
	uint32_t taken, sipi = 0, want;

	fz->rc.init = true;
	if (k & 2) {
		taken = vapic_lapic_take_events(fz->l[c], k >> 2, &sipi);
		want = m->events & (k >> 2);
		FUZZ_CHECK_EQ(fz, taken, want);
		if (want & VAPIC_EVENT_SIPI)
			FUZZ_CHECK_EQ(fz, sipi, m->sipi_vector);
		m->events &= ~want;
		if (want & VAPIC_EVENT_SIPI)
			m->sipi_vector = 0;
		out(fz, taken);
		return;
	}
	if (k & 1) {
		uint32_t ev = m->events;

		vapic_lapic_power_reset(fz->l[c]);
		m_power_up(fz, c);
		(void)ev;
		return;
	}
	vapic_lapic_reset(fz->l[c]);
	m_reset_regs(m);
}

/* ---------------------------------------------------------------------- */
/* Fastpath vs slow path                                                  */

struct outcome {
	struct vapic_lapic_state s;
	struct msg q[MAX_MSGS];
	unsigned int nq;
	int res;
	struct vapic_exit e;
};

static bool deliver_kind(uint32_t reason)
{
	return reason == VAPIC_EXIT_HOST_TIMER ||
	       reason == VAPIC_EXIT_PREEMPTION_TIMER ||
	       reason == VAPIC_EXIT_IRQ_WINDOW || reason == VAPIC_EXIT_KICK ||
	       reason == VAPIC_EXIT_HLT;
}

/*
 * The end of an exit's slow path on @l: the poll (if @poll), the events a
 * timer/window/kick/HLT exit reports, and the result the header derives
 * from @e->actions.
 */
static int slow_path_end(struct vapic_lapic *l, uint32_t reason, bool poll,
			 struct vapic_exit *e)
{
	uint64_t wait_ns = 0;
	uint32_t v = 0;
	int p;

	if (poll) {
		p = vapic_lapic_poll(l, &v, &wait_ns);
		if (p == VAPIC_LAPIC_INJECT) {
			e->actions |= VAPIC_EXIT_ACT_INJECT;
			e->vector = v;
		} else if (p == VAPIC_LAPIC_WAIT) {
			e->actions |= VAPIC_EXIT_ACT_WAIT;
			e->wait_ns = wait_ns;
		}
	}
	if (deliver_kind(reason) && vapic_lapic_pending_events(l))
		e->actions |= VAPIC_EXIT_ACT_EVENT;
	if (reason == VAPIC_EXIT_HLT && !e->actions)
		return VAPIC_FP_SLOW;
	if (!e->actions)
		return VAPIC_FP_RESUME;
	if (e->actions == VAPIC_EXIT_ACT_INJECT)
		return VAPIC_FP_INJECT;
	return VAPIC_FP_HOST;
}

/*
 * The slow path of @e0 (what the header says the dispatcher does): the
 * register call, a poll when it says so; returns the result the header
 * gives, fills @e.
 */
static int slow_path(struct fz *fz, unsigned int c, const struct vapic_exit *e0,
		     struct vapic_exit *e)
{
	struct vapic_lapic *l = fz->l[c];
	uint32_t off = 0;
	int act = 0;
	bool poll = false;

	*e = *e0;
	e->actions = 0;
	switch (e0->reason) {
	case VAPIC_EXIT_OTHER:
		return VAPIC_FP_SLOW;
	case VAPIC_EXIT_WRMSR:
		if (!vapic_lapic_msr_owned(e0->msr))
			return VAPIC_FP_SLOW;
		act = vapic_lapic_wrmsr(l, e0->msr, e0->data);
		break;
	case VAPIC_EXIT_RDMSR:
		if (!vapic_lapic_msr_owned(e0->msr))
			return VAPIC_FP_SLOW;
		act = vapic_lapic_rdmsr(l, e0->msr, &e->data);
		break;
	case VAPIC_EXIT_MMIO_WRITE:
		if (!vapic_lapic_mmio_match(l, e0->gpa, &off))
			return VAPIC_FP_SLOW;
		act = vapic_lapic_mmio_write(l, off, e0->size, e0->data);
		break;
	case VAPIC_EXIT_MMIO_READ:
		if (!vapic_lapic_mmio_match(l, e0->gpa, &off))
			return VAPIC_FP_SLOW;
		act = vapic_lapic_mmio_read(l, off, e0->size, &e->data);
		break;
	default:
		poll = true;
		break;
	}
	if (act < 0) {
		if (act == VAPIC_ERSVD || act == VAPIC_EFAULT)
			e->actions |= VAPIC_EXIT_ACT_GP;
		else if (act == VAPIC_EHOST) {
			e->actions |= VAPIC_EXIT_ACT_ERROR;
			e->error = act;
		}
	} else {
		if (act & VAPIC_LAPIC_ACT_POLL)
			poll = true;
		if (act & VAPIC_LAPIC_ACT_EOI) {
			e->actions |= VAPIC_EXIT_ACT_EOI;
			e->eoi_vector = vapic_lapic_eoi_vector(l);
		}
		if (act & VAPIC_LAPIC_ACT_EVENT)
			e->actions |= VAPIC_EXIT_ACT_EVENT;
		if (act & VAPIC_LAPIC_ACT_BASE)
			e->actions |= VAPIC_EXIT_ACT_BASE;
	}
	return slow_path_end(l, e0->reason, poll, e);
}

static void take_outcome(struct fz *fz, unsigned int c, struct outcome *o)
{
	FUZZ_CHECK_EQ(fz, vapic_lapic_save(fz->l[c], &o->s), 0);
	memcpy(o->q, fz->q, sizeof(o->q[0]) * fz->nq);
	o->nq = fz->nq;
}

/* Build one exit of kind @k for vCPU @c. */
static void build_exit(struct fz *fz, unsigned int c, uint8_t k,
		       struct vapic_exit *e)
{
	struct mlapic *m = &fz->m[c];
	uint64_t d = get64(fz);

	memset(e, 0, sizeof(*e));
	switch (k % 12) {
	case 0: /* ICR */
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = VAPIC_MSR_X2APIC_ICR;
		e->data = (d & 0x80) ? d : d & 0xffffffff000ccfffULL;
		fz->rc.fp_icr = true;
		break;
	case 1: /* EOI */
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = VAPIC_MSR_X2APIC_EOI;
		e->data = (d & 1) ? d >> 1 : 0;
		break;
	case 2: /* TMICT */
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = VAPIC_MSR_X2APIC_TMICT;
		e->data = d & 0xffff;
		break;
	case 3: /* TSC deadline, around now */
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = VAPIC_MSR_TSC_DEADLINE;
		e->data = (d & 1) ? d >> 1
				  : vclock_guest_tsc(vclock_vcpu(fz->vm, c)) +
					    (d & 0xffff) - 0x8000;
		fz->rc.fp_tscd = true;
		break;
	case 4: /* SELF IPI */
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = VAPIC_MSR_X2APIC_SELF_IPI;
		e->data = (d & 0x100) ? d : d & 0xff;
		break;
	case 5: /* any MSR */
		e->reason = (d & 1) ? VAPIC_EXIT_RDMSR : VAPIC_EXIT_WRMSR;
		e->msr = (d & 2) ? 0x800 + ((uint32_t)(d >> 2) & 0xff)
				 : (uint32_t)(d >> 2) & 0x7ff;
		e->data = (d & 4) ? d >> 16 : (d >> 16) & 0xff;
		break;
	case 6: /* MMIO store */
	case 7: /* MMIO load */
		e->reason = k % 12 == 6 ? VAPIC_EXIT_MMIO_WRITE
					: VAPIC_EXIT_MMIO_READ;
		e->gpa = (m->base & VAPIC_APIC_BASE_ADDR_MASK) + (d & 0x1fff) -
			 ((d & 0x2000) ? 0x10 : 0);
		e->size = sizes[(d >> 16) % 10];
		e->data = d >> 24;
		break;
	case 8:
		e->reason = VAPIC_EXIT_HLT;
		break;
	case 9:
		e->reason = VAPIC_EXIT_IRQ_WINDOW;
		break;
	case 10:
		e->reason = VAPIC_EXIT_KICK;
		break;
	default: /* the host timer's exits, or any other */
		e->reason = !(d & 1)	  ? VAPIC_EXIT_OTHER
			    : (d & 0x100) ? VAPIC_EXIT_PREEMPTION_TIMER
					  : VAPIC_EXIT_HOST_TIMER;
		break;
	}
	/* Keep the LVT timer's vector >= 32 through the fastpath too. */
	if (e->reason == VAPIC_EXIT_WRMSR &&
	    e->msr == VAPIC_X2APIC_MSR(VAPIC_REG_LVT_TIMER))
		e->data = tame_lvtt(fz, c, VAPIC_REG_LVT_TIMER, e->data);
	if (e->reason == VAPIC_EXIT_MMIO_WRITE &&
	    e->gpa ==
		    (m->base & VAPIC_APIC_BASE_ADDR_MASK) + VAPIC_REG_LVT_TIMER)
		e->data = tame_lvtt(fz, c, VAPIC_REG_LVT_TIMER, e->data);
}

static int fp_result_ok(uint32_t reason, int res)
{
	if (res == VAPIC_FP_SLOW)
		return reason == VAPIC_EXIT_HLT || reason == VAPIC_EXIT_OTHER ||
		       reason == VAPIC_EXIT_WRMSR ||
		       reason == VAPIC_EXIT_RDMSR ||
		       reason == VAPIC_EXIT_MMIO_WRITE ||
		       reason == VAPIC_EXIT_MMIO_READ;
	return res == VAPIC_FP_RESUME || res == VAPIC_FP_INJECT ||
	       res == VAPIC_FP_HOST;
}

/*
 * The exit accounting of one vapic_fastpath_handle() call: @before plus
 * what <vapic/fastpath.h> says the exit @e0 counts (its reason, the result
 * @res, the write it was, a #GP in @actions) must equal @after, counter for
 * counter.  The APIC page is @base's; every LAPIC here exposes TSC-deadline
 * mode, so each WRMSR IA32_TSC_DEADLINE counts.
 */
FUZZ_ORACLE static void check_fp_stats(struct fz *fz,
				       const struct vapic_exit *e0,
				       uint64_t base, int res, uint32_t actions,
				       const struct vapic_exit_stats *before,
				       const struct vapic_exit_stats *after)
{
	struct vapic_exit_stats x = *before;
	uint64_t page = base & VAPIC_APIC_BASE_ADDR_MASK;
	uint32_t off = 0;
	bool write = false;

	x.exits++;
	switch (e0->reason) {
	case VAPIC_EXIT_WRMSR:
		x.msr_write_exits++;
		if (e0->msr == VAPIC_MSR_TSC_DEADLINE)
			x.tscdeadline_writes++;
		if (e0->msr >= 0x800 && e0->msr <= 0x8ff) {
			off = (e0->msr - 0x800) << 4;
			write = true;
		}
		break;
	case VAPIC_EXIT_RDMSR:
		x.msr_read_exits++;
		break;
	case VAPIC_EXIT_MMIO_WRITE:
		x.mmio_exits++;
		if (e0->gpa >= page && e0->gpa - page < VAPIC_XAPIC_PAGE_SIZE) {
			off = (uint32_t)(e0->gpa - page);
			write = true;
		}
		break;
	case VAPIC_EXIT_MMIO_READ:
		x.mmio_exits++;
		break;
	case VAPIC_EXIT_HLT:
		x.halt_exits++;
		break;
	case VAPIC_EXIT_PREEMPTION_TIMER:
		x.preemption_timer_exits++;
		break;
	case VAPIC_EXIT_HOST_TIMER:
		x.host_timer_exits++;
		break;
	case VAPIC_EXIT_IRQ_WINDOW:
		x.irq_window_exits++;
		break;
	case VAPIC_EXIT_KICK:
		x.signal_exits++;
		break;
	default:
		x.other_exits++;
		break;
	}
	if (write && (off == VAPIC_REG_ICR_LO || off == VAPIC_REG_SELF_IPI))
		x.icr_writes++;
	if (write && off == VAPIC_REG_EOI)
		x.eoi_writes++;
	if (write && off == VAPIC_REG_TMICT)
		x.tmict_writes++;
	switch (res) {
	case VAPIC_FP_RESUME:
		x.fastpath_resume++;
		break;
	case VAPIC_FP_INJECT:
		x.fastpath_inject++;
		break;
	case VAPIC_FP_HOST:
		x.fastpath_host++;
		break;
	default:
		x.fastpath_slow++;
		break;
	}
	if (actions & VAPIC_EXIT_ACT_GP)
		x.gp_injections++;
	if (memcmp(&x, after, sizeof(x))) {
		uint32_t i;

		for (i = 0; i < vapic_exit_stat_ndescs; i++) {
			uint64_t want, got;

			memcpy(&want,
			       (const char *)&x +
				       vapic_exit_stat_descs[i].offset,
			       sizeof(want));
			memcpy(&got,
			       (const char *)after +
				       vapic_exit_stat_descs[i].offset,
			       sizeof(got));
			if (want != got)
				fail(fz,
				     "exit stat %s is %llu, model %llu (reason "
				     "%u msr %#x gpa %#llx result %d)",
				     vapic_exit_stat_descs[i].name,
				     (unsigned long long)got,
				     (unsigned long long)want, e0->reason,
				     e0->msr, (unsigned long long)e0->gpa, res);
		}
		fail(fz, "exit stats differ outside the descriptors");
	}
}

/*
 * A preemption-timer exit of vCPU @c is the expiry of its armed host timer:
 * take that timer from the virtual clock (its callback will not run) and let
 * time run to its expiry (other vCPUs' events on the way).  False, with
 * nothing changed, if no timer is armed within 1 ms: the exit cannot happen.
 */
static bool preemption_due(struct fz *fz, unsigned int c)
{
	struct vclock_vcpu *v = vclock_vcpu(fz->vm, c);
	uint64_t exp;

	if (!vclock_timer_armed(v, &exp) || exp > fz->vm->now_ns + 1000000 ||
	    !vclock_timer_take(v, &exp))
		return false;
	if (exp > fz->vm->now_ns)
		FUZZ_CHECK_EQ(fz, vclock_run_until(fz->vm, exp), 0);
	return true;
}

/*
 * The wait a timer exit may ask for: the timer is due within the advance
 * the host timer was armed with (it never fires before the deadline minus
 * that advance).  The adaptive advance may have been tuned down since (by
 * this very expiry, fired early), so its bound is the adaptive maximum.
 */
static void check_wait(struct fz *fz, unsigned int c,
		       const struct vapic_exit *e)
{
	const struct vapic_timer *t = &fz->l[c]->timer;
	uint64_t max = t->cfg.advance_ns == VAPIC_ADVANCE_ADAPTIVE
			       ? VAPIC_ADVANCE_NS_MAX
			       : (uint64_t)t->cfg.advance_ns;

	if (e->actions & VAPIC_EXIT_ACT_WAIT)
		FUZZ_CHECK(fz, e->wait_ns <= max);
}

/*
 * A timer, window, kick or HLT exit of vCPU @c on its live state, when the
 * host timer's callback has handed an expiry over ('fired'), the advance
 * window it opened is still open, or the exit is the preemption timer's:
 * the timer fire + inject path.  The save/restore
 * twin cannot reach it (saving syncs the timer and takes 'fired'), so the
 * general path runs after the dispatcher instead: such an exit changes
 * nothing but what a poll changes, and a poll right after it (same time)
 * must give the vector or wait the dispatcher gave, and the result and
 * actions the header derives from them.  Then the model's poll check.
 */
static void fastpath_live(struct fz *fz, unsigned int c,
			  const struct vapic_exit *e0)
{
	struct vapic_lapic *l = fz->l[c];
	struct vapic_exit e = *e0, x;
	struct vapic_exit_stats st0 = fz->fp[c].stats;
	uint32_t tvec = l->timer.lvtt & VAPIC_LVT_VECTOR_MASK;
	int res, want;

	fz->nq = 0;
	fz->q_overflow = false;
	res = vapic_fastpath_handle(&fz->fp[c], &e);
	check_fp_stats(fz, e0, fz->m[c].base, res, e.actions, &st0,
		       &fz->fp[c].stats);
	trace(fz, "  fastpath %u live reason %u: %d actions %#x vector %u\n", c,
	      e0->reason, res, e.actions, e.vector);
	FUZZ_CHECK(fz, fp_result_ok(e0->reason, res));
	FUZZ_CHECK_EQ(fz, fz->nq, 0);
	check_wait(fz, c, &e);
	memset(&x, 0, sizeof(x));
	want = slow_path_end(l, e0->reason, true, &x);
	if (res != want || e.actions != x.actions)
		fail(fz,
		     "live fastpath %d actions %#x, a poll after it: %d "
		     "actions %#x (reason %u)",
		     res, e.actions, want, x.actions, e0->reason);
	if (e.actions & VAPIC_EXIT_ACT_INJECT)
		FUZZ_CHECK_EQ(fz, e.vector, x.vector);
	if (e.actions & VAPIC_EXIT_ACT_WAIT)
		FUZZ_CHECK_EQ(fz, e.wait_ns, x.wait_ns);
	out(fz, (uint64_t)res << 32 | e.actions);
	out(fz, e.vector);
	fz->rc.fp_live = true;
	if (res == VAPIC_FP_INJECT)
		fz->rc.fp_inject = true;
	if (e0->reason == VAPIC_EXIT_PREEMPTION_TIMER)
		fz->rc.fp_preempt = true;
	/* The timer's expiry was in flight: its tick is what this injects. */
	if (res == VAPIC_FP_INJECT && e.vector == tvec)
		fz->rc.fp_timer_inject = true;
	op_poll(fz, c);
}

static void op_fastpath(struct fz *fz, unsigned int c)
{
	static struct outcome ofp, osl;
	static struct vapic_lapic_state s0;
	struct vapic_lapic *l = fz->l[c];
	struct vapic_exit e0, efp;
	struct vapic_exit_stats st0;
	uint8_t k = get8(fz);
	unsigned int j;

	build_exit(fz, c, k, &e0);
	if (e0.reason == VAPIC_EXIT_PREEMPTION_TIMER && !preemption_due(fz, c))
		e0.reason = VAPIC_EXIT_KICK;
	if (deliver_kind(e0.reason) &&
	    (l->timer.fired || l->timer.in_window ||
	     e0.reason == VAPIC_EXIT_PREEMPTION_TIMER)) {
		fastpath_live(fz, c, &e0);
		return;
	}
	FUZZ_CHECK_EQ(fz, vapic_lapic_save(l, &s0), 0);
	fz->nq = 0;
	fz->q_overflow = false;
	efp = e0;
	st0 = fz->fp[c].stats;
	ofp.res = vapic_fastpath_handle(&fz->fp[c], &efp);
	ofp.e = efp;
	check_fp_stats(fz, &e0, fz->m[c].base, ofp.res, efp.actions, &st0,
		       &fz->fp[c].stats);
	take_outcome(fz, c, &ofp);
	trace(fz,
	      "  fastpath %u reason %u msr %#x gpa %#llx data %#llx: %d "
	      "actions %#x vector %u\n",
	      c, e0.reason, e0.msr, (unsigned long long)e0.gpa,
	      (unsigned long long)e0.data, ofp.res, efp.actions, efp.vector);
	FUZZ_CHECK(fz, fp_result_ok(e0.reason, ofp.res));
	/* The slow path from the same state. */
	if (vapic_lapic_restore(l, &s0))
		fail(fz,
		     "a saved record (base %#llx svr %#x tpr %#x ldr %#x "
		     "dfr %#x esr %#x/%#x icr %#x/%#x events %#x timer "
		     "flags %#x irr0 %#x isr0 %#x lvt %#x %#x %#x %#x %#x "
		     "%#x) does not restore",
		     (unsigned long long)s0.apic_base, s0.svr, s0.tpr, s0.ldr,
		     s0.dfr, s0.esr, s0.esr_pending, s0.icr_lo, s0.icr_hi,
		     s0.events, s0.timer.flags, s0.irr[0], s0.isr[0], s0.lvt[0],
		     s0.lvt[1], s0.lvt[2], s0.lvt[3], s0.lvt[4], s0.lvt[5]);
	fz->nq = 0;
	osl.res = slow_path(fz, c, &e0, &osl.e);
	take_outcome(fz, c, &osl);
	if (ofp.res != osl.res)
		fail(fz, "fastpath result %d, slow path %d (reason %u msr %#x)",
		     ofp.res, osl.res, e0.reason, e0.msr);
	FUZZ_CHECK_EQ(fz, efp.actions, osl.e.actions);
	if (efp.actions & VAPIC_EXIT_ACT_INJECT)
		FUZZ_CHECK_EQ(fz, efp.vector, osl.e.vector);
	if (efp.actions & VAPIC_EXIT_ACT_EOI)
		FUZZ_CHECK_EQ(fz, efp.eoi_vector, osl.e.eoi_vector);
	if (efp.actions & VAPIC_EXIT_ACT_WAIT)
		FUZZ_CHECK_EQ(fz, efp.wait_ns, osl.e.wait_ns);
	check_wait(fz, c, &efp);
	if (e0.reason == VAPIC_EXIT_RDMSR || e0.reason == VAPIC_EXIT_MMIO_READ)
		FUZZ_CHECK_EQ(fz, efp.data, osl.e.data);
	if (memcmp(&ofp.s, &osl.s, sizeof(ofp.s)))
		fail(fz, "fastpath and slow path leave different records");
	FUZZ_CHECK_EQ(fz, ofp.nq, osl.nq);
	for (j = 0; j < ofp.nq; j++)
		if (memcmp(&ofp.q[j].ipi, &osl.q[j].ipi, sizeof(ofp.q[j].ipi)))
			fail(fz, "fastpath message %u differs", j);
	out(fz, (uint64_t)ofp.res << 32 | efp.actions);
	out(fz, efp.vector);
	if (ofp.res == VAPIC_FP_INJECT)
		fz->rc.fp_inject = true;
	if (ofp.res == VAPIC_FP_HOST)
		fz->rc.fp_host = true;
	if (ofp.res == VAPIC_FP_SLOW)
		fz->rc.fp_slow = true;
	if (efp.actions & VAPIC_EXIT_ACT_GP)
		fz->rc.fp_gp = true;

	/*
	 * The model: the same exit from the saved state, through the model
	 * of each view (the core's state is the slow path's, which equals
	 * the dispatcher's).  Restore the saved state and replay it through
	 * the checked register calls.
	 */
	FUZZ_CHECK_EQ(fz, vapic_lapic_restore(l, &s0), 0);
	switch (e0.reason) {
	case VAPIC_EXIT_WRMSR:
		if (e0.msr >= 0x800 && e0.msr <= 0x8ff) {
			(void)reg_write(fz, c, V_X2APIC, (e0.msr - 0x800) << 4,
					e0.data);
		} else if (e0.msr == VAPIC_MSR_TSC_DEADLINE) {
			exit_poll(fz, c, vapic_lapic_wrmsr(l, e0.msr, e0.data));
		} else if (e0.msr == VAPIC_MSR_APIC_BASE) {
			/* replayed raw; the model follows */
			int r = vapic_lapic_wrmsr(l, e0.msr, e0.data);

			if (r >= 0) {
				struct vapic_lapic_state s;

				FUZZ_CHECK_EQ(fz, vapic_lapic_save(l, &s), 0);
				m_from_record(fz, c, &s);
			}
		}
		break;
	case VAPIC_EXIT_RDMSR:
		op_rdmsr(fz, c, e0.msr);
		break;
	case VAPIC_EXIT_MMIO_WRITE:
	case VAPIC_EXIT_MMIO_READ: {
		uint32_t off;

		if (!vapic_lapic_mmio_match(l, e0.gpa, &off))
			break;
		if (e0.reason == VAPIC_EXIT_MMIO_WRITE) {
			if (fz->m[c].mode == VAPIC_APIC_XAPIC && e0.size == 4 &&
			    !(off & 0xf))
				(void)reg_write(fz, c, V_XAPIC, off,
						(uint32_t)e0.data);
			else
				(void)vapic_lapic_mmio_write(l, off, e0.size,
							     e0.data);
		} else {
			uint64_t val;
			int r = vapic_lapic_mmio_read(l, off, e0.size, &val);

			FUZZ_CHECK_EQ(fz, val, efp.data);
			if (r == VAPIC_ENOENT)
				m_error(fz, &fz->m[c],
					VAPIC_ESR_ILLEGAL_REGISTER);
		}
		break;
	}
	default:
		break;
	}
	/* Then the poll the exit implied, checked against the model. */
	if (efp.actions & (VAPIC_EXIT_ACT_INJECT | VAPIC_EXIT_ACT_WAIT) ||
	    deliver_kind(e0.reason))
		op_poll(fz, c);
}

/* ---------------------------------------------------------------------- */

static void exec_op(struct fz *fz, uint8_t op)
{
	unsigned int c = cpu(fz);
	uint8_t b;
	uint32_t v;

	switch (op % NR_OPS) {
	case 0:
		fz->op_str = "mmio_read";
		op_mmio_read(fz, c);
		break;
	case 1:
		fz->op_str = "mmio_write";
		op_mmio_write(fz, c);
		break;
	case 2:
		fz->op_str = "rdmsr";
		b = get8(fz);
		op_rdmsr(fz, c,
			 b == 0xff ? VAPIC_MSR_APIC_BASE
				   : 0x800U + (b & 0x7fU));
		break;
	case 3:
		fz->op_str = "wrmsr";
		b = get8(fz);
		(void)reg_write(fz, c, V_X2APIC, (uint32_t)b << 4,
				(get8(fz) & 1) ? get64(fz) : get32(fz));
		break;
	case 4:
		fz->op_str = "apic_base";
		op_apic_base(fz, c);
		break;
	case 5:
		fz->op_str = "svr";
		v = get8(fz);
		v |= (uint32_t)get8(fz) << 8;
		(void)reg_write(fz, c, view_of(fz, c), VAPIC_REG_SVR, v);
		break;
	case 6:
		fz->op_str = "tpr";
		b = get8(fz);
		if (get8(fz) & 1) {
			int r = vapic_lapic_set_cr8(fz->l[c], b & 0x1f);

			if (b & 0x10) {
				FUZZ_CHECK_EQ(fz, r, VAPIC_ERSVD);
			} else {
				FUZZ_CHECK(fz, r >= 0);
				fz->m[c].tpr = (uint32_t)(b & 0xf) << 4;
				exit_poll(fz, c, r);
			}
		} else {
			(void)reg_write(fz, c, view_of(fz, c), VAPIC_REG_TPR,
					b);
		}
		break;
	case 7:
		fz->op_str = "lvt";
		b = get8(fz) % 7;
		v = get32(fz);
		(void)reg_write(fz, c, view_of(fz, c),
				b == 6 ? VAPIC_REG_LVT_TIMER
				       : (b == 0 ? VAPIC_REG_LVT_CMCI
						 : VAPIC_REG_LVT_THERMAL +
							   16 * (b - 1U)),
				v);
		break;
	case 8:
		fz->op_str = "esr";
		op_esr(fz, c);
		break;
	case 9:
		fz->op_str = "icr";
		op_icr(fz, c);
		break;
	case 10:
		fz->op_str = "self_ipi";
		(void)reg_write(fz, c, V_X2APIC, VAPIC_REG_SELF_IPI, get8(fz));
		break;
	case 11:
		fz->op_str = "accept";
		v = get8(fz);
		b = get8(fz);
		if ((b & 0xf0) == 0x40) {
			op_external(fz, c, (uint8_t)v, b);
			break;
		}
		{
			int e = m_accept(fz, &fz->m[c], v, b & 1);
			int r = vapic_lapic_accept(
				fz->l[c], v, (b & 1) ? VAPIC_ACCEPT_LEVEL : 0);

			trace(fz, "  accept %u vector %#x%s: %d\n", c, v,
			      (b & 1) ? " level" : "", r);
			FUZZ_CHECK_EQ(fz, r, e);
		}
		break;
	case 12:
		fz->op_str = "poll";
		op_poll(fz, c);
		break;
	case 13:
		fz->op_str = "eoi";
		op_eoi(fz, c);
		break;
	case 14:
		fz->op_str = "save_restore";
		op_save_restore(fz, c);
		break;
	case 15:
		fz->op_str = "init";
		op_init(fz, c);
		break;
	case 16:
		fz->op_str = "fastpath";
		op_fastpath(fz, c);
		break;
	default:
		fz->op_str = "time";
		b = get8(fz);
		(void)vclock_advance(fz->vm, (uint64_t)b << (b & 7));
		break;
	}
}

static void setup(struct fz *fz)
{
	static const uint32_t maxphy[4] = { 36, 39, 46, 52 };
	struct vclock_config cfg;
	uint8_t b = get8(fz);
	unsigned int c;

	memset(&fz->rc, 0, sizeof(fz->rc));
	fz->flags = VAPIC_LAPIC_F_X2APIC;
	if (b & 1)
		fz->flags |= VAPIC_LAPIC_F_CMCI;
	if (b & 2)
		fz->flags |= VAPIC_LAPIC_F_EOI_SUPPRESS;
	if (b & 4)
		fz->flags &= ~VAPIC_LAPIC_F_X2APIC;
	if (b & 8)
		fz->flags |= VAPIC_LAPIC_F_BSP;
	fz->maxphy = maxphy[(b >> 4) & 3];
	vclock_config_default(&cfg, NR_CPU);
	cfg.lapic.flags = fz->flags;
	cfg.lapic.maxphyaddr = fz->maxphy;
	cfg.lapic.timer.flags |= VAPIC_TIMER_F_TSC_DEADLINE;
	if (vclock_vm_create(&cfg, &fz->vm))
		fail(fz, "vclock_vm_create");
	fz->vm->send_ipi_hook = host_send_ipi;
	fz->vm->send_ipi_arg = fz;
	for (c = 0; c < NR_CPU; c++) {
		struct vclock_vcpu *v = vclock_vcpu(fz->vm, c);

		v->auto_enter = false;
		fz->l[c] = &v->lapic;
		FUZZ_CHECK_EQ(fz, vapic_fastpath_init(&fz->fp[c], fz->l[c]), 0);
		m_power_up(fz, c);
		fz->merged[c] = fz->l[c]->stats.merged;
	}
	trace(fz, "setup flags %#x maxphyaddr %u\n", fz->flags, fz->maxphy);
}

static void run(struct fz *fz, const uint8_t *data, size_t size)
{
	fz->p = data;
	fz->n = size;
	fz->i = 0;
	fz->digest = 0xcbf29ce484222325ULL;
	fz->op_str = NULL;
	fz->op_index = 0;
	setup(fz);
	check_all(fz);
	for (fz->op_index = 0; fz->op_index < MAX_OPS && fz->i < fz->n;
	     fz->op_index++) {
		uint8_t op = get8(fz);

		trace(fz, "op %u: %u\n", fz->op_index, op % NR_OPS);
		exec_op(fz, op);
		check_all(fz);
	}
	fz->rc.ops = fz->op_index;
	vclock_vm_destroy(fz->vm);
	fz->vm = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz fz_mem;
	struct fz *fz = &fz_mem;
	uint64_t digest;

	fz->trace = getenv("FUZZ_LAPIC_TRACE") != NULL;
	run(fz, data, size);
	digest = fz->digest;
	last_reached = fz->rc;
	/* Determinism: the same input again gives the same outputs. */
	fz->trace = false;
	run(fz, data, size);
	if (fz->digest != digest)
		fail(fz, "not deterministic: outputs differ on a second run");
	return 0;
}

void fuzz_summary(char *buf, size_t len)
{
	const struct reached *r = &last_reached;
	static const struct fuzz_flag names[] = {
#define R(f) FUZZ_FLAG(struct reached, f)
		R(xapic),
		R(x2apic),
		R(disabled),
		R(base_refused),
		R(base_host),
		R(mmio_odd),
		R(mmio_reserved),
		R(msr_gp),
		R(phys),
		R(flat),
		R(cluster),
		R(x2_logical),
		R(broadcast),
		R(sh_self),
		R(sh_all),
		R(sh_others),
		R(ipi_event),
		R(lowest),
		R(illegal_vector),
		R(self_ipi),
		R(injected),
		R(eoi_level),
		R(tpr_blocked),
		R(esr_latched),
		R(error_irq),
		R(sw_disabled),
		R(restored),
		R(mutated_ok),
		R(mutated_refused),
		R(init),
		R(fp_inject),
		R(fp_host),
		R(fp_slow),
		R(fp_gp),
		R(fp_icr),
		R(fp_tscd),
		R(fp_preempt),
		R(fp_timer_inject),
		R(fp_live),
		R(timer_tick),
		R(timer_tick_merged),
		R(lint),
		R(lint_remote_irr),
		R(raise_lvt),
		R(lvt_event),
#undef R
	};

	fuzz_summary_flags(buf, len, r->ops, r->msgs, r->injections, r, names,
			   sizeof(names) / sizeof(names[0]));
}
