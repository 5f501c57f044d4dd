#!/usr/bin/env bash
# probecost.sh - the benchmark probe's own cost per event (issue 18: at most
# ~20 ns over the same hook with a silent program), part by part: the
# traced getppid() loop recorded through getppid.bpf.c in each of its modes
# (bench_emit, see there), by the kernel's BPF stats, modes and builds
# alternated in one run.
#
#   tools/bench/probecost.sh [--build DIR] [--base DIR] [--runs K] [--calls N]
#                            [--modes "0 6 7 9 10"] [--hook btf|tp]
#
#   --build DIR  the build measured (default build)
#   --base DIR   a second build (e.g. an older commit's), alternated with the
#                first: its rows follow (give only modes its getppid.bpf.o
#                has: before 9 and 10 were added, those ran a staged event)
#   --runs K     runs of each mode and build (default 9)
#   --calls N    getppid() calls a run (default 300000)
#   --modes M    the bench_emit modes (default "0 6 7 9 10": silent; the
#                event in place; without the clock; the clock alone; without
#                the fields the drain could fill in later); "bare" is the
#                loop with nothing recorded
#   --hook H     tp_btf/sys_enter (btf, default) or tp/syscalls (tp)
#
# Each run: `bpfrec record --probe none --bpf bench_getppid.bpf.o --only
# PROG --set bench_emit=M -- sysloop --cpu 1 --no-tail --bpf-stats
# bench_getppid N`.  Per mode: the program's ns per run (BPF stats: they add
# their own clock reads, ~20 ns a run, alike in every mode), the least,
# lower quartile and median of the K runs, the least over mode 0's least;
# then, from a second run without the stats, the loop's own CPU and wall ns
# per call (medians; the CPU time is the process's, its start included, in
# ms) and the wall time's ratio to bare's (where bare is among the modes).
# Other work on a shared machine only adds time, so compare the least.
# Needs root.
set -u

. "$(dirname "$0")/lib.sh"
build=$repo/build
base=""
runs=9
calls=300000
modes="0 6 7 9 10"
hook=btf
bench_args "--build=build --base=base --runs=runs --calls=calls --modes=modes --hook=hook" "$@"
bench_need_root
case $hook in btf) prog=bench_getppid_btf ;; tp) prog=bench_getppid ;; *) bench_die "--hook btf|tp" ;; esac
builds=("$build")
[ -z "$base" ] || builds+=("$base")
for b in "${builds[@]}"; do
	bench_need_files "$b/recorder/bpfrec" "$b/tools/bench/sysloop"
done
bench_workdir probecost

# loop BUILD MODE [sysloop options]: the recorded (or bare) loop's output
loop() {
	local b=$1 m=$2
	shift 2
	rm -rf "$work/cap"
	if [ "$m" = bare ]; then
		"$b/tools/bench/sysloop" --cpu 1 --no-tail "$calls"
	else
		"$b/recorder/bpfrec" record -q --no-status -o "$work/cap" --probe none \
			--bpf "$b/tools/bench/bench_getppid.bpf.o" --only $prog --set bench_emit="$m" -- \
			"$b/tools/bench/sysloop" --cpu 1 --no-tail "$@" "$calls" 2>/dev/null
	fi
}

# one BUILD MODE: "prog wall cpu" ns of one run with BPF stats (prog; "-"
# for bare) and one without (wall, cpu: the stats' clock reads left out)
one() {
	local p=-
	[ "$2" = bare ] || p=$(loop "$1" "$2" --bpf-stats bench_getppid | sed -n 's/.* prog_ns=\([0-9.]*\).*/\1/p')
	loop "$1" "$2" | awk -v p="$p" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if ("calls" in v) printf "%s %s %.1f\n", p, v["ns_per_call"], v["self_cpu_s"] * 1e9 / v["calls"] }'
}

declare -A pns wall cpu
for ((r = 1; r <= runs; r++)); do
	for m in $modes; do
		for b in "${builds[@]}"; do
			read -r p w c <<<"$(one "$b" "$m")"
			[ -n "${c:-}" ] || bench_die "$b, mode $m: no figures (sysloop or bpfrec failed)"
			pns[$b.$m]+="$p " wall[$b.$m]+="$w " cpu[$b.$m]+="$c "
		done
	done
done

list() { tr ' ' '\n' <<<"$1" | grep .; }
echo "the benchmark probe ($prog), ns per getppid() call, $runs runs of $calls calls each ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
printf '  %-6s %-28s %8s %8s %8s %11s %9s %9s %6s\n' mode build "prog min" q1 median "over mode 0" "loop cpu" "wall" "/bare"
for m in $modes; do
	for b in "${builds[@]}"; do
		c=$(list "${cpu[$b.$m]}" | median)
		w=$(list "${wall[$b.$m]}" | median)
		x=-
		case " $modes " in *" bare "*)
			x=$(awk -v a="$w" -v z="$(list "${wall[$b.bare]}" | median)" 'BEGIN { printf "%.2fx", a / z }') ;;
		esac
		if [ "$m" = bare ]; then
			printf '  %-6s %-28s %8s %8s %8s %11s %9.1f %9.1f %6s\n' "$m" "${b#"$repo"/}" - - - - "$c" "$w" "$x"
			continue
		fi
		read -r med q1 least <<<"$(list "${pns[$b.$m]}" | spread)"
		over=-
		case " $modes " in *" 0 "*)
			over=$(awk -v a="$least" -v z="$(list "${pns[$b.0]}" | sort -g | head -1)" \
				'BEGIN { printf "%+.1f", a - z }') ;;
		esac
		printf '  %-6s %-28s %8.1f %8.1f %8.1f %11s %9.1f %9.1f %6s\n' "$m" "${b#"$repo"/}" "$least" "$q1" "$med" "$over" "$c" "$w" "$x"
	done
done
