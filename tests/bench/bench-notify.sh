#!/bin/sh
# bench-notify.sh: the notification-path benchmark (doc/benchmarks.md,
# "Notification path").
#
#   make bench                          (runs it after bench.sh)
#   CCX_BUILD=build sh tests/bench/bench-notify.sh [-n N[,N...]] [--rounds R]
#       [-f [--fe-rounds R]] [--no-upstream] [--history ROWS
#       [--history-rounds R]] [--shards K] [--vacuumed-outbox]
#       [--shared-buffers SIZE]
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
# 3 x of query) and the peak RSS of each stage (flat from 10k to 100k and
# beyond: compared between the smallest and the largest N at the end).
#
# With --shards K it also times, from the same filled state, K runs of the
# pipeline side by side, differ --shard k/K --wait in each (same database,
# same broker): the speed-up over the one run.  The run lock is per target,
# so the K differs take it in turn; what overlaps is the senders and
# db-writer -r of one shard with the differ of the next.
#
# With --history ROWS it also fills a second database the same way plus
# ROWS rows of older history in reported (8 days of runs before the
# baselines, both targets, mostly 'same', some 'sent', a few 'error', short
# reports) and times the full run in each, in turns, R times (default 3):
# x_history is the median run with the history / the median without.
#
# With --rounds R (default 1) the full run and the floor are each timed R
# times, in turns, each from a fresh fill; full_ms and floor_ms are the
# medians and x_floor their ratio (BENCH-NOTIFY-ROUNDS has every run): on
# a shared machine one pair moves by 10 to 20 %.
#
# With --shared-buffers SIZE the cluster runs with that shared_buffers
# (PostgreSQL's default is 128MB; a production server is given a quarter
# of its memory, which holds a big reported's indexes).
#
# With --vacuumed-outbox it also times the full run once more after a
# VACUUM of the empty notification_outbox (the state autovacuum leaves
# after a run in production): x_vacuumed against the full run.
#
# With -f it also times, from the same filled state, the run the service
# front end makes (ccx-notification-service -instant-reports, configured
# by upstream's variables, content over HTTP) against the same pipeline
# run bare with the same arguments: what the front end costs.  With
# --fe-rounds R (default 1) the pair runs R times, the order alternating,
# and x_bare is the median of the R ratios, with their quartiles.
set -u
BENCH_NAME=bench-notify
. "$(dirname "$0")/bench-lib.sh"
SIZES="10000 100000"
FRONTEND=
FE_ROUNDS=1
NOUP=
HISTORY=0
HREPEAT=3
SHARDS=0
VACOUT=
SHBUF=
ROUNDS=1
bench_opt() {
	case $1 in
	-f) FRONTEND=1; return 1 ;;
	--no-upstream) NOUP=1; return 1 ;;
	--vacuumed-outbox) VACOUT=1; return 1 ;;
	-n) SIZES=$(bench_list "$2") ;;
	--fe-rounds) FE_ROUNDS=$2 ;;
	--rounds) ROUNDS=$2 ;;
	--history) HISTORY=$2 ;;
	--history-rounds) HREPEAT=$2 ;;
	--shards) SHARDS=$2 ;;
	--shared-buffers) SHBUF=$2 ;;
	*) return 0 ;;
	esac
	return 2
}
bench_args "$@"
# shellcheck disable=SC2086
bench_numbers $SIZES $HISTORY $HREPEAT $SHARDS $FE_ROUNDS $ROUNDS
[ "$FE_ROUNDS" -ge 1 ] || die "--fe-rounds needs at least 1"
[ "$ROUNDS" -ge 1 ] || die "--rounds needs at least 1"
[ "$SHARDS" -le 64 ] || die "--shards: at most 64"
echo "# notification-path benchmark: N = $SIZES; $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
T_START=$(date +%s)

