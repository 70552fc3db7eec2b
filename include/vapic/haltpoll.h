/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic adaptive halt-polling: when a vCPU halts (HLT, or the guest's
 * idle loop), how long should its host thread poll for a wake-up event
 * before it blocks, and what to learn from how the halt ended.
 *
 * Polling trades host CPU time for wake-up latency: an event that arrives
 * while the vCPU thread polls is seen at once, while one that arrives after
 * the thread blocked pays the host's block + wake-up + schedule-in cost
 * (tens of microseconds).  Seed 003 (Paolo Bonzini, "kvm: x86: add
 * halt_poll module parameter") introduced the idea in KVM.
 *
 * Policies, selectable per vCPU (struct vapic_haltpoll_config.policy):
 *
 *  - VAPIC_HALTPOLL_NONE: never poll (statistics only).
 *  - VAPIC_HALTPOLL_KVM: KVM's algorithm, bit-exact with Linux 6.1
 *    (virt/kvm/kvm_main.c of Debian's linux-source 6.1.192: kvm_vcpu_halt(),
 *    grow_halt_poll_ns(), shrink_halt_poll_ns(), update_halt_poll_stats();
 *    Documentation/virt/kvm/halt-polling.rst).  A per-vCPU window starts
 *    at 0; a halt that ends after the window but within the maximum grows
 *    it (x grow, at least grow_start, unsigned 32-bit arithmetic as KVM),
 *    a halt longer than the maximum or an invalid wakeup shrinks it
 *    (/ shrink, or to 0 when shrink is 0; a result below grow_start
 *    becomes 0).  The maximum is halt_poll_ns, or the per-VM value of
 *    KVM_CAP_HALT_POLL once set (vapic_haltpoll_set_vm_max()); the window
 *    is capped to it when a halt begins and the maximum is read again when
 *    the halt ends.
 *  - VAPIC_HALTPOLL_GUEST: the guest cpuidle "haltpoll" governor's variant
 *    (Linux 6.1 drivers/cpuidle/governors/haltpoll.c): it adjusts only
 *    after the vCPU really halted, from the time spent halted after the
 *    poll; it grows when that time exceeds the window but not the maximum
 *    (capping at the maximum at once), and shrinks (/ shrink) when it
 *    exceeds the maximum, unless shrinking is disabled.
 *  - VAPIC_HALTPOLL_ADAPTIVE: libvapic's own policy.  (1) Timer-aware: if
 *    this vCPU's own timer is due within the timer window, poll exactly to
 *    its deadline: the wake-up is certain, and a userspace VMM that spins
 *    on the TSC injects the tick with no block/wake-up latency at all.
 *    (2) Predictive: decayed histograms of wake intervals (four
 *    sub-buckets per power of two), one per context (how the previous
 *    halt ended: short; long, by an event; long, by the own timer), since
 *    wake events cluster; the window is the one that maximises (wake-ups
 *    caught x block cost saved) - cpu_weight x (poll time burnt on halts
 *    that outlast it), instead of doubling blindly; with
 *    VAPIC_HALTPOLL_F_EVENTS, a halt that goes on with a wait the own timer
 *    or an invalid wake-up interrupted polls only for the intervals longer
 *    than the time already waited.  (3) Bounded: predicted
 *    polls that do not end in a real event draw on a credit that refills
 *    at budget_ppm of elapsed time up to budget_burst_ns, so an idle vCPU
 *    can never burn more than that share of a host CPU on them.  See
 *    docs/haltpoll.md.
 *
 * Use, on the vCPU thread, for every halt:
 *
 *	vapic_haltpoll_begin(hp, now, timer_ns, &poll_ns);
 *	poll until an event, or until now >= start + poll_ns (or the host
 *	needs the CPU); if no event: block until one;
 *	vapic_haltpoll_end(hp, poll_end, end, flags);
 *
 * All times are host ns on one monotonic clock (host_ops.now_ns); the
 * caller reads the clock, which keeps the core deterministic and testable.
 * The policy code is pure arithmetic: no host callbacks, no allocation, no
 * floating point; the host embeds struct vapic_haltpoll in its vCPU.
 */
#ifndef VAPIC_HALTPOLL_H
#define VAPIC_HALTPOLL_H

#include <vapic/types.h>
#include <vapic/stats.h>

struct vapic_timer;

/** enum vapic_haltpoll_policy - struct vapic_haltpoll_config.policy. */
enum vapic_haltpoll_policy {
	/** @VAPIC_HALTPOLL_NONE: never poll. */
	VAPIC_HALTPOLL_NONE = 0,
	/** @VAPIC_HALTPOLL_KVM: KVM's kvm_vcpu_halt(), bit-exact (6.1). */
	VAPIC_HALTPOLL_KVM = 1,
	/** @VAPIC_HALTPOLL_GUEST: cpuidle-haltpoll governor (6.1). */
	VAPIC_HALTPOLL_GUEST = 2,
	/** @VAPIC_HALTPOLL_ADAPTIVE: timer-aware, predictive, budgeted. */
	VAPIC_HALTPOLL_ADAPTIVE = 3,
};
#define VAPIC_HALTPOLL_POLICY_MAX VAPIC_HALTPOLL_ADAPTIVE

/* struct vapic_haltpoll_config.flags */
/**
 * GUEST only: guest_halt_poll_allow_shrink=N (the window never shrinks once
 * grown).
 */
#define VAPIC_HALTPOLL_F_NO_SHRINK 0x1U
/** ADAPTIVE only: ignore the timer deadline (ablation, for evaluation). */
#define VAPIC_HALTPOLL_F_NO_TIMER 0x2U
/** ADAPTIVE only: no predicted polls, timer polls only (ablation). */
#define VAPIC_HALTPOLL_F_NO_PREDICT 0x4U
/** ADAPTIVE only: no budget (ablation; the CPU cost is then unbounded). */
#define VAPIC_HALTPOLL_F_NO_BUDGET 0x8U
/**
 * ADAPTIVE only: the host reports, with vapic_haltpoll_event(), every
 * interrupt it delivers to the vCPU outside a halt.  The policy then takes
 * a halt that follows an invalid wake-up, or an own-timer wake-up that cut
 * a wait short, as the rest of that wait: it polls for what is left of the
 * intervals longer than the time already waited (a wait that has lasted
 * long is likely to last longer).  Without the reports it cannot tell the
 * rest of a wait from a new one, and treats every halt as new.
 */
#define VAPIC_HALTPOLL_F_EVENTS 0x10U
#define VAPIC_HALTPOLL_F_ALL                                        \
	(VAPIC_HALTPOLL_F_NO_SHRINK | VAPIC_HALTPOLL_F_NO_TIMER |   \
	 VAPIC_HALTPOLL_F_NO_PREDICT | VAPIC_HALTPOLL_F_NO_BUDGET | \
	 VAPIC_HALTPOLL_F_EVENTS)

/* KVM defaults (x86 KVM_HALT_POLL_NS_DEFAULT and the module parameters). */
#define VAPIC_KVM_HALT_POLL_NS 200000U
#define VAPIC_KVM_HALT_POLL_NS_GROW 2U
#define VAPIC_KVM_HALT_POLL_NS_GROW_START 10000U
#define VAPIC_KVM_HALT_POLL_NS_SHRINK 0U

/* Guest cpuidle-haltpoll governor defaults. */
#define VAPIC_GUEST_HALT_POLL_NS 200000U
#define VAPIC_GUEST_HALT_POLL_GROW 2U
#define VAPIC_GUEST_HALT_POLL_GROW_START 50000U
#define VAPIC_GUEST_HALT_POLL_SHRINK 2U

/* ADAPTIVE defaults and limits. */
/** Longest predicted poll, as KVM's default maximum. */
#define VAPIC_ADAPTIVE_MAX_NS 200000U
/** Poll to the own timer's deadline when it is at most this far. */
#define VAPIC_ADAPTIVE_TIMER_MAX_NS 200000U
/**
 * Latency a caught wake-up saves: the host's block + wake-up + schedule-in
 * cost.  25 us: on the reference machine (notes/machine-facts.md) a
 * vCPU thread blocked in poll(2) on a timerfd sees its timer 42.9 us late
 * (p50), one that busy-polls the TSC 18.0 us late.  Measure your host.
 */
#define VAPIC_ADAPTIVE_BLOCK_COST_NS 25000U
/** Weight of 1 ns of wasted polling against 1 ns of latency, /256. */
#define VAPIC_ADAPTIVE_CPU_WEIGHT_Q8 256U
/** Credit for polls that fail: 5% of elapsed time ... */
#define VAPIC_ADAPTIVE_BUDGET_PPM 50000U
/** ... up to 1 ms of credit. */
#define VAPIC_ADAPTIVE_BUDGET_BURST_NS 1000000U
/** Largest max_ns / timer_max_ns accepted by ADAPTIVE (4 ms). */
#define VAPIC_ADAPTIVE_WINDOW_LIMIT_NS 4000000U
/** Largest block_cost_ns accepted (1 ms). */
#define VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS 1000000U
/** Largest budget_burst_ns accepted (1 s). */
#define VAPIC_ADAPTIVE_BURST_LIMIT_NS 1000000000U
/** Parts per million: budget_ppm is at most this (100%). */
#define VAPIC_PPM 1000000U

/**
 * struct vapic_haltpoll_config - a vCPU's halt-polling policy.
 * @policy: an enum vapic_haltpoll_policy.
 * @flags: VAPIC_HALTPOLL_F_* valid for @policy.
 * @max_ns: KVM: the halt_poll_ns module parameter (ceiling of the window;
 *	0 disables polling); GUEST: guest_halt_poll_ns; ADAPTIVE: longest
 *	predicted poll, 0..VAPIC_ADAPTIVE_WINDOW_LIMIT_NS.
 * @grow: KVM, GUEST: growth factor (0: KVM never grows).
 * @grow_start_ns: KVM, GUEST: first non-zero window.
 * @shrink: KVM, GUEST: shrink divisor; 0 resets the window to 0.
 * @timer_max_ns: ADAPTIVE: poll to the vCPU's own timer deadline when it
 *	is at most this far, 0..VAPIC_ADAPTIVE_WINDOW_LIMIT_NS.
 * @block_cost_ns: ADAPTIVE: latency a caught wake-up saves (block +
 *	wake-up + schedule-in), 1..VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS.
 * @cpu_weight_q8: ADAPTIVE: cost of 1 ns of polling that catches nothing,
 *	in ns of latency, fixed point /256 (256 = 1.0), 1..65535.
 * @budget_ppm: ADAPTIVE: credit for failed predicted polls, parts per
 *	million of elapsed time, 0..VAPIC_PPM.
 * @budget_burst_ns: ADAPTIVE: credit cap (and initial credit),
 *	0..VAPIC_ADAPTIVE_BURST_LIMIT_NS.
 * @reserved: must be 0.
 *
 * KVM and GUEST accept every value their Linux module parameters accept;
 * fields a policy does not use must be 0 (vapic_haltpoll_config_default()
 * leaves them 0).
 */
struct vapic_haltpoll_config {
	uint32_t policy;
	uint32_t flags;
	uint32_t max_ns;
	uint32_t grow;
	uint32_t grow_start_ns;
	uint32_t shrink;
	uint32_t timer_max_ns;
	uint32_t block_cost_ns;
	uint32_t cpu_weight_q8;
	uint32_t budget_ppm;
	uint32_t budget_burst_ns;
	uint32_t reserved;
};

/** Buckets of the halt-poll log2 histograms, as KVM's HALT_POLL_HIST_COUNT. */
#define VAPIC_HALTPOLL_HIST_BUCKETS 32

/**
 * struct vapic_haltpoll_stats - counters, named and defined as KVM's
 * generic vCPU stats (KVM_GET_STATS_FD); read them at any time.
 * @halt_successful_poll: polls that ended without the vCPU blocking
 *	(including invalid wakeups, as KVM counts them).
 * @halt_attempted_poll: halts that polled (window > 0, polling allowed).
 * @halt_poll_invalid: successful polls ended by an invalid wakeup.
 * @halt_wakeup: halts that blocked and were woken (KVM counts the wake-ups
 *	of a blocked vCPU in kvm_vcpu_wake_up()).
 * @halt_poll_success_ns: poll time of successful polls, ns.
 * @halt_poll_fail_ns: poll time of polls followed by blocking, ns.
 * @halt_wait_ns: time blocked (end of poll to wake-up), ns.
 * @halt_poll_success_hist: log2 histogram of the successful polls' poll
 *	time: bucket fls64(ns) capped at 31, as KVM_STATS_LOG_HIST_UPDATE.
 * @halt_poll_fail_hist: same for failed polls.
 * @halt_wait_hist: same for blocked time.
 * @halt_poll_timer: not in KVM.  ADAPTIVE polls aimed at the vCPU's own
 *	timer deadline.
 * @halt_poll_throttled: not in KVM.  ADAPTIVE halts whose predicted window
 *	the budget made shorter (or zero).
 * @halt_poll_events: not in KVM.  Interrupts the host reported with
 *	vapic_haltpoll_event() (any policy; only ADAPTIVE with
 *	VAPIC_HALTPOLL_F_EVENTS acts on them).
 * @halt_poll_continued: not in KVM.  ADAPTIVE halts (with
 *	VAPIC_HALTPOLL_F_EVENTS) that went on with a wait the own timer or an
 *	invalid wake-up had interrupted.
 */
struct vapic_haltpoll_stats {
	uint64_t halt_successful_poll;
	uint64_t halt_attempted_poll;
	uint64_t halt_poll_invalid;
	uint64_t halt_wakeup;
	uint64_t halt_poll_success_ns;
	uint64_t halt_poll_fail_ns;
	uint64_t halt_wait_ns;
	uint64_t halt_poll_success_hist[VAPIC_HALTPOLL_HIST_BUCKETS];
	uint64_t halt_poll_fail_hist[VAPIC_HALTPOLL_HIST_BUCKETS];
	uint64_t halt_wait_hist[VAPIC_HALTPOLL_HIST_BUCKETS];
	uint64_t halt_poll_timer;
	uint64_t halt_poll_throttled;
	uint64_t halt_poll_events;
	uint64_t halt_poll_continued;
};

/** Counter descriptors of struct vapic_haltpoll_stats (kvm_stat names). */
VAPIC_API extern const struct vapic_stat_desc vapic_haltpoll_stat_descs[];
/** Number of entries in vapic_haltpoll_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_haltpoll_stat_ndescs;

/*
 * ADAPTIVE predictor geometry: bucket 0 holds intervals below 2^10 ns;
 * then four buckets per power of two from 2^10 to 2^22 ns; the last bucket
 * holds intervals at or above the maximum window (or 2^22 ns).
 */
#define VAPIC_HALTPOLL_PRED_MIN_SHIFT 10
#define VAPIC_HALTPOLL_PRED_MAX_SHIFT 22
#define VAPIC_HALTPOLL_PRED_SUB 4
#define VAPIC_HALTPOLL_PRED_BUCKETS                                            \
	(2 + (VAPIC_HALTPOLL_PRED_MAX_SHIFT - VAPIC_HALTPOLL_PRED_MIN_SHIFT) * \
		     VAPIC_HALTPOLL_PRED_SUB)
/**
 * Predictor contexts, by how the last halt ended: short; long, by an
 * event; long, by the vCPU's own timer.
 */
#define VAPIC_HALTPOLL_PRED_CTX 3

/* Flags of vapic_haltpoll_end(): how the halt ended. */
/**
 * The vCPU thread blocked (was scheduled out) before the wake-up; without
 * it the poll succeeded, even if the event came after the poll loop but
 * before the thread blocked (as KVM counts it).
 */
#define VAPIC_HALT_WAITED 0x1U
/**
 * Invalid wakeup: the vCPU was woken without a real event (a spurious
 * kick, a signal for the VMM, a timer that was not due yet); it will halt
 * again.  Not a success for any policy's learning (KVM shrinks).
 */
#define VAPIC_HALT_INVALID 0x2U
/** The wake-up event was this vCPU's own timer. */
#define VAPIC_HALT_TIMER 0x4U
#define VAPIC_HALT_FLAGS_ALL \
	(VAPIC_HALT_WAITED | VAPIC_HALT_INVALID | VAPIC_HALT_TIMER)

/** No own timer deadline: pass as @timer_ns to vapic_haltpoll_begin(). */
#define VAPIC_HALTPOLL_NO_TIMER (~(uint64_t)0)

/**
 * struct vapic_haltpoll - one vCPU's halt-polling state.  The host embeds
 * it in its vCPU structure; all members are private to libvapic except
 * @stats, which the host may read at any time.
 */
struct vapic_haltpoll {
	struct vapic_haltpoll_config cfg;

	/* KVM_CAP_HALT_POLL: written by any thread, read at begin and end. */
	uint32_t vm_max_ns;
	uint32_t vm_override;
	/* Guest MSR_KVM_POLL_CONTROL bit 0 clear: host polling disallowed. */
	uint32_t guest_no_poll;

	/* The halt in progress. */
	bool in_halt;
	bool poll_allowed;
	bool polled;
	bool timer_poll;
	bool predicted;
	uint8_t ctx_begin;
	uint64_t start_ns;
	uint64_t window_ns;

	/* KVM: vcpu->halt_poll_ns; GUEST: dev->poll_limit_ns. */
	uint32_t poll_ns;

	/* ADAPTIVE. */
	uint8_t ctx;
	bool budget_started;
	/* F_EVENTS: an interrupt was delivered since the last halt. */
	bool event;
	/* F_EVENTS: the predictor decided a part of the unfinished wait. */
	bool cut_learn;
	/* F_EVENTS: the last halt left its wait unfinished (cut_ns). */
	bool cut;
	uint32_t pred_window_ns;
	/* F_EVENTS: how long that wait had lasted (may be 0). */
	uint32_t cut_ns;
	/* F_EVENTS: how long this halt's wait had lasted when it began. */
	uint32_t since_ns;
	uint64_t cut_end_ns;
	uint32_t hist_total[VAPIC_HALTPOLL_PRED_CTX];
	uint32_t hist[VAPIC_HALTPOLL_PRED_CTX][VAPIC_HALTPOLL_PRED_BUCKETS];
	uint64_t credit_ns;
	uint64_t credit_stamp_ns;

	struct vapic_haltpoll_stats stats;
};

/**
 * vapic_haltpoll_config_default() - fill @cfg with @policy's defaults:
 * KVM: halt_poll_ns 200000, grow 2, grow_start 10000, shrink 0; GUEST:
 * 200000, grow 2, grow_start 50000, shrink 2, shrinking allowed; ADAPTIVE:
 * the VAPIC_ADAPTIVE_* defaults; NONE: all zero.
 * @cfg: the config to fill.
 * @policy: an enum vapic_haltpoll_policy.
 *
 * Context: any.
 * Return: 0; VAPIC_EINVAL for a NULL @cfg or an unknown @policy (@cfg is
 * then untouched).
 */
VAPIC_API int vapic_haltpoll_config_default(struct vapic_haltpoll_config *cfg,
					    uint32_t policy);

/**
 * vapic_haltpoll_init() - initialise @hp: window 0, empty predictor, full
 * budget, zero stats, no per-VM override, polling allowed.
 * @hp: the state (caller's memory).
 * @cfg: the policy, copied.
 *
 * Context: vCPU thread, or before the vCPU runs.
 * Return: 0; VAPIC_EINVAL for NULL arguments, an unknown policy, unknown
 * flags or flags of another policy, a non-zero field the policy does not
 * use, non-zero @cfg->reserved; VAPIC_ERANGE for an ADAPTIVE parameter
 * outside its documented range.  @hp is untouched on error.
 */
VAPIC_API int vapic_haltpoll_init(struct vapic_haltpoll *hp,
				  const struct vapic_haltpoll_config *cfg);

/**
 * vapic_haltpoll_set_config() - change the policy or its parameters at run
 * time (as writing KVM's module parameters: picked up at the next halt).
 * Keeps the stats; keeps the learnt state if the policy stays the same,
 * else starts the new policy afresh.
 * @hp: the state.
 * @cfg: the new policy, copied.
 *
 * Context: vCPU thread, not between vapic_haltpoll_begin() and
 * vapic_haltpoll_end().
 * Return: 0; the errors of vapic_haltpoll_init(); VAPIC_EBUSY during a
 * halt.  Nothing changes on error.
 */
VAPIC_API int
vapic_haltpoll_set_config(struct vapic_haltpoll *hp,
			  const struct vapic_haltpoll_config *cfg);

/**
 * vapic_haltpoll_set_vm_max() - the per-VM maximum, as KVM_CAP_HALT_POLL:
 * from now on it replaces @cfg.max_ns (KVM and ADAPTIVE policies; for
 * ADAPTIVE it also caps the timer window; GUEST ignores it).  KVM re-reads
 * it when a halt ends, so a change during a halt takes part in that halt's
 * grow/shrink decision, and the window is capped at the next halt.
 * @hp: the state.
 * @max_ns: the maximum poll time, ns (any 32-bit value, as KVM).
 *
 * Context: any thread (the value is published before the override flag
 * with release/acquire ordering, as KVM's smp_wmb()/smp_rmb()).
 */
VAPIC_API void vapic_haltpoll_set_vm_max(struct vapic_haltpoll *hp,
					 uint32_t max_ns);

/**
 * vapic_haltpoll_set_guest_no_poll() - the guest's MSR_KVM_POLL_CONTROL
 * bit 0 (KVM's kvm_arch_no_poll()): a guest that polls itself may tell the
 * host not to.  While disallowed, halts neither poll nor adapt (stats of
 * blocked time are still kept), for every policy.
 * @hp: the state.
 * @no_poll: true to disallow host polling.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_haltpoll_set_guest_no_poll(struct vapic_haltpoll *hp,
						bool no_poll);

/**
 * vapic_haltpoll_event() - the host delivered the vCPU an interrupt while
 * it was not halted (injected it at a VM entry, or found it pending when
 * the vCPU halted), other than the vCPU's own timer interrupt.  Only for
 * VAPIC_HALTPOLL_F_EVENTS (otherwise ignored): it tells the policy that
 * the wait the last halt left unfinished ended, and the next halt waits
 * for something new.
 * @hp: the state.
 *
 * Context: vCPU thread, between vapic_haltpoll_end() and the next
 * vapic_haltpoll_begin().
 */
VAPIC_API void vapic_haltpoll_event(struct vapic_haltpoll *hp);

/**
 * vapic_haltpoll_begin() - the vCPU halted: decide how long to poll.
 * @hp: the state.
 * @now_ns: host time now (the halt's start).
 * @timer_ns: ns from now until this vCPU's own next timer interrupt is due
 *	(see vapic_haltpoll_timer_ns()), or VAPIC_HALTPOLL_NO_TIMER.  Used by
 *	ADAPTIVE only.
 * @poll_ns: output: poll for an event until @now_ns + *@poll_ns, then
 *	block; 0: block at once (after one check for a pending event).
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_EINVAL for NULL pointers; VAPIC_EBUSY if the previous
 * halt was not ended (nothing changes).
 */
VAPIC_API int vapic_haltpoll_begin(struct vapic_haltpoll *hp, uint64_t now_ns,
				   uint64_t timer_ns, uint64_t *poll_ns);

/**
 * vapic_haltpoll_end() - the halt ended: account it and learn.
 * @hp: the state.
 * @poll_end_ns: host time of the poll loop's last clock read (its end);
 *	the halt's start if it did not poll.
 * @end_ns: host time the vCPU was runnable again; for a poll that saw the
 *	event in its loop, KVM uses @poll_end_ns (the last clock read).
 * @flags: VAPIC_HALT_*.
 *
 * The halt lasted @end_ns - start ns, polled @poll_end_ns - start ns and
 * (VAPIC_HALT_WAITED) was blocked @end_ns - @poll_end_ns ns.
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_EINVAL for unknown flags or times out of order
 * (start <= @poll_end_ns <= @end_ns), the halt stays open; VAPIC_EBUSY if
 * no halt was begun.
 */
VAPIC_API int vapic_haltpoll_end(struct vapic_haltpoll *hp,
				 uint64_t poll_end_ns, uint64_t end_ns,
				 uint32_t flags);

/**
 * vapic_haltpoll_window_ns() - the policy's current window: KVM's
 * vcpu->halt_poll_ns, the governor's poll_limit_ns, ADAPTIVE's last
 * predicted window (not the timer polls); 0 for NONE.
 * @hp: the state.
 *
 * Context: any (may be a moment stale).
 */
VAPIC_API uint32_t vapic_haltpoll_window_ns(const struct vapic_haltpoll *hp);

/**
 * vapic_haltpoll_credit_ns() - ADAPTIVE's budget credit left, ns.
 * @hp: the state.
 *
 * Context: vCPU thread.
 */
VAPIC_API uint64_t vapic_haltpoll_credit_ns(const struct vapic_haltpoll *hp);

/**
 * vapic_haltpoll_timer_ns() - ns from now until @t's next timer interrupt
 * is due (rounded up, so a poll of that length reaches the deadline), for
 * vapic_haltpoll_begin()'s @timer_ns.  Reads the guest TSC through @t's
 * host ops; the timer advance does not matter, since a polling vCPU thread
 * checks the guest TSC itself.
 * @t: the vCPU's timer.
 * @timer_ns: output: the ns until due (0 if due already), or
 *	VAPIC_HALTPOLL_NO_TIMER.
 *
 * Context: vCPU thread.
 * Return: true if a deliverable tick is scheduled.
 */
VAPIC_API bool vapic_haltpoll_timer_ns(struct vapic_timer *t,
				       uint64_t *timer_ns);

#endif /* VAPIC_HALTPOLL_H */
