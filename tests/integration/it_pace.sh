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
trust_all
start gem-pa
start corp-pa
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
# paced: after the first deferral it sends what the bucket holds, so the
# drops stay near one window's worth instead of growing with the batch
check "drops stay below the batch size ($limited < $N)" [ "$limited" -lt "$N" ]
check "the deferral is logged at the recipient" grep -q "peer corp-pa: over $RATE signals a second" "$WORK/gem-pa.log"
it_done
