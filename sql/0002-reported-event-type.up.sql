ALTER TABLE reported ADD COLUMN event_type_id integer
    REFERENCES event_targets (id);
