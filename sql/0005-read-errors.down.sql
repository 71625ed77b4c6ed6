DROP TABLE read_errors;
