#!/bin/sh
test_description='ccx-notification-service: the upstream service'"'"'s command line, configuration, runs of both targets, Pushgateway, logs and exit codes'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-pg.sh
. "$TEST_DIRECTORY"/lib-kafka.sh
. "$TEST_DIRECTORY"/lib-http.sh
. "$TEST_DIRECTORY"/fe-lib.sh

S=ccx-notification-service
# No configuration file of the working directory: every key zero.
unset CCX_NOTIFICATION_SERVICE_CONFIG_FILE ACG_CONFIG

# The service's usage as upstream prints it: its own flags and those both
# programs have.
usage() {
	{ cat; maint_flags; } <<-\EOF | LC_ALL=C sort | goflag_usage "$1"
	cleanup-on-startup - perform database clean up on startup
	ignore-disabled-rules - skip disabled rules check, process all rules as if none are disabled
	instant-reports - create instant reports
	show-authors - show authors and exit
	show-configuration - show configuration and exit
	show-version - show version and exit
	verbose - verbose logs
	EOF
}


test_expect_success 'usage: Go flag format on stderr, exit 0 for -h; flag errors exit 2' '
	usage_is $S 742 &&
	$S --help 2>actual &&
	test_cmp expect actual &&
	flag_error "flag provided but not defined: -version" $S -version &&
	tail -n +2 err >rest &&
	test_cmp expect rest &&
	test_expect_code 2 $S -weekly-reports 2>err &&
	flag_error "invalid boolean value \"maybe\" for -instant-reports: parse error" \
		$S -instant-reports=maybe &&
	flag_error "flag needs an argument: -max-age" $S -max-age &&
	flag_error "bad flag syntax: ---x" $S ---x
'

test_expect_success '-show-version and -show-authors: stdout, exit 0, before the configuration' '
	CCX_NOTIFICATION_SERVICE_CONFIG_FILE=/nonexistent/config.toml \
		$S -show-authors -show-version >actual 2>err &&
	echo "Notification service version 1.0" >expect &&
	test_cmp expect actual &&
	test_line_count = 0 err &&
	$S --show-authors >actual &&
	echo "Pavel Tisnovsky, Papa Bakary Camara, Red Hat Inc." >expect &&
	test_cmp expect actual
'

test_expect_success 'no -instant-reports: exit 1 before the configuration is read' '
	CCX_NOTIFICATION_SERVICE_CONFIG_FILE=/nonexistent/config.toml \
		test_expect_code 1 $S >out 2>err &&
	test_line_count = 0 out &&
	msg err "Type of report needs to be specified on command line" &&
	! grep "parsing configuration file" err &&
	test_expect_code 1 $S -verbose -cleanup-on-startup 2>err &&
	msg err "Type of report needs to be specified on command line"
'

test_expect_success 'a configuration file that is named but missing: Load configuration, exit 1' '
	CCX_NOTIFICATION_SERVICE_CONFIG_FILE=/nonexistent/config.toml \
		test_expect_code 1 $S -ignore-disabled-rules -instant-reports >out 2>err &&
	msg err "parsing configuration file" &&
	msg err "Load configuration" &&
	grep "Not Found in" err
'

pg_setup || { test_done; exit 0; }
db-writer migrate latest 2>/dev/null || skip_all "cannot migrate"

PW=pg-pass-8100-Qw3rtY
SECRET=sl-secret-8100-Zx9Vb
TOKEN=cHVzaGVyOnB1c2gtcGFzcy04MTAw	# base64 of pusher:push-pass-8100
printf '%s\n%s\n%s\n' "$PW" "$SECRET" "$TOKEN" >secrets.pat

# The database through upstream's variables.
E=CCX_NOTIFICATION_SERVICE_
export ${E}_STORAGE__DB_DRIVER=postgres ${E}_STORAGE__PG_HOST="$PGHOST" \
	${E}_STORAGE__PG_PORT="$PGPORT" ${E}_STORAGE__PG_USERNAME="$PGUSER" \
	${E}_STORAGE__PG_PASSWORD="$PW" ${E}_STORAGE__PG_DB_NAME="$PGDATABASE" \
	${E}_STORAGE__PG_PARAMS=sslmode=disable

C1=5d5892d4-1f74-4ccf-91af-548dfc9767aa
C2=5d5892d4-1f74-4ccf-91af-548dfc9767bb
C3=5d5892d4-1f74-4ccf-91af-548dfc9767cc
CP=00000000-0000-4000-8000-0000000000c1

# report RULE...: a report with one item per rule of tests/demo/content.json.
report() {
	sep=
	printf '{"reports":['
	for r; do
		printf '%s{"rule_id":"%s|X","component":"ccx_rules_ocp.external.rules.%s.report","type":"rule","key":"%s","details":{"n":1}}' \
			"$sep" "$r" "$r" "$(key_of "$r")"
		sep=,
	done
	printf ']}'
}
key_of() {
	case $1 in
	demo_nodes_memory) echo NODES_MEMORY_LOW ;;
	demo_etcd_backup) echo ETCD_NO_BACKUP ;;
	demo_image_registry) echo REGISTRY_EMPTYDIR ;;
	demo_ingress_cert) echo INGRESS_CERT_EXPIRING ;;
	esac
}
insert() {	# ORG CLUSTER REPORT [AGE]
	psql -qXAt -v ON_ERROR_STOP=1 -v org="$1" -v cl="$2" -v rep="$3" -v age="${4:-0 s}" <<-\SQL
	INSERT INTO new_reports VALUES (:org, :org + 1000, :'cl', :'rep',
	    now() AT TIME ZONE 'UTC' - :'age'::interval - interval '1 s', 5);
	SQL
}

