#!/bin/sh
test_description='differ: candidates and cooldown from PostgreSQL, content over HTTP'
. ./test-lib.sh
test_use pg http differ

test_have_prereq PYTHON || skip_all "python3 is needed to read the decisions"
pg_ready

differ_content >content.json
stub_start CS content --file "$TRASH_DIRECTORY/content.json" ||
	skip_all "the content stub does not start"
if test_have_prereq SHARED; then
	stub_start CG content --file "$SHARED_TESTDATA/content/test_content.gob" &&
	test_set_prereq GOBSTUB
fi
CONTENT=$CS_URL/api/v1/content

# newrep ORG N REPORT [UPDATED_AT], sent ORG N REPORT AGE [TARGET [STATE]]:
# rows of new_reports and reported (test-lib.sh).
reset_db() { sql "TRUNCATE new_reports, reported, notification_outbox CASCADE" >/dev/null 2>&1; }
# many N REPORT [ROWS]: clusters 1..N (org N % 100), ROWS rows each (1 s
# apart), all with REPORT.
many() {
	sql "INSERT INTO new_reports (org_id, account_number, cluster, report, updated_at, kafka_offset)
	     SELECT g % 100, g % 100 + 1,
	            lpad(g::text, 8, '0') || '-0000-4000-8000-000000000000',
	            '$(sql_quote "$2")', '2026-11-30 10:00:00'::timestamp + (h || ' s')::interval, g
	     FROM generate_series(1, $1) g, generate_series(1, ${3:-1}) h"
}
# sent_every K: a sent row, one day old, for every K-th cluster's newest row.
sent_every() {
	sql "INSERT INTO reported SELECT org_id, account_number, cluster, 1, 1, report,
	     updated_at, NOW() - interval '1 day', '', 1
	     FROM (SELECT DISTINCT ON (cluster) * FROM new_reports
	           ORDER BY cluster, updated_at DESC) l WHERE kafka_offset % $1 = 0"
}
# active_differ: a differ of this database is running its query.
active_differ() {
	test -n "$(sql "SELECT 1 FROM pg_stat_activity WHERE application_name = 'ccx-differ'
	    AND datname = current_database() AND state = 'active'")"
}
# wrote_output PID: PID has written something (Linux /proc/PID/io).
wrote_output() {
	_w=$(sed -n "s/^wchar: //p" "/proc/$1/io" 2>/dev/null)
	test -n "$_w" && test "$_w" -gt 0
}
kill_differ() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	     WHERE application_name = 'ccx-differ' AND datname = current_database()"
}
# A run's claims stay until db-writer -r records the outcomes; these
# tests read decisions only, so the claims go after each run.
unclaim() { sql "TRUNCATE notification_outbox" >/dev/null; }
nb() { differ -T notifications-backend -c "$CONTENT" "$@"; set -- $?; unclaim; return $1; }
sl() { differ -T service-log -c "$CONTENT" "$@"; set -- $?; unclaim; return $1; }
summ() { decision_summary; }

CRIT=$(item alpha_rule ALPHA_CRIT)
IMP=$(item alpha_rule ALPHA_IMP)
LOW=$(item alpha_rule ALPHA_LOW)

test_expect_success 'an empty database: no output, success' '
	nb >out 2>err &&
	test ! -s out
'

test_expect_success 'candidates: the latest row of each cluster only' '
	reset_db &&
	newrep 1 1 "$(report "$IMP" "$CRIT")" "2026-11-30 09:00:00" &&
	newrep 1 1 "$(report "$IMP")" &&
	newrep 1 2 "$(report "$IMP")" "2026-11-30 09:00:00" &&
	newrep 1 2 "$(report "$CRIT")" "2026-11-30 08:00:00" &&
	newrep 3 3 "$(report "$CRIT")" "2026-11-30 09:00:00" &&
	newrep 4 3 "$(report "$IMP")" "2026-11-30 09:30:00" &&
	nb >out &&
	summ <out >actual &&
	printf "1 nb ALPHA_IMP=3\n2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3\n" >expect &&
	test_cmp expect actual &&
	grep "\"org_id\":4,\"account_number\":104,\"cluster\":\"$(cl 3)\"" out
'

test_expect_success 'four identical inserts give one event' '
	reset_db &&
	for s in 1 2 3 4; do
		newrep 1 1 "$(report "$IMP")" "2026-11-30 10:00:0$s" || return 1
	done &&
	decides "1 nb ALPHA_IMP=3" nb
'

