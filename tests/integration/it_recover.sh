#!/usr/bin/env bash
# Recovery of a restored recipient: `seinctl recover --since T` asks the
# partners to send again what they delivered to it at or after T. A
# recipient backed up (stopped) after 5 signals receives 6 more, is
# restored to the backup (5) and asks from the time it was started again:
# the sender sends the 6 again and the inbox holds all 11, each once. Asked
# from before the first signal, the sender sends all 11 and the recipient
# answers them as duplicates. Wrong uses are refused and change nothing.
# The kept envelopes survive a restart of the sender, and a sender killed
# (-9) while it sends them again sends the rest after its restart, each
# arriving once; so does a recipient killed while they arrive. A request
# to a sender that is down is kept in the recipient's store: a restart of
# the recipient goes on asking, and the sender answers once it is back.
# A sender keeps delivered envelopes for resend_window seconds only: with
# a window of 2 seconds and a retention sweep every second, a later
# request finds nothing to send. Both sides audit the request
# (resend_requested), both audit logs verify, and no log holds the
# fictional residents' data.
. "$(dirname "$0")/lib.sh"
it_setup recover
R=gem-rv
S=corp-rv
partner $R municipality_debt 17954
# resend_step = 2: the sender answers a request in steps of two kept
# envelopes, a loop turn each (log_level debug shows the steps)
# recover_interval = 0: it answers each request (step q sets one)
partner $S landlord 17955 "checkpoint_ms = 100" "resend_step = 2" "log_level = debug" \
	"recover_interval = 0"
trust_all
start $R
start $S

