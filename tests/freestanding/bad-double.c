// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: no floating point in the
 * core (gcc rejects SSE use under -mno-sse; clang emits soft-float calls
 * such as __muldf3, caught by the symbol check).
 * freestanding-control: expect /SSE|x87|__[a-z]+df/
 */
#include "internal.h"

double vapic_control_double(double x);

double vapic_control_double(double x)
{
	return x * 1.5;
}
