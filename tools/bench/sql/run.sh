#!/usr/bin/env bash
# tools/bench/sql/run.sh - the SQL benchmark of issue 3 (BENCHMARKS.md,
# "SQL over captures"): the same two queries on a bpfrec capture and on a
# plain SQLite table holding the same decoded rows (mkcap.c), in one run.
#
#   tools/bench/sql/run.sh [--quick] [-n N] [--rounds R] [--build DIR] [--data DIR] [--reuse]
#
#   --quick      1M events instead of 10M
#   -n N         N events
#   --rounds R   best of R instead of 3
#   --build DIR  the build directory (default build-sqlb; the targets mkcap,
#                sqltime, bpfreplay and bpfrec_sqlite are built there first)
#   --data DIR   where the capture and the plain db go (default
#                ${TMPDIR:-/tmp}/bpfrec-sqlbench); needs ~1.6 GB for 10M
#   --reuse      keep the data of an earlier run with the same N
#   --chain K    the capture's blocks chain their dictionaries by K (bpfrec
#                record --chain-blocks K; default: the recorder's default)
#
# Queries: Q1 `SELECT comm, count(*) FROM exec GROUP BY comm` (full scan) and
# Q2 `SELECT count(*), max(pid) FROM exec WHERE ts BETWEEN x AND y` with
# [x, y] 1% of the span, from its middle.  Each is timed three times and the
# best wall time kept (and the best CPU time, shown alongside: other load on
# the machine disturbs it less), page cache warm:
#   client  sqltime (sqltime.c), a plain SQLite client: the statement alone,
#           prepare to finalize, on the plain db (index on ts) and on the
#           capture through the loadable extension (.load libbpfrec_sqlite;
#           bpfrec_attach(), not timed): the same program for both
#   replay  `bpfreplay sql -o csv CAPTURE 'Q'`, the whole process (open,
#           attach, query, print)
# The answers of the capture and of the plain table are compared; a
# difference fails the run.  Needs the sqlite3 shell, bc and /usr/bin/time.
set -euo pipefail

. "$(dirname "$0")/../lib.sh"
build=$repo/build-sqlb
data=${TMPDIR:-/tmp}/bpfrec-sqlbench
n=10000000
reuse=0
rounds=3
chain=
bench_args "--quick=n=1000000 -n=n --rounds=rounds --build=build --data=data --reuse=reuse=1 --chain=chain" "$@"

bench_build_release "$build" "$build/sqlbench-build.log" mkcap sqltime bpfreplay bpfrec_sqlite
mkcap=$build/tools/bench/sql/mkcap
sqltime=$build/tools/bench/sql/sqltime
replay=$build/replay/bpfreplay
ext=$build/replay/libbpfrec_sqlite
bench_need_cmds sqlite3 bc

cap=$data/cap
plain=$data/plain.db
mkdir -p "$data"
# (data stamped before mkcap chained by default, "N" alone, is made anew)
stamp="$n chain ${chain:-default}"
if ((reuse)) && [[ -f $data/stamp && $(cat "$data/stamp") == "$stamp" ]]; then
	echo "== reusing $data ($n events)"
else
	rm -rf "$cap" "$plain" "$data/stamp"
	echo "== writing $n events: $cap and $plain"
	t0=$(date +%s.%N)
	"$mkcap" -n "$n" ${chain:+--chain-blocks "$chain"} "$cap" "$plain"
	echo "   ($(echo "$(date +%s.%N) - $t0" | bc) s)"
	echo "$stamp" >"$data/stamp"
fi

read -r lo hi < <(sqlite3 -readonly "$plain" "SELECT min(ts), max(ts) FROM exec" | tr '|' ' ')
x=$((lo + (hi - lo) / 2))
y=$((x + (hi - lo) / 100))
q1="SELECT comm, count(*) FROM exec GROUP BY comm"
q2="SELECT count(*), max(pid) FROM exec WHERE ts BETWEEN $x AND $y"

best_of() { if [[ -z $1 ]] || (($(echo "$2 < $1" | bc))); then echo "$2"; else echo "$1"; fi; }

