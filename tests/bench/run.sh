#!/usr/bin/env bash
# run.sh - the Seinhuis benchmark: raw limits and end-to-end figures.
#
#   bash tests/bench/run.sh [BUILD-DIR]        (default: build)
#
# Builds nothing: BUILD-DIR must hold seinhuisd, seinctl, seinkey and
# tests/bench/seinbench. Each run measures, in this order:
#   raw-curve  ZeroMQ CURVE PUSH->PULL, 512-byte messages (median of 3)
#   raw-lmdb   LMDB durable commits, and 1 KiB appends each followed by
#              fdatasync (the floor under the daemon's journal), in a
#              directory owned by the run user on the same file system
#              as the daemons' data
#   crypto     CPU cost per signal of build (sign + seal) and verify + open
#   latency    1000 signals/s for 5 s, submit -> recipient inbox
#   e2e        BENCH_COUNT arrears signals (default 50000), pipelined;
#              then PACED_COUNT (100000) with the recipient at peer_rate
#              PACED_RATE (20000, the default): paced by the sender
#   import     seinctl import of IMPORT_ROWS CSV rows (default 100000),
#              then the same file again (every row skipped)
#   history    the sender stopped and given HISTORY_KEYS (1000000) natural
#              keys, as years of imports leave; its start-up time, then
#              e2e again (BENCH_COUNT signals)
#   fanout     a fresh pair whose sender is given FANOUT_PARTNERS (400)
#              more partners, as a national insurer has municipalities,
#              each with a signal waiting (their endpoint is a port nobody
#              listens on, so the sender keeps a connection attempt open
#              to every one); then latency and e2e as above
# on a fresh pair of partners (a landlord sending to a municipality_debt
# desk), started for that run and stopped by pid after it; and
#   scale      one municipality daemon trusting SCALE_PARTNERS (400) load
#              partners (seinbench scale: one process, one identity and
#              one CURVE connection each); 1, 10, 100 and all of them send
#              at once, SCALE_SIGNALS (20000) signals in all; delivery
#              time per partner, fairness, the daemon's memory
#   inbox      a daemon whose inbox was prefilled (daemon stopped) with
#              10,000 and then INBOX_BIG (1000000) signals; the time it
#              takes to start and what 10 partners get through then
# It repeats the set RUNS times (default 3) and prints the median of each
# figure, then a verdict per issue #7 target.
#
# PHASES (default "curve lmdb crypto latency e2e import history fanout scale
# inbox")
# chooses phases, e.g. PHASES="scale import".
#
# Environment: BENCH_COUNT, PACED_COUNT (0: no paced batch), PACED_RATE, E2E_WINDOW (requests outstanding, 2048), RUNS, PHASES, IMPORT_ROWS, SCALE_PARTNERS,
# SCALE_SIGNALS, INBOX_BIG, CURVE_COUNT (default 200000),
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
BENCH_COUNT=${BENCH_COUNT:-50000}
PACED_COUNT=${PACED_COUNT:-100000}
PACED_RATE=${PACED_RATE:-20000}
RUNS=${RUNS:-3}
CURVE_COUNT=${CURVE_COUNT:-200000}
LATENCY_RATE=${LATENCY_RATE:-1000}
LATENCY_SECONDS=${LATENCY_SECONDS:-5}
BENCH_PERF_DIR=${BENCH_PERF_DIR:-}
BENCH_CONF=${BENCH_CONF:-}
PHASES=${PHASES:-curve lmdb crypto latency e2e import history fanout scale inbox}
FANOUT_PARTNERS=${FANOUT_PARTNERS:-400}
IMPORT_ROWS=${IMPORT_ROWS:-100000}
SCALE_PARTNERS=${SCALE_PARTNERS:-400}
SCALE_SIGNALS=${SCALE_SIGNALS:-20000}
INBOX_BIG=${INBOX_BIG:-1000000}
HISTORY_KEYS=${HISTORY_KEYS:-1000000}

export SEINHUISD=$BUILD/seinhuisd SEINCTL=$BUILD/seinctl SEINKEY=$BUILD/seinkey
SEINBENCH=$BUILD/tests/bench/seinbench
for b in "$SEINHUISD" "$SEINCTL" "$SEINKEY" "$SEINBENCH"; do
	if [ ! -x "$b" ]; then
		echo "run.sh: $b is missing; build first:" >&2
		echo "  cmake -S . -B build && make -C build -j2" >&2
		exit 2
	fi
done
case $BENCH_COUNT$PACED_COUNT$PACED_RATE$RUNS$IMPORT_ROWS$SCALE_PARTNERS$SCALE_SIGNALS$INBOX_BIG$HISTORY_KEYS$FANOUT_PARTNERS in
*[!0-9]*)
	echo "run.sh: BENCH_COUNT, RUNS, IMPORT_ROWS, SCALE_PARTNERS," \
		"SCALE_SIGNALS, INBOX_BIG, HISTORY_KEYS and FANOUT_PARTNERS" \
		"must be numbers" >&2
	exit 2
	;;
esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ]; then
	echo "run.sh: RUNS must be 1 to 20" >&2
	exit 2
fi
if [ -z "$FANOUT_PARTNERS" ] || [ "$FANOUT_PARTNERS" -lt 1 ] ||
	[ "$FANOUT_PARTNERS" -gt 5000 ]; then
	echo "run.sh: FANOUT_PARTNERS must be 1 to 5000" >&2
	exit 2
