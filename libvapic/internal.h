/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private helpers shared by the core's .c files.  Internal cross-file
 * functions end in an underscore.
 */
#ifndef VAPIC_INTERNAL_H
#define VAPIC_INTERNAL_H

#include "vapic_env.h"
#include "config.h"
#include <vapic/types.h>

#ifndef UINT64_MAX
#define UINT64_MAX 0xffffffffffffffffULL
#endif

/* An unsigned 128-bit integer from two 64-bit halves (portable). */
struct vapic_u128 {
	u64 hi;
	u64 lo;
};

#if defined(VAPIC_NEED_PORTABLE_UMUL128)
static inline u64 vapic_umul128(u64 a, u64 b, u64 *hi)
{
	u64 a_lo = (u32)a, a_hi = a >> 32, b_lo = (u32)b, b_hi = b >> 32;
	u64 p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo;
	u64 p3 = a_hi * b_hi;
	u64 mid = (p0 >> 32) + (u32)p1 + (u32)p2;

	*hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	return (mid << 32) | (u32)p0;
}
#endif

static inline struct vapic_u128 u128_mul_(u64 a, u64 b)
{
	struct vapic_u128 r;

	r.lo = vapic_umul128(a, b, &r.hi);
	return r;
}

static inline struct vapic_u128 u128_from_(u64 v)
{
	struct vapic_u128 r = { 0, v };

	return r;
}

/* x + v; saturates at 2^128 - 1. */
static inline struct vapic_u128 u128_add_(struct vapic_u128 x, u64 v)
{
	struct vapic_u128 r = { x.hi, x.lo + v };

	if (r.lo < x.lo) {
		if (r.hi == UINT64_MAX) {
			r.lo = UINT64_MAX;
			return r;
		}
		r.hi++;
	}
	return r;
}

/* x - v; 0 if v > x. */
static inline struct vapic_u128 u128_sub_(struct vapic_u128 x, u64 v)
{
	struct vapic_u128 r = { x.hi, x.lo - v };

	if (x.lo < v) {
		if (!x.hi)
			return u128_from_(0);
		r.hi--;
	}
	return r;
}

static inline bool u128_ge_(struct vapic_u128 x, u64 v)
{
	return x.hi || x.lo >= v;
}

/*
 * u128_div_() - floor(x / d) and x mod d, d != 0.  Returns UINT64_MAX and
 * sets *ovf if the quotient does not fit in 64 bits (the remainder is then
 * meaningless).
 */
u64 u128_div_(struct vapic_u128 x, u64 d, u64 *rem, bool *ovf);

/* Sequence counter for the one writer / many readers state (timer.c). */
static inline void seq_write_begin_(u32 *seq)
{
	VAPIC_WRITE_ONCE(*seq, *seq + 1);
	vapic_smp_wmb();
}

static inline void seq_write_end_(u32 *seq)
{
	vapic_smp_wmb();
	VAPIC_WRITE_ONCE(*seq, *seq + 1);
}

static inline u32 seq_read_begin_(const u32 *seq)
{
	u32 s;

	while ((s = vapic_load_acquire(seq)) & 1)
		vapic_cpu_relax();
	return s;
}

static inline bool seq_read_retry_(const u32 *seq, u32 s)
{
	vapic_smp_rmb();
	return VAPIC_READ_ONCE(*seq) != s;
}

/* Index of the highest set bit, 1-based; 0 for 0 (like the kernel's fls64). */
static inline unsigned int fls64_(u64 x)
{
	return x ? 64 - (unsigned int)__builtin_clzll(x) : 0;
}

/*
 * Inlining control for the fast paths, spelled with the reserved
 * attribute names so that a kernel's "noinline" macro cannot clash.
 */
#ifndef VAPIC_NOINLINE
#define VAPIC_NOINLINE __attribute__((__noinline__))
#endif
#ifndef VAPIC_ALWAYS_INLINE
#define VAPIC_ALWAYS_INLINE inline __attribute__((__always_inline__))
#endif

/* Bump a counter that a host may read concurrently. */
/*
 * Counters are bumped by their owner with a relaxed load and store (no
 * locked instruction on the hot path).  In posted mode the timer callback
 * and the vCPU thread both count (arms, injections, lateness): both
 * accesses are atomic, so there is no data race, but an increment racing
 * with the other side's may be lost - counters are statistics, "a moment
 * stale" (ThreadSanitizer found the plain read of the old form).
 */
/*
 * The env may provide vapic_stat_add(): the same contract in fewer
 * instructions (the userspace env: one unlocked add to memory on x86-64).
 */
#ifndef vapic_stat_add
#define vapic_stat_add(p, v) VAPIC_WRITE_ONCE(*(p), VAPIC_READ_ONCE(*(p)) + (v))
#endif
#define STAT_INC_(s) vapic_stat_add(&(s), 1)
#define STAT_ADD_(s, v) vapic_stat_add(&(s), (v))

#endif /* VAPIC_INTERNAL_H */
