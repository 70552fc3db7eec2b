// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Userspace VAPIC_WARN_ON() reporting: print once per call site to stderr
 * and count, so tests can assert that a host programming error was caught.
 * Hosted code: lives in the userspace adapter, never in the core.
 */
#include <stdio.h>
#include <vapic/types.h>
#include "vapic_user.h"

static unsigned long warn_count;

void vapic_warn_report_(const char *file, int line, const char *expr);

void vapic_warn_report_(const char *file, int line, const char *expr)
{
	__atomic_add_fetch(&warn_count, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "libvapic: WARNING at %s:%d: %s\n", file, line, expr);
}

VAPIC_API unsigned long vapic_user_warn_count(void)
{
	return __atomic_load_n(&warn_count, __ATOMIC_RELAXED);
}
