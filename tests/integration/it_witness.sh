#!/usr/bin/env bash
# Partners keep each other's audit tree heads (witness.c). A sender's data
# store restored together with its audit-head file passes the start-up
# check (the file agrees with the restored log), but the recipient still
# keeps the newer head it was handed before the restore: the sender finds
# its log rolled back when that head comes back to it, and records
# log_rolled_back; the recipient, handed a newer head over fewer entries,
# records partner_log_rolled_back. Neither is recorded twice, nor after a
# kill -9. The same for the recipient's store, found on the other path (the
# sender's frame carries the head it keeps). Heads a partner cannot have
# had from us (signed with another key, or not verifying) are ignored; a
# partner's heads are kept only if they verify, are newer than the one
# kept and not from hours ahead; its log going back is recorded at most
# once an hour, and the head it superseded is handed back beside the
# newest.
. "$(dirname "$0")/lib.sh"
W_SENDER=corp-wi W_RECIPIENT=gem-wi
. "$(dirname "$0")/witness_lib.sh"
it_setup witness
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
partner gem-wi municipality_debt 17958 "audit_head_interval = 1"
partner corp-wi landlord 17959 "audit_head_interval = 1" "checkpoint_ms = 100"
partner tool-wi energy 17949 # peer_tool speaks with its keys
trust_all
start gem-wi
start corp-wi

# --- heads travel both ways --------------------------------------------------
check "3 signals delivered" send_n 3
check "the recipient keeps a head of the sender's log" \
	wait_until 15 bash -c "[ \"\$(peer_field gem-wi corp-wi witnessed_size)\" -gt 0 ]"
check "... and the sender one of the recipient's (in the answer)" \
	wait_until 15 bash -c "[ \"\$(peer_field corp-wi gem-wi witnessed_size)\" -gt 0 ]"
check "seinctl status lists the witnessed logs" bash -c \
	"ctl gem-wi status | grep -A1 'audit logs of partners, as witnessed here' | grep -q 'corp-wi .* entries, signed'"
check "no rollback recorded at either" bash -c \
	"[ \$(count corp-wi --event log_rolled_back) = 0 ] && [ \$(count gem-wi --event partner_log_rolled_back) = 0 ]"

# --- audit verify: what no partner anchors -----------------------------------
# The recipient hands back the head of the sender's log it keeps: audit
# verify names the newest one a partner confirmed holding, and the entries
# beyond it (made while the partner was away) as not anchored by any.
check "audit verify names the newest head a partner confirmed holding" \
	wait_until 15 bash -c "ctl corp-wi audit verify | grep -q '^  anchored: partner gem-wi confirmed holding the head at size [1-9][0-9]* (signed '"
