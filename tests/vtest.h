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
