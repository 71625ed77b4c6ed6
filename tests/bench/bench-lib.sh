# bench-lib.sh: what the benchmarks of tests/bench share.  Each of them
# sources it right after `set -u`, with its name for messages and files:
#
#   BENCH_NAME=bench-notify
#   . "$(dirname "$0")/bench-lib.sh"
#
# It checks CCX_BUILD, sets HERE (tests/bench) and TESTS (tests), puts the
# build's programs and test tools first on PATH, exports LC_ALL=C and
# TZ=UTC, sources tests/lib-pg.sh and defines:
#
#   die MESSAGE           prints "BENCH_NAME: MESSAGE" and exits 1
#   bench_args ARGS...    the command line, option by option, through the
#                         script's bench_opt (below); -h and --help print
#                         the script's header comment
#   bench_list A,B,...    "A B ...": a list option's value
#   bench_numbers V...    dies unless each V is a whole number
#   bench_scratch         makes the scratch directory DIR and sets the traps
#                         that clean up at exit: the script's bench_atexit,
#                         then the mock broker and the cluster in DIR/pg
#                         stopped, DIR removed (kept when BENCH_KEEP is set)
#   bench_pg_up DB        a throwaway cluster in DIR/pg (fsync off, as the
#                         tests), PGHOST, PGPORT, PGUSER and PGDATABASE=DB
#                         exported
#   mock_up TOPIC:P       a mock broker (tests/mockbroker) with P partitions
#                         of TOPIC, its files in DIR, its commands on fd 9;
#                         sets MOCK_PID and BROKERS
#   mock_down             stops it (quit, then SIGKILL after 5 s)

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

: "${CCX_BUILD:?set CCX_BUILD to the build directory (make bench does)}"
HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$HERE")
PATH=$CCX_BUILD/bin:$CCX_BUILD/tests:$PATH
export PATH LC_ALL=C TZ=UTC
# shellcheck source=../lib-pg.sh
. "$TESTS/lib-pg.sh"
MOCK_PID=
BENCH_KEEP=
bench_atexit() { :; }

# bench_args ARGS...: calls bench_opt OPTION VALUE for each option; it
# sets what OPTION asks and returns 1 when it used OPTION alone, 2 when it
# used VALUE too, 0 when it does not know OPTION.
bench_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h|--help) sed -n '1d; /^#/!q; s/^# \{0,1\}//p' "$0"; exit 0 ;;
		esac
		bench_opt "$1" "${2-}"
		_n=$?
		[ "$_n" != 0 ] || die "unknown option $1 (see $0 --help)"
		[ "$#" -ge "$_n" ] || die "$1 needs a value"
		shift "$_n"
	done
}

bench_list() { echo "$1" | tr , ' '; }

bench_numbers() {
	for _v in "$@"; do
		case $_v in ''|*[!0-9]*) die "not a number: $_v" ;; esac
	done
}

bench_scratch() {
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/ccx-$BENCH_NAME.XXXXXX") ||
		die "unable to make a scratch directory"
	chmod 755 "$DIR"	# the cluster owner (postgres, when root) enters it
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	bench_atexit
	mock_down
	[ -d "$DIR/pg/data" ] && pg_as_owner "$(pg_bindir)/pg_ctl" -D "$DIR/pg/data" \
		-m immediate -w stop >/dev/null 2>&1
	if [ -n "$BENCH_KEEP" ]; then
		echo "# scratch directory kept: $DIR"
	else
		rm -rf "$DIR"
	fi
}

bench_pg_up() {
	pg_init_retry "$DIR/pg" || die "unable to start PostgreSQL"
	PGHOST=$DIR/pg PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=$1
	export PGHOST PGPORT PGUSER PGDATABASE
}

mock_up() {
	rm -f "$DIR/mock.in" "$DIR/mock.ready" "$DIR/mock.out" "$DIR/mock.err"
	mkfifo "$DIR/mock.in" || die "mkfifo failed"
	mockbroker -t "$1" -f "$DIR/mock.ready" <"$DIR/mock.in" \
		>"$DIR/mock.out" 2>"$DIR/mock.err" &
	MOCK_PID=$!
	exec 9<>"$DIR/mock.in"
	_i=0
	while [ ! -s "$DIR/mock.ready" ]; do
		_i=$((_i + 1))
		[ $_i -le 100 ] && kill -0 "$MOCK_PID" 2>/dev/null ||
			{ cat "$DIR/mock.err" >&2; die "the mock broker did not start"; }
		sleep 0.1
	done
	BROKERS=$(cat "$DIR/mock.ready")
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
