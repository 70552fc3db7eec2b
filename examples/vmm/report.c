// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Results: the guest's reports (checks, samples, counters), the VMM's exit
 * counters, KVM's binary statistics and libvapic's statistics, printed as
 * text and written as JSON / CSV for the demo script.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <vapic/timer.h>
#include "vmm.h"

struct dist {
	uint32_t n;
	uint64_t early;
	double p50, p90, p99, max, min, mean; /* us */
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double tsc_us(const struct vmm *vm, int64_t cyc)
{
	return (double)cyc * 1000.0 / (double)vm->tsc_khz;
}

static void dist_of(const struct vmm *vm, const struct report_samples *s,
		    struct dist *d)
{
	int64_t *v;
	double sum = 0;
	uint32_t i;

	memset(d, 0, sizeof(*d));
	d->n = s->n;
	if (!s->n)
		return;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		return;
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_i64);
	for (i = 0; i < s->n; i++) {
		sum += (double)v[i];
		if (v[i] < 0)
			d->early++;
	}
#define P(q) tsc_us(vm, v[(size_t)((q) * (double)(s->n - 1) + 0.5)])
	d->p50 = P(0.5);
	d->p90 = P(0.9);
	d->p99 = P(0.99);
#undef P
	d->max = tsc_us(vm, v[s->n - 1]);
	d->min = tsc_us(vm, v[0]);
	d->mean = tsc_us(vm, (int64_t)(sum / s->n));
	free(v);
}

static uint64_t process_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		       1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/* PV EOI: libvapic's (user), KVM's own (kernel: as KVM offers it), off. */
static const char *pv_eoi_name(const struct vmm *vm)
{
	if (vm->opt.irqchip != IRQCHIP_USER)
		return "kvm";
	return vm->opt.no_pv_eoi ? "off" : "on";
}

static const char *irqchip_name(const struct vmm *vm)
{
	return vm->opt.irqchip == IRQCHIP_KERNEL ? "kernel" : "user";
}

static const char *haltpoll_name(const struct vmm *vm)
{
	static const char *const n[] = { "off", "kvm", "ours" };

	return n[vm->opt.haltpoll];
}

/* Sum a VMM counter over the vCPUs. */
static uint64_t csum(const struct vmm *vm, size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < vm->ncpus; i++)
		s += *(const uint64_t *)((const uint8_t *)&vm->vcpus[i].c +
					 off);
	return s;
}
#define SUM(vm, field) csum(vm, offsetof(struct vcpu_counters, field))

static uint64_t kstat_sum(const struct vmm *vm, const char *name, bool *found)
{
	uint64_t s = 0;
	int i, k;

	*found = false;
	for (i = 0; i < vm->ncpus; i++)
		for (k = 0; k < vm->vcpus[i].nkstats; k++)
			if (!strcmp(vm->vcpus[i].kstats[k].name, name)) {
				s += vm->vcpus[i].kstats[k].value;
				*found = true;
			}
	return s;
}

/* libvapic's statistics, one table per object, kvm_stat-style names. */
struct stat_table {
	const char *prefix; /* for names that lack one */
	const struct vapic_stat_desc *descs;
	const uint32_t *ndescs;
	size_t base; /* offset of the stats struct in struct vcpu */
};

static const struct stat_table stat_tables[] = {
	{ "", vapic_timer_stat_descs, &vapic_timer_stat_ndescs,
	  offsetof(struct vcpu, lapic.timer.stats) },
	{ "", vapic_lapic_stat_descs, &vapic_lapic_stat_ndescs,
	  offsetof(struct vcpu, lapic.stats) },
	{ "vapic_", vapic_exit_stat_descs, &vapic_exit_stat_ndescs,
	  offsetof(struct vcpu, fp.stats) },
	{ "", vapic_haltpoll_stat_descs, &vapic_haltpoll_stat_ndescs,
	  offsetof(struct vcpu, hp.stats) },
#ifdef VMM_HAVE_LAZY
	{ "", vapic_lazy_stat_descs, &vapic_lazy_stat_ndescs,
	  offsetof(struct vcpu, lapic.timer.lazy.stats) },
#endif
};

