// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the virtual-clock adapter itself (adapters/vclock): event
 * queue order, ties, cancel, contract-violation detection, fault injection,
 * guest memory, clocks, the run loop and its log.
 */
#include "vtest.h"

#include <stdlib.h>

/* ---------------------------------------------------------------------- */
/* Fire-order recorder                                                    */

struct fire_rec {
	size_t n, cap;
	uint32_t *vcpu;
	uint64_t *ns;
};

static void record_fire(void *arg, struct vclock_vcpu *v)
{
	struct fire_rec *r = arg;

	if (r->n < r->cap) {
		r->vcpu[r->n] = v->index;
		r->ns[r->n] = v->vm->now_ns;
	}
	r->n++;
}

static void rec_init(struct fire_rec *r, size_t cap)
{
	r->n = 0;
	r->cap = cap;
	r->vcpu = calloc(cap, sizeof(*r->vcpu));
	r->ns = calloc(cap, sizeof(*r->ns));
	assert_non_null(r->vcpu);
	assert_non_null(r->ns);
}

static void rec_free(struct fire_rec *r)
{
	free(r->vcpu);
	free(r->ns);
}

/* A VM whose vCPUs only count kicks (the tests drive the host ops). */
static struct vclock_vm *quiet_vm(uint32_t n)
{
	struct vclock_vm *vm = vt_vm(n);
	uint32_t i;

	for (i = 0; i < n; i++)
		vm->vcpus[i].auto_enter = false;
	return vm;
}

