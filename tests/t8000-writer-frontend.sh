#!/bin/sh
test_description='ccx-notification-writer: the upstream writer'"'"'s command line, configuration, database operations, logs and exit codes'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-pg.sh
. "$TEST_DIRECTORY"/fe-lib.sh

W=ccx-notification-writer

# The writer's usage as upstream prints it: its own flags and those both
# programs have.
usage() {
	{ cat; maint_flags; } <<-\EOF | LC_ALL=C sort | goflag_usage "$1"
	authors - show authors
	check-kafka - check connection to Kafka
	db-cleanup - perform database cleanup
	db-drop-tables - drop all tables from database
	db-init - perform database initialization
	db-init-migration - initialize migration
	migrate string set database version
	migration-info - prints migration info
	print-read-errors-for-cleanup - print records from read_errors table to be cleaned up
	read-errors-cleanup - perform clean up of read_errors table
	show-configuration - show configuration
	truncate-old-reports - truncate the reported table
	version - show version
	EOF
}

test_expect_success 'usage: Go flag format on stderr, exit 0 for -h; unknown flags exit 2' '
	usage_is $W 1007 &&
	flag_error "flag provided but not defined: -show-version" \
		$W -show-version &&
	flag_error "invalid boolean value \"maybe\" for -db-init: parse error" \
		$W -db-init=maybe
'

test_expect_success '-version and -authors: stdout, exit 0; version wins' '
	$W -authors -version >actual &&
	echo "CCX Notification Writer version 1.0" >expect &&
	test_cmp expect actual &&
	$W --authors >actual &&
	echo "Pavel Tisnovsky, Red Hat Inc." >expect &&
	test_cmp expect actual
'

pg_setup || { test_done; exit 0; }

# The database of this test through upstream's variables.
storage() {
	CCX_NOTIFICATION_WRITER__STORAGE__DB_DRIVER=postgres
	CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST=$PGHOST
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT=$PGPORT
	CCX_NOTIFICATION_WRITER__STORAGE__PG_USERNAME=$PGUSER
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PASSWORD=not-needed-here
	CCX_NOTIFICATION_WRITER__STORAGE__PG_DB_NAME=$PGDATABASE
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PARAMS=sslmode=disable
	export CCX_NOTIFICATION_WRITER__STORAGE__DB_DRIVER \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_USERNAME \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_PASSWORD \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_DB_NAME \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_PARAMS
}
storage


test_expect_success 'the init container: -db-init-migration, -db-init, -migrate latest; twice' '
	latest=$(db-writer migrations | tail -1 | cut -d" " -f1) &&
	for round in 1 2; do
		$W --db-init-migration >out 2>err &&
		$W --db-init >>out 2>>err &&
		$W --migrate latest >>out 2>>err || return 1
	done &&
	msg err "parsing configuration file" &&
	msg out "Making connection to data storage" &&
	test "$(db-writer version)" = "$latest" &&
	$W -migration-info >out &&
	msg out "Current DB version: $latest" &&
	msg out "Maximum available version: $latest" &&
	! grep not-needed-here out err
'

test_expect_success '-migrate: a bad or out-of-range version exits 7' '
	test_expect_code 7 $W -migrate abc >out &&
	msg out "Unable to parse migration version: abc" &&
	test_expect_code 7 $W -migrate 99 >out &&
	test_expect_code 7 $W -migrate -- >out 2>&1 || true
'

test_expect_success 'print and cleanup of old rows: upstream records, Rows deleted' '
	C=00000000-0000-4000-8000-0000000000c1 &&
	sql "INSERT INTO new_reports VALUES (11, 12, '"'"'$C'"'"', '"'"'{}'"'"', '"'"'1990-01-01 10:00:00'"'"', 5),
		(11, 12, '"'"'$C'"'"', '"'"'{}'"'"', now(), 6)" &&
	$W -print-new-reports-for-cleanup --max-age "8 days" >out &&
	msg out "PrintReportsForCleanup operation" &&
	grep "\"message\":\"Old report from \`new_reports\` table\"" out >rows &&
	test_line_count = 1 rows &&
	grep "\"Organization ID\":11,\"Account number\":12,\"Cluster name\":\"$C\",\"Updated at\":\"1990-01-01T10:00:00Z\",\"Age\":" rows &&
	$W -new-reports-cleanup -max-age "8 days" >out &&
	grep "\"Rows deleted\":1,.*\"message\":\"Cleanup \`new_reports\` finished\"" out &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 1 &&
	$W -old-reports-cleanup >out &&
	grep "\"Rows deleted\":0,.*\"message\":\"Cleanup \`reported\` finished\"" out &&
	$W -read-errors-cleanup >out &&
	msg out "Cleanup \`read_errors\` finished"
