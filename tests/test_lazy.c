// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of lazy TSC-deadline (include/vapic/lazy.h, libvapic/lazy.c,
 * libvapic/lazy_guest.c, the hooks in libvapic/timer.c) on the virtual
 * clock.  Rule numbers (G1.., R1.., H1..) are docs/lazy-tscdeadline.md's.
 *
 * The guest is simulated by the test: it owns a block of vclock's guest RAM,
 * calls the library's own guest decision function (the code a real guest
 * runs) and, when that says so, performs the WRMSR exit.  The guest TSC
 * runs at 1 GHz (one TSC cycle per ns) so deadlines read as times.
 */
#include "vtest.h"

#include <stdlib.h>

#include <vapic/lazy.h>

#define VEC 0x40U
#define LVTT_TSCD (0x40000U | VEC) /* TSC-deadline mode, vector 0x40 */
#define KHZ 1000000U
#define PAGE_GPA 0x2000ULL
#define US 1000ULL
#define MS 1000000ULL

/* ---------------------------------------------------------------------- */
/* Fixture                                                                */

struct lfx {
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	struct vapic_timer *t;
	struct vapic_lazy_config lc;
	struct vapic_lazy_page *pg;
	uint64_t exits; /* guest WRMSRs of IA32_TSC_DEADLINE */
};

enum { DEFERRED = 0, POSTED = 1 };

static void lsetup_cfg(struct lfx *f, int mode, int32_t advance_ns,
		       uint64_t min_period_ns, bool enable)
{
	struct vclock_config cfg;

	memset(f, 0, sizeof(*f));
	vclock_config_default(&cfg, 1);
	cfg.host_tsc_khz = KHZ;
	cfg.lapic.timer.guest_tsc_khz = KHZ;
	cfg.lapic.timer.advance_ns = advance_ns;
	cfg.lapic.timer.min_period_ns = min_period_ns;
	if (mode == POSTED)
		cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	f->vm = vt_vm_cfg(&cfg);
	f->v = vclock_vcpu(f->vm, 0);
	f->t = &f->v->lapic.timer;
	if (mode == POSTED) {
		f->v->post_enabled = true;
		f->v->timer_pinned = false; /* the callback runs on CPU 0 */
		f->v->cpu = 1;
	}
	vt_enable(f->v);
	assert_int_equal(vapic_lapic_write(&f->v->lapic, VAPIC_REG_LVT_TIMER,
					   LVTT_TSCD),
			 0);
	vapic_lazy_config_default(&f->lc);
	assert_int_equal(vapic_lazy_setup(f->t, &f->lc), 0);
	f->pg = (struct vapic_lazy_page *)(f->vm->mem + PAGE_GPA);
	vapic_lazy_guest_page_init(f->pg);
	if (enable)
		assert_int_equal(vapic_lazy_write_msr(
					 f->t, vapic_lazy_guest_msr_value(PAGE_GPA)),
				 0);
}

static void lsetup(struct lfx *f, int mode)
{
	lsetup_cfg(f, mode, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, true);
}

static void lteardown(struct lfx *f)
{
	vt_vm_destroy(f->vm);
}

static uint64_t now_tsc(const struct lfx *f)
{
	return vclock_guest_tsc(f->v);
}

/* Move virtual time forward by @ns. */
static void run(struct lfx *f, uint64_t ns)
{
	assert_int_equal(vclock_advance(f->vm, ns), 0);
}

/* Run until the guest TSC reaches @tsc. */
static void run_to(struct lfx *f, uint64_t tsc)
{
	assert_int_equal(
		vclock_run_until(f->vm, vclock_ns_for_guest_tsc(f->v, tsc)), 0);
}

/* The simulated guest's set_next_event(): G1-G4, then the exit if asked. */
static bool gset(struct lfx *f, uint64_t d)
{
	bool trap = vapic_lazy_guest_set_deadline(f->pg, d);

	if (trap) {
		f->exits++;
		assert_true(vclock_wrmsr_tsc_deadline(f->v, d) >= 0);
	}
	return trap;
}

/* @d through the MSR (nothing armed, or earlier), then later @p waits in
 * "pending" without an exit. */
static void exit_then_pending(struct lfx *f, uint64_t d, uint64_t p)
{
	assert_true(gset(f, d));
	assert_false(gset(f, p));
}

static uint64_t armed(const struct lfx *f)
{
	return f->pg->armed; /* x86 hosts: little-endian */
}

static struct vapic_lazy_stats lstats(const struct lfx *f)
{
	struct vapic_lazy_stats s;

	vapic_lazy_get_stats(f->t, &s);
	return s;
}

static size_t ndeliv(const struct lfx *f)
{
	return vclock_log_count(f->vm, 0, VEC);
}

/* Run to guest TSC @tsc: exactly one tick came, at @tsc. */
static void delivered_once_at(struct lfx *f, uint64_t tsc)
{
	run_to(f, tsc);
	assert_int_equal(ndeliv(f), 1);
	assert_int_equal(f->vm->log[0].guest_tsc, tsc);
}

/* ---------------------------------------------------------------------- */
/* ABI and discovery                                                      */

static void abi_page_layout_is_fixed(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vapic_lazy_page), 64);
	assert_int_equal(offsetof(struct vapic_lazy_page, armed), 0);
	assert_int_equal(offsetof(struct vapic_lazy_page, pending), 8);
	assert_int_equal(offsetof(struct vapic_lazy_page, version), 16);
	assert_int_equal(VAPIC_LAZY_MSR_GPA_MASK & 0x3f, 0);
	assert_int_equal(VAPIC_LAZY_MSR_RSVD_MASK, 0x3e);
}

static void abi_default_msr_outside_kvm_range(void **state)
{
	(void)state;
	assert_false(VAPIC_LAZY_MSR_DEFAULT >= 0x4b564d00U &&
		     VAPIC_LAZY_MSR_DEFAULT <= 0x4b564dffU);
	assert_false(VAPIC_LAZY_MSR_DEFAULT >= 0x40000000U &&
		     VAPIC_LAZY_MSR_DEFAULT <= 0x400002ffU);
}

static void cpuid_reports_signature_and_features(void **state)
{
	struct vapic_lazy_config c;
	uint32_t r[4] = { 0 };
	char sig[13];

	(void)state;
	vapic_lazy_config_default(&c);
	assert_true(vapic_lazy_cpuid(&c, 0x40000200, r));
	assert_int_equal(r[0], 0x40000201);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	assert_string_equal(sig, "LibVapic_PV_");
	assert_true(vapic_lazy_cpuid(&c, 0x40000201, r));
	assert_int_equal(r[0], VAPIC_PV_F_LAZY_TSCDEADLINE);
	assert_int_equal(r[1], VAPIC_LAZY_MSR_DEFAULT);
	assert_int_equal(r[2], VAPIC_LAZY_VERSION);
	assert_int_equal(r[3], 0);
}

static void cpuid_other_leaves_untouched(void **state)
{
	struct vapic_lazy_config c;
	uint32_t r[4] = { 1, 2, 3, 4 };

	(void)state;
	vapic_lazy_config_default(&c);
	assert_false(vapic_lazy_cpuid(&c, 0x40000000, r));
	assert_false(vapic_lazy_cpuid(&c, 0x40000202, r));
	assert_false(vapic_lazy_cpuid(&c, 1, r));
	assert_int_equal(r[0], 1);
	assert_int_equal(r[3], 4);
}

/* A fake CPUID for the guest probe: KVM at 0x40000000, us where asked. */
struct fake_cpuid {
	struct vapic_lazy_config c;
	bool present;
	uint32_t features;
	uint32_t calls;
};

static void fake_cpuid_fn(void *ctx, uint32_t leaf, uint32_t regs[4])
{
	struct fake_cpuid *fc = ctx;

	fc->calls++;
	memset(regs, 0, 4 * sizeof(uint32_t));
	if (leaf == 0x40000000) {
		regs[0] = 0x40000001;
		regs[1] = 0x4b4d564b; /* "KVMKVMKVM" */
		regs[2] = 0x564b4d56;
		regs[3] = 0x4d;
		return;
	}
	if (fc->present && vapic_lazy_cpuid(&fc->c, leaf, regs)) {
		if (leaf == fc->c.cpuid_base + 1)
			regs[0] = fc->features;
	}
}

static void guest_probe_finds_default_leaves(void **state)
{
	struct fake_cpuid fc = { .present = true,
				 .features = VAPIC_PV_F_LAZY_TSCDEADLINE };
	struct vapic_lazy_guest_info info;

	(void)state;
	vapic_lazy_config_default(&fc.c);
	assert_int_equal(vapic_lazy_guest_probe(fake_cpuid_fn, &fc, &info), 0);
	assert_int_equal(info.cpuid_base, VAPIC_PV_CPUID_BASE_DEFAULT);
	assert_int_equal(info.msr_index, VAPIC_LAZY_MSR_DEFAULT);
	assert_int_equal(info.version, VAPIC_LAZY_VERSION);
}

