// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * LAPIC register file: power-on state, the xAPIC MMIO view (offsets,
 * sizes, alignment), the x2APIC MSR view (RsvdZ -> #GP, read-only and
 * write-only registers, absent registers), IA32_APIC_BASE transitions, ESR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapic_fake.h"

#define MSR(off) VAPIC_X2APIC_MSR(off)

static struct fake_vm vm;

static int setup(void **state)
{
	(void)state;
	return fake_vm_init(&vm, 2, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC);
}

static struct vapic_lapic *L0(void)
{
	return &vm.cpu[0].lapic;
}

static struct vapic_lapic *L1(void)
{
	return &vm.cpu[1].lapic;
}

static uint32_t rd(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(vapic_lapic_read(L0(), off, &v), 0);
	return v;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vapic_lapic_rdmsr(L0(), msr, &v), 0);
	return v;
}

static void x2(void)
{
	assert_int_equal(fake_to_x2apic(L0()), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_X2APIC);
}

/* ---------------------------------------------------------------------- */
/* Power-on state                                                         */

static void test_power_on_apic_base_bsp_enabled_xapic(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_apic_base(L0()), 0xfee00900ULL);
	assert_int_equal(vapic_lapic_apic_base(L1()), 0xfee00800ULL);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_XAPIC);
	assert_true(vapic_lapic_mmio_enabled(L0()));
}

static void test_power_on_registers(void **s)
{
	uint32_t off;

	(void)s;
	assert_int_equal(rd(VAPIC_REG_SVR), 0xff);
	assert_int_equal(rd(VAPIC_REG_DFR), 0xffffffffU);
	assert_int_equal(rd(VAPIC_REG_TPR), 0);
	assert_int_equal(rd(VAPIC_REG_LDR), 0);
	assert_int_equal(rd(VAPIC_REG_VERSION), VAPIC_VERSION_DEFAULT);
	assert_int_equal(rd(VAPIC_REG_ICR_LO), 0);
	for (off = VAPIC_REG_LVT_TIMER; off <= VAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(rd(off), VAPIC_LVT_MASKED);
	assert_int_equal(rd(VAPIC_REG_LVT_CMCI), VAPIC_LVT_MASKED);
	for (off = VAPIC_REG_ISR0; off < VAPIC_REG_IRR0 + 0x80; off += 16)
		assert_int_equal(rd(off), 0);
	assert_false(vapic_lapic_sw_enabled(L0()));
}

static void test_power_on_xapic_id_in_bits_31_24(void **s)
{
	(void)s;
	assert_int_equal(rd(VAPIC_REG_ID), 0);
	assert_int_equal(fake_reg(L1(), VAPIC_REG_ID), 1U << 24);
}

static void test_version_without_cmci_reports_six_lvts(void **s)
{
	struct fake_vm v2;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, 0), 0);
	assert_int_equal(fake_reg(&v2.cpu[0].lapic, VAPIC_REG_VERSION),
			 0x00050014U);
}

static void test_version_eoi_suppression_bit_only_if_advertised(void **s)
{
	struct fake_vm v2;

	(void)s;
	assert_int_equal(
		fake_vm_init(&v2, 1,
			     VAPIC_LAPIC_F_EOI_SUPPRESS | VAPIC_LAPIC_F_CMCI),
		0);
	assert_int_equal(fake_reg(&v2.cpu[0].lapic, VAPIC_REG_VERSION),
			 0x01060014U);
	assert_int_equal(rd(VAPIC_REG_VERSION) & VAPIC_VERSION_EOI_SUPPRESS, 0);
}

static void test_init_rejects_bad_config(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;

	(void)s;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.flags |= 0x100;
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]),
			 VAPIC_EINVAL);
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.maxphyaddr = 53;
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]),
			 VAPIC_ERANGE);
	cfg.maxphyaddr = 23;
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]),
			 VAPIC_ERANGE);
	assert_int_equal(vapic_lapic_init(NULL, &cfg, &fake_ops, &vm.cpu[0]),
			 VAPIC_EINVAL);
}

/* ---------------------------------------------------------------------- */
/* xAPIC view                                                             */

static void test_xapic_id_writable(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_ID, 0x07123456), 0);
	assert_int_equal(rd(VAPIC_REG_ID), 0x07000000U);
	assert_int_equal(vapic_lapic_id(L0()), 7);
}

static void test_xapic_tpr_keeps_bits_7_0(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_TPR, 0xabcd), 0);
	assert_int_equal(rd(VAPIC_REG_TPR), 0xcd);
}

static void test_xapic_tpr_lowered_asks_for_poll(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_TPR, 0x50), 0);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_TPR, 0x20),
			 VAPIC_LAPIC_ACT_POLL);
}

static void test_xapic_ldr_keeps_bits_31_24(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LDR, 0x12345678), 0);
	assert_int_equal(rd(VAPIC_REG_LDR), 0x12000000U);
}

static void test_xapic_dfr_model_bits_only(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_DFR, 0x0), 0);
	assert_int_equal(rd(VAPIC_REG_DFR), 0x0fffffffU);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_DFR, 0xf0000000), 0);
	assert_int_equal(rd(VAPIC_REG_DFR), 0xffffffffU);
}

static void test_xapic_svr_writable_bits(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_SVR, 0xffffffff), 0);
	/* Bit 12 needs EOI-broadcast suppression advertised. */
	assert_int_equal(rd(VAPIC_REG_SVR), 0x3ff);
	assert_true(vapic_lapic_sw_enabled(L0()));
}

