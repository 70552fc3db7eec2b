/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vapic-vmm: a token bucket for log lines.  Up to @burst lines go out at
 * once, then one per @period_ns; the lines it holds back are counted, and
 * the next line it lets through is told how many came before it.  (A host
 * whose timer keeps failing, or whose clock keeps being slewed, would
 * otherwise print a libvapic warning per timer tick.)
 */
#ifndef VMM_RATELIMIT_H
#define VMM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t period_ns;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_ns; /* time the tokens were last topped up to */
	uint64_t held; /* lines held back since the last one let through */
	bool started;
};

/* @burst >= 1 lines at once, then one per @period_ns (>= 1). */
static inline void ratelimit_init(struct ratelimit *rl, uint32_t burst,
				  uint64_t period_ns)
{
	rl->period_ns = period_ns ? period_ns : 1;
	rl->burst = burst ? burst : 1;
	rl->tokens = rl->burst;
	rl->last_ns = 0;
	rl->held = 0;
	rl->started = false;
}

/*
 * May a line go out at @now_ns?  If so, *@held is the number of lines held
 * back just before it.  A clock that goes back tops nothing up.
 */
static inline bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ns,
				   uint64_t *held)
{
	uint64_t n;

	if (!rl->started) {
		rl->started = true;
		rl->last_ns = now_ns;
	}
	if (now_ns > rl->last_ns) {
		n = (now_ns - rl->last_ns) / rl->period_ns;
		if (n >= rl->burst - rl->tokens) {
			rl->tokens = rl->burst;
			rl->last_ns = now_ns;
		} else if (n) {
			rl->tokens += (uint32_t)n;
			rl->last_ns += n * rl->period_ns;
		}
	}
	if (!rl->tokens) {
		rl->held++;
		return false;
	}
	rl->tokens--;
	*held = rl->held;
	rl->held = 0;
	return true;
}

#endif /* VMM_RATELIMIT_H */
