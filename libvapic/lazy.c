// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Lazy TSC-deadline, host side (docs/lazy-tscdeadline.md).
 *
 * The protocol MSR (enable, disable, page validation) and the four hooks the
 * timer calls:
 *
 *	lazy_publish_()		R1/R2: from rearm(), the one place that arms
 *				the host timer or leaves it idle, so "armed"
 *				is cleared on every path that ends without a
 *				host timer (mode switch, mask, disarm, a
 *				deadline already due, failed arm, restore...)
 *	lazy_arbitrate_()	H1-H3: at every TSC-deadline expiry, before
 *				anything is injected: CLEAR, barrier, read
 *				"pending"
 *	lazy_moved_() and
 *	lazy_clamp_expiry_()	H4: the rate bound of unpaid re-arms
 *
 * The host trusts nothing in the page.  It never reads "armed" (it keeps
 * its own copy), reads "version" only when the MSR is written, and reads
 * "pending" only at an expiry, where every 64-bit value is a well-defined
 * deadline: later than the target moves the deadline there (the guest gets
 * its interrupt at that time, never earlier), anything else is "not later"
 * and the target is delivered.  The only host write is "armed", inside the
 * 64-byte block the guest registered.
 */
#include "lazy_int.h"
#include <vapic/errors.h>

const struct vapic_stat_desc vapic_lazy_stat_descs[] = {
#define D(f) { "lazy_" #f, (u32)__builtin_offsetof(struct vapic_lazy_stats, f), 1 }
	D(enables),	 D(disables), D(msr_faults),
	D(arbitrations), D(moves),    D(clamped),
	D(remaps),	 D(detaches),
#undef D
};
const uint32_t vapic_lazy_stat_ndescs = VAPIC_ARRAY_SIZE(vapic_lazy_stat_descs);

/* MSRs the protocol MSR must not shadow. */
#define X2APIC_MSR_FIRST 0x800U
#define X2APIC_MSR_LAST 0x8ffU

/* ---------------------------------------------------------------------- */
/* Hooks for timer.c                                                      */

void lazy_publish_(struct vapic_timer *t, u64 armed_tsc)
{
	struct vapic_lazy *lz = &t->lazy;

	lz->armed_tsc = armed_tsc;
	if (!lz->page)
		return;
	/*
	 * A plain store.  Publishing a deadline (R1) needs no barrier: a
	 * guest that still reads the older 0 just traps.  Publishing 0 (R2)
	 * happens with the guest stopped (vCPU thread), or is H1 and is
	 * followed by H2's barrier.
	 */
	VAPIC_WRITE_ONCE(lz->page->armed, lazy_le64_(armed_tsc));
}

u64 lazy_arbitrate_(struct vapic_timer *t)
{
	struct vapic_lazy *lz = &t->lazy;
	u64 pending;

	if (!lz->page)
		return 0;
	/* H1: CLEAR: from now on a guest that reads "armed" traps. */
	lz->armed_tsc = 0;
	VAPIC_WRITE_ONCE(lz->page->armed, 0);
	/*
	 * H2: order the CLEAR before the read of "pending".  Pairs with the
	 * guest's G2 (store "pending"; full barrier; load "armed"): either
	 * we read the guest's new deadline, or the guest reads our 0 and
	 * traps.  Needed when this runs in the timer callback on another CPU
	 * while the guest runs (posted mode); on the vCPU thread the guest is
	 * stopped and the barrier costs a fence on a rare path.
	 */
	vapic_smp_mb();
	/* H3: hostile input: any value is a deadline; later ones move it. */
	pending = lazy_le64_(VAPIC_READ_ONCE(lz->page->pending));
	STAT_INC_(lz->stats.arbitrations);
	return pending > t->target_tsc ? pending : 0;
}

/*
 * H4, the rate bound.  A re-arm after a move costs the guest nothing (no
 * exit), so a guest that keeps moving "pending" a little later could make
 * the host fire again and again.  Each guest write of a timer register
 * (an exit the guest paid for) buys one re-arm at the exact deadline;
 * every further move re-arms no earlier than min_period_ns after the
 * expiry that moved it.  So between two guest exits the host timer fires
 * at most 2 + elapsed / min_period_ns times, whatever the page says.  (A
 * poll of the vCPU thread that finds the target due also arbitrates; a
 * move there re-arms, again clamped: re-arms may follow polls, which the
 * vCPU thread runs anyway, but fires stay spaced.)
 */
void lazy_moved_(struct vapic_timer *t, u64 now_ns)
{
	struct vapic_lazy *lz = &t->lazy;
	u64 gap = t->cfg.min_period_ns;

	STAT_INC_(lz->stats.moves);
	if (lz->credit) {
		lz->credit = false;
		lz->not_before_ns = 0;
		return;
	}
	lz->not_before_ns = now_ns + gap < now_ns ? UINT64_MAX : now_ns + gap;
}

u64 lazy_clamp_expiry_(struct vapic_timer *t, u64 expires_ns)
{
	struct vapic_lazy *lz = &t->lazy;
	u64 nb = lz->not_before_ns;

	lz->not_before_ns = 0;
	if (nb > expires_ns) {
		STAT_INC_(lz->stats.clamped);
		return nb;
	}
	return expires_ns;
}

