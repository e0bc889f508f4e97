#!/usr/bin/env bash
# Backup and restore, as seinhuisd(8) and the README describe them: a copy
# of a running sender's data.mdb made with mdb_copy (the last checkpoint),
# restored after the signals it held as pending were delivered. The
# restored store passes seinhuisd -t, the sender sends those signals again,
# the recipient answers them as duplicates, and its inbox holds every signal
# exactly once. A journal left beside a restored data.mdb is not replayed
# into it (its records belong to a later checkpoint). A backup of the
# recipient made with the daemon stopped restores its inbox as it was.
# A restore takes the audit log back with the store: each daemon notices it
# at start-up against the last tree head it keeps beside the store, says so
# and records it in the log (log_rolled_back); a clean restart and a kill
# -9 do not. A consent withdrawn after the backup is valid again in the
# restored register until the partner, which has the withdrawal, answers
# CONSENT_REVOKED to feedback under it, or lists it in its answer to
# seinctl recover: then it is marked revoked, audited.
. "$(dirname "$0")/lib.sh"
it_setup backup
if ! command -v mdb_copy >/dev/null; then
	echo "mdb_copy is not installed (lmdb-utils): skipped"
	exit 77
fi
partner gem-bk municipality_debt 17952
partner corp-bk landlord 17953 "checkpoint_ms = 100"
trust_all
start gem-bk
start corp-bk
declare -a ID=()
for n in 1 2 3 4 5; do
	out=$(send_arrears corp-bk gem-bk "$n")
	ID+=("${out#accepted }")
done
check "5 signals delivered" wait_until 15 bash -c "[ \$(inbox_ids gem-bk | wc -l) = 5 ]"
stop gem-bk
for n in 6 7 8; do
	out=$(send_arrears corp-bk gem-bk "$n")
	ID+=("${out#accepted }")
done
check "with the recipient stopped, 3 more are pending" \
	bash -c "[ \$(outbox_ids corp-bk pending | wc -l) = 3 ]"
# mdb_copy copies the last checkpoint (checkpoint_ms 100): copied until
# the copy's outbox holds the 8 records, the 3 pending among them (a fixed
# 0.5 s counted on a checkpoint, and its syncs, within it)
copied() {
	rm -rf "$WORK/backup-corp" && mkdir -p "$WORK/backup-corp" &&
		mdb_copy "$WORK/corp-bk/data" "$WORK/backup-corp" &&
		mdb_stat -s outbox "$WORK/backup-corp" | grep -qx '  Entries: 8'
}
check "mdb_copy copies the running sender's store, its last checkpoint holding the 3 pending" \
	wait_until 10 copied
start gem-bk
check "the recipient back, the 3 are delivered (8 in its inbox)" \
	wait_until 15 bash -c "[ \$(inbox_ids gem-bk | wc -l) = 8 ]"
check "... and settled at the sender" \
	wait_until 15 bash -c "[ \$(outbox_ids corp-bk delivered | wc -l) = 8 ]"
dup0=$(status_field gem-bk duplicates)
stop corp-bk

# --- restore the sender's backup ---------------------------------------------
restore() { # restore ID BACKUP-DIR [keep-journal]
	cp "$2/data.mdb" "$WORK/$1/data/data.mdb"
	chown "$RUN_USER:" "$WORK/$1/data/data.mdb"
	chmod 600 "$WORK/$1/data/data.mdb"
	[ "${3:-}" = keep-journal ] || rm -f "$WORK/$1/data/journal"
}
# rolled_back ID: the log_rolled_back entries of a daemon's audit log
rolled_back() { ctl "$1" --json audit list --limit 100000 --event log_rolled_back | jq length; }
export -f rolled_back
check "before any restore (after clean restarts), no rollback at either daemon" bash -c \
	"[ \$(rolled_back gem-bk) = 0 ] && [ \$(ctl gem-bk --json audit list --limit 100000 --event stopped | jq length) -ge 1 ] &&
	 ! grep -q 'audit: the log held' '$WORK/corp-bk.log'"
restore corp-bk "$WORK/backup-corp"
check "seinhuisd -t accepts the restored store, with the 3 pending" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/corp-bk.conf' >'$WORK/t.out' 2>&1 && grep -q 'outbox pending 3,' '$WORK/t.out'"
check "... and says the audit log was taken back" \
	grep -q "^seinhuisd: the log held [0-9]* entries at the last tree head signed here" "$WORK/t.out"
