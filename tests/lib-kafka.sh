# lib-kafka.sh: a mock Kafka cluster (tests/mockbroker) for the tests.
#
# Source it after test-lib.sh, as ". "$TEST_DIRECTORY/lib-kafka.sh"
# (test-lib.sh has already moved into the scratch directory).
#
# mock_start [ARGS...]  starts "mockbroker ARGS -f $TRASH_DIRECTORY/mock.ready"
#                       in the background, waits for it to be ready, exports
#                       BROKERS (the bootstrap list), sets MOCK_PID and the
#                       prerequisite KAFKA, and stops it at exit.  Call it
#                       at the top level of the script, not inside a test
#                       body (a body runs in a subshell).  One mock cluster
#                       per script; its brokers listen on ports the kernel
#                       picks, so scripts may run in parallel.
# mock_cmd CMD...       sends one command and waits for its answer: returns
#                       0 on "ok", 1 on "error: ..." (printed on stderr) or
#                       when no answer came within 10 s.  Not concurrently.
# mock_stop             sends quit and waits (10 s) for mockbroker to exit;
#                       returns its exit status.
# reader_start OUT ARG...  (in a test body) starts kafka-reader -b $BROKERS
#                       $KR_OPTS ARG... in the background, stdout to OUT and
#                       stderr to err; sets pid, and kills it when the test
#                       ends.  Redirections on the call apply to it.
#
# MOCK_GROUP_OPTS      -X options for consumer-group members: the mock
#                       coordinator makes a member that joins after another
#                       left wait session.timeout.ms - 1 s (44 s by default)
#                       before it elects a leader; with these it waits 2 s.
#                       The first join of a group always waits 3 s.
#
# Mock limitations (librdkafka 2.0.2): a broker that is down refuses
# connections but stays leader of its partitions (no leader election), so
# producing to them times out until it is up again; rtt delays answers.
#
# Files in $TRASH_DIRECTORY: mock.in (the FIFO of commands, held open for
# writing on fd 9 by the script's shell), mock.out (mockbroker's stdout: the
# bootstrap list, then one answer a line), mock.err (its stderr), mock.ready,
# mock.pid and mock.status (its exit status, once it has exited).

MOCK_WAIT=${MOCK_WAIT:-10}
MOCK_GROUP_OPTS="-X session.timeout.ms=3000 -X heartbeat.interval.ms=500"

mock_ready_() {
	{ test -f "$TRASH_DIRECTORY/mock.ready" &&
	  test -s "$TRASH_DIRECTORY/mock.pid"; } ||
	test -s "$TRASH_DIRECTORY/mock.status"
}

mock_start() {
	_md=$TRASH_DIRECTORY
	rm -f "$_md/mock.in" "$_md/mock.out" "$_md/mock.err" "$_md/mock.ready" \
		"$_md/mock.ready.tmp" "$_md/mock.pid" "$_md/mock.status"
	mkfifo "$_md/mock.in" || return 1
	# The subshell records the exit status, so that any shell, even a
	# test body's subshell, can wait for the exit with a deadline.
	(
		mockbroker "$@" -f "$_md/mock.ready" <"$_md/mock.in" \
			>"$_md/mock.out" 2>"$_md/mock.err" &
		echo $! >"$_md/mock.pid"
		wait $!
		echo $? >"$_md/mock.status.tmp"
		mv "$_md/mock.status.tmp" "$_md/mock.status"
	) </dev/null >/dev/null 2>&1 &
	# Read-write open of a FIFO does not block (Linux), and keeps a
	# reader so that writes never raise SIGPIPE.
	exec 9<>"$_md/mock.in"
	test_atexit mock_stop
	if ! test_wait_for "$MOCK_WAIT" mock_ready_ ||
	   ! test -f "$_md/mock.ready"; then
		say "mock_start: mockbroker did not get ready:" >&2
		sed 's/^/| /' "$_md/mock.err" >&2
		return 1
	fi
	BROKERS=$(cat "$_md/mock.ready")
	MOCK_PID=$(cat "$_md/mock.pid")
	export BROKERS
	test_set_prereq KAFKA
}

mock_lines_() {
	test "$(wc -l <"$TRASH_DIRECTORY/mock.out")" -ge "$1"
}

mock_cmd() {
	_mo=$TRASH_DIRECTORY/mock.out
	_n=$(($(wc -l <"$_mo") + 1))
	printf '%s\n' "$*" >&9 || return 1
	if ! test_wait_for "$MOCK_WAIT" mock_lines_ "$_n"; then
		say "mock_cmd: no answer to: $*" >&2
		return 1
	fi
	_answer=$(sed -n "${_n}p" "$_mo")
	test "$_answer" = ok && return 0
	say "mock_cmd: $*: $_answer" >&2
	return 1
}

mock_exited_() { test -s "$TRASH_DIRECTORY/mock.status"; }

mock_stop() {
	_md=$TRASH_DIRECTORY
	test -f "$_md/mock.pid" || return 1
	mock_exited_ || printf 'quit\n' >&9
	if ! test_wait_for "$MOCK_WAIT" mock_exited_; then
		kill -9 "$(cat "$_md/mock.pid")" 2>/dev/null
		test_wait_for 5 mock_exited_
		say "mock_stop: mockbroker did not quit; killed" >&2
		return 1
	fi
	return "$(cat "$_md/mock.status")"
}

reader_start() {
	_out=$1
	shift
	kafka-reader -b "$BROKERS" $KR_OPTS "$@" >"$_out" 2>err &
	pid=$!
	test_when_finished "kill -9 $pid 2>/dev/null"
}
