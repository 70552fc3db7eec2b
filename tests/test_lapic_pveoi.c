// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * KVM paravirtual EOI (MSR_KVM_PV_EOI_EN): the MSR's validation and
 * mapping, when the host sets the guest's flag before entry, what it does
 * after exit, explicit EOIs while the flag is set, hostile guests, INIT and
 * RESET, save/restore (and version 1 records).  No time is involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapic_fake.h"

/* Fake guest RAM: 4 pages at guest-physical 0x10000. */
#define RAM_GPA 0x10000ULL
#define RAM_SIZE 0x4000U
#define WORD_GPA (RAM_GPA + 0x100)

static _Alignas(64) unsigned char ram[RAM_SIZE];
static int maps, unmaps;
static bool map_fail;

static void *ram_map(void *host, uint64_t gpa, uint32_t len)
{
	(void)host;
	if (map_fail || gpa < RAM_GPA || gpa + len > RAM_GPA + RAM_SIZE)
		return NULL;
	maps++;
	return ram + (gpa - RAM_GPA);
}

static void ram_unmap(void *host, void *hva, uint32_t len)
{
	(void)host;
	(void)hva;
	(void)len;
	unmaps++;
}

static struct vapic_host_ops ops;
static struct fake_vm vm;

static struct vapic_lapic *L(void)
{
	return &vm.cpu[0].lapic;
}

static uint32_t *word(void)
{
	return (uint32_t *)(ram + (WORD_GPA - RAM_GPA));
}

static int init_with(uint32_t flags)
{
	struct vapic_lapic_config cfg;

	memset(ram, 0, sizeof(ram));
	maps = unmaps = 0;
	map_fail = false;
	if (fake_vm_init(&vm, 1, VAPIC_LAPIC_F_X2APIC | VAPIC_LAPIC_F_CMCI))
		return -1;
	ops = fake_ops;
	ops.map_guest = ram_map;
	ops.unmap_guest = ram_unmap;
	vapic_lapic_destroy(L());
	vapic_lapic_config_default(&cfg, 0, FAKE_TSC_KHZ);
	cfg.flags = flags | VAPIC_LAPIC_F_BSP;
	cfg.timer.advance_ns = 0;
	if (vapic_lapic_init(L(), &cfg, &ops, &vm.cpu[0]))
		return -1;
	if (vapic_fastpath_init(&vm.cpu[0].fp, L()))
		return -1;
	if (fake_to_x2apic(L()) < 0)
		return -1;
	fake_sw_enable(L());
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return init_with(VAPIC_LAPIC_F_X2APIC | VAPIC_LAPIC_F_CMCI |
			 VAPIC_LAPIC_F_PV_EOI);
}

static int teardown(void **state)
{
	(void)state;
	vapic_lapic_destroy(L());
	return 0;
}

static int wrmsr(uint64_t val)
{
	return vapic_lapic_wrmsr(L(), VAPIC_MSR_KVM_PV_EOI_EN, val);
}

static uint64_t rdmsr(void)
{
	uint64_t v = ~0ULL;

	assert_int_equal(vapic_lapic_rdmsr(L(), VAPIC_MSR_KVM_PV_EOI_EN, &v),
			 0);
	return v;
}

static void enable(void)
{
	assert_int_equal(wrmsr(WORD_GPA | 1), 0);
	assert_true(vapic_lapic_pv_eoi_enabled(L()));
}

/* Accept @v (edge or level) and inject it: IRR -> ISR. */
static void deliver(uint32_t v, bool level)
{
	assert_true(vapic_lapic_accept(L(), v,
				       level ? VAPIC_ACCEPT_LEVEL : 0) >= 0);
	assert_int_equal(fake_inject(L()), (int)v);
}

static int isr_count(void)
{
	int v, n = 0;

	for (v = 16; v < 256; v++)
		n += fake_isr(L(), (uint32_t)v);
	return n;
}

/* The guest's EOI path: test-and-clear bit 0; skip the EOI if it was set. */
static bool guest_eoi(void)
{
	if (*word() & VAPIC_PV_EOI_ENABLED) {
		*word() &= ~VAPIC_PV_EOI_ENABLED;
		return true;
	}
	assert_true(vapic_lapic_wrmsr(L(), VAPIC_MSR_X2APIC_EOI, 0) >= 0);
	return false;
}

/* ---------------------------------------------------------------------- */
/* The MSR                                                                */

static void test_msr_owned(void **s)
{
	(void)s;
	assert_true(vapic_lapic_msr_owned(VAPIC_MSR_KVM_PV_EOI_EN));
}