static int arm(struct vclock_vcpu *v, uint64_t expires_ns)
{
	return vclock_host_ops.timer_arm(v, expires_ns);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* ---------------------------------------------------------------------- */

static void heap_fires_many_timers_in_expiry_order(void **state)
{
	const uint32_t n = 2000;
	struct vclock_vm *vm = quiet_vm(n);
	uint64_t *exp = calloc(n, sizeof(*exp));
	uint64_t seed = 12345, t0 = vm->now_ns;
	struct fire_rec rec;
	uint32_t i;

	rec_init(&rec, n + 1);
	vm->fire_hook = record_fire;
	vm->fire_hook_arg = &rec;
	for (i = 0; i < n; i++) {
		/* Coarse values so that many expiries tie. */
		exp[i] = t0 + 1 + (lcg(&seed) % 500) * 1000;
		assert_int_equal(arm(&vm->vcpus[i], exp[i]), 0);
	}
	/* Cancel every 7th, re-arm every 11th later: exercises removal. */
	for (i = 0; i < n; i += 7)
		vclock_host_ops.timer_cancel(&vm->vcpus[i]);
	for (i = 0; i < n; i += 11) {
		vclock_host_ops.timer_cancel(&vm->vcpus[i]);
		exp[i] = t0 + 1 + (lcg(&seed) % 500) * 1000;
		assert_int_equal(arm(&vm->vcpus[i], exp[i]), 0);
	}
	assert_int_equal(vclock_advance(vm, 1000000000), 0);

	size_t expected = 0;
	for (i = 0; i < n; i++)
		if (i % 7 != 0 || i % 11 == 0)
			expected++;
	assert_int_equal(rec.n, expected);
	for (size_t k = 0; k < rec.n; k++) {
		/* Fired exactly at its expiry, never before. */
		assert_int_equal(rec.ns[k], exp[rec.vcpu[k]]);
		if (k)
			assert_true(rec.ns[k - 1] <= rec.ns[k]);
		assert_int_equal(vm->vcpus[rec.vcpu[k]].stats.fires, 1);
	}
	vt_assert_invariants(vm);
	rec_free(&rec);
	free(exp);
	vclock_vm_destroy(vm);
}

static void heap_ties_fire_in_arm_order(void **state)
{
	struct vclock_vm *vm = quiet_vm(5);
	uint64_t t = vm->now_ns + 100;
	const uint32_t order[5] = { 3, 0, 4, 1, 2 };
	struct fire_rec rec;
	uint32_t i;

	rec_init(&rec, 8);
	vm->fire_hook = record_fire;
	vm->fire_hook_arg = &rec;
	for (i = 0; i < 5; i++)
		assert_int_equal(arm(&vm->vcpus[order[i]], t), 0);
	/* Re-arming moves a timer to the back of its tie group. */
	vclock_host_ops.timer_cancel(&vm->vcpus[0]);
	assert_int_equal(arm(&vm->vcpus[0], t), 0);
	assert_int_equal(vclock_advance(vm, 100), 0);
	assert_int_equal(rec.n, 5);
	const uint32_t want[5] = { 3, 4, 1, 2, 0 };
	for (i = 0; i < 5; i++)
		assert_int_equal(rec.vcpu[i], want[i]);
	rec_free(&rec);
	vclock_vm_destroy(vm);
}

static void heap_is_deterministic_across_runs(void **state)
{
	uint32_t first[300];
	int run;

	for (run = 0; run < 2; run++) {
		struct vclock_vm *vm = quiet_vm(300);
		struct fire_rec rec;
		uint64_t seed = 99;
		uint32_t i;

		rec_init(&rec, 300);
		vm->fire_hook = record_fire;
		vm->fire_hook_arg = &rec;
		for (i = 0; i < 300; i++)
			arm(&vm->vcpus[i], vm->now_ns + lcg(&seed) % 50);
		vclock_advance(vm, 100);
		assert_int_equal(rec.n, 300);
		for (i = 0; i < 300; i++) {
			if (!run)
				first[i] = rec.vcpu[i];
			else
				assert_int_equal(first[i], rec.vcpu[i]);
		}
		rec_free(&rec);
		vclock_vm_destroy(vm);
	}
}

static void cancel_is_synchronous_and_counted(void **state)
{
	struct vclock_vm *vm = quiet_vm(2);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t e;

	/* Cancel with nothing armed: harmless, counted as a call only. */
	vclock_host_ops.timer_cancel(v);
	assert_int_equal(v->stats.cancels, 1);
	assert_int_equal(v->stats.cancels_armed, 0);

	assert_int_equal(arm(v, vm->now_ns + 50), 0);
	assert_true(vclock_timer_armed(v, &e));
	assert_int_equal(e, vm->now_ns + 50);
	vclock_host_ops.timer_cancel(v);
	assert_false(vclock_timer_armed(v, NULL));
	assert_int_equal(v->stats.cancels_armed, 1);
	assert_int_equal(vclock_advance(vm, 1000), 0);
	assert_int_equal(v->stats.fires, 0);
	assert_false(vclock_next_event_ns(vm, &e));
	vt_vm_destroy(vm);
}

static void take_removes_the_timer_without_its_callback(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t e = 0;

	/* Nothing armed: nothing taken, nothing changed. */
	assert_false(vclock_timer_take(v, &e));
	assert_int_equal(e, 0);
	assert_int_equal(v->stats.taken, 0);

	assert_int_equal(arm(v, vm->now_ns + 50), 0);
	assert_true(vclock_timer_take(v, &e));
	assert_int_equal(e, vm->now_ns + 50);
	assert_int_equal(v->stats.taken, 1);
	assert_false(vclock_timer_armed(v, NULL));
	assert_false(vclock_next_event_ns(vm, &e));
	assert_int_equal(vclock_advance(vm, 1000), 0);
	assert_int_equal(v->stats.fires, 0);
	/* Re-arming afterwards is no arm-while-armed. */
	assert_int_equal(arm(v, vm->now_ns + 10), 0);
	assert_int_equal(v->stats.arm_violations, 0);
	vt_vm_destroy(vm);
}

/*
 * Posted mode, vCPU 0: a TSC deadline (*@dl) 100 us ahead with the 1 us
 * advance, and 99 us later: the callback fired early and spins to it.
 */
static struct vclock_vm *posted_callback_spinning(uint64_t *dl)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;

	vclock_config_default(&cfg, 1);
	cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	vm = vt_vm_cfg(&cfg);
	v = &vm->vcpus[0];
	v->post_enabled = true;
	vt_enable(v);
	vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40040);
	*dl = vclock_guest_tsc(v) + 250000;
	vclock_wrmsr_tsc_deadline(v, *dl);
	vclock_advance(vm, 99000);
	assert_int_equal(v->stats.callback_waits, 1);
	return vm;
}

static void take_leaves_a_spinning_posted_callback(void **state)
{
	uint64_t dl, e;
	struct vclock_vm *vm = posted_callback_spinning(&dl);
	struct vclock_vcpu *v = &vm->vcpus[0];

	/* The callback owns the expiry now: not taken. */
	assert_false(vclock_timer_take(v, &e));
	assert_true(vclock_timer_armed(v, NULL));
	assert_int_equal(v->stats.taken, 0);
	vclock_advance(vm, 2000);
	assert_int_equal(vm->log_len, 1);
	vt_vm_destroy(vm);
}

static void arm_while_armed_is_detected(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	char msg[256];

	assert_int_equal(arm(v, vm->now_ns + 10), 0);
	assert_int_equal(v->stats.max_armed, 1);
	assert_int_equal(vclock_check(vm, NULL, 0), 0);
	assert_int_equal(arm(v, vm->now_ns + 20), 0);
	assert_int_equal(v->stats.arm_violations, 1);
	assert_int_equal(v->stats.max_armed, 2);
	assert_int_equal(vclock_check(vm, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "arms while armed"));
	/* The second arm replaced the first: one fire, at 20. */
	assert_int_equal(vclock_advance(vm, 100), 0);
	assert_int_equal(v->stats.fires, 1);
	assert_int_equal(v->last_fire_ns, vm->now_ns - 100 + 20);
	vclock_vm_destroy(vm);
}

