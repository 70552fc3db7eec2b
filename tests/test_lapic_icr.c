// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * IPIs through the ICR (xAPIC two halves, x2APIC one 64-bit write) and the
 * SELF IPI register: each delivery mode, physical and logical (flat,
 * cluster, x2APIC cluster) destinations, broadcast, the three shorthands,
 * illegal vectors, lowest-priority arbitration, destination matching, MSI
 * decoding.  The fake host routes IPIs to its three vCPUs.
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
	int i;

	(void)state;
	if (fake_vm_init(&vm, 3, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC))
		return -1;
	for (i = 0; i < 3; i++)
		fake_sw_enable(&vm.cpu[i].lapic);
	return 0;
}

static int setup_x2(void **state)
{
	int i;

	if (setup(state))
		return -1;
	for (i = 0; i < 3; i++)
		if (fake_to_x2apic(&vm.cpu[i].lapic) != VAPIC_LAPIC_ACT_BASE)
			return -1;
	return 0;
}

static struct vapic_lapic *C(int i)
{
	return &vm.cpu[i].lapic;
}

/* xAPIC: ICR high then ICR low, from vCPU 0. */
static int icr(uint32_t dest, uint32_t lo)
{
	assert_int_equal(vapic_lapic_write(C(0), VAPIC_REG_ICR_HI, dest << 24),
			 0);
	return vapic_lapic_write(C(0), VAPIC_REG_ICR_LO, lo);
}

static int icr64(uint32_t dest, uint32_t lo)
{
	return vapic_lapic_wrmsr(C(0), VAPIC_MSR_X2APIC_ICR,
				 ((uint64_t)dest << 32) | lo);
}

#define SH(x) ((uint32_t)(x) << VAPIC_ICR_SHORTHAND_SHIFT)
#define DM(x) ((uint32_t)(x) << VAPIC_ICR_DM_SHIFT)
#define LOGICAL VAPIC_ICR_DEST_LOGICAL
#define ASSERT VAPIC_ICR_LEVEL_ASSERT

static void expect_irr(uint32_t v, bool c0, bool c1, bool c2)
{
	assert_int_equal(fake_irr(C(0), v), c0);
	assert_int_equal(fake_irr(C(1), v), c1);
	assert_int_equal(fake_irr(C(2), v), c2);
}

/* ---------------------------------------------------------------------- */
/* Fixed, physical, shorthands                                            */

static void test_fixed_physical_to_other(void **s)
{
	(void)s;
	assert_int_equal(icr(1, ASSERT | 0x41), 0);
	expect_irr(0x41, false, true, false);
	assert_int_equal(vm.nipi, 1);
	assert_int_equal(vm.ipis[0].dest, 1);
	assert_int_equal(vm.ipis[0].src, C(0));
	assert_int_equal(vm.ipis[0].delivery_mode, VAPIC_DM_FIXED);
	assert_int_equal(vm.cpu[1].kicks, 1);
	assert_int_equal(C(0)->stats.ipi_host, 1);
}

static void test_fixed_physical_to_own_id_stays_in_core(void **s)
{
	(void)s;
	assert_int_equal(icr(0, ASSERT | 0x41), VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x41, true, false, false);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(C(0)->stats.ipi_self, 1);
}

static void test_fixed_physical_broadcast(void **s)
{
	(void)s;
	assert_int_equal(icr(0xff, ASSERT | 0x42), VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x42, true, true, true);
	assert_int_equal(vm.delivered, 2); /* the host skipped the sender */
}

static void test_shorthand_self(void **s)
{
	(void)s;
	assert_int_equal(icr(2, SH(VAPIC_SH_SELF) | 0x43),
			 VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x43, true, false, false);
	assert_int_equal(vm.nipi, 0);
}

static void test_shorthand_all_including_self(void **s)
{
	(void)s;
	assert_int_equal(icr(0, SH(VAPIC_SH_ALL) | 0x44), VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x44, true, true, true);
	assert_int_equal(vm.nipi, 1);
}

static void test_shorthand_all_excluding_self(void **s)
{
	(void)s;
	assert_int_equal(icr(0, SH(VAPIC_SH_ALL_BUT_SELF) | 0x45), 0);
	expect_irr(0x45, false, true, true);
}