/*
 * CLEAR, then unmap (a detached protocol has nothing mapped).  The caller
 * owns the timer (host timer cancelled).
 */
static void lazy_unmap(struct vapic_timer *t)
{
	struct vapic_lazy *lz = &t->lazy;

	if (!lz->page && !lz->detached)
		return;
	if (lz->page) {
		VAPIC_WRITE_ONCE(lz->page->armed, 0);
		t->ops->unmap_guest(t->host, lz->page, VAPIC_LAZY_PAGE_SIZE);
	}
	lz->page = NULL;
	lz->detached = false;
	lz->armed_tsc = 0;
	STAT_INC_(lz->stats.disables);
}

void lazy_reset_(struct vapic_timer *t)
{
	lazy_unmap(t);
	t->lazy.msr_val = 0;
	t->lazy.credit = false;
	t->lazy.not_before_ns = 0;
}

/* ---------------------------------------------------------------------- */
/* Public host API                                                        */

VAPIC_API void vapic_lazy_config_default(struct vapic_lazy_config *cfg)
{
	cfg->msr_index = VAPIC_LAZY_MSR_DEFAULT;
	cfg->cpuid_base = VAPIC_PV_CPUID_BASE_DEFAULT;
}

static bool config_valid(const struct vapic_lazy_config *cfg)
{
	if (cfg->cpuid_base < VAPIC_PV_CPUID_SCAN_FIRST ||
	    cfg->cpuid_base > VAPIC_PV_CPUID_SCAN_LAST ||
	    (cfg->cpuid_base & (VAPIC_PV_CPUID_SCAN_STEP - 1)))
		return false;
	if (cfg->msr_index == VAPIC_MSR_TSC_DEADLINE ||
	    (cfg->msr_index >= X2APIC_MSR_FIRST &&
	     cfg->msr_index <= X2APIC_MSR_LAST))
		return false;
	return true;
}

VAPIC_API int vapic_lazy_setup(struct vapic_timer *t,
			       const struct vapic_lazy_config *cfg)
{
	if (!t || !cfg || !config_valid(cfg))
		return VAPIC_EINVAL;
	if (!t->ops->map_guest || !(t->cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))
		return VAPIC_ENOTSUP;
	if (t->lazy.page || t->lazy.detached)
		return VAPIC_EBUSY;
	t->lazy.cfg = *cfg;
	t->lazy.available = true;
	t->lazy.msr_val = 0;
	return 0;
}

VAPIC_API bool vapic_lazy_cpuid(const struct vapic_lazy_config *cfg,
				uint32_t leaf, uint32_t regs[4])
{
	if (leaf == cfg->cpuid_base) {
		regs[0] = cfg->cpuid_base + 1;
		regs[1] = VAPIC_PV_SIGNATURE_EBX;
		regs[2] = VAPIC_PV_SIGNATURE_ECX;
		regs[3] = VAPIC_PV_SIGNATURE_EDX;
		return true;
	}
	if (leaf == cfg->cpuid_base + 1) {
		regs[0] = VAPIC_PV_F_LAZY_TSCDEADLINE;
		regs[1] = cfg->msr_index;
		regs[2] = VAPIC_LAZY_VERSION;
		regs[3] = 0;
		return true;
	}
	return false;
}

VAPIC_API bool vapic_lazy_is_msr(const struct vapic_timer *t, uint32_t index)
{
	return t->lazy.available && index == t->lazy.cfg.msr_index;
}

VAPIC_API uint64_t vapic_lazy_read_msr(const struct vapic_timer *t)
{
	return t->lazy.msr_val;
}

VAPIC_API bool vapic_lazy_enabled(const struct vapic_timer *t)
{
	return lazy_on_(t) || t->lazy.detached;
}

VAPIC_API void vapic_lazy_get_stats(const struct vapic_timer *t,
				    struct vapic_lazy_stats *out)
{
	const struct vapic_lazy_stats *s = &t->lazy.stats;

	out->enables = VAPIC_READ_ONCE(s->enables);
	out->disables = VAPIC_READ_ONCE(s->disables);
	out->msr_faults = VAPIC_READ_ONCE(s->msr_faults);
	out->arbitrations = VAPIC_READ_ONCE(s->arbitrations);
	out->moves = VAPIC_READ_ONCE(s->moves);
	out->clamped = VAPIC_READ_ONCE(s->clamped);
	out->remaps = VAPIC_READ_ONCE(s->remaps);
	out->detaches = VAPIC_READ_ONCE(s->detaches);
}

static int msr_fault(struct vapic_timer *t, int err, u64 val)
{
	STAT_INC_(t->lazy.stats.msr_faults);
	if (VAPIC_CONFIG_LOG_GUEST && t->ops->log)
		t->ops->log(t->host, VAPIC_LOG_INFO,
			    "lazy TSC-deadline MSR write refused (err, value)",
			    (u64)(s64)err, val);
	return err;
}

