#!/bin/sh
test_description='servicelog-poster: render, post Service Log entries, write outcomes'
. ./test-lib.sh

test_have_prereq PYTHON || skip_all 'python3 not found'
command -v curl >/dev/null || skip_all 'curl not found'
test_use http

stub_start RD renderer --omit OMITTED_KEY &&
stub_start SSO sso &&
stub_start SL servicelog &&
stub_start SSOX sso --expires-in 0 &&
stub_start SSOJ sso --jwt --expires-in 3600 &&
stub_start SSOM sso --token-type mac &&
stub_start SSOB sso --token-type BEARER &&
stub_start SSOS sso --client-id sid --client-secret 'Zq9-hunter2-Xv' ||
error 'could not start the stubs'

SLPATH=/api/service_logs/v1/cluster_logs/
CCX_SERVICELOG_CLIENT_SECRET=SECRET
export CCX_SERVICELOG_CLIENT_SECRET

# slp ARGS...: servicelog-poster on the stubs, fast retries, a deadline.
slp() {
	timeout 60 servicelog-poster --renderer-url "$RD_URL/" \
		--url "$SL_URL$SLPATH" \
		--token-url "$SSO_URL/auth/realms/x/protocol/openid-connect/token" \
		--client-id CLIENT_ID --retry-base-ms 10 "$@"
}

# reset: every stub back to mode ok with an empty request log.
reset() {
	for _s in RD SSO SL SSOX SSOJ SSOM SSOB SSOS; do
		stub_control $_s '{"mode": "ok", "clear": true}' || return 1
	done
}

# wait_exit PID: waits (60 s at most) for the background job PID to exit;
# returns its exit status.
wait_exit() {
	test_wait_for 60 eval "! kill -0 $1" || return 1
	wait "$1"
}

# mode_ok NAME: NAME back to answering normally.
mode_ok() { stub_control "$1" '{"mode": "ok"}'; }

# stub_mode NAME MODE [COUNT]: NAME answers in MODE (tests/stubs/httpstub.py),
# COUNT times or until the test ends, then normally again.
stub_mode() {
	_count=
	[ -z "${3:-}" ] || _count=", \"count\": $3"
	test_when_finished "mode_ok $1" &&
	stub_control "$1" "{\"mode\": \"$2\"$_count}"
}

# stubbed NAME MODE[:COUNT] CLUSTER SPEC... [-- ARG...]: every stub reset,
# NAME in MODE (stub_mode); slp --metrics-file m.prom ARG... on mkline's
# line of CLUSTER and SPECs (in), started at $start (date +%s): out, err.
stubbed() {
	_name=$1 _mode=$2 _cluster=$3
	shift 3
	_specs=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _specs="$_specs $1"; shift; done
	[ $# = 0 ] || shift
	reset &&
	stub_mode "$_name" "${_mode%%:*}" $(case $_mode in *:*) echo "${_mode#*:}" ;; esac) &&
	mkline "$_cluster" $_specs >in &&
	start=$(date +%s) &&
	slp --metrics-file m.prom "$@" <in >out 2>err
}

# nreq NAME: how many requests NAME has logged.
nreq() { stub_requests "$1" | wc -l | tr -d ' '; }

# entries CLUSTER: the entries the Service Log stub holds for CLUSTER.
entries() {
	curl -sS --fail --max-time 5 \
		"$SL_URL/api/service_logs/v1/clusters/$1/cluster_logs"
}

# metric NAME FILE: the value of the counter NAME in FILE.
metric() {
	sed -n "s/^ccx_notification_service_service_log_$1 //p" "$2"
}

# json_ok FILE PYEXPR: PYEXPR is true over d (FILE as one JSON value) or
# L (FILE as JSON lines), with the helpers of check.py.
json_ok() {
	python3 -c 'import sys
exec(open("check.py").read())
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" && return 0
	say "json_ok: '$2' is false for $1:" >&2
	sed 's/^/| /' "$1" >&2
	return 1
}

cat >check.py <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    d = json.loads(text)
except ValueError:
    d = None
L = [json.loads(l) for l in text.splitlines() if l.strip()] if d is None else [d]

RULES = "ccx_rules_ocp.external.rules."
URI = "https://console.redhat.com/openshift/insights/advisor/recommendations/{module}|{error_key}"

def entry(cluster, rule, key, severity, summary=None, uri=URI,
          created_by="service-account-ccx-notification-service",
          username="insights-advisor"):
    """The entry the poster must post for a rendered issue of the stub."""
    url = uri.replace("{module}", RULES + rule).replace("{error_key}", key)
    return {"cluster_uuid": cluster,
            "description": "detailed reason for %s\n\n[More details](%s)." % (key, url),
            "service_name": "CCX Notification Service",
            "severity": severity,
            "summary": summary if summary is not None else "Description of " + key,
            "created_by": created_by, "username": username}

def items(d):
    """A read-back list without the ids the stub adds."""
    return [{k: v for k, v in e.items() if k != "id"} for e in d["items"]]

def reqs(L, method="POST"):
    return [r for r in L if r["method"] == method]
EOF

# mkline.py CLUSTER SPEC...: one decision line with issues.  SPEC is
# RULE:KEY:RISK (details {"rule": RULE, "n": N}) or RULE:KEY:RISK:- (no
# details); desc:KEY=TEXT sets the content description of KEY.  Item
# numbers are 1, 3, 5, ... (not the positions in the issues array).
cat >mkline.py <<'EOF'
import json, sys
args = sys.argv[1:]
cluster = args.pop(0)
desc, issues, rules = {}, [], {}
for a in args:
    if a.startswith("desc:"):
        k, v = a[5:].split("=", 1)
        desc[k] = v
        continue
    f = a.split(":")
    it = {"item": 2 * len(issues) + 1, "type": "rule",
          "component": "ccx_rules_ocp.external.rules.%s.report" % f[0],
          "key": f[1], "total_risk": int(f[2])}
    if len(f) < 4:
        it["details"] = {"rule": f[0], "n": len(issues)}
    issues.append(it)
    rules.setdefault(f[0], []).append(f[1])
