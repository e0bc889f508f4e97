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
. "$(dirname "$0")/lib.sh"
it_setup keys
K=kk
partner $K landlord 18061
KD=$WORK/$K/keys
T=${TIMEOUT_S:-10}

# seinhuisd -t with another key directory: status and output in $WORK/t.out
check_with() { # check_with KEYDIR
	sed "s|^keydir = .*|keydir = $1|" "$WORK/$K.conf" | as_user tee "$WORK/alt.conf" >/dev/null
	local rc=0
	timeout "$T" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
		"$SEINHUISD" -t -c "$WORK/alt.conf" >"$WORK/t.out" 2>&1 || rc=$?
	return $rc
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
check "the identity loads (seinhuisd -t)" check_with "$KD"
it_done