test_expect_success 'no destination, both destinations: exit 1 with upstream'"'"'s messages' '
	test_expect_code 1 $S -ignore-disabled-rules -instant-reports >out 2>err &&
	msg err "parsing configuration file" &&
	msg out "Log level" &&
	msg out "No known event destination configured. Aborting." &&
	env ${E}_KAFKA_BROKER__ENABLED=true ${E}_SERVICE_LOG__ENABLED=true \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 1 &&
	msg out "Only one integration should be enabled (Kafka / Service log. Review your config." &&
	env ${E}_LOGGING__DEBUG=true $S -ignore-disabled-rules -instant-reports extra args >out 2>err; test $? = 1 &&
	echo "Clowder is disabled" >expect &&
	test_cmp expect out &&
	grep "ERR No known event destination configured. Aborting.$" err &&
	grep "WRN arguments after the first non-flag argument are ignored" err
'

test_expect_success 'a driver other than postgres: exit 3' '
	env ${E}_STORAGE__DB_DRIVER=sqlite3 ${E}_KAFKA_BROKER__ENABLED=true \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 3 &&
	msg out "Making connection to data storage, driver=sqlite3, host=$PGHOST, database=$PGDATABASE"
'

mock_start -t platform.notifications.ingress:1 -t env-platform.notifications.ingress:1 ||
	skip_all "the mock Kafka cluster cannot start"
command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP stubs"
stub_start CS content --file "$TEST_DIRECTORY/demo/content.json" &&
stub_start RD renderer &&
stub_start SSO sso --client-id ccx-client --client-secret "$SECRET" &&
stub_start SL servicelog &&
stub_start PGW servicelog --mode 200 &&
stub_start PGWD servicelog --mode 500 ||
	skip_all "the HTTP stubs do not start"

export ${E}_DEPENDENCIES__CONTENT_SERVER="$CS_URL" \
	${E}_DEPENDENCIES__CONTENT_ENDPOINT=/api/v1/content

TOPIC=platform.notifications.ingress
messages() { timeout 20 kcat -C -b "$BROKERS" -t "${1:-$TOPIC}" -o beginning -e -q; }
rows() {	# TARGET: "cluster|state" of its reported rows, oldest first
	sql "SELECT cluster, state FROM reported WHERE event_type_id = $1 ORDER BY notified_at, cluster" | tr '\n' ' '
}
# Target 1 through upstream's variables only.
kafka() {
	env ${E}_KAFKA_BROKER__ENABLED=true ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" \
		${E}_KAFKA_BROKER__TOPIC=$TOPIC ${E}_KAFKA_BROKER__TOTAL_RISK_THRESHOLD=2 \
		${E}_KAFKA_BROKER__COOLDOWN="1 week" "$@"
}

test_expect_success 'target 1 by variables: a message per cluster with new issues, reported rows, logs' '
	insert 1 $C1 "$(report demo_nodes_memory demo_image_registry)" &&
	insert 2 $C2 "$(report demo_image_registry)" &&
	kafka env ${E}_NOTIFICATIONS__RULE_DETAILS_URI="https://console.example/clusters/{cluster_id}?first={module}|{error_key}" \
		$S -ignore-disabled-rules -instant-reports --verbose >out 2>err &&
	messages >msgs &&
	test_line_count = 1 msgs &&
	grep -F "clusters/$C1?first=ccx_rules_ocp|external|rules|demo_nodes_memory|report|NODES_MEMORY_LOW" msgs &&
	grep "\"type\":\"rule\",\"rule\":\"demo_nodes_memory\",\"error key\":\"NODES_MEMORY_LOW\",\"likelihood\":3,\"impact\":3,\"totalRisk\":3,.*\"message\":\"Report with impact higher than configured threshold detected\"" out &&
	grep -F "\"display_name\":\"$C1\"" msgs &&
	test "$(rows 1)" = "$C1|1 $C2|2 " &&
	msg out "Broker configuration" &&
	msg out "Kafka producer ready" &&
	msg out "Differ started" &&
	msg out "------------------------------------------------------------" &&
	msg out "Fetching rules content from $CS_URL/api/v1/content" &&
	msg out "Retrieved 4 rules from content service" &&
	grep "\"cluster\":\"$C1\",\"number of events\":1,.*\"message\":\"Producing instant notification\"" out &&
	msg out "New issues notified for cluster $C1" &&
	msg out "No new issues to notify for cluster $C2" &&
	msg out "Read cluster list: done" &&
	grep "\"target\":1,\"retrieved\":0,.*\"message\":\"Done reading previously reported issues still in cool down\"" out &&
	msg out "Number of high impact issues notified: 1" &&
	msg out "Process Clusters Entries: done" &&
	grep "\"stage\":\"differ\"" out &&
	grep "\"stage\":\"kafka-emitter\"" out &&
	! grep -F -f secrets.pat out err
'

