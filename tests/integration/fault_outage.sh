#!/usr/bin/env bash
# fault_outage: the recipient is away for a while and signals keep coming.
# The sender must queue them (status: pending grows, link down), retry with
# a bounded back-off (retry_ms in `seinctl --json status` never exceeds
# retry_max_ms from the configuration) and deliver everything, exactly
# once, when the recipient is back. Two kinds of outage:
#   1. down: the recipient is stopped (its port is closed);
#   2. hung: the recipient is frozen with SIGSTOP (its port still accepts
#      TCP connections but nothing answers), so signals go out, no
#      receipts come back and the retry interval doubles up to its bound.
# OUTAGE_SECONDS (default 10) sets the length of each outage.
. "$(dirname "$0")/lib.sh"
it_setup fault-outage
OUTAGE_SECONDS=${OUTAGE_SECONDS:-10}
S=corp-fo
R=gem-fo
partner $R municipality_debt 17711
partner $S landlord 17712
trust_all
conf_value() { awk -F' *= *' -v k="$2" '$1 == k {print $2}' "$WORK/$1.conf"; }
RETRY_MIN=$(conf_value $S retry_min_ms)
RETRY_MAX=$(conf_value $S retry_max_ms)
echo "sender's retry_min_ms $RETRY_MIN, retry_max_ms $RETRY_MAX"
start $R || { it_done; exit 1; }
start $S || { it_done; exit 1; }

: >"$WORK/accepted"
: >"$WORK/refused"
N=0
submit() { # submit COUNT: one pipelined call, accepted ids recorded
	N=$((N + 1))
	# its own creditor reference per signal: the catalogue's natural key
	# would make the sender skip a repeated one
	arrears_json "$1" $R $((N % 9)) | jq --arg t "FO-$N" \
		'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' >"$WORK/batch.json"
	ctl $S --json send --file "$WORK/batch.json" >"$WORK/reply$N.json"
	jq -r '.[] | select(.ok) | .message_id' "$WORK/reply$N.json" >>"$WORK/accepted"
	jq -r '.[] | select(.ok | not) | .rule' "$WORK/reply$N.json" >>"$WORK/refused"
}
pending() { status_field $S outbox_pending; }
# One status sample: seconds, outbox_pending, link, retry_ms, inflight.
sample() {
	ctl $S --json status | jq -r --arg t "$SECONDS" \
		'"\($t) \(.outbox_pending) \(.peers[0].link) \(.peers[0].retry_ms) \(.peers[0].inflight)"'
}
# During an outage: submit a batch every half second and sample status,
# for OUTAGE_SECONDS and at least 5 batches (the 200 the checks count on):
# on a machine so loaded that a round of a batch and two samples takes
# more than 2 s, the outage lasts until the fifth has been submitted.
outage_traffic() { # outage_traffic SAMPLES-FILE
	local end=$((SECONDS + OUTAGE_SECONDS)) i=0
	while { [ $SECONDS -lt $end ] || [ $i -lt 5 ]; } && [ $i -lt 400 ]; do
		submit 40
		sample >>"$1"
		sleep 0.5
		sample >>"$1"
		i=$((i + 1))
	done
}
growing() { # pending grew across the outage, and never went down
	awk 'NR == 1 {first = $2} {if ($2 < last) bad = 1; last = $2}
		END {exit !(last > first && !bad)}' "$1"
}
max_retry() { awk '$4 > m {m = $4} END {print m + 0}' "$1"; }
distinct_retry() { awk '{print $4}' "$1" | sort -un | tr '\n' ' '; }

submit 200
check "before the outage: the link is up and signals are delivered" \
	wait_until 30 bash -c "[ \"\$(status_field $S outbox_pending)\" = 0 ]"

# -------------------------------------------------- 1. recipient down
stop $R
before=$(wc -l <"$WORK/accepted")
outage_traffic "$WORK/down.samples"
sed 's/^/  down: /' "$WORK/down.samples" | awk 'NR % 4 == 1'
during=$(($(wc -l <"$WORK/accepted") - before))
check "down: the sender keeps accepting ($during accepted during the outage)" [ "$during" -ge 200 ]
check "down: the pending count grows" growing "$WORK/down.samples"
check "down: seinctl status shows the link down" \
	bash -c "awk '\$3 != \"down\"' '$WORK/down.samples' | grep -q . && exit 1 || exit 0"
check "down: the text status shows the partner's link down and its queue" \
	bash -c "ctl $S status | awk '\$1 == \"$R\" && \$3 == \"down\" && \$4 > 0' | grep -q ."
check "down: retry_ms stays within [retry_min_ms, retry_max_ms] (seen: $(distinct_retry "$WORK/down.samples"))" \
	awk -v lo="$RETRY_MIN" -v hi="$RETRY_MAX" '$4 < lo || $4 > hi {bad = 1} END {exit bad}' "$WORK/down.samples"
