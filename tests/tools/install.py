#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Install, pkg-config and subproject use (suite 'install').

usage: install.py --root SRC --build BUILD --meson MESON --pkg-config PC
                  --version V -- CC [args]

 1. meson install --no-rebuild --destdir into a scratch dir;
 2. vapic.pc and every header of the install plan are there;
 3. tests/install/consumer.c compiles and links with
    `pkg-config --cflags --libs vapic` (PKG_CONFIG_LIBDIR and
    PKG_CONFIG_SYSROOT_DIR point into the destdir, nothing else), runs, and
    loads libvapic.so from the destdir; it also links statically with the
    installed libvapic.a;
 4. tests/install/subproject/ (a meson project using dependency('vapic') with
    libvapic as a subproject) configures, builds with the same compiler, and
    runs.
"""

import argparse
import glob
import json
import os
import shlex
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Tap, run, cmdline, split_args  # noqa: E402
from installplan import installed_headers  # noqa: E402

USER_CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]


def main():
    opts, cc = split_args(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--meson", default="meson")
    ap.add_argument("--pkg-config", default="pkg-config")
    ap.add_argument("--version", required=True)
    a = ap.parse_args(opts)
    tap = Tap()
    if not cc:
        tap.bail("no compiler given after --")
    root = os.path.abspath(a.root)
    build = os.path.abspath(a.build)
    meson = shlex.split(a.meson)
    with open(os.path.join(build, "meson-info",
                           "intro-buildoptions.json")) as f:
        bopts = {o["name"]: o["value"] for o in json.load(f)}
    prefix = bopts["prefix"]
    consumer = os.path.join(root, "tests", "install", "consumer.c")

    with tempfile.TemporaryDirectory(prefix="vapic-install-") as tmp:
        dest = os.path.join(tmp, "dest")
        cmd = meson + ["install", "-C", build, "--no-rebuild", "--quiet",
                       "--destdir", dest]
        rc, out = run(cmd)
        tap.case(rc == 0, "meson install --destdir", [cmdline(cmd)]
                 + out.splitlines())

        def under_dest(p):
            p = p if os.path.isabs(p) else os.path.join(prefix, p)
            return os.path.join(dest, p.lstrip("/"))

        libdir = under_dest(bopts["libdir"])
        incdir = under_dest(bopts["includedir"])
        pcs = glob.glob(os.path.join(dest, "**", "vapic.pc"), recursive=True)
        tap.case(len(pcs) == 1, "vapic.pc installed",
                 f"found: {pcs}")
        hdrs = installed_headers(build)
        missing = [r for _, r in hdrs
                   if not os.path.isfile(os.path.join(incdir, r))]
        tap.case(hdrs and not missing,
                 f"{len(hdrs)} headers installed under {bopts['includedir']}",
                 [f"missing: {m}" for m in missing] or ["no header planned"])

        env = dict(os.environ)
        env.update(PKG_CONFIG_LIBDIR=os.path.dirname(pcs[0]) if pcs else tmp,
                   PKG_CONFIG_PATH="", PKG_CONFIG_SYSROOT_DIR=dest,
                   PKG_CONFIG_ALLOW_SYSTEM_CFLAGS="1",
                   PKG_CONFIG_ALLOW_SYSTEM_LIBS="1")
        rc, ver = run([a.pkg_config, "--modversion", "vapic"], env=env,
                      stderr=None)
        tap.case(rc == 0 and ver.strip() == a.version,
                 f"pkg-config --modversion vapic = {a.version}",
                 f"rc={rc}, got {ver.strip()!r}")
        rc, flags = run([a.pkg_config, "--cflags", "--libs", "vapic"], env=env,
                        stderr=None)
        exe = os.path.join(tmp, "consumer")
        cmd = cc + USER_CFLAGS + [consumer, "-o", exe] + shlex.split(flags)
        if rc == 0:
            rc, out = run(cmd)
        else:
            out = f"pkg-config --cflags --libs vapic failed: {flags}"
        tap.case(rc == 0, "consumer.c builds with pkg-config --cflags --libs "
                 "vapic", [cmdline(cmd)] + out.splitlines())
        if rc == 0:
            renv = dict(os.environ, LD_LIBRARY_PATH=libdir)
            rc, out = run([exe], env=renv)
            trc, trace = run([exe], env=dict(renv, LD_TRACE_LOADED_OBJECTS="1"))
            loaded = [ln for ln in trace.splitlines() if "libvapic" in ln]
            from_dest = bool(loaded) and all(dest in ln for ln in loaded)
            tap.case(rc == 0 and from_dest,
                     "consumer runs with the installed libvapic.so",
                     [f"rc={rc}: {out.strip()}"] + loaded)
        else:
            tap.skip("consumer runs with the installed libvapic.so",
                     "did not build")

        exe_s = os.path.join(tmp, "consumer-static")
        rc, cflags = run([a.pkg_config, "--cflags", "vapic"], env=env,
                         stderr=None)
        cmd = (cc + USER_CFLAGS + shlex.split(cflags) +
               [consumer, os.path.join(libdir, "libvapic.a"), "-o", exe_s])
        rc, out = run(cmd)
        if rc == 0:
            rc, out = run([exe_s])
        tap.case(rc == 0, "consumer.c links and runs with the installed "
                 "libvapic.a", [cmdline(cmd)] + out.splitlines())

        # A meson project with libvapic as a subproject.
        proj = os.path.join(tmp, "proj")
        os.makedirs(os.path.join(proj, "subprojects"))
        shutil.copy(os.path.join(root, "tests", "install", "subproject",
                                 "meson.build"), proj)
        shutil.copy(consumer, proj)
        os.symlink(root, os.path.join(proj, "subprojects", "libvapic"))
        benv = dict(os.environ, CC=shlex.join(cc))
        sbuild = os.path.join(proj, "build")
        cmd = meson + ["setup", sbuild, proj, "--wrap-mode=forcefallback",
                       "-Dlibvapic:tests=disabled",
                       "-Dlibvapic:examples=disabled"]
        rc, out = run(cmd, env=benv)
        tap.case(rc == 0, "subproject: meson setup with dependency('vapic')",
                 [cmdline(cmd)] + out.splitlines()[-30:])
        if rc == 0:
            cmd = meson + ["compile", "-C", sbuild]
            rc, out = run(cmd, env=benv)
            tap.case(rc == 0, "subproject: builds", [cmdline(cmd)]
                     + out.splitlines()[-30:])
        else:
            tap.skip("subproject: builds", "not configured")
        if rc == 0:
            rc, out = run([os.path.join(sbuild, "consumer")])
            tap.case(rc == 0, "subproject: consumer runs",
                     f"rc={rc}: {out.strip()}")
        else:
            tap.skip("subproject: consumer runs", "not built")
    tap.done()


if __name__ == "__main__":
    main()
