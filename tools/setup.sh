#!/usr/bin/env bash
# tools/setup.sh - install what is missing (Debian 12 packages only) and build
# bpfrec into build/ (or $BUILD_DIR).  Safe to run again: it installs only
# missing packages and rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test dependencies.  bpftool makes vmlinux.h and the skeletons;
# libclang-rt-14-dev gives clang its sanitizer and libFuzzer runtimes;
# libdw-dev reads event types from an object's DWARF (recorder/dwarfbtf.c);
# sqlite3 and python3 run the README's extension examples (tested); nodejs
# and npm run the independent Parquet readers of the export tests; chromium
# opens `bpfreplay report`'s page headless (test_report); linux-perf (perf
# record/report/script) is the reference the stack and tracepoint tests
# compare against, and with strace of the tracepoint benchmarks; binutils'
# addr2line and nm are the reference for the source lines test_stacks_lines
# reads back; libedit-dev is bpfreplay sql's line editor and tmux drives it
# in test_sql_prompt;
# nettle-dev gives bpfreplay its SHA-256 and HMAC (bundle --redact, report);
# curl is the README's first recorded command (tests/doc/readme_examples.py).
PACKAGES=(gcc make cmake pkg-config clang llvm bpftool
          libbpf-dev libelf-dev libdw-dev zlib1g-dev libsqlite3-dev libzstd-dev
          libclang-rt-14-dev sqlite3 python3 iproute2 procps nodejs chromium linux-perf
          libedit-dev tmux strace nettle-dev binutils curl)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's npm, unless a nodejs package that carries its own npm is installed.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Readers that no one here wrote, for the export tests (tests/node/package.json:
# DuckDB and hyparquet, from the npm registry), into tests/node/node_modules.
if [ ! -d tests/node/node_modules ] || [ tests/node/package.json -nt tests/node/node_modules ]; then
	echo "setup: installing the test readers from npm (tests/node)"
	(cd tests/node && npm install --no-audit --no-fund --loglevel=error) ||
		echo "setup: npm install failed: the Parquet reader tests will be skipped" >&2
	touch tests/node/node_modules 2>/dev/null || true
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/recorder/bpfrec and $BUILD_DIR/replay/bpfreplay"
