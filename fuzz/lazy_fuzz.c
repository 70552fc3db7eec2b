// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: lazy TSC-deadline against hostile page contents and
 * protocol-MSR writes, interleaved with time steps on the virtual clock
 * (adapters/vclock).  One vCPU, deferred or posted delivery.
 *
 * Input: byte 0 selects the mode (bit 0 posted, bit 1 honest guest, bits
 * 2-3 timer advance); then a script of operations, one opcode byte plus
 * arguments, read until the input ends (missing bytes read as 0).
 *
 * Two kinds of guest:
 *  - honest (bit 1): it follows the protocol (G0-G4) through the library's
 *    own guest functions, and never writes host fields.  Then the guest's
 *    own oracles hold: never early (each interrupt delivers a deadline
 *    that was due and still current when due, or comes when the guest's
 *    current deadline is due), never lost (a halt on the current deadline
 *    ends with an interrupt at or after it, within a bound), no duplicate
 *    delivery of a deadline;
 *  - hostile: additionally writes any field of any candidate block with
 *    any value, writes IA32_TSC_DEADLINE without G1, writes arbitrary
 *    protocol-MSR values, and creeps "pending" at every host timer fire.
 *    The guest can then only hurt itself, so only the host's oracles hold.
 *
 * Host oracles, always: vclock_check() (every timer interrupt at or after
 * its deadline, the core's stats.early 0, at most one host timer ever, no
 * arm/cancel from the callback, no bad unmap, never stuck); at most one
 * block mapped; the host writes only "armed", and only in blocks it
 * accepted (everything else in guest RAM keeps its contents); host timer
 * arms between two exits the guest paid for stay within
 * 3 + elapsed / min_period_ns (+ arm failures injected; rule H4), and
 * every fire comes from an arm.  Any violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/lapic.h>
#include <vapic/lazy.h>
#include <vapic/timer.h>

#include "../tests/lazy_oracle.h"
#include "fuzz.h"
#include "vclock.h"

#define KHZ 1000000U /* guest TSC = ns */
#define VEC 0x40U
#define LVTT_TSCD (0x40000U | VEC)
#define RAM_SIZE 0x10000U
#define MAX_REMAPS 16 /* each keeps a copy of guest RAM until the end */
#define HOLE_GPA 0x8000U
#define HOLE_LEN 0x1000U
#define PATTERN 0x5aU
#define NSLOTS 4
#define MAX_STEPS 256
#define MIN_PERIOD_NS VAPIC_MIN_PERIOD_NS_DEFAULT

/* Candidate blocks (64-byte aligned); the last is the end of RAM. */
static const uint64_t slot_gpa[NSLOTS] = { 0x1000, 0x1040, 0x7fc0,
					   RAM_SIZE - 64 };

/* What an input reached (fuzz_summary(), for the seed corpus review). */
struct reached {
	bool deferred, posted, honest, hostile, enabled, refused, skipped;
	bool moved, clamped, delivered, halted, disarmed, disabled, init;
	bool restored, masked, mode_switch, periodic, faults, creep, garbage;
	bool remapped;
	uint64_t ops, events, deliveries;
};

static struct reached last_reached;

static uint64_t slot_gpa_of(int i);

struct fz {
	struct reached r;
	const uint8_t *p;
	size_t n;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	struct vapic_timer *t;
	bool posted, honest;
	/* guest view */
	int gslot;	/* enabled block, -1 none */
	bool masked, tscmode, swen;
	/* the guest's deadlines (virtual ns = guest TSC; guest ops are
	 * instantaneous: a deadline starts when the one before is superseded) */
	struct lazy_oracle o;
	uint64_t last_raise;
	size_t log_seen;
	/* the guest's own writes to each candidate block (expected bytes) */
	uint8_t shadow[NSLOTS][64];
	bool accepted[NSLOTS]; /* the host may write "armed" here */
	/* one-shot/periodic ticks (not judged by the lazy oracles) */
	bool counted;		/* TMICT written in another mode */
	uint64_t unmasked_at;	/* a deadline due before this was masked */
	uint64_t restore_tsc[8]; /* a restored due tick is "due" then */
	unsigned int nrestore;
	uint64_t tscd_since;	/* back in TSC-deadline mode since */
	/* rate bound */
	uint64_t paid_ns, paid_arms, paid_faults, faults;
	uint32_t remaps;
	uint64_t op_arms;	/* arms before the current operation */
	uint64_t fault_tsc;	/* when a host fault was last injected */
	/* creep */
	uint64_t creep_step;
};

