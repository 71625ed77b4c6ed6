#!/bin/sh

test_description='lines: one codec per line type (common/lines.c), its examples, schemas, round trips, identity prefix and ranges'

. ./test-lib.sh

PROTO=$TEST_DIRECTORY/../proto
TYPES="record ack deadletter candidate decision outcome"

# validate TYPE [FILE...]: every line of FILE (or stdin) is a valid TYPE.
validate() {
	_t=$1; shift
	python3 "$TEST_DIRECTORY"/jsonschema_lite.py "$PROTO/$_t.schema.json" "$@"
}

# refused TYPE: each line of stdin is refused by the reader of TYPE with
# a message that names the member given after "=> " at the end of the
# line (the rest of the line is the input).
refused() {
	sed 's/ => [^ ]*$//' >in &&
	sed -n 's/.* => \([^ ]*\)$/\1/p' >names <in.all &&
	helper lines "$1" <in >out &&
	test_line_count = "$(wc -l <in)" out &&
	paste out names | awk -F'\t' '
		$1 != "error" || $2 != "member" || index($3, $NF) == 0 {
			print "line " NR " not refused naming " $NF ": " $0
			bad = 1
		}
		END { exit bad }'
}

for t in $TYPES; do
	test_expect_success "examples/$t.jsonl: every example reads as a $t" "
		helper lines $t <\"\$PROTO/examples/$t.jsonl\" >out &&
		test_line_count = \$(wc -l <\"\$PROTO/examples/$t.jsonl\") out &&
		! grep \"^error\" out
	"
done

for t in record ack candidate decision outcome; do
	test_expect_success "examples/$t.jsonl: written back byte for byte" "
		helper lines $t <\"\$PROTO/examples/$t.jsonl\" >out &&
		test_cmp \"\$PROTO/examples/$t.jsonl\" out
	"
done

test_expect_success PYTHON 'examples/deadletter.jsonl: the same values, in the order db-writer writes them' '
	helper lines deadletter <"$PROTO/examples/deadletter.jsonl" >out &&
	python3 -c "
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
sys.exit(0 if a == b else 1)" "$PROTO/examples/deadletter.jsonl" out &&
	grep -c "^{\"topic\":[^,]*,\"partition\":-\{0,1\}[0-9]*,\"offset\":-\{0,1\}[0-9]*,\"value\(_b64\)\{0,1\}\":.*,\"id\":[0-9]*,\"reason_code\":" out >n &&
	echo 4 >expect &&
	test_cmp expect n
'

test_expect_success 'a second round trip changes nothing (the written form is canonical)' '
	for t in $TYPES; do
		helper lines $t <"$PROTO/examples/$t.jsonl" >once &&
		helper lines $t <once >twice &&
		test_cmp once twice || return 1
	done
'

# More lines to write: each reader's output must be valid for its schema.
cat >more.record <<\EOF
{"partition":3,"value":"{\"a\":\"\\u00e9\\n\"}","offset":7,"topic":"t.x_1-2"}
{"topic":"t","partition":0,"offset":0,"value":""}
{"topic":"t","partition":2147483647,"offset":9223372036854775807,"timestamp":0,"value":null}
{"topic":"t","partition":1,"offset":2,"value_b64":"/4E="}
{"topic":"t","partition":1,"offset":3,"value_b64":"\/4E=","dead_letter_id":12}
{"topic":"kc","partition":0,"offset":4,"tstype":"create","ts":1796032693000,"broker":1,"key":"k","payload":"{}"}
{"topic":"kc","partition":0,"offset":5,"key":null,"payload":null}
EOF
cat >more.outcome <<\EOF
{"state":"invalid","line":3,"error":"x"}
{"state":"read_error","error":"e","target":"service-log","org_id":0,"account_number":2147483647,"cluster":"c","updated_at":"2026-11-30 10:00:00","notified_at":"2026-11-30 10:00:00.000001"}
{"target":"notifications-backend","org_id":1,"account_number":2,"cluster":"c","updated_at":"2026-11-30 10:00:00","notified_at":"2026-11-30 10:00:01","state":"sent","drop_items":[]}
EOF

test_expect_success PYTHON 'every line the writers write is valid for its schema' '
	for t in $TYPES; do
		helper lines $t <"$PROTO/examples/$t.jsonl" >out.$t &&
		validate $t out.$t || return 1
	done &&
	helper lines record <more.record >out &&
	! grep "^error" out &&
	validate record out &&
	helper lines outcome <more.outcome >out &&
	! grep "^error" out &&
	validate outcome out
'

test_expect_success 'escapes are read, and written in the canonical form' '
	helper lines record <more.record >out &&
	sed -n "1p;5p;6p;7p" out >got &&
	cat >expect <<-\EOF &&
	{"topic":"t.x_1-2","partition":3,"offset":7,"value":"{\"a\":\"\\u00e9\\n\"}"}
	{"topic":"t","partition":1,"offset":3,"value_b64":"/4E=","dead_letter_id":12}
	{"topic":"kc","partition":0,"offset":4,"value":"{}"}
	{"topic":"kc","partition":0,"offset":5,"value":null}
	EOF
	test_cmp expect got
'

test_expect_success PYTHON 'the identity prefix parser finds topic, partition and offset in any order' '
	python3 - >lines <<-\EOF &&
	import itertools, json
	m = [("topic", "ccx.ocp.results"), ("partition", 7), ("offset", 42),
	     ("timestamp", 1), ("value", "{\"OrgID\": 1, \"x\": \"" + "y" * 300 + "\"}")]
	for p in itertools.permutations(m):
	    print(json.dumps(dict(p), separators=(",", ":")))
	EOF
	test_line_count = 120 lines &&
	helper lines record-id <lines >out &&
	sort -u out >got &&
	printf "ccx.ocp.results\t7\t42\n" >expect &&
	test_cmp expect got &&
	helper lines record <lines >out &&
	! grep "^error" out
'

test_expect_success PYTHON 'the prefix parser reads what the bytes hold: cut anywhere, the identity or none' '
	python3 - >cuts <<-\EOF &&
	import itertools, json
	m = [("value", "x\"" * 40), ("offset", 42), ("topic", "a\"b"), ("partition", 7)]
	for p in itertools.permutations(m):
	    line = json.dumps(dict(p), separators=(",", ":"))
	    # A member counts once its value is in: a string with its closing
	    # quote, a number with the byte after it (it might go on).
	    toks = [("\"%s\":%s" % (k, json.dumps(v)), k == "topic")
	            for k, v in p if k != "value"]
	    for n in range(1, len(line) + 1):
	        want = all(line.find(t) + len(t) + (0 if s else 1) <= n
	                   for t, s in toks)
	        print("%d\t%s" % (want, line[:n]))
	EOF
	cut -f1 cuts >want &&
	cut -f2- cuts | helper lines record-id >out &&
	awk -F"\t" "{ print (\$1 == \"none\") ? 0 : 1 }" out >got &&
	test_cmp want got &&
	grep -v "^none" out | sort -u >ids &&
	printf "a\"b\t7\t42\n" >expect &&
	test_cmp expect ids
'

test_expect_success 'a record line broken after its identity keeps it; before, it has none' '
	cat >in <<-\EOF &&
	{"topic":"t","partition":1,"offset":2,"value":"x
	{"offset":2,"topic":"t","partition":1,"value":"x"} trailing
	{"value":"x,"topic":"t","partition":1,"offset":2}
	{"topic":"t","partition":1,"offset":2,"value":"x"}
	EOF
	helper lines record <in >out &&
	cat >expect <<-\EOF &&
	error	syntax	not JSON: unexpected end of input inside a string at byte 48	t/1/2
	error	trail	trailing data after the JSON object at byte 51	t/1/2
	error	syntax	not JSON: expected '"'"','"'"' or '"'"'}'"'"' after an object member at byte 13
	{"topic":"t","partition":1,"offset":2,"value":"x"}
	EOF
	test_cmp expect out
'

test_expect_success 'record: out-of-range and mistyped members are refused, the member named' '
	cat >in.all <<-\EOF &&
	{"topic":"t","partition":2147483648,"offset":1,"value":"x"} => partition
	{"topic":"t","partition":-1,"offset":1,"value":"x"} => partition
	{"topic":"t","partition":1,"offset":9223372036854775808,"value":"x"} => offset
	{"topic":"t","partition":1,"offset":-1,"value":"x"} => offset
	{"topic":"t","partition":1,"offset":99999999999999999999999,"value":"x"} => offset
	{"topic":"t","partition":1.0,"offset":1,"value":"x"} => partition
	{"topic":"t","partition":1,"offset":1e3,"value":"x"} => offset
	{"topic":"t","partition":"1","offset":1,"value":"x"} => partition
	{"topic":"t","partition":true,"offset":1,"value":"x"} => partition
	{"topic":1,"partition":1,"offset":1,"value":"x"} => topic
	{"topic":"a\u0000b","partition":1,"offset":1,"value":"x"} => topic
	{"partition":0,"offset":1,"value":"x"} => topic
	{"topic":"t","offset":1,"value":"x"} => partition
	{"topic":"t","partition":0,"value":"x"} => offset
	{"topic":"t","partition":1,"offset":1,"timestamp":-1,"value":"x"} => timestamp
	{"topic":"t","partition":1,"offset":1,"timestamp":"2026-11-30","value":"x"} => timestamp
	{"topic":"t","partition":1,"offset":1,"value":"x","dead_letter_id":0} => dead_letter_id
	{"topic":"t","partition":1,"offset":1} => value
	{"topic":"t","partition":1,"offset":1,"value":{"OrgID":1}} => value
	{"topic":"t","partition":1,"offset":1,"value_b64":"not base64!"} => value_b64
	{"topic":"t","partition":1,"offset":1,"value_b64":5} => value_b64
	EOF
	refused record <in.all
'

test_expect_success 'ack: out-of-range and mistyped members are refused, the member named' '
	cat >in.all <<-\EOF &&
	{"topic":"t","partition":2147483648,"offset":1,"status":"stored"} => partition
	{"topic":"t","partition":1,"offset":9223372036854775808,"status":"stored"} => offset
	{"topic":"t","partition":1,"offset":1,"status":"ok"} => status
	{"topic":"t","partition":1,"offset":1,"status":"Stored"} => status
	{"topic":"t","partition":1,"offset":1} => status
	{"topic":"t","offset":1,"status":"stored"} => partition
	EOF
	refused ack <in.all
'

test_expect_success 'deadletter: out-of-range and mistyped members are refused, the member named' '
	d="\"reason_code\":\"syntax\",\"reason\":\"r\",\"received_at\":\"2026-11-30 10:00:00\"" &&
	cat >in.all <<-EOF &&
	{"id":0,"topic":"t","partition":0,"offset":1,$d,"value":""} => id
	{"id":1,"topic":"t","partition":-2,"offset":1,$d,"value":""} => partition
	{"id":1,"topic":"t","partition":0,"offset":-9223372036854775809,$d,"value":""} => offset
	{"id":1,"topic":"t","partition":0,"offset":1,$d} => value
	{"id":1,"topic":"t","partition":0,"offset":1,$d,"value":null} => value
	{"id":1,"topic":"t","partition":0,"offset":1,"reason":"r","received_at":"2026-11-30 10:00:00","value":""} => reason_code
	{"id":1,"topic":"t","partition":0,"offset":1,"reason_code":"x","reason":"r","received_at":"yesterday","value":""} => received_at
	EOF
	refused deadletter <in.all
'

test_expect_success 'candidate: out-of-range and mistyped members are refused, the member named' '
	c="\"cluster\":\"3f2a9c1e-7b4d-4e0a-9c55-2d8e6b1f0a47\",\"updated_at\":\"2026-11-30 10:00:00\"" &&
	cat >in.all <<-EOF &&
	{"org_id":2147483648,"account_number":2,$c,"kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":null} => org_id
	{"org_id":1,"account_number":-1,$c,"kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":null} => account_number
	{"org_id":"1","account_number":2,$c,"kafka_offset":1,"report":"{}","baseline":null,"baseline_notified_at":null} => org_id
	{"org_id":1,"account_number":2,$c,"kafka_offset":9223372036854775808,"report":"{}","baseline":null,"baseline_notified_at":null} => kafka_offset
	{"org_id":1,"account_number":2,$c,"kafka_offset":1,"report":{"reports":[]},"baseline":null,"baseline_notified_at":null} => report
	{"org_id":1,"account_number":2,$c,"kafka_offset":1,"baseline":null} => report
	{"org_id":1,"account_number":2,"cluster":"c","updated_at":"yesterday","report":"{}"} => updated_at
	EOF
	refused candidate <in.all
'

test_expect_success 'decision: out-of-range and mistyped members are refused, the member named' '
	com="\"org_id\":1,\"account_number\":2,\"cluster\":\"c\",\"updated_at\":\"2026-11-30 10:00:00\",\"notified_at\":\"2026-11-30 10:05:00.000001\"" &&
	sl="\"target\":\"service-log\"" &&
	cat >in.all <<-EOF &&
	{$sl,"org_id":2147483648,"account_number":2,"cluster":"c","updated_at":"u","notified_at":"n","state":"same"} => org_id
	{$sl,"org_id":1,"account_number":-1,"cluster":"c","updated_at":"u","notified_at":"n","state":"same"} => account_number
	{$sl,"org_id":"1","account_number":2,"cluster":"c","updated_at":"u","notified_at":"n","state":"same"} => org_id
	{"target":"email",$com,"state":"same"} => target
	{$sl,$com,"issues":[{"item":-1,"type":"rule","component":"c","key":"K","total_risk":2}],"content":[]} => issues[0].item
	{$sl,$com,"issues":[{"item":2147483648,"type":"rule","component":"c","key":"K","total_risk":2}],"content":[]} => issues[0].item
	{$sl,$com,"issues":[{"item":0,"type":"rule","component":"c","key":"K","total_risk":9223372036854775808}],"content":[]} => issues[0].total_risk
	{$sl,$com,"issues":[{"item":0,"type":"rule","component":"c","total_risk":2}],"content":[]} => issues[0].key
	{$sl,$com,"issues":{},"content":[]} => issues
	{$sl,$com,"issues":[],"content":[1]} => content[0]
	{$sl,$com,"payload":[]} => payload
	{$sl,"org_id":1,"cluster":"c","updated_at":"u","notified_at":"n","state":"same"} => account_number
	{$sl,$com,"state":3} => state
	EOF
	refused decision <in.all
'

test_expect_success 'decision: an integer beyond 64 bits anywhere is refused, not altered' '
	cat >in <<-\EOF &&
	{"c":1,"payload":{"n":18446744073709551616}}
	{"c":2,"n":-9223372036854775809}
	{"c":3,"payload":{"u":18446744073709551615,"i":-9223372036854775808,"d":1e400}}
	EOF
	helper lines pass <in >out &&
	cat >expect <<-\EOF &&
	error	member	integer out of range at offset 22
	error	member	integer out of range at offset 11
	{"c":3,"state":"same"}
	EOF
	test_cmp expect out
'

test_expect_success 'decision: what an outcome passes on, in the order it came' '
	cat >in <<-\EOF &&
	{"cluster":"c1","org_id":"1","payload":{"a":1},"x":[1,{"y":"a/b"}]}
	{"state":"read_error","c":2,"error":"e","issues":null,"content":[],"drop_items":[1]}
	{}
	EOF
	helper lines pass <in >out &&
	cat >expect <<-\EOF &&
	{"cluster":"c1","org_id":"1","x":[1,{"y":"a/b"}],"state":"same"}
	{"c":2,"state":"read_error","error":"e"}
	{"state":"same"}
	EOF
	test_cmp expect out
'

test_expect_success 'decision: kafka-emitter'"'"'s one-scan reading gives what json-c gives' '
	cat >in <<-\EOF &&
	{"target":"notifications-backend","org_id":330,"account_number":100329,"cluster":"c-1","updated_at":"2026-12-07 16:23:49.738028","notified_at":"2026-12-07 17:24:53.503728","payload":{"bundle":"openshift","events":[{"metadata":{},"payload":{"total_risk":"3"}}]}}
	{"target":"service-log","org_id":1493,"account_number":0,"cluster":"c-2","updated_at":"u","notified_at":"n","state":"same"}
	{"c":1,"payload":{"text":"two\nlines é \"quoted\" a/b","n":1.50,"u":18446744073709551615,"d":1e400,"e":[],"o":{}},"x":[true,null,-1]}
	{"state":"s\"q","error":"e\tx","payload":{},"drop_items":[1]}
	{}
	{"target":"other","payload":{}}
	{"cluster":"c1","org_id":"1","payload":{"a":1}}
	{"c":1,"payload":{"a":"x\/y"}}
	{"c":1,"payload":{"a":"\u00e9"}}
	{"c":1,"payload":{"a": 1}}
	{"c":1,"payload":{"a":1},"c":2}
	{"c":-0,"payload":{"a":1}}
	{"org_id":2147483648,"payload":{}}
	{"org_id":1.5,"payload":{}}
	{"payload":null}
	{"payload":"text"}
	{"c":2,"n":-9223372036854775809}
	{"state":"x","issues":[],"content":[]}
	[1]
	EOF
	helper lines quick <in >out &&
	# the first 6 lines take the quick path, the other 13 json-c
	{ printf "quick\tsame\n%.0s" 1 2 3 4 5 6 &&
	  printf "full\tsame\n%.0s" 1 2 3 4 5 6 7 8 9 10 11 12 13; } >expect &&
	test_cmp expect out &&
	echo "{\"c\":1,\"payload\":{\"a\":1,\"a\":2}}" | helper lines quick >out &&
	printf "quick\tpayload\n" >expect &&
	test_cmp expect out
'

test_expect_success 'outcome: drop_items elements that are not integers are skipped, as db-writer -r did' '
	echo "{\"target\":\"service-log\",\"org_id\":1,\"account_number\":2,\"cluster\":\"c\",\"updated_at\":\"u\",\"notified_at\":\"n\",\"state\":\"sent\",\"drop_items\":[\"1}); DROP\",2,null,0]}" >in &&
	helper lines outcome <in >out &&
	echo "{\"target\":\"service-log\",\"org_id\":1,\"account_number\":2,\"cluster\":\"c\",\"updated_at\":\"u\",\"notified_at\":\"n\",\"state\":\"sent\",\"drop_items\":[2,0]}" >expect &&
	test_cmp expect out
'

test_expect_success 'outcome: out-of-range and mistyped members are refused, the member named' '
	com="\"target\":\"service-log\",\"org_id\":1,\"account_number\":2,\"cluster\":\"c\",\"updated_at\":\"2026-11-30 10:00:00\"" &&
	cat >in.all <<-EOF &&
	{"target":"service-log","org_id":2147483648,"account_number":2,"cluster":"c","updated_at":"u","notified_at":"n","state":"sent"} => org_id
	{"target":"service-log","org_id":1,"account_number":4294967296,"cluster":"c","updated_at":"u","notified_at":"n","state":"sent"} => account_number
	{$com,"state":"sent"} => notified_at
	{$com,"notified_at":"n","state":"lower"} => state
	{$com,"notified_at":"n"} => state
	{$com,"notified_at":"n","state":"sent","drop_items":[-1]} => drop_items[0]
	{$com,"notified_at":"n","state":"sent","drop_items":[1,2147483648]} => drop_items[1]
	{$com,"notified_at":"n","state":"sent","drop_items":"1"} => drop_items
	{"target":"email","org_id":1,"account_number":2,"cluster":"c","updated_at":"u","notified_at":"n","state":"sent"} => target
	{"target":"service-log","org_id":1,"account_number":2,"cluster":"c\u0000d","updated_at":"u","notified_at":"n","state":"sent"} => cluster
	{"state":"invalid","error":"not a JSON object"} => line
	{"state":"invalid","line":0,"error":"not a JSON object"} => line
	EOF
	refused outcome <in.all
'

test_expect_success 'lines that are not one JSON object are refused as such' '
	printf "%s\n" "not json" "[1,2]" "{\"a\":1} x" "" >in &&
	for t in record ack deadletter candidate; do
		helper lines $t <in | cut -f1,2 >out &&
		printf "error\tsyntax\nerror\tnotobj\nerror\ttrail\nerror\tsyntax\n" >expect &&
		test_cmp expect out || return 1
	done &&
	helper lines decision <in | cut -f1,2 >out &&
	printf "error\tsyntax\nerror\tnotobj\nerror\tsyntax\nerror\tsyntax\n" >expect &&
	test_cmp expect out &&
	helper lines outcome <in | cut -f1,2 >out &&
	printf "error\tsyntax\nerror\tnotobj\nerror\ttrail\nerror\tsyntax\n" >expect &&
	test_cmp expect out
'

# The fuzz target's seeds, replayed through it (as t0500 does for the
# other targets), with the compiler and flags of this build.
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 && [ -f "$CCX_BUILD/libccx.a" ] &&
	test_set_prereq CC

test_expect_success CC 'fuzz/corpus/lines: every seed keeps the invariants of fuzz-lines' '
	FUZZ=$TEST_DIRECTORY/fuzz &&
	pkg=$(pkg-config --cflags --libs json-c libbsd-overlay) &&
	flags="-O1 -g" &&
	if nm "$CCX_BUILD/libccx.a" 2>/dev/null | grep -q __asan_; then
		flags="$flags -fsanitize=address,undefined -fno-omit-frame-pointer"
	fi &&
	$cc -std=c11 -D_GNU_SOURCE -I"$TEST_DIRECTORY/../common" -I"$FUZZ" \
		$flags -o replay-lines "$FUZZ/fuzz-lines.c" "$FUZZ/replay.c" \
		"$CCX_BUILD/libccx.a" $pkg -lm &&
	set -- "$FUZZ"/corpus/lines/* &&
	test $# -gt 10 &&
	./replay-lines -v "$@" >out &&
	echo "replayed $# file(s)" >expect &&
	test_cmp expect out
'

test_done
