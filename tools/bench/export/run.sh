#!/usr/bin/env bash
# tools/bench/export/run.sh - memory and time of `bpfreplay export` and
# `bpfreplay report` on a large capture (issue 14, BENCHMARKS.md "Export and
# report"): both stream the capture, so peak RSS must not grow with it.
#
#   tools/bench/export/run.sh [-n N] [--build DIR] [--data DIR] [--reuse]
#
#   -n N         events in the capture (default 10000000)
#   --build DIR  the build directory (default build-expb; mkcap and bpfreplay
#                are built there first, Release)
#   --data DIR   where the capture goes (default ${TMPDIR:-/tmp}/bpfrec-expbench)
#   --reuse      keep the capture of an earlier run with the same N
#
# The capture is the SQL benchmark's (tools/bench/sql/mkcap.c: exec events of
# 3000 processes at about 1M/s).  Each command runs once under /usr/bin/time
# -v; the export is written to a pipe into `wc -c` (its size is printed, not
# kept).  Prints: command, events, output bytes, wall time, CPU time, peak RSS.
set -euo pipefail

. "$(dirname "$0")/../lib.sh"
build=$repo/build-expb
data=${TMPDIR:-/tmp}/bpfrec-expbench
n=10000000
reuse=0
bench_args "-n=n --build=build --data=data --reuse=reuse=1" "$@"

mkdir -p "$data"
bench_build_release "$build" "$build/expbench-build.log" mkcap bpfreplay
replay=$build/replay/bpfreplay
cap=$data/cap-$n
bench_mkcap "$build" "$cap" "$n" "$reuse"

measure() {   # name, then the command; its stdout goes to wc -c
	local name=$1 t=$data/time.txt bytes
	shift
	bytes=$( { /usr/bin/time -v "$@" 2>"$t"; } | wc -c)
	awk -v name="$name" -v n="$n" -v bytes="$bytes" -F': ' '
		/Elapsed \(wall clock\)/ { wall = $2 }
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident set size/ { rss = $2 }
		END { printf "%-18s %10d events  %14d bytes out  wall %s  cpu %.1f s  peak RSS %.1f MiB\n",
		      name, n, bytes, wall, u + s, rss / 1024 }' "$t"
}

echo "bpfreplay at $(git -C "$repo" rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "export perfetto" "$replay" export "$cap" --format perfetto -o -
measure "report" "$replay" report "$cap" -o -
