// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: no variable-length arrays.
 * freestanding-control: expect /variable length array|vla\]/
 */
#include "internal.h"

u32 vapic_control_vla(u32 n);

u32 vapic_control_vla(u32 n)
{
	u32 buf[n + 1];
	u32 i, sum = 0;

	for (i = 0; i <= n; i++)
		buf[i] = i * 3;
	for (i = 0; i <= n; i++)
		sum += buf[i];
	return sum;
}
