#!/bin/sh
test_description='kafka-reader: record lines, ack-driven commits, back-pressure'
. ./test-lib.sh
test_use kafka

mock_start -t in:1 -t two:2 || skip_all "the mock Kafka cluster cannot start"
KR_OPTS="-X auto.offset.reset=earliest $MOCK_GROUP_OPTS"

# produce TOPIC: lines of stdin as records (kcat, one record a line).
produce() { _t=$1; shift; timeout 20 kcat -P -b "$BROKERS" -t "$_t" "$@"; }

# committed GROUP TOPIC N, committed_are GROUP TOPIC N LINE...: test-lib.sh.

# wait_lines N FILE: until FILE has at least N lines.
has_lines() { test "$(wc -l <"$2" 2>/dev/null || echo 0)" -ge "$1"; }
wait_lines() { test_wait_for 30 has_lines "$1" "$2"; }

test_expect_success 'usage errors' '
	test_expect_code 64 kafka-reader -b "$BROKERS" -t in &&
	test_expect_code 64 kafka-reader -G g -t in &&
	test_expect_code 78 kafka-reader -b "$BROKERS" -G g -t in -X no.such.property=1 2>err &&
	test_grep "no.such.property" err &&
	test_expect_code 64 kafka-reader -b "$BROKERS" -G g -t in -m 0 &&
	test_expect_code 64 kafka-reader -b "$BROKERS" -G g -t in -D x &&
	test_expect_code 64 kafka-reader -b "$BROKERS" -G g -t in -n 99 &&
	test_expect_code 64 kafka-reader -b "$BROKERS" -G g -t in --log-format xml &&
	test_expect_code 78 kafka-reader -b "$BROKERS" -G g -t in -F no-such-file &&
	test_expect_code 78 kafka-reader -b "$BROKERS" -G g -t in -a no-such-dir/acks 2>err &&
	test_grep "unable to open no-such-dir/acks" err
'

test_expect_success 'without -a: every record becomes a line, whatever its bytes' '
	printf "{\"a\":1}\nnot json\n" | produce in &&
	printf "\377\376binary\n" | produce in &&
	reader_start out -G g1 -t in &&
	wait_lines 3 out &&
	kill -TERM $pid && wait $pid &&
	cat >expect <<-\EOF &&
	{"topic":"in","partition":0,"offset":0,"value":"{\"a\":1}"}
	{"topic":"in","partition":0,"offset":1,"value":"not json"}
	{"topic":"in","partition":0,"offset":2,"value_b64":"//5iaW5hcnk="}
	EOF
	sed "s/,\"timestamp\":[0-9]*//" out >actual &&
	test_cmp expect actual &&
	committed_are g1 in 1 "0 3"
'

test_expect_success 'a restart of the group reads only what is new' '
	echo new | produce in &&
	reader_start out -G g1 -t in &&
	wait_lines 1 out &&
	sleep 1 &&
	kill -TERM $pid && wait $pid &&
	test_line_count = 1 out &&
	test_grep "\"offset\":3,.*\"value\":\"new\"" out
'

test_expect_success 'a tombstone is a line with a null value' '
	printf "k:\n" | produce in -K: -Z &&
	reader_start out -G g1 -t in &&
	wait_lines 1 out &&
	kill -TERM $pid && wait $pid &&
	test_grep "\"offset\":4,.*\"value\":null}" out
'

test_expect_success 'with -a: commits stop at the first unacknowledged offset' '
	seq 0 9 | produce two -p 0 &&
	seq 0 4 | produce two -p 1 &&
	mkfifo acks &&
	reader_start out -G g2 -t two -a acks &&
	exec 8>acks &&
	wait_lines 15 out &&
	for o in 0 1 2 3 4 6 7 8 9; do
		echo "{\"topic\":\"two\",\"partition\":0,\"offset\":$o}" >&8 || return 1
	done &&
	for o in 0 1 2 3 4; do
		echo "{\"topic\":\"two\",\"partition\":1,\"offset\":$o}" >&8 || return 1
	done &&
	sleep 0.5 &&
	kill -TERM $pid &&
	exec 8>&- &&
	wait $pid &&
	committed_are g2 two 2 "0 5" "1 5"
'

test_expect_success 'the unacknowledged records are delivered again' '
	rm -f acks && mkfifo acks &&
	reader_start out -G g2 -t two -a acks &&
	exec 8>acks &&
	wait_lines 5 out &&
	sleep 1 &&
	kill -TERM $pid &&
	exec 8>&- &&
	wait $pid &&
	sed -n "s/.*\"partition\":\([0-9]\),\"offset\":\([0-9]*\),.*/\1 \2/p" out | sort -n -k2 >actual &&
	printf "0 5\n0 6\n0 7\n0 8\n0 9\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'back-pressure: no more than -m records in flight' '
	seq 1 50 | produce in &&
	rm -f acks && mkfifo acks &&
	reader_start out -G g3 -t in -a acks -m 5 -v &&
	exec 8>acks &&
	wait_lines 5 out &&
	sleep 1 &&
	test_line_count = 5 out &&
	sed -n "s/^{\"topic\":\"in\",\"partition\":0,\"offset\":\([0-9]*\),.*/{\"topic\":\"in\",\"partition\":0,\"offset\":\1}/p" out >&8 &&
	wait_lines 8 out &&
	kill -TERM $pid &&
	exec 8>&- &&
	wait $pid
'

test_expect_success 'ack lines: only the identity is read; escapes, any status, extra members, any order' '
	rm -f acks && mkfifo acks &&
	reader_start out -G g7 -t in -a acks &&
	exec 8>acks &&
	wait_lines 5 out &&
	cat >&8 <<-\EOF &&
	{"topic":"\u0069n","partition":0,"offset":0,"status":"stored"}
	{"offset":1,"partition":0,"topic":"in"}
	{"topic":"in","partition":0,"offset":2,"status":"dead_letter","note":[1,{"x":null}]}
	{"topic":"in","partition":0,"status":"stored"}
	{"topic":"in","partition":"0","offset":3}
	not json at all
	{"topic":"in","partition":0,"offset":3,"status":"duplicate"}
	EOF
	three_bad() { test "$(grep -c "is not an ack" err)" = 3; } &&
	test_wait_for 30 three_bad &&
	test_grep "line 4 is not an ack.*offset" err &&
	test_grep "line 5 is not an ack.*partition" err &&
	kill -TERM $pid &&
	exec 8>&- &&
	wait $pid &&
	committed_are g7 in 1 "0 4"
'

test_expect_success 'the ack channel closing means downstream is gone: commit acked, exit 75' '
	rm -f acks && mkfifo acks &&
	reader_start out -G g4 -t in -a acks &&
	exec 8>acks &&
	wait_lines 3 out &&
	sed -n 1,3p out | sed "s/,\"timestamp.*/}/" >&8 &&
	sleep 0.5 &&
	exec 8>&- &&
	test_expect_code 75 wait $pid &&
	test_grep "downstream is gone" err &&
	committed_are g4 in 1 "0 3"
'

test_expect_success 'readiness: -n writes a newline once subscribed' '
	rm -f acks &&
	reader_start out -G g5 -t in -n 3 3>ready &&
	test_wait_for 10 test -s ready &&
	kill -TERM $pid && wait $pid
'

test_done
