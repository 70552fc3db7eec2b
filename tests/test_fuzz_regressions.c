// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Core bugs found by the fuzzers (fuzz/), one test each, so they stay
 * fixed even where a fuzz corpus changes.  Each test names the corpus input
 * that found it (fuzz/corpus/<target>/regress-*.hex).
 */
#include "vtest.h"
#include "vapic_user.h"
#include <vapic/haltpoll.h>

static uint32_t record_checksum(const struct vapic_timer_state *s)
{
	struct vapic_timer_state c = *s;

	c.checksum = 0;
	return vapic_checksum32(&c, sizeof(c));
}

/*
 * @m, a record edited by the caller, gets its checksum and must be refused
 * (VAPIC_ESTATE) by @t's restore, which leaves @t untouched.
 */
static void assert_restore_refused(struct vapic_timer *t,
				   struct vapic_timer_state *m)
{
	struct vapic_timer before;

	m->checksum = record_checksum(m);
	memcpy(&before, t, sizeof(before));
	assert_int_equal(vapic_timer_restore(t, m), VAPIC_ESTATE);
	assert_memory_equal(&before, t, sizeof(before));
}

/* A periodic timer of @period_ns on vCPU 0 of @vm, vector 0x40, divide 1. */
static struct vclock_vcpu *periodic(struct vclock_vm *vm, uint32_t period_ns)
{
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);

	vt_enable(v);
	assert_true(vclock_write(v, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x20040) >= 0);
	assert_true(vclock_write(v, VAPIC_REG_TMICT, period_ns) >= 0);
	return v;
}

/*
 * regress-restore-backlog-not-periodic.hex: a record carrying catch-up
 * ticks for a timer that is not a running periodic one contradicts itself
 * and must be refused, leaving the timer untouched.
 */
static void restore_refuses_backlog_without_running_periodic(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_timer_state s;

	(void)state;
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	s.backlog = 1;
	assert_restore_refused(&v->lapic.timer, &s);
	vclock_vm_destroy(vm);
}

/*
 * regress-older-due-without-newer.hex: a record with an older due tick
 * (VAPIC_TSTATE_DUE_OLD) but no newer one (VAPIC_TSTATE_DUE), which save
 * never makes, was restored; the next tick of the LVT's vector (the same
 * as the older one's) then became a second due tick of one vector, and
 * the next save made a record that restore refuses.  Refused, timer
 * untouched.
 */
static void restore_refuses_older_due_tick_without_a_newer_one(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = periodic(vm, 300000);
	struct vapic_timer_state s;

	(void)state;
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	s.flags |= VAPIC_TSTATE_DUE_OLD;
	s.pending_old_vector = 0x40;
	assert_restore_refused(&v->lapic.timer, &s);
	vclock_vm_destroy(vm);
}

/* The same for a running TSC-deadline timer (backlog, then a position). */
static void restore_refuses_backlog_or_position_in_tscd_mode(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_timer_state s, m;

	(void)state;
	vt_enable(v);
	assert_true(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40040) >= 0);
	assert_true(vclock_wrmsr_tsc_deadline(v, vclock_guest_tsc(v) +
							 1000000) >= 0);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_RUNNING);

	m = s;
	m.backlog = 1;
	assert_restore_refused(&v->lapic.timer, &m);
	m = s;
	m.progress = 0x80;
	assert_restore_refused(&v->lapic.timer, &m);
	m = s;
	m.tmcct = 1;
	assert_restore_refused(&v->lapic.timer, &m);
	/* The unmodified record still restores. */
	assert_int_equal(vapic_timer_restore(&v->lapic.timer, &s), 0);
	vclock_vm_destroy(vm);
}

/*
 * A record from a catch-up host with 5 ticks of backlog, restored on a
 * coalescing host: at most one tick is pending (the policy), so exactly one
 * interrupt arrives before the next period, not five.
 */
