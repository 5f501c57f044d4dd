#!/usr/bin/env bash
# tools/package.sh - a Debian package of bpfrec from a build directory:
# `cmake --install` into a staging root under /usr, a control file whose
# Depends are the Debian 12 libraries the binaries link, then dpkg-deb.
#
#   tools/package.sh [BUILD_DIR [OUT_DIR]]     (default build/ and build/)
#
# Prints the path of the .deb.  Install it with `apt-get install ./FILE.deb`
# (or dpkg -i); remove it with `dpkg -r bpfrec`.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-$build}
[ -x "$build/replay/bpfreplay" ] || { echo "package.sh: $build is not a bpfrec build (run tools/setup.sh)" >&2; exit 1; }

version=$(sed -n 's/^project(bpfrec VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || version=0.0.0
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

DESTDIR="$stage" cmake --install "$build" --prefix /usr >/dev/null

# Depends: the Debian packages that own the shared libraries the binaries use.
deps=$(for f in "$stage"/usr/bin/* "$stage"/usr/lib/*/bpfrec/*.so "$stage"/usr/lib/bpfrec/*.so; do
		[ -f "$f" ] && ldd "$f" 2>/dev/null | awk '/=> \//{print $3}'
	done | sort -u | while read -r lib; do
		dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null || dpkg-query -S "$lib" 2>/dev/null || true
	done | cut -d: -f1 | sort -u | grep -v '^libc6$' | paste -sd, | sed 's/,/, /g')

mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: bpfrec
Version: $version
Architecture: $arch
Maintainer: bpfrec developers <bpfrec@localhost>
Depends: libc6${deps:+, $deps}
Section: devel
Priority: optional
Description: eBPF event recorder and offline SQL reader
 bpfrec records BPF events (built-in probes or your own .bpf.o) into a
 compressed capture with an SQLite index; bpfreplay prints it and answers
 SQL over it on any machine, without root or BPF.
CONTROL
deb="$out/bpfrec_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
