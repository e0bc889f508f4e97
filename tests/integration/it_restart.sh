#!/usr/bin/env bash
# Restart of the recipient (kill -9) while signals are in flight, and a
# crash of the sender: every accepted signal ends in the inbox exactly
# once and the sender's outbox drains.
. "$(dirname "$0")/lib.sh"
it_setup restart
partner gem-rs municipality_debt 17211
partner corp-rs landlord 17212
trust_all
start gem-rs
start corp-rs

N=${RESTART_COUNT:-600}
jq -n --argjson n "$N" '[range(0;$n) | {type:"arrears", to:"gem-rs",
	arrears_kind:"rent", amount_cents:(5000+.), legal_basis:"legal_duty",
	surname:"Fictief", postcode:"2000 BB", house_number:((.+1)|tostring)}]' \
	>"$WORK/batch.json"
# Submit in the background while the recipient is killed and restarted.
ctl corp-rs --json send --file "$WORK/batch.json" >"$WORK/accepted.json" &
sender=$!
sleep 0.3
crash gem-rs
sleep 0.5
start gem-rs
sleep 0.2
crash gem-rs
start gem-rs
wait $sender
jq -r '.[] | select(.ok) | .message_id' "$WORK/accepted.json" | sort >"$WORK/accepted"
check "all $N signals accepted" [ "$(wc -l <"$WORK/accepted")" = "$N" ]

# Crash the sender too, with signals possibly still pending.
crash corp-rs
start corp-rs
check "sender's outbox drains after the restarts" \
	wait_until 60 bash -c "[ \"\$(status_field corp-rs outbox_pending)\" = 0 ]"
inbox_ids gem-rs | sort >"$WORK/inbox"
check "inbox holds every accepted signal" [ -z "$(comm -23 "$WORK/accepted" "$WORK/inbox")" ]
check "inbox holds no duplicate" [ -z "$(uniq -d "$WORK/inbox")" ]
check "inbox holds nothing that was not accepted" [ -z "$(comm -13 "$WORK/accepted" "$WORK/inbox")" ]
echo "accepted $(wc -l <"$WORK/accepted"), in inbox $(wc -l <"$WORK/inbox"), duplicates ignored by recipient $(status_field gem-rs duplicates)"
check "daemon check (-t) finds both stores valid" bash -c \
	"stop gem-rs; stop corp-rs; as_user $SEINHUISD -t -c $WORK/gem-rs.conf >/dev/null && as_user $SEINHUISD -t -c $WORK/corp-rs.conf >/dev/null"
it_done
