#!/bin/sh
test_description='periodic runs push their counters to a Prometheus Pushgateway'
. ./test-lib.sh
test_use http records

command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP stub"
stub_start PG servicelog --mode 200
stub_start DOWN servicelog --mode 500

C=5d5892d4-1f74-4ccf-91af-548dfc9767aa
# Content needs a rule (differ refuses content without one); not the
# candidate's: its issue stays unknown.
content_json other K="Other rule" >content.json
printf '{"org_id":1,"account_number":2,"cluster":"%s","updated_at":"2026-11-30 10:00:00","kafka_offset":1,"report":"{\\"reports\\":[{\\"type\\":\\"rule\\",\\"component\\":\\"a.b.report\\",\\"key\\":\\"K\\"}]}","baseline":null,"baseline_notified_at":null}\n' $C >candidates

pushed() {	# STUB JOB: the bodies PUT to /metrics/job/JOB
	stub_requests "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["method"] == "PUT" and r["path"] == "/metrics/job/" + sys.argv[1]:
        print(r["body"])' "$2"
}

test_expect_success 'differ pushes its counters at the end of a run' '
	differ -T notifications-backend -c file://$PWD/content.json -i candidates \
		--total-risk-threshold 0 --pushgateway "$PG_URL/" >decisions &&
	pushed PG differ >body &&
	test_grep "^ccx_notification_service_notification_backend_candidates 1$" body &&
	test_grep "^# TYPE ccx_notification_service_notification_backend_report_with_high_impact counter$" body
'

test_expect_success 'servicelog-poster pushes too' '
	printf "{\"target\":\"service-log\",\"org_id\":1,\"account_number\":2,\"cluster\":\"$C\",\"updated_at\":\"2026-11-30 10:00:00\",\"notified_at\":\"2026-12-01 00:00:00\",\"state\":\"same\"}\n" >same &&
	CCX_SERVICELOG_CLIENT_SECRET=s servicelog-poster --renderer-url http://127.0.0.1:9 \
		--client-id c --pushgateway "$PG_URL" <same >outcomes &&
	pushed PG servicelog-poster >body &&
	test_grep "^ccx_notification_service_service_log_notification_not_sent_same_state 1$" body
'

test_expect_success 'a Pushgateway that fails is a warning, not a failed run' '
	differ -T notifications-backend -c file://$PWD/content.json -i candidates \
		--pushgateway "$DOWN_URL" >decisions 2>err &&
	test_grep "unable to push metrics: PUT .*/metrics/job/differ: HTTP 500" err &&
	test_line_count = 1 decisions
'

# auth_of STUB JOB: the Authorization header of the PUTs to JOB ("-" when
# a PUT had none).
auth_of() {
	stub_requests "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["method"] == "PUT" and r["path"] == "/metrics/job/" + sys.argv[1]:
        print(r["headers"].get("Authorization", "-"))' "$2"
}

PGW_SECRET=Push-pw-6100-Rt4kQz
PGW_TOKEN=push-token-6100-Lm2xVb
printf '%s\n%s\n' "$PGW_SECRET" "$PGW_TOKEN" >secrets.pat
printf '%s\n' "$PGW_TOKEN" >token-file
run_differ() {	# differ with a push to $1, more env in "$@"
	_g=$1
	shift
	env "$@" differ -T notifications-backend -c file://$PWD/content.json \
		-i candidates --pushgateway "$_g" >decisions
}

test_expect_success 'CCX_PUSHGATEWAY_AUTH=user:password: HTTP Basic' '
	stub_clear PG &&
	run_differ "$PG_URL" "CCX_PUSHGATEWAY_AUTH=pusher:$PGW_SECRET" 2>err &&
	auth_of PG differ >auth &&
	echo "Basic $(printf "pusher:%s" "$PGW_SECRET" | base64)" >expect &&
	test_cmp expect auth &&
	! grep -F -f secrets.pat err
'

test_expect_success 'CCX_PUSHGATEWAY_AUTH_FILE with a token: Bearer, and the file wins' '
	stub_clear PG &&
	run_differ "$PG_URL" "CCX_PUSHGATEWAY_AUTH_FILE=$PWD/token-file" \
		"CCX_PUSHGATEWAY_AUTH=pusher:$PGW_SECRET" 2>err &&
	auth_of PG differ >auth &&
	echo "Bearer $PGW_TOKEN" >expect &&
	test_cmp expect auth &&
	stub_clear PG &&
	run_differ "$PG_URL" 2>err &&
	auth_of PG differ >auth &&
	echo - >expect &&
	test_cmp expect auth
'

test_expect_success 'credentials in the Pushgateway URL are refused, and never shown' '
	stub_clear PG &&
	run_differ "http://pusher:$PGW_SECRET@${PG_URL#http://}" 2>err &&
	test_line_count = 1 decisions &&
	test_grep "warning: unable to push metrics: the Pushgateway URL must not carry credentials" err &&
	test_grep "CCX_PUSHGATEWAY_AUTH" err &&
	run_differ "http://$PGW_TOKEN@${PG_URL#http://}/" 2>>err &&
	auth_of PG differ >auth &&
	test_line_count = 0 auth &&
	! grep -F -f secrets.pat err
'

test_expect_success 'a failing push, an unreadable credential file: warnings without the secret' '
	run_differ "$DOWN_URL" "CCX_PUSHGATEWAY_AUTH=pusher:$PGW_SECRET" 2>err1 &&
	test_grep "unable to push metrics: PUT .*/metrics/job/differ: HTTP 500" err1 &&
	run_differ "http://127.0.0.1:1" "CCX_PUSHGATEWAY_AUTH_FILE=$PWD/token-file" 2>err2 &&
	test_grep "unable to push metrics: PUT http://127.0.0.1:1/metrics/job/differ: " err2 &&
	stub_clear PG &&
	run_differ "$PG_URL" "CCX_PUSHGATEWAY_AUTH_FILE=$PWD/nonexistent" 2>err3 &&
	test_grep "unable to push metrics: unable to open .*/nonexistent: No such file" err3 &&
	printf "a\nb\n" >two-lines &&
	run_differ "$PG_URL" "CCX_PUSHGATEWAY_AUTH_FILE=$PWD/two-lines" 2>err4 &&
	test_grep "must be one line" err4 &&
	auth_of PG differ >auth &&
	test_line_count = 0 auth &&
	! grep -F -f secrets.pat err1 err2 err3 err4
'

test_done
