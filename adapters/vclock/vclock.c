// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vclock: the deterministic virtual-clock host.  The model is described in
 * vclock.h.  Hosted C: allocation and stdio are fine here.
 *
 * The adapter peeks at two private members of struct vapic_timer (the
 * running target before a posted expiry, and the vector of a pending tick)
 * to label deliveries with their deadline; it never writes core state.
 */
#include "vclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>

#define NSEC_PER_MSEC 1000000U
#define MAX_VCPUS 4096U
#define DEFAULT_MAX_EVENTS 50000000ULL
/* Bound on poll/inject rounds in one entry (256 vectors + timer work). */
#define MAX_ENTRY_ROUNDS 1024

enum { EV_TIMER = 0, EV_ENTRY = 1, EV_KINDS = 2 };

struct vclock_qent {
	uint64_t when_ns;
	uint64_t seq;
	uint32_t id; /* vcpu * EV_KINDS + kind */
};

struct vclock_mapping {
	void *hva;
	uint32_t len;
};

/* ---------------------------------------------------------------------- */
/* Event queue: binary min-heap on (when_ns, seq), with a position index so
 * that an event can be removed in O(log n).                              */

static bool q_less(const struct vclock_qent *a, const struct vclock_qent *b)
{
	if (a->when_ns != b->when_ns)
		return a->when_ns < b->when_ns;
	return a->seq < b->seq;
}

static void q_set(struct vclock_vm *vm, uint32_t i, struct vclock_qent e)
{
	vm->heap[i] = e;
	vm->heap_pos[e.id] = (int32_t)i;
}

static void q_sift_up(struct vclock_vm *vm, uint32_t i)
{
	struct vclock_qent e = vm->heap[i];

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (!q_less(&e, &vm->heap[parent]))
			break;
		q_set(vm, i, vm->heap[parent]);
		i = parent;
	}
	q_set(vm, i, e);
}

static void q_sift_down(struct vclock_vm *vm, uint32_t i)
{
	struct vclock_qent e = vm->heap[i];
	uint32_t n = vm->heap_len;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && q_less(&vm->heap[c + 1], &vm->heap[c]))
			c++;
		if (!q_less(&vm->heap[c], &e))
			break;
		q_set(vm, i, vm->heap[c]);
		i = c;
	}
	q_set(vm, i, e);
}

static bool q_queued(const struct vclock_vm *vm, uint32_t id)
{
	return vm->heap_pos[id] >= 0;
}

static bool q_remove(struct vclock_vm *vm, uint32_t id)
{
	int32_t pos = vm->heap_pos[id];
	uint32_t i, last;

	if (pos < 0)
		return false;
	i = (uint32_t)pos;
	last = --vm->heap_len;
	vm->heap_pos[id] = -1;
	if (i != last) {
		struct vclock_qent moved = vm->heap[last];

		q_set(vm, i, moved);
		if (i && q_less(&moved, &vm->heap[(i - 1) / 2]))
			q_sift_up(vm, i);
		else
			q_sift_down(vm, i);
	}
	return true;
}

static void q_insert(struct vclock_vm *vm, uint32_t id, uint64_t when_ns)
{
	struct vclock_qent e = { when_ns, vm->seq++, id };

	(void)q_remove(vm, id);
	vm->heap[vm->heap_len] = e;
	vm->heap_pos[id] = (int32_t)vm->heap_len;
	vm->heap_len++;
	q_sift_up(vm, vm->heap_len - 1);
}

static struct vclock_qent q_pop(struct vclock_vm *vm)
{
	struct vclock_qent top = vm->heap[0];

	(void)q_remove(vm, top.id);
	return top;
}

