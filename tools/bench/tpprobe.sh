#!/usr/bin/env bash
# tpprobe.sh - what `-e`'s and `--syscalls`' programs cost per event, by
# the kernel's BPF stats (run time per program run), for one or two builds,
# alternated in one run (issue 18: the probe's cost, everywhere).
#
#   tools/bench/tpprobe.sh [--build DIR] [--base DIR] [--reps R] [--calls N] [--tp TP]
#                          [--sys-runs K] [--no-syscalls]
#
#   --build DIR  the build measured (default build)
#   --base DIR   a second build (e.g. an older commit's), run alternately
#                with the first, for an A/B in the same run
#   --reps R     runs per build (default 5); the median is printed
#   --calls N    getppid() calls per run (default 2000000)
#   --tp TP      the tracepoint recorded (default raw_syscalls:sys_enter:
#                every call of the loop makes one event)
#   --sys-runs K the `--syscalls` BPF stats runs per build and call
#                (default 9, at least R), N/16 calls each
#   --no-syscalls  the -e figure alone
#
# Then `--syscalls`, each build alternated as above, K runs of N/16 calls:
#   - getppid (no string): sys_enter + sys_exit ns per call, BPF stats;
#   - openat of a missing 40-byte path (sysloop --open): the same;
#   both with the least, the lower quartile and the median of the K runs.
#   Compare builds by the least: on this shared machine a run's figure
#   grows by up to 3x with what the other CPU runs, never shrinks, so the
#   least is the steadiest (three runs of this script on two builds of the
#   same BPF code, K=9: getppid 158-167 ns by the least, 169-236 by the
#   median; three runs of 500k calls, as before, had given 211-351).  With
#   --base also the median of the K differences between a build's run and
#   the base's run beside it (a slow stretch of the machine slows both runs
#   of a pair);
#   - with the measured build, R runs of N/4 calls, where its programs
#     attach (--syscalls-hook raw: tp_btf, or classic: the raw_syscalls tracepoints, for which the
#     kernel fills a perf record per syscall before the program runs; BPF
#     stats do not see that part): the loop's own CPU ns per getppid()
#     recorded, and per getppid() of a loop outside the recording (every
#     process's syscalls pass the hook), with nothing attached beside them;
#     and the same choice for `-e TP` where TP is raw_syscalls:sys_enter or
#     sys_exit (which follow --syscalls-hook).
#
# Each run: `bpfrec record --probe none -e TP -- sysloop --cpu 1 --bpf-stats
# tp_record N`; beside the BPF stats, the loop's wall time and own CPU time
# per call (the kernel's work for the tracepoint included; the stats' clock
# reads too).  sysloop (tools/bench/sysloop.c) reads the programs' run
# time and runs before and after its loop.  The stats add their own clock
# reads (~20-30 ns a run): compare builds, not absolute figures.  With
# raw_syscalls:sys_enter or sys_exit, a build from cf64aae on records them
# by its raw-tracepoint program (tp_record_raw_*, counted as tp_record):
# the kernel's perf record for the classic tracepoint, which an older
# build's program waits for, is in the loop's CPU column only.  Needs root.
set -u

. "$(dirname "$0")/lib.sh"
build=$repo/build
base=""
reps=5
calls=2000000
tp=raw_syscalls:sys_enter
syscalls=1
sys_runs=9
bench_args "--build=build --base=base --reps=reps --calls=calls --tp=tp --sys-runs=sys_runs --no-syscalls=syscalls=0" "$@"
((sys_runs >= reps)) || sys_runs=$reps
bench_need_root
loop=$build/tools/bench/sysloop
bench_need_files "$build/recorder/bpfrec" "$loop"
[ -z "$base" ] || bench_need_files "$base/recorder/bpfrec"
bench_workdir tpprobe

# A sysloop line's "prog wall cpu": ns per program run (BPF stats), the
# loop's wall ns per call, its own CPU ns per call.
figures() {
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       if ("prog_ns" in v) printf "%s %s %.1f\n", v["prog_ns"], v["ns_per_call"],
	                                   v["self_cpu_s"] * 1e9 / v["calls"] }'
}

