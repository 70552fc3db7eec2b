#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Model-check tests/model/lazy.pml with spin.
#
#   run-model.sh one NAME EXPECT KIND [-DFLAG...]
#	one configuration, TAP output (one case).  EXPECT is "pass" (spin must
#	report errors: 0 over a complete search) or "fail" (a mutant: spin
#	must report a violation).  KIND is "safety" (assertions + invalid end
#	states) or "liveness" (LTL <> done, acceptance cycles, weak fairness).
#   run-model.sh table
#	every configuration the test suite runs, as a table (states, time).
#
# pan exits 0 even when it finds a violation: the verdict is parsed from its
# "errors: N" line, and a search cut short by the depth limit or memory is
# never taken as a pass.  Every run is bounded: the model's own horizon
# (NOPS guest operations, times up to TMAX), MEMLIM, and a timeout.
#
# Environment: SPIN, CC (default gcc), MODEL_CFLAGS (default -O0: pan.c
# compiles in ~2 s instead of ~14 s, which dominates these small searches),
# MODEL_TIMEOUT (s, default 600),
# MODEL_KEEP=1 keeps the work directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
model="$here/lazy.pml"
spin=${SPIN:-spin}
cc=${CC:-gcc}
tmo=${MODEL_TIMEOUT:-600}

# name expect kind flags...  (the suite's configurations)
configs() {
	cat <<'EOF'
deferred pass safety
deferred-adv pass safety -DADV=1
posted pass safety -DPOSTED
posted-adv pass safety -DPOSTED -DADV=1
deferred-live pass liveness
posted-live pass liveness -DPOSTED
deferred-nofence pass safety -DNO_FENCE
mut-nofence fail safety -DPOSTED -DNO_FENCE
mut-nofence-live fail liveness -DPOSTED -DNO_FENCE
mut-noclear-mask fail safety -DNO_CLEAR_MASK
mut-noclear-mask-posted fail safety -DPOSTED -DNO_CLEAR_MASK
mut-noclear-idle fail safety -DNO_CLEAR_IDLE
mut-noclear-idle-posted fail safety -DPOSTED -DNO_CLEAR_IDLE
mut-noclear-expired fail safety -DNO_CLEAR_EXPIRED
mut-noclear-expired-posted fail safety -DPOSTED -DNO_CLEAR_EXPIRED
mut-posted-norefresh fail safety -DPOSTED -DPOSTED_NO_REFRESH
mut-inject-before-rearm fail safety -DINJECT_BEFORE_REARM
mut-inject-before-rearm-posted fail safety -DPOSTED -DINJECT_BEFORE_REARM
mut-nohostfence fail safety -DPOSTED -DNO_HOST_FENCE
mut-norate fail safety -DNO_RATE_BOUND
mut-norate-posted fail safety -DPOSTED -DNO_RATE_BOUND
EOF
}

# run NAME KIND FLAGS... -> sets errors, states, secs, note
run() {
	name=$1
	kind=$2
	shift 2
	work=$(mktemp -d "${TMPDIR:-/tmp}/vapic-model.XXXXXX") || exit 99
	cp "$model" "$work/lazy.pml"
	errors=
	states=
	secs=
	note=
	if ! (cd "$work" && "$spin" -a "$@" lazy.pml >spin.log 2>&1); then
		note="spin -a failed: $(tail -n 3 "$work/spin.log" | tr '\n' ' ')"
		cleanup
		return
	fi
	if [ "$kind" = liveness ]; then
		ccflags="-DNFAIR=3"
		panflags="-a -f"
	else
		ccflags="-DSAFETY -DNOCLAIM"
		panflags=""
	fi
	# shellcheck disable=SC2086
	if ! (cd "$work" && "$cc" ${MODEL_CFLAGS:--O0} -w $ccflags -DCOLLAPSE -DMEMLIM=1024 \
		-o pan pan.c >cc.log 2>&1); then
		note="cc pan.c failed: $(tail -n 3 "$work/cc.log" | tr '\n' ' ')"
		cleanup
		return
	fi
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	(cd "$work" && timeout "$tmo" ./pan $panflags -m400000 -w22 \
		>pan.log 2>&1)
	rc=$?
	end=$(date +%s.%N)
	secs=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
	errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$work/pan.log" |
		head -n 1)
	states=$(sed -n 's/^ *\([0-9][0-9e.+]*\) states, stored.*/\1/p' \
		"$work/pan.log" | head -n 1)
	if [ "$rc" = 124 ]; then
		note="timeout after ${tmo}s"
		errors=
	elif grep -q "max search depth too small" "$work/pan.log"; then
		note="search depth limit hit (incomplete)"
		[ "${errors:-0}" = 0 ] && errors=
	elif grep -q "out of memory" "$work/pan.log"; then
		note="out of memory (incomplete)"
		[ "${errors:-0}" = 0 ] && errors=
	fi
	if [ -n "$errors" ] && [ "$errors" != 0 ]; then
		note=$(grep -E "assertion violated|invalid end state|acceptance cycle" \
			"$work/pan.log" | head -n 1 | sed 's/^pan:[0-9]*: //')
	fi
	cleanup
}

cleanup() {
	if [ "${MODEL_KEEP:-0}" = 1 ]; then
		echo "# kept $work" >&2
	else
		rm -rf "$work"
	fi
}

# verdict EXPECT -> 0 if the run matches the expectation
verdict() {
	[ -n "$errors" ] || return 1
	if [ "$1" = pass ]; then
		[ "$errors" = 0 ]
	else
		[ "$errors" != 0 ]
	fi
}

case "${1:-}" in
one)
	[ $# -ge 4 ] || { echo "usage: $0 one NAME EXPECT KIND [-D...]" >&2; exit 2; }
	name=$2
	expect=$3
	kind=$4
	shift 4
	if ! command -v "$spin" >/dev/null 2>&1; then
		echo "1..0 # SKIP spin not installed"
		exit 0
	fi
	run "$name" "$kind" "$@"
	echo "1..1"
	desc="$name ($kind $*): errors ${errors:-?}, ${states:-?} states, ${secs:-?} s, expected $expect"
	[ -n "$note" ] && desc="$desc: $note"
	if verdict "$expect"; then
		echo "ok 1 - $desc"
	else
		echo "not ok 1 - $desc"
	fi
	exit 0
	;;
table)
	printf '%-32s %-8s %-6s %-6s %12s %8s  %s\n' config kind expect errors \
		states seconds note
	fails=0
	configs | while read -r name expect kind flags; do
		# shellcheck disable=SC2086
		run "$name" "$kind" $flags
		if verdict "$expect"; then ok=""; else ok=" <-- UNEXPECTED"; fi
		printf '%-32s %-8s %-6s %-6s %12s %8s  %s%s\n' "$name" "$kind" \
			"$expect" "${errors:-?}" "${states:-?}" "${secs:-?}" \
			"$note" "$ok"
	done
	;;
list)
	configs
	;;
*)
	echo "usage: $0 one NAME EXPECT KIND [-D...] | table | list" >&2
	exit 2
	;;
esac
