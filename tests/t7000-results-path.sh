#!/bin/sh
test_description='results path end to end: broker -> kafka-reader | db-writer -> PostgreSQL'
. ./test-lib.sh
test_use pg kafka

pg_start_own || skip_all "PostgreSQL cannot start here"
mock_start -t ccx.ocp.results:2 || skip_all "the mock Kafka cluster cannot start"
db-writer migrate latest 2>/dev/null || skip_all "cannot migrate"
T=ccx.ocp.results
KR_OPTS="-X auto.offset.reset=earliest -X auto.commit.interval.ms=500 $MOCK_GROUP_OPTS"

# values FIRST COUNT: COUNT record values, one a line; every 25th is bad.
values() {
	i=$1
	end=$(( $1 + $2 ))
	while [ $i -lt $end ]; do
		if [ $(( i % 25 )) = 7 ]; then
			echo "{\"OrgID\":\"bad-$i\"}"
		else
			printf '{"OrgID":%d,"AccountNumber":%d,"ClusterName":"%08d-0000-4000-8000-%012d","Report":{"system":{},"reports":[{"component":"ccx_rules_ocp.external.rules.r%d.report","type":"rule","key":"K","details":{"n":%d}}],"fingerprints":[]},"LastChecked":"2026-11-30T10:00:00Z","Version":2}\n' \
				$(( i % 97 + 1 )) $i $i $i $(( i % 5 )) $i
		fi
		i=$(( i + 1 ))
	done
}

# produce FIRST COUNT: keyed by index so both partitions get records.
produce() {
	values "$1" "$2" | awk '{ print NR ":" $0 }' |
		timeout 60 kcat -P -b "$BROKERS" -t $T -K: -X queue.buffering.max.ms=5
}

expected_good() { values "$1" "$2" | grep -vc '"bad-'; }

# run_stage NAME CMD...: runs CMD in the background with the caller's
# standard input and output (stderr appended to NAME.err), writes its pid
# to NAME.pid at once and its exit status to NAME.status once it exited.
# The shell keeps no end of the pipes, so that CMD's neighbours see end of
# file when CMD closes them, not when the shell goes.
run_stage() {
	_n=$1; shift
	exec 3<&0 4>&1 </dev/null >/dev/null
	"$@" <&3 >&4 3<&- 4<&- 2>>"$_n.err" &
	echo $! >"$_n.pid.tmp" && mv "$_n.pid.tmp" "$_n.pid"
	exec 3<&- 4>&-
	wait $!
	echo $? >"$_n.status.tmp" && mv "$_n.status.tmp" "$_n.status"
}

# gone NAME: the stage has exited (and its status is in NAME.status).
gone() { test -s "$1.status"; }
alive() { ! gone "$1" && kill -0 "$(cat "$1.pid")" 2>/dev/null; }

# chain_down: every stage of the previous chain has exited and its status
# is written (so that no late status file is taken for the next chain's).
chain_down() {
	for _n in kr dw; do
		test -e $_n.pid || continue
		test_wait_for 60 gone $_n || return 1
	done
}

# start_chain: the shell pipeline of the README; pids in kr.pid / dw.pid,
# exit statuses in kr.status / dw.status.
start_chain() {
	chain_down &&
	rm -f acks kr.pid dw.pid kr.status dw.status && mkfifo acks &&
	{ run_stage kr kafka-reader -b "$BROKERS" -G results -t $T $KR_OPTS \
		-a acks |
	  run_stage dw db-writer -w 50 -b 200 >acks & } &&
	test_wait_for 60 test -s kr.pid &&
	test_wait_for 60 test -s dw.pid
}

stored() { sql "SELECT count(*) FROM new_reports"; }
dead() { sql "SELECT count(*) FROM dead_letters"; }
total_is() { test "$(( $(stored) + $(dead) ))" -ge "$1"; }
# wait_total N: until N records are stored or dead; says where it stood if not.
wait_total() {
	test_wait_for 120 total_is "$1" && return 0
	echo "stored $(stored), dead $(dead), committed $(helper kafka-committed "$BROKERS" results $T 2 | tr '\n' ' ')" >&2
	tail -n 5 kr.err dw.err >&2
	return 1
}
committed_sum() {
	helper kafka-committed "$BROKERS" results $T 2 | awk '$2 > 0 { s += $2 } END { print s + 0 }'
}
committed_is() { test "$(committed_sum)" = "$1"; }

# stop_chain: SIGTERM to the head; both must exit 0, no error logged.
stop_chain() {
	kill -TERM "$(cat kr.pid)" &&
	test_wait_for 60 gone kr &&
	test_wait_for 60 gone dw &&
	drained
}

# drained: both stages of the last chain exited 0 and logged no error.
drained() {
	test "$(cat kr.status)" = 0 && test "$(cat dw.status)" = 0 &&
	! grep -E "^(kafka-reader|db-writer): error: " kr.err dw.err
}

dead_bad() {
	sql "SELECT count(*) FROM dead_letters WHERE reason_code = 'type:OrgID' AND convert_from(raw, 'UTF8') LIKE '{\"OrgID\":\"bad-%'"
}

