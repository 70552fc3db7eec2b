#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The 'kernel' test suite (meson test --suite kernel), TAP on stdout:
#   kernel-suite.sh OUTDIR
# 1. vapic.ko + vapic_selftest.ko build with gcc and W=1, no warning;
# 2. vapic.ko exports exactly the VAPIC_API symbols of include/vapic/ (plus
#    the kernel host's vapic_khost_*), as EXPORT_SYMBOL_GPL;
# 3. the LLVM=1 build (skipped, with the reason, when the installed headers
#    were configured for a gcc whose flags this clang does not know);
# 4. the in-kernel selftest passes in Debian's kernel under qemu TCG
#    (2 CPUs, nohz_full=1: CPU 0 is the housekeeping CPU, the vCPU runs on
#    CPU 1, so unpinned hrtimers can fire remotely as in seed 000);
# 5. negative control: force_fail=1 makes the verdict FAIL and the run fail;
# 6. negative control: a module that fails to load gives no verdict and the
#    run fails.
# VAPIC_KERNEL_SELFTEST_ARGS adds module parameters to case 4's boot (e.g.
# force_fail=1 shows that a failing selftest fails this suite and meson).
# Missing packages are installed with install-deps.sh when running as root;
# the suite is skipped (not failed) only if that is impossible.
# NEVER loads a module into this machine's own kernel.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: kernel-suite.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
t_start=$(date +%s)

missing() {
	. "$here/common.sh"
	m=
	[ -n "$KVER" ] && [ -d "$KDIR" ] || m="$m linux-headers-amd64"
	command -v qemu-system-x86_64 >/dev/null || m="$m qemu-system-x86"
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx insmod ||
		m="$m busybox-static"
	command -v cpio >/dev/null || m="$m cpio"
	command -v make >/dev/null || m="$m make"
	echo $m
}
m=$(missing)
if [ -n "$m" ]; then
	echo "# missing:$m; running install-deps.sh"
	if [ "$(id -u)" = 0 ] && "$here/install-deps.sh" >"$out/install.log" 2>&1; then
		m=$(missing)
	else
		echo "# install-deps.sh failed or not root (see $out/install.log)"
	fi
fi
if [ -n "$m" ]; then
	echo "1..0 # SKIP cannot install:$m (run scripts/kernel/install-deps.sh as root)"
	exit 0
fi
. "$here/common.sh"

echo "1..6"
echo "# kernel headers $KVER"
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
indent() { sed 's/^/#   /'; }

# 1. gcc, W=1
t0=$(date +%s)
gcc_out=$out/gcc
if "$here/build.sh" "$gcc_out" >"$out/build-gcc.txt" 2>&1; then
	ok "build: vapic.ko + vapic_selftest.ko, gcc, W=1, no warnings ($(($(date +%s) - t0)) s)"
	built=1
else
	indent <"$out/build-gcc.txt" | tail -n 40
	notok "build: vapic.ko + vapic_selftest.ko, gcc, W=1, no warnings"
	built=0
fi

# 2. exports
if [ $built = 1 ]; then
	want=$("$here/../../adapters/linux/gen-exports.sh" --list "$TOP"/include/vapic/*.h)
	have=$(awk '$3 ~ /vapic\.ko$|\/vapic$/ && $4 == "EXPORT_SYMBOL_GPL" {print $2}' \
		"$gcc_out/src/adapters/linux/Module.symvers" | grep -v '^vapic_khost_' |
		LC_ALL=C sort)
	nsyms=$(echo "$want" | wc -l)
	if [ "$want" = "$have" ] && [ "$nsyms" -gt 0 ]; then
		ok "exports: vapic.ko exports the $nsyms VAPIC_API symbols of include/vapic, GPL"
	else
		echo "$want" >"$out/exports.want"
		echo "$have" >"$out/exports.have"
		diff "$out/exports.want" "$out/exports.have" | indent
		notok "exports: vapic.ko exports the VAPIC_API symbols of include/vapic, GPL"
	fi
else
	notok "exports: (no build)"
fi

# 3. clang
t0=$(date +%s)
if ! command -v clang >/dev/null || ! command -v ld.lld >/dev/null; then
	skip "build: LLVM=1" "clang/lld not installed"
elif "$here/build.sh" "$out/clang" LLVM=1 CC=clang >"$out/build-clang.txt" 2>&1; then
	ok "build: vapic.ko + vapic_selftest.ko, LLVM=1, W=1, no warnings ($(($(date +%s) - t0)) s)"
else
	bad=$(grep -E "clang: error: (unknown argument|unsupported option|'-ftrivial-auto-var-init=zero' hasn't been enabled)" \
		"$out/build-clang.txt" | sed "s/.*clang: error: //; s/ for target.*//; s/hasn't been enabled.*/needs a clang >= 16/" |
		sort -u | tr '\n' ';')
	if [ -n "$bad" ]; then
		skip "build: LLVM=1" "headers configured for $(sed -n 's/^CONFIG_CC_VERSION_TEXT=//p' "$KDIR/include/config/auto.conf"), $(clang --version | head -n1) rejects its flags: $bad"
	else
		indent <"$out/build-clang.txt" | tail -n 40
		notok "build: vapic.ko + vapic_selftest.ko, LLVM=1, W=1, no warnings"
	fi
fi

# 4-6. boots
boot() { # name expected-rc args...
	name=$1
	want=$2
	shift 2
	t0=$(date +%s)
	"$here/run-selftest.sh" "$gcc_out" "$name" --smp 2 --append "nohz_full=1" \
		-- "$@" >"$out/$name.txt" 2>&1
	rc=$?
	indent <"$out/$name.txt"
	echo "#   ($name: $(($(date +%s) - t0)) s, exit $rc, expected $want)"
	[ $rc = "$want" ]
}
if [ $built = 1 ]; then
	# shellcheck disable=SC2086
	if boot selftest 0 ${VAPIC_KERNEL_SELFTEST_ARGS:-}; then
		ok "boot: in-kernel selftest, verdict PASS"
	else
		notok "boot: in-kernel selftest, verdict PASS"
	fi
	if boot negative-control 1 force_fail=1 &&
	   grep -q 'not ok .* - negative_control_expects_early_interrupt' "$out/negative-control.txt" &&
	   grep -q 'verdict FAIL' "$out/negative-control.txt"; then
		ok "negative control: force_fail=1 -> the early-interrupt check fails, verdict FAIL, run fails"
	else
		notok "negative control: force_fail=1 -> the early-interrupt check fails, verdict FAIL, run fails"
	fi
	if boot no-load 2 timing_n=notanumber behaviour=0 &&
	   grep -q 'verdict ERROR' "$out/no-load.txt"; then
		ok "negative control: selftest module fails to load -> no verdict, run fails"
	else
		notok "negative control: selftest module fails to load -> no verdict, run fails"
	fi
else
	notok "boot: (no build)"
	notok "negative control: (no build)"
	notok "negative control: (no build)"
fi

echo "# kernel suite: $((n - fails)) passed, $fails failed, wall time $(($(date +%s) - t_start)) s"
[ $fails = 0 ]
