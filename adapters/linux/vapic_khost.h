/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic kernel host: the struct vapic_host_ops of an in-kernel
 * hypervisor, as one object a KVM-like host embeds per vCPU next to its
 * struct vapic_lapic (or struct vapic_timer).
 *
 * What it provides:
 *  - now_ns: ktime_get_ns() (CLOCK_MONOTONIC, the hrtimer's clock).
 *  - guest_tsc: the host TSC (rdtsc_ordered()) through a struct vapic_clock
 *    (scaling ratio + offset), unless the embedder supplies its own read
 *    (KVM: kvm_read_l1_tsc()).
 *  - timer_arm/timer_cancel: one hrtimer in hard-irq mode,
 *    HRTIMER_MODE_ABS_PINNED_HARD when VAPIC_KHOST_PINNED is set (seed 001:
 *    the expiry runs on the vCPU's CPU, so a deferred tick is seen at the
 *    next entry without an IPI) or HRTIMER_MODE_ABS_HARD otherwise (seed
 *    000: the kernel may place the timer on a housekeeping CPU when the
 *    vCPU's CPU is nohz_full; pair it with VAPIC_TIMER_F_POSTED so the
 *    callback delivers exitless through post()).
 *  - the hrtimer callback: vapic_timer_expired(), and its REARM (periodic,
 *    posted) and WAIT (posted, inside the advance window) actions.
 *  - kick: the embedder's kick (KVM: kvm_vcpu_kick()), or a built-in
 *    flag + rcuwait (safe in hard-irq context, also on PREEMPT_RT) that
 *    vapic_khost_block() sleeps on, for hosts without a vCPU blocking
 *    primitive of their own.
 *  - post, send_ipi, map_guest/unmap_guest, log: forwarded to the
 *    embedder when it supplies them; left NULL in the core's ops table
 *    otherwise, so the core sees exactly what the host can do.
 *
 * Lifetime: vapic_khost_init() before vapic_timer_init()/vapic_lapic_init()
 * (pass vapic_khost_host_ops() and the khost as "host"); vapic_lapic_destroy()
 * (which cancels the timer) before freeing.
 */
#ifndef VAPIC_KHOST_H
#define VAPIC_KHOST_H

#include <linux/hrtimer.h>
#include <linux/types.h>
#include <linux/rcuwait.h>
#include <vapic/clock.h>
#include <vapic/host.h>
#include <vapic/timer.h>

struct vapic_khost;

/* vapic_khost_init() flags */
/** Arm the hrtimer pinned to the arming (vCPU's) CPU. */
#define VAPIC_KHOST_PINNED 0x1U
#define VAPIC_KHOST_F_ALL VAPIC_KHOST_PINNED

/**
 * Longest wait (ns) the hrtimer callback spins in hard-irq context for a
 * posted expiry inside the advance window; a longer wait re-arms the
 * hrtimer instead.
 */
#define VAPIC_KHOST_SPIN_MAX_NS 20000U

/**
 * struct vapic_khost_ops - what the embedding hypervisor supplies.  Every
 * member is optional.
 * @kick: force the vCPU out of guest mode / wake it from halt (KVM:
 *	kvm_vcpu_kick()).  Hard-irq safe, never sleeps.  Default: set a flag
 *	and wake vapic_khost_block().
 * @post: deliver @vector exitless (posted interrupt) from any CPU; 0 or a
 *	negative VAPIC_E* code (see struct vapic_host_ops.post).  Without it
 *	VAPIC_TIMER_F_POSTED has no effect.
 * @guest_tsc: this vCPU's guest TSC.  Default: rdtsc_ordered() through
 *	vapic_khost_set_tsc()'s clock (x86 only; required elsewhere).
 * @send_ipi: see struct vapic_host_ops.send_ipi.
 * @map_guest: see struct vapic_host_ops.map_guest.
 * @unmap_guest: required with @map_guest.
 * @log: default: printk_ratelimited().
 */
struct vapic_khost_ops {
	void (*kick)(struct vapic_khost *kh);
	int (*post)(struct vapic_khost *kh, u32 vector);
	u64 (*guest_tsc)(struct vapic_khost *kh);
	int (*send_ipi)(struct vapic_khost *kh, const struct vapic_ipi *ipi);
	void *(*map_guest)(struct vapic_khost *kh, u64 gpa, u32 len);
	void (*unmap_guest)(struct vapic_khost *kh, void *hva, u32 len);
	void (*log)(struct vapic_khost *kh, int level, const char *msg, u64 a,
		    u64 b);
};

/**
 * struct vapic_khost_stats - kernel-host counters (read any time).
 * @fires: hrtimer callbacks.
 * @remote_fires: callbacks that ran on another CPU than the one that armed.
 * @early_fires: callbacks that ran before the armed expiry on the ktime
 *	clock.  An hrtimer never does: must stay 0 (self-check).
 * @rearms: HRTIMER_RESTART for a posted periodic timer.
 * @spins: posted expiries that spun out the advance in the callback.
 * @spin_ns: total ns spun.
 * @wait_rearms: posted expiries whose wait was too long to spin.
 * @kicks: kicks requested by the core.
 */
struct vapic_khost_stats {
	u64 fires;
	u64 remote_fires;
	u64 early_fires;
	u64 rearms;
	u64 spins;
	u64 spin_ns;
	u64 wait_rearms;
	u64 kicks;
};

/**
 * struct vapic_khost - one vCPU's kernel host.  Embedded by the hypervisor;
 * members are private to the adapter (read the stats with READ_ONCE()).
 */
struct vapic_khost {
	struct hrtimer timer;
	struct vapic_host_ops ops;
	struct vapic_timer *vt;
	const struct vapic_khost_ops *kops;
	void *priv;
	struct vapic_clock clock;
	u32 flags;
	int arm_cpu;
	u64 armed_ns;
	u32 kicked;
	struct rcuwait wait;
	struct vapic_khost_stats stats;
};

/**
 * vapic_khost_init() - set up a kernel host for the timer @t.
 * @kh: the host object (caller's memory).
 * @t: the timer this host serves (&lapic->timer); may be uninitialised
 *	yet: only its address is kept, for the hrtimer callback.
 * @kops: embedder hooks, or NULL for the defaults.
 * @priv: embedder context, vapic_khost_priv().
 * @flags: VAPIC_KHOST_*.
 *
 * The guest TSC starts as the host TSC (identity ratio, offset 0, tsc_khz).
 * Context: process context.
 * Return: 0, -EINVAL for bad flags or hooks (@unmap_guest missing with
 * @map_guest; no @guest_tsc on a non-x86 kernel), -ERANGE if tsc_khz is
 * unknown.
 */
int vapic_khost_init(struct vapic_khost *kh, struct vapic_timer *t,
		     const struct vapic_khost_ops *kops, void *priv, u32 flags);

/**
 * vapic_khost_set_tsc() - guest TSC = host TSC scaled to @guest_khz plus
 * @offset (as VMX/SVM TSC scaling).
 * @kh: the host.
 * @guest_khz: guest TSC frequency, kHz.
 * @offset: offset added after scaling.
 *
 * Context: vCPU thread, timer idle (before the guest runs).
 * Return: 0 or -EINVAL/-ERANGE (vapic_clock_init()'s errors).
 */
int vapic_khost_set_tsc(struct vapic_khost *kh, u32 guest_khz, u64 offset);

/** vapic_khost_host_ops() - the core's ops table for this host. */
const struct vapic_host_ops *vapic_khost_host_ops(struct vapic_khost *kh);

/** vapic_khost_priv() - the embedder's context given at init. */
void *vapic_khost_priv(const struct vapic_khost *kh);

/** vapic_khost_guest_tsc_khz() - the guest TSC frequency, kHz. */
u32 vapic_khost_guest_tsc_khz(const struct vapic_khost *kh);

/**
 * vapic_khost_migrate() - the vCPU now runs on this CPU (KVM: vcpu_load()):
 * move a pinned, armed hrtimer here, keeping its expiry.  No-op when
 * unpinned.
 * @kh: the host.
 *
 * Context: vCPU thread, preemption disabled.
 */
void vapic_khost_migrate(struct vapic_khost *kh);

/**
 * vapic_khost_block() - default blocking for hosts without their own: sleep
 * until the core kicks (or vapic_khost_kick() is called), or @timeout_ns.
 * @kh: the host.
 * @timeout_ns: relative timeout, ns.
 *
 * Context: vCPU thread, may sleep.
 * Return: true if kicked (the kick is consumed), false on timeout.
 */
bool vapic_khost_block(struct vapic_khost *kh, u64 timeout_ns);

/**
 * vapic_khost_kick() - the default kick: wake vapic_khost_block().
 * @kh: the host.
 *
 * Context: any, including hard-irq.
 */
void vapic_khost_kick(struct vapic_khost *kh);

/**
 * vapic_khost_get_stats() - copy the counters.
 * @kh: the host.
 * @s: output.
 */
void vapic_khost_get_stats(const struct vapic_khost *kh,
			   struct vapic_khost_stats *s);

#endif /* VAPIC_KHOST_H */