static void arm_after_fire_is_not_a_violation(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];

	assert_int_equal(arm(v, vm->now_ns + 10), 0);
	vclock_advance(vm, 10);
	assert_false(vclock_timer_armed(v, NULL));
	assert_int_equal(arm(v, vm->now_ns + 10), 0);
	assert_int_equal(v->stats.arm_violations, 0);
	assert_int_equal(v->stats.max_armed, 1);
	vclock_vm_destroy(vm);
}

static void arm_in_past_fires_at_current_time(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t now = vm->now_ns;

	assert_int_equal(arm(v, now - 500), 0);
	assert_int_equal(vclock_settle(vm), 0);
	assert_int_equal(v->stats.fires, 1);
	assert_int_equal(v->last_fire_ns, now);
	assert_int_equal(vm->now_ns, now);
	vclock_vm_destroy(vm);
}

static uint64_t latency_3x(void *arg, struct vclock_vcpu *v, uint64_t e)
{
	(*(int *)arg)++;
	return 3 * v->index + 7;
}

static void timer_latency_delays_fire(void **state)
{
	struct vclock_vm *vm = quiet_vm(3);
	uint64_t t0 = vm->now_ns;
	int calls = 0;

	vm->vcpus[0].timer_latency_ns = 250;
	vm->vcpus[1].latency_fn = latency_3x;
	vm->vcpus[1].latency_arg = &calls;
	arm(&vm->vcpus[0], t0 + 1000);
	arm(&vm->vcpus[1], t0 + 1000);
	arm(&vm->vcpus[2], t0 + 1000);
	vclock_advance(vm, 5000);
	assert_int_equal(vm->vcpus[0].last_fire_ns, t0 + 1250);
	assert_int_equal(vm->vcpus[1].last_fire_ns, t0 + 1010);
	assert_int_equal(vm->vcpus[2].last_fire_ns, t0 + 1000);
	assert_int_equal(calls, 1);
	vclock_vm_destroy(vm);
}

static void fault_next_fails_exactly_n_arms(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];

	vclock_fault_next(v, VCLOCK_OP_TIMER_ARM, 2);
	assert_int_equal(arm(v, vm->now_ns + 10), VAPIC_EHOST);
	assert_int_equal(arm(v, vm->now_ns + 10), VAPIC_EHOST);
	assert_false(vclock_timer_armed(v, NULL));
	assert_int_equal(arm(v, vm->now_ns + 10), 0);
	assert_true(vclock_timer_armed(v, NULL));
	assert_int_equal(v->faults[VCLOCK_OP_TIMER_ARM].injected, 2);
	assert_int_equal(v->faults[VCLOCK_OP_TIMER_ARM].calls, 3);
	assert_int_equal(v->stats.arm_failures, 2);
	assert_int_equal(v->stats.arms, 1);
	vclock_vm_destroy(vm);
}

static void fault_every_kth_map_fails(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	int i, fails = 0;

	vclock_fault_every(v, VCLOCK_OP_MAP_GUEST, 3);
	for (i = 1; i <= 9; i++) {
		void *p = vclock_host_ops.map_guest(v, 0x1000, 64);

		if (!p) {
			fails++;
			assert_int_equal(i % 3, 0);
		} else {
			vclock_host_ops.unmap_guest(v, p, 64);
		}
	}
	assert_int_equal(fails, 3);
	vclock_fault_clear(v, VCLOCK_OP_MAP_GUEST);
	for (i = 0; i < 6; i++) {
		void *p = vclock_host_ops.map_guest(v, 0x1000, 64);

		assert_non_null(p);
		vclock_host_ops.unmap_guest(v, p, 64);
	}
	assert_int_equal(vm->maps_outstanding, 0);
	vclock_vm_destroy(vm);
}

static void fault_post_and_disabled_post_fail(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];

	assert_true(vclock_host_ops.post(v, 0x40) < 0); /* disabled */
	v->post_enabled = true;
	vclock_fault_next(v, VCLOCK_OP_POST, 1);
	assert_int_equal(vclock_host_ops.post(v, 0x40), VAPIC_EBUSY);
	assert_int_equal(vclock_host_ops.post(v, 0x40), 0);
	assert_int_equal(v->stats.post_failures, 2);
	assert_int_equal(v->stats.posts, 1);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].vector, 0x40);
	assert_true(vm->log[0].flags & VCLOCK_DELIVERY_POSTED);
	vclock_vm_destroy(vm);
}

