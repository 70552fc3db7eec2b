// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fastpath exit dispatch: classification of every exit reason, the hot
 * cases (TSC deadline, x2APIC ICR self/other, EOI, TMICT, timer expiry),
 * the results (resume / inject / slow / host with actions), and the exit
 * accounting with its descriptor table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lapic_fake.h"

#define MSR(off) VAPIC_X2APIC_MSR(off)

static struct fake_vm vm;

static struct vapic_lapic *L(void)
{
	return &vm.cpu[0].lapic;
}

static struct vapic_fastpath *FP(void)
{
	return &vm.cpu[0].fp;
}

static int setup_x2(void **state)
{
	int i;

	(void)state;
	if (fake_vm_init(&vm, 2, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC))
		return -1;
	for (i = 0; i < 2; i++) {
		if (fake_to_x2apic(&vm.cpu[i].lapic) != VAPIC_LAPIC_ACT_BASE)
			return -1;
		fake_sw_enable(&vm.cpu[i].lapic);
	}
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0x400ec);
	return 0;
}

static int setup_xapic(void **state)
{
	(void)state;
	if (fake_vm_init(&vm, 2, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC))
		return -1;
	fake_sw_enable(&vm.cpu[0].lapic);
	fake_sw_enable(&vm.cpu[1].lapic);
	return 0;
}

static int wrmsr(struct vapic_exit *e, uint32_t msr, uint64_t data)
{
	memset(e, 0, sizeof(*e));
	e->reason = VAPIC_EXIT_WRMSR;
	e->msr = msr;
	e->data = data;
	return vapic_fastpath_handle(FP(), e);
}

static int rdmsr(struct vapic_exit *e, uint32_t msr)
{
	memset(e, 0, sizeof(*e));
	e->reason = VAPIC_EXIT_RDMSR;
	e->msr = msr;
	return vapic_fastpath_handle(FP(), e);
}

static int mmio(struct vapic_exit *e, bool write, uint64_t gpa, uint32_t size,
		uint64_t data)
{
	memset(e, 0, sizeof(*e));
	e->reason = write ? VAPIC_EXIT_MMIO_WRITE : VAPIC_EXIT_MMIO_READ;
	e->gpa = gpa;
	e->size = size;
	e->data = data;
	return vapic_fastpath_handle(FP(), e);
}

static int simple(struct vapic_exit *e, uint32_t reason)
{
	memset(e, 0, sizeof(*e));
	e->reason = reason;
	return vapic_fastpath_handle(FP(), e);
}

/* ---------------------------------------------------------------------- */
/* WRMSR IA32_TSC_DEADLINE                                                */

static void test_tsc_deadline_future_resumes_and_arms(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 10000),
			 VAPIC_FP_RESUME);
	assert_int_equal(e.actions, 0);
	assert_true(vm.cpu[0].armed);
	assert_int_equal(vm.cpu[0].expires_ns, vm.tsc + 10000);
	assert_int_equal(FP()->stats.tscdeadline_writes, 1);
	assert_int_equal(FP()->stats.msr_write_exits, 1);
	assert_int_equal(FP()->stats.fastpath_resume, 1);
}

static void test_tsc_deadline_past_injects_now(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc - 1),
			 VAPIC_FP_INJECT);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_INJECT);
	assert_int_equal(e.vector, 0xec);
	assert_false(vm.cpu[0].armed);
	assert_int_equal(FP()->stats.fastpath_inject, 1);
}

static void test_tsc_deadline_zero_disarms(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 10000);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, 0), VAPIC_FP_RESUME);
	assert_false(vm.cpu[0].armed);
}

static void test_tsc_deadline_not_exposed_gp(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_exit e;

	(void)s;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.timer.flags = 0;
	assert_int_equal(vapic_lapic_init(L(), &cfg, &fake_ops, &vm.cpu[0]), 0);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, 5), VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_GP);
	assert_int_equal(FP()->stats.gp_injections, 1);
}

/*
 * Outside TSC-deadline mode (one-shot), a write of IA32_TSC_DEADLINE is
 * ignored (SDM "TSC-Deadline Mode") but still counted: the general path.
 */
