DROP INDEX IF EXISTS idx_reported_event_state_org_cluster;
DROP INDEX IF EXISTS idx_reported_updated_at;
