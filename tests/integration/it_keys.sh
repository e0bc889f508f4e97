#!/usr/bin/env bash
# The own key directory as an attacker, a mistake or a full disk leaves it:
# the daemon writes no core dumps (it holds the secret keys); a FIFO as a
# key file, as a card in the trust store, or as the configuration,
# catalogue or postcode table is refused at once, never read (a reader
# would wait for a writer: seinhuisd -t, seinkey list and a running
# daemon's trust store reload hung); a key directory (or its
# earlier/, previous/) that group or others may write, or of another user,
# is refused; `seinkey init` cut short leaves nothing behind, so that it
# can be run again; `seinkey rotate` cut short (a file not created, a
# rename failed: the failio shim, as a full disk would) leaves an identity
# that either loads as before or is finished by running it again; and a
# previous/ without a valid `until` no longer blocks the next rotation.
# Also what -t and the start say about where the identity is reached:
# the listen port in use fails -t (unless this configuration's own daemon
# answers on its control socket) and the start, naming the port; a card
# whose endpoint is not listen's port (or address) is warned about, with
# the seinkey command that mends it; a missing trust store is refused with
# how to create it.
. "$(dirname "$0")/lib.sh"
it_setup keys
K=kk
partner $K landlord 18061
KD=$WORK/$K/keys
T=${TIMEOUT_S:-10}

# seinhuisd -t on $K's configuration with some lines replaced, as
# $WORK/alt.conf: status and output in $WORK/t.out
check_conf() { # check_conf "KEY = VALUE"...
	local l rc=0 edits=(-e '')
	for l in "$@"; do edits+=(-e "s|^${l%% *} = .*|$l|"); done
	sed "${edits[@]}" "$WORK/$K.conf" | as_user tee "$WORK/alt.conf" >/dev/null
	timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
		"$SEINHUISD" -t -c "$WORK/alt.conf" >"$WORK/t.out" 2>&1 || rc=$?
	return $rc
}
check_with() { check_conf "keydir = $1"; } # check_with KEYDIR
# refused_t WHAT TEXT "KEY = VALUE"...: -t with those lines fails (exit 1)
# and says TEXT
refused_t() {
	local what=$1 text=$2 rc=0
	shift 2
	check_conf "$@" || rc=$?
	check "seinhuisd -t $what: refused (exit $rc, 1)" [ $rc = 1 ]
	check "... naming the rule" says "$text"
}
# the daemon started (not -t) on the $WORK/alt.conf check_conf wrote
# last, output in $WORK/t.out
start_alt() {
	timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
		"$SEINHUISD" -c "$WORK/alt.conf" >"$WORK/t.out" 2>&1
}
says() { grep -qF -- "$1" "$WORK/t.out" || { sed 's/^/     /' "$WORK/t.out"; false; }; }
copy_keys() { rm -rf "${WORK:?}/${1:?}"; as_user cp -a "$KD" "$WORK/$1"; }

# --- core dumps
start $K || { it_done; exit 1; }
pid=${IT_PIDS[$K]}
check "the running daemon's core file size limit is 0" \
	grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
# not dumpable: the kernel gives its /proc files to root
check "the running daemon is not dumpable (/proc/PID/status owned by root)" \
	[ "$(stat -c %u "/proc/$pid/status")" = 0 ]

# --- the listen port in use (here by $K itself, for a configuration with
# another data directory and control socket: -t on $K's own is refused as
# its store is in use)
P=$((18061 + ${SEINHUIS_PORT_OFFSET:-0}))
as_user mkdir -p "$WORK/other"
rc=0
check_conf "datadir = $WORK/other/data" "control = $WORK/other/control.sock" || rc=$?
check "seinhuisd -t with the listen port in use: refused (exit $rc, 1)" [ $rc = 1 ]
check "... saying so" says "transport: cannot listen on tcp://127.0.0.1:$P: port $P is in use (by another program, or a seinhuisd already running"
rc=0
check_conf "datadir = $WORK/other/data" "control = $WORK/other/control.sock" "listen = tcp://*:$P" || rc=$?
check "... and with listen = tcp://*:$P, every address (exit $rc, 1)" [ $rc = 1 ]
check "... saying so" says "cannot listen on tcp://*:$P: port $P is in use"
rc=0
start_alt || rc=$?
check "a daemon started on that port stops (exit $rc, 1)" [ $rc = 1 ]
check "... saying why as -t does" says "cannot listen on tcp://*:$P: Address already in use: port $P is in use (by another program"
# the configuration of the daemon that runs (its control socket answers),
# checked with a data directory of its own: the port is that daemon's
rc=0
check_conf "datadir = $WORK/other/data" || rc=$?
check "seinhuisd -t while this configuration's daemon runs: valid (exit $rc, 0)" [ $rc = 0 ]
check "... warning that the port is presumably its own" \
	says "a daemon answers on this configuration's control socket $WORK/$K/control.sock, so the port is presumably its own"

