#!/usr/bin/env bash
# fault_kill: kill -9 the sender, the recipient or both at random moments
# while thousands of signals flow, restart them, and check at the end that
# the recipient's inbox holds every accepted signal exactly once and that
# the sender's outbox has nothing pending.
#
# A submitter loop in the background keeps sending pipelined batches
# (`seinctl --json send --file`) and records the ids the daemon accepted;
# the killer loop in the foreground picks a victim and a delay at random.
# Signals submitted in a call the sender died in, and never answered, may
# arrive too: exactly once, and they are counted separately.
#
# Parameters (environment):
#   FAULT_SIGNALS  signals to get accepted          (default 3000, for CI)
#   FAULT_KILLS    kill rounds, at least 20 in CI    (default 20)
#   FAULT_SECONDS  cap on the kill/submit phase      (default 600)
#   FAULT_CHUNK    signals per seinctl call          (default 100)
#   FAULT_GAP_MS   mean pause between kills          (default 1000)
#   FAULT_SEED     seed of the random choices        (default: the pid)
#
# Soak (not part of ctest; about three minutes on a 2-core machine):
#   FAULT_SIGNALS=100000 FAULT_KILLS=50 bash tests/integration/fault_kill.sh
# with SEINHUISD/SEINCTL/SEINKEY pointing at the build (default ../../build).
# KEEP=1 keeps the files, logs and the per-call replies.
. "$(dirname "$0")/lib.sh"
it_setup fault-kill

FAULT_SIGNALS=${FAULT_SIGNALS:-3000}
FAULT_KILLS=${FAULT_KILLS:-20}
FAULT_SECONDS=${FAULT_SECONDS:-600}
FAULT_CHUNK=${FAULT_CHUNK:-100}
FAULT_GAP_MS=${FAULT_GAP_MS:-1000}
FAULT_SEED=${FAULT_SEED:-$$}
RANDOM=$FAULT_SEED
# Submission is paced so that it spans the kill rounds (each round is a
# pause of FAULT_GAP_MS on average plus about 0.4 s of restart).
FAULT_RATE=${FAULT_RATE:-$((FAULT_SIGNALS * 1000 / (FAULT_KILLS * (FAULT_GAP_MS + 400) + 1) + 1))}
echo "fault_kill: signals $FAULT_SIGNALS, kills $FAULT_KILLS, chunk $FAULT_CHUNK," \
	"target rate $FAULT_RATE/s, cap ${FAULT_SECONDS}s, seed $FAULT_SEED"

S=corp-fk # the sender (a landlord)
R=gem-fk  # the recipient (a municipality's debt-help team)
# heads signed each second: the partners keep each other's (witness.c),
# and no kill may make either find a rollback that did not happen
partner $R municipality_debt 17701 "map_size = 2G" "audit_head_interval = 1" # room for a 100,000-signal soak
partner $S landlord 17702 "map_size = 2G" "audit_head_interval = 1"
trust_all
start $R || { it_done; exit 1; }
start $S || { it_done; exit 1; }

mkdir -p "$WORK/calls"
# The catalogue's natural key (creditor_reference, kind, dates, address)
# makes the sender skip a signal it sent before: every signal gets its own
# creditor reference, FK-<call>-<index>.
arrears_json "$FAULT_CHUNK" $R 7 >"$WORK/base.json"
unique_batch() { # unique_batch TAG: the base batch with fresh references
	jq --arg t "$1" 'to_entries | map(.value + {creditor_reference: "\($t)-\(.key)"})' \
		"$WORK/base.json"
}
: >"$WORK/accepted"
echo 0 >"$WORK/accepted.count"
T0=$SECONDS
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
START_MS=$(now_ms)
END=$((SECONDS + FAULT_SECONDS))

