#!/usr/bin/env bash
# Status feedback to creditors: a debt-help team's outreach step goes back
# as a status_feedback signal to each creditor whose signal is in the case,
# only as far as the catalogue allows (arrears: feedback = consent). Without
# consent, with a revoked consent, or under a catalogue that says
# feedback = none, nothing is sent or recorded. At the creditor the
# feedback is attached to the outbox record it refers to; a feedback that
# refers to an unknown signal, to one sent to another municipality, or
# comes without the consent the catalogue needs is rejected and audited.
. "$(dirname "$0")/lib.sh"
it_setup feedback
sed 's/^feedback = consent$/feedback = none/' "$CATALOGUE" >"$WORK/catalogue-none.conf"
chmod 644 "$WORK/catalogue-none.conf"
grep -q '^feedback = none$' "$WORK/catalogue-none.conf" || fail "test catalogue with feedback = none"
partner gem-fb municipality_debt 17651
partner gem2-fb municipality_debt 17652 "catalogue = $WORK/catalogue-none.conf"
partner corp-fb landlord 17653
partner nrg-fb energy 17654
trust_all
for p in gem-fb gem2-fb corp-fb nrg-fb; do start $p; done

arrears() { # arrears FROM TO KIND AMOUNT REF
	ctl "$1" send --type arrears --to "$2" arrears_kind="$3" amount_cents="$4" \
		arrears_since=2026-09-01 contact_attempt_date=2026-10-01 \
		reminder_date=2026-10-15 urgency=none creditor_reference="$5" \
		creditor_contact="incasso desk" legal_basis=legal_duty initials=J. \
		surname="de Vries" street=Molenweg house_number=12 postcode="9901 WA" \
		place=Waterdam | awk '{print $2}'
}
rent=$(arrears corp-fb gem-fb rent 45000 H-1)
elec=$(arrears nrg-fb gem-fb electricity 20000 E-1)
other=$(arrears corp-fb gem2-fb rent 30000 H-2)
check "three arrears signals accepted" [ ${#rent} = 32 -a ${#elec} = 32 -a ${#other} = 32 ]
check "delivered to both municipalities" wait_until 20 bash -c \
	"[ \$(inbox_ids gem-fb | wc -l) = 2 ] && [ \$(inbox_ids gem2-fb | wc -l) = 1 ]"
case=$(ctl gem-fb --json inbox | jq -r '.[0].case_key')
check "one case for the household" [ "$(ctl gem-fb --json inbox | jq 'length')" = 1 -a ${#case} = 64 ]
ctl gem-fb claim "$case" >/dev/null
check "the case is claimed" bash -c "ctl gem-fb --json case show $case | jq -e '.owner != \"\"' >/dev/null"

no_feedback_sent() { [ -z "$(ctl "$1" --json outbox | jq -r '.[] | select(.type=="status_feedback") | .message_id')" ]; }
steps_are() { [ "$(ctl "$1" --json case show "$2" | jq '.steps | length')" = "$3" ]; }
export -f no_feedback_sent steps_are

# --- refused before anything is written --------------------------------------
out=$(ctl gem-fb case step "$case" in_conversation --feedback 2>&1)
rc=$?
check "feedback without consent is refused (exit 1)" [ $rc = 1 ]
check "... with rule CONSENT, naming the creditor" grep -q "refused: CONSENT: feedback to '\(corp\|nrg\)-fb' needs the resident's consent" <<<"$out"
check "... nothing was sent" no_feedback_sent gem-fb
check "... and the step was not recorded" steps_are gem-fb "$case" 0

resident='surname=de Vries
postcode=9901 WA
house_number=12'
ref_corp=$(ctl gem-fb consent grant --to corp-fb --purpose collection_pause <<<"$resident" | awk '{print $2}')
ref_nrg=$(ctl gem-fb consent grant --to nrg-fb --purpose collection_pause <<<"$resident" | awk '{print $2}')
ref_other=$(ctl gem-fb consent grant --to nrg-fb --purpose collection_pause <<<'surname=Jansen
postcode=9901 WA
house_number=14' | awk '{print $2}')
check "consents granted for both creditors" [ ${#ref_corp} = 32 -a ${#ref_nrg} = 32 ]
out=$(ctl gem-fb case step "$case" in_conversation --feedback --consent "$ref_corp" 2>&1)
check "consent for one creditor only: refused, naming the other" \
	grep -q "refused: CONSENT: feedback to 'nrg-fb' needs the resident's consent" <<<"$out"
out=$(ctl gem-fb case step "$case" in_conversation --feedback --consent "$ref_corp" --consent "$ref_other" 2>&1)
check "another resident's consent: refused" grep -q "CONSENT: consent $ref_other was given by another resident" <<<"$out"
check "... nothing sent, nothing recorded" bash -c "no_feedback_sent gem-fb && steps_are gem-fb $case 0"
out=$(ctl gem-fb case step "$case" contact_attempted --feedback 2>&1)
check "a step without meaning for the creditor: refused (CASE_STEP)" grep -q "refused: CASE_STEP: step 'contact_attempted' tells the creditor nothing" <<<"$out"

# --- sent, delivered, attached ---------------------------------------------
out=$(ctl gem-fb --json case step "$case" in_conversation --feedback --consent "$ref_corp" --consent "$ref_nrg")
check "with both consents: the step is recorded with two feedback signals" \
	json_has '.ok and (.feedback_ids | length) == 2 and .steps[-1].step == "in_conversation" and .steps[-1].feedback == "contact_made"' <<<"$out"
check "the creditor's outbox shows the feedback next to its signal" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$rent\" and .feedback.status==\"contact_made\" and .feedback.time_ms > 0)'"
check "... and so does the other creditor's" wait_until 20 bash -c \
	"ctl nrg-fb --json outbox | json_has '.[] | select(.message_id==\"$elec\" and .feedback.status==\"contact_made\")'"
check "the signal to the other municipality has no feedback" bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$other\" and (has(\"feedback\") | not))'"
check "the text listing shows it too" bash -c "ctl corp-fb outbox | grep '$rent' | grep -q 'feedback: contact_made'"
# on one line: the checks below put them into a bash -c script, where a
# newline would end the printf and run the second id as a command
fb_ids=$(jq -r '.feedback_ids | join(" ")' <<<"$out")
check "the feedback is not a loose item in the creditor's inbox" bash -c \
	"[ \$(ctl corp-fb --json inbox list | jq '[.[] | select(.type==\"status_feedback\")] | length') = 0 ] &&
	 [ \$(ctl nrg-fb --json inbox list | jq 'length') = 0 ]"
check "... its status shows an empty inbox" bash -c "ctl corp-fb status | awk '\$1==\"inbox\" {exit \$2 != 0}'"
check "... it is audited at the creditor: received, and delivered to the outbox record" bash -c \
	"ctl corp-fb --json audit list --type status_feedback --event delivered |
	 json_has '.[] | select(.outcome==\"outbox\" and .legal_basis==\"consent\" and (.detail | contains(\"$rent\")))'"
check "... under one of the two feedback ids the municipality sent" bash -c \
	"ctl corp-fb --json audit list --type status_feedback --event received | jq -r '.[].message_id' | grep -qxF -f <(printf '%s\n' $fb_ids)"
stop corp-fb
start corp-fb
check "... (after restart) still attached" bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$rent\" and .feedback.status==\"contact_made\")'"

# --- revoked consent --------------------------------------------------------
ctl gem-fb consent revoke "$ref_nrg" >/dev/null
out=$(ctl gem-fb case step "$case" help_accepted --feedback --consent "$ref_corp" --consent "$ref_nrg" 2>&1)
check "a revoked consent: refused (CONSENT_REVOKED)" grep -q "refused: CONSENT_REVOKED: consent $ref_nrg for 'nrg-fb' was revoked" <<<"$out"
check "... the step was not recorded" steps_are gem-fb "$case" 1
check "a step without --feedback is still recorded" bash -c "ctl gem-fb case step $case help_accepted >/dev/null"
check "... (now two steps)" steps_are gem-fb "$case" 2

# --- the catalogue says feedback = none ---------------------------------------
case2=$(ctl gem2-fb --json inbox | jq -r '.[0].case_key')
ctl gem2-fb claim "$case2" >/dev/null
ref2=$(ctl gem2-fb consent grant --to corp-fb --purpose collection_pause <<<"$resident" | awk '{print $2}')
out=$(ctl gem2-fb case step "$case2" in_conversation --feedback --consent "$ref2" 2>&1)
check "feedback = none in the catalogue: refused (FEEDBACK)" \
	grep -q "refused: FEEDBACK: the catalogue's \[arrears\] entry says feedback = none: creditor 'corp-fb' may not be told" <<<"$out"
check "... nothing sent" no_feedback_sent gem2-fb

# --- forged or unauthorised feedback at the creditor ---------------------------
probe() { # probe FROM-KEYS SIGNAL-ID BASIS [CONSENT]
	PEER_FEEDBACK_ID=$2 PEER_FEEDBACK_BASIS=$3 PEER_FEEDBACK_CONSENT=${4:-} \
		as_user "$PEER_TOOL" "$WORK/$1/keys" "$WORK/corp-fb/keys/card" feedback
}
out=$(probe gem-fb 00112233445566778899aabbccddeeff consent "$ref_corp")
check "feedback on an unknown signal: rejected (FEEDBACK)" grep -qE "^RECEIPT [0-9a-f]{32} REJECTED FEEDBACK" <<<"$out"
fid=$(awk '/^SENT/ {print $2}' <<<"$out")
out=$(probe gem-fb "$other" consent "$ref_corp")
check "feedback on a signal sent to another municipality: rejected" grep -qE "^RECEIPT [0-9a-f]{32} REJECTED FEEDBACK" <<<"$out"
out=$(probe gem-fb "$rent" legal_task)
check "feedback without the consent the catalogue needs: rejected" grep -qE "^RECEIPT [0-9a-f]{32} REJECTED FEEDBACK" <<<"$out"
out=$(probe gem-fb "$rent" "Vries-9901WA" "$ref_corp")
check "feedback under a legal basis the catalogue does not know: rejected (LEGAL_BASIS)" \
	grep -qE "^RECEIPT [0-9a-f]{32} REJECTED LEGAL_BASIS" <<<"$out"
lbid=$(awk '/^SENT/ {print $2}' <<<"$out")
check "... its audit entry does not repeat the partner's word" bash -c \
	"ctl corp-fb --json audit list --id $lbid | json_has '.[] | select(.event==\"rejected\" and .legal_basis==\"(not one of the catalogue'\"'\"'s)\")' &&
	 ! ctl corp-fb --json audit list --id $lbid | grep -qi vries"
out=$(probe gem2-fb "$rent" consent "$ref_corp")
check "feedback from a municipality the signal was not sent to: rejected" grep -qE "^RECEIPT [0-9a-f]{32} REJECTED FEEDBACK" <<<"$out"
out=$(PEER_FEEDBACK_COPIES=2 probe gem-fb "$rent" consent "$ref_corp")
check "a valid feedback sent twice in one frame: delivered once, then a duplicate" bash -c \
	"grep -qE '^RECEIPT [0-9a-f]{32} DELIVERED' <<<'$out' && grep -qE '^RECEIPT [0-9a-f]{32} DUPLICATE' <<<'$out'"
out=$(PEER_CREATED_SHIFT_MS=-60000 probe gem-fb "$rent" consent "$ref_corp")
oldfb=$(awk '/^SENT/ {print $2}' <<<"$out")
check "a feedback made before the one noted, arriving after it: delivered" \
	grep -qE "^RECEIPT $oldfb DELIVERED" <<<"$out"
check "... its audit entry says it was not noted, not that it was attached" bash -c \
	"ctl corp-fb --json audit list --id $oldfb | json_has '.[] | select(.event==\"delivered\" and .detail==\"older than the answer on outbox record $rent; not noted there\")'"
check "... still no inbox item at the creditor" bash -c \
	"[ \$(ctl corp-fb --json inbox list | jq 'length') = 0 ]"
check "the rejections are in the creditor's audit log with rule FEEDBACK" bash -c \
	"[ \$(ctl corp-fb --json audit list --event rejected | jq '[.[] | select(.rule==\"FEEDBACK\")] | length') -ge 4 ]"
check "... the first one by its message id" bash -c \
	"ctl corp-fb --json audit list --id $fid | json_has '.[] | select(.event==\"rejected\")'"
check "the forged feedback changed nothing on the outbox record" bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$rent\" and .feedback.status==\"contact_made\")'"
# --- feedback sent by hand (seinctl send): the same checks ----------------------
byhand() { # byhand TO SIGNAL-ID BASIS [CONSENT]
	ctl gem-fb send --type status_feedback --to "$1" signal_id="$2" status=help_accepted \
		legal_basis="$3" ${4:+consent_ref=$4} 2>&1
}
out=$(byhand corp-fb "$rent" consent "$ref_other")
check "by hand, a consent for another creditor: refused (CONSENT)" \
	grep -q "refused: CONSENT: field 'consent_ref': the consent is for another recipient" <<<"$out"
ref_corp_other=$(ctl gem-fb consent grant --to corp-fb --purpose collection_pause <<<'surname=Jansen
postcode=9901 WA
house_number=14' | awk '{print $2}')
out=$(byhand corp-fb "$rent" consent "$ref_corp_other")
check "by hand, a consent for this creditor by another resident: refused (CONSENT)" \
	grep -q "refused: CONSENT: field 'consent_ref': the consent was given by another resident" <<<"$out"
out=$(byhand corp-fb "$rent" legal_task)
check "by hand, a legal basis other than the catalogue's feedback rule: refused (FEEDBACK)" \
	grep -q "refused: FEEDBACK: field 'signal_id': the catalogue's \[arrears\] entry says feedback = consent; this feedback gives legal_basis legal_task" <<<"$out"
out=$(byhand corp-fb 00112233445566778899aabbccddeeff consent "$ref_corp")
check "by hand, a signal not in the inbox: refused (FEEDBACK)" \
	grep -q "refused: FEEDBACK: field 'signal_id': signal 00112233445566778899aabbccddeeff is not in the inbox" <<<"$out"
out=$(byhand corp-fb "$elec" consent "$ref_corp")
check "by hand, another creditor's signal: refused (FEEDBACK)" \
	grep -q "refused: FEEDBACK: field 'signal_id': signal $elec came from another partner than 'corp-fb'" <<<"$out"
check "... none of these was sent" bash -c \
	"[ \$(ctl gem-fb --json outbox | jq '[.[] | select(.type==\"status_feedback\")] | length') = 2 ]"
out=$(byhand corp-fb "$rent" consent "$ref_corp")
check "by hand, the resident's own consent: accepted" grep -qE "^accepted [0-9a-f]{32}" <<<"$out"
check "... and attached at the creditor" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$rent\" and .feedback.status==\"help_accepted\")'"

# --- two residents of one household, one creditor ------------------------------
# The creditor's newest signal in the case is about a housemate; the resident
# who consented is told about through their own signal.
rent_at() { # rent_at AMOUNT REF INITIALS SURNAME STREET NUMBER POSTCODE: corp-fb to gem-fb
	ctl corp-fb send --type arrears --to gem-fb arrears_kind=rent amount_cents="$1" \
		arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
		urgency=none creditor_reference="$2" creditor_contact="incasso desk" legal_basis=legal_duty \
		initials="$3" surname="$4" street="$5" house_number="$6" postcode="$7" place=Waterdam |
		awk '{print $2}'
}
a1=$(rent_at 50000 T-1 A. Smit Kerkpad 3 "9901 WB")
sleep 0.01
a2=$(rent_at 60000 T-2 B. Bakker Kerkpad 3 "9901 WB")
check "two housemates' signals delivered" wait_until 20 bash -c \
	"inbox_ids gem-fb | grep -qx $a1 && inbox_ids gem-fb | grep -qx $a2"
case3=$(ctl gem-fb --json inbox | jq -r ".[] | select(.signals == 2 and .case_key != \"$case\") | .case_key")
check "... in one case" [ ${#case3} = 64 ]
claim_with_consent() { # claim_with_consent CASE SURNAME POSTCODE NUMBER: prints corp-fb's consent
	ctl gem-fb claim "$1" >/dev/null
	printf 'surname=%s\npostcode=%s\nhouse_number=%s\n' "$2" "$3" "$4" |
		ctl gem-fb consent grant --to corp-fb --purpose collection_pause | awk '{print $2}'
}
ref_smit=$(claim_with_consent "$case3" Smit "9901 WB" 3)
out=$(ctl gem-fb --json case step "$case3" in_conversation --feedback --consent "$ref_smit" 2>&1)
check "feedback with the consent of the resident of the older signal: sent" \
	json_has '.ok and (.feedback_ids | length) == 1' <<<"$out"
check "... attached to that resident's signal, not the housemate's" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$a1\" and .feedback.status==\"contact_made\")' &&
	 ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$a2\" and (has(\"feedback\") | not))'"

check "audit subject (municipality): the feedback about the resident is among the disclosures made about them" bash -c \
	"printf 'surname=Smit\npostcode=9901 WB\nhouse_number=3\n' | ctl gem-fb --json audit subject |
	 jq -e '[.[] | select(.type == \"status_feedback\" and .event == \"accepted\" and .partner == \"corp-fb\")] | length == 1' >/dev/null"
check "... and not among the housemate's" bash -c \
	"printf 'surname=Bakker\npostcode=9901 WB\nhouse_number=3\n' | ctl gem-fb --json audit subject |
	 jq -e '[.[] | select(.type == \"status_feedback\" and .event == \"accepted\")] | length == 0' >/dev/null"
# --- closed, reopened, closed: the creditor hears no_contact once ---------------
k1=$(rent_at 40000 K-1 C. Kok Veldweg 8 "9901 WC")
check "a signal about a fourth household delivered" wait_until 20 bash -c "inbox_ids gem-fb | grep -qx $k1"
case4=$(ctl gem-fb --json inbox | jq -r ".[] | select(.signals == 1 and .case_key != \"$case\" and .case_key != \"$case3\") | .case_key")
ref_kok=$(claim_with_consent "$case4" Kok "9901 WC" 8)
out=$(ctl gem-fb --json case step "$case4" closed --feedback --consent "$ref_kok" 2>&1)
check "closed before any contact: no_contact sent to the creditor" \
	json_has '.ok and (.feedback_ids | length) == 1 and .steps[-1].feedback == "no_contact"' <<<"$out"
check "... and noted on its signal" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$k1\" and .feedback.status==\"no_contact\")'"
check "another step reopens the case" bash -c "ctl gem-fb case step $case4 contact_attempted >/dev/null"
out=$(ctl gem-fb --json case step "$case4" closed --feedback --consent "$ref_kok" 2>&1)
check "closed again: the step is recorded, no second no_contact about the same signal" \
	json_has '.ok and (.feedback_ids | length) == 0 and .steps[-1].step == "closed" and .steps[-1].feedback_signals == 0' <<<"$out"
check "... the case's steps: closed, contact_attempted, closed" bash -c \
	"ctl gem-fb --json case show $case4 | jq -e '(.steps | map(.step)) == [\"closed\",\"contact_attempted\",\"closed\"]' >/dev/null"
# a real change of status after it still goes out; the creditor's queue
# at the municipality is sent in order, so once it is noted anything sent
# before it has arrived too
check "a real change (contact made) is still told" bash -c \
	"ctl gem-fb --json case step $case4 in_conversation --feedback --consent $ref_kok | jq -e '(.feedback_ids | length) == 1' >/dev/null"
check "... and noted at the creditor" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$k1\" and .feedback.status==\"contact_made\")'"
check "the creditor holds two feedbacks about its signal (no_contact, contact_made), not three" bash -c \
	"[ \$(ctl corp-fb --json audit list --type status_feedback --event delivered | jq '[.[] | select(.detail | contains(\"$k1\"))] | length') = 2 ]"
# --- a feedback the creditor refused has told it nothing ---------------------
# The creditor's catalogue (feedback = none) refuses what the municipality's
# allows; once the creditor mends it, the team sends the same status again.
m1=$(rent_at 41000 M-1 D. Meijer Dorpsstraat 5 "9901 WD")
check "a signal about a fifth household delivered" wait_until 20 bash -c "inbox_ids gem-fb | grep -qx $m1"
case5=$(ctl gem-fb --json inbox | jq -r ".[] | select(.signals == 1 and .case_key != \"$case\" and .case_key != \"$case3\" and .case_key != \"$case4\") | .case_key")
ref_meijer=$(claim_with_consent "$case5" Meijer "9901 WD" 5)
stop corp-fb
set_conf corp-fb catalogue "$WORK/catalogue-none.conf"
start corp-fb
out=$(ctl gem-fb --json case step "$case5" in_conversation --feedback --consent "$ref_meijer" 2>&1)
fb5=$(jq -r '.feedback_ids[0] // empty' <<<"$out")
check "feedback sent to a creditor whose catalogue says feedback = none" [ ${#fb5} = 32 ]
check "... it refuses it: failed in the municipality's outbox with rule FEEDBACK" wait_until 20 bash -c \
	"ctl gem-fb --json outbox --state failed | json_has '.[] | select(.message_id==\"$fb5\" and .rule==\"FEEDBACK\")'"
stop corp-fb
set_conf corp-fb catalogue "$CATALOGUE"
start corp-fb
out=$(ctl gem-fb --json case step "$case5" in_conversation --feedback --consent "$ref_meijer" 2>&1)
check "the same status again, the creditor mended: sent (the refused one told nothing)" \
	json_has '.ok and (.feedback_ids | length) == 1' <<<"$out"
check "... and noted at the creditor" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$m1\" and .feedback.status==\"contact_made\")'"
out=$(ctl gem-fb --json case step "$case5" in_conversation --feedback --consent "$ref_meijer" 2>&1)
check "once delivered, the same status is not sent a third time" \
	json_has '.ok and (.feedback_ids | length) == 0' <<<"$out"
# --- closed after an attempt that reached the resident: contact_made ---------
# (the resident was reached, if no conversation followed: not no_contact)
v1=$(rent_at 42000 V-1 E. Visser Molenpad 6 "9901 WE")
check "a signal about a sixth household delivered" wait_until 20 bash -c "inbox_ids gem-fb | grep -qx $v1"
case6=$(ctl gem-fb --json inbox | jq -r ".[] | select(.signals == 1 and .case_key != \"$case\" and .case_key != \"$case3\" and .case_key != \"$case4\" and .case_key != \"$case5\") | .case_key")
ref_visser=$(claim_with_consent "$case6" Visser "9901 WE" 6)
ctl gem-fb case step "$case6" contact_attempted --how phone --reached yes >/dev/null
out=$(ctl gem-fb --json case step "$case6" closed --feedback --consent "$ref_visser" 2>&1)
check "closed after a phone call that reached the resident: contact_made, not no_contact" \
	json_has '.ok and (.feedback_ids | length) == 1 and .steps[-1].feedback == "contact_made"' <<<"$out"
check "... and noted at the creditor" wait_until 20 bash -c \
	"ctl corp-fb --json outbox | json_has '.[] | select(.message_id==\"$v1\" and .feedback.status==\"contact_made\")'"
check "no personal data in the creditor's log" bash -c "! grep -qi 'vries\|molenweg\|9901 \?wa\|smit\|bakker\|kerkpad\|kok\|veldweg\|meijer\|dorpsstraat\|visser\|molenpad' '$WORK/corp-fb.log'"
check "no personal data in the municipality's log" bash -c "! grep -qi 'vries\|molenweg\|9901 \?wa\|smit\|bakker\|kerkpad\|kok\|veldweg\|meijer\|dorpsstraat\|visser\|molenpad' '$WORK/gem-fb.log'"
check "audit logs verify" bash -c "ctl gem-fb audit verify >/dev/null && ctl corp-fb audit verify >/dev/null"

for p in gem-fb gem2-fb corp-fb nrg-fb; do stop $p; done
it_done
