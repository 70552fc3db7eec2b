// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz target 'timer': a byte-script interpreter that drives the LAPIC timer
 * of two guest vCPUs on the virtual clock (adapters/vclock) and checks the
 * timer's invariants after every step against an oracle kept here, in the
 * harness, from the architecture (Intel SDM vol. 3A, "APIC Timer",
 * "TSC-Deadline Mode", "Local Vector Table") and the documented contracts of
 * <vapic/timer.h> -- never from the core's own state.
 *
 * Input
 * -----
 *   byte 0..3	the configuration (see parse_config()): APIC bus and guest
 *		TSC frequencies, the two hosts' TSC frequencies, minimum
 *		period, missed-tick policy, catch-up cap, timer advance,
 *		TSC-deadline exposed or not, posted or deferred delivery,
 *		host timer and entry latencies, initial guest TSC offset
 *		(or, byte 3 bit 7, a guest TSC that starts 1 us .. 8 s
 *		before it wraps past 2^64).
 *   then ops	one opcode byte each: bits 4:0 the op (enum op), bit 5 the
 *		guest vCPU (0/1), bits 7:6 a small parameter; then the op's
 *		argument bytes.  A truncated op ends the script.
 *
 * The guest has two vCPUs.  There are two simulated hosts (two vclock VMs
 * with different host TSC frequencies, so different TSC scaling ratios);
 * each guest vCPU lives on one of them and can be migrated (save on one,
 * restore on the other with the guest TSC continuous or jumped forward, as
 * after a migration downtime).  Time moves on both hosts together.
 *
 * Oracle
 * ------
 * For each guest vCPU the harness keeps the registers as the architecture
 * says they read (LVT timer, TMICT, TDCR, IA32_TSC_DEADLINE, SVR enable) and
 * the running count-down or deadline: start and period of a one-shot or
 * periodic count in units of 1/bus_khz guest TSC cycles (exact), or the TSC
 * deadline.  Time in the oracle is the guest TSC unwrapped (128 bits: it
 * goes on past 2^64 where the guest TSC wraps to 0), so one-shot and
 * periodic positions stay exact across a wrap, as <vapic/timer.h> says
 * (compared modulo 2^64), and a TSC deadline falls due where the guest TSC
 * counting up reaches it: the SDM's unsigned "equals or exceeds", judged
 * where it was armed or where the TSC last jumped (a write of IA32_TSC or
 * IA32_TSC_ADJUST, a restore): at once if the TSC is then at or past it,
 * else when the TSC gets there, also if that is after a wrap and the
 * expiry is processed at a TSC numerically below the deadline; a jump
 * from below it to below it again (across the wrap) never reaches it.
 * Every tick boundary that passes while the timer is deliverable
 * (LVT unmasked, APIC software-enabled: the state only ops change, so it is
 * constant between ops) adds a token: one interrupt the guest may now
 * receive.  Every timer interrupt delivered (the vclock log: injected at
 * entry or posted) must take a token, else it came before its deadline:
 * "never early".  Ticks that merge or are dropped legitimately (coalescing,
 * masked, reset) leave tokens behind; after each explicit poll the tokens
 * are capped at what can still be in flight (timer vectors pending in IRR,
 * plus one unprocessed tick in posted mode, plus the catch-up backlog cap),
 * so slack does not pile up.
 *
 * Checks after every op (any failure prints the op and aborts, so libFuzzer
 * reports it): never early (above); every register read-back (LVTT, TMICT,
 * TDCR) as the architecture says; TMCCT exactly as the count-down says
 * (and <= TMICT); RDMSR IA32_TSC_DEADLINE (armed deadline, 0 once passed,
 * 0 outside TSC-deadline mode); no host timer armed for a timer that cannot
 * fire, none on a vCPU that holds no guest; at most one host timer per vCPU
 * ever (vclock_check(), which also re-checks the log with the core's own
 * deadline labels and the core's early counter); host timer fires per step
 * bounded (one per elapsed period for periodic, plus one armed before and
 * one per re-arm after a failed arm); no VAPIC_WARN_ON; every x2APIC-style
 * strict write refused exactly when its reserved bits say so; a due result
 * only when a tick is due; a saved record that matches the oracle (flags,
 * deadline, progress to the 2^-64) and that always restores; a mutated
 * record either restores or leaves the timer byte-for-byte untouched (and
 * is always refused when its header or checksum is wrong); a register
 * image load (vapic_timer_load_regs(), as KVM_SET_LAPIC) that leaves the
 * registers, TMCCT right after it, the TSC deadline (kept only from
 * TSC-deadline mode) and the next tick where <vapic/timer.h> says (the
 * count resumes with the loaded TMCCT at the loaded divide: never sooner),
 * says due only for a kept deadline already due, and leaves nothing in
 * flight (model_load(), do_load()); and, at drain ops under ideal
 * conditions, no due tick lost.
 *
 * Set FUZZ_TIMER_TRACE=1 to print each op as it runs.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/lapic.h>
#include <vapic/timer.h>

#include "vapic_user.h"
#include "vclock.h"

#include "fuzz.h"

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 s128;

#define NR_GUEST 2
#define NR_HOST 2
/* Work bound per input: vclock events over both hosts, ops. */
#define EVENT_BUDGET 20000ULL
#define MAX_OPS 2000
/*
 * Virtual time bound per input, per host (~13 days): at TSC rates up to
 * 2^25 kHz a step moves a guest TSC by less than 2^56 cycles, so a step
 * never looks like a jump back (gen()).  The guest TSC may wrap past 2^64
 * (TSC offset near it, OP_TSC_JUMP): the oracle counts unwrapped.
 */
#define TIME_LIMIT_NS (1ULL << 50)
/*
 * The latest a host timer can fire after its expiry (OP_LATENCY): a stall
 * of up to 64 << 22 ns on top of a base latency of up to 255 * 100 us.
 */
#define LATENCY_MAX_NS ((64ULL << 22) + 255ULL * 100000)
/* A run call that processes this many events is a livelock. */
#define LIVELOCK_EVENTS (20 * EVENT_BUDGET)

/* Architectural constants, written out here rather than taken from the core. */
#define LVT_VECTOR 0x000000ffU
#define LVT_STATUS 0x00001000U
#define LVT_MASK 0x00010000U
#define LVT_MODE 0x00060000U
#define LVT_TSC_BIT 0x00040000U
#define TDCR_BITS 0x0000000bU
#define REG_SVR 0x0f0U
#define REG_TPR 0x080U
#define REG_EOI 0x0b0U
#define REG_ISR 0x100U
#define REG_IRR 0x200U
#define REG_LVTT 0x320U
#define REG_TMICT 0x380U
#define REG_TMCCT 0x390U
#define REG_TDCR 0x3e0U

enum mode { M_ONESHOT = 0, M_PERIODIC = 1, M_TSCD = 2, M_RESERVED = 3 };

/* What runs: nothing, a count-down (one-shot/periodic) or a TSC deadline. */
enum kind { K_NONE, K_ONESHOT, K_PERIODIC, K_TSCD };

/*
 * Ops: the opcode's bits 4:0; "N:" is the number of argument bytes.  prm is
 * the opcode's bits 7:6.
 */
enum op {
	/* 2: vector, ctl (bit 0 mask, 2:1 mode, 3 status, 6:4 reserved
	 * bits, 7 strict x2APIC semantics) */
	OP_LVTT = 0,
	/* 4: raw value, little-endian; prm bit 0: strict */
	OP_LVTT_RAW = 1,
	/* 3: count = m16 << (e & 31), e bit 5: low bits filled */
	OP_TMICT = 2,
	/* 1: bits 3:0 -> TDCR 3:0, 7:4 -> reserved bits; prm bit 0: strict */
	OP_TDCR = 3,
	/* 2: delta m << e; prm 0: now + delta + 1, 1: now - delta (past),
	 * 2: 0 (disarm), 3: now + (m & 15) */
	OP_TSCD_REL = 4,
	/* 8: absolute deadline, little-endian */
	OP_TSCD_ABS = 5,
	/* prm bit 0: software enable; bit 1: SVR vector 0x3f */
	OP_SVR = 6,
	/* the guest reads TMCCT / RDMSR IA32_TSC_DEADLINE / LVTT, TMICT,
	 * TDCR (each an exit) */
	OP_RD_TMCCT = 7,
	OP_RD_MSR = 8,
	OP_RD_REGS = 9,
	/* 1: ns = b << (4 * prm) */
	OP_STEP_SMALL = 10,
	/* 2: ns = (m + 1) << (e % 44) */
	OP_STEP = 11,
	/* to the next event of this vCPU's host, prm + 1 times */
	OP_STEP_EVENT = 12,
	/* the vCPU thread polls and injects now (then the tokens are capped) */
	OP_POLL = 13,
	/* process the events due now */
	OP_SETTLE = 14,
	/* prm bit 0: the guest can take interrupts (IF) */
	OP_IRQ_WINDOW = 15,
	/* prm 0: EOI write, 1: auto EOI on, 2: auto EOI off, 3: TPR (1) */
	OP_EOI = 16,
	/* 2: guest TSC jump m << e (m 0xff: none); prm bit 0: migrate to
	 * the other host, else restore in place */
	OP_SAVE = 17,
	/* 3: pos, xor, how (bit 0: fix the checksum, bit 1: a second byte
	 * at pos + 1 + (how >> 2)) */
	OP_MUTATE = 18,
	/* 1: n; prm 0: next n timer_arm fail, 1: every n-th, 2: next n
	 * posts, 3: clear */
	OP_FAULT = 19,
	/* 1: prm 0: timer latency b * 100 ns, 1: stall the next timer,
	 * 2: entry latency b * 64 ns, 3: timer latency b * 100 us */
	OP_LATENCY = 20,
	/* INIT: vapic_lapic_reset() */
	OP_RESET = 21,
	/* prm bit 0: posting succeeds, bit 1: timer fires on another CPU */
	OP_POST = 22,
	/* prm bit 0: the vCPU thread comes back by itself when kicked */
	OP_AUTO_ENTER = 23,
	/* no due tick lost under ideal conditions (do_drain()) */
	OP_DRAIN = 24,
	/* 2: step until the guest TSC passed now + (m << (e % 40)) */
	OP_STEP_TSC = 25,
	/* 2: x = m << (e % 40); prm 0, 1: the guest TSC jumps forward by x
	 * (a guest write to IA32_TSC_ADJUST); prm 2: the guest writes
	 * IA32_TSC = 2^64 - 1 - x (near the wrap); prm 3: IA32_TSC = x (a
	 * small value: back, or forward past a wrap); the host calls
	 * vapic_timer_guest_tsc_changed() */
	OP_TSC_JUMP = 26,
	/*
	 * 9: the host loads a register image (vapic_timer_load_regs(), as
	 * KVM_SET_LAPIC): LVTT raw (4, little-endian, every bit), a TDCR
	 * byte (as OP_TDCR), TMICT (3, as OP_TMICT), a TMCCT byte c; prm 0:
	 * TMCCT = TMICT - TMICT * c / 256, 1: c, 2: TMICT + 1 + c (above
	 * it; saturated), 3: the image the timer has now (KVM_GET_LAPIC),
	 * each register XORed with its argument (all 0: a round trip)
	 */
	OP_LOAD_REGS = 27,
	/* 28..31: aliases of frequent ops (denser scripts). */
	OP_NR = 28,
};

static const uint8_t op_alias[32 - OP_NR] = {
	OP_TSCD_REL,
	OP_TMICT,
	OP_STEP_EVENT,
	OP_LVTT,
};

static const char *const op_name[OP_NR] = {
	"lvtt",	      "lvtt-raw", "tmict",	"tdcr",	      "tscd-rel",
	"tscd-abs",   "svr",	  "rd-tmcct",	"rd-msr",     "rd-regs",
	"step-small", "step",	  "step-event", "poll",	      "settle",
	"irq-window", "eoi",	  "save",	"mutate",     "fault",
	"latency",    "reset",	  "post",	"auto-enter", "drain",
	"step-tsc",   "tsc-jump", "load-regs",
};

/* One vCPU slot of one simulated host. */
struct slot {
	struct vclock_vcpu *v;
	int guest; /* the guest vCPU living here, or -1 */
	uint64_t lat_base_ns;
	uint64_t lat_once_ns;
	bool arm_faults; /* timer_arm failures were ever injected */
	bool post_faults;
	/* Host timer fires that follow an arm or a re-arm (not a spin). */
	uint64_t fires_real;
	uint64_t prev_cbw;
	uint64_t prev_ar;
};

/* The oracle of one guest vCPU. */
struct guest {
	int host;
	uint32_t lvtt;
	uint32_t tmict;
	uint32_t tdcr;
	uint64_t deadline;
	bool sw_enabled;
	uint32_t tpr;
	enum kind kind;
	/*
	 * Positions are in the unwrapped guest TSC ("U": gen_u at the guest
	 * TSC gen_tsc; gu()).
	 */
	s128 s_u; /* count start, 1/bus_khz U units (may be < 0) */
	u128 p_u; /* period, same units */
	u128 n_done; /* boundaries passed since s_u (TSC deadline: 0/1) */
	uint64_t d_tsc; /* the TSC deadline (IA32_TSC_DEADLINE) */
	u128 d_u; /* where it falls due, U */
	uint64_t gen_tsc; /* boundaries up to here are accounted */
	u128 gen_u; /* U of gen_tsc */
	uint64_t tokens;
	uint64_t delivered;
	/*
	 * Per vector: a tick with that (legal) vector fell due while
	 * deliverable at owed_since_u[v] and no interrupt with that vector
	 * came since.  Ticks of one vector may merge (one IRR bit), ticks of
	 * different vectors may not.  Cleared where a tick may legitimately
	 * be lost: reset, restore, migration.
	 */
	uint32_t owed[8];
	u128 owed_since_u[256];
	/* Catch-up ticks a foreign record may have left under coalesce. */
	uint64_t backlog_slack;
	/* The TSC deadline's tick fell due while deliverable (a token). */
	bool d_tick;
	/* The running count or deadline is the one a register load left. */
	bool loaded;
	/* The core holds a pending tick of another vector than the LVT's. */
};

/* What an input reached (for the seed corpus review; fuzz_summary()). */
struct reached {
	bool oneshot_due, periodic_due, tscd_due, many_periods, clamped;
	bool divide_change, tscd_past, delivered, posted, catchup, stall;
	bool restored, migrated, mutated_ok, mutated_refused, rsvd_refused;
	bool faults, drained, tmcct_nonzero, msr_armed, tsc_jump;
	/*
	 * The guest TSC wrap: a guest wrote IA32_TSC; a guest TSC counted
	 * past 2^64; a one-shot/periodic tick fell due after a wrap inside
	 * its period; a tick (a TSC-deadline tick) due before a wrap was
	 * delivered after it, at a TSC numerically below its due; a TSC jump
	 * across the wrap from below an armed deadline to below it again.
	 */
	bool tsc_write, tsc_wrapped, wrap_period, wrap_late, wrap_tscd_late;
	bool wrap_tscd_jump;
	/*
	 * Register image loads (OP_LOAD_REGS): one ran; it resumed a count
	 * part-way (0 < TMCCT < TMICT read back); it kept a TSC deadline; it
	 * dropped a tick that was due and not yet delivered; a tick of a
	 * count or deadline a load left fell due.
	 */
	bool loaded, load_resumed, load_kept, load_dropped, load_tick;
	uint64_t deliveries, ops, events;
};

static struct reached last_reached;

struct fz {
	struct vclock_vm *vm[NR_HOST];
	struct slot slot[NR_HOST][NR_GUEST];
	struct guest g[NR_GUEST];
	struct vapic_timer_config tcfg;
	uint32_t bus_khz, tsc_khz;
	u128 min_sub;
	bool tscd, posted, catchup;
	bool trace;
	const uint8_t *p;
	size_t n, i;
	bool eof;
	unsigned int op_index;
	const char *op_str;
	bool stop;
	struct reached reached;
};

/* ---------------------------------------------------------------------- */
/* Failure reporting                                                      */

#define fail(fz, ...) \
	fuzz_fail("fuzz_timer", (fz)->op_index, (fz)->op_str, __VA_ARGS__)
#define trace(fz, ...) fuzz_trace((fz)->trace, __VA_ARGS__)

static unsigned long long ull(u128 x)
{
	return x > UINT64_MAX ? ~0ULL : (unsigned long long)x;
}

static long long sll(s128 x)
{
	return x > INT64_MAX   ? INT64_MAX
	       : x < INT64_MIN ? INT64_MIN
			       : (long long)x;
}

/* The record checksum as <vapic/timer.h> defines it: zero field, FNV-1a. */
static uint32_t fuzz_state_checksum(const struct vapic_timer_state *s)
{
	struct vapic_timer_state c = *s;

	c.checksum = 0;
	return vapic_checksum32(&c, sizeof(c));
}

/* ---------------------------------------------------------------------- */
/* Input                                                                  */

static uint8_t get8(struct fz *fz)
{
	if (fz->i < fz->n)
		return fz->p[fz->i++];
	fz->eof = true;
	return 0;
}

static uint64_t get_le(struct fz *fz, int bytes)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < bytes; k++)
		v |= (uint64_t)get8(fz) << (8 * k);
	return v;
}

