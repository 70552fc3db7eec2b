/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic real-time POSIX host adapter, for userspace VMMs on Linux/KVM
 * (the way crosvm or QEMU would embed libvapic).
 *
 * What it provides:
 *  - the host clock: CLOCK_MONOTONIC in ns, and the TSC (RDTSC) with the
 *    guest's offset; the TSC frequency comes from KVM_GET_TSC_KHZ (the
 *    caller passes it) and can be checked against CLOCK_MONOTONIC with
 *    vapic_posix_tsc_measure_khz();
 *  - one host timer per vCPU, shaped for a VMM's threads.  There is no
 *    timer thread: the "timer callback" of <vapic/host.h> runs on the vCPU
 *    thread itself (vapic_posix_service()), which makes timer_cancel
 *    trivially synchronous.  How the vCPU thread gets to it in time:
 *      * running in KVM_RUN: a POSIX timer (timer_create, SIGEV_THREAD_ID)
 *        sends a signal to the vCPU thread at the expiry (less the kick
 *        advance); its handler sets kvm_run.immediate_exit, so KVM_RUN
 *        returns EINTR whether the signal lands before or during it;
 *      * halted (blocked in vapic_posix_halt()): the thread sleeps on a
 *        futex until the expiry minus a spin margin, then spins to the
 *        expiry on the clock (sleep-then-spin);
 *    the choice was made from measurements (adapters/posix/bench_timer.c,
 *    see the README there).  Timer slack is set to 1 ns on the vCPU
 *    thread.
 *  - kick: another thread (an IPI from another vCPU, a device) makes the
 *    vCPU thread come back: a futex wake if it is halted, a signal if it is
 *    in KVM_RUN, nothing if it is in userspace (it checks before entering).
 *    The entry check and the kick are ordered by sequentially consistent
 *    atomics (a Dekker pair: state vs kick flag), so no kick is lost.
 *  - no post op: a userspace VMM cannot inject into a running vCPU without
 *    an exit (KVM_INTERRUPT is a vCPU-thread ioctl).
 *
 * Use (vCPU thread):
 *
 *	vapic_posix_vcpu_init(&pv, &clock, tsc_offset, &cfg);
 *	vapic_posix_host_ops(&ops);          // + send_ipi etc. of your own
 *	vapic_lapic_init(&lapic, &lcfg, &ops, &pv);   // host = &pv
 *	vapic_posix_vcpu_attach(&pv, &lapic.timer, &run->immediate_exit);
 *	for (;;) {
 *		vapic_posix_service(&pv);    // due host timer -> expired()
 *		... vapic_lapic_poll(), inject ...
 *		if (!vapic_posix_enter(&pv))  // kicked meanwhile: loop
 *			continue;
 *		r = ioctl(vcpu_fd, KVM_RUN, 0);
 *		vapic_posix_exit(&pv, r < 0 && errno == EINTR);
 *		vapic_lapic_set_cr8(&lapic, run->cr8);  // after EINTR too
 *		... handle the exit; on HLT: vapic_posix_halt(&pv, ...) ...
 *	}
 *
 * This is hosted code (libc, pthreads, Linux syscalls): it lives in the
 * adapter, never in the core.
 */
#ifndef VAPIC_POSIX_H
#define VAPIC_POSIX_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <vapic/host.h>
#include <vapic/timer.h>

/** "No timer armed" value of expires_ns fields. */
#define VAPIC_POSIX_NEVER UINT64_MAX

/*
 * Defaults, chosen from bench_timer measurements on the reference host
 * (adapters/posix/README.md): a futex sleep there ends 21 us (p50) to
 * 37 us (p99) after its timeout, a signal gets a vCPU out of KVM_RUN in
 * 12 us (p50) to 24 us (p99).
 */
/** Halted vCPU: sleep until expiry - this, then spin (initial value). */
#define VAPIC_POSIX_SPIN_MARGIN_NS_DEFAULT 30000U
/** Running vCPU: send the kick signal this much early (initial value). */
#define VAPIC_POSIX_KICK_ADVANCE_NS_DEFAULT 15000U
/** Upper bound of both knobs (1 ms). */
#define VAPIC_POSIX_ADVANCE_LIMIT_NS 1000000U
/** Adaptive knobs never go below / above these. */
#define VAPIC_POSIX_ADAPT_MIN_NS 2000U
#define VAPIC_POSIX_ADAPT_MAX_NS 200000U
/*
 * The kick advance costs the guest its run time (the thread spins it out
 * in userspace): at most this much, whatever the signal latency looks like.
 */
