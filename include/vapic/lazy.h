/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic lazy TSC-deadline: both halves of the paravirtual protocol whose
 * ABI is in <vapic/lazy_abi.h> and whose rules are docs/lazy-tscdeadline.md.
 *
 * Host side.  The host calls vapic_lazy_setup() once per vCPU to expose the
 * protocol, reports CPUID with vapic_lazy_cpuid(), and routes the guest's
 * RDMSR/WRMSR of the protocol MSR (vapic_lazy_is_msr()) to
 * vapic_lazy_read_msr() / vapic_lazy_write_msr().  Everything else happens
 * inside the timer (struct vapic_timer): it publishes "armed" whenever it
 * arms its host timer or leaves it idle, and when the host timer fires for a
 * TSC deadline it reads the guest's "pending" and moves the deadline later
 * instead of injecting, when the guest asked for that.
 *
 * Guest side.  A guest's clock-event set_next_event() calls
 * vapic_lazy_guest_set_deadline() and writes IA32_TSC_DEADLINE only when it
 * returns true.  The guest functions are freestanding and touch nothing but
 * the page; libvapic/lazy_guest.c can be compiled into a guest on its own.
 */
#ifndef VAPIC_LAZY_H
#define VAPIC_LAZY_H

#include <vapic/types.h>
#include <vapic/lazy_abi.h>
#include <vapic/stats.h>

struct vapic_timer;

/**
 * struct vapic_lazy_config - how the host exposes the protocol.
 * @msr_index: the MSR the guest writes to enable it and give the page's
 *	address; default VAPIC_LAZY_MSR_DEFAULT.  Must not be IA32_TSC_DEADLINE
 *	or an x2APIC MSR (0x800-0x8ff).
 * @cpuid_base: base of the hypervisor CPUID leaves advertising it; default
 *	VAPIC_PV_CPUID_BASE_DEFAULT; a multiple of 0x100 in
 *	VAPIC_PV_CPUID_SCAN_FIRST..VAPIC_PV_CPUID_SCAN_LAST.
 */
struct vapic_lazy_config {
	uint32_t msr_index;
	uint32_t cpuid_base;
};

/**
 * struct vapic_lazy_stats - counters (kvm_stat names in
 * vapic_lazy_stat_descs[]).
 * @enables: MSR writes that enabled the protocol (or moved the page).
 * @disables: MSR writes, INITs and destroys that disabled it (moving the
 *	page counts one disable and one enable).
 * @msr_faults: MSR writes refused (the host injects #GP).
 * @arbitrations: host-timer expiries at which "pending" was read.
 * @moves: of those, expiries where the guest had moved its deadline later:
 *	the host re-armed without injecting.
 * @clamped: moves whose re-arm was held back by the rate bound.
 * @remaps: vapic_lazy_remap() calls that moved the protocol to a new
 *	mapping of the same block.
 * @detaches: vapic_lazy_remap() calls that could not map it and left the
 *	protocol detached.
 */
struct vapic_lazy_stats {
	uint64_t enables;
	uint64_t disables;
	uint64_t msr_faults;
	uint64_t arbitrations;
	uint64_t moves;
	uint64_t clamped;
	uint64_t remaps;
	uint64_t detaches;
};

/** Counter descriptors of struct vapic_lazy_stats. */
VAPIC_API extern const struct vapic_stat_desc vapic_lazy_stat_descs[];
/** Number of entries in vapic_lazy_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_lazy_stat_ndescs;

/**
 * struct vapic_lazy - the host side's per-vCPU state, embedded in struct
 * vapic_timer.  Members are private to libvapic.
 */
struct vapic_lazy {
	struct vapic_lazy_config cfg;
	bool available;
	uint64_t msr_val;
	struct vapic_lazy_page *page;
	bool detached;
	uint64_t armed_tsc;
	bool credit;
	uint64_t not_before_ns;
	struct vapic_lazy_stats stats;
};

/* ---------------------------------------------------------------------- */
/* Host side                                                              */

/**
 * vapic_lazy_config_default() - fill @cfg with the documented defaults.
 * @cfg: output.
 *
 * Context: any.
 */
VAPIC_API void vapic_lazy_config_default(struct vapic_lazy_config *cfg);

/**
 * vapic_lazy_setup() - expose lazy TSC-deadline on this vCPU's timer: from
 * now on the protocol MSR exists (reads 0, the guest may enable it).
 * @t: the timer (initialised, with TSC-deadline mode exposed).
 * @cfg: settings, copied.
 *
 * The host must also provide host_ops.map_guest/unmap_guest, and should
 * report the CPUID leaves of vapic_lazy_cpuid() to the guest.
 *
 * Context: vCPU thread, before the guest uses the MSR.
 * Return: 0; VAPIC_EINVAL for NULL arguments or a bad @cfg (see struct
 * vapic_lazy_config); VAPIC_ENOTSUP if the host has no map_guest or the
 * timer does not expose TSC-deadline mode; VAPIC_EBUSY while the guest has
 * the protocol enabled.
 */
