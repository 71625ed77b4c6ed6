#!/bin/sh
test_description='mhttp: /metrics over HTTP with libmicrohttpd (COMPAT 7.1)'
. ./test-lib.sh

# get URL [METHOD [ACCEPT-ENCODING]]: "STATUS TYPE ENCODING" on the first
# line, then the body (gunzipped).
get() {
	python3 - "$@" <<-\EOF
	import gzip, sys, urllib.request, urllib.error
	url = sys.argv[1]
	method = sys.argv[2] if len(sys.argv) > 2 else "GET"
	req = urllib.request.Request(url, method=method,
	    data=b"x=1" if method == "POST" else None)
	if len(sys.argv) > 3:
	    req.add_header("Accept-Encoding", sys.argv[3])
	try:
	    r = urllib.request.urlopen(req, timeout=5)
	except urllib.error.HTTPError as e:
	    r = e
	body = r.read()
	enc = r.headers.get("Content-Encoding", "-")
	if enc == "gzip":
	    body = gzip.decompress(body)
	print(r.status, r.headers.get("Content-Type"), enc)
	sys.stdout.write(body.decode())
	EOF
}

# serve ADDRESS: the helper in the background, PORT set.
serve() {
	mkfifo stop.$$ &&
	{ helper metrics-httpd "$1" metrics <stop.$$ >port 2>err & } &&
	exec 8>stop.$$ &&
	test_when_finished "exec 8>&-; rm -f stop.$$" &&
	test_wait_for 10 test -s port &&
	PORT=$(sed -n "s/^port //p" port)
}

test_expect_success 'GET /metrics: the text, Prometheus 0.0.4; updates are served' '
	printf "# HELP a_b x\n# TYPE a_b counter\na_b 3\n" >metrics &&
	serve 127.0.0.1:0 &&
	get http://127.0.0.1:$PORT/metrics >actual &&
	{ echo "200 text/plain; version=0.0.4; charset=utf-8 -" && cat metrics; } >expect &&
	test_cmp expect actual &&
	printf "a_b 4\n" >metrics.new && mv metrics.new metrics &&
	test_wait_for 5 eval "get http://127.0.0.1:$PORT/metrics | grep -q \"^a_b 4\$\""
'

test_expect_success 'any method on /metrics; other paths: 404 page not found; gzip when accepted' '
	printf "a_b 5\n" >metrics &&
	serve 127.0.0.1:0 &&
	get http://127.0.0.1:$PORT/metrics POST >actual &&
	test_grep "^200 " actual &&
	for p in / /metrics/ /metricsx /other; do
		get http://127.0.0.1:$PORT$p >actual &&
		printf "404 text/plain; charset=utf-8 -\n404 page not found\n" >expect &&
		test_cmp expect actual || return 1
	done &&
	get http://127.0.0.1:$PORT/metrics GET "gzip, deflate" >actual &&
	printf "200 text/plain; version=0.0.4; charset=utf-8 gzip\na_b 5\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a port in use or an address without a port: a clear error' '
	printf "a_b 1\n" >metrics &&
	serve 127.0.0.1:0 &&
	test_expect_code 1 helper metrics-httpd 127.0.0.1:$PORT metrics </dev/null 2>err2 &&
	test_grep "listen tcp 127.0.0.1:$PORT" err2 &&
	test_expect_code 1 helper metrics-httpd 127.0.0.1 metrics </dev/null 2>err2 &&
	test_grep "missing port in address" err2
'

test_expect_success '":PORT" listens on every interface' '
	printf "a_b 1\n" >metrics &&
	serve ":0" &&
	get http://127.0.0.1:$PORT/metrics >actual &&
	test_grep "^a_b 1" actual &&
	if python3 -c "import socket; socket.create_connection((\"::1\", $PORT), 2)" 2>/dev/null; then
		get "http://[::1]:$PORT/metrics" >actual &&
		test_grep "^a_b 1" actual
	fi
'

test_done
