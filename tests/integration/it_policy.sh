#!/usr/bin/env bash
# The catalogue is enforced on both sides. The sender refuses a signal that
# breaks it, naming field and rule and never the value. A sender whose own
# catalogue is laxer (misconfigured, or older) gets past its own check; the
# recipient then quarantines the signal, answers with a negative receipt,
# and the sender's outbox shows why it failed.
. "$(dirname "$0")/lib.sh"
it_setup policy
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
# The landlord's catalogue wrongly allows it to send a birth date, any
# kind of arrears, and any urgency with any kind (an older catalogue).
sed -e 's/^field birth_date = optional personal date past only water health_insurer$/field birth_date = optional personal date past/' \
	-e '/^rule arrears_kind one_of .* when sender = landlord$/d' \
	-e '/^rule arrears_kind one_of .* when urgency = /d' \
	"$CATALOGUE" | as_user tee "$WORK/lax.conf" >/dev/null
grep -q '^rule arrears_kind one_of .* when sender = landlord$' "$CATALOGUE" &&
	! grep -q 'when sender = landlord$' "$WORK/lax.conf" || fail "test catalogue without the landlord's kinds"
grep -q '^rule arrears_kind one_of rent when urgency = eviction$' "$CATALOGUE" &&
	! grep -q 'when urgency = ' "$WORK/lax.conf" || fail "test catalogue without the urgency per kind"
partner gem-pl municipality_debt 17261
partner corp-pl landlord 17262 "catalogue = $WORK/lax.conf"
partner vt-pl veilig_thuis 17263
partner nrg-pl energy 17264
trust_all
start gem-pl
start corp-pl
start vt-pl
start nrg-pl

base=(legal_basis=legal_duty arrears_kind=rent amount_cents=12345
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01
	reminder_date=2026-10-15 urgency=none creditor_contact=desk
	surname=Jansen street=Kade house_number=5 "postcode=1234 AB" place=Stad)
# refused RULE FIELD SECRET [NAME=VALUE]: send the base signal with field
# NAME replaced by VALUE (or dropped when VALUE is "-"), expect RULE for
# FIELD, and check that SECRET does not appear in what comes back.
refused() {
	local rule=$1 field=$2 secret=$3 change=${4:-} args=() f out rc=0
	for f in "${base[@]}"; do
		[ -n "$change" ] && [[ $f == "${change%%=*}="* ]] && continue
		args+=("$f")
	done
	[ -n "$change" ] && [ "${change#*=}" != - ] && args+=("$change")
	out=$(ctl corp-pl send --type arrears --to gem-pl "${args[@]}" 2>&1) || rc=$?
	[ $rc = 1 ] && grep -q "$rule: field '$field'" <<<"$out" &&
		! grep -qF -- "$secret" <<<"$out"
}
check "sender refuses a missing required field" refused FIELD_MISSING surname "-" surname=-
check "sender refuses an amount out of range, without echoing it" \
	refused FIELD_RANGE amount_cents 999999999999 amount_cents=999999999999
check "sender refuses a bad postcode, without echoing it" \
	refused FIELD_FORMAT postcode "12X4 QQ" "postcode=12X4 QQ"
check "sender refuses an unknown arrears kind" refused FIELD_ENUM arrears_kind lottery arrears_kind=lottery
check "sender refuses a BSN from a landlord" refused FIELD_ROLE bsn 111222333 bsn=111222333
check "sender refuses a date in the future" refused FIELD_FUTURE arrears_since 2099-01-01 arrears_since=2099-01-01
check "sender refuses a wrong legal basis" refused LEGAL_BASIS legal_basis XYZ legal_basis=consent
check "sender refuses a signal type its role may not send" bash -c \
	"ctl corp-pl send --type vt_notice --to gem-pl legal_basis=legal_task 2>&1 | grep -q SENDER_ROLE"
check "sender refuses a recipient whose role may not receive it" bash -c \
	"ctl corp-pl send --type arrears --to vt-pl ${base[*]@Q} 2>&1 | grep -q RECIPIENT_ROLE"
out=$(ctl nrg-pl send --type arrears --to gem-pl "${base[@]}" 2>&1) || :
check "sender refuses another creditor's kind of arrears (rent from an energy supplier), naming the kinds it may send" \
	grep -q "CONDITION: field 'arrears_kind': must be one of electricity,gas,heat,end_of_supply,municipal_tax,mortgage when sender is energy" <<<"$out"
# What is announced follows from the kind (DOMAIN.md 1): eviction for rent,
# disconnection for energy and water, termination of the insurance for its
# premium.
gas=("${base[@]/#arrears_kind=*/arrears_kind=gas}")
out=$(ctl nrg-pl send --type arrears --to gem-pl "${gas[@]/#urgency=*/urgency=eviction}" 2>&1) || :
check "sender refuses gas arrears announcing eviction, naming the rule and the kinds, not the resident: $out" bash -c \
	"grep -q \"CONDITION: field 'arrears_kind': must be one of rent when urgency is eviction\" <<<\"\$0\" && ! grep -q -e Jansen -e '1234 AB' <<<\"\$0\"" "$out"