test_expect_success 'target 1: a second run sends nothing new (cooldown); its files are gone' '
	mkdir tmpdir &&
	kafka env -u CCX_SPOOL_DIR TMPDIR="$PWD/tmpdir" $S -ignore-disabled-rules -instant-reports >out 2>err &&
	test -d tmpdir/ccx-notify-spool-$(id -u) &&
	test "$(ls tmpdir)" = "ccx-notify-spool-$(id -u)" &&
	messages >msgs &&
	test_line_count = 1 msgs &&
	test "$(rows 1)" = "$C1|1 $C2|2 $C1|2 $C2|2 " &&
	grep "\"target\":1,\"retrieved\":1,.*\"message\":\"Done reading previously reported issues still in cool down\"" out
'

# Target 2 through upstream's variables, against the stubs.
sl() {
	env ${E}_SERVICE_LOG__ENABLED=true ${E}_SERVICE_LOG__CLIENT_ID=ccx-client \
		${E}_SERVICE_LOG__CLIENT_SECRET="$SECRET" \
		${E}_SERVICE_LOG__URL="$SL_URL/api/service_logs/v1/cluster_logs/" \
		${E}_SERVICE_LOG__TOKEN_URL="$SSO_URL/token" \
		${E}_SERVICE_LOG__TIMEOUT=4500ms ${E}_SERVICE_LOG__COOLDOWN="1 week" \
		${E}_SERVICE_LOG__CREATED_BY=ccx-test ${E}_SERVICE_LOG__USERNAME=tester \
		${E}_SERVICE_LOG__RULE_DETAILS_URI='https://console.example/{module}|{error_key}' \
		${E}_DEPENDENCIES__TEMPLATE_RENDERER_SERVER="$RD_URL" \
		${E}_DEPENDENCIES__TEMPLATE_RENDERER_ENDPOINT=/v1/rendered_reports "$@"
}
entries() {	# CLUSTER: its Service Log entries
	curl -s --max-time 5 "$SL_URL/api/service_logs/v1/clusters/$1/cluster_logs" |
	python3 -c "import json, sys; print(len(json.load(sys.stdin)[\"items\"]))"
}

test_expect_success 'target 2 by variables: entries posted, rows recorded, the secret only in the token request' '
	sl $S -ignore-disabled-rules -instant-reports >out 2>err &&
	test "$(entries $C1)" = 2 &&
	test "$(entries $C2)" = 1 &&
	test "$(rows 2)" = "$C1|1 $C2|1 " &&
	msg out "Service Log producer ready" &&
	grep "\"type\":\"rule\",\"rule\":\"demo_nodes_memory\",\"error key\":\"NODES_MEMORY_LOW\",\"likelihood\":3,\"impact\":3,\"totalRisk\":3,.*\"message\":\"Report with impact higher than configured threshold detected\"" out &&
	msg out "New issues notified for cluster $C1" &&
	msg out "access token refreshed successfully" &&
	grep "\"stage\":\"servicelog-poster\"" out &&
	stub_requests SSO >sso &&
	grep -F "Basic $(printf "ccx-client:%s" "$SECRET" | base64)" sso &&
	stub_requests SL >posts &&
	grep -F "\"created_by\": \"ccx-test\"" posts &&
	grep -F "https://console.example/ccx_rules_ocp.external.rules.demo_nodes_memory|NODES_MEMORY_LOW" posts &&
	! grep -F -f secrets.pat out err
'

test_expect_success 'target 2, a renderer URL without scheme: error rows, no poster, exit 0' '
	insert 3 $C3 "$(report demo_etcd_backup)" &&
	sl env ${E}_DEPENDENCIES__TEMPLATE_RENDERER_SERVER=localhost:8083 \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	test "$(sql "SELECT state, error_log FROM reported WHERE event_type_id = 2 AND cluster = '"'$C3'"'")" = \
		"4|Post \"localhost:8083\": unsupported protocol scheme \"localhost\"" &&
	msg out "Rendering reports failed for this cluster" &&
	! grep "\"stage\":\"servicelog-poster\"" out &&
	test "$(entries $C3)" = 0
'

test_expect_success 'target 2: empty credentials exit 11, a renderer server that does not parse exits 1' '
	sl env ${E}_SERVICE_LOG__CLIENT_SECRET= $S -ignore-disabled-rules -instant-reports >out; test $? = 11 &&
	msg out "got error while setting up the connection to OCM API gateway" &&
	sl env ${E}_DEPENDENCIES__TEMPLATE_RENDERER_SERVER=:8083 $S -ignore-disabled-rules -instant-reports >out; test $? = 1
'

test_expect_success 'a config.toml: known keys only, INFO level, the allow list' '
	cp "$TEST_DIRECTORY/config/service/config.toml" config.toml &&
	insert 4 $C3 "$(report demo_nodes_memory)" &&
	insert 5 $C2 "$(report demo_etcd_backup)" &&
	env ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" \
		${E}_METRICS__GATEWAY_AUTH_TOKEN="$TOKEN" ${E}_METRICS__GATEWAY_URL="$PGW_URL" \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	msg err "parsing configuration file" &&
	grep "\"configured\":\"INFO \",\"internal\":\"info\"" out &&
	! grep "\"level\":\"debug\"" out &&
	messages >msgs &&
	test_line_count = 2 msgs &&
	tail -1 msgs | grep -F "\"display_name\":\"$C3\"" &&
	tail -1 msgs | grep -F "https://console.example.com/openshift/details/$C3#insights" &&
	grep "\"On input\":3,\"Allowed\":1,\"Blocked\":0,\"Filtered\":1,.*\"message\":\"Filter cluster list\"" out &&
	test "$(stub_requests PGW | wc -l)" = 0 &&
	sed "s/^allowed_clusters = .*/allowed_clusters = []/" config.toml >c &&
	mv c config.toml &&
	env ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" $S -ignore-disabled-rules -instant-reports >out 2>err &&
	msg out "Differ finished" &&
	messages >msgs &&
	test_line_count = 2 msgs &&
	rm config.toml