/*
 * Map and check the block at @gpa; NULL and *err on failure.  The version
 * is checked when the guest enables the block (@check_version), not when
 * the host maps it again (vapic_lazy_remap()).
 */
static struct vapic_lazy_page *map_page(struct vapic_timer *t, u64 gpa,
					bool check_version, int *err)
{
	struct vapic_lazy_page *pg;
	u32 version;

	/*
	 * The value's format makes @gpa 64-byte aligned: the block is one
	 * cache line of one page, and its last byte, @gpa + 63, cannot wrap.
	 * Whether it is guest RAM is the host's answer.
	 */
	pg = t->ops->map_guest(t->host, gpa, VAPIC_LAZY_PAGE_SIZE);
	if (!pg) {
		*err = VAPIC_EFAULT;
		return NULL;
	}
	/* A host mapping that cannot take 64-bit atomics is a host bug. */
	if (VAPIC_WARN_ON((__UINTPTR_TYPE__)pg & 7)) {
		t->ops->unmap_guest(t->host, pg, VAPIC_LAZY_PAGE_SIZE);
		*err = VAPIC_EFAULT;
		return NULL;
	}
	if (!check_version)
		return pg;
	version = lazy_le32_(VAPIC_READ_ONCE(pg->version));
	if (version != VAPIC_LAZY_VERSION) {
		t->ops->unmap_guest(t->host, pg, VAPIC_LAZY_PAGE_SIZE);
		*err = VAPIC_EVERSION;
		return NULL;
	}
	return pg;
}

VAPIC_API int vapic_lazy_write_msr(struct vapic_timer *t, uint64_t val)
{
	struct vapic_lazy *lz = &t->lazy;
	struct vapic_lazy_page *pg = NULL;
	int err;
	u64 now;

	if (!lz->available)
		return msr_fault(t, VAPIC_ENOTSUP, val);
	if (val & VAPIC_LAZY_MSR_RSVD_MASK)
		return msr_fault(t, VAPIC_ERSVD, val);
	if (val & VAPIC_LAZY_MSR_ENABLE) {
		pg = map_page(t, val & VAPIC_LAZY_MSR_GPA_MASK, true, &err);
		if (!pg)
			return msr_fault(t, err, val);
	}
	/*
	 * Take the timer over (host timer cancelled, due expiries completed
	 * and arbitrated against the old page).  A deadline the guest stored
	 * in the old page and did not write to the MSR (G4: later than
	 * "armed") is still its deadline: take it (H1-H3) before the page
	 * goes.  Then switch pages and let rearm() publish "armed" on the
	 * new one.
	 */
	now = timer_begin_write_(t);
	(void)timer_lazy_check_(t, now);
	lazy_unmap(t);
	lz->page = pg;
	lz->msr_val = val;
	if (pg)
		STAT_INC_(lz->stats.enables);
	err = timer_finish_write_(t, now);
	/*
	 * The write took effect.  A failed host-timer arm (VAPIC_EHOST) is the
	 * host's problem, retried at the next poll: not a #GP for the guest.
	 */
	return err < 0 ? 0 : err;
}

VAPIC_API int vapic_lazy_remap(struct vapic_timer *t)
{
	struct vapic_lazy *lz = &t->lazy;
	struct vapic_lazy_page *pg;
	int err;
	u64 now;

	if (!lz->page && !lz->detached)
		return 0;
	pg = map_page(t, lz->msr_val & VAPIC_LAZY_MSR_GPA_MASK, false, &err);
	if (!pg && lz->detached)
		return err;
	/*
	 * As a move to another block (vapic_lazy_write_msr()), except that
	 * the guest did not ask for it: it has not run on the new memory, so
	 * the old mapping holds the last "pending" it wrote.  Take that
	 * (H1-H3: H1 also clears "armed" there, which is non-zero only while
	 * a TSC deadline runs), unmap it, and let rearm() publish "armed" in
	 * the new one.  Without a new mapping, detach: neither publish nor
	 * arbitrate (the old page no longer is the guest's) until a remap
	 * succeeds.  The guest paid no exit for this: no exact re-arm is
	 * bought (H4).
	 *
	 * "pending" in the new memory is whatever was there: a copy made
	 * before the guest's last write to the old page, or before it moved
	 * its deadline through the MSR while detached (its stores to the
	 * block went nowhere then), or NEVER from a disarm.  Arbitrated
	 * against later, it would move or drop the deadline the host now
	 * holds: clear it (the guest has not run on the new memory yet, and
	 * its deadline is all in the timer).
	 */
	now = timer_begin_host_write_(t);
	if (lz->page) {
		(void)timer_lazy_check_(t, now);
		t->ops->unmap_guest(t->host, lz->page, VAPIC_LAZY_PAGE_SIZE);
	}
	lz->page = pg;
	lz->detached = !pg;
	lz->armed_tsc = 0;
	if (pg) {
		VAPIC_WRITE_ONCE(pg->pending, 0);
		STAT_INC_(lz->stats.remaps);
	} else {
		STAT_INC_(lz->stats.detaches);
	}
	err = timer_finish_write_(t, now);
	if (!pg)
		return VAPIC_EFAULT;
	return err < 0 ? 0 : err;
}
