// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: kernel stacks are small, so
 * no function may have a stack frame above 1024 bytes.
 * freestanding-control: expect /frame-larger-than/
 */
#include "internal.h"

u64 vapic_control_frame(const u64 *in, u32 n);

u64 vapic_control_frame(const u64 *in, u32 n)
{
	volatile u64 buf[256];
	u64 sum = 0;
	u32 i;

	for (i = 0; i < 256; i++)
		buf[i] = in[i % (n | 1)];
	for (i = 0; i < 256; i++)
		sum += buf[(i * 7) % 256];
	return sum;
}
