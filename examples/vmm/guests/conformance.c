// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * LAPIC timer conformance guest: one check per architectural behaviour of
 * the local APIC timer and the interrupt path around it (Intel SDM vol. 3A,
 * "APIC Timer", "TSC-Deadline Mode", "Local Vector Table", "Interrupt,
 * Task, and Processor Priority", "EOI Register", "x2APIC Mode").
 *
 * It must pass on KVM's in-kernel LAPIC (--irqchip=kernel) and on libvapic
 * (--irqchip=user), in xAPIC and x2APIC mode, so it checks only behaviours
 * on which the SDM and KVM agree (e.g. not a one-shot <-> periodic switch
 * of a running timer: KVM keeps it running).
 *
 * Times are checked by bracketing: the TSC is read before and after each
 * register access, so a check holds however slowly the (emulated) guest
 * runs; lower bounds ("never early") are exact, upper bounds generous
 * (the host may lose the CPU for milliseconds).
 *
 * Each check is reported (PASS/FAIL on the console and to the VMM); the
 * exit code is the number of failures.
 */
#include "rt.h"

#define V_TIMER 0x40
#define V_LOW 0x50
#define V_MID 0x60
#define V_HIGH 0x70
#define V_AP 0x80
#define BUS_KHZ 1000000ULL /* KVM's and libvapic's APIC bus: 1 GHz */

static volatile u64 cnt[256];
static volatile u64 irq_tsc[256][16];
static int failures;
/*
 * --irqchip=kernel: KVM's LAPIC, whose known deviations are skipped.  The
 * config key strict=1 checks them anyway (KVM patched to run on libvapic:
 * scripts/kernel/kvm-suite.sh).
 */
static bool kvm_lapic;

/* ---- interrupt handlers ------------------------------------------------ */

static void record(u32 v)
{
	u64 n = cnt[v];

	irq_tsc[v][n & 15] = rdtsc();
	cnt[v] = n + 1;
}

__attribute__((interrupt)) static void isr_timer(struct iframe *f)
{
	record(V_TIMER);
	apic_eoi();
}

__attribute__((interrupt)) static void isr_low(struct iframe *f)
{
	record(V_LOW);
	apic_eoi();
}

__attribute__((interrupt)) static void isr_high(struct iframe *f)
{
	record(V_HIGH);
	apic_eoi();
}

/* Nesting probe: state seen inside the V_MID handler. */
static volatile u32 mid_isr_bit, mid_ppr, mid_low_seen, mid_high_seen;
static volatile bool mid_nest;

__attribute__((interrupt)) static void isr_mid(struct iframe *f)
{
	record(V_MID);
	mid_isr_bit = apic_read(APIC_ISR + 0x10 * (V_MID / 32)) &
		      (1U << (V_MID % 32));
	mid_ppr = apic_read(APIC_PPR);
	if (mid_nest) {
		u64 t0;

		/* Lower class must wait for our EOI, higher class nests. */
		apic_icr(0, ICR_SELF | V_LOW);
		apic_icr(0, ICR_SELF | V_HIGH);
		sti();
		t0 = rdtsc();
		while (!cnt[V_HIGH] && rdtsc() - t0 < us_to_tsc(20000))
			pause();
		cli();
		mid_low_seen = (u32)cnt[V_LOW];
		mid_high_seen = (u32)cnt[V_HIGH];
	}
	apic_eoi();
}

static volatile u32 nmi_count, ap_nmis, nmi_hold, ap_nmi_held;

/*
 * The BSP counts its NMIs in nmi_count, the AP in ap_nmis.  With nmi_hold
 * set the AP stays in its handler (NMIs blocked until an IRET) until the
 * BSP clears it or resets the AP.
 */
__attribute__((interrupt)) static void isr_nmi(struct iframe *f)
{
	(void)f;
	if (this_cpu()->index == 0) {
		nmi_count++;
		return;
	}
	ap_nmis++;
	if (nmi_hold) {
		ap_nmi_held = 1;
		while (nmi_hold)
			pause();
	}
}

/* ---- helpers ------------------------------------------------------------ */

static void check(const char *name, bool ok, s64 got, s64 want)
{
	report_check(name, ok, got, want);
	if (!ok)
		failures++;
}

static u64 bus_to_tsc(u64 bus)
{
	return bus * tsc_khz / BUS_KHZ;
}

/* Wait (interrupts on) until cnt[v] >= n or @us pass; returns cnt[v]. */
static u64 wait_irq(u32 v, u64 n, u64 us)
{
	u64 t0 = rdtsc(), lim = us_to_tsc(us);

	sti();
	while (cnt[v] < n && rdtsc() - t0 < lim)
		pause();
	return cnt[v];
}

/*
 * Wait (interrupts on) until cnt[v] >= n or the TSC passes @until, also
 * measuring the longest stretch in which the guest ran nothing (*@gap:
 * the largest step between its TSC reads, from @from, the last read
 * before the wait, to the @n-th interrupt's): a host stall.
 */
static u64 wait_irq_gap(u32 v, u64 n, u64 until, u64 from, u64 *gap)
{
	u64 prev = from, now;

	*gap = 0;
	sti();
	for (;;) {
		now = cnt[v] < n ? rdtsc() : irq_tsc[v][(n - 1) & 15];
		if ((s64)(now - prev) > (s64)*gap)
			*gap = now - prev;
		if (cnt[v] >= n || (s64)(now - until) >= 0)
			break;
		prev = now;
		pause();
	}
	return cnt[v];
}

/* Spin (interrupts on) for @us microseconds. */
static void delay_us(u64 us)
{
	u64 t0 = rdtsc(), lim = us_to_tsc(us);

	sti();
	while (rdtsc() - t0 < lim)
		pause();
}

/*
 * A bracketed attempt that is given up (slow exits: its first deadline
 * passed too soon) may still have timer interrupts on the way, delivered
 * however late the host is (several ms under nested TCG).  Wait past
 * @until, then until no timer interrupt came for 20 ms, so that none lands
 * after the next attempt's reset_counts().
 */
static void timer_settle(u64 until)
{
	u64 n, t0;

	sti();
	while (rdtsc() < until)
		pause();
	do {
		n = cnt[V_TIMER];
		t0 = rdtsc();
		while (cnt[V_TIMER] == n && rdtsc() - t0 < us_to_tsc(20000))
			pause();
	} while (cnt[V_TIMER] != n);
}

/*
 * A bracketed attempt whose premise failed (the guest was held up past
 * its deadline, so the check cannot tell) is tried again further out:
 * bracket_next() grows the distance @grow times up to @max, where it
 * stays; a check is made on its attempt BRACKET_TRIES at the latest,
 * whatever the premise (a host that held the guest up past @max that many
 * times in a row, or a timer that really is wrong, fails it).  Under a
 * loaded host (CI, two busy loops beside nested TCG) a 30 ms stall was
 * seen in 1 of 30 runs.  A premise is read from the guest's TSC reads
 * alone, never from the timer's outcome, except where the guest also saw
 * itself stalled (wait_irq_gap()): a timer that is only sometimes wrong
 * is not retried until it looks right.
 */
#define BRACKET_TRIES 6

static u64 bracket_next(u64 dist, u64 grow, u64 max)
{
	return dist * grow < max ? dist * grow : max;
}

static void timer_stop(void)
{
	apic_write(APIC_LVTT, LVT_MASKED | V_TIMER);
	apic_write(APIC_TMICT, 0);
	wrmsr(MSR_TSC_DEADLINE, 0);
}

static void reset_counts(void)
{
	for (u32 i = 0; i < 256; i++)
		cnt[i] = 0;
}

/* TDCR value for a divisor. */
static u32 tdcr_for(u32 div)
{
	switch (div) {
	case 1:
		return 0xb;
	case 2:
		return 0x0;
	case 4:
		return 0x1;
	case 8:
		return 0x2;
	case 16:
		return 0x3;
	case 32:
		return 0x8;
	case 64:
		return 0x9;
	default:
		return 0xa; /* 128 */
	}
}

/* ---- identification ---------------------------------------------------- */

static void test_ids(void)
{
	u32 a, b, c, d, ver, id;

	cpuid(1, 0, &a, &b, &c, &d);
	ver = apic_read(APIC_VERSION);
	check("version_integrated_apic",
	      (ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15, ver & 0xff, 0x14);
	check("version_max_lvt_at_least_5", ((ver >> 16) & 0xff) >= 5,
	      (ver >> 16) & 0xff, 5);
	id = apic_read(APIC_ID);
	if (!apic_x2)
		id >>= 24;
	check("apic_id_matches_cpuid_1", id == b >> 24, id, b >> 24);
	cpuid(0xb, 0, &a, &b, &c, &d);
	check("apic_id_matches_cpuid_b", id == d, id, d);
	cpuid(1, 0, &a, &b, &c, &d);
	check("cpuid_x2apic_and_tscdeadline", (c >> 21 & 1) && (c >> 24 & 1),
	      (c >> 21 & 1) + (c >> 24 & 1), 2);
	check("svr_enabled", (apic_read(APIC_SVR) & 0x1ff) == 0x1ff,
	      apic_read(APIC_SVR) & 0x1ff, 0x1ff);
	apic_write(APIC_ESR, 0);
	check("esr_clean", apic_read(APIC_ESR) == 0, apic_read(APIC_ESR), 0);

	/*
	 * KVM's paravirtual features that are its in-kernel LAPIC at work
	 * (PV_UNHALT 7 and PV_SEND_IPI 11: hypercalls that deliver through
	 * it; ASYNC_PF_INT 14: an interrupt it injects; POLL_CONTROL 12: its
	 * halt polling) must not be offered when libvapic is the LAPIC: a
	 * guest's IPIs and kicks through them would go nowhere.
	 */
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	if (cfg_is("irqchip", "user") && b == 0x4b4d564bU && c == 0x564b4d56U &&
	    d == 0x4d && a >= 0x40000001) {
		u32 need = (1U << 7) | (1U << 11) | (1U << 12) | (1U << 14);

		cpuid(0x40000001, 0, &a, &b, &c, &d);
		check("kvm_pv_features_without_kvm_lapic", !(a & need),
		      a & need, 0);
	}
}

/* ---- one-shot ------------------------------------------------------------ */

static void test_oneshot(void)
{
	const u32 count = 200000; /* 200 us at div 1 */
	u64 t0, n;

	reset_counts();
	apic_write(APIC_TDCR, tdcr_for(1));
	apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
	t0 = rdtsc();
	apic_write(APIC_TMICT, count);
	n = wait_irq(V_TIMER, 1, 50000);
	check("oneshot_fires", n == 1, (s64)n, 1);
	check("oneshot_not_early",
	      n >= 1 && irq_tsc[V_TIMER][0] >= t0 + bus_to_tsc(count),
	      (s64)(irq_tsc[V_TIMER][0] - t0), (s64)bus_to_tsc(count));
	delay_us(2000);
	check("oneshot_fires_once", cnt[V_TIMER] == 1, (s64)cnt[V_TIMER], 1);
	check("oneshot_tmcct_zero_after", apic_read(APIC_TMCCT) == 0,
	      apic_read(APIC_TMCCT), 0);
	check("oneshot_tmict_kept", apic_read(APIC_TMICT) == count,
	      apic_read(APIC_TMICT), count);
	timer_stop();
}

/*
 * TMCCT counts down from TMICT at bus/divide: bracket the write and each
 * read with TSC reads and check the count against the elapsed bus cycles.
 */
static void tmcct_rate_check(u32 div, const char *name)
{
	const u32 count = 0x7fffffff;
	u64 tw0, tw1, tr0, tr1, emin, emax, done;
	u32 c;

	apic_write(APIC_TDCR, tdcr_for(div));
	apic_write(APIC_LVTT, LVTT_ONESHOT | LVT_MASKED | V_TIMER);
	tw0 = rdtsc();
	apic_write(APIC_TMICT, count);
	tw1 = rdtsc();
	delay_us(1000);
	cli();
	tr0 = rdtsc();
	c = apic_read(APIC_TMCCT);
	tr1 = rdtsc();
	/* elapsed bus cycles / div, with one count of rounding slack */
	emin = (tr0 - tw1) * BUS_KHZ / tsc_khz / div;
	emax = (tr1 - tw0) * BUS_KHZ / tsc_khz / div + 1;
	done = count - c;
	check(name, c <= count && done + 1 >= emin && done <= emax + 1,
	      (s64)done, (s64)(emin + emax) / 2);
	timer_stop();
}

static void test_tmcct(void)
{
	u32 c1, c2;

	apic_write(APIC_TDCR, tdcr_for(1));
	apic_write(APIC_LVTT, LVTT_ONESHOT | LVT_MASKED | V_TIMER);
	apic_write(APIC_TMICT, 100000000); /* 100 ms */
	c1 = apic_read(APIC_TMCCT);
	delay_us(300);
	c2 = apic_read(APIC_TMCCT);
	check("tmcct_counts_down", c1 <= 100000000 && c2 < c1, c2, c1);
	apic_write(APIC_TMICT, 0);
	check("tmict_zero_stops", apic_read(APIC_TMCCT) == 0,
	      apic_read(APIC_TMCCT), 0);
	tmcct_rate_check(1, "tmcct_rate_div1");
	tmcct_rate_check(16, "tmcct_rate_div16");
	tmcct_rate_check(128, "tmcct_rate_div128");
	apic_write(APIC_TDCR, 0x3);
	check("tdcr_readback", (apic_read(APIC_TDCR) & 0xb) == 0x3,
	      apic_read(APIC_TDCR), 0x3);
}

/*
 * A divide change on a running timer keeps the current count and makes
 * the rest count at the new rate (SDM leaves it open; KVM, Xen and
 * libvapic all rescale the remaining time).
 */
static void test_divide_change(void)
{
	const u32 count = 10000000; /* 10 ms at div 1 */
	u64 t0 = 0, ta = 0, tb = 0, due_min = 0;
	u32 c1 = 0, c2 = 0;
	int tries;

	/*
	 * Retried if the host stalls the guest so long that the timer
	 * expires before the change (the check would not test anything).
	 */
	for (tries = 0; tries < 5; tries++) {
		reset_counts();
		apic_write(APIC_TDCR, tdcr_for(1));
		apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
		apic_write(APIC_TMICT, count);
		delay_us(300);
		cli();
		t0 = rdtsc();
		c1 = apic_read(APIC_TMCCT);
		ta = rdtsc();
		apic_write(APIC_TDCR, tdcr_for(4));
		tb = rdtsc();
		c2 = apic_read(APIC_TMCCT);
		if (!cnt[V_TIMER] && c1 > count / 2)
			break;
		timer_stop();
		sti();
		delay_us(100);
	}
	/*
	 * Count kept: it only went down by what elapsed, bracketed from before
	 * the first read (a read that exits can take long).
	 */
	check("tdcr_change_keeps_count",
	      c2 <= c1 && c1 - c2 <= (rdtsc() - t0) * BUS_KHZ / tsc_khz + 2, c2,
	      c1);
	/* the remaining c2 counts take c2 * 4 bus cycles, from tb at most */
	due_min = ta + bus_to_tsc((u64)c2 * 4);
	wait_irq(V_TIMER, 1, 200000);
	check("tdcr_change_rescales_remaining",
	      cnt[V_TIMER] == 1 && irq_tsc[V_TIMER][0] >= due_min,
	      (s64)(irq_tsc[V_TIMER][0] - tb), (s64)(due_min - tb));
	timer_stop();
}

/* ---- periodic --------------------------------------------------------------
 */

static void test_periodic(void)
{
	const u32 count = 500000; /* 500 us */
	const u64 p = bus_to_tsc(count);
	u64 t0, n, k;
	bool early = false;
	u32 c;

	reset_counts();
	apic_write(APIC_TDCR, tdcr_for(1));
	apic_write(APIC_LVTT, LVTT_PERIODIC | V_TIMER);
	t0 = rdtsc();
	apic_write(APIC_TMICT, count);
	n = wait_irq(V_TIMER, 8, 100000);
	cli();
	c = apic_read(APIC_TMCCT);
	timer_stop();
	check("periodic_ticks", n >= 8, (s64)n, 8);
	/*
	 * The k-th interrupt is never before the (k+1)-th period end
	 * (missed ticks coalesce, they never come early).
	 */
	for (k = 0; k < n && k < 8; k++)
		if (irq_tsc[V_TIMER][k] < t0 + (k + 1) * p)
			early = true;
	check("periodic_not_early", !early, early, 0);
	check("periodic_tmcct_reloads", c > 0 && c <= count, c, count);
	/* a tick already pending in IRR is still delivered; nothing after */
	sti();
	outb(0x80, 0);
	n = cnt[V_TIMER];
	delay_us(2000);
	check("periodic_stops_on_mask_and_zero", cnt[V_TIMER] == n,
	      (s64)cnt[V_TIMER], (s64)n);
}

/* ---- TSC-deadline
 * ------------------------------------------------------------ */

static void test_tscdeadline(void)
{
	u64 d, n, d2, t0, v, dist, gap;
	u32 tries;

	/* fires once, never early, MSR reads 0 afterwards */
	reset_counts();
	apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
	d = rdtsc() + us_to_tsc(300);
	wrmsr(MSR_TSC_DEADLINE, d);
	/*
	 * One read, bracketed: the deadline may have passed by the time the
	 * RDMSR executes (slow exits), and then the MSR reads 0.
	 */
	v = rdmsr(MSR_TSC_DEADLINE);
	t0 = rdtsc();
	check("tscdeadline_msr_readback", v == d || (v == 0 && t0 >= d),
	      (s64)v, (s64)d);
	n = wait_irq(V_TIMER, 1, 50000);
	check("tscdeadline_fires", n == 1, (s64)n, 1);
	check("tscdeadline_not_early", n >= 1 && irq_tsc[V_TIMER][0] >= d,
	      (s64)(irq_tsc[V_TIMER][0] - d), 0);
	delay_us(1000);
	check("tscdeadline_fires_once", cnt[V_TIMER] == 1, (s64)cnt[V_TIMER],
	      1);
	check("tscdeadline_msr_zero_after", rdmsr(MSR_TSC_DEADLINE) == 0,
	      (s64)rdmsr(MSR_TSC_DEADLINE), 0);

	/*
	 * A later write replaces an earlier deadline.  Bracketed: the first
	 * deadline must not have passed before the second write completed
	 * (else its interrupt is legitimately due); if it did (slow exits),
	 * try again further out.
	 */
	for (dist = 300, tries = 1;;
	     dist = bracket_next(dist, 10, 30000), tries++) {
		reset_counts();
		d = rdtsc() + us_to_tsc(dist);
		wrmsr(MSR_TSC_DEADLINE, d);
		d2 = rdtsc() + us_to_tsc(5 * dist);
		wrmsr(MSR_TSC_DEADLINE, d2);
		if (rdtsc() < d || tries == BRACKET_TRIES)
			break;
		timer_settle(d2 + us_to_tsc(dist));
	}
	n = wait_irq(V_TIMER, 1, 50000 + 6 * dist);
	delay_us(dist);
	check("tscdeadline_rewrite_later_wins",
	      cnt[V_TIMER] == 1 && irq_tsc[V_TIMER][0] >= d2,
	      (s64)(irq_tsc[V_TIMER][0] - d2), 0);

	/*
	 * An earlier write replaces a later deadline.  The interrupt must come
	 * at d2, before d; if it came after d and the guest saw itself held
	 * up for half of d - d2 meanwhile (host stall), it cannot tell which
	 * one fired: try again further out.
	 */
	for (dist = 20000, tries = 1;;
	     dist = bracket_next(dist, 5, 500000), tries++) {
		reset_counts();
		d = rdtsc() + us_to_tsc(dist);
		wrmsr(MSR_TSC_DEADLINE, d);
		t0 = rdtsc();
		d2 = t0 + us_to_tsc(300);
		wrmsr(MSR_TSC_DEADLINE, d2);
		wait_irq_gap(V_TIMER, 1, t0 + us_to_tsc(50000 + 2 * dist), t0,
			     &gap);
		if (cnt[V_TIMER] != 1 || irq_tsc[V_TIMER][0] < d ||
		    gap < (d - d2) / 2 || tries == BRACKET_TRIES)
			break;
		timer_settle(d + us_to_tsc(1000));
	}
	check("tscdeadline_rewrite_earlier_wins",
	      cnt[V_TIMER] == 1 && irq_tsc[V_TIMER][0] >= d2 &&
		      irq_tsc[V_TIMER][0] < d,
	      (s64)(irq_tsc[V_TIMER][0] - d2), 0);
	/* ... and the old one is gone */
	while (rdtsc() < d + us_to_tsc(1000))
		pause();
	check("tscdeadline_replaced_does_not_fire", cnt[V_TIMER] == 1,
	      (s64)cnt[V_TIMER], 1);

	/* writing 0 disarms (bracketed as above) */
	for (dist = 300, tries = 1;;
	     dist = bracket_next(dist, 10, 30000), tries++) {
		reset_counts();
		d = rdtsc() + us_to_tsc(dist);
		wrmsr(MSR_TSC_DEADLINE, d);
		wrmsr(MSR_TSC_DEADLINE, 0);
		if (rdtsc() < d || tries == BRACKET_TRIES)
			break;
		timer_settle(d + us_to_tsc(2 * dist));
	}
	delay_us(5 * dist);
	check("tscdeadline_zero_disarms", cnt[V_TIMER] == 0, (s64)cnt[V_TIMER],
	      0);

	/*
	 * A deadline in the past is delivered at once: by the time the next
	 * instruction that exits (an OUT) has completed.
	 */
	reset_counts();
	sti();
	wrmsr(MSR_TSC_DEADLINE, rdtsc() - 1000);
	outb(0x80, 0);
	n = cnt[V_TIMER];
	check("tscdeadline_past_delivered_at_once", n == 1, (s64)n, 1);

	/* TMICT is ignored in TSC-deadline mode */
	reset_counts();
	apic_write(APIC_TMICT, 100000);
	check("tmict_ignored_in_tscdeadline_mode",
	      apic_read(APIC_TMICT) == 0 && apic_read(APIC_TMCCT) == 0,
	      apic_read(APIC_TMICT), 0);
	delay_us(500);
	check("tmict_ignored_no_interrupt", cnt[V_TIMER] == 0,
	      (s64)cnt[V_TIMER], 0);

	/* the MSR is ignored in one-shot mode */
	apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_to_tsc(200));
	check("tscdeadline_msr_ignored_in_oneshot",
	      rdmsr(MSR_TSC_DEADLINE) == 0, (s64)rdmsr(MSR_TSC_DEADLINE), 0);
	delay_us(600);
	check("tscdeadline_msr_ignored_no_interrupt", cnt[V_TIMER] == 0,
	      (s64)cnt[V_TIMER], 0);
	timer_stop();
}

/* ---- mode switches
 * ------------------------------------------------------------ */

static void test_mode_switch(void)
{
	u64 d, dist, t0;
	u32 lvtt, count, tries;

	/*
	 * One-shot -> TSC-deadline disarms the one-shot count.  Bracketed:
	 * the count (from a TSC read before the TMICT write) must not have
	 * run out before the LVT write completed, else a tick is legitimate;
	 * if the guest was held up that long (host stall), try again with a
	 * longer count.
	 */
	apic_write(APIC_TDCR, tdcr_for(1));
	for (count = 500000, tries = 1;;
	     count = (u32)bracket_next(count, 10, 50000000), tries++) {
		apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
		reset_counts();
		t0 = rdtsc();
		apic_write(APIC_TMICT, count);
		apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
		if (rdtsc() < t0 + bus_to_tsc(count) || tries == BRACKET_TRIES)
			break;
		timer_settle(t0 + bus_to_tsc(2ULL * count));
	}
	lvtt = apic_read(APIC_LVTT);
	check("mode_switch_lvtt_readback",
	      (lvtt & 0x600ff) == (LVTT_TSCDEADLINE | V_TIMER), lvtt,
	      LVTT_TSCDEADLINE | V_TIMER);
	delay_us(3 * count / 1000);
	check("mode_switch_oneshot_to_tscdeadline_disarms",
	      cnt[V_TIMER] == 0 && apic_read(APIC_TMICT) == 0,
	      (s64)cnt[V_TIMER], 0);

	/*
	 * TSC-deadline -> one-shot disarms the deadline.  Bracketed: the
	 * deadline must not have passed before the LVT write completed.
	 */
	for (dist = 500, tries = 1;;
	     dist = bracket_next(dist, 10, 50000), tries++) {
		apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
		reset_counts();
		d = rdtsc() + us_to_tsc(dist);
		wrmsr(MSR_TSC_DEADLINE, d);
		apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
		if (rdtsc() < d || tries == BRACKET_TRIES)
			break;
		timer_settle(d + us_to_tsc(2 * dist));
	}
	delay_us(3 * dist);
	check("mode_switch_tscdeadline_to_oneshot_disarms", cnt[V_TIMER] == 0,
	      (s64)cnt[V_TIMER], 0);
	apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
	check("mode_switch_back_msr_zero", rdmsr(MSR_TSC_DEADLINE) == 0,
	      (s64)rdmsr(MSR_TSC_DEADLINE), 0);
	timer_stop();
}

/* ---- masked LVT ------------------------------------------------------------
 */

static void test_masked(void)
{
	u32 c1, c2, count, tries;
	u64 t0;

	/*
	 * Bracketed: the count (20 ms at divide 1) must still run at the
	 * second read; if the guest was held up that long, try again with a
	 * longer count.
	 */
	apic_write(APIC_TDCR, tdcr_for(1));
	for (count = 20000000, tries = 1;;
	     count = (u32)bracket_next(count, 5, 500000000), tries++) {
		reset_counts();
		apic_write(APIC_LVTT, LVTT_ONESHOT | LVT_MASKED | V_TIMER);
		t0 = rdtsc();
		apic_write(APIC_TMICT, count);
		c1 = apic_read(APIC_TMCCT);
		delay_us(100);
		c2 = apic_read(APIC_TMCCT);
		if (rdtsc() < t0 + bus_to_tsc(count) || tries == BRACKET_TRIES)
			break;
	}
	check("masked_tmcct_counts", c2 < c1, c2, c1);
	delay_us(count / 1000 + count / 5000); /* 24 ms for 20 */
	check("masked_no_interrupt", cnt[V_TIMER] == 0, (s64)cnt[V_TIMER], 0);
	/* unmasking after the expiry does not deliver the lost tick */
	apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
	delay_us(500);
	if (kvm_lapic)
		/*
		 * KVM evaluates the mask when it processes a pending tick, at
		 * some later pass through its run loop: if the guest unmasks
		 * before that (the emulated guest may run on for a while), the
		 * tick is delivered.  The SDM drops it at the expiry: checked
		 * on libvapic only.
		 */
		printf("SKIP masked_expiry_dropped: KVM decides at its next "
		       "run-loop pass (delivered %lu)\n",
		       cnt[V_TIMER]);
	else
		check("masked_expiry_dropped", cnt[V_TIMER] == 0,
		      (s64)cnt[V_TIMER], 0);

	/*
	 * Unmasking a running timer delivers at its expiry.  Bracketed: the
	 * unmask must be done before the count runs out.
	 */
	for (count = 20000000, tries = 1;;
	     count = (u32)bracket_next(count, 5, 500000000), tries++) {
		reset_counts();
		apic_write(APIC_LVTT, LVTT_ONESHOT | LVT_MASKED | V_TIMER);
		t0 = rdtsc();
		apic_write(APIC_TMICT, count);
		delay_us(100);
		apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
		if (rdtsc() < t0 + bus_to_tsc(count) || tries == BRACKET_TRIES)
			break;
		timer_stop();
		timer_settle(rdtsc());
	}
	wait_irq(V_TIMER, 1, 80000 + count / 1000);
	check("unmask_running_delivers", cnt[V_TIMER] == 1, (s64)cnt[V_TIMER],
	      1);
	timer_stop();
}

/* ---- IPIs, priority, EOI ----------------------------------------------------
 */

static void test_priority(void)
{
	u32 irr;
	u64 n, v;

	/* self-IPI through the ICR */
	reset_counts();
	sti();
	apic_icr(0, ICR_SELF | V_LOW);
	outb(0x80, 0);
	check("self_ipi_delivered", cnt[V_LOW] == 1, (s64)cnt[V_LOW], 1);
	if (apic_x2) {
		wrmsr(0x83f, V_LOW);
		outb(0x80, 0);
		check("x2apic_self_ipi_msr_delivered", cnt[V_LOW] == 2,
		      (s64)cnt[V_LOW], 2);
	}

	/* pending in IRR while interrupts are off */
	reset_counts();
	cli();
	apic_icr(0, ICR_SELF | V_LOW);
	irr = apic_read(APIC_IRR + 0x10 * (V_LOW / 32));
	check("irr_pending_while_cli", (irr >> (V_LOW % 32)) & 1, irr, 1);
	check("not_delivered_while_cli", cnt[V_LOW] == 0, (s64)cnt[V_LOW], 0);
	sti();
	outb(0x80, 0);
	check("delivered_after_sti", cnt[V_LOW] == 1, (s64)cnt[V_LOW], 1);

	/* TPR blocks lower or equal priority classes */
	reset_counts();
	apic_write(APIC_TPR, 0x60);
	apic_icr(0, ICR_SELF | V_LOW);
	delay_us(200);
	check("tpr_blocks_lower_class", cnt[V_LOW] == 0, (s64)cnt[V_LOW], 0);
	check("ppr_is_tpr", apic_read(APIC_PPR) == 0x60, apic_read(APIC_PPR),
	      0x60);
	apic_write(APIC_TPR, 0);
	outb(0x80, 0);
	check("tpr_lowered_delivers", cnt[V_LOW] == 1, (s64)cnt[V_LOW], 1);

	/* CR8 is TPR[7:4] */
	write_cr8(6);
	check("cr8_aliases_tpr", (apic_read(APIC_TPR) & 0xf0) == 0x60,
	      apic_read(APIC_TPR), 0x60);
	apic_icr(0, ICR_SELF | V_LOW);
	delay_us(200);
	check("cr8_blocks_lower_class", cnt[V_LOW] == 1, (s64)cnt[V_LOW], 1);
	write_cr8(0);
	outb(0x80, 0);
	check("cr8_lowered_delivers", cnt[V_LOW] == 2, (s64)cnt[V_LOW], 2);

	/*
	 * A CR8 raise does not exit (KVM keeps it without its LAPIC); an
	 * exit that only interrupts the guest (the host timer's signal, a
	 * kick) must not write the old TPR back at the next entry.
	 */
	reset_counts();
	apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_to_tsc(2000));
	write_cr8(2); /* below V_TIMER's class 4 */
	n = wait_irq(V_TIMER, 1, 200000);
	v = read_cr8();
	write_cr8(0);
	check("cr8_kept_across_interrupting_exit", n == 1 && v == 2, (s64)v, 2);
	timer_stop();

	/* nesting: in service V_MID, V_HIGH nests, V_LOW waits for the EOI */
	reset_counts();
	mid_nest = true;
	apic_icr(0, ICR_SELF | V_MID);
	n = wait_irq(V_MID, 1, 20000);
	wait_irq(V_LOW, 1, 20000);
	mid_nest = false;
	if (kvm_lapic) {
		/*
		 * KVM's in-kernel LAPIC on the reference host (software PVM)
		 * reads ISR = 0 and PPR = TPR inside a handler, although it
		 * enforces the in-service priority (the nesting checks below
		 * pass).  The SDM says the ISR bit is set until the EOI: the
		 * two disagree here, so these two are checked on libvapic only.
		 */
		printf("SKIP isr_bit_set_in_handler, ppr_reflects_isr: KVM's "
		       "LAPIC on this host reads ISR %u, PPR %x in a handler\n",
		       mid_isr_bit, mid_ppr);
	} else {
		check("isr_bit_set_in_handler", n == 1 && mid_isr_bit,
		      mid_isr_bit, 1);
		check("ppr_reflects_isr", (mid_ppr & 0xf0) == (V_MID & 0xf0),
		      mid_ppr, V_MID & 0xf0);
	}
	check("higher_class_nests", mid_high_seen == 1, mid_high_seen, 1);
	check("lower_class_waits_for_eoi", mid_low_seen == 0 && cnt[V_LOW] == 1,
	      mid_low_seen, 0);
	check("eoi_clears_isr",
	      !(apic_read(APIC_ISR + 0x10 * (V_MID / 32)) &
		(1U << (V_MID % 32))),
	      apic_read(APIC_ISR + 0x10 * (V_MID / 32)), 0);
	check("ppr_zero_after_eoi", apic_read(APIC_PPR) == 0,
	      apic_read(APIC_PPR), 0);

	/* timer interrupt blocked by TPR until lowered */
	reset_counts();
	apic_write(APIC_TPR, 0xf0);
	apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_to_tsc(100));
	delay_us(600);
	check("tpr_holds_timer_interrupt", cnt[V_TIMER] == 0, (s64)cnt[V_TIMER],
	      0);
	apic_write(APIC_TPR, 0);
	outb(0x80, 0);
	check("tpr_release_delivers_timer", cnt[V_TIMER] == 1,
	      (s64)cnt[V_TIMER], 1);
	timer_stop();

	/* NMI to self */
	nmi_count = 0;
	apic_icr(0, ICR_SELF | ICR_NMI);
	outb(0x80, 0);
	check("self_nmi_delivered", nmi_count == 1, nmi_count, 1);
}

