#!/usr/bin/env bash
# run.sh - the Seinhuis benchmark: raw limits and end-to-end figures.
#
#   bash tests/bench/run.sh [BUILD-DIR]        (default: build)
#
# Builds nothing: BUILD-DIR must hold seinhuisd, seinctl, seinkey and
# tests/bench/seinbench. Each run measures, in this order:
#   raw-curve  ZeroMQ CURVE PUSH->PULL, 512-byte messages (median of 3)
#   raw-lmdb   LMDB durable commits, in a directory owned by the run user
#              on the same file system as the daemons' data
#   crypto     CPU cost per signal of build (sign + seal) and verify + open
#   latency    1000 signals/s for 5 s, submit -> recipient inbox
#   e2e        BENCH_COUNT arrears signals (default 20000), pipelined
# on a fresh pair of partners (a landlord sending to a municipality_debt
# desk), started for that run and stopped by pid after it. It repeats the
# set RUNS times (default 3) and prints the median of each figure.
#
# Environment: BENCH_COUNT, RUNS, CURVE_COUNT (default 200000),
# LATENCY_RATE (1000), LATENCY_SECONDS (5), BENCH_CONF (extra daemon
# settings for both partners, e.g. "retry_min_ms=5000;window=1024"),
# BENCH_PERF_DIR (if set, perf record with DWARF call graphs of both
# daemons during the e2e phase of the first run is written there), KEEP=1
# keeps the work directory.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
if [ -d "$BUILD" ]; then
	BUILD=$(cd "$BUILD" && pwd)
else
	BUILD=$ROOT/$BUILD
fi
BENCH_COUNT=${BENCH_COUNT:-20000}
RUNS=${RUNS:-3}
CURVE_COUNT=${CURVE_COUNT:-200000}
LATENCY_RATE=${LATENCY_RATE:-1000}
LATENCY_SECONDS=${LATENCY_SECONDS:-5}
BENCH_PERF_DIR=${BENCH_PERF_DIR:-}
BENCH_CONF=${BENCH_CONF:-}

export SEINHUISD=$BUILD/seinhuisd SEINCTL=$BUILD/seinctl SEINKEY=$BUILD/seinkey
SEINBENCH=$BUILD/tests/bench/seinbench
for b in "$SEINHUISD" "$SEINCTL" "$SEINKEY" "$SEINBENCH"; do
	if [ ! -x "$b" ]; then
		echo "run.sh: $b is missing; build first:" >&2
		echo "  cmake -S . -B build && make -C build -j2" >&2
		exit 2
	fi
done
case $BENCH_COUNT$RUNS in
*[!0-9]*)
	echo "run.sh: BENCH_COUNT and RUNS must be numbers" >&2
	exit 2
	;;
esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ]; then
	echo "run.sh: RUNS must be 1 to 20" >&2
	exit 2
fi

# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_setup bench
RESULTS=$WORK/results # lines: RUN NAME VALUE

