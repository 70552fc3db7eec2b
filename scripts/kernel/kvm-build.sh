#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build Debian's KVM modules from linux-source-6.1 with libvapic's patch
# series applied:  kvm-build.sh OUTDIR VAPIC_SYMVERS [--stock]
#
#   OUTDIR         work directory.  OUTDIR/linux-source-6.1 is the prepared
#                  kernel tree (unpacked, configured, modules_prepare'd:
#                  ~1.5 GB), cached across runs and rebuilt only when the
#                  source package, the headers or the config change.
#   VAPIC_SYMVERS  Module.symvers of the vapic.ko the modules will use
#                  (scripts/kernel/build.sh builds it).
#   --stock        build without the series (the same tree, unpatched).
#
# Steps (each logged to OUTDIR/*.log; the last lines name the modules):
#  1. check that linux-source-6.1 and the linux-headers-amd64 release come
#     from the same Debian kernel version (same vermagic, same CRCs);
#  2. prepare the tree: untar, the headers' .config, make olddefconfig,
#     make modules_prepare, then the headers' Module.symvers, utsrelease.h
#     and kernel.release (so that vermagic and modversions match the
#     running Debian kernel exactly);
#  3. apply adapters/linux/kvm/patches/*.patch in order (patch -p1; every
#     file a patch touches is first restored from its pristine copy in
#     OUTDIR/pristine, so a changed series re-applies cleanly);
#  4. make M=arch/x86/kvm modules with VAPIC_SRC and KBUILD_EXTRA_SYMBOLS;
#     any compiler warning fails the build.
# Exit: 0 built; 1 failure; 77 packages missing (with the list on stderr).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

out=${1:?usage: kvm-build.sh OUTDIR VAPIC_SYMVERS [--stock]}
symvers=${2:?usage: kvm-build.sh OUTDIR VAPIC_SYMVERS [--stock]}
stock=0
[ "${3:-}" = --stock ] && stock=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
tar=/usr/src/linux-source-6.1.tar.xz
tree=$out/linux-source-6.1
series_dir=$TOP/adapters/linux/kvm/patches
jobs=${VAPIC_JOBS:-2}
cc=gcc-12

