#!/bin/sh
test_description='zlog: records in the shape of upstream'"'"'s zerolog lines (COMPAT 6.1)'
. ./test-lib.sh

# 2026-08-11 10:00:00 UTC
T=1786442400

test_expect_success 'JSON: level first, fields in order, time in RFC 3339 whole seconds, message last' '
	TZ=UTC helper zlog json info "Cleanup \`reported\` finished" $T \
		"Rows deleted=i:12" "max age=s:8 days" "ok=b:1" "l=r:[1,2]" >actual &&
	echo "{\"level\":\"info\",\"Rows deleted\":12,\"max age\":\"8 days\",\"ok\":true,\"l\":[1,2],\"time\":\"2026-08-11T10:00:00Z\",\"message\":\"Cleanup \`reported\` finished\"}" >expect &&
	test_cmp expect actual
'

test_expect_success 'JSON: the local zone, no message when empty, warn/error/fatal/debug names' '
	TZ=XYZ-2 helper zlog json warning "" $T "error=s:boom" >actual &&
	echo "{\"level\":\"warn\",\"error\":\"boom\",\"time\":\"2026-08-11T12:00:00+02:00\"}" >expect &&
	test_cmp expect actual &&
	for l in debug error fatal; do
		TZ=UTC helper zlog json $l m $T >actual &&
		test_grep "^{\"level\":\"$l\"," actual || return 1
	done &&
	TZ=XYZ4 helper zlog json info m $T >actual &&
	test_grep "\"time\":\"2026-08-11T06:00:00-04:00\"" actual
'

test_expect_success 'JSON: strings escaped, secrets masked' '
	TZ=UTC helper zlog json info "a \"q\"" $T "url=s:postgres://u:hunter2@db/x" >actual &&
	test_grep "\"message\":\"a \\\\\"q\\\\\"\"" actual &&
	! grep hunter2 actual
'

test_expect_success 'console: kitchen time, level, message, fields sorted with error first, quoting' '
	TZ=UTC helper zlog console info "Cleanup operation" $T "b=s:x y" "a=i:1" "error=s:bad" "c=s:plain" >actual &&
	echo "10:00AM INF Cleanup operation error=bad a=1 b=\"x y\" c=plain" >expect &&
	test_cmp expect actual &&
	TZ=UTC helper zlog console debug m $((T + 4 * 3600)) >actual &&
	echo "2:00PM DBG m" >expect &&
	test_cmp expect actual &&
	TZ=UTC helper zlog console warn m $((T - 10 * 3600)) >actual &&
	echo "12:00AM WRN m" >expect &&
	test_cmp expect actual
'

test_expect_success 'console: ANSI colours unless the form is plain' '
	TZ=UTC helper zlog console-color error m $T "error=s:bad" >actual &&
	printf "\033[90m10:00AM\033[0m \033[1m\033[31mERR\033[0m m \033[36merror=\033[0m\033[31m\033[1mbad\033[0m\033[0m\n" >expect &&
	test_cmp expect actual
'

test_done
