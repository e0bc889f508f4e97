#!/usr/bin/env bash
# A sender over its recipient's peer_rate is told when to come back and
# paces itself to that rate: a batch larger than the recipient's burst
# arrives whole, exactly once, at about the recipient's rate, not after
# a string of doubling retry time-outs.
. "$(dirname "$0")/lib.sh"
it_setup pace
RATE=500 N=2500 # the bucket holds 2 * RATE; the rest comes at RATE a second
partner gem-pa municipality_debt 17761 "peer_rate = $RATE"
partner corp-pa landlord 17762 "retry_min_ms = 2000" "retry_max_ms = 30000"
# a bucket (2 * 40) smaller than a frame (batch_max 256): frames shrink
partner gem-sm municipality_debt 17763 "peer_rate = 40"
# a sender that goes quiet between signals (retry_min_ms 200, the default
# of these tests)
partner gem-id municipality_debt 17764
partner corp-id landlord 17765
trust_all
start gem-pa
start gem-sm
start gem-id
start corp-pa
start corp-id
arrears_json "$N" gem-pa >"$WORK/batch.json"
t0=$(date +%s%N)
ctl corp-pa --json send --file "$WORK/batch.json" >/dev/null
check "the sender accepted all $N" [ "$(status_field corp-pa accepted)" = "$N" ]
check "all $N delivered within 9 s (retry time-outs took 12 s)" wait_until 9 bash -c \
	"[ \"\$(status_field corp-pa outbox_pending)\" = 0 ]"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "$N signals at peer_rate $RATE delivered in $ms ms"
# (N - 2 * RATE) / RATE seconds at least, less some slack for timing
check "the recipient's rate was kept ($ms ms >= 2500)" [ "$ms" -ge 2500 ]
inbox=$(ctl gem-pa --json inbox list --limit 100000 | jq 'length')
check "each arrived once ($inbox in the inbox)" [ "$inbox" = "$N" ]
dups=$(status_field gem-pa duplicates)
check "the recipient saw no re-sends of delivered signals ($dups)" [ "$dups" = 0 ]
limited=$(ctl gem-pa --json status | jq '.peers[] | select(.partner=="corp-pa") | .rate_limited')
deferred=$(ctl corp-pa --json status | jq '.peers[] | select(.partner=="gem-pa") | .deferred')
echo "recipient dropped $limited signals over its rate; sender re-queued $deferred"
check "the recipient did defer frames over its rate" [ "$limited" -gt 0 ]
check "the sender was told and re-queued them" [ "$deferred" -gt 0 ]
check "text status shows both: OVER RATE $limited/0 at the recipient" bash -c \
	"ctl gem-pa status | grep -E '^corp-pa .* $limited/0 '"
check "  and 0/$deferred at the sender" bash -c \
	"ctl corp-pa status | grep -E '^gem-pa .* 0/$deferred '"
# paced: after the first deferral it sends what the bucket holds, so the
# drops stay near one window's worth instead of growing with the batch
check "drops stay below the batch size ($limited < $N)" [ "$limited" -lt "$N" ]
check "the deferral is logged at the recipient" grep -q "peer corp-pa: over $RATE signals a second" "$WORK/gem-pa.log"

# A recipient whose whole bucket (80) holds less than one frame (256): the
# sender sends frames of what the bucket holds, so 200 signals arrive in
# about (200 - 80) / 40 = 3 s, instead of never (a frame over the bucket
# is never taken).
arrears_json 200 gem-sm 7 >"$WORK/small.json"
t0=$(date +%s%N)
ctl corp-pa --json send --file "$WORK/small.json" >/dev/null
check "200 signals through a bucket of 80 within 12 s" wait_until 12 bash -c \
	"[ \"\$(ctl gem-sm --json inbox list --limit 1000 | jq 'length')\" = 200 ]"
echo "200 signals at peer_rate 40 delivered in $((($(date +%s%N) - t0) / 1000000)) ms"
check "none twice ($(status_field gem-sm duplicates) duplicates)" [ "$(status_field gem-sm duplicates)" = 0 ]

# A signal sent after a quiet spell longer than the retry time-out is sent
# once: the time-out counts from its send, not from the last receipt.
for n in 1 2 3; do
	send_arrears corp-id gem-id "$n" >/dev/null
	sleep 0.6
done
check "three signals after quiet spells arrived" wait_until 10 bash -c \
	"[ \"\$(ctl gem-id --json inbox list --limit 10 | jq 'length')\" = 3 ]"
sleep 0.5
# A receipt that takes longer than the time-out (retry_min_ms, 200 ms in
# these tests) rightly has its signal sent again, as on a loaded machine
# it can: then the signal settled 200 ms or more after it was accepted.
# One sent again that settled sooner was sent again before its time-out
# (what this checks); if every one sent again settled later, it cannot be
# told.
dups=$(status_field gem-id duplicates)
slow=$(ctl corp-id --json outbox --state delivered --limit 10 |
	jq '[.[] | select(.attempts > 1) | .done_ms - .created_ms] | min // 0')
if [ "$dups" = 0 ] || [ "$slow" -lt 200 ]; then
	check "each was sent once ($dups duplicates)" [ "$dups" = 0 ]
else
	echo "skipped: each was sent once ($dups duplicates, but each signal sent again settled $slow ms or more after it was accepted, past the 200 ms time-out)"
fi
it_done
