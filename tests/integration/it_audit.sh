#!/usr/bin/env bash
# The audit log with real daemons: every event of an exchange is recorded
# without personal data; list, export, subject and report give what the
# test itself did; tree heads and proofs verify and forged ones do not;
# and a log altered in the LMDB file (a byte changed, an entry deleted,
# two entries swapped) fails `audit verify`, which names the first bad
# entry (for a changed entry that still decodes: the first of the at most
# 16 entries one stored hash covers, the problem naming them all), while
# the untouched log verifies.
. "$(dirname "$0")/lib.sh"
it_setup audit
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
AUDIT_TAMPER=${AUDIT_TAMPER:-$(dirname "$0")/../../build/tests/integration/audit_tamper}
partner gem-au municipality_debt 17601 "audit_head_interval = 1"
partner corp-au landlord 17602 "audit_head_interval = 1"
partner stranger-au energy 17603
trust gem-au corp-au
trust corp-au gem-au
trust stranger-au gem-au # gem-au does not trust stranger-au
start gem-au
start corp-au

alist() { ctl "$1" --json audit list --limit 100000 "${@:2}"; }
count() { alist "$@" | jq length; }
export -f alist count

# --- what the test does, and counts itself -------------------------------
SENT=6 REFUSED_AT_SUBMISSION=1 TAKE=4 REVEAL=2
for n in $(seq 1 $SENT); do send_arrears corp-au gem-au "$n" >/dev/null; done
ctl corp-au send --type arrears --to gem-au legal_basis=legal_duty colour=blue 2>/dev/null
check "all $SENT signals delivered" \
	wait_until 20 bash -c "[ \$(inbox_ids gem-au | wc -l) = $SENT ]"
probe() { as_user "$PEER_TOOL" "$WORK/corp-au/keys" "$WORK/gem-au/keys/card" "$1"; }
check "a tampered signature is refused by gem-au" \
	grep -q "REJECTED SIGNATURE" <<<"$(probe bad-signature)"
check "a signal for another partner is refused by gem-au" \
	grep -q "REJECTED RECIPIENT" <<<"$(probe wrong-recipient)"
replay=$(probe replay)
replay_id=$(awk '$1=="SENT"{print $2}' <<<"$replay")
check "a replayed signal is delivered once, then a duplicate" \
	grep -q "RECEIPT $replay_id DUPLICATE" <<<"$replay"
DELIVERED=$((SENT + 1))
mapfile -t ids < <(inbox_ids gem-au)
for i in $(seq 0 $((REVEAL - 1))); do
	ctl gem-au inbox reveal "${ids[$i]}" --reason "contact the resident about debt help" >/dev/null
done
for i in $(seq 0 $((TAKE - 1))); do
	sleep 0.$((RANDOM % 4 + 1))
	ctl gem-au inbox ack "${ids[$i]}" >/dev/null
done
check "the sender's outbox is settled" \
	wait_until 20 bash -c "[ \$(outbox_ids corp-au delivered | wc -l) = $SENT ]"

# --- every event recorded -------------------------------------------------
check "start-up recorded: configuration, own keys, trust store" bash -c \
	"[ \$(count gem-au --event config_loaded) -ge 1 -a \$(count gem-au --event key_changed) -ge 1 \
	   -a \$(count gem-au --event trust_added) = 1 -a \$(count gem-au --event trust_loaded) -ge 1 ]"
check "sender: $SENT accepted by root (maintenance), $REFUSED_AT_SUBMISSION refused with its rule" bash -c \
	"[ \$(count corp-au --event accepted) = $SENT -a \
	   \$(count corp-au --event refused) = $REFUSED_AT_SUBMISSION -a \
	   \$(alist corp-au --event accepted | jq '[.[]|select(.user==\"root\" and .role==\"maintenance\")]|length') = $SENT -a \
	   \$(alist corp-au --event refused | jq -r '.[0].rule') = FIELD_UNKNOWN ]"
# The accepted entry is made from what the submit built (no second opening
# of the seal): it carries the same pseudonym as the entry made from the
# stored signal when it was sent, the case key and the legal basis.
check "sender: each accepted entry has pseudonym, case key and legal basis, the pseudonym as sent" bash -c \
	"[ \$(alist corp-au --event accepted | jq '[.[]|select((.subject|length)==64 and (.case_key|length)==64 and .legal_basis==\"legal_duty\")]|length') = $SENT -a \
	   \$(jq -n --argjson a \"\$(alist corp-au --event accepted)\" --argjson s \"\$(alist corp-au --event sent)\" \
	     '[\$a[] as \$x | \$s[] | select(.message_id == \$x.message_id and .subject == \$x.subject)]|length') = $SENT ]"
check "sender: $SENT sent and $SENT receipts, delivered" bash -c \
	"[ \$(count corp-au --event sent) = $SENT -a \
	   \$(alist corp-au --event receipt | jq '[.[]|select(.outcome==\"delivered\")]|length') = $SENT ]"
check "recipient: $DELIVERED delivered with pseudonym and case key" bash -c \
	"[ \$(alist gem-au --event delivered | jq '[.[]|select((.subject|length)==64 and (.case_key|length)==64 and .legal_basis==\"legal_duty\")]|length') = $DELIVERED ]"
check "recipient: rejections with their rules (SIGNATURE, RECIPIENT)" bash -c \
	"[ \"\$(alist gem-au --event rejected | jq -r '[.[].rule]|sort|join(\",\")')\" = RECIPIENT,SIGNATURE ]"