static bool tracing;

/* FUZZ_LAZY_TRACE=1: one line per operation and per delivery. */
static void trace(struct fz *f, const char *what, uint64_t a, uint64_t b)
{
	if (tracing)
		fprintf(stderr, "%12llu ns tsc %llu: %s %llu %llu (armed %llu pending %llu)\n",
			(unsigned long long)f->vm->now_ns,
			(unsigned long long)vclock_guest_tsc(f->v), what,
			(unsigned long long)a, (unsigned long long)b,
			f->gslot >= 0 ? (unsigned long long)
						((struct vapic_lazy_page *)(f->vm->mem +
							slot_gpa_of(f->gslot)))->armed : 0ULL,
			f->gslot >= 0 ? (unsigned long long)
						((struct vapic_lazy_page *)(f->vm->mem +
							slot_gpa_of(f->gslot)))->pending : 0ULL);
}

static void fail(struct fz *f, const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "lazy_fuzz: %s (%llu, %llu) at %llu ns, %s mode, %s guest\n",
		what, (unsigned long long)a, (unsigned long long)b,
		(unsigned long long)f->vm->now_ns,
		f->posted ? "posted" : "deferred",
		f->honest ? "honest" : "hostile");
	fprintf(stderr, "lazy_fuzz: host: arms %llu rearms %llu waits %llu fires %llu kicks %llu\n",
		(unsigned long long)f->v->stats.arms,
		(unsigned long long)f->v->stats.rearms,
		(unsigned long long)f->v->stats.callback_waits,
		(unsigned long long)f->v->stats.fires,
		(unsigned long long)f->v->stats.kicks);
	fprintf(stderr, "lazy_fuzz: timer: running %d target %llu hw_armed %d need_arm %d lvtt %#x sw_disabled %d pending %d armed(host) %d\n",
		f->t->running, (unsigned long long)f->t->target_tsc,
		f->t->hw_armed, f->t->need_arm, f->t->lvtt, f->t->sw_disabled,
		f->t->pending, vclock_timer_armed(f->v, NULL));
	abort();
}

static uint8_t u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static uint64_t un(struct fz *f, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)u8(f) << (8 * i);
	return v;
}

static uint64_t slot_gpa_of(int i)
{
	return slot_gpa[i];
}

static uint64_t now_tsc(struct fz *f)
{
	return vclock_guest_tsc(f->v);
}

static struct vapic_lazy_page *slot(struct fz *f, int i)
{
	return (struct vapic_lazy_page *)(f->vm->mem + slot_gpa[i]);
}

/* The guest writes a field of a block (kept in the shadow copy). */
static void gwrite(struct fz *f, int i, unsigned int off, const void *src,
		   unsigned int len)
{
	memcpy((uint8_t *)slot(f, i) + off, src, len);
	memcpy(f->shadow[i] + off, src, len);
}

/*
 * Host timer fires so far, not counting a posted callback's re-call at the
 * end of its advance-window spin (VAPIC_TFN_WAIT): rule H4 bounds these.
 * (Re-arms are not bounded by time: the vCPU thread's own polls, which run
 * anyway, may re-arm; each re-arm is clamped, so fires stay spaced.)
 */
static void arms_now(struct fz *f, uint64_t *arms)
{
	*arms = f->v->stats.fires - f->v->stats.callback_waits;
}

static void check_deliveries(struct fz *f);

/*
 * An exit the guest paid for: the vCPU thread polls before re-entering the
 * guest (vclock queued that entry for now: run it), and the rate-bound
 * window restarts.
 */