static void guest_probe_finds_configured_base_and_msr(void **state)
{
	struct fake_cpuid fc = { .present = true,
				 .features = VAPIC_PV_F_LAZY_TSCDEADLINE };
	struct vapic_lazy_guest_info info;

	(void)state;
	fc.c.cpuid_base = 0x40001000;
	fc.c.msr_index = 0x4000ff10;
	assert_int_equal(vapic_lazy_guest_probe(fake_cpuid_fn, &fc, &info), 0);
	assert_int_equal(info.cpuid_base, 0x40001000);
	assert_int_equal(info.msr_index, 0x4000ff10);
}

static void guest_probe_without_signature_fails(void **state)
{
	struct fake_cpuid fc = { .present = false };
	struct vapic_lazy_guest_info info;

	(void)state;
	vapic_lazy_config_default(&fc.c);
	assert_int_equal(vapic_lazy_guest_probe(fake_cpuid_fn, &fc, &info),
			 VAPIC_ENOTSUP);
	/* It scanned the whole documented range and stopped. */
	assert_int_equal(fc.calls, 256);
}

static void guest_probe_without_feature_bit_fails(void **state)
{
	struct fake_cpuid fc = { .present = true, .features = 0 };
	struct vapic_lazy_guest_info info;

	(void)state;
	vapic_lazy_config_default(&fc.c);
	assert_int_equal(vapic_lazy_guest_probe(fake_cpuid_fn, &fc, &info),
			 VAPIC_ENOTSUP);
}

static void guest_msr_value_requires_alignment(void **state)
{
	(void)state;
	assert_int_equal(vapic_lazy_guest_msr_value(0x1000), 0x1001);
	assert_int_equal(vapic_lazy_guest_msr_value(0x1040), 0x1041);
	assert_int_equal(vapic_lazy_guest_msr_value(0x1020), 0);
	assert_int_equal(vapic_lazy_guest_msr_value(0x1001), 0);
}

static void guest_page_init_zeroes_and_versions(void **state)
{
	struct vapic_lazy_page pg;

	(void)state;
	memset(&pg, 0xa5, sizeof(pg));
	vapic_lazy_guest_page_init(&pg);
	assert_int_equal(pg.armed, 0);
	assert_int_equal(pg.pending, 0);
	assert_int_equal(pg.version, VAPIC_LAZY_VERSION);
	assert_int_equal(pg.flags, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pg.reserved[i], 0);
}

/* ---------------------------------------------------------------------- */
/* Guest decision function (G1-G4)                                        */

static void guest_traps_when_nothing_armed(void **state)
{
	struct vapic_lazy_page pg;

	(void)state;
	vapic_lazy_guest_page_init(&pg);
	assert_true(vapic_lazy_guest_set_deadline(&pg, 5000));
	assert_int_equal(pg.pending, 5000);
}

static void guest_traps_for_earlier_deadline(void **state)
{
	struct vapic_lazy_page pg;

	(void)state;
	vapic_lazy_guest_page_init(&pg);
	pg.armed = 5000;
	assert_true(vapic_lazy_guest_set_deadline(&pg, 4999));
	assert_int_equal(pg.pending, 4999);
}

static void guest_skips_for_equal_or_later_deadline(void **state)
{
	struct vapic_lazy_page pg;

	(void)state;
	vapic_lazy_guest_page_init(&pg);
	pg.armed = 5000;
	assert_false(vapic_lazy_guest_set_deadline(&pg, 5000));
	assert_int_equal(pg.pending, 5000);
	assert_false(vapic_lazy_guest_set_deadline(&pg, UINT64_MAX));
	assert_int_equal(pg.pending, UINT64_MAX);
	assert_int_equal(pg.armed, 5000); /* the guest never writes armed */
}

static void guest_always_traps_to_disarm(void **state)
{
	struct vapic_lazy_page pg;

	(void)state;
	vapic_lazy_guest_page_init(&pg);
	pg.armed = 5000;
	assert_true(vapic_lazy_guest_set_deadline(&pg, 0));
	assert_int_equal(pg.pending, VAPIC_LAZY_NEVER);
	pg.armed = 0;
	assert_true(vapic_lazy_guest_set_deadline(&pg, 0));
	pg.armed = UINT64_MAX;
	assert_true(vapic_lazy_guest_set_deadline(&pg, 0));
}

static void guest_stores_little_endian(void **state)
{
	struct vapic_lazy_page pg;
	const uint8_t *b = (const uint8_t *)&pg;

	(void)state;
	vapic_lazy_guest_page_init(&pg);
	(void)vapic_lazy_guest_set_deadline(&pg, 0x0102030405060708ULL);
	assert_int_equal(b[8], 0x08);
	assert_int_equal(b[15], 0x01);
	assert_int_equal(b[16], VAPIC_LAZY_VERSION); /* version, LE */
}

/* ---------------------------------------------------------------------- */
/* Setup and the protocol MSR                                             */

static void setup_rejects_bad_config(void **state)
{
	struct lfx f;
	struct vapic_lazy_config c;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	vapic_lazy_config_default(&c);
	c.cpuid_base = 0x40000210;
	assert_int_equal(vapic_lazy_setup(f.t, &c), VAPIC_EINVAL);
	c.cpuid_base = 0x3fffff00;
	assert_int_equal(vapic_lazy_setup(f.t, &c), VAPIC_EINVAL);
	c.cpuid_base = 0x40010000;
	assert_int_equal(vapic_lazy_setup(f.t, &c), VAPIC_EINVAL);
	vapic_lazy_config_default(&c);
	c.msr_index = VAPIC_MSR_TSC_DEADLINE;
	assert_int_equal(vapic_lazy_setup(f.t, &c), VAPIC_EINVAL);
	c.msr_index = 0x832;
	assert_int_equal(vapic_lazy_setup(f.t, &c), VAPIC_EINVAL);
	assert_int_equal(vapic_lazy_setup(NULL, &c), VAPIC_EINVAL);
	assert_int_equal(vapic_lazy_setup(f.t, NULL), VAPIC_EINVAL);
	/* The earlier valid setup still holds. */
	assert_true(vapic_lazy_is_msr(f.t, VAPIC_LAZY_MSR_DEFAULT));
	lteardown(&f);
}

static void setup_requires_map_guest(void **state)
{
	struct vapic_host_ops ops = vclock_host_ops;
	struct vapic_timer_config tc;
	struct vapic_lazy_config c;
	struct vapic_timer t;
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	ops.map_guest = NULL;
	ops.unmap_guest = NULL;
	vapic_timer_config_default(&tc, KHZ);
	assert_int_equal(vapic_timer_init(&t, &tc, &ops, f.v), 0);
	vapic_lazy_config_default(&c);
	assert_int_equal(vapic_lazy_setup(&t, &c), VAPIC_ENOTSUP);
	assert_false(vapic_lazy_is_msr(&t, VAPIC_LAZY_MSR_DEFAULT));
	vapic_timer_destroy(&t);
	lteardown(&f);
}

static void setup_requires_tsc_deadline_mode(void **state)
{
	struct vapic_timer_config tc;
	struct vapic_lazy_config c;
	struct vapic_timer t;
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	vapic_timer_config_default(&tc, KHZ);
	tc.flags &= ~VAPIC_TIMER_F_TSC_DEADLINE;
	assert_int_equal(vapic_timer_init(&t, &tc, &vclock_host_ops, f.v), 0);
	vapic_lazy_config_default(&c);
	assert_int_equal(vapic_lazy_setup(&t, &c), VAPIC_ENOTSUP);
	vapic_timer_destroy(&t);
	lteardown(&f);
}

static void setup_busy_while_enabled(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_int_equal(vapic_lazy_setup(f.t, &f.lc), VAPIC_EBUSY);
	assert_true(vapic_lazy_enabled(f.t));
	lteardown(&f);
}

static void msr_absent_before_setup(void **state)
{
	struct vapic_timer_config tc;
	struct vapic_timer t;
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	vapic_timer_config_default(&tc, KHZ);
	assert_int_equal(vapic_timer_init(&t, &tc, &vclock_host_ops, f.v), 0);
	assert_false(vapic_lazy_is_msr(&t, VAPIC_LAZY_MSR_DEFAULT));
	assert_int_equal(vapic_lazy_write_msr(&t, PAGE_GPA | 1),
			 VAPIC_ENOTSUP);
	assert_int_equal(vapic_lazy_read_msr(&t), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	vapic_timer_destroy(&t);
	lteardown(&f);
}

static void enable_maps_valid_block(void **state)
{
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	f.pg->armed = 0xdead; /* whatever was there */
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), 0);
	assert_true(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), PAGE_GPA | 1);
	assert_int_equal(f.vm->maps_outstanding, 1);
	assert_int_equal(armed(&f), 0); /* no timer: published 0 (R2) */
	assert_int_equal(lstats(&f).enables, 1);
	lteardown(&f);
}

