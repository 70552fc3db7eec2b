// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Threaded stress test of lazy TSC-deadline on the real core code and the
 * real atomics: a guest (which is also its vCPU thread, as under KVM_RUN)
 * rewrites its deadline millions of times through the library's guest
 * decision function, against a host timer thread that runs the timer
 * callback concurrently, on another CPU.  Built twice by meson: plainly
 * (long runs) and with ThreadSanitizer against a TSan build of the core
 * (suite 'stress').
 *
 *   lazy_stress [--mode posted|deferred] [--iterations N] [--seed S]
 *		 [--advance NS] [--quiet] [--trace]
 *   lazy_stress --litmus ROUNDS [--seed S]
 *
 * Time is real (CLOCK_MONOTONIC); the guest TSC runs at 1 GHz, so a TSC
 * value is a time in ns.  Deadlines are a few microseconds away, so the
 * host timer fires while the guest is in the middle of its protocol steps.
 *
 * Oracles (the guest checks them on its own data; the host side only
 * records each raise - its time and the deadline it delivers, read
 * white-box from the timer by the thread that owns it at that moment - in a
 * lock-free ring, so the oracle adds no synchronisation between the threads
 * that could hide a race or a missing barrier):
 *  - never early: every interrupt raise (a post from the callback, or an
 *    injection by the vCPU thread) at time R either delivers a deadline D
 *    that the guest set and has not taken yet, with D <= R and D still
 *    current at D (a real LAPIC fired it before it was overwritten), or
 *    comes when the guest's current deadline (any whose set_next_event()
 *    call may have taken effect by R) is due, D' <= R.  A deadline
 *    superseded before it was due justifies nothing: the published hole
 *    "inject at the old deadline, then re-arm for pending" fails here;
 *  - never lost: when the guest halts until its current deadline D, an
 *    interrupt raised at or after D arrives within LOST_NS (generous:
 *    loaded machines, TSan);
 *  - no duplicate: no deadline is delivered as itself by two separate
 *    interrupts;
 *  - host timer: never armed twice; fires bounded by the exits the guest
 *    paid for plus the elapsed time over the minimum period (rule H4);
 *  - the core's own stats.early stays 0; the block is never written
 *    outside "armed" by the host.
 *
 * --litmus: the store-buffering race at the heart of the protocol, on the
 * real code, in isolation.  Each round publishes armed = A, then releases
 * the guest and the host at once (spin barrier, random skew): the guest
 * runs vapic_lazy_guest_set_deadline(P > A) (G1-G4), the host runs the
 * posted-mode vapic_timer_expired() (H1-H3).  Forbidden: the guest skipped
 * its exit and the host did not see P (the deadline is stranded).  With
 * either barrier removed this shows up on x86 within a few thousand
 * rounds; the random workload above almost never hits the window.
 *
 * Exit status: 0 if every oracle held, 1 otherwise (TSan: 66 on a race).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vapic/errors.h>
#include <vapic/lazy.h>
#include <vapic/timer.h>

#define LAZY_ORACLE_HIST 64 /* the guest's deadline history */
#include "../lazy_oracle.h"

#define KHZ 1000000U
#define VEC 0xecU
#define LVTT_TSCD (0x40000U | VEC)
#define PAGE_GPA 0x1000ULL
#define LOST_NS 500000000ULL /* 0.5 s */

/* ---------------------------------------------------------------------- */
/* Optional event trace (--trace), dumped at the first failure             */

#define TRACE_N 4096
struct trace_ev {
	uint64_t ns;
	const char *what;
	uint64_t a, b, c, d;
};
static struct trace_ev trace_buf[TRACE_N];
static uint64_t trace_idx;
static bool tracing;

static uint64_t now_ns(void);

static void trace(const char *what, uint64_t a, uint64_t b, uint64_t c,
		  uint64_t d)
{
	uint64_t i;

	if (!tracing)
		return;
	i = __atomic_fetch_add(&trace_idx, 1, __ATOMIC_RELAXED) % TRACE_N;
	trace_buf[i] = (struct trace_ev){ now_ns(), what, a, b, c, d };
}

static void trace_dump(unsigned int last)
{
	uint64_t end = __atomic_load_n(&trace_idx, __ATOMIC_RELAXED);
	uint64_t i = end > last ? end - last : 0;

	for (; i < end; i++) {
		struct trace_ev *e = &trace_buf[i % TRACE_N];

		fprintf(stderr, "  %" PRIu64 " %-14s %" PRIu64 " %" PRIu64
				" %" PRIu64 " %" PRIu64 "\n",
			e->ns, e->what, e->a, e->b, e->c, e->d);
	}
}