'

test_expect_success 'the console form with LOGGING__DEBUG, to stderr with USE_STDERR' '
	CCX_NOTIFICATION_WRITER__LOGGING__DEBUG=true CCX_NOTIFICATION_WRITER__LOGGING__USE_STDERR=true \
		$W -old-reports-cleanup >out 2>err &&
	echo "Clowder is disabled" >expect &&
	test_cmp expect out &&
	grep "INF Cleanup \`reported\` finished Rows deleted=0" err
'

test_expect_success 'log shipping and payload-tracker settings are accepted and said to be unused' '
	CCX_NOTIFICATION_WRITER__LOGGING__LOGGING_TO_CLOUD_WATCH_ENABLED=true \
	CCX_NOTIFICATION_WRITER__LOGGING__LOGGING_TO_SENTRY_ENABLED=1 \
	CCX_NOTIFICATION_WRITER__TRACKER__TOPIC=platform.payload-status \
		$W -old-reports-cleanup >out &&
	grep "\"level\":\"warn\".*not shipped to CloudWatch" out &&
	grep "\"level\":\"warn\".*not sent to Sentry" out &&
	grep "\"topic\":\"platform.payload-status\".*payload-tracker events are not sent" out &&
	$W -old-reports-cleanup >out &&
	! grep "CloudWatch\|Sentry\|payload-tracker" out
'

test_expect_success '-truncate-old-reports, -db-cleanup, -db-drop-tables' '
	C=00000000-0000-4000-8000-0000000000c2 &&
	sql "INSERT INTO new_reports VALUES (1, 1, '"'"'$C'"'"', '"'"'{}'"'"', now(), 7)" &&
	sql "INSERT INTO reported VALUES (1, 1, '"'"'$C'"'"', 1, 1, '"'"'{}'"'"', now(), now(), '"'"''"'"', 1)" &&
	$W -truncate-old-reports >out &&
	msg out "Truncated \`reported\` table successfully" &&
	test "$(sql "SELECT count(*) FROM reported")" = 0 &&
	$W -db-cleanup >out &&
	grep "\"Statement\":\"DELETE FROM new_reports;\"" out &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 0 &&
	test "$(sql "SELECT count(*) FROM states")" = 0 &&
	test "$(sql "SELECT count(*) FROM migration_info")" = 1 &&
	$W -db-init >out &&
	test "$(sql "SELECT count(*) FROM states")" -gt 0 &&
	$W -db-drop-tables >out &&
	grep "\"Statement\":\"DROP TABLE migration_info;\"" out &&
	test "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = '"'"'public'"'"'")" = 0 &&
	$W -db-init-migration >out && $W -db-init >out && $W -migrate latest >out &&
	test "$(db-writer version)" = "$(db-writer migrations | tail -1 | cut -d" " -f1)"
'

test_expect_success 'storage failures exit 5: another driver, an unreachable server' '
	CCX_NOTIFICATION_WRITER__STORAGE__DB_DRIVER=sqlite3 test_expect_code 5 $W -db-init >out &&
	msg out "Unsupported driver" &&
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT=1 CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST=127.0.0.1 \
		test_expect_code 5 $W -old-reports-cleanup >out &&
	msg out "Cleanup records from \`reported\` table failed" &&
	msg out "Do selected operation"
'

test_expect_success 'configuration errors exit 1: a named file missing, a value that does not convert' '
	CCX_NOTIFICATION_WRITER_CONFIG_FILE=/nonexistent/config.toml \
		test_expect_code 1 $W -old-reports-cleanup >out 2>err &&
	msg err "Load configuration" &&
	grep "Not Found in" err &&
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT=x test_expect_code 1 $W -old-reports-cleanup 2>err &&
	msg err "Load configuration"
