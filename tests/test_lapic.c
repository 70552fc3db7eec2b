// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the LAPIC register file basics (include/vapic/lapic.h,
 * libvapic/lapic.c): reset state, acceptance, priority, EOI, ESR, SVR, LVT
 * writable bits, illegal registers.  Intel SDM vol. 3A, "Local APIC State
 * After Power-Up or Reset", "Local Vector Table", "Error Handling",
 * "Interrupt, Task, and Processor Priority", "Spurious Interrupt".
 */
#include "vtest.h"

struct lfx {
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	struct vapic_lapic *l;
};

/* Manual LAPIC: the test is the vCPU thread. */
static void setup_cfg(struct lfx *f, uint32_t n, uint32_t lapic_flags)
{
	struct vclock_config cfg;
	uint32_t i;

	vclock_config_default(&cfg, n);
	cfg.lapic.flags = lapic_flags;
	f->vm = vt_vm_cfg(&cfg);
	for (i = 0; i < n; i++)
		f->vm->vcpus[i].auto_enter = false;
	f->v = &f->vm->vcpus[0];
	f->l = &f->v->lapic;
}

static void setup(struct lfx *f)
{
	setup_cfg(f, 1, VAPIC_LAPIC_F_CMCI);
}

static void teardown(struct lfx *f)
{
	vt_vm_destroy(f->vm);
}

static uint32_t rd(struct lfx *f, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(vapic_lapic_read(f->l, off, &v), 0);
	return v;
}

static void wr(struct lfx *f, uint32_t off, uint32_t val)
{
	assert_true(vapic_lapic_write(f->l, off, val) >= 0);
}

/* ESR as the guest sees it: write, then read. */
static uint32_t esr(struct lfx *f)
{
	wr(f, VAPIC_REG_ESR, 0);
	return rd(f, VAPIC_REG_ESR);
}

static bool irr_bit(struct lfx *f, uint32_t vec)
{
	return rd(f, VAPIC_REG_IRR0 + (vec >> 5) * 0x10) & (1U << (vec & 31));
}

static bool isr_bit(struct lfx *f, uint32_t vec)
{
	return rd(f, VAPIC_REG_ISR0 + (vec >> 5) * 0x10) & (1U << (vec & 31));
}

static bool tmr_bit(struct lfx *f, uint32_t vec)
{
	return rd(f, VAPIC_REG_TMR0 + (vec >> 5) * 0x10) & (1U << (vec & 31));
}

/* Poll; returns the vector to inject or -1. */
static int next_vector(struct lfx *f)
{
	uint32_t vec = 0;
	uint64_t wait = 0;
	int r = vapic_lapic_poll(f->l, &vec, &wait);

	assert_int_not_equal(r, VAPIC_LAPIC_WAIT);
	return r == VAPIC_LAPIC_INJECT ? (int)vec : -1;
}

/* Poll and inject the next vector; returns it or -1. */
static int take(struct lfx *f)
{
	int v = next_vector(f);

	if (v >= 0)
		assert_int_equal(vapic_lapic_injected(f->l, (uint32_t)v), 0);
	return v;
}

static const uint32_t lvt_regs[] = {
	VAPIC_REG_LVT_CMCI,  VAPIC_REG_LVT_TIMER, VAPIC_REG_LVT_THERMAL,
	VAPIC_REG_LVT_PMC,   VAPIC_REG_LVT_LINT0, VAPIC_REG_LVT_LINT1,
	VAPIC_REG_LVT_ERROR,
};
#define NLVT (sizeof(lvt_regs) / sizeof(lvt_regs[0]))

/* ---------------------------------------------------------------------- */
/* Reset state                                                            */

