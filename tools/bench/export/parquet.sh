#!/usr/bin/env bash
# tools/bench/export/parquet.sh - `bpfreplay export --format parquet` (issue
# 15, BENCHMARKS.md "Parquet export"): export speed, bytes per event against
# the capture's own, and one query in DuckDB over the export beside the same
# query in `bpfreplay sql` over the capture.
#
#   tools/bench/export/parquet.sh [-n N] [--build DIR] [--data DIR] [--reuse]
#
#   -n N         events in the capture (default 2000000)
#   --build DIR  the build directory (default build-expb; mkcap and bpfreplay
#                are built there first, Release)
#   --data DIR   where the capture and the exports go
#                (default ${TMPDIR:-/tmp}/bpfrec-pqbench)
#   --reuse      keep the capture of an earlier run with the same N
#   --row-group-rows R  passed to the Parquet export (default: its own, 131072)
#
# The capture is the SQL benchmark's (tools/bench/sql/mkcap.c: exec events,
# 296 bytes each, of 3000 processes at about 1M/s, 4 MiB blocks, zstd 1).
# Each export runs once under /usr/bin/time -v (wall, CPU, peak RSS).  The
# queries: Q1 SELECT comm, count(*) ... GROUP BY comm; Q2 count(*), max(pid)
# over 1% of the time span (ts BETWEEN: bpfreplay skips blocks through its
# index, DuckDB row groups through their statistics).  bpfreplay: the whole
# process (open, attach, query, print), best of 3.  DuckDB
# (tests/node/node_modules, from tools/setup.sh): the statement alone, best of
# 3 (tools/bench/export/duckq.mjs).  The answers of both must agree.
set -euo pipefail

. "$(dirname "$0")/../lib.sh"
build=$repo/build-expb
data=${TMPDIR:-/tmp}/bpfrec-pqbench
n=2000000
reuse=0
rgr_rows=
bench_args "-n=n --build=build --data=data --reuse=reuse=1 --row-group-rows=rgr_rows" "$@"
rgr=()
[[ -z $rgr_rows ]] || rgr=(--row-group-rows "$rgr_rows")
[[ -d $repo/tests/node/node_modules/@duckdb/node-api ]] ||
	bench_die "DuckDB for node is missing: run tools/setup.sh"

mkdir -p "$data"
bench_build_release "$build" "$build/pqbench-build.log" mkcap bpfreplay
replay=$build/replay/bpfreplay
cap=$data/cap-$n
bench_mkcap "$build" "$cap" "$n" "$reuse"

capbytes=$(dir_bytes "$cap")
printf "capture            %10d events  %12d bytes  %7.1f bytes/event\n" "$n" "$capbytes" \
	"$(echo "$capbytes / $n" | bc -l)"

export_one() {   # format
	local fmt=$1 out=$data/out-${1//./-} t=$data/time.txt
	rm -rf "$out"
	local extra=()
	[[ $fmt = parquet ]] && extra=("${rgr[@]}")
	/usr/bin/time -v "$replay" export "$cap" --format "$fmt" -o "$out" "${extra[@]}" 2>"$t" >/dev/null ||
		{ cat "$t" >&2; exit 1; }
	awk -v name="$fmt" -v n="$n" -v bytes="$(dir_bytes "$out")" -F': ' '
		/Elapsed \(wall clock\)/ { split($2, p, ":"); wall = p[1] * 60 + p[2] }
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident set size/ { rss = $2 }
		END { printf "export %-11s %10d events  %12d bytes  %7.1f bytes/event  wall %.2f s" \
		      "  %.2f M rows/s  cpu %.2f s  peak RSS %.1f MiB\n",
		      name, n, bytes, bytes / n, wall, n / wall / 1e6, u + s, rss / 1024 }' "$t"
}
export_one parquet
export_one jsonl.zst

# The middle 1% of the span, for Q2.
read -r lo hi < <("$replay" sql -o csv "$cap" "SELECT min(ts), max(ts) FROM exec" | tail -1 |
	awk -F, '{ span = $2 - $1; mid = $1 + span / 2; printf "%.0f %.0f\n", mid, mid + span / 100 }')
pq="read_parquet('$data/out-parquet/stream=exec/**/*.parquet', hive_partitioning = true)"
q1='SELECT comm, count(*) AS n FROM %s GROUP BY comm ORDER BY n DESC, comm LIMIT 5'
q2="SELECT count(*), max(pid) FROM %s WHERE ts BETWEEN $lo AND $hi"

bpfr() {   # the query on the capture, whole process, best of 3: prints rows then ms
	local best=
	for _ in 1 2 3; do
		local t0 t1
		t0=$(date +%s%N)
		"$replay" sql -o csv "$cap" "$1" >"$data/q.out"
		t1=$(date +%s%N)
		local ms=$(( (t1 - t0) / 1000000 ))
		[[ -z $best || $ms -lt $best ]] && best=$ms
	done
	tail -n +2 "$data/q.out"
	echo "# ms $best"
}
for q in Q1 Q2; do
	# shellcheck disable=SC2059
	if [[ $q = Q1 ]]; then sb=$(printf "$q1" exec); sd=$(printf "$q1" "$pq")
	else sb=$(printf "$q2" exec); sd=$(printf "$q2" "$pq"); fi
	b=$(bpfr "$sb")
	d=$(node "$repo/tools/bench/export/duckq.mjs" "$repo" "$sd")
	if [[ $(grep -v '^#' <<<"$b") != $(grep -v '^#' <<<"$d") ]]; then
		echo "parquet.sh: $q: the answers differ:" >&2
		echo "bpfreplay sql:" >&2; echo "$b" >&2; echo "DuckDB:" >&2; echo "$d" >&2
		exit 1
	fi
	printf "%s  bpfreplay sql (process) %8s ms   DuckDB over the export (statement) %8s ms   rows: %s\n" \
		"$q" "$(grep '^# ms' <<<"$b" | cut -d' ' -f3)" "$(grep '^# ms' <<<"$d" | cut -d' ' -f3)" \
		"$(grep -vc '^#' <<<"$b")"
done
