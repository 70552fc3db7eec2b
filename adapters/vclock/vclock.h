/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vclock: the deterministic virtual-clock host of libvapic, for unit tests,
 * fuzzing and simulation.  Hosted C (uses libc); never part of the core.
 *
 * The model
 * ---------
 * A struct vclock_vm is one simulated host running one VM with nr_vcpus
 * vCPUs.  Each struct vclock_vcpu embeds a struct vapic_lapic (and so a
 * struct vapic_timer) bound to vclock_host_ops with host = the vCPU.
 *
 * Time.  There is one virtual host clock, vm->now_ns.  It moves only when
 * the caller moves it (vclock_advance(), vclock_run_until(),
 * vclock_run_next()); nothing reads a real clock.  The host TSC is derived
 * exactly from it: host_tsc = floor(now_ns * host_tsc_khz / 10^6).  Each
 * vCPU's guest TSC is vapic_clock_guest_tsc() of the host TSC with that
 * vCPU's own ratio and offset (struct vapic_clock), so a test can model a
 * migration to a host with another TSC offset or scaling ratio
 * (vclock_vcpu_set_tsc(), vclock_vcpu_set_ratio(),
 * vclock_vcpu_set_guest_tsc()).
 *
 * Events.  One binary min-heap (O(log n) insert/remove) holds two kinds of
 * events, each at most once per vCPU: the vCPU's one host timer, and the
 * vCPU thread's next "entry" (after a kick, or at the end of a spin).
 * Events are ordered by time; ties are broken by insertion order (a global
 * sequence number), so every run is reproducible bit for bit.
 *
 * Host timer.  timer_arm(expires_ns) queues the vCPU's timer at
 * max(expires_ns, now) + the vCPU's modeled timer latency (a fixed
 * timer_latency_ns, or latency_fn): it never fires before expires_ns.
 * timer_cancel removes it synchronously (the callback will not run).
 * Arming while armed is a host-contract violation: it is counted
 * (stats.arm_violations, stats.max_armed becomes 2) and the new expiry
 * replaces the old one.  Arming or cancelling from inside the timer
 * callback (the core must not) is counted in stats.context_violations.
 * When the timer fires, the callback "runs" on a modeled host CPU: the
 * vCPU's own CPU (vcpu->cpu) if vcpu->timer_pinned, else the VM's
 * housekeeping CPU.  It calls vapic_timer_expired() and honours the result:
 * VAPIC_TFN_REARM re-queues the timer at the returned time (plus latency);
 * VAPIC_TFN_WAIT models the callback spinning until the returned time (the
 * timer stays armed; a cancel before then drops the rest of the spin, and
 * the core then completes the expiry on the vCPU thread).
 *
 * vCPU thread.  kick marks the vCPU kicked and queues its entry at
 * now + entry_latency_ns.  An entry (the vCPU thread coming back to the core
 * and re-entering the guest) is, if vcpu->auto_enter: repeat
 * vapic_lapic_poll(); on VAPIC_LAPIC_WAIT the thread spins: its next entry
 * is queued wait_ns later (virtual time, deterministic; other vCPUs' events
 * in between still run in order); on VAPIC_LAPIC_INJECT, if the modeled
 * guest can take an interrupt (vcpu->irq_window), the vector is injected:
 * logged, vapic_lapic_injected(), and if vcpu->auto_eoi the modeled guest
 * handler writes EOI at once; if the window is closed, the vector waits in
 * IRR until vclock_vcpu_set_irq_window() opens it.  With auto_enter false,
 * kicks are only counted and the test drives the core itself.
 *
 * Posted delivery.  The post op succeeds only on vCPUs with
 * vcpu->post_enabled (and no injected fault): the vector is delivered into
 * the guest at once, without an exit, and logged with VCLOCK_DELIVERY_POSTED
 * and the CPU the callback ran on.  Otherwise it fails and the core falls
 * back to kick.
 *
 * The log.  Every delivered vector is appended to vm->log: vCPU, vector,
 * host ns, guest TSC at delivery, the host CPU it was delivered from (the
 * vCPU's CPU for an injection at entry; the callback's CPU when posted),
 * and whether it was posted.  A timer tick carries VCLOCK_DELIVERY_TIMER and
 * its deadline: the adapter reads vapic_timer_next_deadline() before every
 * poll (and the running target before a posted expiry), remembers the
 * deadline of a tick the timer moves into IRR, and attaches it when that
 * vector is injected.  vclock_check() verifies "never early" from these
 * records independently of the core's own stats.early.
 *
 * Guest memory.  One buffer of mem_size bytes at guest-physical mem_base.
 * map_guest succeeds only for a range entirely inside it and outside every
 * hole (vclock_mem_add_hole(): MMIO, ROM, unbacked); every successful map
 * must be matched by an unmap (vm->maps_outstanding; an unmap of an address
 * that is not mapped is a violation).
 *
 * Fault injection.  Per vCPU and per op (VCLOCK_OP_*): fail the next N
 * calls, and/or every Kth call.  A failing timer_arm returns VAPIC_EHOST,
 * map_guest NULL, post VAPIC_EBUSY.
 *
 * IPIs.  The send_ipi op hands every message to vm->send_ipi_hook (the
 * test routes it: vapic_lapic_match_dest() + vapic_lapic_receive()); with
 * no hook it fails with VAPIC_ENOTSUP.
 *
 * Not modeled: real concurrency (the callback and the vCPU thread interleave at
 * event granularity; threaded stress tests cover real races).
 *
 * Threads: none.  A struct vclock_vm must be used from one thread.
 */