static void test_xapic_svr_eoi_suppress_writable_when_advertised(void **s)
{
	struct fake_vm v2;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, VAPIC_LAPIC_F_EOI_SUPPRESS), 0);
	assert_int_equal(
		vapic_lapic_write(&v2.cpu[0].lapic, VAPIC_REG_SVR, 0x11ff), 0);
	assert_int_equal(fake_reg(&v2.cpu[0].lapic, VAPIC_REG_SVR), 0x11ff);
}

static void test_xapic_sw_disable_masks_every_lvt(void **s)
{
	uint32_t off;

	(void)s;
	fake_sw_enable(L0());
	for (off = VAPIC_REG_LVT_THERMAL; off <= VAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(vapic_lapic_write(L0(), off, 0x40), 0);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LVT_CMCI, 0x40), 0);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0x40), 0);
	assert_int_equal(rd(VAPIC_REG_LVT_LINT0), 0x40);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_SVR, 0xff), 0);
	for (off = VAPIC_REG_LVT_TIMER; off <= VAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(rd(off), 0x10040);
	assert_int_equal(rd(VAPIC_REG_LVT_CMCI), 0x10040);
}

static void test_xapic_lvt_mask_sticks_while_sw_disabled(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LVT_LINT0, 0x30), 0);
	assert_int_equal(rd(VAPIC_REG_LVT_LINT0), 0x10030);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0x30), 0);
	assert_int_equal(rd(VAPIC_REG_LVT_TIMER), 0x10030);
}

static void test_xapic_lvt_writable_bits_per_entry(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	/* LINT: vector, mode, polarity, trigger, mask; not status/rIRR. */
	vapic_lapic_write(L0(), VAPIC_REG_LVT_LINT1, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_LINT1), 0x1a7ff);
	/* Error: vector and mask only. */
	vapic_lapic_write(L0(), VAPIC_REG_LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_ERROR), 0x100ff);
	/* Thermal, PMC, CMCI: vector, delivery mode, mask. */
	vapic_lapic_write(L0(), VAPIC_REG_LVT_THERMAL, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_THERMAL), 0x107ff);
	vapic_lapic_write(L0(), VAPIC_REG_LVT_PMC, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_PMC), 0x107ff);
	vapic_lapic_write(L0(), VAPIC_REG_LVT_CMCI, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_CMCI), 0x107ff);
	/* Timer: vector, mask, mode (TSC-deadline exposed). */
	vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0xffffffff);
	assert_int_equal(rd(VAPIC_REG_LVT_TIMER), 0x700ff);
}

static void test_xapic_cmci_absent_without_flag(void **s)
{
	struct fake_vm v2;
	uint32_t v;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, 0), 0);
	assert_int_equal(
		vapic_lapic_read(&v2.cpu[0].lapic, VAPIC_REG_LVT_CMCI, &v),
		VAPIC_ENOENT);
	assert_int_equal(
		vapic_lapic_write(&v2.cpu[0].lapic, VAPIC_REG_LVT_CMCI, 0),
		VAPIC_ENOENT);
}

static void test_xapic_readonly_registers_ignore_writes(void **s)
{
	static const uint32_t ro[] = {
		VAPIC_REG_VERSION,    VAPIC_REG_APR,  VAPIC_REG_PPR,
		VAPIC_REG_TMCCT,      VAPIC_REG_ISR0, VAPIC_REG_TMR0 + 0x70,
		VAPIC_REG_IRR0 + 0x30
	};
	uint32_t before[7];
	size_t i;

	(void)s;
	for (i = 0; i < 7; i++)
		before[i] = rd(ro[i]);
	for (i = 0; i < 7; i++)
		assert_int_equal(vapic_lapic_write(L0(), ro[i], 0xffffffff), 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(rd(ro[i]), before[i]);
	assert_int_equal(fake_esr(L0()), 0);
}

static void test_xapic_eoi_read_is_illegal_register(void **s)
{
	uint32_t v = 1;

	(void)s;
	assert_int_equal(vapic_lapic_read(L0(), VAPIC_REG_EOI, &v),
			 VAPIC_ENOENT);
	assert_int_equal(v, 0);
	assert_int_equal(fake_esr(L0()), VAPIC_ESR_ILLEGAL_REGISTER);
}

static void test_xapic_reserved_offset_sets_esr(void **s)
{
	uint32_t v;

	(void)s;
	assert_int_equal(vapic_lapic_read(L0(), 0x040, &v), VAPIC_ENOENT);
	assert_int_equal(fake_esr(L0()), VAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(vapic_lapic_write(L0(), 0x3a0, 1), VAPIC_ENOENT);
	assert_int_equal(fake_esr(L0()), VAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(fake_esr(L0()), 0);
}

static void test_xapic_self_ipi_register_absent(void **s)
{
	uint32_t v;

	(void)s;
	assert_int_equal(vapic_lapic_read(L0(), VAPIC_REG_SELF_IPI, &v),
			 VAPIC_ENOENT);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_SELF_IPI, 0x40),
			 VAPIC_ENOENT);
}

static void test_xapic_misaligned_offset_is_illegal(void **s)
{
	uint32_t v;

	(void)s;
	assert_int_equal(vapic_lapic_read(L0(), VAPIC_REG_TPR + 4, &v),
			 VAPIC_ENOENT);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_TPR + 4, 0x10),
			 VAPIC_ENOENT);
	assert_int_equal(rd(VAPIC_REG_TPR), 0);
}

