// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * LAPIC interrupt acceptance and priority: IRR/ISR/TMR, TPR/PPR/APR, EOI
 * (level-triggered broadcast and its suppression), illegal vectors, the
 * software-disabled state, the timer's tick, pending events (NMI, SMI,
 * INIT, SIPI, ExtINT), the LINT pins and the other LVT sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapic_fake.h"

static struct fake_vm vm;

static int setup(void **state)
{
	(void)state;
	if (fake_vm_init(&vm, 2, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC))
		return -1;
	fake_sw_enable(&vm.cpu[0].lapic);
	fake_sw_enable(&vm.cpu[1].lapic);
	return 0;
}

static struct vapic_lapic *L(void)
{
	return &vm.cpu[0].lapic;
}

static int poll(uint32_t *v)
{
	uint64_t w;

	return vapic_lapic_poll(L(), v, &w);
}

/* ---------------------------------------------------------------------- */
/* Acceptance                                                             */

static void test_accept_sets_irr_and_kicks(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_accept(L(), 0x41, 0), 0);
	assert_true(fake_irr(L(), 0x41));
	assert_int_equal(vm.cpu[0].kicks, 1);
	assert_int_equal(L()->stats.accepted, 1);
}

static void test_accept_same_vector_merges(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_accept(L(), 0x41, 0), 0);
	assert_int_equal(vapic_lapic_accept(L(), 0x41, 0), 1);
	assert_int_equal(L()->stats.merged, 1);
}

static void test_accept_illegal_vector_sets_receive_error(void **s)
{
	uint32_t v;

	(void)s;
	for (v = 0; v < 16; v++)
		assert_int_equal(vapic_lapic_accept(L(), v, 0), VAPIC_ERSVD);
	assert_int_equal(fake_reg(L(), VAPIC_REG_IRR0), 0);
	assert_int_equal(fake_esr(L()), VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(L()->stats.illegal_vector, 16);
}

static void test_accept_illegal_vector_raises_error_lvt(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_ERROR, 0xfe);
	assert_int_equal(vapic_lapic_accept(L(), 3, 0), VAPIC_ERSVD);
	assert_true(fake_irr(L(), 0xfe));
}

static void test_accept_vector_above_255_is_host_error(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_accept(L(), 256, 0), VAPIC_EINVAL);
}

static void test_accept_discarded_while_sw_disabled(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_SVR, 0xff);
	assert_int_equal(vapic_lapic_accept(L(), 0x41, 0), VAPIC_EBUSY);
	assert_false(fake_irr(L(), 0x41));
	assert_int_equal(L()->stats.dropped, 1);
}

static void test_sw_disable_keeps_pending_interrupts(void **s)
{
	uint32_t v;

	(void)s;
	assert_int_equal(vapic_lapic_accept(L(), 0x41, 0), 0);
	vapic_lapic_write(L(), VAPIC_REG_SVR, 0xff);
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0x41);
}

static void test_accept_level_sets_tmr_edge_clears(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_accept(L(), 0x61, VAPIC_ACCEPT_LEVEL), 0);
	assert_true(fake_tmr(L(), 0x61));
	assert_int_equal(fake_inject(L()), 0x61);
	vapic_lapic_eoi(L());
	assert_int_equal(vapic_lapic_accept(L(), 0x61, 0), 0);
	assert_false(fake_tmr(L(), 0x61));
}

/* ---------------------------------------------------------------------- */
/* Priority                                                               */

static void test_poll_picks_highest_irr(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_accept(L(), 0x31, 0);
	vapic_lapic_accept(L(), 0xe5, 0);
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0xe5);
}

static void test_poll_nothing_pending(void **s)
{
	uint32_t v;

	(void)s;
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
}

static void test_tpr_blocks_same_and_lower_class(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x50);
	vapic_lapic_accept(L(), 0x5f, 0);
	vapic_lapic_accept(L(), 0x40, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
	vapic_lapic_accept(L(), 0x60, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0x60);
}