static void mem_maps_only_ram_outside_holes(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;
	uint8_t *p;

	vclock_config_default(&cfg, 1);
	cfg.mem_base = 0x100000;
	cfg.mem_size = 0x10000;
	vm = vt_vm_cfg(&cfg);
	v = &vm->vcpus[0];
	v->auto_enter = false;
	assert_int_equal(vclock_mem_add_hole(vm, 0x104000, 0x1000), 0);

	p = vclock_host_ops.map_guest(v, 0x100000, 16);
	assert_ptr_equal(p, vm->mem);
	p[3] = 0xab;
	assert_int_equal(vm->mem[3], 0xab);
	vclock_host_ops.unmap_guest(v, p, 16);
	/* Last bytes of RAM; just below and above the hole. */
	p = vclock_host_ops.map_guest(v, 0x10fff0, 16);
	assert_ptr_equal(p, vm->mem + 0xfff0);
	vclock_host_ops.unmap_guest(v, p, 16);
	p = vclock_host_ops.map_guest(v, 0x103ff0, 16);
	assert_non_null(p);
	vclock_host_ops.unmap_guest(v, p, 16);
	p = vclock_host_ops.map_guest(v, 0x105000, 16);
	assert_non_null(p);
	vclock_host_ops.unmap_guest(v, p, 16);

	assert_null(vclock_host_ops.map_guest(v, 0xffff0, 16)); /* below */
	assert_null(vclock_host_ops.map_guest(v, 0xffff8, 16)); /* straddles */
	assert_null(vclock_host_ops.map_guest(v, 0x10fff8, 16)); /* past end */
	assert_null(vclock_host_ops.map_guest(v, 0x110000, 1));
	assert_null(vclock_host_ops.map_guest(v, 0x103ff8, 16)); /* into hole */
	assert_null(vclock_host_ops.map_guest(v, 0x104800, 4)); /* in hole */
	assert_null(vclock_host_ops.map_guest(v, 0x104ff8, 16)); /* out of it */
	assert_null(vclock_host_ops.map_guest(v, 0x100000, 0)); /* empty */
	assert_null(vclock_host_ops.map_guest(v, UINT64_MAX - 3, 16));
	assert_int_equal(v->stats.map_failures, 9);
	assert_int_equal(v->stats.maps, 4);
	assert_int_equal(vm->maps_outstanding, 0);
	assert_int_equal(vclock_check(vm, NULL, 0), 0);
	vclock_vm_destroy(vm);
}

static void mem_leaks_and_bad_unmaps_are_visible(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	void *a = vclock_host_ops.map_guest(v, 0, 8);
	void *b = vclock_host_ops.map_guest(v, 0, 8);

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vm->maps_outstanding, 2);
	vclock_host_ops.unmap_guest(v, a, 8);
	assert_int_equal(vm->maps_outstanding, 1);
	/* Wrong length, and a pointer never mapped: violations. */
	vclock_host_ops.unmap_guest(v, b, 4);
	vclock_host_ops.unmap_guest(v, vm->mem + 100, 8);
	assert_int_equal(vm->unmap_violations, 2);
	assert_int_equal(vm->maps_outstanding, 1);
	assert_int_equal(vclock_check(vm, NULL, 0), 1);
	assert_int_equal(vclock_mem_add_hole(vm, 0, 0), VAPIC_EINVAL);
	assert_int_equal(vclock_mem_add_hole(vm, UINT64_MAX, 2), VAPIC_EINVAL);
	for (int i = 0; i < VCLOCK_MAX_HOLES; i++)
		assert_int_equal(vclock_mem_add_hole(vm, 0x1000 * i, 1), 0);
	assert_int_equal(vclock_mem_add_hole(vm, 0, 1), VAPIC_ERANGE);
	vclock_vm_destroy(vm);
}

static void clock_host_and_guest_tsc_exact(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;

	vclock_config_default(&cfg, 2);
	cfg.host_tsc_khz = 3000000;
	cfg.lapic.timer.guest_tsc_khz = 1500000;
	cfg.start_ns = 7;
	vm = vt_vm_cfg(&cfg);
	v = &vm->vcpus[0];
	/* 7 ns at 3 GHz: 21 cycles; guest at half rate: 10.5 -> 10. */
	assert_int_equal(vclock_host_tsc(vm), 21);
	assert_int_equal(vclock_guest_tsc(v), 10);
	vclock_advance(vm, 1000000000);
	assert_int_equal(vclock_host_tsc(vm), 3000000021ULL);
	assert_int_equal(vclock_guest_tsc(v), 1500000010ULL);
	/* Offset, and a raw ratio of exactly 1/4. */
	assert_int_equal(vclock_vcpu_set_tsc(v, 1500000, 1000), 0);
	assert_int_equal(vclock_guest_tsc(v), 1500001010ULL);
	vclock_vcpu_set_ratio(v, VAPIC_TSC_RATIO_ONE / 4, 5);
	assert_int_equal(vclock_guest_tsc(v), 750000005ULL + 5);
	/* Migration: set the guest TSC, it continues from there. */
	vclock_vcpu_set_guest_tsc(v, 123456789);
	assert_int_equal(vclock_guest_tsc(v), 123456789);
	vclock_advance(vm, 4);
	assert_int_equal(vclock_guest_tsc(v), 123456789 + 3);
	/* vCPU 1 untouched. */
	assert_int_equal(vclock_guest_tsc(&vm->vcpus[1]),
			 (3000000021ULL + 12) / 2);
	vclock_vm_destroy(vm);
}

