// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * kvm-timer-probe: a minimal VMM for /dev/kvm with the in-kernel irqchip
 * (KVM_CREATE_IRQCHIP), to check a (patched) KVM's LAPIC timer from inside
 * a guest.  It runs the probe guest (guest.c) in up to three VMs:
 *
 *   conformance   the LAPIC timer checks (TSC-deadline, one-shot,
 *                 periodic): each prints a TAP line;
 *   workload      the re-arm workload without lazy TSC-deadline;
 *   workload-lazy the same workload with lazy TSC-deadline (if the host
 *                 offers it in CPUID), then a table of KVM's per-vCPU
 *                 binary stats (KVM_GET_STATS_FD) over both workloads.
 *
 * Output is TAP on stdout.  Exit status 0 if every case passed.
 *
 * usage: kvm-timer-probe [--guest FILE] [--deadlines N] [--workload N]
 *                        [--mode all|conformance|workload] [--timeout S]
 *                        [--seed N]
 *        kvm-timer-probe --hold
 *
 * --hold keeps one VM (in-kernel irqchip, one vCPU, its APIC disabled)
 * until killed and runs nothing.  The kvm-patched suite starts it first in
 * the test kernel: KVM flips static keys when the first VM or LAPIC comes
 * and the last one goes (preempt_notifier_key, apic_sw_disabled,
 * apic_hw_disabled), and each flip live-patches kernel text with INT3.
 * QEMU 7.2's TCG, running that kernel, was seen here to keep executing a
 * stale INT3 after the patch was complete, on both CPUs, for ever (the
 * kernel's kprobe handler backs up to the new instruction, the CPU takes
 * the old INT3 again; docs/kvm-patches.md).  With the held VM those keys
 * never drop to zero, so runs of VMs do not patch text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "probe_abi.h"

#define MAX_STATS 128
#define CPUID_MAX_ENT 256

struct stat_set {
	unsigned int n;
	char name[MAX_STATS][64];
	uint64_t val[MAX_STATS];
};

struct vm {
	int kvm, fd, vcpu, stats_fd;
	uint8_t *mem;
	uint8_t *old_mem; /* guest RAM before PROBE_REMAP_SLOT, still mapped */
	/* Memslot 1 (PROBE_REMAP_ADD/DEL, PROBE_AP_RECREATE): its pages. */
	uint8_t *slot1[2];
	uint8_t slot1_copy[4096];
	/* vCPU 1 (PROBE_REMAP_ADD), run by its own thread. */
	int ap_fd;
	struct kvm_run *ap_run;
	pthread_t ap_thread;
	bool ap_started;
	char ap_error[128]; /* what went wrong on vCPU 1's thread */
	struct kvm_run *run;
	size_t run_size;
	/* Stats descriptors: offset (in u64) and name of every size-1 one. */
	unsigned int nstats;
	char stat_name[MAX_STATS][64];
	uint32_t stat_off[MAX_STATS];
	uint64_t data_offset;
	size_t data_size;
};

struct opts {
	const char *guest;
	uint32_t deadlines;
	uint32_t workload;
	const char *mode;
	unsigned int timeout;
	uint32_t seed;
	uint32_t tests;
};

static unsigned int tap_n, tap_fail;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_fail++;
	printf("%s %u - ", ok ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---------------------------------------------------------------------- */
/* Stats (KVM_GET_STATS_FD)                                               */

static ssize_t pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t r;

	do {
		r = pread(fd, buf, len, off);
	} while (r < 0 && errno == EINTR);
	return r;
}

static void stats_open(struct vm *vm)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;
	uint32_t i;

	vm->stats_fd = ioctl(vm->vcpu, KVM_GET_STATS_FD, NULL);
	if (vm->stats_fd < 0) {
		vm->nstats = 0;
		return;
	}
	if (pread_all(vm->stats_fd, &h, sizeof(h), 0) != sizeof(h))
		die("stats header");
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		die("calloc");
	if (pread_all(vm->stats_fd, descs, dsz * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsz * h.num_desc))
		die("stats descriptors");
	vm->data_offset = h.data_offset;
	vm->data_size = 0;
	vm->nstats = 0;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsz);
		/* offset is in bytes, size in u64 elements. */
		size_t end = d->offset + d->size * sizeof(uint64_t);

		if (end > vm->data_size)
			vm->data_size = end;
		if (d->size != 1 || vm->nstats >= MAX_STATS)
			continue;
		snprintf(vm->stat_name[vm->nstats], 64, "%s", d->name);
		vm->stat_off[vm->nstats] = d->offset;
		vm->nstats++;
	}
	free(descs);
}

static void stats_read(struct vm *vm, struct stat_set *s)
{
	uint64_t *data;
	unsigned int i;

	s->n = vm->nstats;
	if (!vm->nstats)
		return;
	data = malloc(vm->data_size);
	if (!data)
		die("malloc");
	if (pread_all(vm->stats_fd, data, vm->data_size, (off_t)vm->data_offset) !=
	    (ssize_t)vm->data_size)
		die("stats data");
	for (i = 0; i < vm->nstats; i++) {
		memcpy(s->name[i], vm->stat_name[i], 64);
		s->val[i] = data[vm->stat_off[i] / sizeof(uint64_t)];
	}
	free(data);
}

