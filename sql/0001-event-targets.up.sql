CREATE TABLE event_targets (
    id       integer NOT NULL,
    name     varchar NOT NULL UNIQUE,
    metainfo varchar NOT NULL UNIQUE,
    PRIMARY KEY (id)
);