static void test_tsc_deadline_write_in_one_shot_ignored_but_counted(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0xec);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 10000),
			 VAPIC_FP_RESUME);
	assert_int_equal(e.actions, 0);
	assert_false(vm.cpu[0].armed);
	assert_int_equal(FP()->stats.tscdeadline_writes, 1);
	assert_int_equal(FP()->stats.msr_write_exits, 1);
	assert_int_equal(rdmsr(&e, VAPIC_MSR_TSC_DEADLINE), VAPIC_FP_RESUME);
	assert_int_equal(e.data, 0);
}

static void test_rdmsr_tsc_deadline(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 10000);
	assert_int_equal(rdmsr(&e, VAPIC_MSR_TSC_DEADLINE), VAPIC_FP_RESUME);
	assert_int_equal(e.data, vm.tsc + 10000);
	assert_int_equal(FP()->stats.msr_read_exits, 1);
}

/* ---------------------------------------------------------------------- */
/* x2APIC ICR, EOI, TMICT                                                 */

static void test_icr_self_ipi_injects(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_ICR,
			       (1U << VAPIC_ICR_SHORTHAND_SHIFT) | 0xf3),
			 VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xf3);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(FP()->stats.icr_writes, 1);
}

/* x2APIC SELF IPI: injected at once, and counted as an ICR write. */
static void test_self_ipi_injects_and_counts_as_icr_write(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, MSR(VAPIC_REG_SELF_IPI), 0x51),
			 VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x51);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(FP()->stats.icr_writes, 1);
}

static void test_icr_other_vcpu_resumes_and_routes(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_ICR, (1ULL << 32) | 0xfd),
			 VAPIC_FP_RESUME);
	assert_int_equal(vm.nipi, 1);
	assert_true(fake_irr(&vm.cpu[1].lapic, 0xfd));
	assert_int_equal(vm.cpu[1].kicks, 1);
}

static void test_icr_reserved_bits_gp(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_ICR, (1ULL << 32) | 0x20fd),
			 VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_GP);
	assert_int_equal(vm.nipi, 0);
}

static void test_icr_nmi_to_self_reports_event(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_ICR,
			       (1U << VAPIC_ICR_SHORTHAND_SHIFT) |
				       (VAPIC_DM_NMI << VAPIC_ICR_DM_SHIFT)),
			 VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_EVENT);
}

static void test_eoi_resumes(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_EOI, 0), VAPIC_FP_RESUME);
	assert_false(fake_isr(L(), 0x80));
	assert_int_equal(FP()->stats.eoi_writes, 1);
}

static void test_eoi_injects_next_pending(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80);
	vapic_lapic_accept(L(), 0x82, 0);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_EOI, 0), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x82);
}

static void test_eoi_level_asks_host_to_broadcast(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_accept(L(), 0x90, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(L()), 0x90);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_EOI, 0), VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_EOI);
	assert_int_equal(e.eoi_vector, 0x90);
}

static void test_eoi_nonzero_gp(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_EOI, 1), VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_GP);
}

static void test_tmict_arms_timer(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0xec);
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_TDCR), 0xb);
	assert_int_equal(wrmsr(&e, VAPIC_MSR_X2APIC_TMICT, 5000),
			 VAPIC_FP_RESUME);
	assert_true(vm.cpu[0].armed);
	assert_int_equal(vm.cpu[0].expires_ns, vm.tsc + 5000);
	assert_int_equal(FP()->stats.tmict_writes, 1);
}

static void test_other_x2apic_msr_handled(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, MSR(VAPIC_REG_TPR), 0x20), VAPIC_FP_RESUME);
	assert_int_equal(rdmsr(&e, MSR(VAPIC_REG_TPR)), VAPIC_FP_RESUME);
	assert_int_equal(e.data, 0x20);
	assert_int_equal(rdmsr(&e, MSR(VAPIC_REG_ID)), VAPIC_FP_RESUME);
	assert_int_equal(e.data, 0);
}

static void test_rdmsr_write_only_gp(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(rdmsr(&e, VAPIC_MSR_X2APIC_EOI), VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_GP);
	assert_int_equal(e.data, 0);
}

static void test_tpr_lowered_injects_blocked_vector(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_TPR), 0x80);
	vapic_lapic_accept(L(), 0x71, 0);
	assert_int_equal(wrmsr(&e, MSR(VAPIC_REG_TPR), 0x10), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x71);
}