def texts(o):
    for k in ("generic", "summary", "resolution", "more_info", "reason"):
        o[k] = ""
    o["HasReason"] = True
    return o
content = []
for r, keys in rules.items():
    eks = {}
    for k in keys:
        eks[k] = texts({"metadata": {
            "description": desc.get(k, "Description of " + k),
            "impact": {"name": "Hung Task", "impact": 3}, "likelihood": 3,
            "publish_date": "2026-01-01 00:00:00", "resolution_risk": 1,
            "status": "active", "tags": ["openshift", "osd_customer"]},
            "total_risk": 3})
    content.append(texts({"plugin": {"name": r, "node_id": "", "product_code": "OCP4",
                                     "python_module": "ccx_rules_ocp.external.rules." + r},
                          "error_keys": eks}))
print(json.dumps({"target": "service-log", "org_id": 11, "account_number": 22,
                  "cluster": cluster, "updated_at": "2026-12-01 08:00:00.000000",
                  "notified_at": "2026-12-01 08:10:00.123456",
                  "issues": issues, "content": content},
                 ensure_ascii=False, separators=(",", ":")))
EOF
mkline() { python3 "$TRASH_DIRECTORY/mkline.py" "$@"; }

# outcome_of CLUSTER: the common members of mkline's line, as an outcome.
outcome_of() {
	printf '{"target":"service-log","org_id":11,"account_number":22,"cluster":"%s","updated_at":"2026-12-01 08:00:00.000000","notified_at":"2026-12-01 08:10:00.123456",' "$1"
}

test_expect_success 'usage errors are 64' '
	test_expect_code 64 slp --bogus </dev/null &&
	test_expect_code 64 slp extra </dev/null &&
	test_expect_code 64 slp --timeout abc </dev/null 2>err &&
	test_grep -- "--timeout \"abc\": not a duration" err &&
	test_expect_code 64 slp --timeout 0 </dev/null &&
	test_expect_code 64 slp --retries 11 </dev/null &&
	test_expect_code 64 slp -n x </dev/null &&
	test_expect_code 64 slp -n 9 </dev/null 2>err &&
	test_grep "readiness fd 9 is not open" err &&
	test_expect_code 64 slp --log-format xml </dev/null &&
	test_expect_code 64 servicelog-poster --client-id x </dev/null 2>err &&
	test_grep "no renderer url: use --renderer-url or set CCX_SERVICELOG_RENDERER_URL" err
'

test_expect_success 'configuration errors are 78' '
	test_expect_code 78 slp --renderer-url localhost:8083 </dev/null 2>err &&
	test_grep -- "--renderer-url \"localhost:8083\": no http:// or https:// scheme" err &&
	test_expect_code 78 slp --url api.openshift.com/x </dev/null &&
	test_expect_code 78 slp --token-url "" </dev/null &&
	test_expect_code 78 env CCX_SERVICELOG_RENDERER_URL=localhost \
		servicelog-poster --client-id x </dev/null 2>err &&
	test_grep -- "--renderer-url \"localhost\" (from CCX_SERVICELOG_RENDERER_URL): no http" err &&
	test_expect_code 78 slp --client-id "" </dev/null 2>err &&
	test_grep "no client id" err &&
	(CCX_SERVICELOG_TIMEOUT=abc && export CCX_SERVICELOG_TIMEOUT &&
	 test_expect_code 78 slp </dev/null 2>err) &&
	test_grep -- "--timeout \"abc\" (from CCX_SERVICELOG_TIMEOUT): not a duration" err &&
	(CCX_SERVICELOG_LOG_FORMAT=xml && export CCX_SERVICELOG_LOG_FORMAT &&
	 test_expect_code 78 slp </dev/null)
'

test_expect_success 'a missing or empty client secret is 78' '
	(unset CCX_SERVICELOG_CLIENT_SECRET && test_expect_code 78 slp </dev/null 2>err) &&
	test_grep "no client secret" err &&
	(CCX_SERVICELOG_CLIENT_SECRET= && test_expect_code 78 slp </dev/null) &&
	: >empty-secret &&
	test_expect_code 78 slp --client-secret-file empty-secret </dev/null 2>err &&
	test_grep "client secret is empty" err &&
	test_expect_code 78 slp --client-secret-file no-such-file </dev/null 2>err &&
	test_grep "unable to open no-such-file" err &&
	(CCX_SERVICELOG_CLIENT_SECRET_FILE=no-such-file &&
	 export CCX_SERVICELOG_CLIENT_SECRET_FILE && test_expect_code 78 slp </dev/null)
'

test_expect_success 'empty input: no output, exit 0, readiness reported' '
	slp -n 3 </dev/null >out 3>ready &&
	test_must_fail test -s out &&
	printf "\n" >expect &&
	test_cmp expect ready
'

test_expect_success 'lines without issues pass through with their state' '
	reset &&
	cat >in <<-\EOF &&
	{"target":"service-log","org_id":1,"account_number":2,"cluster":"p1","updated_at":"2026-12-01 08:00:00.000000","notified_at":"2026-12-01 08:10:00.000000","state":"same"}
	{"target":"service-log","org_id":1,"cluster":"p2","state":"read_error","error":"report is not JSON"}
	{"target":"service-log","org_id":1,"cluster":"p3"}
	{"target":"service-log","org_id":1,"cluster":"p4","payload":{"x":1},"content":[],"issues":null}
	EOF
	slp <in >out &&
	cat >expect <<-\EOF &&
	{"target":"service-log","org_id":1,"account_number":2,"cluster":"p1","updated_at":"2026-12-01 08:00:00.000000","notified_at":"2026-12-01 08:10:00.000000","state":"same"}
	{"target":"service-log","org_id":1,"cluster":"p2","state":"read_error","error":"report is not JSON"}
	{"target":"service-log","org_id":1,"cluster":"p3","state":"same"}
	{"target":"service-log","org_id":1,"cluster":"p4","state":"same"}
	EOF
	test_cmp expect out &&
	test $(nreq RD) = 0 &&
	test $(nreq SSO) = 0 &&
	test $(nreq SL) = 0