static bool stat_get(const struct stat_set *s, const char *name, uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->name[i], name)) {
			*v = s->val[i];
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* VM setup                                                               */

static void setup_cpuid(struct vm *vm, int vcpu)
{
	struct kvm_cpuid2 *c;
	uint32_t i;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENT * sizeof(c->entries[0]));
	if (!c)
		die("calloc");
	c->nent = CPUID_MAX_ENT;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ecx |= 1U << 21; /* x2APIC */
			e->ecx |= 1U << 24; /* TSC-deadline */
			e->ecx |= 1U << 31; /* hypervisor */
		}
	}
	if (ioctl(vcpu, KVM_SET_CPUID2, c) < 0)
		die("KVM_SET_CPUID2");
	free(c);
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/* 32-bit flat protected mode, CPL 0, interrupts off, at @eip. */
static void vcpu_flat(int vcpu, uint32_t eip, uint32_t esp)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
		die("KVM_GET_SREGS");
	seg(&sr.cs, 0x08, 0xb);
	seg(&sr.ds, 0x10, 0x3);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = PROBE_GDT_GPA;
	sr.gdt.limit = 3 * 8 - 1;
	sr.idt.base = PROBE_IDT_GPA;
	sr.idt.limit = 0;
	sr.cr0 = 0x11; /* PE, ET */
	sr.cr4 = 0;
	sr.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0)
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = eip;
	regs.rsp = esp;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

