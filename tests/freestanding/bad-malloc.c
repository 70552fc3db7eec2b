// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: no allocation and no other
 * C library call, even when declared by hand instead of through a hosted
 * header (only the symbol check can see it).
 * freestanding-control: expect /malloc/
 */
#include "internal.h"

void *malloc(size_t size);
void *vapic_control_malloc(u32 n);

void *vapic_control_malloc(u32 n)
{
	return malloc(n);
}
