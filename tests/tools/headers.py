#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Header self-containment (suite 'headers').

usage: headers.py --root SRC --build BUILD [--warn=FLAG ...] -- CC [args]

Lists the headers at test time, so headers added later are checked without
editing anything:
 - hosted: every installed header (from meson's install plan), staged in a
   scratch include dir exactly as `meson install` lays it out, compiles on its
   own: a translation unit that includes only that header (twice, to check the
   include guard), -std=c11, the project's warnings, -Werror, and no -I but
   the staged dir;
 - freestanding: every include/vapic/*.h compiles the same way with the
   freestanding proof's flags (-ffreestanding -nostdinc, compiler headers
   only; see freestanding.py);
 - every include/vapic/*.h is installed.
"""

import argparse
import glob
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import (Tap, run, cmdline, split_args,  # noqa: E402
                    freestanding_flags)
from installplan import installed_headers  # noqa: E402


def tu_for(hdr):
    return (f"#include <{hdr}>\n#include <{hdr}>\n"
            "/* ISO C wants a declaration in every translation unit. */\n"
            "extern int vapic_header_check_;\n")


def main():
    opts, cc = split_args(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--warn", action="append", default=[])
    a = ap.parse_args(opts)
    tap = Tap()
    if not cc:
        tap.bail("no compiler given after --")
    root = os.path.abspath(a.root)
    public = sorted(glob.glob(os.path.join(root, "include", "vapic", "*.h")))
    if not public:
        tap.bail("no include/vapic/*.h found")
    try:
        inst = installed_headers(a.build)
    except (OSError, ValueError, KeyError) as e:
        tap.bail(f"cannot read meson's install plan in {a.build}: {e}")
    fflags = freestanding_flags(cc)
    if fflags is None:
        tap.bail(f"{cmdline(cc)}: cannot find the compiler's include dir")

    inst_src = {os.path.realpath(s) for s, _ in inst}
    missing = [os.path.relpath(p, root) for p in public
               if os.path.realpath(p) not in inst_src]
    tap.case(not missing, "every include/vapic/*.h is installed",
             [f"not installed: {m}" for m in missing])

    hosted = cc + ["-std=c11", "-Werror"] + a.warn
    with tempfile.TemporaryDirectory(prefix="vapic-headers-") as tmp:
        stage = os.path.join(tmp, "include")
        for src, rel in inst:
            dst = os.path.join(stage, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(src, dst)

        def compiles(hdr, cmd):
            tu = os.path.join(tmp, "tu.c")
            with open(tu, "w") as f:
                f.write(tu_for(hdr))
            full = cmd + ["-fsyntax-only", tu]
            rc, out = run(full)
            return rc == 0, [cmdline(full), "TU: " + tu_for(hdr).splitlines()[0]
                             ] + out.splitlines()

        def check(what, hdr, cmd):
            ok, log = compiles(hdr, cmd)
            tap.case(ok, f"{what} {hdr}", log)

        # Negative controls: the same check must reject a header that is not
        # self-contained and one without an include guard.
        ctl = os.path.join(tmp, "control")
        os.makedirs(os.path.join(ctl, "vapic"))
        bad = {
            "needs-include": "/* uses uint32_t without <vapic/types.h> */\n"
                             "uint32_t vapic_ctl_(void);\n",
            "no-guard": "#include <vapic/types.h>\n"
                        "struct vapic_ctl_ { uint32_t x; };\n",
        }
        for name, text in bad.items():
            with open(os.path.join(ctl, "vapic", name + ".h"), "w") as f:
                f.write(text)
            ok, log = compiles(f"vapic/{name}.h",
                               hosted + ["-I", ctl, "-I", stage])
            tap.case(not ok, f"control: vapic/{name}.h is rejected",
                     ["ACCEPTED: the check would not catch this"] + log)

        for _, rel in inst:
            check("hosted", rel, hosted + ["-I", stage])
        for p in public:
            rel = "vapic/" + os.path.basename(p)
            check("freestanding", rel, cc + fflags + a.warn
                  + ["-I", os.path.join(root, "include")])
    tap.done()


if __name__ == "__main__":
    main()