static void check_reset_values(struct lfx *f, uint32_t id)
{
	uint32_t i;

	assert_int_equal(rd(f, VAPIC_REG_ID), id << 24);
	assert_int_equal(rd(f, VAPIC_REG_VERSION), VAPIC_VERSION_DEFAULT);
	assert_int_equal(rd(f, VAPIC_REG_TPR), 0);
	assert_int_equal(rd(f, VAPIC_REG_APR), 0);
	assert_int_equal(rd(f, VAPIC_REG_PPR), 0);
	assert_int_equal(rd(f, VAPIC_REG_LDR), 0);
	assert_int_equal(rd(f, VAPIC_REG_DFR), 0xffffffff);
	assert_int_equal(rd(f, VAPIC_REG_SVR), 0xff);
	assert_int_equal(rd(f, VAPIC_REG_ESR), 0);
	assert_int_equal(rd(f, VAPIC_REG_ICR_LO), 0);
	assert_int_equal(rd(f, VAPIC_REG_ICR_HI), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(rd(f, VAPIC_REG_ISR0 + i * 0x10), 0);
		assert_int_equal(rd(f, VAPIC_REG_TMR0 + i * 0x10), 0);
		assert_int_equal(rd(f, VAPIC_REG_IRR0 + i * 0x10), 0);
	}
	for (i = 0; i < NLVT; i++)
		assert_int_equal(rd(f, lvt_regs[i]), VAPIC_LVT_MASKED);
	assert_int_equal(rd(f, VAPIC_REG_TMICT), 0);
	assert_int_equal(rd(f, VAPIC_REG_TMCCT), 0);
	assert_int_equal(rd(f, VAPIC_REG_TDCR), 0);
	assert_int_equal(vapic_lapic_read_tsc_deadline(f->l), 0);
	assert_false(vapic_lapic_sw_enabled(f->l));
	assert_false(vclock_timer_armed(f->v, NULL));
}

static void power_up_state_matches_sdm(void **state)
{
	struct lfx f;

	setup_cfg(&f, 3, VAPIC_LAPIC_F_CMCI);
	f.v = &f.vm->vcpus[2];
	f.l = &f.v->lapic;
	check_reset_values(&f, 2);
	/* Reading the registers raised no error. */
	assert_int_equal(esr(&f), 0);
	teardown(&f);
}

static void version_without_cmci_reports_six_lvts(void **state)
{
	struct lfx f;
	uint32_t v;

	setup_cfg(&f, 1, 0);
	assert_int_equal(rd(&f, VAPIC_REG_VERSION), 0x00050014);
	assert_int_equal(vapic_lapic_read(f.l, VAPIC_REG_LVT_CMCI, &v),
			 VAPIC_ENOENT);
	assert_int_equal(v, 0);
	assert_int_equal(vapic_lapic_write(f.l, VAPIC_REG_LVT_CMCI, 0x30),
			 VAPIC_ENOENT);
	assert_int_equal(esr(&f), VAPIC_ESR_ILLEGAL_REGISTER);
	teardown(&f);
}

static void init_reset_keeps_apic_id_clears_the_rest(void **state)
{
	struct lfx f;
	uint32_t i;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_ID, 0x07000000);
	wr(&f, VAPIC_REG_TPR, 0x20);
	wr(&f, VAPIC_REG_LDR, 0x01000000);
	wr(&f, VAPIC_REG_DFR, 0x0fffffff);
	wr(&f, VAPIC_REG_ICR_HI, 0x03000000);
	for (i = 0; i < NLVT; i++)
		wr(&f, lvt_regs[i], 0x40 + i);
	wr(&f, VAPIC_REG_TDCR, 0xb);
	wr(&f, VAPIC_REG_TMICT, 1000000);
	vapic_lapic_accept(f.l, 0x80, VAPIC_ACCEPT_LEVEL);
	vapic_lapic_accept(f.l, 0x90, 0);
	assert_int_equal(take(&f), 0x90);
	vapic_lapic_accept(f.l, 3, 0); /* an error pending in ESR */
	vapic_lapic_reset(f.l);
	check_reset_values(&f, 7);
	assert_int_equal(esr(&f), 0);
	teardown(&f);
}

static void init_rejects_bad_config_untouched(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vapic_lapic_config c;
	static struct vapic_lapic l, pattern;

	memset(&pattern, 0x3c, sizeof(pattern));
	l = pattern;
	vapic_lapic_config_default(&c, 1, 2500000);
	assert_int_equal(
		vapic_lapic_init(NULL, &c, &vclock_host_ops, vm->vcpus),
		VAPIC_EINVAL);
	assert_int_equal(
		vapic_lapic_init(&l, NULL, &vclock_host_ops, vm->vcpus),
		VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_init(&l, &c, NULL, vm->vcpus),
			 VAPIC_EINVAL);
	c.flags = ~VAPIC_LAPIC_F_ALL;
	assert_int_equal(vapic_lapic_init(&l, &c, &vclock_host_ops, vm->vcpus),
			 VAPIC_EINVAL);
	vapic_lapic_config_default(&c, 1, 2500000);
	c.timer.bus_khz = 0;
	assert_int_equal(vapic_lapic_init(&l, &c, &vclock_host_ops, vm->vcpus),
			 VAPIC_ERANGE);
	assert_memory_equal(&l, &pattern, sizeof(l));
	vclock_vm_destroy(vm);
}

