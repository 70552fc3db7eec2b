#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Run one test guest under vapic-vmm and judge the result (meson suite 'kvm').

Exit 0 if the guest exited 0 and every check and expectation holds, 1 if not,
77 (meson's "skipped") if /dev/kvm is missing or not accessible: a skip,
never a pass.

usage: run_guest.py VMM GUEST [--expect-samples NAME] [--no-early]
                    [--counter-eq A=B] [--counter-is NAME=N]
                    [--libvapic-gt NAME=N] [--expect-status N]
                    [--kill-after SECONDS] [VMM ARGS...]

--counter-is: the guest's counter NAME (summed over vCPUs) equals N.
--libvapic-gt: libvapic's statistic NAME (the JSON "libvapic" object,
summed over vCPUs) is greater than N.
--expect-status: the VMM's exit status (default 1: the guest exited 0).
--kill-after: kill the VMM if it has not exited after this long (a FAIL).
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    argv = sys.argv[1:]
    if len(argv) < 2:
        sys.exit(__doc__)
    vmm, guest, rest = argv[0], argv[1], argv[2:]
    expect_samples, no_early, eqs, vmm_args = [], False, [], []
    counter_is, lib_gt = [], []
    want_status, kill_after = 1, None
    i = 0
    while i < len(rest):
        if rest[i] == "--expect-samples":
            expect_samples.append(rest[i + 1])
            i += 2
        elif rest[i] == "--no-early":
            no_early = True
            i += 1
        elif rest[i] == "--counter-is":
            counter_is.append(rest[i + 1].split("="))
            i += 2
        elif rest[i] == "--libvapic-gt":
            lib_gt.append(rest[i + 1].split("="))
            i += 2
        elif rest[i] == "--expect-status":
            want_status = int(rest[i + 1])
            i += 2
        elif rest[i] == "--kill-after":
            kill_after = float(rest[i + 1])
            i += 2
        elif rest[i] == "--counter-eq":
            eqs.append(rest[i + 1].split("="))
            i += 2
        else:
            vmm_args.append(rest[i])
            i += 1
    if not os.path.exists("/dev/kvm"):
        print("SKIP: /dev/kvm does not exist on this machine")
        return 77
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is not accessible to this user")
        return 77
    with tempfile.TemporaryDirectory() as d:
        js_path = os.path.join(d, "r.json")
        csv_path = os.path.join(d, "s.csv")
        cmd = [vmm, "--quiet", "--stats", "--timeout", "60", "--json",
               js_path, "--samples-csv", csv_path] + vmm_args + [guest]
        print("+", " ".join(cmd), flush=True)
        try:
            p = subprocess.run(cmd, timeout=kill_after)
        except subprocess.TimeoutExpired:
            print("FAIL: the VMM did not exit within %g s" % kill_after)
            return 1
        if not os.path.exists(js_path):
            print("FAIL: the VMM wrote no results (status %d)" % p.returncode)
            return 1
        with open(js_path) as f:
            js = json.load(f)
        with open(csv_path) as f:
            early = sum(1 for line in f.readlines()[1:]
                        if int(line.split(",")[3]) < 0)
    ok = True
    if p.returncode != want_status:
        print("FAIL: VMM status %d (want %d%s)" %
              (p.returncode, want_status,
               ": guest exit code 0" if want_status == 1 else ""))
        ok = False
    failed = [c["name"] for c in js["checks"] if not c["pass"]]
    print("%d checks passed, %d failed%s" %
          (len(js["checks"]) - len(failed), len(failed),
           (": " + " ".join(failed)) if failed else ""))
    if failed:
        ok = False
    names = {s["name"] for s in js["samples"]}
    for n in expect_samples:
        if n not in names:
            print("FAIL: no '%s' samples reported" % n)
            ok = False
    if no_early and early:
        print("FAIL: %d early timer interrupts" % early)
        ok = False
    elif early:
        print("note: %d early timer interrupts (not judged: no --no-early)"
              % early)
    counters = {}
    for k, v in js["counters"].items():
        name = k.split("@")[0]
        counters[name] = counters.get(name, 0) + v
    for a, b in eqs:
        if counters.get(a) != counters.get(b):
            print("FAIL: counter %s = %s, %s = %s" %
                  (a, counters.get(a), b, counters.get(b)))
            ok = False
    for a, n in counter_is:
        if counters.get(a) != int(n):
            print("FAIL: counter %s = %s, want %s" % (a, counters.get(a), n))
            ok = False
    lib = js.get("libvapic", {})
    for a, n in lib_gt:
        if not isinstance(lib.get(a), int) or lib[a] <= int(n):
            print("FAIL: libvapic %s = %s, want > %s" % (a, lib.get(a), n))
            ok = False
        else:
            print("libvapic %s = %d" % (a, lib[a]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
