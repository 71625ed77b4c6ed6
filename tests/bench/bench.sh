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
#           the first record produced until the group's committed offset
#           reaches N
#
# After each run it counts new_reports + dead_letters (and the acks, or the
# committed offset) and fails loudly when a record is missing.  It prints
# one "BENCH key=value ..." line per configuration, then a table.  Peak RSS
# is ru_maxrss from wait4 (helper bench-run), i.e. VmHWM.  Exit status: 0,
# or 1 when a record was lost or a step failed.

set -u

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "# $*"; }

: "${CCX_BUILD:?set CCX_BUILD to the build directory (make bench does)}"
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TESTS_DIR=$(dirname "$BENCH_DIR")
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
WINDOW=3072
SEED=1
REPEAT=1
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--full) SIZES="$SIZES 1000000" ;;
	-n) [ $# -ge 2 ] || die "-n needs a value"; SIZES=$(echo "$2" | tr , ' '); shift ;;
	-b) [ $# -ge 2 ] || die "-b needs a value"; BATCHES=$(echo "$2" | tr , ' '); shift ;;
	--only) [ $# -ge 2 ] || die "--only needs a value"; ONLY=$2; shift
		case $ONLY in chain|writer) ;; *) die "--only chain or writer" ;; esac ;;
	--window) [ $# -ge 2 ] || die "--window needs a value"; WINDOW=$2; shift ;;
	--seed) [ $# -ge 2 ] || die "--seed needs a value"; SEED=$2; shift ;;
	--repeat) [ $# -ge 2 ] || die "--repeat needs a value"; REPEAT=$2; shift ;;
	--keep) KEEP=1 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see $0 --help)" ;;
	esac
	shift
done
for v in $SIZES $BATCHES $WINDOW $SEED $REPEAT; do
	case $v in ''|*[!0-9]*) die "not a number: $v" ;; esac
done

TOPIC=ccx.ocp.results
GROUP_OPTS="-X session.timeout.ms=3000 -X heartbeat.interval.ms=500"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccx-bench.XXXXXX") || die "mktemp failed"
chmod 755 "$WORK"
DATA=$WORK/data
mkdir "$DATA"
RESULTS=$WORK/results
: >"$RESULTS"
MOCK_PID=
CHAIN_PID=
PG_DIR=$WORK/pg

# shellcheck source=../lib-pg.sh
. "$TESTS_DIR/lib-pg.sh"

