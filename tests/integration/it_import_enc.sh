#!/usr/bin/env bash
# The encodings of an import, row by row: in a UTF-8 export, a row with a
# stray Windows-1252 byte is converted alone and the UTF-8 rows around it
# arrive unchanged; a row that is text in neither encoding (a byte
# Windows-1252 does not define, a NUL) is refused alone, by its row and the
# rule CSV_ENCODING, without its value. Surnames beyond Latin-1 and
# Latin Extended-A (Romanian comma below) and names written decomposed
# (NFD) are accepted, the NFD name with the same pseudonym as its
# precomposed form; a surname that cannot be folded is refused saying why.
# And a JSON value with an embedded NUL is refused, not cut short.
. "$(dirname "$0")/lib.sh"
it_setup import_enc
partner gem-enc municipality_debt 18021
partner corp-enc landlord 18022
trust_all
start gem-enc
start corp-enc

IN=$(mktemp -d /tmp/seinhuis-import-enc-in.XXXXXX) # inputs live apart
trap 'rm -rf "$IN"; it_cleanup' EXIT
hdr="creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;initials;surname;street;house_number;postcode;place"
row() { # row REF CONTACT SURNAME HOUSE (printf format: \x escapes)
	printf '%s;rent;45000;2026-08-01;2026-09-01;2026-09-15;none;%s;J.;%s;Gracht;%s;3011 CC;Stad\n' "$1" "$2" "$3" "$4"
}
{
	echo "$hdr"
	row E1 "desk Zo$(printf '\xc3\xab')" "M$(printf '\xc3\xbc')ller" 1       # UTF-8
	row E2 "caf$(printf '\xe9')" "Dupr$(printf '\xe9')" 2                    # Windows-1252
	row E3 desk "Geheim$(printf '\x81')naam" 3                               # neither
	row E4 desk "Verborgen" 4 | sed 's/Verborgen/Verbor\x00gen/'             # a NUL
	row E5 desk "$(printf '\xc8\x98tef\xc4\x83nescu')" 5                     # Ș U+0218
	row E6 desk "$(printf 'Mu\xcc\x88ller')" 1                               # NFD of E1's
	row E7 "desk Zo$(printf '\xc3\xab')" Jansen 7
} >"$IN/mixed.csv"
check "the file holds a NUL byte and both encodings" bash -c \
	"[ \$(tr -cd '\\000' <'$IN/mixed.csv' | wc -c) = 1 ] && grep -q \$'\\xe9' '$IN/mixed.csv' && grep -q \$'\\xc3\\xab' '$IN/mixed.csv'"
rc=0
out=$(ctl corp-enc import "$IN/mixed.csv" --type arrears --to gem-enc --set legal_basis=legal_duty 2>&1) || rc=$?
echo "$out"
check "a mixed file: 7 rows, 5 accepted, 2 refused (exit $rc)" bash -c \
	"[ $rc = 1 ] && grep -q '7 rows: 5 accepted, 2 refused, 0 skipped' <<<\"\$0\"" "$out"
check "it is read as UTF-8 with one row converted" \
	grep -q "mixed.csv: UTF-8, 1 row Windows-1252 (converted, listed at the end), separator ';'" <<<"$out"
check "the converted row is named by its number" \
	grep -q "mixed.csv: 1 row read as Windows-1252 (converted), the others as UTF-8: row 3$" <<<"$out"
check "a byte in neither encoding: its row refused by number and rule" \
	grep -q "row 4, column -: CSV_ENCODING: line 4: not UTF-8 and not Windows-1252: column 10 holds byte 0x81" <<<"$out"
check "a NUL byte: its row refused by number and rule" \
	grep -q "row 5, column -: CSV_ENCODING: line 5: not UTF-8 and not Windows-1252: the record holds a NUL byte" <<<"$out"
check "no refused value is echoed" bash -c "! grep -q -e Geheim -e naam -e Verbor -e gen <<<\"\$0\"" "$out"
check "the 5 good rows arrive" wait_until 10 bash -c "[ \$(inbox_ids gem-enc | wc -l) = 5 ]"

ctl gem-enc --json inbox list --limit 100 >"$IN/list.json"
id_of() { jq -r --arg r "$1" '.[] | select(.fields.creditor_reference == $r) | .message_id' "$IN/list.json"; }
contact() { # contact REF: the clear field creditor_contact as shown
	ctl gem-enc --json inbox show "$(id_of "$1")" | jq -r '.fields.creditor_contact // empty'
}
reveal() { # reveal REF FIELD: a sealed field as the recipient reads it
	ctl gem-enc --json inbox reveal "$(id_of "$1")" --reason "encoding test" | jq -r ".personal.$2 // empty"
}
check "every good row arrived, the refused ones not" bash -c \
	"[ \"\$(jq -r '[.[].fields.creditor_reference] | sort | join(\",\")' '$IN/list.json')\" = E1,E2,E5,E6,E7 ]"
