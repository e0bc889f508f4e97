#!/usr/bin/env bash
# Key rotation with overlap: `seinkey rotate` gives the landlord new CURVE
# and signing keys and a card that continues the old one. The municipality
# trusts the new card; until the overlap ends it still accepts the old
# keys, both for the CURVE handshake and for signal signatures, and after
# it refuses them (KEY_EXPIRED, logged and audited). Signals the landlord
# accepted before the rotation, and sent after a restart
# with the new keys, are delivered exactly once (frames are signed when
# sent, so these go out under the new key). Until its restart the rotated
# daemon says that it runs with keys its key directory replaced (log,
# status, seinctl check); at the end a rotation without a restart: the
# daemon keeps previous/ past the overlap and says to restart.
#
# Besides the landlord (corp-ro) two stand-ins of it run for a moment, with
# the same partner id and their own store: corp-old with the keys from
# before the rotation (old CURVE key, old signing key), and corp-mix with
# the new CURVE key but the old signing key (so that its handshake is
# accepted and only the signature is at stake).
#
# Throughout, every signal in the municipality's inbox still verifies
# (seinctl inbox show), naming the landlord's key that signed it and, for
# a key the landlord no longer has, the day it was superseded: the
# municipality's `seinkey trust` keeps each card it replaces in
# trust/earlier/. The key is also named in the delivered audit entry.
# A card copied in by hand instead is warned about, and the signals
# signed with the key it drops show as not proven.
. "$(dirname "$0")/lib.sh"
it_setup rotate
# The checks within the overlap take some 15 s; a sanitizer build on a
# loaded machine took 29, so there (ASAN_OPTIONS is set by the ASan stage)
# the overlap is longer.
OVERLAP=${ROTATE_OVERLAP:-$([ -n "${ASAN_OPTIONS:-}" ] && echo 45 || echo 25)}
G=gem-ro
C=corp-ro
partner $G municipality_debt 17901
partner $C landlord 17902
trust_all
start $G || { it_done; exit 1; }
start $C || { it_done; exit 1; }

# accepted ids of a plain seinctl send, to $WORK/<sender>.accepted
N=0
send() { # send FROM: one signal to the municipality, a new resident each time
	N=$((N + 1))
	send_arrears "$1" $G "$N" | awk '$1 == "accepted" {print $2}' >>"$WORK/$1.accepted"
}
inbox_count() { inbox_ids $G | wc -l; }
export -f inbox_count
export G

send $C
send $C
check "before: the landlord's signals are delivered" wait_until 10 bash -c "[ \$(inbox_count) = 2 ]"

sign_fp() { # sign_fp CARD: the fingerprint of its signing key
	printf '%b' "$(sed -n 's/^sign = //p' "$1" | sed 's/../\\x&/g')" | sha256sum | cut -c1-16
}
kept_day() { # kept_day FP: the Dutch day the municipality's trust store superseded key FP
	local t
	t=$(sed -n 's/^# superseded in this trust store at \([0-9]*\) .*/\1/p' "$WORK/$G/trust/earlier/$C-$1.card")
	[ -n "$t" ] && TZ=Europe/Amsterdam date -d "@$t" +%F
}
signed_by() { # signed_by ID FP [DAY]: inbox show: ID verifies by key FP, superseded on DAY
	local want="by key $2"
	[ -n "${3:-}" ] && want="$want (superseded on $3)"
	ctl $G --json inbox show "$1" >"$WORK/show.json"
	jq -e --arg w "$want" --arg k "$2" \
		'(.signature | startswith("verified: ") and endswith(", " + $w)) and .signing_key == $k' \
		"$WORK/show.json" >/dev/null || { jq -c '{signature, signing_key}' "$WORK/show.json"; return 1; }
}
audit_key() { # audit_key ID FP: the delivered entry of ID names key FP
	ctl $G --json audit list --id "$1" | json_has "any(.[]; .event == \"delivered\" and .detail == \"signed with key $2\")"
}
k1=$(sign_fp "$WORK/$C/keys/card")
first=$(head -1 "$WORK/$C.accepted")
check "a stored signal verifies and names the landlord's key $k1" signed_by "$first" "$k1"
check "... and so does its delivered audit entry" audit_key "$first" "$k1"

