#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# check-exports.sh GEN_EXPORTS NM LIBVAPIC.so INCLUDE_DIR [HEADER...]
# The shared library's dynamic symbols must be exactly the VAPIC_API
# declarations of INCLUDE_DIR/*.h and the extra headers (gen-exports.sh
# --list, the list vapic.ko's exports are generated from).
set -eu
gen=$1 nm=$2 lib=$3 inc=$4
shift 4
want=$("$gen" --list "$inc"/*.h "$@")
have=$("$nm" -D --defined-only "$lib" | awk '{print $3}' | LC_ALL=C sort)
if [ "$want" != "$have" ]; then
	echo "exports of $lib differ from the VAPIC_API declarations:"
	echo "$want" >"${TMPDIR:-/tmp}/vapic-exports-want.$$"
	echo "$have" | diff -u "${TMPDIR:-/tmp}/vapic-exports-want.$$" - || true
	rm -f "${TMPDIR:-/tmp}/vapic-exports-want.$$"
	exit 1
fi
echo "$(echo "$want" | wc -l) exported symbols match the headers"
