// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vapic_selftest.ko: libvapic's in-kernel selftest.
 *
 * Loading it runs, inside the kernel and against vapic.ko's exports:
 *  1. the behaviour checks of tests/selftest/vapic_checks.c (the same file
 *     the userspace test 'selftest_checks' runs) on a virtual clock;
 *  2. timing checks on real hrtimers through the kernel host
 *     (vapic_timing.c): never early in guest TSC, never lost, bounded
 *     lateness with percentiles.
 * Results are printed as TAP lines prefixed "vapic_selftest: ", and the
 * verdict ("PASS" or "FAIL") is left in the read-only parameter
 * /sys/module/vapic_selftest/parameters/verdict.  The module loads
 * successfully either way (busybox insmod would retry a failing init), so
 * the verdict is the only result.
 *
 * NEVER load it into a machine's own kernel: it is meant for the throwaway
 * VM of scripts/kernel/run-selftest.sh (it spins CPUs for seconds).
 *
 * Parameters: force_fail=1 adds a negative-control check that must fail;
 * timing_n, *_us and the bounds tune the timing checks (see below).
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include "vapic_checks.h"
#include "vapic_selftest.h"

static bool force_fail;
module_param(force_fail, bool, 0444);
MODULE_PARM_DESC(force_fail,
		 "negative control: add a check that must fail (verdict FAIL)");

static bool behaviour = true;
module_param(behaviour, bool, 0444);
MODULE_PARM_DESC(behaviour, "run the behaviour checks (default 1)");

static bool timing = true;
module_param(timing, bool, 0444);
MODULE_PARM_DESC(timing, "run the real-hrtimer timing checks (default 1)");

static unsigned int timing_n = 1000;
module_param(timing_n, uint, 0444);
MODULE_PARM_DESC(timing_n, "timer interrupts per timing scenario");

static unsigned int min_us = 20;
module_param(min_us, uint, 0444);
MODULE_PARM_DESC(min_us, "shortest random deadline, us");

static unsigned int max_us = 500;
module_param(max_us, uint, 0444);
MODULE_PARM_DESC(max_us, "longest random deadline, us");

static unsigned int period_us = 500;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "period of the periodic scenario, us");

/*
 * The lateness bounds are generous on purpose: under qemu TCG the guest's
 * time and interrupts are emulated and the host machine is shared, so a
 * timer can be late by milliseconds (seen: p50 40-80 us, p99 1-5 ms, max
 * up to 50 ms).  The p50 bound catches a timer at the wrong time scale (an
 * ns/us mix-up makes 20..500 us deadlines 1000x late); p99 and max catch
 * systematic lateness.  "Never early" has no tolerance at all.
 */
static unsigned int p50_bound_us = 2000;
module_param(p50_bound_us, uint, 0444);
MODULE_PARM_DESC(p50_bound_us,
		 "bound on the median lateness, us (TCG: generous)");

static unsigned int p99_bound_us = 50000;
module_param(p99_bound_us, uint, 0444);
MODULE_PARM_DESC(p99_bound_us, "bound on the p99 lateness, us (TCG: generous)");

static unsigned int max_bound_us = 500000;
module_param(max_bound_us, uint, 0444);
MODULE_PARM_DESC(max_bound_us, "bound on the max lateness, us (TCG: generous)");

static unsigned int lost_timeout_ms = 2000;
module_param(lost_timeout_ms, uint, 0444);
MODULE_PARM_DESC(lost_timeout_ms, "an interrupt later than this is lost, ms");

static char verdict[8] = "NONE";
module_param_string(verdict, verdict, sizeof(verdict), 0444);
MODULE_PARM_DESC(verdict, "result: PASS or FAIL (read-only)");

void vchk_log(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("vapic_selftest: %pV\n", &vaf);
	va_end(args);
}

static int __init vapic_selftest_init(void)
{
	struct vst_timing_cfg tc = {
		.n = timing_n,
		.min_us = min_us,
		.max_us = max_us,
		.period_us = period_us,
		.p50_bound_us = p50_bound_us,
		.p99_bound_us = p99_bound_us,
		.max_bound_us = max_bound_us,
		.lost_timeout_ms = lost_timeout_ms,
	};
	static struct vchk c;
	unsigned int plan = 0, next = 1, failed = 0;

	c.force_fail = force_fail;
	if (timing && (!timing_n || !period_us || min_us > max_us ||
		       max_us > 1000000 || period_us > 4000000)) {
		vchk_log("bad parameters: timing_n=%u min_us=%u max_us=%u "
			 "period_us=%u",
			 timing_n, min_us, max_us, period_us);
		strscpy(verdict, "FAIL", sizeof(verdict));
		return 0;
	}
	if (behaviour)
		plan += vchk_ntests(&c);
	if (timing)
		plan += vst_ntiming();
	vchk_log("libvapic in-kernel selftest: %s%s%s",
		 behaviour ? "behaviour " : "", timing ? "timing " : "",
		 force_fail ? "(negative control on)" : "");
	vchk_log("1..%u", plan);
	if (behaviour) {
		failed += vchk_run_all(&c, next);
		next += vchk_ntests(&c);
	}
	if (timing)
		next += vst_run_timing(&tc, next, &failed);
	if (next - 1 != plan) {
		vchk_log("# ran %u tests, planned %u", next - 1, plan);
		failed++;
	}
	strscpy(verdict, failed || !plan ? "FAIL" : "PASS", sizeof(verdict));
	vchk_log("VERDICT %s (%u of %u tests failed)", verdict, failed, plan);
	return 0;
}

static void __exit vapic_selftest_exit(void)
{
}

module_init(vapic_selftest_init);
module_exit(vapic_selftest_exit);

MODULE_DESCRIPTION("libvapic in-kernel selftest (load only in a test VM)");
MODULE_LICENSE("Dual BSD/GPL");
