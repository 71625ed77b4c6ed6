#!/bin/sh
test_description='differ --explain: one line per item with the values used and the outcome, every reason, nothing sent or written; the same reasons in the metrics of a run'
. ./test-lib.sh
test_use pg differ

test_have_prereq PYTHON || skip_all "python3 is needed to read the lines"
pg_ready
CONTENT=file://$TEST_DIRECTORY/demo/content.json

# The aggregator's database of disabled rules: $AGG, agg SQL.
aggregator_db

EB=$(item demo_etcd_backup ETCD_NO_BACKUP)
NM=$(item demo_nodes_memory NODES_MEMORY_LOW)
IC=$(item demo_ingress_cert INGRESS_CERT_EXPIRING)
IR=$(item demo_image_registry REGISTRY_EMPTYDIR)
UN=$(item demo_unknown UNKNOWN_KEY)

# newrep ORG N REPORT: cluster N's newest report; sent ORG N REPORT AGE: a
# sent reported row of target 1, AGE ago (test-lib.sh).
nb() { differ -T notifications-backend -c "$CONTENT" "$@"; }
sl() { differ -T service-log -c "$CONTENT" "$@"; }
# brief <LINES: "N ITEM KEY OUTCOME [REASON]" a line (N: the cluster's number).
brief() {
	python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    out = [str(int(e["cluster"][:8]))]
    if "item" in e:
        out += [str(e["item"]), e["key"]]
    out.append(e["outcome"])
    if "reason" in e:
        out.append(e["reason"])
    print(" ".join(out))
'
}
lock_held() {
	test -n "$(sql "SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
	    AND classid = 7242612 AND objid = 1 AND granted")"
}
db_state() {
	sql "SELECT (SELECT count(*) FROM reported), (SELECT count(*) FROM notification_outbox),
	     (SELECT count(*) FROM read_errors)"
}

test_expect_success 'setup: six clusters, a baseline, toggles and acknowledgements' '
	newrep 1 1 "$(report "$EB" "$NM" "$IC" "$IR" "$UN")" &&
	newrep 1 2 "$(report "$EB" "$NM")" &&
	sent 1 2 "$(report "$EB")" "1 day" &&
	newrep 3 3 "$(report "$EB" "$NM" "$IC")" &&
	newrep 1 4 "not json" &&
	newrep 1 5 "{\"reports\":[]}" &&
	agg "INSERT INTO cluster_rule_toggle VALUES
	     ('"'$(cl 3)'"', '"'ccx_rules_ocp.external.rules.demo_etcd_backup.report'"', '"'ETCD_NO_BACKUP'"', 1, now(), NULL, now(), '"'3'"'),
	     ('"'$(cl 3)'"', '"'demo_nodes_memory'"', '"'NODES_MEMORY_LOW'"', 1, now(), NULL, now(), '"'3'"')" &&
	agg "INSERT INTO rule_disable VALUES
	     ('"'3'"', '"'ccx_rules_ocp.external.rules.demo_etcd_backup'"', '"'ETCD_NO_BACKUP'"', NULL, now(), NULL),
	     ('"'3'"', '"'ccx_rules_ocp.external.rules.demo_ingress_cert'"', '"'INGRESS_CERT_EXPIRING'"', NULL, now(), NULL)" &&
	db_state >state.before
'

test_expect_success 'notifications-backend: notify, below_threshold, no_content, in_cooldown, disabled_*, undecodable, empty_report, no_report' '
	nb --aggregator-db "$AGG" --explain "$(cl 1)" --explain "$(cl 6),$(cl 2)" \
		--explain "$(cl 3), $(cl 4)" --explain "$(cl 5)" >lines 2>err &&
	brief <lines >actual &&
	cat >expect <<-\EOF &&
	1 0 ETCD_NO_BACKUP notify
	1 1 NODES_MEMORY_LOW notify
	1 2 INGRESS_CERT_EXPIRING notify
	1 3 REGISTRY_EMPTYDIR skip below_threshold
	1 4 UNKNOWN_KEY skip no_content
	2 0 ETCD_NO_BACKUP skip in_cooldown
	2 1 NODES_MEMORY_LOW notify
	3 0 ETCD_NO_BACKUP skip disabled_cluster
	3 1 NODES_MEMORY_LOW skip disabled_cluster
	3 2 INGRESS_CERT_EXPIRING skip disabled_org
	4 skip undecodable
	5 skip empty_report
	6 skip no_report
	EOF
	test_cmp expect actual
