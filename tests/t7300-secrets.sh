#!/bin/sh
test_description='secrets: the PostgreSQL password, the Kafka SASL password and the OAuth client secret never show'
. ./test-lib.sh
test_use pg kafka http records

# Where a secret must never appear: any process's /proc/PID/cmdline (and,
# when it comes from a file, /proc/PID/environ), standard error at -v -v in
# both log formats, standard output (acks, decisions, outcome lines), and
# the database (dead_letters, reported.error_log, read_errors: everything
# pg_dump sees).  Each secret is distinctive, and every failing case also
# tries a wrong value that *contains* the secret, so an echo is caught.

test_have_prereq PYTHON || skip_all 'python3 not found'
command -v curl >/dev/null || skip_all 'curl not found'

PGSECRET=Pg-pw-7300-Zk3qLm
KSECRET=Kafka-pw-7300-Wq8rTn
OSECRET=OAuth-secret-7300-Xv2mHj
BASIC=$(printf 'CLIENT_ID:%s' "$OSECRET" | base64)
WBASIC=$(printf 'CLIENT_ID:WRONG-%s' "$OSECRET" | base64)
# The patterns live in a file: "grep -F SECRET /proc/*/cmdline" would find
# grep itself.
printf '%s\n' "$PGSECRET" "$KSECRET" "$OSECRET" "$BASIC" "$WBASIC" >secrets.pat

# no_secret FILE...: none of the secrets is in any FILE.
no_secret() {
	if grep -F -f "$TRASH_DIRECTORY/secrets.pat" "$@" >leak.txt 2>/dev/null; then
		say "a secret leaked:" >&2
		sed 's/^/| /' leak.txt >&2
		return 1
	fi
	return 0
}

# Our own cluster, reachable on 127.0.0.1 with scram-sha-256 and a role
# with a password; the Unix socket stays "trust" for the test's own psql.
# Role ccxreject has a "reject" line of its own.
pg_start_own || skip_all "PostgreSQL cannot start here"
pg_own_reconfigure "host all ccxreject 127.0.0.1/32 reject" \
	"host all all 127.0.0.1/32 scram-sha-256" <<-\EOF ||
listen_addresses = '127.0.0.1'
password_encryption = 'scram-sha-256'
EOF
	skip_all "PostgreSQL cannot listen on 127.0.0.1"
sqlin <<EOF >/dev/null || skip_all "cannot create the role"
SET password_encryption = 'scram-sha-256';
CREATE ROLE ccx LOGIN PASSWORD '$PGSECRET';
CREATE DATABASE ccx OWNER ccx;
CREATE ROLE ccxnologin NOLOGIN PASSWORD '$PGSECRET';
CREATE ROLE ccxreject LOGIN PASSWORD '$PGSECRET';
CREATE ROLE ccxnoconnect LOGIN PASSWORD '$PGSECRET';
CREATE DATABASE ccxclosed;
REVOKE CONNECT ON DATABASE ccxclosed FROM PUBLIC;
EOF
TCPDB="host=127.0.0.1 port=$PGPORT dbname=ccx user=ccx"
export TCPDB
# The test's psql: the socket, as postgres, in database ccx.
sqlccx() { psql -qXAt -v ON_ERROR_STOP=1 -d ccx -c "$1"; }

printf '127.0.0.1:%s:ccx:ccx:%s\n' "$PGPORT" "$PGSECRET" >pgpass &&
chmod 600 pgpass
printf '%s\n' "$OSECRET" >sl-secret && chmod 600 sl-secret
cat >kafka.properties <<EOF
# SASL credentials: the mock cluster does not speak SASL, so every
# connection fails, which is the interesting case.
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.username=ccx-user
sasl.password=$KSECRET
EOF

mock_start -t ccx.ocp.results:1 -t platform.notifications.ingress:1 ||
	skip_all "the mock Kafka cluster cannot start"
stub_start RD renderer &&
stub_start SSO sso --client-id CLIENT_ID --client-secret "$OSECRET" &&
stub_start SL servicelog || error 'could not start the stubs'
SLURL=$SL_URL/api/service_logs/v1/cluster_logs/
TOKURL=$SSO_URL/token
export RD_URL SLURL TOKURL

unset PGPASSWORD PGPASSFILE CCX_SERVICELOG_CLIENT_SECRET \
	CCX_SERVICELOG_CLIENT_SECRET_FILE CCX_DB
