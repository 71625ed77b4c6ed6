#!/bin/sh
test_description='every new issue notified once: refused outcomes, overlapping runs, claims'
. ./test-lib.sh
test_use pg kafka

pg_ready
mock_start -t platform.notifications.ingress:1 || skip_all "the mock Kafka cluster cannot start"

TOPIC=platform.notifications.ingress
CONTENT=file://$TEST_DIRECTORY/demo/content.json
REPORT='{"reports":[{"rule_id":"demo_etcd_backup|ETCD_NO_BACKUP","component":"ccx_rules_ocp.external.rules.demo_etcd_backup.report","type":"rule","key":"ETCD_NO_BACKUP","details":{}}]}'

# clusters FIRST COUNT: one important report each, orgs FIRST.. (org = n).
clusters() {
	psql -qXAt -v ON_ERROR_STOP=1 -v a="$1" -v n="$2" -v rep="$REPORT" <<-\SQL
	INSERT INTO new_reports
	SELECT g, g + 1000, lpad(to_hex(g), 8, '0') || '-0000-4000-8000-000000000000',
	       :'rep', now() AT TIME ZONE 'UTC' - interval '1 s', g
	  FROM generate_series(:a, :a + :n - 1) g;
	SQL
}

# backend [DIFFER ARGS]: one run of target 1; the status of the pipeline is
# the first non-zero status of its stages, written to status.
backend() {
	{ differ -T notifications-backend -c "$CONTENT" "$@" 2>>differ.err; echo "differ $?" >>st; } |
		{ kafka-emitter -b "$BROKERS" -t $TOPIC 2>>emitter.err; echo "emitter $?" >>st; } |
		{ db-writer -r -R 2 ${DBW_BATCH:+-b $DBW_BATCH} 2>>dbw.err; echo "dbw $?" >>st; }
}
status_of() { sed -n "s/^$1 //p" st | tail -1; }
messages() { timeout 30 kcat -C -b "$BROKERS" -t $TOPIC -o beginning -e -q | wc -l | tr -d ' '; }
sent_rows() { sql "SELECT count(*) FROM reported WHERE event_type_id = 1 AND state = 1"; }
claims() { sql "SELECT count(*) FROM notification_outbox"; }
spooled() { cat "$CCX_SPOOL_DIR"/*/outcomes-* 2>/dev/null | wc -l | tr -d ' '; }
reset() {
	sql "TRUNCATE new_reports, reported, notification_outbox CASCADE" >/dev/null &&
	rm -f st differ.err emitter.err dbw.err
}
# fresh FIRST COUNT: reset, then COUNT clusters from FIRST with a new issue;
# before: the messages on the topic so far.
fresh() {
	reset &&
	clusters "$1" "$2" &&
	before=$(messages)
}
# sent_once N: N messages more than before, and N sent rows.
sent_once() {
	test "$(messages)" = $((before + $1)) &&
	test "$(sent_rows)" = "$1"
}

test_expect_success 'setup: 200 clusters with a new issue' '
	clusters 1 200 &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 200
'

test_expect_success 'every reported insert refused (a trigger): the run fails, outcomes are spooled, claims stay' '
	sqlin <<-\EOF &&
	CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN RAISE EXCEPTION '\''reported is closed'\''; END $$;
	CREATE TRIGGER refuse_all BEFORE INSERT ON reported FOR EACH ROW EXECUTE FUNCTION refuse_all();
	EOF
	backend &&
	test "$(messages)" = 200 &&
	test "$(status_of dbw)" = 75 &&
	test_grep "an outage, not bad data" dbw.err &&
	test_grep "keeps outcomes" dbw.err &&
	test "$(sent_rows)" = 0 &&
	test "$(claims)" = 200 &&
	test "$(spooled)" = 200
'

test_expect_success 'a run while the fault lasts sends nothing again: the claims hold the clusters' '
	rm -f st &&
	backend &&
	test "$(messages)" = 200 &&
	test "$(status_of differ)" = 0 &&
	test "$(claims)" = 200 &&
	test "$(spooled)" = 200
'

test_expect_success 'fault repaired: the same commands complete the record and send nothing twice' '
	sql "DROP TRIGGER refuse_all ON reported" &&
	rm -f st &&
	backend &&
	test "$(status_of dbw)" = 0 &&
	test_grep "outcomes recorded from an earlier run" dbw.err &&
	test "$(sent_rows)" = 200 &&
	test "$(claims)" = 0 &&
	test "$(spooled)" = 0 &&
	test "$(messages)" = 200 &&
	rm -f st &&
	backend &&
	test "$(messages)" = 200 &&
	test "$(sent_rows)" = 200 &&
	# (the replay may beat the candidate query of the first run, which then
	# records "same" for the clusters as well: count clusters, not rows)
	test "$(sql "SELECT count(DISTINCT cluster) FROM reported WHERE state = 2")" = 200
'

test_expect_success 'refused while a batch is in flight and the next one read (-b 7): each outcome spooled once, recorded once' '
	fresh 3001 200 &&
	sqlin <<-\EOF &&
	CREATE TRIGGER refuse_all BEFORE INSERT ON reported FOR EACH ROW EXECUTE FUNCTION refuse_all();
	EOF
	DBW_BATCH=7 backend &&
	test "$(status_of dbw)" = 75 &&
	test "$(spooled)" = 200 &&
	test "$(cat "$CCX_SPOOL_DIR"/*/outcomes-* | sort -u | wc -l)" = 200 &&
	sql "DROP TRIGGER refuse_all ON reported" &&
	rm -f st &&
	DBW_BATCH=7 backend &&
	test "$(status_of dbw)" = 0 &&
	test "$(sent_rows)" = 200 &&
	test "$(spooled)" = 0 &&
	test "$(messages)" = $((before + 200))