'

test_expect_success 'each line holds the values used' '
	python3 - lines "$(cl 1)" "$(cl 2)" "$(cl 3)" "$(cl 6)" <<-\PY
	import json, sys
	L = [json.loads(l) for l in open(sys.argv[1])]
	c1, c2, c3, c6 = sys.argv[2:]
	eb = L[0]
	assert list(eb) == ["cluster", "target", "org_id", "updated_at", "item", "type",
	    "component", "key", "rule", "likelihood", "impact", "total_risk", "threshold",
	    "event_filter", "tags", "tag_filter", "baseline_notified_at", "in_baseline",
	    "disabled", "outcome"], list(eb)
	assert eb["cluster"] == c1 and eb["target"] == "notifications-backend"
	assert eb["org_id"] == 1 and eb["updated_at"] == "2026-11-30 10:00:00"
	assert (eb["item"], eb["type"], eb["key"]) == (0, "rule", "ETCD_NO_BACKUP")
	assert eb["component"] == "ccx_rules_ocp.external.rules.demo_etcd_backup.report"
	assert eb["rule"] == "demo_etcd_backup"
	assert (eb["likelihood"], eb["impact"], eb["total_risk"], eb["threshold"]) == (4, 4, 4, 2)
	assert eb["event_filter"] == 1
	assert eb["tags"] == ["openshift", "service_availability", "osd_customer"]
	assert eb["tag_filter"] is None
	assert eb["baseline_notified_at"] is None and eb["in_baseline"] is False
	assert eb["disabled"] == [] and eb["outcome"] == "notify" and "reason" not in eb
	ir = L[3]
	assert (ir["total_risk"], ir["event_filter"], ir["reason"]) == (1, 0, "below_threshold")
	un = L[4]
	assert (un["likelihood"], un["impact"], un["tags"], un["reason"]) == (0, 0, None, "no_content")
	b = L[5]
	assert b["baseline_notified_at"] is not None and b["in_baseline"] is True, b
	assert L[6]["baseline_notified_at"] == b["baseline_notified_at"] and L[6]["in_baseline"] is False
	assert L[7]["disabled"] == ["cluster", "org"], L[7]
	assert L[8]["disabled"] == ["cluster"] and L[9]["disabled"] == ["org"]
	assert L[9]["total_risk"] == 2 and L[9]["event_filter"] == 1
	u = L[10]
	assert list(u) == ["cluster", "target", "org_id", "updated_at", "error", "outcome", "reason"], u
	assert u["error"].startswith("the report is not JSON"), u
	assert L[12] == {"cluster": c6, "target": "notifications-backend", "outcome": "skip", "reason": "no_report"}, L[12]
	PY
'

test_expect_success 'service-log: tag_filter, and no_content under the tag filter' '
	sl --explain "$(cl 1)" >lines.sl &&
	brief <lines.sl >actual &&
	cat >expect <<-\EOF &&
	1 0 ETCD_NO_BACKUP notify
	1 1 NODES_MEMORY_LOW notify
	1 2 INGRESS_CERT_EXPIRING skip tag_filter
	1 3 REGISTRY_EMPTYDIR skip tag_filter
	1 4 UNKNOWN_KEY skip no_content
	EOF
	test_cmp expect actual &&
	grep "\"threshold\":0,.*\"tag_filter\":\[\"osd_customer\"\]" lines.sl >n &&
	test_line_count = 5 n &&
	grep "\"key\":\"INGRESS_CERT_EXPIRING\".*\"tags\":\[\"openshift\",\"security\"\]" lines.sl
'

test_expect_success 'event_filter: a filter of its own, and one that divides by zero' '
	nb --explain "$(cl 1)" --event-filter "impact >= 4" >lines.ef &&
	brief <lines.ef >actual &&
	cat >expect <<-\EOF &&
	1 0 ETCD_NO_BACKUP notify
	1 1 NODES_MEMORY_LOW skip event_filter
	1 2 INGRESS_CERT_EXPIRING skip event_filter
	1 3 REGISTRY_EMPTYDIR skip event_filter
	1 4 UNKNOWN_KEY skip no_content
	EOF
	test_cmp expect actual &&
	# Division by zero (impact 3) skips, as impact < 4 did: the same lines.
	nb --explain "$(cl 1)" --event-filter "1 / (impact - 3)" >lines.dz 2>err &&
	brief <lines.dz >actual &&
	test_cmp expect actual &&
	grep "\"key\":\"NODES_MEMORY_LOW\".*\"event_filter\":null,\"event_filter_error\":\"division by zero\"" lines.dz