static uint64_t lib_stat(const struct vmm *vm, const struct stat_table *t,
			 const struct vapic_stat_desc *d)
{
	uint64_t s = 0;
	uint32_t j;
	int i;

	for (i = 0; i < vm->ncpus; i++) {
		const uint8_t *b =
			(const uint8_t *)&vm->vcpus[i] + t->base + d->offset;

		for (j = 0; j < d->count; j++)
			s += ((const uint64_t *)b)[j];
	}
	return s;
}

/* Calls @fn for every scalar libvapic statistic (summed over vCPUs). */
static void lib_stats_each(const struct vmm *vm,
			   void (*fn)(void *ctx, const char *prefix,
				      const char *name, uint64_t v),
			   void *ctx)
{
	size_t t;
	uint32_t k;

	for (t = 0; t < sizeof(stat_tables) / sizeof(stat_tables[0]); t++)
		for (k = 0; k < *stat_tables[t].ndescs; k++) {
			const struct vapic_stat_desc *d =
				&stat_tables[t].descs[k];

			if (d->count != 1)
				continue;
			fn(ctx, stat_tables[t].prefix, d->name,
			   lib_stat(vm, &stat_tables[t], d));
		}
}

static void print_stat(void *ctx, const char *prefix, const char *name,
		       uint64_t v)
{
	if (v)
		fprintf(ctx, " %s%s=%llu", prefix, name, (unsigned long long)v);
}

struct json_ctx {
	FILE *f;
	bool first;
};

static void json_stat(void *ctx, const char *prefix, const char *name,
		      uint64_t v)
{
	struct json_ctx *j = ctx;

	fprintf(j->f, "%s\"%s%s\": %llu", j->first ? "" : ", ", prefix, name,
		(unsigned long long)v);
	j->first = false;
}