static void config_default_values(void **state)
{
	struct vapic_lapic_config c;

	memset(&c, 0xff, sizeof(c));
	vapic_lapic_config_default(&c, 9, 3000000);
	assert_int_equal(c.apic_id, 9);
	assert_int_equal(c.flags, VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC);
	assert_int_equal(c.timer.guest_tsc_khz, 3000000);
	assert_int_equal(c.timer.bus_khz, VAPIC_BUS_KHZ_DEFAULT);
}

/* ---------------------------------------------------------------------- */
/* Acceptance                                                             */

static void accept_sets_irr_and_kicks(void **state)
{
	struct lfx f;

	setup(&f);
	vt_enable(f.v);
	assert_int_equal(vapic_lapic_accept(f.l, 0x31, 0), 0);
	assert_true(irr_bit(&f, 0x31));
	assert_false(irr_bit(&f, 0x30));
	assert_int_equal(f.v->stats.kicks, 1);
	assert_int_equal(f.l->stats.accepted, 1);
	teardown(&f);
}

static void accept_of_pending_vector_merges(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	assert_int_equal(vapic_lapic_accept(f.l, 0x31, 0), 0);
	assert_int_equal(vapic_lapic_accept(f.l, 0x31, 0), 1);
	assert_int_equal(vapic_lapic_accept(f.l, 0x31, 0), 1);
	assert_int_equal(f.l->stats.merged, 2);
	assert_int_equal(f.v->stats.kicks, 1);
	/* One interrupt, not three. */
	assert_int_equal(take(&f), 0x31);
	assert_int_equal(take(&f), -1);
	teardown(&f);
}

static void accept_level_sets_tmr_edge_clears_it(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(f.l, 0x44, VAPIC_ACCEPT_LEVEL);
	assert_true(tmr_bit(&f, 0x44));
	assert_int_equal(take(&f), 0x44);
	wr(&f, VAPIC_REG_EOI, 0);
	vapic_lapic_accept(f.l, 0x44, 0);
	assert_false(tmr_bit(&f, 0x44));
	teardown(&f);
}

