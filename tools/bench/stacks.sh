#!/usr/bin/env bash
# stacks.sh - what stacks cost (issue 13), on this machine, in one run.
#
#   tools/bench/stacks.sh [--build DIR] [--calls N] [--work U] [--reps R]
#
# 1. -g per event: stackprog loop N (N connect() calls from main > f1 > f2 >
#    f3, each with socket() and close(): the program's CPU time per call) bare, recorded by the connect
#    probe, and by the connect probe with -g; the difference of the medians
#    over R rounds (rounds interleave the configurations) is what a user and
#    kernel stack cost one event.
# 2. --probe profile at 99 and 999 Hz against perf record -F 99/999 -g
#    (cpu-clock): stackprog work U (fixed CPU work in f3), wall and CPU time
#    of the program, median of R.
# 3. Bytes the symbols add: the 999 Hz capture with and without
#    --no-symbols (index.db holds the stacks and symbols; the rest is
#    events), against perf.data and perf.data's `perf archive` tarball (the
#    build-id cache entries perf needs to symbolize elsewhere).
# 4. The same bytes for the whole machine, 5 s at 99 Hz (every process,
#    kernel included): bpfrec --probe profile:99 -d 5s against perf record
#    -a -g -F 99 -- sleep 5 plus perf archive.
# 5. Each program's own cost per run, from the kernel's counters
#    (sysctl kernel.bpf_stats_enabled=1, bpftool prog show: run_time_ns /
#    run_cnt): the connect probe with and without -g, --stacks user and
#    kernel alone, -e syscalls:sys_exit_connect and --syscalls connect with
#    and without -g, --probe profile at 99 and 999 Hz.  Wall and CPU clocks
#    carry this shared machine's noise; these counters do not.
#
# Needs root, perf (linux-perf), bpftool and a build with the tests
# (DIR/tests/bpf/stackprog; default DIR: build).  Prints one table.
set -u

. "$(dirname "$0")/lib.sh"
build=$repo/build
calls=20000 units=20000 reps=5
bench_args "--build=build --calls=calls --work=units --reps=reps" "$@"
bench_need_root
bpfrec=$build/recorder/bpfrec
prog=$build/tests/bpf/stackprog
bench_need_files "$bpfrec" "$prog"
bench_need_cmds perf bpftool python3 sqlite3
bench_workdir stacks-bench

# --- 1. -g per event ---
declare -A loop
for r in $(seq "$reps"); do
	loop[bare]+="$("$prog" loop "$calls" | awk '{ print $1 }') "
	rm -rf "$work/c"
	loop[connect]+="$("$bpfrec" record -q -o "$work/c" --probe connect -- "$prog" loop "$calls" | awk '{ print $1 }') "
	rm -rf "$work/c"
	loop[g]+="$("$bpfrec" record -q -o "$work/c" -g --probe connect -- "$prog" loop "$calls" | awk '{ print $1 }') "
done
m_bare=$(echo "${loop[bare]}" | tr ' ' '\n' | grep . | median)
m_conn=$(echo "${loop[connect]}" | tr ' ' '\n' | grep . | median)
m_g=$(echo "${loop[g]}" | tr ' ' '\n' | grep . | median)

# --- 2. profile vs perf ---
declare -A wall cpu
run_work() {   # name, command...
	local name=$1 out
	shift
	out=$("$@" "$prog" work "$units" 2>/dev/null | grep 'ms wall')
	wall[$name]+="$(echo "$out" | awk '{ print $1 }') "
	cpu[$name]+="$(echo "$out" | awk '{ print $4 }') "
}
for r in $(seq "$reps"); do
	run_work bare env
	for hz in 99 999; do
		rm -rf "$work/p$hz"
		run_work "bpfrec$hz" "$bpfrec" record -q -o "$work/p$hz" --probe "profile:$hz" --
		rm -f "$work/perf$hz.data"
		run_work "perf$hz" perf record -q -F "$hz" -g -e cpu-clock -o "$work/perf$hz.data" --
	done
done

