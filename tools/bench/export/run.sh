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

root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$root/build-expb
data=${TMPDIR:-/tmp}/bpfrec-expbench
n=10000000
reuse=0
while (($#)); do
	case $1 in
	-n) n=$2; shift ;;
	--build) build=$2; shift ;;
	--data) data=$2; shift ;;
	--reuse) reuse=1 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

mkdir -p "$build" "$data"
{ if [[ -f $build/CMakeCache.txt ]]; then cmake "$build"
  else cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release; fi
  cmake --build "$build" -j"$(nproc)" --target mkcap bpfreplay
} >"$build/expbench-build.log" 2>&1 || { cat "$build/expbench-build.log" >&2; exit 1; }
replay=$build/replay/bpfreplay
cap=$data/cap-$n
if [[ $reuse = 0 || ! -d $cap ]]; then
	rm -rf "$cap" "$data/plain.db"
	"$build/tools/bench/sql/mkcap" -n "$n" "$cap" "$data/plain.db" >/dev/null
	rm -f "$data/plain.db"   # the SQL benchmark's; not needed here
fi

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

echo "bpfreplay at $(git -C "$root" rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "export perfetto" "$replay" export "$cap" --format perfetto -o -
measure "report" "$replay" report "$cap" -o -
