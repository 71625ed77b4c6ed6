-- ccx-notify: two indexes that keep a notification run's cost flat as the
-- tables grow; nothing else changes and every reader is unaffected.
--
-- reported_sent_idx: the baseline of a cluster (its newest sent row of a
-- target within the cooldown) is one index probe, however many 'same' and
-- 'error' rows of both targets the cluster has piled up.  Partial: it holds
-- the sent rows only, a small part of the table.
CREATE INDEX IF NOT EXISTS reported_sent_idx
    ON reported (org_id, cluster, event_type_id, notified_at DESC)
    WHERE state = 1;
-- new_reports_cluster_updated_idx: the newest report of each cluster comes
-- from an index scan in cluster order, so that the candidates stream from
-- the first row instead of after a sort of the whole table.
CREATE INDEX IF NOT EXISTS new_reports_cluster_updated_idx
    ON new_reports (cluster, updated_at DESC);
