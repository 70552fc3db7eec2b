#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Fixture test program for tests/tools/report-selftest.py.
case $1 in
ok3) printf 'ok 1 - a\nok 2 - b\nok 3 - c\n1..3\n' ;;
fail1of3) printf 'ok 1 - a\nnot ok 2 - b\nok 3 - c\n1..3\n'; exit 1 ;;
crash) printf '1..4\nok 1 - a\nok 2 - b\n'; kill -SEGV $$ ;;
skipcase) printf 'ok 1 - a\nok 2 - b # SKIP no widget here\n1..2\n' ;;
skipall) printf '1..0 # SKIP /dev/widget not accessible\n' ;;
okexit1) printf 'ok 1 - a\n1..1\n'; exit 3 ;;
exit0) exit 0 ;;
exit1) echo "it broke"; exit 1 ;;
exit77) echo "needs /dev/widget: not accessible"; exit 77 ;;
esac