static void clock_ns_for_guest_tsc_is_the_first_ns(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t seed = 7;
	int i;

	vclock_vcpu_set_ratio(v, (VAPIC_TSC_RATIO_ONE / 3) + 12345, 99);
	for (i = 0; i < 200; i++) {
		uint64_t target = vclock_guest_tsc(v) + 1 + lcg(&seed) % 100000;
		uint64_t ns = vclock_ns_for_guest_tsc(v, target);

		assert_true(vclock_guest_tsc_at(v, ns) >= target);
		assert_true(vclock_guest_tsc_at(v, ns - 1) < target);
	}
	/* Already reached: now. */
	assert_int_equal(vclock_ns_for_guest_tsc(v, vclock_guest_tsc(v)),
			 vm->now_ns);
	vclock_vm_destroy(vm);
}

static void run_until_rejects_the_past_and_saturates(void **state)
{
	struct vclock_vm *vm = quiet_vm(1);
	uint64_t now = vm->now_ns;

	assert_int_equal(vclock_run_until(vm, now - 1), VAPIC_EINVAL);
	assert_int_equal(vm->now_ns, now);
	assert_int_equal(vclock_run_until(vm, now), 0);
	assert_int_equal(vclock_advance(vm, UINT64_MAX), 0);
	assert_int_equal(vm->now_ns, UINT64_MAX);
	vclock_vm_destroy(vm);
}

static void rearm_at_now_forever(void *arg, struct vclock_vcpu *v)
{
	v->in_callback = false; /* (the hook runs before the callback) */
	vclock_host_ops.timer_arm(v, v->vm->now_ns);
}

static void livelock_is_caught_by_max_events(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	char msg[256];

	vclock_config_default(&cfg, 1);
	cfg.max_events = 1000;
	vm = vt_vm_cfg(&cfg);
	vm->vcpus[0].auto_enter = false;
	vm->fire_hook = rearm_at_now_forever;
	arm(&vm->vcpus[0], vm->now_ns);
	assert_int_equal(vclock_advance(vm, 10), VAPIC_EBUSY);
	assert_true(vm->stuck);
	assert_true(vclock_check(vm, msg, sizeof(msg)) >= 1);
	vclock_vm_destroy(vm);
}

static void create_validates_config(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm = (struct vclock_vm *)1;

	vclock_config_default(&cfg, 0);
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_EINVAL);
	assert_null(vm);
	vclock_config_default(&cfg, 4097);
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_ERANGE);
	vclock_config_default(&cfg, 1);
	cfg.housekeeping_cpu = 2;
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_EINVAL);
	vclock_config_default(&cfg, 1);
	cfg.host_tsc_khz = 0;
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_ERANGE);
	vclock_config_default(&cfg, 1);
	cfg.lapic.timer.bus_khz = 1;
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_ERANGE);
	vclock_config_default(&cfg, 1);
	cfg.lapic.flags = 0x80;
	assert_int_equal(vclock_vm_create(&cfg, &vm), VAPIC_EINVAL);
	assert_int_equal(vclock_vm_create(NULL, &vm), VAPIC_EINVAL);
}

static void new_vm_is_power_on_state(void **state)
{
	struct vclock_vm *vm = vt_vm(3);
	uint32_t i, val;

	for (i = 0; i < 3; i++) {
		struct vclock_vcpu *v = vclock_vcpu(vm, i);

		assert_non_null(v);
		assert_int_equal(v->index, i);
		assert_int_equal(v->cpu, i % 2);
		assert_int_equal(
			vapic_lapic_read(&v->lapic, VAPIC_REG_ID, &val), 0);
		assert_int_equal(val, i << 24);
		assert_false(vapic_lapic_sw_enabled(&v->lapic));
		assert_false(vclock_timer_armed(v, NULL));
	}
	assert_null(vclock_vcpu(vm, 3));
	assert_int_equal(vm->now_ns, 1000000000ULL);
	vclock_vm_destroy(vm);
}

/* ---------------------------------------------------------------------- */
/* The run loop with the real core                                        */

