// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * KVM plumbing: the VM, its memory, the MSR filter, vCPUs, CPUID, the
 * Multiboot entry state, SIPI, binary statistics, the guest TSC offset.
 *
 * Order (checked on the reference host, notes/machine-facts.md):
 * CREATE_VM -> (CREATE_IRQCHIP) -> ENABLE_CAP(X86_USER_SPACE_MSR) ->
 * X86_SET_MSR_FILTER -> memory -> CREATE_VCPU -> mmap kvm_run ->
 * SET_CPUID2 (before SET_SREGS: EFER/CR4 bits are checked against CPUID) ->
 * SET_SREGS/REGS -> RUN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vapic/timer.h>
#include "vmm.h"

#define MSR_APIC_BASE 0x1b
#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3b

/* KVM's paravirtual feature bits, CPUID 0x40000001 EAX (asm/kvm_para.h). */
#define KVM_FEATURE_PV_UNHALT 7
#define KVM_FEATURE_PV_SEND_IPI 11
#define KVM_FEATURE_POLL_CONTROL 12
#define KVM_FEATURE_ASYNC_PF_INT 14
#define KVM_FEATURE_BIT(f) (1U << KVM_FEATURE_##f)

static int fail(const char *what)
{
	int e = errno;

	fprintf(stderr, "vapic-vmm: %s: %s\n", what, strerror(e));
	return -e;
}

/* MSRs that the VMM (libvapic) handles when KVM's LAPIC is off. */
static const uint32_t user_msrs[] = {
	VAPIC_MSR_TSC_DEADLINE,
	MSR_APIC_BASE,
};

/*
 * The guest's writes to its TSC (tsc.c), when KVM lets the VMM set the
 * offset exactly: IA32_TSC writes only (KVM's reads are the guest TSC),
 * IA32_TSC_ADJUST both ways (the VMM keeps its value).
 */
static const struct {
	uint32_t msr, flags;
} tsc_msrs[] = {
	{ MSR_IA32_TSC, KVM_MSR_FILTER_WRITE },
	{ MSR_IA32_TSC_ADJUST, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE },
};

static int set_msr_filter(struct vmm *vm, const uint32_t *extra, int nextra)
{
	static uint8_t deny; /* bitmap of one MSR, bit clear: deny -> exit */
	struct kvm_msr_filter f;
	struct kvm_enable_cap cap;
	int i, n = 0;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
	cap.args[0] = KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_INVAL |
		      KVM_MSR_EXIT_REASON_UNKNOWN;
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <=
	    0) {
		fprintf(stderr,
			"vapic-vmm: KVM lacks KVM_CAP_X86_USER_SPACE_MSR"
			" (needed for --irqchip=user)\n");
		return -ENOTSUP;
	}
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap))
		return fail("KVM_ENABLE_CAP(X86_USER_SPACE_MSR)");

	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	for (i = 0; i < (int)(sizeof(user_msrs) / sizeof(user_msrs[0])); i++) {
		f.ranges[n].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[n].nmsrs = 1;
		f.ranges[n].base = user_msrs[i];
		f.ranges[n].bitmap = &deny;
		n++;
	}
	for (i = 0; i < nextra && n < KVM_MSR_FILTER_MAX_RANGES; i++) {
		f.ranges[n].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[n].nmsrs = 1;
		f.ranges[n].base = extra[i];
		f.ranges[n].bitmap = &deny;
		n++;
	}
	for (i = 0; vm->tsc_writes &&
		    i < (int)(sizeof(tsc_msrs) / sizeof(tsc_msrs[0])) &&
		    n < KVM_MSR_FILTER_MAX_RANGES;
	     i++) {
		f.ranges[n].flags = tsc_msrs[i].flags;
		f.ranges[n].nmsrs = 1;
		f.ranges[n].base = tsc_msrs[i].msr;
		f.ranges[n].bitmap = &deny;
		n++;
	}
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &f))
		return fail("KVM_X86_SET_MSR_FILTER");
	return 0;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
					   uint32_t idx);

