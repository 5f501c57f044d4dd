#!/usr/bin/env bash
# tests/fuzz/mkcorpus.sh - remake the seed corpus (tests/fuzz/corpus/) after a
# change of the capture format: a real capture recorded by bpfrec (needs root
# and the BPF build), the unit tests' fixture capture, and bundles of both.
#   tests/fuzz/mkcorpus.sh [BUILD (build)] [FUZZ_BUILD (build-fuzz)]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
fuzz=${2:-build-fuzz}
mk=$fuzz/tests/fuzz/fuzz_mkseeds
replay=$build/replay/bpfreplay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/act.sh" <<'ACT'
/usr/bin/ls / >/dev/null; /usr/bin/cat /etc/hostname >/dev/null; /usr/bin/true
exec 3<>/dev/tcp/127.0.0.1/9 2>/dev/null; exec 3<>/dev/tcp/::1/9 2>/dev/null
/usr/bin/python3 -c 'import socket; u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); u.close()'
exit 0
ACT
"$build/recorder/bpfrec" record -q -o "$tmp/real" -- /bin/bash "$tmp/act.sh" 2>/dev/null
"$mk" --fixture "$tmp/fix"
"$replay" verify "$tmp/real" >/dev/null
rm -rf tests/fuzz/corpus && mkdir -p tests/fuzz/corpus
"$mk" "$tmp/real" tests/fuzz/corpus real
# fuzz_evtype: the objects' whole BTF too (--full-btf: as captures before
# the recorder cut it, which bpfreplay reads and bundle cuts)
"$build/recorder/bpfrec" record -q --full-btf -o "$tmp/whole" -- /bin/bash "$tmp/act.sh" 2>/dev/null
"$mk" "$tmp/whole" "$tmp/whole-seeds" whole
cp "$tmp/whole-seeds/fuzz_evtype/"* tests/fuzz/corpus/fuzz_evtype/
"$mk" "$tmp/fix" tests/fuzz/corpus fix
rm -f tests/fuzz/corpus/fuzz_index/real-fuzzcap-exit.db   # exec's BTF is enough of that size
"$replay" bundle "$tmp/real" -o "$tmp/real-net.bpfrec" --stream connect,sock >/dev/null
"$replay" bundle "$tmp/real" -o "$tmp/real-red.bpfrec" --redact=default,comm \
	--stream exec,connect,sock --since +1ms >/dev/null
"$replay" bundle "$tmp/fix" -o "$tmp/fix-slice.bpfrec" --pid 101 --until +1ms \
	--redact=alpha.comm >/dev/null 2>&1 || true
for b in real-net real-red fix-slice; do
	"$mk" --small "$tmp/$b.bpfrec" "tests/fuzz/corpus/fuzz_bundle/$b.bpfrec"
done
/usr/bin/python3 tests/fuzz/mkschemaseeds.py     # fuzz_schema: hostile schemas
du -sh tests/fuzz/corpus