static void test_apic_base_mode_change_asks_host(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_APIC_BASE, 0xfee00100ULL),
			 VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_BASE);
	assert_int_equal(rdmsr(&e, VAPIC_MSR_APIC_BASE), VAPIC_FP_RESUME);
	assert_int_equal(e.data, 0xfee00100ULL);
}

static void test_unrelated_msr_goes_slow_untouched(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(wrmsr(&e, 0xc0000080, 0x500), VAPIC_FP_SLOW);
	assert_int_equal(rdmsr(&e, 0x10), VAPIC_FP_SLOW);
	assert_int_equal(e.actions, 0);
	assert_int_equal(FP()->stats.fastpath_slow, 2);
}

/* ---------------------------------------------------------------------- */
/* MMIO                                                                   */

static void test_mmio_eoi_and_icr_in_xapic_mode(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80);
	assert_int_equal(mmio(&e, true, 0xfee000b0ULL, 4, 0), VAPIC_FP_RESUME);
	assert_false(fake_isr(L(), 0x80));
	assert_int_equal(mmio(&e, true, 0xfee00300ULL, 4,
			      (1U << VAPIC_ICR_SHORTHAND_SHIFT) | 0x55),
			 VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x55);
	assert_int_equal(FP()->stats.mmio_exits, 2);
	assert_int_equal(FP()->stats.eoi_writes, 1);
	assert_int_equal(FP()->stats.icr_writes, 1);
}

static void test_mmio_read_register(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(mmio(&e, false, 0xfee00030ULL, 4, 0), VAPIC_FP_RESUME);
	assert_int_equal(e.data, VAPIC_VERSION_DEFAULT);
}

static void test_mmio_outside_page_slow(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(mmio(&e, false, 0xfed00000ULL, 4, 0), VAPIC_FP_SLOW);
	assert_int_equal(mmio(&e, true, 0xfee01000ULL, 4, 0), VAPIC_FP_SLOW);
}

static void test_mmio_page_in_x2apic_mode_reads_ones(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(fake_to_x2apic(L()), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(mmio(&e, false, 0xfee00030ULL, 4, 0), VAPIC_FP_RESUME);
	assert_int_equal(e.data, 0xffffffffULL);
	assert_int_equal(mmio(&e, true, 0xfee00080ULL, 4, 0x50),
			 VAPIC_FP_RESUME);
	assert_int_equal(fake_reg(L(), VAPIC_REG_TPR), 0);
}

/* ---------------------------------------------------------------------- */
/* Timer, window, kick, HLT                                               */

/* A TSC deadline 1000 cycles ahead, reached; the host timer callback ran. */
static void timer_fired_1us(void)
{
	struct vapic_exit e;
	uint64_t exp;

	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 1000);
	vm.tsc += 1000;
	assert_int_equal(vapic_timer_expired(&L()->timer, &exp),
			 VAPIC_TFN_DONE);
}

static void test_host_timer_exit_injects_after_expiry(void **s)
{
	struct vapic_exit e;

	(void)s;
	timer_fired_1us();
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xec);
	assert_int_equal(vapic_lapic_injected(L(), e.vector), 0);
	assert_int_equal(FP()->stats.host_timer_exits, 1);
	assert_int_equal(L()->timer.stats.early, 0);
}

/*
 * The timer fired and an event (NMI) is pending: the exit injects the tick
 * and reports the event too; the fire + inject shortcut must not hide it.
 */
static void test_host_timer_exit_with_event_reports_both(void **s)
{
	struct vapic_ipi nmi = { .delivery_mode = VAPIC_DM_NMI };
	struct vapic_exit e;

	(void)s;
	timer_fired_1us();
	vapic_lapic_receive(L(), &nmi);
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_HOST);
	assert_int_equal(e.actions,
			 VAPIC_EXIT_ACT_EVENT | VAPIC_EXIT_ACT_INJECT);
	assert_int_equal(e.vector, 0xec);
	assert_int_equal(FP()->stats.fastpath_host, 1);
	assert_int_equal(FP()->stats.fastpath_inject, 0);
}

/*
 * The host cannot arm its timer: the TSC-deadline write still takes effect,
 * the exit reports VAPIC_EHOST to the host (ACT_ERROR), and the next exit
 * that polls arms the timer again.
 */
