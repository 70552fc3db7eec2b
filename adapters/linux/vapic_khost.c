// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libvapic kernel host ops: ktime, the guest TSC, one hard-irq hrtimer per
 * vCPU (pinned or not), kick and post.  See vapic_khost.h.
 */
#include <linux/export.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#ifdef CONFIG_X86
#include <asm/msr.h>
#include <asm/tsc.h>
#endif
#include <vapic/errors.h>
#include "vapic_khost.h"

static inline struct vapic_khost *to_kh(void *host)
{
	return host;
}

static void kh_stat_inc(u64 *s)
{
	WRITE_ONCE(*s, *s + 1);
}

static enum hrtimer_mode kh_mode(const struct vapic_khost *kh)
{
	return (kh->flags & VAPIC_KHOST_PINNED) ? HRTIMER_MODE_ABS_PINNED_HARD
						: HRTIMER_MODE_ABS_HARD;
}

static ktime_t kh_ktime(u64 ns)
{
	return ns > (u64)KTIME_MAX ? KTIME_MAX : ns_to_ktime(ns);
}

/* ---------------------------------------------------------------------- */
/* struct vapic_host_ops members                                          */

static uint64_t kh_now_ns(void *host)
{
	return ktime_get_ns();
}

static uint64_t kh_guest_tsc(void *host)
{
	struct vapic_khost *kh = to_kh(host);

	if (kh->kops && kh->kops->guest_tsc)
		return kh->kops->guest_tsc(kh);
#ifdef CONFIG_X86
	/* Ordered: not executed before earlier loads (never-early checks). */
	return vapic_clock_guest_tsc(&kh->clock, rdtsc_ordered());
#else
	return 0; /* unreachable: init refuses a missing guest_tsc */
#endif
}

static int kh_timer_arm(void *host, uint64_t expires_ns)
{
	struct vapic_khost *kh = to_kh(host);

	WRITE_ONCE(kh->armed_ns, expires_ns);
	WRITE_ONCE(kh->arm_cpu, raw_smp_processor_id());
	hrtimer_start(&kh->timer, kh_ktime(expires_ns), kh_mode(kh));
	return 0;
}

static void kh_timer_cancel(void *host)
{
	hrtimer_cancel(&to_kh(host)->timer);
}

static void kh_kick(void *host)
{
	struct vapic_khost *kh = to_kh(host);

	kh_stat_inc(&kh->stats.kicks);
	if (kh->kops && kh->kops->kick)
		kh->kops->kick(kh);
	else
		vapic_khost_kick(kh);
}

static int kh_post(void *host, uint32_t vector)
{
	struct vapic_khost *kh = to_kh(host);

	return kh->kops->post(kh, vector);
}

static int kh_send_ipi(void *host, const struct vapic_ipi *ipi)
{
	struct vapic_khost *kh = to_kh(host);

	return kh->kops->send_ipi(kh, ipi);
}

static void *kh_map_guest(void *host, uint64_t gpa, uint32_t len)
{
	struct vapic_khost *kh = to_kh(host);

	return kh->kops->map_guest(kh, gpa, len);
}

static void kh_unmap_guest(void *host, void *hva, uint32_t len)
{
	struct vapic_khost *kh = to_kh(host);

	kh->kops->unmap_guest(kh, hva, len);
}

