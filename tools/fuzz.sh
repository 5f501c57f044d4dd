#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] - build the libFuzzer targets (tests/fuzz/, clang,
# ASan + UBSan) in build-fuzz/ and run each one for SECONDS (default 60) on
# its seed corpus (tests/fuzz/corpus/TARGET/) after replaying its regression
# inputs (tests/fuzz/regress/TARGET/).  Exits 1 if any target reports a crash,
# a sanitizer error, a leak, a timeout or running out of memory; the input is
# kept in build-fuzz/fuzz-artifacts/ and the report in build-fuzz/fuzz-logs/.
# New inputs found go to build-fuzz/fuzz-corpus/TARGET/ (the sources stay as
# they are).  The targets run FUZZ_JOBS at a time (default: the CPU count),
# each for SECONDS of its own.  Env: BUILD_DIR (build-fuzz), FUZZ_TARGETS
# (all seven), FUZZ_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
build=${BUILD_DIR:-build-fuzz}
targets=${FUZZ_TARGETS:-"fuzz_block fuzz_index fuzz_evtype fuzz_bundle fuzz_schema fuzz_chain fuzz_perfmap"}
jobs=${FUZZ_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || { echo "fuzz.sh: FUZZ_JOBS=$jobs: not a positive count" >&2; exit 2; }

if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi
CC=clang cmake -S . -B "$build" -DBPFREC_FUZZ=ON -DBPFREC_BPF=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets >/dev/null

mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One target: its regression inputs, then SECONDS of fuzzing.  Its verdict is
# one line on stdout (ok) or stderr (failed), so parallel targets never
# interleave within a line.
fuzz_one() {
	local t=$1
	local bin=$build/tests/fuzz/$t
	local work=$build/fuzz-corpus/$t
	local log=$build/fuzz-logs/$t.log
	mkdir -p "$work"
	local regress=()
	if [ -d "tests/fuzz/regress/$t" ]; then
		mapfile -t regress < <(find "tests/fuzz/regress/$t" -type f | sort)
	fi
	if [ ${#regress[@]} -gt 0 ] && ! "$bin" "${regress[@]}" >"$log.regress" 2>&1; then
		{ echo "fuzz.sh: $t: a regression input fails again (see $log.regress)"
		  tail -n 30 "$log.regress"; } >&2
		return 1
	fi
	if "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "tests/fuzz/corpus/$t" \
		>"$log" 2>&1; then
		echo "fuzz.sh: $t: ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
			grep -o '[0-9]*$') runs in ${secs}s, $(grep -o 'cov: [0-9]*' "$log" | tail -1)"
	else
		{ echo "fuzz.sh: $t: FAILED (log $log; input in $build/fuzz-artifacts/)"
		  grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true; } >&2
		return 1
	fi
}

status=0
running=0
for t in $targets; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || status=1
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || status=1
	running=$((running - 1))
done
exit $status
