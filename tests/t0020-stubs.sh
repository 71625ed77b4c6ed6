#!/bin/sh
test_description='HTTP stubs: content, renderer, sso, servicelog and control modes'
. ./test-lib.sh

test_have_prereq PYTHON || skip_all 'python3 not found'
command -v curl >/dev/null || skip_all 'curl not found'
test_use http

# http OUT CURL-ARGS...: run curl, body to OUT, print the status code.
http() {
	_out=$1; shift
	curl -sS --max-time 5 -o "$_out" -w '%{http_code}' "$@"
}

# http_is CODE OUT CURL-ARGS...: curl gets the status CODE, the body in OUT.
http_is() {
	_want=$1; shift
	_code=$(http "$@") || return 1
	test "$_code" = "$_want" && return 0
	say "http_is: want $_want, got $_code: $*" >&2
	return 1
}

# token CODE OUT ID:SECRET URL: a client-credentials token request as
# servicelog-poster makes it (Basic auth, form with scope openid) gets CODE.
token() {
	http_is "$1" "$2" -u "$3" -d grant_type=client_credentials \
		-d client_id="${3%%:*}" -d scope=openid "$4"
}

# request_of NAME COUNT N: NAME has logged COUNT requests; print the Nth.
request_of() {
	stub_requests "$1" >log &&
	test_line_count = "$2" log &&
	sed -n "$3p" log
}

# json_ok FILE PYEXPR: PYEXPR (over d = the parsed FILE) is true.
json_ok() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" && return 0
	say "json_ok: '$2' is false for $1:" >&2
	sed 's/^/| /' "$1" >&2
	return 1
}

python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40)' >blob.gob
printf '{"Config": {}, "Rules": {}}\n' >content.json

stub_start CG content --file "$TRASH_DIRECTORY/blob.gob" &&
stub_start CJ content --file "$TRASH_DIRECTORY/content.json" &&
stub_start RR renderer --omit OMITTED_KEY &&
stub_start SSO sso &&
stub_start JWT sso --jwt --client-id other --client-secret s3cret --expires-in 60 &&
stub_start SL servicelog ||
error 'could not start the stubs'

test_expect_success 'content: gob bytes served verbatim' '
	http_is 200 got -D hdr "$CG_URL/api/v1/content" &&
	cmp blob.gob got &&
	grep -i "^content-type: application/octet-stream" hdr &&
	http_is 200 got2 "$CG_URL/api/v1/content/" &&
	cmp blob.gob got2 &&
	http_is 200 got3 "$CG_URL/prefix/api/v1/content" &&
	cmp blob.gob got3
'

test_expect_success 'content: JSON file, 404 elsewhere' '
	http_is 200 got -D hdr "$CJ_URL/api/v1/content" &&
	cmp content.json got &&
	grep -i "^content-type: application/json" hdr &&
	http_is 404 nf "$CJ_URL/api/v1/other"
'

cat >render-ok.json <<'EOF'
{"content": [
  {"plugin": {"name": "n", "node_id": "", "product_code": "OCP4",
              "python_module": "ccx_rules_ocp.external.rules.test_rule"},
   "error_keys": {"KEY_A": {"metadata": {"description": "Real description A"}}},
   "generic": "", "summary": "", "resolution": "", "more_info": "", "reason": "",
   "HasReason": true}],
 "report_data": {"clusters": ["c1", "c2"], "reports": {
   "c1": {"reports": [
     {"type": "rule", "component": "ccx_rules_ocp.external.rules.test_rule.report",
      "key": "KEY_A", "details": {"x": 1}, "TotalRisk": 3},
     {"type": "rule", "component": "ccx_rules_ocp.external.rules.other.report",
      "key": "KEY_B", "details": null, "TotalRisk": 1},
     {"type": "rule", "component": "ccx_rules_ocp.external.rules.other.report",
      "key": "OMITTED_KEY", "details": null, "TotalRisk": 1}]},
   "c2": {"reports": [
     {"type": "rule", "component": "a.b.report", "key": "OMITTED_KEY", "details": {}}]}}}}
EOF

test_expect_success 'renderer: 422 on bad bodies' '
	http_is 422 out -H "Content-Type: application/json" \
		--data-binary "{\"content\": {}, \"report_data\": {}}" \
		"$RR_URL/rendered_reports" &&
	json_ok out "d[\"detail\"][0][\"loc\"] == [\"body\", \"content\"]" &&
	sed "s/\"details\": {\"x\": 1}/\"details\": \"str\"/" render-ok.json >bad1.json &&
	http_is 422 out -H "Content-Type: application/json" --data-binary @bad1.json \
		"$RR_URL/v1/rendered_reports" &&
	json_ok out "d[\"detail\"][0][\"loc\"][-1] == \"details\"" &&
	sed "s/\"HasReason\": true/\"HasReason\": \"yes\"/" render-ok.json >bad2.json &&
	http_is 422 out --data-binary @bad2.json "$RR_URL/rendered_reports" &&
	http_is 422 out --data-binary "not json" "$RR_URL/rendered_reports"
