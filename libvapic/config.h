/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Compile-time knobs of the core.  Each is #ifndef-guarded so a build can
 * override it with -D; code tests them with if (X), never #ifdef, so every
 * branch is compiled in every build.
 */
#ifndef VAPIC_CONFIG_H
#define VAPIC_CONFIG_H

/* Count early injections in stats (a self-check; costs one compare). */
#ifndef VAPIC_CONFIG_CHECK_EARLY
#define VAPIC_CONFIG_CHECK_EARLY 1
#endif

/* Log guest misbehaviour through host_ops.log (rare paths only). */
#ifndef VAPIC_CONFIG_LOG_GUEST
#define VAPIC_CONFIG_LOG_GUEST 1
#endif

/*
 * Timer fast paths (TSC-deadline write, deadline expiry + inject, idle
 * poll).  0 takes the general path always: same behaviour, more
 * instructions; the test suite builds the core both ways and compares.
 */
#ifndef VAPIC_CONFIG_TIMER_FASTPATH
#define VAPIC_CONFIG_TIMER_FASTPATH 1
#endif

#endif /* VAPIC_CONFIG_H */
