UPDATE reported SET event_type_id = 1 WHERE event_type_id IS NULL;
ALTER TABLE reported ALTER COLUMN event_type_id SET NOT NULL;
