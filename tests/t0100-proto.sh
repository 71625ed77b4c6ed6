#!/bin/sh

test_description='proto: the line schemas, their examples, and lines our shell helpers make'

. ./test-lib.sh
test_use records

PROTO=$TEST_DIRECTORY/../proto
TYPES="record ack deadletter candidate decision outcome"
command -v helper >/dev/null 2>&1 && test_set_prereq HELPER

# validate TYPE [FILE...]: every line of FILE (or stdin) is a valid TYPE.
validate() {
	_t=$1; shift
	python3 "$TEST_DIRECTORY"/jsonschema_lite.py "$PROTO/$_t.schema.json" "$@"
}

# each_must_fail TYPE FILE: every line of FILE, on its own, is rejected.
each_must_fail() {
	test -s "$2" &&
	python3 "$TEST_DIRECTORY"/jsonschema_lite.py --invalid \
		"$PROTO/$1.schema.json" "$2"
}

# The members a reader needs to acknowledge come first, in this order.
ID_PREFIX='^\{"topic":"[^"]*","partition":-?[0-9]+,"offset":-?[0-9]+[,}]'

test_expect_success PYTHON 'every schema loads and uses only supported keywords' '
	for t in $TYPES; do
		validate $t </dev/null || { echo "schema $t"; return 1; }
	done
'

test_expect_success 'every line type has 2 to 4 example lines' '
	for t in $TYPES; do
		n=$(wc -l <"$PROTO/examples/$t.jsonl") &&
		test "$n" -ge 2 && test "$n" -le 4 ||
		{ echo "examples/$t.jsonl has $n lines"; return 1; }
	done
'

for t in $TYPES; do
	test_expect_success PYTHON "examples/$t.jsonl is valid" "
		validate $t \"\$PROTO/examples/$t.jsonl\"
	"
done

test_expect_success 'record and ack examples start with topic, partition, offset' '
	cat "$PROTO"/examples/record.jsonl "$PROTO"/examples/ack.jsonl >lines &&
	grep -Ev "$ID_PREFIX" lines >bad;
	test_line_count = 0 bad
'

test_expect_success PYTHON 'broken record lines are rejected' '
	cat >broken <<-\EOF &&
	{"partition":0,"offset":1,"value":"x"}
	{"topic":"ccx.ocp.results","partition":0,"value":"x"}
	{"topic":"ccx.ocp.results","partition":0,"offset":"1","value":"x"}
	{"topic":"ccx.ocp.results","partition":0,"offset":1.5,"value":"x"}
	{"topic":"ccx.ocp.results","partition":0,"offset":1.0,"value":"x"}
	{"topic":"ccx.ocp.results","partition":-1,"offset":1,"value":"x"}
	{"topic":"ccx.ocp.results","partition":true,"offset":1,"value":"x"}
	{"topic":"","partition":0,"offset":1,"value":"x"}
	{"topic":"ccx.ocp.results","partition":0,"offset":1}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"value":"x","value_b64":"eA=="}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"value_b64":"not base64!"}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"value_b64":"eA="}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"value":{"OrgID":1}}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"timestamp":"2026-11-30","value":"x"}
	["ccx.ocp.results",0,1,"x"]
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"value":"x"
	{"topic":"ccx.ocp.results","partition":0,"offset":NaN,"value":"x"}

	EOF
	each_must_fail record broken
'

test_expect_success PYTHON 'broken ack lines are rejected' '
	cat >broken <<-\EOF &&
	{"topic":"ccx.ocp.results","partition":0,"offset":1}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"status":"ok"}
	{"topic":"ccx.ocp.results","partition":0,"offset":1,"status":"Stored"}
	{"topic":"ccx.ocp.results","offset":1,"status":"stored"}
	EOF
	each_must_fail ack broken
'

test_expect_success PYTHON 'broken deadletter lines are rejected' '
	cat >broken <<-\EOF &&
	{"id":1,"topic":"t","partition":0,"offset":1,"reason":"r","received_at":"2026-11-30 10:00:00","value":""}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"r","received_at":"2026-11-30T10:00:00Z","value":""}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"r","received_at":"2026-11-30 10:00:00.1234567","value":""}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"r","received_at":"2026-11-30 10:00:00"}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"r","received_at":"2026-11-30 10:00:00","value":null}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"Syntax Error","reason":"r","received_at":"2026-11-30 10:00:00","value":""}
	{"id":0,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"r","received_at":"2026-11-30 10:00:00","value":""}
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"syntax","reason":"","received_at":"2026-11-30 10:00:00","value":""}
	EOF
	each_must_fail deadletter broken
'

test_expect_success PYTHON 'broken candidate lines are rejected' '
	c=\"cluster\":\"3f2a9c1e-7b4d-4e0a-9c55-2d8e6b1f0a47\" &&
	cat >broken <<-EOF &&
	{"org_id":1,"account_number":2,$c,"updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":"{}","baseline":"{}","baseline_notified_at":null}
	{"org_id":1,"account_number":2,$c,"updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":"2026-11-30 09:00:00"}
	{"org_id":1,"account_number":2,$c,"updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":"{}"}
	{"org_id":2147483648,"account_number":2,$c,"updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":null}
	{"org_id":1,"account_number":2,$c,"updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":{"reports":[]},"baseline":null,"baseline_notified_at":null}
	{"org_id":1,"account_number":2,$c,"updated_at":"2026-13-30 10:00:00","kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":null}
	EOF
	each_must_fail candidate broken
