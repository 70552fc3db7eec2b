/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A small deterministic host for the LAPIC and fastpath unit tests: a few
 * vCPUs sharing one guest TSC that moves only when a test moves it, a
 * one-shot host timer per vCPU, a log of IPIs handed to send_ipi, which it
 * routes to its LAPICs the way a VMM would (vapic_lapic_match_dest(),
 * vapic_lapic_lowest_priority(), vapic_lapic_receive()).
 *
 * The guest TSC runs at 1 GHz and host ns equal guest TSC cycles.
 */
#ifndef LAPIC_FAKE_H
#define LAPIC_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/fastpath.h>
#include <vapic/lapic.h>

#define FAKE_TSC_KHZ 1000000U
#define FAKE_MAX_CPUS 4
#define FAKE_MAX_IPIS 32

struct fake_vm;

struct fake_cpu {
	struct fake_vm *vm;
	struct vapic_lapic lapic;
	struct vapic_fastpath fp;
	int kicks;
	bool armed;
	uint64_t expires_ns;
	int arms;
	int cancels;
	int arm_error; /* timer_arm returns this (and arms nothing) if set */
};

struct fake_vm {
	uint64_t tsc;
	int ncpu;
	struct fake_cpu cpu[FAKE_MAX_CPUS];
	struct vapic_ipi ipis[FAKE_MAX_IPIS];
	int nipi;
	int ipi_error; /* send_ipi returns this when non-zero */
	bool route; /* deliver IPIs to the other fake vCPUs */
	int delivered; /* receive() calls made while routing */
};

static inline uint64_t fake_now_ns(void *host)
{
	return ((struct fake_cpu *)host)->vm->tsc;
}

static inline uint64_t fake_guest_tsc(void *host)
{
	return ((struct fake_cpu *)host)->vm->tsc;
}

static inline int fake_timer_arm(void *host, uint64_t expires_ns)
{
	struct fake_cpu *c = host;

	if (c->arm_error)
		return c->arm_error;
	c->armed = true;
	c->expires_ns = expires_ns;
	c->arms++;
	return 0;
}

static inline void fake_timer_cancel(void *host)
{
	struct fake_cpu *c = host;

	c->armed = false;
	c->cancels++;
}

static inline void fake_kick(void *host)
{
	((struct fake_cpu *)host)->kicks++;
}

static inline int fake_send_ipi(void *host, const struct vapic_ipi *ipi)
{
	struct fake_vm *vm = ((struct fake_cpu *)host)->vm;
	struct vapic_lapic *cands[FAKE_MAX_CPUS];
	uint32_t n = 0;
	int i;

	if (vm->nipi < FAKE_MAX_IPIS)
		vm->ipis[vm->nipi++] = *ipi;
	if (vm->ipi_error)
		return vm->ipi_error;
	if (!vm->route)
		return 0;
	for (i = 0; i < vm->ncpu; i++)
		if (vapic_lapic_match_dest(&vm->cpu[i].lapic, ipi))
			cands[n++] = &vm->cpu[i].lapic;
	if (ipi->delivery_mode == VAPIC_DM_LOWEST) {
		struct vapic_lapic *w =
			vapic_lapic_lowest_priority(cands, n, ipi->vector);

		if (w) {
			(void)vapic_lapic_receive(w, ipi);
			vm->delivered++;
		}
		return 0;
	}
	for (i = 0; i < (int)n; i++) {
		(void)vapic_lapic_receive(cands[i], ipi);
		vm->delivered++;
	}
	return 0;
}

static const struct vapic_host_ops fake_ops = {
	.now_ns = fake_now_ns,
	.guest_tsc = fake_guest_tsc,
	.timer_arm = fake_timer_arm,
	.timer_cancel = fake_timer_cancel,
	.kick = fake_kick,
	.send_ipi = fake_send_ipi,
};

