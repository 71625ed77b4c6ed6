#!/bin/sh
# bench.sh: the results-path benchmark (doc/benchmarks.md, "Results path").
#
#   make bench [BENCH_ARGS="..."]      (sets CCX_BUILD)
#   CCX_BUILD=build sh tests/bench/bench.sh [options]
#
# Options:
#   --full             add N = 1000000 to the sizes
#   -n N[,N...]        record counts (default 10000,100000)
#   -b B[,B...]        db-writer batch sizes (default 500,1000,5000)
#   --only WHAT        chain or writer: skip the other configuration
#   -p P[,P...]        partitions of the topic of the chain (default 1):
#                      the chain runs once for each P, the producer spreads
#                      the records over the P partitions (record i to
#                      partition i % P)
#   --members M[,M...] also run M chain members (kafka-reader | db-writer
#                      pairs) side by side in one consumer group, the same
#                      database, for each P and each M with 1 < M <= P, right
#                      after the run of one member on the same topic: speedup_1member
#                      is the one member's time / the M members' time
#   --window KB        how far the producer may run ahead of kafka-reader
#                      (default 3072; the mock broker keeps about 5 MiB)
#   --seed S           generator seed (default 1)
#   --repeat R         run every configuration R times and report the run
#                      of median time (default 1)
#   --keep             keep the scratch directory (printed at the end)
#
# For each N it generates N records (tests/bench/gen.py) and, in a
# throwaway PostgreSQL cluster of its own (fsync off, as the tests), times:
#
#   writer  db-writer -b B fed from a file of record lines prepared in
#           advance, until it exits at EOF (every record committed)
#   copy    psql \copy of the same shrunk rows (exported from new_reports)
#           into x, created as LIKE new_reports INCLUDING ALL: the baseline
#   chain   kafka-reader -a FIFO | db-writer -b B >FIFO on a fresh mock
#           broker, fed by a paced producer (helper bench-produce), from
#           the first record produced until the group's committed offsets
#           reach N in total; with --members, M such pairs in one group
#
# After each run it counts new_reports + dead_letters (and the acks, or the
# committed offset) and fails loudly when a record is missing.  It prints
# one "BENCH key=value ..." line per configuration, then a table.  Peak RSS
# is ru_maxrss from wait4 (helper bench-run), i.e. VmHWM.  Exit status: 0,
# or 1 when a record was lost or a step failed.

set -u
BENCH_NAME=bench
. "$(dirname "$0")/bench-lib.sh"

say() { echo "# $*"; }

BIN=$CCX_BUILD/bin
HELPER=$CCX_BUILD/tests/helper
MOCK=$CCX_BUILD/tests/mockbroker
for f in "$BIN/kafka-reader" "$BIN/db-writer" "$HELPER" "$MOCK"; do
	[ -x "$f" ] || die "$f is missing: make && make tests-build"
done
command -v python3 >/dev/null || die "python3 is needed for the generator"
command -v psql >/dev/null || die "psql is needed"

SIZES="10000 100000"
BATCHES="500 1000 5000"
ONLY=
PARTS=1
MEMBERS=
WINDOW=3072
SEED=1
REPEAT=1
bench_opt() {
	case $1 in
	--full) SIZES="$SIZES 1000000"; return 1 ;;
	--keep) BENCH_KEEP=1; return 1 ;;
	-n) SIZES=$(bench_list "$2") ;;
	-b) BATCHES=$(bench_list "$2") ;;
	--only) ONLY=$2 ;;
	-p) PARTS=$(bench_list "$2") ;;
	--members) MEMBERS=$(bench_list "$2") ;;
	--window) WINDOW=$2 ;;
	--seed) SEED=$2 ;;
	--repeat) REPEAT=$2 ;;
	*) return 0 ;;
	esac
	return 2
}
bench_args "$@"
case $ONLY in ''|chain|writer) ;; *) die "--only chain or writer" ;; esac
# shellcheck disable=SC2086
bench_numbers $SIZES $BATCHES $PARTS $MEMBERS $WINDOW $SEED $REPEAT
for v in $PARTS $MEMBERS; do
	[ "$v" -ge 1 ] && [ "$v" -le 64 ] || die "-p and --members: 1 to 64"