static void run_delivers_tsc_deadline_at_deadline_and_logs_it(void **state)
{
	struct vclock_vm *vm = vt_vm(2);
	struct vclock_vcpu *v = &vm->vcpus[1];
	uint64_t dl, t0 = vm->now_ns;

	vt_enable(v);
	assert_int_equal(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40040), 0);
	dl = vclock_guest_tsc(v) + 2500000; /* 1 ms at 2.5 GHz */
	assert_int_equal(vclock_wrmsr_tsc_deadline(v, dl), 0);
	assert_int_equal(vclock_advance(vm, 999000), 0);
	assert_int_equal(vm->log_len, 0);
	assert_int_equal(vclock_advance(vm, 2000), 0);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].vcpu, 1);
	assert_int_equal(vm->log[0].vector, 0x40);
	assert_int_equal(vm->log[0].cpu, 1);
	assert_int_equal(vm->log[0].flags, VCLOCK_DELIVERY_TIMER);
	assert_int_equal(vm->log[0].deadline_tsc, dl);
	/* Adaptive advance fires 1 us early; the entry spins to the TSC. */
	assert_int_equal(vm->log[0].guest_tsc, dl);
	assert_int_equal(vm->log[0].host_ns, t0 + 1000000);
	assert_int_equal(v->stats.fires, 1);
	assert_int_equal(v->stats.spins, 1);
	assert_int_equal(vclock_log_count(vm, 1, 0x40), 1);
	assert_int_equal(vclock_log_count(vm, 0, UINT32_MAX), 0);
	vt_vm_destroy(vm);
}

/* A VM whose delivery log holds one forged timer record. */
static struct vclock_vm *vm_with_record(uint64_t guest_tsc,
					uint64_t deadline_tsc)
{
	struct vclock_vm *vm = vt_vm(1);

	vm->log = calloc(1, sizeof(*vm->log));
	assert_non_null(vm->log);
	vm->log_cap = 1;
	vm->log_len = 1;
	vm->log[0].flags = VCLOCK_DELIVERY_TIMER;
	vm->log[0].guest_tsc = guest_tsc;
	vm->log[0].deadline_tsc = deadline_tsc;
	return vm;
}

static void run_check_catches_an_early_delivery(void **state)
{
	/* Forge an early record: the checker must see it. */
	struct vclock_vm *vm = vm_with_record(99, 100);
	char msg[256];

	assert_int_equal(vclock_check(vm, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "early"));
	vm->log[0].guest_tsc = 100;
	assert_int_equal(vclock_check(vm, NULL, 0), 0);
	vclock_vm_destroy(vm);
}

static void run_check_catches_an_early_delivery_across_tsc_wrap(void **state)
{
	/*
	 * Delivered 1000 cycles before a guest TSC wrap, due 500 after it
	 * (a one-shot or periodic position): early, modulo 2^64.
	 */
	struct vclock_vm *vm = vm_with_record(0ULL - 1000, 500);
	char msg[256];

	assert_int_equal(vclock_check(vm, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "early"));
	/* Due before the wrap, delivered after it: late, not early. */
	vm->log[0].guest_tsc = 500;
	vm->log[0].deadline_tsc = 0ULL - 1000;
	assert_int_equal(vclock_check(vm, NULL, 0), 0);
	vclock_vm_destroy(vm);
}

/*
 * A TSC-deadline tick (vector 0x50) on @v falls due 1000 cycles on while
 * its interrupt window is closed, and 100 us later it is still held (in
 * IRR): nothing delivered.  Returns its deadline.
 */
static uint64_t hold_timer_tick(struct vclock_vm *vm, struct vclock_vcpu *v)
{
	uint64_t dl;

	vt_enable(v);
	vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40050);
	vclock_vcpu_set_irq_window(v, false);
	dl = vclock_guest_tsc(v) + 1000;
	vclock_wrmsr_tsc_deadline(v, dl);
	vclock_advance(vm, 100000);
	assert_int_equal(vm->log_len, 0);
	return dl;
}

static void run_closed_irq_window_holds_the_vector(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t dl;

	dl = hold_timer_tick(vm, v);
	vclock_vcpu_set_irq_window(v, true);
	vclock_settle(vm);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].vector, 0x50);
	assert_int_equal(vm->log[0].host_ns, vm->now_ns);
	assert_int_equal(vm->log[0].deadline_tsc, dl);
	vt_vm_destroy(vm);
}

/*
 * A tick waits in IRR (window closed) when the guest writes its TSC back
 * (IA32_TSC): its due label moves with the TSC, so the delivery after the
 * write is not mistaken for an early one.
 */
static void guest_tsc_write_moves_the_due_label_of_a_held_tick(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t dl, g;
	char msg[256];

	dl = hold_timer_tick(vm, v);
	g = vclock_guest_tsc(v);
	vclock_vcpu_set_guest_tsc(v, g - 1000000);
	assert_int_equal(
		vapic_timer_guest_tsc_changed(&v->lapic.timer, -1000000), 0);
	vclock_vcpu_set_irq_window(v, true);
	vclock_settle(vm);
	assert_int_equal(vm->log_len, 1);
	assert_true(vm->log[0].deadline_tsc == dl - 1000000);
	assert_true(vm->log[0].guest_tsc == g - 1000000);
	assert_int_equal(vclock_check(vm, msg, sizeof(msg)), 0);
	vt_vm_destroy(vm);
}