bench_scratch
bench_atexit() { [ -n "${STUB_PID:-}" ] && kill "$STUB_PID" 2>/dev/null; }
bench_pg_up postgres
mock_up platform.notifications.ingress:1
db-writer migrate latest 2>/dev/null || die "cannot migrate"
# No autovacuum of the outbox: see "An empty outbox's statistics" in
# doc/benchmarks.md (each run starts with the outbox's statistics of a
# table never vacuumed, unless --vacuumed-outbox).
NOAV="ALTER TABLE notification_outbox SET (autovacuum_enabled = false)"
psql -qX -c "$NOAV" || die "cannot alter notification_outbox"
# Production durability: every commit is flushed (the tests run without).
psql -qX -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
if [ -n "$SHBUF" ]; then
	echo "ALTER SYSTEM SET shared_buffers = :'v'" | psql -qX -v ON_ERROR_STOP=1 -v v="$SHBUF" -f - >/dev/null &&
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 restart >/dev/null ||
		die "cannot set shared_buffers to $SHBUF"
fi
echo "# shared_buffers $(psql -qXAt -c 'SHOW shared_buffers')" >&2
CONTENT=file://$TESTS/demo/content.json

now_ms() { date +%s%3N; }

# fill N: N clusters, one report each (about 3 KB); the even ones have a
# sent row one day old carrying the same report.  The outbox is empty
# after every run; it is truncated (and never autovacuumed) so that its
# statistics are those of a table never vacuumed (see "An empty outbox's
# statistics" in doc/benchmarks.md).
fill() {
	psql -qX -v ON_ERROR_STOP=1 -v n="$1" -f "$HERE/fill-notify.sql" >/dev/null
}

# history N ROWS: ROWS older rows in reported for the N clusters of fill,
# as 8 days of runs would leave them: row j is cluster 1 + j % N, target
# 1 + (j / N) % 2, run j / 2N of R = ceil(ROWS / 2N) runs spread evenly
# from 8 days ago to a little over a day ago (all older than the one-day
# baselines of fill and the run's own rows, so the baselines stay the
# newest sent rows); state 2 (same) mostly, 1 (sent) one in 20, 3 (error,
# with an error_log) one in 100.  The report is short (one hit, 0.2 KB)
# where a real one is 3 KB: 5M full reports would be 15 GB before
# compression.  The baselines' being the newest is checked.  The foreign
# keys are not checked for these rows (session_replication_role): they hold
# (notification type 1, states 1 to 3, targets 1 and 2) and the checks
# would be half the fill time.
history() {
	psql -qX -v ON_ERROR_STOP=1 -v n="$1" -v rows="$2" >/dev/null <<-\SQL
	SET session_replication_role = replica;
	INSERT INTO reported (org_id, account_number, cluster, notification_type, state,
	                      report, updated_at, notified_at, error_log, event_type_id)
	SELECT 1 + i % 5000, 100000 + i % 5000,
	       substr(md5(i::text), 1, 8) || '-' || substr(md5(i::text), 9, 4) || '-4' ||
	       substr(md5(i::text), 14, 3) || '-8' || substr(md5(i::text), 18, 3) || '-' ||
	       substr(md5(i::text), 21, 12),
	       1, st,
	       '{"reports":[{"rule_id":"demo_etcd_backup|ETCD_NO_BACKUP","component":"ccx_rules_ocp.external.rules.demo_etcd_backup.report","type":"rule","key":"ETCD_NO_BACKUP","details":{"type":"rule","error_key":"ETCD_NO_BACKUP"}}]}',
	       at - interval '10 minutes', at,
	       CASE st WHEN 3 THEN 'unable to send the message: Local: Message timed out' ELSE '' END,
	       t
	  FROM (SELECT j, 1 + j % :n AS i, 1 + (j / :n) % 2 AS t,
	               CASE WHEN j % 100 = 7 THEN 3 WHEN j % 20 = 3 THEN 1 ELSE 2 END AS st,
	               now() AT TIME ZONE 'UTC' - interval '8 days'
	               + (2 * (j / (2 * :n)) + (j / :n) % 2)
	                 * ((interval '7 days' - interval '1 hour') / (2 * ceil(:rows / (2.0 * :n))))
	               + (j % :n % 600000) * interval '1 ms' AS at
	          FROM generate_series(0, :rows - 1) j) h;
	RESET session_replication_role;
	VACUUM ANALYZE reported;
	CHECKPOINT;
	SQL
	[ $? = 0 ] || return 1
	# The baselines: N/2 sent rows one day old, each its cluster's newest.
	b=$(psql -qXAt -c "SELECT count(*) FILTER (WHERE notified_at = b.at), count(*) FILTER (WHERE notified_at > b.at) FROM reported r, (SELECT max(notified_at) AS at FROM reported WHERE error_log = '' AND state = 1 AND notified_at > now() AT TIME ZONE 'UTC' - interval '25 hours') b") || return 1
	[ "$b" = "$(($1 / 2))|0" ] || { echo "bench-notify: baselines and newer rows: $b, expected $(($1 / 2))|0" >&2; return 1; }
}

