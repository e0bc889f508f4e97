#!/usr/bin/env bash
# Consent: a referral under consent goes out only with a valid consent for
# that resident, purpose (the referral's own purpose field) and recipient; revoking it tells the recipient,
# which removes what was not yet taken and refuses what comes later.
. "$(dirname "$0")/lib.sh"
it_setup consent
partner gp-cs professional 17271
partner team-cs municipality_team 17272
partner team2-cs municipality_team 17273
# A professional whose catalogue gives referrals a natural key (used below)
# and lets it send no consent revocation to a wijkteam
awk '/^\[/ { if (inref) print "natural_key = purpose description surname postcode house_number"; inref = ($0 == "[referral]") } { print }' \
	"$CATALOGUE" |
	sed '/^\[consent_revocation\]/,/^\[/ s/^recipients = .*/recipients = professional municipality_debt/' |
	as_user tee "$WORK/natkey.conf" >/dev/null
partner gp2-cs professional 17274 "catalogue = $WORK/natkey.conf"
# A professional whose catalogue allows referrals longer initials than the
# team's: what it sends with them is quarantined at the team.
sed '/^\[referral\]/,/^\[/ s/^field initials = optional personal text 1 20$/field initials = optional personal text 1 40/' \
	"$CATALOGUE" | as_user tee "$WORK/longinit.conf" >/dev/null
grep -q '^field initials = optional personal text 1 40$' "$WORK/longinit.conf" || fail "test catalogue with longer initials"
partner gp3-cs professional 18041 "catalogue = $WORK/longinit.conf"
trust_all
start gp-cs
start team-cs
start team2-cs
start gp2-cs