test_expect_success 'updated_at as PostgreSQL prints it; publish_date in RFC 3339' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" "2026-11-30 10:00:00.5" &&
	newrep 1 2 "$(report "$IMP")" "2026-11-30 10:00:00" &&
	newrep 1 3 "$(report "$IMP")" "2026-11-30 10:00:00.123456" &&
	nb >out &&
	python3 -c "
import json, sys
want = [(\"2026-11-30 10:00:00.5\", \"2026-11-30T10:00:00.5Z\"),
        (\"2026-11-30 10:00:00\", \"2026-11-30T10:00:00Z\"),
        (\"2026-11-30 10:00:00.123456\", \"2026-11-30T10:00:00.123456Z\")]
got = []
for l in sys.stdin:
    d = json.loads(l)
    got.append((d[\"updated_at\"], d[\"payload\"][\"events\"][0][\"payload\"][\"publish_date\"]))
assert got == want, got
" <out
'

test_expect_success 'a sent row inside the cooldown suppresses, one outside does not' '
	reset_db &&
	for n in 1 2 3; do
		newrep 1 $n "$(report "$IMP")" || return 1
	done &&
	sent 1 1 "$(report "$IMP")" "23 hours" &&
	sent 1 2 "$(report "$IMP")" "8 days" &&
	sent 1 3 "$(report "$IMP")" "6 days 23 hours" &&
	decides "1 same\n2 nb ALPHA_IMP=3\n3 same" nb &&
	decides "1 same\n2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3" nb --cooldown "24 hours" &&
	CCX_DIFFER_COOLDOWN=24h nb | summ >actual &&
	test_cmp expect actual &&
	decides "1 nb ALPHA_IMP=3\n2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3" nb --cooldown "1 hour"
'

test_expect_success 'new issues pass the baseline; the newest sent row is the baseline' '
	reset_db &&
	newrep 1 1 "$(report "$IMP" "$CRIT")" &&
	sent 1 1 "$(report "$CRIT")" "2 days" &&
	sent 1 1 "$(report "$IMP")" "1 day" &&
	decides "1 nb ALPHA_CRIT=4" nb
'

test_expect_success 'rows of one target never suppress the other' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	sent 1 1 "$(report "$IMP")" "1 day" 2 &&
	decides "1 nb ALPHA_IMP=3" nb &&
	decides "1 same" sl
'

test_expect_success 'same and error rows never suppress; nor another org' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	newrep 1 2 "$(report "$IMP")" &&
	newrep 1 3 "$(report "$IMP")" &&
	sent 1 1 "$(report "$IMP")" "1 day" 1 2 &&
	sent 1 2 "$(report "$IMP")" "1 day" 1 4 &&
	sent 9 3 "$(report "$IMP")" "1 day" &&
	decides "1 nb ALPHA_IMP=3\n2 nb ALPHA_IMP=3\n3 nb ALPHA_IMP=3" nb
'

test_expect_success 'cooldown disabled ("0", "0 hours", blank) re-notifies every run' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	sent 1 1 "$(report "$IMP")" "1 minute" &&
	echo "1 nb ALPHA_IMP=3" >expect &&
	for c in 0 "0 hours" "" " "; do
		nb --cooldown "$c" -v 2>err | summ >actual &&
		test_cmp expect actual &&
		! grep "LATERAL" err || return 1
	done &&
	decides "1 same" nb
'

test_expect_success 'the cooldown is checked at start: 78, as a value differ cannot use' '
	test_expect_code 78 nb --cooldown "one week" >out 2>err &&
	test_grep -- "--cooldown \"one week\": not an interval: invalid input syntax for type interval" err &&
	! grep usage: err &&
	test ! -s out &&
	test_expect_code 78 env CCX_DIFFER_COOLDOWN="1 fortnight" differ \
		-T notifications-backend -c "$CONTENT" -n 3 3>ready 2>err &&
	test_grep -- "--cooldown \"1 fortnight\" (from CCX_DIFFER_COOLDOWN): not an interval" err &&
	test ! -s ready
'

test_expect_success 'undecodable stored reports: read_error lines, the run goes on' '
	reset_db &&
	newrep 1 1 "" &&
	newrep 1 2 "{\"reports\":[null]}" &&
	newrep 1 3 "$(report "$IMP")" &&
	newrep 1 4 "{\"reports\":[]}" &&
	nb >out 2>err &&
	summ <out >actual &&
	cat >expect <<-\EOF &&
	1 read_error: the report is not JSON: no JSON value at byte 0
	2 read_error: reports[0] is null, not an object
	3 nb ALPHA_IMP=3
	EOF
	test_cmp expect actual
'

test_expect_success 'an undecodable baseline is counted and ignored' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	sent 1 1 "{\"reports\":[null]}" "1 day" &&
	decides "1 nb ALPHA_IMP=3" nb --metrics-file m.prom 2>err &&
	grep "_baseline_errors 1\$" m.prom
'

test_expect_success 'service log from the database: issues, tag filter, cooldown' '
	reset_db &&
	newrep 1 1 "$(report "$LOW" "$IMP" "$CRIT")" &&
	sent 1 1 "$(report "$IMP")" "1 day" 2 &&
	sl >out &&
	summ <out >actual &&
	echo "1 sl 0:ALPHA_LOW=1 2:ALPHA_CRIT=4" >expect &&
	test_cmp expect actual &&
	grep "\"content\":\\[{" out
'

test_expect_success '--dump-candidates | differ -i - decides the same' '
	reset_db &&
	newrep 1 1 "$(report "$IMP" "$CRIT")" &&
	newrep 2 2 "$(report "$LOW")" "2026-11-30 10:00:00.25" &&
	sent 1 1 "$(report "$IMP")" "1 day" &&
	nb --dump-candidates >cands &&
	test_line_count = 2 cands &&
	python3 -c "
import json, sys
a, b = [json.loads(l) for l in sys.stdin]
assert list(a) == [\"org_id\", \"account_number\", \"cluster\", \"updated_at\",
    \"kafka_offset\", \"report\", \"baseline\", \"baseline_notified_at\"], a
assert a[\"org_id\"] == 1 and a[\"kafka_offset\"] == 1 and a[\"baseline\"] is not None
assert json.loads(a[\"baseline\"])[\"reports\"][0][\"key\"] == \"ALPHA_IMP\"
assert b[\"baseline\"] is None and b[\"baseline_notified_at\"] is None
assert b[\"updated_at\"] == \"2026-11-30 10:00:00.25\"
" <cands &&
	nb | summ >expect &&
	nb -i - <cands | summ >actual &&
	test_cmp expect actual &&
	nb --dump-candidates --cooldown 0 | nb -i - | summ >actual &&
	printf "1 nb ALPHA_IMP=3 ALPHA_CRIT=4\n2 same\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'shards in SQL partition the clusters, and -i agrees' '
	reset_db &&
	many 500 "$(report "$IMP")" &&
	nb --dump-candidates >all &&
	test_line_count = 500 all &&
	for k in 0 1 2; do
		nb --dump-candidates --shard $k/3 >s$k &&
		nb -i all --shard $k/3 --cooldown 0 | summ | cut -d" " -f1 >i$k &&
		python3 -c "
import json, sys
for l in open(sys.argv[1]):
    print(int(json.loads(l)[\"cluster\"][:8]))
" s$k >n$k &&
		test_cmp n$k i$k &&
		test_line_count -gt 100 n$k || return 1
	done &&
	sort -n n0 n1 n2 >union &&
	seq 1 500 >expect &&
	test_cmp expect union
'

test_expect_success GOBSTUB 'content over HTTP: gob from the content stub' '
	reset_db &&
	newrep 1 1 "{\"reports\":[{\"component\":\"ccx_rules_ocp.external.rules.test_rule.report\",\"type\":\"rule\",\"key\":\"TEST_RULE_IMPORTANT_IMPACT\",\"details\":{}}]}" \
		"2026-11-30 10:00:00" &&
	differ -T notifications-backend -c "$CG_URL/api/v1/content" >out &&
	summ <out >actual &&
	echo "1 nb TEST_RULE_IMPORTANT_IMPACT=3" >expect &&
	test_cmp expect actual &&
	stub_requests CG >req &&
	test_grep "/api/v1/content" req
'

test_expect_success 'content over HTTP: JSON; a fetch error exits 69' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	decides "1 nb ALPHA_IMP=3" nb &&
	stub_control CS "{\"mode\": \"500\", \"count\": 1}" &&
	test_expect_code 69 nb >out 2>err &&
	test ! -s out &&
	test_grep "unable to fetch the content.*500" err &&
	test_expect_code 69 differ -T notifications-backend -c "$CS_URL/api/v1/other" 2>err &&
	test_grep "404" err &&
	stub_control CS "{\"mode\": \"notjson\", \"count\": 1}" &&
	test_expect_code 69 nb 2>err &&
	test_grep "unable to decode the content" err &&
	stub_control CS "{\"mode\": \"timeout\", \"count\": 1}" &&
	test_expect_code 69 nb --content-timeout 1 2>err &&
	test_grep "unable to fetch the content" err
'

test_expect_success 'an unreachable database is transient: exit 75' '
	test_expect_code 75 nb -d "host=$TRASH_DIRECTORY/nowhere port=1" 2>err &&
	test_grep "unable to connect to the database" err
'

test_expect_success 'an unmigrated database: exit 78 with a hint' '
	pg_fresh_db differ_unmigrated_$$ &&
	test_when_finished "psql -qX -d postgres -c \"DROP DATABASE differ_unmigrated_$$\"" &&
	test_expect_code 78 nb -d "dbname=differ_unmigrated_$$" 2>err &&
	test_grep "db-writer migrate" err
'

test_expect_success 'readiness after content and database' '
	reset_db &&
	nb -n 3 3>ready >out &&
	printf "\n" >expect &&
	test_cmp expect ready
'

test_expect_success '--go-fd: ready, then nothing decided before the byte, all of it after' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	newrep 1 2 "$(report "$CRIT")" &&
	mkfifo go &&
	{ differ -T notifications-backend -c "$CONTENT" -n 3 3>ready \
		--go-fd 4 4<go >out 2>err & } &&
	exec 8>go &&
	test_wait_for 10 test -s ready &&
	sleep 0.3 &&
	test ! -s out &&
	test "$(sql "SELECT count(*) FROM notification_outbox")" = 0 &&
	printf x >&8 &&
	exec 8>&- &&
	wait &&
	summ <out >actual &&
	printf "1 nb ALPHA_IMP=3\n2 nb ALPHA_CRIT=4\n" >expect &&
	test_cmp expect actual &&
	unclaim
'

test_expect_success '--go-fd: its end without a byte ends the run, exit 75, no claim' '
	reset_db &&
	newrep 1 1 "$(report "$IMP")" &&
	test_expect_code 75 nb --go-fd 0 </dev/null >out 2>err &&
	test ! -s out &&
	grep "no go-ahead" err &&
	test "$(sql "SELECT count(*) FROM notification_outbox")" = 0
'

# Big enough that the server is still sending when we stop reading.
PAD=$(printf "%3000s" "" | tr " " x)
test_expect_success 'setup: 20000 clusters' '
	reset_db &&
	many 20000 "$(report "$IMP" "{\"component\":\"c.r.report\",\"type\":\"rule\",\"key\":\"K\",\"details\":{\"pad\":\"$PAD\"}}")" 2 &&
	sent_every 4 &&
	sql "ANALYZE" &&
	test "$(sql "SELECT count(*) FROM reported")" = 5000
'

# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) that would hide the figure we want; keep it small.
test_expect_success 'memory stays flat over 20000 clusters, one query' '
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 &&
	export ASAN_OPTIONS &&
	nb -v >out 2>err &&
	test_line_count = 20000 out &&
	test "$(grep -c "\"state\":\"same\"" out)" = 5000 &&
	test "$(grep -c "candidates query" err)" = 1 &&
	rss=$(sed -n "s/.*peak RSS \\([0-9]*\\) KiB.*/\\1/p" err) &&
	echo "peak RSS $rss KiB" &&
	test "$rss" -lt 51200 &&
	if command -v /usr/bin/time >/dev/null; then
		/usr/bin/time -f %M -o rss differ -T notifications-backend \
			-c "$CONTENT" >/dev/null 2>&1 &&
		echo "time: $(cat rss) KiB" &&
		test "$(tail -n 1 rss)" -lt 51200
	fi
'

test_expect_success 'the database lost mid-run: exit 75' '
	{ { nb 2>err; echo $? >rc; } | { sleep 2; cat >/dev/null; } & } &&
	test_wait_for 10 active_differ &&
	kill_differ &&
	wait &&
	echo 75 >expect &&
	test_cmp expect rc &&
	test_grep -i "connection\\|terminat" err
'

test_expect_success 'SIGTERM mid-run: stop after the current line, exit 75' '
	{ { differ -T notifications-backend -c "$CONTENT" 2>err & echo $! >pid;
	    wait $!; echo $? >rc; } | { sleep 2; cat >out; } & } &&
	test_wait_for 10 test -s pid &&
	test_wait_for 10 active_differ &&
	{ test_wait_for 10 wrote_output "$(cat pid)" || sleep 1; } &&
	kill -TERM "$(cat pid)" &&
	wait &&
	echo 75 >expect &&
	test_cmp expect rc &&
	test_grep "terminated after" err &&
	n=$(wc -l <out) &&
	test "$n" -gt 0 && test "$n" -lt 20000 &&
	python3 -c "
import json, sys
for l in sys.stdin:
    json.loads(l)
" <out
'

test_done
