# lib-records.sh: record lines (proto/record.schema.json) and rule content
# for the tests.
#
# record_line TOPIC PARTITION OFFSET VALUE   prints one record line whose
#                                             value is the string VALUE
# record_tombstone TOPIC PARTITION OFFSET    a record line with a null value
# sample_record ORG CLUSTER [LASTCHECKED]     a valid result record value
#                                             with one rule hit
# content_json RULE KEY=DESCRIPTION...        rule content (the content
#     service's RuleContentDirectory as JSON) with the one external rule
#     RULE and an error key per argument, each of impact 3, likelihood 3,
#     total risk 3 and the tag osd_customer

record_line() {
	printf '%s' "$4" | helper jsonstr | sed -n 1p |
		sed "s/^/{\"topic\":\"$1\",\"partition\":$2,\"offset\":$3,\"value\":/; s/\$/}/"
}

record_tombstone() {
	printf '{"topic":"%s","partition":%s,"offset":%s,"value":null}\n' "$1" "$2" "$3"
}

sample_record() {
	printf '{"OrgID":%s,"AccountNumber":%s,"ClusterName":"%s","Report":{"system":{"metadata":{},"hostname":null},"reports":[{"rule_id":"sample_rule|SAMPLE_KEY","component":"ccx_rules_ocp.external.rules.sample_rule.report","type":"rule","key":"SAMPLE_KEY","details":{"type":"rule","size":1234567890123456789012345}}],"fingerprints":[],"skips":[],"info":[]},"LastChecked":"%s","Version":2}' \
		"$1" "$(( $1 + 1000 ))" "$2" "${3:-2026-11-30T10:00:00.5Z}"
}

# big_record ORG CLUSTER BYTES: a valid record with a details string of
# about BYTES bytes.
big_record() {
	printf '{"OrgID":%s,"AccountNumber":1,"ClusterName":"%s","Report":{"system":{},"reports":[{"component":"c.r.report","type":"rule","key":"K","details":{"pad":"%s"}}],"fingerprints":[]},"LastChecked":"2026-11-30T10:00:00Z"}' \
		"$1" "$2" "$(printf "%${3}s" | tr ' ' x)"
}

content_json() {
	_rule=$1; shift
	printf '{"Config": {"impact": {}},\n "Rules": {"%s": {\n' "$_rule"
	printf '   "plugin": {"name": "%s", "node_id": "", "product_code": "",\n' "$_rule"
	printf '              "python_module": "ccx_rules_ocp.external.rules.%s"},\n' "$_rule"
	_sep='   "error_keys": {'
	for _k; do
		printf '%s"%s": {"metadata": {"description": "%s",\n' "$_sep" "${_k%%=*}" "${_k#*=}"
		printf '      "impact": {"name": "Big", "impact": 3}, "likelihood": 3,\n'
		printf '      "tags": ["osd_customer"]}, "total_risk": 3}'
		_sep=',
                  '
	done
	printf '},\n   "generic": "g", "summary": "", "resolution": "", "more_info": "",\n'
	printf '   "reason": "r", "HasReason": true}}}\n'
}
