#!/usr/bin/env bash
# run.sh - the recorder's benchmark (issue 5), on this machine, in one run.
#
#   tools/bench/run.sh [--quick] [--build DIR] [--calls N] [--reps R]
#                      [--rates "1 2 4" | none] [--seconds T] [--ringbuf-size BYTES]
#                      [--wait-quiet S] [--nice N] [--configs "bare bpfrec ..."]
#                      [--gen-reps G] [--chain-blocks K] [--rev REV]
#
# 1. Syscall load: sysloop (N getppid() calls pinned to CPU 0) with nothing
#    attached, recorded by bpfrec (getppid.bpf.o: a 64-byte event per call)
#    from perf's hook tp/syscalls (config bpfrec), tp_btf/sys_enter (btf) and
#    fentry (fentry; named unavailable where the kernel lacks it), each but
#    fentry also with the probe attached but emitting nothing (attach,
#    btfattach: the attachment's own cost), tp_btf also the way the probe
#    was before staging (btfold: a ringbuf reserve and a helper call per
#    field, issue 18's "before") and staged (btfstaged: per-CPU batches
#    copied to the ring; the default writes each event in place into a
#    per-CPU ring bpfrec reads where it lies) and with a probe that reads
#    the clock and makes no event (btfclock: the floor of any timestamped
#    event), by perf record and by bpftrace printf to a file.  R rounds,
#    configurations interleaved; the table shows the round with the median
#    ns per call of each configuration.
# 2. Generator: gen.bpf.o's bench_gen run by gen at rising rates (M events/s)
#    for T seconds each under bpfrec, G runs per rate (--gen-reps G; full 3,
#    quick 1), climbing while some run of a rate is without loss.  The
#    headline is the highest rate held without loss in every one of its runs;
#    the recorder's CPU per event is the median of the runs at 8 M/s (else of
#    the highest rate run), against issue 18's 0.07 CPU s per M events.
#    --chain-blocks K records the generator with bpfrec record's option of
#    that name (default: bpfrec's own, 16), for A/B runs of the bytes.
#
# Other work on the machine skews every figure: before each measurement,
# wait up to S seconds (default 120; 0: no wait) for a 2 s window in which
# the machine's other processes use under 0.25 CPU; each row shows how
# contended the CPUs were during the measurement (press: the share of the
# time in which some runnable task waited for a CPU, from PSI).  Everything runs at nice N
# (default -10; 0: as started) so that ordinary work on a shared machine
# perturbs it less.
#
# Builds the recorder and the bench in DIR first (default build-bench;
# BENCH_NO_BUILD=1: use what is there).  --rev REV measures the recorder of
# commit REV instead of the working tree (for A/B runs, and while the tree
# does not build): git archive REV into /tmp, this run's tools/bench over it
# except REV's own probes (tools/bench/*.bpf.c, built with REV's bpfrec.h),
# built in /tmp/bpfrec-bench-build-SHA (kept for the next run).  Prints the tables and writes them
# to tools/bench/results-DATE[-quick].txt.
# Needs root.  --quick: N=200k, R=1, T=3 s.  Full: N=2M, R=3, T=30 s.
# Raw outputs are kept in the work directory when BENCH_KEEP=1.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build-bench
quick=0
calls= reps= gen_reps= rates= seconds= rbsize=$((64 << 20)) quiet_s=120 nice_n=-10 only_cfgs= rev=
chain=

die() { echo "run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--build) build=$2; shift ;;
	--calls) calls=$2; shift ;;
	--reps) reps=$2; shift ;;
	--gen-reps) gen_reps=$2; shift ;;
	--chain-blocks) chain=$2; shift ;;
	--rates) rates=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--ringbuf-size) rbsize=$2; shift ;;
	--wait-quiet) quiet_s=$2; shift ;;
	--nice) nice_n=$2; shift ;;
	--configs) only_cfgs=$2; shift ;;   # a subset of the syscall rows
	--rev) rev=$2; shift ;;
	-h|--help) sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	: "${calls:=200000}" "${reps:=1}" "${gen_reps:=1}" "${seconds:=3}" "${rates:=1 2 4 6 8 10}"
else
	: "${calls:=2000000}" "${reps:=3}" "${gen_reps:=3}" "${seconds:=30}" "${rates:=1 2 4 6 8 10 12}"
fi

