#!/bin/sh
test_description='kafka-reader under faults: a stalled downstream, a fatal error event, records deleted before they were read, metrics while idle'
. ./test-lib.sh
test_use kafka

mock_start -t big:3 -t fenced:1 -t gone:1 -t gone2:1 -t idle:1 ||
	skip_all "the mock Kafka cluster cannot start"
KR_OPTS="-X auto.offset.reset=earliest $MOCK_GROUP_OPTS"

# produce TOPIC [KCAT-OPTIONS]: lines of stdin as records.
produce() { _t=$1; shift; timeout 60 kcat -P -b "$BROKERS" -t "$_t" "$@"; }

# committed GROUP TOPIC N, committed_are GROUP TOPIC N LINE...: test-lib.sh.
committed_is() { test "$(committed "$1" "$2" "$3")" = "$4"; }

# first_offset TOPIC: the oldest offset the broker still has (partition 0).
first_offset() {
	timeout 30 kcat -C -b "$BROKERS" -t "$1" -p 0 -o beginning -c 1 -e \
		-f "%o\n"
}

has_lines() { test "$(wc -l <"$2" 2>/dev/null || echo 0)" -ge "$1"; }
wait_lines() { test_wait_for 60 has_lines "$1" "$2"; }

# wait_exit PID: until PID has exited (60 s), then its exit status.
gone_() { ! kill -0 "$1"; }
wait_exit() { test_wait_for 60 gone_ "$1" && wait "$1"; }

# big_values N: N record values of about 1000 bytes, numbered from 0.
big_values() {
	awk -v n="$1" 'BEGIN { s = sprintf("%0990d", 0)
		for (i = 0; i < n; i++) printf "%06d %s\n", i, s }'
}

# offsets FILE: "partition offset" of each record line, in the order written.
offsets() {
	sed -n 's/^{"topic":"[^"]*","partition":\([0-9]*\),"offset":\([0-9]*\),.*/\1 \2/p' "$1"
}

# metric FILE NAME: the value of ccx_kafka_reader_NAME in FILE.
metric() { sed -n "s/^ccx_kafka_reader_$2 //p" "$1"; }
metric_is() { test "$(metric "$1" "$2")" = "$3"; }

# 3 x 2000 records of 1000 bytes: 6 MB of lines, more than the 4 MiB
# output buffer and the pipe together, less than the 5 MiB the mock broker
# keeps of each partition.  Before the fix kafka-reader stopped polling
# with a full buffer, was expelled from the group after max.poll.interval.ms,
# and crashed on the __MAX_POLL_EXCEEDED event.
test_expect_success 'a stalled downstream: paused, still polling, in the group, every record once and in order' '
	for p in 0 1 2; do
		big_values 2000 | produce big -p $p || return 1
	done &&
	mkfifo stall &&
	reader_start stall -G gs -t big \
		-X max.poll.interval.ms=3000 -v &&
	exec 7<stall &&
	test_wait_for 60 grep -q "paused fetching" err &&
	# The pipe and the buffer are full; nobody reads for more than twice
	# max.poll.interval.ms.
	sleep 7 &&
	{ cat <&7 >out & } &&
	exec 7<&- &&
	wait_lines 6000 out &&
	kill -TERM $pid &&
	wait_exit $pid &&
	test_line_count = 6000 out &&
	for p in 0 1 2; do
		seq 0 1999 | sed "s/^/$p /" || return 1
	done >expect &&
	offsets out | sort -s -n -k1,1 >actual &&
	test_cmp expect actual &&
	test_grep "resumed fetching" err &&
	test "$(grep -c "assigned 3 partition" err)" = 1 &&
	test "$(grep -c "revoking" err)" = 1 &&
	! grep -i "maxpoll\|maximum poll\|consumer error" err &&
	committed_are gs big 3 "0 2000" "1 2000" "2 2000"
'