int kvm_open_vm(struct vmm *vm)
{
	struct kvm_userspace_memory_region mr;
	int r, api;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			fprintf(stderr,
				"vapic-vmm: /dev/kvm does not exist: this host "
				"has no KVM (load kvm-intel/kvm-amd, or run on "
				"a host with virtualization enabled)\n");
		else if (e == EACCES || e == EPERM)
			fprintf(stderr,
				"vapic-vmm: /dev/kvm: permission denied: run "
				"as "
				"root or add yourself to the group owning "
				"/dev/kvm (usually 'kvm')\n");
		else
			fprintf(stderr, "vapic-vmm: cannot open /dev/kvm: %s\n",
				strerror(e));
		return -e;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "vapic-vmm: unexpected KVM API version %d\n",
			api);
		return -ENOTSUP;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return fail("KVM_CREATE_VM");
	if (vm->opt.irqchip == IRQCHIP_KERNEL) {
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0))
			return fail("KVM_CREATE_IRQCHIP");
		if (vm->opt.haltpoll == HALTPOLL_OFF) {
			struct kvm_enable_cap cap;

			memset(&cap, 0, sizeof(cap));
			cap.cap = KVM_CAP_HALT_POLL;
			cap.args[0] = 0;
			if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap))
				return fail("KVM_ENABLE_CAP(HALT_POLL, 0)");
		}
	} else {
		uint32_t extra[2];
		int nextra = 0;

		/* KVM's PV EOI MSR: libvapic's, so it must exit (FILTER). */
		if (!vm->opt.no_pv_eoi)
			extra[nextra++] = VAPIC_MSR_KVM_PV_EOI_EN;

#ifdef VMM_HAVE_LAZY
		if (vm->opt.lazy) {
			vapic_lazy_config_default(&vm->lazy_cfg);
			vm->lazy_msr = vm->lazy_cfg.msr_index;
			extra[nextra++] = vm->lazy_msr;
		}
#endif
		/*
		 * The guest's TSC writes exit only where the VMM can apply
		 * them exactly: the vCPU attribute KVM_VCPU_TSC_OFFSET, which
		 * is what KVM_CAP_VCPU_ATTRIBUTES brought on x86 (5.16).
		 * Without it KVM keeps handling them, untracked (README).
		 */
		vm->tsc_writes = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
				       KVM_CAP_VCPU_ATTRIBUTES) > 0;
		if (!vm->tsc_writes)
			fprintf(stderr,
				"vapic-vmm: KVM lacks KVM_CAP_VCPU_ATTRIBUTES: "
				"guest writes to IA32_TSC/IA32_TSC_ADJUST are "
				"left to KVM, and libvapic does not see "
				"them\n");
		r = set_msr_filter(vm, extra, nextra);
		if (r)
			return r;
	}

	vm->mmap_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		return fail("mmap guest RAM");
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = vm->ram_size;
	mr.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
		return fail("KVM_SET_USER_MEMORY_REGION");

	r = ioctl(vm->vm_fd, KVM_GET_TSC_KHZ, 0);
	if (r <= 0)
		return fail("KVM_GET_TSC_KHZ");
	vm->tsc_khz = (uint32_t)r;

	/* The CPUID KVM supports; adjusted per vCPU in kvm_create_vcpu(). */
	{
		int nent = 256;

		vm->cpuid = calloc(
			1,
			sizeof(*vm->cpuid) +
				(size_t)nent * sizeof(struct kvm_cpuid_entry2));
		if (!vm->cpuid)
			return -ENOMEM;
		vm->cpuid->nent = (uint32_t)nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid))
			return fail("KVM_GET_SUPPORTED_CPUID");
	}
	/* The guest's CPUID is KVM's: IA32_TSC_ADJUST is CPUID.7.0:EBX[1]. */
	{
		const struct kvm_cpuid_entry2 *e = cpuid_find(vm->cpuid, 7, 0);

		vm->tsc_adjust_msr = e && (e->ebx & (1U << 1));
	}
	return 0;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
					   uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == idx))
			return &c->entries[i];
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid2 *c, uint32_t fn,
					  uint32_t idx, bool sig_index)
{
	struct kvm_cpuid_entry2 *e = NULL;
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    c->entries[i].index == idx) {
			e = &c->entries[i];
			break;
		}
	if (!e)
		e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = sig_index ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

