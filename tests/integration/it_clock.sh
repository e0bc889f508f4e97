#!/usr/bin/env bash
# Clocks that differ. Every frame carries its sender's clock (PeerFrame
# sent_ms); each daemon compares it with its own and shows the difference
# per partner in `seinctl status`, warns once in its log, and `seinctl
# check` says WARNING from a minute, CRITICAL from 4 minutes (a signal
# created more than 5 minutes ahead of its recipient's clock is refused as
# STALE, and the refusal says why). The sender's clock is moved by
# preloading clockshift.c's library: 400 s ahead (its signals refused),
# then 90 s (delivered, a warning), then right (all well again).
. "$(dirname "$0")/lib.sh"
if [ -z "${CLOCKSHIFT:-}" ] || [ ! -f "$CLOCKSHIFT" ]; then
	echo "no clock shim (CLOCKSHIFT): it is not built with the sanitizers, whose runtime must be the first library loaded; skipped"
	exit 77
fi
it_setup clock
R=gem-ck
S=corp-ck
partner $R municipality_debt 17971
partner $S landlord 17972
trust_all
start $R
start $S
# start_at SHIFT: the sender (re)started with its clock SHIFT seconds off
start_at() {
	stop $S
	WRAP="env LD_PRELOAD=$CLOCKSHIFT SH_CLOCK_SHIFT_S=$1" start $S
}
# offset ID PARTNER: ID's reading of PARTNER's clock less its own, in s
offset() { ctl "$1" --json status | jq -r ".peers[] | select(.partner == \"$2\") | .clock_offset_ms / 1000 | floor"; }
# near ID PARTNER S: that reading is S, give or take 3 s
near() {
	local o
	o=$(offset "$1" "$2")
	[ -n "$o" ] && [ "$o" -ge $(($3 - 3)) ] && [ "$o" -le $(($3 + 3)) ]
}
# check_says ID RC PATTERN: seinctl check exits RC and its line matches
check_says() {
	local out rc=0
	out=$(ctl "$1" check) || rc=$?
	echo "$out"
	[ "$rc" = "$2" ] && grep -qE -- "$3" <<<"$out"
}
sent() { # sent N: signal N from the sender; its message id printed
	send_arrears $S $R "$1" | grep -oE '[0-9a-f]{32}' | head -n 1
}
export -f offset near

check "before any frame, no reading" bash -c \
	"ctl $R --json status | jq -e '.peers[0].clock_read_ms == 0' >/dev/null"
id=$(sent 1)
check "clocks alike: a signal is delivered" wait_until 15 bash -c "inbox_ids $R | grep -qx $id"
check "... both read the other's clock within 3 s of theirs" bash -c "near $R $S 0 && near $S $R 0"
check "... and check says OK at both" bash -c "check_says() { local o r=0; o=\$(ctl \"\$1\" check) || r=\$?; [ \$r = 0 ] && grep -q '^SEINHUIS OK' <<<\"\$o\"; }; check_says $R && check_says $S"

start_at 400
id=$(sent 2)
check "the sender 400 s ahead: its signal is refused as STALE" wait_until 15 bash -c \
	"ctl $S --json outbox --state failed | json_has '.[] | select(.message_id==\"$id\" and .rule==\"STALE\")'"
# in the sender's words (a partner's text is not kept): the rule, and the
# recipient's clock as the sender reads it
check "... the refusal says the clocks differ, by how much" bash -c \
	"ctl $S --json outbox --state failed | json_has '.[] | select(.message_id==\"$id\") | .detail | test(\"outside the accepted time window; the partner.s clock is (39[5-9]|40[0-5]) s behind ours\")'"
check "the recipient reads the sender's clock 400 s ahead" wait_until 10 near $R $S 400
check "the sender reads the recipient's clock 400 s behind" wait_until 10 near $S $R -400
check "the recipient's check is CRITICAL, naming the partner and the difference" \
	check_says $R 2 "CRITICAL.*$S: its clock is (39[7-9]|40[0-3]) s ahead of ours: signals created more than 300 s ahead"
check "the sender's check is CRITICAL: its partner's clock is behind" \
	check_says $S 2 "CRITICAL.*$R: its clock is (39[7-9]|40[0-3]) s behind ours"
id2=$(sent 3)
wait_until 15 bash -c "ctl $S --json outbox --state failed | json_has '.[] | select(.message_id==\"$id2\")'"
check "the recipient's status shows the difference" bash -c \
	"ctl $R status | grep -qE '^  $S +(39[7-9]|40[0-3]) s ahead of ours'"
check "the recipient's log warns once, after two frames" \
	[ "$(grep -c "peer $S: its clock is [0-9]* s ahead of ours" "$WORK/$R.log")" = 1 ]
check "the sender's log warns once too" \
	[ "$(grep -c "peer $R: its clock is [0-9]* s behind ours" "$WORK/$S.log")" = 1 ]
# 40 at once, all refused: the recipient logs a few of each frame one by
# one and the rest of the frame in one line; every one is audited
arrears_json 40 $R >"$WORK/batch.json"
lines0=$(grep -c "peer $S: signal [0-9a-f]* refused: STALE" "$WORK/$R.log")
ctl $S send --file "$WORK/batch.json" >/dev/null
check "40 more sent 400 s ahead: all refused" wait_until 20 bash -c \
	"[ \$(ctl $S --json outbox --state failed | jq '[.[] | select(.rule==\"STALE\")] | length') = 42 ]"
one=$(($(grep -c "peer $S: signal [0-9a-f]* refused: STALE" "$WORK/$R.log") - lines0))
more=$(grep -oE "peer $S: [0-9]+ more signals of the same frame refused \(the first of them: STALE\)" "$WORK/$R.log" |
	awk '{n += $3} END {print n + 0}')
check "... the recipient's log names $one of them one by one and $more in a line per frame" \
	[ "$one" -lt 40 -a $((one + more)) = 40 ]
check "... its audit log has each of them" bash -c \
	"[ \$(ctl $R --json audit list --event rejected | jq '[.[] | select(.rule==\"STALE\")] | length') -ge 42 ]"

start_at 90
id=$(sent 4)
check "the sender restarted 90 s ahead: its signal is delivered" wait_until 15 bash -c "inbox_ids $R | grep -qx $id"
check "... the reading follows the new connection at once" wait_until 10 near $R $S 90
check "... and the check is a WARNING" check_says $R 1 "WARNING.*$S: its clock is (8[7-9]|9[0-3]) s ahead of ours"

start_at 0
id=$(sent 5)
check "the sender's clock put right: delivered" wait_until 15 bash -c "inbox_ids $R | grep -qx $id"
check "... both readings back within 3 s" wait_until 10 bash -c "near $R $S 0 && near $S $R 0"
check "... check is OK again at the recipient" check_says $R 0 "^SEINHUIS OK"
check "... and its log says the clocks agree again" \
	grep -q "peer $S: its clock and ours now differ by [0-9] s" "$WORK/$R.log"
it_done
