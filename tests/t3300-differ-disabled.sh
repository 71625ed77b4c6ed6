#!/bin/sh
test_description='differ --aggregator-db: the rules users disabled, per cluster and per organisation, on both targets, through the senders to reported'
. ./test-lib.sh
test_use pg kafka http differ

test_have_prereq PYTHON || skip_all "python3 is needed to read the messages"
pg_ready
mock_start -t platform.notifications.ingress:1 || skip_all "the mock Kafka cluster cannot start"
stub_start RD renderer
stub_start SSO sso
stub_start SL servicelog

TOPIC=platform.notifications.ingress
CONTENT=file://$TEST_DIRECTORY/demo/content.json

# The aggregator's database of disabled rules: $AGG, agg SQL.
aggregator_db

MOD=ccx_rules_ocp.external.rules
NM=$(item demo_nodes_memory NODES_MEMORY_LOW)
EB=$(item demo_etcd_backup ETCD_NO_BACKUP)

# toggle N RULE_ID KEY [DISABLED]: cluster N's toggle of the rule.
toggle() {
	agg "INSERT INTO cluster_rule_toggle (cluster_id, rule_id, error_key, disabled,
	     disabled_at, enabled_at, updated_at)
	     VALUES ('$(cl "$1")', '$2', '$3', ${4:-1}, now(), NULL, now())
	     ON CONFLICT (cluster_id, rule_id, error_key) DO UPDATE
	     SET disabled = EXCLUDED.disabled, updated_at = now()"
}
# ack ORG RULE_ID KEY: the organisation acknowledges (disables) the rule.
ack() {
	agg "INSERT INTO rule_disable (org_id, rule_id, error_key, justification, created_at)
	     VALUES ('$1', '$2', '$3', 'not for us', now())"
}
# insert ORG N REPORT [AGE]: cluster N's newest report.
insert() { new_report "$1" "$(cl "$2")" "$3" "${4:-0 s}"; }

