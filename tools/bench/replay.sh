#!/usr/bin/env bash
# replay.sh - bpfreplay show's speed on the generator's events (issue 18:
# at least 3 M events/s to a file).
#
#   tools/bench/replay.sh [--build DIR] [--capture CAP] [--rate M] [--seconds T]
#                         [--reps R] [--syscalls N]
#
# Without --capture, records one first (root): gen.bpf.o's bench_gen at M
# million events/s (default 1) for T seconds (default 2) under bpfrec, as
# run.sh's generator part does.  Then runs `bpfreplay show CAP` R times
# (default 3) to a file and to /dev/null, and prints the best CPU time
# (user + system of bpfreplay, /usr/bin/time: a loaded machine inflates it
# less than wall time), wall time, and events per CPU second; met / not
# met against 3 M events/s to a file.  The file's bytes are checked to be
# the same in every run.  DIR (default build) must hold bpfreplay (and for
# recording bpfrec, tools/bench/gen and bench_gen.bpf.o).
#
# Then, beside perf script (root, perf; --syscalls 0 skips it): the syscall
# load's N getppid() calls (default 1000000; tools/bench/sysloop) recorded
# by bpfrec (bench_getppid.bpf.o, a 64-byte event per call) and by `perf
# record -e syscalls:sys_enter_getppid` (a 256 MiB buffer, so that it loses
# nothing), then `bpfreplay show` and `perf script` of all of them (the same
# events: one line each) timed to a file the same way (best of R), both
# rates printed.  A side that recorded fewer than 99% of the calls records
# again (3 tries), and is named if it stays short.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build cap="" rate=1 seconds=2 reps=3 syscalls=1000000
die() { echo "replay.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift ;;
	--capture) cap=$2; shift ;;
	--rate) rate=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--reps) reps=$2; shift ;;
	--syscalls) syscalls=$2; shift ;;
	-h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (--help)" ;;
	esac
	shift
done
REPLAY=$build/replay/bpfreplay
[ -x "$REPLAY" ] || die "$REPLAY missing: build first"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install -y time)"
work=$(mktemp -d /tmp/bpfrec-replay.XXXXXX) || die "mktemp"
trap 'rm -rf "$work"' EXIT
if [ -z "$cap" ]; then
	B=$build/tools/bench
	for f in "$build/recorder/bpfrec" "$B/gen" "$B/bench_gen.bpf.o"; do
		[ -e "$f" ] || die "$f missing: build first (or give --capture)"
	done
	cap=$work/gen.cap
	"$build/recorder/bpfrec" record -q --no-status -o "$cap" --probe none --all \
		--bpf "$B/bench_gen.bpf.o" --ringbuf-size events=64M \
		-- "$B/gen" --rate "${rate}e6" --seconds "$seconds" >"$work/gen.out" 2>&1 ||
		die "recording failed: $(tail -3 "$work/gen.out")"
fi
events=$("$REPLAY" sql -o csv "$cap" 'SELECT sum(nrecords) FROM blocks' | tail -1)
[[ "$events" =~ ^[0-9]+$ ]] && [ "$events" -gt 0 ] || die "$cap: no events"

best_file="" best_null="" wall_file="" wall_null="" sum=""
for r in $(seq 1 "$reps"); do
	for to in file null; do
		dst=$work/show.txt
		[ $to = null ] && dst=/dev/null
		/usr/bin/time -f "%U %S %e" -o "$work/t" "$REPLAY" show "$cap" >"$dst" ||
			die "bpfreplay show failed"
		read -r u s e <"$work/t"
		cpu=$(awk "BEGIN { print $u + $s }")
		if [ $to = file ]; then
			s1=$(cksum <"$work/show.txt")
			[ -z "$sum" ] || [ "$sum" = "$s1" ] || die "show's output differs between runs"
			sum=$s1
			if [ -z "$best_file" ] || awk "BEGIN { exit !($cpu < $best_file) }"; then
				best_file=$cpu wall_file=$e
			fi
		elif [ -z "$best_null" ] || awk "BEGIN { exit !($cpu < $best_null) }"; then
			best_null=$cpu wall_null=$e
		fi
	done
done
bytes=$(stat -c %s "$work/show.txt")
mps() { awk "BEGIN { printf \"%.2f\", $events / $1 / 1e6 }"; }
echo "bpfreplay show of $events generator events ($cap), best of $reps, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  to a file ($bytes bytes): CPU $best_file s (wall $wall_file s): $(mps "$best_file") M events/s per CPU second"
echo "  to /dev/null:            CPU $best_null s (wall $wall_null s): $(mps "$best_null") M events/s per CPU second"
awk "BEGIN { exit !($events / $best_file >= 3e6) }" && m=met || m="NOT met"
echo "  show >= 3 M events/s to a file (issue 18): $(mps "$best_file") M/s: $m"

