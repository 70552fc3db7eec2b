/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Compile-time environment for the Linux kernel build of libvapic (kbuild,
 * adapters/linux/Kbuild).  Every core .c file includes this through
 * libvapic/internal.h.
 *
 * It maps the env names the core uses onto the kernel's own primitives, with
 * the same meaning as the GNU C env (adapters/freestanding/vapic_env_gnuc.h):
 *
 *   VAPIC_READ_ONCE/WRITE_ONCE        READ_ONCE/WRITE_ONCE
 *   vapic_load_acquire/store_release  smp_load_acquire/smp_store_release
 *   vapic_smp_mb/rmb/wmb              smp_mb/smp_rmb/smp_wmb
 *   vapic_xchg, vapic_cmpxchg32       xchg, cmpxchg (fully ordered)
 *   vapic_atomic_*                    atomic_t ops on the plain u32, made
 *                                     fully ordered like the GNU C env's
 *                                     __ATOMIC_SEQ_CST (the kernel's void
 *                                     atomic_or()/atomic_andnot() are
 *                                     unordered, so they are bracketed by
 *                                     smp_mb__before/after_atomic(), which
 *                                     cost nothing on x86)
 *   vapic_mul_u64_u64_shr             mul_u64_u64_shr
 *   vapic_umul128                     a * b and mul_u64_u64_shr(a, b, 64)
 *   vapic_div_u64_rem, vapic_div64_*  div_u64_rem, div64_u64, div64_u64_rem
 *                                     (32-bit kernels have no __udivdi3)
 *   VAPIC_WARN_ON                     WARN_ON_ONCE
 *   vapic_cpu_relax                   cpu_relax
 *
 * Kernel glue (EXPORT_SYMBOL_GPL, MODULE_*) is not here: it lives in the
 * adapter's own .c files, never in the core.
 */
#ifndef VAPIC_ENV_H
#define VAPIC_ENV_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/atomic.h>
#include <linux/math64.h>
#include <asm/barrier.h>
#include <asm/processor.h>
#include <vapic/types.h>

#define VAPIC_LIKELY(x) likely(x)
#define VAPIC_UNLIKELY(x) unlikely(x)

#define VAPIC_READ_ONCE(x) READ_ONCE(x)
#define VAPIC_WRITE_ONCE(x, v) WRITE_ONCE(x, v)
#define vapic_load_acquire(p) smp_load_acquire(p)
#define vapic_store_release(p, v) smp_store_release(p, v)
#define vapic_xchg(p, v) xchg(p, v)
#define vapic_smp_mb() smp_mb()
#define vapic_smp_rmb() smp_rmb()
#define vapic_smp_wmb() smp_wmb()
/*
 * Statistics counter add (internal.h STAT_INC_): one writer at a time, any
 * reader, no torn values, lost increments between writers acceptable.  On
 * x86-64 one unlocked add to memory (as KVM's ++vcpu->stat.x compiles to);
 * elsewhere internal.h's READ_ONCE/WRITE_ONCE pair.
 */
#ifdef CONFIG_X86_64
#define vapic_stat_add(p, v) \
	asm volatile("addq %1, %0" : "+m"(*(p)) : "er"((u64)(v)))
#endif

/*
 * The core keeps its atomic words as plain u32 (so the public structs need
 * no kernel type); atomic_t is a struct around one int of the same size and
 * alignment, and the kernel builds with -fno-strict-aliasing.
 */
static_assert(sizeof(atomic_t) == sizeof(u32));
static_assert(__alignof__(atomic_t) == __alignof__(u32));

static inline atomic_t *vapic_atomic_(u32 *p)
{
	return (atomic_t *)p;
}

static inline void vapic_atomic_or_(u32 *p, u32 v)
{
	smp_mb__before_atomic();
	atomic_or((int)v, vapic_atomic_(p));
	smp_mb__after_atomic();
}

static inline void vapic_atomic_andnot_(u32 *p, u32 v)
{
	smp_mb__before_atomic();
	atomic_andnot((int)v, vapic_atomic_(p));
	smp_mb__after_atomic();
}

#define vapic_atomic_or(p, v) vapic_atomic_or_((p), (v))
#define vapic_atomic_andnot(p, v) vapic_atomic_andnot_((p), (v))
#define vapic_atomic_fetch_or(p, v) \
	((u32)atomic_fetch_or((int)(v), vapic_atomic_((p))))
#define vapic_atomic_inc_return(p) ((u32)atomic_inc_return(vapic_atomic_((p))))

static inline bool vapic_cmpxchg_u32_(u32 *p, u32 old, u32 new_val)
{
	return cmpxchg(p, old, new_val) == old;
}
#define vapic_cmpxchg32(p, o, n) vapic_cmpxchg_u32_((p), (o), (n))

#define vapic_cpu_relax() cpu_relax()

/* (a * b) >> shift with the full 128-bit product, shift 0..127. */
static inline u64 vapic_mul_u64_u64_shr(u64 a, u64 b, unsigned int shift)
{
	return mul_u64_u64_shr(a, b, shift);
}

/* 128-bit product: returns the low half, *hi the high half. */
static inline u64 vapic_umul128(u64 a, u64 b, u64 *hi)
{
	*hi = mul_u64_u64_shr(a, b, 64);
	return a * b;
}

static inline u64 vapic_div_u64_rem(u64 n, u32 d, u32 *rem)
{
	return div_u64_rem(n, d, rem);
}

static inline u64 vapic_div64_u64(u64 n, u64 d)
{
	return div64_u64(n, d);
}

static inline u64 vapic_div64_u64_rem(u64 n, u64 d, u64 *rem)
{
	return div64_u64_rem(n, d, rem);
}

/* A programmer error of the embedding host (never a guest action). */
#define VAPIC_WARN_ON(c) WARN_ON_ONCE(c)

/* Compile-time assertion usable at file scope. */
#define VAPIC_BUILD_BUG_ON(c) static_assert(!(c), #c)

#define VAPIC_ARRAY_SIZE(a) ARRAY_SIZE(a)

#endif /* VAPIC_ENV_H */
