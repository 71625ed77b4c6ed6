#!/bin/sh
test_description='kafka-emitter: one message per payload, outcomes in input order after the delivery report'
. ./test-lib.sh
test_use kafka

command -v kcat >/dev/null || skip_all 'kcat not installed'
mock_start -t basic:1 -t bad:1 -t num:1 -t term:1 -t bp:2 -t down:1 -t surr:1 ||
	skip_all 'the mock Kafka cluster cannot start'

# consume TOPIC [ARGS...]: every message of TOPIC, one a line.
consume() {
	_t=$1; shift
	timeout 20 kcat -C -b "$BROKERS" -t "$_t" -o beginning -e -q "$@"
}

# emit ARGS...: kafka-emitter on the mock cluster, with a deadline.
emit() { timeout 60 kafka-emitter -b "$BROKERS" "$@"; }

# running PID / has_lines N FILE: conditions for test_wait_for.
running() { kill -0 "$1" 2>/dev/null; }
stopped() { ! kill -0 "$1" 2>/dev/null; }
has_lines() { test "$(wc -l <"$2" 2>/dev/null || echo 0)" -ge "$1"; }

# emitter_start NAME: kafka-emitter -t basic --metrics-file NAME.prom in the
# background (pid; out, err), reading the fifo NAME.in that fd 8 writes to.
emitter_start() {
	mkfifo "$1.in" &&
	{ kafka-emitter -b "$BROKERS" -t basic --metrics-file "$1.prom" \
		<"$1.in" >out 2>err & } &&
	pid=$! &&
	exec 8>"$1.in"
}
# emitter_stop: it is still running; at the end of its input it exits 0.
emitter_stop() {
	running $pid &&
	exec 8>&- &&
	test_wait_for 20 stopped $pid &&
	wait $pid
}

# metric NAME FILE: the value of ccx_kafka_emitter_NAME in FILE.
metric() { sed -n "s/^ccx_kafka_emitter_$1 //p" "$2"; }

test_expect_success 'usage errors' '
	test_expect_code 64 kafka-emitter -b "$BROKERS" </dev/null &&
	test_expect_code 64 kafka-emitter -t basic </dev/null 2>err &&
	test_grep "no brokers" err &&
	test_expect_code 64 kafka-emitter -b "$BROKERS" -t basic extra </dev/null &&
	test_expect_code 64 kafka-emitter -b "$BROKERS" -t basic -Z </dev/null &&
	test_expect_code 64 kafka-emitter -b "$BROKERS" -t basic -n x </dev/null &&
	test_expect_code 64 kafka-emitter -b "$BROKERS" -t basic -n 7 </dev/null 2>err &&
	test_grep "readiness fd 7 is not open" err &&
	test_expect_code 64 kafka-emitter -b "$BROKERS" -t basic \
		--log-format xml </dev/null
'

test_expect_success 'a bad -X is a configuration error with librdkafka'"'"'s text' '
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-X no.such.property=1 </dev/null 2>err &&
	test_grep "No such configuration property: \"no.such.property\"" err &&
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-X linger.ms=abc </dev/null 2>err &&
	test_grep "Invalid value" err &&
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-X novalue </dev/null 2>err &&
	test_grep "expected key=value" err
'

test_expect_success 'acks other than all is refused while idempotence is on' '
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-X acks=1 </dev/null 2>err &&
	test_grep "acks" err &&
	test_grep "idempotence" err
'

test_expect_success 'a bad property file is a configuration error' '
	printf "# comment\n\nlinger.ms=5\nbogus.prop=1\n" >bad.properties &&
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-F bad.properties </dev/null 2>err &&
	test_grep "bad.properties:4: No such configuration property" err &&
	printf "hunter2\n" >secret.properties &&
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-F secret.properties </dev/null 2>err &&
	! grep hunter2 err &&
	test_expect_code 78 kafka-emitter -b "$BROKERS" -t basic \
		-F no-such-file </dev/null 2>err &&
	test_grep "no-such-file" err
'

test_expect_success 'secret property values are never logged' '
	test_expect_code 78 kafka-emitter -v -b "$BROKERS" -t basic \
		-X sasl.password=hunter2 -X ssl.key.password=hunter3 \
		-X no.such=1 </dev/null 2>err &&
	test_grep "sasl.password=(secret)" err &&
	! grep hunter err
