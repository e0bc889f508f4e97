#!/usr/bin/env bash
# Retention of the consent register: a consent that ended (revoked, or past
# its last day) is removed by the retention sweep once the catalogue's
# keep_consent has passed since it ended and no signal sent under it is
# still in the sender's outbox (those go after keep_sent). A consent in
# force stays, whatever its signals. Each removal is audited
# (retention_removed) by the consent's reference only, in the same turn;
# the log line names no pseudonym, purpose or date. A removed consent is
# gone from `consent list`, and a signal naming it is refused as under an
# unknown one. A consent granted by a build that did not note its signals
# waits for the longest keep_sent instead. A kill -9 leaves each consent
# either in the register or removed with its audit entry.
. "$(dirname "$0")/lib.sh"
it_setup consent_keep
# keep_consent of 6 seconds and keep_sent of 20 for every type: an ended
# consent goes 6 s after it ended, one with a signal sent under it once
# that signal's outbox record is gone, 20 s after it was accepted.
sed 's/^keep_consent = .*$/keep_consent = 6 seconds/; s/^keep_sent = .*$/keep_sent = 20 seconds/' "$CATALOGUE" |
	as_user tee "$WORK/short.conf" >/dev/null
if ! grep -q '^keep_consent = 6 seconds$' "$WORK/short.conf" || ! grep -q '^keep_sent = 20 seconds$' "$WORK/short.conf"; then
	fail "test catalogue with keep_consent = 6 seconds, keep_sent = 20 seconds"
fi
partner gp-ck professional 18071 "catalogue = $WORK/short.conf" "retention_interval = 1"
partner team-ck municipality_team 18072
trust_all

# A bad keep_consent is refused at start, naming the rule.
bad_catalogue() { # bad_catalogue VALUE: seinhuisd -t's words with it
	sed "s/^keep_consent = .*$/keep_consent = $1/" "$CATALOGUE" | as_user tee "$WORK/bad.conf" >/dev/null
	sed "s|^catalogue = .*|catalogue = $WORK/bad.conf|" "$WORK/gp-ck.conf" | as_user tee "$WORK/gp-bad.conf" >/dev/null
	as_user "$SEINHUISD" -t -c "$WORK/gp-bad.conf" 2>&1
}
check "keep_consent = 0 days is refused: it must be longer than 0" bash -c \
	"grep -q 'keep_consent must be longer than 0' <<<\"\$0\"" "$(bad_catalogue '0 days')"
check "keep_consent without a unit is refused, naming the form" bash -c \
	"grep -q \"keep_consent takes 'N seconds|minutes|hours|days|months|years'\" <<<\"\$0\"" "$(bad_catalogue 18)"

resident='surname=de Vries
postcode=9901 WA
house_number=12
birth_date=1970-05-06'
grant() { ctl gp-ck consent grant --to team-ck --purpose debts "$@" <<<"$resident" | awk '{print $2}'; }

# F: granted as builds before 2026-12-07 granted consents, without noting
# the signals sent under it (SEINHUIS_TEST_CONSENT_UNNOTED), and revoked at
# once. The sweep cannot know what was sent under it, so it is kept until
# the longest keep_sent (20 s) has passed since it ended, not keep_consent.
SEINHUIS_TEST_CONSENT_UNNOTED=1 start gp-ck
start team-ck
F=$(grant)
t_f0=$(date +%s%N)
ctl gp-ck consent revoke "$F" >/dev/null || fail "setup: consent $F revoked"
t_f1=$(date +%s%N)
check "the daemon says it grants consents as older builds did (a setting for tests)" \
	grep -q "SEINHUIS_TEST_CONSENT_UNNOTED=1: consents are granted without noting the signals sent under them" "$WORK/gp-ck.log"
stop gp-ck
start gp-ck
referral() { # referral CONSENT_REF: the id accepted, or the refusal
	ctl gp-ck send --type referral --to team-ck legal_basis=consent \
		consent_ref="$1" purpose=debts surname="de Vries" postcode="9901 WA" \
		house_number=12 birth_date=1970-05-06 2>&1 | sed 's/^accepted //'
}
listed() { ctl gp-ck --json consent list | jq -r '.[].ref' | grep -qx "$1"; }
in_outbox() { ctl gp-ck --json outbox --limit 10000 | jq -r '.[].message_id' | grep -qx "$1"; }
removed_n() { # removed_n REF: its retention_removed entries at gp-ck
	ctl gp-ck --json audit list --event retention_removed --id "$1" | jq length
}
export -f listed in_outbox removed_n