static void restore_coalesces_a_saved_backlog(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = periodic(vm, 1000000);
	struct vapic_timer_state s;

	(void)state;
	vclock_vcpu_set_irq_window(v, false);
	assert_int_equal(vclock_advance(vm, 100000), 0);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_RUNNING);
	assert_false(s.flags & VAPIC_TSTATE_DUE);
	s.backlog = 5;
	s.checksum = record_checksum(&s);
	assert_int_equal(vapic_timer_restore(&v->lapic.timer, &s), 0);
	vclock_vcpu_set_irq_window(v, true);
	assert_int_equal(vclock_advance(vm, 500000), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	assert_int_equal(v->lapic.timer.stats.coalesced, 4);
	vt_vm_destroy(vm);
}

/*
 * regress-catchup-tscd-backlog.hex: under the catch-up policy, a second
 * TSC deadline that expired while the first tick was still pending was
 * queued as a catch-up tick (catch-up is for periodic timers), so the
 * guest got two interrupts for one IRR bit, and the saved record carried a
 * backlog outside periodic mode (which restore refuses).  Now it merges.
 */
static void catchup_merges_a_second_tscd_expiry(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	struct vapic_timer_state s;
	uint64_t now;

	(void)state;
	vclock_config_default(&cfg, 1);
	cfg.lapic.timer.missed_policy = VAPIC_MISSED_CATCHUP;
	cfg.lapic.timer.catchup_max = 8;
	vm = vt_vm_cfg(&cfg);
	v = vclock_vcpu(vm, 0);
	vt_enable(v);
	assert_true(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40040) >= 0);
	now = vclock_guest_tsc(v);
	/* Two deadlines in the past, no poll in between: one tick. */
	assert_true(vapic_timer_write_tsc_deadline(&v->lapic.timer, now - 10) &
		    VAPIC_TIMER_DUE);
	assert_true(vapic_timer_write_tsc_deadline(&v->lapic.timer, now - 5) &
		    VAPIC_TIMER_DUE);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_int_equal(s.backlog, 0);
	assert_int_equal(vapic_timer_restore(&v->lapic.timer, &s), 0);
	vclock_vcpu_kick(v);
	assert_int_equal(vclock_advance(vm, 1000000), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	assert_int_equal(v->lapic.timer.stats.coalesced, 1);
	vt_vm_destroy(vm);
}

/*
 * regress-busy-other-vector.hex: a tick that fell due with vector A was
 * still pending when the guest switched the LVT to vector B, whose IRR bit
 * was set; the LAPIC's "vector busy" (about B) made the coalesce policy
 * drop the A tick: lost.  A has its own IRR bit: it must be handed over.
 */
static void pending_tick_of_another_vector_is_not_dropped(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false; /* the vCPU thread runs only when told */
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20050) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >= 0);
	vclock_vcpu_set_irq_window(v, false);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	vclock_vcpu_enter(v); /* tick 1 (0x50) waits in IRR: IF=0 */
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20040) >= 0);
	assert_int_equal(vclock_run_until(vm, t0 + 410000), 0);
	/* Tick 2 fell due with 0x40; the guest now switches back to 0x50. */
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER, 0x20050) &
		    VAPIC_TIMER_DUE);
	vclock_vcpu_enter(v);
	vclock_vcpu_set_irq_window(v, true);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 1);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	vt_vm_destroy(vm);
}

/*
 * A tick already due (processed by a guest write) must not wait behind
 * the advance window of the next one: before the fix, a poll that found
 * the host timer fired early for the next period returned WAIT and the
 * due tick merged into the next: one interrupt for two periods.
 */
