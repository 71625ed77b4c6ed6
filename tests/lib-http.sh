# lib-http.sh: HTTP stubs (tests/stubs/httpstub.py) for the tests.
# Source it after test-lib.sh:  . "$TEST_DIRECTORY"/lib-http.sh
#
# stub_start NAME ROLE [ARGS...]
#               start a stub (ROLE: content, renderer, sso, servicelog) in the
#               background, wait until it listens, set NAME_URL
#               (http://127.0.0.1:PORT) and NAME_PID, kill it at exit.
#               Call it at the top level of the script, not inside a test body
#               (test bodies run in a subshell: the variables would be lost).
#               Files: $TRASH_DIRECTORY/NAME.port, NAME.log (one JSON line per
#               request), NAME.err (the stub's stderr).
# stub_control NAME JSON     POST JSON to NAME's /_control, e.g.
#               stub_control SL '{"mode": "500", "count": 2}'
# stub_requests NAME         print NAME's request log (JSON lines)
# stub_clear NAME            empty NAME's request log
# stub_stop NAME             SIGTERM the stub and wait until it has gone

STUB_PY=$TEST_DIRECTORY/stubs/httpstub.py

_stub_ready_or_dead() {
	test -s "$TRASH_DIRECTORY/$1.port" || ! kill -0 "$2" 2>/dev/null
}

stub_start() {
	_name=$1 _role=$2
	shift 2
	rm -f "$TRASH_DIRECTORY/$_name.port"
	python3 "$STUB_PY" "$_role" \
		--port-file "$TRASH_DIRECTORY/$_name.port" \
		--log "$TRASH_DIRECTORY/$_name.log" \
		--watch-pid $$ "$@" \
		</dev/null >"$TRASH_DIRECTORY/$_name.err" 2>&1 &
	_pid=$!
	test_atexit "kill $_pid 2>/dev/null"
	test_wait_for 10 _stub_ready_or_dead "$_name" "$_pid"
	if ! test -s "$TRASH_DIRECTORY/$_name.port"; then
		say "stub_start: $_name ($_role) did not start:" >&2
		sed 's/^/| /' "$TRASH_DIRECTORY/$_name.err" >&2
		kill "$_pid" 2>/dev/null
		return 1
	fi
	_port=$(cat "$TRASH_DIRECTORY/$_name.port")
	eval "${_name}_URL=http://127.0.0.1:$_port ${_name}_PID=$_pid"
}

_stub_url() { eval "printf '%s' \"\${${1}_URL}\""; }

stub_control() {
	curl -sS --fail --max-time 5 -H 'Content-Type: application/json' \
		--data-binary "$2" "$(_stub_url "$1")/_control" >/dev/null
}

stub_requests() {
	test -f "$TRASH_DIRECTORY/$1.log" || return 0
	cat "$TRASH_DIRECTORY/$1.log"
}

stub_clear() { stub_control "$1" '{"clear": true}'; }

_stub_gone() { ! test -e "$TRASH_DIRECTORY/$1.port" || ! kill -0 "$2" 2>/dev/null; }

stub_stop() {
	eval "_pid=\${${1}_PID}"
	kill "$_pid" 2>/dev/null
	test_wait_for 10 _stub_gone "$1" "$_pid"
}