static void paid(struct fz *f)
{
	/* The exit's own arms count in the window it opens. */
	f->paid_arms = f->op_arms;
	f->paid_ns = f->vm->now_ns;
	f->paid_faults = f->faults;
	vclock_vcpu_enter(f->v); /* poll + inject before re-entry */
	if (vclock_settle(f->vm))
		abort();
	check_deliveries(f);
	/* A further exit of the same operation opens its own window. */
	arms_now(f, &f->op_arms);
}

/* ---------------------------------------------------------------------- */
/* Oracles                                                                */

static void check_rate(struct fz *f)
{
	uint64_t arms, bound;

	/*
	 * Host timer fires since the last paid exit: its own deadline's, one
	 * exact lazy re-arm's, then one per min period (unpaid lazy moves, or
	 * a periodic timer's periods, never both), plus a retry per injected
	 * fault; +1 for a fire at the window's edge.
	 */
	arms_now(f, &arms);
	bound = 3 + (f->vm->now_ns - f->paid_ns) / MIN_PERIOD_NS +
		(f->faults - f->paid_faults);
	if (arms - f->paid_arms > bound)
		fail(f, "host timer fires exceed the rate bound",
		     arms - f->paid_arms, bound);
	if (f->v->stats.fires > f->v->stats.arms + f->v->stats.rearms +
					f->v->stats.callback_waits)
		fail(f, "host timer fired without an arm", f->v->stats.fires,
		     f->v->stats.arms);
}

/*
 * Guest oracle: one delivery at @ns for @d (vclock's annotation).  (a) @d
 * was the guest's, due at @ns and not superseded before it was due; (b)
 * the guest's deadline current at @ns was due; (c) a tick that was due
 * when the timer was saved and restored is labelled with the restore time
 * (VAPIC_TSTATE_DUE): it was justified when it fell due, before.
 */
static bool justified(struct fz *f, uint64_t ns, uint64_t d,
		      struct lazy_oracle_ent **a)
{
	*a = NULL;
	for (unsigned int k = 0; k < 8 && k < f->nrestore; k++)
		if (d && d == f->restore_tsc[k])
			return true;
	return lazy_oracle_justified(&f->o, ns, d, a);
}

static void check_deliveries(struct fz *f)
{
	char msg[256];

	if (vclock_check(f->vm, msg, sizeof(msg))) {
		fprintf(stderr, "lazy_fuzz: vclock: %s\n", msg);
		fail(f, "vclock invariant", 0, 0);
	}
	if (f->vm->maps_outstanding > 1)
		fail(f, "more than one block mapped",
		     (uint64_t)f->vm->maps_outstanding, 0);
	for (; f->log_seen < f->vm->log_len; f->log_seen++) {
		const struct vclock_delivery *l = &f->vm->log[f->log_seen];
		struct lazy_oracle_ent *e;

		if (l->vector != VEC || !(l->flags & VCLOCK_DELIVERY_TIMER))
			continue;
		if (l->guest_tsc > f->last_raise)
			f->last_raise = l->guest_tsc;
		trace(f, "delivered (tsc, deadline)", l->guest_tsc,
		      l->deadline_tsc);
		f->r.delivered = true;
		f->r.deliveries++;
		if (!f->honest)
			continue;
		/*
		 * A one-shot/periodic tick: in that mode, or due before the
		 * switch back to TSC-deadline mode (handed over late).
		 */
		if (!f->tscmode ||
		    (f->counted && l->deadline_tsc <= f->tscd_since))
			continue;
		if (!justified(f, l->guest_tsc, l->deadline_tsc, &e))
			fail(f, "early delivery", l->guest_tsc, l->deadline_tsc);
		if (e) {
			if (e->taken)
				fail(f, "deadline delivered twice", l->guest_tsc,
				     e->deadline_tsc);
			e->taken = true;
		}
	}
	check_rate(f);
}

/* Guest RAM outside accepted "armed" fields is exactly what the guest
 * wrote. */
