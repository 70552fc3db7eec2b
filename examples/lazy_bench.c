// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * lazy_bench - lazy TSC-deadline on the virtual clock (a benchmark, not a
 * test): the exits a guest timer pattern costs with and without the
 * protocol, printed like the table of seed 002.
 *
 *   lazy_bench [--seconds S] [--seed N] [--posted]
 *
 * The guest is simulated on adapters/vclock: its clock-event code keeps a
 * set of timers and calls set_next_event(min of them) whenever that minimum
 * changes, through the library's guest decision function (with the
 * protocol) or straight to the IA32_TSC_DEADLINE WRMSR (without).
 *
 * Patterns (defined from seed 002's description before measuring; the
 * numbers are Linux defaults and the seed's setting, not tuned):
 *
 *  tcp_rr   netperf TCP_RR-like: a vCPU that wakes for every transaction
 *           (seed 002's run: ~2M wake-up IPIs, ~3 deadline writes each).
 *           Linux NOHZ idle, HZ=1000: on every wake the tick is restarted
 *           (deadline = the next 1 ms boundary), on every idle entry it is
 *           stopped (deadline = the next timer-wheel event, 1..10 ms out):
 *           the deadline is re-programmed later many times per expiry.
 *           Some earlier ones: 2% of transactions arm a short hrtimer
 *           (50..500 us) in their busy period, cancelled at its end.  Busy
 *           ~ Exp(10 us), idle ~ Exp(15 us): ~40k transactions/s.
 *  tick     a periodic 1 ms tick (HZ=1000, no NOHZ): every tick's handler
 *           programs the next one.  The control: nothing to gain.
 *
 * Columns: TSC-deadline MSR-write exits; timer exits (deferred delivery:
 * host timer fires that kick a running guest out; a fire while the guest
 * is halted wakes its thread instead and is counted apart; posted fires
 * are exitless and counted apart); timer interrupts; lazy moves/clamped
 * re-arms;
 * and the guest's own checks: lost deadlines (one that stayed its deadline
 * until due and got no interrupt within 2 x min period + 100 us) and early
 * interrupts (one that was not for a deadline that was due and still the
 * guest's when due, nor came while the guest's deadline was due), plus the
 * core's stats.early and vclock_check().  Virtual time only: the counts are
 * deterministic for a seed; nothing here is a wall-clock measurement.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/lapic.h>
#include <vapic/lazy.h>
#include <vapic/timer.h>

#include "vclock.h"

#define LAZY_ORACLE_HIST 64
#include "../tests/lazy_oracle.h" /* the guest's "never early" check */

#define KHZ 1000000U /* guest TSC = ns */
#define VEC 0xecU    /* Linux's LOCAL_TIMER_VECTOR */
#define LVTT_TSCD (0x40000U | VEC)
#define PAGE_GPA 0x1000ULL
#define US 1000ULL
#define MS 1000000ULL
#define TICK_NS MS

enum pattern { TCP_RR, TICK };

struct sim {
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	struct vapic_timer *t;
	struct vapic_lazy_page *pg;
	bool lazy, posted;
	enum pattern pat;
	uint64_t rng;
	/* the guest's timers */
	uint64_t tick_next; /* 0: stopped */
	uint64_t wheel_next;
	uint64_t short_at;  /* 0: none */
	uint64_t cur;	    /* programmed deadline */
	/* the guest's checks */
	struct lazy_oracle o; /* its deadlines; "taken": its loss counted */
	uint64_t last_irq;
	size_t log_seen;
	bool idle;	    /* halted, waiting for the next request */
	/* counts */
	uint64_t writes, msr_exits, irqs, lost, early, transactions;
	uint64_t fires_running, fires_idle;
};

/* Every host timer fire: does it interrupt a running guest? */
static void fire_hook(void *arg, struct vclock_vcpu *v)
{
	struct sim *s = arg;

	(void)v;
	if (s->idle)
		s->fires_idle++;
	else
		s->fires_running++;
}

static uint64_t rnd(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* Exponential with @mean_ns. */
static uint64_t expo(struct sim *s, uint64_t mean_ns)
{
	double u = ((double)(rnd(s) >> 11) + 0.5) / 9007199254740992.0;

	return (uint64_t)(-log(u) * (double)mean_ns);
}

static uint64_t uni(struct sim *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

static uint64_t now(struct sim *s)
{
	return vclock_guest_tsc(s->v);
}

static uint64_t min_timer(const struct sim *s)
{
	uint64_t m = UINT64_MAX;

	if (s->tick_next && s->tick_next < m)
		m = s->tick_next;
	if (!s->tick_next && s->wheel_next && s->wheel_next < m)
		m = s->wheel_next; /* NOHZ idle: the tick is stopped */
	if (s->short_at && s->short_at < m)
		m = s->short_at;
	return m == UINT64_MAX ? 0 : m;
}

/* set_next_event(): through the protocol (G1-G4) or a plain WRMSR. */
static void program(struct sim *s)
{
	uint64_t d = min_timer(s);
	bool trap = true;

	if (d == s->cur)
		return;
	s->cur = d;
	s->writes++;
	lazy_oracle_supersede(lazy_oracle_set(&s->o, d, s->vm->now_ns),
			      s->vm->now_ns);
	if (s->lazy)
		trap = vapic_lazy_guest_set_deadline(s->pg, d);
	if (trap) {
		s->msr_exits++;
		(void)vclock_wrmsr_tsc_deadline(s->v, d);
	}
}

/* The guest's timer interrupt handler: run what expired, re-program. */
static void handler(struct sim *s)
{
	uint64_t t = now(s);
	bool any = false;

	if (s->tick_next && s->tick_next <= t) {
		s->tick_next = (t / TICK_NS + 1) * TICK_NS;
		any = true;
	}
	if (s->short_at && s->short_at <= t) {
		s->short_at = 0;
		any = true;
	}
	if (!s->tick_next && s->wheel_next && s->wheel_next <= t) {
		s->wheel_next = t + uni(s, 1 * MS, 10 * MS);
		any = true;
	}
	(void)any; /* an interrupt for nothing is judged by the log check */
	s->cur = 0; /* the clock-event fired: the next program writes */
	program(s);
}

/* Is an interrupt at @ns for deadline @d justified? (tests/lazy_oracle.h) */
static bool justified(struct sim *s, uint64_t ns, uint64_t d)
{
	struct lazy_oracle_ent *a;

	return lazy_oracle_justified(&s->o, ns, d, &a);
}

static void lost_check(struct sim *s)
{
	struct lazy_oracle_ent *e = lazy_oracle_cur(&s->o);
	uint64_t slack = 2 * VAPIC_MIN_PERIOD_NS_DEFAULT + 100 * US;

	if (e->deadline_tsc && !e->taken && s->last_irq < e->deadline_tsc &&
	    now(s) > e->deadline_tsc + slack) {
		s->lost++;
		e->taken = true;
	}
}

/* Run virtual time to @until, handling every interrupt when it comes. */
static void run_to(struct sim *s, uint64_t until)
{
	while (s->vm->now_ns < until) {
		uint64_t next;

		if (!vclock_next_event_ns(s->vm, &next) || next > until)
			next = until;
		if (vclock_run_until(s->vm, next)) {
			fprintf(stderr, "virtual clock stuck\n");
			exit(1);
		}
		for (; s->log_seen < s->vm->log_len; s->log_seen++) {
			const struct vclock_delivery *l =
				&s->vm->log[s->log_seen];

			if (l->vector != VEC)
				continue;
			s->irqs++;
			s->last_irq = l->guest_tsc;
			if (!justified(s, l->guest_tsc, l->deadline_tsc))
				s->early++;
			handler(s);
		}
		lost_check(s);
	}
}

static void run_pattern(struct sim *s, uint64_t span)
{
	uint64_t end = s->vm->now_ns + span;

	s->tick_next = (now(s) / TICK_NS + 1) * TICK_NS;
	s->wheel_next = now(s) + uni(s, 1 * MS, 10 * MS);
	program(s);
	if (s->pat == TICK) {
		run_to(s, end);
		return;
	}
	while (s->vm->now_ns < end) {
		/* idle (tick stopped) until the next request wakes us */
		s->tick_next = 0;
		program(s);
		s->idle = true;
		run_to(s, s->vm->now_ns + expo(s, 15 * US));
		s->idle = false;
		/* wake: restart the tick at the next boundary */
		s->transactions++;
		s->tick_next = (now(s) / TICK_NS + 1) * TICK_NS;
		program(s);
		if (rnd(s) % 100 < 2) { /* a short hrtimer */
			s->short_at = now(s) + uni(s, 50 * US, 500 * US);
			program(s);
		}
		run_to(s, s->vm->now_ns + expo(s, 10 * US));
		if (s->short_at) { /* cancelled at the end of the busy period */
			s->short_at = 0;
			program(s);
		}
	}
}

struct result {
	uint64_t writes, msr_exits, timer_exits, wakeups, posted_fires, irqs;
	uint64_t moves;
	uint64_t clamped, lost, early, core_early, transactions;
	unsigned int invariants;
};

static struct result simulate(enum pattern pat, bool lazy, bool posted,
			      uint64_t seconds, uint64_t seed)
{
	struct vclock_config cfg;
	struct vapic_lazy_config lc;
	struct vapic_lazy_stats ls;
	struct result r;
	struct sim s;
	char msg[256];

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	s.pat = pat;
	s.lazy = lazy;
	s.posted = posted;
	s.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	vclock_config_default(&cfg, 1);
	cfg.host_tsc_khz = KHZ;
	cfg.lapic.timer.guest_tsc_khz = KHZ;
	if (posted)
		cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	cfg.max_events = UINT64_MAX;
	if (vclock_vm_create(&cfg, &s.vm)) {
		fprintf(stderr, "vclock_vm_create failed\n");
		exit(1);
	}
	s.v = vclock_vcpu(s.vm, 0);
	s.t = &s.v->lapic.timer;
	s.v->post_enabled = posted;
	s.vm->fire_hook = fire_hook;
	s.vm->fire_hook_arg = &s;
	s.v->timer_latency_ns = 2 * US;	 /* hrtimer + interrupt latency */
	s.v->entry_latency_ns = 1 * US;	 /* kick -> vCPU thread back */
	(void)vclock_write(s.v, VAPIC_REG_SVR, 0x1ff);
	(void)vclock_write(s.v, VAPIC_REG_LVT_TIMER, LVTT_TSCD);
	s.pg = (struct vapic_lazy_page *)(s.vm->mem + PAGE_GPA);
	if (lazy) {
		vapic_lazy_config_default(&lc);
		vapic_lazy_guest_page_init(s.pg);
		if (vapic_lazy_setup(s.t, &lc) ||
		    vapic_lazy_write_msr(s.t, PAGE_GPA | 1)) {
			fprintf(stderr, "lazy setup failed\n");
			exit(1);
		}
	}
	run_pattern(&s, seconds * 1000 * MS);
	vapic_lazy_get_stats(s.t, &ls);
	r.writes = s.writes;
	r.msr_exits = s.msr_exits;
	/* Deferred: a fire kicks the vCPU: an exit if the guest was running,
	 * a wake-up of its halted thread otherwise. */
	r.timer_exits = posted ? 0 : s.fires_running;
	r.wakeups = posted ? 0 : s.fires_idle;
	r.posted_fires = posted ? s.v->stats.fires : 0;
	r.irqs = s.irqs;
	r.moves = ls.moves;
	r.clamped = ls.clamped;
	r.lost = s.lost;
	r.early = s.early;
	r.core_early = s.t->stats.early;
	r.transactions = s.transactions;
	r.invariants = vclock_check(s.vm, msg, sizeof(msg));
	if (r.invariants)
		fprintf(stderr, "vclock invariant: %s\n", msg);
	vclock_vm_destroy(s.vm);
	return r;
}

static void ratio(char *buf, size_t len, uint64_t a, uint64_t b)
{
	if (!b)
		snprintf(buf, len, "%s", a ? "inf" : "-");
	else
		snprintf(buf, len, "%.1fx", (double)a / (double)b);
}

static bool report(const char *name, enum pattern pat, bool posted,
		   uint64_t seconds, uint64_t seed)
{
	struct result off = simulate(pat, false, posted, seconds, seed);
	struct result on = simulate(pat, true, posted, seconds, seed);
	char q[32];

	printf("\n%s, %s delivery, %" PRIu64 " s of virtual time, seed %" PRIu64,
	       name, posted ? "posted" : "deferred", seconds, seed);
	if (pat == TCP_RR)
		printf(", %" PRIu64 " transactions", on.transactions);
	printf("\n%-34s %14s %14s %10s\n", "", "without lazy", "with lazy",
	       "ratio");
	printf("%-34s %14" PRIu64 " %14" PRIu64 "\n", "TSC-deadline writes (guest)",
	       off.writes, on.writes);
	ratio(q, sizeof(q), off.msr_exits, on.msr_exits);
	printf("%-34s %14" PRIu64 " %14" PRIu64 " %10s\n",
	       "VM exits: msr-write (TSC deadline)", off.msr_exits, on.msr_exits,
	       q);
	if (!posted) {
		ratio(q, sizeof(q), off.timer_exits, on.timer_exits);
		printf("%-34s %14" PRIu64 " %14" PRIu64 " %10s\n",
		       "VM exits: timer (guest running)", off.timer_exits,
		       on.timer_exits, q);
		printf("%-34s %14" PRIu64 " %14" PRIu64 "\n",
		       "halted-vCPU wake-ups (host timer)", off.wakeups,
		       on.wakeups);
	} else {
		printf("%-34s %14" PRIu64 " %14" PRIu64 "\n",
		       "host timer fires (exitless)", off.posted_fires,
		       on.posted_fires);
	}
	ratio(q, sizeof(q), off.msr_exits + off.timer_exits,
	      on.msr_exits + on.timer_exits);
	printf("%-34s %14" PRIu64 " %14" PRIu64 " %10s\n",
	       "VM exits: timer-related total", off.msr_exits + off.timer_exits,
	       on.msr_exits + on.timer_exits, q);
	printf("%-34s %14" PRIu64 " %14" PRIu64 "\n", "interrupts (timer)",
	       off.irqs, on.irqs);
	printf("%-34s %14s %7" PRIu64 " / %-4" PRIu64 "\n",
	       "lazy moves / clamped re-arms", "-", on.moves, on.clamped);
	printf("%-34s %6" PRIu64 " / %-6" PRIu64 " %6" PRIu64 " / %-6" PRIu64
	       "\n",
	       "lost / early (guest's checks)", off.lost, off.early, on.lost,
	       on.early);
	return !(off.lost | off.early | on.lost | on.early | off.core_early |
		 on.core_early | off.invariants | on.invariants);
}

int main(int argc, char **argv)
{
	uint64_t seconds = 10, seed = 1;
	bool ok = true;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr,
				"usage: lazy_bench [--seconds S] [--seed N]\n");
			return 2;
		}
	}
	printf("lazy TSC-deadline on the virtual clock (adapters/vclock): "
	       "1 vCPU, guest TSC 1 GHz,\nhost timer latency 2 us, kick "
	       "latency 1 us, min period %llu us.  Deterministic counts.\n",
	       (unsigned long long)(VAPIC_MIN_PERIOD_NS_DEFAULT / 1000));
	for (int posted = 0; posted < 2; posted++) {
		ok &= report("tcp_rr (NOHZ idle per transaction, 2% short "
			     "timers)",
			     TCP_RR, posted, seconds, seed);
		ok &= report("tick (periodic 1 ms, control)", TICK, posted,
			     seconds, seed);
	}
	if (!ok)
		printf("\nA lost or early interrupt, or an invariant failed: see "
		       "above.\n");
	return ok ? 0 : 1;
}
