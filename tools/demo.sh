#!/usr/bin/env bash
# tools/demo.sh - the README's first command: set up, build, record a few
# seconds of a small demo command with the built-in probes, and print it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
CAP=${1:-/tmp/bpfrec-demo}
$SUDO rm -rf "$CAP"

# The demo: runs programs, connects to a port nobody listens on (refused:
# ret -111) and exits 3.  Only its process tree is kept.
DEMO='uname -r; ls / >/dev/null; (exec 3<>/dev/tcp/127.0.0.1/1) 2>/dev/null; sleep 1; exit 3'
# bpfrec exits with the command's status: the demo's 3 is expected.
status=0
$SUDO build/recorder/bpfrec record -o "$CAP" -- bash -c "$DEMO" || status=$?
[ "$status" -eq 3 ] || { echo "demo: bpfrec exited $status (the demo command exits 3)" >&2; exit 1; }
echo
build/replay/bpfreplay info "$CAP"
echo
build/replay/bpfreplay show "$CAP"