static unsigned int order_base_2(unsigned int n)
{
	unsigned int o = 0;

	while ((1U << o) < n)
		o++;
	return o;
}

/*
 * The guest's CPUID: what KVM supports, with this vCPU's topology: APIC
 * ID in leaf 1 EBX[31:24] and in leaf 0xB EDX (x2APIC ID), x2APIC and
 * TSC-deadline in leaf 1 ECX.
 */
static int set_cpuid(struct vmm *vm, struct vcpu *v)
{
	size_t sz = sizeof(struct kvm_cpuid2) +
		    (vm->cpuid->nent + 8) * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	struct kvm_cpuid_entry2 *e;
	unsigned int shift = order_base_2((unsigned int)vm->ncpus);
	uint32_t i;

	if (!c)
		return -ENOMEM;
	memcpy(c, vm->cpuid,
	       sizeof(*c) + vm->cpuid->nent * sizeof(struct kvm_cpuid_entry2));

	e = cpuid_find(c, 1, 0);
	if (!e) {
		free(c);
		fprintf(stderr, "vapic-vmm: KVM reports no CPUID leaf 1\n");
		return -ENOTSUP;
	}
	e->ebx = (e->ebx & 0x0000ffffU) | (v->apic_id << 24) |
		 ((uint32_t)vm->ncpus << 16);
	e->ecx |= (1U << 21) | (1U << 24) | (1U << 31); /* x2APIC, TSC-dl, hv */
	e->edx |= 1U << 9; /* APIC */
	if (vm->ncpus > 1)
		e->edx |= 1U << 28; /* HTT: leaf 1 EBX[23:16] is valid */

	/* Leaf 0xB: one SMT level (1 thread/core), one core level. */
	e = cpuid_add(c, 0xb, 0, true);
	e->eax = 0;
	e->ebx = 1;
	e->ecx = (1U << 8) | 0;
	e->edx = v->apic_id;
	e = cpuid_add(c, 0xb, 1, true);
	e->eax = shift;
	e->ebx = (uint32_t)vm->ncpus;
	e->ecx = (2U << 8) | 1;
	e->edx = v->apic_id;
	e = cpuid_add(c, 0xb, 2, true);
	e->ecx = 2;
	e->edx = v->apic_id;
	/*
	 * KVM_FEATURE_PV_EOI lives in KVM's own hypervisor leaf 0x40000001
	 * (signature "KVMKVMKVM" at 0x40000000), which KVM_GET_SUPPORTED_CPUID
	 * reports: a Linux guest looks for it there, not in the lazy
	 * protocol's leaves.  --irqchip=user: set when libvapic offers it,
	 * cleared otherwise (KVM's own PV EOI needs its in-kernel LAPIC);
	 * --irqchip=kernel: KVM's leaf as KVM reports it.
	 */
	if (vm->opt.irqchip == IRQCHIP_USER) {
		e = cpuid_find(c, 0x40000001, 0);
		if (!e && !vm->opt.no_pv_eoi) {
			e = cpuid_add(c, 0x40000000, 0, false);
			e->eax = 0x40000001;
			memcpy(&e->ebx, "KVMK", 4);
			memcpy(&e->ecx, "VMKV", 4);
			memcpy(&e->edx, "M\0\0\0", 4);
			e = cpuid_add(c, 0x40000001, 0, false);
			e->eax = e->ebx = e->ecx = e->edx = 0;
		}
		if (e && vm->opt.no_pv_eoi)
			e->eax &= ~(1U << VAPIC_KVM_FEATURE_PV_EOI);
		else if (e)
			e->eax |= 1U << VAPIC_KVM_FEATURE_PV_EOI;
		/*
		 * Features that are KVM's LAPIC at work: without it KVM's
		 * PV_SEND_IPI and PV_UNHALT (KICK_CPU) hypercalls deliver to
		 * nobody, ASYNC_PF_INT cannot inject its interrupt, and
		 * POLL_CONTROL would ask KVM's halt polling, not ours.
		 */
		if (e)
			e->eax &= ~(KVM_FEATURE_BIT(PV_UNHALT) |
				    KVM_FEATURE_BIT(PV_SEND_IPI) |
				    KVM_FEATURE_BIT(POLL_CONTROL) |
				    KVM_FEATURE_BIT(ASYNC_PF_INT));
	}
	/* Make sure leaf 0 advertises leaf 0xB. */
	e = cpuid_find(c, 0, 0);
	if (e && e->eax < 0xb)
		e->eax = 0xb;
#ifdef VMM_HAVE_LAZY
	/* The lazy TSC-deadline protocol's hypervisor leaves. */
	if (vm->lazy_msr) {
		uint32_t leaf, regs[4];

		for (leaf = vm->lazy_cfg.cpuid_base;
		     vapic_lazy_cpuid(&vm->lazy_cfg, leaf, regs); leaf++) {
			e = cpuid_add(c, leaf, 0, false);
			e->eax = regs[0];
			e->ebx = regs[1];
			e->ecx = regs[2];
			e->edx = regs[3];
		}
	}
#endif
	/* No cache/topology leaf 4 claims beyond one core per package. */
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 4)
			c->entries[i].eax &=
				0x3fff; /* cores/threads sharing: 1 */

	if (ioctl(v->fd, KVM_SET_CPUID2, c)) {
		int r = fail("KVM_SET_CPUID2");

		free(c);
		return r;
	}
	free(c);
	return 0;
}

