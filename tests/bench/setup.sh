# shellcheck shell=bash
# setup.sh - sourced by the benchmark scripts that start daemons of one
# build (import.sh, recover.sh, subject.sh), at their top level:
#
#   . "$HERE/setup.sh" NAME BUILD-DIR
#
# BUILD-DIR (absolute, or below the checkout) gives seinhuisd, seinkey and
# seinctl; lib.sh's work directory is set up under NAME, with RESULTS in
# it, and seinctl copied there (SEINCTL) for the daemons' user to run.
BUILD=$2
[ -d "$BUILD" ] || BUILD=$HERE/../../$BUILD
BUILD=$(cd "$BUILD" && pwd)
export SEINHUISD=$BUILD/seinhuisd SEINKEY=$BUILD/seinkey
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
it_setup "$1"
cp "$BUILD/seinctl" "$WORK/bin/seinctl"
chmod 755 "$WORK/bin/seinctl"
# shellcheck disable=SC2034 # for the scripts that source this file
SEINCTL=$WORK/bin/seinctl RESULTS=$WORK/results
# shellcheck source=tests/bench/rows.sh
. "$HERE/rows.sh"

# user + system CPU time of a process so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

daemon_pid() { # the seinhuisd pid under lib.sh's start
	local top=${IT_PIDS[$1]} p
	[ "$(cat "/proc/$top/comm" 2>/dev/null)" = seinhuisd ] && echo "$top" && return
	for p in $(ps -o pid= --ppid "$top"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = seinhuisd ] && echo "$p" && return
	done
}