static void enable_reserved_bits_refused(void **state)
{
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	for (int bit = 1; bit <= 5; bit++) {
		uint64_t val = PAGE_GPA | 1 | (1ULL << bit);

		assert_int_equal(vapic_lazy_write_msr(f.t, val), VAPIC_ERSVD);
		/* Also with enable clear: reserved is reserved. */
		assert_int_equal(vapic_lazy_write_msr(f.t, 1ULL << bit),
				 VAPIC_ERSVD);
	}
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(lstats(&f).msr_faults, 10);
	lteardown(&f);
}

static void enable_outside_ram_refused(void **state)
{
	struct lfx f;
	uint64_t end;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	end = f.vm->cfg.mem_base + f.vm->cfg.mem_size;
	assert_int_equal(vapic_lazy_write_msr(f.t, end | 1), VAPIC_EFAULT);
	assert_int_equal(vapic_lazy_write_msr(f.t, (end + 0x100000) | 1),
			 VAPIC_EFAULT);
	/* The last 64 bytes of RAM are fine. */
	vapic_lazy_guest_page_init(
		(struct vapic_lazy_page *)(f.vm->mem + (end - 64 -
							f.vm->cfg.mem_base)));
	assert_int_equal(vapic_lazy_write_msr(f.t, (end - 64) | 1), 0);
	assert_int_equal(f.vm->maps_outstanding, 1);
	lteardown(&f);
}

static void enable_in_mmio_hole_refused(void **state)
{
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	assert_int_equal(vclock_mem_add_hole(f.vm, 0x8000, 0x1000), 0);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0x8000 | 1), VAPIC_EFAULT);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0x8fc0 | 1), VAPIC_EFAULT);
	/* A block that only partly overlaps the hole is refused too. */
	assert_int_equal(vclock_mem_add_hole(f.vm, 0x9020, 0x20), 0);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0x9000 | 1), VAPIC_EFAULT);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(f.vm->maps_outstanding, 0);
	lteardown(&f);
}

static void enable_top_of_address_space_refused(void **state)
{
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0xffffffffffffffc1ULL),
			 VAPIC_EFAULT);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0x8000000000000001ULL),
			 VAPIC_EFAULT);
	assert_int_equal(f.vm->maps_outstanding, 0);
	lteardown(&f);
}

/* A host whose map_guest does not check for wrap-around itself. */
static uint8_t lax_ram[128] __attribute__((aligned(64)));
static unsigned int lax_maps;

static void *lax_map(void *host, uint64_t gpa, uint32_t len)
{
	(void)host;
	(void)gpa;
	(void)len;
	lax_maps++;
	vapic_lazy_guest_page_init((struct vapic_lazy_page *)lax_ram);
	return lax_ram;
}

static void lax_unmap(void *host, void *hva, uint32_t len)
{
	(void)host;
	(void)hva;
	(void)len;
	lax_maps--;
}

/* The last block of the address space does not wrap: the host decides. */
static void enable_last_block_is_the_hosts_call(void **state)
{
	struct vapic_host_ops ops = vclock_host_ops;
	struct vapic_timer_config tc;
	struct vapic_lazy_config c;
	struct vapic_timer t;
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	ops.map_guest = lax_map;
	ops.unmap_guest = lax_unmap;
	vapic_timer_config_default(&tc, KHZ);
	assert_int_equal(vapic_timer_init(&t, &tc, &ops, f.v), 0);
	vapic_lazy_config_default(&c);
	assert_int_equal(vapic_lazy_setup(&t, &c), 0);
	assert_int_equal(vapic_lazy_write_msr(&t, 0xffffffffffffffc1ULL), 0);
	assert_int_equal(lax_maps, 1);
	assert_int_equal(vapic_lazy_write_msr(&t, 0xffffffffffffff81ULL), 0);
	assert_int_equal(lax_maps, 1);
	vapic_timer_destroy(&t);
	assert_int_equal(lax_maps, 0);
	lteardown(&f);
}

static void enable_bad_version_refused(void **state)
{
	static const uint32_t bad[] = { 0, 2, 0x100, 0xffffffffU };
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.pg->version = bad[i];
		assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1),
				 VAPIC_EVERSION);
	}
	assert_false(vapic_lazy_enabled(f.t));
	/* The refused attempts were unmapped again. */
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(f.vm->unmap_violations, 0);
	lteardown(&f);
}

static void enable_map_failure_refused(void **state)
{
	struct lfx f;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	vclock_fault_next(f.v, VCLOCK_OP_MAP_GUEST, 1);
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), VAPIC_EFAULT);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), 0);
	lteardown(&f);
}

/* A write that took effect is never a #GP, even if the re-arm failed. */
static void enable_with_failed_rearm_takes_effect(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	f.v->auto_enter = false;
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	vapic_lazy_guest_page_init(
		(struct vapic_lazy_page *)(f.vm->mem + PAGE_GPA + 64));
	vclock_fault_next(f.v, VCLOCK_OP_TIMER_ARM, 1);
	assert_true(vapic_lazy_write_msr(f.t, (PAGE_GPA + 64) | 1) >= 0);
	assert_true(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), (PAGE_GPA + 64) | 1);
	assert_int_equal(f.t->stats.arm_failures, 1);
	lteardown(&f);
}

static void refused_write_keeps_current_block(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(armed(&f), d);
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 3), VAPIC_ERSVD);
	assert_int_equal(vapic_lazy_write_msr(f.t, (64ULL << 30) | 1),
			 VAPIC_EFAULT);
	assert_true(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), PAGE_GPA | 1);
	assert_int_equal(armed(&f), d);
	assert_int_equal(f.vm->maps_outstanding, 1);
	lteardown(&f);
}

static void disable_clears_armed_then_unmaps(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(armed(&f), d);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0), 0);
	assert_int_equal(armed(&f), 0);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(vapic_lazy_read_msr(f.t), 0);
	/* The timer itself keeps its deadline. */
	run_to(&f, d);
	assert_int_equal(ndeliv(&f), 1);
	lteardown(&f);
}

/* A deadline stored without trapping is still the guest's at a disable. */
static void disable_takes_the_last_lazy_deadline(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0), 0);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), p);
	assert_int_equal(armed(&f), 0);
	delivered_once_at(&f, p);
	lteardown(&f);
}

static void move_block_takes_the_last_lazy_deadline(void **state)
{
	struct vapic_lazy_page *pg2;
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	pg2 = (struct vapic_lazy_page *)(f.vm->mem + PAGE_GPA + 0x1000);
	vapic_lazy_guest_page_init(pg2);
	assert_int_equal(vapic_lazy_write_msr(f.t, (PAGE_GPA + 0x1000) | 1), 0);
	assert_int_equal(pg2->armed, p);
	delivered_once_at(&f, p);
	lteardown(&f);
}

static void disable_with_address_reads_back(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA), 0);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), PAGE_GPA);
	assert_int_equal(f.vm->maps_outstanding, 0);
	lteardown(&f);
}

static void enable_elsewhere_moves_block(void **state)
{
	struct vapic_lazy_page *pg2;
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	pg2 = (struct vapic_lazy_page *)(f.vm->mem + PAGE_GPA + 0x1000);
	vapic_lazy_guest_page_init(pg2);
	pg2->pending = d;
	assert_int_equal(vapic_lazy_write_msr(f.t, (PAGE_GPA + 0x1000) | 1), 0);
	assert_int_equal(armed(&f), 0);	      /* old block: cleared */
	assert_int_equal(pg2->armed, d);      /* new block: published */
	assert_int_equal(f.vm->maps_outstanding, 1);
	assert_int_equal(lstats(&f).enables, 2);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Remap: the host's mapping of the block changes under it                */

/* The host puts new memory behind guest RAM; the guest's block is there. */
static void replace_mem(struct lfx *f, bool copy)
{
	assert_int_equal(vclock_mem_replace(f->vm, copy), 0);
	f->pg = (struct vapic_lazy_page *)(f->vm->mem + PAGE_GPA);
}

static void remap_takes_pending_from_the_old_mapping(void **state)
{
	struct vapic_lazy_page *old;
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	old = f.pg;
	replace_mem(&f, true);
	f.pg->pending = 0; /* only the old mapping has the guest's "p" */
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(old->armed, 0);
	assert_int_equal(armed(&f), p);
	assert_int_equal(f.vm->maps_outstanding, 1);
	assert_int_equal(lstats(&f).remaps, 1);
	assert_int_equal(lstats(&f).enables, 1);
	assert_int_equal(lstats(&f).disables, 0);
	assert_true(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t),
			 vapic_lazy_guest_msr_value(PAGE_GPA));
	delivered_once_at(&f, p);
	lteardown(&f);
}