'

test_expect_success 'bootstrap.servers from -X will do instead of -b' '
	timeout 60 kafka-emitter -t basic -X bootstrap.servers="$BROKERS" \
		</dev/null >out &&
	! test -s out
'

cat >decisions <<\EOF
{"cluster":"c1","org_id":"1","payload":{"bundle":"openshift","events":[{"metadata":{},"payload":{"rule_url":"https://console.example.com/a/b?first=x|y","total_risk":"3"}}],"context":{"display_name":"c1"}}}
{"cluster":"c2","org_id":"1","state":"same"}
{"cluster":"c3","org_id":"2","payload":{"text":"two\nlines é \"quoted\" a/b","n":1.50}}
{"cluster":"c4","org_id":"2"}
{"cluster":"c5","org_id":"3","updated_at":"2026-08-11 09:59:30.5","payload":{"empty":{},"list":[]}}
EOF

test_expect_success '3 payloads and 2 lines without: 3 records, 5 outcomes in order' '
	emit -t basic --metrics-file basic.prom <decisions >out 2>err &&
	cat >expect <<-\EOF &&
	{"cluster":"c1","org_id":"1","state":"sent"}
	{"cluster":"c2","org_id":"1","state":"same"}
	{"cluster":"c3","org_id":"2","state":"sent"}
	{"cluster":"c4","org_id":"2","state":"same"}
	{"cluster":"c5","org_id":"3","updated_at":"2026-08-11 09:59:30.5","state":"sent"}
	EOF
	test_cmp expect out
'

test_expect_success 'each record is the payload, compact, on one line, no key' '
	consume basic -f "%K|%s\n" >records &&
	test_line_count = 3 records &&
	sed -n "s/^{[^{]*\"payload\":\(.*\)}$/-1|\1/p" decisions >expect &&
	test_cmp expect records &&
	! grep "\\\\/" records
'

test_expect_success PYTHON 'each record parses to the same JSON value as the payload' '
	consume basic >values &&
	python3 -c "
