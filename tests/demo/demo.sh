#!/bin/sh
# demo.sh: the whole of ccx-notify on this machine, with nothing configured.
#
# A throwaway PostgreSQL cluster, librdkafka's mock cluster as the broker,
# the project's sample rule content and results, HTTP stubs for the
# template renderer, the SSO token endpoint and the Service Log; the
# supervisor runs the results path, then one run of each notification
# target, then a second run that the cooldown keeps quiet, then a third
# one (as if a week had passed) in which a rule a user disabled keeps one
# cluster quiet.  Everything is removed at the end.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$HERE/..
CCX_BUILD=${CCX_BUILD:-$TESTS/../build}
PATH=$CCX_BUILD/bin:$CCX_BUILD/tests:$PATH
export PATH LC_ALL=C TZ=UTC

DIR=$(mktemp -d /tmp/ccx-demo.XXXXXX)
chmod 755 "$DIR"
TRASH_DIRECTORY=$DIR
test_atexit() { :; }
test_set_prereq() { :; }
. "$TESTS"/lib-pg.sh

PIDS=
cleanup() {
	[ -n "${SUP_PID:-}" ] && kill -TERM "$SUP_PID" 2>/dev/null && wait "$SUP_PID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -n "${MOCK_FD_OPEN:-}" ] && exec 9>&-
	[ -d "$DIR/pg/data" ] && pg_as_owner "$(pg_bindir)/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
wait_for() {
	_n=$1; shift
	_end=$(( $(date +%s) + _n ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.2
	done
}

step "starting a throwaway PostgreSQL, the mock Kafka cluster and the HTTP stubs"
port=$(pg_free_port)
pg_init_cluster "$DIR/pg" "$port" || die "PostgreSQL did not start"
PGHOST=$DIR/pg PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export PGHOST PGPORT PGUSER PGDATABASE
db-writer migrate latest 2>&1 | sed 's/^/   /'
# The aggregator's database, where the advisor keeps the rules users
# disabled (its two tables of them, empty for now): every differ run reads
# it (CCX_DIFFER_AGGREGATOR_DB).
{ psql -qX -c "CREATE DATABASE aggregator" &&
  psql -qX -v ON_ERROR_STOP=1 -d aggregator -f "$HERE/aggregator.sql"; } >/dev/null ||
	die "cannot create the aggregator's database"
CCX_DIFFER_AGGREGATOR_DB="dbname=aggregator"
export CCX_DIFFER_AGGREGATOR_DB

mkfifo "$DIR/mock.in"
mockbroker -t ccx.ocp.results:1 -t platform.notifications.ingress:1 \
	-f "$DIR/mock.ready" <"$DIR/mock.in" >"$DIR/mock.out" 2>"$DIR/mock.err" &
PIDS="$PIDS $!"
exec 9>"$DIR/mock.in"
MOCK_FD_OPEN=1
wait_for 10 test -f "$DIR/mock.ready" || die "the mock broker did not start"
BROKERS=$(cat "$DIR/mock.ready")
echo "   broker: $BROKERS, database: $PGHOST port $PGPORT"

stub() {
	_name=$1 _role=$2; shift 2
	python3 "$TESTS"/stubs/httpstub.py "$_role" --port-file "$DIR/$_name.port" \
		--log "$DIR/$_name.log" --watch-pid $$ "$@" >"$DIR/$_name.err" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$DIR/$_name.port" || die "stub $_name did not start"
	eval "${_name}_URL=http://127.0.0.1:\$(cat \"\$DIR/$_name.port\")"
}
stub RENDERER renderer
stub SSO sso --client-id demo-client --client-secret demo-secret
stub SL servicelog

step "sending $(wc -l <"$HERE/results.jsonl") sample results to ccx.ocp.results (a few malformed)"
timeout 30 kcat -P -b "$BROKERS" -t ccx.ocp.results <"$HERE/results.jsonl" ||
	die "kcat could not produce"

# The demo pipeline file: production's, with the demo's endpoints.
GROUP_OPTS="-X auto.offset.reset=earliest -X session.timeout.ms=3000 -X heartbeat.interval.ms=500"
cat >"$DIR/results.conf" <<CONF
pipeline results
	run kafka-reader -b \$BROKERS -G ccx_notification_app -t ccx.ocp.results $GROUP_OPTS -a @ack
	run db-writer -w 100 -n @ready
	ack
CONF
cat >"$DIR/notify.conf" <<CONF
pipeline notify-backend every 180
	run differ -T notifications-backend -c \$CONTENT_URL
	run kafka-emitter -b \$BROKERS -t platform.notifications.ingress
	run db-writer -r
pipeline notify-servicelog every 180
	run differ -T service-log -c \$CONTENT_URL
	run servicelog-poster --renderer-url $RENDERER_URL --client-id demo-client --token-url $SSO_URL/token --url $SL_URL/api/service_logs/v1/cluster_logs/
	run db-writer -r
CONF
CONTENT_URL=file://$HERE/content.json
CCX_SERVICELOG_CLIENT_SECRET=demo-secret
export BROKERS CONTENT_URL CCX_SERVICELOG_CLIENT_SECRET

step "results path under the supervisor: kafka-reader | db-writer, acks on the back-edge"
total=$(wc -l <"$HERE/results.jsonl")
supervisor "$DIR/results.conf" 2>"$DIR/supervisor.log" &
SUP_PID=$!
consumed() {
	test "$(psql -qXAt -c "SELECT (SELECT count(*) FROM new_reports) + (SELECT count(*) FROM dead_letters)")" -ge "$total"
}
wait_for 40 consumed || { cat "$DIR/supervisor.log" >&2; die "the records were not all consumed"; }
psql -qXAt -F ' ' <<SQL | sed 's/^/   /'
SELECT 'records consumed:     ', $total;
SELECT 'stored in new_reports:', count(*), 'rows for', count(DISTINCT cluster), 'clusters of', count(DISTINCT org_id), 'orgs' FROM new_reports;
SELECT 'dead-lettered:        ', count(*) FROM dead_letters;
SELECT '   ', kafka_offset, reason_code, '-', left(reason, 70) FROM dead_letters ORDER BY kafka_offset;
SQL

run_targets() {
	for t in notify-backend notify-servicelog; do
		supervisor -1 "$DIR/notify.conf" $t 2>>"$DIR/supervisor.log" ||
			die "pipeline $t failed (see above)"
	done
}
notifications() {
	timeout 20 kcat -C -b "$BROKERS" -t platform.notifications.ingress -o beginning -e -q 2>/dev/null
}
# posts: the Service Log entries posted so far (the stub's requests).
posts() { grep '"method": *"POST".*cluster_logs' "$DIR/SL.log" 2>/dev/null; }
# notify_round: one run of each target, its messages in $DIR/notifications;
# before and posted: how many messages and entries there were before it,
# since: when it began.
notify_round() {
	before=$(cat "$DIR/notifications" 2>/dev/null | wc -l)
	posted=$(posts | wc -l)
	since=$(psql -qXAt -c "SELECT now() AT TIME ZONE 'UTC'")
	run_targets
	notifications >"$DIR/notifications"
}
summary() {
	psql -qXAt -F ' ' <<SQL | sed 's/^/   /'
SELECT 'reported rows of this run:', coalesce(string_agg(x, ', '), 'none') FROM (
  SELECT t.name || ' ' || s.value || ' ' || count(*) AS x FROM reported r
    JOIN states s ON s.id = r.state JOIN event_targets t ON t.id = r.event_type_id
   WHERE r.notified_at > '$1' GROUP BY t.name, s.value ORDER BY 1) q;
SQL
}

step "first notification run of each target: differ | kafka-emitter | db-writer -r, differ | servicelog-poster | db-writer -r"
notify_round
echo "   notifications on platform.notifications.ingress: $(wc -l <"$DIR/notifications")"
echo "   Service Log entries posted: $(posts | wc -l)"
summary "$since"
echo "   the first notification, pretty-printed:"
head -n 1 "$DIR/notifications" | python3 -m json.tool | sed 's/^/     /'
echo "   the first Service Log entry:"
posts | head -n 1 |
	python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["body"], indent=2))' | sed 's/^/     /'

step "second run right after: the cooldown (1 week) keeps every issue quiet"
notify_round
echo "   new notifications: $(( $(wc -l <"$DIR/notifications") - before ))"
echo "   new Service Log entries: $(( $(posts | wc -l) - posted ))"
summary "$since"

QUIET=5d5892df-0003-400b-8003-000000002afb
step "a user disables NODES_MEMORY_LOW for cluster $QUIET, its only issue; a week later, the cooldown over, the third run notifies every other cluster again"
psql -qX -d aggregator -c "INSERT INTO cluster_rule_toggle (cluster_id, rule_id, error_key,
    disabled, disabled_at, updated_at, org_id) VALUES ('$QUIET',
    'ccx_rules_ocp.external.rules.demo_nodes_memory.report', 'NODES_MEMORY_LOW', 1,
    now(), now(), '11')" >/dev/null || die "cannot disable the rule"
