/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic LAPIC timer: one-shot, periodic and TSC-deadline modes.
 *
 * Architecture: Intel SDM vol. 3A, chapter "Advanced Programmable Interrupt
 * Controller (APIC)", section "APIC Timer" and its subsection "TSC-Deadline
 * Mode"; the LVT timer register layout is in "Local Vector Table".
 *
 * Model.  The guest TSC is the master clock for every mode: a running timer
 * has one target, the guest TSC at which its next interrupt is due, and an
 * interrupt is handed to the guest only when the guest TSC has reached it
 * ("never early").  One-shot and periodic counting runs at the APIC bus
 * frequency (struct vapic_timer_config.bus_khz) divided by TDCR, converted
 * exactly (rational arithmetic, no drift) to guest TSC.  The host timer,
 * one per vCPU, is only a wake-up: it is armed early by the timer advance,
 * and the vCPU thread waits out the rest (vapic_timer_poll() says how long).
 * Guest TSC wrap: one-shot and periodic positions are compared modulo 2^64,
 * so they stay exact when the guest TSC wraps past 2^64 inside a period (a
 * guest write of IA32_TSC near its maximum, a restore); a TSC deadline is
 * compared unsigned, as the SDM says (2^64 - 1 is far ahead of a small TSC),
 * and fires when the TSC counting up reaches it: a deadline the TSC reached
 * just before it wrapped past 2^64 is delivered even if the expiry is
 * processed after the wrap, at a TSC numerically below it; a TSC that
 * jumps (vapic_timer_guest_tsc_changed(), restore) from below a deadline to
 * below it again across the wrap never reached it, and it stays armed.
 *
 * Threads.  Everything is called on the vCPU thread, except
 * vapic_timer_expired(), which the host calls from its timer callback on any
 * CPU.  The hand-off between the two is one atomic flag ("fired", set with
 * release semantics by the callback, consumed with acquire by the vCPU
 * thread) plus the host's synchronous timer_cancel: the vCPU thread cancels
 * the host timer before it changes any state the callback reads.  In posted
 * mode (VAPIC_TIMER_F_POSTED) the callback also completes the expiry itself
 * and publishes the new position under a sequence counter that the vCPU
 * thread's readers (TMCCT, the deadline MSR) retry on.
 */
#ifndef VAPIC_TIMER_H
#define VAPIC_TIMER_H

#include <vapic/types.h>
#include <vapic/clock.h>
#include <vapic/host.h>
#include <vapic/lazy.h>
#include <vapic/stats.h>

/* LVT timer register (offset 0x320; x2APIC MSR 0x832). */
#define VAPIC_LVT_VECTOR_MASK 0x000000ffU
#define VAPIC_LVT_DELIVERY_STATUS 0x00001000U /* read-only */
#define VAPIC_LVT_MASKED 0x00010000U
#define VAPIC_LVTT_MODE_SHIFT 17
#define VAPIC_LVTT_MODE_MASK 0x00060000U
/* Bits the LVT timer register implements (vector, status, mask, mode). */
#define VAPIC_LVTT_VALID_MASK                                       \
	(VAPIC_LVT_VECTOR_MASK | VAPIC_LVT_DELIVERY_STATUS |       \
	 VAPIC_LVT_MASKED | VAPIC_LVTT_MODE_MASK)

/** enum vapic_timer_mode - LVT timer bits 18:17. */
enum vapic_timer_mode {
	VAPIC_TIMER_ONESHOT = 0,
	VAPIC_TIMER_PERIODIC = 1,
	VAPIC_TIMER_TSC_DEADLINE = 2,
	/** @VAPIC_TIMER_MODE_RESERVED: 11b; the timer never runs. */
	VAPIC_TIMER_MODE_RESERVED = 3,
};

/* Divide configuration register (offset 0x3e0): bits 0, 1 and 3. */
#define VAPIC_TDCR_VALID_MASK 0x0000000bU

/** Vectors 0..15 are illegal for interrupts (SDM "Valid Interrupt Vectors"). */
#define VAPIC_VECTOR_MIN_LEGAL 16

/** IA32_TSC_DEADLINE. */
#define VAPIC_MSR_TSC_DEADLINE 0x6e0U

