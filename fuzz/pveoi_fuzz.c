// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz target 'pveoi': KVM paravirtual EOI (MSR_KVM_PV_EOI_EN) on one
 * x2APIC-mode LAPIC, against the harness's own model of the ISR, IRR, TMR,
 * the MSR and the host's pending flag (include/vapic/lapic.h and KVM's
 * apic_sync_pv_eoi_to/from_guest() rules).
 *
 * Input: a byte script; each op is one byte (op % 20) plus its operands:
 *   0 v      accept vector v, edge          1 v    accept v, level
 *   2        poll + inject                  3      explicit EOI (WRMSR 0x80b)
 *   4        before entry                   5      after exit
 *   6        guest clears bit 0 of the word 7      guest sets bit 0 (hostile)
 *   8 b*4    guest writes the whole word    9 b*8  WRMSR PV EOI, any value
 *   10 o     WRMSR PV EOI enable at RAM_GPA + 4*o (+ 0x1000 * (o & 1))
 *   11       WRMSR PV EOI 0                 12 t   TPR = t
 *   13       INIT (vapic_lapic_reset)       14     save + restore in place
 *   15       toggle map_guest failures      16     honest guest EOI (test-
 *                                                  and-clear, else EOI)
 *   17       RDMSR PV EOI                   18 o   guest word moved: enable
 *                                                  at an unmapped address
 *   19       one whole honest round: inject, before entry, guest EOI,
 *            after exit
 *
 * Invariants checked after every op (abort on violation):
 *  - ISR, IRR and TMR equal the model's: the ISR never gains a vector but by
 *    an injection and never loses one but by an EOI: an explicit EOI, or a
 *    PV EOI the host owed because it set the flag and the guest cleared it;
 *  - before entry sets the flag exactly when the model says it may
 *    (enabled, IRR empty, exactly one vector in service, edge-triggered);
 *  - poll injects exactly the vector the model says is deliverable;
 *  - MSR writes succeed or fail (#GP / EFAULT) exactly as the model says,
 *    RDMSR returns the model's value; the skip/unused counters match;
 *  - no VAPIC_WARN_ON.
 * FUZZ_PVEOI_TRACE=1 in the environment prints each op.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vapic/errors.h>
#include <vapic/lapic.h>

#include "fuzz.h"
#include "vapic_user.h"

#define RAM_GPA 0x2000ULL
#define RAM_SIZE 0x2000U

struct reached {
	bool enabled, set, skipped, unused, explicit_pending, hostile_set,
		refused, efault, init, restored, level, two_in_service,
		irr_blocked, disabled;
	uint64_t ops, events, deliveries;
};

static struct reached last_reached;

struct model {
	bool isr[256], irr[256], tmr[256];
	uint32_t tpr;
	uint64_t msr;
	bool enabled; /* word mapped */
	bool pending; /* the host set the flag */
	uint64_t eois, skipped, unused;
};

static _Alignas(64) unsigned char ram[RAM_SIZE];
static bool map_fail;
static int mapped; /* maps - unmaps */
static uint64_t fake_now;

static uint64_t h_now(void *h)
{
	(void)h;
	return fake_now;
}

static int h_arm(void *h, uint64_t t)
{
	(void)h;
	(void)t;
	return 0;
}

static void h_void(void *h)
{
	(void)h;
}

static int h_ipi(void *h, const struct vapic_ipi *ipi)
{
	(void)h;
	(void)ipi;
	return 0;
}

static void *h_map(void *h, uint64_t gpa, uint32_t len)
{
	(void)h;
	if (map_fail || gpa < RAM_GPA || gpa + len > RAM_GPA + RAM_SIZE)
		return NULL;
	mapped++;
	return ram + (gpa - RAM_GPA);
}

static void h_unmap(void *h, void *hva, uint32_t len)
{
	(void)h;
	(void)len;
	if ((unsigned char *)hva < ram ||
	    (unsigned char *)hva >= ram + RAM_SIZE)
		abort();
	mapped--;
}

static const struct vapic_host_ops ops = {
	.now_ns = h_now,
	.guest_tsc = h_now,
	.timer_arm = h_arm,
	.timer_cancel = h_void,
	.kick = h_void,
	.send_ipi = h_ipi,
	.map_guest = h_map,
	.unmap_guest = h_unmap,
};

static struct vapic_lapic lapic;
static struct model m;
static struct reached rc;

#define CHECK(c)                                                             \
	do {                                                                 \
		if (!(c)) {                                                  \
			fprintf(stderr, "pveoi_fuzz: %s:%d: %s\n", __FILE__, \
				__LINE__, #c);                               \
			abort();                                             \
		}                                                            \
	} while (0)

static uint32_t *word(void)
{
	uint64_t gpa = m.msr & ~1ULL;

	if (!m.enabled)
		return (uint32_t *)ram; /* nobody's word */
	return (uint32_t *)(ram + (gpa - RAM_GPA));
}

static int highest(const bool *map)
{
	int v;

	for (v = 255; v >= 0; v--)
		if (map[v])
			return v;
	return -1;
}

static int count(const bool *map)
{
	int v, n = 0;

	for (v = 0; v < 256; v++)
		n += map[v];
	return n;
}

/* The model's EOI: retire the highest in-service vector. */
static void model_eoi(void)
{
	int v = highest(m.isr);

	if (v >= 0) {
		m.isr[v] = false;
		m.eois++;
	}
}

/* The model's settle step (after exit, before an EOI write or an MSR write). */
static void model_settle(void)
{
	if (!m.pending)
		return;
	m.pending = false;
	if (*word() & 1) {
		m.unused++;
		rc.unused = true;
	} else {
		m.skipped++;
		rc.skipped = true;
		model_eoi();
	}
}

static uint32_t model_ppr(void)
{
	int v = highest(m.isr);

	if (v < 0 || (m.tpr & 0xf0) >= ((uint32_t)v & 0xf0))
		return m.tpr;
	return (uint32_t)v & 0xf0;
}

static void check_state(void)
{
	uint64_t val;
	int i, b;

	for (i = 0; i < 8; i++) {
		uint64_t isr, irr, tmr;

		CHECK(vapic_lapic_rdmsr(&lapic, 0x810 + i, &isr) == 0);
		CHECK(vapic_lapic_rdmsr(&lapic, 0x820 + i, &irr) == 0);
		CHECK(vapic_lapic_rdmsr(&lapic, 0x818 + i, &tmr) == 0);
		for (b = 0; b < 32; b++) {
			CHECK(!!(isr & (1ULL << b)) == m.isr[i * 32 + b]);
			CHECK(!!(irr & (1ULL << b)) == m.irr[i * 32 + b]);
			CHECK(!!(tmr & (1ULL << b)) == m.tmr[i * 32 + b]);
		}
	}
	CHECK(vapic_lapic_ppr(&lapic) == model_ppr());
	CHECK(vapic_lapic_rdmsr(&lapic, VAPIC_MSR_KVM_PV_EOI_EN, &val) == 0);
	CHECK(val == m.msr);
	CHECK(vapic_lapic_pv_eoi_enabled(&lapic) == m.enabled);
	CHECK(lapic.stats.eoi == m.eois);
	CHECK(lapic.stats.pv_eoi_skipped == m.skipped);
	CHECK(lapic.stats.pv_eoi_unused == m.unused);
	CHECK(mapped == (m.enabled ? 1 : 0));
	CHECK(vapic_user_warn_count() == 0);
}

static void accept(uint32_t v, bool level)
{
	int r = vapic_lapic_accept(&lapic, v, level ? VAPIC_ACCEPT_LEVEL : 0);

	if (v < 16) {
		CHECK(r == VAPIC_ERSVD);
		return;
	}
	CHECK(r == (m.irr[v] ? 1 : 0));
	m.irr[v] = true;
	m.tmr[v] = level;
	rc.level |= level;
}

static void inject(void)
{
	uint64_t wait_ns;
	uint32_t vec;
	int r = vapic_lapic_poll(&lapic, &vec, &wait_ns);
	int v = highest(m.irr);
	bool want = v >= 0 && ((uint32_t)v & 0xf0) > (model_ppr() & 0xf0);

	if (v >= 0 && !want)
		rc.irr_blocked = true;
	CHECK((r == VAPIC_LAPIC_INJECT) == want);
	if (!want)
		return;
	CHECK(vec == (uint32_t)v);
	CHECK(vapic_lapic_injected(&lapic, vec) == 0);
	m.irr[v] = false;
	m.isr[v] = true;
	rc.deliveries++;
	if (count(m.isr) > 1)
		rc.two_in_service = true;
}

static void explicit_eoi(void)
{
	if (m.pending) {
		rc.explicit_pending = true;
		model_settle();
	}
	CHECK(vapic_lapic_wrmsr(&lapic, 0x80b, 0) >= 0);
	model_eoi();
}

static void before_entry(void)
{
	bool got, want;
	int v;

	model_settle();
	v = highest(m.isr);
	want = m.enabled && count(m.irr) == 0 && count(m.isr) == 1 && !m.tmr[v];
	got = vapic_lapic_pv_eoi_before_entry(&lapic);
	CHECK(got == want);
	if (got) {
		CHECK(*word() & 1);
		m.pending = true;
		rc.set = true;
	}
}

static void after_exit(void)
{
	model_settle();
	CHECK(vapic_lapic_pv_eoi_after_exit(&lapic) >= 0);
	if (m.enabled)
		CHECK(!m.pending);
}

static void write_msr(uint64_t val)
{
	uint64_t gpa = val & ~1ULL;
	int want = 0, r;

	if ((gpa & 3) || (val >> 52))
		want = VAPIC_ERSVD;
	else if ((val & 1) &&
		 (map_fail || gpa < RAM_GPA || gpa + 4 > RAM_GPA + RAM_SIZE))
		want = VAPIC_EFAULT;
	/* A write that succeeds settles the old flag first: model it first. */
	if (!want)
		model_settle();
	r = vapic_lapic_wrmsr(&lapic, VAPIC_MSR_KVM_PV_EOI_EN, val);
	if (want) {
		CHECK(r == want);
		if (want == VAPIC_ERSVD)
			rc.refused = true;
		else
			rc.efault = true;
		return;
	}
	CHECK(r >= 0);
	m.msr = val;
	m.enabled = val & 1;
	m.pending = false;
	if (m.enabled)
		rc.enabled = true;
	else
		rc.disabled = true;
}

static void init_reset(void)
{
	vapic_lapic_reset(&lapic);
	memset(m.isr, 0, sizeof(m.isr));
	memset(m.irr, 0, sizeof(m.irr));
	memset(m.tmr, 0, sizeof(m.tmr));
	m.tpr = 0;
	m.msr = 0;
	m.enabled = false;
	m.pending = false;
	CHECK(vapic_lapic_wrmsr(&lapic, 0x80f, 0x1ff) == 0);
	rc.init = true;
}

static void save_restore(void)
{
	struct vapic_lapic_state st;

	CHECK(vapic_lapic_save(&lapic, &st) == 0);
	CHECK(st.pv_eoi_msr == m.msr);
	CHECK(!!st.pv_eoi_flags == m.pending);
	map_fail = false; /* the word is guest RAM: it maps again */
	CHECK(vapic_lapic_restore(&lapic, &st) == 0);
	rc.restored = true;
}

static int setup(void)
{
	struct vapic_lapic_config cfg;

	memset(ram, 0, sizeof(ram));
	memset(&m, 0, sizeof(m));
	memset(&rc, 0, sizeof(rc));
	map_fail = false;
	mapped = 0;
	fake_now = 1000;
	vapic_lapic_config_default(&cfg, 0, 1000000);
	cfg.flags |= VAPIC_LAPIC_F_PV_EOI;
	cfg.timer.advance_ns = 0;
	if (vapic_lapic_init(&lapic, &cfg, &ops, NULL))
		return -1;
	if (vapic_lapic_wrmsr(&lapic, VAPIC_MSR_APIC_BASE,
			      vapic_lapic_apic_base(&lapic) |
				      VAPIC_APIC_BASE_EXTD) < 0)
		return -1;
	return vapic_lapic_wrmsr(&lapic, 0x80f, 0x1ff);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int trace = -1;
	size_t i = 0;

	if (trace < 0)
		trace = getenv("FUZZ_PVEOI_TRACE") != NULL;
	if (setup())
		abort();
	while (i < n) {
		uint8_t op = d[i++] % 20;

		if (trace)
			fprintf(stderr, "op %u at %zu\n", op, i - 1);
		uint64_t val = 0;
		uint32_t w;
		int k;

		rc.ops++;
		switch (op) {
		case 0:
		case 1:
			if (i >= n)
				goto out;
			accept(d[i++], op == 1);
			rc.events++;
			break;
		case 2:
			inject();
			break;
		case 3:
			explicit_eoi();
			break;
		case 4:
			before_entry();
			break;
		case 5:
			after_exit();
			break;
		case 6:
			*word() &= ~1U;
			break;
		case 7:
			if (!m.pending)
				rc.hostile_set = true;
			*word() |= 1;
			break;
		case 8:
			if (i + 4 > n)
				goto out;
			memcpy(&w, d + i, 4);
			i += 4;
			*word() = w;
			break;
		case 9:
			if (i + 8 > n)
				goto out;
			memcpy(&val, d + i, 8);
			i += 8;
			write_msr(val);
			break;
		case 10:
			if (i >= n)
				goto out;
			k = d[i++];
			write_msr((RAM_GPA + 4ULL * (uint64_t)k +
				   ((k & 1) ? 0x1000 : 0)) |
				  1);
			break;
		case 11:
			write_msr(0);
			break;
		case 12:
			if (i >= n)
				goto out;
			m.tpr = d[i++];
			CHECK(vapic_lapic_wrmsr(&lapic, 0x808, m.tpr) >= 0);
			break;
		case 13:
			init_reset();
			break;
		case 14:
			save_restore();
			break;
		case 15:
			map_fail = !map_fail;
			break;
		case 16:
			if (*word() & 1 && m.enabled)
				*word() &= ~1U;
			else
				explicit_eoi();
			break;
		case 17:
			CHECK(vapic_lapic_rdmsr(&lapic, VAPIC_MSR_KVM_PV_EOI_EN,
						&val) == 0 &&
			      val == m.msr);
			break;
		case 18:
			if (i >= n)
				goto out;
			write_msr((0x100000ULL + 4ULL * d[i++]) | 1);
			break;
		case 19:
			inject();
			before_entry();
			if (*word() & 1 && m.enabled)
				*word() &= ~1U;
			else
				explicit_eoi();
			after_exit();
			break;
		}
		check_state();
	}
out:
	vapic_lapic_destroy(&lapic);
	CHECK(mapped == 0);
	last_reached = rc;
	return 0;
}

void fuzz_summary(char *buf, size_t len)
{
	const struct reached *r = &last_reached;
	static const struct fuzz_flag names[] = {
#define R(f) FUZZ_FLAG(struct reached, f)
		R(enabled),
		R(set),
		R(skipped),
		R(unused),
		R(explicit_pending),
		R(hostile_set),
		R(refused),
		R(efault),
		R(init),
		R(restored),
		R(level),
		R(two_in_service),
		R(irr_blocked),
		R(disabled),
#undef R
	};

	fuzz_summary_flags(buf, len, r->ops, r->events, r->deliveries, r, names,
			   sizeof(names) / sizeof(names[0]));
}
