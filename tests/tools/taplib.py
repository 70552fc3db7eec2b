# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Small helpers shared by the build/packaging test scripts.

Each script is one meson test with protocol 'tap': it prints one TAP line per
case ("ok N - what" / "not ok N - what", diagnostics as "# ..." lines), the
plan "1..N" at the end, and exits non-zero if any case failed, so that
scripts/test counts every case.
"""

import os
import shlex
import subprocess
import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def case(self, ok, what, diag=None):
        """Report one case; diag (str or list of lines) is printed on failure
        (and, when it is short, also on success if verbose)."""
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
        if diag and not ok:
            self.diag(diag)
        sys.stdout.flush()
        return ok

    def skip(self, what, reason):
        self.n += 1
        print(f"ok {self.n} - {what} # SKIP {reason}")
        sys.stdout.flush()

    @staticmethod
    def diag(text, limit=40):
        if isinstance(text, str):
            text = text.splitlines()
        lines = list(text)
        for line in lines[:limit]:
            print(f"# {line}")
        if len(lines) > limit:
            print(f"# ... ({len(lines) - limit} more lines)")

    def done(self):
        print(f"1..{self.n}")
        sys.stdout.flush()
        sys.exit(1 if self.failed else 0)

    def bail(self, why):
        """Stop: the test cannot run at all (a broken setup is a failure)."""
        print(f"Bail out! {why}")
        sys.stdout.flush()
        sys.exit(1)


def run(cmd, **kw):
    """Run cmd (a list); return (returncode, combined stdout+stderr)."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    kw.setdefault("encoding", "utf-8")
    kw.setdefault("errors", "replace")
    try:
        p = subprocess.run(cmd, check=False, **kw)
    except OSError as e:
        return 127, f"{shlex.join(cmd)}: {e}"
    return p.returncode, p.stdout or ""


def cmdline(cmd):
    return shlex.join(cmd)


def split_args(argv, sep="--"):
    """Split argv at the first sep: (before, after)."""
    if sep in argv:
        i = argv.index(sep)
        return argv[:i], argv[i + 1:]
    return argv, []


# Flags of the freestanding proof (issue 2): kernel-like code generation, no
# hosted headers, no floating point, no VLAs, bounded stack frames.  The same
# list is used for every core file, every negative control and the
# freestanding header check.
FREESTANDING_FLAGS = [
    "-std=c11",
    "-O2",
    "-ffreestanding",
    "-nostdinc",
    "-fno-stack-protector",
    "-Wvla",
    "-Wframe-larger-than=1024",
    "-Werror",
]
X86_FREESTANDING_FLAGS = ["-mno-sse", "-mno-mmx", "-mno-80387", "-mno-red-zone"]


def compiler_include_dir(cc):
    """The compiler's own header directory (stddef.h, stdint.h ...)."""
    rc, out = run(cc + ["-print-file-name=include"])
    d = out.strip()
    if rc != 0 or not os.path.isfile(os.path.join(d, "stddef.h")):
        return None
    return d


def compiler_is_x86(cc):
    rc, out = run(cc + ["-dumpmachine"])
    m = out.strip().split("-")[0]
    return rc == 0 and (m == "x86_64" or
                        (len(m) == 4 and m[0] == "i" and m.endswith("86")))


def freestanding_flags(cc):
    """Full freestanding flag list for compiler cc, or None if the compiler's
    include dir cannot be found."""
    inc = compiler_include_dir(cc)
    if inc is None:
        return None
    flags = list(FREESTANDING_FLAGS)
    if compiler_is_x86(cc):
        flags += X86_FREESTANDING_FLAGS
    return flags + ["-isystem", inc]