fi
if [ "$HISTORY_KEYS" -lt 1 ] || [ "$HISTORY_KEYS" -gt 100000000 ]; then
	echo "run.sh: HISTORY_KEYS must be 1 to 100000000 (seinbench's limit)" >&2
	exit 2
fi
case ${E2E_WINDOW:-2048} in
*[!0-9]* | '')
	echo "run.sh: E2E_WINDOW must be a number from 1 to 4096" >&2
	exit 2
	;;
esac
if [ "${E2E_WINDOW:-2048}" -lt 1 ] || [ "${E2E_WINDOW:-2048}" -gt 4096 ]; then
	echo "run.sh: E2E_WINDOW must be a number from 1 to 4096" \
		"(requests outstanding; seinbench's limit)" >&2
	exit 2
fi

# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_setup bench
RESULTS=$WORK/results # lines: RUN NAME VALUE
: >"$RESULTS"

# lib.sh's start runs the daemon under a backgrounded shell function, so
# IT_PIDS holds that subshell's pid, not the daemon's (and stop/it_cleanup
# signal the subshell). The benchmark finds the daemon's own pid and stops
# it by that pid.
declare -A DAEMON_PIDS=()
# The daemon's process, also under a WRAP of valgrind (instructions.sh),
# whose tool takes the daemon's place in the same process.
is_daemon() {
	case $(cat "/proc/$1/comm" 2>/dev/null) in
	seinhuisd | callgrind-* | memcheck-*) return 0 ;;
	esac
	return 1
}
daemon_pid() {
	local top=${IT_PIDS[$1]} p
	if is_daemon "$top"; then
		echo "$top"
		return 0
	fi
	for p in $(ps -o pid= --ppid "$top"); do
		if is_daemon "$p"; then
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
	[ -n "${IT_PIDS[$id]:-}" ] || return 0 # stopped before
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

# Port plan (17900-18025): 17900 raw CURVE; nothing listens on 17905 (the
# fanout phase's partners); run r (1 to 20) has six ports of its own from
# run_port r 0 = 17900 + 6r: the pair (0, 1), the fanout pair (2, 3),
# scale (4) and inbox (5). (Before, the fanout and scale ports of a run
# from the tenth on were those of the main pair of a later run.)
CURVE_PORT=$((17900 + ${SEINHUIS_PORT_OFFSET:-0}))
NOBODY_PORT=$((17905 + ${SEINHUIS_PORT_OFFSET:-0}))
run_port() { # run, slot (0-5); partner adds SEINHUIS_PORT_OFFSET
	echo $((17900 + 6 * $1 + $2))
}

# Set a key of a partner's configuration (lib.sh writes the defaults).
set_conf() {
	local id=$1 key=$2 value=$3
	as_user sed -i "s|^$key = .*|$key = $value|" "$WORK/$id.conf"
	grep -q "^$key = " "$WORK/$id.conf" ||
		echo "$key = $value" | as_user tee -a "$WORK/$id.conf" >/dev/null
}

# The settings of a benchmarked pair's partner.
pair_conf() {
	local id=$1 kv kvs
	set_conf "$id" map_size 2G
	set_conf "$id" retry_min_ms 500
	set_conf "$id" retry_max_ms 30000
	# the flood limit (default 20,000 a second, bursts of 40,000) would
	# be the figure, not the daemons
	set_conf "$id" peer_rate 1000000
	IFS=';' read -ra kvs <<<"$BENCH_CONF"
	for kv in "${kvs[@]}"; do
		[ -n "$kv" ] || continue
		set_conf "$id" "$(echo "${kv%%=*}" | tr -d ' ')" \
			"$(echo "${kv#*=}" | tr -d ' ')"
	done
}

# Run seinbench as the run user; keep its figures for the summary.
bench() {
	local run=$1
	shift
	bench_renamed "$run" "" "" "$@"
}

# bench, with the figures' prefix FROM_ renamed TO_ (a phase run twice);
# an empty FROM renames nothing.
bench_renamed() {
	local run=$1 from=$2 to=$3 out rc=0
	shift 3
	out=$(as_user "$SEINBENCH" "$@") || rc=$?
	[ -n "$from" ] && out=$(printf '%s\n' "$out" | sed "s/^${from}_/${to}_/")
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
		perf record ${BENCH_PERF_ARGS:---call-graph dwarf,16384 -F 499} -q \
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
echo "# retry_min_ms 500 / retry_max_ms 30000 (daemon defaults), peer_rate"
echo "# 1000000 (the default 20000 a second would cap e2e), other keys at"
echo "# their defaults (window 8192, batch_max 256); stopped by pid after"
echo "# the run. Extra settings (BENCH_CONF): ${BENCH_CONF:-none}."
echo "# Work directory: $WORK"

has() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
for ph in $PHASES; do
	case $ph in
	curve | lmdb | crypto | latency | e2e | import | history | fanout | scale | inbox) ;;
	*)
		echo "run.sh: unknown phase '$ph' in PHASES" >&2
		exit 2
		;;
	esac
done

# seinbench's own copy, reachable by the run user (lib.sh copies the
# daemon's programs the same way).
cp "$SEINBENCH" "$WORK/bin/seinbench"
chmod 755 "$WORK/bin/seinbench"
SEINBENCH=$WORK/bin/seinbench

# The CSV file of the import phase: IMPORT_ROWS rows (rows.sh), creditor
# references PREFIX-n.
# shellcheck source=tests/bench/rows.sh
. "$HERE/rows.sh"
import_file() { arrears_rows "$IMPORT_ROWS" "$1"; }

# seinctl import as the run user, timed; figures import_* (or
# reimport_* for the second time).
import_phase() {
	local run=$1 sock=$2 to=$3 file=$4 what=$5 t0 t1 out rc=0
	t0=$(date +%s%N)
	out=$(as_user "$SEINCTL" -s "$sock" --json import "$file" --type arrears \
		--to "$to" --set legal_basis=legal_duty --set municipality_code=0599 \
		--quiet 2>"$WORK/import-$what.err") || rc=$?
	t1=$(date +%s%N)
	echo "    seinctl import ($what): $out (exit $rc); $(wc -l <"$WORK/import-$what.err") lines of refusals"
	head -n 3 "$WORK/import-$what.err" | sed 's/^/    /'
	local rows acc ref skip
	rows=$(jq -r .rows <<<"$out") acc=$(jq -r .accepted <<<"$out")
	ref=$(jq -r .refused <<<"$out") skip=$(jq -r .skipped <<<"$out")
	awk -v r="$run" -v w="$what" -v t0="$t0" -v t1="$t1" -v n="$rows" \
		-v a="$acc" -v f="$ref" -v s="$skip" 'BEGIN {
		    secs = (t1 - t0) / 1e9
		    printf "%s %s_seconds %.3f\n%s %s_rows_per_s %.1f\n", r, w, secs, r, w, n / secs
		    printf "%s %s_accepted %d\n%s %s_refused %d\n%s %s_skipped %d\n",
			r, w, a, r, w, f, r, w, s }' | tee -a "$RESULTS" |
		awk '{ print "    " $2, $3 }'
}

