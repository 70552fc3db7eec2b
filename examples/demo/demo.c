// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vapic-demo: drive a guest's LAPIC timer through a scenario on the virtual
 * clock (adapters/vclock) and print what happens, as a timeline (guest TSC,
 * host time, event), then the statistics in kvm_stat naming and a check of
 * the invariants (never early, one host timer per vCPU, bounded rate).
 *
 * It is also the trace simulator: a scenario is a small text script (the
 * built-in ones are in scenarios.c; --scenario FILE runs one from a file).
 * Everything is deterministic: time is virtual and the host timer's modeled
 * latency comes from a PRNG seeded by --seed, so a run prints the same
 * bytes every time.
 *
 * Scenario language: one command per line, '#' starts a comment.
 *   config KEY=VAL...   before the first guest command.  bus_khz, tsc_khz
 *                       (guest TSC), host_khz (host TSC), min_period_ns,
 *                       policy=coalesce|catchup, catchup_max,
 *                       advance=adaptive|NS, posted=0|1, tscd=0|1
 *   host KEY=VAL...     host timer model: latency=NS (fixed part),
 *                       jitter=NS (uniform extra 0..NS), late_every=N and
 *                       late_ns=NS (every Nth timer that much later),
 *                       stall=DUR (the next timer only: a descheduled
 *                       vCPU), entry=NS (kick to vCPU entry), unpinned=0|1
 *                       (timer fires on the housekeeping CPU), post=0|1
 *                       (posting succeeds)
 *   note TEXT           print a headline
 *   svr on|off          software-enable / disable the APIC (SVR bit 8)
 *   lvtt MODE VECTOR [masked]   MODE: oneshot, periodic, tscd
 *   tmict COUNT         initial count (one-shot/periodic)
 *   tdcr DIVIDE         1, 2, 4, ... 128
 *   tscd +DUR | -DUR | @CYCLES | 0   WRMSR IA32_TSC_DEADLINE relative to
 *                       the guest TSC now, absolute, or 0 (disarm)
 *   read tmcct|msr|lvtt|tmict       the guest reads a register
 *   irq on|off          the guest can (not) take interrupts (IF)
 *   run DUR             let virtual time pass (events happen)
 *   migrate host_khz=KHZ downtime=DUR   save the timer, restore it on a
 *                       new host with that TSC frequency (another ratio
 *                       and offset); the guest TSC continues + downtime
 *   repeat N ... end    repeat the commands between (nesting allowed)
 * DUR is a number with ns, us, ms or s (bare: ns).
 */
#define _POSIX_C_SOURCE 200809L

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

#include "demo.h"

#define MAX_HOSTS 8
#define MAX_LINES 4096
#define MAX_DEPTH 8
#define START_NS 1000000000ULL

struct demo {
	/* Settings (config, before the first guest command). */
	struct vapic_timer_config tcfg;
	uint32_t host_khz;
	bool started;

	/* Hosts: the current one is hosts[nr_hosts - 1]. */
	struct vclock_vm *hosts[MAX_HOSTS];
	int nr_hosts;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	uint64_t shown_ns; /* host time shown at the current host's origin */
	uint64_t origin_ns;

	/* Host timer model. */
	uint64_t rng;
	uint64_t lat_ns, jitter_ns, late_every, late_ns, stall_ns, timers;
	uint64_t entry_ns;
	bool unpinned, post;

	/* What was printed already. */
	struct vapic_timer_stats ts;
	struct vclock_vcpu_stats hs;
	uint32_t advance_ns;
	size_t log_done;

