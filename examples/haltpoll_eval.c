// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * haltpoll_eval: replay generated wake-interval traces through libvapic's
 * halt-polling policies (none, KVM 6.1, the guest cpuidle-haltpoll
 * governor, libvapic's adaptive policy) under a simple cost model and
 * print, per trace, the wake latency each saves against not polling, the
 * poll time it wastes, its success rate and CPU cost, and whether the
 * adaptive policy meets issue 4's bar: latency benefit >= KVM's with at
 * most half of KVM's wasted poll time.
 *
 * A benchmark, not a test: the traces are synthetic; what they model, and
 * the cost model, are printed by --help and described in docs/haltpoll.md.
 * Deterministic: the same seed gives the same numbers on every machine.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/haltpoll.h>

#define US 1000ULL
#define MS 1000000ULL
#define NONE_AT UINT64_MAX

/* ---------------------------------------------------------------------- */
/* Deterministic PRNG (splitmix64) and distributions                      */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static uint64_t uni(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + (uint64_t)(rng_unit(r) * (double)(hi - lo));
}

static uint64_t expo(struct rng *r, double mean_ns)
{
	return (uint64_t)(-log(rng_unit(r)) * mean_ns);
}

static uint64_t lognorm(struct rng *r, double median_ns, double sigma)
{
	double z = sqrt(-2.0 * log(rng_unit(r))) *
		   cos(6.283185307179586 * rng_unit(r));

	return (uint64_t)(median_ns * exp(sigma * z));
}

static uint64_t loguni(struct rng *r, double lo_ns, double hi_ns)
{
	return (uint64_t)(lo_ns * exp(rng_unit(r) * log(hi_ns / lo_ns)));
}

static bool chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Geometric number of trials >= 1 with the given mean. */
static unsigned int geom(struct rng *r, double mean)
{
	return 1 + (unsigned int)(log(rng_unit(r)) / log(1.0 - 1.0 / mean));
}

/* ---------------------------------------------------------------------- */
/* Traces                                                                 */

enum ev_kind { EV_IO = 0, EV_TIMER = 1, EV_INVALID = 2 };

/*
 * One halt: the vCPU halts; @ev_ns later an event of @kind wakes it; its
 * own timer is due @timer_ns after the halt (or never); after the wake-up
 * it runs @run_ns before the next halt.  @event_before: an event (not the
 * own timer) came while the vCPU ran before this halt and was handled
 * without one (the host reports it: vapic_haltpoll_event()).
 */
struct halt_ev {
	uint64_t ev_ns;
	uint64_t timer_ns;
	uint64_t run_ns;
	uint32_t kind;
	bool event_before;
};

struct gen {
	struct rng r;
	struct halt_ev *ev;
	size_t n, cap, want;
	uint64_t t; /* trace time (wake-ups at the event, no latency) */
	bool absorbed; /* an event was handled without a halt since the last */
};

/* The vCPU halts now (g->t) and is woken at @wake_at by @kind. */
static void emit(struct gen *g, uint64_t wake_at, enum ev_kind kind,
		 uint64_t timer_at, uint64_t run_ns)
{
	struct halt_ev *e;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
		if (!g->ev) {
			perror("realloc");
			exit(2);
		}
	}
	e = &g->ev[g->n++];
	e->ev_ns = wake_at - g->t;
	e->timer_ns =
		timer_at == NONE_AT ? VAPIC_HALTPOLL_NO_TIMER : timer_at - g->t;
	e->run_ns = run_ns;
	e->kind = kind;
	e->event_before = g->absorbed;
	g->absorbed = false;
	g->t = wake_at + run_ns;
}

/* An event already due when the vCPU would halt: handled, @run_ns. */
static void absorb(struct gen *g, uint64_t run_ns)
{
	g->absorbed = true;
	g->t += run_ns;
}

static bool done(const struct gen *g)
{
	return g->n >= g->want;
}

/*
 * The own periodic tick (HZ=250, 4 ms) while the vCPU waits for @due: ticks
 * that come first wake it (deadline known), 3 us handler each.  Ticks
 * already due when the vCPU would halt are handled without a halt.
 */
static void ticks_before(struct gen *g, uint64_t *tick, uint64_t due)
{
	while (*tick < due && !done(g)) {
		if (*tick <= g->t)
			g->t += 3 * US;
		else
			emit(g, *tick, EV_TIMER, *tick, 3 * US);
		*tick += 4 * MS;
	}
}