T=ccx.ocp.results
C1=00000000-0000-4000-8000-000000007301
C2=00000000-0000-4000-8000-000000007302

# rec ORG CLUSTER: a valid record with one issue of rule r7300.
rec() {
	printf '{"OrgID":%s,"AccountNumber":%s,"ClusterName":"%s","Report":{"system":{},"reports":[{"rule_id":"r7300|K","component":"ccx_rules_ocp.external.rules.r7300.report","type":"rule","key":"K","details":{}}],"fingerprints":[]},"LastChecked":"2026-11-30T10:00:00Z"}' \
		"$1" "$(( $1 * 10 ))" "$2"
}
content_json r7300 K="Rule 7300" >content.json
CONTENT=file://$TRASH_DIRECTORY/content.json
export CONTENT

# descendants PID: the pids of every process below PID.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ pp[$1] = $2 }
		END {
			for (k in pp) {
				x = k
				while ((x in pp) && x != root && x > 1)
					x = pp[x]
				if (x == root && k != root)
					print k
			}
		}'
}

# sample ROOT ROUNDS: append the cmdline and environment of every process
# below ROOT (and ROOT) to cmdlines / environs, ROUNDS times, 0.1 s apart.
sample() {
	_i=0
	while [ $_i -lt "$2" ]; do
		for _p in "$1" $(descendants "$1"); do
			tr "\\0" " " 2>/dev/null </proc/$_p/cmdline >>cmdlines &&
			echo >>cmdlines
			tr "\\0" "\\n" 2>/dev/null </proc/$_p/environ >>environs
		done
		_i=$(( _i + 1 ))
		sleep 0.1
	done
}

# A refused login is permanent: db-writer and differ exit 78 (they
# classify it with pg_connect_perm, common/pg.h).

test_expect_success 'the cluster asks TCP clients for a scram-sha-256 password' '
	test "$(sql "SELECT auth_method FROM pg_hba_file_rules WHERE user_name = '"'{all}'"' ORDER BY line_number LIMIT 1")" = scram-sha-256 &&
	test "$(sql "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '"'ccx'"'")" = "SCRAM-SHA-256\$" &&
	test_expect_code_in "78" db-writer -d "$TCPDB" version 2>err &&
	test_grep "password" err &&
	PGPASSWORD=$PGSECRET db-writer -d "$TCPDB" version >out &&
	echo 0 >expect &&
	test_cmp expect out
'

test_expect_success 'a wrong password fails without being echoed, at -v -v, text and json' '
	(PGPASSWORD=WRONG-$PGSECRET && export PGPASSWORD &&
	 test_expect_code_in "78" db-writer -v -v -d "$TCPDB" migrate 2>err1 &&
	 test_expect_code_in "78" db-writer -v -v --log-format json -d "$TCPDB" version 2>err2 &&
	 printf "%s\n" "$(record_line $T 0 0 "$(rec 1 $C1)")" |
	 test_expect_code_in "78" db-writer -v -v -R 1 -d "$TCPDB" >out3 2>err3 &&
	 test_expect_code_in "78" differ -v -T service-log -d "$TCPDB" --dump-candidates >out4 2>err4 &&
	 test_expect_code_in "78" differ -v --log-format json -T notifications-backend -c "$CONTENT" -d "$TCPDB" >out5 2>err5) &&
	test_grep "password authentication failed" err1 &&
	test_grep "password authentication failed" err2 &&
	test_grep "password authentication failed" err4 &&
	no_secret err1 err2 err3 err4 err5 out3 out4 out5
'

test_expect_success 'PGPASSWORD: migrate, ingest, dead letters at -v -v: the password never shows' '
	(PGPASSWORD=$PGSECRET && export PGPASSWORD &&
	 db-writer -v -v -d "$TCPDB" migrate 2>err1 &&
	 records $T 0 0 "$(rec 1 $C1)" "not json" "{\"OrgID\":\"x\"}" - \
		"$(rec 2 $C2)" >in &&
	 db-writer -v -v -d "$TCPDB" <in >acks 2>err2 &&
	 db-writer -v -v --log-format json -d "$TCPDB" <in >acks2 2>err3 &&
	 db-writer -v -d "$TCPDB" dead-letters >dl 2>err4 &&
	 db-writer -v -d "$TCPDB" --resubmit dead-letters >dl2 2>err5) &&
	test_line_count = 5 acks &&
	test_line_count = 3 dl &&
	test "$(sqlccx "SELECT count(*) FROM new_reports")" = 2 &&
	test "$(sqlccx "SELECT count(*) FROM dead_letters")" = 3 &&
	no_secret err1 err2 err3 err4 err5 acks acks2 dl dl2