'

test_expect_success 'a config.toml: known keys only, LOG_LEVEL drops what is below it, LogSQLQueries shown' '
	mkdir lv &&
	printf "[logging]\nlog_level = \"warn\"\n" >lv/config.toml &&
	(cd lv && test_expect_code 5 $W -old-reports-cleanup >../out) &&
	! grep "\"level\":\"info\"" out &&
	grep "\"error\":\"driver  is not supported\",.*\"message\":\"Unsupported driver\"" out &&
	printf "[logging]\nlog_level = \" Error\"\n" >lv/config.toml &&
	(cd lv && $W -show-configuration >../out) &&
	test_line_count = 1 out &&
	printf "[storage]\nlog_sql_queries = true\n" >lv/config.toml &&
	(cd lv && $W -show-configuration >../out) &&
	grep "\"LogSQLQueries\":true,.*\"message\":\"Storage configuration\"" out &&
	rm -r lv
'

test_expect_success 'print of old reported rows and read errors: their tables'"'"' records' '
	C=00000000-0000-4000-8000-0000000000c3 &&
	sql "INSERT INTO new_reports VALUES (21, 22, '"'"'$C'"'"', '"'"'{}'"'"', '"'"'1990-01-01 10:00:00'"'"', 8)" &&
	sql "INSERT INTO reported VALUES (21, 22, '"'"'$C'"'"', 1, 1, '"'"'{}'"'"', '"'"'1990-01-01 10:00:00'"'"', now(), '"'"''"'"', 1)" &&
	sql "INSERT INTO read_errors (org_id, cluster, updated_at, created_at, error_text) VALUES (21, '"'"'$C'"'"', '"'"'1990-01-01 10:00:00'"'"', now(), '"'"'bad'"'"')" &&
	$W -print-old-reports-for-cleanup -max-age "8 days" >out &&
	grep "\"select statement\":\"SELECT .*FROM reported .*\"message\":\"PrintReportsForCleanup operation\"" out &&
	grep "\"Organization ID\":21,\"Account number\":22,\"Cluster name\":\"$C\",.*\"message\":\"Old report from \`reported\` table\"" out &&
	$W -print-read-errors-for-cleanup -max-age "8 days" >out &&
	grep "\"Organization ID\":21,\"Account number\":0,\"Cluster name\":\"$C\",.*\"message\":\"Old report from \`read_errors\` table\"" out &&
	test_expect_code 5 $W -print-read-errors-for-cleanup -max-age bogus >out &&
	msg out "Print records to cleanup from \`read_errors\` table failed" &&
	test_expect_code 5 $W -print-old-reports-for-cleanup -max-age bogus >out &&
	msg out "Print records to cleanup from \`reported\` table failed" &&
	test_expect_code 5 $W -print-new-reports-for-cleanup -max-age bogus >out &&
	msg out "Print records to cleanup from \`new_reports\` failed" &&
	test_expect_code 5 $W -read-errors-cleanup -max-age bogus >out &&
	msg out "Cleanup records from \`read_errors\` table failed" &&
	test_expect_code 5 $W -new-reports-cleanup -max-age bogus >out &&
	msg out "Cleanup records from \`new_reports\` table failed" &&
	$W -read-errors-cleanup -max-age "8 days" >out &&
	grep "\"Rows deleted\":1,.*\"message\":\"Cleanup \`read_errors\` finished\"" out &&
	$W -old-reports-cleanup -max-age "8 days" >out &&
	grep "\"Rows deleted\":1,.*\"message\":\"Cleanup \`reported\` finished\"" out &&
	$W -new-reports-cleanup -max-age "8 days" >out &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 0
'

test_expect_success 'service mode with the broker disabled: /metrics served, exit 0' '
	CCX_NOTIFICATION_WRITER__BROKER__ENABLED=false CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=127.0.0.1:0 \
		$W >out &&
	msg out "Broker is disabled, not starting it" &&
	msg out "Starting HTTP server"
'

