#!/bin/bash
# test_keytool.sh - the seinkey tool as an operator uses it: init, card,
# trust and list, and the refusals that protect an identity.
#
# usage: test_keytool.sh PATH/TO/seinkey
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

SEINKEY=${1:?usage: test_keytool.sh PATH/TO/seinkey}
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sh-unit-keytool-XXXXXX") || exit 2
trap 'rm -rf -- "$WORK"' EXIT

pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*"
	if [ -s "$WORK/err" ]; then sed 's/^/     stderr: /' "$WORK/err"; fi
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}
# run EXPECTED_STATUS ARGS...: run seinkey, keep stdout/stderr in files.
run() {
	local want=$1
	shift
	"$SEINKEY" "$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ "$want" = nonzero ]; then
		[ "$got" -ne 0 ]
	else
		[ "$got" -eq "$want" ]
	fi
}
mode() { stat -c %a "$1"; }
private_dir() { # no permission bits for group or others
	local m
	m=$(stat -c %a "$1" 2>/dev/null) || return 1
	[ $((8#$m & 8#077)) -eq 0 ]
}
absent() {
	local f
	for f in "$@"; do [ ! -e "$f" ] || return 1; done
}
has() { grep -qF -- "$2" "$1"; }
snapshot() { # the content, mode and inode of every file in a directory
	(cd "$1" && for f in *; do
		printf '%s %s ' "$f" "$(stat -c '%a %i' "$f")"
		sha256sum <"$f"
	done)
}

KEYS=$WORK/keys/woonstad

# --- init
check "init creates an identity" \
	run 0 init --dir "$KEYS" --partner woonstad --name "Woonstad Rotterdam" \
	--role landlord --endpoint tcp://127.0.0.1:7101
check "init reports the partner" has "$WORK/out" "woonstad"
check "card is 0644" [ "$(mode "$KEYS/card")" = 644 ]
for f in curve.key sign.key seal.key; do
	check "$f is 0600" [ "$(mode "$KEYS/$f")" = 600 ]
done
check "key directory is private" private_dir "$KEYS"
check "exactly four files" [ "$(ls -A "$KEYS" | wc -l)" = 4 ]
check "card names the partner" has "$KEYS/card" "partner = woonstad"
check "card names the role" has "$KEYS/card" "role = landlord"
for f in curve.key sign.key seal.key; do
	secret=$(tr -d '\n' <"$KEYS/$f")
	check "$f is not on the card" [ -n "$secret" ]
	check "$f is not on the card" bash -c '! grep -qF -- "$1" "$2"' _ \
		"$secret" "$KEYS/card"
done

# --- init again: refused, nothing changed
before=$(snapshot "$KEYS")
check "second init refused" \
	run nonzero init --dir "$KEYS" --partner other --name Other \
	--role energy --endpoint tcp://127.0.0.1:7199
check "second init says why" has "$WORK/err" "exists"
check "second init changed nothing" [ "$(snapshot "$KEYS")" = "$before" ]
# Even with only one key file left, init does not regenerate.
mkdir -p "$WORK/partial"
cp -p "$KEYS/sign.key" "$WORK/partial/"
check "init over a partial directory refused" \
	run nonzero init --dir "$WORK/partial" --partner partial --name P \
	--role energy --endpoint tcp://127.0.0.1:7198
check "partial directory untouched" [ "$(ls -A "$WORK/partial")" = sign.key ]
check "partial key unchanged" cmp -s "$KEYS/sign.key" "$WORK/partial/sign.key"

# --- init refusals name the rule and create nothing
refuse_init() { # DESCRIPTION EXPECTED-TEXT ARGS...
	local what=$1 text=$2 dir=$WORK/refused
	shift 2
	rm -rf "$dir"
	check "$what refused" run nonzero init --dir "$dir" "$@"
	check "$what: message names the rule" has "$WORK/err" "$text"
	check "$what: no files" absent "$dir/card" "$dir/curve.key" \
		"$dir/sign.key" "$dir/seal.key"
}
refuse_init "role bank" "not a known role" --partner p1 --name N \
	--role bank --endpoint tcp://127.0.0.1:7100
refuse_init "capitalised role" "not a known role" --partner p1 --name N \
	--role Landlord --endpoint tcp://127.0.0.1:7100
refuse_init "partner id with capitals" "partner id has 2-64 characters" \
	--partner Woonstad --name N --role landlord --endpoint tcp://h:1
refuse_init "partner id with a space" "partner id has 2-64 characters" \
	--partner "woon stad" --name N --role landlord --endpoint tcp://h:1
refuse_init "partner id with a slash" "partner id has 2-64 characters" \
	--partner "../etc" --name N --role landlord --endpoint tcp://h:1
refuse_init "one-letter partner id" "partner id has 2-64 characters" \
	--partner w --name N --role landlord --endpoint tcp://h:1
refuse_init "partner id Woco: named by its option, with the rule, no line number" \
	"seinkey: --partner: a partner id has 2-64 characters: lowercase a-z, digits 0-9, '.', '_' and '-', beginning with a letter or digit" \
	--partner Woco --name N --role landlord --endpoint tcp://h:1
refuse_init "init without --partner: names it" "seinkey: init needs --partner (" \
	--name N --role landlord --endpoint tcp://h:1
refuse_init "endpoint without tcp://" "tcp://" --partner p1 --name N \
	--role landlord --endpoint 127.0.0.1:7100
refuse_init "endpoint with port 88641" "the PORT must be a number from 1 to 65535, not '88641'" \
	--partner p1 --name N --role landlord --endpoint tcp://h:88641
refuse_init "endpoint without a port" "the :PORT is missing" --partner p1 \
	--name N --role landlord --endpoint tcp://h
refuse_init "IPv6 endpoint" "IPv6 addresses are not supported: give an IPv4 address or a host name" \
	--partner p1 --name N --role landlord --endpoint 'tcp://[::1]:7100'
refuse_init "endpoint tcp://*: a card names a host partners can reach" "not '*' (that is for listen)" \
	--partner p1 --name N --role landlord --endpoint 'tcp://*:7100'
refuse_init "endpoint tcp://0.0.0.0: as '*', no host partners can reach" "not '0.0.0.0' (that is for listen)" \
	--partner p1 --name N --role landlord --endpoint 'tcp://0.0.0.0:7100'
refuse_init "line break in the name" "line break" --partner p1 \
	--name "$(printf 'a\nsign = 00')" --role landlord --endpoint tcp://h:1
refuse_init "missing role" "role" --partner p1 --name N \
	--endpoint tcp://h:1
refuse_init "bad municipalities" "CBS" --partner p1 --name N \
	--role municipality_debt --endpoint tcp://h:1 --municipalities 0363,x

# --- card, trust, list
check "card prints" run 0 card --dir "$KEYS"
cp "$WORK/out" "$WORK/woonstad.card"
check "printed card is the card file" cmp -s "$WORK/woonstad.card" "$KEYS/card"

check "second identity" \
	run 0 init --dir "$WORK/keys/gemeente" --partner gemeente-0363 \
	--name "Gemeente Amsterdam" --role municipality_debt \
	--endpoint tcp://127.0.0.1:7102 --municipalities 0363,0437
check "card prints municipalities" run 0 card --dir "$WORK/keys/gemeente"
check "municipalities on the card" has "$WORK/out" "municipalities = 0363,0437"
cp "$WORK/out" "$WORK/gemeente.card"

TRUST=$WORK/trust
check "show checks a card without trusting it" run 0 show "$WORK/woonstad.card"
check "show names the partner" has "$WORK/out" "partner 'woonstad' (landlord)"
shown_fp=$(sed -n 's/.*, key \([0-9a-f]\{16\}\), name .*/\1/p' "$WORK/out")
check "show prints a fingerprint" [ ${#shown_fp} = 16 ]
check "show wrote no trust store" [ ! -e "$TRUST" ]
printf 'seinhuis_card = 1\npartner = x\n' >"$WORK/bad.card"
check "show refuses a card that is not valid" \
	run 1 show "$WORK/bad.card" "$WORK/woonstad.card"
check "show says which card" has "$WORK/err" "not a valid card"
check "show still shows the valid one" has "$WORK/out" "partner 'woonstad'"
check "trust accepts the card" run 0 trust --trustdir "$TRUST" "$WORK/woonstad.card"
check "trust reports the partner" has "$WORK/out" "trusted 'woonstad'"
check "trust prints the fingerprint show printed" has "$WORK/out" "key $shown_fp"
check "trusted card stored" [ -f "$TRUST/woonstad.card" ]
check "trusted card 0644" [ "$(mode "$TRUST/woonstad.card")" = 644 ]
check "list works" run 0 list --trustdir "$TRUST"
check "list shows the partner" has "$WORK/out" "woonstad"
check "list shows the role" has "$WORK/out" "landlord"
check "list counts one" has "$WORK/out" "1 trusted partners"

check "trust a second card" run 0 trust --trustdir "$TRUST" "$WORK/gemeente.card"
check "list shows both" run 0 list --trustdir "$TRUST"
check "list counts two" has "$WORK/out" "2 trusted partners"
check "list shows the second" has "$WORK/out" "gemeente-0363"
# The key fingerprint that trust printed is the one list shows.
fp=$("$SEINKEY" trust --trustdir "$TRUST" "$WORK/gemeente.card" |
	sed -n 's/.*, key \([0-9a-f]*\)$/\1/p')
check "trust prints a fingerprint" [ "${#fp}" = 16 ]
check "list shows that fingerprint" bash -c \
	'"$1" list --trustdir "$2" | grep gemeente-0363 | grep -qF -- "$3"' \
	_ "$SEINKEY" "$TRUST" "${fp:-none}"

# A store the daemon would refuse as a whole (a damaged card in it) takes
# no card: trust says which card is at fault, and writes nothing.
cp "$WORK/bad.card" "$TRUST/broken.card"
check "third identity" run 0 init --dir "$WORK/keys/third" --partner third \
	--name Third --role water --endpoint tcp://127.0.0.1:7103
"$SEINKEY" card --dir "$WORK/keys/third" >"$WORK/third.card"
check "trust into a store that does not load is refused" \
	run 1 trust --trustdir "$TRUST" "$WORK/third.card"
check "  naming the card at fault" has "$WORK/err" "broken.card"
check "  and what to do" has "$WORK/err" "seinkey revoke"
check "  the card is not written" [ ! -e "$TRUST/third.card" ]
rm -f "$TRUST/broken.card"

# --- corrupted cards are not trusted
before=$(snapshot "$TRUST")
corrupt() { # NAME SED-EXPRESSION
	sed "$2" "$WORK/woonstad.card" >"$WORK/$1.card"
	check "$1: card differs" bash -c '! cmp -s "$1" "$2"' _ \
		"$WORK/woonstad.card" "$WORK/$1.card"
	check "$1: trust refuses" run nonzero trust --trustdir "$TRUST" "$WORK/$1.card"
	check "$1: says not trusted" has "$WORK/err" "not trusted"
	check "$1: names the line" has "$WORK/err" "line "
}
corrupt sign-hex 's/^sign = ./sign = g/'
corrupt seal-short 's/^seal = ../seal = /'
corrupt curve-z85 's/^curve = ./curve = ,/'
corrupt role 's/^role = .*/role = bank/'
corrupt version 's/^seinhuis_card = 1/seinhuis_card = 2/'
corrupt extra-key '$a colour = blue'
check "trust store unchanged by refusals" [ "$(snapshot "$TRUST")" = "$before" ]
check "missing card file refused" run nonzero trust --trustdir "$TRUST" "$WORK/none.card"
check "still two trusted" run 0 list --trustdir "$TRUST"
check "still counts two" has "$WORK/out" "2 trusted partners"

# A card copied in by hand under another name is the one trust replaces:
# a second file for the partner would make the store refuse to load.
mv "$TRUST/gemeente-0363.card" "$TRUST/gemeente-from-mail.card"
check "trust of a partner whose card has another name" run 0 trust --trustdir "$TRUST" "$WORK/gemeente.card"
check "  replaces that file, writes no second one" bash -c \
	'[ -f "$1/gemeente-from-mail.card" ] && [ ! -e "$1/gemeente-0363.card" ]' _ "$TRUST"
check "  the store still loads" run 0 list --trustdir "$TRUST"
check "  with the two partners" has "$WORK/out" "2 trusted partners"
mv "$TRUST/gemeente-from-mail.card" "$TRUST/gemeente-0363.card"

# A value with a control character would be printed raw by show and list
# (an escape sequence could rewrite the fingerprint line): refused.
sed 's/^name = .*/name = Woonstad\x1b[1A\x1b[2K\rwoonstad: key 0000/' "$WORK/woonstad.card" >"$WORK/esc.card"
check "show refuses a name with an escape sequence" run 1 show "$WORK/esc.card"
check "  naming the rule and the byte" has "$WORK/err" "name: holds a control character (byte 0x1b)"
check "  printing none of it" bash -c '! grep -q "$(printf "\x1b")" "$1/out" "$1/err"' _ "$WORK"
check "trust refuses it too" run 1 trust --trustdir "$TRUST" "$WORK/esc.card"
printf 's/^name = .*/name = Woonstad \xff/\n' >"$WORK/utf8.sed"
sed -f "$WORK/utf8.sed" "$WORK/woonstad.card" >"$WORK/latin.card"
check "show refuses a name that is not UTF-8" run 1 show "$WORK/latin.card"
check "  saying so" has "$WORK/err" "name: must be valid UTF-8 text"
check "init refuses --name with a control character" \
	run 2 init --dir "$WORK/keys/esc" --partner esc --name "$(printf 'Esc\033[2K')" \
	--role water --endpoint tcp://127.0.0.1:7109
check "  naming the option and the rule" has "$WORK/err" "--name: holds a control character (byte 0x1b)"
before_card=$(cat "$KEYS/card")
check "card --name with a control character refused" \
	run nonzero card --dir "$KEYS" --name "$(printf 'Woonstad\033[2K')"
check "  saying why" has "$WORK/err" "holds a control character (byte 0x1b)"
check "  the card as it was" [ "$(cat "$KEYS/card")" = "$before_card" ]

# A second card for the same partner id makes the store unusable, and
# list says so rather than picking one.
cp "$TRUST/woonstad.card" "$TRUST/woonstad-old.card"
check "duplicate partner refused by list" run nonzero list --trustdir "$TRUST"
check "duplicate partner explained" has "$WORK/err" "another card"
rm -f "$TRUST/woonstad-old.card"

# --- configuration file instead of flags
cat >"$WORK/seinhuisd.conf" <<EOF
keydir = $KEYS
trustdir = $TRUST
datadir = $WORK/data
listen = tcp://127.0.0.1:7101
control = $WORK/control.sock
EOF
check "card via -c" run 0 -c "$WORK/seinhuisd.conf" card
check "card via -c is the card" cmp -s "$WORK/out" "$KEYS/card"
# The store holds this partner's own card (woonstad, trusted above with
# --trustdir, where seinkey cannot know whose store it is): with -c it is
# left out as the daemon leaves it out, saying so, and not trusted again.
check "list via -c" run 0 -c "$WORK/seinhuisd.conf" list
check "list via -c counts one: the own card left out" has "$WORK/out" "1 trusted partners"
check "  saying why" has "$WORK/err" "woonstad.card: left out: it has the partner id of 'woonstad', this partner itself"
check "trust via -c refuses the own card" run 1 -c "$WORK/seinhuisd.conf" trust "$KEYS/card"
check "  naming the rule" has "$WORK/err" "a partner does not trust its own card"
echo "windows = 1" >>"$WORK/seinhuisd.conf"
check "bad config refused" run nonzero -c "$WORK/seinhuisd.conf" card
check "bad config names the line" has "$WORK/err" "line 6"

# --- a FIFO as a card in the trust store: refused at once, not waited on
mkfifo "$WORK/trust/fifo.card"
rc=0
timeout 10 "$SEINKEY" list --trustdir "$TRUST" >"$WORK/out" 2>"$WORK/err" || rc=$?
check "list with a FIFO card refused at once (exit $rc; 124: it waited)" [ $rc = 1 ]
check "  naming the rule" has "$WORK/err" \
	"fifo.card: cannot read (a FIFO: a card must be a regular file)"
rm -f "$WORK/trust/fifo.card"

# --- a key directory that group or others may write to
mkdir -m 0777 "$WORK/open"
chmod 0777 "$WORK/open"
check "init into an existing directory of mode 0777 refused" \
	run 1 init --dir "$WORK/open" --partner op --name O --role water \
	--endpoint tcp://127.0.0.1:7104
check "  naming the rule" has "$WORK/err" \
	"a key directory must not be writable by group or others, and this one has mode 777"
check "  nothing written" [ -z "$(ls -A "$WORK/open")" ]

# --- a --dir longer than a key directory's path may be: refused, not cut
long=$WORK/$(printf 'd%.0s' $(seq 520))
check "init with a --dir of 520+ characters refused" \
	run 2 init --dir "$long" --partner lo --name L --role water \
	--endpoint tcp://127.0.0.1:7105
check "  naming the rule" has "$WORK/err" "--dir must be a path of 1 to 511 characters"
check "rotate with such a --dir refused" run 2 rotate --dir "$long" --overlap 1d
check "list with such a --trustdir refused" run 2 list --trustdir "$long"

# --- earlier keys and revoked partners in list
# A rotated partner's card replaced by trust is kept in earlier/: list
# names its signing key under the partner and when it was superseded.
# revoke keeps the removed card there too: list then shows the partner as
# revoked, with its kept keys, not as trusted; trusted again, it is not.
sign_fp() { # the fingerprint of a card's signing key
	printf '%b' "$(sed -n 's/^sign = //p' "$1" | sed 's/../\\x&/g')" | sha256sum | cut -c1-16
}
T2=$WORK/trust2
G=$WORK/keys/gemeente
check "trust the municipality's card in a new store" run 0 trust --trustdir "$T2" "$G/card"
k1=$(sign_fp "$G/card")
check "rotate the municipality's keys" run 0 rotate --dir "$G" --overlap 1h
check "trust its rotated card" run 0 trust --trustdir "$T2" "$G/card"
k2=$(sign_fp "$G/card")
check "list after the rotation" run 0 list --trustdir "$T2"
check "  names the earlier signing key under the partner, superseded at a time" \
	grep -qE "^ +earlier signing key $k1 superseded at 20[0-9-]+T[0-9:]+Z; accepted until " "$WORK/out"
check "  not its current one" bash -c "! grep -q 'earlier signing key $k2' '$WORK/out'"
check "  still one trusted partner" has "$WORK/out" "1 trusted partners"
check "revoke the municipality" run 0 revoke --trustdir "$T2" gemeente-0363
check "  says its card is kept" has "$WORK/out" "its card is kept in $T2/earlier/"
check "  kept as revoked" [ -f "$T2/earlier/gemeente-0363-$k2-revoked.card" ]
check "list after the revocation" run 0 list --trustdir "$T2"
check "  no trusted partner" has "$WORK/out" "0 trusted partners"
check "  the partner shown as revoked, not trusted" \
	grep -qE "^gemeente-0363 +municipality_debt +revoked at 20[0-9-]+T[0-9:]+Z: not trusted" "$WORK/out"
check "  with its last key, revoked" grep -qE "^ +earlier signing key $k2 revoked at " "$WORK/out"
check "  and its earlier one, superseded" grep -qE "^ +earlier signing key $k1 superseded at " "$WORK/out"
check "  counted as revoked" has "$WORK/out" "1 revoked partners"
check "trusted again" run 0 trust --trustdir "$T2" "$G/card"
check "list: trusted, no longer revoked" run 0 list --trustdir "$T2"
check "  one trusted partner" has "$WORK/out" "1 trusted partners"
check "  no revoked partner" bash -c "! grep -q 'revoked' '$WORK/out'"

# --- usage errors
check "no command" run 2
check "unknown command" run 2 frobnicate
check "card without dir or config" run 2 card
check "card of an empty dir" run nonzero card --dir "$WORK/nowhere"
check "list of a missing trust dir" run nonzero list --trustdir "$WORK/nowhere"
check "trust without cards" run 2 trust --trustdir "$TRUST"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
