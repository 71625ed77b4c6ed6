# fe-lib.sh: what the tests of the upstream front ends share (t8000, t8100).
# Sourced after test-lib.sh.

NO_COLOR=1
export NO_COLOR

# goflag_usage ARGV0 <LINES: the usage Go's flag package prints for flags
# given as "name type help" lines (type "-" for a boolean), in byte order.
goflag_usage() {
	printf "Usage of %s:\n" "$1"
	while read -r name type help; do
		case $type in -) type= ;; *) type=" $type" ;; esac
		printf "  -%s%s\n    \t%s\n" "$name" "$type" "$help"
	done
}

# maint_flags: the "name type help" lines of the flags both programs have.
maint_flags() {
	cat <<-\EOF
	max-age string max age for displaying/cleaning old records
	new-reports-cleanup - perform new reports clean up
	old-reports-cleanup - perform old reports clean up
	print-new-reports-for-cleanup - print new reports to be cleaned up
	print-old-reports-for-cleanup - print old reports to be cleaned up
	EOF
}

# usage_is PROG BYTES: PROG -h prints the test's usage PROG (BYTES of it)
# on stderr, nothing on stdout; the usage stays in expect.
usage_is() {
	usage "$1" >expect &&
	"$1" -h >out 2>actual &&
	test_line_count = 0 out &&
	test_cmp expect actual &&
	test "$(wc -c <actual | tr -d " ")" = "$2"
}

# flag_error LINE PROG ARGS...: PROG ARGS exits 2, LINE the first line of
# its stderr (in err).
flag_error() {
	_line=$1
	shift
	test_expect_code 2 "$@" 2>err &&
	test "$(head -1 err)" = "$_line"
}

# msg FILE TEXT: FILE has a JSON record whose message is TEXT.
msg() { grep -F "\"message\":\"$2\"" "$1" >/dev/null; }
# msg_start FILE TEXT: ... whose message starts with TEXT.
msg_start() { grep -F "\"message\":\"$2" "$1" >/dev/null; }
