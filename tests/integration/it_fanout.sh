#!/usr/bin/env bash
# A sender with signals for 400 municipalities, as a national insurer or
# energy supplier has: it holds a DEALER socket and a monitor for each of
# them, more than ZeroMQ's default of 1023 sockets and, with the
# connections, more than the usual soft limit of 1024 open files. A live
# partner must still get its signals, exactly once.
#
# The 400 are cards only, their endpoints a port nobody listens on, so
# their signals stay pending (as for partners whose daemons are down) and
# every one of their sockets stays open. Then the same daemon under a
# hard open-file limit of 512: it says so at start, names each partner it
# cannot connect to once (not in every turn of its loop), keeps running,
# and after a restart without the limit delivers what waited.
. "$(dirname "$0")/lib.sh"
# The daemon raises its soft open-file limit to the hard one; a machine
# whose hard limit is below what 400 partners need cannot run this.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 4096 ]; then
	echo "skipped: the hard open-file limit is $hard (needs 4096)"
	exit 77
fi
it_setup fanout
FAR=${FANOUT_PARTNERS:-400}
S=snd-fo R=mun-fo
partner $S landlord 17371 "retry_max_ms = 2000"
partner $R municipality_debt 17372
trust $S $R
trust $R $S

# FAR identities, far1 ... farFAR, made as seinkey init makes them but in
# one process (mkpartners.c), trusted by the sender. Port 17379: nothing
# listens there.
as_user "$MKPARTNERS" "$WORK/far" "$FAR" \
	"tcp://127.0.0.1:$((17379 + ${SEINHUIS_PORT_OFFSET:-0}))" || fail "setup: mkpartners"
cards=$(seq 1 "$FAR" | sed "s|.*|$WORK/far/&/keys/card|")
# shellcheck disable=SC2086
as_user "$SEINKEY" trust --trustdir "$WORK/$S/trust" $cards >/dev/null
check "setup: $FAR more partners in the sender's trust store" \
	[ "$(ls "$WORK/$S/trust" | wc -l)" -ge "$((FAR + 1))" ]

start $R || { it_done; exit 1; }
start $S || { it_done; exit 1; }
pid=${IT_PIDS[$S]}

# one signal to each of the FAR partners
seq 1 "$FAR" | jq -R -s '[split("\n")[] | select(length > 0) | {type:"arrears",
	to:("far" + .), legal_basis:"legal_duty", arrears_kind:"rent",
	amount_cents:5000, arrears_since:"2026-09-01", contact_attempt_date:"2026-10-01",
	reminder_date:"2026-10-15", urgency:"none", creditor_contact:"incasso desk",
	surname:"Fictief", street:"Verrestraat", postcode:"3000 CC",
	house_number:., place:"Teststad"}]' >"$WORK/far.json"
ctl $S --json send --file "$WORK/far.json" >/dev/null
check "$FAR signals pending for partners that are down" \
	wait_until 30 bash -c "[ \"\$(status_field $S outbox_pending)\" = $FAR ]"
# their sockets: a DEALER, a monitor pair and a mailbox each
check "the sender holds a connection attempt for each (open files: more than 1024)" \
	wait_until 30 bash -c "[ \$(ls /proc/$pid/fd | wc -l) -gt 1024 ]"
echo "the sender has $(ls /proc/$pid/fd | wc -l) files open"

arrears_json 200 $R 1 >"$WORK/live.json"
ctl $S --json send --file "$WORK/live.json" >/dev/null
check "the live partner gets all 200 of its signals" wait_until 60 bash -c \
	"[ \"\$(ctl $R --json inbox list --limit 100000 | jq length)\" = 200 ]"
check "no partner went without a socket" bash -c "! grep -q 'cannot open a connection' '$WORK/$S.log'"
check "the other $FAR still wait" [ "$(status_field $S outbox_pending)" = "$FAR" ]

# The same daemon with too few files for its partners.
stop $S
WRAP="prlimit --nofile=512:512" start $S || { it_done; exit 1; }
check "at start it says the open-file limit is too low, and what to raise" \
	grep -q "trusted partners, but the limits allow connections to about .* raise the open-file limit (LimitNOFILE=" "$WORK/$S.log"
arrears_json 50 $R 2 >"$WORK/live2.json"
ctl $S --json send --file "$WORK/live2.json" >/dev/null
sleep 5 # several retry rounds (retry_max_ms = 2000)
failed=$(grep -c "cannot open a connection" "$WORK/$S.log")
repeats=$(grep "cannot open a connection" "$WORK/$S.log" | grep -o "peer [a-z0-9-]*:" | sort | uniq -d | wc -l)
echo "$failed partners could not be connected to under the limit"
check "partners it cannot connect to are named in the log ($failed)" [ "$failed" -gt 0 ]
check "each of them once, not in every turn ($repeats named twice)" [ "$repeats" = 0 ]
check "the daemon keeps answering" ctl $S status

stop $S
start $S || { it_done; exit 1; }
check "after a restart without the limit the live partner has all 250, once each" wait_until 60 bash -c \
	"[ \"\$(ctl $R --json inbox list --limit 100000 | jq '[.[].message_id] | unique | length')\" = 250 ]"
check "and no more than that" [ "$(ctl $R --json inbox list --limit 100000 | jq length)" = 250 ]
check "the $FAR for partners that are down are still waiting" \
	[ "$(status_field $S outbox_pending)" = "$FAR" ]
it_done