/*
 * odsync: seed 003's latency-bound case: O_DSYNC writes to a
 * battery-backed disk, one at a time.  The guest submits, halts, the
 * completion interrupt comes after the host's service time (log-normal,
 * median 40 us, sigma 0.35: about 20-80 us; 1% slow outliers of 0.3-3 ms:
 * host contention, a real flush), then 8-20 us of guest work submits the
 * next write.  HZ=250 tick.  With @spurious_p, a halt is first interrupted
 * by an invalid wake-up (a VMM signal or kick with nothing to deliver)
 * at a random point of the wait; the vCPU re-enters and halts again.
 */
static void gen_odsync_common(struct gen *g, double spurious_p)
{
	uint64_t tick = g->t + uni(&g->r, 0, 4 * MS);

	while (!done(g)) {
		uint64_t s = chance(&g->r, 0.01)
				     ? uni(&g->r, 300 * US, 3 * MS)
				     : lognorm(&g->r, 40 * US, 0.35);
		uint64_t io = g->t + s;

		if (spurious_p > 0 && chance(&g->r, spurious_p)) {
			uint64_t inv =
				g->t + 1 +
				(uint64_t)(rng_unit(&g->r) * (double)s * 0.9);

			if (inv < tick)
				emit(g, inv, EV_INVALID, tick, 1 * US);
		}
		ticks_before(g, &tick, io);
		if (done(g))
			break;
		if (io <= g->t) {
			absorb(g, uni(&g->r, 8 * US, 20 * US));
			continue;
		}
		emit(g, io, EV_IO, tick, uni(&g->r, 8 * US, 20 * US));
	}
}

static void gen_odsync(struct gen *g)
{
	gen_odsync_common(g, 0);
}

/*
 * idle: an idle Linux guest with NOHZ: its own timer wakes it every
 * 4-10 ms (uniform), the tick's work takes 5-15 us; one tick in ten
 * queues work elsewhere whose completion IPIs this vCPU 30-150 us later
 * (RCU, a kworker on another vCPU); device interrupts arrive at 2/s
 * (Poisson), 5-20 us each.
 */
static void gen_idle(struct gen *g)
{
	uint64_t tick = g->t + uni(&g->r, 4 * MS, 10 * MS);
	uint64_t dev = g->t + expo(&g->r, 500.0 * MS);
	uint64_t follow = NONE_AT;

	while (!done(g)) {
		uint64_t unk = dev < follow ? dev : follow;

		if (tick <= unk) {
			if (tick > g->t)
				emit(g, tick, EV_TIMER, tick,
				     uni(&g->r, 5 * US, 15 * US));
			else
				g->t += uni(&g->r, 5 * US, 15 * US);
			if (follow == NONE_AT && chance(&g->r, 0.1))
				follow = g->t + uni(&g->r, 30 * US, 150 * US);
			tick = g->t + uni(&g->r, 4 * MS, 10 * MS);
			continue;
		}
		if (unk > g->t)
			emit(g, unk, EV_IO, tick, uni(&g->r, 5 * US, 20 * US));
		else
			absorb(g, uni(&g->r, 5 * US, 20 * US));
		if (unk == follow)
			follow = NONE_AT;
		else
			dev = g->t + expo(&g->r, 500.0 * MS);
	}
}

/*
 * bursty: network receive in bursts: a burst of N packets (geometric,
 * mean 32), 3 us + exponential(mean 20 us) apart, 3-8 us of softirq work
 * each; bursts separated by idle gaps (exponential, mean 3 ms); HZ=250
 * tick.  Arrivals are open-loop: a packet that arrives while the previous
 * one is processed is handled without a halt.
 */
static void gen_bursty(struct gen *g)
{
	uint64_t tick = g->t + uni(&g->r, 0, 4 * MS);
	uint64_t pkt = g->t + expo(&g->r, 3.0 * MS);
	unsigned int left = geom(&g->r, 32);

	while (!done(g)) {
		ticks_before(g, &tick, pkt);
		if (done(g))
			break;
		if (pkt > g->t)
			emit(g, pkt, EV_IO, tick, uni(&g->r, 3 * US, 8 * US));
		else
			absorb(g, uni(&g->r, 3 * US, 8 * US));
		if (--left) {
			pkt += 3 * US + expo(&g->r, 20.0 * US);
		} else {
			pkt += expo(&g->r, 3.0 * MS);
			left = geom(&g->r, 32);
		}
	}
}

/*
 * timer: a timer-driven guest (media / soft real-time): hrtimers expire
 * 50 us to 1 ms apart (log-uniform, each the previous expiry plus the
 * interval), 5-20 us of work each; the vCPU's own LAPIC timer wakes it, so
 * the deadline is known; plus device interrupts at 200/s (Poisson).
 */