# CPU time (user + system, all threads) a process has used, in clock
# ticks; and a figure of the CPU microseconds per signal between two such
# readings. CPU time does not depend on what else the shared machine runs,
# which makes it the steadier measure of the work per signal.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU ticks of a process's main thread (the event loop).
main_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/task/$1/stat" 2>/dev/null || echo 0
}
# Minor page faults of a process (all threads): memory it touched for the
# first time, or again after giving it back.
fault_count() {
	awk '{ print $10 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# Bytes a process has sent to the storage layer (journal appends, LMDB
# checkpoints; /proc/PID/io write_bytes), for bytes written per signal.
write_bytes() {
	awk '$1 == "write_bytes:" { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0
}
# A figure per signal between two readings of a counter (faults, bytes).
per_signal_figure() {
	local run=$1 name=$2 f0=$3 f1=$4 n=$5
	awk -v r="$run" -v k="$name" -v f0="$f0" -v f1="$f1" -v n="$n" 'BEGIN {
	    printf "%s %s %.3f\n", r, k, (f1 - f0) / n }' |
		tee -a "$RESULTS" | awk '{ print "    " $2, $3 }'
}
# The machine's busy ticks (all CPUs).
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
cpu_figure() {
	local run=$1 name=$2 t0=$3 t1=$4 n=$5
	awk -v r="$run" -v k="$name" -v t0="$t0" -v t1="$t1" -v n="$n" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		    printf "%s %s %.1f\n", r, k, (t1 - t0) / hz * 1e6 / n }' |
		tee -a "$RESULTS" | awk '{ print "    " $2, $3 }'
}

# Memory of a daemon by pid, as figures.
mem_figures() {
	local run=$1 pid=$2 tag=$3 k
	for k in VmHWM VmRSS RssAnon RssFile; do
		awk -v r="$run" -v k="$k" -v t="$tag" '$1 == k ":" {
		    printf "%s %s_%s_mb %.1f\n", r, t, tolower(k), $2 / 1024 }' \
			"/proc/$pid/status"
	done | tee -a "$RESULTS" | awk '{ print "    " $2, $3 }'
}

LG=$WORK/lg
if has scale || has inbox; then
	as_user mkdir -p "$LG"
fi

