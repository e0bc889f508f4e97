#!/usr/bin/env bash
# upgrade_from: a data directory written by an older seinhuisd, with
# signals delivered and signals still pending, opened by this build. Not
# part of ctest (it needs an older build); run it by hand after a change
# of the store's format:
#
#   git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build &&
#   cmake --build /tmp/old/build --target seinhuisd
#   OLD_SEINHUISD=/tmp/old/build/seinhuisd bash tests/integration/upgrade_from.sh
#
# Checks: this build's `seinhuisd -t` accepts the old store; the daemon
# upgrades it and keeps the pending signals; everything accepted by either
# build ends in the recipient's inbox exactly once; a signal either build
# delivered verifies after the sender's key rotation; the store passes the
# start-up check afterwards. Then, if the store's schema changed, that the
# older build refuses it and names the schema.
. "$(dirname "$0")/lib.sh"
it_setup_two_builds upgrade_from
SEINHUISD=$WORK/bin/seinhuisd-old
schema() { mdb_dump -p -s meta "$WORK/$1/data" | awk 'v { print substr($0, 2); exit } $0 == " schema" { v = 1 }'; }
partner gem-up municipality_debt 17941
partner corp-up landlord 17942
trust_all
start gem-up && start corp-up || { it_done; exit 1; }
send_file() { # send_file COUNT BATCH: accepted ids added to $WORK/accepted
	arrears_json "$1" gem-up "$2" >"$WORK/batch.json"
	ctl corp-up --json send --file "$WORK/batch.json" |
		jq -r '.[] | select(.ok) | .message_id' >>"$WORK/accepted"
}
send_file 300 1
# Two residents at one address (rooms let separately), the same kind and
# start date, no creditor reference. A build before store schema 4 keyed
# them alike and skipped the second as sent before, though it was never
# sent; the first row is accepted here either way.
hdr="creditor_reference;arrears_kind;amount_cents;arrears_since;contact_attempt_date;reminder_date;urgency;creditor_contact;initials;surname;street;house_number;postcode;place"
{
	echo "$hdr"
	echo ";rent;45000;2026-08-01;2026-09-01;2026-09-15;none;desk;J.;Jansen;Gracht;301;2000 BB;Teststad"
	echo ";rent;38000;2026-08-01;2026-09-01;2026-09-15;none;desk;P.;Pietersen;Gracht;301;2000 BB;Teststad"
} >"$WORK/two.csv"
chmod 644 "$WORK/two.csv"
two() { ctl corp-up import "$WORK/two.csv" --type arrears --to gem-up --set legal_basis=legal_duty 2>&1; }
out=$(two)
echo "old build, two residents: $out"
old_two_accepted=$(sed -n 's/.* rows: \([0-9]*\) accepted.*/\1/p' <<<"$out" | tail -n 1)
check "old build: the first of two residents at one address accepted ($old_two_accepted accepted)" \
	[ "${old_two_accepted:-0}" -ge 1 ]
check "old build: 300 delivered" \
	wait_until 30 bash -c "[ \"\$(status_field corp-up outbox_pending)\" = 0 ]"
stop gem-up
send_file 200 2
check "old build: 200 pending with the recipient down" \
	[ "$(status_field corp-up outbox_pending)" = 200 ]
stop corp-up
old_schema=$(schema corp-up)
echo "the old build's store has schema '$old_schema'"
SEINHUISD=$WORK/bin/seinhuisd-new
check "this build: -T accepts the old store" \
	as_user "$SEINHUISD" -T -c "$WORK/corp-up.conf"
start corp-up || { it_done; exit 1; }
new_schema=$(schema corp-up)
echo "this build's store has schema '$new_schema'"
check "this build: the 200 are still pending" \
	[ "$(status_field corp-up outbox_pending)" = 200 ]
