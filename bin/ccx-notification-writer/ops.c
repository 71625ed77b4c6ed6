/*
 * The writer's database operations (COMPAT.md 8), each through one or two
 * db-writer commands, logged with upstream's phrases (COMPAT.md 6.2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "fe.h"
#include "writer.h"

extern char **environ;

/* Each print and cleanup operation, and upstream's failure message. */
static const struct maint {
	enum wop	 op;
	enum fedb_op	 m;
	const char	*failed;
} maints[] = {
	{ OP_PRINT_NEW, FEDB_PRINT_NEW,
	  "Print records to cleanup from `new_reports` failed" },
	{ OP_PRINT_OLD, FEDB_PRINT_OLD,
	  "Print records to cleanup from `reported` table failed" },
	{ OP_PRINT_READ_ERRORS, FEDB_PRINT_READ_ERRORS,
	  "Print records to cleanup from `read_errors` table failed" },
	{ OP_NEW_CLEANUP, FEDB_NEW_CLEANUP,
	  "Cleanup records from `new_reports` table failed" },
	{ OP_OLD_CLEANUP, FEDB_OLD_CLEANUP,
	  "Cleanup records from `reported` table failed" },
	{ OP_READ_ERRORS_CLEANUP, FEDB_READ_ERRORS_CLEANUP,
	  "Cleanup records from `read_errors` table failed" },
};

/* What one kafka-reader or db-writer run gave. */
struct out {
	struct writer	*w;
	const char	*stage;		/* the filter */
	struct buf	 text;		/* its stdout */
};

static int	dbwriter(struct writer *, const char *const *, struct buf *);
static int	dbwriter_num(struct writer *, const char *const *, long,
		    long *);
static void	on_out(void *, const char *, size_t);
static void	on_err(void *, const char *, size_t);
static void	broker_record(struct writer *, const char *);
static int	maintain(struct writer *, const struct maint *);
static int	init(struct writer *, enum wop);
static int	schema(struct writer *, enum wop);
static int	migration_info(struct writer *);
static int	migrate(struct writer *);
static long	latest(struct writer *);
static void	failed(struct writer *, const char *, int);

int
writer_storage(struct writer *w)
{
	const char *drv = config_str(w->cfg, "storage.db_driver");
	struct zfield f = ZSTR("driver", drv);
	char err[512];

	zlog_write(&w->log, ZL_INFO, "Making connection to data storage",
	    &f, 1);
	if (strcmp(drv, "postgres") != 0) {
		snprintf(err, sizeof(err), "driver %s is not supported", drv);
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Unsupported driver", &f, 1);
		zlog_write(&w->log, ZL_ERROR, "Operation failed", &f, 1);
		return WR_STORAGE;
	}
	/* The password reaches db-writer in its environment only. */
	if (fedb_storage(&w->db, err, sizeof(err)) == -1) {
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Operation failed", &f, 1);
		return WR_STORAGE;
	}
	return WR_OK;
}

int
op_database(struct writer *w, enum wop op)
{
	size_t i;
	int r;

	if ((r = writer_storage(w)) != WR_OK)
		return r;
	for (i = 0; i < sizeof(maints) / sizeof(maints[0]); i++)
		if (maints[i].op == op)
			return maintain(w, &maints[i]);
	switch (op) {
	case OP_DB_INIT:
	case OP_DB_INIT_MIGRATION:
		return init(w, op);
	case OP_DB_CLEANUP:
	case OP_DB_DROP:
	case OP_TRUNCATE:
		return schema(w, op);
	case OP_MIGRATION_INFO:
		return migration_info(w);
	case OP_MIGRATE:
		return migrate(w);
	default:
		return WR_CONFIG;
	}
}

/* Print or cleanup of one upstream table. */
static int
maintain(struct writer *w, const struct maint *m)
{
	int r;

	if ((r = fedb_maintain(&w->db, &fedb_maints[m->m],
	    "Cleanup operation")) != 0) {
		failed(w, m->failed, r);
		return WR_STORAGE;
	}
	return WR_OK;
}