static void run_entry_latency_delays_delivery(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	struct vapic_lapic_config lc;
	uint64_t dl, t0;

	/* No advance, so the entry comes exactly latency after the fire. */
	vapic_lapic_config_default(&lc, 0, 2500000);
	lc.timer.advance_ns = 0;
	assert_int_equal(vclock_vcpu_reinit(v, &lc), 0);
	vt_enable(v);
	v->entry_latency_ns = 3000;
	vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40050);
	t0 = vm->now_ns;
	dl = vclock_guest_tsc(v) + 25000; /* 10 us */
	vclock_wrmsr_tsc_deadline(v, dl);
	vclock_advance(vm, 100000);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].host_ns, t0 + 13000);
	vclock_vm_destroy(vm);
}

static void run_posted_unpinned_logs_housekeeping_cpu(void **state)
{
	struct vclock_config cfg;
	struct vclock_vm *vm;
	struct vclock_vcpu *v;

	vclock_config_default(&cfg, 2);
	cfg.nr_host_cpus = 4;
	cfg.housekeeping_cpu = 3;
	cfg.lapic.timer.flags |= VAPIC_TIMER_F_POSTED;
	vm = vt_vm_cfg(&cfg);
	v = &vm->vcpus[1];
	v->timer_pinned = false;
	v->post_enabled = true;
	vt_enable(v);
	vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40060);
	vclock_wrmsr_tsc_deadline(v, vclock_guest_tsc(v) + 50000);
	vclock_advance(vm, 1000000);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].flags,
			 VCLOCK_DELIVERY_POSTED | VCLOCK_DELIVERY_TIMER);
	assert_int_equal(vm->log[0].cpu, 3);
	assert_int_equal(v->stats.cross_cpu_fires, v->stats.fires);
	assert_int_equal(v->stats.posts, 1);
	assert_int_equal(v->stats.injections, 0);
	vt_vm_destroy(vm);
}

static void posted_callback_spin_is_dropped_by_cancel(void **state)
{
	uint64_t dl, e;
	struct vclock_vm *vm = posted_callback_spinning(&dl);
	struct vclock_vcpu *v = &vm->vcpus[0];

	/* The callback fired early and spins to the deadline. */
	assert_true(vclock_timer_armed(v, &e));
	assert_int_equal(e, vm->now_ns + 1000);
	/* The guest moves the deadline: the spin is cancelled. */
	vclock_wrmsr_tsc_deadline(v, dl + 250000);
	vclock_advance(vm, 2000);
	assert_int_equal(vm->log_len, 0);
	vclock_advance(vm, 200000);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].deadline_tsc, dl + 250000);
	assert_true(vm->log[0].flags & VCLOCK_DELIVERY_POSTED);
	vt_vm_destroy(vm);
}

static void manual_enter_spins_then_delivers(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	uint64_t dl;

	v->auto_enter = false;
	vt_enable(v);
	vclock_write(v, VAPIC_REG_LVT_TIMER, 0x40040);
	dl = vclock_guest_tsc(v) + 250000;
	vclock_wrmsr_tsc_deadline(v, dl);
	vclock_advance(vm, 99000); /* host timer fired: only a kick */
	assert_int_equal(v->stats.kicks, 1);
	assert_int_equal(v->stats.entries, 0);
	assert_int_equal(vm->log_len, 0);
	vclock_vcpu_enter(v); /* WAIT: the next entry is queued */
	assert_int_equal(v->stats.spins, 1);
	vclock_advance(vm, 1000);
	assert_int_equal(vm->log_len, 1);
	assert_int_equal(vm->log[0].guest_tsc, dl);
	vt_vm_destroy(vm);
}

/* The first host timer fire comes 1.5 s late; the others on time. */
static uint64_t stall_first_fire(void *arg, struct vclock_vcpu *v, uint64_t e)
{
	(void)v;
	(void)e;
	return (*(int *)arg)++ ? 0 : 1500000000ULL;
}

/*
 * A catch-up backlog longer than one entry's bound (MAX_ENTRY_ROUNDS,
 * 1024 vectors): the entry that reaches it queues another, so the whole
 * backlog and the ticks due after it are delivered.  A periodic 1 ms
 * timer whose first fire (due at 1 ms) comes 1.5 s late has 1501 periods
 * due then: its tick and 1500 catch-up ticks; by 2.0005 s all 2000
 * periods are delivered.  The backlog goes at the late fire, in two
 * entries (the timer fuzz target found the entry stopping at 1024: the
 * rest waited for an unrelated event, here the next period's fire).
 */
