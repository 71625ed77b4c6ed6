#!/bin/sh
# run-tests.sh PROVE [ARGS] SCRIPTS...: run the test scripts with one shared
# throwaway PostgreSQL cluster (each script gets its own database in it).
TEST_DIRECTORY=$(pwd)
TRASH_DIRECTORY=${TMPDIR:-/tmp}/ccx-pg-shared.$$
test_name=shared
test_atexit() { :; }
test_set_prereq() { :; }
. ./lib-pg.sh
rm -rf "$TRASH_DIRECTORY"
mkdir -p "$TRASH_DIRECTORY" && chmod 755 "$TRASH_DIRECTORY"
port=$(pg_free_port)
if pg_init_cluster "$TRASH_DIRECTORY/pg" "$port"; then
	CCX_TEST_PGHOST=$TRASH_DIRECTORY/pg CCX_TEST_PGPORT=$port
	export CCX_TEST_PGHOST CCX_TEST_PGPORT
	PG_OWN_DIR=$TRASH_DIRECTORY/pg
	trap 'pg_destroy_own; rm -rf "$TRASH_DIRECTORY"' EXIT
else
	echo "# could not start a shared PostgreSQL; each script tries its own" >&2
fi
# A script that fails is run once more on its own: a failure that does not
# come back is reported as FLAKY (and does not fail the run); one that
# comes back fails it.
rm -f .prove
"$@" --state=save && exit 0
echo "# some scripts failed; running them once more" >&2
prove_bin=$1
shift
args=
for a; do case $a in -*) args="$args $a" ;; esac; done
if $prove_bin $args --state=failed,save; then
	echo "# FLAKY: the scripts above failed once and passed on the second run" >&2
	exit 0
fi
exit 1
