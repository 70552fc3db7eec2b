// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * KVM's paravirtual EOI (MSR_KVM_PV_EOI_EN, Linux
 * Documentation/virt/kvm/x86/msr.rst), for hosts that emulate the LAPIC
 * outside KVM: the guest may skip the EOI register write of an interrupt
 * when the host said, in a guest word, that the EOI is unambiguous.
 *
 * The rules mirror KVM's (arch/x86/kvm/lapic.c, Linux 6.1):
 *  - before entry (apic_sync_pv_eoi_to_guest()): set the flag only with
 *    PV EOI enabled, IRR empty, exactly one vector in service, and that
 *    vector's EOI needing no side effect (KVM: its IOAPIC does not handle
 *    the vector; here: TMR clear, so no LINT remote IRR and no broadcast);
 *  - after exit (apic_sync_pv_eoi_from_guest()): if the host set it, clear
 *    it in any case and forget it; if the guest had cleared it, perform
 *    the EOI the guest skipped;
 *  - an EOI register write is handled after the after-exit step (KVM syncs
 *    before it handles the exit), so it never doubles a skipped EOI:
 *    vapic_lapic_eoi() settles a pending flag first for hosts that handle
 *    the write before calling vapic_lapic_pv_eoi_after_exit();
 *  - INIT and RESET disable PV EOI (kvm_lapic_reset() zeroes msr_val).
 *
 * The guest word is reached only through host_ops.map_guest, mapped once
 * per enabling write; the host touches only its bit 0, atomically (KVM
 * writes the low byte; the other bits carry nothing in the ABI).
 */
#include "lapic_internal.h"

/*
 * Release the word without writing it (KVM leaves it as it is on disable
 * and reset; on restore it is the restored guest memory's).
 */
static void pv_eoi_unmap(struct vapic_lapic *l)
{
	if (!l->pv_eoi_word)
		return;
	l->ops->unmap_guest(l->host, l->pv_eoi_word, sizeof(u32));
	l->pv_eoi_word = NULL;
	l->pv_eoi_pending = 0;
}

void lapic_pv_eoi_reset_(struct vapic_lapic *l)
{
	pv_eoi_unmap(l);
	l->pv_eoi_msr = 0;
	l->pv_eoi_pending = 0;
}

/* The settle step of the after-exit call; no EOI side effect on pending. */
static int pv_eoi_settle(struct vapic_lapic *l)
{
	u32 old;

	if (!l->pv_eoi_pending)
		return 0;
	l->pv_eoi_pending = 0;
	if (VAPIC_WARN_ON(!l->pv_eoi_word))
		return 0;
	/*
	 * The guest is not running on this vCPU; another vCPU of a hostile
	 * guest may write the word at any time, and gets either outcome.
	 */
	old = VAPIC_READ_ONCE(*l->pv_eoi_word);
	if (old & VAPIC_PV_EOI_ENABLED)
		vapic_atomic_andnot(l->pv_eoi_word, VAPIC_PV_EOI_ENABLED);
	if (old & VAPIC_PV_EOI_ENABLED) {
		STAT_INC_(l->stats.pv_eoi_unused);
		return 0;
	}
	STAT_INC_(l->stats.pv_eoi_skipped);
	return lapic_eoi_now_(l);
}

int lapic_pv_eoi_settle_(struct vapic_lapic *l)
{
	return pv_eoi_settle(l);
}

VAPIC_API int vapic_lapic_pv_eoi_after_exit(struct vapic_lapic *l)
{
	if (VAPIC_LIKELY(!l->pv_eoi_pending))
		return 0;
	return pv_eoi_settle(l);
}

VAPIC_API bool vapic_lapic_pv_eoi_before_entry(struct vapic_lapic *l)
{
	int v;
	u32 i;

	if (VAPIC_LIKELY(!l->pv_eoi_word))
		return false;
	if (l->pv_eoi_pending)
		(void)pv_eoi_settle(l);
	v = l->isr_top;
	if (v < 0)
		return false;
	/* Exactly one vector in service: one word, one bit. */
	if (l->isr_words != (1U << (v >> 5)) ||
	    (l->isr[v >> 5] & (l->isr[v >> 5] - 1)))
		return false;
	if (vtest_(l->tmr, (u32)v))
		return false;
	for (i = 0; i < 8; i++)
		if (VAPIC_READ_ONCE(l->irr[i]))
			return false;
	vapic_atomic_or(l->pv_eoi_word, VAPIC_PV_EOI_ENABLED);
	l->pv_eoi_pending = 1;
	STAT_INC_(l->stats.pv_eoi_set);
	return true;
}

VAPIC_API bool vapic_lapic_pv_eoi_enabled(const struct vapic_lapic *l)
{
	return l->pv_eoi_word != NULL;
}

int lapic_pv_eoi_check_(const struct vapic_lapic *l, u64 val)
{
	u64 rsvd = ~((1ULL << l->maxphyaddr) - 1);

	if (!(l->flags & VAPIC_LAPIC_F_PV_EOI))
		return VAPIC_ERSVD;
	if ((val & ~VAPIC_PV_EOI_MSR_ENABLE) & 3)
		return VAPIC_ERSVD; /* not 4-byte aligned */
	if (val & rsvd)
		return VAPIC_ERSVD;
	return 0;
}

/* Map the word of @val (enabled); NULL and *err on failure. */
u32 *lapic_pv_eoi_map_(struct vapic_lapic *l, u64 val, int *err)
{
	u64 gpa = val & ~VAPIC_PV_EOI_MSR_ENABLE;
	u32 *w;

	if (!l->ops->map_guest) {
		*err = VAPIC_EFAULT;
		return NULL;
	}
	w = l->ops->map_guest(l->host, gpa, sizeof(u32));
	if (!w) {
		*err = VAPIC_EFAULT;
		return NULL;
	}
	/* A host mapping that cannot take 32-bit atomics is a host bug. */
	if (VAPIC_WARN_ON((__UINTPTR_TYPE__)w & 3)) {
		l->ops->unmap_guest(l->host, w, sizeof(u32));
		*err = VAPIC_EFAULT;
		return NULL;
	}
	return w;
}

/* Install a checked value and its mapping (NULL when disabled). */
void lapic_pv_eoi_install_(struct vapic_lapic *l, u64 val, u32 *w, bool pending)
{
	pv_eoi_unmap(l);
	l->pv_eoi_msr = val;
	l->pv_eoi_word = w;
	l->pv_eoi_pending = (w && pending) ? 1 : 0;
}

VAPIC_API int vapic_lapic_write_pv_eoi(struct vapic_lapic *l, uint64_t val)
{
	u32 *w = NULL;
	int r, act;

	r = lapic_pv_eoi_check_(l, val);
	if (r)
		return r;
	if (val & VAPIC_PV_EOI_MSR_ENABLE) {
		w = lapic_pv_eoi_map_(l, val, &r);
		if (!w)
			return r;
	}
	/* A flag the guest consumed under the old word is an EOI owed. */
	act = pv_eoi_settle(l);
	lapic_pv_eoi_install_(l, val, w, false);
	STAT_INC_(l->stats.pv_eoi_msr_writes);
	return act;
}