static void test_timer_arm_failure_reports_host_error(void **s)
{
	struct vapic_exit e;

	(void)s;
	vm.cpu[0].arm_error = VAPIC_EBUSY;
	assert_int_equal(wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 10000),
			 VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_ERROR);
	assert_int_equal(e.error, VAPIC_EHOST);
	assert_false(vm.cpu[0].armed);
	assert_int_equal(L()->timer.stats.arm_failures, 1);
	assert_int_equal(rdmsr(&e, VAPIC_MSR_TSC_DEADLINE), VAPIC_FP_RESUME);
	assert_int_equal(e.data, vm.tsc + 10000);
	vm.cpu[0].arm_error = 0;
	assert_int_equal(simple(&e, VAPIC_EXIT_KICK), VAPIC_FP_RESUME);
	assert_true(vm.cpu[0].armed);
	assert_int_equal(vm.cpu[0].expires_ns, vm.tsc + 10000);
}

static void test_host_timer_exit_before_deadline_resumes(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 1000);
	vm.tsc += 999;
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_RESUME);
}

static void test_host_timer_in_advance_window_waits(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_exit e;
	uint64_t exp;

	(void)s;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.timer.advance_ns = 300;
	assert_int_equal(vapic_lapic_init(L(), &cfg, &fake_ops, &vm.cpu[0]), 0);
	fake_to_x2apic(L());
	fake_sw_enable(L());
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0x400ec);
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 1000);
	assert_int_equal(vm.cpu[0].expires_ns, vm.tsc + 700);
	vm.tsc += 700;
	vapic_timer_expired(&L()->timer, &exp);
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_WAIT);
	assert_int_equal(e.wait_ns, 300);
	vm.tsc += 300;
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xec);
}

static void test_preemption_timer_exit_runs_expiry(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 1000);
	vm.tsc += 1000;
	assert_int_equal(simple(&e, VAPIC_EXIT_PREEMPTION_TIMER),
			 VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xec);
	assert_int_equal(FP()->stats.preemption_timer_exits, 1);
	assert_int_equal(L()->timer.stats.fires, 1);
}

static int posts;

static int count_post(void *host, uint32_t vector)
{
	(void)host;
	(void)vector;
	posts++;
	return 0;
}

/* vCPU 0 again, its timer in posted mode (posts counted), x2APIC, enabled. */
static void init_posted(int32_t advance_ns)
{
	static struct vapic_host_ops ops;
	struct vapic_lapic_config cfg;

	ops = fake_ops;
	ops.post = count_post;
	posts = 0;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.timer.flags |= VAPIC_TIMER_F_POSTED;
	cfg.timer.advance_ns = advance_ns;
	cfg.timer.bus_khz = FAKE_TSC_KHZ;
	assert_int_equal(vapic_lapic_init(L(), &cfg, &ops, &vm.cpu[0]), 0);
	fake_to_x2apic(L());
	fake_sw_enable(L());
}

/*
 * Posted mode (F_POSTED), the host timer being the preemption timer: the
 * exit, not a callback, takes the expiry.  Inside the advance window it
 * asks the host to wait (a callback's WAIT would have had nobody to call
 * it again: the tick was lost), then injects at the deadline; nothing is
 * posted.
 */
static void test_preemption_timer_exit_posted_mode_completes_expiry(void **s)
{
	struct vapic_exit e;
	uint64_t dl;

	(void)s;
	init_posted(1000);
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0x400ec);
	dl = vm.tsc + 100000;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, dl);
	assert_int_equal(vm.cpu[0].expires_ns, dl - 1000);
	vm.tsc = dl - 1000;
	assert_int_equal(simple(&e, VAPIC_EXIT_PREEMPTION_TIMER),
			 VAPIC_FP_HOST);
	assert_int_equal(e.actions, VAPIC_EXIT_ACT_WAIT);
	assert_int_equal(e.wait_ns, 1000);
	vm.tsc = dl;
	assert_int_equal(simple(&e, VAPIC_EXIT_HOST_TIMER), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xec);
	assert_int_equal(posts, 0);
	assert_int_equal(L()->timer.stats.fires, 1);
	assert_int_equal(L()->timer.stats.early, 0);
	assert_int_equal(vm.cpu[0].kicks, 0);
}

