#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# fuzz/run.sh - build a fuzz target with clang + libFuzzer (ASan+UBSan) and
# run it.
#
# usage: fuzz/run.sh TARGET [EXECS] [--merge] [--max-len N] [--time S]
#        fuzz/run.sh TARGET --minimize CRASH_FILE
#
#   TARGET      a target of the table in fuzz/meson.build (e.g. timer)
#   EXECS       number of executions (libFuzzer -runs), default 1000000
#   --merge     afterwards, merge the inputs that add coverage beyond the
#               repository corpus into fuzz/corpus/TARGET/<sha1>.hex (a
#               minimized set: libFuzzer -merge=1), for review and commit
#   --max-len N largest input (default 1024 bytes)
#   --time S    stop after S seconds as well (-max_total_time)
#   --minimize  minimize a crashing input (-minimize_crash=1); the result is
#               written next to it as minimized-*; commit it with
#               fuzz/hexcorpus.py frombin as a regression input
#
# Build dir: build/fuzz-libfuzzer.  Working corpus (kept between runs, not
# committed): fuzz/work/TARGET/corpus.  Crashes: fuzz/artifacts/TARGET/.
# Runs under nice -n 19 (the machine is shared).  Exit status: 0 if no
# crash, 77 if the target crashed or an invariant failed (libFuzzer
# -error_exitcode), other values for build errors.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VAPIC_FUZZ_BUILD:-$ROOT/build/fuzz-libfuzzer}

usage() {
	sed -n '4,24p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

[ $# -ge 1 ] || usage
TARGET=$1
shift
EXECS=1000000
MERGE=0
MAXLEN=1024
TIME=0
MINIMIZE=
while [ $# -gt 0 ]; do
	case $1 in
	--merge) MERGE=1 ;;
	--max-len) MAXLEN=$2; shift ;;
	--time) TIME=$2; shift ;;
	--minimize) MINIMIZE=$2; shift ;;
	-h|--help) usage ;;
	[0-9]*) EXECS=$1 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done

SEEDS_HEX=$ROOT/fuzz/corpus/$TARGET
[ -d "$SEEDS_HEX" ] || { echo "run.sh: no corpus dir $SEEDS_HEX" >&2; exit 2; }

if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" "$ROOT" -Dfuzzing_engine=libfuzzer \
		-Dbuildtype=debugoptimized
fi
nice -n 19 ninja -C "$BUILD" -j2 "fuzz/fuzz_$TARGET"
BIN=$BUILD/fuzz/fuzz_$TARGET

WORK=$ROOT/fuzz/work/$TARGET
ART=$ROOT/fuzz/artifacts/$TARGET
mkdir -p "$WORK/corpus" "$ART"
rm -rf "$WORK/seeds"
python3 "$ROOT/fuzz/hexcorpus.py" tobin "$SEEDS_HEX" "$WORK/seeds"

if [ -n "$MINIMIZE" ]; then
	exec nice -n 19 "$BIN" -minimize_crash=1 -runs=200000 \
		-artifact_prefix="$(dirname "$MINIMIZE")/" "$MINIMIZE"
fi

echo "run.sh: $TARGET: $EXECS execs, ASan+UBSan, max_len $MAXLEN"
start=$(date +%s)
set +e
nice -n 19 "$BIN" -runs="$EXECS" -error_exitcode=77 -timeout=30 \
	-rss_limit_mb=2048 -max_len="$MAXLEN" -max_total_time="$TIME" \
	-print_final_stats=1 -artifact_prefix="$ART/" \
	"$WORK/corpus" "$WORK/seeds" 2>&1 | tee "$WORK/last.log"
rc=${PIPESTATUS[0]}
set -e
echo "run.sh: $TARGET: exit status $rc after $(($(date +%s) - start)) s" \
	"(log: $WORK/last.log)"
if [ "$rc" -ne 0 ]; then
	echo "run.sh: crash inputs in $ART/; reproduce with" \
		"$BUILD/fuzz/replay_$TARGET -n FILE (FUZZ_TIMER_TRACE=1 traces)"
	exit "$rc"
fi

if [ "$MERGE" = 1 ]; then
	rm -rf "$WORK/merged"
	cp -r "$WORK/seeds" "$WORK/merged"
	before=$(ls "$WORK/merged" | wc -l)
	nice -n 19 "$BIN" -merge=1 -max_len="$MAXLEN" "$WORK/merged" \
		"$WORK/corpus" 2>&1 | tail -3
	echo "run.sh: merge kept $(($(ls "$WORK/merged" | wc -l) - before))" \
		"new inputs beyond the repository corpus"
	python3 "$ROOT/fuzz/hexcorpus.py" frombin "$WORK/merged" "$SEEDS_HEX" \
		"found by libFuzzer (fuzz/run.sh $TARGET --merge), $(date -u +%F)"
fi
