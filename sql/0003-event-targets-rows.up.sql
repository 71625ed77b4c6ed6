INSERT INTO event_targets (id, name, metainfo) VALUES
    (1, 'notifications backend',
     'the target of the report is the ccx notification service back end'),
    (2, 'service log', 'the target of the report is the ServiceLog');
