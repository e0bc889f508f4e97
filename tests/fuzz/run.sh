#!/usr/bin/env bash
# run.sh - build the libFuzzer targets and run each for a while.
#
#   tests/fuzz/run.sh [TARGET...]          default: all ten targets
#
# FUZZ_SECONDS  seconds per target (default 20; the long run is 600)
# FUZZ_BUILD    clang fuzz build directory (default build-fuzz); configured
#               here with -DSEINHUIS_FUZZ=ON if it does not exist yet
# FUZZ_ARGS     extra libFuzzer options, e.g. "-max_len=8192"
# FUZZ_PARALLEL targets run at once (default: the number of CPUs); each
#               runs on one CPU for FUZZ_SECONDS, as when run alone
#
# Targets run side by side, each on its work corpus in
# tests/fuzz/corpus-work/<target>/ (not committed), which starts as a copy
# of tests/fuzz/corpus/<target>/ and keeps what earlier runs found. The
# libFuzzer output of each run is in corpus-work/<target>.log, and crash,
# leak, timeout and OOM inputs in corpus-work/artifacts/<target>/. The
# script prints executions and coverage per target and exits 1 if any
# target failed, 2 if it could not build.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
extra=${FUZZ_ARGS:-}
all="fuzz_envelope fuzz_peerframe fuzz_control fuzz_config fuzz_card fuzz_identity
	fuzz_catalogue fuzz_csv fuzz_postcodes fuzz_journal"
targets=${*:-$all}
work=$here/corpus-work

if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=clang cmake -S "$root" -B "$build" -DSEINHUIS_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo || exit 2
fi
if ! grep -q '^SEINHUIS_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
	echo "run.sh: $build is not a fuzz build (SEINHUIS_FUZZ is not ON)" >&2
	exit 2
fi
# Only the fuzz targets: the rest of the tree need not build for this.
mkdir -p "$work"
# shellcheck disable=SC2086
make -C "$build" -j2 $targets >"$work/build.log" 2>&1 || {
	tail -30 "$work/build.log" >&2
	echo "run.sh: build failed (full log: $work/build.log)" >&2
	exit 2
}

for t in $targets; do
	if [ ! -x "$build/tests/fuzz/$t" ]; then
		echo "run.sh: no target $t in $build" >&2
		exit 2
	fi
done

# run_one TARGET: fuzz it; its line of figures into $work/TARGET.line;
# exit status 1 if it failed
run_one() {
	local t=$1 bin=$build/tests/fuzz/$1 log=$work/$1.log rc
	mkdir -p "$work/$t" "$work/artifacts/$t"
	cp "$here/corpus/$t/"* "$work/$t/" 2>/dev/null # seeds stay current
	local dict=()
	[ -f "$here/dict/$t.dict" ] && dict=("-dict=$here/dict/$t.dict")
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 \
		-rss_limit_mb=2048 -artifact_prefix="$work/artifacts/$t/" \
		${dict[@]+"${dict[@]}"} $extra "$work/$t" >"$log" 2>&1
	rc=$?
	local last cov ft corp execs rate status=ok what unit
	last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
	if [ -z "$execs" ]; then
		execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
	fi
	if [ "$rc" -ne 0 ]; then
		what=$(grep -m1 -E 'fuzz setup:|invariant broken|runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)' "$log")
		unit=$(sed -nE 's/.*Test unit written to (.*)/\1/p' "$log" | tail -1)
		status="FAILED (exit $rc): ${what:-see $log}${unit:+; input: $unit}"
	fi
	printf '%-15s execs %-10s exec/s %-6s cov %-5s ft %-6s corpus %-5s %s\n' \
		"$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
		"$status" | tee "$work/$t.line"
	[ "$rc" -eq 0 ]
}

parallel=${FUZZ_PARALLEL:-$(nproc 2>/dev/null || echo 1)}
[ "$parallel" -ge 1 ] 2>/dev/null || parallel=1
failed=0
running=0
for t in $targets; do
	if [ "$running" -ge "$parallel" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	echo "== $t: ${seconds}s"
	rm -f "$work/$t.line"
	run_one "$t" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
report=()
for t in $targets; do
	report+=("$(cat "$work/$t.line" 2>/dev/null || echo "$t: no result")")
done

echo
echo "== summary (${seconds}s per target; logs in $work/)"
printf '%s\n' "${report[@]}"
exit $failed
