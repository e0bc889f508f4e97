#!/usr/bin/env bash
# Two daemons: a signal is accepted, delivered, receipted, lands in the
# recipient's inbox exactly once, and leaves it when the team acks it.
. "$(dirname "$0")/lib.sh"
it_setup exchange
partner gem-test municipality_debt 17201
partner corp-test landlord 17202
trust_all
start gem-test
start corp-test

out=$(send_arrears corp-test gem-test 7)
id=${out#accepted }
check "send is accepted with a message id" [ ${#id} -eq 32 ]
check "receipt comes back: outbox shows delivered" \
	wait_until 10 bash -c "[ \"\$(outbox_ids corp-test delivered)\" = $id ]"
check "sender's outbox has nothing pending" [ -z "$(outbox_ids corp-test pending)" ]
check "recipient's inbox holds exactly that signal once" [ "$(inbox_ids gem-test)" = "$id" ]
show=$(ctl gem-test --json inbox show "$id")
check "inbox show gives the clear fields" \
	[ "$(jq -r .fields.amount_cents <<<"$show")" = 10007 -a "$(jq -r .fields.arrears_kind <<<"$show")" = rent ]
check "inbox show gives a 32-byte subject pseudonym" [ "$(jq -r .subject <<<"$show" | tr -d '\n' | wc -c)" = 64 ]
check "no personal value in the listing" bash -c "! ctl gem-test --json inbox show $id | grep -q Testpersoon"
check "the stored signal proves its sender alone: batch signature and audit path" \
	json_has '.signature | test("^verified: batch signature, signal 1 of 1, audit path of 0 hashes, by key [0-9a-f]{16}$")' <<<"$show"
check "  also in the text output" bash -c \
	"ctl gem-test inbox show $id | grep -q '^signature    verified: batch signature'"
check "status counts one received" [ "$(status_field gem-test received)" = 1 ]

check "a field of another signal type is refused with its name" \
	bash -c "ctl corp-test send --type arrears --to gem-test legal_basis=legal_duty concern_category=neglect 2>&1 | grep -q \"FIELD_UNKNOWN: field 'concern_category': not allowed in arrears signals\""
check "a name no signal type knows is refused by its place (it may be data)" \
	bash -c "ctl corp-test send --type arrears --to gem-test legal_basis=legal_duty colour=blue 2>&1 | grep -q \"FIELD_UNKNOWN: field '#2': not a field of any signal type\""
check "unknown recipient is refused" \
	bash -c "ctl corp-test send --type arrears --to nobody x=1 2>&1 | grep -q UNTRUSTED"

check "ack removes it from the inbox" ctl gem-test inbox ack "$id"
check "inbox is empty after ack" [ -z "$(inbox_ids gem-test)" ]
check "a second ack is refused as not found" bash -c "! ctl gem-test inbox ack $id 2>/dev/null"

# Batch through a JSON file: several signals in one pipelined call.
arrears_json 50 gem-test >"$WORK/batch.json"
check "a JSON batch of 50 is accepted" ctl corp-test send --file "$WORK/batch.json"
check "all 50 arrive exactly once" \
	wait_until 10 bash -c "[ \$(inbox_ids gem-test | sort -u | wc -l) = 50 -a \$(inbox_ids gem-test | wc -l) = 50 ]"

# inbox watch: each signal once, as soon as it is committed; other clients
# are served while a watch waits.
before=$(inbox_ids gem-test | sort)
ctl gem-test --json inbox watch --count 3 --timeout 30 >"$WORK/watch.json" \
	2>"$WORK/watch.err" &
watcher=$!
# The watch waits from the inbox's end as it is when its request arrives:
# send only once the daemon counts it among the open watches.
check "the daemon's status counts the waiting watch" \
	wait_until 10 bash -c "ctl gem-test --json status | jq -e '.inbox_watches == 1' >/dev/null"
for n in 101 102 103; do send_arrears corp-test gem-test $n >/dev/null; done
check "a watch waiting does not hold up the team's other requests" \
	bash -c "ctl gem-test --json status | jq -e '.received >= 51' >/dev/null"
wait "$watcher"
check "inbox watch --count 3 ends by itself with status 0" [ $? -eq 0 ]
check "  and is no longer counted" \
	bash -c "ctl gem-test --json status | jq -e '.inbox_watches == 0' >/dev/null"
new=$(comm -13 <(echo "$before") <(inbox_ids gem-test | sort))
check "the watch showed the 3 new signals, each once" \
	[ "$(jq -r .message_id "$WORK/watch.json" | sort)" = "$new" -a "$(wc -l <"$WORK/watch.json")" = 3 ]
check "  with their clear fields and no personal value" bash -c \
	"jq -e .fields.amount_cents '$WORK/watch.json' >/dev/null && ! grep -q Testpersoon '$WORK/watch.json'"
t0=$(date +%s%N)
out=$(ctl gem-test inbox watch --timeout 1)
t1=$(date +%s%N)
check "a watch with nothing arriving ends after its timeout, header only" \
	[ $(((t1 - t0) / 1000000)) -ge 900 -a "$(wc -l <<<"$out")" = 1 ]
check "inbox with an option that belongs to inbox list: exit 2, saying what inbox takes" bash -c \
	"ctl gem-test inbox --limit 2 2>&1 | grep -q \"inbox takes list \\[--limit N\\]\"; s=(\"\${PIPESTATUS[@]}\"); [ \${s[0]} = 2 ]"
check "inbox watch --timeout 0 is refused with the usage" bash -c \
	"ctl gem-test inbox watch --timeout 0 2>&1 | grep -q usage"
for tool in "$SEINHUISD" "$SEINKEY" "$SEINCTL"; do
	check "$(basename "$tool") --help and --version: exit 0, on standard output" bash -c \
		"'$tool' --help 2>/dev/null | grep -q '^usage: ' && '$tool' --version 2>/dev/null | grep -Eq ' [0-9]+\.[0-9]+\.[0-9]+\$'"
done

# Under systemd, whose journal takes standard error (JOURNAL_STREAM names
# it), each line leads with its priority for the journal and leaves the time
# stamp to it: a second daemon on the same data directory is refused at the
# error level, '<3>'. With standard error elsewhere, lines keep their time.
as_user timeout 20 bash -c "exec 2>'$WORK/second.err'; JOURNAL_STREAM=\$(stat -c %d:%i '$WORK/second.err') exec '$SEINHUISD' -c '$WORK/gem-test.conf'"
check "a line to the journal carries its priority: $(head -c 120 "$WORK/second.err")" \
	grep -q '^<3>seinhuisd\[error\] data store: ' "$WORK/second.err"
# JOURNAL_STREAM inherited, but standard error redirected elsewhere since
as_user timeout 20 bash -c "exec 2>'$WORK/third.err'; JOURNAL_STREAM=\$(stat -c %d:%i '$WORK/second.err') exec '$SEINHUISD' -c '$WORK/gem-test.conf'"
check "  a line elsewhere its time stamp, also with JOURNAL_STREAM naming another stream: $(head -c 60 "$WORK/third.err")" \
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z seinhuisd\[error\] data store: ' "$WORK/third.err"
check "  the running daemon is not disturbed" bash -c "kill -0 ${IT_PIDS[gem-test]} && ctl gem-test status >/dev/null"

# A tree head that cannot be kept beside the store (here a directory is in
# the way of the file's new copy) is an error in the log and in status.
as_user mkdir "$WORK/gem-test/data/audit-head.new"
ctl gem-test audit head >/dev/null
check "a tree head file that cannot be written: an error in the log" \
	wait_until 5 grep -q 'seinhuisd\[error\] audit: cannot keep the last tree head' "$WORK/gem-test.log"
check "  and in status's last errors" bash -c \
	"ctl gem-test --json status | jq -e '[.last_errors[] | select(startswith(\"audit: cannot keep the last tree head\"))] | length == 1' >/dev/null"
rmdir "$WORK/gem-test/data/audit-head.new"

# SIGHUP (what tools send to ask for a reload) is logged and ignored.
kill -HUP "${IT_PIDS[gem-test]}"
check "SIGHUP is logged as reloading nothing" \
	wait_until 5 grep -q "seinhuisd\[info\] SIGHUP: nothing is reloaded" "$WORK/gem-test.log"
check "  and the daemon goes on serving" bash -c \
	"kill -0 ${IT_PIDS[gem-test]} && [ \"\$(status_field gem-test received)\" -ge 54 ]"

# The municipality's daemon moves to another port: seinkey card changes its
# card's endpoint (the keys stay), its listen line follows, and the
# landlord's daemon, running on, takes the new card from its trust store
# and delivers there, without a restart.
before_move=$(inbox_ids gem-test | wc -l)
stop gem-test
out=$(as_user "$SEINKEY" card --dir "$WORK/gem-test/keys" --endpoint "tcp://127.0.0.1:$((17203 + ${SEINHUIS_PORT_OFFSET:-0}))" 2>&1)
check "seinkey card --endpoint changes the card, keys kept" bash -c \
	"grep -q \"changed the card of 'gem-test'.*its keys are the same\" <<<\"\$0\" &&
	 grep -q '^endpoint = tcp://127.0.0.1:$((17203 + ${SEINHUIS_PORT_OFFSET:-0}))\$' '$WORK/gem-test/keys/card' &&
	 as_user '$SEINKEY' show '$WORK/gem-test/keys/card' >/dev/null" "$out"
rc=0
as_user "$SEINKEY" card --dir "$WORK/gem-test/keys" --endpoint "tcp://*:17203" 2>/dev/null || rc=$?
check "... an endpoint partners cannot dial is refused (exit $rc), the card as it was" bash -c \
	"[ $rc = 2 ] && grep -q '^endpoint = tcp://127.0.0.1:$((17203 + ${SEINHUIS_PORT_OFFSET:-0}))\$' '$WORK/gem-test/keys/card'"
as_user sed -i "s|^listen = .*|listen = tcp://127.0.0.1:$((17203 + ${SEINHUIS_PORT_OFFSET:-0}))|" "$WORK/gem-test.conf"
start gem-test
as_user "$SEINKEY" trust --trustdir "$WORK/corp-test/trust" "$WORK/gem-test/keys/card" >/dev/null
check "the landlord's daemon takes the changed card without a restart" \
	wait_until 10 grep -q "trust store: gem-test changed; reconnecting" "$WORK/corp-test.log"
moved=$(send_arrears corp-test gem-test 9001 | awk '$1 == "accepted" {print $2}')
check "... and delivers to the new endpoint" wait_until 15 bash -c \
	"inbox_ids gem-test | grep -qx '$moved' && [ \$(inbox_ids gem-test | wc -l) = $((before_move + 1)) ]"

# A card copied over the trusted one in place (cp keeps the file's inode,
# and the directory's mtime): the daemon sees the file change all the
# same. Here the municipality rotates its keys and restarts on the new
# ones; the landlord's daemon, running on, takes the new card and delivers
# under the new key, which the old card would not reach.
card=$WORK/corp-test/trust/gem-test.card
changes=$(grep -c "trust store: gem-test changed; reconnecting" "$WORK/corp-test.log")
ino=$(stat -c %i "$card")
dir_mtime=$(stat -c %y "$WORK/corp-test/trust")
stop gem-test
as_user "$SEINKEY" rotate --dir "$WORK/gem-test/keys" --overlap 1h >/dev/null
start gem-test
as_user cp "$WORK/gem-test/keys/card" "$card"
check "cp over the card keeps its file and the directory's mtime" \
	[ "$(stat -c %i "$card")" = "$ino" -a "$(stat -c %y "$WORK/corp-test/trust")" = "$dir_mtime" ]
check "the landlord's daemon takes the card copied in place, without a restart" \
	wait_until 10 bash -c "[ \$(grep -c 'trust store: gem-test changed; reconnecting' '$WORK/corp-test.log') = $((changes + 1)) ]"
rotated=$(send_arrears corp-test gem-test 9002 | awk '$1 == "accepted" {print $2}')
check "... and delivers under the new key" wait_until 15 bash -c \
	"inbox_ids gem-test | grep -qx '$rotated' && [ \"\$(outbox_ids corp-test delivered | grep -cx '$rotated')\" = 1 ]"

# This partner's own card in its trust store (seinkey trust without -c
# cannot know whose store it is) is left out, with a warning naming the
# rule; the rest of the store is kept.
as_user cp "$WORK/corp-test/keys/card" "$WORK/corp-test/trust/own-copy.card"
# (-t on a copy of the configuration with a data store of its own: the
# running daemon holds its own, and its listen port, which -t lets pass as
# that daemon's because it answers on the copy's control socket)
sed -e "s|^datadir = .*|datadir = $WORK/corp-t-data|" "$WORK/corp-test.conf" |
	as_user tee "$WORK/corp-t.conf" >/dev/null
out=$(as_user "$SEINHUISD" -t -c "$WORK/corp-t.conf" 2>&1)
check "seinhuisd -t: the own card is left out, saying why: $out" bash -c \
	"grep -q \"trust store: .*own-copy.card: left out: it has the partner id of 'corp-test', this partner itself: a partner does not trust its own card\" <<<\"\$0\" &&
	 grep -q 'trust store (1 partners)' <<<\"\$0\"" "$out"
check "the running daemon leaves it out too, keeping the rest" \
	wait_until 10 grep -q "own-copy.card: left out: it has the partner id of 'corp-test'" "$WORK/corp-test.log"
rc=0
as_user "$SEINKEY" -c "$WORK/corp-test.conf" trust "$WORK/corp-test/keys/card" 2>"$WORK/own.err" || rc=$?
check "seinkey -c ... trust of the own card: refused (exit $rc)" bash -c \
	"[ $rc = 1 ] && grep -q 'a partner does not trust its own card' '$WORK/own.err'"
as_user rm "$WORK/corp-test/trust/own-copy.card"
out=$(send_arrears corp-test gem-test 9003)
check "  signals still flow: $out" grep -q '^accepted ' <<<"$out"

# The outbox listing: a state given without --state is refused, not
# ignored; a listing cut by --limit says there may be more.
out=$(ctl corp-test outbox pending 2>&1)
rc=$?
check "outbox with a stray argument: refused (exit $rc), without echoing it: $out" bash -c \
	"[ $rc = 2 ] && grep -q 'an unexpected argument after the options (a state goes with --state)' <<<\"\$0\" && ! grep -q pending <<<\"\$0\"" "$out"
check "outbox --limit 1 of several: one listed, and a note that there may be more" bash -c \
	"ctl corp-test --json outbox --limit 1 2>'$WORK/ob.err' | jq -e 'length == 1' >/dev/null &&
	 grep -q 'the listing stops at 1 signals, newest first; there may be more' '$WORK/ob.err'"
check "status with an argument: refused, saying so" bash -c \
	"! ctl corp-test status extra 2>&1 | grep -q 'unknown command' && ctl corp-test status extra 2>&1 | grep -q 'status takes no arguments'"

stop gem-test && pass "recipient stops cleanly on SIGTERM" || fail "recipient exit status"
stop corp-test && pass "sender stops cleanly on SIGTERM" || fail "sender exit status"
it_done
