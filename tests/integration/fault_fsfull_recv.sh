#!/usr/bin/env bash
# fault_fsfull_recv: the file system under the RECIPIENT's data directory
# fills up (fault_fsfull fills the sender's, fault_diskfull the
# recipient's map). The recipient's data directory is a small tmpfs, left
# 512 KiB besides what it holds; the sender, with room, sends into it
# until the recipient's checkpoints fail and its journal cannot grow.
#
#   1. The recipient stays up and leaves what it cannot store unanswered;
#      the sender keeps those signals pending and sends them again (none
#      failed, none lost: each accepted signal is in the inbox or
#      pending). The recipient's seinctl check says CRITICAL, its log
#      names the cause with the free space once a minute, not at each
#      refused turn or failed checkpoint, and its inbox can still be read.
#   2. Room is made while it runs: the log says that turns are stored
#      again, every accepted signal is delivered, each once, the next
#      checkpoint succeeds and check is OK again.
#   3. Full again (checkpoints fail, so what it takes, and has answered,
#      is only in its journal), killed (-9) just after a batch: started
#      while still full it stops and says what to do; with room it replays
#      its journal, and every signal the sender accepted (also while it
#      was down) is in its inbox exactly once.
# Needs root to mount the tmpfs; skipped (77) where mounting is refused.
. "$(dirname "$0")/lib.sh"
it_setup fault-fsfull-recv
S=corp-fr
R=gem-fr
partner $R municipality_debt 17751
# resends at most a second apart: the test waits for two of them
partner $S landlord 17752 "retry_max_ms = 1000"
trust_all
MNT=$WORK/$R/data
it_tmpfs "$MNT" 6m
start $R || { it_done; exit 1; }
start $S || { it_done; exit 1; }
: >"$WORK/$S.accepted"
CALL=0
# submit COUNT [COMMAND...]: one pipelined call to the sender, COMMAND run
# as soon as it returns; accepted ids kept
submit() {
	local rc=0 n=$1
	shift
	CALL=$((CALL + 1))
	arrears_json "$n" $R $((CALL % 9)) | jq --arg t "FR-$CALL" \
		'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' >"$WORK/batch.json"
	ctl $S --json send --file "$WORK/batch.json" >"$WORK/reply.json" 2>/dev/null || rc=$?
	[ $# = 0 ] || "$@"
	jq -r '.[] | select(.ok) | .message_id' "$WORK/reply.json" >>"$WORK/$S.accepted"
	return $rc
}
accepted() { wc -l <"$WORK/$S.accepted"; }
depth() { status_field $R inbox_depth; }
# the most times a pending signal was sent (1: not yet again)
tries() { ctl $S --json outbox --state pending --limit 10000000 | jq '[.[].attempts] | max // 0'; }
# nothing pending, or the oldest pending sent twice more than $1 times
sent_or_again() { [ "$(status_field $S outbox_pending)" = 0 ] || [ "$(tries)" -ge $(($1 + 2)) ]; }
# wait_until at a slower pace, for checks that list the outbox
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.25
	done
}
# the file system keeps $1 KiB free besides what it holds (the tmpfs
# shrunk or grown to that)
leave_room() {
	mount -o remount,size=$(($(df -k --output=used "$MNT" | tail -1) + $1))k "$MNT"
}
# Batches of 1000 (while fewer than 400 are pending) until the recipient
# is full: the oldest pending signals sent twice again (the sender resends
# when no receipt comes) while its inbox did not grow. (After each refused
# turn the recipient takes fewer signals in the next one, and the room
# left at the end of its journal may take a few more.) 1 if it never is.
fill() {
	local i t d rc=0
	for ((i = 0; i < 100; i++)); do
		if [ "$(status_field $S outbox_pending)" -lt 400 ]; then
			submit 1000 || rc=1
		fi
		t=$(tries)
		d=$(depth)
		poll 30 sent_or_again "$t" || return 1
		[ "$(status_field $S outbox_pending)" != 0 ] && [ "$(depth)" = "$d" ] && return $rc
	done
	return 1
}
# what each side holds: the sender's pending, then the recipient's inbox
# (a signal delivered in between is in both, not in neither)
holds() {
	outbox_ids $S pending | sort >"$WORK/pending"
	inbox_ids $R | sort >"$WORK/inbox"
	sort "$WORK/$S.accepted" >"$WORK/accepted"
}
# every accepted signal in the inbox or pending, nothing else, none twice
# in the inbox
none_lost() {
	holds
	[ -z "$(uniq -d "$WORK/inbox")" ] &&
		[ "$(sort -mu "$WORK/inbox" "$WORK/pending")" = "$(cat "$WORK/accepted")" ]
}
# the inbox holds exactly the accepted signals, each once
exactly_once() {
	holds
	[ "$(cat "$WORK/inbox")" = "$(cat "$WORK/accepted")" ]
}
pending_is() { [ "$(status_field $S outbox_pending)" = "$1" ]; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }

