#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""vapic-vmm's command line (TAP; no /dev/kvm needed: arguments are read
first): every option that takes a value refuses a bad one with exit status
2 (VMM_STATUS_ERROR) and a message naming that option.

Usage: check_cli.py VAPIC_VMM
"""
import subprocess
import sys

BAD = [
    ("irqchip", "x"), ("cpus", "0"), ("mem", "1"), ("haltpoll", "x"),
    ("pv-eoi", "x"), ("wake-prequeue", "x"), ("set", "x"),
    ("timeout", "x"), ("haltpoll-set", "x"),
]


def main():
    vmm = sys.argv[1]
    print(f"1..{len(BAD)}")
    ok_all = True
    for i, (opt, val) in enumerate(BAD, 1):
        r = subprocess.run([vmm, f"--{opt}={val}", "guest.elf"],
                           capture_output=True, text=True, timeout=30)
        want = f"bad value for --{opt}: '{val}'"
        ok = r.returncode == 2 and want in r.stderr
        ok_all &= ok
        print(f"{'ok' if ok else 'not ok'} {i} - --{opt}={val}: exit 2, "
              f"\"{want}\"")
        if not ok:
            print(f"# got exit {r.returncode}: {r.stderr.strip()[:200]}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
