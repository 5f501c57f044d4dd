#!/usr/bin/env bash
# tools/bench/sql/attach.sh - attaching many captures with many streams:
# what `bpfreplay sql DIR ...` spends before its first row when DIR holds C
# captures of S streams each (each of S names a table that joins the same
# stream of every capture).
#
#   tools/bench/sql/attach.sh [--build DIR]... [--captures C] [--streams S]
#                             [--rounds R] [--callgrind] [--data DIR]
#
#   --build DIR   a build holding replay/bpfreplay (default build); give it
#                 more than once to compare builds: their runs alternate,
#                 round by round, in one sitting.  The first build that
#                 has tools/bench/sql/mkcap writes the data.
#   --captures C  captures in the directory (default 20)
#   --streams S   streams in each (default 2002; at most 2048 make tables)
#   --rounds R    best of R (default 5)
#   --callgrind   also each build's instructions, one run under callgrind
#                 (user space, the whole process)
#   --data DIR    where the captures go (default a fresh directory under
#                 /tmp, removed at the end)
#
# The data: mkcap's capture of 1000 exec events, whose index then gets
# S - 1 more streams of the same type (exec1, exec2, ...; no records:
# attaching is what is measured), copied C times into one directory.  The
# statement, `SELECT count(*) FROM sqlite_schema`, reads no capture; its
# answer (the tables made) must be the same for every build.  Printed per
# build: the best CPU time (user + system, /usr/bin/time) and wall time of
# the whole process, and with --callgrind its instructions.
set -euo pipefail

. "$(dirname "$0")/../lib.sh"
builds=()
captures=20 streams=2002 rounds=5 callgrind=0 data=""
while (($#)); do
	case $1 in
	-h|--help) awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	--callgrind) callgrind=1; shift; continue ;;
	--build|--captures|--streams|--rounds|--data) (($# >= 2)) || bench_die "$1 needs a value" ;;
	*) echo "$bench_name: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	case $1 in
	--build) builds+=("$2") ;;
	--captures) captures=$2 ;;
	--streams) streams=$2 ;;
	--rounds) rounds=$2 ;;
	--data) data=$2 ;;
	esac
	shift 2
done
((${#builds[@]})) || builds=("$repo/build")
[[ $captures =~ ^[1-9][0-9]*$ && $streams =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
	bench_die "--captures, --streams and --rounds take a positive integer"
for b in "${builds[@]}"; do
	bench_need_files "$b/replay/bpfreplay"
done
mkcap=""
for b in "${builds[@]}"; do
	[[ -n $mkcap || ! -x $b/tools/bench/sql/mkcap ]] || mkcap=$b/tools/bench/sql/mkcap
done
[[ -n $mkcap ]] || bench_die "no build holds tools/bench/sql/mkcap: cmake --build BUILD --target mkcap"
bench_need_cmds sqlite3 bc /usr/bin/time
((callgrind)) && bench_need_cmds valgrind

if [[ -z $data ]]; then
	bench_workdir attach
	data=$work
fi
mkdir -p "$data"
dir=$data/caps
rm -rf "$dir" "$data/one"
"$mkcap" -n 1000 "$data/one" "$data/plain.db" >/dev/null
rm -f "$data/plain.db"
sqlite3 "$data/one/index.db" "
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $streams - 1)
	INSERT INTO streams (name, kind, object_id, map_name, type_name, type_id, ts_offset)
	SELECT 'exec' || i, kind, object_id, map_name, type_name, type_id, ts_offset
	FROM n, (SELECT * FROM streams WHERE name = 'exec')"
mkdir -p "$dir"
for ((i = 1; i <= captures; i++)); do
	cp -r "$data/one" "$dir/cap$i"
done
rm -rf "$data/one"

q="SELECT count(*) FROM sqlite_schema"
declare -A CPU WALL ANS
for ((round = 1; round <= rounds; round++)); do
	for b in "${builds[@]}"; do
		/usr/bin/time -f '%U %S %e' -o "$data/time" \
			"$b/replay/bpfreplay" sql -o csv "$dir" "$q" >"$data/out" 2>"$data/err" ||
			bench_die "$b: bpfreplay sql failed: $(tail -2 "$data/err")"
		read -r u s e <"$data/time"
		c=$(printf "%.2f" "$(echo "$u + $s" | bc)")
		a=$(tail -1 "$data/out")
		[[ -z ${ANS[$b]:-} || ${ANS[$b]} == "$a" ]] || bench_die "$b: answers differ"
		ANS[$b]=$a
		if [[ -z ${CPU[$b]:-} ]] || (($(echo "$c < ${CPU[$b]}" | bc))); then
			CPU[$b]=$c WALL[$b]=$e
		fi
	done
done

echo "== bpfreplay sql over $captures captures of $streams streams (one directory): '$q'"
echo "== best of $rounds, builds alternated; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cg_head="" cg_rule=""
((callgrind)) && cg_head=" instructions |" cg_rule="---|"
echo "| build | tables made | CPU s (user + sys) | wall s |$cg_head"
echo "|---|---|---|---|$cg_rule"
for b in "${builds[@]}"; do
	ir=""
	if ((callgrind)); then
		valgrind --tool=callgrind --callgrind-out-file="$data/cg.out" \
			"$b/replay/bpfreplay" sql -o csv "$dir" "$q" >/dev/null 2>"$data/cg.err" ||
			bench_die "$b: callgrind run failed: $(tail -2 "$data/cg.err")"
		ir=" $(awk '/^summary:|^totals:/ { printf "%.2f G", $2 / 1e9; exit }' "$data/cg.out") |"
	fi
	echo "| $b | ${ANS[$b]} | ${CPU[$b]} | ${WALL[$b]} |$ir"
done