'

test_expect_success 'PGPASSFILE: neither argv nor the environment of a running db-writer holds the password' '
	rm -f fifo cmdlines environs && mkfifo fifo &&
	{ PGPASSFILE=$TRASH_DIRECTORY/pgpass db-writer -v -v -d "$TCPDB" -w 60000 \
		<fifo >acks 2>err & } &&
	pid=$! &&
	exec 7>fifo &&
	record_line $T 0 10 "$(rec 3 $C1)" >&7 &&
	sample $pid 5 &&
	exec 7>&- &&
	wait $pid &&
	test_line_count = 1 acks &&
	test_grep "db-writer" cmdlines &&
	test_grep "PGPASSFILE=" environs &&
	no_secret cmdlines environs err acks
'

test_expect_success 'PGPASSFILE: differ, kafka-emitter with SASL, db-writer -r: nothing leaks, outcomes recorded' '
	PGPASSFILE=$TRASH_DIRECTORY/pgpass &&
	export PGPASSFILE &&
	differ -v -T service-log -d "$TCPDB" --dump-candidates >cands 2>err1 &&
	test_line_count = 2 cands &&
	differ -v -T notifications-backend -c "$CONTENT" -d "$TCPDB" >dec 2>err2 &&
	test_line_count = 2 dec &&
	test_expect_code 69 kafka-emitter -v -v -F kafka.properties \
		-b "$BROKERS" -t platform.notifications.ingress \
		-X message.timeout.ms=2000 <dec >outc 2>err3 &&
	test_line_count = 2 outc &&
	test_grep "\"state\":\"error\"" outc &&
	db-writer -v -v -r -d "$TCPDB" <outc 2>err4 &&
	test "$(sqlccx "SELECT count(*) FROM reported WHERE state = 4")" = 2 &&
	test_expect_code 69 kafka-emitter -v -v --log-format json -F kafka.properties \
		-b "$BROKERS" -t platform.notifications.ingress \
		-X message.timeout.ms=1000 <dec >outc2 2>err5 &&
	no_secret err1 err2 err3 err4 err5 cands dec outc outc2
'

test_expect_success 'kafka-reader -F with SASL at -v -v, text and json: the password never shows' '
	rm -f cmdlines environs &&
	{ kafka-reader -v -v -F kafka.properties -b "$BROKERS" -G g7300 -t $T \
		-D 1 >rec1 2>err1 & } &&
	pid=$! &&
	sample $pid 20 &&
	kill -TERM $pid && wait $pid &&
	test_grep "SASL" err1 &&
	test_grep "kafka-reader -v -v -F kafka.properties" cmdlines &&
	{ kafka-reader -v -v --log-format json -F kafka.properties -X debug=security,conf \
		-b "$BROKERS" -G g7300 -t $T -D 1 >rec2 2>err2 & } &&
	pid=$! &&
	sleep 2 &&
	kill -TERM $pid && wait $pid &&
	test_grep "sasl.password = \[redacted\]" err2 &&
	no_secret cmdlines environs err1 err2 rec1 rec2
'

test_expect_success 'kafka-reader and kafka-emitter: a refused broker, SASL failing: no echo' '
	{ kafka-reader -v -v -F kafka.properties -b 127.0.0.1:1 -G g7300 -t $T \
		-D 1 >/dev/null 2>err1 & } &&
	pid=$! &&
	sleep 2 &&
	kill -TERM $pid && wait $pid &&
	test_grep "Connection refused" err1 &&
	echo "{\"payload\":{\"x\":1}}" |
	test_expect_code 69 kafka-emitter -v -v -F kafka.properties -b 127.0.0.1:1 \
		-t t -X message.timeout.ms=1000 >out2 2>err2 &&
	no_secret err1 err2 out2
'

