#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Every tracked file carries an SPDX line (suite 'style').

usage: spdx.py --root SRC

Files: `git ls-files` when the source is a git checkout, else every file
under the source tree except build dirs.  Each text file must contain
"SPDX-License-Identifier:" within its first 5 lines, except the exempt
ones: the licence text itself, data (see EXEMPT), and binary files.
Negative control: the same check must flag a scratch file without the line.
"""

import argparse
import fnmatch
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap  # noqa: E402

TAG = "SPDX-License-Identifier:"
HEAD_LINES = 5
# Data, not source: the licence, plain lists (libvapic/sources.txt is read
# line by line by meson and kbuild), patches for other projects (their own
# licence headers), generated/measured data, images, fuzz corpora.
EXEMPT = ["COPYING", "LICENSE*", "*.txt", "*.patch", "*.diff", "*.json",
          "*.csv", "*.svg", "*.png", "*.jpg", "*.gz", "*.xz", "*.bin",
          "*/corpus/*", "*/corpora/*", "*.expected"]
KEEP = ["meson_options.txt"]  # a .txt that is build code


def tracked(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"],
                             check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        files = [f for f in out.decode().split("\0") if f]
        if files:
            return files, "git ls-files"
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirs, names in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirs[:] = [d for d in dirs
                   if not d.startswith(".git") and d != "__pycache__"
                   and not (rel == "." and (d.startswith("build")
                                            or d == "subprojects"))]
        files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    return files, "source tree walk"


def exempt(rel):
    base = os.path.basename(rel)
    if base in KEEP:
        return False
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(base, p)
               for p in EXEMPT)


def lacks_spdx(path):
    """True if a text file lacks the tag in its head; None for binary."""
    try:
        with open(path, "rb") as f:
            data = f.read(8192)
    except OSError:
        return None
    if b"\0" in data:
        return None
    head = data.decode("utf-8", "replace").splitlines()[:HEAD_LINES]
    return not any(TAG in ln for ln in head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    tap = Tap()
    root = os.path.abspath(a.root)
    files, how = tracked(root)
    checked = [f for f in files if not exempt(f)
               and os.path.isfile(os.path.join(root, f))]
    bad = [f for f in checked if lacks_spdx(os.path.join(root, f))]
    print(f"# {len(checked)} files checked ({how}), "
          f"{len(files) - len(checked)} exempt")
    tap.case(not bad, f"every tracked source/build/script file has an SPDX "
             f"line in its first {HEAD_LINES} lines",
             [f"missing {TAG} {b}" for b in sorted(bad)])
    with tempfile.NamedTemporaryFile("w", suffix=".c") as f:
        f.write("/* no licence line */\nint x;\n")
        f.flush()
        tap.case(lacks_spdx(f.name) is True,
                 "control: a file without the line is flagged")
    tap.done()


if __name__ == "__main__":
    main()