#ifndef VCLOCK_H
#define VCLOCK_H

#include <vapic/types.h>
#include <vapic/clock.h>
#include <vapic/host.h>
#include <vapic/lapic.h>
#include <vapic/timer.h>

/** Host ops that can be made to fail (vclock_fault_*). */
enum vclock_op {
	VCLOCK_OP_TIMER_ARM = 0,
	VCLOCK_OP_MAP_GUEST = 1,
	VCLOCK_OP_POST = 2,
	VCLOCK_OP_NR,
};

/**
 * struct vclock_fault - fault injection state of one op of one vCPU.
 * @fail_next: the next @fail_next calls fail.
 * @every_k: if non-zero, every @every_k-th call (counting all calls) fails.
 * @calls: calls of the op so far.
 * @injected: failures injected so far.
 */
struct vclock_fault {
	uint64_t fail_next;
	uint64_t every_k;
	uint64_t calls;
	uint64_t injected;
};

/* struct vclock_delivery.flags */
/** Delivered by the post op (exitless), from the timer callback's CPU. */
#define VCLOCK_DELIVERY_POSTED 0x1U
/** A timer tick; deadline_tsc is its deadline. */
#define VCLOCK_DELIVERY_TIMER 0x2U
/**
 * A catch-up tick of a periodic timer (VAPIC_MISSED_CATCHUP): a past tick
 * delivered late; deadline_tsc is 0 (its deadline is not tracked).
 */
#define VCLOCK_DELIVERY_CATCHUP 0x4U

/**
 * struct vclock_delivery - one vector delivered into the guest.
 * @vcpu: vCPU index.
 * @vector: the vector.
 * @flags: VCLOCK_DELIVERY_*.
 * @cpu: modeled host CPU it was delivered from.
 * @host_ns: virtual host time of delivery.
 * @guest_tsc: the vCPU's guest TSC at delivery.
 * @deadline_tsc: VCLOCK_DELIVERY_TIMER: the tick's deadline (guest TSC).
 */
struct vclock_delivery {
	uint32_t vcpu;
	uint32_t vector;
	uint32_t flags;
	uint32_t cpu;
	uint64_t host_ns;
	uint64_t guest_tsc;
	uint64_t deadline_tsc;
};

/**
 * struct vclock_vcpu_stats - per-vCPU counters of the adapter (the host's
 * view; the core keeps its own in struct vapic_timer_stats).
 * @arms: successful timer_arm calls.
 * @arm_failures: timer_arm calls failed by fault injection.
 * @cancels: timer_cancel calls.
 * @cancels_armed: of @cancels, those that removed an armed timer.
 * @fires: timer callbacks run (vapic_timer_expired() calls).
 * @taken: armed timers removed by vclock_timer_take() (no callback run).
 * @rearms: VAPIC_TFN_REARM results.
 * @callback_waits: VAPIC_TFN_WAIT results.
 * @cross_cpu_fires: callbacks that ran on a CPU other than the vCPU's.
 * @kicks: kick calls.
 * @posts: successful posts.
 * @post_failures: failed post calls (disabled or injected).
 * @entries: vCPU entries processed (auto_enter).
 * @spins: VAPIC_LAPIC_WAIT results.
 * @spin_ns: total ns spun.
 * @injections: vectors injected at entry (not posted).
 * @entry_round_caps: entries that ended still injecting (after
 *	MAX_ENTRY_ROUNDS vectors) and queued another entry for the rest.
 * @maps: successful map_guest calls.
 * @map_failures: failed map_guest calls (out of RAM, hole, fault).
 * @max_armed: most host timers armed at once (must stay <= 1).
 * @arm_violations: arms while armed (must stay 0).
 * @context_violations: arm/cancel from the timer callback (must stay 0).
 */