static void test_trigger_level_bit_sent_as_edge(void **s)
{
	(void)s;
	icr(1, VAPIC_ICR_TRIGGER_LEVEL | ASSERT | 0x46);
	assert_true(fake_irr(C(1), 0x46));
	assert_false(fake_tmr(C(1), 0x46));
}

/* ---------------------------------------------------------------------- */
/* Logical destinations                                                   */

static void test_logical_flat(void **s)
{
	(void)s;
	vapic_lapic_write(C(0), VAPIC_REG_LDR, 0x01000000);
	vapic_lapic_write(C(1), VAPIC_REG_LDR, 0x02000000);
	vapic_lapic_write(C(2), VAPIC_REG_LDR, 0x04000000);
	icr(0x06, LOGICAL | 0x50);
	expect_irr(0x50, false, true, true);
	icr(0x01, LOGICAL | 0x51);
	expect_irr(0x51, true, false, false);
	icr(0x08, LOGICAL | 0x52);
	expect_irr(0x52, false, false, false);
}

static void test_logical_cluster(void **s)
{
	int i;

	(void)s;
	for (i = 0; i < 3; i++)
		vapic_lapic_write(C(i), VAPIC_REG_DFR, 0x0fffffff);
	vapic_lapic_write(C(0), VAPIC_REG_LDR, 0x11000000);
	vapic_lapic_write(C(1), VAPIC_REG_LDR, 0x12000000);
	vapic_lapic_write(C(2), VAPIC_REG_LDR, 0x21000000);
	icr(0x13, LOGICAL | 0x53); /* cluster 1, members 0 and 1 */
	expect_irr(0x53, true, true, false);
	icr(0x21, LOGICAL | 0x54);
	expect_irr(0x54, false, false, true);
	icr(0xf1, LOGICAL | 0x55); /* every cluster, member 0 */
	expect_irr(0x55, true, false, true);
	icr(0x31, LOGICAL | 0x56);
	expect_irr(0x56, false, false, false);
}

static void test_logical_broadcast(void **s)
{
	(void)s;
	icr(0xff, LOGICAL | 0x57);
	expect_irr(0x57, true, true, true);
}

/* ---------------------------------------------------------------------- */
/* x2APIC                                                                 */

static void test_x2apic_icr_physical(void **s)
{
	(void)s;
	assert_int_equal(icr64(2, 0x60), 0);
	expect_irr(0x60, false, false, true);
	assert_int_equal(vm.ipis[0].x2apic, 1);
	assert_int_equal(vm.ipis[0].dest, 2);
}

static void test_x2apic_icr_physical_broadcast(void **s)
{
	(void)s;
	assert_int_equal(icr64(0xffffffffU, 0x61), VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x61, true, true, true);
	/* 0xff is an ordinary ID in x2APIC mode. */
	icr64(0xff, 0x62);
	expect_irr(0x62, false, false, false);
}

static void test_x2apic_icr_cluster_logical(void **s)
{
	(void)s;
	icr64((0U << 16) | 0x6, LOGICAL | 0x63);
	expect_irr(0x63, false, true, true);
	icr64((1U << 16) | 0x6, LOGICAL | 0x64);
	expect_irr(0x64, false, false, false);
	icr64(0xffffffffU, LOGICAL | 0x65);
	expect_irr(0x65, true, true, true);
}

static void test_x2apic_self_ipi_register(void **s)
{
	(void)s;
	assert_int_equal(
		vapic_lapic_wrmsr(C(0), VAPIC_MSR_X2APIC_SELF_IPI, 0x66),
		VAPIC_LAPIC_ACT_POLL);
	expect_irr(0x66, true, false, false);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(C(0)->stats.ipi_self, 1);
}

static void test_x2apic_self_ipi_sw_disabled_dropped(void **s)
{
	(void)s;
	vapic_lapic_wrmsr(C(0), VAPIC_X2APIC_MSR(VAPIC_REG_SVR), 0xff);
	assert_int_equal(
		vapic_lapic_wrmsr(C(0), VAPIC_MSR_X2APIC_SELF_IPI, 0x66), 0);
	assert_false(fake_irr(C(0), 0x66));
}

static void test_x2apic_logical_message_skips_xapic_target(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_FIXED,
			       .logical = 1,
			       .x2apic = 1,
			       .dest = 0x1,
			       .vector = 0x70 };

	(void)s;
	vapic_lapic_set_apic_base(C(2), 0xfee00800ULL, true); /* xAPIC */
	assert_false(vapic_lapic_match_dest(C(2), &m));
	assert_true(vapic_lapic_match_dest(C(0), &m));
}

