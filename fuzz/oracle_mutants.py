#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Check that a fuzz target's oracle catches real bugs.

Applies one deliberate bug ("mutant") at a time to a copy of the tree
(git archive HEAD, so the working tree is never touched), builds the
replay driver with gcc and replays the seed corpus; with --fuzz N it also
builds the libFuzzer target (clang) and runs N executions from CORPUS for
the mutants the seeds missed.  Prints one line per mutant: which check
caught it, or MISSED.  A mutant whose anchor text is no longer in the core
file is reported as STALE (update the table).  Targets: timer (default,
libvapic/timer.c, timer_fast.h, timer_state.c), haltpoll
(libvapic/haltpoll.c), lapic (libvapic/lapic*.c, lapic_internal.h,
fastpath.c).

usage: fuzz/oracle_mutants.py [--target T] [--fuzz N] [--corpus DIR]
                              [--keep DIR] [--only PREFIX]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# (name, core file, anchor text, replacement): each a real bug of the
# timer (libvapic/timer.c, timer_fast.h, timer_state.c).
MUTANTS = [
    ('inject-1-cycle-early', 'libvapic/timer.c',
     '\tif (!timer_due_(t, now, t->target_tsc)) {\n\t\tif (!t->in_window)',
     '\tif (!timer_due_(t, now + 1, t->target_tsc)) {\n'
     '\t\tif (!t->in_window)'),
    ('no-min-period-clamp', 'libvapic/timer.c',
     '\tif (periodic && p < t->min_period_sub) {',
     '\tif (0 && periodic && p < t->min_period_sub) {'),
    ('tmcct-off-by-one', 'libvapic/timer.c',
     '\treturn t->tmict - (u32)done;',
     '\treturn t->tmict - (u32)done - (done && done < t->tmict);'),
    ('msr-reads-deadline-at-expiry', 'libvapic/timer.c',
     '\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), '
     's.tsc_deadline))',
     '\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), '
     's.tsc_deadline + 1))'),
    ('divide-change-not-rescaled', 'libvapic/timer.c',
     '\t\t\ttimer_position_set_(t, now, e2);',
     '\t\t\t(void)e2;\n\t\t\ttimer_position_set_(t, now, '
     'e.lo < t->period_sub ? e.lo : 0);'),
    ('posted-2-cycles-early', 'libvapic/timer.c',
     '\tif (!timer_due_(t, now, target)) {\n\t\tif (!t->measured) {',
     '\tif (!timer_due_(t, now + 2, target)) {\n\t\tif (!t->measured) {'),
    ('rearm-without-cancel', 'libvapic/timer.c',
     '\t\t/* A periodic timer needs its next period armed. */\n'
     '\t\ttimer_cancel_hw_(t);',
     '\t\t/* A periodic timer needs its next period armed. */\n'
     '\t\tt->hw_armed = false;'),
    ('short-deadline-never-armed', 'libvapic/timer_fast.h',
     '\tr = t->ops->timer_arm(t->host, expires);',
     '\tif (expires - t->ops->now_ns(t->host) < 50) {\n'
     '\t\tt->hw_armed = false;\n\t\treturn 0;\n'
     '\t}\n\tr = t->ops->timer_arm(t->host, expires);'),
    ('refused-restore-touches-timer', 'libvapic/timer_state.c',
     '\tif (!t || !s)\n\t\treturn VAPIC_EINVAL;\n'
     '\tr = validate_state(t, s);',
     '\tif (!t || !s)\n\t\treturn VAPIC_EINVAL;\n'
     '\tt->tdcr = s->tdcr & 0xb;\n\tr = validate_state(t, s);'),
    ('saved-progress-off', 'libvapic/timer_state.c',
     '\t\ts->progress = u128_div_(num, t->period_sub, &rem, &ovf);',
     '\t\ts->progress = u128_div_(num, t->period_sub, &rem, &ovf) + 1;'),
    ('masked-tick-delivered', 'libvapic/timer.c',
     '\tif (!timer_deliverable_(t)) {\n\t\tSTAT_ADD_(t->stats.masked, k);',
     '\tif (0 && !timer_deliverable_(t)) {\n'
     '\t\tSTAT_ADD_(t->stats.masked, k);'),
    ('mode-switch-keeps-deadline', 'libvapic/timer.c',
     '\t\tt->tmict = 0;\n\t\tVAPIC_WRITE_ONCE(t->tsc_deadline, 0);\n'
     '\t\ttimer_stop_counting_(t);\n\t\tt->backlog = 0;',
     '\t\tt->tmict = 0;\n\t\tt->backlog = 0;'),
    ('strict-accepts-mode-11b', 'libvapic/timer.c',
     '\t\tif ((val & rsvd) || mode == VAPIC_TIMER_MODE_RESERVED)',
     '\t\tif ((val & rsvd))'),
    ('periodic-reload-one-short', 'libvapic/timer.c',
     '\t\tif (!k)\n\t\t\tk = 1;\n\t\tposition_advance(t, k);',
     '\t\tif (!k)\n\t\t\tk = 1;\n'
     '\t\tposition_advance(t, k > 1 ? k - 1 : k);'),
    ('busy-drops-other-vector', 'libvapic/timer.c',
     '\t\tif ((flags & VAPIC_POLL_VECTOR_BUSY) &&\n'
     '\t\t    t->pending_vector == (t->lvtt & VAPIC_LVT_VECTOR_MASK)) {',
     '\t\tif (flags & VAPIC_POLL_VECTOR_BUSY) {'),
    ('restore-accepts-backlog-anywhere', 'libvapic/timer_state.c',
     '\tif (s->backlog && (mode != VAPIC_TIMER_PERIODIC || !running))\n'
     '\t\treturn VAPIC_ESTATE;',
     ''),
    ('restore-accepts-older-due-alone', 'libvapic/timer_state.c',
     '\tif ((s->flags & VAPIC_TSTATE_DUE_OLD) && '
     '!(s->flags & VAPIC_TSTATE_DUE))\n\t\treturn VAPIC_ESTATE;',
     ''),
    # The guest TSC wrap: one-shot/periodic modulo 2^64, TSC deadline
    # unsigned from where it was armed (reached also across the wrap).
    ('wrap-tscd-reached-compares-now', 'libvapic/timer_fast.h',
     '\treturn now - base_tsc >= deadline_tsc - base_tsc;',
     '\treturn now + 0 * base_tsc >= deadline_tsc;'),
    ('wrap-tscd-compared-modulo', 'libvapic/timer_fast.h',
     '\t\treturn timer_tscd_reached_(t->start_tsc, now, target_tsc);\n'
     '\treturn (s64)',
     '\t\treturn (s64)(now - target_tsc) >= 0;\n\treturn (s64)'),
    ('wrap-count-compared-unsigned', 'libvapic/timer_fast.h',
     '\treturn (s64)(now - target_tsc) >= 0;\n}',
     '\treturn now >= target_tsc;\n}'),
    ('wrap-sync-compares-unsigned', 'libvapic/timer.c',
     '\tif (!timer_due_(t, now, t->target_tsc)) {\n\t\tif (!t->in_window)',
     '\tif (now < t->target_tsc) {\n\t\tif (!t->in_window)'),
    ('wrap-posted-compares-unsigned', 'libvapic/timer.c',
     '\tif (!timer_due_(t, now, target)) {\n\t\tif (!t->measured) {',
     '\tif (now < target) {\n\t\tif (!t->measured) {'),
    ('wrap-tscd-msr-read-compares-now', 'libvapic/timer.c',
     '\tif (timer_tscd_reached_(s.start_tsc, timer_now_tsc_(t), '
     's.tsc_deadline))',
     '\tif (timer_now_tsc_(t) >= s.tsc_deadline)'),
    ('wrap-tscd-fast-write-overwrites-reached', 'libvapic/timer_fast.h',
     '(!t->running || timer_tscd_ahead_(t->start_tsc, now,\n'
     '\t\t\t\t\t\t\t   t->target_tsc)))) {',
     '(!t->running || now < t->target_tsc))) {'),
    ('tsc-change-syncs-at-new-tsc', 'libvapic/timer.c',
     '\tnow = begin_write_before(t, d) + d;',
     '\tnow = begin_write_before(t, 0);'),
    ('wrap-tsc-change-keeps-deadline-base', 'libvapic/timer.c',
     '\tif (t->running && mode == VAPIC_TIMER_TSC_DEADLINE)\n'
     '\t\tVAPIC_WRITE_ONCE(t->start_tsc,',
     '\tif (0 && t->running && mode == VAPIC_TIMER_TSC_DEADLINE)\n'
     '\t\tVAPIC_WRITE_ONCE(t->start_tsc,'),
    ('tscd-restore-base-now', 'libvapic/timer_state.c',
     '\t\t\tt->start_tsc = timer_tscd_base_(now, s->tsc_deadline);',
     '\t\t\tt->start_tsc = now;'),
    # Register image loads (vapic_timer_load_regs(), OP_LOAD_REGS).
    ('load-ignores-tmcct', 'libvapic/timer_state.c',
     '\t\tremaining = (!tmcct || tmcct > tmict) ? tmict : tmcct;',
     '\t\tremaining = tmict;'),
    ('load-uses-old-divide', 'libvapic/timer_state.c',
     '\tt->tdcr = tdcr;\n\tt->divide = timer_tdcr_to_divide_(tdcr);',
     '\tt->tdcr = tdcr;'),
    ('load-keeps-in-flight', 'libvapic/timer_state.c',
     '\ttimer_drop_in_flight_(t);\n\ttimer_stop_counting_(t);\n\n'
     '\tt->lvtt = lvtt;',
     '\ttimer_stop_counting_(t);\n\n\tt->lvtt = lvtt;'),
    ('load-tmcct-elapsed-rounded-down', 'libvapic/timer_state.c',
     '\t\t\tif (rem)\n\t\t\t\te++;',
     '\t\t\t(void)rem;'),
    ('load-expired-oneshot-runs', 'libvapic/timer_state.c',
     '\t\tif (!tmict || (!periodic && !tmcct))',
     '\t\tif (!tmict)'),
    ('load-drops-kept-deadline', 'libvapic/timer_state.c',
     '\tif (mode != VAPIC_TIMER_TSC_DEADLINE ||\n'
     '\t    old_mode != VAPIC_TIMER_TSC_DEADLINE)',
     '\tif (1)'),
    ('load-sw-disabled-unmasked', 'libvapic/timer_state.c',
     '\tif (t->sw_disabled)\n\t\tlvtt |= VAPIC_LVT_MASKED;\n'
     '\ttdcr &= VAPIC_TDCR_VALID_MASK;',
     '\ttdcr &= VAPIC_TDCR_VALID_MASK;'),
    ('load-hidden-tscd-mode-kept', 'libvapic/timer_state.c',
     '\tif (!tscd)\n\t\tlvtt &= ~TIMER_LVTT_MODE_TSC_BIT_;\n'
     '\tif (t->sw_disabled)',
     '\tif (0 && !tscd)\n\t\tlvtt &= ~TIMER_LVTT_MODE_TSC_BIT_;\n'
     '\tif (t->sw_disabled)'),
    ('load-delivers-masked-deadline', 'libvapic/timer_state.c',
     '\tif (reached && !timer_deliverable_(t)) {',
     '\tif (0 && reached && !timer_deliverable_(t)) {'),
]

