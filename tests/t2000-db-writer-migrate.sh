#!/bin/sh
test_description='db-writer migrate and version: the upstream schema, exactly'
. ./test-lib.sh
test_use pg

pg_setup || skip_all "PostgreSQL cannot start here"

# The catalogue as a person would compare it with SPEC 3.1.
dump_schema() {
	psql -qXAt -v ON_ERROR_STOP=1 <<-\SQL
	SELECT 'col', table_name, column_name, data_type,
	       coalesce(character_maximum_length::text, ''), is_nullable,
	       coalesce(column_default, '')
	  FROM information_schema.columns WHERE table_schema = 'public'
	 ORDER BY table_name, ordinal_position;
	SELECT 'con', conrelid::regclass, conname, pg_get_constraintdef(oid)
	  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
	 ORDER BY conrelid::regclass::text, conname;
	SELECT 'idx', tablename, indexname, indexdef FROM pg_indexes
	 WHERE schemaname = 'public' ORDER BY tablename, indexname;
	SELECT 'comment', c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
	  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
	   AND c.relkind = 'r' ORDER BY c.relname;
	SQL
}

test_expect_success PG 'migrate latest on an empty database' '
	db-writer migrate latest &&
	echo 12 >expect &&
	db-writer version >actual &&
	test_cmp expect actual
'

test_expect_success PG 'migrating twice is harmless' '
	latest=$(db-writer migrations | tail -1 | cut -d" " -f1) &&
	db-writer migrate latest 2>err &&
	test_grep "already at version $latest" err &&
	db-writer migrate &&
	test "$(sql "SELECT count(*) FROM migration_info")" = 1
'

test_expect_success PG 'a non-numeric or unknown version is a usage error' '
	test_expect_code 64 db-writer migrate abc 2>err &&
	test_grep "abc" err &&
	latest=$(db-writer migrations | tail -1 | cut -d" " -f1) &&
	test_expect_code 64 db-writer migrate $((latest + 1)) &&
	test_expect_code 64 db-writer migrate -- -1 &&
	test "$(db-writer version)" = $latest
'

test_expect_success PG 'version 8 is the upstream schema of SPEC 3.1' '
	db-writer migrate 8 &&
	test "$(db-writer version)" = 8 &&
	dump_schema >actual &&
	cat >expect <<-\EOF &&
	col|event_targets|id|integer||NO|
	col|event_targets|name|character varying||NO|
	col|event_targets|metainfo|character varying||NO|
	col|migration_info|version|integer||NO|
	col|new_reports|org_id|integer||NO|
	col|new_reports|account_number|integer||NO|
	col|new_reports|cluster|character|36|NO|
	col|new_reports|report|character varying||NO|
	col|new_reports|updated_at|timestamp without time zone||NO|
	col|new_reports|kafka_offset|bigint||NO|0
	col|notification_types|id|integer||NO|
	col|notification_types|value|character varying||NO|
	col|notification_types|frequency|character varying||NO|
	col|notification_types|comment|character varying||YES|
	col|read_errors|error_id|integer||NO|nextval('"'"'read_errors_error_id_seq'"'"'::regclass)
	col|read_errors|org_id|integer||NO|
	col|read_errors|cluster|character|36|NO|
	col|read_errors|updated_at|timestamp without time zone||NO|
	col|read_errors|error_text|character varying|1000|NO|
	col|read_errors|created_at|timestamp without time zone||NO|
	col|reported|org_id|integer||NO|
	col|reported|account_number|integer||NO|
	col|reported|cluster|character|36|NO|
	col|reported|notification_type|integer||NO|
	col|reported|state|integer||NO|
	col|reported|report|character varying||NO|
	col|reported|updated_at|timestamp without time zone||NO|
	col|reported|notified_at|timestamp without time zone||NO|
	col|reported|error_log|character varying||YES|
	col|reported|event_type_id|integer||NO|
	col|states|id|integer||NO|
	col|states|value|character varying||NO|
	col|states|comment|character varying||YES|
	con|event_targets|event_targets_metainfo_key|UNIQUE (metainfo)
	con|event_targets|event_targets_name_key|UNIQUE (name)
	con|event_targets|event_targets_pkey|PRIMARY KEY (id)
	con|new_reports|new_reports_pkey|PRIMARY KEY (org_id, cluster, updated_at)
	con|notification_types|notification_types_pkey|PRIMARY KEY (id)
	con|read_errors|read_errors_error_id_org_id_cluster_updated_at_key|UNIQUE (error_id, org_id, cluster, updated_at)
	con|read_errors|read_errors_org_id_cluster_updated_at_fkey|FOREIGN KEY (org_id, cluster, updated_at) REFERENCES new_reports(org_id, cluster, updated_at) ON DELETE CASCADE
	con|read_errors|read_errors_pkey|PRIMARY KEY (error_id)
	con|reported|fk_notification_type|FOREIGN KEY (notification_type) REFERENCES notification_types(id)
	con|reported|fk_state|FOREIGN KEY (state) REFERENCES states(id)
	con|reported|reported_event_type_id_fkey|FOREIGN KEY (event_type_id) REFERENCES event_targets(id)
	con|reported|reported_pkey|PRIMARY KEY (org_id, cluster, notified_at)
	con|states|states_pkey|PRIMARY KEY (id)
	idx|event_targets|event_targets_metainfo_key|CREATE UNIQUE INDEX event_targets_metainfo_key ON public.event_targets USING btree (metainfo)
	idx|event_targets|event_targets_name_key|CREATE UNIQUE INDEX event_targets_name_key ON public.event_targets USING btree (name)
	idx|event_targets|event_targets_pkey|CREATE UNIQUE INDEX event_targets_pkey ON public.event_targets USING btree (id)
	idx|new_reports|new_reports_cluster_idx|CREATE INDEX new_reports_cluster_idx ON public.new_reports USING btree (cluster)
	idx|new_reports|new_reports_org_id_idx|CREATE INDEX new_reports_org_id_idx ON public.new_reports USING btree (org_id)
	idx|new_reports|new_reports_pkey|CREATE UNIQUE INDEX new_reports_pkey ON public.new_reports USING btree (org_id, cluster, updated_at)
	idx|new_reports|new_reports_updated_at_asc_idx|CREATE INDEX new_reports_updated_at_asc_idx ON public.new_reports USING btree (updated_at)
	idx|new_reports|new_reports_updated_at_desc_idx|CREATE INDEX new_reports_updated_at_desc_idx ON public.new_reports USING btree (updated_at DESC)
	idx|new_reports|report_kafka_offset_btree_idx|CREATE INDEX report_kafka_offset_btree_idx ON public.new_reports USING btree (kafka_offset)
	idx|notification_types|notification_types_id_idx|CREATE INDEX notification_types_id_idx ON public.notification_types USING btree (id)
	idx|notification_types|notification_types_pkey|CREATE UNIQUE INDEX notification_types_pkey ON public.notification_types USING btree (id)
	idx|read_errors|read_errors_error_id_org_id_cluster_updated_at_key|CREATE UNIQUE INDEX read_errors_error_id_org_id_cluster_updated_at_key ON public.read_errors USING btree (error_id, org_id, cluster, updated_at)
	idx|read_errors|read_errors_pkey|CREATE UNIQUE INDEX read_errors_pkey ON public.read_errors USING btree (error_id)
	idx|reported|idx_reported_event_state_org_cluster|CREATE INDEX idx_reported_event_state_org_cluster ON public.reported USING btree (event_type_id, state, org_id, cluster)
	idx|reported|idx_reported_updated_at|CREATE INDEX idx_reported_updated_at ON public.reported USING btree (updated_at)
	idx|reported|notified_at_desc_idx|CREATE INDEX notified_at_desc_idx ON public.reported USING btree (notified_at DESC)
	idx|reported|reported_pkey|CREATE UNIQUE INDEX reported_pkey ON public.reported USING btree (org_id, cluster, notified_at)
	idx|reported|updated_at_desc_idx|CREATE INDEX updated_at_desc_idx ON public.reported USING btree (updated_at)
	idx|states|states_pkey|CREATE UNIQUE INDEX states_pkey ON public.states USING btree (id)
	comment|event_targets|specification of all event targets currently supported
	comment|migration_info|information about the latest DB schema and migration status
	comment|new_reports|new reports consumed from Kafka topic and stored to database in shrunk format
	comment|notification_types|list of all notification types used by Notification service
	comment|read_errors|errors that are detected during new reports collection
	comment|reported|notifications reported to user or skipped due to some conditions
	comment|states|states for each row stored in reported table
	EOF
	test_cmp expect actual
