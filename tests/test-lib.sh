# test-lib.sh: a small TAP test library in the style of git's t/test-lib.sh.
#
# A test script sets test_description, sources this file, names the
# tests/lib-*.sh files it needs (test_use pg kafka ...), runs
# test_expect_success / test_expect_failure blocks and ends with test_done.
# After the TAP functions come helpers that several scripts share.
# Each script runs in its own scratch directory (trash.<script>/), which is
# removed when every test passed.  Options: -v (show command output),
# -i (stop at the first failure), -d (keep the scratch directory).

test_verbose=${TEST_VERBOSE:-}
test_immediate=
test_keep=
for arg; do
	case $arg in
	-v|--verbose) test_verbose=t ;;
	-i|--immediate) test_immediate=t ;;
	-d|--debug) test_keep=t ;;
	esac
done

# A driver that runs no tests but wants the functions (tests/chaos/chaos.sh)
# sets TEST_LIB_FUNCTIONS_ONLY, and TEST_DIRECTORY, TRASH_DIRECTORY, PATH
# and the locale itself: then no scratch directory is made, nothing is
# exported and no trap is set.
if [ -z "${TEST_LIB_FUNCTIONS_ONLY:-}" ]; then
	TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
	CCX_BUILD=${CCX_BUILD:-$TEST_DIRECTORY/../build}
	PATH=$CCX_BUILD/bin:$CCX_BUILD/tests:$TEST_DIRECTORY/bin:$PATH
	# CCX_VALGRIND=1 (make check-valgrind): every program and the helper run
	# under valgrind memcheck; a memory error or a definite leak exits 126.
	if [ -n "${CCX_VALGRIND:-}" ]; then
		_vg=${TMPDIR:-/tmp}/ccx-vg.$$
		mkdir -p "$_vg"
		for _p in "$CCX_BUILD"/bin/* "$CCX_BUILD"/tests/helper; do
			printf '#!/bin/sh\nexec valgrind -q --error-exitcode=126 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite "%s" "$@"\n' \
				"$_p" >"$_vg/${_p##*/}"
			chmod +x "$_vg/${_p##*/}"
		done
		PATH=$_vg:$PATH
	fi
	SHARED_TESTDATA=${SHARED_TESTDATA:-$TEST_DIRECTORY/../../shared/testdata}
	export PATH CCX_BUILD TEST_DIRECTORY SHARED_TESTDATA
	LC_ALL=C
	TZ=UTC
	export LC_ALL TZ

	test_name=$(basename "$0" .sh)
	TRASH_DIRECTORY=${TMPDIR:-/tmp}/ccx-trash.$test_name.$$
	rm -rf "$TRASH_DIRECTORY"
	mkdir -p "$TRASH_DIRECTORY" || exit 1
	chmod 755 "$TRASH_DIRECTORY"
	cd "$TRASH_DIRECTORY" || exit 1
	# db-writer -r keeps unrecorded outcomes here, not in /var/lib.
	CCX_SPOOL_DIR=$TRASH_DIRECTORY/spool
	export CCX_SPOOL_DIR
fi

test_count=0
test_failures=0
test_skipped=0
test_prereqs=" "
test_cleanup_at_exit=
test_log=$TRASH_DIRECTORY/.test-output

say() { printf '%s\n' "$*"; }
say_color() { shift; say "$@"; }

error() { say "error: $*" >&2; exit 1; }

# test_use LIB...: source tests/lib-LIB.sh for each LIB (pg, kafka, http,
# records, differ, progs), at the top level of the script.
test_use() {
	for _lib; do
		. "$TEST_DIRECTORY/lib-$_lib.sh" || error "cannot read lib-$_lib.sh"
	done
}

# test_set_prereq NAME: mark a prerequisite as satisfied.
test_set_prereq() { test_prereqs="$test_prereqs$1 "; }

# test_have_prereq A,B,!C: true when every named prerequisite holds.
test_have_prereq() {
	_ifs=$IFS; IFS=,
	set -- $1
	IFS=$_ifs
	for _p; do
		case $_p in
		!*) case $test_prereqs in *" ${_p#!} "*) return 1 ;; esac ;;
		*) case $test_prereqs in *" $_p "*) ;; *) return 1 ;; esac ;;
		esac
	done
	return 0
}

# skip_all REASON: skip the whole script (TAP "1..0 # SKIP").
skip_all() {
	say "1..0 # SKIP $*"
	test_keep=
	test_cleanup_exit
	exit 0
}

# test_when_finished CMD: run CMD after the current test, pass or fail.
test_when_finished() { test_cleanup="$*; $test_cleanup"; }