check "recipient: the replay is recorded as a duplicate arrival" bash -c \
	"[ \$(alist gem-au --event received --id $replay_id | jq -r '[.[].outcome]|join(\",\")') = delivered,duplicate ]"
check "recipient: $TAKE taken, $REVEAL revealed with reason and role" bash -c \
	"[ \$(count gem-au --event taken) = $TAKE -a \
	   \$(alist gem-au --event revealed | jq '[.[]|select(.reason==\"contact the resident about debt help\" and .role==\"maintenance\")]|length') = $REVEAL ]"
check "the revealed entry names the fields shown, not their values" bash -c \
	"alist gem-au --event revealed | jq -r '.[0].detail' | grep -qx 'initials,surname,street,house_number,postcode,place'"
# The same case key for the same resident, whoever sent it: the replayed
# signal is about peer_tool's fixed test resident, the others each about
# their own.
check "case keys: one per resident" bash -c \
	"[ \$(alist gem-au --event delivered | jq '[.[].case_key]|unique|length') = $DELIVERED ]"

# --- no personal data: not in the log, the export, nor the LMDB file -----
ctl gem-au audit export >"$WORK/gem.jsonl"
ctl corp-au audit export >"$WORK/corp.jsonl"
check "no personal value in the audit export or the daemon logs" bash -c \
	"! grep -qiE 'Testpersoon|1234 ?AB|Teststad' $WORK/gem.jsonl $WORK/corp.jsonl $WORK/gem-au.log $WORK/corp-au.log"

# --- queries ---------------------------------------------------------------
total=$(wc -l <"$WORK/gem.jsonl")
check "export as JSON lines holds every entry ($total)" \
	[ "$(count gem-au)" = "$total" ]
check "export as CSV: a header and one line per entry" \
	[ "$(ctl gem-au audit export --format csv | wc -l)" = $((total + 1)) ]
check "filter by partner and type" \
	[ "$(count gem-au --partner corp-au --type arrears --event delivered)" = $DELIVERED ]
# (a copy sent again after a slow receipt, as under valgrind, adds a
# duplicate arrival to a history by id, and to the history by case key,
# which takes in the whole history of each signal it finds: left out here)
check "filter by message id gives that signal's history" bash -c \
	"[ \"\$(alist gem-au --id ${ids[0]} | jq -r '[.[]|select(.outcome!=\"duplicate\")|.event]|join(\",\")')\" = received,delivered,revealed,taken ]"
ck=$(alist gem-au --event delivered --id "${ids[0]}" | jq -r '.[0].case_key')
check "filter by case key finds the resident's signal and what followed" bash -c \
	"[ \"\$(alist gem-au --case-key $ck | jq -r '[.[]|select(.outcome!=\"duplicate\")|.event]|join(\",\")')\" = received,delivered,revealed,taken ]"
check "filter by time: nothing after tomorrow, everything since yesterday" bash -c \
	"[ \$(count gem-au --since $(TZ=Europe/Amsterdam date -d tomorrow +%F)) = 0 -a \
	   \$(count gem-au --since $(TZ=Europe/Amsterdam date -d yesterday +%F) --until $(TZ=Europe/Amsterdam date -d tomorrow +%F)) = $total ]"
# A time that is not in the calendar is refused, not moved to another day;
# seconds that do not fit are refused, not wrapped round.
for t in 2026-02-30 2026-13-01 2026-11-23T24:00 @-5 @18446744073710; do
	check "a time that is no time is refused: $t" bash -c \
		"ctl gem-au audit list --since '$t' >/dev/null 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'a real date' $WORK/t.err"
done
check "a leap day is a day" bash -c "ctl gem-au audit list --since 2024-02-29 --limit 1 >/dev/null"
# A range that holds nothing by construction is a mistake, not "0 entries".
check "--since after --until is refused as bad usage (exit 2), naming the rule" bash -c \
	"ctl gem-au audit list --since 2026-12-07 --until 2026-12-01 >$WORK/t.out 2>$WORK/t.err; [ \$? = 2 ] &&
	 grep -q 'since must be before --until .*: the range is reversed' $WORK/t.err && ! [ -s $WORK/t.out ]"
check "  --since equal to --until too (an empty range; the day after is the end of a day)" bash -c \
	"ctl gem-au audit list --since 2026-12-01 --until 2026-12-01 2>$WORK/t.err; [ \$? = 2 ] &&
	 grep -q 'the range is empty; for one day give --until the day after' $WORK/t.err"
check "  and in report" bash -c \
	"ctl gem-au report --since 2026-12-07 --until 2026-12-01 2>$WORK/t.err; [ \$? = 2 ] &&
	 grep -q 'since must be before --until' $WORK/t.err"
check "--limit 0 is refused, saying the range" bash -c \
	"ctl gem-au audit list --limit 0 2>$WORK/t.err; [ \$? = 2 ] && grep -q -- '--limit: a number from 1 to 100000000' $WORK/t.err"
# A filter given twice would replace the first value in silence: an
# administrator asking for two events would see one.
for o in "--event taken --event revealed" "--partner corp-au --partner gem-au" \
	"--since 2026-12-01 --since 2026-12-02" "--type arrears --type arrears"; do
	check "a filter given twice is refused as bad usage (exit 2): $o" bash -c \
		"ctl gem-au audit list $o >$WORK/t.out 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'given twice: a filter takes one value' $WORK/t.err && ! [ -s $WORK/t.out ]"