# replay_once QUERY: bpfreplay sql's whole run: "wall cpu", s (cpu: 10 ms steps).
replay_once() {
	local t0 t1 u s
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$data/time" "$replay" sql -o csv "$cap" "$1" >"$data/out.replay"
	t1=$(date +%s.%N)
	read -r u s <"$data/time"
	echo "$(echo "$t1 - $t0" | bc) $(echo "$u + $s" | bc)"
}

same() {   # same answer (as sorted rows), or the run fails
	if ! cmp -s <(sort "$1") <(sort "$2"); then
		echo "run.sh: the capture and the plain table disagree on: $3" >&2
		diff <(sort "$1") <(sort "$2") | head >&2
		exit 1
	fi
}

# Rounds (3), each running every side once, so that a burst of other load
# on the machine hits all sides alike; the best wall and CPU time are kept.
declare -A W C
for q in q1 q2; do
	sql=${!q}
	for ((round = 1; round <= rounds; round++)); do
		o=/dev/null; ((round == 1)) && o=$data/out
		for side in plain cap replay; do
			case $side in
			plain) r=$("$sqltime" -r 1 -o "$o.plain" "$plain" "$sql") ;;
			cap) r=$("$sqltime" -r 1 -o "$o.cap" --ext "$ext" --attach "$cap" :memory: "$sql") ;;
			replay) r=$(replay_once "$sql") ;;
			esac
			read -r w c <<<"$r"
			W[$q.$side]=$(best_of "${W[$q.$side]:-}" "$w")
			C[$q.$side]=$(best_of "${C[$q.$side]:-}" "$c")
		done
		if ((round == 1)); then
			same "$data/out.plain" "$data/out.cap" "$sql"
			sed -i '1d; s/,/|/g' "$data/out.replay"   # the CSV header; '|' as sqltime
			same "$data/out.plain" "$data/out.replay" "$sql (bpfreplay)"
		fi
	done
done

cap_bytes=$(du -sb "$cap" | cut -f1)
plain_bytes=$(stat -c %s "$plain")
idx_bytes=$(sqlite3 -readonly "$plain" "SELECT sum(pgsize) FROM dbstat WHERE name = 'exec_ts'" 2>/dev/null || echo "")
blocks=$(sqlite3 -readonly "$cap/index.db" "SELECT count(*) FROM blocks")
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
verdict() { if (($(echo "$1 <= $2" | bc))); then echo "met"; else echo "not met"; fi; }

fmt() { printf '%.1f ms (cpu %.1f)' "$(echo "${W[$1]} * 1000" | bc)" "$(echo "${C[$1]} * 1000" | bc)"; }
r1=$(ratio "${W[q1.cap]}" "${W[q1.plain]}"); c1=$(ratio "${C[q1.cap]}" "${C[q1.plain]}")
r2=$(ratio "${W[q2.cap]}" "${W[q2.plain]}"); c2=$(ratio "${C[q2.cap]}" "${C[q2.plain]}")
rb=$(ratio "$cap_bytes" "$plain_bytes")
echo
echo "== $n exec events, $blocks blocks; Q2: ts BETWEEN $x AND $y (1% of the span)"
echo "== best of $rounds, wall clock (CPU time in parentheses); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| | plain table (SQLite client) | capture (same client + extension) | ratio (cpu) | target | bpfreplay sql (whole process) |"
echo "|---|---|---|---|---|---|"
echo "| Q1 full scan, GROUP BY comm | $(fmt q1.plain) | $(fmt q1.cap) | ${r1}x (${c1}x) | <= 2x: $(verdict "$r1" 2); issue 18, cpu <= 1.0x: $(verdict "$c1" 1.0) | $(fmt q1.replay) |"
echo "| Q2 1% time range | $(fmt q2.plain) | $(fmt q2.cap) | ${r2}x (${c2}x) | <= 1.2x: $(verdict "$r2" 1.2); issue 18, cpu <= 1.0x: $(verdict "$c2" 1.0) | $(fmt q2.replay) |"
echo "| bytes on disk | $plain_bytes${idx_bytes:+ (ts index $idx_bytes)} | $cap_bytes | $rb | <= 0.25: $(verdict "$rb" 0.25) | |"
