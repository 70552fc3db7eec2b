#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The project's VMM with --irqchip=user on a KVM that is not the reference
# host's PVM: Debian's stock kvm.ko + kvm-amd.ko (nested SVM) in a qemu TCG
# guest booted with tsc=reliable (a stable TSC: without it, KVM there
# rewrites guest TSC offsets at every vcpu_load, see examples/vmm/README.md
# "The guest's TSC").  Runs conformance.elf (2 vCPUs) with --irqchip=user in
# x2APIC and xAPIC mode (judged), and with KVM's own LAPIC in strict mode
# (printed, not judged: stock KVM fails checks the series fixes).  TAP on
# stdout.  NEVER loads anything into this machine's own kernel.
#
#   vmm-nested.sh OUTDIR VAPIC_VMM_STATIC CONFORMANCE_ELF
#     OUTDIR            work directory (kernel image cache, logs)
#     VAPIC_VMM_STATIC  build/adapters/linux/kvm/vapic-vmm-static
#     CONFORMANCE_ELF   build/examples/vmm/guests/conformance.elf
#
# Needs qemu-system-x86, busybox-static, cpio and network access for
# apt-get download of the kernel image (cached in OUTDIR).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

out=${1:?usage: vmm-nested.sh OUTDIR VAPIC_VMM_STATIC CONFORMANCE_ELF}
vmm=${2:?usage: vmm-nested.sh OUTDIR VAPIC_VMM_STATIC CONFORMANCE_ELF}
elf=${3:?usage: vmm-nested.sh OUTDIR VAPIC_VMM_STATIC CONFORMANCE_ELF}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for c in qemu-system-x86_64 cpio; do
	command -v $c >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP $c missing"; exit 0; }
done
[ -x /bin/busybox ] || { echo "1..0 # SKIP busybox-static missing"; exit 0; }

"$here/fetch-kernel.sh" "$out/kernel-cache" virt/lib/irqbypass.ko \
	drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm.ko \
	arch/x86/kvm/kvm-amd.ko >/dev/null
mods=$out/stock-modules
rm -rf "$mods"
mkdir -p "$mods"
cp "$out/kernel-cache/modules/arch/x86/kvm/kvm.ko" \
	"$out/kernel-cache/modules/arch/x86/kvm/kvm-amd.ko" "$mods/"

# kvm-run.sh puts the VMM at /kvm-timer-probe, the guest at
# /probe-guest.bin.
cat >"$out/tests-vmm-nested.sh" <<'EOS'
echo "vmm-nested: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
run() {
	name=$1
	shift
	echo "vmm-nested: begin $name"
	timeout 180 /kvm-timer-probe --cpus=2 --stats --timeout=120 "$@" \
		/probe-guest.bin 2>&1
	echo "vmm-nested: end $name rc=$?"
}
run user-x2apic --irqchip=user --set apic=x2apic
run user-xapic --irqchip=user --set apic=xapic
run kernel-strict --irqchip=kernel --set strict=1
EOS
rc=0
"$here/kvm-run.sh" "$out" vmm-nested --modules "$mods" --probe "$vmm" \
	--guest "$elf" --script "$out/tests-vmm-nested.sh" --timeout 900 \
	--append tsc=reliable >"$out/vmm-nested.txt" 2>&1 || rc=$?

n=0
fails=0
section() { sed -n "/^vmm-nested: begin $1\$/,/^vmm-nested: end $1 /p" "$out/vmm-nested.txt"; }
grep '^vmm-nested: clocksource' "$out/vmm-nested.txt" | sed 's/^/# /'
for s in user-x2apic user-xapic kernel-strict; do
	n=$((n + 1))
	section $s >"$out/$s.txt"
	checks=$(grep '^checks:' "$out/$s.txt" || echo "checks: none")
	status=$(sed -n "s/^vmm-nested: end $s rc=//p" "$out/$s.txt")
	grep -E '^(SKIP|  FAILED)|guest TSC writes' "$out/$s.txt" | sed 's/^/#   /'
	if [ "$s" = kernel-strict ]; then
		echo "ok $n - $s (not judged: stock KVM): $checks, status $status"
	elif [ "$status" = 1 ]; then
		echo "ok $n - $s: $checks"
	else
		fails=$((fails + 1))
		echo "not ok $n - $s: $checks, status ${status:-none} (boot $rc)"
	fi
done
echo "1..$n"
[ $fails = 0 ]