static void gen_timer(struct gen *g)
{
	uint64_t tmr = g->t + loguni(&g->r, 50.0 * US, 1.0 * MS);
	uint64_t dev = g->t + expo(&g->r, 5.0 * MS);

	while (!done(g)) {
		if (tmr <= dev) {
			if (tmr > g->t)
				emit(g, tmr, EV_TIMER, tmr,
				     uni(&g->r, 5 * US, 20 * US));
			else
				g->t += uni(&g->r, 5 * US, 20 * US);
			tmr += loguni(&g->r, 50.0 * US, 1.0 * MS);
			continue;
		}
		if (dev > g->t)
			emit(g, dev, EV_IO, tmr, uni(&g->r, 5 * US, 20 * US));
		else
			absorb(g, uni(&g->r, 5 * US, 20 * US));
		dev = g->t + expo(&g->r, 5.0 * MS);
	}
}

/* spurious: odsync, and 5% of the waits see an invalid wake-up first. */
static void gen_spurious(struct gen *g)
{
	gen_odsync_common(g, 0.05);
}

/*
 * steady: a device completing at a constant rate (a virtio ring fed by a
 * real-time producer: audio DMA, a sensor): every 120 us +/- 5%
 * (open-loop), 10-15 us of work each; HZ=250 tick.  KVM's best case:
 * wake-ups at an almost constant rate (Documentation/virt/kvm/
 * halt-polling.rst).
 */
static void gen_steady(struct gen *g)
{
	uint64_t tick = g->t + uni(&g->r, 0, 4 * MS);
	uint64_t next = g->t + 120 * US;

	while (!done(g)) {
		ticks_before(g, &tick, next);
		if (done(g))
			break;
		if (next > g->t)
			emit(g, next, EV_IO, tick,
			     uni(&g->r, 10 * US, 15 * US));
		else
			absorb(g, uni(&g->r, 10 * US, 15 * US));
		next += uni(&g->r, 114 * US, 126 * US);
	}
}

/*
 * pingpong: a closed-loop RPC client: it sends a request, the response
 * comes 20-40 us later (a fast local service), it works 5-10 us, then
 * waits 1-3 ms (uniform) for the next request from the network.  HZ=250
 * tick.  Short and long waits alternate.
 */
static void gen_pingpong(struct gen *g)
{
	uint64_t tick = g->t + uni(&g->r, 0, 4 * MS);

	while (!done(g)) {
		uint64_t resp = g->t + uni(&g->r, 20 * US, 40 * US), req;

		ticks_before(g, &tick, resp);
		if (done(g))
			break;
		if (resp > g->t)
			emit(g, resp, EV_IO, tick, uni(&g->r, 5 * US, 10 * US));
		else
			g->absorbed = true; /* handled in the tick's run */
		req = g->t + uni(&g->r, 1 * MS, 3 * MS);
		ticks_before(g, &tick, req);
		if (done(g))
			break;
		if (req > g->t)
			emit(g, req, EV_IO, tick, uni(&g->r, 5 * US, 10 * US));
		else
			g->absorbed = true;
	}
}

struct trace_def {
	const char *name;
	const char *what;
	void (*gen)(struct gen *g);
};

static const struct trace_def traces[] = {
	{ "odsync", "O_DSYNC writes, one at a time (seed 003)", gen_odsync },
	{ "idle", "idle guest, NOHZ tick every 4-10 ms", gen_idle },
	{ "bursty", "network bursts (mean 32 pkts) and idle gaps", gen_bursty },
	{ "timer", "own hrtimers 50 us-1 ms apart + 200 irq/s", gen_timer },
	{ "spurious", "odsync with 5% invalid wake-ups", gen_spurious },
	{ "steady", "device completions every 120 us +/- 5%", gen_steady },
	{ "pingpong", "RPC client: 20-40 us reply, 1-3 ms think",
	  gen_pingpong },
};
#define NTRACES (sizeof(traces) / sizeof(traces[0]))

/* ---------------------------------------------------------------------- */
/* Policies and the cost model                                            */

struct policy_def {
	const char *name;
	uint32_t policy;
	uint32_t flags;
	bool ablation;
};

