// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bench_timer: how should a userspace VMM's vCPU thread meet a timer
 * deadline?  Measures the alternatives side by side, interleaved in one run
 * (so that a noisy host hurts them all alike), and prints p50/p90/p99/max
 * lateness and the CPU time each one burns.
 *
 * "Halted" methods: the vCPU thread has nothing to do until its deadline
 * (the guest executed HLT); lateness = time the thread is ready to inject
 * minus the deadline.
 *   timerfd          poll() on a timerfd (+ an eventfd for kicks)
 *   futex            FUTEX_WAIT_BITSET with an absolute timeout
 *   thread+futex     a timer thread sleeps (clock_nanosleep), FUTEX_WAKEs
 *   thread+eventfd   a timer thread sleeps, writes an eventfd
 *   spin             busy-poll the clock
 *   hybrid-N         futex sleep until deadline - N us, then spin
 *   timerfd-hybrid-N timerfd until deadline - N us, then spin
 *   adapter          vapic_posix_halt() (the adapter's choice)
 * "Running" methods (need /dev/kvm): the vCPU thread is inside KVM_RUN (a
 * real-mode guest spinning on "jmp ."); lateness = KVM_RUN's EINTR return
 * minus the deadline.
 *   run:sigev        POSIX timer with SIGEV_THREAD_ID (the adapter's choice)
 *   run:thread+kill  a timer thread sleeps, then pthread_kill()
 *
 * Usage: bench_timer [-n SAMPLES] [-i INTERVAL_US] [--csv FILE] [--no-kvm]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vapic_posix.h"

#define BLOCK 100 /* samples per method per round */

static uint64_t now_ns(void)
{
	return vapic_posix_now_ns();
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct timespec to_ts(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL),
			       (long)(ns % 1000000000ULL) };
	return ts;
}

static void futex_wait(uint32_t *w, uint32_t val, uint64_t abs_ns)
{
	struct timespec ts = to_ts(abs_ns);

	syscall(SYS_futex, w, FUTEX_WAIT_BITSET_PRIVATE, val,
		abs_ns ? &ts : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void spin_to(uint64_t deadline)
{
	while (now_ns() < deadline)
		__builtin_ia32_pause();
}

/* ---------------------------------------------------------------------- */
/* Timer thread                                                           */

enum tt_action { TT_FUTEX, TT_EVENTFD, TT_KILL };

static struct {
	pthread_t thr;
	uint32_t seq; /* futex: new request */
	uint64_t deadline;
	enum tt_action action;
	uint32_t *futex_word;
	int efd;
	pthread_t target;
	int signo;
	bool stop;
} tt;

static void *timer_thread(void *arg)
{
	uint32_t seen = 0;

	(void)arg;
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	for (;;) {
		uint32_t s = __atomic_load_n(&tt.seq, __ATOMIC_ACQUIRE);
		struct timespec ts;

		if (s == seen) {
			futex_wait(&tt.seq, s, 0);
			continue;
		}
		seen = s;
		if (__atomic_load_n(&tt.stop, __ATOMIC_ACQUIRE))
			return NULL;
		ts = to_ts(tt.deadline);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		switch (tt.action) {
		case TT_FUTEX:
			__atomic_store_n(tt.futex_word, 1, __ATOMIC_SEQ_CST);
			futex_wake(tt.futex_word);
			break;
		case TT_EVENTFD: {
			uint64_t one = 1;

			if (write(tt.efd, &one, sizeof(one)) < 0)
				perror("eventfd write");
			break;
		}
		case TT_KILL:
			pthread_kill(tt.target, tt.signo);
			break;
		}
	}
}

static void tt_request(uint64_t deadline, enum tt_action a)
{
	tt.deadline = deadline;
	tt.action = a;
	__atomic_add_fetch(&tt.seq, 1, __ATOMIC_RELEASE);
	futex_wake(&tt.seq);
}

/* ---------------------------------------------------------------------- */
/* KVM "running vCPU": a real-mode guest spinning on jmp .                */

static struct {
	bool ok;
	int kvm, vm, vcpu;
	struct kvm_run *run;
	timer_t ktimer;
	int signo;
	uint32_t tsc_khz;
	int64_t tsc_offset_seen; /* guest TSC - host TSC, measured */
	uint64_t tsc_bracket; /* width of the measurement bracket */
} kv;

static __thread volatile uint8_t *tls_ie;

static void on_kick(int sig)
{
	(void)sig;
	if (tls_ie)
		*tls_ie = 1;
}

static int kvm_setup(void)
{
	static const uint8_t code[] = { 0xeb, 0xfe }; /* jmp . */
	struct kvm_userspace_memory_region r;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct sigevent sev;
	struct sigaction sa;
	uint8_t *mem;
	long mmsz;
	union {
		struct kvm_msrs h;
		char buf[sizeof(struct kvm_msrs) +
			 sizeof(struct kvm_msr_entry)];
	} m;
	uint64_t t0, t1;

	kv.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kv.kvm < 0) {
		fprintf(stderr,
			"bench_timer: /dev/kvm: %s: skipping the "
			"running-vCPU methods\n",
			strerror(errno));
		return -1;
	}
	kv.vm = ioctl(kv.kvm, KVM_CREATE_VM, 0);
	if (kv.vm < 0)
		return -1;
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	memcpy(mem + 0x1000, code, sizeof(code));
	memset(&r, 0, sizeof(r));
	r.memory_size = 0x10000;
	r.userspace_addr = (uintptr_t)mem;
	if (ioctl(kv.vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	kv.vcpu = ioctl(kv.vm, KVM_CREATE_VCPU, 0);
	mmsz = ioctl(kv.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kv.vcpu < 0 || mmsz <= 0)
		return -1;
	kv.run = mmap(NULL, (size_t)mmsz, PROT_READ | PROT_WRITE, MAP_SHARED,
		      kv.vcpu, 0);
	if (kv.run == MAP_FAILED)
		return -1;
	if (ioctl(kv.vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.selector = 0x100;
	sregs.cs.base = 0x1000;
	if (ioctl(kv.vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	if (ioctl(kv.vcpu, KVM_SET_REGS, &regs))
		return -1;
	kv.tsc_khz = (uint32_t)ioctl(kv.vcpu, KVM_GET_TSC_KHZ, 0);

	/* Guest TSC offset: read IA32_TSC between two host RDTSCs. */
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.h.entries[0].index = 0x10;
	t0 = vapic_posix_rdtsc();
	if (ioctl(kv.vcpu, KVM_GET_MSRS, &m) == 1) {
		t1 = vapic_posix_rdtsc();
		kv.tsc_offset_seen = (int64_t)(m.h.entries[0].data - t0);
		kv.tsc_bracket = t1 - t0;
	}

	kv.signo = SIGRTMIN + 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigaction(kv.signo, &sa, NULL);
	tls_ie = &kv.run->immediate_exit;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = kv.signo;
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
#else
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
#endif
	if (timer_create(CLOCK_MONOTONIC, &sev, &kv.ktimer))
		return -1;
	kv.ok = true;
	return 0;
}

/* Run the guest until KVM_RUN returns EINTR; returns that time. */
static uint64_t kvm_run_until_kick(void)
{
	for (;;) {
		int r = ioctl(kv.vcpu, KVM_RUN, 0);
		uint64_t t = now_ns();

		kv.run->immediate_exit = 0;
		if (r < 0 && errno == EINTR)
			return t;
		if (r < 0) {
			perror("KVM_RUN");
			exit(1);
		}
		/* Any other exit (none expected): re-enter. */
	}
}

/* ---------------------------------------------------------------------- */
/* Methods                                                                */

struct method {
	const char *name;
	int (*setup)(struct method *m);
	int64_t (*sample)(struct method *m, uint64_t deadline);
	uint64_t arg;
	bool kvm;
	/* results */
	int64_t *lat;
	size_t n;
	uint64_t cpu_ns;
	uint64_t wall_ns;
	int fd, fd2;
	uint32_t word;
	struct vapic_posix_vcpu *pv;
};

static int64_t m_timerfd(struct method *m, uint64_t deadline)
{
	struct itimerspec its = { { 0, 0 }, to_ts(deadline) };
	struct pollfd p[2] = { { m->fd, POLLIN, 0 }, { m->fd2, POLLIN, 0 } };
	uint64_t cnt;

	timerfd_settime(m->fd, TFD_TIMER_ABSTIME, &its, NULL);
	while (poll(p, 2, -1) < 1 || !(p[0].revents & POLLIN))
		;
	if (read(m->fd, &cnt, sizeof(cnt)) < 0)
		return -1;
	return (int64_t)(now_ns() - deadline);
}

static int64_t m_timerfd_hybrid(struct method *m, uint64_t deadline)
{
	uint64_t wake = deadline - m->arg;
	struct itimerspec its = { { 0, 0 }, to_ts(wake) };
	struct pollfd p[2] = { { m->fd, POLLIN, 0 }, { m->fd2, POLLIN, 0 } };
	uint64_t cnt;

	if (now_ns() < wake) {
		timerfd_settime(m->fd, TFD_TIMER_ABSTIME, &its, NULL);
		while (poll(p, 2, -1) < 1 || !(p[0].revents & POLLIN))
			;
		if (read(m->fd, &cnt, sizeof(cnt)) < 0)
			return -1;
	}
	spin_to(deadline);
	return (int64_t)(now_ns() - deadline);
}

static int s_timerfd(struct method *m)
{
	m->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	m->fd2 = eventfd(0, EFD_CLOEXEC);
	return m->fd < 0 || m->fd2 < 0 ? -1 : 0;
}

static int64_t m_futex(struct method *m, uint64_t deadline)
{
	uint64_t t;

	m->word = 0;
	while ((t = now_ns()) < deadline)
		futex_wait(&m->word, 0, deadline);
	return (int64_t)(t - deadline);
}

static int64_t m_hybrid(struct method *m, uint64_t deadline)
{
	uint64_t wake = deadline - m->arg;

	m->word = 0;
	while (now_ns() < wake)
		futex_wait(&m->word, 0, wake);
	spin_to(deadline);
	return (int64_t)(now_ns() - deadline);
}

static int64_t m_spin(struct method *m, uint64_t deadline)
{
	(void)m;
	spin_to(deadline);
	return (int64_t)(now_ns() - deadline);
}

static int64_t m_thread_futex(struct method *m, uint64_t deadline)
{
	__atomic_store_n(&m->word, 0, __ATOMIC_SEQ_CST);
	tt.futex_word = &m->word;
	tt_request(deadline, TT_FUTEX);
	while (!__atomic_load_n(&m->word, __ATOMIC_SEQ_CST))
		futex_wait(&m->word, 0, 0);
	return (int64_t)(now_ns() - deadline);
}

static int s_eventfd(struct method *m)
{
	m->fd = eventfd(0, EFD_CLOEXEC);
	return m->fd < 0 ? -1 : 0;
}

static int64_t m_thread_eventfd(struct method *m, uint64_t deadline)
{
	uint64_t cnt;

	tt.efd = m->fd;
	tt_request(deadline, TT_EVENTFD);
	if (read(m->fd, &cnt, sizeof(cnt)) < 0)
		return -1;
	return (int64_t)(now_ns() - deadline);
}

static struct vapic_posix_clock adapter_clock;
static struct vapic_host_ops adapter_ops;

static int s_adapter(struct method *m)
{
	static struct vapic_timer dummy_timer; /* never fires: no expired() */

	m->pv = calloc(1, sizeof(*m->pv));
	adapter_clock.tsc_khz =
		kv.tsc_khz ? kv.tsc_khz : vapic_posix_tsc_measure_khz(20000000);
	vapic_posix_host_ops(&adapter_ops);
	if (!m->pv || vapic_posix_vcpu_init(m->pv, &adapter_clock, 0, NULL))
		return -1;
	/* Bound to the thread for its timer slack; no KVM_RUN here. */
	return vapic_posix_vcpu_attach(m->pv, &dummy_timer, NULL);
}

static int64_t m_adapter(struct method *m, uint64_t deadline)
{
	int why;

	adapter_ops.timer_arm(m->pv, deadline);
	why = vapic_posix_halt(m->pv, VAPIC_POSIX_NEVER);
	if (why != VAPIC_POSIX_WAKE_TIMER)
		return -1;
	adapter_ops.timer_cancel(m->pv);
	return (int64_t)(now_ns() - deadline);
}

static int s_kvm(struct method *m)
{
	(void)m;
	return kv.ok ? 0 : -1;
}

static int64_t m_run_sigev(struct method *m, uint64_t deadline)
{
	struct itimerspec its = { { 0, 0 }, to_ts(deadline - m->arg) };
	uint64_t t;

	timer_settime(kv.ktimer, TIMER_ABSTIME, &its, NULL);
	t = kvm_run_until_kick();
	if (m->arg) {
		spin_to(deadline);
		t = now_ns();
	}
	return (int64_t)(t - deadline);
}

static int64_t m_run_thread_kill(struct method *m, uint64_t deadline)
{
	(void)m;
	tt.target = pthread_self();
	tt.signo = kv.signo;
	tt_request(deadline, TT_KILL);
	return (int64_t)(kvm_run_until_kick() - deadline);
}

/* ---------------------------------------------------------------------- */

#define M(nm, su, fn, a, k)                                               \
	{                                                                 \
		.name = nm, .setup = su, .sample = fn, .arg = a, .kvm = k \
	}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const int64_t *s, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)s[i] / 1000.0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_timer [-n SAMPLES] [-i INTERVAL_US] [--csv FILE] "
		"[--no-kvm]\n"
		"  Measures how late a vCPU thread meets a timer deadline with "
		"each\n  host-timer method, interleaved in one run.  Defaults: "
		"-n 10000 -i 100.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "no-kvm", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct method methods[] = {
		M("timerfd", s_timerfd, m_timerfd, 0, false),
		M("futex", NULL, m_futex, 0, false),
		M("thread+futex", NULL, m_thread_futex, 0, false),
		M("thread+eventfd", s_eventfd, m_thread_eventfd, 0, false),
		M("spin", NULL, m_spin, 0, false),
		M("hybrid-20us", NULL, m_hybrid, 20000, false),
		M("hybrid-50us", NULL, m_hybrid, 50000, false),
		M("hybrid-100us", NULL, m_hybrid, 100000, false),
		M("timerfd-hybrid-50us", s_timerfd, m_timerfd_hybrid, 50000,
		  false),
		M("adapter(halt)", s_adapter, m_adapter, 0, false),
		M("run:sigev", s_kvm, m_run_sigev, 0, true),
		M("run:sigev-adv20us", s_kvm, m_run_sigev, 20000, true),
		M("run:thread+kill", s_kvm, m_run_thread_kill, 0, true),
	};
	size_t nm = sizeof(methods) / sizeof(methods[0]);
	size_t n = 10000, i, done;
	uint64_t interval = 100000;
	const char *csv = NULL;
	bool use_kvm = true;
	int c;

	while ((c = getopt_long(argc, argv, "n:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			interval = strtoull(optarg, NULL, 0) * 1000;
			break;
		case 'c':
			csv = optarg;
			break;
		case 'K':
			use_kvm = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n < 1 || interval < 1000) {
		usage(stderr);
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (use_kvm)
		kvm_setup();
	if (pthread_create(&tt.thr, NULL, timer_thread, NULL))
		return 1;

	for (i = 0; i < nm; i++) {
		struct method *m = &methods[i];

		m->lat = calloc(n, sizeof(*m->lat));
		if (!m->lat)
			return 1;
		if ((m->kvm && !kv.ok) || (m->setup && m->setup(m))) {
			m->name = NULL; /* skipped */
			continue;
		}
	}

	/* Interleave: BLOCK samples of each method per round. */
	for (done = 0; done < n; done += BLOCK) {
		size_t cnt = n - done < BLOCK ? n - done : BLOCK;

		for (i = 0; i < nm; i++) {
			struct method *m = &methods[i];
			uint64_t c0, w0, next;
			size_t k;

			if (!m->name)
				continue;
			c0 = cpu_ns();
			w0 = now_ns();
			next = w0 + interval;
			for (k = 0; k < cnt; k++) {
				int64_t l = m->sample(m, next);

				m->lat[m->n++] = l;
				next = now_ns() + interval;
			}
			m->cpu_ns += cpu_ns() - c0;
			m->wall_ns += now_ns() - w0;
		}
	}

	printf("bench_timer: n = %zu per method, interval %llu us, "
	       "interleaved in blocks of %d\n",
	       n, (unsigned long long)(interval / 1000), BLOCK);
	if (kv.ok)
		printf("KVM_GET_TSC_KHZ %u, measured TSC %u kHz; guest TSC - "
		       "host "
		       "TSC = %lld (bracket %llu cycles)\n",
		       kv.tsc_khz, vapic_posix_tsc_measure_khz(50000000),
		       (long long)kv.tsc_offset_seen,
		       (unsigned long long)kv.tsc_bracket);
	printf("%-22s %9s %9s %9s %9s %9s %8s\n", "method (lateness, us)",
	       "p50", "p90", "p99", "max", "min", "cpu%");
	for (i = 0; i < nm; i++) {
		struct method *m = &methods[i];
		int64_t *s;

		if (!m->name)
			continue;
		s = malloc(m->n * sizeof(*s));
		memcpy(s, m->lat, m->n * sizeof(*s));
		qsort(s, m->n, sizeof(*s), cmp_i64);
		printf("%-22s %9.1f %9.1f %9.1f %9.1f %9.1f %7.0f%%\n", m->name,
		       pct(s, m->n, 0.5), pct(s, m->n, 0.9), pct(s, m->n, 0.99),
		       (double)s[m->n - 1] / 1000.0, (double)s[0] / 1000.0,
		       100.0 * (double)m->cpu_ns / (double)m->wall_ns);
		free(s);
	}
	printf("cpu%%: process CPU time / wall time while the method ran "
	       "(100%% = one CPU busy)\n");
	if (csv) {
		FILE *f = fopen(csv, "w");

		if (!f) {
			perror(csv);
			return 1;
		}
		fprintf(f, "method,lateness_ns\n");
		for (i = 0; i < nm; i++)
			for (done = 0; methods[i].name && done < methods[i].n;
			     done++)
				fprintf(f, "%s,%lld\n", methods[i].name,
					(long long)methods[i].lat[done]);
		fclose(f);
	}
	__atomic_store_n(&tt.stop, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&tt.seq, 1, __ATOMIC_RELEASE);
	futex_wake(&tt.seq);
	pthread_join(tt.thr, NULL);
	return 0;
}
