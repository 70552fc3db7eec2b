// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Driver for the callgrind fastpath benchmark (tools/callgrind-fastpath.sh).
 *
 * Runs one fastpath operation N times against a minimal in-process host
 * (clock variables moved only by this program, a host timer that just
 * records its expiry, IPIs routed to a second LAPIC).  Each operation is
 * one noinline function, bench_op_<name>(); the script runs this program
 * under valgrind --tool=callgrind --toggle-collect=bench_op_<name>, so only
 * the instructions executed inside that function (and everything it
 * calls, host ops included) are counted; the per-iteration set-up that
 * puts the vCPU into the right state runs outside it.
 *
 * Usage: bench_fastpath OPERATION ITERATIONS
 * Operations: empty tscdeadline timer_fire self_ipi ipi_other eoi tmict
 * Prints "OPERATION ITERATIONS CHECKSUM" (the checksum keeps the work
 * observable and lets the script check that every iteration did it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/fastpath.h>
#include <vapic/lapic.h>

#define TSC_KHZ 2500000U /* 2.5 GHz guest TSC */
#define MSR(off) VAPIC_X2APIC_MSR(off)

struct vcpu {
	struct vapic_lapic lapic;
	struct vapic_fastpath fp;
	uint64_t expires_ns;
	uint32_t armed;
	uint32_t kicks;
};

static uint64_t g_ns = 1000000000ULL;
static struct vcpu cpu[2];

static uint64_t h_now_ns(void *host)
{
	(void)host;
	return g_ns;
}

static uint64_t h_guest_tsc(void *host)
{
	(void)host;
	return g_ns * 5 / 2;
}

static int h_timer_arm(void *host, uint64_t expires_ns)
{
	struct vcpu *c = host;

	c->expires_ns = expires_ns;
	c->armed = 1;
	return 0;
}

static void h_timer_cancel(void *host)
{
	((struct vcpu *)host)->armed = 0;
}

static void h_kick(void *host)
{
	((struct vcpu *)host)->kicks++;
}

/* Route to the other vCPU, as a VMM would (match, then receive). */
static int h_send_ipi(void *host, const struct vapic_ipi *ipi)
{
	int i;

	(void)host;
	for (i = 0; i < 2; i++)
		if (vapic_lapic_match_dest(&cpu[i].lapic, ipi))
			(void)vapic_lapic_receive(&cpu[i].lapic, ipi);
	return 0;
}

static const struct vapic_host_ops ops = {
	.now_ns = h_now_ns,
	.guest_tsc = h_guest_tsc,
	.timer_arm = h_timer_arm,
	.timer_cancel = h_timer_cancel,
	.kick = h_kick,
	.send_ipi = h_send_ipi,
};

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_fastpath: %s: %s\n", what, vapic_strerror(r));
	exit(1);
}

static void wr(struct vcpu *c, uint32_t msr, uint64_t v)
{
	int r = vapic_lapic_wrmsr(&c->lapic, msr, v);

	if (r < 0)
		die("wrmsr", r);
}

static void setup(void)
{
	int i, r;

	for (i = 0; i < 2; i++) {
		struct vapic_lapic_config cfg;

		vapic_lapic_config_default(&cfg, (uint32_t)i, TSC_KHZ);
		r = vapic_lapic_init(&cpu[i].lapic, &cfg, &ops, &cpu[i]);
		if (r)
			die("init", r);
		r = vapic_fastpath_init(&cpu[i].fp, &cpu[i].lapic);
		if (r)
			die("fastpath init", r);
		wr(&cpu[i], VAPIC_MSR_APIC_BASE,
		   vapic_lapic_apic_base(&cpu[i].lapic) | VAPIC_APIC_BASE_EXTD);
		wr(&cpu[i], MSR(VAPIC_REG_SVR), 0x1ff);
		wr(&cpu[i], MSR(VAPIC_REG_TDCR), 0xb);
		wr(&cpu[i], MSR(VAPIC_REG_LVT_TIMER), 0x400ec);
	}
}

static struct vapic_exit ex;
static uint64_t sum;

static void wrmsr_exit(uint32_t msr, uint64_t data)
{
	ex.reason = VAPIC_EXIT_WRMSR;
	ex.msr = msr;
	ex.data = data;
}

/* ---------------------------------------------------------------------- */
/* Measured operations: one fastpath operation each.                      */

__attribute__((noinline)) int bench_op_empty(struct vcpu *c,
					     struct vapic_exit *e);
__attribute__((noinline)) int bench_op_empty(struct vcpu *c,
					     struct vapic_exit *e)
{
	__asm__ volatile("" : : "r"(c), "r"(e) : "memory");
	return 0;
}

/* WRMSR IA32_TSC_DEADLINE exit, deadline in the future: re-arm. */
__attribute__((noinline)) int bench_op_tscdeadline(struct vcpu *c,
						   struct vapic_exit *e);
__attribute__((noinline)) int bench_op_tscdeadline(struct vcpu *c,
						   struct vapic_exit *e)
{
	return vapic_fastpath_handle(&c->fp, e);
}