static void remap_arbitrates_against_the_new_mapping(void **state)
{
	struct vapic_lazy_page *old;
	struct lfx f;
	uint64_t d, q;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	q = d + 300 * US;
	assert_true(gset(&f, d));
	old = f.pg;
	replace_mem(&f, true);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	/* The guest runs on the new memory: its later deadline is there. */
	assert_false(gset(&f, q));
	old->pending = d + 100 * US; /* the stale page is never read again */
	delivered_once_at(&f, q);
	assert_int_equal(lstats(&f).moves, 1);
	lteardown(&f);
}

static void remap_after_discard_publishes_armed(void **state)
{
	struct lfx f;
	uint64_t d, p, q;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	q = p + 1 * MS; /* past the rate bound: remap's move took the credit */
	exit_then_pending(&f, d, p);
	replace_mem(&f, false);
	assert_int_equal(f.pg->version, 0);
	assert_int_equal(vapic_lazy_remap(f.t), 0); /* no version check */
	assert_int_equal(armed(&f), p);
	assert_false(gset(&f, q));
	delivered_once_at(&f, q);
	lteardown(&f);
}

/* Not RAM any more: detached, the old page's "pending" taken first. */
static void remap_outside_ram_detaches(void **state)
{
	struct vapic_lazy_page *old;
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	old = f.pg;
	assert_int_equal(vclock_mem_add_hole(f.vm, PAGE_GPA, 0x1000), 0);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	assert_true(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t),
			 vapic_lazy_guest_msr_value(PAGE_GPA));
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(old->armed, 0);
	assert_int_equal(lstats(&f).detaches, 1);
	assert_int_equal(lstats(&f).remaps, 0);
	assert_int_equal(lstats(&f).msr_faults, 0);
	assert_int_equal(lstats(&f).disables, 0);
	/* Detached again: nothing to map, nothing changes. */
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	assert_int_equal(lstats(&f).detaches, 1);
	delivered_once_at(&f, p);
	lteardown(&f);
}

/*
 * While detached the old page is not the guest's: a later "pending" left
 * there (even "never") does not move a deadline the guest sets through
 * the MSR.
 */
static void detached_ignores_the_old_page(void **state)
{
	struct vapic_lazy_page *old;
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, POSTED);
	old = f.pg;
	vclock_fault_next(f.v, VCLOCK_OP_MAP_GUEST, 1);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	old->pending = VAPIC_LAZY_NEVER;
	d = now_tsc(&f) + 100 * US;
	assert_true(vclock_wrmsr_tsc_deadline(f.v, d) >= 0);
	assert_int_equal(old->armed, 0);
	delivered_once_at(&f, d);
	assert_int_equal(lstats(&f).arbitrations, 0);
	lteardown(&f);
}

static void remap_after_detach_attaches_and_publishes(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, POSTED);
	vclock_fault_next(f.v, VCLOCK_OP_MAP_GUEST, 1);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	d = now_tsc(&f) + 100 * US;
	assert_true(vclock_wrmsr_tsc_deadline(f.v, d) >= 0);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(armed(&f), d);
	assert_int_equal(f.vm->maps_outstanding, 1);
	assert_int_equal(lstats(&f).remaps, 1);
	/* The protocol works again: a later deadline moves. */
	p = d + 300 * US;
	assert_false(gset(&f, p));
	delivered_once_at(&f, p);
	lteardown(&f);
}

/*
 * The VMM copied the block before the guest's last write to the old page
 * (it moved its pending deadline earlier, still no exit): the copy's
 * "pending" is older and later than the deadline the remap took.  It must
 * not move that deadline at its expiry.
 */
static void remap_clears_a_stale_pending_in_the_copy(void **state)
{
	struct vapic_lazy_page *old;
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	old = f.pg;
	replace_mem(&f, true);
	f.pg->pending = p + 50 * MS; /* the copy has an older write */
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(old->armed, 0);
	assert_int_equal(f.pg->pending, 0);
	assert_int_equal(armed(&f), p);
	delivered_once_at(&f, p);
	lteardown(&f);
}

/*
 * The slot went (the map fails: detach), the guest sets a deadline 200 us
 * away through the MSR, the slot comes back on the copy: the deadline is
 * "armed" there.  Returns it.
 */
static uint64_t detach_msr_reattach(struct lfx *f)
{
	uint64_t t;

	assert_int_equal(vapic_lazy_remap(f->t), VAPIC_EFAULT);
	t = now_tsc(f) + 200 * US;
	assert_true(vclock_wrmsr_tsc_deadline(f->v, t) >= 0);
	assert_int_equal(vapic_lazy_remap(f->t), 0);
	assert_int_equal(armed(f), t);
	return t;
}

/*
 * Copy with a later "pending", then the slot goes (detach: the host takes
 * it), the detached guest sets an earlier deadline through the MSR (its
 * stores to the block go nowhere), the slot comes back on the copy: the
 * MSR's deadline holds, the copy's "pending" does not move it.
 */
static void reattach_on_a_copy_keeps_the_msr_deadline(void **state)
{
	struct lfx f;
	uint64_t d, p, t;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 50 * MS;
	exit_then_pending(&f, d, p);
	vclock_fault_next(f.v, VCLOCK_OP_MAP_GUEST, 1);
	replace_mem(&f, true);
	assert_int_equal(f.pg->pending, p);
	t = detach_msr_reattach(&f);
	assert_int_equal(f.pg->pending, 0);
	delivered_once_at(&f, t);
	lteardown(&f);
}

/* As above, from a guest that had disarmed: the copy's NEVER is ignored. */
static void reattach_on_a_copy_ignores_a_stale_disarm(void **state)
{
	struct lfx f;
	uint64_t t;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, 0));
	vclock_fault_next(f.v, VCLOCK_OP_MAP_GUEST, 1);
	replace_mem(&f, true);
	t = detach_msr_reattach(&f);
	delivered_once_at(&f, t);
	lteardown(&f);
}

static void detached_disable_reads_zero(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_int_equal(vclock_mem_add_hole(f.vm, PAGE_GPA, 0x1000), 0);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	assert_int_equal(vapic_lazy_setup(f.t, &f.lc), VAPIC_EBUSY);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0), 0);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), 0);
	assert_int_equal(lstats(&f).disables, 1);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(f.vm->unmap_violations, 0);
	lteardown(&f);
}

/* A remap that detaches still leaves a due tick to the poll. */
static void detach_keeps_a_due_tick(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	f.v->auto_enter = false;
	run_to(&f, d + 1);
	assert_int_equal(vclock_mem_add_hole(f.vm, PAGE_GPA, 0x1000), 0);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_EFAULT);
	assert_true(vapic_timer_has_event(f.t));
	f.v->auto_enter = true;
	vclock_vcpu_enter(f.v);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].guest_tsc, d + 1);
	lteardown(&f);
}

/* A tick due at the remap (fired, not yet polled) is reported. */
static void remap_reports_a_due_tick(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	f.v->auto_enter = false;
	run_to(&f, d + 1);
	replace_mem(&f, true);
	assert_int_equal(vapic_lazy_remap(f.t), VAPIC_TIMER_DUE);
	f.v->auto_enter = true;
	vclock_vcpu_enter(f.v);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].guest_tsc, d + 1);
	lteardown(&f);
}

static void remap_while_disabled_does_nothing(void **state)
{
	struct lfx f;
	uint64_t maps;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	maps = f.v->stats.maps;
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(f.v->stats.maps, maps);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(lstats(&f).remaps, 0);
	lteardown(&f);
}

/* H4: a remap is the host's doing, not an exit the guest paid for. */
static void remap_buys_no_exact_rearm(void **state)
{
	struct lfx f;
	uint64_t d, p, q, at;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	q = p + 10 * US;
	exit_then_pending(&f, d, p);
	run_to(&f, d + 1); /* the paid exact move, d -> p */
	assert_int_equal(lstats(&f).moves, 1);
	assert_false(gset(&f, q));
	replace_mem(&f, true);
	at = now_tsc(&f);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(lstats(&f).clamped, 1);
	run_to(&f, at + VAPIC_MIN_PERIOD_NS_DEFAULT);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].guest_tsc,
			 at + VAPIC_MIN_PERIOD_NS_DEFAULT);
	lteardown(&f);
}