# The stand-ins' identities: the keys as they are before the rotation.
as_user cp -a "$WORK/$C/keys" "$WORK/old-keys"
stand_in() { # stand_in ID PORT: a config for a stand-in of the landlord
	as_user mkdir -p "$WORK/$1"
	as_user cp -a "$WORK/$C/trust" "$WORK/$1/trust"
	sed -e "s|$WORK/$C/|$WORK/$1/|g" \
		-e "s|^listen = .*|listen = tcp://127.0.0.1:$(($2 + ${SEINHUIS_PORT_OFFSET:-0}))|" \
		"$WORK/$C.conf" | as_user tee "$WORK/$1.conf" >/dev/null
}
stand_in corp-old 17903
as_user cp -a "$WORK/old-keys" "$WORK/corp-old/keys"

# Signals accepted before the rotation, waiting in the outbox: the
# municipality is down.
stop $G
for _ in 1 2 3 4 5; do send $C; done
check "while the municipality is down, five signals wait" [ "$(status_field $C outbox_pending)" = 5 ]

# As root into the daemon user's key directory: refused, nothing changed
# (the daemon could not read keys root wrote).
sum0=$(sha256sum <"$WORK/$C/keys/card")
rc=0
out=$("$SEINKEY" rotate --dir "$WORK/$C/keys" --overlap "${OVERLAP}s" 2>&1) || rc=$?
check "seinkey rotate as root in $RUN_USER's key directory: refused (exit $rc), naming the user" bash -c \
	"[ $rc = 1 ] && grep -q \"belongs to user '$RUN_USER': run seinkey as that user (runuser -u $RUN_USER\" <<<\"\$0\"" "$out"
check "... the keys unchanged, no previous/" bash -c \
	"[ \"\$(sha256sum <'$WORK/$C/keys/card')\" = '$sum0' ] && [ ! -e '$WORK/$C/keys/previous' ]"
out=$(as_user "$SEINKEY" rotate --dir "$WORK/$C/keys" --overlap "${OVERLAP}s" 2>&1)
echo "$out" | head -1
check "seinkey rotate makes new keys" grep -q "rotated '$C': new key" <<<"$out"
until_s=$(sed -n 's/^previous_until = //p' "$WORK/$C/keys/card")
check "the new card names the previous keys and is signed by the old key" \
	bash -c "grep -q '^previous_curve = ' '$WORK/$C/keys/card' && grep -q '^previous_signature = ' '$WORK/$C/keys/card'"
check "the previous secret keys are kept at mode 0600" bash -c \
	"[ \$(stat -c %a '$WORK/$C/keys/previous/curve.key') = 600 ] && [ \$(stat -c %a '$WORK/$C/keys/previous/sign.key') = 600 ]"
check "seinkey list shows the landlord's own previous key and its end" bash -c \
	"as_user '$SEINKEY' -c '$WORK/$C.conf' list | grep -q 'own previous key .* accepted until'"
check "a second rotation during the overlap is refused" \
	bash -c "! as_user '$SEINKEY' rotate --dir '$WORK/$C/keys' --overlap 10s 2>/dev/null"
out=$(as_user "$SEINKEY" card --dir "$WORK/$C/keys" --name "Woonstichting Nieuwe Naam" 2>&1)
check "seinkey card --name during the overlap signs the card again with the previous key" bash -c \
	"grep -q 'signed again with the previous signing key' <<<\"\$0\" &&
	 grep -q '^name = Woonstichting Nieuwe Naam\$' '$WORK/$C/keys/card' &&
	 as_user '$SEINKEY' show '$WORK/$C/keys/card' | grep -q 'continues key'" "$out"
# The landlord's daemon runs on with the old keys until its restart, and
# says so: in the log at the warn level, in status, and in seinctl check.
check "the running daemon warns that its key directory's card replaced the one it runs with" \
	wait_until 5 grep -q "\[warn\] key rotation: $WORK/$C/keys/card is no longer the card this daemon runs with .*restart seinhuisd" "$WORK/$C.log"
check "... status shows keys_replaced and the end of the overlap" bash -c \
	"[ \$(status_field $C keys_replaced) = true ] && [ \$(status_field $C keys_replaced_until_ms) = $((until_s * 1000)) ]"
rc=0
out=$(ctl $C check) || rc=$?
check "... seinctl check says WARNING (exit $rc): restart" bash -c \
	"[ $rc = 1 ] && grep -q 'runs with keys its key directory replaced (seinkey rotate): restart it' <<<\"\$0\"" "$out"