struct vclock_vcpu_stats {
	uint64_t arms;
	uint64_t arm_failures;
	uint64_t cancels;
	uint64_t cancels_armed;
	uint64_t fires;
	uint64_t taken;
	uint64_t rearms;
	uint64_t callback_waits;
	uint64_t cross_cpu_fires;
	uint64_t kicks;
	uint64_t posts;
	uint64_t post_failures;
	uint64_t entries;
	uint64_t spins;
	uint64_t spin_ns;
	uint64_t injections;
	uint64_t entry_round_caps;
	uint64_t maps;
	uint64_t map_failures;
	uint64_t max_armed;
	uint64_t arm_violations;
	uint64_t context_violations;
};

struct vclock_vm;
struct vclock_vcpu;
struct vclock_qent;
struct vclock_mapping;

/*
 * Latency hook: extra ns after max(expires_ns, now) before the host timer of
 * @v fires (models hrtimer/interrupt latency; lets tests control lateness).
 */
typedef uint64_t (*vclock_latency_fn)(void *arg, struct vclock_vcpu *v,
				      uint64_t expires_ns);
/** Called on every host timer fire, before vapic_timer_expired(). */
typedef void (*vclock_fire_hook)(void *arg, struct vclock_vcpu *v);
/** Routes an IPI @src's core handed to send_ipi; returns 0 or VAPIC_E*. */
typedef int (*vclock_send_ipi_hook)(void *arg, struct vclock_vcpu *src,
				    const struct vapic_ipi *ipi);

/**
 * struct vclock_vcpu - one simulated vCPU.  Fields above "private" may be
 * read and (where noted) set by tests between calls.
 * @lapic: the vCPU's LAPIC (host = this struct).
 * @vm: the VM.
 * @index: vCPU index.
 * @clock: guest TSC = vapic_clock_guest_tsc(&clock, host TSC).
 * @cpu: settable: host CPU the vCPU thread runs on.
 * @timer_pinned: settable: the host timer fires on @cpu (else on the VM's
 *	housekeeping CPU).
 * @post_enabled: settable: the post op succeeds.
 * @irq_window: the modeled guest can take an interrupt (set it with
 *	vclock_vcpu_set_irq_window()).
 * @auto_enter: settable: entries poll the LAPIC and inject.
 * @auto_eoi: settable: the modeled guest EOIs every injected vector at once.
 * @timer_latency_ns: settable: host timer fires this late.
 * @entry_latency_ns: settable: delay from kick to the vCPU thread's entry.
 * @latency_fn: settable: if set, used instead of @timer_latency_ns.
 * @latency_arg: argument of @latency_fn.
 * @faults: fault injection per VCLOCK_OP_*.
 * @stats: counters.
 * @last_fire_cpu: CPU the last timer callback ran on.
 * @last_fire_ns: virtual time of the last timer callback.
 */
struct vclock_vcpu {
	struct vapic_lapic lapic;
	struct vclock_vm *vm;
	uint32_t index;
	struct vapic_clock clock;
	uint32_t cpu;
	bool timer_pinned;
	bool post_enabled;
	bool irq_window;
	bool auto_enter;
	bool auto_eoi;
	uint64_t timer_latency_ns;
	uint64_t entry_latency_ns;
	vclock_latency_fn latency_fn;
	void *latency_arg;
	struct vclock_fault faults[VCLOCK_OP_NR];
	struct vclock_vcpu_stats stats;
	uint32_t last_fire_cpu;
	uint64_t last_fire_ns;

	/* private */
	bool armed;
	bool cb_wait;
	bool kicked;
	bool in_callback;
	bool lapic_ready;
	uint64_t armed_expires_ns;
	uint64_t fire_deadline_tsc;
	bool fire_deadline_valid;
	uint32_t irr_due_valid[8];
	uint32_t irr_due_catchup[8];
	uint64_t irr_due_tsc[256];
};

/** Maximum number of memory holes. */
#define VCLOCK_MAX_HOLES 16

