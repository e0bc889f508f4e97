#!/usr/bin/env bash
# A two-daemon exchange with both daemons under valgrind: no invalid
# access, no uninitialised use, no leak. valgrind's exit code (99 on any
# error or definite/indirect leak) is the daemon's exit code after SIGTERM.
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null; then
	echo "valgrind is not installed: skipped"
	exit 77
fi
it_setup valgrind
WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
--track-origins=yes --log-file=$WORK/valgrind.%p.log"
partner gem-vg municipality_debt 17251
partner corp-vg landlord 17252
# the Veilig Thuis loop, started at the end
partner school-vg professional 17253
partner vt-vg veilig_thuis 17254
trust_all
start gem-vg
start corp-vg

for n in $(seq 1 20); do send_arrears corp-vg gem-vg "$n" >/dev/null; done
check "20 signals delivered under valgrind" \
	wait_until 60 bash -c "[ \"\$(inbox_ids gem-vg | wc -l)\" = 20 ]"
first=$(inbox_ids gem-vg | head -n 1)
check "show and ack work under valgrind" bash -c \
	"ctl gem-vg inbox show $first >/dev/null && ctl gem-vg inbox ack $first >/dev/null"
check "refusals work under valgrind" bash -c \
	"! ctl corp-vg send --type arrears --to gem-vg nonsense=1 2>/dev/null"
ctl corp-vg status >/dev/null
ctl corp-vg outbox >/dev/null
second=$(inbox_ids gem-vg | head -n 1)
check "the audit log works under valgrind" bash -c \
	"ctl gem-vg inbox reveal $second --reason 'check under valgrind' >/dev/null &&
	 ctl gem-vg audit head >$WORK/head.json && ctl gem-vg audit verify >/dev/null &&
	 ctl gem-vg audit prove --index 3 >/dev/null && ctl gem-vg audit prove --old-size 2 >/dev/null &&
	 ctl gem-vg audit list --case-key \$(ctl gem-vg --json audit list --event delivered | jq -r '.[0].case_key') >/dev/null &&
	 printf 'surname=Testpersoon1\npostcode=1234 AB\nhouse_number=1\n' | ctl gem-vg audit subject >/dev/null &&
	 ctl gem-vg report >/dev/null && ctl corp-vg report --csv >/dev/null"
check "refused audit requests work under valgrind" bash -c \
	"! ctl gem-vg audit prove --index 100000 2>/dev/null && ! ctl gem-vg inbox reveal $second --reason x 2>/dev/null"
# A bulk import: windows of requests, prepared by the helper thread and
# committed by the event loop (with a bad row and a repeated one); then the
# same file again, all skipped (the helper looks rows up in a snapshot).
{
	echo "creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;initials;surname;street;house_number;postcode;place"
	for n in $(seq 1 30); do
		echo "VG$n;rent;$((20000 + n));2026-09-01;2026-10-01;2026-10-15;none;desk;T.;Testpersoon$n;Teststraat;$((100 + n));1234 AB;Teststad"
	done
	echo "VG5;rent;20005;2026-09-01;2026-10-01;2026-10-15;none;desk;T.;Testpersoon5;Teststraat;105;1234 AB;Teststad"
	echo "VG31;rent;999999999999;2026-09-01;2026-10-01;2026-10-15;none;desk;T.;Testpersoon31;Teststraat;131;1234 AB;Teststad"
} | as_user tee "$WORK/bulk.csv" >/dev/null
check "a bulk import works under valgrind: 30 accepted, 1 refused, 1 skipped" bash -c \
	"ctl corp-vg import $WORK/bulk.csv --type arrears --to gem-vg --set legal_basis=legal_duty 2>&1 | grep -q '32 rows: 30 accepted, 1 refused, 1 skipped'"
check "  and again: all 31 good rows skipped" bash -c \
	"ctl corp-vg import $WORK/bulk.csv --type arrears --to gem-vg --set legal_basis=legal_duty 2>&1 | grep -q '32 rows: 0 accepted, 1 refused, 31 skipped'"
check "  the helper thread did the preparing" grep -q "control: a helper thread prepares bulk requests" "$WORK/corp-vg.log"
check "  the 30 arrive" wait_until 60 bash -c "[ \"\$(inbox_ids gem-vg | wc -l)\" = 49 ]"
ctl corp-vg audit export --format csv >/dev/null
# The debt-help team's cases: a claim, steps with the statistics details,
# a refused step, the case shown and the national statistics' figures.
K=$(ctl gem-vg --json inbox | jq -r '.[0].case_key')
check "cases work under valgrind: claim, steps, show, monitor" bash -c \
	"ctl gem-vg case claim $K >/dev/null &&
	 ctl gem-vg case step $K contact_attempted --how phone --reached no --crisis >/dev/null &&
	 ctl gem-vg case step $K in_conversation --warm-handover >/dev/null &&
	 ctl gem-vg --json case show $K | jq -e '.steps | length == 2' >/dev/null &&
	 ctl gem-vg case monitor | grep -q '^attempts    1 contact' &&
	 ctl gem-vg case monitor --format csv --attempts | grep -q '\"phone\",\"no\"'"
check "  a step with an unknown word is refused under valgrind (exit 1, CASE_STEP)" bash -c \
	"out=\$(ctl gem-vg case step $K contact_attempted --how pigeon 2>&1); [ \$? = 1 ] && grep -q 'refused: CASE_STEP' <<<\"\$out\""
# A meldcode report and Veilig Thuis's notices: compared with the report
# in its inbox, then (taken) with its print; the reporter's copy opened.
stop corp-vg && pass "sender: valgrind reports no errors or leaks" ||
	fail "sender: valgrind errors (see $WORK/valgrind.*.log)"
start school-vg
start vt-vg
out=$(meldcode_send school-vg vt-vg)
rid=${out#accepted }
check "a meldcode report delivered under valgrind" wait_until 60 bash -c "inbox_ids vt-vg | grep -qx $rid"
vt_notice() { ctl vt-vg send --type vt_notice --to school-vg legal_basis=legal_task report_id="$rid" contact_point=desk "$@" 2>&1; }
export -f vt_notice
export rid
check "notices compared with the report, then with its print, under valgrind" bash -c \
	"vt_notice status=received next_step='bel fictief' | grep -q PERSONAL_DATA &&
	 vt_notice status=received | grep -q '^accepted ' &&
	 ctl vt-vg inbox ack $rid >/dev/null &&
	 vt_notice status=closed next_step='dossier Fictief' | grep -q PERSONAL_DATA &&
	 vt_notice status=closed | grep -q '^accepted '"
check "  the reporter takes both notices" wait_until 60 bash -c "[ \"\$(inbox_ids school-vg | wc -l)\" = 2 ]"
stop vt-vg && pass "Veilig Thuis: valgrind reports no errors or leaks" ||
	fail "Veilig Thuis: valgrind errors (see $WORK/valgrind.*.log)"
stop school-vg && pass "reporter: valgrind reports no errors or leaks" ||
	fail "reporter: valgrind errors (see $WORK/valgrind.*.log)"
stop gem-vg && pass "recipient: valgrind reports no errors or leaks" ||
	fail "recipient: valgrind errors (see $WORK/valgrind.*.log)"
cat "$WORK"/valgrind.*.log 2>/dev/null | head -n 60
it_done