out=$(ctl nrg-pl send --type arrears --to gem-pl "${gas[@]/#urgency=*/urgency=termination}" 2>&1) || :
check "... and gas arrears announcing termination of the insurance" \
	grep -q "CONDITION: field 'arrears_kind': must be one of health_insurance when urgency is termination" <<<"$out"
check "nothing refused reached the recipient" [ -z "$(inbox_ids gem-pl)" ]

# The lax sender accepts a birth date; the recipient's catalogue forbids it.
out=$(ctl corp-pl send --type arrears --to gem-pl "${base[@]}" birth_date=1980-02-03)
id=${out#accepted }
check "the lax sender accepts what the catalogue forbids" [ ${#id} = 32 ]
check "the recipient refuses it: the sender's outbox shows failed with the rule" \
	wait_until 15 bash -c "ctl corp-pl --json outbox --state failed | json_has '.[] | select(.message_id==\"$id\" and .rule==\"FIELD_ROLE\")'"
check "it is in the recipient's quarantine with rule and field" \
	bash -c "ctl gem-pl --json quarantine list | json_has '.[] | select(.message_id==\"$id\" and .rule==\"FIELD_ROLE\" and (.detail|test(\"birth_date\")))'"
check "it is not in the recipient's inbox" [ -z "$(inbox_ids gem-pl)" ]
check "the quarantine shows no personal value" bash -c "! ctl gem-pl --json quarantine list | grep -q 1980-02-03"
check "the refusal is logged without the value" bash -c "grep -q FIELD_ROLE $WORK/gem-pl.log && ! grep -q 1980-02-03 $WORK/gem-pl.log"
# warns ID WHAT TEXT: seinctl check at ID exits 1 (WARNING) with TEXT
warns() {
	local rc=0 out
	out=$(ctl "$1" check 2>&1) || rc=$?
	check "$2 ($rc)" bash -c "[ $rc = 1 ] && grep -q -- \"\$1\" <<<\"\$0\"" "$out" "$3"
}
warns corp-pl "seinctl check at the sender: WARNING (exit 1), a signal refused by its recipient" \
	'a signal was refused by its recipient at .* (1 failed in all): see seinctl outbox --state failed'
warns gem-pl "seinctl check at the recipient: WARNING (exit 1), a signal in quarantine" \
	"a partner's signal was put in quarantine at .*: see seinctl quarantine list"
stop corp-pl
stop gem-pl
start corp-pl
start gem-pl
warns corp-pl "... still WARNING after a restart of the sender" 'a signal was refused by its recipient at '
warns gem-pl "... and of the recipient" "a partner's signal was put in quarantine at "
# The lax landlord accepts electricity arrears; the recipient, checking
# against the role on the landlord's card, does not.
out=$(ctl corp-pl send --type arrears --to gem-pl "${base[@]/arrears_kind=rent/arrears_kind=electricity}")
eid=${out#accepted }
check "the recipient refuses a landlord's electricity arrears: failed with CONDITION at the sender" \
	wait_until 15 bash -c "ctl corp-pl --json outbox --state failed | json_has '.[] | select(.message_id==\"$eid\" and .rule==\"CONDITION\")'"

# A trusted peer that bypasses its daemon: what breaks the catalogue, or
# carries a field the schema does not know, is quarantined, not dropped.
out=$(as_user "$PEER_TOOL" "$WORK/corp-pl/keys" "$WORK/gem-pl/keys/card" policy)
check "a signal without a required field is rejected FIELD_MISSING" grep -q "REJECTED FIELD_MISSING" <<<"$out"
out=$(as_user "$PEER_TOOL" "$WORK/corp-pl/keys" "$WORK/gem-pl/keys/card" unknown-field)
check "a signed signal with an unknown field is rejected FIELD_UNKNOWN" grep -q "REJECTED FIELD_UNKNOWN" <<<"$out"
check "four signals in quarantine now" [ "$(ctl gem-pl --json quarantine list | jq length)" = 4 ]
check "... the unknown field's refusal names the part and the field number" bash -c \
	"ctl gem-pl --json quarantine list | json_has 'any(.[]; .rule==\"FIELD_UNKNOWN\" and (.detail | test(\"the signal carries field number 99, which this daemon does not know\")))'"
# A NUL inside a text field: the text before it passes every check, and
# protobuf-c would give only that to them while the envelope kept the rest.
out=$(as_user "$PEER_TOOL" "$WORK/corp-pl/keys" "$WORK/gem-pl/keys/card" text-nul)
check "a signed signal with a NUL inside a text field is rejected FIELD_FORMAT" \
	grep -q "REJECTED FIELD_FORMAT" <<<"$out"
check "... the refusal names the field" \
	grep -q "refused: FIELD_FORMAT (field 'creditor_contact' holds a NUL byte)" "$WORK/gem-pl.log"
check "... and not delivered" [ "$(inbox_ids gem-pl | wc -l)" = 0 ]
# An administrator (here root: roles are off) removes a quarantined signal;
# the removal is audited with user and role.
nq=$(ctl gem-pl --json quarantine list | jq length)
out=$(ctl gem-pl quarantine remove "$id" 2>&1)
check "quarantine remove: the signal is removed ($out)" bash -c \
	"[ '$out' = 'removed $id' ] && ctl gem-pl --json quarantine list | json_has 'length == $((nq - 1)) and all(.[]; .message_id != \"$id\")'"
check "... audited as quarantined, outcome removed, with user and role" bash -c \
	"ctl gem-pl --json audit list --event quarantined --id $id | json_has 'map(select(.outcome == \"removed\")) | length == 1 and .[0].user == \"root\" and .[0].role == \"maintenance\" and .[0].partner == \"corp-pl\" and .[0].type == \"arrears\"'"
rc=0
out=$(ctl gem-pl quarantine remove "$id" 2>&1) || rc=$?
check "removing it again: NOT_FOUND (exit $rc)" bash -c "[ $rc = 1 ] && grep -q 'refused: NOT_FOUND: no signal $id in quarantine' <<<\"\$0\"" "$out"
rc=0
out=$(ctl gem-pl quarantine remove xyz 2>&1) || rc=$?
check "a message id that is not 32 hex digits: USAGE (exit $rc)" bash -c "[ $rc = 1 ] && grep -q 'refused: USAGE: a message id is 32 hex digits' <<<\"\$0\"" "$out"
# And a good one still goes through.
ctl corp-pl send --type arrears --to gem-pl "${base[@]}" >/dev/null
check "a valid signal next to them is delivered" wait_until 10 bash -c "[ \"\$(inbox_ids gem-pl | wc -l)\" = 1 ]"
check "the inbox entry has a case key" bash -c "ctl gem-pl --json inbox list | json_has '.[0].case_key | length == 64'"

# Urgency and kind, from a file and an import: the refused item is named by
# its place, the others go.
arrears_json 3 gem-pl 7 | jq '.[0].arrears_kind = "gas" | .[0].urgency = "disconnection"
	| .[1].arrears_kind = "gas" | .[1].urgency = "eviction"
	| .[2].arrears_kind = "electricity" | .[2].urgency = "none"' | as_user tee "$WORK/urgency.json" >/dev/null
out=$(ctl nrg-pl send --file "$WORK/urgency.json" 2>&1) || :
check "send --file: the second signal refused by number, the others accepted: $out" bash -c \
	"grep -q \"^signal 2 refused: CONDITION: field 'arrears_kind': must be one of rent when urgency is eviction\" <<<\"\$0\" &&
	 [ \"\$(grep -c '^accepted ' <<<\"\$0\")\" = 2 ] && ! grep -q Fictief <<<\"\$0\"" "$out"
{
	echo "creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;surname;street;house_number;postcode;place"
	echo "U-1;heat;1000;2026-09-01;2026-10-01;2026-10-15;disconnection;desk;Smit;Laan;1;1234 AB;Stad"
	echo "U-2;heat;1000;2026-09-01;2026-10-01;2026-10-15;termination;desk;Smit;Laan;2;1234 AB;Stad"
} | as_user tee "$WORK/urgency.csv" >/dev/null
out=$(ctl nrg-pl import "$WORK/urgency.csv" --type arrears --to gem-pl --set legal_basis=legal_duty 2>&1) || :
check "import: row 3 refused, naming its column and rule, row 2 sent: $(tail -1 <<<"$out")" bash -c \
	"grep -q \"^row 3, column 2: CONDITION: field 'arrears_kind': must be one of health_insurance when urgency is termination\" <<<\"\$0\" &&
	 grep -q '2 rows: 1 accepted, 1 refused' <<<\"\$0\" && ! grep -q Smit <<<\"\$0\"" "$out"
# A sender whose older catalogue lets any urgency go with any kind: the
# recipient refuses a landlord's rent arrears announcing disconnection.
late=("${base[@]/#urgency=*/urgency=disconnection}")
out=$(ctl corp-pl send --type arrears --to gem-pl "${late[@]/#house_number=*/house_number=6}")
uid=${out#accepted }
check "the recipient refuses rent arrears announcing disconnection: failed with CONDITION at the sender" \
	wait_until 15 bash -c "ctl corp-pl --json outbox --state failed | json_has '.[] | select(.message_id==\"$uid\" and .rule==\"CONDITION\")'"
check "... quarantined at the recipient naming the rule, not the resident" bash -c \
	"ctl gem-pl --json quarantine list | json_has '.[] | select(.message_id==\"$uid\" and .rule==\"CONDITION\" and (.detail|test(\"urgency is disconnection\")))' &&
	 ! ctl gem-pl --json quarantine list | grep -q Jansen"
it_done