/* H4 also when the expiry fired before the remap and moves in it. */
static void remap_of_a_fired_expiry_buys_no_exact_rearm(void **state)
{
	struct lfx f;
	uint64_t d, p, q;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	q = p + 10 * US;
	exit_then_pending(&f, d, p);
	run_to(&f, d + 1); /* the paid exact move, d -> p */
	assert_false(gset(&f, q));
	f.v->auto_enter = false;
	run_to(&f, p + 1); /* fired at p, the vCPU thread has not looked */
	replace_mem(&f, true);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(lstats(&f).clamped, 1);
	f.v->auto_enter = true;
	vclock_vcpu_enter(f.v);
	run_to(&f, p + 400 * US);
	assert_int_equal(ndeliv(&f), 1);
	assert_true(f.vm->log[0].guest_tsc > q);
	lteardown(&f);
}

/* The protocol keeps its value: a disable afterwards clears the new block. */
static void remap_then_disable_clears_the_new_mapping(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	replace_mem(&f, true);
	assert_int_equal(vapic_lazy_remap(f.t), 0);
	assert_int_equal(armed(&f), d);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0), 0);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	assert_int_equal(f.vm->unmap_violations, 0);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* R1/R2: "armed" follows the host timer on every path                    */

static void wrmsr_publishes_armed(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(armed(&f), d);
	assert_true(vclock_timer_armed(f.v, NULL));
	/* An earlier one traps and republishes. */
	assert_true(gset(&f, d - 10 * US));
	assert_int_equal(armed(&f), d - 10 * US);
	lteardown(&f);
}

static void enable_publishes_current_deadline(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	d = now_tsc(&f) + 100 * US;
	assert_true(vclock_wrmsr_tsc_deadline(f.v, d) >= 0);
	f.pg->pending = d;
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), 0);
	assert_int_equal(armed(&f), d);
	lteardown(&f);
}

static void clear_on_disarm(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, now_tsc(&f) + 100 * US));
	assert_true(gset(&f, 0));
	assert_int_equal(armed(&f), 0);
	run(&f, 1 * MS);
	assert_int_equal(ndeliv(&f), 0);
	lteardown(&f);
}

/*
 * The host timer for d fires late; meanwhile the guest moved past d without
 * trapping, then disarmed.  d must not be delivered: the guest abandoned it
 * before it was due (found by the stress test; pending = 0 would deliver).
 */
static void late_fire_after_lazy_moves_and_disarm_delivers_nothing(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	f.v->timer_latency_ns = 1 * MS;
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run(&f, 50 * US);
	assert_false(gset(&f, d + 300 * US)); /* before d: d is abandoned */
	run_to(&f, d + 10 * US);	      /* d passed, host not yet */
	assert_true(gset(&f, 0));	      /* disarm: traps */
	run(&f, 5 * MS);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), 0);
	assert_int_equal(armed(&f), 0);
	lteardown(&f);
}

static void clear_on_mode_switch(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, now_tsc(&f) + 100 * US));
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER, VEC), 0);
	assert_int_equal(armed(&f), 0);
	/* Back to TSC-deadline mode: disarmed (SDM), still 0. */
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVTT_TSCD), 0);
	assert_int_equal(armed(&f), 0);
	/* So the guest's next deadline traps. */
	assert_true(gset(&f, now_tsc(&f) + 200 * US));
	lteardown(&f);
}

static void clear_on_mask_and_republish_on_unmask(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER,
				      LVTT_TSCD | VAPIC_LVT_MASKED),
			 0);
	assert_int_equal(armed(&f), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	/* While masked, a later deadline traps (armed is 0). */
	assert_true(gset(&f, d + 50 * US));
	assert_int_equal(armed(&f), 0);
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER, LVTT_TSCD), 0);
	assert_int_equal(armed(&f), d + 50 * US);
	run_to(&f, d + 50 * US);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, d + 50 * US);
	lteardown(&f);
}

static void clear_on_software_disable(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, now_tsc(&f) + 100 * US));
	assert_int_equal(vclock_write(f.v, VAPIC_REG_SVR, 0xff), 0);
	assert_int_equal(armed(&f), 0);
	lteardown(&f);
}

static void clear_on_deadline_due_at_write(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(armed(&f), d);
	/* A deadline already in the past: delivered at once, no timer. */
	assert_true(gset(&f, now_tsc(&f) - 1));
	assert_int_equal(armed(&f), 0);
	assert_false(vclock_timer_armed(f.v, NULL));
	assert_int_equal(vclock_settle(f.vm), 0);
	assert_int_equal(ndeliv(&f), 1);
	/* The next later deadline must trap (the stale-armed hole). */
	assert_true(gset(&f, d + 10 * US));
	run_to(&f, d + 10 * US);
	assert_int_equal(ndeliv(&f), 2);
	lteardown(&f);
}

static void clear_on_delivery(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run_to(&f, d);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(armed(&f), 0);
	assert_true(gset(&f, d + 100 * US));
	lteardown(&f);
}

static void clear_on_arm_failure_and_republish_on_retry(void **state)
{
	struct vapic_timer_event ev;
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	f.v->auto_enter = false;
	d = now_tsc(&f) + 200 * US;
	f.pg->pending = d;
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, d), 0);
	assert_int_equal(armed(&f), d);
	d -= 100 * US;
	f.pg->pending = d;
	vclock_fault_next(f.v, VCLOCK_OP_TIMER_ARM, 1);
	assert_int_equal(vapic_timer_write_tsc_deadline(f.t, d), VAPIC_EHOST);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(vapic_timer_poll(f.t, 0, &ev), VAPIC_TIMER_NONE);
	assert_int_equal(armed(&f), d);
	lteardown(&f);
}

static void clear_on_init(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, now_tsc(&f) + 100 * US));
	vapic_lapic_reset(&f.v->lapic);
	assert_int_equal(armed(&f), 0);
	assert_false(vapic_lazy_enabled(f.t));
	assert_int_equal(vapic_lazy_read_msr(f.t), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	/* The MSR still exists: the guest can enable it again. */
	assert_true(vapic_lazy_is_msr(f.t, VAPIC_LAZY_MSR_DEFAULT));
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), 0);
	assert_int_equal(armed(&f), 0);
	lteardown(&f);
}

static void clear_on_destroy(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_true(gset(&f, now_tsc(&f) + 100 * US));
	vapic_lapic_destroy(&f.v->lapic);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(f.vm->maps_outstanding, 0);
	lteardown(&f);
}

static void periodic_mode_publishes_zero(void **state)
{
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER, 0x20000 | VEC),
			 0);
	assert_int_equal(vclock_write(f.v, VAPIC_REG_TMICT, 1000000), 0);
	assert_true(vclock_timer_armed(f.v, NULL));
	assert_int_equal(armed(&f), 0);
	run(&f, 5 * MS);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(lstats(&f).arbitrations, 0);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* H1-H3: arbitration at the expiry                                       */

static void later_pending_moves_without_interrupt(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 200 * US;
	assert_true(gset(&f, d));
	assert_false(gset(&f, p)); /* later: no exit */
	run_to(&f, d + 50 * US);
	assert_int_equal(ndeliv(&f), 0); /* not at the old deadline */
	assert_int_equal(armed(&f), p);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), p);
	assert_int_equal(lstats(&f).moves, 1);
	run_to(&f, p - 1);
	assert_int_equal(ndeliv(&f), 0);
	run_to(&f, p);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, p);
	assert_int_equal(f.vm->log[0].guest_tsc, p);
	assert_int_equal(armed(&f), 0);
	assert_int_equal(f.exits, 1);
	lteardown(&f);
}

static void several_later_pendings_cost_one_move(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	for (int i = 1; i <= 50; i++) {
		run(&f, 1 * US);
		assert_false(gset(&f, d + (uint64_t)i * 10 * US));
	}
	run_to(&f, d + 500 * US);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, d + 500 * US);
	assert_int_equal(f.exits, 1);
	assert_int_equal(lstats(&f).moves, 1);
	assert_int_equal(f.v->stats.fires, 2);
	lteardown(&f);
}

static void equal_pending_delivers_at_deadline(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run_to(&f, d - 1);
	assert_int_equal(ndeliv(&f), 0);
	delivered_once_at(&f, d);
	run(&f, 1 * MS);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(lstats(&f).moves, 0);
	lteardown(&f);
}

static void earlier_or_stale_pending_delivers_at_deadline(void **state)
{
	static const uint64_t junk[] = { 0, 1, 12345 };
	struct lfx f;

	(void)state;
	lsetup(&f, DEFERRED);
	for (size_t i = 0; i < 3; i++) {
		uint64_t d = now_tsc(&f) + 100 * US;

		assert_true(gset(&f, d));
		f.pg->pending = junk[i] ? d - junk[i] : 0; /* not later */
		run_to(&f, d);
		assert_int_equal(ndeliv(&f), i + 1);
		assert_int_equal(f.vm->log[i].deadline_tsc, d);
		run(&f, 10 * US);
	}
	assert_int_equal(lstats(&f).moves, 0);
	lteardown(&f);
}

