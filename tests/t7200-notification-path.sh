#!/bin/sh
test_description='notification path end to end: new_reports -> differ | kafka-emitter / servicelog-poster | db-writer -r'
. ./test-lib.sh
test_use pg kafka http

pg_ready
mock_start -t platform.notifications.ingress:1 || skip_all "the mock Kafka cluster cannot start"
command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP stubs"
stub_start RD renderer
stub_start SSO sso
stub_start SL servicelog

TOPIC=platform.notifications.ingress
CONTENT=file://$TEST_DIRECTORY/demo/content.json
C1=5d5892d4-1f74-4ccf-91af-548dfc9767aa
C2=5d5892d4-1f74-4ccf-91af-548dfc9767bb

backend() {
	differ -T notifications-backend -c "$CONTENT" "$@" |
		kafka-emitter -b "$BROKERS" -t $TOPIC |
		db-writer -r
}
servicelog() {
	differ -T service-log -c "$CONTENT" --no-tag-filter "$@" |
		stub_servicelog_poster |
		db-writer -r
}
messages() { timeout 20 kcat -C -b "$BROKERS" -t $TOPIC -o beginning -e -q; }
rows() { sql "SELECT event_type_id, state, count(*) FROM reported GROUP BY 1, 2 ORDER BY 1, 2" | tr '\n' ' '; }

test_expect_success 'no new reports: no message, no row' '
	backend &&
	messages >msgs &&
	test_line_count = 0 msgs &&
	test -z "$(rows)"
'

test_expect_success 'one important report: one message with one event, total_risk "3", one sent row' '
	new_report 1 $C1 "$(demo_report demo_nodes_memory demo_image_registry)" &&
	backend &&
	messages >msgs &&
	test_line_count = 1 msgs &&
	python3 - msgs "$C1" <<-\PY &&
	import json, re, sys
	m = json.loads(open(sys.argv[1]).readline())
	c = sys.argv[2]
	assert list(m) == ["bundle", "application", "event_type", "timestamp", "account_id", "org_id", "events", "context"], list(m)
	assert (m["bundle"], m["application"], m["event_type"]) == ("openshift", "advisor", "new-recommendation")
	assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z", m["timestamp"]), m["timestamp"]
	assert (m["account_id"], m["org_id"]) == ("1001", "1")
	assert m["context"] == {"display_name": c, "host_url": "https://console.redhat.com/openshift/insights/advisor/clusters/" + c}
	assert len(m["events"]) == 1, m["events"]
	e = m["events"][0]
	assert e["metadata"] == {}
	p = e["payload"]
	assert sorted(p) == ["publish_date", "rule_description", "rule_url", "total_risk"]
	assert p["total_risk"] == "3"
	assert p["rule_description"] == "Nodes have less memory than the control plane needs"
	assert p["rule_url"] == "https://console.redhat.com/openshift/insights/advisor/clusters/%s?first=ccx_rules_ocp|external|rules|demo_nodes_memory|report|NODES_MEMORY_LOW" % c
	assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z", p["publish_date"])
	PY
	test "$(rows)" = "1|1|1 "
'

test_expect_success 'the sent row holds the report and the candidate time' '
	test "$(sql "SELECT count(*) FROM reported r JOIN new_reports n USING (org_id, cluster, updated_at) WHERE r.report = n.report AND r.error_log = '"''"' AND r.notification_type = 1")" = 1
'

test_expect_success 'a second run right after sends nothing and writes a same row' '
	backend &&
	messages >msgs &&
	test_line_count = 1 msgs &&
	test "$(rows)" = "1|1|1 1|2|1 "
'

test_expect_success 'important and critical rows of one cluster: events of the latest row only' '
	new_report 2 $C2 "$(demo_report demo_nodes_memory)" "1 hour" &&
	new_report 2 $C2 "$(demo_report demo_etcd_backup)" &&
	backend &&
	messages | sed -n 2p >msg &&
	test_grep -c "total_risk" msg >n && test "$(cat n)" = 1 &&
	test_grep "\"total_risk\":\"4\"" msg &&
	test_grep "ETCD_NO_BACKUP" msg
'

test_expect_success 'the targets never suppress each other: service-log notifies both clusters' '
	servicelog &&
	test "$(curl -s --max-time 5 "$SL_URL/api/service_logs/v1/clusters/$C1/cluster_logs" | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"items\"]))")" = 2 &&
	test "$(sql "SELECT count(*) FROM reported WHERE event_type_id = 2 AND state = 1")" = 2
'

test_expect_success 'service-log, renderer down: error rows, run exits 0, retried next run' '
	new_report 3 $C1 "$(demo_report demo_ingress_cert)" &&
	stub_control RD "{\"mode\": \"500\"}" &&
	test_when_finished "stub_control RD \"{\\\"mode\\\": \\\"ok\\\"}\"" &&
	servicelog &&
	test "$(sql "SELECT state, error_log LIKE '"'%500%'"' FROM reported WHERE org_id = 3 AND event_type_id = 2")" = "4|t" &&
	stub_control RD "{\"mode\": \"ok\"}" &&
	servicelog &&
	test "$(sql "SELECT string_agg(state::text, '"','"' ORDER BY notified_at) FROM reported WHERE org_id = 3 AND event_type_id = 2")" = "4,1"
'

test_expect_success 'service-log: 401 once, then success after one token refresh' '
	new_report 4 $C2 "$(demo_report demo_etcd_backup demo_ingress_cert)" &&
	stub_control SL "{\"mode\": \"401\", \"count\": 1}" &&
	servicelog &&
	test "$(sql "SELECT state FROM reported WHERE org_id = 4 AND event_type_id = 2")" = 1
'

test_expect_success 'the cooldown: a sent row outside it does not suppress' '
	sql "UPDATE reported SET notified_at = notified_at - interval '"'8 days'"' WHERE org_id = 1 AND event_type_id = 1" &&
	backend &&
	messages >msgs &&
	test_grep -c "$C1" msgs >n && test "$(cat n)" = 2
'

test_done
