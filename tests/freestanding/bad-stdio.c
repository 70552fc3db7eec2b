// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Negative control for the freestanding proof: a core file must not include
 * a hosted header.
 * freestanding-control: expect /stdio\.h/
 */
#include <stdio.h>
#include "internal.h"

u64 vapic_control_stdio(u64 x);

u64 vapic_control_stdio(u64 x)
{
	return x + (u64)EOF;
}
