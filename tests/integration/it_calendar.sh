#!/usr/bin/env bash
# "Today", for the catalogue's dates ("past") and for the clear-text screen
# ("a full date before today"), is the Dutch calendar date, whatever time
# zone the machine is set to; and at the recipient it is the Dutch date of
# the signal's creation, not the day it arrives, so that a signal its
# sender accepted is judged the same way after a wait. The daemons' clocks
# are moved (clockshift.c) to 10:30 UTC of a day D: the Netherlands are on
# D, a sender set to Pacific/Kiritimati (UTC+14) already on D+1, a
# recipient set to Pacific/Pago_Pago (UTC-11) still on D-1. And the debt-
# help team's due dates, part of the day and monitor dates (below).
. "$(dirname "$0")/lib.sh"
if [ -z "${CLOCKSHIFT:-}" ] || [ ! -f "$CLOCKSHIFT" ]; then
	echo "no clock shim (CLOCKSHIFT): it is not built with the sanitizers, whose runtime must be the first library loaded; skipped"
	exit 77
fi
it_setup calendar
partner gem-ca municipality_debt 17391
partner corp-ca landlord 17392
partner vt-ca veilig_thuis 17393
partner team-ca municipality_team 17394
partner late-ca municipality_debt 17395
partner gem-du municipality_debt 17396
partner corp-du landlord 17397
trust_all
now=$(date -u +%s)
at=$(((now / 86400 + 1) * 86400 + 37800)) # 10:30 UTC tomorrow
S=$((at - now))
D=$(date -u -d "@$at" +%F)
D1=$(date -u -d "@$((at + 86400))" +%F)
# start_in ID ZONE SHIFT: ID started in time zone ZONE, its clock SHIFT s on
start_in() {
	WRAP="env TZ=$2 LD_PRELOAD=$CLOCKSHIFT SH_CLOCK_SHIFT_S=$3" start "$1"
}
start_in gem-ca Pacific/Pago_Pago $S
start_in corp-ca Pacific/Kiritimati $S
start_in vt-ca UTC $S

base=(legal_basis=legal_duty arrears_kind=rent amount_cents=100
	arrears_since=2026-09-01 contact_attempt_date=2026-10-01
	urgency=none creditor_contact=desk surname=Jansen street=Kade
	house_number=5 "postcode=1234 AB" place=Stad)
rc=0
out=$(ctl corp-ca send --type arrears --to gem-ca "${base[@]}" reminder_date="$D1" 2>&1) || rc=$?
check "a sender whose machine is a day ahead of the Netherlands refuses a reminder_date of its local today ($rc)" \
	bash -c "[ $rc = 1 ] && grep -q \"FIELD_FUTURE: field 'reminder_date'\" <<<\"\$0\"" "$out"
