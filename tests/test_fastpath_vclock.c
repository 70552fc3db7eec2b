// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fastpath driving real timer traffic on the virtual clock
 * (adapters/vclock): a VMM-like loop per vCPU that programs the timer
 * through WRMSR / TMICT exits, lets the modeled host timer fire (with
 * modeled latency and KVM's adaptive advance), and handles the resulting
 * host-timer exits: WAIT inside the advance window, then INJECT, then EOI
 * through the fastpath.  Checks: never early (guest TSC at injection >=
 * deadline, the core's early count 0), never lost (one injection per
 * deadline / per period), at most one host timer armed (vclock_check()).
 */
#include "vtest.h"

#include <vapic/fastpath.h>

#define MSR(off) VAPIC_X2APIC_MSR(off)
#define NR_VCPUS 2

struct loop {
	struct vclock_vm *vm;
	struct vapic_fastpath fp[NR_VCPUS];
	uint64_t injections[NR_VCPUS];
	uint64_t waits[NR_VCPUS];
	uint64_t kicks_seen[NR_VCPUS];
};

/* Deterministic host-timer latency 0..4095 ns (LCG). */
static uint64_t latency(void *arg, struct vclock_vcpu *v, uint64_t exp)
{
	uint64_t *seed = arg;

	(void)v;
	(void)exp;
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (*seed >> 33) & 4095;
}

static uint64_t seed = 42;

static void setup_loop(struct loop *lp, uint32_t lvtt)
{
	uint32_t i;

	lp->vm = vt_vm(NR_VCPUS);
	for (i = 0; i < NR_VCPUS; i++) {
		struct vclock_vcpu *v = vclock_vcpu(lp->vm, i);
		struct vapic_lapic *l = &v->lapic;

		v->auto_enter = false;
		v->latency_fn = latency;
		v->latency_arg = &seed;
		assert_int_equal(
			vapic_lapic_wrmsr(l, VAPIC_MSR_APIC_BASE,
					  vapic_lapic_apic_base(l) |
						  VAPIC_APIC_BASE_EXTD),
			VAPIC_LAPIC_ACT_BASE);
		assert_int_equal(
			vapic_lapic_wrmsr(l, MSR(VAPIC_REG_SVR), 0x1ff), 0);
		assert_int_equal(vapic_lapic_wrmsr(l, MSR(VAPIC_REG_TDCR), 0xb),
				 0);
		assert_int_equal(
			vapic_lapic_wrmsr(l, MSR(VAPIC_REG_LVT_TIMER), lvtt),
			0);
		assert_int_equal(vapic_fastpath_init(&lp->fp[i], l), 0);
	}
}

static int exit_(struct loop *lp, uint32_t i, uint32_t reason, uint32_t msr,
		 uint64_t data, struct vapic_exit *e)
{
	memset(e, 0, sizeof(*e));
	e->reason = reason;
	e->msr = msr;
	e->data = data;
	return vapic_fastpath_handle(&lp->fp[i], e);
}

/*
 * The VMM's handling of one fastpath result: inject (and let the modeled
 * guest EOI through the fastpath), or wait out the advance and retry.
 * Returns the number of injections.
 */
static int handle(struct loop *lp, uint32_t i, int r, struct vapic_exit *e,
		  uint64_t deadline)
{
	struct vclock_vcpu *v = vclock_vcpu(lp->vm, i);
	int n = 0;

	for (;;) {
		if (r == VAPIC_FP_HOST && e->actions == VAPIC_EXIT_ACT_WAIT) {
			lp->waits[i]++;
			assert_int_equal(vclock_advance(lp->vm, e->wait_ns), 0);
			r = exit_(lp, i, VAPIC_EXIT_HOST_TIMER, 0, 0, e);
			continue;
		}
		if (r == VAPIC_FP_INJECT) {
			assert_int_equal(e->vector, 0xec);
			/* Never early, in the guest's own time. */
			assert_true(vclock_guest_tsc(v) >= deadline);
			assert_int_equal(
				vapic_lapic_injected(&v->lapic, e->vector), 0);
			lp->injections[i]++;
			n++;
			r = exit_(lp, i, VAPIC_EXIT_WRMSR, VAPIC_MSR_X2APIC_EOI,
				  0, e);
			continue;
		}
		assert_true(r == VAPIC_FP_RESUME);
		return n;
	}
}

static void test_tsc_deadline_loop_never_early_never_lost(void **s)
{
	struct loop lp = { 0 };
	uint64_t deadline[NR_VCPUS];
	uint32_t it, i;

	(void)s;
	setup_loop(&lp, 0x400ec);
	for (it = 0; it < 300; it++) {
		for (i = 0; i < NR_VCPUS; i++) {
			struct vclock_vcpu *v = vclock_vcpu(lp.vm, i);
			struct vapic_exit e;
			int r;

			/* 20..80 us ahead; every 16th already in the past. */
			deadline[i] = vclock_guest_tsc(v) +
				      50000 * (1 + (it + i) % 4);
			if ((it + i) % 16 == 15)
				deadline[i] = vclock_guest_tsc(v) - 1;
			r = exit_(&lp, i, VAPIC_EXIT_WRMSR,
				  VAPIC_MSR_TSC_DEADLINE, deadline[i], &e);
			if ((it + i) % 16 == 15) {
				/* Due at once: injected from the WRMSR. */
				assert_int_equal(r, VAPIC_FP_INJECT);
				handle(&lp, i, r, &e, deadline[i]);
				deadline[i] = 0;
			} else {
				assert_int_equal(r, VAPIC_FP_RESUME);
			}
		}
		/* Run until each armed vCPU's timer fired and was handled. */
		for (i = 0; i < NR_VCPUS; i++) {
			struct vclock_vcpu *v = vclock_vcpu(lp.vm, i);
			uint64_t before = lp.injections[i];

			while (deadline[i] && lp.injections[i] == before) {
				struct vapic_exit e;
				int r;

				/* Kicked (maybe while we served another vCPU)?
				 */
				if (v->stats.kicks == lp.kicks_seen[i]) {
					assert_int_equal(vclock_run_next(lp.vm),
							 1);
					continue;
				}
				lp.kicks_seen[i] = v->stats.kicks;
				r = exit_(&lp, i, VAPIC_EXIT_HOST_TIMER, 0, 0,
					  &e);
				handle(&lp, i, r, &e, deadline[i]);
			}
		}
	}
	for (i = 0; i < NR_VCPUS; i++) {
		struct vclock_vcpu *v = vclock_vcpu(lp.vm, i);

		assert_int_equal(lp.injections[i], 300);
		assert_int_equal(v->lapic.timer.stats.early, 0);
		assert_int_equal(lp.fp[i].stats.tscdeadline_writes, 300);
		assert_int_equal(lp.fp[i].stats.eoi_writes, 300);
		assert_true(v->stats.max_armed <= 1);
	}
	/* The advance window was exercised. */
	assert_true(lp.waits[0] + lp.waits[1] > 0);
	vt_vm_destroy(lp.vm);
}

static void test_periodic_tmict_one_injection_per_period(void **s)
{
	struct loop lp = { 0 };
	struct vclock_vcpu *v;
	struct vapic_exit e;
	uint64_t start, period_tsc;
	uint32_t k;

	(void)s;
	setup_loop(&lp, 0x200ec); /* periodic, vector 0xec */
	v = vclock_vcpu(lp.vm, 0);
	start = vclock_guest_tsc(v);
	/* 1 ms at a 1 GHz bus, divide 1. */
	assert_int_equal(exit_(&lp, 0, VAPIC_EXIT_WRMSR, VAPIC_MSR_X2APIC_TMICT,
			       1000000, &e),
			 VAPIC_FP_RESUME);
	assert_int_equal(lp.fp[0].stats.tmict_writes, 1);
	period_tsc =
		vt_ns_to_tsc(1000000, lp.vm->cfg.lapic.timer.guest_tsc_khz);
	for (k = 1; k <= 50; k++) {
		uint64_t before = lp.injections[0];

		while (lp.injections[0] == before) {
			int r;

			if (v->stats.kicks == lp.kicks_seen[0]) {
				assert_int_equal(vclock_run_next(lp.vm), 1);
				continue;
			}
			lp.kicks_seen[0] = v->stats.kicks;
			r = exit_(&lp, 0, VAPIC_EXIT_HOST_TIMER, 0, 0, &e);
			handle(&lp, 0, r, &e, start + k * period_tsc);
		}
		assert_int_equal(lp.injections[0], k);
	}
	assert_int_equal(v->lapic.timer.stats.early, 0);
	assert_int_equal(v->lapic.timer.stats.missed, 0);
	vt_vm_destroy(lp.vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_deadline_loop_never_early_never_lost),
		cmocka_unit_test(test_periodic_tmict_one_injection_per_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