test_expect_success 'a secret given with -X and a bad setting next to it is not echoed' '
	test_expect_code 78 kafka-reader -X sasl.password=$KSECRET -X sasl.mechanism=BOGUS \
		-X security.protocol=SASL_PLAINTEXT -b 127.0.0.1:1 -G g -t t 2>err1 &&
	test_grep "BOGUS" err1 &&
	test_expect_code 78 kafka-emitter -X sasl.password=$KSECRET -X sasl.mechanism=BOGUS \
		-X security.protocol=SASL_PLAINTEXT -b 127.0.0.1:1 -t t </dev/null 2>err2 &&
	test_grep "BOGUS" err2 &&
	test_expect_code 78 kafka-reader -X ssl.key.password=$KSECRET \
		-X ssl.key.location=/nonexistent -X security.protocol=ssl \
		-b 127.0.0.1:1 -G g -t t 2>err3 &&
	test_expect_code 78 kafka-emitter -v -v -X ssl.key.password=$KSECRET \
		-X ssl.key.location=/nonexistent -X security.protocol=ssl \
		-b 127.0.0.1:1 -t t </dev/null 2>err4 &&
	test_expect_code 78 kafka-reader --log-format json -X sasl.password=$KSECRET \
		-X sasl.mechanism=BOGUS -X security.protocol=SASL_PLAINTEXT \
		-b 127.0.0.1:1 -G g -t t 2>err5 &&
	no_secret err1 err2 err3 err4 err5
'

test_expect_success 'kafka-emitter -F: a property line without "=" is not echoed' '
	printf "# Java style\nsasl.password: %s\n" "$KSECRET" >java.properties &&
	test_expect_code 78 kafka-emitter -F java.properties -b 127.0.0.1:1 -t t \
		</dev/null 2>err1 &&
	test_grep "java.properties:2" err1 &&
	no_secret err1
'

test_expect_success 'kafka-reader -F: a property line without "=" is not echoed' '
	printf "# Java style\nsasl.password: %s\n" "$KSECRET" >java.properties &&
	test_expect_code 78 kafka-reader -F java.properties -b 127.0.0.1:1 -G g -t t 2>err1 &&
	test_grep "java.properties:2" err1 &&
	printf "sasl.password %s\n" "$KSECRET" >blank.properties &&
	test_expect_code 78 kafka-reader --log-format json -F blank.properties \
		-b 127.0.0.1:1 -G g -t t 2>err2 &&
	no_secret err1 err2
'

test_expect_success '-X with a secret property and no "=" is not echoed' '
	test_expect_code 78 kafka-reader -X "sasl.password $KSECRET" \
		-b 127.0.0.1:1 -G g -t t 2>err1 &&
	test_expect_code 78 kafka-emitter -X "sasl.password $KSECRET" \
		-b 127.0.0.1:1 -t t </dev/null 2>err2 &&
	no_secret err1 err2
'

test_expect_success 'a password in a malformed conninfo URI is not echoed' '
	(CCX_DB="postgresql://ccx:$PGSECRET@[::1/ccx" && export CCX_DB &&
	 test_expect_code_in "78" db-writer version 2>err1) &&
	test_expect_code_in "78" differ -T service-log --dump-candidates \
		-d "postgresql://ccx:$PGSECRET@[::1]x/ccx" 2>err2 &&
	no_secret err1 err2
'

# What libpq quotes of a conninfo it cannot parse is often a piece of the
# password: the part before an unencoded "/" taken for a port, a bad
# percent-encoded token, the word after a blank in an unquoted password.
test_expect_success 'libpq quoting a password of a conninfo it cannot parse: masked' '
	test_expect_code_in "78" db-writer \
		-d "postgresql://ccx:$PGSECRET/x@127.0.0.1:$PGPORT/ccx" version 2>err1 &&
	test_grep "invalid integer value \"\*\*\*\" for connection option \"port\"" err1 &&
	test_expect_code_in "78" db-writer \
		-d "postgresql://ccx:${PGSECRET}%zz@127.0.0.1:$PGPORT/ccx" version 2>err2 &&
	test_grep "invalid percent-encoded token: \"\*\*\*\"" err2 &&
	test_expect_code_in "78" db-writer --log-format json \
		-d "postgresql://ccx@127.0.0.1:$PGPORT/ccx?password=${PGSECRET}%00" version 2>err3 &&
	test_grep "forbidden value %00" err3 &&
	test_expect_code_in "78" db-writer \
		-d "host=127.0.0.1 port=$PGPORT password=abc $PGSECRET dbname=ccx" version 2>err4 &&
	test_grep "missing \"=\" after \"\*\*\*\"" err4 &&
	test_expect_code_in "78" differ -T service-log --dump-candidates \
		-d "postgresql://ccx:$PGSECRET/x@127.0.0.1:$PGPORT/ccx" 2>err5 &&
	test_grep "connection option \"port\"" err5 &&
	test_expect_code 1 helper pgauth \
		"postgresql://ccx:${PGSECRET}%zz@127.0.0.1:$PGPORT/ccx" >out6 &&
	test "$(cut -f1 out6)" = config &&
	no_secret err1 err2 err3 err4 err5 out6
