#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Instructions per fastpath operation, counted by callgrind (deterministic:
# instruction counts do not depend on machine load, unlike timings).
#
# Usage: tools/callgrind-fastpath.sh [BENCH_FASTPATH_BINARY] [ITERATIONS]
#   default binary: build/tools/bench_fastpath; default iterations: 20000.
#   `meson test -C build --benchmark` (or `ninja -C build benchmark`) runs it.
#
# For each operation the driver runs ITERATIONS times under
#   valgrind --tool=callgrind --collect-atstart=no
#            --toggle-collect=bench_op_<fn>
# so only the instructions inside that one function (the libvapic calls and
# the host ops they make) are counted; the total is divided by ITERATIONS.
# "empty" is the cost of calling an empty measured function (the harness's
# own overhead, included in every other row).  Exit status 1 if a target is
# missed or a run fails.
set -eu

BIN=${1:-build/tools/bench_fastpath}
N=${2:-20000}
VALGRIND=${VALGRIND:-valgrind}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v "$VALGRIND" >/dev/null 2>&1; then
	echo "callgrind-fastpath: valgrind not found (apt-get install valgrind)" >&2
	exit 77
fi
# Measure a copy without debug sections: --toggle-collect needs only the
# symbol table, and valgrind 3.19 cannot read clang 14's DWARF 5.
if command -v objcopy >/dev/null 2>&1; then
	objcopy --strip-debug "$BIN" "$TMP/bench_fastpath"
	BIN="$TMP/bench_fastpath"
fi

# name  driver-operation  measured-function  target (0: none)
OPS="empty:empty:bench_op_empty:0
tsc_deadline_write:tscdeadline:bench_op_tscdeadline:100
timer_fire_inject:timer_fire:bench_op_timer_fire:200
x2apic_self_ipi:self_ipi:bench_op_wrmsr:0
x2apic_ipi_other_vcpu:ipi_other:bench_op_wrmsr:0
x2apic_eoi:eoi:bench_op_wrmsr:0
x2apic_tmict_write:tmict:bench_op_wrmsr:0"

fail=0
printf '%-24s %12s %8s %8s\n' operation instr/op target result
printf '%-24s %12s %8s %8s\n' ------------------------ ------------ -------- --------
echo "$OPS" | while IFS=: read -r name op fn target; do
	out="$TMP/cg.$op"
	if ! "$VALGRIND" --tool=callgrind --collect-atstart=no \
		--toggle-collect="$fn" --callgrind-out-file="$out" \
		"$BIN" "$op" "$N" >"$TMP/stdout.$op" 2>"$TMP/stderr.$op"; then
		echo "callgrind-fastpath: $op failed:" >&2
		tail -n 5 "$TMP/stderr.$op" >&2
		echo FAIL >"$TMP/failed"
		continue
	fi
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	perop=$(awk -v ir="$ir" -v n="$N" 'BEGIN { printf "%.1f", ir / n }')
	if [ "$target" -eq 0 ]; then
		tgt=-
		res=-
	else
		tgt=$target
		if awk -v p="$perop" -v t="$target" 'BEGIN { exit !(p <= t) }'; then
			res=PASS
		else
			res=FAIL
			echo FAIL >"$TMP/failed"
		fi
	fi
	printf '%-24s %12s %8s %8s\n' "$name" "$perop" "$tgt" "$res"
done
echo "(callgrind Ir per operation, $N iterations each, harness overhead = the 'empty' row)"
[ ! -e "$TMP/failed" ] || exit 1
