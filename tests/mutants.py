#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Mutation check of the unit tests: every test must be able to fail.

Copies the tracked sources to a scratch directory, builds the unit tests
there once, then for each mutant below applies one small source change
(a deliberate bug), rebuilds incrementally, runs the unit-test programs and
expects at least one of them to fail.  Prints a table (mutant -> tests that
caught it) and exits non-zero if a mutant survived or the unmutated tree
fails.  Not part of 'meson test' (it rebuilds ~40 times); run it by hand:

    nice python3 tests/mutants.py [--keep] [name-filter]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, file, old, new): replace the first occurrence of old by new.
MUTANTS = [
    # clock.c
    ("ceil-ignores-remainder-1", "libvapic/clock.c",
     "\tif (rem) {\n\t\tif (q == UINT64_MAX)", "\tif (rem > 1) {\n\t\tif (q == UINT64_MAX)"),
    ("long-division-drops-carry", "libvapic/clock.c",
     "if (carry || r >= d)", "if ((carry & 0) || r >= d)"),
    ("ratio-overflow-accepted", "libvapic/clock.c",
     "if (!ratio || ratio == UINT64_MAX)", "if (!ratio)"),
    ("ns-per-ms-off-by-one", "libvapic/clock.c",
     "#define NSEC_PER_MSEC 1000000U", "#define NSEC_PER_MSEC 1000001U"),
    ("offset-for-ignores-ratio", "libvapic/clock.c",
     "return guest_tsc - vapic_tsc_scale(host_tsc, c->ratio);",
     "return guest_tsc - host_tsc;"),
    # timer.c: advance
    ("advance-step-quarter", "libvapic/timer_fast.h",
     "step = (u32)((mag * t->adv_step_mult) >> (39 + 3));",
     "step = (u32)((mag * t->adv_step_mult) >> (39 + 2));"),
    ("advance-no-reset-past-max", "libvapic/timer_fast.h",
     "if (adv > VAPIC_ADVANCE_NS_MAX)", "if (adv > VAPIC_ADVANCE_NS_MAX + 2000)"),
    ("advance-min-window-exclusive", "libvapic/timer_fast.h",
     "mag < VAPIC_ADVANCE_ADJUST_MIN_TSC", "mag <= VAPIC_ADVANCE_ADJUST_MIN_TSC"),
    ("advance-window-in-ns", "libvapic/timer_fast.h",
     "\tu32 step;\n\n\tif (t->cfg.advance_ns != VAPIC_ADVANCE_ADAPTIVE)",
     "\tu32 step;\n\n\tmag = vapic_tsc_to_ns(mag, t->cfg.guest_tsc_khz);\n\tif (t->cfg.advance_ns != VAPIC_ADVANCE_ADAPTIVE)"),
    ("arm-without-advance", "libvapic/timer_fast.h",
     "\t\t    delta_ns, (u64)VAPIC_READ_ONCE(t->advance_ns), &delta_ns))",
     "\t\t    delta_ns, (u64)0 * VAPIC_READ_ONCE(t->advance_ns), &delta_ns))"),
    ("posted-double-advance-sample", "libvapic/timer.c",
     "\t\tt->measured = true;\n\t\tvapic_store_release(&t->fired, 1);",
     "\t\tvapic_store_release(&t->fired, 1);"),
    # timer.c: never early
    ("inject-3-cycles-early", "libvapic/timer.c",
     "\tif (!timer_due_(t, now, t->target_tsc)) {\n\t\tif (!t->in_window)",
     "\tif (!timer_due_(t, now + 3, t->target_tsc)) {\n\t\tif (!t->in_window)"),
    ("wait-rounds-down", "libvapic/timer.c",
     "*wait_ns = vapic_tsc_to_ns_ceil(t->target_tsc - now,",
     "*wait_ns = vapic_tsc_to_ns(t->target_tsc - now,"),
    ("write-loses-due-tick", "libvapic/timer.c",
     "\t(void)sync(t, now, &wait_ns);\n\tt->in_window = false;",
     "\t(void)wait_ns;\n\tt->in_window = false;"),
    ("past-deadline-arms-host-timer", "libvapic/timer.c",
     "\tif (timer_due_(t, now, t->target_tsc) && !lazy_check(t, now)) {\n\t\tu64 due = due_tsc_at(t, now);",
     "\tif (0 && !lazy_check(t, now)) {\n\t\tu64 due = due_tsc_at(t, now);"),
    # timer.c: guest TSC wrap (one-shot / periodic modulo 2^64, TSC-deadline unsigned)
    ("wrap-positions-compared-unsigned", "libvapic/timer_fast.h",
     "\treturn (s64)(now - target_tsc) >= 0;", "\treturn now >= target_tsc;"),
    ("wrap-tsc-deadline-compared-signed", "libvapic/timer_fast.h",
     "\t\treturn timer_tscd_reached_(t->start_tsc, now, target_tsc);\n\treturn (s64)",
     "\t\treturn (s64)(now - target_tsc) >= 0;\n\treturn (s64)"),
    # TSC deadline reached before the wrap, processed after it
    ("wrap-tsc-deadline-reached-compares-now", "libvapic/timer_fast.h",
     "\treturn now - base_tsc >= deadline_tsc - base_tsc;",
     "\treturn now + 0 * base_tsc >= deadline_tsc;"),
    ("wrap-tsc-deadline-write-fast-overwrites-reached", "libvapic/timer_fast.h",
     "timer_tscd_ahead_(t->start_tsc, now,\n\t\t\t\t\t\t\t   t->target_tsc)))) {",
     "now < t->target_tsc))) {"),
    ("wrap-tsc-deadline-msr-read-compares-now", "libvapic/timer.c",
     "\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), s.tsc_deadline))",
     "\tif (timer_now_tsc_(t) >= s.tsc_deadline)"),
    ("tsc-change-syncs-at-new-tsc", "libvapic/timer.c",
     "\tnow = begin_write_before(t, d) + d;",
     "\tnow = begin_write_before(t, 0);"),
    ("wrap-tsc-change-keeps-deadline-base", "libvapic/timer.c",
     "\tif (t->running && mode == VAPIC_TIMER_TSC_DEADLINE)\n\t\tVAPIC_WRITE_ONCE(t->start_tsc,",
     "\tif (0 && t->running && mode == VAPIC_TIMER_TSC_DEADLINE)\n\t\tVAPIC_WRITE_ONCE(t->start_tsc,"),
    ("tsc-deadline-restore-base-now", "libvapic/timer_state.c",
     "\t\t\tt->start_tsc = timer_tscd_base_(now, s->tsc_deadline);",
     "\t\t\tt->start_tsc = now;"),
    ("wrap-load-regs-forgets-reached-deadline", "libvapic/timer_state.c",
     "\t\t\t\treached ? t->tsc_deadline\n",
     "\t\t\t\t(reached & 0) ? t->tsc_deadline\n"),
    ("wrap-rearm-compares-unsigned", "libvapic/timer.c",
     "\tif (timer_due_(t, now, t->target_tsc) && !lazy_check(t, now)) {",
     "\tif (now >= t->target_tsc && !lazy_check(t, now)) {"),
    ("wrap-sync-compares-unsigned", "libvapic/timer.c",
     "\tif (!timer_due_(t, now, t->target_tsc)) {\n\t\tif (!t->in_window)",
     "\tif (now < t->target_tsc) {\n\t\tif (!t->in_window)"),
    ("wrap-posted-callback-compares-unsigned", "libvapic/timer.c",
     "\tif (!timer_due_(t, now, target)) {", "\tif (now < target) {"),
    ("wrap-has-event-compares-unsigned", "libvapic/timer.c",
     "\t       timer_due_(t, timer_now_tsc_(t), s.target_tsc);",
     "\t       timer_now_tsc_(t) >= s.target_tsc;"),
    ("wrap-early-check-unsigned", "libvapic/timer.c",
     "(s64)(now - due_tsc) < 0)", "now < due_tsc)"),
    ("wrap-due-of-past-tsc-deadline-not-now", "libvapic/timer.c",
     "\treturn (s64)(now - target) < 0 ? now : target;", "\treturn target;"),
    ("wrap-haltpoll-compares-unsigned", "libvapic/timer.c",
     "\t\t*delta_tsc = timer_due_(t, now, due) ? 0 : due - now;",
     "\t\t*delta_tsc = due <= now ? 0 : due - now;"),
    # timer.c: registers
    ("tdcr-111b-divides-by-2", "libvapic/timer_int.h",
     "return idx == 7 ? 1 : 2U << idx;", "return idx == 7 ? 2 : 2U << idx;"),
    ("tdcr-change-keeps-time-not-fraction", "libvapic/timer.c",
     "\t\t\ttimer_position_set_(t, now, e2);", "\t\t\ttimer_position_set_(t, now, e.lo + 0 * e2);"),
    ("mode-switch-keeps-tmict", "libvapic/timer.c",
     "\t\t/* SDM: a write that changes the timer mode disarms it. */\n\t\tt->tmict = 0;",
     "\t\t/* SDM: a write that changes the timer mode disarms it. */"),
    ("x2apic-lvtt-reserved-not-checked", "libvapic/timer.c",
     "if ((val & rsvd) || mode == VAPIC_TIMER_MODE_RESERVED)",
     "if (mode == VAPIC_TIMER_MODE_RESERVED)"),
    ("sw-disabled-not-forcing-mask", "libvapic/timer.c",
     "\tif (t->sw_disabled)\n\t\tval |= VAPIC_LVT_MASKED;", ""),
    ("msr-write-outside-tsc-mode", "libvapic/timer.c",
     "\tif ((lvtt & VAPIC_LVTT_MODE_MASK) != TIMER_LVTT_TSCD_)\n\t\treturn 0; /* SDM: writes ignored in other modes */",
     ""),
    ("msr-read-at-deadline-not-zero", "libvapic/timer.c",
     "\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), s.tsc_deadline))",
     "\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), s.tsc_deadline + 1))"),
    ("tmcct-periodic-no-reload", "libvapic/timer.c",
     "\t\t(void)u128_div_(e, t->period_sub, &rem, &ovf);",
     "\t\trem = e.lo;\n\t\t(void)ovf;"),
    ("tmict-zero-keeps-running", "libvapic/timer.c",
     "\tif (!val) {\n\t\ttimer_stop_counting_(t);\n\t} else {",
     "\tif (!val) {\n\t} else {"),
    # timer.c: masked, min period, missed ticks
    ("masked-ticks-delivered", "libvapic/timer.c",
     "\tif (!timer_deliverable_(t)) {\n\t\tSTAT_ADD_(t->stats.masked, k);",
     "\tif (0) {\n\t\tSTAT_ADD_(t->stats.masked, k);"),
    ("min-period-halved", "libvapic/timer.c",
     "if (periodic && p < t->min_period_sub) {", "if (periodic && p < t->min_period_sub / 2) {"),
    ("missed-ticks-not-skipped", "libvapic/timer.c",
     "\t\tposition_advance(t, k);\n\t\treturn k;", "\t\tposition_advance(t, 1);\n\t\treturn k;"),
    ("catchup-uncapped", "libvapic/timer.c",
     "\t\tif (extra > room) {", "\t\tif (0) {"),
    ("coalesce-keeps-pending", "libvapic/timer.c",
     "\t\t\t\tSTAT_INC_(t->stats.coalesced);\n\t\t\t\tt->pending = false;",
     "\t\t\t\tSTAT_INC_(t->stats.coalesced);"),
    # timer.c: host-side changes
    ("tsc-jump-not-applied-to-count", "libvapic/timer.c",
     "VAPIC_WRITE_ONCE(t->start_tsc, t->start_tsc + d);", "(void)d;"),
    ("tsc-khz-change-keeps-arm-multiplier", "libvapic/timer.c",
     "\t/* Was missing: the host timer kept the old frequency's ns. */\n\tset_khz_consts(t);\n",
     ""),
    ("tsc-khz-change-drops-progress", "libvapic/timer.c",
     "\t\t\t     vapic_mul_u64_u64_shr(progress, t->period_sub, 64));",
     "\t\t\t     0 * progress);"),
    ("has-event-ignores-posted-owner", "libvapic/timer.c",
     "\tif (timer_posted_(t) && t->hw_armed)\n\t\treturn false;\n\tsnapshot(t, &s);",
     "\tsnapshot(t, &s);"),
    # timer.c: save/restore, init
    ("save-progress-floor", "libvapic/timer_state.c",
     "\t\tif (rem)\n\t\t\ts->progress++;", ""),
    ("restore-accepts-older-due-alone", "libvapic/timer_state.c",
     "\tif ((s->flags & VAPIC_TSTATE_DUE_OLD) && !(s->flags & VAPIC_TSTATE_DUE))\n\t\treturn VAPIC_ESTATE;",
     ""),
    ("restore-magic-unchecked", "libvapic/timer_state.c",
     "\tif (s->magic != VAPIC_TIMER_STATE_MAGIC)\n\t\treturn VAPIC_ESTATE;", ""),
    ("restore-version-is-estate", "libvapic/timer_state.c",
     "\t\treturn VAPIC_EVERSION;", "\t\treturn VAPIC_ESTATE;"),
    ("restore-tmcct-unchecked", "libvapic/timer_state.c",
     "\t\tif (running &&\n\t\t    s->tmcct != tmcct_from_progress(s->tmict, s->progress))\n\t\t\treturn VAPIC_ESTATE;",
     ""),
    ("restore-resets-before-validating", "libvapic/timer_state.c",
     "\tr = validate_state(t, s);\n\tif (r)\n\t\treturn r;\n\ttimer_cancel_hw_(t);\n\ttimer_reset_regs_(t);",
     "\ttimer_cancel_hw_(t);\n\ttimer_reset_regs_(t);\n\tr = validate_state(t, s);\n\tif (r)\n\t\treturn r;"),
    ("init-advance-range-unchecked", "libvapic/timer.c",
     "cfg->advance_ns > (s32)VAPIC_ADVANCE_FIXED_MAX_NS", "0"),
    ("early-fire-not-rearmed", "libvapic/timer.c",
     "\t\t(void)rearm(t, now); /* an early fire: arm again */", "\t\t(void)0;"),
    ("early-fire-bound-ignores-advance", "libvapic/timer.c",
     "\treturn vapic_tsc_to_ns(wait_tsc, t->cfg.guest_tsc_khz) >\n\t       adv + TIMER_EARLY_SLACK_NS;",
     "\treturn vapic_tsc_to_ns(wait_tsc, t->cfg.guest_tsc_khz) >\n\t       0 * adv + TIMER_EARLY_SLACK_NS;"),
    ("posted-catchup-posts-one-tick", "libvapic/timer.c",
     "\tif (vector < VAPIC_VECTOR_MIN_LEGAL || catchup_owed(t, now) ||",
     "\tif (vector < VAPIC_VECTOR_MIN_LEGAL || (catchup_owed(t, now) && 0) ||"),
    ("arm-failure-not-retried", "libvapic/timer.c",
     "\tif (VAPIC_UNLIKELY(t->need_arm))\n\t\t(void)rearm(t, now);", ""),
    ("lateness-bucket-off-by-one", "libvapic/timer_fast.h",
     "__builtin_clz((u32)(lo >> 31) | 1)", "__builtin_clz((u32)(lo >> 32) | 1)"),
    # lazy TSC-deadline (lazy.c, lazy_guest.c, hooks in timer.c).  Not
    # here, because no single-threaded test can see them: the two barriers
    # (G2 in lazy_guest.c, H2 in lazy.c) and publishing "armed" after
    # timer_arm() instead of before; the spin model (NO_FENCE,
    # NO_HOST_FENCE, PUBLISH_AFTER_ARM) and tests/stress (--litmus, and the
    # posted stress) catch those.
    ("lazy-write-reads-time-before-cancel", "libvapic/timer.c",
     "\ttimer_cancel_hw_(t);\n\tnow = timer_now_tsc_(t) - delta_tsc;",
     "\tnow = timer_now_tsc_(t) - delta_tsc;\n\ttimer_cancel_hw_(t);"),
    ("lazy-no-clear-when-idle", "libvapic/timer.c",
     "\tif (!t->running || !timer_deliverable_(t)) {\n\t\tlazy_publish_(t, 0);",
     "\tif (!t->running || !timer_deliverable_(t)) {"),
    ("lazy-no-clear-expired-at-write", "libvapic/timer.c",
     "\tif (timer_due_(t, now, t->target_tsc) && !lazy_check(t, now)) {\n\t\tu64 due = due_tsc_at(t, now);\n\n\t\tSTAT_INC_(t->stats.immediate);\n\t\tqueue_ticks(t, complete_expiry(t, now), due);\n\t\tif (!t->running) {\n\t\t\tlazy_publish_(t, 0);",
     "\tif (timer_due_(t, now, t->target_tsc)) {\n\t\tu64 due = due_tsc_at(t, now);\n\n\t\tSTAT_INC_(t->stats.immediate);\n\t\tqueue_ticks(t, complete_expiry(t, now), due);\n\t\tif (!t->running) {"),
    ("lazy-tscd-write-reads-time-before-cancel", "libvapic/timer_fast.h",
     "\tif (t->hw_armed)\n\t\tt->ops->timer_cancel(t->host);\n\t/* After the cancel, which may wait for a running callback. */\n\tnow = timer_now_tsc_(t);",
     "\tnow = timer_now_tsc_(t);\n\tif (t->hw_armed)\n\t\tt->ops->timer_cancel(t->host);"),
    ("fast-write-arm-failure-keeps-hw-armed", "libvapic/timer.c",
     "\t/* Cancelled before the arm; the write's fast path leaves it set. */\n\tt->hw_armed = false;\n",
     ""),
    ("fast-write-slow-return-keeps-hw-armed", "libvapic/timer_fast.h",
     "\tt->hw_armed = false;\n\tt->need_arm = false;\n\treturn TIMER_WRITE_SLOW_;",
     "\tt->need_arm = false;\n\treturn TIMER_WRITE_SLOW_;"),
    ("lazy-arm-failure-keeps-armed", "libvapic/timer.c",
     "\tlazy_publish_(t, 0); /* R2 */\n\treturn VAPIC_EHOST;", "\treturn VAPIC_EHOST;"),
    ("lazy-publishes-zero-when-armed", "libvapic/timer.c",
     "\tlazy_publish_(t, timer_mode_(t->lvtt) == VAPIC_TIMER_TSC_DEADLINE ?",
     "\tlazy_publish_(t, 0 && timer_mode_(t->lvtt) == VAPIC_TIMER_TSC_DEADLINE ?"),
    ("lazy-inject-before-rearm", "libvapic/timer.c",
     "\tif (lazy_check(t, now)) {\n\t\tt->in_window = false;\n\t\tt->measured = false;\n\t\treturn VAPIC_TIMER_INJECT;\n\t}\n\tif (t->in_window && !t->measured)",
     "\tdue = t->target_tsc;\n\tif (lazy_check(t, now)) {\n\t\tqueue_ticks(t, 1, due);\n\t\tt->in_window = false;\n\t\tt->measured = false;\n\t\treturn VAPIC_TIMER_INJECT;\n\t}\n\tif (t->in_window && !t->measured)"),
    ("lazy-window-waits-for-moved-deadline", "libvapic/timer.c",
     "\t\t/* Fired by the advance: a moved deadline needs no wait. */\n\t\tif (lazy_check(t, now)) {",
     "\t\tif (0) {"),
    ("lazy-posted-skips-arbitration", "libvapic/timer.c",
     "\tif (lazy_on_(t)) {\n\t\t/* Before deciding anything", "\tif (0) {\n\t\t/* Before deciding anything"),
    ("lazy-reset-keeps-page", "libvapic/timer.c",
     "\tlazy_reset_(t);\n\ttimer_reset_regs_(t);", "\ttimer_reset_regs_(t);"),
    ("lazy-arbitrate-no-clear", "libvapic/lazy.c",
     "\tlz->armed_tsc = 0;\n\tVAPIC_WRITE_ONCE(lz->page->armed, 0);", "\tlz->armed_tsc = 0;"),
    ("lazy-equal-pending-moves", "libvapic/lazy.c",
     "return pending > t->target_tsc ? pending : 0;", "return pending >= t->target_tsc ? pending : 0;"),
    ("lazy-earlier-pending-moves", "libvapic/lazy.c",
     "return pending > t->target_tsc ? pending : 0;", "return pending != t->target_tsc ? pending : 0;"),
    ("lazy-no-rate-bound", "libvapic/lazy.c",
     "\tif (nb > expires_ns) {", "\tif (0 && nb > expires_ns) {"),
    ("lazy-no-credit", "libvapic/lazy_int.h",
     "\tt->lazy.credit = true;", "\tt->lazy.credit = false;"),
    ("lazy-disable-drops-lazy-deadline", "libvapic/lazy.c",
     "\t(void)timer_lazy_check_(t, now);\n", ""),
    ("lazy-disable-no-clear", "libvapic/lazy.c",
     "\t\tVAPIC_WRITE_ONCE(lz->page->armed, 0);\n\t\tt->ops->unmap_guest", "\t\tt->ops->unmap_guest"),
    ("lazy-arm-failure-is-gp", "libvapic/lazy.c",
     "\treturn err < 0 ? 0 : err;", "\treturn err;"),
    ("lazy-reserved-bits-accepted", "libvapic/lazy.c",
     "\tif (val & VAPIC_LAZY_MSR_RSVD_MASK)", "\tif (0)"),
    ("lazy-version-unchecked", "libvapic/lazy.c",
     "\tif (version != VAPIC_LAZY_VERSION) {", "\tif (version != VAPIC_LAZY_VERSION && 0) {"),
    ("lazy-bad-version-leaks-mapping", "libvapic/lazy.c",
     "\tif (version != VAPIC_LAZY_VERSION) {\n\t\tt->ops->unmap_guest(t->host, pg, VAPIC_LAZY_PAGE_SIZE);",
     "\tif (version != VAPIC_LAZY_VERSION) {"),
    ("lazy-move-keeps-old-mapping", "libvapic/lazy.c",
     "\t(void)timer_lazy_check_(t, now);\n\tlazy_unmap(t);", "\t(void)timer_lazy_check_(t, now);\n\tif (!pg)\n\t\tlazy_unmap(t);"),
    ("lazy-remap-drops-old-pending", "libvapic/lazy.c",
     "\tif (lz->page) {\n\t\t(void)timer_lazy_check_(t, now);\n",
     "\tif (lz->page) {\n"),
    ("lazy-remap-buys-exact-rearm", "libvapic/timer.c",
     "return begin_write_credit(t, 0, false);",
     "return begin_write_credit(t, 0, true);"),
    ("lazy-remap-checks-version", "libvapic/lazy.c",
     "VAPIC_LAZY_MSR_GPA_MASK, false, &err);",
     "VAPIC_LAZY_MSR_GPA_MASK, true, &err);"),
    ("lazy-remap-keeps-old-mapping", "libvapic/lazy.c",
     "\t\tt->ops->unmap_guest(t->host, lz->page, VAPIC_LAZY_PAGE_SIZE);\n\t}\n\tlz->page = pg;",
     "\t}\n\tlz->page = pg;"),
    ("lazy-remap-failure-keeps-old-page", "libvapic/lazy.c",
     "\t\tt->ops->unmap_guest(t->host, lz->page, VAPIC_LAZY_PAGE_SIZE);\n\t}\n\tlz->page = pg;",
     "\t\tif (pg)\n\t\t\tt->ops->unmap_guest(t->host, lz->page, VAPIC_LAZY_PAGE_SIZE);\n\t}\n\tif (pg)\n\t\tlz->page = pg;"),
    ("lazy-remap-keeps-stale-pending", "libvapic/lazy.c",
     "\t\tVAPIC_WRITE_ONCE(pg->pending, 0);\n", ""),
    ("lazy-remap-hides-due-tick", "libvapic/lazy.c",
     "\t\treturn VAPIC_EFAULT;\n\treturn err < 0 ? 0 : err;",
     "\t\treturn VAPIC_EFAULT;\n\treturn 0;"),
    ("lazy-detached-reads-disabled", "libvapic/lazy.c",
     "return lazy_on_(t) || t->lazy.detached;", "return lazy_on_(t);"),
    ("lazy-detached-never-reattaches", "libvapic/lazy.c",
     "\tif (!lz->page && !lz->detached)\n\t\treturn 0;\n\tpg = map_page",
     "\tif (!lz->page)\n\t\treturn 0;\n\tpg = map_page"),
    ("lazy-detached-disable-uncounted", "libvapic/lazy.c",
     "\tif (!lz->page && !lz->detached)\n\t\treturn;", "\tif (!lz->page)\n\t\treturn;"),
    ("lazy-guest-disarm-stores-zero", "libvapic/lazy_guest.c",
     "lazy_le64_(deadline_tsc ? deadline_tsc :\n\t\t\t\t\t\t   VAPIC_LAZY_NEVER)",
     "lazy_le64_(deadline_tsc)"),
    ("lazy-guest-skips-when-nothing-armed", "libvapic/lazy_guest.c",
     "return !armed || deadline_tsc < armed;", "return deadline_tsc < armed;"),
    ("lazy-guest-traps-on-equal", "libvapic/lazy_guest.c",
     "return !armed || deadline_tsc < armed;", "return !armed || deadline_tsc <= armed;"),
    ("lazy-probe-ignores-feature-bit", "libvapic/lazy_guest.c",
     "\t\tif (!(r[0] & VAPIC_PV_F_LAZY_TSCDEADLINE) ||", "\t\tif (0 ||"),
    # lapic.c, lapic_regs.c, lapic_internal.h (the LAPIC split into files)
    ("ppr-tie-goes-to-isr", "libvapic/lapic_internal.h",
     "(tpr & 0xf0) >= ((u32)isrv & 0xf0)", "(tpr & 0xf0) > ((u32)isrv & 0xf0)"),
    ("priority-same-class-delivered", "libvapic/lapic.c",
     "if (v < 0 || ((u32)v & 0xf0) <= (lapic_ppr_(l) & 0xf0))",
     "if (v < 0 || ((u32)v & 0xf0) < (lapic_ppr_(l) & 0xf0))"),
    ("eoi-does-not-clear", "libvapic/lapic.c",
     "\tVAPIC_WRITE_ONCE(l->isr[v >> 5], l->isr[v >> 5] & ~vbit_((u32)v));", ""),
    ("svr-disable-does-not-mask", "libvapic/lapic_regs.c",
     "\t\t\tVAPIC_WRITE_ONCE(l->lvt[i],\n\t\t\t\t\t l->lvt[i] | VAPIC_LVT_MASKED);",
     "\t\t\t(void)l->lvt[i];"),
    ("esr-write-does-not-clear", "libvapic/lapic_regs.c",
     "l->esr = vapic_xchg(&l->esr_pending, 0);", "l->esr = VAPIC_READ_ONCE(l->esr_pending);"),
    ("lint-trigger-not-writable", "libvapic/lapic_regs.c",
     "\t\t\t    VAPIC_LVT_PIN_POLARITY | VAPIC_LVT_LEVEL_TRIGGER |\n\t\t\t    VAPIC_LVT_MASKED,\n\t[VAPIC_LVT_LINT1]",
     "\t\t\t    VAPIC_LVT_PIN_POLARITY |\n\t\t\t    VAPIC_LVT_MASKED,\n\t[VAPIC_LVT_LINT1]"),
    ("error-lvt-never-raised", "libvapic/lapic.c",
     "\tSTAT_INC_(l->stats.error_irqs);\n\t(void)lapic_accept_fixed_(l, v, false, true);",
     "\tSTAT_INC_(l->stats.error_irqs);"),
    ("init-keeps-earlier-nmi-sipi", "libvapic/lapic.c",
     "(old & ~lost) | VAPIC_EVENT_INIT", "(old | (lost & 0)) | VAPIC_EVENT_INIT"),
    ("dfr-resets-to-zero", "libvapic/lapic.c",
     "\tVAPIC_WRITE_ONCE(l->dfr, LAPIC_DFR_RESET);", "\tVAPIC_WRITE_ONCE(l->dfr, 0);"),
    ("illegal-register-no-esr", "libvapic/lapic_regs.c",
     "illegal:\n\tlapic_raise_error_(l, VAPIC_ESR_ILLEGAL_REGISTER);\n\treturn VAPIC_ENOENT;\n}\n\nVAPIC_API int vapic_lapic_write",
     "illegal:\n\treturn VAPIC_ENOENT;\n}\n\nVAPIC_API int vapic_lapic_write"),
    ("timer-tick-self-kick", "libvapic/lapic.c",
     "refused = accept_checked(l, ev.vector, false, false) < 0;",
     "refused = accept_checked(l, ev.vector, false, true) < 0;"),
    # The fused timer fire + inject path (lapic_internal.h, timer_fast.h):
    # the same intents on its own copies of the checks.
    ("fast-inject-3-cycles-early", "libvapic/lapic_internal.h",
     "\tif (now < t->target_tsc)\n\t\treturn LAPIC_FAST_NOT_TAKEN;",
     "\tif (now + 3 < t->target_tsc)\n\t\treturn LAPIC_FAST_NOT_TAKEN;"),
    ("fast-priority-same-class-delivered", "libvapic/lapic_internal.h",
     "\tif ((s32)(v & 0xf0) <= pc)", "\tif ((s32)(v & 0xf0) < pc)"),
    ("fast-priority-ignores-isr", "libvapic/lapic_internal.h",
     "\tif (ic > pc)\n\t\tpc = ic;", "\tif (ic > pc && 0)\n\t\tpc = ic;"),
    ("fast-timer-tick-self-kick", "libvapic/lapic_internal.h",
     "\tSTAT_INC_(l->stats.accepted);\n\t/* The highest",
     "\tSTAT_INC_(l->stats.accepted);\n\tl->ops->kick(l->host);\n\t/* The highest"),
    ("fast-edge-tick-keeps-tmr", "libvapic/lapic_internal.h",
     "\tif (VAPIC_UNLIKELY(VAPIC_READ_ONCE(l->tmr[w]) & b))\n\t\tvapic_atomic_andnot(&l->tmr[w], b);\n\tSTAT_INC_(l->stats.accepted);",
     "\tSTAT_INC_(l->stats.accepted);"),
    ("fast-highest-ignores-upper-words", "libvapic/lapic_internal.h",
     "\tif (VAPIC_UNLIKELY(w < 7)) {", "\tif (0) {"),
    ("fast-inject-when-irr-busy", "libvapic/lapic_internal.h",
     "\tif (vapic_atomic_fetch_or(&l->irr[w], b) & b)\n",
     "\tif (vapic_atomic_fetch_or(&l->irr[w], b) & 0)\n"),
    # The fused inject relies on SVR bit 8 and the timer's sw_disabled
    # agreeing: break it at the SVR write.
    ("svr-write-not-passed-to-timer", "libvapic/lapic_regs.c",
     "\tvapic_timer_set_sw_enabled(&l->timer, now);", ""),
    # Not here, because no behaviour shows them: fire_slow ignoring the
    # mask bit (a masked timer is never armed, so never 'fired'), and
    # fire_slow never updated after init (the fast path is then never
    # taken: tools/callgrind-fastpath.sh fails, timer fire + inject 479
    # instructions with gcc).
    ("fast-fire-ignores-lazy", "libvapic/timer_fast.h",
     "\t\tlazy_on_(t) || timer_posted_(t);", "\t\ttimer_posted_(t);"),
    ("fast-write-ignores-fired", "libvapic/timer_fast.h",
     "\t\t\t !t->busy && !VAPIC_READ_ONCE(t->fired) &&", "\t\t\t !t->busy &&"),
    ("fast-write-ignores-busy", "libvapic/timer_fast.h",
     "\t\t\t !t->busy && !VAPIC_READ_ONCE(t->fired) &&", "\t\t\t !VAPIC_READ_ONCE(t->fired) &&"),
    ("fast-fire-ignores-pending", "libvapic/timer_fast.h",
     "\t       !(t->busy & ~TIMER_BUSY_IN_WINDOW_) &&", "\t       !(t->busy & ~0xffffULL) &&"),
    # adapters/vclock
    ("vclock-ties-lifo", "adapters/vclock/vclock.c",
     "return a->seq < b->seq;", "return a->seq > b->seq;"),
    ("vclock-every-kth-off-by-one", "adapters/vclock/vclock.c",
     "f->calls % f->every_k == 0", "f->calls % f->every_k == 1"),
    ("vclock-hole-edge-inclusive", "adapters/vclock/vclock.c",
     "if (gpa < he && hs < end)", "if (gpa <= he && hs <= end)"),
    ("vclock-no-arm-violation-count", "adapters/vclock/vclock.c",
     "\t\tv->stats.arm_violations++;\n", ""),
    ("vclock-latency-ignored", "adapters/vclock/vclock.c",
     "when = sat_add(when, timer_latency(v, expires_ns));",
     "when = sat_add(when, 0 * timer_latency(v, expires_ns));"),
    # haltpoll.c: KVM's policy
    ("hp-kvm-grow-ignores-grow-start", "libvapic/haltpoll.c",
     "\tif (val < hp->cfg.grow_start_ns)\n\t\tval = hp->cfg.grow_start_ns;\n\tVAPIC_WRITE_ONCE(hp->poll_ns, val);",
     "\tVAPIC_WRITE_ONCE(hp->poll_ns, val);"),
    ("hp-kvm-shrink-keeps-small-window", "libvapic/haltpoll.c",
     "\tif (val < hp->cfg.grow_start_ns)\n\t\tval = 0;",
     "\tif (val < hp->cfg.grow_start_ns / 2)\n\t\tval = 0;"),
    ("hp-kvm-window-not-capped-at-begin", "libvapic/haltpoll.c",
     "\tif (hp->poll_ns > max)\n\t\tVAPIC_WRITE_ONCE(hp->poll_ns, max);",
     "\tif (hp->poll_ns > max && 0)\n\t\tVAPIC_WRITE_ONCE(hp->poll_ns, max);"),
    ("hp-kvm-exact-fit-grows", "libvapic/haltpoll.c",
     "if (halt_ns <= hp->poll_ns)", "if (halt_ns < hp->poll_ns)"),
    ("hp-kvm-long-halt-not-shrunk", "libvapic/haltpoll.c",
     "else if (hp->poll_ns && halt_ns > max)",
     "else if (hp->poll_ns && halt_ns > max + max)"),
    ("hp-kvm-grows-at-max-halt", "libvapic/haltpoll.c",
     "else if (hp->poll_ns < max && halt_ns < max)",
     "else if (hp->poll_ns < max && halt_ns <= max)"),
    ("hp-kvm-invalid-not-shrunk", "libvapic/haltpoll.c",
     "\tif (flags & VAPIC_HALT_INVALID) {\n\t\tkvm_shrink(hp);",
     "\tif (0) {\n\t\tkvm_shrink(hp);"),
    ("hp-kvm-max-zero-keeps-window", "libvapic/haltpoll.c",
     "\t} else {\n\t\tVAPIC_WRITE_ONCE(hp->poll_ns, 0U);",
     "\t} else {\n\t\t;"),
    ("hp-kvm-end-ignores-vm-max", "libvapic/haltpoll.c",
     "\tmax = max_poll_ns(hp);\n\tif (flags", "\tmax = hp->cfg.max_ns;\n\tif (flags"),
    ("hp-kvm-no-poll-not-honoured", "libvapic/haltpoll.c",
     "return hp->poll_allowed ? hp->poll_ns : 0;\n}",
     "return hp->poll_ns;\n}"),
    # haltpoll.c: stats
    ("hp-stats-invalid-not-counted", "libvapic/haltpoll.c",
     "STAT_INC_(s->halt_poll_invalid);", "(void)0;"),
    ("hp-stats-hist-bucket-halved", "libvapic/haltpoll.c",
     "unsigned int b = fls64_(ns);", "unsigned int b = fls64_(ns >> 1);"),
    ("hp-stats-wait-ns-is-halt", "libvapic/haltpoll.c",
     "account(hp, poll_ns, wait_ns, flags);",
     "account(hp, poll_ns, halt_ns, flags);"),
    # haltpoll.c: the guest governor
    ("hp-guest-adjusts-after-caught-poll", "libvapic/haltpoll.c",
     "\t\treturn; /* the poll state saw the event: no adjustment */",
     "\t\t(void)0;"),
    ("hp-guest-shrinks-at-max", "libvapic/haltpoll.c",
     "} else if (block_ns > gmax &&", "} else if (block_ns >= gmax &&"),
    ("hp-guest-grow-not-capped", "libvapic/haltpoll.c",
     "\t\tif (val > gmax)\n\t\t\tval = gmax;",
     "\t\tif (val > gmax + gmax)\n\t\t\tval = gmax;"),
    ("hp-guest-measures-whole-halt", "libvapic/haltpoll.c",
     "guest_end(hp, wait_ns, flags);", "guest_end(hp, halt_ns, flags);"),
    # haltpoll.c: the adaptive policy's predictor
    ("hp-pred-edge-one-sub-bucket-low", "libvapic/haltpoll.c",
     "return (1ULL << o) + ((u64)(s + 1) << (o - 2));",
     "return (1ULL << o) + ((u64)s << (o - 2));"),
    ("hp-pred-bucket-ignores-sub", "libvapic/haltpoll.c",
     "\treturn 1 +\n\t       (o - VAPIC_HALTPOLL_PRED_MIN_SHIFT) * VAPIC_HALTPOLL_PRED_SUB +\n\t       s;",
     "\treturn 1 +\n\t       (o - VAPIC_HALTPOLL_PRED_MIN_SHIFT) * VAPIC_HALTPOLL_PRED_SUB +\n\t       0 * s;"),
    ("hp-pred-decay-forgets-rare", "libvapic/haltpoll.c",
     "\t\t\tif (h[i] > 1)\n\t\t\t\th[i] >>= 1;", "\t\t\th[i] >>= 1;"),
    ("hp-pred-never-decays", "libvapic/haltpoll.c",
     "if (total >= PRED_TOTAL_LIMIT) {", "if (0 && total >= PRED_TOTAL_LIMIT) {"),
    ("hp-pred-no-headroom", "libvapic/haltpoll.c",
     "#define PRED_HEADROOM 1U", "#define PRED_HEADROOM 0U"),
    ("hp-pred-continuation-counts-shorter", "libvapic/haltpoll.c",
     "\t\tfor (b = 0; b < first; b++)\n\t\t\ttotal -= h[b];", ""),
    ("hp-pred-continuation-window-not-shifted", "libvapic/haltpoll.c",
     "\t\tp -= since_ns;", "\t\tp -= 0;"),
    ("hp-pred-tie-takes-longer", "libvapic/haltpoll.c",
     "if (net > best_net) {", "if (net >= best_net) {"),
    ("hp-pred-cost-ignores-cpu-weight", "libvapic/haltpoll.c",
     "cost = (total - caught) * p * hp->cfg.cpu_weight_q8;",
     "cost = (total - caught) * p * 256;"),
    ("hp-pred-gain-halved", "libvapic/haltpoll.c",
     "gain = caught * hp->cfg.block_cost_ns * 256;",
     "gain = caught * hp->cfg.block_cost_ns * 128;"),
    ("hp-pred-limit-ignored", "libvapic/haltpoll.c",
     "\t\tif (p > limit_ns)\n\t\t\tbreak;", "\t\tif (p > limit_ns && 0)\n\t\t\tbreak;"),
    ("hp-pred-old-max-buckets-kept", "libvapic/haltpoll.c",
     "\t\tif (b && pred_edge(b - 1) >= max_ns)\n\t\t\tbreak; /* learnt under a larger maximum: long now */",
     ""),
    ("hp-pred-window-not-clamped-to-max", "libvapic/haltpoll.c",
     "\t\tif (p > max_ns)\n\t\t\tp = max_ns;", ""),
    # haltpoll.c: the budget
    ("hp-budget-refill-no-cap", "libvapic/haltpoll.c",
     "\t\thp->credit_ns = add >= burst - hp->credit_ns\n\t\t\t\t\t? burst\n\t\t\t\t\t: hp->credit_ns + add;",
     "\t\thp->credit_ns = hp->credit_ns + add;"),
    ("hp-budget-starts-empty", "libvapic/haltpoll.c",
     "\t\thp->credit_ns = burst;\n\t\thp->credit_stamp_ns = now_ns;",
     "\t\thp->credit_ns = 0;\n\t\thp->credit_stamp_ns = now_ns;"),
    ("hp-budget-charges-caught-polls", "libvapic/haltpoll.c",
     "if (hp->polled && (flags & (VAPIC_HALT_WAITED | VAPIC_HALT_INVALID)) &&",
     "if (hp->polled &&"),
    ("hp-budget-invalid-not-charged", "libvapic/haltpoll.c",
     "if (hp->polled && (flags & (VAPIC_HALT_WAITED | VAPIC_HALT_INVALID)) &&",
     "if (hp->polled && (flags & VAPIC_HALT_WAITED) &&"),
    ("hp-budget-lowered-burst-kept", "libvapic/haltpoll.c",
     "\tif (hp->credit_ns > burst)\n\t\thp->credit_ns = burst; /* the burst was lowered */", ""),
    ("hp-throttled-not-counted", "libvapic/haltpoll.c",
     "\t\tif (free_w > w)\n\t\t\tSTAT_INC_(hp->stats.halt_poll_throttled);",
     "\t\tif (free_w > w + free_w)\n\t\t\tSTAT_INC_(hp->stats.halt_poll_throttled);"),
    # haltpoll.c: the adaptive policy's timer, contexts and learning
    ("hp-timer-poll-boundary-exclusive", "libvapic/haltpoll.c",
     "timer_ns <= tmax) {", "timer_ns < tmax) {"),
    ("hp-timer-max-above-vm-max", "libvapic/haltpoll.c",
     "\tif (override && tmax > max)\n\t\ttmax = max;", ""),
    ("hp-timer-does-not-cut-window", "libvapic/haltpoll.c",
     "timer_ns < w)\n\t\tw = timer_ns;", "timer_ns < w && 0)\n\t\tw = timer_ns;"),
    ("hp-adaptive-no-poll-not-honoured", "libvapic/haltpoll.c",
     "\tif (!hp->poll_allowed)\n\t\treturn 0;\n\n\t/* Timer-aware", "\n\t/* Timer-aware"),
    ("hp-block-cost-not-removed", "libvapic/haltpoll.c",
     "\t\tsample = halt_ns > hp->cfg.block_cost_ns\n\t\t\t\t ? halt_ns - hp->cfg.block_cost_ns\n\t\t\t\t : 0;",
     "\t\tsample = halt_ns;"),
    ("hp-sample-below-poll", "libvapic/haltpoll.c",
     "\t\tif (sample < poll_ns)\n\t\t\tsample = poll_ns;", ""),
    ("hp-context-always-short", "libvapic/haltpoll.c",
     "\t\thp->ctx = sample < max ? CTX_SHORT : CTX_LONG;\n\telse if",
     "\t\thp->ctx = CTX_SHORT;\n\telse if"),
    ("hp-idle-context-lost", "libvapic/haltpoll.c",
     "\telse if (sample >= max)\n\t\thp->ctx = CTX_IDLE;",
     "\telse if (sample >= max)\n\t\thp->ctx = CTX_LONG;"),
    ("hp-learns-timer-polls", "libvapic/haltpoll.c",
     "bool learn = hp->predicted || hp->cut_learn;", "bool learn = true;"),
    # haltpoll.c: continuation (VAPIC_HALTPOLL_F_EVENTS)
    ("hp-events-age-excludes-block", "libvapic/haltpoll.c",
     "u64 age = hp->since_ns + halt_ns;", "u64 age = hp->since_ns + poll_ns;"),
    ("hp-events-run-not-aged", "libvapic/haltpoll.c",
     "\t\tif (now_ns > hp->cut_end_ns)\n\t\t\tsince += now_ns - hp->cut_end_ns;", ""),
    ("hp-events-ended-wait-not-learnt", "libvapic/haltpoll.c",
     "\t\t\tif (hp->cut_learn) {\n\t\t\t\tpred_record",
     "\t\t\tif (0) {\n\t\t\t\tpred_record"),
    ("hp-events-report-ignored", "libvapic/haltpoll.c",
     "\t\t\tsince = 0;\n\t\t}\n\t}", "\t\t}\n\t}"),
    ("hp-events-flag-not-required", "libvapic/haltpoll.c",
     "\tif (hp->cfg.flags & VAPIC_HALTPOLL_F_EVENTS)\n\t\thp->event = true;",
     "\thp->event = true;"),
    # haltpoll.c: configuration and contracts
    ("hp-set-config-keeps-other-policy-state", "libvapic/haltpoll.c",
     "\tif (cfg->policy != hp->cfg.policy)\n\t\treset_policy(hp);", ""),
    ("hp-config-max-limit-off-by-one", "libvapic/haltpoll.c",
     "if (c->max_ns > VAPIC_ADAPTIVE_WINDOW_LIMIT_NS ||",
     "if (c->max_ns > VAPIC_ADAPTIVE_WINDOW_LIMIT_NS + 1 ||"),
    ("hp-config-zero-block-cost-accepted", "libvapic/haltpoll.c",
     "\t\t    !c->block_cost_ns ||\n", ""),
    ("hp-end-accepts-time-going-back", "libvapic/haltpoll.c",
     "poll_end_ns < hp->start_ns ||", ""),
    ("hp-timer-ns-rounds-down", "libvapic/haltpoll.c",
     "*timer_ns = delta ? vapic_tsc_to_ns_ceil(delta, t->cfg.guest_tsc_khz)",
     "*timer_ns = delta ? vapic_tsc_to_ns(delta, t->cfg.guest_tsc_khz)"),
    # fastpath.c
    ("fp-efault-not-gp", "libvapic/fastpath.c",
     "if (act == VAPIC_ERSVD || act == VAPIC_EFAULT) {", "if (act == VAPIC_ERSVD) {"),
    ("fp-host-error-dropped", "libvapic/fastpath.c",
     "\t\t\te->actions |= VAPIC_EXIT_ACT_ERROR;", "\t\t\t;"),
    ("fp-gp-not-counted", "libvapic/fastpath.c",
     "\t\t\tSTAT_INC_(fp->stats.gp_injections);\n", ""),
    ("fp-eoi-vector-lost", "libvapic/fastpath.c",
     "e->eoi_vector = vapic_lapic_eoi_vector(l);", "e->eoi_vector = 0;"),
    ("fp-base-change-not-reported", "libvapic/fastpath.c",
     "\t\t\te->actions |= VAPIC_EXIT_ACT_BASE;", "\t\t\t(void)0;"),
    ("fp-write-poll-skipped", "libvapic/fastpath.c",
     "\tif (act & VAPIC_LAPIC_ACT_POLL)\n\t\tpoll_lapic(l, e);", ""),
    ("fp-deliver-events-not-reported", "libvapic/fastpath.c",
     "\tif (VAPIC_UNLIKELY(VAPIC_READ_ONCE(l->events)))\n\t\te->actions |= VAPIC_EXIT_ACT_EVENT;",
     ""),
    ("fp-halt-slow-when-due", "libvapic/fastpath.c",
     "if (halt && !e->actions) {", "if (halt) {"),
    ("fp-halt-never-slow", "libvapic/fastpath.c",
     "if (halt && !e->actions) {", "if (0 && halt && !e->actions) {"),
    ("fp-fast-inject-hides-events", "libvapic/fastpath.c",
     "r < LAPIC_FAST_NONE &&\n\t\t\t\t !VAPIC_READ_ONCE(l->events))) {",
     "r < LAPIC_FAST_NONE)) {"),
    ("fp-tscd-fast-in-any-mode", "libvapic/fastpath.c",
     "if (VAPIC_LIKELY((t->lvtt & TIMER_LVTT_MODE_MASKED_) ==\n\t\t\t\t TIMER_LVTT_TSCD_)) {",
     "if (VAPIC_LIKELY(1)) {"),
    ("fp-unowned-msr-handled", "libvapic/fastpath.c",
     "\tif (!vapic_lapic_msr_owned(e->msr))\n\t\treturn slow(fp);\n\t/* Outside",
     "\t/* Outside"),
    ("fp-foreign-mmio-resumed", "libvapic/fastpath.c",
     "\tif (!vapic_lapic_mmio_match(l, e->gpa, &off))\n\t\treturn slow(fp);\n\treturn finish",
     "\tif (!vapic_lapic_mmio_match(l, e->gpa, &off))\n\t\treturn result(fp, e);\n\treturn finish"),
    ("fp-preemption-exit-not-expired", "libvapic/fastpath.c",
     "\ttimer_expired_vcpu_(&fp->lapic->timer);", "\t(void)0;"),
    ("fp-self-ipi-not-counted", "libvapic/fastpath.c",
     "\tcase VAPIC_REG_SELF_IPI:\n", ""),
    ("fp-kick-counted-as-window", "libvapic/fastpath.c",
     "STAT_INC_(fp->stats.signal_exits);", "STAT_INC_(fp->stats.irq_window_exits);"),
    ("fp-x2apic-write-offset-wrong", "libvapic/fastpath.c",
     "count_write(fp, (e->msr - VAPIC_MSR_X2APIC_FIRST) << 4);",
     "count_write(fp, (e->msr - VAPIC_MSR_X2APIC_FIRST));"),
    ("fp-tscd-slow-resume-counted-slow", "libvapic/fastpath.c",
     "\tif (!act) {\n\t\tSTAT_INC_(fp->stats.fastpath_resume);",
     "\tif (!act) {\n\t\tSTAT_INC_(fp->stats.fastpath_slow);"),
    ("fp-inject-with-other-actions", "libvapic/fastpath.c",
     "if (e->actions == VAPIC_EXIT_ACT_INJECT) {", "if (e->actions & VAPIC_EXIT_ACT_INJECT) {"),
    ("fp-tscd-write-not-counted-general", "libvapic/fastpath.c",
     "\t    (l->timer.cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))\n\t\tSTAT_INC_(fp->stats.tscdeadline_writes);",
     "\t    (l->timer.cfg.flags & VAPIC_TIMER_F_TSC_DEADLINE))\n\t\t(void)0;"),
]