static const struct policy_def policies[] = {
	{ "none", VAPIC_HALTPOLL_NONE, 0, false },
	{ "kvm", VAPIC_HALTPOLL_KVM, 0, false },
	{ "guest-gov", VAPIC_HALTPOLL_GUEST, 0, false },
	/* This host reports the events a halt did not see (F_EVENTS). */
	{ "vapic", VAPIC_HALTPOLL_ADAPTIVE, VAPIC_HALTPOLL_F_EVENTS, false },
	{ "vapic-timer-only", VAPIC_HALTPOLL_ADAPTIVE,
	  VAPIC_HALTPOLL_F_EVENTS | VAPIC_HALTPOLL_F_NO_PREDICT, true },
	{ "vapic-no-timer", VAPIC_HALTPOLL_ADAPTIVE,
	  VAPIC_HALTPOLL_F_EVENTS | VAPIC_HALTPOLL_F_NO_TIMER, true },
	{ "vapic-no-budget", VAPIC_HALTPOLL_ADAPTIVE,
	  VAPIC_HALTPOLL_F_EVENTS | VAPIC_HALTPOLL_F_NO_BUDGET, true },
	{ "vapic-no-events", VAPIC_HALTPOLL_ADAPTIVE, 0, true },
};
#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))
#define P_KVM 1
#define P_VAPIC 3

struct cost_model {
	uint64_t block_wake_ns; /* latency of a wake-up after blocking */
	uint64_t poll_hit_ns; /* latency of an event seen while polling */
	uint32_t cpu_weight_q8; /* vapic: 0 = its default */
	uint32_t dump; /* print the first N wasted polls of vapic */
	int64_t budget_ppm; /* vapic: -1 = its default */
};

struct result {
	uint64_t halts, real, hits, polls, poll_ok;
	uint64_t lat_ns, saved_ns, wasted_ns, poll_ns, elapsed_ns;
	uint64_t attempted, successful; /* the policy's own stats */
};

/* @win: if not NULL, each halt's poll window (n entries). */
static void replay(const struct halt_ev *ev, size_t n,
		   const struct policy_def *pd, const struct cost_model *cm,
		   struct result *res, uint64_t *win)
{
	struct vapic_haltpoll_config cfg;
	struct vapic_haltpoll hp;
	uint64_t now = 0;
	uint32_t dumped = 0;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (vapic_haltpoll_config_default(&cfg, pd->policy)) {
		fprintf(stderr, "bad policy %s\n", pd->name);
		exit(2);
	}
	cfg.flags = pd->flags;
	/* The host knows (measures) its own block + wake-up cost. */
	if (pd->policy == VAPIC_HALTPOLL_ADAPTIVE) {
		cfg.block_cost_ns = (uint32_t)cm->block_wake_ns;
		if (cm->cpu_weight_q8)
			cfg.cpu_weight_q8 = cm->cpu_weight_q8;
		if (cm->budget_ppm >= 0)
			cfg.budget_ppm = (uint32_t)cm->budget_ppm;
	}
	if (vapic_haltpoll_init(&hp, &cfg)) {
		fprintf(stderr, "bad config for %s\n", pd->name);
		exit(2);
	}
	for (i = 0; i < n; i++) {
		const struct halt_ev *e = &ev[i];
		bool real = e->kind != EV_INVALID;
		uint32_t flags = 0;
		uint64_t w, poll, end, resume, lat;
		int err;

		if (e->event_before)
			vapic_haltpoll_event(&hp);
		err = vapic_haltpoll_begin(&hp, now, e->timer_ns, &w);
		if (err) {
			fprintf(stderr, "begin: %s\n", vapic_strerror(err));
			exit(2);
		}
		if (win)
			win[i] = w;
		if (e->kind == EV_TIMER)
			flags |= VAPIC_HALT_TIMER;
		if (!real)
			flags |= VAPIC_HALT_INVALID;
		if (w && e->ev_ns <= w) {
			/* Seen by the poll loop: KVM's halt ends there. */
			poll = e->ev_ns;
			end = now + e->ev_ns;
			lat = cm->poll_hit_ns;
			resume = end + lat;
		} else {
			poll = w;
			end = now + e->ev_ns + cm->block_wake_ns;
			lat = cm->block_wake_ns;
			resume = end;
			flags |= VAPIC_HALT_WAITED;
		}
		err = vapic_haltpoll_end(&hp, now + poll, end, flags);
		if (err) {
			fprintf(stderr, "end: %s\n", vapic_strerror(err));
			exit(2);
		}
		res->halts++;
		res->poll_ns += poll;
		if (w)
			res->polls++;
		if (real) {
			res->real++;
			res->lat_ns += lat;
			res->saved_ns += cm->block_wake_ns - lat;
			if (!(flags & VAPIC_HALT_WAITED)) {
				res->hits++;
				res->poll_ok++;
			} else {
				res->wasted_ns += poll;
			}
		} else {
			res->wasted_ns += poll;
		}
		if (poll && (!real || (flags & VAPIC_HALT_WAITED)) &&
		    pd == &policies[P_VAPIC] && dumped < cm->dump) {
			dumped++;
			printf("    wasted: halt %zu poll %" PRIu64
			       " ev %" PRIu64 " kind %u timer %" PRId64
			       " prev ev %" PRIu64 " kind %u\n",
			       i, poll, e->ev_ns, e->kind,
			       e->timer_ns == VAPIC_HALTPOLL_NO_TIMER
				       ? -1
				       : (int64_t)e->timer_ns,
			       i ? ev[i - 1].ev_ns : 0, i ? ev[i - 1].kind : 0);
		}
		now = resume + e->run_ns;
	}
	res->elapsed_ns = now;
	res->attempted = hp.stats.halt_attempted_poll;
	res->successful = hp.stats.halt_successful_poll;
}