static void test_enable_maps_word_and_reads_back(void **s)
{
	(void)s;
	enable();
	assert_int_equal(rdmsr(), WORD_GPA | 1);
	assert_int_equal(maps, 1);
	assert_int_equal(L()->stats.pv_eoi_msr_writes, 1);
}

static void test_disable_unmaps_and_reads_back(void **s)
{
	(void)s;
	enable();
	assert_int_equal(wrmsr(0), 0);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
	assert_int_equal(unmaps, 1);
}

static void test_disabled_value_with_address_reads_back_unmapped(void **s)
{
	(void)s;
	assert_int_equal(wrmsr(WORD_GPA), 0);
	assert_int_equal(rdmsr(), WORD_GPA);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(maps, 0);
}

static void test_reenable_other_address_remaps_once(void **s)
{
	(void)s;
	enable();
	assert_int_equal(wrmsr((WORD_GPA + 8) | 1), 0);
	assert_int_equal(maps, 2);
	assert_int_equal(unmaps, 1);
	assert_int_equal(rdmsr(), (WORD_GPA + 8) | 1);
}

static void test_misaligned_address_is_gp(void **s)
{
	uint64_t gp = L()->stats.gp;

	(void)s;
	assert_int_equal(wrmsr((WORD_GPA + 2) | 1), VAPIC_ERSVD);
	assert_int_equal(wrmsr(WORD_GPA + 2), VAPIC_ERSVD);
	assert_int_equal(L()->stats.gp, gp + 2);
	assert_int_equal(rdmsr(), 0);
	assert_int_equal(maps, 0);
}

static void test_misaligned_write_keeps_previous_state(void **s)
{
	(void)s;
	enable();
	assert_int_equal(wrmsr((WORD_GPA + 6) | 1), VAPIC_ERSVD);
	assert_true(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), WORD_GPA | 1);
}

static void test_address_above_maxphyaddr_is_gp(void **s)
{
	(void)s;
	assert_int_equal(wrmsr((1ULL << 52) | WORD_GPA | 1), VAPIC_ERSVD);
	assert_int_equal(wrmsr(1ULL << 63), VAPIC_ERSVD);
	assert_int_equal(rdmsr(), 0);
}

static void test_unmappable_address_fails_and_stays_off(void **s)
{
	(void)s;
	assert_int_equal(wrmsr(0x100000ULL | 1), VAPIC_EFAULT);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
}

static void test_map_failure_fails_and_stays_off(void **s)
{
	(void)s;
	map_fail = true;
	assert_int_equal(wrmsr(WORD_GPA | 1), VAPIC_EFAULT);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
}

static void test_without_feature_msr_is_gp(void **s)
{
	uint64_t v;

	(void)s;
	assert_int_equal(init_with(VAPIC_LAPIC_F_X2APIC | VAPIC_LAPIC_F_CMCI),
			 0);
	assert_int_equal(wrmsr(WORD_GPA | 1), VAPIC_ERSVD);
	assert_int_equal(vapic_lapic_rdmsr(L(), VAPIC_MSR_KVM_PV_EOI_EN, &v),
			 VAPIC_ERSVD);
	assert_int_equal(maps, 0);
}

static void test_without_map_guest_enable_fails(void **s)
{
	(void)s;
	ops.map_guest = NULL;
	ops.unmap_guest = NULL;
	assert_int_equal(wrmsr(WORD_GPA | 1), VAPIC_EFAULT);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
}

static int fp_msr(uint32_t reason, uint64_t data, struct vapic_exit *e)
{
	memset(e, 0, sizeof(*e));
	e->reason = reason;
	e->msr = VAPIC_MSR_KVM_PV_EOI_EN;
	e->data = data;
	return vapic_fastpath_handle(&vm.cpu[0].fp, e);
}

static void test_fastpath_wrmsr_enables(void **s)
{
	struct vapic_exit e;

	(void)s;
	assert_int_not_equal(fp_msr(VAPIC_EXIT_WRMSR, WORD_GPA | 1, &e),
			     VAPIC_FP_SLOW);
	assert_false(e.actions & VAPIC_EXIT_ACT_GP);
	assert_true(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_not_equal(fp_msr(VAPIC_EXIT_RDMSR, 0, &e), VAPIC_FP_SLOW);
	assert_int_equal(e.data, WORD_GPA | 1);
}

static void test_fastpath_misaligned_is_gp(void **s)
{
	struct vapic_exit e;

	(void)s;
	fp_msr(VAPIC_EXIT_WRMSR, WORD_GPA | 2 | 1, &e);
	assert_true(e.actions & VAPIC_EXIT_ACT_GP);
}

static void test_fastpath_unmappable_is_gp(void **s)
{
	struct vapic_exit e;

	(void)s;
	fp_msr(VAPIC_EXIT_WRMSR, 0x100000ULL | 1, &e);
	assert_true(e.actions & VAPIC_EXIT_ACT_GP);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
}

/* ---------------------------------------------------------------------- */
/* Before entry: when the flag is set                                     */

static void test_flag_set_for_single_edge_vector_in_service(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word() & 1, 1);
	assert_int_equal(L()->stats.pv_eoi_set, 1);
}