start corp-bk
check "the restored sender sends the 3 again; the recipient answers them as duplicates" \
	wait_until 15 bash -c "[ \$(status_field gem-bk duplicates) -ge $((dup0 + 3)) ]"
check "... and the sender settles them: 8 delivered, none pending" \
	wait_until 15 bash -c "[ \$(outbox_ids corp-bk delivered | wc -l) = 8 ] && [ \$(outbox_ids corp-bk pending | wc -l) = 0 ]"
check "the recipient's inbox holds each of the 8 signals exactly once" bash -c \
	"[ \"\$(inbox_ids gem-bk | sort)\" = \"\$(printf '%s\n' ${ID[*]} | sort)\" ]"
check "the restored sender's audit log verifies" ctl corp-bk audit verify
check "the restored sender recorded that its audit log was taken back (log_rolled_back)" bash -c \
	"ctl corp-bk --json audit list --event log_rolled_back | jq -e 'length == 1 and (.[0].detail | test(\"restored from a backup\"))' >/dev/null"
check "... and said so in its log, at the error level" grep -q "seinhuisd\[error\] audit: the log held [0-9]* entries at the last tree head signed here" "$WORK/corp-bk.log"
check "... and in status, where seinctl check warns of it (exit 1)" bash -c \
	"[ \$(status_field corp-bk audit_rolled_back_ms) -gt 0 ] &&
	 out=\$(ctl corp-bk check); rc=\$?; [ \$rc = 1 ] && grep -q 'audit log was found rolled back (a restored store' <<<\"\$out\""
check "... the whole message in status's last errors (not cut)" bash -c \
	"ctl corp-bk --json status | jq -r '.last_errors[]' | grep -q 'audit: the log held .*no longer hold'"
rb=$(status_field corp-bk audit_rolled_back_ms)
stop corp-bk
start corp-bk
check "... and after a clean restart the same day, status and check still say so" bash -c \
	"[ \"\$(status_field corp-bk audit_rolled_back_ms)\" = '$rb' ] && { ctl corp-bk check >/dev/null; [ \$? = 1 ]; }"
stop corp-bk

# --- a journal left beside a restored store ----------------------------------
# The sender's journal now holds turns of later checkpoints; restoring the
# backup again without removing it must not apply them.
restore corp-bk "$WORK/backup-corp" keep-journal
check "with the newer journal beside it, seinhuisd -t still shows the backup (3 pending)" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/corp-bk.conf' 2>&1 | grep -q 'outbox pending 3,'"
start corp-bk
check "... and once started, those are answered as duplicates too" \
	wait_until 15 bash -c "[ \$(status_field gem-bk duplicates) = $((dup0 + 6)) ]"
check "... none pending at the sender" \
	wait_until 15 bash -c "[ \$(outbox_ids corp-bk pending | wc -l) = 0 ]"
check "... and the inbox still holds 8" bash -c "[ \$(inbox_ids gem-bk | wc -l) = 8 ]"

# --- no false alarm: a kill -9 and a clean restart ---------------------------
# After a kill -9 the log holds more than the last head (replayed from the
# journal); that is no rollback.
crash gem-bk
start gem-bk
stop gem-bk
start gem-bk
check "a kill -9 and restarts of the recipient record no log_rolled_back" \
	[ "$(rolled_back gem-bk)" = 0 ]

# --- the recipient, backed up stopped ----------------------------------------
stop gem-bk
mkdir -p "$WORK/backup-gem"
cp "$WORK/gem-bk/data/data.mdb" "$WORK/backup-gem/"
start gem-bk
ctl gem-bk inbox ack "${ID[0]}" >/dev/null
check "the team took one signal: 7 left" bash -c "[ \$(inbox_ids gem-bk | wc -l) = 7 ]"
stop gem-bk
restore gem-bk "$WORK/backup-gem"
start gem-bk
check "the restored recipient's inbox is the backup's: 8 signals" \
	bash -c "[ \$(inbox_ids gem-bk | wc -l) = 8 ]"
check "its audit log verifies" ctl gem-bk audit verify
check "the restored recipient recorded the rollback once, naming the entries gone" bash -c \
	"ctl gem-bk --json audit list --event log_rolled_back | jq -e 'length == 1 and (.[0].detail | test(\"entries [0-9]+ to [0-9]+ are not in it\"))' >/dev/null"
