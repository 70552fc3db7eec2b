#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Check that a fuzz target's seed corpus reaches what it says it reaches.

Runs the replay driver over the corpus; the target prints, for every input,
a summary line '# ops N events N deliveries N: flag flag ...'
(fuzz_summary()).  Every *.hex input with an '# expect: flag ...' line must
reach those flags, and together the inputs must reach every flag given with
--all.  Prints TAP: one case per input with expectations, one for --all.

usage: check_reach.py REPLAY_BINARY CORPUS_DIR [--all flag,flag,...]
"""
import os
import re
import subprocess
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    replay, corpus = argv[1], argv[2]
    want_all = []
    if len(argv) > 4 and argv[3] == '--all':
        want_all = [f for f in argv[4].split(',') if f]

    expect = {}
    for name in sorted(os.listdir(corpus)):
        if not name.endswith('.hex'):
            continue
        with open(os.path.join(corpus, name)) as f:
            for line in f:
                m = re.match(r'#\s*expect:\s*(.*)', line)
                if m:
                    expect[name] = m.group(1).split()
                    break

    proc = subprocess.run([replay, corpus], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    reached, status, summary = {}, {}, None
    for line in proc.stdout.splitlines():
        m = re.match(r'# ops \d+ events \d+ deliveries (\d+):(.*)', line)
        if m:
            summary = set(m.group(2).split())
            continue
        m = re.match(r'(not )?ok \d+ - (\S+)', line)
        if m:
            status[m.group(2)] = not m.group(1)
            reached[m.group(2)] = summary or set()
            summary = None

    cases = []
    union = set()
    for name in sorted(status):
        if status[name]:
            union |= reached[name]
    for name, flags in sorted(expect.items()):
        missing = [f for f in flags if f not in reached.get(name, ())]
        if name not in status:
            cases.append((False, name, 'not run'))
        elif not status[name]:
            cases.append((False, name, 'the input failed'))
        elif missing:
            cases.append((False, name, 'does not reach: ' +
                          ' '.join(missing)))
        else:
            cases.append((True, name, 'reaches ' + ' '.join(flags)))
    if want_all:
        missing = [f for f in want_all if f not in union]
        cases.append((not missing, 'corpus reaches every mode',
                      'missing: ' + ' '.join(missing) if missing else
                      ' '.join(want_all)))
    if not cases:
        cases.append((False, 'expectations', 'no input has an expect line'))

    print('1..%d' % len(cases))
    for i, (ok, name, what) in enumerate(cases, 1):
        print('%sok %d - %s: %s' % ('' if ok else 'not ', i, name, what))
    if proc.returncode and not any(not ok for ok, _, _ in cases):
        sys.stderr.write(proc.stderr)
    return 0 if all(ok for ok, _, _ in cases) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