# wal_lsn: where the WAL is now; wal_kb LSN: the WAL written since LSN (kB).
wal_lsn() { psql -qXAt -c "SELECT pg_current_wal_insert_lsn()"; }
wal_kb() { psql -qXAt -c "SELECT (pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$1') / 1024)::bigint"; }

# pipe TAG [DIFFER-ARGS...]: one pipeline, its stages measured into
# $DIR/TAGd.res, TAGe.res, TAGw.res, each stage's end time (ms) into
# TAGd.end, TAGe.end.
pipe() {
	_t=$1
	shift
	{ helper bench-run "$DIR/${_t}d.pid" "$DIR/${_t}d.res" differ -T notifications-backend -c "$CONTENT" "$@" 2>"$DIR/${_t}d.err"
	  now_ms >"$DIR/${_t}d.end"; } |
		{ helper bench-run "$DIR/${_t}e.pid" "$DIR/${_t}e.res" kafka-emitter -b "$BROKERS" -t platform.notifications.ingress \
			-X linger.ms=20 -X batch.num.messages=10000 2>"$DIR/${_t}e.err"
		  now_ms >"$DIR/${_t}e.end"; } |
		helper bench-run "$DIR/${_t}w.pid" "$DIR/${_t}w.res" db-writer -r -b 5000 2>"$DIR/${_t}w.err"
}

# pipe_ok TAG: every stage of the pipeline TAG exited 0.
pipe_ok() {
	for s in d e w; do
		[ "$(status "$DIR/$1$s.res")" = 0 ] || { cat "$DIR/$1$s.err" >&2; die "stage $1$s failed"; }
	done
}

# check_run N: the run left N/2 sent and N/2 same rows.
check_run() {
	rows=$(psql -qXAt -c "SELECT count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2) FROM reported WHERE notified_at > now() AT TIME ZONE 'UTC' - interval '1 hour'")
	[ "$rows" = "$(($1 / 2))|$(($1 / 2))" ] || die "$2: expected $(($1 / 2)) sent and $(($1 / 2)) same rows, got $rows"
}

# reset: the state of fill again after a run (the run's rows deleted and
# vacuumed, the outbox truncated as fill does, a checkpoint), in the
# database of PGDATABASE.  (Not VACUUM notification_outbox: see "An empty
# outbox's statistics" in doc/benchmarks.md.)
reset() {
	psql -qX -v ON_ERROR_STOP=1 >/dev/null <<-\SQL
	DELETE FROM reported WHERE notified_at > now() AT TIME ZONE 'UTC' - interval '1 hour';
	VACUUM ANALYZE reported; TRUNCATE notification_outbox;
	CHECKPOINT;
	SQL
}

# median V...: the median of the numbers (the lower middle one for an even
# count).
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

