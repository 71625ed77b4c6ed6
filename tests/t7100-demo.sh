#!/bin/sh
test_description='make demo: the whole system on the embedded default, summary asserted'
. ./test-lib.sh

command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP stubs"

test_expect_success 'the demo runs to the end and cleans up' '
	ls -d /tmp/ccx-demo.* 2>/dev/null | sort >before &&
	sh "$TEST_DIRECTORY"/demo/demo.sh >out 2>err &&
	ls -d /tmp/ccx-demo.* 2>/dev/null | sort >after &&
	test_cmp before after
'

test_expect_success 'records consumed, stored and dead-lettered' '
	test_grep "records consumed: *34$" out &&
	test_grep "stored in new_reports: 30 rows for 30 clusters of 3 orgs" out &&
	test_grep "dead-lettered: *4$" out &&
	test_grep " 5 type:OrgID " out &&
	test_grep " 12 syntax " out &&
	test_grep " 20 cluster_uuid " out &&
	test_grep " 25 future " out
'

test_expect_success 'first run: notifications, Service Log entries, reported rows' '
	test_grep "notifications on platform.notifications.ingress: 18$" out &&
	test_grep "Service Log entries posted: 21$" out &&
	test_grep "reported rows of this run: notifications backend same 6, notifications backend sent 18, service log same 9, service log sent 15$" out &&
	test_grep "\"event_type\": \"new-recommendation\"" out &&
	test_grep "\"severity\": \"Major\"" out
'

test_expect_success 'second run: the cooldown sends nothing' '
	test_grep "new notifications: 0$" out &&
	test_grep "new Service Log entries: 0$" out &&
	test_grep "reported rows of this run: notifications backend same 24, service log same 24$" out
'

test_expect_success 'SIGTERM drained the results path: exit 0, every offset committed' '
	test_grep "supervisor exited with status 0" out &&
	test_grep "committed offset of ccx_notification_app: 34$" out
'

test_done