static void accept_rejects_illegal_and_out_of_range_vectors(void **state)
{
	struct lfx f;
	uint32_t v;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	for (v = 0; v < VAPIC_VECTOR_MIN_LEGAL; v++) {
		assert_int_equal(vapic_lapic_accept(f.l, v, 0), VAPIC_ERSVD);
		assert_false(irr_bit(&f, v));
	}
	assert_int_equal(f.l->stats.illegal_vector, 16);
	assert_int_equal(esr(&f), VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	assert_int_equal(vapic_lapic_accept(f.l, 256, 0), VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_accept(f.l, 0xffffffff, 0), VAPIC_EINVAL);
	assert_int_equal(esr(&f), 0);
	assert_int_equal(take(&f), -1);
	assert_int_equal(vapic_lapic_accept(f.l, 16, 0), 0);
	assert_int_equal(take(&f), 16);
	teardown(&f);
}

static void irr_isr_registers_map_vectors_to_bits(void **state)
{
	static const uint32_t vecs[] = { 0x10, 0x1f, 0x20, 0x3f, 0x80, 0xff };
	struct lfx f;
	size_t i;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	for (i = 0; i < 6; i++)
		vapic_lapic_accept(f.l, vecs[i], 0);
	assert_int_equal(rd(&f, VAPIC_REG_IRR0), 0x80010000U);
	assert_int_equal(rd(&f, VAPIC_REG_IRR0 + 0x10), 0x80000001U);
	assert_int_equal(rd(&f, VAPIC_REG_IRR0 + 0x40), 0x00000001U);
	assert_int_equal(rd(&f, VAPIC_REG_IRR0 + 0x70), 0x80000000U);
	assert_int_equal(take(&f), 0xff);
	assert_int_equal(rd(&f, VAPIC_REG_ISR0 + 0x70), 0x80000000U);
	assert_int_equal(rd(&f, VAPIC_REG_IRR0 + 0x70), 0);
	assert_true(isr_bit(&f, 0xff));
	teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Priority, EOI                                                          */

static void poll_returns_highest_pending_vector(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(f.l, 0x31, 0);
	vapic_lapic_accept(f.l, 0x52, 0);
	vapic_lapic_accept(f.l, 0x45, 0);
	assert_int_equal(next_vector(&f), 0x52);
	/* Polling does not consume: still 0x52 until injected. */
	assert_int_equal(next_vector(&f), 0x52);
	assert_int_equal(vapic_lapic_injected(f.l, 0x52), 0);
	assert_false(irr_bit(&f, 0x52));
	assert_true(isr_bit(&f, 0x52));
	/* 0x45 and 0x31 are of lower classes than the one in service. */
	assert_int_equal(next_vector(&f), -1);
	teardown(&f);
}

static void tpr_blocks_same_or_lower_priority_class(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_TPR, 0x50);
	vapic_lapic_accept(f.l, 0x5f, 0);
	vapic_lapic_accept(f.l, 0x42, 0);
	assert_int_equal(next_vector(&f), -1);
	wr(&f, VAPIC_REG_TPR, 0x4f); /* class 4: 0x5f deliverable */
	assert_int_equal(take(&f), 0x5f);
	wr(&f, VAPIC_REG_EOI, 0);
	assert_int_equal(next_vector(&f), -1); /* 0x42 is class 4 */
	vapic_lapic_accept(f.l, 0x60, 0);
	wr(&f, VAPIC_REG_TPR, 0x5f);
	assert_int_equal(take(&f), 0x60);
	wr(&f, VAPIC_REG_EOI, 0);
	wr(&f, VAPIC_REG_TPR, 0);
	assert_int_equal(take(&f), 0x42);
	teardown(&f);
}

static void ppr_is_tpr_or_isr_class(void **state)
{
	static const struct {
		uint32_t tpr;
		int isrv; /* -1: none */
		uint32_t ppr;
	} cases[] = {
		{ 0x00, -1, 0x00 },   { 0x32, -1, 0x32 },
		{ 0x32, 0x52, 0x50 }, { 0x7a, 0x52, 0x7a },
		{ 0x55, 0x52, 0x55 }, { 0x5f, 0x5a, 0x5f },
		{ 0x4f, 0x5a, 0x50 }, { 0x00, 0xff, 0xf0 },
		{ 0xff, 0x20, 0xff },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lfx f;

		setup(&f);
		wr(&f, VAPIC_REG_SVR, 0x1ff);
		if (cases[i].isrv >= 0) {
			vapic_lapic_accept(f.l, (uint32_t)cases[i].isrv, 0);
			assert_int_equal(take(&f), cases[i].isrv);
		}
		wr(&f, VAPIC_REG_TPR, cases[i].tpr);
		assert_int_equal(rd(&f, VAPIC_REG_PPR), cases[i].ppr);
		assert_int_equal(vapic_lapic_ppr(f.l), cases[i].ppr);
		teardown(&f);
	}
}

static void higher_class_nests_and_eoi_clears_highest_isr(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(f.l, 0x52, 0);
	assert_int_equal(take(&f), 0x52);
	vapic_lapic_accept(f.l, 0x55, 0); /* same class: waits */
	vapic_lapic_accept(f.l, 0x61, 0); /* higher class: nests */
	assert_int_equal(take(&f), 0x61);
	assert_int_equal(rd(&f, VAPIC_REG_PPR), 0x60);
	wr(&f, VAPIC_REG_EOI, 0);
	assert_false(isr_bit(&f, 0x61));
	assert_true(isr_bit(&f, 0x52));
	assert_int_equal(rd(&f, VAPIC_REG_PPR), 0x50);
	assert_int_equal(next_vector(&f), -1);
	wr(&f, VAPIC_REG_EOI, 0);
	assert_false(isr_bit(&f, 0x52));
	assert_int_equal(rd(&f, VAPIC_REG_PPR), 0);
	assert_int_equal(take(&f), 0x55);
	assert_int_equal(f.l->stats.eoi, 2);
	assert_int_equal(f.l->stats.injected, 3);
	teardown(&f);
}

static void eoi_with_nothing_in_service_is_ignored(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(f.l, 0x40, 0);
	assert_int_equal(vapic_lapic_write(f.l, VAPIC_REG_EOI, 0), 0);
	assert_int_equal(f.l->stats.eoi, 0);
	assert_true(irr_bit(&f, 0x40)); /* EOI does not touch IRR */
	assert_int_equal(esr(&f), 0);
	teardown(&f);
}

static void injected_requires_a_pending_vector(void **state)
{
	struct lfx f;

	setup(&f);
	assert_int_equal(vapic_lapic_injected(f.l, 0x40), VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_injected(f.l, 256), VAPIC_EINVAL);
	assert_false(isr_bit(&f, 0x40));
	assert_int_equal(f.l->stats.injected, 0);
	teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* ESR, errors                                                            */

static void esr_write_then_read_semantics(void **state)
{
	struct lfx f;
	uint32_t v;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	assert_int_equal(vapic_lapic_read(f.l, 0x3a0, &v), VAPIC_ENOENT);
	/* Not visible until the guest writes the ESR. */
	assert_int_equal(rd(&f, VAPIC_REG_ESR), 0);
	wr(&f, VAPIC_REG_ESR, 0);
	assert_int_equal(rd(&f, VAPIC_REG_ESR), VAPIC_ESR_ILLEGAL_REGISTER);
	/* Reading again does not clear; the next write latches anew. */
	assert_int_equal(rd(&f, VAPIC_REG_ESR), VAPIC_ESR_ILLEGAL_REGISTER);
	wr(&f, VAPIC_REG_ESR, 0xffffffff); /* the value written is ignored */
	assert_int_equal(rd(&f, VAPIC_REG_ESR), 0);
	/* Errors between two writes accumulate. */
	vapic_lapic_accept(f.l, 1, 0);
	vapic_lapic_write(f.l, 0x2a0, 0);
	assert_int_equal(rd(&f, VAPIC_REG_ESR), 0);
	assert_int_equal(esr(&f), VAPIC_ESR_RECV_ILLEGAL_VECTOR |
					  VAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(esr(&f), 0);
	teardown(&f);
}

static void
illegal_vector_raises_lvt_error_interrupt_when_unmasked(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	/* Masked (reset value): the error is only recorded. */
	vapic_lapic_accept(f.l, 2, 0);
	assert_int_equal(next_vector(&f), -1);
	assert_int_equal(f.l->stats.error_irqs, 0);
	wr(&f, VAPIC_REG_LVT_ERROR, 0xe0);
	vapic_lapic_accept(f.l, 2, 0);
	assert_true(irr_bit(&f, 0xe0));
	assert_int_equal(take(&f), 0xe0);
	assert_int_equal(f.l->stats.error_irqs, 1);
	assert_int_equal(esr(&f), VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	teardown(&f);
}

static void illegal_register_raises_lvt_error_interrupt(void **state)
{
	struct lfx f;
	uint32_t v;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_LVT_ERROR, 0xe1);
	assert_int_equal(vapic_lapic_read(f.l, 0x400, &v), VAPIC_ENOENT);
	assert_int_equal(take(&f), 0xe1);
	teardown(&f);
}

static void lvt_error_with_illegal_vector_only_records(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_LVT_ERROR, 0x05);
	vapic_lapic_read(f.l, 0x3b0, &(uint32_t){ 0 });
	assert_int_equal(next_vector(&f), -1);
	assert_int_equal(esr(&f), VAPIC_ESR_ILLEGAL_REGISTER |
					  VAPIC_ESR_RECV_ILLEGAL_VECTOR);
	teardown(&f);
}

static void illegal_register_offsets_set_esr_bit7(void **state)
{
	static const uint32_t bad[] = {
		0x000,	    0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2e0,
		0x3a0,	    0x3b0, 0x3c0, 0x3d0, 0x3f0, 0x400, 0xff0, 0x1000,
		0xfffffff0, 0x021, 0x024, 0x028, 0x02c, 0x0b4, 0x32f,
	};
	struct lfx f;
	size_t i;

	setup(&f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 0x12345678;

		if (vapic_lapic_read(f.l, bad[i], &v) != VAPIC_ENOENT)
			fail_msg("read of 0x%x accepted", bad[i]);
		assert_int_equal(v, 0);
		assert_int_equal(esr(&f), VAPIC_ESR_ILLEGAL_REGISTER);
		if (vapic_lapic_write(f.l, bad[i], 0x30) != VAPIC_ENOENT)
			fail_msg("write of 0x%x accepted", bad[i]);
		assert_int_equal(esr(&f), VAPIC_ESR_ILLEGAL_REGISTER);
	}
	/* EOI is write-only: reading it is illegal. */
	assert_int_equal(vapic_lapic_read(f.l, VAPIC_REG_EOI, &(uint32_t){ 1 }),
			 VAPIC_ENOENT);
	assert_int_equal(esr(&f), VAPIC_ESR_ILLEGAL_REGISTER);
	teardown(&f);
}

static void read_only_registers_ignore_writes(void **state)
{
	static const uint32_t ro[] = {
		VAPIC_REG_VERSION,     VAPIC_REG_APR,
		VAPIC_REG_PPR,	       VAPIC_REG_RRD,
		VAPIC_REG_TMCCT,       VAPIC_REG_ISR0,
		VAPIC_REG_ISR0 + 0x70, VAPIC_REG_TMR0,
		VAPIC_REG_TMR0 + 0x70, VAPIC_REG_IRR0,
		VAPIC_REG_IRR0 + 0x70,
	};
	struct lfx f;
	size_t i;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vapic_lapic_accept(f.l, 0xfe, 0);
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = rd(&f, ro[i]);

		assert_int_equal(vapic_lapic_write(f.l, ro[i], 0xffffffff), 0);
		assert_int_equal(rd(&f, ro[i]), before);
	}
	assert_int_equal(esr(&f), 0);
	assert_int_equal(take(&f), 0xfe);
	teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* SVR, LVT, other registers                                              */

static void svr_software_disable_masks_all_lvts_and_keeps_them(void **state)
{
	struct lfx f;
	uint32_t i;

	setup(&f);
	/* While disabled from reset, unmasking is ignored. */
	for (i = 0; i < NLVT; i++) {
		wr(&f, lvt_regs[i], 0x40);
		assert_int_equal(rd(&f, lvt_regs[i]), VAPIC_LVT_MASKED | 0x40);
	}
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	for (i = 0; i < NLVT; i++) {
		assert_int_equal(rd(&f, lvt_regs[i]), VAPIC_LVT_MASKED | 0x40);
		wr(&f, lvt_regs[i], 0x50);
		assert_int_equal(rd(&f, lvt_regs[i]), 0x50);
	}
	wr(&f, VAPIC_REG_SVR, 0x0ff);
	assert_false(vapic_lapic_sw_enabled(f.l));
	for (i = 0; i < NLVT; i++) {
		assert_int_equal(rd(&f, lvt_regs[i]), VAPIC_LVT_MASKED | 0x50);
		wr(&f, lvt_regs[i], 0x51);
		assert_int_equal(rd(&f, lvt_regs[i]), VAPIC_LVT_MASKED | 0x51);
	}
	/* Re-enabling does not unmask. */
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	for (i = 0; i < NLVT; i++)
		assert_int_equal(rd(&f, lvt_regs[i]), VAPIC_LVT_MASKED | 0x51);
	teardown(&f);
}

static void svr_software_disable_stops_timer_interrupts(void **state)
{
	struct lfx f;

	setup(&f);
	f.v->auto_enter = true;
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	vclock_write(f.v, VAPIC_REG_TDCR, 0xb);
	vclock_write(f.v, VAPIC_REG_LVT_TIMER, 0x20040);
	vclock_write(f.v, VAPIC_REG_TMICT, 1000000);
	vclock_advance(f.vm, 3500000);
	assert_int_equal(f.vm->log_len, 3);
	vclock_write(f.v, VAPIC_REG_SVR, 0xff);
	vclock_advance(f.vm, 10000000);
	assert_int_equal(f.vm->log_len, 3);
	assert_false(vclock_timer_armed(f.v, NULL));
	teardown(&f);
}

static void svr_writable_bits(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0xffffffff);
	/* Vector, APIC enable, focus disable; no EOI-broadcast suppression
	 * (version bit 24 is clear). */
	assert_int_equal(rd(&f, VAPIC_REG_SVR), 0x3ff);
	assert_true(vapic_lapic_sw_enabled(f.l));
	wr(&f, VAPIC_REG_SVR, 0x0f);
	assert_int_equal(rd(&f, VAPIC_REG_SVR), 0x0f);
	assert_false(vapic_lapic_sw_enabled(f.l));
	teardown(&f);
}

static void lvt_writable_bits_per_entry(void **state)
{
	static const struct {
		uint32_t reg, bits;
	} lvts[] = {
		{ VAPIC_REG_LVT_CMCI, 0x000107ff },
		{ VAPIC_REG_LVT_TIMER, 0x000700ff },
		{ VAPIC_REG_LVT_THERMAL, 0x000107ff },
		{ VAPIC_REG_LVT_PMC, 0x000107ff },
		{ VAPIC_REG_LVT_LINT0, 0x0001a7ff },
		{ VAPIC_REG_LVT_LINT1, 0x0001a7ff },
		{ VAPIC_REG_LVT_ERROR, 0x000100ff },
	};
	struct lfx f;
	size_t i;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	for (i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++) {
		wr(&f, lvts[i].reg, 0xffffffff);
		if (rd(&f, lvts[i].reg) != lvts[i].bits)
			fail_msg("LVT 0x%x: 0x%x, want 0x%x", lvts[i].reg,
				 rd(&f, lvts[i].reg), lvts[i].bits);
		/* Delivery status (bit 12) and remote IRR (bit 14) are RO. */
		wr(&f, lvts[i].reg, 0x5000 | 0x40);
		assert_int_equal(rd(&f, lvts[i].reg) & 0x5000, 0);
		wr(&f, lvts[i].reg, 0);
		assert_int_equal(rd(&f, lvts[i].reg), 0);
	}
	assert_int_equal(esr(&f), 0);
	teardown(&f);
}

static void id_tpr_ldr_dfr_icr_write_masks(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_ID, 0xffffffff);
	assert_int_equal(rd(&f, VAPIC_REG_ID), 0xff000000);
	wr(&f, VAPIC_REG_TPR, 0x1ff);
	assert_int_equal(rd(&f, VAPIC_REG_TPR), 0xff);
	wr(&f, VAPIC_REG_LDR, 0xffffffff);
	assert_int_equal(rd(&f, VAPIC_REG_LDR), 0xff000000);
	wr(&f, VAPIC_REG_DFR, 0);
	assert_int_equal(rd(&f, VAPIC_REG_DFR), 0x0fffffff);
	wr(&f, VAPIC_REG_DFR, 0xffffffff);
	assert_int_equal(rd(&f, VAPIC_REG_DFR), 0xffffffff);
	wr(&f, VAPIC_REG_ICR_HI, 0xffffffff);
	assert_int_equal(rd(&f, VAPIC_REG_ICR_HI), 0xff000000);
	teardown(&f);
}

