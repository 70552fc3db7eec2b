/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic local APIC (Intel SDM vol. 3A, chapter "Advanced Programmable
 * Interrupt Controller (APIC)"; x2APIC: section "Extended XAPIC (x2APIC)").
 *
 * struct vapic_lapic holds one vCPU's LAPIC: the IA32_APIC_BASE MSR and its
 * modes (disabled / xAPIC / x2APIC), the register file (ID, version,
 * TPR/APR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR, ESR, the LVT entries, ICR,
 * the timer registers of its embedded struct vapic_timer), interrupt
 * acceptance and priority, IPIs (ICR, SELF IPI) and the pending NMI, SMI,
 * INIT, SIPI and ExtINT events a VMM takes one at a time.
 *
 * Two views of the one state:
 *  - xAPIC MMIO: a 4 KiB page at the APIC base (vapic_lapic_mmio_read(),
 *    vapic_lapic_mmio_write(); per-register vapic_lapic_read()/write()).
 *    Registers sit at 16-byte aligned offsets and are accessed with aligned
 *    32-bit loads and stores (SDM "Local APIC Register Address Map").
 *    Other accesses are defined here (see vapic_lapic_mmio_read()).
 *  - x2APIC MSRs 0x800-0x8ff: MSR = 0x800 + (offset >> 4), 64-bit ICR at
 *    0x830, SELF IPI at 0x83f, no DFR/ICR high/APR; reserved bits are
 *    RsvdZ: a WRMSR that sets one is refused with VAPIC_ERSVD, and the
 *    caller injects #GP(0) (SDM "x2APIC Register Address Space", "Reserved
 *    Bit Checking").  vapic_lapic_rdmsr()/vapic_lapic_wrmsr() also handle
 *    IA32_APIC_BASE (0x1b) and IA32_TSC_DEADLINE (0x6e0).
 *
 * Register writes return a non-negative set of VAPIC_LAPIC_ACT_* bits
 * telling the host what to do before re-entering the guest (poll for an
 * interrupt, broadcast an EOI to the IOAPIC, take an event, remap the MMIO
 * page), or a negative VAPIC_E* code.
 *
 * Threads: everything runs on the vCPU thread, except the receive side
 * (vapic_lapic_accept(), vapic_lapic_receive(), vapic_lapic_match_dest(),
 * vapic_lapic_lowest_priority(), vapic_lapic_pending_events()), which any
 * thread may call: IRR, TMR and the event bits are updated atomically, and
 * the destination's vCPU is kicked.
 */
#ifndef VAPIC_LAPIC_H
#define VAPIC_LAPIC_H

#include <vapic/types.h>
#include <vapic/host.h>
#include <vapic/ipi.h>
#include <vapic/timer.h>

/* Register offsets in the 4 KiB xAPIC page. */
#define VAPIC_REG_ID 0x020U
#define VAPIC_REG_VERSION 0x030U
#define VAPIC_REG_TPR 0x080U
#define VAPIC_REG_APR 0x090U /* xAPIC only */
#define VAPIC_REG_PPR 0x0a0U
#define VAPIC_REG_EOI 0x0b0U
#define VAPIC_REG_RRD 0x0c0U /* xAPIC only */
#define VAPIC_REG_LDR 0x0d0U
#define VAPIC_REG_DFR 0x0e0U /* xAPIC only */
#define VAPIC_REG_SVR 0x0f0U
#define VAPIC_REG_ISR0 0x100U /* ISR: 0x100 .. 0x170 */
#define VAPIC_REG_TMR0 0x180U /* TMR: 0x180 .. 0x1f0 */
#define VAPIC_REG_IRR0 0x200U /* IRR: 0x200 .. 0x270 */
#define VAPIC_REG_ESR 0x280U
#define VAPIC_REG_LVT_CMCI 0x2f0U
#define VAPIC_REG_ICR_LO 0x300U
#define VAPIC_REG_ICR_HI 0x310U /* xAPIC only */
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

/** Size of the xAPIC MMIO page. */
#define VAPIC_XAPIC_PAGE_SIZE 0x1000U

/** x2APIC MSR of a register offset. */
#define VAPIC_X2APIC_MSR(off) (0x800U + ((off) >> 4))
/** First and last MSR of the x2APIC range. */
#define VAPIC_MSR_X2APIC_FIRST 0x800U
#define VAPIC_MSR_X2APIC_LAST 0x8ffU
#define VAPIC_MSR_X2APIC_ICR VAPIC_X2APIC_MSR(VAPIC_REG_ICR_LO) /* 0x830 */
#define VAPIC_MSR_X2APIC_EOI VAPIC_X2APIC_MSR(VAPIC_REG_EOI) /* 0x80b */
#define VAPIC_MSR_X2APIC_TMICT VAPIC_X2APIC_MSR(VAPIC_REG_TMICT) /* 0x838 */
#define VAPIC_MSR_X2APIC_SELF_IPI VAPIC_X2APIC_MSR(VAPIC_REG_SELF_IPI)

/* IA32_APIC_BASE (MSR 0x1b), SDM "Local APIC Status and Location". */
#define VAPIC_MSR_APIC_BASE 0x1bU
#define VAPIC_APIC_BASE_BSP 0x100ULL
#define VAPIC_APIC_BASE_EXTD 0x400ULL /* x2APIC enable */
#define VAPIC_APIC_BASE_EN 0x800ULL /* global enable */
#define VAPIC_APIC_BASE_ADDR_MASK 0xfffffffffffff000ULL
/** Power-up APIC base address. */
#define VAPIC_APIC_BASE_DEFAULT 0xfee00000ULL
/** Default MAXPHYADDR when struct vapic_lapic_config.maxphyaddr is 0. */
#define VAPIC_MAXPHYADDR_DEFAULT 52U

/**
 * enum vapic_apic_mode - the state IA32_APIC_BASE selects (SDM "x2APIC
 * States").
 * @VAPIC_APIC_DISABLED: EN=0, EXTD=0: globally disabled; no MMIO page, no
 *	x2APIC MSRs, no IPIs received; LINT0/LINT1 act as INTR/NMI pins.
 * @VAPIC_APIC_XAPIC: EN=1, EXTD=0: MMIO page at the APIC base.
 * @VAPIC_APIC_X2APIC: EN=1, EXTD=1: MSRs 0x800-0x8ff; MMIO page not decoded.
 */
enum vapic_apic_mode {
	VAPIC_APIC_DISABLED = 0,
	VAPIC_APIC_XAPIC = 1,
	VAPIC_APIC_X2APIC = 2,
};

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
#define VAPIC_LVT_DELIVERY_MODE_SHIFT 8
#define VAPIC_LVT_DELIVERY_MODE_MASK 0x00000700U
#define VAPIC_LVT_PIN_POLARITY 0x00002000U
#define VAPIC_LVT_REMOTE_IRR 0x00004000U /* read-only */
#define VAPIC_LVT_LEVEL_TRIGGER 0x00008000U

/** Version register: version 0x14 in bits 7:0. */
#define VAPIC_VERSION_ID 0x14U
/** Version register bit 24: EOI-broadcast suppression supported. */
#define VAPIC_VERSION_EOI_SUPPRESS 0x01000000U
/** Default version register: version 0x14, 7 LVT entries (CMCI). */
#define VAPIC_VERSION_DEFAULT 0x00060014U

/* struct vapic_lapic_config.flags */
/** The LAPIC has a CMCI LVT entry (version register reports 7 LVTs). */
#define VAPIC_LAPIC_F_CMCI 0x1U
/** x2APIC mode is available (CPUID.01H:ECX[21]); else EXTD is reserved. */
#define VAPIC_LAPIC_F_X2APIC 0x2U
/**
 * EOI-broadcast suppression is advertised (version bit 24) and SVR bit 12
 * is writable (SDM "Spurious-Interrupt Vector Register").
 */
#define VAPIC_LAPIC_F_EOI_SUPPRESS 0x4U
/** This vCPU is the bootstrap processor: IA32_APIC_BASE bit 8 at reset. */
#define VAPIC_LAPIC_F_BSP 0x8U
/**
 * KVM's paravirtual EOI (MSR_KVM_PV_EOI_EN, 0x4b564d04) is offered to the
 * guest: vapic_lapic_rdmsr()/wrmsr() handle the MSR (else they refuse it
 * with #GP); the host advertises it in CPUID (KVM_FEATURE_PV_EOI) and calls
 * vapic_lapic_pv_eoi_before_entry()/after_exit().  Needs host_ops.map_guest.
 */
#define VAPIC_LAPIC_F_PV_EOI 0x10U
#define VAPIC_LAPIC_F_ALL                            \
	(VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC | \
	 VAPIC_LAPIC_F_EOI_SUPPRESS | VAPIC_LAPIC_F_BSP | VAPIC_LAPIC_F_PV_EOI)

/*
 * KVM paravirtual EOI (Linux Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_PV_EOI_EN): bit 0 of the MSR enables; bits 63:1 are the
 * guest-physical address of a 4-byte aligned guest word.  Bit 0 of that
 * word (VAPIC_PV_EOI_ENABLED) is set by the host before entry when the
 * guest may skip its next EOI; the guest's EOI test-and-clears it and
 * writes the EOI register only if it was clear.
 */
#define VAPIC_MSR_KVM_PV_EOI_EN 0x4b564d04U
#define VAPIC_PV_EOI_MSR_ENABLE 0x1ULL
#define VAPIC_PV_EOI_ENABLED 0x1U
/** CPUID 0x40000001 EAX bit of KVM_FEATURE_PV_EOI. */
#define VAPIC_KVM_FEATURE_PV_EOI 6U

/**
 * struct vapic_lapic_config - settings chosen by the host.
 * @apic_id: this vCPU's initial APIC ID (the x2APIC ID; the xAPIC ID is its
 *	low 8 bits), as CPUID leaves 01H and 0BH report it.
 * @flags: VAPIC_LAPIC_F_*.
 * @maxphyaddr: guest physical-address width (CPUID.80000008H:EAX[7:0]),
 *	24..52; IA32_APIC_BASE bits from it upward are reserved.  0 means
 *	VAPIC_MAXPHYADDR_DEFAULT.
 * @timer: the timer's settings.
 */
struct vapic_lapic_config {
	uint32_t apic_id;
	uint32_t flags;
	uint32_t maxphyaddr;
	struct vapic_timer_config timer;
};

/**
 * struct vapic_lapic_stats - LAPIC counters (kvm_stat-style names in
 * vapic_lapic_stat_descs[], prefixed "lapic_").
 * @accepted: fixed interrupts made pending in IRR.
 * @merged: fixed interrupts whose vector was already pending in IRR.
 * @injected: interrupts the host reported injected (IRR -> ISR).
 * @eoi: EOIs that retired an in-service vector.
 * @illegal_vector: interrupts refused for a vector below 16.
 * @error_irqs: LVT error interrupts raised.
 * @eoi_broadcast: EOIs of level-triggered vectors reported to the host.
 * @dropped: fixed interrupts discarded because the APIC was disabled.
 * @ipi_sent: ICR and SELF IPI writes that sent a message.
 * @ipi_self: messages the core delivered to its own LAPIC.
 * @ipi_host: messages handed to host_ops.send_ipi.
 * @ipi_failed: send_ipi failures and messages with no send_ipi op.
 * @ipi_invalid: messages not sent: reserved delivery mode, INIT level
 *	de-assert, illegal shorthand/mode combinations.
 * @nmi: NMI events raised.
 * @init: INIT events raised.
 * @sipi: SIPI events raised.
 * @smi: SMI events raised.
 * @extint: ExtINT events raised.
 * @gp: x2APIC/MSR accesses refused with VAPIC_ERSVD (#GP for the guest).
 * @mmio_ignored: MMIO accesses of a size or alignment the APIC does not
 *	implement (see vapic_lapic_mmio_read()).
 * @apic_base_writes: accepted writes of IA32_APIC_BASE.
 * @pv_eoi_set: entries with the PV EOI flag set by the host.
 * @pv_eoi_skipped: EOIs the guest skipped (flag cleared by the guest) and
 *	the host performed after the exit.
 * @pv_eoi_unused: exits with the host's flag still set (the guest had not
 *	EOI'd yet): the host cleared it.
 * @pv_eoi_msr_writes: accepted writes of MSR_KVM_PV_EOI_EN.
 */
struct vapic_lapic_stats {
	uint64_t accepted;
	uint64_t merged;
	uint64_t injected;
	uint64_t eoi;
	uint64_t illegal_vector;
	uint64_t error_irqs;
	uint64_t eoi_broadcast;
	uint64_t dropped;
	uint64_t ipi_sent;
	uint64_t ipi_self;
	uint64_t ipi_host;
	uint64_t ipi_failed;
	uint64_t ipi_invalid;
	uint64_t nmi;
	uint64_t init;
	uint64_t sipi;
	uint64_t smi;
	uint64_t extint;
	uint64_t gp;
	uint64_t mmio_ignored;
	uint64_t apic_base_writes;
	uint64_t pv_eoi_set;
	uint64_t pv_eoi_skipped;
	uint64_t pv_eoi_unused;
	uint64_t pv_eoi_msr_writes;
};

/** Counter descriptors of struct vapic_lapic_stats. */
VAPIC_API extern const struct vapic_stat_desc vapic_lapic_stat_descs[];
/** Number of entries in vapic_lapic_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_lapic_stat_ndescs;

/* Pending events (vapic_lapic_pending_events()). */
#define VAPIC_EVENT_NMI 0x01U
#define VAPIC_EVENT_SMI 0x02U
#define VAPIC_EVENT_INIT 0x04U
#define VAPIC_EVENT_SIPI 0x08U
#define VAPIC_EVENT_EXTINT 0x10U
#define VAPIC_EVENT_ALL 0x1fU

/*
 * Actions returned (OR-ed, non-negative) by register writes, the MSR and
 * MMIO handlers and vapic_lapic_set_cr8().
 */
/** Something may be deliverable now: call vapic_lapic_poll() before entry. */
#define VAPIC_LAPIC_ACT_POLL 0x1U /* == VAPIC_TIMER_DUE */
/**
 * A level-triggered vector was EOI'd and EOI broadcast is not suppressed:
 * tell the IOAPIC(s) (vapic_lapic_eoi_vector() names the vector).
 */
#define VAPIC_LAPIC_ACT_EOI 0x2U
/** An event became pending on this LAPIC: see vapic_lapic_pending_events(). */
#define VAPIC_LAPIC_ACT_EVENT 0x4U
/** IA32_APIC_BASE changed mode or base: re-map the xAPIC MMIO page. */
#define VAPIC_LAPIC_ACT_BASE 0x8U

/**
 * struct vapic_lapic - one vCPU's local APIC.  Embedded by the host; members
 * are private to libvapic.
 */
struct vapic_lapic {
	const struct vapic_host_ops *ops;
	void *host;
	uint32_t flags;
	uint32_t maxphyaddr;
	uint64_t apic_base;
	uint32_t mode; /* enum vapic_apic_mode, from apic_base */
	uint32_t x2apic_id;
	uint32_t xapic_id;
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
	uint32_t tmr[8]; /* atomic */
	int32_t isr_top; /* highest in-service vector, -1 if none */
	uint32_t isr_words; /* bit w: isr[w] != 0 */
	uint32_t events; /* atomic VAPIC_EVENT_* */
	uint32_t sipi_vector;
	uint32_t eoi_vector;
	uint32_t lint_level; /* bit n: LINTn asserted */
	uint64_t pv_eoi_msr; /* MSR_KVM_PV_EOI_EN as the guest wrote it */
	uint32_t *pv_eoi_word; /* host_ops.map_guest of the word, or NULL */
	uint32_t pv_eoi_pending; /* the host set the guest's flag */
	struct vapic_timer timer;
	struct vapic_lapic_stats stats;
};

/**
 * vapic_lapic_config_default() - defaults: APIC ID @apic_id, CMCI LVT,
 * x2APIC available, no EOI-broadcast suppression, BSP if @apic_id is 0,
 * MAXPHYADDR default, the timer defaults of vapic_timer_config_default().
 * @cfg: output.
 * @apic_id: APIC ID.
 * @guest_tsc_khz: guest TSC frequency, kHz.
 */
VAPIC_API void vapic_lapic_config_default(struct vapic_lapic_config *cfg,
					  uint32_t apic_id,
					  uint32_t guest_tsc_khz);

/**
 * vapic_lapic_init() - initialise a LAPIC in its power-on state (SDM
 * "Local APIC State After Power-Up or Reset"): IA32_APIC_BASE 0xfee00000
 * with EN (and BSP per config) in xAPIC mode, software-disabled (SVR 0xff),
 * all LVTs masked, IRR/ISR/TMR clear, DFR all ones, no events.
 * @l: the LAPIC (caller's memory).
 * @cfg: settings, copied.
 * @ops: host operations (vapic_host_ops_valid(); send_ipi is needed for IPIs
 *	to other vCPUs: without it they are counted in stats.ipi_failed).
 * @host: per-vCPU host context.
 *
 * Context: vCPU thread or before the vCPU runs.
 * Return: 0, or the errors of vapic_timer_init(); VAPIC_EINVAL also for
 * unknown flags; VAPIC_ERANGE for @cfg->maxphyaddr outside 24..52.  @l is
 * untouched on error.
 */
VAPIC_API int vapic_lapic_init(struct vapic_lapic *l,
			       const struct vapic_lapic_config *cfg,
			       const struct vapic_host_ops *ops, void *host);

/**
 * vapic_lapic_reset() - INIT: registers to their power-on values except the
 * APIC ID and IA32_APIC_BASE (the mode is kept: SDM "x2APIC State
 * Transitions": INIT keeps xAPIC, x2APIC or disabled), the timer reset.
 * Pending events are kept (the VMM consumes INIT/SIPI itself).  PV EOI is
 * disabled (MSR_KVM_PV_EOI_EN reads 0, the word is unmapped), as KVM's
 * kvm_lapic_reset() does for INIT and RESET alike.
 * @l: the LAPIC.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_lapic_reset(struct vapic_lapic *l);

/**
 * vapic_lapic_power_reset() - RESET#/power-up: as vapic_lapic_init() again
 * with the same config (xAPIC mode, default base, APIC ID back to the
 * initial one, no pending events); stats are kept.
 * @l: the LAPIC.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_lapic_power_reset(struct vapic_lapic *l);

/**
 * vapic_lapic_destroy() - cancel the timer, unmap the PV EOI word; @l may
 * then be freed.
 * @l: the LAPIC.
 */
VAPIC_API void vapic_lapic_destroy(struct vapic_lapic *l);

/* ---------------------------------------------------------------------- */
/* Mode and IA32_APIC_BASE                                                 */

/**
 * vapic_lapic_mode() - the current enum vapic_apic_mode.
 * @l: the LAPIC.
 */
VAPIC_API enum vapic_apic_mode vapic_lapic_mode(const struct vapic_lapic *l);

/**
 * vapic_lapic_apic_base() - IA32_APIC_BASE as RDMSR returns it.
 * @l: the LAPIC.
 */
VAPIC_API uint64_t vapic_lapic_apic_base(const struct vapic_lapic *l);

/**
 * vapic_lapic_set_apic_base() - WRMSR IA32_APIC_BASE (SDM "Local APIC
 * Status and Location", "x2APIC State Transitions").
 * @l: the LAPIC.
 * @val: the new value.
 * @host_initiated: true when the host sets it (state load): any valid
 *	state may be entered from any other; false for a guest WRMSR.
 *
 * Reserved: bits 7:0 and 9, bit 10 (EXTD) without VAPIC_LAPIC_F_X2APIC,
 * bits MAXPHYADDR..63.  Refused (#GP): reserved bits; the invalid state
 * EXTD=1, EN=0; and for the guest x2APIC -> xAPIC and disabled -> x2APIC
 * (the figure "Local x2APIC State Transitions with IA32_APIC_BASE, INIT,
 * and RESET").  Valid: disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC ->
 * disabled, base relocation and the BSP bit in any mode.
 *
 * Entering the disabled state resets every register to its power-up value
 * except the APIC IDs (IRR/ISR/TMR cleared, LVTs masked, SVR 0xff, timer
 * stopped).  xAPIC -> x2APIC keeps the registers, makes the ID register the
 * 32-bit x2APIC ID and derives the LDR from it (SDM "Logical Destination
 * Mode in x2APIC Mode").
 *
 * Context: vCPU thread.
 * Return: VAPIC_LAPIC_ACT_BASE if the mode or base changed, else 0;
 * VAPIC_ERSVD (nothing changed; inject #GP).
 */
VAPIC_API int vapic_lapic_set_apic_base(struct vapic_lapic *l, uint64_t val,
					bool host_initiated);

/* ---------------------------------------------------------------------- */
/* xAPIC MMIO view                                                         */

/**
 * vapic_lapic_mmio_base() - guest-physical address of the xAPIC page.
 * @l: the LAPIC.
 *
 * The page is decoded only in xAPIC mode (vapic_lapic_mmio_enabled()).
 */
VAPIC_API uint64_t vapic_lapic_mmio_base(const struct vapic_lapic *l);

/**
 * vapic_lapic_mmio_enabled() - whether the MMIO page is decoded (xAPIC
 * mode).  When it is not (APIC disabled or in x2APIC mode), the VMM must
 * treat the range as unbacked: reads return all ones, writes are dropped
 * (SDM "x2APIC Register Availability": the xAPIC page is not accessible in
 * x2APIC mode).  vapic_lapic_mmio_read() does this too.
 * @l: the LAPIC.
 */
VAPIC_API bool vapic_lapic_mmio_enabled(const struct vapic_lapic *l);

/**
 * vapic_lapic_mmio_match() - is @gpa inside this LAPIC's page?
 * @l: the LAPIC.
 * @gpa: guest-physical address of the access.
 * @offset: output: offset in the page, when true.
 *
 * Matches on the APIC base in every mode, so the VMM can route accesses to
 * a disabled / x2APIC-mode page to vapic_lapic_mmio_read() (all ones).
 * Return: true if base <= @gpa < base + 4 KiB.
 */
VAPIC_API bool vapic_lapic_mmio_match(const struct vapic_lapic *l, uint64_t gpa,
				      uint32_t *offset);

/**
 * vapic_lapic_mmio_read() - a guest load from the xAPIC page.
 * @l: the LAPIC.
 * @offset: byte offset in the page, 0..0xfff.
 * @size: 1, 2, 4 or 8 bytes.
 * @val: output, zero-extended.
 *
 * Each register occupies the first 4 bytes of its 16-byte slot.  A load of
 * 1, 2, 4 or 8 bytes that stays within one slot returns those bytes of the
 * slot, reading bytes 4-15 as 0 (the SDM leaves such accesses undefined;
 * this is the behaviour chosen).  A load that crosses a slot boundary, or
 * of another size, returns 0 and is counted in stats.mmio_ignored.  A load
 * from an offset that is not a register returns 0 and sets the ESR "illegal
 * register address" bit.  When the page is not decoded (APIC disabled or
 * x2APIC mode) every load returns all ones of @size.
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_ENOENT for a reserved register offset; VAPIC_ENOTSUP
 * when the page is not decoded; VAPIC_EINVAL for @offset >= 4096 (host
 * error).
 */
VAPIC_API int vapic_lapic_mmio_read(struct vapic_lapic *l, uint32_t offset,
				    uint32_t size, uint64_t *val);

/**
 * vapic_lapic_mmio_write() - a guest store to the xAPIC page.
 * @l: the LAPIC.
 * @offset: byte offset in the page, 0..0xfff.
 * @size: bytes stored.
 * @val: the value (low @size bytes).
 *
 * Only aligned 32-bit stores to the first dword of a 16-byte slot reach a
 * register (vapic_lapic_write()); every other store has no effect and is
 * counted in stats.mmio_ignored (the SDM leaves them undefined).  Stores
 * are dropped when the page is not decoded.
 *
 * Context: vCPU thread.
 * Return: as vapic_lapic_write(), or 0 for an ignored store,
 * VAPIC_ENOTSUP when not decoded, VAPIC_EINVAL for @offset >= 4096.
 */
VAPIC_API int vapic_lapic_mmio_write(struct vapic_lapic *l, uint32_t offset,
				     uint32_t size, uint64_t val);

/**
 * vapic_lapic_read() - read one register, xAPIC MMIO semantics (an aligned
 * 32-bit load).
 * @l: the LAPIC.
 * @offset: register offset (VAPIC_REG_*), 16-byte aligned.
 * @val: output.
 *
 * Write-only (EOI), x2APIC-only (SELF IPI) and reserved offsets read 0 and
 * set the ESR "illegal register address" bit (SDM "Error Handling").
 * APR and PPR are computed; TMCCT from the guest TSC now; the ICR delivery
 * status bit reads 0 (idle): messages are delivered when ICR is written.
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_ENOENT for an offset that is not a readable register
 * (*val 0); VAPIC_ENOTSUP (*val all ones) outside xAPIC mode.
 */
VAPIC_API int vapic_lapic_read(struct vapic_lapic *l, uint32_t offset,
			       uint32_t *val);

/**
 * vapic_lapic_write() - write one register, xAPIC semantics (reserved bits
 * ignored, read-only registers ignored).
 * @l: the LAPIC.
 * @offset: register offset (VAPIC_REG_*), 16-byte aligned.
 * @val: the value.
 *
 * ICR low sends the message (destination from ICR high); EOI retires the
 * highest in-service vector whatever the value; ESR latches the errors
 * seen since the previous write; the ID register is writable (bits 31:24).
 * The read-only bits of an LVT entry are never written: LINT0/1's remote
 * IRR stays set across a write that leaves the entry fixed and
 * level-triggered, and clears otherwise (the SDM defines it only for
 * fixed level-triggered entries).  The same holds in x2APIC mode.
 *
 * Context: vCPU thread.
 * Return: >= 0: VAPIC_LAPIC_ACT_* bits; VAPIC_ENOENT for an offset that is
 * not a writable register (ESR "illegal register address" set);
 * VAPIC_ENOTSUP outside xAPIC mode; VAPIC_EHOST as the timer's writes.
 */
VAPIC_API int vapic_lapic_write(struct vapic_lapic *l, uint32_t offset,
				uint32_t val);

/* ---------------------------------------------------------------------- */
/* MSR view (x2APIC registers, IA32_APIC_BASE, IA32_TSC_DEADLINE)          */

/**
 * vapic_lapic_msr_owned() - whether vapic_lapic_rdmsr()/wrmsr() handle
 * @msr: IA32_APIC_BASE, IA32_TSC_DEADLINE, 0x800-0x8ff, MSR_KVM_PV_EOI_EN
 * (refused with #GP without VAPIC_LAPIC_F_PV_EOI).
 * @msr: MSR index.
 */
VAPIC_API bool vapic_lapic_msr_owned(uint32_t msr);

/**
 * vapic_lapic_rdmsr() - guest RDMSR of a LAPIC MSR.
 * @l: the LAPIC.
 * @msr: MSR index.
 * @val: output (0 when refused).
 *
 * x2APIC registers (SDM "x2APIC Register Address Space"): only in x2APIC
 * mode; ID is the 32-bit x2APIC ID; LDR is derived from it; ICR (0x830)
 * reads all 64 bits; reserved fields read 0.  Refused (#GP): any
 * 0x800-0x8ff MSR outside x2APIC mode, write-only registers (EOI 0x80b,
 * SELF IPI 0x83f), registers that do not exist in x2APIC mode (APR 0x809,
 * RRD 0x80c, DFR 0x80e, ICR high 0x831, CMCI 0x82f without
 * VAPIC_LAPIC_F_CMCI) and every undefined index.  IA32_TSC_DEADLINE reads
 * the armed deadline (0 in other timer modes).  MSR_KVM_PV_EOI_EN reads the
 * value last written (#GP without VAPIC_LAPIC_F_PV_EOI).
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_ERSVD (inject #GP); VAPIC_ENOENT if @msr is not a LAPIC
 * MSR (vapic_lapic_msr_owned() false).
 */
VAPIC_API int vapic_lapic_rdmsr(struct vapic_lapic *l, uint32_t msr,
				uint64_t *val);

/**
 * vapic_lapic_wrmsr() - guest WRMSR of a LAPIC MSR.
 * @l: the LAPIC.
 * @msr: MSR index.
 * @val: the value.
 *
 * x2APIC registers: only in x2APIC mode.  Refused (#GP, nothing changed):
 * a set reserved bit (bits 63:32 of every register but ICR; the unused bits
 * of TPR, SVR, each LVT, TDCR, SELF IPI, ICR bits 12, 13, 16, 17, 20-31);
 * read-only registers (ID, version, PPR, LDR, ISR/TMR/IRR, TMCCT); EOI or
 * ESR written with a non-zero value; registers that do not exist in x2APIC
 * mode; undefined indexes.  ICR (0x830) is one 64-bit write that sends the
 * message (destination in bits 63:32).  SELF IPI sends a fixed, edge
 * interrupt to this LAPIC.  Timer registers use the timer's strict
 * (x2APIC) checks.  MSR_KVM_PV_EOI_EN: see vapic_lapic_write_pv_eoi().
 *
 * Context: vCPU thread.
 * Return: >= 0: VAPIC_LAPIC_ACT_* bits; VAPIC_ERSVD (inject #GP);
 * VAPIC_ENOENT if @msr is not a LAPIC MSR; VAPIC_EHOST (timer arm failed,
 * state changed, retried at poll); VAPIC_EFAULT (PV EOI word not guest RAM:
 * inject #GP).
 */
VAPIC_API int vapic_lapic_wrmsr(struct vapic_lapic *l, uint32_t msr,
				uint64_t val);

/**
 * vapic_lapic_write_tsc_deadline() - WRMSR IA32_TSC_DEADLINE; see
 * vapic_timer_write_tsc_deadline().
 */
VAPIC_API int vapic_lapic_write_tsc_deadline(struct vapic_lapic *l,
					     uint64_t deadline_tsc);

/** vapic_lapic_read_tsc_deadline() - RDMSR IA32_TSC_DEADLINE. */
VAPIC_API uint64_t vapic_lapic_read_tsc_deadline(struct vapic_lapic *l);

/**
 * vapic_lapic_set_cr8() - the guest wrote CR8 (TPR[7:4] = CR8[3:0], SDM
 * "Task Priority in IA-32e Mode"); a VMM on KVM passes run->cr8 after each
 * exit.
 * @l: the LAPIC.
 * @cr8: the new CR8, 0..15.
 *
 * Context: vCPU thread.
 * Return: VAPIC_LAPIC_ACT_POLL if the priority dropped (an interrupt may
 * now be deliverable), else 0; VAPIC_ERSVD for @cr8 > 15 (nothing changed).
 */
VAPIC_API int vapic_lapic_set_cr8(struct vapic_lapic *l, uint64_t cr8);

/**
 * vapic_lapic_cr8() - CR8 as the guest reads it: TPR[7:4].
 * @l: the LAPIC.
 */
VAPIC_API uint64_t vapic_lapic_cr8(const struct vapic_lapic *l);

/* ---------------------------------------------------------------------- */
/* Receiving interrupts and events (any thread)                            */

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
 * interrupt (SDM "Error Handling").  A globally or software-disabled APIC
 * discards fixed interrupts (SDM "Local APIC State After It Has Been
 * Software Disabled": only INIT, NMI, SMI and SIPI are still taken);
 * interrupts already in IRR/ISR are kept and still delivered.
 *
 * Context: any thread (IRR/TMR are updated atomically).
 * Return: 0 if newly pending, 1 if it was already pending (merged),
 * VAPIC_ERSVD for an illegal vector, VAPIC_EBUSY if discarded (disabled),
 * VAPIC_EINVAL for @vector > 255.
 */
VAPIC_API int vapic_lapic_accept(struct vapic_lapic *l, uint32_t vector,
				 uint32_t flags);

/**
 * vapic_lapic_receive() - deliver one message to this LAPIC (it is a
 * destination; for lowest priority, the one chosen): fixed and lowest
 * priority as vapic_lapic_accept(); NMI, SMI, INIT, SIPI and ExtINT set the
 * pending event (SIPI also its vector) and kick the vCPU.
 * @l: the destination LAPIC.
 * @ipi: the message.
 *
 * A globally disabled APIC receives no message.  INIT level de-assert does
 * nothing.  A host's send_ipi may call this on the sending LAPIC itself
 * (the lowest-priority winner can be the sender).
 *
 * Context: any thread.
 * Return: 0 or 1 as vapic_lapic_accept() for vectors, 0 for events;
 * VAPIC_ERSVD (illegal vector), VAPIC_EBUSY (disabled), VAPIC_EINVAL (a
 * reserved delivery mode or vector > 255).
 */
VAPIC_API int vapic_lapic_receive(struct vapic_lapic *l,
				  const struct vapic_ipi *ipi);

/**
 * vapic_lapic_match_dest() - does @l take @ipi (SDM "Determining IPI
 * Destination")?  For hosts routing IPIs: iterate the vCPUs and deliver to
 * each LAPIC for which this is true.
 * @l: a candidate destination.
 * @ipi: the message.
 *
 * Physical mode: the APIC ID (x2APIC ID in x2APIC mode, the 8-bit ID in
 * xAPIC mode) equals the destination, or the destination is the broadcast
 * ID of the message's format.  Logical mode: xAPIC flat model (DFR 1111b):
 * LDR[31:24] AND destination != 0; xAPIC cluster model (DFR 0000b, and
 * any model nibble the SDM leaves undefined: DFR keeps what the guest
 * wrote): destination[7:4] equals LDR[31:28] (or is 0xf) and LDR[27:24]
 * AND destination[3:0] != 0; x2APIC: destination[31:16] equals LDR[31:16] and
 * LDR[15:0] AND destination[15:0] != 0; 0xff / 0xffffffff broadcast.  A
 * logical message and a LAPIC in the other mode never match.
 *
 * The sender itself is never a match except for the lowest-priority mode:
 * the core already delivered to it (self-IPIs never reach the host), but
 * lowest-priority arbitration must consider it.  A globally disabled LAPIC
 * never matches.
 *
 * Context: any thread (reads the target's ID/LDR/DFR/mode racily: a guest
 * that changes them while IPIs are in flight gets one or the other).
 */
VAPIC_API bool vapic_lapic_match_dest(const struct vapic_lapic *l,
				      const struct vapic_ipi *ipi);

/**
 * vapic_lapic_lowest_priority() - lowest-priority arbitration among the
 * matching LAPICs (SDM "Lowest Priority Delivery Mode"): a LAPIC that
 * already has @vector in service or pending wins when its focus checking is
 * enabled (SVR bit 9 clear); otherwise the one with the lowest arbitration
 * priority (vapic_lapic_apr()); ties go to the lowest APIC ID.
 * @cands: the LAPICs for which vapic_lapic_match_dest() was true.
 * @n: number of candidates.
 * @vector: the message vector.
 *
 * Context: any thread.
 * Return: the winner, or NULL if @n is 0.
 */
VAPIC_API struct vapic_lapic *
vapic_lapic_lowest_priority(struct vapic_lapic *const *cands, uint32_t n,
			    uint32_t vector);

/**
 * vapic_lapic_pending_events() - the VAPIC_EVENT_* bits pending now.
 * @l: the LAPIC.
 *
 * Context: any thread (one atomic load).
 */
VAPIC_API uint32_t vapic_lapic_pending_events(const struct vapic_lapic *l);

/**
 * vapic_lapic_take_events() - consume pending events: clear and return
 * those of @mask that were pending.  The VMM takes NMI when it can inject
 * one (KVM_NMI), INIT to reset the vCPU (and call vapic_lapic_reset()),
 * SIPI only in the wait-for-SIPI state (elsewhere the SDM ignores it: take
 * and drop it), ExtINT to run the PIC's interrupt acknowledge.  Several
 * NMIs (SMIs, ...) raised before a take count as one.  An INIT drops the
 * NMI and SIPI raised before it and not taken yet (they go with the
 * reset; SMI and ExtINT stay): with INIT taken, a pending NMI or SIPI was
 * raised after it.
 * @l: the LAPIC.
 * @mask: VAPIC_EVENT_* to take.
 * @sipi_vector: output (may be NULL): the SIPI vector when SIPI is taken.
 *
 * Context: vCPU thread.
 * Return: the events taken.
 */
VAPIC_API uint32_t vapic_lapic_take_events(struct vapic_lapic *l, uint32_t mask,
					   uint32_t *sipi_vector);

/**
 * vapic_lapic_set_lint() - the LINT0/LINT1 pin changed level.
 * @l: the LAPIC.
 * @pin: 0 or 1.
 * @asserted: the new level.
 *
 * With the APIC globally disabled, LINT0 is INTR (ExtINT event while
 * asserted) and LINT1 is NMI (edge).  Otherwise per the LVT entry (SDM
 * "Local Vector Table"): masked: nothing; NMI, SMI, INIT: on the rising
 * edge; ExtINT: level (event while asserted); fixed edge: on the rising
 * edge; fixed level: while asserted and remote IRR is clear, the vector is
 * accepted with TMR set and remote IRR is set, until the EOI of that
 * vector.
 *
 * Context: vCPU thread.
 * Return: VAPIC_LAPIC_ACT_* bits; VAPIC_EINVAL for @pin > 1.
 */
VAPIC_API int vapic_lapic_set_lint(struct vapic_lapic *l, uint32_t pin,
				   bool asserted);

/**
 * vapic_lapic_raise_lvt() - a local source (thermal sensor, performance
 * counter overflow, corrected machine check) signals through its LVT entry:
 * delivered per the entry's delivery mode (fixed, SMI, NMI, INIT, ExtINT)
 * unless masked.  The error entry is raised by the core itself.
 * @l: the LAPIC.
 * @lvt: VAPIC_LVT_THERMAL, VAPIC_LVT_PMC or VAPIC_LVT_CMCI (if present).
 *
 * Context: vCPU thread.
 * Return: VAPIC_LAPIC_ACT_* bits; VAPIC_EINVAL for another @lvt.
 */
VAPIC_API int vapic_lapic_raise_lvt(struct vapic_lapic *l, enum vapic_lvt lvt);

/* ---------------------------------------------------------------------- */
/* Delivery to the guest (vCPU thread)                                     */

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
 * vapic_lapic_poll() - "which vector to inject now": on the vCPU thread
 * before entering the guest (or when kicked), run the timer
 * (vapic_timer_poll()), move its tick into IRR, and find the highest
 * pending vector whose priority class exceeds the PPR's (SDM "Interrupt,
 * Task, and Processor Priority").
 * @l: the LAPIC.
 * @vector: output for VAPIC_LAPIC_INJECT.
 * @wait_ns: output for VAPIC_LAPIC_WAIT.
 *
 * Pending events (NMI, INIT, ...) are not reported here: see
 * vapic_lapic_pending_events().
 *
 * Context: vCPU thread.
 * Return: an enum vapic_lapic_poll_result.
 */
VAPIC_API int vapic_lapic_poll(struct vapic_lapic *l, uint32_t *vector,
			       uint64_t *wait_ns);

/**
 * vapic_lapic_injected() - "it was injected": the host injected @vector
 * (KVM_INTERRUPT, or the guest acknowledged it): move it from IRR to ISR;
 * PPR rises.
 * @l: the LAPIC.
 * @vector: the vector returned by vapic_lapic_poll().
 *
 * Context: vCPU thread.
 * Return: 0, or VAPIC_EINVAL if @vector is not pending in IRR.
 */
VAPIC_API int vapic_lapic_injected(struct vapic_lapic *l, uint32_t vector);

/**
 * vapic_lapic_eoi() - an EOI (the xAPIC EOI register or x2APIC MSR 0x80b):
 * retire the highest in-service vector (SDM "EOI Register").  If it was
 * level-triggered (TMR set), the LVT LINT entry that raised it has its
 * remote IRR cleared and, unless EOI-broadcast suppression is advertised
 * and enabled (SVR bit 12), the EOI is to be broadcast to the IOAPICs.
 * @l: the LAPIC.
 *
 * Context: vCPU thread.
 * Return: VAPIC_LAPIC_ACT_EOI (broadcast vapic_lapic_eoi_vector()) and/or
 * VAPIC_LAPIC_ACT_POLL (another vector may now be deliverable), or 0.
 */
VAPIC_API int vapic_lapic_eoi(struct vapic_lapic *l);

/**
 * vapic_lapic_eoi_vector() - the vector of the last EOI that returned
 * VAPIC_LAPIC_ACT_EOI.
 * @l: the LAPIC.
 */
VAPIC_API uint32_t vapic_lapic_eoi_vector(const struct vapic_lapic *l);

/**
 * vapic_lapic_ppr() - the processor priority register now.
 * @l: the LAPIC.
 */
VAPIC_API uint32_t vapic_lapic_ppr(const struct vapic_lapic *l);

/**
 * vapic_lapic_apr() - the arbitration priority (SDM "Arbitration Priority
 * Register"): TPR if TPR[7:4] >= IRRV[7:4] and > ISRV[7:4], else the
 * highest of the three classes.
 * @l: the LAPIC.
 *
 * Context: any thread.
 */
VAPIC_API uint32_t vapic_lapic_apr(const struct vapic_lapic *l);

/**
 * vapic_lapic_sw_enabled() - SVR bit 8.
 * @l: the LAPIC.
 */
VAPIC_API bool vapic_lapic_sw_enabled(const struct vapic_lapic *l);

/**
 * vapic_lapic_id() - the APIC ID in the current mode: the x2APIC ID in
 * x2APIC mode, else the 8-bit xAPIC ID.
 * @l: the LAPIC.
 */
VAPIC_API uint32_t vapic_lapic_id(const struct vapic_lapic *l);

/* ---------------------------------------------------------------------- */
/* KVM paravirtual EOI (MSR_KVM_PV_EOI_EN)                                 */

/**
 * vapic_lapic_write_pv_eoi() - guest WRMSR MSR_KVM_PV_EOI_EN (KVM's
 * kvm_lapic_set_pv_eoi() rules).
 * @l: the LAPIC.
 * @val: bit 0 enable, bits 63:1 the guest-physical address of the word.
 *
 * Refused (#GP, nothing changed): no VAPIC_LAPIC_F_PV_EOI; an address that
 * is not 4-byte aligned (bit 1 set), enabled or not (as KVM); address bits
 * at or above MAXPHYADDR (KVM leaves these to its memslot lookup, which
 * fails for them when enabling; here they are reserved whatever bit 0 says).
 * With bit 0 set the word is mapped with host_ops.map_guest (4 bytes, once
 * per write) and the previous mapping released; if it cannot be mapped the
 * write is refused and the previous state is kept.  With bit 0 clear the
 * value is stored (it reads back) and the word unmapped: PV EOI is off.  A
 * flag the host set and the guest has not consumed is settled first, as
 * vapic_lapic_pv_eoi_after_exit() does.
 *
 * Context: vCPU thread (map_guest may sleep).
 * Return: VAPIC_LAPIC_ACT_* bits of a settled EOI, else 0; VAPIC_ERSVD
 * (inject #GP); VAPIC_EFAULT (no map_guest op, or not guest RAM: inject
 * #GP).
 */
VAPIC_API int vapic_lapic_write_pv_eoi(struct vapic_lapic *l, uint64_t val);

/**
 * vapic_lapic_pv_eoi_enabled() - the guest enabled PV EOI (the word is
 * mapped).
 * @l: the LAPIC.
 */
VAPIC_API bool vapic_lapic_pv_eoi_enabled(const struct vapic_lapic *l);

/**
 * vapic_lapic_pv_eoi_before_entry() - just before entering the guest, after
 * this entry's injection (vapic_lapic_injected()): let the guest skip its
 * next EOI if that EOI is unambiguous (KVM's apic_sync_pv_eoi_to_guest()).
 * @l: the LAPIC.
 *
 * Sets bit 0 of the guest word, and remembers it ("pending"), only if PV
 * EOI is enabled, nothing is pending in IRR, exactly one vector is in
 * service, and that vector is edge-triggered (TMR clear: the EOI of a
 * level-triggered vector must reach the LINT remote IRR or the IOAPICs;
 * KVM asks its IOAPIC whether it handles the vector, which the host's
 * IOAPIC sees here as a level-triggered TMR bit).  Otherwise the word is
 * left alone (the after-exit call cleared the host's flag).  A flag still
 * pending from before (a restored record) is settled first, as
 * vapic_lapic_pv_eoi_after_exit().
 *
 * Context: vCPU thread, guest not running.
 * Return: true if the flag was set for this entry.
 */
VAPIC_API bool vapic_lapic_pv_eoi_before_entry(struct vapic_lapic *l);

/**
 * vapic_lapic_pv_eoi_after_exit() - on every exit, before the exit is
 * handled and before anything reads ISR/PPR or injects (KVM's
 * apic_sync_pv_eoi_from_guest()).
 * @l: the LAPIC.
 *
 * Does nothing unless the host set the flag for the last entry.  Then the
 * flag is cleared in the guest word and forgotten; if the guest had
 * cleared it (it skipped an EOI), the EOI is performed now exactly as
 * vapic_lapic_eoi() (highest in-service vector retired, PPR lowered).  A
 * guest that sets the flag itself never causes an EOI: only a flag the
 * host set and the guest cleared does.
 *
 * Context: vCPU thread, guest not running.
 * Return: the VAPIC_LAPIC_ACT_* bits of vapic_lapic_eoi() when an EOI was
 * performed, else 0.
 */
VAPIC_API int vapic_lapic_pv_eoi_after_exit(struct vapic_lapic *l);

/* ---------------------------------------------------------------------- */
/* Save / restore                                                          */

#define VAPIC_LAPIC_STATE_MAGIC 0x4c415056U /* "VPAL" */
#define VAPIC_LAPIC_STATE_VERSION 2U
/** Version 1 records (no PV EOI) are still restored, with PV EOI off. */
#define VAPIC_LAPIC_STATE_VERSION_V1 1U
/* struct vapic_lapic_state.pv_eoi_flags */
#define VAPIC_LAPIC_STATE_PV_EOI_PENDING 0x1U

/**
 * struct vapic_lapic_state - a versioned, checksummed record of the whole
 * register file, for save/restore and migration.  All fields little-endian
 * on x86 hosts.
 * @magic: VAPIC_LAPIC_STATE_MAGIC.
 * @version: VAPIC_LAPIC_STATE_VERSION.
 * @size: sizeof(struct vapic_lapic_state).
 * @apic_base: IA32_APIC_BASE.
 * @flags: the source's VAPIC_LAPIC_F_* except BSP (the destination must
 *	have the same features).
 * @x2apic_id: the initial (x2APIC) ID; must equal the destination's.
 * @xapic_id: the xAPIC ID register's ID (bits 7:0).
 * @tpr: TPR.
 * @ldr: LDR.
 * @dfr: DFR.
 * @svr: SVR.
 * @esr: ESR as the guest last latched it.
 * @esr_pending: errors since the last ESR write.
 * @icr_lo: ICR low (delivery status 0).
 * @icr_hi: ICR high (xAPIC) / destination (x2APIC).
 * @lvt: the non-timer LVT entries, enum vapic_lvt order.
 * @irr: IRR.
 * @isr: ISR.
 * @tmr: TMR.
 * @events: pending VAPIC_EVENT_* bits.
 * @sipi_vector: SIPI vector (with VAPIC_EVENT_SIPI), else 0.
 * @lint_level: LINT pin levels (bits 0, 1).
 * @pv_eoi_msr: MSR_KVM_PV_EOI_EN (version 2; zero in version 1).
 * @pv_eoi_flags: VAPIC_LAPIC_STATE_PV_EOI_PENDING: the host had set the
 *	guest's flag (version 2; zero in version 1).
 * @reserved: zero.
 * @timer: the timer's record (vapic_timer_save()), checked by
 *	vapic_timer_restore().
 * @reserved2: zero.
 * @checksum: vapic_checksum32() over the record with this field zero.
 */
struct vapic_lapic_state {
	uint32_t magic;
	uint16_t version;
	uint16_t size;
	uint64_t apic_base;
	uint32_t flags;
	uint32_t x2apic_id;
	uint32_t xapic_id;
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t svr;
	uint32_t esr;
	uint32_t esr_pending;
	uint32_t icr_lo;
	uint32_t icr_hi;
	uint32_t lvt[VAPIC_LVT_NR];
	uint32_t irr[8];
	uint32_t isr[8];
	uint32_t tmr[8];
	uint32_t events;
	uint32_t sipi_vector;
	uint32_t lint_level;
	uint64_t pv_eoi_msr;
	uint32_t pv_eoi_flags;
	uint32_t reserved[1];
	struct vapic_timer_state timer;
	uint32_t reserved2;
	uint32_t checksum;
};

/**
 * vapic_lapic_save() - snapshot the LAPIC and its timer.
 * @l: the LAPIC.
 * @s: output record.
 *
 * Context: vCPU thread, vCPU not running.
 * Return: 0, or VAPIC_EINVAL for NULL arguments.
 */
VAPIC_API int vapic_lapic_save(struct vapic_lapic *l,
			       struct vapic_lapic_state *s);

/**
 * vapic_lapic_restore() - load a record made by vapic_lapic_save().
 * @l: the LAPIC (its config and host binding are kept).
 * @s: the record.
 *
 * The record is validated whole first (magic, version, size, checksum,
 * reserved fields, features, IDs, reserved register bits, the APIC-base
 * state, consistency between SVR and the timer, then the timer's own
 * record); on any error nothing changes.
 *
 * A version 1 record (before PV EOI) is accepted and leaves PV EOI off.  A
 * record with PV EOI enabled maps the word again (host_ops.map_guest).
 *
 * Context: vCPU thread, vCPU not running.
 * Return: 0; VAPIC_EVERSION (unknown version); VAPIC_ESTATE (anything
 * else wrong, PV EOI enabled without VAPIC_LAPIC_F_PV_EOI included);
 * VAPIC_EFAULT (the PV EOI word could not be mapped; nothing changed);
 * VAPIC_EHOST if the timer could not be armed (state loaded;
 * retried at poll); VAPIC_EINVAL for NULL arguments.
 */
VAPIC_API int vapic_lapic_restore(struct vapic_lapic *l,
				  const struct vapic_lapic_state *s);

#endif /* VAPIC_LAPIC_H */