# FIELD of the recipient's status entry for the sender.
peer_field() { ctl "$1" --json status | jq -r --arg p "$2" ".peers[] | select(.partner == \$p) | .$3"; }
# The recipient's inbox holds exactly the ids in $WORK/ids (sorted).
inbox_is_ids() { [ "$(inbox_ids "$1" | sort)" = "$(cat "$WORK/ids")" ]; }
# The sender holds all 11 as delivered and none pending.
sender_settled() {
	[ "$(outbox_ids $S delivered | wc -l)" = 11 ] && [ "$(outbox_ids $S pending | wc -l)" = 0 ]
}
# The recipient's inbox holds N signals.
inbox_has() { [ "$(inbox_ids $R | wc -l)" = "$1" ]; }
# resend_requested audit entries (JSON array) at a daemon.
resend_audit() { ctl "$1" --json audit list --limit 100000 --event resend_requested; }
export -f peer_field inbox_is_ids resend_audit
now_ms() { date +%s%3N; }
# recover_ok RC OUTPUT: seinctl recover succeeded and asked one partner.
recover_ok() { [ "$1" = 0 ] && grep -q '^recover: asked 1 partner(s)' <<<"$2"; }
# ask STEP ARGS...: seinctl recover ARGS at the recipient asks one partner;
# t is set to the time just before, for answered_after
ask() {
	local step=$1 rc=0 out
	shift
	t=$(now_ms)
	out=$(ctl $R recover "$@" 2>&1) || rc=$?
	check "$step: recover $* asks one partner ($rc): $out" recover_ok $rc "$out"
}
# answered_after MS COUNT: the sender's answer to a request made at or
# after MS arrived, saying it sends COUNT signals again.
answered_after() {
	local at n
	at=$(peer_field $R $S recover_answered_ms)
	n=$(peer_field $R $S recover_count)
	[[ $at =~ ^[0-9]+$ ]] && [ "$at" -ge "$1" ] && [ "$n" = "$2" ]
}
# audit_outcomes ID OUTCOME PARTNER N: N resend_requested entries.
audit_outcomes() {
	resend_audit "$1" | json_has "[.[] | select(.outcome == \"$2\" and .partner == \"$3\")] | length == $4"
}
# the sender's "queued" entries name the counts given, in order.
queued_counts() {
	local details i=0 d
	mapfile -t details < <(resend_audit $S | jq -r --arg p $R '.[] | select(.outcome == "queued" and .partner == $p) | .detail')
	[ ${#details[@]} = $# ] || return 1
	for d in "$@"; do
		[[ " ${details[$i]//[^0-9]/ } " == *" $d "* ]] || return 1
		i=$((i + 1))
	done
}

# A backup of the recipient's store (taken stopped) put back in place.
restore() { # restore ID BACKUP-DIR
	cp "$2/data.mdb" "$WORK/$1/data/data.mdb"
	chown "$RUN_USER:" "$WORK/$1/data/data.mdb"
	chmod 600 "$WORK/$1/data/data.mdb"
	rm -f "$WORK/$1/data/journal"
}

# --- a. 5 signals -------------------------------------------------------------
TA=$(($(date +%s) - 5)) # before the first signal
declare -a ID=()
for n in 1 2 3 4 5; do
	out=$(send_arrears $S $R "$n")
	ID+=("${out#accepted }")
done
check "a: 5 signals delivered" wait_until 15 inbox_has 5
check "a: ... and settled at the sender" \
	wait_until 15 bash -c "[ \$(outbox_ids $S delivered | wc -l) = 5 ]"

# --- b. back the recipient up, stopped ----------------------------------------
check "b: the recipient stops cleanly" stop $R
mkdir -p "$WORK/backup-gem"
check "b: its data.mdb is copied" cp "$WORK/$R/data/data.mdb" "$WORK/backup-gem/"
sleep 1
T0=$(date +%s)
sleep 1

# --- c. 6 more after the backup -----------------------------------------------
start $R
for n in 6 7 8 9 10 11; do
	out=$(send_arrears $S $R "$n")
	ID+=("${out#accepted }")
done
printf '%s\n' "${ID[@]}" | sort >"$WORK/ids"
check "c: the sender accepted 11 distinct signals" \
	bash -c "[ \$(grep -c . '$WORK/ids') = 11 ] && [ \$(sort -u '$WORK/ids' | wc -l) = 11 ]"
check "c: 11 in the recipient's inbox" wait_until 15 inbox_has 11
check "c: 11 delivered at the sender" \
	wait_until 15 bash -c "[ \$(outbox_ids $S delivered | wc -l) = 11 ]"

# --- d. restore the recipient -------------------------------------------------
stop $R
restore $R "$WORK/backup-gem"
check "d: seinhuisd -t names when the restored store was last committed" bash -c \
	"as_user '$SEINHUISD' -t -c '$WORK/$R.conf' 2>&1 | grep -q 'last committed at 20'"
start $R
check "d: the restored recipient holds only the 5 of the backup" bash -c \
	"[ \"\$(inbox_ids $R | sort)\" = \"\$(printf '%s\n' ${ID[*]:0:5} | sort)\" ]"

# --- e. wrong uses ------------------------------------------------------------
rc=0
out=$(ctl $R recover 2>&1) || rc=$?
check "e: recover without --since: exit 2 ($rc)" [ $rc = 2 ]
check "e: ... with a usage message" grep -qi "usage\|--since" <<<"$out"
rc=0
out=$(ctl $R recover --since yesterday-ish 2>&1) || rc=$?
check "e: recover --since yesterday-ish: exit 2 ($rc)" [ $rc = 2 ]
check "e: ... the message names --since" grep -q -- "--since" <<<"$out"
rc=0
future=$(date -d @$(($(date +%s) + 86400)) +%Y-%m-%dT%H:%M)
out=$(ctl $R recover --since "$future" 2>&1) || rc=$?
check "e: recover --since a day ahead ($future): exit 1 ($rc)" [ $rc = 1 ]
check "e: ... refused by the daemon, naming the rule (USAGE): $out" grep -q "USAGE" <<<"$out"
rc=0
out=$(ctl $R recover --since "@$T0" --partner nosuch 2>&1) || rc=$?
check "e: recover --partner nosuch: exit 1 ($rc)" [ $rc = 1 ]
check "e: ... refused as NOT_FOUND: $out" grep -q "NOT_FOUND" <<<"$out"
sleep 1
check "e: nothing changed: the inbox holds the 5" inbox_has 5
check "e: ... no request recorded in status or audit, none pending at the sender" bash -c \
	"[ \"\$(peer_field $R $S recover_since_ms)\" = 0 ] && [ \$(outbox_ids $S pending | wc -l) = 0 ] &&
	 resend_audit $R | json_has '[.[] | select(.outcome == \"asked\")] | length == 0'"

# --- f. recover from T0: the 6 lost are sent again ----------------------------
# 'sent' entries: one per signal when a queue entry is first sent (a retry
# after a timeout writes none), so they count the signals sent again
sent_entries() { ctl "$1" --json audit list --limit 100000 --event sent | jq length; }
export -f sent_entries
sent0=$(sent_entries $S)
ask f --since "@$T0"
check "f: the recipient's status records the request (recover_since_ms = T0)" \
	wait_until 5 bash -c "[ \"\$(peer_field $R $S recover_since_ms)\" = ${T0}000 ]"
check "f: the sender answers: recover_answered_ms set, recover_count 6" \
	wait_until 15 answered_after "$t" 6
check "f: the inbox holds the 11 again" wait_until 15 inbox_has 11
check "f: ... 11 distinct ids, exactly those the sender accepted" inbox_is_ids $R
check "f: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
check "f: only the 6 after T0 were sent again: 6 more 'sent' entries in the sender's audit log" \
	bash -c "[ \$(sent_entries $S) = $((sent0 + 6)) ]"
check "f: the sender answered in steps of 2 (at least 5 steps before the answer)" bash -c \
	"[ \$(grep -c 'peer $R: recover since .* queued so far' '$WORK/$S.log') -ge 5 ]"

# --- g. recover from before the first signal: all 11 again --------------------
since=$(TZ=Europe/Amsterdam date -d @$TA +%Y-%m-%dT%H:%M:%S)
dup0=$(status_field $R duplicates)
ask g --since "$since" --partner $S
check "g: the sender answers with recover_count 11" wait_until 15 answered_after "$t" 11
check "g: ... recover_since_ms is the new T" \
	bash -c "[ \"\$(peer_field $R $S recover_since_ms)\" = ${TA}000 ]"
# (at least: a retry after a time-out, on a slow machine, adds more)
check "g: the recipient answers the 11 as duplicates" \
	wait_until 15 bash -c "[ \$(status_field $R duplicates) -ge $((dup0 + 11)) ]"
check "g: ... the sender settles them: 11 delivered, 0 pending" wait_until 15 sender_settled
check "g: the inbox still holds exactly the same 11 ids" inbox_is_ids $R
check "g: the sender's 'delivered since start' still counts 11 (the 17 sent again are not counted twice)" \
	bash -c "[ \$(status_field $S delivered_out) = 11 ]"

# --- h. audit -----------------------------------------------------------------
check "h: the recipient's audit log verifies" ctl $R audit verify
check "h: the sender's audit log verifies" ctl $S audit verify
check "h: the recipient audited its 2 requests as asked" audit_outcomes $R asked $S 2
check "h: ... and the 2 answers as answered" audit_outcomes $R answered $S 2
check "h: the sender audited them as queued, with the counts 6 and 11" queued_counts 6 11
# each step before the last audited what it queued in its own turn (at most
# resend_step = 2 each), so that a stop before the answer leaves no signal
# queued again without an entry
check "h: ... and each step before the last as queuing, at most 2 signals each, 17 at most in all" bash -c \
	"resend_audit $S | jq -e --arg p $R '[.[] | select(.outcome == \"queuing\" and .partner == \$p) | .detail | capture(\"^(?<n>[0-9]+) signal\").n | tonumber] | length >= 2 and all(. >= 1 and . <= 2) and add <= 17' >/dev/null"
check "h: ... each answer's total is its steps' counts and its last step's" bash -c \
	"resend_audit $S | jq -e --arg p $R '[.[] | select(.partner == \$p and (.outcome == \"queuing\" or .outcome == \"queued\"))]
	 | reduce .[] as \$e ({sum: 0, ok: true, answers: 0};
	     if \$e.outcome == \"queuing\" then .sum += (\$e.detail | capture(\"^(?<n>[0-9]+) signal\").n | tonumber)
	     else (\$e.detail | capture(\"^(?<t>[0-9]+) signal.* (?<l>[0-9]+) of them in this last step\")) as \$c
	       | .ok = (.ok and (.sum + (\$c.l | tonumber) == (\$c.t | tonumber))) | .sum = 0 | .answers += 1 end)
	 | .ok and .answers == 2' >/dev/null"

# --- the kept envelopes survive a restart of the sender ------------------------
# Step g delivered all 11 again, so all 11 count as delivered after T0 now:
# the sender sends at least the 6 the backup lacks, the rest are duplicates.
check "r: the sender stops cleanly" stop $S
start $S
stop $R
restore $R "$WORK/backup-gem"
start $R
# This time from the store's own record of when it was last committed
# before this start: the backup's (its clean stop in step b), which the
# daemon takes less five minutes for the partners' clocks.
committed=$(ctl $R --json status | jq -r .store_committed_ms)
check "r: the restored store was last committed between the first signal and T0 ($committed)" \
	bash -c "[ '$committed' -gt ${TA}000 ] && [ '$committed' -le ${T0}000 ]"
check "r: seinctl status names that time" bash -c \
	"ctl $R status | grep -q \"last committed \$(TZ=Europe/Amsterdam date -d @$((committed / 1000)) '+%Y-%m-%d %H:%M:%S') before this start\""
dup0=$(status_field $R duplicates)
t=$(now_ms)
rc=0
out=$(ctl $R --json recover --since backup 2>&1) || rc=$?
check "r: recover --since backup asks from 5 minutes before it ($rc): $out" bash -c \
	"[ $rc = 0 ] && jq -e '.partners == 1 and .since_ms == $committed - 300000' <<<'$out' >/dev/null"
check "r: the sender answers (recover_count >= 6)" wait_until 15 bash -c \
	"n=\$(peer_field $R $S recover_count) && [ \$(peer_field $R $S recover_answered_ms) -ge $t ] && [ \"\$n\" -ge 6 ]"
n=$(peer_field $R $S recover_count)
check "r: the inbox holds exactly the 11 ids again" wait_until 15 inbox_is_ids $R
check "r: ... the other $((n - 6)) were answered as duplicates" \
	wait_until 15 bash -c "[ \$(status_field $R duplicates) -ge $((dup0 + n - 6)) ]"
check "r: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled

# --- k. the sender crashes (kill -9) while it sends them again ----------------
# The restored recipient takes 1 signal a second (peer_rate), so the signals
# sent again are still on their way when the sender is killed; turned
# pending in the same turn that answered, they are sent again after its
# restart, and each arrives once.
conf_lines() { # conf_lines ID LINE...: the configuration with these lines
	local id=$1
	shift
	{
		grep -vE '^(peer_rate|resend_window|retention_interval|recover_interval) ' "$WORK/$id.conf"
		printf '%s\n' "$@"
	} >"$WORK/new.conf"
	as_user tee "$WORK/$id.conf" <"$WORK/new.conf" >/dev/null
}
stop $R
restore $R "$WORK/backup-gem"
conf_lines $R "peer_rate = 1"
start $R
ask k --since "@$T0"
check "k: the sender answers (recover_count >= 6)" wait_until 15 bash -c \
	"[ \$(peer_field $R $S recover_answered_ms) -ge $t ] && [ \$(peer_field $R $S recover_count) -ge 6 ]"
sleep 1
crash $S
n=$(inbox_ids $R | wc -l)
check "k: killed (-9) while sending them again: $n of 11 in the inbox" [ "$n" -lt 11 ]
start $S
check "k: after its restart the rest arrive: 11 in the inbox" \
	wait_until 40 inbox_has 11
check "k: ... exactly the 11 ids, each once" inbox_is_ids $R
check "k: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
check "k: the sender's audit log verifies after the crash" ctl $S audit verify

# --- l. the restored recipient crashes (kill -9) while they arrive -----------
# Its request was answered before the kill, and the sender holds the signals
# as pending by then: they arrive after the recipient's restart, each once.
stop $R
restore $R "$WORK/backup-gem"
start $R
ask l --since "@$T0"
check "l: some of them arrive" wait_until 20 bash -c "[ \$(inbox_ids $R | wc -l) -gt 5 ]"
n=$(inbox_ids $R | wc -l)
crash $R
check "l: killed (-9) while they arrive: $n of 11 in the inbox just before" [ "$n" -lt 11 ]
start $R
check "l: after the recipient's kill (-9) and restart, all 11 arrive" \
	wait_until 40 inbox_has 11
check "l: ... exactly the 11 ids, each once" inbox_is_ids $R
check "l: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
check "l: the recipient's audit log verifies after the crash" ctl $R audit verify
stop $R
conf_lines $R
start $R

# --- p. a request outlives a restart of the recipient ------------------------
# The sender is down when the restored recipient asks, and the recipient is
# killed (-9) and started again before the sender is back. The request was
# kept in its store: the restarted recipient asks again, the sender answers
# once it is up, and the inbox has all 11 again. Once answered, the request
# is gone from the store: a further restart asks nothing.
stop $S
stop $R
restore $R "$WORK/backup-gem"
start $R
ask p --since "@$T0"
sleep 1
check "p: no answer while the sender is down" \
	[ "$(peer_field $R $S recover_answered_ms)" = 0 ]
still() { grep -c "recover: $S is still to be asked to send again what it delivered since" "$WORK/$R.log"; }
n0=$(still)
crash $R
start $R
check "p: the restarted recipient goes on asking (log)" [ "$(still)" = $((n0 + 1)) ]
check "p: ... and its status shows the request from T0, unanswered" bash -c \
	"[ \$(peer_field $R $S recover_since_ms) = ${T0}000 ] && [ \$(peer_field $R $S recover_answered_ms) = 0 ]"
start $S
check "p: the sender, started again, answers (recover_count >= 6)" wait_until 20 bash -c \
	"[ \$(peer_field $R $S recover_answered_ms) -ge $t ] && [ \$(peer_field $R $S recover_count) -ge 6 ]"
check "p: the inbox holds exactly the 11 ids again" wait_until 20 inbox_is_ids $R
check "p: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
stop $R
start $R
check "p: answered, the request is gone: a restart asks nothing" bash -c \
	"[ \$(peer_field $R $S recover_since_ms) = 0 ] && [ \$(grep -c 'is still to be asked' '$WORK/$R.log') = $((n0 + 1)) ]"
check "p: the recipient's audit log verifies" ctl $R audit verify

# --- q. a partner's requests are answered once in recover_interval ---------
# The sender answers one partner at most once in its recover_interval (10 s
# here): a request within it is told when to ask again. A recipient that
# restores the same backup twice in a row gets its second answer after
# the interval, and every signal once.
stop $S
conf_lines $S "recover_interval = 10"
start $S
stop $R
restore $R "$WORK/backup-gem"
start $R
ask q1 --since "@$T0"
check "q: the sender answers the first request (recover_count >= 6)" wait_until 15 bash -c \
	"[ \$(peer_field $R $S recover_answered_ms) -ge $t ] && [ \$(peer_field $R $S recover_count) -ge 6 ]"
check "q: the inbox holds exactly the 11 ids again" wait_until 20 inbox_is_ids $R
check "q: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
stop $R
restore $R "$WORK/backup-gem"
start $R
ask q2 --since "@$T0"
check "q: the second request, within the interval, is put off: the status says until when" \
	wait_until 10 bash -c "[ \$(peer_field $R $S recover_deferred_until_ms) -gt $t ] &&
	 [ \$(peer_field $R $S recover_answered_ms) = 0 ] &&
	 ctl $R status | grep -q 'takes this one after its recover_interval; asked again'"
check "q: the sender logs it once, naming the partner and recover_interval" bash -c \
	"[ \$(grep -c 'peer $R asks again for the signals delivered to it since .*: taken up after recover_interval (10 s)' '$WORK/$S.log') = 1 ]"
check "q: ... and the recipient, naming when it asks again" \
	grep -q "peer $S takes our request to send again what it delivered since .* after its recover_interval .*: asked again at" "$WORK/$R.log"
check "q: after the interval the sender answers (recover_count >= 6)" wait_until 30 bash -c \
	"[ \$(peer_field $R $S recover_answered_ms) -ge $t ] && [ \$(peer_field $R $S recover_count) -ge 6 ]"
check "q: the inbox holds exactly the 11 ids again, each once" wait_until 20 inbox_is_ids $R
check "q: the sender has 11 delivered, 0 pending" wait_until 15 sender_settled
cp "$WORK/$S.conf" "$WORK/bad.conf"
sed -i '/^recover_interval /d' "$WORK/bad.conf"
echo "recover_interval = 86401" >>"$WORK/bad.conf"
chmod 644 "$WORK/bad.conf"
check "q: recover_interval above a day is refused, naming the key" bash -c \
	"! as_user '$SEINHUISD' -t -c '$WORK/bad.conf' >'$WORK/bad.out' 2>&1 && grep -q 'recover_interval.*0 to 86400 seconds' '$WORK/bad.out'"

# --- i. past the resend window, nothing is left to send -----------------------
stop $S
cp "$WORK/$S.conf" "$WORK/bad.conf"
echo "resend_window = 31536001" >>"$WORK/bad.conf"
chmod 644 "$WORK/bad.conf"
check "i: resend_window above a year is refused" bash -c \
	"! as_user '$SEINHUISD' -t -c '$WORK/bad.conf' >'$WORK/bad.out' 2>&1 && grep -q resend_window '$WORK/bad.out'"
conf_lines $S "resend_window = 2" "retention_interval = 1" "recover_interval = 10"
start $S
check "i: the sender's retention drops the kept envelopes past the 2 s window" \
	wait_until 10 grep -q "retention: the envelopes of [0-9]* delivered signal(s) dropped, past resend_window" "$WORK/$S.log"
stop $R
restore $R "$WORK/backup-gem"
start $R
check "i: restored again: the recipient holds the 5" inbox_has 5
ask i --since "@$T0" --partner $S
check "i: the sender answers with recover_count 0 (window of 2 s passed)" \
	wait_until 15 answered_after "$t" 0
sleep 2
check "i: the inbox stays at 5, the sender has 11 delivered and 0 pending" bash -c \
	"[ \$(inbox_ids $R | wc -l) = 5 ] && [ \$(outbox_ids $S delivered | wc -l) = 11 ] &&
	 [ \$(outbox_ids $S pending | wc -l) = 0 ]"
check "i: both audit logs verify" bash -c "ctl $R audit verify && ctl $S audit verify"

# --- m. an answer with consent references of the wrong length ----------------
# peer_tool, as partner tool-rv, answers a request with three revoked
# consent references, of 16, 3 and 20 bytes: the two of the wrong length
# are skipped, and the recipient's log says how many, naming the partner
# (never what they held); the answer is taken.
PEER_TOOL=${PEER_TOOL:-$(dirname "$0")/../../build/tests/integration/peer_tool}
TOOL='tool-rv'
partner $TOOL landlord 17956
trust $R $TOOL
check "m: the recipient takes in the card of $TOOL" \
	wait_until 5 grep -q "trust store: $TOOL added" "$WORK/$R.log"
as_user env PEER_WAIT_MS=20000 PEER_REVOKED_LENGTHS=16,3,20 \
	"$PEER_TOOL" "$WORK/$TOOL/keys" "$WORK/$R/keys/card" answer-recover >"$WORK/tool.out" 2>&1 &
tool=$!
wait_until 5 grep -q LISTENING "$WORK/tool.out"
ask m --since "@$T0" --partner $TOOL
check "m: $TOOL answered with 3 references" wait_until 15 grep -q "RECOVER-ANSWERED 3" "$WORK/tool.out"
check "m: the recipient warns that 2 of the 3 were skipped, naming the partner" wait_until 10 \
	grep -q "\[warn\] peer $TOOL: 2 of the 3 revoked consent references in its answer to seinctl recover are not 16 bytes long: skipped" "$WORK/$R.log"
check "m: and takes the answer" wait_until 10 bash -c \
	"[ \"\$(peer_field $R $TOOL recover_answered_ms)\" -ge $t ] 2>/dev/null"
wait "$tool" || true

# --- n. a partner that asks again and again ----------------------------------
# peer_tool, as tool-rv, asks the sender (recover_interval 10 s) six times,
# 1.1 s apart, each from another time, as restores would: the first is
# answered, the other five are told to ask again within the 10 s; the
# sender queues once (one "queued" audit entry) and logs the repeats once.
trust $S $TOOL
check "n: the sender takes in the card of $TOOL" \
	wait_until 5 grep -q "trust store: $TOOL added" "$WORK/$S.log"
out=$(as_user env PEER_ASKS=6 PEER_ASK_MS=1100 \
	"$PEER_TOOL" "$WORK/$TOOL/keys" "$WORK/$S/keys/card" recover-flood 2>&1)
check "n: 6 asked, 1 answered, 5 told to ask again within 10 s: $out" bash -c \
	"[[ '$out' =~ RECOVER-FLOOD\ asked\ 6\ answered\ 1\ deferred\ 5\ retry\ ([0-9]+)\.\.([0-9]+) ]] &&
	 [ \${BASH_REMATCH[1]} -ge 1000 ] && [ \${BASH_REMATCH[2]} -le 10000 ]"
check "n: the sender queued for $TOOL once (one 'queued' audit entry)" \
	audit_outcomes $S queued $TOOL 1
check "n: ... and logged the repeats once" bash -c \
	"[ \$(grep -c 'peer $TOOL asks again for the signals delivered to it since' '$WORK/$S.log') = 1 ]"

# --- j. privacy ---------------------------------------------------------------
stop $R
stop $S
check "j: no personal data in either daemon's log" bash -c \
	"[ -s '$WORK/$R.log' ] && [ -s '$WORK/$S.log' ] &&
	 ! grep -qiE 'Testpersoon|Teststraat|1234 ?AB|Teststad' '$WORK/$R.log' '$WORK/$S.log'"
it_done
