/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared declarations of the fuzz targets and the replay driver (fuzz/).
 *
 * Every target defines LLVMFuzzerTestOneInput() (libFuzzer's entry point),
 * and may define fuzz_summary(): a one-line description of what the last
 * input reached, which the replay driver prints as a TAP comment (so a
 * reviewer can see that the seed corpus reaches every mode).  Targets abort
 * on an invariant violation: libFuzzer reports the crash, the replay driver
 * reports the input as "not ok".
 */
#ifndef VAPIC_FUZZ_H
#define VAPIC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional (weak in the replay driver): describe the last input's run. */
void fuzz_summary(char *buf, size_t len);

/* One flag of a target's record of what an input reached: a bool member. */
struct fuzz_flag {
	size_t off;	  /* offsetof() the bool in the record */
	const char *name; /* as fuzz/check_reach.py and '# expect:' name it */
};

#define FUZZ_FLAG(type, member) { offsetof(type, member), #member }

/*
 * fuzz_summary_flags() - the summary line a target's fuzz_summary() gives:
 * "ops N events N deliveries N:" then the name of every flag of @flags
 * (@nr_flags of them) that is true in @reached, in that order, each after
 * a space; cut at @len (NUL-terminated, as snprintf()).  (fuzz/summary.c)
 */
void fuzz_summary_flags(char *buf, size_t len, uint64_t ops, uint64_t events,
			uint64_t deliveries, const void *reached,
			const struct fuzz_flag *flags, size_t nr_flags);

#endif /* VAPIC_FUZZ_H */
