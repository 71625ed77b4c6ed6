DROP INDEX IF EXISTS new_reports_cluster_updated_idx;
DROP INDEX IF EXISTS reported_sent_idx;