TESTS = ["test_clock", "test_timer", "test_lapic", "test_vclock", "test_lazy",
         "test_lapic_regs", "test_lapic_irq", "test_lapic_icr",
         "test_lapic_state", "test_fastpath", "test_fastpath_vclock",
         "test_timer_load", "test_fuzz_regressions", "test_haltpoll",
         "test_lapic_pveoi"]


def sh(cmd, cwd, check=True):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=check)


# Also the differential test of the fast paths (tests/timer_diff.sh): the
# core with and without VAPIC_CONFIG_TIMER_FASTPATH must give one trace.
DIFF = ["tests/timer_diff_fast", "tests/timer_diff_ref"]


def run_diff(build):
    p = subprocess.run(["sh", os.path.join(ROOT, "tests", "timer_diff.sh")] +
                       [os.path.join(build, x) for x in DIFF],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return [] if p.returncode == 0 else ["timer_diff"]


def run_tests(build):
    failed = []
    env = dict(os.environ)
    env.pop("CMOCKA_MESSAGE_OUTPUT", None)
    for t in TESTS:
        exe = os.path.join(build, "tests", t)
        try:
            p = subprocess.run([exe], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=120, env=env)
        except subprocess.TimeoutExpired:
            failed.append(t + ":TIMEOUT")
            continue
        names = sorted(set(re.findall(r"^\[  FAILED  \] (\w+)$",
                                      p.stdout, re.M)))
        if p.returncode != 0:
            failed += ["%s:%s" % (t[5:], n) for n in names] or [t + ":crash"]
    return failed + run_diff(build)


def main():
    keep = "--keep" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flt = args[0] if args else ""
    files = sh(["git", "ls-files"], ROOT).stdout.split()
    scratch = tempfile.mkdtemp(prefix="vapic-mutants-")
    src = os.path.join(scratch, "src")
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(src, f))
    build = os.path.join(scratch, "build")
    sh(["meson", "setup", build, src, "-Dexamples=disabled"], scratch)
    sh(["ninja", "-C", build, "-j2"] + ["tests/" + t for t in TESTS] + DIFF,
       scratch)
    base = run_tests(build)
    if base:
        print("unmutated tree fails: %s" % base)
        return 2
    survivors = 0
    count = 0
    for name, path, old, new in MUTANTS:
        if flt not in name:
            continue
        count += 1
        fpath = os.path.join(src, path)
        orig = open(fpath).read()
        if old not in orig:
            print("%-36s STALE (pattern not found in %s)" % (name, path))
            survivors += 1
            continue
        open(fpath, "w").write(orig.replace(old, new, 1))
        b = sh(["ninja", "-C", build, "-j2"] + ["tests/" + t for t in TESTS] +
               DIFF, scratch, check=False)
        killed = run_tests(build) if b.returncode == 0 else None
        open(fpath, "w").write(orig)
        if killed is None:
            print("%-36s BROKEN (does not compile)" % name)
            survivors += 1
        elif killed:
            shown = ", ".join(killed[:4])
            if len(killed) > 4:
                shown += ", ... (%d)" % len(killed)
            print("%-36s killed by %s" % (name, shown))
        else:
            print("%-36s SURVIVED" % name)
            survivors += 1
    print("%d mutants, %d killed, %d survived" % (count, count - survivors,
                                                   survivors))
    if not keep:
        shutil.rmtree(scratch)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
