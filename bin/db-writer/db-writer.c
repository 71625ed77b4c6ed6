/*
 * db-writer: the one program that writes the ccx-notify database.
 *
 * Without a command it stores result records read on stdin (record lines
 * from kafka-reader) in new_reports, dead-letters rejected ones, and writes
 * an ack line for each record after the transaction holding it committed.
 * Commands: migrate [VERSION|latest], version, migrations, cleanup and
 * print-for-cleanup of old rows, dead-letters (list or resubmit), and on
 * explicit request only empty, drop and truncate (admin.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbw.h"
#include "log.h"
#include "prog.h"

enum {
	S_BATCH_SIZE, S_CLEANUP_BATCH, S_CONNINFO, S_MAX_LINE, S_MAX_AGE,
	S_MAX_RECORD, S_READY, S_RETRY_TIMEOUT, S_REPORTED, S_REASON,
	S_RESUBMIT, S_SPOOL, S_BATCH_DELAY, S_METRICS_FILE, S_PUSHGATEWAY,
	S_NSETTINGS
};

static struct prog_setting settings[S_NSETTINGS] = {
	[S_BATCH_SIZE] = { .name = "batch-size", .letter = 'b', .def = "1000",
	    .type = PROG_INT, .min = 1, .max = 100000, .arg = "batch-size",
	    .help = "the most records (or outcomes) a transaction" },
	[S_CLEANUP_BATCH] = { .name = "cleanup-batch", .def = "10000",
	    .type = PROG_INT, .min = 1, .max = 1000000, .arg = "rows",
	    .help = "cleanup: the most rows deleted a transaction" },
	[S_CONNINFO] = { .name = "conninfo", .letter = 'd', .env = "CCX_DB",
	    .arg = "conninfo", .help = "the database (a libpq conninfo or "
	    "URI; PG* too); keep the password in ~/.pgpass" },
	[S_MAX_LINE] = { .name = "max-line-length", .letter = 'l',
	    .type = PROG_INT, .min = 1024, .max = (long long)1 << 31,
	    .arg = "max-line", .help = "the input line limit in bytes "
	    "(default 64 MiB)" },
	[S_MAX_AGE] = { .name = "max-age", .arg = "interval",
	    .help = "cleanup: how old a row must be, a PostgreSQL interval "
	    "(default 7 days)" },
	[S_MAX_RECORD] = { .name = "max-record-size", .letter = 'm',
	    .type = PROG_INT, .min = 1024, .max = 1 << 30,
	    .arg = "max-record-bytes", .help = "the longest record value "
	    "stored (default 8 MiB)" },
	[S_READY] = { .name = "ready-fd", .letter = 'n', .type = PROG_FD,
	    .help = "write a newline to fd once ready to read" },
	[S_RETRY_TIMEOUT] = { .name = "retry-timeout", .letter = 'R',
	    .def = "300", .type = PROG_DURATION, .min = 0, .max = 86400 * 7,
	    .unit = 1000, .arg = "retry-timeout-s", .help = "how long a batch "
	    "is retried through database outages" },
	[S_REPORTED] = { .name = "reported", .letter = 'r', .type = PROG_BOOL,
	    .help = "record outcome lines in reported" },
	[S_REASON] = { .name = "reason", .arg = "code",
	    .help = "dead-letters: only those with this reason code" },
	[S_RESUBMIT] = { .name = "resubmit", .type = PROG_BOOL,
	    .help = "dead-letters: print record lines to feed back" },
	[S_SPOOL] = { .name = "spool", .env = "CCX_SPOOL_DIR",
	    .arg = "dir|none", .help = "-r: where unrecorded outcomes wait" },
	[S_BATCH_DELAY] = { .name = "batch-delay", .letter = 'w', .def = "200",
	    .type = PROG_DURATION, .min = 0, .max = 60000, .unit = 1,
	    .arg = "batch-delay-ms", .help = "the longest a batch waits for "
	    "more input after its first line" },
	[S_METRICS_FILE] = { .name = "metrics-file" },
	[S_PUSHGATEWAY] = { .name = "pushgateway" },
};

static struct prog P = {
	.name = "db-writer",
	.about = "Stores the result records of stdin in PostgreSQL and acks "
	    "each after its commit; -r records outcome lines; or runs a "
	    "command.",
	.usage =
	    "[-qv] [-d conninfo] [-b batch-size] [-w batch-delay-ms]\n"
	    "    [-R retry-timeout-s] [-m max-record-bytes] [-l max-line] "
	    "[-n fd]\n"
	    "    [--log-format text|json] [--metrics-file path]\n"
	    "-r [-qv] [-d conninfo] [-b batch-size] [-w batch-delay-ms] "
	    "[-n fd]\n"
	    "    [-R retry-timeout-s] [--spool dir|none] [--pushgateway url]\n"
	    "[-d conninfo] migrate [version|latest]\n"
	    "[-d conninfo] version\n"
	    "migrations\n"
	    "[-d conninfo] empty|drop|truncate\n"
	    "[-d conninfo] [--max-age interval] [--cleanup-batch n]\n"
	    "    cleanup|print-for-cleanup [table ...]\n"
	    "[-d conninfo] [--reason code] [--resubmit] dead-letters",
	.settings = settings, .nsettings = S_NSETTINGS,
	.operands = -1, .in_order = 1,
	.exits = (const enum exit_condition[]){
	    EXITC_BAD_INPUT, EXITC_DB_REFUSED, EXITC_SERVICE_DOWN, EXITC_BUG,
	    EXITC_POLL_FAILED, EXITC_DOWNSTREAM_GONE, EXITC_INPUT_FAILED,
	    EXITC_DB_UNREACHABLE, EXITC_STOPPED, EXITC_DB_ACCESS, EXITC_END
	},
};

static void	configure(struct dbw *);
static int	command(struct dbw *, int, char **);

static const struct metric metric_defs[M_NMETRICS] = {
	[M_CONSUMED] = { "consumed_messages", "Records read", "counter", 0 },
	[M_CONSUMING_ERRORS] = { "consuming_errors",
	    "Records rejected or failed", "counter", 0 },
	[M_PARSE] = { "parse_incoming_message",
	    "Records that passed validation steps 1-7", "counter", 0 },
	[M_SCHEMA] = { "check_schema_version",
	    "Records whose schema version was checked", "counter", 0 },
	[M_MARSHAL] = { "marshal_report", "Reports serialised", "counter", 0 },
	[M_SHRINK] = { "shrink_report", "Reports shrunk", "counter", 0 },
	[M_LAST_CHECKED] = { "check_last_checked_timestamp",
	    "Records whose LastChecked passed", "counter", 0 },
	[M_STORED] = { "stored_messages", "Rows inserted into new_reports",
	    "counter", 0 },
	[M_STORED_BYTES] = { "stored_bytes", "Bytes of stored reports",
	    "counter", 0 },
	[M_DEAD] = { "dead_letters", "Records written to dead_letters",
	    "counter", 0 },
	[M_DUPLICATES] = { "duplicate_records",
	    "Redelivered records acknowledged without a new row", "counter", 0 },
	[M_BATCHES] = { "committed_batches", "Transactions committed",
	    "counter", 0 },
	[M_DB_RETRIES] = { "database_retries",
	    "Transient database failures retried", "counter", 0 },
	[M_REPORTED] = { "reported_rows", "Rows inserted into reported",
	    "counter", 0 },
};

/*
 * Reads the settings, then runs the command, or the ingest loop.
 */
