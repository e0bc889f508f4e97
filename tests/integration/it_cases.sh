#!/usr/bin/env bash
# The debt-help team's cases, with real local users: two creditors'
# signals about one household form one case with the right counts, total,
# urgency and rising flag, listed before calmer cases; one caseworker
# claims it, a second is refused (CASE_CLAIMED) until the owner releases
# it or an administrator forces the claim; outreach steps are recorded by
# the owner only, shown with time and user, and kept across a restart;
# export gives JSON and CSV without personal values unless --reveal, each
# reveal audited, in a file of mode 0600. Needs root (it creates the users
# and groups, named sh-test-*-PID, and removes them at the end).
. "$(dirname "$0")/lib.sh"
if [ "$EUID" != 0 ]; then
	echo "needs root to create test users: skipped"
	exit 77
fi
it_setup cases
# seinctl shows and reads times in Dutch local time whatever TZ says:
# the dates and hours this script works out with date(1) and python are
# Dutch too (it_calendar tests other zones)
export TZ=Europe/Amsterdam
P=$$
ADMIN_GROUP=sh-tc-admin-$P CW_GROUP=sh-tc-cw-$P
U_ADMIN=sh-tc-adm-$P U_CW1=sh-tc-cw1-$P U_CW2=sh-tc-cw2-$P
cases_cleanup() {
	local u g
	for u in $U_ADMIN $U_CW1 $U_CW2; do userdel "$u" 2>/dev/null; done
	for g in $ADMIN_GROUP $CW_GROUP; do groupdel "$g" 2>/dev/null; done
	it_cleanup
}
trap cases_cleanup EXIT
groupadd "$ADMIN_GROUP" && groupadd "$CW_GROUP" || { fail "groupadd"; exit 1; }
useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$ADMIN_GROUP" "$U_ADMIN" &&
	useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$CW_GROUP" "$U_CW1" &&
	useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$CW_GROUP" "$U_CW2" ||
	{ fail "useradd"; exit 1; }

partner gem-cs municipality_debt 17641 "control_group = seinhuis" \
	"admin_group = $ADMIN_GROUP" "caseworker_group = $CW_GROUP"
partner corp-cs landlord 17642
partner nrg-cs energy 17643
partner gp-cs professional 17644
# a team without role groups: every local user in control_group may do all
partner gem2-cs municipality_debt 17645 "control_group = seinhuis"
trust_all
chmod 711 "$WORK/gem-cs" "$WORK/gem2-cs"
# gem-cs lists its cases (and inbox) in pages of one record
# (SEINHUIS_TEST_LIST_PAGE_BYTES=1): every listing below crosses pages
SEINHUIS_TEST_LIST_PAGE_BYTES=1 start gem-cs
for p in corp-cs nrg-cs gp-cs gem2-cs; do start $p; done
as() { # as USER seinctl-args...
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
		"$SEINCTL" -s "$WORK/gem-cs/control.sock" "$@"
}
export -f as

arrears() { # arrears FROM KIND AMOUNT URGENCY REF SURNAME STREET NUMBER POSTCODE
	ctl "$1" send --type arrears --to gem-cs arrears_kind="$2" amount_cents="$3" \
		arrears_since=2026-09-01 contact_attempt_date=2026-10-01 \
		reminder_date=2026-10-15 urgency="$4" creditor_reference="$5" \
		creditor_contact="incasso desk" legal_basis=legal_duty initials=J. \
		surname="$6" street="$7" house_number="$8" postcode="$9" \
		place=Waterdam | awk '{print $2}'
}
# Household A: rent rising from 450 to 600 euro, and an energy supplier
# threatening disconnection (200 euro). Household B: one rent signal.
# Household C: one gas signal, the newest of all.
a1=$(arrears corp-cs rent 45000 none HUUR-1 "de Vries" Molenweg 12 "9901 WA")
sleep 0.05
a2=$(arrears corp-cs rent 60000 none HUUR-2 "de Vries" Molenweg 12 "9901 WA")
a3=$(arrears nrg-cs electricity 20000 disconnection EL-1 "Vries" Molenweg 12 "9901wa")
# B's and C's references are formulas (as a careless or hostile creditor's
# system may send them; the catalogue takes any text): the CSV exports must
# not hand them to a spreadsheet as formulas.
REF_B='=HYPERLINK("https://x.example/","open")' REF_C=$'\t@SUM(1+1)'
b1=$(arrears corp-cs rent 10000 none "$REF_B" Bakker Dorpsstraat 5 "1234 AB")
# B arrives first (the order below counts on it), from another sender than
# C: C is sent once B is in the inbox, not merely 1.1 s after it was sent
wait_until 20 bash -c "inbox_ids gem-cs | grep -qx '$b1'" || fail "setup: B's signal delivered"
sleep 1.1
c1=$(arrears nrg-cs gas 30000 none "$REF_C" Jansen Kerkweg 7 "5678 CD")
check "five signals accepted" bash -c "[ ${#a1}${#a2}${#a3}${#b1}${#c1} = 3232323232 ]"
check "five signals delivered" wait_until 20 bash -c "[ \$(inbox_ids gem-cs | wc -l) = 5 ]"

list=$(as "$U_CW1" --json inbox)
check "the inbox lists three cases" json_has 'length == 3' <<<"$list"
check "the threatened household comes first: 3 signals, 2 creditors" \
	json_has '.[0].signals == 3 and .[0].creditors == 2' <<<"$list"
check "... total over the newest signal per creditor and kind (600 + 200 euro)" \
	json_has '.[0].total_cents == 80000' <<<"$list"
check "... highest urgency disconnection, arrears rising" \
	json_has '.[0].urgency == "disconnection" and .[0].rising == true' <<<"$list"
check "then the calm cases, the one due first (B, which arrived first), then C" \
	json_has '.[1].total_cents == 10000 and .[2].total_cents == 30000 and .[2].rising == false and .[1].due_ms < .[2].due_ms' <<<"$list"
A=$(jq -r '.[0].case_key' <<<"$list")
B=$(jq -r '.[1].case_key' <<<"$list")
check "the case key is the one on each of the household's signals" bash -c \
	"[ \$(ctl gem-cs --json inbox list | jq -r '[.[] | select(.case_key==\"$A\")] | length') = 3 ]"
text=$(as "$U_CW1" inbox)
check "the text listing: three cases, no personal values" bash -c \
	"grep -q '^3 cases' <<<'$text' && ! grep -qiE 'vries|bakker|jansen|molenweg|9901 ?wa|1234 ?ab' <<<'$text'"
check "the signal listing stays available (inbox --signals)" bash -c \
	"as $U_CW1 inbox --signals | grep -q '^5 signals'"