static void check_ram(struct fz *f)
{
	for (uint64_t a = 0; a < RAM_SIZE; a++) {
		uint8_t want = PATTERN, got = f->vm->mem[a];
		int s = -1;

		for (int i = 0; i < NSLOTS; i++)
			if (a >= slot_gpa[i] && a < slot_gpa[i] + 64)
				s = i;
		if (s >= 0) {
			unsigned int off = (unsigned int)(a - slot_gpa[s]);

			if (off < 8 && f->accepted[s])
				continue; /* "armed": the host's */
			want = f->shadow[s][off];
		}
		if (got != want)
			fail(f, "guest RAM changed by the host", a, got);
	}
}

/* ---------------------------------------------------------------------- */
/* Guest operations                                                       */

static void new_deadline(struct fz *f, uint64_t d)
{
	lazy_oracle_supersede(lazy_oracle_set(&f->o, d, f->vm->now_ns),
			      f->vm->now_ns);
}

/* The honest set_next_event(): G1-G4 through the library, then the exit. */
static void gset(struct fz *f, uint64_t d)
{
	bool trap = true;

	if (!f->tscmode)
		return; /* the guest programs TSC deadlines in that mode only */
	if (f->gslot >= 0) {
		struct vapic_lazy_page *pg = slot(f, f->gslot);

		trap = vapic_lazy_guest_set_deadline(pg, d);
		memcpy(f->shadow[f->gslot] + 8, &pg->pending, 8);
		if (!trap)
			f->r.skipped = true;
	}
	if (!d)
		f->r.disarmed = true;
	new_deadline(f, d);
	trace(f, trap ? "set (trap)" : "set (no exit)", d, 0);
	if (trap) {
		(void)vclock_wrmsr_tsc_deadline(f->v, d);
		paid(f);
	}
}

/* Write the LVT the guest wants (f->masked, f->tscmode); @was: masked before. */
static void lvt(struct fz *f, bool was)
{
	uint32_t val = (f->masked ? VAPIC_LVT_MASKED : 0) |
		       (f->tscmode ? LVTT_TSCD : VEC);

	(void)vclock_write(f->v, VAPIC_REG_LVT_TIMER, val);
	/* SDM: while the APIC is software-disabled the mask bit stays set. */
	if (!f->swen)
		f->masked = true;
	if (was && !f->masked)
		f->unmasked_at = now_tsc(f);
	paid(f);
}

static void lazy_msr(struct fz *f, uint64_t val)
{
	int r = vapic_lazy_write_msr(f->t, val);

	trace(f, "protocol MSR (value, result)", val, (uint64_t)(int64_t)r);
	paid(f);
	if (r < 0) {
		f->r.refused = true;
		return; /* #GP: nothing changed */
	}
	if (f->gslot >= 0)
		f->r.disabled = true;
	f->gslot = -1;
	if (val & VAPIC_LAZY_MSR_ENABLE) {
		for (int i = 0; i < NSLOTS; i++)
			if ((val & VAPIC_LAZY_MSR_GPA_MASK) == slot_gpa[i])
				f->gslot = i;
		if (f->gslot < 0)
			fail(f, "a block outside the candidates was accepted",
			     val, 0);
		f->accepted[f->gslot] = true;
		f->r.enabled = true;
	}
}

/*
 * Honest enable: G0 (zero, version), then the MSR.  G0 is for a block the
 * protocol does not use: re-enabling the block in use disables it first
 * (zeroing it in place would overwrite the guest's own lazy deadline).
 */
static void enable(struct fz *f, int i)
{
	struct vapic_lazy_page pg;

	if (f->gslot == i)
		lazy_msr(f, 0);
	vapic_lazy_guest_page_init(&pg);
	gwrite(f, i, 0, &pg, sizeof(pg));
	lazy_msr(f, vapic_lazy_guest_msr_value(slot_gpa[i]));
}

static void creep_hook(void *arg, struct vclock_vcpu *v)
{
	struct fz *f = arg;
	uint64_t p = vclock_guest_tsc(v) + f->creep_step;

	trace(f, "fire (creep: pending)", p, f->v->stats.arms + f->v->stats.rearms);
	if (f->gslot >= 0)
		gwrite(f, f->gslot, 8, &p, 8);
}

