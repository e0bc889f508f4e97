#!/usr/bin/env bash
# Privacy by construction: run a network with fixture residents, then
# search every file the daemons wrote (LMDB data and lock files, logs,
# outbox and inbox listings, quarantine, status) for each fixture name,
# address, birth date, BSN, phone number and e-mail address, as bytes.
# None may appear outside the sealed fields, which are encrypted at rest
# and on the wire. Inputs reach seinctl as arguments and on stdin, never
# as files in the daemons' directories.
. "$(dirname "$0")/lib.sh"
it_setup privacy
partner gem-pv municipality_debt 17291
partner ins-pv health_insurer 17292
partner wat-pv water 17293
partner team-pv municipality_team 17294
partner vt-pv veilig_thuis 17295
partner gp-pv professional 17296
# keys only, for peer_tool: a landlord that bypasses its daemon's checks
partner corp-pv landlord 17297
trust_all
for p in gem-pv ins-pv wat-pv team-pv vt-pv gp-pv; do start $p; done

# Fixture residents: fictional, and distinctive so that a hit is real.
SECRETS=(Zwanenburg-Quist Ooievaarsplein Quistwoude "9904 QX" 9904QX
	1961-07-14 123456782 0612345678 zwanenburg.fixture@example.nl
	Vlaskamp-Oudendijk Reigersbos 1983-11-02 "06 9876 5432"
	oudendijk.fixture@example.nl "Fixture description of Oudendijk")
ctl ins-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	arrears_kind=health_insurance amount_cents=31200 arrears_since=2026-06-01 \
	contact_attempt_date=2026-09-01 reminder_date=2026-09-15 urgency=termination \
	creditor_contact="premie desk" initials=M. surname=Zwanenburg-Quist \
	street=Ooievaarsplein house_number=7 postcode="9904 QX" place=Quistwoude \
	birth_date=1961-07-14 bsn=123456782 phone=0612345678 \
	email=zwanenburg.fixture@example.nl >/dev/null
ctl wat-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	arrears_kind=water amount_cents=8800 arrears_since=2026-07-01 \
	contact_attempt_date=2026-09-02 reminder_date=2026-09-20 urgency=none \
	creditor_contact="debiteuren" surname=Vlaskamp-Oudendijk street=Reigersbos \
	house_number=3 postcode="9904 QX" place=Quistwoude birth_date=1983-11-02 \
	phone="06 9876 5432" email=oudendijk.fixture@example.nl >/dev/null
ctl team-pv send --type meldcode_report --to vt-pv legal_basis=meldrecht \
	concern_category=domestic_violence urgency=acute steps_taken=1,2,3,4 \
	reporter_role=wijkteam justification=acute_unsafety \
	surname=Vlaskamp-Oudendijk house_number=3 postcode="9904 QX" \
	person2.surname=Zwanenburg-Quist person2.house_number=7 person2.postcode="9904 QX" \
	description="Fixture description of Oudendijk" reporter_contact="wijkteam desk" >/dev/null
ref=$(printf 'surname=Zwanenburg-Quist\npostcode=9904 QX\nhouse_number=7\nbirth_date=1961-07-14\n' |
	ctl gp-pv consent grant --to team-pv --purpose debts | awk '{print $2}')
ctl gp-pv send --type referral --to team-pv legal_basis=consent consent_ref="$ref" \
	purpose=debts surname=Zwanenburg-Quist \
	house_number=7 postcode="9904 QX" birth_date=1961-07-14 \
	phone=0612345678 email=zwanenburg.fixture@example.nl >/dev/null
# A referral's purpose is a word of a list: one that names the resident is
# refused (and the name not repeated, as below), not sent in clear.
ctl gp-pv send --type referral --to team-pv legal_basis=consent consent_ref="$ref" \
	purpose="Mw. Zwanenburg-Quist bellen" surname=Zwanenburg-Quist \
	house_number=7 postcode="9904 QX" birth_date=1961-07-14 >/dev/null 2>>"$WORK/refusals.txt"