done
# An id or case key no entry can hold is bad usage (exit 2), as a bad
# --event is, not a refusal by the daemon (exit 1).
for o in "--id xyz" "--id 0123456789abcdef" "--case-key zz"; do
	check "audit list $o: bad usage (exit 2), naming the form" bash -c \
		"ctl gem-au audit list $o >/dev/null 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'hex digits' $WORK/t.err"
done
# The forms the manual names, and no others (sscanf read these as dates).
for t in 2026-12-7 " 2026-12-07" +2026-12-07 2026-12-07T1:2 2026-1-01 "2026-12-07T10:00:-0"; do
	check "a time not in a form named is refused: '$t'" bash -c \
		"ctl gem-au audit list --since '$t' >/dev/null 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'give YYYY-MM-DD' $WORK/t.err"
done
check "  and in report: --since given twice (exit 2)" bash -c \
	"ctl gem-au report --since 2026-12-01 --since 2026-11-01 >/dev/null 2>$WORK/t.err; [ \$? = 2 ] && grep -q -- '--since given twice' $WORK/t.err"
check "  and the forms named are read: 2026-12-01T10:00, 2026-12-01T10:00:30, '2026-12-01 10:00'" bash -c \
	"ctl gem-au audit list --since 2026-12-01T10:00 --limit 1 >/dev/null && ctl gem-au audit list --since 2026-12-01T10:00:30 --limit 1 >/dev/null &&
	 ctl gem-au audit list --since '2026-12-01 10:00' --limit 1 >/dev/null"
check "the human listing ends with the count" bash -c \
	"ctl gem-au audit list --event taken | tail -n 1 | grep -qx '$TAKE entries'"
check "an unknown event name is refused as bad usage (exit 2), listing the events" bash -c \
	"ctl gem-au audit list --event nonsense 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'not an event; one of: accepted' $WORK/t.err"
check "an unknown signal type is refused as bad usage (exit 2)" bash -c \
	"ctl gem-au audit list --type nonsense 2>/dev/null; [ \$? = 2 ]"
check "a listing cut off at --limit says that more entries match" bash -c \
	"ctl gem-au audit list --limit 2 | tail -n 1 | grep -qx '2 entries (the limit: more entries match; raise --limit or narrow the filter)'"
check "  (also with --json, on standard error)" bash -c \
	"ctl gem-au --json audit list --limit 2 2>&1 >/dev/null | grep -q 'the limit: more entries match'"
check "  and one that is not cut off does not" bash -c \
	"ctl gem-au audit list --event taken --limit $TAKE | tail -n 1 | grep -qx '$TAKE entries'"

# --- resident's right to inspect -------------------------------------------
printf 'surname = Testpersoon1\npostcode = 1234ab\nhouse_number = 1\n' >"$WORK/resident1"
subj=$(ctl gem-au audit subject <"$WORK/resident1")
r1_id=$(ctl gem-au --json audit subject <"$WORK/resident1" | jq -r '[.[]|select(.event=="delivered")][0].message_id')
check "subject: the resident's signal is found from identifiers on stdin" \
	grep -q "received from corp-au and placed in the team's inbox" <<<"$subj"
check "subject: in plain language, with the legal basis" \
	grep -q "payment arrears signal, legal basis: legal duty" <<<"$subj"
check "subject: messy input (1234ab) gives the same pseudonyms" \
	[ "$(jq -r 'select(.message_id=="'"$r1_id"'" and .event=="delivered") | .subject' "$WORK/gem.jsonl" | wc -l)" = 1 ]
check "subject: the sender finds it too (its own case key)" bash -c \
	"ctl corp-au audit subject <$WORK/resident1 | grep -q 'sent to gem-au'"
printf 'surname=Niemand\npostcode=9999 ZZ\nhouse_number=99\n' | ctl gem-au audit subject >"$WORK/nothing.out"
check "subject: a resident without signals has none" grep -q '^Nothing' "$WORK/nothing.out"
check "subject: nothing is said to hold for the identifiers given, by name" \
	grep -q '^Nothing found for the identifiers given (surname, postcode, house_number): this partner has no record' "$WORK/nothing.out"
check "  naming the identifiers that could find more (BSN, birth date, addition, earlier address)" bash -c \
	"grep -q '^Other identifiers may find more, as a partner may have known the resident by them: the BSN (bsn), .*; the birth date (birth_date), .*; the house-number addition (house_number_addition), .*; or an earlier address' $WORK/nothing.out"
check "  without repeating a value given" bash -c "! grep -qiE 'Niemand|9999' $WORK/nothing.out"
check "subject: what is found is said to be found with the identifiers given" \
	grep -q "entries, found with the identifiers given (surname, postcode, house_number)" <<<"$subj"
# An identifier given twice (two addresses in one file) would leave one
# out in silence, while the answer says it holds for the identifiers given.
check "subject: an identifier given twice is refused (exit 2), naming it, not its value" bash -c \
	"printf 'surname=Niemand\npostcode=9999 ZZ\nhouse_number=99\npostcode=9998 ZZ\n' | ctl gem-au audit subject >$WORK/t.out 2>$WORK/t.err; [ \$? = 2 ] &&
	 grep -q \"line 4: 'postcode' is given twice\" $WORK/t.err && ! grep -q 9998 $WORK/t.err && ! [ -s $WORK/t.out ]"
# A birth date that is no day is refused, not looked up as no one's.
check "subject: a birth date not in the calendar (1980-02-30) is refused as malformed" bash -c \
	"printf 'surname=Niemand\npostcode=9999 ZZ\nhouse_number=99\nbirth_date=1980-02-30\n' | ctl gem-au audit subject 2>&1 |
	 grep -q \"identifier 'birth_date' does not have the required form\""
