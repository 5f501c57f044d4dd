#!/usr/bin/env bash
# tools/test-package.sh - the .deb as a user meets it (CI, as root): build it
# with tools/package.sh, install it with apt-get (which pulls its Depends),
# run the installed bpfrec probes, record a second of exec events and read
# them back with the installed bpfreplay info, then remove the package and
# check that nothing of it is left.
#
#   tools/test-package.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ "$(id -u)" -eq 0 ] || { echo "test-package.sh: SKIPPED: needs root (dpkg -i)"; exit 0; }
if dpkg-query -W -f='${Status}' bpfrec 2>/dev/null | grep -q "install ok installed"; then
	echo "test-package.sh: SKIPPED: a bpfrec package is installed already: not touching it"
	exit 0
fi
tmp=$(mktemp -d)
trap 'dpkg -r bpfrec >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

deb=$(tools/package.sh "$build" "$tmp")
echo "== $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >/dev/null
test "$(command -v bpfrec)" = /usr/bin/bpfrec
/usr/bin/bpfrec version
/usr/bin/bpfrec probes
/usr/bin/bpfrec record -q -o "$tmp/cap" --probe exec -d 1s -- /bin/true
/usr/bin/bpfreplay info "$tmp/cap" | grep -E '^(events|streams)'
/usr/bin/bpfreplay sql "$tmp/cap" "SELECT count(*) FROM exec WHERE filename = '/bin/true'" | grep -q '^ *1$'
man -w bpfrec-format >/dev/null
dpkg -r bpfrec >/dev/null
for f in /usr/bin/bpfrec /usr/bin/bpfreplay /usr/include/bpfrec/bpfrec.h /usr/share/man/man1/bpfrec.1; do
	[ ! -e "$f" ] || { echo "test-package.sh: $f left after dpkg -r" >&2; exit 1; }
done
echo "test-package.sh: ok (installed, probes, record, info, sql, removed)"
