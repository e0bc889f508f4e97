#!/usr/bin/env bash
# Signals from a trusted peer that are tampered with or misaddressed are
# rejected with a negative receipt naming the rule, counted, and never
# delivered; a valid one from the same peer is; a replay is a duplicate.
. "$(dirname "$0")/lib.sh"
it_setup tamper
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
partner gem-tp municipality_debt 17231 "max_message = 64K"
partner corp-tp landlord 17232
trust_all
start gem-tp

probe() { as_user "$PEER_TOOL" "$WORK/corp-tp/keys" "$WORK/gem-tp/keys/card" "$1"; }

out=$(probe bad-signature)
id=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "tampered signature: REJECTED with rule SIGNATURE" grep -q "RECEIPT $id REJECTED SIGNATURE" <<<"$out"
out=$(probe wrong-recipient)
check "signal for another partner: REJECTED with rule RECIPIENT" grep -q "REJECTED RECIPIENT" <<<"$out"
out=$(probe wrong-version)
check "wrong frame version: no receipt, frame refused" grep -q NO-RECEIPT <<<"$out"
out=$(probe garbage)
check "garbage frame: no receipt, frame refused" grep -q NO-RECEIPT <<<"$out"
out=$(probe oversize)
check "oversized frame: dropped by ZeroMQ's size limit" grep -q NO-RECEIPT <<<"$out"
out=$(probe old)
check "a signed signal dated a year back (replay, new id): REJECTED STALE" grep -q "REJECTED STALE" <<<"$out"
out=$(probe future)
check "a signal dated an hour ahead: REJECTED STALE" grep -q "REJECTED STALE" <<<"$out"
check "nothing bad reached the inbox" [ -z "$(inbox_ids gem-tp)" ]
check "refusals are counted" [ "$(status_field gem-tp rejected_in)" -ge 6 ]
check "and counted for that partner" bash -c \
	"ctl gem-tp --json status | json_has '.peers[] | select(.partner==\"corp-tp\") | .rejected >= 6'"
check "each refused signal is in the audit log with its rule" bash -c \
	"ctl gem-tp --json audit list --event rejected | json_has '[.[].rule] | (index(\"SIGNATURE\") != null) and (index(\"RECIPIENT\") != null) and (index(\"STALE\") != null) and (index(\"WIRE_VERSION\") != null)'"
check "refusals are logged with the rule" grep -q "refused: SIGNATURE" "$WORK/gem-tp.log"
out=$(probe replay)
id=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "a valid signal from the same peer is delivered" grep -q "RECEIPT $id DELIVERED" <<<"$out"
check "its replay is answered as a duplicate" grep -q "RECEIPT $id DUPLICATE" <<<"$out"
check "the inbox holds it exactly once" [ "$(inbox_ids gem-tp)" = "$id" ]
check "the daemon is still up" ctl gem-tp status
stop gem-tp && pass "daemon stops cleanly" || fail "daemon exit status"
it_done
