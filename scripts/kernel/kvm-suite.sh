#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The 'kvm-patched' test suite (meson test --suite kvm-patched), TAP on
# stdout:  kvm-suite.sh OUTDIR PROBE GUEST
#   OUTDIR  work directory (the prepared kernel tree is cached there)
#   PROBE   the static probe VMM (adapters/linux/kvm/probe), GUEST its guest
#
# 1. vapic.ko builds (W=1, no warnings);
# 2. the KVM patch series (adapters/linux/kvm/patches) applies exactly to
#    Debian's linux-source-6.1 and kvm.ko, kvm-amd.ko and kvm-intel.ko build
#    without warnings, with the headers' Module.symvers and kernel.release;
# 3. the modules load in Debian's kernel: vermagic is the headers' release,
#    kvm.ko depends on vapic.ko;
# 4. boot Debian's kernel in qemu TCG with -cpu max (nested SVM), load
#    vapic.ko + the patched kvm.ko + kvm-amd.ko (the stock ones are never
#    loaded), run the probe VMM with the in-kernel irqchip: each probe case
#    (LAPIC timer conformance from inside the guest, KVM's timer_early stat,
#    the re-arm workload without and with lazy TSC-deadline and its exit
#    table from KVM's binary stats) is one case here;
# 5. the same probe with libvapic's adaptive halt-poll policy and a fixed
#    30 us timer advance (the host timer fires early, the vCPU thread waits
#    out the rest: the WAIT path); the halt workload's table shows the two
#    policies side by side (4 and 5);
# 6. negative control: Debian's own (unpatched) KVM runs the same
#    conformance checks and fails the one stock KVM 6.1 gets wrong (a timer
#    that expired while masked is delivered once the guest unmasks it): the
#    probe can tell a non-conforming KVM.
# Missing packages are installed (as root, through scripts/lib.sh's list);
# the suite is skipped only if that is impossible.  Never loads a module
# into this machine's own kernel.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: kvm-suite.sh OUTDIR PROBE GUEST}
probe=${2:?usage: kvm-suite.sh OUTDIR PROBE GUEST}
guest=${3:?usage: kvm-suite.sh OUTDIR PROBE GUEST}
mkdir -p "$out"
out=$(cd "$out" && pwd)
t_start=$(date +%s)

pkgs="linux-source-6.1 linux-headers-amd64 bison flex libelf-dev libssl-dev bc make gcc-12 patch qemu-system-x86 busybox-static cpio kmod"
missing() {
	m=
	[ -f /usr/src/linux-source-6.1.tar.xz ] || m="$m linux-source-6.1"
	ls -d /usr/src/linux-headers-*-amd64 >/dev/null 2>&1 || m="$m linux-headers-amd64"
	for c in bison:bison flex:flex bc:bc make:make gcc-12:gcc-12 patch:patch \
		qemu-system-x86_64:qemu-system-x86 cpio:cpio modinfo:kmod; do
		command -v "${c%%:*}" >/dev/null 2>&1 || m="$m ${c#*:}"
	done
	[ -f /usr/include/gelf.h ] || m="$m libelf-dev"
	[ -f /usr/include/openssl/opensslv.h ] || m="$m libssl-dev"
	[ -x /bin/busybox ] || m="$m busybox-static"
	echo $m
}
m=$(missing)
if [ -n "$m" ]; then
	echo "# missing:$m; installing"
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		{ apt-get install -y --no-install-recommends $m ||
		  { apt-get update && apt-get install -y --no-install-recommends $m; }; } \
			>"$out/install.log" 2>&1
		m=$(missing)
	fi
fi
if [ -n "$m" ]; then
	echo "1..0 # SKIP cannot install:$m (apt-get install $pkgs, as root)"
	exit 0
fi
. "$here/common.sh"

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
indent() { sed 's/^/#   /'; }
finish() {
	echo "# kvm-patched suite: $((n - fails)) passed, $fails failed, wall time $(($(date +%s) - t_start)) s"
	echo "1..$n"
	[ $fails = 0 ]
	exit $?
}
echo "# kernel headers $KVER ($(dpkg-query -W -f='${Version}' "linux-headers-$KVER")), linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)"

# 1. vapic.ko
t0=$(date +%s)
if "$here/build.sh" "$out/kmod" >"$out/build-vapic.txt" 2>&1; then
	ok "build: vapic.ko, W=1, no warnings ($(($(date +%s) - t0)) s)"
else
	indent <"$out/build-vapic.txt" | tail -n 30
	notok "build: vapic.ko, W=1, no warnings"
	finish
fi
vapic_ko=$out/kmod/src/adapters/linux/vapic.ko
symvers=$out/kmod/src/adapters/linux/Module.symvers