/* ---- x2APIC / xAPIC specifics
 * ---------------------------------------------------- */

static void test_modes(void)
{
	u64 v;

	if (apic_x2) {
		u32 id = apic_read(APIC_ID);
		u32 want = ((id >> 4) << 16) | (1U << (id & 0xf));

		check("x2apic_ldr_derived", apic_read(APIC_LDR) == want,
		      apic_read(APIC_LDR), want);
		check("x2apic_mmio_page_reads_ones",
		      *(volatile u32 *)(uintptr_t)(apic_mmio + APIC_VERSION) ==
			      0xffffffffU,
		      *(volatile u32 *)(uintptr_t)(apic_mmio + APIC_VERSION),
		      -1);
		check("x2apic_dfr_gp",
		      safe_rdmsr(0x80e, &v) == -1 && fault_vector == 13,
		      fault_vector, 13);
		check("x2apic_icr2_gp", safe_rdmsr(0x831, &v) == -1, 0, -1);
		check("x2apic_eoi_read_gp", safe_rdmsr(0x80b, &v) == -1, 0, -1);
		apic_icr(0x12345678, ICR_FIXED | 0x99); /* nobody */
		v = rdmsr(0x830);
		check("x2apic_icr_64bit_readback",
		      (v >> 32) == 0x12345678 && (v & 0xff) == 0x99,
		      (s64)(v >> 32), 0x12345678);
		return;
	}
	/*
	 * xAPIC: the page moves with IA32_APIC_BASE (SDM "Relocating the
	 * Local APIC Registers"); the old address is then no APIC.
	 */
	{
		u64 base = rdmsr(MSR_APIC_BASE);
		u32 ver = apic_read(APIC_VERSION), at_new, at_old;

		wrmsr(MSR_APIC_BASE, (base & 0xfffULL) | 0xfed00000ULL);
		at_new = *(volatile u32 *)(uintptr_t)(0xfed00000ULL +
						      APIC_VERSION);
		at_old = *(volatile u32 *)(uintptr_t)(apic_mmio + APIC_VERSION);
		wrmsr(MSR_APIC_BASE, base);
		check("apic_base_relocation_moves_page", at_new == ver, at_new,
		      ver);
		check("apic_base_relocation_old_page_gone",
		      at_old == 0xffffffffU, at_old, -1);
		/* globally disabled: the page reads all ones */
		wrmsr(MSR_APIC_BASE, base & ~APIC_BASE_EN);
		at_old = *(volatile u32 *)(uintptr_t)(apic_mmio + APIC_VERSION);
		wrmsr(MSR_APIC_BASE, base);
		check("apic_disabled_page_reads_ones", at_old == 0xffffffffU,
		      at_old, -1);
		/*
		 * Re-enabled: the SDM says prior register state "may" be lost
		 * (KVM keeps it, libvapic resets): not checked; set it up.
		 */
		apic_enable();
	}
	/* xAPIC: the LVT timer's reserved bits read as zero */
	apic_write(APIC_LVTT, 0xfff8ffff & ~(2U << 17));
	check("lvtt_reserved_bits_read_zero",
	      (apic_read(APIC_LVTT) & ~0x310ffU) == 0, apic_read(APIC_LVTT), 0);
	timer_stop();
}