# kill_chain: kill -9 what is left of the chain (not a pid that exited:
# it may be another process's by now), and wait until it is down.
kill_chain() {
	for _n in kr dw; do
		test -e $_n.pid && ! gone $_n && kill -9 "$(cat $_n.pid)"
	done 2>/dev/null
	chain_down
}

# chain_to N: start the chain, wait until N records are stored or dead and
# N offsets committed, stop it (stop_chain).
chain_to() {
	start_chain &&
	wait_total "$1" &&
	test_wait_for 60 committed_is "$1" &&
	stop_chain
}

# all_stored N: the good records of 0 to N - 1 are rows, the bad ones dead
# letters, and there is nothing else.
all_stored() {
	test "$(stored)" = "$(expected_good 0 "$1")" &&
	test "$(dead)" = $(( $1 - $(expected_good 0 "$1") ))
}

no_duplicates() {
	test "$(sql "SELECT count(*) - count(DISTINCT (org_id, account_number, cluster)) FROM new_reports")" = 0 &&
	test "$(sql "SELECT count(*) - count(DISTINCT (kafka_partition, kafka_offset)) FROM consumed_records")" = 0
}

test_atexit kill_chain

test_expect_success 'N records, some malformed: rows, dead letters, committed offsets' '
	produce 0 500 &&
	test_when_finished kill_chain &&
	chain_to 500 &&
	all_stored 500 &&
	test "$(dead_bad)" = "$(dead)" &&
	no_duplicates
'

test_expect_success 'SIGTERM drained the chain: both exited 0 and a restart reads nothing twice' '
	drained &&
	: >dw.err && : >kr.err &&
	produce 500 100 &&
	test_when_finished kill_chain &&
	chain_to 600 &&
	test "$(stored)" = "$(expected_good 0 600)" &&
	no_duplicates
'

test_expect_success 'kill -9 of db-writer mid-run, restart: everything stored exactly once' '
	produce 600 1500 &&
	test_when_finished kill_chain &&
	start_chain &&
	wait_total 800 &&
	kill -9 "$(cat dw.pid)" &&
	test_wait_for 60 gone kr &&
	: >kr.err && : >dw.err &&
	chain_to 2100 &&
	all_stored 2100 &&
	no_duplicates
'

test_expect_success 'kill -9 of kafka-reader mid-run, restart: everything stored exactly once' '
	produce 2100 1500 &&
	test_when_finished kill_chain &&
	start_chain &&
	wait_total 2400 &&
	kill -9 "$(cat kr.pid)" &&
	test_wait_for 60 gone dw &&
	: >kr.err && : >dw.err &&
	chain_to 3600 &&
	all_stored 3600 &&
	no_duplicates
'

test_expect_success 'PostgreSQL stopped and started mid-run: nothing lost' '
	produce 3600 500 &&
	test_when_finished kill_chain &&
	: >dw.err &&
	start_chain &&
	wait_total 4100 &&
	test_wait_for 60 committed_is 4100 &&
	pg_stop &&
	produce 4100 500 &&
	# db-writer has records it cannot store: it retries, acknowledges
	# nothing, and so nothing more is committed.
	test_wait_for 60 grep -q "unable to" dw.err &&
	alive dw &&
	committed_is 4100 &&
	pg_start &&
	wait_total 4600 &&
	test_wait_for 60 committed_is 4600 &&
	stop_chain &&
	test "$(stored)" = "$(expected_good 0 4600)" &&
	no_duplicates
'

test_expect_success SHARED,PYTHON 'the real messages of ../shared through the broker give their expected outcomes' '
	test_when_finished kill_chain &&
	before=$(committed_sum) &&
	for f in "$SHARED_TESTDATA"/results/messages/*.json; do
		cat "$f" && printf "\036" || return 1
	done | timeout 60 kcat -P -b "$BROKERS" -t $T -p 0 -D "$(printf "\036")" &&
	n=$(ls "$SHARED_TESTDATA"/results/messages/*.json | wc -l) &&
	want=$(( $(stored) + $(dead) + n )) &&
	start_chain &&
	wait_total $want &&
	test_wait_for 60 committed_is $(( before + n )) &&
	stop_chain &&
	psql -qXAt -c "COPY (SELECT org_id, account_number, cluster, report FROM new_reports WHERE org_id = 123 ORDER BY updated_at) TO STDOUT WITH (FORMAT csv)" >rows &&
	python3 - "$SHARED_TESTDATA"/results/messages/expected.jsonl rows <<-\PY
	import csv, json, sys
	from decimal import Decimal
	want = [json.loads(l) for l in open(sys.argv[1])]
	stored = [w for w in sorted(want, key=lambda w: w["name"]) if w["outcome"] == "stored"]
	rows = list(csv.reader(open(sys.argv[2])))
	assert len(rows) == len(stored), (len(rows), len(stored))
	v = lambda t: json.loads(t, parse_float=Decimal, parse_int=Decimal)
	for w, r in zip(stored, rows):
	    assert (int(r[0]), int(r[1]), r[2]) == (w["org_id"], w["account_number"], w["cluster"]), w["name"]
	    assert v(r[3]) == v(w["report"]), w["name"]
	PY
'

test_done