done

TOPIC=ccx.ocp.results
GROUP_OPTS="-X session.timeout.ms=3000 -X heartbeat.interval.ms=500"
bench_scratch
WORK=$DIR
DATA=$WORK/data
mkdir "$DATA"
RESULTS=$WORK/results
: >"$RESULTS"
CHAIN_PIDS=
PG_DIR=$WORK/pg

bench_atexit() {
	# Only runs in progress have pid files: each run removes its own.
	for f in "$WORK"/kr*.pid "$WORK"/dw*.pid "$WORK"/prod.pid; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	for _p in $CHAIN_PIDS; do kill -9 "$_p" 2>/dev/null; done
}

# --- PostgreSQL ------------------------------------------------------------

pg_up() {
	bench_pg_up bench
	PGOPTIONS="-c client_min_messages=warning"
	export PGOPTIONS
	unset CCX_DB
}

q() { psql -qXAt -v ON_ERROR_STOP=1 -c "$1"; }

fresh_db() {
	psql -qX -d postgres -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS bench WITH (FORCE)" \
		-c "CREATE DATABASE bench" >/dev/null 2>&1 ||
		die "unable to create the database"
	"$BIN/db-writer" migrate >"$WORK/migrate.log" 2>&1 ||
		{ cat "$WORK/migrate.log" >&2; die "db-writer migrate failed"; }
	q "CHECKPOINT" >/dev/null
}

# CPU time (ms) of the whole server so far: the postmaster with the
# children it reaped, and its live children (backends, checkpointer, ...).
pg_cpu_ms() {
	_pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$_pm" -v hz="$(getconf CLK_TCK)" '
	{
		pid = $1; s = $0; sub(/^[^)]*\) /, "", s); split(s, a, " ")
		# a[2] = ppid, a[12..15] = utime stime cutime cstime
		if (pid == pm) t += a[12] + a[13] + a[14] + a[15]
		else if (a[2] == pm) t += a[12] + a[13]
	}
	END { printf "%d\n", t * 1000 / hz }'
}

# Total and idle CPU ticks of the machine so far (all processes, anyone's).
machine_ticks() {
	awk '$1 == "cpu" { for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6; exit }' /proc/stat
}

# machine_busy "T0 I0" "T1 I1": the share of the machine's CPU time in
# use between two machine_ticks.
machine_busy() {
	echo "$1 $2" | awk '{ t = $3 - $1; printf "%.2f\n", (t > 0 ? 1 - ($4 - $2) / t : 0) }'
}

# --- helpers ---------------------------------------------------------------

# field KEY FILE: the value of KEY=value in the first line of FILE.
field() { sed -n "1s/.*\\<$1=\\([^ ]*\\).*/\\1/p" "$2"; }

# genstat KEY N: the generator's figure KEY for the first N records.
genstat() { sed -n "s/^n=$2 .*\\<$1=\\([0-9]*\\).*/\\1/p" "$DATA/stats"; }

# wait_file FILE SECONDS
wait_file() {
	_i=0
	while [ ! -s "$1" ]; do
		_i=$((_i + 1)); [ $_i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_gone PID SECONDS: waits for PID to exit; kills it after SECONDS.
wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt $(($2 * 10)) ]; then
			kill -9 "$1" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
}

LOST=0
lost() {
	echo "bench: LOST RECORDS: $*" >&2
	LOST=1
}

# check_db WHAT N: new_reports + dead_letters must hold the N records.
check_db() {
	_rows=$(q "SELECT count(*) FROM new_reports")
	_dead=$(q "SELECT count(*) FROM dead_letters")
	_valid=$(genstat valid "$2")
	if [ "$((_rows + _dead))" != "$2" ] || [ "$_rows" != "$_valid" ]; then
		lost "$1: new_reports $_rows + dead_letters $_dead, expected" \
			"$_valid + $(( $2 - _valid )) = $2"
		return 1
	fi
}