	/* Output and accounting. */
	bool timeline;
	uint64_t injections, fires;
	const char *name;
	int line;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(const struct demo *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vapic-demo: %s:%d: ", d->name, d->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* splitmix64: the seeded PRNG of the host timer's modeled latency. */
static uint64_t rnd(struct demo *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---------------------------------------------------------------------- */
/* Timeline                                                               */

static uint64_t host_ns(const struct demo *d)
{
	return d->shown_ns + (d->vm->now_ns - d->origin_ns);
}

static void __attribute__((format(printf, 2, 3)))
event(struct demo *d, const char *fmt, ...)
{
	uint64_t ns = host_ns(d);
	va_list ap;

	if (!d->timeline)
		return;
	printf("%16llu %8llu.%03llu  ",
	       (unsigned long long)vclock_guest_tsc(d->v),
	       (unsigned long long)(ns / 1000),
	       (unsigned long long)(ns % 1000));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static uint64_t tsc_to_ns(const struct demo *d, uint64_t cycles)
{
	return vapic_tsc_to_ns(cycles, d->tcfg.guest_tsc_khz);
}

static const char *mode_name(uint32_t lvtt)
{
	static const char *const n[4] = { "one-shot", "periodic",
					  "TSC-deadline", "reserved" };

	return n[(lvtt >> VAPIC_LVTT_MODE_SHIFT) & 3];
}

/* Print what changed since the last look (after every event time). */
static void observe(struct demo *d)
{
	struct vapic_timer *t = &d->v->lapic.timer;
	const struct vapic_timer_stats *s = &t->stats, *p = &d->ts;
	const struct vclock_vcpu_stats *hs = &d->v->stats, *hp = &d->hs;
	uint64_t when;
	size_t i;

	if (hs->spins != hp->spins)
		event(d,
		      "  vCPU waits %llu ns: inside the advance window, the "
		      "deadline is not reached yet",
		      (unsigned long long)(hs->spin_ns - hp->spin_ns));
	if (s->immediate != p->immediate)
		event(d, "  timer: the deadline has already passed: due now");
	if (s->masked != p->masked)
		event(d, "  timer: %llu tick(s) not delivered (LVT masked)",
		      (unsigned long long)(s->masked - p->masked));
	if (s->clamped != p->clamped)
		event(d,
		      "  timer: period below the minimum: runs every %llu ns "
		      "(clamped)",
		      (unsigned long long)d->tcfg.min_period_ns);
	if (s->missed != p->missed)
		event(d, "  timer: %llu periodic tick(s) missed (%s)",
		      (unsigned long long)(s->missed - p->missed),
		      d->tcfg.missed_policy == VAPIC_MISSED_CATCHUP
			      ? "queued for catch-up"
			      : "coalesced");
	if (s->coalesced != p->coalesced)
		event(d, "  timer: %llu tick(s) merged into the pending one",
		      (unsigned long long)(s->coalesced - p->coalesced));
	if (s->dropped != p->dropped)
		event(d,
		      "  timer: %llu catch-up tick(s) dropped (backlog full)",
		      (unsigned long long)(s->dropped - p->dropped));
	if (s->arm_failures != p->arm_failures)
		event(d, "  host: timer_arm failed, retried at the next poll");
	for (i = d->log_done; i < d->vm->log_len; i++) {
		const struct vclock_delivery *e = &d->vm->log[i];

		d->injections++;
		if (e->flags & VCLOCK_DELIVERY_CATCHUP)
			event(d, "%s vector %#x: a late catch-up tick",
			      e->flags & VCLOCK_DELIVERY_POSTED ? "POSTED"
								: "INJECT",
			      e->vector);
		else if (e->flags & VCLOCK_DELIVERY_TIMER)
			event(d, "%s vector %#x: deadline %llu, %llu ns late%s",
			      e->flags & VCLOCK_DELIVERY_POSTED ? "POSTED"
								: "INJECT",
			      e->vector, (unsigned long long)e->deadline_tsc,
			      (unsigned long long)tsc_to_ns(
				      d, e->guest_tsc - e->deadline_tsc),
			      e->flags & VCLOCK_DELIVERY_POSTED
				      ? " (no exit, from the timer's CPU)"
				      : "");
		else
			event(d, "INJECT vector %#x", e->vector);
	}
	d->log_done = d->vm->log_len;
	if (vapic_timer_advance_ns(t) != d->advance_ns)
		event(d, "  adaptive advance: %u -> %u ns", d->advance_ns,
		      vapic_timer_advance_ns(t));
	if (hs->cancels_armed != hp->cancels_armed)
		event(d, "  host: timer cancelled");
	if ((hs->arms != hp->arms || hs->rearms != hp->rearms) &&
	    vclock_timer_armed(d->v, &when))
		event(d, "  host: timer armed, fires in %llu ns",
		      (unsigned long long)(when - d->vm->now_ns));
	d->ts = *s;
	d->hs = *hs;
	d->advance_ns = vapic_timer_advance_ns(t);
}

/* ---------------------------------------------------------------------- */
/* Host                                                                   */

static uint64_t latency_fn(void *arg, struct vclock_vcpu *v, uint64_t exp)
{
	struct demo *d = arg;
	uint64_t l = d->lat_ns;

	(void)v;
	(void)exp;
	if (d->jitter_ns)
		l += rnd(d) % (d->jitter_ns + 1);
	if (d->late_every && ++d->timers % d->late_every == 0)
		l += d->late_ns;
	l += d->stall_ns;
	d->stall_ns = 0;
	return l;
}

static void fire_hook(void *arg, struct vclock_vcpu *v)
{
	struct demo *d = arg;

	d->fires++;
	event(d, "host timer fires on CPU %u%s",
	      v->timer_pinned ? v->cpu : v->vm->cfg.housekeeping_cpu,
	      v->timer_pinned ? "" : " (housekeeping)");
}

static void apply_host_model(struct demo *d)
{
	d->v->latency_fn = latency_fn;
	d->v->latency_arg = d;
	d->v->entry_latency_ns = d->entry_ns;
	d->v->timer_pinned = !d->unpinned;
	d->v->post_enabled = d->post;
}

static struct vclock_vm *new_host(struct demo *d, uint32_t host_khz)
{
	struct vclock_config vc;
	struct vclock_vm *vm;
	int r;

	if (d->nr_hosts == MAX_HOSTS)
		die(d, "too many hosts (migrations)");
	vclock_config_default(&vc, 1);
	vc.host_tsc_khz = host_khz;
	vc.start_ns = START_NS;
	vc.mem_size = 4096;
	vc.lapic.timer = d->tcfg;
	r = vclock_vm_create(&vc, &vm);
	if (r)
		die(d, "cannot create the host: %s", vapic_strerror(r));
	vm->fire_hook = fire_hook;
	vm->fire_hook_arg = d;
	d->hosts[d->nr_hosts++] = vm;
	return vm;
}

static void start(struct demo *d)
{
	if (d->started)
		return;
	d->started = true;
	d->vm = new_host(d, d->host_khz);
	d->v = vclock_vcpu(d->vm, 0);
	d->origin_ns = d->vm->now_ns;
	d->shown_ns = 0;
	apply_host_model(d);
	d->ts = d->v->lapic.timer.stats;
	d->hs = d->v->stats;
	d->advance_ns = vapic_timer_advance_ns(&d->v->lapic.timer);
	event(d,
	      "power-on: guest TSC %u kHz, host TSC %u kHz, APIC bus %u "
	      "kHz, min period %llu ns, %s, advance %s",
	      d->tcfg.guest_tsc_khz, d->host_khz, d->tcfg.bus_khz,
	      (unsigned long long)d->tcfg.min_period_ns,
	      d->tcfg.missed_policy == VAPIC_MISSED_CATCHUP ? "catch-up"
							    : "coalesce",
	      d->tcfg.advance_ns == VAPIC_ADVANCE_ADAPTIVE ? "adaptive"
							   : "fixed");
}

/* Let time pass to @t_ns, stopping at every event to print it. */
static void run_to(struct demo *d, uint64_t t_ns)
{
	uint64_t next;
	int r;

	while (vclock_next_event_ns(d->vm, &next) && next <= t_ns) {
		r = vclock_run_until(
			d->vm, next > d->vm->now_ns ? next : d->vm->now_ns);
		if (r)
			die(d, "run: %s", vapic_strerror(r));
		observe(d);
	}
	r = vclock_run_until(d->vm, t_ns);
	if (r)
		die(d, "run: %s", vapic_strerror(r));
	observe(d);
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                */

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return false;
	*v = strtoull(s, &end, 0);
	return !*end;
}

static bool parse_dur(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = { { "ns", 1 },
		      { "us", 1000 },
		      { "ms", 1000000 },
		      { "s", 1000000000 } };
	char *end;
	size_t k;

	if (!s || !*s)
		return false;
	*ns = strtoull(s, &end, 0);
	if (!*end)
		return true;
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if (!strcmp(end, units[k].suffix)) {
			*ns *= units[k].mult;
			return true;
		}
	return false;
}

static uint64_t need_u64(struct demo *d, const char *s, const char *what)
{
	uint64_t v;

	if (!parse_u64(s, &v))
		die(d, "%s: not a number: '%s'", what, s ? s : "");
	return v;
}

static uint64_t need_dur(struct demo *d, const char *s, const char *what)
{
	uint64_t v;

	if (!parse_dur(s, &v))
		die(d, "%s: not a duration: '%s'", what, s ? s : "");
	return v;
}

/* Split "key=value". */
static const char *kv(char *tok, const char **val)
{
	char *eq = strchr(tok, '=');

	if (!eq)
		return NULL;
	*eq = '\0';
	*val = eq + 1;
	return tok;
}

static void cmd_config(struct demo *d, char **tok, int n)
{
	int k;

	if (d->started)
		die(d, "config must come before the first guest command");
	for (k = 1; k < n; k++) {
		const char *val, *key = kv(tok[k], &val);

		if (!key)
			die(d, "config: expected KEY=VALUE, got '%s'", tok[k]);
		if (!strcmp(key, "bus_khz"))
			d->tcfg.bus_khz = (uint32_t)need_u64(d, val, key);
		else if (!strcmp(key, "tsc_khz"))
			d->tcfg.guest_tsc_khz = (uint32_t)need_u64(d, val, key);
		else if (!strcmp(key, "host_khz"))
			d->host_khz = (uint32_t)need_u64(d, val, key);
		else if (!strcmp(key, "min_period_ns"))
			d->tcfg.min_period_ns = need_u64(d, val, key);
		else if (!strcmp(key, "catchup_max"))
			d->tcfg.catchup_max = (uint32_t)need_u64(d, val, key);
		else if (!strcmp(key, "policy") && !strcmp(val, "coalesce"))
			d->tcfg.missed_policy = VAPIC_MISSED_COALESCE;
		else if (!strcmp(key, "policy") && !strcmp(val, "catchup"))
			d->tcfg.missed_policy = VAPIC_MISSED_CATCHUP;
		else if (!strcmp(key, "advance") && !strcmp(val, "adaptive"))
			d->tcfg.advance_ns = VAPIC_ADVANCE_ADAPTIVE;
		else if (!strcmp(key, "advance"))
			d->tcfg.advance_ns = (int32_t)need_u64(d, val, key);
		else if (!strcmp(key, "posted") || !strcmp(key, "tscd")) {
			uint32_t f = !strcmp(key, "posted")
					     ? VAPIC_TIMER_F_POSTED
					     : VAPIC_TIMER_F_TSC_DEADLINE;

			if (need_u64(d, val, key))
				d->tcfg.flags |= f;
			else
				d->tcfg.flags &= ~f;
		} else
			die(d, "config: unknown setting '%s=%s'", key, val);
	}
}

static void cmd_host(struct demo *d, char **tok, int n)
{
	int k;

	for (k = 1; k < n; k++) {
		const char *val, *key = kv(tok[k], &val);

		if (!key)
			die(d, "host: expected KEY=VALUE, got '%s'", tok[k]);
		if (!strcmp(key, "latency"))
			d->lat_ns = need_dur(d, val, key);
		else if (!strcmp(key, "jitter"))
			d->jitter_ns = need_dur(d, val, key);
		else if (!strcmp(key, "late_every"))
			d->late_every = need_u64(d, val, key);
		else if (!strcmp(key, "late_ns"))
			d->late_ns = need_dur(d, val, key);
		else if (!strcmp(key, "stall"))
			d->stall_ns = need_dur(d, val, key);
		else if (!strcmp(key, "entry"))
			d->entry_ns = need_dur(d, val, key);
		else if (!strcmp(key, "unpinned"))
			d->unpinned = need_u64(d, val, key);
		else if (!strcmp(key, "post"))
			d->post = need_u64(d, val, key);
		else
			die(d, "host: unknown setting '%s'", key);
	}
	if (d->started) {
		apply_host_model(d);
		if (d->stall_ns)
			event(d,
			      "host: the vCPU's next timer will fire %llu ns "
			      "late (descheduled)",
			      (unsigned long long)d->stall_ns);
	}
}

static uint32_t divide_to_tdcr(struct demo *d, uint64_t div)
{
	static const uint32_t tab[8] = {
		0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa
	};
	int k;

	for (k = 0; k < 8; k++)
		if (div == 1ULL << k)
			return tab[k];
	die(d, "tdcr: the divide is 1, 2, 4, ... or 128, not %llu",
	    (unsigned long long)div);
}

static void check_write(struct demo *d, int r, const char *what)
{
	if (r < 0)
		die(d, "%s: %s", what, vapic_strerror(r));
}

static void cmd_lvtt(struct demo *d, char **tok, int n)
{
	uint32_t val, mode;

	if (n < 3)
		die(d, "lvtt MODE VECTOR [masked]");
	if (!strcmp(tok[1], "oneshot"))
		mode = VAPIC_TIMER_ONESHOT;
	else if (!strcmp(tok[1], "periodic"))
		mode = VAPIC_TIMER_PERIODIC;
	else if (!strcmp(tok[1], "tscd"))
		mode = VAPIC_TIMER_TSC_DEADLINE;
	else
		die(d, "lvtt: mode is oneshot, periodic or tscd");
	val = (uint32_t)need_u64(d, tok[2], "vector") & 0xff;
	val |= mode << VAPIC_LVTT_MODE_SHIFT;
	if (n > 3 && !strcmp(tok[3], "masked"))
		val |= VAPIC_LVT_MASKED;
	event(d, "guest  LVTT <- %#010x (%s, vector %#x%s)", val,
	      mode_name(val), val & 0xff,
	      (val & VAPIC_LVT_MASKED) ? ", masked" : "");
	check_write(d, vclock_write(d->v, VAPIC_REG_LVT_TIMER, val), "lvtt");
}

static void cmd_tscd(struct demo *d, const char *arg)
{
	uint64_t now = vclock_guest_tsc(d->v), dl, dur;

	if (!arg)
		die(d, "tscd +DUR | -DUR | @CYCLES | 0");
	if (arg[0] == '+' || arg[0] == '-') {
		dur = vapic_ns_to_tsc(need_dur(d, arg + 1, "tscd"),
				      d->tcfg.guest_tsc_khz);
		dl = arg[0] == '+' ? now + dur : now - dur;
		event(d, "guest  WRMSR TSC_DEADLINE <- %llu (now %c %llu)",
		      (unsigned long long)dl, arg[0], (unsigned long long)dur);
	} else if (arg[0] == '@') {
		dl = need_u64(d, arg + 1, "tscd");
		event(d, "guest  WRMSR TSC_DEADLINE <- %llu",
		      (unsigned long long)dl);
	} else {
		dl = need_u64(d, arg, "tscd");
		event(d, "guest  WRMSR TSC_DEADLINE <- %llu%s",
		      (unsigned long long)dl, dl ? "" : " (disarm)");
	}
	check_write(d, vclock_wrmsr_tsc_deadline(d->v, dl), "tscd");
}

static void cmd_read(struct demo *d, const char *what)
{
	uint32_t val = 0;
	int r;

	if (what && !strcmp(what, "msr")) {
		uint64_t dl = vclock_rdmsr_tsc_deadline(d->v);

		event(d, "guest  RDMSR TSC_DEADLINE -> %llu%s",
		      (unsigned long long)dl,
		      dl ? ""
			 : " (fired, disarmed or not in TSC-deadline mode)");
		return;
	}
	if (what && !strcmp(what, "tmcct"))
		r = vclock_read(d->v, VAPIC_REG_TMCCT, &val);
	else if (what && !strcmp(what, "tmict"))
		r = vclock_read(d->v, VAPIC_REG_TMICT, &val);
	else if (what && !strcmp(what, "lvtt"))
		r = vclock_read(d->v, VAPIC_REG_LVT_TIMER, &val);
	else
		die(d, "read tmcct|tmict|lvtt|msr");
	check_write(d, r, "read");
	event(d, "guest  %s -> %u (%#x)", what, val, val);
}

/* Save the timer, restore it on a new host: another TSC ratio/offset. */
static void cmd_migrate(struct demo *d, char **tok, int n)
{
	struct vapic_timer_state s;
	struct vclock_vm *old = d->vm;
	struct vclock_vcpu *ov = d->v;
	uint64_t host_khz = d->host_khz, downtime = 0, tsc, shown;
	uint32_t svr, tpr;
	int k, r;

	for (k = 1; k < n; k++) {
		const char *val, *key = kv(tok[k], &val);

		if (key && !strcmp(key, "host_khz"))
			host_khz = need_u64(d, val, key);
		else if (key && !strcmp(key, "downtime"))
			downtime = need_dur(d, val, key);
		else
			die(d, "migrate host_khz=KHZ downtime=DUR");
	}
	r = vapic_timer_save(&ov->lapic.timer, &s);
	if (r)
		die(d, "save: %s", vapic_strerror(r));
	observe(d);
	tsc = vclock_guest_tsc(ov);
	(void)vapic_lapic_read(&ov->lapic, VAPIC_REG_SVR, &svr);
	(void)vapic_lapic_read(&ov->lapic, VAPIC_REG_TPR, &tpr);
	event(d,
	      "save: timer record (%s, TMICT %u, TMCCT %u, deadline "
	      "%llu); the vCPU stops",
	      mode_name(s.lvtt), s.tmict, s.tmcct,
	      (unsigned long long)s.tsc_deadline);
	shown = host_ns(d) + downtime;
	vapic_lapic_reset(&ov->lapic);
	ov->auto_enter = false;

	d->host_khz = (uint32_t)host_khz;
	d->vm = new_host(d, (uint32_t)host_khz);
	d->v = vclock_vcpu(d->vm, 0);
	d->origin_ns = d->vm->now_ns;
	d->shown_ns = shown;
	d->log_done = 0;
	apply_host_model(d);
	vclock_vcpu_set_guest_tsc(
		d->v, tsc + vapic_ns_to_tsc(downtime, d->tcfg.guest_tsc_khz));
	(void)vapic_lapic_write(&d->v->lapic, VAPIC_REG_SVR, svr);
	(void)vapic_lapic_write(&d->v->lapic, VAPIC_REG_TPR, tpr);
	d->ts = d->v->lapic.timer.stats;
	d->hs = d->v->stats;
	d->advance_ns = vapic_timer_advance_ns(&d->v->lapic.timer);
	event(d,
	      "restore on a new host: host TSC %llu kHz (ratio %#llx, "
	      "offset %#llx), after %llu ns of downtime",
	      (unsigned long long)host_khz,
	      (unsigned long long)d->v->clock.ratio,
	      (unsigned long long)d->v->clock.offset,
	      (unsigned long long)downtime);
	r = vapic_timer_restore(&d->v->lapic.timer, &s);
	if (r)
		die(d, "restore: %s", vapic_strerror(r));
	vclock_vcpu_kick(d->v);
	observe(d);
	(void)old;
}

/* ---------------------------------------------------------------------- */
/* The interpreter                                                        */

struct script {
	char *text;
	char *line[MAX_LINES];
	int nr;
};

static void split_lines(struct demo *d, struct script *sc, const char *src)
{
	char *p;

	sc->text = strdup(src);
	if (!sc->text)
		die(d, "out of memory");
	sc->nr = 0;
	for (p = sc->text; p && *p;) {
		char *nl = strchr(p, '\n');

		if (sc->nr == MAX_LINES)
			die(d, "more than %d lines", MAX_LINES);
		sc->line[sc->nr++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static int tokenize(char *s, char **tok, int max)
{
	int n = 0;
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	while (*s && n < max) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			break;
		tok[n++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static void run_script(struct demo *d, const char *src)
{
	struct script sc;
	int loop_start[MAX_DEPTH];
	uint64_t loop_left[MAX_DEPTH];
	int depth = 0, pc;

	split_lines(d, &sc, src);
	for (pc = 0; pc < sc.nr; pc++) {
		char buf[512], *tok[16];
		int n;

		d->line = pc + 1;
		snprintf(buf, sizeof(buf), "%s", sc.line[pc]);
		if (!strncmp(buf, "note", 4) &&
		    (buf[4] == ' ' || buf[4] == '\0')) {
			if (!d->started)
				start(d);
			if (d->timeline)
				printf("%s\n", buf[4] ? buf + 5 : "");
			continue;
		}
		n = tokenize(buf, tok, 16);
		if (!n)
			continue;
		if (!strcmp(tok[0], "config")) {
			cmd_config(d, tok, n);
			continue;
		}
		if (!strcmp(tok[0], "host")) {
			cmd_host(d, tok, n);
			continue;
		}
		if (!strcmp(tok[0], "repeat")) {
			if (depth == MAX_DEPTH)
				die(d, "repeat nested too deep");
			loop_start[depth] = pc;
			loop_left[depth] =
				need_u64(d, n > 1 ? tok[1] : NULL, "repeat");
			if (!loop_left[depth])
				die(d, "repeat 0");
			depth++;
			continue;
		}
		if (!strcmp(tok[0], "end")) {
			if (!depth)
				die(d, "end without repeat");
			if (--loop_left[depth - 1])
				pc = loop_start[depth - 1];
			else
				depth--;
			continue;
		}
		start(d);
		if (!strcmp(tok[0], "svr")) {
			bool on = n > 1 && !strcmp(tok[1], "on");

			event(d, "guest  SVR <- %#x (APIC software-%s)",
			      on ? 0x1ff : 0xff, on ? "enabled" : "disabled");
			check_write(d,
				    vclock_write(d->v, VAPIC_REG_SVR,
						 on ? 0x1ff : 0xff),
				    "svr");
		} else if (!strcmp(tok[0], "lvtt")) {
			cmd_lvtt(d, tok, n);
		} else if (!strcmp(tok[0], "tmict")) {
			uint32_t c = (uint32_t)need_u64(
				d, n > 1 ? tok[1] : NULL, "tmict");

			event(d, "guest  TMICT <- %u", c);
			check_write(d, vclock_write(d->v, VAPIC_REG_TMICT, c),
				    "tmict");
		} else if (!strcmp(tok[0], "tdcr")) {
			uint64_t div =
				need_u64(d, n > 1 ? tok[1] : NULL, "tdcr");
			uint32_t v = divide_to_tdcr(d, div);

			event(d, "guest  TDCR <- 0x%x (divide by %llu)", v,
			      (unsigned long long)div);
			check_write(d, vclock_write(d->v, VAPIC_REG_TDCR, v),
				    "tdcr");
		} else if (!strcmp(tok[0], "tscd")) {
			cmd_tscd(d, n > 1 ? tok[1] : NULL);
		} else if (!strcmp(tok[0], "read")) {
			cmd_read(d, n > 1 ? tok[1] : NULL);
		} else if (!strcmp(tok[0], "irq")) {
			bool on = n > 1 && !strcmp(tok[1], "on");

			event(d, "guest  %s interrupts",
			      on ? "enables" : "disables");
			vclock_vcpu_set_irq_window(d->v, on);
		} else if (!strcmp(tok[0], "run")) {
			uint64_t ns = need_dur(d, n > 1 ? tok[1] : NULL, "run");

			observe(d);
			run_to(d, d->vm->now_ns + ns);
			continue;
		} else if (!strcmp(tok[0], "migrate")) {
			cmd_migrate(d, tok, n);
			continue;
		} else {
			die(d, "unknown command '%s'", tok[0]);
		}
		/* A guest access is an exit: the vCPU thread runs now. */
		run_to(d, d->vm->now_ns);
	}
	if (depth)
		die(d, "repeat without end");
	free(sc.text);
}

/* ---------------------------------------------------------------------- */
/* Statistics and invariants                                              */

static void sum_stats(const struct demo *d, struct vapic_timer_stats *ts,
		      struct vapic_lapic_stats *ls,
		      struct vclock_vcpu_stats *hs)
{
	int h;
	size_t k;

	memset(ts, 0, sizeof(*ts));
	memset(ls, 0, sizeof(*ls));
	memset(hs, 0, sizeof(*hs));
	for (h = 0; h < d->nr_hosts; h++) {
		const struct vclock_vcpu *v = vclock_vcpu(d->hosts[h], 0);
		const uint64_t *a;
		uint64_t *b;

		a = (const uint64_t *)&v->lapic.timer.stats;
		b = (uint64_t *)ts;
		for (k = 0; k < sizeof(*ts) / 8; k++)
			b[k] += a[k];
		a = (const uint64_t *)&v->lapic.stats;
		b = (uint64_t *)ls;
		for (k = 0; k < sizeof(*ls) / 8; k++)
			b[k] += a[k];
		a = (const uint64_t *)&v->stats;
		b = (uint64_t *)hs;
		for (k = 0; k < sizeof(*hs) / 8; k++)
			if (k != __builtin_offsetof(struct vclock_vcpu_stats,
						    max_armed) /
					 8)
				b[k] += a[k];
		if (v->stats.max_armed > hs->max_armed)
			hs->max_armed = v->stats.max_armed;
	}
}

static void print_descs(const struct vapic_stat_desc *desc, uint32_t n,
			const void *stats)
{
	uint32_t i, b;

	for (i = 0; i < n; i++) {
		const uint64_t *c = (const uint64_t *)((const char *)stats +
						       desc[i].offset);

		if (desc[i].count == 1) {
			printf("  %-26s %12llu\n", desc[i].name,
			       (unsigned long long)c[0]);
			continue;
		}
		printf("  %-26s\n", desc[i].name);
		for (b = 0; b < desc[i].count; b++) {
			char range[48];

			if (!c[b])
				continue;
			if (b == 0)
				snprintf(range, sizeof(range), "0 ns");
			else
				snprintf(range, sizeof(range),
					 "[%llu, %llu) ns", 1ULL << (b - 1),
					 1ULL << b);
			printf("    %-24s %12llu\n", range,
			       (unsigned long long)c[b]);
		}
	}
}

static int finish(struct demo *d)
{
	struct vapic_timer_stats ts;
	struct vapic_lapic_stats ls;
	struct vclock_vcpu_stats hs;
	unsigned int violations = 0;
	char msg[256];
	int h;

	sum_stats(d, &ts, &ls, &hs);
	printf("\nStatistics (kvm_stat names; all hosts):\n");
	print_descs(vapic_timer_stat_descs, vapic_timer_stat_ndescs, &ts);
	print_descs(vapic_lapic_stat_descs, vapic_lapic_stat_ndescs, &ls);
	printf("  %-26s %12llu\n", "host_timer_arms",
	       (unsigned long long)(hs.arms + hs.rearms));
	printf("  %-26s %12llu\n", "host_timer_fires",
	       (unsigned long long)hs.fires);
	printf("  %-26s %12llu\n", "host_timer_cancels",
	       (unsigned long long)hs.cancels_armed);
	printf("  %-26s %12llu\n", "host_kicks", (unsigned long long)hs.kicks);
	printf("  %-26s %12llu\n", "host_posts", (unsigned long long)hs.posts);
	printf("  %-26s %12llu\n", "host_spins", (unsigned long long)hs.spins);
	printf("  %-26s %12llu\n", "host_spin_ns",
	       (unsigned long long)hs.spin_ns);
	printf("  %-26s %12u\n", "timer_advance_ns",
	       vapic_timer_advance_ns(&d->v->lapic.timer));

	printf("\nInvariants:\n");
	for (h = 0; h < d->nr_hosts; h++) {
		unsigned int n = vclock_check(d->hosts[h], msg, sizeof(msg));

		if (n)
			printf("  VIOLATED on host %d: %s\n", h, msg);
		violations += n;
	}
	if (vapic_user_warn_count()) {
		printf("  VIOLATED: %lu VAPIC_WARN_ON report(s)\n",
		       vapic_user_warn_count());
		violations++;
	}
	printf("  never early:    %s (%llu of %llu timer interrupts before "
	       "their deadline in guest TSC)\n",
	       ts.early ? "VIOLATED" : "ok", (unsigned long long)ts.early,
	       (unsigned long long)d->injections);
	printf("  one host timer: %s (at most %llu armed per vCPU)\n",
	       hs.max_armed > 1 ? "VIOLATED" : "ok",
	       (unsigned long long)hs.max_armed);
	printf("  bounded rate:   %llu host timer fires for %llu timer "
	       "interrupts\n",
	       (unsigned long long)hs.fires, (unsigned long long)d->injections);
	printf("  result:         %s\n", violations ? "VIOLATED" : "ok");
	for (h = 0; h < d->nr_hosts; h++)
		vclock_vm_destroy(d->hosts[h]);
	return violations ? 1 : 0;
}

/* ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	const struct demo_scenario *s;

	fprintf(f,
		"usage: vapic-demo [--scenario NAME|FILE] [--seed N] "
		"[--stats-only]\n"
		"       vapic-demo --list | --print NAME | --help\n"
		"\n"
		"Drives a guest's LAPIC timer through a scenario on libvapic's "
		"virtual clock\nand prints a timeline (guest TSC, host time in "
		"us, event), the statistics\nin kvm_stat naming, and a check "
		"of the invariants (exit status 1 if one is\nviolated).  "
		"Deterministic: the same seed prints the same output.\n"
		"\n"
		"  --scenario NAME|FILE  a built-in scenario (default: tour) "
		"or a scenario file\n"
		"  --seed N              seed of the host timer's modeled "
		"latency (default 1)\n"
		"  --stats-only          no timeline\n"
		"  --list                list the built-in scenarios\n"
		"  --print NAME          print a built-in scenario (a start "
		"for your own)\n"
		"\nBuilt-in scenarios:\n");
	for (s = demo_scenarios; s->name; s++)
		fprintf(f, "  %-10s %s\n", s->name, s->what);
	fprintf(f, "\nThe scenario language is described at the top of "
		   "examples/demo/demo.c.\n");
}

static const struct demo_scenario *find(const char *name)
{
	const struct demo_scenario *s;

	for (s = demo_scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static struct demo demo;
	struct demo *d = &demo;
	const char *scenario = "tour";
	const struct demo_scenario *s;
	uint64_t seed = 1;
	char *text = NULL;
	int a;

	d->timeline = true;
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--list")) {
			for (s = demo_scenarios; s->name; s++)
				printf("%-10s %s\n", s->name, s->what);
			return 0;
		} else if (!strcmp(argv[a], "--print") && a + 1 < argc) {
			s = find(argv[++a]);
			if (!s) {
				fprintf(stderr,
					"vapic-demo: no scenario '%s'\n",
					argv[a]);
				return 2;
			}
			fputs(s->script, stdout);
			return 0;
		} else if (!strcmp(argv[a], "--scenario") && a + 1 < argc) {
			scenario = argv[++a];
		} else if (!strcmp(argv[a], "--seed") && a + 1 < argc) {
			if (!parse_u64(argv[++a], &seed)) {
				fprintf(stderr, "vapic-demo: bad seed '%s'\n",
					argv[a]);
				return 2;
			}
		} else if (!strcmp(argv[a], "--stats-only")) {
			d->timeline = false;
		} else {
			fprintf(stderr, "vapic-demo: unknown argument '%s'\n\n",
				argv[a]);
			usage(stderr);
			return 2;
		}
	}

	s = find(scenario);
	if (!s) {
		text = read_file(scenario);
		if (!text) {
			fprintf(stderr,
				"vapic-demo: '%s' is neither a built-in "
				"scenario (--list) nor a readable file\n",
				scenario);
			return 2;
		}
	}
	d->name = scenario;
	d->rng = seed;
	d->host_khz = 2500000;
	vapic_timer_config_default(&d->tcfg, 2500000);
	printf("vapic-demo: scenario '%s', seed %llu\n", scenario,
	       (unsigned long long)seed);
	if (d->timeline)
		printf("\n%16s %12s  %s\n", "guest TSC", "host us", "event");
	run_script(d, s ? s->script : text);
	free(text);
	if (!d->started)
		start(d);
	return finish(d);
}
