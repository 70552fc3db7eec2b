/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic time math: guest TSC from host TSC, TSC <-> ns, exact
 * multiply-divide.
 *
 * All conversions are exact: they return floor() (or ceil() where the name
 * says so) of the mathematically exact rational result, computed with a
 * 128-bit intermediate, and saturate at UINT64_MAX instead of wrapping.
 * Nothing here uses floating point or the C library.
 */
#ifndef VAPIC_CLOCK_H
#define VAPIC_CLOCK_H

#include <vapic/types.h>

/** Fractional bits of the TSC scaling ratio, as KVM on Intel (VMX). */
#define VAPIC_TSC_RATIO_FRAC_BITS 48
/** The ratio that leaves the TSC unscaled (1.0). */
#define VAPIC_TSC_RATIO_ONE (1ULL << VAPIC_TSC_RATIO_FRAC_BITS)
/** Largest TSC (or bus) frequency libvapic accepts, in kHz (~33.5 GHz). */
#define VAPIC_KHZ_MAX ((1U << 25) - 1)

/**
 * struct vapic_clock - how a vCPU's guest TSC derives from the host TSC:
 * guest = ((host * ratio) >> VAPIC_TSC_RATIO_FRAC_BITS) + offset (mod 2^64),
 * the definition KVM and VMX/SVM TSC scaling use.
 * @host_tsc_khz: host TSC frequency, kHz.
 * @guest_tsc_khz: guest TSC frequency, kHz (what the guest is told).
 * @ratio: scaling ratio, VAPIC_TSC_RATIO_FRAC_BITS fractional bits.
 * @offset: offset added after scaling.
 */
struct vapic_clock {
	uint32_t host_tsc_khz;
	uint32_t guest_tsc_khz;
	uint64_t ratio;
	uint64_t offset;
};

/**
 * vapic_mul_div_u64() - floor(@a * @b / @c), exact.
 * @a: multiplicand.
 * @b: multiplier.
 * @c: divisor; 0 yields UINT64_MAX.
 *
 * The product is formed in 128 bits.  Context: any.
 * Return: the quotient, or UINT64_MAX if it does not fit in 64 bits.
 */
VAPIC_API uint64_t vapic_mul_div_u64(uint64_t a, uint64_t b, uint64_t c);

/**
 * vapic_mul_div_u64_ceil() - ceil(@a * @b / @c), exact; as
 * vapic_mul_div_u64() otherwise.
 */
VAPIC_API uint64_t vapic_mul_div_u64_ceil(uint64_t a, uint64_t b, uint64_t c);

/**
 * vapic_tsc_to_ns() - convert a TSC cycle count to ns, rounding down.
 * @tsc: cycles.
 * @tsc_khz: TSC frequency in kHz, 1..VAPIC_KHZ_MAX.
 *
 * Return: floor(@tsc * 10^6 / @tsc_khz), saturated; UINT64_MAX if @tsc_khz
 * is 0.  Context: any.
 */
VAPIC_API uint64_t vapic_tsc_to_ns(uint64_t tsc, uint32_t tsc_khz);

/** vapic_tsc_to_ns_ceil() - as vapic_tsc_to_ns(), rounding up. */
VAPIC_API uint64_t vapic_tsc_to_ns_ceil(uint64_t tsc, uint32_t tsc_khz);

/**
 * vapic_ns_to_tsc() - convert ns to TSC cycles, rounding down.
 * @ns: nanoseconds.
 * @tsc_khz: TSC frequency in kHz.
 *
 * Return: floor(@ns * @tsc_khz / 10^6), saturated.  Context: any.
 */
VAPIC_API uint64_t vapic_ns_to_tsc(uint64_t ns, uint32_t tsc_khz);

/** vapic_ns_to_tsc_ceil() - as vapic_ns_to_tsc(), rounding up. */
VAPIC_API uint64_t vapic_ns_to_tsc_ceil(uint64_t ns, uint32_t tsc_khz);

/**
 * vapic_tsc_scale() - apply a scaling ratio: (@tsc * @ratio) >> 48, the
 * 128-bit product truncated to 64 bits as hardware TSC scaling does.
 * @tsc: host TSC value.
 * @ratio: VAPIC_TSC_RATIO_FRAC_BITS fixed-point ratio.
 *
 * Context: any.
 */
VAPIC_API uint64_t vapic_tsc_scale(uint64_t tsc, uint64_t ratio);

/**
 * vapic_clock_init() - set up a clock for a guest running at @guest_khz on
 * a host TSC of @host_khz, with @offset added after scaling.
 * @c: the clock.
 * @host_khz: host TSC frequency, kHz, 1..VAPIC_KHZ_MAX.
 * @guest_khz: guest TSC frequency, kHz, 1..VAPIC_KHZ_MAX.
 * @offset: TSC offset.
 *
 * The ratio is floor(@guest_khz * 2^48 / @host_khz), as KVM computes it.
 * Context: any.
 * Return: 0, VAPIC_EINVAL for a NULL clock or zero frequency, VAPIC_ERANGE
 * for a frequency above VAPIC_KHZ_MAX or a ratio that does not fit the
 * 64-bit fixed-point format.  @c is unchanged on error.
 */
VAPIC_API int vapic_clock_init(struct vapic_clock *c, uint32_t host_khz,
			       uint32_t guest_khz, uint64_t offset);

/**
 * vapic_clock_guest_tsc() - the guest TSC for a host TSC reading.
 * @c: the clock.
 * @host_tsc: host TSC value.
 *
 * Context: any.
 * Return: vapic_tsc_scale(@host_tsc, ratio) + offset, modulo 2^64.
 */
VAPIC_API uint64_t vapic_clock_guest_tsc(const struct vapic_clock *c,
					 uint64_t host_tsc);

/**
 * vapic_clock_offset_for() - the offset that makes the guest TSC read
 * @guest_tsc when the host TSC reads @host_tsc under @c's ratio; what a
 * destination host computes after migration to keep the guest TSC
 * continuous.
 * @c: the clock (its ratio is used).
 * @host_tsc: host TSC now.
 * @guest_tsc: the guest TSC value wanted now.
 *
 * Context: any.
 */
VAPIC_API uint64_t vapic_clock_offset_for(const struct vapic_clock *c,
					  uint64_t host_tsc,
					  uint64_t guest_tsc);

#endif /* VAPIC_CLOCK_H */
