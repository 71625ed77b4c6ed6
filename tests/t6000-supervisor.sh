#!/bin/sh
test_description='supervisor: pipelines from a file, restarts with backoff, schedules, drain, readiness, status'
. ./test-lib.sh

CONF_DIR=$TEST_DIRECTORY/../supervisor

# stage NAME <<EOF: an executable sh script NAME in the scratch directory;
# its base name is what the supervisor's prefixes show.
stage() {
	{ echo '#!/bin/sh'; cat; } >"$TRASH_DIRECTORY/$1" &&
	chmod +x "$TRASH_DIRECTORY/$1"
}

# sup_start ARGS...: the supervisor in the background, stderr in log,
# stdout in out; its pid in $sup.  Call it in the test body, not in a
# command substitution, so that $sup is the supervisor's own pid.
sup_start() {
	supervisor "$@" >out 2>log &
	sup=$!
}

# sup_wait PID SECONDS: wait for PID (a child of this shell) with a
# deadline, after which it is killed; its exit status in $rc.
sup_wait() {
	( sleep "$2"; kill -9 "$1" ) >/dev/null 2>&1 &
	_w=$!
	wait "$1"
	rc=$?
	kill "$_w" 2>/dev/null
	test "$rc" != 137 || { say "pid $1 killed after $2 s" >&2; return 1; }
}

# gone PID: PID, not a child of this shell, has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }
lines() { test "$(cat "$2" 2>/dev/null | wc -l)" -ge "$1"; }
has() { grep -q -e "$1" "$2" 2>/dev/null; }
# ge A B: A >= B, as decimal numbers.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 supervisor &&
	test_expect_code 64 supervisor a b &&
	test_expect_code 64 supervisor -1 only-a-file &&
	test_expect_code 64 supervisor -g x f 2>err &&
	test_grep -- "-g \"x\": not a duration from 0 to 3600 seconds" err &&
	test_expect_code 64 supervisor -r 0 f &&
	test_expect_code 64 supervisor --log-format xml f &&
	printf "pipeline p\n\trun true\n" >ok.conf &&
	test_expect_code 64 supervisor -1 ok.conf nosuch 2>err &&
	test_grep "ok.conf: no pipeline nosuch" err
'

# bad_conf LINE MESSAGE: the file on stdin is refused with file:line: message.
bad_conf() {
	cat >bad.conf &&
	test_expect_code 78 supervisor -c bad.conf 2>err &&
	test_grep -F "bad.conf:$1: $2" err
}

test_expect_success 'configuration errors give file:line and exit 78' '
	unset NO_SUCH_VAR &&
	printf "pipeline p\n\trun echo \$NO_SUCH_VAR\n" |
		bad_conf 2 "variable \$NO_SUCH_VAR is not set" &&
	printf "pipeline p\n\trun echo \"\${NO_SUCH_VAR}\"\n" |
		bad_conf 2 "variable \$NO_SUCH_VAR is not set" &&
	printf "pipeline p\n\trun echo \${HOME\n" | bad_conf 2 "unterminated \${" &&
	printf "pipeline p\n\trun echo a\$\n" |
		bad_conf 2 "'\''\$'\'' without a variable name" &&
	printf "pipeline p\n\trun echo '\''abc\n" | bad_conf 2 "unterminated '\''" &&
	printf "pipeline p\n\trun echo \"abc\n" | bad_conf 2 "unterminated \"" &&
	printf "pipeline p\n\trun echo a\\\\\n" |
		bad_conf 2 "backslash at the end of the line" &&
	printf "# c\nrun echo\n" | bad_conf 2 "run outside a pipeline" &&
	printf "ack\n" | bad_conf 1 "ack outside a pipeline" &&
	printf "pipeline p\n\trun x\n\tstart y\n" |
		bad_conf 3 "unknown keyword \"start\"" &&
	printf "pipeline p\n\trun\n" | bad_conf 2 "expected: run PROGRAM" &&
	printf "pipeline p every 0\n\trun x\n" | bad_conf 1 "every: \"0\" is too small" &&
	printf "pipeline p every 3m\n\trun x\n" | bad_conf 1 "every: \"3m\" is invalid" &&
	printf "pipeline p sometimes\n\trun x\n" |
		bad_conf 1 "expected: pipeline NAME [every SECONDS]" &&
	printf "pipeline a/b\n\trun x\n" | bad_conf 1 "bad pipeline name \"a/b\"" &&
	printf "pipeline p\n\trun a\npipeline p\n\trun b\n" |
		bad_conf 3 "pipeline p already defined at line 1" &&
	printf "pipeline p\npipeline q\n\trun a\n" |
		bad_conf 1 "pipeline p has no run line" &&
	printf "pipeline p\n\trun a\n\tack\n" |
		bad_conf 3 "ack without @ack in the first stage" &&
	printf "pipeline p\n\trun a @ack\n\trun b\n" |
		bad_conf 2 "@ack without an ack line" &&
	printf "pipeline p\n\trun a @ack\n\trun b @ack\n\tack\n" |
		bad_conf 3 "@ack is for the first stage only" &&
	printf "pipeline p\n\trun a @ack\n\tack\n\tack\n" |
		bad_conf 4 "second ack in pipeline p (first at line 3)" &&
	printf "pipeline p\n\trun @ready\n" |
		bad_conf 2 "the program name cannot be @ready" &&
	printf "# nothing\n\n" >empty.conf &&
	test_expect_code 78 supervisor -c empty.conf 2>err &&
	test_grep "empty.conf: no pipeline defined" err &&
	test_expect_code 78 supervisor missing.conf 2>err &&
	test_grep "missing.conf: unable to open: No such file" err