#define VAPIC_POSIX_KICK_ADVANCE_MAX_NS 40000U
/** Adaptive knobs: the learned high quantile plus this slack. */
#define VAPIC_POSIX_ADAPT_SLACK_NS 2000U

/* struct vapic_posix_config.flags */
/**
 * Learn the spin margin from how late futex sleeps end, and the kick
 * advance from how long a signal takes to get the vCPU out of KVM_RUN
 * (a high-quantile tracker: up by 1/4 of an overshoot but at most
 * est/16 + 0.5 us per sample, so that a host preemption does not blow it
 * up, down by 1/64 of an undershoot).
 */
#define VAPIC_POSIX_F_ADAPTIVE 0x1U

/**
 * struct vapic_posix_clock - host clock of one VM.
 * @tsc_khz: host TSC frequency, kHz (KVM_GET_TSC_KHZ: the guest TSC runs
 *	at the host rate when KVM does not scale it).
 */
struct vapic_posix_clock {
	uint32_t tsc_khz;
};

/**
 * struct vapic_posix_config - per-vCPU adapter knobs.
 * @spin_margin_ns: a halted vCPU sleeps until expiry - @spin_margin_ns and
 *	spins the rest (0: sleep to the expiry, no spin; a huge value: spin
 *	only).  0..VAPIC_POSIX_ADVANCE_LIMIT_NS.
 * @kick_advance_ns: a running vCPU is signalled this long before the
 *	expiry, so that the exit latency is paid before it; the thread then
 *	spins to the expiry.  0..VAPIC_POSIX_ADVANCE_LIMIT_NS.
 * @signo: the kick signal (default SIGRTMIN + 1); its handler is
 *	process-wide and installed by vapic_posix_vcpu_attach().
 * @flags: VAPIC_POSIX_F_* (default: VAPIC_POSIX_F_ADAPTIVE).
 */
struct vapic_posix_config {
	uint32_t spin_margin_ns;
	uint32_t kick_advance_ns;
	int signo;
	uint32_t flags;
};

/**
 * struct vapic_posix_stats - adapter counters (vCPU thread writes; read
 * when the vCPU is stopped, or accept a stale value).
 * @arms: timer_arm calls.
 * @cancels: timer_cancel calls.
 * @fires: host timer expiries handed to vapic_timer_expired().
 * @ktimer_sets: timer_settime() calls (the kernel timer for running vCPUs).
 * @kicks: kick() calls that found work to do (not already kicked).
 * @kick_signals: kicks delivered by signal (the vCPU was in KVM_RUN).
 * @kick_wakes: kicks delivered by futex wake (the vCPU was halted).
 * @entries_refused: vapic_posix_enter() calls that found a kick or a due
 *	timer and did not enter.
 * @halts: vapic_posix_halt() calls.
 * @halt_sleeps: futex sleeps in halts.
 * @halt_spin_ns: time spent spinning inside halts (timer spin phase).
 * @timer_spin_ns: time spent spinning to an expiry after an early kick.
 * @timer_exits: KVM_RUN exits caused by the host timer's signal.
 * @wakeups: futex sleeps in halts ended by a kick whose wake time was
 *	recorded (the kicker stamps it before FUTEX_WAKE).
 * @wakeup_ns: their total kick-to-running latency: what blocking costs the
 *	wake-up path, and what halt-polling can save.
 * @spin_margin_ns: the spin margin now (adaptive).
 * @kick_advance_ns: the kick advance now (adaptive).
 */
struct vapic_posix_stats {
	uint64_t arms;
	uint64_t cancels;
	uint64_t fires;
	uint64_t ktimer_sets;
	uint64_t kicks;
	uint64_t kick_signals;
	uint64_t kick_wakes;
	uint64_t entries_refused;
	uint64_t halts;
	uint64_t halt_sleeps;
	uint64_t halt_spin_ns;
	uint64_t timer_spin_ns;
	uint64_t timer_exits;
	uint64_t wakeups;
	uint64_t wakeup_ns;
	uint64_t spin_margin_ns;
	uint64_t kick_advance_ns;
};

/**
 * struct vapic_posix_vcpu - the per-vCPU host context ("void *host" of
 * <vapic/host.h>).  Embed it in the VMM's vCPU structure; members are
 * private to the adapter.
 */
struct vapic_posix_vcpu {
	const struct vapic_posix_clock *clock;
	struct vapic_posix_config cfg;
	uint64_t tsc_offset;
	struct vapic_timer *timer;
	volatile uint8_t *immediate_exit;
	pthread_t thread;
	bool attached;
	bool ktimer_ok;
	timer_t ktimer;
	/* Cross-thread words (atomics). */
	uint32_t state; /* VAPIC_POSIX_STATE_* */
	uint32_t kicked; /* futex word: 1 = kick pending */
	uint64_t wake_stamp_ns; /* when a kicker woke the halted thread */
	/* vCPU thread only. */
	uint64_t expires_ns;
	uint64_t ktimer_ns;
	uint32_t margin_est_ns;
	uint32_t kick_est_ns;
	struct vapic_posix_stats stats;
};