# ------------------------------------------------ beside perf script
[ "$syscalls" -gt 0 ] 2>/dev/null || exit 0
PERF=$(command -v perf || true)
B=$build/tools/bench
why=""
[ "$(id -u)" -eq 0 ] || why="not root"
[ -n "$PERF" ] || why="perf missing"
for f in "$build/recorder/bpfrec" "$B/sysloop" "$B/bench_getppid.bpf.o"; do
	[ -e "$f" ] || why="$f missing"
done
if [ -n "$why" ]; then
	echo "  beside perf script: not run ($why)"
	exit 0
fi
# best CPU time of R runs of "$@" > $work/$1.txt (its output checked equal)
best_of() {
	local name=$1 best="" sum="" s1 u s e cpu
	shift
	for r in $(seq 1 "$reps"); do
		/usr/bin/time -f "%U %S %e" -o "$work/t" "$@" >"$work/$name.txt" 2>"$work/$name.err" ||
			die "$name failed: $(tail -2 "$work/$name.err")"
		read -r u s e <"$work/t"
		cpu=$(awk "BEGIN { print $u + $s }")
		s1=$(cksum <"$work/$name.txt")
		[ -z "$sum" ] || [ "$sum" = "$s1" ] || die "$name's output differs between runs"
		sum=$s1
		if [ -z "$best" ] || awk "BEGIN { exit !($cpu < $best) }"; then
			best=$cpu
		fi
	done
	echo "$best"
}
# Each side records until it has (nearly) every call, 3 tries at most: on
# a shared machine perf record can come back with none (its buffer) and
# bpfrec can lose some; a side still short is said below.
rec_bpfrec() {
	rm -rf "$work/sys.cap"
	"$build/recorder/bpfrec" record -q --no-status -o "$work/sys.cap" --probe none \
		--bpf "$B/bench_getppid.bpf.o" --only bench_getppid -- "$B/sysloop" "$syscalls" \
		>"$work/sys.out" 2>&1 || die "bpfrec of the syscall load failed: $(tail -3 "$work/sys.out")"
	got_bpfrec=$("$REPLAY" sql -o csv "$work/sys.cap" 'SELECT sum(nrecords) FROM blocks' | tail -1)
}
rec_perf() {
	"$PERF" record -q -m 256M -e syscalls:sys_enter_getppid -o "$work/sys.data" \
		-- "$B/sysloop" "$syscalls" >"$work/perf.out" 2>&1 ||
		die "perf record of the syscall load failed: $(tail -3 "$work/perf.out")"
	got_perf=$("$PERF" script -i "$work/sys.data" 2>/dev/null | wc -l)
}
short() { awk "BEGIN { exit !(${1:-0} < 0.99 * $syscalls) }"; }
for try in 1 2 3; do
	rec_bpfrec
	short "$got_bpfrec" || break
done
for try in 1 2 3; do
	rec_perf
	short "$got_perf" || break
done
for side in bpfrec perf; do
	v=got_$side
	short "${!v}" && echo "  note: $side recorded ${!v:-0} of the $syscalls calls (3 tries)"
done
# Both record the calls of sysloop's task (bpfrec's filter and perf's
# per-task counting follow the command); a couple more or less on one side
# (the child before its exec) do not change a rate.  Every event is shown.
cpu_show=$(best_of show "$REPLAY" show "$work/sys.cap")
lines_show=$(wc -l <"$work/show.txt")
cpu_perf=$(best_of perf "$PERF" script -i "$work/sys.data")
lines_perf=$(wc -l <"$work/perf.txt")
if [ "$lines_perf" -eq 0 ] || ! awk "BEGIN { exit !($cpu_perf > 0 && $cpu_show > 0) }"; then
	# perf record can come back with no samples (its buffer could not be
	# mapped, another tracer...): say so instead of dividing by zero
	echo "beside perf script: not measured (perf script printed $lines_perf events;" \
	     "perf record said: $(tail -1 "$work/perf.out" | cut -c1-160))"
	exit 0
fi
grep -q -i lost "$work/perf.err" && echo "  note: perf script says: $(grep -i -m1 lost "$work/perf.err")"
echo "beside perf script: the syscall load ($syscalls getppid() calls), best of $reps, to a file:"
echo "  bpfreplay show: $lines_show events, CPU $cpu_show s: $(awk "BEGIN { printf \"%.2f\", $lines_show / $cpu_show / 1e6 }") M events/s per CPU second"
echo "  perf script:    $lines_perf events, CPU $cpu_perf s: $(awk "BEGIN { printf \"%.2f\", $lines_perf / $cpu_perf / 1e6 }") M events/s per CPU second"
echo "  show / perf script speed: $(awk "BEGIN { printf \"%.2f\", ($lines_show / $cpu_show) / ($lines_perf / $cpu_perf) }")x"
