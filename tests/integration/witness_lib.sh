# shellcheck shell=bash
# witness_lib.sh - what the tests of witnessed audit heads share
# (it_witness.sh, it_witness_clock.sh). Source it after lib.sh, with
# W_SENDER and W_RECIPIENT set to the two partners that send_n uses.

alist() { ctl "$1" --json audit list --limit 100000 "${@:2}"; }
count() { alist "$@" | jq length; }
# peer_field ID PARTNER FIELD: a field of ID's status for PARTNER
peer_field() { ctl "$1" --json status | jq -r ".peers[] | select(.partner == \"$2\") | .$3"; }
export -f alist count peer_field

# back_up ID: a copy of ID's data.mdb and audit-head into $WORK/backup-ID,
# made with ID stopped (started again after)
back_up() {
	stop "$1"
	mkdir -p "$WORK/backup-$1"
	cp "$WORK/$1/data/data.mdb" "$WORK/$1/data/audit-head" "$WORK/backup-$1/"
	start "$1"
}
# backup_size ID: the tree size of the backed-up log (its audit-head)
backup_size() { cut -d' ' -f1 "$WORK/backup-$1/audit-head"; }
# restore ID: both files back in place of ID's (stopped), its journal gone
restore() {
	local f
	for f in data.mdb audit-head; do
		cp "$WORK/backup-$1/$f" "$WORK/$1/data/$f"
		chown "$RUN_USER:" "$WORK/$1/data/$f"
	done
	rm -f "$WORK/$1/data/journal"
}

sent=0
# send_n COUNT: COUNT more signals from W_SENDER, all in W_RECIPIENT's inbox
send_n() {
	local last=$((sent + $1))
	while [ "$sent" -lt "$last" ]; do
		sent=$((sent + 1))
		send_arrears "$W_SENDER" "$W_RECIPIENT" "$sent" >/dev/null
	done
	wait_until 20 bash -c "[ \$(inbox_ids $W_RECIPIENT | wc -l) = $sent ]"
}

# outgrow_backup: W_SENDER backed up, COUNT (10) more signals delivered, until
# W_RECIPIENT keeps a head of the sender's log over entries a restore of
# that backup takes away (heads are signed each second while the log
# grows); the sender is left stopped, its log at the size of that head
outgrow_backup() {
	local b
	back_up "$W_SENDER"
	b=$(backup_size "$W_SENDER")
	send_n "${1:-10}" &&
		wait_until 20 bash -c "[ \"\$(peer_field $W_RECIPIENT $W_SENDER witnessed_size)\" -gt $((b + ${1:-10})) ]"
	local rc=$?
	stop "$W_SENDER"
	return $rc
}
