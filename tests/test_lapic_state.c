// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * LAPIC save/restore: round trips in each APIC mode (with the timer
 * running inside the record), and every kind of corrupted or foreign
 * record refused with the destination left exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapic_fake.h"

#define MSR(off) VAPIC_X2APIC_MSR(off)

static struct fake_vm src, dst;

static int setup(void **state)
{
	uint32_t f = VAPIC_LAPIC_F_CMCI | VAPIC_LAPIC_F_X2APIC;

	(void)state;
	if (fake_vm_init(&src, 1, f) || fake_vm_init(&dst, 1, f))
		return -1;
	return 0;
}

static struct vapic_lapic *S(void)
{
	return &src.cpu[0].lapic;
}

static struct vapic_lapic *D(void)
{
	return &dst.cpu[0].lapic;
}

/* A busy xAPIC: registers set, interrupts pending and in service, an
 * event, a running one-shot timer. */
static void make_busy_xapic(struct vapic_lapic *l)
{
	fake_sw_enable(l);
	vapic_lapic_write(l, VAPIC_REG_ID, 0x00000000);
	vapic_lapic_write(l, VAPIC_REG_TPR, 0x21);
	vapic_lapic_write(l, VAPIC_REG_LDR, 0x04000000);
	vapic_lapic_write(l, VAPIC_REG_DFR, 0x0fffffff);
	vapic_lapic_write(l, VAPIC_REG_LVT_LINT0, 0x700);
	vapic_lapic_write(l, VAPIC_REG_LVT_ERROR, 0xfe);
	vapic_lapic_write(l, VAPIC_REG_ICR_HI, 0x03000000);
	vapic_lapic_accept(l, 0x80, VAPIC_ACCEPT_LEVEL);
	assert_int_equal(fake_inject(l), 0x80);
	vapic_lapic_accept(l, 0x41, 0);
	vapic_lapic_accept(l, 0xe0, 0);
	(void)vapic_lapic_write(l, 0x050, 0); /* ESR: illegal register */
	vapic_lapic_write(l, VAPIC_REG_TDCR, 0xb);
	vapic_lapic_write(l, VAPIC_REG_LVT_TIMER, 0x20031);
	vapic_lapic_write(l, VAPIC_REG_TMICT, 1000000);
	{
		struct vapic_ipi sipi = { .delivery_mode = VAPIC_DM_SIPI,
					  .vector = 0x12 };
		vapic_lapic_receive(l, &sipi);
	}
}

static void fix_checksum(struct vapic_lapic_state *st)
{
	st->checksum = 0;
	st->checksum = vapic_checksum32(st, sizeof(*st));
}

static void fix_timer_checksum(struct vapic_timer_state *t)
{
	t->checksum = 0;
	t->checksum = vapic_checksum32(t, sizeof(*t));
}

/* ---------------------------------------------------------------------- */
/* Round trips                                                            */

static void test_round_trip_xapic(void **s)
{
	struct vapic_lapic_state a, b;
	uint32_t off;

	(void)s;
	make_busy_xapic(S());
	src.tsc += 250000;
	dst.tsc = src.tsc;
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(D(), &a), 0);
	for (off = 0x20; off < 0x400; off += 16) {
		uint32_t v1, v2;
		int r1, r2;

		if (off == VAPIC_REG_ESR)
			continue; /* reading is harmless, writing latches */
		r1 = vapic_lapic_read(S(), off, &v1);
		r2 = vapic_lapic_read(D(), off, &v2);
		assert_int_equal(r1, r2);
		assert_int_equal(v1, v2);
	}
	assert_int_equal(fake_reg(D(), VAPIC_REG_TMCCT), 750000);
	assert_int_equal(fake_esr(D()), VAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(vapic_lapic_pending_events(D()), VAPIC_EVENT_SIPI);
	assert_true(dst.cpu[0].armed);
	/* Same state, same time: the same record. */
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(D(), &a), 0);
	assert_int_equal(vapic_lapic_save(D(), &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_round_trip_resumes_priority_and_eoi(void **s)
{
	struct vapic_lapic_state a;
	uint32_t v;
	uint64_t w;

	(void)s;
	make_busy_xapic(S());
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(D(), &a), 0);
	assert_int_equal(vapic_lapic_ppr(D()), 0x80);
	assert_int_equal(vapic_lapic_poll(D(), &v, &w), VAPIC_LAPIC_INJECT);
	assert_int_equal(v, 0xfe); /* the error LVT's interrupt */
	/* EOI of the restored in-service level vector: broadcast. */
	assert_int_equal(vapic_lapic_eoi(D()) & VAPIC_LAPIC_ACT_EOI,
			 VAPIC_LAPIC_ACT_EOI);
	assert_int_equal(vapic_lapic_eoi_vector(D()), 0x80);
}

static void test_round_trip_x2apic_tsc_deadline(void **s)
{
	struct vapic_lapic_state a;
	uint64_t v;

	(void)s;
	assert_int_equal(fake_to_x2apic(S()), VAPIC_LAPIC_ACT_BASE);
	fake_sw_enable(S());
	vapic_lapic_wrmsr(S(), MSR(VAPIC_REG_LVT_TIMER), 0x400ec);
	vapic_lapic_wrmsr(S(), VAPIC_MSR_TSC_DEADLINE, src.tsc + 5000);
	vapic_lapic_wrmsr(S(), VAPIC_MSR_X2APIC_ICR, (7ULL << 32) | 0x4000);
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(D(), &a), 0);
	assert_int_equal(vapic_lapic_mode(D()), VAPIC_APIC_X2APIC);
	assert_int_equal(vapic_lapic_rdmsr(D(), VAPIC_MSR_TSC_DEADLINE, &v), 0);
	assert_int_equal(v, src.tsc + 5000);
	assert_int_equal(vapic_lapic_rdmsr(D(), VAPIC_MSR_X2APIC_ICR, &v), 0);
	assert_int_equal(v, (7ULL << 32) | 0x4000);
	assert_int_equal(vapic_lapic_rdmsr(D(), MSR(VAPIC_REG_LDR), &v), 0);
	assert_int_equal(v, 1);
	dst.tsc += 5000;
	assert_int_equal(fake_inject(D()), 0xec);
}