stop gem-wi
printf 'surname=Niemand\npostcode=9999 ZZ\nhouse_number=99\n' | ctl corp-wi audit subject >/dev/null
# The text form is read between two JSON ones; only when both give the
# same size did no entry (a head signed meanwhile) land between them.
for _ in 1 2 3; do
	v=$(ctl corp-wi --json audit verify)
	text=$(ctl corp-wi audit verify)
	n2=$(ctl corp-wi --json audit verify | jq ".entries // 0")
	[ "$(jq ".entries // 0" <<<"$v")" = "$n2" ] && break
done
a=$(jq ".anchored_size // 0" <<<"$v")
n=$(jq ".entries // 0" <<<"$v")
check "  and the entries made since as not yet anchored by any partner ($a of $n anchored)" bash -c \
	"[ $a -gt 0 ] && [ $n -gt $a ] && jq -e '.anchored_by == \"gem-wi\" and .unanchored_entries == $((n - a))' <<<\"\$0\" >/dev/null &&
	 grep -qx '  note: entries $a..$((n - 1)) are not yet anchored by any partner' <<<\"\$1\"" "$v" "$text"
start gem-wi

# --- a kill -9 is no rollback ------------------------------------------------
w_gem=$(peer_field gem-wi corp-wi witnessed_size)
w_corp=$(peer_field corp-wi gem-wi witnessed_size)
for _ in 1 2 3 4 5; do
	sent=$((sent + 1))
	send_arrears corp-wi gem-wi "$sent" >/dev/null
done
crash corp-wi
start corp-wi
check "after a kill -9 of the sender, all $sent delivered" \
	wait_until 20 bash -c "[ \$(inbox_ids gem-wi | wc -l) = $sent ]"
crash gem-wi
start gem-wi
t0=$(date +%s%3N)
check "... and of the recipient, one more" send_n 1
# heads both sign after the restarts go out and come back
check "... after which each keeps a head of the other's log signed since" \
	wait_until 20 bash -c "[ \"\$(peer_field gem-wi corp-wi witnessed_ms)\" -gt $t0 ] && [ \"\$(peer_field corp-wi gem-wi witnessed_ms)\" -gt $t0 ]"
check "... over more entries than before" bash -c \
	"[ \"\$(peer_field gem-wi corp-wi witnessed_size)\" -gt $w_gem ] && [ \"\$(peer_field corp-wi gem-wi witnessed_size)\" -gt $w_corp ]"
check "a kill -9 of either makes no rollback at either" bash -c \
	"[ \$(count corp-wi --event log_rolled_back) = 0 ] && [ \$(count gem-wi --event partner_log_rolled_back) = 0 ] &&
	 [ \$(count gem-wi --event log_rolled_back) = 0 ] && [ \$(count corp-wi --event partner_log_rolled_back) = 0 ]"

# --- the sender's store restored with its audit-head file --------------------
check "after the backup, 10 more delivered, and the recipient keeps a head of the sender's log beyond the backup's entries" \
	outgrow_backup
big=$(peer_field gem-wi corp-wi witnessed_size)
restore corp-wi
check "seinhuisd -t finds nothing wrong: the audit-head file came back too" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/corp-wi.conf' >'$WORK/t.out' 2>&1 && ! grep -q 'the log held' '$WORK/t.out'"
start corp-wi
check "... nor does the start" \
	bash -c "[ \$(count corp-wi --event log_rolled_back) = 0 ]"
# a new signal opens the connection; the recipient hands back the head it kept
sent=$((sent + 1))
send_arrears corp-wi gem-wi "$sent" >/dev/null
check "the sender finds its log rolled back against the recipient's head" \
	wait_until 15 bash -c "[ \$(count corp-wi --event log_rolled_back) = 1 ]"
check "... recorded naming the witness and the entries gone" bash -c \
	"alist corp-wi --event log_rolled_back | jq -e '.[0].partner == \"gem-wi\" and (.[0].detail | test(\"partner gem-wi keeps a tree head of this log .* over $big entries.*entries [0-9]+ to $((big - 1)) are not in it\"))' >/dev/null"
check "... logged at the error level" \
	grep -q "seinhuisd\[error\] audit: partner gem-wi keeps a tree head of this log" "$WORK/corp-wi.log"
check "... in status, where seinctl check warns of it (exit 1)" bash -c \
	"[ \$(status_field corp-wi audit_rolled_back_ms) -gt 0 ] &&
	 out=\$(ctl corp-wi check); rc=\$?; [ \$rc = 1 ] && grep -q 'audit log was found rolled back' <<<\"\$out\""
check "the restored sender's log verifies" ctl corp-wi audit verify
check "... with a note of the rollback it records and when" bash -c \
	"ctl corp-wi audit verify | grep -q '^  note: the log records 1 rollback of itself (log_rolled_back), the latest $(date -u +%Y)-.*Z: a restored or replaced data store'"
check "... also in --json (rollbacks, latest_rollback_time)" bash -c \
	"ctl corp-wi --json audit verify | jq -e '.ok and .rollbacks == 1 and (.latest_rollback_time | test(\"^[0-9-]+T[0-9:.]+Z\$\"))' >/dev/null"
check "a log without rollbacks has no such note" bash -c \
	"ctl gem-wi --json audit verify | jq -e '.rollbacks == 0 and .latest_rollback_time == null' >/dev/null &&
	 ! ctl gem-wi audit verify | grep -q 'rollback'"
check "the recipient records that the sender's log went back (a newer head, fewer entries)" \
	wait_until 15 bash -c "[ \$(count gem-wi --event partner_log_rolled_back) = 1 ]"
check "... naming the sender and both sizes" bash -c \
	"alist gem-wi --event partner_log_rolled_back | jq -e '.[0].partner == \"corp-wi\" and (.[0].detail | test(\"kept here $big: its audit log went back\"))' >/dev/null"
check "... and shows it in status" bash -c \
	"peer_field gem-wi corp-wi last_error | grep -q 'its audit log went back'"
check "the signal sent after the restore is delivered" \
	wait_until 15 bash -c "[ \$(inbox_ids gem-wi | wc -l) = $sent ]"
stop corp-wi
start corp-wi
t1=$(date +%s%3N)
check "after a restart and more signals" send_n 2
check "... and heads signed since handed both ways" \
	wait_until 20 bash -c "[ \"\$(peer_field gem-wi corp-wi witnessed_ms)\" -gt $t1 ] && [ \"\$(peer_field corp-wi gem-wi witnessed_ms)\" -gt $t1 ]"
check "... both are still recorded once (log_rolled_back 1, partner_log_rolled_back 1)" bash -c \
	"[ \$(count corp-wi --event log_rolled_back) = 1 ] && [ \$(count gem-wi --event partner_log_rolled_back) = 1 ]"

# --- the recipient's store restored with its audit-head file -----------------
# The sender dials the recipient; its frames carry the recipient's head it
# keeps, which the restored recipient checks on arrival (the other path).
back_up gem-wi
gsize=$(backup_size gem-wi)
check "after the recipient's backup, 10 more delivered" send_n 10
check "the sender keeps a head of the recipient's log beyond the backup's $gsize entries" \
	wait_until 20 bash -c "[ \"\$(peer_field corp-wi gem-wi witnessed_size)\" -gt $((gsize + 10)) ]"
stop gem-wi
gbig=$(peer_field corp-wi gem-wi witnessed_size)
restore gem-wi
start gem-wi
check "the restored recipient finds its log rolled back against the sender's head ($gbig entries)" \
	wait_until 15 bash -c "alist gem-wi --event log_rolled_back | jq -e 'length == 1 and .[0].partner == \"corp-wi\" and (.[0].detail | test(\"over $gbig entries\"))' >/dev/null"
check "... and the sender, handed its newer head, that the recipient's log went back" \
	wait_until 15 bash -c "[ \$(count corp-wi --event partner_log_rolled_back) = 1 ]"
check "the restored recipient's log verifies" ctl gem-wi audit verify

# --- heads a partner cannot have had, and heads out of order -----------------
probe() { as_user "$PEER_TOOL" "$WORK/tool-wi/keys" "$WORK/gem-wi/keys/card" "$@"; }
export -f probe
export PEER_WAIT_MS=15000 # the answer follows a durable commit
g0=$(count gem-wi --event log_rolled_back)
check "a head of the recipient's log signed with another key is ignored" bash -c \
	"out=\$(probe witness-forged) && grep -q '^WITNESS head [0-9]* witnessed -' <<<\"\$out\""
check "... and so is one naming its key that does not verify" bash -c \
	"out=\$(probe witness-forged-key) && grep -q '^WITNESS head [0-9]* witnessed -' <<<\"\$out\""
check "... neither is taken for a rollback" \
	[ "$(count gem-wi --event log_rolled_back)" = "$g0" ]
now=$(($(date +%s) * 1000))
check "a head of the prober's log that does not verify is not kept" bash -c \
	"out=\$(probe witness-bad) && grep -q '^WITNESS head [0-9]* witnessed -\$' <<<\"\$out\" &&
	 [ \"\$(peer_field gem-wi tool-wi witnessed_size)\" = 0 ] &&
	 grep -q 'peer tool-wi: a tree head of its audit log that does not verify' '$WORK/gem-wi.log'"
check "a valid one is kept (100 entries)" bash -c \
	"PEER_HEAD_MS=$now probe witness >/dev/null && [ \"\$(peer_field gem-wi tool-wi witnessed_size)\" = 100 ]"
check "... and handed back the next time" bash -c \
	"out=\$(PEER_HEAD_MS=$((now + 1)) PEER_HEAD_SIZE=120 probe witness) && grep -q '^WITNESS head [0-9]* witnessed 100\$' <<<\"\$out\""
check "an older one (out of order) is not kept, and records nothing" bash -c \
	"PEER_HEAD_MS=$((now - 1000)) PEER_HEAD_SIZE=50 probe witness >/dev/null &&
	 [ \"\$(peer_field gem-wi tool-wi witnessed_size)\" = 120 ] && [ \$(count gem-wi --event partner_log_rolled_back) = 1 ]"
check "a newer one over as many entries with another root is recorded" bash -c \
	"PEER_HEAD_MS=$((now + 2)) PEER_HEAD_SIZE=120 PEER_HEAD_FILL=2 probe witness >/dev/null &&
	 alist gem-wi --event partner_log_rolled_back | jq -e 'length == 2 and .[1].partner == \"tool-wi\" and (.[1].detail | test(\"120 entries \\\\(other ones\\\\)\"))' >/dev/null"
check "a newer one over fewer entries within the hour is kept, not recorded again" bash -c \
	"PEER_HEAD_MS=$((now + 3)) PEER_HEAD_SIZE=90 probe witness >/dev/null &&
	 [ \$(count gem-wi --event partner_log_rolled_back) = 2 ] && [ \"\$(peer_field gem-wi tool-wi witnessed_size)\" = 90 ]"
check "the superseded head is handed back beside the newest" bash -c \
	"out=\$(PEER_HEAD_MS=$((now + 4)) PEER_HEAD_SIZE=95 probe witness) && grep -q '^WITNESS head [0-9]* witnessed 90 120\$' <<<\"\$out\""
check "a head signed two hours ahead is not kept" bash -c \
	"PEER_HEAD_MS=$((now + 7200000)) PEER_HEAD_SIZE=200 probe witness >/dev/null &&
	 [ \"\$(peer_field gem-wi tool-wi witnessed_size)\" = 95 ]"
check "the recipient's log verifies" ctl gem-wi audit verify

# --- a time far ahead explains no later rollback --------------------------------
# Someone who can write the data directory puts a time in 2100 into
# audit-head, over more entries than the log holds: the start records the
# rollback and reports the time as damage, and rollbacks are explained only
# up to the start, so a later restore is still found by the witness. The
# same for that time written into the store's record of it.
AUDIT_TAMPER=${AUDIT_TAMPER:-$(dirname "$0")/../../build/tests/integration/audit_tamper}
# restored_again N [CMD...]: a backup of corp-wi, 10 signals, the backup
# restored (and CMD run on the stopped daemon's files); a new signal makes
# the witness hand back its head: log_rolled_back N times
restored_again() {
	back_up corp-wi
	local b n
	b=$(backup_size corp-wi)
	for n in $(seq 10); do
		sent=$((sent + 1))
		send_arrears corp-wi gem-wi "$sent" >/dev/null
	done
	wait_until 20 bash -c "[ \"\$(peer_field gem-wi corp-wi witnessed_size)\" -gt $((b + 10)) ]" || return 1
	stop corp-wi
	restore corp-wi
	"${@:2}"
	start corp-wi
	sent=$((sent + 1))
	send_arrears corp-wi gem-wi "$sent" >/dev/null
	wait_until 15 bash -c "[ \$(count corp-wi --event log_rolled_back) = $1 ]"
}
c0=$(count corp-wi --event log_rolled_back)
stop corp-wi
hex=$(cut -d' ' -f2 "$WORK/corp-wi/data/audit-head")
echo "99999 $hex 4102444800000" >"$WORK/corp-wi/data/audit-head"
start corp-wi
check "a head file signed in 2100 is reported as damage" \
	grep -q "audit-head says its tree head was signed 2100-01-01.*, after now .*: the file was altered or the clock set back; that time is not used" "$WORK/corp-wi.log"
check "... and the rollback it shows is recorded" [ "$(count corp-wi --event log_rolled_back)" = $((c0 + 1)) ]
check "a later restore is still found against the recipient's head" restored_again $((c0 + 2))
stop corp-wi
as_user "$AUDIT_TAMPER" "$WORK/corp-wi/data" meta-time audit_explained 4102444800000
start corp-wi
check "a time in 2100 stored as explaining rollbacks is reported and not used" \
	grep -q "audit: the store says a rollback of the log was found or explained up to 2100-01-01.*, and the newest log_rolled_back entry in the log was recorded $(date -u +%Y)-.*: that time is not used" "$WORK/corp-wi.log"
check "... and a later restore is still found" restored_again $((c0 + 3))

# --- a time stored as explaining rollbacks, that the log does not back ---------
# The same with a time before now: the backup restored, and the time the
# restore was made stored as the one up to which rollbacks were found and
# explained. Only the log's newest log_rolled_back entry explains heads a
# partner hands back, so the restore is still found, once.
# (explain_now del: the log's record of its newest log_rolled_back entry
# removed too, so that the daemon looks for it in the whole log)
explain_now() {
	local k
	for k in audit_explained audit_rolled_back; do
		as_user "$AUDIT_TAMPER" "$WORK/corp-wi/data" meta-time "$k" "$(date +%s%3N)" || return 1
	done
	[ "${1:-}" != del ] || as_user "$AUDIT_TAMPER" "$WORK/corp-wi/data" state-del rolled-back
}
t2=$(date +%s%3N)
check "a restore with now stored as explaining rollbacks (audit_explained, audit_rolled_back) is still found" \
	restored_again $((c0 + 4)) explain_now
check "... recorded once since, naming the witness" bash -c \
	"alist corp-wi --event log_rolled_back | jq -e '[.[] | select(.time_us > $t2 * 1000)] | length == 1 and .[0].partner == \"gem-wi\"' >/dev/null"
check "... the stored time reported as not backed by the log" \
	grep -q "audit: the store says a rollback of the log was found or explained up to $(date -u +%Y)-.*, and the newest log_rolled_back entry in the log was recorded .*: that time is not used" "$WORK/corp-wi.log"
check "... audit verify notes the $((c0 + 4)) rollbacks" bash -c \
	"ctl corp-wi audit verify | grep -q '^  note: the log records $((c0 + 4)) rollbacks of itself (log_rolled_back), the latest $(date -u +%Y)-.*Z: a restored or replaced data store'"
check "... and so is one with the log's record of its newest rollback removed too" \
	restored_again $((c0 + 5)) explain_now del
t3=$(date +%s%3N)
stop corp-wi
start corp-wi
# (the signals sent before the restore that had not arrived went with it:
# counted from those that have)
n0=$(inbox_ids gem-wi | wc -l)
for _ in 1 2; do
	sent=$((sent + 1))
	send_arrears corp-wi gem-wi "$sent" >/dev/null
done
check "after a restart, 2 more signals delivered" \
	wait_until 20 bash -c "[ \$(inbox_ids gem-wi | wc -l) -ge $((n0 + 2)) ]"
check "... and heads signed since handed back" \
	wait_until 20 bash -c "[ \"\$(peer_field corp-wi gem-wi witnessed_ms)\" -gt $t3 ] && [ \"\$(peer_field gem-wi corp-wi witnessed_ms)\" -gt $t3 ]"
check "... the rollback is not recorded again" [ "$(count corp-wi --event log_rolled_back)" = $((c0 + 5)) ]
stop corp-wi
check "seinhuisd -t notes the $((c0 + 5)) rollbacks the log records" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/corp-wi.conf' | grep -q '^seinhuisd: note: the log records $((c0 + 5)) rollbacks of itself (log_rolled_back), the latest '"
it_done
