// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libvapic real-time POSIX host adapter: see vapic_posix.h for the design.
 *
 * Concurrency.  Everything runs on the vCPU thread except vapic_posix_kick(),
 * which any thread may call.  The two cross-thread words are @state (where
 * the vCPU thread is: userspace, KVM_RUN, halted) and @kicked (a kick is
 * pending; also the futex word a halted thread sleeps on).  Both sides use
 * sequentially consistent atomics in the order "store mine, then load
 * theirs":
 *
 *	vCPU thread:  state = IN_GUEST | HALTED;  if (kicked) don't block/enter
 *	kicker:       kicked = 1;                 if (state == ...) signal/wake
 *
 * In the single total order of seq_cst operations one of the two stores
 * comes first, so either the vCPU thread sees the kick or the kicker sees
 * the state and interrupts it (Dekker).  A halted thread sleeps with
 * FUTEX_WAIT on kicked == 0, which the kernel re-checks atomically against
 * the wake, so a kick between the check and the sleep is not lost either.
 * A kick to a thread in KVM_RUN is a signal whose handler sets
 * kvm_run.immediate_exit: if it lands just before KVM_RUN, KVM returns at
 * once with EINTR; if it lands during KVM_RUN, the signal itself makes
 * KVM_RUN return EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vapic_posix.h"

enum {
	STATE_USER = 0, /* in userspace: checks for kicks before entering */
	STATE_GUEST = 1, /* in (or about to enter) KVM_RUN: signal it */
	STATE_HALTED = 2, /* blocked in vapic_posix_halt(): futex wake it */
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define STAT_ADD(x, n) __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)

static __thread volatile uint8_t *tls_immediate_exit;

static void kick_handler(int sig)
{
	(void)sig;
	if (tls_immediate_exit)
		*tls_immediate_exit = 1;
}

uint64_t vapic_posix_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint32_t vapic_posix_tsc_measure_khz(uint64_t window_ns)
{
	uint64_t t0, n0, t1, n1;

	n0 = vapic_posix_now_ns();
	t0 = vapic_posix_rdtsc();
	do {
		n1 = vapic_posix_now_ns();
		t1 = vapic_posix_rdtsc();
	} while (n1 - n0 < window_ns);
	__extension__ typedef unsigned __int128 u128;

	return (uint32_t)((u128)(t1 - t0) * 1000000U / (n1 - n0));
}

void vapic_posix_config_default(struct vapic_posix_config *cfg)
{
	cfg->spin_margin_ns = VAPIC_POSIX_SPIN_MARGIN_NS_DEFAULT;
	cfg->kick_advance_ns = VAPIC_POSIX_KICK_ADVANCE_NS_DEFAULT;
	cfg->signo = SIGRTMIN + 1;
	cfg->flags = VAPIC_POSIX_F_ADAPTIVE;
}

/*
 * High-quantile tracker for the adaptive knobs: an overshoot moves the
 * estimate up by 1/4 of the difference, but by at most est/16 + 0.5 us (a
 * host preemption of milliseconds must not throw it up at once), an
 * undershoot down by 1/64, so it settles where overshoots are rare (around
 * p90 for the distributions seen here).  The knob is the estimate plus a
 * small slack, within [VAPIC_POSIX_ADAPT_MIN_NS, @max].
 */
static uint32_t learn(uint32_t est, uint64_t sample)
{
	if (sample > est) {
		uint64_t step = (sample - est + 3) / 4, cap = est / 16 + 500;

		est += (uint32_t)(step < cap ? step : cap);
	} else {
		est -= (uint32_t)((est - sample) / 64);
	}
	return est;
}

static uint32_t knob(uint32_t est, uint32_t max)
{
	uint32_t k = est + VAPIC_POSIX_ADAPT_SLACK_NS;

	if (k < VAPIC_POSIX_ADAPT_MIN_NS)
		k = VAPIC_POSIX_ADAPT_MIN_NS;
	if (k > max)
		k = max;
	return k;
}

/* ---------------------------------------------------------------------- */
/* Host ops                                                               */

static uint64_t op_now_ns(void *host)
{
	(void)host;
	return vapic_posix_now_ns();
}

static uint64_t op_guest_tsc(void *host)
{
	const struct vapic_posix_vcpu *v = host;

	return vapic_posix_rdtsc() + v->tsc_offset;
}

static int op_timer_arm(void *host, uint64_t expires_ns)
{
	struct vapic_posix_vcpu *v = host;

	/* The kernel timer is programmed lazily, at the next entry. */
	v->expires_ns = expires_ns;
	v->stats.arms++;
	return 0;
}

