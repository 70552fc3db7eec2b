/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * kvm-timer-probe: the contract between the probe VMM (64-bit Linux
 * program) and its guest (32-bit flat protected mode, no paging).
 *
 * Guest memory (identity, 2 MiB):
 *	0x001000  GDT (null, code 0x08, data 0x10)	written by the VMM
 *	0x002000  IDT (256 gates)			written by the guest
 *	0x003000  struct probe_mbox			both
 *	0x003800  lazy TSC-deadline block (64 bytes)	guest + host (KVM)
 *	0x010000  guest image (entry at its start)	loaded by the VMM
 *	0x080000  top of the guest stack
 *	0x100000  top of the AP's stack (vCPU 1, PROBE_REMAP_ADD)
 *	0x400000  memslot 1: one page, only between PROBE_REMAP_ADD and the
 *	          end (PROBE_LAZY2_GPA: a lazy block with its own memslot)
 *
 * Port I/O from the guest (each exits to the VMM):
 *	PROBE_PORT_REPORT  the mailbox holds a result record: print it
 *	PROBE_PORT_PHASE   a phase begins/ends: snapshot KVM's stats (the
 *	                   live phase: also 200 ms later, from another thread)
 *	PROBE_PORT_DONE    all tests ran (or an exception: mbox.exc_*)
 *	PROBE_PORT_PUTC    debug character
 *	PROBE_PORT_SAVE    save the vCPU's LAPIC state, let the guest TSC run
 *	                   past what the guest armed, load it into a freshly
 *	                   reset LAPIC (a migration, see kvm-timer-probe.c)
 *	PROBE_PORT_TSC     the VMM moves the guest TSC 10 s forward
 *	                   (KVM_SET_MSRS of IA32_TSC, host-initiated)
 *	PROBE_PORT_REMAP   the VMM puts other memory behind guest RAM (al:
 *	                   PROBE_REMAP_PAGE: a copy mapped over the page at
 *	                   PROBE_LAZY_GPA; PROBE_REMAP_SLOT: the memslot
 *	                   re-created on a copy of all guest RAM;
 *	                   PROBE_REMAP_ADD: memslot 1 created and vCPU 1
 *	                   started at mbox.ap_eip; PROBE_REMAP_DEL: memslot 1
 *	                   copied, then deleted)
 *	PROBE_PORT_AP      from vCPU 1 (al: PROBE_AP_RECREATE: the VMM
 *	                   creates memslot 1 again on the copy, from vCPU 1's
 *	                   thread while vCPU 0 runs; PROBE_AP_QUIT: vCPU 1
 *	                   stops)
 *
 * 64-bit fields are 8-byte aligned in both ABIs (i386 aligns uint64_t to
 * 4 bytes only), so the layout is the same on both sides.
 */
#ifndef PROBE_ABI_H
#define PROBE_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>

typedef uint64_t probe_u64 __attribute__((aligned(8)));
#endif

#define PROBE_GDT_GPA 0x1000
#define PROBE_IDT_GPA 0x2000U
#define PROBE_MBOX_GPA 0x3000U
#define PROBE_LAZY_GPA 0x3800U
#define PROBE_IMAGE_GPA 0x10000U
#define PROBE_STACK_TOP 0x80000
#define PROBE_AP_STACK_TOP 0x100000
#define PROBE_LAZY2_GPA 0x400000U
#define PROBE_MEM_SIZE 0x200000U

#define PROBE_PORT_REPORT 0x500U
#define PROBE_PORT_PHASE 0x501U
#define PROBE_PORT_DONE 0x502U
#define PROBE_PORT_PUTC 0x503U
#define PROBE_PORT_SAVE 0x504U
#define PROBE_PORT_TSC 0x505U
#define PROBE_PORT_REMAP 0x506U
#define PROBE_PORT_AP 0x507U

/* al of PROBE_PORT_REMAP */
#define PROBE_REMAP_PAGE 1U
#define PROBE_REMAP_SLOT 2U
#define PROBE_REMAP_ADD 3U
#define PROBE_REMAP_DEL 4U

/* mbox.ap_cmd (guest vCPU 0 to vCPU 1), and al of PROBE_PORT_AP */
#define PROBE_AP_RECREATE 1U
#define PROBE_AP_QUIT 2U

#define PROBE_MAGIC 0x50524f42U /* "PROB" */
#define PROBE_VERSION 3U