# A fenced static member gets a fatal error, as an event without a topic;
# before the fix kafka-reader read the topic of the event first and crashed.
test_expect_success 'a fatal error event: logged, acknowledged offsets committed, exit 69' '
	seq 0 9 | produce fenced &&
	reader_start out -G gf -t fenced &&
	wait_lines 10 out &&
	# A fenced member can commit nothing more: the error comes after
	# the periodic commit of what was written.
	test_wait_for 30 committed_is gf fenced 1 "0 10" &&
	mock_cmd error 12 FENCED_INSTANCE_ID 1 &&
	test_expect_code 69 wait_exit $pid &&
	test_grep "error: fatal consumer error: .*fenced" err &&
	committed_are gf fenced 1 "0 10"
'

test_expect_success 'records deleted before a restart read them: the range is logged and counted' '
	seq 0 9 | produce gone &&
	reader_start out -G gg -t gone &&
	wait_lines 10 out &&
	kill -TERM $pid &&
	wait_exit $pid &&
	committed_are gg gone 1 "0 10" &&
	# More than the mock broker keeps of a partition: the oldest go,
	# the committed offset 10 with them.
	big_values 6000 | produce gone &&
	first=$(first_offset gone) &&
	test "$first" -gt 10 &&
	reader_start out -G gg -t gone \
		--metrics-file metrics &&
	wait_lines $((6010 - first)) out &&
	kill -TERM $pid &&
	wait_exit $pid &&
	test_grep -F "warning: topic gone partition 0: offsets 10-$((first - 1)) skipped by the broker (deleted or compacted before they were read)" err &&
	test "$(grep -c "skipped by the broker" err)" = 1 &&
	echo "0 $first" >expect &&
	offsets out | sed -n 1p >actual &&
	test_cmp expect actual &&
	metric_is metrics offset_gaps 1 &&
	metric_is metrics skipped_offsets $((first - 10))
'

test_expect_success 'records deleted while fetching was paused: the gap in the stream' '
	seq 0 2 | produce gone2 &&
	mkfifo acks &&
	reader_start out -G gm -t gone2 -a acks -m 1 -v \
		--metrics-file metrics &&
	exec 8>acks &&
	wait_lines 1 out &&
	test_wait_for 30 grep -q "paused fetching" err &&
	big_values 6000 | produce gone2 &&
	first=$(first_offset gone2) &&
	test "$first" -gt 3 &&
	echo "{\"topic\":\"gone2\",\"partition\":0,\"offset\":0}" >&8 &&
	wait_lines 2 out &&
	kill -TERM $pid &&
	exec 8>&- &&
	wait_exit $pid &&
	printf "0 0\n0 %s\n" "$first" >expect &&
	offsets out >actual &&
	test_cmp expect actual &&
	test_grep -F "topic gone2 partition 0: offsets 1-$((first - 1)) skipped by the broker" err &&
	metric_is metrics offset_gaps 1 &&
	metric_is metrics skipped_offsets $((first - 1))
'

test_expect_success 'metrics are current while no record flows' '
	seq 1 5 | produce idle &&
	reader_start out -G gi -t idle \
		--metrics-file metrics &&
	wait_lines 5 out &&
	test_wait_for 10 metric_is metrics records 5 &&
	metric_is metrics in_flight 0 &&
	metric_is metrics offset_gaps 0 &&
	kill -0 $pid &&
	kill -TERM $pid &&
	wait_exit $pid &&
	metric_is metrics records 5 &&
	metric_is metrics rebalances 2
'

test_expect_success 'metrics are current while draining at shutdown' '
	rm -f acks && mkfifo acks &&
	reader_start out -G gd -t idle -a acks -D 60 \
		--metrics-file metrics &&
	exec 8>acks &&
	wait_lines 5 out &&
	test_wait_for 10 metric_is metrics in_flight 5 &&
	kill -TERM $pid &&
	test_wait_for 10 grep -q "terminating" err &&
	echo "{\"topic\":\"idle\",\"partition\":0,\"offset\":0}" >&8 &&
	test_wait_for 10 metric_is metrics acks 1 &&
	metric_is metrics in_flight 4 &&
	kill -0 $pid &&
	exec 8>&- &&
	wait_exit $pid &&
	committed_are gd idle 1 "0 1"
'

test_done
