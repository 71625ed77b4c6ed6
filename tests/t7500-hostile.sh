#!/bin/sh
test_description='hostile input: line limits, deep nesting, huge numbers, NUL, bad UTF-8, SQL injection, broken content, hostile HTTP answers'
. ./test-lib.sh
test_use pg kafka http records

# These runs of differ look at decisions only: no run lock, no claims
# (t7250 is about those).
CCX_DIFFER_DRY_RUN=1
export CCX_DIFFER_DRY_RUN

# Every case: a clear error, a dead letter or a count, and the run goes
# on (the good line after the bad one is handled).  Where input reaches
# SQL, it runs against a real PostgreSQL and the tables must survive.

test_have_prereq PYTHON || skip_all 'python3 is needed to make and read the inputs'
command -v curl >/dev/null || skip_all 'curl not found'
pg_ready
mock_start -t out:1 || skip_all "the mock Kafka cluster cannot start"
stub_start RD renderer &&
stub_start SSO sso &&
stub_start SL servicelog || error 'could not start the stubs'

T=ccx.ocp.results
SLURL=$SL_URL/api/service_logs/v1/cluster_logs/
CCX_SERVICELOG_CLIENT_SECRET=SECRET
export CCX_SERVICELOG_CLIENT_SECRET
slp() {
	timeout 60 servicelog-poster --client-id CLIENT_ID --renderer-url "$RD_URL" \
		--url "$SLURL" --token-url "$SSO_URL/token" --retry-base-ms 10 "$@"
}
reset_stubs() {
	for _s in RD SSO SL; do
		stub_control $_s '{"mode": "ok", "delay": 0, "clear": true}' || return 1
	done
}

# cl N: a cluster id.
cl() { printf '00000000-0000-4000-8000-%012d' "$1"; }
# val ORG CLUSTER DETAILS [KEY]: a valid record value, one item of rule r
# with DETAILS (JSON text) as its details.
val() {
	printf '{"OrgID":%s,"AccountNumber":%s,"ClusterName":"%s","Report":{"system":{},"reports":[{"rule_id":"r|%s","component":"ccx_rules_ocp.external.rules.r.report","type":"rule","key":"%s","details":%s}],"fingerprints":[]},"LastChecked":"2026-11-30T10:00:00Z"}' \
		"$1" "${ACCT:-7}" "$2" "${4:-K}" "${4:-K}" "$3"
}
# deep K: K nested arrays.
deep() { python3 -c 'import sys; k = int(sys.argv[1]); sys.stdout.write("[" * k + "]" * k)' "$1"; }
# tables_intact: every table of the schema is still there.
tables_intact() {
	test "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('new_reports', 'reported', 'dead_letters', 'consumed_records', 'read_errors', 'migration_info', 'event_targets', 'states', 'notification_types')")" = 9 ||
	{ say "a table is gone" >&2; return 1; }
}
# upd ORG: the updated_at of ORG's newest row.
upd() { sql "SELECT max(updated_at) FROM new_reports WHERE org_id = $1"; }
# outcome ORG CLUSTER UPDATED_AT NOTIFIED_AT STATE [MORE]: an outcome line.
outcome() {
	printf '{"target":"service-log","org_id":%s,"account_number":7,"cluster":"%s","updated_at":"%s","notified_at":"%s","state":"%s"%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6"
}
# jq_ok FILE PYEXPR: PYEXPR holds over L, FILE read as JSON lines.
jq_ok() {
	python3 -c 'import json, sys
L = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8", errors="surrogateescape") if l.strip()]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" && return 0
	say "jq_ok: '$2' is false for $1:" >&2
	cut -c1-300 "$1" | sed 's/^/| /' >&2
	return 1
}

# rss.py RSSFILE CMD...: run CMD (stdin and stdout inherited), write its
# peak resident set size in KiB to RSSFILE, exit with its status.
cat >rss.py <<\EOF
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)
EOF
rss() { python3 "$TRASH_DIRECTORY/rss.py" "$@"; }
# The memory bounds hold for plain builds; sanitizers and valgrind add
# their own memory, so there the peak is only printed.
if [ -z "${CCX_VALGRIND:-}" ] &&
   ! ldd "$(command -v db-writer)" 2>/dev/null | grep -q 'lib[at]san'; then
	test_set_prereq PLAINMEM
fi
# rss_below KIB: the last peak RSS (rss.kb) is below KIB, on plain builds.
rss_below() {
	test_have_prereq PLAINMEM || return 0
	test "$(cat rss.kb)" -lt "$1"
}

content_json r K="Rule r" K2="Rule r 2" >content.json
CONTENT=file://$TRASH_DIRECTORY/content.json

INJ_TOPIC="x'); DROP TABLE new_reports; --"
INJ_CLUSTER="x'); DROP TABLE reported; --"
INJ_AGE="1 day'; DROP TABLE reported; --"
INJ_REASON="syntax' OR '1'='1"
INJ_STATE="sent'); DROP TABLE reported; --"
INJ_TS="2026-12-01 00:00:05'); DROP TABLE reported; --"
INJ_ERR="boom'); DROP TABLE reported; -- \"} {\\ NULL"
INJ_ERR_JSON=$(printf '%s' "$INJ_ERR" | helper jsonstr | sed -n 1p)
INJ_OR="' OR 1=1 --"

# -- line limits ---------------------------------------------------------

# dl_prefix PREFIX: reason code and raw length of the unidentified dead
# letters whose raw bytes start with PREFIX.
dl_prefix() {
	sql "SELECT reason_code, length(raw) FROM dead_letters WHERE kafka_partition = -1 AND position(convert_to('$1', 'UTF8') in raw) = 1"
}