/* ---------------------------------------------------------------------- */
/* Architecture, written from the SDM                                     */

static enum mode mode_of(uint32_t lvtt)
{
	return (enum mode)((lvtt & LVT_MODE) >> 17);
}

/* SDM "Divide Configuration Register": bits 3,1,0 -> divisor. */
static uint32_t divisor(uint32_t tdcr)
{
	static const uint32_t tab[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };

	return tab[(tdcr & 3) | ((tdcr >> 1) & 4)];
}

/* Period of @count bus cycles / @div in 1/bus_khz TSC units, clamped. */
static u128 period_u(const struct fz *fz, uint32_t count, uint32_t div,
		     bool periodic)
{
	u128 p = (u128)count * div * fz->tsc_khz;

	if (periodic && p < fz->min_sub)
		p = fz->min_sub;
	return p;
}

static bool deliverable(const struct guest *g)
{
	return !(g->lvtt & LVT_MASK) && g->sw_enabled;
}

static struct slot *gslot(struct fz *fz, int gi)
{
	return &fz->slot[fz->g[gi].host][gi];
}

static struct vclock_vcpu *gv(struct fz *fz, int gi)
{
	return gslot(fz, gi)->v;
}

static uint64_t gnow(struct fz *fz, int gi)
{
	return vclock_guest_tsc(gv(fz, gi));
}

static bool expired(const struct guest *g)
{
	return (g->kind == K_ONESHOT || g->kind == K_TSCD) && g->n_done;
}

/*
 * The unwrapped guest TSC (U) of guest TSC @t at or after the last
 * accounted one (gen_tsc; less than 2^63 cycles later).
 */
static u128 gu(const struct guest *g, uint64_t t)
{
	return g->gen_u + (uint64_t)(t - g->gen_tsc);
}

/*
 * U at which a TSC deadline @d, armed (or kept across a TSC jump) at guest
 * TSC @now, falls due: the SDM compares unsigned at @now: at or past it,
 * due at once (at @d, unwrapped in this round of the TSC); else when the
 * TSC counting up from @now reaches it.
 */
static u128 tscd_due_u(const struct guest *g, uint64_t d, uint64_t now)
{
	u128 u = gu(g, now);

	return now >= d ? u - (now - d) : u + (d - now);
}

/*
 * @k ticks fell due, the first at U @first_u: tokens if the timer was
 * deliverable then (the architectural instant).
 */
static void ticks_due(struct fz *fz, struct guest *g, u128 k, u128 first_u)
{
	uint32_t vec = g->lvtt & LVT_VECTOR;

	if (!deliverable(g))
		return;
	g->tokens = k > UINT64_MAX - g->tokens ? UINT64_MAX
					       : g->tokens + (uint64_t)k;
	if (g->kind == K_TSCD)
		g->d_tick = true;
	if (g->loaded)
		fz->reached.load_tick = true;
	if (vec >= 16 && !(g->owed[vec >> 5] & (1U << (vec & 31)))) {
		g->owed[vec >> 5] |= 1U << (vec & 31);
		g->owed_since_u[vec] = first_u;
	}
	switch (g->kind) {
	case K_ONESHOT:
		fz->reached.oneshot_due = true;
		break;
	case K_PERIODIC:
		fz->reached.periodic_due = true;
		if (k > 1)
			fz->reached.many_periods = true;
		break;
	case K_TSCD:
		fz->reached.tscd_due = true;
		break;
	default:
		break;
	}
}

/* U of a boundary at @u (1/bus_khz units): rounded up. */
static u128 tsc_of(const struct fz *fz, s128 u)
{
	return u <= 0 ? 0 : (u128)((u + fz->bus_khz - 1) / fz->bus_khz);
}

/*
 * A count-down tick due at U @due_u, of a period that started at @start
 * (1/bus_khz U units): note a period with the guest TSC wrap inside it.
 */
static void note_wrap(struct fz *fz, s128 start, u128 due_u)
{
	if (start >= 0 && ((u128)start / fz->bus_khz) >> 64 != due_u >> 64)
		fz->reached.wrap_period = true;
}

/* Account every boundary at or before guest TSC @t. */
static void gen(struct fz *fz, int gi, uint64_t t)
{
	struct guest *g = &fz->g[gi];
	uint64_t dt = t - g->gen_tsc;
	s128 tu, b;
	u128 k;

	if (dt >> 63)
		fail(fz, "guest %d TSC went backwards: %llu after %llu", gi,
		     (unsigned long long)t, (unsigned long long)g->gen_tsc);
	if (t < g->gen_tsc)
		fz->reached.tsc_wrapped = true;
	g->gen_tsc = t;
	g->gen_u += dt;
	tu = (s128)(g->gen_u * fz->bus_khz);
	switch (g->kind) {
	case K_ONESHOT:
		b = g->s_u + (s128)g->p_u;
		if (!g->n_done && tu >= b) {
			g->n_done = 1;
			note_wrap(fz, g->s_u, tsc_of(fz, b));
			ticks_due(fz, g, 1, tsc_of(fz, b));
		}
		break;
	case K_PERIODIC:
		if (tu < g->s_u)
			break;
		k = (u128)(tu - g->s_u) / g->p_u;
		if (k > g->n_done) {
			b = g->s_u + (s128)((g->n_done + 1) * g->p_u);
			note_wrap(fz, b - (s128)g->p_u, tsc_of(fz, b));
			ticks_due(fz, g, k - g->n_done, tsc_of(fz, b));
			g->n_done = k;
		}
		break;
	case K_TSCD:
		if (!g->n_done && g->gen_u >= g->d_u) {
			g->n_done = 1;
			ticks_due(fz, g, 1, g->d_u);
		}
		break;
	default:
		break;
	}
}