# history_pair N ROWS R: database postgres filled as fill does, database
# hist the same plus ROWS rows of history; then R rounds of one run in
# each, in turns (so that the machine's other load falls on both alike),
# and the bare candidate query in each.  x_history: the median run with
# history / the median run without.
history_pair() {
	psql -qX -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS hist" -c "CREATE DATABASE hist" >/dev/null || die "cannot create hist"
	fill "$1" >/dev/null || die "fill failed"
	export PGDATABASE=hist
	db-writer migrate latest 2>/dev/null || die "cannot migrate hist"
	psql -qX -c "$NOAV" || die "cannot alter notification_outbox"
	fill "$1" >/dev/null || die "fill failed"
	th=$(now_ms)
	history "$1" "$2" || die "history fill failed"
	fill_ms=$(($(now_ms) - th))
	export PGDATABASE=postgres
	r=0 a_ms='' b_ms='' a_wal='' b_wal='' a_q='' b_q=''
	while [ "$r" -lt "$3" ]; do
		r=$((r + 1))
		for db in postgres hist; do
			export PGDATABASE=$db
			reset || die "reset failed"
			t0=$(now_ms)
			psql -qXAt -o /dev/null -c "$QUERY" || die "query failed"
			q=$(($(now_ms) - t0))
			lsn=$(wal_lsn)
			t0=$(now_ms)
			pipe h.
			ms=$(($(now_ms) - t0))
			wal=$(wal_kb "$lsn")
			pipe_ok h.
			check_run "$1" "history ($db)"
			# a short history report differ could not read as a baseline
			! grep -q 'baseline' "$DIR/h.d.err" || { grep 'baseline' "$DIR/h.d.err" | head -n 3 >&2; die "history: differ warned about baselines"; }
			if [ "$db" = postgres ]; then
				a_ms="$a_ms $ms" a_wal="$a_wal $wal" a_q="$a_q $q"
			else
				b_ms="$b_ms $ms" b_wal="$b_wal $wal" b_q="$b_q $q"
				hd_end=$(($(cat "$DIR/h.d.end") - t0))
			fi
		done
	done
	export PGDATABASE=postgres
	psql -qX -c "DROP DATABASE hist" >/dev/null
	# shellcheck disable=SC2086
	a=$(median $a_ms) b=$(median $b_ms) aq=$(median $a_q) bq=$(median $b_q)
	# shellcheck disable=SC2086
	echo "BENCH-NOTIFY-HISTORY n=$1 history_rows=$2 rounds=$3 full_ms=$a history_ms=$b x_history=$(awk "BEGIN { printf \"%.3f\", $b / $a }") full_runs_ms=$(echo $a_ms | tr ' ' /) history_runs_ms=$(echo $b_ms | tr ' ' /) query_ms=$aq history_query_ms=$bq x_history_query=$(awk "BEGIN { printf \"%.3f\", $bq / $aq }") wal_kb=$(median $a_wal) history_wal_kb=$(median $b_wal) fill_ms=$fill_ms differ_end_ms=$hd_end differ_cpu_ms=$(cpu "$DIR/h.d.res") emitter_cpu_ms=$(cpu "$DIR/h.e.res") dbwriter_cpu_ms=$(cpu "$DIR/h.w.res") rss_differ_kb=$(rss "$DIR/h.d.res") rss_dbwriter_kb=$(rss "$DIR/h.w.res")" >&2
}

# shards N K: K pipelines side by side, differ --shard k/K --wait in each.
shards() {
	t0=$(now_ms)
	k=0
	spids=
	while [ "$k" -lt "$2" ]; do
		pipe "s$k." --shard "$k/$2" --wait &
		spids="$spids $!"
		k=$((k + 1))
	done
	for p in $spids; do wait "$p"; done
	shards_ms=$(($(now_ms) - t0))
	k=0 dend='' cpu_d=0 cpu_e=0 cpu_w=0 waited=0
	while [ "$k" -lt "$2" ]; do
		pipe_ok "s$k."
		dend=${dend:+$dend/}$(($(cat "$DIR/s$k.d.end") - t0))
		cpu_d=$((cpu_d + $(cpu "$DIR/s$k.d.res")))
		cpu_e=$((cpu_e + $(cpu "$DIR/s$k.e.res")))
		cpu_w=$((cpu_w + $(cpu "$DIR/s$k.w.res")))
		grep -q 'waiting for it to finish' "$DIR/s$k.d.err" && waited=$((waited + 1))
		k=$((k + 1))
	done
	check_run "$1" "shards"
}