# line_of LEN PART OFF ORG CLUSTER: a record line of exactly LEN bytes
# (without its newline).
line_of() {
	_l=$(record_line $T "$2" "$3" "$(big_record "$4" "$5" 1)" | wc -c)
	record_line $T "$2" "$3" "$(big_record "$4" "$5" $(( $1 - _l + 2 )))"
}

test_expect_success 'line limit: a line of -l bytes with its newline is a record, one more is too_large; the run goes on' '
	line_of 2047 0 1 1 "$(cl 1)" >in &&
	test "$(wc -c <in)" = 2048 &&
	line_of 2049 0 2 1 "$(cl 2)" >>in &&
	record_line $T 0 3 "$(sample_record 1 "$(cl 3)")" >>in &&
	db-writer -l 2048 <in >acks 2>err &&
	acks_are acks $T 0/1/stored 0/2/dead_letter 0/3/stored &&
	test "$(sql "SELECT reason_code, length(raw) FROM dead_letters WHERE kafka_partition = 0 AND kafka_offset = 2")" = "too_large|2048" &&
	test_grep "$T/0/2: input line 2 is longer than the limit of 2048 bytes" err
'

test_expect_success 'line limit: a line of exactly -l bytes (newline not counted) is a record' '
	line_of 2048 0 6 1 "$(cl 4)" >in &&
	test "$(wc -c <in)" = 2049 &&
	db-writer -l 2048 <in >acks 2>err &&
	acks_are acks $T 0/6/stored
'

test_expect_success 'line limit: an over-long line that does not start with its identity: kept, not acked, run goes on' '
	printf "{\"value\":\"%s\",\"topic\":\"$T\",\"partition\":0,\"offset\":4}\n" "$(printf "%3000s" | tr " " x)" >in &&
	record_line $T 0 5 "$(sample_record 1 "$(cl 5)")" >>in &&
	db-writer -l 1024 <in >acks 2>err &&
	acks_are acks $T 0/5/stored &&
	test "$(dl_prefix "{\"value\":\"xxx")" = "too_large|1024"
'

test_expect_success 'line limit: a 40 MiB line with -l 1 MiB: memory stays bounded' '
	python3 -c "import sys
sys.stdout.write(\"{\\\"topic\\\":\\\"$T\\\",\\\"partition\\\":1,\\\"offset\\\":1,\\\"value\\\":\\\"\" + \"x\" * (40 << 20) + \"\\\"}\\n\")" >big.in &&
	record_line $T 1 2 "$(sample_record 1 "$(cl 6)")" >>big.in &&
	rss rss.kb db-writer -l 1048576 <big.in >acks 2>err &&
	test_line_count = 2 acks &&
	test "$(sql "SELECT reason_code, length(raw) FROM dead_letters WHERE kafka_partition = 1 AND kafka_offset = 1")" = "too_large|1048576" &&
	say "# db-writer peak RSS: $(cat rss.kb) KiB" &&
	rss_below 32768
'

test_expect_success 'line limit: -l outside 1024..2147483648 is a usage error' '
	test_expect_code 64 db-writer -l 1023 </dev/null 2>err &&
	test_grep -- "-l \"1023\": not a whole number from 1024 to 2147483648" err &&
	test_expect_code 64 db-writer -l 2147483649 </dev/null &&
	test_expect_code 64 db-writer -l 1e6 </dev/null
'

# -- deep nesting -----------------------------------------------------------

test_expect_success 'nesting: a value 10000 deep is stored, 10001 rejected, 1e6 rejected without a crash' '
	C=$(cl 10) &&
	record_line $T 2 1 "$(val 10 $C "$(deep 9996)")" >in &&
	record_line $T 2 2 "$(val 10 $C "$(deep 9997)")" >>in &&
	record_line $T 2 3 "$(val 10 $C "$(deep 1000000)")" >>in &&
	record_line $T 2 4 "$(deep 1000000)" >>in &&
	record_line $T 2 5 "$(sample_record 11 "$(cl 11)")" >>in &&
	db-writer <in >acks 2>err &&
	jq_ok acks "[a[\"status\"] for a in L] == [\"stored\", \"dead_letter\", \"dead_letter\", \"dead_letter\", \"stored\"]" &&
	sql "SELECT kafka_offset, reason_code, reason FROM dead_letters WHERE kafka_partition = 2 ORDER BY 1" |
		sed "s/at byte [0-9]*:/at byte N:/" >actual &&
	cat >expect <<-\EOF &&
	2|syntax|JSON syntax error at byte N: arrays and objects nested more than 10000 deep
	3|syntax|JSON syntax error at byte N: arrays and objects nested more than 10000 deep
	4|syntax|JSON syntax error at byte N: arrays and objects nested more than 10000 deep
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT length(report) FROM new_reports WHERE org_id = 10")" -gt 19992
'

test_expect_success 'nesting: differ decides the 9999-deep stored report; kafka-emitter sends it' '
	differ -T notifications-backend -c "$CONTENT" --allowed-clusters "$(cl 10)" >dec 2>err &&
	test_line_count = 1 dec &&
	jq_ok dec "L[0][\"org_id\"] == 10 and len(L[0][\"payload\"][\"events\"]) == 1" &&
	kafka-emitter -b "$BROKERS" -t out <dec >outc 2>err &&
	jq_ok outc "L[0][\"state\"] == \"sent\"" &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 10)" >sldec &&
	test_line_count = 1 sldec &&
	test_grep -q "\"issues\":\[{\"item\":0,\"type\":\"rule\",\"component\":\"ccx_rules_ocp.external.rules.r.report\",\"key\":\"K\",\"details\":\[\[\[" sldec