'

test_expect_success 'happy path: one renderer call, one entry per issue, sent' '
	reset &&
	mkline c-happy alpha:A_CRIT:4 alpha:A_MAJ:3 beta:B_WARN:2:- \
		gamma:G_INFO:1 delta:D_ZERO:0 epsilon:E_BIG:9 >in &&
	slp <in >out 2>err &&
	{ outcome_of c-happy && printf "\"state\":\"sent\"}\n"; } >expect &&
	test_cmp expect out &&
	entries c-happy >got &&
	json_ok got "items(d) == [
		entry(\"c-happy\", \"alpha\", \"A_CRIT\", \"Critical\"),
		entry(\"c-happy\", \"alpha\", \"A_MAJ\", \"Major\"),
		entry(\"c-happy\", \"beta\", \"B_WARN\", \"Warning\"),
		entry(\"c-happy\", \"gamma\", \"G_INFO\", \"Info\"),
		entry(\"c-happy\", \"delta\", \"D_ZERO\", \"Info\"),
		entry(\"c-happy\", \"epsilon\", \"E_BIG\", \"Info\")]" &&
	test_grep "item 9: total risk 0 has no severity, using Info" err &&
	test_grep "item 11: total risk 9 has no severity, using Info" err
'

test_expect_success 'happy path: the renderer request (Contract F)' '
	stub_requests RD >rd.log &&
	test_line_count = 1 rd.log &&
	python3 -c "import json
l = json.load(open(\"in\"))
print(json.dumps({\"content\": l[\"content\"], \"report_data\": {
    \"clusters\": [\"c-happy\"], \"reports\": {\"c-happy\": {\"reports\": [
        {\"type\": i[\"type\"], \"component\": i[\"component\"], \"key\": i[\"key\"],
         \"details\": i.get(\"details\"), \"TotalRisk\": i[\"total_risk\"]}
        for i in l[\"issues\"]]}}}}))" >want-body &&
	json_ok rd.log "d[\"method\"] == \"POST\" and d[\"path\"] == \"/v1/rendered_reports\"" &&
	json_ok rd.log "d[\"headers\"][\"Content-Type\"] == \"application/json\"" &&
	json_ok rd.log "d[\"body\"] == json.load(open(\"want-body\"))" &&
	json_ok rd.log "d[\"body\"][\"report_data\"][\"reports\"][\"c-happy\"][\"reports\"][2][\"details\"] is None"
'

test_expect_success 'happy path: the token request (8.1) and the entry requests (8.2)' '
	stub_requests SSO >sso.log &&
	test_line_count = 1 sso.log &&
	json_ok sso.log "d[\"path\"] == \"/auth/realms/x/protocol/openid-connect/token\"" &&
	json_ok sso.log "d[\"form\"] == {\"grant_type\": \"client_credentials\", \"client_id\": \"CLIENT_ID\", \"scope\": \"openid\"}" &&
	json_ok sso.log "d[\"body\"] == \"grant_type=client_credentials&client_id=CLIENT_ID&scope=openid\"" &&
	json_ok sso.log "d[\"headers\"] == {\"Authorization\": \"Basic Q0xJRU5UX0lEOlNFQ1JFVA==\",
		\"Content-Type\": \"application/x-www-form-urlencoded\", \"Accept\": \"application/json\"}" &&
	stub_requests SL >sl.log &&
	test_line_count = 6 sl.log &&
	json_ok sl.log "all(r[\"path\"] == \"$SLPATH\" and r[\"headers\"][\"Authorization\"] == L[0][\"headers\"][\"Authorization\"]
		and r[\"headers\"][\"Content-Type\"] == \"application/json\" for r in L)" &&
	json_ok sl.log "all(sorted(r[\"body\"]) == [\"cluster_uuid\", \"created_by\", \"description\",
		\"service_name\", \"severity\", \"summary\", \"username\"] for r in L)"
'

test_expect_success 'configured names and URL template; every placeholder replaced' '
	reset &&
	mkline c-conf alpha:A_ONE:3 >in &&
	slp --created-by me --username you \
		--rule-details-uri "https://x.example/{module}/{error_key}?m={module}" \
		<in >out &&
	entries c-conf >got &&
	json_ok got "items(d) == [entry(\"c-conf\", \"alpha\", \"A_ONE\", \"Major\",
		uri=\"https://x.example/{module}/{error_key}?m={module}\",
		created_by=\"me\", username=\"you\")]"
'

test_expect_success 'every setting from the environment; flags win' '
	reset &&
	mkline c-env alpha:A_ENV:2 >in &&
	env CCX_SERVICELOG_URL="$SL_URL$SLPATH" \
		CCX_SERVICELOG_TOKEN_URL="$SSO_URL/token" \
		CCX_SERVICELOG_CLIENT_ID=CLIENT_ID \
		CCX_SERVICELOG_RENDERER_URL="$RD_URL" \
		CCX_SERVICELOG_RENDERER_ENDPOINT=/rendered_reports \
		CCX_SERVICELOG_CREATED_BY=env-creator \
		CCX_SERVICELOG_USERNAME=env-user \
		CCX_SERVICELOG_RULE_DETAILS_URI="https://e.example/{error_key}" \
		CCX_SERVICELOG_TIMEOUT=5 CCX_SERVICELOG_RETRIES=1 \
		CCX_SERVICELOG_RETRY_BASE_MS=10 CCX_SERVICELOG_RETRY_AFTER_MAX=1 \
		CCX_SERVICELOG_LOG_FORMAT=json \
		CCX_SERVICELOG_METRICS_FILE=env.prom \
		servicelog-poster -v <in >out 2>err &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	entries c-env >got &&
	json_ok got "items(d) == [entry(\"c-env\", \"alpha\", \"A_ENV\", \"Warning\",
		uri=\"https://e.example/{error_key}\", created_by=\"env-creator\", username=\"env-user\")]" &&
	json_ok err "all(r[\"prog\"] == \"servicelog-poster\" and r[\"msg\"] for r in L)" &&
	test "$(metric entries_posted env.prom)" = 1 &&
	stub_requests RD >rd.log &&
	json_ok rd.log "d[\"path\"] == \"/rendered_reports\"" &&
	(CCX_SERVICELOG_USERNAME=env-user CCX_SERVICELOG_URL=no-scheme &&
	 export CCX_SERVICELOG_USERNAME CCX_SERVICELOG_URL &&
	 slp --url "$SL_URL$SLPATH" --username flag-user <in >out) &&
	entries c-env >got &&
	json_ok got "items(d)[1][\"username\"] == \"flag-user\""
'

test_expect_success 'renderer URL and endpoint are joined as a path' '
	reset &&
	mkline c-join alpha:A_J:1 >in &&
	slp --renderer-url "$RD_URL/v1/" --renderer-endpoint /rendered_reports <in >out &&
	slp --renderer-url "$RD_URL/v1" --renderer-endpoint rendered_reports <in >>out &&
	slp --renderer-url "$RD_URL//" --renderer-endpoint //rendered_reports <in >>out &&
	json_ok out "[o[\"state\"] for o in L] == [\"sent\"] * 3" &&
	stub_requests RD >rd.log &&
	json_ok rd.log "[r[\"path\"] for r in L] == [\"/v1/rendered_reports\"] * 2 + [\"/rendered_reports\"]"
'

test_expect_success 'nothing rendered: same, nothing posted' '
	reset &&
	mkline c-omit alpha:OMITTED_KEY:3 beta:OMITTED_KEY:2 >in &&
	printf "{\"cluster\":\"c-none\",\"issues\":[],\"content\":[]}\n" >>in &&
	slp --metrics-file m.prom <in >out &&
	{ outcome_of c-omit && printf "\"state\":\"same\"}\n" &&
	  printf "{\"cluster\":\"c-none\",\"state\":\"same\"}\n"; } >expect &&
	test_cmp expect out &&
	test $(nreq RD) = 1 &&
	test $(nreq SSO) = 0 &&
	test $(nreq SL) = 0 &&
	test "$(metric notification_not_sent_same_state m.prom)" = 2
'

test_expect_success 'an issue without a rendered item is not posted' '
	reset &&
	mkline c-some alpha:OMITTED_KEY:3 alpha:A_KEPT:3 >in &&
	slp <in >out &&
	{ outcome_of c-some && printf "\"state\":\"sent\"}\n"; } >expect &&
	test_cmp expect out &&
	entries c-some >got &&
	json_ok got "items(d) == [entry(\"c-some\", \"alpha\", \"A_KEPT\", \"Major\")]"
'

# renderer_fails MODE WHAT: the renderer in MODE gives an error outcome
# whose text matches WHAT, exit 0, nothing posted.
renderer_fails() {
	stubbed RD "$1" "c-rd-$1" alpha:A_R:3 &&
	json_ok out "len(L) == 1 and L[0][\"state\"] == \"error\" and L[0][\"cluster\"] == \"c-rd-$1\"" &&
	json_ok out "L[0][\"error\"].startswith(\"renderer: \") and \"issues\" not in L[0] and \"content\" not in L[0]" &&
	json_ok out "\"$2\" in L[0][\"error\"]" &&
	test $(nreq SL) = 0 &&
	test $(nreq SSO) = 0 &&
	test "$(metric renderer_errors m.prom)" = 1 &&
	test "$(metric notification_not_sent_error_state m.prom)" = 1
}

test_expect_success 'renderer 500: error outcome, exit 0' '
	renderer_fails 500 "HTTP 500: Internal Server Error (forced by httpstub)"
'

test_expect_success 'renderer 422 (forced): error outcome' '
	renderer_fails 422 "HTTP 422: {"
'

test_expect_success 'renderer answer not JSON: error outcome' '
	renderer_fails notjson "undecodable response"
'

test_expect_success 'renderer answer too large: error outcome' '
	renderer_fails huge "exceeds"
'

test_expect_success 'renderer 422 for content it refuses' '
	reset &&
	mkline c-422 alpha:A_BAD:3 | sed "s/\"HasReason\":true/\"HasReason\":\"yes\"/g" >in &&
	slp <in >out &&
	json_ok out "L[0][\"state\"] == \"error\" and \"HTTP 422\" in L[0][\"error\"] and \"HasReason\" in L[0][\"error\"]" &&
	test $(nreq SL) = 0
'

test_expect_success 'renderer down: error outcome, exit 0' '
	reset &&
	mkline c-down alpha:A_D:3 >in &&
	slp --renderer-url http://127.0.0.1:1/ <in >out &&
	json_ok out "L[0][\"state\"] == \"error\" and L[0][\"error\"].startswith(\"renderer: POST http://127.0.0.1:1/v1/rendered_reports: \")"
'

# timed_out NAME CLUSTER SECONDS: NAME never answers; slp --timeout 1 on one
# issue of CLUSTER has written its outcome to out within SECONDS.
timed_out() {
	stubbed "$1" timeout "$2" alpha:A_S:3 -- --timeout 1 &&
	test $(( $(date +%s) - start )) -le "$3"
}

test_expect_success 'renderer timeout: error within the bound' '
	# Well below the 10 s the renderer has without --timeout, with room
	# for a loaded machine.
	timed_out RD c-rdslow 8 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"renderer\" in L[0][\"error\"] and \"imeout\" in L[0][\"error\"]"
'

test_expect_success 'token cached across clusters: one token for many' '
	reset &&
	for c in 1 2 3 4; do mkline c-cache$c alpha:A_C:2 beta:B_C:3 || return 1; done >in &&
	slp --metrics-file m.prom <in >out &&
	json_ok out "[o[\"state\"] for o in L] == [\"sent\"] * 4" &&
	test $(nreq SSO) = 1 &&
	stub_requests SL >sl.log &&
	test_line_count = 8 sl.log &&
	json_ok sl.log "len(set(r[\"headers\"][\"Authorization\"] for r in L)) == 1" &&
	test "$(metric token_refreshes m.prom)" = 1 &&
	test "$(metric entries_posted m.prom)" = 8 &&
	test "$(metric notification_sent m.prom)" = 12
'

test_expect_success 'a JWT with a distant exp is cached too' '
	reset &&
	for c in 1 2 3; do mkline c-jwt$c alpha:A_J:2 || return 1; done >in &&
	slp --token-url "$SSOJ_URL/token" <in >out &&
	json_ok out "[o[\"state\"] for o in L] == [\"sent\"] * 3" &&
	test $(nreq SSOJ) = 1
'

test_expect_success 'an expired token is fetched again' '
	reset &&
	for c in 1 2 3; do mkline c-exp$c alpha:A_X:2 || return 1; done >in &&
	slp --token-url "$SSOX_URL/token" <in >out &&
	json_ok out "[o[\"state\"] for o in L] == [\"sent\"] * 3" &&
	test $(nreq SSOX) = 3 &&
	stub_requests SL >sl.log &&
	json_ok sl.log "len(set(r[\"headers\"][\"Authorization\"] for r in L)) == 3"
'

test_expect_success 'token_type must be bearer, in any case' '
	reset &&
	mkline c-mac alpha:A_M:2 beta:B_M:1 >in &&
	slp --token-url "$SSOM_URL/token" <in >out &&
	json_ok out "L[0][\"state\"] == \"error\" and \"token_type is not bearer\" in L[0][\"error\"]" &&
	test $(nreq SSOM) = 1 &&
	test $(nreq SL) = 0 &&
	mkline c-bearer alpha:A_B:2 >in &&
	slp --token-url "$SSOB_URL/token" <in >out &&
	json_ok out "L[0][\"state\"] == \"sent\""
'

test_expect_success 'token endpoint 5xx: 3 attempts, then success' '
	stubbed SSO 503:2 c-tok5 alpha:A_T:2 &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	test $(nreq SSO) = 3 &&
	test_grep "token: POST .*: HTTP 503: .*; trying again" err
'

test_expect_success 'token endpoint 5xx forever: error, the other issues fail fast' '
	stubbed SSO 500 c-tokdown alpha:A_T:2 beta:B_T:3 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"2 of 2 entries not posted: token: POST\" in L[0][\"error\"]" &&
	test $(nreq SSO) = 3 &&
	test $(nreq SL) = 0
'

test_expect_success 'refused client credentials: error at once, not retried' '
	reset &&
	mkline c-badsecret alpha:A_T:2 >in &&
	mkline c-badsecret2 alpha:A_T:2 >>in &&
	CCX_SERVICELOG_CLIENT_SECRET=WRONG slp <in >out &&
	json_ok out "[o[\"state\"] for o in L] == [\"error\"] * 2" &&
	json_ok out "\"HTTP 401: invalid_client: bad client credentials\" in L[0][\"error\"]" &&
	test $(nreq SSO) = 2
'

test_expect_success '401 once: one token refresh, one re-send, sent' '
	stubbed SL 401:1 c-401 alpha:A_401:3 &&
	{ outcome_of c-401 && printf "\"state\":\"sent\"}\n"; } >expect &&
	test_cmp expect out &&
	test $(nreq SSO) = 2 &&
	stub_requests SL >sl.log &&
	json_ok sl.log "len(L) == 2 and L[0][\"headers\"][\"Authorization\"] != L[1][\"headers\"][\"Authorization\"]" &&
	test "$(metric token_refreshes m.prom)" = 2 &&
	entries c-401 >got &&
	json_ok got "len(d[\"items\"]) == 1"
'

test_expect_success '401 storm: error after one refresh and one re-send' '
	stubbed SL 401 c-401s alpha:A_S:3 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"HTTP 401\" in L[0][\"error\"] and \"again with a new token\" in L[0][\"error\"]" &&
	test $(nreq SL) = 2 &&
	test $(nreq SSO) = 2
'

test_expect_success '500 twice, then success' '
	stubbed SL 500:2 c-500x2 alpha:A_5:3 &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	test $(nreq SL) = 3 &&
	test $(nreq SSO) = 1 &&
	entries c-500x2 >got &&
	json_ok got "items(d) == [entry(\"c-500x2\", \"alpha\", \"A_5\", \"Major\")]"
'

test_expect_success '500 forever: error after 3 attempts (or 1 + --retries)' '
	stubbed SL 500 c-500 alpha:A_5:3 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"HTTP 500\" in L[0][\"error\"] and \"(3 attempts)\" in L[0][\"error\"]" &&
	test $(nreq SL) = 3 &&
	stub_clear SL &&
	slp --retries 0 <in >out &&
	json_ok out "L[0][\"state\"] == \"error\" and \"(1 attempt)\" in L[0][\"error\"]" &&
	test $(nreq SL) = 1 &&
	stub_clear SL &&
	slp --retries 4 <in >out &&
	test $(nreq SL) = 5
'

test_expect_success 'backoff grows exponentially' '
	stubbed SL 503 c-backoff alpha:A_B:3 -- --retry-base-ms 400 &&
	stub_requests SL >sl.log &&
	test_line_count = 3 sl.log &&
	# The waits the poster chose (logged): 400 then 800 ms, +-25 %; and
	# the requests were at least that far apart (a wait is never cut
	# short; how much longer depends on the load, so only a loose bound).
	sed -n "s/.*trying again in \([0-9]*\) ms$/\1/p" err >waits &&
	test_line_count = 2 waits &&
	w1=$(sed -n 1p waits) && w2=$(sed -n 2p waits) &&
	test $w1 -ge 300 && test $w1 -le 500 &&
	test $w2 -ge 600 && test $w2 -le 1000 &&
	json_ok sl.log "$w1 / 1000 - 0.01 <= L[1][\"time\"] - L[0][\"time\"] <= $w1 / 1000 + 10 and $w2 / 1000 - 0.01 <= L[2][\"time\"] - L[1][\"time\"] <= $w2 / 1000 + 10"
'

test_expect_success 'timeouts: error within the bound (--timeout 1)' '
	# 3 attempts of 1 s: far below the 45 s of the default 15 s timeout.
	timed_out SL c-slow 20 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"imeout\" in L[0][\"error\"] and \"(3 attempts)\" in L[0][\"error\"]" &&
	test $(nreq SL) = 3
'

test_expect_success 'connection closed without an answer: retried' '
	stubbed SL close:1 c-close alpha:A_C:3 &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	test $(nreq SL) = 2
'

test_expect_success '429 with Retry-After is honoured' '
	reset &&
	stub_control SL "{\"mode\": \"429\", \"count\": 1, \"retry_after\": 1}" &&
	mkline c-429 alpha:A_4:3 >in &&
	slp <in >out &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	stub_requests SL >sl.log &&
	test_line_count = 2 sl.log &&
	json_ok sl.log "L[1][\"time\"] - L[0][\"time\"] >= 0.95"
'

test_expect_success 'Retry-After is capped by --retry-after-max' '
	reset &&
	stub_control SL "{\"mode\": \"503\", \"count\": 1, \"retry_after\": 100}" &&
	mkline c-429cap alpha:A_4:3 >in &&
	start=$(date +%s) &&
	slp --retry-after-max 1 <in >out 2>err &&
	# The wait chosen is the cap, 1 s, not the 100 s asked for.
	test_grep "trying again in 1000 ms$" err &&
	test $(( $(date +%s) - start )) -le 30 &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	stub_requests SL >sl.log &&
	json_ok sl.log "0.99 <= L[1][\"time\"] - L[0][\"time\"] < 30"
'

test_expect_success 'other 4xx: the entry fails at once, body excerpt logged' '
	stubbed SL 403:1 c-403 alpha:A_4:3 &&
	json_ok out "L[0][\"state\"] == \"error\" and \"HTTP 403\" in L[0][\"error\"] and \"forced 403 by httpstub\" in L[0][\"error\"]" &&
	test_grep "entry not posted: service log: POST .*: HTTP 403: .*OCM-SL-403" err &&
	test $(nreq SL) = 1
'

test_expect_success 'other 2xx is success' '
	stubbed SL 202:1 c-202 alpha:A_2:3 &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	test_grep "HTTP 202 taken as success" err
'

test_expect_success 'partial success: sent, with drop_items of the failed issues' '
	reset &&
	mkline c-part alpha:A_OK:3 beta:B_EMPTY:2 gamma:G_OK:1 delta:D_EMPTY:4 \
		"desc:B_EMPTY=" "desc:D_EMPTY=" >in &&
	slp --metrics-file m.prom <in >out 2>err &&
	{ outcome_of c-part && printf "\"state\":\"sent\",\"drop_items\":[3,7]}\n"; } >expect &&
	test_cmp expect out &&
	entries c-part >got &&
	json_ok got "items(d) == [entry(\"c-part\", \"alpha\", \"A_OK\", \"Major\"),
		entry(\"c-part\", \"gamma\", \"G_OK\", \"Info\")]" &&
	test $(nreq SL) = 4 &&
	test_grep "item 3: entry not posted: .*HTTP 400: .*summary is required" err &&
	test "$(metric entries_posted m.prom)" = 2 &&
	test "$(metric entries_failed m.prom)" = 2 &&
	test "$(metric notification_sent m.prom)" = 3 &&
	test "$(metric notification_not_sent_error_state m.prom)" = 2
'

test_expect_success 'nothing posted after a failed POST: error' '
	reset &&
	mkline c-nopost beta:B_EMPTY:2 beta:OMITTED_KEY:1 "desc:B_EMPTY=" >in &&
	slp <in >out &&
	json_ok out "L[0][\"state\"] == \"error\" and L[0][\"error\"].startswith(\"1 of 1 entries not posted: service log: POST\")" &&
	json_ok out "\"drop_items\" not in L[0]"
'

# trunc.py: lines whose texts straddle the limits with multibyte
# characters, and the entries expected for them.
cat >trunc.py <<'EOF'
import json, sys
RULES = "ccx_rules_ocp.external.rules."
LINK = "\n\n[More details](%s)."

def cut(b, n):
    """The longest prefix of bytes b of at most n bytes on a character boundary."""
    if len(b) <= n:
        return b
    i = n
    while i > 0 and (b[i] & 0xC0) == 0x80:
        i -= 1
    return b[:i]

def straddles(b, n):
    return len(b) > n and (b[n] & 0xC0) == 0x80

def content(rule, descs):
    t = {k: "" for k in ("generic", "summary", "resolution", "more_info", "reason")}
    return dict(plugin={"name": rule, "node_id": "", "product_code": "OCP4",
                        "python_module": RULES + rule},
                error_keys={k: dict(metadata={"description": v}, total_risk=1, HasReason=True, **t)
                            for k, v in descs.items()}, HasReason=True, **t)

def line(cluster, rule, descs):
    issues = [{"item": i, "type": "rule", "component": RULES + rule + ".report",
               "key": k, "details": {}, "total_risk": 3} for i, k in enumerate(descs)]
    return json.dumps({"cluster": cluster, "issues": issues,
                       "content": [content(rule, descs)]}, ensure_ascii=False)

def expect(cluster, rule, key, desc, uri):
    url = uri.replace("{module}", RULES + rule).replace("{error_key}", key)
    reason = ("detailed reason for " + key).encode()
    link = (LINK % url).encode()
    if len(link) <= 4000:
        text = cut(reason, 4000 - len(link)) + link
        assert len(reason) + len(link) <= 4000 or straddles(reason, 4000 - len(link)), "no straddle"
    else:
        text = cut(reason + link, 4000)
        assert straddles(reason + link, 4000), "no straddle"
    summary = cut(desc.encode(), 255)
    return {"cluster_uuid": cluster, "description": text.decode(),
            "service_name": "CCX Notification Service", "severity": "Major",
            "summary": summary.decode(),
            "created_by": "service-account-ccx-notification-service",
            "username": "insights-advisor"}

# A: summary and reason cut; the link kept.
uri_a = "https://c.example/r/{module}|{error_key}"
s1 = "a" * 254 + "\u00e9" + "tail"                 # e-acute splits at 255
assert straddles(s1.encode(), 255)
s2 = "b" * 252 + "\u20ac"                          # exactly 255 bytes: kept
assert len(s2.encode()) == 255
for pad in range(3):
    key = "K" + "x" * pad + "\u20ac" * 700      # the reason splits a euro
    reason = ("detailed reason for " + key).encode()
    link = (LINK % uri_a.replace("{module}", RULES + "trunc").replace("{error_key}", key)).encode()
    if straddles(reason, 4000 - len(link)):
        break
descs_a = {"SUMMARY_CUT": s1, "SUMMARY_FULL": s2, key: "short"}
open("trunc-a.in", "w").write(line("c-trunc-a", "trunc", descs_a) + "\n")
json.dump([expect("c-trunc-a", "trunc", k, v, uri_a) for k, v in descs_a.items()],
          open("trunc-a.expect", "w"))

# B: the link alone is longer than 4000 bytes: the whole text is cut.
for pad in range(2):
    uri_b = "https://c.example/{error_key}?" + "y" * pad + "\u00fc" * 2100
    reason = "detailed reason for LONG_LINK".encode()
    link = (LINK % uri_b.replace("{error_key}", "LONG_LINK")).encode()
    if straddles(reason + link, 4000):
        break
open("trunc-b.uri", "w").write(uri_b)
descs_b = {"LONG_LINK": "d"}
open("trunc-b.in", "w").write(line("c-trunc-b", "trunc", descs_b) + "\n")
json.dump([expect("c-trunc-b", "trunc", k, v, uri_b) for k, v in descs_b.items()],
          open("trunc-b.expect", "w"))
EOF

test_expect_success 'truncation on UTF-8 boundaries, the link kept' '
	reset &&
	python3 trunc.py &&
	slp --rule-details-uri "https://c.example/r/{module}|{error_key}" \
		<trunc-a.in >out &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	entries c-trunc-a >got &&
	json_ok got "items(d) == json.load(open(\"trunc-a.expect\"))" &&
	json_ok got "[len(e[\"summary\"].encode()) for e in d[\"items\"]][:2] == [254, 255]" &&
	json_ok got "all(3990 < len(e[\"description\"].encode()) <= 4000 for e in d[\"items\"][2:])" &&
	json_ok got "d[\"items\"][2][\"description\"].endswith(\").\")" &&
	json_ok got "\"[More details](https://c.example/r/ccx_rules_ocp.external.rules.trunc|K\" in d[\"items\"][2][\"description\"]"
'

test_expect_success 'truncation: a link longer than the limit cuts the whole text' '
	slp --rule-details-uri "$(cat trunc-b.uri)" <trunc-b.in >out &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	entries c-trunc-b >got &&
	json_ok got "items(d) == json.load(open(\"trunc-b.expect\"))" &&
	json_ok got "3998 <= len(d[\"items\"][0][\"description\"].encode()) <= 4000"
'

test_expect_success 'invalid lines: invalid outcomes with line numbers, exit 65' '
	reset &&
	cat >in <<-\EOF &&
	not json
	[1,2]
	{"issues":[],"content":[]}
	{"cluster":"cx","issues":{},"content":[]}
	{"cluster":"cx","issues":[{"item":0,"type":"rule","component":"a.b.report","total_risk":1}],"content":[]}
	{"cluster":"cx","target":"notifications-backend","issues":[],"content":[]}
	{"cluster":"ok","state":"same"}
	{"cluster":"cy","state":3}
	{"cluster":"cz"} trailing
	{"cluster":"cx","issues":[{"item":-1,"type":"rule","component":"a.b","key":"K","total_risk":1}],"content":[]}
	{"cluster":"cx","issues":[],"content":[1]}
	{"cluster":"cx","issues":[]}
	EOF
	test_expect_code 65 slp --metrics-file m.prom <in >out 2>err &&
	test_line_count = 12 out &&
	json_ok out "[o.get(\"line\") for o in L] == [1, 2, 3, 4, 5, 6, None, 8, 9, 10, 11, 12]" &&
	json_ok out "all(o[\"state\"] == \"invalid\" and o[\"error\"] for o in L if o.get(\"line\"))" &&
	json_ok out "L[6] == {\"cluster\": \"ok\", \"state\": \"same\"}" &&
	json_ok out "L[0][\"input\"] == \"not json\" and \"not JSON\" in L[0][\"error\"]" &&
	json_ok out "\"cluster\" in L[2][\"error\"] and \"issues\" in L[3][\"error\"]" &&
	json_ok out "\"key\" in L[4][\"error\"] and \"target\" in L[5][\"error\"]" &&
	json_ok out "\"item\" in L[9][\"error\"] and \"content\" in L[10][\"error\"] and \"content\" in L[11][\"error\"]" &&
	test $(nreq RD) = 0 &&
	test "$(metric invalid_lines m.prom)" = 11 &&
	test_grep "line 9: not JSON: unexpected character at offset 17" err
'

test_expect_success 'valid lines around invalid ones are processed' '
	reset &&
	{ mkline c-mixed1 alpha:A_M:2 && echo "{" && mkline c-mixed2 alpha:A_M:2; } >in &&
	test_expect_code 65 slp <in >out &&
	json_ok out "[o[\"state\"] for o in L] == [\"sent\", \"invalid\", \"sent\"]"
'

test_expect_success 'the secret never shows: argv, logs at -v -v, outcomes' '
	reset &&
	secret=Zq9-hunter2-Xv &&
	b64=$(printf "sid:%s" "$secret" | base64) &&
	printf "%s\n" "$secret" >secret.txt &&
	mkline c-secret alpha:A_S:3 >line &&
	# No file of an earlier test: "ready" must be the new one, which holds
	# a newline only once servicelog-poster runs.  An old one let the test
	# read /proc/PID/cmdline while PID was still the shell that forked it.
	rm -f fifo ready out err &&
	mkfifo fifo &&
	{ CCX_SERVICELOG_CLIENT_SECRET= servicelog-poster -v -v -n 3 \
		--renderer-url "$RD_URL" --url "$SL_URL$SLPATH" \
		--token-url "$SSOS_URL/token" --client-id sid \
		--client-secret-file secret.txt \
		<fifo >out 2>err 3>ready & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	exec 4>fifo &&
	test_wait_for 60 test -s ready &&
	tr "\\0" " " </proc/$pid/cmdline >cmdline &&
	test_grep "client-secret-file secret.txt" cmdline &&
	! grep -F "$secret" cmdline &&
	! grep -F "$secret" /proc/$pid/environ &&
	cat line >&4 &&
	exec 4>&- &&
	wait_exit $pid &&
	json_ok out "L[0][\"state\"] == \"sent\"" &&
	test_grep "access token" err &&
	! grep -F "$secret" err out &&
	! grep -F "$b64" err out &&
	! grep "tok-[0-9]" err out &&
	stub_clear SSOS &&
	CCX_SERVICELOG_CLIENT_SECRET=$secret slp -v -v --token-url "$SSOS_URL/token" \
		--client-id sid <line >out 2>err &&
	test $(nreq SSOS) = 1 &&
	! grep -F "$secret" err out &&
	! grep -F "$b64" err out &&
	CCX_SERVICELOG_CLIENT_SECRET=WRONG-$secret slp -v -v --token-url "$SSOS_URL/token" \
		--client-id sid <line >out 2>err &&
	json_ok out "L[0][\"state\"] == \"error\"" &&
	! grep -F "$secret" err out
'

test_expect_success 'SIGTERM while waiting for input: exit 75 after the outcome' '
	reset &&
	mkline c-term alpha:A_T:3 >line &&
	rm -f fifo out err && mkfifo fifo &&
	{ servicelog-poster --renderer-url "$RD_URL" --url "$SL_URL$SLPATH" \
		--token-url "$SSO_URL/token" --client-id CLIENT_ID <fifo >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	exec 4>fifo &&
	cat line >&4 &&
	test_wait_for 60 test -s out &&
	kill -TERM $pid &&
	{ wait_exit $pid; rc=$?; } &&
	exec 4>&- &&
	test $rc = 75 &&
	json_ok out "len(L) == 1 and L[0][\"state\"] == \"sent\"" &&
	test_grep "the rest of stdin is left unread" err
'

test_expect_success 'SIGTERM during a backoff: the cluster ends at once, rest unread' '
	reset &&
	stub_mode SL 503 &&
	{ mkline c-term1 alpha:A_T:3 beta:B_T:2 && mkline c-term2 alpha:A_T:3; } >lines &&
	rm -f fifo out err && mkfifo fifo &&
	{ servicelog-poster --renderer-url "$RD_URL" --url "$SL_URL$SLPATH" \
		--token-url "$SSO_URL/token" --client-id CLIENT_ID \
		--retry-base-ms 30000 <fifo >out 2>err & } &&
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null" &&
	exec 4>fifo &&
	cat lines >&4 &&
	# In the backoff: the first POST was refused and the wait began.
	test_wait_for 60 grep -q "trying again in" err &&
	start=$(date +%s) &&
	kill -TERM $pid &&
	{ wait_exit $pid; rc=$?; } &&
	exec 4>&- &&
	test $rc = 75 &&
	# The wait was at least 22.5 s (30 s -25 %): it was cut short.
	test $(( $(date +%s) - start )) -le 15 &&
	json_ok out "len(L) == 1 and L[0][\"cluster\"] == \"c-term1\" and L[0][\"state\"] == \"error\"" &&
	json_ok out "\"terminating\" in L[0][\"error\"] and L[0][\"error\"].startswith(\"2 of 2 entries\")" &&
	test $(nreq SL) = 1
'

test_expect_success 'EPIPE on stdout: exit 75' '
	reset &&
	for c in 1 2 3 4 5 6 7 8; do mkline c-pipe$c alpha:A_P:1 || return 1; done >in &&
	{ slp <in 2>err; echo $? >rc; } | true &&
	test "$(cat rc)" = 75 &&
	test_grep "downstream gone" err
'

test_expect_success 'metrics file: the upstream counters and ours' '
	reset &&
	{ mkline c-m1 alpha:A_M:2 && mkline c-m2 alpha:OMITTED_KEY:2 &&
	  printf "{\"cluster\":\"c-m3\",\"state\":\"same\"}\n"; } >in &&
	slp --metrics-file m.prom <in >out &&
	test "$(metric notification_sent m.prom)" = 2 &&
	test "$(metric notification_not_sent_same_state m.prom)" = 2 &&
	test "$(metric notification_not_sent_error_state m.prom)" = 0 &&
	test "$(metric renderer_errors m.prom)" = 0 &&
	test "$(metric token_refreshes m.prom)" = 1 &&
	test "$(metric lines_read m.prom)" = 3 &&
	test_grep "^# TYPE ccx_notification_service_service_log_notification_sent counter" m.prom
'

test_done