/*
 * Hindsight reference (not a policy): a fixed window @w for every halt, or
 * exactly to the own timer when it is due within 200 us (the timer
 * knowledge the adaptive policy has).  Same accounting as replay().
 */
static void fixed_replay(const struct halt_ev *ev, size_t n, uint64_t w,
			 const struct cost_model *cm, struct result *res)
{
	uint64_t now = 0;
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		const struct halt_ev *e = &ev[i];
		bool real = e->kind != EV_INVALID;
		uint64_t p = e->timer_ns <= VAPIC_ADAPTIVE_TIMER_MAX_NS
				     ? e->timer_ns
				     : w;
		bool hit = p && e->ev_ns <= p;
		uint64_t poll = hit ? e->ev_ns : p;
		uint64_t lat = hit ? cm->poll_hit_ns : cm->block_wake_ns;

		res->halts++;
		res->poll_ns += poll;
		res->polls += p != 0;
		if (real) {
			res->real++;
			res->lat_ns += lat;
			res->saved_ns += cm->block_wake_ns - lat;
			res->hits += hit;
			res->poll_ok += hit;
		}
		if (!real || !hit)
			res->wasted_ns += poll;
		now += e->ev_ns + lat + e->run_ns;
	}
	res->elapsed_ns = now;
}

/*
 * The fixed window (0..200 us, 1 us steps) that wastes least while saving
 * at least @need_saved_ns, in hindsight: the best one static window for
 * all halts could do.  Not a lower bound for policies with contexts (the
 * adaptive policy beats it where contexts tell halts apart); see
 * tools/haltpoll_bound.py for bounds.  Returns false if no window saves
 * that much.
 */
static bool best_static(const struct halt_ev *ev, size_t n,
			uint64_t need_saved_ns, const struct cost_model *cm,
			struct result *best, uint64_t *best_w)
{
	struct result r;
	bool found = false;
	uint64_t w;

