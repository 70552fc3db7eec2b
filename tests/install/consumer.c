// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A minimal user of an installed libvapic (suite 'install'). */
#include <stdio.h>
#include <vapic/clock.h>
#include <vapic/errors.h>

int main(void)
{
	uint64_t ns = vapic_tsc_to_ns(3000000, 3000000); /* 3e6 cycles, 3 GHz */

	printf("libvapic: %llu ns; %s\n", (unsigned long long)ns,
	       vapic_strerror(VAPIC_EINVAL));
	return ns == 1000000 ? 0 : 1;
}