'

test_expect_success 'nesting: 1e6 levels in a line crash no program; the next line is handled' '
	D=$(deep 1000000) &&
	{ echo "{\"x\":$D}" && outcome 11 "$(cl 11)" "$(upd 11)" "2026-12-01 00:00:00.000001" same; } >o.in &&
	test_expect_code 65 db-writer -r <o.in 2>err &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 11")" = 1 &&
	{ echo "{\"payload\":{\"x\":$D}}" && echo "{\"cluster\":\"n\",\"payload\":{\"x\":1}}"; } >e.in &&
	test_expect_code 65 kafka-emitter -b "$BROKERS" -t out <e.in >outc 2>err &&
	jq_ok outc "L[0][\"state\"] == \"invalid\" and L[1][\"state\"] == \"sent\"" &&
	{ echo "{\"cluster\":\"a\",\"issues\":[{\"details\":$D}],\"content\":[]}" &&
	  echo "{\"cluster\":\"b\",\"state\":\"same\"}"; } >s.in &&
	test_expect_code 65 slp <s.in >outs 2>err &&
	jq_ok outs "L[0][\"state\"] == \"invalid\" and L[1] == {\"cluster\": \"b\", \"state\": \"same\"}" &&
	printf "{\"org_id\":1,\"account_number\":2,\"cluster\":\"%s\",\"updated_at\":\"2026-11-30 10:00:00\",\"report\":\"{\\\\\"reports\\\\\":[{\\\\\"type\\\\\":\\\\\"rule\\\\\",\\\\\"component\\\\\":\\\\\"ccx_rules_ocp.external.rules.r.report\\\\\",\\\\\"key\\\\\":\\\\\"K\\\\\",\\\\\"details\\\\\":%s}]}\"}\n" "$(cl 12)" "$D" >c.in &&
	printf "{\"org_id\":1,\"account_number\":2,\"cluster\":\"%s\",\"updated_at\":\"2026-11-30 10:00:00\",\"report\":\"%s\"}\n" "$(cl 13)" "$D" >>c.in &&
	differ -T notifications-backend -c "$CONTENT" -i c.in >outd 2>err &&
	jq_ok outd "[o[\"state\"] for o in L] == [\"read_error\", \"read_error\"] and all(\"nested too deep\" in o[\"error\"] for o in L)"
'

test_expect_success 'nesting: servicelog-poster takes a decision whose details nest 200 deep' '
	reset_stubs &&
	record_line $T 2 10 "$(val 14 "$(cl 14)" "$(deep 200)")" | db-writer >acks &&
	test_grep "\"stored\"" acks &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 14)" >sldec &&
	jq_ok sldec "len(L) == 1 and len(L[0][\"issues\"]) == 1" &&
	slp <sldec >outs 2>err &&
	jq_ok outs "L[0][\"state\"] in (\"sent\", \"error\")"
'

# -- huge numbers and ids at the type limits ----------------------------------

BIGNUMS='{"n":123456789012345678901234567890,"m":-123456789012345678901234567890,"f":1e400,"g":-0.0,"h":1.10000000000000000000001,"k":1E-400}'

test_expect_success 'numbers: huge numbers in details are stored and decided verbatim' '
	record_line $T 3 1 "$(val 20 "$(cl 20)" "$BIGNUMS")" | db-writer >acks &&
	test_grep "\"stored\"" acks &&
	sql "SELECT report FROM new_reports WHERE org_id = 20" >actual &&
	test_grep -F "\"details\":$BIGNUMS" actual &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 20)" >sldec &&
	test_grep -F "\"details\":$BIGNUMS" sldec
'

test_expect_success 'numbers: OrgID and AccountNumber at the int32 limits' '
	record_line $T 3 2 "$(ACCT=2147483647 val 2147483647 "$(cl 21)" "{}")" >in &&
	record_line $T 3 3 "$(ACCT=1 val 2147483648 "$(cl 21)" "{}")" >>in &&
	record_line $T 3 4 "$(ACCT=2147483648 val 1 "$(cl 21)" "{}")" >>in &&
	record_line $T 3 5 "$(ACCT=1 val -1 "$(cl 21)" "{}")" >>in &&
	record_line $T 3 6 "$(ACCT=1 val 99999999999999999999999 "$(cl 21)" "{}")" >>in &&
	record_line $T 3 7 "$(ACCT=1 val 1e3 "$(cl 21)" "{}")" >>in &&
	record_line $T 3 8 "$(ACCT=1 val 0 "$(cl 21)" "{}")" >>in &&
	db-writer <in >acks 2>err &&
	jq_ok acks "[a[\"status\"] for a in L] == [\"stored\"] + [\"dead_letter\"] * 5 + [\"stored\"]" &&
	sql "SELECT org_id, account_number FROM new_reports WHERE cluster = '"'$(cl 21)'"' ORDER BY 1" >actual &&
	printf "0|1\n2147483647|2147483647\n" >expect &&
	test_cmp expect actual &&
	sql "SELECT kafka_offset, reason_code FROM dead_letters WHERE kafka_partition = 3 ORDER BY 1" >actual &&
	cat >expect <<-\EOF &&
	3|range:OrgID
	4|range:AccountNumber
	5|type:OrgID
	6|range:OrgID
	7|type:OrgID
	EOF
	test_cmp expect actual