# test_atexit CMD: run CMD when the script ends (daemons and the like).
test_atexit() { test_cleanup_at_exit="$*; $test_cleanup_at_exit"; }

test_cleanup_exit() {
	[ -n "$test_cleanup_at_exit" ] && (eval "$test_cleanup_at_exit") >/dev/null 2>&1
	[ -n "${_vg:-}" ] && rm -rf "$_vg"
	test_cleanup_at_exit=
	cd /
	if [ -z "$test_keep" ] && [ "$test_failures" = 0 ]; then
		rm -rf "$TRASH_DIRECTORY"
	else
		say "# scratch directory kept: $TRASH_DIRECTORY" >&2
	fi
}
if [ -z "${TEST_LIB_FUNCTIONS_ONLY:-}" ]; then
	trap 'test_cleanup_exit' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
fi

# The body runs in a subshell, so test_when_finished registers its cleanup
# there and the subshell runs it on the way out.
test_run_() {
	if [ -n "$test_verbose" ]; then
		(cd "$TRASH_DIRECTORY" && test_cleanup=: && eval "$1"
		 _s=$?; eval "$test_cleanup" >/dev/null 2>&1; exit $_s)
	else
		(cd "$TRASH_DIRECTORY" && test_cleanup=: && eval "$1"
		 _s=$?; eval "$test_cleanup" >/dev/null 2>&1; exit $_s) >"$test_log" 2>&1
	fi
}

test_report_fail_() {
	test_failures=$((test_failures + 1))
	say "not ok $test_count - $1"
	printf '%s\n' "$2" | sed 's/^/#	/'
	if [ -z "$test_verbose" ] && [ -s "$test_log" ]; then
		tail -n 40 "$test_log" | sed 's/^/# > /'
	fi
	[ -n "$test_immediate" ] && { test_done; }
}