static void test_xapic_icr_hi_keeps_dest_bits(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_ICR_HI, 0x12345678),
			 0);
	assert_int_equal(rd(VAPIC_REG_ICR_HI), 0x12000000U);
}

static void test_xapic_icr_delivery_status_reads_idle(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	vm.route = false;
	vapic_lapic_write(L0(), VAPIC_REG_ICR_HI, 1U << 24);
	vapic_lapic_write(L0(), VAPIC_REG_ICR_LO, 0x000040f1 | 0x1000);
	assert_int_equal(rd(VAPIC_REG_ICR_LO), 0x000040f1);
}

static void test_xapic_esr_write_then_read(void **s)
{
	uint32_t v;

	(void)s;
	(void)vapic_lapic_read(L0(), 0x050, &v); /* reserved: error */
	/* Not visible before the write. */
	assert_int_equal(rd(VAPIC_REG_ESR), 0);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_ESR, 0x1234), 0);
	assert_int_equal(rd(VAPIC_REG_ESR), VAPIC_ESR_ILLEGAL_REGISTER);
	/* Stays until the next write, which latches the new (none). */
	assert_int_equal(rd(VAPIC_REG_ESR), VAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_ESR, 0), 0);
	assert_int_equal(rd(VAPIC_REG_ESR), 0);
}

static void test_xapic_error_lvt_raises_interrupt(void **s)
{
	uint32_t v;

	(void)s;
	fake_sw_enable(L0());
	vapic_lapic_write(L0(), VAPIC_REG_LVT_ERROR, 0xfe);
	(void)vapic_lapic_read(L0(), 0x050, &v);
	assert_true(fake_irr(L0(), 0xfe));
	assert_int_equal(L0()->stats.error_irqs, 1);
}

static void test_xapic_error_lvt_illegal_vector_no_loop(void **s)
{
	uint32_t v;

	(void)s;
	fake_sw_enable(L0());
	vapic_lapic_write(L0(), VAPIC_REG_LVT_ERROR, 0x05);
	(void)vapic_lapic_read(L0(), 0x050, &v);
	assert_int_equal(fake_esr(L0()), VAPIC_ESR_ILLEGAL_REGISTER |
						 VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(L0()->stats.error_irqs, 0);
}

static void test_xapic_timer_registers_wired(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	vapic_lapic_write(L0(), VAPIC_REG_TDCR, 0xb); /* divide by 1 */
	vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0xec);
	assert_true(vapic_lapic_write(L0(), VAPIC_REG_TMICT, 1000) >= 0);
	assert_int_equal(rd(VAPIC_REG_TMICT), 1000);
	assert_int_equal(rd(VAPIC_REG_TDCR), 0xb);
	vm.tsc += 400; /* 1 GHz bus, 1 GHz TSC */
	assert_int_equal(rd(VAPIC_REG_TMCCT), 600);
	assert_true(vm.cpu[0].armed);
}

static void test_xapic_timer_reserved_mode_stored_not_refused(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	assert_int_equal(vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0x600ec),
			 0);
	assert_int_equal(rd(VAPIC_REG_LVT_TIMER), 0x600ec);
}

/* ---------------------------------------------------------------------- */
/* MMIO page                                                              */

static void test_mmio_aligned_dword(void **s)
{
	uint64_t v;

	(void)s;
	assert_int_equal(vapic_lapic_mmio_write(L0(), VAPIC_REG_TPR, 4, 0x42),
			 0);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_TPR, 4, &v), 0);
	assert_int_equal(v, 0x42);
	assert_int_equal(L0()->stats.mmio_ignored, 0);
}

static void test_mmio_subdword_read_inside_register(void **s)
{
	uint64_t v;

	(void)s;
	assert_int_equal(
		vapic_lapic_mmio_read(L0(), VAPIC_REG_VERSION + 2, 1, &v), 0);
	assert_int_equal(v, 0x06);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_VERSION, 2, &v),
			 0);
	assert_int_equal(v, 0x0014);
	assert_int_equal(L0()->stats.mmio_ignored, 0);
}

static void test_mmio_read_bytes_4_to_15_are_zero(void **s)
{
	uint64_t v = 1;

	(void)s;
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_SVR + 4, 4, &v),
			 0);
	assert_int_equal(v, 0);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_SVR, 8, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(L0()->stats.mmio_ignored, 2);
}

static void test_mmio_read_crossing_slot_ignored(void **s)
{
	uint64_t v = 1;

	(void)s;
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_SVR + 14, 4, &v),
			 0);
	assert_int_equal(v, 0);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_SVR, 3, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(L0()->stats.mmio_ignored, 2);
}

static void test_mmio_narrow_or_misaligned_write_ignored(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_mmio_write(L0(), VAPIC_REG_TPR, 1, 0x42),
			 0);
	assert_int_equal(vapic_lapic_mmio_write(L0(), VAPIC_REG_TPR, 8, 0x42),
			 0);
	assert_int_equal(
		vapic_lapic_mmio_write(L0(), VAPIC_REG_TPR + 4, 4, 0x42), 0);
	assert_int_equal(rd(VAPIC_REG_TPR), 0);
	assert_int_equal(L0()->stats.mmio_ignored, 3);
	assert_int_equal(fake_esr(L0()), 0);
}

