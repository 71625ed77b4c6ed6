DELETE FROM event_targets;