'

test_expect_success '-c prints the file as read: variables expanded, words quoted' '
	cat >c.conf <<-\EOF &&
	# a comment
	pipeline one   # trailing comment
	  run prog -b $SV_A "two words" x"$SV_A"y '\''$SV_A'\'' a#b \# "" -a @ack
	  run other ${SV_A}/p "it'\''s" '\''@ack'\'' \$ -n @ready
	  ack

	pipeline two every 180
	  run third
	EOF
	SV_A="h:1" supervisor -c c.conf >actual &&
	tab=$(printf "\t") &&
	sed "s/^> /$tab/" >expect <<-\EOF &&
	pipeline one
	> run prog -b h:1 '\''two words'\'' xh:1y '\''$SV_A'\'' a#b '\''#'\'' '\'''\'' -a @ack
	> run other h:1/p "it'\''s" '\''@ack'\'' '\''$'\'' -n @ready
	> ack

	pipeline two every 180
	> run third
	EOF
	test_cmp expect actual &&
	SV_A="h:1" supervisor -c actual >again &&
	test_cmp expect again
'

test_expect_success 'the production file reads, and names a missing variable' '
	BROKERS=kafka:9092 CONTENT_URL=http://content:8080/api/v1/content \
		supervisor -c "$CONF_DIR/ccx-notify.conf" >actual &&
	grep "^pipeline" actual >names &&
	cat >expect <<-\EOF &&
	pipeline results
	pipeline notify-backend every 180
	pipeline notify-servicelog every 180
	EOF
	test_cmp expect names &&
	test_grep "run kafka-reader -b kafka:9092 -G ccx_notification_app -t ccx.ocp.results -a @ack" actual &&
	test_grep "run differ -T service-log -c http://content:8080/api/v1/content" actual &&
	(unset BROKERS; CONTENT_URL=x; export CONTENT_URL;
	 test_expect_code 78 supervisor -c "$CONF_DIR/ccx-notify.conf" 2>err) &&
	test_grep "ccx-notify.conf:[0-9]*: variable \$BROKERS is not set" err
'

test_expect_success 'the ack back-edge: the last stage writes to the first stage'"'"'s fd' '
	cat >ack.conf <<-\EOF &&
	pipeline ackp every 3600
		run sh -c "echo hello; read x <&\$1; echo \"got \$x on fd \$1\" >&2" first @ack
		run sh -c "read l; echo \"ack \$l\""
		ack
	EOF
	timeout 20 supervisor -1 ack.conf ackp 2>log &&
	test_grep "^ackp/sh#1: got ack hello on fd 3$" log
'

