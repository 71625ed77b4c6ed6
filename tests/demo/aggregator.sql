-- The two tables of the aggregator's database (insights-results-aggregator,
-- schema at its migration 32) in which the advisor keeps the rules users
-- disabled: per cluster and per organisation.  differ --aggregator-db
-- reads them; demo.sh and the tests (test-lib.sh: aggregator_db) make them
-- from this file.
CREATE TABLE cluster_rule_toggle (
	cluster_id VARCHAR NOT NULL,
	rule_id VARCHAR NOT NULL,
	error_key VARCHAR NOT NULL,
	disabled SMALLINT NOT NULL,
	disabled_at TIMESTAMP NULL,
	enabled_at TIMESTAMP NULL,
	updated_at TIMESTAMP NOT NULL,
	org_id VARCHAR NOT NULL DEFAULT '',
	CONSTRAINT cluster_rule_toggle_pkey PRIMARY KEY (cluster_id, rule_id, error_key),
	CONSTRAINT disabled_check CHECK (disabled >= 0 AND disabled <= 1)
);
CREATE TABLE rule_disable (
	org_id VARCHAR NOT NULL,
	rule_id VARCHAR NOT NULL,
	error_key VARCHAR NOT NULL,
	justification VARCHAR,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP,
	PRIMARY KEY (org_id, rule_id, error_key)
);
