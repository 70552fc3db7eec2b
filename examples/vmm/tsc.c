// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * --irqchip=user: the guest's writes to its own TSC.
 *
 * libvapic's timer reads this vCPU's guest TSC as the host TSC plus the
 * POSIX adapter's offset.  Left to KVM, a guest write to IA32_TSC (0x10) or
 * IA32_TSC_ADJUST (0x3b) changes KVM's offset without telling userspace,
 * and a TSC deadline then fires early (TSC moved back) or late (forward) by
 * the guest's own RDTSC.  So the MSR filter makes those writes exit
 * (kvm.c), and they are applied here as the SDM says ("Time-Stamp Counter
 * Adjustment"):
 *
 *   WRMSR IA32_TSC, v          the TSC becomes v, and IA32_TSC_ADJUST moves
 *                              by the same amount (v - the TSC before);
 *   WRMSR IA32_TSC_ADJUST, v   the TSC moves by v - IA32_TSC_ADJUST before.
 *
 * 1. The delta, from the VMM's view of the guest TSC (the adapter's offset,
 *    which is the offset KVM applies).
 * 2. KVM's offset is set exactly (kvm_tsc_offset_set(): the vCPU attribute
 *    KVM_VCPU_TSC_OFFSET; not a host-initiated IA32_TSC write, which KVM
 *    may take for a synchronization), then read back: the value read back
 *    is the offset the guest's RDTSC really gets.
 * 3. The adapter and libvapic get that value: vapic_posix_set_tsc_offset()
 *    stores it and tells the timer (a TSC deadline is an absolute guest TSC
 *    value and falls due earlier or later; a one-shot or periodic count
 *    keeps its remaining time).
 * All of it runs on the vCPU's thread with the vCPU out of KVM_RUN, before
 * the next entry, which polls the LAPIC first (a deadline that the move
 * made due is injected then): the guest sees its TSC and its timer move
 * together.
 *
 * A KVM that keeps an offset of its own (read back != asked: the software
 * "PVM" KVM cannot offset the guest TSC at all and reads back 0) leaves
 * the guest's RDTSC where it was.  libvapic follows what KVM does, not what
 * was asked, so its interrupts stay never early by the guest's clock;
 * IA32_TSC_ADJUST keeps the architectural value of the writes all the same
 * (as KVM's own handling of the MSR does on such a host).  The case is
 * counted (tsc_offset_kept) and reported once on stderr.
 *
 * Reads: IA32_TSC stays with KVM (the guest TSC: KVM's offset, the one
 * RDTSC gets).  IA32_TSC_ADJUST reads exit too and return the VMM's value,
 * which is the only one kept: KVM's own copy is not updated (a VMM that
 * saves MSRs with KVM_GET_MSRS would save this one from its own state).
 * Without CPUID.(EAX=7,ECX=0):EBX[1] the guest has no IA32_TSC_ADJUST:
 * #GP both ways, as KVM does.
 *
 * Each vCPU's TSC is its own: a write moves the writing vCPU's offset, its
 * IA32_TSC_ADJUST and its timer; the other vCPUs' TSCs go on as they were
 * (a guest that wants them in step writes each one, as Linux's TSC
 * synchronization does).  The exit comes to the writing vCPU's thread,
 * which is the one that may issue its vCPU ioctls and the adapter's call.
 */
#define _GNU_SOURCE
#include <string.h>

#include "vmm.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3b

/* Move this vCPU's guest TSC by @delta (mod 2^64): KVM, adapter, timer. */
static void move_tsc(struct vcpu *v, uint64_t delta)
{
	uint64_t old = vapic_posix_tsc_offset(&v->pv), want = old + delta, got;
	int r;

	if (!delta)
		return;
	if (kvm_tsc_offset_set(v, want) || kvm_tsc_offset_get(v, &got)) {
		/* KVM's offset is unknown now: libvapic cannot follow it. */
		vmm_stop(v->vm, VMM_STATUS_CRASH);
		return;
	}
	if (got != want) {
		v->c.tsc_offset_kept++;
		if (!__atomic_exchange_n(&v->vm->tsc_offset_warned, 1,
					 __ATOMIC_RELAXED))
			fprintf(stderr,
				"vapic-vmm: vcpu %d: KVM kept TSC offset %lld "
				"when asked for %lld: the guest's TSC does "
				"not move by its writes on this host "
				"(libvapic follows KVM)\n",
				v->index, (long long)got, (long long)want);
	}
	if (got == old)
		return;
	v->c.tsc_moves++;
	r = vapic_posix_set_tsc_offset(&v->pv, got);
	if (r)
		fprintf(stderr,
			"vapic-vmm: vcpu %d: vapic_posix_set_tsc_offset: "
			"%s\n",
			v->index, strerror(-r));
}

bool tsc_msr(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	bool write = run->exit_reason == KVM_EXIT_X86_WRMSR;
	uint64_t delta;

	if (!v->vm->tsc_writes)
		return false;
	switch (run->msr.index) {
	case MSR_IA32_TSC:
		run->msr.error = 0;
		if (!write) {
			/* Not filtered; if it ever exits: the guest TSC. */
			run->msr.data = vapic_posix_guest_tsc(&v->pv);
			return true;
		}
		delta = run->msr.data - vapic_posix_guest_tsc(&v->pv);
		v->tsc_adjust += delta;
		move_tsc(v, delta);
		return true;
	case MSR_IA32_TSC_ADJUST:
		if (!v->vm->tsc_adjust_msr) {
			run->msr.error = 1; /* #GP */
			return true;
		}
		run->msr.error = 0;
		if (!write) {
			run->msr.data = v->tsc_adjust;
			return true;
		}
		delta = run->msr.data - v->tsc_adjust;
		v->tsc_adjust = run->msr.data;
		move_tsc(v, delta);
		return true;
	default:
		return false;
	}
}
