#!/bin/sh
# chaos.sh: the chaos suite (doc/reliability.md, "Chaos").
#
#   make check-chaos [CHAOS_ARGS="..."]        (sets CCX_BUILD)
#   CCX_BUILD=build sh tests/chaos/chaos.sh [options]
#
# Options:
#   --short          the short version that t7600 runs under make check:
#                    5000 records and 5 kills, shorter outages, fewer
#                    clusters, faults with counts; the assertions are the
#                    same, except that run times are measured, not asserted
#   -n N             records of the kill scenario (default 100000)
#   --kills K        SIGKILLs of the kill scenario (default 20)
#   -m M             records of the scale, pg and broker scenarios
#                    (default 30000)
#   --scale-kills K  SIGKILLs of the scale scenario (default 8)
#   --pg-down S      seconds PostgreSQL stays down (default 20)
#   --broker-down S  seconds the broker stays down (default 30)
#   --clusters C     clusters of the notification scenario (default 60)
#   --once-clusters O  clusters of each round of the once scenario
#                    (default 3000)
#   --seed S         seed of the records, the kill points and the victims
#   --only LIST      scenarios to run, comma-separated, of
#                    kill,scale,pg,broker,notify,once (the default: all)
#   --keep           keep the scratch directory (printed at the end)
#   --results FILE   also write the final table to FILE, one scenario a
#                    line: NAME ok|FAIL records=.. faults=.. kills=..
#                    restarts=.. lost=.. duplicated=.. elapsed_s=..
#                    [notes: what failed]
#
# The scenarios (each in a database and a mock broker of its own, in one
# throwaway PostgreSQL cluster):
#
#   kill     the results path under the supervisor (as in demo.sh), fed by
#            a paced producer (chaos.py produce), while chaos.py killer
#            SIGKILLs kafka-reader or db-writer at K random moments
#   scale    the same with two supervisors, two members of one consumer
#            group on 4 partitions: each SIGKILL moves partitions between
#            them (operations.md, "Scaling out")
#   pg       PostgreSQL stopped (pg_stop, -m fast) for --pg-down seconds
#            mid-ingest; a notification run during the outage must end
#   broker   the broker down for --broker-down seconds mid-ingest, then
#            injected retriable errors on Fetch, OffsetCommit and Heartbeat
#   notify   both notification targets (supervisor -1, as in demo.sh)
#            while their downstream fails: broker down, broker slower than
#            message.timeout.ms, Produce errors, Service Log 500, 401
#            storms, never answering, token endpoint failing; then healed
#            runs and a quiet one
#   once     duplicates and overlaps on target 1: every reported insert
#            refused for a run (a trigger), then repaired; three runs
#            started together (two supervisors and a shell pipeline); a
#            read-only database; each on fresh clusters; then healed and
#            quiet runs: every cluster must have exactly one message
#
# Each scenario prints its figures and a verdict; at the end a table.
# Exit status: 0 when every scenario lost and duplicated nothing and
# completed; 1 otherwise.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$HERE")
CCX_BUILD=${CCX_BUILD:-$TESTS/../build}
PATH=$CCX_BUILD/bin:$CCX_BUILD/tests:$PATH
LC_ALL=C TZ=UTC
export PATH LC_ALL TZ CCX_BUILD
CHAOS_PY=$HERE/chaos.py

die() { echo "chaos: $*" >&2; exit 1; }
for f in kafka-reader db-writer differ kafka-emitter servicelog-poster supervisor; do
	[ -x "$CCX_BUILD/bin/$f" ] || die "$CCX_BUILD/bin/$f is missing: make"
done
for f in helper mockbroker; do
	[ -x "$CCX_BUILD/tests/$f" ] || die "$CCX_BUILD/tests/$f is missing: make tests-build"
done
for c in python3 psql kcat curl pgrep; do
	command -v $c >/dev/null || die "$c is needed"
done

SHORT=
N=100000 KILLS=20 M=30000 SKILLS=8 PG_DOWN=20 BROKER_DOWN=30 CLUSTERS=60 SEED=1
ONCE=3000
ONLY=kill,scale,pg,broker,notify,once
KEEP= RESULTS_FILE=
while [ $# -gt 0 ]; do
	case $1 in
	--short) SHORT=1 N=5000 KILLS=5 M=3000 SKILLS=3 PG_DOWN=6 BROKER_DOWN=8 CLUSTERS=16 ONCE=500 ;;
	--once-clusters) ONCE=$2; shift ;;
	-n) N=$2; shift ;;
	--kills) KILLS=$2; shift ;;
	--scale-kills) SKILLS=$2; shift ;;
	-m) M=$2; shift ;;
	--pg-down) PG_DOWN=$2; shift ;;
	--broker-down) BROKER_DOWN=$2; shift ;;
	--clusters) CLUSTERS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--keep) KEEP=1 ;;
	--results) RESULTS_FILE=$2; shift ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see $0 --help)" ;;
	esac
	shift
