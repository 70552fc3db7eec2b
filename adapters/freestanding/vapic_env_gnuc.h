/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The part of a vapic_env.h that any GNU C compiler (gcc, clang) provides
 * without a C library: fixed-width types, atomics and barriers from the
 * __atomic builtins, 128-bit multiply, 64-bit division, branch hints.
 * Shared by the freestanding-proof env and the userspace env.
 *
 * Memory-model mapping (the kernel env maps the same names to READ_ONCE,
 * smp_mb() & co):
 *   VAPIC_READ_ONCE/WRITE_ONCE  relaxed atomic load/store (no tearing)
 *   vapic_load_acquire/store_release  acquire load / release store
 *   vapic_smp_mb()   full fence (orders earlier stores before later loads)
 *   vapic_smp_rmb()/wmb()  acquire / release fences
 *   vapic_xchg()/vapic_cmpxchg()  fully ordered read-modify-write
 *   vapic_stat_add()  a counter's owner adds; readers see no torn value
 */
#ifndef VAPIC_ENV_GNUC_H
#define VAPIC_ENV_GNUC_H

#include <vapic/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define VAPIC_LIKELY(x) __builtin_expect(!!(x), 1)
#define VAPIC_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define VAPIC_READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define VAPIC_WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define vapic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define vapic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define vapic_xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define vapic_atomic_or(p, v) \
	((void)__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST))
#define vapic_atomic_fetch_or(p, v) \
	__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define vapic_atomic_andnot(p, v) \
	((void)__atomic_fetch_and((p), ~(v), __ATOMIC_SEQ_CST))
#define vapic_atomic_inc_return(p) __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define vapic_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define vapic_smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define vapic_smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

/*
 * vapic_stat_add() - add @v to a 64-bit statistics counter.  Counters have
 * one writer at a time (their owner, see STAT_INC_() in internal.h) and
 * readers on any thread, which must see no torn value; lost increments
 * between two writers are acceptable (statistics).  On x86-64 this is one
 * unlocked "addq" to memory: a single instruction whose 8-byte aligned
 * store is single-copy atomic, as a relaxed atomic store is.  Elsewhere,
 * and under ThreadSanitizer (which cannot see into asm), a relaxed atomic
 * load and store.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VAPIC_ENV_TSAN_ 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define VAPIC_ENV_TSAN_ 1
#endif
#if defined(__x86_64__) && !defined(VAPIC_ENV_TSAN_)
#define vapic_stat_add(p, v) \
	__asm__ __volatile__("addq %1, %0" : "+m"(*(p)) : "er"((u64)(v)))
#else
#define vapic_stat_add(p, v) \
	__atomic_store_n((p), __atomic_load_n((p), __ATOMIC_RELAXED) + (v), \
			 __ATOMIC_RELAXED)
#endif

static inline bool vapic_cmpxchg_u32_(u32 *p, u32 old, u32 new_val)
{
	return __atomic_compare_exchange_n(p, &old, new_val, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
#define vapic_cmpxchg32(p, o, n) vapic_cmpxchg_u32_((p), (o), (n))

#if defined(__x86_64__) || defined(__i386__)
#define vapic_cpu_relax() __builtin_ia32_pause()
#else
#define vapic_cpu_relax() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * vapic_mul_u64_u64_shr() - (a * b) >> shift with the full 128-bit product;
 * the low 64 bits of the shifted product (like the kernel's
 * mul_u64_u64_shr()).  shift is 0..127.
 */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 vapic_u128_t_;
static inline u64 vapic_mul_u64_u64_shr(u64 a, u64 b, unsigned int shift)
{
	return (u64)(((vapic_u128_t_)a * b) >> shift);
}
/* vapic_umul128() - 128-bit product: returns the low half, *hi the high. */
static inline u64 vapic_umul128(u64 a, u64 b, u64 *hi)
{
	vapic_u128_t_ p = (vapic_u128_t_)a * b;

	*hi = (u64)(p >> 64);
	return (u64)p;
}
#else
#define VAPIC_NEED_PORTABLE_UMUL128 1
#endif

/* 64-bit division helpers (the kernel env maps them to div_u64_rem & co). */
static inline u64 vapic_div_u64_rem(u64 n, u32 d, u32 *rem)
{
	*rem = (u32)(n % d);
	return n / d;
}
static inline u64 vapic_div64_u64(u64 n, u64 d)
{
	return n / d;
}
static inline u64 vapic_div64_u64_rem(u64 n, u64 d, u64 *rem)
{
	*rem = n % d;
	return n / d;
}

/*
 * VAPIC_WARN_ON() - report a programmer error of the embedding host (never a
 * guest action) and evaluate to the condition.
 */
void vapic_warn_report_(const char *file, int line, const char *expr);
static inline bool vapic_warn_on_(bool cond, const char *file, int line,
				  const char *expr)
{
	if (VAPIC_UNLIKELY(cond))
		vapic_warn_report_(file, line, expr);
	return cond;
}
#define VAPIC_WARN_ON(c) vapic_warn_on_(!!(c), __FILE__, __LINE__, #c)

/* Compile-time assertion usable at file scope. */
#define VAPIC_BUILD_BUG_ON(c) _Static_assert(!(c), #c)

#define VAPIC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VAPIC_ENV_GNUC_H */
