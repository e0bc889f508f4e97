#!/usr/bin/env bash
# Restart of the recipient (kill -9) while signals are in flight, and
# crashes of the sender with signals pending: every accepted signal ends
# in the inbox exactly once and the sender's outbox drains.
. "$(dirname "$0")/lib.sh"
it_setup restart
partner gem-rs municipality_debt 17211
partner corp-rs landlord 17212
trust_all
start gem-rs
start corp-rs

CHUNK=${RESTART_CHUNK:-400}
chunk() { # chunk K: submit CHUNK signals in one pipelined call
	arrears_json "$CHUNK" gem-rs "$1" >"$WORK/chunk$1.json"
	ctl corp-rs --json send --file "$WORK/chunk$1.json" >"$WORK/accepted$1.json"
}

# 1. recipient killed while a chunk is being delivered
chunk 1 &
job=$!
sleep 0.15
crash gem-rs
wait $job
start gem-rs
# 2. recipient down while a chunk is accepted; then the sender crashes
#    with everything still pending, and both come back
crash gem-rs
chunk 2
crash corp-rs
start corp-rs
start gem-rs
# 3. recipient killed twice in quick succession during a chunk
chunk 3 &
job=$!
sleep 0.1
crash gem-rs
start gem-rs
sleep 0.05
crash gem-rs
wait $job
start gem-rs
# 4. sender killed during submission: what it accepted must arrive
chunk 4 &
job=$!
sleep 0.1
crash corp-rs
wait $job
start corp-rs

# 5. sender killed while what it accepted is only in its journal: with a
#    checkpoint interval of ten minutes nothing of chunk 5 reaches data.mdb
#    before the kill. On restart the journal is replayed (and says so),
#    and the chunk is delivered.
crash gem-rs
echo "checkpoint_ms = 600000" | as_user tee -a "$WORK/corp-rs.conf" >/dev/null
stop corp-rs
start corp-rs
chunk 5
replays=$(grep -c "replayed from the journal" "$WORK/corp-rs.log")
crash corp-rs
start corp-rs
check "the restarted sender replayed its journal" \
	[ "$(grep -c "replayed from the journal" "$WORK/corp-rs.log")" -gt "$replays" ]
check "after the replay the sender lists chunk 5 pending" bash -c \
	"[ \"\$(status_field corp-rs outbox_pending)\" -ge $CHUNK ]"
start gem-rs
# 6. one process per data directory: while gem-rs runs, a second daemon
#    (here seinhuisd -t) on its data store is refused, and says why.
check "a second process on a running daemon's data store is refused" bash -c \
	"! as_user $SEINHUISD -t -c $WORK/gem-rs.conf >$WORK/second.out 2>&1 && grep -q 'in use by another process' $WORK/second.out"

cat "$WORK"/accepted*.json | jq -r '.[] | select(.ok) | .message_id' | sort >"$WORK/accepted"
check "at least three full chunks accepted" [ "$(wc -l <"$WORK/accepted")" -ge $((3 * CHUNK)) ]
check "sender's outbox drains after the restarts" \
	wait_until 90 bash -c "[ \"\$(status_field corp-rs outbox_pending)\" = 0 ]"
inbox_ids gem-rs | sort >"$WORK/inbox"
check "inbox holds every accepted signal" [ -z "$(comm -23 "$WORK/accepted" "$WORK/inbox")" ]
check "inbox holds no duplicate" [ -z "$(uniq -d "$WORK/inbox")" ]
# Signals submitted but never answered (sender killed mid-call) may be in
# the inbox too; they are not duplicates. Count them, do not fail on them.
extra=$(comm -13 "$WORK/accepted" "$WORK/inbox" | wc -l)
echo "accepted $(wc -l <"$WORK/accepted"), in inbox $(wc -l <"$WORK/inbox")" \
	"(of which $extra submitted while the sender was killed, unanswered)," \
	"duplicates ignored by the recipient since its last start: $(status_field gem-rs duplicates)"
stop gem-rs
stop corp-rs
check "both stores pass the start-up check (-t)" bash -c \
	"as_user $SEINHUISD -T -c $WORK/gem-rs.conf >/dev/null && as_user $SEINHUISD -T -c $WORK/corp-rs.conf >/dev/null"
it_done