# The new CURVE key with the old signing key (see the header).
as_user mkdir -p "$WORK/corp-mix/keys"
as_user chmod 700 "$WORK/corp-mix/keys"
as_user cp "$WORK/$C/keys/curve.key" "$WORK/$C/keys/seal.key" "$WORK/corp-mix/keys/"
as_user cp "$WORK/old-keys/sign.key" "$WORK/corp-mix/keys/"
old_sign=$(sed -n 's/^sign = //p' "$WORK/old-keys/card")
grep -v '^previous_' "$WORK/$C/keys/card" | sed "s/^sign = .*/sign = $old_sign/" |
	as_user tee "$WORK/corp-mix/keys/card" >/dev/null
stand_in corp-mix 17904

out=$(as_user "$SEINKEY" trust --trustdir "$WORK/$G/trust" "$WORK/$C/keys/card")
check "the municipality trusts the new card and keeps the old key for the overlap" \
	grep -q "continues key .* accepted until" <<<"$out"
k2=$(sign_fp "$WORK/$C/keys/card")
day1=$(kept_day "$k1")
check "the card it replaced is kept in trust/earlier/ with the day it was superseded ($day1)" \
	[ -n "$day1" ]
check "... and not trusted as a card: the trust store holds one partner" bash -c \
	"as_user '$SEINKEY' list --trustdir '$WORK/$G/trust' | grep -qx '1 trusted partners'"
check "seinkey list shows the previous key and its end" bash -c \
	"as_user '$SEINKEY' list --trustdir '$WORK/$G/trust' | grep -q 'previous key .* accepted until'"

# Restart in the middle: the landlord now runs with its new keys, and its
# outbox still holds the five signals signed with the old one.
stop $C
start $C || { it_done; exit 1; }
check "restarted with the new keys: keys_replaced is false" [ "$(status_field $C keys_replaced)" = false ]
start $G || { it_done; exit 1; }
check "the signals signed with the old key are delivered during the overlap" \
	wait_until 20 bash -c "[ \$(status_field $C outbox_pending) = 0 ] && [ \$(inbox_count) = 7 ]"
send $C
check "a signal signed with the new key is delivered" wait_until 10 bash -c "[ \$(inbox_count) = 8 ]"
check "after the rotation, the signal signed before it verifies by the old key $k1, superseded on $day1" \
	signed_by "$first" "$k1" "$day1"
by_k2=$(tail -1 "$WORK/$C.accepted")
check "the signal signed with the new key verifies by key $k2" signed_by "$by_k2" "$k2"
check "... as its delivered audit entry says" audit_key "$by_k2" "$k2"

# The old keys, handshake and signature, during the overlap.
start corp-old || { it_done; exit 1; }
send corp-old
check "during the overlap, a handshake with the old CURVE key and a signal signed with the old key are accepted" \
	wait_until 10 bash -c "[ \$(inbox_count) = 9 ] && [ \$(status_field corp-old outbox_pending) = 0 ]"
stop corp-old
start corp-mix || { it_done; exit 1; }
send corp-mix
check "during the overlap, a signal signed with the old key over a new-key connection is accepted" \
	wait_until 10 bash -c "[ \$(inbox_count) = 10 ] && [ \$(status_field corp-mix outbox_pending) = 0 ]"
old_signed=$(head -1 "$WORK/corp-old.accepted")
check "a signal signed with the previous key during the overlap: its delivered entry names key $k1" \
	audit_key "$old_signed" "$k1"
check "... and it verifies by that key" signed_by "$old_signed" "$k1" "$day1"
stop corp-mix
stop $G
start $G || { it_done; exit 1; }
check "the municipality restarted during the overlap keeps its inbox" [ "$(inbox_count)" = 10 ]
left=$((until_s - $(date +%s)))
echo "overlap left after the checks within it: ${left}s"
check "the checks within the overlap ended before it did (${left}s left)" [ "$left" -gt 0 ]

# The overlap ends.
sleep $((left > 0 ? left : 0))
check "the end of the overlap is logged with KEY_EXPIRED" wait_until 5 \
	grep -q "peer $C: the overlap of its previous key has ended; that key is refused from now on (KEY_EXPIRED)" "$WORK/$G.log"
check "the landlord's own previous keys are removed" \
	wait_until 5 bash -c "[ ! -e '$WORK/$C/keys/previous' ]"
check "seinkey list shows the previous key as expired" bash -c \
	"as_user '$SEINKEY' list --trustdir '$WORK/$G/trust' | grep -q 'previous key .* expired at'"
start corp-old || { it_done; exit 1; }
send corp-old
check "after the overlap, a handshake with the old CURVE key is refused and logged" wait_until 10 \
	grep -q "refused connection from $C: its previous CURVE key is no longer accepted (KEY_EXPIRED)" "$WORK/$G.log"