static void test_mmio_reserved_register_sets_esr(void **s)
{
	uint64_t v = 1;

	(void)s;
	assert_int_equal(vapic_lapic_mmio_read(L0(), 0x060, 4, &v),
			 VAPIC_ENOENT);
	assert_int_equal(v, 0);
	assert_int_equal(fake_esr(L0()), VAPIC_ESR_ILLEGAL_REGISTER);
}

static void test_mmio_all_ones_in_x2apic_mode(void **s)
{
	uint64_t v;

	(void)s;
	x2();
	assert_false(vapic_lapic_mmio_enabled(L0()));
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_ID, 4, &v),
			 VAPIC_ENOTSUP);
	assert_int_equal(v, 0xffffffffULL);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_ID, 2, &v),
			 VAPIC_ENOTSUP);
	assert_int_equal(v, 0xffff);
	assert_int_equal(vapic_lapic_mmio_write(L0(), VAPIC_REG_TPR, 4, 0x30),
			 VAPIC_ENOTSUP);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_TPR)), 0);
}

static void test_mmio_all_ones_when_disabled(void **s)
{
	uint64_t v;
	uint32_t v32;

	(void)s;
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), VAPIC_MSR_APIC_BASE, 0xfee00000ULL),
		VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mmio_read(L0(), VAPIC_REG_VERSION, 8, &v),
			 VAPIC_ENOTSUP);
	assert_int_equal(v, ~0ULL);
	assert_int_equal(vapic_lapic_read(L0(), VAPIC_REG_VERSION, &v32),
			 VAPIC_ENOTSUP);
	assert_int_equal(v32, 0xffffffffU);
}

static void test_mmio_match_follows_relocated_base(void **s)
{
	uint32_t off = 0;

	(void)s;
	assert_true(vapic_lapic_mmio_match(L0(), 0xfee000b0ULL, &off));
	assert_int_equal(off, 0xb0);
	assert_false(vapic_lapic_mmio_match(L0(), 0xfee01000ULL, &off));
	assert_false(vapic_lapic_mmio_match(L0(), 0xfedfffffULL, &off));
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), VAPIC_MSR_APIC_BASE, 0xfec00900ULL),
		VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mmio_base(L0()), 0xfec00000ULL);
	assert_false(vapic_lapic_mmio_match(L0(), 0xfee000b0ULL, &off));
	assert_true(vapic_lapic_mmio_match(L0(), 0xfec00ff0ULL, &off));
	assert_int_equal(off, 0xff0);
}

/* ---------------------------------------------------------------------- */
/* x2APIC view                                                            */

static void test_x2apic_msrs_gp_in_xapic_mode(void **s)
{
	uint64_t v = 5;

	(void)s;
	assert_int_equal(vapic_lapic_rdmsr(L0(), MSR(VAPIC_REG_ID), &v),
			 VAPIC_ERSVD);
	assert_int_equal(v, 0);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TPR), 0x10),
			 VAPIC_ERSVD);
	assert_int_equal(rd(VAPIC_REG_TPR), 0);
	assert_int_equal(L0()->stats.gp, 2);
}

static void test_x2apic_id_32bit_readonly(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;
	uint64_t v;

	(void)s;
	vapic_lapic_config_default(&cfg, 0x12345, FAKE_TSC_KHZ);
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]), 0);
	assert_int_equal(fake_reg(&l, VAPIC_REG_ID), 0x45000000U);
	assert_int_equal(fake_to_x2apic(&l), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_rdmsr(&l, MSR(VAPIC_REG_ID), &v), 0);
	assert_int_equal(v, 0x12345);
	assert_int_equal(vapic_lapic_wrmsr(&l, MSR(VAPIC_REG_ID), 0),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_id(&l), 0x12345);
}

static void test_x2apic_ldr_derived_from_id_readonly(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;
	uint64_t v;

	(void)s;
	vapic_lapic_config_default(&cfg, 0x23, FAKE_TSC_KHZ);
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]), 0);
	/* Written in xAPIC mode, replaced on the transition. */
	vapic_lapic_write(&l, VAPIC_REG_LDR, 0xff000000);
	assert_int_equal(fake_to_x2apic(&l), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_rdmsr(&l, MSR(VAPIC_REG_LDR), &v), 0);
	assert_int_equal(v, 0x00020008ULL); /* cluster 2, bit 3 */
	assert_int_equal(vapic_lapic_wrmsr(&l, MSR(VAPIC_REG_LDR), v),
			 VAPIC_ERSVD);
}

static void test_x2apic_readonly_registers_gp(void **s)
{
	static const uint32_t ro[] = {
		VAPIC_REG_ID,	       VAPIC_REG_VERSION, VAPIC_REG_PPR,
		VAPIC_REG_LDR,	       VAPIC_REG_ISR0,	  VAPIC_REG_TMR0 + 0x10,
		VAPIC_REG_IRR0 + 0x70, VAPIC_REG_TMCCT
	};
	size_t i;

	(void)s;
	x2();
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(ro[i]), 0),
				 VAPIC_ERSVD);
	assert_int_equal(L0()->stats.gp, sizeof(ro) / sizeof(ro[0]));
}

static void test_x2apic_write_only_registers_read_gp(void **s)
{
	uint64_t v;

	(void)s;
	x2();
	assert_int_equal(vapic_lapic_rdmsr(L0(), VAPIC_MSR_X2APIC_EOI, &v),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_rdmsr(L0(), VAPIC_MSR_X2APIC_SELF_IPI, &v),
			 VAPIC_ERSVD);
}