check "subject: a surname without postcode is refused as missing it, not as malformed" bash -c \
	"printf 'surname=Niemand\n' | ctl gem-au audit subject 2>&1 | grep -q \"identifier 'postcode' is missing\""
check "subject: a malformed surname is refused saying what is wrong, not what it is" bash -c \
	"out=\$(printf 'surname=Nie\\xce\\xa9mand\npostcode=9999 ZZ\nhouse_number=99\n' | ctl gem-au audit subject 2>&1);
	 grep -q \"identifier 'surname' does not have the required form: the surname holds a character that is not a letter\" <<<\"\$out\" &&
	 ! grep -q 'Nie' <<<\"\$out\""
check "subject: each look-up is recorded, with user and case key" bash -c \
	"[ \$(alist gem-au --event subject_access | jq '[.[]|select(.user==\"root\" and (.case_key|length)==64)]|length') -ge 3 ]"
check "subject: an unknown identifier is refused before anything is sent" bash -c \
	"printf 'colour=blue\n' | ctl gem-au audit subject 2>&1 | grep -q \"line 1: the name before '=' is not one of\""
check "subject: the unknown name is not repeated (it may be data)" bash -c \
	"! printf 'colour=blue\n' | ctl gem-au audit subject 2>&1 | grep -q colour"
check "subject: an identifier of the wrong form is refused by the daemon" bash -c \
	"printf 'bsn=123456789\n' | ctl gem-au audit subject 2>&1 | grep -q FIELD_VALUE"
check "subject: identifiers are not stored (LMDB file)" bash -c \
	"! grep -qa 'Testpersoon1' $WORK/gem-au/data/data.mdb"