'

test_expect_success 'numbers: ids at the limits in outcome lines' '
	U=$(upd 2147483647) &&
	{
		outcome 2147483647 "$(cl 21)" "$U" "2026-12-01 00:00:00.000001" same |
			sed "s/\"account_number\":7/\"account_number\":2147483647/" &&
		outcome 2147483648 "$(cl 21)" "$U" "2026-12-01 00:00:00.000002" same &&
		outcome -1 "$(cl 21)" "$U" "2026-12-01 00:00:00.000003" same &&
		outcome 1e3 "$(cl 21)" "$U" "2026-12-01 00:00:00.000004" same &&
		outcome 2147483647 "$(cl 21)" "$U" "2026-12-01 00:00:00.000005" same |
			sed "s/\"account_number\":7/\"account_number\":2147483648/"
	} >o.in &&
	test_expect_code 65 db-writer -r <o.in 2>err &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 2147483647")" = 1 &&
	test_grep "outcome line 2 lacks" err &&
	test_grep "outcome line 3 lacks" err &&
	test_grep "outcome line 4 lacks" err &&
	test_grep "outcome line 5 lacks" err
'

test_expect_success 'numbers: kafka-emitter sends numbers verbatim and refuses integers beyond 64 bits' '
	{
		echo "{\"cluster\":\"n1\",\"payload\":{\"f\":1e400,\"g\":-0.0,\"h\":1.10000000000000000000001,\"k\":1E-400,\"u\":18446744073709551615,\"i\":-9223372036854775808}}" &&
		echo "{\"cluster\":\"n2\",\"payload\":{\"i\":18446744073709551616}}" &&
		echo "{\"cluster\":\"n3\",\"payload\":{\"i\":-9223372036854775809}}" &&
		echo "{\"cluster\":\"n4\",\"payload\":{\"ok\":1}}"
	} >e.in &&
	test_expect_code 65 kafka-emitter -b "$BROKERS" -t out <e.in >outc 2>err &&
	jq_ok outc "[o[\"state\"] for o in L] == [\"sent\", \"invalid\", \"invalid\", \"sent\"]" &&
	jq_ok outc "\"integer out of range\" in L[1][\"error\"]" &&
	timeout 20 kcat -C -b "$BROKERS" -t out -o -2 -e -q >got &&
	cat >expect <<-\EOF &&
	{"f":1e400,"g":-0.0,"h":1.10000000000000000000001,"k":1E-400,"u":18446744073709551615,"i":-9223372036854775808}
	{"ok":1}
	EOF
	test_cmp expect got
'

# BUG: servicelog-poster documents details as "sent verbatim", but an
# integer beyond the 64-bit ranges is changed on the way to the renderer:
# 123456789012345678901234567890 is sent as 18446744073709551615 and
# -123456789012345678901234567890 as -9223372036854775808 (json-c
# saturates; doubles such as 1e400 do survive).  db-writer and differ keep
# such numbers verbatim, kafka-emitter refuses them as invalid; here they
# are silently altered.
test_expect_failure 'numbers: servicelog-poster sends huge numbers in details verbatim' '
	reset_stubs &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 20)" >sldec &&
	slp <sldec >outs 2>err &&
	jq_ok outs "L[0][\"state\"] == \"sent\"" &&
	stub_requests RD >rd.log &&
	jq_ok rd.log "[r[\"body\"][\"report_data\"][\"reports\"][\"$(cl 20)\"][\"reports\"][0][\"details\"][\"n\"] for r in L] == [123456789012345678901234567890]"
'

# -- NUL bytes and invalid UTF-8 -------------------------------------------------

test_expect_success 'NUL: a real NUL in a value is kept byte for byte; \u0000 in details is stored; in ClusterName rejected' '
	printf "{\"topic\":\"$T\",\"partition\":4,\"offset\":1,\"value\":\"{\\\\\"OrgID\\\\\":1\\\\u0000}\"}\n" >in &&
	record_line $T 4 2 "$(val 30 "$(cl 30)" "{\"s\":\"a\\u0000b\"}")" >>in &&
	record_line $T 4 3 "$(val 31 "00000000-0000-4000-8000-00000000003\\u0000" "{}")" >>in &&
	record_line $T 4 4 "$(sample_record 32 "$(cl 32)")" >>in &&
	db-writer <in >acks 2>err &&
	jq_ok acks "[a[\"status\"] for a in L] == [\"dead_letter\", \"stored\", \"dead_letter\", \"stored\"]" &&
	test "$(sql "SELECT reason_code, encode(raw, '"'hex'"') FROM dead_letters WHERE kafka_partition = 4 AND kafka_offset = 1")" = "syntax|7b224f72674944223a31007d" &&
	test "$(sql "SELECT reason_code FROM dead_letters WHERE kafka_partition = 4 AND kafka_offset = 3")" = cluster_uuid &&
	sql "SELECT report FROM new_reports WHERE org_id = 30" >actual &&
	test_grep -F "\"details\":{\"s\":\"a\\u0000b\"}" actual
'

