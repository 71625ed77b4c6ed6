#!/bin/sh

test_description='record: Contract A validation and shrinking (jscan, record)'

. ./test-lib.sh

# The host clock for the future check: 2025-01-01T00:00:00Z.
NOW=1735689600000000

# lit: each raw input line as a JSON string literal.  Bytes are kept as
# they are (so lines that are not UTF-8 stay that way), and the markers
# @NUL@ @TAB@ @LF@ @CR@ @FF@ @US@ @DEL@ @NBSP@ @SQ@ stand for those
# characters (NUL, tab, newline, carriage return, form feed, U+001F,
# U+007F, U+00A0, "'").
lit() {
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/@NUL@/\\u0000/g' \
	    -e 's/@TAB@/\\t/g' -e 's/@LF@/\\n/g' -e 's/@CR@/\\r/g' \
	    -e 's/@FF@/\\f/g' -e 's/@US@/\\u001f/g' -e 's/@DEL@/\\u007f/g' \
	    -e 's/@NBSP@/\\u00a0/g' -e "s/@SQ@/'/g" -e 's/^/"/' -e 's/$/"/'
}

# A valid record; the tests vary it.
REC='{"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","LastChecked":"2022-01-01T00:00:00Z","Report":{"fingerprints":[],"system":{},"reports":[]}}'

# u8rec BYTES: a valid record holding BYTES (printf escapes) in a string.
u8rec() {
	printf "{\"OrgID\":1,\"AccountNumber\":1,\"ClusterName\":\"01234567-89ab-cdef-0123-456789abcdef\",\"LastChecked\":\"2022-01-01T00:00:00Z\",\"Report\":{\"fingerprints\":[],\"system\":{},\"reports\":[\"$1\"]}}\n"
}

# outcomes: helper record output to "stored" or "rejected:CODE" lines.
outcomes() {
	awk -F'\t' '{ print ($1 == "stored") ? "stored" : $1 ":" $2 }'
}

# run_table FILE: FILE holds "OUTCOME RECORD" lines; each raw RECORD must
# give OUTCOME ("stored" or "rejected:CODE").
run_table() {
	cut -d" " -f2- "$1" >records &&
	lit <records | helper record $NOW >out &&
	outcomes <out >got &&
	paste -d" " got records >actual &&
	test_cmp "$1" actual
}

# run_stored: raw records on stdin; "ORG ACCOUNT CLUSTER REPORT" lines, or
# "rejected CODE", in actual.
run_stored() {
	lit | helper record $NOW >out &&
	awk -F'\t' '$1 == "stored" { print $2, $3, $4, $5; next }
		{ print $1, $2 }' out >actual
}

# deep N: a valid record whose Report.reports holds N nested arrays (the
# record is then nested N + 3 deep).
deep() {
	awk -v n="$1" 'BEGIN {
		printf "{\"OrgID\":5,\"AccountNumber\":6,";
		printf "\"ClusterName\":\"ffffffff-0000-1111-2222-333333333333\",";
		printf "\"LastChecked\":\"2022-02-22T22:22:22Z\",";
		printf "\"Report\":{\"fingerprints\":[],\"system\":{},\"reports\":[";
		for (i = 0; i < n; i++) printf "[";
		for (i = 0; i < n; i++) printf "]";
		printf "]}}\n";
	}'
}

cat >compare.py <<\EOF
# compare.py EXPECTED.jsonl ACTUAL: checks helper record output against
# expected outcomes; stored reports are compared as JSON values, numbers
# as exact decimals.
import decimal
import json
import sys


def value(text):
    return json.loads(text, parse_float=decimal.Decimal,
                      parse_int=decimal.Decimal)


expected = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
with open(sys.argv[2], encoding="utf-8", errors="surrogateescape") as f:
    actual = f.read().split("\n")[:-1]
if len(actual) != len(expected):
    sys.exit("%d outputs for %d inputs" % (len(actual), len(expected)))
