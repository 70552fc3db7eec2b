// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vapic-vmm: command line, VM assembly, run, results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vapic-vmm [options] KERNEL\n"
		"\n"
		"Runs a Multiboot (v1) ELF kernel on /dev/kvm with its local "
		"APIC emulated\n"
		"by libvapic in this process (KVM's in-kernel irqchip off), or "
		"by KVM.\n"
		"\n"
		"  --irqchip=user|kernel  who emulates the LAPIC: libvapic "
		"(default) or\n"
		"                         KVM's in-kernel irqchip "
		"(KVM_CREATE_IRQCHIP)\n"
		"  --cpus=N               vCPUs, 1..%d (default 1); APIC IDs "
		"0..N-1\n"
		"  --mem=MIB              guest RAM in MiB, 128..3072 (default "
		"128)\n"
		"  --haltpoll=off|kvm|ours  halt polling.  user: libvapic's "
		"policies: off,\n"
		"                         KVM's grow/shrink (bit-exact), ours "
		"(adaptive,\n"
		"                         timer-aware; default).  kernel: off "
		"=\n"
		"                         KVM_CAP_HALT_POLL 0, kvm = KVM's "
		"(default)\n"
		"  --haltpoll-set NAME=V  override a field of the halt-poll "
		"policy's\n"
		"                         config (struct "
		"vapic_haltpoll_config: max_ns,\n"
		"                         grow, grow_start_ns, shrink, "
		"timer_max_ns,\n"
		"                         block_cost_ns, cpu_weight_q8, "
		"budget_ppm,\n"
		"                         budget_burst_ns, flags); "
		"repeatable;\n"
		"                         ours sets flags=0x10 (F_EVENTS: the "
		"VMM\n"
		"                         reports what it injects)\n"
		"  --lazy                 advertise the lazy TSC-deadline "
		"protocol\n"
		"                         (--irqchip=user only)\n"
		"  --pv-eoi=on|off        offer KVM's paravirtual EOI "
		"(MSR 0x4b564d04,\n"
		"                         CPUID 0x40000001 EAX bit 6) from "
		"libvapic\n"
		"                         (default on; --irqchip=user; with "
		"kernel KVM\n"
		"                         offers its own)\n"
		"  --wake-prequeue=on|off at a halt (IF set), queue the "
		"vector that\n"
		"                         ended the previous halt in KVM's "
		"slot ahead of\n"
		"                         its wake-up (default on; "
		"--irqchip=user)\n"
		"  --set KEY=VALUE        add a line to the guest's config "
		"module\n"
		"                         (repeatable); tsc_khz=... is always "
		"added\n"
		"  --cmdline=STRING       Multiboot command line\n"
		"  --timeout=SECONDS      stop the guest after this long "
		"(default 60)\n"
		"  --label=NAME           name of this run in the results\n"
		"  --json=FILE            write the results as JSON\n"
		"  --samples-csv=FILE     write the guest's raw samples as "
		"CSV\n"
		"  --stats                print exit, KVM and libvapic "
		"statistics\n"
		"  --quiet                do not echo the guest's serial "
		"console\n"
		"  -h, --help             this text\n"
		"\n"
		"Guest devices: serial 0x3f8, exit port 0xf4 (the VMM exits "
		"with\n"
		"(code << 1) | 1), fw_cfg 0x510/0x511 (key 0x05 = CPU count), "
		"report port\n"
		"0x520.  Exit status otherwise: %d error, %d guest crashed, %d "
		"timeout.\n",
		VMM_MAX_CPUS, VMM_STATUS_ERROR, VMM_STATUS_CRASH,
		VMM_STATUS_TIMEOUT);
}

static int add_line(struct vmm_options *o, const char *line)
{
	size_t l = strlen(line);
	char *t = realloc(o->module_text, o->module_len + l + 2);

	if (!t)
		return -ENOMEM;
	memcpy(t + o->module_len, line, l);
	t[o->module_len + l] = '\n';
	o->module_len += l + 1;
	t[o->module_len] = 0;
	o->module_text = t;
	return 0;
}

