// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Timing checks on real hrtimers, through the kernel host (vapic_khost).
 *
 * A kthread bound to one CPU plays the vCPU thread: it programs a LAPIC
 * timer (struct vapic_lapic from vapic.ko), and runs the usual host loop:
 * vapic_lapic_poll(); INJECT -> take the interrupt; WAIT -> spin;
 * NONE -> sleep until the khost's kick.  The guest TSC is the real TSC
 * (identity ratio, offset 0), read with rdtsc_ordered().
 *
 * Checked per scenario:
 *  - never early: the guest TSC when the interrupt is taken (or posted) is
 *    at or past its deadline, strictly, every time; the core's own early
 *    counter and the khost's hrtimer-before-expiry counter stay 0;
 *  - never lost: every interrupt arrives within lost_timeout_ms; a periodic
 *    timer accounts for every period that elapsed (delivered, missed or
 *    coalesced);
 *  - pinned: the hrtimer fires on the vCPU's CPU, every time;
 *  - bounded lateness: p50, p99 and max under generous bounds (TCG).
 * Lateness percentiles (nearest rank) are printed for every scenario.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <vapic/clock.h>
#include <vapic/errors.h>
#include <vapic/lapic.h>
#include "vapic_checks.h"
#include "vapic_khost.h"
#include "vapic_selftest.h"

#define VST_VECTOR 0xecU
#define VST_LVTT_PERIODIC 0x00020000U
#define VST_LVTT_TSCDL 0x00040000U
#define VST_TDCR_DIV1 0xbU

struct vst_scenario {
	const char *name;
	bool pinned;
	bool posted;
	bool periodic;
	int advance_ns; /* 0: adaptive (the default) */
};

static const struct vst_scenario vst_scenarios[] = {
	/* seed 001: pinned hrtimer, tick handed to the vCPU thread */
	{ "timing_tscdl_deferred_pinned", true, false, false },
	/* unpinned without posting: the kick must still get the tick in */
	{ "timing_tscdl_deferred_unpinned", false, false, false },
	/* seed 000: unpinned hrtimer, exitless delivery by post() */
	{ "timing_tscdl_posted_unpinned", false, true, false },
	/* periodic mode, pinned, deferred */
	{ "timing_periodic_deferred_pinned", true, false, true },
	/*
	 * A fixed 50 us advance, far more than TCG's interrupt latency: the
	 * hrtimer fires well before the deadline, so the vCPU thread's WAIT
	 * (deferred) and the callback's spin or re-arm (posted) really run.
	 */
	{ "timing_tscdl_deferred_pinned_advance50us", true, false, false,
	  50000 },
	{ "timing_tscdl_posted_unpinned_advance50us", false, true, false,
	  50000 },
};

struct vst_vcpu {
	struct vapic_lapic lapic;
	struct vapic_khost kh;
	struct vapic_khost_ops kops;
	const struct vst_timing_cfg *cfg;
	const struct vst_scenario *sc;
	struct completion done;
	int cpu;
	u64 lcg;
	int err;

	/* Written by post() in the hrtimer callback. */
	u32 posted;
	u64 posted_tsc;
	int posted_cpu;

	/* Results. */
	u64 *late_ns;
	unsigned int nlate;
	unsigned int early;
	unsigned int lost;
	unsigned int remote_posts;
	unsigned int fallbacks;
	s64 min_margin_tsc; /* smallest delivery TSC - deadline */
	u64 accounted;
	u64 elapsed_periods;
};

unsigned int vst_ntiming(void)
{
	return ARRAY_SIZE(vst_scenarios);
}

static u64 vst_tsc(void)
{
	return rdtsc_ordered();
}

static u32 vst_rand(struct vst_vcpu *v)
{
	v->lcg = v->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (u32)(v->lcg >> 32);
}

static int vst_post(struct vapic_khost *kh, u32 vector)
{
	struct vst_vcpu *v = vapic_khost_priv(kh);

	/* The guest "sees" the posted interrupt now. */
	WRITE_ONCE(v->posted_tsc, vst_tsc());
	WRITE_ONCE(v->posted_cpu, smp_processor_id());
	smp_store_release(&v->posted, 1);
	vapic_khost_kick(kh); /* the posted-interrupt notification */
	return 0;
}