'

test_expect_success 'a config.yaml found for CONFIG_FILE=DIR/config.toml: the same run as from TOML' '
	mkdir yconf &&
	sed -e "s/^\[\(.*\)\]\$/\1:/" -e "s/^\([a-z_]*\) = /  \1: /" \
		"$TEST_DIRECTORY/config/service/config.toml" >yconf/config.yaml &&
	insert 9 $C3 "$(report demo_etcd_backup)" &&
	before=$(messages | wc -l) &&
	env ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" \
		CCX_NOTIFICATION_SERVICE_CONFIG_FILE=$PWD/yconf/config.toml \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	grep "\"filename\":\"$PWD/yconf/config.toml\".*\"message\":\"parsing configuration file\"" err &&
	grep "\"configured\":\"INFO \",\"internal\":\"info\"" out &&
	grep "\"On input\":3,\"Allowed\":1,\"Blocked\":0,\"Filtered\":1,.*\"message\":\"Filter cluster list\"" out &&
	messages >msgs &&
	test_line_count = $((before + 1)) msgs &&
	tail -1 msgs | grep -F "\"display_name\":\"$C3\"" &&
	rm -r yconf
'

test_expect_success 'without -ignore-disabled-rules differ reads the aggregator database; unreachable: exit 12, nothing sent' '
	before=$(messages | wc -l) &&
	kafka env ${E}_AGGREGATOR_STORAGE__PG_HOST=127.0.0.1 \
		${E}_AGGREGATOR_STORAGE__PG_PORT=1 ${E}_AGGREGATOR_STORAGE__PG_PASSWORD=agg-secret \
		$S -instant-reports >out 2>err; test $? = 12 &&
	test "$(messages | wc -l)" = "$before" &&
	grep "\"stage\":\"differ\".*aggregator" out &&
	! grep agg-secret out err &&
	! grep "Skipping aggregator DB connection" out
'

test_expect_success 'Clowder (ACG_CONFIG): its database and its topic name win' '
	b=${BROKERS%%,*} &&
	sed -e "s|@PGDATABASE@|$PGDATABASE|" -e "s|@PGHOST@|$PGHOST|" \
		-e "s|@PGPORT@|$PGPORT|" -e "s|@PGUSER@|$PGUSER|" \
		-e "s|@KAFKA_HOST@|${b%:*}|" -e "s|@KAFKA_PORT@|${b##*:}|" \
		"$TEST_DIRECTORY/config/service/cdappconfig.json" >cdappconfig.json &&
	echo "clowder-pg-pass-8100" >>secrets.pat &&
	kafka env ACG_CONFIG=$PWD/cdappconfig.json ${E}_STORAGE__PG_DB_NAME=no_such_db \
		${E}_KAFKA_BROKER__ADDRESSES=127.0.0.1:1 \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	grep -x "Clowder is enabled" out &&
	messages env-platform.notifications.ingress >msgs &&
	test_line_count = 1 msgs &&
	grep -F "\"display_name\":\"$C2\"" msgs &&
	! grep -F -f secrets.pat out err
'

test_expect_success 'content unreachable: exit 4' '
	insert 6 $C1 "$(report demo_etcd_backup)" &&
	before=$(messages | wc -l) &&
	kafka env ${E}_DEPENDENCIES__CONTENT_SERVER=127.0.0.1:1 \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 4 &&
	msg_start out "Got error while processing HTTP request - " &&
	test "$(messages | wc -l)" = "$before"
'

# pushed STUB: the bodies of the PUTs STUB received, and their paths.
pushes() {
	stub_requests "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["method"] == "PUT":
        print("PATH " + r["path"])
        print("AUTH " + r["headers"].get("Authorization", "-"))
        print(r["body"])'
}
PGWENV="${E}_METRICS__NAMESPACE=ccx_notification_service
	${E}_METRICS__SUBSYSTEM=to_notification_backend
	${E}_METRICS__JOB_NAME=ccx_notification_service
	${E}_METRICS__GATEWAY_AUTH_TOKEN=$TOKEN ${E}_METRICS__RETRIES=2
	${E}_METRICS__RETRY_AFTER=50ms ${E}_METRICS__GATEWAY_TIME_BETWEEN_PUSH=30s"

