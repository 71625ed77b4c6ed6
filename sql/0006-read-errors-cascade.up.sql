ALTER TABLE read_errors
    DROP CONSTRAINT IF EXISTS read_errors_org_id_fkey,
    DROP CONSTRAINT IF EXISTS read_errors_org_id_cluster_updated_at_fkey;
ALTER TABLE read_errors
    ADD CONSTRAINT read_errors_org_id_cluster_updated_at_fkey
    FOREIGN KEY (org_id, cluster, updated_at)
    REFERENCES new_reports (org_id, cluster, updated_at) ON DELETE CASCADE;