/* Host timer fires (callback), the exit it causes, the injection. */
__attribute__((noinline)) int bench_op_timer_fire(struct vcpu *c,
						  struct vapic_exit *e);
__attribute__((noinline)) int bench_op_timer_fire(struct vcpu *c,
						  struct vapic_exit *e)
{
	uint64_t exp;
	int r;

	(void)vapic_timer_expired(&c->lapic.timer, &exp);
	r = vapic_fastpath_handle(&c->fp, e);
	if (r == VAPIC_FP_INJECT)
		(void)vapic_lapic_injected(&c->lapic, e->vector);
	return r;
}

/* Any of the WRMSR exits prepared by the caller (ICR, EOI, TMICT). */
__attribute__((noinline)) int bench_op_wrmsr(struct vcpu *c,
					     struct vapic_exit *e);
__attribute__((noinline)) int bench_op_wrmsr(struct vcpu *c,
					     struct vapic_exit *e)
{
	return vapic_fastpath_handle(&c->fp, e);
}

/* ---------------------------------------------------------------------- */

static void run(const char *op, long n)
{
	struct vcpu *c = &cpu[0];
	long i;
	int r;

	for (i = 0; i < n; i++) {
		g_ns += 1000;
		if (!strcmp(op, "empty")) {
			sum += (uint64_t)bench_op_empty(c, &ex) + 2;
		} else if (!strcmp(op, "tscdeadline")) {
			wrmsr_exit(VAPIC_MSR_TSC_DEADLINE,
				   g_ns * 5 / 2 + 250000);
			r = bench_op_tscdeadline(c, &ex);
			sum += (r == VAPIC_FP_RESUME) + c->armed;
		} else if (!strcmp(op, "timer_fire")) {
			wrmsr_exit(VAPIC_MSR_TSC_DEADLINE, g_ns * 5 / 2 + 2500);
			(void)vapic_fastpath_handle(&c->fp, &ex);
			/*
			 * The host timer fired (advance early) and the vCPU
			 * got back 100 ns after the deadline: a lateness
			 * sample inside KVM's tuning range, so the adaptive
			 * advance is adjusted on every iteration, as in a
			 * real run.
			 */
			g_ns = (ex.data * 2 + 4) / 5 + 100;
			ex.reason = VAPIC_EXIT_HOST_TIMER;
			r = bench_op_timer_fire(c, &ex);
			sum += (r == VAPIC_FP_INJECT) + (ex.vector == 0xec);
			(void)vapic_lapic_eoi(&c->lapic);
		} else if (!strcmp(op, "self_ipi")) {
			wrmsr_exit(VAPIC_MSR_X2APIC_ICR,
				   (1U << VAPIC_ICR_SHORTHAND_SHIFT) | 0xf3);
			r = bench_op_wrmsr(c, &ex);
			sum += (r == VAPIC_FP_INJECT) + (ex.vector == 0xf3);
			(void)vapic_lapic_injected(&c->lapic, 0xf3);
			(void)vapic_lapic_eoi(&c->lapic);
		} else if (!strcmp(op, "ipi_other")) {
			wrmsr_exit(VAPIC_MSR_X2APIC_ICR, (1ULL << 32) | 0xfd);
			r = bench_op_wrmsr(c, &ex);
			sum += (r == VAPIC_FP_RESUME) +
			       (cpu[1].lapic.irr[7] >> 29 & 1);
			(void)vapic_lapic_injected(&cpu[1].lapic, 0xfd);
			(void)vapic_lapic_eoi(&cpu[1].lapic);
		} else if (!strcmp(op, "eoi")) {
			(void)vapic_lapic_accept(&c->lapic, 0x80, 0);
			(void)vapic_lapic_injected(&c->lapic, 0x80);
			wrmsr_exit(VAPIC_MSR_X2APIC_EOI, 0);
			r = bench_op_wrmsr(c, &ex);
			sum += (r == VAPIC_FP_RESUME) + !(c->lapic.isr[4] & 1);
		} else if (!strcmp(op, "tmict")) {
			if (i == 0)
				wr(c, MSR(VAPIC_REG_LVT_TIMER), 0xec);
			wrmsr_exit(VAPIC_MSR_X2APIC_TMICT, 100000);
			r = bench_op_wrmsr(c, &ex);
			sum += (r == VAPIC_FP_RESUME) + c->armed;
		} else {
			fprintf(stderr,
				"bench_fastpath: unknown operation %s\n", op);
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OPERATION ITERATIONS\n", argv[0]);
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	if (n <= 0) {
		fprintf(stderr, "bench_fastpath: bad iteration count\n");
		return 2;
	}
	setup();
	run(argv[1], n);
	printf("%s %ld %llu\n", argv[1], n, (unsigned long long)sum);
	/* Every iteration must have done its work (checksum 2 per op). */
	return sum == (uint64_t)(2 * n) ? 0 : 1;
}
