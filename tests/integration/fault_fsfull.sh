#!/usr/bin/env bash
# fault_fsfull: the file system under the sender's data directory fills up
# while its map has room (fault_diskfull fills the map). The sender's data
# directory is a small tmpfs; its recipient is down, so every signal waits.
#
#   1. Signals are accepted while the journal can grow, then refused with
#      STORAGE_FULL; the daemon stays up. Its checkpoints fail: the log
#      names the cause (no space left on the device, which directory) once
#      a minute, not at each try, and seinctl check says CRITICAL.
#   2. Room is made while it runs (the tmpfs grown, as an operator frees
#      space): the next checkpoint succeeds and says so.
#   3. Full again and killed (-9): started while still full it stops and
#      says what to do; with room, the turns acknowledged since the last
#      checkpoint are replayed, new signals are accepted, check is OK
#      again, and once the recipient is up every accepted signal is
#      delivered exactly once.
# Needs root to mount the tmpfs; skipped (77) where mounting is refused.
. "$(dirname "$0")/lib.sh"
it_setup fault-fsfull
S=corp-ff
R=gem-ff
partner $R municipality_debt 17741
partner $S landlord 17742
trust_all
MNT=$WORK/$S/data
it_tmpfs "$MNT" 6m
start $S || { it_done; exit 1; }
: >"$WORK/$S.accepted"
: >"$WORK/$S.refused"
CALL=0
submit() { # submit COUNT: one pipelined call; accepted ids and refusal rules kept
	CALL=$((CALL + 1))
	arrears_json "$1" $R $((CALL % 9)) | jq --arg t "FF-$CALL" \
		'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' >"$WORK/batch.json"
	ctl $S --json send --file "$WORK/batch.json" >"$WORK/reply.json" 2>/dev/null
	local rc=$?
	jq -r '.[] | select(.ok) | .message_id' "$WORK/reply.json" >>"$WORK/$S.accepted"
	jq -r '.[] | select(.ok | not) | .rule' "$WORK/reply.json" >>"$WORK/$S.refused"
	return $rc
}
t0=$(date +%s)
rc=0
for ((i = 0; i < 400; i++)); do
	submit 200 || { rc=$?; break; }
done
n=$(wc -l <"$WORK/$S.accepted")
echo "the file system filled after $n signals ($CALL calls)"
check "1: once the file system is full a send is refused, seinctl exits 1 (got $rc)" [ "$rc" = 1 ]
check "1: the refusals name STORAGE_FULL" bash -c "[ \"\$(sort -u '$WORK/$S.refused')\" = STORAGE_FULL ]"
check "1: the daemon is up" kill -0 "${IT_PIDS[$S]}"
check "1: the log names the cause and the free space in the directory's file system" wait_until 5 grep -q \
	"checkpoint failed (.* tries so far): STORE (.*; [0-9]* KiB free in the file system of $MNT)" "$WORK/$S.log"
check "1: ... and says to make room" grep -q "store: make room in the file system of $MNT" "$WORK/$S.log"
rc=0
out=$(ctl $S check) || rc=$?
check "1: seinctl check says CRITICAL (exit $rc): checkpoints fail, the free space" bash -c \
	"[ $rc = 2 ] && grep -q 'CRITICAL.*checkpoints fail since .*KiB free in the file system of' <<<\"\$0\"" "$out"
check "1: status --json gives the time and the cause" bash -c \
	"ctl $S --json status | json_has '.checkpoint_failing_ms > 0 and (.checkpoint_error | test(\"KiB free in the file system of\"))'"
sleep 2
lines=$(grep -c "checkpoint failed" "$WORK/$S.log")
mins=$((($(date +%s) - t0) / 60 + 1))
check "1: the failures are logged once a minute, not at each try ($lines lines in $mins minute(s))" \
	[ "$lines" -le "$mins" ]

# 2. room made while it runs
mount -o remount,size=32m "$MNT"
check "2: room made: the next checkpoint succeeds and says so" wait_until 15 grep -q \
	"store: checkpoint made after [0-9]* failed tries" "$WORK/$S.log"
check "2: status no longer reports failing checkpoints" bash -c \
	"ctl $S --json status | json_has '.checkpoint_failing_ms == 0'"

# 3. full again, killed (-9) while full: it does not start until there is
# room, and says so; then the journal's turns are replayed, none lost
# (the tmpfs shrunk to what it holds and a megabyte more)
mount -o remount,size=$(($(df -k --output=used "$MNT" | tail -1) + 1024))k "$MNT"
n0=$(wc -l <"$WORK/$S.accepted")
rc=0
for ((i = 0; i < 400; i++)); do
	submit 200 || { rc=$?; break; }
done
n=$(wc -l <"$WORK/$S.accepted")
check "3: full again after $((n - n0)) more signals" [ "$rc" = 1 -a "$n" -gt "$n0" ]
crash $S
# what room the shrunk tmpfs still had, taken by another file
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
rc=0
t0=$(date +%s%N)
as_user timeout 120 "$SEINHUISD" -c "$WORK/$S.conf" 2>"$WORK/start-full.err" || rc=$?
echo "the start on a full file system took $((($(date +%s%N) - t0) / 1000000)) ms"
check "3: started while full it stops (exit $rc) naming the free space and what to do" bash -c \
	"[ $rc = 1 ] && grep -q 'KiB free in the file system of $MNT: make room there and start again; what was accepted is safe in the journal' '$WORK/start-full.err'"
rm -f "$MNT/filler"
mount -o remount,size=128m "$MNT"
start $S || { tail -5 "$WORK/$S.log"; it_done; exit 1; }
check "3: started with room: the journal's turns are replayed" \
	grep -q "turn(s) acknowledged after the last checkpoint were replayed from the journal" "$WORK/$S.log"
check "3: nothing accepted is lost: all $n pending" wait_until 5 bash -c "[ \$(status_field $S outbox_pending) = $n ]"
submit 5
check "3: new signals are accepted" [ "$(wc -l <"$WORK/$S.accepted")" = $((n + 5)) ]
start $R || { it_done; exit 1; }
total=$((n + 5))
check "3: the recipient gets all $total" wait_until 120 bash -c "[ \$(status_field $S outbox_pending) = 0 ]"
check "3: each accepted signal exactly once in its inbox" bash -c \
	"[ \"\$(inbox_ids $R | sort)\" = \"\$(sort '$WORK/$S.accepted')\" ] && [ \$(inbox_ids $R | wc -l) = $total ]"
rc=0
ctl $S check >/dev/null || rc=$?
check "3: seinctl check is OK again (exit $rc)" [ "$rc" = 0 ]
it_done
