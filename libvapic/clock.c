// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Time math: exact multiply-divide, TSC <-> ns, TSC scaling.
 *
 * Everything is integer arithmetic with a 128-bit intermediate.  The fast
 * path (product below 2^64) is one multiply and one 64-bit divide; only
 * products beyond 2^64 take the 64-step long division.
 */
#include "internal.h"
#include <vapic/clock.h>
#include <vapic/errors.h>

#define NSEC_PER_MSEC 1000000U

u64 u128_div_(struct vapic_u128 x, u64 d, u64 *rem, bool *ovf)
{
	u64 r, q = 0;
	u64 lo = x.lo;
	int i;

	*ovf = false;
	if (!x.hi)
		return vapic_div64_u64_rem(x.lo, d, rem);
	if (x.hi >= d) {
		*ovf = true;
		*rem = 0;
		return UINT64_MAX;
	}
	/*
	 * Restoring long division, one quotient bit per step.  Invariant:
	 * r < d before each step, so 2r + 1 < 2d; when the shift carries out
	 * of bit 63 the true value is >= 2^64 > d and the wrapped
	 * subtraction gives the right remainder.
	 */
	r = x.hi;
	for (i = 0; i < 64; i++) {
		u64 carry = r >> 63;

		r = (r << 1) | (lo >> 63);
		lo <<= 1;
		q <<= 1;
		if (carry || r >= d) {
			r -= d;
			q |= 1;
		}
	}
	*rem = r;
	return q;
}

VAPIC_API uint64_t vapic_mul_div_u64(uint64_t a, uint64_t b, uint64_t c)
{
	u64 rem;
	bool ovf;

	if (VAPIC_UNLIKELY(!c))
		return UINT64_MAX;
	return u128_div_(u128_mul_(a, b), c, &rem, &ovf);
}

VAPIC_API uint64_t vapic_mul_div_u64_ceil(uint64_t a, uint64_t b, uint64_t c)
{
	u64 rem, q;
	bool ovf;

	if (VAPIC_UNLIKELY(!c))
		return UINT64_MAX;
	q = u128_div_(u128_mul_(a, b), c, &rem, &ovf);
	if (ovf)
		return UINT64_MAX;
	if (rem) {
		if (q == UINT64_MAX)
			return UINT64_MAX;
		q++;
	}
	return q;
}

VAPIC_API uint64_t vapic_tsc_to_ns(uint64_t tsc, uint32_t tsc_khz)
{
	return vapic_mul_div_u64(tsc, NSEC_PER_MSEC, tsc_khz);
}

VAPIC_API uint64_t vapic_tsc_to_ns_ceil(uint64_t tsc, uint32_t tsc_khz)
{
	return vapic_mul_div_u64_ceil(tsc, NSEC_PER_MSEC, tsc_khz);
}

VAPIC_API uint64_t vapic_ns_to_tsc(uint64_t ns, uint32_t tsc_khz)
{
	return vapic_mul_div_u64(ns, tsc_khz, NSEC_PER_MSEC);
}

VAPIC_API uint64_t vapic_ns_to_tsc_ceil(uint64_t ns, uint32_t tsc_khz)
{
	return vapic_mul_div_u64_ceil(ns, tsc_khz, NSEC_PER_MSEC);
}

VAPIC_API uint64_t vapic_tsc_scale(uint64_t tsc, uint64_t ratio)
{
	return vapic_mul_u64_u64_shr(tsc, ratio, VAPIC_TSC_RATIO_FRAC_BITS);
}

VAPIC_API int vapic_clock_init(struct vapic_clock *c, uint32_t host_khz,
			       uint32_t guest_khz, uint64_t offset)
{
	u64 ratio;

	if (!c || !host_khz || !guest_khz)
		return VAPIC_EINVAL;
	if (host_khz > VAPIC_KHZ_MAX || guest_khz > VAPIC_KHZ_MAX)
		return VAPIC_ERANGE;
	/* KVM: mul_u64_u32_div(1ULL << frac_bits, user_tsc_khz, tsc_khz). */
	ratio = vapic_mul_div_u64(VAPIC_TSC_RATIO_ONE, guest_khz, host_khz);
	if (!ratio || ratio == UINT64_MAX)
		return VAPIC_ERANGE;
	c->host_tsc_khz = host_khz;
	c->guest_tsc_khz = guest_khz;
	c->ratio = ratio;
	c->offset = offset;
	return 0;
}

VAPIC_API uint64_t vapic_clock_guest_tsc(const struct vapic_clock *c,
					 uint64_t host_tsc)
{
	return vapic_tsc_scale(host_tsc, c->ratio) + c->offset;
}

VAPIC_API uint64_t vapic_clock_offset_for(const struct vapic_clock *c,
					  uint64_t host_tsc,
					  uint64_t guest_tsc)
{
	return guest_tsc - vapic_tsc_scale(host_tsc, c->ratio);
}
