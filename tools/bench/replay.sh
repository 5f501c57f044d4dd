#!/usr/bin/env bash
# replay.sh - bpfreplay show's speed on the generator's events (issue 18:
# at least 3 M events/s to a file).
#
#   tools/bench/replay.sh [--build DIR] [--capture CAP] [--rate M] [--seconds T]
#                         [--reps R]
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
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build cap="" rate=1 seconds=2 reps=3
die() { echo "replay.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift ;;
	--capture) cap=$2; shift ;;
	--rate) rate=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--reps) reps=$2; shift ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
