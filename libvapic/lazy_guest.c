// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Lazy TSC-deadline, guest side (docs/lazy-tscdeadline.md, rules G1-G4).
 *
 * Self-contained: a guest can build this one file with the freestanding env
 * (it needs only the env's atomics and barrier) and call it from its
 * clock-event set_next_event().
 */
#include "lazy_int.h"
#include <vapic/errors.h>

VAPIC_API bool vapic_lazy_guest_set_deadline(struct vapic_lazy_page *page,
					     uint64_t deadline_tsc)
{
	u64 armed;

	/* G1: publish the deadline the guest wants. */
	VAPIC_WRITE_ONCE(page->pending, lazy_le64_(deadline_tsc));
	/*
	 * G2: a full barrier, store -> load.  On x86 a store may be passed
	 * by a later load (store buffer): without it the guest could read a
	 * stale "armed" while the host's timer callback, on another CPU,
	 * reads the stale "pending", and the new deadline would be seen by
	 * neither.  Not the WRMSR's fence (empty on some CPUs, and only
	 * executed when trapping): mfence or a locked instruction.
	 */
	vapic_smp_mb();
	/* G3: what the host has a timer for. */
	armed = lazy_le64_(VAPIC_READ_ONCE(page->armed));
	/*
	 * G4: no trap only if the host has a timer at or before our deadline;
	 * when it fires it reads "pending" (H3) and re-arms for us.  0 (disarm)
	 * always traps: it is below any armed deadline.
	 */
	return !armed || deadline_tsc < armed;
}

VAPIC_API void vapic_lazy_guest_page_init(struct vapic_lazy_page *page)
{
	__builtin_memset(page, 0, sizeof(*page));
	page->version = lazy_le32_(VAPIC_LAZY_VERSION);
}

VAPIC_API uint64_t vapic_lazy_guest_msr_value(uint64_t page_gpa)
{
	if (page_gpa & ~VAPIC_LAZY_MSR_GPA_MASK)
		return 0;
	return page_gpa | VAPIC_LAZY_MSR_ENABLE;
}

VAPIC_API int vapic_lazy_guest_probe(void (*cpuid)(void *ctx, uint32_t leaf,
						   uint32_t regs[4]),
				     void *ctx,
				     struct vapic_lazy_guest_info *info)
{
	u32 base, r[4];

	for (base = VAPIC_PV_CPUID_SCAN_FIRST; base <= VAPIC_PV_CPUID_SCAN_LAST;
	     base += VAPIC_PV_CPUID_SCAN_STEP) {
		cpuid(ctx, base, r);
		if (r[1] != VAPIC_PV_SIGNATURE_EBX ||
		    r[2] != VAPIC_PV_SIGNATURE_ECX ||
		    r[3] != VAPIC_PV_SIGNATURE_EDX || r[0] < base + 1)
			continue;
		cpuid(ctx, base + 1, r);
		if (!(r[0] & VAPIC_PV_F_LAZY_TSCDEADLINE) ||
		    r[2] < VAPIC_LAZY_VERSION)
			return VAPIC_ENOTSUP;
		info->cpuid_base = base;
		info->msr_index = r[1];
		info->version = r[2];
		return 0;
	}
	return VAPIC_ENOTSUP;
}