# lib.sh's start runs the daemon under a backgrounded shell function, so
# IT_PIDS holds that subshell's pid, not the daemon's (and stop/it_cleanup
# signal the subshell). The benchmark finds the daemon's own pid and stops
# it by that pid.
declare -A DAEMON_PIDS=()
daemon_pid() {
	local top=${IT_PIDS[$1]} p
	if [ "$(cat "/proc/$top/comm" 2>/dev/null)" = seinhuisd ]; then
		echo "$top"
		return 0
	fi
	for p in $(ps -o pid= --ppid "$top"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = seinhuisd ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

bench_start() {
	local id=$1
	start "$id" || return 1
	DAEMON_PIDS[$id]=$(daemon_pid "$id") || {
		fail "cannot find the pid of daemon $id"
		return 1
	}
}

# Running (not gone, not a zombie waiting to be reaped)?
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

bench_stop() {
	local id=$1 pid=${DAEMON_PIDS[$1]:-}
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 100); do
			alive "$pid" || break
			sleep 0.1
		done
		alive "$pid" && echo "    daemon $id did not stop on TERM; kill -9"
		kill -9 "$pid" 2>/dev/null
		unset "DAEMON_PIDS[$id]"
	fi
	reap "$id" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called from the EXIT trap
bench_cleanup() {
	local pid
	for pid in "${DAEMON_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	it_cleanup
}
trap bench_cleanup EXIT

# Port plan (17900-17999): 17900 raw CURVE; run r uses 17910+2r, 17911+2r.
CURVE_PORT=$((17900 + ${SEINHUIS_PORT_OFFSET:-0}))

# Set a key of a partner's configuration (lib.sh writes the defaults).
set_conf() {
	local id=$1 key=$2 value=$3
	as_user sed -i "s|^$key = .*|$key = $value|" "$WORK/$id.conf"
	grep -q "^$key = " "$WORK/$id.conf" ||
		echo "$key = $value" | as_user tee -a "$WORK/$id.conf" >/dev/null
}

# Run seinbench as the run user; keep its figures for the summary.
bench() {
	local run=$1 out rc=0
	shift
	out=$(as_user "$SEINBENCH" "$@") || rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	printf '%s\n' "$out" | awk -v r="$run" \
		'/^[a-z0-9_]+ [-0-9.]+$/ { print r, $1, $2 }' >>"$RESULTS"
	[ $rc -eq 0 ] || echo "    (seinbench $1 exited with status $rc)"
	return $rc
}

# The last value of a figure in one run.
value_of() {
	awk -v r="$1" -v n="$2" '$1 == r && $2 == n { v = $3 } END { print v }' \
		"$RESULTS"
}

perf_start() {
	local tag=$1 id pid
	PERF_PIDS=()
	[ -n "$BENCH_PERF_DIR" ] && command -v perf >/dev/null || return 0
	mkdir -p "$BENCH_PERF_DIR"
	for id in "${!DAEMON_PIDS[@]}"; do
		pid=${DAEMON_PIDS[$id]}
		perf record --call-graph dwarf,16384 -F 499 -q \
			-o "$BENCH_PERF_DIR/$tag-$id.data" -p "$pid" \
			>/dev/null 2>&1 &
		PERF_PIDS+=($!)
	done
	sleep 0.5
}

perf_stop() {
	local p
	for p in "${PERF_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PERF_PIDS=()
}
PERF_PIDS=()

echo "# Seinhuis benchmark: $RUNS run(s), e2e count $BENCH_COUNT, latency" \
	"${LATENCY_RATE}/s for ${LATENCY_SECONDS} s, host $(uname -n)," \
	"$(nproc) CPU(s)"
echo "# Fresh partners per run: each run creates a new landlord and a new"
echo "# municipality_debt partner (new keys, new LMDB files), map_size 2G,"
echo "# retry_min_ms 500 / retry_max_ms 30000 (daemon defaults), other keys"
echo "# at their defaults (window 8192, batch_max 256); stopped by pid after"
echo "# the run. Extra settings (BENCH_CONF): ${BENCH_CONF:-none}."
echo "# Work directory: $WORK"

for run in $(seq 1 "$RUNS"); do
	echo
	echo "=== run $run of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "--- raw-curve"
	bench "$run" raw-curve --size 512 --count "$CURVE_COUNT" \
		--port "$CURVE_PORT"
	echo "--- raw-lmdb"
	as_user mkdir -p "$WORK/lmdb-$run"
	bench "$run" raw-lmdb --dir "$WORK/lmdb-$run"

	echo "--- crypto"
	bench "$run" crypto --count 2000

	from=landlord$run to=gemeente$run
	p1=$((17910 + 2 * run)) p2=$((17911 + 2 * run))
	partner "$from" landlord "$p1" || exit 1
	partner "$to" municipality_debt "$p2" || exit 1
	for id in "$from" "$to"; do
		set_conf "$id" map_size 2G
		set_conf "$id" retry_min_ms 500
		set_conf "$id" retry_max_ms 30000
		IFS=';' read -ra kvs <<<"$BENCH_CONF"
		for kv in "${kvs[@]}"; do
			[ -n "$kv" ] || continue
			set_conf "$id" "$(echo "${kv%%=*}" | tr -d ' ')" \
				"$(echo "${kv#*=}" | tr -d ' ')"
		done
	done
	if ! trust "$from" "$to" || ! trust "$to" "$from"; then
		fail "trust"
		exit 1
	fi
	bench_start "$from" || exit 1
	bench_start "$to" || exit 1
	fsock=$WORK/$from/control.sock tsock=$WORK/$to/control.sock

	echo "--- latency ($from -> $to)"
	bench "$run" latency --from "$fsock" --to-partner "$to" \
		--recv "$tsock" --rate "$LATENCY_RATE" --seconds "$LATENCY_SECONDS"

	echo "--- e2e ($from -> $to)"
	[ "$run" = 1 ] && perf_start "e2e-run1"
	bench "$run" e2e --from "$fsock" --to-partner "$to" --recv "$tsock" \
		--count "$BENCH_COUNT" \
		--curve-rate "$(value_of "$run" raw_curve_msgs_per_s)" \
		--lmdb-rate "$(value_of "$run" lmdb_single_commits_per_s)"
	perf_stop

	echo "--- load average after run $run: $(cut -d' ' -f1-3 /proc/loadavg)"
	bench_stop "$from"
	bench_stop "$to"
	rm -rf "${WORK:?}/$from" "${WORK:?}/$to" "$WORK/lmdb-$run"
done

# ------------------------------------------------------------- summary
median() { # figure name -> median over the runs that produced it
	awk -v n="$1" '$2 == n { print $3 }' "$RESULTS" | sort -g |
		awk '{ v[NR] = $1 }
		     END { if (NR == 0) print "";
			   else if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2];
			   else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# shellcheck disable=SC2059 # the format is the caller's
row() { # label, figure name, unit, printf format of the values
	local label=$1 name=$2 unit=$3 fmt=${4:-%.0f} r v line
	line=$(printf '%-34s' "$label")
	for r in $(seq 1 "$RUNS"); do
		v=$(value_of "$r" "$name")
		[ -n "$v" ] && v=$(printf "$fmt" "$v")
		line+=$(printf ' %10s' "${v:--}")
	done
	v=$(median "$name")
	[ -n "$v" ] && v=$(printf "$fmt" "$v")
	line+=$(printf ' %10s  %s' "${v:--}" "$unit")
	echo "$line"
}

echo
echo "=== summary: $RUNS run(s); median of the runs in the last column"
head=$(printf '%-34s' "figure")
for r in $(seq 1 "$RUNS"); do head+=$(printf ' %10s' "run $r"); done
head+=$(printf ' %10s' "median")
echo "$head"
row "raw CURVE 512 B" raw_curve_msgs_per_s "msgs/s"
row "raw CURVE 512 B" raw_curve_mbytes_per_s "MB/s" %.1f
row "LMDB 1 record/commit" lmdb_single_commits_per_s "commits/s"
row "LMDB 256 records/commit" lmdb_batch256_commits_per_s "commits/s"
row "LMDB 256 records/commit" lmdb_batch256_records_per_s "records/s"
row "build: sign + seal (1 core)" crypto_wire_build_us "us/signal" %.1f
row "receive: verify (1 core)" crypto_wire_verify_us "us/signal" %.1f
row "receive: open seal (1 core)" crypto_wire_open_us "us/signal" %.1f
row "Ed25519 sign, key per call" crypto_ed25519_sign_us "us" %.1f
row "Ed25519 sign, key kept" crypto_ed25519_sign_cached_key_us "us" %.1f
row "Ed25519 verify, key per call" crypto_ed25519_verify_us "us" %.1f
row "Ed25519 verify, key kept" crypto_ed25519_verify_cached_key_us "us" \
	%.1f
row "CPU ceiling sender (1 core)" crypto_sender_ceiling_per_s "signals/s"
row "CPU ceiling recipient (1 core)" crypto_recipient_ceiling_per_s \
	"signals/s"
row "latency offered" latency_offered_per_s "signals/s" %.1f
row "latency median" latency_p50_ms "ms" %.2f
row "latency p90" latency_p90_ms "ms" %.2f
row "latency p99" latency_p99_ms "ms" %.2f
row "latency max" latency_max_ms "ms" %.2f
row "e2e accept (sender control)" e2e_accept_per_s "signals/s"
row "e2e end to end (receipt back)" e2e_signals_per_s "signals/s"
row "e2e recipient duplicates" e2e_recipient_duplicates "signals"
row "ratio e2e / raw CURVE" ratio_e2e_to_raw_curve "(per run)" %.4f
row "ratio e2e / LMDB 1-record commits" ratio_e2e_to_lmdb_single_commit \
	"(per run)" %.2f
e2e=$(median e2e_signals_per_s)
curve=$(median raw_curve_msgs_per_s)
lmdb=$(median lmdb_single_commits_per_s)
if [ -n "$e2e" ] && [ -n "$curve" ] && [ -n "$lmdb" ]; then
	awk -v e="$e2e" -v c="$curve" -v l="$lmdb" 'BEGIN {
		printf "ratio of medians: e2e / raw CURVE msgs = %.4f (%.1f%%)\n",
			e / c, 100 * e / c
		printf "ratio of medians: e2e / LMDB 1-record commits = %.2f " \
			"(group commit gain if above 1; below 1 the e2e path is " \
			"limited by something other than fsync)\n", e / l }'
fi
[ -n "$BENCH_PERF_DIR" ] && echo "perf data of run 1 (e2e): $BENCH_PERF_DIR"
exit 0