/* -db-init and -db-init-migration: the version, then migrate to it. */
static int
init(struct writer *w, enum wop op)
{
	const char *argv[] = { "version", NULL, NULL };
	const char *fail = op == OP_DB_INIT ?
	    "Database initialization operation failed" :
	    "Database migration initialization operation failed";
	char v[32], msg[64];
	long cur;
	int r;

	if ((r = dbwriter_num(w, argv, 0, &cur)) != 0) {
		failed(w, fail, r);
		return WR_STORAGE;
	}
	snprintf(v, sizeof(v), "%ld", cur);
	snprintf(msg, sizeof(msg), "database current version: %s", v);
	zlog_write(&w->log, ZL_INFO, msg, NULL, 0);
	argv[0] = "migrate";
	argv[1] = v;
	if ((r = dbwriter(w, argv, NULL)) != 0) {
		failed(w, fail, r);
		return WR_STORAGE;
	}
	return WR_OK;
}

/* -db-cleanup, -db-drop-tables, -truncate-old-reports. */
static int
schema(struct writer *w, enum wop op)
{
	const char *argv[] = { op == OP_DB_CLEANUP ? "empty" :
	    op == OP_DB_DROP ? "drop" : "truncate", NULL };
	struct buf text;
	struct zfield f;
	char *tok, *save = NULL, stmt[128];
	int r;

	buf_init(&text);
	if ((r = dbwriter(w, argv, &text)) != 0) {
		failed(w, op == OP_DB_CLEANUP ?
		    "Database cleanup operation failed" :
		    "Database drop tables operation failed", r);
		buf_free(&text);
		return WR_STORAGE;
	}
	if (op == OP_TRUNCATE)
		zlog_write(&w->log, ZL_INFO,
		    "Truncated `reported` table successfully", NULL, 0);
	for (tok = strtok_r(text.data != NULL ? text.data : (char *)"",
	    "\n", &save); tok != NULL && op != OP_TRUNCATE;
	    tok = strtok_r(NULL, "\n", &save)) {
		struct json_object *j = json_tokener_parse(tok), *t;
		if (j != NULL && json_object_object_get_ex(j, "table", &t)) {
			snprintf(stmt, sizeof(stmt), "%s %s;",
			    op == OP_DB_CLEANUP ? "DELETE FROM" : "DROP TABLE",
			    json_object_get_string(t));
			f = ZSTR("Statement", stmt);
			zlog_write(&w->log, ZL_INFO, "SQL statement", &f, 1);
		}
		json_object_put(j);
	}
	buf_free(&text);
	return WR_OK;
}

static int
migration_info(struct writer *w)
{
	const char *argv[] = { "version", NULL };
	char msg[96];
	long cur, max;
	int r;

	if ((r = dbwriter_num(w, argv, 0, &cur)) != 0 ||
	    (max = latest(w)) < 0) {
		failed(w, "Unable to get current DB version", r);
		return WR_MIGRATION;
	}
	snprintf(msg, sizeof(msg), "Current DB version: %ld", cur);
	zlog_write(&w->log, ZL_INFO, msg, NULL, 0);
	snprintf(msg, sizeof(msg), "Maximum available version: %ld", max);
	zlog_write(&w->log, ZL_INFO, msg, NULL, 0);
	return WR_OK;
}

static int
migrate(struct writer *w)
{
	const char *argv[] = { "migrate", w->migrate, NULL };
	struct zfield f;
	char msg[128], *end;
	long v, max = latest(w);
	int r;

	errno = 0;
	v = strtol(w->migrate, &end, 10);
	if (strcmp(w->migrate, "latest") != 0 && (errno != 0 ||
	    *end != '\0' || end == w->migrate || v < 0 || v > max)) {
		snprintf(msg, sizeof(msg), "Unable to parse migration "
		    "version: %s", w->migrate);
		zlog_write(&w->log, ZL_ERROR, msg, NULL, 0);
		failed(w, "Do selected operation", 0);
		return WR_MIGRATION;
	}
	if ((r = dbwriter(w, argv, NULL)) != 0) {
		snprintf(msg, sizeof(msg), "db-writer migrate exited %d", r);
		f = ZSTR("error", msg);
		zlog_write(&w->log, ZL_ERROR, "migration failure", &f, 1);
		failed(w, "Do selected operation", r);
		return WR_MIGRATION;
	}
	return WR_OK;
}

/* The highest version db-writer knows, or -1. */
static long
latest(struct writer *w)
{
	const char *argv[] = { "migrations", NULL };
	long v;

	return dbwriter_num(w, argv, -1, &v) == 0 ? v : -1;
}