'

test_expect_success 'cluster_filter: the block list of the run drops the cluster' '
	nb --explain "$(cl 1),$(cl 2)" --blocked-clusters "$(cl 2)" >lines.bl &&
	brief <lines.bl >actual &&
	test_line_count = 6 actual &&
	test "$(tail -n 1 actual)" = "2 skip cluster_filter"
'

test_expect_success 'nothing sent or written: no run lock, no claims, no rows' '
	test_when_finished "sql \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = '"'t3310-lock'"'\" >/dev/null" &&
	{ PGAPPNAME=t3310-lock psql -qXAt -c "SELECT pg_advisory_lock(7242612, 1)" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 & } &&
	test_wait_for 10 lock_held &&
	test_expect_code 75 nb >out 2>err &&
	test_grep "another run for target notifications-backend is in progress" err &&
	nb --aggregator-db "$AGG" --explain "$(cl 1),$(cl 2),$(cl 3)" >lines.lock 2>err &&
	test_line_count = 10 lines.lock &&
	db_state >state.after &&
	test_cmp state.before state.after
'

test_expect_success 'candidate lines (-i) are explained too' '
	nb --dump-candidates >cands &&
	nb --aggregator-db "$AGG" -i cands --explain "$(cl 3)" --explain "$(cl 7)" | brief >actual &&
	cat >expect <<-\EOF &&
	3 0 ETCD_NO_BACKUP skip disabled_cluster
	3 1 NODES_MEMORY_LOW skip disabled_cluster
	3 2 INGRESS_CERT_EXPIRING skip disabled_org
	7 skip no_report
	EOF
	test_cmp expect actual
'

# skipped_are SUBSYSTEM FILE NO_CONTENT BELOW_THRESHOLD EVENT_FILTER TAG_FILTER
#     IN_COOLDOWN DISABLED_CLUSTER DISABLED_ORG UNDECODABLE: the items_skipped
#     counters of SUBSYSTEM in the metrics FILE are these, in this order, and
#     no others.
skipped_are() {
	sed -n "s/^ccx_notification_service_$1_items_skipped_//p" "$2" >actual &&
	shift 2 &&
	printf "no_content %s\nbelow_threshold %s\nevent_filter %s\ntag_filter %s\nin_cooldown %s\ndisabled_cluster %s\ndisabled_org %s\nundecodable %s\n" \
		"$@" >expect &&
	test_cmp expect actual
}

test_expect_success 'a run counts the same reasons in its metrics' '
	# Skipped: no content, below threshold, event filter, tag filter,
	# in cooldown, disabled for the cluster, for the org, undecodable.
	nb --aggregator-db "$AGG" --dry-run --metrics-file nb.prom >/dev/null 2>&1 &&
	skipped_are notification_backend nb.prom 1 1 0 0 1 2 1 1 &&
	nb --aggregator-db "$AGG" --dry-run --metrics-file ef.prom \
		--event-filter "1 / (impact - 3)" >/dev/null 2>&1 &&
	skipped_are notification_backend ef.prom 1 0 4 0 1 2 1 1 &&
	grep "_event_filter_errors 2\$" ef.prom &&
	sl --aggregator-db "$AGG" --dry-run --metrics-file sl.prom >/dev/null 2>&1 &&
	skipped_are service_log sl.prom 1 0 0 2 0 2 1 1
'

test_expect_success 'bad uses: with --dump-candidates, no cluster' '
	test_expect_code 64 nb --dump-candidates --explain "$(cl 1)" 2>err &&
	test_grep "not with --explain" err &&
	test_expect_code 78 nb --explain "" 2>err &&
	test_grep -- "--explain \"\": no cluster" err &&
	test_expect_code 78 env CCX_DIFFER_EXPLAIN=" , " differ -T service-log \
		-c "$CONTENT" 2>err &&
	test_grep -- "(from CCX_DIFFER_EXPLAIN): no cluster" err
'

test_done