/* ---------------------------------------------------------------------- */
/* The timer through the LAPIC                                            */

static void timer_registers_route_to_the_timer(void **state)
{
	struct lfx f;
	uint64_t dl;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_TDCR, 0xb);
	wr(&f, VAPIC_REG_LVT_TIMER, 0x20040);
	wr(&f, VAPIC_REG_TMICT, 1000000);
	assert_int_equal(rd(&f, VAPIC_REG_TDCR), 0xb);
	assert_int_equal(rd(&f, VAPIC_REG_LVT_TIMER), 0x20040);
	assert_int_equal(rd(&f, VAPIC_REG_TMICT), 1000000);
	vclock_advance(f.vm, 250000);
	assert_int_equal(rd(&f, VAPIC_REG_TMCCT), 750000);
	assert_int_equal(vapic_timer_read_tmcct(&f.l->timer), 750000);
	wr(&f, VAPIC_REG_LVT_TIMER, 0x40041);
	assert_int_equal(rd(&f, VAPIC_REG_TMICT), 0);
	dl = vclock_guest_tsc(f.v) + 1000;
	assert_int_equal(vapic_lapic_write_tsc_deadline(f.l, dl), 0);
	assert_int_equal(vapic_lapic_read_tsc_deadline(f.l), dl);
	assert_int_equal(vapic_timer_read_tsc_deadline(&f.l->timer), dl);
	teardown(&f);
}

