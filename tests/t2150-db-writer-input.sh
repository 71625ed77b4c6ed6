#!/bin/sh
test_description='db-writer input: a cut-short last line, trailing data, kcat -J envelopes, live metrics'
. ./test-lib.sh
test_use pg records kafka

pg_ready
command -v kcat >/dev/null && mock_start -t kc:1

C1=00000000-0000-0000-0000-000000000001
C2=AAAAAAAA-bbbb-cccc-dddd-000000000002
T=ccx.ocp.results

# running PID / stopped PID: conditions for test_wait_for.
running() { kill -0 "$1" 2>/dev/null; }
stopped() { ! kill -0 "$1" 2>/dev/null; }
# metric_is NAME VALUE FILE: ccx_notification_writer_NAME is VALUE in FILE.
metric_is() { grep -q "^ccx_notification_writer_$1 $2\$" "$3"; }

test_expect_success 'lineio: the last line without a newline is marked partial' '
	printf "a\nbb\nccc" | helper lineio >actual &&
	cat >expect <<-\EOF &&
	ok 1 1 a
	ok 2 2 bb
	partial 3 3 ccc
	EOF
	test_cmp expect actual &&
	printf "a\nbb\n" | helper lineio >actual &&
	printf "ok 1 1 a\nok 2 2 bb\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a cut-short last line: no row, no dead letter, no ack, a warning' '
	record_line $T 0 0 "$(sample_record 1 $C1)" >in &&
	record_line $T 0 1 "$(sample_record 2 $C1)" >full &&
	head -c 100 full >>in &&
	db-writer <in >acks 2>err &&
	acks_are acks $T 0/0/stored &&
	test_grep "warning.*input line 2 (100 bytes) has no newline" err &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 2")" = 0 &&
	test "$(sql "SELECT count(*) FROM dead_letters")" = 0 &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 1")" = 1 &&
	# Kafka delivers it again, whole: stored once, no dead letter.
	db-writer <full >acks &&
	acks_are acks $T 0/1/stored &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 2")" = 1 &&
	test "$(sql "SELECT count(*) FROM dead_letters")" = 0
'

test_expect_success 'a cut-short line that is the only input: nothing at all' '
	record_line $T 0 2 "$(sample_record 3 $C1)" | head -c 30 >in &&
	db-writer <in >acks 2>err &&
	test_line_count = 0 acks &&
	test_grep "input line 1 (30 bytes)" err &&
	test "$(sql "SELECT count(*) FROM consumed_records WHERE kafka_offset = 2")" = 0 &&
	test "$(sql "SELECT count(*) FROM dead_letters")" = 0
'

test_expect_success 'a complete last line without a newline is stored and acked' '
	record_line $T 0 3 "$(sample_record 4 $C1)" >in &&
	record_line $T 0 4 "$(sample_record 5 $C2)" | tr -d "\n" >>in &&
	db-writer <in >acks 2>err &&
	acks_are acks $T 0/3/stored 0/4/stored &&
	! grep "no newline" err &&
	test "$(sql "SELECT cluster FROM new_reports WHERE org_id = 5")" = $C2
'

test_expect_success 'a complete last line that is no record is dead-lettered as usual' '
	printf "{\"topic\":\"$T\",\"partition\":0,\"offset\":5,\"value\":5}" >in &&
	db-writer <in >acks 2>err &&
	acks_are acks $T 0/5/dead_letter &&
	test "$(sql "SELECT reason_code FROM dead_letters WHERE kafka_offset = 5")" = bad_line
'

test_expect_success 'trailing data after the JSON object is a bad_line dead letter' '
	{
		printf "%sgarbage\n" "$(record_line $T 1 0 "$(sample_record 10 $C1)")" &&
		printf "%s %s\n" "$(record_line $T 1 1 "$(sample_record 11 $C1)")" \
			"$(record_line $T 1 2 "$(sample_record 12 $C1)")" &&
		printf "%s \t \r\n" "$(record_line $T 1 3 "$(sample_record 13 $C1)")"
	} >in &&
	db-writer <in >acks 2>err &&
	acks_are acks $T 1/0/dead_letter 1/1/dead_letter 1/3/stored &&
	n=$(record_line $T 1 0 "$(sample_record 10 $C1)" | tr -d "\n" | wc -c) &&
	m=$(record_line $T 1 1 "$(sample_record 11 $C1)" | tr -d "\n" | wc -c) &&
	sql "SELECT kafka_offset, reason_code, reason FROM dead_letters WHERE kafka_partition = 1 ORDER BY 1" >actual &&
	cat >expect <<-EOF &&
	0|bad_line|input line 1: trailing data after the JSON object at byte $n
	1|bad_line|input line 2: trailing data after the JSON object at byte $((m + 1))
	EOF
	test_cmp expect actual &&
	sed -n 1p in >expect &&
	sql "SELECT convert_from(raw, '"'UTF8'"') FROM dead_letters WHERE kafka_partition = 1 AND kafka_offset = 0" >actual &&
	test_cmp expect actual &&
	test "$(sql "SELECT string_agg(org_id::text, '"','"') FROM new_reports WHERE org_id BETWEEN 10 AND 13")" = 13
