#!/bin/sh

test_description='the program frame (common/prog.c): --help, --version, bad flags and values, exit tables against the man pages'

. ./test-lib.sh
test_use progs

# table_names PROG, table_vars PROG: the long names and the variables of
# the settings table in PROG's source.
table_names() {
	grep -oE '\.name = "[a-z0-9-]+"' "$(main "$1")" | cut -d'"' -f2 |
	grep -vx "$1" | sort -u
}
table_vars() {
	grep -oE '\.(env|log_env) = "[A-Z0-9_]+"' "$(main "$1")" | cut -d'"' -f2 |
	sort -u
}

# page_statuses PROG: the statuses the EXIT STATUS section of PROG's man
# page lists (".It N"), one a line.
page_statuses() {
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$(page "$1")" |
	sed -n 's/^\.It \([0-9][0-9]*\).*/\1/p' | sort -un
}

test_expect_success '--help: the usage and every setting on stdout, exit 0' '
	for p in $PROGS; do
		"$p" --help </dev/null >help.$p 2>err.$p &&
		test -s help.$p &&
		test ! -s err.$p &&
		head -n 1 help.$p | grep -q "^usage: $p " &&
		test_grep -q -- "--help, --version" help.$p &&
		test_grep -q -- "--log-format text|json" help.$p ||
		{ echo "$p: --help"; return 1; }
	done
'

test_expect_success '--help lists every setting of the table and its variable' '
	for p in $PROGS; do
		table_names $p >names.$p &&
		test_line_count -ge 2 names.$p &&
		for n in $(cat names.$p); do
			grep -qE -- "^  (-., )?--$n( |\$)|^  $n \\(never on the command line\\)" help.$p ||
			{ echo "$p: --help does not list --$n"; return 1; }
		done &&
		for v in $(table_vars $p); do
			grep -q "[[ ]$v[];]" help.$p ||
			{ echo "$p: --help does not name $v"; return 1; }
		done || return 1
	done
'

test_expect_success '--version: one line, exit 0' '
	for p in $PROGS; do
		"$p" --version </dev/null >version.$p 2>err.$p &&
		test_line_count = 1 version.$p &&
		test ! -s err.$p &&
		grep -qE "^$p \\(ccx-notify\\) [^ ]+\$" version.$p ||
		{ echo "$p: --version"; cat version.$p; return 1; }
	done
'

test_expect_success 'a bad flag exits 64 with the usage on stderr' '
	for p in $PROGS; do
		test_expect_code 64 "$p" --no-such-flag </dev/null >out 2>err &&
		test ! -s out &&
		test_grep -q "unknown option --no-such-flag" err &&
		test_grep -q "^usage: $p " err &&
		test_expect_code 64 "$p" --log-format xml </dev/null 2>err &&
		test_grep -q -- "--log-format \"xml\": not one of text|json" err &&
		test_grep -q "^usage: $p " err || return 1
	done
'

test_expect_success 'a readiness descriptor that is not open is a bad flag' '
	for p in $PROGS; do
		grep -q "letter = .n., .type = PROG_FD" "$(main $p)" || continue
		test_expect_code 64 "$p" -n 9 </dev/null 2>err &&
		test_grep -q -- "-n \"9\": readiness fd 9 is not open" err &&
		test_expect_code 64 "$p" --ready-fd x </dev/null 2>err &&
		test_grep -q -- "--ready-fd \"x\": not a file descriptor" err ||
		{ echo "$p: -n"; return 1; }
	done
'

test_expect_success 'a bad value exits 78 naming the flag and the variable' '
	CCX_SERVICELOG_CLIENT_SECRET=s && export CCX_SERVICELOG_CLIENT_SECRET &&
	test_expect_code 78 env CCX_SERVICELOG_RETRIES=11 servicelog-poster \
		--renderer-url http://r --client-id c </dev/null 2>err &&
	test_grep -- "--retries \"11\" (from CCX_SERVICELOG_RETRIES): not a whole number from 0 to 10" err &&
	! grep usage: err &&
	test_expect_code 78 env CCX_SERVICELOG_LOG_FORMAT=xml servicelog-poster \
		--renderer-url http://r --client-id c </dev/null 2>err &&
	test_grep -- "--log-format \"xml\" (from CCX_SERVICELOG_LOG_FORMAT)" err &&
	test_expect_code 78 servicelog-poster --renderer-url http://r \
		--client-id c --url ftp://x </dev/null 2>err &&
	test_grep -- "--url \"ftp://x\": no http:// or https:// scheme" err &&
	test_expect_code 78 env CCX_DIFFER_NO_SAME=maybe differ -T service-log \
		-c file:///x -i /dev/null </dev/null 2>err &&
	test_grep -- "--no-same \"maybe\" (from CCX_DIFFER_NO_SAME): neither true nor false" err &&
	test_expect_code 78 env CCX_DIFFER_CONTENT_TIMEOUT=1h1m differ \
		-T service-log -c file:///x -i /dev/null </dev/null 2>err &&
	test_grep -- "--content-timeout \"1h1m\" (from CCX_DIFFER_CONTENT_TIMEOUT): not a duration" err &&
	test_expect_code 78 differ -T service-log -c file:///x -i /dev/null \
		--shard 3/3 </dev/null 2>err &&
	test_grep -- "--shard \"3/3\": not K/N" err &&
	test_expect_code 78 kafka-reader -b 127.0.0.1:1 -G g -t t \
		-X no.such.property=1 </dev/null 2>err &&
	test_grep -- "-X: .*no.such.property" err
'

test_expect_success 'a flag value of the wrong type exits 64, with the usage' '
	test_expect_code 64 servicelog-poster --retries 11 </dev/null 2>err &&
	test_grep -- "--retries \"11\": not a whole number from 0 to 10" err &&
	test_grep "^usage: servicelog-poster" err &&
	test_expect_code 64 servicelog-poster --timeout 5x </dev/null 2>err &&
	test_grep -- "--timeout \"5x\": not a duration from 1 to 3600 seconds" err &&
	test_expect_code 64 kafka-reader -b b -G g -t t -D 2d </dev/null 2>err &&
	test_grep -- "-D \"2d\": not a duration" err &&
	test_expect_code 64 kafka-reader -b b -G g -t t -m 1x </dev/null 2>err &&
	test_grep -- "-m \"1x\": not a whole number" err
'

test_expect_success 'a required setting not given is a bad flag' '
	test_expect_code 64 kafka-emitter -b b </dev/null 2>err &&
	test_grep "no topic: use -t (--topic)" err &&
	test_grep "^usage: kafka-emitter" err &&
	test_expect_code 64 env CCX_SERVICELOG_CLIENT_SECRET=s \
		servicelog-poster --renderer-url http://r </dev/null 2>err &&
	test_grep "no client id: use --client-id or set CCX_SERVICELOG_CLIENT_ID" err
'

test_expect_success 'a secret is never taken from the command line' '
	test_expect_code 64 servicelog-poster --client-secret hunter2-0160 \
		</dev/null 2>err &&
	test_grep "never taken from the command line" err &&
	! grep hunter2-0160 err
'

test_expect_success 'each man page lists exactly the exit statuses of its table' '
	for p in $PROGS; do
		"$p" --exit-codes </dev/null >codes.$p &&
		grep -qE "^0 EXIT_OK " codes.$p &&
		cut -d" " -f1 codes.$p | sort -un >table.$p &&
		page_statuses $p >page.$p &&
		test_line_count -ge 4 page.$p &&
		test_cmp table.$p page.$p ||
		{ echo "$p: the table (-) and $(page $p) (+) differ"; return 1; }
	done
'

test_done
