#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# /init of the patched-KVM test initramfs (busybox sh).  Loads irqbypass.ko,
# ccp.ko and vapic.ko (if present), the kvm.ko and kvm-amd.ko of the
# initramfs with the kvm.* / kvm_amd.* arguments of the kernel command
# line, checks that the loaded KVM is the one under test, runs /tests.sh if
# there is one (else the probe VMM: /kvm-timer-probe with the vapic_probe.*
# arguments, vapic_probe.mode=all becoming --mode all), prints the kernel
# log (a warning, BUG, UBSAN report or oops in it fails the run), and
# reports through the isa-debug-exit device at port 0xf4 (qemu exits
# (code << 1) | 1): 1 = every probe case passed (or tests.sh ran to its
# end), 2 = a failure, 3 = error (no verdict).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# KVM's per-VM debugfs (the probe's post-mortem reads it on a timeout).
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

kvm_args=
amd_args=
probe_args=
for w in $(cat /proc/cmdline); do
	case $w in
	kvm.*) kvm_args="$kvm_args ${w#kvm.}" ;;
	kvm_amd.*) amd_args="$amd_args ${w#kvm_amd.}" ;;
	vapic_probe.*)
		a=${w#vapic_probe.}
		probe_args="$probe_args --${a%%=*} ${a#*=}" ;;
	esac
done

# What counts as a kernel report (warning, BUG incl. KASAN and lockdep,
# UBSAN, oops).
REPORTS='WARNING:|BUG:|UBSAN:|Oops|general protection|Call Trace'

finish() {
	# Everything the kernel said since the modules started loading.
	dmesg | sed 's/^\[[ 0-9.]*\] //' | tee /kmsg.txt | sed 's/^/kvm-init: kmsg: /'
	if grep -qE "$REPORTS" /kmsg.txt; then
		echo "kvm-init: kernel warning or oops while testing"
		[ "$1" = 3 ] || set -- 2
	fi
	echo "kvm-init: verdict code $1"
	printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

echo "kvm-init: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, svm: $(grep -c -w svm /proc/cpuinfo)"
# A report of the kernel's own boot, before any module of ours (seen once:
# a KASAN report in the debug kernel's early interrupt handling under TCG).
r=$(dmesg | grep -m1 -E "$REPORTS" | sed 's/^\[[ 0-9.]*\] //')
[ -n "$r" ] && echo "kvm-init: the boot itself reported: $r"
dmesg -c >/dev/null
insmod /irqbypass.ko || finish 3
# Debian's kvm-amd.ko needs ccp.ko (SEV); the debug kernel's has no SEV.
if [ -f /ccp.ko ]; then
	insmod /ccp.ko || finish 3
fi
if [ -f /vapic.ko ]; then
	insmod /vapic.ko || finish 3
fi
echo "kvm-init: insmod kvm.ko$kvm_args"
# shellcheck disable=SC2086
insmod /kvm.ko $kvm_args || finish 3
echo "kvm-init: insmod kvm-amd.ko$amd_args"
# shellcheck disable=SC2086
insmod /kvm-amd.ko $amd_args || finish 3
[ -c /dev/kvm ] || { echo "kvm-init: no /dev/kvm"; finish 3; }
echo "kvm-init: kvm_amd:$(for p in nrips npt avic vgif vls; do [ -e /sys/module/kvm_amd/parameters/$p ] && printf ' %s=%s' $p "$(cat /sys/module/kvm_amd/parameters/$p)"; done)"
if [ -f /vapic.ko ]; then
	# The loaded kvm must be the libvapic one (it uses vapic.ko).
	if [ ! -e /sys/module/vapic/holders/kvm ]; then
		echo "kvm-init: the loaded kvm.ko does not use vapic.ko"
		finish 3
	fi
	echo "kvm-init: kvm.ko uses vapic.ko; parameters:$(for p in /sys/module/kvm/parameters/vapic_* /sys/module/kvm/parameters/lapic_timer_advance_ns /sys/module/kvm/parameters/halt_poll_ns; do [ -e "$p" ] && printf ' %s=%s' "${p##*/}" "$(cat "$p")"; done)"
fi
if [ -f /tests.sh ]; then
	# The caller's test script: it prints its own results, the caller
	# judges them.  Exit 0 means it ran to its end.
	echo "kvm-init: running /tests.sh"
	PROBE_ARGS=$probe_args sh /tests.sh
	rc=$?
	echo "kvm-init: tests.sh exit $rc"
	[ $rc = 0 ] && finish 1
	finish 2
fi
echo "kvm-init: /kvm-timer-probe --guest /probe-guest.bin$probe_args"
# shellcheck disable=SC2086
/kvm-timer-probe --guest /probe-guest.bin $probe_args
rc=$?
echo "kvm-init: probe exit $rc"
case $rc in
0) finish 1 ;;
1) finish 2 ;;
*) finish 3 ;;
esac
