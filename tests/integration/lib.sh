# shellcheck shell=bash
# lib.sh - shared harness for the integration tests: real daemons, real
# keys, real LMDB files and real CURVE sockets on 127.0.0.1, started as the
# unprivileged `seinhuis` user (seinhuisd refuses root) and stopped by pid.
#
# Source it, then:   it_setup NAME
#   partner ID ROLE PORT [CONF-LINE...]   create keys and a config
#   trust A B                              A trusts B's card
#   trust_all                              every partner trusts every other
#   start ID / stop ID / crash ID          run, stop (TERM), kill -9
#   ctl ID ARGS...                         seinctl against ID's daemon
#   wait_until TIMEOUT_S COMMAND...        poll until COMMAND succeeds
#   pass MSG / fail MSG                    count and report
# WRAP="valgrind ..." puts a wrapper in front of every daemon started.
set -u

SEINHUISD=${SEINHUISD:-$(dirname "$0")/../../build/seinhuisd}
SEINCTL=${SEINCTL:-$(dirname "$0")/../../build/seinctl}
SEINKEY=${SEINKEY:-$(dirname "$0")/../../build/seinkey}
CATALOGUE=${CATALOGUE:-$(cd "$(dirname "$0")/../../deploy" && pwd)/catalogue.conf}
# IT_TOOLS=DIR: seinctl, seinkey and the test tools from the build in DIR,
# the daemon still from this one. The ThreadSanitizer stage of
# deploy/bootstrap runs only the daemon under ThreadSanitizer: the tools
# have one thread (peer_tool's are ZeroMQ's), and under it a seinctl
# run took 40 ms of CPU in place of 5.
if [ -n "${IT_TOOLS:-}" ]; then
	SEINCTL=$IT_TOOLS/seinctl
	SEINKEY=$IT_TOOLS/seinkey
	PEER_TOOL=$IT_TOOLS/tests/integration/peer_tool
	AUDIT_TAMPER=$IT_TOOLS/tests/integration/audit_tamper
fi
RUN_USER=${RUN_USER:-seinhuis}
WRAP=${WRAP:-}
IT_PASSED=0
IT_FAILED=0
declare -A IT_PIDS=()

as_user() {
	if [ "$EUID" = 0 ]; then
		setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- "$@"
	else
		"$@"
	fi
}

it_cleanup() {
	local id
	for id in "${!IT_PIDS[@]}"; do
		kill -9 "${IT_PIDS[$id]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KEEP:-0}" = 1 ] || [ "$IT_FAILED" -gt 0 ]; then
		echo "test files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}

# Scripts run by hand against an older build (upgrade_from, mixed_versions):
# it_setup_two_builds NAME, in place of it_setup NAME, needs OLD_SEINHUISD
# and puts both daemons in the work directory, as seinhuisd-old and
# seinhuisd-new; SEINHUISD is left as this build's.
it_setup_two_builds() {
	local old=${OLD_SEINHUISD:-} new=$SEINHUISD
	if [ -z "$old" ] || [ ! -x "$old" ]; then
		echo "$1: set OLD_SEINHUISD to an older build's seinhuisd" >&2
		exit 2
	fi
	it_setup "$1"
	cp "$new" "$WORK/bin/seinhuisd-new"
	cp "$old" "$WORK/bin/seinhuisd-old"
	chmod 755 "$WORK/bin"/seinhuisd-*
}