/* ---------------------------------------------------------------------- */
/* Delivery modes                                                         */

static void test_nmi(void **s)
{
	(void)s;
	assert_int_equal(icr(2, DM(VAPIC_DM_NMI) | ASSERT), 0);
	assert_int_equal(vapic_lapic_pending_events(C(2)), VAPIC_EVENT_NMI);
	assert_int_equal(vapic_lapic_pending_events(C(1)), 0);
}

static void test_nmi_to_self_reports_event(void **s)
{
	(void)s;
	assert_int_equal(icr(0, DM(VAPIC_DM_NMI) | ASSERT),
			 VAPIC_LAPIC_ACT_EVENT);
	assert_int_equal(vapic_lapic_pending_events(C(0)), VAPIC_EVENT_NMI);
}

static void test_smi(void **s)
{
	(void)s;
	icr(1, DM(VAPIC_DM_SMI) | ASSERT);
	assert_int_equal(vapic_lapic_pending_events(C(1)), VAPIC_EVENT_SMI);
}

static void test_init_assert(void **s)
{
	(void)s;
	icr(1, DM(VAPIC_DM_INIT) | VAPIC_ICR_TRIGGER_LEVEL | ASSERT);
	assert_int_equal(vapic_lapic_pending_events(C(1)), VAPIC_EVENT_INIT);
}

static void test_init_level_deassert_sends_nothing(void **s)
{
	(void)s;
	icr(0, SH(VAPIC_SH_ALL) | DM(VAPIC_DM_INIT) | VAPIC_ICR_TRIGGER_LEVEL);
	assert_int_equal(vapic_lapic_pending_events(C(0)), 0);
	assert_int_equal(vapic_lapic_pending_events(C(1)), 0);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(C(0)->stats.ipi_invalid, 1);
}

static void test_sipi_carries_vector(void **s)
{
	uint32_t v = 0;

	(void)s;
	icr(1, DM(VAPIC_DM_SIPI) | ASSERT | 0x9f);
	assert_int_equal(vapic_lapic_take_events(C(1), VAPIC_EVENT_ALL, &v),
			 VAPIC_EVENT_SIPI);
	assert_int_equal(v, 0x9f);
}

static void test_init_sipi_sequence_all_but_self(void **s)
{
	uint32_t v = 0;

	(void)s;
	icr(0, SH(VAPIC_SH_ALL_BUT_SELF) | DM(VAPIC_DM_INIT) | ASSERT);
	icr(0, SH(VAPIC_SH_ALL_BUT_SELF) | DM(VAPIC_DM_SIPI) | ASSERT | 0x08);
	assert_int_equal(vapic_lapic_pending_events(C(0)), 0);
	assert_int_equal(vapic_lapic_take_events(C(2), VAPIC_EVENT_ALL, &v),
			 VAPIC_EVENT_INIT | VAPIC_EVENT_SIPI);
	assert_int_equal(v, 0x08);
}

static void test_reserved_delivery_modes_not_sent(void **s)
{
	(void)s;
	assert_int_equal(icr(1, DM(VAPIC_DM_RESERVED3) | 0x41), 0);
	assert_int_equal(icr(1, DM(VAPIC_DM_EXTINT) | 0x41), 0);
	assert_int_equal(vm.nipi, 0);
	assert_int_equal(C(0)->stats.ipi_invalid, 2);
	assert_int_equal(vapic_lapic_pending_events(C(1)), 0);
	assert_false(fake_irr(C(1), 0x41));
}

static void test_lowest_priority_picks_lowest_apr(void **s)
{
	(void)s;
	vapic_lapic_write(C(1), VAPIC_REG_TPR, 0x20);
	vapic_lapic_write(C(2), VAPIC_REG_TPR, 0x10);
	icr(0xff, LOGICAL | DM(VAPIC_DM_LOWEST) | 0x71);
	/* The sender (TPR 0) is a candidate and wins. */
	expect_irr(0x71, true, false, false);
	vapic_lapic_write(C(0), VAPIC_REG_TPR, 0x30);
	icr(0xff, LOGICAL | DM(VAPIC_DM_LOWEST) | 0x72);
	expect_irr(0x72, false, false, true);
	assert_int_equal(vm.delivered, 2);
}

