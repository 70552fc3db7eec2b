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

/*
 * vapic_posix_service(), then the stop flag.  Whatever another thread
 * kicks for (the stop flag, an NMI/INIT/SIPI event, an IRR bit) must be
 * looked at after the kick is consumed here: vmm_stop() sets the flag and
 * then kicks, and a thread that consumed that kick sees the flag after it
 * (the kick flag's exchanges order the two), but one that looked only
 * before would go on to block or enter the guest with the kick spent.
 * The callers take events and poll the LAPIC after it, too.
 */
static bool service_stopping(struct vcpu *v)
{
	vapic_posix_service(&v->pv);
	return vmm_stopping(v->vm);
}

/* ---- --irqchip=user ---------------------------------------------------- */

/*
 * NMI, INIT and SIPI that other vCPUs' ICRs left pending in our LAPIC
 * (SDM "MP Initialization Protocol Algorithm"): INIT resets the LAPIC and
 * waits for a SIPI, which starts the vCPU in real mode at the vector's
 * page; a SIPI outside wait-for-SIPI, SMI and ExtINT are dropped.
 */
static void prequeue_cancel(struct vcpu *v);

static void take_events(struct vcpu *v)
{
	uint32_t got, sipi = 0;

	if (!vapic_lapic_pending_events(&v->lapic))
		return;
	got = vapic_lapic_take_events(&v->lapic, VAPIC_EVENT_ALL, &sipi);
	if (got & VAPIC_EVENT_INIT) {
		vapic_lapic_reset(&v->lapic);
		if (v->prequeued)
			prequeue_cancel(v); /* nothing survives INIT */
		v->wake_vec = 0;
		vapic_haltpoll_event(&v->hp); /* no wait goes on past INIT */
		v->wait_for_sipi = true;
		v->run->request_interrupt_window = 0;
	}
	if ((got & VAPIC_EVENT_SIPI) && v->wait_for_sipi) {
		if (kvm_set_sipi_state(v, (uint8_t)sipi)) {
			vmm_stop(v->vm, VMM_STATUS_CRASH);
			return;
		}
		v->wait_for_sipi = false;
		v->irq_queued = false;
	}
	if ((got & VAPIC_EVENT_NMI) && !v->wait_for_sipi &&
	    ioctl(v->fd, KVM_NMI, 0) == 0) {
		v->c.nmi_injections++;
		vapic_haltpoll_event(&v->hp);
	}
}

/* KVM_INTERRUPT, timed: its cost is learned for the pre-queue lead. */
static int kvm_interrupt(struct vcpu *v, uint32_t vec)
{
	struct kvm_interrupt irq = { .irq = vec };
	uint64_t t0 = vmm_now_ns(), d;
	int r = ioctl(v->fd, KVM_INTERRUPT, &irq);

	d = vmm_now_ns() - t0;
	v->c.kvm_interrupt_calls++;
	v->c.kvm_interrupt_ns += d;
	/* high-quantile tracker (as the adapter's): up 1/4, down 1/64 */
	if (d > 50000)
		d = 50000;
	if (d > v->inject_cost_ns)
		v->inject_cost_ns += (d - v->inject_cost_ns + 3) / 4;
	else
		v->inject_cost_ns -= (v->inject_cost_ns - d) / 64;
	return r;
}

/*
 * Timer pre-queue.  KVM_INTERRUPT is a vCPU ioctl, and on the reference
 * host (PVM) every vCPU ioctl pays a vcpu_load/put: ~5 us, on the path
 * from the deadline to the guest.  KVM's own LAPIC avoids that by queueing
 * the timer interrupt when its (advanced) hrtimer fires and busy-waiting
 * for the deadline right before VM entry.  We do the same: while the
 * vCPU is out of the guest and the timer is due within the ioctl's cost,
 * queue the timer vector in KVM's slot, then wait for libvapic to say
 * INJECT (deadline reached) before KVM_RUN.  The guest cannot observe the
 * queued vector before it is entered, so nothing is early; if libvapic
 * then injects another vector, KVM_INTERRUPT replaces the queued one; if
 * nothing, KVM_SET_VCPU_EVENTS withdraws it before any entry.
 *
 * Wake-up pre-queue, the same mechanism for events that are not timers: a
 * vCPU that halts with IF set is usually woken by the same vector as last
 * time (a server by its request IPI, a client by the reply, a device by
 * its interrupt).  do_halt() queues that vector when the halt begins, off
 * the wake-up path; when libvapic then says INJECT for it, the entry needs
 * no ioctl.  A different vector replaces it (the cost of no prediction); a
 * halt that ends with nothing to deliver withdraws it (one extra ioctl).
 * When the own timer comes due before that wake-up, the timer pre-queue
 * replaces the guess with the timer vector ahead of the deadline, as it
 * would have queued it.  Nothing the guest sees changes: only libvapic's
 * INJECT lets a vector into the guest.
 */
