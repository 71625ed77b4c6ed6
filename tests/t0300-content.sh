#!/bin/sh
test_description='rule content (Contract D): gob and JSON decoding, HTTP fetch'
. ./test-lib.sh

# Loopback only: keep any proxy settings of the environment out of it.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
C=$SHARED_TESTDATA/content

# check_clean_failure ERRFILE CMD...: CMD fails with a status below 128
# and writes a message.
check_clean_failure() {
	_e=$1; shift
	"$@" >/dev/null 2>"$_e"
	_s=$?
	if [ $_s = 0 ] || [ $_s -ge 128 ]; then
		say "status $_s: $*" >&2; return 1
	fi
	test -s "$_e" || { say "no message: $*" >&2; return 1; }
}

# json_equal A B: A and B hold the same JSON value.
json_equal() {
	python3 - "$1" "$2" <<-\EOF
	import json, sys
	a, b = (json.load(open(f, encoding="utf-8")) for f in sys.argv[1:3])
	if a != b:
	    print("JSON differs:", sys.argv[1], sys.argv[2], file=sys.stderr)
	    sys.exit(1)
	EOF
}

test_expect_success SHARED,PYTHON 'test_content: gob and JSON give the same content' '
	helper content "$C/test_content.gob" >gob.out &&
	helper content "$C/test_content.json" >json.out &&
	test_cmp gob.out json.out &&
	d="A test rule for E2E tests that depend on this service" &&
	t=openshift,service_availability &&
	cat >expect <<-EOF &&
	rules 1
	test_rule TEST_RULE_CRITICAL_IMPACT likelihood=4 impact=4 tags=$t description=$d
	test_rule TEST_RULE_IMPORTANT_IMPACT likelihood=3 impact=3 tags=$t description=$d
	test_rule TEST_RULE_LOW_IMPACT likelihood=1 impact=1 tags=$t description=$d
	test_rule TEST_RULE_MODERATE_IMPACT likelihood=2 impact=2 tags=$t description=$d
	EOF
	test_cmp expect gob.out &&
	helper content --json "$C/test_content.gob" >tree.json &&
	json_equal tree.json "$C/test_content.json" &&
	helper content --json "$C/test_content.json" >tree2.json &&
	test_cmp tree.json tree2.json
'