static void poll_passes_the_timer_wait_through(void **state)
{
	struct lfx f;
	uint32_t vec = 0;
	uint64_t wait = 0;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_LVT_TIMER, 0x40041);
	vapic_lapic_write_tsc_deadline(f.l, vclock_guest_tsc(f.v) + 250000);
	vclock_advance(f.vm, 99000); /* host timer: 1 us advance */
	assert_int_equal(vapic_lapic_poll(f.l, &vec, &wait), VAPIC_LAPIC_WAIT);
	assert_int_equal(wait, 1000);
	vclock_advance(f.vm, wait);
	assert_int_equal(vapic_lapic_poll(f.l, &vec, &wait),
			 VAPIC_LAPIC_INJECT);
	assert_int_equal(vec, 0x41);
	assert_int_equal(vapic_lapic_injected(f.l, vec), 0);
	assert_true(isr_bit(&f, 0x41));
	teardown(&f);
}

static void timer_tick_respects_priority(void **state)
{
	struct lfx f;

	setup(&f);
	wr(&f, VAPIC_REG_SVR, 0x1ff);
	wr(&f, VAPIC_REG_TPR, 0x40);
	wr(&f, VAPIC_REG_LVT_TIMER, 0x40041);
	assert_int_equal(vapic_lapic_write_tsc_deadline(f.l, 1),
			 VAPIC_TIMER_DUE);
	/* Pending in IRR, blocked by TPR. */
	assert_int_equal(next_vector(&f), -1);
	assert_true(irr_bit(&f, 0x41));
	wr(&f, VAPIC_REG_TPR, 0x30);
	assert_int_equal(take(&f), 0x41);
	teardown(&f);
}