static void huge_pending_parks_timer_without_overflow(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	f.pg->pending = UINT64_MAX;
	run(&f, 1000 * MS);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(armed(&f), UINT64_MAX);
	assert_int_equal(vclock_rdmsr_tsc_deadline(f.v), UINT64_MAX);
	assert_int_equal(f.v->stats.fires, 1);
	/* The guest can still program an earlier deadline. */
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run_to(&f, d);
	assert_int_equal(ndeliv(&f), 1);
	lteardown(&f);
}

static void pending_already_due_at_fire_delivered_once(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	f.v->timer_latency_ns = 100 * US; /* the host timer fires late */
	d = now_tsc(&f) + 100 * US;
	p = d + 30 * US;
	exit_then_pending(&f, d, p);
	run_to(&f, d + 100 * US);
	assert_int_equal(ndeliv(&f), 1);
	/*
	 * Delivered for p, at the late fire.  (vclock's log annotates the
	 * deadline it read before the poll, d; the check is on the guest's.)
	 */
	assert_true(f.vm->log[0].guest_tsc >= p);
	assert_int_equal(f.t->stats.early, 0);
	run(&f, 1 * MS);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.v->stats.fires, 1);
	lteardown(&f);
}

static void move_in_advance_window_skips_the_wait(void **state)
{
	struct vapic_timer_stats *ts;
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 50000, VAPIC_MIN_PERIOD_NS_DEFAULT, true);
	ts = &f.t->stats;
	d = now_tsc(&f) + 500 * US;
	p = d + 500 * US;
	exit_then_pending(&f, d, p);
	run_to(&f, d - 40 * US); /* fired at d - 50 us */
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(ts->waits, 0);
	assert_int_equal(armed(&f), p);
	delivered_once_at(&f, p);
	assert_int_equal(ts->waits, 1); /* only for p itself */
	lteardown(&f);
}

static void keep_in_advance_window_rechecks_at_deadline(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 50000, VAPIC_MIN_PERIOD_NS_DEFAULT, true);
	d = now_tsc(&f) + 500 * US;
	assert_true(gset(&f, d));
	delivered_once_at(&f, d);
	/* H1-H3 at the early fire, and again at the deadline. */
	assert_int_equal(lstats(&f).arbitrations, 2);
	assert_int_equal(f.t->stats.waits, 1);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Hostile page contents                                                  */

static void guest_garbage_in_armed_is_never_read(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	assert_true(gset(&f, d));
	f.pg->armed = 1;	   /* the guest scribbles on the host's field */
	assert_false(gset(&f, p)); /* and fools only itself */
	f.pg->armed = UINT64_MAX;
	run_to(&f, p);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, p);
	assert_int_equal(armed(&f), 0);
	lteardown(&f);
}

static void guest_garbage_in_version_after_enable_ignored(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	f.pg->version = 0xbad;
	f.pg->flags = 0xffffffffU;
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run_to(&f, d);
	assert_int_equal(ndeliv(&f), 1);
	assert_true(vapic_lazy_enabled(f.t));
	lteardown(&f);
}

/* The host writes "armed" and nothing else, inside or around the block. */
static void host_writes_only_armed(void **state)
{
	uint8_t before[256], after[256];
	uint8_t *win;
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	win = f.vm->mem + PAGE_GPA - 64;
	memset(win, 0xa5, sizeof(before));
	vapic_lazy_guest_page_init(f.pg);
	memset(f.pg->reserved, 0x5a, sizeof(f.pg->reserved));
	f.pg->flags = 0x77777777U;
	f.pg->pending = 0x1122334455667788ULL;
	memcpy(before, win, sizeof(before));
	assert_int_equal(vapic_lazy_write_msr(f.t, PAGE_GPA | 1), 0);
	d = now_tsc(&f) + 100 * US;
	assert_int_equal(vclock_wrmsr_tsc_deadline(f.v, d), 0);
	run_to(&f, d + 10 * US);
	assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER, VEC), 0);
	assert_int_equal(vapic_lazy_write_msr(f.t, 0), 0);
	memcpy(after, win, sizeof(after));
	for (size_t i = 0; i < sizeof(before); i++) {
		if (i >= 64 && i < 72)
			continue; /* armed */
		if (before[i] != after[i])
			fail_msg("byte %d of the block changed", (int)i - 64);
	}
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Posted (exitless) delivery                                             */

static void posted_move_rearms_without_exit(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	run_to(&f, d + 50 * US);
	assert_int_equal(f.v->stats.fires, 1);
	assert_int_equal(f.v->stats.rearms, 1);
	assert_int_equal(f.v->stats.kicks, 0);
	assert_int_equal(armed(&f), p);
	run_to(&f, p);
	assert_int_equal(ndeliv(&f), 1);
	assert_true(f.vm->log[0].flags & VCLOCK_DELIVERY_POSTED);
	assert_int_equal(f.vm->log[0].deadline_tsc, p);
	lteardown(&f);
}

/* The published hole: an exitless delivery left "armed" stale. */
static void posted_delivery_clears_armed(void **state)
{
	struct lfx f;
	uint64_t d;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	run_to(&f, d);
	assert_int_equal(ndeliv(&f), 1);
	assert_true(f.vm->log[0].flags & VCLOCK_DELIVERY_POSTED);
	assert_int_equal(armed(&f), 0);
	/* So a later deadline traps instead of being stranded. */
	assert_true(gset(&f, d + 100 * US));
	run_to(&f, d + 100 * US);
	assert_int_equal(ndeliv(&f), 2);
	lteardown(&f);
}

/*
 * Posted, advance window: the callback keeps the deadline at its early
 * fire and spins; a guest store that lands meanwhile (before its WRMSR) is
 * seen by the second H1-H3 at the deadline: no interrupt at the old one.
 */
static void posted_rechecks_pending_after_the_spin(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup_cfg(&f, POSTED, 50000, VAPIC_MIN_PERIOD_NS_DEFAULT, true);
	d = now_tsc(&f) + 500 * US;
	p = d + 300 * US;
	assert_true(gset(&f, d));
	run_to(&f, d - 20 * US);
	assert_int_equal(f.v->stats.callback_waits, 1);
	assert_int_equal(armed(&f), 0); /* H1 at the early fire */
	f.pg->pending = p; /* G1 landed; the guest's WRMSR is still to come */
	run_to(&f, d + 10 * US);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(lstats(&f).moves, 1);
	assert_int_equal(vclock_wrmsr_tsc_deadline(f.v, p), 0);
	run_to(&f, p);
	assert_int_equal(ndeliv(&f), 1);
	assert_int_equal(f.vm->log[0].deadline_tsc, p);
	run(&f, 1 * MS);
	assert_int_equal(ndeliv(&f), 1);
	lteardown(&f);
}

static void posted_post_failure_falls_back_and_arbitrates(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, POSTED);
	d = now_tsc(&f) + 100 * US;
	p = d + 100 * US;
	exit_then_pending(&f, d, p);
	vclock_fault_every(f.v, VCLOCK_OP_POST, 1);
	run_to(&f, p);
	assert_int_equal(ndeliv(&f), 1);
	assert_false(f.vm->log[0].flags & VCLOCK_DELIVERY_POSTED);
	assert_int_equal(f.vm->log[0].deadline_tsc, p);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* H4: host timer rate bound                                              */

struct mover {
	struct lfx *f;
	uint64_t step_tsc;
	uint64_t fires;
};

/* A hostile guest that, at every host timer fire, moves "pending" a little
 * into the future, and never exits. */
static void mover_hook(void *arg, struct vclock_vcpu *v)
{
	struct mover *m = arg;

	m->fires++;
	m->f->pg->pending = vclock_guest_tsc(v) + m->step_tsc;
}

static uint64_t run_mover(struct lfx *f, uint64_t step_tsc, uint64_t span_ns)
{
	struct mover m = { f, step_tsc, 0 };
	uint64_t d = now_tsc(f) + 10 * US;

	f->vm->fire_hook = mover_hook;
	f->vm->fire_hook_arg = &m;
	assert_true(gset(f, d)); /* the one paid exit */
	assert_false(gset(f, d + step_tsc));
	run(f, span_ns);
	f->vm->fire_hook = NULL;
	return m.fires;
}

static void rate_bound_holds_against_creeping_pending(void **state)
{
	struct lfx f;
	uint64_t fires;

	(void)state;
	lsetup(&f, DEFERRED);
	fires = run_mover(&f, 1 * US, 10 * MS);
	/* <= 2 + elapsed / min_period_ns between two guest exits. */
	assert_true(fires <= 2 + 10 * MS / VAPIC_MIN_PERIOD_NS_DEFAULT);
	assert_true(fires >= 40); /* it did keep moving */
	assert_int_equal(ndeliv(&f), 0);
	assert_true(lstats(&f).clamped >= fires - 3);
	assert_int_equal(f.exits, 1);
	lteardown(&f);
}