# one BUILD: prints the run's figures (ns per tp_record run, wall, cpu)
one() {
	rm -rf "$work/cap"
	"$1/recorder/bpfrec" record -q --no-status -o "$work/cap" --probe none -e "$tp" -- \
		"$loop" --cpu 1 --no-tail --bpf-stats tp_record "$calls" 2>/dev/null | figures
}

# col N LIST: the Nth words of the "a b c" triples in LIST, one a line
col() {
	tr ' ' '\n' <<<"$2" | grep . | awk -F, -v n="$1" '{ print $n }'
}

# show LABEL LIST: the medians of a list of "prog,wall,cpu" triples
show() {
	local p w c
	p=$(col 1 "$2" | median)
	w=$(col 2 "$2" | median)
	c=$(col 3 "$2" | median)
	printf '  %-48s median %6.1f  (%s); loop wall %.1f, cpu %.1f ns/call\n' "$1" "$p" \
		"$(col 1 "$2" | tr '\n' ' ' | sed 's/ $//')" "$w" "$c"
}

# show_spread LABEL LIST: show's line for many runs: the prog figures'
# least, lower quartile and median, then the runs
show_spread() {
	local m q l
	read -r m q l <<<"$(col 1 "$2" | spread)"
	printf '  %-48s min %6.1f  q1 %6.1f  median %6.1f; loop wall %.1f, cpu %.1f ns/call\n' "$1" \
		"$l" "$q" "$m" "$(col 2 "$2" | median)" "$(col 3 "$2" | median)"
	printf '  %-48s (%s)\n' "" "$(col 1 "$2" | tr '\n' ' ' | sed 's/ $//')"
}

# paired LABEL LIST BASELIST: the median of the differences of the prog
# figures run beside each other (LIST's i-th minus BASELIST's i-th), their
# quartiles, and how many pairs were lower
paired() {
	paste -d' ' <(col 1 "$2") <(col 1 "$3") | awk '{ print $1 - $2 }' | sort -g |
		awk '{ d[NR] = $1; lo += ($1 < 0) } END {
			printf "  %-48s median %+6.1f  (quartiles %+.1f, %+.1f; lower in %d of %d pairs)\n",
			       label, d[int((NR + 1) / 2)], d[int((NR + 3) / 4)], d[int((3 * NR + 3) / 4)], lo, NR
		}' label="$1"
}

declare -A runs
builds=("$build")
[ -z "$base" ] || builds+=("$base")
for ((r = 1; r <= reps; r++)); do
	for b in "${builds[@]}"; do
		f=$(one "$b")
		[ -n "$f" ] || bench_die "$b: no BPF stats (see: $b/recorder/bpfrec record -e $tp -- $loop --bpf-stats tp_record 1000)"
		runs[$b]+="${f// /,} "
	done
done
echo "tp_record ns per event by BPF stats, -e $tp, $calls calls, $reps runs each ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
for b in "${builds[@]}"; do
	show "$b" "${runs[$b]}"
done

((syscalls)) || exit 0

# sys BUILD NAME [sysloop options]: the run's figures, the first the sys_
# programs' ns per call (both programs)
sys() {
	local b=$1 name=$2
	shift 2
	rm -rf "$work/cap"
	"$b/recorder/bpfrec" record -q --no-status -o "$work/cap" --probe none --syscalls "$name" -- \
		"$loop" --cpu 1 --no-tail --bpf-stats sys_ "$@" $((calls / 16)) 2>/dev/null |
		sed 's/ prog_ns=[0-9.]*//; s/prog_ns_per_call/prog_ns/' | figures
}

