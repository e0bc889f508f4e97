#!/usr/bin/env bash
# Whom a signal is for, checked again at the recipient once its sealed
# part is open. A debt-help team with a postcode table works out the
# resident's municipality from the first person's postcode and refuses
# (ROUTE, rejected back to the sender, nothing kept: no inbox entry, no
# quarantine) a resident of a municipality its card does not list, and a
# municipality_code the postcode contradicts. Its log and audit name the
# codes, never the postcode. A team without a table keeps checking the
# municipality_code alone. And a required text that is only blank (spaces,
# U+00A0, U+200B) counts as missing; an optional one is refused.
. "$(dirname "$0")/lib.sh"
it_setup route
printf 'postcode;gemeentecode\n9901WA;GM0005\n1234AB;0363\n' |
	as_user tee "$WORK/pc.csv" >/dev/null
PARTNER_MUNIS=0363 partner gem-rt municipality_debt 17381 "postcode_table = $WORK/pc.csv"
PARTNER_MUNIS=0384 partner gemn-rt municipality_debt 17382
partner corp-rt landlord 17383
trust_all
start gem-rt
start gemn-rt
start corp-rt

base=(legal_basis=legal_duty arrears_kind=rent amount_cents=12345
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01
	reminder_date=2026-10-15 urgency=none creditor_contact=desk
	surname=Jansen street=Kade house_number=5 place=Stad)
# send_to TO ARGS...: the base signal with ARGS from the landlord (which
# has no postcode table); its message id
send_to() {
	local to=$1 out
	shift
	out=$(ctl corp-rt send --type arrears --to "$to" "${base[@]}" "$@") || return 1
	echo "${out#accepted }"
}
failed_route() { # failed_route ID: failed at the sender with rule ROUTE
	wait_until 15 bash -c "ctl corp-rt --json outbox --state failed | json_has '.[] | select(.message_id==\"$1\" and .rule==\"ROUTE\")'"
}
export -f failed_route

id1=$(send_to gem-rt "postcode=9901 WA")
check "a landlord without a table sends a resident of 0005 to the team of 0363: accepted there" [ ${#id1} = 32 ]
check "... the team, by its postcode table, refuses it: failed with ROUTE at the sender" failed_route "$id1"
id2=$(send_to gem-rt "postcode=9901 WA" municipality_code=0363 creditor_reference=R2)
check "the same with a false municipality_code 0363: failed with ROUTE" failed_route "$id2"
id3=$(send_to gem-rt "postcode=1234 AB" creditor_reference=R3)
check "a resident of 0363 is delivered" wait_until 15 bash -c "inbox_ids gem-rt | grep -qx $id3"
id4=$(send_to gem-rt "postcode=1234 AB" municipality_code=0384 creditor_reference=R4 2>&1) || :
check "a municipality_code the team does not serve is refused by the sender (it has the card)" \
	bash -c "[ ${#id4} != 32 ]"
check "nothing refused is in the team's inbox" bash -c "[ \"\$(inbox_ids gem-rt)\" = $id3 ]"
check "... nor in its quarantine: nothing of it is kept" \
	bash -c "ctl gem-rt --json quarantine list | json_has 'length == 0'"
check "the team's log names the rule and the codes" bash -c \
	"grep -q 'signal $id1 refused: ROUTE (the resident.s municipality (by the postcode table) 0005 is not one this daemon serves (0363))' $WORK/gem-rt.log &&
	 grep -q 'signal $id2 refused: ROUTE (municipality_code 0363 is not the municipality the postcode lies in by this daemon.s postcode table (0005))' $WORK/gem-rt.log"
check "... and neither its log nor its audit shows the postcode" bash -c \
	"! grep -qiE '9901 ?WA' $WORK/gem-rt.log && ! ctl gem-rt --json audit list | grep -qiE '9901 ?WA'"
check "the refusals are audited as received, rejected with rule ROUTE" bash -c \
	"for i in $id1 $id2; do ctl gem-rt --json audit list --id \$i | json_has 'any(.[]; .event == \"received\" and .outcome == \"rejected\" and .rule == \"ROUTE\")' || exit 1; done"
# Without a table at the recipient: the municipality_code alone, as before.
id5=$(send_to gemn-rt "postcode=9901 WA" creditor_reference=R5)
check "a team without a table takes a signal without municipality_code (it cannot tell)" \
	wait_until 15 bash -c "inbox_ids gemn-rt | grep -qx $id5"

# Blank values: the sender refuses them, naming the field, never the value.
blank() { # blank RULE FIELD NAME=VALUE: the base signal with NAME's value replaced
	local rule=$1 field=$2 change=$3 args=() f out rc=0
	for f in "${base[@]}"; do
		[[ $f == "${change%%=*}="* ]] && continue
		args+=("$f")
	done
	out=$(ctl corp-rt send --type arrears --to gem-rt "${args[@]}" "postcode=1234 AB" "$change" 2>&1) || rc=$?
	[ $rc = 1 ] && grep -q "$rule: field '$field'" <<<"$out"
}
nbsp=$(printf '\xc2\xa0')
zwsp=$(printf '\xe2\x80\x8b')
check "a creditor_contact of one space is missing" blank FIELD_MISSING creditor_contact "creditor_contact= "
check "a street of U+00A0 is missing" blank FIELD_MISSING street "street=$nbsp"
check "a place of U+200B is missing" blank FIELD_MISSING place "place=$zwsp"
check "an optional creditor_reference of spaces is refused as blank" blank FIELD_FORMAT creditor_reference "creditor_reference=  "
check "... the refusal says blank" bash -c \
	"ctl corp-rt send --type arrears --to gem-rt ${base[*]@Q} 'postcode=1234 AB' 'creditor_reference=  ' 2>&1 | grep -q 'blank'"
check "none of them was sent" bash -c "[ \"\$(inbox_ids gem-rt)\" = $id3 ]"
it_done