# record CONFIG N BATCH SECONDS BYTES KEY=VALUE...: one result line.
record() {
	_c=$1 _n=$2 _b=$3 _s=$4 _by=$5
	shift 5
	echo "config=$_c n=$_n batch=$_b seconds=$_s bytes=$_by $*" >>"$RESULTS"
}

# --- the runs --------------------------------------------------------------

run_writer() {	# N BATCH
	fresh_db
	rm -f "$WORK/dwa.pid" "$WORK/dwa.res"
	_c0=$(pg_cpu_ms)
	"$HELPER" bench-run "$WORK/dwa.pid" "$WORK/dwa.res" "$BIN/db-writer" \
		-b "$2" <"$DATA/lines.$1" >"$WORK/acks.out" 2>"$WORK/dwa.err"
	_rc=$?
	rm -f "$WORK/dwa.pid"
	sleep 0.2	# the backend exits and is reaped
	_c1=$(pg_cpu_ms)
	[ "$_rc" = 0 ] || { tail -n 5 "$WORK/dwa.err" >&2; lost "writer n=$1 b=$2: db-writer exited $_rc"; return 1; }
	_acks=$(wc -l <"$WORK/acks.out")
	[ "$_acks" = "$1" ] || lost "writer n=$1 b=$2: $_acks acks for $1 records"
	check_db "writer n=$1 b=$2" "$1" || return 1
	_r=$WORK/dwa.res
	record writer "$1" "$2" "$(awk -v w="$(field wall_ms "$_r")" 'BEGIN { printf "%.3f", w / 1000 }')" \
		"$(genstat value_bytes "$1")" kr_rss_kb=- "dw_rss_kb=$(field maxrss_kb "$_r")" \
		kr_cpu_ms=- "dw_cpu_ms=$(( $(field user_ms "$_r") + $(field sys_ms "$_r") ))" \
		"pg_cpu_ms=$((_c1 - _c0))"
}