	for (w = 0; w <= 200 * US; w += 1 * US) {
		fixed_replay(ev, n, w, cm, &r);
		if (r.saved_ns < need_saved_ns)
			continue;
		if (!found || r.wasted_ns < best->wasted_ns) {
			*best = r;
			*best_w = w;
			found = true;
		}
	}
	return found;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

static void usage(FILE *f)
{
	fprintf(f, "usage: haltpoll_eval [options]\n"
		   "\n"
		   "Replays generated wake-interval traces through libvapic's "
		   "halt-polling\n"
		   "policies and prints what each buys and costs.\n"
		   "\n"
		   "Options:\n"
		   "  --seed N          PRNG seed (default 1); same seed, same "
		   "numbers\n"
		   "  --halts N         halts per trace (default 200000)\n"
		   "  --block-wake NS   cost model: wake-up latency after "
		   "blocking (25000)\n"
		   "  --poll-hit NS     cost model: latency of an event seen "
		   "while polling\n"
		   "                    (200)\n"
		   "  --trace NAME      only this trace (repeatable)\n"
		   "  --ablation        also run the adaptive policy without "
		   "each part\n"
		   "  --reference       also find, in hindsight, the one fixed "
		   "window (with\n"
		   "                    the same timer knowledge) that wastes "
		   "least while\n"
		   "                    saving as much as kvm: what a single "
		   "static window\n"
		   "                    could do; a policy with contexts can "
		   "do better\n"
		   "  --cpu-weight Q8   vapic's cpu_weight_q8 (default: the "
		   "library's)\n"
		   "  --budget-ppm N    vapic's budget_ppm (default: the "
		   "library's)\n"
		   "  --csv FILE        write one row per trace and policy\n"
		   "  --strict          exit 1 if any trace fails the verdict\n"
		   "  --dump-wasted N   print vapic's first N wasted polls per "
		   "trace\n"
		   "  --dump-trace FILE write every halt of every trace run "
		   "(trace, ev_ns,\n"
		   "                    timer_ns (-1: none), kind 0 io / 1 "
		   "own timer /\n"
		   "                    2 invalid, run_ns) and each policy's "
		   "poll window\n"
		   "                    (none_w, kvm_w, guest-gov_w, vapic_w) "
		   "as CSV, for\n"
		   "                    tools/haltpoll_bound.py\n"
		   "  --help\n"
		   "\n"
		   "Cost model.  A halt ends when its wake-up event comes, ev "
		   "ns after the\n"
		   "vCPU halted.  If the policy's poll window w covers it (ev "
		   "<= w) the poll\n"
		   "sees it: the vCPU runs again poll-hit ns later, having "
		   "polled ev ns\n"
		   "(useful poll time).  Otherwise the thread polls w ns for "
		   "nothing (wasted\n"
		   "poll time), blocks, and runs again block-wake ns after the "
		   "event.  Wake\n"
		   "latency saved = sum over real wake-ups of (block-wake - "
		   "latency); an\n"
		   "invalid wake-up (no real event: the vCPU halts again) "
		   "saves nothing, and\n"
		   "all the poll time it used is wasted.  CPU = all poll time "
		   "/ trace time.\n"
		   "The policies see what they would see in a host: KVM and "
		   "the governor\n"
		   "measure the halt up to the moment the vCPU runs again "
		   "(block-wake\n"
		   "included when it blocked); the adaptive policy also gets "
		   "the own timer's\n"
		   "deadline and its block_cost_ns is set to block-wake, and "
		   "the host\n"
		   "reports the events the vCPU handled without a halt "
		   "(F_EVENTS;\n"
		   "vapic-no-events in --ablation runs without).  The "
		   "replay is\n"
		   "open-loop: every policy sees the same wake intervals; it "
		   "changes only\n"
		   "each wake-up's latency and the poll time.\n"
		   "\n"
		   "Defaults: block-wake 25 us = on the reference machine a "
		   "vCPU thread\n"
		   "blocked in poll(2) on a timerfd sees its timer 42.9 us "
		   "late (p50), one\n"
		   "that busy-polls the TSC 18.0 us late "
		   "(notes/machine-facts.md); poll-hit\n"
		   "200 ns = one iteration of a poll loop that reads the clock "
		   "and checks\n"
		   "for events.\n"
		   "\n"
		   "Traces (each built from a description, not fitted to a "
		   "policy):\n"
		   "  odsync    seed 003: O_DSYNC writes one at a time; "
		   "service time\n"
		   "            log-normal (median 40 us, sigma 0.35), 1%% "
		   "outliers 0.3-3 ms;\n"
		   "            8-20 us guest work between; HZ=250 tick (own "
		   "timer)\n"
		   "  idle      NOHZ idle: own timer every 4-10 ms; 1 tick in "
		   "10 causes an\n"
		   "            IPI 30-150 us later; device interrupts 2/s\n"
		   "  bursty    packet bursts (geometric, mean 32) 3 us + "
		   "exp(20 us) apart,\n"
		   "            gaps exp(3 ms); HZ=250 tick\n"
		   "  timer     own hrtimers 50 us - 1 ms apart (log-uniform), "
		   "deadlines\n"
		   "            known; device interrupts 200/s\n"
		   "  spurious  odsync, and 5%% of the waits first see an "
		   "invalid wake-up\n"
		   "  steady    device completions every 120 us +/- 5%%; "
		   "HZ=250 tick\n"
		   "  pingpong  RPC client: reply 20-40 us, then 1-3 ms until "
		   "the next\n"
		   "            request; HZ=250 tick\n"
		   "\n"
		   "Policies: none; kvm (Linux 6.1 kvm_vcpu_halt, halt_poll_ns "
		   "200000, grow\n"
		   "2, grow_start 10000, shrink 0); guest-gov "
		   "(cpuidle-haltpoll governor,\n"
		   "200000/2/50000/2); vapic (libvapic adaptive, defaults).\n"
		   "\n"
		   "Verdict (issue 4): on every trace, vapic's latency saved "
		   ">= kvm's and\n"
		   "vapic's wasted poll time <= 0.5 x kvm's.  With --strict, "
		   "exit status 1\n"
		   "if any trace fails.\n");
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void print_result(const char *name, const struct result *r)
{
	printf("  %-17s %6.1f %6.1f %11.2f %8.2f %11.3f %7.2f %8.2f\n", name,
	       pct(r->hits, r->real), pct(r->poll_ok, r->polls),
	       ms(r->saved_ns), r->real ? (double)r->lat_ns / r->real / 1e3 : 0,
	       ms(r->wasted_ns), pct(r->poll_ns, r->elapsed_ns),
	       r->elapsed_ns ? (double)r->wasted_ns / r->elapsed_ns * 1e2 : 0);
}

static bool verdict(const struct result *kvm, const struct result *ours)
{
	return ours->saved_ns >= kvm->saved_ns &&
	       2 * ours->wasted_ns <= kvm->wasted_ns;
}

static uint64_t parse_u64(const char *s, const char *opt)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || *s == '-') {
		fprintf(stderr, "%s: bad number '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct cost_model cm = { .block_wake_ns = 25000,
				 .poll_hit_ns = 200,
				 .cpu_weight_q8 = 0,
				 .dump = 0,
				 .budget_ppm = -1 };
	struct result res[NTRACES][NPOLICIES], ref[NTRACES];
	uint64_t ref_w[NTRACES] = { 0 };
	bool have_ref[NTRACES] = { false }, reference = false, strict = false;
	bool want[NTRACES] = { false }, any_trace = false, ablation = false;
	uint64_t seed = 1, halts = 200000;
	const char *csv_path = NULL, *trace_path = NULL;
	FILE *csv = NULL, *tf = NULL;
	uint64_t *win[NPOLICIES] = { NULL };
	unsigned int t, p, fails = 0, ran = 0;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--seed") && more) {
			seed = parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--halts") && more) {
			halts = parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--block-wake") && more) {
			cm.block_wake_ns = parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--poll-hit") && more) {
			cm.poll_hit_ns = parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--cpu-weight") && more) {
			cm.cpu_weight_q8 = (uint32_t)parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--budget-ppm") && more) {
			cm.budget_ppm = (int64_t)parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--dump-wasted") && more) {
			cm.dump = (uint32_t)parse_u64(argv[++i], a);
		} else if (!strcmp(a, "--strict")) {
			strict = true;
		} else if (!strcmp(a, "--reference")) {
			reference = true;
		} else if (!strcmp(a, "--ablation")) {
			ablation = true;
		} else if (!strcmp(a, "--dump-trace") && more) {
			trace_path = argv[++i];
		} else if (!strcmp(a, "--csv") && more) {
			csv_path = argv[++i];
		} else if (!strcmp(a, "--trace") && more) {
			const char *nm = argv[++i];

			for (t = 0; t < NTRACES; t++)
				if (!strcmp(nm, traces[t].name))
					break;
			if (t == NTRACES) {
				fprintf(stderr, "unknown trace '%s'\n", nm);
				return 2;
			}
			want[t] = any_trace = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!halts || halts > 100000000ULL || !cm.block_wake_ns ||
	    cm.block_wake_ns > VAPIC_ADAPTIVE_BLOCK_COST_LIMIT_NS ||
	    cm.poll_hit_ns >= cm.block_wake_ns) {
		fprintf(stderr, "need 1 <= halts <= 1e8, 0 < poll-hit < "
				"block-wake <= 1 ms\n");
		return 2;
	}
	if (trace_path) {
		tf = fopen(trace_path, "w");
		if (!tf) {
			perror(trace_path);
			return 2;
		}
		fprintf(tf, "trace,ev_ns,timer_ns,kind,run_ns");
		for (p = 0; p < NPOLICIES; p++)
			if (!policies[p].ablation)
				fprintf(tf, ",%s_w", policies[p].name);
		fprintf(tf, "\n");
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 2;
		}
		fprintf(csv, "trace,policy,halts,real_wakeups,hits,polls,"
			     "hit_pct,saved_ms,mean_latency_us,wasted_ms,"
			     "cpu_pct,elapsed_ms\n");
	}

	printf("haltpoll_eval: seed %" PRIu64 ", %" PRIu64 " halts per trace\n",
	       seed, halts);
	printf("cost model: block-wake %" PRIu64 " ns (latency after "
	       "blocking), poll-hit %" PRIu64 " ns (event seen while "
	       "polling)\n",
	       cm.block_wake_ns, cm.poll_hit_ns);
	printf("columns: hit%% = real wake-ups caught by a poll; succ%% = "
	       "polls that caught a real event;\n  saved = wake latency "
	       "saved vs no polling; lat = mean wake latency; wasted = poll\n"
	       "  time not ending in a real event; cpu%% = all poll time / "
	       "trace time; waste%% = wasted / trace time\n");

	for (t = 0; t < NTRACES; t++) {
		struct gen g;

		if (any_trace && !want[t])
			continue;
		memset(&g, 0, sizeof(g));
		/* Each trace its own stream: adding one changes no other. */
		g.r.s = seed * 0x100000001b3ULL + t;
		g.want = halts;
		traces[t].gen(&g);
		printf("\n%s: %s; %zu halts, %.1f s\n", traces[t].name,
		       traces[t].what, g.n, (double)g.t / 1e9);
		printf("  %-17s %6s %6s %11s %8s %11s %7s %8s\n", "policy",
		       "hit%", "succ%", "saved(ms)", "lat(us)", "wasted(ms)",
		       "cpu%", "waste%");
		for (p = 0; tf && p < NPOLICIES; p++) {
			win[p] = calloc(g.n, sizeof(*win[p]));
			if (!win[p]) {
				perror("calloc");
				return 2;
			}
		}
		for (p = 0; p < NPOLICIES; p++) {
			struct result *r = &res[t][p];

			if (policies[p].ablation && !ablation)
				continue;
			replay(g.ev, g.n, &policies[p], &cm, r, win[p]);
			print_result(policies[p].name, r);
			if (csv)
				fprintf(csv,
					"%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64
					",%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n",
					traces[t].name, policies[p].name,
					r->halts, r->real, r->hits, r->polls,
					pct(r->hits, r->real), ms(r->saved_ns),
					r->real ? (double)r->lat_ns / r->real /
							  1e3
						: 0,
					ms(r->wasted_ns),
					pct(r->poll_ns, r->elapsed_ns),
					ms(r->elapsed_ns));
		}
		if (reference) {
			char label[32];

			have_ref[t] =
				best_static(g.ev, g.n, res[t][P_KVM].saved_ns,
					    &cm, &ref[t], &ref_w[t]);
			if (have_ref[t]) {
				snprintf(label, sizeof(label), "best-static %u",
					 (unsigned int)(ref_w[t] / US));
				print_result(label, &ref[t]);
			} else {
				printf("  best-static: no fixed window saves "
				       "as "
				       "much as kvm\n");
			}
		}
		if (tf) {
			size_t k;

			for (k = 0; k < g.n; k++) {
				const struct halt_ev *e = &g.ev[k];

				fprintf(tf,
					"%s,%" PRIu64 ",%" PRId64
					",%u,%" PRIu64,
					traces[t].name, e->ev_ns,
					e->timer_ns == VAPIC_HALTPOLL_NO_TIMER
						? -1
						: (int64_t)e->timer_ns,
					e->kind, e->run_ns);
				for (p = 0; p < NPOLICIES; p++)
					if (!policies[p].ablation)
						fprintf(tf, ",%" PRIu64,
							win[p][k]);
				fprintf(tf, "\n");
			}
		}
		for (p = 0; p < NPOLICIES; p++) {
			free(win[p]);
			win[p] = NULL;
		}
		free(g.ev);
		ran++;
	}

	printf("\nverdict: vapic vs kvm (saved >= kvm's, wasted <= 0.5 x "
	       "kvm's)\n");
	printf("  %-9s %12s %12s %7s %12s %12s %7s  %-6s %s\n", "trace",
	       "kvm saved", "vapic saved", "ratio", "kvm wasted",
	       "vapic wasted", "ratio", "result",
	       reference ? "best-static wasted/kvm" : "");
	for (t = 0; t < NTRACES; t++) {
		const struct result *k = &res[t][P_KVM], *o = &res[t][P_VAPIC];
		bool ok;

		if (any_trace && !want[t])
			continue;
		ok = verdict(k, o);
		fails += !ok;
		printf("  %-9s %10.2fms %10.2fms %7.3f %10.3fms %10.3fms %7.3f "
		       " "
		       "%-6s",
		       traces[t].name, ms(k->saved_ns), ms(o->saved_ns),
		       k->saved_ns ? (double)o->saved_ns / k->saved_ns : 0,
		       ms(k->wasted_ns), ms(o->wasted_ns),
		       k->wasted_ns ? (double)o->wasted_ns / k->wasted_ns : 0,
		       ok ? "PASS" : "FAIL");
		if (reference && have_ref[t])
			printf(" %.3f (w=%u us)",
			       k->wasted_ns
				       ? (double)ref[t].wasted_ns / k->wasted_ns
				       : 0,
			       (unsigned int)(ref_w[t] / US));
		else if (reference)
			printf(" -");
		printf("\n");
	}
	printf("%u/%u traces PASS\n", ran - fails, ran);
	if (csv)
		fclose(csv);
	if (tf && fclose(tf)) {
		perror(trace_path);
		return 2;
	}
	return strict && fails ? 1 : 0;
}
