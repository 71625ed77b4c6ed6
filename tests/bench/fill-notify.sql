-- The notification benchmarks' data (bench-notify.sh, bench-disabled.sh):
-- :n clusters, one report each (about 3 KB: five rule hits of the demo
-- content, details with nested objects); the even ones have a sent row
-- one day old carrying the same report.  The tables are emptied first.
TRUNCATE new_reports, reported, read_errors, consumed_records, notification_outbox;
INSERT INTO new_reports (org_id, account_number, cluster, report, updated_at, kafka_offset)
SELECT 1 + i % 5000, 100000 + i % 5000,
       substr(md5(i::text), 1, 8) || '-' || substr(md5(i::text), 9, 4) || '-4' ||
       substr(md5(i::text), 14, 3) || '-8' || substr(md5(i::text), 18, 3) || '-' ||
       substr(md5(i::text), 21, 12),
       '{"reports":[' || (SELECT string_agg(format(
         '{"rule_id":"%s|%s","component":"ccx_rules_ocp.external.rules.%s.report","type":"rule","key":"%s","details":{"type":"rule","error_key":"%s","nodes":[%s],"link":"https://docs.example.com/%s/%s"},"tags":[],"links":{}}',
         r, k, r, k, k,
         (SELECT string_agg(format('{"name":"worker-%s-%s","role":"worker","memory":%s.5,"memory_req":16}', i, w, w), ',')
            FROM generate_series(1, 3) w), r, i), ',')
         FROM (VALUES ('demo_nodes_memory', 'NODES_MEMORY_LOW'), ('demo_etcd_backup', 'ETCD_NO_BACKUP'),
                      ('demo_image_registry', 'REGISTRY_EMPTYDIR'), ('demo_ingress_cert', 'INGRESS_CERT_EXPIRING'),
                      ('demo_unknown', 'UNKNOWN_KEY')) AS x(r, k)) || ']}',
       now() AT TIME ZONE 'UTC' - interval '1 hour' - i * interval '1 ms', i
  FROM generate_series(1, :n) i;
INSERT INTO reported
SELECT org_id, account_number, cluster, 1, 1, report, updated_at,
       now() AT TIME ZONE 'UTC' - interval '1 day', '', 1
  FROM new_reports WHERE kafka_offset % 2 = 0;
ANALYZE new_reports; ANALYZE reported;
CHECKPOINT;
