DROP TABLE event_targets;