/*
 * The vCPU's guest TSC offset (guest TSC - host TSC, modulo 2^64) as KVM
 * applies it: KVM_GET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET, exact.  A KVM
 * without the attribute (before 5.16): IA32_TSC read with KVM_GET_MSRS
 * minus a host TSC read after the ioctl, which can only underestimate the
 * offset (by up to the ioctl's duration): libvapic then sees the guest TSC
 * a little behind, so its interrupts are late by that much, never early.
 */
int kvm_tsc_offset_get(struct vcpu *v, uint64_t *offset)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)offset,
	};
	union {
		struct kvm_msrs h;
		char buf[sizeof(struct kvm_msrs) +
			 sizeof(struct kvm_msr_entry)];
	} m;

	if (!ioctl(v->fd, KVM_GET_DEVICE_ATTR, &a))
		return 0;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.h.entries[0].index = MSR_IA32_TSC;
	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return fail("KVM_GET_MSRS(IA32_TSC)");
	*offset = m.h.entries[0].data - vapic_posix_rdtsc();
	return 0;
}

/*
 * Set the vCPU's guest TSC offset exactly (KVM_SET_DEVICE_ATTR
 * KVM_VCPU_TSC_OFFSET), not with a host-initiated IA32_TSC write, which
 * KVM (6.1) may take for a TSC synchronization with the other vCPUs and
 * answer with their offset (a value within about a second of the one it
 * expects).  Context: the vCPU's thread, out of KVM_RUN.
 */
int kvm_tsc_offset_set(struct vcpu *v, uint64_t offset)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&offset,
	};

	if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &a))
		return fail("KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)");
	return 0;
}

