#!/usr/bin/env bash
# mixed_versions: partners do not upgrade on the same day. An older build
# and this one, each as sender and as recipient, exchange signals; every
# signal arrives once, and neither logs a refused or malformed frame
# (this build's audit-head frames, which an older build does not know,
# included). Not part of ctest (it needs an older build); run it by hand
# after a change of the peer protocol:
#
#   git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build &&
#   cmake --build /tmp/old/build --target seinhuisd
#   OLD_SEINHUISD=/tmp/old/build/seinhuisd bash tests/integration/mixed_versions.sh
. "$(dirname "$0")/lib.sh"
it_setup_two_builds mixed_versions
# gem-mx runs the old build, corp-mx this one; then the other way round,
# the old build sending as corp-m2: corp-mx's data directory, once this
# build opened it, does not go back (store schema 5: an older build
# refuses it, naming the schema)
partner gem-mx municipality_debt 17943 "audit_head_interval = 1"
partner corp-mx landlord 17944 "audit_head_interval = 1" "log_level = debug"
partner corp-m2 landlord 17946 "audit_head_interval = 1" "log_level = debug"
# a recipient only the old build opens (a data directory does not go back)
partner gem-m3 municipality_debt 17945
trust_all
round() { # round OLD-ID NEW-ID FROM N SENDER
	local old=$1 new=$2 from=$3 n=$4 sender=$5
	SEINHUISD=$WORK/bin/seinhuisd-old start "$old" || return 1
	SEINHUISD=$WORK/bin/seinhuisd-new start "$new" || return 1
	local i
	for i in $(seq "$from" $((from + n - 1))); do
		send_arrears "$sender" gem-mx "$i" >/dev/null
	done
	check "$old old, $new new: all $((from + n - 1)) delivered" \
		wait_until 30 bash -c "[ \$(inbox_ids gem-mx | wc -l) = $((from + n - 1)) ]"
	sleep 3 # heads signed each second go out (the new one's) meanwhile
	check "... none twice" bash -c "[ -z \"\$(inbox_ids gem-mx | sort | uniq -d)\" ]"
	check "... and both audit logs verify" bash -c \
		"ctl $old audit verify >/dev/null && ctl $new audit verify >/dev/null"
	check "... the new one records no rollback of either log" bash -c \
		"[ \$(ctl $new --json audit list --event log_rolled_back | jq length) = 0 ] &&
		 [ \$(ctl $new --json audit list --event partner_log_rolled_back | jq length) = 0 ]"
	stop "$old"
	stop "$new"
}
round gem-mx corp-mx 1 20 corp-mx
check "the new sender handed its heads to the old recipient" \
	grep -q "peer gem-mx: our audit tree head handed over" "$WORK/corp-mx.log"
round corp-m2 gem-mx 21 20 corp-m2
check "no refused or malformed frame logged by any" bash -c \
	"! grep -Ei 'malformed|refused|not verify' '$WORK/gem-mx.log' '$WORK/corp-mx.log' '$WORK/corp-m2.log'"
# This seinctl with the old daemon: a case step's statistics options that
# the old build does not know are dropped by it (protobuf keeps unknown
# fields); seinctl must say so, not report the step as recorded in full.
# (Builds before 2026-12-06 know no statistics options: the first branch.)
SEINHUISD=$WORK/bin/seinhuisd-old start gem-m3 || { it_done; exit 1; }
SEINHUISD=$WORK/bin/seinhuisd-new start corp-mx || { it_done; exit 1; }
send_arrears corp-mx gem-m3 1 >/dev/null
check "a signal for the old recipient" wait_until 30 bash -c "[ \$(inbox_ids gem-m3 | wc -l) = 1 ]"
K=$(ctl gem-m3 --json inbox | jq -r '.[0].case_key')
ctl gem-m3 case claim "$K" >/dev/null
ctl gem-m3 case step "$K" contact_attempted --how phone --reached yes --crisis \
	>"$WORK/step.out" 2>"$WORK/step.err"
step_rc=$?
how=$(ctl gem-m3 --json case show "$K" | jq -r '.steps[-1].how // ""')
echo "the old daemon stored how='$how'; seinctl exited $step_rc: $(cat "$WORK/step.err")"
if [ -z "$how" ]; then
	check "options the old daemon dropped are named, exit 4 (recorded in part)" bash -c \
		"[ $step_rc = 4 ] && grep -q 'recorded the step without --how, --reached, --crisis: it is older than this seinctl' '$WORK/step.err'"
	ctl gem-m3 --json case step "$K" contact_attempted --how letter >"$WORK/step.json" 2>/dev/null
	json_rc=$?
	check "  and with --json, in not_recorded, exit 4" bash -c \
		"[ $json_rc = 4 ] && jq -e '.ok and .not_recorded == [\"--how\"]' '$WORK/step.json' >/dev/null"
else
	check "options the old daemon kept: exit 0, nothing said" bash -c \
		"[ $step_rc = 0 ] && [ ! -s '$WORK/step.err' ]"
fi
stop gem-m3
stop corp-mx
it_done