'

test_expect_success PG 'seed rows of SPEC 3.1' '
	cat >expect <<-\EOF &&
	1|instant|* * * * * *|instant notifications performed ASAP
	2|weekly|@weekly|weekly summary
	1|sent|notification has been sent to user
	2|same|skipped, report is the same as previous one
	3|lower|skipped, all issues has low priority
	4|error|notification delivery error
	1|notifications backend|the target of the report is the ccx notification service back end
	2|service log|the target of the report is the ServiceLog
	EOF
	{
		sql "SELECT * FROM notification_types ORDER BY id" &&
		sql "SELECT * FROM states ORDER BY id" &&
		sql "SELECT * FROM event_targets ORDER BY id"
	} >actual &&
	test_cmp expect actual
'

test_expect_success PG 'down to 0 and up again gives the same schema' '
	dump_schema >before &&
	db-writer migrate 0 &&
	test "$(db-writer version)" = 0 &&
	test -z "$(sql "SELECT to_regclass('"'"'event_targets'"'"')")" &&
	db-writer migrate 8 &&
	dump_schema >after &&
	test_cmp before after
'

test_expect_success PG 'migrations 9 to 12 are additive and go down cleanly' '
	db-writer migrate 12 &&
	test -n "$(sql "SELECT to_regclass('"'"'dead_letters'"'"')")" &&
	test -n "$(sql "SELECT to_regclass('"'"'consumed_records'"'"')")" &&
	test -n "$(sql "SELECT to_regclass('"'"'notification_outbox'"'"')")" &&
	test -n "$(sql "SELECT to_regclass('"'"'reported_sent_idx'"'"')")" &&
	test -n "$(sql "SELECT to_regclass('"'"'new_reports_cluster_updated_idx'"'"')")" &&
	db-writer migrate 8 &&
	dump_schema >after &&
	test_cmp before after
'

test_expect_success PG 'a failing migration rolls everything back' '
	db-writer migrate 2 &&
	sql "INSERT INTO event_targets VALUES (1, '"'"'x'"'"', '"'"'y'"'"')" &&
	test_must_fail db-writer migrate 3 2>err &&
	test_grep "rolled back" err &&
	test "$(db-writer version)" = 2 &&
	sql "DELETE FROM event_targets" &&
	db-writer migrate latest
'

test_expect_success PG 'an unreachable database is EX_UNAVAILABLE' '
	test_expect_code 69 db-writer -d "host=/nonexistent dbname=x" version 2>err &&
	test_grep "unable to connect" err
'

test_done