static void test_x2apic_absent_registers_gp(void **s)
{
	static const uint32_t absent[] = { VAPIC_REG_APR, VAPIC_REG_RRD,
					   VAPIC_REG_DFR, VAPIC_REG_ICR_HI };
	uint64_t v;
	size_t i;

	(void)s;
	x2();
	for (i = 0; i < 4; i++) {
		assert_int_equal(vapic_lapic_rdmsr(L0(), MSR(absent[i]), &v),
				 VAPIC_ERSVD);
		assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(absent[i]), 0),
				 VAPIC_ERSVD);
	}
}

static void test_x2apic_undefined_msrs_gp(void **s)
{
	static const uint32_t undef[] = { 0x800, 0x801, 0x804, 0x807, 0x829,
					  0x82e, 0x83a, 0x83d, 0x840, 0x8ff };
	uint64_t v;
	size_t i;

	(void)s;
	x2();
	for (i = 0; i < sizeof(undef) / sizeof(undef[0]); i++) {
		assert_int_equal(vapic_lapic_rdmsr(L0(), undef[i], &v),
				 VAPIC_ERSVD);
		assert_int_equal(vapic_lapic_wrmsr(L0(), undef[i], 0),
				 VAPIC_ERSVD);
	}
}

static void test_x2apic_cmci_absent_gp(void **s)
{
	struct fake_vm v2;
	uint64_t v;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, VAPIC_LAPIC_F_X2APIC), 0);
	assert_int_equal(fake_to_x2apic(&v2.cpu[0].lapic),
			 VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_rdmsr(&v2.cpu[0].lapic,
					   MSR(VAPIC_REG_LVT_CMCI), &v),
			 VAPIC_ERSVD);
}

static void test_x2apic_high_bits_reserved(void **s)
{
	(void)s;
	x2();
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_TMICT, 1ULL << 32),
		VAPIC_ERSVD);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_LINT0), 1ULL << 40),
		VAPIC_ERSVD);
	assert_int_equal(rdmsr(VAPIC_MSR_X2APIC_TMICT), 0);
}

static void test_x2apic_tpr_reserved_bits_gp(void **s)
{
	(void)s;
	x2();
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TPR), 0x100),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TPR), 0xff), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_TPR)), 0xff);
}

static void test_x2apic_eoi_nonzero_gp(void **s)
{
	(void)s;
	x2();
	fake_sw_enable(L0());
	assert_int_equal(vapic_lapic_accept(L0(), 0x40, 0), 0);
	assert_int_equal(fake_inject(L0()), 0x40);
	assert_int_equal(vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_EOI, 1),
			 VAPIC_ERSVD);
	assert_true(fake_isr(L0(), 0x40));
	assert_int_equal(vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_EOI, 0), 0);
	assert_false(fake_isr(L0(), 0x40));
}

static void test_x2apic_esr_nonzero_gp(void **s)
{
	(void)s;
	x2();
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_ESR), 1),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_ESR), 0), 0);
}

static void test_x2apic_esr_write_then_read(void **s)
{
	(void)s;
	x2();
	(void)vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_SELF_IPI, 3);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_ESR)), 0);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_ESR), 0), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_ESR)),
			 VAPIC_ESR_SEND_ILLEGAL_VECTOR |
				 VAPIC_ESR_RECV_ILLEGAL_VECTOR);
}

static void test_x2apic_svr_reserved_bits_gp(void **s)
{
	(void)s;
	x2();
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_SVR), 0x400),
			 VAPIC_ERSVD);
	/* Bit 12 without EOI-broadcast suppression advertised. */
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_SVR), 0x11ff),
			 VAPIC_ERSVD);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_SVR)), 0xff);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_SVR), 0x3ff), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_SVR)), 0x3ff);
}

static void test_x2apic_lvt_reserved_bits_gp(void **s)
{
	(void)s;
	x2();
	fake_sw_enable(L0());
	/* Error LVT has no delivery mode, polarity or trigger. */
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_ERROR), 0x4fe),
		VAPIC_ERSVD);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_THERMAL), 0x80fe),
		VAPIC_ERSVD);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_PMC), 0x20000),
		VAPIC_ERSVD);
	/* LINT: trigger and polarity are fine; read-only bits ignored. */
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_LINT0), 0xf7fe), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_LINT0)), 0xa7fe);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_ERROR), 0xfe), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_ERROR)), 0xfe);
}

static void test_x2apic_lvt_timer_strict(void **s)
{
	(void)s;
	x2();
	fake_sw_enable(L0());
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_TIMER), 0x600ec),
		VAPIC_ERSVD);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_TIMER), 0x800ec),
		VAPIC_ERSVD);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_TIMER)), 0x10000);
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_LVT_TIMER), 0x400ec), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_TIMER)), 0x400ec);
}

static void test_x2apic_tdcr_strict(void **s)
{
	(void)s;
	x2();
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TDCR), 0x4),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TDCR), 0xb), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_TDCR)), 0xb);
}

static void test_x2apic_self_ipi_reserved_bits_gp(void **s)
{
	(void)s;
	x2();
	fake_sw_enable(L0());
	assert_int_equal(
		vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_SELF_IPI, 0x140),
		VAPIC_ERSVD);
	assert_false(fake_irr(L0(), 0x40));
}