'

test_expect_success 'trailing data on a cut-short last line: no dead letter either' '
	printf "%sgarb" "$(record_line $T 1 4 "$(sample_record 14 $C1)")" >in &&
	db-writer <in >acks 2>err &&
	test_line_count = 0 acks &&
	test_grep "input line 1 .* has no newline" err &&
	test "$(sql "SELECT count(*) FROM dead_letters WHERE kafka_partition = 1 AND kafka_offset = 4")" = 0
'

test_expect_success KAFKA 'kcat -C -J output: rows stored, bad values dead-lettered, tombstones too' '
	{
		printf "k1:%s\n" "$(sample_record 20 $C1)" &&
		printf "k2:not json\n" &&
		printf "k3:\n" &&
		printf "k4:%s\n" "$(sample_record 21 $C2)"
	} >produce &&
	timeout 20 kcat -P -b "$BROKERS" -t kc -p 0 -K : -Z <produce &&
	timeout 20 kcat -C -J -b "$BROKERS" -t kc -o beginning -e -q >kcat.out &&
	test_line_count = 4 kcat.out &&
	test_grep "^{\"topic\":\"kc\",\"partition\":0,\"offset\":0,.*\"ts\":[0-9]*,.*\"payload\":" kcat.out &&
	test_grep "\"offset\":2,.*\"payload\":null}$" kcat.out &&
	db-writer <kcat.out >acks 2>err &&
	acks_are acks kc 0/0/stored 0/1/dead_letter 0/2/dead_letter 0/3/stored &&
	sql "SELECT org_id, cluster, kafka_offset FROM new_reports WHERE org_id IN (20, 21) ORDER BY 1" >actual &&
	cat >expect <<-EOF &&
	20|$C1|0
	21|$C2|3
	EOF
	test_cmp expect actual &&
	sql "SELECT kafka_offset, reason_code, convert_from(raw, '"'UTF8'"') FROM dead_letters WHERE topic = '"'kc'"' ORDER BY 1" >actual &&
	cat >expect <<-\EOF &&
	1|syntax|not json
	2|empty|
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT report FROM new_reports WHERE org_id = 20")" = \
		"$(sql "SELECT report FROM new_reports WHERE org_id = 1")"
'

test_expect_success KAFKA 'kcat -C -J piped straight into db-writer, again: duplicates' '
	timeout 20 kcat -C -J -b "$BROKERS" -t kc -o beginning -e -q |
		db-writer >acks 2>err &&
	test "$(grep -c "\"status\":\"duplicate\"" acks)" = 2 &&
	test "$(grep -c "\"status\":\"dead_letter\"" acks)" = 2 &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id IN (20, 21)")" = 2
'

test_expect_success 'metrics are current while stdin stays open and idle' '
	mkfifo live.in &&
	for i in $(seq 100 149); do
		record_line $T 2 $i "$(sample_record $i $C1)" || return 1
	done >live &&
	record_line $T 2 150 "{}" >>live &&
	{ db-writer -b 7 -w 200 --metrics-file live.prom <live.in >acks 2>err & } &&
	pid=$! &&
	{ sleep 120 >live.in & } &&
	holder=$! &&
	test_when_finished "kill $holder 2>/dev/null; kill $pid 2>/dev/null" &&
	cat live >live.in &&
	test_wait_for 30 test_line_count = 51 acks &&
	test_wait_for 10 metric_is stored_messages 50 live.prom &&
	metric_is consumed_messages 51 live.prom &&
	metric_is dead_letters 1 live.prom &&
	running $pid &&
	kill $holder &&
	test_wait_for 20 stopped $pid &&
	wait $pid &&
	metric_is consumed_messages 51 live.prom &&
	metric_is stored_messages 50 live.prom
'

test_done