static void op_timer_cancel(void *host)
{
	struct vapic_posix_vcpu *v = host;

	/*
	 * Synchronous by construction: the expiry is only ever acted upon by
	 * vapic_posix_service() on this same thread.  A signal already on its
	 * way costs at most one spurious EINTR exit.
	 */
	v->expires_ns = VAPIC_POSIX_NEVER;
	v->stats.cancels++;
}

static void futex_wake(uint32_t *uaddr)
{
	syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void vapic_posix_kick(void *host)
{
	struct vapic_posix_vcpu *v = host;
	uint32_t st;

	if (XCHG(&v->kicked, 1))
		return; /* already pending: its kick is on its way */
	STAT_ADD(v->stats.kicks, 1);
	st = LOAD(&v->state);
	if (st == STATE_GUEST && v->attached) {
		STAT_ADD(v->stats.kick_signals, 1);
		pthread_kill(v->thread, v->cfg.signo);
	} else if (st == STATE_HALTED) {
		STAT_ADD(v->stats.kick_wakes, 1);
		__atomic_store_n(&v->wake_stamp_ns, vapic_posix_now_ns(),
				 __ATOMIC_RELAXED);
		futex_wake(&v->kicked);
	}
}

void vapic_posix_host_ops(struct vapic_host_ops *ops)
{
	ops->now_ns = op_now_ns;
	ops->guest_tsc = op_guest_tsc;
	ops->timer_arm = op_timer_arm;
	ops->timer_cancel = op_timer_cancel;
	ops->kick = vapic_posix_kick;
	ops->post = NULL;
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                  */

int vapic_posix_vcpu_init(struct vapic_posix_vcpu *v,
			  const struct vapic_posix_clock *clock,
			  uint64_t tsc_offset,
			  const struct vapic_posix_config *cfg)
{
	struct vapic_posix_config def;

	if (!v || !clock || !clock->tsc_khz)
		return -EINVAL;
	if (!cfg) {
		vapic_posix_config_default(&def);
		cfg = &def;
	}
	if (cfg->spin_margin_ns > VAPIC_POSIX_ADVANCE_LIMIT_NS ||
	    cfg->kick_advance_ns > VAPIC_POSIX_ADVANCE_LIMIT_NS ||
	    cfg->signo < SIGRTMIN || cfg->signo > SIGRTMAX ||
	    (cfg->flags & ~VAPIC_POSIX_F_ADAPTIVE))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->clock = clock;
	v->cfg = *cfg;
	v->tsc_offset = tsc_offset;
	v->expires_ns = VAPIC_POSIX_NEVER;
	v->ktimer_ns = VAPIC_POSIX_NEVER;
	v->margin_est_ns = cfg->spin_margin_ns;
	v->kick_est_ns = cfg->kick_advance_ns;
	v->stats.spin_margin_ns = cfg->spin_margin_ns;
	v->stats.kick_advance_ns = cfg->kick_advance_ns;
	return 0;
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_signo;
static int handler_err;

static void install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: interrupted sleeps return */
	if (sigaction(__atomic_load_n(&handler_signo, __ATOMIC_SEQ_CST), &sa,
		      NULL))
		handler_err = -errno;
}

int vapic_posix_vcpu_attach(struct vapic_posix_vcpu *v,
			    struct vapic_timer *timer,
			    volatile uint8_t *immediate_exit)
{
	struct sigevent sev;
	sigset_t set;

	int first = 0;

	if (!v)
		return -EINVAL;
	/* The first vCPU thread to get here chooses the process's signal. */
	__atomic_compare_exchange_n(&handler_signo, &first, v->cfg.signo, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	pthread_once(&handler_once, install_handler);
	if (handler_err)
		return handler_err;
	if (__atomic_load_n(&handler_signo, __ATOMIC_SEQ_CST) != v->cfg.signo)
		return -EINVAL; /* one kick signal per process */
	/* The kick signal must be deliverable to this thread. */
	sigemptyset(&set);
	sigaddset(&set, v->cfg.signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Sleeps end when asked, not up to 50 us later. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL))
		return -errno;

	v->timer = timer;
	v->immediate_exit = immediate_exit;
	tls_immediate_exit = immediate_exit;
	v->thread = pthread_self();

	/* Attached before (another thread): its timer signals that thread. */
	if (v->ktimer_ok) {
		timer_delete(v->ktimer);
		v->ktimer_ok = false;
		v->ktimer_ns = VAPIC_POSIX_NEVER;
	}
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = v->cfg.signo;
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
#else
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
#endif
	if (timer_create(CLOCK_MONOTONIC, &sev, &v->ktimer))
		return -errno;
	v->ktimer_ok = true;
	STORE(&v->state, STATE_USER);
	__atomic_store_n(&v->attached, true, __ATOMIC_RELEASE);
	return 0;
}

void vapic_posix_vcpu_destroy(struct vapic_posix_vcpu *v)
{
	if (v->ktimer_ok) {
		timer_delete(v->ktimer);
		v->ktimer_ok = false;
	}
	__atomic_store_n(&v->attached, false, __ATOMIC_RELEASE);
	if (pthread_equal(v->thread, pthread_self()))
		tls_immediate_exit = NULL;
}

/* ---------------------------------------------------------------------- */
/* vCPU thread                                                            */

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Spin until @until_ns or a kick; returns the time reached. */
static uint64_t spin_until(struct vapic_posix_vcpu *v, uint64_t until_ns,
			   uint64_t now, uint64_t *spun_ns)
{
	uint64_t start = now;

	while (now < until_ns && !LOAD(&v->kicked)) {
		cpu_relax();
		now = vapic_posix_now_ns();
	}
	*spun_ns += now - start;
	return now;
}

static inline uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

bool vapic_posix_service(struct vapic_posix_vcpu *v)
{
	bool did = false;

	if (v->expires_ns != VAPIC_POSIX_NEVER && v->timer &&
	    vapic_posix_now_ns() >= v->expires_ns) {
		for (;;) {
			uint64_t next = 0;
			int act;

			v->expires_ns = VAPIC_POSIX_NEVER;
			v->stats.fires++;
			act = vapic_timer_expired(v->timer, &next);
			if (act == VAPIC_TFN_REARM) {
				v->expires_ns = next;
				break;
			}
			if (act != VAPIC_TFN_WAIT)
				break;
			/* Posted-mode advance wait: spin, call again. */
			while (vapic_posix_now_ns() < next)
				cpu_relax();
		}
		did = true;
	}
	if (LOAD(&v->kicked)) {
		XCHG(&v->kicked, 0);
		did = true;
	}
	return did;
}

uint64_t vapic_posix_wait_expiry(struct vapic_posix_vcpu *v, uint64_t until_ns)
{
	uint64_t now = vapic_posix_now_ns(), t0 = now;
	uint64_t target = v->expires_ns < until_ns ? v->expires_ns : until_ns;

	while (now < target && !LOAD(&v->kicked)) {
		cpu_relax();
		now = vapic_posix_now_ns();
	}
	v->stats.timer_spin_ns += now - t0;
	return now;
}

bool vapic_posix_kicked(const struct vapic_posix_vcpu *v)
{
	return LOAD(&v->kicked);
}

static void ktimer_program(struct vapic_posix_vcpu *v)
{
	uint64_t want = v->expires_ns;
	struct itimerspec its;

	if (want != VAPIC_POSIX_NEVER)
		want = sat_sub(want, v->cfg.kick_advance_ns);
	if (want == v->ktimer_ns || !v->ktimer_ok)
		return;
	memset(&its, 0, sizeof(its));
	if (want != VAPIC_POSIX_NEVER) {
		if (!want)
			want = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(want / 1000000000ULL);
		its.it_value.tv_nsec = (long)(want % 1000000000ULL);
	}
	if (!timer_settime(v->ktimer, TIMER_ABSTIME, &its, NULL)) {
		v->ktimer_ns = want;
		v->stats.ktimer_sets++;
	}
}

bool vapic_posix_enter(struct vapic_posix_vcpu *v)
{
	ktimer_program(v);
	/*
	 * A signal that landed while this thread was out of the guest (the
	 * kernel timer firing during an exit, a kick already consumed) left
	 * immediate_exit set: it would bounce this entry off KVM_RUN with
	 * EINTR for nothing.  Whatever it stood for is checked below, after
	 * "in guest" is announced; a signal from here on sets it again.  (A
	 * signal of the old kernel timer has landed by now: ktimer_program()
	 * re-arms with a syscall, and signals are delivered on its return.)
	 */
	if (v->immediate_exit)
		*v->immediate_exit = 0;
	STORE(&v->state, STATE_GUEST);
	if (LOAD(&v->kicked) ||
	    (v->expires_ns != VAPIC_POSIX_NEVER &&
	     vapic_posix_now_ns() >=
		     sat_sub(v->expires_ns, v->cfg.kick_advance_ns))) {
		STORE(&v->state, STATE_USER);
		v->stats.entries_refused++;
		return false;
	}
	return true;
}

void vapic_posix_exit(struct vapic_posix_vcpu *v, bool eintr)
{
	__atomic_store_n(&v->state, STATE_USER, __ATOMIC_RELAXED);
	if (v->immediate_exit)
		*v->immediate_exit = 0;
	if (eintr && v->ktimer_ns != VAPIC_POSIX_NEVER) {
		uint64_t now = vapic_posix_now_ns();

		if (now >= v->ktimer_ns) {
			/* The kernel timer fired: it is spent. */
			v->stats.timer_exits++;
			if (v->cfg.flags & VAPIC_POSIX_F_ADAPTIVE) {
				v->kick_est_ns = learn(v->kick_est_ns,
						       now - v->ktimer_ns);
				v->cfg.kick_advance_ns =
					knob(v->kick_est_ns,
					     VAPIC_POSIX_KICK_ADVANCE_MAX_NS);
				v->stats.kick_advance_ns =
					v->cfg.kick_advance_ns;
			}
			v->ktimer_ns = VAPIC_POSIX_NEVER;
		}
	}
}

bool vapic_posix_poll_once(struct vapic_posix_vcpu *v, uint64_t now_ns)
{
	return LOAD(&v->kicked) || now_ns >= v->expires_ns;
}

static void futex_wait_until(uint32_t *uaddr, uint64_t abs_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(abs_ns / 1000000000ULL);
	ts.tv_nsec = (long)(abs_ns % 1000000000ULL);
	/* FUTEX_WAIT_BITSET: absolute timeout on CLOCK_MONOTONIC. */
	syscall(SYS_futex, uaddr, FUTEX_WAIT_BITSET_PRIVATE, 0,
		abs_ns == VAPIC_POSIX_NEVER ? NULL : &ts, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

static void ktimer_disarm(struct vapic_posix_vcpu *v)
{
	struct itimerspec its;

	if (v->ktimer_ns == VAPIC_POSIX_NEVER || !v->ktimer_ok)
		return;
	memset(&its, 0, sizeof(its));
	if (!timer_settime(v->ktimer, TIMER_ABSTIME, &its, NULL)) {
		v->ktimer_ns = VAPIC_POSIX_NEVER;
		v->stats.ktimer_sets++;
	}
}

void vapic_posix_halt_begin(struct vapic_posix_vcpu *v)
{
	/*
	 * The kernel timer only exists to get a running vCPU out of
	 * KVM_RUN.  A halted thread waits for the expiry itself; left armed,
	 * its signal would set immediate_exit and cost the next entry, the
	 * one that delivers the tick, a useless EINTR round trip.
	 */
	ktimer_disarm(v);
}

void vapic_posix_halt_end(struct vapic_posix_vcpu *v)
{
	/*
	 * A kernel-timer signal that landed before the disarm must not
	 * bounce the next entry either.  Safe: no kick is sent as a signal
	 * while the state is not "in guest", and kicks are recorded in
	 * @kicked anyway, which vapic_posix_enter() checks.
	 */
	if (v->immediate_exit)
		*v->immediate_exit = 0;
}

int vapic_posix_halt(struct vapic_posix_vcpu *v, uint64_t until_ns)
{
	int why;

	vapic_posix_halt_begin(v);
	v->stats.halts++;
	STORE(&v->state, STATE_HALTED);
	for (;;) {
		uint64_t now, exp, target, wake;

		if (LOAD(&v->kicked)) {
			why = VAPIC_POSIX_WAKE_KICK;
			break;
		}
		now = vapic_posix_now_ns();
		exp = v->expires_ns;
		if (now >= exp) {
			why = VAPIC_POSIX_WAKE_TIMER;
			break;
		}
		if (now >= until_ns) {
			why = VAPIC_POSIX_WAKE_TIMEOUT;
			break;
		}
		/*
		 * Sleep-then-spin to whichever comes first, the expiry or the
		 * caller's @until_ns: both want a precise wake-up.
		 */
		target = exp < until_ns ? exp : until_ns;
		wake = sat_sub(target, v->cfg.spin_margin_ns);
		if (now >= wake) {
			spin_until(v, target, now, &v->stats.halt_spin_ns);
			continue;
		}
		v->stats.halt_sleeps++;
		futex_wait_until(&v->kicked, wake);
		if (LOAD(&v->kicked)) {
			uint64_t st = __atomic_exchange_n(&v->wake_stamp_ns, 0,
							  __ATOMIC_RELAXED);

			now = vapic_posix_now_ns();
			if (st && now >= st) {
				v->stats.wakeups++;
				v->stats.wakeup_ns += now - st;
			}
		}
		if ((v->cfg.flags & VAPIC_POSIX_F_ADAPTIVE) &&
		    target != VAPIC_POSIX_NEVER && !LOAD(&v->kicked)) {
			/* Woken by the timeout: how late? */
			now = vapic_posix_now_ns();
			if (now >= wake) {
				v->margin_est_ns =
					learn(v->margin_est_ns, now - wake);
				v->cfg.spin_margin_ns =
					knob(v->margin_est_ns,
					     VAPIC_POSIX_ADAPT_MAX_NS);
				v->stats.spin_margin_ns = v->cfg.spin_margin_ns;
			}
		}
	}
	__atomic_store_n(&v->state, STATE_USER, __ATOMIC_RELAXED);
	vapic_posix_halt_end(v);
	return why;
}