# ---------------------------------------------------------- submitter
# One line per call in calls/log: call number, seinctl's exit status,
# accepted, refused. Replies are kept in calls/N.json.
submitter() {
	trap - EXIT
	local k=0 got=0 rc n bad max=$((FAULT_SIGNALS / FAULT_CHUNK * 50 + 2000))
	while [ "$got" -lt "$FAULT_SIGNALS" ] && [ $SECONDS -lt $END ] && [ $k -lt $max ]; do
		local due=$((START_MS + got * 1000 / FAULT_RATE)) t
		t=$(now_ms)
		[ "$t" -lt "$due" ] && sleep "$(printf '0.%03d' $(((due - t) > 999 ? 999 : due - t)))"
		k=$((k + 1))
		unique_batch "FK-$k" >"$WORK/chunk.json"
		: >"$WORK/in_call"
		ctl $S --json send --file "$WORK/chunk.json" >"$WORK/calls/$k.json" 2>"$WORK/calls/$k.err"
		rc=$?
		rm -f "$WORK/in_call"
		n=$(jq -r '.[] | select(.ok) | .message_id' "$WORK/calls/$k.json" 2>/dev/null |
			tee -a "$WORK/accepted" | wc -l)
		bad=$(jq '[.[] | select(.ok | not)] | length' "$WORK/calls/$k.json" 2>/dev/null || echo 0)
		[ -s "$WORK/calls/$k.json" ] && ! jq -e . "$WORK/calls/$k.json" >/dev/null 2>&1 &&
			echo "call $k: reply is not JSON" >>"$WORK/calls/problems"
		bad=${bad:-0}
		got=$((got + n))
		echo "$got" >"$WORK/accepted.count.tmp" && mv "$WORK/accepted.count.tmp" "$WORK/accepted.count"
		echo "$k $rc $n $bad" >>"$WORK/calls/log"
		if [ "$bad" -gt 0 ]; then # no refusal is expected: stop here
			echo "call $k: $bad refused: $(jq -c '[.[] | select(.ok | not) | .rule] | unique' \
				"$WORK/calls/$k.json")" >>"$WORK/calls/problems"
			break
		fi
		[ "$n" -eq 0 ] && sleep 0.05 # the sender is down: try again shortly
	done
	[ -n "${KEEP_CALLS:-}" ] || [ "${KEEP:-0}" = 1 ] || rm -f "$WORK"/calls/[0-9]*.json
}
submitter &
SUBMITTER=$!

# ------------------------------------------------------------- killer
KILLS=0 K_SENDER=0 K_RECIPIENT=0 K_BOTH=0 K_MIDCALL=0
rand_ms() { # rand_ms MIN MAX
	echo $(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1)))
}
pause_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
for ((round = 1; round <= FAULT_KILLS; round++)); do
	[ $SECONDS -ge $END ] && break
	# Spread the kills over the submission: if signals come in slower
	# than planned, the pauses grow with the time still needed.
	gap=$FAULT_GAP_MS
	got=$(cat "$WORK/accepted.count")
	if kill -0 $SUBMITTER 2>/dev/null && [ "$got" -gt 0 ]; then
		eta=$(((FAULT_SIGNALS - got) * ($(now_ms) - START_MS) / got))
		want=$((eta / (FAULT_KILLS - round + 1) - 400))
		[ $want -gt $gap ] && gap=$want
		[ $gap -gt 10000 ] && gap=10000
	fi
	pause_ms "$(rand_ms 100 $((2 * gap - 100)))"
	for id in $S $R; do
		kill -0 "${IT_PIDS[$id]}" 2>/dev/null && continue
		fail "$id exited by itself before kill round $round (see $id.log)"
		reap $id
		start $id
	done
	victim=$((RANDOM % 3))
	if [ $victim != 1 ] && [ $((RANDOM % 2)) = 0 ] && kill -0 $SUBMITTER 2>/dev/null; then
		# Aim at a call in progress: the sender dies between reading
		# requests, committing them and answering.
		w=0
		while [ $w -lt 300 ] && [ ! -e "$WORK/in_call" ]; do
			sleep 0.01
			w=$((w + 1))
		done
		pause_ms "$(rand_ms 0 40)"
		[ -e "$WORK/in_call" ] && K_MIDCALL=$((K_MIDCALL + 1))
	fi
	case $victim in
	0) crash $S; K_SENDER=$((K_SENDER + 1)); what=sender ;;
	1) crash $R; K_RECIPIENT=$((K_RECIPIENT + 1)); what=recipient ;;
	2)
		if [ $((RANDOM % 2)) = 0 ]; then crash $S; crash $R; else crash $R; crash $S; fi
		K_BOTH=$((K_BOTH + 1)); what=both
		;;
	esac
	KILLS=$((KILLS + 1))
	echo "kill $KILLS: $what at $((SECONDS - T0))s, $(cat "$WORK/accepted.count") accepted so far" >>"$WORK/kills"
	pause_ms "$(rand_ms 0 800)" # down for a while, or not at all
	if [ $victim = 2 ] && [ $((RANDOM % 2)) = 0 ]; then
		start $R && start $S
	else
		[ -n "${IT_PIDS[$S]:-}" ] || start $S
		[ -n "${IT_PIDS[$R]:-}" ] || start $R
	fi
	if [ -z "${IT_PIDS[$S]:-}" ] || [ -z "${IT_PIDS[$R]:-}" ]; then
		fail "a daemon did not come back after kill $KILLS"
		break
	fi