static void test_round_trip_disabled(void **s)
{
	struct vapic_lapic_state a;

	(void)s;
	vapic_lapic_wrmsr(S(), VAPIC_MSR_APIC_BASE, 0xfee00000ULL);
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(D(), &a), 0);
	assert_int_equal(vapic_lapic_mode(D()), VAPIC_APIC_DISABLED);
	assert_int_equal(vapic_lapic_apic_base(D()), 0xfee00000ULL);
}

static void test_save_restore_null_args(void **s)
{
	struct vapic_lapic_state a;

	(void)s;
	assert_int_equal(vapic_lapic_save(NULL, &a), VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_save(S(), NULL), VAPIC_EINVAL);
	assert_int_equal(vapic_lapic_restore(D(), NULL), VAPIC_EINVAL);
}

/* ---------------------------------------------------------------------- */
/* Refused records                                                        */

enum corrupt {
	C_MAGIC,
	C_VERSION,
	C_SIZE,
	C_CHECKSUM,
	C_RESERVED,
	C_RESERVED2,
	C_FEATURES,
	C_X2APIC_ID,
	C_XAPIC_ID,
	C_BASE_RSVD,
	C_BASE_INVALID_STATE,
	C_BASE_ABOVE_MAXPHYADDR,
	C_TPR,
	C_SVR,
	C_ESR,
	C_LDR_LOW_BITS,
	C_DFR_LOW_BITS,
	C_ICR_LO,
	C_ICR_HI,
	C_LVT_RSVD,
	C_LVT_UNMASKED_SW_DISABLED,
	C_IRR_ILLEGAL,
	C_ISR_ILLEGAL,
	C_EVENTS,
	C_SIPI_WITHOUT_EVENT,
	C_LINT,
	C_TIMER_SW_DISABLED,
	C_TIMER_CHECKSUM,
	C_TIMER_FIELD,
	C_DISABLED_WITH_IRR,
	C_NR,
};