# A refused signal must not leak the refused value either.
ctl ins-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	surname=Zwanenburg-Quist postcode="9904 QXX" >/dev/null 2>&1
# Data in the wrong place: a resident's name in a CSV file's column "to",
# as an argument without '=', as a field name in JSON (of a field name's
# form, and with a value seinctl refuses), as a consent identifier's name
# and on the wrong side of an audit subject's line. Each is refused, and
# neither the answer on standard error (kept in $WORK, so searched below)
# nor the refused entry in the audit log repeats it.
WRONG=(Zwanenburg-Quist-Misplaced quistmisplaced quistkeyonly oudendijkmisplaced)
INPUTS=$(mktemp -d /tmp/seinhuis-inputs.XXXXXX)
REVEALED=$(mktemp -d /tmp/seinhuis-revealed.XXXXXX)
trap 'rm -rf "$REVEALED" "$INPUTS"; it_cleanup' EXIT
{
	echo "to;legal_basis;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;surname;house_number;postcode"
	echo "${WRONG[0]};legal_duty;water;100;2026-07-01;2026-09-02;2026-09-20;none;desk;Vlaskamp-Oudendijk;3;9904 QX"
} >"$INPUTS/rows.csv"
ctl wat-pv import "$INPUTS/rows.csv" --type arrears >/dev/null 2>>"$WORK/refusals.txt"
ctl wat-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	"${WRONG[0]}" >/dev/null 2>>"$WORK/refusals.txt"
printf '{"legal_basis": "legal_duty", "arrears_kind": "water", "%s": "x"}\n' \
	"${WRONG[1]}" >"$INPUTS/named.json"
ctl wat-pv send --type arrears --to gem-pv --file "$INPUTS/named.json" \
	>/dev/null 2>>"$WORK/refusals.txt"
printf '{"legal_basis": "legal_duty", "%s": true}\n' "${WRONG[2]}" >"$INPUTS/bool.json"
ctl wat-pv send --type arrears --to gem-pv --file "$INPUTS/bool.json" \
	>/dev/null 2>>"$WORK/refusals.txt"
printf 'surname=Vlaskamp\n%s=1\n' "${WRONG[3]}" |
	ctl gp-pv consent grant --to team-pv --purpose debts >/dev/null 2>>"$WORK/refusals.txt"
printf '%s=surname\n' "${WRONG[0]}" |
	ctl gem-pv audit subject >/dev/null 2>>"$WORK/refusals.txt"
# A text field that travels unsealed names a desk or a step, not the
# resident: the signal's own surname, street, phone number, e-mail address
# in creditor_contact, and what has the shape of a resident's data in a
# Veilig Thuis notice's next_step, are refused at the sender, naming the
# field and the kind of value, never the value; nothing is stored or sent.
ctl ins-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	arrears_kind=health_insurance amount_cents=31200 arrears_since=2026-06-01 \
	contact_attempt_date=2026-09-01 reminder_date=2026-09-15 urgency=termination \
	creditor_contact="huurder mw. Zwanenburg-Quist, Ooievaarsplein 7, tel 0612345678, zwanenburg.fixture@example.nl" \
	initials=M. surname=Zwanenburg-Quist street=Ooievaarsplein house_number=7 \
	postcode="9904 QX" place=Quistwoude birth_date=1961-07-14 bsn=123456782 \
	phone=0612345678 email=zwanenburg.fixture@example.nl >/dev/null 2>>"$WORK/refusals.txt"
ctl ins-pv send --type arrears --to gem-pv legal_basis=legal_duty \
	arrears_kind=health_insurance amount_cents=31200 arrears_since=2026-06-01 \
	contact_attempt_date=2026-09-01 reminder_date=2026-09-15 urgency=termination \
	creditor_contact="premie desk" creditor_reference="geb. 14-7-1961" \
	surname=Zwanenburg-Quist street=Ooievaarsplein house_number=7 \
	postcode="9904 QX" place=Quistwoude birth_date=1961-07-14 >/dev/null 2>>"$WORK/refusals.txt"
check "nothing of the refused arrears is in the sender's outbox" \
	[ "$(ctl ins-pv --json outbox | jq length)" = 1 ]
check "the meldcode report reached Veilig Thuis" wait_until 15 bash -c "[ \$(status_field vt-pv inbox_depth) = 1 ]"
rid=$(inbox_ids vt-pv | head -1)
for next in "huisbezoek bij mw. Zwanenburg-Quist, Ooievaarsplein 7, geb. 14 juli 1961, BSN 123456782" \
	"huisbezoek bij mw. Zwanenburg-Quist, geb. 14 juli 1961" "huisbezoek bij mw. Zwanenburg-Quist"; do
	ctl vt-pv send --type vt_notice --to team-pv legal_basis=legal_task report_id="$rid" \
		status=received contact_point="VT advice line" next_step="$next" \
		>/dev/null 2>>"$WORK/refusals.txt"