static void test_x2apic_icr_reserved_bits_gp(void **s)
{
	static const uint64_t bad[] = { 1U << 12, 1U << 13, 1U << 16,
					1U << 17, 1U << 20, 1U << 31 };
	size_t i;

	(void)s;
	x2();
	fake_sw_enable(L0());
	for (i = 0; i < 6; i++)
		assert_int_equal(vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_ICR,
						   0x40040 | bad[i]),
				 VAPIC_ERSVD);
	assert_int_equal(L0()->stats.ipi_sent, 0);
}

static void test_x2apic_icr_reads_64_bits(void **s)
{
	(void)s;
	x2();
	vm.route = false;
	assert_int_equal(vapic_lapic_wrmsr(L0(), VAPIC_MSR_X2APIC_ICR,
					   (5ULL << 32) | 0x40f1),
			 0);
	assert_int_equal(rdmsr(VAPIC_MSR_X2APIC_ICR), (5ULL << 32) | 0x40f1);
}

static void test_x2apic_reads_zero_extended(void **s)
{
	(void)s;
	x2();
	assert_int_equal(rdmsr(MSR(VAPIC_REG_VERSION)), VAPIC_VERSION_DEFAULT);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_SVR)), 0xff);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_CMCI)), 0x10000);
}

static void test_msr_not_owned_is_enoent(void **s)
{
	uint64_t v;

	(void)s;
	assert_false(vapic_lapic_msr_owned(0x10));
	assert_true(vapic_lapic_msr_owned(0x1b));
	assert_true(vapic_lapic_msr_owned(0x6e0));
	assert_true(vapic_lapic_msr_owned(0x8ff));
	assert_false(vapic_lapic_msr_owned(0x900));
	assert_int_equal(vapic_lapic_rdmsr(L0(), 0x10, &v), VAPIC_ENOENT);
	assert_int_equal(vapic_lapic_wrmsr(L0(), 0x900, 0), VAPIC_ENOENT);
}

static void test_tsc_deadline_msr_gp_when_not_exposed(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;
	uint64_t v;

	(void)s;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.timer.flags &= ~VAPIC_TIMER_F_TSC_DEADLINE;
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]), 0);
	assert_int_equal(vapic_lapic_rdmsr(&l, VAPIC_MSR_TSC_DEADLINE, &v),
			 VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_wrmsr(&l, VAPIC_MSR_TSC_DEADLINE, 5),
			 VAPIC_ERSVD);
}

static void test_cr8_maps_to_tpr_7_4(void **s)
{
	(void)s;
	assert_int_equal(vapic_lapic_set_cr8(L0(), 9), 0);
	assert_int_equal(rd(VAPIC_REG_TPR), 0x90);
	vapic_lapic_write(L0(), VAPIC_REG_TPR, 0x5f);
	assert_int_equal(vapic_lapic_cr8(L0()), 5);
	assert_int_equal(vapic_lapic_set_cr8(L0(), 2), VAPIC_LAPIC_ACT_POLL);
	assert_int_equal(vapic_lapic_set_cr8(L0(), 16), VAPIC_ERSVD);
	assert_int_equal(rd(VAPIC_REG_TPR), 0x20);
}

/* ---------------------------------------------------------------------- */
/* IA32_APIC_BASE                                                         */

static int wrbase(uint64_t v)
{
	return vapic_lapic_wrmsr(L0(), VAPIC_MSR_APIC_BASE, v);
}

static void test_apic_base_reserved_bits_gp(void **s)
{
	(void)s;
	assert_int_equal(wrbase(0xfee00900ULL | 0x1), VAPIC_ERSVD);
	assert_int_equal(wrbase(0xfee00900ULL | 0x200), VAPIC_ERSVD);
	assert_int_equal(wrbase(0xfee00900ULL | (1ULL << 52)), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_apic_base(L0()), 0xfee00900ULL);
}

static void test_apic_base_maxphyaddr_bounds_base(void **s)
{
	struct vapic_lapic_config cfg;
	struct vapic_lapic l;

	(void)s;
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.maxphyaddr = 36;
	assert_int_equal(vapic_lapic_init(&l, &cfg, &fake_ops, &vm.cpu[0]), 0);
	assert_int_equal(
		vapic_lapic_wrmsr(&l, VAPIC_MSR_APIC_BASE, 0x1000000800ULL),
		VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_wrmsr(&l, VAPIC_MSR_APIC_BASE,
					   0xffffff000ULL | 0x800),
			 VAPIC_LAPIC_ACT_BASE);
}

static void test_apic_base_extd_reserved_without_x2apic(void **s)
{
	struct fake_vm v2;

	(void)s;
	assert_int_equal(fake_vm_init(&v2, 1, VAPIC_LAPIC_F_CMCI), 0);
	assert_int_equal(fake_to_x2apic(&v2.cpu[0].lapic), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_mode(&v2.cpu[0].lapic), VAPIC_APIC_XAPIC);
}

