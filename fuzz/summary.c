// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What every fuzz target shares (fuzz.h): the summary line its
 * fuzz_summary() prints (what the last input reached; fuzz/check_reach.py
 * parses it), and failure reporting and tracing.  Linked into both builds of
 * each target (the libFuzzer binary and the replay driver).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void fuzz_summary_flags(char *buf, size_t len, uint64_t ops, uint64_t events,
			uint64_t deliveries, const void *reached,
			const struct fuzz_flag *flags, size_t nr_flags)
{
	size_t k, o;

	o = (size_t)snprintf(buf, len, "ops %llu events %llu deliveries %llu:",
			     (unsigned long long)ops,
			     (unsigned long long)events,
			     (unsigned long long)deliveries);
	for (k = 0; k < nr_flags && o < len; k++)
		if (*(const bool *)((const char *)reached + flags[k].off))
			o += (size_t)snprintf(buf + o, len - o, " %s",
					      flags[k].name);
}

void fuzz_fail(const char *target, unsigned int op, const char *what,
	       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: INVARIANT VIOLATED at op %u (%s): ", target, op,
		what ? what : "setup");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fuzz_trace(bool on, const char *fmt, ...)
{
	va_list ap;

	if (!on)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