done
wait $SUBMITTER
SUBMIT_S=$((SECONDS - T0))

# ------------------------------------------------------------- checks
calls=$(wc -l <"$WORK/calls/log")
interrupted=$(awk '$2 != 0 && $3 > 0' "$WORK/calls/log" | wc -l)
unreached=$(awk '$2 != 0 && $3 == 0' "$WORK/calls/log" | wc -l)
refused=$(awk '{s += $4} END {print s + 0}' "$WORK/calls/log")
sort "$WORK/accepted" >"$WORK/accepted.sorted"
accepted=$(wc -l <"$WORK/accepted.sorted")
check "$FAULT_KILLS kill rounds done (got $KILLS)" [ "$KILLS" -ge "$FAULT_KILLS" ]
check "the submitter got $FAULT_SIGNALS signals accepted within ${FAULT_SECONDS}s (got $accepted)" \
	[ "$accepted" -ge "$FAULT_SIGNALS" ]
check "no signal refused by the sender ($refused refused)" [ "$refused" = 0 ]
check "every reply was valid JSON, none refused" [ ! -s "$WORK/calls/problems" ]
[ -s "$WORK/calls/problems" ] && head -n 5 "$WORK/calls/problems"
check "accepted ids are unique" [ -z "$(uniq -d "$WORK/accepted.sorted")" ]

DRAIN=$((120 + FAULT_SIGNALS / 200))
check "the sender's outbox drains after the kills (within ${DRAIN}s)" \
	wait_until $DRAIN bash -c "[ \"\$(status_field $S outbox_pending)\" = 0 ]"
DRAIN_S=$((SECONDS - T0 - SUBMIT_S))
check "the sender's outbox lists nothing pending" [ -z "$(outbox_ids $S pending)" ]
check "the sender's outbox lists nothing failed" [ -z "$(outbox_ids $S failed)" ]
check "the recipient refused nothing" bash -c "! grep -q 'refused:' '$WORK/$R.log'"

# The recipient's inbox, read from its LMDB file after a clean stop (a
# listing of 100000 signals is larger than a control reply may be); the
# daemon's own listing is compared with it when it is small enough.
if [ "$accepted" -le 20000 ] || ! command -v mdb_dump >/dev/null; then
	inbox_ids $R | sort >"$WORK/inbox.listed"
