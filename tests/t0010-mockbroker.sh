#!/bin/sh

test_description='mockbroker: a mock Kafka cluster that kcat can use'

. ./test-lib.sh
test_use kafka

command -v kcat >/dev/null || skip_all 'kcat not installed'
mock_start -b 3 -t t1:2 || skip_all 'mockbroker did not start'

# kcat_produce TOPIC [ARGS...]: produce stdin, one message a line.
kcat_produce() {
	_t=$1; shift
	timeout 20 kcat -P -b "$BROKERS" -t "$_t" "$@"
}

# kcat_consume TOPIC [ARGS...]: every message from the start, then exit.
kcat_consume() {
	_t=$1; shift
	timeout 20 kcat -C -b "$BROKERS" -t "$_t" -o beginning -e -q "$@"
}

# kcat_group GROUP TOPIC: a group member that exits at the end of its
# partitions, committing what it consumed.
kcat_group() {
	timeout 20 kcat -b "$BROKERS" -G "$1" $MOCK_GROUP_OPTS \
		-X auto.offset.reset=earliest -e -q "$2"
}

test_expect_success KAFKA 'bootstrap list names 3 loopback brokers' '
	echo "$BROKERS" | tr , "\n" >brokers &&
	test_line_count = 3 brokers &&
	! grep -v "^127\.0\.0\.1:[0-9][0-9]*$" brokers &&
	test "$(head -n 1 mock.out)" = "$BROKERS"
'

test_expect_success KAFKA 'topic t1 has 2 partitions' '
	timeout 20 kcat -L -b "$BROKERS" -t t1 >meta &&
	test_grep "topic \"t1\" with 2 partitions" meta
'

# Keyed, so that the partitioner spreads them (keyless ones stick to one
# partition for a while).
test_expect_success KAFKA 'produce 20 messages, consume them back' '
	seq 1 20 | sed "s/^/m/" >expect &&
	sed "s/^m\(.*\)/k\1:m\1/" expect >input &&
	kcat_produce t1 -K : <input &&
	kcat_consume t1 >out &&
	sort out >actual &&
	sort expect >expect.sorted &&
	test_cmp expect.sorted actual
'

test_expect_success KAFKA 'both partitions got messages' '
	kcat_consume t1 -p 0 >p0 &&
	kcat_consume t1 -p 1 >p1 &&
	test -s p0 && test -s p1 &&
	cat p0 p1 | sort >actual &&
	test_cmp expect.sorted actual
'

test_expect_success KAFKA 'a consumer group gets every message' '
	kcat_group g1 t1 >out &&
	sort out >actual &&
	test_cmp expect.sorted actual
'

test_expect_success KAFKA 'the group resumes from its committed offsets' '
	printf "n1\nn2\nn3\n" >expect2 &&
	kcat_produce t1 <expect2 &&
	kcat_group g1 t1 >out &&
	sort out >actual &&
	test_cmp expect2 actual
'

test_expect_success KAFKA 'coordinator of a group can be moved' '
	mock_cmd coordinator g2 3 &&
	kcat_group g2 t1 >out &&
	test_line_count = 23 out
'

test_expect_success KAFKA 'a partition whose leader is down takes nothing' '
	timeout 20 kcat -L -b "$BROKERS" -t t1 >meta &&
	sed -n "s/.*partition 0, leader \([0-9]*\),.*/\1/p" meta >leader &&
	test_line_count = 1 leader &&
	mock_cmd down "$(cat leader)" &&
	echo lost | test_must_fail kcat_produce t1 -p 0 \
		-X message.timeout.ms=2000 2>err
	_s=$?
	mock_cmd up "$(cat leader)" &&
	test $_s = 0 &&
	test_grep "Message timed out" err
'

test_expect_success KAFKA 'produce succeeds after the broker is up again' '
	echo after-up >expect3 &&
	kcat_produce t1 -p 0 <expect3 &&
	kcat_produce t1 -p 1 <expect3 &&
	kcat_consume t1 >out &&
	test "$(grep -c "^after-up$" out)" = 2 &&
	! grep lost out
'

test_expect_success KAFKA 'a new topic can be created' '
	mock_cmd topic t2 4 &&
	timeout 20 kcat -L -b "$BROKERS" -t t2 >meta &&
	test_grep "topic \"t2\" with 4 partitions" meta &&
	test_must_fail mock_cmd topic t2 4 2>err &&
	test_grep "already exists" err
'

test_expect_success KAFKA 'injected errors are retried by the producer' '
	mock_cmd error 0 NOT_LEADER_FOR_PARTITION 2 &&
	echo retried >expect4 &&
	kcat_produce t2 -p 0 <expect4 &&
	kcat_consume t2 -p 0 >out &&
	test_cmp expect4 out
'

test_expect_success KAFKA 'an injected fatal error fails the producer' '
	mock_cmd error 0 29 1 &&
	echo denied | test_must_fail kcat_produce t2 -p 1 2>err &&
	test_grep "Topic authorization failed" err &&
	echo allowed | kcat_produce t2 -p 1 &&
	kcat_consume t2 -p 1 >out &&
	echo allowed >expect &&
	test_cmp expect out
'

test_expect_success KAFKA 'rtt and apiversion are accepted' '
	mock_cmd rtt 2 5 &&
	mock_cmd rtt 2 0 &&
	mock_cmd apiversion 2 0 3
'

test_expect_success KAFKA 'an unknown command answers an error' '
	test_must_fail mock_cmd bogus 2>err &&
	test_grep "error: unknown command bogus" err &&
	test_must_fail mock_cmd down 2>err &&
	test_grep "error: down takes 1 arguments" err &&
	test_must_fail mock_cmd down x 2>err &&
	test_grep "error: x is invalid" err &&
	mock_cmd up 1
'

test_expect_success 'mockbroker exits 0 at EOF of stdin' '
	timeout 10 mockbroker -t x:3 </dev/null >eof.out 2>eof.err &&
	test_line_count = 1 eof.out
'

test_expect_success 'mockbroker exits 0 on SIGTERM' '
	mkfifo term.in &&
	exec 8<>term.in &&
	{ timeout -k 2 10 mockbroker -f term.ready <term.in >term.out \
		2>term.err & } &&
	pid=$! &&
	test_wait_for 10 test -f term.ready &&
	test "$(cat term.ready)" = "$(cat term.out)" &&
	kill -TERM $pid &&
	{ wait $pid; echo $? >term.status; } &&
	exec 8>&- &&
	test "$(cat term.status)" = 0
'

test_expect_success 'bad arguments are usage errors' '
	test_expect_code 64 mockbroker -b 0 </dev/null 2>err &&
	test_grep "number of brokers is too small" err &&
	test_expect_code 64 mockbroker -t t:x </dev/null 2>err &&
	test_grep "number of partitions is invalid" err &&
	test_expect_code 64 mockbroker extra </dev/null 2>err &&
	test_grep "usage: mockbroker" err
'

test_expect_success KAFKA 'mockbroker exits 0 on quit' '
	mock_stop &&
	test "$(cat mock.status)" = 0 &&
	test "$(tail -n 1 mock.out)" = ok
'

test_done