import json, sys
want = [json.loads(l)[\"payload\"] for l in open(\"decisions\") if \"payload\" in json.loads(l)]
got = [json.loads(l) for l in open(\"values\")]
sys.exit(0 if want == got else 1)
"
'

test_expect_success '--metrics-file holds the counters' '
	cat >expect <<-\EOF &&
	ccx_kafka_emitter_lines_read 5
	ccx_kafka_emitter_messages_produced 3
	ccx_kafka_emitter_messages_delivered 3
	ccx_kafka_emitter_delivery_errors 0
	ccx_kafka_emitter_invalid_lines 0
	ccx_kafka_emitter_passed_through 2
	EOF
	grep -v "^#" basic.prom >actual &&
	test_cmp expect actual &&
	test_grep "^# TYPE ccx_kafka_emitter_lines_read counter$" basic.prom &&
	! test -e basic.prom.tmp
'

test_expect_success '--metrics-file is also written while running (every 10 s)' '
	emitter_start run &&
	printf "{\"c\":1}\n{\"c\":2}\n" >&8 &&
	test_wait_for 20 grep -q "^ccx_kafka_emitter_lines_read 2$" run.prom &&
	emitter_stop &&
	test "$(metric passed_through run.prom)" = 2
'

# The old code wrote every 10 s: 7 s tells the two apart.
test_expect_success '--metrics-file is current within seconds, also after a pause' '
	emitter_start fresh &&
	printf "%s\n" "{\"c\":1,\"payload\":{\"n\":1}}" "{\"c\":2}" >&8 &&
	test_wait_for 20 has_lines 2 out &&
	test_wait_for 7 grep -q "^ccx_kafka_emitter_messages_delivered 1$" fresh.prom &&
	test "$(metric lines_read fresh.prom)" = 2 &&
	test "$(metric passed_through fresh.prom)" = 1 &&
	printf "{\"c\":3,\"payload\":{\"n\":3}}\n" >&8 &&
	test_wait_for 20 has_lines 3 out &&
	test_wait_for 7 grep -q "^ccx_kafka_emitter_messages_delivered 2$" fresh.prom &&
	test "$(metric lines_read fresh.prom)" = 3 &&
	emitter_stop
'

test_expect_success 'nesting: as deep as json-c takes (31 containers) is sent, one more is invalid, whichever reader takes the line' '
	deep() { printf "{\"c\":%d,\"payload\":{\"a\":" $1; i=2; while [ $i -lt $1 ]; do printf "["; i=$((i + 1)); done
		printf 1; i=2; while [ $i -lt $1 ]; do printf "]"; i=$((i + 1)); done; printf "}}\n"; } &&
	{ deep 30 && deep 31 && deep 32 && deep 30 | sed "s/{\"a\"/{ \"a\"/"; } >input &&
	test_expect_code 65 emit -t deep <input >out 2>err &&
	cut -c1-60 out >actual &&
	cat >expect <<-\EOF &&
	{"c":30,"state":"sent"}
	{"c":31,"state":"sent"}
	{"state":"invalid","line":3,"error":"not a JSON object: nest
	{"c":30,"state":"sent"}
	EOF
	test_cmp expect actual &&
	consume deep >records &&
	test_line_count = 3 records
'

test_expect_success 'lines that are not JSON objects: outcome invalid, exit 65' '
	cat >input <<-\EOF &&
	{"cluster":"c1","payload":{"a":1}}
	not json
	{"cluster":"c3"}
	[1,2]
	{"cluster":"c5","payload":"text"}
	{"a":1} trailing
	{"cluster":"c7","payload":null}
	EOF
	test_expect_code 65 emit -t bad --metrics-file bad.prom <input >out 2>err &&
	cat >expect <<-\EOF &&
	{"cluster":"c1","state":"sent"}
	{"state":"invalid","line":2,"error":"not a JSON object: null expected at offset 1","input":"not json"}
	{"cluster":"c3","state":"same"}
	{"state":"invalid","line":4,"error":"not a JSON object: a JSON array","input":"[1,2]"}
	{"state":"invalid","line":5,"error":"payload is not a JSON object","input":"{\"cluster\":\"c5\",\"payload\":\"text\"}"}
	{"state":"invalid","line":6,"error":"not a JSON object: unexpected character at offset 8","input":"{\"a\":1} trailing"}
	{"cluster":"c7","state":"same"}
	EOF
	test_cmp expect out &&
	test_grep "line 2: not a JSON object" err &&
	test_grep "line 6: not a JSON object" err &&
	test "$(metric invalid_lines bad.prom)" = 4 &&
	test "$(metric lines_read bad.prom)" = 7 &&
	echo "{\"a\":1}" >expect &&
	consume bad >records &&
	test_cmp expect records
'

test_expect_success 'an over-long line is invalid with its line number' '
	{
		echo "{\"cluster\":\"c1\"}" &&
		head -c 67108865 /dev/zero | tr "\\000" a &&
		echo &&
		echo "{\"cluster\":\"c3\"}"
	} >long &&
	test_expect_code 65 emit -t bad <long >out 2>err &&
	test_line_count = 3 out &&
	sed -n 2p out >line2 &&
	test_grep "^{\"state\":\"invalid\",\"line\":2,\"error\":\"line too long (more than 67108864 bytes)\",\"input\":\"aaaa*\"}$" line2 &&
	test "$(wc -c <line2)" -lt 5000 &&
	test "$(sed -n 3p out)" = "{\"cluster\":\"c3\",\"state\":\"same\"}" &&
	test_grep "line 2: line too long" err
'

test_expect_success 'invalid UTF-8 is invalid input, echoed as valid JSON' '
	printf "{\"a\":\"\\377\"}\n" >input &&
	test_expect_code 65 emit -t bad <input >out &&
	test_grep "\"line\":1,\"error\":\"not a JSON object: invalid utf-8" out &&
	grep -q "\"input\":.*$(printf "\\357\\277\\275")" out
'

test_expect_success 'a line cut after half a surrogate pair leaves the next line as it is' '
	# json-c keeps a pending high surrogate across json_tokener_reset:
	# the next string with a \u escape got a U+FFFD that was never sent.
	printf "%s\n" "{\"cluster\":\"c8\", \"payload\":{\"t\":\"\\ud800" \
		"{\"cluster\":\"c9\", \"org_id\":\"1\", \"payload\":{\"t\":\"a\\u00e9b\"}}" >input &&
	test_expect_code 65 emit -t surr <input >out &&
	test_grep "\"cluster\":\"c9\",\"org_id\":\"1\",\"state\":\"sent\"" out &&
	consume surr >records &&
	printf "{\"t\":\"a\303\251b\"}\n" >expect &&
	test_cmp expect records
'

test_expect_success 'numbers are kept; integers beyond 64 bits are refused, not altered' '
	cat >input <<-\EOF &&
	{"c":1,"payload":{"u":18446744073709551615,"i":-9223372036854775808,"d":1e400,"f":0.10000000000000000555,"s":"99999999999999999999"}}
	{"c":2,"payload":{"n":18446744073709551616}}
	{"c":3,"n":-9223372036854775809}
	EOF
	test_expect_code 65 emit -t num <input >out &&
	cat >expect <<-\EOF &&
	{"c":1,"state":"sent"}
	{"state":"invalid","line":2,"error":"integer out of range at offset 22","input":"{\"c\":2,\"payload\":{\"n\":18446744073709551616}}"}
	{"state":"invalid","line":3,"error":"integer out of range at offset 11","input":"{\"c\":3,\"n\":-9223372036854775809}"}
	EOF
	test_cmp expect out &&
	sed -n "1s/^{[^{]*\"payload\":\(.*\)}$/\1/p" input >expect &&
	consume num >records &&
	test_cmp expect records
'

test_expect_success 'a broker error is the outcome, with the broker'"'"'s reason: exit 69' '
	mock_cmd error 0 TOPIC_AUTHORIZATION_FAILED 1 &&
	printf "{\"c\":1,\"payload\":{\"a\":1}}\n{\"c\":2}\n" >input &&
	test_expect_code 69 emit -t bad <input >out 2>err &&
	cat >expect <<-\EOF &&
	{"c":1,"state":"error","error":"Broker: Topic authorization failed"}
	{"c":2,"state":"same"}
	EOF
	test_cmp expect out &&
	test_grep "line 1: delivery failed: Broker: Topic authorization failed" err
'

test_expect_success 'a retriable broker error is retried by the producer' '
	mock_cmd error 0 NOT_LEADER_FOR_PARTITION 2 &&
	printf "{\"c\":1,\"payload\":{\"retried\":1}}\n" >input &&
	emit -t bad <input >out &&
	echo "{\"c\":1,\"state\":\"sent\"}" >expect &&
	test_cmp expect out &&
	consume bad >records &&
	test_grep "^{\"retried\":1}$" records
'

test_expect_success 'readiness: a newline on -n FD once the producer exists' '
	mkfifo ready.in &&
	{ kafka-emitter -b "$BROKERS" -t basic -n 3 3>ready <ready.in >out 2>err & } &&
	pid=$! &&
	exec 8>ready.in &&
	test_wait_for 20 test -s ready &&
	printf "\n" >expect &&
	test_cmp expect ready &&
	running $pid &&
	echo "{\"c\":1}" >&8 &&
	exec 8>&- &&
	test_wait_for 20 stopped $pid &&
	wait $pid &&
	echo "{\"c\":1,\"state\":\"same\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'SIGTERM with stdin still open: drains, writes every outcome, exit 0' '
	mkfifo term.in &&
	{ kafka-emitter -v -b "$BROKERS" -t term -X linger.ms=10000 <term.in >out 2>err & } &&
	pid=$! &&
	exec 8>term.in &&
	printf "%s\n" "{\"c\":1,\"payload\":{\"n\":1}}" "{\"c\":2}" \
		"{\"c\":3,\"payload\":{\"n\":3}}" >&8 &&
	test_wait_for 20 grep -q "line 3: queued" err &&
	start=$(date +%s) &&
	! test -s out &&
	kill -TERM $pid &&
	test_wait_for 20 stopped $pid &&
	wait $pid &&
	test $(($(date +%s) - start)) -lt 8 &&
	cat >expect <<-\EOF &&
	{"c":1,"state":"sent"}
	{"c":2,"state":"same"}
	{"c":3,"state":"sent"}
	EOF
	test_cmp expect out &&
	printf "{\"n\":1}\n{\"n\":3}\n" >expect &&
	consume term >records &&
	test_cmp expect records
'

test_expect_success 'SIGTERM: a last line without its newline is still handled' '
	mkfifo term2.in &&
	{ kafka-emitter -v -b "$BROKERS" -t term <term2.in >out 2>err & } &&
	pid=$! &&
	exec 8>term2.in &&
	printf "{\"c\":4}\n{\"c\":5,\"payload\":{\"n\":5}}" >&8 &&
	test_wait_for 20 has_lines 1 out &&
	kill -TERM $pid &&
	test_wait_for 20 stopped $pid &&
	wait $pid &&
	cat >expect <<-\EOF &&
	{"c":4,"state":"same"}
	{"c":5,"state":"sent"}
	EOF
	test_cmp expect out
'

test_expect_success 'back-pressure: a queue of 10 messages, 2000 lines, all delivered' '
	awk "BEGIN { for (i = 1; i <= 2000; i++)
		printf \"{\\\"n\\\":%d,\\\"payload\\\":{\\\"n\\\":%d}}\\n\", i, i }" >input &&
	awk "BEGIN { for (i = 1; i <= 2000; i++)
		printf \"{\\\"n\\\":%d,\\\"state\\\":\\\"sent\\\"}\\n\", i }" >expect &&
	emit -t bp -X queue.buffering.max.messages=10 --metrics-file bp.prom \
		<input >out 2>err &&
	test_cmp expect out &&
	test "$(metric messages_delivered bp.prom)" = 2000 &&
	consume bp >records &&
	test_line_count = 2000 records &&
	sed "s/^{[^{]*\"payload\":\(.*\)}$/\1/" input | sort >expect &&
	sort records >actual &&
	test_cmp expect actual
'

test_expect_success 'EPIPE on stdout: stop, flush, exit 75' '
	awk "BEGIN { for (i = 1; i <= 200000; i++) printf \"{\\\"n\\\":%d}\\n\", i }" >input &&
	{ emit -t bp <input 2>err; echo $? >status; } | head -n 1 >first &&
	echo 75 >expect &&
	test_cmp expect status &&
	echo "{\"n\":1,\"state\":\"same\"}" >expect &&
	test_cmp expect first &&
	test_grep "downstream gone" err
'

test_expect_success '--log-format json: diagnostics are JSON lines' '
	echo "oops" >input &&
	test_expect_code 65 emit -t bad --log-format json <input >out 2>err &&
	test_grep "^{\"time\":\"[0-9T:.-]*Z\",\"level\":\"warning\",\"prog\":\"kafka-emitter\",\"msg\":\"line 1: not a JSON object" err
'

test_expect_success 'all brokers down: outcomes error with the reason, exit 69, in bounded time' '
	mock_cmd down 1 &&
	printf "%s\n" "{\"c\":1,\"payload\":{\"n\":1}}" "{\"c\":2,\"state\":\"same\"}" \
		"{\"c\":3,\"payload\":{\"n\":3}}" >input &&
	start=$(date +%s) &&
	test_expect_code 69 emit -t down -X message.timeout.ms=2000 \
		--metrics-file down.prom <input >out 2>err &&
	test $(($(date +%s) - start)) -le 10 &&
	cat >expect <<-\EOF &&
	{"c":1,"state":"error","error":"Local: Message timed out"}
	{"c":2,"state":"same"}
	{"c":3,"state":"error","error":"Local: Message timed out"}
	EOF
	test_cmp expect out &&
	test "$(metric delivery_errors down.prom)" = 2 &&
	test "$(metric messages_delivered down.prom)" = 0 &&
	mock_cmd up 1
'
mock_cmd up 1 >/dev/null 2>&1


test_expect_success 'brokers down, SIGTERM twice: gives up at once, outcomes error' '
	mock_cmd down 1 &&
	mkfifo down.in &&
	{ kafka-emitter -v -b "$BROKERS" -t down <down.in >out 2>err & } &&
	pid=$! &&
	exec 8>down.in &&
	echo "{\"c\":1,\"payload\":{\"n\":1}}" >&8 &&
	test_wait_for 20 grep -q "line 1: queued" err &&
	kill -TERM $pid &&
	test_wait_for 20 grep -q "waiting for" err &&
	kill -TERM $pid &&
	test_wait_for 10 stopped $pid &&
	test_expect_code 69 wait $pid &&
	test_grep "^{\"c\":1,\"state\":\"error\",\"error\":\"Local: Purged " out &&
	mock_cmd up 1
'

test_done
