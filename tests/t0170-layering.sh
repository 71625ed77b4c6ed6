#!/bin/sh

test_description='layering: no two source files depend on each other in a circle (tests/tools/include-cycles.sh)'

. ./test-lib.sh

TOOL=$TEST_DIRECTORY/tools/include-cycles.sh
# log.c formats its messages into a fixed buf, and buf.c dies through
# log_fatal: the one circle that is meant.
BUF_LOG='common/buf.c common/log.c'

command -v nm >/dev/null 2>&1 || skip_all 'nm(1) is missing'
[ -d "$CCX_BUILD/obj/common" ] || skip_all "no objects in $CCX_BUILD/obj"

test_expect_success 'the tool finds circles of calls and of #includes' '
	mkdir -p fake/tests/tools fake/common fake/bin/p fake/b/obj/common \
		fake/b/obj/bin/p &&
	cp "$TOOL" fake/tests/tools/ &&
	printf "void a(void);\nvoid b(void);\nvoid a(void) { b(); }\n" \
		>fake/common/a.c &&
	printf "void a(void);\nvoid b(void);\nvoid b(void) { a(); }\n" \
		>fake/common/b.c &&
	printf "void c(void);\nvoid c(void) { }\n" >fake/common/c.c &&
	printf "void c(void);\nint main(void);\nint main(void) { c(); return 0; }\n" \
		>fake/bin/p/p.c &&
	printf "#include \"y.h\"\n" >fake/common/x.h &&
	printf "#include \"x.h\"\n" >fake/common/y.h &&
	printf "#include \"x.h\"\n" >fake/bin/p/p.h &&
	for f in common/a common/b common/c bin/p/p; do
		cc -c -o fake/b/obj/$f.o fake/$f.c || return 1
	done &&
	test_expect_code 1 sh fake/tests/tools/include-cycles.sh fake/b \
		>out &&
	grep "^cycle" out | sort >actual &&
	cat >expect <<-\EOF &&
	cycle: common/a.c common/b.c
	cycle: common/x.h common/y.h
	EOF
	test_cmp expect actual &&
	grep -F "  common/a.c -> common/b.c (b)" out &&
	grep -F "  common/x.h -> common/y.h (#include)" out &&
	sh fake/tests/tools/include-cycles.sh -a "common/b.c common/a.c" \
		-a "common/y.h common/x.h" fake/b >out &&
	grep -c "^allowed: " out >count &&
	echo 2 >expect &&
	test_cmp expect count
'

test_expect_success 'the tool reads the objects of the build (buf.c and log.c)' '
	test_expect_code 1 sh "$TOOL" "$CCX_BUILD" >out &&
	grep -Fx "cycle: $BUF_LOG" out &&
	sh "$TOOL" -e "$CCX_BUILD" >edges &&
	grep -Fx "bin/servicelog-poster/run.c bin/servicelog-poster/render.c render_cluster" edges
'

test_expect_success 'no circle but buf.c/log.c' '
	sh "$TOOL" -a "$BUF_LOG" "$CCX_BUILD" >out ||
	{ cat out; false; }
'

test_expect_success 'servicelog-poster: util.c calls no other file of the program' '
	sh "$TOOL" -e "$CCX_BUILD" >edges &&
	grep "^bin/servicelog-poster/util.c bin/" edges >actual;
	test_must_fail test -s actual &&
	grep "^bin/servicelog-poster/[a-z]*.c bin/servicelog-poster/util.c " \
		edges >users &&
	for f in post render run token; do
		grep -q "^bin/servicelog-poster/$f.c " users || return 1
	done
'

test_done