static void test_lowest_priority_tie_goes_to_lowest_id(void **s)
{
	(void)s;
	vapic_lapic_write(C(0), VAPIC_REG_TPR, 0x30);
	icr(0, SH(VAPIC_SH_ALL_BUT_SELF) | DM(VAPIC_DM_LOWEST) | 0x73);
	expect_irr(0x73, false, true, false);
}

static void test_lowest_priority_focus_processor(void **s)
{
	(void)s;
	vapic_lapic_write(C(0), VAPIC_REG_TPR, 0x30);
	vapic_lapic_write(C(2), VAPIC_REG_TPR, 0x20);
	vapic_lapic_accept(C(2), 0x74, 0);
	assert_int_equal(fake_inject(C(2)), 0x74); /* 0x74 in service */
	icr(0xff, DM(VAPIC_DM_LOWEST) | 0x74);
	expect_irr(0x74, false, false, true);
	/* Focus checking disabled: lowest priority again (vCPU 1). */
	fake_inject(C(2));
	vapic_lapic_write(C(2), VAPIC_REG_SVR, 0x3ff);
	icr(0xff, DM(VAPIC_DM_LOWEST) | 0x74);
	assert_true(fake_irr(C(1), 0x74));
}

/* ---------------------------------------------------------------------- */
/* Illegal vectors                                                        */

static void test_fixed_illegal_vector_send_and_receive_errors(void **s)
{
	(void)s;
	icr(1, ASSERT | 0x05);
	assert_int_equal(fake_esr(C(0)), VAPIC_ESR_SEND_ILLEGAL_VECTOR);
	assert_int_equal(fake_esr(C(1)), VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(fake_reg(C(1), VAPIC_REG_IRR0), 0);
}

static void test_self_illegal_vector_sets_both_errors(void **s)
{
	(void)s;
	assert_int_equal(icr(0, SH(VAPIC_SH_SELF) | 0x0f), 0);
	assert_int_equal(fake_esr(C(0)), VAPIC_ESR_SEND_ILLEGAL_VECTOR |
						 VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(fake_reg(C(0), VAPIC_REG_IRR0), 0);
}

static void test_nmi_vector_field_not_checked(void **s)
{
	(void)s;
	icr(1, DM(VAPIC_DM_NMI) | ASSERT | 0x02);
	assert_int_equal(fake_esr(C(0)), 0);
	assert_int_equal(vapic_lapic_pending_events(C(1)), VAPIC_EVENT_NMI);
}

/* ---------------------------------------------------------------------- */
/* Host interface                                                         */

static void test_send_ipi_failure_counted(void **s)
{
	(void)s;
	vm.ipi_error = VAPIC_EHOST;
	icr(1, 0x41);
	assert_int_equal(C(0)->stats.ipi_failed, 1);
	assert_int_equal(C(0)->stats.ipi_host, 0);
}

static void test_no_send_ipi_op_counted(void **s)
{
	struct vapic_host_ops ops = fake_ops;
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;

	(void)s;
	ops.send_ipi = NULL;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	assert_int_equal(vapic_lapic_init(&l, &cfg, &ops, &vm.cpu[0]), 0);
	fake_sw_enable(&l);
	vapic_lapic_write(&l, VAPIC_REG_ICR_HI, 1U << 24);
	assert_int_equal(vapic_lapic_write(&l, VAPIC_REG_ICR_LO, 0x41), 0);
	assert_int_equal(l.stats.ipi_failed, 1);
	/* Self-IPIs need no host. */
	assert_int_equal(vapic_lapic_write(&l, VAPIC_REG_ICR_LO,
					   SH(VAPIC_SH_SELF) | 0x42),
			 VAPIC_LAPIC_ACT_POLL);
}

static void test_match_dest_excludes_sender_except_lowest(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_FIXED,
			       .shorthand = VAPIC_SH_ALL,
			       .vector = 0x40 };

	(void)s;
	m.src = C(0);
	assert_false(vapic_lapic_match_dest(C(0), &m));
	assert_true(vapic_lapic_match_dest(C(1), &m));
	m.delivery_mode = VAPIC_DM_LOWEST;
	assert_true(vapic_lapic_match_dest(C(0), &m));
	m.src = NULL; /* a device: no sender to exclude */
	m.delivery_mode = VAPIC_DM_FIXED;
	assert_true(vapic_lapic_match_dest(C(0), &m));
}

static void test_match_dest_disabled_target(void **s)
{
	struct vapic_ipi m = { .delivery_mode = VAPIC_DM_NMI,
			       .shorthand = VAPIC_SH_ALL };

	(void)s;
	vapic_lapic_wrmsr(C(1), VAPIC_MSR_APIC_BASE, 0xfee00000ULL);
	assert_false(vapic_lapic_match_dest(C(1), &m));
	assert_true(vapic_lapic_match_dest(C(2), &m));
}

static void test_lowest_priority_empty_set(void **s)
{
	(void)s;
	assert_null(vapic_lapic_lowest_priority(NULL, 0, 0x40));
}

/* ---------------------------------------------------------------------- */
/* MSI                                                                    */

static void test_msi_decode_physical(void **s)
{
	struct vapic_ipi m;

	(void)s;
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfee02000ULL, 0xc041), 0);
	assert_int_equal(m.dest, 2);
	assert_int_equal(m.logical, 0);
	assert_int_equal(m.vector, 0x41);
	assert_int_equal(m.delivery_mode, VAPIC_DM_FIXED);
	assert_int_equal(m.level, 1);
	assert_null(m.src);
	assert_true(vapic_lapic_match_dest(C(2), &m));
	assert_int_equal(vapic_lapic_receive(C(2), &m), 0);
	assert_true(fake_tmr(C(2), 0x41));
}

