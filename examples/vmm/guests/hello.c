// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Smoke guest: boots, starts the APs, each CPU says hello, reports a
 * check and exits 0 (or, with hang=1, spins for good with interrupts off).
 */
#include "rt.h"

static volatile u32 hellos;

void guest_ap_main(struct cpu *c)
{
	printf("hello from cpu %u (apic id %u)\n", c->index, c->apic_id);
	__atomic_add_fetch(&hellos, 1, __ATOMIC_SEQ_CST);
	for (;;)
		sti_hlt();
}

int guest_main(void)
{
	u32 up;

	printf("hello from the BSP: %u CPUs, tsc %u kHz, RAM top %lx, "
	       "apic %s\n",
	       ncpus, tsc_khz, mem_top, apic_x2 ? "x2apic" : "xapic");
	up = smp_start();
	while (__atomic_load_n(&hellos, __ATOMIC_SEQ_CST) + 1 < up)
		pause();
	report_check("smp_all_cpus_up", up == ncpus, up, ncpus);
	/*
	 * hang=1: spin with interrupts off and no exit at all, for the
	 * VMM's --timeout to stop (the kvm suite's timeout checks).
	 */
	if (cfg_is("hang", "1")) {
		cli();
		for (;;)
			barrier();
	}
	return up == ncpus ? 0 : 1;
}