/* ---- an AP gets an IPI ------------------------------------------------------
 */

static volatile u64 ap_got;

__attribute__((interrupt)) static void isr_ap(struct iframe *f)
{
	ap_got++;
	apic_eoi();
}

static void test_ipi_to_ap(void)
{
	u64 t0;

	if (ncpus < 2)
		return;
	if (smp_start() < 2) {
		check("ap_started", false, 0, 1);
		return;
	}
	apic_icr(cpus[1].apic_id, ICR_FIXED | V_AP);
	t0 = rdtsc();
	while (!ap_got && rdtsc() - t0 < us_to_tsc(100000))
		pause();
	check("fixed_ipi_to_halted_ap", ap_got == 1, (s64)ap_got, 1);
}

/*
 * HLT with IF clear (SDM "HLT"): a pending maskable interrupt does not
 * end it; an NMI does.  Asked by an IPI, the AP sends the BSP an NMI every
 * millisecond until the BSP is past its HLT (the first one may come
 * before the HLT, if the BSP is held up).
 */
#define V_AP_NMI 0x90

static volatile u32 bsp_awake, ap_nmi_done;

__attribute__((interrupt)) static void isr_ap_nmi(struct iframe *f)
{
	u64 t0 = rdtsc(), t;

	apic_eoi();
	while (!bsp_awake && rdtsc() - t0 < us_to_tsc(2000000)) {
		t = rdtsc();
		while (rdtsc() - t < us_to_tsc(1000))
			pause();
		apic_icr(0, ICR_NMI);
	}
	ap_nmi_done = 1;
}

