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
 * days.  Deleting in batches of --cleanup-batch rows, each its own
 * transaction, never holds a long lock on a large table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "dbw.h"
#include "lines.h"
#include "log.h"
#include "pg.h"
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

/* Validates the max age at start (SPEC quirk 28). */
static int
check_age(struct dbw *d, const char **age)
{
	const char *params[1];
	PGresult *res;
	char err[1024];

	if (*age == NULL || strspn(*age, " \t") == strlen(*age))
		*age = DEFAULT_MAX_AGE;
	params[0] = *age;
	res = PQexecParams(d->conn, "SELECT $1::interval", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_errmsg(d->conn, err, sizeof(err));
		log_error("max age \"%s\" is not an interval: %s", *age, err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
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
	int on[NTABLES];
	char batch[24], ts[64], err[1024];
	struct buf line;
	PGresult *res;
	size_t t;
	long n, total;
	int r;

	if (pick(argc, argv, on) == -1)
		return EX_USAGE;
	if (dbw_connect(d) == -1)
		return EX_UNAVAILABLE;
	if (check_age(d, &age) == -1)
		return EX_USAGE;
	snprintf(batch, sizeof(batch), "%d", d->cleanup_batch);
	params[0] = age;
	params[1] = batch;
	buf_init(&line);
	for (t = 0; t < NTABLES; t++) {
		if (!on[t])
			continue;
		if (print) {
			res = PQexecParams(d->conn, tables[t].print, 1, NULL,
			    params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				goto fail;
			for (r = 0; r < PQntuples(res); r++) {
				buf_reset(&line);
				rfc3339(PQgetvalue(res, r, 3), ts, sizeof(ts));
				buf_printf(&line, "{\"table\":\"%s\",\"org_id\":%s,"
				    "\"account_number\":%s,\"cluster\":",
				    tables[t].name, PQgetvalue(res, r, 0),
				    PQgetvalue(res, r, 1));
				buf_json_str(&line, PQgetvalue(res, r, 2),
				    (size_t)PQgetlength(res, r, 2));
				buf_printf(&line, ",\"updated_at\":\"%s\","
				    "\"kafka_offset\":%s,\"age_days\":%s}\n", ts,
				    PQgetvalue(res, r, 4), PQgetvalue(res, r, 5));
				fwrite(line.data, 1, line.len, stdout);
			}
			log_info("%s: %d rows older than %s", tables[t].name,
			    PQntuples(res), age);
			PQclear(res);
			continue;
		}
		total = 0;
		do {
			if (sig_pending_term()) {
				log_warn("terminating: cleanup of %s stopped "
				    "after %ld rows", tables[t].name, total);
				buf_free(&line);
				return EX_TEMPFAIL;
			}
			res = PQexecParams(d->conn, tables[t].del, 2, NULL,
			    params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				goto fail;
			n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
			PQclear(res);
			total += n;
			if (n > 0)
				log_debug("%s: %ld rows deleted so far",
				    tables[t].name, total);
		} while (n == d->cleanup_batch);
		log_info("%s: %ld rows older than %s deleted", tables[t].name,
		    total, age);
		printf("{\"table\":\"%s\",\"rows\":%ld}\n", tables[t].name,
		    total);
		fflush(stdout);
	}
	buf_free(&line);
	return 0;
fail:
	pg_errmsg(d->conn, err, sizeof(err));
	log_error("cleanup of %s failed: %s", tables[t].name, err);
	r = pg_transient(res, d->conn) ? EX_TEMPFAIL : EX_DATAERR;
	PQclear(res);
	buf_free(&line);
	return r;
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
		return EX_UNAVAILABLE;
	res = PQexecParams(d->conn, sql, 1, NULL, params, NULL, fmts, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_errmsg(d->conn, err, sizeof(err));
		log_error("unable to read dead letters: %s", err);
		PQclear(res);
		return EX_UNAVAILABLE;
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