/* Defaults (overridable per timer in struct vapic_timer_config). */
/** APIC timer input clock: 1 GHz, one bus cycle per ns, as KVM. */
#define VAPIC_BUS_KHZ_DEFAULT 1000000U
/** Minimum periodic period, as KVM's min_timer_period_us = 200. */
#define VAPIC_MIN_PERIOD_NS_DEFAULT 200000ULL
/** Upper bound accepted for min_period_ns (1 s). */
#define VAPIC_MIN_PERIOD_NS_MAX 1000000000ULL
/** Default cap on the catch-up backlog of missed periodic ticks. */
#define VAPIC_CATCHUP_MAX_DEFAULT 1000U
/** Largest catch-up cap accepted. */
#define VAPIC_CATCHUP_MAX_LIMIT (1U << 20)
/** Lowest bus / guest TSC frequency accepted, kHz (1 MHz). */
#define VAPIC_KHZ_MIN 1000U
/* KVM's adaptive advance (arch/x86/kvm/lapic.c), the default algorithm. */
#define VAPIC_ADVANCE_NS_INIT 1000U
#define VAPIC_ADVANCE_NS_MAX 5000U
#define VAPIC_ADVANCE_ADJUST_MIN_TSC 100U
#define VAPIC_ADVANCE_ADJUST_MAX_TSC 10000U
#define VAPIC_ADVANCE_ADJUST_STEP 8U
/** Largest fixed advance accepted (100 us). */
#define VAPIC_ADVANCE_FIXED_MAX_NS 100000U

/**
 * enum vapic_missed_policy - what a periodic timer does with ticks the guest
 * could not take in time (the vCPU did not run, or the previous tick was
 * still pending in IRR).
 * @VAPIC_MISSED_COALESCE: default.  At most one tick is pending: ticks that
 *	pass meanwhile merge into it (architectural behaviour of a real LAPIC
 *	whose IRR bit is already set).  Counted in stats.missed/coalesced.
 * @VAPIC_MISSED_CATCHUP: every missed tick is delivered later, one at a time
 *	as soon as the previous one has left IRR, up to catchup_max pending
 *	ticks (older ones are dropped and counted).  For guests that count
 *	ticks to keep time.  Late ticks are late, never early.
 */
enum vapic_missed_policy {
	VAPIC_MISSED_COALESCE = 0,
	VAPIC_MISSED_CATCHUP = 1,
};

/* struct vapic_timer_config.flags */
/** TSC-deadline mode is exposed to the guest (CPUID.01H:ECX[24]). */
#define VAPIC_TIMER_F_TSC_DEADLINE 0x1U
/**
 * Posted (exitless) delivery: the timer callback delivers the interrupt with
 * host_ops.post from whatever CPU it runs on (seed 000), instead of handing
 * the tick to the vCPU thread.  The vCPU thread still delivers what needs
 * it: an illegal vector (ESR), a failed post, and, with
 * VAPIC_MISSED_CATCHUP, an expiry that owes missed periods or finds a
 * catch-up backlog waiting.  A posted tick bypasses struct vapic_lapic's
 * IRR/ISR: set this flag only where post writes the interrupt state the
 * guest acknowledges and EOIs (an APICv / AVIC virtual-APIC page, or the
 * host's own LAPIC model).
 */
#define VAPIC_TIMER_F_POSTED 0x2U
#define VAPIC_TIMER_F_ALL (VAPIC_TIMER_F_TSC_DEADLINE | VAPIC_TIMER_F_POSTED)

/** Adaptive advance (KVM's algorithm); see struct vapic_timer_config. */
#define VAPIC_ADVANCE_ADAPTIVE (-1)

/**
 * struct vapic_timer_config - per-timer settings chosen by the host.
 * @bus_khz: APIC timer input frequency, kHz, VAPIC_KHZ_MIN..VAPIC_KHZ_MAX.
 * @guest_tsc_khz: guest TSC frequency, kHz, VAPIC_KHZ_MIN..VAPIC_KHZ_MAX.
 * @min_period_ns: minimum period of a periodic timer, 0..1 s.  A shorter
 *	programmed period runs at this period instead (TMCCT then counts down
 *	over the longer period), so a guest cannot make the host fire faster.
 * @missed_policy: an enum vapic_missed_policy.
 * @catchup_max: cap on pending catch-up ticks, 1..VAPIC_CATCHUP_MAX_LIMIT.
 * @advance_ns: VAPIC_ADVANCE_ADAPTIVE, or a fixed advance in ns
 *	(0..VAPIC_ADVANCE_FIXED_MAX_NS; 0 disables the advance).
 * @flags: VAPIC_TIMER_F_*.
 */
struct vapic_timer_config {
	uint32_t bus_khz;
	uint32_t guest_tsc_khz;
	uint64_t min_period_ns;
	uint32_t missed_policy;
	uint32_t catchup_max;
	int32_t advance_ns;
	uint32_t flags;
};

/** Buckets of the lateness histogram: [0] 0 ns, [i] [2^(i-1), 2^i) ns. */
#define VAPIC_HIST_BUCKETS 32