static void test_hlt_if_clear(void)
{
	u32 nmi0, nmi1;
	u64 low, t0;

	if (ncpus < 2 || !cpus[1].online)
		return;
	reset_counts();
	bsp_awake = 0;
	ap_nmi_done = 0;
	cli();
	apic_icr(0, ICR_SELF | V_LOW); /* pending, held off by IF only */
	apic_icr(cpus[1].apic_id, ICR_FIXED | V_AP_NMI);
	nmi0 = nmi_count;
	hlt();
	nmi1 = nmi_count;
	low = cnt[V_LOW];
	bsp_awake = 1;
	t0 = rdtsc();
	while (!ap_nmi_done && rdtsc() - t0 < us_to_tsc(3000000))
		pause();
	check("hlt_if_clear_ends_by_nmi_only", nmi1 != nmi0 && low == 0,
	      (s64)(nmi1 - nmi0), 1);
	sti();
	outb(0x80, 0);
	check("hlt_if_clear_interrupt_after_sti", cnt[V_LOW] == 1,
	      (s64)cnt[V_LOW], 1);
}

/*
 * INIT drops a pending NMI and clears NMI blocking (KVM's INIT does both:
 * kvm_vcpu_reset(); the SDM's INIT state has no NMI in flight).  The AP
 * takes an NMI and stays in its handler, so the next NMI the BSP sends it
 * stays pending; then INIT + SIPI.  The restarted AP must not see that
 * NMI, and must take a new one.  Only with the VMM's own LAPIC
 * (--irqchip=user): KVM's in-kernel LAPIC does INIT itself.
 */
