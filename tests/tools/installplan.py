# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What `meson install` would install, from the build dir's introspection
data (meson-info/intro-install_plan.json), so that tests pick up headers and
libraries added later without being edited."""

import json
import os


def installed_headers(builddir):
    """[(source path, path relative to includedir)] of every installed .h."""
    with open(os.path.join(builddir, "meson-info",
                           "intro-install_plan.json")) as f:
        plan = json.load(f)
    out = []

    def rel(dest):
        prefix = "{includedir}/"
        return dest[len(prefix):] if dest.startswith(prefix) else None

    for src, info in plan.get("headers", {}).items():
        r = rel(info["destination"])
        if r is not None and src.endswith(".h"):
            out.append((src, r))
    for src, info in plan.get("install_subdirs", {}).items():
        r = rel(info["destination"] + "/")
        if r is None or not os.path.isdir(src):
            continue
        excl_files = set(info.get("exclude_files", []))
        for dirpath, _, files in os.walk(src):
            for fn in files:
                p = os.path.join(dirpath, fn)
                sub = os.path.relpath(p, src)
                if fn.endswith(".h") and sub not in excl_files:
                    out.append((p, os.path.normpath(os.path.join(r, sub))))
    return sorted(out, key=lambda t: t[1])