check "inbox list still lists the signals" bash -c "as $U_CW1 --json inbox list | jq -e 'length == 5' >/dev/null"
# The Wgs deadline for a first conversation: 3 working days under a threat
# (A: disconnection, from a3's arrival), else 4 weeks (C).
rcv() { ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$1\") | .received_ms"; }
# due MS WORKING_DAYS|CALENDAR_DAYS N: Dutch time (TZ), same time of day;
# working days are weekdays but the public holidays seinctl(1) names
due() {
	python3 -c "
import datetime, sys, time
def off(d):
    y = d.year
    a, b, c = y % 19, y // 100, y % 100
    h = (19 * a + b - b // 4 - (b - (b + 8) // 25 + 1) // 3 + 15) % 30
    l = (32 + 2 * (b % 4) + 2 * (c // 4) - h - c % 4) % 7
    m = (a + 11 * h + 22 * l) // 451
    easter = datetime.date(y, (h + l - 7 * m + 114) // 31, (h + l - 7 * m + 114) % 31 + 1)
    king = datetime.date(y, 4, 26 if datetime.date(y, 4, 27).weekday() == 6 else 27)
    return d.weekday() >= 5 or (d.month, d.day) in ((1, 1), (12, 25), (12, 26)) or \\
        d == king or (y % 5 == 0 and (d.month, d.day) == (5, 5)) or \\
        (d - easter).days in (1, 39, 50)
ms, working, n = int(sys.argv[1]), sys.argv[2] == 'working', int(sys.argv[3])
d = datetime.datetime.fromtimestamp(ms // 1000); k = 0
while k < n:
    d += datetime.timedelta(days=1)
    k += (not working) or not off(d.date())
print(int(time.mktime(d.timetuple())) * 1000 + ms % 1000)" "$@"
}
want_a=$(due "$(rcv "$a3")" working 3)
want_c=$(due "$(rcv "$c1")" calendar 28)
check "contact due: A 3 working days after the disconnection signal ($want_a), C 4 weeks ($want_c); no contact yet" \
	json_has ".[0].due_ms == $want_a and .[2].due_ms == $want_c and all(.[]; .contact_made == false)" <<<"$list"
check "the text listing has the due column" bash -c "as $U_CW1 inbox | grep -q 'CONTACT DUE'"

# --- claim ----------------------------------------------------------------------
out=$(as "$U_CW1" claim "${A:0:12}")
check "caseworker 1 claims case A (by a prefix of its key)" grep -q "claimed; owner $U_CW1" <<<"$out"
n_claimed=$(ctl gem-cs --json audit list --event case_claimed | jq length)
out=$(as "$U_CW1" --json claim "$A" 2>&1)
check "claiming it again: answered with the case, nothing recorded" bash -c \
	"jq -e '.ok and .owner == \"$U_CW1\"' <<<\"\$0\" >/dev/null &&
	 [ \$(ctl gem-cs --json audit list --event case_claimed | jq length) = $n_claimed ]" "$out"
out=$(as "$U_CW2" claim "$A" 2>&1)
rc=$?
check "caseworker 2 is refused (exit 1, CASE_CLAIMED, names the owner)" bash -c \
	"[ $rc = 1 ] && grep -q \"refused: CASE_CLAIMED: the case is claimed by '$U_CW1'\" <<<\"\$0\"" "$out"
out=$(as "$U_CW2" case step "$A" contact_attempted 2>&1)
check "caseworker 2 may not record a step on it (CASE_OWNER)" grep -q "refused: CASE_OWNER" <<<"$out"
out=$(as "$U_CW2" claim "$A" --force 2>&1)
check "a caseworker may not force a claim (DENIED)" grep -q "refused: DENIED: forcing a claim is for administrators" <<<"$out"
out=$(as "$U_CW2" claim "$A" --release 2>&1)
check "nor release another's case (CASE_OWNER)" grep -q "refused: CASE_OWNER" <<<"$out"
out=$(as "$U_ADMIN" claim "$A" 2>&1)
check "an administrator does not claim without --force (DENIED)" grep -q "refused: DENIED: claiming a case is for caseworkers" <<<"$out"
out=$(as "$U_CW1" case step "$A" phoned 2>&1)
check "an unknown step is refused (CASE_STEP)" grep -q "refused: CASE_STEP: step must be one of" <<<"$out"
out=$(as "$U_CW1" case step "$B" contact_attempted 2>&1)
check "a step on an unclaimed case is refused (CASE_OWNER)" grep -q "refused: CASE_OWNER: the case is not claimed" <<<"$out"
check "no claim on a case key that is not in the inbox" bash -c \
	"as $U_CW1 claim $(printf 'ab%.0s' {1..32}) 2>&1 | grep -q 'refused: NOT_FOUND: no signal in the inbox has case key'"

# --- steps ----------------------------------------------------------------------
# what the national statistics count goes with the steps; each word checked
out=$(as "$U_CW1" case step "$A" in_conversation --how phone 2>&1)
check "how goes with contact_attempted only (CASE_STEP)" \
	grep -q "refused: CASE_STEP: how, reached, part of day and time describe a contact attempt: they go with step contact_attempted, not 'in_conversation'" <<<"$out"
out=$(as "$U_CW1" case step "$A" contact_attempted --how pigeon 2>&1)
check "an unknown way of contact is refused, naming the known ones" \
	grep -q "refused: CASE_STEP: how must be one of phone, visit, letter, email, text_message, other" <<<"$out"
out=$(as "$U_CW1" case step "$A" contact_attempted --how phone --reached maybe 2>&1)
check "reached is yes or no" grep -q "refused: CASE_STEP: reached must be yes or no" <<<"$out"
out=$(as "$U_CW1" case step "$A" contact_attempted --how phone --part night 2>&1)
check "a part of the day is morning, afternoon or evening" \
	grep -q "refused: CASE_STEP: part of day must be one of morning, afternoon, evening" <<<"$out"
check "the owner records contact_attempted (by phone, not reached, in the morning, a crisis)" bash -c \
	"as $U_CW1 case step $A contact_attempted --how phone --reached no --part morning --crisis >/dev/null"
check "... and in_conversation" bash -c "as $U_CW1 case step $A in_conversation >/dev/null"
list=$(as "$U_CW1" --json inbox)
check "the listing shows owner and latest step" \
	json_has ".[] | select(.case_key==\"$A\") | .owner == \"$U_CW1\" and .step == \"in_conversation\" and .step_ms > 0" <<<"$list"
check "... and the first conversation as made (contact due: met)" bash -c \
	"jq -e '.[] | select(.case_key==\"$A\") | .contact_made == true' <<<\"\$0\" >/dev/null && as $U_CW1 case show $A | grep -q '^contact due  met'" "$list"
show=$(as "$U_CW1" --json case show "$A")
check "case show: both steps in order, with user and time" \
	json_has ".steps | length == 2 and .[0].step == \"contact_attempted\" and .[1].step == \"in_conversation\" and all(.user == \"$U_CW1\" and .time_ms > 0)" <<<"$show"
check "case show: the three signals with their clear fields" \
	json_has '.signal_list | length == 3 and all(.fields.amount_cents != null) and all(.fields | has("surname") | not)' <<<"$show"
text=$(as "$U_CW1" case show "$A")
check "case show (text): steps and user, no personal values" bash -c \
	"grep -qE 'contact_attempted +$U_CW1' <<<'$text' && ! grep -qiE 'vries|molenweg|9901 ?wa' <<<'$text'"
check "case show: the attempt's details, in JSON and text" bash -c \
	"jq -e '.steps[0] | .how == \"phone\" and .reached == \"no\" and .part_of_day == \"morning\" and .crisis == true and (has(\"warm_handover\") | not)' <<<'$show' >/dev/null &&
	 grep -qE 'contact_attempted +$U_CW1 +by phone, not reached, in the morning, crisis' <<<'$text'"

# --- release, second caseworker, forced claim ------------------------------------
check "the owner releases the case" bash -c "as $U_CW1 claim $A --release | grep -q released"
check "now caseworker 2 may claim it" bash -c "as $U_CW2 claim $A | grep -q 'owner $U_CW2'"
check "caseworker 2 records a step" bash -c "as $U_CW2 case step $A help_accepted >/dev/null"
check "caseworker 1 is refused now" bash -c "as $U_CW1 claim $A 2>&1 | grep -q \"CASE_CLAIMED: the case is claimed by '$U_CW2'\""
check "an administrator forces the claim" bash -c "as $U_ADMIN claim $A --force | grep -q 'owner $U_ADMIN'"
check "an administrator may record a step" bash -c "as $U_ADMIN case step $A closed >/dev/null"
out=$(as "$U_ADMIN" case show "${A:0:10}" 2>&1)
check "an administrator giving a prefix is told to give the full key" \
	grep -q "refused: DENIED.*if that was refused as DENIED, as to an administrator, give the full 64-digit case key" <<<"$(tr "\n" " " <<<"$out")"
up=$(tr 'a-f' 'A-F' <<<"${A:0:12}")
check "a prefix in upper-case hex finds the case too" bash -c \
	"as $U_CW1 --json case show $up | jq -e '.case_key == \"$A\"' >/dev/null"
check "the claims are in the audit log with user and role, without personal data" bash -c \
	"as $U_ADMIN --json audit list --case-key $A | jq -e '
	  ([.[] | select(.event==\"case_claimed\" and .outcome!=\"refused\")] | length) == 3 and
	  ([.[] | select(.event==\"case_claimed\" and .outcome==\"refused\" and .rule==\"CASE_CLAIMED\")] | length) >= 2 and
	  ([.[] | select(.event==\"access_denied\")] | length) >= 2 and
	  ([.[] | select(.event==\"case_released\" and .user==\"$U_CW1\")] | length) == 1 and
	  ([.[] | select(.event==\"case_step\")] | length) == 4 and
	  ([.[] | select(.event==\"case_claimed\" and .role==\"admin\" and (.detail | test(\"forced\")))] | length) == 1' >/dev/null &&
	 ! as $U_ADMIN --json audit list --case-key $A | grep -qiE 'vries|molenweg|9901 ?wa'"

# --- a closed case is not closed again ---------------------------------------------
out=$(as "$U_ADMIN" case step "$A" closed 2>&1)
rc=$?
check "closing the closed case again is refused (CASE_STEP, exit 1)" bash -c \
	"[ $rc = 1 ] && grep -q 'refused: CASE_STEP: the case is already closed' <<<\"\$0\"" "$out"

# --- durable ------------------------------------------------------------------
stop gem-cs
SEINHUIS_TEST_LIST_PAGE_BYTES=1 start gem-cs
show=$(as "$U_CW1" --json case show "$A")
check "after a restart: owner and four steps kept" \
	json_has ".owner == \"$U_ADMIN\" and (.steps | map(.step)) == [\"contact_attempted\",\"in_conversation\",\"help_accepted\",\"closed\"]" <<<"$show"

# --- export ---------------------------------------------------------------------
chmod 1777 "$WORK" # the caseworker writes the export files here
said=$(as "$U_CW1" export --format json --out "$WORK/cases.json")
check "export says what it wrote" grep -q "^exported 3 case(s), 5 signal(s), 0 with personal data revealed, to $WORK/cases.json" <<<"$said"
check "export JSON parses: 3 cases, 5 signals" bash -c \
	"jq -e 'length == 3 and ([.[].signal_list[]] | length) == 5' '$WORK/cases.json' >/dev/null"
check "export JSON: the clear fields are there" bash -c \
	"jq -e '[.[].signal_list[].fields.arrears_kind] | sort == [\"electricity\",\"gas\",\"rent\",\"rent\",\"rent\"]' '$WORK/cases.json' >/dev/null"
check "export JSON: no personal values without --reveal" bash -c \
	"! grep -qiE 'vries|bakker|jansen|molenweg|dorpsstraat|kerkweg|9901 ?wa|1234 ?ab|5678 ?cd' '$WORK/cases.json' && ! jq -e '.. | objects | has(\"personal\")' '$WORK/cases.json' | grep -q true"
check "export file mode 0600" [ "$(stat -c %a "$WORK/cases.json")" = 600 ]
as "$U_CW1" export --format csv --out "$WORK/cases.csv"
check "export CSV: a header and five rows, every row the same number of columns" \
	python3 -c "
import csv,sys
rows=list(csv.reader(open('$WORK/cases.csv')))
assert len(rows)==6, len(rows)
assert len({len(r) for r in rows})==1
h=rows[0]
assert 'case_key' in h and 'amount_cents' in h and 'surname' not in h
assert sorted(r[h.index('message_id')] for r in rows[1:])==sorted('$a1 $a2 $a3 $b1 $c1'.split())
assert all(r[-1]=='sealed' for r in rows[1:])
"
check "export CSV: a cell that starts like a formula (=, @, a tab) gets an apostrophe in front; the others as they were" \
	python3 -c "
import csv, sys
rows = list(csv.reader(open('$WORK/cases.csv')))
h = rows[0]
by = {r[h.index('message_id')]: r for r in rows[1:]}
ref = lambda m: by[m][h.index('creditor_reference')]
assert ref('$b1') == \"'\" + sys.argv[1], ref('$b1')
assert ref('$c1') == \"'\" + sys.argv[2], repr(ref('$c1'))
assert ref('$a1') == 'HUUR-1' and by['$a1'][h.index('amount_cents')] == '45000'
assert all(r[h.index('creditor_contact')] == 'incasso desk' for r in rows[1:])
assert by['$b1'][h.index('amount_cents')] == '10000' and by['$c1'][h.index('arrears_kind')] == 'gas'
" "$REF_B" "$REF_C"
check "export JSON: the same references as sent" bash -c \
	"jq -e --arg b \"\$1\" --arg c \"\$2\" '[.[].signal_list[].fields.creditor_reference] | index(\$b) != null and index(\$c) != null' '$WORK/cases.json' >/dev/null" \
	_ "$REF_B" "$REF_C"
check "export CSV: no personal values, mode 0600" bash -c \
	"! grep -qiE 'vries|bakker|jansen|molenweg|9901 ?wa' '$WORK/cases.csv' && [ \$(stat -c %a '$WORK/cases.csv') = 600 ]"
before=$(as "$U_ADMIN" --json audit list --event revealed | jq length)
out=$(as "$U_CW1" export --format csv --case "${A:0:10}" --reveal 2>&1)
check "export --reveal needs a reason" grep -q "needs --reason" <<<"$out"
as "$U_CW1" export --format csv --case "${A:0:10}" --reveal --reason "debt help intake" --out "$WORK/reveal.csv"
check "export --reveal --case: the household's three signals with their personal fields" \
	python3 -c "
import csv
rows=list(csv.reader(open('$WORK/reveal.csv')))
h=rows[0]
assert len(rows)==4 and len({len(r) for r in rows})==1
assert {r[h.index('surname')] for r in rows[1:]} <= {'de Vries','Vries'}
assert all(r[h.index('case_key')]=='$A' and r[-1]=='revealed' for r in rows[1:])
"
after=$(as "$U_ADMIN" --json audit list --event revealed | jq length)
check "... each reveal audited (3 more revealed entries, with reason and user)" bash -c \
	"[ $((after - before)) = 3 ] && as $U_ADMIN --json audit list --event revealed | jq -e '[.[] | select(.reason==\"debt help intake\" and .user==\"$U_CW1\")] | length == 3' >/dev/null"
# A reason that names the resident of one household is refused for the
# whole export before anything is revealed: the reveals of the households
# before it would keep that name in the (append-only) audit log. Each
# household's surname in turn, so that some are not the first one looked at.
for who in "de Vries" Bakker Jansen; do
	out=$(as "$U_CW1" export --format json --reveal --reason "dossier $who, intake" --out "$WORK/named.json" 2>&1)
	check "export --reveal with a reason naming $who: refused (PERSONAL_DATA), no file" bash -c \
		"grep -q 'refused: PERSONAL_DATA: --reason: it holds the resident.s surname' <<<\"\$0\" && [ ! -e '$WORK/named.json' ]" "$out"
done
check "... and nothing revealed or recorded: no revealed entry more, none with those names" bash -c \
	"[ \$(as $U_ADMIN --json audit list --event revealed | jq length) = $after ] &&
	 ! as $U_ADMIN audit export --event revealed | grep -qiE 'vries|bakker|jansen'"
# From a case to its signals' entries: the inbox's case key is on the
# entries of the signals delivered under it (household), not only on the
# case's own.
check "audit list --case-key (the inbox's): the household's 3 signals, delivered and revealed under it" bash -c \
	"as $U_ADMIN --json audit list --case-key $A | jq -e '
	  ([.[] | select(.event==\"delivered\" and .household==\"$A\") | .message_id] | sort) == ([\"$a1\",\"$a2\",\"$a3\"] | sort) and
	  ([.[] | select(.event==\"revealed\" and .household==\"$A\")] | length) == 3 and
	  ([.[] | select(.event==\"case_step\" and .household==\"$A\")] | length) == 4 and
	  ([.[] | select(.message_id==\"$b1\" or .message_id==\"$c1\")] | length) == 0' >/dev/null"
# A reveal's reason is the caseworker's own text, and goes into the audit
# log's CSV export as given: a formula in it is neutralised there too.
REASON='=HYPERLINK("https://x.example/","why")'
as "$U_CW1" inbox reveal "$b1" --reason "$REASON" >/dev/null
check "audit export CSV: a reason that starts like a formula gets an apostrophe in front; the other cells as they were" \
	python3 -c "
import csv, io, sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
h = rows[0]
mine = [r for r in rows[1:] if r[h.index('message_id')] == '$b1']
assert len(mine) == 1, len(mine)
r = mine[0]
assert r[h.index('reason')] == \"'\" + sys.argv[2], r[h.index('reason')]
assert r[h.index('event')] == 'revealed' and r[h.index('user')] == '$U_CW1' and r[h.index('index')].isdigit()
assert all(x[h.index('reason')] == 'debt help intake' for x in rows[1:] if x is not r)
" "$(as "$U_ADMIN" audit export --format csv --event revealed)" "$REASON"
check "... and the JSON lines export gives the reason as recorded" bash -c \
	"as $U_ADMIN audit export --event revealed | jq -e --arg r \"\$1\" 'select(.message_id == \"$b1\") | .reason == \$r' >/dev/null" \
	_ "$REASON"
out=$(printf 'surname=de Vries\npostcode=9901 WA\nhouse_number=12\n' | as "$U_ADMIN" audit subject 2>&1)
echo "$out"
# The case's claims and steps are the household's: someone else at the
# address may be the reason for them, so a resident's look-up leaves them
# out; it shows the resident's own signals, who took and opened them.
check "audit subject: the 3 signals, each opened by the caseworker, and no case steps" bash -c \
	"[ \$(grep -c '^Signal ' <<<\"\$0\") = 3 ] &&
	 [ \$(grep -c 'personal data opened (local user $U_CW1, caseworker)' <<<\"\$0\") = 3 ] &&
	 ! grep -qiE 'case_step|case_claimed|contact_attempted|in_conversation' <<<\"\$0\"" "$out"
check "... and not the signals of the other households" bash -c \
	"! grep -q -e $b1 -e $c1 <<<\"\$0\"" "$out"
out=$(as "$U_ADMIN" export --format json --reveal --reason "debt help intake" --out "$WORK/admin.json" 2>&1)
check "an administrator may not export with --reveal (DENIED), and no file is left" bash -c \
	"grep -q 'refused: DENIED' <<<\"\$0\" && [ ! -e '$WORK/admin.json' ]" "$out"
out=$(as "$U_CW1" export --format xml 2>&1)
check "an unknown format is refused (exit 2)" grep -q "usage: seinctl export" <<<"$out"
check "no personal data in the daemon's log" bash -c "! grep -qiE 'vries|bakker|jansen|molenweg|9901 ?wa' '$WORK/gem-cs.log'"
check "the audit log verifies" bash -c "as $U_ADMIN audit verify >/dev/null"

# --- the national statistics: case monitor -----------------------------------
# Household D: municipal tax arrears from the landlord, a pilot's kind: its
# partner type is the landlord's (rent), not "other".
d1=$(arrears corp-cs municipal_tax 5000 none TAX-1 Smit Laan 3 "4321 ZZ")
check "household D's municipal tax signal is delivered" wait_until 10 bash -c "inbox_ids gem-cs | grep -qx '$d1'"
# Household C: a letter that reached the resident, its part of the day taken
# from the time it was recorded, and a warm hand-over; recorded after t_mid.
C=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$c1\") | .case_key")
sleep 1
t_mid=$(date +%s)
sleep 1
h0=$(date +%-H)
as "$U_CW1" claim "$C" >/dev/null
as "$U_CW1" case step "$C" contact_attempted --how letter --reached yes --warm-handover >/dev/null
h1=$(date +%-H)
part() { if [ "$1" -ge 6 ] && [ "$1" -lt 12 ]; then echo morning; elif [ "$1" -ge 12 ] && [ "$1" -lt 18 ]; then echo afternoon; else echo evening; fi; }
got=$(as "$U_CW1" --json case show "$C" | jq -r '.steps[0].part_of_day')
check "a part of the day not given is the one it was recorded in ($got)" \
	bash -c "[ '$got' = '$(part "$h0")' ] || [ '$got' = '$(part "$h1")' ]"
check "the step's audit entry carries the words, nothing personal" bash -c \
	"as $U_ADMIN --json audit list --event case_step --case-key $A | jq -e 'any(.detail == \"by phone, not reached, in the morning, crisis\")' >/dev/null &&
	 as $U_ADMIN --json audit list --event case_step --case-key $C | jq -e 'any(.detail | test(\"^by letter, reached, in the (morning|afternoon|evening), warm hand-over$\"))' >/dev/null"
mon=$(as "$U_CW1" case monitor)
echo "$mon"
check "monitor: 6 arrears signals by the sender's partner type (municipal tax from the landlord is rent)" \
	grep -q "^signals     6 arrears signal(s): rent 4, energy 2, water 0, health_insurance 0, other 0$" <<<"$mon"
check "... and their amounts (rent 450 + 600 + 100 + 50, energy 200 + 300 euro)" \
	grep -q "^amounts     rent EUR 1200.00, energy EUR 500.00, water EUR 0.00, health_insurance EUR 0.00, other EUR 0.00$" <<<"$mon"
check "... 4 households, 1 crisis (A), 1 warm hand-over (C)" \
	grep -q "^households  4; crisis 1, warm hand-over 1$" <<<"$mon"
check "... each signal's case status (A closed, B and D new, C contact attempted)" \
	grep -q "new 2, contact_attempted 1, in_conversation 0, help_accepted 0, help_declined 0, closed 3$" <<<"$mon"
check "... 2 attempts: by phone and by letter, 1 reached, 1 not, one in the morning" \
	grep -qE "^attempts    2 contact attempt\(s\): phone 1, visit 0, letter 1, email 0, text_message 0, other 0, not given 0; reached 1, not reached 1, not said 0; morning [12], afternoon [01], evening [01], no part 0$" <<<"$mon"
csv=$(as "$U_CW1" case monitor --format csv)
check "monitor CSV: a header and one row per signal, each case's status, outcome and marks" python3 -c "
import csv, io, sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
h = rows[0]
assert h == ['case','received','partner_type','arrears_kind','amount_cents','arrears_since','urgency','status','outcome','crisis','warm_handover','contact_made','municipality'], h
assert len(rows) == 7, rows
col = lambda r, n: r[h.index(n)]
assert all(col(r, 'municipality') == '' for r in rows[1:]), rows
a = [r for r in rows[1:] if col(r, 'status') == 'closed']
assert sorted(col(r, 'amount_cents') for r in a) == ['20000', '45000', '60000'], a
assert all((col(r, 'outcome'), col(r, 'crisis'), col(r, 'warm_handover'), col(r, 'contact_made')) == ('help_accepted', 'yes', 'no', 'yes') for r in a), a
c = [r for r in rows[1:] if col(r, 'status') == 'contact_attempted']
assert [(col(r, 'arrears_kind'), col(r, 'outcome'), col(r, 'crisis'), col(r, 'warm_handover'), col(r, 'contact_made')) for r in c] == [('gas', 'none', 'no', 'yes', 'no')], c
d = [r for r in rows[1:] if col(r, 'arrears_kind') == 'municipal_tax']
assert [(col(r, 'partner_type'), col(r, 'status')) for r in d] == [('rent', 'new')], d
assert len({r[0] for r in rows[1:]}) == 4
assert all(col(r, 'arrears_since') == '2026-09-01' for r in rows[1:])
" "$csv"
check "... cases numbered, no case key and no personal value in it" bash -c \
	"! grep -qiE '[0-9a-f]{64}|vries|bakker|jansen|smit|molenweg|laan' <<<'$csv'"
check "monitor --attempts: one row per attempt" bash -c \
	"[ \"\$(as $U_CW1 case monitor --format csv --attempts | cut -d, -f3-4 | sort | tr '\n' ' ')\" = '\"how\",\"reached\" \"letter\",\"yes\" \"phone\",\"no\" ' ]"
check "monitor JSON: 6 signals, 2 attempts" bash -c \
	"as $U_CW1 --json case monitor | jq -e '(.signals | length) == 6 and (.attempts | length) == 2 and ([.attempts[].how] | sort) == [\"letter\",\"phone\"] and ([.signals[] | select(.crisis)] | length) == 3' >/dev/null"
mon=$(as "$U_CW1" case monitor --until "@$t_mid")
check "monitor up to a time before C's step: C new, no warm hand-over, one attempt" bash -c \
	"grep -q '^households  4; crisis 1, warm hand-over 0$' <<<\"\$0\" &&
	 grep -q 'new 3, contact_attempted 0, in_conversation 0, help_accepted 0, help_declined 0, closed 3$' <<<\"\$0\" &&
	 grep -q '^attempts    1 contact attempt(s): phone 1, ' <<<\"\$0\"" "$mon"
check "monitor for a period after today: nothing" bash -c \
	"as $U_CW1 case monitor --since $(date -d tomorrow +%F) | grep -q '^signals     0 arrears' &&
	 as $U_CW1 case monitor --since $(date -d tomorrow +%F) | grep -q '^attempts    0 contact'"
out=$(as "$U_CW1" case monitor --since "$(date +%F)" --until "$(date -d yesterday +%F)" 2>&1)
check "monitor: an end before the start is refused (exit 2)" bash -c \
	"as $U_CW1 case monitor --since $(date +%F) --until $(date -d yesterday +%F) >/dev/null 2>&1; [ \$? = 2 ] && grep -q 'until must come after --since' <<<'$out'"
check "monitor: an unknown format, a bad date, --attempts without csv, --json with csv: refused (exit 2)" bash -c \
	"as $U_CW1 case monitor --format xml >/dev/null 2>&1; [ \$? = 2 ] || exit 1
	 as $U_CW1 case monitor --since 2026-02-30 >/dev/null 2>&1; [ \$? = 2 ] || exit 1
	 as $U_CW1 case monitor --attempts >/dev/null 2>&1; [ \$? = 2 ] || exit 1
	 as $U_CW1 --json case monitor --format csv >/dev/null 2>&1; [ \$? = 2 ]"
# C's only signal taken from the inbox: its attempt still counts, its
# signal no longer does
as "$U_CW1" inbox ack "$c1" >/dev/null
mon=$(as "$U_CW1" case monitor)
check "a case whose signals were taken: its attempt still counts, its signal not" bash -c \
	"grep -q '^signals     5 arrears signal(s): rent 4, energy 1, ' <<<\"\$0\" &&
	 grep -q '^households  4; crisis 1, warm hand-over 1$' <<<\"\$0\" &&
	 grep -q '^attempts    2 contact attempt(s): ' <<<\"\$0\"" "$mon"

# An attempt recorded the day after it was made: its date and part of the
# day are the attempt's, not the recording's.
D=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$d1\") | .case_key")
as "$U_CW1" claim "$D" >/dev/null
y=$(date -d yesterday +%F)
out=$(as "$U_CW1" case step "$D" in_conversation --at "${y}T19:30" 2>&1)
check "--at goes with contact_attempted only (CASE_STEP)" \
	grep -q "refused: CASE_STEP: how, reached, part of day and time describe a contact attempt" <<<"$out"
out=$(as "$U_CW1" case step "$D" contact_attempted --at "$(date -d tomorrow +%F)T10:00" 2>&1)
check "an attempt ahead of now is refused" grep -q "refused: CASE_STEP: the attempt's time is ahead of now" <<<"$out"
out=$(as "$U_CW1" case step "$D" contact_attempted --at "$(date -d '40 days ago' +%F)T10:00" 2>&1)
check "an attempt more than 31 days back is refused" grep -q "refused: CASE_STEP: the attempt's time is more than 31 days ago" <<<"$out"
out=$(as "$U_CW1" case step "$D" contact_attempted --at "not-a-time" 2>&1)
check "a time that is no time is refused by seinctl (exit 2)" grep -q "seinctl: --at: give" <<<"$out"
as "$U_CW1" case step "$D" contact_attempted --how visit --reached no --at "${y}T19:30" >/dev/null
want=$(($(date -d "${y} 19:30" +%s) * 1000))
check "the attempt made yesterday evening: its time kept, its part of the day evening" bash -c \
	"as $U_CW1 --json case show $D | jq -e '.steps[-1] | .attempt_ms == $want and .part_of_day == \"evening\" and .how == \"visit\"' >/dev/null &&
	 as $U_CW1 case show $D | grep -qE 'contact_attempted +$U_CW1 +made ${y} 19:30, by visit, not reached, in the evening'"
check "monitor for yesterday: that attempt alone, dated yesterday" bash -c \
	"[ \"\$(as $U_CW1 case monitor --format csv --attempts --since $y --until $(date +%F) | tail -n +2 | cut -d, -f2-5)\" = '\"$y\",\"visit\",\"no\",\"evening\"' ]"

# --- a GP practice's referral in a case is no creditor ------------------------
B=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$b1\") | .case_key")
ref=$(printf 'surname=Bakker\npostcode=1234 AB\nhouse_number=5\n' |
	ctl gp-cs consent grant --to gem-cs --purpose debts | awk '{print $2}')
out=$(ctl gp-cs send --type referral --to gem-cs legal_basis=consent consent_ref="$ref" \
	purpose=debts surname=Bakker postcode="1234 AB" house_number=5)
r1=${out#accepted }
check "a referral about household B is delivered" wait_until 10 bash -c "inbox_ids gem-cs | grep -qx '$r1'"
check "household B: 2 signals, still 1 creditor (the GP practice is none), total unchanged" bash -c \
	"as $U_CW1 --json inbox | jq -e '.[] | select(.case_key == \"$B\") | .signals == 2 and .creditors == 1 and .total_cents == 10000' >/dev/null"

ref_r=$(printf 'surname=Dekker\npostcode=1234 AC\nhouse_number=8\n' |
	ctl gp-cs consent grant --to gem-cs --purpose debts | awk '{print $2}')
out=$(ctl gp-cs send --type referral --to gem-cs legal_basis=consent consent_ref="$ref_r" \
	purpose=debts surname=Dekker postcode="1234 AC" house_number=8)
r2=${out#accepted }
check "a referral about a household without arrears is delivered" wait_until 10 bash -c "inbox_ids gem-cs | grep -qx '$r2'"
R=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$r2\") | .case_key")
arrived=$(ctl gem-cs --json inbox list | jq ".[] | select(.message_id==\"$r2\") | .received_ms")
check "... a request for help: a first conversation is due 4 weeks after it (Wgs), no creditor" bash -c \
	"as $U_CW1 --json inbox | jq -e '.[] | select(.case_key == \"$R\") | .creditors == 0 and .contact_due and (.due_ms - $arrived) >= 27*86400000 and (.due_ms - $arrived) <= 29*86400000' >/dev/null"

# --- one team acting for several municipalities ------------------------------
# Households E (0363) and F (0384) name their municipality; E's case is
# claimed (its record keeps 0363), an attempt recorded and its signal
# taken: the 0363 report still holds E's case and attempt, not F.
e1=$(ctl corp-cs send --type arrears --to gem-cs arrears_kind=rent amount_cents=70000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=HUUR-E creditor_contact=desk legal_basis=legal_duty \
	surname=Smit street=Laan house_number=3 postcode="1011 AB" place=Waterdam \
	municipality_code=0363 | awk '{print $2}')
f1=$(ctl nrg-cs send --type arrears --to gem-cs arrears_kind=gas amount_cents=8000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=GAS-F creditor_contact=desk legal_basis=legal_duty \
	surname=Smit street=Laan house_number=4 postcode="1011 AB" place=Waterdam \
	municipality_code=0384 | awk '{print $2}')
check "E (0363) and F (0384) delivered" wait_until 10 bash -c \
	"inbox_ids gem-cs | grep -qx '$e1' && inbox_ids gem-cs | grep -qx '$f1'"
mon=$(as "$U_CW1" case monitor)
check "the summary counts arrears signals per municipality" \
	grep -q '^municipalities 0363 1, 0384 1, not given 5 (arrears signals)$' <<<"$mon"
E=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$e1\") | .case_key")
as "$U_CW1" claim "$E" >/dev/null
as "$U_CW1" case step "$E" contact_attempted --how phone --reached yes >/dev/null
mon=$(as "$U_CW1" case monitor --municipality 0363)
check "--municipality 0363: E's signal, its household and its attempt, nothing of F or the others" bash -c \
	"grep -q '^municipality 0363 ' <<<\"\$0\" &&
	 grep -q '^signals     1 arrears signal(s): rent 1, energy 0, ' <<<\"\$0\" &&
	 grep -q '^amounts     rent EUR 700.00, energy EUR 0.00, ' <<<\"\$0\" &&
	 grep -q '^households  1; ' <<<\"\$0\" &&
	 grep -q '^attempts    1 contact attempt(s): phone 1, ' <<<\"\$0\"" "$mon"
check "--municipality 0384 in CSV: F's row alone, with its code" bash -c \
	"[ \"\$(as $U_CW1 case monitor --municipality 0384 --format csv | tail -n +2 | cut -d, -f4,5,13)\" = '\"gas\",\"8000\",\"0384\"' ]"
as "$U_CW1" inbox ack "$e1" >/dev/null
mon=$(as "$U_CW1" case monitor --municipality 0363)
check "E's signal taken: its case and attempt still count for 0363 (from the case record)" bash -c \
	"grep -q '^signals     0 arrears signal(s)' <<<\"\$0\" &&
	 grep -q '^households  1; ' <<<\"\$0\" &&
	 grep -q '^attempts    1 contact attempt(s): phone 1, ' <<<\"\$0\"" "$mon"
check "E's case record keeps its municipality after its signal is taken (case show)" bash -c \
	"as $U_CW1 --json case show $E | jq -e '.signals == 0 and .municipalities == [\"0363\"]' >/dev/null &&
	 as $U_CW1 case show $E | grep -q '^municipality 0363$'"
# Household G moved: a signal naming 0363 and one naming 0384. Its case
# (claimed: the record keeps both) counts for 0363 only through its 0363
# signal; once that is taken, only through a step: a case of 0384 alone in
# the period adds no household to 0363.
g1=$(ctl corp-cs send --type arrears --to gem-cs arrears_kind=rent amount_cents=5000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=HUUR-G creditor_contact=desk legal_basis=legal_duty \
	surname=Smit street=Laan house_number=9 postcode="1011 AB" place=Waterdam \
	municipality_code=0363 | awk '{print $2}')
g2=$(ctl nrg-cs send --type arrears --to gem-cs arrears_kind=gas amount_cents=6000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=GAS-G creditor_contact=desk legal_basis=legal_duty \
	surname=Smit street=Laan house_number=9 postcode="1011 AB" place=Waterdam \
	municipality_code=0384 | awk '{print $2}')
check "G's two signals delivered" wait_until 10 bash -c \
	"inbox_ids gem-cs | grep -qx '$g1' && inbox_ids gem-cs | grep -qx '$g2'"
G=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$g1\") | .case_key")
as "$U_CW1" claim "$G" >/dev/null
as "$U_CW1" inbox ack "$g1" >/dev/null
check "G's case keeps both municipalities" bash -c \
	"as $U_CW1 --json case show $G | jq -e '.municipalities == [\"0384\",\"0363\"] or .municipalities == [\"0363\",\"0384\"]' >/dev/null"
check "--municipality 0363: G (only its 0384 signal left, no attempt) adds no household" bash -c \
	"as $U_CW1 case monitor --municipality 0363 | grep -q '^households  1; '"
check "--municipality 0384: F and G, each with its 0384 signal" bash -c \
	"as $U_CW1 case monitor --municipality 0384 | grep -q '^households  2; ' &&
	 as $U_CW1 case monitor --municipality 0384 | grep -q '^signals     2 arrears signal(s)'"
check "--municipality takes a four-digit code only (exit 2)" bash -c \
	"as $U_CW1 case monitor --municipality GM0363 >/dev/null 2>&1; [ \$? = 2 ] || exit 1
	 as $U_CW1 case monitor --municipality 363 2>&1 | grep -q 'give the four-digit CBS code'"

out=$(as "$U_CW1" case show 0000000000000000000000000000000000000000000000000000000000000000 2>&1)
rc=$?
check "case show of a key no signal or record has: NOT_FOUND, exit 1" bash -c \
	"[ $rc = 1 ] && grep -q 'refused: NOT_FOUND: no signal in the inbox and no case record has case key 0000' <<<\"\$0\"" "$out"

# --- housemates, and a new threat after the case was answered ----------------
# Household H: two residents behind on rent with the same landlord: their
# arrears add up, and the second signal is no rise. The team talks with
# them (contact due: met); then the energy supplier announces
# disconnection: a first conversation is due again, within 3 working days
# of that signal, and the case goes before the answered ones.
h1=$(arrears corp-cs rent 50000 none HUUR-H1 Visser Brink 2 "9901 WC")
sleep 0.05
h2=$(arrears corp-cs rent 30000 none HUUR-H2 Mulder Brink 2 "9901 WC")
check "H's two signals delivered" wait_until 10 bash -c \
	"inbox_ids gem-cs | grep -qx '$h1' && inbox_ids gem-cs | grep -qx '$h2'"
H=$(ctl gem-cs --json inbox list | jq -r ".[] | select(.message_id==\"$h1\") | .case_key")
check "... one case: the housemates' arrears add up (500 + 300 euro), not rising" bash -c \
	"as $U_CW1 --json inbox | jq -e '.[] | select(.case_key == \"$H\") | .signals == 2 and .total_cents == 80000 and .rising == false' >/dev/null"
as "$U_CW1" claim "$H" >/dev/null
as "$U_CW1" case step "$H" in_conversation >/dev/null
check "after the conversation: contact due met" bash -c \
	"as $U_CW1 case show $H | grep -q '^contact due  met\$' &&
	 as $U_CW1 --json inbox | jq -e '.[] | select(.case_key == \"$H\") | .contact_due == false' >/dev/null"
sleep 0.05
h3=$(arrears nrg-cs electricity 20000 disconnection EL-H Visser Brink 2 "9901 WC")
check "a disconnection announced after it is delivered" wait_until 10 bash -c "inbox_ids gem-cs | grep -qx '$h3'"
arrived=$(ctl gem-cs --json inbox list | jq ".[] | select(.message_id==\"$h3\") | .received_ms")
list=$(as "$U_CW1" --json inbox)
check "... a first conversation is due again, 3 to 5 days (3 working days) after its arrival" \
	json_has ".[] | select(.case_key == \"$H\") | .contact_due == true and .due_ms - $arrived >= 3*86400000 - 3600000 and .due_ms - $arrived <= 5*86400000 + 3600000" <<<"$list"
check "... case show gives the date, not met" bash -c \
	"as $U_CW1 case show $H | grep -q '^contact due  20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] '"
check "... and the case is listed before household A, whose signals its closure answered" \
	json_has "(map(.case_key) | index(\"$H\")) < (map(.case_key) | index(\"$A\")) and (.[] | select(.case_key == \"$A\") | .contact_due == false)" <<<"$list"

# --- closed, reopened, closed ---------------------------------------------------
check "H closed" bash -c "as $U_CW1 case step $H closed >/dev/null"
out=$(as "$U_CW1" case step "$H" closed --feedback 2>&1)
check "... closed again with feedback: refused before any feedback (CASE_STEP)" \
	grep -q "refused: CASE_STEP: the case is already closed" <<<"$out"
check "... another step reopens it" bash -c "as $U_CW1 case step $H contact_attempted >/dev/null"
check "... and it may be closed again" bash -c "as $U_CW1 case step $H closed >/dev/null"
check "... H's steps: two closings, not three" bash -c \
	"as $U_CW1 --json case show $H | jq -e '(.steps | map(.step)) == [\"in_conversation\",\"closed\",\"contact_attempted\",\"closed\"]' >/dev/null"

# --- the case list in pages ---------------------------------------------------------
# CASE_LIST (08 0b) raw: with case_pages (field 58) each page (of one record
# here) names where the next starts (next_case, field 17); without it (an
# older seinctl) the list comes whole, not as a first page.
cat >"$WORK/caselist.py" <<'PY'
import socket, struct, sys
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        if not n: return out + bytes([b])
        out += bytes([b | 0x80])
def call(path, body):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    s.sendall(struct.pack(">I", len(body)) + body)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        c = s.recv(1 << 20)
        if not c: break
        buf += c
    s.close()
    r, i, n, nxt, ok = buf[4:], 0, 0, "", 0
    while i < len(r):
        tag = 0; sh = 0
        while True:
            b = r[i]; i += 1; tag |= (b & 0x7f) << sh; sh += 7
            if b < 0x80: break
        if tag & 7 == 0:
            v = 0; sh = 0
            while True:
                b = r[i]; i += 1; v |= (b & 0x7f) << sh; sh += 7
                if b < 0x80: break
            ok = v if tag >> 3 == 1 else ok
            continue
        l = 0; sh = 0
        while True:
            b = r[i]; i += 1; l |= (b & 0x7f) << sh; sh += 7
            if b < 0x80: break
        if tag >> 3 == 10: n += 1
        if tag >> 3 == 18: nxt = r[i:i + l].decode()
        i += l
    return ok, n, nxt
path = sys.argv[1]
ok, whole, nxt = call(path, b"\x08\x0b")
pages = total = 0; frm = ""
while True:
    body = b"\x08\x0b" + varint(58 << 3) + b"\x01"
    if frm: body += varint(59 << 3 | 2) + varint(len(frm)) + frm.encode()
    ok2, n, frm = call(path, body)
    pages += 1; total += n
    if not frm or pages > 1000: break
print(ok, whole, "next" if nxt else "-", pages, total)
PY
read -r ok whole nxt pages total < <(python3 "$WORK/caselist.py" "$WORK/gem-cs/control.sock")
echo "case list: whole $whole ($nxt), in $pages pages $total"
check "CASE_LIST in pages of one case record: one page each ($pages pages, $total of $whole records)" \
	bash -c "[ $whole -ge 3 ] && [ $pages = $whole ] && [ $total = $whole ]"
check "... without case_pages (an older seinctl) the whole list, no next page" \
	bash -c "[ $ok = 1 ] && [ $nxt = - ]"
check "... the daemon says its pages are small (a setting for tests)" \
	grep -q "SEINHUIS_TEST_LIST_PAGE_BYTES=1: inbox listings come in pages of 1 bytes instead of 4194304 (a setting for tests), case listings too" "$WORK/gem-cs.log"

# --- taking a signal of a claimed case ------------------------------------------
out=$(as "$U_CW2" inbox ack "$h1" 2>&1)
rc=$?
check "another caseworker may not take a signal of H (claimed by the first): CASE_OWNER, exit 1" bash -c \
	"[ $rc = 1 ] && grep -q \"refused: CASE_OWNER: signal $h1 is in case ${H:0:16}, claimed by '$U_CW1'\" <<<\"\$0\"" "$out"
check "... the signal is still in the inbox" bash -c "inbox_ids gem-cs | grep -qx '$h1'"
check "the owner takes it" bash -c "as $U_CW1 inbox ack $h1 >/dev/null"
out=$(as "$U_CW1" inbox ack "$h1" 2>&1)
check "taking it again: NOT_FOUND, saying it was delivered and taken since" \
	grep -q "refused: NOT_FOUND: no signal $h1 in the inbox (it was delivered, and has been taken or removed since)" <<<"$out"
check "... and its other signal" bash -c "as $U_CW1 inbox ack $h2 >/dev/null"

# Without role groups the owner's claim still holds for inbox ack: only
# root or the daemon's own user pass over it.
as2() { # as2 USER seinctl-args... (the team without role groups)
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
		"$SEINCTL" -s "$WORK/gem2-cs/control.sock" "$@"
}
export -f as2
k1=$(ctl corp-cs send --type arrears --to gem2-cs arrears_kind=rent amount_cents=1000 \
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
	urgency=none creditor_reference=K-1 creditor_contact=desk legal_basis=legal_duty \
	surname=Kok street=Dam house_number=1 postcode="9901 WD" place=Waterdam | awk '{print $2}')
check "no role groups: a signal delivered" wait_until 10 bash -c "inbox_ids gem2-cs | grep -qx '$k1'"
K=$(ctl gem2-cs --json inbox list | jq -r ".[] | select(.message_id==\"$k1\") | .case_key")
as2 "$U_CW1" claim "$K" >/dev/null
out=$(as2 "$U_CW2" inbox ack "$k1" 2>&1)
rc=$?
check "no role groups: another user may not take a signal of a case the first claimed (CASE_OWNER, exit 1)" bash -c \
	"[ $rc = 1 ] && grep -q 'refused: CASE_OWNER: signal $k1 is in case' <<<\"\$0\"" "$out"
out=$(as2 "$U_CW2" case step "$K" contact_attempted 2>&1)
rc=$?
check "no role groups: nor record a step on it (CASE_OWNER, exit 1)" bash -c \
	"[ $rc = 1 ] && grep -q \"refused: CASE_OWNER: the case is claimed by '$U_CW1'; only they or an administrator may record its steps (claim --force takes it over)\" <<<\"\$0\"" "$out"
check "... the owner may" bash -c "as2 $U_CW1 case step $K contact_attempted >/dev/null"
check "... root may" bash -c "ctl gem2-cs inbox ack $k1 >/dev/null"

for p in gem-cs corp-cs nrg-cs gp-cs gem2-cs; do stop $p; done
it_done