static void test_in_service_class_blocks_same_class(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80);
	vapic_lapic_accept(L(), 0x8f, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
	vapic_lapic_accept(L(), 0x90, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0x90);
}

static void test_ppr_is_max_of_tpr_and_isr_class(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x5a);
	assert_int_equal(fake_reg(L(), VAPIC_REG_PPR), 0x5a);
	vapic_lapic_accept(L(), 0x83, 0);
	assert_int_equal(fake_inject(L()), 0x83);
	assert_int_equal(fake_reg(L(), VAPIC_REG_PPR), 0x80);
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x9a);
	assert_int_equal(fake_reg(L(), VAPIC_REG_PPR), 0x9a);
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x8a);
	assert_int_equal(vapic_lapic_ppr(L()), 0x8a);
}

static void test_apr_arbitration_priority(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x35);
	assert_int_equal(fake_reg(L(), VAPIC_REG_APR), 0x35);
	vapic_lapic_accept(L(), 0x52, 0); /* IRRV class above TPR */
	assert_int_equal(vapic_lapic_apr(L()), 0x50);
	assert_int_equal(fake_inject(L()), 0x52);
	assert_int_equal(vapic_lapic_apr(L()), 0x50); /* ISRV */
	vapic_lapic_write(L(), VAPIC_REG_TPR, 0x65);
	assert_int_equal(vapic_lapic_apr(L()), 0x65);
}

static void test_injected_moves_irr_to_isr(void **s)
{
	(void)s;
	vapic_lapic_accept(L(), 0x44, 0);
	assert_int_equal(vapic_lapic_injected(L(), 0x44), 0);
	assert_false(fake_irr(L(), 0x44));
	assert_true(fake_isr(L(), 0x44));
	assert_int_equal(L()->stats.injected, 1);
}

static void test_injected_rejects_vector_not_pending(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_injected(L(), 0x44), VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_injected(L(), 300), VAPIC_EINVAL);
	assert_false(fake_isr(L(), 0x44));
}

/* ---------------------------------------------------------------------- */
/* EOI                                                                    */

static void test_eoi_clears_highest_in_service(void **s)
{
	(void)s;
	vapic_lapic_accept(L(), 0x40, 0);
	assert_int_equal(fake_inject(L()), 0x40);
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80); /* nested */
	assert_int_equal(vapic_lapic_write(L(), VAPIC_REG_EOI, 0), 0);
	assert_false(fake_isr(L(), 0x80));
	assert_true(fake_isr(L(), 0x40));
	assert_int_equal(vapic_lapic_ppr(L()), 0x40);
	vapic_lapic_write(L(), VAPIC_REG_EOI, 0);
	assert_false(fake_isr(L(), 0x40));
	assert_int_equal(L()->stats.eoi, 2);
}

static void test_eoi_with_nothing_in_service_ignored(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_eoi(L()), 0);
	assert_int_equal(L()->stats.eoi, 0);
}

static void test_eoi_asks_poll_when_more_pending(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_accept(L(), 0x80, 0);
	assert_int_equal(fake_inject(L()), 0x80);
	vapic_lapic_accept(L(), 0x81, 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
	assert_int_equal(vapic_lapic_eoi(L()), VAPIC_LAPIC_ACT_POLL);
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0x81);
}

static void test_eoi_level_reports_broadcast(void **s)
{
	(void)s;
	vapic_lapic_accept(L(), 0x70, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(L()), 0x70);
	assert_int_equal(vapic_lapic_eoi(L()), VAPIC_LAPIC_ACT_EOI);
	assert_int_equal(vapic_lapic_eoi_vector(L()), 0x70);
	assert_int_equal(L()->stats.eoi_broadcast, 1);
}

static void test_eoi_edge_not_broadcast(void **s)
{
	(void)s;
	vapic_lapic_accept(L(), 0x70, 0);
	assert_int_equal(fake_inject(L()), 0x70);
	assert_int_equal(vapic_lapic_eoi(L()), 0);
	assert_int_equal(L()->stats.eoi_broadcast, 0);
}