static void test_apic_base_invalid_state_gp(void **s)
{
	(void)s;
	/* From xAPIC, from x2APIC, from disabled: EXTD=1, EN=0 refused. */
	assert_int_equal(wrbase(0xfee00400ULL), VAPIC_ERSVD);
	x2();
	assert_int_equal(wrbase(0xfee00400ULL), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_X2APIC);
	assert_int_equal(wrbase(0xfee00000ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(wrbase(0xfee00400ULL), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_DISABLED);
}

static void test_apic_base_x2apic_to_xapic_gp(void **s)
{
	(void)s;
	x2();
	assert_int_equal(wrbase(0xfee00900ULL), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_X2APIC);
}

static void test_apic_base_disabled_to_x2apic_gp(void **s)
{
	(void)s;
	assert_int_equal(wrbase(0xfee00100ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(wrbase(0xfee00d00ULL), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_DISABLED);
	assert_int_equal(wrbase(0xfee00900ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_XAPIC);
}

static void test_apic_base_x2apic_to_xapic_in_two_steps(void **s)
{
	(void)s;
	x2();
	assert_int_equal(wrbase(0xfee00100ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(wrbase(0xfee00900ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_XAPIC);
}

static void test_apic_base_xapic_to_x2apic_keeps_registers(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	vapic_lapic_write(L0(), VAPIC_REG_TPR, 0x30);
	vapic_lapic_write(L0(), VAPIC_REG_LVT_LINT0, 0x700);
	assert_int_equal(vapic_lapic_accept(L0(), 0x80, 0), 0);
	x2();
	assert_int_equal(rdmsr(MSR(VAPIC_REG_TPR)), 0x30);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_SVR)), 0x1ff);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LVT_LINT0)), 0x700);
	assert_true(fake_irr(L0(), 0x80));
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LDR)), 0x1); /* ID 0 */
}

static void test_apic_base_disable_resets_registers(void **s)
{
	uint32_t off;

	(void)s;
	fake_sw_enable(L0());
	vapic_lapic_write(L0(), VAPIC_REG_ID, 0x05000000);
	vapic_lapic_write(L0(), VAPIC_REG_TPR, 0x30);
	vapic_lapic_write(L0(), VAPIC_REG_LDR, 0x01000000);
	vapic_lapic_write(L0(), VAPIC_REG_DFR, 0);
	vapic_lapic_write(L0(), VAPIC_REG_LVT_TIMER, 0xec);
	vapic_lapic_write(L0(), VAPIC_REG_TMICT, 100000);
	assert_int_equal(vapic_lapic_accept(L0(), 0x80, VAPIC_ACCEPT_LEVEL), 0);
	assert_int_equal(fake_inject(L0()), 0x80);
	assert_int_equal(vapic_lapic_accept(L0(), 0x90, 0), 0);
	assert_true(vm.cpu[0].armed);
	assert_int_equal(wrbase(0xfee00100ULL), VAPIC_LAPIC_ACT_BASE);
	assert_false(vm.cpu[0].armed);
	assert_int_equal(wrbase(0xfee00900ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(rd(VAPIC_REG_ID), 0x05000000U); /* kept */
	assert_int_equal(rd(VAPIC_REG_TPR), 0);
	assert_int_equal(rd(VAPIC_REG_LDR), 0);
	assert_int_equal(rd(VAPIC_REG_DFR), 0xffffffffU);
	assert_int_equal(rd(VAPIC_REG_SVR), 0xff);
	assert_int_equal(rd(VAPIC_REG_TMICT), 0);
	for (off = VAPIC_REG_LVT_TIMER; off <= VAPIC_REG_LVT_ERROR; off += 16)
		assert_int_equal(rd(off), VAPIC_LVT_MASKED);
	for (off = VAPIC_REG_ISR0; off < VAPIC_REG_IRR0 + 0x80; off += 16)
		assert_int_equal(rd(off), 0);
}

static void test_apic_base_disabled_receives_nothing(void **s)
{
	struct vapic_ipi nmi = { .delivery_mode = VAPIC_DM_NMI };

	(void)s;
	assert_int_equal(wrbase(0xfee00100ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_accept(L0(), 0x80, 0), VAPIC_EBUSY);
	assert_int_equal(vapic_lapic_receive(L0(), &nmi), VAPIC_EBUSY);
	assert_false(vapic_lapic_match_dest(L0(), &nmi));
	assert_int_equal(vapic_lapic_pending_events(L0()), 0);
}

static void test_apic_base_disabled_x2apic_msrs_gp(void **s)
{
	uint64_t v;

	(void)s;
	x2();
	assert_int_equal(wrbase(0xfee00100ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_rdmsr(L0(), MSR(VAPIC_REG_ID), &v),
			 VAPIC_ERSVD);
}

static void test_apic_base_relocation_keeps_mode(void **s)
{
	(void)s;
	fake_sw_enable(L0());
	assert_int_equal(wrbase(0xfed00900ULL), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(rd(VAPIC_REG_SVR), 0x1ff);
	/* Same value again: nothing to re-map. */
	assert_int_equal(wrbase(0xfed00900ULL), 0);
}

static void test_apic_base_bsp_bit_writable(void **s)
{
	(void)s;
	assert_int_equal(wrbase(0xfee00800ULL), 0);
	assert_int_equal(vapic_lapic_apic_base(L0()), 0xfee00800ULL);
}

static void test_apic_base_host_may_enter_any_valid_state(void **s)
{
	(void)s;
	x2();
	assert_int_equal(vapic_lapic_set_apic_base(L0(), 0xfee00900ULL, true),
			 VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_XAPIC);
	assert_int_equal(vapic_lapic_set_apic_base(L0(), 0xfee00100ULL, true),
			 VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_set_apic_base(L0(), 0xfee00d00ULL, true),
			 VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_X2APIC);
	assert_int_equal(vapic_lapic_set_apic_base(L0(), 0xfee00500ULL, true),
			 VAPIC_ERSVD);
}

static void test_init_reset_keeps_mode_and_ids(void **s)
{
	(void)s;
	x2();
	fake_sw_enable(L0());
	vapic_lapic_wrmsr(L0(), MSR(VAPIC_REG_TPR), 0x40);
	vapic_lapic_reset(L0());
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_X2APIC);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_SVR)), 0xff);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_TPR)), 0);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_LDR)), 0x1);
	assert_int_equal(rdmsr(MSR(VAPIC_REG_ID)), 0);
}

