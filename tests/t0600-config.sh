#!/bin/sh
test_description='upstream configuration (COMPAT 3, 4): file, environment, conversion, Clowder, TOML, -show-configuration'
. ./test-lib.sh

CONF=$TEST_DIRECTORY/config
mkdir -p "$TRASH_DIRECTORY/tmp"

# cfg [NAME=VALUE...] helper config ARGS: in an environment of only PATH,
# TMPDIR and the given variables, as a front end would see them.
cfg() {
	env -i PATH="$PATH" TMPDIR="$TRASH_DIRECTORY/tmp" \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} "$@"
}

# conv TYPE-KEY VALUE: the writer's key after VALUE came from its variable,
# with the shipped config.toml in place (so that the key is known).
conv() {
	_v=$(printf '%s' "$1" | tr a-z. A-Z_ | sed 's/_/__/')
	cfg "CCX_NOTIFICATION_WRITER__$_v=$2" helper config -s writer \
		>conv.out 2>conv.err
	_s=$?
	if [ $_s = 0 ]; then
		grep "^$1=" conv.out
	else
		sed 's/^helper config: /error: /' conv.err
	fi
}

# zero_dump PROG: each key of the table (helper config -K) with its type's
# zero value, as a dump prints it.
zero_dump() {
	helper config -K "$1" | awk '{
		split($2, t, ",")
		z = t[1] == "bool" ? "false" : t[1] == "int" ? "0" : \
		    t[1] == "duration" ? "0s" : t[1] == "list" ? "[]" : ""
		print $1 "=" z
	}'
}

# The keys both shipped files have alike, as a dump prints them.
# storage_dump SECTION DB_NAME: a storage section.
storage_dump() {
	sed "s/^/$1./" <<-EOF
	db_driver=postgres
	pg_username=postgres
	pg_password=postgres
	pg_host=localhost
	pg_port=5432
	pg_db_name=$2
	pg_params=sslmode=disable
	log_sql_queries=true
	EOF
}

# logging_dump DEBUG: the logging section.
logging_dump() {
	cat <<-EOF
	logging.debug=$1
	logging.use_stderr=false
	logging.log_level=info
	logging.logging_to_cloud_watch_enabled=false
	logging.logging_to_sentry_enabled=false
	EOF
}

# cloudwatch_dump STREAM_NAME: the cloudwatch section.
cloudwatch_dump() {
	cat <<-EOF
	cloudwatch.aws_access_id=example-id
	cloudwatch.aws_secret_key=example-secret
	cloudwatch.aws_session_token=
	cloudwatch.aws_region=eu-west-1
	cloudwatch.log_group=example-group
	cloudwatch.stream_name=$1
	cloudwatch.debug=false
	EOF
}

# target_dump SECTION TOTAL_RISK: the thresholds and event filter of a
# notification target.
target_dump() {
	sed "s/^/$1./" <<-EOF
	likelihood_threshold=0
	impact_threshold=0
	severity_threshold=0
	total_risk_threshold=$2
	event_filter=totalRisk >= totalRiskThreshold
	EOF
}

test_expect_success 'no file: every key is zero, Clowder off (3.1)' '
	mkdir nofile &&
	for p in writer service; do
		(cd nofile && cfg helper config $p) >actual &&
		zero_dump $p >expect &&
		test_cmp expect actual || return 1
	done &&
	(cd nofile && cfg helper config -c writer) >actual &&
	echo "Clowder is disabled" >expect &&
	test_cmp expect actual
'

