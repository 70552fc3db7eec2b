// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The summary line every fuzz target's fuzz_summary() prints (fuzz.h): what
 * the last input reached.  Linked into both builds of each target (the
 * libFuzzer binary and the replay driver); fuzz/check_reach.py parses it.
 */
#include <stdbool.h>
#include <stdio.h>

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