VAPIC_API int vapic_lazy_setup(struct vapic_timer *t,
			       const struct vapic_lazy_config *cfg);

/**
 * vapic_lazy_cpuid() - the hypervisor CPUID leaves that advertise the
 * protocol (see <vapic/lazy_abi.h>).
 * @cfg: the config given to vapic_lazy_setup().
 * @leaf: the CPUID leaf (EAX) asked for.
 * @regs: output: EAX, EBX, ECX, EDX.
 *
 * Context: any.
 * Return: true if @leaf is one of ours (@regs filled), false otherwise
 * (@regs untouched).
 */
VAPIC_API bool vapic_lazy_cpuid(const struct vapic_lazy_config *cfg,
				uint32_t leaf, uint32_t regs[4]);

/**
 * vapic_lazy_is_msr() - whether @index is this timer's protocol MSR.
 * @t: the timer.
 * @index: an MSR index (ECX of RDMSR/WRMSR).
 *
 * Context: any.
 * Return: true only after vapic_lazy_setup().
 */
VAPIC_API bool vapic_lazy_is_msr(const struct vapic_timer *t, uint32_t index);

/**
 * vapic_lazy_write_msr() - WRMSR of the protocol MSR (by the guest, or by
 * the host restoring a saved value).
 * @t: the timer.
 * @val: bit 0 enable, bits 5:1 reserved, bits 63:6 the GPA of the 64-byte
 *	shared block (struct vapic_lazy_page).
 *
 * Enabling maps the block with host_ops.map_guest, checks that it is guest
 * RAM, 64-byte aligned (by the value's format) and carries
 * VAPIC_LAZY_VERSION, then publishes the current "armed".  Enabling again
 * with another address moves the protocol to the new block (the old one gets
 * armed = 0 and is unmapped).  A value with bit 0 clear disables the
 * protocol: "armed" is cleared, then the block is unmapped.  On any error
 * nothing changes.
 *
 * Context: vCPU thread (map_guest may sleep).
 * Return: 0 or VAPIC_TIMER_DUE (a timer tick became due meanwhile: poll
 * before re-entering the guest) when the write took effect - also if the
 * host timer could not be re-armed afterwards (the timer retries at the
 * next poll and counts it in stats.arm_failures).  Otherwise nothing
 * changed and the caller injects #GP: VAPIC_ENOTSUP before
 * vapic_lazy_setup(); VAPIC_ERSVD for reserved bits; VAPIC_EFAULT if the
 * block is not guest RAM (map_guest failed, or its mapping is not 8-byte
 * aligned); VAPIC_EVERSION if the block's version is not
 * VAPIC_LAZY_VERSION.
 */
VAPIC_API int vapic_lazy_write_msr(struct vapic_timer *t, uint64_t val);

/**
 * vapic_lazy_remap() - map the enabled block again: the host's mapping of
 * its guest-physical address may have changed.
 * @t: the timer.
 *
 * A host whose map_guest mapping can go stale calls this before the guest
 * runs again after the change: KVM when the memslot holding the block was
 * deleted, moved or re-created, or when userspace replaced or discarded
 * the page behind it (mmap, MADV_DONTNEED, migration of an unpinned page).
 * A userspace VMM whose mapping is its own guest memory never needs it.
 *
 * Maps the block's address again with host_ops.map_guest and moves the
 * protocol to the new mapping as vapic_lazy_write_msr() moves it to
 * another block: the last "pending" in the old mapping is taken, the old
 * mapping gets "armed" = 0 and is unmapped, and "armed" is published in
 * the new one.  The version is not checked again (the guest's block was
 * checked when it enabled it; memory the host discarded reads 0 there).
 * If the address cannot be mapped, the protocol detaches: the last
 * "pending" in the old mapping is taken as above and the old mapping is
 * released; the protocol stays enabled (the MSR reads the same), but the
 * host neither publishes "armed" nor reads "pending" until a later call
 * maps the block again.  The host calls again when the address may be RAM
 * again, and must not let the guest use new memory at that address before
 * a call succeeds: the guest would read a stale "armed" there.  KVM: a
 * memslot being re-created or deleted for good leaves no RAM there, so the
 * guest cannot use it; RAM that cannot be mapped fails KVM_RUN.
 *
 * Context: vCPU thread, guest not running (map_guest may sleep).
 * Return: 0 or VAPIC_TIMER_DUE (as vapic_lazy_write_msr()) when the
 * protocol moved, and 0 when it is not enabled (nothing to do);
 * VAPIC_EFAULT if the address could not be mapped: the protocol is
 * detached (poll the timer before entering the guest: a tick may have
 * become due).
 */