/**
 * struct vapic_timer_stats - counters; read them at any time (values may be
 * a moment stale while the vCPU runs).  Names follow kvm_stat style in
 * vapic_timer_stat_descs[].
 * @arms: host timers armed.
 * @arm_failures: host timer_arm calls that failed (retried at next poll).
 * @fires: host timer callbacks (vapic_timer_expired() calls).
 * @injections: timer interrupts handed to the guest.
 * @posted: of @injections, delivered by host_ops.post without an exit.
 * @early: injections before the deadline in guest TSC.  Must stay 0.
 * @immediate: deadlines already due when programmed.
 * @masked: expiries not delivered (LVT masked, APIC software-disabled).
 * @missed: periodic ticks that passed without an interrupt of their own.
 * @coalesced: ticks merged into a timer interrupt still pending in IRR.
 * @catchup: late ticks delivered from the catch-up backlog.
 * @dropped: catch-up ticks dropped because the backlog was full.
 * @clamped: periodic timers started with a period below min_period_ns.
 * @waits: injections that first waited out the rest of the advance.
 * @wait_ns: total ns waited (as asked by vapic_timer_poll()).
 * @lateness_hist: injection time minus deadline, ns, log2 buckets.
 */
struct vapic_timer_stats {
	uint64_t arms;
	uint64_t arm_failures;
	uint64_t fires;
	uint64_t injections;
	uint64_t posted;
	uint64_t early;
	uint64_t immediate;
	uint64_t masked;
	uint64_t missed;
	uint64_t coalesced;
	uint64_t catchup;
	uint64_t dropped;
	uint64_t clamped;
	uint64_t waits;
	uint64_t wait_ns;
	uint64_t lateness_hist[VAPIC_HIST_BUCKETS];
};

/** Counter descriptors of struct vapic_timer_stats. */
VAPIC_API extern const struct vapic_stat_desc vapic_timer_stat_descs[];
/** Number of entries in vapic_timer_stat_descs[]. */
VAPIC_API extern const uint32_t vapic_timer_stat_ndescs;

/**
 * struct vapic_timer - one vCPU's LAPIC timer.  The host embeds it (or a
 * struct vapic_lapic, which embeds one) in its vCPU structure; all members
 * are private to libvapic.
 */
struct vapic_timer {
	/* Host binding. */
	const struct vapic_host_ops *ops;
	void *host;
	struct vapic_timer_config cfg;
	uint64_t min_period_sub;

	/* Architectural registers. */
	uint32_t lvtt;
	uint32_t tmict;
	uint32_t tdcr;
	uint32_t divide;
	uint64_t tsc_deadline;

	/*
	 * Running state.  Written by the vCPU thread with the host timer
	 * cancelled, or (posted mode) by the callback while it runs; read
	 * under @seq.  Position of the current period's start, in guest
	 * TSC: @start_tsc + @start_frac / bus_khz.  Periods are @period_sub
	 * long, in units of 1/bus_khz TSC cycles (exact for any ratio).
	 * TSC-deadline mode: @start_tsc is the guest TSC the deadline counts
	 * from (when it was armed, or the deadline if already past).
	 */
	uint32_t seq;
	bool running;
	uint64_t target_tsc;
	uint64_t start_tsc;
	uint32_t start_frac;
	uint64_t period_sub;

	/* Host timer hand-off. */
	bool hw_armed;
	bool measured;
	/*
	 * @fire_slow: nonzero when the timer fire + inject fast path cannot
	 * apply whatever the running state (not TSC-deadline mode, masked,
	 * illegal vector, lazy TSC-deadline on, posted mode); recomputed
	 * wherever those change.  Overlaid with @need_arm by @fire_busy.
	 */
	union {
		struct {
			bool need_arm;
			uint8_t fire_slow;
		};
		uint16_t fire_busy;
	};
	uint32_t fired;
	/*
	 * The state that keeps the timer's fast paths out, overlaid by @busy
	 * so that they test all of it with one compare (@busy is 0 iff every
	 * member is 0/false; in_window is its first byte): an advance window
	 * open, a tick due, the APIC software-disabled, catch-up ticks.
	 */
	union {
		struct {
			bool in_window;
			bool pending;
			/* A due tick of an earlier LVT vector (own IRR bit). */
			bool pending_old;
			/* Architectural: the APIC is software-disabled. */
			bool sw_disabled;
			uint32_t backlog;
		};
		uint64_t busy;
	};
	uint32_t pending_vector;
	uint32_t pending_old_vector;
	uint64_t pending_due_tsc;
	uint64_t pending_old_due_tsc;