void report_print(struct vmm *vm, FILE *f)
{
	int i, pass = 0;
	uint32_t k;

	fprintf(f,
		"== vapic-vmm %s: irqchip=%s haltpoll=%s lazy=%s pv_eoi=%s "
		"cpus=%d ==\n",
		vm->opt.label ? vm->opt.label : vm->opt.kernel,
		irqchip_name(vm), haltpoll_name(vm),
		vm->opt.lazy ? "on" : "off", pv_eoi_name(vm), vm->ncpus);
	fprintf(f, "status %d (%s), wall %.3f s, VMM CPU %.3f s\n", vm->status,
		vm->status & 1			   ? "guest exit"
		: vm->status == VMM_STATUS_TIMEOUT ? "TIMEOUT"
		: vm->status == VMM_STATUS_CRASH   ? "guest crashed"
						   : "error",
		(double)(vm->t_end_ns - vm->t_start_ns) / 1e9,
		(double)process_cpu_ns() / 1e9);
	for (i = 0; i < vm->nchecks; i++)
		pass += vm->checks[i].pass;
	if (vm->nchecks)
		fprintf(f, "checks: %d passed, %d failed\n", pass,
			vm->nchecks - pass);
	for (i = 0; i < vm->nchecks; i++)
		if (!vm->checks[i].pass)
			fprintf(f, "  FAILED %s (cpu %d): got %lld want %lld\n",
				vm->checks[i].name, vm->checks[i].cpu,
				(long long)vm->checks[i].got,
				(long long)vm->checks[i].want);
	for (i = 0; i < vm->nsamples; i++) {
		struct dist d;

		dist_of(vm, &vm->samples[i], &d);
		fprintf(f,
			"samples %s (cpu %d): n %u  p50 %.1f  p90 %.1f  p99 "
			"%.1f  max %.1f  min %.1f us  early %llu\n",
			vm->samples[i].name, vm->samples[i].cpu, d.n, d.p50,
			d.p90, d.p99, d.max, d.min,
			(unsigned long long)d.early);
	}
	for (i = 0; i < vm->ncounters; i++)
		fprintf(f, "counter %s (cpu %d): %lld\n", vm->counters[i].name,
			vm->counters[i].cpu, (long long)vm->counters[i].value);
	if (!vm->opt.stats)
		return;

	fprintf(f, "VMM exits: %llu (eintr %llu)",
		(unsigned long long)SUM(vm, exits),
		(unsigned long long)SUM(vm, eintr));
	for (k = 0; k < 64; k++) {
		uint64_t s = 0;

		for (i = 0; i < vm->ncpus; i++)
			s += vm->vcpus[i].c.exit_reason[k];
		if (s)
			fprintf(f, "  [%u] %llu", k, (unsigned long long)s);
	}
	fprintf(f, "\n");
	fprintf(f,
		"  msr: tsc_deadline %llu  x2apic_icr %llu  x2apic_eoi %llu  "
		"x2apic_other %llu  apic_base %llu  lazy %llu  pv_eoi %llu  "
		"tsc %llu  tsc_adjust %llu  other %llu\n",
		(unsigned long long)SUM(vm, msr_tsc_deadline),
		(unsigned long long)SUM(vm, msr_x2apic_icr),
		(unsigned long long)SUM(vm, msr_x2apic_eoi),
		(unsigned long long)SUM(vm, msr_x2apic_other),
		(unsigned long long)SUM(vm, msr_apic_base),
		(unsigned long long)SUM(vm, msr_lazy),
		(unsigned long long)SUM(vm, msr_pv_eoi),
		(unsigned long long)SUM(vm, msr_tsc),
		(unsigned long long)SUM(vm, msr_tsc_adjust),
		(unsigned long long)SUM(vm, msr_other));
	if (vm->opt.irqchip == IRQCHIP_USER) {
		fprintf(f,
			"  guest TSC writes %s: moves %llu, offset kept by "
			"KVM %llu;",
			vm->tsc_writes ? "tracked" : "left to KVM (untracked)",
			(unsigned long long)SUM(vm, tsc_moves),
			(unsigned long long)SUM(vm, tsc_offset_kept));
		for (i = 0; i < vm->ncpus; i++)
			fprintf(f, "  vcpu %d offset %lld -> %lld adjust %lld",
				i, (long long)vm->vcpus[i].tsc_offset0,
				(long long)vapic_posix_tsc_offset(
					&vm->vcpus[i].pv),
				(long long)vm->vcpus[i].tsc_adjust);
		fprintf(f, "\n");
	}
	fprintf(f,
		"  mmio: apic_icr %llu  apic_eoi %llu  apic_other %llu  other "
		"%llu;  io: serial %llu  report %llu  other %llu\n",
		(unsigned long long)SUM(vm, mmio_apic_icr),
		(unsigned long long)SUM(vm, mmio_apic_eoi),
		(unsigned long long)SUM(vm, mmio_apic_other),
		(unsigned long long)SUM(vm, mmio_other),
		(unsigned long long)SUM(vm, io_serial),
		(unsigned long long)SUM(vm, io_report),
		(unsigned long long)SUM(vm, io_other));
	fprintf(f,
		"  injections %llu  nmi %llu  irq_window_requests %llu  ipis "
		"%llu;  halts %llu (poll wakes %llu, blocks %llu)\n",
		(unsigned long long)SUM(vm, injections),
		(unsigned long long)SUM(vm, nmi_injections),
		(unsigned long long)SUM(vm, irq_window_requests),
		(unsigned long long)SUM(vm, ipis_sent),
		(unsigned long long)SUM(vm, halts),
		(unsigned long long)SUM(vm, halt_poll_wakes),
		(unsigned long long)SUM(vm, halt_blocks));
	if (SUM(vm, kvm_interrupt_calls))
		fprintf(f,
			"  KVM_INTERRUPT %llu calls, %.2f us avg; pre-queue "
			"(timer, wake %llu): %llu hits, %llu replaced, %llu "
			"cancelled\n",
			(unsigned long long)SUM(vm, kvm_interrupt_calls),
			(double)SUM(vm, kvm_interrupt_ns) / 1e3 /
				(double)SUM(vm, kvm_interrupt_calls),
			(unsigned long long)SUM(vm, prequeue_wake),
			(unsigned long long)SUM(vm, prequeue_hits),
			(unsigned long long)SUM(vm, prequeue_replaced),
			(unsigned long long)SUM(vm, prequeue_cancelled));
	if (SUM(vm, libvapic_warnings))
		fprintf(f,
			"  libvapic warnings %llu (the log shows 10 at "
			"once, then 1/s per vCPU)\n",
			(unsigned long long)SUM(vm, libvapic_warnings));
	fprintf(f, "KVM stats:");
	if (vm->ncpus && vm->vcpus[0].nkstats) {
		for (i = 0; i < vm->vcpus[0].nkstats; i++) {
			bool found;
			uint64_t s = kstat_sum(vm, vm->vcpus[0].kstats[i].name,
					       &found);

			if (s)
				fprintf(f, " %s=%llu",
					vm->vcpus[0].kstats[i].name,
					(unsigned long long)s);
		}
	}
	fprintf(f, "\n");
	if (vm->opt.irqchip == IRQCHIP_USER) {
		fprintf(f, "libvapic:");
		lib_stats_each(vm, print_stat, f);
		fprintf(f, "\n");
	}
}