'

test_expect_success 'a read-only database stops the run before anything is sent' '
	fresh 1001 50 &&
	sql "ALTER DATABASE \"$PGDATABASE\" SET default_transaction_read_only = on" &&
	backend &&
	test "$(status_of differ)" = 75 &&
	test_grep "read-only" differ.err &&
	test_grep "nothing of it was sent" differ.err &&
	test "$(messages)" = "$before" &&
	PGOPTIONS="-c default_transaction_read_only=off" sql "ALTER DATABASE \"$PGDATABASE\" RESET default_transaction_read_only" &&
	rm -f st &&
	backend &&
	sent_once 50
'

test_expect_success 'a revoked privilege on reported: spooled, then recorded once granted again' '
	fresh 2001 30 &&
	sql "DO \$\$ BEGIN CREATE ROLE ccx_notifier LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" &&
	sql "GRANT ALL ON ALL TABLES IN SCHEMA public TO ccx_notifier" &&
	sql "REVOKE INSERT ON reported FROM ccx_notifier" &&
	PGUSER=ccx_notifier backend &&
	test "$(status_of dbw)" = 75 &&
	test_grep "42501" dbw.err &&
	test "$(messages)" = $((before + 30)) &&
	test "$(sent_rows)" = 0 &&
	sql "GRANT INSERT ON reported TO ccx_notifier" &&
	rm -f st &&
	PGUSER=ccx_notifier backend &&
	test "$(status_of dbw)" = 0 &&
	sent_once 30
'

test_expect_success 'a spool file is replayed only into the database that holds its claims' '
	reset &&
	mkdir -p other &&
	key=$(ls "$CCX_SPOOL_DIR" | head -1) &&
	printf "%s\n" "{\"target\":\"notifications-backend\",\"org_id\":7,\"account_number\":7,\"cluster\":\"00000007-0000-4000-8000-000000000000\",\"updated_at\":\"2026-11-30 10:00:00\",\"notified_at\":\"2026-12-01 08:00:00.000001\",\"state\":\"sent\"}" \
		>"$CCX_SPOOL_DIR/$key/outcomes-1-1-000000001.jsonl" &&
	sql "INSERT INTO new_reports VALUES (7, 7, '"'"'00000007-0000-4000-8000-000000000000'"'"', '"'"'{}'"'"', '"'"'2026-11-30 10:00:00'"'"', 1)" &&
	db-writer -r </dev/null 2>err &&
	test "$(sql "SELECT count(*) FROM reported")" = 0 &&
	test ! -e "$CCX_SPOOL_DIR/$key/outcomes-1-1-000000001.jsonl"
'

test_expect_success 'setup: 3000 clusters' '
	reset &&
	clusters 10001 3000
'

test_expect_success 'two runs of one target started together: one decides, the other exits 75 at once' '
	before=$(messages) &&
	{ backend & } &&
	{ sleep 0.05; mkdir b && cd b && backend; cd ..; } &&
	wait &&
	sent_once 3000 &&
	test "$(claims)" = 0 &&
	cat st b/st >all &&
	test "$(grep -c "^differ 75" all)" -le 1 &&
	if grep -q "^differ 75" all; then
		cat differ.err b/differ.err | grep "another run for target notifications-backend is in progress"
	fi
'

# hold_lock TARGET: a session that holds the run lock of TARGET until
# release_lock; the lock is (7242612, target), as differ(1) says.
hold_lock() {
	psql -qXAt -c "SELECT pg_advisory_lock(7242612, $1)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	echo $! >lock.pid
	test_wait_for 10 lock_held $1
}
lock_held() {
	test "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7242612 AND objid = $1 AND granted")" = 1
}
release_lock() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$(cat lock.pid)" 2>/dev/null
	return 0
}

test_expect_success 'the run lock held elsewhere: exit 75 at once, naming the holder; the other target is free' '
	fresh 20001 10 &&
	hold_lock 1 &&
	test_when_finished release_lock &&
	backend &&
	test "$(status_of differ)" = 75 &&
	test_grep "another run for target notifications-backend is in progress" differ.err &&
	test_grep "held by PostgreSQL backend [0-9]" differ.err &&
	test "$(messages)" = "$before" &&
	test "$(claims)" = 0 &&
	differ -T service-log -c "$CONTENT" --no-tag-filter --dry-run >sl.out &&
	differ -T service-log -c "$CONTENT" --no-tag-filter >sl.out &&
	test_line_count = 10 sl.out &&
	sql "DELETE FROM notification_outbox WHERE event_type_id = 2"