static void test_flag_not_set_when_disabled(void **s)
{
	(void)s;
	deliver(0x41, false);
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

static void test_flag_not_set_with_nothing_in_service(void **s)
{
	(void)s;
	enable();
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

static void test_flag_not_set_with_irr_pending(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	/* Below PPR: stays in IRR. */
	assert_int_equal(vapic_lapic_accept(L(), 0x31, 0), 0);
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

static void test_flag_not_set_with_two_vectors_in_service(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x61, false);
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

static void test_flag_not_set_with_two_vectors_in_one_isr_word(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x5f, false);
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

static void test_flag_not_set_for_level_triggered_vector(void **s)
{
	(void)s;
	enable();
	deliver(0x41, true);
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0);
}

/* ---------------------------------------------------------------------- */
/* After exit                                                             */

static void test_guest_cleared_flag_host_eois_once(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(vapic_lapic_ppr(L()), 0x40);
	assert_true(guest_eoi());
	vapic_lapic_pv_eoi_after_exit(L());
	assert_false(fake_isr(L(), 0x41));
	assert_int_equal(vapic_lapic_ppr(L()), 0);
	assert_int_equal(L()->stats.eoi, 1);
	assert_int_equal(L()->stats.pv_eoi_skipped, 1);
	/* A second exit does nothing more. */
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_int_equal(L()->stats.eoi, 1);
}

static void test_guest_skip_reports_poll_when_irr_pending(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_true(guest_eoi());
	/* Arrives while the guest runs. */
	assert_int_equal(vapic_lapic_accept(L(), 0x31, 0), 0);
	assert_true(vapic_lapic_pv_eoi_after_exit(L()) & VAPIC_LAPIC_ACT_POLL);
	assert_int_equal(fake_inject(L()), 0x31);
}

static void test_guest_not_cleared_no_eoi_flag_cleared(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_true(fake_isr(L(), 0x41));
	assert_int_equal(*word() & 1, 0);
	assert_int_equal(L()->stats.eoi, 0);
	assert_int_equal(L()->stats.pv_eoi_unused, 1);
	/* The guest's later EOI goes through the register. */
	assert_false(guest_eoi());
	assert_false(fake_isr(L(), 0x41));
	assert_int_equal(L()->stats.eoi, 1);
}

static void test_flag_set_again_on_next_entry(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	vapic_lapic_pv_eoi_after_exit(L());
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word() & 1, 1);
	assert_int_equal(L()->stats.pv_eoi_set, 2);
}

static void test_explicit_eoi_while_flag_set_eois_once(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x61, false);
	(void)vapic_lapic_eoi(L()); /* 0x61 */
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	/* A guest that writes the register without looking at the flag;
	 * the host handles the write before its after-exit call. */
	assert_true(vapic_lapic_wrmsr(L(), VAPIC_MSR_X2APIC_EOI, 0) >= 0);
	assert_false(fake_isr(L(), 0x41));
	assert_int_equal(*word() & 1, 0);
	assert_int_equal(L()->stats.eoi, 2);
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_int_equal(L()->stats.eoi, 2);
}

static void test_skipped_then_explicit_eoi_eois_both(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x61, false);
	(void)vapic_lapic_eoi(L());
	deliver(0x71, false); /* ISR: 0x41, 0x71 */
	(void)vapic_lapic_eoi(L()); /* ISR: 0x41 */
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_true(guest_eoi());
	/* Write handled before the after-exit call: the skipped EOI first. */
	assert_true(vapic_lapic_wrmsr(L(), VAPIC_MSR_X2APIC_EOI, 0) >= 0);
	assert_int_equal(isr_count(), 0);
	assert_int_equal(L()->stats.pv_eoi_skipped, 1);
}

/* ---------------------------------------------------------------------- */
/* Hostile guests                                                         */