sleep 1
check "and its signal stays at the sender" [ "$(status_field corp-old outbox_pending)" = 1 ]
check "the refused handshake counts in the municipality's refused_peers" \
	[ "$(status_field $G refused_peers)" -ge 1 ]
stop corp-old
start corp-mix || { it_done; exit 1; }
send corp-mix
check "after the overlap, a signal signed with the old key is refused as KEY_EXPIRED" wait_until 10 \
	bash -c "ctl corp-mix --json outbox --state failed | json_has 'length == 1 and .[0].rule == \"KEY_EXPIRED\"'"
stop corp-mix
check "the refusals are in the municipality's audit log, naming KEY_EXPIRED" bash -c \
	"ctl $G --json audit list --limit 1000 | json_has '[.[] | select(.rule == \"KEY_EXPIRED\")] | length >= 2'"
check "the refused signal is not in the inbox" [ "$(inbox_count)" = 10 ]
for id in "$first" "$old_signed"; do
	check "after the overlap, $id still verifies by key $k1, superseded on $day1" \
		signed_by "$id" "$k1" "$day1"
done
send $C
check "after the overlap, signals signed with the new key still flow" wait_until 10 bash -c "[ \$(inbox_count) = 11 ]"

# Exactly once: everything accepted during or before the overlap arrived,
# once; the signals refused after it did not.
inbox_ids $G | sort >"$WORK/inbox"
sort "$WORK/$C.accepted" "$WORK/corp-old.accepted" "$WORK/corp-mix.accepted" >"$WORK/all"
head -1 "$WORK/corp-old.accepted" >"$WORK/expect"
head -1 "$WORK/corp-mix.accepted" >>"$WORK/expect"
cat "$WORK/$C.accepted" >>"$WORK/expect"
sort -o "$WORK/expect" "$WORK/expect"
check "every signal accepted within the overlap is in the inbox ($(wc -l <"$WORK/expect"))" \
	[ -z "$(comm -23 "$WORK/expect" "$WORK/inbox")" ]
check "no duplicates in the inbox" [ -z "$(uniq -d "$WORK/inbox")" ]
check "nothing in the inbox that was not accepted" [ -z "$(comm -13 "$WORK/all" "$WORK/inbox")" ]
check "nothing failed at the landlord" [ -z "$(outbox_ids $C failed)" ]

# A rotation without a restart: the landlord rotates again (a short
# overlap), the municipality trusts its new card, and the landlord's
# daemon is not restarted. When the overlap ends it keeps previous/ (the
# keys it runs with), says at the error level to restart, seinctl check
# is CRITICAL, and the refused handshake names the cause.
as_user "$SEINKEY" rotate --dir "$WORK/$C/keys" --overlap 6s >/dev/null
c_until=$(sed -n 's/^previous_until = //p' "$WORK/$C/keys/card")
as_user "$SEINKEY" trust --trustdir "$WORK/$G/trust" "$WORK/$C/keys/card" >/dev/null
check "rotated again, not restarted: a warning, and seinctl check says WARNING" wait_until 5 \
	bash -c "[ \$(grep -c '\[warn\] key rotation: $WORK/$C/keys/card is no longer' '$WORK/$C.log') = 2 ] && { ctl $C check >/dev/null; [ \$? = 1 ]; }"
sleep $((c_until - $(date +%s) + 1))
check "after the overlap: an error, restart now" wait_until 5 \
	grep -q "\[error\] key rotation: this daemon still runs with key .*, which $WORK/$C/keys/card replaced and whose overlap ended at .*restart seinhuisd now" "$WORK/$C.log"
check "... the previous keys it runs with are kept" \
	bash -c "sleep 2; [ -e '$WORK/$C/keys/previous/curve.key' ] && [ \$(grep -c 'previous removed' '$WORK/$C.log') = 1 ]"
rc=0
out=$(ctl $C check) || rc=$?
check "... seinctl check says CRITICAL (exit $rc)" bash -c \
	"[ $rc = 2 ] && grep -q 'partners refuse its keys (KEY_EXPIRED)' <<<\"\$0\"" "$out"
send $C
check "... a refused handshake names the cause" wait_until 10 \
	grep -q "peer $G: handshake refused by .* (this daemon runs with keys its key directory replaced: restart it)" "$WORK/$C.log"
stop $C
start $C || { it_done; exit 1; }
check "restarted with the new keys: the previous keys are removed, the signal is delivered" wait_until 10 \
	bash -c "[ ! -e '$WORK/$C/keys/previous' ] && [ \$(status_field $C keys_replaced) = false ] && [ \$(inbox_count) = 12 ]"