static int corrupt(struct vapic_lapic_state *a, int what)
{
	switch (what) {
	case C_MAGIC:
		a->magic ^= 1;
		break;
	case C_VERSION:
		a->version = VAPIC_LAPIC_STATE_VERSION + 1;
		fix_checksum(a);
		return VAPIC_EVERSION;
	case C_SIZE:
		a->size -= 8;
		break;
	case C_CHECKSUM:
		a->irr[3] ^= 0x10; /* not re-summed */
		return VAPIC_ESTATE;
	case C_RESERVED:
		a->reserved[0] = 1;
		break;
	case C_RESERVED2:
		a->reserved2 = 1;
		break;
	case C_FEATURES:
		a->flags &= ~VAPIC_LAPIC_F_CMCI;
		break;
	case C_X2APIC_ID:
		a->x2apic_id = 5;
		break;
	case C_XAPIC_ID:
		a->xapic_id = 0x100;
		break;
	case C_BASE_RSVD:
		a->apic_base |= 0x200;
		break;
	case C_BASE_INVALID_STATE:
		a->apic_base = 0xfee00400ULL;
		break;
	case C_BASE_ABOVE_MAXPHYADDR:
		/* above MAXPHYADDR */
		a->apic_base |= 1ULL << 60;
		break;
	case C_TPR:
		a->tpr = 0x100;
		break;
	case C_SVR:
		a->svr |= 0x400;
		break;
	case C_ESR:
		a->esr_pending = 0x100;
		break;
	case C_LDR_LOW_BITS:
		a->ldr = 0x01000001;
		break;
	case C_DFR_LOW_BITS:
		a->dfr = 0xf0000000;
		break;
	case C_ICR_LO:
		a->icr_lo = 0x1000; /* delivery status never saved */
		break;
	case C_ICR_HI:
		a->icr_hi = 0x00000001;
		break;
	case C_LVT_RSVD:
		a->lvt[VAPIC_LVT_ERROR] |= 0x700;
		break;
	case C_LVT_UNMASKED_SW_DISABLED:
		a->svr = 0xff;
		a->timer.flags |= VAPIC_TSTATE_SW_DISABLED;
		a->timer.lvtt |= VAPIC_LVT_MASKED;
		fix_timer_checksum(&a->timer);
		break;
	case C_IRR_ILLEGAL:
		a->irr[0] |= 0x8;
		break;
	case C_ISR_ILLEGAL:
		a->isr[0] |= 0x8000;
		break;
	case C_EVENTS:
		a->events |= 0x100;
		break;
	case C_SIPI_WITHOUT_EVENT:
		a->events &= ~VAPIC_EVENT_SIPI;
		break;
	case C_LINT:
		a->lint_level = 4;
		break;
	case C_TIMER_SW_DISABLED:
		a->timer.flags |= VAPIC_TSTATE_SW_DISABLED;
		a->timer.lvtt |= VAPIC_LVT_MASKED;
		fix_timer_checksum(&a->timer);
		break;
	case C_TIMER_CHECKSUM:
		a->timer.tmict ^= 1;
		break;
	case C_TIMER_FIELD:
		a->timer.reserved[0] = 1;
		fix_timer_checksum(&a->timer);
		break;
	case C_DISABLED_WITH_IRR:
		a->apic_base &= ~VAPIC_APIC_BASE_EN;
		break;
	default:
		break;
	}
	fix_checksum(a);
	return VAPIC_ESTATE;
}

static void test_corrupted_records_refused_state_untouched(void **s)
{
	struct vapic_lapic_state good, bad, before, after;
	int what, r;

	(void)s;
	make_busy_xapic(S());
	assert_int_equal(vapic_lapic_save(S(), &good), 0);
	/* A destination with its own, different, state. */
	fake_sw_enable(D());
	vapic_lapic_write(D(), VAPIC_REG_TPR, 0x70);
	vapic_lapic_accept(D(), 0x99, 0);
	vapic_lapic_write(D(), VAPIC_REG_LVT_TIMER, 0x40033);
	vapic_lapic_write_tsc_deadline(D(), dst.tsc + 777);
	assert_int_equal(vapic_lapic_save(D(), &before), 0);
	for (what = 0; what < C_NR; what++) {
		int want;

		bad = good;
		want = corrupt(&bad, what);
		r = vapic_lapic_restore(D(), &bad);
		if (r != want)
			fail_msg("corruption %d: restore returned %d, want %d",
				 what, r, want);
		assert_int_equal(vapic_lapic_save(D(), &after), 0);
		if (memcmp(&before, &after, sizeof(before)))
			fail_msg("corruption %d: state changed", what);
	}
	/* And the good record still loads. */
	assert_int_equal(vapic_lapic_restore(D(), &good), 0);
}

static void test_record_needs_same_features(void **s)
{
	struct fake_vm other;
	struct vapic_lapic_state a;

	(void)s;
	assert_int_equal(fake_vm_init(&other, 1, VAPIC_LAPIC_F_CMCI), 0);
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	assert_int_equal(vapic_lapic_restore(&other.cpu[0].lapic, &a),
			 VAPIC_ESTATE);
}

static void test_record_with_x2apic_ldr_mismatch_refused(void **s)
{
	struct vapic_lapic_state a;

	(void)s;
	assert_int_equal(fake_to_x2apic(S()), VAPIC_LAPIC_ACT_BASE);
	assert_int_equal(vapic_lapic_save(S(), &a), 0);
	a.ldr = 0x2;
	fix_checksum(&a);
	assert_int_equal(vapic_lapic_restore(D(), &a), VAPIC_ESTATE);
	assert_int_equal(vapic_lapic_mode(D()), VAPIC_APIC_XAPIC);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip_xapic),
		T(test_round_trip_resumes_priority_and_eoi),
		T(test_round_trip_x2apic_tsc_deadline),
		T(test_round_trip_disabled),
		T(test_save_restore_null_args),
		T(test_corrupted_records_refused_state_untouched),
		T(test_record_needs_same_features),
		T(test_record_with_x2apic_ldr_mismatch_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