static void rate_bound_holds_in_posted_mode(void **state)
{
	struct lfx f;
	uint64_t fires;

	(void)state;
	lsetup(&f, POSTED);
	fires = run_mover(&f, 1 * US, 10 * MS);
	assert_true(fires <= 2 + 10 * MS / VAPIC_MIN_PERIOD_NS_DEFAULT);
	assert_true(fires >= 40);
	assert_int_equal(ndeliv(&f), 0);
	assert_int_equal(f.v->stats.kicks, 0);
	lteardown(&f);
}

static void rate_bound_follows_min_period(void **state)
{
	struct lfx f;
	uint64_t fires;

	(void)state;
	lsetup_cfg(&f, DEFERRED, 0, 1 * MS, true);
	fires = run_mover(&f, 1 * US, 10 * MS);
	assert_true(fires <= 2 + 10);
	assert_true(fires >= 9);
	lteardown(&f);
}

static void first_move_after_exit_is_exact(void **state)
{
	struct lfx f;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 5 * US; /* much closer than the minimum period */
	exit_then_pending(&f, d, p);
	delivered_once_at(&f, p);
	assert_int_equal(lstats(&f).clamped, 0);
	lteardown(&f);
}

static void unpaid_second_move_is_late_never_early(void **state)
{
	struct lfx f;
	uint64_t d, p1, p2;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p1 = d + 5 * US;
	p2 = p1 + 5 * US;
	exit_then_pending(&f, d, p1);
	run_to(&f, d); /* move 1: paid by the WRMSR, exact */
	assert_false(gset(&f, p2));
	run_to(&f, p1 + VAPIC_MIN_PERIOD_NS_DEFAULT);
	assert_int_equal(ndeliv(&f), 1);
	/* Held back to >= fire + min period; never before p2. */
	assert_true(f.vm->log[0].guest_tsc >= p1 + VAPIC_MIN_PERIOD_NS_DEFAULT);
	assert_true(f.vm->log[0].guest_tsc >= p2);
	assert_int_equal(lstats(&f).clamped, 1);
	lteardown(&f);
}

static void guest_exit_restores_exact_rearm(void **state)
{
	struct lfx f;
	uint64_t d, p1, p2, d2;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p1 = d + 5 * US;
	p2 = p1 + 5 * US;
	exit_then_pending(&f, d, p1);
	run_to(&f, d);
	assert_false(gset(&f, p2));
	run_to(&f, p1 + 1); /* move 2, clamped */
	/* Any timer register write is an exit the guest paid for. */
	d2 = p1 + 20 * US;
	assert_true(vclock_wrmsr_tsc_deadline(f.v, d2) >= 0);
	f.pg->pending = d2;
	delivered_once_at(&f, d2);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Save / restore                                                         */

struct mig {
	struct lfx dst;
	struct vapic_timer_state st;
	uint64_t msr;
};

/* Save the source, copy guest RAM and the guest TSC to a fresh VM. */
static void migrate(struct lfx *src, struct mig *m, bool msr_first)
{
	assert_int_equal(vapic_timer_save(src->t, &m->st), 0);
	m->msr = vapic_lazy_read_msr(src->t);
	lsetup_cfg(&m->dst, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	memcpy(m->dst.vm->mem, src->vm->mem, src->vm->cfg.mem_size);
	vclock_vcpu_set_guest_tsc(m->dst.v, now_tsc(src));
	if (msr_first)
		assert_true(vapic_lazy_write_msr(m->dst.t, m->msr) >= 0);
	assert_int_equal(vapic_timer_restore(m->dst.t, &m->st), 0);
	if (!msr_first)
		assert_true(vapic_lazy_write_msr(m->dst.t, m->msr) >= 0);
}

static void restore_keeps_moved_deadline(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct lfx f;
		struct mig m;
		uint64_t d, p;

		(void)state;
		lsetup(&f, DEFERRED);
		d = now_tsc(&f) + 100 * US;
		p = d + 200 * US;
		assert_true(gset(&f, d));
		assert_false(gset(&f, p));
		run_to(&f, d + 10 * US); /* moved to p */
		assert_int_equal(armed(&f), p);
		migrate(&f, &m, order);
		assert_int_equal(m.st.tsc_deadline, p);
		assert_int_equal(m.dst.pg->armed, p);
		assert_true(vapic_lazy_enabled(m.dst.t));
		run_to(&m.dst, p);
		assert_int_equal(ndeliv(&m.dst), 1);
		assert_int_equal(m.dst.vm->log[0].deadline_tsc, p);
		lteardown(&m.dst);
		lteardown(&f);
	}
}

static void restore_with_pending_later_than_saved(void **state)
{
	struct lfx f;
	struct mig m;
	uint64_t d, p;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	p = d + 200 * US;
	assert_true(gset(&f, d));
	assert_false(gset(&f, p)); /* stored, not yet seen by the host */
	migrate(&f, &m, false);
	assert_int_equal(m.st.tsc_deadline, d);
	assert_int_equal(m.dst.pg->armed, d);
	run_to(&m.dst, d + 10 * US);
	assert_int_equal(ndeliv(&m.dst), 0); /* the destination arbitrates */
	run_to(&m.dst, p);
	assert_int_equal(ndeliv(&m.dst), 1);
	assert_int_equal(m.dst.vm->log[0].deadline_tsc, p);
	lteardown(&m.dst);
	lteardown(&f);
}

/* The migrated RAM carries the source's "armed"; the destination has no
 * timer for it and must clear it. */
static void restore_clears_stale_armed_in_migrated_block(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct lfx f;
		struct mig m;
		uint64_t d;

		(void)state;
		lsetup(&f, DEFERRED);
		d = now_tsc(&f) + 100 * US;
		assert_true(gset(&f, d));
		assert_int_equal(vclock_write(f.v, VAPIC_REG_LVT_TIMER,
					      LVTT_TSCD | VAPIC_LVT_MASKED),
				 0);
		f.pg->armed = d; /* as if the source had not cleared it */
		migrate(&f, &m, order);
		assert_int_equal(m.dst.pg->armed, 0);
		lteardown(&m.dst);
		lteardown(&f);
	}
}

static void restore_of_due_deadline_delivers_and_clears(void **state)
{
	struct lfx f;
	struct mig m;
	uint64_t d;

	(void)state;
	lsetup(&f, DEFERRED);
	d = now_tsc(&f) + 100 * US;
	assert_true(gset(&f, d));
	assert_int_equal(vapic_timer_save(f.t, &m.st), 0);
	m.msr = vapic_lazy_read_msr(f.t);
	lsetup_cfg(&m.dst, DEFERRED, 0, VAPIC_MIN_PERIOD_NS_DEFAULT, false);
	memcpy(m.dst.vm->mem, f.vm->mem, f.vm->cfg.mem_size);
	/* The destination resumes after the deadline. */
	vclock_vcpu_set_guest_tsc(m.dst.v, d + 50 * US);
	assert_true(vapic_lazy_write_msr(m.dst.t, m.msr) >= 0);
	assert_true(vapic_timer_restore(m.dst.t, &m.st) >= 0);
	assert_int_equal(m.dst.pg->armed, 0);
	assert_int_equal(vclock_settle(m.dst.vm), 0);
	vclock_vcpu_enter(m.dst.v);
	assert_int_equal(ndeliv(&m.dst), 1);
	lteardown(&m.dst);
	lteardown(&f);
}

/* ---------------------------------------------------------------------- */
/* Stats                                                                  */

static void stat_descs_cover_every_counter(void **state)
{
	(void)state;
	assert_int_equal(vapic_lazy_stat_ndescs,
			 sizeof(struct vapic_lazy_stats) / sizeof(uint64_t));
	assert_string_equal(vapic_lazy_stat_descs[0].name, "lazy_enables");
	assert_string_equal(vapic_lazy_stat_descs[4].name, "lazy_moves");
	assert_int_equal(vapic_lazy_stat_descs[5].offset,
			 offsetof(struct vapic_lazy_stats, clamped));
}

/* ---------------------------------------------------------------------- */
/* timer.c fix: a write reads the time after the synchronous cancel       */

struct slow_host {
	uint64_t now;
	uint64_t cancel_takes_ns;
	unsigned int arms;
	bool armed;
};

static uint64_t sh_now(void *h)
{
	return ((struct slow_host *)h)->now;
}

static int sh_arm(void *h, uint64_t expires_ns)
{
	struct slow_host *s = h;

	(void)expires_ns;
	s->arms++;
	s->armed = true;
	return 0;
}

/* Cancelling waits for a callback that is running on another CPU. */
static void sh_cancel(void *h)
{
	struct slow_host *s = h;

	if (s->armed)
		s->now += s->cancel_takes_ns;
	s->armed = false;
}