static void vst_spin_ns(u64 ns)
{
	u64 end = ktime_get_ns() + ns;

	while (ktime_get_ns() < end)
		cpu_relax();
}

/*
 * Run the vCPU loop until the next timer interrupt is taken; *tsc is the
 * guest TSC at that moment.  Return: 0, or -ETIME if none came in time.
 */
static int vst_wait_interrupt(struct vst_vcpu *v, u64 *tsc)
{
	u64 give_up =
		ktime_get_ns() + (u64)v->cfg->lost_timeout_ms * NSEC_PER_MSEC;
	u64 wait_ns = 0, now;
	u32 vector = 0;

	for (;;) {
		if (v->sc->posted && xchg(&v->posted, 0)) {
			*tsc = READ_ONCE(v->posted_tsc);
			if (READ_ONCE(v->posted_cpu) != v->cpu)
				v->remote_posts++;
			return 0;
		}
		switch (vapic_lapic_poll(&v->lapic, &vector, &wait_ns)) {
		case VAPIC_LAPIC_INJECT:
			*tsc = vst_tsc();
			if (vapic_lapic_injected(&v->lapic, vector) ||
			    vector != VST_VECTOR)
				v->err = -EPROTO;
			vapic_lapic_write(&v->lapic, VAPIC_REG_EOI, 0);
			if (v->sc->posted)
				v->fallbacks++;
			return 0;
		case VAPIC_LAPIC_WAIT:
			vst_spin_ns(wait_ns);
			continue;
		default:
			now = ktime_get_ns();
			if (now >= give_up)
				return -ETIME;
			vapic_khost_block(&v->kh, give_up - now);
		}
	}
}

static void vst_record(struct vst_vcpu *v, u64 tsc, u64 deadline)
{
	s64 margin = (s64)(tsc - deadline);

	if (margin < v->min_margin_tsc)
		v->min_margin_tsc = margin;
	if (tsc < deadline) {
		v->early++;
		return;
	}
	v->late_ns[v->nlate++] = vapic_tsc_to_ns(tsc - deadline, tsc_khz);
}

static void vst_run_deadlines(struct vst_vcpu *v)
{
	u32 span = (v->cfg->max_us - v->cfg->min_us) * 1000U + 1;
	unsigned int i;
	u64 dl, tsc;

	vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
			  VST_LVTT_TSCDL | VST_VECTOR);
	for (i = 0; i < v->cfg->n; i++) {
		u64 delta_ns = (u64)v->cfg->min_us * 1000U + vst_rand(v) % span;

		dl = vst_tsc() + vapic_ns_to_tsc(delta_ns, tsc_khz);
		if (vapic_lapic_write_tsc_deadline(&v->lapic, dl) < 0) {
			v->err = -EIO;
			return;
		}
		if (vst_wait_interrupt(v, &tsc)) {
			v->lost++;
			vapic_lapic_write_tsc_deadline(&v->lapic, 0);
			continue;
		}
		vst_record(v, tsc, dl);
	}
}

static void vst_run_periodic(struct vst_vcpu *v)
{
	u64 period_ns = (u64)v->cfg->period_us * 1000U;
	struct vapic_timer_stats *st = &v->lapic.timer.stats;
	unsigned int i;
	u64 t0, dl, tsc;

	vapic_lapic_write(&v->lapic, VAPIC_REG_TDCR, VST_TDCR_DIV1);
	vapic_lapic_write(&v->lapic, VAPIC_REG_LVT_TIMER,
			  VST_LVTT_PERIODIC | VST_VECTOR);
	t0 = vst_tsc();
	/* The bus runs at 1 GHz (the default): one count per ns. */
	vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, (u32)period_ns);
	for (i = 0; i < v->cfg->n; i++) {
		/* The exact due TSC of the tick to come next. */
		if (!vapic_timer_next_deadline(&v->lapic.timer, &dl)) {
			v->err = -EPROTO;
			return;
		}
		if (vst_wait_interrupt(v, &tsc)) {
			v->lost++;
			break;
		}
		vst_record(v, tsc, dl);
	}
	tsc = vst_tsc();
	vapic_lapic_write(&v->lapic, VAPIC_REG_TMICT, 0);
	v->accounted = READ_ONCE(st->injections) + READ_ONCE(st->missed) +
		       READ_ONCE(st->coalesced);
	v->elapsed_periods =
		div64_u64(vapic_tsc_to_ns(tsc - t0, tsc_khz), period_ns);
}

