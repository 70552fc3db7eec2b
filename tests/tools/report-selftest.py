#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""scripts/test counts exactly (suite 'tools').

usage: report-selftest.py --root SRC --meson MESON

Configures the fixture project tests/report/ (tests with known outcomes:
passing, failing and crashing TAP tests, skipped cases, a TAP 1..0 skip,
plain pass/fail/skip/expected-fail tests, tests restricted to one build)
in a scratch dir, runs it the way scripts/test does, and checks that
scripts/test-report.py prints exactly the expected counts, lists every skip
and failure with its reason, and exits non-zero.
"""

import argparse
import os
import shlex
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap, run, cmdline  # noqa: E402

EXPECT_LAST = "14 passed, 5 failed"
EXPECT_SKIPS = ["SKIP no widget here", "/dev/widget not accessible",
                "needs /dev/widget: not accessible",
                "runs in build other only (suite only-other)"]
EXPECT_FAILS = ["tap-one-fails: not ok: 2 - b",
                "tap-crash: plan 1..4 but 2 cases ran",
                "plain-fail: meson: FAIL", "tap-exit-nonzero: meson: ERROR"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--meson", default="meson")
    a = ap.parse_args()
    tap = Tap()
    meson = shlex.split(a.meson)
    report = [sys.executable, os.path.join(a.root, "scripts",
                                           "test-report.py")]
    with tempfile.TemporaryDirectory(prefix="vapic-report-") as tmp:
        b = os.path.join(tmp, "b")
        cmd = meson + ["setup", b, os.path.join(a.root, "tests", "report")]
        rc, out = run(cmd)
        if rc != 0:
            tap.bail(f"{cmdline(cmd)} failed: {out[-500:]}")
        rc, args = run(report + ["no-suite-args", b, "this"], stderr=None)
        tap.case(rc == 0 and args.split() == ["--no-suite", "only-other"],
                 "no-suite-args leaves out other builds' tests",
                 f"got {args!r}")
        run(meson + ["test", "-C", b, "--no-rebuild"] + args.split())
        rc, out = run(report + ["summary", f"this={b}"])
        lines = out.rstrip("\n").splitlines()
        tap.case(bool(lines) and lines[-1] == EXPECT_LAST,
                 f"last line is exactly '{EXPECT_LAST}'", out)
        tap.case(rc == 1, "exit status 1 when a case failed", f"rc={rc}")
        missing = [s for s in EXPECT_SKIPS if s not in out]
        tap.case(not missing, f"all {len(EXPECT_SKIPS)} skips listed with "
                 "their reason", [f"missing: {m}" for m in missing] + lines)
        missing = [s for s in EXPECT_FAILS if s not in out]
        tap.case(not missing, f"all {len(EXPECT_FAILS)} failures listed",
                 [f"missing: {m}" for m in missing] + lines)
        rc, out = run(report + ["summary", "--status",
                                "this=configure or build failed", f"this={b}"])
        tap.case(out.rstrip("\n").splitlines()[-1:] == ["0 passed, 1 failed"]
                 and rc == 1, "a build that failed counts as one failed case",
                 out)
        # A selection (scripts/test --suite alpha): the rest is not failed.
        run(meson + ["test", "-C", b, "--no-rebuild", "--suite", "alpha"])
        rc, out = run(report + ["summary", "--partial", f"this={b}"])
        sel = out.rstrip("\n").splitlines()[-1:]
        rc2, out2 = run(report + ["summary", f"this={b}"])
        full = out2.rstrip("\n").splitlines()[-1:]
        tap.case(sel == ["7 passed, 3 failed"] and
                 full == ["7 passed, 11 failed"],
                 "a selection counts only what ran (--partial); without "
                 "--partial unrun tests are failed", [f"{sel} / {full}"])
    tap.done()


if __name__ == "__main__":
    main()