# --- a FIFO in the trust store: refused, and the running daemon goes on
as_user mkfifo "$WORK/$K/trust/x.card"
sleep 2
check "with a FIFO card in its trust store the daemon still answers" \
	timeout "$T" "$SEINCTL" -s "$WORK/$K/control.sock" status
rc=0
timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
	"$SEINKEY" list --trustdir "$WORK/$K/trust" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey list with a FIFO card: refused at once (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "x.card: cannot read (a FIFO: a card must be a regular file)"
stop $K
rc=0
check_with "$KD" || rc=$?
check "seinhuisd -t with a FIFO card: refused at once (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "a card must be a regular file"
rm -f "$WORK/$K/trust/x.card"
check "seinhuisd -t on the key directory as made" check_with "$KD"

# --- a FIFO as curve.key
copy_keys fifo-keys
rm -f "$WORK/fifo-keys/curve.key"
as_user mkfifo -m 600 "$WORK/fifo-keys/curve.key"
rc=0
check_with "$WORK/fifo-keys" || rc=$?
check "seinhuisd -t with a FIFO as curve.key: refused at once (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "curve.key: a FIFO: a secret key file must be a regular file"

# --- a FIFO as the configuration, the catalogue or the postcode table:
# the operator's own files, but a reader would hang the start all the same
as_user mkfifo "$WORK/settings.fifo"
rc=0
timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
	"$SEINHUISD" -t -c "$WORK/settings.fifo" >"$WORK/t.out" 2>&1 || rc=$?
check "seinhuisd -t with a FIFO as its configuration: refused at once (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "settings.fifo: cannot read: a FIFO, not a regular file"
for key in catalogue postcode_table; do
	{ grep -v "^$key = " "$WORK/$K.conf"; echo "$key = $WORK/settings.fifo"; } |
		as_user tee "$WORK/fifo.conf" >/dev/null
	rc=0
	timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
		"$SEINHUISD" -t -c "$WORK/fifo.conf" >"$WORK/t.out" 2>&1 || rc=$?
	check "seinhuisd -t with a FIFO as its $key: refused at once (exit $rc, 1)" [ $rc = 1 ]
	check "... naming the rule" says "settings.fifo: cannot read: a FIFO, not a regular file"
done
rm -f "$WORK/settings.fifo"

# --- a key directory others may write to, or of another user
copy_keys open-keys
chmod 0777 "$WORK/open-keys"
rc=0
check_with "$WORK/open-keys" || rc=$?
check "seinhuisd -t with a key directory of mode 0777: refused (exit $rc)" [ $rc = 1 ]
check "... naming the rule" says "open-keys: a key directory must not be writable by group or others, and this one has mode 777"
chmod 0700 "$WORK/open-keys"
as_user mkdir -m 0777 "$WORK/open-keys/earlier"
as_user chmod 0777 "$WORK/open-keys/earlier"
rc=0
check_with "$WORK/open-keys" || rc=$?
check "seinhuisd -t with an earlier/ of mode 0777: refused (exit $rc)" [ $rc = 1 ]
check "... naming it" says "open-keys/earlier: a key directory must not be writable by group or others"
copy_keys other-keys
chown nobody "$WORK/other-keys"
rc=0
check_with "$WORK/other-keys" || rc=$?
check "seinhuisd -t with a key directory of another user: refused (exit $rc)" [ $rc = 1 ]
check "... naming the rule" says "a key directory must belong to the user that uses it (uid $(id -u "$RUN_USER")) or to root"
as_user mkdir -m 0777 "$WORK/open-init"
as_user chmod 0777 "$WORK/open-init"
rc=0
as_user "$SEINKEY" init --dir "$WORK/open-init" --partner oi --name O --role water \
	--endpoint tcp://127.0.0.1:1 >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey init into an existing directory of mode 0777: refused (exit $rc)" [ $rc = 1 ]
check "... naming the rule" says "must not be writable by group or others"
check "... and writes nothing" [ -z "$(ls -A "$WORK/open-init")" ]

# --- a card whose endpoint does not lead to listen: partners dial the
# card's, so -t and the start warn (a port forward may still lead there)
endpoint_warning="card: the endpoint on this partner's card, tcp://127.0.0.1:$P, is not where the daemon listens"
rc=0
check_conf || rc=$?
check "seinhuisd -t with the card's endpoint as listen: valid (exit $rc)" [ $rc = 0 ]
check "... and no word about the endpoint" bash -c "! grep -q 'is not where the daemon listens' '$WORK/t.out'"
P3=$((18063 + ${SEINHUIS_PORT_OFFSET:-0}))
rc=0
check_conf "listen = tcp://127.0.0.1:$P3" || rc=$?
check "seinhuisd -t with listen on another port than the card's: still valid (exit $rc, 0)" [ $rc = 0 ]
check "... but warns" says "$endpoint_warning (listen = tcp://127.0.0.1:$P3: another port)"
check "... naming the fix" says "seinkey -c $WORK/alt.conf card --endpoint tcp://127.0.0.1:$P3) and send it to your partners again"
copy_keys far-keys
as_user "$SEINKEY" card --dir "$WORK/far-keys" --endpoint "tcp://192.0.2.7:$P" >/dev/null
rc=0
check_conf "keydir = $WORK/far-keys" || rc=$?
check "seinhuisd -t with listen on 127.0.0.1 and a card naming 192.0.2.7: valid (exit $rc, 0)" [ $rc = 0 ]
check "... but warns" says "partner's card, tcp://192.0.2.7:$P, is not where the daemon listens (listen = tcp://127.0.0.1:$P: another address)"
check "... naming the fix" says "card --endpoint tcp://127.0.0.1:$P)"
check_conf "keydir = $WORK/far-keys" "listen = tcp://*:$P"
check "... with listen = tcp://*:$P (every address): no warning" bash -c "! grep -q 'is not where the daemon listens' '$WORK/t.out'"
partner kx landlord 18062 "listen = tcp://127.0.0.1:$P3"
start kx
check "a daemon started so warns in its log" \
	grep -qF "card: the endpoint on this partner's card, tcp://127.0.0.1:$((18062 + ${SEINHUIS_PORT_OFFSET:-0})), is not where the daemon listens (listen = tcp://127.0.0.1:$P3: another port)" "$WORK/kx.log"
stop kx

# --- a trust store that does not exist: -t says how to make it
rc=0
check_conf "trustdir = $WORK/no-trust" || rc=$?
check "seinhuisd -t without its trust store: refused (exit $rc, 1)" [ $rc = 1 ]
check "... saying how to make it, as deploy/install.sh does" \
	says "no-trust: cannot open trust store: No such file or directory. Create it, as deploy/install.sh does (as root: install -d -m 0750 -o root -g $(id -gn "$RUN_USER") $WORK/no-trust; it may stay empty)"
check "... or with seinkey trust" says "or trust a partner's card, which creates it (seinkey -c $WORK/alt.conf trust PARTNER.card)"
install -d -m 0750 -o root -g "$(id -gn "$RUN_USER")" "$WORK/no-trust"
check "made so, it passes" check_conf "trustdir = $WORK/no-trust"

# --- the trust store's owner and mode: root's or the daemon user's, not
# writable by group or others, and so each card in it (a card put there by
# another user was trusted, and so was a store of mode 0777)
U=$(id -u "$RUN_USER")
as_user "$SEINKEY" init --dir "$WORK/c4/keys" --partner corp-k4 --name C4 \
	--role landlord --endpoint tcp://127.0.0.1:1 >/dev/null
as_user mkdir -m 0755 "$WORK/t3"
# a trust store is made where it is not, but not the directories above it
# (a mistyped path started a trust store of its own, which no daemon read)
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/typo/t3" "$WORK/c4/keys/card" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey trust into a directory whose parent is not there: refused (exit $rc), nothing made" bash -c \
	"[ $rc != 0 ] && [ ! -e '$WORK/typo' ] && grep -q 'the directory it goes in is not there' '$WORK/t.out'"
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/c4/keys/card" >/dev/null
check "seinhuisd -t with a trust store made as lib.sh and seinkey make it: valid" \
	check_conf "trustdir = $WORK/t3"
chmod 0777 "$WORK/t3"
rule_777="t3: a trust store must not be writable by group or others, and this one has mode 777 (chmod go-w $WORK/t3)"
refused_t "with a trust store of mode 0777" "$rule_777" "trustdir = $WORK/t3"
rc=0
start_alt || rc=$?
check "a daemon started with it stops (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "$rule_777"
chmod 0755 "$WORK/t3"
chown nobody "$WORK/t3/corp-k4.card"
refused_t "with a card of user nobody in the trust store" \
	"t3/corp-k4.card: a card in the trust store must belong to the user that uses it (uid $U) or to root, not to uid $(id -u nobody)" \
	"trustdir = $WORK/t3"
chown root "$WORK/t3/corp-k4.card"
check "... a card of root's passes" check_conf "trustdir = $WORK/t3"
chmod 0664 "$WORK/t3/corp-k4.card"
refused_t "with a group-writable card" \
	"corp-k4.card: a card in the trust store must not be writable by group or others, and this one has mode 664" \
	"trustdir = $WORK/t3"
chown "$RUN_USER" "$WORK/t3/corp-k4.card"
chmod 0644 "$WORK/t3/corp-k4.card"
chown root "$WORK/t3"
check "a trust store of root's, mode 0755, passes" check_conf "trustdir = $WORK/t3"
chown "$RUN_USER" "$WORK/t3"

# --- keys made as root that the daemon's user cannot read: the file's
# owner and mode, the rule and how to make keys as that user (it said only
# "Permission denied")
"$SEINKEY" init --dir "$WORK/root-keys" --partner rk --name R --role water \
	--endpoint "tcp://127.0.0.1:$P" >/dev/null
chmod 0755 "$WORK/root-keys"
refused_t "with secret keys of root's" \
	"root-keys/curve.key: permission denied for uid $U ($RUN_USER): it belongs to uid 0, mode 600" \
	"keydir = $WORK/root-keys"
check "... the rule" says "each secret key file must belong to that user, mode 0600"
check "... and the command" says "make the keys as that user (runuser -u $RUN_USER -- seinkey ...), or give them to it (chown -R $RUN_USER: $WORK/root-keys)"
chmod 0600 "$WORK/root-keys/card"
refused_t "with a card it cannot read" \
	"root-keys/card: permission denied for uid $U ($RUN_USER): it belongs to uid 0, mode 600" \
	"keydir = $WORK/root-keys"
chown -R "$RUN_USER:" "$WORK/root-keys"
check "... given to the daemon's user, the keys load" \
	check_conf "keydir = $WORK/root-keys" "datadir = $WORK/root-data"

# --- the card fingerprint covers the CURVE, signing and sealing keys; a
# card with another partner's sealing key showed the same fingerprint and
# trust replaced the trusted one silently
as_user "$SEINKEY" init --dir "$WORK/c4/new" --partner corp-k4 --name C4 \
	--role landlord --endpoint tcp://127.0.0.1:1 >/dev/null
sed "s/^seal = .*/$(grep '^seal = ' "$WORK/c4/new/card")/" "$WORK/c4/keys/card" >"$WORK/swapped.card"
cardfp() { as_user "$SEINKEY" show "$1" | sed -n 's/^  card fingerprint \([0-9a-f]\{16\}\) .*/\1/p'; }
keyfp() { as_user "$SEINKEY" show "$1" | sed -n 's/.*, key \([0-9a-f]\{16\}\), name .*/\1/p'; }
fp_a=$(cardfp "$WORK/c4/keys/card")
fp_b=$(cardfp "$WORK/swapped.card")
check "seinkey show: the key fingerprint of a card with another sealing key is the same" \
	[ "$(keyfp "$WORK/c4/keys/card")" = "$(keyfp "$WORK/swapped.card")" ]
check "... its card fingerprint differs ($fp_a, $fp_b)" \
	bash -c "[ ${#fp_a} = 16 ] && [ ${#fp_b} = 16 ] && [ $fp_a != $fp_b ]"
check "seinkey list shows the card fingerprint show printed" bash -c \
	"as_user '$SEINKEY' list --trustdir '$WORK/t3' | grep '^corp-k4 ' | grep -qw -- '${fp_a:-none}'"
cp "$WORK/t3/corp-k4.card" "$WORK/t3.before"
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/swapped.card" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey trust of it: refused (exit $rc, 1)" [ $rc = 1 ]
check "... naming the key and what to do" says "it changes keys of 'corp-k4', trusted here (sealing), and is not a rotation signed by the trusted keys"
check "... with the card fingerprint to compare" says "compare the card fingerprint $fp_b with it by another channel, then trust the card with --new-keys"
check "... the trusted card stays" cmp -s "$WORK/t3/corp-k4.card" "$WORK/t3.before"
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/c4/new/card" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey trust of a new identity for a trusted partner: refused (exit $rc, 1)" [ $rc = 1 ]
check "... naming the keys" says "trusted here (CURVE, signing, sealing)"
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/t3" --new-keys "$WORK/swapped.card" >"$WORK/t.out" 2>&1 || rc=$?
check "... with --new-keys: trusted (exit $rc, 0)" [ $rc = 0 ]
check "... saying which keys changed" says "  card fingerprint $fp_b; replaces its card, keys changed: sealing (--new-keys, not signed by the trusted keys)"
as_user "$SEINKEY" trust --trustdir "$WORK/t3" --new-keys "$WORK/c4/keys/card" >/dev/null
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/c4/keys/card" >"$WORK/t.out" 2>&1
check "the same card again: keys unchanged" says "card fingerprint $fp_a; replaces its card, keys unchanged"
as_user "$SEINKEY" rotate --dir "$WORK/c4/keys" --overlap 1h >/dev/null
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/c4/keys/card" >"$WORK/t.out" 2>&1 || rc=$?
check "a rotated card: trusted without --new-keys (exit $rc, 0)" [ $rc = 0 ]
check "... saying so" says "keys changed: CURVE, signing (a rotation signed by the trusted keys)"

# --- a sealing key of small order (all zeros): every send to it failed
# with CRYPTO, naming no card; now no command takes such a card
sed "s/^seal = .*/seal = $(printf '0%.0s' {1..64})/" "$WORK/c4/new/card" |
	sed 's/^partner = .*/partner = zero-k4/' >"$WORK/zero.card"
zero_rule="line 11: seal: not a usable X25519 public key (a point of small order: no key can be agreed with it)"
rc=0
as_user "$SEINKEY" show "$WORK/zero.card" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey show of a card with an all-zero sealing key: refused (exit $rc, 1)" [ $rc = 1 ]
check "... naming the rule" says "$zero_rule"
rc=0
as_user "$SEINKEY" trust --trustdir "$WORK/t3" "$WORK/zero.card" >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey trust of it: refused (exit $rc, 1)" [ $rc = 1 ]
as_user cp "$WORK/zero.card" "$WORK/t3/zero-k4.card"
refused_t "with it in the trust store" "zero-k4.card: $zero_rule" "trustdir = $WORK/t3"
rm -f "$WORK/t3/zero-k4.card"

if [ -z "${FAILIO:-}" ]; then
	echo "FAILIO not set (a sanitizer build): the cut-short cases are skipped"
	it_done
	exit
fi
failing() { # failing VAR=PATH COMMAND...: as the daemon user, with the shim
	local set=$1
	shift
	as_user env LD_PRELOAD="$FAILIO" "$set" "$@"
}

# --- init cut short: nothing left, and a retry succeeds
rc=0
failing FAIL_CREATE="$WORK/new/keys/sign.key" "$SEINKEY" init --dir "$WORK/new/keys" \
	--partner nw --name N --role water --endpoint tcp://127.0.0.1:1 >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey init with sign.key not created: fails (exit $rc)" [ $rc = 1 ]
check "... saying which file" says "new/keys/sign.key: cannot create: No space left on device"
check "... and leaves no file behind (no orphan curve.key)" [ -z "$(ls -A "$WORK/new/keys")" ]
check "seinkey init again: succeeds" as_user "$SEINKEY" init --dir "$WORK/new/keys" \
	--partner nw --name N --role water --endpoint tcp://127.0.0.1:1

# --- rotate cut short before it was decided: the identity is as it was
sum0=$(sha256sum "$KD/card" "$KD/curve.key" "$KD/sign.key")
rc=0
failing FAIL_CREATE="$KD/rotating/sign.key" "$SEINKEY" rotate --dir "$KD" --overlap 1s \
	>"$WORK/t.out" 2>&1 || rc=$?
check "seinkey rotate with the new sign.key not created: fails (exit $rc)" [ $rc = 1 ]
check "... the identity unchanged" [ "$(sha256sum "$KD/card" "$KD/curve.key" "$KD/sign.key")" = "$sum0" ]
check "... no rotating/ or previous/ left" [ ! -e "$KD/rotating" ] && [ ! -e "$KD/previous" ]
check "... and it loads (seinhuisd -t)" check_with "$KD"

# --- rotate cut short after it was decided: refused at start, finished
# by running it again
rc=0
failing FAIL_RENAME_TO="$KD/sign.key" "$SEINKEY" rotate --dir "$KD" --overlap 1s \
	>"$WORK/t.out" 2>&1 || rc=$?
check "seinkey rotate with sign.key not renamed: fails (exit $rc)" [ $rc = 1 ]
check "... saying what to do" says "run seinkey rotate again to finish"
rc=0
check_with "$KD" || rc=$?
check "seinhuisd -t on that half-rotated directory: refused (exit $rc)" [ $rc = 1 ]
check "... saying what to do" says "rotating: a key rotation was cut short after its new keys were complete"
rc=0
as_user "$SEINKEY" rotate --dir "$KD" --overlap 1s >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey rotate again: finishes it (exit $rc)" [ $rc = 0 ]
check "... saying so" says "finished the rotation that was cut short"
check "... no rotating/ left" [ ! -e "$KD/rotating" ]
check "... the previous keys kept at 0600" \
	[ "$(stat -c %a "$KD/previous/sign.key" "$KD/previous/curve.key" | sort -u)" = 600 ]
check "... and the identity loads (seinhuisd -t)" check_with "$KD"
check "... with new keys" [ "$(sha256sum <"$KD/card")" != "$(sha256sum <"$WORK/fifo-keys/card")" ]

# --- a previous/ whose until is damaged, or missing, after the overlap
sleep 2
echo 99999999999999999999 | as_user tee "$KD/previous/until" >/dev/null
rc=0
as_user "$SEINKEY" rotate --dir "$KD" --overlap 1s >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey rotate with previous/until 99999999999999999999 after the overlap: rotates (exit $rc)" [ $rc = 0 ]
sleep 2
rm -f "$KD/previous/until"
rc=0
as_user "$SEINKEY" rotate --dir "$KD" --overlap 60s >"$WORK/t.out" 2>&1 || rc=$?
check "seinkey rotate with previous/ holding keys but no until: rotates (exit $rc)" [ $rc = 0 ]
rc=0
as_user "$SEINKEY" rotate --dir "$KD" --overlap 60s >"$WORK/t.out" 2>&1 || rc=$?
check "while that overlap lasts, another is refused (exit $rc)" [ $rc = 1 ]
check "... naming its end" says "overlap lasts until"
check "... as a date and time (UTC), not Unix seconds" \
	grep -q "overlap lasts until [0-9]*-[0-9]*-[0-9]*T[0-9:]*Z;" "$WORK/t.out"
check "the identity loads (seinhuisd -t)" check_with "$KD"
it_done