static void run_catchup_backlog_beyond_one_entry_is_delivered(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	struct vapic_lapic_config lc;
	int calls = 0;

	vapic_lapic_config_default(&lc, 0, 2500000);
	lc.timer.missed_policy = VAPIC_MISSED_CATCHUP;
	lc.timer.catchup_max = 4096;
	lc.timer.advance_ns = 0;
	assert_int_equal(vclock_vcpu_reinit(v, &lc), 0);
	vt_enable(v);
	v->latency_fn = stall_first_fire;
	v->latency_arg = &calls;
	assert_int_equal(vclock_write(v, VAPIC_REG_TDCR, 0xb), 0);
	assert_int_equal(vclock_write(v, VAPIC_REG_LVT_TIMER, 0x20050), 0);
	/* bus_khz ticks at divide 1: 1 ms. */
	assert_int_equal(vclock_write(v, VAPIC_REG_TMICT, lc.timer.bus_khz), 0);
	/* Just after the late fire: all 1501 delivered, in two entries. */
	assert_int_equal(vclock_advance(vm, 1501500000ULL), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 1501);
	assert_int_equal(v->lapic.timer.stats.catchup, 1500);
	assert_int_equal(v->stats.entry_round_caps, 1);
	assert_int_equal(vclock_advance(vm, 499000000ULL), 0);
	assert_int_equal(vclock_log_count(vm, 0, 0x50), 2000);
	vt_vm_destroy(vm);
}

static void reinit_keeps_guest_tsc_continuous(void **state)
{
	struct vclock_vm *vm = vt_vm(1);
	struct vclock_vcpu *v = &vm->vcpus[0];
	struct vapic_lapic_config lc;
	uint64_t g;

	vclock_advance(vm, 12345);
	g = vclock_guest_tsc(v);
	vapic_lapic_config_default(&lc, 0, 1000000);
	assert_int_equal(vclock_vcpu_reinit(v, &lc), 0);
	assert_int_equal(vclock_guest_tsc(v), g);
	vclock_advance(vm, 1000);
	assert_int_equal(vclock_guest_tsc(v), g + 1000);
	lc.timer.guest_tsc_khz = 0;
	assert_int_equal(vclock_vcpu_reinit(v, &lc), VAPIC_EINVAL);
	vclock_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(heap_fires_many_timers_in_expiry_order),
		cmocka_unit_test(heap_ties_fire_in_arm_order),
		cmocka_unit_test(heap_is_deterministic_across_runs),
		cmocka_unit_test(cancel_is_synchronous_and_counted),
		cmocka_unit_test(take_removes_the_timer_without_its_callback),
		cmocka_unit_test(take_leaves_a_spinning_posted_callback),
		cmocka_unit_test(arm_while_armed_is_detected),
		cmocka_unit_test(arm_after_fire_is_not_a_violation),
		cmocka_unit_test(arm_in_past_fires_at_current_time),
		cmocka_unit_test(timer_latency_delays_fire),
		cmocka_unit_test(fault_next_fails_exactly_n_arms),
		cmocka_unit_test(fault_every_kth_map_fails),
		cmocka_unit_test(fault_post_and_disabled_post_fail),
		cmocka_unit_test(mem_maps_only_ram_outside_holes),
		cmocka_unit_test(mem_leaks_and_bad_unmaps_are_visible),
		cmocka_unit_test(clock_host_and_guest_tsc_exact),
		cmocka_unit_test(clock_ns_for_guest_tsc_is_the_first_ns),
		cmocka_unit_test(run_until_rejects_the_past_and_saturates),
		cmocka_unit_test(livelock_is_caught_by_max_events),
		cmocka_unit_test(create_validates_config),
		cmocka_unit_test(new_vm_is_power_on_state),
		cmocka_unit_test(
			run_delivers_tsc_deadline_at_deadline_and_logs_it),
		cmocka_unit_test(run_check_catches_an_early_delivery),
		cmocka_unit_test(
			run_check_catches_an_early_delivery_across_tsc_wrap),
		cmocka_unit_test(run_closed_irq_window_holds_the_vector),
		cmocka_unit_test(
			guest_tsc_write_moves_the_due_label_of_a_held_tick),
		cmocka_unit_test(run_entry_latency_delays_delivery),
		cmocka_unit_test(run_posted_unpinned_logs_housekeeping_cpu),
		cmocka_unit_test(posted_callback_spin_is_dropped_by_cancel),
		cmocka_unit_test(manual_enter_spins_then_delivers),
		cmocka_unit_test(
			run_catchup_backlog_beyond_one_entry_is_delivered),
		cmocka_unit_test(reinit_keeps_guest_tsc_continuous),
	};

	return cmocka_run_group_tests_name("vclock", tests, NULL, NULL);
}