check "a UTF-8 row's contact arrives unchanged" [ "$(contact E1)" = "desk Zo$(printf '\xc3\xab')" ]
check "  and its sealed surname" [ "$(reveal E1 surname)" = "M$(printf '\xc3\xbc')ller" ]
check "  and the last row's contact" [ "$(contact E7)" = "desk Zo$(printf '\xc3\xab')" ]
check "the Windows-1252 row's fields arrive converted" [ "$(contact E2)" = "caf$(printf '\xc3\xa9')" ]
check "  its sealed surname too" [ "$(reveal E2 surname)" = "Dupr$(printf '\xc3\xa9')" ]
check "the surname Ștefănescu is accepted and arrives as sent" \
	[ "$(reveal E5 surname)" = "$(printf '\xc8\x98tef\xc4\x83nescu')" ]
check "an NFD Müller is accepted and arrives as sent" [ "$(reveal E6 surname)" = "$(printf 'Mu\xcc\x88ller')" ]
subj() { ctl gem-enc --json inbox show "$(id_of "$1")" | jq -r .subject; }
check "the NFD and NFC Müller at one address have one pseudonym" bash -c \
	"[ -n \"\$0\" ] && [ \"\$0\" = \"\$1\" ] && [ \"\$0\" != \"\$2\" ]" "$(subj E1)" "$(subj E6)" "$(subj E7)"

# A surname that cannot be folded: the refusal says why, not what.
rc=0
out=$(ctl corp-enc send --type arrears --to gem-enc legal_basis=legal_duty arrears_kind=rent \
	amount_cents=100 arrears_since=2026-07-01 contact_attempt_date=2026-09-01 \
	reminder_date=2026-09-10 urgency=none creditor_contact=desk \
	surname="$(printf '\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2')" \
	street=Gracht house_number=9 postcode="3011 CC" place=Stad 2>&1) || rc=$?
check "a Cyrillic surname: FIELD_VALUE naming what is wrong: $out" bash -c \
	"[ $rc = 1 ] && grep -q \"refused: FIELD_VALUE: field 'surname': the surname holds a character that is not a letter of the Latin alphabet\" <<<\"\$0\"" "$out"
check "  without the value" bash -c "! grep -q \$'\\xd0' <<<\"\$0\"" "$out"

# send --file: a value with an embedded NUL is refused, not sent cut short.
cat >"$IN/nul.json" <<'JSON'
{"type": "arrears", "to": "gem-enc", "legal_basis": "legal_duty", "arrears_kind": "rent",
 "amount_cents": 100, "arrears_since": "2026-07-01", "contact_attempt_date": "2026-09-01",
 "reminder_date": "2026-09-10", "urgency": "none", "creditor_contact": "desk",
 "creditor_reference": "NUL\u0000-hidden-tail", "surname": "Jansen", "street": "Gracht",
 "house_number": "10", "postcode": "3011 CC", "place": "Stad"}
JSON
before=$(inbox_ids gem-enc | wc -l)
rc=0
out=$(ctl corp-enc send --file "$IN/nul.json" 2>&1) || rc=$?
check "a JSON value holding \\u0000 is refused, naming the field and the rule (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && grep -q \"signal 1 refused: FIELD_FORMAT: item 1: the value of its field #11 ('creditor_reference') holds a NUL character\" <<<\"\$0\"" "$out"
check "  without the value" bash -c "! grep -q -e hidden -e tail <<<\"\$0\"" "$out"
sleep 1
check "  and nothing is sent" [ "$(inbox_ids gem-enc | wc -l)" = "$before" ]

# A malformed item among good ones is refused alone; the others are sent.
good='{"type": "arrears", "to": "gem-enc", "legal_basis": "legal_duty", "arrears_kind": "rent",
 "amount_cents": 100, "arrears_since": "2026-07-01", "contact_attempt_date": "2026-09-01",
 "reminder_date": "2026-09-10", "urgency": "none", "creditor_contact": "desk",
 "creditor_reference": "MIX-%s", "surname": "Jansen", "street": "Gracht",
 "house_number": "%s", "postcode": "3011 CC", "place": "Stad"}'
{
	printf '['
	# shellcheck disable=SC2059
	printf "$good," A 11
	printf '"not an object", {"type": "arrears", "amount_cents": [1]},'
	# shellcheck disable=SC2059
	printf "$good" B 12
	printf ']\n'
} >"$IN/mixed.json"
rc=0
out=$(ctl corp-enc --json send --file "$IN/mixed.json" 2>&1) || rc=$?
check "send --file: two malformed items among four are refused alone, the rest sent (exit $rc): $out" bash -c \
	"[ $rc = 1 ] && jq -e 'length == 4 and .[0].ok and .[3].ok and (.[1].ok | not) and .[1].rule == \"FIELD_FORMAT\" and (.[1].error | test(\"expected a JSON object\")) and .[2].rule == \"FIELD_FORMAT\" and (.[2].error | test(\"field #2 must be a string or an integer\"))' <<<\"\$0\" >/dev/null" "$out"
