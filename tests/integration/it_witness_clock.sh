#!/usr/bin/env bash
# A store restored together with its audit-head file, and the clock set
# back with it (a virtual machine's snapshot taken back, say): the
# recipient, the witness, hands back a head of the sender's log that was
# signed later than the sender's clock now says. The sender records the
# rollback once, and takes the heads up to that head's time as explained by
# it (witness.c, 7903fbc), so that the same head, handed back at every
# exchange, is not recorded again while the clock is behind it. Only the
# moment a rollback was found is stored, never a later time (4d7b29c), so a
# restart with the clock still behind finds it once more, and again only
# once; so does the first start with the clock put right. The sender's clock is moved by preloading clockshift.c's library;
# half an hour back, so that the recipient's heads, signed by the right
# clock, are not refused as more than an hour ahead.
. "$(dirname "$0")/lib.sh"
if [ -z "${CLOCKSHIFT:-}" ] || [ ! -f "$CLOCKSHIFT" ]; then
	echo "no clock shim (CLOCKSHIFT): it is not built with the sanitizers, whose runtime must be the first library loaded; skipped"
	exit 77
fi
W_SENDER=corp-wc W_RECIPIENT=gem-wc
. "$(dirname "$0")/witness_lib.sh"
it_setup witness_clock
partner gem-wc municipality_debt 17960 "audit_head_interval = 1"
partner corp-wc landlord 17961 "audit_head_interval = 1" "checkpoint_ms = 100"
trust_all
start gem-wc
start corp-wc
SHIFT_S=-1800
# start_back ID: start ID with its clock SHIFT_S seconds off
start_back() { WRAP="env LD_PRELOAD=$CLOCKSHIFT SH_CLOCK_SHIFT_S=$SHIFT_S" start "$1"; }
# rolled N: the sender's log records N rollbacks of itself, its log says so
# N times, and audit verify notes N
rolled() {
	[ "$(count corp-wc --event log_rolled_back)" = "$1" ] &&
		[ "$(grep -c 'seinhuisd\[error\] audit: partner gem-wc keeps a tree head of this log' "$WORK/corp-wc.log")" = "$1" ] &&
		ctl corp-wc --json audit verify | jq -e ".ok and .rollbacks == $1" >/dev/null
}
# exchanges: five more signals, a second apart, and answers from the
# recipient after them (each carries back the head of ours it keeps)
exchanges() {
	local n since
	since=$(peer_field corp-wc gem-wc witnessed_ms)
	for n in 1 2 3 4 5; do
		send_n 1 || return 1
		sleep 1
	done
	wait_until 15 bash -c "[ \"\$(peer_field corp-wc gem-wc witnessed_ms)\" -gt $((since + 3000)) ]"
}

check "3 signals delivered" send_n 3
check "after the backup, 10 more delivered, and the recipient keeps a head of the sender's log beyond the backup's entries" \
	outgrow_backup
big=$(peer_field gem-wc corp-wc witnessed_size)
signed=$(peer_field gem-wc corp-wc witnessed_ms)
restore corp-wc
start_back corp-wc
check "the restored sender runs half an hour back (its newest audit entry)" bash -c \
	"t=\$(alist corp-wc | jq '.[-1].time_us / 1000 | floor'); now=\$(date +%s%3N); [ \$((now - t)) -gt 1790000 ] && [ \$((now - t)) -lt 1900000 ]"
check "the start reports the restored audit-head file as signed after now" \
	grep -q "audit-head says its tree head was signed .*, after now .*: the file was altered or the clock set back; that time is not used" "$WORK/corp-wc.log"
check "... and finds no rollback: the file came back with the log" rolled 0
check "a signal sent after the restore is delivered" send_n 1
check "the sender finds its log rolled back against the head the recipient kept, signed after its clock's now" \
	wait_until 15 rolled 1
check "... naming the witness and the $big entries of that head" bash -c \
	"alist corp-wc --event log_rolled_back | jq -e '.[0].partner == \"gem-wc\" and (.[0].detail | test(\"over $big entries\"))' >/dev/null"
check "... found at the sender's clock's time, before that head was signed" bash -c \
	"t=\$(status_field corp-wc audit_rolled_back_ms); [ \"\$t\" -gt 0 ] && [ \"\$t\" -lt $signed ]"
check "more exchanges: the recipient's answers keep coming back" exchanges
check "... and the same head handed back again is explained: still one rollback (records, error lines, audit verify)" rolled 1
check "audit verify notes the one rollback and when it was found" bash -c \
	"ctl corp-wc audit verify | grep -q '^  note: the log records 1 rollback of itself (log_rolled_back), the latest $(date -u +%Y)-.*Z: a restored or replaced data store'"
check "the recipient still keeps the head it had (the sender's since are older by their time)" \
	[ "$(peer_field gem-wc corp-wc witnessed_size)" = "$big" ]

# Only the moment it was found is stored: after a restart with the clock
# still behind that head, it is found once more, and again only once.
stop corp-wc
start_back corp-wc
check "a restart with the clock still back, and a signal delivered" send_n 1
check "... finds it once more" wait_until 15 rolled 2
check "more exchanges after the restart" exchanges
check "... and it is not found again: two rollbacks" rolled 2

# The clock put right: the time stored is still before that head's, so the
# head, handed back again, is found once more; after that it is explained
# for good. (By now the log has grown past that head's size: the recipient
# keeps the sender's newer heads and cannot tell that the log went back in
# between, without a consistency proof; witness.c says so.)
stop corp-wc
start corp-wc
check "with the clock put right, a signal delivered" send_n 1
check "... the rollback is found once more" wait_until 15 rolled 3
check "more exchanges with the clock right" exchanges
check "... and it is not found again: three rollbacks" rolled 3
check "the recipient keeps the sender's heads signed since" bash -c \
	"[ \"\$(peer_field gem-wc corp-wc witnessed_ms)\" -gt $signed ]"
check "the sender's log verifies" ctl corp-wc audit verify
it_done