int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	struct dbw d;
	int first, rc;

	first = prog_parse(&P, argc, argv);
	argc -= first;
	argv += first;
	if (argc > 0 && strcmp(argv[0], "cleanup") != 0 &&
	    strcmp(argv[0], "print-for-cleanup") != 0 &&
	    (argc > 2 || (argc == 2 && strcmp(argv[0], "migrate") != 0)))
		prog_usage(&P);
	configure(&d);
	prog_signals(sigs);

	rc = command(&d, argc, argv);
	dbw_metrics_flush(&d, 1);
	dbw_metrics_push(&d);
	dbw_disconnect(&d);
	return prog_finish(&P, rc);
}

static void
configure(struct dbw *d)
{
	memset(d, 0, sizeof(*d));
	d->prog = &P;
	d->conninfo = settings[S_CONNINFO].value;
	d->spool = settings[S_SPOOL].value;
	d->batch_size = (int)settings[S_BATCH_SIZE].num;
	d->batch_delay_ms = settings[S_BATCH_DELAY].num;
	d->batch_bytes = 16u << 20;
	d->retry_timeout_ms = settings[S_RETRY_TIMEOUT].num;
	d->max_record = (size_t)settings[S_MAX_RECORD].num;
	d->max_line = (size_t)settings[S_MAX_LINE].num;
	d->max_age = settings[S_MAX_AGE].value;
	d->cleanup_batch = (int)settings[S_CLEANUP_BATCH].num;
	d->reason = settings[S_REASON].value;
	d->resubmit = (int)settings[S_RESUBMIT].num;
	d->metrics_file = settings[S_METRICS_FILE].value;
	d->pushgateway = settings[S_PUSHGATEWAY].value;
	memcpy(d->metrics, metric_defs, sizeof(d->metrics));
}

/* Runs the command of argv[0], or the ingest or reported loop. */
static int
command(struct dbw *d, int argc, char **argv)
{
	const char *cmd = argc > 0 ? argv[0] : NULL;

	if (cmd == NULL)
		return settings[S_REPORTED].num ? dbw_reported(d) :
		    dbw_ingest(d);
	if (strcmp(cmd, "migrate") == 0)
		return dbw_migrate(d, argc == 2 ? argv[1] : NULL);
	if (strcmp(cmd, "version") == 0)
		return dbw_version(d);
	if (strcmp(cmd, "cleanup") == 0 ||
	    strcmp(cmd, "print-for-cleanup") == 0)
		return dbw_cleanup(d, argc - 1, argv + 1, cmd[0] == 'p');
	if (strcmp(cmd, "dead-letters") == 0)
		return dbw_dead_letters(d);
	if (strcmp(cmd, "migrations") == 0)
		return dbw_migrations();
	if (strcmp(cmd, "empty") == 0)
		return dbw_empty(d);
	if (strcmp(cmd, "drop") == 0)
		return dbw_drop(d);
	if (strcmp(cmd, "truncate") == 0)
		return dbw_truncate(d);
	log_error("unknown command \"%s\"", cmd);
	prog_usage(&P);
}
