// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Differential check of the timer fast paths: this program drives a LAPIC
 * and its timer through a long pseudo-random sequence of guest register
 * writes, TSC-deadline writes, time steps, host-timer expiries, polls,
 * injections and EOIs, printing every result and, at the end, every
 * statistics counter.  Half the TSC-deadline writes and polls go through
 * the fastpath dispatch (vapic_fastpath_handle()), whose fused paths
 * inline the timer's.  The test suite builds it
 * twice, against the core with VAPIC_CONFIG_TIMER_FASTPATH=1 (the default)
 * and =0 (general paths only), and requires the two traces to be
 * identical: the fast paths change the instruction count, never the
 * behaviour.
 *
 * Usage: timer_diff [SEED [STEPS]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "lapic_fake.h"

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((rng >> 33) % n);
}

static void host_state(struct fake_cpu *c)
{
	printf(" armed=%d exp=%" PRIu64 "\n", c->armed,
	       c->armed ? c->expires_ns : 0);
}

/* The host timer fires if it is due: the host disarms it, then calls in. */
static void maybe_fire(struct fake_cpu *c)
{
	uint64_t exp = 0;
	int r;

	/* Sometimes the host timer is late (the vCPU polls first). */
	if (!c->armed || c->vm->tsc < c->expires_ns + (rnd(3) ? 0 : 1500))
		return;
	c->armed = false;
	r = vapic_timer_expired(&c->lapic.timer, &exp);
	printf("fire r=%d", r);
	host_state(c);
}

static void poll_inject(struct fake_cpu *c)
{
	uint64_t wait_ns = 0;
	uint32_t v = 0;
	int r, n;

	for (n = 0; n < 4; n++) {
		if (rnd(2)) {
			/*
			 * The fastpath's host-timer exit (its fused timer
			 * fire + inject path), as a VMM would take it.
			 */
			struct vapic_exit e = { .reason =
							VAPIC_EXIT_HOST_TIMER };
			int f = vapic_fastpath_handle(&c->fp, &e);

			printf("exit %d act=%x", f, e.actions);
			r = (e.actions & VAPIC_EXIT_ACT_WAIT) ? VAPIC_LAPIC_WAIT
			    : (e.actions & VAPIC_EXIT_ACT_INJECT)
				    ? VAPIC_LAPIC_INJECT
				    : VAPIC_LAPIC_NONE;
			v = e.vector;
			wait_ns = e.wait_ns;
		} else {
			r = vapic_lapic_poll(&c->lapic, &v, &wait_ns);
		}
		if (r == VAPIC_LAPIC_WAIT) {
			printf("wait %" PRIu64 "\n", wait_ns);
			c->vm->tsc += wait_ns;
			continue;
		}
		if (r != VAPIC_LAPIC_INJECT)
			break;
		printf("inject %u tsc=%" PRIu64 "\n", v, c->vm->tsc);
		vapic_lapic_injected(&c->lapic, v);
		if (rnd(5))
			printf("eoi act=%d\n", vapic_lapic_eoi(&c->lapic));
	}
	printf("poll end r=%d", r);
	host_state(c);
}

static void print_stats(const struct vapic_stat_desc *d, uint32_t n,
			const void *stats)
{
	uint32_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < d[i].count; k++)
			printf("%s[%u]=%" PRIu64 "\n", d[i].name, k,
			       ((const uint64_t *)((const char *)stats +
						   d[i].offset))[k]);
}

