/*
 * Administration of the whole schema, each on explicit request only:
 *
 *	migrations	the migrations this db-writer knows, "VERSION NAME" a
 *			line (no database needed)
 *	empty		one transaction emptying every data table; keeps
 *			migration_info and event_targets
 *	drop		one transaction dropping every table, at any version
 *	truncate	TRUNCATE reported
 *
 * empty and drop print one JSON line per table they touched on stdout,
 * {"table":"reported","rows":12} (rows deleted; null for a dropped table),
 * in the order they ran, once the transaction has committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbw.h"
#include "exitcodes.h"
#include "log.h"
#include "migrations.h"
#include "pg.h"

/* Children before parents, so that no foreign key stands in the way. */
static const char *const data_tables[] = {
	"reported", "read_errors", "notification_outbox", "consumed_records",
	"dead_letters", "new_reports", "notification_types", "states",
};
static const char *const all_tables[] = {
	"read_errors", "reported", "notification_outbox", "consumed_records",
	"dead_letters", "new_reports", "event_targets", "notification_types",
	"states", "migration_info",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int	each_table(struct dbw *, const char *const *, size_t, int);
static int	exec_ok(struct dbw *, const char *, const char *, long *);

int
dbw_migrations(void)
{
	int v;

	for (v = 1; v <= migration_latest; v++)
		printf("%d %s\n", v, migrations[v - 1].name);
	return fflush(stdout) == 0 ? 0 : EXIT_DOWNSTREAM_GONE;
}

int
dbw_empty(struct dbw *d)
{
	return each_table(d, data_tables, NELEM(data_tables), 0);
}

int
dbw_drop(struct dbw *d)
{
	return each_table(d, all_tables, NELEM(all_tables), 1);
}

int
dbw_truncate(struct dbw *d)
{
	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	if (exec_ok(d, "TRUNCATE TABLE reported", "truncate reported",
	    NULL) == -1)
		return dbw_failed(d);
	log_info("reported truncated");
	return 0;
}

/*
 * Deletes the rows of (or drops) every table of names that exists, in one
 * transaction; then prints what was done.
 */
static int
each_table(struct dbw *d, const char *const *names, size_t n, int drop)
{
	char sql[256], what[128];
	long rows[16];
	int present[16];
	size_t i;
	long there;

	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	if (exec_ok(d, "BEGIN", "begin", NULL) == -1)
		goto fail;
	for (i = 0; i < n && i < 16; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_class "
		    "WHERE oid = to_regclass('%s')", names[i]);
		if (exec_ok(d, sql, "look for the table", &there) == -1)
			goto fail;
		present[i] = there > 0;
		rows[i] = -1;
		if (!present[i])
			continue;
		snprintf(sql, sizeof(sql), drop ? "DROP TABLE %s CASCADE" :
		    "WITH d AS (DELETE FROM %s RETURNING 1) "
		    "SELECT count(*) FROM d", names[i]);
		snprintf(what, sizeof(what), "%s %s", drop ? "drop" : "empty",
		    names[i]);
		if (exec_ok(d, sql, what, drop ? NULL : &rows[i]) == -1)
			goto fail;
	}
	if (exec_ok(d, "COMMIT", "commit", NULL) == -1)
		goto fail;
	for (i = 0; i < n && i < 16; i++) {
		if (!present[i])
			continue;
		if (drop)
			printf("{\"table\":\"%s\",\"rows\":null}\n", names[i]);
		else
			printf("{\"table\":\"%s\",\"rows\":%ld}\n", names[i],
			    rows[i]);
	}
	log_info("%s: done", drop ? "drop" : "empty");
	return fflush(stdout) == 0 ? 0 : EXIT_DOWNSTREAM_GONE;
fail:
	log_error("%s rolled back; the database is unchanged",
	    drop ? "drop" : "empty");
	return dbw_failed(d);
}

/* Runs sql; its one integer result into *out when out is not NULL. */
static int
exec_ok(struct dbw *d, const char *sql, const char *what, long *out)
{
	PGresult *res = PQexec(d->conn, sql);
	char err[512];
	int st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_errmsg(d->conn, err, sizeof(err));
		log_error("unable to %s: %s", what, err);
		PQclear(res);
		return -1;
	}
	if (out != NULL)
		*out = PQntuples(res) > 0 ? strtol(PQgetvalue(res, 0, 0),
		    NULL, 10) : 0;
	PQclear(res);
	return 0;
}