check "down: nothing failed" [ "$(status_field $S outbox_failed)" = 0 ]
start $R
check "down: everything is delivered when the recipient is back" \
	wait_until 60 bash -c "[ \"\$(status_field $S outbox_pending)\" = 0 ]"
check "down: the link is up again" [ "$(ctl $S --json status | jq -r '.peers[0].link')" = up ]

# -------------------------------------------------- 2. recipient hung
kill -STOP "${IT_PIDS[$R]}"
before=$(wc -l <"$WORK/accepted")
outage_traffic "$WORK/hung.samples"
sed 's/^/  hung: /' "$WORK/hung.samples" | awk 'NR % 4 == 1'
during=$(($(wc -l <"$WORK/accepted") - before))
check "hung: the sender keeps accepting ($during accepted during the outage)" [ "$during" -ge 200 ]
check "hung: the pending count grows" growing "$WORK/hung.samples"
check "hung: retry_ms grows while no receipts come (seen: $(distinct_retry "$WORK/hung.samples"))" \
	[ "$(max_retry "$WORK/hung.samples")" -gt "$(head -n1 "$WORK/hung.samples" | awk '{print $4}')" ]
check "hung: retry_ms doubles up to retry_max_ms ($RETRY_MAX) and never beyond" \
	[ "$(max_retry "$WORK/hung.samples")" = "$RETRY_MAX" ]
check "hung: the link is reported down once heartbeats time out" \
	grep -q ' down ' "$WORK/hung.samples"
check "hung: nothing failed" [ "$(status_field $S outbox_failed)" = 0 ]
kill -CONT "${IT_PIDS[$R]}"
# ZeroMQ 4.3.4 (Debian 12's) can abort a thawed daemon whose partner
# dropped the connection while it was frozen and whose receive queue
# filled as it woke: "Assertion failed: !_io_error
# (src/stream_engine_base.cpp:331)", upstream issues 3937 and 4364; the
# README's installation section says so. The systemd unit restarts a
# daemon that fails, and so does this test, once, for that abort alone:
# the exactly-once checks below then cover the restart too. Any other
# end of the recipient fails the test.
ZMQ_ABORT='Assertion failed: !_io_error (src/stream_engine_base.cpp'
alive() { # a zombie counts as gone
	local st
	st=$(ps -o stat= -p "${IT_PIDS[$R]}") && [ "${st#Z}" = "$st" ]
}
delivered_or_gone() { [ "$(status_field $S outbox_pending)" = 0 ] || ! alive; }
wait_until 90 delivered_or_gone
if ! alive; then
	rc=0
	reap $R || rc=$?
	if grep -qF "$ZMQ_ABORT" "$WORK/$R.log" && ! grep -q 'ERROR: AddressSanitizer\|runtime error:' "$WORK/$R.log"; then
		echo "NOTE: the thawed recipient hit ZeroMQ 4.3.4's assertion (exit $rc); restarted as systemd would"
		start $R
	else
		tail -n 20 "$WORK/$R.log"
		fail "hung: the recipient ended when thawed (exit $rc), not by ZeroMQ's known assertion"
	fi
fi
check "hung: everything is delivered when the recipient wakes up" \
	wait_until 90 bash -c "[ \"\$(status_field $S outbox_pending)\" = 0 ]"
check "hung: the recipient is still running" bash -c "ctl $R status >/dev/null"
check "after delivery: retry_ms is back within bounds" \
	bash -c "r=\$(ctl $S --json status | jq '.peers[0].retry_ms'); [ \$r -ge $RETRY_MIN ] && [ \$r -le $RETRY_MAX ]"

# ------------------------------------------------------ exactly once
check "no signal refused by the sender ($(sort "$WORK/refused" | uniq -c | tr '\n' ' '))" [ ! -s "$WORK/refused" ]
sort "$WORK/accepted" >"$WORK/accepted.sorted"
inbox_ids $R | sort >"$WORK/inbox"
check "every accepted signal is in the inbox" [ -z "$(comm -23 "$WORK/accepted.sorted" "$WORK/inbox")" ]
check "no duplicate in the inbox" [ -z "$(uniq -d "$WORK/inbox")" ]
check "nothing in the inbox that was not accepted" [ -z "$(comm -13 "$WORK/accepted.sorted" "$WORK/inbox")" ]
check "no signal failed at the sender" [ -z "$(outbox_ids $S failed)" ]
echo "fault_outage figures: accepted $(wc -l <"$WORK/accepted.sorted"), in inbox $(wc -l <"$WORK/inbox")," \
	"duplicates $(uniq -d "$WORK/inbox" | wc -l), pending at the end of the outages" \
	"$(tail -n1 "$WORK/down.samples" | awk '{print $2}') (down) and $(tail -n1 "$WORK/hung.samples" | awk '{print $2}') (hung)," \
	"retry_ms seen down: $(distinct_retry "$WORK/down.samples")/ hung: $(distinct_retry "$WORK/hung.samples")," \
	"resends answered as duplicates by the recipient: $(status_field $R duplicates)"
stop $S
stop $R
it_done