'

# hold_shard K N: another session holds shard K/N of target 1, as a
# differ --shard K/N run does (the target shared, the shard alone).
hold_shard() {
	psql -qXAt -c "SELECT pg_advisory_lock_shared(7242612, 1), pg_advisory_lock($(((0x43 << 56) | (1 << 48) | ($2 << 24) | $1)))" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	echo $! >lock.pid
	test_wait_for 10 shard_held
}
shard_held() {
	test "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7242612 AND objid = 1 AND mode = 'ShareLock' AND granted")" = 1
}

test_expect_success 'shards of one target run side by side; the same shard, or a whole run, waits its turn' '
	fresh 20501 40 &&
	hold_shard 0 2 &&
	test_when_finished release_lock &&
	backend --shard 1/2 &&
	test "$(status_of differ)" = 0 &&
	n1=$(sent_rows) &&
	test "$n1" -gt 0 && test "$n1" -lt 40 &&
	rm -f st differ.err &&
	backend --shard 0/2 &&
	test "$(status_of differ)" = 75 &&
	test_grep "another run for target notifications-backend is in progress" differ.err &&
	rm -f st differ.err &&
	backend &&
	test "$(status_of differ)" = 75 &&
	test "$(sent_rows)" = "$n1" &&
	release_lock &&
	rm -f st &&
	backend --shard 0/2 &&
	test "$(status_of differ)" = 0 &&
	sent_once 40
'

test_expect_success 'with --wait the run waits for the lock, then goes on' '
	fresh 21001 10 &&
	hold_lock 1 &&
	{ backend --wait & } &&
	test_wait_for 10 grep -q "waiting for it to finish" differ.err &&
	test "$(messages)" = "$before" &&
	release_lock &&
	wait &&
	test "$(status_of differ)" = 0 &&
	test_grep "the other run finished" differ.err &&
	sent_once 10
'

test_expect_success 'a run that starts while the last run is still recording skips its clusters' '
	fresh 30001 500 &&
	{ differ -T notifications-backend -c "$CONTENT" 2>>differ.err |
		kafka-emitter -b "$BROKERS" -t $TOPIC 2>>emitter.err >slow.out; } &&
	test "$(claims)" = 500 &&
	differ -T notifications-backend -c "$CONTENT" --metrics-file m.prom 2>second.err |
		kafka-emitter -b "$BROKERS" -t $TOPIC | db-writer -r &&
	test "$(messages)" = $((before + 500)) &&
	grep "clusters_in_flight 500" m.prom &&
	db-writer -r <slow.out &&
	test "$(claims)" = 0 &&
	test "$(sent_rows)" = 500 &&
	backend &&
	test "$(messages)" = $((before + 500))
'

test_expect_success 'an expired claim is decided again, with a warning' '
	reset &&
	clusters 40001 2 &&
	sql "INSERT INTO notification_outbox SELECT 1, org_id, cluster, updated_at, now() AT TIME ZONE '"'"'UTC'"'"' - interval '"'"'2 hours'"'"', now() AT TIME ZONE '"'"'UTC'"'"' - interval '"'"'2 hours'"'"' FROM new_reports WHERE org_id = 40001" &&
	sql "INSERT INTO notification_outbox SELECT 1, org_id, cluster, updated_at, now() AT TIME ZONE '"'"'UTC'"'"' - interval '"'"'5 minutes'"'"', now() AT TIME ZONE '"'"'UTC'"'"' - interval '"'"'5 minutes'"'"' FROM new_reports WHERE org_id = 40002" &&
	before=$(messages) &&
	backend &&
	test "$(messages)" = $((before + 1)) &&
	test_grep "claim expired; deciding again" differ.err &&
	test "$(sql "SELECT org_id FROM reported WHERE state = 1")" = 40001 &&
	test "$(claims)" = 1 &&
	rm -f st &&
	backend --claim-expiry "1 minute" &&
	test "$(messages)" = $((before + 2)) &&
	test "$(claims)" = 0
'

test_expect_success 'a claim expiry or cooldown that is not positive is refused at start' '
	test_expect_code 78 differ -T notifications-backend -c "$CONTENT" --claim-expiry "-1 hour" 2>err &&
	test_grep -- "--claim-expiry \"-1 hour\": the interval is not positive" err &&
	test_expect_code 78 differ -T notifications-backend -c "$CONTENT" --cooldown "-1 day" 2>err &&
	test_grep -- "--cooldown \"-1 day\": the interval is negative (-1 days)" err &&
	test_expect_code 78 differ -T notifications-backend -c "$CONTENT" --cooldown "1 week ago" 2>err &&
	test_grep "negative" err
'

test_expect_success '--dry-run takes no lock and claims nothing' '
	reset &&
	clusters 50001 3 &&
	differ -T notifications-backend -c "$CONTENT" --dry-run >out &&
	test_line_count = 3 out &&
	test "$(claims)" = 0
'

test_done