/* Set up @n vCPUs with APIC IDs 0..n-1 (flags: VAPIC_LAPIC_F_*). */
static inline int fake_vm_init(struct fake_vm *vm, int n, uint32_t flags)
{
	int i, r;

	memset(vm, 0, sizeof(*vm));
	vm->tsc = 1000000;
	vm->ncpu = n;
	vm->route = true;
	for (i = 0; i < n; i++) {
		struct vapic_lapic_config cfg;

		vapic_lapic_config_default(&cfg, (uint32_t)i, FAKE_TSC_KHZ);
		cfg.flags = flags | (i == 0 ? VAPIC_LAPIC_F_BSP : 0);
		cfg.timer.advance_ns = 0;
		vm->cpu[i].vm = vm;
		r = vapic_lapic_init(&vm->cpu[i].lapic, &cfg, &fake_ops,
				     &vm->cpu[i]);
		if (r)
			return r;
		r = vapic_fastpath_init(&vm->cpu[i].fp, &vm->cpu[i].lapic);
		if (r)
			return r;
	}
	return 0;
}

/* Software-enable the APIC (SVR = 0x1ff) in its current mode. */
static inline void fake_sw_enable(struct vapic_lapic *l)
{
	if (vapic_lapic_mode(l) == VAPIC_APIC_X2APIC)
		(void)vapic_lapic_wrmsr(l, VAPIC_X2APIC_MSR(VAPIC_REG_SVR),
					0x1ff);
	else
		(void)vapic_lapic_write(l, VAPIC_REG_SVR, 0x1ff);
}

/* xAPIC -> x2APIC through a guest WRMSR of IA32_APIC_BASE. */
static inline int fake_to_x2apic(struct vapic_lapic *l)
{
	return vapic_lapic_wrmsr(l, VAPIC_MSR_APIC_BASE,
				 vapic_lapic_apic_base(l) |
					 VAPIC_APIC_BASE_EXTD);
}

/* Read a register through the current view; returns its value. */
static inline uint32_t fake_reg(struct vapic_lapic *l, uint32_t off)
{
	uint64_t v64 = 0;
	uint32_t v = 0;

	if (vapic_lapic_mode(l) == VAPIC_APIC_X2APIC) {
		(void)vapic_lapic_rdmsr(l, VAPIC_X2APIC_MSR(off), &v64);
		return (uint32_t)v64;
	}
	(void)vapic_lapic_read(l, off, &v);
	return v;
}

static inline bool fake_irr(struct vapic_lapic *l, uint32_t v)
{
	return fake_reg(l, VAPIC_REG_IRR0 + (v >> 5) * 16) & (1U << (v & 31));
}

static inline bool fake_isr(struct vapic_lapic *l, uint32_t v)
{
	return fake_reg(l, VAPIC_REG_ISR0 + (v >> 5) * 16) & (1U << (v & 31));
}

static inline bool fake_tmr(struct vapic_lapic *l, uint32_t v)
{
	return fake_reg(l, VAPIC_REG_TMR0 + (v >> 5) * 16) & (1U << (v & 31));
}

/* ESR as the guest reads it: write, then read. */
static inline uint32_t fake_esr(struct vapic_lapic *l)
{
	if (vapic_lapic_mode(l) == VAPIC_APIC_X2APIC)
		(void)vapic_lapic_wrmsr(l, VAPIC_X2APIC_MSR(VAPIC_REG_ESR), 0);
	else
		(void)vapic_lapic_write(l, VAPIC_REG_ESR, 0);
	return fake_reg(l, VAPIC_REG_ESR);
}

/* Poll and inject once; returns the vector or -1. */
static inline int fake_inject(struct vapic_lapic *l)
{
	uint64_t wait_ns;
	uint32_t v;

	if (vapic_lapic_poll(l, &v, &wait_ns) != VAPIC_LAPIC_INJECT)
		return -1;
	if (vapic_lapic_injected(l, v))
		return -2;
	return (int)v;
}

#endif /* LAPIC_FAKE_H */
