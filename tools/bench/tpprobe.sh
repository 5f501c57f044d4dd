#!/usr/bin/env bash
# tpprobe.sh - what `-e`'s program costs per event, by the kernel's BPF
# stats (run time per run of tp_record), for one or two builds, alternated
# in one run (issue 18: the probe's cost, everywhere).
#
#   tools/bench/tpprobe.sh [--build DIR] [--base DIR] [--reps R] [--calls N] [--tp TP]
#
#   --build DIR  the build measured (default build)
#   --base DIR   a second build (e.g. an older commit's), run alternately
#                with the first, for an A/B in the same run
#   --reps R     runs per build (default 5); the median is printed
#   --calls N    getppid() calls per run (default 2000000)
#   --tp TP      the tracepoint recorded (default raw_syscalls:sys_enter:
#                every call of the loop makes one event)
#
# Each run: `bpfrec record --probe none -e TP -- sysloop --cpu 1 --bpf-stats
# tp_record N`.  sysloop (tools/bench/sysloop.c) reads the programs' run
# time and runs before and after its loop.  The stats add their own clock
# reads (~20-30 ns a run): compare builds, not absolute figures.  Needs root.
set -u

. "$(dirname "$0")/lib.sh"
build=$repo/build
base=""
reps=5
calls=2000000
tp=raw_syscalls:sys_enter
bench_args "--build=build --base=base --reps=reps --calls=calls --tp=tp" "$@"
bench_need_root
loop=$build/tools/bench/sysloop
bench_need_files "$build/recorder/bpfrec" "$loop"
[ -z "$base" ] || bench_need_files "$base/recorder/bpfrec"
bench_workdir tpprobe

# one BUILD: prints the run's ns per tp_record run
one() {
	rm -rf "$work/cap"
	"$1/recorder/bpfrec" record -q --no-status -o "$work/cap" --probe none -e "$tp" -- \
		"$loop" --cpu 1 --no-tail --bpf-stats tp_record "$calls" 2>/dev/null |
		sed -n 's/.* prog_ns=\([0-9.]*\).*/\1/p'
}

declare -A runs
builds=("$build")
[ -z "$base" ] || builds+=("$base")
for ((r = 1; r <= reps; r++)); do
	for b in "${builds[@]}"; do
		ns=$(one "$b")
		[ -n "$ns" ] || bench_die "$b: no BPF stats (see: $b/recorder/bpfrec record -e $tp -- $loop --bpf-stats tp_record 1000)"
		runs[$b]+="$ns "
	done
done
echo "tp_record ns per event by BPF stats, -e $tp, $calls calls, $reps runs each ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
for b in "${builds[@]}"; do
	m=$(tr ' ' '\n' <<<"${runs[$b]}" | grep . | median)
	printf '  %-40s median %6.1f  (%s)\n' "$b" "$m" "${runs[$b]% }"
done
