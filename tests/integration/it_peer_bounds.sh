#!/usr/bin/env bash
# it_peer_bounds: what a trusted partner's own keys let it send stays
# bounded, and is never put on another partner's account.
#  1. A frame of singly signed signals (version 1) holds at most 1024,
#     the most an older build ever sent in one (batch_max's bound): one
#     of 1025 is refused whole as WIRE_DECODE, logged and audited naming
#     the rule, none of it delivered; one of 1024 is taken.
#  2. A message id from the seen table, in an envelope that names
#     another sender or recipient, or that came from another partner, is
#     refused (SENDER, RECIPIENT), not answered DUPLICATE, and the audit
#     log credits the partner on that connection with no one else's
#     signal; an honest re-send is still a duplicate.
#  3. Receipt frames pushed down our connection for ids we never sent
#     are refused (logged once, counted): the sender's memory and its
#     control socket are not held up by them; a true receipt after them
#     still settles its signal.
. "$(dirname "$0")/lib.sh"
it_setup peer_bounds
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
partner gem-pb municipality_debt 18311 "log_level = debug"
partner corp-pb landlord 18312
partner evb-pb energy 18313
trust_all
start gem-pb

# probe FROM MODE: peer_tool with FROM's keys, to gem-pb
probe() { as_user "$PEER_TOOL" "$WORK/$1/keys" "$WORK/gem-pb/keys/card" "$2"; }
alist() { ctl gem-pb --json audit list --limit 1000000 "$@"; }
export -f alist

# ---- 1. version 1 frames
n0=$(inbox_ids gem-pb | wc -l)
out=$(PEER_WAIT_MS=5000 probe corp-pb v1-many)
check "a version 1 frame of 1025 signals: no receipt" grep -q "^NO-RECEIPT" <<<"$out"
check "  refused whole, logged naming the rule" \
	grep -q "peer corp-pb: frame of 1025 signals refused: WIRE_DECODE (a frame of singly signed signals holds at most 1024)" \
	"$WORK/gem-pb.log"
check "  audited as a refused frame, rule WIRE_DECODE" bash -c \
	"alist --event rejected | json_has 'any(.[]; .partner == \"corp-pb\" and .rule == \"WIRE_DECODE\")'"
check "  none of its signals delivered" [ "$(inbox_ids gem-pb | wc -l)" = "$n0" ]
check "  counted as refused" [ "$(status_field gem-pb rejected_in)" -ge 1 ]
out=$(PEER_SIGNALS=1024 PEER_WAIT_MS=60000 probe corp-pb v1-many)
check "a version 1 frame of 1024 signals (the most an older build sent): 1024 DELIVERED" \
	[ "$(grep -c '^RECEIPT .* DELIVERED' <<<"$out")" = 1024 ]
check "  all in the inbox" [ "$(inbox_ids gem-pb | wc -l)" = $((n0 + 1024)) ]