# --- report ----------------------------------------------------------------
month=$(TZ=Europe/Amsterdam date +%Y-%m)
week=$(TZ=Europe/Amsterdam date +%G-W%V)
rep=$(ctl gem-au report --csv)
row=$(grep "^$month,corp-au,arrears," <<<"$rep")
col() { awk -F, -v c="$1" '{print $c}' <<<"$row"; }
# The test's own figures: SENT signals plus the replay and the signal for
# another partner (signed, so its type is known) arrived as arrears; the
# tampered one arrived with no type that can be trusted.
check "report: received $((SENT + 2))" [ "$(col 4)" = $((SENT + 2)) ]
check "report: refused 1, by rule RECIPIENT=1" [ "$(col 5),$(col 6)" = "1,RECIPIENT=1" ]
check "report: delivered $DELIVERED" [ "$(col 7)" = $DELIVERED ]
check "report: taken $TAKE" [ "$(col 8)" = $TAKE ]
check "report: reveals $REVEAL, no retention removals" [ "$(col 11),$(col 12)" = "$REVEAL,0" ]
want=$(jq -rs '
	(map(select(.event=="delivered")) | map({key: .message_id, value: .time_us}) | from_entries) as $d
	| [.[] | select(.event=="taken") | ((.time_us - $d[.message_id]) / 1000 | floor)] | sort
	| . as $a | length as $n
	| "\($a[((50 * $n + 99) / 100 | floor) - 1]),\($a[((90 * $n + 99) / 100 | floor) - 1])"' "$WORK/gem.jsonl")
check "report: take time median and p90 ($want ms) as computed from the entries" \
	[ "$(col 9),$(col 10)" = "$want" ]
row=$(grep "^$month,corp-au,-," <<<"$rep")
check "report: the tampered signal counted as received and refused (SIGNATURE)" \
	[ "$(col 4),$(col 5),$(col 6)" = "1,1,SIGNATURE=1" ]
row=$(ctl gem-au report --csv --by week | grep "^$week,corp-au,arrears,")
check "report by week gives the same figures" [ "$(col 4),$(col 7),$(col 8)" = "$((SENT + 2)),$DELIVERED,$TAKE" ]
row=$(ctl corp-au report --csv | grep "^$month,gem-au,arrears,")
check "report (sender): accepted $SENT, refused 1, sent $SENT, confirmed $SENT" \
	[ "$(col 13),$(col 14),$(col 15),$(col 16),$(col 17)" = "$SENT,1,$SENT,$SENT,0" ]
row=$(ctl gem-au report --csv --from "$WORK/gem.jsonl" | grep "^$month,corp-au,arrears,")
check "report from an export file, without the daemon" [ "$(col 4),$(col 8),$(col 9),$(col 10)" = "$((SENT + 2)),$TAKE,$want" ]
ctl gem-au audit export --format csv >"$WORK/gem.csv"
row=$(ctl gem-au report --csv --from "$WORK/gem.csv" | grep "^$month,corp-au,arrears,")
check "... and from the CSV export the same figures" [ "$(col 4),$(col 8),$(col 9),$(col 10)" = "$((SENT + 2)),$TAKE,$want" ]
printf 'a,b\n1,2\n' >"$WORK/other.csv"
rc=0
out=$(ctl gem-au report --from "$WORK/other.csv" 2>&1) || rc=$?
check "a CSV that is no audit export is refused, naming the column missing (exit $rc)" bash -c \
	"[ $rc = 2 ] && grep -q \"not an audit export: no column 'time_us'\" <<<\"\$0\"" "$out"
# Every column but reveals counts signals, not entries: a signal sent again
# after a restart has a sent entry per transmission (and may get a second
# receipt). The export with those entries repeated (each copy an entry of
# its own, with its own index) gives the same figures.
jq -c 'if .event == "sent" or .event == "receipt" or .event == "accepted" then ., (.index += 1000000) else . end' \
	"$WORK/corp.jsonl" >"$WORK/corp-resent.jsonl"
row=$(ctl corp-au report --csv --from "$WORK/corp-resent.jsonl" | grep "^$month,gem-au,arrears,")
check "report (sender): a signal sent twice counts once in sent, confirmed, accepted ($(col 13),$(col 15),$(col 16))" \
	[ "$(col 13),$(col 14),$(col 15),$(col 16),$(col 17)" = "$SENT,1,$SENT,$SENT,0" ]
jq -c 'if .event == "received" or .event == "delivered" or .event == "taken" or .event == "rejected" then ., (.index += 1000000) else . end' \
	"$WORK/gem.jsonl" >"$WORK/gem-twice.jsonl"
row=$(ctl gem-au report --csv --from "$WORK/gem-twice.jsonl" | grep "^$month,corp-au,arrears,")
check "report (recipient): entries repeated for a signal count once ($(col 4),$(col 5),$(col 7),$(col 8))" \
	[ "$(col 4),$(col 5),$(col 6),$(col 7),$(col 8),$(col 9),$(col 10)" = "$((SENT + 2)),1,RECIPIENT=1,$DELIVERED,$TAKE,$want" ]
jq -c 'if .event == "revealed" then ., (.index += 1000000) else . end' "$WORK/gem.jsonl" >"$WORK/gem-reveal2.jsonl"
row=$(ctl gem-au report --csv --from "$WORK/gem-reveal2.jsonl" | grep "^$month,corp-au,arrears,")
check "report: reveals count every reveal (each is a disclosure)" [ "$(col 11)" = $((REVEAL * 2)) ]
# The same entry twice (two exports joined, or appended to an overlapping
# one) is not two events: counted twice, a reveal would be a disclosure
# that never happened. Refused, naming the entry.
cat "$WORK/gem.jsonl" "$WORK/gem.jsonl" >"$WORK/gem-joined.jsonl"
rc=0
out=$(ctl gem-au report --from "$WORK/gem-joined.jsonl" 2>&1) || rc=$?
check "report --from: an entry in the file twice is refused, not counted twice (exit $rc)" bash -c \
	"[ $rc = 2 ] && grep -q 'entry 0 is in the file more than once' <<<\"\$0\"" "$out"
{ cat "$WORK/gem.csv"; tail -n +2 "$WORK/gem.csv"; } >"$WORK/gem-joined.csv"
rc=0
out=$(ctl gem-au report --from "$WORK/gem-joined.csv" 2>&1) || rc=$?
check "  and so from a CSV export (exit $rc)" bash -c \
	"[ $rc = 2 ] && grep -q 'entry 0 is in the file more than once' <<<\"\$0\"" "$out"
check "report as a readable table" bash -c \
	"ctl gem-au report | grep -E '^$month +corp-au +arrears +$((SENT + 2)) +1 +$DELIVERED +$TAKE '"

# --- report after the sender restarted with signals pending -----------------
# Signals handed to a recipient that does not answer (stopped with SIGSTOP)
# are sent again after each start of the sender, a sent entry each time:
# the report's sent column still counts each signal once, as accepted does.
kill -STOP "${IT_PIDS[gem-au]}"
for n in 101 102 103; do send_arrears corp-au gem-au "$n" >/dev/null; done
sleep 2
for _ in 1 2; do
	stop corp-au || fail "sender exit status (restart)"
	start corp-au
	sleep 2
done
kill -CONT "${IT_PIDS[gem-au]}"
check "after the restarts the $((SENT + 3)) signals are delivered" \
	wait_until 30 bash -c "[ \$(outbox_ids corp-au delivered | wc -l) = $((SENT + 3)) ]"
check "  with more sent entries than signals" [ "$(count corp-au --event sent)" -gt $((SENT + 3)) ]
nsent=$(count corp-au --event sent)
row=$(ctl corp-au report --csv | grep "^$month,gem-au,arrears,")
check "report (sender) after 2 restarts with 3 signals pending: sent $(col 15) = accepted $(col 13) = $((SENT + 3)) ($nsent sent entries)" \
	[ "$(col 13),$(col 15),$(col 16)" = "$((SENT + 3)),$((SENT + 3)),$((SENT + 3))" ]

# --- a partner refused at authentication ------------------------------------
start stranger-au
send_arrears stranger-au gem-au 99 >/dev/null
check "a connection with an unknown key is recorded as peer_refused" \
	wait_until 20 bash -c "[ \$(count gem-au --event peer_refused) -ge 1 ]"
sleep 3 # the stranger keeps redialling
check "repeated refusals of the same key are recorded once a minute" \
	[ "$(count gem-au --event peer_refused)" = 1 ]
stop stranger-au || true

# --- tree heads and proofs ----------------------------------------------------
ctl gem-au audit head >"$WORK/head1.json"
size1=$(jq .tree_size "$WORK/head1.json")
check "audit head prints a signed tree head covering the log" \
	[ "$size1" -ge "$total" ]
check "a kept head checks offline against the partner's card" \
	"$SEINCTL" audit check-proof "$WORK/head1.json" --card "$WORK/gem-au/keys/card"
idx=$(alist gem-au --event revealed | jq '.[0].index')
ctl gem-au audit prove --index "$idx" >"$WORK/incl.json"
check "inclusion proof of a reveal verifies offline" \
	"$SEINCTL" audit check-proof "$WORK/incl.json" --card "$WORK/gem-au/keys/card"
# Without --card nothing ties the head's key to the partner it names: the
# proof is checked as far as it can be, the headline says it is not tied
# to any partner and the exit status is 5 (not 0).
rc=0
out=$("$SEINCTL" audit check-proof "$WORK/incl.json") || rc=$?
check "without --card: exit 5, the headline says the proof is NOT tied to any partner (exit $rc)" bash -c \
	"[ $rc = 5 ] && grep -q \"^proof NOT tied to any partner: the head names partner 'gem-au', but the signature is by the key named in the head ([0-9a-f]\{16\}), which is not checked against a card: pass --card\" <<<\"\$0\" &&
	 ! grep -q '^proof valid' <<<\"\$0\" && grep -q 'entry $idx (revealed) is in the tree of that head' <<<\"\$0\"" "$out"
check "  also for a tree head (exit 5), and with --json valid false, tied_to_partner false" bash -c \
	"$SEINCTL audit check-proof $WORK/head1.json >/dev/null; [ \$? = 5 ] &&
	 $SEINCTL --json audit check-proof $WORK/incl.json | jq -e '(.valid | not) and (.tied_to_partner | not) and .checks_without_card' >/dev/null"
check "  a broken proof without --card is still INVALID (exit 1)" bash -c \
	"jq '.index += 1' $WORK/incl.json >$WORK/forged.json; $SEINCTL audit check-proof $WORK/forged.json >/dev/null; [ \$? = 1 ]"
# --old names the head an auditor kept, for a consistency proof: given
# with an inclusion proof or a head it was not used, and "valid" was said
# whatever file it named (another partner's head, or no head at all).
ctl corp-au audit head >"$WORK/corp-head.json"
for f in incl.json head1.json; do
	check "check-proof: --old with a file that is no consistency proof ($f) is refused (exit 2)" bash -c \
		"$SEINCTL audit check-proof $WORK/$f --old $WORK/corp-head.json --card $WORK/gem-au/keys/card >$WORK/t.out 2>$WORK/t.err; [ \$? = 2 ] &&
		 grep -q -- '--old is for a consistency proof only' $WORK/t.err && ! grep -q 'proof valid' $WORK/t.out"
done
check "check-proof: a file that is not there is said to be unreadable, not invalid JSON (exit 2)" bash -c \
	"$SEINCTL audit check-proof $WORK/no-such-proof.json 2>$WORK/t.err; [ \$? = 2 ] && grep -q 'no-such-proof.json: cannot read: No such file' $WORK/t.err"
# prove: an index past the end of the log is not cured by a newer head
rc=0
out=$(ctl gem-au audit prove --index 999999 2>&1) || rc=$?
check "prove --index past the log's end says how many entries it holds, not 'sign a newer head' (exit $rc)" bash -c \
	"[ $rc = 1 ] && grep -q 'entry 999999 is not in the audit log: the log holds only [0-9]* entries' <<<\"\$0\" && ! grep -q 'sign a newer head' <<<\"\$0\"" "$out"
check "prove --old-size 0 is refused: it must be at least 1 (exit 2)" bash -c \
	"ctl gem-au audit prove --old-size 0 2>$WORK/t.err; [ \$? = 2 ] && grep -q -- '--old-size must be at least 1' $WORK/t.err"
check "prove --size 0 is refused too (exit 2)" bash -c \
	"ctl gem-au audit prove --index 0 --size 0 2>$WORK/t.err; [ \$? = 2 ] && grep -q -- '--size must be at least 1' $WORK/t.err"
forge() { # INVALID (exit 1), not merely not tied to a card (exit 5)
	jq "$1" "$WORK/$2" >"$WORK/forged.json"
	"$SEINCTL" audit check-proof "$WORK/forged.json" "${@:3}" >/dev/null
	[ $? = 1 ]
}
check "forged: the entry changed (reason)" \
	forge '.leaf |= (.[0:60] + (if .[60:61] == "0" then "1" else "0" end) + .[61:])' incl.json
check "forged: a path hash changed" \
	forge '.path[0] |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' incl.json
check "forged: another index claimed" forge '.index += 1' incl.json
check "forged: the leaf null: refused as a proof, not a crash" bash -c \
	"jq '.leaf = null' '$WORK/incl.json' >'$WORK/nullleaf.json';
	 '$SEINCTL' audit check-proof '$WORK/nullleaf.json' --card '$WORK/gem-au/keys/card' >/dev/null 2>&1
	 rc=\$?; [ \$rc -ge 1 ] && [ \$rc -lt 128 ]"
check "forged: a root not signed by the partner" \
	forge '.head.root_hash |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' incl.json
check "forged: checked against another partner's card" \
	forge '.' incl.json --card "$WORK/corp-au/keys/card"
ctl gem-au inbox ack "${ids[$TAKE]}" >/dev/null
sleep 1.2
ctl gem-au audit head >"$WORK/head2.json"
ctl gem-au audit prove --old "$WORK/head1.json" >"$WORK/cons.json"
check "consistency proof from the kept head to a newer one verifies offline" \
	"$SEINCTL" audit check-proof "$WORK/cons.json" --old "$WORK/head1.json" --card "$WORK/gem-au/keys/card"
check "a consistency proof carries the older signed head when there is one" bash -c \
	"ctl gem-au audit prove --old-size $size1 >$WORK/cons2.json &&
	 jq -e '.old_head.tree_size == $size1' $WORK/cons2.json >/dev/null && $SEINCTL audit check-proof $WORK/cons2.json --card $WORK/gem-au/keys/card"
check "without a signed older head, only a kept head can anchor a proof" bash -c \
	"jq '.old_head = null' $WORK/cons2.json >$WORK/cons3.json &&
	 $SEINCTL audit check-proof $WORK/cons3.json | grep -q 'give the one you kept with --old' &&
	 $SEINCTL audit check-proof $WORK/cons3.json --old $WORK/head1.json --card $WORK/gem-au/keys/card >/dev/null"
check "forged: a path hash changed" \
	forge '.path[1] |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' cons.json --old "$WORK/head1.json"
jq '.root_hash |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' "$WORK/head1.json" >"$WORK/head1-forged.json"
check "forged: an older head that was not signed so" \
	forge '.' cons.json --old "$WORK/head1-forged.json"
check "forged: the proof between other sizes than the kept head" \
	forge '.old_size -= 1' cons.json --old "$WORK/head1.json"
check "a consistency proof says which key signed both heads" bash -c \
	"$SEINCTL audit check-proof $WORK/cons.json --old $WORK/head1.json --card $WORK/gem-au/keys/card | grep -q 'both heads signed by key [0-9a-f]\{16\}, the signing key on the partner.s card'"
check "  without --card: NOT tied to any partner (exit 5), what it checked said after" bash -c \
	"out=\$($SEINCTL audit check-proof $WORK/cons.json --old $WORK/head1.json); [ \$? = 5 ] &&
	 grep -q '^proof NOT tied to any partner: .*Without one, all that is shown is that the tree at size [0-9]* (signed .*) extends the one at size $size1' <<<\"\$out\""
# The entry an inclusion proof shows is the one its leaf holds: a file whose
# readable copy says something else is refused; an older file showing fewer
# fields is not.
check "forged: the readable entry changed, the leaf not" \
	forge '.entry.reason = "routine check"' incl.json
check "  refused, naming the field" bash -c \
	"jq '.entry.reason = \"routine check\"' $WORK/incl.json >$WORK/forged.json;
	 $SEINCTL audit check-proof $WORK/forged.json | grep -q 'the entry shown in the file is not the one proven: its \"reason\" differs'"
check "a readable entry with fewer fields (an older file) still checks" bash -c \
	"jq 'del(.entry.household)' $WORK/incl.json >$WORK/older.json && $SEINCTL audit check-proof $WORK/older.json --card $WORK/gem-au/keys/card >/dev/null"
check "check-proof shows the entry decoded from the proven leaf" bash -c \
	"$SEINCTL audit check-proof $WORK/incl.json --card $WORK/gem-au/keys/card | grep -q '^  the entry proven (decoded from its leaf bytes): {.*\"event\":\"revealed\"' &&
	 $SEINCTL --json audit check-proof $WORK/incl.json --card $WORK/gem-au/keys/card | jq -e '.valid and .tied_to_partner and .entry.index == $idx' >/dev/null"

# After a key rotation: a head kept from before it checks against the new
# card (its previous signing key); a consistency proof across it needs the
# card, which names both keys, and says which signed which.
stop gem-au
as_user "$SEINKEY" rotate --dir "$WORK/gem-au/keys" --overlap 1d >/dev/null
start gem-au
ctl gem-au inbox ack "${ids[$((TAKE + 1))]}" >/dev/null
ctl gem-au audit head >"$WORK/head3.json"
ctl gem-au audit prove --old "$WORK/head1.json" >"$WORK/cons4.json"
check "a head kept from before a rotation checks against the new card, as its previous key" bash -c \
	"$SEINCTL audit check-proof $WORK/head1.json --card $WORK/gem-au/keys/card | grep -q 'by key [0-9a-f]\{16\}, the previous signing key the partner.s card names (previous_sign'"
rc=0
out=$("$SEINCTL" audit check-proof "$WORK/cons4.json" --old "$WORK/head1.json") || rc=$?
check "a consistency proof between heads of two keys without --card is refused (exit $rc)" bash -c \
	"[ $rc = 1 ] && grep -q 'the two tree heads are signed with different keys .*: give the partner.s card with --card' <<<\"\$0\"" "$out"
check "  with the card it verifies, saying which key signed which" bash -c \
	"$SEINCTL audit check-proof $WORK/cons4.json --old $WORK/head1.json --card $WORK/gem-au/keys/card |
	 grep -q 'the older head signed by key [0-9a-f]\{16\}, the previous signing key .*; the newer by key [0-9a-f]\{16\}, the signing key on the partner.s card'"
check "  and not with the card from before the rotation" \
	forge '.' cons4.json --old "$WORK/head1.json" --card "$WORK/gem-au/keys/earlier/"*.card
check "audit verify: the untouched log verifies" ctl gem-au audit verify
check "audit verify --json says ok with no bad entry" bash -c \
	"ctl gem-au --json audit verify | jq -e '.ok and .first_bad_entry == null' >/dev/null"

# --- tampering with the LMDB file -----------------------------------------
if stop gem-au; then pass "gem-au stops cleanly (and signs a last head)"; else fail "gem-au exit status"; fi
check "seinhuisd -t and -T verify the untouched log offline" bash -c \
	"as_user $SEINHUISD -t -c $WORK/gem-au.conf | grep -q 'audit log verifies' && as_user $SEINHUISD -T -c $WORK/gem-au.conf >/dev/null"
as_user cp -a "$WORK/gem-au/data" "$WORK/gem-au/data.orig"
restore() { rm -rf "$WORK/gem-au/data" && as_user cp -a "$WORK/gem-au/data.orig" "$WORK/gem-au/data"; }
# names OUT K: verify's output names entry K as the first bad one, or
# names the entries one stored hash covers, K among them (the log stores
# no hash of a single entry, so a changed entry that decodes and names its
# index is found as one of at most 16).
names() {
	local out=$1 k=$2 b e
	b=$(sed -n 's/^ *first bad entry: \([0-9]*\)$/\1/p' <<<"$out")
	[ -n "$b" ] || return 1
	[ "$b" = "$k" ] && return 0
	e=$(sed -n 's/.*entries \([0-9]*\) to \([0-9]*\) do not match.*/\1 \2/p' <<<"$out")
	[ "${e% *}" = "$b" ] && [ "$b" -le "$k" ] && [ "$k" -le "${e#* }" ] &&
		[ $((${e#* } - b)) -lt 16 ]
}
tampered() { # tampered NAME FIRST-BAD audit_tamper-ARGS...
	local name=$1 bad=$2
	shift 2
	restore
	as_user "$AUDIT_TAMPER" "$WORK/gem-au/data" "$@" >/dev/null || { fail "$name: audit_tamper"; return; }
	# -t (the unit's ExecStartPre) says so loudly but passes, so that
	# the daemon starts and signals keep flowing; -T fails.
	local trc=0
	as_user "$SEINHUISD" -t -c "$WORK/gem-au.conf" >"$WORK/t.out" 2>"$WORK/t.err" || trc=$?
	check "$name: seinhuisd -t reports it and exits 0 (exit $trc)" bash -c \
		"[ $trc = 0 ] && grep -q '\[error\] audit log FAILS verification: .*the daemon starts on it' $WORK/t.err && grep -q 'valid; the audit log is NOT' $WORK/t.out"
	check "$name: seinhuisd -T refuses it" bash -c "! as_user $SEINHUISD -T -c $WORK/gem-au.conf >/dev/null 2>&1"
	start gem-au
	local out rc=0
	out=$(ctl gem-au audit verify) || rc=$?
	check "$name: audit verify fails" [ $rc = 1 ]
	check "$name: and names entry $bad as the first bad one (or its block)" names "$out" "$bad"
	echo "    $(grep problem <<<"$out")"
	stop gem-au || fail "$name: gem-au exit status"
}
n=$(as_user "$AUDIT_TAMPER" "$WORK/gem-au/data" count)
k=$((n / 2))
tampered "one byte changed in entry $k" $k flip $k
tampered "the first byte of entry 7 changed" 7 flip 7 0
tampered "entry $k deleted" $k delete $k
tampered "entry $k made undecodable" $k garble $k
start gem-au
out=$(ctl gem-au audit list 2>&1 >/dev/null)
check "an undecodable entry: audit list says it is left out, not in silence: $out" \
	grep -q "1 damaged entry in this range of the audit log (not decodable), not listed" <<<"$out"
stop gem-au || fail "garbled: gem-au exit status"
tampered "the last entry deleted" $((n - 1)) delete $((n - 1))
tampered "entries $k and $((k + 3)) swapped" $k swap $k $((k + 3))
# Rewritten consistently (entry, stored tree, right edge, audit-head) and
# every head signed again with a fresh key: only the key can show it.
restore
as_user "$AUDIT_TAMPER" "$WORK/gem-au/data" resign "$k" >/dev/null || fail "resign: audit_tamper"
out=$(as_user $SEINHUISD -T -c $WORK/gem-au.conf 2>&1) && rc=0 || rc=$?
check "heads signed again with a key not of the card: seinhuisd -T refuses the log (exit $rc)" \
	bash -c "[ $rc != 0 ] && grep -q 'FAILS verification' <<<\"\$0\"" "$out"
start gem-au
rc=0
out=$(ctl gem-au audit verify) || rc=$?
echo "    $(grep problem <<<"$out")"
check "heads signed again with a key not of the card: audit verify fails (exit $rc)" [ $rc = 1 ]
check "  naming the first such head's size and the key's fingerprint" \
	grep -Eq 'the tree head at size [0-9]+ \(.*\) is signed with key [0-9a-f]{16}, which is not a signing key of this partner' <<<"$out"
check "  and saying how an earlier card is vouched for" grep -q "put the card it had then in earlier/" <<<"$out"
# A proof from the rewritten log, its head signed with the fresh key: without
# --card it must not say "valid" of gem-au's log; with the card it fails.
rsize=$(sed -n 's/.*the tree head at size \([0-9]*\) (.*) is signed with key.*/\1/p' <<<"$out" | head -n 1)
ctl gem-au audit prove --index 0 --size "${rsize:-1}" >"$WORK/resigned.json"
rc=0
"$SEINCTL" audit check-proof "$WORK/resigned.json" >"$WORK/t.out" || rc=$?
check "a proof whose head is signed with a key not of the card: without --card exit 5, NOT tied (exit $rc)" bash -c \
	"[ $rc = 5 ] && grep -q '^proof NOT tied to any partner' $WORK/t.out"
check "  with --card INVALID (exit 1)" bash -c \
	"out=\$($SEINCTL audit check-proof $WORK/resigned.json --card $WORK/gem-au/keys/card); [ \$? = 1 ] && grep -q '^proof INVALID' <<<\"\$out\""
stop gem-au || fail "resign: gem-au exit status"
restore
start gem-au
check "restored: the untouched log verifies again" ctl gem-au audit verify
if stop gem-au; then pass "recipient stops cleanly"; else fail "recipient exit status"; fi
if stop corp-au; then pass "sender stops cleanly"; else fail "sender exit status"; fi
it_done