test_expect_success 'Pushgateway: the 14 series with Basic auth after the run' '
	P=ccx_notification_service_to_notification_backend &&
	stub_clear PGW &&
	kafka env $PGWENV ${E}_METRICS__GATEWAY_URL="${PGW_URL#http://}/" \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	pushes PGW >body &&
	test "$(grep -c "^PATH " body)" = 1 &&
	test_grep "^PATH /metrics/job/ccx_notification_service$" body &&
	test_grep "^AUTH Basic $TOKEN$" body &&
	test "$(grep -c "^# TYPE $P" body)" = 14 &&
	test_grep "^${P}_notification_sent 1$" body &&
	test_grep "^${P}_report_with_high_impact 1$" body &&
	test_grep "^${P}_read_reported_errors 0$" body &&
	test_grep "^# TYPE ${P}_operation_duration_seconds histogram$" body &&
	test_grep "^${P}_operation_duration_seconds_count{operation=\"fetch_content\"} 1$" body &&
	test_grep "^${P}_operation_duration_seconds_count{operation=\"process_clusters\"} 1$" body &&
	test_grep "^${P}_operation_duration_seconds_count{operation=\"send_notification_kafka\"} 1$" body &&
	test_grep "^${P}_operation_duration_seconds_bucket{operation=\"fetch_content\",le=\"+Inf\"} 1$" body &&
	test_grep "^${P}_service_status 5$" body &&
	msg out "Metrics will be pushed in loop each 30.000000 seconds" &&
	msg out "Differ finished. Pushing metrics to the configured prometheus gateway." &&
	msg out "Metrics pushed successfully. Terminating notification service successfully." &&
	! grep -F -f secrets.pat out err
'

test_expect_success 'Pushgateway: a failing push is retried, never changes the exit code; job names with /' '
	stub_clear PGWD &&
	kafka env $PGWENV ${E}_METRICS__GATEWAY_URL="$PGWD_URL" \
		${E}_DEPENDENCIES__CONTENT_SERVER=127.0.0.1:1 $S -ignore-disabled-rules -instant-reports >out; test $? = 4 &&
	pushes PGWD >body &&
	test "$(grep -c "^PATH " body)" = 3 &&
	test_grep "^ccx_notification_service_to_notification_backend_fetch_content_errors 1$" body &&
	test_grep "^ccx_notification_service_to_notification_backend_service_status 2$" body &&
	test "$(grep -c "Couldn'"'"'t push prometheus metrics" out)" = 3 &&
	msg out "Push metrics. Retrying (2/2 attempts left)" &&
	msg out "Push metrics. Retrying (1/2 attempts left)" &&
	stub_clear PGW &&
	kafka env $PGWENV ${E}_METRICS__GATEWAY_URL="$PGW_URL" ${E}_METRICS__JOB_NAME=a/b \
		$S -ignore-disabled-rules -instant-reports >out &&
	pushes PGW >body &&
	test_grep "^PATH /metrics/job@base64/YS9i$" body &&
	test_grep "^ccx_notification_service_to_notification_backend_service_status 5$" body
'

test_expect_success 'Pushgateway: the loop pushes during a run; target 2'"'"'s series' '
	insert 8 $C1 "$(report demo_ingress_cert)" &&
	stub_clear PGW &&
	stub_control RD "{\"mode\": \"ok\", \"delay\": 1, \"count\": 1}" &&
	sl env $PGWENV ${E}_METRICS__SUBSYSTEM=service_log \
		${E}_METRICS__GATEWAY_URL="$PGW_URL" \
		${E}_METRICS__GATEWAY_TIME_BETWEEN_PUSH=200ms $S -ignore-disabled-rules -instant-reports >out &&
	msg out "Metrics will be pushed in loop each 0.200000 seconds" &&
	pushes PGW >body &&
	test "$(grep -c "^PATH " body)" -ge 3 &&
	test_grep "^ccx_notification_service_service_log_operation_duration_seconds_count{operation=\"send_notification_servicelog\"} [1-9]" body &&
	test_grep "^ccx_notification_service_service_log_notification_sent [1-9]" body
'

test_expect_success '-show-configuration: every section, exit 0, nothing runs; unused keys accepted and unseen' '
	env ${E}_CLEANER__MAX_AGE="3 days" \
		${E}_NOTIFICATIONS__INSIGHTS_ADVISOR_URL="https://advisor.example/{cluster_id}" \
		${E}_STORAGE__LOG_SQL_QUERIES=true ${E}_AGGREGATOR_STORAGE__DB_DRIVER=postgres \
		${E}_AGGREGATOR_STORAGE__PG_USERNAME=agg-user ${E}_AGGREGATOR_STORAGE__PG_DB_NAME=aggdb \
		${E}_AGGREGATOR_STORAGE__PG_PARAMS=sslmode=disable ${E}_AGGREGATOR_STORAGE__LOG_SQL_QUERIES=1 \
		${E}_CLOUDWATCH__AWS_ACCESS_ID=cw-id-Xq9 ${E}_CLOUDWATCH__AWS_SECRET_KEY=cw-secret-Xq9 \
		${E}_CLOUDWATCH__AWS_SESSION_TOKEN=cw-token-Xq9 ${E}_CLOUDWATCH__AWS_REGION=cw-region-Xq9 \
		${E}_CLOUDWATCH__LOG_GROUP=cw-group-Xq9 ${E}_CLOUDWATCH__STREAM_NAME=cw-stream-Xq9 \
		${E}_CLOUDWATCH__DEBUG=true ${E}_SENTRY__DSN=https://sentry-dsn-Xq9@sentry.example \
		${E}_SENTRY__ENVIRONMENT=sentry-env-Xq9 \
		$S -show-configuration -instant-reports >out 2>err &&
	for m in "Broker configuration" "ServiceLog configuration" "Storage configuration" \
		"Aggregator storage configuration" "Dependencies configuration" \
		"Logging configuration" "Notifications configuration" \
		"Metrics configuration" "Processing configuration"; do
		msg out "$m" || return 1
	done &&
	grep "\"Insights Advisor URL\":\"https://advisor.example/{cluster_id}\"" out &&
	grep "\"LogSQLQueries\":true,\"Parameters\":\"sslmode=disable\",.*\"message\":\"Storage configuration\"" out &&
	grep "\"Driver\":\"postgres\",\"DB Name\":\"aggdb\",\"Username\":\"agg-user\",.*\"LogSQLQueries\":true,.*\"message\":\"Aggregator storage configuration\"" out &&
	! grep "Xq9\|Differ started" out err &&
	env ${E}_CLEANER__MAX_AGE="3 days" $S -new-reports-cleanup >out &&
	grep "\"max age\":\"3 days\",.*\"message\":\"Cleanup operation for all organizations\"" out &&
	env ${E}_LOGGING__LOG_LEVEL=error $S -show-configuration >out &&
	echo "Clowder is disabled" >expect &&
	test_cmp expect out &&
	env ${E}_LOGGING__USE_STDERR=true $S -show-configuration >out 2>err &&
	test_cmp expect out &&
	msg err "Processing configuration"
