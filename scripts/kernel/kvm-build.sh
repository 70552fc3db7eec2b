#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Build Debian's KVM modules from linux-source-6.1 with libvapic's patch
# series applied:  kvm-build.sh OUTDIR VAPIC_SYMVERS [--stock]
#                  kvm-build.sh OUTDIR --debug
#
#   OUTDIR         work directory.  OUTDIR/linux-source-6.1 is the prepared
#                  kernel tree (unpacked, configured, modules_prepare'd:
#                  ~1.5 GB), cached across runs and rebuilt only when the
#                  source package, the headers or the config change.
#   VAPIC_SYMVERS  Module.symvers of the vapic.ko the modules will use
#                  (scripts/kernel/build.sh builds it).
#   --stock        build without the series (the same tree, unpatched).
#   --debug        a whole debug kernel instead (the 'kvm-debug' suite):
#                  x86_64 defconfig + adapters/linux/kvm/debug.config
#                  (lockdep, KASAN, UBSAN, full preemption), its own
#                  release; the series applied before the kernel is built;
#                  then irqbypass.ko, lkdtm.ko, vapic.ko (OUTDIR/kmod,
#                  build.sh) and the patched kvm.ko, kvm-amd.ko against
#                  that tree.  The first build took 5 min here (2
#                  cores); later ones rebuild what changed.
#
# Steps (each logged to OUTDIR/*.log; the last lines name the modules, and
# with --debug first the kernel image, irqbypass.ko, lkdtm.ko and vapic.ko):
#  1. check that linux-source-6.1 and the linux-headers-amd64 release come
#     from the same Debian kernel version (same vermagic, same CRCs);
#  2. prepare the tree: untar, the headers' .config, make olddefconfig,
#     make modules_prepare, then the headers' Module.symvers, utsrelease.h
#     and kernel.release (so that vermagic and modversions match the
#     running Debian kernel exactly);  with --debug: untar, defconfig, the
#     fragment (every option of it must hold after olddefconfig);
#  3. apply adapters/linux/kvm/patches/*.patch in order (patch -p1; every
#     file a patch touches is first restored from its pristine copy in
#     OUTDIR/pristine, so a changed series re-applies cleanly);
#     with --debug: make bzImage, modules_prepare, M=virt/lib and
#     M=drivers/misc/lkdtm, vapic.ko;
#  4. make M=arch/x86/kvm modules with VAPIC_SRC and KBUILD_EXTRA_SYMBOLS;
#     any compiler warning fails the build.
# Exit: 0 built; 1 failure; 77 packages missing (with the list on stderr).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

usage="usage: kvm-build.sh OUTDIR VAPIC_SYMVERS [--stock] | OUTDIR --debug"
out=${1:?$usage}
symvers=${2:?$usage}
stock=0
debug=0
[ "${3:-}" = --stock ] && stock=1
[ "$symvers" = --debug ] && debug=1
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
if [ $debug = 0 ]; then
	[ -n "$KVER" ] && [ -d "$KDIR" ] || missing="$missing linux-headers-amd64"
fi
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
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
if [ $debug = 1 ]; then
	frag=$TOP/adapters/linux/kvm/debug.config
	stamp="debug $src_ver $(md5sum <"$frag" | cut -d' ' -f1)"
else
	[ -f "$symvers" ] || die "no $symvers (build vapic.ko first)"
	symvers=$(cd "$(dirname "$symvers")" && pwd)/$(basename "$symvers")
	hdr_ver=$(dpkg-query -W -f='${Version}' "linux-headers-$KVER")
	if [ "$src_ver" != "$hdr_ver" ]; then
		die "linux-source-6.1 is $src_ver but linux-headers-$KVER is $hdr_ver: install matching versions (apt-get install linux-source-6.1=$hdr_ver, or the headers of $src_ver)"
	fi
	uts=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$KDIR/include/generated/utsrelease.h")
	[ "$uts" = "$KVER" ] || die "$KDIR: UTS_RELEASE '$uts' is not $KVER"
	stamp="$src_ver $KVER $(md5sum <"$KDIR/.config" | cut -d' ' -f1) $(md5sum <"$KDIR/Module.symvers" | cut -d' ' -f1)"
fi