run_copy() {	# N (new_reports holds the rows of a writer or chain run)
	_f=$WORK/rows.$1
	q "\\copy new_reports TO '$_f'" || die "unable to export new_reports"
	q "DROP TABLE IF EXISTS x" && q "CREATE TABLE x (LIKE new_reports INCLUDING ALL)" &&
		q "CHECKPOINT" || die "unable to create x"
	_c0=$(pg_cpu_ms)
	_ms=$(psql -qX -v ON_ERROR_STOP=1 -c '\timing on' -c "\\copy x FROM '$_f'" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	sleep 0.2
	_c1=$(pg_cpu_ms)
	[ -n "$_ms" ] || die "COPY into x failed"
	_x=$(q "SELECT count(*) FROM x")
	[ "$_x" = "$(genstat valid "$1")" ] || lost "copy n=$1: x has $_x rows"
	record copy "$1" - "$(awk -v w="$_ms" 'BEGIN { printf "%.3f", w / 1000 }')" \
		"$(wc -c <"$_f")" kr_rss_kb=- dw_rss_kb=- kr_cpu_ms=- dw_cpu_ms=- \
		"pg_cpu_ms=$((_c1 - _c0))"
	rm -f "$_f"
}

# chain_started M: each of the M members holds its share of the partitions
# (its last rebalance line says "assigned K partition(s)", the K adding up
# to the topic's partitions).
chain_started() {
	_sum=0
	_m=1
	while [ "$_m" -le "$1" ]; do
		_k=$(grep -o 'assigned [0-9]* partition\|revoking' "$WORK/kr.$_m.err" 2>/dev/null |
			tail -n 1 | sed -n 's/^assigned \([0-9]*\) .*/\1/p')
		[ -n "$_k" ] || return 1
		_sum=$((_sum + _k))
		_m=$((_m + 1))
	done
	[ "$_sum" = "$CHAIN_PARTS" ]
}

# sum_each KEY PREFIX M: "sum each" of KEY (ms, user + sys) over the M
# result files PREFIX.m.res, each as a/b/c.
sum_each() {
	_m=1 _s=0 _e=
	while [ "$_m" -le "$3" ]; do
		_v=$(( $(field user_ms "$WORK/$2.$_m.res") + $(field sys_ms "$WORK/$2.$_m.res") ))
		_s=$((_s + _v)); _e=${_e:+$_e/}$_v
		_m=$((_m + 1))
	done
	echo "$_s $_e"
}

# max_rss PREFIX M: the largest peak RSS of the M processes.
max_rss() {
	_m=1 _x=0
	while [ "$_m" -le "$2" ]; do
		_v=$(field maxrss_kb "$WORK/$1.$_m.res")
		[ "${_v:-0}" -gt "$_x" ] && _x=$_v
		_m=$((_m + 1))
	done
	echo "$_x"
}

run_chain() {	# N BATCH PARTITIONS MEMBERS
	fresh_db
	CHAIN_PARTS=$3
	mock_up "$TOPIC:$3"
	rm -f "$WORK"/acks.*.fifo "$WORK"/kr.* "$WORK"/dw.* "$WORK"/prod.*
	_g=bench-$1-$2-$3-$4
	_what="chain n=$1 b=$2 p=$3 m=$4"
	_c0=$(pg_cpu_ms)
	CHAIN_PIDS=
	_m=1
	while [ "$_m" -le "$4" ]; do
		mkfifo "$WORK/acks.$_m.fifo" || die "mkfifo failed"
		# shellcheck disable=SC2086
		( "$HELPER" bench-run "$WORK/kr.$_m.pid" "$WORK/kr.$_m.res" "$BIN/kafka-reader" \
			-b "$BROKERS" -G "$_g" -t "$TOPIC" -a "$WORK/acks.$_m.fifo" \
			-X auto.offset.reset=earliest $GROUP_OPTS \
			-X auto.commit.interval.ms=100 -X fetch.wait.max.ms=10 2>"$WORK/kr.$_m.err" |
		  "$HELPER" bench-run "$WORK/dw.$_m.pid" "$WORK/dw.$_m.res" "$BIN/db-writer" \
			-b "$2" 2>"$WORK/dw.$_m.err" >"$WORK/acks.$_m.fifo" ) &
		CHAIN_PIDS="$CHAIN_PIDS $!"
		_m=$((_m + 1))
	done
	_krs=
	_m=1
	while [ "$_m" -le "$4" ]; do
		wait_file "$WORK/kr.$_m.pid" 10 && wait_file "$WORK/dw.$_m.pid" 10 ||
			die "$_what: member $_m did not start"
		_krs=${_krs:+$_krs,}$(cat "$WORK/kr.$_m.pid")
		_m=$((_m + 1))
	done
	# Every member has its partitions (a member that joins later makes
	# the group rebalance: wait until the assignment is whole).
	_i=0
	until chain_started "$4"; do
		_i=$((_i + 1))
		if [ $_i -gt 300 ]; then
			cat "$WORK"/kr.*.err "$WORK"/dw.*.err >&2
			die "$_what: the partitions were not assigned"
		fi
		sleep 0.1
	done
	[ "$4" -gt "$3" ] && echo "bench: $_what: $(( $4 - $3 )) member(s) without a partition" >&2
	_m0=$(machine_ticks)
	"$HELPER" bench-run "$WORK/prod.pid" "$WORK/prod.res" "$HELPER" bench-produce \
		"$BROKERS" "$TOPIC" "$_g" "$DATA/values" "$1" "$_krs" "$WINDOW" 60 "$3" \
		>"$WORK/prod.out" 2>"$WORK/prod.err"
	_prc=$?
	_busy=$(machine_busy "$_m0" "$(machine_ticks)")
	rm -f "$WORK/prod.pid"
	_mock_cpu=$(awk '{ s = $0; sub(/^[^)]*\) /, "", s); split(s, a, " "); print a[12] + a[13] }' \
		"/proc/$MOCK_PID/stat" 2>/dev/null)
	echo "$_krs" | tr , '\n' | while read -r _p; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $CHAIN_PIDS; do
		wait_gone "$_p" 60 || echo "bench: $_what: killed after 60 s" >&2
		wait "$_p" 2>/dev/null
	done
	CHAIN_PIDS=
	_m=1
	while [ "$_m" -le "$4" ]; do
		for _f in kr dw; do
			# A wrapper whose child outlived the chain: kill that child.
			[ -f "$WORK/$_f.$_m.res" ] || kill -9 "$(cat "$WORK/$_f.$_m.pid")" 2>/dev/null
			rm -f "$WORK/$_f.$_m.pid"
		done
		_m=$((_m + 1))
	done
	sleep 0.2
	_c1=$(pg_cpu_ms)
	_committed=$("$HELPER" kafka-committed "$BROKERS" "$_g" "$TOPIC" "$3" |
		awk '$2 > 0 { s += $2 } END { print s + 0 }')
	mock_down
	if [ "$_prc" != 0 ]; then
		cat "$WORK/prod.err" >&2
		tail -n 5 "$WORK"/kr.*.err "$WORK"/dw.*.err >&2
		lost "$_what: the producer exited $_prc"
		return 1
	fi
	[ "$_committed" = "$1" ] || lost "$_what: committed offsets add up to $_committed, expected $1"
	grep -i "out of range\|offset reset" "$WORK"/kr.*.err >&2 &&
		lost "$_what: the consumer skipped records"
	[ "$(field evicted "$WORK/prod.out")" = 0 ] ||
		echo "bench: $_what: up to $(field evicted "$WORK/prod.out") records left the broker before kafka-reader wrote them" >&2
	check_db "$_what" "$1" || return 1
	_p=$WORK/prod.out
	set -- "$1" "$2" "$3" "$4" "$(sum_each kr kr "$4")" "$(sum_each dw dw "$4")"
	_mock_ms=$(( ${_mock_cpu:-0} * 1000 / $(getconf CLK_TCK) ))
	_prod_ms=$(( $(field user_ms "$WORK/prod.res") + $(field sys_ms "$WORK/prod.res") ))
	record chain "$1" "$2" "$(awk -v w="$(field elapsed_ms "$_p")" 'BEGIN { printf "%.3f", w / 1000 }')" \
		"$(field value_bytes "$_p")" partitions="$3" members="$4" \
		"kr_rss_kb=$(max_rss kr "$4")" "dw_rss_kb=$(max_rss dw "$4")" \
		"kr_cpu_ms=${5% *}" "dw_cpu_ms=${6% *}" \
		"pg_cpu_ms=$((_c1 - _c0))" "mock_cpu_ms=$_mock_ms" "prod_cpu_ms=$_prod_ms" \
		"throttled_ms=$(field throttled_ms "$_p")" "max_ahead_kb=$(field max_ahead_kb "$_p")" \
		"kr_cpu_each_ms=${5#* }" "dw_cpu_each_ms=${6#* }" \
		"cpu_busy=$(awk -v t="$(( ${5% *} + ${6% *} + _c1 - _c0 + _mock_ms + _prod_ms ))" \
			-v w="$(field elapsed_ms "$_p")" -v c="$(nproc)" 'BEGIN { printf "%.2f", t / (w * c) }')" \
		"machine_busy=$_busy"
}

# --- main ------------------------------------------------------------------

MACHINE="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n 1)"
say "results-path benchmark: N = $SIZES, batch sizes $BATCHES, chain partitions $PARTS${MEMBERS:+, members 1 and $MEMBERS}, $REPEAT run(s) each"
say "machine: $MACHINE; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "scratch directory $WORK"
_t0=$(date +%s)
# shellcheck disable=SC2086
python3 "$HERE/gen.py" --seed "$SEED" "$DATA" $SIZES || die "the generator failed"
say "generated $(echo $SIZES | tr ' ' '\n' | sort -n | tail -n 1) records in $(( $(date +%s) - _t0 )) s:" \
	"$(tail -n 1 "$DATA/stats")"
pg_up
say "PostgreSQL $(psql -qXAt -d postgres -c 'SHOW server_version') on port $PG_PORT (fsync off)"

for n in $SIZES; do
	copied=
	r=0
	while [ $r -lt "$REPEAT" ]; do
		r=$((r + 1))
		for config in writer chain; do
			[ -n "$ONLY" ] && [ "$ONLY" != "$config" ] && continue
			specs=-
			if [ "$config" = chain ]; then
				# For each P: one member, then each M > 1; in
				# even rounds the other way round, so that neither
				# always runs first (the second run of a pair
				# was up to 17 % faster with an idle member).
				specs=
				for p in $PARTS; do
					one="$p:1"
					for m in $MEMBERS; do
						# (more members than partitions: idle ones)
						[ "$m" -gt 1 ] && [ "$m" -le "$p" ] || continue
						if [ $((r % 2)) = 1 ]; then one="$one $p:$m"; else one="$p:$m $one"; fi
					done
					specs="$specs $one"
				done
			fi
			for b in $BATCHES; do
			for spec in $specs; do
				if [ "$spec" = - ]; then
					say "$config n=$n b=$b (run $r of $REPEAT)"
					"run_$config" "$n" "$b" || continue
				else
					say "$config n=$n b=$b p=${spec%:*} m=${spec#*:} (run $r of $REPEAT)"
					"run_$config" "$n" "$b" "${spec%:*}" "${spec#*:}" || continue
				fi
				[ -n "$copied" ] && continue
				# new_reports holds the rows: the COPY baseline.
				c=0
				while [ $c -lt "$REPEAT" ]; do
					c=$((c + 1))
					say "copy n=$n (run $c of $REPEAT)"
					run_copy "$n"
				done
				copied=1
			done
			done
		done
	done
	# Machine-readable lines: per configuration the run of median time,
	# with the ratio to the median COPY of the same N.
	awk -v n="$n" '
	{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] }
		if (v[NR, "n"] != n) next
		if (v[NR, "partitions"] == "") v[NR, "partitions"] = v[NR, "members"] = "-"
		key = v[NR, "config"] " " v[NR, "batch"] " " v[NR, "partitions"] " " v[NR, "members"]
		if (!(key in cnt)) order[++nk] = key
		run[key, ++cnt[key]] = NR
	}
	function median(key,    i, j, t, m) {
		m = cnt[key]
		for (i = 1; i <= m; i++) idx[i] = run[key, i]
		for (i = 2; i <= m; i++)	# insertion sort by seconds
			for (j = i; j > 1 && v[idx[j], "seconds"] + 0 < v[idx[j - 1], "seconds"] + 0; j--) {
				t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t
			}
		lo = v[idx[1], "seconds"]; hi = v[idx[m], "seconds"]
		return idx[int((m + 1) / 2)]
	}
	END {
		for (j = 1; j <= nk; j++)
			if (order[j] ~ /^copy /) copy = v[median(order[j]), "seconds"]
		split("kr_rss_kb dw_rss_kb kr_cpu_ms dw_cpu_ms pg_cpu_ms mock_cpu_ms prod_cpu_ms throttled_ms max_ahead_kb kr_cpu_each_ms dw_cpu_each_ms cpu_busy machine_busy", f, " ")
		for (j = 1; j <= nk; j++) {
			r = median(order[j]); s = v[r, "seconds"]
			printf "BENCH config=%s n=%s batch=%s", v[r, "config"], n, v[r, "batch"]
			if (v[r, "partitions"] != "-")
				printf " partitions=%s members=%s", v[r, "partitions"], v[r, "members"]
			# M members against one member on the same topic
			one = v[r, "config"] " " v[r, "batch"] " " v[r, "partitions"] " 1"
			if (v[r, "members"] + 0 > 1 && one in cnt) {
				s1 = v[median(one), "seconds"]; r = median(order[j])
				printf " speedup_1member=%.3f", s1 / s
			}
			printf " seconds=%s records_per_s=%.0f mb_per_s=%.2f ratio_copy=%s runs=%d min_s=%s max_s=%s",
			    s, n / s, v[r, "bytes"] / s / 1e6,
			    copy != "" ? sprintf("%.3f", copy / s) : "-", cnt[order[j]], lo, hi
			for (i = 1; i in f; i++)
				if (v[r, f[i]] != "") printf " %s=%s", f[i], v[r, f[i]]
			printf "\n"
		}
	}' "$RESULTS" | tee -a "$WORK/bench.lines"