static void vm_create(struct vm *vm, const struct opts *o, uint32_t mode,
		      uint32_t flags)
{
	struct kvm_userspace_memory_region mr;
	struct probe_mbox *mb;
	uint64_t *gdt;
	struct stat st;
	int gfd;
	int tsc_khz;

	memset(vm, 0, sizeof(*vm));
	vm->ap_fd = -1;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		die("/dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	/* Intel without unrestricted guest needs a TSS area; harmless else. */
	(void)ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");

	vm->mem = mmap(NULL, PROBE_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest memory");
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = PROBE_MEM_SIZE;
	mr.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		die("KVM_SET_USER_MEMORY_REGION");

	gfd = open(o->guest, O_RDONLY | O_CLOEXEC);
	if (gfd < 0 || fstat(gfd, &st) < 0)
		die(o->guest);
	if (st.st_size <= 0 ||
	    st.st_size > (off_t)(PROBE_STACK_TOP - PROBE_IMAGE_GPA - 0x10000)) {
		errno = EFBIG;
		die(o->guest);
	}
	if (read(gfd, vm->mem + PROBE_IMAGE_GPA, (size_t)st.st_size) !=
	    st.st_size)
		die("read guest image");
	close(gfd);

	gdt = (uint64_t *)(vm->mem + PROBE_GDT_GPA);
	gdt[0] = 0;
	gdt[1] = 0x00cf9a000000ffffULL; /* code: 32-bit, 4 GiB, ring 0 */
	gdt[2] = 0x00cf92000000ffffULL; /* data */

	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die("KVM_CREATE_VCPU");
	vm->run_size = (size_t)ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run");
	setup_cpuid(vm, vm->vcpu);
	vcpu_flat(vm->vcpu, PROBE_IMAGE_GPA, PROBE_STACK_TOP);

	tsc_khz = ioctl(vm->vcpu, KVM_GET_TSC_KHZ, 0);
	if (tsc_khz <= 0)
		die("KVM_GET_TSC_KHZ");
	mb = (struct probe_mbox *)(vm->mem + PROBE_MBOX_GPA);
	memset(mb, 0, sizeof(*mb));
	mb->magic = PROBE_MAGIC;
	mb->version = PROBE_VERSION;
	mb->tsc_khz = (uint32_t)tsc_khz;
	mb->mode = mode;
	mb->flags = flags;
	mb->n_deadlines = o->deadlines;
	mb->n_workload = o->workload;
	mb->seed = o->seed;
	mb->tests = o->tests;
	stats_open(vm);
}

static void ap_stop(struct vm *vm);

static void vm_destroy(struct vm *vm)
{
	int i;

	ap_stop(vm);
	if (vm->ap_error[0]) /* a run that failed otherwise first */
		tap(false, "vCPU 1: %s", vm->ap_error);
	if (vm->ap_fd >= 0) {
		munmap(vm->ap_run, vm->run_size);
		close(vm->ap_fd);
	}
	for (i = 0; i < 2; i++)
		if (vm->slot1[i])
			munmap(vm->slot1[i], 4096);
	munmap(vm->run, vm->run_size);
	munmap(vm->mem, PROBE_MEM_SIZE);
	if (vm->old_mem)
		munmap(vm->old_mem, PROBE_MEM_SIZE);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	close(vm->vcpu);
	close(vm->fd);
	close(vm->kvm);
}

/* ---------------------------------------------------------------------- */
/* Running                                                                */

struct run_result {
	bool done;
	bool workload_ok;
	bool lazy_used;
	bool lazy_skipped;
	uint64_t guest_writes;
	uint32_t iterations;
	struct stat_set begin, end, total_end;
	struct stat_set hbegin, hend;
	struct stat_set live0, live_mid, live1; /* PROBE_PHASE_LIVE_* */
	bool live_done;
	pthread_t live_thread;
	struct vm *live_vm;
	bool halt_done;
	uint32_t halts;
	double halt_late_avg_us;
};

static void print_result(const char *tag, const struct probe_mbox *mb,
			 uint32_t tsc_khz, struct run_result *rr)
{
	char name[sizeof(mb->name) + 1], msg[sizeof(mb->msg) + 1];
	double late_avg = 0;

	memcpy(name, mb->name, sizeof(mb->name));
	name[sizeof(mb->name)] = 0;
	memcpy(msg, mb->msg, sizeof(mb->msg));
	msg[sizeof(mb->msg)] = 0;
	if (mb->n)
		late_avg = (double)mb->late_sum_tsc / mb->n;
	if (mb->skip) {
		tap_n++;
		printf("ok %u - %s: %s # SKIP %s\n", tap_n, tag, name, msg);
		rr->lazy_skipped = true;
		return;
	}
	tap(mb->ok && !mb->early, "%s: %s: n=%u early=%u extra=%u%s%s",
	    tag, name, mb->n, mb->early, mb->extra, msg[0] ? ": " : "", msg);
	if (mb->n && mb->late_min_tsc <= mb->late_max_tsc)
		printf("#   lateness (guest TSC, handler RDTSC - deadline): min %.1f us, avg %.1f us, max %.1f us\n",
		       mb->late_min_tsc * 1000.0 / tsc_khz,
		       late_avg * 1000.0 / tsc_khz,
		       mb->late_max_tsc * 1000.0 / tsc_khz);
	if (mb->mode == PROBE_MODE_WORKLOAD && strstr(name, "halt on")) {
		rr->halt_done = true;
		rr->halts = mb->n;
		rr->halt_late_avg_us = late_avg * 1000.0 / tsc_khz;
	} else if (mb->mode == PROBE_MODE_WORKLOAD) {
		rr->workload_ok = mb->ok && !mb->early;
		rr->lazy_used = mb->lazy;
		rr->guest_writes = mb->writes;
	} else if (mb->lazy) {
		rr->lazy_used = true; /* the conformance remap case ran */
	}
}

/* After a timeout: the timer's state as KVM's ABI shows it. */
static void dump_timer(struct vm *vm)
{
	struct kvm_msrs *m =
		calloc(1, sizeof(*m) + 2 * sizeof(struct kvm_msr_entry));
	struct kvm_lapic_state ls;
	struct stat_set st;
	unsigned int i;

	if (m) {
		m->nmsrs = 2;
		m->entries[0].index = 0x6e0; /* IA32_TSC_DEADLINE */
		m->entries[1].index = 0x10; /* IA32_TSC */
		if (ioctl(vm->vcpu, KVM_GET_MSRS, m) == 2)
			printf("# diag: IA32_TSC_DEADLINE 0x%llx, IA32_TSC 0x%llx\n",
			       (unsigned long long)m->entries[0].data,
			       (unsigned long long)m->entries[1].data);
		free(m);
	}
	if (!ioctl(vm->vcpu, KVM_GET_LAPIC, &ls)) {
		const uint32_t *r = (const uint32_t *)ls.regs;

		printf("# diag: LVTT 0x%x TMICT %u TMCCT %u TDCR 0x%x SVR 0x%x TPR 0x%x\n",
		       r[0x320 / 4], r[0x380 / 4], r[0x390 / 4], r[0x3e0 / 4],
		       r[0xf0 / 4], r[0x80 / 4]);
		printf("# diag: IRR");
		for (i = 0; i < 8; i++)
			printf(" %08x", r[(0x200 + 0x10 * (7 - i)) / 4]);
		printf("\n# diag: ISR");
		for (i = 0; i < 8; i++)
			printf(" %08x", r[(0x100 + 0x10 * (7 - i)) / 4]);
		printf("\n");
	}
	/* The patched KVM's debugfs view of its timer, if mounted. */
	{
		char path[128], line[256];
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/kvm/%d-%d/vcpu0/vapic_timer",
			 (int)getpid(), vm->fd);
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				printf("# diag: %s", line);
			fclose(f);
		}
	}
	stats_read(vm, &st);
	printf("# diag: KVM stats:");
	for (i = 0; i < st.n; i++)
		if (st.val[i])
			printf(" %s=%llu", st.name[i],
			       (unsigned long long)st.val[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * PROBE_PORT_SAVE: migrate the vCPU's LAPIC timer state as a VMM does,
 * with the guest TSC running on past what the guest armed meanwhile (the
 * guest's deadline is at most 40 ms ahead; the VMM sleeps 100 ms, as a
 * migration's downtime or a paused VM would).  Saved in QEMU's order:
 * IA32_TSC_DEADLINE (KVM_GET_MSRS), then the LAPIC (KVM_GET_LAPIC).  The
 * destination's LAPIC comes out of RESET: LVT timer masked, count stopped
 * (a KVM_SET_LAPIC of that).  Loaded in QEMU's order: the LAPIC, then
 * IA32_TSC_DEADLINE, whose write needs the LAPIC's TSC-deadline mode.
 */
static bool save_restore(struct vm *vm)
{
	struct kvm_msrs *m =
		calloc(1, sizeof(*m) + sizeof(struct kvm_msr_entry));
	struct kvm_lapic_state saved, reset;
	uint32_t *r;
	bool ok = false;

	if (!m)
		die("calloc");
	usleep(100000);
	m->nmsrs = 1;
	m->entries[0].index = 0x6e0; /* IA32_TSC_DEADLINE */
	if (ioctl(vm->vcpu, KVM_GET_MSRS, m) != 1 ||
	    ioctl(vm->vcpu, KVM_GET_LAPIC, &saved))
		goto out;
	reset = saved;
	r = (uint32_t *)reset.regs;
	r[0x320 / 4] = 0x10000; /* LVT timer: masked, one-shot */
	r[0x380 / 4] = 0; /* TMICT */
	r[0x390 / 4] = 0; /* TMCCT */
	r[0x3e0 / 4] = 0; /* TDCR */
	if (ioctl(vm->vcpu, KVM_SET_LAPIC, &reset) ||
	    ioctl(vm->vcpu, KVM_SET_LAPIC, &saved) ||
	    ioctl(vm->vcpu, KVM_SET_MSRS, m) != 1)
		goto out;
	ok = true;
out:
	free(m);
	return ok;
}

/*
 * PROBE_PORT_TSC: move the guest TSC 10 s forward from the VMM, as a VMM
 * does when it sets the TSC (KVM_SET_MSRS of IA32_TSC: host-initiated; a
 * value within 1 s of KVM's prediction would count as synchronizing the
 * vCPUs' TSCs and might not move it).
 */
static bool tsc_jump(struct vm *vm)
{
	struct kvm_msrs *m =
		calloc(1, sizeof(*m) + sizeof(struct kvm_msr_entry));
	bool ok = false;
	int khz;

	if (!m)
		die("calloc");
	khz = ioctl(vm->vcpu, KVM_GET_TSC_KHZ, 0);
	m->nmsrs = 1;
	m->entries[0].index = 0x10; /* IA32_TSC */
	if (khz > 0 && ioctl(vm->vcpu, KVM_GET_MSRS, m) == 1) {
		m->entries[0].data += (uint64_t)khz * 10000;
		ok = ioctl(vm->vcpu, KVM_SET_MSRS, m) == 1;
	}
	free(m);
	return ok;
}

/*
 * Memslot 1: one page at PROBE_LAZY2_GPA, on page @mem (NULL: deleted).
 * PROBE_REMAP_ADD creates it on a zeroed page, PROBE_REMAP_DEL copies the
 * page and deletes it, vCPU 1's PROBE_AP_RECREATE creates it on a new
 * page that holds the copy (as a VMM that moves memory does).
 */
static bool slot1_set(struct vm *vm, uint8_t *mem)
{
	struct kvm_userspace_memory_region mr;

	memset(&mr, 0, sizeof(mr));
	mr.slot = 1;
	mr.guest_phys_addr = PROBE_LAZY2_GPA;
	mr.memory_size = mem ? 4096 : 0;
	mr.userspace_addr = (uintptr_t)mem;
	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr) == 0;
}

static bool slot1_create(struct vm *vm, int i, const uint8_t *init)
{
	if (vm->slot1[i]) {
		errno = EBUSY;
		return false;
	}
	vm->slot1[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->slot1[i] == MAP_FAILED) {
		vm->slot1[i] = NULL;
		return false;
	}
	if (init)
		memcpy(vm->slot1[i], init, 4096);
	return slot1_set(vm, vm->slot1[i]);
}

/*
 * vCPU 1's thread: runs it until PROBE_AP_QUIT, an error (in ap_error),
 * or ap_stop().  Every signal but SIGUSR1 is blocked here.
 */
static void *ap_loop(void *arg)
{
	struct vm *vm = arg;
	struct kvm_run *run = vm->ap_run;
	uint8_t c;

	for (;;) {
		if (ioctl(vm->ap_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && !run->immediate_exit)
				continue;
			if (errno != EINTR)
				snprintf(vm->ap_error, sizeof(vm->ap_error),
					 "KVM_RUN: %s", strerror(errno));
			return NULL;
		}
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.direction != KVM_EXIT_IO_OUT ||
		    run->io.port != PROBE_PORT_AP) {
			snprintf(vm->ap_error, sizeof(vm->ap_error),
				 "unexpected exit reason %u", run->exit_reason);
			return NULL;
		}
		c = *((uint8_t *)run + run->io.data_offset);
		if (c == PROBE_AP_QUIT)
			return NULL;
		if (c != PROBE_AP_RECREATE) {
			snprintf(vm->ap_error, sizeof(vm->ap_error),
				 "unknown command %u", c);
			return NULL;
		}
		if (!slot1_create(vm, 1, vm->slot1_copy)) {
			snprintf(vm->ap_error, sizeof(vm->ap_error),
				 "memslot 1 re-created: %s", strerror(errno));
			return NULL;
		}
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* vCPU 1, flat mode at @eip, on its own thread (PROBE_REMAP_ADD). */
static bool ap_start(struct vm *vm, uint32_t eip)
{
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	struct sigaction sa;
	sigset_t all, old;
	int r;

	if (vm->ap_fd >= 0) {
		errno = EBUSY;
		return false;
	}
	vm->ap_fd = ioctl(vm->fd, KVM_CREATE_VCPU, 1);
	if (vm->ap_fd < 0)
		return false;
	vm->ap_run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, vm->ap_fd, 0);
	if (vm->ap_run == MAP_FAILED)
		die("mmap kvm_run of vCPU 1");
	setup_cpuid(vm, vm->ap_fd);
	vcpu_flat(vm->ap_fd, eip, PROBE_AP_STACK_TOP);
	if (ioctl(vm->ap_fd, KVM_SET_MP_STATE, &mp) < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigfillset(&all);
	sigdelset(&all, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&vm->ap_thread, NULL, ap_loop, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		errno = r;
		return false;
	}
	vm->ap_started = true;
	return true;
}

/* Stop vCPU 1's thread (it may be in KVM_RUN: immediate_exit + signal). */
static void ap_stop(struct vm *vm)
{
	if (!vm->ap_started)
		return;
	vm->ap_run->immediate_exit = 1;
	pthread_kill(vm->ap_thread, SIGUSR1);
	pthread_join(vm->ap_thread, NULL);
	vm->ap_started = false;
}

/*
 * PROBE_PORT_REMAP: put other memory behind guest RAM, as userspace may at
 * any time.  PROBE_REMAP_PAGE maps a copy over the page that holds the
 * mailbox and the lazy TSC-deadline block (mmap MAP_FIXED: an mmu notifier
 * invalidation for KVM).  PROBE_REMAP_SLOT re-creates memslot 0 on a copy
 * of all guest RAM (delete, create: a new memslot generation); the old
 * memory stays mapped until the VM goes, so only the memslot change tells
 * KVM.  KVM pinned the block's page when the guest enabled it.
 */
static bool remap_mem(struct vm *vm, uint8_t how)
{
	const struct probe_mbox *mb =
		(const struct probe_mbox *)(vm->mem + PROBE_MBOX_GPA);
	struct kvm_userspace_memory_region mr;
	uint8_t *page, *mem, copy[4096];

	switch (how) {
	case PROBE_REMAP_PAGE:
		page = vm->mem + (PROBE_LAZY_GPA & ~0xfffU);
		memcpy(copy, page, sizeof(copy));
		if (mmap(page, sizeof(copy), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) == MAP_FAILED)
			return false;
		memcpy(page, copy, sizeof(copy));
		return true;
	case PROBE_REMAP_SLOT:
		if (vm->old_mem) {
			errno = EBUSY;
			return false;
		}
		mem = mmap(NULL, PROBE_MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED)
			return false;
		memcpy(mem, vm->mem, PROBE_MEM_SIZE);
		memset(&mr, 0, sizeof(mr));
		mr.slot = 0;
		mr.guest_phys_addr = 0;
		mr.memory_size = 0; /* delete */
		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
			return false;
		mr.memory_size = PROBE_MEM_SIZE;
		mr.userspace_addr = (uintptr_t)mem;
		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
			return false;
		vm->old_mem = vm->mem;
		vm->mem = mem;
		return true;
	case PROBE_REMAP_ADD:
		if (!slot1_create(vm, 0, NULL))
			return false;
		return ap_start(vm, mb->ap_eip);
	case PROBE_REMAP_DEL:
		if (!vm->slot1[0]) {
			errno = ENOENT;
			return false;
		}
		memcpy(vm->slot1_copy, vm->slot1[0], 4096);
		return slot1_set(vm, NULL);
	}
	errno = EINVAL;
	return false;
}

/* The live phase's reader: KVM's stats 200 ms in, from another thread. */
static void *live_reader(void *arg)
{
	struct run_result *rr = arg;
	struct timespec ts = { 0, 200000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	stats_read(rr->live_vm, &rr->live_mid);
	return NULL;
}

/* Start it with every signal blocked: SIGALRM must reach KVM_RUN. */
static void live_start(struct vm *vm, struct run_result *rr)
{
	sigset_t all, old;

	stats_read(vm, &rr->live0);
	rr->live_vm = vm;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&rr->live_thread, NULL, live_reader, rr))
		die("pthread_create");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static bool vm_run(struct vm *vm, const char *tag, unsigned int timeout,
		   struct run_result *rr)
{
	struct probe_mbox *mb = (struct probe_mbox *)(vm->mem + PROBE_MBOX_GPA);
	char line[256];
	size_t ll = 0;

	memset(rr, 0, sizeof(*rr));
	timed_out = 0;
	alarm(timeout);
	for (;;) {
		struct kvm_run *run = vm->run;

		if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && !timed_out)
				continue;
			alarm(0);
			if (timed_out) {
				struct kvm_regs regs;

				(void)ioctl(vm->vcpu, KVM_GET_REGS, &regs);
				tap(false, "%s: guest finished within %u s (timed out at rip 0x%llx: lost interrupt?)",
				    tag, timeout, (unsigned long long)regs.rip);
				dump_timer(vm);
				return false;
			}
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			if (run->io.direction != KVM_EXIT_IO_OUT)
				break;
			switch (run->io.port) {
			case PROBE_PORT_PUTC:
				if (data[0] == '\n' || ll + 1 >= sizeof(line)) {
					line[ll] = 0;
					printf("# %s: guest: %s\n", tag, line);
					ll = 0;
				} else {
					line[ll++] = (char)data[0];
				}
				break;
			case PROBE_PORT_REPORT:
				print_result(tag, mb, mb->tsc_khz, rr);
				break;
			case PROBE_PORT_PHASE:
				if (data[0] == PROBE_PHASE_BEGIN)
					stats_read(vm, &rr->begin);
				else if (data[0] == PROBE_PHASE_END)
					stats_read(vm, &rr->end);
				else if (data[0] == PROBE_PHASE_HALT_BEGIN)
					stats_read(vm, &rr->hbegin);
				else if (data[0] == PROBE_PHASE_HALT_END)
					stats_read(vm, &rr->hend);
				else if (data[0] == PROBE_PHASE_LIVE_BEGIN)
					live_start(vm, rr);
				else if (data[0] == PROBE_PHASE_LIVE_END &&
					 rr->live_vm) {
					pthread_join(rr->live_thread, NULL);
					stats_read(vm, &rr->live1);
					rr->live_done = true;
				}
				break;
			case PROBE_PORT_SAVE:
				if (!save_restore(vm)) {
					alarm(0);
					tap(false, "%s: save/restore of the LAPIC state: %s",
					    tag, strerror(errno));
					return false;
				}
				break;
			case PROBE_PORT_TSC:
				if (!tsc_jump(vm)) {
					alarm(0);
					tap(false, "%s: IA32_TSC write by the VMM: %s",
					    tag, strerror(errno));
					return false;
				}
				break;
			case PROBE_PORT_REMAP:
				if (!remap_mem(vm, data[0])) {
					alarm(0);
					tap(false, "%s: the VMM puts other memory behind guest RAM (kind %u): %s",
					    tag, data[0], strerror(errno));
					return false;
				}
				mb = (struct probe_mbox *)(vm->mem +
							   PROBE_MBOX_GPA);
				break;
			case PROBE_PORT_DONE:
				alarm(0);
				stats_read(vm, &rr->total_end);
				ap_stop(vm);
				if (vm->ap_error[0]) {
					tap(false, "%s: vCPU 1: %s", tag,
					    vm->ap_error);
					vm->ap_error[0] = 0;
					return false;
				}
				if (data[0]) {
					tap(false, "%s: guest exception %u at eip 0x%x error 0x%x",
					    tag, mb->exc_vector, mb->exc_eip,
					    mb->exc_error);
					return false;
				}
				rr->done = true;
				return true;
			default:
				alarm(0);
				tap(false, "%s: unexpected OUT to port 0x%x", tag,
				    run->io.port);
				return false;
			}
			break;
		}
		case KVM_EXIT_INTR:
			break;
		default: {
			struct kvm_regs regs;

			alarm(0);
			(void)ioctl(vm->vcpu, KVM_GET_REGS, &regs);
			tap(false, "%s: unexpected exit reason %u at rip 0x%llx (hardware reason 0x%llx)",
			    tag, run->exit_reason, (unsigned long long)regs.rip,
			    (unsigned long long)run->hw.hardware_exit_reason);
			return false;
		}
		}
	}
}

/* The per-vCPU stats that tell the timer's story, in table order. */
static const char *const table_stats[] = {
	"exits",
	"halt_exits",
	"irq_injections",
	"irq_window_exits",
	"insn_emulation",
	"tscdeadline_writes",
	"tscdeadline_fastpath",
	"timer_fires",
	"timer_injections",
	"timer_early",
	"lazy_arbitrations",
	"lazy_moves",
	"lazy_remaps",
	"lazy_detaches",
	"halt_successful_poll",
	"halt_attempted_poll",
	"halt_wakeup",
};

static bool delta(const struct run_result *rr, const char *name, uint64_t *d)
{
	uint64_t a, b;

	if (!stat_get(&rr->begin, name, &a) || !stat_get(&rr->end, name, &b))
		return false;
	*d = b - a;
	return true;
}

static void print_exit_table(const struct run_result *plain,
			     const struct run_result *lazy, uint32_t iters)
{
	unsigned int i;

	printf("# exit table: re-arm workload, %u iterations, KVM per-vCPU stats (KVM_GET_STATS_FD)\n",
	       iters);
	printf("# %-24s %14s %14s %10s %10s\n", "stat", "no lazy", "lazy",
	       "/iter", "/iter lazy");
	printf("# %-24s %14" PRIu64 " %14" PRIu64 " %10.2f %10.2f\n",
	       "(guest WRMSR 0x6e0)", plain->guest_writes, lazy->guest_writes,
	       (double)plain->guest_writes / iters,
	       (double)lazy->guest_writes / iters);
	for (i = 0; i < sizeof(table_stats) / sizeof(table_stats[0]); i++) {
		uint64_t a = 0, b = 0;
		bool ha = delta(plain, table_stats[i], &a);
		bool hb = lazy->done && delta(lazy, table_stats[i], &b);
		char cb[24] = "-", pb[16] = "-";

		if (!ha)
			continue;
		if (hb) {
			snprintf(cb, sizeof(cb), "%" PRIu64, b);
			snprintf(pb, sizeof(pb), "%.2f", (double)b / iters);
		}
		printf("# %-24s %14" PRIu64 " %14s %10.2f %10s\n",
		       table_stats[i], a, cb, (double)a / iters, pb);
	}
	fflush(stdout);
}

/* libvapic's own never-early counter, if this KVM has it (patched). */
static void check_early(const struct run_result *rr, const char *tag)
{
	uint64_t early;

	if (stat_get(&rr->total_end, "timer_early", &early))
		tap(early == 0,
		    "%s: KVM's timer_early stat is 0 (libvapic's never-early counter): %" PRIu64,
		    tag, early);
}

/*
 * Patched KVM follows the memory behind the lazy block (patch 0008).  The
 * guest's remap case changes it twice: 2 remaps, none for the enable, no
 * detach, and one hold (memslot 0 re-created under the block).  The
 * detach case: one detach (memslot 1 deleted), one remap and one hold
 * when vCPU 1 re-creates it.
 */
static void check_remaps(const struct run_result *rr, uint32_t tests)
{
	bool remap = !tests || (tests & 0x800);
	bool detach = !tests || (tests & 0x2000);
	uint64_t remaps, detaches, holds = UINT64_MAX;
	uint64_t want_r = (remap ? 2 : 0) + (detach ? 1 : 0);
	uint64_t want_d = detach ? 1 : 0, want_h = remap + detach;

	if ((!remap && !detach) || !rr->lazy_used ||
	    !stat_get(&rr->total_end, "lazy_remaps", &remaps) ||
	    !stat_get(&rr->total_end, "lazy_detaches", &detaches))
		return;
	(void)stat_get(&rr->total_end, "lazy_holds", &holds);
	tap(remaps == want_r && detaches == want_d && holds == want_h,
	    "conformance: KVM followed the lazy block once per change of its memory, not on enable: lazy_remaps %" PRIu64 " (want %" PRIu64 "), lazy_detaches %" PRIu64 " (want %" PRIu64 "), lazy_holds %" PRId64 " (want %" PRIu64 ")",
	    remaps, want_r, detaches, want_d, (int64_t)holds, want_h);
}

/*
 * KVM's binary stats move while the vCPU stays in KVM_RUN (patch 0006
 * refreshes libvapic's counters every 100 ms there): the reader thread's
 * timer_injections, 200 ms into the 40 ticks, is past the phase's start.
 * Injections, not timer_fires: a tick the vCPU thread finds due while it
 * polls (adaptive halt-poll) is injected without a host timer fire.
 */
static void check_live_stats(const struct run_result *rr)
{
	uint64_t a, m, b;

	if (!rr->live_done || !stat_get(&rr->live0, "timer_injections", &a) ||
	    !stat_get(&rr->live_mid, "timer_injections", &m) ||
	    !stat_get(&rr->live1, "timer_injections", &b))
		return;
	tap(m > a && b - a >= 40,
	    "conformance: KVM's binary stats move while the vCPU stays in KVM_RUN: timer_injections +%" PRIu64 " read from another thread 200 ms into 40 ticks 10 ms apart (+%" PRIu64 " at the end)",
	    m - a, b - a);
}

/* Halt-polling: the halt workload's share of KVM's halt stats. */
static void print_halt_table(const struct run_result *rr)
{
	/* The last three are libvapic's own (patch 0011; not in stock KVM). */
	static const char *const names[] = {
		"halt_exits",		"halt_attempted_poll",
		"halt_successful_poll", "halt_poll_invalid",
		"halt_wakeup",		"halt_poll_success_ns",
		"halt_poll_fail_ns",	"halt_wait_ns",
		"halt_poll_timer",	"halt_poll_events",
		"halt_poll_continued",
	};
	unsigned int i;

	printf("# halt table: halt workload, %u halts on TSC deadlines 20-200 us ahead, average lateness %.1f us\n",
	       rr->halts, rr->halt_late_avg_us);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t a, b;

		if (!stat_get(&rr->hbegin, names[i], &a) ||
		    !stat_get(&rr->hend, names[i], &b))
			continue;
		printf("# %-24s %14" PRIu64 " %10.2f /halt\n", names[i], b - a,
		       rr->halts ? (double)(b - a) / rr->halts : 0.0);
	}
	fflush(stdout);
}

