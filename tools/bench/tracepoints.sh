#!/usr/bin/env bash
# tracepoints.sh - recording tracepoints by name (issue 11), on this
# machine, in one run.
#
#   tools/bench/tracepoints.sh [--build DIR] [--rounds N] [--reps R]
#
# The load: pingpong N (two processes pinned to CPU 0 passing a byte over
# pipes: per round two context switches and four syscalls), run bare and
# recorded by
#   sched_switch:  bpfrec -e sched:sched_switch  /  perf record -e sched:sched_switch
#   syscalls:      bpfrec --syscalls all (one decoded row per call)
#                  / bpfrec -e raw_syscalls:sys_enter,raw_syscalls:sys_exit
#                  / perf record -e (the same)  /  perf trace  /  strace -f
# each with the load as its command (only its processes recorded).  For
# each: the load's wall time (median of R rounds, configurations
# interleaved) and its slowdown against bare, the events recorded, the
# events lost, events/s, and bytes per event on disk (the capture
# directory; perf.data; the text perf trace and strace write).
#
# Needs root, perf (linux-perf), strace and a build (default DIR: build).
set -u

. "$(dirname "$0")/lib.sh"
build=$repo/build
rounds=200000 reps=3
bench_args "--build=build --rounds=rounds --reps=reps" "$@"
bench_need_root
bpfrec=$build/recorder/bpfrec
load=$build/tools/bench/pingpong
bench_need_files "$bpfrec" "$load"
bench_need_cmds perf strace sqlite3
bench_workdir tp-bench

declare -A ns events lost bytes
# run NAME OUTPUT COMMAND...: the load under COMMAND; keeps the last round's
# counts (events, lost, bytes of OUTPUT).
run() {
	local name=$1 out=$2 t
	shift 2
	rm -rf "$out"
	t=$("$@" "$load" "$rounds" 2>/dev/null | awk '/ rounds$/ { print $1 }')
	ns[$name]+="$t "
	case $name in
	bare) events[$name]=0 lost[$name]=0 bytes[$name]=0 ;;
	bpfrec*)
		events[$name]=$(sqlite3 "$out/index.db" "SELECT CAST(total(nrecords) AS INTEGER) FROM block_streams")
		lost[$name]=$(sqlite3 "$out/index.db" "SELECT CAST(total(count) AS INTEGER) FROM losses")
		bytes[$name]=$(dir_bytes "$out") ;;
	perf-record*)
		events[$name]=$(perf report -i "$out" --stats 2>/dev/null | awk '/SAMPLE events:/ { print $3; exit }')
		lost[$name]=$(perf report -i "$out" --stats 2>/dev/null | awk '/LOST_SAMPLES events:|LOST events:/ { n += $3 } END { print n + 0 }')
		bytes[$name]=$(stat -c %s "$out") ;;
	perf-trace|strace)
		events[$name]=$(grep -c . "$out")
		lost[$name]=n/a
		bytes[$name]=$(stat -c %s "$out") ;;
	esac
}

sw=sched:sched_switch
sc=raw_syscalls:sys_enter,raw_syscalls:sys_exit
for r in $(seq "$reps"); do
	run bare "$work/none" env
	run bpfrec-switch "$work/c1" "$bpfrec" record -q -o "$work/c1" -e $sw --
	run perf-record-switch "$work/p1.data" perf record -q -e $sw -o "$work/p1.data" --
	run bpfrec-syscalls-all "$work/c3" "$bpfrec" record -q -o "$work/c3" --syscalls all --
	run bpfrec-raw-syscalls "$work/c2" "$bpfrec" record -q -o "$work/c2" -e $sc --
	run perf-record-syscalls "$work/p2.data" perf record -q -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o "$work/p2.data" --
	run perf-trace "$work/trace.txt" perf trace -o "$work/trace.txt" --
	run strace "$work/strace.txt" strace -f -qq -o "$work/strace.txt" --
done

bare=$(echo "${ns[bare]}" | tr ' ' '\n' | grep . | median)
printf '\n## tracepoints by name (issue 11): %s, pingpong %s rounds (%s switches, %s syscalls), median of %s\n\n' \
	"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)" "$rounds" "$((2 * rounds))" "$((4 * rounds))" "$reps"
printf '| recorder | load ms | slowdown | events | lost | events/s | bytes/event |\n|---|---|---|---|---|---|---|\n'
for n in bare bpfrec-switch perf-record-switch bpfrec-syscalls-all bpfrec-raw-syscalls perf-record-syscalls perf-trace strace; do
	m=$(echo "${ns[$n]}" | tr ' ' '\n' | grep . | median)
	e=${events[$n]:-0}
	printf '| %s | %.1f | %.2fx | %s | %s | %s | %s |\n' "$n" "$(echo "$m / 1000000" | bc -l)" \
		"$(echo "$m / $bare" | bc -l)" "$e" "${lost[$n]}" \
		"$( [ "$e" -gt 0 ] && printf '%.0f' "$(echo "$e / ($m / 1000000000)" | bc -l)" || echo -)" \
		"$( [ "$e" -gt 0 ] && printf '%.1f' "$(echo "${bytes[$n]} / $e" | bc -l)" || echo -)"
done
