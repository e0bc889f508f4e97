#!/usr/bin/env bash
# instructions.sh - instructions per signal of the sending and the receiving
# daemon end to end, counted by valgrind's callgrind: a figure that does
# not move with the load of a shared machine, for comparing two builds.
#
#   bash tests/bench/instructions.sh [BUILD-DIR] [BUILD-DIR-B]
#
# Runs run.sh's e2e phase twice per build under callgrind, with COUNT
# (default 5000) and COUNT/5 signals, and prints the difference of the
# daemons' instruction totals divided by the difference in signals: the
# cost of one more signal, start-up and shutdown left out. With two build
# directories, both are measured and the ratio printed.
#
# Caveats: callgrind runs the code on a simulated CPU that has no SHA
# extensions, so OpenSSL's SHA-256 counts about ten times what it costs on
# a CPU with SHA-NI; and instructions are not time (cache misses, system
# calls and the kernel's share are not in them). Use it to see what a
# change does to the work per signal; use run.sh for what it does to
# throughput. Needs valgrind (apt-get install valgrind). KEEP=1 keeps the
# callgrind files, for callgrind_annotate (where the instructions go).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COUNT=${COUNT:-5000}
case $COUNT in
*[!0-9]* | '')
	echo "instructions.sh: COUNT must be a number" >&2
	exit 2
	;;
esac
if [ "$COUNT" -lt 500 ]; then
	echo "instructions.sh: COUNT must be at least 500" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null; then
	echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
	exit 2
fi
SMALL=$((COUNT / 5))

# total instructions of each daemon for one e2e run of $2 signals with
# build $1: prints "sender receiver"
totals() {
	local build=$1 n=$2 out
	out=$(mktemp -d /tmp/seinhuis-cg.XXXXXX)
	chmod 777 "$out"
	# (no resending: under callgrind on a loaded machine a run of 5000
	# signals has taken 160 s, and a resent signal counts twice)
	WRAP="valgrind --tool=callgrind --callgrind-out-file=$out/cg.%p" \
		BENCH_CONF="retry_min_ms=600000;retry_max_ms=600000" \
		BENCH_COUNT=$n PHASES=e2e RUNS=1 \
		PACED_COUNT=0 bash "$HERE/run.sh" "$build" >"$out/run.log" 2>&1
	local s=0 r=0 f t
	for f in "$out"/cg.*; do
		[ -s "$f" ] || continue
		t=$(awk '/^summary:/{print $2}' "$f")
		case $(grep -m1 '^cmd:' "$f") in
		*landlord*) s=$t ;;
		*gemeente*) r=$t ;;
		esac
	done
	if [ "$s" = 0 ] || [ "$r" = 0 ] ||
		! grep -q "received +$n, duplicates +0" "$out/run.log"; then
		echo "instructions.sh: the run with $n signals did not complete; see $out/run.log" >&2
		return 1
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "callgrind files of $build, $n signals: $out" >&2
	else
		rm -rf "$out"
	fi
	echo "$s $r"
}

# per-signal instructions of build $1: prints "sender receiver"
per_signal() {
	local bs br ss sr
	read -r bs br <<<"$(totals "$1" "$COUNT")" || return 1
	read -r ss sr <<<"$(totals "$1" "$SMALL")" || return 1
	[ -n "$bs" ] && [ -n "$ss" ] || return 1
	echo "$(((bs - ss) / (COUNT - SMALL))) $(((br - sr) / (COUNT - SMALL)))"
}

dirs=("${@:-build}")
declare -a S R
i=0
for b in "${dirs[@]}"; do
	[ -d "$b" ] || b=$ROOT/$b
	b=$(cd "$b" && pwd)
	read -r s r <<<"$(per_signal "$b")"
	[ -n "$s" ] || exit 1
	S[i]=$s
	R[i]=$r
	printf '%-40s sender %8d  recipient %8d  instructions per signal\n' \
		"$b" "$s" "$r"
	i=$((i + 1))
done
if [ "$i" = 2 ]; then
	awk -v s0="${S[0]}" -v s1="${S[1]}" -v r0="${R[0]}" -v r1="${R[1]}" \
		'BEGIN { printf "second / first: sender %.3f, recipient %.3f\n", s1 / s0, r1 / r0 }'
fi