/**
 * struct vclock_config - VM settings.
 * @nr_vcpus: number of vCPUs, 1..4096.
 * @host_tsc_khz: host TSC frequency, kHz (1..VAPIC_KHZ_MAX).
 * @start_ns: initial virtual time.
 * @nr_host_cpus: modeled host CPUs (vCPU i runs on CPU i % nr_host_cpus).
 * @housekeeping_cpu: CPU of unpinned timer callbacks.
 * @mem_base: guest-physical base of guest RAM.
 * @mem_size: guest RAM bytes (0: none).
 * @max_events: cap on events processed by one run call (a guard against a
 *	livelock; the call then returns VAPIC_EBUSY).
 * @lapic: LAPIC settings of every vCPU (apic_id is replaced by the index);
 *	each vCPU's guest TSC runs at lapic.timer.guest_tsc_khz.
 */
struct vclock_config {
	uint32_t nr_vcpus;
	uint32_t host_tsc_khz;
	uint64_t start_ns;
	uint32_t nr_host_cpus;
	uint32_t housekeeping_cpu;
	uint64_t mem_base;
	uint64_t mem_size;
	uint64_t max_events;
	struct vapic_lapic_config lapic;
};

/**
 * struct vclock_vm - the simulated host.  Read-only for tests, except via
 * the functions below.
 * @cfg: the config.
 * @now_ns: virtual host time.
 * @vcpus: the vCPUs.
 * @log: deliveries, oldest first; @log_len entries.
 * @mem: guest RAM (cfg.mem_size bytes at cfg.mem_base).
 * @maps_outstanding: map_guest mappings not yet unmapped.
 * @unmap_violations: unmaps of an address that was not mapped.
 * @log_msgs: log op calls per level (VAPIC_LOG_*).
 * @last_log_msg: the last log op message.
 * @events: events processed so far.
 * @stuck: a run call hit cfg.max_events.
 * @fire_hook: settable: called on every host timer fire (e.g. to record
 *	the firing order), with @fire_hook_arg.
 * @fire_hook_arg: argument of @fire_hook.
 * @send_ipi_hook: settable: routes the IPIs the vCPUs send to others (the
 *	send_ipi op fails without it).
 * @send_ipi_arg: argument of @send_ipi_hook.
 */
struct vclock_vm {
	struct vclock_config cfg;
	uint64_t now_ns;
	struct vclock_vcpu *vcpus;
	struct vclock_delivery *log;
	size_t log_len;
	uint8_t *mem;
	int64_t maps_outstanding;
	uint64_t unmap_violations;
	uint64_t log_msgs[4];
	const char *last_log_msg;
	uint64_t events;
	bool stuck;
	vclock_fire_hook fire_hook;
	void *fire_hook_arg;
	vclock_send_ipi_hook send_ipi_hook;
	void *send_ipi_arg;

	/* private */
	size_t log_cap;
	struct vclock_qent *heap;
	int32_t *heap_pos;
	uint32_t heap_len;
	uint64_t seq;
	struct vclock_mapping *maps;
	size_t maps_cap;
	uint32_t nr_holes;
	uint64_t hole_gpa[VCLOCK_MAX_HOLES];
	uint64_t hole_len[VCLOCK_MAX_HOLES];
	uint8_t **old_mem;
	size_t nr_old_mem;
};

/** The host ops table every vCPU is bound to (host = struct vclock_vcpu *). */
extern const struct vapic_host_ops vclock_host_ops;

/**
 * vclock_config_default() - @nr_vcpus vCPUs, 2.5 GHz host TSC (guest TSC at
 * the same rate, offset 0), start at 1 s, 2 host CPUs, housekeeping CPU 0,
 * 1 MiB of RAM at 0, LAPIC defaults (vapic_lapic_config_default()).
 */
void vclock_config_default(struct vclock_config *cfg, uint32_t nr_vcpus);

/**
 * vclock_vm_create() - allocate and initialise a VM: every vCPU's LAPIC in
 * its power-on state, irq_window open, auto_enter on, auto_eoi on, timer
 * pinned, posting disabled, no latency.
 * @cfg: settings.
 * @vmp: output.
 *
 * Return: 0; VAPIC_EINVAL / VAPIC_ERANGE for a bad config (also as
 * vapic_lapic_init() and vapic_clock_init() report); VAPIC_EHOST when out
 * of memory.
 */
int vclock_vm_create(const struct vclock_config *cfg, struct vclock_vm **vmp);

/** vclock_vm_destroy() - destroy every LAPIC and free the VM. */
void vclock_vm_destroy(struct vclock_vm *vm);