'

test_expect_success 'renderer: 200 rendering, unrenderable items omitted' '
	http_is 200 out -H "Content-Type: application/json" --data-binary @render-ok.json \
		"$RR_URL/v1/rendered_reports" &&
	json_ok out "d[\"clusters\"] == [\"c1\", \"c2\"] and list(d[\"reports\"]) == [\"c1\"]" &&
	json_ok out "d[\"reports\"][\"c1\"] == [
	  {\"rule_id\": \"ccx_rules_ocp.external.rules.test_rule\", \"error_key\": \"KEY_A\",
	   \"description\": \"Real description A\", \"reason\": \"detailed reason for KEY_A\",
	   \"resolution\": \"detailed resolution\"},
	  {\"rule_id\": \"ccx_rules_ocp.external.rules.other\", \"error_key\": \"KEY_B\",
	   \"description\": \"detailed description\", \"reason\": \"detailed reason for KEY_B\",
	   \"resolution\": \"detailed resolution\"}]" &&
	request_of RR 5 5 >last &&
	json_ok last "d[\"path\"] == \"/v1/rendered_reports\" and d[\"body\"][\"report_data\"][\"clusters\"] == [\"c1\", \"c2\"]" &&
	json_ok last "d[\"headers\"][\"Content-Type\"] == \"application/json\""
'

test_expect_success 'sso: tokens issued and counted, refusals are 401' '
	token 200 t1 CLIENT_ID:SECRET "$SSO_URL/auth/realms/x/protocol/openid-connect/token" &&
	json_ok t1 "d == {\"access_token\": \"tok-1\", \"token_type\": \"bearer\", \"expires_in\": 300}" &&
	token 200 t2 CLIENT_ID:SECRET "$SSO_URL/token" &&
	json_ok t2 "d[\"access_token\"] == \"tok-2\"" &&
	token 401 bad CLIENT_ID:WRONG "$SSO_URL/token" &&
	json_ok bad "d[\"error\"] == \"invalid_client\" and d[\"error_description\"]" &&
	http_is 401 bad -u CLIENT_ID:SECRET \
		-d grant_type=client_credentials -d client_id=CLIENT_ID \
		"$SSO_URL/token" &&
	http_is 401 bad \
		-d grant_type=client_credentials -d client_id=CLIENT_ID -d scope=openid \
		"$SSO_URL/token" &&
	request_of SSO 5 1 >first &&
	json_ok first "d[\"form\"] == {\"grant_type\": \"client_credentials\", \"client_id\": \"CLIENT_ID\", \"scope\": \"openid\"}" &&
	json_ok first "d[\"headers\"][\"Authorization\"].startswith(\"Basic \")"
'

test_expect_success 'sso: --jwt gives a JWT with exp' '
	token 200 t other:s3cret "$JWT_URL/token" &&
	python3 -c "import json,sys,base64,time
t = json.load(open(\"t\"))[\"access_token\"].split(\".\")
assert len(t) == 3
p = json.loads(base64.urlsafe_b64decode(t[1] + \"=\" * (-len(t[1]) % 4)))
assert p[\"jti\"] == \"tok-1\" and abs(p[\"exp\"] - time.time() - 60) < 5, p" &&
	tok=$(python3 -c "import json; print(json.load(open(\"t\"))[\"access_token\"])") &&
	echo "$tok" >jwt.txt
'

entry='{"cluster_uuid": "c1", "summary": "s", "service_name": "CCX Notification Service", "severity": "Major", "description": "d"}'
SLPATH=/api/service_logs/v1/cluster_logs

test_expect_success 'servicelog: 401 without or with a bad token' '
	http_is 401 out -H "Content-Type: application/json" --data-binary "$entry" "$SL_URL$SLPATH" &&
	http_is 401 out -H "Authorization: Bearer nope" --data-binary "$entry" "$SL_URL$SLPATH" &&
	http_is 401 out -H "Authorization: Basic dG9rLTE=" --data-binary "$entry" "$SL_URL$SLPATH"
'

test_expect_success 'servicelog: 400 without a required field' '
	http_is 400 out -H "Authorization: Bearer tok-1" \
		--data-binary "{\"cluster_uuid\": \"c1\", \"service_name\": \"x\"}" "$SL_URL$SLPATH/" &&
	http_is 400 out -H "Authorization: Bearer tok-1" \
		--data-binary "{\"summary\": \"s\", \"service_name\": \"x\"}" "$SL_URL$SLPATH"
'

test_expect_success 'servicelog: 201 and read-back per cluster' '
	http_is 201 out -H "Authorization: Bearer tok-1" -H "Content-Type: application/json" \
		--data-binary "$entry" "$SL_URL$SLPATH/" &&
	json_ok out "d[\"id\"] == \"1\" and d[\"summary\"] == \"s\" and d[\"severity\"] == \"Major\"" &&
	http_is 201 out -H "Authorization: Bearer $(cat jwt.txt)" \
		--data-binary "{\"cluster_uuid\": \"c2\", \"summary\": \"t\", \"service_name\": \"x\"}" \
		"$SL_URL$SLPATH" &&
	http_is 200 list "$SL_URL/api/service_logs/v1/clusters/c1/cluster_logs" &&
	json_ok list "[e[\"cluster_uuid\"] for e in d[\"items\"]] == [\"c1\"] and d[\"items\"][0][\"id\"] == \"1\"" &&
	http_is 200 list "$SL_URL/api/service_logs/v1/clusters/c2/cluster_logs" &&
	json_ok list "[e[\"summary\"] for e in d[\"items\"]] == [\"t\"]" &&
	http_is 200 list "$SL_URL/api/service_logs/v1/clusters/none/cluster_logs" &&
	json_ok list "d[\"items\"] == []"
'

test_expect_success 'servicelog: mode 401 refuses even a good token' '
	stub_control SL "{\"mode\": \"401\", \"count\": 1}" &&
	http_is 401 out -H "Authorization: Bearer tok-1" --data-binary "$entry" "$SL_URL$SLPATH" &&
	http_is 201 out -H "Authorization: Bearer tok-1" --data-binary "$entry" "$SL_URL$SLPATH"
'

test_expect_success 'control: 500 twice then ok; /_requests' '
	stub_clear SL &&
	stub_control SL "{\"mode\": \"500\", \"count\": 2}" &&
	http_is 500 o1 -H "Authorization: Bearer tok-1" --data-binary "$entry" "$SL_URL$SLPATH" &&
	http_is 500 o2 -H "Authorization: Bearer tok-1" --data-binary "$entry" "$SL_URL$SLPATH" &&
	http_is 201 o3 -H "Authorization: Bearer tok-1" --data-binary "$entry" "$SL_URL$SLPATH" &&
	stub_requests SL >log &&
	test_line_count = 3 log &&
	http_is 200 all "$SL_URL/_requests" &&
	json_ok all "[r[\"mode\"] for r in d] == [\"500\", \"500\", \"ok\"] and d[2][\"headers\"][\"Authorization\"] == \"Bearer tok-1\""
'

test_expect_success 'control: 429 with Retry-After' '
	stub_control RR "{\"mode\": \"429\", \"count\": 1, \"retry_after\": 7}" &&
	http_is 429 out -D hdr --data-binary @render-ok.json "$RR_URL/rendered_reports" &&
	grep -i "^retry-after: 7" hdr
'

test_expect_success 'control: timeout (client gives up), then ok again' '
	stub_control RR "{\"mode\": \"timeout\", \"count\": 1}" &&
	start=$(date +%s) &&
	test_expect_code 28 curl -sS --max-time 2 -o out --data-binary @render-ok.json \
		"$RR_URL/rendered_reports" &&
	test $(( $(date +%s) - start )) -lt 5 &&
	http_is 200 out --data-binary @render-ok.json "$RR_URL/rendered_reports"
'

test_expect_success 'control: notjson' '
	stub_control CJ "{\"mode\": \"notjson\", \"count\": 1}" &&
	http_is 200 out "$CJ_URL/api/v1/content" &&
	test_must_fail python3 -c "import json; json.load(open(\"out\"))" &&
	http_is 200 out "$CJ_URL/api/v1/content" &&
	cmp content.json out
'

test_expect_success 'control: close (empty reply)' '
	stub_control SSO "{\"mode\": \"close\"}" &&
	test_expect_code 52 curl -sS --max-time 5 -o out -d x "$SSO_URL/token" &&
	test_expect_code 52 curl -sS --max-time 5 -o out -d x "$SSO_URL/token" &&
	stub_control SSO "{\"mode\": \"ok\"}" &&
	http_is 401 out -d x "$SSO_URL/token"
'

test_expect_success 'control: huge is 20 MiB' '
	stub_control CG "{\"mode\": \"huge\", \"count\": 1}" &&
	http_is 200 out "$CG_URL/api/v1/content" &&
	test "$(wc -c <out | tr -d " ")" = 20971520 &&
	http_is 200 out "$CG_URL/api/v1/content" &&
	cmp blob.gob out
'

test_expect_success 'control: bad requests are refused' '
	http_is 400 out --data-binary "{\"mode\": \"bogus\"}" "$SL_URL/_control" &&
	http_is 400 out --data-binary "[]" "$SL_URL/_control"
'

test_expect_success 'SIGTERM stops a stub even with a hung request' '
	stub_clear RR &&
	stub_control RR "{\"mode\": \"timeout\"}" &&
	{ curl -s --max-time 10 -o /dev/null --data-binary @render-ok.json \
		"$RR_URL/rendered_reports" & } &&
	cpid=$! &&
	test_when_finished "kill $cpid" &&
	test_wait_for 5 grep -q timeout RR.log &&
	start=$(date +%s) &&
	kill "$RR_PID" &&
	test_wait_for 5 eval "! test -e RR.port" &&
	test $(( $(date +%s) - start )) -lt 3 &&
	test_expect_code 7 curl -sS --max-time 2 -o out "$RR_URL/rendered_reports"
'

test_done