bad = 0
for e, a in zip(expected, actual):
    f = a.split("\t")
    ok = f[0] == e["outcome"] or (e.get("either") and f[0] == "rejected")
    if ok and f[0] == "stored":
        ok = (len(f) == 5 and f[1] == str(e["org_id"]) and
              f[2] == str(e["account_number"]) and
              f[3] == e["cluster"] and value(f[4]) == value(e["report"]))
    if not ok:
        bad += 1
        print("FAIL %s: want %s, got %s" % (e["name"], e["outcome"], a[:400]))
print("%d of %d as expected" % (len(expected) - bad, len(expected)))
sys.exit(1 if bad else 0)
EOF

test_expect_success PYTHON,SHARED 'every shared vector gives its outcome' '
	python3 -c "
import json, sys
for line in open(sys.argv[1], encoding=\"utf-8\"):
    print(json.dumps(json.loads(line)[\"input\"]))
" "$SHARED_TESTDATA/results/vectors.jsonl" >input &&
	helper record >out <input &&
	python3 compare.py "$SHARED_TESTDATA/results/vectors.jsonl" out
'

test_expect_success PYTHON,SHARED 'every shared message gives its outcome' '
	dir=$SHARED_TESTDATA/results/messages &&
	python3 -c "
import json, os, sys
for line in open(os.path.join(sys.argv[1], \"expected.jsonl\")):
    name = json.loads(line)[\"name\"]
    with open(os.path.join(sys.argv[1], name), \"rb\") as f:
        print(json.dumps(f.read().decode(\"utf-8\")))
" "$dir" >input &&
	test_line_count = $(ls "$dir"/*.json | wc -l) input &&
	helper record >out <input &&
	python3 compare.py "$dir/expected.jsonl" out
'

test_expect_success 'a full record: ids as received, report shrunk' '
	cat >input <<-\EOF &&
	{"OrgID":42,"AccountNumber":4242,"ClusterName":"0A1B2C3D-4e5f-4a6b-8c7d-9e0f1a2b3c4d","Report":{"system":{"metadata":{},"hostname":null},"fingerprints":[],"skips":[{"rule_fqdn":"x"}],"info":[{"key":"I"}],"pass":[{"key":"P"}],"analysis_metadata":{"start":"x"},"reports":[{"rule_id":"r1|K","details":{"n":1}}]},"LastChecked":"2024-06-01T10:20:30.5Z","Version":2,"RequestId":"r-42"}
	EOF
	run_stored <input &&
	cat >expect <<-\EOF &&
	42 4242 0A1B2C3D-4e5f-4a6b-8c7d-9e0f1a2b3c4d {"reports":[{"rule_id":"r1|K","details":{"n":1}}]}
	EOF
	test_cmp expect actual
'

test_expect_success 'numbers and strings survive verbatim, whitespace goes' '
	cat >input <<-\EOF &&
	{ "OrgID" : 7 , "AccountNumber" : 8 , "ClusterName" : "01234567-89ab-cdef-0123-456789abcdef" , "LastChecked" : "2021-03-04T05:06:07Z" , "Report" : { "fingerprints" : [ ] , "system" : { } , "reports" : [ { "details" : { "big" : 123456789012345678901234567890 , "tiny" : -0.000000000000000000000000000001 , "huge" : 1E+400 , "f" : 2.50 , "s" : "two  spaces, \" \\ \/ \u00e9 \ud83d\ude00 caf\u00E9" , "t" : true , "n" : null } } ] } }
	EOF
	run_stored <input &&
	cat >expect <<-\EOF &&
	7 8 01234567-89ab-cdef-0123-456789abcdef {"reports":[{"details":{"big":123456789012345678901234567890,"tiny":-0.000000000000000000000000000001,"huge":1E+400,"f":2.50,"s":"two  spaces, \" \\ \/ \u00e9 \ud83d\ude00 caf\u00E9","t":true,"n":null}}]}
	EOF
	test_cmp expect actual
'

test_expect_success 'Report: extra members kept, the six removed, last one wins' '
	cat >input <<-\EOF &&
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"fingerprints":[],"reports":[],"system":{},"extra":{"a":[1, 2]},"skips":[],"info":[],"pass":[],"analysis_metadata":null}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"reports":[1],"fingerprints":[],"system":{},"reports":[2]}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"reports":[1],"fingerpr\u0069nts":[],"sys\u0074em":{},"r\u0065ports":[2]}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"reports":[{"system":1,"info":2}],"fingerprints":[],"system":{},"System":3,"Info":[]}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"fingerprints":[],"reports":[],"System":{}}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"fingerprints":[],"reports":[9],"system":{}},"Report":{"fingerprints":[],"reports":[]}}
	{"OrgID":1,"AccountNumber":2,"ClusterName":"abcdefab-cdef-abcd-efab-cdefabcdefab","LastChecked":"2021-01-01T00:00:00Z","Report":{"fingerprints":[]},"Report":{"fingerprints":[],"reports":[8],"system":{}}}
	EOF
	run_stored <input &&
	cat >expect <<-\EOF &&
	1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {"reports":[],"extra":{"a":[1,2]}}
	1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {"reports":[2]}
	1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {"r\u0065ports":[2]}
	1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {"reports":[{"system":1,"info":2}],"System":3,"Info":[]}
	rejected report_key:system
	rejected report_key:system
	1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {"reports":[8]}
	EOF
	test_cmp expect actual
'

test_expect_success 'Report with many repeated members keeps the last of each' '
	awk "BEGIN {
		printf \"{\\\"OrgID\\\":1,\\\"AccountNumber\\\":2,\";
		printf \"\\\"ClusterName\\\":\\\"abcdefab-cdef-abcd-efab-cdefabcdefab\\\",\";
		printf \"\\\"LastChecked\\\":\\\"2021-01-01T00:00:00Z\\\",\";
		printf \"\\\"Report\\\":{\\\"fingerprints\\\":[],\\\"system\\\":{},\\\"reports\\\":0\";
		for (r = 1; r <= 3; r++)
			for (i = 0; i < 40; i++)
				printf \",\\\"k%d\\\":%d\", i, r * 100 + i;
		printf \",\\\"reports\\\":[]}}\\n\";
	}" >input &&
	run_stored <input &&
	awk "BEGIN {
		printf \"1 2 abcdefab-cdef-abcd-efab-cdefabcdefab {\";
		for (i = 0; i < 40; i++)
			printf \"\\\"k%d\\\":%d,\", i, 300 + i;
		printf \"\\\"reports\\\":[]}\\n\";
	}" >expect &&
	test_cmp expect actual
'

test_expect_success 'integers, ranges and types of the known keys' '
	cat >table <<-\EOF &&
	stored {"OrgID":2147483647,"AccountNumber":2147483647,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	stored {"OrgID":0,"AccountNumber":0,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:range:OrgID {"OrgID":2147483648,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:range:OrgID {"OrgID":99999999999999999999999,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:range:OrgID {"OrgID":3000000000,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:range:AccountNumber {"OrgID":1,"AccountNumber":2147483648,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:syntax {"OrgID":01,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":1.0,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":1e3,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":-0,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":"7","AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":true,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:OrgID {"OrgID":[7],"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:type:AccountNumber {"OrgID":1,"AccountNumber":{},"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:missing:AccountNumber {"OrgID":1,"AccountNumber":null,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":255}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":0}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":null}
	rejected:type:Version {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":256}
	rejected:type:Version {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":1000}
	rejected:type:Version {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":2.0}
	rejected:type:Version {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","Version":false}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","RequestId":""}
	rejected:type:RequestId {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","RequestId":5}
	rejected:type:RequestId {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","RequestId":{}}
	rejected:type:LastChecked {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":20220101}
	rejected:type:ClusterName {"OrgID":1,"AccountNumber":1,"ClusterName":["01234567-89ab-cdef-0123-456789abcdef"],"Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	EOF
	run_table table
'

test_expect_success 'keys: exact names, escapes decoded, repeated = last wins' '
	cat >table <<-\EOF &&
	stored {"OrgID":"x","AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","OrgID":7}
	rejected:type:OrgID {"OrgID":7,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","OrgID":"x"}
	rejected:missing:OrgID {"OrgID":7,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","OrgID":null}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01","LastChecked":"2022-01-01T00:00:00Z"}
	stored {"\u004frgID":1,"AccountNumber":1,"Cluster\u004eame":"0123456\u0037-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00\u005a"}
	rejected:missing:OrgID {"orgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:missing:OrgID {"OrgID ":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z","orgid":"x","Extra":[{"OrgID":"x"}],"":null}
	EOF
	run_table table
'

test_expect_success 'ClusterName: canonical UUIDs only' '
	cat >table <<-\EOF &&
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"00000000-0000-0000-0000-000000000000","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	stored {"OrgID":1,"AccountNumber":1,"ClusterName":"ABCDEF01-2345-6789-ABCD-EF0123456789","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef01-2345-6789-abcd-ef012345678g","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef0-12345-6789-abcd-ef0123456789","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef01-2345-6789-abcd-ef01234567890","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef01-2345-6789-abcd-ef012345678","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef0123456789abcdef0123456789","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":" abcdef01-2345-6789-abcd-ef012345678","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"abcdef01-2345-6789-abcd-ef012345678\u0000","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-01-01T00:00:00Z"}
	EOF
	run_table table
'

test_expect_success 'checks run in the order of SPEC 2.2' '
	cat >table <<-\EOF &&
	rejected:type:OrgID {"OrgID":"1"}
	rejected:type:OrgID {"Report":5,"OrgID":"x"}
	rejected:missing:OrgID {"AccountNumber":1}
	rejected:type:AccountNumber {"AccountNumber":"x"}
	rejected:type:AccountNumber {"OrgID":1,"AccountNumber":"x"}
	rejected:missing:AccountNumber {"OrgID":2147483648}
	rejected:missing:Report {"OrgID":2147483648,"AccountNumber":1,"ClusterName":"bad"}
	rejected:range:OrgID {"OrgID":2147483648,"AccountNumber":1,"ClusterName":"bad","Report":{}}
	rejected:cluster_uuid {"OrgID":1,"AccountNumber":1,"ClusterName":"bad","Report":{},"LastChecked":"bad"}
	rejected:report_key:fingerprints {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{},"LastChecked":"bad"}
	rejected:report_key:reports {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"system":1,"fingerprints":2}}
	rejected:last_checked {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"Version":7}
	rejected:type:Version {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"Version":-2}
	rejected:type:RequestId {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"RequestId":true}
	rejected:last_checked {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":null}
	rejected:future {"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2030-01-01T00:00:00Z"}
	rejected:not_object [1,2]
	rejected:not_object "x"
	rejected:not_object 5
	rejected:not_object true
	rejected:not_object null
	rejected:syntax [1,2
	rejected:syntax nul
	rejected:syntax {"OrgID":1,"OrgID":}
	EOF
	run_table table
'

test_expect_success 'LastChecked grammar and the future check' '
	cat >table <<-\EOF &&
	stored 2024-02-29T12:00:00Z
	rejected:last_checked 2023-02-29T12:00:00Z
	stored 2000-02-29T00:00:00Z
	rejected:last_checked 1900-02-29T00:00:00Z
	stored 2023-04-30T00:00:00Z
	rejected:last_checked 2023-04-31T00:00:00Z
	stored 2023-12-31T23:59:59Z
	stored 0001-01-01T00:00:00Z
	rejected:last_checked 2023-13-01T00:00:00Z
	rejected:last_checked 2023-00-10T00:00:00Z
	rejected:last_checked 2023-01-00T00:00:00Z
	rejected:last_checked 2023-1-10T00:00:00Z
	rejected:last_checked 23-01-10T00:00:00Z
	stored 2024-06-01T6:20:30Z
	stored 2024-06-01T0:00:00Z
	stored 2024-06-01T06:20:30Z
	rejected:last_checked 2024-06-01T24:00:00Z
	rejected:last_checked 2024-06-01T006:20:30Z
	rejected:last_checked 2024-06-01T:20:30Z
	stored 2024-06-01T10:20:59Z
	rejected:last_checked 2024-06-01T10:20:60Z
	rejected:last_checked 2024-06-01T10:60:00Z
	rejected:last_checked 2024-06-01T10:2:30Z
	rejected:last_checked 2024-06-01T10:20:3Z
	rejected:last_checked 2024-06-01T10:20Z
	stored 2024-06-01T10:20:30+01:00
	stored 2024-06-01T10:20:30-00:00
	stored 2024-06-01T10:20:30+23:59
	stored 2024-06-01T10:20:30-23:59
	rejected:last_checked 2024-06-01T10:20:30+0100
	rejected:last_checked 2024-06-01T10:20:30+01
	rejected:last_checked 2024-06-01T10:20:30+1:00
	rejected:last_checked 2024-06-01T10:20:30+24:00
	rejected:last_checked 2024-06-01T10:20:30+01:60
	stored 2024-06-01T10:20:30.5Z
	stored 2024-06-01T10:20:30.123456789123456789Z
	stored 2024-06-01T10:20:30,5Z
	rejected:last_checked 2024-06-01T10:20:30.Z
	rejected:last_checked 2024-06-01T10:20:30.5.5Z
	rejected:last_checked 2024-06-01t10:20:30Z
	rejected:last_checked 2024-06-01T10:20:30z
	rejected:last_checked 2024-06-01 10:20:30Z
	rejected:last_checked 2024-06-01T10:20:30
	rejected:last_checked 2024-06-01
	rejected:last_checked 2024-06-01T10:20:30Z 
	rejected:last_checked  2024-06-01T10:20:30Z
	rejected:last_checked 
	stored 2024-06-01T10:20:30\u005a
	stored 2025-01-01T00:00:00Z
	stored 2024-12-31T23:59:59.999999999Z
	rejected:future 2025-01-01T00:00:00.000000001Z
	rejected:future 2025-01-01T00:00:01Z
	stored 2025-01-01T01:00:00+01:00
	rejected:future 2025-01-01T01:00:00.001+01:00
	stored 2024-12-31T23:00:00-01:00
	rejected:future 2024-12-31T23:00:01-01:00
	stored 2025-01-01T23:59:00+23:59
	stored 2024-12-31T00:01:00-23:59
	rejected:future 2024-12-31T00:01:01-23:59
	rejected:future 2099-12-31T23:59:59Z
	rejected:future 9999-12-31T23:59:59.999999999-23:59
	EOF
	cut -d" " -f2- table |
		sed "s/.*/{\"OrgID\":1,\"AccountNumber\":1,\"ClusterName\":\"01234567-89ab-cdef-0123-456789abcdef\",\"Report\":{\"fingerprints\":[],\"reports\":[],\"system\":{}},\"LastChecked\":\"&\"}/" |
		lit | helper record $NOW | outcomes >got &&
	cut -d" " -f2- table >stamps &&
	paste -d" " got stamps >actual &&
	test_cmp table actual
'

test_expect_success 'nesting: 10000 levels stored, 10001 a syntax rejection' '
	{ deep 9997 && deep 9998 && deep 1000000; } >input &&
	lit <input | helper record $NOW >out &&
	cut -f1,2 out | tr "\t" "|" >actual &&
	printf "stored|5\nrejected|syntax\nrejected|syntax\n" >expect &&
	test_cmp expect actual &&
	sed -n 2p out | cut -f3 >reason &&
	echo "JSON syntax error at byte 10167: arrays and objects nested more than 10000 deep" >expect &&
	test_cmp expect reason
'

test_expect_success 'unbalanced deep nesting is no crash either' '
	awk "BEGIN { for (i = 0; i < 1000000; i++) printf \"{\\\"a\\\":[\"; print \"\" }" >input &&
	lit <input | helper record $NOW | cut -f1,2 | tr "\t" "|" >actual &&
	echo "rejected|syntax" >expect &&
	test_cmp expect actual
'

test_expect_success 'UTF-8: invalid bytes are "encoding", valid ones stored' '
	{
		u8rec "\303\251 \342\202\254 \360\237\230\200 \357\273\277" &&
		u8rec "\377" &&
		u8rec "a\200b" &&
		u8rec "\300\257" &&
		u8rec "\340\200\257" &&
		u8rec "\355\240\200" &&
		u8rec "\364\220\200\200" &&
		u8rec "\370\210\200\200\200" &&
		u8rec "\303" &&
		u8rec "\342\202" &&
		printf "{\"OrgID\":,\"x\":\"\377\"}\n" &&
		printf "{\"OrgID\":1}\377\n" &&
		printf "{\"OrgID\":\303\251}\n"
	} >input &&
	lit <input | helper record $NOW >out &&
	outcomes <out >actual &&
	cat >expect <<-\EOF &&
	stored
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:encoding
	rejected:syntax
	EOF
	test_cmp expect actual &&
	sed -n "1p" out | cut -f5 >actual &&
	sed -n "2p;11p" out | cut -f3 >>actual &&
	{
		printf "{\"reports\":[\"\303\251 \342\202\254 \360\237\230\200 \357\273\277\"]}\n" &&
		echo "the record is not valid UTF-8 (at byte 171, inside a string)" &&
		echo "the record is not valid UTF-8 (at byte 15)"
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a byte order mark is rejected' '
	{
		printf "\357\273\277%s\n" "$REC" &&
		printf "\357\273\277 %s\n" "$REC" &&
		printf " \357\273\277%s\n" "$REC" &&
		printf "%s\n" "$REC"
	} >input &&
	lit <input | helper record $NOW | cut -f1-3 | tr "\t" "|" >actual &&
	cat >expect <<-\EOF &&
	rejected|syntax|JSON syntax error at byte 0: byte order mark (U+FEFF) before the JSON text
	rejected|syntax|JSON syntax error at byte 0: byte order mark (U+FEFF) before the JSON text
	rejected|syntax|JSON syntax error at byte 1: expected a JSON value
	stored|1|1
	EOF
	test_cmp expect actual
'

test_expect_success 'surrounding whitespace is fine, trailing data is not' '
	sed "s/REC/$REC/" >input <<-\EOF &&
	@LF@@TAB@@CR@ REC @LF@@LF@
	RECx
	REC{}
	REC,
	REC @FF@
	REC@NUL@
	REC//
	@NBSP@REC
	@FF@REC
	 
	
	EOF
	lit <input | helper record $NOW | cut -f1-3 | tr "\t" "|" >actual &&
	cat >expect <<-\EOF &&
	stored|1|1
	rejected|syntax|JSON syntax error at byte 173: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 173: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 173: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 174: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 173: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 173: unexpected data after the JSON value
	rejected|syntax|JSON syntax error at byte 0: expected a JSON value
	rejected|syntax|JSON syntax error at byte 0: expected a JSON value
	rejected|syntax|JSON syntax error at byte 1: no JSON value
	rejected|empty|the record value is empty (zero bytes or a tombstone)
	EOF
	test_cmp expect actual
'

test_expect_success 'NUL and control characters: escaped is data, raw is not JSON' '
	cat >values <<-\EOF &&
	stored "a\u0000b"
	stored "\u0001\u001f\u007f\u0000"
	stored "del is fine: @DEL@"
	rejected:syntax "a@NUL@b"
	rejected:syntax 1@NUL@
	rejected:syntax @NUL@
	rejected:syntax "a@TAB@b"
	rejected:syntax "a@LF@b"
	rejected:syntax "a@CR@b"
	rejected:syntax "@US@"
	EOF
	sed "s/^\([^ ]*\) \(.*\)$/\1 {\"OrgID\":1,\"AccountNumber\":1,\"ClusterName\":\"01234567-89ab-cdef-0123-456789abcdef\",\"LastChecked\":\"2022-01-01T00:00:00Z\",\"Report\":{\"fingerprints\":[],\"system\":{},\"reports\":[\2]}}/" values >table &&
	run_table table &&
	sed -n 1p out | cut -f5 >actual &&
	echo "{\"reports\":[\"a\\u0000b\"]}" >expect &&
	test_cmp expect actual
'

test_expect_success 'scanner strictness inside values nobody reads' '
	cat >values <<-\EOF &&
	stored -0.0e-0
	stored 0.5E+10
	stored 1e-999999999999999999999
	stored "\ud800 \udc00 \ud83d\ude00"
	stored "\/\b\f\n\r\t\"\\ \u0041\u00e9\uFFFF"
	stored [[],{},"",0,[{"a":[{}]}]]
	stored {"a":1,"a":2}
	stored {"":{"":[]}}
	rejected:syntax 01
	rejected:syntax -01
	rejected:syntax 1.
	rejected:syntax .5
	rejected:syntax 1e
	rejected:syntax 1e+
	rejected:syntax +1
	rejected:syntax -
	rejected:syntax --1
	rejected:syntax 0x10
	rejected:syntax NaN
	rejected:syntax Infinity
	rejected:syntax tru
	rejected:syntax nulll
	rejected:syntax True
	rejected:syntax @SQ@a@SQ@
	rejected:syntax "\x"
	rejected:syntax "\u12"
	rejected:syntax "\u12g4"
	rejected:syntax "\U0041"
	rejected:syntax "abc
	rejected:syntax [1,]
	rejected:syntax [,1]
	rejected:syntax [1 2]
	rejected:syntax [1;2]
	rejected:syntax {"a":1,}
	rejected:syntax {"a" 1}
	rejected:syntax {"a"::1}
	rejected:syntax {1:2}
	rejected:syntax {a:2}
	rejected:syntax {"a":1]
	rejected:syntax [1}
	rejected:syntax []]
	EOF
	sed "s/^\([^ ]*\) \(.*\)$/\1 {\"OrgID\":1,\"AccountNumber\":1,\"ClusterName\":\"01234567-89ab-cdef-0123-456789abcdef\",\"LastChecked\":\"2022-01-01T00:00:00Z\",\"Report\":{\"fingerprints\":[],\"system\":{},\"reports\":[]},\"x\":\2}/" values >table &&
	run_table table
'

test_expect_success 'reasons a person can act on' '
	cat >input <<-\EOF &&
	{"OrgID":"1","AccountNumber":1}
	{"OrgID":-1,"AccountNumber":1}
	{"OrgID":123456789012345678901234567890,"AccountNumber":1,"ClusterName":"x","Report":{}}
	{"OrgID":1,"AccountNumber":1,"Report":{}}
	{"OrgID":1,"AccountNumber":1,"ClusterName":"{01234567-89ab-cdef-0123-456789abcdef}","Report":{}}
	{"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"reports":[],"system":{}}}
	{"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2022-02-30T00:00:00Z"}
	{"OrgID":1,"AccountNumber":1,"ClusterName":"01234567-89ab-cdef-0123-456789abcdef","Report":{"fingerprints":[],"reports":[],"system":{}},"LastChecked":"2025-06-01T00:00:00Z"}
	{"OrgID" 1}
	[]
	EOF
	lit <input | helper record $NOW | cut -f3 >actual &&
	cat >expect <<-\EOF &&
	OrgID is a string, expected an integer
	OrgID is the number -1, expected an integer written with digits only (no sign, fraction or exponent)
	OrgID 123456789012345678901234567890 is out of range (at most 2147483647)
	the required key ClusterName is missing
	ClusterName "{01234567-89ab-cdef-0123-456789abcdef}" is not a canonical UUID (36 characters: 8-4-4-4-12 hex digits)
	Report has no member "fingerprints" (it needs fingerprints, reports and system)
	LastChecked "2022-02-30T00:00:00Z" is not an RFC 3339 timestamp: day out of range for the month
	LastChecked "2025-06-01T00:00:00Z" is in the future (the host clock says 2025-01-01T00:00:00Z)
	JSON syntax error at byte 9: expected '"'"':'"'"' after an object key
	the record is an array, expected a JSON object (the result envelope)
	EOF
	test_cmp expect actual
'

test_expect_success 'records above the size limit are "too_large"' '
	n=$(printf "%s" "$REC" | wc -c) &&
	printf "%s\n" "$REC" >input &&
	lit <input | helper record $NOW $n | cut -f1 >actual &&
	lit <input | helper record $NOW $((n - 1)) | cut -f1-3 >>actual &&
	printf "stored\nrejected\ttoo_large\tthe record is %d bytes, more than the limit of %d bytes\n" $n $((n - 1)) >expect &&
	test_cmp expect actual
'

test_done