static void test_guest_set_flag_without_host_causes_no_eoi(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x61, false); /* two in service: host does not set it */
	assert_false(vapic_lapic_pv_eoi_before_entry(L()));
	*word() |= 1;
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	*word() &= ~1U;
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_int_equal(isr_count(), 2);
	assert_int_equal(L()->stats.eoi, 0);
}

static void test_guest_toggling_flag_gives_at_most_one_eoi(void **s)
{
	int i;

	(void)s;
	enable();
	deliver(0x41, false);
	deliver(0x51, false);
	(void)vapic_lapic_eoi(L()); /* ISR: 0x41 */
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	for (i = 0; i < 5; i++)
		*word() ^= 1;
	vapic_lapic_pv_eoi_after_exit(L()); /* ends cleared: one EOI */
	for (i = 0; i < 4; i++) {
		*word() ^= 1;
		vapic_lapic_pv_eoi_after_exit(L());
	}
	assert_int_equal(L()->stats.eoi, 2);
	assert_int_equal(isr_count(), 0);
}

static void test_guest_garbage_in_other_bits_is_ignored(void **s)
{
	(void)s;
	enable();
	*word() = 0xfffffffeU;
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(*word(), 0xffffffffU);
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_int_equal(*word(), 0xfffffffeU);
	assert_true(fake_isr(L(), 0x41));
}

static void test_disable_while_flag_pending_settles_it(void **s)
{
	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_true(guest_eoi());
	/* The guest disables PV EOI in the same run: the skip still counts. */
	assert_int_equal(wrmsr(0), 0);
	assert_false(fake_isr(L(), 0x41));
	assert_int_equal(vapic_lapic_pv_eoi_after_exit(L()), 0);
	assert_int_equal(L()->stats.eoi, 1);
}

/* ---------------------------------------------------------------------- */
/* INIT, RESET, destroy                                                   */

static void test_init_disables_pv_eoi(void **s)
{
	(void)s;
	enable();
	vapic_lapic_reset(L());
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
	assert_int_equal(unmaps, 1);
}

static void test_power_reset_disables_pv_eoi(void **s)
{
	(void)s;
	enable();
	vapic_lapic_power_reset(L());
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
	assert_int_equal(unmaps, 1);
}

static void test_destroy_unmaps(void **s)
{
	(void)s;
	enable();
	vapic_lapic_destroy(L());
	assert_int_equal(unmaps, 1);
	assert_int_equal(maps, 1);
}

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

static void fix_checksum(struct vapic_lapic_state *st)
{
	st->checksum = 0;
	st->checksum = vapic_checksum32(st, sizeof(*st));
}

static void test_save_restore_round_trip_with_pending(void **s)
{
	struct vapic_lapic_state st;

	(void)s;
	enable();
	deliver(0x41, false);
	assert_true(vapic_lapic_pv_eoi_before_entry(L()));
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	assert_int_equal(st.version, VAPIC_LAPIC_STATE_VERSION);
	assert_int_equal(st.pv_eoi_msr, WORD_GPA | 1);
	assert_int_equal(st.pv_eoi_flags, VAPIC_LAPIC_STATE_PV_EOI_PENDING);
	/* Somewhere else: a fresh LAPIC, the guest word migrated with RAM. */
	vapic_lapic_power_reset(L());
	assert_int_equal(vapic_lapic_restore(L(), &st), 0);
	assert_true(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), WORD_GPA | 1);
	assert_int_equal(*word() & 1, 1);
	/* The guest then skips its EOI: the restored host performs it. */
	assert_true(guest_eoi());
	vapic_lapic_pv_eoi_after_exit(L());
	assert_false(fake_isr(L(), 0x41));
	assert_int_equal(L()->stats.pv_eoi_skipped, 1);
}

static void test_save_restore_round_trip_without_pending(void **s)
{
	struct vapic_lapic_state st, st2;

	(void)s;
	enable();
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	assert_int_equal(st.pv_eoi_flags, 0);
	vapic_lapic_power_reset(L());
	assert_int_equal(vapic_lapic_restore(L(), &st), 0);
	assert_int_equal(vapic_lapic_save(L(), &st2), 0);
	assert_memory_equal(&st, &st2, sizeof(st));
}

static void test_restore_version1_record_leaves_pv_eoi_off(void **s)
{
	struct vapic_lapic_state st;

	(void)s;
	deliver(0x41, false);
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	st.version = VAPIC_LAPIC_STATE_VERSION_V1;
	fix_checksum(&st);
	enable();
	assert_int_equal(vapic_lapic_restore(L(), &st), 0);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_int_equal(rdmsr(), 0);
	assert_true(fake_isr(L(), 0x41));
}