/* Posted mode, periodic: each preemption-timer exit injects a period. */
static void test_preemption_timer_exit_posted_periodic_rearms(void **s)
{
	struct vapic_exit e;
	int i;

	(void)s;
	init_posted(0);
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_TDCR), 0xb);
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_LVT_TIMER), 0x200ec);
	vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_TMICT), 1000000); /* 1 ms */
	for (i = 1; i <= 3; i++) {
		assert_true(vm.cpu[0].armed);
		vm.tsc = vm.cpu[0].expires_ns;
		vm.cpu[0].armed = false; /* it expired */
		assert_int_equal(simple(&e, VAPIC_EXIT_PREEMPTION_TIMER),
				 VAPIC_FP_INJECT);
		assert_int_equal(e.vector, 0xec);
		assert_int_equal(vapic_lapic_injected(L(), 0xec), 0);
		vapic_lapic_wrmsr(L(), MSR(VAPIC_REG_EOI), 0);
	}
	assert_true(vm.cpu[0].armed);
	assert_int_equal(L()->timer.stats.injections, 3);
	assert_int_equal(posts, 0);
}

static void test_irq_window_injects_pending(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(simple(&e, VAPIC_EXIT_IRQ_WINDOW), VAPIC_FP_RESUME);
	vapic_lapic_accept(L(), 0x33, 0);
	assert_int_equal(simple(&e, VAPIC_EXIT_IRQ_WINDOW), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x33);
	assert_int_equal(FP()->stats.irq_window_exits, 2);
}

static void test_kick_reports_events(void **s)
{
	struct vapic_ipi nmi = { .delivery_mode = VAPIC_DM_NMI };
	struct vapic_exit e;

	(void)s;
	vapic_lapic_receive(L(), &nmi);
	vapic_lapic_accept(L(), 0x34, 0);
	assert_int_equal(simple(&e, VAPIC_EXIT_KICK), VAPIC_FP_HOST);
	assert_int_equal(e.actions,
			 VAPIC_EXIT_ACT_EVENT | VAPIC_EXIT_ACT_INJECT);
	assert_int_equal(e.vector, 0x34);
	assert_int_equal(FP()->stats.signal_exits, 1);
}

static void test_hlt_idle_goes_slow(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(simple(&e, VAPIC_EXIT_HLT), VAPIC_FP_SLOW);
	assert_int_equal(FP()->stats.halt_exits, 1);
}

static void test_hlt_with_pending_injects(void **s)
{
	struct vapic_exit e;

	(void)s;
	vapic_lapic_accept(L(), 0x35, 0);
	assert_int_equal(simple(&e, VAPIC_EXIT_HLT), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0x35);
}

static void test_hlt_with_due_timer_injects(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 1000);
	vm.tsc += 2000;
	assert_int_equal(simple(&e, VAPIC_EXIT_HLT), VAPIC_FP_INJECT);
	assert_int_equal(e.vector, 0xec);
}

static void test_other_and_unknown_reasons_slow(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_equal(simple(&e, VAPIC_EXIT_OTHER), VAPIC_FP_SLOW);
	assert_int_equal(simple(&e, 1000), VAPIC_FP_SLOW);
	assert_int_equal(FP()->stats.other_exits, 2);
}

/* ---------------------------------------------------------------------- */
/* Accounting                                                             */

static uint64_t stat(const char *name)
{
	uint32_t i;

	for (i = 0; i < vapic_exit_stat_ndescs; i++)
		if (!strcmp(vapic_exit_stat_descs[i].name, name))
			return *(const uint64_t *)((const char *)&FP()->stats +
						   vapic_exit_stat_descs[i]
							   .offset);
	fail_msg("no stat %s", name);
	return 0;
}

static void test_stat_descriptors_cover_struct(void **s)
{
	uint32_t i, j, words = 0;

	(void)s;
	for (i = 0; i < vapic_exit_stat_ndescs; i++) {
		const struct vapic_stat_desc *d = &vapic_exit_stat_descs[i];

		assert_true(d->offset + 8 * d->count <=
			    sizeof(struct vapic_exit_stats));
		assert_int_equal(d->offset % 8, 0);
		words += d->count;
		for (j = 0; j < i; j++)
			assert_string_not_equal(d->name,
						vapic_exit_stat_descs[j].name);
	}
	assert_int_equal(words * 8, sizeof(struct vapic_exit_stats));
	for (i = 0; i < vapic_lapic_stat_ndescs; i++)
		assert_true(vapic_lapic_stat_descs[i].offset + 8 <=
			    sizeof(struct vapic_lapic_stats));
	assert_int_equal(vapic_lapic_stat_ndescs * 8,
			 sizeof(struct vapic_lapic_stats));
}