test_expect_success 'config.toml in the working directory: the writer values of 3.3' '
	mkdir w && cp "$CONF/writer.toml" w/config.toml &&
	(cd w && cfg helper config -s writer) >actual &&
	{
		cat <<-\EOF &&
		broker.addresses=localhost:9093,localhost:9092
		broker.security_protocol=PLAINTEXT
		broker.cert_path=
		broker.sasl_mechanism=not-used
		broker.sasl_username=not-used
		broker.sasl_password=not-used
		broker.topic=ccx.ocp.results
		broker.group=test-consumer-group
		broker.enabled=true
		broker.disable_api_versions_request=false
		EOF
		storage_dump storage notification &&
		logging_dump true &&
		cloudwatch_dump example-stream &&
		cat <<-\EOF
		sentry.dsn=
		sentry.environment=dev
		metrics.namespace=notification_writer
		metrics.address=:8080
		tracker.topic=platform.payload-status
		tracker.service_name=ccx-notification-writer
		EOF
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'config.toml in the working directory: the service values of 3.4' '
	mkdir s && cp "$CONF/service.toml" s/config.toml &&
	(cd s && cfg helper config -s service) >actual &&
	{
		logging_dump false &&
		cat <<-\EOF &&
		sentry.dsn=
		sentry.environment=dev
		EOF
		cloudwatch_dump "" &&
		storage_dump storage notification &&
		storage_dump aggregator_storage aggregator &&
		cat <<-\EOF &&
		kafka_broker.enabled=true
		kafka_broker.addresses=kafka:29092
		kafka_broker.security_protocol=PLAINTEXT
		kafka_broker.cert_path=not-set
		kafka_broker.sasl_mechanism=PLAIN
		kafka_broker.sasl_username=not-used
		kafka_broker.sasl_password=not-used
		kafka_broker.topic=platform.notifications.ingress
		kafka_broker.timeout=1m0s
		EOF
		target_dump kafka_broker 2 &&
		cat <<-\EOF &&
		kafka_broker.tag_filter_enabled=false
		kafka_broker.tags=[]
		kafka_broker.cooldown=1 week
		service_log.enabled=false
		service_log.client_id=a-service-id
		service_log.client_secret=a-secret
		service_log.created_by=service-account-ccx-notification-service
		service_log.username=insights-advisor
		service_log.token_url=
		service_log.url=https://api.openshift.com/api/service_logs/v1/cluster_logs/
		service_log.timeout=15s
		EOF
		target_dump service_log 0 &&
		cat <<-\EOF
		service_log.rule_details_uri=https://console.redhat.com/openshift/insights/advisor/recommendations/{module}|{error_key}
		service_log.tag_filter_enabled=true
		service_log.tags=["osd_customer"]
		service_log.cooldown=1 week
		dependencies.content_server=localhost:8082
		dependencies.content_endpoint=/api/v1/content
		dependencies.template_renderer_server=localhost:8083
		dependencies.template_renderer_endpoint=/v1/rendered_reports
		notifications.insights_advisor_url=https://console.redhat.com/openshift/insights/advisor/clusters/{cluster_id}
		notifications.cluster_details_uri=https://console.redhat.com/openshift/details/{cluster_id}#insights
		notifications.rule_details_uri=https://console.redhat.com/openshift/details/{cluster_id}/insights/{module}/{error_key}
		metrics.job_name=ccx_notification_service
		metrics.namespace=ccx_notification_service
		metrics.subsystem=to_notification_backend
		metrics.gateway_url=localhost:9091
		metrics.gateway_auth_token=
		metrics.retries=3
		metrics.retry_after=1m0s
		metrics.gateway_time_between_push=30s
		cleaner.max_age=90 days
		processing.filter_allowed_clusters=false
		processing.allowed_clusters=[]
		processing.filter_blocked_clusters=false
		processing.blocked_clusters=[]
		EOF
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'the key table describes the same values (its config.toml loads to them)' '
	for p in writer service; do
		mkdir t-$p &&
		helper config -T $p >t-$p/config.toml &&
		(cd t-$p && cfg helper config -s $p) >from-table &&
		(cd $(test $p = writer && echo w || echo s) &&
		 cfg helper config -s $p) >from-file &&
		grep -v "^cloudwatch\." from-file >expect &&
		grep -v "^cloudwatch\." from-table >actual &&
		test_cmp expect actual || return 1
	done &&
	helper config -K service >keys &&
	grep -Fx "service_log.client_secret string,secret \"a-secret\"" keys &&
	grep -Fx "kafka_broker.timeout duration \"60s\"" keys &&
	grep -Fx "aggregator_storage.pg_db_name string,unused \"aggregator\"" keys &&
	grep -Fx "processing.allowed_clusters list []" keys
'

test_expect_success 'a file overrides the zero values; unknown sections and keys are ignored' '
	mkdir partial &&
	cat >partial/config.toml <<-\EOF &&
	[broker]
	topic = "mine"
	address = "the old name, not a key"
	[unknown]
	x = [1, 2]
	[storage.extra]
	y = 1
	EOF
	(cd partial && cfg helper config writer) >out &&
	grep -Fx "broker.topic=mine" out &&
	grep -Fx "broker.addresses=" out &&
	grep -Fx "storage.pg_port=0" out
'

test_expect_success 'the variable names a file: its directory, base name, viper extension order (3.1)' '
	mkdir -p conf/d.json &&
	cat >conf/app.json <<-\EOF &&
	{"broker": {"topic": "from-json"}}
	EOF
	printf "[broker]\ntopic = \"from-toml\"\n" >conf/app.toml &&
	printf "[broker]\ntopic = \"d-toml\"\n" >conf/d.toml &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=conf/app.toml \
		helper config writer >out &&
	grep -Fx "broker.topic=from-json" out &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=$PWD/conf/app.whatever \
		helper config writer >out &&
	grep -Fx "broker.topic=from-json" out &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=conf/d \
		helper config writer >out &&
	grep -Fx "broker.topic=d-toml" out &&
	cfg CCX_NOTIFICATION_SERVICE_CONFIG_FILE=conf/app.toml \
		helper config writer >out &&
	grep -Fx "broker.topic=" out
'

test_expect_success 'a named file that is not there fails as viper does; an empty name too' '
	test_expect_code 1 cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=conf/nothere.toml \
		helper config writer 2>err &&
	echo "helper config: Config File \"nothere\" Not Found in \"[$PWD/conf]\"" >expect &&
	test_cmp expect err &&
	test_expect_code 1 cfg CCX_NOTIFICATION_SERVICE_CONFIG_FILE=/no/such/dir/../config.toml \
		helper config service 2>err &&
	echo "helper config: Config File \"config\" Not Found in \"[/no/such]\"" >expect &&
	test_cmp expect err &&
	(cd nofile && test_expect_code 1 cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE= \
		helper config writer 2>../err) &&
	echo "helper config: Config File \"\" Not Found in \"[$PWD/nofile]\"" >expect &&
	test_cmp expect err
'

test_expect_success 'formats other than TOML, JSON and YAML are refused, not skipped' '
	mkdir props && echo "broker.topic=x" >props/config.properties &&
	(cd props && test_expect_code 1 cfg helper config writer 2>../err) &&
	grep "config.properties: the properties format is not supported, only toml, json and yaml" err
'

# to_yaml: the TOML of tests/config (tables, "key = value" lines, values
# that YAML reads alike) as YAML.
to_yaml() {
	sed -e "s/^\[\(.*\)\]\$/\1:/" -e "s/^\([a-z_]*\) = /  \1: /" "$@"
}

test_expect_success 'YAML: the shipped configurations load to the same values as TOML (3.1)' '
	for p in writer service; do
		mkdir y-$p &&
		to_yaml "$CONF/$p.toml" >y-$p/config.yaml &&
		(cd y-$p && cfg helper config -s -v $p) >actual &&
		(cd $(test $p = writer && echo w || echo s) &&
		 cfg helper config -s -v $p) >expect &&
		test_cmp expect actual || return 1
	done &&
	grep -Fx "storage.pg_port=5432 [file] known" actual &&
	grep -Fx "service_log.tags=[\"osd_customer\"] [file] known" actual
'

test_expect_success 'YAML: found by the variable'"'"'s base name after json and toml, before yml' '
	mkdir -p yconf &&
	printf "broker:\n  topic: from-yml\n" >yconf/app.yml &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=$PWD/yconf/app.toml \
		helper config writer >out &&
	grep -Fx "broker.topic=from-yml" out &&
	printf "broker:\n  topic: from-yaml\n" >yconf/app.yaml &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=$PWD/yconf/app.toml \
		helper config writer >out &&
	grep -Fx "broker.topic=from-yaml" out &&
	printf "[broker]\ntopic = \"from-toml\"\n" >yconf/app.toml &&
	cfg CCX_NOTIFICATION_WRITER_CONFIG_FILE=$PWD/yconf/app.yaml \
		helper config writer >out &&
	grep -Fx "broker.topic=from-toml" out
'

test_expect_success 'YAML: names are case-insensitive; known keys only take variables (3.1)' '
	mkdir ycase &&
	cat >ycase/config.yaml <<-\EOF &&
	Broker:
	  Topic: t1
	  GROUP: g
	STORAGE: {pg_HOST: h}
	unknown: [1, {x: y}]
	EOF
	(cd ycase && cfg CCX_NOTIFICATION_WRITER__BROKER__TOPIC=t2 \
		CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=not-in-the-file \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST=h2 \
		helper config -v writer) >out &&
	grep -Fx "broker.topic=t2 [env] known" out &&
	grep -Fx "broker.group=g [file] known" out &&
	grep -Fx "storage.pg_host=h2 [env] known" out &&
	grep -Fx "broker.addresses= [zero]" out &&
	printf "broker:\n  topic: a\n  TOPIC: b\n" >ycase/config.yaml &&
	(cd ycase && test_expect_code 1 cfg helper config writer 2>../err) &&
	grep "broker.topic given twice" err
'

test_expect_success 'YAML: scalars resolve as yaml.v3 does, then convert as from TOML (3.2)' '
	mkdir yweak &&
	cat >yweak/config.yaml <<-\EOF &&
	kafka_broker:
	  enabled: True
	  addresses: yes
	  topic: 1_000
	  timeout: 1500
	  likelihood_threshold: 0x10
	  impact_threshold: 017
	  severity_threshold: 2.9
	  total_risk_threshold: "3"
	  tags: [~, "", a, " b", 08, 1e3, .5, -.inf, off, 0o17, !!str 12, !!float 2, false]
	  cooldown: 1 week
	  event_filter: |
	    totalRisk >= 2
	service_log:
	  enabled: "F"
	  timeout: 90s
	  tags: "x,y"
	  likelihood_threshold:
	processing:
	  allowed_clusters: 7
	EOF
	(cd yweak && cfg helper config service) >out &&
	grep -Fx "kafka_broker.enabled=true" out &&
	grep -Fx "kafka_broker.addresses=yes" out &&
	grep -Fx "kafka_broker.topic=1000" out &&
	grep -Fx "kafka_broker.timeout=1.5µs" out &&
	grep -Fx "kafka_broker.likelihood_threshold=16" out &&
	grep -Fx "kafka_broker.impact_threshold=15" out &&
	grep -Fx "kafka_broker.severity_threshold=2" out &&
	grep -Fx "kafka_broker.total_risk_threshold=3" out &&
	grep -Fx "kafka_broker.tags=[\"\",\"\",\"a\",\" b\",\"8\",\"1000\",\"0.5\",\"-Inf\",\"off\",\"15\",\"12\",\"2\",\"0\"]" out &&
	grep -Fx "kafka_broker.cooldown=1 week" out &&
	grep -Fx "kafka_broker.event_filter=totalRisk >= 2\\n" out &&
	grep -Fx "service_log.enabled=false" out &&
	grep -Fx "service_log.timeout=1m30s" out &&
	grep -Fx "service_log.tags=[\"x\",\"y\"]" out &&
	grep -Fx "service_log.likelihood_threshold=0" out &&
	grep -Fx "processing.allowed_clusters=[\"7\"]" out
'

test_expect_success 'YAML: anchors, aliases and merge keys; the first document only' '
	mkdir yanchor &&
	cat >yanchor/config.yaml <<-\EOF &&
	%YAML 1.1
	---
	defaults: &pg
	  pg_host: db
	  pg_port: 5432
	more: &more {pg_port: 1, pg_db_name: notification}
	storage:
	  <<: [*pg, *more]
	  pg_host: mine
	aggregator_storage: *pg
	...
	---
	storage: [this document is not read
	EOF
	(cd yanchor && cfg helper config service) >out &&
	grep -Fx "storage.pg_host=mine" out &&
	grep -Fx "storage.pg_port=5432" out &&
	grep -Fx "storage.pg_db_name=notification" out &&
	grep -Fx "aggregator_storage.pg_host=db" out
'

test_expect_success 'YAML: what does not load fails with the file, line and column' '
	mkdir ybad &&
	while IFS="|" read -r in want; do
		printf "$in" >ybad/config.yaml &&
		(cd ybad && test_expect_code 1 cfg helper config service 2>../err) &&
		echo "helper config: $want" >expect &&
		test_cmp expect err || return 1
	done <<-\EOF
	storage:\n  pg_port: 1\n  pg_port: 2\n|./config.yaml: line 3, column 3: mapping key "pg_port" already defined
	storage: [1\n|./config.yaml: line 2, column 1: did not find expected '"'"','"'"' or '"'"']'"'"'
	 - storage\n|./config.yaml: line 1, column 2: the document is not a mapping
	storage: *nothing\n|./config.yaml: line 1, column 10: unknown anchor '"'"'nothing'"'"'
	storage:\n  ? [pg_port]\n  : 1\n|./config.yaml: line 2, column 5: a mapping key must be a scalar
	storage:\n  pg_host: 2024-01-02\n|./config.yaml: line 2, column 12: dates and times are not supported
	storage:\n  pg_port: !!int abc\n|./config.yaml: line 2, column 12: a scalar tagged tag:yaml.org,2002:int is not of that type
	storage:\n  pg_port: !!binary AAAA\n|./config.yaml: line 2, column 12: the tag tag:yaml.org,2002:binary is not supported
	storage:\n  <<: 1\n|./config.yaml: line 2, column 7: a merge key needs a mapping or a sequence of mappings
	storage:\n  pg_host: "a\\0b"\n|storage.pg_host: a string cannot contain NUL
	storage:\n  pg_host: \377\n|./config.yaml: line 2, column 12: invalid leading UTF-8 octet
	storage:\n\tpg_port: 1\n|./config.yaml: line 2, column 1: found character that cannot start any token
	storage: 5\n|storage: expected a table, not a value
	storage:\n  pg_port: [1]\n|storage.pg_port: expected a integer, not an array
	EOF
'

test_expect_success 'JSON file: numbers are floats to the conversion, as encoding/json makes them' '
	mkdir j &&
	cat >j/config.json <<-\EOF &&
	{"storage": {"pg_port": 5432.9, "pg_host": 12, "log_sql_queries": 1,
	  "pg_db_name": 1e21, "pg_username": true},
	 "broker": {"enabled": "T", "topic": null, "group": 0.5}}
	EOF
	(cd j && cfg helper config writer) >out &&
	grep -Fx "storage.pg_port=5432" out &&
	grep -Fx "storage.pg_host=12" out &&
	grep -Fx "storage.log_sql_queries=true" out &&
	grep -Fx "storage.pg_db_name=1000000000000000000000" out &&
	grep -Fx "storage.pg_username=1" out &&
	grep -Fx "broker.enabled=true" out &&
	grep -Fx "broker.topic=" out &&
	grep -Fx "broker.group=0.5" out
'

test_expect_success 'names are case-insensitive in the file; two spellings of one name fail' '
	mkdir case &&
	printf "[Broker]\nTopic = \"t1\"\nGROUP = \"g\"\n" >case/config.toml &&
	(cd case && cfg CCX_NOTIFICATION_WRITER__BROKER__TOPIC=t2 \
		helper config writer) >out &&
	grep -Fx "broker.topic=t2" out &&
	grep -Fx "broker.group=g" out &&
	printf "[broker]\ntopic = \"a\"\nTOPIC = \"b\"\n" >case/config.toml &&
	(cd case && test_expect_code 1 cfg helper config writer 2>../err) &&
	grep "broker.topic given twice" err &&
	printf "[broker]\n[BROKER]\n" >case/config.toml &&
	(cd case && test_expect_code 1 cfg helper config writer 2>../err) &&
	grep "section broker given twice" err
'

test_expect_success 'the environment overrides the file, exact names only (3.1)' '
	(cd w && cfg CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=k1:9092,k2:9092 \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_PASSWORD=pw-from-env \
		CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=:9999 \
		ccx_notification_writer__broker__topic=lower-case \
		CCX_NOTIFICATION_WRITER_BROKER_GROUP=one-underscore \
		CCX_NOTIFICATION_WRITER__BROKER__GROUP= \
		CCX_NOTIFICATION_SERVICE__BROKER__ENABLED=false \
		helper config -s -v writer) >out &&
	grep -Fx "broker.addresses=k1:9092,k2:9092 [env] known" out &&
	grep -Fx "storage.pg_password=pw-from-env [env] known" out &&
	grep -Fx "metrics.address=:9999 [env] known" out &&
	grep -Fx "broker.topic=ccx.ocp.results [file] known" out &&
	grep -Fx "broker.group=test-consumer-group [file] known" out &&
	grep -Fx "broker.enabled=true [file] known" out
'

test_expect_success 'with a file only the keys in it take variables; without one all but the lists (3.1)' '
	(cd w && cfg CCX_NOTIFICATION_WRITER__BROKER__CERT_PATH=/ca.pem \
		CCX_NOTIFICATION_WRITER__LOGGING__USE_STDERR=true \
		CCX_NOTIFICATION_WRITER__BROKER__ADDRESS=old:1 \
		CCX_NOTIFICATION_WRITER__LOGGING__LEVEL=debug \
		helper config -v writer) >out &&
	grep -Fx "broker.cert_path= [zero]" out &&
	grep -Fx "logging.use_stderr=false [zero]" out &&
	grep -Fx "logging.log_level=info [file] known" out &&
	(cd nofile && cfg CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TAGS=a,b \
		CCX_NOTIFICATION_SERVICE__SERVICE_LOG__TAGS=osd_customer \
		CCX_NOTIFICATION_SERVICE__PROCESSING__ALLOWED_CLUSTERS=c1 \
		CCX_NOTIFICATION_SERVICE__PROCESSING__BLOCKED_CLUSTERS=c2 \
		CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TOPIC=t \
		CCX_NOTIFICATION_SERVICE__METRICS__ADDRESS=:1 \
		CCX_NOTIFICATION_SERVICE__LOGGING__USE_STDERR=1 \
		helper config -v service) >out &&
	grep -Fx "kafka_broker.tags=[] [zero]" out &&
	grep -Fx "service_log.tags=[] [zero]" out &&
	grep -Fx "processing.allowed_clusters=[] [zero]" out &&
	grep -Fx "processing.blocked_clusters=[] [zero]" out &&
	grep -Fx "kafka_broker.topic=t [env] known" out &&
	grep -Fx "logging.use_stderr=true [env] known" out &&
	test_must_fail grep "^metrics.address" out &&
	(cd s && cfg CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TAGS="a, b" \
		helper config service) >out &&
	grep -Fx "kafka_broker.tags=[\"a\",\" b\"]" out
'

test_expect_success 'a value of the file that would not convert is harmless under a variable' '
	mkdir override &&
	printf "[storage]\npg_port = \"not a number\"\n" >override/config.toml &&
	(cd override && test_expect_code 1 cfg helper config writer 2>../err) &&
	grep "storage.pg_port: \"not a number\" is not an integer" err &&
	(cd override && cfg CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT=6543 \
		helper config writer) >out &&
	grep -Fx "storage.pg_port=6543" out
'

test_expect_success 'value conversion from a variable (3.2)' '
	trues="1 t T TRUE true True" falses="0 f F FALSE false False" &&
	cd w &&
	for v in $trues $falses maybe yes tRUE " true"; do
		echo "[$v] $(conv broker.enabled "$v")" || return 1
	done >../actual &&
	for v in 5433 +12 -7 0x1F 0X1f 0o17 017 0b101 08 0x 1_000 0x_1F 0_17 1__0 _1 1_ \
		9223372036854775807 9223372036854775808 -9223372036854775808 " 12" 12a; do
		echo "[$v] $(conv storage.pg_port "$v")" || return 1
	done >>../actual &&
	for v in " spaced " "a,b" "x=y&z"; do
		echo "[$v] $(conv broker.topic "$v")" || return 1
	done >>../actual &&
	cd .. &&
	for v in $trues; do
		echo "[$v] broker.enabled=true"
	done >expect &&
	for v in $falses; do
		echo "[$v] broker.enabled=false"
	done >>expect &&
	cat >>expect <<-\EOF &&
	[maybe] error: CCX_NOTIFICATION_WRITER__BROKER__ENABLED: "maybe" is not a boolean
	[yes] error: CCX_NOTIFICATION_WRITER__BROKER__ENABLED: "yes" is not a boolean
	[tRUE] error: CCX_NOTIFICATION_WRITER__BROKER__ENABLED: "tRUE" is not a boolean
	[ true] error: CCX_NOTIFICATION_WRITER__BROKER__ENABLED: " true" is not a boolean
	[5433] storage.pg_port=5433
	[+12] storage.pg_port=12
	[-7] storage.pg_port=-7
	[0x1F] storage.pg_port=31
	[0X1f] storage.pg_port=31
	[0o17] storage.pg_port=15
	[017] storage.pg_port=15
	[0b101] storage.pg_port=5
	[08] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "08" is not an integer: invalid syntax
	[0x] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "0x" is not an integer: invalid syntax
	[1_000] storage.pg_port=1000
	[0x_1F] storage.pg_port=31
	[0_17] storage.pg_port=15
	[1__0] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "1__0" is not an integer: invalid syntax
	[_1] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "_1" is not an integer: invalid syntax
	[1_] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "1_" is not an integer: invalid syntax
	[9223372036854775807] storage.pg_port=9223372036854775807
	[9223372036854775808] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "9223372036854775808" is not an integer: value out of range
	[-9223372036854775808] storage.pg_port=-9223372036854775808
	[ 12] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: " 12" is not an integer: invalid syntax
	[12a] error: CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT: "12a" is not an integer: invalid syntax
	[ spaced ] broker.topic= spaced 
	[a,b] broker.topic=a,b
	[x=y&z] broker.topic=x=y&z
	EOF
	test_cmp expect actual
'

test_expect_success 'durations and lists from variables (3.2)' '
	cd s &&
	for v in 60s 1m30s 1.5h 0 -2s 500ms 1us 1µs 1μs .5m 2562047h 30 1d 0s5 "" 1.5 2562048h; do
		echo "[$v] $(cfg CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT="$v" \
			helper config service 2>&1 | grep -E "^kafka_broker.timeout=|^helper")" ||
		return 1
	done >../actual &&
	for v in osd_customer "a, b" "[\"osd_customer\"]" ",x," ; do
		echo "[$v] $(cfg CCX_NOTIFICATION_SERVICE__SERVICE_LOG__TAGS="$v" \
			helper config service | grep "^service_log.tags=")" ||
		return 1
	done >>../actual &&
	cd .. &&
	cat >expect <<-\EOF &&
	[60s] kafka_broker.timeout=1m0s
	[1m30s] kafka_broker.timeout=1m30s
	[1.5h] kafka_broker.timeout=1h30m0s
	[0] kafka_broker.timeout=0s
	[-2s] kafka_broker.timeout=-2s
	[500ms] kafka_broker.timeout=500ms
	[1us] kafka_broker.timeout=1µs
	[1µs] kafka_broker.timeout=1µs
	[1μs] kafka_broker.timeout=1µs
	[.5m] kafka_broker.timeout=30s
	[2562047h] kafka_broker.timeout=2562047h0m0s
	[30] helper config: CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT: missing unit in duration "30"
	[1d] helper config: CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT: unknown unit "d" in duration "1d"
	[0s5] helper config: CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT: missing unit in duration "0s5"
	[] kafka_broker.timeout=1m0s
	[1.5] helper config: CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT: missing unit in duration "1.5"
	[2562048h] helper config: CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TIMEOUT: invalid duration "2562048h"
	[osd_customer] service_log.tags=["osd_customer"]
	[a, b] service_log.tags=["a"," b"]
	[["osd_customer"]] service_log.tags=["[\"osd_customer\"]"]
	[,x,] service_log.tags=["","x",""]
	EOF
	test_cmp expect actual
'

test_expect_success 'value conversion from the file: weakly typed, as viper decodes (3.2)' '
	mkdir weak &&
	cat >weak/config.toml <<-\EOF &&
	[kafka_broker]
	enabled = 1
	addresses = true
	topic = 1.0e2
	timeout = 1500
	total_risk_threshold = 2.9
	impact_threshold = "0x10"
	tags = "a,b"
	cooldown = ""
	[service_log]
	enabled = "F"
	timeout = "90s"
	tags = [1, "x", 0.25, false]
	likelihood_threshold = ""
	[processing]
	allowed_clusters = 7
	blocked_clusters = ""
	EOF
	(cd weak && cfg helper config service) >out &&
	grep -Fx "kafka_broker.enabled=true" out &&
	grep -Fx "kafka_broker.addresses=1" out &&
	grep -Fx "kafka_broker.topic=100" out &&
	grep -Fx "kafka_broker.timeout=1.5µs" out &&
	grep -Fx "kafka_broker.total_risk_threshold=2" out &&
	grep -Fx "kafka_broker.impact_threshold=16" out &&
	grep -Fx "kafka_broker.tags=[\"a\",\"b\"]" out &&
	grep -Fx "kafka_broker.cooldown=" out &&
	grep -Fx "service_log.enabled=false" out &&
	grep -Fx "service_log.timeout=1m30s" out &&
	grep -Fx "service_log.tags=[\"1\",\"x\",\"0.25\",\"0\"]" out &&
	grep -Fx "service_log.likelihood_threshold=0" out &&
	grep -Fx "processing.allowed_clusters=[\"7\"]" out &&
	grep -Fx "processing.blocked_clusters=[]" out
'

test_expect_success 'values of the file that do not convert fail the load' '
	for bad in "[storage]\npg_port = [1]" "[kafka_broker]\ntimeout = \"\"" \
		"[kafka_broker]\ntimeout = \"10\"" "[kafka_broker]\nenabled = \"on\"" \
		"[kafka_broker]\ntopic = []" "kafka_broker = 5" \
		"[storage]\npg_port = 1e300" "[storage.pg_port]\nx = 1" \
		"[kafka_broker]\ntopic = \"a\\\\u0000b\""; do
		printf "$bad\n" >weak/config.toml &&
		(cd weak && test_expect_code 1 cfg helper config service 2>>../errors) ||
		return 1
	done &&
	sed "s/^helper config: //" errors >actual &&
	cat >expect <<-\EOF &&
	storage.pg_port: expected a integer, not an array
	kafka_broker.timeout: invalid duration ""
	kafka_broker.timeout: missing unit in duration "10"
	kafka_broker.enabled: "on" is not a boolean
	kafka_broker.topic: expected a string, not an array
	kafka_broker: expected a table, not a value
	storage.pg_port: 1e+300 is out of the range of an integer
	storage.pg_port: expected a value, not a table
	kafka_broker.topic: a string cannot contain NUL
	EOF
	test_cmp expect actual
'

test_expect_success 'TOML syntax errors name the file, the line and the column' '
	mkdir bad &&
	printf "[broker]\ntopic = \"x\"\ngroup = \"unterminated\n" >bad/config.toml &&
	(cd bad && test_expect_code 1 cfg helper config writer 2>../err) &&
	echo "helper config: ./config.toml: line 3, column 9: unterminated string" >expect &&
	test_cmp expect err &&
	printf "[broker]\ntopic = \"x\"\ntopic = \"y\"\n" >bad/config.toml &&
	(cd bad && test_expect_code 1 cfg helper config writer 2>../err) &&
	echo "helper config: ./config.toml: line 3, column 1: broker.topic is defined twice" >expect &&
	test_cmp expect err
'

# toml_table FILE: FILE holds "INPUT => RESULT" lines, INPUT with printf
# escapes; each INPUT is parsed alone (helper config -t).
toml_table() {
	while IFS= read -r line; do
		in=${line% => *}
		printf "$in" >in.toml
		printf "%s => %s\n" "$in" "$(helper config -t in.toml)"
	done <"$1" >actual &&
	test_cmp "$1" actual
}

test_expect_success 'TOML: what configuration files use is read' '
	cat >table <<-\EOF &&
	# comment\n\n  a = 1  # trailing\n => {"a":1}
	a = "tab\\there \\"q\\" \\\\ \\u00e9 \\U0001F600" => {"a":"tab\there \"q\" \\ é 😀"}
	a = '"'"'C:\\\\path'"'"' => {"a":"C:\\\\path"}
	a = """\none\ntwo""" => {"a":"one\ntwo"}
	a = """\\\n    x \\\n    y""" => {"a":"x y"}
	a = """q""\\"""" => {"a":"q\"\"\""}
	a = '"'''"'\nraw \\n'"''''"' => {"a":"raw \\n'"'"'"}
	a = [ 1, 2, ]\nb = ["x", 1.5, true]\nc = [\n  1, # one\n  2\n] => {"a":[1,2],"b":["x",1.5f,true],"c":[1,2]}
	a = [] => {"a":[]}
	i = [+1, -0, 1_000, 0xdead_BEEF, 0o755, 0b1101] => {"i":[1,0,1000,3735928559,493,13]}
	f = [1.5, -2e-3, 6.02E23, 1_0.0_1, inf, -inf, +nan] => {"f":[1.5f,-0.002f,6.02e+23f,10.01f,inff,-inff,nanf]}
	t = true\nf = false => {"t":true,"f":false}
	[a.b]\nx = 1\n[a]\ny = 2 => {"a":{"b":{"x":1},"y":2}}
	[ a . "b.c" . '"'"'d'"'"' ]\nx = 1 => {"a":{"b.c":{"d":{"x":1}}}}
	[t]\np.q = 1\np.r = 2\n[t.p.s]\nx = 3 => {"t":{"p":{"q":1,"r":2,"s":{"x":3}}}}
	"" = 1\n"a b" = 2\n1234 = 3\n-_ = 4 => {"":1,"a b":2,"1234":3,"-_":4}
	a = 1\r\nb = 2\r\n => {"a":1,"b":2}
	EOF
	toml_table table
'

test_expect_success 'TOML: everything else fails with its line and column' '
	cat >table <<-\EOF &&
	a = 1\na = 2 => error: line 2, column 1: a is defined twice
	[a]\nx=1\n[a] => error: line 3, column 1: table [a] is defined twice
	a.b.c = 1\n[a.b] => error: line 2, column 1: table [a.b] was defined by dotted keys
	[a.b]\n[a]\nb.c = 1 => error: line 3, column 1: table a.b cannot be added to with dotted keys
	[s]\nx = 1\nx = 2 => error: line 3, column 1: s.x is defined twice
	[s]\nx.y = 1\nx.y = 2 => error: line 3, column 1: s.x.y is defined twice
	[s]\n"a.b" = 1\n'"'"'a.b'"'"' = 2 => error: line 3, column 1: s."a.b" is defined twice
	a = 1\n[a.b] => error: line 2, column 2: a is not a table
	a = 1\na.b = 2 => error: line 2, column 1: a is not a table
	a = {x = 1} => error: line 1, column 5: inline tables are not supported
	[[a]] => error: line 1, column 1: arrays of tables are not supported
	a = [[1]] => error: line 1, column 6: arrays of arrays are not supported
	a = 1979-05-27 => error: line 1, column 5: dates and times are not supported
	a = 07:32:00 => error: line 1, column 5: dates and times are not supported
	a = 9223372036854775808 => error: line 1, column 5: integer out of range
	a = 0x8000000000000000 => error: line 1, column 5: integer out of range
	a = 012 => error: line 1, column 5: leading zeros are not allowed
	a = 1__2 => error: line 1, column 5: invalid number
	a = +0x1 => error: line 1, column 5: invalid number
	a = 1e400 => error: line 1, column 5: float out of range
	a = .5 => error: line 1, column 5: invalid value
	a = yes => error: line 1, column 5: invalid value
	a = truex => error: line 1, column 5: invalid value
	a = 1 b = 2 => error: line 1, column 7: expected the end of the line
	a =\nb = 1 => error: line 1, column 4: expected a value
	a 1 => error: line 1, column 3: expected '"'"'='"'"' after a key
	= 1 => error: line 1, column 1: expected a key
	[a => error: line 1, column 3: expected '"'"']'"'"' after the table name
	a = "x\ny" => error: line 1, column 5: unterminated string
	a = """x => error: line 1, column 5: unterminated string
	a = "\\q" => error: line 1, column 6: invalid escape sequence
	a = "\\u12" => error: line 1, column 6: \u needs 4 hexadecimal digits
	a = "\\uD800" => error: line 1, column 6: escape of an invalid Unicode scalar value
	a = "\\x01" => error: line 1, column 6: invalid escape sequence
	a = "\001" => error: line 1, column 6: control character in a string
	a = '"'"'\177'"'"' => error: line 1, column 6: control character in a string
	a = 1 # \002 => error: line 1, column 9: control character in a comment
	a = "\377" => error: line 1, column 6: invalid UTF-8
	a = 1\rb = 2 => error: line 1, column 6: carriage return without a line feed
	"\\u0000" = 1 => error: line 1, column 1: a key cannot contain NUL
	a = [1, 2 => error: line 1, column 5: unterminated array
	a = [1 2] => error: line 1, column 8: expected '"'"','"'"' or '"'"']'"'"' in an array
	"""a""" = 1 => error: line 1, column 1: a multi-line string cannot be a key
	EOF
	toml_table table
'

test_expect_success 'a key of more than 64 parts is refused' '
	k=$(awk "BEGIN { for (i = 0; i < 65; i++) printf \"k.\"; }") &&
	printf "${k}x = 1\n" >deep.toml &&
	test_expect_code 1 helper config -t deep.toml >out &&
	grep "^error: line 1, column 129: a key has more than 64 parts" out
'

test_expect_success 'Clowder: database, brokers, SASL, CA and topics for the writer (4)' '
	(cd w && cfg ACG_CONFIG="$CONF/clowder.json" helper config -c writer) >actual &&
	cat >expect <<-\EOF &&
	Clowder is enabled
	kafka is configured to use authentication
	EOF
	test_cmp expect actual &&
	(cd w && cfg ACG_CONFIG="$CONF/clowder.json" \
		CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST=env-host \
		CCX_NOTIFICATION_WRITER__BROKER__GROUP=env-group \
		helper config -s -v writer) >out &&
	grep -v "\[zero\]" out | grep -v "\[file\]" >actual &&
	ca=$(sed -n "s/^broker.cert_path=\(.*\) \[clowder\]$/\1/p" out) &&
	case $ca in "$TRASH_DIRECTORY"/tmp/ccx-kafka-ca.*) ;; *) false ;; esac &&
	! test -e "$ca" &&
	sed "s|$ca|CA|" actual >actual.ca &&
	cat >expect <<-\EOF &&
	broker.addresses=kafka-0.clowder.svc:9093,kafka-1.clowder.svc:9094,kafka-2.clowder.svc [clowder] known
	broker.security_protocol=SASL_SSL [clowder] known
	broker.cert_path=CA [clowder]
	broker.sasl_mechanism=SCRAM-SHA-512 [clowder] known
	broker.sasl_username=clowder-kafka-user [clowder] known
	broker.sasl_password=clowder-kafka-secret [clowder] known
	broker.topic=env-ccx.ocp.results [clowder] known
	broker.group=env-group [env] known
	storage.pg_username=clowder-user [clowder] known
	storage.pg_password=clowder-db-secret [clowder] known
	storage.pg_host=db.clowder.svc [clowder] known
	storage.pg_port=5433 [clowder] known
	storage.pg_db_name=clowder-db [clowder] known
	EOF
	test_cmp expect actual.ca &&
	grep -Fx "storage.pg_params=sslmode=disable [file] known" out &&
	grep -Fx "tracker.topic=platform.payload-status [file] known" out
'

test_expect_success 'Clowder: the CA file is 0600, written whole, removed at exit' '
	(cd w && cfg ACG_CONFIG="$CONF/clowder.json" helper config -d writer) >out &&
	grep -Fx "ca_file mode=600 bytes=70" out &&
	ls tmp >left &&
	! test -s left
'

test_expect_success 'Clowder: the service reads the SASL security protocol, and its own topic' '
	(cd s && cfg ACG_CONFIG="$CONF/clowder.json" helper config -s -v service) >out &&
	grep -Fx "kafka_broker.security_protocol=SASL_PLAINTEXT [clowder] known" out &&
	grep -Fx "kafka_broker.topic=env-platform.notifications.ingress [clowder] known" out &&
	grep -Fx "kafka_broker.sasl_password=clowder-kafka-secret [clowder] known" out &&
	grep -Fx "aggregator_storage.pg_host=localhost [file] known" out &&
	grep -Fx "storage.pg_host=db.clowder.svc [clowder] known" out
'

# clowder NAME JSON-MEMBERS: a valid cdappconfig with the given members.
clowder() {
	printf "{\"metricsPort\": 9000, \"metricsPath\": \"/metrics\", \"logging\": {\"type\": \"null\"}%s}\n" "$2" >"$1"
}

test_expect_success 'Clowder: what it lacks is said on stdout, byte for byte (4)' '
	clowder min.json "" &&
	(cd w && cfg ACG_CONFIG=../min.json helper config -c writer) >actual &&
	printf "Clowder is enabled\nno Kafka configuration available in Clowder, using default one\nwarning: no storage section in Clowder config\n" >expect &&
	test_cmp expect actual &&
	clowder nobrokers.json ", \"kafka\": {\"brokers\": [], \"topics\": []}" &&
	(cd w && cfg ACG_CONFIG=../nobrokers.json helper config -c writer) >actual &&
	printf "Clowder is enabled\nwarning: no broker configurations found in clowder config\nwarning: no kafka mapping found for topic ccx.ocp.resultswarning: no storage section in Clowder config\n" >expect &&
	test_cmp expect actual &&
	clowder nosasl.json ", \"kafka\": {\"brokers\": [{\"hostname\": \"h\", \"port\": 1, \"authtype\": \"sasl\"}], \"topics\": [{\"requestedName\": \"x\", \"name\": \"y\"}]}" &&
	(cd w && cfg ACG_CONFIG=../nosasl.json helper config -c writer) >actual &&
	printf "Clowder is enabled\nkafka is configured to use authentication\nwarning: SASL configuration is missing\nwarning: no kafka mapping found for topic ccx.ocp.resultswarning: no storage section in Clowder config\n" >expect &&
	test_cmp expect actual &&
	(cd w && cfg ACG_CONFIG=../nosasl.json helper config -v writer) >out &&
	grep -Fx "broker.addresses=h:1 [clowder] known" out &&
	grep -Fx "broker.security_protocol=PLAINTEXT [file] known" out
'

test_expect_success 'Clowder: an invalid or missing file leaves it disabled, after its error' '
	clowder noport.json ", \"database\": {\"name\": \"n\", \"hostname\": \"h\", \"username\": \"u\", \"password\": \"p\", \"adminUsername\": \"a\", \"adminPassword\": \"b\", \"sslMode\": \"s\"}" &&
	echo "{\"metricsPath\": \"/m\", \"logging\": {\"type\": \"x\"}}" >noport2.json &&
	clowder mtls.json ", \"kafka\": {\"brokers\": [{\"hostname\": \"h\", \"authtype\": \"mtls\"}], \"topics\": []}" &&
	clowder badtype.json ", \"database\": {\"name\": \"n\", \"hostname\": \"h\", \"port\": \"5432\", \"username\": \"u\", \"password\": \"p\", \"adminUsername\": \"a\", \"adminPassword\": \"b\", \"sslMode\": \"s\"}" &&
	clowder nullhost.json ", \"kafka\": {\"brokers\": [null], \"topics\": []}" &&
	echo "{" >syntax.json &&
	for f in noport noport2 mtls badtype nullhost syntax missing; do
		(cd w && cfg ACG_CONFIG=../$f.json helper config -c writer) || return 1
	done >actual &&
	(cd w && cfg ACG_CONFIG= helper config -c writer) >>actual &&
	cat >expect <<-EOF &&
	field port in DatabaseConfig: required
	Clowder is disabled
	field metricsPort in AppConfig: required
	Clowder is disabled
	invalid value (expected one of []interface {}{"sasl"}): "mtls"
	Clowder is disabled
	json: cannot unmarshal string into Go struct field DatabaseConfig.port of type int
	Clowder is disabled
	field hostname in BrokerConfig: required
	Clowder is disabled
	unexpected end of JSON input at offset 2
	Clowder is disabled
	open ../missing.json: no such file or directory
	Clowder is disabled
	open : no such file or directory
	Clowder is disabled
	EOF
	test_cmp expect actual &&
	(cd w && cfg ACG_CONFIG=../noport.json helper config writer) >out &&
	grep -Fx "storage.pg_host=localhost" out
'

test_expect_success 'Clowder: the writer falls back to the SASL security protocol' '
	clowder fallback.json ", \"kafka\": {\"brokers\": [{\"hostname\": \"h\", \"authtype\": \"sasl\", \"sasl\": {\"securityProtocol\": \"SASL_SSL\"}}], \"topics\": []}" &&
	(cd w && cfg ACG_CONFIG=../fallback.json helper config -v writer) >out &&
	grep -Fx "broker.security_protocol=SASL_SSL [clowder] known" out &&
	grep -Fx "broker.sasl_username=not-used [file] known" out &&
	grep -Fx "broker.addresses=h [clowder] known" out
'

test_expect_success 'secrets never show: masked in the dump, absent from -show-configuration (3.6)' '
	mkdir sec && cp "$CONF/service.toml" sec/config.toml &&
	(cd sec && cfg ACG_CONFIG="$CONF/clowder.json" \
		CCX_NOTIFICATION_SERVICE__AGGREGATOR_STORAGE__PG_PASSWORD=agg-secret-1 \
		CCX_NOTIFICATION_SERVICE__SERVICE_LOG__CLIENT_SECRET=sl-secret-2 \
		CCX_NOTIFICATION_SERVICE__METRICS__GATEWAY_AUTH_TOKEN=token-secret-3 \
		CCX_NOTIFICATION_SERVICE__CLOUDWATCH__AWS_SECRET_KEY=aws-secret-4 \
		CCX_NOTIFICATION_SERVICE__SENTRY__DSN=https://key@sentry.example/5 \
		CCX_NOTIFICATION_SERVICE__SERVICE_LOG__CLIENT_ID=visible-client \
		sh -c "helper config service >dump && helper config -j service >show && helper config -d service >derived") &&
	for s in agg-secret-1 sl-secret-2 token-secret-3 aws-secret-4 sentry.example \
		clowder-db-secret clowder-kafka-secret clowder-kafka-user example-secret; do
		test_must_fail grep -F "$s" sec/show || return 1
	done &&
	for s in agg-secret-1 sl-secret-2 token-secret-3 aws-secret-4 sentry.example \
		clowder-db-secret clowder-kafka-secret; do
		test_must_fail grep -F "$s" sec/dump sec/derived || return 1
	done &&
	grep -Fx "service_log.client_secret=***" sec/dump &&
	grep -Fx "storage.password=***" sec/derived &&
	grep -F "\"ClientID\":\"visible-client\"" sec/show
'

test_expect_success '-show-configuration: the writer records, fields and types (3.6)' '
	(cd w && cfg helper config -j writer) | sed "s/\"time\":\"[^\"]*\",//" >actual &&
	cat >expect <<-\EOF &&
	{"level":"info","Broker addresses":"localhost:9093,localhost:9092","Security protocol":"PLAINTEXT","Cert path":"","Sasl mechanism":"not-used","Sasl username":"not-used","Topic":"ccx.ocp.results","Group":"test-consumer-group","Enabled":true,"message":"Broker configuration"}
	{"level":"info","Driver":"postgres","DB Name":"notification","Username":"postgres","Host":"localhost","Port":5432,"LogSQLQueries":true,"message":"Storage configuration"}
	{"level":"info","Level":"info","Pretty colored debug logging":true,"message":"Logging configuration"}
	{"level":"info","Namespace":"notification_writer","Address":":8080","message":"Metrics configuration"}
	EOF
	test_cmp expect actual
'

test_expect_success '-show-configuration: the service records, in upstream order (3.6)' '
	(cd s && cfg CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__IMPACT_THRESHOLD=3 \
		CCX_NOTIFICATION_SERVICE__SERVICE_LOG__IMPACT_THRESHOLD=9 \
		helper config -j service) | sed "s/\"time\":\"[^\"]*\",//" >out &&
	sed -n "s/.*\"message\":\"\([^\"]*\)\"}$/\1/p" out >actual &&
	cat >expect <<-\EOF &&
	Broker configuration
	ServiceLog configuration
	Storage configuration
	Aggregator storage configuration
	Dependencies configuration
	Logging configuration
	Notifications configuration
	Metrics configuration
	Processing configuration
	EOF
	test_cmp expect actual &&
	grep -F "\"Timeout\":\"1m0s\"" out &&
	grep -F "\"List of tags\":[\"osd_customer\"]" out &&
	grep -F "\"Impact threshold\":3,\"Severity threshold\":0,\"Total risk threshold\":0,\"CoolDown\":\"1 week\"" out &&
	grep -F "\"Retries\":3,\"Retry after\":\"1m0s\",\"message\":\"Metrics configuration\"" out &&
	grep -F "\"DB Name\":\"aggregator\"" out &&
	grep -F "\"Parameters\":\"sslmode=disable\"" out &&
	grep -F "\"List of allowed clusters\":[]" out
'

test_expect_success 'derived: conninfo from pg_params, sslmode require by default (3.5)' '
	for p in "sslmode=disable" "connect_timeout=3" "connect_timeout=5&sslmode=verify-full&sslmode=disable" \
		"application_name=a+b%20c&sslrootcert=%2Fca.pem" "password=p%40ss&x" "a=1;b=2" \
		"bad%zz=1" "Host=x"; do
		(cd w && cfg CCX_NOTIFICATION_WRITER__STORAGE__PG_PARAMS="$p" \
			CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST="h o'"'"'s\\t" \
			helper config -s -d writer) | grep "^storage\." || return 1
	done >actual &&
	cat >expect <<-\EOF &&
	storage.conninfo=host='"'"'h o\'"'"'s\\t'"'"' port='"'"'5432'"'"' dbname='"'"'notification'"'"' user='"'"'postgres'"'"' sslmode='"'"'disable'"'"'
	storage.password=postgres
	storage.conninfo=host='"'"'h o\'"'"'s\\t'"'"' port='"'"'5432'"'"' dbname='"'"'notification'"'"' user='"'"'postgres'"'"' connect_timeout='"'"'3'"'"' sslmode='"'"'require'"'"'
	storage.password=postgres
	storage.conninfo=host='"'"'h o\'"'"'s\\t'"'"' port='"'"'5432'"'"' dbname='"'"'notification'"'"' user='"'"'postgres'"'"' connect_timeout='"'"'5'"'"' sslmode='"'"'verify-full'"'"'
	storage.password=postgres
	storage.conninfo=host='"'"'h o\'"'"'s\\t'"'"' port='"'"'5432'"'"' dbname='"'"'notification'"'"' user='"'"'postgres'"'"' application_name='"'"'a b c'"'"' sslrootcert='"'"'/ca.pem'"'"' sslmode='"'"'require'"'"'
	storage.password=postgres
	storage.conninfo=host='"'"'h o\'"'"'s\\t'"'"' port='"'"'5432'"'"' dbname='"'"'notification'"'"' user='"'"'postgres'"'"' x='"'"''"'"' sslmode='"'"'require'"'"'
	storage.password=p@ss
	storage.conninfo error: storage.pg_params: invalid semicolon separator in query
	storage.conninfo error: storage.pg_params: invalid URL escape
	storage.conninfo error: storage.pg_params: "Host" is not a connection keyword
	EOF
	test_cmp expect actual
'

test_expect_success 'derived: librdkafka properties by security protocol (3.5)' '
	while IFS="|" read -r sp protocol; do
		echo "prop security.protocol=$protocol" >expect &&
		case $protocol in
		sasl_*)
			printf "prop %s\n" sasl.mechanism=SCRAM-SHA-512 \
				sasl.username=not-used "sasl.password=***" >>expect
		esac &&
		for cp in "" /ca.pem; do
			(cd w && cfg CCX_NOTIFICATION_WRITER__BROKER__SECURITY_PROTOCOL=$sp \
				CCX_NOTIFICATION_WRITER__BROKER__CERT_PATH=$cp \
				CCX_NOTIFICATION_WRITER__BROKER__SASL_MECHANISM=scram-sha-512 \
				helper config -d writer) | grep "^prop" >actual &&
			test_cmp expect actual || return 1
		done
	done <<-\EOF
	PLAINTEXT|plaintext
	plaintext|plaintext
	SSL|ssl
	SASL_SSL|sasl_ssl
	SASL_PLAINTEXT|sasl_plaintext
	sasl_ssl|plaintext
	SSL_X|ssl
	EOF
'

test_expect_success 'derived: only SSL with a cert path uses that CA; empty mechanism is PLAIN' '
	mkdir ssl && printf "[broker]\nsecurity_protocol = \"SSL\"\ncert_path = \"/ca.pem\"\n" >ssl/config.toml &&
	(cd ssl && cfg helper config -d writer) | grep "^prop" >actual &&
	printf "prop security.protocol=ssl\nprop ssl.ca.location=/ca.pem\n" >expect &&
	test_cmp expect actual &&
	printf "[broker]\nsecurity_protocol = \"SASL_SSL\"\nsasl_password = \" pw\"\ndisable_api_versions_request = true\n" >ssl/config.toml &&
	(cd ssl && cfg helper config -d writer) | grep "^prop" >actual &&
	echo "props error: broker.sasl_password cannot be written to a librdkafka property file (a line break, or white space at an end)" >expect &&
	test_cmp expect actual &&
	printf "[broker]\nsecurity_protocol = \"SASL_SSL\"\nsasl_password = \"pw\"\ndisable_api_versions_request = true\n" >ssl/config.toml &&
	(cd ssl && cfg helper config -s -d writer) | grep "^prop" >actual &&
	cat >expect <<-\EOF &&
	prop security.protocol=sasl_ssl
	prop sasl.mechanism=PLAIN
	prop sasl.username=
	prop sasl.password=pw
	prop api.version.request=false
	EOF
	test_cmp expect actual
'

test_expect_success 'derived: content and renderer URLs (3.5)' '
	for v in "localhost:8083|/v1/rendered_reports" "unknown_url|rendered_reports" \
		"http://renderer:8000|v1/rendered_reports" "http://renderer:8000/base/|/v1//x/../rendered_reports/" \
		"HTTPS://r.example|/" "http://|x" ":8083|x" "http://r:80x|x" "a:b/c|x" \
		"http://r/p?q=1|x"; do
		(cd s && cfg CCX_NOTIFICATION_SERVICE__DEPENDENCIES__TEMPLATE_RENDERER_SERVER="${v%|*}" \
			CCX_NOTIFICATION_SERVICE__DEPENDENCIES__TEMPLATE_RENDERER_ENDPOINT="${v#*|}" \
			helper config -d service) | grep "^renderer" || return 1
	done >actual &&
	cat >expect <<-\EOF &&
	renderer unusable: Post "localhost:8083": unsupported protocol scheme "localhost"
	renderer unusable: Post "unknown_url/rendered_reports": unsupported protocol scheme ""
	renderer=http://renderer:8000 endpoint=v1/rendered_reports url=http://renderer:8000/v1/rendered_reports
	renderer=http://renderer:8000 endpoint=base/v1/rendered_reports url=http://renderer:8000/base/v1/rendered_reports
	renderer=https://r.example endpoint= url=https://r.example/
	renderer unusable: Post "http://x": http: no Host in request URL
	renderer error: parse ":8083": missing protocol scheme
	renderer error: parse "http://r:80x": invalid port ":80x" after host
	renderer unusable: Post "a:b/c": unsupported protocol scheme "a"
	renderer=http://r endpoint=p/x?q=1 url=http://r/p/x?q=1
	EOF
	test_cmp expect actual &&
	(cd s && cfg helper config -d service) >out &&
	grep -Fx "content_url=http://localhost:8082/api/v1/content" out &&
	(cd s && cfg CCX_NOTIFICATION_SERVICE__DEPENDENCIES__CONTENT_SERVER=https://c:1/api/ \
		helper config -d service) >out &&
	grep -Fx "content_url=https://c:1/api//api/v1/content" out
'

test_expect_success 'derived: log level, max age, event filter, disabled cooldowns' '
	for l in debug INFO " Warn " warning error fatal panic "" trace; do
		(cd w && cfg CCX_NOTIFICATION_WRITER__LOGGING__LOG_LEVEL="$l" \
			helper config -d writer) | sed -n "s/^log_level=//p" || return 1
	done | tr "\n" " " >actual &&
	printf "0 1 2 2 3 4 0 1 0 " >expect &&
	test_cmp expect actual &&
	(cd w && cfg helper config -d writer) | grep -Fx "max_age=7 days" &&
	(cd w && cfg helper config -d -m "8 days" writer) | grep -Fx "max_age=8 days" &&
	(cd s && cfg helper config -d service) | grep -Fx "max_age=90 days" &&
	(cd s && cfg CCX_NOTIFICATION_SERVICE__CLEANER__MAX_AGE=1w helper config -d service) |
		grep -Fx "max_age=1w" &&
	printf "[cleaner]\nmax_age = \"\"\n[kafka_broker]\ncooldown = \"0 days\"\n[service_log]\ncooldown = \" \"\nevent_filter = \"totalRisk > 1\"\n" >weak/config.toml &&
	(cd weak && cfg helper config -d service) >out &&
	grep -Fx "max_age=90 days" out &&
	grep -Fx "event_filter=totalRisk >= totalRiskThreshold|totalRisk > 1" out &&
	grep -Fx "cooldown_disabled=1|1" out &&
	(cd s && cfg helper config -d service) | grep -Fx "cooldown_disabled=0|0"
'

test_done