static void sh_kick(void *h)
{
	(void)h;
}

static void timer_write_reads_time_after_cancel(void **state)
{
	static const struct vapic_host_ops ops = {
		.now_ns = sh_now,
		.guest_tsc = sh_now, /* 1 GHz, offset 0 */
		.timer_arm = sh_arm,
		.timer_cancel = sh_cancel,
		.kick = sh_kick,
	};
	struct slow_host s = { .now = 1000000 };
	struct vapic_timer_config tc;
	struct vapic_timer t;

	(void)state;
	vapic_timer_config_default(&tc, KHZ);
	tc.advance_ns = 0;
	assert_int_equal(vapic_timer_init(&t, &tc, &ops, &s), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_lvtt(&t, LVTT_TSCD, false), 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, s.now + 1000), 0);
	assert_int_equal(s.arms, 1);
	/* The cancel takes 500 ns; 300 ns from the write's start is due. */
	s.cancel_takes_ns = 500;
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, s.now + 300),
			 VAPIC_TIMER_DUE);
	assert_int_equal(s.arms, 1); /* no host timer for a due deadline */
	vapic_timer_destroy(&t);
}

/* The same through begin_write() (any other register write). */
static void timer_lvt_write_reads_time_after_cancel(void **state)
{
	static const struct vapic_host_ops ops = {
		.now_ns = sh_now,
		.guest_tsc = sh_now,
		.timer_arm = sh_arm,
		.timer_cancel = sh_cancel,
		.kick = sh_kick,
	};
	struct slow_host s = { .now = 1000000 };
	struct vapic_timer_config tc;
	struct vapic_timer t;

	(void)state;
	vapic_timer_config_default(&tc, KHZ);
	tc.advance_ns = 0;
	assert_int_equal(vapic_timer_init(&t, &tc, &ops, &s), 0);
	vapic_timer_set_sw_enabled(&t, true);
	assert_int_equal(vapic_timer_write_lvtt(&t, LVTT_TSCD, false), 0);
	assert_int_equal(vapic_timer_write_tsc_deadline(&t, s.now + 300), 0);
	assert_int_equal(s.arms, 1);
	/* Rewriting the LVT takes 500 ns of cancel: the deadline is due. */
	s.cancel_takes_ns = 500;
	assert_int_equal(vapic_timer_write_lvtt(&t, LVTT_TSCD, false),
			 VAPIC_TIMER_DUE);
	assert_int_equal(s.arms, 1);
	vapic_timer_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(abi_page_layout_is_fixed),
		cmocka_unit_test(abi_default_msr_outside_kvm_range),
		cmocka_unit_test(cpuid_reports_signature_and_features),
		cmocka_unit_test(cpuid_other_leaves_untouched),
		cmocka_unit_test(guest_probe_finds_default_leaves),
		cmocka_unit_test(guest_probe_finds_configured_base_and_msr),
		cmocka_unit_test(guest_probe_without_signature_fails),
		cmocka_unit_test(guest_probe_without_feature_bit_fails),
		cmocka_unit_test(guest_msr_value_requires_alignment),
		cmocka_unit_test(guest_page_init_zeroes_and_versions),
		cmocka_unit_test(guest_traps_when_nothing_armed),
		cmocka_unit_test(guest_traps_for_earlier_deadline),
		cmocka_unit_test(guest_skips_for_equal_or_later_deadline),
		cmocka_unit_test(guest_always_traps_to_disarm),
		cmocka_unit_test(guest_stores_little_endian),
		cmocka_unit_test(setup_rejects_bad_config),
		cmocka_unit_test(setup_requires_map_guest),
		cmocka_unit_test(setup_requires_tsc_deadline_mode),
		cmocka_unit_test(setup_busy_while_enabled),
		cmocka_unit_test(msr_absent_before_setup),
		cmocka_unit_test(enable_maps_valid_block),
		cmocka_unit_test(enable_reserved_bits_refused),
		cmocka_unit_test(enable_outside_ram_refused),
		cmocka_unit_test(enable_in_mmio_hole_refused),
		cmocka_unit_test(enable_top_of_address_space_refused),
		cmocka_unit_test(enable_last_block_is_the_hosts_call),
		cmocka_unit_test(enable_bad_version_refused),
		cmocka_unit_test(enable_map_failure_refused),
		cmocka_unit_test(enable_with_failed_rearm_takes_effect),
		cmocka_unit_test(refused_write_keeps_current_block),
		cmocka_unit_test(disable_clears_armed_then_unmaps),
		cmocka_unit_test(disable_takes_the_last_lazy_deadline),
		cmocka_unit_test(move_block_takes_the_last_lazy_deadline),
		cmocka_unit_test(disable_with_address_reads_back),
		cmocka_unit_test(enable_elsewhere_moves_block),
		cmocka_unit_test(remap_takes_pending_from_the_old_mapping),
		cmocka_unit_test(remap_arbitrates_against_the_new_mapping),
		cmocka_unit_test(remap_after_discard_publishes_armed),
		cmocka_unit_test(remap_outside_ram_detaches),
		cmocka_unit_test(detached_ignores_the_old_page),
		cmocka_unit_test(remap_after_detach_attaches_and_publishes),
		cmocka_unit_test(remap_clears_a_stale_pending_in_the_copy),
		cmocka_unit_test(reattach_on_a_copy_keeps_the_msr_deadline),
		cmocka_unit_test(reattach_on_a_copy_ignores_a_stale_disarm),
		cmocka_unit_test(detached_disable_reads_zero),
		cmocka_unit_test(remap_reports_a_due_tick),
		cmocka_unit_test(detach_keeps_a_due_tick),
		cmocka_unit_test(remap_while_disabled_does_nothing),
		cmocka_unit_test(remap_buys_no_exact_rearm),
		cmocka_unit_test(remap_of_a_fired_expiry_buys_no_exact_rearm),
		cmocka_unit_test(remap_then_disable_clears_the_new_mapping),
		cmocka_unit_test(wrmsr_publishes_armed),
		cmocka_unit_test(enable_publishes_current_deadline),
		cmocka_unit_test(clear_on_disarm),
		cmocka_unit_test(late_fire_after_lazy_moves_and_disarm_delivers_nothing),
		cmocka_unit_test(clear_on_mode_switch),
		cmocka_unit_test(clear_on_mask_and_republish_on_unmask),
		cmocka_unit_test(clear_on_software_disable),
		cmocka_unit_test(clear_on_deadline_due_at_write),
		cmocka_unit_test(clear_on_delivery),
		cmocka_unit_test(clear_on_arm_failure_and_republish_on_retry),
		cmocka_unit_test(clear_on_init),
		cmocka_unit_test(clear_on_destroy),
		cmocka_unit_test(periodic_mode_publishes_zero),
		cmocka_unit_test(later_pending_moves_without_interrupt),
		cmocka_unit_test(several_later_pendings_cost_one_move),
		cmocka_unit_test(equal_pending_delivers_at_deadline),
		cmocka_unit_test(earlier_or_stale_pending_delivers_at_deadline),
		cmocka_unit_test(huge_pending_parks_timer_without_overflow),
		cmocka_unit_test(pending_already_due_at_fire_delivered_once),
		cmocka_unit_test(move_in_advance_window_skips_the_wait),
		cmocka_unit_test(keep_in_advance_window_rechecks_at_deadline),
		cmocka_unit_test(guest_garbage_in_armed_is_never_read),
		cmocka_unit_test(guest_garbage_in_version_after_enable_ignored),
		cmocka_unit_test(host_writes_only_armed),
		cmocka_unit_test(posted_move_rearms_without_exit),
		cmocka_unit_test(posted_delivery_clears_armed),
		cmocka_unit_test(posted_rechecks_pending_after_the_spin),
		cmocka_unit_test(posted_post_failure_falls_back_and_arbitrates),
		cmocka_unit_test(rate_bound_holds_against_creeping_pending),
		cmocka_unit_test(rate_bound_holds_in_posted_mode),
		cmocka_unit_test(rate_bound_follows_min_period),
		cmocka_unit_test(first_move_after_exit_is_exact),
		cmocka_unit_test(unpaid_second_move_is_late_never_early),
		cmocka_unit_test(guest_exit_restores_exact_rearm),
		cmocka_unit_test(restore_keeps_moved_deadline),
		cmocka_unit_test(restore_with_pending_later_than_saved),
		cmocka_unit_test(restore_clears_stale_armed_in_migrated_block),
		cmocka_unit_test(restore_of_due_deadline_delivers_and_clears),
		cmocka_unit_test(stat_descs_cover_every_counter),
		cmocka_unit_test(timer_write_reads_time_after_cancel),
		cmocka_unit_test(timer_lvt_write_reads_time_after_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
