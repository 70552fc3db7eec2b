#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# /init of the selftest initramfs (busybox sh).  Loads vapic.ko and
# vapic_selftest.ko with the vapic_selftest.* arguments of the kernel
# command line, prints the selftest's output, and reports the verdict
# through the isa-debug-exit device at port 0xf4 (qemu then exits with
# (code << 1) | 1): 1 = PASS, 2 = FAIL, 3 = error (no verdict).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

args=
for w in $(cat /proc/cmdline); do
	case $w in
	vapic_selftest.*) args="$args ${w#vapic_selftest.}" ;;
	esac
done

echo "vapic-init: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
dmesg -c >/dev/null
code=3
verdict=ERROR
if insmod /vapic.ko; then
	echo "vapic-init: insmod vapic_selftest.ko$args"
	if insmod /vapic_selftest.ko $args; then
		verdict=$(cat /sys/module/vapic_selftest/parameters/verdict)
	fi
fi
# Everything the kernel said since the modules loaded (quiet keeps it off
# the console).
dmesg | sed 's/^\[[ 0-9.]*\] //' | tee /kmsg.txt
if grep -qE 'WARNING:|BUG:|Oops|general protection|Call Trace' /kmsg.txt; then
	echo "vapic-init: kernel warning or oops while testing"
	verdict=FAIL
fi
case $verdict in
PASS) code=1 ;;
FAIL) code=2 ;;
esac
echo "vapic-init: verdict $verdict (exit code $code)"
printf "\\$(printf '%03o' $code)" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
# Not reached when the isa-debug-exit device is present.
poweroff -f