static void due_tick_is_not_held_back_by_the_next_wait(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	uint64_t t0;

	(void)state;
	vclock_config_default(&cfg, 1);
	cfg.lapic.timer.advance_ns = 100000; /* fixed, 100 us */
	vm = vt_vm_cfg(&cfg);
	v = vclock_vcpu(vm, 0);
	t0 = vm->now_ns;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20040) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >= 0);
	/* The 200 us tick is due; the 400 us one is 50 us away. */
	assert_int_equal(vclock_run_until(vm, t0 + 350000), 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER, 0x20040) &
		    VAPIC_TIMER_DUE);
	/* The re-armed host timer fires (advance window) before the poll. */
	assert_int_equal(vclock_settle(vm), 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	assert_int_equal(vm->log[0].host_ns, t0 + 350000);
	v->auto_enter = true;
	assert_int_equal(vclock_run_until(vm, t0 + 450000), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 2);
	vt_vm_destroy(vm);
}

/*
 * regress-held-while-sw-disabled.hex: a periodic tick fell due while the
 * APIC was enabled, but the host timer was late, so the core processed it
 * only when the guest software-disabled the APIC; handed over while
 * disabled, the LAPIC refused it: lost.  The SDM holds pending interrupts
 * while software-disabled; the timer now holds its due tick until the APIC
 * is enabled again.
 */
static void tick_due_before_sw_disable_is_held(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->timer_latency_ns = 10000000; /* the host timer fires 10 ms late */
	vt_enable(v);
	assert_true(vclock_write(v, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x20055) >= 0);
	assert_true(vclock_write(v, VAPIC_REG_TMICT, 300000) >= 0);
	assert_int_equal(vclock_run_until(vm, t0 + 350000), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x55), 0);
	assert_true(vclock_write(v, VAPIC_REG_SVR, 0xff) >= 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x55), 0);
	assert_true(vclock_write(v, VAPIC_REG_SVR, 0x1ff) >= 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x55), 1);
	vt_vm_destroy(vm);
}

/*
 * Found by libFuzzer (fuzz/corpus/timer/regress-merge-other-vector.hex):
 * a tick that falls due while the timer still holds a due tick of another
 * vector merged into it, losing an interrupt.  A LAPIC has one IRR bit per
 * vector: both must arrive.  Reached by a compliant host that saves and
 * restores the vCPU between a vector-changing LVT write and its poll.
 */
static void tick_of_another_vector_keeps_its_own_interrupt(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_timer_state s;
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20040) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	/* The guest changes the vector; the 0x40 tick is now pending. */
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20050) &
		    VAPIC_TIMER_DUE);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_true(s.flags & VAPIC_TSTATE_DUE);
	assert_int_equal(vapic_timer_restore(&v->lapic.timer, &s), 0);
	/* Resumed after the next boundary (a 0x50 tick). */
	assert_int_equal(vclock_run_until(vm, t0 + 420000), 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x40), 1);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 1);
	vt_vm_destroy(vm);
}

/* The same without save/restore: the host polls late, after a boundary. */
static void late_poll_after_vector_change_delivers_both(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20041) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	/* The write itself makes the 0x41 tick pending (no poll yet). */
	assert_true(vapic_timer_write_lvtt(&v->lapic.timer, 0x20051, false) &
		    VAPIC_TIMER_DUE);
	assert_int_equal(vclock_run_until(vm, t0 + 410000), 0);
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_log_count(vm, 0, 0x41), 1);
	assert_int_equal(vclock_log_count(vm, 0, 0x51), 1);
	assert_int_equal(v->lapic.timer.stats.coalesced, 0);
	vt_vm_destroy(vm);
}

/* Both due ticks travel in the record, and both arrive after restore. */
static void saved_record_carries_the_older_pending_tick(void **state)
{
	struct vclock_vm *vm = vt_vm(2);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0), *w = vclock_vcpu(vm, 1);
	struct vapic_timer_state s;
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false;
	w->auto_enter = false;
	vt_enable(v);
	vt_enable(w);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20042) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	assert_true(vapic_timer_write_lvtt(&v->lapic.timer, 0x20052, false) &
		    VAPIC_TIMER_DUE);
	assert_int_equal(vclock_run_until(vm, t0 + 410000), 0);
	assert_int_equal(vapic_timer_save(&v->lapic.timer, &s), 0);
	assert_int_equal(s.flags & (VAPIC_TSTATE_DUE | VAPIC_TSTATE_DUE_OLD),
			 VAPIC_TSTATE_DUE | VAPIC_TSTATE_DUE_OLD);
	assert_int_equal(s.pending_old_vector, 0x42);
	assert_int_equal(s.pending_vector, 0x52);
	assert_int_equal(vapic_timer_restore(&w->lapic.timer, &s), 0);
	vclock_vcpu_enter(w);
	assert_int_equal(vclock_log_count(vm, 1, 0x42), 1);
	assert_int_equal(vclock_log_count(vm, 1, 0x52), 1);
	vclock_vm_destroy(vm);
}