for run in $(seq 1 "$RUNS"); do
	echo
	# The last run's phases leave dirty pages (the 1,000,000-signal inbox
	# alone is some 800 MB); their write-back would land in this run's
	# disk figures. Flush them first.
	sync
	echo "=== run $run of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	if has curve; then
		echo "--- raw-curve"
		bench "$run" raw-curve --size 512 --count "$CURVE_COUNT" \
			--port "$CURVE_PORT"
	fi
	if has lmdb; then
		echo "--- raw-lmdb"
		as_user mkdir -p "$WORK/lmdb-$run"
		bench "$run" raw-lmdb --dir "$WORK/lmdb-$run"
		rm -rf "${WORK:?}/lmdb-$run"
	fi
	if has crypto; then
		echo "--- crypto"
		bench "$run" crypto --count 2000
	fi

	if has latency || has e2e || has import || has history; then
		from=landlord$run to=gemeente$run
		p1=$(run_port "$run" 0) p2=$(run_port "$run" 1)
		partner "$from" landlord "$p1" || exit 1
		partner "$to" municipality_debt "$p2" || exit 1
		pair_conf "$from"
		pair_conf "$to"
		if ! trust "$from" "$to" || ! trust "$to" "$from"; then
			fail "trust"
			exit 1
		fi
		bench_start "$from" || exit 1
		bench_start "$to" || exit 1
		fsock=$WORK/$from/control.sock tsock=$WORK/$to/control.sock

		if has latency; then
			sync
			echo "--- latency ($from -> $to)"
			bench "$run" latency --from "$fsock" --to-partner "$to" \
				--recv "$tsock" --rate "$LATENCY_RATE" \
				--seconds "$LATENCY_SECONDS"
		fi

		if has e2e; then
			echo "--- e2e ($from -> $to)"
			[ "$run" = 1 ] && perf_start "e2e-run1"
			curve=$(value_of "$run" raw_curve_msgs_per_s)
			lmdb=$(value_of "$run" lmdb_single_commits_per_s)
			c0f=$(cpu_ticks "${DAEMON_PIDS[$from]}")
			c0t=$(cpu_ticks "${DAEMON_PIDS[$to]}")
			l0f=$(main_ticks "${DAEMON_PIDS[$from]}")
			l0t=$(main_ticks "${DAEMON_PIDS[$to]}")
			p0f=$(fault_count "${DAEMON_PIDS[$from]}")
			p0t=$(fault_count "${DAEMON_PIDS[$to]}")
			w0f=$(write_bytes "${DAEMON_PIDS[$from]}")
			w0t=$(write_bytes "${DAEMON_PIDS[$to]}")
			m0=$(busy_ticks)
			# (no CPU figures for a run that did not complete)
			if bench "$run" e2e --from "$fsock" --to-partner "$to" \
				--recv "$tsock" --count "$BENCH_COUNT" \
				${E2E_WINDOW:+--window "$E2E_WINDOW"} \
				${curve:+--curve-rate "$curve"} \
				${lmdb:+--lmdb-rate "$lmdb"}; then
				cpu_figure "$run" e2e_sender_cpu_us_per_signal "$c0f" \
					"$(cpu_ticks "${DAEMON_PIDS[$from]}")" "$BENCH_COUNT"
				cpu_figure "$run" e2e_recipient_cpu_us_per_signal "$c0t" \
					"$(cpu_ticks "${DAEMON_PIDS[$to]}")" "$BENCH_COUNT"
				cpu_figure "$run" e2e_sender_loop_us_per_signal "$l0f" \
					"$(main_ticks "${DAEMON_PIDS[$from]}")" "$BENCH_COUNT"
				cpu_figure "$run" e2e_recipient_loop_us_per_signal "$l0t" \
					"$(main_ticks "${DAEMON_PIDS[$to]}")" "$BENCH_COUNT"
				# Everything the machine ran meanwhile (both daemons,
				# the client, ZeroMQ's threads, the kernel, others).
				cpu_figure "$run" e2e_machine_cpu_us_per_signal "$m0" \
					"$(busy_ticks)" "$BENCH_COUNT"
				per_signal_figure "$run" e2e_sender_faults_per_signal "$p0f" \
					"$(fault_count "${DAEMON_PIDS[$from]}")" "$BENCH_COUNT"
				per_signal_figure "$run" e2e_recipient_faults_per_signal "$p0t" \
					"$(fault_count "${DAEMON_PIDS[$to]}")" "$BENCH_COUNT"
				per_signal_figure "$run" e2e_sender_bytes_written_per_signal \
					"$w0f" "$(write_bytes "${DAEMON_PIDS[$from]}")" \
					"$BENCH_COUNT"
				per_signal_figure "$run" e2e_recipient_bytes_written_per_signal \
					"$w0t" "$(write_bytes "${DAEMON_PIDS[$to]}")" \
					"$BENCH_COUNT"
			fi
			perf_stop
			mem_figures "$run" "${DAEMON_PIDS[$from]}" e2e_sender

			if [ "$PACED_COUNT" -gt 0 ]; then
				# The same with the recipient at the default peer_rate:
				# past its burst, the sender is told to wait and paces
				# itself, so the batch should take what the bucket
				# allows, (count - 2 * rate) / rate seconds, and no more.
				echo "--- e2e paced: $PACED_COUNT signals, $to at" \
					"peer_rate $PACED_RATE"
				bench_stop "$to"
				set_conf "$to" peer_rate "$PACED_RATE"
				bench_start "$to" || exit 1
				bench_renamed "$run" e2e paced e2e --from "$fsock" \
					--to-partner "$to" --recv "$tsock" \
					--count "$PACED_COUNT"
				mem_figures "$run" "${DAEMON_PIDS[$from]}" paced_sender
				awk -v n="$PACED_COUNT" -v r="$PACED_RATE" -v run="$run" \
					'BEGIN { t = (n - 2 * r) / r;
					  if (t > 0) print run, "paced_bucket_bound_per_s", n / t }' \
					>>"$RESULTS"
				bench_stop "$to"
				set_conf "$to" peer_rate 1000000
				bench_start "$to" || exit 1
			fi
		fi

		if has import; then
			echo "--- import: $IMPORT_ROWS CSV rows ($from -> $to)"
			import_file BENCH-IMP | as_user tee "$WORK/import.csv" >/dev/null
			[ "$run" = 1 ] && perf_start "import-run1"
			import_phase "$run" "$fsock" "$to" "$WORK/import.csv" import
			perf_stop
			mem_figures "$run" "${DAEMON_PIDS[$from]}" import_sender
			import_phase "$run" "$fsock" "$to" "$WORK/import.csv" reimport
			# The same size again with the recipient stopped: what
			# accepting alone costs, without the sender also
			# delivering and settling receipts on its one thread and
			# the recipient verifying on the same two cores.
			echo "--- import with $to stopped (accepting only)"
			bench_stop "$to"
			import_file BENCH-OFF | as_user tee "$WORK/import.csv" >/dev/null
			import_phase "$run" "$fsock" "$to" "$WORK/import.csv" import_offline
		fi

		if has history; then
			# The same pair again after the sender was given a
			# history of HISTORY_KEYS natural keys (years of
			# imports): each new signal's key is looked up among
			# them and added.
			echo "--- history: $HISTORY_KEYS natural keys in $from's store"
			bench_stop "$from"
			filled=1
			as_user "$SEINBENCH" natkey-fill --card "$WORK/$from/keys/card" \
				--datadir "$WORK/$from/data" --count "$HISTORY_KEYS" \
				>"$WORK/natkey-fill.out" 2>&1 || filled=0
			sed 's/^/    /' "$WORK/natkey-fill.out"
			t0=$(date +%s%N)
			bench_start "$from" || exit 1
			t1=$(date +%s%N)
			if [ "$filled" = 0 ]; then
				# no history figures for a fill that failed
				echo "    (natkey-fill failed: the history phase is skipped)"
			else
				awk -v r="$run" -v a="$t0" -v b="$t1" 'BEGIN {
				    printf "%s history_start_s %.3f\n", r, (b - a) / 1e9 }' |
					tee -a "$RESULTS" | awk '{ print "    " $2, $3 }'
				[ -n "${DAEMON_PIDS[$to]:-}" ] || bench_start "$to" || exit 1
				bench_renamed "$run" e2e history e2e --from "$fsock" \
					--to-partner "$to" --recv "$tsock" \
					--count "$BENCH_COUNT"
				mem_figures "$run" "${DAEMON_PIDS[$from]}" history_sender
			fi
		fi

		echo "--- load average after run $run: $(cut -d' ' -f1-3 /proc/loadavg)"
		bench_stop "$from"
		bench_stop "$to"
		[ "${KEEP:-0}" = 1 ] || rm -rf "${WORK:?}/$from" "${WORK:?}/$to" "$WORK/import.csv"
	fi

	if has fanout; then
		# A fresh pair whose sender is given FANOUT_PARTNERS more
		# municipalities, a signal waiting for each; nothing listens
		# on their port (NOBODY_PORT), so a
		# connection attempt to each stays open. Then latency and e2e
		# as above.
		from=fanl$run to=fanm$run
		partner "$from" landlord "$(run_port "$run" 2)" || exit 1
		partner "$to" municipality_debt "$(run_port "$run" 3)" || exit 1
		pair_conf "$from"
		pair_conf "$to"
		if ! trust "$from" "$to" || ! trust "$to" "$from"; then
			fail "trust"
			exit 1
		fi
		echo "--- fanout: $FANOUT_PARTNERS more partners of $from, a signal waiting for each"
		fan=$WORK/fan$run
		as_user mkdir -p "$fan"
		asu=()
		[ "$(id -u)" = 0 ] && asu=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups --)
		seq 1 "$FANOUT_PARTNERS" | xargs -P 2 -I{} "${asu[@]}" "$SEINKEY" init \
			--dir "$fan/{}/keys" --partner "fan{}" --name "Fictional fan{}" \
			--role municipality_debt \
			--endpoint "tcp://127.0.0.1:$NOBODY_PORT" >/dev/null
		# shellcheck disable=SC2046
		as_user "$SEINKEY" trust --trustdir "$WORK/$from/trust" \
			$(seq 1 "$FANOUT_PARTNERS" | sed "s|.*|$fan/&/keys/card|") >/dev/null
		bench_start "$from" || exit 1
		bench_start "$to" || exit 1
		fsock=$WORK/$from/control.sock tsock=$WORK/$to/control.sock
		seq 1 "$FANOUT_PARTNERS" | jq -R -s '[split("\n")[] | select(length > 0) |
		    {type:"arrears", to:("fan" + .), legal_basis:"legal_duty",
		     arrears_kind:"rent", amount_cents:5000, arrears_since:"2026-09-01",
		     contact_attempt_date:"2026-10-01", reminder_date:"2026-10-15",
		     urgency:"none", creditor_contact:"incasso desk", surname:"Fictief",
		     street:"Verrestraat", postcode:"3000 CC", house_number:.,
		     place:"Teststad"}]' >"$fan/signals.json"
		ctl "$from" --json send --file "$fan/signals.json" >/dev/null
		if wait_until 60 bash -c "[ \"\$(status_field $from outbox_pending)\" = $FANOUT_PARTNERS ]"; then
			sleep 2 # their sockets open
			echo "    sender open files: $(ls "/proc/${DAEMON_PIDS[$from]}/fd" | wc -l)"
			sync
			bench_renamed "$run" latency fanout_latency latency \
				--from "$fsock" --to-partner "$to" --recv "$tsock" \
				--rate "$LATENCY_RATE" --seconds "$LATENCY_SECONDS"
			bench_renamed "$run" e2e fanout e2e --from "$fsock" \
				--to-partner "$to" --recv "$tsock" --count "$BENCH_COUNT"
		else
			echo "    (the $FANOUT_PARTNERS signals were not queued: the fanout phase is skipped)"
		fi
		bench_stop "$from"
		bench_stop "$to"
		[ "${KEEP:-0}" = 1 ] || rm -rf "${WORK:?}/$from" "${WORK:?}/$to" "$fan"
	fi

	if has scale; then
		sc=scale$run
		partner "$sc" municipality_debt "$(run_port "$run" 4)" || exit 1
		set_conf "$sc" map_size 2G
		echo "--- scale: $SCALE_PARTNERS load partners trusted by $sc"
		as_user "$SEINBENCH" scale-setup --dir "$LG" \
			--partners "$SCALE_PARTNERS" --trustdir "$WORK/$sc/trust" |
			sed 's/^/    /'
		bench_start "$sc" || exit 1
		for n in 1 10 100 "$SCALE_PARTNERS"; do
			[ "$n" -le "$SCALE_PARTNERS" ] || continue
			per=$((SCALE_SIGNALS / n))
			[ "$per" -ge 1 ] || per=1
			echo "--- scale: $n partner(s) at once, $per signals each"
			curve=$(value_of "$run" raw_curve_msgs_per_s)
			bench "$run" scale --dir "$LG" --server "$WORK/$sc/keys/card" \
				--partners "$n" --per-partner "$per" \
				--pid "${DAEMON_PIDS[$sc]}" --tag "p$n" \
				${curve:+--curve-rate "$curve"}
		done
		echo "    daemon $sc after the scale phase:"
		mem_figures "$run" "${DAEMON_PIDS[$sc]}" scale_daemon
		echo "    trust dir rescans: $(grep -c 'trust store reloaded' "$WORK/$sc.log") reloads logged"
		bench_stop "$sc"
		rm -rf "${WORK:?}/$sc"
	fi

	if has inbox; then
		ib=inbox$run
		partner "$ib" municipality_debt "$(run_port "$run" 5)" || exit 1
		set_conf "$ib" map_size 4G
		as_user "$SEINBENCH" scale-setup --dir "$LG" --partners 10 \
			--trustdir "$WORK/$ib/trust" | sed 's/^/    /'
		have=0
		for size in 10000 "$INBOX_BIG"; do
			[ "$size" -gt "$have" ] || continue
			tag=$([ "$size" = 10000 ] && echo 10k || echo big)
			echo "--- inbox: prefill to $size signals (daemon stopped)"
			as_user "$SEINBENCH" inbox-fill --dir "$LG" \
				--server "$WORK/$ib/keys/card" \
				--datadir "$WORK/$ib/data" --count $((size - have)) \
				--map-size 4096 | sed 's/^/    /'
			have=$size
			t0=$(date +%s%N)
			bench_start "$ib" || exit 1
			t1=$(date +%s%N)
			awk -v r="$run" -v t="$tag" -v a="$t0" -v b="$t1" 'BEGIN {
			    printf "%s inbox_%s_start_s %.3f\n", r, t, (b - a) / 1e9 }' |
				tee -a "$RESULTS" | awk '{ print "    " $2, $3 }'
			bench "$run" scale --dir "$LG" --server "$WORK/$ib/keys/card" \
				--partners 10 --per-partner 1000 \
				--pid "${DAEMON_PIDS[$ib]}" --tag "inbox_$tag"
			mem_figures "$run" "${DAEMON_PIDS[$ib]}" "inbox_$tag"
			bench_stop "$ib"
		done
		rm -rf "${WORK:?}/$ib"
	fi
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
row "1 KiB append + fdatasync" fsync_appends_per_s "appends/s"
row "LMDB 256 records/commit" lmdb_batch256_commits_per_s "commits/s"
row "LMDB 256 records/commit" lmdb_batch256_records_per_s "records/s"
row "build + seal, unsigned (1 core)" crypto_wire_build_unsigned_us "us/signal" %.1f
row "batch 256: sign, per signal" crypto_batch256_sign_per_signal_us "us/signal" %.2f
row "batch 256: verify+proof, per sig." crypto_batch256_verify_per_signal_us "us/signal" %.2f
row "CPU ceiling sender, batch (1 core)" crypto_batch_sender_ceiling_per_s "signals/s"
row "CPU ceiling recip., batch (1 core)" crypto_batch_recipient_ceiling_per_s "signals/s"
row "single: sign + seal (1 core)" crypto_wire_build_us "us/signal" %.1f
row "single: verify (1 core)" crypto_wire_verify_us "us/signal" %.1f
row "receive: open seal (1 core)" crypto_wire_open_us "us/signal" %.1f
row "Ed25519 sign (libsodium)" crypto_ed25519_sign_us "us" %.1f
row "Ed25519 sign (OpenSSL 3)" crypto_ed25519_sign_openssl_us "us" %.1f
row "Ed25519 verify (libsodium)" crypto_ed25519_verify_us "us" %.1f
row "Ed25519 verify (OpenSSL 3)" crypto_ed25519_verify_openssl_us "us" %.1f
row "CPU ceiling sender, single" crypto_sender_ceiling_per_s "signals/s"
row "CPU ceiling recip., single" crypto_recipient_ceiling_per_s \
	"signals/s"
