// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --irqchip=user: the guest's local APIC is libvapic's struct vapic_lapic,
 * and every exit goes through libvapic's fastpath dispatcher first.
 *
 * What reaches libvapic: x2APIC MSRs 0x800-0x8ff (KVM without an in-kernel
 * LAPIC reports them with reason INVAL), IA32_TSC_DEADLINE and
 * IA32_APIC_BASE (denied by the MSR filter: reason FILTER), the xAPIC page
 * (left unbacked, so every access exits as KVM_EXIT_MMIO, wherever
 * IA32_APIC_BASE puts it outside guest RAM -- RAM is one memslot, not split
 * around a page moved into it; libvapic reads it as all ones when the APIC
 * is disabled or in x2APIC mode), HLT, interrupt windows, kicks and the host
 * timer.  This file is the VMM's side: it translates kvm_run to struct
 * vapic_exit and back, and routes IPIs (the send_ipi host op).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/ipi.h>
#include "vmm.h"

static struct vcpu *vcpu_of(void *host)
{
	return (struct vcpu *)((char *)host - offsetof(struct vcpu, pv));
}

/*
 * send_ipi host op (sender's vCPU thread): route a message that the
 * sender's ICR resolved to every matching LAPIC (SDM "Determining IPI
 * Destination"), or to the lowest-priority one.
 */
static int op_send_ipi(void *host, const struct vapic_ipi *ipi)
{
	struct vcpu *src = vcpu_of(host);
	struct vmm *vm = src->vm;
	struct vapic_lapic *cands[VMM_MAX_CPUS];
	uint32_t n = 0;
	int i;

	src->c.ipis_sent++;
	for (i = 0; i < vm->ncpus; i++) {
		struct vapic_lapic *l = &vm->vcpus[i].lapic;

		if (!vapic_lapic_match_dest(l, ipi))
			continue;
		if (ipi->delivery_mode == VAPIC_DM_LOWEST)
			cands[n++] = l;
		else
			vapic_lapic_receive(l, ipi);
	}
	if (n) {
		struct vapic_lapic *w =
			vapic_lapic_lowest_priority(cands, n, ipi->vector);

		if (w)
			vapic_lapic_receive(w, ipi);
	}
	return 0;
}

/*
 * libvapic's warnings (host failures: a failed timer arm, a host timer
 * that fired early), at most 10 at once and then one a second per vCPU;
 * all are counted (libvapic_warnings in the report).
 */
static void op_log(void *host, int level, const char *msg, uint64_t a,
		   uint64_t b)
{
	struct vcpu *v = vcpu_of(host);
	uint64_t held;

	if (level > VAPIC_LOG_WARN)
		return;
	v->c.libvapic_warnings++;
	if (!ratelimit_allow(&v->log_rl, vmm_now_ns(), &held))
		return;
	if (held)
		fprintf(stderr,
			"vapic-vmm: vcpu %d: libvapic: %llu more warnings "
			"not shown\n",
			v->index, (unsigned long long)held);
	fprintf(stderr, "vapic-vmm: vcpu %d: libvapic: %s (%llu, %llu)\n",
		v->index, msg, (unsigned long long)a, (unsigned long long)b);
}

/*
 * map_guest host op: guest RAM is one mapping, at vm->ram, for the VM's
 * life, so a translation is all it takes (the shared page of the lazy
 * TSC-deadline protocol).
 */
static void *op_map_guest(void *host, uint64_t gpa, uint32_t len)
{
	struct vmm *vm = vcpu_of(host)->vm;

	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

static void op_unmap_guest(void *host, void *hva, uint32_t len)
{
	(void)host;
	(void)hva;
	(void)len;
}

void apic_host_ops(struct vapic_host_ops *ops)
{
	ops->send_ipi = op_send_ipi;
	ops->log = op_log;
	ops->map_guest = op_map_guest;
	ops->unmap_guest = op_unmap_guest;
}

/* --lazy: expose the lazy TSC-deadline protocol on this vCPU's timer. */
int apic_lazy_setup(struct vcpu *v)
{
#ifdef VMM_HAVE_LAZY
	int r = vapic_lazy_setup(&v->lapic.timer, &v->vm->lazy_cfg);

	if (r) {
		fprintf(stderr, "vapic-vmm: vapic_lazy_setup: %s\n",
			vapic_strerror(r));
		return -EINVAL;
	}
	return 0;
#else
	(void)v;
	fprintf(stderr, "vapic-vmm: --lazy: this libvapic has no lazy "
			"TSC-deadline support\n");
	return -ENOTSUP;
#endif
}

/* An MSR exit the dispatcher left: the lazy protocol's MSR? */
bool apic_lazy_msr(struct vcpu *v)
{
#ifdef VMM_HAVE_LAZY
	struct kvm_run *run = v->run;
	int r;

	if (!v->vm->lazy_msr ||
	    !vapic_lazy_is_msr(&v->lapic.timer, run->msr.index))
		return false;
	v->c.msr_lazy++;
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		run->msr.data = vapic_lazy_read_msr(&v->lapic.timer);
		run->msr.error = 0;
		return true;
	}
	r = vapic_lazy_write_msr(&v->lapic.timer, run->msr.data);
	run->msr.error = r < 0 && r != VAPIC_EHOST ? 1 : 0;
	return true;
#else
	(void)v;
	return false;
#endif
}