/** Wake reasons of vapic_posix_halt(). */
enum vapic_posix_wake {
	/** @VAPIC_POSIX_WAKE_KICK: kicked (IPI, device, own timer kick). */
	VAPIC_POSIX_WAKE_KICK = 0,
	/** @VAPIC_POSIX_WAKE_TIMER: the host timer reached its expiry. */
	VAPIC_POSIX_WAKE_TIMER = 1,
	/** @VAPIC_POSIX_WAKE_TIMEOUT: the caller's @until_ns passed. */
	VAPIC_POSIX_WAKE_TIMEOUT = 2,
};

/**
 * vapic_posix_now_ns() - CLOCK_MONOTONIC, ns.  Context: any.
 */
uint64_t vapic_posix_now_ns(void);

/** vapic_posix_rdtsc() - the host TSC (RDTSC, not serialising). */
static inline uint64_t vapic_posix_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/**
 * vapic_posix_tsc_measure_khz() - measure the host TSC rate against
 * CLOCK_MONOTONIC over @window_ns (busy: about @window_ns of CPU).
 * @window_ns: measurement window, >= 1 ms recommended.
 *
 * For checking KVM_GET_TSC_KHZ, not for calibrating it: KVM's value is the
 * one the guest is promised.  Context: any thread.
 * Return: the rate in kHz.
 */
uint32_t vapic_posix_tsc_measure_khz(uint64_t window_ns);

/**
 * vapic_posix_config_default() - the default knobs.
 * @cfg: output.
 */
void vapic_posix_config_default(struct vapic_posix_config *cfg);

/**
 * vapic_posix_host_ops() - fill the members of a host ops table that this
 * adapter implements: now_ns, guest_tsc, timer_arm, timer_cancel, kick.
 * post is left NULL; send_ipi, map_guest/unmap_guest and log are the VMM's
 * (their @host is the struct vapic_posix_vcpu: use container_of to reach
 * your vCPU).  Other members of @ops are left untouched.
 * @ops: the table to fill.
 */
void vapic_posix_host_ops(struct vapic_host_ops *ops);

/**
 * vapic_posix_vcpu_init() - initialise a vCPU's host context.
 * @v: the context (caller's memory).
 * @clock: the VM's clock; must outlive @v.
 * @tsc_offset: guest TSC - host TSC (KVM: 0 unless the VMM set an offset).
 * @cfg: knobs, or NULL for the defaults.
 *
 * Context: any thread, before the vCPU runs.
 * Return: 0, or -EINVAL for a knob out of range.
 */
int vapic_posix_vcpu_init(struct vapic_posix_vcpu *v,
			  const struct vapic_posix_clock *clock,
			  uint64_t tsc_offset,
			  const struct vapic_posix_config *cfg);

/**
 * vapic_posix_vcpu_attach() - bind @v to the calling thread, its vCPU's
 * timer and its kvm_run page: installs the kick signal's handler (once per
 * process), creates the POSIX timer that signals this thread, and sets
 * this thread's timer slack to 1 ns.
 * @v: the context.
 * @timer: the timer whose vapic_timer_expired() the adapter calls (for a
 *	struct vapic_lapic: &lapic.timer); NULL when libvapic does not run
 *	this vCPU's timer (e.g. KVM's in-kernel LAPIC): kicks still work.
 * @immediate_exit: &run->immediate_exit of this vCPU (or NULL when the
 *	thread never enters KVM_RUN, e.g. benchmarks).
 *
 * Context: the vCPU thread, before its first KVM_RUN (again when the vCPU
 * moves to another thread: the POSIX timer is re-created for it).
 * Return: 0, or a negative errno.
 */
int vapic_posix_vcpu_attach(struct vapic_posix_vcpu *v,
			    struct vapic_timer *timer,
			    volatile uint8_t *immediate_exit);

/**
 * vapic_posix_vcpu_destroy() - delete the POSIX timer.  The vCPU thread
 * must no longer run the vCPU; other threads must no longer kick it.
 * @v: the context.
 */
void vapic_posix_vcpu_destroy(struct vapic_posix_vcpu *v);

