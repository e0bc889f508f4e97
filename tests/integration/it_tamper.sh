#!/usr/bin/env bash
# Signals from a trusted peer that are tampered with or misaddressed are
# rejected with a negative receipt naming the rule, counted, and never
# delivered; a valid one from the same peer is; a replay is a duplicate.
# The same for batch-signed frames: a wrong batch signature, a signal
# changed after signing, or a proof with a wrong audit path is refused and
# audited; a valid batch, and a valid proof alone, are delivered.
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
out=$(probe wrong-subject)
id=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "a subject pseudonym that is not the sealed person's: REJECTED FIELD_VALUE" \
	grep -q "RECEIPT $id REJECTED FIELD_VALUE" <<<"$out"
check "  and not in the inbox" bash -c "! inbox_ids gem-tp | grep -q $id"
out=$(probe no-subject)
check "a signal naming a person without its subject pseudonym: REJECTED FIELD_VALUE" \
	grep -q "REJECTED FIELD_VALUE" <<<"$out"
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

# Batch-signed frames: one signature over the Merkle root of the frame's
# signals. A wrong signature or a signal changed after signing fails the
# whole frame; a stored proof whose audit path is wrong fails alone.
refused_ids() {
	local out=$1 rule=$2 i
	for i in $(awk '$1=="SENT"{print $2}' <<<"$out"); do
		grep -q "RECEIPT $i REJECTED $rule" <<<"$out" || return 1
	done
}
out=$(probe batch-bad-signature)
bad=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "batch with a wrong signature: its three signals REJECTED SIGNATURE" \
	bash -c "[ \"\$(grep -c 'REJECTED SIGNATURE' <<<'$out')\" = 3 ]"
check "  each by its id" refused_ids "$out" SIGNATURE
out=$(probe batch-altered)
bad="$bad $(awk '$1=="SENT"{print $2}' <<<"$out")"
check "batch with a signal changed after signing: all REJECTED SIGNATURE" \
	refused_ids "$out" SIGNATURE
check "  three receipts" [ "$(grep -c 'REJECTED SIGNATURE' <<<"$out")" = 3 ]
out=$(probe batch-bad-path)
bad="$bad $(awk '$1=="SENT"{print $2}' <<<"$out")"
check "a batch proof with a wrong audit path: REJECTED SIGNATURE" \
	refused_ids "$out" SIGNATURE
for i in $bad; do
	check "refused batch signal $i is not in the inbox" \
		bash -c "! inbox_ids gem-tp | grep -q $i"
	check "  and is in the audit log as rejected for SIGNATURE" bash -c \
		"ctl gem-tp --json audit list --event rejected | json_has 'any(.[]; .message_id==\"$i\" and .rule==\"SIGNATURE\")'"
done
check "the batch refusals are logged" grep -q "batch of 3 signals refused: SIGNATURE" "$WORK/gem-tp.log"
out=$(probe batch-valid)
good=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "a valid batch: its three signals DELIVERED" \
	[ "$(grep -c ' DELIVERED' <<<"$out")" = 3 ]
for i in $good; do
	check "batch signal $i is in the inbox" bash -c "inbox_ids gem-tp | grep -q $i"
	check "  and its stored proof verifies: batch of 3, audit path of 1 or 2 hashes" bash -c \
		"ctl gem-tp --json inbox show $i | json_has '.signature | test(\"^verified: batch signature, signal [1-3] of 3, audit path of (1 hash|2 hashes), by key [0-9a-f]{16}$\")'"
done
# Delivered signals sent again in a frame whose batch signature fails (a
# sender past its key rotation's overlap, on a connection opened before:
# keys are checked at the handshake): answered DUPLICATE from the seen
# table, never REJECTED, which would fail at the sender a signal that is
# in the inbox (and let it be sent again under a new id).
out=$(probe batch-valid-then-bad)
again=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "a valid batch, then the same with a broken signature: first DELIVERED" \
	[ "$(grep -c '^RECEIPT .* DELIVERED' <<<"$out")" = 3 ]
for i in $again; do
	check "  then $i answered DUPLICATE, not REJECTED" grep -q "^AGAIN $i DUPLICATE" <<<"$out"
	check "  and it is in the inbox once" [ "$(inbox_ids gem-tp | grep -c "$i")" = 1 ]
done
check "  no REJECTED among the second answers" bash -c "! grep -q '^AGAIN .* REJECTED' <<<'$out'"
check "a signal signed alone (the earlier format) verifies as such" bash -c \
	"ctl gem-tp --json inbox show $id | json_has '.signature | test(\"^verified: signed alone, by key [0-9a-f]{16}$\")'"
out=$(probe batch-proof)
i=$(awk '$1=="SENT"{print $2}' <<<"$out")
check "a valid stored proof, sent alone, verifies by itself: DELIVERED" \
	grep -q "RECEIPT $i DELIVERED" <<<"$out"
check "the daemon is still up" ctl gem-tp status
stop gem-tp && pass "daemon stops cleanly" || fail "daemon exit status"

# The other way round: peer_tool is the recipient (at gem-tp's endpoint)
# and answers corp-tp's signals with receipts of a status no version has.
# The sender must not take them as delivered: they stay pending and are
# sent again, and settle when they are answered delivered.
start corp-tp
PEER_WAIT_MS=15000 PEER_EXPECT=3 as_user "$PEER_TOOL" "$WORK/gem-tp/keys" "$WORK/corp-tp/keys/card" \
	receive-unknown >"$WORK/receiver.out" 2>&1 &
rpid=$!
wait_until 10 grep -q LISTENING "$WORK/receiver.out"
for i in 1 2 3; do
	ctl corp-tp send --type arrears --to gem-tp legal_basis=legal_duty arrears_kind=rent \
		amount_cents=$((100 + i)) arrears_since=2026-08-01 contact_attempt_date=2026-09-01 \
		reminder_date=2026-09-15 urgency=none creditor_contact=desk creditor_reference=UNK$i \
		surname=Tamper street=Weg house_number=$i postcode="1011 AB" place=Stad >/dev/null
done
rrc=0
wait "$rpid" || rrc=$?
cat "$WORK/receiver.out"
check "receipts of an unknown status: the signals are sent again (exit $rrc)" \
	bash -c "[ $rrc = 0 ] && grep -q '^ANSWERED 3, AGAIN 3' '$WORK/receiver.out'"
check "  and settle as delivered once answered so: 3" wait_until 10 bash -c \
	"[ \$(ctl corp-tp --json outbox --state delivered | jq length) = 3 ]"
check "  none failed" [ "$(ctl corp-tp --json outbox --state failed | jq length)" = 0 ]
stop corp-tp && pass "sender stops cleanly" || fail "sender exit status"
it_done