static void run(uint64_t seed, long steps, int32_t advance)
{
	static const uint32_t modes[] = { 0, 0x20000, 0x40000, 0x40000 };
	struct fake_vm vm;
	struct fake_cpu *c = &vm.cpu[0];
	struct vapic_lapic *l = &c->lapic;
	struct vapic_lapic_config cfg;
	long i;
	uint32_t v;
	int r;

	rng = seed;
	if (fake_vm_init(&vm, 1, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC))
		exit(2);
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.timer.advance_ns = advance;
	cfg.timer.min_period_ns = 20000;
	if (vapic_lapic_init(l, &cfg, &fake_ops, c))
		exit(2);
	fake_sw_enable(l);
	printf("seed %" PRIu64 " advance %d\n", seed, advance);
	for (i = 0; i < steps; i++) {
		uint32_t op = rnd(16);
		uint64_t d;

		switch (op) {
		case 0:
			v = modes[rnd(4)] | (rnd(20) ? 0x30 + rnd(0xd0) : 5) |
			    (rnd(10) ? 0 : VAPIC_LVT_MASKED);
			r = vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, v);
			printf("lvtt %x r=%d", v, r);
			break;
		case 1:
			v = rnd(3) ? rnd(100000) : rnd(2) ? 0 : rnd(50);
			r = vapic_lapic_write(l, VAPIC_REG_TMICT, v);
			printf("tmict %u r=%d", v, r);
			break;
		case 2:
			v = rnd(16);
			r = vapic_lapic_write(l, VAPIC_REG_TDCR, v);
			printf("tdcr %u r=%d", v, r);
			break;
		case 3:
		case 4:
		case 5:
			d = rnd(8)   ? vm.tsc + rnd(200000)
			    : rnd(2) ? vm.tsc - rnd(1000)
				     : 0;
			if (d && !rnd(3)) /* on the 1000-cycle grid */
				d = (d + 999) / 1000 * 1000;
			if (rnd(2)) {
				r = vapic_lapic_write_tsc_deadline(l, d);
			} else {
				/* The fastpath's WRMSR exit. */
				struct vapic_exit e = {
					.reason = VAPIC_EXIT_WRMSR,
					.msr = VAPIC_MSR_TSC_DEADLINE,
					.data = d,
				};

				r = vapic_fastpath_handle(&c->fp, &e);
				printf("exit act=%x vec=%u ", e.actions,
				       e.vector);
			}
			printf("tscd %" PRIu64 " r=%d", d, r);
			break;
		case 6:
			v = rnd(8) ? 0x1ff : 0xff;
			r = vapic_lapic_write(l, VAPIC_REG_SVR, v);
			printf("svr %x r=%d", v, r);
			break;
		case 7:
		case 8:
		case 9:
			d = vapic_lapic_read_tsc_deadline(l);
			if (!rnd(4) && d > vm.tsc) {
				/* Exactly onto the deadline, or the armed
				 * expiry (the deadline when advance is 0). */
				vm.tsc = rnd(2) ? d
					 : c->armed && c->expires_ns > vm.tsc
						 ? c->expires_ns
						 : d;
			} else if (!rnd(6) && c->armed &&
				   c->expires_ns > vm.tsc) {
				vm.tsc = c->expires_ns;
			} else {
				vm.tsc += rnd(4) ? rnd(60000) : rnd(3000);
				if (!rnd(3)) /* onto the 1000-cycle grid */
					vm.tsc = (vm.tsc + 999) / 1000 * 1000;
			}
			printf("time %" PRIu64, vm.tsc);
			host_state(c);
			maybe_fire(c);
			continue;
		case 10:
		case 11:
		case 12:
			poll_inject(c);
			continue;
		case 13:
			printf("tmcct %u tscd %" PRIu64 " lvtt %x",
			       fake_reg(l, VAPIC_REG_TMCCT),
			       vapic_lapic_read_tsc_deadline(l),
			       fake_reg(l, VAPIC_REG_LVT_TIMER));
			break;
		case 14:
			if (rnd(2)) {
				printf("eoi act=%d", vapic_lapic_eoi(l));
			} else {
				/* The whole saved state, internal fields too.
				 */
				struct vapic_lapic_state st;

				r = vapic_lapic_save(l, &st);
				printf("save r=%d sum=%08x", r, st.checksum);
			}
			break;
		default:
			/*
			 * Other interrupts: in the timer vectors' range too,
			 * sometimes level-triggered (TMR), from "another
			 * thread" (kicks).
			 */
			v = rnd(2) ? 0x40 + rnd(0x20) : 0x30 + rnd(0xd0);
			r = vapic_lapic_accept(l, v,
					       rnd(4) ? 0 : VAPIC_ACCEPT_LEVEL);
			printf("accept %x r=%d", v, r);
			break;
		}
		host_state(c);
	}
	printf("stats inj=%" PRIu64 " early=%" PRIu64 " fires=%" PRIu64
	       " adv=%u\n",
	       l->timer.stats.injections, l->timer.stats.early,
	       l->timer.stats.fires, vapic_timer_advance_ns(&l->timer));
	/* Every counter (the fast paths keep the same statistics). */
	print_stats(vapic_timer_stat_descs, vapic_timer_stat_ndescs,
		    &l->timer.stats);
	print_stats(vapic_lapic_stat_descs, vapic_lapic_stat_ndescs, &l->stats);
	print_stats(vapic_exit_stat_descs, vapic_exit_stat_ndescs,
		    &c->fp.stats);
	/*
	 * Host calls: kicks and arms.  Not cancels: the fast path does not
	 * cancel a host timer whose callback has run (it is idle), where the
	 * general path cancels it again, which the host contract makes a
	 * no-op.
	 */
	printf("kicks=%d arms=%d\n", c->kicks, c->arms);
	if (l->timer.stats.early)
		exit(3);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	long steps = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;

	run(seed, steps, VAPIC_ADVANCE_ADAPTIVE);
	run(seed + 1, steps, 0);
	run(seed + 2, steps, 700);
	return 0;
}