/*
 * The guest TSC of guest @gi moves from @old (now) to @to: a guest write
 * of IA32_TSC or IA32_TSC_ADJUST, or a restore on a jumped TSC.  U moves
 * on by @to - @old modulo 2^64 (a move back or across a wrap is a jump
 * forward by nearly 2^64 in U: only differences of U matter), and so do
 * one-shot/periodic positions (they count on the bus clock: their host
 * time is kept).  A TSC deadline the TSC had reached before has its tick
 * already (gen() at @old); one not reached is judged again at @to.
 */
static void model_tsc_change(struct fz *fz, int gi, uint64_t old, uint64_t to)
{
	struct guest *g = &fz->g[gi];
	uint64_t d = to - old;

	gen(fz, gi, old);
	g->gen_u += d;
	g->gen_tsc = to;
	if (g->kind == K_ONESHOT || g->kind == K_PERIODIC)
		g->s_u += (s128)d * fz->bus_khz;
	if (g->kind == K_TSCD && !g->n_done) {
		if (to < g->d_tsc && old < g->d_tsc && to < old && !(d >> 63))
			fz->reached.wrap_tscd_jump = true;
		g->d_u = tscd_due_u(g, g->d_tsc, to);
	}
}

/* Elapsed part of the current period at @t (count-down running). */
static u128 elapsed_u(const struct fz *fz, const struct guest *g, uint64_t t)
{
	u128 e = (u128)((s128)gu(g, t) * fz->bus_khz - g->s_u);

	return g->kind == K_PERIODIC ? e % g->p_u : e;
}

static uint32_t expect_tmcct(struct fz *fz, int gi, uint64_t t)
{
	struct guest *g = &fz->g[gi];
	enum mode m = mode_of(g->lvtt);
	u128 e;

	if (m != M_ONESHOT && m != M_PERIODIC)
		return 0; /* SDM: TSC-deadline mode reads 0 */
	if (g->kind != K_ONESHOT && g->kind != K_PERIODIC)
		return 0;
	if (expired(g))
		return 0; /* one-shot stops at 0 */
	e = elapsed_u(fz, g, t);
	return g->tmict - (uint32_t)(e * g->tmict / g->p_u);
}

/* After gen(): the deadline until the TSC reached it (then it fired). */
static uint64_t expect_msr(const struct guest *g)
{
	if (mode_of(g->lvtt) != M_TSCD || !g->deadline)
		return 0;
	return g->kind == K_TSCD && !g->n_done ? g->deadline : 0;
}

/* ---------------------------------------------------------------------- */
/* Model updates for guest writes                                         */

static bool lvtt_rejected(const struct fz *fz, uint32_t val)
{
	uint32_t rsvd = ~(LVT_VECTOR | LVT_STATUS | LVT_MASK | LVT_MODE);

	if (!fz->tscd)
		rsvd |= LVT_TSC_BIT;
	return (val & rsvd) || mode_of(val) == M_RESERVED;
}

static void model_lvtt(struct fz *fz, struct guest *g, uint32_t val)
{
	uint32_t v = val & (LVT_VECTOR | LVT_MASK | LVT_MODE);

	if (!fz->tscd)
		v &= ~LVT_TSC_BIT; /* bit 18 reserved: bit 17 rules */
	if (!g->sw_enabled)
		v |= LVT_MASK;
	if (mode_of(v) != mode_of(g->lvtt)) {
		/* SDM "TSC-Deadline Mode": a mode switch disarms. */
		g->tmict = 0;
		g->deadline = 0;
		g->kind = K_NONE;
		g->backlog_slack = 0;
		g->loaded = false;
	}
	g->lvtt = v;
}

static void model_tmict(struct fz *fz, struct guest *g, uint32_t val,
			uint64_t now)
{
	enum mode m = mode_of(g->lvtt);

	if (m != M_ONESHOT && m != M_PERIODIC)
		return; /* ignored in TSC-deadline (and the reserved) mode */
	g->tmict = val;
	g->backlog_slack = 0; /* a new count starts without catch-up ticks */
	g->loaded = false;
	if (!val) {
		g->kind = K_NONE;
		return;
	}
	g->kind = m == M_PERIODIC ? K_PERIODIC : K_ONESHOT;
	g->p_u = period_u(fz, val, divisor(g->tdcr), m == M_PERIODIC);
	g->s_u = (s128)gu(g, now) * fz->bus_khz;
	g->n_done = 0;
	if (g->kind == K_PERIODIC && g->p_u == fz->min_sub &&
	    (u128)val * divisor(g->tdcr) * fz->tsc_khz < fz->min_sub)
		fz->reached.clamped = true;
}

static void model_tdcr(struct fz *fz, struct guest *g, uint32_t val,
		       uint64_t now)
{
	uint32_t old_div = divisor(g->tdcr), new_div;
	u128 e, p_new;

	val &= TDCR_BITS;
	new_div = divisor(val);
	g->tdcr = val;
	if (new_div == old_div)
		return;
	if ((g->kind != K_ONESHOT && g->kind != K_PERIODIC) || expired(g))
		return;
	/*
	 * The count and the progress inside the current tick are kept; the
	 * rest of the period runs at the new rate (timer.h).  The elapsed
	 * part scales by new/old, rounded down: never shorter than exact.
	 */
	e = elapsed_u(fz, g, now);
	p_new = period_u(fz, g->tmict, new_div, g->kind == K_PERIODIC);
	g->s_u = (s128)gu(g, now) * fz->bus_khz - (s128)(e * p_new / g->p_u);
	g->p_u = p_new;
	g->n_done = 0;
	fz->reached.divide_change = true;
}

static void model_tscd(struct guest *g, uint64_t d, uint64_t now)
{
	if (mode_of(g->lvtt) != M_TSCD)
		return; /* ignored outside TSC-deadline mode */
	g->deadline = d;
	g->loaded = false;
	if (!d) {
		g->kind = K_NONE;
		return;
	}
	g->kind = K_TSCD;
	g->d_tsc = d;
	g->d_u = tscd_due_u(g, d, now);
	g->n_done = 0;
	g->d_tick = false;
}

static void model_svr(struct guest *g, bool enable)
{
	if (!enable)
		g->lvtt |= LVT_MASK; /* SDM: software disable masks the LVTs */
	g->sw_enabled = enable;
}

/*
 * The oracle after vapic_timer_load_regs(@lvtt, @tdcr, @tmict, @tmcct) at
 * guest TSC @now, as <vapic/timer.h> says: LVTT as an xAPIC write sees it
 * (TSC-deadline mode reads as one-shot when hidden, masked while software-
 * disabled); a one-shot or periodic count resumes with TMCCT = @tmcct
 * counts (at the loaded divide, the period clamped as a TMICT write would)
 * to its next expiry; TMCCT 0 leaves a one-shot expired and stopped and a
 * periodic timer a full period from its next tick, and so does a TMCCT
 * above TMICT; TMICT 0 stops; a TSC deadline is kept only when the timer
 * was in TSC-deadline mode before; nothing in flight survives (the caller
 * caps the tokens).  TMICT outside the count modes ("ignored") is left to
 * the caller.  Returns the ticks the load may hand over beyond IRR: 1 when
 * it kept a deadline whose tick fell due while deliverable ("VAPIC_TIMER_
 * DUE: a kept TSC deadline is already due"; the core may also have taken
 * that expiry already, then it was in flight and is dropped), else 0.
 */