done
check "nothing of the refused notices is in Veilig Thuis's outbox" \
	[ "$(ctl vt-pv --json outbox | jq length)" = 0 ]
# A landlord that bypasses its daemon sends the resident's surname in
# creditor_contact: the recipient, with the sealed part opened, refuses it
# (quarantined, as for the other rules) and does not deliver it.
out=$(as_user "$PEER_TOOL" "$WORK/corp-pv/keys" "$WORK/gem-pv/keys/card" clear-surname)
check "recipient: a signed signal naming its resident in creditor_contact is rejected PERSONAL_DATA" \
	grep -q "REJECTED PERSONAL_DATA" <<<"$out"
check "... the refusal names the field and the kind of value, not the value" bash -c \
	"grep -q \"refused: PERSONAL_DATA (field 'creditor_contact': holds the resident's surname\" '$WORK/gem-pv.log' &&
	 ! grep -q Testpersoon '$WORK/gem-pv.log' &&
	 ctl gem-pv --json quarantine list | json_has 'any(.[]; .rule==\"PERSONAL_DATA\")' &&
	 ! ctl gem-pv --json quarantine list | grep -q Testpersoon &&
	 ! ctl gem-pv audit export --format jsonl | grep -q Testpersoon"
for rule in "PERSONAL_DATA: field 'creditor_contact': holds the resident's surname" \
	"PERSONAL_DATA: field 'creditor_reference': holds the resident's birth date" \
	"PERSONAL_DATA: field 'next_step': holds a BSN" \
	"PERSONAL_DATA: field 'next_step': holds a date of birth" \
	"PERSONAL_DATA: field 'next_step': holds a person's name" \
	"UNTRUSTED: the recipient given" "argument 2 after the options" \
	"FIELD_UNKNOWN: field '#3'" "its field #2 must be" \
	"FIELD_UNKNOWN: field '#2'" "stdin line 1: the name before" \
	"FIELD_ENUM: field 'purpose': must be one of"; do
	check "refused, and said: $rule" grep -q -F -- "$rule" "$WORK/refusals.txt"
done
check "everything delivered" wait_until 15 bash -c \
	"[ \$(status_field gem-pv inbox_depth) = 2 -a \$(status_field vt-pv inbox_depth) = 1 -a \$(status_field team-pv inbox_depth) = 1 ]"
# A reveal's reason is kept for ever: one that names the resident whose
# data it opens (here in lower case) is refused, naming the rule, not the
# value, and nothing is revealed or recorded.
for id in $(inbox_ids gem-pv); do
	ctl gem-pv inbox reveal "$id" --reason "bellen met zwanenburg-quist en vlaskamp-oudendijk over de schuld" \
		>>"$REVEALED/refused.txt" 2>>"$WORK/refusals.txt"