row "latency offered" latency_offered_per_s "signals/s" %.1f
row "latency median" latency_p50_ms "ms" %.2f
row "latency p90" latency_p90_ms "ms" %.2f
row "latency p99" latency_p99_ms "ms" %.2f
row "latency max" latency_max_ms "ms" %.2f
row "latency to handling, median" latency_handled_p50_ms "ms" %.2f
row "latency to handling, p99" latency_handled_p99_ms "ms" %.2f
row "e2e accept (sender control)" e2e_accept_per_s "signals/s"
row "e2e end to end (receipt back)" e2e_signals_per_s "signals/s"
row "e2e recipient duplicates" e2e_recipient_duplicates "signals"
row "e2e sender CPU per signal" e2e_sender_cpu_us_per_signal "us"
row "e2e recipient CPU per signal" e2e_recipient_cpu_us_per_signal "us"
row "  of which main thread: sender" e2e_sender_loop_us_per_signal "us" %.1f
row "  of which main thread: recipient" e2e_recipient_loop_us_per_signal "us" %.1f
row "e2e client CPU per signal" e2e_client_cpu_us_per_signal "us" %.1f
row "e2e machine CPU per signal (all)" e2e_machine_cpu_us_per_signal "us" %.1f
row "e2e sender page faults per signal" e2e_sender_faults_per_signal "" %.2f
row "e2e recipient page faults per signal" e2e_recipient_faults_per_signal "" %.2f
row "e2e sender bytes written per signal" e2e_sender_bytes_written_per_signal bytes %.0f
row "e2e recipient bytes written per signal" e2e_recipient_bytes_written_per_signal bytes %.0f
row "e2e paced by peer_rate" paced_signals_per_s "signals/s"
row "  bucket bound (count-2r)/r" paced_bucket_bound_per_s "signals/s"
row "  paced duplicates" paced_recipient_duplicates "signals"
row "e2e sender VmHWM" e2e_sender_vmhwm_mb "MB" %.1f
row "paced sender VmHWM (queue grew)" paced_sender_vmhwm_mb "MB" %.1f
row "ratio e2e / raw CURVE" ratio_e2e_to_raw_curve "(per run)" %.4f
row "ratio e2e / LMDB 1-record commits" ratio_e2e_to_lmdb_single_commit \
	"(per run)" %.2f