static bool vector_deliverable(struct vcpu *v, uint32_t vec)
{
	return vec >= 16 && vec <= 255 &&
	       (vec & 0xf0) > (vapic_lapic_ppr(&v->lapic) & 0xf0);
}

/* Queue @vec in KVM's slot (replacing a vector queued there ahead). */
static void prequeue_vec(struct vcpu *v, uint32_t vec)
{
	if (v->prequeued == vec || v->irq_queued ||
	    !v->run->ready_for_interrupt_injection ||
	    !vector_deliverable(v, vec))
		return;
	if (kvm_interrupt(v, vec) == 0)
		v->prequeued = vec;
}

static void prequeue(struct vcpu *v)
{
	uint32_t lvtt = vapic_timer_read_lvtt(&v->lapic.timer);

	if (!(lvtt & VAPIC_LVT_MASKED))
		prequeue_vec(v, lvtt & 0xff);
}

/* Is the timer's vector the one queued ahead? */
static bool timer_prequeued(struct vcpu *v)
{
	return v->prequeued &&
	       v->prequeued == (vapic_timer_read_lvtt(&v->lapic.timer) & 0xff);
}

static void prequeue_cancel(struct vcpu *v)
{
	struct kvm_vcpu_events ev;

	v->c.prequeue_cancelled++;
	v->prequeued = 0;
	memset(&ev, 0, sizeof(ev));
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
		ev.interrupt.injected = 0;
		if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) == 0)
			return;
	}
	crash(v, "cannot withdraw a queued interrupt");
}

/* When to pre-queue for the armed host timer: its deadline - ioctl cost. */
static uint64_t prequeue_at(struct vcpu *v)
{
	uint64_t exp = vapic_posix_expires_ns(&v->pv);

	if (exp == VAPIC_POSIX_NEVER)
		return VAPIC_POSIX_NEVER;
	exp += vapic_timer_advance_ns(&v->lapic.timer);
	return exp > v->inject_cost_ns ? exp - v->inject_cost_ns : 0;
}

/*
 * Is @vec the own timer's vector?  Not while the timer is masked: it
 * delivers nothing then, so that vector came from somewhere else.
 */
static bool is_timer_vec(struct vcpu *v, uint32_t vec)
{
	uint32_t lvtt = vapic_timer_read_lvtt(&v->lapic.timer);

	return !(lvtt & VAPIC_LVT_MASKED) && vec == (lvtt & 0xffU);
}

/*
 * A vector was injected.  Learn the one that ends a halt, for the next
 * halt's pre-queue.  Any vector but the own timer's ends what the guest
 * waited for: tell the halt-poll policy (VAPIC_HALTPOLL_F_EVENTS), so a
 * halt after it is not taken for the rest of a wait the timer cut short.
 */
static void injected(struct vcpu *v, uint32_t vec)
{
	if (v->after_halt) {
		v->wake_vec = vec;
		v->after_halt = false;
	}
	if (!is_timer_vec(v, vec))
		vapic_haltpoll_event(&v->hp);
}

/*
 * Deliver what is deliverable before entering: one vector per entry, with
 * KVM_INTERRUPT when the guest can take it (ready_for_interrupt_injection
 * as of the last exit, and no vector already sitting in KVM's one slot:
 * a second KVM_INTERRUPT would replace it), else an interrupt window.
 * Returns false when the timer asked to wait out its advance (the caller
 * loops).
 */
static bool prepare_entry(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t wait_ns;
	uint32_t vec;
	int r;

	r = vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
	if (r == VAPIC_LAPIC_WAIT) {
		if (wait_ns <= v->inject_cost_ns)
			prequeue(v);
		spin_ns(wait_ns);
		return false;
	}
	if (r == VAPIC_LAPIC_INJECT && !v->irq_queued) {
		if (v->prequeued) {
			if (vec == v->prequeued)
				v->c.prequeue_hits++;
			else if (kvm_interrupt(v, vec) == 0)
				v->c.prequeue_replaced++;
			else
				crash(v, "KVM_INTERRUPT failed");
			v->prequeued = 0;
			vapic_lapic_injected(&v->lapic, vec);
			injected(v, vec);
			v->c.injections++;
			v->irq_queued = true;
			run->request_interrupt_window = 0;
		} else if (run->ready_for_interrupt_injection) {
			if (kvm_interrupt(v, vec) == 0) {
				vapic_lapic_injected(&v->lapic, vec);
				injected(v, vec);
				v->c.injections++;
				v->irq_queued = true;
			}
			run->request_interrupt_window = 0;
		} else {
			if (!run->request_interrupt_window)
				v->c.irq_window_requests++;
			run->request_interrupt_window = 1;
		}
	} else if (r == VAPIC_LAPIC_INJECT) {
		/*
		 * Another vector is deliverable but KVM's slot is taken: ask
		 * for an exit as soon as the guest can take it.
		 */
		run->request_interrupt_window = 1;
	} else {
		if (v->prequeued)
			prequeue_cancel(v);
		run->request_interrupt_window = 0;
	}
	run->cr8 = vapic_lapic_cr8(&v->lapic);
	return true;
}

