// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vCPU threads: the KVM_RUN loop for both irqchip modes.
 *
 * --irqchip=user, before every entry:
 *   vapic_posix_service()   host timer due? -> vapic_timer_expired()
 *   INIT / SIPI / NMI       pending events from other vCPUs
 *   vapic_lapic_poll()      INJECT: KVM_INTERRUPT if the guest can take it
 *                           (ready_for_interrupt_injection, one vector per
 *                           entry), else request_interrupt_window;
 *                           WAIT: spin out the timer advance, poll again
 *   run->cr8 = TPR >> 4     (and back from run->cr8 after the exit)
 *   vapic_posix_enter()     kicked meanwhile? don't enter
 * HLT exits block in vapic_posix_halt() (after the halt-poll window) until
 * an interrupt is deliverable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <vapic/errors.h>
#include "vmm.h"

void vcpu_kick(struct vcpu *v)
{
	vapic_posix_kick(&v->pv);
}

static const char *exit_name(uint32_t r)
{
	static const char *const n[] = {
		[KVM_EXIT_UNKNOWN] = "unknown",
		[KVM_EXIT_EXCEPTION] = "exception",
		[KVM_EXIT_IO] = "io",
		[KVM_EXIT_HYPERCALL] = "hypercall",
		[KVM_EXIT_DEBUG] = "debug",
		[KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
		[KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_SET_TPR] = "set_tpr",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
		[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	};

	if (r < sizeof(n) / sizeof(n[0]) && n[r])
		return n[r];
	return "other";
}

static void crash(struct vcpu *v, const char *why)
{
	struct kvm_run *run = v->run;

	console_flush(v->vm);
	fprintf(stderr, "vapic-vmm: vcpu %d: %s (exit %u %s", v->index, why,
		run->exit_reason, exit_name(run->exit_reason));
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, ", suberror %u", run->internal.suberror);
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		fprintf(stderr, ", reason %llx",
			(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
	fprintf(stderr, ")\n");
	kvm_dump_regs(v, stderr);
	vmm_stop(v->vm, VMM_STATUS_CRASH);
}

static void spin_ns(uint64_t ns)
{
	uint64_t until = vmm_now_ns() + ns;

	while (vmm_now_ns() < until)
		__builtin_ia32_pause();
}

static bool xchg0(uint32_t *p)
{
	return __atomic_exchange_n(p, 0, __ATOMIC_SEQ_CST) != 0;
}

/* ---- --irqchip=user ---------------------------------------------------- */

/* INIT and SIPI (SDM "MP Initialization Protocol Algorithm"). */
static void handle_init_sipi(struct vcpu *v)
{
	if (xchg0(&v->init_pending)) {
		vapic_lapic_reset(&v->lapic);
		v->wait_for_sipi = true;
		v->run->request_interrupt_window = 0;
	}
	if (v->wait_for_sipi && xchg0(&v->sipi_pending)) {
		uint32_t vec = __atomic_load_n(&v->sipi_vector,
					       __ATOMIC_SEQ_CST);

		if (kvm_set_sipi_state(v, (uint8_t)vec)) {
			vmm_stop(v->vm, VMM_STATUS_CRASH);
			return;
		}
		v->wait_for_sipi = false;
	}
}

/*
 * Set while an interrupt sits in KVM's one-vector slot, from KVM_INTERRUPT
 * until KVM_RUN returns: ready_for_interrupt_injection is stale until then,
 * and a second KVM_INTERRUPT would replace the first vector (lose it).
 */
static __thread bool tls_irq_queued;

/*
 * Deliver what is deliverable before entering.  Returns false when the
 * timer asked to wait out its advance (the caller loops).
 */
static bool prepare_entry(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t wait_ns;
	uint32_t vec;
	int r;

	if (__atomic_load_n(&v->nmi_pending, __ATOMIC_RELAXED) &&
	    xchg0(&v->nmi_pending)) {
		if (ioctl(v->fd, KVM_NMI, 0) == 0)
			v->c.nmi_injections++;
	}
	r = vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
	if (r == VAPIC_LAPIC_WAIT) {
		spin_ns(wait_ns);
		return false;
	}
	if (r == VAPIC_LAPIC_INJECT && !tls_irq_queued) {
		if (run->ready_for_interrupt_injection) {
			struct kvm_interrupt irq = { .irq = vec };

			if (ioctl(v->fd, KVM_INTERRUPT, &irq) == 0) {
				vapic_lapic_injected(&v->lapic, vec);
				v->c.injections++;
				tls_irq_queued = true;
			}
			run->request_interrupt_window = 0;
		} else {
			if (!run->request_interrupt_window)
				v->c.irq_window_requests++;
			run->request_interrupt_window = 1;
		}
	} else {
		run->request_interrupt_window = 0;
	}
	run->cr8 = apic_cr8(v);
	return true;
}

/*
 * HLT: block until an interrupt can be delivered (IF was set at the HLT),
 * an NMI, INIT or SIPI arrives, or the VMM stops.
 */
static void do_halt(struct vcpu *v)
{
	bool if_set = v->run->if_flag;
	uint64_t t0 = vmm_now_ns(), poll_ns = 0, t_block = 0;
	bool blocked = false;

	v->c.halts++;
	for (;;) {
		uint64_t wait_ns, now;
		uint32_t vec;
		int r;

		if (vmm_stopping(v->vm))
			break;
		if (__atomic_load_n(&v->nmi_pending, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&v->init_pending, __ATOMIC_SEQ_CST))
			break;
		vapic_posix_service(&v->pv);
		r = vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
		if (r == VAPIC_LAPIC_INJECT && if_set)
			break;
		if (r == VAPIC_LAPIC_WAIT) {
			spin_ns(wait_ns);
			continue;
		}
		now = vmm_now_ns();
		if (now - t0 < poll_ns) {
			/* Halt-poll window: spin on the kick flag and timer. */
			while (!vapic_posix_poll_once(&v->pv, now) &&
			       now - t0 < poll_ns) {
				__builtin_ia32_pause();
				now = vmm_now_ns();
			}
			continue;
		}
		if (!blocked) {
			blocked = true;
			t_block = now;
			v->c.halt_blocks++;
		}
		vapic_posix_halt(&v->pv, VAPIC_POSIX_NEVER);
	}
	{
		uint64_t t1 = vmm_now_ns();

		v->c.halt_ns += t1 - t0;
		if (blocked) {
			v->c.halt_block_ns += t1 - t_block;
			v->c.halt_poll_ns += t_block - t0;
		} else {
			v->c.halt_poll_ns += t1 - t0;
			v->c.halt_poll_wakes++;
		}
	}
}

static void handle_msr(struct vcpu *v, bool write)
{
	struct kvm_run *run = v->run;
	uint64_t val = 0;
	int r;

	if (write) {
		r = apic_msr_write(v, run->msr.index, run->msr.data);
	} else {
		r = apic_msr_read(v, run->msr.index, &val);
		run->msr.data = val;
	}
	run->msr.error = r ? 1 : 0; /* 1: KVM injects #GP */
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (apic_mmio_hit(v, run->mmio.phys_addr)) {
		apic_mmio(v, run->mmio.phys_addr, run->mmio.data,
			  run->mmio.len, run->mmio.is_write);
		return;
	}
	v->c.mmio_other++;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
}

static void user_loop(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	while (!vmm_stopping(v->vm)) {
		int rc;

		handle_init_sipi(v);
		if (v->wait_for_sipi) {
			vapic_posix_service(&v->pv);
			if (!__atomic_load_n(&v->sipi_pending, __ATOMIC_SEQ_CST) &&
			    !__atomic_load_n(&v->init_pending, __ATOMIC_SEQ_CST))
				vapic_posix_halt(&v->pv, VAPIC_POSIX_NEVER);
			continue;
		}
		vapic_posix_service(&v->pv);
		if (!prepare_entry(v))
			continue;
		if (!vapic_posix_enter(&v->pv))
			continue;
		rc = ioctl(v->fd, KVM_RUN, 0);
		vapic_posix_exit(&v->pv, rc < 0 && errno == EINTR);
		tls_irq_queued = false;
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->c.eintr++;
				continue;
			}
			crash(v, strerror(errno));
			return;
		}
		v->c.exits++;
		v->c.exit_reason[run->exit_reason & 63]++;
		apic_sync_tpr_from_cr8(v);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_X86_RDMSR:
			handle_msr(v, false);
			break;
		case KVM_EXIT_X86_WRMSR:
			handle_msr(v, true);
			break;
		case KVM_EXIT_HLT:
			do_halt(v);
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_SET_TPR:
		case KVM_EXIT_INTR:
			break;
		default:
			crash(v, "unexpected exit");
			return;
		}
	}
}