/* Wait until *@v reaches @n, at most @us. */
static void wait_count(const volatile u32 *v, u32 n, u64 us)
{
	u64 t0 = rdtsc();

	while (*v < n && rdtsc() - t0 < us_to_tsc(us))
		pause();
}

static void test_init_drops_pending_nmi(void)
{
	bool up;

	if (ncpus < 2 || !cpus[1].online || cfg_is("irqchip", "kernel"))
		return;
	ap_nmis = 0;
	ap_nmi_held = 0;
	nmi_hold = 1;
	apic_icr(cpus[1].apic_id, ICR_NMI);
	wait_count(&ap_nmi_held, 1, 2000000);
	check("init_nmi_ap_holds_an_nmi", ap_nmi_held == 1, ap_nmi_held, 1);
	/* Blocked: stays pending.  Give the AP's thread time to queue it. */
	apic_icr(cpus[1].apic_id, ICR_NMI);
	wait_count(&ap_nmis, 2, 20000);
	up = smp_restart(1);
	nmi_hold = 0;
	check("init_nmi_ap_restarted", up, up, 1);
	if (!up)
		return;
	wait_count(&ap_nmis, 2, 50000);
	check("init_drops_pending_nmi", ap_nmis == 1, ap_nmis, 1);
	apic_icr(cpus[1].apic_id, ICR_NMI);
	wait_count(&ap_nmis, 2, 2000000);
	wait_count(&ap_nmis, 3, 20000);
	check("nmi_after_init_delivered", ap_nmis == 2, ap_nmis, 2);
}

