#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Freestanding proof of the libvapic core (suite 'freestanding').

usage: freestanding.py --root SRC --nm NM [--warn=FLAG ...] -- CC [CC args]

Every core .c listed in libvapic/sources.txt is compiled with the build's C
compiler in a kernel-like freestanding configuration (taplib.FREESTANDING_*:
-ffreestanding -nostdinc -isystem <the compiler's own include dir>, no
SSE/MMX/x87, no red zone, -Wvla, -Wframe-larger-than=1024, -Werror, plus the
project's warning flags) against adapters/freestanding/vapic_env.h, which uses
compiler headers only.  Then each object's undefined symbols (nm -u) must be
in ALLOWED or defined by another core object: clang turns floating point into
soft-float library calls under -mno-sse instead of failing, and a libc call
would otherwise only show at link time.

Negative controls: every tests/freestanding/*.c is a small bad source that
must be rejected by the very same checker, for the reason its
"freestanding-control: expect /REGEX/" line names (matched against the
checker's output), and must compile in an ordinary hosted build (so it is
rejected for being non-freestanding, not for being broken C).  The suite fails
if any control is accepted.

TAP cases: "compile F" and "symbols F" per core file, one per control.
"""

import argparse
import glob
import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import (Tap, run, cmdline, split_args,  # noqa: E402
                    freestanding_flags)

# What a kernel (and any freestanding host) provides besides the core itself.
ALLOWED_UNDEFINED = {"memcpy", "memset", "memmove", "memcmp",
                     "vapic_warn_report_"}


def main():
    opts, cc = split_args(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--warn", action="append", default=[])
    a = ap.parse_args(opts)
    tap = Tap()
    if not cc:
        tap.bail("no compiler given after --")
    root = os.path.abspath(a.root)
    fflags = freestanding_flags(cc)
    if fflags is None:
        tap.bail(f"{cmdline(cc)}: cannot find the compiler's include dir "
                 "(-print-file-name=include)")
    incs = ["-I", os.path.join(root, "include"),
            "-I", os.path.join(root, "adapters", "freestanding"),
            "-I", os.path.join(root, "libvapic")]
    base = cc + fflags + a.warn + incs + ["-DVAPIC_BUILDING"]
    print(f"# checker: {cmdline(base)} -c FILE")
    print(f"# then: {a.nm} -u FILE.o must be within "
          f"{' '.join(sorted(ALLOWED_UNDEFINED))} + core symbols")

    with open(os.path.join(root, "libvapic", "sources.txt")) as f:
        core = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    if not core:
        tap.bail("libvapic/sources.txt lists no core file")
    controls = sorted(glob.glob(os.path.join(root, "tests", "freestanding",
                                             "*.c")))

    def nm_syms(obj, *flags):
        rc, out = run([a.nm] + list(flags) + [obj])
        if rc != 0:
            return None, out
        return {ln.split()[-1] for ln in out.splitlines() if ln.strip()}, out

    with tempfile.TemporaryDirectory(prefix="vapic-freestanding-") as tmp:
        def compile_unit(src, tag):
            obj = os.path.join(tmp, tag + "-" + os.path.basename(src) + ".o")
            rc, out = run(base + ["-c", src, "-o", obj])
            return (obj if rc == 0 else None), out

        def symbol_problems(obj, allowed):
            undef, out = nm_syms(obj, "-u")
            if undef is None:
                return [f"nm -u failed: {out.strip()}"]
            return [f"undefined symbol not allowed in freestanding code: {s}"
                    for s in sorted(undef - allowed)]

        # Core files: compile all, then check symbols against the union.
        objs = {}
        defined = set()
        for name in core:
            src = os.path.join(root, "libvapic", name)
            obj, out = compile_unit(src, "core")
            tap.case(obj is not None, f"compile {name}",
                     [cmdline(base + ['-c', src])] + out.splitlines())
            if obj:
                objs[name] = obj
                d, _ = nm_syms(obj, "-g", "--defined-only")
                defined |= d or set()
        broken = [n for n in core if n not in objs]
        for name in core:
            if name not in objs:
                tap.skip(f"symbols {name}", "did not compile")
                continue
            if broken:
                # Its references into a file that failed would be false
                # alarms; the failed compile already fails the run.
                tap.skip(f"symbols {name}", f"{', '.join(broken)} did not "
                         "compile: the core's symbol set is unknown")
                continue
            bad = symbol_problems(objs[name], ALLOWED_UNDEFINED | defined)
            tap.case(not bad, f"symbols {name}", bad)

        # Negative controls: the same compile + symbol check must reject them.
        if not controls:
            tap.case(False, "negative controls present in tests/freestanding/")
        hosted = cc + ["-std=c11", "-w", "-I", os.path.join(root, "include"),
                       "-I", os.path.join(root, "adapters", "user"),
                       "-I", os.path.join(root, "libvapic"), "-DVAPIC_BUILDING",
                       "-fsyntax-only"]
        for src in controls:
            name = os.path.basename(src)
            with open(src) as f:
                m = re.search(r"freestanding-control:\s*expect\s*/(.*)/",
                              f.read())
            if not m:
                tap.case(False, f"control {name} rejected",
                         "no 'freestanding-control: expect /REGEX/' line")
                continue
            expect = re.compile(m.group(1))
            rc, out = run(hosted + [src])
            if rc != 0:
                tap.case(False, f"control {name} rejected",
                         ["control does not compile in a hosted build "
                          "(broken control):"] + out.splitlines())
                continue
            obj, out = compile_unit(src, "control")
            if obj is None:
                why = out
            else:
                own, _ = nm_syms(obj, "-g", "--defined-only")
                why = "\n".join(symbol_problems(
                    obj, ALLOWED_UNDEFINED | defined | (own or set())))
            if not why.strip():
                tap.case(False, f"control {name} rejected",
                         "ACCEPTED by the freestanding checker: the proof "
                         "would not catch this")
                continue
            ok = expect.search(why) is not None
            first = next((ln for ln in why.splitlines()
                          if expect.search(ln)), "")
            first = re.sub(r"^.*?(error|warning): ", "", first.strip())
            tap.case(ok, f"control {name} rejected"
                     + (f": {first[:90]}" if ok else ""),
                     [f"rejected, but not for the expected /{expect.pattern}/:"]
                     + why.splitlines())
    tap.done()


if __name__ == "__main__":
    main()