static void advance(struct fz *f, uint64_t ns)
{
	uint64_t end = f->vm->now_ns + ns;

	/* Event by event, so every delivery is checked when it happens. */
	while (f->vm->now_ns < end) {
		uint64_t next;

		if (!vclock_next_event_ns(f->vm, &next) || next > end) {
			if (vclock_run_until(f->vm, end))
				fail(f, "virtual clock stuck", end, 0);
			break;
		}
		if (vclock_run_until(f->vm, next))
			fail(f, "virtual clock stuck", next, 0);
		check_deliveries(f);
	}
	check_deliveries(f);
}

/* Halt until an interrupt at or after the current deadline (honest). */
static void halt(struct fz *f)
{
	struct lazy_oracle_ent *e = lazy_oracle_cur(&f->o);
	uint64_t limit;

	/* A deadline that fell due while masked was dropped (SDM). */
	if (!f->honest || !e->deadline_tsc || e->sup_tsc || f->masked ||
	    !f->tscmode || !f->swen || f->last_raise >= e->deadline_tsc ||
	    e->deadline_tsc <= f->unmasked_at)
		return;
	/*
	 * Late by at most: one unpaid re-arm gap, advance, latencies; from
	 * the deadline, or from when it was set if that was later (a
	 * deadline already in the past is due at the next poll).
	 */
	limit = e->deadline_tsc > e->start_tsc ? e->deadline_tsc : e->start_tsc;
	/*
	 * A failed host-timer arm (any injected fault may have hit any later
	 * arm, e.g. a lazy re-arm) is retried at the next poll: the halt's.
	 */
	if (f->faults && now_tsc(f) > limit)
		limit = now_tsc(f);
	limit += 2 * MIN_PERIOD_NS + 1000000;
	if (limit < e->deadline_tsc)
		return; /* far-future deadline: nothing to wait for */
	while (f->last_raise < e->deadline_tsc) {
		if (f->vm->now_ns > limit)
			fail(f, "deadline lost", e->deadline_tsc, f->vm->now_ns);
		/* The halted vCPU's thread polls (a failed arm is retried). */
		vclock_vcpu_enter(f->v);
		advance(f, 10000);
	}
	f->r.halted = true;
}

/*
 * The host puts a copy of guest RAM on new memory (a memslot re-created
 * elsewhere, a replaced page) and maps the block again.  The guest sees
 * the same bytes; the host must too, except "pending" of its block, which
 * the remap clears (R4: the copy's value is stale, the deadline is in the
 * timer).  A failed map (an injected fault) changes nothing, and the
 * guest must not run on the new memory until a remap succeeds: the host
 * retries first (the fault was one-shot).
 */
static void remap(struct fz *f)
{
	int r;

	if (f->remaps >= MAX_REMAPS)
		return;
	f->remaps++;
	if (vclock_mem_replace(f->vm, true))
		abort();
	r = vapic_lazy_remap(f->t);
	trace(f, "remap (result)", (uint64_t)(int64_t)r, 0);
	if (r == VAPIC_EFAULT) {
		f->r.faults = true;
		r = vapic_lazy_remap(f->t);
		trace(f, "remap again (result)", (uint64_t)(int64_t)r, 0);
	}
	if (r < 0)
		fail(f, "remap failed", (uint64_t)(int64_t)r, 0);
	for (int i = 0; i < NSLOTS && vapic_lazy_enabled(f->t); i++)
		if (slot_gpa[i] ==
		    (vapic_lazy_read_msr(f->t) & VAPIC_LAZY_MSR_GPA_MASK))
			memset(f->shadow[i] + 8, 0, 8);
	if (r >= 0 && f->gslot >= 0)
		f->r.remapped = true;
}