backend() {
	differ -T notifications-backend -c "$CONTENT" --aggregator-db "$AGG" "$@" |
		tee -a decisions.nb |
		kafka-emitter -b "$BROKERS" -t $TOPIC |
		tee -a outcomes.nb |
		db-writer -r
}
servicelog() {
	differ -T service-log -c "$CONTENT" --aggregator-db "$AGG" "$@" |
		tee -a decisions.sl |
		stub_servicelog_poster |
		db-writer -r
}
# sent_nb: "N KEY ..." for each message on the topic, in order.
sent_nb() {
	timeout 20 kcat -C -b "$BROKERS" -t $TOPIC -o beginning -e -q |
	python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    keys = sorted(e["payload"]["rule_url"].split("|")[-1] for e in m["events"])
    print(int(m["context"]["display_name"][:8]), " ".join(keys))
'
}
# new_nb: the messages sent since the last call (count in nb.seen).
new_nb() {
	sent_nb >all.nb &&
	_n=$(cat nb.seen 2>/dev/null || echo 0) &&
	tail -n +$((_n + 1)) all.nb &&
	wc -l <all.nb >nb.seen
}
# backend_sends [-s] [LINE...]: a backend run (its metrics in m.prom) sends
# exactly these messages, new_nb's lines, in this order (-s: sorted); with
# no LINE, none.
backend_sends() {
	_sort=cat
	[ "${1:-}" = -s ] && { _sort=sort; shift; }
	if [ $# = 0 ]; then : >expect; else printf '%s\n' "$@" >expect; fi &&
	backend --metrics-file m.prom &&
	new_nb >sent &&
	$_sort sent >actual &&
	test_cmp expect actual
}
# sent_sl: "N KEY" for each Service Log entry posted, sorted.
sent_sl() {
	stub_requests SL | python3 -c '
import json, re, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["method"] != "POST" or "cluster_logs" not in r["path"] or not isinstance(r["body"], dict):
        continue
    b = r["body"]
    print(int(b["cluster_uuid"][:8]), re.search(r"detailed reason for (\w+)", b["description"]).group(1))
' | sort
}
# row N TARGET: the states of cluster N's reported rows, oldest first.
row() {
	sql "SELECT string_agg(state::text, ',' ORDER BY notified_at) FROM reported
	     WHERE cluster = '$(cl "$1")' AND event_type_id = ${2:-1}"
}
claims() { sql "SELECT count(*) FROM notification_outbox"; }

test_expect_success 'without --aggregator-db nothing changes; with it the toggle applies' '
	insert 1 1 "$(report "$NM" "$EB")" &&
	toggle 1 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW &&
	differ -T notifications-backend -c "$CONTENT" --dry-run >plain &&
	decision_summary <plain >actual &&
	echo "1 nb NODES_MEMORY_LOW=3 ETCD_NO_BACKUP=4" >expect &&
	test_cmp expect actual &&
	differ -T notifications-backend -c "$CONTENT" --dry-run \
		--aggregator-db "$AGG" >dis 2>err &&
	decision_summary <dis >actual &&
	echo "1 nb ETCD_NO_BACKUP=4" >expect &&
	test_cmp expect actual &&
	test_grep "disabled rules from the aggregator database \"$AGG_DB\".*: 1 cluster toggles, 0 organisation acknowledgements" err &&
	CCX_DIFFER_AGGREGATOR_DB=$AGG differ -T notifications-backend \
		-c "$CONTENT" --dry-run | decision_summary >actual &&
	test_cmp expect actual &&
	CCX_DIFFER_AGGREGATOR_DB= differ -T notifications-backend \
		-c "$CONTENT" --dry-run | decision_summary >actual &&
	echo "1 nb NODES_MEMORY_LOW=3 ETCD_NO_BACKUP=4" >expect &&
	test_cmp expect actual &&
	test "$(claims)" = 0 &&
	sql "TRUNCATE new_reports CASCADE" &&
	agg "TRUNCATE cluster_rule_toggle"
'

test_expect_success 'a cluster toggle in each rule_id form, an enabled one, two rules of which one is disabled' '
	for n in 2 3 4 5; do
		insert 2 $n "$(report "$NM" "$EB")" || return 1
	done &&
	toggle 2 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW &&
	toggle 3 $MOD.demo_nodes_memory NODES_MEMORY_LOW &&
	toggle 4 demo_nodes_memory NODES_MEMORY_LOW &&
	toggle 5 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW 0 &&
	toggle 5 $MOD.demo_etcd_backup.report OTHER_KEY &&
	toggle 99 $MOD.demo_etcd_backup.report ETCD_NO_BACKUP &&
	backend_sends "2 ETCD_NO_BACKUP" "3 ETCD_NO_BACKUP" "4 ETCD_NO_BACKUP" \
		"5 ETCD_NO_BACKUP NODES_MEMORY_LOW" &&
	grep "_items_skipped_disabled_cluster 3\$" m.prom &&
	grep "_items_skipped_disabled_org 0\$" m.prom &&
	for n in 2 3 4 5; do
		test "$(row $n)" = 1 || return 1
	done &&
	test "$(claims)" = 0
'

test_expect_success 'the decision and the outcome name the disabled items (disabled_items)' '
	grep -c "\"disabled_items\":\[0\]" decisions.nb >n &&
	echo 3 >expect && test_cmp expect n &&
	grep "\"cluster\":\"$(cl 5)\"" decisions.nb >d5 &&
	! grep disabled_items d5 &&
	grep -c "\"disabled_items\":\[0\],\"state\":\"sent\"" outcomes.nb >n &&
	echo 3 >expect && test_cmp expect n
'

test_expect_success 'the sent row stores the report without the disabled items' '
	test "$(sql "SELECT count(*) FROM reported WHERE cluster = '"'$(cl 2)'"'
	    AND report::text LIKE '"'%NODES_MEMORY_LOW%'"'")" = 0
'

test_expect_success 'an organisation acknowledgement, and no other organisation touched' '
	insert 3 6 "$(report "$NM" "$EB")" &&
	insert 3 7 "$(report "$EB" "$NM")" &&
	insert 4 8 "$(report "$NM" "$EB")" &&
	ack 3 $MOD.demo_nodes_memory NODES_MEMORY_LOW &&
	ack 99 demo_etcd_backup ETCD_NO_BACKUP &&
	toggle 8 $MOD.demo_nodes_memory.report OTHER_KEY &&
	backend_sends "6 ETCD_NO_BACKUP" "7 ETCD_NO_BACKUP" "8 ETCD_NO_BACKUP NODES_MEMORY_LOW" &&
	grep "_items_skipped_disabled_org 2\$" m.prom &&
	grep "\"cluster\":\"$(cl 7)\".*\"disabled_items\":\[1\]" decisions.nb
'

test_expect_success 'a cluster whose every item is disabled: a same row, nothing sent' '
	insert 5 9 "$(report "$NM")" &&
	toggle 9 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW &&
	insert 6 10 "$(report "$NM" "$EB")" &&
	ack 6 demo_nodes_memory NODES_MEMORY_LOW &&
	ack 6 $MOD.demo_etcd_backup ETCD_NO_BACKUP &&
	backend_sends &&
	test "$(row 9)" = 2 &&
	test "$(row 10)" = 2 &&
	grep "\"cluster\":\"$(cl 10)\".*\"state\":\"same\",\"disabled_items\":\[0,1\]}" decisions.nb &&
	grep "\"cluster\":\"$(cl 10)\".*\"disabled_items\":\[0,1\],\"state\":\"same\"}" outcomes.nb
'

test_expect_success 'service-log: the same rules disabled on the other target' '
	servicelog &&
	sent_sl >actual &&
	cat >expect <<-\EOF &&
	2 ETCD_NO_BACKUP
	3 ETCD_NO_BACKUP
	4 ETCD_NO_BACKUP
	5 ETCD_NO_BACKUP
	5 NODES_MEMORY_LOW
	6 ETCD_NO_BACKUP
	7 ETCD_NO_BACKUP
	8 ETCD_NO_BACKUP
	8 NODES_MEMORY_LOW
	EOF
	test_cmp expect actual &&
	test "$(row 9 2)" = 2 &&
	test "$(row 10 2)" = 2 &&
	test "$(row 2 2)" = 1 &&
	grep "\"cluster\":\"$(cl 2)\".*\"issues\":\[{\"item\":1,.*\"disabled_items\":\[0\]" decisions.sl
'

test_expect_success 're-enabled (toggle back to 0, acknowledgement deleted): notified on the next run' '
	toggle 9 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW 0 &&
	agg "DELETE FROM rule_disable WHERE org_id = '"'6'"'" &&
	backend_sends -s "10 ETCD_NO_BACKUP NODES_MEMORY_LOW" "9 NODES_MEMORY_LOW" &&
	test "$(row 9)" = 2,1 &&
	test "$(row 10)" = 2,1
'

test_expect_success 're-enabled inside the cooldown: not again when the last sent report held it' '
	insert 7 11 "$(report "$NM")" &&
	backend_sends "11 NODES_MEMORY_LOW" &&
	toggle 11 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW &&
	backend &&
	toggle 11 $MOD.demo_nodes_memory.report NODES_MEMORY_LOW 0 &&
	backend_sends &&
	test "$(row 11)" = 1,2,2
'

test_expect_success 're-enabled outside the cooldown: notified again' '
	insert 8 12 "$(report "$NM")" &&
	sql "INSERT INTO reported SELECT org_id, account_number, cluster, 1, 1,
	     report, updated_at, now() AT TIME ZONE '"'UTC'"' - interval '"'8 days'"', '"''"', 1
	     FROM new_reports WHERE cluster = '"'$(cl 12)'"'" &&
	ack 8 $MOD.demo_nodes_memory NODES_MEMORY_LOW &&
	backend_sends &&
	agg "DELETE FROM rule_disable WHERE org_id = '"'8'"'" &&
	backend_sends "12 NODES_MEMORY_LOW" &&
	test "$(row 12)" = 1,2,1
'

test_expect_success 're-enabled inside the cooldown: an item that was disabled when the others were sent is notified' '
	agg "DELETE FROM rule_disable WHERE org_id = '"'3'"'" &&
	backend_sends -s "6 NODES_MEMORY_LOW" "7 NODES_MEMORY_LOW"
'

test_expect_success 'aggregator database unreachable: exit 66 naming it, nothing decided or sent' '
	insert 9 13 "$(report "$EB")" &&
	test_expect_code 66 differ -T notifications-backend -c "$CONTENT" \
		--aggregator-db "host=$PGHOST port=1 dbname=aggr_nowhere" >out 2>err &&
	test ! -s out &&
	test_grep "unable to connect to the aggregator database \"aggr_nowhere\" on $PGHOST port 1: " err &&
	test_grep "this run decides nothing" err &&
	test_expect_code 66 env CCX_DIFFER_AGGREGATOR_DB="dbname=aggr_nowhere_$$" \
		differ -T service-log -c "$CONTENT" >out 2>err &&
	test ! -s out &&
	test_grep "the aggregator database \"aggr_nowhere_$$\"" err &&
	test "$(claims)" = 0 &&
	test -z "$(row 13)" &&
	test -z "$(row 13 2)"
'

test_expect_success 'aggregator tables or columns missing: exit 66 naming them' '
	pg_fresh_db "${AGG_DB}_empty" 2>/dev/null &&
	test_when_finished "psql -qX -d postgres -c \"DROP DATABASE IF EXISTS ${AGG_DB}_empty WITH (FORCE)\"" &&
	test_expect_code 66 differ -T notifications-backend -c "$CONTENT" \
		--aggregator-db "dbname=${AGG_DB}_empty" >out 2>err &&
	test ! -s out &&
	test_grep "unable to read the disabled rules from the aggregator database \"${AGG_DB}_empty\".*unable to read cluster_rule_toggle: relation \"cluster_rule_toggle\" does not exist" err &&
	psql -qX -d "${AGG_DB}_empty" -c "CREATE TABLE cluster_rule_toggle (cluster_id VARCHAR, rule_id VARCHAR, error_key VARCHAR, disabled SMALLINT)" &&
	test_expect_code 66 differ -T notifications-backend -c "$CONTENT" \
		--aggregator-db "dbname=${AGG_DB}_empty" >out 2>err &&
	test_grep "unable to read rule_disable: relation \"rule_disable\" does not exist" err &&
	psql -qX -d "${AGG_DB}_empty" -c "CREATE TABLE rule_disable (org_id VARCHAR, rule_id VARCHAR)" &&
	test_expect_code 66 differ -T notifications-backend -c "$CONTENT" \
		--aggregator-db "dbname=${AGG_DB}_empty" >out 2>err &&
	test_grep "unable to read rule_disable: column \"error_key\" does not exist" err &&
	test ! -s out &&
	test "$(claims)" = 0 &&
	test -z "$(row 13)"
'

test_expect_success 'an older schema: the columns are selected by name' '
	pg_fresh_db "${AGG_DB}_old" 2>/dev/null &&
	test_when_finished "psql -qX -d postgres -c \"DROP DATABASE IF EXISTS ${AGG_DB}_old WITH (FORCE)\"" &&
	psql -qX -v ON_ERROR_STOP=1 -d "${AGG_DB}_old" <<-SQL &&
	CREATE TABLE cluster_rule_toggle (cluster_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
	    disabled SMALLINT NOT NULL, disabled_at TIMESTAMP, enabled_at TIMESTAMP,
	    updated_at TIMESTAMP NOT NULL, error_key VARCHAR NOT NULL);
	CREATE TABLE rule_disable (org_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL,
	    rule_id VARCHAR NOT NULL, error_key VARCHAR NOT NULL, justification VARCHAR,
	    created_at TIMESTAMP NOT NULL);
	INSERT INTO cluster_rule_toggle VALUES ('"'$(cl 14)'"', '"'$MOD.demo_etcd_backup.report'"', 1,
	    now(), NULL, now(), '"'ETCD_NO_BACKUP'"');
	INSERT INTO rule_disable VALUES ('"'10'"', '"'u'"', '"'$MOD.demo_nodes_memory'"',
	    '"'NODES_MEMORY_LOW'"', NULL, now());
	SQL
	insert 10 14 "$(report "$NM" "$EB")" &&
	insert 10 15 "$(report "$NM" "$EB")" &&
	differ -T notifications-backend -c "$CONTENT" --dry-run \
		--aggregator-db "dbname=${AGG_DB}_old" | decision_summary >all &&
	grep -E "^1[45] " all >actual &&
	cat >expect <<-\EOF &&
	14 same
	15 nb ETCD_NO_BACKUP=4
	EOF
	test_cmp expect actual
'

test_expect_success 'cluster ids: a UUID in capitals matches, and so does a name that is no UUID (-i)' '
	insert 12 17 "$(report "$NM" "$EB")" &&
	agg "INSERT INTO cluster_rule_toggle (cluster_id, rule_id, error_key, disabled, updated_at)
	     VALUES (upper('"'$(cl 17)'"'), '"'demo_etcd_backup'"', '"'ETCD_NO_BACKUP'"', 1, now()),
	            ('"'not-a-uuid'"', '"'demo_etcd_backup'"', '"'ETCD_NO_BACKUP'"', 1, now())" &&
	differ -T notifications-backend -c "$CONTENT" --dry-run --aggregator-db "$AGG" |
		decision_summary | grep "^17 " >actual &&
	echo "17 nb NODES_MEMORY_LOW=3" >expect &&
	test_cmp expect actual &&
	python3 -c "import json, sys
for c in sys.argv[1:]:
    print(json.dumps({\"org_id\": 12, \"account_number\": 1, \"cluster\": c,
        \"updated_at\": \"2026-11-30 10:00:00\", \"report\": sys.stdin.readline().strip()}))
" not-a-uuid other-name <<-EOF >cands.names &&
	$(report "$NM" "$EB")
	$(report "$NM" "$EB")
	EOF
	differ -T notifications-backend -c "$CONTENT" --aggregator-db "$AGG" \
		-i cands.names >out &&
	python3 -c "import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(d[\"cluster\"], len(d[\"payload\"][\"events\"]), d.get(\"disabled_items\"))
" <out >actual &&
	cat >expect <<-\EOF &&
	not-a-uuid 1 [1]
	other-name 2 None
	EOF
	test_cmp expect actual
'

# differ_conns: the sessions of differ the server still has (those of an
# earlier test's differ end a moment after it exits).
differ_conns() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '"'ccx-differ%'"'"
}

test_expect_success 'read once, then closed before anything is decided (-i waits for its input)' '
	insert 11 16 "$(report "$NM" "$EB")" &&
	toggle 16 demo_etcd_backup ETCD_NO_BACKUP &&
	differ -T notifications-backend --dump-candidates >cands &&
	grep "$(cl 16)" cands >cand16 &&
	mkfifo in.fifo &&
	test_wait_for 10 eval "test \"\$(differ_conns)\" = 0" || return 1
	{ differ -T notifications-backend -c "$CONTENT" --aggregator-db "$AGG" \
		-i in.fifo -n 3 3>ready >out 2>err; echo $? >status; } &
	exec 8>in.fifo &&
	test_wait_for 10 test -s ready &&
	differ_conns >conns &&
	echo 0 >expect &&
	test_cmp expect conns &&
	cat cand16 >&8 &&
	exec 8>&- &&
	test_wait_for 10 test -s status &&
	test "$(cat status)" = 0 &&
	decision_summary <out >actual &&
	echo "16 nb NODES_MEMORY_LOW=3" >expect &&
	test_cmp expect actual
'

test_done
