#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Plot the halt-poll evaluator's results: wake latency saved and poll time
# wasted per trace, for kvm, the guest governor and libvapic's policy.
#
#   tools/haltpoll_plot.sh [BUILD_DIR [OUT.png [evaluator options...]]]
#
# Needs gnuplot (Debian: gnuplot-nox).  Writes OUT.png (default
# haltpoll.png) and OUT.csv (the evaluator's --csv output) and prints the
# evaluator's table.
set -eu
build=${1:-build}
out=${2:-haltpoll.png}
[ $# -ge 2 ] && shift 2 || shift $#
csv=${out%.png}.csv
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT

"$build/examples/haltpoll_eval" --csv "$csv" "$@"

# Long CSV (trace,policy,...,saved_ms [8],...,wasted_ms [10]) -> one row
# per trace.
awk -F, 'NR > 1 {
	s[$1 "," $2] = $8; w[$1 "," $2] = $10
	if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 }
}
END {
	for (i = 0; i < n; i++) {
		t = order[i]
		print t, s[t ",kvm"], s[t ",guest-gov"], s[t ",vapic"], \
		      w[t ",kvm"], w[t ",guest-gov"], w[t ",vapic"]
	}
}' "$csv" > "$dat"

gnuplot <<GP
set terminal pngcairo size 1400,560 font ",10" noenhanced
set output "$out"
set multiplot layout 1,2 title "libvapic halt-poll evaluator (haltpoll_eval)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set xtics rotate by -30
set key top left
set title "wake latency saved vs no polling (ms, higher is better)"
plot "$dat" using 2:xtic(1) title "kvm", "" using 3 title "guest-gov", \
     "" using 4 title "vapic"
set title "poll time wasted (ms, log scale, lower is better)"
set logscale y
set yrange [0.001:*]
plot "$dat" using (\$5 > 0 ? \$5 : 0.001):xtic(1) title "kvm", \
     "" using (\$6 > 0 ? \$6 : 0.001) title "guest-gov", \
     "" using (\$7 > 0 ? \$7 : 0.001) title "vapic"
unset multiplot
GP
echo "wrote $out and $csv"