/* ---- --irqchip=kernel --------------------------------------------------- */

static void kernel_loop(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	while (!vmm_stopping(v->vm)) {
		int rc;

		vapic_posix_service(&v->pv);
		if (!vapic_posix_enter(&v->pv))
			continue;
		rc = ioctl(v->fd, KVM_RUN, 0);
		vapic_posix_exit(&v->pv, false);
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->c.eintr++;
				continue;
			}
			crash(v, strerror(errno));
			return;
		}
		v->c.exits++;
		v->c.exit_reason[run->exit_reason & 63]++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			v->c.mmio_other++;
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff,
				       sizeof(run->mmio.data));
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_INTR:
			break;
		default:
			crash(v, "unexpected exit");
			return;
		}
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct timespec ts;
	int r;

	r = vapic_posix_vcpu_attach(
		&v->pv, v->vm->opt.irqchip == IRQCHIP_USER ? &v->lapic.timer : NULL,
		&v->run->immediate_exit);
	if (r) {
		fprintf(stderr, "vapic-vmm: vcpu %d: attach: %s\n", v->index,
			strerror(-r));
		vmm_stop(v->vm, VMM_STATUS_ERROR);
		return NULL;
	}
	if (v->vm->opt.irqchip == IRQCHIP_USER) {
		v->wait_for_sipi = v->index != 0;
		user_loop(v);
	} else {
		kernel_loop(v);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	v->c.cpu_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
		      (uint64_t)ts.tv_nsec;
	return NULL;
}