# 2. the series and the KVM build
npatches=$(ls "$TOP"/adapters/linux/kvm/patches/*.patch | wc -l)
t0=$(date +%s)
rc=0
"$here/kvm-build.sh" "$out/kvm" "$symvers" >"$out/build-kvm.txt" 2>&1 || rc=$?
indent <"$out/build-kvm.txt" | grep -v '\.ko$'
if [ $rc = 77 ]; then
	echo "1..0 # SKIP $(grep 'missing packages' "$out/build-kvm.txt")"
	exit 0
fi
if [ $rc = 0 ]; then
	ok "build: $npatches patches apply exactly to linux-source-6.1; kvm.ko, kvm-amd.ko, kvm-intel.ko build without warnings ($(($(date +%s) - t0)) s)"
else
	notok "build: the KVM series applies and kvm.ko, kvm-amd.ko, kvm-intel.ko build without warnings"
	finish
fi
mods=$out/modules
rm -rf "$mods"
mkdir -p "$mods"
cp "$out/kvm/linux-source-6.1/arch/x86/kvm/kvm.ko" \
	"$out/kvm/linux-source-6.1/arch/x86/kvm/kvm-amd.ko" "$vapic_ko" "$mods/"

# 3. module metadata
vm=$(modinfo -F vermagic "$mods/kvm.ko" | cut -d' ' -f1)
dep=$(modinfo -F depends "$mods/kvm.ko")
amd=$(modinfo -F depends "$mods/kvm-amd.ko")
case ",$dep," in *,vapic,*) has_vapic=1 ;; *) has_vapic=0 ;; esac
if [ "$vm" = "$KVER" ] && [ $has_vapic = 1 ] && [ "$(modinfo -F vermagic "$mods/kvm-amd.ko" | cut -d' ' -f1)" = "$KVER" ]; then
	ok "modules: vermagic $vm (the headers' release), kvm.ko depends on $dep, kvm-amd.ko on $amd"
else
	notok "modules: vermagic '$vm' (want $KVER), kvm.ko depends on '$dep' (want vapic)"
fi

# 4-6. boots.  The probe's TAP lines become cases of this suite.
boot() { # name modules-dir args...
	name=$1
	dir=$2
	shift 2
	t0=$(date +%s)
	rc=0
	"$here/kvm-run.sh" "$out" "$name" --modules "$dir" --probe "$probe" \
		--guest "$guest" -- "$@" >"$out/$name.txt" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
}
report() { # name prefix
	grep -vE '^(not )?ok [0-9]+ |^1\.\.[0-9]+$' "$out/$1.txt" | indent
	cases=$(grep -cE '^(not )?ok [0-9]+ ' "$out/$1.txt")
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out/$1.txt" | tail -n1)
	grep -E '^(not )?ok [0-9]+ ' "$out/$1.txt" |
	while IFS= read -r l; do
		case $l in
		"not ok "*) echo "NOTOK $2: ${l#not ok * - }" ;;
		*) echo "OK $2: ${l#ok * - }" ;;
		esac
	done >"$out/$1.cases"
	[ -n "$plan" ] && [ "$plan" = "$cases" ]
}
emit() { # cases-file
	while IFS= read -r l; do
		case $l in
		NOTOK*) notok "${l#NOTOK }" ;;
		OK*) ok "${l#OK }" ;;
		esac
	done <"$1"
}

boot patched "$mods" vapic_probe.deadlines=200 vapic_probe.workload=400
if report patched "patched KVM"; then
	emit "$out/patched.cases"
	[ $rc = 0 ] && ok "patched KVM: probe verdict PASS ($secs s)" ||
		notok "patched KVM: probe verdict (qemu/kvm-run.sh exit $rc)"
else
	emit "$out/patched.cases"
	notok "patched KVM: the probe ran to its end (exit $rc after $secs s)"
fi

boot advance "$mods" kvm.vapic_halt_poll_policy=adaptive \
	kvm.lapic_timer_advance_ns=30000 vapic_probe.deadlines=100 \
	vapic_probe.workload=400
if report advance "patched KVM, adaptive halt-poll, 30 us advance"; then
	emit "$out/advance.cases"
	[ $rc = 0 ] && ok "patched KVM, adaptive halt-poll, 30 us advance: probe verdict PASS ($secs s)" ||
		notok "patched KVM, adaptive halt-poll, 30 us advance: probe verdict (exit $rc)"
else
	emit "$out/advance.cases"
	notok "patched KVM, adaptive halt-poll, 30 us advance: the probe ran to its end (exit $rc after $secs s)"
fi

# The image's own kvm.ko/kvm-amd.ko (fetched with the kernel image).
stock=$out/stock-modules
"$here/fetch-kernel.sh" "$out/kernel-cache" virt/lib/irqbypass.ko \
	drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko >/dev/null
rm -rf "$stock"
mkdir -p "$stock"
cp "$out/kernel-cache/modules/arch/x86/kvm/kvm.ko" \
	"$out/kernel-cache/modules/arch/x86/kvm/kvm-amd.ko" "$stock/"
boot stock "$stock" vapic_probe.mode=conformance vapic_probe.deadlines=50
report stock "stock KVM" || true
indent <"$out/stock.cases"
if [ $rc = 1 ] && grep -q '^NOTOK stock KVM: conformance: tscdeadline: expiry while masked' "$out/stock.cases"; then
	ok "negative control: Debian's stock KVM fails the masked-expiry check (and $(($(grep -c '^NOTOK' "$out/stock.cases") - 1)) other(s)) ($secs s)"
else
	notok "negative control: Debian's stock KVM fails the masked-expiry check (exit $rc)"
fi

finish