t0=$(date +%s)
# 1. full (its journal, 4 MiB written ahead, takes most of the 6 MiB)
leave_room 512
fill
full=$?
n=$(accepted)
d=$(depth)
pend=$(status_field $S outbox_pending)
echo "1: the recipient's file system filled after $d signals in its inbox; $pend of the $n accepted pending at the sender ($(elapsed))"
check "1: the sender accepted every signal; the recipient leaves the oldest pending, sent $(tries) times, unanswered" \
	[ "$full" = 0 ]
check "1: the recipient is up" kill -0 "${IT_PIDS[$R]}"
check "1: the sender keeps what the recipient could not store ($pend pending)" [ "$pend" -gt 0 ]
check "1: nothing failed at the sender" [ "$(status_field $S outbox_failed)" = 0 ]
check "1: nothing lost: each accepted signal is in the inbox or pending" none_lost
listed=$(wc -l <"$WORK/inbox")
check "1: the recipient's inbox can be read: all $listed listed" \
	bash -c "[ $listed -ge $d ] && [ $listed -le \$(status_field $R inbox_depth) ]"
check "1: ... and one shown" bash -c "ctl $R inbox show $(head -n 1 "$WORK/inbox") | grep -q '^message id'"
rc=0
out=$(ctl $R check) || rc=$?
check "1: the recipient's seinctl check says CRITICAL (exit $rc) with the free space" bash -c \
	"[ $rc = 2 ] && grep -q 'CRITICAL.*KiB free in the file system of' <<<\"\$0\"" "$out"
check "1: its log names the cause of the refused turns and the free space" grep -qE \
	"store: commit failed: STORAGE_FULL \(the journal cannot grow: [0-9]+ KiB free in the file system of $MNT; make room there; [0-9]+ turn\(s\) refused" \
	"$WORK/$R.log"
lines=$(grep -c "store: commit failed" "$WORK/$R.log")
ckpt=$(grep -c "store: checkpoint failed" "$WORK/$R.log")
mins=$((($(date +%s) - t0) / 60 + 1))
check "1: ... once a minute, not at each refused turn or failed checkpoint ($lines and $ckpt lines in $mins minute(s))" \
	[ "$lines" -le "$mins" -a "$ckpt" -le "$mins" ]

# 2. room made while it runs
mount -o remount,size=64m "$MNT"
check "2: room made: the sender delivers all $n" poll 60 pending_is 0
check "2: each accepted signal exactly once in the inbox ($n)" exactly_once
check "2: nothing failed at the sender" [ "$(status_field $S outbox_failed)" = 0 ]
check "2: the recipient's log says that turns are stored again" \
	grep -q "store: turns are stored again, after [0-9]* refused for want of room" "$WORK/$R.log"
check "2: its checkpoint succeeds again and says so" wait_until 15 grep -q \
	"store: checkpoint made after [0-9]* failed tries" "$WORK/$R.log"
rc=0
wait_until 5 ctl $R check || rc=$?
check "2: its seinctl check is OK again (exit $rc)" [ "$rc" = 0 ]
echo "2: $(elapsed)"

# 3. full again (checkpoints fail: what it takes is only in its journal),
# killed (-9) as soon as the sender has accepted another batch for it (the
# sender sends it at once); a start while still full stops; with room it
# replays the journal
leave_room 512
for ((i = 0; i < 30; i++)); do
	submit 200
	poll 30 pending_is 0
	[ "$(status_field $R checkpoint_failing_ms)" -gt 0 ] && break
done
check "3: full again: the recipient's checkpoints fail" \
	bash -c "[ \$(status_field $R checkpoint_failing_ms) -gt 0 ]"
submit 1000 crash $R
pend=$(status_field $S outbox_pending)
echo "3: killed just after the sender accepted a batch of 1000 for it: $pend of them not answered"
submit 200
n=$(accepted)
rc=0
as_user timeout 30 "$SEINHUISD" -c "$WORK/$R.conf" 2>"$WORK/start-full.err" || rc=$?
check "3: started while full it stops (exit $rc) naming the free space and what to do" bash -c \
	"[ $rc = 1 ] && grep -q 'KiB free in the file system of $MNT: make room there and start again; what was accepted is safe in the journal' '$WORK/start-full.err'"
mount -o remount,size=64m "$MNT"
start $R || { tail -5 "$WORK/$R.log"; it_done; exit 1; }
check "3: started with room: the journal's turns are replayed" \
	grep -q "turn(s) acknowledged after the last checkpoint were replayed from the journal" "$WORK/$R.log"
check "3: the sender delivers all $n" poll 60 pending_is 0
check "3: each accepted signal exactly once in the inbox ($n)" exactly_once
check "3: nothing failed at the sender" [ "$(status_field $S outbox_failed)" = 0 ]
echo "figures: $n accepted, $(wc -l <"$WORK/inbox") in the inbox, $(uniq -d "$WORK/inbox" | wc -l) twice," \
	"$(comm -23 "$WORK/accepted" "$WORK/inbox" | wc -l) missing; $(elapsed)"
it_done