check "... and seinctl status shows it among the last errors" bash -c \
	"ctl gem-bk status | grep -q 'the data store was restored from a backup'"

# --- a consent withdrawn after the backup ------------------------------------
# The restored register holds it as valid again. The creditor, told of the
# withdrawal, answers CONSENT_REVOKED to feedback sent under it; the
# municipality then marks it revoked here, audited, so it is not used again.
resident2='surname=Testpersoon2
postcode=1234 AB
house_number=2'
cref=$(ctl gem-bk consent grant --to corp-bk --purpose collection_pause <<<"$resident2" | awk '{print $2}')
cref2=$(ctl gem-bk consent grant --to corp-bk --purpose collection_pause <<<"$resident2" | awk '{print $2}')
check "the municipality grants two consents for the creditor" [ ${#cref} = 32 -a ${#cref2} = 32 ]
stop gem-bk
mkdir -p "$WORK/backup-gem2"
cp "$WORK/gem-bk/data/data.mdb" "$WORK/backup-gem2/"
start gem-bk
ctl gem-bk consent revoke "$cref" >/dev/null
ctl gem-bk consent revoke "$cref2" >/dev/null
check "both withdrawn after the backup: the revocations are delivered to the creditor" wait_until 15 bash -c \
	"ctl gem-bk --json outbox --state delivered | json_has '[.[] | select(.type == \"consent_revocation\")] | length == 2'"
stop gem-bk
restore gem-bk "$WORK/backup-gem2"
start gem-bk
check "restored, the register holds both as valid again" bash -c \
	"ctl gem-bk consent list | grep '$cref' | grep -q valid && ctl gem-bk consent list | grep '$cref2' | grep -q valid"
fb() { ctl gem-bk send --type status_feedback --to corp-bk signal_id="${ID[1]}" status=help_accepted legal_basis=consent consent_ref="$cref" 2>&1; }
out=$(fb)
fbid=${out#accepted }
check "feedback under it is accepted here" [ ${#fbid} = 32 ]
check "... the creditor rejects it: CONSENT_REVOKED" wait_until 15 bash -c \
	"ctl gem-bk --json outbox --state failed | json_has '.[] | select(.message_id == \"$fbid\" and .rule == \"CONSENT_REVOKED\")'"
check "the municipality then holds the consent as revoked" bash -c "ctl gem-bk consent list | grep '$cref' | grep -q revoked"
check "... audited as consent_revoked by the daemon, naming the answer, without personal data" bash -c \
	"ctl gem-bk --json audit list --event consent_revoked --id $cref | json_has 'length == 1 and (.[0].detail | contains(\"answered CONSENT_REVOKED to signal $fbid\")) and .[0].partner == \"corp-bk\"' &&
	 ! ctl gem-bk --json audit list --event consent_revoked --id $cref | grep -qi 'testpersoon\|teststraat\|1234 \?ab'"
check "... and logged" grep -q "consent $cref for corp-bk was still valid here, but corp-bk answered CONSENT_REVOKED" "$WORK/gem-bk.log"
out=$(fb)
check "feedback under it again is refused here (CONSENT_REVOKED)" grep -q "refused: CONSENT_REVOKED" <<<"$out"
# The other is learnt back from the creditor's answer to seinctl recover.
check "seinctl recover --since backup asks the creditor" bash -c "ctl gem-bk recover --since backup | grep -q '^recover: asked 1 partner(s)'"
check "... whose answer lists the other withdrawn consent: revoked here too" wait_until 15 bash -c \
	"ctl gem-bk consent list | grep '$cref2' | grep -q revoked"
check "... audited, naming the recover answer; the first consent not again" bash -c \
	"ctl gem-bk --json audit list --event consent_revoked --id $cref2 | json_has 'length == 1 and (.[0].detail | contains(\"its answer to seinctl recover\"))' &&
	 ctl gem-bk --json audit list --event consent_revoked --id $cref | json_has 'length == 1'"
stop gem-bk
start gem-bk
check "after a restart both are still revoked" bash -c \
	"ctl gem-bk consent list | grep '$cref' | grep -q revoked && ctl gem-bk consent list | grep '$cref2' | grep -q revoked"
check "the audit log verifies" ctl gem-bk audit verify
it_done
