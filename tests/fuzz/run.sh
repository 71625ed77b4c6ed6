#!/bin/sh
# run.sh [NAME...]: builds the libFuzzer targets tests/fuzz/fuzz-NAME.c with
# clang into build-fuzz/ (common/ compiled with the same sanitizers), runs
# each for FUZZ_SECONDS (default 60) from its seeds in tests/fuzz/corpus/NAME
# (with tests/fuzz/NAME.dict, if any; the corpus grows in build-fuzz/corpus/)
# and prints a table of executions and coverage.  Exits 1 when a target
# crashed, leaked, hung or tripped a sanitizer; the input is kept under
# build-fuzz/crashes/ with a minimised copy beside it (NAME-*.min).
#
# run.sh --replay DIR: builds replay-NAME in DIR instead, each target linked
# with tests/fuzz/replay.c and $CCX_BUILD/libccx.a using $CC (default cc),
# $CFLAGS (default -O2 -g) and $LDFLAGS; t0500 runs them on the corpora.
#
# Environment: FUZZ_SECONDS, FUZZ_CC (clang), FUZZ_BUILD (build-fuzz),
# FUZZ_ARGS (more libFuzzer options), FUZZ_MINIMIZE (1: minimise crashes),
# SHARED_TESTDATA (../shared/testdata: *.gob seeds for gob, if present).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$top" || exit 1

TARGETS="lineio record evfilter gob content-json lines toml yaml config jsonstr"
PKGS="rdkafka libpq libcurl json-c libbsd-overlay yaml-0.1"
# As in the GNUmakefile.
WARN="-Wall -Wextra -Werror -Wvla -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
STD="-std=c11 -D_GNU_SOURCE -Icommon -Itests/fuzz"

max_len() {
	case $1 in
	lineio) echo 4096 ;;
	record) echo 32768 ;;
	evfilter) echo 1024 ;;
	gob) echo 16384 ;;
	content-json) echo 8192 ;;
	lines) echo 16384 ;;
	jsonstr) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

die() { echo "run.sh: $*" >&2; exit 1; }

pkg_cflags=$(pkg-config --cflags $PKGS) || die "pkg-config failed for $PKGS"
pkg_libs=$(pkg-config --libs $PKGS) || die "pkg-config failed for $PKGS"

# replay DIR: the targets as plain programs, for t0500.
replay() {
	out=$1
	cc=${CC:-cc}
	cflags=${CFLAGS:--O2 -g}
	ldflags=${LDFLAGS:-}
	lib=${CCX_BUILD:-$top/build}/libccx.a
	[ -f "$lib" ] || die "no $lib: build the project first"
	# A sanitized libccx.a (check-asan) needs a sanitized driver.
	case $cflags in
	*-fsanitize=*) ;;
	*)
		if nm "$lib" 2>/dev/null | grep -q __asan_; then
			cflags="$cflags -fsanitize=address,undefined -fno-omit-frame-pointer"
			ldflags="$ldflags -fsanitize=address,undefined"
		fi
		;;
	esac
	mkdir -p "$out" || exit 1
	for t in $TARGETS; do
		echo "CC replay-$t"
		$cc $STD $WARN $pkg_cflags $cflags $ldflags \
		    -o "$out/replay-$t" tests/fuzz/fuzz-$t.c tests/fuzz/replay.c \
		    "$lib" $pkg_libs -lm || exit 1
	done
}