done

# --- summary ---------------------------------------------------------------

echo
echo "Results path, $MACHINE (MB = 10^6 bytes: record values for writer and"
echo "chain, COPY text for copy; xCOPY = COPY seconds / seconds; RSS = peak;"
echo "P partitions, M members; x1mem = seconds of 1 member / seconds of M;"
echo "busy = CPU of the chain's processes and the server / (seconds x CPUs);"
echo "mach = the machine's CPU in use by anyone, during the run)"
awk '
BEGIN {
	printf "%-7s %8s %6s %2s %2s %9s %17s %9s %8s %6s %6s %9s %9s %8s %8s %8s %5s %5s\n", "config", "N",
	    "batch", "P", "M", "seconds", "(min-max)", "rec/s", "MB/s", "xCOPY", "x1mem", "kr_rssMB", "dw_rssMB",
	    "kr_cpu_s", "dw_cpu_s", "pg_cpu_s", "busy", "mach"
}
{
	delete v
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-7s %8s %6s %2s %2s %9.2f %17s %9s %8s %6s %6s %9s %9s %8s %8s %8s %5s %5s\n", v["config"],
	    v["n"], v["batch"], dash(v["partitions"]), dash(v["members"]), v["seconds"],
	    sprintf("(%.2f-%.2f)", v["min_s"], v["max_s"]),
	    v["records_per_s"], v["mb_per_s"],
	    v["ratio_copy"], dash(v["speedup_1member"]), mb(v["kr_rss_kb"]), mb(v["dw_rss_kb"]),
	    sec(v["kr_cpu_ms"]), sec(v["dw_cpu_ms"]), sec(v["pg_cpu_ms"]), dash(v["cpu_busy"]),
	    dash(v["machine_busy"])
}
function dash(x) { return x == "" ? "-" : x }
function mb(x) { return x == "" || x == "-" ? "-" : sprintf("%.1f", x / 1024) }
function sec(x) { return x == "" || x == "-" ? "-" : sprintf("%.2f", x / 1000) }
' "$WORK/bench.lines"

