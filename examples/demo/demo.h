/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vapic-demo internals: the built-in scenarios (scenarios.c).
 */
#ifndef VAPIC_DEMO_H
#define VAPIC_DEMO_H

/**
 * struct demo_scenario - a built-in scenario.
 * @name: what --scenario takes.
 * @what: one line for --list.
 * @script: the scenario, in the language of demo.c.
 */
struct demo_scenario {
	const char *name;
	const char *what;
	const char *script;
};

/* Terminated by an entry with a NULL name. */
extern const struct demo_scenario demo_scenarios[];

#endif /* VAPIC_DEMO_H */