/* "on" -> *off = false, "off" -> true; anything else -1. */
static int parse_off(const char *arg, bool *off)
{
	if (!strcmp(arg, "on"))
		*off = false;
	else if (!strcmp(arg, "off"))
		*off = true;
	else
		return -1;
	return 0;
}

static int parse(int argc, char **argv, struct vmm_options *o)
{
	enum {
		O_IRQCHIP = 256,
		O_CPUS,
		O_MEM,
		O_HALTPOLL,
		O_LAZY,
		O_SET,
		O_CMDLINE,
		O_TIMEOUT,
		O_LABEL,
		O_JSON,
		O_CSV,
		O_STATS,
		O_QUIET,
		O_HPSET,
		O_WAKEPQ,
		O_PVEOI
	};
	static const struct option lo[] = {
		{ "irqchip", required_argument, NULL, O_IRQCHIP },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "mem", required_argument, NULL, O_MEM },
		{ "haltpoll", required_argument, NULL, O_HALTPOLL },
		{ "lazy", no_argument, NULL, O_LAZY },
		{ "wake-prequeue", required_argument, NULL, O_WAKEPQ },
		{ "pv-eoi", required_argument, NULL, O_PVEOI },
		{ "set", required_argument, NULL, O_SET },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "label", required_argument, NULL, O_LABEL },
		{ "json", required_argument, NULL, O_JSON },
		{ "samples-csv", required_argument, NULL, O_CSV },
		{ "stats", no_argument, NULL, O_STATS },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "haltpoll-set", required_argument, NULL, O_HPSET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;
	char *end;

	memset(o, 0, sizeof(*o));
	o->ncpus = 1;
	o->mem_mib = 128;
	o->timeout_s = 60;
	o->cmdline = "";
	o->haltpoll = HALTPOLL_DEFAULT;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_IRQCHIP:
			if (!strcmp(optarg, "user"))
				o->irqchip = IRQCHIP_USER;
			else if (!strcmp(optarg, "kernel"))
				o->irqchip = IRQCHIP_KERNEL;
			else
				goto bad;
			break;
		case O_CPUS:
			o->ncpus = (int)strtol(optarg, &end, 0);
			if (*end || o->ncpus < 1 || o->ncpus > VMM_MAX_CPUS)
				goto bad;
			break;
		case O_MEM:
			o->mem_mib = strtoull(optarg, &end, 0);
			if (*end || o->mem_mib < 128 || o->mem_mib > 3072)
				goto bad;
			break;
		case O_HALTPOLL:
			if (!strcmp(optarg, "off"))
				o->haltpoll = HALTPOLL_OFF;
			else if (!strcmp(optarg, "kvm"))
				o->haltpoll = HALTPOLL_KVM;
			else if (!strcmp(optarg, "ours"))
				o->haltpoll = HALTPOLL_OURS;
			else
				goto bad;
			break;
		case O_LAZY:
			o->lazy = true;
			break;
		case O_PVEOI:
			if (parse_off(optarg, &o->no_pv_eoi))
				goto bad;
			break;
		case O_WAKEPQ:
			if (parse_off(optarg, &o->no_wake_prequeue))
				goto bad;
			break;
		case O_SET:
			if (!strchr(optarg, '=') || strchr(optarg, '\n'))
				goto bad;
			if (add_line(o, optarg))
				return -1;
			break;
		case O_CMDLINE:
			o->cmdline = optarg;
			break;
		case O_TIMEOUT:
			o->timeout_s = strtod(optarg, &end);
			if (*end || o->timeout_s <= 0)
				goto bad;
			break;
		case O_LABEL:
			o->label = optarg;
			break;
		case O_JSON:
			o->json = optarg;
			break;
		case O_CSV:
			o->samples_csv = optarg;
			break;
		case O_STATS:
			o->stats = true;
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case O_HPSET:
			if (!strchr(optarg, '=') || o->nhaltpoll_set == 8)
				goto bad;
			o->haltpoll_set[o->nhaltpoll_set++] = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vapic-vmm: expected one KERNEL argument\n");
		usage(stderr);
		return -1;
	}
	o->kernel = argv[optind];
	if (o->lazy && o->irqchip != IRQCHIP_USER) {
		fprintf(stderr, "vapic-vmm: --lazy needs --irqchip=user\n");
		return -1;
	}
	if (o->haltpoll == HALTPOLL_DEFAULT)
		o->haltpoll = o->irqchip == IRQCHIP_USER ? HALTPOLL_OURS
							 : HALTPOLL_KVM;
	if (o->haltpoll == HALTPOLL_OURS && o->irqchip != IRQCHIP_USER) {
		fprintf(stderr, "vapic-vmm: --haltpoll=ours needs "
				"--irqchip=user (KVM's LAPIC uses KVM's "
				"halt polling)\n");
		return -1;
	}
	return 0;