'

test_expect_success 'target 1 from a config.yaml: tags, thresholds, event filter, blocked clusters' '
	mkdir yt1 &&
	cat >yt1/config.yaml <<-EOF &&
	storage: {db_driver: postgres, pg_host: "", pg_port: 0, pg_username: "",
	  pg_password: "", pg_db_name: "", pg_params: ""}
	dependencies: {content_server: "", content_endpoint: ""}
	kafka_broker:
	  enabled: true
	  addresses: ""
	  topic: $TOPIC
	  cooldown: 1 week
	  likelihood_threshold: 0
	  impact_threshold: 0
	  severity_threshold: 0
	  total_risk_threshold: 0
	  event_filter: ""
	  tag_filter_enabled: true
	  tags: [no_such_tag]
	processing:
	  filter_blocked_clusters: true
	  blocked_clusters: [$C1]
	EOF
	insert 12 $C3 "$(report demo_etcd_backup demo_image_registry)" &&
	insert 13 $C1 "$(report demo_etcd_backup)" &&
	before=$(messages | wc -l) &&
	(cd yt1 && env ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" \
		$S -ignore-disabled-rules -instant-reports >../out 2>../err) &&
	test "$(messages | wc -l)" = "$before" &&
	grep "\"Blocked\":1,.*\"message\":\"Filter cluster list\"" out &&
	test "$(sql "SELECT state FROM reported WHERE org_id = 12")" = 2 &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 13")" = 0 &&
	sed -e "s/no_such_tag/osd_customer/" \
		-e "s/event_filter: \"\"/event_filter: likelihood >= likelihoodThreshold \&\& impact >= impactThreshold \&\& severity >= severityThreshold/" \
		yt1/config.yaml >yt1/c && mv yt1/c yt1/config.yaml &&
	insert 14 $C3 "$(report demo_etcd_backup demo_nodes_memory)" &&
	(cd yt1 && env ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" ${E}_KAFKA_BROKER__LIKELIHOOD_THRESHOLD=4 \
		${E}_KAFKA_BROKER__IMPACT_THRESHOLD=4 ${E}_KAFKA_BROKER__SEVERITY_THRESHOLD=0 \
		$S -ignore-disabled-rules -instant-reports >../out 2>../err) &&
	messages >msgs &&
	test_line_count = $((before + 1)) msgs &&
	tail -1 msgs | grep -F "\"display_name\":\"$C3\"" &&
	tail -1 msgs | grep -F "etcd has not been backed up" &&
	! tail -1 msgs | grep -F "Nodes have less memory" &&
	rm -r yt1
'

test_expect_success 'target 2: thresholds and event filter of service_log, its tag filter on' '
	insert 15 $C2 "$(report demo_etcd_backup demo_nodes_memory demo_ingress_cert)" &&
	before=$(entries $C2) &&
	sl env ${E}_SERVICE_LOG__EVENT_FILTER="likelihood >= likelihoodThreshold && impact >= impactThreshold && severity >= severityThreshold && totalRisk >= totalRiskThreshold" \
		${E}_SERVICE_LOG__LIKELIHOOD_THRESHOLD=3 ${E}_SERVICE_LOG__IMPACT_THRESHOLD=3 \
		${E}_SERVICE_LOG__SEVERITY_THRESHOLD=0 ${E}_SERVICE_LOG__TOTAL_RISK_THRESHOLD=4 \
		${E}_SERVICE_LOG__TAG_FILTER_ENABLED=true \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	test "$(entries $C2)" = $((before + 1)) &&
	stub_requests SL | tail -1 | grep -F "ETCD_NO_BACKUP"
'

test_expect_success 'a failing stage: differ 64 exits 1, kafka-emitter 78 and 69 exit 5, db-writer -r 3' '
	kafka env ${E}_KAFKA_BROKER__COOLDOWN=bogus $S -ignore-disabled-rules -instant-reports >out; test $? = 1 &&
	kafka env ${E}_KAFKA_BROKER__SECURITY_PROTOCOL=SASL_PLAINTEXT \
		${E}_KAFKA_BROKER__SASL_USERNAME=user8100 ${E}_KAFKA_BROKER__SASL_PASSWORD=sasl-pass-Xq9 \
		${E}_KAFKA_BROKER__SASL_MECHANISM=BOGUS $S -ignore-disabled-rules -instant-reports >out 2>err; test $? = 5 &&
	msg out "Couldn'"'"'t initialize Kafka producer with the provided config." &&
	grep "Unsupported SASL mechanism" out &&
	! grep sasl-pass-Xq9 out err &&
	kafka env ${E}_KAFKA_BROKER__SECURITY_PROTOCOL=SSL \
		${E}_KAFKA_BROKER__CERT_PATH=/nonexistent/ca.pem $S -ignore-disabled-rules -instant-reports >out; test $? = 5 &&
	grep "\"stage\":\"kafka-emitter\".*ssl.ca.location" out &&
	insert 7 $C2 "$(report demo_nodes_memory)" &&
	kafka env ${E}_KAFKA_BROKER__ADDRESSES=127.0.0.1:1 ${E}_KAFKA_BROKER__TIMEOUT=1s \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 5 &&
	msg out "Couldn'"'"'t send notification message to kafka topic." &&
	test "$(sql "SELECT state FROM reported WHERE org_id = 7")" = 4 &&
	kafka env CCX_SPOOL_DIR=/proc/no/such/dir $S -ignore-disabled-rules -instant-reports >out; test $? = 3 &&
	grep "\"stage\":\"db-writer\"" out &&
	grep "\"level\":\"error\",\"error\":\".*\"message\":\"Write notification record failed\"" out
'

test_expect_success 'an event filter dividing by zero: Evaluation error, the item not notified' '
	insert 10 $C3 "$(report demo_nodes_memory demo_etcd_backup)" &&
	kafka env ${E}_KAFKA_BROKER__EVENT_FILTER="totalRisk / (likelihood - likelihood) > 0" \
		$S -ignore-disabled-rules -instant-reports >out &&
	n=$(grep -c "\"level\":\"error\",\"error\":\"division by zero in the event filter\",.*\"message\":\"Evaluation error\"" out) &&
	test "$n" -ge 2 &&
	grep "\"stage\":\"differ\",.*\"message\":\"0 undecodable baselines, $n items skipped on a division by zero" out &&
	test "$(sql "SELECT state FROM reported WHERE org_id = 10")" = 2
'

test_expect_success 'print and cleanup: records, Rows deleted, exit 0; failures exit 8' '
	sql "INSERT INTO new_reports VALUES (11, 12, '"'$CP'"', '"'{}'"', '"'1990-01-01 10:00:00'"', 5)" &&
	$S -print-new-reports-for-cleanup -max-age "8 days" >out &&
	msg out "PrintReportsForCleanup operation" &&
	grep "\"Organization ID\":11,\"Account number\":12,\"Cluster name\":\"$CP\",\"Updated at\":\"1990-01-01T10:00:00Z\",\"Age\":.*\"message\":\"Old report from \`new_reports\` table\"" out &&
	$S -new-reports-cleanup >out &&
	grep "\"max age\":\"90 days\"" out &&
	msg out "Cleanup operation for all organizations" &&
	grep "\"Rows deleted\":1,.*\"message\":\"Cleanup \`new_reports\` finished\"" out &&
	$S -print-old-reports-for-cleanup -old-reports-cleanup >out &&
	msg out "PrintReportsForCleanup operation" &&
	! msg out "Cleanup operation for all organizations" &&
	test_expect_code 8 $S -new-reports-cleanup -max-age bogus >out &&
	msg out "Cleanup records from \`new_reports\` table failed" &&
	test_expect_code 8 $S -print-old-reports-for-cleanup -max-age bogus >out &&
	msg out "Print records from \`reported\` table prepared for cleanup failed" &&
	kafka $S -ignore-disabled-rules -instant-reports -cleanup-on-startup -max-age bogus >out; test $? = 8 &&
	! msg out "Differ started" &&
	kafka $S -ignore-disabled-rules -instant-reports -cleanup-on-startup -max-age "1000 years" >out &&
	grep "\"Rows deleted\":0,.*\"message\":\"Cleanup \`reported\` finished\"" out &&
	msg out "Differ started"
'

# shims DIR: db-writer, kafka-emitter and differ in DIR that write their
# command line to DIR/starts when they start, then run the real program;
# db-writer first sleeps SLOW_W seconds when it is set (a database slow to
# answer) and writes "db-writer goes on".
shims() {
	mkdir -p "$1" &&
	for p in db-writer kafka-emitter differ; do
		real=$(command -v $p) &&
		cat >"$1/$p" <<-EOF &&
		#!/bin/sh
		echo "$p \$*" >>"$1/starts"
		if test $p = db-writer && test -n "\${SLOW_W:-}"; then
			sleep "\$SLOW_W"
			echo "db-writer goes on" >>"$1/starts"
		fi
		if test $p = differ; then
			# its go-ahead (stdin, --go-fd 0), noted, then passed on
			test -n "\$(head -c 1)" || exec "$real" "\$@" </dev/null
			echo "differ goes on" >>"$1/starts"
			printf g | "$real" "\$@"
			exit
		fi
		exec "$real" "\$@"
		EOF
		chmod +x "$1/$p" || return 1
	done
}
# at WHAT: the line of shim/starts where WHAT (a stage's start, or "X goes
# on") was noted.
at() { grep -n "^$1\( \|\$\)" shim/starts | head -1 | cut -d: -f1; }

test_expect_success 'the three stages start side by side, differ decides once both others are ready' '
	shims shim &&
	insert 16 $C1 "$(report demo_ingress_cert)" &&
	before=$(messages | wc -l) &&
	kafka env PATH="$PWD/shim:$PATH" SLOW_W=1 $S -ignore-disabled-rules -instant-reports >out 2>err &&
	test "$(at kafka-emitter)" -lt "$(at "db-writer goes on")" &&
	test "$(at differ)" -lt "$(at "db-writer goes on")" &&
	test "$(at "db-writer goes on")" -lt "$(at "differ goes on")" &&
	test "$(messages | wc -l)" = $((before + 1)) &&
	grep -n "\"message\":\"\(Kafka producer ready\|Differ started\)\"" out | cut -d: -f1 >lines &&
	test_line_count = 2 lines &&
	test "$(head -1 lines)" -lt "$(tail -1 lines)"
'

test_expect_success 'the emitter writes its debug records only when they are logged' '
	rm -f shim/starts &&
	kafka env PATH="$PWD/shim:$PATH" ${E}_LOGGING__LOG_LEVEL=info \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	grep "^kafka-emitter " shim/starts &&
	! grep "^kafka-emitter .* -v " shim/starts &&
	rm shim/starts &&
	kafka env PATH="$PWD/shim:$PATH" ${E}_LOGGING__LOG_LEVEL=debug \
		$S -ignore-disabled-rules -instant-reports >out 2>err &&
	grep "^kafka-emitter .* -v " shim/starts
'

test_expect_success 'a stage failing at its start: the status and records of one after the other' '
	# db-writer -r fails, the sender beside it comes up: 3, nothing runs
	rm -f shim/starts &&
	kafka env PATH="$PWD/shim:$PATH" CCX_SPOOL_DIR=/proc/no/such/dir \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 3 &&
	grep "^kafka-emitter " shim/starts &&
	! grep "^differ goes on" shim/starts &&
	msg out "Operation failed" &&
	! msg out "Kafka producer ready" &&
	! msg out "Couldn'"'"'t initialize Kafka producer with the provided config." &&
	# the sender fails before a slow db-writer -r comes up: 5
	rm shim/starts &&
	kafka env PATH="$PWD/shim:$PATH" SLOW_W=1 ${E}_KAFKA_BROKER__SECURITY_PROTOCOL=SASL_PLAINTEXT \
		${E}_KAFKA_BROKER__SASL_MECHANISM=BOGUS $S -ignore-disabled-rules -instant-reports >out; test $? = 5 &&
	grep "^db-writer goes on" shim/starts &&
	! grep "^differ goes on" shim/starts &&
	msg out "Couldn'"'"'t initialize Kafka producer with the provided config." &&
	! msg out "Operation failed" &&
	# and when the slow db-writer -r then fails too: 3, its failure only
	stub_clear PGW &&
	kafka env PATH="$PWD/shim:$PATH" SLOW_W=1 CCX_SPOOL_DIR=/proc/no/such/dir \
		${E}_KAFKA_BROKER__SECURITY_PROTOCOL=SASL_PLAINTEXT ${E}_KAFKA_BROKER__SASL_MECHANISM=BOGUS \
		$PGWENV ${E}_METRICS__GATEWAY_URL="$PGW_URL" \
		$S -ignore-disabled-rules -instant-reports >out; test $? = 3 &&
	msg out "Operation failed" &&
	! msg out "Couldn'"'"'t initialize Kafka producer with the provided config." &&
	pushes PGW >body &&
	test_grep "^ccx_notification_service_to_notification_backend_producer_setup_errors 0$" body
'

test_expect_success 'SIGTERM goes to differ, then the service ends as killed by it' '
	stub_clear CS &&
	stub_control CS "{\"mode\": \"ok\", \"delay\": 5, \"count\": 1}" &&
	{ env ${E}_KAFKA_BROKER__ENABLED=true ${E}_KAFKA_BROKER__ADDRESSES="$BROKERS" \
		$S -ignore-disabled-rules -instant-reports >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	test_wait_for 20 msg_start out "Fetching rules content from" &&
	# differ asks for the content once its signal handlers are set
	test_wait_for 20 eval "stub_requests CS | grep -q /api/v1/content" &&
	kill -TERM $pid &&
	test_wait_for 30 eval "! kill -0 $pid 2>/dev/null" &&
	{ wait $pid; test $? = 143; } &&
	! pgrep -f "differ --log-format json -v -T notifications-backend -c $CS_URL" >/dev/null &&
	grep "\"stage\":\"differ\",.*terminated after" out
'

C4=5d5892d4-1f74-4ccf-91af-548dfc9767dd
test_expect_success 'copied alone, without PATH: it runs the programs it carries' '
	mkdir alone &&
	cp "$(command -v $S)" alone/ &&
	insert 21 $C4 "$(report demo_nodes_memory)" &&
	n0=$(messages | wc -l) &&
	kafka env PATH=/usr/bin:/bin ./alone/$S -ignore-disabled-rules -instant-reports >out 2>err &&
	! grep "unable to run" out err &&
	msg out "Process Clusters Entries: done" &&
	test "$(messages | wc -l)" = $((n0 + 1)) &&
	messages | tail -1 | grep -F "\"display_name\":\"$C4\"" &&
	test "$(sql "SELECT state FROM reported WHERE cluster = '"'$C4'"'")" = 1
'

test_done
