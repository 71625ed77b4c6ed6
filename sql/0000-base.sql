-- Base schema of the upstream services (their "init"): run when `states`
-- has no rows.  Every object IF NOT EXISTS, as upstream.
CREATE TABLE IF NOT EXISTS notification_types (
    id        integer NOT NULL,
    value     varchar NOT NULL,
    frequency varchar NOT NULL,
    comment   varchar,
    PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS states (
    id      integer NOT NULL,
    value   varchar NOT NULL,
    comment varchar,
    PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS reported (
    org_id            integer NOT NULL,
    account_number    integer NOT NULL,
    cluster           character(36) NOT NULL,
    notification_type integer NOT NULL,
    state             integer NOT NULL,
    report            varchar NOT NULL,
    updated_at        timestamp NOT NULL,
    notified_at       timestamp NOT NULL,
    error_log         varchar,
    PRIMARY KEY (org_id, cluster, notified_at),
    CONSTRAINT fk_notification_type FOREIGN KEY (notification_type)
        REFERENCES notification_types (id),
    CONSTRAINT fk_state FOREIGN KEY (state) REFERENCES states (id)
);
CREATE TABLE IF NOT EXISTS new_reports (
    org_id         integer NOT NULL,
    account_number integer NOT NULL,
    cluster        character(36) NOT NULL,
    report         varchar NOT NULL,
    updated_at     timestamp NOT NULL,
    kafka_offset   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, cluster, updated_at)
);
CREATE INDEX IF NOT EXISTS notification_types_id_idx
    ON notification_types USING btree (id ASC);
CREATE INDEX IF NOT EXISTS notified_at_desc_idx
    ON reported USING btree (notified_at DESC);
CREATE INDEX IF NOT EXISTS updated_at_desc_idx
    ON reported USING btree (updated_at ASC);
CREATE INDEX IF NOT EXISTS report_kafka_offset_btree_idx
    ON new_reports (kafka_offset);
CREATE INDEX IF NOT EXISTS new_reports_org_id_idx
    ON new_reports USING btree (org_id);
CREATE INDEX IF NOT EXISTS new_reports_cluster_idx
    ON new_reports USING btree (cluster);
CREATE INDEX IF NOT EXISTS new_reports_updated_at_asc_idx
    ON new_reports USING btree (updated_at ASC);
CREATE INDEX IF NOT EXISTS new_reports_updated_at_desc_idx
    ON new_reports USING btree (updated_at DESC);
INSERT INTO notification_types (id, value, frequency, comment) VALUES
    (1, 'instant', '* * * * * *', 'instant notifications performed ASAP'),
    (2, 'weekly', '@weekly', 'weekly summary')
    ON CONFLICT DO NOTHING;
INSERT INTO states (id, value, comment) VALUES
    (1, 'sent', 'notification has been sent to user'),
    (2, 'same', 'skipped, report is the same as previous one'),
    (3, 'lower', 'skipped, all issues has low priority'),
    (4, 'error', 'notification delivery error')
    ON CONFLICT DO NOTHING;