# --- 3. bytes ---
rm -rf "$work/nosym"
"$bpfrec" record -q -o "$work/nosym" --no-symbols --probe profile:999 -- "$prog" work "$units" >/dev/null
# The stack tables' own pages and payload (dbstat), with and without symbols.
stack_bytes() {   # index.db -> "pages payload"
	sqlite3 "$1" "SELECT sum(pgsize), sum(payload) FROM dbstat WHERE name IN
		('stack_traces', 'stack_pids', 'sym_files', 'proc_maps', 'proc_maps_by_pid',
		 'symbols', 'lines')" | tr '|' ' '
}
read -r pg_sym pay_sym <<<"$(stack_bytes "$work/p999/index.db")"
read -r pg_nosym pay_nosym <<<"$(stack_bytes "$work/nosym/index.db")"
nsyms=$(sqlite3 "$work/p999/index.db" "SELECT count(*) FROM symbols")
nstacks=$(sqlite3 "$work/p999/index.db" "SELECT count(*) FROM stack_traces")
cap_sym=$(dir_bytes "$work/p999")
perf_data=$(stat -c %s "$work/perf999.data")
(cd "$work" && perf archive perf999.data >/dev/null 2>&1)
perf_arch=$(stat -c %s "$work/perf999.data.tar.bz2" 2>/dev/null || echo 0)
samples_b=$(sqlite3 "$work/p999/index.db" "SELECT total(nrecords) FROM block_streams" 2>/dev/null)

# --- 4. the whole machine, 5 s at 99 Hz: many processes and libraries ---
rm -rf "$work/all"
"$bpfrec" record -q -o "$work/all" --probe profile:99 -d 5s >/dev/null 2>&1
read -r pg_all pay_all <<<"$(stack_bytes "$work/all/index.db")"
all_cap=$(dir_bytes "$work/all")
all_samples=$(sqlite3 "$work/all/index.db" "SELECT total(nrecords) FROM block_streams")
all_stacks=$(sqlite3 "$work/all/index.db" "SELECT count(*) FROM stack_traces")
all_files=$(sqlite3 "$work/all/index.db" "SELECT count(*) FROM sym_files")
all_syms=$(sqlite3 "$work/all/index.db" "SELECT count(*) FROM symbols")
rm -f "$work/perfall.data"
perf record -q -a -g -F 99 -e cpu-clock -o "$work/perfall.data" -- sleep 5 >/dev/null 2>&1
perfall=$(stat -c %s "$work/perfall.data")
(cd "$work" && perf archive perfall.data >/dev/null 2>&1)
perfall_arch=$(stat -c %s "$work/perfall.data.tar.bz2" 2>/dev/null || echo 0)

# --- 5. the programs' own cost per event, from the kernel's counters ---
# kernel.bpf_stats_enabled=1 makes the kernel count each program's runs and
# run time (bpftool prog show: run_cnt, run_time_ns): the cost of a probe,
# stack walks included, without the machine's noise in a wall or CPU clock.
# The workload runs as the recorded command; the counters are read before
# bpfrec stops.  Prints "total_ns runs" of the programs named (a regex).
prog_cost() {   # NAMES "WORKLOAD ARGS" BPFREC-ARGS...
	local names=$1 wl=$2 bp i
	shift 2
	rm -rf "$work/s" "$work/done"
	"$bpfrec" record -q -o "$work/s" "$@" -- /bin/sh -c \
		"'$prog' $wl >/dev/null; touch '$work/done'; exec sleep 60" >/dev/null 2>&1 &
	bp=$!
	for i in $(seq 600); do
		[ -e "$work/done" ] && break
		sleep 0.1
	done
	bpftool prog show -j | python3 -c '
import json, re, sys
runs = ns = 0
for p in json.load(sys.stdin):
    if re.fullmatch(sys.argv[1], p.get("name", "")):
        runs += p.get("run_cnt", 0); ns += p.get("run_time_ns", 0)
print(ns, runs)' "$names"
	kill -TERM "$bp" 2>/dev/null
	wait "$bp" 2>/dev/null
}
per_call() { awk -v n="$calls" '{ printf "%.0f\n", $1 / n }'; }
declare -A pc
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
for r in $(seq "$reps"); do
	for g in "" "-g" "--stacks user" "--stacks kernel"; do
		# shellcheck disable=SC2086
		pc[conn$g]+="$(prog_cost 'connect_(enter|exit)' "loop $calls" $g --probe connect | per_call) "
	done
	for g in "" "-g"; do
		# shellcheck disable=SC2086
		pc[tp$g]+="$(prog_cost tp_record "loop $calls" $g -e syscalls:sys_exit_connect | per_call) "
		# shellcheck disable=SC2086
		pc[sys$g]+="$(prog_cost 'sys_(enter|exit)' "loop $calls" $g --syscalls connect | per_call) "
	done
	for hz in 99 999; do
		# every CPU samples every process; the recorded ones' samples walk
		# their stacks, the others' are left out at once: per run, and
		# per sample kept (the others' cost spread over those)
		out=$(prog_cost profile_sample "work $units" --probe "profile:$hz")
		kept=$(sqlite3 "$work/s/index.db" "SELECT total(nrecords) FROM block_streams")
		pc[prof$hz]+="$(echo "$out" | awk '{ printf "%.0f", $2 ? $1 / $2 : 0 }') "
		pc[prof${hz}_runs]+="$(echo "$out" | awk '{ print $2 }') "
		pc[prof${hz}_kept]+="${kept%.0} "
		pc[prof${hz}_perkept]+="$(echo "$out $kept" | awk '{ printf "%.0f", $3 ? $1 / $3 : 0 }') "
	done