'

# pgauth CONNINFO [VAR=VALUE...]: the class and message of helper pgauth,
# with no password but the VARs, and no ~/.pgpass.
pgauth() {
	_ci=$1
	shift
	env -u PGPASSWORD -u PGPASSFILE HOME="$TRASH_DIRECTORY/nohome" "$@" \
		helper pgauth "$_ci"
}

test_expect_success 'pg_connect_perm: a refused login and a missing database are permanent' '
	W="PGPASSWORD=WRONG-$PGSECRET" R="PGPASSWORD=$PGSECRET" &&
	{
		pgauth "$TCPDB" "$W"
		pgauth "$TCPDB"
		pgauth "$TCPDB user=nobody7300" "$R"
		pgauth "$TCPDB user=ccxnologin" "$R"
		pgauth "$TCPDB user=ccxreject" "$R"
		pgauth "$TCPDB user=ccxnoconnect dbname=ccxclosed" "$R"
		pgauth "host=$PGHOST port=$PGPORT user=nobody7300 dbname=ccx"
		pgauth "$TCPDB dbname=nosuch7300" "$R"
		pgauth "postgresql://ccx:$PGSECRET@127.0.0.1:$PGPORT/ccx?bogus=1"
		pgauth "host=127.0.0.1 port=$PGPORT user=ccx sslmode=bogus" "$R"
		pgauth "host=127.0.0.1 port=1 user=ccx dbname=ccx" "$R"
		pgauth "$TCPDB" "$R"
		pgauth "$TCPDB" "PGPASSFILE=$TRASH_DIRECTORY/pgpass"
	} >out 2>err &&
	cut -f1 out >classes &&
	cat >expect <<-\EOF &&
	auth
	auth
	auth
	auth
	auth
	auth
	auth
	config
	config
	config
	transient
	ok
	ok
	EOF
	test_cmp expect classes &&
	sed -n 1p out | test_grep "	authentication failed for user \"ccx\" (permanent: fix the credentials): connection to server at \"127.0.0.1\", port [0-9]* failed: FATAL:  password authentication failed for user \"ccx\"$" &&
	sed -n 2p out | test_grep "(permanent: fix the credentials): .*no password supplied$" &&
	sed -n 3p out | test_grep "for user \"nobody7300\"" &&
	sed -n 4p out | test_grep "role \"ccxnologin\" is not permitted to log in" &&
	sed -n 5p out | test_grep "pg_hba.conf rejects connection" &&
	sed -n 6p out | test_grep "permission denied for database \"ccxclosed\"" &&
	sed -n 7p out | test_grep "role \"nobody7300\" does not exist" &&
	sed -n 8p out | test_grep "database \"nosuch7300\" does not exist (permanent: fix the connection settings)$" &&
	sed -n 9p out | test_grep "invalid URI query parameter: \"bogus\"" &&
	sed -n 11p out | test_grep "Connection refused" &&
	! grep "permanent" err &&
	no_secret out err
'

test_expect_success 'pg_connfail: the texts of failures no test server gives' '
	cat >msgs <<-\EOF &&
	connection to server at "db", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "ccx", database "ccx", no encryption
	connection to server at "localhost" (::1), port 5432 failed: Connection refused\nconnection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "ccx"
	connection to server at "db", port 5432 failed: FATAL:  Ident authentication failed for user "ccx"
	connection to server at "db", port 5432 failed: FATAL:  sorry, too many clients already
	connection to server at "db", port 5432 failed: FATAL:  the database system is starting up
	connection to server at "db", port 5432 failed: FATAL:  remaining connection slots are reserved for non-replication superuser connections
	connection to server at "db", port 5432 failed: SSL error: certificate verify failed
	could not translate host name "db" to address: Name or service not known
	connection to server at "db", port 5432 failed: FATAL:  role "ccx" does not exist\nbut the role "x" does exist
	EOF
	helper pgauth -c <msgs >out &&
	cat >expect <<-\EOF &&
	auth
	auth
	auth
	transient
	transient
	transient
	transient
	transient
	auth
	EOF
	test_cmp expect out
'

