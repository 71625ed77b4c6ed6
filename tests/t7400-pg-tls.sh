#!/bin/sh
test_description='transport security: PostgreSQL with sslmode=verify-full, HTTPS content and renderer'
. ./test-lib.sh
test_use pg records

command -v openssl >/dev/null || skip_all 'openssl not found (needed to make the test CA)'

# A CA of our own, a server certificate it signs for localhost and
# 127.0.0.1, and an unrelated CA.
mkcert() {	# NAME CN SAN CA: NAME.key, NAME.pem signed by CA
	openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
		-subj "/CN=$2" >/dev/null 2>&1 &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
		"$3" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" \
		-CAcreateserial -out "$1.pem" -days 30 -extfile "$1.ext" >/dev/null 2>&1
}
mkca() {	# NAME CN
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" \
		-days 30 -subj "/CN=$2" >/dev/null 2>&1
}
{ mkca ca "ccx-notify test CA" &&
  mkca otherca "some other CA" &&
  mkcert server localhost "DNS:localhost,IP:127.0.0.1" ca &&
  mkcert nameonly localhost "DNS:localhost" ca &&
  openssl verify -CAfile ca.pem server.pem >/dev/null; } ||
	skip_all 'openssl cannot make the test certificates'
CA=$TRASH_DIRECTORY/ca.pem
OTHERCA=$TRASH_DIRECTORY/otherca.pem

# Our own cluster: TLS on, 127.0.0.1 only, and TCP without TLS refused.
pg_start_own || skip_all "PostgreSQL cannot start here"
D=$PG_OWN_DIR/data
cp server.pem "$D/server.crt" && cp server.key "$D/server.key" &&
chown postgres "$D/server.crt" "$D/server.key" &&
chmod 600 "$D/server.key" &&
pg_own_reconfigure "hostnossl all all 127.0.0.1/32 reject" \
	"hostssl all ccxtls 127.0.0.1/32 scram-sha-256" \
	"hostssl all all 127.0.0.1/32 trust" <<-\EOF ||
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
EOF
	skip_all "PostgreSQL cannot start with TLS on 127.0.0.1"
# Role ccxtls logs in with a password (scram-sha-256), over TLS only.
TLSPW=Tls-pw-7400-Hq5nWd
sql "SET password_encryption = 'scram-sha-256'; CREATE ROLE ccxtls LOGIN PASSWORD '$TLSPW' IN ROLE pg_read_all_data" >/dev/null ||
	skip_all "cannot create the role"
printf 'localhost:%s:postgres:ccxtls:%s\n' "$PGPORT" "$TLSPW" >pgpass &&
chmod 600 pgpass

# A server that refuses the connection (pg_hba.conf) made db-writer exit
# as for an outage (69); once dbw_connect acts on pg_connect_perm, it is a
# permanent configuration error (78).

TLS="host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$CA"
TLSIP="host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$CA"
BADCA="host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$OTHERCA"
C1=00000000-0000-4000-8000-000000007401
T=ccx.ocp.results

test_expect_success 'the server refuses TCP without TLS' '
	test_expect_code_in "69 78" db-writer -d "host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=disable" \
		version 2>err &&
	test_grep "pg_hba.conf rejects connection .*, no encryption" err &&
	test_expect_code 1 helper pgauth "host=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=disable" >out &&
	test "$(cut -f1 out)" = auth
'

test_expect_success 'db-writer migrate over verify-full (name and IP SAN), and the session is TLS' '
	db-writer -d "$TLS" migrate 2>err &&
	db-writer -d "$TLS" version >out &&
	sql "SELECT max(version) FROM migration_info" >expect &&
	test_cmp expect out &&
	db-writer -d "$TLSIP" version >out &&
	test_cmp expect out &&
	psql -qXAt -d "$TLS" -c "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()" >out &&
	test_grep "^t|TLSv1\.[23]$" out
'

