-- ccx-notify: which Kafka records were stored, so that a redelivered record
-- (same topic, partition and offset) never adds a second new_reports row.
-- new_reports cannot say it alone: it has no partition column.
CREATE TABLE IF NOT EXISTS consumed_records (
    topic           varchar NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    org_id          integer NOT NULL,
    cluster         character(36) NOT NULL,
    updated_at      timestamp NOT NULL,
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);
CREATE INDEX IF NOT EXISTS consumed_records_updated_at_idx
    ON consumed_records (updated_at);
