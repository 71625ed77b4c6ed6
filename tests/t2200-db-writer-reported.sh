#!/bin/sh
test_description='db-writer -r: outcome lines into reported and read_errors'
. ./test-lib.sh
test_use pg

pg_ready

C1=00000000-0000-0000-0000-0000000000a1
C2=00000000-0000-0000-0000-0000000000a2
REPORT='{"reports":[{"type":"rule","component":"a.b.r1.report","key":"K1"},{"type":"rule","component":"a.b.r2.report","key":"K2"},{"type":"rule","component":"a.b.r3.report","key":"K3"}]}'

test_expect_success 'setup: two clusters in new_reports' '
	sqlin <<-EOF
	INSERT INTO new_reports VALUES
	    (1, 11, '\''$C1'\'', '\''$REPORT'\'', '\''2026-11-30 10:00:00.5'\'', 7),
	    (2, 22, '\''$C2'\'', '\''{"reports":[]}'\'', '\''2026-11-30 11:00:00'\'', 8);
	EOF
'

outcome() {
	printf '{"target":"%s","org_id":%s,"account_number":%s,"cluster":"%s","updated_at":"%s","notified_at":"%s","state":"%s"%s}\n' "$@"
}

test_expect_success 'sent, same and error rows with every column of Contract C' '
	{
		outcome notifications-backend 1 11 $C1 "2026-11-30 10:00:00.5" "2026-12-01 08:00:00.000001" sent "" &&
		outcome service-log 1 11 $C1 "2026-11-30 10:00:00.5" "2026-12-01 08:00:00.000002" error ",\"error\":\"renderer: HTTP 500\"" &&
		outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 08:00:00.000003" same ""
	} >in &&
	db-writer -r <in &&
	sql "SELECT org_id, account_number, cluster, notification_type, state, report, updated_at, notified_at, error_log, event_type_id FROM reported ORDER BY notified_at" >actual &&
	cat >expect <<-EOF &&
	1|11|$C1|1|1|$REPORT|2026-11-30 10:00:00.5|2026-12-01 08:00:00.000001||1
	1|11|$C1|1|4|$REPORT|2026-11-30 10:00:00.5|2026-12-01 08:00:00.000002|renderer: HTTP 500|2
	2|22|$C2|1|2|{"reports":[]}|2026-11-30 11:00:00|2026-12-01 08:00:00.000003||1
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT count(*) FROM reported WHERE error_log IS NULL")" = 0
'

test_expect_success 'the same outcome line twice adds nothing' '
	db-writer -r <in &&
	test "$(sql "SELECT count(*) FROM reported")" = 3
'

test_expect_success 'a batch with a recorded outcome and a line twice records the rest, refusing nothing' '
	{
		cat in &&
		outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 08:00:30" same "" &&
		outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 08:00:30" same ""
	} >in2 &&
	db-writer -r -v <in2 2>err &&
	test_grep "holds one recorded already" err &&
	test_grep "4 outcomes added no row" err &&
	! grep "refused" err &&
	test "$(sql "SELECT count(*) FROM reported")" = 4
'

