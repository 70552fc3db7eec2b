/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic host interface: everything the core needs from the hypervisor
 * that embeds it.
 *
 * The host fills one struct vapic_host_ops (usually a static const table) and
 * passes it with an opaque per-vCPU context pointer, "host", to the objects it
 * creates.  The core never allocates, never sleeps and never takes a lock of
 * its own; what it needs is asked for here.
 *
 * Contexts used below:
 *  - "vCPU thread": the thread that runs the vCPU and handles its exits.
 *    Calls into the core for one vCPU are serialised on this thread by the
 *    host (a single vCPU is never entered twice at once).
 *  - "timer callback": the host's timer expiry handler for this vCPU's host
 *    timer.  It may run on any CPU, concurrently with the vCPU thread (an
 *    hrtimer in hard-irq context, a timer thread, or, in the virtual-clock
 *    adapter, the simulation loop).  At most one callback per vCPU runs at a
 *    time.
 *  - "any": either of the above, or another vCPU's thread.
 *
 * Units are in the names: *_ns is host nanoseconds on the host's monotonic
 * clock (the one now_ns() reads); *_tsc is the guest's time-stamp counter.
 */
#ifndef VAPIC_HOST_H
#define VAPIC_HOST_H

#include <vapic/types.h>

struct vapic_ipi;

/* Log levels for vapic_host_ops.log. */
enum vapic_log_level {
	VAPIC_LOG_ERR = 0,
	VAPIC_LOG_WARN = 1,
	VAPIC_LOG_INFO = 2,
	VAPIC_LOG_DEBUG = 3,
};

/**
 * struct vapic_host_ops - operations a host provides to libvapic.
 *
 * All callbacks receive the per-vCPU @host pointer given at init.  Unless a
 * member is marked optional it must be set; init functions return
 * VAPIC_EINVAL for a table with a required member missing.  No callback may
 * call back into the same libvapic object, except where stated.
 */
struct vapic_host_ops {
	/**
	 * @now_ns: read the host's monotonic clock, in ns.
	 *
	 * Context: any.  Must be cheap, must not sleep or take a lock that
	 * the timer callback may hold.  Must never go backwards.
	 */
	uint64_t (*now_ns)(void *host);

	/**
	 * @guest_tsc: read this vCPU's guest TSC now, i.e. the host TSC with
	 * the vCPU's TSC scaling ratio and offset applied (see
	 * vapic_clock_guest_tsc()).
	 *
	 * Context: any.  Same constraints as @now_ns.  Must never go
	 * backwards for one vCPU.
	 */
	uint64_t (*guest_tsc)(void *host);

	/**
	 * @timer_arm: arm this vCPU's one host timer to fire at @expires_ns
	 * (absolute, on the @now_ns clock).  If @expires_ns is already past,
	 * the timer fires as soon as possible.  The timer must never fire
	 * before @expires_ns.  (If it does, by more than the largest advance
	 * plus 1 us, the core logs a warning and arms it again rather than
	 * spinning to the deadline; it never injects early either way.)
	 * When it fires, the host calls vapic_timer_expired() from its timer
	 * callback.
	 *
	 * The core cancels (with @timer_cancel) before it re-arms, so a host
	 * never sees two arms without a cancel or an expiry in between.  After
	 * an expiry the core may arm again without cancelling, as soon as the
	 * callback's vapic_timer_expired() has handed the expiry over --
	 * possibly while that callback is still returning (after its @kick):
	 * the host must accept that, as hrtimers do (a timer thread must not
	 * lose the new arm when its callback returns).
	 *
	 * Context: vCPU thread.  Must not sleep in kernel hosts.
	 * Return: 0, or a negative VAPIC_E* code (the core keeps the
	 * deadline, reports VAPIC_EHOST and retries at the next poll).
	 */
	int (*timer_arm)(void *host, uint64_t expires_ns);