for n in 1 10 100 "$SCALE_PARTNERS"; do
	row "scale $n partner(s): throughput" "scale_signals_per_s_p$n" "signals/s"
	row "scale $n: delivery median" "scale_delivery_p50_ms_p$n" "ms" %.1f
	row "scale $n: delivery p99" "scale_delivery_p99_ms_p$n" "ms" %.1f
	row "scale $n: worst partner median" "scale_partner_median_max_ms_p$n" \
		"ms" %.1f
	row "scale $n: fairness (worst/median)" "scale_fairness_ratio_p$n" \
		"(<= 3)" %.2f
	row "scale $n: ratio to raw CURVE" "scale_ratio_to_raw_curve_p$n" \
		"(per run)" %.4f
done
row "scale daemon VmHWM" scale_daemon_vmhwm_mb "MB" %.1f
row "scale daemon RssAnon (heap)" scale_daemon_rssanon_mb "MB" %.1f
row "scale daemon RssFile (LMDB map)" scale_daemon_rssfile_mb "MB" %.1f
row "scale daemon open files" "scale_daemon_fds_p$SCALE_PARTNERS" "fds"
row "import $IMPORT_ROWS rows" import_seconds "s" %.2f
row "import rows/s" import_rows_per_s "rows/s"
row "import accepted" import_accepted "rows"
row "import refused" import_refused "rows"
row "re-import (all skipped)" reimport_seconds "s" %.2f
row "re-import skipped" reimport_skipped "rows"
row "import sender VmHWM (since start)" import_sender_vmhwm_mb "MB" %.1f
row "import, recipient stopped" import_offline_seconds "s" %.2f
row "import, recipient stopped" import_offline_rows_per_s "rows/s"
row "history $HISTORY_KEYS keys: start" history_start_s "s" %.2f
row "history $HISTORY_KEYS keys: e2e" history_signals_per_s "signals/s"
row "fanout $FANOUT_PARTNERS partners: latency median" fanout_latency_p50_ms "ms" %.2f
row "fanout $FANOUT_PARTNERS partners: latency p99" fanout_latency_p99_ms "ms" %.2f
row "fanout $FANOUT_PARTNERS partners: e2e" fanout_signals_per_s "signals/s"
row "inbox 10k: daemon start" inbox_10k_start_s "s" %.2f
row "inbox 10k: 10 partners" scale_signals_per_s_inbox_10k "signals/s"
row "inbox 10k: delivery median" scale_delivery_p50_ms_inbox_10k "ms" %.1f
row "inbox 10k: RssAnon" inbox_10k_rssanon_mb "MB" %.1f
row "inbox $INBOX_BIG: daemon start" inbox_big_start_s "s" %.2f
row "inbox $INBOX_BIG: 10 partners" scale_signals_per_s_inbox_big \
	"signals/s"
