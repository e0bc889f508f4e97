#!/usr/bin/env bash
# The Veilig Thuis loop: a professional files a meldcode report (meldrecht
# with the weighing recorded, or consent); Veilig Thuis answers the
# reporter with notices and hands the case to the municipality's liaison,
# who receives the notice meant for the local team. Notices carry no
# description of the person. A resident's look-up (audit subject) leaves
# the report out unless asked for: safety comes first.
. "$(dirname "$0")/lib.sh"
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
AUDIT_TAMPER=${AUDIT_TAMPER:-$(dirname "$0")/../../build/tests/integration/audit_tamper}
CTLPAUSE=${CTLPAUSE:-}
it_setup meldcode
partner school-mc professional 17341
partner vt-mc veilig_thuis 17342
partner team-mc municipality_team 17343
# a professional that made no report
partner gp-mc professional 17344
trust_all
# Veilig Thuis's daemon lists its inbox in pages of one signal (a setting
# for tests only, control.c): every listing of it below crosses pages.
start school-mc
SEINHUIS_TEST_LIST_PAGE_BYTES=1 start vt-mc
start team-mc
start gp-mc

report() { # [URGENCY=acute] report EXTRA-FIELDS...
	ctl school-mc send --type meldcode_report --to vt-mc concern_category=child_abuse \
		urgency="${URGENCY:-structural}" reporter_role=school surname=Fictief house_number=4 \
		postcode="9901 WA" description="fictional concern" \
		reporter_contact="school desk" "$@"
}
refused_with() { local rule=$1; shift; report "$@" 2>&1 | grep -q "$rule"; }
check "meldrecht without the weighing outcome is refused" \
	refused_with "CONDITION: field 'justification'" legal_basis=meldrecht steps_taken=1,2,3,4
check "meldrecht before steps 1-4 are taken is refused" \
	refused_with "CONDITION: field 'steps_taken'" legal_basis=meldrecht steps_taken=1,2 justification=structural_unsafety
# The reporter works where the sending partner does (DOMAIN.md, roles): a
# professional's daemon does not report as the wijkteam, nor the local
# team's as a GP (the same check runs at Veilig Thuis: unit_policy).
out=$(ROLE=wijkteam meldcode_send school-mc vt-mc 2>&1) || :
check "a professional's report as the wijkteam is refused, naming the rule: $out" \
	grep -q "CONDITION: field 'reporter_role': must be one of school,gp,youth_health,youth_care,other when sender is professional" <<<"$out"
out=$(ROLE=gp CONTACT="team desk" meldcode_send team-mc vt-mc 2>&1) || :
check "a local team's report as a GP is refused, naming the rule, not the person: $out" bash -c \
	"grep -q \"CONDITION: field 'reporter_role': must be one of wijkteam,other when sender is municipality_team\" <<<\"\$0\" && ! grep -q Fictief <<<\"\$0\"" "$out"
check "a report by a role that may not report is refused" bash -c \
	"ctl vt-mc send --type meldcode_report --to vt-mc legal_basis=meldrecht 2>&1 | grep -q -e SENDER_ROLE -e UNTRUSTED"