static int vst_thread(void *arg)
{
	struct vst_vcpu *v = arg;
	struct vapic_lapic_config cfg;
	int r;

	v->kops.post = v->sc->posted ? vst_post : NULL;
	r = vapic_khost_init(&v->kh, &v->lapic.timer, &v->kops, v,
			     v->sc->pinned ? VAPIC_KHOST_PINNED : 0);
	if (r) {
		v->err = r;
		goto out;
	}
	vapic_lapic_config_default(&cfg, 0, vapic_khost_guest_tsc_khz(&v->kh));
	if (v->sc->posted)
		cfg.timer.flags |= VAPIC_TIMER_F_POSTED;
	if (v->sc->advance_ns)
		cfg.timer.advance_ns = v->sc->advance_ns;
	r = vapic_lapic_init(&v->lapic, &cfg, vapic_khost_host_ops(&v->kh),
			     &v->kh);
	if (r) {
		v->err = -EINVAL;
		goto out;
	}
	vapic_lapic_write(&v->lapic, VAPIC_REG_SVR, 0x1ff);
	if (v->sc->periodic)
		vst_run_periodic(v);
	else
		vst_run_deadlines(v);
	vapic_lapic_destroy(&v->lapic);
out:
	complete(&v->done);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static u64 pct(const u64 *s, unsigned int n, unsigned int p)
{
	unsigned int rank = (unsigned int)DIV_ROUND_UP((u64)n * p, 100);

	if (!n)
		return 0;
	return s[rank ? rank - 1 : 0];
}

static bool vst_run_one(const struct vst_timing_cfg *cfg,
			const struct vst_scenario *sc, unsigned int num)
{
	struct vapic_khost_stats ks;
	struct vst_vcpu *v;
	struct task_struct *task;
	u64 p50, p90, p99, max;
	bool ok = true;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		goto nomem;
	v->late_ns = kvmalloc_array(cfg->n, sizeof(u64), GFP_KERNEL);
	if (!v->late_ns) {
		kfree(v);
		goto nomem;
	}
	v->cfg = cfg;
	v->sc = sc;
	v->lcg = 0x1234 + num;
	v->min_margin_tsc = S64_MAX;
	v->cpu = cpumask_last(cpu_online_mask);
	init_completion(&v->done);

	task = kthread_create(vst_thread, v, "vapic_vcpu/%d", v->cpu);
	if (IS_ERR(task)) {
		v->err = (int)PTR_ERR(task);
	} else {
		kthread_bind(task, v->cpu);
		wake_up_process(task);
		wait_for_completion(&v->done);
	}

	vapic_khost_get_stats(&v->kh, &ks);
	sort(v->late_ns, v->nlate, sizeof(u64), cmp_u64, NULL);
	p50 = pct(v->late_ns, v->nlate, 50);
	p90 = pct(v->late_ns, v->nlate, 90);
	p99 = pct(v->late_ns, v->nlate, 99);
	max = v->nlate ? v->late_ns[v->nlate - 1] : 0;

	vchk_log("# %s: vcpu cpu %d, n=%u, late_ns p50=%llu p90=%llu p99=%llu "
		 "max=%llu, min margin %lld tsc",
		 sc->name, v->cpu, v->nlate, p50, p90, p99, max,
		 v->min_margin_tsc == S64_MAX ? 0 : v->min_margin_tsc);
	vchk_log("# %s: early=%u (core %llu, hrtimer %llu) lost=%u hrtimer "
		 "fires=%llu remote=%llu spins=%llu (%llu ns) wait_rearms=%llu "
		 "vcpu_waits=%llu posts_remote=%u fallbacks=%u advance_ns=%u",
		 sc->name, v->early, v->lapic.timer.stats.early, ks.early_fires,
		 v->lost, ks.fires, ks.remote_fires, ks.spins, ks.spin_ns,
		 ks.wait_rearms, v->lapic.timer.stats.waits, v->remote_posts,
		 v->fallbacks, vapic_timer_advance_ns(&v->lapic.timer));

#define VST_FAIL(cond, fmt, ...)                                   \
	do {                                                       \
		if (cond) {                                        \
			vchk_log("#   %s: FAILED: " fmt, sc->name, \
				 ##__VA_ARGS__);                   \
			ok = false;                                \
		}                                                  \
	} while (0)

	VST_FAIL(v->err, "error %d", v->err);
	VST_FAIL(v->early, "%u interrupts before their deadline", v->early);
	VST_FAIL(v->lapic.timer.stats.early, "core counted %llu early",
		 v->lapic.timer.stats.early);
	VST_FAIL(ks.early_fires, "%llu hrtimer callbacks before expiry",
		 ks.early_fires);
	VST_FAIL(v->lost, "%u interrupts lost (> %u ms)", v->lost,
		 cfg->lost_timeout_ms);
	VST_FAIL(v->nlate + v->early + v->lost != cfg->n && !v->err,
		 "%u of %u interrupts seen", v->nlate + v->early, cfg->n);
	VST_FAIL(p50 > (u64)cfg->p50_bound_us * 1000U,
		 "median lateness %llu ns > bound %u us", p50,
		 cfg->p50_bound_us);
	VST_FAIL(p99 > (u64)cfg->p99_bound_us * 1000U,
		 "p99 lateness %llu ns > bound %u us", p99, cfg->p99_bound_us);
	VST_FAIL(max > (u64)cfg->max_bound_us * 1000U,
		 "max lateness %llu ns > bound %u us", max, cfg->max_bound_us);
	VST_FAIL(sc->pinned && ks.remote_fires,
		 "pinned hrtimer fired %llu times on another CPU",
		 ks.remote_fires);
	if (sc->periodic) {
		vchk_log("# %s: periods elapsed %llu, accounted %llu (injected "
			 "%llu missed %llu coalesced %llu)",
			 sc->name, v->elapsed_periods, v->accounted,
			 v->lapic.timer.stats.injections,
			 v->lapic.timer.stats.missed,
			 v->lapic.timer.stats.coalesced);
		VST_FAIL(v->accounted + 1 < v->elapsed_periods ||
				 v->accounted > v->elapsed_periods + 1,
			 "ticks accounted %llu != periods elapsed %llu",
			 v->accounted, v->elapsed_periods);
	}
#undef VST_FAIL
	vchk_log("%s %u - %s", ok ? "ok" : "not ok", num, sc->name);
	kvfree(v->late_ns);
	kfree(v);
	return ok;

nomem:
	vchk_log("not ok %u - %s (out of memory)", num, sc->name);
	return false;
}

unsigned int vst_run_timing(const struct vst_timing_cfg *cfg,
			    unsigned int first, unsigned int *failed)
{
	unsigned int i;

	vchk_log("# timing: tsc_khz=%u, %u online CPUs, n=%u, deadlines %u..%u "
		 "us, period %u us, lateness bounds p50 %u us p99 %u us max %u "
		 "us",
		 tsc_khz, num_online_cpus(), cfg->n, cfg->min_us, cfg->max_us,
		 cfg->period_us, cfg->p50_bound_us, cfg->p99_bound_us,
		 cfg->max_bound_us);
	for (i = 0; i < ARRAY_SIZE(vst_scenarios); i++)
		if (!vst_run_one(cfg, &vst_scenarios[i], first + i))
			(*failed)++;
	return ARRAY_SIZE(vst_scenarios);
}
