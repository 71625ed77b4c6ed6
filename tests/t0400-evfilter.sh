#!/bin/sh
test_description='event-filter language (SPEC 4.5): values, precedence, errors'
. ./test-lib.sh

# check_table FILE: FILE holds "EXPR => WANT" lines (and "let ..." and
# "# ..." lines); feeds the expressions to "helper evfilter -" and compares.
check_table() {
	sed 's/ => .*//' "$1" >input &&
	helper evfilter - <input >actual &&
	test_cmp "$1" actual
}

# nest N [ATOM]: ATOM (default 1) inside N pairs of parentheses.
nest() {
	awk -v n="$1" -v a="${2:-1}" 'BEGIN {
		for (i = 0; i < n; i++) printf "(";
		printf "%s", a;
		for (i = 0; i < n; i++) printf ")";
	}'
}

test_expect_success 'SPEC 4.5 examples (totalRisk 2, threshold 3)' '
	cat >table <<-\EOF &&
	let totalRisk=2 totalRiskThreshold=3
	totalRisk < totalRiskThreshold => 1
	totalRisk <= totalRiskThreshold => 1
	totalRisk != totalRiskThreshold => 1
	totalRisk == totalRiskThreshold => 0
	totalRisk >= totalRiskThreshold => 0
	totalRisk > totalRiskThreshold => 0
	totalRisk + 1 == totalRiskThreshold => 1
	totalRisk >= => error: missing operand at column 13
	EOF
	check_table table
'

test_expect_success 'SPEC 4.5 compound example parses as documented' '
	a="totalRisk * 2 > 3 && impact % 2 == 0 || likelihood == 4" &&
	b="((totalRisk*2 > 3) && (impact%2 == 0)) || (likelihood == 4)" &&
	for tr in 1 2; do
		for im in 1 2; do
			for li in 0 4; do
				vars="totalRisk=$tr impact=$im likelihood=$li" &&
				x=$(helper evfilter "$a" $vars) &&
				y=$(helper evfilter "$b" $vars) &&
				echo "$vars $x" >>compound.a &&
				echo "$vars $y" >>compound.b || return 1
			done
		done
	done &&
	test_cmp compound.b compound.a &&
	cat >expect <<-\EOF &&
	totalRisk=1 impact=1 likelihood=0 0
	totalRisk=1 impact=1 likelihood=4 1
	totalRisk=1 impact=2 likelihood=0 0
	totalRisk=1 impact=2 likelihood=4 1
	totalRisk=2 impact=1 likelihood=0 0
	totalRisk=2 impact=1 likelihood=4 1
	totalRisk=2 impact=2 likelihood=0 1
	totalRisk=2 impact=2 likelihood=4 1
	EOF
	test_cmp expect compound.a
'

test_expect_success 'precedence and left associativity' '
	cat >table <<-\EOF &&
	2 + 3 * 4 => 14
	(2 + 3) * 4 => 20
	2 * 3 + 4 => 10
	10 - 3 - 2 => 5
	10 - (3 - 2) => 9
	100 / 10 / 5 => 2
	100 / (10 / 5) => 50
	100 % 7 % 3 => 2
	2 * 9 / 4 => 4
	2 * (9 / 4) => 4
	9 / 4 * 2 => 4
	17 % 5 * 3 => 6
	1 < 2 < 3 => 1
	3 > 2 > 1 => 0
	3 > 2 == 1 => 1
	1 == 1 == 1 => 1
	2 == 2 == 2 => 0
	5 != 4 != 1 => 0
	1 + 1 == 2 => 1
	1 < 2 + 0 => 1
	0 || 1 && 0 => 0
	1 || 0 && 0 => 1
	1 && 2 == 2 => 1
	1 && 1 < 0 || 1 => 1
	2 && 3 => 1
	0 || 7 => 1
	0 || 0 => 0
	(((7))) => 7
	EOF
	check_table table
'

test_expect_success 'division truncates toward zero, % takes the dividend sign' '
	cat >table <<-\EOF &&
	0 - 7 / 2 => -3
	(0 - 7) / 2 => -3
	7 / (0 - 2) => -3
	(0 - 7) / (0 - 2) => 3
	7 / 2 => 3
	7 % 2 => 1
	(0 - 7) % 2 => -1
	7 % (0 - 2) => 1
	(0 - 7) % (0 - 2) => -1
	0 / 5 => 0
	6 % 3 => 0
	EOF
	check_table table
'