	/* Timer advance, ns. */
	uint32_t advance_ns;
	/*
	 * ceil(10^6 * 2^32 / guest_tsc_khz): guest TSC cycles -> ns for
	 * arming the host timer with a multiply (see arm_delta_ns()).
	 */
	uint64_t ns_per_tsc_32;
	/*
	 * ceil(10^6 * 2^39 / guest_tsc_khz): the adaptive advance's step,
	 * floor(cycles * 10^6 / khz / 8) for cycles <= 10^4, as one
	 * multiply and shift (timer_fast.h, timer_adjust_advance_()).
	 */
	uint64_t adv_step_mult;

	struct vapic_timer_stats stats;

	/* Lazy TSC-deadline (<vapic/lazy.h>), host side. */
	struct vapic_lazy lazy;
};

/**
 * vapic_timer_config_default() - fill @cfg with the defaults: 1 GHz bus,
 * guest TSC @guest_tsc_khz, 200 us minimum period, coalesce, adaptive
 * advance, TSC-deadline mode exposed, deferred (not posted) delivery.
 * @cfg: the config to fill.
 * @guest_tsc_khz: guest TSC frequency, kHz.
 *
 * Context: any.
 */
VAPIC_API void vapic_timer_config_default(struct vapic_timer_config *cfg,
					  uint32_t guest_tsc_khz);

/**
 * vapic_timer_init() - initialise a timer in its power-on state (LVT timer
 * masked, counts 0, TSC deadline 0).
 * @t: the timer (caller's memory).
 * @cfg: settings, copied.
 * @ops: host operations; must satisfy vapic_host_ops_valid().
 * @host: the host's per-vCPU context, passed to every op.
 *
 * Context: vCPU thread (or before the vCPU exists).
 * Return: 0; VAPIC_EINVAL for NULL @t/@cfg/@ops, invalid ops, unknown flags
 * or policy; VAPIC_ERANGE for a frequency, period, cap or advance outside
 * its documented range.  @t is untouched on error.
 */
VAPIC_API int vapic_timer_init(struct vapic_timer *t,
			       const struct vapic_timer_config *cfg,
			       const struct vapic_host_ops *ops, void *host);

/**
 * vapic_timer_reset() - INIT/RESET: cancel the host timer and return the
 * registers to their power-on values (LVT timer 0x00010000, TMICT 0, TDCR 0,
 * TSC deadline 0), dropping any pending tick.  Config, advance and stats are
 * kept.
 * @t: the timer.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_timer_reset(struct vapic_timer *t);

/**
 * vapic_timer_destroy() - cancel the host timer; @t may then be freed.
 * @t: the timer.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_timer_destroy(struct vapic_timer *t);

/* Return bit of the register writes below: the timer is due now. */
#define VAPIC_TIMER_DUE 1

/**
 * vapic_timer_write_lvtt() - guest write to the LVT timer register.
 * @t: the timer.
 * @val: the value written.
 * @strict: true for x2APIC semantics (reserved bits must be zero: a write
 *	with reserved bits, a reserved timer mode, or TSC-deadline mode when it
 *	is not exposed is refused with VAPIC_ERSVD and the caller injects #GP);
 *	false for xAPIC semantics (reserved bits ignored, mode 11b stored and
 *	the timer stays disarmed; bit 18 ignored when TSC-deadline mode is not
 *	exposed).
 *
 * The delivery-status bit is read-only and ignored.  While the APIC is
 * software-disabled the mask bit stays set.  A write that changes the timer
 * mode disarms the timer (SDM "TSC-Deadline Mode"): TMICT and the TSC
 * deadline become 0.  Unmasking a running timer arms the host timer.
 *
 * Context: vCPU thread.
 * Return: 0 or VAPIC_TIMER_DUE (the caller should poll before re-entering
 * the guest); VAPIC_ERSVD (nothing changed); VAPIC_EHOST if arming the host
 * timer failed (the state change was made; arming is retried at poll).
 */
VAPIC_API int vapic_timer_write_lvtt(struct vapic_timer *t, uint32_t val,
				     bool strict);

/**
 * vapic_timer_write_tmict() - guest write to the initial-count register.
 * @t: the timer.
 * @val: the initial count; 0 stops the timer.
 *
 * In one-shot and periodic mode, (re)starts the count-down from @val at the
 * current guest TSC.  Ignored in TSC-deadline mode (and in the reserved
 * mode), as the SDM says.
 *
 * Context: vCPU thread.
 * Return: 0, VAPIC_TIMER_DUE, or VAPIC_EHOST as vapic_timer_write_lvtt().
 */
VAPIC_API int vapic_timer_write_tmict(struct vapic_timer *t, uint32_t val);