out=$(ctl corp-ca send --type arrears --to gem-ca "${base[@]}" reminder_date="$D")
id=${out#accepted }
check "it accepts the Dutch today" [ ${#id} = 32 ]
check "... and a recipient whose machine is a day behind delivers it" \
	wait_until 15 bash -c "inbox_ids gem-ca | grep -qx $id"
check "... not quarantined there" bash -c "ctl gem-ca --json quarantine list | json_has 'length == 0'"

# A signal waits in the outbox; its recipient comes on later.
appt=$(date -u -d "@$((at + 2 * 86400))" +%-d-%-m-%Y)
out=$(ctl vt-ca send --type vt_notice --to team-ca legal_basis=legal_task \
	report_id=0123456789abcdef0123456789abcdef status=handed_over \
	"next_step=huisbezoek op $appt" "contact_point=VT desk")
nid=${out#accepted }
check "Veilig Thuis accepts a notice naming an appointment in two days" [ ${#nid} = 32 ]
ref="INC-$(date -u -d "@$at" +%d-%m-%Y)-0042"
out=$(ctl corp-ca send --type arrears --to late-ca "${base[@]}" reminder_date="$D" "creditor_reference=$ref")
rid=${out#accepted }
check "a creditor accepts a reference holding today's date" [ ${#rid} = 32 ]
start_in team-ca UTC $((S + 3 * 86400))
start_in late-ca UTC $((S + 86400))
check "the notice, delivered three days later, when that date has passed, is delivered" \
	wait_until 20 bash -c "inbox_ids team-ca | grep -qx $nid"
check "the reference, delivered a day later, is delivered" \
	wait_until 20 bash -c "inbox_ids late-ca | grep -qx $rid"
check "nothing was quarantined" bash -c \
	"ctl team-ca --json quarantine list | json_has 'length == 0' && ctl late-ca --json quarantine list | json_has 'length == 0'"

# --- the debt-help team's dates: the Dutch calendar -------------------------
# Due dates, the part of the day of a contact attempt, case monitor dates
# and its --since/--until follow the Dutch calendar in seinctl and the
# daemon, whatever zone either runs in; 3 working days skip weekends and
# public holidays; the overdue come first. A team on Pacific/Kiritimati
# (UTC+14) and a landlord, both clocks moved to three moments in turn.
shift_to() { echo $(($1 - $(date -u +%s))); } # the shift that makes now $1
evict() {                                     # evict HOUSE AMOUNT: message id
	ctl corp-du send --type arrears --to gem-du legal_basis=legal_duty \
		arrears_kind=rent amount_cents="$2" arrears_since=2026-09-01 \
		contact_attempt_date=2026-10-01 reminder_date=2026-10-15 urgency=eviction \
		creditor_contact=desk creditor_reference="HUUR-$1-$2" \
		surname=Jansen street=Kade house_number="$1" "postcode=1234 AB" \
		place=Stad | awk '{print $2}'
}
key_of() { ctl gem-du --json inbox list | jq -r ".[] | select(.message_id==\"$1\") | .case_key"; }
phase() { # phase EPOCH: both daemons (re)started with their clocks at EPOCH
	local s
	s=$(shift_to "$1")
	[ -n "${IT_PIDS[gem-du]:-}" ] && stop gem-du && stop corp-du
	start_in gem-du Pacific/Kiritimati "$s"
	start_in corp-du UTC "$s"
}
# A: Friday 2026-12-11 23:30 UTC, Saturday 00:30 in the Netherlands
phase 1797031800
ida=$(evict 11 50000)
check "A: delivered" wait_until 20 bash -c "inbox_ids gem-du | grep -qx '$ida'"
KA=$(key_of "$ida")
for z in UTC America/New_York Europe/Amsterdam; do
	check "A, arriving Saturday 00:30 in the Netherlands, is due 3 working days later, Wednesday 00:30 (4 days), seinctl in $z" \
		bash -c "TZ=$z ctl gem-du --json inbox | json_has '.[0] | .due_ms - .newest_ms == 345600000'"
done
check "... shown as 2026-12-16 00:30 to seinctl in UTC" bash -c \
	"TZ=UTC ctl gem-du inbox | grep -E '^${KA:0:16} ' | grep -qE '  2026-12-16 00:3[0-9]  '"
check "case monitor in UTC: A received 2026-12-12, within --since 2026-12-12 --until 2026-12-13" bash -c \
	"[ \"\$(TZ=UTC ctl gem-du case monitor --format csv --since 2026-12-12 --until 2026-12-13 | tail -n +2 | cut -d, -f2)\" = '\"2026-12-12\"' ]"
check "... and not within --since 2026-12-11 --until 2026-12-12" bash -c \
	"[ ${#KA} = 64 ] && TZ=UTC ctl gem-du case monitor --since 2026-12-11 --until 2026-12-12 | grep -q '^signals     0 arrears'"
ctl gem-du claim "$KA" >/dev/null
ctl_nl() { TZ=Europe/Amsterdam ctl "$@"; }
ctl_nl gem-du case step "$KA" contact_attempted --how phone --reached no --at 2026-12-11T12:30 >/dev/null
TZ=UTC ctl gem-du case step "$KA" contact_attempted --how visit --reached no --at 2026-12-11T08:00 >/dev/null
check "--at is Dutch time: 12:30 (seinctl in Europe/Amsterdam) is in the afternoon, 08:00 (seinctl in UTC) in the morning, at a daemon in UTC+14" \
	bash -c "ctl gem-du --json case show $KA | json_has '[.steps[] | select(.step == \"contact_attempted\") | .part_of_day] == [\"afternoon\", \"morning\"]'"
check "... their times are those moments (11:30 and 07:00 UTC)" \
	bash -c "ctl gem-du --json case show $KA | json_has '[.steps[] | select(.step == \"contact_attempted\") | .attempt_ms] == [1796988600000, 1796972400000]'"
check "case monitor --attempts in UTC: both dated 2026-12-11" bash -c \
	"[ \"\$(TZ=UTC ctl gem-du case monitor --format csv --attempts --since 2026-12-11 --until 2026-12-12 | tail -n +2 | cut -d, -f2,5 | sort | tr '\n' ' ')\" = '\"2026-12-11\",\"afternoon\" \"2026-12-11\",\"morning\" ' ]"
# B: Wednesday 2026-12-23 10:00 CET; Christmas on Friday and Saturday
phase 1798016400
idb=$(evict 12 50000)
check "B: delivered" wait_until 20 bash -c "inbox_ids gem-du | grep -qx '$idb'"
KB=$(key_of "$idb")
check "B, arriving Wednesday 23 December 10:00, is due Tuesday 29 December 10:00 (Christmas Day is no working day)" \
	bash -c "TZ=UTC ctl gem-du --json inbox | json_has '.[] | select(.case_key == \"$KB\") | .due_ms - .newest_ms == 518400000' &&
	 TZ=UTC ctl gem-du inbox | grep -E '^${KB:0:16} ' | grep -qE '  2026-12-29 10:0[0-9]  '"
# C: Thursday 2026-12-24 10:00 CET, arrears rising (a higher score than B)
phase 1798102800
idc1=$(evict 13 40000)
sleep 0.05
idc2=$(evict 13 60000)
check "C: delivered" wait_until 20 bash -c "inbox_ids gem-du | grep -qx '$idc2' && inbox_ids gem-du | grep -qx '$idc1'"
KC=$(key_of "$idc2")
# seinctl's clock: Tuesday 29 December 12:00 CET, B past due, C not
at_29=(env LD_PRELOAD="$CLOCKSHIFT" SH_CLOCK_SHIFT_S="$(shift_to 1798542000)" TZ=UTC)
order=$("${at_29[@]}" "$SEINCTL" -s "$WORK/gem-du/control.sock" --json inbox | jq -r '[.[].case_key] | join(" ")')
check "the overdue first (A, then B: the earliest due), then C, whose arrears rise but which is not yet due" \
	[ "$order" = "$KA $KB $KC" ]
json=$("${at_29[@]}" "$SEINCTL" -s "$WORK/gem-du/control.sock" --json inbox)
check "--json: A and B overdue, C not (the text listing's !)" json_has \
	"[.[] | {(.case_key): .overdue}] | add == {\"$KA\": true, \"$KB\": true, \"$KC\": false}" <<<"$json"
check "... and case show --json says so too" bash -c \
	"\"\${@}\" -s '$WORK/gem-du/control.sock' --json case show $KB | json_has '.overdue == true and .due_ms > 0'" \
	_ "${at_29[@]}" "$SEINCTL"
text=$("${at_29[@]}" "$SEINCTL" -s "$WORK/gem-du/control.sock" inbox)
check "... B marked past due, C due Wednesday 30 December 10:00, not marked" bash -c \
	"grep -E '^${KB:0:16} ' <<<\"\$0\" | grep -qE '2026-12-29 10:0[0-9] !' &&
	 grep -E '^${KC:0:16} ' <<<\"\$0\" | grep -E '2026-12-30 10:0[0-9]' | grep -qv '!'" "$text"
it_done