done
for v in $N $KILLS $M $SKILLS $PG_DOWN $BROKER_DOWN $CLUSTERS $SEED $ONCE; do
	case $v in ''|*[!0-9]*) die "not a number: $v" ;; esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccx-chaos.XXXXXX") || die "mktemp failed"
chmod 755 "$WORK"
TABLE=$WORK/table
: >"$TABLE"
FAILED=0

# --- test-lib.sh's functions (test_wait_for, test_atexit, ...), no tests ---

TRASH_DIRECTORY=$WORK
TEST_DIRECTORY=$TESTS
TEST_LIB_FUNCTIONS_ONLY=1
. "$TESTS"/test-lib.sh
test_use pg kafka http

SUP_PID= SUP2_PID= PROD_PID= KILLER_PID= READER_PID=
cleanup_scenario() {
	if [ -n "$SUP2_PID" ]; then
		kill -TERM "$SUP2_PID" 2>/dev/null
		wait "$SUP2_PID"
		SUP2_PID=
	fi
	for _p in $PROD_PID $KILLER_PID $READER_PID; do kill "$_p" 2>/dev/null; done
	PROD_PID= KILLER_PID= READER_PID=
	if [ -n "$SUP_PID" ]; then
		kill -TERM "$SUP_PID" 2>/dev/null
		_i=0
		while kill -0 "$SUP_PID" 2>/dev/null && [ $_i -lt 900 ]; do
			sleep 0.1; _i=$((_i + 1))
		done
		kill -9 "$SUP_PID" 2>/dev/null
		SUP_PID=
	fi
	[ -n "$test_cleanup_at_exit" ] && (eval "$test_cleanup_at_exit") >/dev/null 2>&1
	test_cleanup_at_exit=
}
cleanup_all() {
	cleanup_scenario
	[ -d "$WORK/pg/data" ] && pg_as_owner "$(pg_bindir)/pg_ctl" -D "$WORK/pg/data" \
		-m immediate -w stop >/dev/null 2>&1
	if [ -n "$KEEP" ] || [ "$FAILED" != 0 ]; then
		echo "# scratch directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

now() { date +%s; }
# jget FILE KEY: a top-level member of the JSON object in FILE.
jget() {
	python3 -c 'import json,sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception:
    v = None
print("?" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$1" "$2"
}
q() { psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }
rows() { q "SELECT (SELECT count(*) FROM new_reports) + (SELECT count(*) FROM dead_letters)" 2>/dev/null || echo 0; }
rows_at_least() { test "$(rows)" -ge "$1"; }
step() { printf '  %s %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- PostgreSQL: one cluster for the whole run ---------------------------

PG_OWN_DIR=$WORK/pg
pg_init_retry "$PG_OWN_DIR" || die "PostgreSQL did not start"
PG_OWN_PORT=$PG_PORT
PGHOST=$PG_OWN_DIR PGPORT=$PG_OWN_PORT PGUSER=postgres
PGOPTIONS="-c client_min_messages=warning"
export PGHOST PGPORT PGUSER PGOPTIONS

python3 "$CHAOS_PY" selftest --seed "$SEED" --count $(( N > M ? N : M )) >"$WORK/selftest.json" ||
	die "the generator and record_check disagree: $(cat "$WORK/selftest.json")"

# begin NAME MOCKARGS...: the scenario's directory, database and mock broker.
begin() {
	SC=$1; shift
	D=$WORK/$SC
	mkdir -p "$D" && chmod 755 "$D"
	TRASH_DIRECTORY=$D
	PGDATABASE=chaos_$SC
	export PGDATABASE
	psql -qX -d postgres -c "DROP DATABASE IF EXISTS $PGDATABASE" -c "CREATE DATABASE $PGDATABASE" >/dev/null ||
		die "cannot create database $PGDATABASE"
	db-writer migrate latest >"$D/migrate.log" 2>&1 || die "migrate failed: $(cat "$D/migrate.log")"
	mock_start "$@" || die "the mock broker did not start"
	T0=$(now)
	NOTES= FAULTS= PARTS=2
	printf '\n== %s\n' "$SC"
}

# The results pipeline of demo.sh (production's, with the mock's group
# options); offsets committed every second so that the paced producer can
# keep the broker's small log busy.
GROUP_OPTS="-X auto.offset.reset=earliest -X session.timeout.ms=3000 -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=1000"
start_results() {	# [N]: the Nth supervisor (SUP_PID, SUP2_PID)
	_n=${1:-}
	cat >"$D/results.conf" <<-CONF
	pipeline results
		run kafka-reader -b \$BROKERS -G ccx_notification_app -t ccx.ocp.results $GROUP_OPTS -a @ack
		run db-writer -n @ready
		ack
	CONF
	supervisor --status-file "$D/status$_n" "$D/results.conf" 2>>"$D/supervisor$_n.log" &
	eval "SUP${_n}_PID=\$!"
	test_wait_for 60 grep -q '^results  *running' "$D/status$_n" ||
		die "the results pipeline did not start: $(tail -5 "$D/supervisor$_n.log")"
}

# stop_results [N]: SIGTERM drains; the exit status goes to SUP_STATUS.
stop_results() {
	eval "_pid=\$SUP${1:-}_PID"
	kill -TERM "$_pid"
	_end=$(( $(now) + 120 ))
	while kill -0 "$_pid" 2>/dev/null && [ "$(now)" -lt "$_end" ]; do sleep 0.2; done
	if kill -0 "$_pid" 2>/dev/null; then
		NOTES="$NOTES supervisor${1:-}-hung-on-SIGTERM"
		kill -9 "$_pid"
	fi
	wait "$_pid"
	SUP_STATUS=$?
	eval "SUP${1:-}_PID="
}

restarts() { cat "$D"/status* 2>/dev/null | awk '$1 == "results" { n += $4 } END { print n + 0 }'; }

# produce COUNT: the paced producer, in the background (PROD_PID).
produce() {
	python3 "$CHAOS_PY" produce --brokers "$BROKERS" --partitions "$PARTS" --seed "$SEED" \
		--count "$1" --manifest "$D/manifest" --log "$D/driver.log" \
		--stall "${STALL:-600}" --deadline "${DEADLINE:-5400}" --watch-pid $$ >"$D/produce.json" &
	PROD_PID=$!
}

# wait_rows N SECONDS: until N rows and dead letters are in (or the producer ended).
wait_rows() {
	_end=$(( $(now) + $2 ))
	until rows_at_least "$1"; do
		[ "$(now)" -ge "$_end" ] && { NOTES="$NOTES no-progress-to-$1-rows"; return 1; }
		kill -0 "$PROD_PID" 2>/dev/null || return 1
		sleep 0.2
	done
}

# finish: wait for the producer, drain, verify, print the figures.
finish() {
	if [ -n "$PROD_PID" ]; then
		wait "$PROD_PID"
		echo $? >"$D/produce.rc"
		PROD_PID=
	fi
	prod_rc=$(cat "$D/produce.rc")
	[ $prod_rc = 0 ] || NOTES="$NOTES producer:$(jget "$D/produce.json" status | tr ' ' _)"
	step "producer: $(cat "$D/produce.json")"
	stop_results
	[ "$SUP_STATUS" = 0 ] || NOTES="$NOTES supervisor-exit-$SUP_STATUS"
	if [ -n "$SUP2_PID" ]; then
		stop_results 2
		[ "$SUP_STATUS" = 0 ] || NOTES="$NOTES supervisor2-exit-$SUP_STATUS"
	fi
	python3 "$CHAOS_PY" verify --brokers "$BROKERS" --partitions "$PARTS" --seed "$SEED" \
		--manifest "$D/manifest" >"$D/verify.json"
	ver_rc=$?
	step "verify: $(cat "$D/verify.json")"
	lost=$(jget "$D/verify.json" lost) dup=$(jget "$D/verify.json" duplicated)
	[ $ver_rc = 0 ] || NOTES="$NOTES verify-failed"
	record_result "$(jget "$D/verify.json" records)" "${KILLED:-0}" "$(restarts)" "$lost" "$dup"
}

# record_result RECORDS KILLS RESTARTS LOST DUP: one table line.
record_result() {
	el=$(( $(now) - T0 ))
	verdict=ok
	[ -n "$NOTES" ] && verdict=FAIL
	[ "$4" = 0 ] && [ "$5" = 0 ] || verdict=FAIL
	[ $verdict = ok ] || FAILED=1
	line=$(printf '%-7s %-4s records=%s faults=%s kills=%s restarts=%s lost=%s duplicated=%s elapsed_s=%s' \
		"$SC" "$verdict" "$1" "${FAULTS:--}" "$2" "$3" "$4" "$5" "$el")
	[ -n "$NOTES" ] && line="$line notes:$NOTES"
	echo "$line" >>"$TABLE"
	echo "  => $line"
	mock_stop >/dev/null 2>&1
	cleanup_scenario
}

# --- scenario kill -------------------------------------------------------

scenario_kill() {
	begin kill -t ccx.ocp.results:2
	start_results
	step "ingesting $N records (about 1 % malformed) while $KILLS SIGKILLs hit kafka-reader or db-writer"
	produce "$N"
	python3 "$CHAOS_PY" killer --sup-pid "$SUP_PID" --kills "$KILLS" --count "$N" \
		--seed "$SEED" --log "$D/driver.log" --watch-pid $$ >"$D/killer.json" &
	KILLER_PID=$!
	wait "$KILLER_PID" || NOTES="$NOTES killer:$(jget "$D/killer.json" status | tr ' ' _)"
	KILLER_PID=
	KILLED=$(jget "$D/killer.json" kills)
	FAULTS=${KILLED}xSIGKILL
	step "killer: $KILLED kills $(jget "$D/killer.json" by_stage), waiting for restarts $(jget "$D/killer.json" restart_wait_s) s"
	finish
	KILLED=
}

# --- scenario scale ------------------------------------------------------

# Two results pipelines in one consumer group (operations.md, "Scaling
# out"), 4 partitions; SIGKILLs move partitions between the members while
# the old owner may still hold records in flight.
scenario_scale() {
	begin scale -t ccx.ocp.results:4
	PARTS=4
	start_results
	start_results 2
	step "ingesting $M records into two members of one group while $SKILLS SIGKILLs hit either"
	produce "$M"
	python3 "$CHAOS_PY" killer --sup-pid "$SUP_PID" --sup-pid "$SUP2_PID" --kills "$SKILLS" \
		--count "$M" --seed "$SEED" --log "$D/driver.log" --watch-pid $$ >"$D/killer.json" &
	KILLER_PID=$!
	wait "$KILLER_PID" || NOTES="$NOTES killer:$(jget "$D/killer.json" status | tr ' ' _)"
	KILLER_PID=
	KILLED=$(jget "$D/killer.json" kills)
	FAULTS=${KILLED}xSIGKILL
	step "killer: $KILLED kills $(jget "$D/killer.json" by_stage)"
	wait "$PROD_PID"
	echo $? >"$D/produce.rc"
	PROD_PID=
	step "rebalances: $(cat "$D"/supervisor*.log | grep -c 'assigned') assignments, $(cat "$D"/supervisor*.log | grep -c 'revoking') revocations"
	finish
	KILLED=
}

# --- scenario pg ---------------------------------------------------------

write_notify_conf() {	# the production notification pipelines, chaos endpoints
	cat >"$D/notify.conf" <<-CONF
	pipeline notify-backend every 180
		run differ -T notifications-backend -c \$CONTENT_URL
		run kafka-emitter -b \$BROKERS -t platform.notifications.ingress -X message.timeout.ms=5000 -n @ready
		run db-writer -r -n @ready
	pipeline notify-servicelog every 180
		run differ -T service-log -c \$CONTENT_URL
		run servicelog-poster --timeout 2 --retry-base-ms 100 -n @ready
		run db-writer -r -n @ready
	CONF
}

# notify_run TARGET: one run under supervisor -1; RUN_S and RUN_STATUS.
notify_run() {
	_t=$(date +%s.%N)
	timeout 900 supervisor -1 "$D/notify.conf" "$1" 2>>"$D/notify.log"
	RUN_STATUS=$?
	RUN_S=$(echo "$(date +%s.%N) $_t" | awk '{ printf "%.1f", $1 - $2 }')
}

scenario_pg() {
	begin pg -t ccx.ocp.results:2 -t platform.notifications.ingress:1
	CONTENT_URL=file://$TESTS/demo/content.json
	export CONTENT_URL
	write_notify_conf
	start_results
	step "ingesting $M records; PostgreSQL stopped for $PG_DOWN s after a third"
	produce "$M"
	wait_rows $(( M / 3 )) 600
	before=$(rows)
	pg_stop || NOTES="$NOTES pg_stop-failed"
	down_at=$(now)
	step "PostgreSQL stopped at $before rows"
	notify_run notify-backend
	step "a notification run during the outage: status $RUN_STATUS after $RUN_S s"
	[ "$RUN_STATUS" != 0 ] || NOTES="$NOTES notify-run-succeeded-without-database"
	[ -n "$SHORT" ] || awk -v s="$RUN_S" 'BEGIN { exit !(s <= 60) }' ||
		NOTES="$NOTES notify-run-took-${RUN_S}s"
	while [ $(( $(now) - down_at )) -lt "$PG_DOWN" ]; do sleep 0.2; done
	alive=$(pgrep -P "$SUP_PID" | wc -l)
	pg_start || NOTES="$NOTES pg_start-failed"
	FAULTS=pg_down_$(( $(now) - down_at ))s
	step "PostgreSQL started again after $(( $(now) - down_at )) s ($alive stages running during the outage)"
	finish
}

# --- scenario broker -----------------------------------------------------

# inject APIKEY ERRCODE COUNT
inject() {
	mock_cmd error "$@" || NOTES="$NOTES mock-error-$1-$2-refused"
	INJECTED=$(( ${INJECTED:-0} + $3 ))
}

# progress_after WHAT: wait until rows grow by M/8 (or all are in);
# prints how long that took.
progress_after() {
	_from=$(rows) _t=$(now)
	_to=$(( _from + M / 8 ))
	[ $_to -gt "$M" ] && _to=$M
	wait_rows "$_to" 600
	step "$1: $_from -> $(rows) rows in $(( $(now) - _t )) s"
}

scenario_broker() {
	begin broker -t ccx.ocp.results:2
	start_results
	step "ingesting $M records; broker down for $BROKER_DOWN s after a quarter, then injected errors"
	STALL=900
	E=5			# errors per injected code
	[ -n "$SHORT" ] && E=2
	produce "$M"
	INJECTED=0
	wait_rows $(( M / 4 )) 600
	mock_cmd down 1 || NOTES="$NOTES mock-down-refused"
	down_at=$(now)
	step "broker down at $(rows) rows"
	while [ $(( $(now) - down_at )) -lt "$BROKER_DOWN" ]; do sleep 0.2; done
	mock_cmd up 1 || NOTES="$NOTES mock-up-refused"
	step "broker up at $(rows) rows"
	progress_after "after the outage"
	# Fetch: leadership and storage errors, retried after a metadata refresh.
	inject 1 6 $(( 2 * E ))	# NOT_LEADER_FOR_PARTITION
	inject 1 5 $E		# LEADER_NOT_AVAILABLE
	inject 1 56 $E		# KAFKA_STORAGE_ERROR
	progress_after "Fetch errors"
	# OffsetCommit: coordinator errors, retried.
	inject 8 16 $E		# NOT_COORDINATOR
	inject 8 15 $E		# COORDINATOR_NOT_AVAILABLE
	inject 8 14 $E		# COORDINATOR_LOAD_IN_PROGRESS
	inject 8 7 $E		# REQUEST_TIMED_OUT
	progress_after "OffsetCommit errors"
	# Heartbeat: a rebalance (revocation with its drain and sync commit).
	inject 12 27 3		# REBALANCE_IN_PROGRESS
	progress_after "Heartbeat REBALANCE_IN_PROGRESS"
	step "revocations seen: $(grep -c 'revoking' "$D/supervisor.log")"
	FAULTS=down_${BROKER_DOWN}s+${INJECTED}_errors
	finish
	STALL=
}

# --- scenario notify -----------------------------------------------------

# rows_since TIME: this run's reported rows, "target cluster state error".
rows_since() {
	psql -qXAt -F '	' -v ON_ERROR_STOP=1 -c "SELECT r.event_type_id, r.cluster, s.value, replace(r.error_log, E'\\t', ' ')
		FROM reported r JOIN states s ON s.id = r.state WHERE r.notified_at >= '$1' ORDER BY 1, 2"
}

# DURING: commands run in the background while the run of DURING_TARGET
# (backend or servicelog) goes on.
DURING= DURING_TARGET= _hook=
during_start() {
	_hook=
	[ -n "$DURING" ] && [ "$DURING_TARGET" = "$1" ] || return 0
	( eval "$DURING" ) >>"$D/during.log" 2>&1 &
	_hook=$!
}
during_end() {
	[ -n "$_hook" ] || return 0
	wait "$_hook" || NOTES="$NOTES round$ROUND-$1-fault-failed"
	_hook=
}

# undecided WANT SENT ERROR STATUS TARGET
undecided() {
	_u=$(( $1 - $2 - $3 ))
	[ "$_u" = 0 ] && return 0
	if [ "$4" = 75 ] && [ "$_u" -gt 0 ]; then
		echo "  (round $ROUND, $5: the run stopped early, $_u clusters left for the next run)"
		echo "$ROUND $5 undecided=$_u status=75" >>"$D/rounds"
	else
		NOTES="$NOTES round$ROUND-$5-$_u-undecided"
	fi
}

# notify_round NAME BACKEND_BOUND SL_BOUND: both targets once; figures.
notify_round() {
	_name=$1
	since=$(q "SELECT now() AT TIME ZONE 'UTC'")
	want1=$(q "SELECT count(*) FROM new_reports n WHERE org_id >= 7000 AND NOT EXISTS (SELECT 1 FROM reported r WHERE r.event_type_id = 1 AND r.state = 1 AND r.cluster = n.cluster)")
	want2=$(q "SELECT count(*) FROM new_reports n WHERE org_id >= 7000 AND org_id < 7000 + $SLC AND NOT EXISTS (SELECT 1 FROM reported r WHERE r.event_type_id = 2 AND r.state = 1 AND r.cluster = n.cluster AND r.report = n.report)")
	during_start backend
	notify_run notify-backend
	s1=$RUN_S st1=$RUN_STATUS
	during_end backend
	during_start servicelog
	notify_run notify-servicelog
	s2=$RUN_S st2=$RUN_STATUS
	during_end servicelog
	DURING= DURING_TARGET=
	rows_since "$since" >"$D/round.$ROUND"
	sed "s/^/$ROUND	/" "$D/round.$ROUND" >>"$D/rows"
	sent1=$(awk -F'\t' '$1 == 1 && $3 == "sent"' "$D/round.$ROUND" | wc -l)
	err1=$(awk -F'\t' '$1 == 1 && $3 == "error"' "$D/round.$ROUND" | wc -l)
	sent2=$(awk -F'\t' '$1 == 2 && $3 == "sent"' "$D/round.$ROUND" | wc -l)
	err2=$(awk -F'\t' '$1 == 2 && $3 == "error"' "$D/round.$ROUND" | wc -l)
	twice=$(cut -f1,2 "$D/round.$ROUND" | sort | uniq -d | wc -l)
	printf '  %-28s backend: %2s to decide -> %2s sent %2s error, status %2s, %5s s (bound %s)\n' \
		"$ROUND $_name" "$want1" "$sent1" "$err1" "$st1" "$s1" "$2"
	printf '  %-28s service log: %2s to decide -> %2s sent %2s error, status %2s, %5s s (bound %s)\n' \
		"" "$want2" "$sent2" "$err2" "$st2" "$s2" "$3"
	echo "$ROUND $_name backend want=$want1 sent=$sent1 error=$err1 status=$st1 s=$s1 bound=$2 servicelog want=$want2 sent=$sent2 error=$err2 status=$st2 s=$s2 bound=$3" >>"$D/rounds"
	# Every cluster with new issues got a row (sent or error), none twice;
	# only a run stopped early (EX_TEMPFAIL) may leave some undecided,
	# for the next run to decide again (checked at the end).
	undecided "$want1" "$sent1" "$err1" "$st1" backend
	undecided "$want2" "$sent2" "$err2" "$st2" servicelog
	[ "$twice" = 0 ] || NOTES="$NOTES round$ROUND-$twice-clusters-twice"
	for _st in "$st1" "$st2"; do
		case $_st in 0|69|75) ;; *) NOTES="$NOTES round$ROUND-status-$_st" ;; esac
	done
	if [ -z "$SHORT" ]; then
		awk -v s="$s1" -v b="$2" 'BEGIN { exit !(s <= b) }' || NOTES="$NOTES round$ROUND-backend-${s1}s-over-bound"
		awk -v s="$s2" -v b="$3" 'BEGIN { exit !(s <= b) }' || NOTES="$NOTES round$ROUND-servicelog-${s2}s-over-bound"
	fi
	ROUND=$((ROUND + 1))
}

scenario_notify() {
	begin notify -t platform.notifications.ingress:1
	SLC=$(( CLUSTERS / 5 ))		# clusters with Service Log issues
	[ $SLC -ge 2 ] || SLC=2
	stub_start CT content --file "$TESTS/demo/content.json" || die "content stub"
	stub_start RD renderer || die "renderer stub"
	stub_start SSO sso --client-id chaos-client --client-secret chaos-secret || die "sso stub"
	stub_start SL servicelog || die "servicelog stub"
	CONTENT_URL=$CT_URL/api/v1/content
	CCX_SERVICELOG_CLIENT_ID=chaos-client CCX_SERVICELOG_CLIENT_SECRET=chaos-secret
	CCX_SERVICELOG_RENDERER_URL=$RD_URL
	CCX_SERVICELOG_URL=$SL_URL/api/service_logs/v1/cluster_logs/
	CCX_SERVICELOG_TOKEN_URL=$SSO_URL/token
	export CONTENT_URL CCX_SERVICELOG_CLIENT_ID CCX_SERVICELOG_CLIENT_SECRET \
		CCX_SERVICELOG_RENDERER_URL CCX_SERVICELOG_URL CCX_SERVICELOG_TOKEN_URL
	write_notify_conf
	python3 "$CHAOS_PY" notify-data --clusters "$CLUSTERS" --sl-clusters "$SLC" --seed "$SEED" | psql -qX -v ON_ERROR_STOP=1 >/dev/null ||
		die "cannot insert the reports"
	sle=$(python3 -c "print(sum(2 if k % 3 == 0 else 1 for k in range($SLC)))")
	step "$CLUSTERS clusters with new issues for the backend, $SLC with $sle Service Log entries"
	: >"$D/rows"
	: >"$D/rounds"
	ROUND=1
	# Bounds: the programs' own timeouts, plus 20 s for starting, the
	# content and the database.  Backend: message.timeout.ms 5 s, the
	# flush at the end (timeout + 5 s), the content delay.  Service Log:
	# per cluster one renderer call (timeout 2 s) and per entry 3
	# attempts of 2 s with 0.1 + 0.2 s (+25 %) between them; the token
	# endpoint 3 attempts.
	B1=$(( 20 + 5 + 5 + 3 ))
	B2=$(python3 -c "print(round(20 + $SLC * 2 + $sle * (3 * 2 + 0.4) + 3 * 2 + 0.4))")

	# PostgreSQL stopped in the middle of a run: db-writer -r has lost
	# its connection and retries until the server is back.
	PG_BACKEND="sleep 2; pg_stop; echo pg stopped; sleep 6; pg_start; echo pg started"
	PG_SL="sleep 4; pg_stop; echo pg stopped; sleep 10; pg_start; echo pg started"
	mock_cmd down 1
	stub_control SL '{"mode": "500"}'
	DURING=$PG_BACKEND DURING_TARGET=backend
	notify_round "broker down, PG restarted, SL 500" $((B1 + 13)) $B2
	mock_cmd up 1
	stub_control SL '{"mode": "ok"}'
	if [ -n "$SHORT" ]; then
		mock_cmd error 0 6 3		# Produce NOT_LEADER_FOR_PARTITION
		stub_control SL '{"mode": "401"}'
		notify_round "Produce errors, SL 401 storm" $B1 $B2
		stub_control SL '{"mode": "timeout", "count": 3}'
		notify_round "SL never answers x3" $B1 $B2
		stub_control SL '{"mode": "ok"}'
	else
		# The broker answers later than message.timeout.ms: the delivery
		# reports say "timed out", yet the messages are in the log.  The
		# content comes 3 s late, so the producer has its id first.
		stub_control CT '{"mode": "ok", "delay": 3}'
		( sleep 1.5; mock_cmd rtt 1 7000 ) &
		rtt_pid=$!
		stub_control SL '{"mode": "401"}'
		notify_round "broker slow, SL 401 storm" $B1 $B2
		wait $rtt_pid
		mock_cmd rtt 1 0
		stub_control CT '{"mode": "ok"}'
		stub_control SL '{"mode": "ok"}'

		mock_cmd error 0 6 5		# Produce NOT_LEADER_FOR_PARTITION
		mock_cmd error 0 7 5		# Produce REQUEST_TIMED_OUT
		stub_control SL '{"mode": "timeout"}'
		notify_round "Produce errors, SL never answers" $B1 $B2
		stub_control SL '{"mode": "ok"}'

		stub_control SSO '{"mode": "401"}'
		stub_control RD '{"mode": "500", "count": 2}'
		notify_round "token 401, renderer 500 x2" $B1 $B2
		stub_control SSO '{"mode": "ok"}'
		stub_control RD '{"mode": "ok"}'

		stub_control SSO '{"mode": "503"}'
		notify_round "token endpoint 503" $B1 $B2
		stub_control SSO '{"mode": "ok"}'

		# The Service Log accepts each entry after the client gave up
		# (delay 3 s, --timeout 2): every attempt leaves an entry, and
		# the outcome is an error, so the next run posts it once more.
		stub_control SL '{"mode": "ok", "delay": 3}'
		notify_round "SL accepts after the timeout" $B1 $B2
		stub_control SL '{"mode": "ok"}'

		stub_control SL '{"mode": "ok", "delay": 1}'
		DURING=$PG_SL DURING_TARGET=servicelog
		notify_round "PG restarted mid-run, SL slow" $B1 $(( B2 + sle + 10 + 13 ))
		stub_control SL '{"mode": "ok"}'
	fi
	notify_round "healed" $B1 $B2
	notify_round "quiet (cooldown)" $B1 $B2
	last=$(( ROUND - 1 ))
	[ "$(wc -l <"$D/round.$last")" -gt 0 ] && awk -F'\t' '$3 == "sent"' "$D/round.$last" | grep -q . &&
		NOTES="$NOTES quiet-run-sent-again"
	timeout 30 kcat -C -b "$BROKERS" -t platform.notifications.ingress -o beginning -e -q >"$D/messages" 2>/dev/null
	curl -sS --max-time 10 "$SL_URL/api/service_logs/v1/cluster_logs/" |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"]))' >"$D/entries"
	python3 "$CHAOS_PY" notify-verify --clusters "$CLUSTERS" --sl-clusters "$SLC" --seed "$SEED" \
		--messages "$D/messages" --entries "$D/entries" --rows "$D/rows" >"$D/verify.json"
	ver_rc=$?
	step "verify: $(cat "$D/verify.json")"
	[ $ver_rc = 0 ] || NOTES="$NOTES verify-failed"
	FAULTS=$((ROUND - 3))_faulty_rounds
	record_result "${CLUSTERS}_clusters/${sle}_entries" 0 - \
		"$(jget "$D/verify.json" lost)" "$(jget "$D/verify.json" duplicated)"
}

# --- scenario once ---------------------------------------------------------

# once_clusters FIRST COUNT: clusters with one important issue, org = n.
once_clusters() {
	psql -qX -v ON_ERROR_STOP=1 -v a="$1" -v n="$2" >/dev/null <<-\SQL
	INSERT INTO new_reports
	SELECT g, g, lpad(to_hex(g), 8, '0') || '-0000-4000-8000-00000000c0de',
	       '{"reports":[{"rule_id":"demo_etcd_backup|ETCD_NO_BACKUP","component":"ccx_rules_ocp.external.rules.demo_etcd_backup.report","type":"rule","key":"ETCD_NO_BACKUP","details":{}}]}',
	       now() AT TIME ZONE 'UTC' - interval '1 s', g
	  FROM generate_series(:a, :a + :n - 1) g;
	SQL
}
once_pipeline() {	# one shell pipeline of target 1, as an operator runs it
	differ -T notifications-backend -c "$CONTENT_URL" 2>>"$D/shell.log" |
		kafka-emitter -b "$BROKERS" -t platform.notifications.ingress 2>>"$D/shell.log" |
		db-writer -r 2>>"$D/shell.log"
	echo "shell $?" >>"$D/statuses"
}
once_run() {	# LABEL: one supervised run of target 1; its status recorded
	timeout 900 supervisor -1 "$D/notify.conf" notify-backend 2>>"$D/notify.log"
	echo "$1 $?" >>"$D/statuses"
}

scenario_once() {
	begin once -t platform.notifications.ingress:1
	CONTENT_URL=file://$TESTS/demo/content.json
	export CONTENT_URL
	write_notify_conf
	sed -i 's/run db-writer -r -n @ready/run db-writer -r -R 5 -n @ready/' "$D/notify.conf"
	: >"$D/statuses"
	# The topic is read as it fills: the mock broker keeps about 5 MiB
	# a partition, less than the 3 x ONCE messages of the default run,
	# and a read after the last round would miss the first ones.
	kcat -C -b "$BROKERS" -t platform.notifications.ingress -o beginning -q -u \
		>"$D/messages" 2>/dev/null &
	READER_PID=$!
	step "round 1: $ONCE clusters; every insert into reported refused (a trigger) for one run"
	once_clusters 100000 "$ONCE"
	q "CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'reported is closed'; END \$\$" >/dev/null
	q "CREATE TRIGGER refuse_all BEFORE INSERT ON reported FOR EACH ROW EXECUTE FUNCTION refuse_all()" >/dev/null
	CCX_SPOOL_DIR=$D/spool
	export CCX_SPOOL_DIR
	once_run refused
	grep -q "^refused 75" "$D/statuses" || NOTES="$NOTES refused-run-status-$(sed -n 's/^refused //p' "$D/statuses")"
	step "  claims left: $(q "SELECT count(*) FROM notification_outbox"), spooled: $(cat "$D"/spool/*/outcomes-* 2>/dev/null | wc -l)"
	q "DROP TRIGGER refuse_all ON reported" >/dev/null
	step "round 2: $ONCE more clusters; three runs of target 1 started together"
	once_clusters 200000 "$ONCE"
	once_run overlap-a &
	_a=$!
	once_run overlap-b &
	_b=$!
	once_pipeline &
	_c=$!
	wait $_a $_b $_c
	step "  statuses: $(tr '\n' ' ' <"$D/statuses")"
	step "round 3: $ONCE more clusters; the database read-only for one run"
	once_clusters 300000 "$ONCE"
	q "ALTER DATABASE $PGDATABASE SET default_transaction_read_only = on" >/dev/null
	once_run readonly
	PGOPTIONS="$PGOPTIONS -c default_transaction_read_only=off" q "ALTER DATABASE $PGDATABASE RESET default_transaction_read_only" >/dev/null
	grep -q "^readonly 75" "$D/statuses" || NOTES="$NOTES readonly-run-not-75"
	step "round 4, 5: healed, quiet"
	once_run healed
	once_run quiet
	# the reader has caught up when its count stands still for 3 s
	_n=-1 _i=0
	while [ "$_i" -lt 60 ]; do
		_m=$(wc -l <"$D/messages")
		[ "$_m" = "$_n" ] && break
		_n=$_m _i=$((_i + 1))
		sleep 3
	done
	kill "$READER_PID" 2>/dev/null
	wait "$READER_PID" 2>/dev/null
	READER_PID=
	q "SELECT cluster, count(*) FROM reported WHERE event_type_id = 1 AND state = 1 GROUP BY 1" >"$D/sent"
	python3 - "$D/messages" "$D/sent" "$ONCE" >"$D/verify.json" <<-\PY
	import json, sys, collections
	msgs = collections.Counter(json.loads(l)["context"]["display_name"] for l in open(sys.argv[1]) if l.strip())
	sent = dict(l.strip().split("|") for l in open(sys.argv[2]) if l.strip())
	want = 3 * int(sys.argv[3])
	r = {"clusters": want, "messages": sum(msgs.values()),
	     "lost": want - len(msgs), "duplicated": sum(n - 1 for n in msgs.values() if n > 1),
	     "sent_rows_twice": sum(1 for n in sent.values() if int(n) > 1),
	     "without_sent_row": sum(1 for c in msgs if c not in sent)}
	print(json.dumps(r))
	sys.exit(1 if r["lost"] or r["duplicated"] or r["sent_rows_twice"] or r["without_sent_row"] else 0)
	PY
	ver_rc=$?
	step "verify: $(cat "$D/verify.json"); claims left $(q "SELECT count(*) FROM notification_outbox")"
	[ $ver_rc = 0 ] || NOTES="$NOTES verify-failed"
	[ "$(q "SELECT count(*) FROM notification_outbox")" = 0 ] || NOTES="$NOTES claims-left"
	[ -z "$(cat "$D"/spool/*/outcomes-* 2>/dev/null)" ] || NOTES="$NOTES spool-left"
	unset CCX_SPOOL_DIR
	FAULTS=refused,overlap,readonly
	record_result "$(jget "$D/verify.json" clusters)_clusters" 0 - \
		"$(jget "$D/verify.json" lost)" "$(jget "$D/verify.json" duplicated)"
}

for sc in $(echo "$ONLY" | tr , ' '); do
	case $sc in
	kill|scale|pg|broker|notify|once) "scenario_$sc" ;;
	*) die "unknown scenario $sc" ;;
	esac
done

printf '\n== summary (seed %s)\n' "$SEED"
cat "$TABLE"
[ -n "$RESULTS_FILE" ] && cp "$TABLE" "$RESULTS_FILE"
exit $FAILED