test_expect_success 'signed 64-bit values wrap, never trap' '
	cat >table <<-\EOF &&
	9223372036854775807 => 9223372036854775807
	0009223372036854775807 => 9223372036854775807
	9223372036854775807 + 1 => -9223372036854775808
	0 - 9223372036854775807 - 1 => -9223372036854775808
	0 - 9223372036854775807 - 2 => 9223372036854775807
	9223372036854775807 * 2 => -2
	4294967296 * 4294967296 => 0
	(0 - 9223372036854775807 - 1) / (0 - 1) => -9223372036854775808
	(0 - 9223372036854775807 - 1) % (0 - 1) => 0
	(0 - 9223372036854775807 - 1) / 1 => -9223372036854775808
	(0 - 9223372036854775807 - 1) % 7 => -1
	0 - 9223372036854775807 - 1 < 0 => 1
	EOF
	check_table table
'

test_expect_success 'both operands are always evaluated' '
	cat >table <<-\EOF &&
	0 && 1 / 0 => divzero
	1 || 1 / 0 => divzero
	1 / 0 || 1 => divzero
	0 && 1 % 0 => divzero
	0 * (5 / 0) => divzero
	1 / 0 => divzero
	1 % 0 => divzero
	let totalRisk=2
	totalRisk / likelihood => divzero
	totalRisk % (totalRisk - 2) => divzero
	let likelihood=2
	4 / likelihood => 2
	EOF
	check_table table
'

test_expect_success 'exit status: 0 value, 1 compile error, 2 division by zero' '
	helper evfilter "1 + 1" >out &&
	echo 2 >expect && test_cmp expect out &&
	test_expect_code 1 helper evfilter "1 +" >out &&
	echo "error: missing operand at column 4" >expect && test_cmp expect out &&
	test_expect_code 2 helper evfilter "0 && 1 / 0" >out &&
	echo divzero >expect && test_cmp expect out &&
	test_expect_code 64 helper evfilter 1 nosuch=1 2>err &&
	test_grep "bad variable" err
'

