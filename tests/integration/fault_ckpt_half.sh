#!/usr/bin/env bash
# fault_ckpt_half: checkpoints that fail on a full file system while the
# data store's map is more than half used. The daemon then checkpoints
# after every turn (the pages a checkpoint frees are reused only after
# it), but a failed checkpoint still waits out its pause, and a turn that
# did not try one is not taken for one that succeeded: the log says
# "checkpoint failed" once a minute and "checkpoint made" only when the
# journal's turns are committed. (Before, each turn inside the pause was
# logged as a checkpoint made, and the next failure as the first again.)
. "$(dirname "$0")/lib.sh"
it_setup fault-ckpt-half
S=corp-ch
R=gem-ch
partner $R municipality_debt 18051
partner $S landlord 18052 "map_size = 8M"
trust_all
MNT=$WORK/$S/data
it_tmpfs "$MNT" 64m
if ! start $R || ! start $S; then
	it_done
	exit 1
fi
CALL=0
submit() { # submit COUNT: one pipelined call of arrears signals
	CALL=$((CALL + 1))
	arrears_json "$1" $R $((CALL % 9)) | jq --arg t "CH-$CALL" \
		'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' >"$WORK/batch.json"
	ctl $S --json send --file "$WORK/batch.json" >/dev/null 2>&1
}
used() { ctl $S --json status | jq '.store_used_bytes * 100 / .store_map_bytes | floor'; }
for ((i = 0; i < 60; i++)); do
	submit 200 || break
	[ "$(used)" -ge 55 ] && break
done
pct=$(used)
echo "map ${pct}% used after $CALL calls"
check "the map is more than half used (${pct}%)" [ "$pct" -ge 50 ]

# the file system full: what it holds and 64 KiB more
kb=$(df -k --output=used "$MNT" | tail -n1 | tr -d ' ')
mount -o remount,size=$((kb + 64))k "$MNT"
for ((i = 0; i < 6; i++)); do submit 50; done
check "checkpoints fail: the log says so" wait_until 10 grep -q "store: checkpoint failed" "$WORK/$S.log"
for ((i = 0; i < 6; i++)); do
	submit 20
	sleep 0.5
done
failing=$(ctl $S --json status | jq .checkpoint_failing_ms)
made=$(grep -c "store: checkpoint made after" "$WORK/$S.log")
failed=$(grep -c "store: checkpoint failed" "$WORK/$S.log")
check "while they fail (status: failing since $failing), no checkpoint is logged as made ($made)" \
	bash -c "[ '$failing' != 0 ] && [ $made = 0 ]"
check "the failures are logged once a minute, not at each turn ($failed lines)" [ "$failed" -le 2 ]

# room again: the next checkpoint succeeds, and says so once
mount -o remount,size=64m "$MNT"
submit 1
check "room made: the checkpoint is made and logged as such" wait_until 15 grep -q \
	"store: checkpoint made after [0-9]* failed tries" "$WORK/$S.log"
check "status no longer reports failing checkpoints" bash -c \
	"ctl $S --json status | json_has '.checkpoint_failing_ms == 0'"
check "the daemon is up" kill -0 "${IT_PIDS[$S]}"
stop $S
stop $R
it_done
