#!/bin/sh
test_description='goflag: command lines parsed as Go'"'"'s flag package parses them (COMPAT 2.1)'
. ./test-lib.sh

SPEC=b:db-init,s:max-age,b:version,s:migrate
gf() { helper goflag "$SPEC" "$@"; }

test_expect_success 'one dash or two; -name=value and -name value; the last wins' '
	gf prog -db-init --max-age "8 days" -migrate=latest --max-age=9 >actual &&
	cat >expect <<-\EOF &&
	db-init=true
	max-age=9
	migrate=latest
	rest:
	EOF
	test_cmp expect actual
'

test_expect_success 'booleans: only -name=VALUE with ParseBool spellings; a separate value is positional' '
	for v in 1 t T TRUE true True; do
		gf prog -db-init=$v >actual &&
		test_grep "^db-init=true$" actual || return 1
	done &&
	for v in 0 f F FALSE false False; do
		gf prog -db-init=$v >actual &&
		test_grep "^db-init=false$" actual || return 1
	done &&
	gf prog -db-init false -version >actual &&
	printf "db-init=true\nrest: false -version\n" >expect &&
	test_cmp expect actual &&
	test_expect_code 2 gf ./prog -db-init=maybe >out 2>err &&
	test_line_count = 0 out &&
	test "$(head -1 err)" = "invalid boolean value \"maybe\" for -db-init: parse error" &&
	test_grep "^Usage of ./prog:$" err
'

test_expect_success 'a string flag: -name= is empty; without a value is an error' '
	gf prog -max-age= >actual &&
	printf "max-age=\nrest:\n" >expect &&
	test_cmp expect actual &&
	gf prog -max-age -db-init >actual &&
	printf "max-age=-db-init\nrest:\n" >expect &&
	test_cmp expect actual &&
	test_expect_code 2 gf prog -max-age 2>err &&
	test "$(head -1 err)" = "flag needs an argument: -max-age"
'

test_expect_success 'the flags end at the first non-flag, at "--" (consumed), and "-" is positional' '
	gf prog --max-age 8 days --db-init >actual &&
	printf "max-age=8\nrest: days --db-init\n" >expect &&
	test_cmp expect actual &&
	gf prog -db-init -- -version >actual &&
	printf "db-init=true\nrest: -version\n" >expect &&
	test_cmp expect actual &&
	gf prog - -version >actual &&
	printf "rest: - -version\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'unknown flags and bad syntax: the message, the usage, exit 2' '
	test_expect_code 2 gf ./x --xyz=1 2>err &&
	test "$(head -1 err)" = "flag provided but not defined: -xyz" &&
	test_expect_code 2 gf ./x ---x 2>err &&
	test "$(head -1 err)" = "bad flag syntax: ---x" &&
	test_expect_code 2 gf ./x -=x 2>err &&
	test "$(head -1 err)" = "bad flag syntax: -=x" &&
	test_expect_code 2 gf ./x -show-version 2>err &&
	test "$(head -1 err)" = "flag provided but not defined: -show-version"
'

test_expect_success '-h, -help, --help, -help=x: the usage on stderr, exit 0, in byte order' '
	for h in -h -help --help --h -help=x; do
		gf ./ccx-prog $h >out 2>err &&
		test_line_count = 0 out &&
		printf "Usage of ./ccx-prog:\n  -db-init\n    \thelp of db-init\n  -max-age string\n    \thelp of max-age\n  -migrate string\n    \thelp of migrate\n  -version\n    \thelp of version\n" >expect &&
		test_cmp expect err || return 1
	done
'

test_done