/*
 * HLT the fastpath could not complete: poll for the halt-poll policy's
 * window, then block in the adapter (which sleeps until the own timer's
 * expiry minus its spin margin, then spins), until an interrupt can be
 * delivered (IF was set at the HLT), an event arrives, or the VMM stops.
 */
static void do_halt(struct vcpu *v)
{
	bool if_set = v->run->if_flag;
	uint64_t t0 = vmm_now_ns(), poll_ns = 0, timer_ns, t_block = 0, t_end;
	uint64_t t_pre;
	uint64_t fires0 = v->pv.stats.fires;
	bool blocked = false, woke_timer = false;
	uint32_t flags = 0;

	v->c.halts++;
	vapic_posix_halt_begin(&v->pv);
	/* With IF clear the own timer cannot end this halt: no deadline. */
	if (!if_set || !vapic_haltpoll_timer_ns(&v->lapic.timer, &timer_ns))
		timer_ns = VAPIC_HALTPOLL_NO_TIMER;
	vapic_haltpoll_begin(&v->hp, t0, timer_ns, &poll_ns);
	if (if_set && v->wake_vec && !v->vm->opt.no_wake_prequeue &&
	    !vapic_lapic_pending_events(&v->lapic)) {
		prequeue_vec(v, v->wake_vec);
		if (v->prequeued)
			v->c.prequeue_wake++;
	}
	for (;;) {
		uint64_t wait_ns, now;
		uint32_t vec;
		int r;

		if (vmm_stopping(v->vm)) {
			flags |= VAPIC_HALT_INVALID;
			break;
		}
		if (vapic_lapic_pending_events(&v->lapic))
			break;
		/* Queue the timer vector the ioctl's cost ahead (see above). */
		t_pre = if_set && !timer_prequeued(v) ? prequeue_at(v)
						      : VAPIC_POSIX_NEVER;
		if (vmm_now_ns() >= t_pre) {
			prequeue(v);
			t_pre = VAPIC_POSIX_NEVER;
		}
		if (service_stopping(v)) {
			flags |= VAPIC_HALT_INVALID;
			break;
		}
		if (vapic_lapic_pending_events(&v->lapic))
			break;
		r = vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
		if (r == VAPIC_LAPIC_INJECT && if_set) {
			/* Ended by the own timer's vector, or another's. */
			woke_timer = is_timer_vec(v, vec);
			break;
		}
		if (r == VAPIC_LAPIC_WAIT) {
			spin_ns(wait_ns);
			continue;
		}
		now = vmm_now_ns();
		if (!blocked && now - t0 < poll_ns) {
			/* Halt-poll window: spin on the kick flag and timer. */
			while (!vapic_posix_poll_once(&v->pv, now) &&
			       now - t0 < poll_ns && now < t_pre) {
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
		vapic_posix_halt(&v->pv, t_pre);
	}
	vapic_posix_halt_end(&v->pv);
	v->after_halt = true;
	t_end = vmm_now_ns();
	/*
	 * The own timer ended the halt if it fired during it and its vector
	 * is the one delivered now.  When another vector (or an NMI, INIT,
	 * SIPI) ends it, what the vCPU waited for came, even if the timer
	 * fired too: the policy learns an event.
	 */
	if (woke_timer && v->pv.stats.fires != fires0)
		flags |= VAPIC_HALT_TIMER;
	if (blocked) {
		flags |= VAPIC_HALT_WAITED;
		v->c.halt_block_ns += t_end - t_block;
		v->c.halt_poll_ns += t_block - t0;
		vapic_haltpoll_end(&v->hp, t_block, t_end, flags);
	} else {
		v->c.halt_poll_ns += t_end - t0;
		v->c.halt_poll_wakes++;
		vapic_haltpoll_end(&v->hp, poll_ns ? t_end : t0, t_end, flags);
	}
	v->c.halt_ns += t_end - t0;
}

/* Exits the dispatcher left to the VMM. */
static bool slow_path(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_HLT:
		do_halt(v);
		return true;
	case KVM_EXIT_X86_RDMSR:
		if (apic_lazy_msr(v) || tsc_msr(v))
			return true;
		run->msr.data = 0;
		run->msr.error = 1; /* not ours: #GP */
		return true;
	case KVM_EXIT_X86_WRMSR:
		if (apic_lazy_msr(v) || tsc_msr(v))
			return true;
		run->msr.error = 1;
		return true;
	case KVM_EXIT_MMIO:
		/* Unbacked, not the APIC: reads all ones, writes dropped. */
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		return true;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_SET_TPR:
	case KVM_EXIT_INTR:
		return true;
	default:
		crash(v, "unexpected exit");
		return false;
	}
}

static void user_loop(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vapic_exit e;

	while (!vmm_stopping(v->vm)) {
		uint64_t fires0;
		int rc, r;

		if (service_stopping(v))
			break;
		take_events(v);
		if (v->wait_for_sipi) {
			if (!vapic_lapic_pending_events(&v->lapic))
				vapic_posix_halt(&v->pv, VAPIC_POSIX_NEVER);
			continue;
		}
		if (!prepare_entry(v))
			continue;
		if (!vapic_posix_enter(&v->pv)) {
			/*
			 * Not kicked: the host timer is due within the kick
			 * advance.  Wait for it here, pre-queueing its vector
			 * the ioctl's cost ahead.
			 */
			if (!vapic_posix_kicked(&v->pv)) {
				uint64_t t_pre = prequeue_at(v);

				if (vapic_posix_wait_expiry(&v->pv, t_pre) >=
				    t_pre)
					prequeue(v);
				vapic_posix_wait_expiry(&v->pv,
							VAPIC_POSIX_NEVER);
			}
			continue;
		}
		/*
		 * PV EOI: after this entry's injection, the last thing before
		 * KVM_RUN (never with a vector pre-queued in KVM's slot and not
		 * yet in ISR: the guest would take that one with the flag).
		 */
		if (!v->prequeued)
			vapic_lapic_pv_eoi_before_entry(&v->lapic);
		rc = ioctl(v->fd, KVM_RUN, 0);
		{
			int e0 = errno;

			/*
			 * First thing after any exit, before ISR/PPR are read
			 * or anything is injected: the EOI the guest skipped.
			 * Its ACT bits need nothing here: the loop polls
			 * before every entry, and the flag is never set for a
			 * level-triggered vector (no IOAPIC broadcast).
			 */
			(void)vapic_lapic_pv_eoi_after_exit(&v->lapic);
			/*
			 * TPR from CR8, after every KVM_RUN that ran, also one
			 * a signal cut short (EINTR): KVM keeps a CR8 raise
			 * without an exit and reports it in run->cr8, and the
			 * next entry writes run->cr8 back to the guest.
			 */
			if (rc == 0 || e0 == EINTR || e0 == EAGAIN)
				vapic_lapic_set_cr8(&v->lapic, run->cr8 & 0xf);
			errno = e0;
		}
		vapic_posix_exit(&v->pv, rc < 0 && errno == EINTR);
		v->irq_queued = false;
		v->after_halt = false;
		if (rc < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				crash(v, strerror(errno));
				return;
			}
			/* A kick or the host timer's signal: dispatch it. */
			v->c.eintr++;
			fires0 = v->pv.stats.fires;
			vapic_posix_service(&v->pv);
			memset(&e, 0, sizeof(e));
			e.reason = v->pv.stats.fires != fires0
					   ? VAPIC_EXIT_HOST_TIMER
					   : VAPIC_EXIT_KICK;
			r = apic_dispatch(v, &e);
			if (r == VAPIC_FP_HOST &&
			    (e.actions & VAPIC_EXIT_ACT_WAIT))
				spin_ns(e.wait_ns);
			continue;
		}
		v->c.exits++;
		v->c.exit_reason[run->exit_reason & 63]++;
		apic_exit_from_run(v, &e);
		r = apic_dispatch(v, &e);
		/*
		 * HLT with IF clear: a pending interrupt does not end it, only
		 * an event (NMI, INIT) does (SDM "HLT").  The dispatcher does
		 * not know IF, so its INJECT (or WAIT) means halt here.
		 */
		if (e.reason == VAPIC_EXIT_HLT && !run->if_flag &&
		    !(e.actions & VAPIC_EXIT_ACT_EVENT))
			r = VAPIC_FP_SLOW;
		if (r == VAPIC_FP_SLOW) {
			if (!slow_path(v))
				return;
			continue;
		}
		apic_complete(v, &e);
		if (r == VAPIC_FP_HOST && (e.actions & VAPIC_EXIT_ACT_WAIT))
			spin_ns(e.wait_ns);
	}
}

/* ---- --irqchip=kernel --------------------------------------------------- */

static void kernel_loop(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	while (!vmm_stopping(v->vm)) {
		int rc;

		if (service_stopping(v))
			break;
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
		&v->pv,
		v->vm->opt.irqchip == IRQCHIP_USER ? &v->lapic.timer : NULL,
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
	v->c.cpu_ns =
		(uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return NULL;
}
