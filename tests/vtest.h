/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared helpers of the CMocka unit tests (header-only; each test program
 * includes it once).  Everything runs on the virtual clock (adapters/vclock).
 */
#ifndef VTEST_H
#define VTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vapic/errors.h>
#include <vapic/lapic.h>
#include <vapic/timer.h>

#include "vclock.h"

/* Fail the test if any vclock invariant is broken. */
#define vt_assert_invariants(vm)                                         \
	do {                                                             \
		char vt_msg_[256];                                       \
		unsigned int vt_n_ =                                     \
			vclock_check((vm), vt_msg_, sizeof(vt_msg_));    \
		if (vt_n_)                                               \
			fail_msg("%u invariant violation(s): %s", vt_n_, \
				 vt_msg_);                               \
	} while (0)

/* Create a VM; @cfg may be NULL for the defaults with @n vCPUs. */
static inline struct vclock_vm *vt_vm_cfg(const struct vclock_config *cfg)
{
	struct vclock_vm *vm = NULL;
	int r = vclock_vm_create(cfg, &vm);

	if (r)
		fail_msg("vclock_vm_create: %s", vapic_strerror(r));
	return vm;
}

static inline struct vclock_vm *vt_vm(uint32_t n)
{
	struct vclock_config cfg;

	vclock_config_default(&cfg, n);
	return vt_vm_cfg(&cfg);
}

/* Check every vclock invariant of @vm (fail the test if one is broken),
 * then destroy it. */
static inline void vt_vm_destroy(struct vclock_vm *vm)
{
	vt_assert_invariants(vm);
	vclock_vm_destroy(vm);
}

/*
 * LAPIC timer fixture: vCPU 0 of a vclock VM, its timer, and when the test
 * started.  A test configures the VM its own way, then vt_tfx_create().
 */
struct vt_tfx {
	struct vclock_vm *vm;
	struct vclock_vcpu *v;	/* vCPU 0 */
	struct vapic_timer *t;	/* its LAPIC timer */
	uint64_t t0;		/* start, host ns */
	uint64_t g0;		/* vCPU 0's guest TSC at t0 */
	uint32_t khz;		/* the timer's guest_tsc_khz */
};

/* Create the VM of @cfg into @f; time t0 is now. */
static inline void vt_tfx_create(struct vt_tfx *f,
				 const struct vclock_config *cfg)
{
	f->vm = vt_vm_cfg(cfg);
	f->v = &f->vm->vcpus[0];
	f->t = &f->v->lapic.timer;
	f->t0 = f->vm->now_ns;
	f->g0 = vclock_guest_tsc(f->v);
	f->khz = cfg->lapic.timer.guest_tsc_khz;
}

/* Check the invariants and destroy the VM (vt_vm_destroy()). */
static inline void vt_teardown(struct vt_tfx *f)
{
	vt_vm_destroy(f->vm);
}

/* Move virtual time to t0 + @d_ns. */
static inline void vt_at(struct vt_tfx *f, uint64_t d_ns)
{
	assert_int_equal(vclock_run_until(f->vm, f->t0 + d_ns), 0);
}

/* vCPU 0's guest TSC now. */
static inline uint64_t vt_gtsc(const struct vt_tfx *f)
{
	return vclock_guest_tsc(f->v);
}

/* One vapic_timer_poll() as the vCPU thread; @ev is cleared first. */
static inline int vt_poll(struct vt_tfx *f, struct vapic_timer_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	return vapic_timer_poll(f->t, 0, ev);
}

/* Software-enable the LAPIC of vCPU @v (SVR = 0x1ff). */
static inline void vt_enable(struct vclock_vcpu *v)
{
	assert_int_equal(vapic_lapic_write(&v->lapic, VAPIC_REG_SVR, 0x1ff), 0);
}

/* Guest TSC cycles in @ns at @khz (exact when it divides). */
static inline uint64_t vt_ns_to_tsc(uint64_t ns, uint32_t khz)
{
	return vapic_mul_div_u64(ns, khz, 1000000);
}

#endif /* VTEST_H */
