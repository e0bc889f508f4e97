#!/usr/bin/env bash
# audit_keep: the audit log's entries older than it are removed in whole
# blocks of 16, oldest first, by the retention sweep; the stored hashes of
# those blocks keep the tree. The removal point is a multiple of 16 and
# stops at the latest signed head (gem-ak signs heads here only on request
# and after a resident's look-up, so the test decides how far it may go);
# the newest entries stay; `audit verify` passes and names the removed
# range; a head signed before the removal still checks (at a multiple of
# 16: its root too, with a consistency proof; else prove says why not); an
# inclusion proof of a kept entry checks offline; `audit subject` no
# longer lists a resident's removed entries; each sweep that removed
# something leaves one retention_removed entry and one log line without
# personal data; a changed kept entry is still found (and its block not
# removed); kill -9 in the middle of the removal leaves a log that
# verifies and goes on; with audit_keep = forever (gem-ak at first) or
# unset (corp-ak) nothing is removed.
. "$(dirname "$0")/lib.sh"
it_setup audit_keep
AUDIT_TAMPER=${AUDIT_TAMPER:-$(dirname "$0")/../../build/tests/integration/audit_tamper}
KEEP=3
partner gem-ak municipality_debt 17671 "audit_keep = forever" \
	"retention_interval = 1" "audit_head_interval = 3600"
partner corp-ak landlord 17672 "retention_interval = 1" "audit_head_interval = 1"
trust gem-ak corp-ak
trust corp-ak gem-ak

# --- the key, as seinhuisd -t reads it ----------------------------------------
conf_t() { # conf_t VALUE: seinhuisd -t on gem-ak's configuration with it
	sed "s/^audit_keep = .*/audit_keep = $1/" "$WORK/gem-ak.conf" | as_user tee "$WORK/t.conf" >/dev/null
	as_user "$SEINHUISD" -t -c "$WORK/t.conf" >"$WORK/t.out" 2>&1
}
refused() { ! conf_t "$1" && grep -q "audit_keep: must be 'N seconds|minutes|hours|days|months|years'" "$WORK/t.out"; }
for bad in "0 days" "7y" "-1 years" "7 aeons" "forever and ever"; do
	check "audit_keep = $bad is refused by seinhuisd -t, naming the key and its form" refused "$bad"
done
for good in "7 years" "1 year" "forever"; do
	check "audit_keep = $good is taken" conf_t "$good"
done
# shorter than the catalogue's longest retention period (18 months): taken,
# with a warning that names that period
warns() {
	conf_t "$1" && grep -q "audit_keep ($1) is shorter than the catalogue's keep_[a-z]* of \[[a-z_]*\] (18 months): the audit entries of what is still kept that long are removed before it; keep audit_keep at least 18 months" "$WORK/t.out"
}
quiet() { conf_t "$1" && ! grep -q "is shorter than the catalogue's" "$WORK/t.out"; }
check "audit_keep = 1 year: seinhuisd -t warns, naming the catalogue's longest retention period" warns "1 year"
check "audit_keep = 3 seconds: the same warning" warns "3 seconds"
for long in "18 months" "7 years" "forever"; do
	check "audit_keep = $long: no such warning" quiet "$long"
done

# Each sweep removes at most one block here, so that a removal of a few
# blocks takes a few sweeps and a kill -9 can fall between them.
export SEINHUIS_TEST_AUDIT_KEEP_STEP=1
start gem-ak
start corp-ak

vjson() { ctl gem-ak --json audit verify; }
removed() { vjson | jq -r .removed_entries; }
first_index() { ctl "$1" --json audit list --limit 1 2>/dev/null | jq -r '.[0].index'; }
size_now() { ctl gem-ak --json audit list --limit 1000000 | jq -r '.[-1].index + 1'; }
resident() { printf 'surname=Testpersoon%s\npostcode=1234 AB\nhouse_number=%s\n' "$1" "$1"; }
subject_ids() { resident "$1" | ctl gem-ak --json audit subject | jq -r '[.[].message_id|select(.!="")]|unique|.[]'; }
subject_min() { resident "$1" | ctl gem-ak --json audit subject | jq -r '[.[].index]|min'; }
export -f vjson removed first_index size_now

