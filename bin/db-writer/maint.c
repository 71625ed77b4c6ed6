/*
 * Maintenance (SPEC Contract H) and dead letters.
 *
 *	print-for-cleanup [TABLE ...]	rows older than --max-age, as JSON lines
 *	cleanup [TABLE ...]		delete them, in bounded batches; one
 *					line {"table":T,"rows":N} per table
 *	dead-letters			list dead letters, or with --resubmit
 *					print them as record lines for ingest
 *
 * The max age is PostgreSQL interval text passed as a parameter (a bare
 * number means seconds); empty means the upstream writer's default of 7
 * days, and one PostgreSQL does not read as an interval is a value
 * db-writer cannot use (prog_invalid, EXIT_BAD_VALUE).  Deleting in
 * batches of --cleanup-batch rows, each its own transaction, never holds a
 * long lock on a large table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dbw.h"
#include "lines.h"
#include "log.h"
#include "pg.h"
#include "prog.h"
#include "sig.h"
#include "timeutil.h"

#define DEFAULT_MAX_AGE	"7 days"

struct table {
	const char	*name;
	const char	*print;		/* SELECT of the rows that would go */
	const char	*del;		/* DELETE of one batch; $2 = batch */
	int		 deflt;		/* cleaned when no table is named */
};

/* The predicate of SPEC 9, on every table: updated_at < NOW() - $1. */
static const struct table tables[] = {
	{ "new_reports",
	  "SELECT org_id, account_number, cluster, updated_at, kafka_offset, "
	  "ceil(extract(epoch FROM NOW() - updated_at) / 86400)::bigint "
	  "FROM new_reports WHERE updated_at < NOW() - $1::interval "
	  "ORDER BY updated_at",
	  "WITH d AS (DELETE FROM new_reports WHERE ctid = ANY (ARRAY("
	  "SELECT ctid FROM new_reports WHERE updated_at < NOW() - $1::interval "
	  "LIMIT $2)) RETURNING 1) SELECT count(*) FROM d", 1 },
	{ "reported",
	  "SELECT org_id, account_number, cluster, updated_at, 0, "
	  "ceil(extract(epoch FROM NOW() - updated_at) / 86400)::bigint "
	  "FROM reported WHERE updated_at < NOW() - $1::interval "
	  "ORDER BY updated_at",
	  "WITH d AS (DELETE FROM reported WHERE ctid = ANY (ARRAY("
	  "SELECT ctid FROM reported WHERE updated_at < NOW() - $1::interval "
	  "LIMIT $2)) RETURNING 1) SELECT count(*) FROM d", 1 },
	{ "read_errors",
	  "SELECT org_id, 0, cluster, updated_at, 0, "
	  "ceil(extract(epoch FROM NOW() - updated_at) / 86400)::bigint "
	  "FROM read_errors WHERE updated_at < NOW() - $1::interval "
	  "ORDER BY updated_at",
	  "WITH d AS (DELETE FROM read_errors WHERE ctid = ANY (ARRAY("
	  "SELECT ctid FROM read_errors WHERE updated_at < NOW() - $1::interval "
	  "LIMIT $2)) RETURNING 1) SELECT count(*) FROM d", 1 },
	{ "consumed_records",
	  "SELECT 0, 0, cluster, updated_at, kafka_offset, "
	  "ceil(extract(epoch FROM NOW() - updated_at) / 86400)::bigint "
	  "FROM consumed_records WHERE updated_at < NOW() - $1::interval "
	  "ORDER BY updated_at",
	  "WITH d AS (DELETE FROM consumed_records WHERE ctid = ANY (ARRAY("
	  "SELECT ctid FROM consumed_records WHERE updated_at < "
	  "NOW() - $1::interval LIMIT $2)) RETURNING 1) SELECT count(*) FROM d",
	  1 },
	{ "dead_letters",
	  "SELECT 0, 0, '', received_at, kafka_offset, "
	  "ceil(extract(epoch FROM NOW() - received_at) / 86400)::bigint "
	  "FROM dead_letters WHERE received_at < NOW() - $1::interval "
	  "ORDER BY received_at",
	  "WITH d AS (DELETE FROM dead_letters WHERE ctid = ANY (ARRAY("
	  "SELECT ctid FROM dead_letters WHERE received_at < "
	  "NOW() - $1::interval LIMIT $2)) RETURNING 1) SELECT count(*) FROM d",
	  0 },
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

static int	pick(int, char **, int *);
static int	check_age(struct dbw *, const char **);
static void	rfc3339(const char *, char *, size_t);
static int	print_table(struct dbw *, const struct table *,
		    const char *const *);
static int	clean_table(struct dbw *, const struct table *,
		    const char *const *);
static int	failed(struct dbw *, const struct table *, PGresult *);

/* Marks the named tables (all defaults when none); -1 on an unknown one. */
static int
pick(int argc, char **argv, int *on)
{
	size_t t;
	int i;

	for (t = 0; t < NTABLES; t++)
		on[t] = argc == 0 && tables[t].deflt;
	for (i = 0; i < argc; i++) {
		for (t = 0; t < NTABLES; t++)
			if (strcmp(argv[i], tables[t].name) == 0)
				break;
		if (t == NTABLES) {
			log_error("unknown table \"%s\"", argv[i]);
			return -1;
		}
		on[t] = 1;
	}
	return 0;
}

/*
 * Validates the max age at start (SPEC quirk 28): one PostgreSQL does not
 * read as an interval exits EXIT_BAD_VALUE with the frame's message.
 * Returns 0, or the status of another failure.
 */
static int
check_age(struct dbw *d, const char **age)
{
	const char *params[1];
	PGresult *res;
	char why[512];
	int rc;

	if (*age == NULL || strspn(*age, " \t") == strlen(*age))
		*age = DEFAULT_MAX_AGE;
	params[0] = *age;
	res = PQexecParams(d->conn, "SELECT $1::interval", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	if (strncmp(pg_sqlstate(res), "22", 2) != 0) {
		pg_errmsg(d->conn, why, sizeof(why));
		log_error("unable to check --max-age: %s", why);
		rc = pg_transient(res, d->conn) ? EXIT_DB_UNREACHABLE :
		    EXIT_DB_REFUSED;
		PQclear(res);
		return rc;
	}
	snprintf(why, sizeof(why), "not an interval: %s",
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	PQclear(res);
	dbw_disconnect(d);
	prog_invalid(d->prog, prog_find(d->prog, "max-age"), "%s", why);
}

/* "2026-11-30 10:00:00.5" -> "2026-11-30T10:00:00.5Z" */
static void
rfc3339(const char *pg, char *out, size_t outsz)
{
	int64_t us;

	if (time_parse_pg(pg, &us) == 0)
		time_fmt_rfc3339(us, out, outsz);
	else
		snprintf(out, outsz, "%s", pg);
}

int
dbw_cleanup(struct dbw *d, int argc, char **argv, int print)
{
	const char *age = d->max_age, *params[2];
	int on[NTABLES], rc;
	char batch[24];
	size_t t;

	if (pick(argc, argv, on) == -1)
		return EXIT_BAD_FLAG;
	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	if ((rc = check_age(d, &age)) != 0)
		return rc;
	snprintf(batch, sizeof(batch), "%d", d->cleanup_batch);
	params[0] = age;
	params[1] = batch;
	for (t = 0; t < NTABLES && rc == 0; t++)
		if (on[t])
			rc = print ? print_table(d, &tables[t], params) :
			    clean_table(d, &tables[t], params);
	return rc;
}

/* print-for-cleanup of one table: its old rows as JSON lines. */
static int
print_table(struct dbw *d, const struct table *t, const char *const *params)
{
	char ts[64];
	struct buf line;
	PGresult *res;
	int r;

	res = PQexecParams(d->conn, t->print, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return failed(d, t, res);
	buf_init(&line);
	for (r = 0; r < PQntuples(res); r++) {
		buf_reset(&line);
		rfc3339(PQgetvalue(res, r, 3), ts, sizeof(ts));
		buf_printf(&line, "{\"table\":\"%s\",\"org_id\":%s,"
		    "\"account_number\":%s,\"cluster\":", t->name,
		    PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
		buf_json_str(&line, PQgetvalue(res, r, 2),
		    (size_t)PQgetlength(res, r, 2));
		buf_printf(&line, ",\"updated_at\":\"%s\",\"kafka_offset\":%s,"
		    "\"age_days\":%s}\n", ts, PQgetvalue(res, r, 4),
		    PQgetvalue(res, r, 5));
		fwrite(line.data, 1, line.len, stdout);
	}
	log_info("%s: %d rows older than %s", t->name, PQntuples(res),
	    params[0]);
	PQclear(res);
	buf_free(&line);
	return 0;
}

/* cleanup of one table, a transaction a batch, until none is left. */
static int
clean_table(struct dbw *d, const struct table *t, const char *const *params)
{
	PGresult *res;
	long n, total = 0;

	do {
		if (sig_pending_term()) {
			log_warn("terminating: cleanup of %s stopped after %ld "
			    "rows", t->name, total);
			return EXIT_STOPPED;
		}
		res = PQexecParams(d->conn, t->del, 2, NULL, params, NULL,
		    NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return failed(d, t, res);
		n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		total += n;
		if (n > 0)
			log_debug("%s: %ld rows deleted so far", t->name, total);
	} while (n == d->cleanup_batch);
	log_info("%s: %ld rows older than %s deleted", t->name, total,
	    params[0]);
	printf("{\"table\":\"%s\",\"rows\":%ld}\n", t->name, total);
	fflush(stdout);
	return 0;
}

/* A query of the cleanup failed: EXIT_DB_UNREACHABLE for an outage, else
 * EXIT_DB_REFUSED. */
static int
failed(struct dbw *d, const struct table *t, PGresult *res)
{
	char err[1024];
	int rc;

	pg_errmsg(d->conn, err, sizeof(err));
	log_error("cleanup of %s failed: %s", t->name, err);
	rc = pg_transient(res, d->conn) ? EXIT_DB_UNREACHABLE : EXIT_DB_REFUSED;
	PQclear(res);
	return rc;
}

/*
 * Lists dead letters (proto/deadletter.schema.json), or, with --resubmit,
 * prints them as record lines carrying their dead_letter_id, for
 * `db-writer` to validate again: a record that passes now is stored and its
 * dead letter deleted in the same transaction.
 */
int
dbw_dead_letters(struct dbw *d)
{
	static const char sql[] =
	    "SELECT id, topic, kafka_partition, kafka_offset, raw, reason_code, "
	    "reason, received_at FROM dead_letters "
	    "WHERE ($1::text IS NULL OR reason_code = $1) "
	    "AND kafka_partition >= 0 ORDER BY id";
	const char *params[1] = { d->reason };
	int fmts[1] = { 0 };
	struct lines_deadletter dl;
	struct lines_record rec;
	struct buf line;
	PGresult *res;
	char err[1024], ts[64];
	int r;

	if (dbw_connect(d) == -1)
		return EXIT_SERVICE_DOWN;
	res = PQexecParams(d->conn, sql, 1, NULL, params, NULL, fmts, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_errmsg(d->conn, err, sizeof(err));
		log_error("unable to read dead letters: %s", err);
		PQclear(res);
		return EXIT_SERVICE_DOWN;
	}
	buf_init(&line);
	for (r = 0; r < PQntuples(res); r++) {
		int64_t id = 0, off = 0, us;
		int32_t part = 0;
		const unsigned char *p;
		int i;

		p = (const unsigned char *)PQgetvalue(res, r, 0);
		for (i = 0; i < 8; i++)
			id = (id << 8) | p[i];
		p = (const unsigned char *)PQgetvalue(res, r, 2);
		for (i = 0; i < 4; i++)
			part = (int32_t)(((uint32_t)part << 8) | p[i]);
		p = (const unsigned char *)PQgetvalue(res, r, 3);
		for (i = 0; i < 8; i++)
			off = (off << 8) | p[i];
		p = (const unsigned char *)PQgetvalue(res, r, 7);
		for (us = 0, i = 0; i < 8; i++)
			us = (us << 8) | p[i];
		us += INT64_C(946684800000000);
		buf_reset(&line);
		if (d->resubmit) {
			memset(&rec, 0, sizeof(rec));
			rec.topic = PQgetvalue(res, r, 1);
			rec.topic_len = (size_t)PQgetlength(res, r, 1);
			rec.partition = part;
			rec.offset = off;
			rec.value = PQgetvalue(res, r, 4);
			rec.value_len = (size_t)PQgetlength(res, r, 4);
			rec.dead_letter_id = id;
			lines_write_record(&line, &rec);
		} else {
			dl.id = id;
			dl.topic = PQgetvalue(res, r, 1);
			dl.topic_len = (size_t)PQgetlength(res, r, 1);
			dl.partition = part;
			dl.offset = off;
			dl.reason_code = PQgetvalue(res, r, 5);
			dl.reason = PQgetvalue(res, r, 6);
			dl.received_at = time_fmt_pg(us, ts, sizeof(ts));
			dl.value = PQgetvalue(res, r, 4);
			dl.value_len = (size_t)PQgetlength(res, r, 4);
			lines_write_deadletter(&line, &dl);
		}
		fwrite(line.data, 1, line.len, stdout);
	}
	log_info("%d dead letters%s", PQntuples(res),
	    d->resubmit ? " printed for resubmission" : "");
	PQclear(res);
	buf_free(&line);
	return 0;
}