static void accept_on_another_vcpu_kicks_and_delivers_there(void **state)
{
	struct lfx f;
	uint32_t i;

	setup_cfg(&f, 3, VAPIC_LAPIC_F_CMCI);
	for (i = 0; i < 3; i++) {
		f.vm->vcpus[i].auto_enter = true;
		vt_enable(&f.vm->vcpus[i]);
	}
	assert_int_equal(vapic_lapic_accept(&f.vm->vcpus[2].lapic, 0x77, 0), 0);
	assert_int_equal(f.vm->vcpus[2].stats.kicks, 1);
	assert_int_equal(f.vm->vcpus[0].stats.kicks, 0);
	vclock_settle(f.vm);
	assert_int_equal(f.vm->log_len, 1);
	assert_int_equal(f.vm->log[0].vcpu, 2);
	assert_int_equal(f.vm->log[0].vector, 0x77);
	assert_int_equal(f.vm->log[0].flags, 0);
	teardown(&f);
}

static void stats_descriptors_cover_every_counter(void **state)
{
	uint32_t i, j, words = 0;

	for (i = 0; i < vapic_lapic_stat_ndescs; i++) {
		const struct vapic_stat_desc *d = &vapic_lapic_stat_descs[i];

		assert_int_equal(strncmp(d->name, "lapic_", 6), 0);
		assert_true(d->offset + 8 * d->count <=
			    sizeof(struct vapic_lapic_stats));
		for (j = 0; j < i; j++)
			assert_string_not_equal(d->name,
						vapic_lapic_stat_descs[j].name);
		words += d->count;
	}
	assert_int_equal(words * 8, sizeof(struct vapic_lapic_stats));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(power_up_state_matches_sdm),
		cmocka_unit_test(version_without_cmci_reports_six_lvts),
		cmocka_unit_test(init_reset_keeps_apic_id_clears_the_rest),
		cmocka_unit_test(init_rejects_bad_config_untouched),
		cmocka_unit_test(config_default_values),
		cmocka_unit_test(accept_sets_irr_and_kicks),
		cmocka_unit_test(accept_of_pending_vector_merges),
		cmocka_unit_test(accept_level_sets_tmr_edge_clears_it),
		cmocka_unit_test(
			accept_rejects_illegal_and_out_of_range_vectors),
		cmocka_unit_test(irr_isr_registers_map_vectors_to_bits),
		cmocka_unit_test(poll_returns_highest_pending_vector),
		cmocka_unit_test(tpr_blocks_same_or_lower_priority_class),
		cmocka_unit_test(ppr_is_tpr_or_isr_class),
		cmocka_unit_test(higher_class_nests_and_eoi_clears_highest_isr),
		cmocka_unit_test(eoi_with_nothing_in_service_is_ignored),
		cmocka_unit_test(injected_requires_a_pending_vector),
		cmocka_unit_test(esr_write_then_read_semantics),
		cmocka_unit_test(
			illegal_vector_raises_lvt_error_interrupt_when_unmasked),
		cmocka_unit_test(illegal_register_raises_lvt_error_interrupt),
		cmocka_unit_test(lvt_error_with_illegal_vector_only_records),
		cmocka_unit_test(illegal_register_offsets_set_esr_bit7),
		cmocka_unit_test(read_only_registers_ignore_writes),
		cmocka_unit_test(
			svr_software_disable_masks_all_lvts_and_keeps_them),
		cmocka_unit_test(svr_software_disable_stops_timer_interrupts),
		cmocka_unit_test(svr_writable_bits),
		cmocka_unit_test(lvt_writable_bits_per_entry),
		cmocka_unit_test(id_tpr_ldr_dfr_icr_write_masks),
		cmocka_unit_test(timer_registers_route_to_the_timer),
		cmocka_unit_test(poll_passes_the_timer_wait_through),
		cmocka_unit_test(timer_tick_respects_priority),
		cmocka_unit_test(
			accept_on_another_vcpu_kicks_and_delivers_there),
		cmocka_unit_test(stats_descriptors_cover_every_counter),
	};

	return cmocka_run_group_tests_name("lapic", tests, NULL, NULL);
}