/* ---------------------------------------------------------------------- */
/* Host                                                                   */

struct host {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool armed;	/* host timer queued */
	bool running;	/* callback running */
	bool stop;
	uint64_t expires_ns;
	uint64_t arm_while_armed;

	/* vCPU hand-off, written by either thread: atomics only. */
	int kick;
	int irr;	     /* the timer vector pending for the guest */
	uint64_t fires;
	/* Raise records: slot i is valid when seq == i + 1. */
	uint64_t nraise;
	struct {
		uint64_t seq, ns, deadline;
	} raises[256];

	uint8_t ram[8192] __attribute__((aligned(64)));
	struct vapic_timer t;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t op_now(void *h)
{
	(void)h;
	return now_ns();
}

static int op_arm(void *hp, uint64_t expires_ns)
{
	struct host *h = hp;

	pthread_mutex_lock(&h->mu);
	if (h->armed)
		h->arm_while_armed++;
	h->armed = true;
	h->expires_ns = expires_ns;
	trace("arm", expires_ns, 0, 0, 0);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

/* Synchronous, like hrtimer_cancel(): waits for a running callback. */
static void op_cancel(void *hp)
{
	struct host *h = hp;

	pthread_mutex_lock(&h->mu);
	while (h->running)
		pthread_cond_wait(&h->cv, &h->mu);
	trace("cancel", h->armed, 0, 0, 0);
	h->armed = false;
	pthread_mutex_unlock(&h->mu);
}

static void op_kick(void *hp)
{
	struct host *h = hp;

	__atomic_store_n(&h->kick, 1, __ATOMIC_RELEASE);
}

/* An interrupt for @deadline becomes pending for the guest. */
static void raise_irq(struct host *h, uint64_t deadline)
{
	uint64_t t = now_ns();
	uint64_t i = __atomic_fetch_add(&h->nraise, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&h->raises[i % 256].ns, t, __ATOMIC_RELAXED);
	__atomic_store_n(&h->raises[i % 256].deadline, deadline,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&h->raises[i % 256].seq, i + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&h->irr, 1, __ATOMIC_RELEASE);
	trace("raise", t, deadline, 0, 0);
}

/*
 * Posted delivery, from inside vapic_timer_expired(): the callback owns the
 * timer, whose target is the deadline being delivered (white-box read).
 */
static int op_post(void *hp, uint32_t vector)
{
	struct host *h = hp;

	(void)vector;
	raise_irq(h, h->t.target_tsc);
	return 0;
}

static void *op_map(void *hp, uint64_t gpa, uint32_t len)
{
	struct host *h = hp;

	if (gpa < PAGE_GPA || gpa + len > sizeof(h->ram))
		return NULL;
	return h->ram + gpa;
}

static void op_unmap(void *hp, void *hva, uint32_t len)
{
	(void)hp;
	(void)hva;
	(void)len;
}

static const struct vapic_host_ops ops = {
	.now_ns = op_now,
	.guest_tsc = op_now,
	.timer_arm = op_arm,
	.timer_cancel = op_cancel,
	.kick = op_kick,
	.post = op_post,
	.map_guest = op_map,
	.unmap_guest = op_unmap,
};

/* The host timer: a thread that runs the callback when it is due. */
static void *timer_thread(void *arg)
{
	struct host *h = arg;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		uint64_t exp = 0;
		int act;

		if (!h->armed) {
			pthread_cond_wait(&h->cv, &h->mu);
			continue;
		}
		if (now_ns() < h->expires_ns) {
			pthread_mutex_unlock(&h->mu);
			sched_yield();
			pthread_mutex_lock(&h->mu);
			continue;
		}
		h->armed = false;
		h->running = true;
		pthread_mutex_unlock(&h->mu);
		__atomic_add_fetch(&h->fires, 1, __ATOMIC_RELAXED);
		if (tracing)
			trace("cb-start", h->t.target_tsc, h->t.running,
			      ((struct vapic_lazy_page *)(h->ram + PAGE_GPA))->armed,
			      ((struct vapic_lazy_page *)(h->ram + PAGE_GPA))->pending);
		act = vapic_timer_expired(&h->t, &exp);
		if (tracing)
			trace("cb-end", (uint64_t)act, exp, h->t.target_tsc,
			      ((struct vapic_lazy_page *)(h->ram + PAGE_GPA))->armed);
		pthread_mutex_lock(&h->mu);
		h->running = false;
		if (act == VAPIC_TFN_REARM || act == VAPIC_TFN_WAIT) {
			h->armed = true;
			h->expires_ns = exp;
		}
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Guest (and its vCPU thread)                                            */

struct guest {
	struct host *h;
	struct vapic_lazy_page *pg;
	/* Its deadlines (an entry starts before G1 and is superseded at the
	 * end of the next call); only the guest thread touches them. */
	struct lazy_oracle o;
	bool masked;
	bool lazy;
	uint64_t rng;
	/* results */
	uint64_t sets, exits, paid, irqs, halts, unjustified, lost;
	uint64_t moves_seen;
	uint64_t first_bad_raise, first_bad_d;
	uint64_t raises_seen;
	uint64_t last_raise;	/* latest raise time of a taken interrupt */
	uint64_t duplicates;
};

/* Page fields the host writes concurrently: atomic reads. */
static uint64_t rd_armed(const struct guest *g)
{
	return __atomic_load_n(&g->pg->armed, __ATOMIC_RELAXED);
}

/*
 * The current deadline stops being the guest's (mode switch): call it when
 * the exit that did it has been processed - the host takes a register
 * write when it handles it, which is what a real VMM does too (a timer may
 * fire while the exit waits for the timer callback).
 */
static void supersede(struct guest *g)
{
	lazy_oracle_supersede(lazy_oracle_cur(&g->o), now_ns());
}

static uint64_t rnd(struct guest *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

/* The vCPU thread before re-entry: poll the timer, inject. */
static void vcpu_poll(struct guest *g)
{
	struct vapic_timer_event ev;
	int r;

	for (;;) {
		/*
		 * White-box attribution of an injected tick: the due time the
		 * slow path records, or (the fast path records nothing) the
		 * deadline that was next before the poll.
		 */
		uint64_t before = g->h->t.pending_due_tsc, pre = 0;

		(void)vapic_timer_next_deadline(&g->h->t, &pre);
		memset(&ev, 0, sizeof(ev));
		r = vapic_timer_poll(&g->h->t, 0, &ev);
		if (r == VAPIC_TIMER_WAIT) {
			uint64_t until = now_ns() + ev.wait_ns;

			while (now_ns() < until)
				;
			continue;
		}
		if (r == VAPIC_TIMER_INJECT) {
			uint64_t d = g->h->t.pending_due_tsc != before ?
					     g->h->t.pending_due_tsc :
					     pre;

			trace("inject", d, 0, 0, 0);
			raise_irq(g->h, d);
		}
		return;
	}
}

/* An exit of the guest that reached the timer: then the VMM polls. */
static void vcpu_exit_done(struct guest *g, int r)
{
	if (r < 0 && r != VAPIC_EHOST) {
		fprintf(stderr, "timer write failed: %s\n", vapic_strerror(r));
		exit(2);
	}
	vcpu_poll(g);
}

/*
 * One raise (@ns, delivering @d): lazy_oracle_justified().  *@a gets the
 * entry @d justified as itself (rule (a)), for the duplicate check.
 */
static bool justify(struct guest *g, uint64_t ns, uint64_t d,
		    struct lazy_oracle_ent **a)
{
	if (lazy_oracle_justified(&g->o, ns, d, a))
		return true;
	trace("unjustified", ns, d, 0, 0);
	return false;
}

/* The guest takes a pending interrupt (interrupts enabled). */
static void take_irq(struct guest *g)
{
	struct lazy_oracle_ent *hit[256];
	unsigned int nhit = 0;
	uint64_t raised = 0, bad_d = 0, end, last = 0;
	bool ok = true;

	if (!__atomic_exchange_n(&g->h->irr, 0, __ATOMIC_ACQUIRE))
		return;
	g->irqs++;
	/* Every raise since the last interrupt merged into this one. */
	end = __atomic_load_n(&g->h->nraise, __ATOMIC_ACQUIRE);
	for (; g->raises_seen < end; g->raises_seen++) {
		uint64_t i = g->raises_seen % 256, ns, d;
		struct lazy_oracle_ent *e;

		while (__atomic_load_n(&g->h->raises[i].seq, __ATOMIC_ACQUIRE) !=
		       g->raises_seen + 1)
			sched_yield(); /* the raiser is between its stores */
		ns = __atomic_load_n(&g->h->raises[i].ns, __ATOMIC_RELAXED);
		d = __atomic_load_n(&g->h->raises[i].deadline, __ATOMIC_RELAXED);
		if (ns > last)
			last = ns;
		if (!justify(g, ns, d, &e)) {
			ok = false;
			raised = ns;
			bad_d = d;
		} else if (e) {
			if (e->taken) { /* delivered by an earlier interrupt */
				trace("duplicate", ns, d, 0, 0);
				g->duplicates++;
			} else if (nhit < 256) {
				hit[nhit++] = e;
			}
		}
	}
	for (unsigned int k = 0; k < nhit; k++)
		hit[k]->taken = true;
	if (last > g->last_raise)
		g->last_raise = last;
	trace("take", raised, bad_d, ok, 0);
	if (!ok) {
		if (!g->unjustified) {
			g->first_bad_raise = raised;
			g->first_bad_d = bad_d;
			if (tracing) {
				fprintf(stderr, "unjustified raise at %" PRIu64 "\n",
					raised);
				/* Oldest first. */
				for (unsigned int k = LAZY_ORACLE_HIST; k--;) {
					struct lazy_oracle_ent *x =
						lazy_oracle_ago(&g->o, k);

					fprintf(stderr,
						"  hist d %" PRIu64 " start %" PRIu64
						" sup %" PRIu64 " taken %d\n",
						x->deadline_tsc, x->start_tsc,
						x->sup_tsc, x->taken);
				}
				trace_dump(50);
			}
		}
		g->unjustified++;
	}
}

static void check_kick(struct guest *g)
{
	if (__atomic_exchange_n(&g->h->kick, 0, __ATOMIC_ACQUIRE))
		vcpu_poll(g);
}

/* set_next_event(d), interrupts disabled (none taken inside). */
static void set_next_event(struct guest *g, uint64_t d)
{
	struct lazy_oracle_ent *prev = lazy_oracle_set(&g->o, d, now_ns());
	bool trap;

	g->sets++;
	trap = !g->lazy || vapic_lazy_guest_set_deadline(g->pg, d);
	trace("set", d, trap, rd_armed(g), g->lazy);
	if (trap) {
		g->exits++;
		g->paid++;
		vcpu_exit_done(g, vapic_timer_write_tsc_deadline(&g->h->t, d));
	}
	lazy_oracle_supersede(prev, now_ns());
}

/* Halt until an interrupt raised at or after the current deadline. */
static void halt(struct guest *g)
{
	struct lazy_oracle_ent *e = lazy_oracle_cur(&g->o);
	uint64_t limit;

	if (!e->deadline_tsc || g->last_raise >= e->deadline_tsc || g->masked)
		return;
	g->halts++;
	limit = e->deadline_tsc + LOST_NS;
	while (g->last_raise < e->deadline_tsc) {
		check_kick(g);
		take_irq(g);
		if (now_ns() > limit) {
			g->lost++;
			if (g->lost <= 3) {
				struct host *h = g->h;
				struct vapic_timer *t = &h->t;

				pthread_mutex_lock(&h->mu);
				fprintf(stderr,
					"lost: deadline %" PRIu64 " not delivered by %" PRIu64
					" (armed %" PRIu64 ", pending %" PRIu64 ")\n"
					"  host: armed %d expires %" PRIu64 " running %d\n"
					"  timer: hw_armed %d running %d target %" PRIu64
					" tsc_deadline %" PRIu64 " fired %u pending %d lvtt %#x need_arm %d\n",
					e->deadline_tsc, now_ns(), rd_armed(g), g->pg->pending,
					h->armed, h->expires_ns, h->running, t->hw_armed,
					t->running, t->target_tsc, t->tsc_deadline,
					t->fired, t->pending, t->lvtt, t->need_arm);
				pthread_mutex_unlock(&h->mu);
				if (g->lost == 1)
					trace_dump(60);
			}
			return;
		}
		sched_yield();
	}
}

static void lvt_write(struct guest *g, uint32_t val)
{
	trace("lvt", val, 0, 0, 0);
	g->paid++;
	vcpu_exit_done(g, vapic_timer_write_lvtt(&g->h->t, val, false));
}

static void lazy_msr(struct guest *g, bool on)
{
	int r;

	if (on)
		vapic_lazy_guest_page_init(g->pg);
	g->paid++;
	trace("lazy-msr", on, 0, 0, 0);
	r = vapic_lazy_write_msr(&g->h->t, on ? (PAGE_GPA | 1) : 0);
	if (r < 0) {
		fprintf(stderr, "lazy MSR write: %s\n", vapic_strerror(r));
		exit(2);
	}
	g->lazy = on;
	vcpu_poll(g);
}

static void guest_step(struct guest *g)
{
	uint64_t r = rnd(g) % 1000, now = now_ns();
	uint64_t armed = rd_armed(g);

	check_kick(g);
	take_irq(g);
	if (r < 700) {		/* the usual: a few us away */
		set_next_event(g, now + 1000 + rnd(g) % 20000);
	} else if (r < 850) {	/* later than what is armed */
		set_next_event(g, (armed ? armed : now) + 1 + rnd(g) % 5000);
	} else if (r < 900) {	/* exactly what is armed */
		set_next_event(g, armed ? armed : now + 5000);
	} else if (r < 930) {	/* already due */
		set_next_event(g, now - rnd(g) % 3000);
	} else if (r < 990) {
		halt(g);
	} else if (r < 993) {	/* disarm */
		set_next_event(g, 0);
	} else if (r < 996) {	/* mask / unmask */
		g->masked = !g->masked;
		lvt_write(g, LVTT_TSCD | (g->masked ? 0x10000U : 0));
		if (!g->masked)	/* the deadline may have expired masked */
			set_next_event(g, now_ns() + 2000);
	} else if (r < 998) {	/* mode switch away and back: disarms */
		lvt_write(g, VEC);
		supersede(g);
		lvt_write(g, LVTT_TSCD | (g->masked ? 0x10000U : 0));
		set_next_event(g, now_ns() + 3000);
	} else {		/* protocol off / on */
		lazy_msr(g, !g->lazy);
	}
}

/* ---------------------------------------------------------------------- */
/* Litmus: G1-G3 against H1-H3                                            */

struct litmus {
	struct vapic_timer t;
	uint8_t ram[8192] __attribute__((aligned(64)));
	uint64_t round, done;	/* atomics: the barrier */
	uint64_t start;		/* both sides start at this cycle count */
	int act;		/* host's result of the round */
	uint64_t hseed;
};

static uint64_t lit_now(void *h)
{
	(void)h;
	return 1000000000ULL; /* frozen: the deadline is never due */
}

static int lit_arm(void *h, uint64_t e)
{
	(void)h;
	(void)e;
	return 0;
}

static void lit_nop(void *h)
{
	(void)h;
}

static int lit_post(void *h, uint32_t v)
{
	(void)h;
	(void)v;
	return 0;
}

static void *lit_map(void *hp, uint64_t gpa, uint32_t len)
{
	struct litmus *l = hp;

	return gpa + len <= sizeof(l->ram) ? l->ram + gpa : NULL;
}

static const struct vapic_host_ops lit_ops = {
	.now_ns = lit_now,
	.guest_tsc = lit_now,
	.timer_arm = lit_arm,
	.timer_cancel = lit_nop,
	.kick = lit_nop,
	.post = lit_post,
	.map_guest = lit_map,
	.unmap_guest = op_unmap,
};

static uint64_t cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return now_ns();
#endif
}

/*
 * A barrier wait: spins, and after 2^16 polls also yields, so a round
 * whose two threads share a CPU (a loaded machine) need not wait for a
 * time slice to end.
 */
static void litmus_wait(uint64_t *word, uint64_t value, bool until_equal)
{
	unsigned int polls = 0;

	while ((__atomic_load_n(word, __ATOMIC_ACQUIRE) == value) !=
	       until_equal)
		if (++polls >= 1U << 16)
			sched_yield();
}

/* Start at @start (a shared time base, as litmus tools do), then skew. */
static void skew(uint64_t *rng, uint64_t start)
{
	volatile unsigned int spin = 0;
	unsigned int n;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	n = (unsigned int)(*rng % 64);
	while (cycles() < start)
		;
	while (spin < n)
		spin++;
}

static void *litmus_host(void *arg)
{
	struct litmus *l = arg;
	uint64_t r = 0;

	for (;;) {
		uint64_t exp;

		litmus_wait(&l->round, r, false);
		r = __atomic_load_n(&l->round, __ATOMIC_ACQUIRE);
		if (r == UINT64_MAX)
			return NULL;
		skew(&l->hseed, __atomic_load_n(&l->start, __ATOMIC_RELAXED));
		l->act = vapic_timer_expired(&l->t, &exp); /* H1-H3 */
		__atomic_store_n(&l->done, r, __ATOMIC_RELEASE);
	}
}

static int run_litmus(uint64_t rounds, uint64_t seed)
{
	static struct litmus l;
	struct vapic_timer_config tc;
	struct vapic_lazy_config lc;
	struct vapic_lazy_page *pg;
	uint64_t skipped = 0, moved = 0, stranded = 0, rng = seed | 1;
	const uint64_t a = 1000000000ULL + 1000000;
	pthread_t th;
	cpu_set_t cpus;

	/* The race needs the two threads on two CPUs at once. */
	if (!sched_getaffinity(0, sizeof(cpus), &cpus) &&
	    CPU_COUNT(&cpus) < 2) {
		printf("litmus: this process may use %d CPU(s), the race needs 2: skipped\n",
		       CPU_COUNT(&cpus));
		return 77;
	}
	vapic_timer_config_default(&tc, KHZ);
	tc.flags |= VAPIC_TIMER_F_POSTED;
	tc.advance_ns = 0;
	if (vapic_timer_init(&l.t, &tc, &lit_ops, &l))
		return 2;
	vapic_lazy_config_default(&lc);
	if (vapic_lazy_setup(&l.t, &lc))
		return 2;
	vapic_timer_set_sw_enabled(&l.t, true);
	(void)vapic_timer_write_lvtt(&l.t, LVTT_TSCD, false);
	pg = (struct vapic_lazy_page *)(l.ram + PAGE_GPA);
	vapic_lazy_guest_page_init(pg);
	if (vapic_lazy_write_msr(&l.t, PAGE_GPA | 1))
		return 2;
	l.hseed = seed * 0x9e3779b97f4a7c15ULL + 3;
	if (pthread_create(&th, NULL, litmus_host, &l))
		return 2;
	for (uint64_t r = 1; r <= rounds; r++) {
		uint64_t p = a + 1 + r % 64;
		bool trap;

		/* Set-up, alone: the host has a timer for A (armed = A). */
		(void)vapic_lazy_guest_set_deadline(pg, a);
		(void)vapic_timer_write_tsc_deadline(&l.t, a);
		/* The race. */
		__atomic_store_n(&l.start, cycles() + 3000, __ATOMIC_RELAXED);
		__atomic_store_n(&l.round, r, __ATOMIC_RELEASE);
		skew(&rng, __atomic_load_n(&l.start, __ATOMIC_RELAXED));
		trap = vapic_lazy_guest_set_deadline(pg, p); /* G1-G4 */
		litmus_wait(&l.done, r, true);
		if (!trap) {
			skipped++;
			if (l.act == VAPIC_TFN_REARM && l.t.target_tsc == p)
				moved++;
			else
				stranded++;
		}
		/* Clean up: disarm (as the guest's WRMSR would supersede). */
		(void)vapic_timer_write_tsc_deadline(&l.t, 0);
	}
	__atomic_store_n(&l.round, UINT64_MAX, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("litmus: %" PRIu64 " rounds, guest skipped the exit %" PRIu64
	       " times (trapped %" PRIu64 "), host saw the new deadline %" PRIu64
	       ", stranded %" PRIu64 "\n",
	       rounds, skipped, rounds - skipped, moved, stranded);
	vapic_timer_destroy(&l.t);
	if (stranded)
		return 1;
	if (skipped == rounds) {
		printf("the two sides never overlapped (one CPU?): skipped\n");
		return 77;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: lazy_stress [--mode posted|deferred] "
			"[--iterations N] [--seed S] [--advance NS] [--quiet]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct host h;
	struct vapic_timer_config tc;
	struct vapic_lazy_config lc;
	struct vapic_lazy_stats ls;
	struct guest g;
	pthread_t th;
	uint64_t iters = 1000000, seed = 1, t0, t1, bound, start_fires;
	int32_t advance = 2000;
	bool posted = true, quiet = false, fail = false;
	uint64_t litmus = 0;
	unsigned char guard[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "posted"))
				posted = true;
			else if (!strcmp(argv[i], "deferred"))
				posted = false;
			else
				usage();
		} else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
			iters = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--advance") && i + 1 < argc) {
			advance = (int32_t)strtol(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--trace")) {
			tracing = true;
		} else if (!strcmp(argv[i], "--litmus") && i + 1 < argc) {
			litmus = strtoull(argv[++i], NULL, 0);
		} else {
			usage();
		}
	}

	if (litmus)
		return run_litmus(litmus, seed);
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.cv, NULL);
	vapic_timer_config_default(&tc, KHZ);
	tc.advance_ns = advance;
	if (posted)
		tc.flags |= VAPIC_TIMER_F_POSTED;
	if (vapic_timer_init(&h.t, &tc, &ops, &h)) {
		fprintf(stderr, "timer init failed\n");
		return 2;
	}
	vapic_lazy_config_default(&lc);
	if (vapic_lazy_setup(&h.t, &lc))
		return 2;
	vapic_timer_set_sw_enabled(&h.t, true);
	memset(h.ram, 0xa5, sizeof(h.ram));
	memcpy(guard, h.ram + PAGE_GPA + 64, sizeof(guard));

	memset(&g, 0, sizeof(g));
	g.h = &h;
	g.pg = (struct vapic_lazy_page *)(h.ram + PAGE_GPA);
	g.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	(void)vapic_timer_write_lvtt(&h.t, LVTT_TSCD, false);
	if (pthread_create(&th, NULL, timer_thread, &h))
		return 2;
	lazy_msr(&g, true);

	t0 = now_ns();
	start_fires = 0;
	for (uint64_t i = 0; i < iters; i++)
		guest_step(&g);
	/* Finally: unmasked, enabled, one last deadline, halt until it. */
	if (g.masked) {
		g.masked = false;
		lvt_write(&g, LVTT_TSCD);
	}
	if (!g.lazy)
		lazy_msr(&g, true);
	set_next_event(&g, now_ns() + 50000);
	halt(&g);
	t1 = now_ns();

	pthread_mutex_lock(&h.mu);
	h.stop = true;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mu);
	pthread_join(th, NULL);
	vapic_lazy_get_stats(&h.t, &ls);

