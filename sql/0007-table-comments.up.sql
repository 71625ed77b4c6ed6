COMMENT ON TABLE event_targets IS 'specification of all event targets currently supported';
COMMENT ON TABLE migration_info IS 'information about the latest DB schema and migration status';
COMMENT ON TABLE new_reports IS 'new reports consumed from Kafka topic and stored to database in shrunk format';
COMMENT ON TABLE notification_types IS 'list of all notification types used by Notification service';
COMMENT ON TABLE read_errors IS 'errors that are detected during new reports collection';
COMMENT ON TABLE reported IS 'notifications reported to user or skipped due to some conditions';
COMMENT ON TABLE states IS 'states for each row stored in reported table';
