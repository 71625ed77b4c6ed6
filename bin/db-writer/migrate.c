/*
 * Schema migrations: `db-writer migrate [VERSION|latest]` and `version`.
 *
 * Like upstream, a migration run first makes sure migration_info exists
 * with one row, creates the base tables when `states` is empty, then steps
 * up or down to the target version.  Unlike upstream, all of it, including
 * the version update, is one transaction under an advisory lock, so two
 * concurrent runs cannot interleave and any failure leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbw.h"
#include "exitcodes.h"
#include "log.h"
#include "migrations.h"
#include "pg.h"

/* An arbitrary constant that names our migration lock. */
#define MIGRATE_LOCK	"SELECT pg_advisory_xact_lock(7242611)"

static int	exec_or_log(PGconn *, const char *, const char *);
static int	query_int(PGconn *, const char *, long *);
static int	parse_target(const char *, long *);
static int	prepare_info(PGconn *, long *);

static int
exec_or_log(PGconn *conn, const char *sql, const char *what)
{
	char err[1024];

	if (pg_exec(conn, sql, err, sizeof(err)) == -1) {
		log_error("unable to %s: %s", what, err);
		return -1;
	}
	return 0;
}

/* Runs a query returning one integer (NULL reads as -1). */
static int
query_int(PGconn *conn, const char *sql, long *out)
{
	PGresult *res = PQexec(conn, sql);
	char err[1024];

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_errmsg(conn, err, sizeof(err));
		log_error("unable to run \"%s\": %s", sql,
		    PQresultStatus(res) == PGRES_TUPLES_OK ?
		    "expected one row" : err);
		PQclear(res);
		return -1;
	}
	*out = PQgetisnull(res, 0, 0) ? -1 : strtol(PQgetvalue(res, 0, 0),
	    NULL, 10);
	PQclear(res);
	return 0;
}

static int
parse_target(const char *s, long *target)
{
	const char *err;

	if (s == NULL || strcmp(s, "latest") == 0) {
		*target = migration_latest;
		return 0;
	}
	*target = strtonum(s, 0, migration_latest, &err);
	if (err != NULL) {
		log_error("migration target \"%s\" is %s: use 0 to %d or "
		    "\"latest\"", s, err, migration_latest);
		return -1;
	}
	return 0;
}

/* Migration init and base init; returns the current version. */
static int
prepare_info(PGconn *conn, long *version)
{
	long n;

	if (exec_or_log(conn, "CREATE TABLE IF NOT EXISTS migration_info "
	    "(version integer NOT NULL)", "create migration_info") == -1 ||
	    query_int(conn, "SELECT count(*) FROM migration_info", &n) == -1)
		return -1;
	if (n == 0 && exec_or_log(conn, "INSERT INTO migration_info "
	    "(version) VALUES (0)", "initialise migration_info") == -1)
		return -1;
	if (n > 1) {
		log_error("migration_info holds %ld rows, expected exactly one",
		    n);
		return -1;
	}
	if (query_int(conn, "SELECT count(*) FROM pg_class WHERE oid = "
	    "to_regclass('states')", &n) == -1 ||
	    (n > 0 && query_int(conn, "SELECT count(*) FROM states", &n) == -1))
		return -1;
	if (n == 0 && exec_or_log(conn, migration_base_sql,
	    "create the base schema") == -1)
		return -1;
	return query_int(conn, "SELECT version FROM migration_info", version);
}

int
dbw_migrate(struct dbw *d, const char *arg)
{
	char sql[128];
	long target, cur, v;

	if (parse_target(arg, &target) == -1)
		return EXIT_BAD_FLAG;
	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	if (exec_or_log(d->conn, "BEGIN", "begin") == -1 ||
	    exec_or_log(d->conn, MIGRATE_LOCK, "lock migrations") == -1 ||
	    prepare_info(d->conn, &cur) == -1)
		goto fail;
	if (cur < 0 || cur > migration_latest) {
		log_error("database is at version %ld, which this db-writer "
		    "does not know (latest %d)", cur, migration_latest);
		goto fail;
	}
	for (v = cur + 1; v <= target; v++) {
		log_info("migrating up to %ld (%s)", v, migrations[v - 1].name);
		if (exec_or_log(d->conn, migrations[v - 1].up,
		    migrations[v - 1].name) == -1)
			goto fail;
	}
	for (v = cur; v > target; v--) {
		log_info("migrating down from %ld (%s)", v,
		    migrations[v - 1].name);
		if (exec_or_log(d->conn, migrations[v - 1].down,
		    migrations[v - 1].name) == -1)
			goto fail;
	}
	snprintf(sql, sizeof(sql), "UPDATE migration_info SET version = %ld",
	    target);
	if (exec_or_log(d->conn, sql, "record the version") == -1 ||
	    exec_or_log(d->conn, "COMMIT", "commit the migration") == -1)
		goto fail;
	if (cur == target)
		log_info("database already at version %ld", target);
	else
		log_info("database migrated from version %ld to %ld", cur,
		    target);
	return 0;
fail:
	log_error("migration rolled back; the database is unchanged");
	return dbw_failed(d);
}

int
dbw_version(struct dbw *d)
{
	long v;

	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	if (query_int(d->conn, "SELECT count(*) FROM pg_class WHERE oid = "
	    "to_regclass('migration_info')", &v) == -1 || (v > 0 &&
	    query_int(d->conn, "SELECT max(version) FROM migration_info",
	    &v) == -1))
		return EXIT_SERVICE_DOWN;
	printf("%ld\n", v < 0 ? 0 : v);
	return 0;
}
