#!/usr/bin/env bash
# subject.sh - CPU time of `seinctl audit subject` on a municipality with
# SUBJECT_PARTNERS creditors (default 10) and an audit log of about twice
# SUBJECT_ROWS entries (default 10000 signals: received and delivered).
#
#   bash tests/bench/subject.sh [BUILD-DIR]      (default: build)
#
# One look-up makes a case key and a pseudonym per partner for each of up
# to 16 spellings of the surname, with and without the birth date, and
# tests every entry of the log against all of them. Prints the daemon's
# CPU seconds per look-up: median and mean of LOOKUPS (default 5).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SUBJECT_ROWS=${SUBJECT_ROWS:-10000}
SUBJECT_PARTNERS=${SUBJECT_PARTNERS:-10}
LOOKUPS=${LOOKUPS:-5}
case $SUBJECT_ROWS$SUBJECT_PARTNERS$LOOKUPS in
*[!0-9]* | '')
	echo "subject.sh: SUBJECT_ROWS, SUBJECT_PARTNERS and LOOKUPS must be numbers" >&2
	exit 2
	;;
esac
# shellcheck source=tests/bench/setup.sh
. "$HERE/setup.sh" bench-subject "${1:-build}"

roles=(landlord energy water health_insurer)
partner gem-sb municipality_debt 17990 "map_size = 2G" || exit 1
for i in $(seq 1 "$SUBJECT_PARTNERS"); do
	partner "cred$i-sb" "${roles[$(((i - 1) % 4))]}" $((17990 + i)) || exit 1
done
trust_all
start gem-sb || exit 1
for i in $(seq 1 "$SUBJECT_PARTNERS"); do start "cred$i-sb" || exit 1; done
# the signals come from cred1-sb, a landlord (rows.sh: rent)
arrears_rows "$SUBJECT_ROWS" SUBJ | as_user tee "$WORK/rows.csv" >/dev/null
as_user "$SEINCTL" -s "$WORK/cred1-sb/control.sock" import "$WORK/rows.csv" \
	--type arrears --to gem-sb --set legal_basis=legal_duty --quiet >/dev/null || {
	fail "import"
	exit 1
}
check "$SUBJECT_ROWS signals delivered" wait_until 300 bash -c \
	"[ \$(ctl gem-sb --json status | jq -r '.inbox_depth') -ge $SUBJECT_ROWS ]"
entries=$(ctl gem-sb --json audit head | jq -r '.tree_size')
pid=$(daemon_pid gem-sb)
hz=$(getconf CLK_TCK)
echo "# audit subject: $SUBJECT_PARTNERS partners, $entries audit entries," \
	"host $(uname -n), load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$RESULTS"
for l in $(seq 1 "$LOOKUPS"); do
	c0=$(cpu_ticks "$pid")
	n=$(printf 'surname=van der Berg-Müller\npostcode=1234 AB\nhouse_number=18\nbirth_date=1970-01-01\n' |
		ctl gem-sb --json audit subject | jq length)
	c1=$(cpu_ticks "$pid")
	echo "$((c1 - c0))" >>"$RESULTS"
	echo "  look-up $l: $(awk -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }') CPU s, $n entries"
done
# the median, and the mean (a look-up takes few clock ticks)
sort -n "$RESULTS" | awk -v hz="$hz" '{ v[NR] = $1; t += $1 } END {
	printf "audit subject: median %.2f, mean %.3f CPU s of the daemon over %d look-up(s)\n",
	    (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / hz,
	    t / NR / hz, NR }'
stop gem-sb
for i in $(seq 1 "$SUBJECT_PARTNERS"); do stop "cred$i-sb"; done
it_done