[ "$(id -u)" = 0 ] || die "needs root (BPF, perf, bpftrace)"
src=$repo
if [ -n "$rev" ]; then
	sha=$(git -C "$repo" rev-parse --verify "$rev^{commit}" 2>/dev/null) || die "--rev $rev: no such commit"
	src=/tmp/bpfrec-bench-src-${sha:0:12}
	build=/tmp/bpfrec-bench-build-${sha:0:12}
	rm -rf "$src" && mkdir -p "$src" && git -C "$repo" archive "$sha" | tar -x -C "$src" ||
		die "--rev $rev: git archive failed"
	# This run's tools/bench, whole (encode/ and sql/ included), over REV's,
	# but REV's own probes (*.bpf.c): they are built against REV's
	# bpf/bpfrec.h, and what they send is what REV's recorder drains.
	revbench=$src.bench
	rm -rf "$revbench" && mv "$src/tools/bench" "$revbench" 2>/dev/null
	mkdir -p "$src/tools/bench" &&
		tar -C "$here" --exclude='results-*' -cf - . | tar -C "$src/tools/bench" -xf - ||
		die "copying tools/bench failed"
	for f in "$revbench"/*.bpf.c; do
		[ -f "$f" ] && cp "$f" "$src/tools/bench/"
	done
	rm -rf "$revbench"
fi
B=$build/tools/bench
# Measure what the tree holds now: (re)build the recorder and the bench.
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	if [ ! -f "$build/CMakeCache.txt" ] &&
	   ! cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"/tmp/bench-cmake.$$.log" 2>&1; then
		die "cmake failed for $src: $(grep -v '^--' "/tmp/bench-cmake.$$.log" | tail -8)"
	fi
	cmake --build "$build" -j2 --target bpfrec bpfreplay sysloop gen benchwrap \
		bpf_bench_getppid bpf_bench_gen >"/tmp/bench-build.$$.log" 2>&1 ||
		die "build failed (BENCH_NO_BUILD=1 to use what $build has): $(grep -E 'error|Error' "/tmp/bench-build.$$.log" | head -8)"
	rm -f "/tmp/bench-cmake.$$.log" "/tmp/bench-build.$$.log"
fi
BPFREC=$build/recorder/bpfrec
REPLAY=$build/replay/bpfreplay
for f in "$BPFREC" "$REPLAY" "$B/sysloop" "$B/gen" "$B/benchwrap" \
	 "$B/bench_getppid.bpf.o" "$B/bench_gen.bpf.o"; do
	[ -x "$f" ] || [ -f "$f" ] || die "$f missing: build first:
  cmake -S $repo -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j2"
done
[ "$nice_n" = 0 ] || renice -n "$nice_n" -p $$ >/dev/null || die "renice $nice_n failed"
PERF=$(command -v perf || true)
BPFTRACE=$(command -v bpftrace || true)
[ -n "$PERF" ] || echo "run.sh: perf not found (apt-get install -y linux-perf): its rows are skipped" >&2
[ -n "$BPFTRACE" ] || echo "run.sh: bpftrace not found (apt-get install -y bpftrace): its rows are skipped" >&2

work=$(mktemp -d /tmp/bpfrec-bench.XXXXXX) || die "mktemp"
bgpids=()
cleanup() {
	local p
	for p in "${bgpids[@]}"; do
		kill -INT "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${bgpids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "run.sh: raw outputs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stamp=$(date +%Y%m%d-%H%M%S)
out=$here/results-$stamp$([ $quick = 1 ] && echo -quick).txt
: >"$out"
say() { printf '%s\n' "$*" | tee -a "$out"; }

# kv FILE KEY: the value of KEY=VALUE in the last line of FILE that has it.
kv() { grep -o "\b$2=[^ ]*" "$1" 2>/dev/null | tail -1 | cut -d= -f2; }
kv_str() { echo "$1" | grep -o "\b$2=[^ ]*" | tail -1 | cut -d= -f2; }
# calc EXPR: awk arithmetic, "-" when a value is missing.
calc() { awk "BEGIN { r = $1; print r }" 2>/dev/null || echo -; }
num() { [ -n "${1:-}" ] && [ "$1" != - ]; }
# fmt FORMAT VALUE: printf, or "-" for a missing value.
fmt() { if num "${2:-}"; then printf "$1" "$2"; else printf -- -; fi; }

# The capture's count of the events stream, its lost total and the bytes
# of its blocks, by SQL (info's layout is for people and changes).
cap_counts() {   # DIR -> "events lost blocks_bytes"
	"$REPLAY" sql -o csv "$1" "SELECT
		(SELECT coalesce(sum(b.nrecords), 0) FROM block_streams b JOIN streams s
		 ON s.id = b.stream_id WHERE s.name = 'events' AND s.kind = 'ringbuf') || ' ' ||
		(SELECT coalesce(sum(l.count), 0) FROM losses l JOIN streams s
		 ON s.id = l.stream_id WHERE s.name = 'events') || ' ' ||
		(SELECT coalesce(sum(enc_bytes), 0) FROM blocks)" 2>/dev/null | tail -n 1 |
		grep -E '^[0-9]+ [0-9]+ [0-9]+$' || echo "- - -"
}
dir_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }

# busy_ticks: CPU ticks the machine spent busy since boot (all CPUs).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# quiet: waits (at most quiet_s) for 2 s in which the machine is near idle.
quiet() {
	local t0=$SECONDS a b
	while [ $((SECONDS - t0)) -lt "$quiet_s" ]; do
		a=$(busy_ticks); sleep 2; b=$(busy_ticks)
		# ticks are 1/100 s: under 0.25 CPU over 2 s is under 50 ticks
		[ $((b - a)) -lt 50 ] && return 0
	done
	[ "$quiet_s" -gt 0 ] && echo "run.sh: the machine stayed busy for ${quiet_s}s: measuring anyway" >&2
	return 0
}

if [ -n "$rev" ]; then
	git_rev="commit $(git -C "$repo" rev-parse --short "$sha") ($rev)"
else
	git_rev="working tree at $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
fi
[ -n "$rev" ] || git -C "$repo" diff --quiet HEAD -- recorder schema bpf 2>/dev/null ||
	git_rev="$git_rev + uncommitted edits in $(git -C "$repo" diff --name-only HEAD -- recorder schema bpf | tr '\n' ' ')"
git_rev="$git_rev; bpfrec built $(date -r "$BPFREC" '+%Y-%m-%d %H:%M:%S')"
say "bpfrec benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)  ($([ $quick = 1 ] && echo quick || echo full) run)"
say "machine: $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
# Name the build without this machine's paths: results files are committed.
case "$(realpath -m "$build")/" in
"$(realpath "$repo")"/*) build_name=${build#"$repo"/} ;;
*) src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)
   build_name="a build outside this tree (of $(git -C "${src:-/nonexistent}" rev-parse --short HEAD 2>/dev/null || echo 'an unknown tree'))" ;;
esac
say "tree: $git_rev; build: $build_name"
say "tools: $([ -n "$PERF" ] && "$PERF" --version 2>/dev/null | head -1), $([ -n "$BPFTRACE" ] && "$BPFTRACE" --version 2>/dev/null | head -1)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)  (other work on the machine skews ns/call)"
say "command: tools/bench/run.sh $([ $quick = 1 ] && echo --quick) (calls=$calls reps=$reps seconds=$seconds rates=\"$rates\" ringbuf=$((rbsize >> 20)) MiB for gen, nice $nice_n)"
say ""

# ---------------------------------------------------------------- syscalls
BT_PROG='tracepoint:syscalls:sys_enter_getppid /comm == "sysloop"/ { printf("%llu %d %d %s\n", nsecs, pid, tid, comm); }'

# run_cfg CFG ROUND: one measurement into $work/sys-CFG-ROUND.*; prints nothing.
# probe_args CFG: the benchmark probe's program ($prog) and options ($set)
# for configuration CFG
probe_args() {
	set=() prog=bench_getppid
	case $1 in attach|btfattach) set=(--set bench_emit=0) ;; btfold) set=(--set bench_emit=4) ;;
	btfstaged) set=(--set bench_emit=1) ;; btfclock) set=(--set bench_emit=9) ;; esac
	case $1 in btf*) prog=bench_getppid_btf ;; fentry) prog=bench_getppid_fentry ;; esac
}

run_cfg() {
	local cfg=$1 r=$2 p=$work/sys-$1-$2 i n prev
	rm -rf "$p.cap" "$p.data" "$p.bt"
	case $cfg in
	bare)
		"$B/sysloop" --watch 0 "$calls" >"$p.out" 2>"$p.err" ;;
	bpfrec|attach|btf|btfattach|btfold|btfstaged|btfclock|fentry)
		local set prog
		probe_args $cfg
		"$B/benchwrap" "$p.wrap" "$BPFREC" record -q --no-status -o "$p.cap" --probe none \
			--bpf "$B/bench_getppid.bpf.o" --only $prog "${set[@]}" -- "$B/sysloop" "$calls" \
			>"$p.out" 2>"$p.err"
		if [ ! -d "$p.cap" ] || ! grep -q '^sysloop ' "$p.out"; then
			# A hook this kernel lacks (fentry): say why, measure nothing.
			echo "unavailable=1" >>"$p.out"
			# bpfrec's cause: the line naming the program, else its first line
			{ grep -m1 '^  program ' "$p.err" || head -1 "$p.err"; } |
				sed 's/^ *//' | cut -c1-200 >"$p.why"
			rm -rf "$p.cap"
			return
		fi
		read -r ev lost _ <<<"$(cap_counts "$p.cap")"
		echo "events=$ev lost=$lost bytes=$(dir_bytes "$p.cap")" >>"$p.out"
		[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$p.cap" ;;
	perf)
		"$B/benchwrap" "$p.wrap" "$PERF" record -q -e syscalls:sys_enter_getppid -o "$p.data" \
			-- "$B/sysloop" "$calls" >"$p.out" 2>"$p.err"
		# Samples of sysloop's calls (perf also sees its forked child's
		# before the exec); what is missing against N was lost (perf's LOST
		# records, counted in $p.stats, say so too).
		"$PERF" report -i "$p.data" --stats >"$p.stats" 2>/dev/null
		ev=$("$PERF" script -i "$p.data" -F comm 2>/dev/null | grep -c '^ *sysloop *$')
		# (a few more than N at times: counted as no loss)
		echo "events=$ev lost=$((ev < calls ? calls - ev : 0)) bytes=$(stat -c %s "$p.data" 2>/dev/null)" >>"$p.out"
		rm -f "$p.data" "$p.data.old" ;;
	bpftrace)
		"$B/benchwrap" "$p.wrap" "$BPFTRACE" -e "$BT_PROG" -o "$p.bt" >"$p.err" 2>&1 &
		local wpid=$! btpid=
		bgpids+=("$wpid")
		for i in $(seq 1 300); do   # attached: its banner is in the file (<= 30 s)
			grep -q '^Attaching' "$p.bt" 2>/dev/null && break
			sleep 0.1
		done
		btpid=$(pgrep -P "$wpid" | head -1)
		sleep 1
		"$B/sysloop" --watch "${btpid:-0}" "$calls" >"$p.out" 2>>"$p.err"
		prev=-1   # wait for the output to settle (<= 60 s), then stop bpftrace
		for i in $(seq 1 120); do
			n=$(stat -c %s "$p.bt" 2>/dev/null || echo 0)
			[ "$n" = "$prev" ] && break
			prev=$n
			sleep 0.5
		done
		kill -INT "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		bgpids=("${bgpids[@]/$wpid}")
		ev=$(grep -c ' sysloop$' "$p.bt")
		local bl
		bl=$(grep -o 'Lost [0-9]* events' "$p.bt" "$p.err" 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')
		echo "events=$ev lost=$((calls - ev)) reported_lost=$bl bytes=$(stat -c %s "$p.bt")" >>"$p.out"
		rm -f "$p.bt" ;;
	esac
}