test_expect_success 'NUL: differ and servicelog-poster carry \u0000 in details; kafka-emitter too' '
	reset_stubs &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 30)" >sldec &&
	test_grep -F "\"details\":{\"s\":\"a\\u0000b\"}" sldec &&
	slp <sldec >outs 2>err &&
	jq_ok outs "L[0][\"state\"] == \"sent\"" &&
	stub_requests RD >rd.log &&
	jq_ok rd.log "L[0][\"body\"][\"report_data\"][\"reports\"][\"$(cl 30)\"][\"reports\"][0][\"details\"] == {\"s\": \"a\\x00b\"}" &&
	echo "{\"cluster\":\"z\",\"payload\":{\"s\":\"a\\u0000b\"}}" | kafka-emitter -b "$BROKERS" -t out >outc &&
	jq_ok outc "L[0][\"state\"] == \"sent\"" &&
	timeout 20 kcat -C -b "$BROKERS" -t out -o -1 -e -q >got &&
	echo "{\"s\":\"a\\u0000b\"}" >expect &&
	test_cmp expect got
'

test_expect_success 'invalid UTF-8 (value_b64): dead-lettered byte for byte, listed and resubmitted as value_b64' '
	printf "{\"topic\":\"$T\",\"partition\":5,\"offset\":1,\"value_b64\":\"%s\"}\n" \
		"$(printf "{\"OrgID\":1,\"x\":\"\\377\\376\"}" | base64)" >in &&
	printf "{\"topic\":\"$T\",\"partition\":5,\"offset\":2,\"value_b64\":\"not base64!\"}\n" >>in &&
	record_line $T 5 3 "$(sample_record 33 "$(cl 33)")" >>in &&
	db-writer <in >acks 2>err &&
	jq_ok acks "[a[\"status\"] for a in L] == [\"dead_letter\", \"dead_letter\", \"stored\"]" &&
	test "$(sql "SELECT reason_code, encode(raw, '"'hex'"') FROM dead_letters WHERE kafka_partition = 5 AND kafka_offset = 1")" = "encoding|7b224f72674944223a312c2278223a22fffe227d" &&
	test "$(sql "SELECT reason_code FROM dead_letters WHERE kafka_partition = 5 AND kafka_offset = 2")" = bad_line &&
	db-writer --reason encoding dead-letters >dl &&
	jq_ok dl "any(d[\"partition\"] == 5 and \"value_b64\" in d and \"value\" not in d for d in L)" &&
	db-writer --reason encoding --resubmit dead-letters | grep "\"partition\":5" >re.in &&
	db-writer <re.in >acks &&
	jq_ok acks "[a[\"status\"] for a in L] == [\"dead_letter\"]" &&
	test "$(sql "SELECT count(*) FROM dead_letters WHERE kafka_partition = 5")" = 2
'

test_expect_success 'NUL and bad UTF-8 in outcome lines: texts cleaned or refused, the other lines recorded' '
	U=$(upd 32) && C=$(cl 32) &&
	{
		outcome 32 $C "$U" "2026-12-01 00:00:01" error ",\"error\":\"nul\\u0000here\"" &&
		outcome 32 $C "$U" "2026-12-01 00:00:02" error ",\"error\":\"lone \\ud800 surrogate\"" &&
		printf "%s\n" "$(outcome 32 $C "$U" "2026-12-01 00:00:03" error ",\"error\":\"raw XX byte\"")" | sed "s/XX/$(printf "\\377")/" &&
		outcome 32 $C "$U" "2026-12-01 00:00:04" error ",\"error\":\"$(printf "%5000s" | tr " " e)\"" &&
		outcome 32 $C "$U" "2026-12-01 00:00:05" sent
	} >o.in &&
	db-writer -r <o.in 2>err &&
	sql "SELECT notified_at, state, length(error_log) FROM reported WHERE org_id = 32 ORDER BY 1" >actual &&
	cat >expect <<-\EOF &&
	2026-12-01 00:00:01|4|7
	2026-12-01 00:00:02|4|16
	2026-12-01 00:00:04|4|5000
	2026-12-01 00:00:05|1|0
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT error_log FROM reported WHERE org_id = 32 AND notified_at = '"'2026-12-01 00:00:01'"'")" = nulhere &&
	test_grep "22021" err
'

test_expect_success 'NUL: an outcome for cluster "C\u0000zzz" is not recorded as cluster C' '
	U=$(upd 32) && C=$(cl 32) &&
	outcome 32 "$C\\u0000zzz" "$U" "2026-12-01 00:00:06" sent >o.in &&
	test_expect_code 65 db-writer -r <o.in 2>err &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 32 AND notified_at = '"'2026-12-01 00:00:06'"'")" = 0
'

# BUG: db-writer -r copies the report of an outcome with "drop_items"
# through jsonb, which refuses "\u0000" (22P05 "unsupported Unicode escape
# sequence"), while ingest stores such reports as text: the outcome of a
# partly failed Service Log run for such a report is never recorded
# (logged, exit 0), so the next run posts every entry again, the ones that
# were posted included.
test_expect_failure 'NUL: drop_items on a report holding \u0000 is recorded' '
	record_line $T 4 10 "$(printf "{\"OrgID\":34,\"AccountNumber\":7,\"ClusterName\":\"%s\",\"Report\":{\"system\":{},\"reports\":[{\"component\":\"ccx_rules_ocp.external.rules.r.report\",\"type\":\"rule\",\"key\":\"K\",\"details\":{\"s\":\"a\\\\u0000b\"}},{\"component\":\"ccx_rules_ocp.external.rules.r.report\",\"type\":\"rule\",\"key\":\"K2\",\"details\":{}}],\"fingerprints\":[]},\"LastChecked\":\"2026-11-30T10:00:00Z\"}" "$(cl 34)")" |
		db-writer >acks &&
	test_grep "\"stored\"" acks &&
	outcome 34 "$(cl 34)" "$(upd 34)" "2026-12-01 00:00:01" sent ",\"drop_items\":[1]" >o.in &&
	db-writer -r <o.in 2>err &&
	test "$(sql "SELECT count(*) FROM reported WHERE org_id = 34")" = 1