bad:
	/* By the option's code: the table's order need not follow the enum. */
	for (i = 0; lo[i].name && lo[i].val != c; i++)
		;
	fprintf(stderr, "vapic-vmm: bad value for --%s: '%s'\n",
		lo[i].name ? lo[i].name : "?", optarg);
	return -1;
}

static int haltpoll_overrides(const struct vmm_options *o,
			      struct vapic_haltpoll_config *c)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
#define F(x) { #x, offsetof(struct vapic_haltpoll_config, x) }
		F(flags),	    F(max_ns),	      F(grow),
		F(grow_start_ns),   F(shrink),	      F(timer_max_ns),
		F(block_cost_ns),   F(cpu_weight_q8), F(budget_ppm),
		F(budget_burst_ns),
#undef F
	};
	int i;
	size_t k;

	for (i = 0; i < o->nhaltpoll_set; i++) {
		const char *s = o->haltpoll_set[i], *eq = strchr(s, '=');
		char *end;
		unsigned long v = strtoul(eq + 1, &end, 0);

		for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			if (strlen(f[k].name) == (size_t)(eq - s) &&
			    !strncmp(f[k].name, s, (size_t)(eq - s)))
				break;
		if (k == sizeof(f) / sizeof(f[0]) || *end || v > UINT32_MAX) {
			fprintf(stderr,
				"vapic-vmm: --haltpoll-set %s: unknown "
				"field or bad value\n",
				s);
			return -1;
		}
		*(uint32_t *)((char *)c + f[k].off) = (uint32_t)v;
	}
	return 0;
}

static int setup(struct vmm *vm)
{
	char line[64];
	int i, r;

	vm->ram_size = vm->opt.mem_mib << 20;
	vm->ncpus = vm->opt.ncpus;
	r = kvm_open_vm(vm);
	if (r)
		return r;
	snprintf(line, sizeof(line), "tsc_khz=%u", vm->tsc_khz);
	if (add_line(&vm->opt, line))
		return -ENOMEM;
	snprintf(line, sizeof(line), "irqchip=%s",
		 vm->opt.irqchip == IRQCHIP_KERNEL ? "kernel" : "user");
	if (add_line(&vm->opt, line))
		return -ENOMEM;
	r = load_multiboot(vm);
	if (r)
		return r;

	vm->clock.tsc_khz = vm->tsc_khz;
	vapic_posix_host_ops(&vm->ops);
	apic_host_ops(&vm->ops);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->index = i;
		v->apic_id = (uint32_t)i;
		v->inject_cost_ns = 5000; /* learned from each KVM_INTERRUPT */
		r = kvm_create_vcpu(vm, v);
		if (r)
			return r;
		/* KVM does not offset the guest TSC (checked by bench_timer).
		 */
		r = vapic_posix_vcpu_init(&v->pv, &vm->clock, 0, NULL);
		if (r)
			return r;
		if (vm->opt.irqchip == IRQCHIP_USER) {
			static const uint32_t policy[] = {
				[HALTPOLL_OFF] = VAPIC_HALTPOLL_NONE,
				[HALTPOLL_KVM] = VAPIC_HALTPOLL_KVM,
				[HALTPOLL_OURS] = VAPIC_HALTPOLL_ADAPTIVE,
			};
			struct vapic_haltpoll_config hcfg;

			r = apic_vcpu_init(v);
			if (r)
				return r;
			if (vm->opt.lazy) {
				r = apic_lazy_setup(v);
				if (r)
					return r;
			}
			r = vapic_haltpoll_config_default(
				&hcfg, policy[vm->opt.haltpoll]);
			/* prepare_entry() reports what it injects. */
			if (!r && hcfg.policy == VAPIC_HALTPOLL_ADAPTIVE)
				hcfg.flags = VAPIC_HALTPOLL_F_EVENTS;
			if (r || haltpoll_overrides(&vm->opt, &hcfg) ||
			    vapic_haltpoll_init(&v->hp, &hcfg)) {
				fprintf(stderr, "vapic-vmm: bad halt-poll "
						"configuration\n");
				return -EINVAL;
			}
		}
	}
	return kvm_set_bsp_entry(vm, &vm->vcpus[0]);
}