test_expect_success 'ingest and -r over verify-full; pg_stat_ssl shows db-writer on TLS' '
	rm -f fifo && mkfifo fifo &&
	{ db-writer -d "$TLS" -w 60000 <fifo >acks 2>err & } &&
	pid=$! &&
	exec 7>fifo &&
	record_line $T 0 0 "$(sample_record 1 $C1)" >&7 &&
	test_wait_for 10 test -n "$(sql "SELECT 1 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '"'db-writer'"' AND s.ssl")" &&
	exec 7>&- &&
	wait $pid &&
	test_grep "\"status\":\"stored\"" acks &&
	upd=$(sql "SELECT updated_at FROM new_reports WHERE org_id = 1") &&
	printf "{\"target\":\"notifications-backend\",\"org_id\":1,\"account_number\":1001,\"cluster\":\"%s\",\"updated_at\":\"%s\",\"notified_at\":\"2026-12-01 00:00:00.000001\",\"state\":\"same\"}\n" \
		"$C1" "$upd" | db-writer -r -d "$TLS" &&
	test "$(sql "SELECT count(*) FROM reported")" = 1
'

test_expect_success 'differ --dump-candidates and a decision run over verify-full' '
	differ -T notifications-backend -d "$TLS" --dump-candidates >cands &&
	test_line_count = 1 cands &&
	test_grep "\"cluster\":\"$C1\"" cands &&
	content_json other K="Other rule" >content.json &&
	differ -T notifications-backend -d "$TLS" -c "file://$TRASH_DIRECTORY/content.json" >dec &&
	test_line_count = 1 dec
'

test_expect_success 'another CA: migrate fails at once, transient (69), naming certificate verification' '
	test_expect_code 69 db-writer -d "$BADCA" migrate 2>err &&
	test_grep "certificate verify failed" err &&
	test_expect_code 69 db-writer -d "$BADCA" version 2>err &&
	test_grep "certificate verify failed" err &&
	test "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"'db-writer'"'")" = 0
'

test_expect_success 'another CA: ingest retries, then gives up with 75; nothing acked' '
	record_line $T 0 1 "$(sample_record 2 $C1)" >in &&
	test_expect_code 75 db-writer -R 1 -d "$BADCA" <in >acks 2>err &&
	test_grep "certificate verify failed" err &&
	test_line_count = 0 acks &&
	test "$(sql "SELECT count(*) FROM new_reports WHERE org_id = 2")" = 0
'

test_expect_success 'another CA: differ exits 75 (transient) naming certificate verification' '
	test_expect_code 75 differ -T notifications-backend -d "$BADCA" --dump-candidates >out 2>err &&
	test_grep "certificate verify failed" err &&
	test_line_count = 0 out &&
	test_expect_code 75 differ -T service-log -d "$BADCA" \
		-c "file://$TRASH_DIRECTORY/content.json" >out 2>err &&
	test_grep "certificate verify failed" err
'

test_expect_success 'verify-full checks the name: the right CA, the wrong host name' '
	test_expect_code 69 db-writer -d "host=127.0.0.2 hostaddr=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$CA" \
		version 2>err &&
	test_grep "does not match host name" err &&
	test_expect_code 75 differ -T service-log --dump-candidates \
		-d "host=127.0.0.2 hostaddr=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$CA" 2>err &&
	test_grep "does not match host name" err
'

test_expect_success 'verify-full without a root certificate is refused with a clear error' '
	(HOME=$TRASH_DIRECTORY && export HOME &&
	 test_expect_code 69 db-writer -d "host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=verify-full" \
		version 2>err) &&
	test_grep "root certificate file .* does not exist" err
'

test_expect_success 'the certificate errors say what to check' '
	test_expect_code 69 db-writer -d "$BADCA" version 2>err &&
	test_grep "certificate verify failed (is sslrootcert the CA that signed the server.s certificate?)" err &&
	test_expect_code 75 differ -T service-log --dump-candidates -d "$BADCA" 2>err &&
	test_grep "certificate verify failed (is sslrootcert the CA" err &&
	test_expect_code 69 db-writer -d "host=127.0.0.2 hostaddr=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=verify-full sslrootcert=$CA" \
		version 2>err &&
	test_grep "does not match host name .* (sslmode=verify-full: the certificate must name the host of the conninfo)" err &&
	(HOME=$TRASH_DIRECTORY && export HOME &&
	 test_expect_code 69 db-writer -d "host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=verify-full" \
		version 2>err) &&
	test_grep "does not exist (sslmode verify-ca and verify-full need sslrootcert" err
'