'

test_expect_success 'bad UTF-8 in a topic: dead-lettered, the rest of the batch stored' '
	record_line $T 6 1 "$(sample_record 40 "$(cl 40)")" >in &&
	printf "{\"topic\":\"a\\377b\",\"partition\":6,\"offset\":2,\"value\":\"x\"}\n" >>in &&
	record_line $T 6 3 "$(sample_record 41 "$(cl 41)")" >>in &&
	db-writer <in >acks 2>err &&
	test "$(grep -c "\"stored\"" acks)" = 2
'

test_expect_success 'NUL in a topic: not taken for another topic' '
	printf "{\"topic\":\"a\\\\u0000b\",\"partition\":6,\"offset\":4,\"value\":\"x\"}\n" >in &&
	db-writer <in >acks 2>err &&
	! grep "\"topic\":\"a\"" acks &&
	test "$(sql "SELECT count(*) FROM dead_letters WHERE topic = '"'a'"'")" = 0
'

test_expect_success 'a partition or offset beyond its type is a bad line, not clamped' '
	printf "{\"topic\":\"$T\",\"partition\":2147483648,\"offset\":1,\"value\":\"x\"}\n" >in &&
	printf "{\"topic\":\"$T\",\"partition\":7,\"offset\":9223372036854775808,\"value\":\"x\"}\n" >>in &&
	db-writer <in >acks 2>err &&
	test_line_count = 0 acks
'

test_expect_success 'partition and offset: negative or fractional are bad lines, the run goes on' '
	printf "{\"topic\":\"$T\",\"partition\":-5,\"offset\":1,\"value\":\"x\"}\n" >in &&
	printf "{\"topic\":\"$T\",\"partition\":7,\"offset\":-1,\"value\":\"x\"}\n" >>in &&
	printf "{\"topic\":\"$T\",\"partition\":1.5,\"offset\":1,\"value\":\"x\"}\n" >>in &&
	record_line $T 7 2 "$(sample_record 42 "$(cl 42)")" >>in &&
	db-writer <in >acks 2>err &&
	acks_are acks $T 7/2/stored &&
	test "$(grep -c "is not a record line" err)" = 3
'

# -- SQL injection ---------------------------------------------------------------

test_expect_success 'injection: a topic and a value that look like SQL are data' '
	record_line "$INJ_TOPIC" 0 1 "$(sample_record 50 "$(cl 50)")" >in &&
	record_line "$INJ_TOPIC" 0 2 "$INJ_TOPIC" >>in &&
	printf "{\"topic\":\"q\\\\\"b\\\\\\\\s\",\"partition\":0,\"offset\":3,\"value\":\"x\"}\n" >>in &&
	record_line $T 8 1 "$(val 51 "$INJ_CLUSTER" "{}")" >>in &&
	db-writer <in >acks 2>err &&
	jq_ok acks "[(a[\"topic\"], a[\"status\"]) for a in L] == [(\"$INJ_TOPIC\", \"stored\"), (\"$INJ_TOPIC\", \"dead_letter\"), (\"q\\\"b\\\\s\", \"dead_letter\"), (\"$T\", \"dead_letter\")]" &&
	tables_intact &&
	test "$(sql "SELECT count(*) FROM consumed_records WHERE topic = \$\$$INJ_TOPIC\$\$")" = 1 &&
	test "$(sql "SELECT convert_from(raw, '"'UTF8'"') FROM dead_letters WHERE topic = \$\$$INJ_TOPIC\$\$")" = "$INJ_TOPIC" &&
	test "$(sql "SELECT count(*) FROM dead_letters WHERE topic = \$\$q\"b\\s\$\$")" = 1 &&
	test "$(sql "SELECT reason_code FROM dead_letters WHERE kafka_partition = 8")" = cluster_uuid &&
	record_line "$INJ_TOPIC" 0 1 "$(sample_record 50 "$(cl 50)")" | db-writer >acks &&
	test_grep "\"duplicate\"" acks
'

test_expect_success 'injection: cluster, error, state, updated_at, drop_items of outcome lines are data' '
	U=$(upd 50) && C=$(cl 50) &&
	{
		outcome 50 "$INJ_CLUSTER" "$U" "2026-12-01 00:00:01" sent &&
		outcome 50 $C "$U" "2026-12-01 00:00:02" error ",\"error\":$INJ_ERR_JSON" &&
		outcome 50 $C "$U" "2026-12-01 00:00:03" "$INJ_STATE" &&
		outcome 50 $C "$INJ_AGE" "2026-12-01 00:00:04" sent &&
		outcome 50 $C "$U" "$INJ_TS" sent &&
		outcome 50 $C "$U" "2026-12-01 00:00:06" sent ",\"drop_items\":[\"1}); DROP TABLE reported; --\",0]" &&
		outcome 50 $C "$U" "2026-12-01 00:00:07" same
	} >o.in &&
	test_expect_code 65 db-writer -r <o.in 2>err &&
	tables_intact &&
	sql "SELECT notified_at, state, error_log FROM reported WHERE org_id = 50 ORDER BY 1" >actual &&
	printf "%s\n" "2026-12-01 00:00:02|4|$INJ_ERR" "2026-12-01 00:00:06|1|" "2026-12-01 00:00:07|2|" >expect &&
	test_cmp expect actual &&
	test "$(sql "SELECT report::jsonb = '"'"'{\"reports\": []}'"'"'::jsonb FROM reported WHERE org_id = 50 AND notified_at = '"'"'2026-12-01 00:00:06'"'"'")" = t &&
	test_grep "outcome line 3 lacks" err &&
	test_grep "22007" err