# Rows the old build accepted, sent again to this build: their natural keys
# (kept in the old build's form) are still found, so none goes out twice.
again() { # again BATCH COUNT: all refused as sent before
	arrears_json "$2" gem-up "$1" >"$WORK/again.json"
	ctl corp-up --json send --file "$WORK/again.json" |
		jq -e --argjson n "$2" '[.[] | select(.ok == false and .rule == "DUPLICATE")] | length == $n' >/dev/null
}
check "this build: the 300 rows the old build delivered, sent again, are refused as sent before" again 1 300
check "this build: the 200 it left pending too" again 2 200
# The two residents again: a key of the old build names no resident; the
# row of the resident it was sent for is still skipped, the other one is
# sent now (unless the old build sent it already).
out=$(two)
echo "this build, two residents: $out"
check "this build: of the two residents, what the old build sent is skipped, the rest sent: $out" \
	grep -q "2 rows: $((2 - old_two_accepted)) accepted, 0 refused, $old_two_accepted skipped" <<<"$out"
out=$(two)
check "this build: the two again, both skipped: $out" grep -q "2 rows: 0 accepted, 0 refused, 2 skipped" <<<"$out"
send_file 100 3
check "this build: its own 100, sent again, too" again 3 100
start gem-up || { it_done; exit 1; }
check "this build: everything is delivered" \
	wait_until 60 bash -c "[ \"\$(status_field corp-up outbox_pending)\" = 0 ]"
sort "$WORK/accepted" >"$WORK/acc"
inbox_ids gem-up | sort >"$WORK/inbox"
# (the two residents' signals, imported, are not in $WORK/accepted)
inbox_ids gem-up | sort | grep -vxF -f "$WORK/acc" >"$WORK/others"
check "the two residents' signals: 2 in the inbox besides the 600" [ "$(wc -l <"$WORK/others")" = 2 ]
inbox_ids gem-up | sort | grep -xF -f "$WORK/acc" >"$WORK/inbox"
check "accepted $(wc -l <"$WORK/acc") (600), in the inbox $(wc -l <"$WORK/inbox"), the same ids" \
	bash -c "[ $(wc -l <"$WORK/acc") = 600 ] && cmp -s '$WORK/acc' '$WORK/inbox'"
check "none twice" [ -z "$(inbox_ids gem-up | sort | uniq -d)" ]
old_id=$(head -n 1 "$WORK/accepted") new_id=$(tail -n 1 "$WORK/accepted")
# The sender rotates its keys and the recipient trusts its new card: a
# signal the old build delivered (its inbox record notes no signing key,
# and every key known is tried) verifies as one this build delivered does,
# by the first key, superseded.
as_user "$SEINKEY" rotate --dir "$WORK/corp-up/keys" --overlap 1h >/dev/null
as_user "$SEINKEY" trust --trustdir "$WORK/gem-up/trust" "$WORK/corp-up/keys/card" >/dev/null
for id in "$old_id" "$new_id"; do
	check "after the sender's rotation, $id verifies by its first key, superseded" wait_until 10 bash -c \
		"ctl gem-up --json inbox show $id | json_has '(.signature | startswith(\"verified: \") and contains(\"(superseded on \")) and (.signing_key | length == 16)'"
done
# Taking a signal delivered by the old build (its inbox record may lack
# what newer builds keep there, such as the resident key) and one delivered
# by this build: each taken entry has its delivered entry's resident key.
same_key() {
	ctl gem-up --json audit list --id "$1" | jq -e '[.[] | select(.event == "delivered" or .event == "taken") | .case_key] | length == 2 and (unique | length) == 1 and (.[0] | length) == 64' >/dev/null
}
for id in "$old_id" "$new_id"; do
	check "take $id: accepted" ctl gem-up inbox ack "$id"
	check "  its taken entry has its delivered entry's resident key" same_key "$id"
done
stop corp-up
stop gem-up
check "this build: -T accepts the upgraded store" \
	as_user "$SEINHUISD" -T -c "$WORK/corp-up.conf"
if [ "$old_schema" != "$new_schema" ]; then
	as_user "$WORK/bin/seinhuisd-old" -t -c "$WORK/corp-up.conf" >"$WORK/old.out" 2>&1
	check "the old build refuses the upgraded store, naming its schema ($(tail -n1 "$WORK/old.out"))" \
		grep -q "schema '$new_schema'" "$WORK/old.out"
fi
it_done