test_expect_success 'redact_text: URLs, settings, parameters, JSON members, headers' '
	cat >in <<-\EOF &&
	GET https://user:pw@host/x?access_token=abc&y=1: refused
	POST http://tok3n@127.0.0.1:1/token and https://h/p?a=b
	postgresql://ccx:p/w@db/ccx (unencoded) and postgresql://ccx@db/ccx
	host=db password='"'"'a b'"'"' sslpassword=k3y user=ccx
	sasl.password = s3cret sasl.username = u ssl.key.pem = -----BEGIN PRIVATE KEY----- x -----END PRIVATE KEY-----
	sasl.oauthbearer.config=principal=u extension_a=b
	{"client_secret": "c\"s", "client_id": "id", "refresh_token":"r"}
	Authorization: Bearer eyJ.abc.def
	already: password=*** sasl.password=(secret) https://u:***@h ssl.key.pem = [redacted]
	not secrets: tokens=3 passfile=/p sslkey=/k ssl.certificate.pem=PEM ssl.key.location=/k
	EOF
	cat >expect <<-\EOF &&
	GET https://user:***@host/x?access_token=***&y=1: refused
	POST http://***@127.0.0.1:1/token and https://h/p?a=b
	postgresql://ccx:***@db/ccx (unencoded) and postgresql://***@db/ccx
	host=db password=*** sslpassword=*** user=ccx
	sasl.password = *** sasl.username = u ssl.key.pem = ***
	sasl.oauthbearer.config=***
	{"client_secret": "***", "client_id": "id", "refresh_token":"***"}
	Authorization: Bearer ***
	already: password=*** sasl.password=(secret) https://u:***@h ssl.key.pem = [redacted]
	not secrets: tokens=3 passfile=/p sslkey=/k ssl.certificate.pem=PEM ssl.key.location=/k
	EOF
	helper pgauth -r <in >out &&
	test_cmp expect out &&
	helper pgauth -r <out >out2 &&
	test_cmp expect out2
'

test_expect_success 'db-writer and differ: a refused login exits 78, error level, permanent' '
	(PGPASSWORD=WRONG-$PGSECRET && export PGPASSWORD &&
	 test_expect_code 78 db-writer -d "$TCPDB" version 2>err1 &&
	 record_line $T 0 0 "$(rec 1 $C1)" |
	 test_expect_code 78 db-writer -R 2 -d "$TCPDB" >out2 2>err2 &&
	 test_expect_code 78 differ -T service-log -d "$TCPDB" --dump-candidates \
		>out3 2>err3) &&
	for f in err1 err2 err3; do
		test_grep "error: .*authentication failed for user \"ccx\" (permanent: fix the credentials)" $f &&
		! grep "warning" $f || return 1
	done &&
	test_line_count = 0 out2 &&
	no_secret err1 err2 err3 out2 out3
'

test_expect_success 'kafka-emitter -v -v: ssl.key.pem and sasl.oauthbearer.config are not printed' '
	PEM="-----BEGIN PRIVATE KEY-----
$KSECRET
-----END PRIVATE KEY-----" &&
	kafka-emitter -v -v -X "ssl.key.pem=$PEM" \
		-X "sasl.oauthbearer.config=principal=ccx extension_k=$KSECRET" \
		-b "$BROKERS" -t platform.notifications.ingress </dev/null 2>err1 &&
	test_grep "property ssl.key.pem=(secret)" err1 &&
	test_grep "property sasl.oauthbearer.config=(secret)" err1 &&
	kafka-emitter -v -v --log-format json -X debug=conf -X "ssl.key.pem=$PEM" \
		-X "sasl.oauthbearer.config=principal=ccx extension_k=$KSECRET" \
		-X "ssl.keystore.password=$KSECRET" \
		-b "$BROKERS" -t platform.notifications.ingress </dev/null 2>err2 &&
	test_grep "property ssl.keystore.password=(secret)" err2 &&
	test_grep "ssl.key.pem = \[redacted\]" err2 &&
	no_secret err1 err2
'

# A URL's userinfo (user:password@, token@) in the error texts of libcurl
# failures and HTTP errors: masked on stderr, in the outcome lines and so
# in reported.error_log.
stubs_ok() {
	stub_control SSO '{"mode": "ok"}'
	stub_control SL '{"mode": "ok"}'
	stub_control RD '{"mode": "ok"}'
}