/* ---- JSON --------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

#define JU(f, name, v) fprintf(f, "\"%s\": %llu", name, (unsigned long long)(v))

int report_json(struct vmm *vm, const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "{\n  \"label\": ");
	json_str(f, vm->opt.label ? vm->opt.label : "");
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, vm->opt.kernel);
	fprintf(f,
		",\n  \"irqchip\": \"%s\", \"haltpoll\": \"%s\", \"lazy\": %s, "
		"\"pv_eoi\": \"%s\", \"cpus\": %d, \"tsc_khz\": %u,\n",
		irqchip_name(vm), haltpoll_name(vm),
		vm->opt.lazy ? "true" : "false", pv_eoi_name(vm), vm->ncpus,
		vm->tsc_khz);
	fprintf(f,
		"  \"status\": %d, \"wall_ns\": %llu, \"vmm_cpu_ns\": %llu,\n",
		vm->status, (unsigned long long)(vm->t_end_ns - vm->t_start_ns),
		(unsigned long long)process_cpu_ns());

	fprintf(f, "  \"checks\": [");
	for (i = 0; i < vm->nchecks; i++) {
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, vm->checks[i].name);
		fprintf(f,
			", \"cpu\": %d, \"pass\": %s, \"got\": %lld, "
			"\"want\": %lld}",
			vm->checks[i].cpu,
			vm->checks[i].pass ? "true" : "false",
			(long long)vm->checks[i].got,
			(long long)vm->checks[i].want);
	}
	fprintf(f, "],\n  \"samples\": [");
	for (i = 0; i < vm->nsamples; i++) {
		struct dist d;

		dist_of(vm, &vm->samples[i], &d);
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, vm->samples[i].name);
		fprintf(f,
			", \"cpu\": %d, \"n\": %u, \"p50_us\": %.3f, "
			"\"p90_us\": %.3f, \"p99_us\": %.3f, \"max_us\": %.3f, "
			"\"min_us\": %.3f, \"mean_us\": %.3f, \"early\": %llu}",
			vm->samples[i].cpu, d.n, d.p50, d.p90, d.p99, d.max,
			d.min, d.mean, (unsigned long long)d.early);
	}
	fprintf(f, "],\n  \"counters\": {");
	for (i = 0; i < vm->ncounters; i++) {
		char key[80];

		snprintf(key, sizeof(key), "%s@%d", vm->counters[i].name,
			 vm->counters[i].cpu);
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, key);
		fprintf(f, ": %lld", (long long)vm->counters[i].value);
	}
	fprintf(f, "},\n  \"vmm\": {");
	JU(f, "exits", SUM(vm, exits));
	fprintf(f, ", ");
	JU(f, "eintr", SUM(vm, eintr));
	fprintf(f, ", ");
	JU(f, "exit_io", SUM(vm, exit_reason[KVM_EXIT_IO]));
	fprintf(f, ", ");
	JU(f, "exit_mmio", SUM(vm, exit_reason[KVM_EXIT_MMIO]));
	fprintf(f, ", ");
	JU(f, "exit_hlt", SUM(vm, exit_reason[KVM_EXIT_HLT]));
	fprintf(f, ", ");
	JU(f, "exit_irq_window",
	   SUM(vm, exit_reason[KVM_EXIT_IRQ_WINDOW_OPEN]));
	fprintf(f, ", ");
	JU(f, "exit_rdmsr", SUM(vm, exit_reason[KVM_EXIT_X86_RDMSR]));
	fprintf(f, ", ");
	JU(f, "exit_wrmsr", SUM(vm, exit_reason[KVM_EXIT_X86_WRMSR]));
	fprintf(f, ",\n    ");
	JU(f, "msr_tsc_deadline", SUM(vm, msr_tsc_deadline));
	fprintf(f, ", ");
	JU(f, "msr_x2apic_icr", SUM(vm, msr_x2apic_icr));
	fprintf(f, ", ");
	JU(f, "msr_x2apic_eoi", SUM(vm, msr_x2apic_eoi));
	fprintf(f, ", ");
	JU(f, "msr_x2apic_other", SUM(vm, msr_x2apic_other));
	fprintf(f, ", ");
	JU(f, "msr_apic_base", SUM(vm, msr_apic_base));
	fprintf(f, ", ");
	JU(f, "msr_lazy", SUM(vm, msr_lazy));
	fprintf(f, ", ");
	JU(f, "msr_pv_eoi", SUM(vm, msr_pv_eoi));
	fprintf(f, ", ");
	JU(f, "msr_tsc", SUM(vm, msr_tsc));
	fprintf(f, ", ");
	JU(f, "msr_tsc_adjust", SUM(vm, msr_tsc_adjust));
	fprintf(f, ", ");
	JU(f, "tsc_moves", SUM(vm, tsc_moves));
	fprintf(f, ", ");
	JU(f, "tsc_offset_kept", SUM(vm, tsc_offset_kept));
	fprintf(f, ", ");
	JU(f, "msr_other", SUM(vm, msr_other));
	fprintf(f, ",\n    ");
	JU(f, "mmio_apic_icr", SUM(vm, mmio_apic_icr));
	fprintf(f, ", ");
	JU(f, "mmio_apic_eoi", SUM(vm, mmio_apic_eoi));
	fprintf(f, ", ");
	JU(f, "mmio_apic_other", SUM(vm, mmio_apic_other));
	fprintf(f, ", ");
	JU(f, "mmio_other", SUM(vm, mmio_other));
	fprintf(f, ", ");
	JU(f, "io_serial", SUM(vm, io_serial));
	fprintf(f, ", ");
	JU(f, "io_report", SUM(vm, io_report));
	fprintf(f, ", ");
	JU(f, "io_other", SUM(vm, io_other));
	fprintf(f, ",\n    ");
	JU(f, "injections", SUM(vm, injections));
	fprintf(f, ", ");
	JU(f, "nmi_injections", SUM(vm, nmi_injections));
	fprintf(f, ", ");
	JU(f, "irq_window_requests", SUM(vm, irq_window_requests));
	fprintf(f, ", ");
	JU(f, "ipis_sent", SUM(vm, ipis_sent));
	fprintf(f, ", ");
	JU(f, "libvapic_warnings", SUM(vm, libvapic_warnings));
	fprintf(f, ", ");
	JU(f, "kvm_interrupt_calls", SUM(vm, kvm_interrupt_calls));
	fprintf(f, ", ");
	JU(f, "kvm_interrupt_ns", SUM(vm, kvm_interrupt_ns));
	fprintf(f, ", ");
	JU(f, "prequeue_hits", SUM(vm, prequeue_hits));
	fprintf(f, ", ");
	JU(f, "prequeue_replaced", SUM(vm, prequeue_replaced));
	fprintf(f, ", ");
	JU(f, "prequeue_wake", SUM(vm, prequeue_wake));
	fprintf(f, ", ");
	JU(f, "prequeue_cancelled", SUM(vm, prequeue_cancelled));
	fprintf(f, ", ");
	JU(f, "halts", SUM(vm, halts));
	fprintf(f, ", ");
	JU(f, "halt_poll_wakes", SUM(vm, halt_poll_wakes));
	fprintf(f, ", ");
	JU(f, "halt_blocks", SUM(vm, halt_blocks));
	fprintf(f, ", ");
	JU(f, "halt_poll_ns", SUM(vm, halt_poll_ns));
	fprintf(f, ", ");
	JU(f, "halt_block_ns", SUM(vm, halt_block_ns));
	fprintf(f, ", ");
	JU(f, "halt_ns", SUM(vm, halt_ns));
	fprintf(f, ", ");
	JU(f, "vcpu_thread_cpu_ns", SUM(vm, cpu_ns));
	fprintf(f, "},\n  \"kvm\": {");
	if (vm->ncpus && vm->vcpus[0].nkstats) {
		for (i = 0; i < vm->vcpus[0].nkstats; i++) {
			bool found;

			fprintf(f, "%s", i ? ", " : "");
			JU(f, vm->vcpus[0].kstats[i].name,
			   kstat_sum(vm, vm->vcpus[0].kstats[i].name, &found));
		}
	}
	fprintf(f, "},\n  \"libvapic\": {");
	if (vm->opt.irqchip == IRQCHIP_USER) {
		struct json_ctx jc = { f, true };

		lib_stats_each(vm, json_stat, &jc);
		for (i = 0; i < vm->ncpus; i++) {
			const struct vapic_posix_stats *p =
				&vm->vcpus[i].pv.stats;

			fprintf(f, ",\n    \"posix@%d\": {", i);
			JU(f, "arms", p->arms);
			fprintf(f, ", ");
			JU(f, "fires", p->fires);
			fprintf(f, ", ");
			JU(f, "ktimer_sets", p->ktimer_sets);
			fprintf(f, ", ");
			JU(f, "timer_exits", p->timer_exits);
			fprintf(f, ", ");
			JU(f, "kicks", p->kicks);
			fprintf(f, ", ");
			JU(f, "kick_signals", p->kick_signals);
			fprintf(f, ", ");
			JU(f, "kick_wakes", p->kick_wakes);
			fprintf(f, ", ");
			JU(f, "wakeups", p->wakeups);
			fprintf(f, ", ");
			JU(f, "wakeup_ns", p->wakeup_ns);
			fprintf(f, ", ");
			JU(f, "halt_sleeps", p->halt_sleeps);
			fprintf(f, ", ");
			JU(f, "halt_spin_ns", p->halt_spin_ns);
			fprintf(f, ", ");
			JU(f, "timer_spin_ns", p->timer_spin_ns);
			fprintf(f, ", ");
			JU(f, "spin_margin_ns", p->spin_margin_ns);
			fprintf(f, ", ");
			JU(f, "kick_advance_ns", p->kick_advance_ns);
			fprintf(f, "}");
		}
	}
	fprintf(f, "}\n}\n");
	fclose(f);
	return 0;
}

int report_samples_csv(struct vmm *vm, const char *path)
{
	FILE *f = fopen(path, "w");
	int i;
	uint32_t k;

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "name,cpu,index,value_tsc,value_us\n");
	for (i = 0; i < vm->nsamples; i++)
		for (k = 0; k < vm->samples[i].n; k++)
			fprintf(f, "%s,%d,%u,%lld,%.3f\n", vm->samples[i].name,
				vm->samples[i].cpu, k,
				(long long)vm->samples[i].v[k],
				tsc_us(vm, vm->samples[i].v[k]));
	fclose(f);
	return 0;
}
