#!/bin/sh
test_description='chaos, short: SIGKILLs, PostgreSQL and broker outages, failing notification targets, refused outcomes and overlapping runs; nothing lost, nothing duplicated'
. ./test-lib.sh
test_use pg

# tests/chaos/chaos.sh --short: 5000 records and 5 SIGKILLs of a random
# stage of the results path under the supervisor; 3000 records with
# PostgreSQL down for 6 s; 3000 records with the broker down for 8 s and
# injected Fetch, OffsetCommit and Heartbeat errors; 16 clusters through
# both notification targets while the broker, the Service Log and the
# token endpoint fail.  The kill scenario spends most of its time in the
# supervisor's restart backoff (1 + 2 + 4 + 8 + 16 s), so it runs beside
# the other three, each run with its own PostgreSQL cluster and mock
# broker.  Only loss, duplication and completion are asserted, never
# timing; every wait has a generous deadline.

command -v python3 >/dev/null || skip_all "python3 is needed for the drivers"
command -v kcat >/dev/null || skip_all "kcat is needed"
command -v curl >/dev/null || skip_all "curl is needed"
pg_bindir >/dev/null || skip_all "PostgreSQL is not installed"

CHAOS="$TEST_DIRECTORY/chaos/chaos.sh"

test_expect_success 'the short chaos runs end' '
	{
		TMPDIR=$TRASH_DIRECTORY timeout 900 sh "$CHAOS" --short --only kill \
			--results kill.res >kill.out 2>&1
		echo $? >kill.rc
	} &
	TMPDIR=$TRASH_DIRECTORY timeout 900 sh "$CHAOS" --short --only pg,broker,notify,once \
		--results rest.res >rest.out 2>&1
	echo $? >rest.rc
	wait
	cat kill.out rest.out &&
	test -s kill.res &&
	test -s rest.res
'

cat kill.res rest.res 2>/dev/null | sed 's/^/# /'

for sc in kill pg broker notify once; do
	test_expect_success "$sc: nothing lost, nothing duplicated, completed" "
		cat kill.res rest.res >all.res &&
		test_grep '^$sc  *ok  *.* lost=0 duplicated=0 ' all.res ||
		{ sed -n '/^== $sc\$/,/^  => /p' kill.out rest.out; false; }
	"
done

test_expect_success 'both runs exited 0' '
	test "$(cat kill.rc)" = 0 &&
	test "$(cat rest.rc)" = 0
'

test_done