test_expect_success '-1 exits with the first non-zero status of the run' '
	cat >st.conf <<-\EOF &&
	pipeline ok
		run true
		run cat
	pipeline data
		run sh -c "echo x"
		run sh -c "cat >/dev/null; exit 65"
	pipeline order
		run sh -c "exec sleep 5"
		run sh -c "exit 3"
	pipeline signal
		run sh -c "kill -9 \$\$"
	EOF
	timeout 20 supervisor -1 st.conf ok 2>log &&
	(timeout 20 supervisor -1 st.conf data 2>log; test $? = 65) &&
	test_grep "data/sh#2: pid [0-9]* exited with status 65" log &&
	(timeout 20 supervisor -1 st.conf order 2>log; test $? = 3) &&
	test_grep "order: stopping: SIGTERM to order/sh#1" log &&
	(timeout 20 supervisor -1 st.conf signal 2>log; test $? = 137) &&
	test_grep "signal/sh: pid [0-9]* killed by signal 9" log
'

test_expect_success 'a program not on PATH is run from beside the supervisor, else exits 78' '
	sup_bin=$(command -v supervisor) &&
	printf "pipeline p\n\trun kafka-emitter --version\n" >sib.conf &&
	PATH=/usr/bin:/bin timeout 20 "$sup_bin" -1 sib.conf p >out 2>log &&
	test_grep "^kafka-emitter (ccx-notify) " out &&
	printf "pipeline p\n\trun no-such-program-here\n" >none.conf &&
	(PATH=/usr/bin:/bin timeout 20 "$sup_bin" -1 none.conf p 2>log; test $? = 78) &&
	test_grep "unable to run no-such-program-here: No such file or directory" log
'

test_expect_success 'stderr lines are prefixed (not twice); long lines are cut and marked' '
	stage talker <<-\EOF &&
	echo "line one" >&2
	echo "talker: warning: its own prefix" >&2
	awk "BEGIN { while (n++ < 5000) printf \"x\"; print \"\" }" >&2
	echo "after the long one" >&2
	printf "no newline" >&2
	EOF
	printf "pipeline p\n\trun \"%s/talker\"\n" "$PWD" >talk.conf &&
	timeout 20 supervisor -1 talk.conf p 2>log &&
	test_grep "^p/talker: line one$" log &&
	test_grep "^p/talker: warning: its own prefix$" log &&
	test_grep "^p/talker: after the long one$" log &&
	test_grep "^p/talker: no newline$" log &&
	grep "^p/talker: xxx" log >long &&
	test_line_count = 1 long &&
	test "$(tr -d "\n" <long | wc -c)" = $((10 + 4096 + 6)) &&
	test_grep " \[cut\]$" long &&
	timeout 20 supervisor --log-format json -1 talk.conf p 2>log &&
	test_grep "^{\"time\":\"[^\"]*\",\"prog\":\"p/talker\",\"msg\":\"line one\"}$" log &&
	test_grep ",\"cut\":true}$" log
'

test_expect_success 'children get a clean fd table, default signals and an empty mask' '
	cat >fds.conf <<-\EOF &&
	pipeline p
		run sh -c "echo \$\$ >fds.pid; echo >&4; exec sleep 100" sh @ack @ready
		ack
	EOF
	(trap "" QUIT USR2; sup_start fds.conf 7>/dev/null 9<fds.conf; echo $sup >sup.pid) &&
	sup=$(cat sup.pid) &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 has "p: up" log &&
	pid=$(cat fds.pid) &&
	ls /proc/$pid/fd >actual &&
	printf "%s\n" 0 1 2 3 4 >expect &&
	test_cmp expect actual &&
	test_grep "^SigBlk:	0*$" /proc/$pid/status &&
	# Signals 32 and 33 belong to the C library (NPTL): it will not let
	# anyone change them, so only the classic ones are checked.
	ign=$(sed -n "s/^SigIgn:	//p" /proc/$pid/status) &&
	test $(( 0x$ign & 0x7fffffff )) = 0 &&
	kill -TERM $sup &&
	test_wait_for 10 gone $sup &&
	test_grep "p: finished" log
'

