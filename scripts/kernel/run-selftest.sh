#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Boot Debian's kernel under qemu TCG with an initramfs that loads the
# modules built by build.sh and runs vapic_selftest.ko.  NEVER loads
# anything into this machine's own kernel.
#
#   run-selftest.sh OUTDIR NAME [options] [-- selftest args]
#     OUTDIR   build.sh's output directory (modules), also used for the
#              kernel image cache, the initramfs and the logs
#     NAME     name of this run: the serial log is OUTDIR/NAME.log
#     --smp N  virtual CPUs (default 2)
#     --append "..."  extra kernel command line
#     --timeout S     (default 300)
#   selftest args: module parameters, e.g. force_fail=1 timing_n=200
#
# Exit: 0 verdict PASS, 1 verdict FAIL, 2 no verdict (module did not load,
# crash, timeout).  The selftest's lines are printed.
set -eu
. "$(dirname "$0")/common.sh"

out=${1:?usage: run-selftest.sh OUTDIR NAME [options] [-- args]}
name=${2:?usage: run-selftest.sh OUTDIR NAME [options] [-- args]}
shift 2
smp=2
append=
tmo=300
while [ $# -gt 0 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run-selftest.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
out=$(cd "$out" && pwd)
ko=$out/src/adapters/linux
for f in "$ko/vapic.ko" "$ko/vapic_selftest.ko"; do
	[ -f "$f" ] || { echo "run-selftest.sh: $f missing (build.sh)" >&2; exit 2; }
done
kernel=$("$(dirname "$0")/fetch-kernel.sh" "$out/kernel-cache")

# The initramfs: busybox, /init, the two modules.
bb=$(command -v busybox || true)
[ -n "$bb" ] && [ -x /bin/busybox ] && bb=/bin/busybox
[ -n "$bb" ] || { echo "run-selftest.sh: busybox-static missing" >&2; exit 2; }
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp "$bb" "$root/bin/busybox"
for a in sh mount cat grep sed tee dmesg insmod printf dd poweroff uname echo; do
	ln -s busybox "$root/bin/$a"
done
cp "$(dirname "$0")/init.sh" "$root/init"
chmod +x "$root/init"
cp "$ko/vapic.ko" "$ko/vapic_selftest.ko" "$root/"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd-$name.cpio.gz"

cmdline="console=ttyS0 panic=-1 quiet $append"
for a in "$@"; do
	cmdline="$cmdline vapic_selftest.$a"
done
log=$out/$name.log
echo "run-selftest.sh: $name: qemu-system-x86_64 -accel tcg -smp $smp, kernel $KVER, cmdline: $cmdline" >&2
start=$(date +%s.%N)
rc=0
timeout "$tmo" qemu-system-x86_64 -accel tcg -cpu max -smp "$smp" -m 512 \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -initrd "$out/initrd-$name.cpio.gz" \
	-append "$cmdline" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	</dev/null >"$log" 2>&1 || rc=$?
end=$(date +%s.%N)
tr -d '\r' <"$log" | grep -E '^vapic-init:|vapic_selftest:|WARNING:|BUG:|Oops|Call Trace|Kernel panic' || true
secs=$(echo "$end - $start" | bc 2>/dev/null || echo "?")
echo "run-selftest.sh: $name: qemu exit $rc after ${secs}s" >&2
case $rc in
3) exit 0 ;;
5) exit 1 ;;
124) echo "run-selftest.sh: $name: timed out after ${tmo}s" >&2; exit 2 ;;
*) exit 2 ;;
esac
