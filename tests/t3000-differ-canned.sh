#!/bin/sh
test_description='differ: decisions from candidate lines (-i), no database'
. ./test-lib.sh
test_use differ

test_have_prereq PYTHON || skip_all "python3 is needed to read the decisions"

# The content of the differ tests (differ_content, test-lib.sh): rule
# alpha_rule (4/4, 3/3, 1/1; tagged osd_customer) and beta_rule (2/2
# tagged openshift only, 3/1 without tags).
differ_content >content.json
CONTENT=file://$TRASH_DIRECTORY/content.json

jstr() { printf '%s' "$1" | helper jsonstr | sed -n 1p; }
# cand N REPORT [BASELINE [UPDATED_AT]]: a candidate line for cluster N
# (org N, account N + 100).
cand() {
	_b=null _ba=null
	if [ $# -ge 3 ] && [ "$3" != - ]; then
		_b=$(jstr "$3") _ba='"2026-11-29 10:00:00.25"'
	fi
	printf '{"org_id":%d,"account_number":%d,"cluster":"%s","updated_at":"%s","kafka_offset":%d,"report":%s,"baseline":%s,"baseline_notified_at":%s}\n' \
		"$1" $(( $1 + 100 )) "$(cl "$1")" "${4:-2026-11-30 10:00:00.5}" "$1" "$(jstr "$2")" "$_b" "$_ba"
}
# cands N REPORT: candidate lines for clusters 1..N, all with REPORT.
cands() {
	cand 1 "$2" | awk -v n="$1" '{
		for (i = 1; i <= n; i++) {
			c = sprintf("\"cluster\":\"%08d-", i)
			l = $0
			sub(/"cluster":"00000001-/, c, l)
			print l
		}
	}'
}
nb() { differ -T notifications-backend -c "$CONTENT" -i - "$@"; }
sl() { differ -T service-log -c "$CONTENT" -i - "$@"; }
# summ: the decisions, one line each, with the rules of their content.
summ() { decision_summary -c; }

CRIT=$(item alpha_rule ALPHA_CRIT)
IMP=$(item alpha_rule ALPHA_IMP)
LOW=$(item alpha_rule ALPHA_LOW)
MOD=$(item beta_rule BETA_MOD)
ODD=$(item beta_rule BETA_ODD)
UNKNOWN=$(item gamma_rule GAMMA_KEY)

test_must_be_empty_() { test ! -s "$1" || { cat "$1" >&2; return 1; }; }

test_expect_success 'no candidates: no output, success' '
	nb </dev/null >out 2>err &&
	test_must_be_empty_ out
'

test_expect_success 'one important issue: one decision, one event of total risk "3"' '
	cand 1 "$(report "$IMP")" | nb >out &&
	echo "1 nb ALPHA_IMP=3" >expect &&
	summ <out >actual &&
	test_cmp expect actual
'

test_expect_success SHARED 'shared content, JSON and gob: TEST_RULE_IMPORTANT_IMPACT gives "3"' '
	i=$(printf "{\"component\":\"ccx_rules_ocp.external.rules.test_rule.report\",\"type\":\"rule\",\"key\":\"TEST_RULE_IMPORTANT_IMPACT\",\"details\":{}}") &&
	cand 1 "{\"reports\":[$i]}" >in &&
	for f in test_content.json test_content.gob; do
		differ -T notifications-backend -i in \
			-c "file://$SHARED_TESTDATA/content/$f" >out.$f || return 1
	done &&
	python3 -c "
import json, sys
for f in sys.argv[1:]:
    d = json.loads(open(f).read())
    ev = d[\"payload\"][\"events\"]
    assert len(ev) == 1, ev
    p = ev[0][\"payload\"]
    assert p[\"total_risk\"] == \"3\", p
    assert p[\"rule_description\"] == \"A test rule for E2E tests that depend on this service\", p
" out.test_content.json out.test_content.gob
'

test_expect_success SHARED 'shared content: critical, moderate and low give 4, 2 (sent) and 1 (not)' '
	for k in CRITICAL IMPORTANT MODERATE LOW; do
		printf "{\"component\":\"ccx_rules_ocp.external.rules.test_rule.report\",\"type\":\"rule\",\"key\":\"TEST_RULE_%s_IMPACT\"}," $k
	done >items &&
	cand 7 "{\"reports\":[$(sed "s/,\$//" items)]}" |
	differ -T notifications-backend -c "file://$SHARED_TESTDATA/content/test_content.gob" -i - >out &&
	echo "7 nb TEST_RULE_CRITICAL_IMPACT=4 TEST_RULE_IMPORTANT_IMPACT=3 TEST_RULE_MODERATE_IMPACT=2" >expect &&
	summ <out >actual &&
	test_cmp expect actual
'

test_expect_success 'thresholds: total risk 1 is not sent at 2 (default), sent at 0' '
	{ cand 1 "$(report "$LOW")" && cand 2 "$(report "$LOW" "$MOD")"; } >in &&
	decides "1 same\n2 nb BETA_MOD=2" nb <in &&
	decides "1 nb ALPHA_LOW=1\n2 nb ALPHA_LOW=1 BETA_MOD=2" nb --total-risk-threshold 0 <in
'

test_expect_success 'thresholds from the environment; a flag wins' '
	cand 1 "$(report "$LOW" "$IMP" "$CRIT")" >in &&
	CCX_DIFFER_TOTAL_RISK_THRESHOLD=4 nb <in | summ >actual &&
	echo "1 nb ALPHA_CRIT=4" >expect &&
	test_cmp expect actual &&
	CCX_DIFFER_TOTAL_RISK_THRESHOLD=4 nb --total-risk-threshold 1 <in | summ >actual &&
	echo "1 nb ALPHA_LOW=1 ALPHA_IMP=3 ALPHA_CRIT=4" >expect &&
	test_cmp expect actual &&
	(CCX_DIFFER_TOTAL_RISK_THRESHOLD=x && export CCX_DIFFER_TOTAL_RISK_THRESHOLD &&
	 test_expect_code 78 nb <in 2>err) &&
	test_grep CCX_DIFFER_TOTAL_RISK_THRESHOLD err
'

test_expect_success 'service log: all thresholds 0 by default' '
	cand 1 "$(report "$LOW")" | sl | summ >actual &&
	echo "1 sl 0:ALPHA_LOW=1 [alpha]" >expect &&
	test_cmp expect actual
'

test_expect_success 'event filter expressions' '
	cand 1 "$(report "$LOW" "$MOD" "$ODD" "$IMP" "$CRIT")" >in &&
	decides "1 nb ALPHA_LOW=1 BETA_ODD=2" nb --event-filter "likelihood == 1" <in &&
	decides "1 nb ALPHA_IMP=3 ALPHA_CRIT=4" nb --event-filter "impact > 2 && likelihood > 2" <in &&
	decides "1 nb ALPHA_IMP=3 ALPHA_CRIT=4" \
		nb --event-filter "totalRisk >= likelihoodThreshold" \
		--likelihood-threshold 3 <in &&
	decides "1 nb BETA_ODD=2" nb --event-filter "impact - likelihood" <in &&
	decides "1 nb ALPHA_LOW=1 BETA_MOD=2 BETA_ODD=2 ALPHA_IMP=3 ALPHA_CRIT=4" \
		nb --event-filter "severity == 0 && severityThreshold == 5" \
		--severity-threshold 5 <in
'

test_expect_success 'event filter: a division by zero skips the item, counted' '
	cand 1 "$(report "$UNKNOWN" "$IMP")" |
	nb --event-filter "6 / impact" --metrics-file m.prom >out 2>err &&
	echo "1 nb ALPHA_IMP=3" >expect &&
	summ <out >actual &&
	test_cmp expect actual &&
	test_grep "divides by zero" err &&
	test_grep "^ccx_notification_service_notification_backend_event_filter_errors 1\$" m.prom
'

test_expect_success 'a bad event filter exits 78 naming the column' '
	test_expect_code 78 nb --event-filter "totalRisk >= foo" </dev/null 2>err &&
	test_grep "column 14" err &&
	test_expect_code 78 nb --event-filter "totalRisk >=" </dev/null 2>err &&
	test_grep "column" err &&
	(CCX_DIFFER_EVENT_FILTER=" " && export CCX_DIFFER_EVENT_FILTER &&
	 test_expect_code 78 nb </dev/null 2>err) &&
	test_grep "CCX_DIFFER_EVENT_FILTER" err
'

test_expect_success 'tag filter: every configured tag, off by default for target 1' '
	cand 1 "$(report "$MOD" "$ODD" "$IMP" "$CRIT")" >in &&
	decides "1 nb BETA_MOD=2 BETA_ODD=2 ALPHA_IMP=3 ALPHA_CRIT=4" nb <in &&
	decides "1 nb ALPHA_IMP=3 ALPHA_CRIT=4" nb --tag-filter osd_customer <in &&
	decides "1 nb ALPHA_CRIT=4" nb --tag-filter " osd_customer , openshift " <in &&
	decides "1 nb BETA_MOD=2 BETA_ODD=2 ALPHA_IMP=3 ALPHA_CRIT=4" nb --tag-filter "" <in
'

test_expect_success 'tag filter: osd_customer by default for service log; --no-tag-filter' '
	cand 1 "$(report "$MOD" "$ODD" "$IMP")" >in &&
	decides "1 sl 2:ALPHA_IMP=3 [alpha]" sl <in &&
	decides "1 sl 0:BETA_MOD=2 1:BETA_ODD=2 2:ALPHA_IMP=3 [beta,alpha]" sl --no-tag-filter <in &&
	CCX_DIFFER_NO_TAG_FILTER=1 sl <in | summ >actual &&
	test_cmp expect actual &&
	CCX_DIFFER_NO_TAG_FILTER=1 sl --tag-filter openshift <in | summ >actual &&
	echo "1 sl 0:BETA_MOD=2 [beta]" >expect &&
	test_cmp expect actual &&
	decides "1 sl 0:BETA_MOD=2 1:BETA_ODD=2 2:ALPHA_IMP=3 [beta,alpha]" \
		sl --tag-filter openshift --no-tag-filter <in
'

test_expect_success 'allow and block lists (allow wins), counts logged' '
	for i in 1 2 3 4; do cand $i "$(report "$IMP")" || return 1; done >in &&
	nb --allowed-clusters "$(cl 2), $(cl 4),$(cl 9)" <in 2>err | summ >actual &&
	printf "2 nb ALPHA_IMP=3\n4 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual &&
	test_grep "allow list: 4 clusters read, 2 allowed, 2 dropped" err &&
	nb --blocked-clusters "$(cl 2),$(cl 3)" <in 2>err | summ >actual &&
	printf "1 nb ALPHA_IMP=3\n4 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual &&
	test_grep "block list: 4 clusters read, 2 blocked, 2 kept" err &&
	decides "2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3" \
		nb --allowed-clusters "$(cl 2),$(cl 3)" \
		--blocked-clusters "$(cl 2),$(cl 3)" <in &&
	CCX_DIFFER_BLOCKED_CLUSTERS=$(cl 1) nb <in | summ >actual &&
	printf "2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3\n4 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'cooldown: the baseline suppresses equal items, new ones pass' '
	{
		cand 1 "$(report "$IMP" "$CRIT")" "$(report "$IMP" "$CRIT")" &&
		cand 2 "$(report "$IMP" "$CRIT")" "$(report "$IMP")" &&
		cand 3 "$(report "$(item alpha_rule ALPHA_IMP "{\"other\":1}")")" "$(report "$IMP")" &&
		cand 4 "$(report "$(item alpha_rule ALPHA_IMP "{}" other)")" "$(report "$IMP")" &&
		cand 5 "$(report "$IMP")" "$(report "$CRIT" "$LOW")" &&
		cand 6 "$(report "$IMP")" "{\"reports\":[]}"
	} >in &&
	nb <in | summ >actual &&
	cat >expect <<-\EOF &&
	1 same
	2 nb ALPHA_CRIT=4
	3 same
	4 nb ALPHA_IMP=3
	5 nb ALPHA_IMP=3
	6 nb ALPHA_IMP=3
	EOF
	test_cmp expect actual &&
	nb --cooldown 0 <in | summ >actual &&
	cat >expect <<-\EOF &&
	1 nb ALPHA_IMP=3 ALPHA_CRIT=4
	2 nb ALPHA_IMP=3 ALPHA_CRIT=4
	3 nb ALPHA_IMP=3
	4 nb ALPHA_IMP=3
	5 nb ALPHA_IMP=3
	6 nb ALPHA_IMP=3
	EOF
	test_cmp expect actual &&
	nb --cooldown "  " <in | summ >actual2 &&
	test_cmp expect actual2
'

test_expect_success 'an undecodable baseline counts and is treated as none' '
	cand 1 "$(report "$IMP")" "not json" |
	nb --metrics-file m.prom 2>err | summ >actual &&
	echo "1 nb ALPHA_IMP=3" >expect &&
	test_cmp expect actual &&
	test_grep "baseline" err &&
	test_grep "^ccx_notification_service_notification_backend_baseline_errors 1\$" m.prom
'

test_expect_success 'missing content: zeros; passes at threshold 0, fails a tag filter' '
	cand 1 "$(report "$UNKNOWN" "$(item alpha_rule NO_SUCH_KEY)")" >in &&
	decides "1 same" nb <in &&
	nb --total-risk-threshold 0 <in >out &&
	summ <out >actual &&
	echo "1 nb GAMMA_KEY=0 NO_SUCH_KEY=0" >expect &&
	test_cmp expect actual &&
	python3 -c "
import json, sys
ev = json.loads(sys.stdin.read())[\"payload\"][\"events\"]
assert [e[\"payload\"][\"rule_description\"] for e in ev] == [\"\", \"\"], ev
" <out &&
	decides "1 same" sl <in &&
	decides "1 sl 0:GAMMA_KEY=0 1:NO_SUCH_KEY=0 [alpha]" sl --no-tag-filter <in
'

test_expect_success 'rule name: one trailing .report off, then after the last dot' '
	r=$(printf "{\"reports\":[%s,%s,%s,%s]}" \
		"{\"type\":\"rule\",\"component\":\"alpha_rule\",\"key\":\"ALPHA_IMP\"}" \
		"{\"type\":\"rule\",\"component\":\"a.b.alpha_rule\",\"key\":\"ALPHA_LOW\"}" \
		"{\"type\":\"rule\",\"component\":\"x.alpha_rule.report.report\",\"key\":\"ALPHA_CRIT\"}" \
		"{\"type\":\"rule\",\"component\":\"alpha_rule.report\",\"key\":\"ALPHA_CRIT\"}") &&
	cand 1 "$r" | nb --total-risk-threshold 0 | summ >actual &&
	echo "1 nb ALPHA_IMP=3 ALPHA_LOW=1 ALPHA_CRIT=0 ALPHA_CRIT=4" >expect &&
	test_cmp expect actual
'

test_expect_success 'undecodable reports: a read_error line each, the run goes on' '
	{
		cand 1 "" &&
		cand 2 "not json" &&
		cand 3 "[]" &&
		cand 4 "{\"reports\":\"x\"}" &&
		cand 5 "{\"reports\":[1]}" &&
		cand 6 "{\"reports\":[null]}" &&
		cand 7 "{\"reports\":[{\"type\":5}]}" &&
		cand 8 "{\"reports\":[{\"key\":[]}]}" &&
		cand 9 "{\"reports\":[$IMP],}" &&
		cand 10 "$(report "$IMP" null)" &&
		cand 11 "$(report "$IMP")"
	} >in &&
	nb --metrics-file m.prom <in >out 2>err &&
	summ <out >actual &&
	cat >expect <<-\EOF &&
	1 read_error: the report is not JSON: no JSON value at byte 0
	2 read_error: the report is not JSON: invalid literal (expected true, false or null) at byte 0
	3 read_error: the report is an array, not an object
	4 read_error: reports is a string, not an array
	5 read_error: reports[0] is a number, not an object
	6 read_error: reports[0] is null, not an object
	7 read_error: reports[0].type is a number, not a string
	8 read_error: reports[0].key is an array, not a string
	EOF
	head -n 8 actual >actual.head &&
	test_cmp expect actual.head &&
	sed -n "9p" actual | grep "^9 read_error: the report is not JSON" &&
	sed -n "10,11p" actual >actual.tail &&
	printf "10 read_error: reports[1] is null, not an object\n11 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual.tail &&
	test_grep "^ccx_notification_service_notification_backend_deserialize_report_errors 10\$" m.prom &&
	test "$(grep -c "warning: cluster" err)" = 10
'

test_expect_success 'read_error lines carry what db-writer needs' '
	cand 6 "{\"reports\":[null]}" | nb >out &&
	python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
want = {\"target\", \"org_id\", \"account_number\", \"cluster\", \"updated_at\",
        \"notified_at\", \"state\", \"error\"}
assert set(d) == want, d
assert d[\"org_id\"] == 6 and d[\"account_number\"] == 106, d
assert d[\"updated_at\"] == \"2026-11-30 10:00:00.5\", d
assert len(d[\"error\"]) <= 1000
" <out
'

test_expect_success 'empty reports: no line at all' '
	{
		cand 1 "{\"reports\":[]}" &&
		cand 2 "{}" &&
		cand 3 "{\"reports\":null}" &&
		cand 4 "null" &&
		cand 5 "{\"reports\": [ ] , \"other\": 1}"
	} | nb --total-risk-threshold 0 >out &&
	test_must_be_empty_ out
'

test_expect_success 'null and absent members are "" (Go), details verbatim or null' '
	r="{\"reports\":[{\"type\":null,\"component\":\"c.alpha_rule.report\",\"key\":\"ALPHA_IMP\",\"details\":{ \"n\" : 123456789012345678901234567890, \"s\":\"a  b\\u00e9\" }},{\"component\":\"c.alpha_rule.report\",\"key\":\"ALPHA_IMP\"},{\"component\":\"c.alpha_rule.report\",\"key\":\"ALPHA_IMP\",\"details\":null}]}" &&
	cand 1 "$r" | sl >out &&
	sed "s/.*\"issues\":\\(\\[.*\\]\\),\"content\".*/\\1/" out >actual &&
	cat >expect <<-\EOF &&
	[{"item":0,"type":"","component":"c.alpha_rule.report","key":"ALPHA_IMP","details":{"n":123456789012345678901234567890,"s":"a  b\u00e9"},"total_risk":3},{"item":1,"type":"","component":"c.alpha_rule.report","key":"ALPHA_IMP","details":null,"total_risk":3},{"item":2,"type":"","component":"c.alpha_rule.report","key":"ALPHA_IMP","details":null,"total_risk":3}]
	EOF
	test_cmp expect actual
'

test_expect_success 'Contract E message, field by field' '
	{
		cand 1 "$(report "$LOW" "$CRIT" "$IMP")" - "2026-11-30 10:00:00.5" &&
		cand 2 "$(report "$IMP")" - "2026-11-30 10:00:00" &&
		cand 3 "$(report "$IMP")" - "2026-11-30 10:00:00.12345"
	} | nb >out &&
	test_line_count = 3 out &&
	python3 -c "
import json, re, sys
pub = {1: \"2026-11-30T10:00:00.5Z\", 2: \"2026-11-30T10:00:00Z\",
       3: \"2026-11-30T10:00:00.12345Z\"}
base = \"https://console.redhat.com/openshift/insights/advisor/clusters/\"
prev = \"\"
for line in sys.stdin:
    assert line.endswith(\"}\\n\") and line.count(\"\\n\") == 1
    d = json.loads(line)
    n = d[\"org_id\"]
    cluster = \"%08d-0000-4000-8000-000000000000\" % n
    assert list(d) == [\"target\", \"org_id\", \"account_number\", \"cluster\",
        \"updated_at\", \"notified_at\", \"payload\"], list(d)
    assert d[\"target\"] == \"notifications-backend\"
    assert d[\"account_number\"] == n + 100 and d[\"cluster\"] == cluster
    assert re.fullmatch(r\"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}\", d[\"notified_at\"]), d
    assert d[\"notified_at\"] > prev
    prev = d[\"notified_at\"]
    m = d[\"payload\"]
    assert list(m) == [\"bundle\", \"application\", \"event_type\", \"timestamp\",
        \"account_id\", \"org_id\", \"events\", \"context\"], list(m)
    assert m[\"bundle\"] == \"openshift\" and m[\"application\"] == \"advisor\"
    assert m[\"event_type\"] == \"new-recommendation\"
    assert re.fullmatch(r\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z\", m[\"timestamp\"]), m
    assert m[\"account_id\"] == str(n + 100) and m[\"org_id\"] == str(n)
    assert m[\"context\"] == {\"display_name\": cluster, \"host_url\": base + cluster}
    assert list(m[\"context\"]) == [\"display_name\", \"host_url\"]
    keys = []
    for e in m[\"events\"]:
        assert list(e) == [\"metadata\", \"payload\"] and e[\"metadata\"] == {}
        p = e[\"payload\"]
        assert list(p) == [\"publish_date\", \"rule_description\", \"rule_url\",
            \"total_risk\"], list(p)
        assert all(isinstance(v, str) for v in p.values())
        assert p[\"publish_date\"] == pub[n], p
        k = p[\"rule_url\"].split(\"|\")[-1]
        assert p[\"rule_url\"] == base + cluster + \"?first=ccx_rules_ocp|external|rules|alpha_rule|report|\" + k, p
        keys.append((k, p[\"total_risk\"], p[\"rule_description\"]))
    if n == 1:
        assert keys == [(\"ALPHA_CRIT\", \"4\", \"Alpha \\\"critical\\\" <b>&</b> / \\u00e9\"),
                        (\"ALPHA_IMP\", \"3\", \"Alpha important\")], keys
    else:
        assert keys == [(\"ALPHA_IMP\", \"3\", \"Alpha important\")], keys
print(\"ok\")
" <out >result &&
	echo ok >expect &&
	test_cmp expect result
'

test_expect_success 'same lines: the common members and state' '
	cand 1 "$(report "$LOW")" | nb >out &&
	python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
assert list(d) == [\"target\", \"org_id\", \"account_number\", \"cluster\",
    \"updated_at\", \"notified_at\", \"state\"], d
assert d[\"state\"] == \"same\"
" <out &&
	cand 1 "$(report "$LOW")" | nb --no-same >out &&
	test_must_be_empty_ out &&
	cand 1 "$(report "$LOW")" | CCX_DIFFER_NO_SAME=yes nb >out &&
	test_must_be_empty_ out
'

test_expect_success 'service log: issues and content shape' '
	cand 1 "$(report "$IMP" "$MOD" "$CRIT" "$ODD" "$IMP")" |
	sl --no-tag-filter >out &&
	python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
assert list(d) == [\"target\", \"org_id\", \"account_number\", \"cluster\",
    \"updated_at\", \"notified_at\", \"issues\", \"content\"], list(d)
assert d[\"target\"] == \"service-log\"
got = [(i[\"item\"], i[\"key\"], i[\"total_risk\"]) for i in d[\"issues\"]]
assert got == [(0, \"ALPHA_IMP\", 3), (1, \"BETA_MOD\", 2), (2, \"ALPHA_CRIT\", 4),
    (3, \"BETA_ODD\", 2), (4, \"ALPHA_IMP\", 3)], got
for i in d[\"issues\"]:
    assert list(i) == [\"item\", \"type\", \"component\", \"key\", \"details\",
        \"total_risk\"], i
    assert i[\"type\"] == \"rule\" and i[\"details\"] == {}
    assert i[\"component\"].startswith(\"ccx_rules_ocp.external.rules.\")
c = d[\"content\"]
assert [r[\"plugin\"][\"name\"] for r in c] == [\"alpha\", \"beta\"], c
a = c[0]
assert a[\"generic\"] == \"alpha generic\" and a[\"reason\"] == \"alpha reason\"
assert a[\"HasReason\"] is True
ek = a[\"error_keys\"][\"ALPHA_IMP\"]
assert ek[\"metadata\"][\"impact\"] == {\"name\": \"Hung\", \"impact\": 3}, ek
assert ek[\"metadata\"][\"likelihood\"] == 3 and ek[\"metadata\"][\"tags\"] == [\"osd_customer\"]
assert set(a[\"error_keys\"]) == {\"ALPHA_CRIT\", \"ALPHA_IMP\", \"ALPHA_LOW\"}
assert c[1][\"plugin\"][\"python_module\"] == \"ccx_rules_ocp.internal.beta_rule\"
" <out
'

test_expect_success 'placeholders in the URIs' '
	cand 1 "$(report "$IMP")" |
	nb --cluster-details-uri "https://h/{cluster_id}/{cluster_id}/{module}" \
		--rule-details-uri "x:{cluster_id}/{module}/{error_key}/{cluster_id}/{other}/{error_key}{" >out &&
	python3 -c "
import json, sys
m = json.loads(sys.stdin.read())[\"payload\"]
c = \"00000001-0000-4000-8000-000000000000\"
assert m[\"context\"][\"host_url\"] == \"https://h/\" + c + \"/{cluster_id}/{module}\", m
u = m[\"events\"][0][\"payload\"][\"rule_url\"]
assert u == \"x:\" + c + \"/ccx_rules_ocp|external|rules|alpha_rule|report/ALPHA_IMP/\" + c + \"/{other}/ALPHA_IMP{\", u
" <out &&
	cand 1 "$(report "$IMP")" |
	CCX_DIFFER_RULE_DETAILS_URI="r/{error_key}" CCX_DIFFER_CLUSTER_DETAILS_URI="h" nb >out &&
	python3 -c "
import json, sys
m = json.loads(sys.stdin.read())[\"payload\"]
assert m[\"context\"][\"host_url\"] == \"h\", m
assert m[\"events\"][0][\"payload\"][\"rule_url\"] == \"r/ALPHA_IMP\", m
" <out
'

test_expect_success 'shard K/N partitions the clusters exactly' '
	cands 300 "$(report "$IMP")" >in &&
	nb --no-same <in | summ | cut -d" " -f1 | sort >all &&
	test_line_count = 300 all &&
	for k in 0 1 2 3; do
		nb --shard $k/4 <in | summ | cut -d" " -f1 | sort >s$k || return 1
		test_line_count -gt 30 s$k || return 1
	done &&
	sort s0 s1 s2 s3 >union &&
	test_cmp all union &&
	sort -u s0 s1 s2 s3 >uniq &&
	test_cmp all uniq &&
	nb --shard 0/1 <in | summ | cut -d" " -f1 | sort >one &&
	test_cmp all one &&
	CCX_DIFFER_SHARD=2/4 nb <in | summ | cut -d" " -f1 | sort >env2 &&
	test_cmp s2 env2 &&
	for bad in 4/4 -1/4 1 1/0 a/b 1/; do
		test_expect_code 78 nb --shard "$bad" <in 2>err || return 1
	done
'

test_expect_success 'notified_at strictly increasing over many clusters' '
	cands 200 "$(report "$LOW")" | nb >out &&
	python3 -c "
import json, sys
t = [json.loads(l)[\"notified_at\"] for l in sys.stdin]
assert len(t) == 200 and all(a < b for a, b in zip(t, t[1:])), t
" <out
'

test_expect_success 'invalid candidate lines: logged with the line number, exit 65' '
	{
		cand 1 "$(report "$IMP")" &&
		echo "not a line" &&
		echo "{\"org_id\":\"1\",\"account_number\":1,\"cluster\":\"c\",\"updated_at\":\"2026-11-30 10:00:00\",\"report\":\"{}\"}" &&
		echo "{\"org_id\":1,\"account_number\":1,\"cluster\":\"c\",\"report\":\"{}\"}" &&
		echo "{\"org_id\":1,\"account_number\":1,\"cluster\":\"c\",\"updated_at\":\"yesterday\",\"report\":\"{}\"}" &&
		cand 2 "$(report "$IMP")"
	} >in &&
	test_expect_code 65 nb -i in --metrics-file m.prom >out 2>err &&
	summ <out >actual &&
	printf "1 nb ALPHA_IMP=3\n2 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual &&
	test_grep "line 2: invalid candidate line" err &&
	test_grep "line 3: invalid candidate line: member \"org_id\"" err &&
	test_grep "line 4: invalid candidate line: .*required" err &&
	test_grep "line 5: invalid candidate line: updated_at" err &&
	test_grep "^ccx_notification_service_notification_backend_read_report_for_cluster_errors 4\$" m.prom
'

test_expect_success 'metrics: upstream names and ours, per target' '
	{
		cand 1 "$(report "$IMP" "$CRIT")" &&
		cand 2 "$(report "$LOW")" &&
		cand 3 "x" &&
		cand 4 "$(report "$IMP")" "$(report "$IMP")"
	} >in &&
	nb --metrics-file nb.prom <in >/dev/null 2>&1 &&
	grep -v "^#" nb.prom >actual &&
	cat >expect <<-\EOF &&
	ccx_notification_service_notification_backend_report_with_high_impact 2
	ccx_notification_service_notification_backend_notification_not_sent_same_state 2
	ccx_notification_service_notification_backend_deserialize_report_errors 1
	ccx_notification_service_notification_backend_read_report_for_cluster_errors 0
	ccx_notification_service_notification_backend_candidates 4
	ccx_notification_service_notification_backend_decisions 4
	ccx_notification_service_notification_backend_clusters_filtered_out 0
	ccx_notification_service_notification_backend_baseline_errors 0
	ccx_notification_service_notification_backend_event_filter_errors 0
	ccx_notification_service_notification_backend_clusters_in_flight 0
	ccx_notification_service_notification_backend_claims_expired 0
	ccx_notification_service_notification_backend_baselines 1
	ccx_notification_service_notification_backend_items_skipped_no_content 0
	ccx_notification_service_notification_backend_items_skipped_below_threshold 1
	ccx_notification_service_notification_backend_items_skipped_event_filter 0
	ccx_notification_service_notification_backend_items_skipped_tag_filter 0
	ccx_notification_service_notification_backend_items_skipped_in_cooldown 1
	ccx_notification_service_notification_backend_items_skipped_disabled_cluster 0
	ccx_notification_service_notification_backend_items_skipped_disabled_org 0
	ccx_notification_service_notification_backend_items_skipped_undecodable 1
	EOF
	test_cmp expect actual &&
	sl --metrics-file sl.prom <in >/dev/null 2>&1 &&
	grep "^ccx_notification_service_service_log_notification_not_sent_same_state 2\$" sl.prom &&
	grep "^ccx_notification_service_service_log_report_with_high_impact 3\$" sl.prom
'

test_expect_success 'options: target, content URL and their errors' '
	test_expect_code 64 differ -c "$CONTENT" -i /dev/null 2>err &&
	test_grep "no target" err &&
	test_expect_code 64 differ -T both -c "$CONTENT" -i /dev/null 2>err &&
	test_grep "not one of notifications-backend|service-log" err &&
	test_expect_code 64 differ -T service-log -i /dev/null 2>err &&
	test_grep "no content" err &&
	test_expect_code 78 differ -T service-log -c content.json -i /dev/null 2>err &&
	test_grep "not a file://" err &&
	test_expect_code 64 differ -T service-log -c "$CONTENT" -i /dev/null stray 2>err &&
	test_expect_code 64 differ -T service-log -c "$CONTENT" --no-such-option 2>err &&
	test_expect_code 64 differ -T service-log -c "$CONTENT" -i in --dump-candidates 2>err &&
	test_expect_code 64 differ -T service-log -c "$CONTENT" -i /dev/null --content-timeout 0 2>err &&
	test_expect_code 64 differ -T service-log -c "$CONTENT" -i /dev/null --log-format xml 2>err &&
	test_expect_code 78 env CCX_DIFFER_NO_SAME=maybe differ -T service-log -c "$CONTENT" -i /dev/null 2>err &&
	test_grep CCX_DIFFER_NO_SAME err &&
	test_expect_code 78 differ -T service-log -c "$CONTENT" -i no-such-file 2>err &&
	test_grep -- "-i \"no-such-file\": unable to open: No such file or directory" err &&
	! grep usage: err &&
	CCX_DIFFER_TARGET=service-log CCX_DIFFER_CONTENT_URL=$CONTENT CCX_DIFFER_INPUT=in \
		differ >out 2>err &&
	grep -q "\"target\":\"service-log\"" out &&
	CCX_DIFFER_TARGET=service-log differ -T notifications-backend -c "$CONTENT" -i in >out 2>err &&
	grep -q "\"target\":\"notifications-backend\"" out
'

test_expect_success 'content: unreadable or undecodable exits 69 (this run only)' '
	test_expect_code 69 differ -T service-log -c "file://$TRASH_DIRECTORY/none.json" \
		-i /dev/null 2>err &&
	test_grep "unable to fetch the content" err &&
	echo "{\"Rules\": {\"r\": {\"error_keys\": {\"K\": {\"metadata\": {\"likelihood\": \"x\"}}}}}}" >bad.json &&
	test_expect_code 69 differ -T service-log -c "file://$TRASH_DIRECTORY/bad.json" \
		-i /dev/null 2>err &&
	test_grep "likelihood" err &&
	test_expect_code 69 differ -T service-log -c "http://127.0.0.1:1/api/v1/content" \
		-i /dev/null 2>err
'

test_expect_success 'content holding no rule is a content error, not "same" for everyone' '
	for c in "{}" "{\"a\":1}" "{\"Rules\":{}}"; do
		printf "%s\n" "$c" >norules.json &&
		cand 1 "$(report "$IMP")" >in &&
		test_expect_code 69 differ -T notifications-backend \
			-c "file://$TRASH_DIRECTORY/norules.json" -i in >out 2>err &&
		test_grep "holds no rule" err &&
		test ! -s out || return 1
	done
'

test_expect_success 'log format json' '
	cand 3 x | nb --log-format json 2>err >/dev/null &&
	python3 -c "
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    assert d[\"prog\"] == \"differ\" and \"msg\" in d
" <err
'

test_expect_success 'readiness on -n, progress with -v' '
	cand 1 "$(report "$IMP")" >in &&
	nb -n 3 -v <in 3>ready >out 2>err &&
	printf "\n" >expect &&
	test_cmp expect ready &&
	test_grep "progress: 1 clusters read, 1 decided, 1 with new issues" err &&
	test_expect_code 64 nb -n 9 <in 2>err &&
	test_grep "readiness fd 9" err
'

test_expect_success 'EPIPE on stdout: stop, exit 75' '
	cands 3000 "$(report "$IMP")" >in &&
	{ nb -i in 2>err; echo $? >rc; } | head -n 1 >/dev/null &&
	echo 75 >expect &&
	test_cmp expect rc &&
	test_grep "unable to write stdout" err
'

test_expect_success 'SIGTERM while waiting for input: exit 75 at once' '
	mkfifo fifo &&
	exec 8<>fifo &&
	cand 1 "$(report "$IMP")" >&8 &&
	{ differ -T notifications-backend -c "$CONTENT" -i fifo >out 2>err & } &&
	pid=$! &&
	test_wait_for 10 test -s out &&
	kill -TERM $pid &&
	{ wait $pid; echo $? >rc; } &&
	exec 8>&- &&
	echo 75 >expect &&
	test_cmp expect rc &&
	test_grep "terminated after 1 clusters" err &&
	summ <out >actual &&
	echo "1 nb ALPHA_IMP=3" >expect &&
	test_cmp expect actual
'

test_done
