#!/bin/sh
# bench-notify.sh: the notification-path benchmark (doc/benchmarks.md,
# "Notification path").
#
#   make bench                          (runs it after bench.sh)
#   CCX_BUILD=build sh tests/bench/bench-notify.sh [-n N[,N...]]
#
# For each N (default 10000,100000) it fills new_reports of a throwaway
# PostgreSQL cluster with N clusters (reports of about 3 KB, five rule hits
# of the demo content), half of them with a sent row inside the cooldown
# (so their issues are suppressed) and times, in the same run:
#
#   full      differ -T notifications-backend | kafka-emitter | db-writer -r
#             against the mock broker: N/2 messages, N reported rows
#   query     the bare candidate query of differ, run by psql into /dev/null
#             (what the database must do at the least)
#   upstream  the upstream service's access pattern, simulated with psql in
#             one session: for each cluster, read its report, read its last
#             sent row, insert one reported row (with its report, copied on
#             the server: kinder to upstream than the real thing, whose
#             client sends it back); one statement at a time, each its own
#             transaction
#
# and prints the ratios (goal: full >= 20 x faster than upstream, within
# 3 x of query) and the peak RSS of each stage (flat from 10k to 100k).
#
# With -f it also times, from the same filled state, the run the service
# front end makes (ccx-notification-service -instant-reports, configured
# by upstream's variables, content over HTTP) against the same pipeline
# run bare with the same arguments: what the front end costs.
set -u
die() { echo "bench-notify: $*" >&2; exit 1; }
: "${CCX_BUILD:?set CCX_BUILD to the build directory (make bench does)}"
HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$HERE")
PATH=$CCX_BUILD/bin:$CCX_BUILD/tests:$PATH
export PATH LC_ALL=C TZ=UTC
SIZES="10000 100000"
FRONTEND=
NOUP=
while [ $# -gt 0 ]; do
	case $1 in
	-n) SIZES=$(echo "$2" | tr , ' '); shift 2 ;;
	-f) FRONTEND=1; shift ;;
	--no-upstream) NOUP=1; shift ;;
	*) die "unknown option $1" ;;
	esac
done