done
check "reveal: a reason naming the signal's own resident is refused PERSONAL_DATA, for each signal" \
	[ "$(grep -c "PERSONAL_DATA: --reason: it holds the resident's surname of the signal revealed" "$WORK/refusals.txt")" = 2 ]
check "... nothing was revealed or recorded as revealed" bash -c \
	"[ ! -s '$REVEALED/refused.txt' ] && ctl gem-pv --json audit list --event revealed | json_has 'length == 0'"
check "... each refusal recorded (access_denied, PERSONAL_DATA), without the reason" bash -c \
	"ctl gem-pv --json audit list --event access_denied | json_has '[.[] | select(.rule == \"PERSONAL_DATA\" and (.detail | test(\"reason held the resident.s surname\")))] | length == 2' &&
	 ! ctl gem-pv audit export | grep -qi zwanenburg"

# Listings are files the daemons' users produce: keep them for the search.
for p in gem-pv ins-pv wat-pv team-pv vt-pv gp-pv; do
	ctl $p --json inbox list >"$WORK/$p.inbox.json"
	ctl $p --json outbox >"$WORK/$p.outbox.json"
	ctl $p --json status >"$WORK/$p.status.json"
	ctl $p --json quarantine list >"$WORK/$p.quarantine.json"
	ctl $p --json consent list >"$WORK/$p.consent.json"
	for id in $(inbox_ids $p); do ctl $p --json inbox show "$id"; done >"$WORK/$p.show.json"
	ctl $p audit export --format jsonl >"$WORK/$p.audit.jsonl"
	ctl $p audit export --format csv >"$WORK/$p.audit.csv"
done
# What a caseworker reveals goes elsewhere: it is meant to hold them.
for p in gem-pv vt-pv team-pv; do
	for id in $(inbox_ids $p); do
		ctl $p inbox reveal "$id" --reason "privacy test" >>"$REVEALED/$p.txt" 2>&1
	done
done
check "audit exports were written" [ -s "$WORK/gem-pv.audit.jsonl" -a -s "$WORK/gem-pv.audit.csv" ]

# Data typed into an argument: a name or a BSN as an unknown option, a
# command, a case prefix, an age, a partner; and a field name of the
# right form, not one any signal knows, whose JSON value holds a NUL.
# Each is refused saying which rule was broken, never repeating what was
# given (the answers are kept in $WORK/args.txt, searched below too).
ECHOED=(Quistoption 111222333 Quistcommand quistnulkey Quistpartner)
args_refused() { # args_refused "rule text" command... : refused, saying so
	local rule=$1 rc=0 out
	shift
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$WORK/args.txt"
	check "refused ($rc), naming no argument: ${rule:0:60}" bash -c \
		'[ "$1" != 0 ] && grep -q -F -- "$2" <<<"$3" && ! grep -q -e Quist -e quist -e 111222333 <<<"$3"' \
		_ "$rc" "$rule" "$out"
}
args_refused "send: an option is not known or lacks its argument (not repeated" \
	ctl gem-pv send --type arrears --to gem-pv --surname=Quistoption
args_refused "send: an option is not known or lacks its argument" \
	ctl gem-pv send --type arrears --to gem-pv -Q 111222333
args_refused "option --type needs a value" ctl gem-pv send --type
args_refused "option --json takes no value" ctl gem-pv --json=111222333 status
args_refused "an option is not known" ctl gem-pv audit list --bsn=111222333
args_refused "an option is not known" ctl gem-pv export --format json --surname=Quistoption
args_refused "the command given is not known" ctl gem-pv Quistcommand
args_refused "the command given is not known" ctl gem-pv 111222333
args_refused "refused: NOT_FOUND: the case prefix given: no case in the inbox or the case records starts so" ctl gem-pv case show 111222333
args_refused "--pending-warn: the value given is not an age" ctl gem-pv check --pending-warn 111222333
args_refused "the partner given (--partner) is not in the trust store" \
	ctl gem-pv recover --since 2026-01-01 --partner 111222333
args_refused "the partner given (--partner) is not in the trust store" \
	ctl gem-pv recover --since 2026-01-01 --partner quistpartner
printf '{"legal_basis": "legal_duty", "%s": "a\\u0000b"}\n' "${ECHOED[3]}" >"$INPUTS/nul.json"
args_refused "the value of its field #2 holds a NUL character" \
	ctl wat-pv send --type arrears --to gem-pv --file "$INPUTS/nul.json"
printf '{"legal_basis": "legal_duty", "surname": "a\\u0000b"}\n' >"$INPUTS/nulknown.json"
check "... a field some signal knows is named" bash -c \
	"'$SEINCTL' -s '$WORK/wat-pv/control.sock' send --type arrears --to gem-pv --file '$INPUTS/nulknown.json' 2>&1 | grep -q \"field #2 ('surname') holds a NUL\""
args_refused "seinkey: the command given is not known" "$SEINKEY" Quistcommand
args_refused "seinkey: an option is not known" "$SEINKEY" --bsn=111222333 list
args_refused "seinkey: --overlap: the value given is not" \
	"$SEINKEY" rotate --dir "$WORK/gem-pv/keys" --overlap 111222333
args_refused "the partner given has no card in the trust store" \
	"$SEINKEY" revoke --trustdir "$WORK/gem-pv/trust" 111222333
args_refused "the partner given is not a partner id" \
	"$SEINKEY" revoke --trustdir "$WORK/gem-pv/trust" Quistpartner
args_refused "seinhuisd: an option is not known" "$SEINHUISD" --surname=Quistoption

# A partner's refusal is kept in our words: its rule, and the field it
# names if a signal knows it; never its free text, which may repeat the
# value (here a name and a BSN). peer_tool answers as gem-pv, refusing.
stop gem-pv
REFUSED=(Quistrefused 999888777)
reject_one() { # reject_one RULE DETAIL CREDITOR_REFERENCE
	PEER_WAIT_MS=15000 PEER_REJECT_RULE=$1 PEER_REJECT_DETAIL=$2 as_user "$PEER_TOOL" \
		"$WORK/gem-pv/keys" "$WORK/ins-pv/keys/card" receive-reject >"$WORK/receiver.out" 2>&1 &
	local rpid=$! rrc=0
	wait_until 10 grep -q LISTENING "$WORK/receiver.out"
	ctl ins-pv send --type arrears --to gem-pv legal_basis=legal_duty \
		arrears_kind=health_insurance amount_cents=100 arrears_since=2026-06-01 \
		contact_attempt_date=2026-09-01 reminder_date=2026-09-15 urgency=none \
		creditor_contact="premie desk" creditor_reference="$3" surname=Zwanenburg-Quist \
		street=Ooievaarsplein house_number=7 postcode="9904 QX" place=Quistwoude >/dev/null
	wait "$rpid" || rrc=$?
	check "peer_tool refused the signal ($rrc)" grep -q '^REJECTED 1' "$WORK/receiver.out"
}
reject_one FIELD_VALUE "field 'surname': value '${REFUSED[0]}' not in our register (BSN ${REFUSED[1]})" REJ1
reject_one NOT_OURS "field 'quistrefused': ${REFUSED[0]} ${REFUSED[1]} unknown" REJ2
check "both refusals settled: failed" wait_until 10 bash -c \
	"[ \$(ctl ins-pv --json outbox --state failed | jq length) = 2 ]"
ctl ins-pv --json outbox --state failed >"$WORK/ins-pv.failed.json"
ctl ins-pv outbox --state failed >"$WORK/ins-pv.failed.txt"
ctl ins-pv --json audit list --event receipt >"$WORK/ins-pv.receipts.json"
ctl ins-pv audit export --format jsonl >"$WORK/ins-pv.audit2.jsonl"
ctl ins-pv audit export --format csv >"$WORK/ins-pv.audit2.csv"
check "outbox: the rule and the field a signal knows, in our words" json_has \
	'any(.[]; .rule == "FIELD_VALUE" and .detail == "field '"'"'surname'"'"': the field value does not have the required form")' \
	<"$WORK/ins-pv.failed.json"
check "outbox: a rule not ours is UNKNOWN, its field (no signal knows it) not named" json_has \
	'any(.[]; .rule == "UNKNOWN" and (.detail | test("rule this daemon does not know")) and (.detail | test("field") | not))' \
	<"$WORK/ins-pv.failed.json"
check "audit receipts: rejected, FIELD_VALUE with the field, and UNKNOWN" json_has \
	'any(.[]; .outcome == "rejected" and .rule == "FIELD_VALUE" and (.detail | test("^field .surname.: the field value"))) and any(.[]; .outcome == "rejected" and .rule == "UNKNOWN")' \
	<"$WORK/ins-pv.receipts.json"
for f in ins-pv.failed.json ins-pv.failed.txt ins-pv.receipts.json ins-pv.audit2.jsonl ins-pv.audit2.csv ins-pv.log; do
	check "$f keeps none of the partner's text" bash -c \
		"! grep -q -e '${REFUSED[0]}' -e '${REFUSED[1]}' -e 'not in our register' -e quistrefused '$WORK/$f'"
done
for p in ins-pv wat-pv team-pv vt-pv gp-pv; do stop $p; done
files=$(find "$WORK" -type f | wc -l)
check "the daemons wrote LMDB stores and logs to search ($files files)" \
	[ -s "$WORK/gem-pv/data/data.mdb" -a -s "$WORK/gem-pv.log" ]
for secret in "${SECRETS[@]}" "${WRONG[@]}" "${ECHOED[@]}" "${REFUSED[@]}"; do
	hits=$(grep -r -a -F -l -- "$secret" "$WORK" || true)
	check "'${secret:0:4}...' appears in no file the daemons wrote" [ -z "$hits" ]
	[ -n "$hits" ] && echo "$hits"
done
# The same search over what caseworkers revealed finds every value: the
# data is there, sealed, for those entitled to it.
# (9904QX is searched above as a normalised form that must never leak; a
# reveal shows the postcode as it was sent, 9904 QX.)
AS_SENT=()
for secret in "${SECRETS[@]}"; do [ "$secret" = 9904QX ] || AS_SENT+=("$secret"); done
found=0
for secret in "${AS_SENT[@]}"; do
	if grep -r -a -F -q -- "$secret" "$REVEALED"; then
		found=$((found + 1))
	else
		echo "not revealed: ${secret:0:4}..."
	fi
done
check "the same search on the revealed output finds all ${#AS_SENT[@]} values" [ $found = ${#AS_SENT[@]} ]
it_done