/* ---- the guest moves its own TSC ------------------------------------------
 */

/*
 * WRMSR IA32_TSC sets the TSC and moves IA32_TSC_ADJUST by as much; WRMSR
 * IA32_TSC_ADJUST moves the TSC by the change (SDM "Time-Stamp Counter
 * Adjustment").  A TSC deadline is a value of this CPU's TSC (SDM
 * "TSC-Deadline Mode"): moved back, the interrupt comes later by the host's
 * clock but never before the guest's RDTSC reaches the deadline; moved
 * past it, at once.  A one-shot count runs on the APIC bus clock, which the
 * TSC does not move.  Each CPU's TSC is its own.
 *
 * A host that cannot offset the guest TSC (the software "PVM" KVM) keeps
 * RDTSC where it was: measured here at run time, and then the checks that
 * need a moved TSC are reported as SKIP with the measurement, while the
 * interrupts must still come once and never early by RDTSC.  So are moves
 * that only partly happen: KVM on a host TSC it considers unstable (a
 * nested host without constant_tsc) catches a guest TSC moved back up
 * again on its own ("guest TSC will not be reliable").
 */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_ADJUST 0x3b
#define V_AP_TSC 0xa0

static volatile u64 ap_tsc_val, ap_tsc_adj;
static volatile u32 ap_tsc_seq;

__attribute__((interrupt)) static void isr_ap_tsc(struct iframe *f)
{
	ap_tsc_val = rdtsc();
	ap_tsc_adj = rdmsr(MSR_IA32_TSC_ADJUST);
	ap_tsc_seq = ap_tsc_seq + 1;
	apic_eoi();
}

/*
 * The AP's TSC minus the BSP's (bracketed: the BSP's TSC before the IPI)
 * and the AP's IA32_TSC_ADJUST.  False if the AP did not answer.
 */
