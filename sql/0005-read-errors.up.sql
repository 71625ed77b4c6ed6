CREATE TABLE read_errors (
    error_id   serial PRIMARY KEY,
    org_id     integer NOT NULL,
    cluster    character(36) NOT NULL,
    updated_at timestamp NOT NULL,
    error_text varchar(1000) NOT NULL,
    created_at timestamp NOT NULL,
    UNIQUE (error_id, org_id, cluster, updated_at),
    FOREIGN KEY (org_id, cluster, updated_at)
        REFERENCES new_reports (org_id, cluster, updated_at)
);
