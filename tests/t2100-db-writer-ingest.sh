#!/bin/sh
test_description='db-writer: record lines on stdin to new_reports, dead_letters and acks'
. ./test-lib.sh
test_use pg records

pg_ready

C1=00000000-0000-0000-0000-000000000001
# How long a reader may take to read what was written to it (valgrind is slow).
SETTLE=0.5
[ -n "${CCX_VALGRIND:-}" ] && SETTLE=5
C2=AAAAAAAA-bbbb-cccc-dddd-000000000002
T=ccx.ocp.results

test_expect_success 'a fresh database refuses ingest until migrated' '
	pg_fresh_db unmigrated &&
	record_line $T 0 0 "$(sample_record 1 $C1)" >in &&
	test_expect_code 78 db-writer -d "dbname=unmigrated" <in 2>err &&
	test_grep "db-writer migrate" err
'

test_expect_success 'good and bad records: rows, dead letters, one ack each' '
	{
		records $T 0 0 "$(sample_record 1 $C1)" "not json at all" \
			"$(sample_record 2 $C2)" - &&
		record_line $T 1 7 "$(sample_record 1 $C1 2099-01-01T00:00:00Z)"
	} >in &&
	db-writer <in >acks &&
	acks_are acks $T 0/0/stored 0/1/dead_letter 0/2/stored 0/3/dead_letter 1/7/dead_letter &&
	sql "SELECT org_id, account_number, cluster, kafka_offset FROM new_reports ORDER BY org_id" >actual &&
	cat >expect <<-EOF &&
	1|1001|$C1|0
	2|1002|$C2|2
	EOF
	test_cmp expect actual &&
	sql "SELECT kafka_partition, kafka_offset, reason_code, convert_from(raw, '"'UTF8'"') FROM dead_letters ORDER BY 1, 2" >actual &&
	cat >expect <<-EOF &&
	0|1|syntax|not json at all
	0|3|empty|
	1|7|future|$(sample_record 1 $C1 2099-01-01T00:00:00Z)
	EOF
	test_cmp expect actual
'

test_expect_success 'the stored report is shrunk and keeps big numbers verbatim' '
	sql "SELECT report FROM new_reports WHERE org_id = 1" >actual &&
	echo "{\"reports\":[{\"rule_id\":\"sample_rule|SAMPLE_KEY\",\"component\":\"ccx_rules_ocp.external.rules.sample_rule.report\",\"type\":\"rule\",\"key\":\"SAMPLE_KEY\",\"details\":{\"type\":\"rule\",\"size\":1234567890123456789012345}}]}" >expect &&
	test_cmp expect actual
'

test_expect_success 'a redelivered batch adds no row and acks again' '
	db-writer <in >acks2 &&
	sed "s/\"stored\"/\"duplicate\"/" acks >expect &&
	test_cmp expect acks2 &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 2 &&
	test "$(sql "SELECT count(*) FROM dead_letters")" = 3
'

test_expect_success 'one cluster many times in a batch: strictly increasing updated_at' '
	for i in 10 11 12 13 14 15; do
		record_line $T 0 $i "$(sample_record 3 $C1)" || return 1
	done >in &&
	db-writer -b 3 <in >acks &&
	test_line_count = 6 acks &&
	test "$(sql "SELECT count(DISTINCT updated_at) FROM new_reports WHERE org_id = 3")" = 6 &&
	sql "SELECT kafka_offset FROM new_reports WHERE org_id = 3 ORDER BY updated_at" >actual &&
	printf "%s\n" 10 11 12 13 14 15 >expect &&
	test_cmp expect actual
'

test_expect_success 'an over-long line is dead-lettered truncated and acknowledged' '
	record_line $T 2 5 "$(big_record 4 $C1 3000)" >in &&
	db-writer -l 1024 <in >acks 2>err &&
	acks_are acks $T 2/5/dead_letter &&
	test "$(sql "SELECT reason_code, length(raw) FROM dead_letters WHERE kafka_partition = 2")" = "too_large|1024"
'

test_expect_success 'a record over the size limit is rejected as too_large' '
	record_line $T 2 6 "$(big_record 4 $C1 3000)" >in &&
	db-writer -m 1024 <in >acks &&
	test "$(sql "SELECT reason_code FROM dead_letters WHERE kafka_partition = 2 AND kafka_offset = 6")" = too_large
'

test_expect_success 'a line that is not a record line is kept but cannot be acked' '
	echo "garbage" >in &&
	db-writer <in >acks 2>err &&
	test_line_count = 0 acks &&
	test_grep "not a record line" err &&
	test "$(sql "SELECT count(*) FROM dead_letters WHERE kafka_partition = -1 AND convert_from(raw, '"'UTF8'"') = '"'garbage'"'")" = 1
'

test_expect_success 'invalid UTF-8 travels as value_b64 and is dead-lettered byte for byte' '
	printf "{\"topic\":\"$T\",\"partition\":3,\"offset\":1,\"value_b64\":\"/4E=\"}\n" >in &&
	db-writer <in >acks &&
	test "$(sql "SELECT reason_code, encode(raw, '"'hex'"') FROM dead_letters WHERE kafka_partition = 3")" = "encoding|ff81"
