#!/usr/bin/env bash
# tests/fuzz/mkcorpus.sh - remake the seed corpus (tests/fuzz/corpus/) after a
# change of the capture format: a real capture recorded by bpfrec (needs root
# and the BPF build), one with stacks, the unit tests' fixture capture, and
# bundles of them.
#   tests/fuzz/mkcorpus.sh [BUILD (build)] [FUZZ_BUILD (build-fuzz)]
# Only the seeds made here (real-*, whole-*, fix-*, fuzz_schema's) are
# replaced; the others (the block tests' --seed ones, fuzz_chain's, and the
# prev-* ones: seeds of an earlier run kept for the code only they reach,
# found by libFuzzer's -merge=1 against the new ones) stay.
#
# Seeds are committed: they must not carry this machine's paths.  The
# recordings run in a mount namespace of their own with the work directory
# at /mnt, so that the command lines, mapped files and line tables they
# store say /mnt/..., and bpfrec's probes name their sources ./bpf/...
# (bpf/CMakeLists.txt).  The last line greps the corpus for the tree's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build}")
fuzz=$(realpath "${2:-build-fuzz}")
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
# the stack test's program, its line table naming ./stackprog.c
cp tests/bpf/stackprog.c "$tmp/"
(cd "$tmp" && cc -O1 -g -fno-omit-frame-pointer -fno-inline -fdebug-prefix-map="$tmp"=. \
	-Wl,--build-id=sha1 -o stackprog stackprog.c)
cp "$build/recorder/bpfrec" "$tmp/bpfrec"
unshare -m --propagation private /bin/bash -euc '
	mount --bind "$1" /mnt
	cd /mnt
	./bpfrec record -q -o real -- /bin/bash act.sh 2>/dev/null
	# fuzz_evtype: the objects whole BTF too (--full-btf: as captures before
	# the recorder cut it, which bpfreplay reads and bundle cuts)
	./bpfrec record -q --full-btf -o whole -- /bin/bash act.sh 2>/dev/null
	./bpfrec record -q -o stacks -g --probe connect -- ./stackprog connect 2>/dev/null
' mkcorpus "$tmp"
"$mk" --fixture "$tmp/fix"
"$replay" verify "$tmp/real" >/dev/null
rm -f tests/fuzz/corpus/*/real-* tests/fuzz/corpus/*/whole-* tests/fuzz/corpus/*/fix-*
mkdir -p tests/fuzz/corpus
"$mk" "$tmp/real" tests/fuzz/corpus real
"$mk" "$tmp/whole" "$tmp/whole-seeds" whole
cp "$tmp/whole-seeds/fuzz_evtype/"* tests/fuzz/corpus/fuzz_evtype/
"$mk" "$tmp/fix" tests/fuzz/corpus fix
rm -f tests/fuzz/corpus/fuzz_index/real-fuzzcap-exit.db   # exec's BTF is enough of that size
"$replay" bundle "$tmp/real" -o "$tmp/real-net.bpfrec" --stream connect,sock >/dev/null
"$replay" bundle "$tmp/real" -o "$tmp/real-red.bpfrec" --redact=default,comm \
	--stream exec,connect,sock --since +1ms >/dev/null
"$replay" bundle "$tmp/stacks" -o "$tmp/real-stacks.bpfrec" >/dev/null
"$replay" bundle "$tmp/fix" -o "$tmp/fix-slice.bpfrec" --pid 101 --until +1ms \
	--redact=alpha.comm >/dev/null 2>&1 || true
for b in real-net real-red real-stacks fix-slice; do
	"$mk" --small "$tmp/$b.bpfrec" "tests/fuzz/corpus/fuzz_bundle/$b.bpfrec"
done
/usr/bin/python3 tests/fuzz/mkschemaseeds.py     # fuzz_schema: hostile schemas
du -sh tests/fuzz/corpus
if grep -rl "$PWD" tests/fuzz/corpus; then
	echo "mkcorpus.sh: the seeds above hold the path of this tree" >&2
	exit 1
fi