# --- the entries that will be removed -----------------------------------------
N=24
for n in $(seq 1 $N); do send_arrears corp-ak gem-ak "$n" >/dev/null; done
check "all $N signals delivered" wait_until 20 bash -c "[ \$(inbox_ids gem-ak | wc -l) = $N ]"
old_ids=$(subject_ids 1)
check "before: audit subject lists resident 1's signal" [ -n "$old_ids" ]
# a head at a size that is not a multiple of 16, then one that is (each
# look-up of a resident adds one entry, subject_access)
[ $(($(size_now) % 16)) = 0 ] && subject_ids 2 >/dev/null
ctl gem-ak audit head >"$WORK/head_odd.json"
for _ in $(seq 1 17); do
	[ $(($(size_now) % 16)) = 0 ] && break
	subject_ids 2 >/dev/null
done
ctl gem-ak audit head >"$WORK/head16.json"
odd=$(jq .tree_size "$WORK/head_odd.json")
S16=$(jq .tree_size "$WORK/head16.json")
check "heads signed at $odd (not a multiple of 16) and $S16 (one)" \
	[ $((odd % 16)) != 0 -a $((S16 % 16)) = 0 -a "$S16" -gt "$odd" ]

# --- without audit_keep nothing goes; with it, block by block ---------------------
sleep 2 # two sweeps
check "with audit_keep = forever nothing is removed" bash -c \
	"[ \$(first_index gem-ak) = 0 ] && [ \$(removed) = 0 ]"
# Now with audit_keep: a kill -9 to change it (a stop would sign a head),
# and another in the middle of the removal.
crash gem-ak
set_conf gem-ak audit_keep "$KEEP seconds"
start gem-ak
check "the first block is removed once it is older than audit_keep ($KEEP s)" \
	wait_until $((KEEP + 15)) bash -c "[ \$(first_index gem-ak) -ge 16 ]"
crash gem-ak
start gem-ak
r=$(removed)
check "after kill -9 in the middle of the removal: the log verifies (removed: $r)" bash -c \
	"vjson | jq -e '.ok' >/dev/null"
f=$(first_index gem-ak) # (the removal goes on meanwhile)
check "  the removal point is a multiple of 16 and the table starts there ($r, $f)" bash -c \
	"[ \$(( $r % 16 )) = 0 ] && [ $r -ge 16 ] && [ \$(( $f % 16 )) = 0 ] && [ $f -ge $r ]"
# --- newer entries, beyond the latest head: kept ------------------------------
send_arrears corp-ak gem-ak 1 2026-08-01 >/dev/null
for n in $(seq 31 37); do send_arrears corp-ak gem-ak "$n" >/dev/null; done
check "8 more delivered, one of them about resident 1 again" \
	wait_until 20 bash -c "[ \$(inbox_ids gem-ak | wc -l) = $((N + 8)) ]"

check "the removal goes on, up to the latest signed head ($S16)" \
	wait_until 20 bash -c "[ \$(removed) = $S16 ]"
sleep 2 # two more sweeps: nothing beyond the head goes
v=$(vjson)
check "audit verify passes and reports entries 0..$((S16 - 1)) removed" \
	json_has ".ok and .removed_entries == $S16" <<<"$v"
check "  the head at $odd, inside the removed part, counted as not recomputed" \
	json_has '.heads_not_recomputed >= 1' <<<"$v"
out=$(ctl gem-ak audit verify)
check "  and says so in words" grep -q "note: entries 0..$((S16 - 1)) were removed by audit_keep; the stored hashes cover them" <<<"$out"
# (before a look-up signs a newer head: those entries go in their turn)
rem=$(ctl gem-ak --json audit list --event retention_removed --limit 1000)
check "each sweep recorded retention_removed 'audit entries A..B older than audit_keep removed', together 0..$((S16 - 1))" \
	json_has "[.[].detail | capture(\"^audit entries (?<a>[0-9]+)\\\\.\\\\.(?<b>[0-9]+) older than audit_keep removed$\")
	  | {a: (.a|tonumber), b: (.b|tonumber)}] | sort_by(.a) as \$r
	  | (\$r|length) >= 1 and \$r[0].a == 0 and \$r[-1].b == $((S16 - 1))
	  and all(range(1; \$r|length); \$r[.].a == \$r[. - 1].b + 1)" <<<"$rem"
check "  with no pseudonym, case key or partner" \
	json_has 'all(.[]; (.subject // "") == "" and (.case_key // "") == "" and (.partner // "") == "")' <<<"$rem"
check "the newest entries stay: the table starts at $S16" [ "$(first_index gem-ak)" = "$S16" ]
new_ids=$(subject_ids 1)
gone() { [ -n "$new_ids" ] && ! grep -qxF "$old_ids" <<<"$new_ids" && [ "$(subject_min 1)" -ge "$S16" ]; }
check "audit subject no longer lists resident 1's removed signal, only the new one" gone