# (name, anchor text in libvapic/haltpoll.c, replacement): each a real bug.
HALTPOLL_MUTANTS = [
    ('kvm-grow-saturates-no-wrap',
     '\tval *= hp->cfg.grow;\n\tif (val < hp->cfg.grow_start_ns)',
     '\tval = (u64)val * hp->cfg.grow > 0xffffffffULL ? 0xffffffffU\n'
     '\t\t\t\t\t\t: val * hp->cfg.grow;\n'
     '\tif (val < hp->cfg.grow_start_ns)'),
    ('kvm-grow-ignores-grow-start',
     '\tval *= hp->cfg.grow;\n\tif (val < hp->cfg.grow_start_ns)',
     '\tval *= hp->cfg.grow;\n\tif (0)'),
    ('kvm-shrink-keeps-below-grow-start',
     '\t\tval /= hp->cfg.shrink;\n\tif (val < hp->cfg.grow_start_ns)',
     '\t\tval /= hp->cfg.shrink;\n\tif (0)'),
    ('kvm-max-not-reread-at-end',
     '\tmax = max_poll_ns(hp);\n\tif (flags & VAPIC_HALT_INVALID) {',
     '\tmax = hp->cfg.max_ns;\n\tif (flags & VAPIC_HALT_INVALID) {'),
    ('kvm-window-not-capped-at-begin',
     '\tif (hp->poll_ns > max)\n\t\tVAPIC_WRITE_ONCE(hp->poll_ns, max);',
     '\tif (0 && hp->poll_ns > max)\n\t\tVAPIC_WRITE_ONCE(hp->poll_ns, max);'),
    ('kvm-invalid-wakeup-not-shrunk',
     '\tif (flags & VAPIC_HALT_INVALID) {\n\t\tkvm_shrink(hp);',
     '\tif (0) {\n\t\tkvm_shrink(hp);'),
    ('kvm-halt-equal-to-window-grows',
     '\t\tif (halt_ns <= hp->poll_ns)',
     '\t\tif (halt_ns < hp->poll_ns)'),
    ('guest-adjusts-after-successful-poll',
     '\tif (hp->polled && !(flags & VAPIC_HALT_WAITED))\n'
     '\t\treturn; /* the poll state saw the event: no adjustment */',
     ''),
    ('guest-adjusts-on-whole-halt',
     '\t\tguest_end(hp, wait_ns, flags);',
     '\t\tguest_end(hp, halt_ns, flags);'),
    ('stats-hist-bucket-off-by-one',
     '\tunsigned int b = fls64_(ns);',
     '\tunsigned int b = fls64_(ns) - (ns > 1);'),
    ('stats-wait-only-after-poll',
     '\tif (waited) {\n\t\tSTAT_INC_(s->halt_wakeup);',
     '\tif (waited && hp->polled) {\n\t\tSTAT_INC_(s->halt_wakeup);'),
    ('budget-not-charged',
     '\t\thp->credit_ns =\n'
     '\t\t\thp->credit_ns > poll_ns ? hp->credit_ns - poll_ns : 0;',
     '\t\t(void)0;'),
    ('budget-refills-twice-as-fast',
     '\t\t\t\t\thp->cfg.budget_ppm, VAPIC_PPM);',
     '\t\t\t\t\thp->cfg.budget_ppm, VAPIC_PPM / 2);'),
    ('budget-does-not-limit-the-window',
     '\tlimit = (flags & VAPIC_HALTPOLL_F_NO_BUDGET) ? UINT64_MAX\n'
     '\t\t\t\t\t\t     : hp->credit_ns;',
     '\tlimit = UINT64_MAX;'),
    ('continuation-window-not-shifted-by-since',
     '\t\tp -= since_ns; /* > 0: since < edge(first) and < max */',
     ''),
    ('continuation-age-drops-the-run',
     '\t\t\tsince += now_ns - hp->cut_end_ns;',
     '\t\t\tsince += 0 * (now_ns - hp->cut_end_ns);'),
    ('predicted-window-edge-past-max',
     '\t\tif (p > max_ns)\n\t\t\tp = max_ns;',
     ''),
    ('timer-window-not-capped-by-vm-max',
     '\tif (override && tmax > max)\n\t\ttmax = max;',
     ''),
    ('timer-poll-cut-by-budget',
     '\t\treturn timer_ns;',
     '\t\treturn timer_ns < hp->credit_ns ? timer_ns : hp->credit_ns;'),
    ('timer-poll-off-by-one',
     '\t\treturn timer_ns;',
     '\t\treturn timer_ns + (timer_ns > 1000);'),
    ('adaptive-polls-under-guest-no-poll',
     '\tif (!hp->poll_allowed)\n\t\treturn 0;\n\n\t/* Timer-aware',
     '\n\t/* Timer-aware'),
    ('set-config-in-halt-accepted',
     '\tif (hp->in_halt)\n\t\treturn VAPIC_EBUSY;\n'
     '\tif (cfg->policy != hp->cfg.policy)',
     '\tif (cfg->policy != hp->cfg.policy)'),
    ('set-config-resets-before-refusing',
     '\tret = check_config(cfg);\n\tif (ret)\n\t\treturn ret;\n'
     '\tif (hp->in_halt)',
     '\tif (cfg->policy != hp->cfg.policy)\n\t\treset_policy(hp);\n'
     '\tret = check_config(cfg);\n\tif (ret)\n\t\treturn ret;\n'
     '\tif (hp->in_halt)'),
    ('policy-switch-keeps-the-window',
     '\tif (cfg->policy != hp->cfg.policy)\n\t\treset_policy(hp);\n'
     '\thp->cfg = *cfg;',
     '\thp->cfg = *cfg;'),
    ('config-accepts-zero-block-cost',
     '\t\t    !c->block_cost_ns ||', '\t\t    0 ||'),
    ('refused-end-closes-the-halt',
     '\tif (!hp->in_halt)\n\t\treturn VAPIC_EBUSY;\n'
     '\tif ((flags & ~VAPIC_HALT_FLAGS_ALL)',
     '\tif (!hp->in_halt)\n\t\treturn VAPIC_EBUSY;\n'
     '\thp->in_halt = false;\n'
     '\tif ((flags & ~VAPIC_HALT_FLAGS_ALL)'),
    ('init-keeps-old-contents',
     '\t__builtin_memset(hp, 0, sizeof(*hp));\n\thp->cfg = *cfg;', 
     '\thp->cfg = *cfg;'),
]