static void test_eoi_broadcast_suppressed_when_enabled(void **s)
{
	struct fake_vm v2;
	struct vapic_lapic *l = &v2.cpu[0].lapic;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, VAPIC_LAPIC_F_EOI_SUPPRESS), 0);
	vapic_lapic_write(l, VAPIC_REG_SVR, 0x11ff);
	vapic_lapic_accept(l, 0x70, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(l), 0x70);
	assert_int_equal(vapic_lapic_eoi(l), 0);
	assert_false(fake_isr(l, 0x70));
	/* Suppression off again: broadcast. */
	vapic_lapic_write(l, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(l, 0x70, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(l), 0x70);
	assert_int_equal(vapic_lapic_eoi(l), VAPIC_LAPIC_ACT_EOI);
}

static void test_eoi_suppression_needs_advertising(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_SVR, 0x11ff); /* bit 12 ignored */
	vapic_lapic_accept(L(), 0x70, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(L()), 0x70);
	assert_int_equal(vapic_lapic_eoi(L()), VAPIC_LAPIC_ACT_EOI);
}

/* ---------------------------------------------------------------------- */
/* Timer into IRR                                                         */

static void test_timer_tick_becomes_irr_vector(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_TIMER, 0x400ec);
	assert_int_equal(vapic_lapic_write_tsc_deadline(L(), vm.tsc + 500), 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
	vm.tsc += 500;
	assert_int_equal(poll(&v), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0xec);
	assert_int_equal(vapic_lapic_injected(L(), v), 0);
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
}

static void test_timer_illegal_vector_sets_receive_error(void **s)
{
	uint32_t v;

	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_TIMER, 0x40005);
	vapic_lapic_write_tsc_deadline(L(), vm.tsc + 10);
	vm.tsc += 10;
	assert_int_equal(poll(&v), VAPIC_LAPIC_NONE);
	assert_int_equal(fake_esr(L()), VAPIC_ESR_RECV_ILLEGAL_VECTOR);
}

/* ---------------------------------------------------------------------- */
/* Events                                                                 */

static void test_events_raised_and_taken(void **s)
{
	struct vapic_ipi m = { 0 };
	uint32_t sipi = 0;

	(void)s;
	m.delivery_mode = VAPIC_DM_INIT;
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	m.delivery_mode = VAPIC_DM_NMI;
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	m.delivery_mode = VAPIC_DM_SMI;
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	m.delivery_mode = VAPIC_DM_SIPI;
	m.vector = 0x9a;
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	m.delivery_mode = VAPIC_DM_EXTINT;
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	assert_int_equal(vapic_lapic_pending_events(L()), VAPIC_EVENT_ALL);
	assert_int_equal(vm.cpu[0].kicks, 5);
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_NMI, NULL),
			 VAPIC_EVENT_NMI);
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_NMI, NULL),
			 0);
	assert_int_equal(
		vapic_lapic_take_events(
			L(), VAPIC_EVENT_SIPI | VAPIC_EVENT_INIT, &sipi),
		VAPIC_EVENT_SIPI | VAPIC_EVENT_INIT);
	assert_int_equal(sipi, 0x9a);
	assert_int_equal(vapic_lapic_pending_events(L()),
			 VAPIC_EVENT_SMI | VAPIC_EVENT_EXTINT);
}

/* One message of delivery mode @dm (vector @vector) to L(). */
static void receive_dm(uint32_t dm, uint32_t vector)
{
	struct vapic_ipi m = { .delivery_mode = dm, .vector = vector };

	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
}

static void test_init_drops_nmi_and_sipi_raised_before_it(void **s)
{
	(void)s;
	receive_dm(VAPIC_DM_NMI, 0);
	receive_dm(VAPIC_DM_SIPI, 0x9a);
	receive_dm(VAPIC_DM_INIT, 0);
	assert_int_equal(vapic_lapic_pending_events(L()), VAPIC_EVENT_INIT);
	assert_int_equal(L()->stats.nmi, 1); /* counted when raised */
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_ALL, NULL),
			 VAPIC_EVENT_INIT);
}

