/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vapic-vmm: a small VMM on /dev/kvm whose guests' local APIC is emulated
 * by libvapic (KVM's in-kernel irqchip off), or by KVM itself
 * (--irqchip=kernel) as the baseline.
 */
#ifndef VMM_H
#define VMM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <vapic/fastpath.h>
#include <vapic/haltpoll.h>
#include <vapic/lapic.h>
#ifdef VMM_HAVE_LAZY
#include <vapic/lazy.h>
#endif
#include "vapic_posix.h"
#include "guest_abi.h"
#include "ratelimit.h"

#define VMM_MAX_CPUS 8
#define VMM_APIC_DEFAULT_BASE 0xfee00000ULL

/* Exit status of the VMM besides the guest's (code << 1) | 1 (always odd). */
#define VMM_STATUS_ERROR 2 /* setup error, bad arguments */
#define VMM_STATUS_CRASH 4 /* guest shutdown / emulation failure */
#define VMM_STATUS_TIMEOUT 6 /* --timeout passed */

enum irqchip_mode { IRQCHIP_USER = 0, IRQCHIP_KERNEL = 1 };
enum haltpoll_mode {
	HALTPOLL_OFF = 0,
	HALTPOLL_KVM = 1,
	HALTPOLL_OURS = 2,
	HALTPOLL_DEFAULT = 3, /* kernel: KVM's; user: ours */
};

struct vmm_options {
	const char *kernel;
	const char *cmdline;
	char *module_text; /* KEY=VALUE lines (malloc'ed) */
	size_t module_len;
	enum irqchip_mode irqchip;
	enum haltpoll_mode haltpoll;
	bool lazy;
	bool no_pv_eoi; /* --pv-eoi=off */
	bool no_wake_prequeue; /* --wake-prequeue=off */
	char *haltpoll_set[8]; /* NAME=VALUE overrides of the policy config */
	int nhaltpoll_set;
	int ncpus;
	uint64_t mem_mib;
	double timeout_s;
	bool quiet;
	bool stats;
	const char *json;
	const char *samples_csv;
	const char *label;
};

/* Counters the VMM keeps per vCPU (vCPU thread writes). */
struct vcpu_counters {
	uint64_t exits;
	uint64_t exit_reason[64];
	uint64_t eintr;
	/* MSR exits by register */
	uint64_t msr_tsc_deadline;
	uint64_t msr_x2apic_icr;
	uint64_t msr_x2apic_eoi;
	uint64_t msr_x2apic_other;
	uint64_t msr_apic_base;
	uint64_t msr_lazy;
	uint64_t msr_pv_eoi; /* MSR_KVM_PV_EOI_EN */
	uint64_t msr_tsc; /* IA32_TSC writes (tsc.c) */
	uint64_t msr_tsc_adjust; /* IA32_TSC_ADJUST reads and writes */
	uint64_t msr_other;
	/* guest TSC moves (tsc.c) */
	uint64_t tsc_moves; /* writes that changed the TSC */
	uint64_t tsc_offset_kept; /* KVM kept another offset than asked */
	/* MMIO exits */
	uint64_t mmio_apic_icr;
	uint64_t mmio_apic_eoi;
	uint64_t mmio_apic_other;
	uint64_t mmio_other;
	/* I/O exits */
	uint64_t io_serial;
	uint64_t io_report;
	uint64_t io_other;
	/* interrupts */
	uint64_t injections;
	uint64_t nmi_injections;
	uint64_t irq_window_requests;
	uint64_t ipis_sent;
	uint64_t kvm_interrupt_calls;
	uint64_t kvm_interrupt_ns;
	uint64_t prequeue_hits; /* the vector was queued ahead */
	uint64_t prequeue_wake; /* queued at a halt: the last wake-up's */
	uint64_t prequeue_replaced; /* another vector came first */
	uint64_t prequeue_cancelled; /* nothing to deliver after all */
	/* halts */
	uint64_t halts;
	uint64_t halt_poll_wakes; /* woken while polling */
	uint64_t halt_blocks; /* had to block */
	uint64_t halt_poll_ns;
	uint64_t halt_block_ns;
	uint64_t halt_ns;
	uint64_t cpu_ns; /* thread CPU time */
	uint64_t libvapic_warnings; /* also those the log held back */
};

/* One KVM binary statistic (sum of its values). */
struct kvm_stat_val {
	char name[48];
	uint64_t value;
};

#define KVM_STATS_MAX 96

struct vmm;

struct vcpu {
	struct vmm *vm;
	int index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;

	/* libvapic (--irqchip=user) */
	struct vapic_posix_vcpu pv;
	struct vapic_lapic lapic;
	struct vapic_fastpath fp;
	struct vapic_haltpoll hp;
	bool wait_for_sipi; /* vCPU thread only */
	uint64_t tsc_adjust; /* IA32_TSC_ADJUST (tsc.c; vCPU thread only) */
	uint64_t tsc_offset0; /* KVM's guest TSC offset at creation */
	bool irq_queued; /* KVM_INTERRUPT done, KVM_RUN not yet returned */
	uint32_t prequeued; /* vector queued ahead in KVM's slot, 0: none */
	uint32_t wake_vec; /* the vector that ended the last halt, 0: none */
	bool after_halt; /* the next injection ends a halt */
	uint64_t inject_cost_ns; /* learned cost of the KVM_INTERRUPT ioctl */

	struct kvm_sregs reset_sregs;

	struct vcpu_counters c;
	struct ratelimit log_rl; /* libvapic's warnings on stderr */
	struct kvm_stat_val kstats[KVM_STATS_MAX];
	int nkstats;
};

/* Guest reports collected during the run. */
struct report_check {
	char name[GUEST_REPORT_NAME_LEN];
	int cpu;
	bool pass;
	int64_t got, want;
};

struct report_samples {
	char name[GUEST_REPORT_NAME_LEN];
	int cpu;
	int64_t *v; /* guest TSC cycles */
	uint32_t n;
};

struct report_counter {
	char name[GUEST_REPORT_NAME_LEN];
	int cpu;
	int64_t value;
};

struct vmm {
	struct vmm_options opt;
	int kvm_fd;
	int vm_fd;
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t tsc_khz;
	int ncpus;
	struct vcpu vcpus[VMM_MAX_CPUS];
	struct vapic_posix_clock clock;
	struct vapic_host_ops ops;
	uint64_t entry;
	uint64_t mbi_gpa;
	size_t mmap_size;
	struct kvm_cpuid2 *cpuid;
	uint32_t lazy_msr; /* 0: the lazy TSC-deadline protocol is off */
	bool tsc_writes; /* guest IA32_TSC(_ADJUST) writes exit (tsc.c) */
	bool tsc_adjust_msr; /* CPUID.7.0:EBX[1]: the guest has the MSR */
	int tsc_offset_warned; /* atomic: "KVM kept the offset" printed */
#ifdef VMM_HAVE_LAZY
	struct vapic_lazy_config lazy_cfg;
#endif

	pthread_mutex_t lock; /* console, fw_cfg, reports, stop */
	pthread_cond_t stop_cond;
	bool stop;
	int status;
	uint64_t t_start_ns, t_end_ns;

	/* devices */
	uint16_t fw_cfg_key;
	uint32_t fw_cfg_off;
	char con_line[256];
	size_t con_len;

	/* reports */
	struct report_check *checks;
	int nchecks;
	struct report_samples *samples;
	int nsamples;
	struct report_counter *counters;
	int ncounters;
};

/* kvm.c */
int kvm_open_vm(struct vmm *vm);
int kvm_create_vcpu(struct vmm *vm, struct vcpu *v);
int kvm_tsc_offset_get(struct vcpu *v, uint64_t *offset);
int kvm_tsc_offset_set(struct vcpu *v, uint64_t offset);
int kvm_set_bsp_entry(struct vmm *vm, struct vcpu *v);
int kvm_set_sipi_state(struct vcpu *v, uint8_t vector);
void kvm_read_stats(struct vcpu *v);
void kvm_dump_regs(struct vcpu *v, FILE *f);

/* loader.c */
int load_multiboot(struct vmm *vm);

/* devices.c */
void handle_io(struct vcpu *v);
void vmm_stop(struct vmm *vm, int status);
bool vmm_stopping(struct vmm *vm);
void console_flush(struct vmm *vm);

/* apic.c (--irqchip=user): LAPIC exits through libvapic */
void apic_host_ops(struct vapic_host_ops *ops);
int apic_vcpu_init(struct vcpu *v);
void apic_exit_from_run(struct vcpu *v, struct vapic_exit *e);
int apic_dispatch(struct vcpu *v, struct vapic_exit *e);
void apic_complete(struct vcpu *v, const struct vapic_exit *e);
int apic_lazy_setup(struct vcpu *v);
bool apic_lazy_msr(struct vcpu *v); /* handles a lazy-MSR exit */

/* tsc.c (--irqchip=user): the guest's writes to its TSC */
bool tsc_msr(struct vcpu *v); /* handles an IA32_TSC(_ADJUST) exit */

/* vcpu.c */
void *vcpu_thread(void *arg);
void vcpu_kick(struct vcpu *v);

/* report.c */
void report_print(struct vmm *vm, FILE *f);
int report_json(struct vmm *vm, const char *path);
int report_samples_csv(struct vmm *vm, const char *path);

static inline uint64_t vmm_now_ns(void)
{
	return vapic_posix_now_ns();
}

#endif /* VMM_H */