it_setup() {
	IT_NAME=$1
	if [ "$EUID" = 0 ] && ! id "$RUN_USER" >/dev/null 2>&1; then
		echo "the '$RUN_USER' system user is missing: run deploy/bootstrap first" >&2
		exit 1
	fi
	WORK=$(mktemp -d "/tmp/seinhuis-$IT_NAME.XXXXXX")
	export WORK
	chmod 755 "$WORK"
	[ "$EUID" = 0 ] && chown "$RUN_USER:" "$WORK"
	# What runs as the daemon user must be reachable by it: a checkout
	# under /root (mode 0700) is not. Copy the programs it runs and the
	# catalogue into the work directory.
	mkdir -p "$WORK/bin"
	local v
	for v in SEINHUISD SEINKEY PEER_TOOL AUDIT_TAMPER MKPARTNERS CLOCKSHIFT FAILIO; do
		if [ -n "${!v:-}" ] && [ -f "${!v}" ]; then
			cp "${!v}" "$WORK/bin/"
			printf -v "$v" '%s' "$WORK/bin/$(basename "${!v}")"
		fi
	done
	chmod 755 "$WORK/bin" "$WORK"/bin/*
	cp "$CATALOGUE" "$WORK/catalogue.conf"
	chmod 644 "$WORK/catalogue.conf"
	CATALOGUE=$WORK/catalogue.conf
	export SEINHUISD SEINKEY PEER_TOOL AUDIT_TAMPER MKPARTNERS CLOCKSHIFT FAILIO CATALOGUE
	trap it_cleanup EXIT
}

partner() {
	local id=$1 role=$2 port=$3
	shift 3
	# Each test has its own fixed ports; SEINHUIS_PORT_OFFSET moves them all,
	# so that two copies of the suite can run side by side on one machine.
	port=$((port + ${SEINHUIS_PORT_OFFSET:-0}))
	# PARTNER_MUNIS=0363,0599 partner ... gives a municipality's card the
	# CBS codes of the municipalities it serves.
	as_user "$SEINKEY" init --dir "$WORK/$id/keys" --partner "$id" \
		--name "Fictional $id" --role "$role" \
		--endpoint "tcp://127.0.0.1:$port" \
		${PARTNER_MUNIS:+--municipalities "$PARTNER_MUNIS"} >/dev/null || {
		fail "seinkey init $id"
		return 1
	}
	# as the daemon wants a trust store: its user's, not writable by
	# group or others (whatever the umask)
	as_user mkdir -p -m 0755 "$WORK/$id/trust"
	echo "$role" >"$WORK/$id.role"
	# Defaults, each replaced by an extra CONF-LINE with the same key.
	local defaults=("keydir = $WORK/$id/keys" "trustdir = $WORK/$id/trust"
		"datadir = $WORK/$id/data" "listen = tcp://127.0.0.1:$port"
		"control = $WORK/$id/control.sock" "map_size = 256M"
		"retry_min_ms = 200" "retry_max_ms = 2000" "catalogue = $CATALOGUE")
	{
		local line extra
		for line in "${defaults[@]}"; do
			for extra in "$@"; do
				[ "${extra%% *}" = "${line%% *}" ] && continue 2
			done
			echo "$line"
		done
		for line in "$@"; do echo "$line"; done
	} | as_user tee "$WORK/$id.conf" >/dev/null
	echo "$id" >>"$WORK/partners"
}

trust() {
	as_user "$SEINKEY" trust --trustdir "$WORK/$1/trust" "$WORK/$2/keys/card" >/dev/null
}

# One seinkey per trust store, given every other partner's card: a
# seinkey for each pair cost 0.13 s of CPU each under ASan (42 of them
# for seven partners).
trust_all() {
	local a b others
	for a in $(cat "$WORK/partners"); do
		others=()
		for b in $(cat "$WORK/partners"); do
			[ "$a" = "$b" ] || others+=("$WORK/$b/keys/card")
		done
		[ ${#others[@]} = 0 ] ||
			as_user "$SEINKEY" trust --trustdir "$WORK/$a/trust" "${others[@]}" >/dev/null
	done
}

ctl() {
	local id=$1
	shift
	"$SEINCTL" -s "$WORK/$id/control.sock" "$@"
}

# It polls every 0.1 s for the first second, then less often (0.2, 0.3,
# 0.4 s, then every 0.5 s): a poll starts seinctl and often jq (0.15 s of
# CPU under ASan), so a long wait polled every 0.1 s took most of a CPU.
# Whatever holds before the time-out is still seen: the last poll comes
# after it.
wait_until() {
	local timeout=$1
	shift
	local end=$((SECONDS + timeout)) n=0
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		n=$((n + 1))
		if [ $n -le 10 ]; then
			sleep 0.1
		elif [ $n -le 13 ]; then
			sleep 0.$((n - 9))
		else
			sleep 0.5
		fi
	done
	return 0
}

# ctl_up ID: ID's daemon answers. Until its control socket is there, a
# test of the file (a shell builtin) says no: a seinctl started then only
# failed, at 0.09 s of CPU under ASan, two or three times a start. A socket
# left by a daemon killed earlier is there at once: seinctl is asked then.
ctl_up() {
	[ -S "$WORK/$1/control.sock" ] && ctl "$1" status
}

start() {
	local id=$1
	# Not through the as_user function: a backgrounded function is a
	# subshell, and its pid is not the daemon's. setpriv execs the daemon
	# (and WRAP, e.g. valgrind, execs it in turn), so $! is the daemon.
	if [ "$EUID" = 0 ]; then
		# shellcheck disable=SC2086
		setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups -- \
			$WRAP "$SEINHUISD" -c "$WORK/$id.conf" >>"$WORK/$id.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		$WRAP "$SEINHUISD" -c "$WORK/$id.conf" >>"$WORK/$id.log" 2>&1 &
	fi
	IT_PIDS[$id]=$!
	if ! wait_until 60 ctl_up "$id"; then
		echo "--- $id.log"
		tail -n 20 "$WORK/$id.log"
		fail "daemon $id did not start"
		return 1
	fi
}

# The daemon exited (or was killed): collect its status.
reap() {
	local id=$1 rc=0
	wait "${IT_PIDS[$id]}" 2>/dev/null || rc=$?
	unset "IT_PIDS[$id]"
	return $rc
}

stop() {
	local id=$1
	kill -TERM "${IT_PIDS[$id]}" 2>/dev/null
	reap "$id"
}

crash() {
	local id=$1
	kill -9 "${IT_PIDS[$id]}" 2>/dev/null
	reap "$id" || true
}

pass() {
	IT_PASSED=$((IT_PASSED + 1))
	echo "ok - $*"
}

fail() {
	IT_FAILED=$((IT_FAILED + 1))
	echo "FAIL - $*"
}

check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# within T0 S WHAT CMD...: check WHAT, a state that a timer ends S seconds
# after T0 at the earliest (T0 from date +%s%N, taken before the step that
# starts the timer). The look-up comes first and the time after it: false
# while fewer than S seconds went by since T0 is a failure; on a machine so
# loaded that they did, it cannot be told, and it says skipped.
within() {
	local t0=$1 s=$2 what=$3
	shift 3
	if "$@"; then
		pass "$what"
	elif [ $(($(date +%s%N) - t0)) -lt $((s * 1000000000)) ]; then
		fail "$what"
	else
		echo "skipped: $what ($s s went by before the look-up ended)"
	fi
}

it_done() {
	echo "$IT_PASSED passed, $IT_FAILED failed"
	[ "$IT_FAILED" -eq 0 ]
}

# it_tmpfs DIR SIZE: a small file system (a tmpfs of SIZE, as mount's
# size=) at DIR, the daemon user's, for a test that fills one. At exit the
# daemons are killed first (they hold files there), then it is unmounted.
# Exits 77 (skipped) where mounting is refused (not root, or not allowed).
it_tmpfs() {
	as_user mkdir -p "$1"
	if ! mount -t tmpfs -o "size=$2,mode=0700,uid=$(id -u "$RUN_USER"),gid=$(id -g "$RUN_USER")" \
		tmpfs "$1" 2>/dev/null; then
		echo "$(basename "$0" .sh): cannot mount a tmpfs here (not root, or not allowed): skipped"
		exit 77
	fi
	IT_TMPFS=$1
	trap it_tmpfs_cleanup EXIT
}

it_tmpfs_cleanup() {
	local p
	for p in "${IT_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	sleep 0.3
	umount "$IT_TMPFS" 2>/dev/null
	it_cleanup
}

# Message ids in a daemon's inbox / outbox (by state), one per line.
inbox_ids() { ctl "$1" --json inbox list --limit 10000000 | jq -r '.[].message_id'; }
outbox_ids() { ctl "$1" --json outbox --state "$2" --limit 10000000 | jq -r '.[].message_id'; }
status_field() { ctl "$1" --json status | jq -r ".$2"; }

# set_conf ID KEY VALUE: the line KEY = VALUE in ID's configuration (an
# earlier KEY line is removed); takes effect at ID's next start
set_conf() {
	as_user sed -i "/^$2 = /d" "$WORK/$1.conf"
	echo "$2 = $3" | as_user tee -a "$WORK/$1.conf" >/dev/null
}

# json_has FILTER: stdin is JSON for which FILTER is true. Unlike a bare
# `jq -e`, empty input (an unreachable daemon) is a failure, not a pass.
json_has() {
	local in
	in=$(cat)
	[ -n "$in" ] && jq -e "$1" >/dev/null <<<"$in"
}

# Make the helpers usable from `bash -c` inside check/wait_until.
export -f as_user ctl inbox_ids outbox_ids status_field json_has
export WORK SEINCTL SEINHUISD SEINKEY RUN_USER CATALOGUE

# A fictional arrears signal from $1 to $2 with a numbered resident; $4:
# since when (default 2026-09-01; another date is another arrears of the
# same resident, not the same one sent again).
send_arrears() {
	local from=$1 to=$2 n=$3 since=${4:-2026-09-01} kind=rent
	# each creditor its own kind (the catalogue's rule arrears_kind one_of)
	case $(cat "$WORK/$from.role" 2>/dev/null) in
	energy) kind=electricity ;;
	water) kind=water ;;
	health_insurer) kind=health_insurance ;;
	esac
	ctl "$from" send --type arrears --to "$to" arrears_kind="$kind" \
		amount_cents=$((10000 + n)) arrears_since="$since" \
		contact_attempt_date=2026-10-01 reminder_date=2026-10-15 \
		urgency=none creditor_contact="incasso desk" \
		legal_basis=legal_duty initials=T. surname="Testpersoon$n" \
		street=Teststraat postcode="1234 AB" house_number="$n" place=Teststad
}

# meldcode_send FROM TO [FIELD=VALUE...]: a meldcode report under
# meldrecht with steps 1 to 4 taken, of a fictional resident; ROLE,
# SURNAME, HOUSE, POSTCODE and CONTACT (the environment) change its
# reporter_role, surname, house_number, postcode and reporter_contact.
# Prints seinctl's answer ("accepted ID"), and returns its status.
meldcode_send() {
	local from=$1 to=$2
	shift 2
	ctl "$from" send --type meldcode_report --to "$to" concern_category=child_abuse \
		urgency=structural reporter_role="${ROLE:-school}" surname="${SURNAME:-Fictief}" \
		house_number="${HOUSE:-4}" postcode="${POSTCODE:-9901 WA}" \
		description="fictional concern" reporter_contact="${CONTACT:-school desk}" \
		legal_basis=meldrecht steps_taken=1,2,3,4 justification=structural_unsafety "$@"
}

# A JSON array of N fictional arrears signals to $2 (houses K*10000+1...).
arrears_json() {
	local n=$1 to=$2 k=${3:-0}
	jq -n --argjson n "$n" --argjson k "$k" --arg to "$to" '[range(0;$n) |
		{type:"arrears", to:$to, legal_basis:"legal_duty",
		arrears_kind:"rent", amount_cents:(5000+.), arrears_since:"2026-09-01",
		contact_attempt_date:"2026-10-01", reminder_date:"2026-10-15",
		urgency:"none", creditor_contact:"incasso desk",
		surname:"Fictief", street:"Proefstraat", postcode:"2000 BB",
		house_number:(($k*10000+.+1)|tostring), place:"Teststad"}]'
}