static void test_init_keeps_nmi_and_sipi_raised_after_it(void **s)
{
	uint32_t sipi = 0;

	(void)s;
	receive_dm(VAPIC_DM_NMI, 0);
	receive_dm(VAPIC_DM_INIT, 0);
	receive_dm(VAPIC_DM_SIPI, 0x9b);
	receive_dm(VAPIC_DM_NMI, 0);
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_ALL, &sipi),
			 VAPIC_EVENT_INIT | VAPIC_EVENT_SIPI | VAPIC_EVENT_NMI);
	assert_int_equal(sipi, 0x9b);
}

static void test_init_keeps_smi_and_extint(void **s)
{
	(void)s;
	receive_dm(VAPIC_DM_SMI, 0);
	receive_dm(VAPIC_DM_EXTINT, 0);
	receive_dm(VAPIC_DM_INIT, 0);
	assert_int_equal(vapic_lapic_pending_events(L()),
			 VAPIC_EVENT_SMI | VAPIC_EVENT_EXTINT |
				 VAPIC_EVENT_INIT);
}

/* An INIT from the LVT (delivery mode INIT) drops a pending NMI too. */
static void test_lvt_init_drops_pending_nmi(void **s)
{
	(void)s;
	receive_dm(VAPIC_DM_NMI, 0);
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0,
			  VAPIC_DM_INIT << VAPIC_LVT_DELIVERY_MODE_SHIFT);
	vapic_lapic_set_lint(L(), 0, true);
	assert_int_equal(vapic_lapic_pending_events(L()), VAPIC_EVENT_INIT);
}

static void test_events_coalesce(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_NMI };

	(void)s;
	vapic_lapic_receive(L(), &m);
	vapic_lapic_receive(L(), &m);
	assert_int_equal(L()->stats.nmi, 2);
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_ALL, NULL),
			 VAPIC_EVENT_NMI);
	assert_int_equal(vapic_lapic_pending_events(L()), 0);
}

static void test_sw_disabled_still_takes_nmi_init_sipi(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_INIT };

	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_SVR, 0xff);
	assert_int_equal(vapic_lapic_receive(L(), &m), 0);
	m.delivery_mode = VAPIC_DM_FIXED;
	m.vector = 0x50;
	assert_int_equal(vapic_lapic_receive(L(), &m), VAPIC_EBUSY);
	assert_int_equal(vapic_lapic_pending_events(L()), VAPIC_EVENT_INIT);
}

static void test_receive_reserved_mode_is_host_error(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_RESERVED3 };

	(void)s;
	assert_int_equal(vapic_lapic_receive(L(), &m), VAPIC_EINVAL);
}

/* ---------------------------------------------------------------------- */
/* LINT pins and LVT sources                                              */

static void test_lint1_nmi_on_rising_edge_only(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT1, 0x400);
	assert_int_equal(vapic_lapic_set_lint(L(), 1, true),
			 VAPIC_LAPIC_ACT_EVENT);
	vapic_lapic_take_events(L(), VAPIC_EVENT_NMI, NULL);
	assert_int_equal(vapic_lapic_set_lint(L(), 1, true), 0);
	assert_int_equal(vapic_lapic_set_lint(L(), 1, false), 0);
	assert_int_equal(vapic_lapic_pending_events(L()), 0);
}

static void test_lint0_extint_is_level(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0, 0x700);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true),
			 VAPIC_LAPIC_ACT_EVENT);
	vapic_lapic_take_events(L(), VAPIC_EVENT_EXTINT, NULL);
	/* Still asserted: another ExtINT acknowledge cycle. */
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true),
			 VAPIC_LAPIC_ACT_EVENT);
	vapic_lapic_take_events(L(), VAPIC_EVENT_EXTINT, NULL);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, false), 0);
	assert_int_equal(vapic_lapic_pending_events(L()), 0);
}