fi
check "the partners keep heads of each other's audit logs" bash -c \
	"[ \"\$(ctl $R --json status | jq -r '.peers[] | select(.partner == \"$S\") | .witnessed_size')\" -gt 0 ] &&
	 [ \"\$(ctl $S --json status | jq -r '.peers[] | select(.partner == \"$R\") | .witnessed_size')\" -gt 0 ]"
check "no kill made either find a rollback against a kept head" bash -c \
	"! grep -E 'keeps a tree head of this log|its audit log went back' '$WORK/$R.log' '$WORK/$S.log'"
check "the sender stops cleanly" stop $S
check "the recipient stops cleanly" stop $R
if command -v mdb_dump >/dev/null; then
	# inbox values are InboxRecords: 0a 10 <16-byte message id> ...
	as_user mdb_dump -s inbox "$WORK/$R/data" | awk '
		/^HEADER=END/ {h = 1; next} /^DATA=END/ {h = 0}
		h && ++n % 2 == 0 {
			if (substr($1, 1, 4) != "0a10") { print "UNPARSED"; next }
			print substr($1, 5, 32)
		}' | sort >"$WORK/inbox"
	as_user mdb_dump -s seen "$WORK/$R/data" | awk '
		/^HEADER=END/ {h = 1; next} /^DATA=END/ {h = 0}
		h && ++n % 2 == 1 {print substr($1, 1, 32)}' | sort >"$WORK/seen"
	check "every inbox record parses" bash -c "! grep -q UNPARSED '$WORK/inbox'"
	check "the seen table holds each inbox id once" \
		[ "$(uniq "$WORK/inbox")" = "$(cat "$WORK/seen")" ]
	[ -f "$WORK/inbox.listed" ] &&
		check "seinctl inbox list agrees with the store" \
			[ "$(cat "$WORK/inbox.listed")" = "$(cat "$WORK/inbox")" ]
else
	echo "(mdb_dump not installed: counting from seinctl inbox list)"
	cp "$WORK/inbox.listed" "$WORK/inbox" 2>/dev/null || : >"$WORK/inbox"
fi
delivered=$(wc -l <"$WORK/inbox")
duplicates=$(uniq -d "$WORK/inbox" | wc -l)
dup_records=$((delivered - $(uniq "$WORK/inbox" | wc -l)))
lost=$(comm -23 "$WORK/accepted.sorted" <(uniq "$WORK/inbox") | wc -l)
extra=$(comm -13 "$WORK/accepted.sorted" <(uniq "$WORK/inbox") | wc -l)
check "no duplicate in the inbox ($duplicates ids, $dup_records extra records)" [ "$duplicates" = 0 ]
check "no accepted signal lost ($lost missing)" [ "$lost" = 0 ]
if [ "$lost" != 0 ]; then
	echo "missing ids (first 20):"
	comm -23 "$WORK/accepted.sorted" <(uniq "$WORK/inbox") | head -20
fi
check "unanswered-but-delivered signals came from interrupted calls" \
	bash -c "[ $extra -le $((interrupted * FAULT_CHUNK + unreached * FAULT_CHUNK)) ]"
check "both stores pass the start-up check (-t)" bash -c \
	"as_user $SEINHUISD -T -c $WORK/$R.conf >/dev/null && as_user $SEINHUISD -T -c $WORK/$S.conf >/dev/null"
# Most kills land within a checkpoint interval of the last acknowledged
# turn, so the restarts recover from the journal: the exactly-once checks
# above cover that path only if it was taken.
replays=$(cat "$WORK/$S.log" "$WORK/$R.log" | grep -c "replayed from the journal")
check "restarts replayed the journal ($replays restarts did, in $KILLS kill rounds)" [ "$replays" -gt 0 ]

echo "fault_kill figures: accepted $accepted, delivered $delivered" \
	"(of which $extra submitted in calls the sender died in, unanswered)," \
	"duplicates $duplicates, lost $lost, kills $KILLS" \
	"(sender $K_SENDER of which mid-call $K_MIDCALL, recipient $K_RECIPIENT, both $K_BOTH)," \
	"calls $calls (interrupted $interrupted, daemon down $unreached)," \
	"journal replays $replays," \
	"duration ${SUBMIT_S}s submitting + ${DRAIN_S}s draining, seed $FAULT_SEED"
it_done
