#!/usr/bin/env bash
# Retention: a signal the team has not taken within the catalogue's
# keep_unanswered is removed from the inbox, and a late re-send cannot
# bring it back.
. "$(dirname "$0")/lib.sh"
it_setup retention
sed 's/^keep_unanswered = 6 months$/keep_unanswered = 3 seconds/' "$CATALOGUE" |
	as_user tee "$WORK/short.conf" >/dev/null
partner gem-rt municipality_debt 17281 "catalogue = $WORK/short.conf" "retention_interval = 1"
partner corp-rt landlord 17282
trust_all
start gem-rt
start corp-rt
out=$(send_arrears corp-rt gem-rt 1)
id=${out#accepted }
check "the signal is delivered" wait_until 10 bash -c "[ \"\$(inbox_ids gem-rt)\" = $id ]"
sleep 1
check "it is still there within the retention period" [ "$(inbox_ids gem-rt)" = "$id" ]
check "it is removed after keep_unanswered" wait_until 10 bash -c "[ -z \"\$(inbox_ids gem-rt)\" ]"
check "the removal is logged by message id" grep -q "retention: $id removed from the inbox" "$WORK/gem-rt.log"
check "status shows an empty inbox" [ "$(status_field gem-rt inbox_depth)" = 0 ]
check "the removal is in the audit log, by message id" bash -c \
	"ctl gem-rt --json audit list --event retention_removed | json_has 'length == 1 and .[0].message_id == \"$id\"'"
check "it was delivered before it was removed (audit order)" bash -c \
	"[ \"\$(ctl gem-rt --json audit list --id $id | jq -r '[.[].event]|map(select(. == \"delivered\" or . == \"retention_removed\"))|join(\",\")')\" = delivered,retention_removed ]"
it_done