cfgs="bare bpfrec attach btf btfattach btfold btfstaged btfclock fentry"
# an older probe (--rev) has no clock-only mode: its bench_emit=9 is an event
grep -q bench_clock "$B/bench_getppid.bpf.o" 2>/dev/null || cfgs=${cfgs/ btfclock/}
[ -n "$PERF" ] && cfgs="$cfgs perf"
[ -n "$BPFTRACE" ] && cfgs="$cfgs bpftrace"
if [ -n "$only_cfgs" ]; then
	cfgs=$(for c in $cfgs; do case " $only_cfgs " in *" $c "*) echo $c ;; esac; done | tr '\n' ' ')
	case " $cfgs " in *" bare "*) ;; *) cfgs="bare $cfgs" ;; esac   # slowdown needs it
fi
for r in $(seq 1 "$reps"); do
	for c in $cfgs; do
		quiet
		echo "run.sh: syscall load: $c, round $r/$reps ($calls calls)" >&2
		run_cfg "$c" "$r"
	done
done

# The probe's own time, by the kernel's BPF stats (sysloop --bpf-stats):
# R more runs (at least 3) of each configuration with a program, N/4 calls
# each, configurations interleaved; the least is shown (other work on the
# machine only adds to it).  Each program run then costs ~20 ns more, the
# same in every configuration, so differences between them hold; other
# work on the machine inflates these far less than wall time.
stats_calls=$((calls / 4)) stats_reps=$((reps < 3 ? 3 : reps))
for r in $(seq 1 "$stats_reps"); do
	for c in $cfgs; do
		case $c in bpfrec|attach|btf|btfattach|btfold|btfstaged|btfclock) ;; *) continue ;; esac
		grep -q '^unavailable=' "$work/sys-$c-1.out" 2>/dev/null && continue
		probe_args $c
		quiet
		echo "run.sh: syscall load: $c, BPF stats round $r/$stats_reps ($stats_calls calls)" >&2
		rm -rf "$work/stats-$c.cap"
		"$BPFREC" record -q --no-status -o "$work/stats-$c.cap" --probe none \
			--bpf "$B/bench_getppid.bpf.o" --only $prog "${set[@]}" -- \
			"$B/sysloop" --no-tail --bpf-stats bench_getppid "$stats_calls" \
			>"$work/stats-$c-$r.out" 2>"$work/stats-$c-$r.err"
		rm -rf "$work/stats-$c.cap"
	done