# test_expect_success [PREREQ] DESCRIPTION BODY
test_expect_success() {
	_prereq=
	[ $# = 3 ] && { _prereq=$1; shift; }
	test_count=$((test_count + 1))
	if [ -n "$_prereq" ] && ! test_have_prereq "$_prereq"; then
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $1 (missing $_prereq)"
		return 0
	fi
	if test_run_ "$2"; then
		say "ok $test_count - $1"
	else
		test_report_fail_ "$1" "$2"
	fi
}

# test_expect_failure: a known breakage (TAP TODO).
test_expect_failure() {
	_prereq=
	[ $# = 3 ] && { _prereq=$1; shift; }
	test_count=$((test_count + 1))
	if [ -n "$_prereq" ] && ! test_have_prereq "$_prereq"; then
		say "ok $test_count # skip $1 (missing $_prereq)"
		return 0
	fi
	if test_run_ "$2"; then
		say "ok $test_count - $1 # TODO known breakage vanished"
	else
		say "not ok $test_count - $1 # TODO known breakage"
	fi
}

test_done() {
	say "1..$test_count"
	if [ "$test_failures" -gt 0 ]; then
		say "# failed $test_failures among $test_count test(s)"
		exit 1
	fi
	exit 0
}

# test_must_fail CMD...: CMD exits non-zero, but was not killed by a signal.
test_must_fail() {
	"$@"
	_s=$?
	if [ $_s = 0 ]; then
		say "test_must_fail: command succeeded: $*" >&2; return 1
	elif [ $_s -gt 128 ] && [ $_s -le 192 ]; then
		say "test_must_fail: killed by signal $((_s - 128)): $*" >&2; return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD exits with status N.
test_expect_code() {
	_want=$1; shift
	"$@"
	_s=$?
	[ $_s = "$_want" ] && return 0
	say "test_expect_code: want $_want, got $_s: $*" >&2
	return 1
}

# test_expect_code_in "N M..." CMD...: CMD exits with one of the statuses.
test_expect_code_in() {
	_want=$1; shift
	"$@"
	_s=$?
	case " $_want " in *" $_s "*) return 0 ;; esac
	say "test_expect_code_in: want one of $_want, got $_s: $*" >&2
	return 1
}

# test_cmp EXPECT ACTUAL
test_cmp() { diff -u "$@"; }

# test_line_count OP N FILE
test_line_count() {
	_n=$(wc -l <"$3" | tr -d ' ')
	test "$_n" "$1" "$2" || { say "test_line_count: $3 has $_n lines, want $1 $2" >&2; return 1; }
}

# test_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
test_wait_for() {
	_deadline=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_deadline" ] && { say "timed out waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

# test_grep PATTERN FILE: grep that shows the file on failure.
test_grep() {
	grep "$@" && return 0
	eval "_f=\${$#}"
	say "test_grep: no match for '$1' in $_f:" >&2
	sed 's/^/| /' "$_f" >&2 2>/dev/null
	return 1
}

# --- Helpers that several scripts share.  They call the functions of the
# lib-*.sh files a script names in test_use (pg for sql, records for
# record_line, differ for cl, http for the stubs, kafka for BROKERS).

# aggregator_db (after pg_ready): a second database, AGG_DB (AGG: its
# connection string), with the tables of disabled rules of the
# aggregator's schema (tests/demo/aggregator.sql), dropped at exit; or skip
# the whole script.  agg SQL runs SQL in it.
aggregator_db() {
	AGG_DB=${PGDATABASE}_agg
	AGG="dbname=$AGG_DB"
	pg_fresh_db "$AGG_DB" 2>/dev/null || skip_all "cannot create a second database"
	test_atexit "psql -qX -d postgres -c 'DROP DATABASE IF EXISTS $AGG_DB WITH (FORCE)'"
	psql -qX -v ON_ERROR_STOP=1 -d "$AGG_DB" -f "$TEST_DIRECTORY/demo/aggregator.sql" >/dev/null ||
		skip_all "cannot create the aggregator's tables"
}
agg() { psql -qXAt -v ON_ERROR_STOP=1 -d "$AGG_DB" -c "$1"; }

# differ_content: the rule content of the differ tests (t3000, t3100):
# alpha_rule, an external rule, with ALPHA_CRIT (impact 4, likelihood 4; a
# description with quotes, markup and a non-ASCII letter), ALPHA_IMP (3/3)
# and ALPHA_LOW (1/1), all tagged osd_customer; beta_rule, an internal one,
# with BETA_MOD (2/2, tagged openshift only) and BETA_ODD (3/1, no tags).
differ_content() {
	cat <<-\EOF
	{"Config": {"impact": {"Big": 4}},
	 "Rules": {
	  "alpha_rule": {
	   "plugin": {"name": "alpha", "node_id": "", "product_code": "",
	              "python_module": "ccx_rules_ocp.external.rules.alpha_rule"},
	   "error_keys": {
	    "ALPHA_CRIT": {"metadata": {"description": "Alpha \"critical\" <b>&</b> / \u00e9",
	                   "impact": {"name": "Big", "impact": 4}, "likelihood": 4,
	                   "publish_date": "2020-01-01", "status": "active",
	                   "tags": ["osd_customer", "openshift"]}, "total_risk": 1},
	    "ALPHA_IMP": {"metadata": {"description": "Alpha important",
	                  "impact": {"name": "Hung", "impact": 3}, "likelihood": 3,
	                  "tags": ["osd_customer"]}, "total_risk": 3},
	    "ALPHA_LOW": {"metadata": {"description": "Alpha low",
	                  "impact": {"name": "Hard", "impact": 1}, "likelihood": 1,
	                  "tags": ["osd_customer"]}, "total_risk": 1}},
	   "generic": "alpha generic", "summary": "", "resolution": "",
	   "more_info": "", "reason": "alpha reason", "HasReason": true},
	  "beta_rule": {
	   "plugin": {"name": "beta", "python_module": "ccx_rules_ocp.internal.beta_rule"},
	   "error_keys": {
	    "BETA_MOD": {"metadata": {"description": "Beta moderate",
	                 "impact": {"name": "Fail", "impact": 2}, "likelihood": 2,
	                 "tags": ["openshift"]}},
	    "BETA_ODD": {"metadata": {"description": "Beta odd",
	                 "impact": {"name": "Hung", "impact": 3}, "likelihood": 1,
	                 "tags": null}}},
	   "generic": "beta generic"}}}
	EOF
}

# demo_report RULE...: a stored report with one item per RULE, a rule of
# tests/demo/content.json (demo_nodes_memory, demo_etcd_backup,
# demo_image_registry or demo_ingress_cert) with its error key.
demo_report() {
	_sep=
	printf '{"reports":['
	for _r; do
		case $_r in
		demo_nodes_memory) _k=NODES_MEMORY_LOW ;;
		demo_etcd_backup) _k=ETCD_NO_BACKUP ;;
		demo_image_registry) _k=REGISTRY_EMPTYDIR ;;
		demo_ingress_cert) _k=INGRESS_CERT_EXPIRING ;;
		*) _k= ;;
		esac
		printf '%s{"rule_id":"%s|X","component":"ccx_rules_ocp.external.rules.%s.report","type":"rule","key":"%s","details":{"n":1}}' \
			"$_sep" "$_r" "$_r" "$_k"
		_sep=,
	done
	printf ']}'
}