int apic_vcpu_init(struct vcpu *v)
{
	struct vapic_lapic_config cfg;
	int r;

	ratelimit_init(&v->log_rl, 10, 1000000000ULL);
	vapic_lapic_config_default(&cfg, v->apic_id, v->vm->tsc_khz);
	if (!v->vm->opt.no_pv_eoi)
		cfg.flags |= VAPIC_LAPIC_F_PV_EOI;
	r = vapic_lapic_init(&v->lapic, &cfg, &v->vm->ops, &v->pv);
	if (!r)
		r = vapic_fastpath_init(&v->fp, &v->lapic);
	if (r) {
		fprintf(stderr, "vapic-vmm: libvapic LAPIC init: %s\n",
			vapic_strerror(r));
		return -EINVAL;
	}
	return 0;
}

/* Describe the KVM exit in v->run to the dispatcher. */
void apic_exit_from_run(struct vcpu *v, struct vapic_exit *e)
{
	struct kvm_run *run = v->run;

	memset(e, 0, sizeof(*e));
	switch (run->exit_reason) {
	case KVM_EXIT_X86_WRMSR:
		e->reason = VAPIC_EXIT_WRMSR;
		e->msr = run->msr.index;
		e->data = run->msr.data;
		break;
	case KVM_EXIT_X86_RDMSR:
		e->reason = VAPIC_EXIT_RDMSR;
		e->msr = run->msr.index;
		break;
	case KVM_EXIT_MMIO:
		e->reason = run->mmio.is_write ? VAPIC_EXIT_MMIO_WRITE
					       : VAPIC_EXIT_MMIO_READ;
		e->gpa = run->mmio.phys_addr;
		e->size = run->mmio.len;
		if (run->mmio.is_write)
			memcpy(&e->data, run->mmio.data,
			       run->mmio.len > 8 ? 8 : run->mmio.len);
		break;
	case KVM_EXIT_HLT:
		e->reason = VAPIC_EXIT_HLT;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		e->reason = VAPIC_EXIT_IRQ_WINDOW;
		break;
	default:
		e->reason = VAPIC_EXIT_OTHER;
		break;
	}
}

/* Count the exit in the VMM's own by-register counters. */
static void count_exit(struct vcpu *v, const struct vapic_exit *e)
{
	uint32_t off;

	switch (e->reason) {
	case VAPIC_EXIT_WRMSR:
	case VAPIC_EXIT_RDMSR:
		if (e->msr == VAPIC_MSR_TSC_DEADLINE)
			v->c.msr_tsc_deadline++;
		else if (e->msr == 0x830)
			v->c.msr_x2apic_icr++;
		else if (e->msr == 0x80b)
			v->c.msr_x2apic_eoi++;
		else if (e->msr >= 0x800 && e->msr <= 0x8ff)
			v->c.msr_x2apic_other++;
		else if (e->msr == 0x1b)
			v->c.msr_apic_base++;
		else if (e->msr == VAPIC_MSR_KVM_PV_EOI_EN)
			v->c.msr_pv_eoi++;
		else if (e->msr == 0x10)
			v->c.msr_tsc++;
		else if (e->msr == 0x3b)
			v->c.msr_tsc_adjust++;
		else if (!v->vm->lazy_msr || e->msr != v->vm->lazy_msr)
			v->c.msr_other++;
		break;
	case VAPIC_EXIT_MMIO_WRITE:
	case VAPIC_EXIT_MMIO_READ:
		if (!vapic_lapic_mmio_match(&v->lapic, e->gpa, &off))
			v->c.mmio_other++;
		else if ((off & ~0xfU) == VAPIC_REG_ICR_LO &&
			 e->reason == VAPIC_EXIT_MMIO_WRITE)
			v->c.mmio_apic_icr++;
		else if ((off & ~0xfU) == VAPIC_REG_EOI &&
			 e->reason == VAPIC_EXIT_MMIO_WRITE)
			v->c.mmio_apic_eoi++;
		else
			v->c.mmio_apic_other++;
		break;
	default:
		break;
	}
}

int apic_dispatch(struct vcpu *v, struct vapic_exit *e)
{
	int r = vapic_fastpath_handle(&v->fp, e);

	count_exit(v, e);
	return r;
}

/* Complete the KVM side of an exit the dispatcher handled. */
void apic_complete(struct vcpu *v, const struct vapic_exit *e)
{
	struct kvm_run *run = v->run;

	switch (e->reason) {
	case VAPIC_EXIT_RDMSR:
		run->msr.data = e->data;
		run->msr.error = (e->actions & VAPIC_EXIT_ACT_GP) ? 1 : 0;
		break;
	case VAPIC_EXIT_WRMSR:
		run->msr.error = (e->actions & VAPIC_EXIT_ACT_GP) ? 1 : 0;
		break;
	case VAPIC_EXIT_MMIO_READ:
		memcpy(run->mmio.data, &e->data,
		       run->mmio.len > 8 ? 8 : run->mmio.len);
		break;
	default:
		break;
	}
	if ((e->actions & VAPIC_EXIT_ACT_ERROR) && e->error != VAPIC_EHOST)
		fprintf(stderr, "vapic-vmm: vcpu %d: libvapic: %s\n", v->index,
			vapic_strerror(e->error));
}
