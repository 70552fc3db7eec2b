/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic local APIC register file (Intel SDM vol. 3A, chapter "Advanced
 * Programmable Interrupt Controller (APIC)").
 *
 * struct vapic_lapic holds one vCPU's LAPIC state, embeds its
 * struct vapic_timer, and implements interrupt acceptance and priority:
 * IRR/ISR/TMR, TPR/PPR, EOI, the error status register and the spurious
 * vector register (software enable).  Registers are addressed by their
 * xAPIC MMIO offset (VAPIC_REG_*); the x2APIC MSR index of a register is
 * 0x800 + (offset >> 4).
 *
 * Threads: everything runs on the vCPU thread except vapic_lapic_accept(),
 * which any thread may call to make an interrupt pending (IPIs from other
 * vCPUs, device interrupts); IRR is updated with atomics and the vCPU is
 * kicked.
 */
#ifndef VAPIC_LAPIC_H
#define VAPIC_LAPIC_H

#include <vapic/types.h>
#include <vapic/host.h>
#include <vapic/timer.h>

/* Register offsets in the 4 KiB xAPIC page. */
#define VAPIC_REG_ID 0x020U
#define VAPIC_REG_VERSION 0x030U
#define VAPIC_REG_TPR 0x080U
#define VAPIC_REG_APR 0x090U
#define VAPIC_REG_PPR 0x0a0U
#define VAPIC_REG_EOI 0x0b0U
#define VAPIC_REG_RRD 0x0c0U
#define VAPIC_REG_LDR 0x0d0U
#define VAPIC_REG_DFR 0x0e0U
#define VAPIC_REG_SVR 0x0f0U
#define VAPIC_REG_ISR0 0x100U /* ISR: 0x100 .. 0x170 */
#define VAPIC_REG_TMR0 0x180U /* TMR: 0x180 .. 0x1f0 */
#define VAPIC_REG_IRR0 0x200U /* IRR: 0x200 .. 0x270 */
#define VAPIC_REG_ESR 0x280U
#define VAPIC_REG_LVT_CMCI 0x2f0U
#define VAPIC_REG_ICR_LO 0x300U
#define VAPIC_REG_ICR_HI 0x310U
#define VAPIC_REG_LVT_TIMER 0x320U
#define VAPIC_REG_LVT_THERMAL 0x330U
#define VAPIC_REG_LVT_PMC 0x340U
#define VAPIC_REG_LVT_LINT0 0x350U
#define VAPIC_REG_LVT_LINT1 0x360U
#define VAPIC_REG_LVT_ERROR 0x370U
#define VAPIC_REG_TMICT 0x380U
#define VAPIC_REG_TMCCT 0x390U
#define VAPIC_REG_TDCR 0x3e0U
#define VAPIC_REG_SELF_IPI 0x3f0U /* x2APIC only */

/** x2APIC MSR of a register offset. */
#define VAPIC_X2APIC_MSR(off) (0x800U + ((off) >> 4))

/* Spurious-interrupt vector register. */
#define VAPIC_SVR_VECTOR_MASK 0x000000ffU
#define VAPIC_SVR_ENABLE 0x00000100U
#define VAPIC_SVR_FOCUS_DISABLE 0x00000200U
#define VAPIC_SVR_EOI_SUPPRESS 0x00001000U

/* Error status register bits. */
#define VAPIC_ESR_SEND_CHECKSUM 0x01U
#define VAPIC_ESR_RECV_CHECKSUM 0x02U
#define VAPIC_ESR_SEND_ACCEPT 0x04U
#define VAPIC_ESR_RECV_ACCEPT 0x08U
#define VAPIC_ESR_REDIRECTABLE_IPI 0x10U
#define VAPIC_ESR_SEND_ILLEGAL_VECTOR 0x20U
#define VAPIC_ESR_RECV_ILLEGAL_VECTOR 0x40U
#define VAPIC_ESR_ILLEGAL_REGISTER 0x80U

/** Index of the non-timer LVT entries in struct vapic_lapic.lvt[]. */
enum vapic_lvt {
	VAPIC_LVT_CMCI = 0,
	VAPIC_LVT_THERMAL,
	VAPIC_LVT_PMC,
	VAPIC_LVT_LINT0,
	VAPIC_LVT_LINT1,
	VAPIC_LVT_ERROR,
	VAPIC_LVT_NR,
};

/* LVT fields (besides vector, delivery status and mask in timer.h). */
#define VAPIC_LVT_DELIVERY_MODE_MASK 0x00000700U
#define VAPIC_LVT_PIN_POLARITY 0x00002000U
#define VAPIC_LVT_REMOTE_IRR 0x00004000U
#define VAPIC_LVT_LEVEL_TRIGGER 0x00008000U

/** Default version register: version 0x14, 7 LVT entries (CMCI). */
#define VAPIC_VERSION_DEFAULT 0x00060014U

/* struct vapic_lapic_config.flags */
/** The LAPIC has a CMCI LVT entry (version register reports 7 LVTs). */
#define VAPIC_LAPIC_F_CMCI 0x1U
#define VAPIC_LAPIC_F_ALL VAPIC_LAPIC_F_CMCI

/**
 * struct vapic_lapic_config - settings chosen by the host.
 * @apic_id: this vCPU's APIC ID (xAPIC uses bits 7:0).
 * @flags: VAPIC_LAPIC_F_*.
 * @timer: the timer's settings.
 */
struct vapic_lapic_config {
	uint32_t apic_id;
	uint32_t flags;
	struct vapic_timer_config timer;
};

/**
 * struct vapic_lapic_stats - LAPIC counters (kvm_stat names in
 * vapic_lapic_stat_descs[]).
 * @accepted: interrupts made pending in IRR.
 * @merged: interrupts whose vector was already pending in IRR.
 * @injected: interrupts the host reported injected (IRR -> ISR).
 * @eoi: EOIs.
 * @illegal_vector: interrupts refused for a vector below 16.
 * @error_irqs: LVT error interrupts raised.
 */
struct vapic_lapic_stats {
	uint64_t accepted;
	uint64_t merged;
	uint64_t injected;
	uint64_t eoi;
	uint64_t illegal_vector;
	uint64_t error_irqs;
};

/** Counter descriptors of struct vapic_lapic_stats. */
VAPIC_API extern const struct vapic_stat_desc vapic_lapic_stat_descs[];
/** Number of entries in vapic_lapic_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_lapic_stat_ndescs;

/**
 * struct vapic_lapic - one vCPU's local APIC.  Embedded by the host; members
 * are private to libvapic.
 */
struct vapic_lapic {
	const struct vapic_host_ops *ops;
	void *host;
	uint32_t flags;
	uint32_t id;
	uint32_t version;
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t svr;
	uint32_t esr;
	uint32_t esr_pending; /* atomic: errors since the last ESR write */
	uint32_t icr_lo;
	uint32_t icr_hi;
	uint32_t lvt[VAPIC_LVT_NR];
	uint32_t irr[8]; /* atomic */
	uint32_t isr[8];
	uint32_t tmr[8];
	struct vapic_timer timer;
	struct vapic_lapic_stats stats;
};

/**
 * vapic_lapic_config_default() - defaults: APIC ID @apic_id, CMCI LVT, the
 * timer defaults of vapic_timer_config_default().
 * @cfg: output.
 * @apic_id: APIC ID.
 * @guest_tsc_khz: guest TSC frequency, kHz.
 */
VAPIC_API void vapic_lapic_config_default(struct vapic_lapic_config *cfg,
					  uint32_t apic_id,
					  uint32_t guest_tsc_khz);

/**
 * vapic_lapic_init() - initialise a LAPIC in its power-on state (SDM
 * "Local APIC State After Power-Up or Reset"): software-disabled (SVR
 * 0xff), all LVTs masked, IRR/ISR/TMR clear, DFR all ones.
 * @l: the LAPIC (caller's memory).
 * @cfg: settings, copied.
 * @ops: host operations (vapic_host_ops_valid()).
 * @host: per-vCPU host context.
 *
 * Context: vCPU thread or before the vCPU runs.
 * Return: 0, or the errors of vapic_timer_init() (VAPIC_EINVAL also for
 * unknown flags).  @l is untouched on error.
 */
VAPIC_API int vapic_lapic_init(struct vapic_lapic *l,
			       const struct vapic_lapic_config *cfg,
			       const struct vapic_host_ops *ops, void *host);

/**
 * vapic_lapic_reset() - INIT: registers to their power-on values except the
 * APIC ID (SDM "Local APIC State After an INIT Reset"), the timer reset.
 * @l: the LAPIC.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_lapic_reset(struct vapic_lapic *l);

/**
 * vapic_lapic_destroy() - cancel the timer; @l may then be freed.
 * @l: the LAPIC.
 */
VAPIC_API void vapic_lapic_destroy(struct vapic_lapic *l);

/**
 * vapic_lapic_read() - read a register, xAPIC semantics.
 * @l: the LAPIC.
 * @offset: register offset (VAPIC_REG_*), 16-byte aligned.
 * @val: output.
 *
 * Write-only registers (EOI) and unimplemented offsets read 0 and set the
 * ESR "illegal register address" bit, as does an offset that is not a
 * register.  TMCCT is computed from the guest TSC now.
 *
 * Context: vCPU thread.
 * Return: 0, or VAPIC_ENOENT for an offset that is not a readable register
 * (*val is then 0).
 */
VAPIC_API int vapic_lapic_read(struct vapic_lapic *l, uint32_t offset,
			       uint32_t *val);

/**
 * vapic_lapic_write() - write a register, xAPIC semantics (reserved bits
 * ignored, read-only registers ignored).
 * @l: the LAPIC.
 * @offset: register offset (VAPIC_REG_*), 16-byte aligned.
 * @val: the value.
 *
 * Context: vCPU thread.
 * Return: >= 0 on success, with VAPIC_TIMER_DUE set when an interrupt may
 * be due now (poll before re-entry); VAPIC_ENOENT for an offset that is not
 * a writable register (ESR "illegal register address" is set);
 * VAPIC_EHOST as the timer's writes.
 */
VAPIC_API int vapic_lapic_write(struct vapic_lapic *l, uint32_t offset,
				uint32_t val);

/**
 * vapic_lapic_write_tsc_deadline() - WRMSR IA32_TSC_DEADLINE; see
 * vapic_timer_write_tsc_deadline().
 */
VAPIC_API int vapic_lapic_write_tsc_deadline(struct vapic_lapic *l,
					     uint64_t deadline_tsc);

/** vapic_lapic_read_tsc_deadline() - RDMSR IA32_TSC_DEADLINE. */
VAPIC_API uint64_t vapic_lapic_read_tsc_deadline(struct vapic_lapic *l);

/* Flags of vapic_lapic_accept(). */
#define VAPIC_ACCEPT_LEVEL 0x1U /* level-triggered: sets TMR */

/**
 * vapic_lapic_accept() - make a fixed interrupt pending (set its IRR bit)
 * and kick the vCPU.
 * @l: the destination LAPIC.
 * @vector: 0..255.
 * @flags: VAPIC_ACCEPT_*.
 *
 * A vector below 16 is illegal: nothing becomes pending, the ESR "receive
 * illegal vector" bit is set, and an unmasked LVT error entry raises its
 * interrupt (SDM "Error Handling").
 *
 * Context: any thread (IRR is updated atomically).
 * Return: 0 if newly pending, 1 if it was already pending (merged),
 * VAPIC_ERSVD for an illegal vector, VAPIC_EINVAL for @vector > 255.
 */
VAPIC_API int vapic_lapic_accept(struct vapic_lapic *l, uint32_t vector,
				 uint32_t flags);

/** Results of vapic_lapic_poll(). */
enum vapic_lapic_poll_result {
	/** @VAPIC_LAPIC_NONE: nothing deliverable now. */
	VAPIC_LAPIC_NONE = 0,
	/**
	 * @VAPIC_LAPIC_INJECT: inject *vector when the guest can take an
	 * interrupt, then call vapic_lapic_injected().
	 */
	VAPIC_LAPIC_INJECT = 1,
	/**
	 * @VAPIC_LAPIC_WAIT: the timer is due in *wait_ns (advance window):
	 * wait, then poll again before entering or blocking.
	 */
	VAPIC_LAPIC_WAIT = 2,
};

/**
 * vapic_lapic_poll() - on the vCPU thread before entering the guest (or when
 * kicked): run the timer (vapic_timer_poll()), move its tick into IRR, and
 * find the highest pending vector whose priority class exceeds the PPR's
 * (SDM "Interrupt, Task, and Processor Priority").
 * @l: the LAPIC.
 * @vector: output for VAPIC_LAPIC_INJECT.
 * @wait_ns: output for VAPIC_LAPIC_WAIT.
 *
 * Nothing is delivered while the APIC is software-disabled... except that
 * IRR keeps what was accepted (the SDM keeps pending interrupts).
 *
 * Context: vCPU thread.
 * Return: an enum vapic_lapic_poll_result.
 */
VAPIC_API int vapic_lapic_poll(struct vapic_lapic *l, uint32_t *vector,
			       uint64_t *wait_ns);

/**
 * vapic_lapic_injected() - the host injected @vector (the guest took it):
 * move it from IRR to ISR; PPR rises.
 * @l: the LAPIC.
 * @vector: the vector returned by vapic_lapic_poll().
 *
 * Context: vCPU thread.
 * Return: 0, or VAPIC_EINVAL if @vector is not pending in IRR.
 */
VAPIC_API int vapic_lapic_injected(struct vapic_lapic *l, uint32_t vector);

/**
 * vapic_lapic_ppr() - the processor priority register now.
 * @l: the LAPIC.
 */
VAPIC_API uint32_t vapic_lapic_ppr(const struct vapic_lapic *l);

/**
 * vapic_lapic_sw_enabled() - SVR bit 8.
 * @l: the LAPIC.
 */
VAPIC_API bool vapic_lapic_sw_enabled(const struct vapic_lapic *l);

#endif /* VAPIC_LAPIC_H */