# (name, core file, anchor text, replacement): each a real bug of the
# register file, IPIs or the fastpath.
LAPIC_MUTANTS = [
    ('priority-class-compare-off-by-one', 'libvapic/lapic.c',
     "\tif (v < 0 || ((u32)v & 0xf0) <= (lapic_ppr_(l) & 0xf0))",
     "\tif (v < 0 || ((u32)v & 0xf0) < (lapic_ppr_(l) & 0xf0))"),
    ('ppr-keeps-tpr-subclass-on-equal-class', 'libvapic/lapic_internal.h',
     "\tif (isrv < 0 || (tpr & 0xf0) >= ((u32)isrv & 0xf0))",
     "\tif (isrv < 0 || (tpr & 0xf0) + 0x10 >= ((u32)isrv & 0xf0))"),
    ('eoi-clears-lowest-isr', 'libvapic/lapic.c',
     "\tint v = l->isr_top;\n\tint act = 0;\n\tu32 i;",
     "\tint v = l->isr_top < 0 ? -1 : (int)(32 * __builtin_ctz(l->isr_words)"
     " + __builtin_ctz(l->isr[__builtin_ctz(l->isr_words)]));\n"
     "\tint act = 0;\n\tu32 i;"),
    ('illegal-vector-15-accepted', 'libvapic/lapic.c',
     "\tif (VAPIC_UNLIKELY(vector < VAPIC_VECTOR_MIN_LEGAL)) {",
     "\tif (VAPIC_UNLIKELY(vector < VAPIC_VECTOR_MIN_LEGAL - 1)) {"),
    ('x2apic-tpr-reserved-bits-ignored', 'libvapic/lapic_regs.c',
     "\t\tif (val & ~0xffULL)\n\t\t\treturn gp(l);\n"
     "\t\treturn write_tpr(l, (u32)val);",
     "\t\treturn write_tpr(l, (u32)val);"),
    ('x2apic-icr-bits-12-13-ignored', 'libvapic/lapic_regs.c',
     "#define X2APIC_ICR_RSVD 0x00000000fff33000ULL",
     "#define X2APIC_ICR_RSVD 0x00000000fff30000ULL"),
    ('illegal-base-x2apic-to-xapic-accepted', 'libvapic/lapic_regs.c',
     "\t    ((from == VAPIC_APIC_X2APIC && to == VAPIC_APIC_XAPIC) ||",
     "\t    ((0) ||"),
    ('logical-cluster-decode-wrong', 'libvapic/lapic_icr.c',
     "(dest >> 4) == (ldr >> 4)) &&", "(dest & 0xf) == (ldr >> 4)) &&"),
    ('all-but-self-includes-self', 'libvapic/lapic_icr.c',
     "\t\treturn ipi->src != l || ipi->delivery_mode == VAPIC_DM_LOWEST;",
     "\t\treturn true;"),
    ('esr-not-cleared-on-write', 'libvapic/lapic_regs.c',
     "\tl->esr = vapic_xchg(&l->esr_pending, 0);",
     "\tl->esr = VAPIC_READ_ONCE(l->esr_pending);"),
    ('fastpath-skips-the-poll', 'libvapic/fastpath.c',
     "\tif (act & VAPIC_LAPIC_ACT_POLL)\n\t\tpoll_lapic(l, e);",
     "\tif (0)\n\t\tpoll_lapic(l, e);"),
    ('sw-disable-leaves-lvts-unmasked', 'libvapic/lapic_regs.c',
     "\t\t\tVAPIC_WRITE_ONCE(l->lvt[i],\n"
     "\t\t\t\t\t l->lvt[i] | VAPIC_LVT_MASKED);",
     "\t\t\tVAPIC_WRITE_ONCE(l->lvt[i], l->lvt[i]);"),
    ('xapic-ldr-reserved-bits-kept', 'libvapic/lapic_regs.c',
     "\t\tVAPIC_WRITE_ONCE(l->ldr, val & 0xff000000U);",
     "\t\tVAPIC_WRITE_ONCE(l->ldr, val);"),
    ('x2apic-ldr-not-derived', 'libvapic/lapic_regs.c',
     "\t\tVAPIC_WRITE_ONCE(l->ldr, x2apic_ldr_(l->x2apic_id));\n"
     "\t\tl->icr_hi = 0;",
     "\t\tl->icr_hi = 0;"),
    ('eoi-broadcast-ignores-suppression', 'libvapic/lapic.c',
     "\t\tif (!((l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS) &&",
     "\t\tif (1 || !((l->flags & VAPIC_LAPIC_F_EOI_SUPPRESS) &&"),
    ('restore-accepts-vectors-below-16', 'libvapic/lapic_state.c',
     "\treturn !((s->irr[0] | s->isr[0] | s->tmr[0]) & 0xffffU);",
     "\treturn !((s->irr[0] | s->isr[0] | s->tmr[0]) & 0xff00U);"),
    ('software-disabled-apic-accepts', 'libvapic/lapic.c',
     "\tif (VAPIC_UNLIKELY(!(VAPIC_READ_ONCE(l->svr) & VAPIC_SVR_ENABLE))) {",
     "\tif (0) {"),
    ('x2apic-esr-nonzero-write-accepted', 'libvapic/lapic_regs.c',
     "\tcase VAPIC_REG_ESR:\n\t\tif (val)\n\t\t\treturn gp(l);",
     "\tcase VAPIC_REG_ESR:"),
    ('fastpath-self-ipi-not-counted', 'libvapic/fastpath.c',
     "\tcase VAPIC_REG_ICR_LO:\n\tcase VAPIC_REG_SELF_IPI:\n",
     "\tcase VAPIC_REG_ICR_LO:\n"),
    ('fastpath-gp-not-counted', 'libvapic/fastpath.c',
     "\t\t\tSTAT_INC_(fp->stats.gp_injections);\n", ""),
    ('lint-level-ignores-remote-irr', 'libvapic/lapic.c',
     "\tif ((lvt & VAPIC_LVT_REMOTE_IRR) || (lvt & VAPIC_LVT_MASKED))\n"
     "\t\treturn 0;\n\tif (accept_checked(",
     "\tif ((lvt & VAPIC_LVT_MASKED))\n"
     "\t\treturn 0;\n\tif (accept_checked("),
    ('eoi-keeps-lint-remote-irr', 'libvapic/lapic.c',
     "\t\t\tl->lvt[i] = lvt & ~VAPIC_LVT_REMOTE_IRR;",
     "\t\t\tl->lvt[i] = lvt;"),
    ('lint-edge-modes-on-level', 'libvapic/lapic.c',
     "\treturn rising ? deliver_lvt(l, lvt) : 0;",
     "\treturn asserted ? deliver_lvt(l, lvt) : 0;"),
    ('fastpath-timer-inject-counted-as-resume', 'libvapic/fastpath.c',
     "\t\t\te->vector = (u32)r;\n"
     "\t\t\tSTAT_INC_(fp->stats.fastpath_inject);",
     "\t\t\te->vector = (u32)r;\n"
     "\t\t\tSTAT_INC_(fp->stats.fastpath_resume);"),
]