test_expect_success 'a member killed with -9 restarts the pipeline as a unit, 1 s then 2 s later' '
	stage first <<-\EOF &&
	date +%s.%N >>starts
	exec sleep 100
	EOF
	stage second <<-\EOF &&
	echo $$ >second.pid
	exec cat >/dev/null
	EOF
	printf "pipeline lr\n\trun \"%s/first\"\n\trun \"%s/second\"\n" "$PWD" "$PWD" >lr.conf &&
	sup_start --status-file status --metrics-file metrics lr.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 lines 1 starts &&
	kill -9 $(cat second.pid) &&
	test_wait_for 10 lines 2 starts &&
	kill -9 $(cat second.pid) &&
	test_wait_for 10 lines 3 starts &&
	test_wait_for 10 has "restarts_total{pipeline=\"lr\"} 2" metrics &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 0 &&
	d1=$(awk "NR == 1 { a = \$1 } NR == 2 { print \$1 - a }" starts) &&
	d2=$(awk "NR == 2 { a = \$1 } NR == 3 { print \$1 - a }" starts) &&
	echo "delays $d1 $d2" &&
	ge "$d1" 1 && ge "$d2" 2 &&
	test_grep "lr/second: pid [0-9]* killed by signal 9" log &&
	test_grep "lr: stopping: SIGTERM to lr/first" log &&
	test_grep "lr: down with status 137; restarting in 1 s" log &&
	test_grep "lr: down with status 137; restarting in 2 s" log &&
	test_grep "runs_total{pipeline=\"lr\"} 3" metrics &&
	test_grep "^lr  *done  *-  *2  *3  *0  *143 " status
'

test_expect_success 'a permanent exit (64, 65, 78) is not restarted, and said so' '
	for code in 64 65 78
	do
		rm -f runs &&
		printf "pipeline perm\n\trun sh -c \"echo >>runs; exit $code\"\n" >perm.conf &&
		sup_start perm.conf &&
		sup_wait $sup 10 && test $rc = $code &&
		test_line_count = 1 runs &&
		test_grep "error: perm: PERMANENT FAILURE: perm/sh exited with status $code; not restarting" log &&
		test_grep "every pipeline has failed for good" log || return 1
	done
'

test_expect_success 'SIGTERM drains from the head: the first stage gets SIGTERM, the rest EOF' '
	stage head <<-\EOF &&
	trap "echo head got TERM >&2; kill \$!; exit 0" TERM
	echo record
	sleep 100 </dev/null >/dev/null 2>&1 &
	wait $!
	EOF
	stage middle <<-\EOF &&
	trap "echo middle got TERM >&2" TERM
	while read l; do echo "$l"; done
	echo middle saw EOF >&2
	EOF
	stage tail <<-\EOF &&
	trap "echo tail got TERM >&2" TERM
	while read l; do echo "tail read $l" >&2; done
	echo tail saw EOF >&2
	EOF
	printf "pipeline d\n\trun \"%s/head\"\n\trun \"%s/middle\"\n\trun \"%s/tail\"\n" \
		"$PWD" "$PWD" "$PWD" >drain.conf &&
	sup_start drain.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 has "tail read record" log &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 0 &&
	test_grep "^d/head: head got TERM$" log &&
	test_grep "^d/middle: middle saw EOF$" log &&
	test_grep "^d/tail: tail saw EOF$" log &&
	! grep "middle got TERM\|tail got TERM" log &&
	test_grep "d: finished with status 0" log
'

test_expect_success 'after the grace period what is left is killed, and the exit status is 75' '
	printf "pipeline g\n\trun sh -c \"exec sleep 100\"\n\trun sh -c \"exec sleep 101\"\n" >grace.conf &&
	sup_start -g 1 grace.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 has "g: up" log &&
	t0=$(date +%s) &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 75 &&
	test $(( $(date +%s) - t0 )) -le 4 &&
	test_grep "warning: g/sh#2: still running after 1 s: SIGKILL" log &&
	test_grep "g/sh#2: pid [0-9]* killed by signal 9" log &&
	! grep "g/sh#1: still running" log
'