static void wait_for_stop(struct vmm *vm)
{
	struct timespec ts;
	uint64_t deadline_ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	deadline_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
		      (uint64_t)ts.tv_nsec +
		      (uint64_t)(vm->opt.timeout_s * 1e9);
	ts.tv_sec = (time_t)(deadline_ns / 1000000000ULL);
	ts.tv_nsec = (long)(deadline_ns % 1000000000ULL);
	pthread_mutex_lock(&vm->lock);
	while (!vm->stop) {
		if (pthread_cond_timedwait(&vm->stop_cond, &vm->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&vm->lock);
	if (!vmm_stopping(vm)) {
		console_flush(vm);
		fprintf(stderr, "vapic-vmm: timeout after %.1f s\n",
			vm->opt.timeout_s);
		/*
		 * Stop (kick) first: a vCPU ioctl from this thread waits for
		 * KVM_RUN to return, which a guest that never exits only
		 * does when kicked.  main() dumps the registers after the
		 * join.
		 */
		vmm_stop(vm, VMM_STATUS_TIMEOUT);
	}
}

int main(int argc, char **argv)
{
	static struct vmm vm;
	sigset_t set;
	int i, r;

	if (parse(argc, argv, &vm.opt))
		return VMM_STATUS_ERROR;
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.stop_cond, NULL);
	r = setup(&vm);
	if (r)
		return VMM_STATUS_ERROR;

	/* Kick signals go to the vCPU threads, never to this one. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	vm.t_start_ns = vmm_now_ns();
	for (i = 0; i < vm.ncpus; i++) {
		if (pthread_create(&vm.vcpus[i].thread, NULL, vcpu_thread,
				   &vm.vcpus[i])) {
			fprintf(stderr, "vapic-vmm: pthread_create failed\n");
			vmm_stop(&vm, VMM_STATUS_ERROR);
			vm.ncpus = i;
			break;
		}
	}
	wait_for_stop(&vm);
	for (i = 0; i < vm.ncpus; i++)
		pthread_join(vm.vcpus[i].thread, NULL);
	console_flush(&vm);
	if (vm.status == VMM_STATUS_TIMEOUT)
		for (i = 0; i < vm.ncpus; i++)
			kvm_dump_regs(&vm.vcpus[i], stderr);
	for (i = 0; i < vm.ncpus; i++) {
		kvm_read_stats(&vm.vcpus[i]);
		vapic_posix_vcpu_destroy(&vm.vcpus[i].pv);
		if (vm.opt.irqchip == IRQCHIP_USER)
			vapic_lapic_destroy(&vm.vcpus[i].lapic);
	}
	report_print(&vm, stdout);
	if (vm.opt.json && report_json(&vm, vm.opt.json))
		return VMM_STATUS_ERROR;
	if (vm.opt.samples_csv && report_samples_csv(&vm, vm.opt.samples_csv))
		return VMM_STATUS_ERROR;
	return vm.status;
}