test_expect_success 'a batch goes in in the order of the primary key, not of its lines' '
	sqlin <<-EOF &&
	INSERT INTO new_reports VALUES
	    (9, 99, '\''00000000-0000-0000-0000-0000000000b1'\'', '\''{"reports":[]}'\'', '\''2026-11-30 12:00:00'\'', 9),
	    (8, 88, '\''00000000-0000-0000-0000-0000000000b2'\'', '\''{"reports":[]}'\'', '\''2026-11-30 12:00:00'\'', 10),
	    (7, 77, '\''00000000-0000-0000-0000-0000000000b3'\'', '\''{"reports":[]}'\'', '\''2026-11-30 12:00:00'\'', 11);
	EOF
	for c in 9:b1 8:b2 7:b3; do
		outcome notifications-backend ${c%:*} ${c%:*}${c%:*} 00000000-0000-0000-0000-0000000000${c#*:} "2026-11-30 12:00:00" "2026-12-01 09:00:00" same "" || return 1
	done >in &&
	db-writer -r <in &&
	sql "SELECT org_id FROM reported WHERE notified_at = '\''2026-12-01 09:00:00'\'' ORDER BY ctid" >actual &&
	printf "7\n8\n9\n" >expect &&
	test_cmp expect actual &&
	sql "DELETE FROM reported WHERE org_id IN (7, 8, 9)" &&
	sql "DELETE FROM new_reports WHERE org_id IN (7, 8, 9)"
'

test_expect_success 'partial success stores the report without the failed items' '
	outcome service-log 1 11 $C1 "2026-11-30 10:00:00.5" "2026-12-01 08:01:00" sent ",\"drop_items\":[0,2]" >in &&
	db-writer -r <in &&
	sqlin >actual <<-\EOF &&
	SELECT report::jsonb = '\''{"reports":[{"type":"rule","component":"a.b.r2.report","key":"K2"}]}'\''::jsonb
	  FROM reported WHERE notified_at = '\''2026-12-01 08:01:00'\'';
	EOF
	echo t >expect &&
	test_cmp expect actual
'

test_expect_success 'read_error outcomes go to read_errors once' '
	printf "{\"target\":\"service-log\",\"org_id\":1,\"account_number\":11,\"cluster\":\"$C1\",\"updated_at\":\"2026-11-30 10:00:00.5\",\"state\":\"read_error\",\"error\":\"%s\"}\n" "$(printf "%1200s" | tr " " x)" >in &&
	db-writer -r <in &&
	db-writer -r <in &&
	test "$(sql "SELECT count(*), max(length(error_text)) FROM read_errors")" = "1|1000"
'

test_expect_success 'an outcome whose report is gone adds no row' '
	outcome notifications-backend 9 9 $C1 "2020-01-01 00:00:00" "2026-12-01 08:02:00" sent "" >in &&
	db-writer -r <in 2>err &&
	test_grep "added no row" err &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 9")" = 0
'

test_expect_success 'invalid lines are reported, counted, and the rest recorded' '
	{
		echo "not json" &&
		echo "{\"state\":\"invalid\",\"line\":3,\"error\":\"bad\"}" &&
		outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 08:03:00" same ""
	} >in &&
	test_expect_code 65 db-writer -r <in 2>err &&
	test_grep "not a JSON object" err &&
	test "$(sql "SELECT count(*) FROM reported WHERE notified_at = '"'2026-12-01 08:03:00'"'")" = 1
'

test_expect_success 'a line the database refuses holds back no other' '
	sqlin <<-\EOF &&
	CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  IF NEW.notified_at = '\''2026-12-01 09:00:00.000002'\'' THEN RAISE EXCEPTION '\''refused'\''; END IF;
	  RETURN NEW;
	END $$;
	CREATE TRIGGER refuse BEFORE INSERT ON reported FOR EACH ROW EXECUTE FUNCTION refuse();
	EOF
	test_when_finished "sql \"DROP TRIGGER refuse ON reported\"" &&
	for n in 1 2 3; do
		outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 09:00:00.00000$n" same "" || return 1
	done >in &&
	db-writer -r <in 2>err &&
	test_grep "one by one" err &&
	test_grep "refused an outcome" err &&
	test "$(sql "SELECT count(*) FROM reported WHERE notified_at >= '\''2026-12-01 09:00:00'\''")" = 2
'

# Readiness (-n): once connected and the spool of earlier runs recorded.
spooled() { cat "$CCX_SPOOL_DIR"/*/outcomes-* 2>/dev/null | wc -l | tr -d ' '; }
NODB="host=/nonexistent dbname=x"

test_expect_success 'setup: an outcome the database refused, in the spool' '
	sqlin <<-EOF &&
	CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN RAISE EXCEPTION '\''reported is closed'\''; END \$\$;
	CREATE TRIGGER refuse_all BEFORE INSERT ON reported FOR EACH ROW EXECUTE FUNCTION refuse_all();
	INSERT INTO notification_outbox (event_type_id, org_id, cluster, updated_at, notified_at)
	    VALUES (1, 2, '\''$C2'\'', '\''2026-11-30 11:00:00'\'', '\''2026-12-01 10:00:00'\'');
	EOF
	outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 10:00:00" sent "" >in &&
	test_expect_code 75 db-writer -r -R 0 <in 2>err &&
	test "$(spooled)" = 1
'

test_expect_success '-n: not ready while the spool cannot be recorded; 75 at once' '
	test_expect_code 75 db-writer -r -n 3 </dev/null 3>ready 2>err &&
	test ! -s ready &&
	test_grep "not ready" err &&
	test "$(spooled)" = 1
'

test_expect_success '-n: ready once the spool of earlier runs is recorded' '
	sql "DROP TRIGGER refuse_all ON reported" &&
	rm -f fifo && mkfifo fifo &&
	{ db-writer -r -n 3 <fifo 3>ready 2>err & } &&
	pid=$! &&
	exec 7>fifo &&
	test_wait_for 60 test -s ready &&
	test "$(sql "SELECT count(*) FROM reported WHERE notified_at = '\''2026-12-01 10:00:00'\''")" = 1 &&
	test "$(sql "SELECT count(*) FROM notification_outbox")" = 0 &&
	exec 7>&- &&
	wait $pid &&
	test "$(spooled)" = 0
'

test_expect_success 'no database at start: not ready, 75 at once; without -n the input is spooled' '
	outcome notifications-backend 2 22 $C2 "2026-11-30 11:00:00" "2026-12-01 10:01:00" sent "" >in &&
	test_expect_code 75 db-writer -r -R 0 -d "$NODB" -n 3 <in 3>ready 2>err &&
	test ! -s ready &&
	test_grep "not ready: no database" err &&
	test "$(spooled)" = 0 &&
	test_expect_code 75 db-writer -r -R 0 -d "$NODB" <in 2>err &&
	test "$(spooled)" = 1 &&
	rm -f "$CCX_SPOOL_DIR"/*/outcomes-*
'

test_done
