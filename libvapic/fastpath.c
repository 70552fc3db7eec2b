// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fastpath exit dispatch: one switch over the exit reason, the hot LAPIC
 * exits handled at once (seed 004, "Virtual IPI Fastpath" and "Virtual
 * TSC-Deadline Timer Fastpath"), everything else left to the caller's slow
 * path.  The only indirect calls are the host ops the work needs.
 */
#include "lapic_internal.h"
#include <vapic/fastpath.h>

const struct vapic_stat_desc vapic_exit_stat_descs[] = {
#define D(f)                                                                \
	{                                                                   \
#f, (u32) __builtin_offsetof(struct vapic_exit_stats, f), 1 \
	}
	D(exits),
	D(msr_write_exits),
	D(msr_read_exits),
	D(mmio_exits),
	D(halt_exits),
	D(preemption_timer_exits),
	D(host_timer_exits),
	D(irq_window_exits),
	D(signal_exits),
	D(other_exits),
	D(fastpath_resume),
	D(fastpath_inject),
	D(fastpath_host),
	D(fastpath_slow),
	D(tscdeadline_writes),
	D(icr_writes),
	D(eoi_writes),
	D(tmict_writes),
	D(gp_injections),
#undef D
};
const uint32_t vapic_exit_stat_ndescs = VAPIC_ARRAY_SIZE(vapic_exit_stat_descs);

VAPIC_BUILD_BUG_ON(sizeof(struct vapic_exit_stats) != 19 * sizeof(uint64_t));

VAPIC_API int vapic_fastpath_init(struct vapic_fastpath *fp,
				  struct vapic_lapic *lapic)
{
	if (!fp || !lapic)
		return VAPIC_EINVAL;
	__builtin_memset(fp, 0, sizeof(*fp));
	fp->lapic = lapic;
	return 0;
}

/* The general LAPIC poll at guest TSC @now: its result into @e. */
static VAPIC_ALWAYS_INLINE void poll_lapic_at(struct vapic_lapic *l,
					      struct vapic_exit *e, u64 now)
{
	u64 wait_ns;
	u32 v;

	switch (lapic_poll_at_(l, &v, &wait_ns, now)) {
	case VAPIC_LAPIC_INJECT:
		e->actions |= VAPIC_EXIT_ACT_INJECT;
		e->vector = v;
		break;
	case VAPIC_LAPIC_WAIT:
		e->actions |= VAPIC_EXIT_ACT_WAIT;
		e->wait_ns = wait_ns;
		break;
	default:
		break;
	}
}

/*
 * Run the LAPIC's poll: what to inject now, or how long to wait.  @r is
 * lapic_poll_fast_()'s result at @now (with @v) if the caller ran it, else
 * -1.
 */
static VAPIC_ALWAYS_INLINE void poll_lapic_rest(struct vapic_lapic *l,
						struct vapic_exit *e, int r,
						u32 v, u64 now)
{
	if (r == VAPIC_LAPIC_INJECT) {
		e->actions |= VAPIC_EXIT_ACT_INJECT;
		e->vector = v;
	} else if (r < 0) {
		poll_lapic_at(l, e, now);
	}
}

static VAPIC_ALWAYS_INLINE void poll_lapic(struct vapic_lapic *l,
					   struct vapic_exit *e)
{
	u64 now = timer_now_tsc_(&l->timer);
	int r = timer_fire_ready_(&l->timer) ? lapic_poll_fast_leaf_(l, now)
					     : LAPIC_FAST_NOT_TAKEN;

	if (r == LAPIC_FAST_NONE)
		return;
	if (r >= 0)
		poll_lapic_rest(l, e, VAPIC_LAPIC_INJECT, (u32)r, now);
	else
		poll_lapic_rest(l, e, -1, 0, now);
}

/* Turn the actions into the result, and count it. */
static VAPIC_ALWAYS_INLINE int result(struct vapic_fastpath *fp,
				      struct vapic_exit *e)
{
	if (VAPIC_LIKELY(!e->actions)) {
		STAT_INC_(fp->stats.fastpath_resume);
		return VAPIC_FP_RESUME;
	}
	if (e->actions == VAPIC_EXIT_ACT_INJECT) {
		STAT_INC_(fp->stats.fastpath_inject);
		return VAPIC_FP_INJECT;
	}
	STAT_INC_(fp->stats.fastpath_host);
	return VAPIC_FP_HOST;
}

/* A register access returned @act (LAPIC ACT bits or an error). */
static int finish(struct vapic_fastpath *fp, struct vapic_exit *e, int act)
{
	struct vapic_lapic *l = fp->lapic;

	if (VAPIC_UNLIKELY(act < 0)) {
		/* VAPIC_EFAULT: the PV EOI word is not guest RAM. */
		if (act == VAPIC_ERSVD || act == VAPIC_EFAULT) {
			STAT_INC_(fp->stats.gp_injections);
			e->actions |= VAPIC_EXIT_ACT_GP;
		} else if (act == VAPIC_EHOST) {
			e->actions |= VAPIC_EXIT_ACT_ERROR;
			e->error = act;
		}
		/*
		 * VAPIC_ENOENT (reserved xAPIC register: ESR set) and
		 * VAPIC_ENOTSUP (page not decoded: all ones / dropped) are
		 * complete, architecturally.
		 */
		return result(fp, e);
	}
	if (act & VAPIC_LAPIC_ACT_POLL)
		poll_lapic(l, e);
	if (VAPIC_UNLIKELY(act & ~VAPIC_LAPIC_ACT_POLL)) {
		if (act & VAPIC_LAPIC_ACT_EOI) {
			e->actions |= VAPIC_EXIT_ACT_EOI;
			e->eoi_vector = vapic_lapic_eoi_vector(l);
		}
		if (act & VAPIC_LAPIC_ACT_EVENT)
			e->actions |= VAPIC_EXIT_ACT_EVENT;
		if (act & VAPIC_LAPIC_ACT_BASE)
			e->actions |= VAPIC_EXIT_ACT_BASE;
	}
	return result(fp, e);
}

/* deliver() past the timer's fast path (@r, @v, @now: its result). */
static VAPIC_NOINLINE int deliver_rest(struct vapic_fastpath *fp,
				       struct vapic_exit *e, bool halt, int r,
				       u32 v, u64 now)
{
	struct vapic_lapic *l = fp->lapic;

	poll_lapic_rest(l, e, r, v, now);
	if (VAPIC_UNLIKELY(VAPIC_READ_ONCE(l->events)))
		e->actions |= VAPIC_EXIT_ACT_EVENT;
	if (halt && !e->actions) {
		STAT_INC_(fp->stats.fastpath_slow);
		return VAPIC_FP_SLOW;
	}
	return result(fp, e);
}

/*
 * Timer, window, kick and HLT exits: deliver what is due, report events.
 * The hot case first (seed 004, timer fire + inject): the timer's tick is
 * the vector to inject and no event is pending; @e->actions is 0 here.
 */
static VAPIC_ALWAYS_INLINE int deliver(struct vapic_fastpath *fp,
				       struct vapic_exit *e, bool halt)
{
	struct vapic_lapic *l = fp->lapic;
	u64 now;
	int r;

	if (VAPIC_LIKELY(timer_fire_ready_(&l->timer))) {
		now = timer_now_tsc_(&l->timer);
		r = lapic_poll_fast_ready_(l, now);
		if (VAPIC_LIKELY(r >= 0 && r < LAPIC_FAST_NONE &&
				 !VAPIC_READ_ONCE(l->events))) {
			e->actions = VAPIC_EXIT_ACT_INJECT;
			e->vector = (u32)r;
			STAT_INC_(fp->stats.fastpath_inject);
			return VAPIC_FP_INJECT;
		}
	} else {
		now = timer_now_tsc_(&l->timer);
		r = LAPIC_FAST_NOT_TAKEN;
	}
	if (r == LAPIC_FAST_NONE)
		return deliver_rest(fp, e, halt, VAPIC_LAPIC_NONE, 0, now);
	if (r >= 0)
		return deliver_rest(fp, e, halt, VAPIC_LAPIC_INJECT, (u32)r,
				    now);
	return deliver_rest(fp, e, halt, -1, 0, now);
}

/* One out-of-line copy per kind, reached from the switch by a tail call. */
static VAPIC_NOINLINE int deliver_run(struct vapic_fastpath *fp,
				      struct vapic_exit *e)
{
	return deliver(fp, e, false);
}

static VAPIC_NOINLINE int deliver_halt(struct vapic_fastpath *fp,
				       struct vapic_exit *e)
{
	return deliver(fp, e, true);
}

static int slow(struct vapic_fastpath *fp)
{
	STAT_INC_(fp->stats.fastpath_slow);
	return VAPIC_FP_SLOW;
}

static void count_write(struct vapic_fastpath *fp, u32 off)
{
	switch (off) {
	case VAPIC_REG_ICR_LO:
	case VAPIC_REG_SELF_IPI:
		STAT_INC_(fp->stats.icr_writes);
		break;
	case VAPIC_REG_EOI:
		STAT_INC_(fp->stats.eoi_writes);
		break;
	case VAPIC_REG_TMICT:
		STAT_INC_(fp->stats.tmict_writes);
		break;
	default:
		break;
	}
}

/* The TSC-deadline write off its fast path. */
static VAPIC_NOINLINE int tsc_deadline_write_slow(struct vapic_fastpath *fp,
						  struct vapic_exit *e, int act)
{
	if (act == TIMER_WRITE_SLOW_)
		act = timer_write_tsc_deadline_slow_(&fp->lapic->timer,
						     e->data);
	if (!act) {
		STAT_INC_(fp->stats.fastpath_resume);
		return VAPIC_FP_RESUME;
	}
	return finish(fp, e, act);
}

/* Any WRMSR but the TSC-deadline fast path's (msr_write_exits counted). */
static VAPIC_NOINLINE int exit_wrmsr(struct vapic_fastpath *fp,
				     struct vapic_exit *e)
{
	struct vapic_lapic *l = fp->lapic;

	if (!vapic_lapic_msr_owned(e->msr))
		return slow(fp);
	/* Outside TSC-deadline mode, or masked: the general path. */
	if (e->msr == VAPIC_MSR_TSC_DEADLINE &&
	    (l->timer.cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))
		STAT_INC_(fp->stats.tscdeadline_writes);
	if (e->msr >= VAPIC_MSR_X2APIC_FIRST && e->msr <= VAPIC_MSR_X2APIC_LAST)
		count_write(fp, (e->msr - VAPIC_MSR_X2APIC_FIRST) << 4);
	return finish(fp, e, vapic_lapic_wrmsr(l, e->msr, e->data));
}

/*
 * WRMSR IA32_TSC_DEADLINE in TSC-deadline mode, LVT unmasked (counted):
 * the timer's fast path inlined (timer_fast.h).  @t is fp->lapic's timer
 * (one base register for all the timer's fields).
 */
static VAPIC_NOINLINE int tsc_deadline_write(struct vapic_fastpath *fp,
					     struct vapic_exit *e,
					     struct vapic_timer *t)
{
	int act = timer_write_tsc_deadline_inl_(t, e->data);

	if (VAPIC_LIKELY(!act)) {
		STAT_INC_(fp->stats.fastpath_resume);
		return VAPIC_FP_RESUME;
	}
	return tsc_deadline_write_slow(fp, e, act);
}

static VAPIC_NOINLINE int exit_rdmsr(struct vapic_fastpath *fp,
				     struct vapic_exit *e)
{
	struct vapic_lapic *l = fp->lapic;

	if (!vapic_lapic_msr_owned(e->msr))
		return slow(fp);
	return finish(fp, e, vapic_lapic_rdmsr(l, e->msr, &e->data));
}

static VAPIC_NOINLINE int exit_mmio_write(struct vapic_fastpath *fp,
					  struct vapic_exit *e)
{
	struct vapic_lapic *l = fp->lapic;
	u32 off;

	if (!vapic_lapic_mmio_match(l, e->gpa, &off))
		return slow(fp);
	count_write(fp, off);
	return finish(fp, e, vapic_lapic_mmio_write(l, off, e->size, e->data));
}

static VAPIC_NOINLINE int exit_mmio_read(struct vapic_fastpath *fp,
					 struct vapic_exit *e)
{
	struct vapic_lapic *l = fp->lapic;
	u32 off;

	if (!vapic_lapic_mmio_match(l, e->gpa, &off))
		return slow(fp);
	return finish(fp, e, vapic_lapic_mmio_read(l, off, e->size, &e->data));
}

/*
 * This exit is the host timer's expiry, on the vCPU thread: hand it over
 * and complete it here, in posted mode too (its callback's WAIT / REARM
 * would have nobody to act on them).
 */
static VAPIC_NOINLINE int exit_preemption_timer(struct vapic_fastpath *fp,
						struct vapic_exit *e)
{
	timer_expired_vcpu_(&fp->lapic->timer);
	return deliver(fp, e, false);
}

/*
 * The dispatch: every case counts its exit and tail-calls its handler, so
 * that no case pays for another's registers.
 */
VAPIC_API int vapic_fastpath_handle(struct vapic_fastpath *fp,
				    struct vapic_exit *e)
{
	e->actions = 0;
	STAT_INC_(fp->stats.exits);
	/* The hottest exits first, ahead of the switch (seed 004). */
	if (VAPIC_LIKELY(e->reason == VAPIC_EXIT_WRMSR &&
			 e->msr == VAPIC_MSR_TSC_DEADLINE)) {
		struct vapic_timer *t = &fp->lapic->timer;

		/*
		 * TSC-deadline mode implies that the mode is exposed (the
		 * LVT write, load and restore refuse it otherwise).
		 */
		if (VAPIC_LIKELY((t->lvtt & TIMER_LVTT_MODE_MASKED_) ==
				 TIMER_LVTT_TSCD_)) {
			STAT_INC_(fp->stats.msr_write_exits);
			STAT_INC_(fp->stats.tscdeadline_writes);
			return tsc_deadline_write(fp, e, t);
		}
	}
	/* The host timer's exit: the timer fire + inject path. */
	if (VAPIC_LIKELY(e->reason == VAPIC_EXIT_HOST_TIMER)) {
		STAT_INC_(fp->stats.host_timer_exits);
		return deliver_run(fp, e);
	}
	switch (e->reason) {
	case VAPIC_EXIT_WRMSR:
		STAT_INC_(fp->stats.msr_write_exits);
		return exit_wrmsr(fp, e);
	case VAPIC_EXIT_RDMSR:
		STAT_INC_(fp->stats.msr_read_exits);
		return exit_rdmsr(fp, e);
	case VAPIC_EXIT_MMIO_WRITE:
		STAT_INC_(fp->stats.mmio_exits);
		return exit_mmio_write(fp, e);
	case VAPIC_EXIT_MMIO_READ:
		STAT_INC_(fp->stats.mmio_exits);
		return exit_mmio_read(fp, e);
	case VAPIC_EXIT_HLT:
		STAT_INC_(fp->stats.halt_exits);
		return deliver_halt(fp, e);
	case VAPIC_EXIT_PREEMPTION_TIMER:
		STAT_INC_(fp->stats.preemption_timer_exits);
		return exit_preemption_timer(fp, e);
	case VAPIC_EXIT_IRQ_WINDOW:
		STAT_INC_(fp->stats.irq_window_exits);
		return deliver_run(fp, e);
	case VAPIC_EXIT_KICK:
		STAT_INC_(fp->stats.signal_exits);
		return deliver_run(fp, e);
	default:
		STAT_INC_(fp->stats.other_exits);
		return slow(fp);
	}
}
