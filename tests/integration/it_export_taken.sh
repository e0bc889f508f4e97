#!/usr/bin/env bash
# export: a case whose signals were all taken (inbox ack) keeps its owner
# and steps (case show lists them), and the export holds it too, as a case
# without signals, whole or with --case; --excel writes the CSV as a
# spreadsheet set up for Dutch reads it.
. "$(dirname "$0")/lib.sh"
it_setup export_taken
partner gem-xt municipality_debt 17681
partner corp-xt landlord 17682
trust_all
for p in gem-xt corp-xt; do start $p; done
ctl corp-xt send --type arrears --to gem-xt arrears_kind=rent amount_cents=45000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=H-1 creditor_contact="incasso desk" \
	legal_basis=legal_duty initials=J. surname=Fictief street=Proefweg \
	house_number=12 postcode="9999 ZZ" place=Waterdam >/dev/null
check "delivered" wait_until 20 bash -c "[ \$(inbox_ids gem-xt | wc -l) = 1 ]"
case=$(ctl gem-xt --json inbox | jq -r '.[0].case_key')
ctl gem-xt claim "$case" >/dev/null
ctl gem-xt case step "$case" in_conversation >/dev/null
ctl gem-xt inbox ack "$(inbox_ids gem-xt)" >/dev/null
check "case show still lists owner and step" bash -c \
	"ctl gem-xt --json case show $case | json_has '(.steps | length) == 1'"
check "export --case (JSON) holds the case with its step" bash -c \
	"ctl gem-xt export --format json --case $case | json_has 'length == 1 and (.[0].steps | length) == 1'"
check "export (CSV) has a row for it: owner and latest step" bash -c \
	"ctl gem-xt export --format csv | grep -q '^\"$case\",\"[^\"]*\",\"in_conversation\"'"
# --excel: what a spreadsheet set up for Dutch reads on opening the file:
# ';' between cells and a UTF-8 byte order mark first
ctl gem-xt export --format csv --excel >"$WORK/excel.csv"
check "export --excel: a byte order mark, then the header split on ';'" bash -c \
	"head -c 3 '$WORK/excel.csv' | od -An -tx1 | grep -q 'ef bb bf' && head -n 1 '$WORK/excel.csv' | grep -q '\"case_key\";\"owner\";\"step\";'"
check "  and the case's row split on ';' too" grep -q "^\"$case\";\"[^\"]*\";\"in_conversation\";" "$WORK/excel.csv"
check "  without --excel: commas, no byte order mark" bash -c \
	"ctl gem-xt export --format csv | head -n 1 | grep -q '^\"case_key\",\"owner\",'"
rc=0
ctl gem-xt export --format json --excel >/dev/null 2>"$WORK/t.err" || rc=$?
check "  --excel with JSON is bad usage (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'excel goes with --format csv' '$WORK/t.err'"
for p in gem-xt corp-xt; do stop $p; done
it_done
