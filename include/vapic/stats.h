/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic statistics descriptors.
 *
 * Every component keeps its counters in a plain struct of uint64_t (the
 * host reads it at any time) and publishes a table of descriptors naming
 * each counter in kvm_stat style, so a host can print or export all stats
 * generically without knowing the struct layouts.
 */
#ifndef VAPIC_STATS_H
#define VAPIC_STATS_H

#include <vapic/types.h>

/**
 * struct vapic_stat_desc - name and location of one counter, for printing
 * stats generically (kvm_stat naming).
 * @name: e.g. "timer_injections".
 * @offset: byte offset of the uint64_t counter in its stats struct.
 * @count: number of consecutive uint64_t (1, or the histogram size).
 */
struct vapic_stat_desc {
	const char *name;
	uint32_t offset;
	uint32_t count;
};

#endif /* VAPIC_STATS_H */
