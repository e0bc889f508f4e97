#!/usr/bin/env bash
# recover.sh - what answering a large `seinctl recover` costs the sender:
# how long until it answers and until every signal it sent again has come
# back as a duplicate, and how responsive it stays meanwhile (the time a
# `seinctl status` takes at the sender, asked over and over, against the
# same with the sender idle).
#
#   bash tests/bench/recover.sh [BUILD-DIR]      (default: build)
#
# Per run, on a fresh landlord -> municipality_debt pair: RECOVER_ROWS
# arrears rows (default 100000) are imported and delivered; then the
# municipality asks for everything delivered since before the import, once
# with the sender answering in steps of STEPS (a list, default "5000
# 1000000": the default resend_step, and all in one turn as before it
# existed). Medians over RUNS (default 3).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
RECOVER_ROWS=${RECOVER_ROWS:-100000}
RUNS=${RUNS:-3}
STEPS=${STEPS:-5000 1000000}
case $RECOVER_ROWS$RUNS${STEPS// /} in
*[!0-9]* | '')
	echo "recover.sh: RECOVER_ROWS, RUNS and STEPS must be numbers" >&2
	exit 2
	;;
esac
# shellcheck source=tests/bench/setup.sh
. "$HERE/setup.sh" bench-recover "${1:-build}"

field() { # field ID JQ: from the daemon's status
	as_user "$SEINCTL" -s "$WORK/$1/control.sock" --json status | jq -r "$2"
}
now_ms() { date +%s%3N; }

echo "# recover bench: $RUNS run(s) of $RECOVER_ROWS signals, steps $STEPS," \
	"host $(uname -n), $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
	for step in $STEPS; do
		from=landlord$run-$step to=gemeente$run-$step
		partner "$from" landlord 17990 "map_size = 2G" \
			"resend_step = $step" || exit 1
		partner "$to" municipality_debt 17991 "map_size = 2G" \
			"peer_rate = 1000000" || exit 1
		trust "$from" "$to" && trust "$to" "$from" || exit 1
		start "$from" && start "$to" || exit 1
		t0=$(date +%s)
		sleep 1.1
		arrears_rows "$RECOVER_ROWS" "R$run" | as_user tee "$WORK/a.csv" >/dev/null
		as_user "$SEINCTL" -s "$WORK/$from/control.sock" import \
			"$WORK/a.csv" --type arrears --to "$to" --quiet \
			--set legal_basis=legal_duty --set municipality_code=0599 \
			>/dev/null || exit 1
		until [ "$(field "$from" .outbox_pending)" = 0 ]; do sleep 0.5; done
		dup0=$(field "$to" .duplicates)
		# the same probe with the sender idle, for comparison
		idle=$( (for _ in 1 2 3 4 5; do
			a=$(date +%s%N)
			as_user "$SEINCTL" -s "$WORK/$from/control.sock" status \
				>/dev/null
			b=$(date +%s%N)
			echo $(((b - a) / 1000))
		done) | sort -n | sed -n 3p)
		asked=$(now_ms)
		as_user "$SEINCTL" -s "$WORK/$to/control.sock" recover \
			--since "@$((t0 - 1))" >/dev/null || exit 1
		# the sender's status over and over until the answer is there
		: >"$WORK/lat"
		answered=0
		while [ "$answered" -le 0 ]; do
			a=$(date +%s%N)
			as_user "$SEINCTL" -s "$WORK/$from/control.sock" status \
				>/dev/null
			b=$(date +%s%N)
			echo $(((b - a) / 1000)) >>"$WORK/lat"
			answered=$(field "$to" '.peers[0].recover_answered_ms')
		done
		count=$(field "$to" '.peers[0].recover_count')
		until [ "$(field "$to" .duplicates)" -ge $((dup0 + count)) ]; do
			sleep 0.2
		done
		done_ms=$(now_ms)
		sort -n "$WORK/lat" | awk -v r="$run" -v s="$step" \
			-v ans="$((answered - asked))" -v all="$((done_ms - asked))" \
			-v c="$count" -v idle="$idle" '{ v[NR] = $1 } END {
			    printf "%s %s status_idle_ms %.1f\n", r, s, idle / 1000
			    printf "%s %s answer_ms %d\n%s %s all_back_ms %d\n", r, s, ans, r, s, all
			    printf "%s %s status_max_ms %.1f\n", r, s, v[NR] / 1000
			    printf "%s %s status_median_ms %.1f\n", r, s, v[int((NR + 1) / 2)] / 1000
			    printf "%s %s count %d\n%s %s probes %d\n", r, s, c, r, s, NR }' \
			>>"$RESULTS"
		echo "run $run, resend_step $step: $(grep "^$run $step " "$RESULTS" |
			cut -d' ' -f3- | tr '\n' ' ')"
		stop "$from"
		stop "$to"
		rm -rf "${WORK:?}/$from" "${WORK:?}/$to" "$WORK/a.csv"
	done
done
for step in $STEPS; do
	for w in count answer_ms all_back_ms status_idle_ms status_median_ms \
		status_max_ms; do
		awk -v s="$step" -v w="$w" '$2 == s && $3 == w { print $4 }' \
			"$RESULTS" | sort -g | awk -v s="$step" -v w="$w" '
		    { v[NR] = $1 } END { printf "resend_step %-8s median %-17s %.1f over %d run(s)\n",
			s, w, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, NR }'
	done
done
exit 0