test_expect_success 'verify-full with a password: the login works, a wrong one is permanent, another CA is not' '
	PGPASSFILE=$TRASH_DIRECTORY/pgpass helper pgauth "$TLS user=ccxtls" >out &&
	echo ok >expect &&
	test_cmp expect out &&
	PGPASSFILE=$TRASH_DIRECTORY/pgpass db-writer -d "$TLS user=ccxtls" version >out &&
	db-writer -d "$TLS" version >expect &&
	test_cmp expect out &&
	test_expect_code 1 env -u PGPASSFILE PGPASSWORD=WRONG-$TLSPW helper pgauth "$TLS user=ccxtls" >out &&
	test "$(cut -f1 out)" = auth &&
	test_grep "(permanent: fix the credentials): .*password authentication failed for user \"ccxtls\"" out &&
	test_expect_code 1 env PGPASSFILE=$TRASH_DIRECTORY/pgpass helper pgauth "$BADCA user=ccxtls" >out2 &&
	test "$(cut -f1 out2)" = transient &&
	test_grep "certificate verify failed" out2 &&
	! grep -e "$TLSPW" out out2
'

test_expect_success 'weaker modes: require checks nothing without a root file, verify-ca not the name' '
	db-writer -d "$TLS" version >expect &&
	(HOME=$TRASH_DIRECTORY/nohome && export HOME &&
	 db-writer -d "host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=require" \
		version >out) &&
	test_cmp expect out &&
	db-writer -d "host=127.0.0.2 hostaddr=127.0.0.1 port=$PGPORT dbname=postgres user=postgres sslmode=verify-ca sslrootcert=$CA" \
		version >out &&
	test_cmp expect out &&
	test_expect_code 69 db-writer -d "host=localhost port=$PGPORT dbname=postgres user=postgres sslmode=require sslrootcert=$OTHERCA" \
		version 2>err &&
	test_grep "certificate verify failed" err
'

test_expect_success 'PGSSLMODE and PGSSLROOTCERT work as well as the conninfo' '
	PGSSLMODE=verify-full PGSSLROOTCERT=$CA db-writer \
		-d "host=localhost port=$PGPORT dbname=postgres user=postgres" version >out &&
	sql "SELECT max(version) FROM migration_info" >expect &&
	test_cmp expect out &&
	(PGSSLMODE=verify-full PGSSLROOTCERT=$OTHERCA && export PGSSLMODE PGSSLROOTCERT &&
	 test_expect_code 69 db-writer -d "host=localhost port=$PGPORT dbname=postgres user=postgres" \
		version 2>err) &&
	test_grep "certificate verify failed" err
'

# HTTPS: libcurl verifies the peer and the host name against the system CA
# store; there is no option for another CA (common/http.c sets no
# CURLOPT_CAINFO), so a private CA is refused.  The test server below uses
# our CA, which the system store does not hold.
test_have_prereq PYTHON && {
cat >https.py <<\EOF
import http.server, os, ssl, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
srv.serve_forever()
EOF
python3 https.py server.pem server.key https.port </dev/null >https.err 2>&1 &
HTTPS_PID=$!
test_atexit "kill $HTTPS_PID"
python3 https.py nameonly.pem nameonly.key https2.port </dev/null >https2.err 2>&1 &
HTTPS2_PID=$!
test_atexit "kill $HTTPS2_PID"
test_wait_for 10 test -s https.port && test_wait_for 10 test -s https2.port &&
test_set_prereq HTTPS
HTTPS_PORT=$(cat https.port 2>/dev/null)
HTTPS2_PORT=$(cat https2.port 2>/dev/null)
}

test_expect_success HTTPS 'the HTTPS test server answers when its CA is trusted (curl --cacert)' '
	curl -sS --cacert "$CA" "https://localhost:$HTTPS_PORT/content.json" >out &&
	test_cmp content.json out
'

test_expect_success HTTPS 'differ -c https:// with a CA outside the system store: 69, certificate problem' '
	test_expect_code 69 differ -T notifications-backend -i - \
		-c "https://localhost:$HTTPS_PORT/content.json" </dev/null 2>err &&
	test_grep "SSL certificate problem" err &&
	(SSL_CERT_FILE=$CA CURL_CA_BUNDLE=$CA && export SSL_CERT_FILE CURL_CA_BUNDLE &&
	 test_expect_code 69 differ -T notifications-backend -i - \
		-c "https://localhost:$HTTPS_PORT/content.json" </dev/null 2>err) &&
	test_grep "SSL certificate problem" err