/* An operation failed: upstream's message, then "Do selected operation". */
static void
failed(struct writer *w, const char *msg, int status)
{
	struct zfield f;
	char e[64];

	snprintf(e, sizeof(e), "db-writer exited with status %d", status);
	f = ZSTR("error", e);
	zlog_write(&w->log, ZL_ERROR, msg, &f, 1);
	if (strcmp(msg, "Do selected operation") != 0)
		zlog_write(&w->log, ZL_ERROR, "Do selected operation", &f, 1);
}

/* Runs db-writer with args after its connection options; its stdout
 * goes to text (NULL: dropped). */
static int
dbwriter(struct writer *w, const char *const *args, struct buf *text)
{
	struct zfield f;
	char err[256];
	int r;

	r = fedb_run(&w->db, args, text != NULL ? fedb_text : NULL, text,
	    err, sizeof(err));
	if (r == -1) {
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Operation failed", &f, 1);
	}
	return r;
}

/* dbwriter, then the number that starts the last line of its stdout
 * into *num (dflt without output). */
static int
dbwriter_num(struct writer *w, const char *const *args, long dflt,
    long *num)
{
	struct buf text;
	const char *last;
	int r;

	buf_init(&text);
	*num = dflt;
	if ((r = dbwriter(w, args, &text)) == 0 && text.len > 1) {
		text.data[text.len - 1] = '\0';
		last = strrchr(text.data, '\n');
		*num = strtol(last != NULL ? last + 1 : text.data, NULL, 10);
	}
	buf_free(&text);
	return r;
}

static void
on_out(void *arg, const char *line, size_t len)
{
	struct out *o = arg;

	fedb_text(&o->text, line, len);
}

static void
on_err(void *arg, const char *line, size_t len)
{
	struct out *o = arg;

	fe_relay(&o->w->log, o->stage != NULL ? o->stage : "db-writer", line,
	    len);
	if (o->stage != NULL && strcmp(o->stage, "kafka-reader") == 0)
		broker_record(o->w, line);
}

/*
 * kafka-reader --check-brokers says "broker ADDR answered: ..." or
 * "broker ADDR: why" of each broker it tries: upstream's "Connection to
 * broker" and "Not connected to broker".
 */
static void
broker_record(struct writer *w, const char *line)
{
	struct json_object *j, *m;
	struct zfield f[2];
	const char *msg, *sp, *colon;
	char addr[256];

	if ((j = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(j, "msg", &m) ||
	    strncmp(msg = json_object_get_string(m), "broker ", 7) != 0 ||
	    (colon = strstr(msg + 7, ": ")) == NULL) {
		json_object_put(j);
		return;
	}
	sp = strchr(msg + 7, ' ');
	if (sp != NULL && sp < colon && strncmp(sp, " answered: ", 11) == 0) {
		snprintf(addr, sizeof(addr), "%.*s", (int)(sp - msg - 7),
		    msg + 7);
		f[0] = ZSTR("address", addr);
		zlog_write(&w->log, ZL_INFO, "Connection to broker", f, 1);
	} else {
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - msg - 7),
		    msg + 7);
		f[0] = ZSTR("error", colon + 2);
		f[1] = ZSTR("address", addr);
		zlog_write(&w->log, ZL_ERROR, "Not connected to broker", f, 2);
	}
	json_object_put(j);
}

int
op_check_kafka(struct writer *w)
{
	const char *addrs = config_str(w->cfg, "broker.addresses");
	const char *argv[] = { "kafka-reader", "--log-format", "json",
	    "--check-brokers", "-b", addrs, NULL };
	struct out o;
	char err[256];
	struct zfield f;
	int r;

	zlog_write(&w->log, ZL_INFO, "Checking connection to Kafka", NULL, 0);
	memset(&o, 0, sizeof(o));
	o.w = w;
	o.stage = "kafka-reader";
	buf_init(&o.text);
	r = fe_run((char *const *)argv, environ, on_out, on_err, &o, err,
	    sizeof(err));
	buf_free(&o.text);
	if (r == 0) {
		zlog_write(&w->log, ZL_INFO, "Broker connection OK", NULL, 0);
		return WR_OK;
	}
	f = ZSTR("error", r == -1 ? err : "no broker answered");
	zlog_write(&w->log, ZL_ERROR,
	    "Couldn't connect to any of the provided brokers", &f, 1);
	return WR_KAFKA;
}
