ALTER TABLE reported DROP COLUMN event_type_id;