static void test_restore_version1_with_pv_fields_refused(void **s)
{
	struct vapic_lapic_state st;

	(void)s;
	enable();
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	st.version = VAPIC_LAPIC_STATE_VERSION_V1;
	fix_checksum(&st);
	assert_int_equal(vapic_lapic_restore(L(), &st), VAPIC_ESTATE);
}

static void test_restore_refuses_bad_pv_eoi_fields(void **s)
{
	struct vapic_lapic_state st, bad;

	(void)s;
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	bad = st;
	bad.pv_eoi_msr = WORD_GPA | 2 | 1; /* misaligned */
	fix_checksum(&bad);
	assert_int_equal(vapic_lapic_restore(L(), &bad), VAPIC_ESTATE);
	bad = st;
	bad.pv_eoi_flags = VAPIC_LAPIC_STATE_PV_EOI_PENDING; /* not enabled */
	fix_checksum(&bad);
	assert_int_equal(vapic_lapic_restore(L(), &bad), VAPIC_ESTATE);
	bad = st;
	bad.pv_eoi_msr = WORD_GPA | 1;
	bad.pv_eoi_flags = 2;
	fix_checksum(&bad);
	assert_int_equal(vapic_lapic_restore(L(), &bad), VAPIC_ESTATE);
	assert_int_equal(maps, 0);
}

static void test_restore_unmappable_word_changes_nothing(void **s)
{
	struct vapic_lapic_state st;

	(void)s;
	enable();
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	assert_int_equal(wrmsr(0), 0);
	deliver(0x41, false);
	map_fail = true;
	assert_int_equal(vapic_lapic_restore(L(), &st), VAPIC_EFAULT);
	assert_false(vapic_lapic_pv_eoi_enabled(L()));
	assert_true(fake_isr(L(), 0x41));
}

static void test_restore_pv_eoi_without_feature_refused(void **s)
{
	struct vapic_lapic_state st;

	(void)s;
	enable();
	assert_int_equal(vapic_lapic_save(L(), &st), 0);
	assert_int_equal(init_with(VAPIC_LAPIC_F_X2APIC | VAPIC_LAPIC_F_CMCI),
			 0);
	assert_int_equal(vapic_lapic_restore(L(), &st), VAPIC_ESTATE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_msr_owned),
		T(test_enable_maps_word_and_reads_back),
		T(test_disable_unmaps_and_reads_back),
		T(test_disabled_value_with_address_reads_back_unmapped),
		T(test_reenable_other_address_remaps_once),
		T(test_misaligned_address_is_gp),
		T(test_misaligned_write_keeps_previous_state),
		T(test_address_above_maxphyaddr_is_gp),
		T(test_unmappable_address_fails_and_stays_off),
		T(test_map_failure_fails_and_stays_off),
		T(test_without_feature_msr_is_gp),
		T(test_without_map_guest_enable_fails),
		T(test_fastpath_wrmsr_enables),
		T(test_fastpath_misaligned_is_gp),
		T(test_fastpath_unmappable_is_gp),
		T(test_flag_set_for_single_edge_vector_in_service),
		T(test_flag_not_set_when_disabled),
		T(test_flag_not_set_with_nothing_in_service),
		T(test_flag_not_set_with_irr_pending),
		T(test_flag_not_set_with_two_vectors_in_service),
		T(test_flag_not_set_with_two_vectors_in_one_isr_word),
		T(test_flag_not_set_for_level_triggered_vector),
		T(test_guest_cleared_flag_host_eois_once),
		T(test_guest_skip_reports_poll_when_irr_pending),
		T(test_guest_not_cleared_no_eoi_flag_cleared),
		T(test_flag_set_again_on_next_entry),
		T(test_explicit_eoi_while_flag_set_eois_once),
		T(test_skipped_then_explicit_eoi_eois_both),
		T(test_guest_set_flag_without_host_causes_no_eoi),
		T(test_guest_toggling_flag_gives_at_most_one_eoi),
		T(test_guest_garbage_in_other_bits_is_ignored),
		T(test_disable_while_flag_pending_settles_it),
		T(test_init_disables_pv_eoi),
		T(test_power_reset_disables_pv_eoi),
		T(test_destroy_unmaps),
		T(test_save_restore_round_trip_with_pending),
		T(test_save_restore_round_trip_without_pending),
		T(test_restore_version1_record_leaves_pv_eoi_off),
		T(test_restore_version1_with_pv_fields_refused),
		T(test_restore_refuses_bad_pv_eoi_fields),
		T(test_restore_unmappable_word_changes_nothing),
		T(test_restore_pv_eoi_without_feature_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
