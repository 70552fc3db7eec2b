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

#include <stdbool.h>
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

/*
 * fuzz_fail() - an invariant is violated: print "@target: INVARIANT
 * VIOLATED at op @op (@what, or "setup" if NULL): " and the message on
 * stderr, then abort() (libFuzzer reports a crash, the replay driver "not
 * ok").  (fuzz/summary.c)
 */
void fuzz_fail(const char *target, unsigned int op, const char *what,
	       const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* fuzz_trace() - the message on stderr if @on (FUZZ_<TARGET>_TRACE=1). */
void fuzz_trace(bool on, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Checks for a target that defines fail(fz, fmt, ...) (usually a macro
 * around fuzz_fail()): FUZZ_CHECK() a condition, FUZZ_CHECK_EQ() the
 * core's value @a against the model's @b.
 */
#define FUZZ_CHECK(fz, c)                                       \
	do {                                                    \
		if (!(c))                                       \
			fail(fz, "%s (line %d)", #c, __LINE__); \
	} while (0)

#define FUZZ_CHECK_EQ(fz, a, b)                                              \
	do {                                                                 \
		unsigned long long a_ = (unsigned long long)(a);             \
		unsigned long long b_ = (unsigned long long)(b);             \
		if (a_ != b_)                                                \
			fail(fz, "%s == %#llx, model %s == %#llx (line %d)", \
			     #a, a_, #b, b_, __LINE__);                      \
	} while (0)

/*
 * FUZZ_ORACLE marks an oracle function that runs after every op (register
 * comparisons, model maps): libFuzzer's coverage and comparison tracing
 * are left out of it.  Its branches say nothing about which core paths an
 * input reached, and with -fsanitize=fuzzer the tracing of its compares
 * was most of a target's run time.  Nothing under gcc (no coverage).
 */
#if defined(__clang__)
#define FUZZ_ORACLE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_ORACLE
#endif

#endif /* VAPIC_FUZZ_H */
