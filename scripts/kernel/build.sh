#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build vapic.ko and vapic_selftest.ko out of the source tree:
#   build.sh OUTDIR [make args...]      e.g. build.sh build/kmod LLVM=1
# OUTDIR/src mirrors the parts of the repository kbuild reads (libvapic/,
# include/, tests/selftest/, adapters/linux/, meson.build) as symlinks to
# the real files (no copies), so objects land in OUTDIR, never in the
# repository.  The build log is OUTDIR/build.log; warnings fail the build
# (W=1).  Prints the module paths on success.
set -eu
. "$(dirname "$0")/common.sh"

out=${1:?usage: build.sh OUTDIR [make args]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src

[ -d "$KDIR" ] || { echo "build.sh: no kernel headers ($KDIR)" >&2; exit 2; }

# Mirror a directory of the repository as symlinks, file by file.
mirror() {
	(cd "$TOP" && find "$1" -type f ! -name '*.o' ! -name '.*.cmd' \
		! -name '*.ko' ! -name '*.mod*' ! -name 'vapic_exports.c' \
		! -name 'Module.symvers' ! -name 'modules.order') |
	while read -r f; do
		mkdir -p "$src/$(dirname "$f")"
		ln -sfn "$TOP/$f" "$src/$f"
	done
	# Drop links whose file left the repository.
	find "$src/$1" -type l ! -exec test -e {} \; -delete
}
mkdir -p "$src"
ln -sfn "$TOP/include" "$src/include"
ln -sfn "$TOP/meson.build" "$src/meson.build"
mirror libvapic
mirror tests/selftest
mirror adapters/linux

log=$out/build.log
status=0
make -C "$src/adapters/linux" KVER="$KVER" KDIR="$KDIR" selftest "$@" \
	>"$log" 2>&1 || status=$?
if [ $status != 0 ]; then
	cat "$log" >&2
	echo "build.sh: kbuild failed ($status)" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build.sh: the build printed warnings (W=1 must be clean)" >&2
	exit 1
fi
echo "$src/adapters/linux/vapic.ko"
echo "$src/adapters/linux/vapic_selftest.ko"