# After the second overlap the landlord's card names only its third key
# (seinkey card drops the previous keys then); the municipality trusts it.
as_user "$SEINKEY" card --dir "$WORK/$C/keys" --name "Woonstichting Derde Sleutel" >/dev/null
as_user "$SEINKEY" trust --trustdir "$WORK/$G/trust" "$WORK/$C/keys/card" >/dev/null
k3=$(sign_fp "$WORK/$C/keys/card")
by_k3=$(tail -1 "$WORK/$C.accepted")
day2=$(kept_day "$k2")
check "two rotations later, with a card that continues no key: each signal verifies by the key that signed it" \
	bash -c "[ -n '$day2' ] && [ \$(grep -c '^previous_' '$WORK/$G/trust/$C.card') = 0 ]"
check "  $first by key $k1, superseded on $day1" signed_by "$first" "$k1" "$day1"
check "  $old_signed by key $k1" signed_by "$old_signed" "$k1" "$day1"
check "  $by_k2 by key $k2, superseded on $day2" signed_by "$by_k2" "$k2" "$day2"
check "  $by_k3 by key $k3, the current one" signed_by "$by_k3" "$k3"
stop $C
# The landlord's audit log holds heads signed with its first key (before
# the restart above), its second and its third. After a third rotation and
# the end of its overlap, no card the daemon has names the first key any more but
# the one rotate kept in earlier/: audit verify takes the heads signed
# with it from there, and without that card refuses them.
stop $G
out=$(as_user "$SEINKEY" rotate --dir "$WORK/$C/keys" --overlap 2s 2>&1)
check "a third rotation once the second overlap has ended" grep -q "rotated '$C': new key" <<<"$out"
check "each card a rotation replaced is kept in earlier/" \
	[ "$(find "$WORK/$C/keys/earlier" -maxdepth 1 -name '*.card' | wc -l)" = 3 ]
start $C || { it_done; exit 1; }
check "  the third overlap ends, previous/ is removed" \
	wait_until 15 bash -c "[ ! -e '$WORK/$C/keys/previous' ]"
check "audit verify: heads signed with each of the four keys verify" ctl $C audit verify
as_user mv "$WORK/$C/keys/earlier" "$WORK/$C/keys/earlier.away"
rc=0
out=$(ctl $C audit verify) || rc=$?
check "without earlier/, the heads signed with the first key fail (exit $rc), naming the key" bash -c \
	"[ $rc = 1 ] && grep -q 'is signed with key [0-9a-f]\{16\}, which is not a signing key' <<<\"\$0\"" "$out"
as_user mv "$WORK/$C/keys/earlier.away" "$WORK/$C/keys/earlier"
stop $C
# The third rotation's card, after its overlap (naming only the fourth
# key), copied by hand into a trust store that keeps no earlier/ (one
# kept so by an older build, say): the daemon says that nothing keeps the
# key it drops, and the signal signed with that key is not proven (the
# key noted at receipt is named); with earlier/ back, all verify again.
as_user "$SEINKEY" card --dir "$WORK/$C/keys" --name "Woonstichting Vierde Sleutel" >/dev/null
start $G || { it_done; exit 1; }
as_user mv "$WORK/$G/trust/earlier" "$WORK/$G/trust-earlier.away"
as_user cp "$WORK/$C/keys/card" "$WORK/$G/trust/$C.card"
check "a card copied in by hand that drops key $k3: the municipality warns, naming the key" wait_until 10 \
	grep -q "\[warn\] trust store: $C's card no longer names signing key $k3, and no card in .* does" "$WORK/$G.log"
check "... the signal signed with it shows as not proven, by the key noted at receipt" bash -c \
	"ctl $G --json inbox show $by_k3 | json_has '.signature | startswith(\"not proven: \") and contains(\"by key $k3 as noted at receipt\")'"
check "... and so does one signed with the first key, by key $k1" bash -c \
	"ctl $G --json inbox show $first | json_has '.signature | startswith(\"not proven: \") and contains(\"by key $k1 as noted at receipt\")'"
as_user mv "$WORK/$G/trust-earlier.away" "$WORK/$G/trust/earlier"
check "with earlier/ back: $first by key $k1, superseded on $day1" signed_by "$first" "$k1" "$day1"
check "  $by_k2 by key $k2" signed_by "$by_k2" "$k2" "$day2"
check "  $by_k3 by key $k3" bash -c \
	"ctl $G --json inbox show $by_k3 | json_has '(.signature | startswith(\"verified: \")) and .signing_key == \"$k3\"'"
stop $G
it_done