# --- proofs ------------------------------------------------------------------------
CARD=$WORK/gem-ak/keys/card
check "the head signed before the removal at $S16 still checks offline" \
	"$SEINCTL" audit check-proof "$WORK/head16.json" --card "$CARD"
rc=0
ctl gem-ak audit prove --old "$WORK/head_odd.json" >/dev/null 2>"$WORK/t.err" || rc=$?
check "a consistency proof from $odd (removed, not a multiple of 16) is refused naming audit_keep (exit $rc)" \
	bash -c "[ $rc != 0 ] && grep -q 'audit_keep removed entries 0 to [0-9]*, and below there only a size that is a multiple of 16' $WORK/t.err"
rc=0
ctl gem-ak audit prove --index 3 >/dev/null 2>"$WORK/t.err" || rc=$?
check "an inclusion proof of removed entry 3 is refused naming audit_keep (exit $rc)" \
	bash -c "[ $rc != 0 ] && grep -q 'entry 3 was removed by audit_keep' $WORK/t.err"
# a newer head over a size that is not a multiple of 16, and the proofs
# against it at once (its last block is never removed)
[ $(($(size_now) % 16)) = 0 ] && subject_ids 2 >/dev/null
ctl gem-ak audit head >"$WORK/head2.json"
S2=$(jq .tree_size "$WORK/head2.json")
ctl gem-ak audit prove --old "$WORK/head16.json" >"$WORK/cons.json"
check "a consistency proof from the head at $S16 to $S2 checks offline" \
	"$SEINCTL" audit check-proof "$WORK/cons.json" --old "$WORK/head16.json" --card "$CARD"
ctl gem-ak audit prove --index $((S2 - 1)) >"$WORK/incl.json"
check "an inclusion proof of kept entry $((S2 - 1)) checks offline" \
	"$SEINCTL" audit check-proof "$WORK/incl.json" --card "$CARD"

# --- the sweep's log line ---------------------------------------------------------
check "the log says so, one line a sweep" \
	grep -q "retention: audit entries 0\.\.15 older than audit_keep removed" "$WORK/gem-ak.log"
check "no name, street or postcode in either daemon's log" bash -c \
	"! grep -Eq 'Testpersoon|Teststraat|1234 AB' $WORK/gem-ak.log $WORK/corp-ak.log"
check "without audit_keep (corp-ak) nothing is removed, however old" bash -c \
	"[ \$(first_index corp-ak) = 0 ] && ctl corp-ak --json audit verify | jq -e '.ok and .removed_entries == 0' >/dev/null"

# --- a changed kept entry: still found, and its block kept -------------------------
# The head at $S2 lets the sweep go on to $F; once there, stop (which signs
# a head), change an entry of the first kept block, start, add entries
# past that block and sign a head over them: the sweep must stop there.
F=$((S2 / 16 * 16))
check "with the head at $S2 the removal goes on to $F" wait_until 20 bash -c "[ \$(removed) = $F ]"
stop gem-ak || fail "gem-ak exit status"
check "seinhuisd -t verifies the log offline and notes the removed entries 0..$((F - 1))" bash -c \
	"as_user $SEINHUISD -t -c $WORK/gem-ak.conf | grep -q 'seinhuisd: note: entries 0..$((F - 1)) were removed by audit_keep; the stored hashes cover them'"
bad=$((F + 2))
as_user "$AUDIT_TAMPER" "$WORK/gem-ak/data" flip $bad >/dev/null || fail "audit_tamper flip"
start gem-ak
for _ in $(seq 1 20); do
	[ "$(size_now)" -gt $((F + 17)) ] && break
	subject_ids 2 >/dev/null
done
ctl gem-ak audit head >/dev/null
rc=0
out=$(ctl gem-ak audit verify) || rc=$?
check "a changed kept entry ($bad) fails audit verify, naming its block from $F (exit $rc)" bash -c \
	"[ $rc = 1 ] && grep -q 'first bad entry: $F\$' <<<\"\$0\"" "$out"
check "  and its block is not removed: the sweep says why" \
	wait_until 10 grep -q "audit_keep: entries $F to $((F + 15)) are not removed: they do not match" "$WORK/gem-ak.log"
check "  the changed block is still there" [ "$(first_index gem-ak)" = "$F" ]

if stop gem-ak; then pass "gem-ak stops cleanly"; else fail "gem-ak exit status"; fi
if stop corp-ak; then pass "corp-ak stops cleanly"; else fail "corp-ak exit status"; fi
it_done