# new_report ORG CLUSTER REPORT [AGE]: a new_reports row of cluster CLUSTER
# (account ORG + 1000), updated AGE (default 0 s) and one second ago.
new_report() {
	psql -qXAt -v ON_ERROR_STOP=1 -v org="$1" -v cl="$2" -v rep="$3" -v age="${4:-0 s}" <<-\SQL
	INSERT INTO new_reports VALUES (:org, :org + 1000, :'cl', :'rep',
	    now() AT TIME ZONE 'UTC' - :'age'::interval - interval '1 s', 5);
	SQL
}

# sql_quote TEXT: TEXT for the inside of an SQL string literal.
sql_quote() { printf '%s' "$1" | sed "s/'/''/g"; }

# newrep ORG N REPORT [UPDATED_AT]: a new_reports row of cluster N (cl N of
# lib-differ.sh), account ORG + 100, offset N, updated at UPDATED_AT
# (default 2026-11-30 10:00:00).
newrep() {
	sql "INSERT INTO new_reports (org_id, account_number, cluster, report, updated_at, kafka_offset)
	     VALUES ($1, $1 + 100, '$(cl "$2")', '$(sql_quote "$3")', '${4:-2026-11-30 10:00:00}', $2)"
}

# sent ORG N REPORT AGE [TARGET [STATE]]: a reported row of cluster N for
# TARGET (event_type_id, default 1) in STATE (default 1, sent), notified
# AGE ago.
sent() {
	sql "INSERT INTO reported (org_id, account_number, cluster, notification_type, state,
	     report, updated_at, notified_at, error_log, event_type_id)
	     VALUES ($1, $1 + 100, '$(cl "$2")', 1, ${6:-1}, '$(sql_quote "$3")',
	     '2026-11-01 00:00:00', NOW() - interval '$4', '', ${5:-1})"
}

# pg_own_reconfigure HBA-LINE... <SETTINGS: the script's own cluster
# (pg_start_own) with the HBA-LINEs first in pg_hba.conf and SETTINGS added
# to postgresql.conf, restarted.
pg_own_reconfigure() {
	{ printf '%s\n' "$@" && cat "$PG_OWN_DIR/data/pg_hba.conf"; } >hba.tmp &&
	cat hba.tmp >"$PG_OWN_DIR/data/pg_hba.conf" &&
	cat >>"$PG_OWN_DIR/data/postgresql.conf" &&
	pg_stop && pg_start
}

# committed GROUP TOPIC N: the offsets GROUP committed on the N partitions of
# TOPIC at $BROKERS, "PARTITION OFFSET" a line; committed_are GROUP TOPIC N
# LINE...: they are exactly these lines.
committed() { helper kafka-committed "$BROKERS" "$1" "$2" "$3"; }
committed_are() {
	_g=$1 _t=$2 _n=$3
	shift 3
	printf '%s\n' "$@" >expect.committed &&
	committed "$_g" "$_t" "$_n" >actual.committed &&
	test_cmp expect.committed actual.committed
}

# acks_are FILE TOPIC PARTITION/OFFSET/STATUS...: FILE holds exactly these
# acknowledgements (proto/lines.md), one a line, in this order.
acks_are() {
	_file=$1 _topic=$2
	shift 2
	for _a; do
		_o=${_a#*/}
		printf '{"topic":"%s","partition":%s,"offset":%s,"status":"%s"}\n' \
			"$_topic" "${_a%%/*}" "${_o%/*}" "${_a##*/}"
	done >expect.acks &&
	test_cmp expect.acks "$_file"
}

# records TOPIC PARTITION OFFSET VALUE...: a record line (lib-records.sh) a
# VALUE, at OFFSET, OFFSET + 1, ...; a VALUE of - is a tombstone.
records() {
	_topic=$1 _part=$2 _off=$3
	shift 3
	for _v; do
		if [ "$_v" = - ]; then
			record_tombstone "$_topic" "$_part" "$_off"
		else
			record_line "$_topic" "$_part" "$_off" "$_v"
		fi || return 1
		_off=$((_off + 1))
	done
}

# stub_servicelog_poster [ARG...]: servicelog-poster posting to the stubs
# RD (renderer), SSO (sso) and SL (servicelog) of lib-http.sh as client
# CLIENT_ID with the secret SECRET, 2 s timeouts, retries 50 ms apart.
stub_servicelog_poster() {
	CCX_SERVICELOG_CLIENT_SECRET=SECRET servicelog-poster \
		--renderer-url "$RD_URL" --client-id CLIENT_ID \
		--token-url "$SSO_URL/token" \
		--url "$SL_URL/api/service_logs/v1/cluster_logs/" \
		--timeout 2 --retry-base-ms 50 "$@"
}

test_have_prereq PYTHON || { command -v python3 >/dev/null && test_set_prereq PYTHON; }
[ -d "${SHARED_TESTDATA:-}" ] && test_set_prereq SHARED
true