done

# The round with the median ns per call of cfg.
median_round() {
	local c=$1 r
	for r in $(seq 1 "$reps"); do
		local ns
		ns=$(kv "$work/sys-$c-$r.out" ns_per_call)
		echo "${ns:-0} $r"
	done | sort -g | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }'
}

declare -A S_slow S_evs S_lost S_ns S_pns   # per configuration, for the targets
declare -A gen_cpu gen_wr        # per generator rate: each run's recorder (writers') cpu s/Mev
rest_max= best_rate=0 first_bpe= first_fast=0 first_bpe_all= gen_limited=0 held_rate=0 rate_summary=
declare -A label=(
	[bare]="nothing attached" [bpfrec]="bpfrec (tp/syscalls)" [attach]="  same, probe emits nothing"
	[btf]="bpfrec (tp_btf/sys_enter)" [btfattach]="  same, probe emits nothing"
	[btfold]="  same, unstaged, helpers"
	[btfstaged]="  same, staged batches copied"
	[btfclock]="  same, clock only, no event"
	[fentry]="bpfrec (fentry)"
	[perf]="perf record" [bpftrace]="bpftrace printf -o"
)
say "1. Syscall load: $calls getppid() calls pinned to CPU 0, 64-byte event per call (median of $reps rounds)"
say "$(printf '%-28s %9s %9s %7s %7s %9s %8s %8s %9s %9s %9s %9s %9s %6s' config 'ns/call' slowdown 'cpu ns' 'prog ns' 'Mev/s' events lost 'B/event' 'cpu s/Mev' 'tot s/Mev' 'RSS MiB' 'ring MiB' press)"
bare_r=$(median_round bare)
bare_ns=$(kv "$work/sys-bare-$bare_r.out" ns_per_call)
for c in $cfgs; do
	r=$(median_round "$c")
	f=$work/sys-$c-$r.out
	if grep -q '^unavailable=' "$f"; then
		say "$(printf '%-28s %s' "${label[$c]}" "unavailable on this kernel: $(sed "s#$build/##g" "$work/sys-$c-$r.why" 2>/dev/null)")"
		continue
	fi
	ns=$(kv "$f" ns_per_call) wall=$(kv "$f" wall_s)
	ev=$(kv "$f" events) lost=$(kv "$f" lost) bytes=$(kv "$f" bytes)
	if [ $c = bare ]; then ev=- lost=- bytes=-; fi
	slow=$(num "$ns" && calc "$ns / $bare_ns" || echo -)
	evs=- bpe=- cpu=- tot=- rss=- ring=-
	if num "$ev" && [ "$ev" -gt 0 ]; then
		evs=$(calc "$ev / $wall / 1e6")
		bpe=$(calc "$bytes / $ev")
		c_s=$(kv "$f" rec_cpu_s)
		num "$c_s" && cpu=$(calc "$c_s / ($ev / 1e6)")
		w=$(kv "$work/sys-$c-$r.wrap" cpu_s) self=$(kv "$f" self_cpu_s)
		if num "$w" && [ $c != bpftrace ]; then tot=$(calc "($w - $self) / ($ev / 1e6)"); fi
	fi
	if [ $c != bare ]; then
		h=$(kv "$f" rec_hwm_kib) rr=$(kv "$f" rec_ring_rss_kib)
		num "$h" && rss=$(calc "$h / 1024") && ring=$(calc "$rr / 1024")
	fi
	pns=$(for r in $(seq 1 "$stats_reps"); do kv "$work/stats-$c-$r.out" prog_ns_per_call; done |
		grep . | sort -g | head -1)
	S_pns[$c]=${pns:--}
	say "$(printf '%-28s %9s %9s %7s %7s %9s %8s %8s %9s %9s %9s %9s %9s %6s' "${label[$c]}" \
		"$(fmt %.1f "$ns")" "$(fmt %.2f "$slow")" "$(calc "int($(kv "$f" self_cpu_s) * 1e9 / $calls)")" \
		"$(fmt %.1f "$pns")" \
		"$(fmt %.3f "$evs")" "$ev" "$lost" \
		"$(fmt %.1f "$bpe")" "$(fmt %.2f "$cpu")" "$(fmt %.2f "$tot")" "$(fmt %.1f "$rss")" \
		"$(fmt %.1f "$ring")" "$(kv "$f" cpu_pressure)")"
	S_slow[$c]=$slow S_evs[$c]=$evs S_lost[$c]=$lost S_ns[$c]=$ns
	if [ $c = bpfrec ] && num "$h"; then rest_max=$(calc "($h - $rr) / 1024"); fi