done
sysctl -q -w kernel.bpf_stats_enabled="$stats_was"
med() { echo "${pc[$1]}" | tr ' ' '\n' | grep . | median; }

printf '\n## stacks (issue 13): %s, %s calls, %s work units, median of %s\n\n' \
	"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)" "$calls" "$units" "$reps"
printf '| connect() loop | CPU ns/call | vs bare |\n|---|---|---|\n'
printf '| bare | %.0f | |\n| --probe connect | %.0f | +%.0f |\n| -g --probe connect | %.0f | +%.0f |\n' \
	"$m_bare" "$m_conn" "$(echo "$m_conn - $m_bare" | bc)" "$m_g" "$(echo "$m_g - $m_bare" | bc)"
printf '\n-g per event: %.0f ns (the -g row minus the connect row)\n\n' "$(echo "$m_g - $m_conn" | bc)"
printf '| fixed CPU work | wall ms | cpu ms |\n|---|---|---|\n'
for n in bare bpfrec99 perf99 bpfrec999 perf999; do
	printf '| %s | %s | %s |\n' "$n" "$(echo "${wall[$n]}" | tr ' ' '\n' | grep . | median)" \
		"$(echo "${cpu[$n]}" | tr ' ' '\n' | grep . | median)"
done
printf '\n| bytes, 999 Hz profile of the same work | bytes |\n|---|---|\n'
printf '| bpfrec capture, all (%s samples) | %s |\n' "${samples_b%.0}" "$cap_sym"
printf '| of which the stack tables (%s stacks, %s symbols): pages / payload | %s / %s |\n' \
	"$nstacks" "$nsyms" "$pg_sym" "$pay_sym"
printf '| the same with --no-symbols: pages / payload | %s / %s |\n' "$pg_nosym" "$pay_nosym"
printf '| perf.data | %s |\n| perf archive (perf.data.tar.bz2) | %s |\n| perf total to symbolize elsewhere | %s |\n' \
	"$perf_data" "$perf_arch" "$((perf_data + perf_arch))"
printf '\n| whole machine, 5 s at 99 Hz | bytes |\n|---|---|\n'
printf '| bpfrec capture, all (%s samples, %s stacks, %s files, %s symbols) | %s |\n' \
	"${all_samples%.0}" "$all_stacks" "$all_files" "$all_syms" "$all_cap"
printf '| of which the stack tables: pages / payload | %s / %s |\n' "$pg_all" "$pay_all"
printf '| perf.data (perf record -a -g) | %s |\n| perf archive | %s |\n| perf total | %s |\n' \
	"$perfall" "$perfall_arch" "$((perfall + perfall_arch))"
printf '\n| the programs alone, from the kernel (bpf_stats_enabled), per connect() | ns |\n|---|---|\n'
printf '| connect probe (connect_enter + connect_exit) | %s |\n| ... -g (user + kernel stack) | %s |\n' "$(med conn)" "$(med conn-g)"
printf '| ... --stacks user | %s |\n| ... --stacks kernel | %s |\n' "$(med "conn--stacks user")" "$(med "conn--stacks kernel")"
printf '| -e syscalls:sys_exit_connect (tp_record) | %s |\n| ... -g | %s |\n' "$(med tp)" "$(med tp-g)"
printf '| --syscalls connect (sys_enter + sys_exit, which also see socket() and close()) | %s |\n| ... -g | %s |\n' "$(med sys)" "$(med sys-g)"
printf '\n| --probe profile of the work (profile_sample) | runs | ns per run | samples kept | ns per sample kept |\n|---|---|---|---|---|\n'
for hz in 99 999; do
	printf '| %s Hz | %s | %s | %s | %s |\n' "$hz" "$(med prof${hz}_runs)" "$(med prof$hz)" \
		"$(med prof${hz}_kept)" "$(med prof${hz}_perkept)"
done