log() { echo "kvm-build.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# 1. Packages and versions.
missing=
[ -f "$tar" ] || missing="$missing linux-source-6.1"
[ -n "$KVER" ] && [ -d "$KDIR" ] || missing="$missing linux-headers-amd64"
for p in bison flex bc make; do
	command -v $p >/dev/null || missing="$missing $p"
done
command -v $cc >/dev/null || missing="$missing gcc-12"
[ -f /usr/include/gelf.h ] || missing="$missing libelf-dev"
[ -f /usr/include/openssl/opensslv.h ] || missing="$missing libssl-dev"
command -v patch >/dev/null || missing="$missing patch"
if [ -n "$missing" ]; then
	log "missing packages:$missing"
	exit 77
fi
[ -f "$symvers" ] || die "no $symvers (build vapic.ko first)"
symvers=$(cd "$(dirname "$symvers")" && pwd)/$(basename "$symvers")
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
hdr_ver=$(dpkg-query -W -f='${Version}' "linux-headers-$KVER")
if [ "$src_ver" != "$hdr_ver" ]; then
	die "linux-source-6.1 is $src_ver but linux-headers-$KVER is $hdr_ver: install matching versions (apt-get install linux-source-6.1=$hdr_ver, or the headers of $src_ver)"
fi
uts=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$KDIR/include/generated/utsrelease.h")
[ "$uts" = "$KVER" ] || die "$KDIR: UTS_RELEASE '$uts' is not $KVER"

# 2. The prepared tree (cached).
stamp="$src_ver $KVER $(md5sum <"$KDIR/.config" | cut -d' ' -f1) $(md5sum <"$KDIR/Module.symvers" | cut -d' ' -f1)"
if [ ! -f "$out/prepared.stamp" ] || [ "$(cat "$out/prepared.stamp")" != "$stamp" ]; then
	log "preparing $tree ($src_ver for $KVER)"
	t0=$(date +%s)
	rm -rf "$tree" "$out/pristine" "$out/prepared.stamp" "$out/applied.series"
	tar -xf "$tar" -C "$out"
	[ -d "$tree" ] || die "$tar did not unpack to $tree"
	cp "$KDIR/.config" "$tree/.config"
	make -C "$tree" -s CC=$cc olddefconfig >"$out/prepare.log" 2>&1 ||
		{ cat "$out/prepare.log" >&2; die "make olddefconfig failed"; }
	make -C "$tree" -s -j"$jobs" CC=$cc modules_prepare >>"$out/prepare.log" 2>&1 ||
		{ tail -n 50 "$out/prepare.log" >&2; die "make modules_prepare failed"; }
	# The running kernel's view: vmlinux's export CRCs, the release
	# string behind vermagic.  The source says 6.1.N, the Debian ABI
	# name is 6.1.0-NN-amd64: without these the modules would not load.
	cp "$KDIR/Module.symvers" "$tree/Module.symvers"
	cp "$KDIR/include/generated/utsrelease.h" "$tree/include/generated/utsrelease.h"
	echo "$KVER" >"$tree/include/config/kernel.release"
	echo "$stamp" >"$out/prepared.stamp"
	log "prepared in $(($(date +%s) - t0)) s"
fi

# 3. The series.
if [ $stock = 1 ]; then
	series=
	want=stock
else
	series=$(ls "$series_dir"/*.patch 2>/dev/null | LC_ALL=C sort)
	[ -n "$series" ] || die "no patches in $series_dir"
	want=$(cat $series | md5sum | cut -d' ' -f1)
fi
have=$(cat "$out/applied.series" 2>/dev/null || echo none)
if [ "$want" != "$have" ]; then
	# Restore every file an earlier series touched.
	if [ -f "$out/pristine.list" ]; then
		while read -r f; do
			if [ -f "$out/pristine/$f" ]; then
				# A new mtime: kbuild must rebuild what used the patched file.
				cp "$out/pristine/$f" "$tree/$f"
			else
				rm -f "$tree/$f"
			fi
		done <"$out/pristine.list"
	fi
	rm -f "$out/applied.series"
	: >"$out/apply.log"
	for p in $series; do
		# Keep a pristine copy of each file before its first patch.
		sed -n 's|^+++ b/\([^	]*\).*|\1|p; s|^--- a/\([^	]*\).*|\1|p' "$p" |
			grep -v '^/dev/null$' | sort -u |
		while read -r f; do
			grep -qxF "$f" "$out/pristine.list" 2>/dev/null && continue
			if [ -f "$tree/$f" ]; then
				mkdir -p "$(dirname "$out/pristine/$f")"
				cp -p "$tree/$f" "$out/pristine/$f"
			fi
			echo "$f" >>"$out/pristine.list"
		done
		echo "== $(basename "$p")" >>"$out/apply.log"
		patch -d "$tree" -p1 --forward --batch --no-backup-if-mismatch \
			-i "$p" >>"$out/apply.log" 2>&1 ||
			{ cat "$out/apply.log" >&2; die "$(basename "$p") does not apply"; }
	done
	if grep -qiE 'fuzz|offset' "$out/apply.log"; then
		grep -iE '^== |fuzz|offset' "$out/apply.log" >&2
		die "the series applies only with offsets/fuzz: refresh it"
	fi
	echo "$want" >"$out/applied.series"
	log "applied $(echo $series | wc -w) patches"
fi

# 4. Build.
# kbuild reruns modpost only when the modules' objects change, not when
# KBUILD_EXTRA_SYMBOLS does: a rebuilt vapic.ko with other symbol CRCs would
# leave kvm.ko importing the old ones ("disagrees about version of
# symbol").  A changed vapic Module.symvers drops modpost's output.
sv=$(md5sum <"$symvers" | cut -d' ' -f1)
if [ "$sv" != "$(cat "$out/vapic-symvers.md5" 2>/dev/null)" ]; then
	rm -f "$tree/arch/x86/kvm/Module.symvers" "$tree"/arch/x86/kvm/*.mod.c
fi
t0=$(date +%s)
rc=0
make -C "$tree" -j"$jobs" CC=$cc M=arch/x86/kvm \
	VAPIC_SRC="$TOP" KBUILD_EXTRA_SYMBOLS="$symvers" modules \
	>"$out/build.log" 2>&1 || rc=$?
if [ $rc != 0 ]; then
	grep -E 'error|Error' "$out/build.log" | head -n 40 >&2
	die "make M=arch/x86/kvm failed ($rc), see $out/build.log"
fi
if grep -E 'warning:' "$out/build.log" >&2; then
	die "the KVM build printed warnings"
fi
echo "$sv" >"$out/vapic-symvers.md5"
log "built in $(($(date +%s) - t0)) s"
for m in kvm kvm-amd kvm-intel; do
	echo "$tree/arch/x86/kvm/$m.ko"
done