check "  and both good ones arrive" wait_until 15 bash -c "[ \$(inbox_ids gem-enc | wc -l) = $((before + 2)) ]"
# A file saved from the spreadsheet in another format is refused saying
# what it is (an .xlsx is a ZIP archive, Excel's "Unicode text" UTF-16,
# a tab-delimited text file has no ';' nor ','), not as a header row with
# a carriage return or a NUL in it, nor as "row 1 is not a header".
printf 'PK\003\004\024\000\010\000\010\000\r\000' >"$IN/book.xlsx"
{ echo "$hdr"; row X1 desk Jansen 21; } | tr ';' '\t' >"$IN/tab.txt"
{ echo "$hdr"; row X2 desk Jansen 22; } | iconv -f utf-8 -t utf-16 >"$IN/u16.txt"
for f in book.xlsx:"a ZIP archive, as an Excel workbook (.xlsx)" \
	tab.txt:"the header row is separated by tabs" \
	u16.txt:"UTF-16 text, as Excel's \"Unicode text\" is"; do
	rc=0
	out=$(ctl corp-enc import "$IN/${f%%:*}" --type arrears --to gem-enc --set legal_basis=legal_duty 2>&1) || rc=$?
	check "${f%%:*}: refused as a whole, saying what the file is (exit $rc): $out" bash -c \
		"[ $rc = 1 ] && grep -qF \"refused, no row sent: CSV: line 1: \" <<<\"\$0\" && grep -qF \"\$1\" <<<\"\$0\"" "$out" "${f#*:}"
done

# A spreadsheet's empty row above the header is skipped as one below it.
{ echo ';;;;;;;;;;;;;'; echo "$hdr"; row X3 desk Jansen 23; } >"$IN/emptyfirst.csv"
rc=0
out=$(ctl corp-enc import "$IN/emptyfirst.csv" --type arrears --to gem-enc --set legal_basis=legal_duty 2>&1) || rc=$?
check "an empty row above the header is skipped, the row below sent (exit $rc): $out" bash -c \
	"[ $rc = 0 ] && grep -q '1 rows: 1 accepted, 0 refused' <<<\"\$0\" && grep -q '1 empty row skipped' <<<\"\$0\"" "$out"

# A quoted cell may hold a line break; inbox show indents the lines after
# the first, so that none reads as a field of its own.
{
	echo "$hdr"
	printf '%s\n' 'X4;rent;45000;2026-08-01;2026-09-01;2026-09-15;none;"desk' \
		'urgency              eviction";J.;Jansen;Gracht;24;3011 CC;Stad'
} >"$IN/twolines.csv"
ctl corp-enc import "$IN/twolines.csv" --type arrears --to gem-enc --set legal_basis=legal_duty >/dev/null 2>&1
wait_until 15 bash -c "ctl gem-enc --json inbox list --limit 1000 | jq -e 'any(.[]; .fields.creditor_reference == \"X4\")'"
id=$(ctl gem-enc --json inbox list --limit 1000 | jq -r '.[] | select(.fields.creditor_reference == "X4") | .message_id')
out=$(ctl gem-enc inbox show "$id" 2>&1)
check "inbox show: a value's second line is indented, not a field of its own: $out" bash -c \
	"[ \$(grep -c '^urgency ' <<<\"\$0\") = 1 ] && grep -q '^urgency  *none' <<<\"\$0\" && grep -q '^ \{21\}urgency  *eviction' <<<\"\$0\"" "$out"

# A listing that stops at its limit says so: the count printed is not the
# inbox's (there are more than 2 signals waiting here).
rc=0
out=$(ctl gem-enc inbox list --limit 2 2>&1 >/dev/null) || rc=$?
check "inbox list --limit 2 says that it stops at its limit (exit $rc): $out" bash -c \
	"[ $rc = 0 ] && grep -q 'inbox list: the listing stops at 2 signals (its limit)' <<<\"\$0\"" "$out"
out=$(ctl gem-enc inbox list --limit 1000 2>&1 >/dev/null)
check "  and says nothing when all are listed: $out" [ -z "$out" ]
it_done
