#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Run vapic-demo and check its output, so the demo cannot rot.

For every built-in scenario: exit status 0, the invariant summary 'ok',
timer_early 0, at least one timer interrupt, every INJECT/POSTED line at or
after its deadline (guest TSC column >= 'deadline N'), the guest TSC column
never going backwards; the tour shows what the README promises (clamping,
masking, a past deadline, adaptive advance, waits, migration); the output is
deterministic for a seed and changes with it; a scenario file runs like the
built-in it was printed from; bad input fails cleanly.  Prints TAP.

usage: check_demo.py VAPIC_DEMO
"""
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r'^\s*(\d+)\s+(\d+\.\d{3})  (.*)$')


def run(demo, *args):
    p = subprocess.run([demo] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def stat(out, name):
    m = re.search(r'^\s+%s\s+(\d+)$' % re.escape(name), out, re.M)
    return int(m.group(1)) if m else None


def timeline_problems(out):
    """Deliveries before their deadline, or time going backwards."""
    last_tsc = 0
    probs = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        tsc, ev = int(m.group(1)), m.group(3)
        if tsc < last_tsc and not ev.startswith('restore'):
            probs.append('guest TSC went back: ' + line.strip())
        last_tsc = tsc
        d = re.match(r'(INJECT|POSTED) vector \S+ deadline (\d+)', ev)
        if d and tsc < int(d.group(2)):
            probs.append('early: ' + line.strip())
    return probs


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    demo = argv[1]
    cases = []

    def case(ok, name, why=''):
        cases.append((bool(ok), name, why))

    rc, out, _ = run(demo, '--list')
    names = [l.split()[0] for l in out.splitlines() if l.strip()]
    case(rc == 0 and 'tour' in names and len(names) >= 5,
         '--list names the built-in scenarios', ' '.join(names))

    for name in names:
        rc, out, err = run(demo, '--scenario', name, '--seed', '1')
        injections = stat(out, 'timer_injections')
        probs = timeline_problems(out)
        case(rc == 0 and re.search(r'^\s+result:\s+ok$', out, re.M),
             '%s: exits 0, invariants ok' % name, err.strip()[:200])
        case(stat(out, 'timer_early') == 0 and
             'never early:    ok' in out,
             '%s: timer_early 0' % name)
        case(injections and injections > 0,
             '%s: timer interrupts delivered' % name,
             'timer_injections %s' % injections)
        case(not probs, '%s: timeline in order, nothing before its '
             'deadline' % name, '; '.join(probs[:3]))

    rc, tour, _ = run(demo)
    for what, pattern in [
            ('clamps a short period', r'clamped'),
            ('drops ticks while masked', r'not delivered \(LVT masked\)'),
            ('fires a past deadline at once', r'already passed: due now'),
            ('tunes the adaptive advance', r'adaptive advance: \d+ -> \d+'),
            ('waits out the advance window', r'vCPU waits \d+ ns'),
            ('migrates to another host', r'restore on a new host'),
            ('prints kvm_stat names', r'^\s+timer_lateness_hist\s*$'),
            ('reads the MSR as 0 after it fired',
             r'RDMSR TSC_DEADLINE -> 0 ')]:
        case(re.search(pattern, tour, re.M), 'tour ' + what, pattern)

    rc2, tour2, _ = run(demo, '--scenario', 'tour', '--seed', '1')
    case(rc == 0 and tour == tour2, 'deterministic for a seed')
    rc3, tour3, _ = run(demo, '--seed', '7')
    case(rc3 == 0 and tour3 != tour and
         re.search(r'^\s+result:\s+ok$', tour3, re.M),
         'another seed: another timeline, still ok')

    rc, script, _ = run(demo, '--print', 'tour')
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'tour.txt')
        with open(path, 'w') as f:
            f.write(script)
        rc4, fromfile, _ = run(demo, '--scenario', path)
        body = lambda s: s.split('\n', 1)[1]
        case(rc == 0 and rc4 == 0 and body(fromfile) == body(tour),
             'a scenario file runs like the built-in (trace simulator)')
        bad = os.path.join(tmp, 'bad.txt')
        with open(bad, 'w') as f:
            f.write('svr on\nfrobnicate 3\n')
        rc5, _, err5 = run(demo, '--scenario', bad)
        case(rc5 == 2 and 'unknown command' in err5 and ':2:' in err5,
             'a bad scenario line fails with its line number', err5.strip())
    rc6, _, err6 = run(demo, '--scenario', 'no-such-scenario')
    case(rc6 == 2 and 'neither' in err6, 'an unknown scenario fails')
    rc7, out7, _ = run(demo, '--help')
    case(rc7 == 0 and '--scenario' in out7 and '--seed' in out7,
         '--help describes the options')
    rc8, out8, _ = run(demo, '--stats-only')
    case(rc8 == 0 and 'INJECT' not in out8 and 'timer_arms' in out8,
         '--stats-only prints no timeline')

    print('1..%d' % len(cases))
    for i, (ok, name, why) in enumerate(cases, 1):
        print('%sok %d - %s' % ('' if ok else 'not ', i, name))
        if not ok and why:
            print('#   ' + why.replace('\n', '\n#   '))
    return 0 if all(ok for ok, _, _ in cases) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