cleanup() {
	# Only runs in progress have pid files: each run removes its own.
	for f in "$WORK"/kr.pid "$WORK"/dw.pid "$WORK"/dwa.pid "$WORK"/prod.pid; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	[ -n "$CHAIN_PID" ] && kill -9 "$CHAIN_PID" 2>/dev/null
	mock_down
	[ -d "$PG_DIR/data" ] && pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" \
		-m immediate -w stop >/dev/null 2>&1
	if [ -n "$KEEP" ]; then
		echo "# scratch directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL ------------------------------------------------------------

pg_up() {
	pg_init_retry "$PG_DIR" || die "unable to start PostgreSQL"
	PGHOST=$PG_DIR PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=bench
	PGOPTIONS="-c client_min_messages=warning"
	export PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS
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

# --- mock broker -----------------------------------------------------------

mock_up() {
	rm -f "$WORK/mock.in" "$WORK/mock.ready" "$WORK/mock.out" "$WORK/mock.err"
	mkfifo "$WORK/mock.in" || die "mkfifo failed"
	"$MOCK" -t "$TOPIC:1" -f "$WORK/mock.ready" <"$WORK/mock.in" \
		>"$WORK/mock.out" 2>"$WORK/mock.err" &
	MOCK_PID=$!
	exec 9<>"$WORK/mock.in"
	_i=0
	while [ ! -s "$WORK/mock.ready" ]; do
		_i=$((_i + 1))
		[ $_i -le 100 ] && kill -0 "$MOCK_PID" 2>/dev/null ||
			{ cat "$WORK/mock.err" >&2; die "the mock broker did not start"; }
		sleep 0.1
	done
	BROKERS=$(cat "$WORK/mock.ready")
}

mock_down() {
	[ -n "$MOCK_PID" ] || return 0
	echo quit >&9 2>/dev/null
	_i=0
	while kill -0 "$MOCK_PID" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	kill -9 "$MOCK_PID" 2>/dev/null
	wait "$MOCK_PID" 2>/dev/null
	exec 9>&-
	MOCK_PID=
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

run_chain() {	# N BATCH
	fresh_db
	mock_up
	rm -f "$WORK/acks.fifo" "$WORK"/kr.* "$WORK"/dw.* "$WORK"/prod.*
	mkfifo "$WORK/acks.fifo" || die "mkfifo failed"
	_g=bench-$1-$2
	_c0=$(pg_cpu_ms)
	# shellcheck disable=SC2086
	( "$HELPER" bench-run "$WORK/kr.pid" "$WORK/kr.res" "$BIN/kafka-reader" \
		-b "$BROKERS" -G "$_g" -t "$TOPIC" -a "$WORK/acks.fifo" \
		-X auto.offset.reset=earliest $GROUP_OPTS \
		-X auto.commit.interval.ms=100 -X fetch.wait.max.ms=10 2>"$WORK/kr.err" |
	  "$HELPER" bench-run "$WORK/dw.pid" "$WORK/dw.res" "$BIN/db-writer" \
		-b "$2" 2>"$WORK/dw.err" >"$WORK/acks.fifo" ) &
	CHAIN_PID=$!
	wait_file "$WORK/kr.pid" 10 && wait_file "$WORK/dw.pid" 10 ||
		die "chain n=$1 b=$2: the chain did not start"
	_i=0
	until grep -q "assigned 1 partition" "$WORK/kr.err" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le 300 ] && kill -0 "$CHAIN_PID" 2>/dev/null ||
			{ cat "$WORK/kr.err" "$WORK/dw.err" >&2; die "chain n=$1 b=$2: no partition assigned"; }
		sleep 0.1
	done
	_kr=$(cat "$WORK/kr.pid")
	"$HELPER" bench-run "$WORK/prod.pid" "$WORK/prod.res" "$HELPER" bench-produce \
		"$BROKERS" "$TOPIC" "$_g" "$DATA/values" "$1" "$_kr" "$WINDOW" 60 \
		>"$WORK/prod.out" 2>"$WORK/prod.err"
	_prc=$?
	rm -f "$WORK/prod.pid"
	_mock_cpu=$(awk '{ s = $0; sub(/^[^)]*\) /, "", s); split(s, a, " "); print a[12] + a[13] }' \
		"/proc/$MOCK_PID/stat" 2>/dev/null)
	kill -TERM "$_kr" 2>/dev/null
	wait_gone "$CHAIN_PID" 60 || echo "bench: chain n=$1 b=$2: killed after 60 s" >&2
	wait "$CHAIN_PID" 2>/dev/null
	CHAIN_PID=
	for _f in kr dw; do
		# A wrapper whose child outlived the chain: kill that child.
		[ -f "$WORK/$_f.res" ] || kill -9 "$(cat "$WORK/$_f.pid")" 2>/dev/null
		rm -f "$WORK/$_f.pid"
	done
	sleep 0.2
	_c1=$(pg_cpu_ms)
	_committed=$("$HELPER" kafka-committed "$BROKERS" "$_g" "$TOPIC" 1 | awk '{ print $2 }')
	mock_down
	if [ "$_prc" != 0 ]; then
		cat "$WORK/prod.err" >&2
		tail -n 5 "$WORK/kr.err" "$WORK/dw.err" >&2
		lost "chain n=$1 b=$2: the producer exited $_prc"
		return 1
	fi
	[ "$_committed" = "$1" ] || lost "chain n=$1 b=$2: committed offset $_committed, expected $1"
	grep -i "out of range\|offset reset" "$WORK/kr.err" >&2 &&
		lost "chain n=$1 b=$2: the consumer skipped records"
	[ "$(field evicted "$WORK/prod.out")" = 0 ] ||
		echo "bench: chain n=$1 b=$2: up to $(field evicted "$WORK/prod.out") records left the broker before kafka-reader wrote them" >&2
	check_db "chain n=$1 b=$2" "$1" || return 1
	_p=$WORK/prod.out
	record chain "$1" "$2" "$(awk -v w="$(field elapsed_ms "$_p")" 'BEGIN { printf "%.3f", w / 1000 }')" \
		"$(field value_bytes "$_p")" \
		"kr_rss_kb=$(field maxrss_kb "$WORK/kr.res")" "dw_rss_kb=$(field maxrss_kb "$WORK/dw.res")" \
		"kr_cpu_ms=$(( $(field user_ms "$WORK/kr.res") + $(field sys_ms "$WORK/kr.res") ))" \
		"dw_cpu_ms=$(( $(field user_ms "$WORK/dw.res") + $(field sys_ms "$WORK/dw.res") ))" \
		"pg_cpu_ms=$((_c1 - _c0))" \
		"mock_cpu_ms=$(( ${_mock_cpu:-0} * 1000 / $(getconf CLK_TCK) ))" \
		"prod_cpu_ms=$(( $(field user_ms "$WORK/prod.res") + $(field sys_ms "$WORK/prod.res") ))" \
		"throttled_ms=$(field throttled_ms "$_p")" "max_ahead_kb=$(field max_ahead_kb "$_p")"
}

# --- main ------------------------------------------------------------------

MACHINE="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n 1)"
say "results-path benchmark: N = $SIZES, batch sizes $BATCHES, $REPEAT run(s) each"
say "machine: $MACHINE; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "scratch directory $WORK"
_t0=$(date +%s)
# shellcheck disable=SC2086
python3 "$BENCH_DIR/gen.py" --seed "$SEED" "$DATA" $SIZES || die "the generator failed"
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
			for b in $BATCHES; do
				say "$config n=$n b=$b (run $r of $REPEAT)"
				"run_$config" "$n" "$b" || continue
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
	# Machine-readable lines: per configuration the run of median time,
	# with the ratio to the median COPY of the same N.
	awk -v n="$n" '
	{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] }
		if (v[NR, "n"] != n) next
		key = v[NR, "config"] " " v[NR, "batch"]
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
		split("kr_rss_kb dw_rss_kb kr_cpu_ms dw_cpu_ms pg_cpu_ms mock_cpu_ms prod_cpu_ms throttled_ms max_ahead_kb", f, " ")
		for (j = 1; j <= nk; j++) {
			r = median(order[j]); s = v[r, "seconds"]
			printf "BENCH config=%s n=%s batch=%s seconds=%s records_per_s=%.0f mb_per_s=%.2f ratio_copy=%s runs=%d min_s=%s max_s=%s",
			    v[r, "config"], n, v[r, "batch"], s, n / s, v[r, "bytes"] / s / 1e6,
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
echo "chain, COPY text for copy; xCOPY = COPY seconds / seconds; RSS = peak)"
awk '
BEGIN {
	printf "%-7s %8s %6s %9s %17s %9s %8s %6s %9s %9s %8s %8s %8s\n", "config", "N",
	    "batch", "seconds", "(min-max)", "rec/s", "MB/s", "xCOPY", "kr_rssMB", "dw_rssMB",
	    "kr_cpu_s", "dw_cpu_s", "pg_cpu_s"
}
{
	delete v
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-7s %8s %6s %9.2f %17s %9s %8s %6s %9s %9s %8s %8s %8s\n", v["config"],
	    v["n"], v["batch"], v["seconds"], sprintf("(%.2f-%.2f)", v["min_s"], v["max_s"]),
	    v["records_per_s"], v["mb_per_s"],
	    v["ratio_copy"], mb(v["kr_rss_kb"]), mb(v["dw_rss_kb"]),
	    sec(v["kr_cpu_ms"]), sec(v["dw_cpu_ms"]), sec(v["pg_cpu_ms"])
}
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
	if (v["n"] == 100000) {
		verdict = v["ratio_copy"] + 0 >= 0.5 ? "met" : "NOT met"
		if (v["config"] != "chain") verdict = "(db-writer alone)"
		printf "goal (chain >= 0.5 x COPY at 100k): %s b=%s: %s x COPY: %s\n",
		    v["config"], v["batch"], v["ratio_copy"], verdict
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