for f in ok:2 no_internal:1 no_external:0 missing:0; do
	n=${f%:*} count=${f#*:}
	test_expect_success SHARED,PYTHON "$n: gob and JSON agree, $count rules" "
		helper content \"\$C/$n.gob\" >gob.out &&
		helper content \"\$C/$n.json\" >json.out &&
		test_cmp gob.out json.out &&
		echo 'rules $count' >expect &&
		head -n 1 gob.out >actual &&
		test_cmp expect actual &&
		helper content --json \"\$C/$n.gob\" >tree.json &&
		json_equal tree.json \"\$C/$n.json\"
	"
done

test_expect_success SHARED 'ok.gob: the fields the decisions read' '
	cat >expect <<-\EOF &&
	rules 2
	rule1 err_key likelihood=0 impact=2 tags= description=
	rule2 err_key likelihood=0 impact=0 tags= description=
	EOF
	helper content "$C/ok.gob" >actual &&
	test_cmp expect actual
'

test_expect_success SHARED,PYTHON 'every proper prefix of ok.gob fails cleanly' '
	mkdir prefix &&
	python3 -c "
import sys
data = open(sys.argv[1], \"rb\").read()
for n in range(len(data)):
    open(\"prefix/%05d\" % n, \"wb\").write(data[:n])
" "$C/ok.gob" &&
	for p in prefix/*; do
		check_clean_failure err helper content "$p" || exit 1
	done &&
	test_grep "offset" err
'

test_expect_success SHARED,PYTHON 'a corpus of flipped bytes never crashes' '
	mkdir flip &&
	python3 -c "
import random, sys
rnd = random.Random(300)
for f in sys.argv[1:]:
    data = bytearray(open(f, \"rb\").read())
    for k in range(60):
        m = bytearray(data)
        for j in range(rnd.choice((1, 1, 1, 2, 4))):
            m[rnd.randrange(len(m))] ^= rnd.randrange(1, 256)
        open(\"flip/%s.%03d\" % (f.split(\"/\")[-1], k), \"wb\").write(m)
" "$C"/*.gob &&
	for p in flip/*; do
		helper content "$p" >/dev/null 2>err
		s=$?
		if [ $s -ge 128 ] || { [ $s != 0 ] && ! test -s err; }; then
			echo "status $s for $p" >&2
			exit 1
		fi
	done
'

test_expect_success SHARED 'in process: all prefixes and one-byte mutations' '
	for f in ok no_internal no_external missing; do
		helper content --mutate "$C/$f.gob" >out || { cat out; exit 1; }
	done &&
	helper content --mutate "$C/test_content.gob" 5 >out || { cat out; false; }
'

# Project-owned cases from here on.

test_expect_success 'JSON content: lookup, sorting and zero values' '
	cat >content.json <<-\EOF &&
	{"Config": {"impact": {"Low": 1}},
	 "Rules": {
	  "beta_rule": {"plugin": {"python_module": "ccx.beta"},
	                "error_keys": {}, "summary": "b"},
	  "alpha_rule": {"error_keys": {
	    "B_KEY": {"metadata": {"likelihood": 2,
	              "impact": {"name": "Two", "impact": 2},
	              "tags": ["x", "y"], "description": "Second\nline"},
	              "extra": [1, 2, {"deep": true}]},
	    "A_KEY": {"metadata": {"likelihood": 4, "impact": {"impact": 3},
	              "tags": null, "description": "First"},
	              "total_risk": 9}},
	   "HasReason": true, "unknown": 1.5},
	  "gamma_rule": null}}
	EOF
	cat >expect <<-\EOF &&
	rules 3
	alpha_rule A_KEY likelihood=4 impact=3 tags= description=First
	alpha_rule B_KEY likelihood=2 impact=2 tags=x,y description=Second\nline
	beta_rule -
	gamma_rule -
	EOF
	helper content content.json >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON 'JSON content: the normalised tree, keys sorted' '
	cat >expect.json <<-\EOF &&
	{"Config": {"impact": {"Low": 1}, "resolution_risk": null},
	 "Rules": {
	  "alpha_rule": {
	   "plugin": {"name": "", "node_id": "", "product_code": "",
	              "python_module": ""},
	   "error_keys": {
	    "A_KEY": {"metadata": {"description": "First",
	                           "impact": {"name": "", "impact": 3},
	                           "likelihood": 4, "publish_date": "",
	                           "resolution_risk": 0, "status": "",
	                           "tags": null},
	              "total_risk": 9, "generic": "", "summary": "",
	              "resolution": "", "more_info": "", "reason": "",
	              "HasReason": false},
	    "B_KEY": {"metadata": {"description": "Second\nline",
	                           "impact": {"name": "Two", "impact": 2},
	                           "likelihood": 2, "publish_date": "",
	                           "resolution_risk": 0, "status": "",
	                           "tags": ["x", "y"]},
	              "total_risk": 0, "generic": "", "summary": "",
	              "resolution": "", "more_info": "", "reason": "",
	              "HasReason": false}},
	   "generic": "", "summary": "", "resolution": "", "more_info": "",
	   "reason": "", "HasReason": true},
	  "beta_rule": {
	   "plugin": {"name": "", "node_id": "", "product_code": "",
	              "python_module": "ccx.beta"},
	   "error_keys": {}, "generic": "", "summary": "b", "resolution": "",
	   "more_info": "", "reason": "", "HasReason": false},
	  "gamma_rule": {
	   "plugin": {"name": "", "node_id": "", "product_code": "",
	              "python_module": ""},
	   "error_keys": null, "generic": "", "summary": "", "resolution": "",
	   "more_info": "", "reason": "", "HasReason": false}}}
	EOF
	python3 -c "
import json, sys
v = json.load(open(\"expect.json\"))
print(json.dumps(v, sort_keys=True, separators=(\",\", \":\")))
" >expect &&
	helper content --json content.json >actual &&
	test_cmp expect actual
'

# bad_json NAME JSON MESSAGE: the content JSON is rejected with MESSAGE.
bad_json() {
	test_expect_success "JSON content: $1 is rejected" "
		printf '%s\n' '$2' >bad.json &&
		test_expect_code 65 helper content bad.json 2>err &&
		test_grep -F '$3' err
	"
}
bad_json 'a string likelihood' \
	'{"Rules":{"r":{"error_keys":{"X":{"metadata":{"likelihood":"high"}}}}}}' \
	'Rules.r.error_keys.X.metadata.likelihood: expected an integer, not a string'
bad_json 'a fractional likelihood' \
	'{"Rules":{"r":{"error_keys":{"X":{"metadata":{"likelihood":2.5}}}}}}' \
	'Rules.r.error_keys.X.metadata.likelihood: expected an integer, not a number'
bad_json 'an impact out of range' \
	'{"Rules":{"r":{"error_keys":{"X":{"metadata":{"impact":{"impact":4294967296}}}}}}}' \
	'Rules.r.error_keys.X.metadata.impact.impact: 4294967296 is out of range'
bad_json 'a likelihood beyond int64' \
	'{"Rules":{"r":{"error_keys":{"X":{"metadata":{"likelihood":18446744073709551615}}}}}}' \
	'Rules.r.error_keys.X.metadata.likelihood: integer out of range'
bad_json 'a tag that is not a string' \
	'{"Rules":{"r":{"error_keys":{"X":{"metadata":{"tags":["a",3]}}}}}}' \
	'Rules.r.error_keys.X.metadata.tags.1: expected a string, not an integer'
bad_json 'Rules as an array' '{"Rules":[]}' \
	'Rules: expected an object, not an array'
bad_json 'a string HasReason' '{"Rules":{"r":{"HasReason":"yes"}}}' \
	'Rules.r.HasReason: expected a boolean, not a string'
bad_json 'a string plugin' '{"Rules":{"r":{"plugin":"p"}}}' \
	'Rules.r.plugin: expected an object, not a string'
bad_json 'a rule that is a number' '{"Rules":{"r":1}}' \
	'Rules.r: expected an object, not an integer'
bad_json 'a string Config impact' '{"Config":{"impact":{"a":"b"}}}' \
	'Config.impact.a: expected an integer, not a string'
bad_json 'truncated JSON' '{"Rules":{"r":' 'json: offset'
bad_json 'data after the object' '{"Rules":{}} x' 'json: offset'

test_expect_success 'empty and missing content files' '
	: >empty &&
	test_expect_code 65 helper content empty 2>err &&
	test_grep "empty content" err &&
	printf " \n\t" >blank &&
	test_expect_code 65 helper content blank 2>err &&
	test_expect_code 69 helper content does-not-exist 2>err &&
	test_grep "unable to open does-not-exist" err
'

test_expect_success PYTHON 'write the gob encoder of the tests' '
	cat >gobenc.py <<-\EOF
	# The test streams, built with the Go encoding/gob encoder of
	# tests/fuzz/gen-gob-seeds.py (which also writes the seeds of fuzz-gob).
	import importlib.util, os, sys

	sys.dont_write_bytecode = True
	spec = importlib.util.spec_from_file_location("gob", os.path.join(
	    os.environ["TEST_DIRECTORY"], "fuzz", "gen-gob-seeds.py"))
	gob = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(gob)
	u, i, s, f64, st, msg, common = (gob.uint, gob.sint, gob.text, gob.double,
	                                 gob.fields, gob.message, gob.common)
	t_map, t_slice, t_array = gob.map_body, gob.slice_body, gob.array_body

	def t_struct(name, tid, fields):
	    return gob.struct_body(tid, name, fields)

	def defs(*types):
	    return b"".join(msg(-tid, body) for tid, body in types)

	# Types of the full stream; the ids are not the ones Go would pick.
	DIR = (65, t_struct("RuleContentDirectory", 65, [
	    ("Extra1", 4), ("Rules", 67), ("Extra2", 7), ("Extra3", 5),
	    ("Tree", 70), ("Config", 66), ("Count", 3), ("Arr", 72),
	    ("Ifaces", 80)]))
	TYPES = [
	    (79, t_slice(79, 6)),
	    (78, t_struct("Impact", 78, [("Impact", 2), ("Name", 6)])),
	    (77, t_struct("ErrorKeyMetadata", 77, [("Likelihood", 2),
	        ("Impact", 78), ("Tags", 79), ("Description", 6),
	        ("Weight", 4)])),
	    (73, t_struct("", 73, [("Metadata", 77), ("TotalRisk", 2),
	        ("Reason", 6)])),
	    (69, t_map(69, 6, 73)),
	    (68, t_struct("RuleContent", 68, [("Unknown", 6), ("ErrorKeys", 69),
	        ("HasReason", 1), ("Summary", 6), ("Ratio", 4)])),
	    (67, t_map(67, 6, 68)),
	    (76, t_slice(76, 2)),
	    (75, t_map(75, 6, 76)),
	    (70, t_struct("Node", 70, [("Name", 6), ("Kids", 74),
	        ("Attrs", 75)])),
	    (74, t_slice(74, 70)),
	    (71, t_map(71, 6, 2)),
	    (66, t_struct("GlobalRuleConfig", 66, [("Impact", 71)])),
	    (72, t_array(72, 3, 3)),
	    (80, t_slice(80, 8)),
	]

	def metadata(likelihood=i(3)):
	    return st([(0, likelihood),
	               (1, st([(0, i(2)), (1, s("Hung"))])),
	               (2, u(2) + s("t1") + s("t2")),
	               (3, s("Hello, gob")), (4, f64(0.5))])

	def rules(md):
	    ek = st([(0, md), (1, i(7)), (2, s("because"))])
	    rc = st([(0, s("junk")), (1, u(1) + s("MY_KEY") + ek), (2, u(1)),
	             (3, s(b"Sum\xff")), (4, f64(-1.25))])
	    return u(1) + s("my_rule") + rc

	def node(name, kids=(), attrs=None):
	    f = [(0, s(name))]
	    if kids:
	        f.append((1, u(len(kids)) + b"".join(kids)))
	    if attrs:
	        f.append((2, attrs))
	    return st(f)

	def full_value(md=None):
	    tree = node("root", [node("leaf"), node("mid", [node("x")],
	                u(1) + s("k") + u(2) + i(-5) + i(9))])
	    return st([(0, f64(2.5)), (1, rules(md or metadata())),
	               (2, f64(1.0) + f64(-2.0)), (3, s(b"\0\xff\1")),
	               (4, tree), (5, st([(0, u(2) + s("A") + i(1) + s("B") +
	               i(-300))])), (6, u(123456789)),
	               (7, u(3) + u(1) + u(2) + u(300)),
	               (8, u(2) + s("") + s(""))])

	def deep(n):
	    v = st([])
	    for _ in range(n):
	        v = st([(1, u(1) + v)])
	    return v

	def stream(kind):
	    full = defs(DIR, *TYPES)
	    if kind == "full":
	        return full + msg(65, full_value())
	    if kind == "more":
	        return (full + msg(65, full_value()) + msg(65, b"junk") +
	                b"\xff\xff\xff")
	    if kind == "gobencoder":
	        return msg(-65, st([(4, st([(0, common("T", 65))]))]))
	    if kind == "binarymarshaler":
	        return msg(-65, st([(5, st([(0, common("T", 65))]))]))
	    if kind == "dup":
	        return full + defs(TYPES[0]) + msg(65, full_value())
	    if kind == "undefined":
	        return (defs((65, t_struct("D", 65, [("Rules", 99)]))) +
	                msg(65, st([(0, u(0))])))
	    if kind == "deep":
	        return (defs((65, t_struct("D", 65, [("Rules", 6),
	                ("Tree", 70)])), (70, t_struct("Node", 70,
	                [("Name", 6), ("Kids", 74)])), (74, t_slice(74, 70))) +
	                msg(65, st([(1, deep(60))])))
	    if kind == "notdeep":
	        return (defs((65, t_struct("D", 65, [("Rules", 6),
	                ("Tree", 70)])), (70, t_struct("Node", 70,
	                [("Name", 6), ("Kids", 74)])), (74, t_slice(74, 70))) +
	                msg(65, st([(1, deep(20))])))
	    if kind == "mismatch":
	        md = (77, t_struct("ErrorKeyMetadata", 77, [("Likelihood", 6),
	              ("Impact", 78), ("Tags", 79), ("Description", 6),
	              ("Weight", 4)]))
	        types = [md if t[0] == 77 else t for t in TYPES]
	        return (defs(DIR, *types) +
	                msg(65, full_value(metadata(s("high")))))
	    if kind == "iface":
	        return (defs((65, t_struct("D", 65, [("Rules", 67),
	                ("Any", 8)])), (67, t_map(67, 6, 2))) +
	                msg(65, st([(1, s("main.T") + i(66) + u(1) + b"\0")])))
	    if kind == "notstruct":
	        return msg(6, b"\0" + s("hello"))
	    if kind == "trailing":
	        return full + msg(65, full_value() + b"\0")
	    if kind == "nofields":
	        return defs((65, t_struct("Foo", 65, [("Bar", 2)]))) + msg(65,
	                st([(0, i(1))]))
	    if kind == "novalue":
	        return full
	    if kind == "bigcount":
	        return full + msg(65, st([(1, u(1000000) + s("r"))]))
	    if kind == "badbool":
	        return full + msg(65, st([(1, u(1) + s("r") + st([(2, u(2))]))]))
	    if kind == "badlen":
	        return full + msg(65, st([(1, b"\xf7" + b"\0" * 9)]))
	    if kind == "baddelta":
	        return full + msg(65, st([(1, u(1) + s("r") + b"\x09\x00")]))
	    if kind == "badarray":
	        return full + msg(65, st([(7, u(2) + u(1) + u(2))]))
	    if kind == "rulesint":
	        return (defs((65, t_struct("D", 65, [("Rules", 2)]))) +
	                msg(65, st([(0, i(5))])))
	    if kind == "many":
	        n = 60000
	        return full + msg(65, st([(1, u(n) + b"".join(
	            s("r%d" % k) + b"\0" for k in range(n)))]))
	    raise SystemExit("unknown stream " + kind)

	sys.stdout.buffer.write(stream(sys.argv[1]))
	EOF
'

test_expect_success PYTHON 'gob: fields matched by name, unknown ones skipped' '
	python3 gobenc.py full >full.gob &&
	cat >expect <<-\EOF &&
	rules 1
	my_rule MY_KEY likelihood=3 impact=2 tags=t1,t2 description=Hello, gob
	EOF
	helper content full.gob >actual &&
	test_cmp expect actual &&
	cat >expect.json <<-\EOF &&
	{"Config": {"impact": {"A": 1, "B": -300}, "resolution_risk": null},
	 "Rules": {"my_rule": {
	  "plugin": {"name": "", "node_id": "", "product_code": "",
	             "python_module": ""},
	  "error_keys": {"MY_KEY": {
	    "metadata": {"description": "Hello, gob",
	                 "impact": {"name": "Hung", "impact": 2},
	                 "likelihood": 3, "publish_date": "",
	                 "resolution_risk": 0, "status": "",
	                 "tags": ["t1", "t2"]},
	    "total_risk": 7, "generic": "", "summary": "", "resolution": "",
	    "more_info": "", "reason": "because", "HasReason": false}},
	  "generic": "", "summary": "Sum\ufffd", "resolution": "",
	  "more_info": "", "reason": "", "HasReason": true}}}
	EOF
	helper content --json full.gob >tree.json &&
	json_equal tree.json expect.json
'

test_expect_success PYTHON 'gob: messages after the first value are ignored' '
	python3 gobenc.py more >more.gob &&
	helper content full.gob >expect &&
	helper content more.gob >actual &&
	test_cmp expect actual
'

test_expect_success PYTHON 'gob: 20 levels of nesting are fine' '
	python3 gobenc.py notdeep >notdeep.gob &&
	echo "rules 0" >expect &&
	helper content notdeep.gob >actual &&
	test_cmp expect actual
'

# bad_gob KIND MESSAGE: the stream KIND of gobenc.py is rejected.
bad_gob() {
	test_expect_success PYTHON "gob: $1 is rejected" "
		python3 gobenc.py $1 >$1.gob &&
		test_expect_code 65 helper content $1.gob 2>err &&
		test_grep -F '$2' err
	"
}
bad_gob gobencoder 'type 65 is encoded by a GobEncoder, which is not supported'
bad_gob binarymarshaler 'BinaryMarshaler, which is not supported'
bad_gob dup 'type 79 defined twice'
bad_gob undefined 'field Rules has undefined type 99'
bad_gob deep 'values nested more than 48 deep'
bad_gob mismatch 'Rules.my_rule.error_keys.MY_KEY.metadata.likelihood: wire type string does not match the expected int'
bad_gob iface 'interface values are not supported'
bad_gob notstruct 'the first value is a string, not a RuleContentDirectory'
bad_gob trailing '1 bytes left after the value'
bad_gob nofields 'has none of the fields of RuleContentDirectory'
bad_gob novalue 'end of data before any value'
bad_gob bigcount 'Rules: map of 1000000 elements, but only'
bad_gob badbool 'Rules.r.HasReason: boolean value 2'
bad_gob badlen 'invalid unsigned integer length byte 0xf7'
bad_gob baddelta 'Rules.r: field delta 9 after field -1 is past the last of 5 fields'
bad_gob badarray 'array of 2 elements, but its type has 3'
bad_gob rulesint 'Rules: wire type int does not match the expected map[string]RuleContent'
bad_gob many 'the value has more than 500000 parts'

test_expect_success PYTHON 'JSON content: the size of the tree is bounded' '
	cat >many.py <<-\EOF &&
	import sys
	if sys.argv[1] == "values":
	    print("{\"x\": [" + ",".join(["1"] * 600000) + "]}")
	else:
	    print("{\"Rules\": {" +
	          ",".join("\"r%d\": null" % k for k in range(60000)) + "}}")
	EOF
	python3 many.py values >many.json &&
	test_expect_code 65 helper content many.json 2>err &&
	test_grep "json: the content has more than 500000 values" err &&
	python3 many.py rules >many-rules.json &&
	test_expect_code 65 helper content many-rules.json 2>err &&
	test_grep "the content has more than 500000 parts" err
'

test_expect_success PYTHON 'gob: prefixes and mutations of a stream with every wire type' '
	helper content --mutate full.gob >out || { cat out; false; }
'

# HTTP: a file server with a few special paths, and a server that accepts
# connections but never answers.
if test_have_prereq PYTHON; then
	cat >server.py <<-\EOF
	import http.server, os, sys

	root, portfile, logfile = sys.argv[1:4]

	class Handler(http.server.SimpleHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"

	    def __init__(self, *args, **kw):
	        super().__init__(*args, directory=root, **kw)

	    def log_message(self, *args):
	        pass

	    def text(self, code, body, headers=()):
	        b = body.encode()
	        self.send_response(code)
	        self.send_header("Content-Type", "text/plain")
	        self.send_header("Content-Length", str(len(b)))
	        for k, v in headers:
	            self.send_header(k, v)
	        self.end_headers()
	        self.wfile.write(b)

	    def log(self):
	        with open(logfile, "a") as f:
	            f.write("%s %s %d\n" % (self.command, self.path,
	                                    self.client_address[1]))

	    def do_GET(self):
	        self.log()
	        if self.path.startswith("/status/"):
	            self.text(int(self.path[8:]), "status\n")
	        elif self.path == "/retry":
	            self.text(503, "busy\n", [("Retry-After", " 7 ")])
	        elif self.path == "/big":
	            self.text(200, "x" * 100000)
	        else:
	            super().do_GET()

	    def do_POST(self):
	        self.log()
	        n = int(self.headers.get("Content-Length", "0"))
	        body = self.rfile.read(n).decode()
	        self.text(201, "%s %s %s\n" % (self.headers.get("Content-Type"),
	                                       self.headers.get("Expect"), body))

	srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
	srv.daemon_threads = True
	with open(portfile + ".tmp", "w") as f:
	    f.write("%d\n" % srv.server_address[1])
	os.rename(portfile + ".tmp", portfile)
	srv.serve_forever()
	EOF
	cat >silent.py <<-\EOF
	import os, socket, sys, time
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	s.listen(16)
	with open(sys.argv[1] + ".tmp", "w") as f:
	    f.write("%d\n" % s.getsockname()[1])
	os.rename(sys.argv[1] + ".tmp", sys.argv[1])
	time.sleep(600)
	EOF
	mkdir www
	python3 server.py www port requests.log >server.log 2>&1 &
	test_atexit "kill $!"
	python3 silent.py silent-port >silent.log 2>&1 &
	test_atexit "kill $!"
	if test_wait_for 10 test -s port && test_wait_for 10 test -s silent-port
	then
		test_set_prereq HTTP
		base=http://127.0.0.1:$(cat port)
		silent=http://127.0.0.1:$(cat silent-port)
	fi
fi

test_expect_success HTTP 'fetch JSON content over HTTP' '
	cp content.json www/content.json &&
	helper content content.json >expect &&
	helper content "$base/content.json" >actual &&
	test_cmp expect actual
'

test_expect_success HTTP,SHARED 'fetch gob content over HTTP' '
	cp "$C/test_content.gob" www/content.gob &&
	helper content "$C/test_content.gob" >expect &&
	helper content "$base/content.gob" >actual &&
	test_cmp expect actual
'

test_expect_success HTTP 'a status other than 200 is a fetch error' '
	test_expect_code 69 helper content "$base/status/404" 2>err &&
	test_grep "HTTP status 404" err &&
	test_expect_code 69 helper content "$base/status/500" 2>err &&
	test_grep "HTTP status 500" err &&
	test_expect_code 69 helper content "$base/status/204" 2>err &&
	test_expect_code 69 helper content "$base/missing.json" 2>err &&
	test_grep "HTTP status 404" err
'

test_expect_success HTTP 'undecodable content over HTTP is a data error' '
	printf "not content" >www/garbage &&
	test_expect_code 65 helper content "$base/garbage" 2>err &&
	test_grep "gob: offset 0" err
'

test_expect_success 'file:// URLs' '
	helper content content.json >expect &&
	helper content "file://$PWD/content.json" >actual &&
	test_cmp expect actual &&
	test_expect_code 69 helper content "file://$PWD/nothing" 2>err &&
	test_grep "file" err
'

test_expect_success PYTHON 'a refused connection is a fetch error' '
	p=$(python3 -c "import socket; s = socket.socket(); \
s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	test_expect_code 69 helper content "http://127.0.0.1:$p/" 2>err &&
	test_grep -i "connect" err
'

test_expect_success HTTP 'a server that never answers times out' '
	start=$(date +%s%N) &&
	test_expect_code 69 helper content -t 500 "$silent/content" 2>err &&
	end=$(date +%s%N) &&
	ms=$(( (end - start) / 1000000 )) &&
	echo "took $ms ms" &&
	test $ms -ge 450 && test $ms -lt 3000 &&
	test_grep -i "timeout" err
'

test_expect_success HTTP 'http: the body limit' '
	helper content --http -m 100000 GET "$base/big" >out &&
	test_grep "^status 200" out &&
	test_expect_code 69 helper content --http -m 99999 GET "$base/big" 2>err &&
	test_grep "response body exceeds 99999 bytes" err
'

test_expect_success HTTP 'http: POST with headers, a response header, keep-alive' '
	: >requests.log &&
	helper content --http -H "Content-Type: application/json" \
		-d "{\"a\":1}" POST "$base/post" >out &&
	cat >expect <<-\EOF &&
	status 201
	application/json None {"a":1}
	EOF
	test_cmp expect out &&
	helper content --http -r retry-after GET "$base/retry" >out &&
	cat >expect <<-\EOF &&
	status 503
	retry-after: 7
	busy
	EOF
	test_cmp expect out &&
	test_line_count = 4 requests.log &&
	sed -n "1p;2p" requests.log | cut -d" " -f3 | uniq >ports &&
	test_line_count = 1 ports
'

test_expect_success HTTP 'http: the timeout applies to --http too' '
	test_expect_code 69 helper content --http -t 300 GET "$silent/" 2>err &&
	test_grep -i "timeout" err
'

test_done
