#!/usr/bin/env bash
# fault_turnfail: one of the recipient's turns is not stored (the
# fdatasync of its journal fails once, preloading failsync.c's library)
# while the sender keeps sending: four clients each sending batches of 10
# signals, one after the other. The signals of that turn get no receipt;
# the others' receipts keep the link busy, so the sender's link timer (no
# receipt at all for retry_min_ms, 500 ms here) never fires. Each signal
# in flight has a timer of its own:
#
#   1. while the traffic goes on, no signal stays pending at the sender
#      for more than 2 s (before: until the traffic stopped);
#   2. every signal the sender accepted is in the recipient's inbox exactly
#      once, and none is pending or failed;
#   3. the recipient's counters count what its stored turns answered: its
#      `received` is what its inbox holds (before: the failed turn's
#      signals were counted, and again when they came back), and the
#      sender counts each delivered once.
# Skipped (77) where FAILSYNC is not set (the sanitizer builds).
. "$(dirname "$0")/lib.sh"
[ -n "${FAILSYNC:-}" ] || {
	echo "skip: FAILSYNC (the preloaded library) not set"
	exit 77
}
it_setup fault-turnfail
S=corp-tf
R=gem-tf
partner $R municipality_debt 17771
partner $S landlord 17772 "retry_min_ms = 500"
trust_all
# the shim runs as the daemon's user: it removes the flag
chmod 1777 "$WORK"
WRAP="env LD_PRELOAD=$FAILSYNC FAILSYNC_FLAG=$WORK/failsync" start $R || {
	it_done
	exit 1
}
WRAP='' start $S || {
	it_done
	exit 1
}
now_ms() { date +%s%3N; }
# traffic K: batches of 10 signals, one call each, till $WORK/stop is
# there
traffic() {
	local c=0
	while [ ! -e "$WORK/stop" ] && [ $c -lt 2000 ]; do
		c=$((c + 1))
		arrears_json 10 $R $((c % 9)) | jq --arg t "TF-$1-$c" \
			'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' >"$WORK/batch.$1.json"
		ctl $S --json send --file "$WORK/batch.$1.json" 2>/dev/null |
			jq -r '.[] | select(.ok) | .message_id' >>"$WORK/accepted.$1"
	done
}
tpids=()
for k in 1 2 3 4; do
	traffic $k &
	tpids+=($!)
done
# the age (ms) of the oldest signal pending at the sender; 0: none
oldest_ms() {
	local t
	t=$(ctl $S --json outbox --state pending --limit 10000000 | jq '[.[].created_ms] | min // empty')
	if [ -n "$t" ]; then echo $(($(now_ms) - t)); else echo 0; fi
}
wait_until 30 bash -c "[ \$(cat '$WORK'/accepted.* | wc -l) -ge 200 ]"
touch "$WORK/failsync"
check "one of the recipient's journal flushes is made to fail" \
	wait_until 10 bash -c "[ ! -e '$WORK/failsync' ]"
t_fail=$(now_ms)
# 6 s of traffic after it, the oldest pending signal's age read meanwhile
max=0
while [ $(($(now_ms) - t_fail)) -lt 6000 ]; do
	a=$(oldest_ms)
	[ "$a" -gt "$max" ] && max=$a
	sleep 0.2
done
check "the traffic went on meanwhile" kill -0 "${tpids[@]}"
touch "$WORK/stop"
wait "${tpids[@]}"
cat "$WORK"/accepted.* >"$WORK/accepted"
echo "# oldest pending signal during the traffic after the failure: $max ms"
check "no signal pending for 2 s or more while the traffic goes on" [ "$max" -lt 2000 ]
check "the recipient's turn failed (logged)" grep -q "commit failed" "$WORK/$R.log"
check "all settled once the traffic stopped" \
	wait_until 30 bash -c "[ \"\$(ctl $S --json status | jq -r .outbox_pending)\" = 0 ]"
check "some signals were sent again (the failed turn had signals)" bash -c \
	"ctl $S --json outbox --state delivered --limit 10000000 | json_has 'any(.[]; .attempts >= 2)'"
n=$(sort -u "$WORK/accepted" | wc -l)
echo "# accepted: $n"
inbox_ids $R | sort >"$WORK/inbox"
check "every accepted signal is in the inbox" \
	bash -c "[ -z \"\$(comm -23 <(sort -u '$WORK/accepted') '$WORK/inbox')\" ]"
check "  exactly once" [ "$(wc -l <"$WORK/inbox")" = "$n" ]
check "  and nothing else" [ "$(sort -u "$WORK/inbox" | wc -l)" = "$n" ]
check "none failed at the sender" [ "$(status_field $S outbox_failed)" = 0 ]
check "the recipient counts what its inbox holds as received" \
	[ "$(status_field $R received)" = "$n" ]
check "  and so for that partner" bash -c \
	"ctl $R --json status | json_has '.peers[] | select(.partner==\"$S\") | .received == $n'"
check "the sender counts each delivered once" [ "$(status_field $S delivered_out)" = "$n" ]
check "the recipient is up" ctl $R status
stop $S && pass "sender stops cleanly" || fail "sender exit status"
stop $R && pass "recipient stops cleanly" || fail "recipient exit status"
it_done