echo
# The goal, and RSS that grows with N.
awk '
{
	delete v
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["config"] == "copy") next
	key = v["config"] " b=" v["batch"]
	pm = ""
	if (v["partitions"] != "") {
		pm = " p=" v["partitions"] " m=" v["members"]
		key = key pm
	}
	if (v["n"] == 100000) {
		verdict = v["ratio_copy"] + 0 >= 0.8 ? "met" : "NOT met"
		if (v["config"] != "chain") verdict = "(db-writer alone)"
		printf "goal (chain >= 0.8 x COPY at 100k): %s b=%s%s: %s x COPY: %s\n",
		    v["config"], v["batch"], pm, v["ratio_copy"], verdict
	}
	for (p = 1; p <= 2; p++) {
		f = p == 1 ? "kr_rss_kb" : "dw_rss_kb"
		if (v[f] == "" || v[f] == "-") continue
		kf = key SUBSEP f
		if (!(kf in lo) || v["n"] + 0 < lon[kf]) { lo[kf] = v[f]; lon[kf] = v["n"] + 0 }
		if (!(kf in hi) || v["n"] + 0 > hin[kf]) { hi[kf] = v[f]; hin[kf] = v["n"] + 0 }
	}
}
END {
	for (kf in lo) {
		split(kf, a, SUBSEP)
		if (hin[kf] == lon[kf]) continue
		verdict = "flat"
		if (hi[kf] - lo[kf] > 8192 && hi[kf] > 1.25 * lo[kf])
			verdict = "GROWS with N"
		printf "RSS %s %s: %.1f MB at %d, %.1f MB at %d: %s\n", a[1], a[2],
		    lo[kf] / 1024, lon[kf], hi[kf] / 1024, hin[kf], verdict
	}
}' "$WORK/bench.lines" | sort

echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - _t0 )) s"
if [ "$LOST" != 0 ]; then
	echo "bench: FAILED: records were lost or a step failed (see above)" >&2
	exit 1
fi
exit 0