QUERY="SELECT l.org_id, l.account_number, l.cluster, l.kafka_offset, l.updated_at, n.report, b.report, b.notified_at FROM (SELECT DISTINCT ON (cluster) org_id, account_number, cluster, kafka_offset, updated_at FROM new_reports ORDER BY cluster, updated_at DESC) l JOIN new_reports n ON n.org_id = l.org_id AND n.cluster = l.cluster AND n.updated_at = l.updated_at LEFT JOIN LATERAL (SELECT r.report, r.notified_at FROM reported r WHERE r.org_id = l.org_id AND r.cluster = l.cluster AND r.event_type_id = 1 AND r.state = 1 AND r.notified_at > NOW() - '1 week'::interval ORDER BY r.notified_at DESC LIMIT 1) b ON true ORDER BY l.cluster"

# The floor: one INSERT ... SELECT over the candidate query, each cluster's
# row with its report, sent when it has no baseline, same when it has.
FLOOR="INSERT INTO reported (org_id, account_number, cluster, notification_type, state, report, updated_at, notified_at, error_log, event_type_id) SELECT q.org_id, q.account_number, q.cluster, 1, CASE WHEN q.base IS NULL THEN 1 ELSE 2 END, q.report, q.updated_at, now() AT TIME ZONE 'UTC', '', 1 FROM (SELECT l.org_id, l.account_number, l.cluster, l.updated_at, n.report, b.report AS base FROM (SELECT DISTINCT ON (cluster) org_id, account_number, cluster, kafka_offset, updated_at FROM new_reports ORDER BY cluster, updated_at DESC) l JOIN new_reports n ON n.org_id = l.org_id AND n.cluster = l.cluster AND n.updated_at = l.updated_at LEFT JOIN LATERAL (SELECT r.report, r.notified_at FROM reported r WHERE r.org_id = l.org_id AND r.cluster = l.cluster AND r.event_type_id = 1 AND r.state = 1 AND r.notified_at > NOW() - '1 week'::interval ORDER BY r.notified_at DESC LIMIT 1) b ON true) q"

# floor_ms: the floor once (rolled back); prints its milliseconds.
floor_ms() {
	_t0=$(now_ms)
	psql -qXAt -o /dev/null -v ON_ERROR_STOP=1 -c "BEGIN" -c "$FLOOR" -c "ROLLBACK" || die "floor failed"
	echo $(($(now_ms) - _t0))
}
rss() { sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$1"; }
cpu() { sed -n 's/.*user_ms=\([0-9]*\) sys_ms=\([0-9]*\).*/\1 \2/p' "$1" | awk '{ print $1 + $2 }'; }
status() { sed -n 's/.*status=\([0-9]*\).*/\1/p' "$1"; }

# fe_bare N / fe_front N: one run of N clusters bare / through
# ccx-notification-service, from a fresh fill; prints its milliseconds.
fe_bare() {
	fill "$1" >/dev/null || die "fill failed"
	t0=$(now_ms)
	differ -T notifications-backend -c "$cs/api/v1/content" --content-timeout 10 \
		--total-risk-threshold 2 --likelihood-threshold 0 --impact-threshold 0 \
		--severity-threshold 0 --cooldown "1 week" --no-tag-filter 2>"$DIR/b.err" |
		kafka-emitter -b "$BROKERS" -t platform.notifications.ingress 2>>"$DIR/b.err" |
		db-writer -r -b 5000 2>>"$DIR/b.err" || die "bare run failed"
	echo $(($(now_ms) - t0))
}
fe_front() {
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
		ccx-notification-service -ignore-disabled-rules -instant-reports >"$DIR/f.out" 2>&1 ||
		{ tail -5 "$DIR/f.out" >&2; die "front-end run failed"; }
	_ms=$(($(now_ms) - t0))
	rows=$(psql -qXAt -c "SELECT count(*) FILTER (WHERE state = 1 AND notified_at > now() AT TIME ZONE 'UTC' - interval '1 hour') FROM reported")
	[ "$rows" = "$(($1 / 2))" ] || die "front end: expected $(($1 / 2)) sent rows, got $rows"
	echo "$_ms"
}

# quartiles V...: "Q1 MEDIAN Q3" of the values (nearest rank).
quartiles() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		q1 = int((NR + 3) / 4); m = int((NR + 1) / 2); q3 = int((3 * NR + 3) / 4)
		print v[q1], v[m], v[q3] }'
}