static void test_lint_fixed_edge(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0, 0x55);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true),
			 VAPIC_LAPIC_ACT_POLL);
	assert_true(fake_irr(L(), 0x55));
	assert_false(fake_tmr(L(), 0x55));
	assert_int_equal(fake_inject(L()), 0x55);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true), 0);
	assert_false(fake_irr(L(), 0x55));
}

static void test_lint_fixed_level_remote_irr_until_eoi(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0, 0x8055);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true),
			 VAPIC_LAPIC_ACT_POLL);
	assert_true(fake_tmr(L(), 0x55));
	assert_int_equal(fake_reg(L(), VAPIC_REG_LVT_LINT0),
			 0x8055 | VAPIC_LVT_REMOTE_IRR);
	assert_int_equal(fake_inject(L()), 0x55);
	/* Re-assert while remote IRR is set: nothing new. */
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true), 0);
	assert_false(fake_irr(L(), 0x55));
	/* EOI with the pin still asserted: delivered again. */
	assert_int_equal(vapic_lapic_eoi(L()),
			 VAPIC_LAPIC_ACT_EOI | VAPIC_LAPIC_ACT_POLL);
	assert_true(fake_irr(L(), 0x55));
	assert_int_equal(fake_inject(L()), 0x55);
	vapic_lapic_set_lint(L(), 0, false);
	vapic_lapic_eoi(L());
	assert_int_equal(fake_reg(L(), VAPIC_REG_LVT_LINT0), 0x8055);
	assert_false(fake_irr(L(), 0x55));
}

/* Remote IRR set by a delivery, then the guest rewrites LINT0 as @val. */
static uint32_t lint0_after_rewrite(uint32_t val)
{
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0, 0x8055);
	vapic_lapic_set_lint(L(), 0, true);
	assert_true(fake_reg(L(), VAPIC_REG_LVT_LINT0) & VAPIC_LVT_REMOTE_IRR);
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT0, val | VAPIC_LVT_REMOTE_IRR);
	return fake_reg(L(), VAPIC_REG_LVT_LINT0);
}

static void test_lint_remote_irr_kept_by_fixed_level_write(void **s)
{
	(void)s;
	/* Another vector, still fixed + level: the bit is not written. */
	assert_int_equal(lint0_after_rewrite(0xa066),
			 0xa066 | VAPIC_LVT_REMOTE_IRR);
}

static void test_lint_remote_irr_cleared_by_edge_write(void **s)
{
	(void)s;
	assert_int_equal(lint0_after_rewrite(0x55), 0x55);
}

static void test_lint_remote_irr_cleared_by_non_fixed_write(void **s)
{
	(void)s;
	/* NMI delivery mode, level bit set: remote IRR is undefined there. */
	assert_int_equal(lint0_after_rewrite(0x8455), 0x8455);
}

static void test_lint_masked_delivers_nothing(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_LINT1, 0x10400);
	assert_int_equal(vapic_lapic_set_lint(L(), 1, true), 0);
	assert_int_equal(vapic_lapic_pending_events(L()), 0);
	assert_int_equal(vapic_lapic_set_lint(L(), 2, true), VAPIC_EINVAL);
}

static void test_lint_pins_are_intr_nmi_when_apic_disabled(void **s)
{
	(void)s;
	vapic_lapic_wrmsr(L(), VAPIC_MSR_APIC_BASE, 0xfee00100ULL);
	assert_int_equal(vapic_lapic_set_lint(L(), 0, true),
			 VAPIC_LAPIC_ACT_EVENT);
	assert_int_equal(vapic_lapic_set_lint(L(), 1, true),
			 VAPIC_LAPIC_ACT_EVENT);
	assert_int_equal(vapic_lapic_take_events(L(), VAPIC_EVENT_ALL, NULL),
			 VAPIC_EVENT_EXTINT | VAPIC_EVENT_NMI);
}

