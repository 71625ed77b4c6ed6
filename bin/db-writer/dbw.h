/*
 * db-writer: the one program that writes the database.  Shared state of
 * its modes (ingest of result records, reported outcomes, migrations,
 * maintenance).
 */
#ifndef DBW_H
#define DBW_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "metrics.h"

struct prog;

enum {
	M_CONSUMED, M_CONSUMING_ERRORS, M_PARSE, M_SCHEMA, M_MARSHAL,
	M_SHRINK, M_LAST_CHECKED, M_STORED, M_STORED_BYTES, M_DEAD,
	M_DUPLICATES, M_BATCHES, M_DB_RETRIES, M_REPORTED, M_NMETRICS
};

struct dbw {
	const char	*conninfo;
	PGconn		*conn;
	int		 batch_size;		/* records per transaction */
	int64_t		 batch_delay_ms;	/* longest wait before commit */
	size_t		 batch_bytes;		/* bytes per transaction */
	int64_t		 retry_timeout_ms;	/* give up on the database */
	size_t		 max_record;		/* record size limit */
	size_t		 max_line;		/* input line limit */
	const char	*schema_sql;		/* one boolean: the tables the
						 * mode needs are there */
	const char	*schema_why;		/* what to say when they are not */
	int		 need_schema;		/* 1: check schema_sql on the next
						 * connection; -1: they are not */
	const char	*max_age;		/* cleanup: interval text */
	int		 cleanup_batch;		/* cleanup: rows a transaction */
	const char	*reason;		/* dead-letters: reason code */
	int		 resubmit;		/* dead-letters: as records */
	const char	*pushgateway;		/* Pushgateway URL, or NULL */
	const char	*metrics_file;
	const char	*spool;			/* -r: spool dir, "none" */
	struct prog	*prog;			/* the frame: readiness */
	int64_t		 last_updated_at;	/* newest updated_at written */
	struct metric	 metrics[M_NMETRICS];
	struct metrics_timer mtimer;		/* when the file is due */
};

/* Writes the metrics file (if any) by the rule of metrics_refresh: the
 * first time, then within 2 s of a counter changing (the batch loop wakes
 * up when that is due), and always when force. */
void	dbw_metrics_flush(struct dbw *, int force);
/* Pushes the metrics to the Pushgateway, if one was given. */
void	dbw_metrics_push(struct dbw *);
/* Connects if needed; returns 0 or -1 (logged).  On the first connection
 * with need_schema set, -1 with need_schema -1 when schema_sql says no. */
int	dbw_connect(struct dbw *);
void	dbw_disconnect(struct dbw *);
/* The status of a command the database did not take: EXIT_DB_REFUSED
 * while connected, else EXIT_DB_UNREACHABLE (the connection was lost). */
int	dbw_failed(struct dbw *);
/* Sleeps for the backoff of attempt n (100 ms doubling, 10 s cap); returns
 * -1 when retry_timeout_ms since start has passed or SIGTERM arrived. */
int	dbw_backoff(struct dbw *, int n, int64_t start_ms);
/* Reports readiness (prog_ready), once. */
void	dbw_ready(struct dbw *);
/* Will never be ready: closes the readiness fd without a newline.  Returns
 * 1 when there was one (-n), 0 when not. */
int	dbw_not_ready(struct dbw *);

int	dbw_ingest(struct dbw *);
int	dbw_reported(struct dbw *);
int	dbw_migrate(struct dbw *, const char *target);
int	dbw_version(struct dbw *);
int	dbw_cleanup(struct dbw *, int argc, char **argv, int print);
int	dbw_dead_letters(struct dbw *);
/* admin.c: migrations (no database), empty, drop, truncate */
int	dbw_migrations(void);
int	dbw_empty(struct dbw *);
int	dbw_drop(struct dbw *);
int	dbw_truncate(struct dbw *);

#endif