'

test_expect_success 'acks come only after the commit: none while the batch is open' '
	mkfifo fifo &&
	{ db-writer -w 60000 -b 1000 <fifo >acks & } &&
	pid=$! &&
	exec 7>fifo &&
	record_line $T 4 0 "$(sample_record 5 $C1)" >&7 &&
	sleep $SETTLE &&
	test_line_count = 0 acks &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 5")" = 0 &&
	exec 7>&- &&
	wait $pid &&
	test_line_count = 1 acks &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 5")" = 1
'

test_expect_success 'SIGTERM commits the open batch, acks it and exits 0' '
	rm -f fifo && mkfifo fifo &&
	{ db-writer -w 60000 -n 3 <fifo >acks 3>ready & } &&
	pid=$! &&
	exec 7>fifo &&
	test_wait_for 60 test -s ready &&
	record_line $T 4 1 "$(sample_record 6 $C1)" >&7 &&
	record_line $T 4 2 "$(sample_record 6 $C2)" >&7 &&
	sleep $SETTLE &&
	kill -TERM $pid &&
	wait $pid &&
	exec 7>&- &&
	test_line_count = 2 acks &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 6")" = 2
'

test_expect_success 'no database at start: not ready (-n closed without a newline), 75 at once' '
	test_expect_code 75 db-writer -d "host=/nonexistent dbname=x" -n 3 </dev/null 3>ready 2>err &&
	test ! -s ready &&
	test_grep "not ready: no database" err
'

test_expect_success 'metrics file in the Prometheus text format' '
	record_line $T 5 0 "$(sample_record 7 $C1)" >in &&
	record_line $T 5 1 "[]" >>in &&
	db-writer --metrics-file m.prom <in >acks &&
	test_grep "^ccx_notification_writer_consumed_messages 2$" m.prom &&
	test_grep "^ccx_notification_writer_stored_messages 1$" m.prom &&
	test_grep "^ccx_notification_writer_consuming_errors 1$" m.prom &&
	test_grep "^# TYPE ccx_notification_writer_dead_letters counter$" m.prom
'

test_expect_success 'a row the database refuses is dead-lettered alone (db:SQLSTATE), with its raw bytes' '
	sqlin <<-\EOF &&
	CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  IF NEW.org_id = 66 THEN RAISE EXCEPTION '\''org 66 is refused'\'' USING ERRCODE = '\''22023'\''; END IF;
	  RETURN NEW;
	END $$;
	CREATE TRIGGER refuse BEFORE INSERT ON new_reports FOR EACH ROW EXECUTE FUNCTION refuse();
	EOF
	test_when_finished "sql \"DROP TRIGGER refuse ON new_reports\"" &&
	{
		record_line $T 6 0 "$(sample_record 65 $C1)" &&
		record_line $T 6 1 "$(sample_record 66 $C1)" &&
		record_line $T 6 2 "$(sample_record 67 $C1)"
	} >in &&
	db-writer <in >acks 2>err &&
	test_grep "row by row" err &&
	test "$(sql "SELECT string_agg(org_id::text, '\'','\'' ORDER BY org_id) FROM new_reports WHERE org_id BETWEEN 65 AND 67")" = "65,67" &&
	sql "SELECT reason_code, convert_from(raw, '\''UTF8'\'') FROM dead_letters WHERE kafka_partition = 6" >actual &&
	printf "db:22023|%s\n" "$(sample_record 66 $C1)" >expect &&
	test_cmp expect actual &&
	test_grep -c dead_letter acks
'

test_expect_success 'bad options are usage errors' '
	test_expect_code 64 db-writer -b 0 </dev/null &&
	test_expect_code 64 db-writer -b x </dev/null &&
	test_expect_code 64 db-writer --no-such-option </dev/null &&
	test_expect_code 64 db-writer -n 57 </dev/null
'

# Golden vectors of ../shared, when present.
test_expect_success SHARED,PYTHON 'every shared vector gives the required outcome' '
	pg_fresh_db vectors &&
	db-writer -d dbname=vectors migrate >/dev/null 2>&1 &&
	python3 "$TEST_DIRECTORY"/vectors.py lines "$SHARED_TESTDATA" >in &&
	db-writer -d dbname=vectors <in >acks 2>/dev/null &&
	psql -qXAt -d vectors -c "COPY (SELECT kafka_offset, org_id, account_number, cluster, report FROM new_reports ORDER BY kafka_offset) TO STDOUT WITH (FORMAT csv)" >rows &&
	psql -qXAt -d vectors -c "COPY (SELECT kafka_offset FROM dead_letters ORDER BY kafka_offset) TO STDOUT WITH (FORMAT csv)" >dead &&
	python3 "$TEST_DIRECTORY"/vectors.py check "$SHARED_TESTDATA" rows dead acks
'

test_done