test_expect_success 'URLs with userinfo: masked in stderr, outcomes and reported.error_log' '
	test_when_finished stubs_ok &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass &&
	export PGPASSFILE &&
	stub_control RD "{\"mode\": \"ok\", \"delay\": 0, \"clear\": true}" &&
	slp() {	# a decision run, the poster with "$@", the outcomes recorded
		differ -T service-log -c "$CONTENT" -d "$TCPDB" --cooldown 0 >sldec &&
		test_line_count = 2 sldec &&
		servicelog-poster -v -v --client-secret-file sl-secret \
			--client-id CLIENT_ID --retry-base-ms 10 --retries 1 "$@" \
			<sldec >slout &&
		db-writer -r -d "$TCPDB" <slout &&
		cat slout
	} &&
	stub_control SSO "{\"mode\": \"500\"}" &&
	slp --renderer-url "$RD_URL" --url "$SLURL" \
		--token-url "http://tokuser:$OSECRET@${SSO_URL#http://}/token" >out1 2>err1 &&
	test_grep "token: POST http://tokuser:\*\*\*@127.0.0.1:[0-9]*/token: HTTP 500" out1 &&
	stub_control SSO "{\"mode\": \"ok\"}" &&
	slp --renderer-url "$RD_URL" --url "$SLURL" \
		--token-url "http://tokuser:$OSECRET@127.0.0.1:1/token" >out2 2>err2 &&
	test_grep "token: POST http://tokuser:\*\*\*@127.0.0.1:1/token: " out2 &&
	stub_control SL "{\"mode\": \"500\"}" &&
	slp --renderer-url "$RD_URL" --token-url "$TOKURL" \
		--url "http://$OSECRET@${SLURL#http://}" >out3 2>err3 &&
	test_grep "service log: POST http://\*\*\*@127.0.0.1:[0-9]*/api/" out3 &&
	stub_control SL "{\"mode\": \"ok\"}" &&
	stub_control RD "{\"mode\": \"503\"}" &&
	slp --renderer-url "http://rduser:$OSECRET@${RD_URL#http://}" --url "$SLURL" \
		--token-url "$TOKURL" >out4 2>err4 &&
	test_grep "renderer: POST http://rduser:\*\*\*@127.0.0.1:[0-9]*/.*: HTTP 503" out4 &&
	stub_control RD "{\"mode\": \"ok\"}" &&
	sqlccx "SELECT error_log FROM reported WHERE error_log LIKE '"'%***@127.0.0.1%'"'" >logs &&
	test_line_count -ge 8 logs &&
	test_expect_code 69 differ -T notifications-backend -i - \
		-c "http://cuser:$OSECRET@127.0.0.1:1/content" </dev/null 2>err5 &&
	test_grep "http://cuser:\*\*\*@127.0.0.1:1/content" err5 &&
	no_secret err1 err2 err3 err4 err5 out1 out2 out3 out4 logs
'

test_expect_success 'the OAuth secret, from the environment or a file, never shows (-v -v, json)' '
	rm -f cmdlines environs &&
	stub_control RD "{\"mode\": \"ok\", \"delay\": 1, \"clear\": true}" &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass &&
	export PGPASSFILE &&
	differ -T service-log -c "$CONTENT" -d "$TCPDB" >sldec &&
	test_line_count = 2 sldec &&
	{ servicelog-poster -v -v --client-secret-file sl-secret \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID <sldec >out1 2>err1 & } &&
	pid=$! &&
	sample $pid 10 &&
	wait $pid &&
	test_grep "client-secret-file sl-secret" cmdlines &&
	CCX_SERVICELOG_CLIENT_SECRET=$OSECRET servicelog-poster -v -v --log-format json \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID <sldec >out2 2>err2 &&
	python3 -c "import json, sys
