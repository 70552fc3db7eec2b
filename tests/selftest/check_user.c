// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Userspace runner of the behaviour checks that vapic_selftest.ko runs in
 * the kernel (vapic_checks.c): TAP on stdout.  --force-fail adds the
 * negative control, which must make the run fail (exit 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vapic_checks.h"

void vchk_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct vchk c;

	memset(&c, 0, sizeof(c));
	c.force_fail = argc > 1 && !strcmp(argv[1], "--force-fail");
	vchk_log("1..%u", vchk_ntests(&c));
	return vchk_run_all(&c, 1) ? 1 : 0;
}
