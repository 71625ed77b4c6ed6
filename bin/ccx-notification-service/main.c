/*
 * ccx-notification-service: a drop-in for the upstream notification
 * service.  Parses the command line as Go's flag package does, loads the
 * configuration as upstream does (file, environment, Clowder), takes
 * upstream's steps in upstream's order, and makes one notification run of
 * the enabled target with differ, kafka-emitter or servicelog-poster, and
 * db-writer -r; then pushes the metrics to the Pushgateway.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evfilter.h"
#include "goflag.h"
#include "prog.h"
#include "service.h"

extern char **environ;

enum {
	F_CLEANUP_ON_STARTUP, F_IGNORE_DISABLED, F_INSTANT, F_MAX_AGE,
	F_NEW_CLEANUP, F_OLD_CLEANUP, F_PRINT_NEW, F_PRINT_OLD,
	F_SHOW_AUTHORS, F_SHOW_CONFIG, F_SHOW_VERSION, F_VERBOSE, NFLAGS
};

static struct goflag flags[NFLAGS] = {
	[F_CLEANUP_ON_STARTUP] = { "cleanup-on-startup", GOFLAG_BOOL,
	    "perform database clean up on startup", 0, 0, 0 },
	[F_IGNORE_DISABLED] = { "ignore-disabled-rules", GOFLAG_BOOL,
	    "skip disabled rules check, process all rules as if none are "
	    "disabled", 0, 0, 0 },
	[F_INSTANT] = { "instant-reports", GOFLAG_BOOL,
	    "create instant reports", 0, 0, 0 },
	FEDB_FLAGS(F_MAX_AGE, F_NEW_CLEANUP, F_OLD_CLEANUP, F_PRINT_NEW,
	    F_PRINT_OLD),
	[F_SHOW_AUTHORS] = { "show-authors", GOFLAG_BOOL,
	    "show authors and exit", 0, 0, 0 },
	[F_SHOW_CONFIG] = { "show-configuration", GOFLAG_BOOL,
	    "show configuration and exit", 0, 0, 0 },
	[F_SHOW_VERSION] = { "show-version", GOFLAG_BOOL,
	    "show version and exit", 0, 0, 0 },
	[F_VERBOSE] = { "verbose", GOFLAG_BOOL, "verbose logs", 0, 0, 0 },
};

/* The print and cleanup operations, in upstream's order (COMPAT 2.3). */
static const struct {
	int		 flag;
	enum fedb_op	 m;
	const char	*failed;	/* upstream's failure message */
} maints[] = {
	{ F_PRINT_NEW, FEDB_PRINT_NEW, "Print records from `new_reports` "
	  "table prepared for cleanup failed" },
	{ F_NEW_CLEANUP, FEDB_NEW_CLEANUP,
	  "Cleanup records from `new_reports` table failed" },
	{ F_PRINT_OLD, FEDB_PRINT_OLD, "Print records from `reported` table "
	  "prepared for cleanup failed" },
	{ F_OLD_CLEANUP, FEDB_OLD_CLEANUP,
	  "Cleanup records from `reported` table failed" },
};
#define NMAINTS	(sizeof(maints) / sizeof(maints[0]))

static int	load(struct svc *, int, char **, int);
static int	storage(struct svc *);
static int	maintain(struct svc *, size_t);
static int	destination(struct svc *);
static int	notify(struct svc *);

int
main(int argc, char *argv[])
{
	struct svc s;
	size_t i, op = NMAINTS;
	int rest, status;

	prog_multicall(argc, argv);
	if ((status = goflag_parse(flags, NFLAGS, argc, argv, stderr,
	    &rest)) != GOFLAG_OK)
		return status;
	if (flags[F_SHOW_VERSION].on || flags[F_SHOW_AUTHORS].on) {
		puts(flags[F_SHOW_VERSION].on ?
		    "Notification service version 1.0" :
		    "Pavel Tisnovsky, Papa Bakary Camara, Red Hat Inc.");
		return fflush(stdout) == 0 ? SV_OK : SV_CONFIG;
	}
	for (i = 0; i < NMAINTS && op == NMAINTS; i++)
		if (flags[maints[i].flag].on)
			op = i;
	memset(&s, 0, sizeof(s));
	zlog_init(&s.log);
	s.log.out = stderr;
	if (!flags[F_INSTANT].on && !flags[F_SHOW_CONFIG].on && op == NMAINTS) {
		zlog_write(&s.log, ZL_ERROR,
		    "Type of report needs to be specified on command line",
		    NULL, 0);
		return SV_CONFIG;
	}
	s.max_age = flags[F_MAX_AGE].value;
	s.ignore_disabled = flags[F_IGNORE_DISABLED].on;
	pgw_init(&s.pgw);
	fedb_init(&s.db, NULL, &s.log, s.max_age, environ);
	if ((status = load(&s, argc, argv, rest)) != SV_OK)
		goto out;
	if (flags[F_SHOW_CONFIG].on || flags[F_VERBOSE].on)
		config_show(s.cfg, &s.log);
	if (flags[F_SHOW_CONFIG].on)
		goto out;
	pgw_setup(&s.pgw, s.cfg, &s.log);
	if ((status = storage(&s)) != SV_OK)
		goto push;
	if (op != NMAINTS) {
		status = maintain(&s, op);
		goto out;
	}
	if (flags[F_CLEANUP_ON_STARTUP].on && ((status = maintain(&s, 1)) !=
	    SV_OK || (status = maintain(&s, 3)) != SV_OK))
		goto out;
	if ((status = destination(&s)) != SV_OK)
		goto out;
	status = notify(&s);
	goto out;
push:
	pgw_final(&s.pgw, &s.log);
out:
	fedb_free(&s.db);
	pgw_free(&s.pgw);
	if (s.cfg != NULL)
		config_free(s.cfg);
	return status;
}

