#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Helper of scripts/test.

  test-report.py no-suite-args BUILDDIR NAME
      meson test arguments that leave out the tests meant for other builds:
      a test with the suite "only-X" runs only in build X.

  test-report.py summary [--partial] [--status NAME=STATUS ...] NAME=BUILDDIR...
      per-build/per-suite table of what ran, the skipped tests with their
      reason, and as the very last line "N passed, N failed", where N counts
      every test case: each TAP subtest, or one case for a test that does
      not speak TAP.  STATUS "ok" means the build configured and compiled;
      anything else is the reason it did not (counted as one failed case).
      --partial: meson test ran a selection (scripts/test was given meson
      test arguments): tests that did not run are listed as not selected
      instead of failed.
      Exit status: 1 if anything failed or nothing passed.

Counting (from meson-logs/testlog.json and meson-info/intro-tests.json):
  - TAP: "ok" passed, "not ok" failed, "# SKIP" skipped, "# TODO" skipped
    ("not ok") or failed ("ok": unexpected pass, as meson); cases a plan
    "1..N" promised but that never ran are failed; "1..0 # SKIP why" skips
    the whole test.  If meson judged the test failed (crash, bad exit
    status, timeout) and no case failed, one more failed case is counted.
  - other tests: OK and EXPECTEDFAIL passed, SKIP skipped, anything else
    failed.
  - a registered test that never ran (and was not left to another build)
    is failed.