out=$(report legal_basis=meldrecht steps_taken=1,2,3,4 justification=structural_unsafety)
rid=${out#accepted }
check "a report under meldrecht with the weighing is accepted" [ ${#rid} = 32 ]
check "Veilig Thuis receives it" wait_until 10 bash -c "[ \"\$(inbox_ids vt-mc)\" = $rid ]"
check "the report's description stays sealed at Veilig Thuis" bash -c \
	"! ctl vt-mc --json inbox show $rid | grep -q 'fictional concern'"
check "cases are the debt-help team's: case list on Veilig Thuis is refused, pointing to inbox list" bash -c \
	"ctl vt-mc case list 2>&1 | grep -q \"refused: USAGE: cases are the debt-help team's (a municipality_debt daemon); this daemon is a veilig_thuis: its signals are listed with 'seinctl inbox list'\""
check "... and so is a claim" bash -c \
	"! ctl vt-mc claim \$(printf '%064d' 0) >/dev/null 2>&1"

notice() { # notice TO STATUS LEVEL [EXTRA...]
	local to=$1 status=$2 level=$3
	shift 3
	ctl vt-mc send --type vt_notice --to "$to" legal_basis=legal_task report_id="$rid" \
		status="$status" escalation_level="$level" contact_point="VT advice line" "$@"
}
check "a notice with a description of the person is refused" bash -c \
	"notice() { ctl vt-mc send --type vt_notice --to school-mc legal_basis=legal_task report_id=$rid status=received contact_point=x description=y; }; notice 2>&1 | grep -q FIELD_UNKNOWN"
check "an escalation level outside 0-4 is refused" bash -c \
	"ctl vt-mc send --type vt_notice --to school-mc legal_basis=legal_task report_id=$rid status=received escalation_level=7 contact_point=x 2>&1 | grep -q FIELD_RANGE"
n1=$(notice school-mc received 1 next_step="safety assessment")
n2=$(notice school-mc assessed 2)
n3=$(notice team-mc handed_over 2 next_step="local team takes over")
check "three notices accepted" [ "${n1%% *}${n2%% *}${n3%% *}" = acceptedacceptedaccepted ]
# A notice has no sealed part: its clear text may not name the resident of
# the report it answers. Veilig Thuis's daemon opens the report in its
# inbox and refuses; the reporter's opens its own copy (outbox, within
# resend_window) and refuses (not quarantines) what a daemon without the
# check sent.
out=$(notice school-mc assessed 2 next_step="huisbezoek bij fictief" 2>&1) || :
check "a notice whose next_step names the report's resident is refused (PERSONAL_DATA), naming no value: $out" bash -c \
	"grep -q \"PERSONAL_DATA: field 'next_step': holds the resident's surname of the signal it refers to\" <<<\"\$0\" && ! grep -qi fictief <<<\"\$0\"" "$out"
out=$(notice team-mc handed_over 2 next_step="gesprek met de familie Fictief" 2>&1) || :
check "... also in a hand-over to the local team" grep -q "PERSONAL_DATA: field 'next_step'" <<<"$out"
out=$(PEER_NOTICE_ID=$rid PEER_NOTICE_STATUS=assessed PEER_NOTICE_NEXT_STEP="bel FICTIEF" PEER_CREATED_SHIFT_MS=0 \
	as_user "$PEER_TOOL" "$WORK/vt-mc/keys" "$WORK/school-mc/keys/card" notice)
check "the reporter refuses such a notice sent without Veilig Thuis's check, naming the field: $out" \
	bash -c "grep -qE '^RECEIPT [0-9a-f]{32} REJECTED PERSONAL_DATA' <<<\"\$0\" && grep -q \"refused: PERSONAL_DATA (field 'next_step': holds the resident's surname of the signal it refers to\" '$WORK/school-mc.log'" "$out"
check "... it is in neither the reporter's inbox nor its quarantine, and the surname is in no log or audit entry" bash -c \
	"[ \"\$(ctl school-mc --json inbox list | jq 'length')\" = 2 ] && [ \"\$(ctl school-mc --json quarantine list | jq 'length')\" = 0 ] && ! grep -qi fictief '$WORK/school-mc.log' '$WORK/vt-mc.log' && ! ctl school-mc --json audit list | grep -qi fictief && ! ctl vt-mc --json audit list | grep -qi fictief"
check "the reporter receives its two notices, referring to its report" wait_until 10 bash -c \
	"ctl school-mc --json inbox list | json_has 'length == 2 and all(.[]; .fields.report_id == \"$rid\" and .type == \"vt_notice\")'"
check "the reporter's outbox shows where its report stands: the latest notice's status" bash -c \
	"ctl school-mc --json outbox | json_has '.[] | select(.message_id==\"$rid\" and .feedback.status==\"assessed\")' &&
	 ctl school-mc outbox | grep '$rid' | grep -q 'feedback: assessed'"
check "inbox show of a notice says it names no resident (it has no sealed part)" bash -c \
	"ctl school-mc inbox show ${n1#accepted } | grep -qx '(it names no resident)'"
check "... while Veilig Thuis's view of the report says its personal data stays sealed" bash -c \
	"ctl vt-mc inbox show $rid | grep -q '^(personal data stays sealed'"
check "in order: received, then assessed" bash -c \
	"[ \"\$(ctl school-mc --json inbox list | jq -r '[.[].fields.status]|join(\",\")')\" = received,assessed ]"
check "the municipality's liaison receives the hand-over notice" wait_until 10 bash -c \
	"ctl team-mc --json inbox list | json_has 'length == 1 and .[0].fields.status == \"handed_over\" and .[0].fields.escalation_level == \"2\"'"
check "the hand-over names the next step" bash -c \
	"ctl team-mc --json inbox list | json_has '.[0].fields.next_step == \"local team takes over\"'"

# --- notices out of order: the outbox keeps the newest ----------------------
# peer_tool speaks for vt-mc (with its keys): a notice "closed" created now,
# then one "investigating" created a minute earlier, as one that waited to
# be sent again (after a lost connection, a recover) can come after a newer
# one. Both are delivered and audited; the report's outbox record keeps
# the one created last.
vt_notice() { # vt_notice STATUS CREATED-SHIFT-MS
	PEER_NOTICE_ID=$rid PEER_NOTICE_STATUS=$1 PEER_CREATED_SHIFT_MS=$2 \
		as_user "$PEER_TOOL" "$WORK/vt-mc/keys" "$WORK/school-mc/keys/card" notice
}
out=$(vt_notice closed 0)
check "a newer notice (closed) is delivered" grep -qE '^RECEIPT [0-9a-f]{32} DELIVERED' <<<"$out"
check "... and noted on the report" bash -c \
	"ctl school-mc --json outbox | json_has '.[] | select(.message_id==\"$rid\" and .feedback.status==\"closed\")'"
out=$(vt_notice investigating -60000)
old_notice=$(awk '/^SENT/ {print $2}' <<<"$out")
check "an older notice (investigating) arriving after it is delivered too" \
	grep -qE "^RECEIPT $old_notice DELIVERED" <<<"$out"
check "... into the reporter's inbox" bash -c "inbox_ids school-mc | grep -qx $old_notice"
check "... and audited as received and delivered" bash -c \
	"[ \$(ctl school-mc --json audit list --id $old_notice | jq '[.[] | select(.event==\"received\" or .event==\"delivered\")] | length') = 2 ]"
check "the outbox still shows the newest status, closed, not the older one that came last" bash -c \
	"ctl school-mc --json outbox | json_has '.[] | select(.message_id==\"$rid\" and .feedback.status==\"closed\")' &&
	 ctl school-mc outbox | grep '$rid' | grep -q 'feedback: closed'"
check "the reporter's log says the older notice was not noted" \
	grep -q "outbox: $rid keeps its answer closed; $old_notice from vt-mc (investigating) was created before it" "$WORK/school-mc.log"
# A notice dated ahead (Veilig Thuis's clock runs 4 minutes fast; the wire
# allows 5) counts as made now: it does not hold off the next one.
out=$(vt_notice assessed 240000)
check "a notice dated 4 minutes ahead is delivered and noted" bash -c \
	"grep -qE '^RECEIPT [0-9a-f]{32} DELIVERED' <<<\"\$0\" &&
	 ctl school-mc --json outbox | json_has '.[] | select(.message_id==\"$rid\" and .feedback.status==\"assessed\")'" "$out"
sleep 0.01
out=$(vt_notice closed 0)
check "... and the notice made after it, at the right time, replaces it" bash -c \
	"grep -qE '^RECEIPT [0-9a-f]{32} DELIVERED' <<<\"\$0\" &&
	 ctl school-mc --json outbox | json_has '.[] | select(.message_id==\"$rid\" and .feedback.status==\"closed\")'" "$out"

# --- a notice goes to the reporter, or to a municipality_team ---------------
# Veilig Thuis refuses a notice to a professional about a report that
# professional did not make (ROUTE), naming the rule; a hand-over to the
# local team needs no report of the team's own.
nobody=0123456789abcdef0123456789abcdef
check "a notice to a professional on a report id Veilig Thuis never received is refused (ROUTE)" bash -c \
	"ctl vt-mc send --type vt_notice --to gp-mc legal_basis=legal_task report_id=$nobody status=handed_over escalation_level=3 contact_point=x 2>&1 | grep -q \"ROUTE: field 'report_id'\""
check "a notice to a professional on another partner's report is refused (ROUTE)" bash -c \
	"ctl vt-mc send --type vt_notice --to gp-mc legal_basis=legal_task report_id=$rid status=received contact_point=x 2>&1 | grep -q \"ROUTE: field 'report_id'.*no meldcode_report from 'gp-mc'\""
check "... a notice to the team on another partner's report (a hand-over) is accepted" bash -c \
	"ctl vt-mc send --type vt_notice --to team-mc legal_basis=legal_task report_id=$rid status=investigating contact_point=x | grep -q '^accepted '"
# What Veilig Thuis's daemon would refuse, sent for it by peer_tool: the
# professional rejects it (ROUTE) and keeps nothing.
tool_notice() { # tool_notice TO REPORT-ID
	PEER_NOTICE_ID=$2 PEER_NOTICE_STATUS=handed_over PEER_CREATED_SHIFT_MS=0 \
		as_user "$PEER_TOOL" "$WORK/vt-mc/keys" "$WORK/$1/keys/card" notice
}
out=$(tool_notice gp-mc "$rid")
check "a professional rejects a notice on a report it did not make (ROUTE)" \
	grep -qE '^RECEIPT [0-9a-f]{32} REJECTED ROUTE' <<<"$out"
out=$(tool_notice school-mc "$nobody")
check "the reporter rejects a notice on a report id it never sent (ROUTE)" \
	grep -qE '^RECEIPT [0-9a-f]{32} REJECTED ROUTE' <<<"$out"
check "... neither is in an inbox" bash -c \
	"[ \"\$(inbox_ids gp-mc | wc -l)\" = 0 ] && ! ctl school-mc --json inbox list | jq -r '.[].fields.report_id' | grep -q $nobody"
out=$(tool_notice team-mc "$nobody")
check "a municipality_team takes a hand-over on a report it did not make" \
	grep -qE '^RECEIPT [0-9a-f]{32} DELIVERED' <<<"$out"

# --- Veilig Thuis's inbox: acute reports first ------------------------------
# Arrival: rid s1 s2 s3 a1 s4 a2. Listed: a1 a2, then rid s1 s2 s3 s4, each
# page one signal, so the listing crosses six page boundaries, one of them
# between the two passes (acute reports, then the others).
for i in 1 2 3; do
	out=$(report legal_basis=meldrecht steps_taken=1,2,3,4 justification=structural_unsafety)
	s[i]=${out#accepted }
done
out=$(URGENCY=acute report legal_basis=meldrecht steps_taken=1,2,3,4 justification=acute_unsafety)
a[1]=${out#accepted }
out=$(report legal_basis=meldrecht steps_taken=1,2,3,4 justification=structural_unsafety)
s[4]=${out#accepted }
out=$(URGENCY=acute report legal_basis=meldrecht steps_taken=1,2,3,4 justification=acute_unsafety)
a[2]=${out#accepted }
check "four structural reports and two acute ones arrive at Veilig Thuis" wait_until 20 bash -c \
	"[ \$(inbox_ids vt-mc | wc -l) = 7 ] && inbox_ids vt-mc | grep -qx '${a[2]}'"
# listed VT-ARGS...: the message ids seinctl lists, in its order, from the
# text (the first column) or, with --json first, from the JSON
listed() {
	if [ "$1" = --json ]; then
		timeout 20 "$SEINCTL" -s "$WORK/vt-mc/control.sock" "$@" | jq -r '[.[].message_id] | join(" ")'
	else
		timeout 20 "$SEINCTL" -s "$WORK/vt-mc/control.sock" "$@" | awk 'NR > 1 && NF > 2 {print $1}' | paste -sd ' '
	fi
}
all="${a[1]} ${a[2]} $rid ${s[1]} ${s[2]} ${s[3]} ${s[4]}"
check "inbox list, page by page: the acute reports first, then the others by arrival, each once" \
	[ "$(listed inbox list)" = "$all" ]
check "... its urgency column says acute for the first two and only those" bash -c \
	"[ \"\$(ctl vt-mc inbox list | awk 'NR > 1 && NF > 2 {print \$NF}' | paste -sd ' ')\" = 'acute acute structural structural structural structural structural' ]"
check "--json lists in the same order, each once" [ "$(listed --json inbox list)" = "$all" ]
check "--limit 1 takes the first acute report, though it arrived fifth" \
	[ "$(listed --json inbox list --limit 1)" = "${a[1]}" ]
check "--limit 3: both acute reports and the oldest structural one (across the passes)" \
	[ "$(listed --json inbox list --limit 3)" = "${a[1]} ${a[2]} $rid" ]
check "--limit 5 in text: the same order, cut after five" \
	[ "$(listed inbox list --limit 5)" = "${a[1]} ${a[2]} $rid ${s[1]} ${s[2]}" ]
# pages: how many pages (connections) vt-mc's inbox list takes (ctlpause.c)
pages() {
	rm -rf "$WORK/pages"
	mkdir -p "$WORK/pages"
	timeout 20 env LD_PRELOAD="$CTLPAUSE" CTLPAUSE_SOCK="$WORK/vt-mc/control.sock" \
		CTLPAUSE_DIR="$WORK/pages" CTLPAUSE_AT=0 "$SEINCTL" -s "$WORK/vt-mc/control.sock" inbox list >/dev/null
	cat "$WORK/pages/count" 2>/dev/null
}
if [ -n "$CTLPAUSE" ]; then
	check "that listing came in seven pages of one signal (SEINHUIS_TEST_LIST_PAGE_BYTES=1)" [ "$(pages)" = 7 ]
fi
check "the daemon's log says it lists in pages of a test's size" \
	grep -q "SEINHUIS_TEST_LIST_PAGE_BYTES=1: inbox listings come in pages of 1 bytes instead of 4194304 (a setting for tests)" "$WORK/vt-mc.log"

# --- an acute report that arrives while a listing is read ------------------
# seinctl is held (ctlpause.c) before page AT, after the first pass has
# passed; an acute report is sent and delivered meanwhile. It must not
# vanish from that listing: seinctl shows it with the acute reports at the
# top and says on stderr that it arrived meanwhile. Not in the sanitizer
# builds, where the library cannot be preloaded.
paused_list() { # paused_list AT OUT ERR SEINCTL-ARGS...; the new report's id in $late
	local at=$1 out=$2 err=$3 dir=$WORK/pause pid
	shift 3
	rm -rf "$dir"
	mkdir -p "$dir"
	timeout 60 env LD_PRELOAD="$CTLPAUSE" CTLPAUSE_SOCK="$WORK/vt-mc/control.sock" \
		CTLPAUSE_DIR="$dir" CTLPAUSE_AT="$at" \
		"$SEINCTL" -s "$WORK/vt-mc/control.sock" "$@" >"$out" 2>"$err" &
	pid=$!
	wait_until 20 test -e "$dir/paused" || fail "seinctl was not held before page $at"
	late=$(URGENCY=acute report legal_basis=meldrecht steps_taken=1,2,3,4 justification=acute_unsafety)
	late=${late#accepted }
	wait_until 20 bash -c "inbox_ids vt-mc | grep -qx '$late'" || fail "the late report was not delivered"
	touch "$dir/go"
	wait "$pid" || fail "the held seinctl failed"
}
if [ -z "$CTLPAUSE" ]; then
	echo "# skipped: acute reports arriving during a listing (CTLPAUSE not set: a sanitizer build)"
else
	# pages: a1 | a2 (the first pass ends) | rid (acute_until) | held
	paused_list 4 "$WORK/late.out" "$WORK/late.err" inbox list
	a[3]=$late
	check "an acute report that arrived after the first pass is in the listing, with the acute reports at the top" \
		[ "$(awk 'NR > 1 && NF > 2 {print $1}' "$WORK/late.out" | paste -sd ' ')" = "${a[1]} ${a[2]} ${a[3]} $rid ${s[1]} ${s[2]} ${s[3]} ${s[4]}" ]
	check "... the listing counts 8 signals" grep -qx "8 signals" "$WORK/late.out"
	check "... and stderr says that it arrived while the list was read" grep -qx \
		"seinctl: note: 1 acute report arrived while this list was being read; it is listed with the acute reports at the top" "$WORK/late.err"
	# pages: a1 | a2 | a3 (the first pass ends) | rid | held
	paused_list 5 "$WORK/late.json" "$WORK/late.err" --json inbox list
	a[4]=$late
	check "--json: the same, the late one fourth, each report once" \
		[ "$(jq -r '[.[].message_id] | join(" ")' "$WORK/late.json")" = "${a[1]} ${a[2]} ${a[3]} ${a[4]} $rid ${s[1]} ${s[2]} ${s[3]} ${s[4]}" ]
	check "... with the note on stderr (the JSON stays a plain list)" grep -q \
		"^seinctl: note: 1 acute report arrived while this list was being read" "$WORK/late.err"
	# --limit 6 stops at s1, before the end where the late report lies:
	# pages a1 | a2 | a3 | a4 (the first pass ends) | rid | held | s1
	paused_list 6 "$WORK/late.out" "$WORK/late.err" inbox list --limit 6
	a[5]=$late
	check "--limit 6: the six first signals as they were when the listing began" \
		[ "$(awk 'NR > 1 && NF > 2 {print $1}' "$WORK/late.out" | paste -sd ' ')" = "${a[1]} ${a[2]} ${a[3]} ${a[4]} $rid ${s[1]}" ]
	check "... and stderr says an acute report arrived that it does not show" grep -qx \
		"seinctl: note: 1 acute report arrived while this list was being read and is beyond the 6 signals it shows (its limit); list again to see it first" "$WORK/late.err"
	check "listed again, it is the fifth" \
		[ "$(listed --json inbox list --limit 6)" = "${a[1]} ${a[2]} ${a[3]} ${a[4]} ${a[5]} $rid" ]
fi

# --- the acute mark kept in the inbox record --------------------------------
# A record keeps whether its report is acute, so a listing need not decode
# it. Records of versions before the mark have none: their reports are
# decoded. audit_tamper takes the mark from every record (as those
# versions wrote them) and gives s1 a mark "acute" it does not deserve,
# which shows that the mark is what the listing reads where it is there.
# vt-mc starts again with pages of four signals (an item of a listing is
# 350 to 400 bytes: a page takes signals while it has fewer than 1300), so
# that one page holds the last acute reports and the first others.
stop vt-mc
acutes="${a[1]} ${a[2]}"
if [ -n "$CTLPAUSE" ]; then acutes="$acutes ${a[3]} ${a[4]} ${a[5]}"; fi
as_user "$AUDIT_TAMPER" "$WORK/vt-mc/data" inbox-marks >"$WORK/marks"
marked() { # marked MARK: the ids with that mark, in arrival order
	awk -v m="$1" '$2 == m {print $1}' "$WORK/marks" | paste -sd ' '
}
check "each inbox record was marked at receipt: acute for the acute reports, not for the others" \
	[ "$(marked yes)|$(marked not)|$(marked unnoted)" = "$acutes|$rid ${s[1]} ${s[2]} ${s[3]} ${s[4]}|" ]
as_user "$AUDIT_TAMPER" "$WORK/vt-mc/data" inbox-mark all unnoted >/dev/null || fail "inbox-mark: audit_tamper"
as_user "$AUDIT_TAMPER" "$WORK/vt-mc/data" inbox-mark "${s[1]}" yes >/dev/null || fail "inbox-mark: audit_tamper"
SEINHUIS_TEST_LIST_PAGE_BYTES=1300 start vt-mc
check "records without the mark: their acute reports are still listed first (decoded); the one marked acute with them" \
	[ "$(listed inbox list)" = "${s[1]} $acutes $rid ${s[2]} ${s[3]} ${s[4]}" ]
check "... the same in --json" \
	[ "$(listed --json inbox list)" = "${s[1]} $acutes $rid ${s[2]} ${s[3]} ${s[4]}" ]
if [ -n "$CTLPAUSE" ]; then
	# s1 a1 a2 a3 | a4 a5, rid s2 | s3 s4
	check "... in three pages of four signals, one with both passes" [ "$(pages)" = 3 ]
fi

# --- the resident's right of access, and its safety exception ---------------
printf 'surname=Fictief\npostcode=9901 WA\nhouse_number=4\n' >"$WORK/person"
for p in school-mc vt-mc; do
	out=$(ctl $p audit subject <"$WORK/person" 2>"$WORK/subject.err")
	check "$p: audit subject leaves the meldcode report out" bash -c \
		"grep -q '^Nothing' <<<\"\$0\" && ! grep -qi 'meldcode\|$rid' <<<\"\$0\"" "$out"
	check "$p: ... and tells the administrator on stderr how many entries" \
		grep -Eq "note: [1-9][0-9]* entries about meldcode reports or Veilig Thuis notices are left out" "$WORK/subject.err"
	check "$p: the same in JSON: no entry of the report (the first look-up's own entry only)" bash -c \
		"ctl $p --json audit subject <'$WORK/person' 2>/dev/null | jq -e 'length == 1 and .[0].event == \"subject_access\" and ([.[] | select(.type == \"meldcode_report\" or .message_id == \"$rid\")] | length) == 0' >/dev/null"
	out=$(ctl $p audit subject --with-meldcode <"$WORK/person" 2>"$WORK/subject.err")
	check "$p: with --with-meldcode the report is shown" bash -c \
		"grep -q 'Signal $rid: meldcode report to Veilig Thuis, legal basis: meldrecht' <<<\"\$0\" && [ ! -s '$WORK/subject.err' ]" "$out"
	check "$p: a later look-up without the flag leaves out the one that asked for it, and gives no look-up's counts" bash -c \
		"ctl $p --json audit subject <'$WORK/person' 2>/dev/null | jq -e 'length == 2 and all(.[]; .event == \"subject_access\" and (.outcome | contains(\"meldcode\") | not) and (has(\"detail\") | not))' >/dev/null"
	check "$p: the look-ups are audited, one as asked for with the meldcode entries" bash -c \
		"ctl $p --json audit list --event subject_access | jq -e '(map(select(.outcome == \"listed_with_meldcode\" and (.detail | contains(\"with meldcode\")))) | length) == 1 and length == 4' >/dev/null"
done
check "audit subject with another argument is refused" bash -c \
	"! ctl vt-mc audit subject --with-everything <'$WORK/person' 2>/dev/null"
# Veilig Thuis took the report from its inbox: a later notice to the
# reporter still goes (the reporter's daemon checks it is its report).
ctl vt-mc inbox ack "$rid" >/dev/null || fail "setup: report taken at Veilig Thuis"
out=$(notice school-mc closed 0)
check "a notice on a report Veilig Thuis has taken is accepted" grep -q '^accepted ' <<<"$out"
check "... and delivered to the reporter" wait_until 10 bash -c "inbox_ids school-mc | grep -qx ${out#accepted }"
# The report's sealed part is gone from Veilig Thuis's store; its print (the
# tags of its persons' values) is what a notice on it is compared with.
out=$(notice school-mc closed 0 next_step="dossier FICTIEF gesloten" 2>&1) || :
check "a notice naming the taken report's resident is still refused at Veilig Thuis (its print): $out" \
	grep -q "PERSONAL_DATA: field 'next_step': holds the resident's surname of the signal it refers to" <<<"$out"
out=$(notice school-mc closed 0 next_step="zorgen om Fictief's situatie" 2>&1) || :
check "... and so is one with the surname before an apostrophe: $out" \
	grep -q "PERSONAL_DATA: field 'next_step': holds the resident's surname" <<<"$out"
check "... while the report itself is no longer in Veilig Thuis's inbox" bash -c \
	"ctl vt-mc inbox show $rid 2>&1 | grep -q NOT_FOUND"
# A local team that made a report checks a notice on it as any reporter
# does (it also takes hand-overs of others' reports, unchecked).
out=$(ROLE=wijkteam SURNAME="O'Zonnebloem" HOUSE=7 POSTCODE="9901 WB" CONTACT="team desk" meldcode_send team-mc vt-mc)
trid=${out#accepted }
check "the local team's report arrives at Veilig Thuis" wait_until 10 bash -c "inbox_ids vt-mc | grep -qx $trid"
out=$(notice_to_team() { ctl vt-mc send --type vt_notice --to team-mc legal_basis=legal_task report_id="$trid" \
	status=received contact_point=x "$@" 2>&1; }; notice_to_team next_step="bel Zonnebloem") || :
check "Veilig Thuis refuses a notice naming the team's resident, written without the apostrophe: $out" \
	grep -q "PERSONAL_DATA: field 'next_step'" <<<"$out"
out=$(PEER_NOTICE_ID=$trid PEER_NOTICE_STATUS=received PEER_NOTICE_NEXT_STEP="gesprek met Zonnebloem" PEER_CREATED_SHIFT_MS=0 \
	as_user "$PEER_TOOL" "$WORK/vt-mc/keys" "$WORK/team-mc/keys/card" notice)
check "the local team refuses such a notice on its own report sent without Veilig Thuis's check: $out" \
	grep -qE '^RECEIPT [0-9a-f]{32} REJECTED PERSONAL_DATA' <<<"$out"
it_done
