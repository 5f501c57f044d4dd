#!/usr/bin/env bash
# tools/test.sh - the README's second command, and what CI runs (.ci/run):
# install what is missing, build, run every test (unit and BPF tiers), then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run the
# whole suite there too, then run each libFuzzer target for 30 s on its seed
# corpus (tools/fuzz.sh).  BPF tests need root; without it they report SKIPPED.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

tools/setup.sh
echo "== tests (build/)"
ctest --test-dir build --output-on-failure -j2 --timeout 300 | tee -a "$log"

echo "== the .deb: install, probes, record, info, remove (tools/test-package.sh)"
tools/test-package.sh build

echo "== tests with ASan + UBSan (build-asan/)"
BUILD_DIR=build-asan tools/setup.sh -DBPFREC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 | tee -a "$log"

echo "== fuzz targets, 30 s each (build-fuzz/)"
tools/fuzz.sh 30 | tee -a "$log"

# One closing line over all three: ctest's runs and the fuzz targets.
passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log" || true)
failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(Failed|Exception|Timeout)' "$log" || true)
skipped=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*Skipped' "$log" || true)
fuzz_ok=$(grep -c '^fuzz.sh: .*: ok' "$log" || true)
echo "tests: $((passed + fuzz_ok)) passed, $failed failed, $skipped skipped"