/*
 * A third vector before any poll breaks poll-before-entry (each LVT write
 * is an exit the host must poll after): the tick merges, and the host's
 * programming error is reported with VAPIC_WARN_ON.
 */
static void third_vector_without_poll_warns_and_merges(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	unsigned long warns = vapic_user_warn_count();
	uint64_t t0 = vm->now_ns;

	(void)state;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20043) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	(void)vapic_timer_write_lvtt(&v->lapic.timer, 0x20053, false);
	assert_int_equal(vclock_run_until(vm, t0 + 410000), 0);
	(void)vapic_timer_write_lvtt(&v->lapic.timer, 0x20063, false);
	assert_int_equal(vapic_user_warn_count(), warns);
	assert_int_equal(vclock_run_until(vm, t0 + 610000), 0);
	(void)vapic_timer_write_lvtt(&v->lapic.timer, 0x20073, false);
	assert_int_equal(vapic_user_warn_count(), warns + 1);
	assert_int_equal(v->lapic.timer.stats.coalesced, 1);
	vclock_vm_destroy(vm);
}

/* One LAPIC poll moves both due ticks into IRR before the guest runs. */
static void lapic_poll_moves_both_due_ticks_into_irr(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	uint64_t t0 = vm->now_ns, wait_ns;
	uint32_t vec, irr;

	(void)state;
	v->auto_enter = false;
	vt_enable(v);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, 0xb) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
				      0x20044) >= 0);
	assert_true(vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 200000) >=
		    0);
	assert_int_equal(vclock_run_until(vm, t0 + 210000), 0);
	(void)vapic_timer_write_lvtt(&v->lapic.timer, 0x20054, false);
	assert_int_equal(vclock_run_until(vm, t0 + 410000), 0);
	assert_int_equal(vapic_lapic_poll(&v->lapic, &vec, &wait_ns),
			 VAPIC_LAPIC_INJECT);
	assert_int_equal(vec, 0x54);
	assert_int_equal(vapic_lapic_read(&v->lapic, VAPIC_REG_IRR0 + 0x20,
					  &irr),
			 0);
	/* 0x44 and 0x54 both live in IRR word 2 (vectors 0x40-0x5f). */
	assert_true(irr & (1U << (0x44 & 31)));
	assert_true(irr & (1U << (0x54 & 31)));
	assert_false(v->lapic.timer.pending | v->lapic.timer.pending_old);
	vclock_vm_destroy(vm);
}

/*
 * The haltpoll regressions' common start: ADAPTIVE with
 * VAPIC_HALTPOLL_F_EVENTS (and @cfg's other defaults), per-VM maximum
 * @vm_max_ns unless 0, then 64 halts, each 1280 ns after the last one
 * ended, woken @wake_ns after it began.  Returns the time the last one
 * ended.
 */