test_expect_success 'a periodic run still going when the next is due is skipped, not overlapped' '
	stage slow <<-\EOF &&
	trap "kill \$! 2>/dev/null; rm -f running; exit 0" TERM
	test -e running && echo OVERLAP >>slow.runs
	touch running
	echo start >>slow.runs
	sleep 2.5 </dev/null >/dev/null 2>&1 &
	wait $!
	rm -f running
	echo end >>slow.runs
	EOF
	printf "pipeline slow every 1\n\trun \"%s/slow\"\n" "$PWD" >slow.conf &&
	sup_start --metrics-file metrics slow.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 lines 3 slow.runs &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 0 &&
	! grep OVERLAP slow.runs &&
	printf "start\nend\nstart\n" >expect &&
	head -n 3 slow.runs >actual &&
	test_cmp expect actual &&
	test_grep "warning: slow: the previous run is still going: run skipped" log &&
	grep "skipped_runs_total{pipeline=\"slow\"}" metrics >skipped &&
	n=$(sed "s/.* //" skipped) &&
	test "$n" -ge 2 &&
	test_grep "runs_total{pipeline=\"slow\"} 2" metrics
'

test_expect_success 'SIGUSR1 prints the status table; the status and metrics files follow' '
	printf "pipeline lr\n\trun sh -c \"exec sleep 100\"\n\trun cat\npipeline per every 3600\n\trun true\n" >st.conf &&
	sup_start --status-file status --metrics-file metrics st.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 has "^per  *idle .* 0 20" status &&
	test_wait_for 10 has "^lr  *running " status &&
	kill -USR1 $sup &&
	test_wait_for 10 has "^PIPELINE  *STATE  *PIDS  *RESTARTS  *RUNS  *SKIPPED  *STATUS  *LAST-RUN$" log &&
	test_grep "^lr  *running  *[0-9]*,[0-9]*  *0  *1  *0  *-  *20[0-9-]*T[0-9:]*Z$" log &&
	test_grep "^per  *idle  *-  *0  *1  *0  *0  *20" log &&
	test_grep "^ccx_supervisor_up{pipeline=\"lr\"} 1$" metrics &&
	test_grep "^ccx_supervisor_up{pipeline=\"per\"} 0$" metrics &&
	test_grep "^ccx_supervisor_runs_total{pipeline=\"per\"} 1$" metrics &&
	test_grep "^ccx_supervisor_restarts_total{pipeline=\"lr\"} 0$" metrics &&
	test_grep "^ccx_supervisor_skipped_runs_total{pipeline=\"lr\"} 0$" metrics &&
	test_grep "^ccx_supervisor_last_exit_status{pipeline=\"lr\"} -1$" metrics &&
	test_grep "^# TYPE ccx_supervisor_up gauge$" metrics &&
	test_grep "^# TYPE ccx_supervisor_restarts_total counter$" metrics &&
	! ls status.tmp metrics.tmp 2>/dev/null &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 0 &&
	test_grep "^lr  *done " status
'

test_expect_success 'readiness: the next stage waits for the newline on @ready' '
	stage up <<-\EOF &&
	date +%s.%N >up.t
	echo hello
	EOF
	stage late <<-\EOF &&
	date +%s.%N >late.t
	sleep 1
	echo >&$2
	exec cat >/dev/null
	EOF
	printf "pipeline r\n\trun \"%s/up\"\n\trun \"%s/late\" -n @ready\n" "$PWD" "$PWD" >ready.conf &&
	timeout 20 supervisor -r 5 -1 ready.conf r 2>log &&
	d=$(awk "NR == FNR { a = \$1; next } { print \$1 - a }" late.t up.t) &&
	echo "delay $d" &&
	ge "$d" 1
'

test_expect_success 'readiness: a stage that never reports fails the start after the timeout' '
	rm -f up.t &&
	stage never <<-\EOF &&
	trap "kill \$!; exit 0" TERM
	sleep 100 </dev/null >/dev/null 2>&1 &
	wait $!
	EOF
	printf "pipeline r\n\trun \"%s/up\"\n\trun \"%s/never\" -n @ready\n" "$PWD" "$PWD" >never.conf &&
	(timeout 20 supervisor -r 1 -1 never.conf r 2>log; test $? = 75) &&
	test_grep "warning: r/never: not ready after 1 s" log &&
	test_grep "r: stopping: SIGTERM to r/never" log &&
	! test -e up.t &&
	sup_start -r 1 never.conf &&
	test_when_finished "kill -9 $sup 2>/dev/null" &&
	test_wait_for 10 has "r: down with status 75; restarting in 1 s" log &&
	kill -TERM $sup &&
	sup_wait $sup 10 && test $rc = 0 &&
	! test -e up.t
'

test_done
