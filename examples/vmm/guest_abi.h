/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The VMM <-> test-guest ABI: I/O ports and the report record.  Shared by
 * examples/vmm (the VMM) and examples/vmm/guests (freestanding guests), so
 * it uses only fixed-width types.
 *
 * Ports (besides the standard ones: serial 0x3f8, exit 0xf4, fw_cfg
 * 0x510/0x511, PIC masks 0x21/0xa1):
 *   GUEST_PORT_REPORT (32-bit OUT): guest-physical address of a struct
 *	guest_report; the VMM copies it (and the samples it points to) at
 *	once, so the guest may reuse the memory after the OUT.
 */
#ifndef VMM_GUEST_ABI_H
#define VMM_GUEST_ABI_H

#include <stdint.h>

#define GUEST_PORT_EXIT 0xf4
#define GUEST_PORT_REPORT 0x520

#define GUEST_REPORT_MAGIC 0x54504552U /* "REPT" */

/** enum guest_report_type - what a report carries. */
enum guest_report_type {
	/** @GUEST_REPORT_CHECK: one conformance check: @value[0] = 1 pass. */
	GUEST_REPORT_CHECK = 1,
	/**
	 * @GUEST_REPORT_SAMPLES: @count signed 64-bit samples at
	 *	@data_gpa, in guest TSC cycles; @name says what they are
	 *	("timer_latency", "pingpong_rtt").
	 */
	GUEST_REPORT_SAMPLES = 2,
	/** @GUEST_REPORT_COUNTER: a named counter in @value[0]. */
	GUEST_REPORT_COUNTER = 3,
	/** @GUEST_REPORT_PHASE: a measured phase starts (@value[0]=1) / ends.
	 */
	GUEST_REPORT_PHASE = 4,
};

#define GUEST_REPORT_NAME_LEN 48

/**
 * struct guest_report - one report.
 * @magic: GUEST_REPORT_MAGIC.
 * @type: enum guest_report_type.
 * @cpu: reporting CPU index.
 * @count: number of samples (GUEST_REPORT_SAMPLES).
 * @data_gpa: samples (GUEST_REPORT_SAMPLES).
 * @value: type-specific values.
 * @name: NUL-terminated name.
 */
struct guest_report {
	uint32_t magic;
	uint32_t type;
	uint32_t cpu;
	uint32_t count;
	uint64_t data_gpa;
	int64_t value[4];
	char name[GUEST_REPORT_NAME_LEN];
};

_Static_assert(sizeof(struct guest_report) == 104, "report ABI");

#endif /* VMM_GUEST_ABI_H */
