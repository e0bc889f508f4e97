#!/usr/bin/env bash
# Roles on the control socket, with real local users: an administrator may
# query and verify the audit log but is refused on reveal; a caseworker
# may reveal but not query the log; a user with no role and a user not
# allowed on the socket are refused; every refusal and the reveal are in
# the audit log with user and role. Needs root (it creates the users and
# groups, named sh-test-*-PID, and removes them at the end).
. "$(dirname "$0")/lib.sh"
if [ "$EUID" != 0 ]; then
	echo "needs root to create test users: skipped"
	exit 77
fi
it_setup audit-roles
P=$$
ADMIN_GROUP=sh-test-admin-$P CW_GROUP=sh-test-cw-$P MON_GROUP=sh-test-mon-$P
U_ADMIN=sh-test-adm-$P U_CW=sh-test-cwu-$P U_NONE=sh-test-none-$P U_OUT=sh-test-out-$P
U_MON=sh-test-monu-$P
roles_cleanup() {
	local u g
	for u in $U_ADMIN $U_CW $U_NONE $U_OUT $U_MON; do userdel "$u" 2>/dev/null; done
	for g in $ADMIN_GROUP $CW_GROUP $MON_GROUP; do groupdel "$g" 2>/dev/null; done
	it_cleanup
}
trap roles_cleanup EXIT
if ! { groupadd "$ADMIN_GROUP" && groupadd "$CW_GROUP" && groupadd "$MON_GROUP"; }; then
	fail "groupadd"
	exit 1
fi
# Primary group seinhuis: allowed on the socket (control_group). The
# outsider keeps the default group and is not.
if ! { useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$ADMIN_GROUP" "$U_ADMIN" &&
	useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$CW_GROUP" "$U_CW" &&
	useradd -M -N -s /usr/sbin/nologin -g seinhuis "$U_NONE" &&
	useradd -M -N -s /usr/sbin/nologin -g seinhuis -G "$MON_GROUP" "$U_MON" &&
	useradd -M -N -s /usr/sbin/nologin "$U_OUT"; }; then
	fail "useradd"
	exit 1
fi

partner gem-ro municipality_debt 17611 "control_group = seinhuis" \
	"admin_group = $ADMIN_GROUP" "caseworker_group = $CW_GROUP" \
	"monitor_group = $MON_GROUP"
partner corp-ro landlord 17612
trust_all
chmod 711 "$WORK/gem-ro" # the socket's directory, for the test users
start gem-ro
start corp-ro
as() { # as USER seinctl-args...
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- \
		"$SEINCTL" -s "$WORK/gem-ro/control.sock" "$@"
}
export -f as

for n in 1 2; do send_arrears corp-ro gem-ro "$n" >/dev/null; done
check "two signals delivered" wait_until 20 bash -c "[ \$(inbox_ids gem-ro | wc -l) = 2 ]"
mapfile -t ids < <(inbox_ids gem-ro)
reason="contact the resident about debt help"

# --- administrator ---------------------------------------------------------
check "administrator: may verify the audit log" as "$U_ADMIN" audit verify
check "administrator: may list the audit log" bash -c "as $U_ADMIN --json audit list | jq -e 'length > 0' >/dev/null"
check "administrator: may make the report" bash -c "as $U_ADMIN report --csv >/dev/null"
check "administrator: may see the status" bash -c "as $U_ADMIN status >/dev/null"
out=$(as "$U_ADMIN" inbox reveal "${ids[0]}" --reason "$reason" 2>&1)
rc=$?
check "administrator: refused on reveal (exit 1)" [ $rc = 1 ]
check "administrator: the rule is DENIED" grep -q "refused: DENIED" <<<"$out"
check "administrator: the refusal says why" \
	grep -q "revealing personal data is for caseworkers (caseworker_group '$CW_GROUP'); local user '$U_ADMIN' is an administrator" <<<"$out"
check "administrator: no personal data in the refusal" bash -c "! grep -q Testpersoon <<<'$out'"
check "administrator: refused on the inbox too" bash -c "! as $U_ADMIN inbox list >/dev/null 2>&1"

# --- caseworker ------------------------------------------------------------
check "caseworker: may list the inbox" bash -c "as $U_CW inbox list | grep -q '2 signals'"
out=$(as "$U_CW" inbox reveal "${ids[0]}" --reason "$reason")
check "caseworker: reveal allowed, shows the personal data" \
	grep -qE "^surname +Testpersoon" <<<"$out"