static void step(struct fz *f)
{
	uint8_t op = u8(f);
	uint64_t x;

	f->r.ops++;
	arms_now(f, &f->op_arms);
	trace(f, "op", op % 16, f->n);
	switch (op % 16) {
	case 0: /* time passes */
	case 1:
		advance(f, (un(f, 1) + 1) << (u8(f) % 20));
		break;
	case 2: /* set_next_event(now + delta), delta may be negative */
	case 3:
		x = un(f, 2) << (u8(f) % 12);
		gset(f, now_tsc(f) + x - (op & 1 ? 0 : x / 4 + 1));
		break;
	case 4: /* exactly / just past what the host has armed */
		if (f->gslot >= 0)
			gset(f, slot(f, f->gslot)->armed + u8(f) % 3);
		break;
	case 5: /* disarm */
		gset(f, 0);
		break;
	case 6: /* mask / unmask, mode switch */
	{
		bool was = f->masked;

		x = u8(f);
		if (x & 1)
			f->masked = !f->masked;
		if (x & 2) {
			f->tscmode = !f->tscmode;
			if (f->tscmode) /* before: the write may deliver */
				f->tscd_since = now_tsc(f);
		}
		lvt(f, was);
		if (x & 2) {
			new_deadline(f, 0); /* a mode switch disarms */
			f->r.mode_switch = true;
		}
		if (f->masked)
			f->r.masked = true;
		break;
	}
	case 7: /* software enable / disable */
		f->swen = !f->swen;
		(void)vclock_write(f->v, VAPIC_REG_SVR, f->swen ? 0x1ff : 0xff);
		if (!f->swen)
			f->masked = true;
		paid(f);
		break;
	case 8: /* protocol MSR */
		x = u8(f);
		if (x & 0x80 && !f->honest)
			lazy_msr(f, un(f, 8));
		else if (x & 0x40)
			lazy_msr(f, x & 0x20 ? slot_gpa[x % NSLOTS] : 0);
		else
			enable(f, (int)(x % NSLOTS));
		break;
	case 9: /* INIT */
		f->r.init = true;
		vapic_lapic_reset(&f->v->lapic);
		f->gslot = -1;
		f->masked = true;
		f->tscmode = false;
		f->swen = false;
		new_deadline(f, 0);
		paid(f);
		break;
	case 10: /* save and restore on the same vCPU */
	{
		struct vapic_timer_state st;

		f->restore_tsc[f->nrestore++ % 8] = now_tsc(f);
		if (!vapic_timer_save(f->t, &st)) {
			paid(f); /* save re-arms, too */
			if (vapic_timer_restore(f->t, &st) < 0)
				fail(f, "restore of a fresh save failed", 0, 0);
		}
		f->r.restored = true;
		paid(f);
		break;
	}
	case 11: /* halt until the deadline */
		halt(f);
		break;
	case 12: /* one-shot / periodic count */
		(void)vclock_write(f->v, VAPIC_REG_TMICT, (uint32_t)un(f, 3));
		if (!f->tscmode) {
			f->r.periodic = true;
			f->counted = true;
		}
		paid(f);
		break;
	case 13: /* host faults; or new memory behind guest RAM (remap) */
		x = u8(f);
		if (x & 0x80) {
			remap(f);
			break;
		}
		vclock_fault_next(f->v, (enum vclock_op)(x % VCLOCK_OP_NR), 1);
		f->faults++;
		f->fault_tsc = now_tsc(f);
		f->r.faults = true;
		break;
	case 14: /* hostile: any field of any block, any value */
		if (!f->honest) {
			int i = u8(f) % NSLOTS;
			unsigned int off = (u8(f) % 8) * 8;

			x = un(f, 8);
			gwrite(f, i, off, &x, 8);
			f->r.garbage = true;
		}
		break;
	case 15: /* hostile: WRMSR without G1, or creep for a while */
		if (f->honest)
			break;
		if (u8(f) & 1) {
			x = un(f, 8);
			(void)vclock_wrmsr_tsc_deadline(f->v, x);
			paid(f);
		} else {
			f->creep_step = un(f, 2) + 1;
			f->r.creep = true;
			f->vm->fire_hook = creep_hook;
			f->vm->fire_hook_arg = f;
			advance(f, (un(f, 1) + 1) * 100000);
			f->vm->fire_hook = NULL;
		}
		break;
	}
	check_deliveries(f);
}