/**
 * vapic_timer_write_tdcr() - guest write to the divide configuration
 * register.
 * @t: the timer.
 * @val: the value; bits 0, 1, 3 select divide by 2, 4, 8, 16, 32, 64, 128,
 *	1 (values 0..7 of bits 3,1,0).
 * @strict: x2APIC semantics: other bits set -> VAPIC_ERSVD, no change.
 *
 * A divide change on a running timer keeps the current count and the
 * progress within the current tick, and rescales the remaining time to the
 * new rate (as KVM and Xen do).
 *
 * Context: vCPU thread.
 * Return: 0, VAPIC_TIMER_DUE, VAPIC_ERSVD or VAPIC_EHOST.
 */
VAPIC_API int vapic_timer_write_tdcr(struct vapic_timer *t, uint32_t val,
				     bool strict);

/**
 * vapic_timer_write_tsc_deadline() - guest WRMSR to IA32_TSC_DEADLINE.
 * @t: the timer.
 * @deadline_tsc: guest TSC value; 0 disarms.
 *
 * Ignored outside TSC-deadline mode.  A deadline at or before the current
 * guest TSC is due at once: no host timer is armed and the return value
 * says VAPIC_TIMER_DUE, so the interrupt is injected before the guest
 * executes another instruction that exits.
 *
 * Context: vCPU thread.
 * Return: 0, VAPIC_TIMER_DUE or VAPIC_EHOST.
 */
VAPIC_API int vapic_timer_write_tsc_deadline(struct vapic_timer *t,
					     uint64_t deadline_tsc);

/**
 * vapic_timer_read_tsc_deadline() - guest RDMSR of IA32_TSC_DEADLINE.
 * @t: the timer.
 *
 * Context: vCPU thread.
 * Return: the armed deadline; 0 once it has fired (the guest TSC reached
 * it), when disarmed, and outside TSC-deadline mode.
 */
VAPIC_API uint64_t vapic_timer_read_tsc_deadline(struct vapic_timer *t);

/** vapic_timer_read_lvtt() - the LVT timer register as the guest reads it. */
VAPIC_API uint32_t vapic_timer_read_lvtt(const struct vapic_timer *t);
/** vapic_timer_read_tmict() - the initial-count register. */
VAPIC_API uint32_t vapic_timer_read_tmict(const struct vapic_timer *t);
/** vapic_timer_read_tdcr() - the divide configuration register. */
VAPIC_API uint32_t vapic_timer_read_tdcr(const struct vapic_timer *t);

/**
 * vapic_timer_read_tmcct() - the current-count register, computed from the
 * guest TSC now: counts down from TMICT at bus_khz / divide; a one-shot
 * timer stays at 0 after expiry, a periodic one reloads; 0 in TSC-deadline
 * mode and when stopped.
 * @t: the timer.
 *
 * Context: vCPU thread.
 */
VAPIC_API uint32_t vapic_timer_read_tmcct(struct vapic_timer *t);

/**
 * vapic_timer_mode() - the current timer mode (LVT timer bits 18:17).
 * @t: the timer.
 */
VAPIC_API enum vapic_timer_mode vapic_timer_mode(const struct vapic_timer *t);

/**
 * vapic_timer_set_sw_enabled() - the APIC's software enable (SVR bit 8)
 * changed.  Disabling sets the LVT timer mask bit, which stays set while
 * disabled (SDM "Spurious-Interrupt Vector Register"); enabling leaves it
 * set until the guest clears it.
 * @t: the timer.
 * @enabled: the new SVR bit 8.
 *
 * Context: vCPU thread.
 */
VAPIC_API void vapic_timer_set_sw_enabled(struct vapic_timer *t,
					  bool enabled);

/* Flags of vapic_timer_poll(). */
/**
 * The timer vector is still pending in the LAPIC's IRR: a new tick merges
 * into it (coalesce) or waits in the backlog (catch-up).
 */
#define VAPIC_POLL_VECTOR_BUSY 0x1U

/** enum vapic_timer_poll_result - what vapic_timer_poll() decided. */
enum vapic_timer_poll_result {
	/** @VAPIC_TIMER_NONE: nothing to inject now. */
	VAPIC_TIMER_NONE = 0,
	/** @VAPIC_TIMER_INJECT: inject event.vector now. */
	VAPIC_TIMER_INJECT = 1,
	/**
	 * @VAPIC_TIMER_WAIT: a tick is due in event.wait_ns (the host timer
	 * fired early by the advance): wait that long (spin), then poll
	 * again.  Injecting earlier would be early.
	 */
	VAPIC_TIMER_WAIT = 2,
};

/**
 * struct vapic_timer_event - output of vapic_timer_poll().
 * @vector: the vector to inject (VAPIC_TIMER_INJECT).  May be < 16: the
 *	LAPIC then reports an illegal vector instead of delivering.
 * @wait_ns: how long to wait (VAPIC_TIMER_WAIT).
 */