/** vclock_vcpu() - vCPU @i (NULL if out of range). */
struct vclock_vcpu *vclock_vcpu(struct vclock_vm *vm, uint32_t i);

/** vclock_host_tsc() - the host TSC now. */
uint64_t vclock_host_tsc(const struct vclock_vm *vm);

/** vclock_guest_tsc() - @v's guest TSC now. */
uint64_t vclock_guest_tsc(const struct vclock_vcpu *v);

/** vclock_ns_to_host_tsc() - host TSC at virtual time @ns. */
uint64_t vclock_ns_to_host_tsc(const struct vclock_vm *vm, uint64_t ns);

/**
 * vclock_guest_tsc_at() - @v's guest TSC at virtual time @ns (with its
 * current clock).
 */
uint64_t vclock_guest_tsc_at(const struct vclock_vcpu *v, uint64_t ns);

/**
 * vclock_ns_for_guest_tsc() - the earliest virtual time at which @v's guest
 * TSC reaches @tsc (with its current clock, no offset wrap); UINT64_MAX if
 * never.
 */
uint64_t vclock_ns_for_guest_tsc(const struct vclock_vcpu *v, uint64_t tsc);

/**
 * vclock_vcpu_set_tsc() - guest TSC of @v runs at @guest_khz (ratio as
 * vapic_clock_init() computes it) with @offset.  The LAPIC's timer config
 * is not changed (see vclock_vcpu_reinit()).
 * Return: 0 or the errors of vapic_clock_init().
 */
int vclock_vcpu_set_tsc(struct vclock_vcpu *v, uint32_t guest_khz,
			uint64_t offset);

/** vclock_vcpu_set_ratio() - set @v's raw scaling ratio and offset. */
void vclock_vcpu_set_ratio(struct vclock_vcpu *v, uint64_t ratio,
			   uint64_t offset);

/**
 * vclock_vcpu_set_guest_tsc() - change @v's offset so its guest TSC reads
 * @tsc now (the offset a migration destination computes, or a guest write
 * of IA32_TSC).  The due labels of timer ticks waiting in IRR (guest TSC
 * values, for vclock_check()) move with the TSC, by @tsc minus the old
 * value modulo 2^64, as the timer moves the due ticks it holds
 * (vapic_timer_guest_tsc_changed()).
 */
void vclock_vcpu_set_guest_tsc(struct vclock_vcpu *v, uint64_t tsc);

/**
 * vclock_vcpu_reinit() - destroy @v's LAPIC and initialise it again with
 * @cfg (apic_id kept as given); the guest TSC rate becomes
 * cfg->timer.guest_tsc_khz, continuing from its current value.
 * Return: 0 or the errors of vapic_lapic_init() / vapic_clock_init() (the
 * old LAPIC is then kept).
 */
int vclock_vcpu_reinit(struct vclock_vcpu *v,
		       const struct vapic_lapic_config *cfg);

/**
 * vclock_run_until() - move time to @t_ns, processing every event due at
 * or before it in order (host timer fires, vCPU entries).
 * Return: 0; VAPIC_EINVAL if @t_ns is in the past; VAPIC_EBUSY if
 * cfg.max_events were processed (vm->stuck set; time stays at the last
 * event).
 */
int vclock_run_until(struct vclock_vm *vm, uint64_t t_ns);

/** vclock_advance() - vclock_run_until(now + @delta_ns) (saturating). */
int vclock_advance(struct vclock_vm *vm, uint64_t delta_ns);

/** vclock_settle() - process every event due now (vclock_run_until(now)). */
int vclock_settle(struct vclock_vm *vm);

/**
 * vclock_next_event_ns() - time of the next queued event.
 * Return: true and *@ns if there is one.
 */
bool vclock_next_event_ns(const struct vclock_vm *vm, uint64_t *ns);

/**
 * vclock_run_next() - move time to the next event and process everything
 * due then; nothing if the queue is empty.
 * Return: 1 if events were processed, 0 if none, or a run error.
 */
int vclock_run_next(struct vclock_vm *vm);

/**
 * vclock_timer_armed() - is @v's host timer armed (queued, or its callback
 * spinning)?  *@expires_ns (if non-NULL): when it fires.
 */
bool vclock_timer_armed(const struct vclock_vcpu *v, uint64_t *expires_ns);