	/*
	 * H4: host timer arms <= 2 per paid exit + elapsed / min period; each
	 * armed deadline fires at most twice (posted: the spin re-call).
	 */
	bound = 2 * (2 * g.paid + (t1 - t0) / tc.min_period_ns + 2);
	if (!quiet || g.unjustified || g.duplicates || g.lost || h.t.stats.early ||
	    h.arm_while_armed || h.fires - start_fires > bound)
		printf("mode %s, %" PRIu64 " iterations, %.2f s: sets %" PRIu64
		       ", exits %" PRIu64 " (%.1f%%), irqs %" PRIu64
		       ", halts %" PRIu64 ", host fires %" PRIu64 " (bound %" PRIu64
		       "), lazy moves %" PRIu64 " clamped %" PRIu64
		       ", unjustified %" PRIu64 ", duplicates %" PRIu64
		       ", lost %" PRIu64
		       ", core early %" PRIu64 ", arm while armed %" PRIu64 "\n",
		       posted ? "posted" : "deferred", iters,
		       (double)(t1 - t0) / 1e9, g.sets, g.exits,
		       100.0 * (double)g.exits / (double)(g.sets ? g.sets : 1),
		       g.irqs, g.halts, h.fires, bound, ls.moves, ls.clamped,
		       g.unjustified, g.duplicates, g.lost, h.t.stats.early,
		       h.arm_while_armed);
	if (g.unjustified) {
		printf("first unjustified raise at %" PRIu64
		       ", delivering deadline %" PRIu64 "\n",
		       g.first_bad_raise, g.first_bad_d);
		fail = true;
	}
	if (g.lost || g.duplicates || h.t.stats.early || h.arm_while_armed ||
	    h.fires - start_fires > bound)
		fail = true;
	if (memcmp(guard, h.ram + PAGE_GPA + 64, sizeof(guard))) {
		printf("the host wrote outside the block\n");
		fail = true;
	}
	if (ls.moves == 0 || g.exits == g.sets) {
		printf("the lazy path was not exercised\n");
		fail = true;
	}
	vapic_timer_destroy(&h.t);
	return fail ? 1 : 0;
}
