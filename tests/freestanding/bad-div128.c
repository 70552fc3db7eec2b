// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: a 128-bit division compiles
 * to a libgcc/compiler-rt helper (__udivti3) that the kernel does not
 * provide; the core must use u128_div_() from internal.h instead.
 * freestanding-control: expect /__udivti3|__umodti3/
 */
#include "internal.h"

u64 vapic_control_div128(u64 hi, u64 lo, u64 d);

u64 vapic_control_div128(u64 hi, u64 lo, u64 d)
{
	__extension__ typedef unsigned __int128 u128;
	u128 x = ((u128)hi << 64) | lo;

	return (u64)(x / (d | 1));
}