# A: in force, with a referral under it: never removed.
# B: revoked, nothing sent under it: removed keep_consent after.
# C: its last day was yesterday: removed at a sweep soon after the grant.
# D: a referral under it, then revoked: kept past keep_consent while the
#    referral's outbox record is kept (keep_sent), removed after it.
A=$(grant)
yesterday=$(TZ=Europe/Amsterdam date -d yesterday +%F)
C=$(grant --from 2020-01-01 --until "$yesterday")
check "three consents granted, one whose last day was yesterday" [ "${#A}${#C}" = 3232 ]
idA=$(referral "$A")
t_d0=$(date +%s%N)
D=$(grant)
idD=$(referral "$D")
check "a referral under each of two consents accepted" [ "${#idA}${#idD}" = 3232 ]
check "  and delivered" wait_until 15 bash -c \
	"[ \$(ctl gp-ck --json outbox --state delivered --limit 100 | jq '[.[] | select(.type == \"referral\")] | length') = 2 ]"
B=$(grant)
ctl gp-ck --json consent list | jq -r '.[].subject' | sort -u >"$WORK/subjects"
# D first, then B: when B is gone, keep_consent is over for D too
t_rev0=$(date +%s%N)
ctl gp-ck consent revoke "$D" >/dev/null || fail "setup: consent $D revoked"
t_revb=$(date +%s%N)
ctl gp-ck consent revoke "$B" >/dev/null || fail "setup: consent $B revoked"

check "the consent past its last day is removed" wait_until 15 bash -c "! listed $C"
# looked up first, the time taken after: B gone while less than
# keep_consent (6 s) went by since its revocation is a failure (since
# before it: the time after it would leave B's revocation up to a
# control call earlier than counted)
within "$t_revb" 6 "the revoked one is kept within keep_consent" listed "$B"
check "the revoked one without signals is removed after keep_consent" wait_until 15 bash -c "! listed $B"
check "  not before: 6 s after the revocation" [ $(($(date +%s%N) - t_rev0)) -ge 6000000000 ]
# F ended more than keep_consent (6 s) and a sweep ago (8 s after its
# revocation returned): looked up first, the time taken after; gone while
# less than the longest keep_sent (20 s) went by since before its
# revocation is a failure.
while [ $(($(date +%s%N) - t_f1)) -lt 8000000000 ]; do sleep 0.2; done
within "$t_f0" 20 "one granted by an older build (no signals noted) is kept past keep_consent, $((($(date +%s%N) - t_f1) / 1000000)) ms after its revocation" listed "$F"
# D was revoked before B, so its keep_consent is over too; its referral's
# outbox record (20 s from acceptance) keeps it. Looked up first, the
# outbox after: D gone while the record is still there is a failure.
there=no
listed "$D" && there=yes
if in_outbox "$idD"; then
	check "the revoked one with a referral still in the outbox is kept past keep_consent" [ $there = yes ]
else
	echo "skipped: the revoked one with a referral in the outbox is kept (its record went before the look-up)"
fi
check "  it is removed once its referral's outbox record is gone" wait_until 30 bash -c "! listed $D"
check "  not before: 20 s after the referral was accepted" [ $(($(date +%s%N) - t_d0)) -ge 20000000000 ]
check "  the referral's record went first (audit order)" bash -c \
	"ctl gp-ck --json audit list --event retention_removed | jq -r '.[].message_id' | grep -x -e $idD -e $D | paste -sd, | grep -qx '$idD,$D'"
check "  the one granted by an older build is removed once the longest keep_sent has passed" \
	wait_until 30 bash -c "! listed $F"
check "  not before: 20 s after its revocation" [ $(($(date +%s%N) - t_f0)) -ge 20000000000 ]
wait_until 10 bash -c "! in_outbox $idA"
check "the consent in force stays, though its referral's record is gone too" bash -c \
	"! in_outbox $idA && listed $A"
check "consent list shows neither of the removed ones, in text either" bash -c \
	"out=\$(ctl gp-ck consent list) && grep -q '$A' <<<\"\$out\" && ! grep -q -e '$B' -e '$C' -e '$D' -e '$F' <<<\"\$out\""