test_expect_success 'every compile error names its column' '
	cat >table <<-\EOF &&
	totalRisk >= foo => error: unknown identifier '"'"'foo'"'"' at column 14
	1 + 2 * => error: missing operand at column 8
	* 2 => error: missing operand at column 1
	1 + + 2 => error: missing operand at column 5
	1 + () => error: missing operand at column 6
	(1 + ) => error: missing operand at column 6
	( => error: missing operand at column 2
	1 2 => error: leftover operand at column 3
	(1 + 2) 3 => error: leftover operand at column 9
	(1 2) => error: leftover operand at column 4
	1 (2) => error: leftover operand at column 3
	totalRisk impact => error: leftover operand at column 11
	(1 + 2 => error: unbalanced parenthesis at column 1
	((1) + 2 => error: unbalanced parenthesis at column 1
	(1) + (2 => error: unbalanced parenthesis at column 7
	1 + 2) => error: unbalanced parenthesis at column 6
	) => error: unbalanced parenthesis at column 1
	(1)) => error: unbalanced parenthesis at column 4
	1 ! 2 => error: unexpected character '"'"'!'"'"' at column 3
	!1 => error: unexpected character '"'"'!'"'"' at column 1
	1 = 1 => error: unexpected character '"'"'='"'"' at column 3
	1 & 1 => error: unexpected character '"'"'&'"'"' at column 3
	1 | 1 => error: unexpected character '"'"'|'"'"' at column 3
	1 ^ 1 => error: unexpected character '"'"'^'"'"' at column 3
	"a" => error: unexpected character '"'"'"'"'"' at column 1
	0x10 => error: unexpected character '"'"'x'"'"' at column 2
	1.5 => error: unexpected character '"'"'.'"'"' at column 2
	12abc => error: unexpected character '"'"'a'"'"' at column 3
	1 \\ 2 => error: unexpected character '"'"'\'"'"' at column 3
	1 +\r2 => error: unexpected character '"'"'\x0d'"'"' at column 4
	9223372036854775808 => error: integer out of range at column 1
	1 + 99999999999999999999 => error: integer out of range at column 5
	EOF
	check_table table
'

test_expect_success 'errors in argument mode, and lines the table keeps for itself' '
	test_expect_code 1 helper evfilter "#" >out &&
	test_expect_code 1 helper evfilter "$(printf "1 +\302")" >>out &&
	test_expect_code 1 helper evfilter "$(printf "1\013")" >>out &&
	test_expect_code 1 helper evfilter "let" >>out &&
	cat >expect <<-\EOF &&
	error: unexpected character '"'"'#'"'"' at column 1
	error: unexpected character '"'"'\xc2'"'"' at column 4
	error: unexpected character '"'"'\x0b'"'"' at column 2
	error: unknown identifier '"'"'let'"'"' at column 1
	EOF
	test_cmp expect out
'

test_expect_success 'a long unknown identifier is cut in the message' '
	id=$(awk "BEGIN { for (i = 0; i < 100; i++) printf \"x\" }") &&
	test_expect_code 1 helper evfilter "1 + $id" >out &&
	echo "error: unknown identifier '"'"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"'"' at column 5" >expect &&
	test_cmp expect out
'

test_expect_success 'empty means the default, blank is an error' '
	cat >table <<-\EOF &&
	let totalRisk=2 totalRiskThreshold=3
	 => 0
	let totalRisk=3 totalRiskThreshold=3
	 => 1
	let totalRisk=4 totalRiskThreshold=3
	 => 1
	let
	 => 1
	let totalRisk=0 totalRiskThreshold=1
	 => 0
	  => error: empty expression
	\t\n  \t => error: empty expression
	EOF
	check_table table &&
	helper evfilter "" totalRisk=1 >out &&
	test_expect_code 1 helper evfilter " " >>out &&
	test_expect_code 1 helper evfilter "$(printf "\t\n\t")x" >/dev/null &&
	cat >expect <<-\EOF &&
	1
	error: empty expression
	EOF
	test_cmp expect out
'

test_expect_success 'space, tab and newline are whitespace' '
	cat >table <<-\EOF &&
	1\t+\t2 => 3
	1\n+\n2 => 3
	\n\t 2 *\n\n3\t\t => 6
	(\t1\n) => 1
	totalRisk\n>=\ttotalRiskThreshold => 1
	1 <\t= 2 => error: unexpected character '"'"'='"'"' at column 5
	1 &\n& 1 => error: unexpected character '"'"'&'"'"' at column 3
	1 !\t= 1 => error: unexpected character '"'"'!'"'"' at column 3
	EOF
	check_table table &&
	helper evfilter "$(printf "\n1\n+\t2\n")" >out &&
	echo 3 >expect &&
	test_cmp expect out
'

test_expect_success 'no unary operators' '
	cat >table <<-\EOF &&
	-1 => error: missing operand at column 1
	1 - -1 => error: missing operand at column 5
	2 * -3 => error: missing operand at column 5
	+1 => error: missing operand at column 1
	(-1) => error: missing operand at column 2
	0 - 1 => -1
	EOF
	check_table table
'

test_expect_success 'identifiers: the eight variables, case-sensitive' '
	cat >table <<-\EOF &&
	let totalRisk=1 likelihood=2 impact=3 severity=4 totalRiskThreshold=5 likelihoodThreshold=6 impactThreshold=7 severityThreshold=8
	totalRisk => 1
	likelihood => 2
	impact => 3
	severity => 4
	totalRiskThreshold => 5
	likelihoodThreshold => 6
	impactThreshold => 7
	severityThreshold => 8
	totalRisk*10000000+likelihood*1000000+impact*100000+severity*10000+totalRiskThreshold*1000+likelihoodThreshold*100+impactThreshold*10+severityThreshold => 12345678
	let totalRisk=-9223372036854775808
	totalRisk => -9223372036854775808
	TotalRisk => error: unknown identifier '"'"'TotalRisk'"'"' at column 1
	totalrisk => error: unknown identifier '"'"'totalrisk'"'"' at column 1
	TOTALRISK => error: unknown identifier '"'"'TOTALRISK'"'"' at column 1
	totalRisk_ => error: unknown identifier '"'"'totalRisk_'"'"' at column 1
	totalRisk2 => error: unknown identifier '"'"'totalRisk2'"'"' at column 1
	_ => error: unknown identifier '"'"'_'"'"' at column 1
	1 + total => error: unknown identifier '"'"'total'"'"' at column 5
	EOF
	check_table table
'

test_expect_success 'nesting is bounded' '
	nest 100 >e100 &&
	helper evfilter "$(cat e100)" >out &&
	echo 1 >expect && test_cmp expect out &&
	nest 100 "1 + 2 * 3 < 4 && 5 || 6" >e100x &&
	helper evfilter "$(cat e100x)" >out &&
	echo 1 >expect && test_cmp expect out &&
	nest 101 >e101 &&
	test_expect_code 1 helper evfilter "$(cat e101)" >out &&
	echo "error: parentheses nested deeper than 100 at column 101" >expect &&
	test_cmp expect out &&
	nest 256 >e256 &&
	test_expect_code 1 helper evfilter "$(cat e256)" >out &&
	test_cmp expect out &&
	# Longer than one argument may be: through the table.
	nest 100000 >ebig &&
	echo >>ebig &&
	helper evfilter - <ebig >out &&
	sed "s/.* => //" out >actual &&
	test_cmp expect actual
'

test_expect_success 'the deepest evaluation stack fits' '
	# Each of the 5 levels keeps a pending operand at every depth.
	awk "BEGIN {
		for (i = 0; i < 100; i++) printf \"1 || 1 && 1 == 1 + 1 * (\";
		printf \"1\";
		for (i = 0; i < 100; i++) printf \")\";
	}" >deep &&
	helper evfilter "$(cat deep)" >out &&
	echo 1 >expect &&
	test_cmp expect out