/*
 * Loads the configuration: until then JSON records on stderr; then, as
 * upstream, the console form on stderr with logging.debug, else JSON on
 * stdout (stderr with logging.use_stderr).
 */
static int
load(struct svc *s, int argc, char **argv, int rest)
{
	static const char *const names[] = { "debug", "info", "warn", "error",
	    "fatal", "disabled" };
	struct zfield lv[2];

	s->cfg = config_new(CONFIG_SERVICE);
	s->db.cfg = s->cfg;
	if (fe_config(s->cfg, &s->log, environ) == -1)
		return SV_CONFIG;
	s->log.console = config_bool(s->cfg, "logging.debug");
	s->log.out = s->log.console ||
	    config_bool(s->cfg, "logging.use_stderr") ? stderr : stdout;
	s->log.min_level = config_log_level(s->cfg);
	lv[0] = ZSTR("configured", config_str(s->cfg, "logging.log_level"));
	lv[1] = ZSTR("internal", names[s->log.min_level]);
	zlog_write(&s->log, ZL_INFO, "Log level", lv, 2);
	fe_notices(s->cfg, &s->log, argc, rest);
	(void)argv;
	return SV_OK;
}

/* The storage driver and the connection the stages get. */
static int
storage(struct svc *s)
{
	const char *drv = config_str(s->cfg, "storage.db_driver");
	struct zfield f;
	char msg[1024], err[512];

	snprintf(msg, sizeof(msg), "Making connection to data storage, "
	    "driver=%s, host=%s, database=%s", drv,
	    config_str(s->cfg, "storage.pg_host"),
	    config_str(s->cfg, "storage.pg_db_name"));
	zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
	if (strcmp(drv, "postgres") != 0)
		snprintf(err, sizeof(err), "driver %s is not supported", drv);
	else if (fedb_storage(&s->db, err, sizeof(err)) == 0)
		return SV_OK;
	f = ZSTR("error", err);
	zlog_write(&s->log, ZL_ERROR, "Unsupported driver", &f, 1);
	s->pgw.counter[C_STORAGE_SETUP_ERRORS]++;
	return SV_STORAGE;
}

/* One print or cleanup operation (maints[i]): 0, or 8. */
static int
maintain(struct svc *s, size_t i)
{
	struct zfield f;
	char e[64];
	int r;

	if ((r = fedb_maintain(&s->db, &fedb_maints[maints[i].m],
	    "Cleanup operation for all organizations")) == 0)
		return SV_OK;
	snprintf(e, sizeof(e), "db-writer exited with status %d", r);
	f = ZSTR("error", e);
	zlog_write(&s->log, ZL_ERROR, maints[i].failed, &f, 1);
	return SV_CLEANER;
}

/* Exactly one target; its event filter compiles. */
static int
destination(struct svc *s)
{
	int kafka = config_bool(s->cfg, "kafka_broker.enabled");
	int sl = config_bool(s->cfg, "service_log.enabled");
	struct evfilter *ef;
	struct zfield f;
	char err[512];

	if (!kafka && !sl) {
		zlog_write(&s->log, ZL_ERROR,
		    "No known event destination configured. Aborting.",
		    NULL, 0);
		return SV_CONFIG;
	}
	if (kafka && sl) {
		zlog_write(&s->log, ZL_ERROR, "Only one integration should be "
		    "enabled (Kafka / Service log. Review your config.", NULL,
		    0);
		return SV_CONFIG;
	}
	s->target = kafka ? TARGET_NB : TARGET_SL;
	s->section = kafka ? "kafka_broker" : "service_log";
	if ((ef = evfilter_compile(config_event_filter(s->cfg, s->section),
	    err, sizeof(err))) == NULL) {
		f = ZSTR("error", err);
		zlog_write(&s->log, ZL_ERROR, "Event filter not set", &f, 1);
		return SV_CONFIG;
	}
	evfilter_free(ef);
	return SV_OK;
}

/* The run and the push after it; a SIGTERM ends as upstream's would. */
static int
notify(struct svc *s)
{
	struct plan p;
	int status, term = 0;

	if ((status = plan_make(s, &p)) == SV_OK)
		status = run_pipeline(s, &p, &term);
	plan_free(&p);
	if (status != SV_CONFIG)
		pgw_final(&s->pgw, &s->log);
	if (term) {
		fedb_free(&s->db);
		pgw_free(&s->pgw);
		config_free(s->cfg);
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	}
	return status;
}