static uint32_t ev_id(const struct vclock_vcpu *v, int kind)
{
	return v->index * EV_KINDS + (uint32_t)kind;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ---------------------------------------------------------------------- */
/* Clocks                                                                 */

uint64_t vclock_ns_to_host_tsc(const struct vclock_vm *vm, uint64_t ns)
{
	return vapic_mul_div_u64(ns, vm->cfg.host_tsc_khz, NSEC_PER_MSEC);
}

uint64_t vclock_host_tsc(const struct vclock_vm *vm)
{
	return vclock_ns_to_host_tsc(vm, vm->now_ns);
}

uint64_t vclock_guest_tsc_at(const struct vclock_vcpu *v, uint64_t ns)
{
	return vapic_clock_guest_tsc(&v->clock,
				     vclock_ns_to_host_tsc(v->vm, ns));
}

uint64_t vclock_guest_tsc(const struct vclock_vcpu *v)
{
	return vclock_guest_tsc_at(v, v->vm->now_ns);
}

__extension__ typedef unsigned __int128 u128;

/* Scaled host TSC at @ns, before the offset, in 128 bits (monotonic). */
static u128 scaled_at(const struct vclock_vcpu *v, uint64_t ns)
{
	return ((u128)vclock_ns_to_host_tsc(v->vm, ns) * v->clock.ratio) >>
	       VAPIC_TSC_RATIO_FRAC_BITS;
}

uint64_t vclock_ns_for_guest_tsc(const struct vclock_vcpu *v, uint64_t tsc)
{
	uint64_t now = v->vm->now_ns;
	uint64_t delta = tsc - vclock_guest_tsc(v);
	u128 base = scaled_at(v, now);
	uint64_t lo = now, hi = UINT64_MAX;

	if ((int64_t)delta <= 0)
		return now;
	if (scaled_at(v, hi) - base < delta)
		return UINT64_MAX;
	/* Smallest ns in (lo, hi] with scaled(ns) - base >= delta. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (scaled_at(v, mid) - base >= delta)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int vclock_vcpu_set_tsc(struct vclock_vcpu *v, uint32_t guest_khz,
			uint64_t offset)
{
	return vapic_clock_init(&v->clock, v->vm->cfg.host_tsc_khz, guest_khz,
				offset);
}

void vclock_vcpu_set_ratio(struct vclock_vcpu *v, uint64_t ratio,
			   uint64_t offset)
{
	v->clock.ratio = ratio;
	v->clock.offset = offset;
}

void vclock_vcpu_set_guest_tsc(struct vclock_vcpu *v, uint64_t tsc)
{
	uint64_t d = tsc - vclock_guest_tsc(v);
	uint32_t vec;

	v->clock.offset =
		vapic_clock_offset_for(&v->clock, vclock_host_tsc(v->vm), tsc);
	for (vec = 0; vec < 256; vec++)
		if (v->irr_due_valid[vec >> 5] & (1U << (vec & 31)))
			v->irr_due_tsc[vec] += d;
}

/* ---------------------------------------------------------------------- */
/* Log                                                                    */

static void log_delivery(struct vclock_vcpu *v, uint32_t vector, uint32_t flags,
			 uint32_t cpu, uint64_t deadline_tsc)
{
	struct vclock_vm *vm = v->vm;
	struct vclock_delivery *d;

	if (vm->log_len == vm->log_cap) {
		size_t cap = vm->log_cap ? vm->log_cap * 2 : 256;
		struct vclock_delivery *n = realloc(vm->log, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, "vclock: out of memory for the log\n");
			abort();
		}
		vm->log = n;
		vm->log_cap = cap;
	}
	d = &vm->log[vm->log_len++];
	d->vcpu = v->index;
	d->vector = vector;
	d->flags = flags;
	d->cpu = cpu;
	d->host_ns = vm->now_ns;
	d->guest_tsc = vclock_guest_tsc(v);
	d->deadline_tsc = deadline_tsc;
}

void vclock_log_clear(struct vclock_vm *vm)
{
	vm->log_len = 0;
}

size_t vclock_log_count(const struct vclock_vm *vm, uint32_t vcpu,
			uint32_t vector)
{
	size_t i, n = 0;

	for (i = 0; i < vm->log_len; i++) {
		if (vcpu != UINT32_MAX && vm->log[i].vcpu != vcpu)
			continue;
		if (vector != UINT32_MAX && vm->log[i].vector != vector)
			continue;
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* Fault injection                                                        */

static bool fault_hit(struct vclock_vcpu *v, enum vclock_op op)
{
	struct vclock_fault *f = &v->faults[op];

	f->calls++;
	if (f->fail_next) {
		f->fail_next--;
		f->injected++;
		return true;
	}
	if (f->every_k && f->calls % f->every_k == 0) {
		f->injected++;
		return true;
	}
	return false;
}

void vclock_fault_next(struct vclock_vcpu *v, enum vclock_op op, uint64_t n)
{
	if (op < VCLOCK_OP_NR)
		v->faults[op].fail_next = n;
}

void vclock_fault_every(struct vclock_vcpu *v, enum vclock_op op, uint64_t k)
{
	if (op < VCLOCK_OP_NR)
		v->faults[op].every_k = k;
}

void vclock_fault_clear(struct vclock_vcpu *v, enum vclock_op op)
{
	if (op < VCLOCK_OP_NR) {
		v->faults[op].fail_next = 0;
		v->faults[op].every_k = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* vCPU thread                                                            */

static void queue_entry(struct vclock_vcpu *v, uint64_t when_ns)
{
	uint32_t id = ev_id(v, EV_ENTRY);

	v->kicked = true;
	if (!v->auto_enter || q_queued(v->vm, id))
		return; /* a spinning thread polls when its spin ends */
	q_insert(v->vm, id, when_ns);
}

static void vbit_set(uint32_t *map, uint32_t vec)
{
	map[vec >> 5] |= 1U << (vec & 31);
}

static void vbit_clear(uint32_t *map, uint32_t vec)
{
	map[vec >> 5] &= ~(1U << (vec & 31));
}

static bool vbit_test(const uint32_t *map, uint32_t vec)
{
	return map[vec >> 5] & (1U << (vec & 31));
}

/* One entry of the vCPU thread: poll, spin, inject. */
static void vcpu_entry(struct vclock_vcpu *v)
{
	struct vapic_timer *t = &v->lapic.timer;
	int round;

	v->kicked = false;
	v->stats.entries++;
	for (round = 0; round < MAX_ENTRY_ROUNDS; round++) {
		uint64_t inj0 = t->stats.injections, cu0 = t->stats.catchup;
		/* White-box: the vector a pending tick will be delivered on. */
		uint32_t tick_vec = t->pending ? t->pending_vector
					       : vapic_timer_read_lvtt(t) &
							 VAPIC_LVT_VECTOR_MASK;
		bool was_pending = vbit_test(v->lapic.irr, tick_vec);
		uint64_t due = 0, wait_ns = 0;
		bool due_valid = vapic_timer_next_deadline(t, &due);
		uint32_t vec = 0, flags = 0;
		int r;

		r = vapic_lapic_poll(&v->lapic, &vec, &wait_ns);
		if (t->stats.injections != inj0 &&
		    tick_vec >= VAPIC_VECTOR_MIN_LEGAL && !was_pending) {
			/* The timer moved a tick into IRR: remember its due. */
			vbit_set(v->irr_due_valid, tick_vec);
			if (t->stats.catchup != cu0 || !due_valid)
				vbit_set(v->irr_due_catchup, tick_vec);
			else
				vbit_clear(v->irr_due_catchup, tick_vec);
			v->irr_due_tsc[tick_vec] = due;
		}
		if (r == VAPIC_LAPIC_WAIT) {
			v->stats.spins++;
			v->stats.spin_ns += wait_ns;
			q_insert(v->vm, ev_id(v, EV_ENTRY),
				 sat_add(v->vm->now_ns, wait_ns));
			return;
		}
		if (r != VAPIC_LAPIC_INJECT || !v->irq_window)
			return; /* nothing, or waits in IRR for the window */
		due = 0;
		if (vbit_test(v->irr_due_valid, vec)) {
			if (vbit_test(v->irr_due_catchup, vec)) {
				flags = VCLOCK_DELIVERY_CATCHUP;
			} else {
				flags = VCLOCK_DELIVERY_TIMER;
				due = v->irr_due_tsc[vec];
			}
			vbit_clear(v->irr_due_valid, vec);
		}
		log_delivery(v, vec, flags, v->cpu, due);
		v->stats.injections++;
		(void)vapic_lapic_injected(&v->lapic, vec);
		if (v->auto_eoi)
			(void)vapic_lapic_write(&v->lapic, VAPIC_REG_EOI, 0);
	}
	/*
	 * Still injecting after MAX_ENTRY_ROUNDS (a catch-up backlog longer
	 * than that): the guest runs and exits again (its EOI) for the rest,
	 * as a VMM's loop would; stopping here would leave the backlog, and
	 * the ticks due after it, waiting for an unrelated event.
	 */
	v->stats.entry_round_caps++;
	queue_entry(v, sat_add(v->vm->now_ns, v->entry_latency_ns));
}

void vclock_vcpu_enter(struct vclock_vcpu *v)
{
	(void)q_remove(v->vm, ev_id(v, EV_ENTRY));
	vcpu_entry(v);
}

void vclock_vcpu_kick(struct vclock_vcpu *v)
{
	queue_entry(v, sat_add(v->vm->now_ns, v->entry_latency_ns));
}

void vclock_vcpu_set_irq_window(struct vclock_vcpu *v, bool open)
{
	v->irq_window = open;
	if (open)
		queue_entry(v, v->vm->now_ns);
}

int vclock_write(struct vclock_vcpu *v, uint32_t offset, uint32_t val)
{
	int r = vapic_lapic_write(&v->lapic, offset, val);

	queue_entry(v, v->vm->now_ns);
	return r;
}

int vclock_read(struct vclock_vcpu *v, uint32_t offset, uint32_t *val)
{
	int r = vapic_lapic_read(&v->lapic, offset, val);

	queue_entry(v, v->vm->now_ns);
	return r;
}

int vclock_wrmsr_tsc_deadline(struct vclock_vcpu *v, uint64_t deadline_tsc)
{
	int r = vapic_lapic_write_tsc_deadline(&v->lapic, deadline_tsc);

	queue_entry(v, v->vm->now_ns);
	return r;
}

uint64_t vclock_rdmsr_tsc_deadline(struct vclock_vcpu *v)
{
	uint64_t d = vapic_lapic_read_tsc_deadline(&v->lapic);

	queue_entry(v, v->vm->now_ns);
	return d;
}

/* ---------------------------------------------------------------------- */
/* Host timer                                                             */

static uint64_t timer_latency(struct vclock_vcpu *v, uint64_t expires_ns)
{
	if (v->latency_fn)
		return v->latency_fn(v->latency_arg, v, expires_ns);
	return v->timer_latency_ns;
}

static void timer_queue(struct vclock_vcpu *v, uint64_t expires_ns,
			bool latency)
{
	uint64_t when = expires_ns > v->vm->now_ns ? expires_ns : v->vm->now_ns;

	if (latency)
		when = sat_add(when, timer_latency(v, expires_ns));
	v->armed = true;
	v->armed_expires_ns = when;
	q_insert(v->vm, ev_id(v, EV_TIMER), when);
}

static void timer_fire(struct vclock_vcpu *v)
{
	struct vclock_vm *vm = v->vm;
	struct vapic_timer *t = &v->lapic.timer;
	uint32_t cpu = v->timer_pinned ? v->cpu : vm->cfg.housekeeping_cpu;
	uint64_t expires = 0;
	int act;

	v->armed = false;
	v->cb_wait = false;
	v->stats.fires++;
	if (cpu != v->cpu)
		v->stats.cross_cpu_fires++;
	v->last_fire_cpu = cpu;
	v->last_fire_ns = vm->now_ns;
	/* White-box: the deadline a posted expiry delivers (for the log). */
	v->fire_deadline_valid = t->running;
	v->fire_deadline_tsc = t->target_tsc;
	if (vm->fire_hook)
		vm->fire_hook(vm->fire_hook_arg, v);
	v->in_callback = true;
	act = vapic_timer_expired(t, &expires);
	v->in_callback = false;
	switch (act) {
	case VAPIC_TFN_REARM:
		v->stats.rearms++;
		timer_queue(v, expires, true);
		break;
	case VAPIC_TFN_WAIT:
		v->stats.callback_waits++;
		timer_queue(v, expires, false);
		v->cb_wait = true;
		break;
	default:
		break;
	}
}

bool vclock_timer_armed(const struct vclock_vcpu *v, uint64_t *expires_ns)
{
	if (v->armed && expires_ns)
		*expires_ns = v->armed_expires_ns;
	return v->armed;
}

bool vclock_timer_take(struct vclock_vcpu *v, uint64_t *expires_ns)
{
	if (!v->armed || v->cb_wait)
		return false;
	if (expires_ns)
		*expires_ns = v->armed_expires_ns;
	(void)q_remove(v->vm, ev_id(v, EV_TIMER));
	v->armed = false;
	v->stats.taken++;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Host ops                                                               */

static uint64_t op_now_ns(void *host)
{
	return ((struct vclock_vcpu *)host)->vm->now_ns;
}

static uint64_t op_guest_tsc(void *host)
{
	return vclock_guest_tsc(host);
}

static int op_timer_arm(void *host, uint64_t expires_ns)
{
	struct vclock_vcpu *v = host;

	if (v->in_callback)
		v->stats.context_violations++;
	if (fault_hit(v, VCLOCK_OP_TIMER_ARM)) {
		v->stats.arm_failures++;
		return VAPIC_EHOST;
	}
	if (v->armed) {
		v->stats.arm_violations++;
		if (v->stats.max_armed < 2)
			v->stats.max_armed = 2;
	} else if (!v->stats.max_armed) {
		v->stats.max_armed = 1;
	}
	v->stats.arms++;
	v->cb_wait = false;
	timer_queue(v, expires_ns, true);
	return 0;
}

static void op_timer_cancel(void *host)
{
	struct vclock_vcpu *v = host;

	if (v->in_callback)
		v->stats.context_violations++;
	v->stats.cancels++;
	if (v->armed) {
		(void)q_remove(v->vm, ev_id(v, EV_TIMER));
		v->armed = false;
		v->cb_wait = false;
		v->stats.cancels_armed++;
	}
}

static void op_kick(void *host)
{
	struct vclock_vcpu *v = host;

	v->stats.kicks++;
	vclock_vcpu_kick(v);
}

static int op_post(void *host, uint32_t vector)
{
	struct vclock_vcpu *v = host;
	bool fail = fault_hit(v, VCLOCK_OP_POST);

	if (fail || !v->post_enabled) {
		v->stats.post_failures++;
		return fail ? VAPIC_EBUSY : VAPIC_ENOTSUP;
	}
	v->stats.posts++;
	log_delivery(
		v, vector,
		VCLOCK_DELIVERY_POSTED |
			(v->fire_deadline_valid ? VCLOCK_DELIVERY_TIMER : 0),
		v->last_fire_cpu,
		v->fire_deadline_valid ? v->fire_deadline_tsc : 0);
	return 0;
}

static bool in_hole(const struct vclock_vm *vm, uint64_t gpa, uint64_t end)
{
	uint32_t i;

	for (i = 0; i < vm->nr_holes; i++) {
		uint64_t hs = vm->hole_gpa[i], he = hs + vm->hole_len[i];

		if (gpa < he && hs < end)
			return true;
	}
	return false;
}

static void *op_map_guest(void *host, uint64_t gpa, uint32_t len)
{
	struct vclock_vcpu *v = host;
	struct vclock_vm *vm = v->vm;
	uint64_t base = vm->cfg.mem_base, end = gpa + len;
	struct vclock_mapping *m;

	if (fault_hit(v, VCLOCK_OP_MAP_GUEST) || !len || end < gpa ||
	    gpa < base || end > base + vm->cfg.mem_size ||
	    in_hole(vm, gpa, end)) {
		v->stats.map_failures++;
		return NULL;
	}
	if ((size_t)vm->maps_outstanding == vm->maps_cap) {
		size_t cap = vm->maps_cap ? vm->maps_cap * 2 : 16;

		m = realloc(vm->maps, cap * sizeof(*m));
		if (!m) {
			v->stats.map_failures++;
			return NULL;
		}
		vm->maps = m;
		vm->maps_cap = cap;
	}
	m = &vm->maps[vm->maps_outstanding++];
	m->hva = vm->mem + (gpa - base);
	m->len = len;
	v->stats.maps++;
	return m->hva;
}

static void op_unmap_guest(void *host, void *hva, uint32_t len)
{
	struct vclock_vm *vm = ((struct vclock_vcpu *)host)->vm;
	int64_t i;

	for (i = vm->maps_outstanding - 1; i >= 0; i--) {
		if (vm->maps[i].hva == hva && vm->maps[i].len == len) {
			vm->maps[i] = vm->maps[--vm->maps_outstanding];
			return;
		}
	}
	vm->unmap_violations++;
}

static void op_log(void *host, int level, const char *msg, uint64_t a,
		   uint64_t b)
{
	struct vclock_vm *vm = ((struct vclock_vcpu *)host)->vm;

	vm->log_msgs[(unsigned int)level & 3]++;
	vm->last_log_msg = msg;
	if (getenv("VCLOCK_VERBOSE"))
		fprintf(stderr, "vclock: vcpu %u @%llu ns: %s (%llu, %llu)\n",
			((struct vclock_vcpu *)host)->index,
			(unsigned long long)vm->now_ns, msg,
			(unsigned long long)a, (unsigned long long)b);
}

/*
 * IPIs to other vCPUs: the VM's send_ipi_hook routes them (the test's own
 * routing); without one the op fails, and the core counts the message in
 * stats.ipi_failed, as it does with no send_ipi op.
 */
static int op_send_ipi(void *host, const struct vapic_ipi *ipi)
{
	struct vclock_vcpu *v = host;

	if (!v->vm->send_ipi_hook)
		return VAPIC_ENOTSUP;
	return v->vm->send_ipi_hook(v->vm->send_ipi_arg, v, ipi);
}

const struct vapic_host_ops vclock_host_ops = {
	.now_ns = op_now_ns,
	.guest_tsc = op_guest_tsc,
	.timer_arm = op_timer_arm,
	.timer_cancel = op_timer_cancel,
	.kick = op_kick,
	.post = op_post,
	.send_ipi = op_send_ipi,
	.map_guest = op_map_guest,
	.unmap_guest = op_unmap_guest,
	.log = op_log,
};

/* ---------------------------------------------------------------------- */
/* Memory holes                                                           */

int vclock_mem_add_hole(struct vclock_vm *vm, uint64_t gpa, uint64_t len)
{
	if (!len || gpa + len < gpa)
		return VAPIC_EINVAL;
	if (vm->nr_holes == VCLOCK_MAX_HOLES)
		return VAPIC_ERANGE;
	vm->hole_gpa[vm->nr_holes] = gpa;
	vm->hole_len[vm->nr_holes] = len;
	vm->nr_holes++;
	return 0;
}

void vclock_mem_clear_holes(struct vclock_vm *vm)
{
	vm->nr_holes = 0;
}

int vclock_mem_replace(struct vclock_vm *vm, bool copy)
{
	size_t size = vm->cfg.mem_size ? vm->cfg.mem_size : 1;
	uint8_t **old =
		realloc(vm->old_mem, (vm->nr_old_mem + 1) * sizeof(*old));
	uint8_t *mem;

	if (!old)
		return VAPIC_EHOST;
	vm->old_mem = old;
	mem = calloc(1, size);
	if (!mem)
		return VAPIC_EHOST;
	if (copy)
		memcpy(mem, vm->mem, size);
	vm->old_mem[vm->nr_old_mem++] = vm->mem;
	vm->mem = mem;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Run loop                                                               */

int vclock_run_until(struct vclock_vm *vm, uint64_t t_ns)
{
	uint64_t n = 0;

	if (t_ns < vm->now_ns)
		return VAPIC_EINVAL;
	while (vm->heap_len && vm->heap[0].when_ns <= t_ns) {
		struct vclock_qent e;
		struct vclock_vcpu *v;

		if (n++ >= vm->cfg.max_events) {
			vm->stuck = true;
			return VAPIC_EBUSY;
		}
		e = q_pop(vm);
		vm->events++;
		if (e.when_ns > vm->now_ns)
			vm->now_ns = e.when_ns;
		v = &vm->vcpus[e.id / EV_KINDS];
		if (e.id % EV_KINDS == EV_TIMER)
			timer_fire(v);
		else
			vcpu_entry(v);
	}
	vm->now_ns = t_ns;
	return 0;
}

int vclock_advance(struct vclock_vm *vm, uint64_t delta_ns)
{
	return vclock_run_until(vm, sat_add(vm->now_ns, delta_ns));
}

int vclock_settle(struct vclock_vm *vm)
{
	return vclock_run_until(vm, vm->now_ns);
}

bool vclock_next_event_ns(const struct vclock_vm *vm, uint64_t *ns)
{
	if (!vm->heap_len)
		return false;
	*ns = vm->heap[0].when_ns;
	return true;
}

int vclock_run_next(struct vclock_vm *vm)
{
	uint64_t t;
	int r;

	if (!vclock_next_event_ns(vm, &t))
		return 0;
	r = vclock_run_until(vm, t > vm->now_ns ? t : vm->now_ns);
	return r < 0 ? r : 1;
}

/* ---------------------------------------------------------------------- */
/* Create / destroy                                                       */

void vclock_config_default(struct vclock_config *cfg, uint32_t nr_vcpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = nr_vcpus;
	cfg->host_tsc_khz = 2500000;
	cfg->start_ns = 1000000000ULL;
	cfg->nr_host_cpus = 2;
	cfg->housekeeping_cpu = 0;
	cfg->mem_base = 0;
	cfg->mem_size = 1U << 20;
	cfg->max_events = DEFAULT_MAX_EVENTS;
	vapic_lapic_config_default(&cfg->lapic, 0, cfg->host_tsc_khz);
}

static int vcpu_init(struct vclock_vm *vm, uint32_t i)
{
	struct vclock_vcpu *v = &vm->vcpus[i];
	struct vapic_lapic_config lc = vm->cfg.lapic;
	int r;

	v->vm = vm;
	v->index = i;
	v->cpu = i % vm->cfg.nr_host_cpus;
	v->timer_pinned = true;
	v->irq_window = true;
	v->auto_enter = true;
	v->auto_eoi = true;
	r = vapic_clock_init(&v->clock, vm->cfg.host_tsc_khz,
			     lc.timer.guest_tsc_khz, 0);
	if (r)
		return r;
	lc.apic_id = i;
	r = vapic_lapic_init(&v->lapic, &lc, &vclock_host_ops, v);
	if (r)
		return r;
	v->lapic_ready = true;
	return 0;
}

int vclock_vm_create(const struct vclock_config *cfg, struct vclock_vm **vmp)
{
	struct vclock_vm *vm;
	uint32_t i, nq;
	int r;

	if (!cfg || !vmp)
		return VAPIC_EINVAL;
	*vmp = NULL;
	if (!cfg->nr_vcpus || !cfg->nr_host_cpus ||
	    cfg->housekeeping_cpu >= cfg->nr_host_cpus)
		return VAPIC_EINVAL;
	if (cfg->nr_vcpus > MAX_VCPUS || !cfg->host_tsc_khz ||
	    cfg->host_tsc_khz > VAPIC_KHZ_MAX ||
	    cfg->mem_base + cfg->mem_size < cfg->mem_base ||
	    cfg->mem_size > (1ULL << 32))
		return VAPIC_ERANGE;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return VAPIC_EHOST;
	vm->cfg = *cfg;
	if (!vm->cfg.max_events)
		vm->cfg.max_events = DEFAULT_MAX_EVENTS;
	vm->now_ns = cfg->start_ns;
	nq = cfg->nr_vcpus * EV_KINDS;
	vm->vcpus = calloc(cfg->nr_vcpus, sizeof(*vm->vcpus));
	vm->heap = calloc(nq, sizeof(*vm->heap));
	vm->heap_pos = malloc(nq * sizeof(*vm->heap_pos));
	vm->mem = calloc(1, cfg->mem_size ? cfg->mem_size : 1);
	if (!vm->vcpus || !vm->heap || !vm->heap_pos || !vm->mem) {
		vclock_vm_destroy(vm);
		return VAPIC_EHOST;
	}
	for (i = 0; i < nq; i++)
		vm->heap_pos[i] = -1;
	for (i = 0; i < cfg->nr_vcpus; i++) {
		r = vcpu_init(vm, i);
		if (r) {
			vclock_vm_destroy(vm);
			return r;
		}
	}
	*vmp = vm;
	return 0;
}

void vclock_vm_destroy(struct vclock_vm *vm)
{
	uint32_t i;

	if (!vm)
		return;
	if (vm->vcpus) {
		for (i = 0; i < vm->cfg.nr_vcpus; i++)
			if (vm->vcpus[i].lapic_ready)
				vapic_lapic_destroy(&vm->vcpus[i].lapic);
	}
	free(vm->vcpus);
	free(vm->heap);
	free(vm->heap_pos);
	free(vm->mem);
	while (vm->nr_old_mem)
		free(vm->old_mem[--vm->nr_old_mem]);
	free(vm->old_mem);
	free(vm->log);
	free(vm->maps);
	free(vm);
}

struct vclock_vcpu *vclock_vcpu(struct vclock_vm *vm, uint32_t i)
{
	return i < vm->cfg.nr_vcpus ? &vm->vcpus[i] : NULL;
}

int vclock_vcpu_reinit(struct vclock_vcpu *v,
		       const struct vapic_lapic_config *cfg)
{
	struct vapic_lapic tmp;
	struct vapic_clock c;
	uint64_t g = vclock_guest_tsc(v);
	int r;

	r = vapic_clock_init(&c, v->vm->cfg.host_tsc_khz,
			     cfg->timer.guest_tsc_khz, 0);
	if (r)
		return r;
	r = vapic_lapic_init(&tmp, cfg, &vclock_host_ops, v);
	if (r)
		return r;
	vapic_lapic_destroy(&v->lapic);
	(void)q_remove(v->vm, ev_id(v, EV_TIMER));
	v->armed = false;
	v->cb_wait = false;
	v->lapic = tmp;
	c.offset = vapic_clock_offset_for(&c, vclock_host_tsc(v->vm), g);
	v->clock = c;
	memset(v->irr_due_valid, 0, sizeof(v->irr_due_valid));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Invariants                                                             */

/* Count a violation; describe the first one in msg. */
#define VIOLATION(...)                                   \
	do {                                             \
		if (!n && msg && len)                    \
			snprintf(msg, len, __VA_ARGS__); \
		n++;                                     \
	} while (0)

unsigned int vclock_check(const struct vclock_vm *vm, char *msg, size_t len)
{
	unsigned int n = 0;
	size_t i;

	if (msg && len)
		msg[0] = '\0';
	for (i = 0; i < vm->log_len; i++) {
		const struct vclock_delivery *d = &vm->log[i];

		/*
		 * Modulo 2^64: a one-shot / periodic deadline may lie past
		 * a guest TSC wrap (an unsigned compare would pass a tick
		 * delivered just before the wrap, due just after it).
		 */
		if ((d->flags & VCLOCK_DELIVERY_TIMER) &&
		    (int64_t)(d->guest_tsc - d->deadline_tsc) < 0)
			VIOLATION("early timer delivery: vcpu %u vector %u "
				  "guest tsc %llu < deadline %llu",
				  d->vcpu, d->vector,
				  (unsigned long long)d->guest_tsc,
				  (unsigned long long)d->deadline_tsc);
	}
	for (i = 0; i < vm->cfg.nr_vcpus; i++) {
		const struct vclock_vcpu *v = &vm->vcpus[i];

		if (v->lapic.timer.stats.early)
			VIOLATION(
				"vcpu %zu: core counted %llu early injections",
				i,
				(unsigned long long)v->lapic.timer.stats.early);
		if (v->stats.arm_violations || v->stats.max_armed > 1)
			VIOLATION("vcpu %zu: %llu arms while armed", i,
				  (unsigned long long)v->stats.arm_violations);
		if (v->stats.context_violations)
			VIOLATION("vcpu %zu: %llu arm/cancel calls from the "
				  "timer callback",
				  i,
				  (unsigned long long)
					  v->stats.context_violations);
	}
	if (vm->unmap_violations)
		VIOLATION("%llu unmaps of unmapped memory",
			  (unsigned long long)vm->unmap_violations);
	if (vm->stuck)
		VIOLATION("run loop hit max_events (%llu) at %llu ns",
			  (unsigned long long)vm->cfg.max_events,
			  (unsigned long long)vm->now_ns);
	return n;
}