/* Honest ending: everything on, one last deadline, halt on it. */
static void finish(struct fz *f)
{
	if (!f->honest)
		return;
	arms_now(f, &f->op_arms);
	if (!f->swen) {
		f->swen = true;
		(void)vclock_write(f->v, VAPIC_REG_SVR, 0x1ff);
	}
	if (f->masked || !f->tscmode) {
		if (!f->tscmode) {
			new_deadline(f, 0);
			f->tscd_since = now_tsc(f);
		}
		bool was = f->masked;

		f->masked = false;
		f->tscmode = true;
		lvt(f, was);
	}
	for (int i = 0; i < VCLOCK_OP_NR; i++)
		vclock_fault_clear(f->v, (enum vclock_op)i);
	gset(f, now_tsc(f) + 50000);
	halt(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vclock_config cfg;
	struct vapic_lazy_config lc;
	struct fz f;
	uint8_t mode;

	memset(&f, 0, sizeof(f));
	tracing = getenv("FUZZ_LAZY_TRACE") != NULL;
	f.p = data;
	f.n = size;
	mode = u8(&f);
	f.posted = mode & 1;
	f.honest = mode & 2;

	vclock_config_default(&cfg, 1);
	cfg.host_tsc_khz = KHZ;
	cfg.lapic.timer.guest_tsc_khz = KHZ;
	cfg.lapic.timer.advance_ns = (mode >> 2) % 4 == 0 ? VAPIC_ADVANCE_ADAPTIVE :
				     (int32_t)((mode >> 2) % 4 - 1) * 20000;
	cfg.lapic.timer.min_period_ns = MIN_PERIOD_NS;
	if (f.posted)
		cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	cfg.mem_size = RAM_SIZE;
	cfg.max_events = 1000000;
	if (vclock_vm_create(&cfg, &f.vm))
		abort();
	f.v = vclock_vcpu(f.vm, 0);
	f.t = &f.v->lapic.timer;
	f.v->post_enabled = f.posted;
	f.v->timer_pinned = !f.posted;
	f.v->timer_latency_ns = (mode >> 4) * 1000;
	memset(f.vm->mem, PATTERN, RAM_SIZE);
	for (int i = 0; i < NSLOTS; i++)
		memset(f.shadow[i], PATTERN, 64);
	if (vclock_mem_add_hole(f.vm, HOLE_GPA, HOLE_LEN))
		abort();
	vapic_lazy_config_default(&lc);
	if (vapic_lazy_setup(f.t, &lc))
		abort();
	f.gslot = -1;
	f.swen = true;
	f.tscmode = true;
	(void)vclock_write(f.v, VAPIC_REG_SVR, 0x1ff);
	(void)vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVTT_TSCD);
	arms_now(&f, &f.op_arms);
	paid(&f);
	enable(&f, 0);

	for (int s = 0; s < MAX_STEPS && f.n; s++)
		step(&f);
	finish(&f);
	check_deliveries(&f);
	check_ram(&f);
	{
		struct vapic_lazy_stats ls;

		vapic_lazy_get_stats(f.t, &ls);
		f.r.moved = ls.moves > 0;
		f.r.clamped = ls.clamped > 0;
	}
	f.r.events = f.vm->events;
	f.r.posted = f.posted;
	f.r.deferred = !f.posted;
	f.r.honest = f.honest;
	f.r.hostile = !f.honest;
	last_reached = f.r;
	vclock_vm_destroy(f.vm);
	return 0;
}

void fuzz_summary(char *buf, size_t len)
{
	const struct reached *r = &last_reached;
	static const struct fuzz_flag names[] = {
#define R(f) FUZZ_FLAG(struct reached, f)
		R(deferred), R(posted),	     R(honest),	     R(hostile),
		R(enabled),  R(refused),     R(skipped),     R(moved),
		R(clamped),  R(delivered),   R(halted),	     R(disarmed),
		R(disabled), R(init),	     R(restored),    R(masked),
		R(mode_switch), R(periodic), R(faults),	     R(creep),
		R(garbage),  R(remapped),
#undef R
	};

	fuzz_summary_flags(buf, len, r->ops, r->events, r->deliveries, r,
			   names, sizeof(names) / sizeof(names[0]));
}