if [ "${1:-}" = --replay ]; then
	[ $# = 2 ] || die "usage: run.sh --replay DIR"
	replay "$2"
	exit 0
fi

[ $# -gt 0 ] && TARGETS=$*
seconds=${FUZZ_SECONDS:-60}
fcc=${FUZZ_CC:-clang}
out=${FUZZ_BUILD:-$top/build-fuzz}
shared=${SHARED_TESTDATA:-$top/../shared/testdata}
command -v "$fcc" >/dev/null || die "no $fcc (libFuzzer needs clang)"
SAN="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

# common/ with coverage and sanitizers, rebuilt when a source is newer.
mkdir -p "$out/obj" "$out/corpus" "$out/crashes" || exit 1
objs=
for src in common/*.c; do
	o=$out/obj/$(basename "$src" .c).o
	stale=
	[ -f "$o" ] || stale=1
	for dep in "$src" common/*.h tests/fuzz/run.sh; do
		[ -n "$stale" ] && break
		[ "$dep" -nt "$o" ] && stale=1
	done
	if [ -n "$stale" ]; then
		echo "CC $src"
		$fcc $STD $pkg_cflags $SAN -fsanitize=fuzzer-no-link \
		    -c -o "$o" "$src" || exit 1
	fi
	objs="$objs $o"
done
rm -f "$out/libccx-fuzz.a"
ar rcs "$out/libccx-fuzz.a" $objs || exit 1
for t in $TARGETS; do
	[ -f "tests/fuzz/fuzz-$t.c" ] || die "no target tests/fuzz/fuzz-$t.c"
	echo "CC fuzz-$t"
	$fcc $STD $WARN $pkg_cflags $SAN -fsanitize=fuzzer \
	    -o "$out/fuzz-$t" "tests/fuzz/fuzz-$t.c" "$out/libccx-fuzz.a" \
	    $pkg_libs -lm || exit 1
done

# Extra seeds read where they are, copied to a scratch directory only.
extra=$(mktemp -d "${TMPDIR:-/tmp}/ccx-fuzz-seeds.XXXXXX") || exit 1
trap 'rm -rf "$extra"' EXIT
if [ -d "$shared/content" ]; then
	for f in "$shared"/content/*.gob; do
		[ -f "$f" ] && cp "$f" "$extra/"
	done
fi

status=0
table=$out/summary.txt
printf '%-13s %6s %10s %8s %6s %7s %7s %7s  %s\n' target seconds execs \
    exec/s cov ft seeds corpus result >"$table"
for t in $TARGETS; do
	log=$out/fuzz-$t.log
	mkdir -p "$out/corpus/$t"
	seeds=tests/fuzz/corpus/$t
	set -- "$out/corpus/$t" "$seeds"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
	[ "$t" = gob ] && [ -n "$(ls "$extra")" ] && set -- "$@" "$extra"
	nseeds=$(ls "$seeds" | wc -l | tr -d ' ')
	rm -f "$out/crashes/$t"-*
	echo "FUZZ $t (${seconds}s, -max_len=$(max_len "$t"))"
	t0=$(date +%s)
	"$out/fuzz-$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
	    -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/$t-" $dict ${FUZZ_ARGS:-} "$@" \
	    >"$log" 2>&1
	rc=$?
	elapsed=$(( $(date +%s) - t0 ))
	done_line=$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	execs=$(printf '%s\n' "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(printf '%s\n' "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	eps=$(printf '%s\n' "$done_line" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
	corp=$(ls "$out/corpus/$t" | wc -l | tr -d ' ')
	result=ok
	if [ $rc != 0 ] || grep -aqE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed' "$log"; then
		status=1
		result=FAILED
		crash=$(ls -t "$out/crashes/$t"-* 2>/dev/null | head -n 1)
		if [ -n "$crash" ]; then
			result="FAILED: $crash"
			if [ "${FUZZ_MINIMIZE:-1}" = 1 ]; then
				"$out/fuzz-$t" -minimize_crash=1 -runs=20000 \
				    -max_total_time=60 \
				    -exact_artifact_path="$crash.min" "$crash" \
				    >"$log.min" 2>&1
			fi
		fi
		# Without a DONE line, the last status line.
		if [ -z "$done_line" ]; then
			last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1)
			execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
			cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
			ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
			eps=$(printf '%s\n' "$last" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
		fi
		sed -n '/ERROR: \|runtime error:\|invariant failed/,/^SUMMARY/p' \
		    "$log" | head -n 40 >&2
	fi
	printf '%-13s %6s %10s %8s %6s %7s %7s %7s  %s\n' "$t" "$elapsed" \
	    "${execs:--}" "${eps:--}" "${cov:--}" "${ft:--}" "$nseeds" \
	    "$corp" "$result" >>"$table"
done
echo
cat "$table"
exit $status
