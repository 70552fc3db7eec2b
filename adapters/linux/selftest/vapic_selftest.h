/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vapic_selftest.ko internals: the real-hrtimer timing checks
 * (vapic_timing.c) called by the module (vapic_selftest.c).
 */
#ifndef VAPIC_SELFTEST_H
#define VAPIC_SELFTEST_H

#include <linux/types.h>

/**
 * struct vst_timing_cfg - parameters of the timing checks.
 * @n: timer interrupts per scenario.
 * @min_us: shortest deadline, us from now.
 * @max_us: longest deadline, us from now.
 * @period_us: period of the periodic scenario, us.
 * @p50_bound_us: bound on the median lateness.
 * @p99_bound_us: bound on the 99th percentile of the lateness.
 * @max_bound_us: bound on the largest lateness.
 * @lost_timeout_ms: an interrupt not delivered within this is lost.
 */
struct vst_timing_cfg {
	unsigned int n;
	unsigned int min_us;
	unsigned int max_us;
	unsigned int period_us;
	unsigned int p50_bound_us;
	unsigned int p99_bound_us;
	unsigned int max_bound_us;
	unsigned int lost_timeout_ms;
};

/**
 * vst_run_timing() - run every timing scenario on real hrtimers, printing
 * one TAP line per scenario from @first on.
 * @cfg: parameters.
 * @first: TAP number of the first scenario.
 * @failed: incremented per failed scenario.
 *
 * Return: the number of scenarios run.
 */
unsigned int vst_run_timing(const struct vst_timing_cfg *cfg,
			    unsigned int first, unsigned int *failed);

/** vst_ntiming() - how many scenarios vst_run_timing() runs. */
unsigned int vst_ntiming(void);

#endif /* VAPIC_SELFTEST_H */