static void test_raise_lvt_per_delivery_mode(void **s)
{
	(void)s;
	vapic_lapic_write(L(), VAPIC_REG_LVT_THERMAL, 0x66);
	assert_int_equal(vapic_lapic_raise_lvt(L(), VAPIC_LVT_THERMAL),
			 VAPIC_LAPIC_ACT_POLL);
	assert_true(fake_irr(L(), 0x66));
	vapic_lapic_write(L(), VAPIC_REG_LVT_PMC, 0x400);
	assert_int_equal(vapic_lapic_raise_lvt(L(), VAPIC_LVT_PMC),
			 VAPIC_LAPIC_ACT_EVENT);
	assert_int_equal(vapic_lapic_pending_events(L()), VAPIC_EVENT_NMI);
	vapic_lapic_write(L(), VAPIC_REG_LVT_CMCI, 0x10067);
	assert_int_equal(vapic_lapic_raise_lvt(L(), VAPIC_LVT_CMCI), 0);
	assert_false(fake_irr(L(), 0x67));
	assert_int_equal(vapic_lapic_raise_lvt(L(), VAPIC_LVT_ERROR),
			 VAPIC_EINVAL);
}

static void test_raise_lvt_cmci_absent(void **s)
{
	struct fake_vm v2;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, 0), 0);
	assert_int_equal(
		vapic_lapic_raise_lvt(&v2.cpu[0].lapic, VAPIC_LVT_CMCI),
		VAPIC_EINVAL);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_accept_sets_irr_and_kicks),
		T(test_accept_same_vector_merges),
		T(test_accept_illegal_vector_sets_receive_error),
		T(test_accept_illegal_vector_raises_error_lvt),
		T(test_accept_vector_above_255_is_host_error),
		T(test_accept_discarded_while_sw_disabled),
		T(test_sw_disable_keeps_pending_interrupts),
		T(test_accept_level_sets_tmr_edge_clears),
		T(test_poll_picks_highest_irr),
		T(test_poll_nothing_pending),
		T(test_tpr_blocks_same_and_lower_class),
		T(test_in_service_class_blocks_same_class),
		T(test_ppr_is_max_of_tpr_and_isr_class),
		T(test_apr_arbitration_priority),
		T(test_injected_moves_irr_to_isr),
		T(test_injected_rejects_vector_not_pending),
		T(test_eoi_clears_highest_in_service),
		T(test_eoi_with_nothing_in_service_ignored),
		T(test_eoi_asks_poll_when_more_pending),
		T(test_eoi_level_reports_broadcast),
		T(test_eoi_edge_not_broadcast),
		T(test_eoi_broadcast_suppressed_when_enabled),
		T(test_eoi_suppression_needs_advertising),
		T(test_timer_tick_becomes_irr_vector),
		T(test_timer_illegal_vector_sets_receive_error),
		T(test_events_raised_and_taken),
		T(test_events_coalesce),
		T(test_init_drops_nmi_and_sipi_raised_before_it),
		T(test_init_keeps_nmi_and_sipi_raised_after_it),
		T(test_init_keeps_smi_and_extint),
		T(test_lvt_init_drops_pending_nmi),
		T(test_sw_disabled_still_takes_nmi_init_sipi),
		T(test_receive_reserved_mode_is_host_error),
		T(test_lint1_nmi_on_rising_edge_only),
		T(test_lint0_extint_is_level),
		T(test_lint_fixed_edge),
		T(test_lint_fixed_level_remote_irr_until_eoi),
		T(test_lint_remote_irr_kept_by_fixed_level_write),
		T(test_lint_remote_irr_cleared_by_edge_write),
		T(test_lint_remote_irr_cleared_by_non_fixed_write),
		T(test_lint_masked_delivers_nothing),
		T(test_lint_pins_are_intr_nmi_when_apic_disabled),
		T(test_raise_lvt_per_delivery_mode),
		T(test_raise_lvt_cmci_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
