-- ccx-notify: rejected records, kept with their exact bytes (SPEC 3.3).
CREATE TABLE IF NOT EXISTS dead_letters (
    id              bigserial PRIMARY KEY,
    topic           varchar NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    raw             bytea NOT NULL,
    reason_code     varchar NOT NULL,
    reason          varchar NOT NULL,
    received_at     timestamp NOT NULL,
    UNIQUE (topic, kafka_partition, kafka_offset)
);
CREATE INDEX IF NOT EXISTS dead_letters_received_at_idx
    ON dead_letters (received_at);
