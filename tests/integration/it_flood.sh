#!/usr/bin/env bash
# A trusted partner that floods is limited to peer_rate signals a second
# (frames over it are dropped without receipts, answered with when to send
# them again, counted per partner and audited), without starving another
# partner, and the daemon stays up. peer_tool's flood mode does not listen
# to that answer: a daemon that does is it_pace's subject. The flooder
# builds all its frames first and then sends them as fast as the wire
# takes them; peer_rate is low enough (100, bursts of 200) that even a
# sanitizer build on a loaded machine takes frames faster than that.
. "$(dirname "$0")/lib.sh"
it_setup flood
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
partner gem-fl municipality_debt 17331 "peer_rate = 100"
partner flood-fl landlord 17332
partner corp-fl landlord 17333
trust_all
start gem-fl
start corp-fl
as_user "$PEER_TOOL" "$WORK/flood-fl/keys" "$WORK/gem-fl/keys/card" flood >"$WORK/flood.out" &
flooder=$!
wait_until 120 grep -q "FLOOD sending" "$WORK/flood.out" || echo "the flooder did not start sending"
t0=$(date +%s%N)
for n in 1 2 3 4 5; do send_arrears corp-fl gem-fl "$n" >/dev/null; done
check "the other partner's signals arrive during the flood" wait_until 10 bash -c \
	"ctl gem-fl --json inbox list --limit 100000 | json_has 'map(select(.sender==\"corp-fl\")) | length == 5'"
echo "the other partner's 5 signals arrived within $((($(date +%s%N) - t0) / 1000000)) ms"
wait $flooder
cat "$WORK/flood.out"
read -r _ _ sent _ receipts < <(tail -n 1 "$WORK/flood.out")
check "the flooder got receipts for only part of its 5000 signals" [ "$receipts" -lt "$sent" -a "$receipts" -gt 0 ]
limited=$(ctl gem-fl --json status | jq '.peers[] | select(.partner=="flood-fl") | .rate_limited')
check "the dropped signals are counted for that partner ($limited)" [ "$limited" -gt 0 ]
check "the drop is logged with the partner" grep -q "peer flood-fl: over 100 signals a second" "$WORK/gem-fl.log"
check "and audited with rule RATE_LIMIT" bash -c \
	"ctl gem-fl --json audit list --limit 100000 --event rejected --partner flood-fl | json_has 'map(select(.rule==\"RATE_LIMIT\")) | length >= 1'"
delivered=$(ctl gem-fl --json inbox list --limit 100000 | jq '[.[]|select(.sender=="flood-fl")]|length')
check "what was let through was delivered exactly once ($delivered)" [ "$delivered" = "$receipts" ]
check "the daemon is still up" ctl gem-fl status
it_done