# 2. The prepared tree (cached).
if [ ! -f "$out/prepared.stamp" ] || [ "$(cat "$out/prepared.stamp")" != "$stamp" ]; then
	if [ $debug = 1 ]; then
		log "preparing $tree ($src_ver, the debug kernel)"
	else
		log "preparing $tree ($src_ver for $KVER)"
	fi
	t0=$(date +%s)
	# pristine.list too: a new tree has no pristine copies yet.
	rm -rf "$tree" "$out/pristine" "$out/pristine.list" "$out/prepared.stamp" \
		"$out/applied.series"
	tar -xf "$tar" -C "$out"
	[ -d "$tree" ] || die "$tar did not unpack to $tree"
fi
if [ $debug = 1 ] && [ ! -f "$out/prepared.stamp" ]; then
	make -C "$tree" -s CC=$cc defconfig >"$out/prepare.log" 2>&1 &&
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$frag" \
		>>"$out/prepare.log" 2>&1 &&
	make -C "$tree" -s CC=$cc olddefconfig >>"$out/prepare.log" 2>&1 ||
		{ cat "$out/prepare.log" >&2; die "configuring the debug kernel failed"; }
	# Every option the fragment sets must hold; those it unsets may be
	# absent (their dependencies are off).
	bad=
	for o in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*=.*\)$/\1/p' "$frag"); do
		grep -qxF "$o" "$tree/.config" || bad="$bad $o"
	done
	for o in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$frag"); do
		grep -q "^$o=" "$tree/.config" && bad="$bad $o(unset)"
	done
	[ -z "$bad" ] || die "the debug kernel's .config lacks:$bad"
	echo "$stamp" >"$out/prepared.stamp"
	log "prepared in $(($(date +%s) - t0)) s"
elif [ ! -f "$out/prepared.stamp" ]; then
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

# 3b. The debug kernel, and the modules the patched KVM links against,
# built for it.  External module builds read the tree's Module.symvers:
# vmlinux's exports (the tree builds no in-tree modules).
if [ $debug = 1 ]; then
	t0=$(date +%s)
	# The series' arch/x86/kvm/Makefile wants VAPIC_SRC whenever kbuild
	# reads it (vmlinux builds do too).
	{ make -C "$tree" -j"$jobs" CC=$cc VAPIC_SRC="$TOP" bzImage &&
	  make -C "$tree" -j"$jobs" CC=$cc VAPIC_SRC="$TOP" modules_prepare &&
	  cp "$tree/vmlinux.symvers" "$tree/Module.symvers" &&
	  make -C "$tree" -j"$jobs" CC=$cc M=virt/lib modules &&
	  make -C "$tree" -j"$jobs" CC=$cc M=drivers/misc/lkdtm modules; } \
		>"$out/kernel.log" 2>&1 ||
		{ tail -n 40 "$out/kernel.log" >&2; die "building the debug kernel failed, see $out/kernel.log"; }
	VAPIC_KDIR=$tree "$here/build.sh" "$out/kmod" CC=$cc >"$out/build-vapic.log" 2>&1 ||
		{ cat "$out/build-vapic.log" >&2; die "vapic.ko does not build for the debug kernel"; }
	symvers="$out/kmod/src/adapters/linux/Module.symvers $tree/virt/lib/Module.symvers"
	log "debug kernel $(cat "$tree/include/config/kernel.release") and vapic.ko built in $(($(date +%s) - t0)) s"
	echo "$tree/arch/x86/boot/bzImage"
	echo "$tree/virt/lib/irqbypass.ko"
	echo "$tree/drivers/misc/lkdtm/lkdtm.ko"
	echo "$out/kmod/src/adapters/linux/vapic.ko"
fi

# 4. Build.
# kbuild reruns modpost only when the modules' objects change, not when
# KBUILD_EXTRA_SYMBOLS does: a rebuilt vapic.ko with other symbol CRCs would
# leave kvm.ko importing the old ones ("disagrees about version of
# symbol").  A changed vapic Module.symvers drops modpost's output.
# shellcheck disable=SC2086
sv=$(cat $symvers | md5sum | cut -d' ' -f1)
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
	[ -f "$tree/arch/x86/kvm/$m.ko" ] && echo "$tree/arch/x86/kvm/$m.ko"
done
exit 0