row "inbox $INBOX_BIG: delivery median" scale_delivery_p50_ms_inbox_big \
	"ms" %.1f
row "inbox $INBOX_BIG: RssAnon" inbox_big_rssanon_mb "MB" %.1f
row "inbox $INBOX_BIG: RssFile" inbox_big_rssfile_mb "MB" %.1f
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

# ------------------------------------------------------------ verdicts
# One line per issue #7 target, from the medians above: met or NOT MET
# against the issue's thresholds, with the figure.
echo
echo "=== verdicts (issue #7), medians of $RUNS run(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
verdict() { # label, condition result (met / not met / not measured), why
	printf '%-12s %-13s %s\n' "$1" "$2" "$3"
}
v=$(median ratio_e2e_to_raw_curve) e=$(median e2e_signals_per_s)
if [ -z "$v" ]; then
	verdict "1 throughput" "not measured" "(PHASES without curve and e2e, or it failed)"
else
	awk -v r="$v" -v e="$e" 'BEGIN {
	    printf "%-12s %-13s end to end %.0f signals/s = %.1f %% of raw " \
		"CURVE (target: >= 25 %%)\n", "1 throughput",
		(r >= 0.25 ? "met" : "NOT MET"), e, 100 * r }'
fi
v=$(median latency_p50_ms) w=$(median latency_p99_ms)
if [ -z "$v" ] || [ -z "$w" ]; then
	verdict "2 latency" "not measured" "(PHASES without latency, or it failed)"
