#!/usr/bin/env bash
# it_ops_inputs: what partner IT staff type wrongly. A second daemon (a
# copy with its own data directory) given the control path of a running
# one is refused and leaves that daemon's socket alone, also when it
# would fail later anyway (its port in use); a data store the daemon's
# user may not write is said to be that, not damage; a listen host name,
# which ZeroMQ cannot bind, fails -t as it fails the start.
. "$(dirname "$0")/lib.sh"
it_setup ops_inputs
partner o1 landlord 7331
start o1 || exit 1

sed "s#/o1/data#/o1/data-copy#" "$WORK/o1.conf" |
	as_user tee "$WORK/copy.conf" >/dev/null
as_user "$SEINHUISD" -c "$WORK/copy.conf" >"$WORK/copy.log" 2>&1
check "a second daemon on the same control path is refused" \
	grep -q "control socket of a running process" "$WORK/copy.log"
check "the running daemon keeps its control socket" ctl o1 status

# with a port of its own, it would have started in the other's place
port=$((7332 + ${SEINHUIS_PORT_OFFSET:-0}))
sed -e "s#/o1/data#/o1/data-copy2#" -e "s#^listen = .*#listen = tcp://127.0.0.1:$port#" \
	"$WORK/o1.conf" | as_user tee "$WORK/copy2.conf" >/dev/null
as_user timeout 10 "$SEINHUISD" -c "$WORK/copy2.conf" >"$WORK/copy2.log" 2>&1
check "a second daemon with a port of its own is refused too" \
	grep -q "control socket of a running process" "$WORK/copy2.log"
check "and the running daemon still answers" ctl o1 status
stop o1

# a socket left by a daemon killed -9 is stale: removed at the next start
start o1 || exit 1
crash o1
start o1 || exit 1
check "a stale control socket is replaced at the next start" ctl o1 status
stop o1

# a data store the daemon's user may not write: said so, not "restore
# data.mdb from the last backup" (nothing is damaged)
chmod 0400 "$WORK/o1/data/data.mdb"
as_user timeout 60 "$SEINHUISD" -c "$WORK/o1.conf" >"$WORK/ro.log" 2>&1
check "a data.mdb the daemon may not write: it stops, naming ownership and mode, not a restore" bash -c \
	"grep -q 'Permission denied. The daemon.s user must own the directory' '$WORK/ro.log' && ! grep -q 'restore data.mdb' '$WORK/ro.log'"
chmod 0600 "$WORK/o1/data/data.mdb"
start o1 || exit 1
check "with the mode put right it starts on the same store" ctl o1 status
stop o1

as_user sed -i "s#^listen = .*#listen = tcp://localhost:$port#" "$WORK/o1.conf"
as_user "$SEINHUISD" -t -c "$WORK/o1.conf" >"$WORK/t.log" 2>&1
check "-t fails on a listen host name" test $? = 1
check "naming the rule" grep -q "neither an IPv4 address nor a network interface" "$WORK/t.log"
it_done
