// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Runs README.md's embedding example (suite 'docs').  tests/tools/readme.py
 * extracts the README's C block into readme-block.c; this file includes it
 * and supplies the VMM services it declares, on a fake clock, then drives it:
 * a guest arms a TSC deadline through the example's WRMSR handler and the
 * example's pre-entry poll must inject the timer vector once the deadline
 * has passed, and not before.
 */
#include <stdio.h>
#include <vapic/errors.h>
#include "readme-block.c"

#define TSC_KHZ 1000000U /* 1 GHz: 1 cycle per ns */
#define VECTOR 0xecU

static uint64_t fake_ns = 1000000;
static uint64_t armed_ns; /* the one host timer; 0: idle */
static int injected = -1;
static struct vcpu v;

/* Move the fake clock; fire the host timer as the VMM's timer would. */
static void advance_ns(uint64_t ns)
{
	uint64_t next;

	fake_ns += ns;
	if (armed_ns && fake_ns >= armed_ns) {
		armed_ns = 0;
		if (vapic_timer_expired(&v.lapic.timer, &next) != VAPIC_TFN_DONE)
			armed_ns = next;
	}
}

uint64_t vmm_now_ns(void *vcpu)
{
	(void)vcpu;
	return fake_ns;
}

uint64_t vmm_guest_tsc(void *vcpu)
{
	(void)vcpu;
	return fake_ns; /* TSC offset 0, ratio 1 at 1 GHz */
}

int vmm_timer_arm(void *vcpu, uint64_t expires_ns)
{
	(void)vcpu;
	armed_ns = expires_ns ? expires_ns : 1;
	return 0;
}

void vmm_timer_cancel(void *vcpu)
{
	(void)vcpu;
	armed_ns = 0;
}

void vmm_kick(void *vcpu)
{
	(void)vcpu;
}

void vmm_inject(struct vcpu *v, uint32_t vector)
{
	(void)v;
	injected = (int)vector;
}

void vmm_wait_ns(uint64_t ns)
{
	advance_ns(ns);
}

int main(void)
{
	int r;

	r = vcpu_init(&v, 0, TSC_KHZ);
	if (r) {
		printf("vcpu_init: %s\n", vapic_strerror(r));
		return 1;
	}
	/* Guest: software-enable the APIC, LVT timer in TSC-deadline mode. */
	if (vapic_lapic_write(&v.lapic, VAPIC_REG_SVR, VAPIC_SVR_ENABLE | 0xff) < 0 ||
	    vapic_lapic_write(&v.lapic, VAPIC_REG_LVT_TIMER,
			      VAPIC_TIMER_TSC_DEADLINE << VAPIC_LVTT_MODE_SHIFT |
				      VECTOR) < 0) {
		printf("register writes failed\n");
		return 1;
	}
	r = vcpu_wrmsr_tsc_deadline(&v, fake_ns + 50000);
	if (r < 0) {
		printf("vcpu_wrmsr_tsc_deadline: %s\n", vapic_strerror(r));
		return 1;
	}
	vcpu_before_entry(&v);
	advance_ns(40000);
	vcpu_before_entry(&v);
	if (injected != -1) {
		printf("FAIL: vector %#x injected 10 us early\n", injected);
		return 1;
	}
	advance_ns(10000);
	vcpu_before_entry(&v);
	if (injected != (int)VECTOR) {
		printf("FAIL: expected vector %#x at the deadline, got %d\n",
		       VECTOR, injected);
		return 1;
	}
	printf("README example: vector %#x injected at the deadline\n", VECTOR);
	return 0;
}
