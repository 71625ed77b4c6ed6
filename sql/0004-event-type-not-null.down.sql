ALTER TABLE reported ALTER COLUMN event_type_id DROP NOT NULL;
UPDATE reported SET event_type_id = NULL WHERE event_type_id = 1;