struct vapic_timer_event {
	uint32_t vector;
	uint64_t wait_ns;
};

/**
 * vapic_timer_poll() - on the vCPU thread, before entering the guest (and
 * whenever kicked): complete a due expiry and say whether to inject.
 * @t: the timer.
 * @flags: VAPIC_POLL_*.
 * @ev: output.
 *
 * Handles everything time-driven: the one-shot/TSC-deadline expiry, the
 * periodic reload and its missed ticks, the advance (tuning it from the
 * observed lateness, KVM's algorithm), the catch-up backlog, retrying a
 * failed host-timer arm.  An interrupt is returned only when the guest TSC
 * has reached its deadline.
 *
 * Context: vCPU thread.
 * Return: an enum vapic_timer_poll_result.
 */
VAPIC_API int vapic_timer_poll(struct vapic_timer *t, uint32_t flags,
			       struct vapic_timer_event *ev);

/** Actions for the host's timer callback, returned by vapic_timer_expired(). */
enum vapic_timer_fn_action {
	/** @VAPIC_TFN_DONE: the host timer stays idle. */
	VAPIC_TFN_DONE = 0,
	/**
	 * @VAPIC_TFN_REARM: restart the host timer at *expires_ns (posted
	 * periodic mode), like returning HRTIMER_RESTART.
	 */
	VAPIC_TFN_REARM = 1,
	/**
	 * @VAPIC_TFN_WAIT: posted mode, fired by the advance: call
	 * vapic_timer_expired() again at *expires_ns (spin: it is at most
	 * the advance away).
	 */
	VAPIC_TFN_WAIT = 2,
};

/**
 * vapic_timer_expired() - the host timer fired.
 * @t: the timer.
 * @expires_ns: output for VAPIC_TFN_REARM / VAPIC_TFN_WAIT.
 *
 * Deferred mode (default): marks the expiry for the vCPU thread (release)
 * and calls host_ops.kick.  Posted mode: waits out the advance (via
 * VAPIC_TFN_WAIT), delivers with host_ops.post, advances a periodic timer
 * and asks for the re-arm; if post fails it falls back to deferred.
 *
 * Context: timer callback, any CPU, possibly hard-irq; never sleeps.
 * Return: an enum vapic_timer_fn_action.
 */
VAPIC_API int vapic_timer_expired(struct vapic_timer *t, uint64_t *expires_ns);

/**
 * vapic_timer_next_deadline() - when the next timer interrupt is due.
 * @t: the timer.
 * @deadline_tsc: output: guest TSC of the next due tick.
 *
 * For halt-polling: a halted vCPU whose own timer is due soon can poll to it.
 * A one-shot or periodic deadline may lie past a guest TSC wrap (a small
 * value while the TSC is near 2^64): compare it with the guest TSC modulo
 * 2^64, (int64_t)(deadline - now); vapic_haltpoll_timer_ns() does it for
 * you, and compares a TSC deadline unsigned as the timer does.
 * Context: vCPU thread.
 * Return: true if a deliverable tick is scheduled (running, unmasked).
 */
VAPIC_API bool vapic_timer_next_deadline(struct vapic_timer *t,
					 uint64_t *deadline_tsc);

/**
 * vapic_timer_advance_ns() - the current timer advance, ns.
 * @t: the timer.
 */
VAPIC_API uint32_t vapic_timer_advance_ns(const struct vapic_timer *t);

/**
 * vapic_timer_has_event() - whether a timer interrupt is ready or due now,
 * without consuming anything: for a host's "is this halted vCPU runnable"
 * check (KVM's kvm_cpu_has_pending_timer()).
 * @t: the timer.
 *
 * True when a tick is pending for injection, the catch-up backlog can
 * deliver, the host timer has fired and the vCPU thread has not polled yet,
 * or the running, deliverable target has been reached in guest TSC.  A true
 * result means vapic_timer_poll() will return INJECT or WAIT.
 *
 * Context: vCPU thread.
 */
VAPIC_API bool vapic_timer_has_event(struct vapic_timer *t);

/**
 * vapic_timer_guest_tsc_changed() - the host changed the guest TSC by
 * @delta_tsc (a guest write to IA32_TSC or IA32_TSC_ADJUST, a new TSC
 * offset).  Call it right after the change is visible to host_ops.guest_tsc.
 * @t: the timer.
 * @delta_tsc: new guest TSC minus old (two's complement).
 *
 * One-shot and periodic counting runs on the APIC bus clock, not on the TSC,
 * so their remaining time in host time is kept: their position moves with
 * the TSC.  A TSC deadline is an absolute TSC value: it stays, and fires
 * earlier or later in host time accordingly (SDM "TSC-Deadline Mode"): at
 * once if the new TSC is at or past it, else when the TSC reaches it.  An
 * expiry already due before the change (the old TSC had reached it) is
 * kept and delivered, whatever the new TSC.
 *
 * Context: vCPU thread.
 * Return: 0 or VAPIC_EHOST (host timer re-arm failed; retried at poll).
 */