static void test_msi_redirection_hint_logical_is_lowest(void **s)
{
	struct vapic_ipi m;

	(void)s;
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfee0300cULL, 0x41), 0);
	assert_int_equal(m.logical, 1);
	assert_int_equal(m.dest, 3);
	assert_int_equal(m.delivery_mode, VAPIC_DM_LOWEST);
}

static void test_msi_rejects_bad_address_and_modes(void **s)
{
	struct vapic_ipi m;

	(void)s;
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfed00000ULL, 0x41),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_ipi_from_msi(&m, 0x1fee00000ULL, 0x41),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfee00000ULL, 0x341),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfee00000ULL, 0x641),
			 VAPIC_EINVAL);
	assert_int_equal(vapic_ipi_from_msi(&m, 0xfee00000ULL, 0x400), 0);
	assert_int_equal(m.delivery_mode, VAPIC_DM_NMI);
}

#define T(f) cmocka_unit_test_setup(f, setup)
#define T2(f) cmocka_unit_test_setup(f, setup_x2)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fixed_physical_to_other),
		T(test_fixed_physical_to_own_id_stays_in_core),
		T(test_fixed_physical_broadcast),
		T(test_shorthand_self),
		T(test_shorthand_all_including_self),
		T(test_shorthand_all_excluding_self),
		T(test_trigger_level_bit_sent_as_edge),
		T(test_logical_flat),
		T(test_logical_cluster),
		T(test_logical_broadcast),
		T2(test_x2apic_icr_physical),
		T2(test_x2apic_icr_physical_broadcast),
		T2(test_x2apic_icr_cluster_logical),
		T2(test_x2apic_self_ipi_register),
		T2(test_x2apic_self_ipi_sw_disabled_dropped),
		T2(test_x2apic_logical_message_skips_xapic_target),
		T(test_nmi),
		T(test_nmi_to_self_reports_event),
		T(test_smi),
		T(test_init_assert),
		T(test_init_level_deassert_sends_nothing),
		T(test_sipi_carries_vector),
		T(test_init_sipi_sequence_all_but_self),
		T(test_reserved_delivery_modes_not_sent),
		T(test_lowest_priority_picks_lowest_apr),
		T(test_lowest_priority_tie_goes_to_lowest_id),
		T(test_lowest_priority_focus_processor),
		T(test_fixed_illegal_vector_send_and_receive_errors),
		T(test_self_illegal_vector_sets_both_errors),
		T(test_nmi_vector_field_not_checked),
		T(test_send_ipi_failure_counted),
		T(test_no_send_ipi_op_counted),
		T(test_match_dest_excludes_sender_except_lowest),
		T(test_match_dest_disabled_target),
		T(test_lowest_priority_empty_set),
		T(test_msi_decode_physical),
		T(test_msi_redirection_hint_logical_is_lowest),
		T(test_msi_rejects_bad_address_and_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
