// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --irqchip=user: the guest's local APIC, emulated by libvapic.
 *
 * Exits that reach here: x2APIC MSRs 0x800-0x8ff (KVM without an in-kernel
 * LAPIC reports them with reason INVAL), IA32_TSC_DEADLINE and
 * IA32_APIC_BASE (denied by the MSR filter, reason FILTER), and MMIO to the
 * xAPIC page (left unbacked, so every access exits as KVM_EXIT_MMIO).
 *
 * The register semantics live in libvapic (struct vapic_lapic, addressed by
 * xAPIC offset; the x2APIC MSR of offset o is 0x800 + (o >> 4)).  What is
 * still here is thin glue that libvapic's register-file work (x2APIC view,
 * IA32_APIC_BASE, ICR/IPI delivery) will absorb: the APIC base MSR, the
 * x2APIC-only registers, and the decoding of ICR writes into deliveries.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <vapic/errors.h>
#include "vmm.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0x0000000ffffff000ULL /* 36-bit MAXPHYADDR */

#define X2APIC_MSR_FIRST 0x800
#define X2APIC_MSR_LAST 0x8ff
#define X2APIC_ICR 0x830
#define X2APIC_SELF_IPI 0x83f

static bool x2apic_mode(const struct vcpu *v)
{
	return (v->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
	       (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool xapic_mode(const struct vcpu *v)
{
	return (v->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
	       APIC_BASE_EN;
}

int apic_vcpu_init(struct vcpu *v)
{
	struct vapic_lapic_config cfg;
	int r;

	vapic_lapic_config_default(&cfg, v->apic_id, v->vm->tsc_khz);
	r = vapic_lapic_init(&v->lapic, &cfg, &v->vm->ops, &v->pv);
	if (r) {
		fprintf(stderr, "vapic-vmm: vapic_lapic_init: %s\n",
			vapic_strerror(r));
		return -EINVAL;
	}
	v->apic_base = VMM_APIC_DEFAULT_BASE | APIC_BASE_EN |
		       (v->index == 0 ? APIC_BASE_BSP : 0);
	return 0;
}

/* ---- TPR <-> CR8 ---------------------------------------------------- */

uint64_t apic_cr8(struct vcpu *v)
{
	uint32_t tpr;

	vapic_lapic_read(&v->lapic, VAPIC_REG_TPR, &tpr);
	return (tpr >> 4) & 0xf;
}

void apic_sync_tpr_from_cr8(struct vcpu *v)
{
	uint64_t cr8 = v->run->cr8 & 0xf;

	if (cr8 != apic_cr8(v))
		vapic_lapic_write(&v->lapic, VAPIC_REG_TPR, (uint32_t)cr8 << 4);
}

/* ---- IPIs (glue until libvapic's ICR delivery lands) ---------------- */

/* Logical destination match (SDM "Logical Destination Mode"). */
static bool logical_match(struct vcpu *t, uint32_t dest, bool x2)
{
	uint32_t ldr, dfr;

	if (x2) {
		/* x2APIC: cluster in [31:16], bitmap in [15:0]. */
		uint32_t id = t->apic_id;

		ldr = ((id >> 4) << 16) | (1U << (id & 0xf));
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	vapic_lapic_read(&t->lapic, VAPIC_REG_LDR, &ldr);
	vapic_lapic_read(&t->lapic, VAPIC_REG_DFR, &dfr);
	ldr >>= 24;
	dest &= 0xff;
	if ((dfr >> 28) == 0xf) /* flat */
		return ldr & dest;
	/* cluster */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

static void deliver(struct vcpu *src, struct vcpu *t, uint32_t lo)
{
	uint32_t vector = lo & 0xff, mode = (lo >> 8) & 7;

	src->c.ipis_sent++;
	switch (mode) {
	case 0: /* fixed */
	case 1: /* lowest priority: delivered to the first match */
		vapic_lapic_accept(&t->lapic, vector, 0);
		break;
	case 4: /* NMI */
		__atomic_store_n(&t->nmi_pending, 1, __ATOMIC_SEQ_CST);
		vcpu_kick(t);
		break;
	case 5: /* INIT; a level de-assert INIT does nothing */
		if (!(lo & (1U << 14)) && (lo & (1U << 15)))
			break;
		__atomic_store_n(&t->init_pending, 1, __ATOMIC_SEQ_CST);
		vcpu_kick(t);
		break;
	case 6: /* start-up */
		__atomic_store_n(&t->sipi_vector, vector, __ATOMIC_SEQ_CST);
		__atomic_store_n(&t->sipi_pending, 1, __ATOMIC_SEQ_CST);
		vcpu_kick(t);
		break;
	default:
		break; /* SMI, reserved: ignored */
	}
}

static void send_ipi(struct vcpu *v, uint32_t lo, uint32_t dest, bool x2)
{
	struct vmm *vm = v->vm;
	uint32_t shorthand = (lo >> 18) & 3, mode = (lo >> 8) & 7;
	bool logical = lo & (1U << 11);
	uint32_t bcast = x2 ? 0xffffffffU : 0xffU;
	int i;

	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		bool hit;

		switch (shorthand) {
		case 1:
			hit = t == v;
			break;
		case 2:
			hit = true;
			break;
		case 3:
			hit = t != v;
			break;
		default:
			if (logical)
				hit = logical_match(t, dest, x2);
			else
				hit = dest == bcast || dest == t->apic_id;
			break;
		}
		if (!hit)
			continue;
		deliver(v, t, lo);
		if (mode == 1 && shorthand == 0)
			break;
	}
}

/* ---- x2APIC MSRs, TSC deadline, APIC base --------------------------- */

static int apic_base_write(struct vcpu *v, uint64_t val)
{
	uint64_t rsvd = ~(APIC_BASE_ADDR_MASK | APIC_BASE_EN | APIC_BASE_EXTD |
			  APIC_BASE_BSP);
	uint64_t old = v->apic_base;
	bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;

	if (val & rsvd)
		return -1;
	if (!en && extd)
		return -1; /* invalid state */
	/* x2APIC -> xAPIC directly is illegal (SDM "x2APIC State Transitions") */
	if (x2apic_mode(v) && en && !extd)
		return -1;
	val = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	if ((old & APIC_BASE_EN) && !en) {
		/* Hardware disable: the APIC returns to its reset state. */
		vapic_lapic_reset(&v->lapic);
	}
	v->apic_base = val;
	return 0;
}

int apic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	uint32_t off, lo = 0, hi = 0;

	*val = 0;
	if (msr == MSR_APIC_BASE) {
		v->c.msr_apic_base++;
		*val = v->apic_base;
		return 0;
	}
	if (msr == VAPIC_MSR_TSC_DEADLINE) {
		v->c.msr_tsc_deadline++;
		*val = vapic_lapic_read_tsc_deadline(&v->lapic);
		return 0;
	}
	if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST) {
		v->c.msr_other++;
		return -1;
	}
	v->c.msr_x2apic_other++;
	if (!x2apic_mode(v))
		return -1;
	off = (msr - X2APIC_MSR_FIRST) << 4;
	switch (off) {
	case VAPIC_REG_ID:
		*val = v->apic_id; /* 32-bit x2APIC ID */
		return 0;
	case VAPIC_REG_LDR:
		*val = ((v->apic_id >> 4) << 16) | (1U << (v->apic_id & 0xf));
		return 0;
	case VAPIC_REG_DFR:
	case VAPIC_REG_EOI:
	case VAPIC_REG_SELF_IPI:
	case VAPIC_REG_ICR_HI:
	case VAPIC_REG_APR:
	case VAPIC_REG_RRD:
		return -1; /* not readable in x2APIC mode */
	case VAPIC_REG_ICR_LO:
		vapic_lapic_read(&v->lapic, VAPIC_REG_ICR_LO, &lo);
		vapic_lapic_read(&v->lapic, VAPIC_REG_ICR_HI, &hi);
		*val = ((uint64_t)hi << 32) | lo;
		return 0;
	default:
		break;
	}
	if (vapic_lapic_read(&v->lapic, off, &lo) < 0)
		return -1;
	*val = lo;
	return 0;
}

int apic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint32_t off;
	int r;

	if (msr == MSR_APIC_BASE) {
		v->c.msr_apic_base++;
		return apic_base_write(v, val);
	}
	if (msr == VAPIC_MSR_TSC_DEADLINE) {
		v->c.msr_tsc_deadline++;
		r = vapic_lapic_write_tsc_deadline(&v->lapic, val);
		return r < 0 && r != VAPIC_EHOST ? -1 : 0;
	}
	if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST) {
		v->c.msr_other++;
		return -1;
	}
	if (!x2apic_mode(v)) {
		v->c.msr_x2apic_other++;
		return -1;
	}
	off = (msr - X2APIC_MSR_FIRST) << 4;
	if (msr == X2APIC_ICR) {
		v->c.msr_x2apic_icr++;
		/* Kept for RDMSR; the core stores xAPIC-style ICR_HI. */
		vapic_lapic_write(&v->lapic, VAPIC_REG_ICR_LO, (uint32_t)val);
		v->lapic.icr_hi = (uint32_t)(val >> 32);
		send_ipi(v, (uint32_t)val & ~(1U << 12), (uint32_t)(val >> 32),
			 true);
		return 0;
	}
	if (off == VAPIC_REG_EOI) {
		v->c.msr_x2apic_eoi++;
		if (val)
			return -1; /* x2APIC: EOI must be written with 0 */
		return vapic_lapic_write(&v->lapic, off, 0) < 0 ? -1 : 0;
	}
	v->c.msr_x2apic_other++;
	if (val >> 32)
		return -1; /* 32-bit registers: upper half reserved */
	switch (off) {
	case VAPIC_REG_SELF_IPI:
		if ((val & 0xff) < 16)
			return -1;
		vapic_lapic_accept(&v->lapic, (uint32_t)val & 0xff, 0);
		return 0;
	case VAPIC_REG_ID:
	case VAPIC_REG_VERSION:
	case VAPIC_REG_LDR:
	case VAPIC_REG_DFR:
	case VAPIC_REG_PPR:
	case VAPIC_REG_APR:
	case VAPIC_REG_RRD:
	case VAPIC_REG_TMCCT:
	case VAPIC_REG_ICR_HI:
		return -1; /* read-only or absent in x2APIC mode */
	case VAPIC_REG_ESR:
		if (val)
			return -1;
		break;
	default:
		if (off >= VAPIC_REG_ISR0 && off < VAPIC_REG_IRR0 + 0x80)
			return -1;
		break;
	}
	r = vapic_lapic_write(&v->lapic, off, (uint32_t)val);
	return r < 0 && r != VAPIC_EHOST ? -1 : 0;
}

/* ---- xAPIC MMIO --------------------------------------------------------- */

bool apic_mmio_hit(struct vcpu *v, uint64_t gpa)
{
	uint64_t base = v->apic_base & APIC_BASE_ADDR_MASK;

	return gpa >= base && gpa < base + 0x1000;
}

void apic_mmio(struct vcpu *v, uint64_t gpa, uint8_t *data, uint32_t len,
	       bool is_write)
{
	uint64_t base = v->apic_base & APIC_BASE_ADDR_MASK;
	uint32_t off = (uint32_t)(gpa - base), reg = off & ~0xfU, val;

	if (!xapic_mode(v)) {
		/* Disabled or in x2APIC mode: the page reads as all ones. */
		v->c.mmio_apic_other++;
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (reg == VAPIC_REG_ICR_LO && is_write)
		v->c.mmio_apic_icr++;
	else if (reg == VAPIC_REG_EOI && is_write)
		v->c.mmio_apic_eoi++;
	else
		v->c.mmio_apic_other++;
	if (!is_write) {
		val = 0;
		if ((off & 0xf) + len <= 4)
			vapic_lapic_read(&v->lapic, reg, &val);
		val >>= 8 * (off & 3);
		memcpy(data, &val, len > 4 ? 4 : len);
		if (len > 4)
			memset(data + 4, 0, len - 4);
		return;
	}
	if (len != 4 || (off & 0xf))
		return; /* the APIC decodes aligned 32-bit accesses only */
	memcpy(&val, data, 4);
	switch (reg) {
	case VAPIC_REG_ICR_LO: {
		uint32_t hi;

		vapic_lapic_write(&v->lapic, reg, val);
		vapic_lapic_read(&v->lapic, VAPIC_REG_ICR_HI, &hi);
		send_ipi(v, val & ~(1U << 12), hi >> 24, false);
		return;
	}
	case VAPIC_REG_SELF_IPI:
		return; /* x2APIC only */
	default:
		vapic_lapic_write(&v->lapic, reg, val);
		return;
	}
}