TARGETS = {
    'timer': (None, MUTANTS),
    'haltpoll': ('libvapic/haltpoll.c', HALTPOLL_MUTANTS),
    'lapic': (None, LAPIC_MUTANTS),
}


def sh(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          **kw)


def first_violation(text):
    for line in text.splitlines():
        m = re.search(r'INVARIANT VIOLATED at op \d+ \(([^)]*)\): (.*)', line)
        if m:
            return '%s: %s' % (m.group(1), m.group(2)[:100])
        if 'runtime error' in line or 'ERROR: AddressSanitizer' in line:
            return line.strip()[:110]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--target', default='timer', choices=sorted(TARGETS),
                    help='fuzz target (default timer)')
    ap.add_argument('--fuzz', type=int, default=0,
                    help='libFuzzer executions for mutants the seeds miss')
    ap.add_argument('--corpus', help='starting corpus for --fuzz '
                    '(default: fuzz/work/timer/corpus if present)')
    ap.add_argument('--keep', help='work in this directory and keep it')
    ap.add_argument('--only', help='only the mutants whose name starts '
                    'with this (e.g. load-)')
    args = ap.parse_args()
    tgt = args.target
    core_file, mutants = TARGETS[tgt]

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = args.keep or tempfile.mkdtemp(prefix='vapic-mutants-')
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, 'src')
    if not os.path.isdir(src):
        os.makedirs(src)
        p = subprocess.Popen(['git', 'archive', 'HEAD'], cwd=root,
                             stdout=subprocess.PIPE)
        subprocess.run(['tar', '-x', '-C', src], stdin=p.stdout, check=True)
        p.wait()
    corpus = os.path.join(src, 'fuzz', 'corpus', tgt)
    seeds_raw = os.path.join(work, 'seeds')
    sh([sys.executable, 'fuzz/hexcorpus.py', 'tobin', corpus, seeds_raw], src)
    fuzz_corpus = args.corpus or os.path.join(root, 'fuzz', 'work', tgt,
                                              'corpus')
    # A mutant is (name, old, new) in the target's core file, or
    # (name, file, old, new).
    mutants = [m if len(m) == 4 else (m[0], core_file) + tuple(m[1:])
               for m in mutants]
    if args.only:
        mutants = [m for m in mutants if m[0].startswith(args.only)]
    origs = {}
    for m in mutants:
        if m[1] not in origs:
            origs[m[1]] = open(os.path.join(src, m[1])).read()

    if not os.path.isdir(os.path.join(src, 'bg')):
        r = sh(['meson', 'setup', 'bg'], src)
        if r.returncode:
            sys.exit('meson setup failed:\n' + r.stdout + r.stderr)
    if args.fuzz and not os.path.isdir(os.path.join(src, 'bf')):
        r = sh(['meson', 'setup', 'bf', '-Dfuzzing_engine=libfuzzer'], src,
               env=dict(os.environ, CC='clang'))
        if r.returncode:
            sys.exit('meson setup (clang) failed:\n' + r.stdout + r.stderr)

    caught = missed = 0
    try:
        for name, mfile, old, new in mutants:
            for f, o in origs.items():  # one mutant at a time
                open(os.path.join(src, f), 'w').write(o)
            orig = origs[mfile]
            timer_c = os.path.join(src, mfile)
            if old not in orig:
                print('%-34s STALE (anchor not in %s)' % (name, mfile))
                continue
            open(timer_c, 'w').write(orig.replace(old, new, 1))
            b = sh(['ninja', '-C', 'bg', '-j2', 'fuzz/replay_' + tgt], src)
            if b.returncode:
                print('%-34s BUILD FAILED' % name)
                continue
            r = sh(['bg/fuzz/replay_' + tgt, corpus], src)
            nfail = sum(1 for l in r.stdout.splitlines()
                        if l.startswith('not ok'))
            why = first_violation(r.stderr)
            if nfail:
                caught += 1
                print('%-34s caught by %d seed(s): %s' % (name, nfail, why))
                sys.stdout.flush()
                continue
            if not args.fuzz:
                missed += 1
                print('%-34s not caught by the seeds' % name)
                continue
            b = sh(['ninja', '-C', 'bf', '-j2', 'fuzz/fuzz_' + tgt], src)
            art = os.path.join(work, 'art-' + name)
            os.makedirs(art, exist_ok=True)
            dirs = [d for d in (fuzz_corpus, seeds_raw) if os.path.isdir(d)]
            tmpc = os.path.join(work, 'corpus-' + name)
            os.makedirs(tmpc, exist_ok=True)
            r = sh(['nice', '-n', '19', 'bf/fuzz/fuzz_' + tgt,
                    '-runs=%d' % args.fuzz, '-max_len=1024',
                    '-error_exitcode=77', '-artifact_prefix=' + art + '/',
                    tmpc] + dirs, src)
            why = first_violation(r.stderr)
            if r.returncode:
                caught += 1
                print('%-34s caught by libFuzzer: %s' % (name, why))
            else:
                missed += 1
                print('%-34s MISSED (seeds and %d execs)' % (name, args.fuzz))
            sys.stdout.flush()
    finally:
        for mfile, orig in origs.items():
            open(os.path.join(src, mfile), 'w').write(orig)
    print('%d caught, %d missed of %d mutants' % (caught, missed,
                                                   len(mutants)))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main())
