#!/usr/bin/env bash
# seinctl check, the health line for a monitoring system: OK (exit 0) while
# both partners exchange; with the recipient stopped and signals waiting,
# WARNING (1) once the first has waited past --pending-warn and CRITICAL (2)
# past --pending-crit, naming the partner, the count and the link; OK again
# once they are delivered. A daemon that does not answer is CRITICAL; wrong
# arguments are UNKNOWN (3) and ask nothing. seinctl status shows the age
# of the signal first in each queue (OLDEST, oldest_pending_ms).
. "$(dirname "$0")/lib.sh"
it_setup check
R=gem-ck
S=corp-ck
partner $R municipality_debt 17956
partner $S landlord 17957
trust_all
start $R
start $S

# check_rc ID ARGS...: seinctl check's exit status; its line in $WORK/check.out
check_rc() {
	local id=$1 rc=0
	shift
	ctl "$id" check "$@" >"$WORK/check.out" 2>"$WORK/check.err" || rc=$?
	echo $rc
}
line() { head -n 1 "$WORK/check.out"; }
export -f check_rc

# --- a. all well ---------------------------------------------------------------
send_arrears $S $R 1 >/dev/null
check "a: the signal is delivered" wait_until 15 bash -c "[ \$(inbox_ids $R | wc -l) = 1 ]"
rc=$(check_rc $S)
check "a: sender OK, exit 0 ($rc): $(line)" bash -c \
	"[ $rc = 0 ] && grep -q '^SEINHUIS OK - $S (landlord): 1 partner(s), 1 link(s) up; 0 pending' '$WORK/check.out'"
check "a: ... with figures for graphs after '|'" \
	grep -qE '\| pending=0 failed=0 inbox=0 store=[0-9.]+%;60;75;0;100 oldest_pending=0s;900;14400;0$' "$WORK/check.out"
rc=$(check_rc $R)
check "a: recipient OK, its inbox counted ($rc): $(line)" bash -c \
	"[ $rc = 0 ] && grep -q '; inbox 1; ' '$WORK/check.out'"
check "a: status shows no oldest pending" bash -c \
	"[ \"\$(ctl $S --json status | jq '.peers[0].oldest_pending_ms')\" = 0 ]"

# --- b. wrong arguments: UNKNOWN ------------------------------------------------
for args in "--pending-warn x" "--pending-warn 0" "--pending-crit 5q" "--pending-warn 15" \
	"--pending-warn 2h --pending-crit 1h" "extra" "--nonsense"; do
	# shellcheck disable=SC2086
	rc=$(check_rc $S $args)
	check "b: check $args: UNKNOWN, exit 3 ($rc)" bash -c \
		"[ $rc = 3 ] && grep -q '^SEINHUIS UNKNOWN - wrong arguments' '$WORK/check.out'"
done
check "b: check with a configuration that cannot be read: UNKNOWN, exit 3" bash -c \
	"out=\$('$SEINCTL' -c '$WORK/no-such.conf' check 2>/dev/null); [ \$? = 3 ] && grep -q '^SEINHUIS UNKNOWN - the configuration' <<<\"\$out\""

# --- c. the recipient down, signals waiting ------------------------------------
stop $R
t0=$(date +%s)
for n in 2 3; do send_arrears $S $R "$n" >/dev/null; done
rc=$(check_rc $S --pending-warn 4s --pending-crit 9s)
waited=$(($(date +%s) - t0))
if [ "$waited" -lt 4 ]; then
	check "c: just sent: still OK ($rc): $(line)" bash -c \
		"[ $rc = 0 ] && grep -q '; 2 pending' '$WORK/check.out'"
fi
check "c: status shows the age of the first waiting signal" bash -c \
	"o=\$(ctl $S --json status | jq '.peers[0].oldest_pending_ms') && [ \$o -ge $((t0 - 1))000 ] && [ \$o -le \$(date +%s%3N) ] &&
	 ctl $S status | grep -E '^$R +municipality_debt +[a-z]+ +2 +([0-9]+ms|[0-9]+\.[0-9]s) '"
sleep $((5 - ($(date +%s) - t0) > 0 ? 5 - ($(date +%s) - t0) : 0))
rc=$(check_rc $S --pending-warn 4s --pending-crit 30s)
check "c: past --pending-warn: WARNING, exit 1 ($rc): $(line)" bash -c \
	"[ $rc = 1 ] && grep -qE '^SEINHUIS WARNING - $R: 2 signal\(s\) waiting, the first for [0-9]+\.[0-9]s \(link (down|idle)' '$WORK/check.out'"
sleep $((10 - ($(date +%s) - t0) > 0 ? 10 - ($(date +%s) - t0) : 0))
rc=$(check_rc $S --pending-warn 4s --pending-crit 9s)
check "c: past --pending-crit: CRITICAL, exit 2 ($rc): $(line)" bash -c \
	"[ $rc = 2 ] && grep -qE '^SEINHUIS CRITICAL - $R: 2 signal\(s\) waiting' '$WORK/check.out' &&
	 grep -qE 'oldest_pending=[0-9]+s;4;9;0$' '$WORK/check.out'"
ctl $S --json check --pending-warn 4s --pending-crit 9s >"$WORK/check.json" || true
check "c: --json: the state, exit and the problem" bash -c \
	"jq -e '.state == \"CRITICAL\" and .exit == 2 and (.problems | length == 1) and (.problems[0].text | startswith(\"$R: 2 signal(s) waiting\"))' '$WORK/check.json' >/dev/null"
check "c: the defaults (15m, 4h) are still OK" bash -c "[ \$(check_rc $S) = 0 ]"

# --- d. delivered: OK again ----------------------------------------------------
start $R
check "d: the 2 arrive" wait_until 20 bash -c "[ \$(inbox_ids $R | wc -l) = 3 ]"
check "d: OK again with the same thresholds" wait_until 10 bash -c \
	"[ \$(check_rc $S --pending-warn 4s --pending-crit 9s) = 0 ]"

# --- e. a daemon that does not answer ------------------------------------------
stop $S
rc=$(check_rc $S)
check "e: the sender stopped: CRITICAL, exit 2 ($rc): $(line)" bash -c \
	"[ $rc = 2 ] && grep -q '^SEINHUIS CRITICAL - no status from seinhuisd on ' '$WORK/check.out'"
check "e: ... and with --json, one object saying so" bash -c \
	"ctl $S --json check 2>/dev/null | jq -se 'length == 1 and .[0].state == \"CRITICAL\" and .[0].exit == 2' >/dev/null"
stop $R
check "f: no personal data in the check lines" bash -c \
	"! grep -qiE 'Testpersoon|Teststraat|1234 ?AB|Teststad' '$WORK/check.out' '$WORK/check.json'"
it_done