DIR=$(mktemp -d /tmp/ccx-bench-notify.XXXXXX)
chmod 755 "$DIR"
TRASH_DIRECTORY=$DIR
test_atexit() { :; }
test_set_prereq() { :; }
. "$TESTS"/lib-pg.sh
cleanup() {
	[ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null
	[ -n "${STUB_PID:-}" ] && kill "$STUB_PID" 2>/dev/null
	exec 9>&- 2>/dev/null
	[ -d "$DIR/pg/data" ] && pg_as_owner "$(pg_bindir)/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(pg_free_port)
pg_init_cluster "$DIR/pg" "$port" || die "PostgreSQL did not start"
PGHOST=$DIR/pg PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export PGHOST PGPORT PGUSER PGDATABASE
mkfifo "$DIR/mock.in"
mockbroker -t platform.notifications.ingress:1 -f "$DIR/mock.ready" \
	<"$DIR/mock.in" >/dev/null 2>"$DIR/mock.err" &
MOCK_PID=$!
exec 9>"$DIR/mock.in"
i=0; while [ ! -f "$DIR/mock.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
BROKERS=$(cat "$DIR/mock.ready") || die "mock broker did not start"
db-writer migrate latest 2>/dev/null || die "cannot migrate"
# Production durability: every commit is flushed (the tests run without).
psql -qX -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
CONTENT=file://$TESTS/demo/content.json

now_ms() { date +%s%3N; }

# fill N: N clusters, one report each (about 3 KB); the even ones have a
# sent row one day old carrying the same report.
fill() {
	psql -qX -v ON_ERROR_STOP=1 -v n="$1" >/dev/null <<-\SQL
	TRUNCATE new_reports, reported, read_errors, consumed_records;
	INSERT INTO new_reports (org_id, account_number, cluster, report, updated_at, kafka_offset)
	SELECT 1 + i % 5000, 100000 + i % 5000,
	       substr(md5(i::text), 1, 8) || '-' || substr(md5(i::text), 9, 4) || '-4' ||
	       substr(md5(i::text), 14, 3) || '-8' || substr(md5(i::text), 18, 3) || '-' ||
	       substr(md5(i::text), 21, 12),
	       '{"reports":[' || (SELECT string_agg(format(
	         '{"rule_id":"%s|%s","component":"ccx_rules_ocp.external.rules.%s.report","type":"rule","key":"%s","details":{"type":"rule","error_key":"%s","nodes":[%s],"link":"https://docs.example.com/%s/%s"},"tags":[],"links":{}}',
	         r, k, r, k, k,
	         (SELECT string_agg(format('{"name":"worker-%s-%s","role":"worker","memory":%s.5,"memory_req":16}', i, w, w), ',')
	            FROM generate_series(1, 3) w), r, i), ',')
	         FROM (VALUES ('demo_nodes_memory', 'NODES_MEMORY_LOW'), ('demo_etcd_backup', 'ETCD_NO_BACKUP'),
	                      ('demo_image_registry', 'REGISTRY_EMPTYDIR'), ('demo_ingress_cert', 'INGRESS_CERT_EXPIRING'),
	                      ('demo_unknown', 'UNKNOWN_KEY')) AS x(r, k)) || ']}',
	       now() AT TIME ZONE 'UTC' - interval '1 hour' - i * interval '1 ms', i
	  FROM generate_series(1, :n) i;
	INSERT INTO reported
	SELECT org_id, account_number, cluster, 1, 1, report, updated_at,
	       now() AT TIME ZONE 'UTC' - interval '1 day', '', 1
	  FROM new_reports WHERE kafka_offset % 2 = 0;
	ANALYZE new_reports; ANALYZE reported;
	SQL
}

QUERY="SELECT l.org_id, l.account_number, l.cluster, l.kafka_offset, l.updated_at, n.report, b.report, b.notified_at FROM (SELECT DISTINCT ON (cluster) org_id, account_number, cluster, kafka_offset, updated_at FROM new_reports ORDER BY cluster, updated_at DESC) l JOIN new_reports n ON n.org_id = l.org_id AND n.cluster = l.cluster AND n.updated_at = l.updated_at LEFT JOIN LATERAL (SELECT r.report, r.notified_at FROM reported r WHERE r.org_id = l.org_id AND r.cluster = l.cluster AND r.event_type_id = 1 AND r.state = 1 AND r.notified_at > NOW() - '1 week'::interval ORDER BY r.notified_at DESC LIMIT 1) b ON true ORDER BY l.cluster"

# The floor: one INSERT ... SELECT over the candidate query, each cluster's
# row with its report, sent when it has no baseline, same when it has.
FLOOR="INSERT INTO reported (org_id, account_number, cluster, notification_type, state, report, updated_at, notified_at, error_log, event_type_id) SELECT q.org_id, q.account_number, q.cluster, 1, CASE WHEN q.base IS NULL THEN 1 ELSE 2 END, q.report, q.updated_at, now() AT TIME ZONE 'UTC', '', 1 FROM (SELECT l.org_id, l.account_number, l.cluster, l.updated_at, n.report, b.report AS base FROM (SELECT DISTINCT ON (cluster) org_id, account_number, cluster, kafka_offset, updated_at FROM new_reports ORDER BY cluster, updated_at DESC) l JOIN new_reports n ON n.org_id = l.org_id AND n.cluster = l.cluster AND n.updated_at = l.updated_at LEFT JOIN LATERAL (SELECT r.report, r.notified_at FROM reported r WHERE r.org_id = l.org_id AND r.cluster = l.cluster AND r.event_type_id = 1 AND r.state = 1 AND r.notified_at > NOW() - '1 week'::interval ORDER BY r.notified_at DESC LIMIT 1) b ON true) q"

rss() { sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$1"; }
cpu() { sed -n 's/.*user_ms=\([0-9]*\) sys_ms=\([0-9]*\).*/\1 \2/p' "$1" | awk '{ print $1 + $2 }'; }
status() { sed -n 's/.*status=\([0-9]*\).*/\1/p' "$1"; }

# frontend N: the same run bare and through ccx-notification-service.
frontend() {
	if [ -z "${STUB_PID:-}" ]; then
		python3 "$TESTS/stubs/httpstub.py" content --file "$TESTS/demo/content.json" \
			--port-file "$DIR/cs.port" --watch-pid $$ </dev/null >/dev/null 2>&1 &
		STUB_PID=$!
		i=0; while [ ! -s "$DIR/cs.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	cs=http://127.0.0.1:$(cat "$DIR/cs.port")
	fill "$1" >/dev/null || die "fill failed"
	t0=$(now_ms)
	differ -T notifications-backend -c "$cs/api/v1/content" --content-timeout 10 \
		--total-risk-threshold 2 --likelihood-threshold 0 --impact-threshold 0 \
		--severity-threshold 0 --cooldown "1 week" --no-tag-filter 2>"$DIR/b.err" |
		kafka-emitter -b "$BROKERS" -t platform.notifications.ingress 2>>"$DIR/b.err" |
		db-writer -r 2>>"$DIR/b.err" || die "bare run failed"
	bare=$(($(now_ms) - t0))
	fill "$1" >/dev/null || die "fill failed"
	t0=$(now_ms)
	env CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__ENABLED=true \
		CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__ADDRESSES="$BROKERS" \
		CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TOPIC=platform.notifications.ingress \
		CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__TOTAL_RISK_THRESHOLD=2 \
		CCX_NOTIFICATION_SERVICE__KAFKA_BROKER__COOLDOWN="1 week" \
		CCX_NOTIFICATION_SERVICE__SERVICE_LOG__ENABLED=false \
		CCX_NOTIFICATION_SERVICE__DEPENDENCIES__CONTENT_SERVER="$cs" \
		CCX_NOTIFICATION_SERVICE__DEPENDENCIES__CONTENT_ENDPOINT=/api/v1/content \
		CCX_NOTIFICATION_SERVICE__STORAGE__DB_DRIVER=postgres \
		CCX_NOTIFICATION_SERVICE__STORAGE__PG_HOST="$PGHOST" \
		CCX_NOTIFICATION_SERVICE__STORAGE__PG_PORT="$PGPORT" \
		CCX_NOTIFICATION_SERVICE__STORAGE__PG_USERNAME="$PGUSER" \
		CCX_NOTIFICATION_SERVICE__STORAGE__PG_DB_NAME="$PGDATABASE" \
		CCX_NOTIFICATION_SERVICE__STORAGE__PG_PARAMS=sslmode=disable \
		CCX_NOTIFICATION_SERVICE__LOGGING__LOG_LEVEL=info \
		ccx-notification-service -instant-reports >"$DIR/f.out" 2>&1 ||
		{ tail -5 "$DIR/f.out" >&2; die "front-end run failed"; }
	fe=$(($(now_ms) - t0))
	rows=$(psql -qXAt -c "SELECT count(*) FILTER (WHERE state = 1 AND notified_at > now() AT TIME ZONE 'UTC' - interval '1 hour') FROM reported")
	[ "$rows" = "$(($1 / 2))" ] || die "front end: expected $(($1 / 2)) sent rows, got $rows"
	echo "BENCH-FRONTEND n=$1 bare_ms=$bare frontend_ms=$fe x_bare=$(awk "BEGIN { printf \"%.3f\", $fe / $bare }")"
}

printf '%-8s %10s %10s %10s %10s %8s %8s %8s %8s %8s %8s\n' N full_ms floor_ms query_ms upstrm_ms x_floor x_upstrm x_query rss_dif rss_emi rss_dbw
for n in $SIZES; do
	fill "$n" || die "fill failed"
	# full run
	t0=$(now_ms)
	{ helper bench-run "$DIR/d.pid" "$DIR/d.res" differ -T notifications-backend -c "$CONTENT" 2>"$DIR/d.err"
	  now_ms >"$DIR/d.end"; } |
		{ helper bench-run "$DIR/e.pid" "$DIR/e.res" kafka-emitter -b "$BROKERS" -t platform.notifications.ingress \
			-X linger.ms=20 -X batch.num.messages=10000 2>"$DIR/e.err"
		  now_ms >"$DIR/e.end"; } |
		helper bench-run "$DIR/w.pid" "$DIR/w.res" db-writer -r -b 5000 2>"$DIR/w.err"
	t1=$(now_ms)
	full=$((t1 - t0))
	# when each stage ended, and its CPU time
	echo "BENCH-NOTIFY-STAGES n=$n differ_end_ms=$(($(cat "$DIR/d.end") - t0)) emitter_end_ms=$(($(cat "$DIR/e.end") - t0)) dbwriter_end_ms=$full differ_cpu_ms=$(cpu "$DIR/d.res") emitter_cpu_ms=$(cpu "$DIR/e.res") dbwriter_cpu_ms=$(cpu "$DIR/w.res")" >&2
	for s in d e w; do
		[ "$(status "$DIR/$s.res")" = 0 ] || { cat "$DIR/$s.err" >&2; die "stage $s failed"; }
	done
	rows=$(psql -qXAt -c "SELECT count(*) FILTER (WHERE state = 1 AND notified_at > now() AT TIME ZONE 'UTC' - interval '1 hour'), count(*) FILTER (WHERE state = 2) FROM reported")
	[ "$rows" = "$((n / 2))|$((n / 2))" ] || die "expected $((n / 2)) sent and $((n / 2)) same rows, got $rows"
	# bare query: after the run the baseline is newer, so reset it
	fill "$n" >/dev/null || die "fill failed"
	t0=$(now_ms)
	psql -qXAt -o /dev/null -c "$QUERY" || die "query failed"
	t1=$(now_ms)
	query=$((t1 - t0))
	# the floor: the same candidates read and the same reported rows
	# written by the server alone, in one statement (rolled back)
	t0=$(now_ms)
	psql -qXAt -o /dev/null -v ON_ERROR_STOP=1 -c "BEGIN" -c "$FLOOR" -c "ROLLBACK" || die "floor failed"
	t1=$(now_ms)
	floor=$((t1 - t0))
	# upstream access pattern, sequential statements in one session
	psql -qXAt -c "SELECT org_id, cluster, updated_at FROM new_reports" |
	awk -F'|' '{
		printf "SELECT report FROM new_reports WHERE org_id = %s AND cluster = '\''%s'\'' AND updated_at = '\''%s'\'';\n", $1, $2, $3
		printf "SELECT report, notified_at FROM reported WHERE org_id = %s AND cluster = '\''%s'\'' AND event_type_id = 1 AND state = 1 AND notified_at > NOW() - '\''1 week'\''::interval ORDER BY notified_at DESC LIMIT 1;\n", $1, $2
		printf "INSERT INTO reported SELECT org_id, account_number, cluster, 1, 2, report, updated_at, now() AT TIME ZONE '\''UTC'\'' + interval '\''%d us'\'', '\'''\'', 1 FROM new_reports WHERE org_id = %s AND cluster = '\''%s'\'' AND updated_at = '\''%s'\'';\n", NR, $1, $2, $3
	}' >"$DIR/upstream.sql"
	t0=$(now_ms)
	if [ -n "$NOUP" ]; then
		t0=$((t0 - 1))
	else
		psql -qXAt -o /dev/null -f "$DIR/upstream.sql" || die "upstream simulation failed"
	fi
	t1=$(now_ms)
	upstream=$((t1 - t0))
	printf '%-8s %10s %10s %10s %10s %8s %8s %8s %8s %8s %8s\n' "$n" "$full" "$floor" "$query" "$upstream" \
		"$(awk "BEGIN { printf \"%.2f\", $full / $floor }")" \
		"$(awk "BEGIN { printf \"%.1f\", $upstream / $full }")" \
		"$(awk "BEGIN { printf \"%.2f\", $full / $query }")" \
		"$(rss "$DIR/d.res")" "$(rss "$DIR/e.res")" "$(rss "$DIR/w.res")"
	[ -n "$FRONTEND" ] && frontend "$n"
	echo "BENCH-NOTIFY n=$n full_ms=$full floor_ms=$floor x_floor=$(awk "BEGIN { printf \"%.3f\", $full / $floor }") query_ms=$query upstream_ms=$upstream rss_differ_kb=$(rss "$DIR/d.res") rss_emitter_kb=$(rss "$DIR/e.res") rss_dbwriter_kb=$(rss "$DIR/w.res")" >&2
done