else
	awk -v m="$v" -v p="$w" -v r="$LATENCY_RATE" 'BEGIN {
	    printf "%-12s %-13s at %d/s offered: median %.2f ms (< 1), p99 " \
		"%.2f ms (< 5)\n", "2 latency",
		(m < 1 && p < 5 && r >= 1000 ? "met" : "NOT MET"), r, m, p }'
	# A signal is made durable twice in series before it counts (the
	# sender's journal append before it is sent, the recipient's before
	# the receipt): that much of the median is the disk's.
	fs=$(median fsync_appends_per_s)
	[ -n "$fs" ] && awk -v l="$fs" -v m="$v" 'BEGIN {
	    printf "%-12s %-13s two appends with fdatasync in series take " \
		"%.2f ms here (2 x 1/%.0f), %.0f%% of that median\n", "",
		"(floor)", 2000 / l, l, 2000 / l / m * 100 }'
fi
P=$SCALE_PARTNERS
fair=$(median "scale_fairness_ratio_p$P") hwm=$(median scale_daemon_vmhwm_mb)
if [ -z "$fair" ] || [ -z "$hwm" ]; then
	verdict "3 scale" "not measured" "(PHASES without scale, or it failed)"
else
	awk -v f="$fair" -v m="$hwm" -v n="$P" 'BEGIN {
	    ok = f <= 3 && m < 256
	    printf "%-12s %-13s %d partners at once: worst partner median / " \
		"overall median = %.2f (<= 3), daemon VmHWM %.1f MB (< 256)\n",
		"3 scale", ok ? "met" : "NOT MET", n, f, m }'
fi
secs=$(median import_seconds) refused=$(median import_refused)
acc=$(median import_accepted)
if [ -z "$secs" ]; then
	verdict "4 import" "not measured" "(PHASES without import, or it failed)"
else
	awk -v s="$secs" -v a="$acc" -v f="$refused" -v n="$IMPORT_ROWS" 'BEGIN {
	    ok = s < 5 && a == n && f == 0 && n >= 100000
	    printf "%-12s %-13s %d rows in %.2f s (target: 100000 in < 5 s), " \
		"%d accepted, %d refused\n", "4 import", ok ? "met" : "NOT MET",
		n, s, a, f }'
	off=$(median import_offline_seconds)
	[ -n "$off" ] && printf '%-12s %-13s %s %.2f s\n' "" "" \
		"the same with the recipient stopped (accepting only):" "$off"
fi
r1=$(median scale_signals_per_s_p1) r4=$(median "scale_signals_per_s_p$P")
i1=$(median scale_signals_per_s_inbox_10k) i2=$(median scale_signals_per_s_inbox_big)
if [ -z "$r1" ] || [ -z "$r4" ] || [ -z "$i1" ] || [ -z "$i2" ]; then
	verdict "5 growth" "not measured" "(needs the scale and inbox phases)"
else
	awk -v a="$r1" -v b="$r4" -v c="$i1" -v d="$i2" -v n="$P" -v big="$INBOX_BIG" 'BEGIN {
	    printf "%-12s %-13s throughput at %d partners is %.2f of 1 partner; " \
		"with %d signals in the inbox %.2f of 10,000 (printed, " \
		"visible: met)\n", "5 growth", "met", n, b / a, big, d / c }'
fi
h1=$(median e2e_signals_per_s) h2=$(median history_signals_per_s)
if [ -n "$h1" ] && [ -n "$h2" ]; then
	awk -v a="$h1" -v b="$h2" -v k="$HISTORY_KEYS" 'BEGIN {
	    printf "%-12s %-13s end to end with %d natural keys in the " \
		"sender'"'"'s history: %.2f of a fresh sender\n", "", "", k, b / a }'
fi
f1=$(median fanout_signals_per_s) f2=$(median fanout_latency_p50_ms) f3=$(median fanout_latency_p99_ms)
if [ -n "$h1" ] && [ -n "$f1" ]; then
	awk -v a="$h1" -v b="$f1" -v k="$FANOUT_PARTNERS" 'BEGIN {
	    printf "%-12s %-13s end to end with %d more partners waiting at " \
		"the sender: %.2f of a fresh sender\n", "", "", k, b / a }'
fi
if [ -n "$f2" ] && [ -n "$f3" ]; then
	awk -v a="$f2" -v b="$f3" -v k="$FANOUT_PARTNERS" 'BEGIN {
	    printf "%-12s %-13s latency with %d more partners waiting at the " \
		"sender: median %.2f ms, p99 %.2f ms (printed)\n", "", "", k, a, b }'
fi
[ -n "$BENCH_PERF_DIR" ] && echo "perf data of run 1 (e2e, import): $BENCH_PERF_DIR"
exit 0
