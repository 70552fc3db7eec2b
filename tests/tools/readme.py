#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""README.md's embedding example compiles, links and runs (suite 'docs').

usage: readme.py --root SRC --lib LIBVAPIC.a -- CC [args]

Extracts the ```c block that follows the "readme-example" marker comment in
README.md into readme-block.c, and builds tests/docs/readme-example.c (which
includes the block and supplies the VMM services it declares, on a fake
clock) with user-level strict flags against include/ and the static library,
then runs it: the example must inject the timer vector at its deadline and
not before.  So the README cannot rot silently.
"""

import argparse
import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap, run, cmdline, split_args  # noqa: E402

FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]


def main():
    opts, cc = split_args(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--lib", required=True)
    a = ap.parse_args(opts)
    tap = Tap()
    if not cc:
        tap.bail("no compiler given after --")
    root = os.path.abspath(a.root)
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"<!--\s*readme-example:[^>]*-->\s*\n```c\n(.*?)\n```",
                        text, flags=re.S)
    tap.case(len(blocks) == 1, "README.md has one marked embedding example",
             f"found {len(blocks)} marked ```c blocks")
    if len(blocks) != 1:
        tap.done()
    block = blocks[0]
    print(f"# example: {len(block.splitlines())} lines")
    with tempfile.TemporaryDirectory(prefix="vapic-readme-") as tmp:
        with open(os.path.join(tmp, "readme-block.c"), "w") as f:
            f.write(block + "\n")
        exe = os.path.join(tmp, "readme-example")
        cmd = cc + FLAGS + ["-I", tmp, "-I", os.path.join(root, "include"),
                            os.path.join(root, "tests", "docs",
                                         "readme-example.c"),
                            a.lib, "-o", exe]
        rc, out = run(cmd)
        tap.case(rc == 0, "README example compiles and links "
                 f"({' '.join(FLAGS)})", [cmdline(cmd)] + out.splitlines())
        if rc == 0:
            rc, out = run([exe])
            tap.case(rc == 0, "README example runs: injects at the deadline, "
                     "not before", out)
        else:
            tap.skip("README example runs", "did not build")
    tap.done()


if __name__ == "__main__":
    main()
