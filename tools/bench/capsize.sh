#!/usr/bin/env bash
# capsize.sh - what a small capture costs on disk, and how much of it is
# the objects' BTF: each case recorded twice with the same build, with
# each object's whole BTF (--full-btf, what every capture stored before
# the BTF was cut to the streams' types) and with the default, alternated.
#
#   tools/bench/capsize.sh [--build DIR] [--obj FILE.bpf.o]
#
#   --build DIR  the build measured (default build)
#   --obj FILE   the user object of the last case (default the tests'
#                tests/bpf/uexec.bpf.o of the build)
#
# Cases, each on `-- /bin/true`: the default probes; `-e sched:sched_switch`;
# `--syscalls all`; `--probe none --bpf FILE`.  Printed per case and
# mode: index.db, catalog.db, the segments, the total on disk (as
# `bpfreplay info` counts it) and the BTF stored (sum of objects.btf, in
# index.db; catalog.db holds the same again).  Target: the default
# probes' capture of /bin/true at most half its --full-btf size on disk.
source "$(dirname "$0")/lib.sh"

build=build
obj=
bench_args "--build=build --obj=obj" "$@"
build=$(cd "$build" && pwd) || bench_die "no build $build"
[ -n "$obj" ] || obj=$build/tests/bpf/uexec.bpf.o
bench_need_root
bench_need_files "$build/recorder/bpfrec"
bench_need_cmds sqlite3
[ -r "$obj" ] || bench_die "$obj missing: cmake --build $build"
bench_workdir capsize

size() { stat -c %s "$1"; }

# case NAME ARGS...: one line per mode; sets total_full / total_cut
case_run() {
	local name=$1 mode dir seg btf idx cat total
	shift
	for mode in full cut; do
		dir=$work/$name-$mode
		if [ $mode = full ]; then
			"$build/recorder/bpfrec" record -q --full-btf -o "$dir" "$@" -- /bin/true >/dev/null 2>&1
		else
			"$build/recorder/bpfrec" record -q -o "$dir" "$@" -- /bin/true >/dev/null 2>&1
		fi || bench_die "$name ($mode): bpfrec record failed"
		seg=$(cat "$dir"/seg-*.bpfrec | wc -c)
		idx=$(size "$dir/index.db")
		cat=$(size "$dir/catalog.db")
		total=$((idx + cat + seg))
		btf=$(sqlite3 "$dir/index.db" "SELECT coalesce(sum(length(btf)), 0) FROM objects")
		printf '%-22s %-9s %9d %10d %8d %9d %9d\n' "$name" "$mode" "$idx" "$cat" "$seg" "$total" "$btf"
		printf -v "total_$mode" '%d' "$total"
	done
}

printf '%-22s %-9s %9s %10s %8s %9s %9s\n' case btf index.db catalog.db segments on-disk btf-bytes
case_run "default probes"
default_full=$total_full default_cut=$total_cut
case_run "-e sched:sched_switch" -e sched:sched_switch
case_run "--syscalls all" --syscalls all
case_run "user object" --probe none --bpf "$obj"

if ((default_cut * 2 <= default_full)); then verdict=met; else verdict="not met"; fi
echo "default probes on /bin/true: $default_cut bytes on disk, $default_full with the whole" \
     "BTF (target: at most half): $verdict"
