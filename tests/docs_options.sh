#!/bin/sh
# docs_options.sh SOURCE_DIR: every long option a program takes is
# described in its manual page. The options are read from the sources:
# the getopt_long tables ({"name", ..._argument, ...}) and the options a
# command compares by hand (strcmp(..., "--name")). A manual page that
# says nothing of an option a caseworker or administrator can type is a
# failure, named with the program, the option and the page.
set -u
src=${1:?usage: docs_options.sh SOURCE_DIR}
fail=0
checked=0

# options PROGRAM FILE...: the long options in those sources, one a line
options() {
	shift
	{
		grep -ho '{"[a-z][a-z0-9-]*", *[a-z_]*_argument' "$@" |
			sed 's/^{"\([^"]*\)".*/--\1/'
		grep -ho 'strcmp([^;]*"--[a-z][a-z0-9-]*")' "$@" |
			grep -o '"--[a-z][a-z0-9-]*"' | tr -d '"'
	} | sort -u
}

# check PROGRAM PAGE AT_LEAST FILE...: AT_LEAST options are expected, so
# that a change of the tables' form cannot make the check empty
check() {
	prog=$1
	page=$2
	least=$3
	shift 3
	# the page as it reads: \- is a hyphen, font changes dropped
	text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$src/$page")
	n=0
	for opt in $(options "$prog" "$@"); do
		n=$((n + 1))
		if ! printf '%s\n' "$text" | grep -q -- "$opt\([^a-z0-9-]\|\$\)"; then
			echo "FAIL - $prog takes $opt but $page does not describe it"
			fail=1
		fi
	done
	if [ "$n" -lt "$least" ]; then
		echo "FAIL - $prog: only $n options found in $*; has the option table's form changed?"
		fail=1
	fi
	echo "$prog: $n long options, each in $page"
	checked=$((checked + n))
}

check seinctl deploy/man/seinctl.1 40 "$src"/daemon/seinctl*.c
check seinkey deploy/man/seinkey.1 8 "$src"/keys/seinkey.c
check seinhuisd deploy/man/seinhuisd.8 2 "$src"/daemon/seinhuisd.c
echo "$checked options checked"
exit $fail