# The audit: one retention_removed entry per removed consent, by its
# reference only: no partner, pseudonym, resident key or date.
entries=$(ctl gp-ck --json audit list --event retention_removed)
for r in "$B" "$C" "$D" "$F"; do
	check "audited once, by reference only: $r" bash -c \
		"jq -e --arg r '$r' '[.[] | select(.message_id == \$r)] | length == 1 and (.[0] | .outcome == \"removed\" and ((.partner // \"\") == \"\") and ((.subject // \"\") == \"\") and ((.case_key // \"\") == \"\") and (.detail | contains(\"consent record\") and contains(\"keep_consent\")))' >/dev/null <<<\"\$0\"" "$entries"
done
check "  the revoked ones say revoked, the other its last day" bash -c \
	"jq -e --arg b '$B' --arg c '$C' '([.[] | select(.message_id == \$b)][0].detail | contains(\"revoked\")) and ([.[] | select(.message_id == \$c)][0].detail | contains(\"past its last day\"))' >/dev/null <<<\"\$0\"" "$entries"
check "  none for the consent in force" [ "$(removed_n "$A")" = 0 ]
check "the log names each removal by reference" bash -c \
	"for r in $B $C $D $F; do grep -q \"retention: consent \$r removed from the register\" '$WORK/gp-ck.log' || exit 1; done"
check "  with no pseudonym, purpose or date in those lines" bash -c \
	"[ -s '$WORK/subjects' ] && ! grep 'retention: consent' '$WORK/gp-ck.log' | sed 's/^[^ ]* //' | grep -q -e debts -e '$yesterday' -e 2020- -F -f '$WORK/subjects'"
check "no identifier of the resident in the log or the audit log" bash -c \
	"! { cat '$WORK/gp-ck.log'; ctl gp-ck --json audit export; } | grep -qi -e vries -e 1970-05-06 -e '9901 WA'"
check "the resident's inzage shows the removal under the consent" bash -c \
	"ctl gp-ck audit subject <<<'$resident' | grep -A4 '^Consent $B' | grep -q 'removed at the end of its retention period'"

# A referral under a removed consent is refused as under an unknown one.
out=$(referral "$D")
check "a referral under a removed consent is refused, no consent in the register: $out" \
	grep -q "CONSENT: field 'consent_ref': no consent with this reference in the register" <<<"$out"
check "  as under one never granted" bash -c \
	"grep -q \"CONSENT: field 'consent_ref': no consent with this reference in the register\" <<<\"\$0\"" \
	"$(referral 00112233445566778899aabbccddeeff)"

# kill -9 around the sweeps that remove ended consents: after the restart
# each is either still in the register or removed with exactly one audit
# entry, never one without the other; the audit log verifies.
E=()
for _ in 1 2 3 4 5 6; do E+=("$(grant)"); done
t_k=$(date +%s%N)
for r in "${E[@]}"; do
	ctl gp-ck consent revoke "$r" >/dev/null || fail "setup: consent $r revoked"
	sleep 0.3
done
# 6.5 s after the first revocation, while the later ones come due
left=$((6500 - ($(date +%s%N) - t_k) / 1000000))
[ $left -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
crash gp-ck
start gp-ck
# The sweep goes on meanwhile: entries counted before the look-up must be
# none if it is listed; counted after, one if it is not.
consistent() {
	local r n
	for r in "$@"; do
		n=$(removed_n "$r")
		if listed "$r"; then
			[ "$n" = 0 ] || { echo "$r: listed, and $n removal entries"; return 1; }
		else
			n=$(removed_n "$r")
			[ "$n" = 1 ] || { echo "$r: not listed, and $n removal entries"; return 1; }
		fi
	done
}
export -f consistent
check "after kill -9: each consent listed, or removed with one audit entry" consistent "${E[@]}" "$A" "$B" "$C" "$D" "$F"
check "  the audit log verifies" bash -c "ctl gp-ck audit verify >/dev/null"
check "  and the sweep goes on: all six are removed" wait_until 20 bash -c "for r in ${E[*]}; do ! listed \$r || exit 1; done"
check "  each audited once" consistent "${E[@]}"

stop gp-ck
stop team-ck
it_done
