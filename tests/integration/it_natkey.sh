#!/usr/bin/env bash
# The natural key (catalogue natural_key) on import: a row counts as sent
# before only for the same resident, and a row sent before whose content
# has changed since (its urgency raised to eviction) is reported, by row
# number, signal id and field names, never by value.
. "$(dirname "$0")/lib.sh"
it_setup natkey
PARTNER_MUNIS=0363 partner gem-nk municipality_debt 17981
printf 'postcode;gemeentecode\n1011;0363\n' | as_user tee "$WORK/postcodes.csv" >/dev/null
partner corp-nk landlord 17982 "postcode_table = $WORK/postcodes.csv"
trust_all
start gem-nk && start corp-nk || { it_done; exit 1; }
IN=$(mktemp -d /tmp/seinhuis-natkey-in.XXXXXX)
trap 'rm -rf "$IN"; it_cleanup' EXIT
hdr="creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;initials;surname;street;house_number;postcode;place"
imp() { # imp FILE: seinctl's output (both streams); its exit status in $rc
	rc=0
	out=$(ctl corp-nk import "$1" --type arrears --set legal_basis=legal_duty 2>&1) || rc=$?
	echo "$out (exit $rc)"
}

# A. Two residents at one address (rooms let separately), the same kind and
# start date, no creditor reference: two signals.
{
	echo "$hdr"
	echo ";rent;45000;2026-08-01;2026-09-01;2026-09-15;none;desk;J.;Jansen;Gracht;301;1011 AA;Amsterdam"
	echo ";rent;38000;2026-08-01;2026-09-01;2026-09-15;none;desk;P.;Pietersen;Gracht;301;1011 AA;Amsterdam"
} >"$IN/two.csv"
imp "$IN/two.csv"
check "two residents at one address, no reference: 2 rows, 2 accepted" \
	grep -q "2 rows: 2 accepted, 0 refused, 0 skipped" <<<"$out"
check "  both arrive" wait_until 10 bash -c "[ \$(inbox_ids gem-nk | wc -l) = 2 ]"
imp "$IN/two.csv"
check "the file again: both skipped as sent before" \
	grep -q "2 rows: 0 accepted, 0 refused, 2 skipped" <<<"$out"
{
	echo "$hdr"
	echo ";rent;45000;2026-08-01;2026-09-01;2026-09-15;none;desk;J.;JANSEN;Gracht;301;1011aa;Amsterdam"
	echo ";rent;45000;2026-08-01;2026-09-01;2026-09-15;none;desk;K.;de Vries;Gracht;301;1011 AA;Amsterdam"
} >"$IN/two-again.csv"
imp "$IN/two-again.csv"
check "the first resident written another way is skipped, a third one at the address is sent" \
	grep -q "2 rows: 1 accepted, 0 refused, 1 skipped" <<<"$out"
check "  3 in the inbox, each once" wait_until 10 bash -c \
	"[ \$(inbox_ids gem-nk | sort -u | wc -l) = 3 -a \$(inbox_ids gem-nk | wc -l) = 3 ]"

# B. A row sent before, corrected since: skipped, and reported.
u1() { # u1 URGENCY [AMOUNT]
	echo "U1;rent;${2:-52000};2026-07-01;2026-08-01;2026-08-15;$1;desk;A.;Bakker;Kade;7;1011 AB;Amsterdam"
}
{ echo "$hdr"; u1 none; } >"$IN/month1.csv"
imp "$IN/month1.csv"
check "row U1 with urgency none: accepted" grep -q "1 rows: 1 accepted, 0 refused, 0 skipped" <<<"$out"
u1id=$(ctl corp-nk --json outbox --limit 1000 | jq -r 'max_by(.created_ms) | .message_id')
imp "$IN/month1.csv"
check "  the same row again: skipped, nothing differs, exit 0" bash -c \
	"[ $rc = 0 ] && grep -q '1 rows: 0 accepted, 0 refused, 1 skipped (sent before)\$' <<<\"\$0\"" "$out"
{ echo "$hdr"; u1 eviction; } >"$IN/month1-evict.csv"
imp "$IN/month1-evict.csv"
check "U1 raised to eviction: skipped, counted as differing" \
	grep -q "1 rows: 0 accepted, 0 refused, 1 skipped (sent before), of which 1 differs" <<<"$out"
check "  listed by row and the id sent before, naming the field urgency" \
	grep -q "row 2: sent before as $u1id, but differs from what was sent in: urgency" <<<"$out"
check "  seinctl exits 4" [ "$rc" = 4 ]
check "  no value echoed" bash -c "! grep -q -e eviction -e Bakker -e 52000 -e U1 <<<\"\$0\"" "$out"
{ echo "$hdr"; u1 eviction 61000; u1 none; } >"$IN/month2.csv"
imp "$IN/month2.csv"
check "U1 with eviction and a grown amount, and unchanged: 2 skipped, 1 differs, in amount_cents and urgency" bash -c \
	"grep -q '2 rows: 0 accepted, 0 refused, 2 skipped (sent before), of which 1 differs' <<<\"\$0\" &&
	 grep -q 'row 2: sent before as $u1id, but differs from what was sent in: amount_cents, urgency' <<<\"\$0\" &&
	 ! grep -q 'row 3:' <<<\"\$0\"" "$out"
out=$(ctl corp-nk --json import "$IN/month1-evict.csv" --type arrears --set legal_basis=legal_duty 2>/dev/null)
check "--json: the summary counts it: $out" bash -c "jq -e '.skipped == 1 and .differs == 1' >/dev/null <<<\"\$0\"" "$out"
check "the corporation's log and audit log name no value" bash -c \
	"! grep -q -e eviction -e Bakker -e Pietersen '$WORK/corp-nk.log' &&
	 ! ctl corp-nk --json audit list | grep -q -e eviction -e Bakker -e Pietersen"
# The store's form boundaries (meta natkey_form2, natkey_form3): every key
# this build put is of form 3, so after restarts none may lie below either
# boundary, or the sender would hash and look up the forms of earlier
# builds for every signal again.
u64_of() { # u64_of DUMP NAME: the 8-byte value of meta entry NAME, in decimal
	local k
	k=$(printf %s "$2" | od -An -tx1 | tr -d ' \n')
	awk -v k="$k" 'f && /^ / { if (n++ % 2 == 0) { key = $1 } else if (key == k) { print $1 } }
		/^HEADER=END/ { f = 1 }' <<<"$1" | head -1 | { read -r h && echo $((16#$h)); }
}
for _ in 1 2; do
	stop corp-nk
	start corp-nk || { it_done; exit 1; }
done
stop corp-nk
meta=$(mdb_dump -s meta "$WORK/corp-nk/data")
first=$(mdb_dump -s natkeys "$WORK/corp-nk/data" | awk 'f && /^ / { print $1; exit } /^HEADER=END/ { f = 1 }')
first=$((16#$first))
f2=$(u64_of "$meta" natkey_form2)
f3=$(u64_of "$meta" natkey_form3)
check "after two restarts the first key (sequence $first) lies at or past natkey_form2 ($f2) and natkey_form3 ($f3)" \
	bash -c "[ -n '$f2' ] && [ -n '$f3' ] && [ $first -ge '$f2' ] && [ $first -ge '$f3' ]"
start corp-nk || { it_done; exit 1; }
imp "$IN/two.csv"
check "  and the first file is still skipped as sent before" \
	grep -q "2 rows: 0 accepted, 0 refused, 2 skipped" <<<"$out"
it_done