static unsigned int model_load(struct fz *fz, struct guest *g, uint32_t lvtt,
			       uint32_t tdcr, uint32_t tmict, uint32_t tmcct,
			       uint64_t now)
{
	bool was_tscd = mode_of(g->lvtt) == M_TSCD, periodic;
	uint32_t v = lvtt & (LVT_VECTOR | LVT_MASK | LVT_MODE), left;
	enum mode m;
	u128 e;

	if (!fz->tscd)
		v &= ~LVT_TSC_BIT;
	if (!g->sw_enabled)
		v |= LVT_MASK;
	m = mode_of(v);
	g->lvtt = v;
	g->tdcr = tdcr & TDCR_BITS;
	g->backlog_slack = 0;
	g->tmict = m == M_ONESHOT || m == M_PERIODIC ? tmict : 0;
	if (m == M_TSCD && was_tscd && g->kind == K_TSCD) {
		/* Kept: due where it was judged (armed, or the last jump). */
		g->loaded = true;
		if (!g->n_done)
			fz->reached.load_kept = true;
		return g->n_done && g->d_tick;
	}
	g->deadline = 0;
	g->kind = K_NONE;
	g->loaded = false;
	if ((m != M_ONESHOT && m != M_PERIODIC) || !tmict)
		return 0;
	periodic = m == M_PERIODIC;
	if (!periodic && !tmcct)
		return 0; /* a one-shot that expired stays stopped */
	left = !tmcct || tmcct > tmict ? tmict : tmcct;
	g->kind = periodic ? K_PERIODIC : K_ONESHOT;
	g->p_u = period_u(fz, tmict, divisor(g->tdcr), periodic);
	/*
	 * The least elapsed part e of the period at which TMCCT, tmict -
	 * floor(e * tmict / p), reads @left: the expiry comes @left counts
	 * later (exactly, unless the period is clamped: then the counts
	 * stretch with it, as TMCCT reads them), never sooner.
	 */
	e = ((u128)(tmict - left) * g->p_u + tmict - 1) / tmict;
	g->s_u = (s128)gu(g, now) * fz->bus_khz - (s128)e;
	g->n_done = 0;
	g->loaded = true;
	if (periodic && g->p_u == fz->min_sub &&
	    (u128)tmict * divisor(g->tdcr) * fz->tsc_khz < fz->min_sub)
		fz->reached.clamped = true;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                 */

static void check_ret(struct fz *fz, int gi, int r, const char *what)
{
	if (r >= 0)
		return;
	if (r == VAPIC_EHOST && gslot(fz, gi)->arm_faults)
		return;
	fail(fz, "guest %d: %s returned %d (%s)", gi, what, r,
	     vapic_strerror(r));
}

static uint32_t irr_timer_pending(struct vclock_vcpu *v)
{
	uint32_t n = 0, i, w;

	for (i = 0; i < 8; i++) {
		(void)vapic_lapic_read(&v->lapic, REG_IRR + 16 * i, &w);
		if (i == 0)
			w &= 0xffff0000U; /* vectors 0..15 are never pending */
		n += (uint32_t)__builtin_popcount(w);
	}
	return n;
}

static bool isr_empty(struct vclock_vcpu *v)
{
	uint32_t i, w;

	for (i = 0; i < 8; i++) {
		(void)vapic_lapic_read(&v->lapic, REG_ISR + 16 * i, &w);
		if (w)
			return false;
	}
	return true;
}

/* Process the deliveries logged on host @h: each must take a token. */
static void process_log(struct fz *fz, int h)
{
	struct vclock_vm *vm = fz->vm[h];
	char msg[256];
	size_t i;

	for (i = 0; i < vm->log_len; i++) {
		const struct vclock_delivery *d = &vm->log[i];
		struct slot *s = &fz->slot[h][d->vcpu];
		struct guest *g;

		if (s->guest < 0)
			fail(fz,
			     "host %d vCPU %u: vector %u delivered on a "
			     "vCPU that holds no guest",
			     h, d->vcpu, d->vector);
		g = &fz->g[s->guest];
		if (d->vector < 16)
			fail(fz, "guest %d: illegal vector %u delivered",
			     s->guest, d->vector);
		gen(fz, s->guest, d->guest_tsc);
		if (!g->tokens)
			fail(fz,
			     "EARLY: guest %d vector %u delivered at guest TSC "
			     "%llu (host %d, %llu ns%s) with no tick due: "
			     "kind %d start %lld/%u period %llu/%u boundaries "
			     "%llu deadline %llu",
			     s->guest, d->vector,
			     (unsigned long long)d->guest_tsc, h,
			     (unsigned long long)d->host_ns,
			     (d->flags & VCLOCK_DELIVERY_POSTED) ? ", posted"
								 : "",
			     g->kind, sll(g->s_u), fz->bus_khz, ull(g->p_u),
			     fz->bus_khz, ull(g->n_done),
			     (unsigned long long)g->d_tsc);
		g->tokens--;
		g->delivered++;
		/* Due before a wrap, delivered after it. */
		if ((d->flags & VCLOCK_DELIVERY_TIMER) &&
		    d->guest_tsc < d->deadline_tsc) {
			fz->reached.wrap_late = true;
			if (mode_of(g->lvtt) == M_TSCD)
				fz->reached.wrap_tscd_late = true;
		}
		g->owed[d->vector >> 5] &= ~(1U << (d->vector & 31));
		/* A catch-up tick comes with the vector of its delivery time.
		 */
		if (d->flags & VCLOCK_DELIVERY_CATCHUP)
			memset(g->owed, 0, sizeof(g->owed));
		fz->reached.delivered = true;
		if (d->flags & VCLOCK_DELIVERY_POSTED)
			fz->reached.posted = true;
		if (d->flags & VCLOCK_DELIVERY_CATCHUP)
			fz->reached.catchup = true;
		trace(fz, "    deliver guest %d vector %u tsc %llu%s\n",
		      s->guest, d->vector, (unsigned long long)d->guest_tsc,
		      (d->flags & VCLOCK_DELIVERY_POSTED) ? " posted" : "");
	}
	if (vclock_check(vm, msg, sizeof(msg)))
		fail(fz, "host %d: vclock_check: %s", h, msg);
	vclock_log_clear(vm);
}

static void check_guest(struct fz *fz, int gi)
{
	struct guest *g = &fz->g[gi];
	struct vclock_vcpu *v = gv(fz, gi);
	struct vapic_timer *t = &v->lapic.timer;
	uint64_t now = vclock_guest_tsc(v), msr, emsr;
	uint32_t val, exp;

	gen(fz, gi, now);
	if ((val = vapic_timer_read_lvtt(t)) != g->lvtt)
		fail(fz, "guest %d: LVT timer reads %#x, expected %#x", gi, val,
		     g->lvtt);
	if ((val = vapic_timer_read_tmict(t)) != g->tmict)
		fail(fz, "guest %d: TMICT reads %u, expected %u", gi, val,
		     g->tmict);
	if ((val = vapic_timer_read_tdcr(t)) != g->tdcr)
		fail(fz, "guest %d: TDCR reads %#x, expected %#x", gi, val,
		     g->tdcr);
	val = vapic_timer_read_tmcct(t);
	exp = expect_tmcct(fz, gi, now);
	if (val > g->tmict)
		fail(fz, "guest %d: TMCCT %u > TMICT %u", gi, val, g->tmict);
	if (val != exp)
		fail(fz, "guest %d: TMCCT reads %u, expected %u (tsc %llu)", gi,
		     val, exp, (unsigned long long)now);
	msr = vapic_timer_read_tsc_deadline(t);
	emsr = expect_msr(g);
	if (msr != emsr)
		fail(fz,
		     "guest %d: IA32_TSC_DEADLINE reads %llu, expected "
		     "%llu (tsc %llu)",
		     gi, (unsigned long long)msr, (unsigned long long)emsr,
		     (unsigned long long)now);
	if (vclock_timer_armed(v, NULL) &&
	    (g->kind == K_NONE || !deliverable(g)))
		fail(fz,
		     "guest %d: host timer armed for a timer that cannot "
		     "fire (kind %d, lvtt %#x, sw %d)",
		     gi, g->kind, g->lvtt, g->sw_enabled);
}

static void check_all(struct fz *fz)
{
	int h, gi;

	for (h = 0; h < NR_HOST; h++)
		process_log(fz, h);
	for (gi = 0; gi < NR_GUEST; gi++)
		check_guest(fz, gi);
	for (h = 0; h < NR_HOST; h++)
		for (gi = 0; gi < NR_GUEST; gi++)
			if (fz->slot[h][gi].guest < 0 &&
			    vclock_timer_armed(fz->slot[h][gi].v, NULL))
				fail(fz,
				     "host %d vCPU %d holds no guest but "
				     "has a host timer armed",
				     h, gi);
	if (vapic_user_warn_count())
		fail(fz, "VAPIC_WARN_ON fired %lu time(s)",
		     vapic_user_warn_count());
}

/* After an explicit poll that ended without a wait: cap the slack. */
static void cap_tokens(struct fz *fz, int gi)
{
	struct guest *g = &fz->g[gi];
	uint64_t cap = irr_timer_pending(gv(fz, gi));

	if (fz->posted)
		cap += 1; /* the callback may own one unprocessed tick */
	if (!g->sw_enabled)
		cap += 1; /* a due tick is held while software-disabled */
	if (fz->catchup)
		cap += 1 + fz->tcfg.catchup_max; /* pending + backlog */
	else
		cap += g->backlog_slack;
	if (g->tokens > cap)
		g->tokens = cap;
}

/* ---------------------------------------------------------------------- */
/* Host side: latency and fire accounting                                 */

static struct slot *slot_of(struct fz *fz, struct vclock_vcpu *v)
{
	int h = v->vm == fz->vm[0] ? 0 : 1;

	return &fz->slot[h][v->index];
}

static uint64_t latency_fn(void *arg, struct vclock_vcpu *v, uint64_t exp)
{
	struct slot *s = slot_of(arg, v);
	uint64_t l = s->lat_base_ns + s->lat_once_ns;

	(void)exp;
	if (s->lat_once_ns)
		((struct fz *)arg)->reached.stall = true;
	s->lat_once_ns = 0;
	return l;
}

static void fire_hook(void *arg, struct vclock_vcpu *v)
{
	struct slot *s = slot_of(arg, v);
	uint64_t ar = v->stats.arms + v->stats.rearms;
	/* A fire after a spin (VAPIC_TFN_WAIT) with no arm since continues it.
	 */
	bool cont = v->stats.callback_waits != s->prev_cbw && ar == s->prev_ar;

	if (!cont)
		s->fires_real++;
	s->prev_cbw = v->stats.callback_waits;
	s->prev_ar = ar;
}

/* ---------------------------------------------------------------------- */
/* Time                                                                   */

static uint64_t events_total(const struct fz *fz)
{
	return fz->vm[0]->events + fz->vm[1]->events;
}

/* Bound a step so that a periodic timer cannot exceed the event budget. */
static uint64_t clamp_step(struct fz *fz, uint64_t ns)
{
	uint64_t used = events_total(fz), left;
	int gi;

	if (used + 64 >= EVENT_BUDGET) {
		fz->stop = true;
		return 0;
	}
	left = EVENT_BUDGET - used;
	/* Bound the virtual time (and so a step's TSC distance). */
	for (gi = 0; gi < NR_HOST; gi++) {
		uint64_t run = fz->vm[gi]->now_ns - fz->vm[gi]->cfg.start_ns;

		if (run >= TIME_LIMIT_NS) {
			fz->stop = true;
			return 0;
		}
		if (ns > TIME_LIMIT_NS - run)
			ns = TIME_LIMIT_NS - run;
	}
	for (gi = 0; gi < NR_GUEST; gi++) {
		struct guest *g = &fz->g[gi];
		u128 p_ns, max_ns;

		if (g->kind != K_PERIODIC || !deliverable(g))
			continue;
		/* sub units -> TSC (/bus_khz) -> ns (* 10^6 / tsc_khz) */
		p_ns = g->p_u * 1000000U / ((u128)fz->bus_khz * fz->tsc_khz);
		if (!p_ns)
			p_ns = 1;
		max_ns = p_ns * (left / 8);
		if (max_ns < ns)
			ns = (uint64_t)max_ns;
	}
	return ns;
}

struct step_snap {
	uint64_t tsc[NR_GUEST];
	uint64_t fires[NR_GUEST];
	uint64_t arm_fail[NR_GUEST];
	int host[NR_GUEST];
};

static void step_begin(struct fz *fz, struct step_snap *ss)
{
	int gi;

	for (gi = 0; gi < NR_GUEST; gi++) {
		struct slot *s = gslot(fz, gi);

		ss->tsc[gi] = vclock_guest_tsc(s->v);
		ss->fires[gi] = s->fires_real;
		ss->arm_fail[gi] = s->v->stats.arm_failures;
		ss->host[gi] = fz->g[gi].host;
	}
}

/*
 * Host timer fires in the step: at most the one armed before, one per
 * processed expiry (periodic: at most one per boundary in the step, plus
 * the boundaries that were already due), and one per failed arm retried.
 */
static void step_end(struct fz *fz, const struct step_snap *ss)
{
	int gi;

	for (gi = 0; gi < NR_GUEST; gi++) {
		struct guest *g = &fz->g[gi];
		struct slot *s = gslot(fz, gi);
		uint64_t fires = s->fires_real - ss->fires[gi];
		uint64_t dt = vclock_guest_tsc(s->v) - ss->tsc[gi];
		u128 bound = 2 + (s->v->stats.arm_failures - ss->arm_fail[gi]);

		if (ss->host[gi] != g->host)
			continue;
		if (g->kind == K_PERIODIC)
			bound += 1 + (u128)dt * fz->bus_khz / g->p_u;
		if (fires > bound)
			fail(fz,
			     "STORM: guest %d: %llu host timer fires in a "
			     "step of %llu TSC (bound %llu, period %llu/%u)",
			     gi, (unsigned long long)fires,
			     (unsigned long long)dt, ull(bound), ull(g->p_u),
			     fz->bus_khz);
	}
}

/* Move time on both hosts; returns the ns actually stepped (budget). */
static uint64_t step_ns(struct fz *fz, uint64_t ns)
{
	struct step_snap ss;
	int h, r;

	ns = clamp_step(fz, ns);
	if (fz->stop)
		return 0;
	step_begin(fz, &ss);
	for (h = 0; h < NR_HOST; h++) {
		r = vclock_advance(fz->vm[h], ns);
		if (r)
			fail(fz, "host %d: run loop failed (%s): livelock?", h,
			     vapic_strerror(r));
	}
	step_end(fz, &ss);
	return ns;
}

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

static bool record_running(const struct guest *g)
{
	return g->kind != K_NONE && !expired(g);
}

/* The record a save produced must say what the oracle says. */
static void check_record(struct fz *fz, int gi,
			 const struct vapic_timer_state *s, uint64_t now)
{
	struct guest *g = &fz->g[gi];
	bool running = record_running(g);

	if (s->magic != VAPIC_TIMER_STATE_MAGIC ||
	    s->version != VAPIC_TIMER_STATE_VERSION || s->size != sizeof(*s))
		fail(fz, "guest %d: saved record has a bad header", gi);
	if (s->lvtt != g->lvtt || s->tmict != g->tmict || s->tdcr != g->tdcr)
		fail(fz,
		     "guest %d: saved registers %#x/%u/%#x, expected "
		     "%#x/%u/%#x",
		     gi, s->lvtt, s->tmict, s->tdcr, g->lvtt, g->tmict,
		     g->tdcr);
	if (!!(s->flags & VAPIC_TSTATE_RUNNING) != running)
		fail(fz, "guest %d: saved RUNNING %d, expected %d", gi,
		     !!(s->flags & VAPIC_TSTATE_RUNNING), running);
	if (!!(s->flags & VAPIC_TSTATE_SW_DISABLED) != !g->sw_enabled)
		fail(fz, "guest %d: saved SW_DISABLED wrong", gi);
	if (s->tsc_deadline != (running && g->kind == K_TSCD ? g->d_tsc : 0))
		fail(fz, "guest %d: saved deadline %llu, expected %llu", gi,
		     (unsigned long long)s->tsc_deadline,
		     (unsigned long long)(running && g->kind == K_TSCD
						  ? g->d_tsc
						  : 0));
	if (running && g->kind != K_TSCD) {
		u128 e = elapsed_u(fz, g, now);
		/*
		 * The elapsed fraction rounded up, so that a restore, which
		 * rounds progress * period down, gets e back exactly.
		 */
		uint64_t prog = (uint64_t)(((e << 64) + g->p_u - 1) / g->p_u);

		if (s->progress != prog)
			fail(fz,
			     "guest %d: saved progress %#llx, expected "
			     "%#llx",
			     gi, (unsigned long long)s->progress,
			     (unsigned long long)prog);
	} else if (s->progress) {
		fail(fz, "guest %d: progress saved for a stopped timer", gi);
	}
	if (s->checksum != fuzz_state_checksum(s))
		fail(fz, "guest %d: saved checksum wrong", gi);
}

/* The oracle after a successful restore of @s at guest TSC @now. */
static void model_restore(struct fz *fz, struct guest *g,
			  const struct vapic_timer_state *s, uint64_t now,
			  bool foreign)
{
	enum mode m = mode_of(s->lvtt);
	u128 backlog = s->backlog;
	u128 u = gu(g, now); /* the TSC may have jumped since the save */

	g->lvtt = s->lvtt;
	g->tmict = s->tmict;
	g->tdcr = s->tdcr;
	g->sw_enabled = !(s->flags & VAPIC_TSTATE_SW_DISABLED);
	g->deadline = 0;
	g->kind = K_NONE;
	g->n_done = 0;
	g->d_tick = false;
	g->loaded = false;
	if (s->flags & VAPIC_TSTATE_RUNNING) {
		if (m == M_TSCD) {
			/* Judged at the TSC now, as after a TSC jump. */
			g->kind = K_TSCD;
			g->deadline = g->d_tsc = s->tsc_deadline;
			g->d_u = tscd_due_u(g, s->tsc_deadline, now);
		} else {
			g->kind = m == M_PERIODIC ? K_PERIODIC : K_ONESHOT;
			g->p_u = period_u(fz, s->tmict, divisor(s->tdcr),
					  m == M_PERIODIC);
			/* elapsed = progress * period, rounded down */
			g->s_u = (s128)u * fz->bus_khz -
				 (s128)(((u128)s->progress * g->p_u) >> 64);
		}
	}
	/*
	 * A record this guest saved carries ticks that already hold tokens;
	 * a foreign (mutated) one asserts its due tick and backlog anew.
	 */
	if (backlog > fz->tcfg.catchup_max)
		backlog = fz->tcfg.catchup_max;
	if (!fz->catchup) /* coalesce: at most one tick in all */
		backlog = backlog && !(s->flags & VAPIC_TSTATE_DUE);
	if (foreign) {
		g->tokens += (uint64_t)backlog +
			     !!(s->flags & VAPIC_TSTATE_DUE) +
			     !!(s->flags & VAPIC_TSTATE_DUE_OLD);
		if (!fz->catchup)
			g->backlog_slack = (uint64_t)backlog;
	}
	g->gen_tsc = now;
	g->gen_u = u;
	/* An in-flight tick may be gone (IRR is not in the record). */
	memset(g->owed, 0, sizeof(g->owed));
}

/* Make the LAPIC's SVR agree with a restored timer (a VMM restores both). */
static void align_svr(struct fz *fz, int gi)
{
	struct vclock_vcpu *v = gv(fz, gi);
	bool en = fz->g[gi].sw_enabled;

	if (vapic_lapic_sw_enabled(&v->lapic) != en)
		(void)vapic_lapic_write(&v->lapic, REG_SVR, en ? 0x1ff : 0xff);
}

/*
 * Does the record contradict itself (<vapic/timer.h>: such a record is
 * refused)?  Returns what, or NULL.
 */
static const char *record_contradiction(const struct fz *fz,
					const struct vapic_timer_state *s)
{
	bool running = s->flags & VAPIC_TSTATE_RUNNING;
	enum mode m = mode_of(s->lvtt);
	bool count = m == M_ONESHOT || m == M_PERIODIC;

	if (s->lvtt & ~(LVT_VECTOR | LVT_MASK | LVT_MODE))
		return "LVT reserved bits";
	if (s->tdcr & ~TDCR_BITS)
		return "TDCR reserved bits";
	if (s->flags & ~(uint32_t)VAPIC_TSTATE_FLAGS_ALL)
		return "unknown flags";
	if (!fz->tscd && (s->lvtt & LVT_TSC_BIT))
		return "TSC-deadline mode not exposed";
	if ((s->flags & VAPIC_TSTATE_SW_DISABLED) && !(s->lvtt & LVT_MASK))
		return "software-disabled but unmasked";
	if (s->tsc_deadline && m != M_TSCD)
		return "a deadline outside TSC-deadline mode";
	if (m == M_TSCD && running != !!s->tsc_deadline)
		return "TSC-deadline running without a deadline";
	if (m == M_TSCD && s->tmict)
		return "TMICT in TSC-deadline mode";
	if (m == M_RESERVED && running)
		return "the reserved mode running";
	if (count && running && !s->tmict)
		return "a count running from 0";
	if ((!running || !count) && (s->progress || s->tmcct))
		return "a position without a running count";
	if (count && running &&
	    s->tmcct !=
		    s->tmict - (uint32_t)(((u128)s->progress * s->tmict) >> 64))
		return "TMCCT inconsistent with the progress";
	if (s->backlog && (m != M_PERIODIC || !running))
		return "catch-up ticks without a running periodic timer";
	if (s->pending_vector && !(s->flags & VAPIC_TSTATE_DUE))
		return "a pending vector without a due tick";
	if (s->pending_vector > 0xff)
		return "pending vector > 255";
	if (s->pending_old_vector && !(s->flags & VAPIC_TSTATE_DUE_OLD))
		return "an older pending vector without its due tick";
	if ((s->flags & VAPIC_TSTATE_DUE_OLD) && !(s->flags & VAPIC_TSTATE_DUE))
		return "an older due tick without a newer one";
	if (s->pending_old_vector > 0xff)
		return "older pending vector > 255";
	if ((s->flags & VAPIC_TSTATE_DUE_OLD) &&
	    (s->flags & VAPIC_TSTATE_DUE) &&
	    s->pending_old_vector == s->pending_vector)
		return "two due ticks of one vector";
	if (s->backlog > VAPIC_CATCHUP_MAX_LIMIT)
		return "backlog above the limit";
	return NULL;
}

static void save_checked(struct fz *fz, int gi, struct vapic_timer_state *s)
{
	struct vclock_vcpu *v = gv(fz, gi);
	uint64_t now = vclock_guest_tsc(v);
	int r;

	gen(fz, gi, now);
	r = vapic_timer_save(&v->lapic.timer, s);
	if (r)
		fail(fz, "guest %d: save failed: %s", gi, vapic_strerror(r));
	check_record(fz, gi, s, now);
	if (record_contradiction(fz, s))
		fail(fz, "guest %d: saved record contradicts itself: %s", gi,
		     record_contradiction(fz, s));
}

/*
 * After a restore the host polls before the vCPU enters again (the
 * poll-before-entry contract): a restored record may hold two due ticks
 * of vectors other than the LVT's (saved between a vector change and the
 * poll), which must reach IRR before the guest can make a third.  With
 * auto_enter on, the next entry does it; with it off the harness's guest
 * runs without entries, so the host's poll is made here (moving the ticks
 * into IRR; nothing is injected, so the token oracle is unaffected).
 * Without it the core rightly warns about a skipped poll
 * (test_fuzz_regressions.c, third_vector_without_poll_warns_and_merges).
 */
static void poll_after_restore(struct vclock_vcpu *v)
{
	uint32_t vec;
	uint64_t wait_ns;

	if (!v->auto_enter)
		(void)vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
}

/* Restore a record the core saved: must always succeed. */
static void restore_checked(struct fz *fz, int gi,
			    const struct vapic_timer_state *s)
{
	struct vclock_vcpu *v = gv(fz, gi);
	uint64_t now = vclock_guest_tsc(v);
	int r = vapic_timer_restore(&v->lapic.timer, s);

	check_ret(fz, gi, r, "restore of a saved record");
	model_restore(fz, &fz->g[gi], s, now, false);
	align_svr(fz, gi);
	poll_after_restore(v);
	fz->reached.restored = true;
}

static void op_save(struct fz *fz, int gi, int prm, uint64_t jump)
{
	struct guest *g = &fz->g[gi];
	struct vapic_timer_state s;
	struct slot *src = gslot(fz, gi), *dst;
	uint64_t t_s;

	save_checked(fz, gi, &s);
	t_s = vclock_guest_tsc(src->v);
	if (!(prm & 1)) {
		/* Restore in place, the guest TSC continuing or jumped. */
		vclock_vcpu_set_guest_tsc(src->v, t_s + jump);
		restore_checked(fz, gi, &s);
		return;
	}
	/* Migrate to the other host: the source vCPU is gone. */
	dst = &fz->slot[1 - g->host][gi];
	vapic_lapic_reset(&src->v->lapic);
	src->guest = -1;
	vclock_vcpu_set_guest_tsc(dst->v, t_s + jump);
	dst->v->irq_window = src->v->irq_window;
	dst->v->auto_eoi = src->v->auto_eoi;
	dst->v->auto_enter = src->v->auto_enter;
	dst->guest = gi;
	g->host = 1 - g->host;
	(void)vapic_lapic_write(&dst->v->lapic, REG_TPR, g->tpr);
	restore_checked(fz, gi, &s);
	fz->reached.migrated = true;
}

/* Is the record's header or checksum wrong (so it must be refused)? */
static bool record_broken(const struct vapic_timer_state *s)
{
	return s->magic != VAPIC_TIMER_STATE_MAGIC ||
	       s->version != VAPIC_TIMER_STATE_VERSION ||
	       s->size != sizeof(*s) || s->checksum != fuzz_state_checksum(s) ||
	       s->reserved[0];
}

static void op_mutate(struct fz *fz, int gi, uint8_t pos, uint8_t x,
		      uint8_t how)
{
	struct vclock_vcpu *v = gv(fz, gi);
	struct vapic_timer_state s, m;
	struct vapic_timer before;
	struct vclock_vcpu_stats hs;
	uint64_t now;
	int r;

	save_checked(fz, gi, &s);
	m = s;
	((uint8_t *)&m)[pos % sizeof(m)] ^= x;
	if (how & 2)
		((uint8_t *)&m)[(pos + 1 + (how >> 2)) % sizeof(m)] ^= x;
	if (how & 1)
		m.checksum = fuzz_state_checksum(&m);
	memcpy(&before, &v->lapic.timer, sizeof(before));
	hs = v->stats;
	now = vclock_guest_tsc(v);
	r = vapic_timer_restore(&v->lapic.timer, &m);
	trace(fz,
	      "  mutate byte %u ^= %#x (how %#x): lvtt %#x tmict %u tdcr "
	      "%#x flags %#x deadline %llu progress %#llx tmcct %u "
	      "backlog %u vector %u -> %s\n",
	      pos % (unsigned int)sizeof(m), x, how, m.lvtt, m.tmict, m.tdcr,
	      m.flags, (unsigned long long)m.tsc_deadline,
	      (unsigned long long)m.progress, m.tmcct, m.backlog,
	      m.pending_vector, r ? vapic_strerror(r) : "restored");
	if (r == 0 || r == VAPIC_EHOST) {
		check_ret(fz, gi, r, "restore of a mutated record");
		if (record_broken(&m))
			fail(fz,
			     "guest %d: a record with a bad header or "
			     "checksum was accepted",
			     gi);
		if (record_contradiction(fz, &m))
			fail(fz,
			     "guest %d: a contradictory record was "
			     "accepted: %s",
			     gi, record_contradiction(fz, &m));
		model_restore(fz, &fz->g[gi], &m, now, true);
		align_svr(fz, gi);
		poll_after_restore(v);
		fz->reached.mutated_ok = true;
		return;
	}
	if (r != VAPIC_ESTATE && r != VAPIC_EVERSION)
		fail(fz, "guest %d: mutated restore returned %d (%s)", gi, r,
		     vapic_strerror(r));
	if (!memcmp(&m, &s, sizeof(m)))
		fail(fz, "guest %d: the unmodified record was refused: %s", gi,
		     vapic_strerror(r));
	if (memcmp(&before, &v->lapic.timer, sizeof(before)) ||
	    memcmp(&hs, &v->stats, sizeof(hs)))
		fail(fz, "guest %d: a refused restore (%s) changed the timer",
		     gi, vapic_strerror(r));
	fz->reached.mutated_refused = true;
}

/* ---------------------------------------------------------------------- */
/* Ops                                                                    */

static uint32_t lvtt_from(uint8_t vec, uint8_t ctl)
{
	uint32_t v = vec;

	if (ctl & 1)
		v |= LVT_MASK;
	v |= (uint32_t)((ctl >> 1) & 3) << 17;
	if (ctl & 8)
		v |= LVT_STATUS;
	if (ctl & 0x10)
		v |= 0x00000f00U; /* bits 11:8 (reserved in the timer LVT) */
	if (ctl & 0x20)
		v |= 0x0000e000U; /* bits 15:13 */
	if (ctl & 0x40)
		v |= 0xfff80000U; /* bits 31:19 */
	return v;
}

static void do_lvtt(struct fz *fz, int gi, uint32_t val, bool strict)
{
	struct guest *g = &fz->g[gi];
	struct vclock_vcpu *v = gv(fz, gi);
	int r;

	trace(fz, "  lvtt %#x%s\n", val, strict ? " strict" : "");
	if (!strict) {
		r = vclock_write(v, REG_LVTT, val);
		check_ret(fz, gi, r, "LVT timer write");
		model_lvtt(fz, g, val);
		return;
	}
	r = vapic_timer_write_lvtt(&v->lapic.timer, val, true);
	if (lvtt_rejected(fz, val)) {
		if (r != VAPIC_ERSVD)
			fail(fz,
			     "guest %d: strict LVTT write %#x with reserved "
			     "bits returned %d",
			     gi, val, r);
		fz->reached.rsvd_refused = true;
		return;
	}
	check_ret(fz, gi, r, "strict LVT timer write");
	model_lvtt(fz, g, val);
	if (r > 0 && (r & VAPIC_TIMER_DUE)) {
		gen(fz, gi, gnow(fz, gi));
		if (!g->tokens)
			fail(fz, "guest %d: LVTT write says due, no tick due",
			     gi);
	}
}

static uint32_t count_from(uint32_t m, uint8_t e)
{
	uint32_t sh = e & 31;
	uint32_t c = (uint32_t)((uint64_t)m << sh);

	if (e & 0x20)
		c |= (uint32_t)((1ULL << sh) - 1);
	return c;
}

/* A TDCR value: bits 3:0 from @b's, 6:4 -> bits 10:8, 7 -> bit 31. */
static uint32_t tdcr_from(uint8_t b)
{
	uint32_t val = (b & 0x0f) | ((uint32_t)(b >> 4) << 8);

	if (b & 0x80)
		val |= 0x80000000U;
	return val;
}

static void do_tdcr(struct fz *fz, int gi, uint8_t b, bool strict)
{
	struct guest *g = &fz->g[gi];
	struct vclock_vcpu *v = gv(fz, gi);
	uint32_t val = tdcr_from(b);
	uint64_t now = vclock_guest_tsc(v);
	int r;

	trace(fz, "  tdcr %#x%s\n", val, strict ? " strict" : "");
	if (!strict) {
		r = vclock_write(v, REG_TDCR, val);
		check_ret(fz, gi, r, "TDCR write");
		model_tdcr(fz, g, val, now);
		return;
	}
	r = vapic_timer_write_tdcr(&v->lapic.timer, val, true);
	if (val & ~TDCR_BITS) {
		if (r != VAPIC_ERSVD)
			fail(fz, "guest %d: strict TDCR write %#x returned %d",
			     gi, val, r);
		fz->reached.rsvd_refused = true;
		return;
	}
	check_ret(fz, gi, r, "strict TDCR write");
	model_tdcr(fz, g, val, now);
}

static void do_tscd(struct fz *fz, int gi, uint64_t d)
{
	struct guest *g = &fz->g[gi];
	struct vclock_vcpu *v = gv(fz, gi);
	uint64_t now = vclock_guest_tsc(v);
	int r;

	trace(fz, "  wrmsr tsc_deadline %llu (now %llu)\n",
	      (unsigned long long)d, (unsigned long long)now);
	r = vapic_timer_write_tsc_deadline(&v->lapic.timer, d);
	check_ret(fz, gi, r, "TSC deadline write");
	model_tscd(g, d, now);
	if (mode_of(g->lvtt) == M_TSCD && d && d <= now)
		fz->reached.tscd_past = true;
	if (r > 0 && (r & VAPIC_TIMER_DUE)) {
		gen(fz, gi, now);
		if (!g->tokens)
			fail(fz,
			     "guest %d: deadline write says due, no tick "
			     "due",
			     gi);
	}
}

static bool irr_has(struct vclock_vcpu *v, uint32_t vec)
{
	uint32_t w = 0;

	(void)vapic_lapic_read(&v->lapic, REG_IRR + 16 * (vec >> 5), &w);
	return w & (1U << (vec & 31));
}

/* The TMCCT of a load image: prm as OP_LOAD_REGS says (not prm 3). */
static uint32_t load_tmcct(int prm, uint32_t tmict, uint8_t c)
{
	switch (prm) {
	case 0:
		return tmict - (uint32_t)(((uint64_t)tmict * c) >> 8);
	case 1:
		return c;
	default:
		return tmict > UINT32_MAX - 1 - c ? UINT32_MAX : tmict + 1 + c;
	}
}

/*
 * The host loads a register image (vapic_timer_load_regs(), as
 * KVM_SET_LAPIC), the vCPU stopped, at the guest TSC the script reached.
 * Checked against <vapic/timer.h> (model_load()): the registers, TMCCT
 * right after it, the result (VAPIC_TIMER_DUE only for a kept TSC deadline
 * already due), nothing in flight left (no event; tokens capped at the
 * ticks in IRR, which the image keeps), and then, as after every op, no
 * tick before its loaded expiry and none lost.
 */
static void do_load(struct fz *fz, int gi, uint32_t lvtt, uint32_t tdcr,
		    uint32_t tmict, uint32_t tmcct)
{
	struct guest *g = &fz->g[gi];
	struct vclock_vcpu *v = gv(fz, gi);
	struct vapic_timer *t = &v->lapic.timer;
	uint64_t now = vclock_guest_tsc(v), cap;
	uint32_t val, vec;
	unsigned int slack;
	bool in_flight;
	int r;

	/* Deliveries so far take their tokens before the load drops ticks. */
	process_log(fz, g->host);
	gen(fz, gi, now);
	in_flight = vapic_timer_has_event(t);
	trace(fz, "  load lvtt %#x tdcr %#x tmict %u tmcct %u (now %llu%s)\n",
	      lvtt, tdcr, tmict, tmcct, (unsigned long long)now,
	      in_flight ? ", event in flight" : "");
	r = vapic_timer_load_regs(t, lvtt, tdcr, tmict, tmcct);
	check_ret(fz, gi, r, "register load");
	slack = model_load(fz, g, lvtt, tdcr, tmict, tmcct, now);
	trace(fz, "    -> %d, lvtt %#x kind %d, kept due tick %u\n", r, g->lvtt,
	      g->kind, slack);
	if (r > 0 && (r != VAPIC_TIMER_DUE || !slack))
		fail(fz,
		     "guest %d: load returned %d (due) with no kept TSC "
		     "deadline due (kind %d, deadline %llu reached %d with "
		     "its tick %d)",
		     gi, r, g->kind, (unsigned long long)g->d_tsc,
		     (int)g->n_done, g->d_tick);
	val = vapic_timer_read_tmict(t);
	if (mode_of(g->lvtt) != M_ONESHOT && mode_of(g->lvtt) != M_PERIODIC) {
		/* "ignored": 0, or held (never run) */
		if (val && val != tmict)
			fail(fz,
			     "guest %d: TMICT reads %u after a load of %u "
			     "in mode %d",
			     gi, val, tmict, mode_of(g->lvtt));
		g->tmict = val;
	}
	val = vapic_timer_read_tmcct(t);
	if (val != expect_tmcct(fz, gi, now))
		fail(fz,
		     "guest %d: TMCCT reads %u right after a load of "
		     "TMICT %u TMCCT %u, expected %u",
		     gi, val, tmict, tmcct, expect_tmcct(fz, gi, now));
	/* In flight: the pending tick, the backlog, a fired expiry. */
	if (!slack && vapic_timer_has_event(t))
		fail(fz, "guest %d: an event survived the register load", gi);
	cap = irr_timer_pending(v) + slack;
	if (g->tokens > cap)
		g->tokens = cap;
	for (vec = 16; vec < 256; vec++)
		if (!irr_has(v, vec))
			g->owed[vec >> 5] &= ~(1U << (vec & 31));
	fz->reached.loaded = true;
	if (in_flight && !slack)
		fz->reached.load_dropped = true;
	if (g->loaded && val && val < g->tmict)
		fz->reached.load_resumed = true;
}

static void do_poll(struct fz *fz, int gi)
{
	struct vclock_vcpu *v = gv(fz, gi);
	uint64_t spins = v->stats.spins;

	vclock_vcpu_enter(v);
	process_log(fz, fz->g[gi].host);
	gen(fz, gi, vclock_guest_tsc(v));
	if (v->stats.spins == spins)
		cap_tokens(fz, gi);
}

/*
 * Never lost: under ideal conditions (no injected faults, the guest can
 * take interrupts, TPR 0, nothing in service, the vCPU thread running),
 * run for twice the worst wake-up delay; a tick that fell due (deliverable,
 * legal vector) more than that delay before the end must have arrived.
 */
static void do_drain(struct fz *fz, int gi)
{
	struct guest *g = &fz->g[gi];
	struct slot *s = gslot(fz, gi);
	struct vclock_vcpu *v = s->v;
	uint64_t slack_ns, slack_tsc, end, fire_ns, delivered = g->delivered;
	uint32_t vec;
	u128 end_u;

	if (s->arm_faults || s->post_faults || !g->sw_enabled ||
	    !v->irq_window || !v->auto_enter || !v->auto_eoi || g->tpr ||
	    !isr_empty(v))
		return;
	slack_ns = s->lat_base_ns + s->lat_once_ns + v->entry_latency_ns +
		   VAPIC_ADVANCE_FIXED_MAX_NS + 1000000;
	/*
	 * A host timer already armed late (a stall) fires when it fires.
	 * One armed further ahead than any latency (OP_LATENCY) can delay it
	 * is for a tick not yet due: no slack for it (else a tick lost to a
	 * far re-arm would stretch the drain past the time budget, unseen).
	 */
	if (vclock_timer_armed(v, &fire_ns) && fire_ns > v->vm->now_ns &&
	    fire_ns - v->vm->now_ns <= LATENCY_MAX_NS)
		slack_ns += fire_ns - v->vm->now_ns;
	slack_tsc = vapic_ns_to_tsc_ceil(slack_ns, fz->tsc_khz);
	vclock_vcpu_enter(v);
	if (step_ns(fz, 2 * slack_ns) != 2 * slack_ns)
		return; /* cut short by the work budget */
	process_log(fz, g->host);
	end = vclock_guest_tsc(v);
	gen(fz, gi, end);
	end_u = g->gen_u;
	for (vec = 16; vec < 256; vec++)
		if ((g->owed[vec >> 5] & (1U << (vec & 31))) &&
		    g->owed_since_u[vec] + slack_tsc <= end_u)
			fail(fz,
			     "LOST: guest %d: a tick of vector %#x due at "
			     "guest TSC %llu was not delivered by %llu "
			     "(kind %d, lvtt %#x)",
			     gi, vec, (unsigned long long)g->owed_since_u[vec],
			     (unsigned long long)end, g->kind, g->lvtt);
	if (g->delivered != delivered)
		fz->reached.drained = true;
}

static void exec_op(struct fz *fz, uint8_t b)
{
	unsigned int op = b & 31;
	int gi = (b >> 5) & 1, prm = b >> 6;
	struct guest *g = &fz->g[gi];
	struct slot *s = gslot(fz, gi);
	struct vclock_vcpu *v = s->v;
	uint8_t a0, a1, a2;
	uint64_t x, now;
	uint32_t val;
	bool exit_op;
	int r, k;

	if (op >= OP_NR)
		op = op_alias[op - OP_NR];
	/* A load: the host's KVM_SET_LAPIC, then it runs the vCPU again. */
	exit_op = op <= OP_RD_REGS ||
		  (op == OP_EOI && (prm == 0 || prm == 3)) ||
		  op == OP_LOAD_REGS;
	fz->op_str = op_name[op];
	trace(fz, "op %u: %s guest %d prm %d @ host0 %llu ns\n", fz->op_index,
	      op_name[op], gi, prm, (unsigned long long)fz->vm[0]->now_ns);
	switch (op) {
	case OP_LVTT:
		a0 = get8(fz);
		a1 = get8(fz);
		if (!fz->eof)
			do_lvtt(fz, gi, lvtt_from(a0, a1), a1 & 0x80);
		break;
	case OP_LVTT_RAW:
		x = get_le(fz, 4);
		if (!fz->eof)
			do_lvtt(fz, gi, (uint32_t)x, prm & 1);
		break;
	case OP_TMICT:
		x = get_le(fz, 2);
		a1 = get8(fz);
		if (fz->eof)
			break;
		val = count_from((uint32_t)x, a1);
		trace(fz, "  tmict %u\n", val);
		now = vclock_guest_tsc(v);
		r = vclock_write(v, REG_TMICT, val);
		check_ret(fz, gi, r, "TMICT write");
		model_tmict(fz, g, val, now);
		break;
	case OP_TDCR:
		a0 = get8(fz);
		if (!fz->eof)
			do_tdcr(fz, gi, a0, prm & 1);
		break;
	case OP_TSCD_REL:
		a0 = get8(fz);
		a1 = get8(fz);
		if (fz->eof)
			break;
		x = (uint64_t)a0 << (a1 % 48);
		now = vclock_guest_tsc(v);
		if (prm == 0)
			x = now + x + 1;
		else if (prm == 1)
			x = x < now ? now - x : 1;
		else if (prm == 2)
			x = 0;
		else
			x = now + (a0 & 0x0f);
		do_tscd(fz, gi, x);
		break;
	case OP_TSCD_ABS:
		x = get_le(fz, 8);
		if (!fz->eof)
			do_tscd(fz, gi, x);
		break;
	case OP_SVR:
		val = (prm & 1 ? 0x100 : 0) | (prm & 2 ? 0x3f : 0xff);
		trace(fz, "  svr %#x\n", val);
		r = vclock_write(v, REG_SVR, val);
		check_ret(fz, gi, r, "SVR write");
		model_svr(g, prm & 1);
		break;
	case OP_RD_TMCCT:
		now = vclock_guest_tsc(v);
		gen(fz, gi, now);
		r = vclock_read(v, REG_TMCCT, &val);
		if (r || val != expect_tmcct(fz, gi, now))
			fail(fz, "guest %d: TMCCT read %u (r %d), expected %u",
			     gi, val, r, expect_tmcct(fz, gi, now));
		if (val)
			fz->reached.tmcct_nonzero = true;
		break;
	case OP_RD_MSR:
		now = vclock_guest_tsc(v);
		gen(fz, gi, now);
		x = vclock_rdmsr_tsc_deadline(v);
		if (x != expect_msr(g))
			fail(fz, "guest %d: RDMSR deadline %llu, expected %llu",
			     gi, (unsigned long long)x,
			     (unsigned long long)expect_msr(g));
		if (x)
			fz->reached.msr_armed = true;
		break;
	case OP_RD_REGS:
		r = vclock_read(v, REG_LVTT, &val);
		if (r || val != g->lvtt)
			fail(fz, "guest %d: LVTT read %#x", gi, val);
		r = vclock_read(v, REG_TMICT, &val);
		if (r || val != g->tmict)
			fail(fz, "guest %d: TMICT read %u", gi, val);
		r = vclock_read(v, REG_TDCR, &val);
		if (r || val != g->tdcr)
			fail(fz, "guest %d: TDCR read %#x", gi, val);
		break;
	case OP_STEP_SMALL:
		a0 = get8(fz);
		if (!fz->eof)
			step_ns(fz, (uint64_t)a0 << (4 * prm));
		break;
	case OP_STEP:
		a0 = get8(fz);
		a1 = get8(fz);
		if (!fz->eof)
			step_ns(fz, ((uint64_t)a0 + 1) << (a1 % 44));
		break;
	case OP_STEP_EVENT:
		for (k = 0; k <= prm && !fz->stop; k++) {
			struct vclock_vm *vm = fz->vm[g->host];

			if (!vclock_next_event_ns(vm, &x))
				break;
			step_ns(fz, x > vm->now_ns ? x - vm->now_ns : 0);
		}
		break;
	case OP_STEP_TSC:
		a0 = get8(fz);
		a1 = get8(fz);
		if (fz->eof)
			break;
		x = vclock_guest_tsc(v) + ((uint64_t)a0 << (a1 % 40));
		x = vclock_ns_for_guest_tsc(v, x);
		if (x != UINT64_MAX)
			step_ns(fz, x - v->vm->now_ns);
		break;
	case OP_TSC_JUMP:
		a0 = get8(fz);
		a1 = get8(fz);
		if (fz->eof)
			break;
		x = (uint64_t)a0 << (a1 % 40);
		now = vclock_guest_tsc(v);
		if (prm < 2)
			x += now; /* IA32_TSC_ADJUST += x */
		else if (prm == 2)
			x = ~x; /* IA32_TSC = 2^64 - 1 - x */
		trace(fz, "  guest TSC %llu -> %llu\n", (unsigned long long)now,
		      (unsigned long long)x);
		vclock_vcpu_set_guest_tsc(v, x);
		r = vapic_timer_guest_tsc_changed(&v->lapic.timer,
						  (int64_t)(x - now));
		check_ret(fz, gi, r, "guest TSC change");
		model_tsc_change(fz, gi, now, x);
		if (x != now)
			fz->reached.tsc_jump = true;
		if (prm >= 2)
			fz->reached.tsc_write = true;
		break;
	case OP_POLL:
		do_poll(fz, gi);
		break;
	case OP_SETTLE: {
		struct step_snap ss;

		step_begin(fz, &ss);
		for (k = 0; k < NR_HOST; k++)
			if (vclock_settle(fz->vm[k]))
				fail(fz, "settle: livelock");
		step_end(fz, &ss);
		break;
	}
	case OP_IRQ_WINDOW:
		vclock_vcpu_set_irq_window(v, prm & 1);
		break;
	case OP_EOI:
		if (prm == 0) {
			r = vclock_write(v, REG_EOI, 0);
			check_ret(fz, gi, r, "EOI");
		} else if (prm == 1) {
			v->auto_eoi = true;
		} else if (prm == 2) {
			v->auto_eoi = false;
		} else {
			a0 = get8(fz);
			if (fz->eof)
				break;
			r = vclock_write(v, REG_TPR, a0);
			check_ret(fz, gi, r, "TPR");
			g->tpr = a0;
		}
		break;
	case OP_SAVE:
		a0 = get8(fz);
		a1 = get8(fz);
		if (fz->eof)
			break;
		x = a0 == 0xff ? 0 : (uint64_t)a0 << (a1 % 40);
		trace(fz, "  save, %s, jump %llu\n",
		      prm & 1 ? "migrate" : "in place", (unsigned long long)x);
		op_save(fz, gi, prm, x);
		break;
	case OP_MUTATE:
		a0 = get8(fz);
		a1 = get8(fz);
		a2 = get8(fz);
		if (!fz->eof)
			op_mutate(fz, gi, a0, a1, a2);
		break;
	case OP_FAULT:
		a0 = get8(fz);
		if (fz->eof)
			break;
		if (prm == 0) {
			vclock_fault_next(v, VCLOCK_OP_TIMER_ARM, a0 % 4 + 1);
			s->arm_faults = true;
		} else if (prm == 1) {
			vclock_fault_every(v, VCLOCK_OP_TIMER_ARM, a0 % 8 + 2);
			s->arm_faults = true;
		} else if (prm == 2) {
			vclock_fault_next(v, VCLOCK_OP_POST, a0 % 4 + 1);
			s->post_faults = true;
		} else {
			vclock_fault_clear(v, VCLOCK_OP_TIMER_ARM);
			vclock_fault_clear(v, VCLOCK_OP_POST);
		}
		fz->reached.faults = true;
		break;
	case OP_LATENCY:
		a0 = get8(fz);
		if (fz->eof)
			break;
		if (prm == 0)
			s->lat_base_ns = (uint64_t)a0 * 100;
		else if (prm == 1)
			s->lat_once_ns = ((uint64_t)(a0 & 0x3f) + 1)
					 << (10 + 4 * (a0 >> 6));
		else if (prm == 2)
			v->entry_latency_ns = (uint64_t)a0 * 64;
		else
			s->lat_base_ns = (uint64_t)a0 * 100000;
		break;
	case OP_RESET:
		vapic_lapic_reset(&v->lapic);
		g->lvtt = LVT_MASK;
		g->tmict = 0;
		g->tdcr = 0;
		g->deadline = 0;
		g->sw_enabled = false;
		g->tpr = 0;
		g->kind = K_NONE;
		g->backlog_slack = 0;
		g->loaded = false;
		g->tokens = 0; /* IRR, ISR and the pending tick are gone */
		memset(g->owed, 0, sizeof(g->owed));
		break;
	case OP_POST:
		v->post_enabled = prm & 1;
		v->timer_pinned = !(prm & 2);
		break;
	case OP_AUTO_ENTER:
		v->auto_enter = prm & 1;
		break;
	case OP_DRAIN:
		do_drain(fz, gi);
		break;
	case OP_LOAD_REGS: {
		struct vapic_timer *t = &v->lapic.timer;
		uint32_t lvtt, tmict, tdcr;

		lvtt = (uint32_t)get_le(fz, 4);
		a0 = get8(fz);
		x = get_le(fz, 2);
		a1 = get8(fz);
		a2 = get8(fz);
		if (fz->eof)
			break;
		tdcr = tdcr_from(a0);
		tmict = count_from((uint32_t)x, a1);
		if (prm == 3) {
			/* The image the timer has now, XORed. */
			gen(fz, gi, vclock_guest_tsc(v));
			do_load(fz, gi, vapic_timer_read_lvtt(t) ^ lvtt,
				vapic_timer_read_tdcr(t) ^ tdcr,
				vapic_timer_read_tmict(t) ^ tmict,
				vapic_timer_read_tmcct(t) ^ a2);
			break;
		}
		do_load(fz, gi, lvtt, tdcr, tmict, load_tmcct(prm, tmict, a2));
		break;
	}
	default:
		break;
	}
	/*
	 * A guest register access is an exit: the host handles it and polls
	 * before it re-enters the guest (the VAPIC_TIMER_DUE contract), so
	 * the guest never runs on with a due tick unpolled.
	 */
	if (exit_op && !fz->eof)
		vclock_vcpu_enter(gv(fz, gi));
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                  */

static const uint32_t bus_tab[8] = { 1000000, 100000,  25000,	      1000,
				     133333,  2500000, VAPIC_KHZ_MAX, 999983 };
static const uint32_t tsc_tab[8] = { 2500000,	    1000000, 2596136, 1000,
				     VAPIC_KHZ_MAX, 3000001, 100000,  1234567 };
static const uint64_t minp_tab[8] = {
	200000, 0, 1, 50000, 500000, 1000000, VAPIC_MIN_PERIOD_NS_MAX, 12345
};
static const uint32_t cmax_tab[4] = { 1, 2, 1000, VAPIC_CATCHUP_MAX_LIMIT };
static const int32_t adv_tab[4] = { VAPIC_ADVANCE_ADAPTIVE, 0, 2000,
				    VAPIC_ADVANCE_FIXED_MAX_NS };
static const uint64_t lat_tab[4] = { 0, 500, 3000, 20000 };
static const uint64_t elat_tab[4] = { 0, 100, 2000, 50000 };
static const uint64_t off_tab[4] = { 0, 1ULL << 32, 1ULL << 40, 1ULL << 62 };

/*
 * Byte 3 bit 7: the guest TSC starts (1 + bits 1:0) us << (3 * bits 4:2)
 * before it wraps past 2^64 (1 us .. 8.4 s; vCPU 1 777 cycles later);
 * bits 6:5 unused.  Else bits 1:0 choose the TSC offset (off_tab), the
 * other bits unused.
 */
static uint64_t start_tsc(const struct fz *fz, uint8_t c3, uint64_t tsc)
{
	uint64_t ns;

	if (!(c3 & 0x80))
		return tsc + off_tab[c3 & 3];
	ns = ((uint64_t)(c3 & 3) + 1) * 1000 << (3 * ((c3 >> 2) & 7));
	return 0 - vapic_ns_to_tsc_ceil(ns, fz->tsc_khz);
}
/* Host TSC kHz of host A / host B, per config; 0 = the guest's. */
static const uint32_t hosts_tab[4][2] = {
	{ 0, 3000000 },
	{ 2000000, 0 },
	{ 3333333, 1000000 },
	{ 0, 0 },
};

static int setup(struct fz *fz, const uint8_t c[4])
{
	struct vclock_config vc;
	int h, gi, r;

	fz->bus_khz = bus_tab[c[0] & 7];
	fz->tsc_khz = tsc_tab[(c[0] >> 3) & 7];
	vapic_timer_config_default(&fz->tcfg, fz->tsc_khz);
	fz->tcfg.bus_khz = fz->bus_khz;
	fz->tcfg.min_period_ns = minp_tab[c[1] & 7];
	fz->catchup = c[1] & 8;
	fz->tcfg.missed_policy =
		fz->catchup ? VAPIC_MISSED_CATCHUP : VAPIC_MISSED_COALESCE;
	fz->tcfg.catchup_max = cmax_tab[(c[1] >> 4) & 3];
	fz->tcfg.advance_ns = adv_tab[(c[1] >> 6) & 3];
	fz->tscd = !(c[2] & 1);
	fz->posted = c[2] & 2;
	fz->tcfg.flags = (fz->tscd ? VAPIC_TIMER_F_TSC_DEADLINE : 0) |
			 (fz->posted ? VAPIC_TIMER_F_POSTED : 0);
	/* Minimum period in whole TSC cycles, rounded up, in sub units. */
	fz->min_sub = ((u128)fz->tcfg.min_period_ns * fz->tsc_khz + 999999) /
		      1000000 * fz->bus_khz;
	for (h = 0; h < NR_HOST; h++) {
		uint32_t hk = hosts_tab[(c[0] >> 6) & 3][h];

		vclock_config_default(&vc, NR_GUEST);
		vc.host_tsc_khz = hk ? hk : fz->tsc_khz;
		vc.start_ns = h ? 7000000000ULL + 12345 : 1000000000ULL;
		vc.mem_size = 4096;
		vc.max_events = LIVELOCK_EVENTS;
		vc.lapic.timer = fz->tcfg;
		r = vclock_vm_create(&vc, &fz->vm[h]);
		if (r)
			return r;
		fz->vm[h]->fire_hook = fire_hook;
		fz->vm[h]->fire_hook_arg = fz;
		for (gi = 0; gi < NR_GUEST; gi++) {
			struct slot *s = &fz->slot[h][gi];
			struct vclock_vcpu *v = vclock_vcpu(fz->vm[h], gi);

			s->v = v;
			s->guest = h ? -1 : gi;
			s->lat_base_ns = lat_tab[(c[2] >> 4) & 3];
			v->latency_fn = latency_fn;
			v->latency_arg = fz;
			v->entry_latency_ns = elat_tab[(c[2] >> 6) & 3];
			v->post_enabled = c[2] & 4;
			v->timer_pinned = !(c[2] & 8);
		}
	}
	for (gi = 0; gi < NR_GUEST; gi++) {
		struct guest *g = &fz->g[gi];
		struct vclock_vcpu *v = fz->slot[0][gi].v;

		vclock_vcpu_set_guest_tsc(
			v, start_tsc(fz, c[3], vclock_guest_tsc(v)) + gi * 777);
		g->host = 0;
		g->lvtt = LVT_MASK; /* power-on state */
		g->sw_enabled = false;
		g->kind = K_NONE;
		g->gen_tsc = vclock_guest_tsc(v);
		g->gen_u = g->gen_tsc;
	}
	return 0;
}

static void teardown(struct fz *fz)
{
	int h;

	for (h = 0; h < NR_HOST; h++)
		vclock_vm_destroy(fz->vm[h]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz fz_mem;
	struct fz *fz = &fz_mem;
	uint8_t c[4] = { 0, 0, 0, 0 };
	size_t k;
	int gi;

	if (size < 4)
		return 0;
	memset(fz, 0, sizeof(*fz));
	for (k = 0; k < 4; k++)
		c[k] = data[k];
	fz->p = data + 4;
	fz->n = size - 4;
	fz->trace = getenv("FUZZ_TIMER_TRACE") != NULL;
	if (setup(fz, c))
		fail(fz, "setup failed");
	trace(fz,
	      "config: bus %u kHz, tsc %u kHz, min period %llu ns, %s, "
	      "catchup_max %u, advance %d, tscd %d, posted %d, guest TSC "
	      "%llu\n",
	      fz->bus_khz, fz->tsc_khz,
	      (unsigned long long)fz->tcfg.min_period_ns,
	      fz->catchup ? "catch-up" : "coalesce", fz->tcfg.catchup_max,
	      fz->tcfg.advance_ns, fz->tscd, fz->posted,
	      (unsigned long long)fz->g[0].gen_tsc);
	for (fz->op_index = 0; fz->op_index < MAX_OPS; fz->op_index++) {
		uint8_t b = get8(fz);

		if (fz->eof || fz->stop)
			break;
		for (gi = 0; gi < NR_GUEST; gi++) {
			gen(fz, gi, gnow(fz, gi));
		}
		exec_op(fz, b);
		if (fz->eof)
			break;
		check_all(fz);
	}
	fz->op_str = "end";
	check_all(fz);
	for (gi = 0; gi < NR_GUEST; gi++)
		fz->reached.deliveries += fz->g[gi].delivered;
	fz->reached.ops = fz->op_index;
	fz->reached.events = events_total(fz);
	last_reached = fz->reached;
	teardown(fz);
	return 0;
}

void fuzz_summary(char *buf, size_t len)
{
	const struct reached *r = &last_reached;
	static const struct fuzz_flag names[] = {
#define R(f) FUZZ_FLAG(struct reached, f)
		R(oneshot_due),	  R(periodic_due),   R(tscd_due),
		R(many_periods),  R(clamped),	     R(divide_change),
		R(tscd_past),	  R(delivered),	     R(posted),
		R(catchup),	  R(stall),	     R(restored),
		R(migrated),	  R(mutated_ok),     R(mutated_refused),
		R(rsvd_refused),  R(faults),	     R(drained),
		R(tmcct_nonzero), R(msr_armed),	     R(tsc_jump),
		R(tsc_write),	  R(tsc_wrapped),    R(wrap_period),
		R(wrap_late),	  R(wrap_tscd_late), R(wrap_tscd_jump),
		R(loaded),	  R(load_resumed),   R(load_kept),
		R(load_dropped),  R(load_tick),
#undef R
	};

	fuzz_summary_flags(buf, len, r->ops, r->events, r->deliveries, r, names,
			   sizeof(names) / sizeof(names[0]));
}
