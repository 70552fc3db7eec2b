#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# fuzz/coverage.sh - line/branch coverage of the core reached by a fuzz
# target's corpus (clang source-based coverage: llvm-profdata, llvm-cov).
#
# usage: fuzz/coverage.sh TARGET [CORPUS_DIR...]
#   default corpora: the repository's fuzz/corpus/TARGET and, if present,
#   the libFuzzer working corpus fuzz/work/TARGET/corpus (fuzz/run.sh).
# Prints llvm-cov's report for libvapic/*.c; the per-line view of a file:
#   llvm-cov show BUILD/fuzz/replay_TARGET -instr-profile=BUILD/TARGET.profdata \
#     libvapic/timer.c
# Build dir: build/fuzz-coverage (clang, -fprofile-instr-generate
# -fcoverage-mapping).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${VAPIC_COV_BUILD:-$ROOT/build/fuzz-coverage}
[ $# -ge 1 ] || { sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
TARGET=$1
shift
CORPORA=("$@")
if [ ${#CORPORA[@]} -eq 0 ]; then
	CORPORA=("$ROOT/fuzz/corpus/$TARGET")
	[ -d "$ROOT/fuzz/work/$TARGET/corpus" ] &&
		CORPORA+=("$ROOT/fuzz/work/$TARGET/corpus")
fi

if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" "$ROOT" -Dfuzzing_engine=none \
		-Dc_args="-fprofile-instr-generate -fcoverage-mapping" \
		-Dc_link_args="-fprofile-instr-generate" >/dev/null
fi
nice -n 19 ninja -C "$BUILD" -j2 "fuzz/replay_$TARGET" >/dev/null
rm -f "$BUILD"/cov-*.profraw
n=0
for c in "${CORPORA[@]}"; do
	n=$((n + 1))
	LLVM_PROFILE_FILE="$BUILD/cov-$n.profraw" nice -n 19 \
		"$BUILD/fuzz/replay_$TARGET" -n "$c" >/dev/null
	echo "coverage.sh: ran $(ls "$c" | wc -l) inputs of $c"
done
llvm-profdata merge -sparse "$BUILD"/cov-*.profraw -o "$BUILD/$TARGET.profdata"
llvm-cov report "$BUILD/fuzz/replay_$TARGET" \
	-instr-profile="$BUILD/$TARGET.profdata" \
	-ignore-filename-regex='/(fuzz|adapters/[a-z]+|include/vapic)/[^/]*$' |
	awk '{ if (NF >= 13) printf "%-28s %8s %8s %8s %9s %8s %8s\n", \
		$1, $8, $9, $10, $11, $12, $13; else print }' |
	sed 's/^Filename .*/file                            lines   missed    cover  branches   missed    cover/' | cut -c1-84