# gem-ro signs a head every 300 s (the default): after a reveal one is
# signed at once, for the partners connected to keep (witness.c)
ridx=$(ctl gem-ro --json audit list --event revealed | jq '.[0].index')
check "a tree head covering the reveal is signed at once, not at the next audit_head_interval" \
	wait_until 3 bash -c "[ \$(ctl gem-ro --json audit verify | jq .latest_head_size) -gt $ridx ]"
check "caseworker: reveal without a reason is refused" bash -c \
	"! as $U_CW inbox reveal ${ids[1]} 2>/dev/null"
check "caseworker: a reason that holds personal data is refused" bash -c \
	"as $U_CW inbox reveal ${ids[1]} --reason 'called from 06 12345678' 2>&1 | grep -q 'say why, not who'"
check "caseworker: a reason that names a resident (mw. Qwertyuiop) is refused, and the name is in no audit entry" bash -c \
	"as $U_CW inbox reveal ${ids[1]} --reason 'bellen met mw. Qwertyuiop' 2>&1 | grep -q 'a form of address' &&
	 log=\$(ctl gem-ro audit export --format jsonl) && grep -q '\"reveal' <<<\"\$log\" && ! grep -qi qwertyuiop <<<\"\$log\""
check "caseworker: may take a signal" as "$U_CW" inbox ack "${ids[0]}"
check "the taken entry names the legal basis, the resident key and the household, as the signal's other entries" bash -c \
	"ctl gem-ro --json audit list --event taken --id ${ids[0]} | jq -e '.[0] | .legal_basis == \"legal_duty\" and (.case_key | length) == 64 and (.household | length) == 64 and .user == \"$U_CW\"' >/dev/null &&
	 [ \"\$(ctl gem-ro --json audit list --id ${ids[0]} | jq -r '[.[] | select(.event==\"delivered\" or .event==\"taken\") | .case_key] | unique | length')\" = 1 ]"
out=$(as "$U_CW" audit list 2>&1)
check "caseworker: refused on the audit log" \
	grep -q "audit_list is for administrators (admin_group '$ADMIN_GROUP')" <<<"$out"

# --- monitor: the status only (a monitoring system's seinctl check) ----------
out=$(as "$U_MON" check 2>&1)
rc=$?
check "monitor: seinctl check answers (exit $rc): $out" \
	bash -c "[ $rc -le 1 ] && grep -qE '^SEINHUIS (OK|WARNING) - gem-ro ' <<<\"\$0\"" "$out"
check "monitor: may see the status" bash -c "as $U_MON --json status | jq -e '.partner == \"gem-ro\" and (.peers | length) == 1' >/dev/null"
out=$(as "$U_MON" inbox list 2>&1)
rc=$?
check "monitor: refused on the inbox (exit $rc), saying why" \
	bash -c "[ $rc = 1 ] && grep -q \"refused: DENIED: local user '$U_MON' is a monitor (monitor_group '$MON_GROUP'): it may ask the status only, not inbox_list\" <<<\"\$0\"" "$out"
check "monitor: refused on the outbox, the audit log and sending" bash -c \
	"! as $U_MON outbox >/dev/null 2>&1 && ! as $U_MON audit list >/dev/null 2>&1 &&
	 ! as $U_MON send --type arrears --to corp-ro arrears_kind=rent >/dev/null 2>&1"
# A caller refused again and again (a loop in a monitoring script, or on
# purpose) cannot fill the store with refusals: the same request refused to
# the same user is recorded once a minute, the rest counted.
mon_denied() { ctl gem-ro --json audit list --event access_denied | jq "[.[]|select(.user==\"$U_MON\")]|length"; }
before=$(mon_denied)
for _ in $(seq 1 100); do as "$U_MON" inbox list >/dev/null 2>&1; done
out=$(as "$U_MON" inbox list 2>&1)
after=$(mon_denied)
check "monitor: 101 more refused inbox lists add at most one audit entry ($before -> $after)" \
	[ "$after" -le $((before + 1)) ]
check "... and the refusal says it was counted: $out" grep -q "the refusal is counted in the audit log" <<<"$out"
check "monitor_group equal to admin_group: the configuration is refused, saying why" bash -c \
	"sed 's/^monitor_group = .*/monitor_group = $ADMIN_GROUP/' '$WORK/gem-ro.conf' >'$WORK/mon-bad.conf' &&
	 out=\$('$SEINHUISD' -t -c '$WORK/mon-bad.conf' 2>&1); [ \$? != 0 ] && grep -q 'monitor_group must be a group of its own' <<<\"\$out\""

# --- quarantine: removed by an administrator ---------------------------------
# A trusted peer that bypasses its daemon sends a signal that breaks the
# catalogue: it is quarantined, with the resident's sealed data.
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
qid=$(as_user "$PEER_TOOL" "$WORK/corp-ro/keys" "$WORK/gem-ro/keys/card" policy | awk '$1 == "SENT" { print $2; exit }')
in_quarantine() { ctl gem-ro --json quarantine list | jq -e --arg id "$1" 'any(.[]; .message_id == $id)' >/dev/null; }
export -f in_quarantine
in_quarantine "$qid" || fail "setup: a signal in gem-ro's quarantine"
out=$(as "$U_CW" quarantine remove "$qid" 2>&1)
rc=$?
check "caseworker: refused on quarantine remove (exit $rc), DENIED, the signal kept: $out" bash -c \
	"[ $rc = 1 ] && grep -q \"refused: DENIED: quarantine_remove is for administrators (admin_group '$ADMIN_GROUP')\" <<<\"\$0\" && in_quarantine $qid" "$out"
check "administrator: may remove a quarantined signal" bash -c \
	"as $U_ADMIN quarantine remove $qid | grep -qx 'removed $qid' && ! in_quarantine $qid"
check "audited: the removal, with message id, sender, type, user and role" bash -c \
	"ctl gem-ro --json audit list --event quarantined --id $qid | jq -e 'map(select(.outcome == \"removed\")) | length == 1 and .[0].user == \"$U_ADMIN\" and .[0].role == \"admin\" and .[0].partner == \"corp-ro\" and .[0].type == \"arrears\"' >/dev/null"
check "audited: the caseworker's refused removal" bash -c \
	"ctl gem-ro --json audit list --event access_denied | jq -e 'any(.[]; .user == \"$U_CW\" and .detail == \"op quarantine_remove\" and .rule == \"DENIED\")' >/dev/null"

# --- no role, not allowed ----------------------------------------------------
out=$(as "$U_NONE" status 2>&1)
check "a user with no role is refused with a clear message" \
	grep -q "local user '$U_NONE' (uid $(id -u "$U_NONE")) has no role on this daemon" <<<"$out"
out=$(as "$U_NONE" check 2>&1)
rc=$?
check "seinctl check by a user with no role: CRITICAL, exit 2 ($rc), naming the refusal" \
	bash -c "[ $rc = 2 ] && grep -q '^SEINHUIS CRITICAL - no status from seinhuisd on .*: refused: [A-Z_]*: local user .$U_NONE. .uid [0-9]*. has no role' <<<\"\$1\"" _ "$out"
check "... and with --json, one object (the refusal is in it, not printed before it)" \
	bash -c "as $U_NONE --json check 2>/dev/null | jq -se 'length == 1 and .[0].exit == 2 and (.[0].problems[0].text | test(\"refused: \"))' >/dev/null"
# A large request (over 64 KiB) needs a role that sends or looks up in
# bulk: from a user with no role or the monitor role its length header is
# answered DENIED and the connection closed, before the daemon buffers it.
cat >"$WORK/large.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
n = int(sys.argv[2]); data = struct.pack(">I", n) + bytes(n); sent = 0
try:
    while sent < len(data): sent += s.send(data[sent:sent + 65536])
except (BrokenPipeError, ConnectionResetError, socket.timeout):
    pass
buf = b""
while True:  # what came before the close
    try: c = s.recv(65536)
    except (ConnectionResetError, socket.timeout): break
    if not c: break
    buf += c
print("denied" if b"needs the caseworker or administrator role" in buf
      else "answered" if buf else "none", sent >> 20)
PY
pid=${IT_PIDS[gem-ro]}
rss0=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
# (the system's python3: one under root's home cannot be run as the user)
PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=$(command -v python3)
large() { # large USER BYTES
	setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
		"$PY3" "$WORK/large.py" "$WORK/gem-ro/control.sock" "$2"
}
out=$(large "$U_NONE" $((16 << 20)))
check "a user with no role: a 16 MiB request is refused (DENIED) from its header ($out)" \
	grep -q "^denied [0-9]$" <<<"$out"
out=$(large "$U_MON" $((65 << 10)))
check "a monitor: a 65 KiB request is refused too ($out)" grep -q "^denied" <<<"$out"
rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
check "... the daemon did not take them in (VmRSS ${rss} kB, ${rss0} kB before)" \
	test "$rss" -lt $((rss0 + 8 * 1024))
check "... logged with the user's number and role, not the data" \
	grep -q "control: local user $(id -u "$U_NONE") (role none) sent a request of 16777216 bytes, more than the 65536 allowed without the caseworker or administrator role; refused and closed" "$WORK/gem-ro.log"
out=$(large "$U_MON" 1000)
check "a monitor's small request is read as before (answered, not for its size)" grep -q "^answered" <<<"$out"
out=$(large "$U_CW" $((1 << 20)))
check "a caseworker's 1 MiB request is read (answered, not for its size)" grep -q "^answered" <<<"$out"
check "the daemon serves on" bash -c "as $U_ADMIN status >/dev/null"

out=$(as "$U_OUT" status 2>&1)
rc=$?
check "a user not allowed on the socket cannot open it (file mode)" [ $rc = 3 ]
# With the socket's group as a supplementary group of the process only
# (not in the group database), the file lets it connect, and the daemon
# counts it as a member of control_group too, as the roles count their
# groups (seinhuisd(8)): it is on the socket, and holds no role.
out=$(setpriv --reuid="$U_OUT" --regid="$(id -g "$U_OUT")" --groups=seinhuis -- \
	"$SEINCTL" -s "$WORK/gem-ro/control.sock" status 2>&1)
rc=$?
check "control_group as a supplementary group of the process: on the socket, no role (exit $rc): $out" \
	bash -c "[ $rc = 1 ] && grep -q \"local user '$U_OUT' (uid $(id -u "$U_OUT")) has no role on this daemon\" <<<\"\$0\"" "$out"
# A socket file opened to everyone by mistake: the daemon's own check
# still cuts off a user who is not in control_group.
chmod 0666 "$WORK/gem-ro/control.sock"
out=$(setpriv --reuid="$U_OUT" --regid="$(id -g "$U_OUT")" --clear-groups -- \
	"$SEINCTL" -s "$WORK/gem-ro/control.sock" status 2>&1)
rc=$?
chmod 0660 "$WORK/gem-ro/control.sock"
check "... past a socket file mode opened by mistake, the daemon cuts it off (exit $rc): $out" \
	bash -c "[ $rc = 3 ] && grep -q 'the daemon closed the connection' <<<\"\$0\"" "$out"

# --- all of it in the audit log ----------------------------------------------
denied=$(ctl gem-ro --json audit list --event access_denied)
has() { jq -e "$1" <<<"$denied" >/dev/null; }
check "audited: the administrator's refused reveal, with user, role and message id" \
	has "any(.[]; .user==\"$U_ADMIN\" and .role==\"admin\" and .detail==\"op inbox_reveal\" and .message_id==\"${ids[0]}\" and .rule==\"DENIED\")"
check "audited: the administrator's refused inbox list" \
	has "any(.[]; .user==\"$U_ADMIN\" and .detail==\"op inbox_list\")"
check "audited: the caseworker's refused audit query" \
	has "any(.[]; .user==\"$U_CW\" and .role==\"caseworker\" and .detail==\"op audit_list\")"
check "audited: the monitor's refused inbox list, with its role" \
	has "any(.[]; .user==\"$U_MON\" and .role==\"monitor\" and .detail==\"op inbox_list\" and .rule==\"DENIED\")"
check "audited: the user with no role" \
	has "any(.[]; .user==\"$U_NONE\" and .role==\"none\" and .detail==\"op status\")"
check "audited: the user not allowed on the socket" \
	has "any(.[]; .user==\"$U_OUT\" and (.detail|startswith(\"connect\")))"
revealed=$(ctl gem-ro --json audit list --event revealed)
check "audited: the caseworker's reveal, with reason and role" \
	jq -e "length == 1 and .[0].user==\"$U_CW\" and .[0].role==\"caseworker\" and .[0].reason==\"$reason\" and .[0].message_id==\"${ids[0]}\"" <<<"$revealed"
check "audited: the caseworker took the signal" bash -c \
	"ctl gem-ro --json audit list --event taken | jq -e '.[0].user==\"$U_CW\" and .[0].role==\"caseworker\"' >/dev/null"
check "the daemon's own user and root hold both roles (maintenance)" bash -c \
	"ctl gem-ro inbox reveal ${ids[1]} --reason 'check of a signal' >/dev/null && ctl gem-ro audit verify >/dev/null"
check "the audit log still verifies" ctl gem-ro audit verify >/dev/null

# A partner that leaves the network (its card removed from the trust store)
# leaves its signals in the inbox; taking one still records the resident
# key, kept in the inbox record at receipt (the pair keys that would open
# the signal again can no longer be made, and are wiped).
as_user "$SEINKEY" revoke --trustdir "$WORK/gem-ro/trust" corp-ro >/dev/null
check "the card removed: the daemon says so" \
	wait_until 10 grep -q "trust store: corp-ro removed" "$WORK/gem-ro.log"
check "the signal of a removed partner may still be taken" ctl gem-ro inbox ack "${ids[1]}"
check "the former partner's signals are still found by the resident's identifiers" bash -c \
	"printf 'surname=Testpersoon2\npostcode=1234 AB\nhouse_number=2\n' | ctl gem-ro --json audit subject | jq -e '[.[] | select(.event == \"delivered\" and .message_id == \"${ids[1]}\")] | length == 1' >/dev/null"
check "  its taken entry has the resident key of its delivered entry" bash -c \
	"[ \"\$(ctl gem-ro --json audit list --id ${ids[1]} | jq -r '[.[] | select(.event==\"delivered\" or .event==\"taken\") | .case_key] | map(select(length == 64)) | length, (unique | length)' | tr '\n' ' ')\" = '2 1 ' ]"

# --- configuration --------------------------------------------------------------
if stop gem-ro; then pass "gem-ro stops cleanly"; else fail "gem-ro exit status"; fi
sed "s/^caseworker_group = .*/caseworker_group = $ADMIN_GROUP/" "$WORK/gem-ro.conf" >"$WORK/same.conf"
check "one group for both roles is refused" bash -c \
	"as_user $SEINHUISD -t -c $WORK/same.conf 2>&1 | grep -q 'must be different groups'"
sed "s/^admin_group = .*/admin_group = sh-test-nogroup-$P/" "$WORK/gem-ro.conf" >"$WORK/nogroup.conf"
chmod 644 "$WORK/same.conf" "$WORK/nogroup.conf"
check "a role group that does not exist stops the daemon at start-up" bash -c \
	"as_user timeout 20 $SEINHUISD -c $WORK/nogroup.conf 2>&1 | grep -q \"\\[error\\] admin_group 'sh-test-nogroup-$P' does not exist\""
# A control_group the daemon's user is not in: it cannot give the socket
# to that group. The start and -t say so, and what to do.
sed "s/^control_group = .*/control_group = $ADMIN_GROUP/" "$WORK/gem-ro.conf" >"$WORK/cgroup.conf"
chmod 644 "$WORK/cgroup.conf"
check "a control_group the daemon's user is not in stops the start, saying to add the user" bash -c \
	"as_user timeout 20 $SEINHUISD -c $WORK/cgroup.conf 2>&1 | grep -q \"control socket: control_group '$ADMIN_GROUP': the daemon's user '$RUN_USER' is not a member, .*add it (usermod -a -G $ADMIN_GROUP $RUN_USER)\""
check "seinhuisd -t finds it too (exit status 1)" bash -c \
	"as_user $SEINHUISD -t -c $WORK/cgroup.conf >$WORK/cgroup.out 2>&1; [ \$? = 1 ] && grep -q \"control_group '$ADMIN_GROUP': the daemon's user '$RUN_USER' is not a member\" $WORK/cgroup.out"
check "seinhuisd -t finds it too (exit status 1), and does not call the rest valid" bash -c \
	"as_user $SEINHUISD -t -c $WORK/nogroup.conf >$WORK/nogroup.out 2>&1; [ \$? = 1 ] && grep -q \"admin_group 'sh-test-nogroup-$P' does not exist\" $WORK/nogroup.out && grep -q 'the daemon would not start: see the error above' $WORK/nogroup.out && ! grep -q valid $WORK/nogroup.out"
# Under systemd (ExecStartPre=seinhuisd -t) the journal takes standard
# error: the group errors of -t carry the error priority, '<3>', so that
# 'journalctl -p err' shows why the check failed.
for c in nogroup cgroup; do
	as_user bash -c "exec 2>'$WORK/$c.jerr'; JOURNAL_STREAM=\$(stat -c %d:%i '$WORK/$c.jerr') exec '$SEINHUISD' -t -c '$WORK/$c.conf'" >/dev/null || true
done
check "seinhuisd -t under the journal: the group errors at the error level" bash -c \
	"grep -q \"^<3>seinhuisd\\[error\\] admin_group 'sh-test-nogroup-$P' does not exist\" '$WORK/nogroup.jerr' && grep -q \"^<3>seinhuisd\\[error\\] control socket: control_group '$ADMIN_GROUP': \" '$WORK/cgroup.jerr'"
if stop corp-ro; then pass "corp-ro stops cleanly"; else fail "corp-ro exit status"; fi
it_done
