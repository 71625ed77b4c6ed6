#!/bin/sh

test_description='man pages: they render without a warning, send nobody to SPEC, and document every option'

. ./test-lib.sh
test_use progs

# The formatter man(1) uses: groff here (man-db), else mandoc.
if command -v groff >/dev/null 2>&1; then
	test_set_prereq FORMATTER
	test_set_prereq GROFF
	# render PAGE: formats PAGE for an 80-column terminal, as man(1)
	# does; every warning on stderr (-ww), no output (-z).
	render() { groff -mandoc -Tutf8 -ww -z -rLL=78n "$1"; }
elif command -v mandoc >/dev/null 2>&1; then
	test_set_prereq FORMATTER
	render() { mandoc -Tlint -Wwarning "$1"; }
fi

# options PROG: the option lines of PROG --help, which the frame
# (common/prog.c) prints from the program's settings table: "  -x, --name
# arg", "  --name arg", "  -q, -v", "  --help, --version".
options() {
	"$1" --help </dev/null 2>/dev/null | grep -E '^  -'
}

# long_options PROG: the long options of PROG, one a line.
long_options() {
	options "$1" | grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--//' |
	sort -u
}

# short_options PROG: the option letters of PROG, one a line.
short_options() {
	options "$1" | grep -oE -- '(^|[ ,])-[A-Za-z0-9]([ ,]|$)' |
	tr -d ' ,-' | sort -u
}

# usage_options PROG: the long options PROG's usage message names.
usage_options() {
	"$1" --no-such-flag </dev/null >/dev/null 2>usage.$1
	sed -n '/usage:/,$p' usage.$1 | grep -oE -- '--[a-z][a-z0-9-]*' |
	sed 's/^--//' | sort -u
}

# documented PAGE OPTION: PAGE has "Fl OPTION" (OPTION: -name or a letter).
documented() {
	grep -qE -- "Fl $2([^A-Za-z0-9-]|\$)" "$1"
}

# all_documented PROG DASH OPTION...: PROG's man page has every OPTION (as
# "Fl DASH OPTION"); names the first that it has not.
all_documented() {
	_p=$1 _d=$2
	shift 2
	for _o; do
		documented "$(page $_p)" "$_d$_o" ||
		{ echo "$_p: -$_d$_o is not in $(page $_p)"; return 1; }
	done
}

test_expect_success FORMATTER 'every man page renders without a warning' '
	for f in $SRC/bin/*/*.1 $SRC/supervisor/*.[15]; do
		render "$f" >/dev/null 2>err &&
		if test -s err; then
			echo "${f#$SRC/}:" && cat err && return 1
		fi || return 1
	done
'

test_expect_success GROFF 'each page renders to its sections' '
	for p in $PROGS; do
		groff -mandoc -Tascii -P-c -P-b -P-u "$(page $p)" >out.$p &&
		for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
			grep -q "^$s\$" out.$p ||
			{ echo "$p: no section $s"; return 1; }
		done || return 1
	done
'

test_expect_success 'no man page sends the reader to SPEC' '
	! grep -n "SPEC" $SRC/bin/*/*.1 $SRC/supervisor/*.[15]
'

test_expect_success 'the option tables were found' '
	for p in $PROGS; do
		long_options $p >long.$p &&
		test_line_count -ge 2 long.$p &&
		short_options $p >short.$p &&
		test_line_count -ge 2 short.$p || return 1
	done &&
	test_grep -x claim-expiry long.differ &&
	test_grep -x client-secret-file long.servicelog-poster &&
	test_grep -x resubmit long.db-writer &&
	test_grep -x help long.supervisor &&
	test_grep -x 1 short.supervisor
'

test_expect_success 'every long option of each program is in its man page' '
	for p in $PROGS; do
		all_documented $p - $(long_options $p) || return 1
	done
'

test_expect_success 'every option of each usage message is in its man page' '
	for p in $PROGS; do
		usage_options $p >usage.long.$p &&
		test_grep -q usage: usage.$p &&
		all_documented $p - $(cat usage.long.$p) || return 1
	done
'

test_expect_success 'every short option of each program is in its man page' '
	for p in $PROGS; do
		all_documented $p "" $(short_options $p) || return 1
	done
'

test_done