	/**
	 * @timer_cancel: cancel this vCPU's host timer, synchronously: on
	 * return the timer callback for an earlier arm is neither running nor
	 * will it run (like hrtimer_cancel()).  Harmless when nothing is
	 * armed.
	 *
	 * Context: vCPU thread.  Never called from the timer callback.
	 */
	void (*timer_cancel)(void *host);

	/**
	 * @kick: make the vCPU thread come back to the core soon: force the
	 * vCPU out of guest mode, or wake it if it is blocked in halt.  The
	 * thread then calls vapic_timer_poll() (or vapic_lapic_poll()).
	 *
	 * Context: any, including the timer callback in hard-irq context.
	 * Must not sleep.  Idempotent.  Must never wait for the vCPU thread:
	 * the vCPU thread may itself be waiting in @timer_cancel for the
	 * callback that is calling @kick.
	 */
	void (*kick)(void *host);

	/**
	 * @post: optional.  Deliver @vector to the guest without a vCPU exit
	 * (a posted interrupt, seed 000: "exitless timer"), from a timer
	 * callback that may run on another CPU.  Used only with
	 * VAPIC_TIMER_F_POSTED: the vector goes to interrupt state outside
	 * the core (see there).
	 *
	 * Context: timer callback, any CPU.  Must not sleep, and must never
	 * wait for the vCPU thread (which may be in @timer_cancel).
	 * Return: 0 if the vector was posted; a negative VAPIC_E* code if it
	 * cannot be posted now, in which case the core falls back to marking
	 * the tick pending and calling @kick.
	 */
	int (*post)(void *host, uint32_t vector);

	/**
	 * @send_ipi: optional.  struct vapic_lapic needs it for IPIs to
	 * other vCPUs: without it they are dropped and counted in its
	 * stats.ipi_failed (a one-vCPU VM needs none; self-IPIs never use
	 * it).  Deliver an interrupt that this vCPU's LAPIC sends
	 * through its ICR to the destination(s) described by @ipi.  The host
	 * resolves the destination to vCPUs: for each LAPIC for which
	 * vapic_lapic_match_dest() is true it calls vapic_lapic_receive()
	 * (lowest priority: only on the one vapic_lapic_lowest_priority()
	 * picks, which may be the sender).  Self-IPIs never reach the host:
	 * the core delivers to the sender itself.
	 *
	 * Context: vCPU thread of the sender.  Must not sleep in kernel hosts.
	 * Return: 0 or a negative VAPIC_E* code.
	 */
	int (*send_ipi)(void *host, const struct vapic_ipi *ipi);

	/**
	 * @map_guest: optional.  Translate the guest-physical range
	 * [@gpa, @gpa + @len) to a host pointer that stays valid, and may be
	 * accessed with atomics from any context, until @unmap_guest.  The
	 * range must lie entirely within guest RAM (not MMIO, not a ROM).
	 *
	 * Context: vCPU thread.  May sleep in kernel hosts (it pins pages).
	 * Return: the host address, or NULL if the range is not guest RAM.
	 */
	void *(*map_guest)(void *host, uint64_t gpa, uint32_t len);

	/**
	 * @unmap_guest: optional (required if @map_guest is set).  Release a
	 * mapping made by @map_guest.
	 *
	 * Context: vCPU thread.
	 */
	void (*unmap_guest)(void *host, void *hva, uint32_t len);

	/**
	 * @log: optional.  A diagnostic from the core: a static message and
	 * two numbers whose meaning the message states.  The core logs only
	 * on rare paths (guest misbehaviour, host failures), never per exit.
	 *
	 * Context: any.  Must not sleep; should rate-limit.
	 */
	void (*log)(void *host, int level, const char *msg, uint64_t a,
		    uint64_t b);
};

/**
 * vapic_host_ops_valid() - check that a host ops table has the members the
 * timer needs (@now_ns, @guest_tsc, @timer_arm, @timer_cancel, @kick, and
 * @unmap_guest whenever @map_guest is set).
 * @ops: the table.
 *
 * Context: any.
 * Return: true if usable.
 */
VAPIC_API bool vapic_host_ops_valid(const struct vapic_host_ops *ops);

#endif /* VAPIC_HOST_H */
