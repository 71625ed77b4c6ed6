#!/bin/sh
test_description='periodic runs push their counters to a Prometheus Pushgateway'
. ./test-lib.sh
. "$TEST_DIRECTORY"/lib-http.sh

command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP stub"
stub_start PG servicelog --mode 200
stub_start DOWN servicelog --mode 500

C=5d5892d4-1f74-4ccf-91af-548dfc9767aa
echo '{"Config": {}, "Rules": {}}' >content.json
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

test_done