int kvm_create_vcpu(struct vmm *vm, struct vcpu *v)
{
	int r;

	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (v->fd < 0)
		return fail("KVM_CREATE_VCPU");
	v->run_size = vm->mmap_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		return fail("mmap kvm_run");
	r = set_cpuid(vm, v);
	if (r)
		return r;
	if (vm->tsc_writes) {
		struct kvm_device_attr a = {
			.group = KVM_VCPU_TSC_CTRL,
			.attr = KVM_VCPU_TSC_OFFSET,
		};

		/* The filter makes the writes exit: they need the attribute. */
		if (ioctl(v->fd, KVM_HAS_DEVICE_ATTR, &a))
			return fail("KVM_HAS_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)");
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &v->reset_sregs))
		return fail("KVM_GET_SREGS");
	return 0;
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/* Multiboot machine state: 32-bit protected mode, flat, paging off. */
int kvm_set_bsp_entry(struct vmm *vm, struct vcpu *v)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	s = v->reset_sregs;
	flat_seg(&s.cs, 0x08, 0xb); /* execute/read, accessed */
	flat_seg(&s.ds, 0x10, 0x3); /* read/write, accessed */
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x11; /* PE | ET */
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		return fail("KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = vm->entry;
	r.rax = 0x2BADB002;
	r.rbx = vm->mbi_gpa;
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		return fail("KVM_SET_REGS");
	return 0;
}

/*
 * INIT then SIPI: real mode at the vector's page (SDM "MP
 * Initialization": CS selector vector << 8, base vector << 12, IP 0).
 */
int kvm_set_sipi_state(struct vcpu *v, uint8_t vector)
{
	struct kvm_sregs s = v->reset_sregs;
	struct kvm_regs r;

	struct kvm_vcpu_events ev;

	s.cs.selector = (uint16_t)(vector << 8);
	s.cs.base = (uint64_t)vector << 12;
	s.cs.limit = 0xffff;
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		return fail("KVM_SET_SREGS (SIPI)");
	/*
	 * Nothing left over from before the INIT, as KVM's own INIT does
	 * (kvm_vcpu_reset()): no queued vector or exception, no NMI injected
	 * or pending (one KVM_NMI queued while the guest had NMIs blocked),
	 * no NMI blocking, no interrupt shadow.  KVM applies nmi.pending and
	 * the shadow only with their VALID flags; nmi.masked always.
	 */
	memset(&ev, 0, sizeof(ev));
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
		ev.interrupt.injected = 0;
		ev.interrupt.shadow = 0;
		ev.nmi.injected = 0;
		ev.nmi.pending = 0;
		ev.nmi.masked = 0;
		ev.exception.injected = 0;
		ev.exception.pending = 0;
		ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
			   KVM_VCPUEVENT_VALID_SHADOW;
		if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev))
			return fail("KVM_SET_VCPU_EVENTS (SIPI)");
	}
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = 0;
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		return fail("KVM_SET_REGS (SIPI)");
	return 0;
}

/* Read this vCPU's KVM binary statistics (KVM_GET_STATS_FD). */
void kvm_read_stats(struct vcpu *v)
{
	struct kvm_stats_header h;
	char *descs = NULL;
	size_t dsz;
	uint32_t i;
	int fd;

	v->nkstats = 0;
	fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		goto out;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		goto out;
	if (pread(fd, descs, h.num_desc * dsz, h.desc_offset) !=
	    (ssize_t)(h.num_desc * dsz))
		goto out;
	for (i = 0; i < h.num_desc && v->nkstats < KVM_STATS_MAX; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsz);
		uint64_t vals[64], sum = 0;
		uint32_t k, n = d->size < 64 ? d->size : 64;
		struct kvm_stat_val *o;

		if (pread(fd, vals, n * sizeof(uint64_t),
			  h.data_offset + d->offset) !=
		    (ssize_t)(n * sizeof(uint64_t)))
			continue;
		for (k = 0; k < n; k++)
			sum += vals[k];
		o = &v->kstats[v->nkstats++];
		snprintf(o->name, sizeof(o->name), "%s", d->name);
		o->value = sum;
	}
out:
	free(descs);
	close(fd);
}

void kvm_dump_regs(struct vcpu *v, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s))
		return;
	fprintf(f,
		"  vcpu %d: rip %llx rsp %llx rflags %llx rax %llx rbx %llx "
		"rcx %llx rdx %llx\n"
		"          cs %x (base %llx, l %d, dpl %d) cr0 %llx cr3 %llx "
		"cr4 %llx efer %llx\n",
		v->index, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		s.cs.selector, s.cs.base, s.cs.l, s.cs.dpl, s.cr0, s.cr3, s.cr4,
		s.efer);
}
