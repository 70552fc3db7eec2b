// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Timer latency guest, a cyclictest for the LAPIC timer: arm the timer
 * @interval_us ahead, wait for its interrupt, and record (guest TSC read by
 * the ISR's first instructions) - (deadline).  The samples go to the VMM,
 * which computes the distribution; a negative sample is an early interrupt.
 *
 * Config (KEY=VALUE module lines):
 *   n=10000            samples (after the warm-up)
 *   warmup=200         samples discarded first (lets adaptive advances and
 *                      halt-poll policies settle, as cyclictest users do)
 *   interval_us=100    timer distance
 *   mode=tscdeadline   or oneshot (TMICT; the deadline is then the TSC read
 *                      just before the TMICT write: a lower bound, so the
 *                      samples are upper bounds)
 *   wait=hlt           or spin (the vCPU keeps running: the host must kick
 *                      it out of the guest)
 *
 * A lost interrupt leaves the guest halted: the VMM's timeout reports it.
 */
#include "rt.h"

#define V_TIMER 0xec

static volatile u64 isr_tsc;
static volatile u32 fired;
static volatile u64 irqs;

/*
 * Called by lat_isr_entry (boot.S) with the TSC read at ISR entry and the
 * interrupt frame's RIP (rt.h: sti_shadow_fixup()).
 */
void lat_isr_c(u64 tsc, u64 *frame_rip)
{
	sti_shadow_fixup(frame_rip);
	isr_tsc = tsc;
	fired = 1;
	irqs++;
	apic_eoi();
}

int guest_main(void)
{
	u64 n = cfg_u64("n", 10000), warmup = cfg_u64("warmup", 200);
	u64 interval = us_to_tsc(cfg_u64("interval_us", 100));
	bool oneshot = cfg_is("mode", "oneshot");
	bool spin = cfg_is("wait", "spin");
	u64 bus_count = cfg_u64("interval_us", 100) * 1000; /* 1 GHz bus */
	s64 *lat = alloc((n + warmup) * sizeof(s64), 64);
	u64 i, early = 0;

	idt_set(V_TIMER, lat_isr_entry);
	apic_write(APIC_TDCR, 0xb); /* divide by 1 */
	apic_write(APIC_LVTT,
		   (oneshot ? LVTT_ONESHOT : LVTT_TSCDEADLINE) | V_TIMER);
	printf("latency: n %lu (+%lu warm-up), interval %lu us, %s, wait %s\n",
	       n, warmup, cfg_u64("interval_us", 100),
	       oneshot ? "one-shot" : "TSC-deadline", spin ? "spin" : "hlt");
	report_phase("timer_latency", true);
	for (i = 0; i < n + warmup; i++) {
		u64 deadline;

		cli();
		fired = 0;
		if (oneshot) {
			deadline = rdtsc() + interval;
			apic_write(APIC_TMICT, (u32)bus_count);
		} else {
			deadline = rdtsc() + interval;
			wrmsr(MSR_TSC_DEADLINE, deadline);
		}
		if (spin) {
			sti();
			while (!fired)
				pause();
		} else {
			/* STI;HLT: the interrupt cannot slip in between. */
			while (!fired) {
				sti_hlt();
				cli();
			}
			sti();
		}
		lat[i] = (s64)(isr_tsc - deadline);
		if (lat[i] < 0)
			early++;
	}
	report_phase("timer_latency", false);
	report_samples("timer_latency", lat + warmup, (u32)n);
	report_counter("timer_irqs", (s64)irqs);
	report_counter("timer_armed", (s64)(n + warmup));
	report_counter("early", (s64)early);
	report_counter("sti_shadow_irqs", (s64)sti_shadow_irqs);
	printf("latency: done, %lu interrupts for %lu deadlines, %lu early\n",
	       irqs, n + warmup, early);
	return irqs == n + warmup && !early ? 0 : 1;
}