VAPIC_API int vapic_lazy_remap(struct vapic_timer *t);

/**
 * vapic_lazy_read_msr() - RDMSR of the protocol MSR: the last value
 * accepted by vapic_lazy_write_msr() (0 after INIT/RESET).  Save it with
 * the vCPU's other MSRs and restore it with vapic_lazy_write_msr().
 * @t: the timer.
 *
 * Context: vCPU thread.
 */
VAPIC_API uint64_t vapic_lazy_read_msr(const struct vapic_timer *t);

/**
 * vapic_lazy_enabled() - whether the guest has the protocol enabled (also
 * while it is detached, see vapic_lazy_remap()).
 * @t: the timer.
 */
VAPIC_API bool vapic_lazy_enabled(const struct vapic_timer *t);

/**
 * vapic_lazy_get_stats() - copy the protocol's counters.
 * @t: the timer.
 * @out: output.
 *
 * Context: any (values may be a moment stale while the vCPU runs).
 */
VAPIC_API void vapic_lazy_get_stats(const struct vapic_timer *t,
				    struct vapic_lazy_stats *out);

/* ---------------------------------------------------------------------- */
/* Guest side (freestanding: libvapic/lazy_guest.c)                       */

/**
 * struct vapic_lazy_guest_info - what the host advertises.
 * @cpuid_base: the base leaf where the signature was found.
 * @msr_index: the protocol MSR.
 * @version: the highest page version the host speaks.
 */
struct vapic_lazy_guest_info {
	uint32_t cpuid_base;
	uint32_t msr_index;
	uint32_t version;
};

/**
 * vapic_lazy_guest_probe() - find the protocol in CPUID: scan the hypervisor
 * bases for the libvapic signature and read its feature leaf.
 * @cpuid: executes CPUID for @leaf (subleaf 0) and stores EAX, EBX, ECX, EDX
 *	in @regs.  Only hypervisor leaves (0x40000000 up) are asked for; the
 *	caller checks CPUID.1:ECX[31] (hypervisor present) first.
 * @ctx: passed to @cpuid.
 * @info: output.
 *
 * Context: guest, any.
 * Return: 0 if the host offers lazy TSC-deadline with a page version this
 * library speaks; VAPIC_ENOTSUP otherwise.
 */
VAPIC_API int vapic_lazy_guest_probe(void (*cpuid)(void *ctx, uint32_t leaf,
						   uint32_t regs[4]),
				     void *ctx,
				     struct vapic_lazy_guest_info *info);

/**
 * vapic_lazy_guest_page_init() - prepare a block before enabling: zero it
 * and write the version.
 * @page: the guest's 64-byte-aligned block (struct vapic_lazy_page).
 *
 * Not on the block in use (disable first): zeroing it would overwrite the
 * guest's own deadline in "pending".
 *
 * Context: guest, before the enabling WRMSR.
 */
VAPIC_API void vapic_lazy_guest_page_init(struct vapic_lazy_page *page);

/**
 * vapic_lazy_guest_msr_value() - the value to write to the protocol MSR to
 * enable it.
 * @page_gpa: guest-physical address of the block; must be 64-byte aligned.
 *
 * Return: @page_gpa | VAPIC_LAZY_MSR_ENABLE, or 0 (disable) if @page_gpa is
 * misaligned.
 */
VAPIC_API uint64_t vapic_lazy_guest_msr_value(uint64_t page_gpa);

/**
 * vapic_lazy_guest_set_deadline() - the guest's set_next_event() decision:
 * publish @deadline_tsc in "pending", then decide whether the host must be
 * told with a WRMSR to IA32_TSC_DEADLINE (rules G1-G4 of the protocol).
 * @page: the enabled block.
 * @deadline_tsc: the new deadline, guest TSC; 0 disarms (then "pending"
 *	becomes VAPIC_LAZY_NEVER and the function always says "trap").
 *
 * Call it on the CPU that owns @page with interrupts disabled (as clockevent
 * callbacks run), and if it returns true write @deadline_tsc (the same
 * value) to IA32_TSC_DEADLINE.  While the protocol is enabled every write
 * of IA32_TSC_DEADLINE must go through this function.  Contains a full
 * memory barrier.
 *
 * Context: guest, interrupts disabled.
 * Return: true if the guest must write the MSR: @deadline_tsc is 0, the host
 * has no timer armed ("armed" is 0), or @deadline_tsc is earlier than it.
 */
VAPIC_API bool vapic_lazy_guest_set_deadline(struct vapic_lazy_page *page,
					     uint64_t deadline_tsc);

#endif /* VAPIC_LAZY_H */