resident='surname=de Vries
postcode=9901 WA
house_number=12
birth_date=1970-05-06'
ref=$(ctl gp-cs consent grant --to team-cs --purpose debts <<<"$resident" | awk '{print $2}')
check "consent granted, with a reference" [ ${#ref} = 32 ]
check "consent list shows it valid, without identifiers" bash -c \
	"ctl gp-cs consent list | grep '$ref' | grep -q valid && ! ctl gp-cs consent list | grep -qi vries"
rc=0
out=$(ctl gp-cs consent grant --to team-cs --purpose refferal <<<"$resident" 2>&1) || rc=$?
check "a purpose no signal to that partner uses is refused, naming those it could be (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"CONSENT: --purpose: no signal this daemon may send 'team-cs' uses a consent for the purpose given (the catalogue's purposes for it: debts income housing health family daily_life other)\" <<<\"\$0\" && ! grep -q refferal <<<\"\$0\"" "$out"
rc=0
out=$(ctl gp-cs consent grant --to team-cs --purpose referral <<<"$resident" 2>&1) || rc=$?
check "a consent for all referrals (the type's name) is refused: one is for a referral's purpose (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"CONSENT: --purpose: no signal .*(the catalogue's purposes for it: debts income\" <<<\"\$0\"" "$out"
rc=0
out=$(ctl gp-cs consent grant --to team-cs --purpose debts --until 2026-13-45 <<<"$resident" 2>&1) || rc=$?
check "a consent until a date that does not exist is refused (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q 'USAGE: --until: dates are calendar dates' <<<\"\$0\"" "$out"
rc=0
out=$(printf 'surname=de Vries\nsurname=Jansen\npostcode=9901 WA\nhouse_number=12\n' |
	ctl gp-cs consent grant --to team-cs --purpose debts 2>&1) || rc=$?
check "an identifier given twice is refused, not replaced (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"FIELD_VALUE: field 'surname': given twice\" <<<\"\$0\" && ! grep -q Jansen <<<\"\$0\"" "$out"
rc=0
out=$(printf 'surname=de Vries\npostcode=9901 WA\nhouse_number=12\nbirth_date=1970-02-31\n' |
	ctl gp-cs consent grant --to team-cs --purpose debts 2>&1) || rc=$?
check "a birth date that is no date is refused (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"FIELD_FORMAT: field 'birth_date'\" <<<\"\$0\" && ! grep -q 1970 <<<\"\$0\"" "$out"
rc=0
out=$({ printf 'surname='; head -c 700 /dev/zero | tr '\0' a; printf '\npostcode=9901 WA\nhouse_number=12\n'; } |
	ctl gp-cs consent grant --to team-cs --purpose debts 2>&1) || rc=$?
check "a line too long is refused as a whole, by its number (exit $rc): $out" bash -c \
	"[ $rc = 2 ] && grep -q 'stdin line 1: longer than' <<<\"\$0\"" "$out"
check "an empty birth date is no birth date, as in a signal" bash -c \
	"printf 'surname=de Vries\npostcode=9901 WA\nhouse_number=12\nbirth_date=\n' |
	 ctl gp-cs consent grant --to team-cs --purpose debts | grep -q '^consent '"
expired_ref=$(ctl gp-cs consent grant --to team-cs --purpose debts --from 2020-01-01 --until 2020-12-31 <<<"$resident" | awk '{print $2}')
check "consent list shows a consent past its end as expired" bash -c \
	"ctl gp-cs consent list | grep '$expired_ref' | grep -q expired"
check "the audit entry of a grant names the local user, the pseudonym and the resident key" bash -c \
	"ctl gp-cs --json audit list --event consent_granted --id $ref | jq -e '.[0] | .user==\"root\" and (.subject|length)==64 and (.case_key|length)==64' >/dev/null"
referral() { # [PURPOSE=family] referral CONSENT_REF SURNAME [TO]
	ctl gp-cs send --type referral --to "${3:-team-cs}" legal_basis=consent \
		consent_ref="$1" purpose="${PURPOSE:-debts}" surname="$2" \
		postcode="9901 WA" house_number=12 birth_date=1970-05-06
}
out=$(referral "$ref" "de Vries")
id=${out#accepted }
check "a referral under the consent is accepted" [ ${#id} = 32 ]
check "and delivered, carrying the consent reference" wait_until 10 bash -c \
	"ctl team-cs --json inbox list | json_has '.[] | select(.message_id==\"$id\" and .consent_ref==\"$ref\")'"
check "a referral about another resident is refused (CONSENT)" bash -c \
	"ctl gp-cs send --type referral --to team-cs legal_basis=consent consent_ref=$ref purpose=debts surname=Jansen postcode='9901 WA' house_number=12 2>&1 | grep -q 'CONSENT: field .consent_ref.'"
check "a referral to another recipient is refused (CONSENT)" bash -c \
	"ctl gp-cs send --type referral --to team2-cs legal_basis=consent consent_ref=$ref purpose=debts surname='de Vries' postcode='9901 WA' house_number=12 birth_date=1970-05-06 2>&1 | grep -q CONSENT"
# Consent is per purpose (DOMAIN.md 5): one for debts covers no referral
# about the family; the refusal names the purposes, never the resident.
rc=0
out=$(PURPOSE=family referral "$ref" "de Vries" 2>&1) || rc=$?
check "a referral for another purpose than the consent's is refused (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"CONSENT: field 'consent_ref': the consent is for purpose 'debts', this signal needs 'family'\" <<<\"\$0\"" "$out"
check "  without the resident's data in the refusal or the log" bash -c \
	"! grep -qi -e vries -e 1970-05-06 -e '9901 WA' <<<\"\$0\" && ! grep -qi -e vries -e 1970-05-06 '$WORK/gp-cs.log'" "$out"
check "  and nothing of it in the outbox" bash -c \
	"[ \"\$(ctl gp-cs --json outbox --limit 100 | jq '[.[] | select(.type == \"referral\")] | length')\" = 1 ]"
check "a referral without consent_ref is refused" bash -c \
	"ctl gp-cs send --type referral --to team-cs legal_basis=consent purpose=debts surname=X postcode='9901 WA' house_number=1 2>&1 | grep -q \"FIELD_MISSING: field 'consent_ref'\""
check "an unknown consent reference is refused" bash -c \
	"ctl gp-cs send --type referral --to team-cs legal_basis=consent consent_ref=00112233445566778899aabbccddeeff purpose=debts surname=X postcode='9901 WA' house_number=1 2>&1 | grep -q CONSENT"
# A second referral, not yet taken, with the reference typed in capitals;
# then the resident withdraws consent, again typed in capitals. A reference
# is hex in any case: the revocation must find both referrals.
REF=$(tr a-f A-F <<<"$ref")
out=$(referral "$REF" "de Vries")
id2=${out#accepted }
check "two referrals waiting at the team" wait_until 10 bash -c "[ \"\$(inbox_ids team-cs | wc -l)\" = 2 ]"
check "the one sent with the reference in capitals carries it in one form" bash -c \
	"ctl team-cs --json inbox list | json_has '.[] | select(.message_id==\"$id2\" and .consent_ref==\"$ref\")'"
out=$(ctl gp-cs consent revoke "$REF")
check "revocation accepted and sent" grep -q "revoked; revocation signal [0-9a-f]\{32\}" <<<"$out"
check "consent list shows it revoked" bash -c "ctl gp-cs consent list | grep '$ref' | grep -q revoked"
check "the recipient removed the waiting referrals; only the revocation remains" \
	wait_until 10 bash -c "[ \"\$(ctl team-cs --json inbox list | jq -r '.[].type')\" = consent_revocation ]"
check "the recipient logged the revocation" grep -q "consent $ref of gp-cs revoked: 2 waiting signals removed" "$WORK/team-cs.log"
revoked_refused() { referral "$ref" "de Vries" 2>&1 | grep -q CONSENT_REVOKED; }
check "a new referral under the revoked consent is refused at the sender" revoked_refused
check "revoking twice is refused" bash -c "! ctl gp-cs consent revoke $ref 2>/dev/null"
# Both sides record it in the audit log.
check "audit (sender): the consent granted, for team-cs, purpose debts" bash -c \
	"ctl gp-cs --json audit list --event consent_granted --id $ref | json_has 'length == 1 and .[0].partner == \"team-cs\" and (.[0].detail | test(\"debts\"))'"
check "audit (sender): each referral's accepted entry names the consent it went out under" bash -c \
	"ctl gp-cs --json audit list --event accepted --type referral | json_has 'length >= 2 and all(.[]; .legal_basis == \"consent\" and .detail == \"consent_ref $ref\")'"
check "audit (recipient): each referral's received entry names the consent it came under" bash -c \
	"ctl team-cs --json audit list --event received --type referral | json_has 'length >= 2 and all(.[]; .outcome == \"delivered\" and .detail == \"consent_ref $ref\")'"
check "audit (sender): the consent revoked" bash -c \
	"ctl gp-cs --json audit list --event consent_revoked | json_has 'length == 1 and .[0].partner == \"team-cs\"'"
check "audit (recipient): the revocation, and each waiting referral it removed" bash -c \
	"ctl team-cs --json audit list --event consent_revoked | json_has 'map(select(.outcome | startswith(\"removed\"))) | length == 2 and all(.[]; .partner == \"gp-cs\" and (.message_id | length) == 32)'"
check "audit (recipient): the removed ones are exactly the two referrals" bash -c \
	"[ \"\$(ctl team-cs --json audit list --event consent_revoked | jq -r '[.[]|select(.outcome|startswith(\"removed\"))|.message_id]|sort|join(\",\")')\" = \"\$(ctl team-cs --json audit list --event delivered | jq -r '[.[]|select(.type==\"referral\")|.message_id]|sort|join(\",\")')\" ]"
check "audit (recipient): the revocation signal itself delivered" bash -c \
	"ctl team-cs --json audit list --event delivered | json_has 'map(select(.type == \"consent_revocation\")) | length == 1'"
check "no identifier of the resident in either audit log" bash -c \
	"! (ctl gp-cs --json audit export; ctl team-cs --json audit export) 2>/dev/null | grep -qi -e vries -e 1970-05-06 -e '9901 WA'"

# Refused for consent, a signal does not keep its natural key: sent again
# with a valid consent, it is accepted, not skipped as sent before. An
# import of ten rows is one window of requests, whose signals are built
# before the key is claimed (control.c), so this is where the claim is
# given back.
ref2=$(ctl gp2-cs consent grant --to team2-cs --purpose debts <<<"$resident" | awk '{print $2}')
{
	echo "purpose;description;surname;postcode;house_number;birth_date"
	for i in 0 1 2 3 4 5 6 7 8 9; do echo "debts;visit $i;de Vries;9901 WA;12;1970-05-06"; done
} | as_user tee "$WORK/referrals.csv" >/dev/null
out=$(ctl gp2-cs import "$WORK/referrals.csv" --type referral --to team2-cs \
	--set legal_basis=consent --set consent_ref=00112233445566778899aabbccddeeff 2>&1)
echo "$out" | tail -1
check "ten referrals under an unknown consent: all refused" grep -q "10 rows: 0 accepted, 10 refused, 0 skipped" <<<"$out"
out=$(ctl gp2-cs import "$WORK/referrals.csv" --type referral --to team2-cs \
	--set legal_basis=consent --set consent_ref="$ref2" 2>&1)
echo "$out" | tail -1
check "  the same under a valid consent: all accepted" grep -q "10 rows: 10 accepted, 0 refused, 0 skipped" <<<"$out"
out=$(ctl gp2-cs import "$WORK/referrals.csv" --type referral --to team2-cs \
	--set legal_basis=consent --set consent_ref="$ref2" 2>&1)
check "  and once more: all skipped as sent before" grep -q "10 rows: 0 accepted, 0 refused, 10 skipped" <<<"$out"
check "  the ten arrive, each once" wait_until 10 bash -c \
	"[ \$(ctl team2-cs --json inbox list | jq '[.[] | select(.type == \"referral\")] | length') = 10 ]"
# A revocation whose notice the catalogue does not allow is refused before
# anything is written, naming the rule: the consent stays valid, and the
# daemon goes on serving.
rc=0
out=$(ctl gp2-cs consent revoke "$ref2" 2>&1) || rc=$?
check "a revocation the catalogue cannot send is refused (exit $rc): $out" bash -c \
	"[ $rc != 0 ] && grep -q 'RECIPIENT_ROLE.*cannot be sent to team2-cs.*not revoked' <<<\"\$0\"" "$out"
check "  the consent is still valid" bash -c "ctl gp2-cs consent list | grep '${ref2:0:16}' | grep -q valid"
check "  and the daemon still accepts work" bash -c \
	"ctl gp2-cs send --type referral --to team2-cs legal_basis=consent consent_ref=$ref2 purpose=debts \
	 surname='de Vries' postcode='9901 WA' house_number=12 birth_date=1970-05-06 | grep -q accepted"
family=$(ctl gp2-cs consent grant --to team2-cs --purpose family <<<"$resident" | awk '{print $2}')
check "a referral about the family goes under a consent for family, not one for debts" bash -c \
	"ctl gp2-cs send --type referral --to team2-cs legal_basis=consent consent_ref=$ref2 purpose=family \
	 surname='de Vries' postcode='9901 WA' house_number=12 birth_date=1970-05-06 2>&1 | grep -q 'refused: CONSENT: ' &&
	 ctl gp2-cs send --type referral --to team2-cs legal_basis=consent consent_ref=$family purpose=family \
	 surname='de Vries' postcode='9901 WA' house_number=12 birth_date=1970-05-06 | grep -q '^accepted '"

# A withdrawn consent reaches the quarantine too: a referral held there
# under it (with the resident's sealed data) is removed, by its reference in
# any case; one under another consent stays.
start gp3-cs
ref3=$(ctl gp3-cs consent grant --to team-cs --purpose debts <<<"$resident" | awk '{print $2}')
ref4=$(ctl gp3-cs consent grant --to team-cs --purpose debts <<<"$resident" | awk '{print $2}')
long_referral() {
	ctl gp3-cs send --type referral --to team-cs legal_basis=consent consent_ref="$1" \
		purpose=debts initials=ABCDEFGHIJKLMNOPQRSTUVWXY surname="de Vries" \
		postcode="9901 WA" house_number=12 birth_date=1970-05-06
}
out=$(long_referral "$(tr a-f A-F <<<"$ref3")")
qid3=${out#accepted }
out=$(long_referral "$ref4")
qid4=${out#accepted }
team_q() { ctl team-cs --json quarantine list | jq -r '.[].message_id' | sort | paste -sd,; }
export -f team_q
both=$(printf '%s\n' "$qid3" "$qid4" | sort | paste -sd,)
wait_until 15 bash -c "[ \"\$(team_q)\" = $both ]" || fail "setup: two referrals in the team's quarantine"
ctl gp3-cs consent revoke "$ref3" >/dev/null || fail "setup: consent $ref3 revoked"
check "the quarantined referral under the withdrawn consent is removed, the other kept" \
	wait_until 10 bash -c "[ \"\$(team_q)\" = $qid4 ]"
check "audit (recipient): removed from quarantine, with message id, sender and type" bash -c \
	"ctl team-cs --json audit list --event consent_revoked --id $qid3 | json_has 'length == 1 and .[0].outcome == \"removed from quarantine: consent withdrawn\" and .[0].partner == \"gp3-cs\" and .[0].type == \"referral\"'"
check "the recipient logged it" grep -q "consent $ref3 of gp3-cs revoked: 0 waiting signals removed, 1 quarantined" "$WORK/team-cs.log"

# A consent revoked while a referral under it waits in the outbox (its
# recipient down): the referral is failed at once (CONSENT_REVOKED), in the
# turn of the revocation, and never sent; the recipient gets only the
# revocation. A referral under another, valid consent that waited beside it
# still goes.
partner gp4-cs professional 18043
partner team4-cs municipality_team 18044
trust gp4-cs team4-cs
trust team4-cs gp4-cs
start gp4-cs
start team4-cs
grant4() { # grant4 [--until DATE]: a consent's reference
	ctl gp4-cs consent grant --to team4-cs --purpose debts "$@" <<<"$resident" | awk '{print $2}'
}
referral4() { # referral4 CONSENT_REF DESCRIPTION: the id accepted
	ctl gp4-cs send --type referral --to team4-cs legal_basis=consent \
		consent_ref="$1" purpose=debts surname="de Vries" postcode="9901 WA" \
		house_number=12 birth_date=1970-05-06 description="$2" | sed 's/^accepted //'
}
out4() { # out4 ID: "state rule" of an outbox entry at gp4-cs
	ctl gp4-cs --json outbox --limit 10000 | jq -r ".[] | select(.message_id==\"$1\") | \"\(.state) \(.rule // \"\")\""
}
export -f out4
ref5=$(grant4)
ref6=$(grant4)
stop team4-cs
id5=$(referral4 "$ref5" "waits, then revoked")
id6=$(referral4 "$ref6" "waits, consent kept")
check "two referrals accepted while the team is down" [ "${#id5}${#id6}" = 3232 ]
ctl gp4-cs consent revoke "$ref5" >/dev/null || fail "setup: consent $ref5 revoked"
check "the referral waiting under the revoked consent is failed at once, CONSENT_REVOKED" bash -c \
	"[ \"\$(out4 $id5)\" = 'failed CONSENT_REVOKED' ]"
check "  the other waits still" bash -c "[ \"\$(out4 $id6)\" = 'pending ' ]"
start team4-cs
check "  the one under the valid consent is delivered once the team is back" \
	wait_until 15 bash -c "[ \"\$(out4 $id6)\" = 'delivered ' ]"
check "  the revocation arrives" wait_until 15 bash -c \
	"ctl team4-cs --json audit list --event delivered | json_has 'map(select(.type == \"consent_revocation\")) | length == 1'"
check "  the revoked one never reached the team (no entry of it in its audit log)" bash -c \
	"[ \"\$(ctl team4-cs --json audit list --id $id5 | jq length)\" = 0 ]"
check "  and stays failed at the sender" bash -c "[ \"\$(out4 $id5)\" = 'failed CONSENT_REVOKED' ]"
check "  the team logged the revocation with nothing to remove" \
	grep -q "consent $ref5 of gp4-cs revoked: 0 waiting signals removed" "$WORK/team4-cs.log"
check "audit (sender): the failure, with its rule" bash -c \
	"ctl gp4-cs --json audit list --id $id5 | json_has 'map(select(.detail | test(\"CONSENT_REVOKED|consent was revoked\"))) | length >= 1'"
# A consent whose last day passes while a referral under it waits: two
# days later (the clock moved) the referral is failed (CONSENT), not sent.
if [ -n "${CLOCKSHIFT:-}" ]; then
	# the last day is today in the Netherlands, the daemon's calendar
	ref7=$(grant4 --until "$(TZ=Europe/Amsterdam date +%F)")
	ref8=$(grant4)
	stop team4-cs
	id7=$(referral4 "$ref7" "waits past the consent's last day")
	id8=$(referral4 "$ref8" "waits, consent without end")
	stop gp4-cs
	WRAP="env LD_PRELOAD=$CLOCKSHIFT SH_CLOCK_SHIFT_S=172800" start gp4-cs
	WRAP="env LD_PRELOAD=$CLOCKSHIFT SH_CLOCK_SHIFT_S=172800" start team4-cs
	check "a referral that waited past its consent's last day is failed, CONSENT" \
		wait_until 15 bash -c "[ \"\$(out4 $id7)\" = 'failed CONSENT' ]"
	check "  the one under a consent without end is delivered" \
		wait_until 15 bash -c "[ \"\$(out4 $id8)\" = 'delivered ' ]"
	check "  the expired one is not in the team's inbox" bash -c \
		"! inbox_ids team4-cs | grep -q $id7"
else
	echo "SKIP: expiry of a waiting referral (CLOCKSHIFT not set)"
fi

# stopped by pid, cleanly (so that a run under valgrind reports leaks)
for p in gp-cs team-cs team2-cs gp2-cs gp3-cs gp4-cs team4-cs; do stop $p; done
# A catalogue kept from before 2026-12-06, whose referral purpose is free
# text: the daemon says so (here through -t), and what to do.
sed -e 's/^field purpose = required enum .*/field purpose = required text 1 200/' \
	-e 's/^purpose_field = purpose$/purpose = referral/' "$CATALOGUE" |
	as_user tee "$WORK/catalogue-old.conf" >/dev/null
sed "s|^catalogue = .*|catalogue = $WORK/catalogue-old.conf|" "$WORK/gp-cs.conf" |
	as_user tee "$WORK/gp-old.conf" >/dev/null
check "a catalogue whose referral purpose is free text: a warning naming it" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/gp-old.conf' 2>&1 | grep -q '\[referral\] purpose is free text, which travels and is kept unsealed'"
check "... and none with the shipped catalogue" bash -c \
	"! as_user '$SEINHUISD' -t -c '$WORK/gp-cs.conf' 2>&1 | grep -q 'purpose is free text'"

# An upgrade: consents granted while the catalogue had one purpose for all
# referrals (purpose = referral) say nothing of the referral's purpose.
# Under the shipped catalogue they cover no referral (never any purpose at
# all): the daemon says so at start, and a referral under one is refused,
# naming the rule and what to grant; the resident is never named.
sed 's/^purpose_field = purpose$/purpose = referral/' "$CATALOGUE" |
	as_user tee "$WORK/catalogue-v1.conf" >/dev/null
as_user cp "$WORK/gp-cs.conf" "$WORK/gp-cs.conf.new"
sed "s|^catalogue = .*|catalogue = $WORK/catalogue-v1.conf|" "$WORK/gp-cs.conf.new" |
	as_user tee "$WORK/gp-cs.conf" >/dev/null
start gp-cs
check "a catalogue whose referral has no purpose_field: a warning that one consent covers every purpose" \
	grep -q "\[referral\] names no purpose_field, so a consent for 'referral' covers a referral whatever its purpose" "$WORK/gp-cs.log"
old_ref=$(ctl gp-cs consent grant --to team-cs --purpose referral <<<"$resident" | awk '{print $2}')
[ ${#old_ref} = 32 ] || fail "setup: a consent for purpose referral under the old catalogue"
stop gp-cs
as_user cp "$WORK/gp-cs.conf.new" "$WORK/gp-cs.conf"
start gp-cs
check "upgraded: the start names the consents in force that now cover nothing, by purpose only" \
	grep -q "consent register: 1 consent(s) in force are for a purpose no signal type of the catalogue uses (referral): they cover no signal" "$WORK/gp-cs.log"
rc=0
out=$(referral "$old_ref" "de Vries" 2>&1) || rc=$?
check "upgraded: a referral under a consent for all referrals is refused, saying what to grant (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"CONSENT: field 'consent_ref': the consent is for purpose 'referral', which covers no referral signal: a consent for one is for the purpose it gives (this one needs 'debts'; grant a consent for it)\" <<<\"\$0\"" "$out"
check "  the consent stays in the register as it was (not widened, not changed)" bash -c \
	"ctl gp-cs consent list | grep '${old_ref:0:16}' | grep -q 'referral.*valid'"
check "  no identifier of the resident in the log" bash -c "! grep -qi -e vries -e 1970-05-06 '$WORK/gp-cs.log'"
stop gp-cs
it_done
