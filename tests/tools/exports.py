#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Symbol visibility of the shared library (suite 'install').

usage: exports.py --build BUILD --nm NM LIB.so

The shared library is built with hidden visibility; only what an installed
header declares with VAPIC_API may be exported.  Cases:
 - every dynamic symbol LIB.so defines (nm -D --defined-only) is declared
   VAPIC_API in an installed header;
 - no internal name is exported (vapic_*_ cross-file helpers, u128_*, or any
   name outside the vapic_ namespace);
 - every VAPIC_API declaration is exported (else users get link errors);
 - negative control: the same checks applied to the global symbols of the
   static archive (where visibility does not hide the core's cross-file
   helpers) must fail.
The installed headers come from meson's install plan, so new headers are
covered without editing this test.
"""

import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap, run  # noqa: E402
from installplan import installed_headers  # noqa: E402

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # Drop preprocessor lines (with their continuations): the #define of
    # VAPIC_API itself is not a declaration.
    return re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)


def declared_api(path):
    """Names declared with VAPIC_API in a header: for a function, the
    identifier before the first '('; for data, the last identifier before
    '[', '=' or ';'."""
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    names = set()
    for m in re.finditer(r"\bVAPIC_API\b([^;{]*)", text):
        decl = m.group(1)
        if "(" in decl:
            ids = IDENT.findall(decl[:decl.index("(")])
        else:
            ids = IDENT.findall(re.split(r"[\[=]", decl)[0])
        if ids:
            names.add(ids[-1])
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--control", help="static archive of the same code: its "
                    "global symbols (no visibility applied) must be rejected")
    ap.add_argument("lib")
    a = ap.parse_args()
    tap = Tap()

    declared = {}
    for src, rel in installed_headers(a.build):
        for n in declared_api(src):
            declared[n] = rel
    if not declared:
        tap.bail("no VAPIC_API declaration found in the installed headers")
    rc, out = run([a.nm, "-D", "--defined-only", a.lib])
    if rc != 0:
        tap.bail(f"nm -D failed on {a.lib}: {out.strip()}")
    exported = {ln.split()[-1] for ln in out.splitlines()
                if len(ln.split()) >= 3}
    print(f"# {os.path.basename(a.lib)}: {len(exported)} exported symbols, "
          f"{len(declared)} VAPIC_API declarations")

    def undeclared_of(syms):
        return sorted(syms - set(declared))

    def internal_of(syms):
        return sorted(s for s in syms
                      if s.endswith("_") or s.startswith("u128_")
                      or not s.startswith("vapic_"))

    undeclared = undeclared_of(exported)
    tap.case(not undeclared,
             "exports only VAPIC_API declarations of installed headers",
             [f"exported but not declared VAPIC_API: {s}" for s in undeclared])
    internal = internal_of(exported)
    tap.case(not internal, "exports no internal name (*_, u128_*, non-vapic_)",
             [f"internal symbol exported: {s}" for s in internal])
    missing = sorted(set(declared) - exported)
    tap.case(not missing, "exports every VAPIC_API declaration",
             [f"declared VAPIC_API in <{declared[s]}> but not exported: {s}"
              for s in missing])
    if a.control:
        rc, out = run([a.nm, "-g", "--defined-only", a.control])
        syms = {ln.split()[-1] for ln in out.splitlines()
                if len(ln.split()) >= 3}
        caught = internal_of(syms) + undeclared_of(syms)
        tap.case(rc == 0 and bool(caught),
                 "control: the same checks reject the static archive's "
                 f"global symbols ({', '.join(sorted(set(caught))[:3])})",
                 [f"nm rc={rc}", "nothing caught: the checks cannot fail"])
    tap.done()


if __name__ == "__main__":
    main()