static bool ap_tsc_sample(s64 *skew, u64 *adj)
{
	u32 seq = ap_tsc_seq;
	u64 b0 = rdtsc();

	apic_icr(cpus[1].apic_id, ICR_FIXED | V_AP_TSC);
	while (ap_tsc_seq == seq &&
	       (s64)(rdtsc() - b0) < (s64)us_to_tsc(200000))
		pause();
	if (ap_tsc_seq == seq)
		return false;
	*skew = (s64)(ap_tsc_val - b0);
	*adj = ap_tsc_adj;
	return true;
}

/* Wait (interrupts on) until cnt[v] >= n or this CPU's TSC passes @until. */
static u64 wait_irq_tsc(u32 v, u64 n, u64 until)
{
	sti();
	while (cnt[v] < n && (s64)(rdtsc() - until) < 0)
		pause();
	return cnt[v];
}

/* tsc_moved() results */
#define TSC_MOVED 1 /* by @want */
#define TSC_KEPT 0 /* not at all: the host does not offset the guest TSC */
#define TSC_PARTLY 2 /* part of the way: the host does not hold it there */
#define TSC_WRONG (-1) /* further than asked, or the wrong way */

/*
 * How did RDTSC move across a write that should move it by @want (signed),
 * measured as @jump = after - before = @want + the time the write took?
 * TSC_MOVED: @jump in [want, want + |want| / 2); TSC_KEPT: in
 * [0, |want| / 2); TSC_PARTLY: in between; TSC_WRONG: anywhere else.
 */
static int tsc_moved(s64 jump, s64 want)
{
	s64 half = (want < 0 ? -want : want) / 2;

	if (jump >= want && jump < want + half)
		return TSC_MOVED;
	if (jump >= 0 && jump < half)
		return TSC_KEPT;
	if (want < 0 ? jump >= want + half && jump < 0
		     : jump >= half && jump < want)
		return TSC_PARTLY;
	return TSC_WRONG;
}

/*
 * A TSC deadline across a TSC move (@moved: tsc_moved()): @n interrupts,
 * the first @lat cycles after the deadline.  Checks @fires (one) and
 * @not_early, or, on KVM's LAPIC with the TSC moved, prints why it does
 * not (stock KVM's LAPIC timer keeps the host time it computed from the
 * old TSC; the series' patch 0004 tells it).  Returns whether they were
 * checked.
 */
static bool check_deadline_across_move(const char *what, const char *fires,
				       const char *not_early, int moved, u64 n,
				       s64 lat)
{
	if (kvm_lapic && moved != TSC_KEPT) {
		printf("SKIP %s: KVM's LAPIC, TSC moved: %lu interrupt(s), "
		       "the first %lld cycles from the deadline\n",
		       what, n, (long long)lat);
		return false;
	}
	check(fires, n == 1, (s64)n, 1);
	check(not_early, n >= 1 && lat >= 0, lat, 0);
	return true;
}

static void report_moved(const char *name, int moved, s64 jump, s64 want)
{
	if (moved == TSC_KEPT)
		printf("SKIP %s: RDTSC went on by %lld cycles across a write "
		       "that should move it by %lld: this host does not "
		       "offset the guest TSC\n",
		       name, (long long)jump, (long long)want);
	else if (moved == TSC_PARTLY)
		printf("SKIP %s: RDTSC moved by %lld cycles across a write "
		       "that should move it by %lld: this host does not hold "
		       "the guest TSC where it was set\n",
		       name, (long long)jump, (long long)want);
	else
		check(name, moved == TSC_MOVED, jump, want);
}