CCX_DIFFER_COOLDOWN=0
export CCX_DIFFER_COOLDOWN
notify_round
unset CCX_DIFFER_COOLDOWN
echo "   new notifications: $(( $(wc -l <"$DIR/notifications") - before ))," \
	"for cluster $QUIET: $(tail -n +$((before + 1)) "$DIR/notifications" | grep -c "$QUIET")"
echo "   new Service Log entries: $(( $(posts | wc -l) - posted ))," \
	"for cluster $QUIET: $(posts | tail -n +$((posted + 1)) | grep -c "$QUIET")"
summary "$since"
psql -qXAt -F ' ' <<SQL | sed 's/^/   /'
SELECT 'cluster $QUIET this run:', string_agg(t.name || ' ' || s.value, ', ' ORDER BY t.name)
  FROM reported r JOIN states s ON s.id = r.state JOIN event_targets t ON t.id = r.event_type_id
 WHERE r.cluster = '$QUIET' AND r.notified_at > '$since';
SQL
echo "   why? differ --explain $QUIET:"
differ -T notifications-backend -c "$CONTENT_URL" --cooldown 0 --explain "$QUIET" 2>/dev/null |
	python3 -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print("     %s total_risk %d: %s%s, disabled by %s" % (e["key"], e["total_risk"], e["outcome"],
        " (" + e["reason"] + ")" if "reason" in e else "", ", ".join(e["disabled"]) or "nothing"))'

step "stopping: SIGTERM drains the results path (commit, ack, commit offsets)"
kill -TERM "$SUP_PID"
wait "$SUP_PID"
echo "   supervisor exited with status $?"
SUP_PID=
echo "   committed offset of ccx_notification_app: $(helper kafka-committed "$BROKERS" ccx_notification_app ccx.ocp.results 1 | cut -d' ' -f2)"
step "done; everything the demo started is removed"
