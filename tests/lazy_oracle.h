/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The guest's "never early" oracle of lazy TSC-deadline
 * (docs/lazy-tscdeadline.md), shared by the fuzz target fuzz/lazy_fuzz.c,
 * the threaded stress test tests/stress/lazy_stress.c and the benchmark
 * examples/lazy_bench.c: the history of the deadlines the guest set, and
 * the rule that says whether a timer interrupt delivered at a given time,
 * for a given deadline, was justified by it.
 * Header-only (static inline); a user may define LAZY_ORACLE_HIST (entries
 * in the history ring, at least 2) before including it.
 *
 * Time: deadlines and instants are on one timeline, the guest TSC.  Both
 * users run the guest TSC at 1 GHz from 0, so an instant in ns is also a
 * guest TSC value.
 *
 * Concurrency: none here, on purpose.  One thread owns a struct lazy_oracle
 * and is the only one to read or write it (the stress test: the guest
 * thread, which records its own deadlines and judges the raises the host
 * logged in a ring of its own).  No lock and no atomic: synchronisation
 * added by the oracle could hide the very race or missing barrier under
 * test.
 */
#ifndef VAPIC_TESTS_LAZY_ORACLE_H
#define VAPIC_TESTS_LAZY_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#ifndef LAZY_ORACLE_HIST
#define LAZY_ORACLE_HIST 256
#endif

_Static_assert(LAZY_ORACLE_HIST >= 2,
	       "the current and the superseded entry need two slots");

/* One set_next_event() of the guest. */
struct lazy_oracle_ent {
	uint64_t deadline_tsc;	/* 0: disarm */
	uint64_t start_tsc;	/* the call began (before G1) */
	uint64_t sup_tsc;	/* superseded then; 0 while current */
	bool taken;		/* delivered as its own deadline (rule (a)) */
};

/* The guest's deadlines, newest at @head.  Zeroed: no deadline yet. */
struct lazy_oracle {
	struct lazy_oracle_ent hist[LAZY_ORACLE_HIST];
	unsigned int head;	/* index of the current entry */
};

/* The entry @k sets before the current one (0: the current one). */
static inline struct lazy_oracle_ent *lazy_oracle_ago(struct lazy_oracle *o,
						      unsigned int k)
{
	return &o->hist[(o->head + LAZY_ORACLE_HIST - k) % LAZY_ORACLE_HIST];
}

/* The guest's current deadline. */
static inline struct lazy_oracle_ent *lazy_oracle_cur(struct lazy_oracle *o)
{
	return &o->hist[o->head];
}

/* @e stops being current at @now_tsc (unless it already has). */
static inline void lazy_oracle_supersede(struct lazy_oracle_ent *e,
					 uint64_t now_tsc)
{
	if (!e->sup_tsc)
		e->sup_tsc = now_tsc;
}

/*
 * A set_next_event(@deadline_tsc) begins at @start_tsc: the new current
 * entry.  Returns the entry it replaces, which the caller supersedes (with
 * lazy_oracle_supersede()) when the call has taken effect.
 */
static inline struct lazy_oracle_ent *lazy_oracle_set(struct lazy_oracle *o,
						      uint64_t deadline_tsc,
						      uint64_t start_tsc)
{
	struct lazy_oracle_ent *prev = lazy_oracle_cur(o);

	o->head = (o->head + 1) % LAZY_ORACLE_HIST;
	o->hist[o->head] =
		(struct lazy_oracle_ent){ deadline_tsc, start_tsc, 0, false };
	return prev;
}

/*
 * Is a timer interrupt raised at @at_tsc, delivering @deadline_tsc, not
 * early?  Justified (a) by the newest entry for @deadline_tsc if it was due
 * at @at_tsc and not superseded before it was due (a real LAPIC fired it
 * before the overwrite); *@a gets that entry, for the caller's duplicate
 * check; or (b) by any entry that may have been current at @at_tsc and was
 * due then (*@a NULL).  A deadline superseded before it was due justifies
 * nothing.
 */
static inline bool lazy_oracle_justified(struct lazy_oracle *o, uint64_t at_tsc,
					 uint64_t deadline_tsc,
					 struct lazy_oracle_ent **a)
{
	*a = NULL;
	for (unsigned int k = 0; k < LAZY_ORACLE_HIST && deadline_tsc; k++) {
		struct lazy_oracle_ent *e = lazy_oracle_ago(o, k);

		if (e->deadline_tsc != deadline_tsc)
			continue;
		if (deadline_tsc <= at_tsc &&
		    (!e->sup_tsc || deadline_tsc <= e->sup_tsc))
			*a = e;
		break;
	}
	if (*a)
		return true;
	for (unsigned int k = 0; k < LAZY_ORACLE_HIST; k++) {
		struct lazy_oracle_ent *e = lazy_oracle_ago(o, k);

		if (!e->deadline_tsc || e->start_tsc > at_tsc ||
		    (e->sup_tsc && e->sup_tsc < at_tsc))
			continue;
		if (e->deadline_tsc <= at_tsc)
			return true;
	}
	return false;
}

#endif /* VAPIC_TESTS_LAZY_ORACLE_H */
