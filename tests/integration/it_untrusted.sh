#!/usr/bin/env bash
# A daemon whose key is not in the recipient's trust store is refused at
# the CURVE handshake; the refusal is logged with the key's fingerprint
# and nothing reaches the inbox. The sender keeps the signal pending.
. "$(dirname "$0")/lib.sh"
it_setup untrusted
partner gem-ut municipality_debt 17221
partner rogue-ut landlord 17222
trust rogue-ut gem-ut   # the rogue knows the municipality's card ...
start gem-ut            # ... but the municipality does not trust it
start rogue-ut

out=$(send_arrears rogue-ut gem-ut 1)
check "the rogue's own daemon accepts the signal locally" [ "${out%% *}" = accepted ]
check "the refusal is logged with the key fingerprint" \
	wait_until 10 grep -q "CURVE key [0-9a-f]\{16\} is not in the trust store" "$WORK/gem-ut.log"
check "the recipient's status shows the refusal" \
	bash -c "ctl gem-ut --json status | json_has '.last_errors | map(test(\"not in the trust store\")) | any'"
check "the recipient counts refused handshakes in its status" \
	[ "$(status_field gem-ut refused_peers)" -ge 1 ]
check "nothing reached the inbox" [ -z "$(inbox_ids gem-ut)" ]
sleep 1
check "the signal stays pending at the sender" [ "$(status_field rogue-ut outbox_pending)" = 1 ]
check "the sender's status reports the refused handshake" \
	bash -c "ctl rogue-ut --json status | json_has '.peers[0].connected == false'"
# A card put into the trust store by another user (nobody), or a store
# made writable for others, is not taken in: the old store stays, and the
# log names the file and the rule (such a card was added, and trusted)
# The card gets its owner before it enters the store (one rename), so the
# daemon can never see it there while it still belongs to root.
cp "$WORK/rogue-ut/keys/card" "$WORK/rogue-ut-nobody.card"
chown nobody "$WORK/rogue-ut-nobody.card"
mv "$WORK/rogue-ut-nobody.card" "$WORK/gem-ut/trust/rogue-ut.card"
check "a card of user nobody in the trust store: not taken in, the rule logged" \
	wait_until 10 grep -qF "trust store not reloaded, the old one stays: $WORK/gem-ut/trust/rogue-ut.card: a card in the trust store must belong to the user that uses it (uid $(id -u "$RUN_USER")) or to root, not to uid $(id -u nobody)" "$WORK/gem-ut.log"
sleep 2
check "... the partner is not added" bash -c "! grep -q 'rogue-ut added' '$WORK/gem-ut.log'"
check "... and nothing reached the inbox" [ -z "$(inbox_ids gem-ut)" ]
rm -f "$WORK/gem-ut/trust/rogue-ut.card"
sleep 1.5
chmod 0777 "$WORK/gem-ut/trust"
check "a trust store made writable for others: the rule logged" \
	wait_until 10 grep -qF "trust store not reloaded, the old one stays: $WORK/gem-ut/trust: a trust store must not be writable by group or others, and this one has mode 777" "$WORK/gem-ut.log"
chmod 0755 "$WORK/gem-ut/trust"
# Once trusted, the same pending signal is delivered: nothing was lost.
trust gem-ut rogue-ut
stop gem-ut
start gem-ut
check "after the card is trusted the pending signal is delivered" \
	wait_until 15 bash -c "[ \"\$(inbox_ids gem-ut | wc -l)\" = 1 ]"
it_done