'

test_expect_success PYTHON 'broken decision lines are rejected' '
	nb=\"target\":\"notifications-backend\" &&
	sl=\"target\":\"service-log\" &&
	com="\"org_id\":1,\"account_number\":2,\"cluster\":\"3f2a9c1e-7b4d-4e0a-9c55-2d8e6b1f0a47\",\"updated_at\":\"2026-11-30 10:00:00\",\"notified_at\":\"2026-11-30 10:05:00.000001\"" &&
	sed -n 1p "$PROTO/examples/decision.jsonl" >payload.line &&
	cat >broken <<-EOF &&
	{$nb,$com}
	{"target":"email",$com,"state":"same"}
	{$nb,$com,"state":"lower"}
	{$nb,$com,"state":"read_error"}
	{$sl,$com,"payload":{}}
	{$nb,$com,"issues":[{"item":0,"type":"rule","component":"c","key":"K","total_risk":2}],"content":[]}
	{$sl,$com,"issues":[],"content":[]}
	{$sl,$com,"issues":[{"item":-1,"type":"rule","component":"c","key":"K","total_risk":2}],"content":[]}
	{$sl,$com,"issues":[{"item":0,"type":"rule","component":"c","key":"K","total_risk":2}]}
	{$nb,"org_id":1,"cluster":"c","updated_at":"2026-11-30 10:00:00","notified_at":"2026-11-30 10:05:00","state":"same"}
	EOF
	sed "s/\"bundle\":\"openshift\"/\"bundle\":\"rhel\"/" payload.line >>broken &&
	sed "s/\"total_risk\":\"2\"/\"total_risk\":2/" payload.line >>broken &&
	sed "s/}\$/,\"state\":\"same\"}/" payload.line >>broken &&
	sed "s/\"timestamp\":\"[^\"]*\"/\"timestamp\":\"2026-11-30 10:03:00\"/" payload.line >>broken &&
	each_must_fail decision broken
'

test_expect_success PYTHON 'broken outcome lines are rejected' '
	com="\"target\":\"service-log\",\"org_id\":1,\"account_number\":2,\"cluster\":\"3f2a9c1e-7b4d-4e0a-9c55-2d8e6b1f0a47\",\"updated_at\":\"2026-11-30 10:00:00\"" &&
	cat >broken <<-EOF &&
	{$com,"state":"sent"}
	{$com,"notified_at":"2026-11-30 10:05:00","state":"error"}
	{$com,"notified_at":"2026-11-30 10:05:00","state":"lower"}
	{$com,"notified_at":"2026-11-30 10:05:00"}
	{$com,"notified_at":"2026-11-30 10:05:00","state":"sent","drop_items":[-1]}
	{$com,"notified_at":"2026-11-30 10:05:00","state":"sent","drop_items":"1"}
	{"state":"invalid","error":"not a JSON object"}
	{"state":"invalid","line":0,"error":"not a JSON object"}
	EOF
	each_must_fail outcome broken
'

test_expect_success PYTHON 'the validator refuses keywords it does not check' '
	echo "{\"type\":\"object\",\"additionalProperties\":false}" >strict.json &&
	echo "{}" >empty.jsonl &&
	test_expect_code 2 python3 "$TEST_DIRECTORY"/jsonschema_lite.py strict.json empty.jsonl 2>err &&
	test_grep additionalProperties err
'

test_expect_success PYTHON 'the validator tells true from 1 and an integer from a double' '
	echo "{\"const\":1}" >one.json &&
	printf "1\n1.0\n" >ok.jsonl &&
	python3 "$TEST_DIRECTORY"/jsonschema_lite.py one.json ok.jsonl &&
	echo true >bool.jsonl &&
	test_expect_code 1 python3 "$TEST_DIRECTORY"/jsonschema_lite.py one.json bool.jsonl &&
	echo "{\"type\":\"integer\"}" >int.json &&
	echo 7 >seven.jsonl &&
	python3 "$TEST_DIRECTORY"/jsonschema_lite.py int.json seven.jsonl &&
	echo 7.0 >double.jsonl &&
	test_expect_code 1 python3 "$TEST_DIRECTORY"/jsonschema_lite.py int.json double.jsonl &&
	cat double.jsonl seven.jsonl >mixed.jsonl &&
	test_expect_code 1 python3 "$TEST_DIRECTORY"/jsonschema_lite.py --invalid int.json mixed.jsonl >out &&
	test_grep "^mixed.jsonl:2: valid\$" out
'

test_expect_success PYTHON 'record_tombstone makes valid record lines' '
	record_tombstone ccx.ocp.results 0 42 >lines &&
	record_tombstone ccx.ocp.results 3 9223372036854775807 >>lines &&
	validate record lines &&
	grep -Ev "$ID_PREFIX" lines >bad;
	test_line_count = 0 bad
'

test_expect_success PYTHON,HELPER 'record_line makes valid record lines' '
	record_line ccx.ocp.results 0 7 \
		"$(sample_record 42 3f2a9c1e-7b4d-4e0a-9c55-2d8e6b1f0a47)" >lines &&
	record_line ccx.ocp.results 1 8 "not json, \"quoted\", a	tab" >>lines &&
	record_line ccx.ocp.results 1 9 "" >>lines &&
	test_line_count = 3 lines &&
	validate record lines &&
	grep -Ev "$ID_PREFIX" lines >bad;
	test_line_count = 0 bad
'

test_done
