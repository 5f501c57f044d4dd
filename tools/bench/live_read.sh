#!/usr/bin/env bash
# live_read.sh - does reading a capture while it is recorded cost the
# recorder events?  The bench's syscall load (sysloop: N getppid() calls
# pinned to CPU 0, recorded by bpfrec through bench_getppid.bpf.o, a 64-byte
# event a call) is recorded R times without readers and R times with
# `bpfreplay sql CAPTURE 'SELECT count(*) FROM ...'` run every 100 ms for
# the whole recording.  Prints, per run: events recorded, events lost, the
# reader's runs and how many of them failed.  Needs root.
#
#   tools/bench/live_read.sh [--build DIR] [--calls N] [--reps R]
set -u
. "$(dirname "$0")/lib.sh"
build=$repo/build calls=2000000 reps=3
bench_args "--build=build --calls=calls --reps=reps" "$@"
B=$build/tools/bench
BPFREC=$build/recorder/bpfrec REPLAY=$build/replay/bpfreplay
cmake --build "$build" -j2 --target bpfrec bpfreplay sysloop bench_getppid_obj >/dev/null 2>&1 ||
	cmake --build "$build" -j2 --target bpfrec bpfreplay sysloop >/dev/null
bench_workdir live-read

# The events table: the first stream the capture names.
counts() {   # CAPTURE -> "events lost"
	"$REPLAY" sql -o csv "$1" \
		"SELECT (SELECT coalesce(sum(nrecords), 0) FROM blocks) || ' ' ||
		        (SELECT coalesce(sum(count), 0) FROM losses)" | tail -1
}

one() {   # READERS(0/1) REP
	local cap=$work/cap-$1-$2 reader=0 runs=0 fails=0
	"$BPFREC" record -q --no-status -o "$cap" --probe none --bpf "$B/bench_getppid.bpf.o" \
		--only bench_getppid -- "$B/sysloop" "$calls" >"$work/out" 2>"$work/err" &
	local rec=$!
	if [ "$1" = 1 ]; then
		while kill -0 "$rec" 2>/dev/null; do
			if [ -f "$cap/index.db" ]; then
				runs=$((runs + 1))
				"$REPLAY" sql -o csv "$cap" "SELECT count(*) FROM blocks" >/dev/null 2>&1 ||
					fails=$((fails + 1))
			fi
			sleep 0.1
		done
	fi
	wait "$rec"
	read -r ev lost <<<"$(counts "$cap")"
	printf '%-8s run %d: %9d events recorded, %7d lost; reader: %3d runs, %d failed\n' \
		"$([ "$1" = 1 ] && echo readers || echo alone)" "$2" "$ev" "$lost" "$runs" "$fails"
	rm -rf "$cap"
}

echo "live_read.sh: $calls getppid() calls a run, $reps runs each, $(date -u +%FT%TZ)"
for r in $(seq 1 "$reps"); do
	one 0 "$r"
	one 1 "$r"
done