VAPIC_API int vapic_timer_guest_tsc_changed(struct vapic_timer *t,
					    int64_t delta_tsc);

/**
 * vapic_timer_set_guest_tsc_khz() - the guest TSC frequency changed (e.g.
 * KVM_SET_TSC_KHZ).  A running one-shot/periodic timer keeps its count and
 * its progress inside the current period; the minimum period is recomputed.
 * @t: the timer.
 * @guest_tsc_khz: VAPIC_KHZ_MIN..VAPIC_KHZ_MAX.
 *
 * Context: vCPU thread.
 * Return: 0, VAPIC_ERANGE (nothing changed), or VAPIC_EHOST.
 */
VAPIC_API int vapic_timer_set_guest_tsc_khz(struct vapic_timer *t,
					    uint32_t guest_tsc_khz);

/**
 * vapic_timer_set_tsc_deadline_exposed() - the host changed whether
 * TSC-deadline mode is exposed (CPUID.01H:ECX[24]), e.g. when it learns the
 * guest's CPUID after creating the vCPU.
 * @t: the timer.
 * @exposed: the new setting.
 *
 * Context: vCPU thread.
 * Return: 0; VAPIC_EBUSY (nothing changed) when hiding the mode while the
 * LVT timer is in TSC-deadline mode.
 */
VAPIC_API int vapic_timer_set_tsc_deadline_exposed(struct vapic_timer *t,
						   bool exposed);

/**
 * vapic_timer_load_regs() - load the timer from a register image, as a
 * hypervisor's "set LAPIC state" call does (KVM_SET_LAPIC carries the APIC
 * register page: LVT timer, divide configuration, initial count, and the
 * current count the timer must resume from).
 * @t: the timer.
 * @lvtt: LVT timer register.  Unimplemented bits are ignored, as an xAPIC
 *	write; TSC-deadline mode reads as one-shot when it is not exposed; the
 *	mask bit is forced while the APIC is software-disabled.
 * @tdcr: divide configuration register (bits 0, 1, 3 used).
 * @tmict: initial count (one-shot and periodic modes).  In TSC-deadline
 *	mode it is not used and TMICT reads 0; in the reserved mode (11b) it
 *	is kept and starts nothing.
 * @tmcct: one-shot and periodic modes: the current count at save time.  The
 *	timer resumes with that many counts (at the loaded divide) to its next
 *	expiry, so that TMCCT reads @tmcct right after the load; a periodic
 *	timer whose period is clamped to the minimum period resumes the same
 *	fraction of the clamped period (TMCCT still reads @tmcct).  0 with a
 *	non-zero @tmict: a one-shot timer has expired and stays stopped; a
 *	periodic timer is at a period boundary (next tick one period away).
 *	A value above @tmict resumes a full period.
 *
 * TSC-deadline mode: the deadline (IA32_TSC_DEADLINE travels separately)
 * is kept if the timer was in TSC-deadline mode before the load, else it is
 * 0.  Anything in flight is dropped: a tick not yet handed to the guest
 * (the image's IRR carries what was delivered), the catch-up backlog, an
 * expiry the host timer reported but the vCPU thread did not poll yet.  A
 * kept TSC deadline that the TSC already reached is not in flight: if it
 * was reached while deliverable it is due (VAPIC_TIMER_DUE, one tick);
 * if while the old LVT was masked or the APIC software-disabled, it
 * expired masked (no tick, and the deadline reads 0).
 * The software-enable state is the caller's (vapic_timer_set_sw_enabled()).
 *
 * Context: vCPU thread, vCPU not running.
 * Return: 0, VAPIC_TIMER_DUE (a kept TSC deadline is already due), or
 * VAPIC_EHOST (host timer arm failed; the state is loaded and arming is
 * retried at poll).
 */
VAPIC_API int vapic_timer_load_regs(struct vapic_timer *t, uint32_t lvtt,
				    uint32_t tdcr, uint32_t tmict,
				    uint32_t tmcct);

