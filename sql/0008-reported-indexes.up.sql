CREATE INDEX IF NOT EXISTS idx_reported_event_state_org_cluster
    ON reported (event_type_id, state, org_id, cluster);
CREATE INDEX IF NOT EXISTS idx_reported_updated_at ON reported (updated_at);
