#!/usr/bin/env bash
# Keys over time: `seinkey revoke` removes a partner's card from the trust
# store, and the running daemon drops that partner's connections within
# seconds, without a restart, while other partners keep working. Trusting
# the card again lets the signals that waited go through.
. "$(dirname "$0")/lib.sh"
it_setup revoke
partner gem-rv municipality_debt 17321
partner corp-rv landlord 17322
partner ins-rv health_insurer 17323
trust_all
for p in gem-rv corp-rv ins-rv; do start $p; done

# A file named after one partner that holds another's card (copied in by
# hand): revoke of the first removed the second partner's card
as_user mkdir -m 0755 "$WORK/t5"
as_user "$SEINKEY" trust --trustdir "$WORK/t5" "$WORK/gem-rv/keys/card" >/dev/null
as_user cp "$WORK/corp-rv/keys/card" "$WORK/t5/ins-rv.card"
rc=0
out=$(as_user "$SEINKEY" revoke --trustdir "$WORK/t5" ins-rv 2>&1) || rc=$?
check "seinkey revoke X where X.card holds the card of Y: refused (exit $rc, 1)" [ $rc = 1 ]
check "... naming both" grep -qF "t5/ins-rv.card holds the card of 'corp-rv', not of 'ins-rv': nothing is removed" <<<"$out"
check "... both cards stay" bash -c \
	"as_user '$SEINKEY' list --trustdir '$WORK/t5' | grep -q '^2 trusted partners'"
out=$(as_user "$SEINKEY" revoke --trustdir "$WORK/t5" corp-rv 2>&1)
check "seinkey revoke Y removes that file, the one card that names Y" \
	bash -c "[ ! -e '$WORK/t5/ins-rv.card' ] && [ -e '$WORK/t5/gem-rv.card' ]"

send_arrears corp-rv gem-rv 1 >/dev/null
check "before: the landlord's signal is delivered" wait_until 10 bash -c "[ \$(inbox_ids gem-rv | wc -l) = 1 ]"
out=$(as_user "$SEINKEY" revoke --trustdir "$WORK/gem-rv/trust" corp-rv)
check "seinkey revoke removes the card" grep -q "revoked 'corp-rv'" <<<"$out"
t0=$SECONDS
check "the daemon takes it in within seconds, without a restart" \
	wait_until 5 grep -q "trust store: corp-rv removed; its connections are dropped" "$WORK/gem-rv.log"
check "the landlord's link is cut and its new handshake refused" \
	wait_until 10 grep -q "peer gem-rv: handshake refused" "$WORK/corp-rv.log"
echo "cut off after $((SECONDS - t0)) s"
send_arrears corp-rv gem-rv 2 >/dev/null
send_arrears ins-rv gem-rv 3 >/dev/null
check "another trusted partner keeps delivering" wait_until 10 bash -c \
	"ctl gem-rv --json inbox list | json_has 'map(select(.sender==\"ins-rv\")) | length == 1'"
sleep 2
check "nothing more from the revoked partner arrives" [ "$(ctl gem-rv --json inbox list | jq '[.[]|select(.sender=="corp-rv")]|length')" = 1 ]
check "its signal waits at the sender" [ "$(status_field corp-rv outbox_pending)" = 1 ]
check "status no longer lists the revoked partner" bash -c \
	"! ctl gem-rv --json status | jq -r '.peers[].partner' | grep -qx corp-rv"
check "the removal is in the audit log" bash -c \
	"ctl gem-rv --json audit list --event trust_removed | json_has 'length == 1 and .[0].partner == \"corp-rv\"'"
# The revoked partner's card is kept in trust/earlier/: its signal in the
# inbox still verifies as its own, naming its key as revoked; seinkey list
# shows it as revoked, not trusted.
fp=$(printf '%b' "$(sed -n 's/^sign = //p' "$WORK/corp-rv/keys/card" | sed 's/../\\x&/g')" | sha256sum | cut -c1-16)
kept="$WORK/gem-rv/trust/earlier/corp-rv-$fp-revoked.card"
check "seinkey revoke kept the card in trust/earlier/" grep -q "^# revoked in this trust store at " "$kept"
day=$(TZ=Europe/Amsterdam date -d "@$(sed -n '1s/^# revoked in this trust store at \([0-9]*\) .*/\1/p' "$kept")" +%F)
id1=$(ctl gem-rv --json inbox list | jq -r '.[] | select(.sender == "corp-rv") | .message_id')
shows() { # shows ID TEXT: seinctl inbox show ID's signature line ends with TEXT
	ctl gem-rv --json inbox show "$1" | jq -e --arg w "$2" \
		'.signature | startswith("verified: ") and endswith($w)' >/dev/null
}
check "its stored signal still verifies, by its key, revoked on $day" \
	shows "$id1" ", by key $fp (revoked on $day)"
out=$(as_user "$SEINKEY" list --trustdir "$WORK/gem-rv/trust")
check "seinkey list: one trusted partner, the revoked one shown as revoked" bash -c \
	"grep -qx '1 trusted partners' <<<\"\$0\" && grep -q '^corp-rv  *landlord  *revoked at .*: not trusted' <<<\"\$0\" &&
	 grep -q '^ *earlier signing key $fp revoked at ' <<<\"\$0\" && grep -qx '1 revoked partners .*' <<<\"\$0\"" "$out"
trust gem-rv corp-rv
check "trusted again, the waiting signal is delivered" wait_until 20 bash -c \
	"[ \$(ctl gem-rv --json inbox list | jq '[.[]|select(.sender==\"corp-rv\")]|length') = 2 ]"
check "and the sender's outbox drains" wait_until 10 bash -c "[ \$(status_field corp-rv outbox_pending) = 0 ]"
check "its first signal verifies by its key, the current one again" shows "$id1" ", by key $fp"
out=$(as_user "$SEINKEY" list --trustdir "$WORK/gem-rv/trust")
check "seinkey list: two trusted partners, none revoked" bash -c \
	"grep -qx '2 trusted partners' <<<\"\$0\" && ! grep -q revoked <<<\"\$0\"" "$out"
it_done
