#!/bin/sh
test_description='fuzz corpora replayed through the fuzz targets, without libFuzzer'
. ./test-lib.sh

# The targets of tests/fuzz, each linked with replay.c (a main() that feeds
# it the files on its command line) and the libccx.a of this build, with
# the compiler and flags of this build: plain under "make check",
# AddressSanitizer and UBSan under "make check-asan".
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || skip_all "no C compiler ($cc) to build the replay drivers"
[ -f "$CCX_BUILD/libccx.a" ] || skip_all "no $CCX_BUILD/libccx.a (run make first)"
FUZZ=$TEST_DIRECTORY/fuzz
R=$CCX_BUILD/fuzz-replay
# Every target of run.sh that has a corpus.
TARGETS=
for t in $(sed -n 's/^TARGETS="\(.*\)"$/\1/p' "$FUZZ/run.sh"); do
	[ -d "$FUZZ/corpus/$t" ] && TARGETS="$TARGETS $t"
done

test_expect_success 'build the replay drivers' '
	sh "$FUZZ/run.sh" --replay "$R" >build.log 2>&1 ||
	{ cat build.log; false; }
'
[ -x "$R/replay-content-json" ] && test_set_prereq REPLAY

for t in $TARGETS; do
	test_expect_success REPLAY "corpus/$t: every seed keeps the invariants" "
		set -- \"\$FUZZ\"/corpus/$t/* &&
		test \$# -gt 0 &&
		\"\$R/replay-$t\" -v \"\$@\" >out &&
		echo \"replayed \$# file(s)\" >expect &&
		test_cmp expect out
	"
done

test_expect_success SHARED,REPLAY 'gob: the shared test data keeps the invariants' '
	set -- "$SHARED_TESTDATA"/content/*.gob &&
	test -f "$1" &&
	"$R/replay-gob" -v "$@" >out &&
	echo "replayed $# file(s)" >expect &&
	test_cmp expect out
'

# A reproducer in crashes/ is a bug reported and not yet fixed: each is a
# known breakage until common/ is fixed (then: "known breakage vanished",
# and the file moves to corpus/NAME as a regression seed).
for f in "$FUZZ"/crashes/*; do
	[ -f "$f" ] || continue
	b=${f##*/}
	t=
	for n in $TARGETS; do
		case $b in "$n"-*) t=$n ;; esac
	done
	[ -n "$t" ] || continue
	test_expect_failure REPLAY "crashes/$b still breaks an invariant" "
		\"\$R/replay-$t\" -v \"$f\"
	"
done

test_done