# frontend N: the same run bare and through ccx-notification-service,
# FE_ROUNDS times, the order alternating from round to round; the medians
# (and the ratio's quartiles: one pair's ratio moves 10 to 20 % on a
# shared machine).
frontend() {
	if [ -z "${STUB_PID:-}" ]; then
		python3 "$TESTS/stubs/httpstub.py" content --file "$TESTS/demo/content.json" \
			--port-file "$DIR/cs.port" --watch-pid $$ </dev/null >/dev/null 2>&1 &
		STUB_PID=$!
		i=0; while [ ! -s "$DIR/cs.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	cs=http://127.0.0.1:$(cat "$DIR/cs.port")
	_bs= _fs= _xs= _r=0
	while [ "$_r" -lt "$FE_ROUNDS" ]; do
		if [ $((_r % 2)) = 0 ]; then
			_b=$(fe_bare "$1") || exit 1
			_f=$(fe_front "$1") || exit 1
		else
			_f=$(fe_front "$1") || exit 1
			_b=$(fe_bare "$1") || exit 1
		fi
		_bs="$_bs $_b" _fs="$_fs $_f"
		_xs="$_xs $(awk "BEGIN { printf \"%.3f\", $_f / $_b }")"
		_r=$((_r + 1))
	done
	# shellcheck disable=SC2086
	set -- "$1" "$(quartiles $_bs)" "$(quartiles $_fs)" "$(quartiles $_xs)"
	echo "BENCH-FRONTEND n=$1 rounds=$FE_ROUNDS bare_ms=$(echo "$2" | cut -d' ' -f2) frontend_ms=$(echo "$3" | cut -d' ' -f2) x_bare=$(echo "$4" | cut -d' ' -f2) x_bare_q1=$(echo "$4" | cut -d' ' -f1) x_bare_q3=$(echo "$4" | cut -d' ' -f3)"
}

printf '%-8s %10s %10s %10s %10s %8s %8s %8s %8s %8s %8s\n' N full_ms floor_ms query_ms upstrm_ms x_floor x_upstrm x_query rss_dif rss_emi rss_dbw
for n in $SIZES; do
	fill "$n" || die "fill failed"
	# full run
	t0=$(now_ms)
	pipe ""
	t1=$(now_ms)
	full=$((t1 - t0))
	# when each stage ended, and its CPU time
	echo "BENCH-NOTIFY-STAGES n=$n differ_end_ms=$(($(cat "$DIR/d.end") - t0)) emitter_end_ms=$(($(cat "$DIR/e.end") - t0)) dbwriter_end_ms=$full differ_cpu_ms=$(cpu "$DIR/d.res") emitter_cpu_ms=$(cpu "$DIR/e.res") dbwriter_cpu_ms=$(cpu "$DIR/w.res")" >&2
	pipe_ok ""
	check_run "$n" "full"
	# the same run once VACUUM has seen the outbox empty
	if [ -n "$VACOUT" ]; then
		fill "$n" >/dev/null || die "fill failed"
		psql -qX -c "VACUUM notification_outbox" || die "vacuum failed"
		t0=$(now_ms)
		pipe v.
		vac=$(($(now_ms) - t0))
		pipe_ok v.
		check_run "$n" "vacuumed outbox"
		echo "BENCH-NOTIFY-OUTBOX n=$n full_ms=$full vacuumed_ms=$vac x_vacuumed=$(awk "BEGIN { printf \"%.3f\", $vac / $full }") differ_end_ms=$(($(cat "$DIR/v.d.end") - t0)) differ_cpu_ms=$(cpu "$DIR/v.d.res")" >&2
	fi
	# K shards side by side, from the same state
	if [ "$SHARDS" -gt 1 ]; then
		fill "$n" >/dev/null || die "fill failed"
		shards "$n" "$SHARDS"
		echo "BENCH-NOTIFY-SHARDS n=$n shards=$SHARDS one_ms=$full shards_ms=$shards_ms speedup=$(awk "BEGIN { printf \"%.3f\", $full / $shards_ms }") differ_end_ms=$dend lock_waits=$waited differ_cpu_ms=$cpu_d emitter_cpu_ms=$cpu_e dbwriter_cpu_ms=$cpu_w" >&2
	fi
	# the same run with ROWS rows of older history in reported
	[ "$HISTORY" -gt 0 ] && history_pair "$n" "$HISTORY" "$HREPEAT"
	# bare query: after the run the baseline is newer, so reset it
	fill "$n" >/dev/null || die "fill failed"
	t0=$(now_ms)
	psql -qXAt -o /dev/null -c "$QUERY" || die "query failed"
	t1=$(now_ms)
	query=$((t1 - t0))
	# the floor: the same candidates read and the same reported rows
	# written by the server alone, in one statement (rolled back)
	floor=$(floor_ms) || exit 1
	# more rounds of the pair, in turns, each from a fresh fill
	full_runs=$full floor_runs=$floor r=1
	while [ "$r" -lt "$ROUNDS" ]; do
		r=$((r + 1))
		fill "$n" >/dev/null || die "fill failed"
		t0=$(now_ms)
		pipe r.
		full_runs="$full_runs $(($(now_ms) - t0))"
		pipe_ok r.
		check_run "$n" "full, round $r"
		fill "$n" >/dev/null || die "fill failed"
		f=$(floor_ms) || exit 1
		floor_runs="$floor_runs $f"
	done
	if [ "$ROUNDS" -gt 1 ]; then
		# shellcheck disable=SC2086
		full=$(median $full_runs) floor=$(median $floor_runs)
		echo "BENCH-NOTIFY-ROUNDS n=$n rounds=$ROUNDS full_ms=$full floor_ms=$floor x_floor=$(awk "BEGIN { printf \"%.3f\", $full / $floor }") full_runs_ms=$(echo $full_runs | tr ' ' /) floor_runs_ms=$(echo $floor_runs | tr ' ' /)" >&2
	fi
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
	echo "BENCH-NOTIFY n=$n full_ms=$full floor_ms=$floor x_floor=$(awk "BEGIN { printf \"%.3f\", $full / $floor }") query_ms=$query upstream_ms=$upstream rss_differ_kb=$(rss "$DIR/d.res") rss_emitter_kb=$(rss "$DIR/e.res") rss_dbwriter_kb=$(rss "$DIR/w.res")" | tee -a "$DIR/notify.lines" >&2
done
# Peak RSS of each stage, the smallest N against the largest.
[ -s "$DIR/notify.lines" ] && awk '
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	n = v["n"] + 0
	for (j = 1; j <= 3; j++) {
		f = j == 1 ? "rss_differ_kb" : j == 2 ? "rss_emitter_kb" : "rss_dbwriter_kb"
		if (!(f in lon) || n < lon[f]) { lon[f] = n; lo[f] = v[f] }
		if (!(f in hin) || n > hin[f]) { hin[f] = n; hi[f] = v[f] }
	}
}
END {
	for (f in lo) {
		if (lon[f] == hin[f]) continue
		verdict = hi[f] - lo[f] > 8192 && hi[f] > 1.25 * lo[f] ? "GROWS with N" : "flat"
		printf "RSS %s: %.1f MB at %d, %.1f MB at %d: %s\n", f, lo[f] / 1024, lon[f],
		    hi[f] / 1024, hin[f], verdict
	}
}' "$DIR/notify.lines" | sort >&2
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - T_START )) s" >&2