static uint64_t haltpoll_train_events(struct vapic_haltpoll *hp,
				      struct vapic_haltpoll_config *cfg,
				      uint32_t vm_max_ns, uint64_t wake_ns)
{
	uint64_t t = 0, poll;
	int i;

	assert_int_equal(
		vapic_haltpoll_config_default(cfg, VAPIC_HALTPOLL_ADAPTIVE), 0);
	cfg->flags = VAPIC_HALTPOLL_F_EVENTS;
	assert_int_equal(vapic_haltpoll_init(hp, cfg), 0);
	if (vm_max_ns)
		vapic_haltpoll_set_vm_max(hp, vm_max_ns);
	for (i = 0; i < 64; i++) {
		t += 1280;
		assert_int_equal(vapic_haltpoll_begin(
					 hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
				 0);
		t += wake_ns;
		assert_int_equal(vapic_haltpoll_end(hp, t, t, 0), 0);
	}
	return t;
}

/*
 * regress-zero-length-cut-wait.hex (fuzz target 'haltpoll'): with
 * VAPIC_HALTPOLL_F_EVENTS, an invalid wake-up already pending when the vCPU
 * halts ends a halt of 0 ns; the next halt still goes on with that wait
 * (docs/haltpoll.md "Continuation"), whose age is then the run between the
 * halts, so its window + age stays within the maximum.  The core used age
 * 0 as "no unfinished wait" and polled a whole new window.
 */
static void haltpoll_zero_length_invalid_halt_continues_the_wait(void **state)
{
	struct vapic_haltpoll_config cfg;
	struct vapic_haltpoll hp;
	uint64_t t, poll;

	(void)state;
	/* Wake-ups 1536 ns after the halt: the predictor polls for them. */
	t = haltpoll_train_events(&hp, &cfg, 2000, 1536);
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 2000);
	/* An invalid wake-up pending at once: a halt of 0 ns. */
	t += 1280;
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_int_equal(vapic_haltpoll_end(&hp, t, t, VAPIC_HALT_INVALID), 0);
	/* The vCPU ran 1280 ns: the wait has lasted that long. */
	t += 1280;
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_true(poll + 1280 <= 2000);
	assert_int_equal(vapic_haltpoll_end(&hp, t, t, 0), 0);
}

/*
 * regress-age-capped-at-lower-max.hex (fuzz target 'haltpoll'): with
 * VAPIC_HALTPOLL_F_EVENTS, a wait cut short by an invalid wake-up while the
 * per-VM maximum is low keeps its real age when the maximum is raised
 * again: the next halt's window + that age stays within the new maximum.
 * The core capped the age at the maximum in force when the halt ended.
 */
static void haltpoll_wait_age_survives_a_raised_maximum(void **state)
{
	struct vapic_haltpoll_config cfg;
	struct vapic_haltpoll hp;
	uint64_t t, poll;

	(void)state;
	/* Wake-ups 147456 ns after the halt: the window learns them. */
	t = haltpoll_train_events(&hp, &cfg, 0, 147456);
	assert_true(vapic_haltpoll_window_ns(&hp) >= 147456);
	/* Maximum 1000 ns: a halt blocks 65536 ns, then an invalid wake-up. */
	vapic_haltpoll_set_vm_max(&hp, 1000);
	t += 1280;
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_true(poll <= 1000);
	assert_int_equal(
		vapic_haltpoll_end(&hp, t + poll, t + poll + 65536,
				   VAPIC_HALT_WAITED | VAPIC_HALT_INVALID),
		0);
	t += poll + 65536;
	/* The maximum goes back up; the wait goes on, 65536+ ns old. */
	vapic_haltpoll_set_vm_max(&hp, 199984);
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_true(poll == 0 || poll + 65536 <= 199984);
	assert_int_equal(vapic_haltpoll_end(&hp, t, t, 0), 0);
}

/*
 * regress-event-without-f-events-ignored.hex (fuzz target 'haltpoll'):
 * vapic_haltpoll_event() is ignored without VAPIC_HALTPOLL_F_EVENTS.  The
 * core kept a report made while the flag was off, and when the flag was
 * set again the next halt took it as the end of the wait an invalid
 * wake-up had cut short: it polled a whole window for the rest of that
 * wait (window + age > maximum).
 */
