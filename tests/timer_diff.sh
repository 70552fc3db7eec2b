#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Run the timer_diff driver built with and without the timer fast paths
# and require identical traces (see tests/timer_diff.c).
set -eu
FAST=$1
REF=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for seed in 1 77 4242; do
	"$FAST" "$seed" 20000 >"$TMP/fast"
	"$REF" "$seed" 20000 >"$TMP/ref"
	if ! cmp -s "$TMP/fast" "$TMP/ref"; then
		echo "timer_diff: seed $seed: traces differ" >&2
		diff "$TMP/fast" "$TMP/ref" | head -20 >&2
		exit 1
	fi
	echo "seed $seed: $(wc -l <"$TMP/fast") trace lines identical"
done
