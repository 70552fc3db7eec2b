// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: floating point used only
 * inside a function with an integer interface.  clang compiles this under
 * -mno-sse without a diagnostic, into soft-float library calls (__divsf3,
 * __floatundisf ...) that no kernel provides: only the symbol check sees it.
 * freestanding-control: expect /SSE|x87|__[a-z]+sf/
 */
#include "internal.h"

u64 vapic_control_float(u64 a, u64 b);

u64 vapic_control_float(u64 a, u64 b)
{
	float r = (float)a / (float)(b | 1);

	return (u64)(r * 3.0f);
}