static void kh_log(void *host, int level, const char *msg, uint64_t a,
		   uint64_t b)
{
	struct vapic_khost *kh = to_kh(host);

	if (kh->kops && kh->kops->log) {
		kh->kops->log(kh, level, msg, a, b);
		return;
	}
	switch (level) {
	case VAPIC_LOG_ERR:
		pr_err_ratelimited("vapic: %s (%llu, %llu)\n", msg, a, b);
		break;
	case VAPIC_LOG_WARN:
		pr_warn_ratelimited("vapic: %s (%llu, %llu)\n", msg, a, b);
		break;
	case VAPIC_LOG_INFO:
		pr_info_ratelimited("vapic: %s (%llu, %llu)\n", msg, a, b);
		break;
	default:
		pr_debug_ratelimited("vapic: %s (%llu, %llu)\n", msg, a, b);
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* The hrtimer callback (hard-irq, any CPU in unpinned mode)              */

static enum hrtimer_restart kh_timer_fn(struct hrtimer *ht)
{
	struct vapic_khost *kh = container_of(ht, struct vapic_khost, timer);
	u64 now = ktime_get_ns();
	u64 expires = 0, t0;

	kh_stat_inc(&kh->stats.fires);
	if (now < READ_ONCE(kh->armed_ns))
		kh_stat_inc(&kh->stats.early_fires);
	if (smp_processor_id() != READ_ONCE(kh->arm_cpu))
		kh_stat_inc(&kh->stats.remote_fires);

	for (;;) {
		switch (vapic_timer_expired(kh->vt, &expires)) {
		case VAPIC_TFN_REARM:
			kh_stat_inc(&kh->stats.rearms);
			WRITE_ONCE(kh->armed_ns, expires);
			hrtimer_set_expires(ht, kh_ktime(expires));
			return HRTIMER_RESTART;
		case VAPIC_TFN_WAIT:
			/*
			 * Posted expiry inside the advance window: the guest
			 * TSC has not reached the deadline yet.  Spin it out
			 * (it is at most the advance away), or come back
			 * with the hrtimer if the clocks disagree by more.
			 */
			now = ktime_get_ns();
			if (expires > now &&
			    expires - now > VAPIC_KHOST_SPIN_MAX_NS) {
				kh_stat_inc(&kh->stats.wait_rearms);
				WRITE_ONCE(kh->armed_ns, expires);
				hrtimer_set_expires(ht, kh_ktime(expires));
				return HRTIMER_RESTART;
			}
			kh_stat_inc(&kh->stats.spins);
			t0 = now;
			while (now < expires) {
				cpu_relax();
				now = ktime_get_ns();
			}
			WRITE_ONCE(kh->stats.spin_ns,
				   kh->stats.spin_ns + (now - t0));
			continue;
		default:
			return HRTIMER_NORESTART;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* API                                                                    */

int vapic_khost_init(struct vapic_khost *kh, struct vapic_timer *t,
		     const struct vapic_khost_ops *kops, void *priv, u32 flags)
{
	u32 khz = 0;

	if (!kh || !t || (flags & ~VAPIC_KHOST_F_ALL))
		return -EINVAL;
	if (kops && kops->map_guest && !kops->unmap_guest)
		return -EINVAL;
#ifdef CONFIG_X86
	khz = tsc_khz;
#endif
	if (!(kops && kops->guest_tsc)) {
		if (!IS_ENABLED(CONFIG_X86))
			return -EINVAL;
		if (!khz)
			return -ERANGE;
	}
	memset(kh, 0, sizeof(*kh));
	kh->vt = t;
	kh->kops = kops;
	kh->priv = priv;
	kh->flags = flags;
	kh->arm_cpu = -1;
	rcuwait_init(&kh->wait);
	if (khz && vapic_clock_init(&kh->clock, khz, khz, 0))
		return -ERANGE;

	kh->ops.now_ns = kh_now_ns;
	kh->ops.guest_tsc = kh_guest_tsc;
	kh->ops.timer_arm = kh_timer_arm;
	kh->ops.timer_cancel = kh_timer_cancel;
	kh->ops.kick = kh_kick;
	kh->ops.log = kh_log;
	if (kops && kops->post)
		kh->ops.post = kh_post;
	if (kops && kops->send_ipi)
		kh->ops.send_ipi = kh_send_ipi;
	if (kops && kops->map_guest) {
		kh->ops.map_guest = kh_map_guest;
		kh->ops.unmap_guest = kh_unmap_guest;
	}

	hrtimer_init(&kh->timer, CLOCK_MONOTONIC, kh_mode(kh));
	kh->timer.function = kh_timer_fn;
	return 0;
}
EXPORT_SYMBOL_GPL(vapic_khost_init);

int vapic_khost_set_tsc(struct vapic_khost *kh, u32 guest_khz, u64 offset)
{
	struct vapic_clock c;
	u32 host_khz = kh->clock.host_tsc_khz;

	if (!host_khz)
		return -EINVAL;
	switch (vapic_clock_init(&c, host_khz, guest_khz, offset)) {
	case 0:
		kh->clock = c;
		return 0;
	case VAPIC_ERANGE:
		return -ERANGE;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(vapic_khost_set_tsc);

const struct vapic_host_ops *vapic_khost_host_ops(struct vapic_khost *kh)
{
	return &kh->ops;
}
EXPORT_SYMBOL_GPL(vapic_khost_host_ops);

void *vapic_khost_priv(const struct vapic_khost *kh)
{
	return kh->priv;
}
EXPORT_SYMBOL_GPL(vapic_khost_priv);

u32 vapic_khost_guest_tsc_khz(const struct vapic_khost *kh)
{
	return kh->clock.guest_tsc_khz;
}
EXPORT_SYMBOL_GPL(vapic_khost_guest_tsc_khz);

void vapic_khost_migrate(struct vapic_khost *kh)
{
	if (!(kh->flags & VAPIC_KHOST_PINNED))
		return;
	if (hrtimer_cancel(&kh->timer)) {
		WRITE_ONCE(kh->arm_cpu, raw_smp_processor_id());
		hrtimer_start_expires(&kh->timer, kh_mode(kh));
	}
}
EXPORT_SYMBOL_GPL(vapic_khost_migrate);

/*
 * The kick runs in the hard-irq hrtimer callback, also on PREEMPT_RT, where a
 * wait queue's spinlock sleeps: so the one waiter (the vCPU thread) waits on
 * an rcuwait, which wakes it with no lock, as KVM's vCPU blocking does.
 */
void vapic_khost_kick(struct vapic_khost *kh)
{
	/*
	 * The flag before the wake-up: rcuwait_wake_up()'s full barrier
	 * orders it before the load of the waiter, and the waiter published
	 * itself (prepare_to_rcuwait(), set_current_state()) before it reads
	 * the flag: either it sees the flag or it is woken.
	 */
	WRITE_ONCE(kh->kicked, 1);
	rcuwait_wake_up(&kh->wait);
}
EXPORT_SYMBOL_GPL(vapic_khost_kick);

bool vapic_khost_block(struct vapic_khost *kh, u64 timeout_ns)
{
	ktime_t expires = ktime_add_safe(ktime_get(), kh_ktime(timeout_ns));
	bool expired = false;

	prepare_to_rcuwait(&kh->wait);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(kh->kicked) || expired)
			break;
		/* 0: the timeout passed; else woken (the kick). */
		expired = !schedule_hrtimeout(&expires, HRTIMER_MODE_ABS);
	}
	finish_rcuwait(&kh->wait); /* and TASK_RUNNING */
	return xchg(&kh->kicked, 0) != 0;
}
EXPORT_SYMBOL_GPL(vapic_khost_block);

void vapic_khost_get_stats(const struct vapic_khost *kh,
			   struct vapic_khost_stats *s)
{
	s->fires = READ_ONCE(kh->stats.fires);
	s->remote_fires = READ_ONCE(kh->stats.remote_fires);
	s->early_fires = READ_ONCE(kh->stats.early_fires);
	s->rearms = READ_ONCE(kh->stats.rearms);
	s->spins = READ_ONCE(kh->stats.spins);
	s->spin_ns = READ_ONCE(kh->stats.spin_ns);
	s->wait_rearms = READ_ONCE(kh->stats.wait_rearms);
	s->kicks = READ_ONCE(kh->stats.kicks);
}
EXPORT_SYMBOL_GPL(vapic_khost_get_stats);
