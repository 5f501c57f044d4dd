# tools/bench/lib.sh - what the benchmark scripts share; sourced, after
# which $repo is the checkout and $bench_name the script's name.
#
#   bench_args SPEC "$@"   the command line: SPEC is words OPTION=VAR (the
#                          option takes a value, into VAR) or OPTION=VAR=VALUE
#                          (a flag: VAR gets VALUE); -h/--help prints the
#                          script's header comment; anything else exits 2
#   bench_die MSG          "NAME: MSG" on stderr, exit 1
#   bench_need_root        exits unless root
#   bench_need_files F...  exits unless each F is an executable of the build
#   bench_need_cmds C...   exits unless each command C is installed
#   bench_workdir TAG      $work: a fresh directory under /tmp, removed at exit
#   bench_build_release BUILD LOG TARGET...
#                          configures BUILD (Release, if new) and builds the
#                          targets, output in LOG (printed if it fails)
#   bench_mkcap BUILD CAP N REUSE
#                          the SQL benchmark's capture of N exec events in CAP
#                          (tools/bench/sql/mkcap.c), kept when REUSE is 1
#                          and CAP exists
#   median                 the median of the numbers on stdin, one a line
#   spread                 "median lower-quartile least" of the numbers on
#                          stdin, one a line (on a shared machine other work
#                          only adds time: the least is the steadiest)
#   dir_bytes PATH         bytes of a file or a directory's files (du -sb)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench_name=$(basename "$0")

bench_die() {
	echo "$bench_name: $*" >&2
	exit 1
}

bench_args() {
	local spec=$1 w opt var val found
	shift
	while (($#)); do
		case $1 in
		-h|--help) awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
		esac
		found=0
		for w in $spec; do
			IFS== read -r opt var val <<<"$w"
			[[ $1 == "$opt" ]] || continue
			found=1
			if [[ $w == *=*=* ]]; then
				printf -v "$var" '%s' "$val"
			else
				(($# >= 2)) || { echo "$bench_name: option $1 needs a value" >&2; exit 2; }
				printf -v "$var" '%s' "$2"
				shift
			fi
			break
		done
		((found)) || { echo "$bench_name: unknown option '$1' (see --help)" >&2; exit 2; }
		shift
	done
}

bench_need_root() {
	[ "$(id -u)" -eq 0 ] || bench_die "needs root"
}

bench_need_files() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || bench_die "$f missing: cmake --build ${build:-build}"
	done
}

bench_need_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || bench_die "$c missing (tools/setup.sh installs it)"
	done
}

bench_workdir() {
	work=$(mktemp -d "/tmp/bpfrec-$1.XXXXXX") || bench_die "mktemp"
	trap 'rm -rf "$work"' EXIT
}

bench_build_release() {
	local build=$1 log=$2
	shift 2
	mkdir -p "$build"
	{ if [[ -f $build/CMakeCache.txt ]]; then cmake "$build"
	  else cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release; fi
	  cmake --build "$build" -j"$(nproc)" --target "$@"
	} >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
}

bench_mkcap() {
	local build=$1 cap=$2 n=$3 reuse=$4 data
	data=$(dirname "$cap")
	if [[ $reuse = 0 || ! -d $cap ]]; then
		rm -rf "$cap" "$data/plain.db"
		"$build/tools/bench/sql/mkcap" -n "$n" "$cap" "$data/plain.db" >/dev/null
		rm -f "$data/plain.db"   # the SQL benchmark's; not needed here
	fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[1] }'; }
dir_bytes() { du -sb "$1" | cut -f1; }