"""

import json
import os
import re
import sys

ONLY = "only-"
TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)(?:\s*#\s*(.*))?$")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b\s*(.*)$", re.I)


def suite_names(test):
    """Suite names of an intro-tests entry, without the project prefix."""
    return [s.split(":", 1)[-1] for s in test.get("suite", [])]


def short(text, limit=160):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def main_suite(suites):
    for s in suites:
        if not s.startswith(ONLY):
            return s
    return suites[0] if suites else "(none)"


def intro_tests(builddir):
    with open(os.path.join(builddir, "meson-info", "intro-tests.json")) as f:
        return json.load(f)


def excluded_by_build(suites, name):
    """Reason a test is not run in build name, or None."""
    only = [s[len(ONLY):] for s in suites if s.startswith(ONLY)]
    if only and name not in only:
        return f"runs in build {' / '.join(only)} only (suite {ONLY}{only[0]})"
    return None


def no_suite_args(builddir, name):
    other = set()
    for t in intro_tests(builddir):
        for s in suite_names(t):
            if s.startswith(ONLY) and s != ONLY + name:
                other.add(s)
    return [a for s in sorted(other) for a in ("--no-suite", s)]


def last_line(*texts):
    for text in texts:
        lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
        if lines:
            return lines[-1][:120]
    return ""


def count_tap(stdout):
    """(passed, failed, skipped, reasons, whole_skip_reason)."""
    p = f = s = 0
    reasons = []
    plan = None
    whole_skip = None
    bailed = False
    seen = 0
    for raw in (stdout or "").splitlines():
        line = raw.strip()
        m = PLAN.match(line)
        if m:
            plan = int(m.group(1))
            if plan == 0:
                whole_skip = (m.group(2) or "").strip() or "TAP plan 1..0"
                whole_skip = re.sub(r"^SKIP\s*:?\s*", "", whole_skip,
                                    flags=re.I) or "TAP plan 1..0"
            continue
        if line.startswith("Bail out!"):
            bailed = True
            reasons.append(("fail", line[:400]))
            continue
        m = TAP_LINE.match(line)
        if not m:
            continue
        seen += 1
        ok = m.group(1) == "ok"
        d = DIRECTIVE.search(m.group(2))
        if d and d.group(1).upper() == "SKIP":
            s += 1
            reasons.append(("skip", f"{m.group(2).split('#')[0].strip(' -')}"
                            f": SKIP {d.group(2).strip()}"))
        elif d and d.group(1).upper() == "TODO":
            what = m.group(2).split('#')[0].strip(' -')
            if ok:
                f += 1
                reasons.append(("fail", f"{what}: TODO passed unexpectedly"))
            else:
                s += 1
                reasons.append(("skip", f"{what}: TODO {d.group(2).strip()}"))
        elif ok:
            p += 1
        else:
            f += 1
            reasons.append(("fail", f"not ok: {m.group(2).strip(' -')[:400]}"))
    if plan is not None and plan > seen:
        f += plan - seen
        reasons.append(("fail", f"plan 1..{plan} but {seen} cases ran"))
    if bailed and f == 0:
        f += 1
    return p, f, s, reasons, whole_skip


class Row:
    def __init__(self):
        self.tests = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.time = 0.0


def summarize(builds, status, partial=False):
    rows = {}        # (build, suite) -> Row
    skips = []       # (build, what, reason)
    fails = []       # (build, what, reason)
    total_p = total_f = 0

    def row(b, s):
        return rows.setdefault((b, s), Row())

    for name, bdir in builds:
        st = status.get(name, "ok")
        if st != "ok":
            r = row(name, "(build)")
            r.failed += 1
            fails.append((name, "(build)", st))
            total_f += 1
            continue
        try:
            tests = intro_tests(bdir)
        except (OSError, ValueError) as e:
            row(name, "(build)").failed += 1
            fails.append((name, "(build)", f"no test list: {e}"))
            total_f += 1
            continue
        logs = []
        try:
            with open(os.path.join(bdir, "meson-logs", "testlog.json")) as f:
                logs = [json.loads(ln) for ln in f if ln.strip()]
        except (OSError, ValueError):
            pass
        # testlog names are "project:suite1+suite2 / name" (or just "name"
        # when the project has one suite).
        for e in logs:
            n = e["name"]
            if " / " in n:
                left, e["_name"] = n.split(" / ", 1)
                e["_suites"] = left.split(":", 1)[-1].split("+")
            else:
                e["_name"], e["_suites"] = n, None

        def find_run(tname, suites):
            for e in logs:
                if (not e.get("_used") and e["_name"] == tname
                        and e["_suites"] in (None, suites)):
                    e["_used"] = True
                    return e
            return None
        for t in tests:
            suites = suite_names(t)
            suite = main_suite(suites)
            what = f"{suite} / {t['name']}"
            r = row(name, suite)
            r.tests += 1
            why = excluded_by_build(suites, name)
            if why:
                r.skipped += 1
                skips.append((name, what, why))
                continue
            e = find_run(t["name"], suites)
            if e is None and partial:
                r.skipped += 1
                skips.append((name, what, "not selected"))
                continue
            if e is None:
                r.failed += 1
                total_f += 1
                fails.append((name, what, "did not run"))
                continue
            res = e.get("result", "ERROR")
            r.time += float(e.get("duration") or 0)
            if t.get("protocol") == "tap":
                p, f, s, reasons, whole = count_tap(e.get("stdout"))
                if res == "SKIP" or whole is not None:
                    r.skipped += 1
                    skips.append((name, what, whole or last_line(
                        e.get("stdout"), e.get("stderr")) or "skipped"))
                    continue
                if res not in ("OK", "EXPECTEDFAIL"):
                    f = max(f, 1)
                    reasons.append(("fail", f"meson: {res} (exit status "
                                    f"{e.get('returncode')})"))
                r.passed += p
                r.failed += f
                r.skipped += s
                total_p += p
                total_f += f
                for kind, why in reasons:
                    (fails if kind == "fail" else skips).append(
                        (name, what, why))
            else:
                if res in ("OK", "EXPECTEDFAIL"):
                    r.passed += 1
                    total_p += 1
                elif res == "SKIP":
                    r.skipped += 1
                    skips.append((name, what, last_line(
                        e.get("stdout"), e.get("stderr")) or
                        "exit status 77"))
                else:
                    r.failed += 1
                    total_f += 1
                    fails.append((name, what, f"meson: {res} (exit status "
                                  f"{e.get('returncode')})"))

    print()
    hdr = f"{'build':<7} {'suite':<16} {'tests':>5} {'passed':>7} " \
          f"{'failed':>7} {'skipped':>8} {'time':>8}"
    print(hdr)
    print("-" * len(hdr))
    order = {n: i for i, (n, _) in enumerate(builds)}
    for (b, s), r in sorted(rows.items(), key=lambda kv: (order[kv[0][0]],
                                                         kv[0][1])):
        print(f"{b:<7} {s:<16} {r.tests:>5} {r.passed:>7} {r.failed:>7} "
              f"{r.skipped:>8} {r.time:>7.1f}s")
    print("-" * len(hdr))
    for b in [n for n, _ in builds]:
        rs = [r for (bb, _), r in rows.items() if bb == b]
        print(f"{b:<7} {'all':<16} {sum(r.tests for r in rs):>5} "
              f"{sum(r.passed for r in rs):>7} {sum(r.failed for r in rs):>7} "
              f"{sum(r.skipped for r in rs):>8} "
              f"{sum(r.time for r in rs):>7.1f}s")
    if skips:
        print("\nSkipped (not counted as passed):")
        for b, what, why in skips:
            print(f"  {b:<6} {what}: {short(why)}")
    if fails:
        # In full (up to 480 characters): a CI log is often read from its
        # tail only, and this is all it says about a failure.
        print("\nFailed:")
        for b, what, why in fails:
            print(f"  {b:<6} {what}: {short(why, 480)}")
    print()
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f or not total_p else 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "no-suite-args":
        print(" ".join(no_suite_args(argv[1], argv[2])))
        return 0
    if argv and argv[0] == "summary":
        status = {}
        builds = []
        partial = False
        args = argv[1:]
        i = 0
        while i < len(args):
            if args[i] == "--partial":
                partial = True
                i += 1
                continue
            if args[i] == "--status":
                k, v = args[i + 1].split("=", 1)
                status[k] = v
                i += 2
                continue
            k, v = args[i].split("=", 1)
            builds.append((k, v))
            i += 1
        return summarize(builds, status, partial)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
