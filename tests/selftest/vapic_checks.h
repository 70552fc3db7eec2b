/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic behaviour checks that run in two places: in userspace (meson test
 * 'selftest_checks', tests/selftest/check_user.c) and inside a real Linux
 * kernel (vapic_selftest.ko, adapters/linux/selftest/).  They use only the
 * public API, a small virtual-clock host of their own, and this header: no
 * C library, no cmocka, so the same file is compiled by kbuild.
 *
 * Output is TAP ("1..N", "ok 3 - name", "not ok 4 - name", diagnostics as
 * "# ..."), written through vchk_log(), which each runner provides.
 */
#ifndef VAPIC_CHECKS_H
#define VAPIC_CHECKS_H

#include <vapic/types.h>

/**
 * struct vchk - state of one run.
 * @test: name of the test being run.
 * @force_fail: negative control: also run a check whose expectation is
 *	deliberately wrong (a one-shot timer must fire 1 ns before its
 *	deadline), so the run must fail.
 * @checks: checks evaluated.
 * @failed_checks: checks that failed.
 * @test_failed: the current test has failed a check.
 * @tests_run: tests run.
 * @tests_failed: tests with at least one failed check.
 */
struct vchk {
	const char *test;
	bool force_fail;
	unsigned int checks;
	unsigned int failed_checks;
	unsigned int test_failed;
	unsigned int tests_run;
	unsigned int tests_failed;
};

/* Provided by the runner: print one line (no trailing newline needed). */
void vchk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * vchk_ntests() - how many tests vchk_run_all() will run (for a TAP plan).
 * @c: run state (@force_fail counts).
 */
unsigned int vchk_ntests(const struct vchk *c);

/**
 * vchk_run_all() - run every behaviour check, printing TAP result lines
 * (the caller prints the plan).
 * @c: run state (zeroed by the caller except @force_fail).
 * @first: TAP number of the first test.
 *
 * Return: the number of failed tests (0: all passed).
 */
unsigned int vchk_run_all(struct vchk *c, unsigned int first);

#endif /* VAPIC_CHECKS_H */