static void test_tsc_moves(void)
{
	const u64 back = us_to_tsc(100000); /* 100 ms */
	const u64 fwd = us_to_tsc(200000); /* 200 ms */
	u32 a, b, c, d;
	u64 a0, a1, a2, t0, t1, dl, n, dist, gap, ap_adj0 = 0, ap_adj1 = 0;
	s64 skew0 = 0, skew1 = 0, lat;
	int moved, moved2, moved3;
	u32 tries;
	bool ap;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7) {
		printf("SKIP tsc_*: no CPUID leaf 7\n");
		return;
	}
	cpuid(7, 0, &a, &b, &c, &d);
	if (!(b & (1U << 1))) {
		printf("SKIP tsc_*: no IA32_TSC_ADJUST (CPUID.7.0:EBX[1])\n");
		return;
	}
	ap = ncpus >= 2 && cpus[1].online && ap_tsc_sample(&skew0, &ap_adj0);

	/* IA32_TSC_ADJUST reads back; RDTSC moves back with it. */
	cli();
	a0 = rdmsr(MSR_IA32_TSC_ADJUST);
	t0 = rdtsc();
	wrmsr(MSR_IA32_TSC_ADJUST, a0 - back);
	t1 = rdtsc();
	a1 = rdmsr(MSR_IA32_TSC_ADJUST);
	check("tsc_adjust_readback", a1 == a0 - back, (s64)(a1 - a0),
	      -(s64)back);
	moved = tsc_moved((s64)(t1 - t0), -(s64)back);
	report_moved("tsc_adjust_write_moves_rdtsc", moved, (s64)(t1 - t0),
		     -(s64)back);

	/* The other CPU's TSC and IA32_TSC_ADJUST stay where they were. */
	if (ap && ap_tsc_sample(&skew1, &ap_adj1)) {
		check("tsc_adjust_is_per_cpu", ap_adj1 == ap_adj0, (s64)ap_adj1,
		      (s64)ap_adj0);
		if (moved == TSC_MOVED)
			check("tsc_move_is_per_cpu",
			      skew1 - skew0 >= (s64)back / 2 &&
				      skew1 - skew0 <= 2 * (s64)back,
			      skew1 - skew0, (s64)back);
	}

	/*
	 * A TSC deadline 2 ms ahead, then the TSC moves back: the interrupt
	 * comes once, when RDTSC reaches the deadline, not 100 ms early (by
	 * the host's old arming) nor 100 ms late.  Bracketed: the deadline
	 * must not have passed, by the TSC before the move, when the move
	 * was done (else its interrupt was due and is rightly delivered,
	 * ~100 ms before the deadline by the moved TSC: seen with the vCPU
	 * held up > 2 ms on a loaded host); if it had, the TSC is put back
	 * and the case is tried again further out.
	 */
	for (dist = 2000, tries = 1;;
	     dist = bracket_next(dist, 5, 50000), tries++) {
		reset_counts();
		apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
		cli();
		dl = rdtsc() + us_to_tsc(dist);
		wrmsr(MSR_TSC_DEADLINE, dl);
		t0 = rdtsc();
		wrmsr(MSR_IA32_TSC_ADJUST, a1 - back);
		t1 = rdtsc();
		moved2 = tsc_moved((s64)(t1 - t0), -(s64)back);
		/*
		 * The move's end by the TSC before it (a move that took over
		 * 50 ms reads as TSC_PARTLY: the full move all the same).
		 */
		if ((moved2 == TSC_KEPT ? t1 : t1 + back) < dl ||
		    tries == BRACKET_TRIES)
			break;
		timer_stop();
		wrmsr(MSR_IA32_TSC_ADJUST, a1);
		timer_settle(rdtsc());
	}
	n = wait_irq_tsc(V_TIMER, 1, dl + 3 * back);
	lat = (s64)(irq_tsc[V_TIMER][0] - dl);
	if (check_deadline_across_move(
		    "tsc_back_deadline_*", "tsc_back_deadline_fires",
		    "tsc_back_deadline_not_early", moved2, n, lat) &&
	    moved2 == TSC_MOVED)
		check("tsc_back_deadline_not_late_by_the_move",
		      n >= 1 && lat < (s64)back / 2, lat, 0);
	delay_us(2000);
	check("tsc_back_deadline_fires_once", cnt[V_TIMER] <= 1,
	      (s64)cnt[V_TIMER], 1);
	check("tsc_back_deadline_msr_zero_after", rdmsr(MSR_TSC_DEADLINE) == 0,
	      (s64)rdmsr(MSR_TSC_DEADLINE), 0);
	timer_stop();

	/*
	 * Back where it started (a forward move with nothing armed), then a
	 * TSC deadline 80 ms ahead, and IA32_TSC is written 200 ms ahead: the
	 * deadline has passed, the interrupt comes at once (at the first exit
	 * with interrupts on, here the OUT), not 80 ms later.
	 * IA32_TSC_ADJUST moves by the TSC's change.
	 */
	/*
	 * Bracketed: if the interrupt came 40 ms or more after the write and
	 * the guest saw itself held up for 20 ms meanwhile, the TSC is put
	 * back and the case tried again (a timer that keeps its old arming is
	 * 80 ms late with no stall: judged at once).
	 */
	for (tries = 1;; tries++) {
		wrmsr(MSR_IA32_TSC_ADJUST, a0);
		reset_counts();
		apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
		cli();
		a2 = rdmsr(MSR_IA32_TSC_ADJUST);
		dl = rdtsc() + us_to_tsc(80000);
		wrmsr(MSR_TSC_DEADLINE, dl);
		t0 = rdtsc();
		wrmsr(MSR_IA32_TSC, t0 + fwd);
		t1 = rdtsc();
		a1 = rdmsr(MSR_IA32_TSC_ADJUST);
		/*
		 * Nothing printed before the wait: each character is an exit
		 * to the VMM with interrupts off, and on a slow host the
		 * interrupt came 27-70 ms after the write, which the 40 ms
		 * below counted against the timer.
		 */
		sti();
		outb(0x80, 0);
		n = wait_irq_gap(V_TIMER, 1, dl + 3 * fwd, t1, &gap);
		if (n < 1 ||
		    (s64)(irq_tsc[V_TIMER][0] - t1) < (s64)us_to_tsc(40000) ||
		    gap < us_to_tsc(20000) || tries == BRACKET_TRIES)
			break;
		timer_stop();
		timer_settle(rdtsc());
	}
	moved3 = tsc_moved((s64)(t1 - t0), (s64)fwd);
	report_moved("tsc_write_moves_rdtsc", moved3, (s64)(t1 - t0), (s64)fwd);
	/* by the TSC's change: fwd less the time from t0 to the write */
	check("tsc_write_moves_tsc_adjust",
	      (s64)(a1 - a2) > (s64)fwd / 2 && (s64)(a1 - a2) <= (s64)fwd,
	      (s64)(a1 - a2), (s64)fwd);
	lat = (s64)(irq_tsc[V_TIMER][0] - dl);
	if (check_deadline_across_move(
		    "tsc_forward_deadline_*", "tsc_forward_deadline_fires",
		    "tsc_forward_deadline_not_early", moved3, n, lat) &&
	    moved3 == TSC_MOVED)
		/* due since the write: within 40 ms of it, not 80 */
		check("tsc_forward_deadline_due_at_once",
		      n >= 1 && (s64)(irq_tsc[V_TIMER][0] - t1) <
					(s64)us_to_tsc(40000),
		      (s64)(irq_tsc[V_TIMER][0] - t1), 0);
	delay_us(2000);
	check("tsc_forward_deadline_fires_once", cnt[V_TIMER] <= 1,
	      (s64)cnt[V_TIMER], 1);
	timer_stop();

	/*
	 * A one-shot count of 20 ms, then the TSC moves back 100 ms: the
	 * interrupt comes 20 ms after the start by the bus clock, i.e. by
	 * RDTSC 80 ms before the start's reading if the TSC moved.
	 */
	reset_counts();
	apic_write(APIC_TDCR, tdcr_for(1));
	apic_write(APIC_LVTT, LVTT_ONESHOT | V_TIMER);
	cli();
	a1 = rdmsr(MSR_IA32_TSC_ADJUST);
	t0 = rdtsc();
	apic_write(APIC_TMICT, 20000000); /* 20 ms at 1 GHz, div 1 */
	wrmsr(MSR_IA32_TSC_ADJUST, a1 - back);
	t1 = rdtsc();
	moved = tsc_moved((s64)(t1 - t0), -(s64)back);
	n = wait_irq_tsc(V_TIMER, 1, t1 + us_to_tsc(20000) + 2 * back);
	/* elapsed by the bus clock: RDTSC's + the move */
	lat = (s64)(irq_tsc[V_TIMER][0] - t0) +
	      (moved == TSC_MOVED ? (s64)back : 0) - (s64)bus_to_tsc(20000000);
	check("tsc_move_oneshot_fires", n == 1, (s64)n, 1);
	if (moved != TSC_MOVED && moved != TSC_KEPT)
		/* RDTSC cannot tell how much bus time passed */
		printf("SKIP tsc_move_oneshot_not_early: the TSC moved by "
		       "%lld cycles, not %lld or 0\n",
		       (long long)(t1 - t0), -(long long)back);
	else
		check("tsc_move_oneshot_not_early", n >= 1 && lat >= 0, lat, 0);
	if (moved == TSC_MOVED && !kvm_lapic)
		check("tsc_move_oneshot_not_late_by_the_move",
		      n >= 1 && lat < (s64)back / 2, lat, 0);
	timer_stop();

	/* Back where it was: IA32_TSC_ADJUST holds every move. */
	wrmsr(MSR_IA32_TSC_ADJUST, a0);
	check("tsc_adjust_restored", rdmsr(MSR_IA32_TSC_ADJUST) == a0,
	      (s64)rdmsr(MSR_IA32_TSC_ADJUST), (s64)a0);
	sti();
}

int guest_main(void)
{
	kvm_lapic = cfg_is("irqchip", "kernel") && !cfg_is("strict", "1");
	idt_set(V_TIMER, isr_timer);
	idt_set(V_LOW, isr_low);
	idt_set(V_MID, isr_mid);
	idt_set(V_HIGH, isr_high);
	idt_set(V_AP, isr_ap);
	idt_set(V_AP_NMI, isr_ap_nmi);
	idt_set(V_AP_TSC, isr_ap_tsc);
	idt_set(2, isr_nmi);
	printf("conformance: %s, %u CPUs, TSC %u kHz\n",
	       apic_x2 ? "x2APIC" : "xAPIC", ncpus, tsc_khz);

	test_ids();
	test_oneshot();
	test_tmcct();
	test_divide_change();
	test_periodic();
	test_tscdeadline();
	test_mode_switch();
	test_masked();
	test_priority();
	test_modes();
	test_ipi_to_ap();
	test_hlt_if_clear();
	test_tsc_moves();
	test_init_drops_pending_nmi();

	printf("conformance: %d failure(s)\n", failures);
	return failures;
}
