#!/bin/sh
test_description='db-writer maintenance: cleanup, print-for-cleanup, dead letters'
. ./test-lib.sh
test_use pg records

pg_ready

C=00000000-0000-0000-0000-00000000c1e1

test_expect_success 'setup: old and new rows in every table' '
	sqlin <<-EOF
	INSERT INTO new_reports VALUES
	    (1, 1, '\''$C'\'', '\''{}'\'', '\''1990-01-01 00:00:00'\'', 1),
	    (1, 1, '\''$C'\'', '\''{}'\'', '\''1990-01-02 00:00:00'\'', 2),
	    (2, 2, '\''$C'\'', '\''{}'\'', '\''2990-01-01 00:00:00'\'', 3);
	INSERT INTO read_errors (org_id, cluster, updated_at, error_text, created_at) VALUES
	    (1, '\''$C'\'', '\''1990-01-01 00:00:00'\'', '\''bad'\'', '\''2990-01-01'\''),
	    (2, '\''$C'\'', '\''2990-01-01 00:00:00'\'', '\''bad'\'', '\''1990-01-01'\'');
	INSERT INTO reported VALUES
	    (1, 1, '\''$C'\'', 1, 2, '\''{}'\'', '\''1990-01-01 00:00:00'\'', '\''2990-01-01 00:00:00'\'', '\'''\'', 1),
	    (2, 2, '\''$C'\'', 1, 2, '\''{}'\'', '\''2990-01-01 00:00:00'\'', '\''1990-01-01 00:00:00'\'', '\'''\'', 1);
	EOF
'

test_expect_success 'print-for-cleanup lists exactly the rows that would go' '
	db-writer print-for-cleanup >actual &&
	cat >expect <<-EOF &&
	{"table":"new_reports","org_id":1,"account_number":1,"cluster":"$C","updated_at":"1990-01-01T00:00:00Z","kafka_offset":1,"age_days":$(( ( $(date +%s) - 631152000 + 86399 ) / 86400 ))}
	{"table":"new_reports","org_id":1,"account_number":1,"cluster":"$C","updated_at":"1990-01-02T00:00:00Z","kafka_offset":2,"age_days":$(( ( $(date +%s) - 631238400 + 86399 ) / 86400 ))}
	{"table":"reported","org_id":1,"account_number":1,"cluster":"$C","updated_at":"1990-01-01T00:00:00Z","kafka_offset":0,"age_days":$(( ( $(date +%s) - 631152000 + 86399 ) / 86400 ))}
	{"table":"read_errors","org_id":1,"account_number":0,"cluster":"$C","updated_at":"1990-01-01T00:00:00Z","kafka_offset":0,"age_days":$(( ( $(date +%s) - 631152000 + 86399 ) / 86400 ))}
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 3
'

test_expect_success 'an invalid max age is refused (78) before anything is deleted' '
	test_expect_code 78 db-writer --max-age "seven days" cleanup 2>err &&
	test_grep -- "--max-age \"seven days\": not an interval" err &&
	test_expect_code 64 db-writer cleanup no_such_table &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 3
'

test_expect_success 'cleanup deletes exactly the old rows, in batches, cascading to read_errors' '
	db-writer --cleanup-batch 1 cleanup new_reports 2>err &&
	test_grep "new_reports: 2 rows older than 7 days deleted" err &&
	test "$(sql "SELECT kafka_offset FROM new_reports")" = 3 &&
	test "$(sql "SELECT org_id FROM read_errors")" = 2 &&
	test "$(sql "SELECT count(*) FROM reported")" = 2
'

test_expect_success 'reported goes by updated_at, not notified_at' '
	db-writer cleanup &&
	test "$(sql "SELECT org_id FROM reported")" = 2
'

test_expect_success 'a bare number is seconds' '
	sql "INSERT INTO new_reports VALUES (3, 3, '"'$C'"', '"'{}'"', now() AT TIME ZONE '"'UTC'"' - interval '"'1 minute'"', 4)" &&
	db-writer --max-age 3600 cleanup new_reports &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 3")" = 1 &&
	db-writer --max-age 30 cleanup new_reports &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 3")" = 0
'

test_expect_success 'dead-letters lists what was rejected, with the raw value' '
	record_line ccx.ocp.results 0 100 "not json" >in &&
	db-writer <in >/dev/null &&
	db-writer dead-letters >actual &&
	test_grep "\"offset\":100,\"value\":\"not json\",\"id\":[0-9]*,\"reason_code\":\"syntax\"" actual
'

test_expect_success 'resubmission: what passes now is stored and its dead letter goes' '
	good=$(sample_record 9 $C) &&
	sqlin <<-EOF &&
	INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, raw, reason_code, reason, received_at)
	VALUES ('\''ccx.ocp.results'\'', 0, 101, convert_to('\''$good'\'', '\''UTF8'\''), '\''old_rule'\'', '\''rejected by an older version'\'', now());
	EOF
	db-writer --resubmit dead-letters >again &&
	test_line_count = 2 again &&
	db-writer <again >acks &&
	test_grep "\"offset\":101,\"status\":\"stored\"" acks &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 9")" = 1 &&
	test "$(sql "SELECT kafka_offset, reason_code FROM dead_letters ORDER BY 1")" = "100|syntax"
'

test_expect_success 'cleanup prints the rows deleted of each table' '
	sql "INSERT INTO new_reports VALUES (9, 9, '"'"'00000000-0000-0000-0000-0000000000a1'"'"', '"'"'{}'"'"', '"'"'1990-01-01'"'"', 98)" &&
	db-writer cleanup new_reports reported >actual &&
	printf "{\"table\":\"reported\",\"rows\":0}\n{\"table\":\"new_reports\",\"rows\":1}\n" >expect &&
	sort expect >e && sort actual >a && test_cmp e a
'

test_expect_success 'migrations lists what latest means; empty, truncate and drop act on request only' '
	db-writer migrations >list &&
	test "$(tail -1 list | cut -d" " -f1)" = "$(db-writer version)" &&
	test "$(head -1 list | cut -d" " -f1)" = 1 &&
	sql "INSERT INTO new_reports VALUES (5, 5, '"'"'00000000-0000-0000-0000-0000000000a2'"'"', '"'"'{}'"'"', now(), 99)" &&
	db-writer empty >out &&
	test_grep "^{\"table\":\"new_reports\",\"rows\":[1-9]" out &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 0 &&
	test "$(sql "SELECT count(*) FROM states")" = 0 &&
	test "$(sql "SELECT count(*) FROM event_targets")" -gt 0 &&
	db-writer migrate "$(db-writer version)" 2>/dev/null &&
	test "$(sql "SELECT count(*) FROM states")" -gt 0 &&
	db-writer truncate &&
	db-writer drop >out &&
	test_grep "^{\"table\":\"migration_info\",\"rows\":null}$" out &&
	test "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = '"'"'public'"'"'")" = 0 &&
	db-writer migrate latest 2>/dev/null
'

test_done