/* struct probe_mbox.mode: what the guest runs. */
#define PROBE_MODE_CONFORMANCE 0U /* the conformance tests */
#define PROBE_MODE_WORKLOAD 1U /* the re-arm workload only */

/* struct probe_mbox.flags */
#define PROBE_F_LAZY 0x1U /* use lazy TSC-deadline if the host offers it */

/* Phase ids (al of PROBE_PORT_PHASE). */
#define PROBE_PHASE_BEGIN 1U /* re-arm workload */
#define PROBE_PHASE_END 2U
#define PROBE_PHASE_HALT_BEGIN 3U /* halt workload */
#define PROBE_PHASE_HALT_END 4U
#define PROBE_PHASE_LIVE_BEGIN 5U /* stats read while in KVM_RUN */
#define PROBE_PHASE_LIVE_END 6U

/* Timer vector the guest uses (Linux's LOCAL_TIMER_VECTOR). */
#define PROBE_TIMER_VECTOR 0xecU
/* A second timer vector (same priority class), for LVT vector changes. */
#define PROBE_TIMER_VECTOR2 0xedU
#define PROBE_SPURIOUS_VECTOR 0xffU

#ifndef __ASSEMBLER__
/**
 * struct probe_mbox - the mailbox at PROBE_MBOX_GPA.
 * @magic, @version: set by the VMM.
 * @tsc_khz: guest TSC frequency (KVM_GET_TSC_KHZ), set by the VMM.
 * @mode: PROBE_MODE_*, set by the VMM.
 * @flags: PROBE_F_*, set by the VMM.
 * @n_deadlines: deadlines of the one-shot TSC-deadline test, by the VMM.
 * @n_workload: iterations of the re-arm workload, set by the VMM.
 * @seed: pseudo-random seed for the deadlines, set by the VMM.
 * @tests: conformance tests to run, bit i = test i + 1 (0: all).
 * @test_id, @ok, @skip: result record (guest), 1-based test number, 1/0.
 * @n: events measured.
 * @early: interrupts before their deadline in guest TSC (must be 0).
 * @missing: expected interrupts that did not come.
 * @extra: interrupts that should not have come.
 * @late_min_tsc, @late_max_tsc, @late_sum_tsc: lateness, guest TSC
 *	cycles (interrupt handler's RDTSC - deadline), over @n events.
 * @writes: TSC-deadline MSR writes the guest made (workload).
 * @lazy: 1 if the lazy protocol was in use (workload).
 * @name: test name (NUL-terminated).
 * @msg: detail for a failure or a note (NUL-terminated).
 * @exc_vector, @exc_eip, @exc_error: an unexpected exception (exc_vector
 *	< 32), reported with PROBE_PORT_DONE; 0xffffffff if none.
 * @ap_eip: where vCPU 1 starts (guest, before PROBE_REMAP_ADD).
 * @ap_cmd: PROBE_AP_* for vCPU 1 (guest vCPU 0; vCPU 1 clears it).
 * @ap_ack: vCPU 1 did PROBE_AP_RECREATE and read the new page (1).
 */
struct probe_mbox {
	uint32_t magic;
	uint32_t version;
	uint32_t tsc_khz;
	uint32_t mode;
	uint32_t flags;
	uint32_t n_deadlines;
	uint32_t n_workload;
	uint32_t seed;
	uint32_t tests;
	uint32_t pad0;

	uint32_t test_id;
	uint32_t ok;
	uint32_t skip;
	uint32_t n;
	uint32_t early;
	uint32_t missing;
	uint32_t extra;
	uint32_t lazy;
	probe_u64 late_min_tsc;
	probe_u64 late_max_tsc;
	probe_u64 late_sum_tsc;
	probe_u64 writes;
	char name[96];
	char msg[256];

	uint32_t exc_vector;
	uint32_t exc_eip;
	uint32_t exc_error;
	uint32_t pad;
	uint32_t ap_eip;
	uint32_t ap_cmd;
	uint32_t ap_ack;
	uint32_t pad2;
};

_Static_assert(sizeof(struct probe_mbox) == 488, "probe_mbox layout");
_Static_assert(__builtin_offsetof(struct probe_mbox, late_min_tsc) == 72,
	       "probe_mbox layout");
#endif /* __ASSEMBLER__ */

#endif /* PROBE_ABI_H */