static void haltpoll_event_without_f_events_is_ignored(void **state)
{
	struct vapic_haltpoll_config cfg, off;
	struct vapic_haltpoll hp;
	uint64_t t, poll;

	(void)state;
	t = haltpoll_train_events(&hp, &cfg, 2000, 1536);
	off = cfg;
	off.flags = 0;
	assert_int_equal(vapic_haltpoll_window_ns(&hp), 2000);
	/* An invalid wake-up: the wait goes on at the next halt. */
	t += 1280;
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_int_equal(vapic_haltpoll_end(&hp, t, t, VAPIC_HALT_INVALID), 0);
	/* A report while F_EVENTS is off is ignored. */
	assert_int_equal(vapic_haltpoll_set_config(&hp, &off), 0);
	vapic_haltpoll_event(&hp);
	assert_int_equal(vapic_haltpoll_set_config(&hp, &cfg), 0);
	t += 1280;
	assert_int_equal(
		vapic_haltpoll_begin(&hp, t, VAPIC_HALTPOLL_NO_TIMER, &poll),
		0);
	assert_true(poll + 1280 <= 2000);
	assert_int_equal(vapic_haltpoll_end(&hp, t, t, 0), 0);
}

/*
 * fuzz/corpus/lapic/regress-lowest-physical-self.hex: a lowest-priority IPI
 * whose physical destination is the sender's own ID has one possible
 * target, the sender (SDM "Lowest Priority Delivery Mode"); it was lost.
 */
static void lapic_lowest_priority_ipi_to_own_physical_id_is_delivered(
	void **state)
{
	struct vclock_vm *vm = vt_vm(2);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_lapic *l = &v->lapic;
	uint64_t wait_ns;
	uint32_t vec = 0;

	(void)state;
	v->auto_enter = false;
	assert_int_equal(vapic_lapic_write(l, VAPIC_REG_SVR, 0x1ff), 0);
	assert_int_equal(vapic_lapic_write(l, VAPIC_REG_ICR_HI, 0), 0);
	assert_true(vapic_lapic_write(l, VAPIC_REG_ICR_LO, 0x141) >= 0);
	assert_int_equal(vapic_lapic_poll(l, &vec, &wait_ns),
			 VAPIC_LAPIC_INJECT);
	assert_int_equal(vec, 0x41);
	assert_int_equal(l->stats.ipi_self, 1);
	vt_vm_destroy(vm);
}

/*
 * fuzz/corpus/lapic/regress-cr8-while-disabled.hex: CR8 written while the
 * APIC is globally disabled; the saved record must restore.
 */
static void lapic_disabled_apic_with_cr8_saves_and_restores(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_lapic *l = &vclock_vcpu(vm, 0)->lapic;
	struct vapic_lapic_state s;

	(void)state;
	assert_true(vapic_lapic_set_apic_base(
			    l, vapic_lapic_apic_base(l) & ~VAPIC_APIC_BASE_EN,
			    false) >= 0);
	assert_int_equal(vapic_lapic_set_cr8(l, 12), 0);
	assert_int_equal(vapic_lapic_save(l, &s), 0);
	assert_int_equal(vapic_lapic_restore(l, &s), 0);
	assert_int_equal(vapic_lapic_cr8(l), 12);
	assert_int_equal(vapic_lapic_mode(l), VAPIC_APIC_DISABLED);
	vt_vm_destroy(vm);
}

/*
 * regress-dfr-undefined-model.hex (fuzz target 'lapic'): a DFR write with
 * a model nibble the SDM defines nothing for (here 0101b; only 1111b flat
 * and 0000b cluster are defined) is kept as written (and decoded as
 * cluster), and a record saved with it restores.  Restore refused it
 * (VAPIC_ESTATE): save produced a record that could not be migrated.
 */