/**
 * vapic_timer_target_tsc() - the guest TSC at which the running timer's
 * next tick is due: the deadline behind the host timer's expiry (before the
 * advance was subtracted).  For a host that implements its one host timer
 * with a guest-TSC hardware timer (VMX preemption timer) while the vCPU is
 * in guest mode: called from host_ops.timer_arm, it is the deadline of that
 * arm.  As vapic_timer_next_deadline(), a one-shot or periodic target may
 * lie past a guest TSC wrap: the distance to it is the target minus the
 * guest TSC, modulo 2^64.
 * @t: the timer.
 *
 * Context: vCPU thread (including host_ops.timer_arm).
 * Return: the guest TSC target, or 0 if the timer is not running.
 */
VAPIC_API uint64_t vapic_timer_target_tsc(const struct vapic_timer *t);

/* Save/restore record.  All fields little-endian on x86 hosts. */
#define VAPIC_TIMER_STATE_MAGIC 0x54415056U /* "VPAT" */
#define VAPIC_TIMER_STATE_VERSION 1U

/* struct vapic_timer_state.flags */
#define VAPIC_TSTATE_RUNNING 0x1U /* counting / armed */
#define VAPIC_TSTATE_DUE 0x2U /* expired, interrupt not yet handed over */
#define VAPIC_TSTATE_SW_DISABLED 0x4U /* SVR bit 8 clear */
#define VAPIC_TSTATE_DUE_OLD 0x8U /* a due tick of an earlier LVT vector */
#define VAPIC_TSTATE_FLAGS_ALL 0xfU

/**
 * struct vapic_timer_state - a versioned, checksummed record of a timer's
 * guest-visible state, for save/restore and migration.
 * @magic: VAPIC_TIMER_STATE_MAGIC.
 * @version: VAPIC_TIMER_STATE_VERSION.
 * @size: sizeof(struct vapic_timer_state).
 * @lvtt: LVT timer register.
 * @tmict: initial count.
 * @tdcr: divide configuration.
 * @flags: VAPIC_TSTATE_*.
 * @tsc_deadline: IA32_TSC_DEADLINE, guest TSC (TSC-deadline mode only).
 * @progress: one-shot/periodic: elapsed fraction of the current period, in
 *	units of 2^-64 (so the remaining count resumes exactly, whatever the
 *	destination's TSC offset and ratio).
 * @tmcct: current count at save time (informative; checked for
 *	consistency with @progress).
 * @backlog: catch-up ticks pending.
 * @pending_vector: the vector of the due tick (VAPIC_TSTATE_DUE), else 0.
 * @pending_old_vector: the vector of a due tick programmed before the guest
 *	changed the LVT vector (VAPIC_TSTATE_DUE_OLD), else 0.  It differs
 *	from @pending_vector: each vector has its own IRR bit.  Only with a
 *	newer due tick (VAPIC_TSTATE_DUE): a record with DUE_OLD alone is
 *	refused.
 * @reserved: must be zero.
 * @checksum: vapic_checksum32() over the record with this field zero.
 */
struct vapic_timer_state {
	uint32_t magic;
	uint16_t version;
	uint16_t size;
	uint32_t lvtt;
	uint32_t tmict;
	uint32_t tdcr;
	uint32_t flags;
	uint64_t tsc_deadline;
	uint64_t progress;
	uint32_t tmcct;
	uint32_t backlog;
	uint32_t pending_vector;
	uint32_t pending_old_vector;
	uint32_t reserved[1];
	uint32_t checksum;
};

/**
 * vapic_timer_save() - snapshot the timer.
 * @t: the timer.
 * @s: output record.
 *
 * Context: vCPU thread, vCPU not running.
 * Return: 0, or VAPIC_EINVAL for NULL arguments.
 */
VAPIC_API int vapic_timer_save(struct vapic_timer *t,
			       struct vapic_timer_state *s);

/**
 * vapic_timer_restore() - load a record made by vapic_timer_save(),
 * possibly on another host (other TSC offset/ratio, other bus or TSC
 * frequency settings).  The remaining count resumes from the current guest
 * TSC; a TSC deadline keeps its guest-TSC value; a due tick is delivered at
 * the next poll.
 * @t: the timer (its config and host binding are kept).
 * @s: the record.
 *
 * Context: vCPU thread, vCPU not running.
 * Return: 0; VAPIC_EVERSION for an unknown version; VAPIC_ESTATE for a bad
 * magic, size or checksum, reserved bits or fields, or fields that
 * contradict each other.  On error the timer is untouched.  VAPIC_EHOST if
 * the host timer could not be armed (state loaded; retried at poll).
 */
VAPIC_API int vapic_timer_restore(struct vapic_timer *t,
				  const struct vapic_timer_state *s);

/**
 * vapic_checksum32() - the checksum used by state records (FNV-1a, 32-bit).
 * @data: bytes.
 * @len: length.
 */
VAPIC_API uint32_t vapic_checksum32(const void *data, size_t len);

#endif /* VAPIC_TIMER_H */