# ---- 2. duplicates answered only for their own sender
out=$(probe corp-pb valid)
X=$(awk '$1 == "SENT" { print $2 }' <<<"$out")
check "corp-pb delivers a signal" grep -q "RECEIPT $X DELIVERED" <<<"$out"
r0=$(status_field gem-pb rejected_in)
# claim SENDER RECIPIENT SIGNED: evb-pb sends corp-pb's id X (-: as built,
# evb-pb / gem-pb), signed or not (1/0)
claim() {
	PEER_DUP_ID=$X PEER_DUP_SENDER=${1#-} PEER_DUP_RECIPIENT=${2#-} \
		PEER_DUP_SIGNED=$3 probe evb-pb dup-claim
}
out=$(claim not-me nobody 0)
check "evb-pb sends its id three times, unsigned, naming sender not-me: REJECTED SENDER, x3" \
	[ "$(grep -c "^RECEIPT $X REJECTED SENDER" <<<"$out")" = 3 ]
check "  never DUPLICATE" bash -c "! grep -q DUPLICATE <<<'$out'"
out=$(claim - nobody 0)
check "naming itself as sender, another recipient: REJECTED RECIPIENT" \
	[ "$(grep -c "^RECEIPT $X REJECTED RECIPIENT" <<<"$out")" = 3 ]
out=$(PEER_COPIES=1 claim evb-pb gem-pb 1)
check "naming itself and us, signed by it, but delivered from corp-pb: REJECTED SENDER" \
	grep -q "^RECEIPT $X REJECTED SENDER" <<<"$out"
check "  counted as refused (7)" [ "$(status_field gem-pb rejected_in)" = $((r0 + 7)) ]
check "the audit log credits evb-pb with no entry of that id" bash -c \
	"alist | json_has '[.[] | select(.message_id == \"$X\" and .partner == \"evb-pb\")] | length == 0'"
check "  but has its 7 refusals, naming the rule, without the id" bash -c \
	"alist --event received --partner evb-pb | json_has '([.[] | select(.outcome == \"rejected\" and (.rule == \"SENDER\" or .rule == \"RECIPIENT\") and (.message_id // \"\") == \"\")] | length) == 7'"
check "  and corp-pb's signal is received and delivered once" bash -c \
	"alist | json_has '[.[] | select(.message_id == \"$X\") | .event + \"/\" + .outcome + \"/\" + .partner] == [\"received/delivered/corp-pb\", \"delivered/inbox/corp-pb\"]'"
check "the refusals are logged naming the rule, not the id" bash -c \
	"grep -q 'peer evb-pb: a signal refused: SENDER (the message id of a signal delivered before, from another sender)' '$WORK/gem-pb.log' &&
	 ! grep 'peer evb-pb' '$WORK/gem-pb.log' | grep -q $X"
# corp-pb sending it again (a lost receipt, a reconnect, a recover),
# signed or (a key past its overlap) not: still a duplicate
out=$(PEER_COPIES=1 PEER_DUP_ID=$X PEER_DUP_SIGNED=1 probe corp-pb dup-claim)
check "corp-pb sends its signal again: DUPLICATE" grep -q "^RECEIPT $X DUPLICATE" <<<"$out"
out=$(PEER_COPIES=1 PEER_DUP_ID=$X probe corp-pb dup-claim)
check "  unsigned: DUPLICATE" grep -q "^RECEIPT $X DUPLICATE" <<<"$out"
check "  audited as duplicates from corp-pb" bash -c \
	"alist | json_has '[.[] | select(.message_id == \"$X\" and .outcome == \"duplicate\" and .partner == \"corp-pb\")] | length == 2'"
check "  once in the inbox" [ "$(inbox_ids gem-pb | grep -c "$X")" = 1 ]

check "no resident's data in the recipient's log" \
	bash -c "! grep -Eq 'Testpersoon|Proefstraat|9999 ZZ' '$WORK/gem-pb.log'"
check "the recipient is still up" ctl gem-pb status
if stop gem-pb; then pass "gem-pb stops cleanly"; else fail "gem-pb exit status"; fi

# ---- 3. receipts for ids never sent: peer_tool, with gem-pb's keys at
# its endpoint, waits for corp-pb's signal, then pushes 20 frames of
# 50,000 receipts for random ids down that connection (1 MB each), then
# answers the signal
start corp-pb
PID=${IT_PIDS[corp-pb]}
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$PID/status"; }
PEER_WAIT_MS=30000 PEER_FLOOD_FRAMES=20 PEER_FLOOD_RECEIPTS=50000 as_user "$PEER_TOOL" \
	"$WORK/gem-pb/keys" "$WORK/corp-pb/keys/card" receipt-flood >"$WORK/flood.out" 2>&1 &
fpid=$!
wait_until 10 grep -q LISTENING "$WORK/flood.out"
hwm0=$(hwm_kb)
send_arrears corp-pb gem-pb 1 >/dev/null
slowest=0 # the slowest status while the tool runs, in ms
while kill -0 "$fpid" 2>/dev/null; do
	t0=$(date +%s%N)
	ctl corp-pb status >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$slowest" ] && slowest=$ms
	sleep 0.2
done
frc=0
wait "$fpid" || frc=$?
cat "$WORK/flood.out"
check "the tool pushed 20 frames of 50000 receipts (exit $frc)" \
	bash -c "[ $frc = 0 ] && grep -q '^FLOODED 20 x 50000' '$WORK/flood.out'"
check "  then answered the signal" grep -q "^ANSWERED 1" "$WORK/flood.out"
check "the signal settles as delivered" wait_until 20 bash -c \
	"[ \$(ctl corp-pb --json outbox --state delivered | jq length) = 1 ]"
hwm=$(hwm_kb)
check "the sender's peak memory stays below start + 40 MB (VmHWM $hwm0 -> $hwm kB)" \
	[ "$hwm" -lt $((hwm0 + 40 * 1024)) ]
check "status answered within 2 s meanwhile (slowest $slowest ms)" [ "$slowest" -lt 2000 ]
check "the refused frames are logged once, naming the partner" \
	[ "$(grep -c 'peer gem-pb: a frame of 50000 receipts refused: more than our [01] signals in flight to it answer' "$WORK/corp-pb.log")" = 1 ]
check "  and counted as refused for gem-pb" bash -c \
	"ctl corp-pb --json status | json_has '.peers[] | select(.partner == \"gem-pb\") | .rejected >= 20'"
if stop corp-pb; then pass "corp-pb stops cleanly"; else fail "corp-pb exit status"; fi
it_done
