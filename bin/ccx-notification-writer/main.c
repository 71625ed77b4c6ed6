/*
 * ccx-notification-writer: a drop-in for the upstream notification writer.
 * Parses the command line as Go's flag package does, loads the
 * configuration as upstream does (file, environment, Clowder), picks the
 * one operation upstream would, and runs it with ccx-notify's filters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe.h"
#include "goflag.h"
#include "prog.h"
#include "writer.h"

extern char **environ;

enum {
	F_AUTHORS, F_CHECK_KAFKA, F_DB_CLEANUP, F_DB_DROP, F_DB_INIT,
	F_DB_INIT_MIGRATION, F_MAX_AGE, F_MIGRATE, F_MIGRATION_INFO,
	F_NEW_CLEANUP, F_OLD_CLEANUP, F_PRINT_NEW, F_PRINT_OLD,
	F_PRINT_READ_ERRORS, F_READ_ERRORS_CLEANUP, F_SHOW_CONFIG,
	F_TRUNCATE, F_VERSION, NFLAGS
};

static struct goflag flags[NFLAGS] = {
	[F_AUTHORS] = { "authors", GOFLAG_BOOL, "show authors", 0, 0, 0 },
	[F_CHECK_KAFKA] = { "check-kafka", GOFLAG_BOOL,
	    "check connection to Kafka", 0, 0, 0 },
	[F_DB_CLEANUP] = { "db-cleanup", GOFLAG_BOOL,
	    "perform database cleanup", 0, 0, 0 },
	[F_DB_DROP] = { "db-drop-tables", GOFLAG_BOOL,
	    "drop all tables from database", 0, 0, 0 },
	[F_DB_INIT] = { "db-init", GOFLAG_BOOL,
	    "perform database initialization", 0, 0, 0 },
	[F_DB_INIT_MIGRATION] = { "db-init-migration", GOFLAG_BOOL,
	    "initialize migration", 0, 0, 0 },
	[F_MIGRATE] = { "migrate", GOFLAG_STRING, "set database version",
	    0, 0, 0 },
	[F_MIGRATION_INFO] = { "migration-info", GOFLAG_BOOL,
	    "prints migration info", 0, 0, 0 },
	FEDB_FLAGS(F_MAX_AGE, F_NEW_CLEANUP, F_OLD_CLEANUP, F_PRINT_NEW,
	    F_PRINT_OLD),
	[F_PRINT_READ_ERRORS] = { "print-read-errors-for-cleanup",
	    GOFLAG_BOOL,
	    "print records from read_errors table to be cleaned up", 0, 0, 0 },
	[F_READ_ERRORS_CLEANUP] = { "read-errors-cleanup", GOFLAG_BOOL,
	    "perform clean up of read_errors table", 0, 0, 0 },
	[F_SHOW_CONFIG] = { "show-configuration", GOFLAG_BOOL,
	    "show configuration", 0, 0, 0 },
	[F_TRUNCATE] = { "truncate-old-reports", GOFLAG_BOOL,
	    "truncate the reported table", 0, 0, 0 },
	[F_VERSION] = { "version", GOFLAG_BOOL, "show version", 0, 0, 0 },
};

/* The flag of each operation, in upstream's order of precedence. */
static const struct { int flag; enum wop op; } order[] = {
	{ F_VERSION, OP_VERSION }, { F_AUTHORS, OP_AUTHORS },
	{ F_SHOW_CONFIG, OP_SHOW_CONFIG }, { F_CHECK_KAFKA, OP_CHECK_KAFKA },
	{ F_DB_INIT, OP_DB_INIT }, { F_DB_CLEANUP, OP_DB_CLEANUP },
	{ F_DB_DROP, OP_DB_DROP },
	{ F_DB_INIT_MIGRATION, OP_DB_INIT_MIGRATION },
	{ F_PRINT_NEW, OP_PRINT_NEW }, { F_NEW_CLEANUP, OP_NEW_CLEANUP },
	{ F_PRINT_OLD, OP_PRINT_OLD }, { F_OLD_CLEANUP, OP_OLD_CLEANUP },
	{ F_PRINT_READ_ERRORS, OP_PRINT_READ_ERRORS },
	{ F_READ_ERRORS_CLEANUP, OP_READ_ERRORS_CLEANUP },
	{ F_MIGRATION_INFO, OP_MIGRATION_INFO }, { F_MIGRATE, OP_MIGRATE },
	{ F_TRUNCATE, OP_TRUNCATE },
};

static enum wop	pick(void);
static int	load(struct writer *, int, char **, int);
static int	run(struct writer *, enum wop);

int
main(int argc, char *argv[])
{
	struct writer w;
	enum wop op;
	int rest, status;

	prog_multicall(argc, argv);
	if ((status = goflag_parse(flags, NFLAGS, argc, argv, stderr,
	    &rest)) != GOFLAG_OK)
		return status;
	op = pick();
	if (op == OP_VERSION || op == OP_AUTHORS) {
		puts(op == OP_VERSION ? "CCX Notification Writer version 1.0" :
		    "Pavel Tisnovsky, Red Hat Inc.");
		return fflush(stdout) == 0 ? WR_OK : WR_CONFIG;
	}
	memset(&w, 0, sizeof(w));
	w.max_age = flags[F_MAX_AGE].value;
	w.migrate = flags[F_MIGRATE].value;
	fedb_init(&w.db, NULL, &w.log, w.max_age, environ);
	if ((status = load(&w, argc, argv, rest)) == WR_OK)
		status = run(&w, op);
	fedb_free(&w.db);
	if (w.cfg != NULL)
		config_free(w.cfg);
	return status;
}

/* The first operation set, in upstream's order; else the service. */
static enum wop
pick(void)
{
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i].flag == F_MIGRATE) {
			if (flags[F_MIGRATE].value != NULL &&
			    *flags[F_MIGRATE].value != '\0')
				return OP_MIGRATE;
		} else if (flags[order[i].flag].on)
			return order[i].op;
	}
	return OP_SERVICE;
}

/*
 * Loads the configuration and sets the logging up as upstream does: until
 * then JSON on stderr; then stdout (or stderr), JSON or the console form.
 */
static int
load(struct writer *w, int argc, char **argv, int rest)
{
	zlog_init(&w->log);
	w->log.out = stderr;
	w->cfg = config_new(CONFIG_WRITER);
	w->db.cfg = w->cfg;
	if (fe_config(w->cfg, &w->log, environ) == -1)
		return WR_CONFIG;
	w->log.out = config_bool(w->cfg, "logging.use_stderr") ? stderr :
	    stdout;
	w->log.console = config_bool(w->cfg, "logging.debug");
	w->log.min_level = config_log_level(w->cfg);
	fe_notices(w->cfg, &w->log, argc, rest);
	(void)argv;
	return WR_OK;
}

static int
run(struct writer *w, enum wop op)
{
	switch (op) {
	case OP_SHOW_CONFIG:
		config_show(w->cfg, &w->log);
		return WR_OK;
	case OP_CHECK_KAFKA:
		return op_check_kafka(w);
	case OP_SERVICE:
		return op_service(w);
	default:
		return op_database(w, op);
	}
}
