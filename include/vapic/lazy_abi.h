/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Lazy TSC-deadline: the guest/host ABI (shared page, MSR, CPUID).
 *
 * This header is the contract between a guest and a host that both speak
 * the protocol; it declares no functions, so a guest kernel can copy the
 * numbers without linking libvapic.  The rules each side follows, and why
 * they are enough, are in docs/lazy-tscdeadline.md; the short form is in
 * the comments below.  Guest time is the guest TSC (IA32_TIME_STAMP_COUNTER
 * as the guest reads it, the same scale as IA32_TSC_DEADLINE).
 *
 * Discovery.  The host advertises the protocol in a hypervisor CPUID leaf
 * range (default base VAPIC_PV_CPUID_BASE_DEFAULT; a guest scans the bases
 * 0x40000000..0x4000ff00 in steps of 0x100 for the signature):
 *	base + 0: EAX = base + 1 (highest leaf), EBX:ECX:EDX = "LibVapic_PV_"
 *	base + 1: EAX = features (VAPIC_PV_F_LAZY_TSCDEADLINE),
 *		  EBX = the lazy TSC-deadline MSR index,
 *		  ECX = the highest page version the host speaks,
 *		  EDX = 0 (reserved)
 *
 * Enabling.  The guest zeroes a 64-byte, 64-byte-aligned block of its RAM,
 * writes VAPIC_LAZY_VERSION into its version field, and writes
 * (GPA | VAPIC_LAZY_MSR_ENABLE) to the MSR.  The host #GPs the write if a
 * reserved bit is set, the version is not one it speaks, or the block is
 * not guest RAM.  Writing a value with bit 0 clear disables the protocol;
 * the host clears "armed" first.  INIT and RESET disable it too.
 *
 * Ownership.  "armed" is written only by the host, "pending" only by the
 * guest; both are little-endian guest-TSC values, 0 meaning "none".  Each
 * side reads the other's field and must tolerate any value in it.
 */
#ifndef VAPIC_LAZY_ABI_H
#define VAPIC_LAZY_ABI_H

#include <vapic/types.h>

/** Hypervisor CPUID base of libvapic's paravirtual leaves (default). */
#define VAPIC_PV_CPUID_BASE_DEFAULT 0x40000200U
/** First and last bases a guest scans, and the step. */
#define VAPIC_PV_CPUID_SCAN_FIRST 0x40000000U
#define VAPIC_PV_CPUID_SCAN_LAST 0x4000ff00U
#define VAPIC_PV_CPUID_SCAN_STEP 0x100U
/** Signature in EBX, ECX, EDX of the base leaf: "LibVapic_PV_". */
#define VAPIC_PV_SIGNATURE_EBX 0x5662694cU /* "LibV" */
#define VAPIC_PV_SIGNATURE_ECX 0x63697061U /* "apic" */
#define VAPIC_PV_SIGNATURE_EDX 0x5f56505fU /* "_PV_" */
/** Leaf base + 1, EAX bit 0: lazy TSC-deadline is available. */
#define VAPIC_PV_F_LAZY_TSCDEADLINE 0x1U

/**
 * Default index of the lazy TSC-deadline MSR: "VAP\0", outside KVM's
 * paravirtual range 0x4b564d00-0x4b564dff and the Hyper-V/Xen synthetic
 * range 0x40000000-0x400001ff.  Configurable by the host (struct
 * vapic_lazy_config) and advertised in CPUID, so a guest never hard-codes
 * it.
 */
#define VAPIC_LAZY_MSR_DEFAULT 0x56415000U

/* MSR value: bit 0 enable, bits 5:1 reserved (0), bits 63:6 the page GPA. */
#define VAPIC_LAZY_MSR_ENABLE 0x1ULL
#define VAPIC_LAZY_MSR_RSVD_MASK 0x3eULL
#define VAPIC_LAZY_MSR_GPA_MASK (~0x3fULL)

/** Page layout version this header describes. */
#define VAPIC_LAZY_VERSION 1U
/** Size and required alignment of the shared block, bytes. */
#define VAPIC_LAZY_PAGE_SIZE 64U

/**
 * struct vapic_lazy_page - the shared block (one cache line of guest RAM).
 * All fields little-endian.
 * @armed: host -> guest.  The guest-TSC deadline for which the host has a
 *	host timer armed, whose expiry the host will arbitrate by reading
 *	@pending; 0 when it has none (no deadline, another timer mode, LVT
 *	masked, deadline already due, protocol being disabled...).
 * @pending: guest -> host.  The deadline the guest wants (the argument of
 *	its latest set_next_event), stored before the guest compares it with
 *	@armed.  0 is "no later deadline".
 * @version: guest -> host, written before enabling: VAPIC_LAZY_VERSION.
 *	Read by the host only when the MSR is written.
 * @flags: reserved, 0.
 * @reserved: 0.  The host never reads or writes it.
 */
struct vapic_lazy_page {
	uint64_t armed;
	uint64_t pending;
	uint32_t version;
	uint32_t flags;
	uint64_t reserved[5];
};

_Static_assert(sizeof(struct vapic_lazy_page) == VAPIC_LAZY_PAGE_SIZE,
	       "lazy page size is ABI");
_Static_assert(__builtin_offsetof(struct vapic_lazy_page, armed) == 0,
	       "armed offset is ABI");
_Static_assert(__builtin_offsetof(struct vapic_lazy_page, pending) == 8,
	       "pending offset is ABI");
_Static_assert(__builtin_offsetof(struct vapic_lazy_page, version) == 16,
	       "version offset is ABI");
_Static_assert(__builtin_offsetof(struct vapic_lazy_page, flags) == 20,
	       "flags offset is ABI");
_Static_assert(__builtin_offsetof(struct vapic_lazy_page, reserved) == 24,
	       "reserved offset is ABI");

#endif /* VAPIC_LAZY_ABI_H */