test_expect_success '-show-configuration: one record per section, no secret; unused keys accepted and unseen' '
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__AWS_ACCESS_ID=cw-id-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__AWS_SECRET_KEY=cw-secret-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__AWS_SESSION_TOKEN=cw-token-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__AWS_REGION=cw-region-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__LOG_GROUP=cw-group-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__STREAM_NAME=cw-stream-Xq9 \
	CCX_NOTIFICATION_WRITER__CLOUDWATCH__DEBUG=true \
	CCX_NOTIFICATION_WRITER__SENTRY__DSN=https://dsn-Xq9@sentry.example \
	CCX_NOTIFICATION_WRITER__SENTRY__ENVIRONMENT=env-Xq9 \
	CCX_NOTIFICATION_WRITER__TRACKER__SERVICE_NAME=svc-Xq9 \
	CCX_NOTIFICATION_WRITER__BROKER__SASL_USERNAME=sasl-user-8000 \
	CCX_NOTIFICATION_WRITER__BROKER__SASL_PASSWORD=sasl-pass-Xq9 \
		$W -show-configuration >out 2>err &&
	for m in "Broker configuration" "Storage configuration" \
		"Logging configuration" "Metrics configuration"; do
		msg out "$m" || return 1
	done &&
	grep "\"Sasl username\":\"sasl-user-8000\"" out &&
	! grep "Xq9\|not-needed-here" out err
'


. "$TEST_DIRECTORY"/lib-kafka.sh
. "$TEST_DIRECTORY"/lib-records.sh
if mock_start -t ccx.ocp.results:1; then
	test_set_prereq MOCK
fi

free_port() {
	python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}
scrape() {
	python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())" "$1"
}
has_metric() { scrape "$1" 2>/dev/null | grep -qx "$2"; }
produce() { timeout 20 kcat -P -b "$BROKERS" -t "$1"; }

test_expect_success MOCK '-check-kafka: the first broker that answers; none: exit 4' '
	CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES="127.0.0.1:1,$BROKERS" $W -check-kafka >out &&
	msg out "Checking connection to Kafka" &&
	grep "\"level\":\"error\",\"error\":\".*\",\"address\":\"127.0.0.1:1\",.*\"message\":\"Not connected to broker\"" out &&
	grep "\"address\":\"${BROKERS%%,*}\",.*\"message\":\"Connection to broker\"" out &&
	msg out "Broker connection OK" &&
	CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=127.0.0.1:1 test_expect_code 4 $W -check-kafka >out &&
	msg out "Couldn'"'"'t connect to any of the provided brokers"
'

test_expect_success MOCK 'service mode: records stored, /metrics with the namespace, SIGTERM drains and exits 0' '
	port=$(free_port) &&
	{
		CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=$BROKERS \
		CCX_NOTIFICATION_WRITER__BROKER__TOPIC=ccx.ocp.results \
		CCX_NOTIFICATION_WRITER__BROKER__GROUP=ccx_notification_app \
		CCX_NOTIFICATION_WRITER__BROKER__ENABLED=true \
		CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=127.0.0.1:$port \
		CCX_NOTIFICATION_WRITER__METRICS__NAMESPACE=ccx_notification_writer \
		$W >svc.out 2>svc.err &
	} &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	test_wait_for 20 has_metric http://127.0.0.1:$port/metrics "ccx_notification_writer_stored_messages 0" &&
	test_wait_for 30 grep -q "assigned 1 partition" svc.out &&
	for i in 1 2 3; do
		sample_record $i 00000000-0000-4000-8000-00000000000$i || return 1
		echo
	done | produce ccx.ocp.results &&
	test_wait_for 30 eval "test \"\$(sql \"SELECT count(*) FROM new_reports\")\" = 3" &&
	test_wait_for 10 has_metric http://127.0.0.1:$port/metrics "ccx_notification_writer_stored_messages 3" &&
	scrape http://127.0.0.1:$port/metrics >metrics &&
	test "$(grep -c "^# TYPE ccx_notification_writer_[a-z_]* counter$" metrics)" = 9 &&
	test_grep "^ccx_notification_writer_consumed_messages 3$" metrics &&
	echo "not a report" | produce ccx.ocp.results &&
	test_wait_for 30 grep -q "\"level\":\"warn\",\"error\":\".*\"message\":\"Error processing message consumed from Kafka\"" svc.out &&
	test_wait_for 30 eval "test \"\$(sql \"SELECT count(*) FROM dead_letters\")\" = 1" &&
	kill -TERM $pid &&
	test_wait_for 60 eval "! kill -0 $pid 2>/dev/null" &&
	wait $pid &&
	grep "\"stage\":\"kafka-reader\"" svc.out &&
	! grep not-needed-here svc.out svc.err