static void test_exits_counted_by_reason_and_result(void **s)
{
	struct vapic_exit e;

	(void)s;
	wrmsr(&e, VAPIC_MSR_TSC_DEADLINE, vm.tsc + 100);
	rdmsr(&e, 0x10);
	simple(&e, VAPIC_EXIT_HLT);
	simple(&e, VAPIC_EXIT_IRQ_WINDOW);
	mmio(&e, false, 0xfee00030ULL, 4, 0);
	vm.tsc += 100;
	simple(&e, VAPIC_EXIT_HOST_TIMER);
	assert_int_equal(stat("exits"), 6);
	assert_int_equal(stat("msr_write_exits"), 1);
	assert_int_equal(stat("msr_read_exits"), 1);
	assert_int_equal(stat("halt_exits"), 1);
	assert_int_equal(stat("irq_window_exits"), 1);
	assert_int_equal(stat("mmio_exits"), 1);
	assert_int_equal(stat("host_timer_exits"), 1);
	assert_int_equal(stat("fastpath_resume") + stat("fastpath_inject") +
				 stat("fastpath_host") + stat("fastpath_slow"),
			 6);
	assert_int_equal(stat("fastpath_slow"), 2);
	assert_int_equal(stat("fastpath_inject"), 1);
}

static void test_init_rejects_null(void **s)
{
	struct vapic_fastpath fp;

	(void)s;
	assert_int_equal(vapic_fastpath_init(&fp, NULL), VAPIC_EINVAL);
	assert_int_equal(vapic_fastpath_init(NULL, L()), VAPIC_EINVAL);
}

#define T(f) cmocka_unit_test_setup(f, setup_x2)
#define TX(f) cmocka_unit_test_setup(f, setup_xapic)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tsc_deadline_future_resumes_and_arms),
		T(test_tsc_deadline_past_injects_now),
		T(test_tsc_deadline_zero_disarms),
		T(test_tsc_deadline_not_exposed_gp),
		T(test_tsc_deadline_write_in_one_shot_ignored_but_counted),
		T(test_rdmsr_tsc_deadline),
		T(test_icr_self_ipi_injects),
		T(test_self_ipi_injects_and_counts_as_icr_write),
		T(test_icr_other_vcpu_resumes_and_routes),
		T(test_icr_reserved_bits_gp),
		T(test_icr_nmi_to_self_reports_event),
		T(test_eoi_resumes),
		T(test_eoi_injects_next_pending),
		T(test_eoi_level_asks_host_to_broadcast),
		T(test_eoi_nonzero_gp),
		T(test_tmict_arms_timer),
		T(test_other_x2apic_msr_handled),
		T(test_rdmsr_write_only_gp),
		T(test_tpr_lowered_injects_blocked_vector),
		T(test_apic_base_mode_change_asks_host),
		T(test_unrelated_msr_goes_slow_untouched),
		TX(test_mmio_eoi_and_icr_in_xapic_mode),
		TX(test_mmio_read_register),
		TX(test_mmio_outside_page_slow),
		TX(test_mmio_page_in_x2apic_mode_reads_ones),
		T(test_host_timer_exit_injects_after_expiry),
		T(test_host_timer_exit_with_event_reports_both),
		T(test_timer_arm_failure_reports_host_error),
		T(test_host_timer_exit_before_deadline_resumes),
		T(test_host_timer_in_advance_window_waits),
		T(test_preemption_timer_exit_runs_expiry),
		T(test_preemption_timer_exit_posted_mode_completes_expiry),
		T(test_preemption_timer_exit_posted_periodic_rearms),
		T(test_irq_window_injects_pending),
		T(test_kick_reports_events),
		T(test_hlt_idle_goes_slow),
		T(test_hlt_with_pending_injects),
		T(test_hlt_with_due_timer_injects),
		T(test_other_and_unknown_reasons_slow),
		T(test_stat_descriptors_cover_struct),
		T(test_exits_counted_by_reason_and_result),
		T(test_init_rejects_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
