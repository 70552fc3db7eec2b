// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unit tests of the time math (include/vapic/clock.h, libvapic/clock.c),
 * against an independent 128-bit reference (unsigned __int128).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vapic/clock.h>
#include <vapic/errors.h>

__extension__ typedef unsigned __int128 u128;

/* ---------------------------------------------------------------------- */
/* Reference                                                              */

static uint64_t ref_mul_div(uint64_t a, uint64_t b, uint64_t c, bool ceil)
{
	u128 p = (u128)a * b, q;

	if (!c)
		return UINT64_MAX;
	q = p / c;
	if (ceil && p % c)
		q++;
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

static uint64_t ref_scale(uint64_t tsc, uint64_t ratio)
{
	return (uint64_t)(((u128)tsc * ratio) >> 48);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s;
}

/* Random 64-bit values biased towards interesting magnitudes. */
static uint64_t rnd_u64(uint64_t *s)
{
	uint64_t v = lcg(s) ^ (lcg(s) >> 32);
	unsigned int bits = (unsigned int)(lcg(s) >> 58); /* 0..63 */

	return bits ? v >> (64 - bits) : v;
}

static const uint64_t edges[] = {
	0,
	1,
	2,
	3,
	7,
	1000,
	999999,
	1000000,
	0xffffffffULL,
	0x100000000ULL,
	0x100000001ULL,
	0x7fffffffffffffffULL,
	0x8000000000000000ULL,
	0x8000000000000001ULL,
	0xfffffffffffffffeULL,
	0xffffffffffffffffULL,
	12345678901234567ULL,
};
#define NEDGES (sizeof(edges) / sizeof(edges[0]))

/* ---------------------------------------------------------------------- */
/* vapic_mul_div_u64                                                      */

static void mul_div_matches_reference_on_edge_values(void **state)
{
	size_t i, j, k;

	for (i = 0; i < NEDGES; i++)
		for (j = 0; j < NEDGES; j++)
			for (k = 0; k < NEDGES; k++) {
				uint64_t a = edges[i], b = edges[j];
				uint64_t c = edges[k];

				assert_int_equal(vapic_mul_div_u64(a, b, c),
						 ref_mul_div(a, b, c, false));
				assert_int_equal(
					vapic_mul_div_u64_ceil(a, b, c),
					ref_mul_div(a, b, c, true));
			}
}

static void mul_div_matches_reference_on_random_values(void **state)
{
	uint64_t s = 0x5eed;
	int i;

	for (i = 0; i < 200000; i++) {
		uint64_t a = rnd_u64(&s), b = rnd_u64(&s), c = rnd_u64(&s);

		assert_int_equal(vapic_mul_div_u64(a, b, c),
				 ref_mul_div(a, b, c, false));
		assert_int_equal(vapic_mul_div_u64_ceil(a, b, c),
				 ref_mul_div(a, b, c, true));
	}
}

static void mul_div_product_just_over_2_64(void **state)
{
	/* (2^32 + 1) * 2^32 = 2^64 + 2^32: needs the 128-bit path. */
	assert_int_equal(vapic_mul_div_u64(0x100000001ULL, 0x100000000ULL, 2),
			 0x8000000080000000ULL);
	assert_int_equal(vapic_mul_div_u64(0x100000001ULL, 0x100000000ULL,
					   0x100000001ULL),
			 0x100000000ULL);
	/* 2^64 + 2^32 over 3: 6148914692668172970.67 */
	assert_int_equal(vapic_mul_div_u64(0x100000001ULL, 0x100000000ULL, 3),
			 6148914692668172970ULL);
	assert_int_equal(
		vapic_mul_div_u64_ceil(0x100000001ULL, 0x100000000ULL, 3),
		6148914692668172971ULL);
	/* UINT64_MAX^2 / UINT64_MAX = UINT64_MAX exactly, no saturation. */
	assert_int_equal(vapic_mul_div_u64(UINT64_MAX, UINT64_MAX, UINT64_MAX),
			 UINT64_MAX);
	assert_int_equal(
		vapic_mul_div_u64_ceil(UINT64_MAX, UINT64_MAX, UINT64_MAX),
		UINT64_MAX);
}

static void mul_div_divisor_one_is_the_product(void **state)
{
	assert_int_equal(vapic_mul_div_u64(0, UINT64_MAX, 1), 0);
	assert_int_equal(vapic_mul_div_u64(123456789, 1000, 1),
			 123456789000ULL);
	assert_int_equal(vapic_mul_div_u64(UINT64_MAX, 1, 1), UINT64_MAX);
	assert_int_equal(
		vapic_mul_div_u64_ceil(0xffffffffULL, 0xffffffffULL, 1),
		0xfffffffe00000001ULL);
}

static void mul_div_quotient_overflow_saturates(void **state)
{
	assert_int_equal(vapic_mul_div_u64(UINT64_MAX, 2, 1), UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64(UINT64_MAX, UINT64_MAX, 2),
			 UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64(1ULL << 63, 4, 2), UINT64_MAX);
	/* Exactly 2^64: one past the largest quotient. */
	assert_int_equal(vapic_mul_div_u64(1ULL << 32, 1ULL << 32, 1),
			 UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64_ceil(1ULL << 32, 1ULL << 32, 1),
			 UINT64_MAX);
}

static void mul_div_ceil_saturates_when_floor_is_max(void **state)
{
	/*
	 * (2^48 - 1)(2^48 + 1) = 2^96 - 1 = 2^32 (2^64 - 1) + 2^32 - 1:
	 * floor is UINT64_MAX, the remainder is non-zero, so the ceiling
	 * is 2^64 and must saturate (not wrap to 0).
	 */
	uint64_t a = (1ULL << 48) - 1, b = (1ULL << 48) + 1;

	assert_int_equal(vapic_mul_div_u64(a, b, 1ULL << 32), UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64_ceil(a, b, 1ULL << 32), UINT64_MAX);
	/* Exact quotients near the top do not round. */
	assert_int_equal(vapic_mul_div_u64_ceil(UINT64_MAX - 1, 3, 3),
			 UINT64_MAX - 1);
	assert_int_equal(vapic_mul_div_u64_ceil(UINT64_MAX, 2, 3),
			 12297829382473034410ULL);
}

static void mul_div_zero_divisor_returns_max(void **state)
{
	assert_int_equal(vapic_mul_div_u64(0, 0, 0), UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64(5, 7, 0), UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64_ceil(0, 0, 0), UINT64_MAX);
	assert_int_equal(vapic_mul_div_u64_ceil(5, 7, 0), UINT64_MAX);
}

static void mul_div_zero_operand_is_zero(void **state)
{
	assert_int_equal(vapic_mul_div_u64(0, UINT64_MAX, 3), 0);
	assert_int_equal(vapic_mul_div_u64(UINT64_MAX, 0, 3), 0);
	assert_int_equal(vapic_mul_div_u64_ceil(0, UINT64_MAX, UINT64_MAX), 0);
}

static void mul_div_ceil_rounds_up_only_with_remainder(void **state)
{
	assert_int_equal(vapic_mul_div_u64(10, 1, 3), 3);
	assert_int_equal(vapic_mul_div_u64_ceil(10, 1, 3), 4);
	assert_int_equal(vapic_mul_div_u64(9, 1, 3), 3);
	assert_int_equal(vapic_mul_div_u64_ceil(9, 1, 3), 3);
	assert_int_equal(vapic_mul_div_u64_ceil(1, 1, UINT64_MAX), 1);
	assert_int_equal(vapic_mul_div_u64(1, 1, UINT64_MAX), 0);
}

/* ---------------------------------------------------------------------- */
/* TSC <-> ns                                                             */

static const uint32_t khzs[] = {
	1000, /* 1 MHz */
	1, /* the math accepts any non-zero frequency */
	999,
	1001,
	32768,
	1000000,
	1193182,
	2596136, /* this machine */
	3000000,
	10000000, /* 10 GHz */
	VAPIC_KHZ_MAX,
};

static void tsc_ns_conversions_match_reference(void **state)
{
	uint64_t s = 77;
	size_t i, j;
	int k;

	for (i = 0; i < sizeof(khzs) / sizeof(khzs[0]); i++) {
		uint32_t khz = khzs[i];

		for (j = 0; j < NEDGES; j++) {
			uint64_t v = edges[j];

			assert_int_equal(vapic_tsc_to_ns(v, khz),
					 ref_mul_div(v, 1000000, khz, false));
			assert_int_equal(vapic_tsc_to_ns_ceil(v, khz),
					 ref_mul_div(v, 1000000, khz, true));
			assert_int_equal(vapic_ns_to_tsc(v, khz),
					 ref_mul_div(v, khz, 1000000, false));
			assert_int_equal(vapic_ns_to_tsc_ceil(v, khz),
					 ref_mul_div(v, khz, 1000000, true));
		}
		for (k = 0; k < 5000; k++) {
			uint64_t v = rnd_u64(&s);

			assert_int_equal(vapic_tsc_to_ns(v, khz),
					 ref_mul_div(v, 1000000, khz, false));
			assert_int_equal(vapic_ns_to_tsc_ceil(v, khz),
					 ref_mul_div(v, khz, 1000000, true));
		}
	}
}

static void tsc_ns_hand_computed_values(void **state)
{
	/* 1 MHz: 1 cycle = 1000 ns. */
	assert_int_equal(vapic_tsc_to_ns(1, 1000), 1000);
	assert_int_equal(vapic_ns_to_tsc(999, 1000), 0);
	assert_int_equal(vapic_ns_to_tsc_ceil(999, 1000), 1);
	assert_int_equal(vapic_ns_to_tsc(1000, 1000), 1);
	/* 10 GHz: 1 ns = 10 cycles; 1 cycle = 0.1 ns. */
	assert_int_equal(vapic_ns_to_tsc(1, 10000000), 10);
	assert_int_equal(vapic_tsc_to_ns(9, 10000000), 0);
	assert_int_equal(vapic_tsc_to_ns_ceil(9, 10000000), 1);
	assert_int_equal(vapic_tsc_to_ns(10, 10000000), 1);
	/* 2.596136 GHz: 1 s = 2596136000 cycles. */
	assert_int_equal(vapic_ns_to_tsc(1000000000, 2596136), 2596136000ULL);
	assert_int_equal(vapic_tsc_to_ns(2596136000ULL, 2596136), 1000000000);
	assert_int_equal(vapic_tsc_to_ns(1, 2596136), 0);
	assert_int_equal(vapic_tsc_to_ns_ceil(1, 2596136), 1);
	/* 3 cycles at 2.596136 GHz = 1.1555... ns. */
	assert_int_equal(vapic_tsc_to_ns(3, 2596136), 1);
	assert_int_equal(vapic_tsc_to_ns_ceil(3, 2596136), 2);
}

static void tsc_ns_saturate_on_overflow(void **state)
{
	/* UINT64_MAX cycles at 1 MHz is 1.8e22 ns: saturates. */
	assert_int_equal(vapic_tsc_to_ns(UINT64_MAX, 1000), UINT64_MAX);
	assert_int_equal(vapic_tsc_to_ns_ceil(UINT64_MAX, 1000), UINT64_MAX);
	assert_int_equal(vapic_ns_to_tsc(UINT64_MAX, VAPIC_KHZ_MAX),
			 UINT64_MAX);
	assert_int_equal(vapic_ns_to_tsc_ceil(UINT64_MAX, 10000000),
			 UINT64_MAX);
	/* The largest ns that still converts at 10 GHz. */
	assert_int_equal(vapic_ns_to_tsc(UINT64_MAX / 10, 10000000),
			 UINT64_MAX / 10 * 10);
	assert_int_equal(vapic_tsc_to_ns(0, 0), UINT64_MAX);
	assert_int_equal(vapic_tsc_to_ns_ceil(5, 0), UINT64_MAX);
}

static void tsc_ns_floor_ceil_round_trips(void **state)
{
	uint64_t s = 4242;
	size_t i;
	int k;

	for (i = 0; i < sizeof(khzs) / sizeof(khzs[0]); i++) {
		uint32_t khz = khzs[i];

		for (k = 0; k < 2000; k++) {
			uint64_t t = rnd_u64(&s) >> 8;
			uint64_t ns_c = vapic_tsc_to_ns_ceil(t, khz);
			uint64_t ns_f = vapic_tsc_to_ns(t, khz);

			if (ns_c == UINT64_MAX)
				continue;
			/* Waiting ceil(ns) covers t cycles; floor(ns) not more.
			 */
			assert_true(vapic_ns_to_tsc(ns_c, khz) >= t);
			assert_true(vapic_ns_to_tsc(ns_f, khz) <= t);
			assert_true(ns_c - ns_f <= 1);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* TSC scaling                                                            */

static void tsc_scale_unity_ratio_is_identity(void **state)
{
	size_t i;

	for (i = 0; i < NEDGES; i++)
		assert_int_equal(vapic_tsc_scale(edges[i], VAPIC_TSC_RATIO_ONE),
				 edges[i]);
}

static void tsc_scale_ratios_far_from_one(void **state)
{
	const uint64_t ratios[] = {
		1, /* 2^-48: granularity */
		2,
		VAPIC_TSC_RATIO_ONE / 1000, /* ~1/1000 */
		VAPIC_TSC_RATIO_ONE / 3,
		VAPIC_TSC_RATIO_ONE - 1,
		VAPIC_TSC_RATIO_ONE + 1,
		VAPIC_TSC_RATIO_ONE * 1000, /* 1000x */
		VAPIC_TSC_RATIO_ONE * 65535,
		UINT64_MAX,
	};
	uint64_t s = 31337;
	size_t i, j;
	int k;

	for (i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		for (j = 0; j < NEDGES; j++)
			assert_int_equal(vapic_tsc_scale(edges[j], ratios[i]),
					 ref_scale(edges[j], ratios[i]));
		for (k = 0; k < 2000; k++) {
			uint64_t t = rnd_u64(&s);

			assert_int_equal(vapic_tsc_scale(t, ratios[i]),
					 ref_scale(t, ratios[i]));
		}
	}
	/* Hand values: 2^-48 steps. */
	assert_int_equal(vapic_tsc_scale(1ULL << 48, 1), 1);
	assert_int_equal(vapic_tsc_scale((1ULL << 48) - 1, 1), 0);
	assert_int_equal(vapic_tsc_scale(1ULL << 48, VAPIC_TSC_RATIO_ONE + 1),
			 (1ULL << 48) + 1);
	assert_int_equal(vapic_tsc_scale(1000000, VAPIC_TSC_RATIO_ONE * 1000),
			 1000000000);
	/* ~1/1000 ratio truncates: floor(2^48/1000) / 2^48 * 10^6 < 1000. */
	assert_int_equal(vapic_tsc_scale(1000000, VAPIC_TSC_RATIO_ONE / 1000),
			 999);
	/* The 128-bit product is truncated to 64 bits, as hardware does. */
	assert_int_equal(vapic_tsc_scale(UINT64_MAX, VAPIC_TSC_RATIO_ONE * 2),
			 UINT64_MAX - 1);
	assert_int_equal(vapic_tsc_scale(1ULL << 63, VAPIC_TSC_RATIO_ONE * 4),
			 0);
}

/* ---------------------------------------------------------------------- */
/* struct vapic_clock                                                     */

static void clock_init_computes_kvm_ratio(void **state)
{
	struct vapic_clock c;

	assert_int_equal(vapic_clock_init(&c, 2500000, 2500000, 7), 0);
	assert_int_equal(c.ratio, VAPIC_TSC_RATIO_ONE);
	assert_int_equal(c.offset, 7);
	assert_int_equal(c.host_tsc_khz, 2500000);
	assert_int_equal(c.guest_tsc_khz, 2500000);
	assert_int_equal(vapic_clock_init(&c, 3000000, 1000000, 0), 0);
	assert_int_equal(c.ratio, (uint64_t)(((u128)1000000 << 48) / 3000000));
	assert_int_equal(vapic_clock_init(&c, 1000, VAPIC_KHZ_MAX, 0), 0);
	assert_int_equal(c.ratio,
			 (uint64_t)(((u128)VAPIC_KHZ_MAX << 48) / 1000));
	assert_int_equal(vapic_clock_init(&c, VAPIC_KHZ_MAX, 1, 0), 0);
	assert_int_equal(c.ratio, (1ULL << 48) / VAPIC_KHZ_MAX);
	/* The largest ratio that fits: 65535x. */
	assert_int_equal(vapic_clock_init(&c, 1, 65535, 0), 0);
	assert_int_equal(c.ratio, 65535ULL << 48);
}

static void clock_init_rejects_bad_arguments_unchanged(void **state)
{
	struct vapic_clock c, before;

	memset(&c, 0xa5, sizeof(c));
	before = c;
	assert_int_equal(vapic_clock_init(NULL, 1000, 1000, 0), VAPIC_EINVAL);
	assert_int_equal(vapic_clock_init(&c, 0, 1000, 0), VAPIC_EINVAL);
	assert_int_equal(vapic_clock_init(&c, 1000, 0, 0), VAPIC_EINVAL);
	assert_int_equal(vapic_clock_init(&c, VAPIC_KHZ_MAX + 1, 1000, 0),
			 VAPIC_ERANGE);
	assert_int_equal(vapic_clock_init(&c, 1000, VAPIC_KHZ_MAX + 1, 0),
			 VAPIC_ERANGE);
	assert_int_equal(vapic_clock_init(&c, 0xffffffffU, 1000, 0),
			 VAPIC_ERANGE);
	/* 65536x: the ratio needs 2^64, beyond the fixed-point format. */
	assert_int_equal(vapic_clock_init(&c, 1, 65536, 0), VAPIC_ERANGE);
	assert_int_equal(vapic_clock_init(&c, 100, VAPIC_KHZ_MAX, 0),
			 VAPIC_ERANGE);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void clock_guest_tsc_scales_then_offsets(void **state)
{
	struct vapic_clock c;

	assert_int_equal(vapic_clock_init(&c, 2000000, 1000000, 100), 0);
	assert_int_equal(vapic_clock_guest_tsc(&c, 0), 100);
	assert_int_equal(vapic_clock_guest_tsc(&c, 2000000001ULL),
			 1000000000ULL + 100);
	c.ratio = VAPIC_TSC_RATIO_ONE * 1000;
	c.offset = 0;
	assert_int_equal(vapic_clock_guest_tsc(&c, 123), 123000);
}

static void clock_offset_wraps_modulo_2_64(void **state)
{
	struct vapic_clock c;

	assert_int_equal(
		vapic_clock_init(&c, 1000000, 1000000, UINT64_MAX - 10), 0);
	assert_int_equal(vapic_clock_guest_tsc(&c, 10), UINT64_MAX);
	assert_int_equal(vapic_clock_guest_tsc(&c, 11), 0);
	assert_int_equal(vapic_clock_guest_tsc(&c, 100), 89);
	/* A "negative" offset (guest behind the host). */
	c.offset = (uint64_t)-1000;
	assert_int_equal(vapic_clock_guest_tsc(&c, 5000), 4000);
}

static void clock_offset_for_round_trips(void **state)
{
	const uint32_t pairs[][2] = {
		{ 2500000, 2500000 },	 { 2596136, 1000000 },
		{ 1000, VAPIC_KHZ_MAX }, { VAPIC_KHZ_MAX, 1000 },
		{ 3000000, 2999999 },
	};
	uint64_t s = 99;
	size_t i;
	int k;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct vapic_clock c;

		assert_int_equal(vapic_clock_init(&c, pairs[i][0], pairs[i][1],
						  rnd_u64(&s)),
				 0);
		for (k = 0; k < 1000; k++) {
			uint64_t host = rnd_u64(&s), guest = rnd_u64(&s);

			c.offset = vapic_clock_offset_for(&c, host, guest);
			assert_int_equal(vapic_clock_guest_tsc(&c, host),
					 guest);
			/* And it runs on at the clock's rate from there. */
			if (host < UINT64_MAX - 1000000)
				assert_int_equal(
					vapic_clock_guest_tsc(&c,
							      host + 1000000) -
						guest,
					ref_scale(host + 1000000, c.ratio) -
						ref_scale(host, c.ratio));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mul_div_matches_reference_on_edge_values),
		cmocka_unit_test(mul_div_matches_reference_on_random_values),
		cmocka_unit_test(mul_div_product_just_over_2_64),
		cmocka_unit_test(mul_div_divisor_one_is_the_product),
		cmocka_unit_test(mul_div_quotient_overflow_saturates),
		cmocka_unit_test(mul_div_ceil_saturates_when_floor_is_max),
		cmocka_unit_test(mul_div_zero_divisor_returns_max),
		cmocka_unit_test(mul_div_zero_operand_is_zero),
		cmocka_unit_test(mul_div_ceil_rounds_up_only_with_remainder),
		cmocka_unit_test(tsc_ns_conversions_match_reference),
		cmocka_unit_test(tsc_ns_hand_computed_values),
		cmocka_unit_test(tsc_ns_saturate_on_overflow),
		cmocka_unit_test(tsc_ns_floor_ceil_round_trips),
		cmocka_unit_test(tsc_scale_unity_ratio_is_identity),
		cmocka_unit_test(tsc_scale_ratios_far_from_one),
		cmocka_unit_test(clock_init_computes_kvm_ratio),
		cmocka_unit_test(clock_init_rejects_bad_arguments_unchanged),
		cmocka_unit_test(clock_guest_tsc_scales_then_offsets),
		cmocka_unit_test(clock_offset_wraps_modulo_2_64),
		cmocka_unit_test(clock_offset_for_round_trips),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