static void test_power_reset_returns_to_xapic(void **s)
{
	(void)s;
	x2();
	vapic_lapic_power_reset(L0());
	assert_int_equal(vapic_lapic_mode(L0()), VAPIC_APIC_XAPIC);
	assert_int_equal(vapic_lapic_apic_base(L0()), 0xfee00900ULL);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_power_on_apic_base_bsp_enabled_xapic),
		T(test_power_on_registers),
		T(test_power_on_xapic_id_in_bits_31_24),
		T(test_version_without_cmci_reports_six_lvts),
		T(test_version_eoi_suppression_bit_only_if_advertised),
		T(test_init_rejects_bad_config),
		T(test_xapic_id_writable),
		T(test_xapic_tpr_keeps_bits_7_0),
		T(test_xapic_tpr_lowered_asks_for_poll),
		T(test_xapic_ldr_keeps_bits_31_24),
		T(test_xapic_dfr_model_bits_only),
		T(test_xapic_svr_writable_bits),
		T(test_xapic_svr_eoi_suppress_writable_when_advertised),
		T(test_xapic_sw_disable_masks_every_lvt),
		T(test_xapic_lvt_mask_sticks_while_sw_disabled),
		T(test_xapic_lvt_writable_bits_per_entry),
		T(test_xapic_cmci_absent_without_flag),
		T(test_xapic_readonly_registers_ignore_writes),
		T(test_xapic_eoi_read_is_illegal_register),
		T(test_xapic_reserved_offset_sets_esr),
		T(test_xapic_self_ipi_register_absent),
		T(test_xapic_misaligned_offset_is_illegal),
		T(test_xapic_icr_hi_keeps_dest_bits),
		T(test_xapic_icr_delivery_status_reads_idle),
		T(test_xapic_esr_write_then_read),
		T(test_xapic_error_lvt_raises_interrupt),
		T(test_xapic_error_lvt_illegal_vector_no_loop),
		T(test_xapic_timer_registers_wired),
		T(test_xapic_timer_reserved_mode_stored_not_refused),
		T(test_mmio_aligned_dword),
		T(test_mmio_subdword_read_inside_register),
		T(test_mmio_read_bytes_4_to_15_are_zero),
		T(test_mmio_read_crossing_slot_ignored),
		T(test_mmio_narrow_or_misaligned_write_ignored),
		T(test_mmio_reserved_register_sets_esr),
		T(test_mmio_all_ones_in_x2apic_mode),
		T(test_mmio_all_ones_when_disabled),
		T(test_mmio_match_follows_relocated_base),
		T(test_x2apic_msrs_gp_in_xapic_mode),
		T(test_x2apic_id_32bit_readonly),
		T(test_x2apic_ldr_derived_from_id_readonly),
		T(test_x2apic_readonly_registers_gp),
		T(test_x2apic_write_only_registers_read_gp),
		T(test_x2apic_absent_registers_gp),
		T(test_x2apic_undefined_msrs_gp),
		T(test_x2apic_cmci_absent_gp),
		T(test_x2apic_high_bits_reserved),
		T(test_x2apic_tpr_reserved_bits_gp),
		T(test_x2apic_eoi_nonzero_gp),
		T(test_x2apic_esr_nonzero_gp),
		T(test_x2apic_esr_write_then_read),
		T(test_x2apic_svr_reserved_bits_gp),
		T(test_x2apic_lvt_reserved_bits_gp),
		T(test_x2apic_lvt_timer_strict),
		T(test_x2apic_tdcr_strict),
		T(test_x2apic_self_ipi_reserved_bits_gp),
		T(test_x2apic_icr_reserved_bits_gp),
		T(test_x2apic_icr_reads_64_bits),
		T(test_x2apic_reads_zero_extended),
		T(test_msr_not_owned_is_enoent),
		T(test_tsc_deadline_msr_gp_when_not_exposed),
		T(test_cr8_maps_to_tpr_7_4),
		T(test_apic_base_reserved_bits_gp),
		T(test_apic_base_maxphyaddr_bounds_base),
		T(test_apic_base_extd_reserved_without_x2apic),
		T(test_apic_base_invalid_state_gp),
		T(test_apic_base_x2apic_to_xapic_gp),
		T(test_apic_base_disabled_to_x2apic_gp),
		T(test_apic_base_x2apic_to_xapic_in_two_steps),
		T(test_apic_base_xapic_to_x2apic_keeps_registers),
		T(test_apic_base_disable_resets_registers),
		T(test_apic_base_disabled_receives_nothing),
		T(test_apic_base_disabled_x2apic_msrs_gp),
		T(test_apic_base_relocation_keeps_mode),
		T(test_apic_base_bsp_bit_writable),
		T(test_apic_base_host_may_enter_any_valid_state),
		T(test_init_reset_keeps_mode_and_ids),
		T(test_power_reset_returns_to_xapic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