'

test_expect_success 'long flat expressions need no recursion' '
	awk "BEGIN { printf \"0\"; for (i = 0; i < 100000; i++) printf \" + 1\";
		print \"\" }" >flat &&
	helper evfilter - <flat >out &&
	sed "s/.* => //" out >actual &&
	echo 100000 >expect &&
	test_cmp expect actual
'

test_expect_success PYTHON 'random expressions agree with a reference model' '
	cat >gen.py <<-\EOF &&
	import random
	r = random.Random(400)
	M = 1 << 64
	def wrap(x):
	    x %= M
	    return x - M if x >= 1 << 63 else x
	LEVEL = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 2, "<=": 2,
	         ">": 2, ">=": 2, "+": 3, "-": 3, "*": 4, "/": 4, "%": 4}
	VARS = {"totalRisk": 2, "likelihood": 3, "impact": 1, "severity": 0,
	        "totalRiskThreshold": 3, "likelihoodThreshold": 0,
	        "impactThreshold": 0, "severityThreshold": 0}
	class DivZero(Exception):
	    pass
	def ev(t):
	    if t[0] == "n":
	        return t[1]
	    if t[0] == "v":
	        return VARS[t[1]]
	    a, b = ev(t[1]), ev(t[2])
	    o = t[0]
	    if o in ("/", "%"):
	        if b == 0:
	            raise DivZero
	        q = abs(a) // abs(b)
	        if (a < 0) != (b < 0):
	            q = -q
	        return wrap(q) if o == "/" else wrap(a - b * q)
	    return {"||": lambda: int(a != 0 or b != 0),
	            "&&": lambda: int(a != 0 and b != 0),
	            "==": lambda: int(a == b), "!=": lambda: int(a != b),
	            "<": lambda: int(a < b), "<=": lambda: int(a <= b),
	            ">": lambda: int(a > b), ">=": lambda: int(a >= b),
	            "+": lambda: wrap(a + b), "-": lambda: wrap(a - b),
	            "*": lambda: wrap(a * b)}[o]()
	def gen(d):
	    if d == 0 or r.random() < 0.2:
	        if r.random() < 0.5:
	            return ("v", r.choice(sorted(VARS)))
	        return ("n", r.choice([0, 1, 2, 3, 7, 10, 4611686018427387904,
	                               9223372036854775807]))
	    return (r.choice(sorted(LEVEL)), gen(d - 1), gen(d - 1))
	def show(t, minimal):
	    if t[0] in ("n", "v"):
	        return str(t[1])
	    p = LEVEL[t[0]]
	    a, b = show(t[1], minimal), show(t[2], minimal)
	    if not minimal or (t[1][0] in LEVEL and LEVEL[t[1][0]] < p):
	        a = "(" + a + ")"
	    if not minimal or (t[2][0] in LEVEL and LEVEL[t[2][0]] <= p):
	        b = "(" + b + ")"
	    sp = r.choice([" ", "", "\\t", "\\n"])
	    return a + sp + t[0] + sp + b
	print("let " + " ".join("%s=%d" % kv for kv in sorted(VARS.items())))
	for i in range(3000):
	    t = gen(r.randint(1, 6))
	    try:
	        want = str(ev(t))
	    except DivZero:
	        want = "divzero"
	    print(show(t, i % 2 == 0) + " => " + want)
	EOF
	python3 gen.py >table &&
	test_line_count = 3001 table &&
	check_table table
'

test_expect_success PYTHON 'random garbage never crashes the compiler' '
	cat >junk.py <<-\EOF &&
	import random
	r = random.Random(401)
	atoms = ["(", ")", "((", "))", "1", "99999999999999999999", "totalRisk",
	         "x", "+", "-", "*", "/", "%", "<", "<=", "==", "!=", "=", "!",
	         "&&", "||", "&", "|", " ", "\\t", "\\n", "\\r", "#", "0x", "."]
	for i in range(5000):
	    print("".join(r.choice(atoms) for _ in range(r.randint(1, 40))))
	EOF
	python3 junk.py | grep -v "^let" | grep -v "^#" >input &&
	helper evfilter - <input >actual &&
	test_line_count = $(wc -l <input) actual &&
	! grep -v -e " => -\{0,1\}[0-9][0-9]*$" -e " => divzero$" \
		-e " => error: [a-z]" actual
'

test_done
