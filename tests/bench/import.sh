#!/usr/bin/env bash
# import.sh - time `seinctl import` of IMPORT_ROWS arrears rows (issue 7,
# target 4: 100,000 rows validated, sealed and durably accepted in < 5 s).
#
#   bash tests/bench/import.sh [BUILD-DIR]      (default: build)
#
# Per run, on a fresh landlord -> municipality_debt pair: import with the
# recipient running, re-import of the same file (every row skipped), then a
# new file with the recipient stopped (accepting only). Prints each time and
# the median over RUNS (default 3). IMPORT_ROWS (default 100000).
# PERF_DIR=DIR records `perf record` (PERF_CG: call-graph options, default
# DWARF) of the sending daemon during the first run's PERF_PHASE into DIR.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
IMPORT_ROWS=${IMPORT_ROWS:-100000}
RUNS=${RUNS:-3}
PERF_DIR=${PERF_DIR:-}
case $IMPORT_ROWS$RUNS in
*[!0-9]* | '')
	echo "import.sh: IMPORT_ROWS and RUNS must be numbers" >&2
	exit 2
	;;
esac
# shellcheck source=tests/bench/setup.sh
. "$HERE/setup.sh" bench-import "${1:-build}"

# IMPORT_ROWS distinct fictional residents and claims (rows.sh)
import_file() { arrears_rows "$IMPORT_ROWS" "$1"; }

# import_run RUN WHAT FILE TO
import_run() {
	local run=$1 what=$2 file=$3 to=$4 t0 t1 out rc=0
	local cmd=("$SEINCTL" -s "$WORK/$from/control.sock" --json import "$file"
		--type arrears --to "$to" --set legal_basis=legal_duty
		--set municipality_code=0599 --quiet)
	local pid c0 c1 rpid r0=0 r1=0
	pid=$(daemon_pid "$from")
	rpid=$(daemon_pid "$to" 2>/dev/null)
	c0=$(cpu_ticks "$pid")
	[ -n "$rpid" ] && r0=$(cpu_ticks "$rpid")
	t0=$(date +%s%N)
	# PERF_CTL=1: seinctl of the first run's PERF_PHASE under perf too
	if [ "${PERF_CTL:-0}" = 1 ] && [ -n "$PERF_DIR" ] && [ "$run" = 1 ] &&
		[ "$what" = "${PERF_PHASE:-import}" ]; then
		cmd=(perf record -g -q -o "$PERF_DIR/$what-seinctl.data" --
			setpriv --reuid="$RUN_USER" --regid="$RUN_USER"
			--clear-groups -- "${cmd[@]}")
		out=$("${cmd[@]}" 2>"$WORK/$what.err") || rc=$?
	else
		out=$(as_user "${cmd[@]}" 2>"$WORK/$what.err") || rc=$?
	fi
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$pid")
	[ -n "$rpid" ] && r1=$(cpu_ticks "$rpid")
	awk -v t0="$t0" -v t1="$t1" -v r="$run" -v w="$what" \
		-v c="$((c1 - c0))" -v rc="$((r1 - r0))" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		    printf "%s %s %.3f\n%s %s_cpu %.2f\n%s %s_recipient_cpu %.2f\n",
			r, w, (t1 - t0) / 1e9, r, w, c / hz, r, w, rc / hz }' \
		>>"$RESULTS"
	echo "  $what: $(tail -n3 "$RESULTS" | head -n1 | cut -d' ' -f3) s" \
		"(CPU: sending daemon $(tail -n2 "$RESULTS" | head -n1 | cut -d' ' -f3) s," \
		"recipient $(tail -n1 "$RESULTS" | cut -d' ' -f3) s): $out (exit $rc)"
	head -n 3 "$WORK/$what.err" | sed 's/^/    /'
}

# perf record of the sending daemon during the first run's PERF_PHASE
# (import or offline; default import).
perf_pid=
perf_start() {
	[ "$1" = 1 ] && [ -n "$PERF_DIR" ] && [ "$2" = "${PERF_PHASE:-import}" ] ||
		return 0
	# shellcheck disable=SC2086 # PERF_CG is a list of options
	perf record ${PERF_CG:---call-graph dwarf,16384 -F 499} -q \
		-o "$PERF_DIR/$2-seinhuisd.data" -p "$(daemon_pid "$from")" \
		>/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.5
}
perf_stop() {
	[ -n "$perf_pid" ] || return 0
	kill -INT "$perf_pid"
	wait "$perf_pid"
	perf_pid=
}

[ -n "$PERF_DIR" ] && mkdir -p "$PERF_DIR" && chmod 777 "$PERF_DIR"
echo "# import bench: $RUNS run(s) of $IMPORT_ROWS rows, host $(uname -n)," \
	"$(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
	from=landlord$run to=gemeente$run
	partner "$from" landlord $((17960 + 2 * run)) "map_size = 2G" || exit 1
	partner "$to" municipality_debt $((17961 + 2 * run)) "map_size = 2G" || exit 1
	trust "$from" "$to" && trust "$to" "$from" || exit 1
	start "$from" && start "$to" || exit 1
	echo "run $run (load $(cut -d' ' -f1-3 /proc/loadavg))"
	import_file IMP$run | as_user tee "$WORK/a.csv" >/dev/null
	perf_start "$run" import
	import_run "$run" import "$WORK/a.csv" "$to"
	perf_stop
	import_run "$run" reimport "$WORK/a.csv" "$to"
	stop "$to"
	import_file OFF$run | as_user tee "$WORK/b.csv" >/dev/null
	perf_start "$run" offline
	import_run "$run" offline "$WORK/b.csv" "$to"
	perf_stop
	stop "$from"
	rm -rf "${WORK:?}/$from" "${WORK:?}/$to" "$WORK/a.csv" "$WORK/b.csv"
done
for w in import import_cpu import_recipient_cpu reimport reimport_cpu \
	offline offline_cpu; do
	awk -v w="$w" '$2 == w { print $3 }' "$RESULTS" | sort -g | awk -v w="$w" '
	    { v[NR] = $1 } END { printf "median %-9s %.3f s over %d run(s)\n", w,
		NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, NR }'
done
