DROP TABLE consumed_records;
