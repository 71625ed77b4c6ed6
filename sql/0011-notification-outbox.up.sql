-- ccx-notify: the claims of the notification runs (a transactional outbox).
-- differ writes a cluster's claim, under the run lock of its target, and
-- commits it before the decision line leaves it; db-writer -r deletes the
-- claim in the transaction that records the outcome in reported.  A claim
-- still present means "a message may be on its way": no other run decides
-- that cluster for that target until the outcome is recorded (or the claim
-- expires), so two runs never send the same notification.
CREATE TABLE IF NOT EXISTS notification_outbox (
    event_type_id   integer NOT NULL,
    org_id          integer NOT NULL,
    cluster         character(36) NOT NULL,
    updated_at      timestamp NOT NULL,
    notified_at     timestamp NOT NULL,
    claimed_at      timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (event_type_id, org_id, cluster)
);
COMMENT ON TABLE notification_outbox IS
    'ccx-notify: notifications decided and maybe sent, outcome not yet recorded';