'

test_expect_success 'injection: --max-age, --reason, --cooldown, --shard are data or refused' '
	test_expect_code 78 db-writer --max-age "$INJ_AGE" print-for-cleanup >out 2>err &&
	test_grep -- "--max-age .*: not an interval" err &&
	test_expect_code 78 db-writer --max-age "$INJ_AGE" cleanup 2>err &&
	db-writer --reason "$INJ_REASON" dead-letters >out 2>err &&
	test_line_count = 0 out &&
	db-writer --reason "$INJ_REASON" --resubmit dead-letters >out &&
	test_line_count = 0 out &&
	test_expect_code 78 differ -T notifications-backend -c "$CONTENT" --cooldown "$INJ_AGE" >out 2>err &&
	test_grep -- "--cooldown .*: not an interval" err &&
	test_expect_code 78 differ -T notifications-backend -c "$CONTENT" --shard "0/2; DROP TABLE reported" >out 2>err &&
	test_grep -- "--shard \"0/2; DROP TABLE reported\": not K/N" err &&
	tables_intact &&
	test "$(sql "SELECT count(*) FROM dead_letters")" -gt 10
'

test_expect_success 'injection: --allowed-clusters and --blocked-clusters are matched as strings' '
	differ -T notifications-backend -c "$CONTENT" --no-same \
		--allowed-clusters "$INJ_CLUSTER,$(cl 30),$INJ_OR" >dec 2>err &&
	jq_ok dec "[d[\"cluster\"] for d in L] == [\"$(cl 30)\"]" &&
	differ -T notifications-backend -c "$CONTENT" --no-same >all &&
	differ -T notifications-backend -c "$CONTENT" --no-same \
		--blocked-clusters "$INJ_OR,$INJ_CLUSTER" >dec &&
	test_line_count = "$(wc -l <all)" dec &&
	tables_intact
'

# -- broken content files ------------------------------------------------------------

# bad_content JSON FIELD-MESSAGE: differ -c file:// on JSON exits 69
# (content fails the run only) naming the field.
bad_content() {
	printf "%s\n" "$1" >bad.json &&
	test_expect_code 69 differ -T notifications-backend -i - \
		-c "file://$TRASH_DIRECTORY/bad.json" </dev/null >out 2>err &&
	test_grep -F "$2" err &&
	test_line_count = 0 out
}

