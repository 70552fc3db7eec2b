/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic fastpath exit dispatch (seed 004: "Virtual IPI Fastpath",
 * "Virtual TSC-Deadline Timer Fastpath").
 *
 * A VMM hands every VM exit of a vCPU to vapic_fastpath_handle() first, as
 * a struct vapic_exit.  The dispatcher classifies it with one switch and
 * handles the hot LAPIC exits at once, with no indirect call except the
 * host ops the work itself needs (clock, host timer, send_ipi):
 *
 *  - WRMSR IA32_TSC_DEADLINE (0x6e0)   -> the timer; inject if already due
 *  - WRMSR x2APIC ICR (0x830)          -> IPI: self in the core, others via
 *					   host_ops.send_ipi
 *  - WRMSR x2APIC EOI (0x80b), TMICT   -> EOI, timer
 *  - host timer / preemption timer     -> complete the expiry, inject
 *  - interrupt window, kick            -> what to inject now
 *  - every other x2APIC MSR, IA32_APIC_BASE, the xAPIC MMIO page
 *					-> the register file
 *  - HLT                               -> inject if an interrupt is already
 *					   deliverable, else the slow path
 *					   (halt-poll, block)
 *
 * and returns what the caller does next (enum vapic_fastpath_result).
 *
 * Context: the vCPU thread, right after the exit (the host may call it
 * before re-enabling interrupts or taking locks, like KVM's fastpath; the
 * host ops it reaches are the same as for the register writes).
 *
 * A userspace VMM on KVM (in-kernel irqchip off) uses it like this:
 *
 *	for (;;) {
 *		inject:	if the LAPIC has a vector (vapic_lapic_poll(), or the
 *			last exit's VAPIC_FP_INJECT): KVM_INTERRUPT it when
 *			run->ready_for_interrupt_injection, then
 *			vapic_lapic_injected(); else set
 *			run->request_interrupt_window.  NMI events:
 *			vapic_lapic_take_events() + KVM_NMI.
 *		ioctl(KVM_RUN); vapic_lapic_set_cr8(run->cr8);
 *		fill a struct vapic_exit from run->exit_reason
 *		(KVM_EXIT_X86_WRMSR/RDMSR -> WRMSR/RDMSR, KVM_EXIT_MMIO ->
 *		MMIO_*, KVM_EXIT_HLT -> HLT, KVM_EXIT_IRQ_WINDOW_OPEN ->
 *		IRQ_WINDOW, EINTR after a kick -> KICK or HOST_TIMER);
 *		switch (vapic_fastpath_handle(&fp, &exit)) {
 *		RESUME: continue;  INJECT: inject exit.vector, continue;
 *		HOST:   #GP -> run->msr.error = 1; EOI -> IOAPIC; EVENT ->
 *			take events; BASE -> re-map the page; WAIT -> spin
 *			exit.wait_ns, then HOST_TIMER again;
 *		SLOW:   the VMM's own handling (I/O, CPUID, HLT: halt-poll).
 *		}
 *	}
 */
#ifndef VAPIC_FASTPATH_H
#define VAPIC_FASTPATH_H

#include <vapic/types.h>
#include <vapic/lapic.h>
#include <vapic/timer.h>

/**
 * enum vapic_exit_reason - why the vCPU exited, as the VMM saw it.
 * @VAPIC_EXIT_OTHER: anything else (I/O, CPUID, ...): counted, slow path.
 * @VAPIC_EXIT_WRMSR: WRMSR; struct vapic_exit.msr and .data.
 * @VAPIC_EXIT_RDMSR: RDMSR; .msr; result in .data.
 * @VAPIC_EXIT_MMIO_WRITE: store; .gpa, .size, .data.
 * @VAPIC_EXIT_MMIO_READ: load; .gpa, .size; result in .data.
 * @VAPIC_EXIT_HLT: the guest executed HLT (completed: RIP is past it).
 *	The dispatcher does not know RFLAGS.IF: after a HLT with IF clear,
 *	which only an event (NMI, INIT, ...) ends (SDM "HLT"), halt on
 *	VAPIC_FP_INJECT too, unless VAPIC_EXIT_ACT_EVENT is set.
 * @VAPIC_EXIT_PREEMPTION_TIMER: a VMX-preemption-timer style exit used as
 *	this vCPU's host timer: the dispatcher takes the expiry itself (as
 *	vapic_timer_expired() does in deferred mode, also for a posted-mode
 *	timer, and without a kick) and completes it.  Send it only when the
 *	timer armed with timer_arm has expired.
 * @VAPIC_EXIT_HOST_TIMER: the vCPU was kicked out because its host timer
 *	fired (the host's timer callback already ran vapic_timer_expired()).
 * @VAPIC_EXIT_IRQ_WINDOW: the guest can take an interrupt now (KVM
 *	KVM_EXIT_IRQ_WINDOW_OPEN after request_interrupt_window).
 * @VAPIC_EXIT_KICK: interrupted by a kick (signal / EINTR, external
 *	interrupt): another thread made something pending.
 * @VAPIC_EXIT_NR: number of reasons.
 */
enum vapic_exit_reason {
	VAPIC_EXIT_OTHER = 0,
	VAPIC_EXIT_WRMSR,
	VAPIC_EXIT_RDMSR,
	VAPIC_EXIT_MMIO_WRITE,
	VAPIC_EXIT_MMIO_READ,
	VAPIC_EXIT_HLT,
	VAPIC_EXIT_PREEMPTION_TIMER,
	VAPIC_EXIT_HOST_TIMER,
	VAPIC_EXIT_IRQ_WINDOW,
	VAPIC_EXIT_KICK,
	VAPIC_EXIT_NR,
};

/**
 * enum vapic_fastpath_result - what the caller does after
 * vapic_fastpath_handle().
 * @VAPIC_FP_RESUME: handled; nothing new to deliver: re-enter the guest
 *	right away (for RDMSR / MMIO reads, with .data as the result).
 * @VAPIC_FP_INJECT: handled; inject .vector now (KVM_INTERRUPT if the
 *	guest is ready for an interrupt, else request an interrupt window),
 *	call vapic_lapic_injected() when injected, and re-enter.
 * @VAPIC_FP_SLOW: not handled (nothing was done): complete the exit in the
 *	caller's slow path (e.g. HLT: halt-poll / block; an MSR that is not
 *	the LAPIC's).
 * @VAPIC_FP_HOST: handled, but the host must act before re-entering: see
 *	the VAPIC_EXIT_ACT_* bits in .actions (#GP to inject, EOI to
 *	broadcast, event to take, MMIO page moved, a wait, a host failure);
 *	VAPIC_EXIT_ACT_INJECT may be among them.
 */
enum vapic_fastpath_result {
	VAPIC_FP_RESUME = 0,
	VAPIC_FP_INJECT = 1,
	VAPIC_FP_SLOW = 2,
	VAPIC_FP_HOST = 3,
};

/* struct vapic_exit.actions (out). */
/** Inject .vector (also implied by VAPIC_FP_INJECT). */
#define VAPIC_EXIT_ACT_INJECT 0x01U
/**
 * Inject #GP(0): the MSR access was refused (RDMSR .data is 0), also an
 * MSR_KVM_PV_EOI_EN write whose word is not guest RAM (VAPIC_EFAULT).
 */
#define VAPIC_EXIT_ACT_GP 0x02U
/** Broadcast the EOI of level-triggered .eoi_vector to the IOAPIC(s). */
#define VAPIC_EXIT_ACT_EOI 0x04U
/** An NMI/SMI/INIT/SIPI/ExtINT event is pending: vapic_lapic_take_events(). */
#define VAPIC_EXIT_ACT_EVENT 0x08U
/** IA32_APIC_BASE changed the mode or the MMIO base: re-map the page. */
#define VAPIC_EXIT_ACT_BASE 0x10U
/**
 * The timer is due in .wait_ns (inside the advance window): wait (spin or
 * sleep) that long, then dispatch a VAPIC_EXIT_HOST_TIMER exit again.
 */
#define VAPIC_EXIT_ACT_WAIT 0x20U
/** A host op failed (.error; e.g. timer_arm): the state change was made. */
#define VAPIC_EXIT_ACT_ERROR 0x40U

/**
 * struct vapic_exit - one VM exit, as the VMM describes it.
 * @reason: an enum vapic_exit_reason (in).
 * @msr: MSR index (in, WRMSR/RDMSR).
 * @size: MMIO access size in bytes (in).
 * @gpa: MMIO guest-physical address (in).
 * @data: WRMSR value, MMIO store data (in); RDMSR / MMIO load result (out).
 * @actions: VAPIC_EXIT_ACT_* (out).
 * @vector: the vector to inject (out, VAPIC_EXIT_ACT_INJECT).
 * @eoi_vector: the level-triggered vector EOI'd (out, VAPIC_EXIT_ACT_EOI).
 * @wait_ns: how long to wait (out, VAPIC_EXIT_ACT_WAIT).
 * @error: the VAPIC_E* code (out, VAPIC_EXIT_ACT_ERROR).
 */
struct vapic_exit {
	uint32_t reason;
	uint32_t msr;
	uint32_t size;
	uint32_t actions;
	uint64_t gpa;
	uint64_t data;
	uint32_t vector;
	uint32_t eoi_vector;
	uint64_t wait_ns;
	int32_t error;
	uint32_t reserved;
};

/**
 * struct vapic_exit_stats - exits by reason and how the fastpath ended,
 * kvm_stat-style names in vapic_exit_stat_descs[].
 * @exits: every exit dispatched.
 * @msr_write_exits: WRMSR exits (KVM's MSR_WRITE).
 * @msr_read_exits: RDMSR exits.
 * @mmio_exits: MMIO exits (loads and stores).
 * @halt_exits: HLT exits.
 * @preemption_timer_exits: preemption-timer exits.
 * @host_timer_exits: exits for the host timer.
 * @irq_window_exits: interrupt-window exits.
 * @signal_exits: kicks.
 * @other_exits: everything else.
 * @fastpath_resume: exits handled with an immediate re-entry.
 * @fastpath_inject: exits handled with an interrupt to inject.
 * @fastpath_host: exits handled that needed the host (see actions).
 * @fastpath_slow: exits left to the slow path.
 * @tscdeadline_writes: WRMSR IA32_TSC_DEADLINE while TSC-deadline mode is
 *	exposed (VAPIC_TIMER_F_TSC_DEADLINE), in any timer mode.
 * @icr_writes: writes dispatched to the ICR or the SELF IPI register:
 *	WRMSR 0x830 / 0x83f, or a store at offset 0x300 / 0x3f0 of the APIC
 *	page, whatever their outcome (#GP, ESR, a page not decoded).
 * @eoi_writes: the same for EOI (WRMSR 0x80b, offset 0xb0).
 * @tmict_writes: the same for TMICT (WRMSR 0x838, offset 0x380).
 * @gp_injections: accesses refused with #GP.
 */
struct vapic_exit_stats {
	uint64_t exits;
	uint64_t msr_write_exits;
	uint64_t msr_read_exits;
	uint64_t mmio_exits;
	uint64_t halt_exits;
	uint64_t preemption_timer_exits;
	uint64_t host_timer_exits;
	uint64_t irq_window_exits;
	uint64_t signal_exits;
	uint64_t other_exits;
	uint64_t fastpath_resume;
	uint64_t fastpath_inject;
	uint64_t fastpath_host;
	uint64_t fastpath_slow;
	uint64_t tscdeadline_writes;
	uint64_t icr_writes;
	uint64_t eoi_writes;
	uint64_t tmict_writes;
	uint64_t gp_injections;
};

/** Counter descriptors of struct vapic_exit_stats. */
VAPIC_API extern const struct vapic_stat_desc vapic_exit_stat_descs[];
/** Number of entries in vapic_exit_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_exit_stat_ndescs;

/**
 * struct vapic_fastpath - a vCPU's dispatcher: its LAPIC and exit stats.
 * Embedded by the host; members are private except @stats (read-only).
 */
struct vapic_fastpath {
	struct vapic_lapic *lapic;
	struct vapic_exit_stats stats;
};

/**
 * vapic_fastpath_init() - bind a dispatcher to a LAPIC; stats zeroed.
 * @fp: the dispatcher (caller's memory).
 * @lapic: the vCPU's LAPIC, initialised.
 *
 * Context: vCPU thread or before the vCPU runs.
 * Return: 0, or VAPIC_EINVAL for NULL arguments.
 */
VAPIC_API int vapic_fastpath_init(struct vapic_fastpath *fp,
				  struct vapic_lapic *lapic);

/**
 * vapic_fastpath_handle() - classify one exit and handle it if it is a
 * LAPIC exit.
 * @fp: the dispatcher.
 * @exit: the exit (in: reason and its fields; out: see struct vapic_exit).
 *
 * MSRs: the LAPIC's (vapic_lapic_msr_owned()) are handled, others go to
 * VAPIC_FP_SLOW.  MMIO: accesses inside the APIC page
 * (vapic_lapic_mmio_match()) are handled, in every APIC mode (a page that
 * is not decoded reads all ones and ignores stores), others go slow.
 * Register writes that may make an interrupt deliverable (a due deadline, a
 * self-IPI, an EOI with more pending, a lower TPR) poll the LAPIC at once,
 * so the caller learns the vector to inject without another call.  The
 * timer, interrupt-window, kick and HLT exits poll too and also report
 * pending events.  An unknown @exit->reason counts as VAPIC_EXIT_OTHER.
 *
 * Context: vCPU thread.
 * Return: an enum vapic_fastpath_result.
 */
VAPIC_API int vapic_fastpath_handle(struct vapic_fastpath *fp,
				    struct vapic_exit *exit);

#endif /* VAPIC_FASTPATH_H */
