#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Boot Debian's kernel under qemu TCG with -cpu max (nested SVM), load a
# KVM built by kvm-build.sh (and vapic.ko) in it, and run the probe VMM
# with its guest against that KVM.  NEVER loads anything into this
# machine's own kernel.
#
#   kvm-run.sh OUTDIR NAME --modules DIR --probe EXE --guest BIN
#              [--extra FILE]... [--script FILE]
#              [--smp N] [--timeout S] [--append "..."]
#              [--kernel IMAGE --kmods KDIR] [-- args]
#     OUTDIR   work directory: kernel image cache, initramfs, logs
#     NAME     this run's name: the serial log is OUTDIR/NAME.log
#     DIR      holds kvm.ko and kvm-amd.ko (and vapic.ko for libvapic KVM)
#     EXE, BIN the probe VMM (static) and its guest image
#     --extra  a file to put in the initramfs root (repeatable)
#     --kernel another kernel image than Debian's (kvm-build.sh --debug's
#              kernel), with --kmods: the directory holding its
#              irqbypass.ko (and ccp.ko if it has one)
#     --script a shell script the init runs (as /tests.sh) instead of the
#              probe; files are at /, the probe at /kvm-timer-probe with
#              /probe-guest.bin
#     args     kernel command line words (kvm.*=, kvm_amd.*=,
#              vapic_probe.OPTION=VALUE for the probe's --OPTION VALUE)
#
# Exit: 0 every probe case passed, 1 a case failed, 2 no verdict (a module
# did not load, crash, timeout).  The init's and the probe's lines are
# printed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

out=${1:?usage: kvm-run.sh OUTDIR NAME --modules DIR --probe EXE --guest BIN [-- args]}
name=${2:?usage: kvm-run.sh OUTDIR NAME ...}
shift 2
smp=2
tmo=600
append=
mods=
probe=
guest=
extras=
script=
kernel=
kmods=
while [ $# -gt 0 ]; do
	case $1 in
	--extra) extras="$extras $2"; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--modules) mods=$2; shift 2 ;;
	--probe) probe=$2; shift 2 ;;
	--guest) guest=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--kmods) kmods=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "kvm-run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for f in "$mods/kvm.ko" "$mods/kvm-amd.ko" "$probe" "$guest"; do
	[ -f "$f" ] || { echo "kvm-run.sh: $f missing" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$kernel" ]; then
	[ -f "$kernel" ] && [ -f "$kmods/irqbypass.ko" ] ||
		{ echo "kvm-run.sh: --kernel wants an image and --kmods with irqbypass.ko" >&2; exit 2; }
	kver=$kernel # named by its path
else
	cache=$out/kernel-cache
	# kvm.ko needs irqbypass.ko, kvm-amd.ko needs ccp.ko (SEV): the stock ones.
	kernel=$("$here/fetch-kernel.sh" "$cache" virt/lib/irqbypass.ko \
		drivers/crypto/ccp/ccp.ko)
	kmods=$cache/modules
	kver=$KVER
fi

bb=
[ -x /bin/busybox ] && bb=/bin/busybox
[ -n "$bb" ] || { echo "kvm-run.sh: busybox-static missing" >&2; exit 2; }
root=$out/initramfs-$name
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp "$bb" "$root/bin/busybox"
for a in sh mount cat grep sed tee dmesg insmod printf dd poweroff uname echo timeout head tail wc sleep seq kill; do
	ln -s busybox "$root/bin/$a"
done
cp "$here/kvm-init.sh" "$root/init"
chmod +x "$root/init"
for m in virt/lib/irqbypass.ko drivers/crypto/ccp/ccp.ko irqbypass.ko; do
	[ -f "$kmods/$m" ] && cp "$kmods/$m" "$root/"
done
for m in kvm.ko kvm-amd.ko vapic.ko; do
	[ -f "$mods/$m" ] || continue
	# Debug info is most of a module's size: keep the initramfs small.
	strip --strip-debug -o "$root/$m" "$mods/$m"
done
cp "$probe" "$root/kvm-timer-probe"
cp "$guest" "$root/probe-guest.bin"
for f in $extras; do
	cp "$f" "$root/"
done
if [ -n "$script" ]; then
	cp "$script" "$root/tests.sh"
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd-$name.cpio.gz"
rm -rf "$root"

cmdline="console=ttyS0 panic=-1 quiet $append $*"
log=$out/$name.log
echo "kvm-run.sh: $name: qemu-system-x86_64 -accel tcg -cpu max -smp $smp, kernel $kver, cmdline: $cmdline" >&2
t0=$(date +%s)
rc=0
: >"$log"
timeout -k 30 "$tmo" qemu-system-x86_64 -accel tcg -cpu max -smp "$smp" -m 1024 \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$kernel" -initrd "$out/initrd-$name.cpio.gz" \
	-append "$cmdline" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	</dev/null >"$log" 2>&1 &
qpid=$!
# A kernel that reports without end (seen: a debug kernel's KASAN report
# storm, 290 MB of log in 9 min) is stopped at 64 MiB of log, not at the
# timeout: it is wedged either way.
big=0
while kill -0 $qpid 2>/dev/null; do
	if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 67108864 ]; then
		big=1
		kill $qpid 2>/dev/null || true
		break
	fi
	sleep 0.5
done
wait $qpid || rc=$?
if [ $big = 1 ]; then
	# What it kept saying (the kernel's lines only), and nothing else.
	tr -d '\r' <"$log" | grep -m 12 -E 'BUG:|WARNING:|UBSAN:|RIP:|Kernel panic' || true
	head -c 1048576 "$log" >"$log.head" && mv "$log.head" "$log" # keep 1 MiB
	echo "kvm-run.sh: $name: wedged: its log passed 64 MiB (a report storm?), stopped after $(($(date +%s) - t0)) s" >&2
	exit 2
fi
if [ -n "$script" ]; then
	# Everything the script printed (and the init's lines).
	tr -d '\r' <"$log" | sed -n '/kvm-init: kernel /,$p'
else
	tr -d '\r' <"$log" | grep -E '^kvm-init:|^(not )?ok [0-9]|^#|^1\.\.|^Bail out|WARNING:|BUG:|UBSAN:|Oops|Call Trace|Kernel panic' || true
fi
echo "kvm-run.sh: $name: qemu exit $rc after $(($(date +%s) - t0)) s" >&2
case $rc in
3) exit 0 ;;
5) exit 1 ;;
124) echo "kvm-run.sh: $name: timed out after ${tmo}s" >&2; exit 2 ;;
*) exit 2 ;;
esac