/**
 * vapic_posix_service() - the host timer callback, run on the vCPU thread:
 * if the armed expiry has been reached, disarm it and call
 * vapic_timer_expired(); also consume a pending kick.
 * @v: the context.
 *
 * Call it before every poll of the LAPIC (it is cheap: a clock read when a
 * timer is armed).  It never waits: when the kick advance brought the vCPU
 * out early, vapic_posix_enter() refuses entry until the expiry, and the
 * caller waits with vapic_posix_wait_expiry() (doing what it wants done
 * before the deadline meanwhile).  Context: vCPU thread.
 * Return: true if anything happened (the timer fired or a kick was
 * pending): poll the LAPIC before entering.
 */
bool vapic_posix_service(struct vapic_posix_vcpu *v);

/**
 * vapic_posix_wait_expiry() - spin until the armed expiry, @until_ns or a
 * kick, whichever is first (for a vCPU that the kick advance brought out
 * of the guest early).
 * @v: the context.
 * @until_ns: absolute CLOCK_MONOTONIC ns, or VAPIC_POSIX_NEVER.
 *
 * Context: vCPU thread.
 * Return: the time reached.
 */
uint64_t vapic_posix_wait_expiry(struct vapic_posix_vcpu *v, uint64_t until_ns);

/**
 * vapic_posix_kicked() - is a kick pending (not yet consumed by
 * vapic_posix_service())?
 * @v: the context.
 *
 * Context: any.
 */
bool vapic_posix_kicked(const struct vapic_posix_vcpu *v);

/**
 * vapic_posix_enter() - about to call KVM_RUN: program the kernel timer for
 * the armed expiry (if it changed), clear immediate_exit (a signal that
 * landed in userspace), announce "in guest", and check for a kick or a due
 * timer that raced with the caller's last poll.
 * @v: the context.
 *
 * Context: vCPU thread.
 * Return: true: call KVM_RUN now (then vapic_posix_exit()); false: do not
 * enter, service and poll again.
 */
bool vapic_posix_enter(struct vapic_posix_vcpu *v);

/**
 * vapic_posix_exit() - KVM_RUN returned: announce "in userspace" and clear
 * immediate_exit.
 * @v: the context.
 * @eintr: KVM_RUN failed with EINTR (a signal): if the host timer's signal
 *	is due, its exit latency teaches the adaptive kick advance.
 *
 * Context: vCPU thread.
 */
void vapic_posix_exit(struct vapic_posix_vcpu *v, bool eintr);

/**
 * vapic_posix_halt_begin() - the guest halted (HLT exit): the vCPU thread
 * will poll and/or block now.  Disarms the kernel timer that kicks a
 * running vCPU (the halted thread waits for the expiry itself).  Call it
 * before a halt-poll loop; vapic_posix_halt() calls it too.
 * @v: the context.
 *
 * Context: vCPU thread.
 */
void vapic_posix_halt_begin(struct vapic_posix_vcpu *v);

/**
 * vapic_posix_halt_end() - the halt is over (an interrupt is deliverable):
 * drop an immediate_exit that the kernel timer's signal may have set
 * during the halt, so the entry that delivers it is not bounced.
 * @v: the context.
 *
 * Context: vCPU thread.
 */
void vapic_posix_halt_end(struct vapic_posix_vcpu *v);

/**
 * vapic_posix_halt() - the guest halted: block until a kick, the host
 * timer's expiry (sleep until expiry - spin margin, then spin) or
 * @until_ns, whichever is first.
 * @v: the context.
 * @until_ns: absolute CLOCK_MONOTONIC ns, or VAPIC_POSIX_NEVER.
 *
 * Does not consume the kick: call vapic_posix_service() next.
 * Context: vCPU thread.
 * Return: an enum vapic_posix_wake.
 */
int vapic_posix_halt(struct vapic_posix_vcpu *v, uint64_t until_ns);

/**
 * vapic_posix_poll_once() - non-blocking check used by halt-polling loops:
 * is a kick pending or the host timer due?
 * @v: the context.
 * @now_ns: the current time.
 *
 * Context: vCPU thread.
 */
bool vapic_posix_poll_once(struct vapic_posix_vcpu *v, uint64_t now_ns);

/**
 * vapic_posix_expires_ns() - the armed host timer expiry, or
 * VAPIC_POSIX_NEVER.  Context: vCPU thread.
 * @v: the context.
 */
static inline uint64_t vapic_posix_expires_ns(const struct vapic_posix_vcpu *v)
{
	return v->expires_ns;
}

/**
 * vapic_posix_kick() - the kick op, callable directly (any thread).
 * @host: the struct vapic_posix_vcpu.
 */
void vapic_posix_kick(void *host);

#endif /* VAPIC_POSIX_H */