'

test_expect_success MOCK 'copied alone, without PATH: service mode and maintenance run the programs it carries' '
	mkdir alone &&
	cp "$(command -v $W)" alone/ &&
	n0=$(sql "SELECT count(*) FROM new_reports") &&
	{
		env PATH=/usr/bin:/bin \
		CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=$BROKERS \
		CCX_NOTIFICATION_WRITER__BROKER__TOPIC=ccx.ocp.results \
		CCX_NOTIFICATION_WRITER__BROKER__GROUP=g8000alone \
		CCX_NOTIFICATION_WRITER__BROKER__ENABLED=true \
		CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=127.0.0.1:$(free_port) \
		./alone/$W >alone.out 2>alone.err &
	} &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	test_wait_for 30 grep -q "assigned 1 partition" alone.out &&
	for i in 1 2; do
		sample_record $i 00000000-0000-4000-8000-0000000000a$i || return 1
		echo
	done | produce ccx.ocp.results &&
	test_wait_for 30 eval "test \"\$(sql \"SELECT count(*) FROM new_reports\")\" = $((n0 + 2))" &&
	kill -TERM $pid &&
	test_wait_for 60 eval "! kill -0 $pid 2>/dev/null" &&
	wait $pid &&
	! grep "unable to run" alone.out alone.err &&
	env PATH=/usr/bin:/bin ./alone/$W -print-new-reports-for-cleanup >out &&
	msg out "PrintReportsForCleanup operation"
'

# service_run [NAME=VALUE...]: service mode against the mock broker until it
# ends by itself (within 60 s).
service_run() {
	env CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=$BROKERS \
		CCX_NOTIFICATION_WRITER__BROKER__TOPIC=ccx.ocp.results \
		CCX_NOTIFICATION_WRITER__BROKER__GROUP=g8000 \
		CCX_NOTIFICATION_WRITER__BROKER__ENABLED=true \
		CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=127.0.0.1:0 \
		"$@" timeout 60 $W
}

test_expect_success MOCK 'service mode: a Kafka property librdkafka refuses exits 2, the SASL password unseen' '
	service_run CCX_NOTIFICATION_WRITER__BROKER__SECURITY_PROTOCOL=SSL \
		CCX_NOTIFICATION_WRITER__BROKER__CERT_PATH=/nonexistent/ca.pem >out 2>err; test $? = 2 &&
	grep "\"stage\":\"kafka-reader\".*ssl.ca.location" out &&
	service_run CCX_NOTIFICATION_WRITER__BROKER__SECURITY_PROTOCOL=SASL_PLAINTEXT \
		CCX_NOTIFICATION_WRITER__BROKER__SASL_MECHANISM=BOGUS \
		CCX_NOTIFICATION_WRITER__BROKER__SASL_USERNAME=user8000 \
		CCX_NOTIFICATION_WRITER__BROKER__SASL_PASSWORD=sasl-pass-8000-Kj7 \
		CCX_NOTIFICATION_WRITER__BROKER__DISABLE_API_VERSIONS_REQUEST=true >out 2>err; test $? = 2 &&
	grep "\"stage\":\"kafka-reader\".*BOGUS" out &&
	! grep sasl-pass-8000-Kj7 out err
'

test_expect_success MOCK 'service mode: a schema below the latest version exits 5' '
	db-writer migrate 8 2>/dev/null &&
	test_when_finished "db-writer migrate latest 2>/dev/null" &&
	service_run >out 2>err; test $? = 5 &&
	grep "\"stage\":\"db-writer\"" out
'

test_done