# hook H [WHAT...]: the recorded loop's own CPU ns per getppid() (H: raw,
# classic, or bare: no recording), WHAT recorded (default --syscalls getppid)
hook() {
	local out h=$1
	shift
	(($#)) || set -- --syscalls getppid
	rm -rf "$work/cap"
	if [ "$h" = bare ]; then
		out=$("$loop" --cpu 1 --no-tail $((calls / 4)))
	else
		out=$("$build/recorder/bpfrec" record -q --no-status -o "$work/cap" --probe none \
			"$@" --syscalls-hook "$h" -- "$loop" --cpu 1 --no-tail $((calls / 4)) 2>/dev/null)
	fi
	sed -n 's/.* self_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out" | awk -v n=$((calls / 4)) '{ printf "%.1f", $1 * 1e9 / n }'
}

# bystander H: CPU ns per getppid() of a loop outside a recording of
# `--syscalls getppid --syscalls-hook H -- sleep` (none: no recording)
bystander() {
	local pid="" out
	rm -rf "$work/capb"
	if [ "$1" != none ]; then
		"$build/recorder/bpfrec" record -q --no-status -o "$work/capb" --probe none \
			--syscalls getppid --syscalls-hook "$1" -- sleep 3 2>/dev/null &
		pid=$!
		sleep 1.5   # attached
	fi
	out=$("$loop" --cpu 1 --no-tail --watch 1 $((calls / 4)))
	[ -z "$pid" ] || wait "$pid"
	sed -n 's/.* self_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out" | awk -v n=$((calls / 4)) '{ printf "%.1f", $1 * 1e9 / n }'
}

declare -A sruns oruns hruns bruns eruns
hooks=""
"$build/recorder/bpfrec" record --help 2>&1 | grep -q -- --syscalls-hook && hooks="raw classic bare"
ehooks=""
[[ -z $hooks || $tp != raw_syscalls:sys_e* ]] || ehooks="raw classic"
for ((r = 1; r <= sys_runs; r++)); do
	for b in "${builds[@]}"; do
		f=$(sys "$b" getppid)
		[ -n "$f" ] || bench_die "$b: no BPF stats for --syscalls getppid"
		sruns[$b]+="${f// /,} "
		f=$(sys "$b" openat --open)
		[ -n "$f" ] || bench_die "$b: no BPF stats for --syscalls openat (sysloop --open)"
		oruns[$b]+="${f// /,} "
	done
done
for ((r = 1; r <= reps; r++)); do
	for h in $hooks; do
		hruns[$h]+="$(hook "$h") "
	done
	for h in $ehooks; do
		eruns[$h]+="$(hook "$h" -e "$tp") "
	done
	for h in ${hooks:+raw classic none}; do
		bruns[$h]+="$(bystander "$h") "
	done
done
echo "--syscalls: sys_enter + sys_exit ns per call by BPF stats, $((calls / 16)) calls, $sys_runs runs each"
for b in "${builds[@]}"; do
	show_spread "$b getppid" "${sruns[$b]}"
	show_spread "$b openat" "${oruns[$b]}"
done
if [ -n "$base" ]; then
	echo "--syscalls: $build minus $base (ns per call): the least's difference; the differences of runs side by side"
	for c in getppid openat; do
		[ $c = getppid ] && a=${sruns[$build]} z=${sruns[$base]} || a=${oruns[$build]} z=${oruns[$base]}
		printf '  %-48s min %+6.1f\n' "$c" \
			"$(awk -v x="$(col 1 "$a" | sort -g | head -1)" -v y="$(col 1 "$z" | sort -g | head -1)" \
				'BEGIN { print x - y }')"
		paired "$c, paired" "$a" "$z"
	done
fi
[ -n "$hooks" ] || { echo "($build has no --syscalls-hook: no hook figures)"; exit 0; }
echo "--syscalls getppid, where the programs attach ($build): the loop's own CPU ns per call"
for h in raw classic bare; do
	m=$(tr ' ' '\n' <<<"${hruns[$h]}" | grep . | median)
	printf '  recorded, %-8s median %6.1f  (%s)\n' "$h" "$m" "${hruns[$h]% }"
done
for h in raw classic none; do
	m=$(tr ' ' '\n' <<<"${bruns[$h]}" | grep . | median)
	printf '  a loop outside the recording, %-8s median %6.1f  (%s)\n' "$h" "$m" "${bruns[$h]% }"
done
[ -n "$ehooks" ] || exit 0
echo "-e $tp, where its program attaches ($build): the loop's own CPU ns per call"
for h in raw classic; do
	m=$(tr ' ' '\n' <<<"${eruns[$h]}" | grep . | median)
	printf '  recorded, %-8s median %6.1f  (%s)\n' "$h" "$m" "${eruns[$h]% }"
done