static void lapic_dfr_with_undefined_model_saves_and_restores(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_lapic *l = &vclock_vcpu(vm, 0)->lapic;
	struct vapic_lapic_state s;
	uint32_t dfr;

	(void)state;
	assert_int_equal(vapic_lapic_write(l, VAPIC_REG_DFR, 0x5fffffffU), 0);
	assert_int_equal(vapic_lapic_read(l, VAPIC_REG_DFR, &dfr), 0);
	assert_int_equal(dfr, 0x5fffffffU);
	assert_int_equal(vapic_lapic_save(l, &s), 0);
	assert_int_equal(vapic_lapic_restore(l, &s), 0);
	assert_int_equal(vapic_lapic_read(l, VAPIC_REG_DFR, &dfr), 0);
	assert_int_equal(dfr, 0x5fffffffU);
	/* Bits 27:0 still read as ones: a record without them is refused. */
	s.dfr = 0x50000000U;
	s.checksum = 0;
	s.checksum = vapic_checksum32(&s, sizeof(s));
	assert_int_equal(vapic_lapic_restore(l, &s), VAPIC_ESTATE);
	vt_vm_destroy(vm);
}

/*
 * Found by the timer fuzz target's register-image loads
 * (fuzz/corpus/timer/regress-load-masked-tscd.hex): a TSC deadline the
 * TSC reached while the LVT timer was masked fired without an interrupt
 * (RDMSR reads 0), but nothing had taken the expiry yet (no host timer is
 * armed for a masked timer) when the host loaded an image in TSC-deadline
 * mode without the mask: vapic_timer_load_regs() kept the deadline as one
 * "already due" and delivered the masked expiry.
 */
static void load_keeps_no_deadline_that_fired_masked(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = vclock_vcpu(vm, 0);
	struct vapic_timer *t = &v->lapic.timer;
	uint64_t t0 = vm->now_ns;

	(void)state;
	vt_enable(v);
	assert_true(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x50050) >= 0);
	assert_int_equal(
		vapic_timer_write_tsc_deadline(t, vclock_guest_tsc(v) + 1000),
		0);
	assert_int_equal(vclock_run_until(vm, t0 + 100000), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(t), 0);
	assert_int_equal(vapic_timer_load_regs(t, 0x40050, 0xb, 0, 0), 0);
	assert_int_equal(vapic_timer_read_tsc_deadline(t), 0);
	assert_false(vapic_timer_has_event(t));
	vclock_vcpu_enter(v);
	assert_int_equal(vclock_run_until(vm, t0 + 200000), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 0);
	assert_int_equal(t->stats.masked, 1);
	vt_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			restore_refuses_backlog_without_running_periodic),
		cmocka_unit_test(
			restore_refuses_backlog_or_position_in_tscd_mode),
		cmocka_unit_test(restore_coalesces_a_saved_backlog),
		cmocka_unit_test(
			restore_refuses_older_due_tick_without_a_newer_one),
		cmocka_unit_test(catchup_merges_a_second_tscd_expiry),
		cmocka_unit_test(pending_tick_of_another_vector_is_not_dropped),
		cmocka_unit_test(due_tick_is_not_held_back_by_the_next_wait),
		cmocka_unit_test(tick_due_before_sw_disable_is_held),
		cmocka_unit_test(tick_of_another_vector_keeps_its_own_interrupt),
		cmocka_unit_test(late_poll_after_vector_change_delivers_both),
		cmocka_unit_test(saved_record_carries_the_older_pending_tick),
		cmocka_unit_test(third_vector_without_poll_warns_and_merges),
		cmocka_unit_test(lapic_poll_moves_both_due_ticks_into_irr),
		cmocka_unit_test(
			haltpoll_zero_length_invalid_halt_continues_the_wait),
		cmocka_unit_test(haltpoll_wait_age_survives_a_raised_maximum),
		cmocka_unit_test(haltpoll_event_without_f_events_is_ignored),
		cmocka_unit_test(
			lapic_lowest_priority_ipi_to_own_physical_id_is_delivered),
		cmocka_unit_test(lapic_disabled_apic_with_cr8_saves_and_restores),
		cmocka_unit_test(
			lapic_dfr_with_undefined_model_saves_and_restores),
		cmocka_unit_test(load_keeps_no_deadline_that_fired_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