'

test_expect_success HTTPS,PYTHON 'servicelog-poster: an https renderer it cannot verify is an error outcome, the run goes on' '
	cat >line <<-EOF &&
	{"target":"service-log","org_id":1,"account_number":2,"cluster":"c1","updated_at":"2026-12-01 08:00:00","notified_at":"2026-12-01 08:10:00.000001","issues":[{"item":0,"type":"rule","component":"r.report","key":"K","total_risk":2}],"content":[]}
	{"target":"service-log","org_id":1,"account_number":2,"cluster":"c2","state":"same"}
	EOF
	CCX_SERVICELOG_CLIENT_SECRET=s servicelog-poster --client-id id \
		--renderer-url "https://localhost:$HTTPS_PORT/" --retries 0 <line >out 2>err &&
	test_line_count = 2 out &&
	python3 -c "import json, sys
L = [json.loads(l) for l in open(\"out\")]
assert L[0][\"state\"] == \"error\" and \"SSL certificate problem\" in L[0][\"error\"], L
assert L[1][\"state\"] == \"same\", L"
'

# Kafka TLS: the -X (or -F) properties go to librdkafka as they are.  The
# mock cluster has no TLS listener, so the TLS test servers above stand in
# for a broker: the handshake (certificate chain, then the host name) is
# all librdkafka does before it speaks Kafka.
# kr_tls SECONDS BROKER PROPS...: kafka-reader against BROKER for SECONDS,
# its stderr in err.
kr_tls() {
	_s=$1 _b=$2
	shift 2
	{ kafka-reader -b "$_b" -G g7400 -t t -D 1 -X security.protocol=ssl "$@" \
		>/dev/null 2>err & } &&
	_p=$! &&
	sleep "$_s" &&
	kill -TERM $_p &&
	wait $_p
}

test_expect_success HTTPS 'Kafka TLS: a broker certificate from another CA fails the handshake' '
	kr_tls 2 "localhost:$HTTPS_PORT" -X ssl.ca.location="$OTHERCA" &&
	test_grep "SSL handshake failed: .*certificate verify failed" err &&
	echo "{\"payload\":{\"a\":1}}" >dec &&
	test_expect_code 69 kafka-emitter -b "localhost:$HTTPS_PORT" -t t \
		-X security.protocol=ssl -X ssl.ca.location="$OTHERCA" \
		-X message.timeout.ms=2000 <dec >out 2>err &&
	test_grep "certificate verify failed" err &&
	test_grep "\"state\":\"error\"" out
'

test_expect_success HTTPS 'Kafka TLS: our CA passes the handshake (by name and by IP SAN)' '
	kr_tls 2 "localhost:$HTTPS_PORT" -X ssl.ca.location="$CA" &&
	! grep "certificate verify failed" err &&
	kr_tls 2 "127.0.0.1:$HTTPS_PORT" -X ssl.ca.location="$CA" &&
	! grep "certificate verify failed" err
'

test_expect_success HTTPS 'Kafka TLS: the host name is verified (ssl.endpoint.identification.algorithm=https)' '
	kr_tls 2 "127.0.0.1:$HTTPS2_PORT" -X ssl.ca.location="$CA" &&
	test_grep "SSL handshake failed: .*certificate verify failed" err &&
	kr_tls 2 "localhost:$HTTPS2_PORT" -X ssl.ca.location="$CA" &&
	! grep "certificate verify failed" err
'

test_expect_success 'Kafka TLS: an unreadable CA file is a configuration error (78)' '
	test_expect_code 78 kafka-emitter -b localhost:1 -t t -X security.protocol=ssl \
		-X ssl.ca.location=/nonexistent/ca.pem </dev/null 2>err &&
	test_grep "ssl.ca.location failed" err &&
	test_expect_code 78 kafka-reader -b localhost:1 -G g -t t -X security.protocol=ssl \
		-X ssl.ca.location=/nonexistent/ca.pem 2>err &&
	test_grep "ssl.ca.location failed" err
'

test_done