for f in sys.argv[1:]:
    L = [json.loads(l) for l in open(f)]
    assert len(L) == 2 and all(o[\"state\"] == \"sent\" for o in L), L" out1 out2 &&
	db-writer -r -d "$TCPDB" <out1 &&
	no_secret cmdlines environs err1 err2 out1 out2 &&
	! grep "tok-[0-9]" err1 err2 out1 out2
'

test_expect_success 'the OAuth secret: token endpoint failures, error outcomes, reported rows' '
	stub_control RD "{\"mode\": \"ok\", \"delay\": 0, \"clear\": true}" &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass &&
	export PGPASSFILE &&
	differ -T service-log -c "$CONTENT" -d "$TCPDB" --cooldown 0 >sldec &&
	test_line_count = 2 sldec &&
	CCX_SERVICELOG_CLIENT_SECRET=WRONG-$OSECRET servicelog-poster -v -v \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID --retry-base-ms 10 <sldec >out1 2>err1 &&
	test_grep "\"state\":\"error\"" out1 &&
	stub_control SSO "{\"mode\": \"500\"}" &&
	CCX_SERVICELOG_CLIENT_SECRET=$OSECRET servicelog-poster -v -v --log-format json \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID --retry-base-ms 10 <sldec >out2 2>err2 &&
	stub_control SSO "{\"mode\": \"notjson\"}" &&
	servicelog-poster -v -v --client-secret-file sl-secret \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID --retry-base-ms 10 <sldec >out3 2>err3 &&
	stub_control SSO "{\"mode\": \"ok\"}" &&
	stub_control SL "{\"mode\": \"401\"}" &&
	servicelog-poster -v -v --client-secret-file sl-secret \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url "$TOKURL" \
		--client-id CLIENT_ID --retry-base-ms 10 <sldec >out4 2>err4 &&
	stub_control SL "{\"mode\": \"ok\"}" &&
	servicelog-poster -v -v --client-secret-file sl-secret \
		--renderer-url "$RD_URL" --url "$SLURL" --token-url http://127.0.0.1:1/token \
		--client-id CLIENT_ID --retry-base-ms 10 --retries 0 <sldec >out5 2>err5 &&
	for f in out1 out2 out3 out4 out5; do
		test_grep -q "\"state\":\"error\"" $f || return 1
	done &&
	cat out1 out2 out3 out4 out5 | db-writer -r -d "$TCPDB" &&
	test "$(sqlccx "SELECT count(*) FROM reported WHERE state = 4 AND event_type_id = 2")" -ge 2 &&
	no_secret err1 err2 err3 err4 err5 out1 out2 out3 out4 out5 &&
	! grep "tok-[0-9]" err1 err2 err3 err4 err5
'

test_expect_success 'under the supervisor: the service-log run, every stage sampled' '
	rm -f cmdlines environs &&
	stub_control RD "{\"mode\": \"ok\", \"delay\": 2, \"clear\": true}" &&
	cat >sl.conf <<-\EOF &&
	pipeline sl every 3600
		run differ -v -T service-log -c $CONTENT -d $TCPDB --cooldown 0
		run servicelog-poster -v -v --renderer-url $RD_URL --url $SLURL --token-url $TOKURL --client-id CLIENT_ID -n @ready
		run db-writer -v -v -r -d $TCPDB -n @ready
	EOF
	{ env PGPASSFILE=$TRASH_DIRECTORY/pgpass \
		CCX_SERVICELOG_CLIENT_SECRET_FILE=$TRASH_DIRECTORY/sl-secret \
		supervisor -v -1 sl.conf sl >sup.out 2>sup.err & } &&
	sup=$! &&
	sample $sup 25 &&
	wait $sup &&
	test_grep "servicelog-poster -v -v --renderer-url" cmdlines &&
	test_grep "db-writer -v -v -r" cmdlines &&
	test_grep "CCX_SERVICELOG_CLIENT_SECRET_FILE=" environs &&
	test_grep "sl/servicelog-poster:" sup.err &&
	test "$(sqlccx "SELECT count(*) FROM reported WHERE state = 1 AND event_type_id = 2")" -ge 4 &&
	no_secret cmdlines environs sup.out sup.err &&
	! grep "tok-[0-9]" sup.err sup.out
'

test_expect_success 'under the supervisor: the results path with SASL and a password file' '
	rm -f cmdlines environs &&
	cat >res.conf <<-EOF &&
	pipeline results
		run kafka-reader -v -v -b \$BROKERS -F $TRASH_DIRECTORY/kafka.properties -G g7300s -t $T -D 1 -a @ack
		run db-writer -v -v -d \$TCPDB -n @ready
		ack
	EOF
	{ env PGPASSFILE=$TRASH_DIRECTORY/pgpass \
		supervisor -v -g 10 --log-format json res.conf >sup.out 2>sup.err & } &&
	sup=$! &&
	sample $sup 25 &&
	kill -TERM $sup &&
	wait $sup &&
	test_grep "kafka-reader -v -v -b" cmdlines &&
	test_grep "db-writer -v -v -d" cmdlines &&
	test_grep "SASL" sup.err &&
	no_secret cmdlines environs sup.out sup.err
'

test_expect_success 'nothing in the database holds a secret' '
	pg_dump -a -d ccx >dump.sql &&
	test_grep -q "reported" dump.sql &&
	test_grep -q "dead_letters" dump.sql &&
	no_secret dump.sql
'

test_done
