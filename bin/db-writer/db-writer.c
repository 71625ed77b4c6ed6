/*
 * db-writer: the one program that writes the ccx-notify database.
 *
 * Without a command it stores result records read on stdin (record lines
 * from kafka-reader) in new_reports, dead-letters rejected ones, and writes
 * an ack line for each record after the transaction holding it committed.
 * Commands: migrate [VERSION|latest], version, cleanup and
 * print-for-cleanup of old rows, dead-letters (list or resubmit).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "dbw.h"
#include "log.h"
#include "pg.h"
#include "sig.h"
#include "timeutil.h"

static void	usage(void) __attribute__((noreturn));
static long long number(const char *, const char *, long long, long long);
static void	parse_options(struct dbw *, int, char **, int *);

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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: db-writer [-qv] [-d conninfo] [-b batch-size] "
	    "[-w batch-delay-ms]\n"
	    "                 [-R retry-timeout-s] [-m max-record-bytes] "
	    "[-l max-line]\n"
	    "                 [-n fd]"
	    " [--log-format text|json] [--metrics-file path]\n"
	    "       db-writer -r [-qv] [-d conninfo] [-b batch-size] "
	    "[-w batch-delay-ms] [-n fd]\n"
	    "                 [-R retry-timeout-s] [--spool dir|none] "
	    "[--pushgateway url]\n"
	    "       db-writer [-d conninfo] migrate [version|latest]\n"
	    "       db-writer [-d conninfo] version\n"
	    "       db-writer [-d conninfo] [--max-age interval] "
	    "[--cleanup-batch n]\n"
	    "                 cleanup|print-for-cleanup [table ...]\n"
	    "       db-writer [-d conninfo] [--reason code] [--resubmit] "
	    "dead-letters\n");
	exit(EX_USAGE);
}

static long long
number(const char *s, const char *what, long long lo, long long hi)
{
	const char *err;
	long long v = strtonum(s, lo, hi, &err);

	if (err != NULL)
		log_fatal(EX_USAGE, "%s \"%s\" is %s (%lld to %lld)", what, s,
		    err, lo, hi);
	return v;
}

static void
parse_options(struct dbw *d, int argc, char **argv, int *reported)
{
	static const struct option longopts[] = {
		{ "batch-size", required_argument, NULL, 'b' },
		{ "batch-delay", required_argument, NULL, 'w' },
		{ "retry-timeout", required_argument, NULL, 'R' },
		{ "max-record-size", required_argument, NULL, 'm' },
		{ "max-line-length", required_argument, NULL, 'l' },
		{ "reported", no_argument, NULL, 'r' },
		{ "max-age", required_argument, NULL, 'A' },
		{ "cleanup-batch", required_argument, NULL, 'C' },
		{ "reason", required_argument, NULL, 'E' },
		{ "resubmit", no_argument, NULL, 'S' },
		{ "pushgateway", required_argument, NULL, 'P' },
		{ "log-format", required_argument, NULL, 'L' },
		{ "metrics-file", required_argument, NULL, 'M' },
		{ "spool", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+b:d:l:m:n:qR:rvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			d->batch_size = (int)number(optarg, "batch size", 1,
			    100000);
			break;
		case 'd':
			d->conninfo = optarg;
			break;
		case 'l':
			d->max_line = (size_t)number(optarg,
			    "max line length", 1024, (long long)1 << 31);
			break;
		case 'm':
			d->max_record = (size_t)number(optarg,
			    "max record size", 1024, 1 << 30);
			break;
		case 'n':
			d->ready_fd = (int)number(optarg, "readiness fd", 0,
			    1024);
			break;
		case 'q':
			log_quieter();
			break;
		case 'R':
			d->retry_timeout_ms = number(optarg, "retry timeout",
			    0, 86400 * 7) * 1000;
			break;
		case 'r':
			*reported = 1;
			break;
		case 'v':
			log_louder();
			break;
		case 'w':
			d->batch_delay_ms = number(optarg, "batch delay", 0,
			    60000);
			break;
		case 'L':
			if (log_set_format_name(optarg) == -1)
				log_fatal(EX_USAGE, "unknown log format \"%s\"",
				    optarg);
			break;
		case 'M':
			d->metrics_file = optarg;
			break;
		case 'A':
			d->max_age = optarg;
			break;
		case 'C':
			d->cleanup_batch = (int)number(optarg, "cleanup batch",
			    1, 1000000);
			break;
		case 'E':
			d->reason = optarg;
			break;
		case 'S':
			d->resubmit = 1;
			break;
		case 'P':
			d->pushgateway = optarg;
			break;
		case 'K':
			d->spool = optarg;
			break;
		default:
			usage();
		}
	}
}

/*
 * Reads the options, then runs the command, or the ingest loop.
 */
int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	struct dbw d;
	int reported = 0, rc;
	const char *cmd;

	log_init(argv[0]);
	memset(&d, 0, sizeof(d));
	d.conninfo = getenv("CCX_DB");
	d.spool = getenv("CCX_SPOOL_DIR");
	d.batch_size = 1000;
	d.batch_delay_ms = 200;
	d.batch_bytes = 16u << 20;
	d.retry_timeout_ms = 300 * 1000;
	d.ready_fd = -1;
	d.cleanup_batch = 10000;
	memcpy(d.metrics, metric_defs, sizeof(d.metrics));
	parse_options(&d, argc, argv, &reported);
	argc -= optind;
	argv += optind;
	cmd = argc > 0 ? argv[0] : NULL;
	if (cmd != NULL && strcmp(cmd, "cleanup") != 0 &&
	    strcmp(cmd, "print-for-cleanup") != 0 &&
	    (argc > 2 || (argc == 2 && strcmp(cmd, "migrate") != 0)))
		usage();
	if (d.ready_fd >= 0 && fcntl(d.ready_fd, F_GETFD) == -1)
		log_fatal(EX_USAGE, "readiness fd %d is not open", d.ready_fd);
	if (sig_setup(sigs) == -1)
		log_fatal(EX_OSERR, "unable to set up signals: %s",
		    strerror(errno));

	if (cmd == NULL)
		rc = reported ? dbw_reported(&d) : dbw_ingest(&d);
	else if (strcmp(cmd, "migrate") == 0)
		rc = dbw_migrate(&d, argc == 2 ? argv[1] : NULL);
	else if (strcmp(cmd, "version") == 0)
		rc = dbw_version(&d);
	else if (strcmp(cmd, "cleanup") == 0 ||
	    strcmp(cmd, "print-for-cleanup") == 0)
		rc = dbw_cleanup(&d, argc - 1, argv + 1, cmd[0] == 'p');
	else if (strcmp(cmd, "dead-letters") == 0)
		rc = dbw_dead_letters(&d);
	else {
		log_error("unknown command \"%s\"", cmd);
		usage();
	}

	dbw_metrics_flush(&d, 1);
	dbw_metrics_push(&d);
	dbw_disconnect(&d);
	if (fclose(stdout) == EOF && rc == 0) {
		log_error("unable to write stdout: %s", strerror(errno));
		rc = EX_TEMPFAIL;
	}
	return rc;
}