/**
 * vclock_timer_take() - this expiry of @v's host timer comes another way,
 * like a VMX preemption timer's: the guest exits with
 * VAPIC_EXIT_PREEMPTION_TIMER and the fastpath runs vapic_timer_expired()
 * itself.  Removes the queued timer without running its callback
 * (stats.taken).  *@expires_ns (if non-NULL): when it would have fired;
 * the caller must not dispatch the exit before that time.
 * Return: false (nothing changed) if no timer is queued (not armed, or its
 * callback spinning).
 */
bool vclock_timer_take(struct vclock_vcpu *v, uint64_t *expires_ns);

/** vclock_vcpu_kick() - the kick op: queue @v's entry. */
void vclock_vcpu_kick(struct vclock_vcpu *v);

/**
 * vclock_vcpu_enter() - run @v's entry now (poll, inject...) regardless of
 * auto_enter; a WAIT queues the next entry.
 */
void vclock_vcpu_enter(struct vclock_vcpu *v);

/** vclock_vcpu_set_irq_window() - open (queue an entry) or close it. */
void vclock_vcpu_set_irq_window(struct vclock_vcpu *v, bool open);

/*
 * Guest register accesses: each is an exit handled on the vCPU thread, so
 * the vCPU re-enters (an entry is queued now).  They return the core's
 * result.
 */
/** vclock_write() - guest xAPIC write: vapic_lapic_write(). */
int vclock_write(struct vclock_vcpu *v, uint32_t offset, uint32_t val);
/** vclock_read() - guest xAPIC read: vapic_lapic_read(). */
int vclock_read(struct vclock_vcpu *v, uint32_t offset, uint32_t *val);
/** vclock_wrmsr_tsc_deadline() - guest WRMSR IA32_TSC_DEADLINE. */
int vclock_wrmsr_tsc_deadline(struct vclock_vcpu *v, uint64_t deadline_tsc);
/** vclock_rdmsr_tsc_deadline() - guest RDMSR IA32_TSC_DEADLINE. */
uint64_t vclock_rdmsr_tsc_deadline(struct vclock_vcpu *v);

/* Fault injection. */
/** vclock_fault_next() - the next @n calls of @op on @v fail. */
void vclock_fault_next(struct vclock_vcpu *v, enum vclock_op op, uint64_t n);
/** vclock_fault_every() - every @k-th call of @op on @v fails (0: off). */
void vclock_fault_every(struct vclock_vcpu *v, enum vclock_op op, uint64_t k);
/** vclock_fault_clear() - no more injected failures of @op on @v. */
void vclock_fault_clear(struct vclock_vcpu *v, enum vclock_op op);

/**
 * vclock_mem_add_hole() - make [@gpa, @gpa + @len) non-RAM.
 * Return: 0, VAPIC_EINVAL (empty or wrapping range), VAPIC_ERANGE (too
 * many holes).
 */
int vclock_mem_add_hole(struct vclock_vm *vm, uint64_t gpa, uint64_t len);

/** vclock_mem_clear_holes() - all of guest memory is RAM again. */
void vclock_mem_clear_holes(struct vclock_vm *vm);

/**
 * vclock_mem_replace() - the host puts new memory behind the guest's RAM
 * (what a memslot re-created on other memory, a replaced page or
 * MADV_DONTNEED do to KVM): vm->mem becomes a new buffer, a copy of the
 * old one if @copy, zeroed otherwise.  Mappings made before keep the old
 * buffer (a pinned page that no longer backs the guest's RAM) until they
 * are unmapped; it is freed with the VM.
 * Return: 0 or VAPIC_EHOST (out of memory).
 */
int vclock_mem_replace(struct vclock_vm *vm, bool copy);

/** vclock_log_clear() - forget the deliveries logged so far. */
void vclock_log_clear(struct vclock_vm *vm);

/**
 * vclock_log_count() - deliveries logged for vCPU @vcpu (UINT32_MAX: any)
 * with vector @vector (UINT32_MAX: any).
 */
size_t vclock_log_count(const struct vclock_vm *vm, uint32_t vcpu,
			uint32_t vector);

/**
 * vclock_check() - check the invariants: every timer delivery at or after
 * its deadline in guest TSC; the core's stats.early 0 on every vCPU; at
 * most one host timer per vCPU ever (no arm while armed); no arm/cancel
 * from the callback; no bad unmap; not stuck.
 * @vm: the VM.
 * @msg: if non-NULL, receives a description of the first violation.
 * @len: size of @msg.
 *
 * Return: the number of violations found (0: all hold).
 */
unsigned int vclock_check(const struct vclock_vm *vm, char *msg, size_t len);

#endif /* VCLOCK_H */