/*
 * Every MSR in KVM_GET_MSR_INDEX_LIST is one a VMM may save and restore
 * (some save the whole list): KVM_GET_MSRS/KVM_SET_MSRS of it must work on
 * any vCPU, also one whose guest does not have the feature (KVM's own
 * emulated MSRs allow host-initiated access regardless of CPUID).  Checked
 * for lazy TSC-deadline's MSR on a vCPU without libvapic's CPUID leaves:
 * reads 0, takes 0 back.  A KVM that does not list it: nothing to check.
 */
#define LAZY_MSR 0x56415000U
static void check_lazy_msr_host_access(void)
{
	struct kvm_msr_list *list;
	struct kvm_msrs *m;
	int kvm, fd, vcpu, rg, rs = -1;
	uint64_t got = ~0ULL;
	bool listed = false;
	uint32_t i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	list = calloc(1, sizeof(*list) + 1024 * sizeof(list->indices[0]));
	m = calloc(1, sizeof(*m) + sizeof(m->entries[0]));
	if (!list || !m)
		die("calloc");
	list->nmsrs = 1024;
	if (ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list) < 0)
		die("KVM_GET_MSR_INDEX_LIST");
	for (i = 0; i < list->nmsrs; i++)
		listed |= list->indices[i] == LAZY_MSR;
	if (!listed) {
		tap_n++;
		printf("ok %u - host access to the lazy TSC-deadline MSR # SKIP not in KVM_GET_MSR_INDEX_LIST\n",
		       tap_n);
		goto out;
	}
	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (fd < 0 || ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_VM/IRQCHIP");
	vcpu = ioctl(fd, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	/* No KVM_SET_CPUID2: the guest has no libvapic leaves. */
	m->nmsrs = 1;
	m->entries[0].index = LAZY_MSR;
	rg = ioctl(vcpu, KVM_GET_MSRS, m);
	if (rg == 1)
		got = m->entries[0].data;
	m->entries[0].data = 0;
	rs = ioctl(vcpu, KVM_SET_MSRS, m);
	tap(rg == 1 && got == 0 && rs == 1,
	    "host access to the lazy TSC-deadline MSR (listed in KVM_GET_MSR_INDEX_LIST) on a vCPU without its CPUID: KVM_GET_MSRS %d (value %#llx), KVM_SET_MSRS of 0 %d (want 1, 0, 1)",
	    rg, (unsigned long long)got, rs);
	close(vcpu);
	close(fd);
out:
	free(m);
	free(list);
	close(kvm);
}

/* --hold: see the file comment.  Never returns (die() on an error). */
static void __attribute__((noreturn)) hold(void)
{
	struct kvm_msrs *msrs;
	int kvm, fd, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");
	vcpu = ioctl(fd, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	/* IA32_APIC_BASE without its enable bit: apic_hw_disabled stays up. */
	msrs = calloc(1, sizeof(*msrs) + sizeof(msrs->entries[0]));
	if (!msrs)
		die("calloc");
	msrs->nmsrs = 1;
	msrs->entries[0].index = 0x1b;
	msrs->entries[0].data = 0xfee00000ULL | (1u << 8);
	if (ioctl(vcpu, KVM_SET_MSRS, msrs) != 1)
		die("KVM_SET_MSRS IA32_APIC_BASE");
	printf("# hold: one VM, one vCPU (APIC disabled) held until killed\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct opts o = { "/probe-guest.bin", 200, 400, "all", 300, 1, 0 };
	struct run_result conf, plain, lazy;
	struct sigaction sa;
	struct vm vm;
	bool do_conf, do_work;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--guest") && i + 1 < argc)
			o.guest = argv[++i];
		else if (!strcmp(argv[i], "--deadlines") && i + 1 < argc)
			o.deadlines = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--workload") && i + 1 < argc)
			o.workload = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			o.mode = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			o.timeout = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			o.seed = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--tests") && i + 1 < argc)
			o.tests = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--hold") && argc == 2)
			hold();
		else {
			fprintf(stderr,
				"usage: %s [--guest FILE] [--deadlines N] [--workload N] [--mode all|conformance|workload] [--timeout S] [--seed N] [--tests MASK]\n       %s --hold\n",
				argv[0], argv[0]);
			return 2;
		}
	}
	do_conf = !strcmp(o.mode, "all") || !strcmp(o.mode, "conformance");
	do_work = !strcmp(o.mode, "all") || !strcmp(o.mode, "workload");
	if (o.workload < 8)
		o.workload = 8;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	memset(&plain, 0, sizeof(plain));
	memset(&lazy, 0, sizeof(lazy));
	if (do_conf) {
		check_lazy_msr_host_access();
		vm_create(&vm, &o, PROBE_MODE_CONFORMANCE, 0);
		if (vm_run(&vm, "conformance", o.timeout, &conf)) {
			check_early(&conf, "conformance");
			check_remaps(&conf, o.tests);
			check_live_stats(&conf);
		}
		vm_destroy(&vm);
	}
	if (do_work) {
		vm_create(&vm, &o, PROBE_MODE_WORKLOAD, 0);
		if (vm_run(&vm, "workload", o.timeout, &plain))
			check_early(&plain, "workload");
		vm_destroy(&vm);
		vm_create(&vm, &o, PROBE_MODE_WORKLOAD, PROBE_F_LAZY);
		if (vm_run(&vm, "workload-lazy", o.timeout, &lazy))
			check_early(&lazy, "workload-lazy");
		vm_destroy(&vm);
		if (plain.done)
			print_exit_table(&plain, &lazy, o.workload);
		if (plain.halt_done)
			print_halt_table(&plain);
		if (plain.done && lazy.done && lazy.lazy_used) {
			uint64_t a, b;
			bool have = delta(&plain, "tscdeadline_writes", &a) &&
				    delta(&lazy, "tscdeadline_writes", &b);

			if (!have) {
				a = plain.guest_writes;
				b = lazy.guest_writes;
			}
			tap(b * 2 < a,
			    "lazy TSC-deadline cuts the TSC-deadline MSR exits (%s): %" PRIu64 " -> %" PRIu64,
			    have ? "KVM stat tscdeadline_writes" : "guest WRMSRs",
			    a, b);
			if (delta(&plain, "exits", &a) && delta(&lazy, "exits", &b))
				tap(b < a,
				    "lazy TSC-deadline cuts the vCPU's exits: %" PRIu64 " -> %" PRIu64,
				    a, b);
		}
	}
	printf("1..%u\n", tap_n);
	return tap_fail ? 1 : 0;
}