test_expect_success 'content: wrong-typed fields exit 69 naming the field' '
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{\"metadata\":{\"likelihood\":\"high\"}}}}}}" \
		"Rules.r.error_keys.K.metadata.likelihood: expected an integer, not a string" &&
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{\"metadata\":{\"impact\":{\"impact\":[]}}}}}}}" \
		"Rules.r.error_keys.K.metadata.impact.impact: expected an integer, not an array" &&
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{\"metadata\":{\"tags\":\"osd_customer\"}}}}}}" \
		"Rules.r.error_keys.K.metadata.tags: expected an array, not a string" &&
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{\"metadata\":{\"description\":7}}}}}}" \
		"Rules.r.error_keys.K.metadata.description: expected a string, not an integer" &&
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":[]}}}" \
		"Rules.r.error_keys: expected an object, not an array" &&
	bad_content "{\"Rules\":{\"r\":{\"plugin\":{\"python_module\":[\"x\"]}}}}" \
		"Rules.r.plugin.python_module: expected a string, not an array" &&
	bad_content "{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{\"metadata\":{\"likelihood\":99999999999}}}}}}" \
		"Rules.r.error_keys.K.metadata.likelihood: 99999999999 is out of range" &&
	bad_content "{\"Config\":[]}" "Config: expected an object, not an array" &&
	bad_content "{\"Rules\":{\"r\":{\"HasReason\":1}}}" "Rules.r.HasReason: expected a boolean"
'

test_expect_success 'content: missing fields are zero values (as Go decodes them); the run goes on; no rule at all is an error' '
	for j in "{}" "{\"Rules\":null}"; do
		printf "%s\n" "$j" >miss.json &&
		test_expect_code 69 differ -T notifications-backend -c "file://$TRASH_DIRECTORY/miss.json" \
			--allowed-clusters "$(cl 30)" >dec 2>err &&
		test_grep "holds no rule" err || return 1
	done &&
	for j in "{\"Rules\":{\"r\":{}}}" \
		"{\"Rules\":{\"r\":{\"error_keys\":{\"K\":{}}}}}" \
		"{\"Rules\":{\"r\":{\"error_keys\":{\"K\":null}}}}"; do
		printf "%s\n" "$j" >miss.json &&
		differ -T notifications-backend -c "file://$TRASH_DIRECTORY/miss.json" \
			--allowed-clusters "$(cl 30)" >dec 2>err &&
		jq_ok dec "[d.get(\"state\") for d in L] == [\"same\"]" || return 1
	done
'

test_expect_success 'content: not JSON, bad UTF-8, 1e6 deep, over 16 MiB: clear errors, no crash' '
	printf "\377\376garbage" >g.json &&
	test_expect_code 69 differ -T notifications-backend -i - -c "file://$TRASH_DIRECTORY/g.json" </dev/null 2>err &&
	test_grep "unable to decode the content" err &&
	printf "{\"Rules\":{\"r\377\":{}}}" >g.json &&
	test_expect_code 69 differ -T notifications-backend -i - -c "file://$TRASH_DIRECTORY/g.json" </dev/null 2>err &&
	test_grep "invalid utf-8" err &&
	printf "{\"Rules\":%s}" "$(deep 1000000)" >g.json &&
	test_expect_code 69 differ -T notifications-backend -i - -c "file://$TRASH_DIRECTORY/g.json" </dev/null 2>err &&
	test_grep "unable to decode the content" err &&
	python3 -c "import sys; sys.stdout.write(\"{\\\"Rules\\\":{}, \\\"pad\\\":\\\"\" + \"x\" * (17 << 20) + \"\\\"}\")" >g.json &&
	test_expect_code 69 differ -T notifications-backend -i - -c "file://$TRASH_DIRECTORY/g.json" </dev/null 2>err &&
	test_grep "16777216" err
'

# -- hostile HTTP answers ----------------------------------------------------------------


# slp_mode NAME MODE COUNT: servicelog-poster on two.dec with stub NAME in
# MODE for COUNT requests; the outcomes in outs, the peak RSS in rss.kb.
slp_mode() {
	reset_stubs &&
	stub_control "$1" "{\"mode\": \"$2\", \"count\": $3}" &&
	rss rss.kb timeout 60 servicelog-poster --client-id CLIENT_ID --renderer-url "$RD_URL" \
		--url "$SLURL" --token-url "$SSO_URL/token" --retry-base-ms 10 \
		<two.dec >outs 2>err &&
	say "# servicelog-poster peak RSS ($1 $2): $(cat rss.kb) KiB" &&
	rss_below 65536
}

test_expect_success 'HTTP: setup: two clusters with new issues for the Service Log' '
	record_line $T 9 1 "$(val 60 "$(cl 60)" "{}")" >in &&
	record_line $T 9 2 "$(val 61 "$(cl 61)" "{}")" >>in &&
	db-writer <in >acks &&
	differ -T service-log -c "$CONTENT" --allowed-clusters "$(cl 60),$(cl 61)" >two.dec &&
	jq_ok two.dec "[len(d[\"issues\"]) for d in L] == [1, 1]"
'

test_expect_success 'HTTP: the renderer answers not JSON: error outcome, the next cluster is posted' '
	test_line_count = 2 two.dec &&
	slp_mode RD notjson 1 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"sent\"] and \"not JSON\" in L[0][\"error\"]"
'

test_expect_success 'HTTP: the renderer answers 20 MiB: error outcome, memory bounded, run goes on' '
	slp_mode RD huge 1 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"sent\"] and \"exceeds 16777216 bytes\" in L[0][\"error\"]"
'

test_expect_success 'HTTP: the Service Log answers 20 MiB: the entry fails after its retries, run goes on' '
	slp_mode SL huge 3 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"sent\"] and \"exceeds 16777216 bytes (3 attempts)\" in L[0][\"error\"]"
'

test_expect_success 'HTTP: the Service Log answers 2xx with a body that is not JSON: taken as posted' '
	slp_mode SL notjson 1 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"sent\", \"sent\"]" &&
	test_grep "HTTP 200 taken as success" err
'

test_expect_success 'HTTP: the token endpoint answers not JSON or 20 MiB: error outcome, run goes on' '
	slp_mode SSO notjson 1 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"sent\"] and \"token: undecodable response\" in L[0][\"error\"]" &&
	slp_mode SSO huge 3 &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"sent\"] and \"exceeds 16777216 bytes\" in L[0][\"error\"]"
'

# A server whose error body holds bytes that are not UTF-8, a NUL, quotes
# and backslashes: they reach the outcome's error text and reported.
cat >badbody.py <<\EOF
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"bad \xff\xfe body \x00 nul \"quote\" \\ back'); DROP TABLE reported; --\n" + b"z" * 3000
        self.send_response(400)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF
python3 badbody.py "$TRASH_DIRECTORY/bad.port" </dev/null >bad.err 2>&1 &
BAD_PID=$!
test_atexit "kill $BAD_PID"
test_wait_for 10 test -s bad.port && test_set_prereq BADSERVER
BAD_URL=http://127.0.0.1:$(cat bad.port 2>/dev/null)

test_expect_success BADSERVER 'HTTP: a hostile error body is cleaned in the outcome and recorded' '
	reset_stubs &&
	slp --renderer-url "$BAD_URL/" <two.dec >outs 2>err &&
	jq_ok outs "[o[\"state\"] for o in L] == [\"error\", \"error\"]" &&
	jq_ok outs "\"HTTP 400: bad \" in L[0][\"error\"] and \"\\x00\" not in L[0][\"error\"] and len(L[0][\"error\"].encode()) <= 1000" &&
	slp --url "$BAD_URL/" <two.dec >outs2 2>err2 &&
	jq_ok outs2 "[o[\"state\"] for o in L] == [\"error\", \"error\"] and \"HTTP 400\" in L[0][\"error\"]" &&
	sed "s/\"notified_at\":\"\\([^\"]*\\)\"/\"notified_at\":\"2026-12-02 00:00:00\"/" outs >o.in &&
	db-writer -r <o.in 2>err &&
	tables_intact &&
	test "$(sql "SELECT count(*) FROM reported WHERE notified_at = '"'2026-12-02 00:00:00'"' AND state = 4 AND error_log LIKE '"'%HTTP 400: bad %'"'")" = 2
'

test_expect_success 'every table survived' '
	tables_intact &&
	test "$(sql "SELECT count(*) FROM new_reports")" -gt 10
'

test_done