done
say "(prog ns: the probe program's own run time per call of the loop, kernel BPF stats, the least"
say " of $stats_reps more runs of N/4 calls (each program run then costs ~20 ns more, in every configuration);"
say " ns/call: loop wall time / N; cpu ns: the loop's own CPU time / N (what preemption by"
say " others does not inflate); Mev/s: events recorded / loop wall time; lost: N - recorded"
say " (bpfrec: also its losses table); B/event: capture dir, perf.data or bpftrace file / events;"
say " cpu s/Mev: recorder CPU from loop start until it went idle after, /proc/PID/stat; tot: the"
say " recorder's whole life (load, attach, teardown) by wait4, minus the loop's own CPU;"
say " RSS: recorder VmHWM; ring: RSS of its mapped rings (a ringbuf's data pages are mapped"
say " twice, so an 8 MiB ring counts 16 MiB); press: share of the time some runnable task waited for a CPU, PSI)"
say ""

# --------------------------------------------------------------- generator
say "2. In-kernel generator: bench_gen (bpf_loop, 64-byte varied events) at rising rates, $seconds s each, bpfrec --ringbuf-size events=$((rbsize >> 20))M"
say "$(printf '%-8s %9s %12s %10s %8s %9s %9s %9s %6s %9s %9s %9s %6s %s' 'target' 'Mev/s' events lost 'B/event' 'blk B/ev' 'cpu s/Mev' 'writers' 'fast%' 'RSS MiB' 'ring MiB' 'rest MiB' press note)"
[ "$rates" = none ] && rates=
for rate in $rates; do
	clean_reps=0 rate_stop=0 runs=0
	for g in $(seq 1 "$gen_reps"); do
	p=$work/gen-$rate-$g
	runs=$g
	quiet
	echo "run.sh: generator: $rate M events/s for $seconds s (run $g of $gen_reps)" >&2
	rm -rf "$p.cap"
	"$B/benchwrap" "$p.wrap" "$BPFREC" record -q --no-status -o "$p.cap" --probe none --all \
		--bpf "$B/bench_gen.bpf.o" --ringbuf-size "events=$rbsize" ${chain:+--chain-blocks "$chain"} \
		-- "$B/gen" --rate "${rate}e6" --seconds "$seconds" >"$p.out" 2>"$p.err"
	read -r ev clost blk <<<"$(cap_counts "$p.cap")"
	bytes=$(dir_bytes "$p.cap")
	produced=$(kv "$p.out" produced) failed=$(kv "$p.out" failed) grate=$(kv "$p.out" rate)
	if ! num "$produced" || ! num "$ev"; then
		say "$(printf '%-8s %s' "$rate M" "failed: $(grep -v '^$' "$p.err" | grep -v 'did not attach' | head -2 | tr '\n' ' ')")"
		rate_stop=1
		break
	fi
	# Lost: the capture's loss records, or what is missing, whichever is more.
	missing=$((produced - ev))
	lost=$clost
	num "$lost" || lost=0
	[ "$missing" -gt "$lost" ] && lost=$missing
	h=$(kv "$p.out" rec_hwm_kib) rr=$(kv "$p.out" rec_ring_rss_kib) c_s=$(kv "$p.out" rec_cpu_s)
	note=
	[ "$gen_reps" -gt 1 ] && note="run $g/$gen_reps;"
	[ "$failed" != "$clost" ] && note="$note bpf-side failed=$failed vs losses=$clost;"
	awk "BEGIN { exit !($grate < 0.95 * $rate * 1e6) }" && note="$note generator-limited;"
	# the writer threads' share (named bpfrec-writer; a recorder that does
	# not name them: -)
	# the blocks encoded fast while the writers were behind, and the bytes
	# an event the capture would take had they been compact (their events
	# at the compact blocks' bytes an event): the encoding's figure
	kinds=$(command -v python3 >/dev/null && python3 "$here/blockkinds.py" "$p.cap" 2>/dev/null)
	fastb=- bpe_compact=$(calc "$bytes / $ev")
	nb=$(echo "$kinds" | grep -o 'blocks=[0-9]*' | head -1 | cut -d= -f2)
	if num "$nb" && [ "$nb" -gt 0 ]; then
		fastb=$(calc "100 * $(kv_str "$kinds" fast_blocks) / $nb")
		cbpe=$(kv_str "$kinds" compact_bpe)
		num "$cbpe" && bpe_compact=$(calc "($bytes - $(kv_str "$kinds" fast_bytes) + $(kv_str "$kinds" fast_events) * $cbpe) / $ev")
	fi
	w_s=$(kv "$p.out" rec_writers_cpu_s) wr=-
	num "$w_s" && awk "BEGIN { exit !($w_s > 0) }" && wr=$(calc "$w_s / ($ev / 1e6)")
	say "$(printf '%-8s %9.2f %12s %10s %8.2f %9.2f %9.3f %9s %6s %9.1f %9.1f %9.1f %6s %s' "$rate M" \
		"$(calc "$grate / 1e6")" "$ev" "$lost" "$(calc "$bytes / $ev")" "$(calc "$blk / $ev")" \
		"$(calc "$c_s / ($ev / 1e6)")" "$(fmt %.3f "$wr")" "$(fmt %.1f "$fastb")" "$(calc "$h / 1024")" "$(calc "$rr / 1024")" \
		"$(calc "($h - $rr) / 1024")" "$(kv "$p.out" cpu_pressure)" "$note")"
	[ -z "$first_bpe" ] && first_bpe=$bpe_compact first_fast=$fastb first_bpe_all=$(calc "$bytes / $ev")
	gen_cpu[$rate]="${gen_cpu[$rate]:-} $(calc "$c_s / ($ev / 1e6)")"
	num "$wr" && gen_wr[$rate]="${gen_wr[$rate]:-} $wr"
	num "$rest_max" || rest_max=0
	rest_max=$(calc "($h - $rr) / 1024 > $rest_max ? ($h - $rr) / 1024 : $rest_max")
	if [ "$lost" -eq 0 ]; then
		clean_reps=$((clean_reps + 1))
		best_rate=$(calc "$grate / 1e6 > $best_rate ? $grate / 1e6 : $best_rate")
	fi
	awk "BEGIN { exit !($grate < 0.95 * $rate * 1e6) }" && gen_limited=1
	if [ -z "${entropy_cap:-}" ]; then
		entropy_cap=$p.cap   # keep the first for the entropy line
	elif [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$p.cap"
	fi
	awk "BEGIN { exit !($grate < 0.95 * $rate * 1e6) }" && { rate_stop=1; break; }
	done
	# The headline is the highest rate held without a loss in every run of
	# it; one noisy moment does not end the climb, a rate lost in every run does.
	[ "$clean_reps" = "$gen_reps" ] && held_rate=$rate
	[ "$clean_reps" -gt 0 ] && rate_summary="$rate_summary ${rate}M:${clean_reps}/${runs}"
	[ "$rate_stop" = 1 ] && break
	[ "$clean_reps" -eq 0 ] && break
done
say "(Mev/s: events produced / generator wall time; lost: the capture's losses (failed reserves)"
say " or produced - recorded, whichever is more; B/event: capture dir / events; blk B/ev: the"
say " zstd blocks alone; cpu s/Mev: recorder CPU until idle after the run; writers: of that, the"
say " writer threads' (encode, zstd, write, index; the rest is the drain thread's); fast%: blocks"
say " encoded fast, without dictionaries, while the writers were behind; RSS: VmHWM; rest:"
say " RSS minus the mapped ring (counted twice: data pages are mapped twice); press: as above)"

if [ -n "${entropy_cap:-}" ] && command -v python3 >/dev/null; then
	say ""
	say "Information in the generator's events (first 300000 of the first rate's capture): $(
		"$REPLAY" sql -o csv "$entropy_cap" \
			'SELECT ts,pid,tid,comm,path_hash,op,ret,latency_ns FROM events LIMIT 300000' |
			python3 "$here/entropy.py")"
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$entropy_cap"
fi
say ""
# median V...: the median of the values, "-" for none.
median() {
	[ $# -gt 0 ] || { echo -; return; }
	printf '%s\n' "$@" | sort -g |
		awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# met COND: "met" or "NOT met", COND an awk expression.
met() { awk "BEGIN { exit !($1) }" 2>/dev/null && echo met || echo "NOT met"; }
say "Targets (issues 5 and 18):"
if num "${S_slow[bpfrec]:-}" || num "${S_slow[btf]:-}"; then
	best=bpfrec
	num "${S_slow[bpfrec]:-}" || best=btf
	say "  syscall load, bpfrec loses nothing: lost ${S_lost[$best]} (${label[$best]}): $(met "${S_lost[$best]} == 0")"
	for c in btf fentry; do
		num "${S_slow[$c]:-}" && awk "BEGIN { exit !(${S_slow[$c]} < ${S_slow[$best]}) }" && best=$c
	done
	silent=attach
	[ $best = btf ] && silent=btfattach
	say "  syscall load, bpfrec's loop <= 1.35x bare: $(fmt %.2f "${S_slow[$best]}")x with ${label[$best]}: $(met "${S_slow[$best]} <= 1.35")$(num "${S_slow[$silent]:-}" && echo " (the same hook, its probe emitting nothing: $(fmt %.2f "${S_slow[$silent]}")x)")"
	num "${S_ns[$silent]:-}" &&
		say "  syscall load, the probe's own cost <= ~20 ns per call over the silent program (issue 18), by wall time: $(fmt %.1f "$(calc "${S_ns[$best]} - ${S_ns[$silent]}")") ns: $(met "${S_ns[$best]} - ${S_ns[$silent]} <= 20")$(num "${S_ns[btfold]:-}" && echo " (before staging, tp_btf: $(fmt %.1f "$(calc "${S_ns[btfold]} - ${S_ns[btfattach]:-0}")") ns)")"
	num "${S_pns[$best]:-}" && num "${S_pns[$silent]:-}" &&
		say "  the same by the kernel's BPF stats (prog ns): $(fmt %.1f "$(calc "${S_pns[$best]} - ${S_pns[$silent]}")") ns: $(met "${S_pns[$best]} - ${S_pns[$silent]} <= 20")$(num "${S_pns[btfold]:-}" && num "${S_pns[btfattach]:-}" && echo " (before staging, tp_btf: $(fmt %.1f "$(calc "${S_pns[btfold]} - ${S_pns[btfattach]}")") ns)")"
	num "${S_pns[btfstaged]:-}" && num "${S_pns[btfattach]:-}" &&
		say "  (staged batches copied to the ring, tp_btf, by BPF stats: $(fmt %.1f "$(calc "${S_pns[btfstaged]} - ${S_pns[btfattach]}")") ns over the silent program)"
	num "${S_pns[btfclock]:-}" && num "${S_pns[btfattach]:-}" && num "${S_ns[btfclock]:-}" &&
		say "  (the floor: a probe that reads the clock and makes no event, tp_btf: $(fmt %.1f "$(calc "${S_pns[btfclock]} - ${S_pns[btfattach]}")") ns over the silent program by BPF stats, $(fmt %.1f "$(calc "${S_ns[btfclock]} - ${S_ns[btfattach]}")") by wall time, $(fmt %.2f "${S_slow[btfclock]}")x bare)"
	num "${S_evs[perf]:-}" && num "${S_evs[bpfrec]:-}" &&
		say "  syscall load, bpfrec records >= perf's events/s: $(fmt %.3f "${S_evs[bpfrec]}") vs $(fmt %.3f "${S_evs[perf]}") M/s: $(met "${S_evs[bpfrec]} >= ${S_evs[perf]}")"
fi
if [ -z "$rates" ]; then
	say "  generator: not run (--rates none)"
else
	say "  generator, highest rate held for $seconds s with zero loss in all $gen_reps run(s): $held_rate M/s (runs without loss per rate:${rate_summary:- none}); best single run $(fmt %.2f "$best_rate") M/s"
	say "  generator, 8 M events/s for $seconds s with zero loss in all $gen_reps run(s) (issue 18): $(met "$held_rate >= 8")"
	say "  generator, >= 5 M events/s for $seconds s with zero loss (aim 8): $(fmt %.2f "$best_rate") M/s: $(met "$best_rate >= 4.95")$(awk "BEGIN { exit !($seconds < 30) }" && echo " (runs of $seconds s, not 30)")$([ $gen_limited = 1 ] && echo " (the generator could not reach the next rate on this machine)")"
	# The recorder's CPU per event at 8 M/s (the issue's rate), else at the
	# highest rate run: the median of that rate's runs.
	cpu_rate=
	for rate in $rates; do
		[ -n "${gen_cpu[$rate]:-}" ] && cpu_rate=$rate
		[ "$rate" = 8 ] && [ -n "${gen_cpu[8]:-}" ] && break
	done
	if [ -n "$cpu_rate" ]; then
		cpu_med=$(median ${gen_cpu[$cpu_rate]})
		wr_med=$(median ${gen_wr[$cpu_rate]:-})
		say "  generator, recorder <= 0.07 CPU s per M events (issue 18), at $cpu_rate M/s: $(fmt %.3f "$cpu_med") (median of its runs:$(for v in ${gen_cpu[$cpu_rate]}; do printf ' %.3f' "$v"; done)$(num "$wr_med" && echo "; the writer threads' $(fmt %.3f "$wr_med"), the drain's $(fmt %.3f "$(calc "$cpu_med - $wr_med")")")): $(met "$cpu_med <= 0.07")"
	fi
	# The target is judged on the capture as written: fast blocks the
	# writers made while behind count at their own bytes.  The compact
	# blocks' figure (their events counted at the compact bytes an event)
	# is said beside, as the encoding's own figure.
	fast_note=
	num "$first_fast" && awk "BEGIN { exit !($first_fast > 0) }" &&
		fast_note=" (as written, with $(fmt %.0f "$first_fast")% of its blocks fast ones made while the writers were behind; compact blocks alone: $(fmt %.2f "$first_bpe"))"
	num "$first_bpe_all" && say "  <= 6 bytes/event on disk, varied events: $(fmt %.2f "$first_bpe_all")$fast_note: $(met "$first_bpe_all <= 6")"
	num "$first_bpe_all" && say "  <= 4.6 bytes/event on disk, varied events (issue 18): $(fmt %.2f "$first_bpe_all")$fast_note: $(met "$first_bpe_all <= 4.6")"
fi
if num "$rest_max"; then
	say "  peak RSS <= 64 MiB beyond the mapped rings, any rate (issues 5, 18): at most $(fmt %.1f "$rest_max") MiB: $(met "$rest_max <= 64")"
else
	say "  peak RSS beyond the mapped rings: not measured (no bpfrec row ran)"
fi
say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run.sh: results in $out" >&2
