#!/usr/bin/env bash
# "Today", for the catalogue's dates ("past") and for the clear-text screen
# ("a full date before today"), is the Dutch calendar date, whatever time
# zone the machine is set to; and at the recipient it is the Dutch date of
# the signal's creation, not the day it arrives, so that a signal its
# sender accepted is judged the same way after a wait. The daemons' clocks
# are moved (clockshift.c) to 10:30 UTC of a day D: the Netherlands are on
# D, a sender set to Pacific/Kiritimati (UTC+14) already on D+1, a
# recipient set to Pacific/Pago_Pago (UTC-11) still on D-1.
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
it_done
