/*
 * Default mode: result records from stdin into new_reports.
 *
 * Each record line (proto/record.schema.json, read by common/lines.c) is
 * validated and shrunk (common/record.c, SPEC Contract A).  Accepted records go into new_reports
 * and consumed_records, rejected ones into dead_letters, in one transaction
 * per batch; the ack lines of a batch are written only after its COMMIT.
 * The fast path writes rows with binary COPY; if the database refuses a
 * batch for a reason other than a transient one, the batch is replayed row
 * by row under savepoints, so that only the offending record is
 * dead-lettered (reason db:SQLSTATE).  Transient failures are retried with
 * backoff while nothing more is read or acknowledged (batch.c, the loop
 * this mode shares with -r).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "dbw.h"
#include "exitcodes.h"
#include "lines.h"
#include "log.h"
#include "pg.h"
#include "record.h"
#include "timeutil.h"

enum { IT_STORE, IT_DEAD };
enum { ST_STORED, ST_DUP, ST_DEAD };

struct item {
	int		 kind;
	int		 has_id;	/* topic/partition/offset known */
	int		 status;
	int32_t		 partition;
	int64_t		 offset;
	size_t		 topic_off, topic_len;
	int64_t		 org, acct;
	char		 cluster[37];
	size_t		 data_off, data_len;	/* report, or raw bytes */
	size_t		 raw_off, raw_len;	/* raw bytes of a stored record */
	char		 code[64];
	size_t		 reason_off, reason_len;
	int64_t		 updated_at;
	int64_t		 dl_id;		/* resubmitted dead letter, or 0 */
};

struct ingest {
	struct dbw	*d;
	struct item	*items;
	size_t		 n, cap;
	struct buf	 arena;		/* strings and bytes of the batch */
	struct buf	 copy;		/* COPY payload */
	struct buf	 out;		/* ack lines */
	struct record_out rec;
	struct lines_record line;	/* the record line being taken */
	struct buf	 value;		/* its unescaped strings */
	int64_t		*noid_seq;	/* for records with no identity: one
					 * sequence for both instances */
	uint64_t	 nerr;		/* rejected, not yet counted */
	int		 slow;		/* this batch goes row by row */
};

/*
 * Two instances take turns (batch.h, overlap): one is written by a thread
 * while the loop reads into the other.  The thread runs write_batch only:
 * it touches its instance, the connection and last_updated_at, never the
 * metrics (a record refused there is counted in nerr, by committed).
 */

#define PG_EPOCH_US	INT64_C(946684800000000)

static struct item *new_item(struct ingest *, const struct lines_record *);
static int	 take_line(void *, const char *, size_t, int, int,
		    unsigned long, size_t *);
static void	 take_record(struct ingest *, struct item *,
		    const struct lines_record *);
static void	 no_identity(struct ingest *, struct item *);
static void	 dead(struct ingest *, struct item *, const char *,
		    const char *, size_t, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
static int	 write_batch(void *, int);
static int	 committed(void *);
static int	 flush_fast(struct ingest *, PGresult **);
static int	 flush_slow(struct ingest *, PGresult **);
static int	 mark_dups(struct ingest *, PGresult **);
static int	 copy_rows(struct ingest *, const char *, int, PGresult **);
static int	 insert_dead(struct ingest *, struct item *, PGresult **);
static void	 write_acks(struct ingest *);
static int64_t	 next_ts(struct ingest *);

static const struct batch_ops ingest_ops = {
	.take = take_line, .write = write_batch, .committed = committed,
	.lost = "records not acknowledged",
};

/* A new item at the end of the batch, with the identity of r if known. */
static struct item *
new_item(struct ingest *g, const struct lines_record *r)
{
	struct item *it;
	size_t ncap;

	if (g->n == g->cap) {
		ncap = g->cap ? g->cap * 2 : 256;
		it = reallocarray(g->items, ncap, sizeof(*it));
		if (it == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate the batch");
		g->items = it;
		g->cap = ncap;
	}
	it = &g->items[g->n++];
	memset(it, 0, sizeof(*it));
	g->d->metrics[M_CONSUMED].value++;
	if ((it->has_id = r->has_id)) {
		it->partition = r->partition;
		it->offset = r->offset;
		it->topic_off = g->arena.len;
		it->topic_len = r->topic_len;
		buf_add(&g->arena, r->topic, r->topic_len);
		it->dl_id = r->dead_letter_id;
	}
	return it;
}

static void
dead(struct ingest *g, struct item *it, const char *code, const char *raw,
    size_t rawlen, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	it->kind = IT_DEAD;
	strlcpy(it->code, code, sizeof(it->code));
	if (g->arena.data != NULL && raw >= g->arena.data &&
	    raw < g->arena.data + g->arena.len) {
		/* Already in the arena (the raw value of a refused row). */
		it->data_off = (size_t)(raw - g->arena.data);
	} else {
		it->data_off = g->arena.len;
		buf_add(&g->arena, raw, rawlen);
	}
	it->data_len = rawlen;
	it->reason_off = g->arena.len;
	it->reason_len = strlen(reason);
	buf_add(&g->arena, reason, it->reason_len);
	g->nerr++;
	if (it->has_id)
		log_info("rejected record %.*s/%d/%lld: %s",
		    (int)it->topic_len, g->arena.data + it->topic_off,
		    it->partition, (long long)it->offset, reason);
	else
		log_warn("rejected input line: %s", reason);
}

/*
 * Takes one input line into the batch.  A partial line (the last one, with
 * no newline) that is not a complete JSON object is dropped with a warning:
 * its writer stopped in the middle of it (kafka-reader killed), so it is no
 * record, and Kafka delivers the record again since it is not acknowledged.
 */
static int
take_line(void *arg, const char *line, size_t len, int toolong, int partial,
    unsigned long lineno, size_t *bytes)
{
	struct ingest *g = arg;
	struct lines_record *r = &g->line;
	struct item *it;
	size_t before = g->arena.len;
	char why[512];
	int rc = LINES_OK;

	if (toolong)
		lines_record_id(line, len, r);
	else if ((rc = lines_read_record(line, len, r, why, sizeof(why))) !=
	    LINES_OK && rc != LINES_EMEMBER && partial) {
		log_warn("input line %lu (%zu bytes) has no newline and is not "
		    "a complete JSON object: ignored as cut short, not stored "
		    "nor acknowledged", lineno, len);
		return 0;
	}
	it = new_item(g, r);
	if (toolong)
		dead(g, it, "too_large", line, len, "input line %lu is longer "
		    "than the limit of %zu bytes (record kept truncated)",
		    lineno, len);
	else if (!r->has_id)
		dead(g, it, "bad_line", line, len, "input line %lu is not a "
		    "record line (JSON object with topic, partition, offset): "
		    "%s", lineno, why);
	else if (rc != LINES_OK)
		dead(g, it, "bad_line", line, len, "input line %lu: %s", lineno,
		    why);
	else
		take_record(g, it, r);
	if (!it->has_id)
		no_identity(g, it);
	g->d->metrics[M_CONSUMING_ERRORS].value += g->nerr;
	g->nerr = 0;
	*bytes = g->arena.len - before;
	return 1;
}

/* Validates the value of a record line (Contract A): stored or dead. */
static void
take_record(struct ingest *g, struct item *it, const struct lines_record *r)
{
	struct dbw *d = g->d;
	const char *val = r->value != NULL ? r->value : "";	/* a tombstone */
	size_t vlen = r->value_len;
	int ok;

	ok = record_check(val, vlen, d->max_record, time_now_us(), &g->rec);
	if (ok || strcmp(g->rec.reason_code, "last_checked") == 0 ||
	    strcmp(g->rec.reason_code, "future") == 0) {
		d->metrics[M_PARSE].value++;
		d->metrics[M_SCHEMA].value++;
	}
	if (!ok) {
		dead(g, it, g->rec.reason_code, val, vlen, "%s",
		    g->rec.reason);
		return;
	}
	if (g->rec.version_warn)
		log_debug("record %.*s/%d/%lld has Version %d, expected 2",
		    (int)r->topic_len, r->topic, it->partition,
		    (long long)it->offset, g->rec.version);
	d->metrics[M_LAST_CHECKED].value++;
	d->metrics[M_MARSHAL].value++;
	d->metrics[M_SHRINK].value++;
	it->kind = IT_STORE;
	it->org = g->rec.org_id;
	it->acct = g->rec.account_number;
	memcpy(it->cluster, g->rec.cluster, sizeof(it->cluster));
	it->data_off = g->arena.len;
	it->data_len = g->rec.report.len;
	buf_add(&g->arena, g->rec.report.data, g->rec.report.len);
	/* Kept for a dead letter, should the database refuse the row. */
	it->raw_off = g->arena.len;
	it->raw_len = vlen;
	buf_add(&g->arena, val, vlen);
}

/* Unacknowledgeable: kept under a unique negative offset. */
static void
no_identity(struct ingest *g, struct item *it)
{
	it->topic_off = g->arena.len;
	it->topic_len = 0;
	it->partition = -1;
	it->offset = -(time_now_us() * 16 + ((*g->noid_seq)++ % 16));
}

/* The next updated_at: now, but always after the previous one. */
static int64_t
next_ts(struct ingest *g)
{
	int64_t now = time_now_us();

	if (now <= g->d->last_updated_at)
		now = g->d->last_updated_at + 1;
	g->d->last_updated_at = now;
	return now;
}

static void
cp_i16(struct buf *b, int v)
{
	unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	buf_add(b, x, 2);
}

static void
cp_i32(struct buf *b, int64_t v)
{
	uint32_t u = (uint32_t)v;
	unsigned char x[4] = { u >> 24, u >> 16, u >> 8, u };

	buf_add(b, x, 4);
}

static void
cp_i64(struct buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	unsigned char x[8];
	int i;

	for (i = 7; i >= 0; i--, u >>= 8)
		x[i] = (unsigned char)u;
	buf_add(b, x, 8);
}

static void
cp_field(struct buf *b, const void *p, size_t n)
{
	cp_i32(b, (int64_t)n);
	buf_add(b, p, n);
}

static void
cp_int4(struct buf *b, int64_t v)
{
	cp_i32(b, 4);
	cp_i32(b, v);
}

static void
cp_int8(struct buf *b, int64_t v)
{
	cp_i32(b, 8);
	cp_i64(b, v);
}

/* Runs one binary COPY of the STORE items that are not duplicates; which
 * = 0 for new_reports, 1 for consumed_records. */
static int
copy_rows(struct ingest *g, const char *sql, int which, PGresult **resp)
{
	static const char hdr[] = "PGCOPY\n\377\r\n";
	PGconn *conn = g->d->conn;
	const char *a = g->arena.data;
	struct item *it;
	PGresult *res;
	size_t i;
	int rc;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		*resp = res;
		return -1;
	}
	PQclear(res);
	buf_reset(&g->copy);
	buf_add(&g->copy, hdr, 11);
	cp_i32(&g->copy, 0);
	cp_i32(&g->copy, 0);
	for (i = 0; i < g->n; i++) {
		it = &g->items[i];
		if (it->kind != IT_STORE || it->status == ST_DUP)
			continue;
		cp_i16(&g->copy, 6);
		if (which == 0) {
			cp_int4(&g->copy, it->org);
			cp_int4(&g->copy, it->acct);
			cp_field(&g->copy, it->cluster, strlen(it->cluster));
			cp_field(&g->copy, a + it->data_off, it->data_len);
			cp_int8(&g->copy, it->updated_at - PG_EPOCH_US);
			cp_int8(&g->copy, it->offset);
		} else {
			cp_field(&g->copy, a + it->topic_off, it->topic_len);
			cp_int4(&g->copy, it->partition);
			cp_int8(&g->copy, it->offset);
			cp_int4(&g->copy, it->org);
			cp_field(&g->copy, it->cluster, strlen(it->cluster));
			cp_int8(&g->copy, it->updated_at - PG_EPOCH_US);
		}
	}
	cp_i16(&g->copy, -1);
	rc = PQputCopyData(conn, g->copy.data, (int)g->copy.len) == 1 &&
	    PQputCopyEnd(conn, NULL) == 1 ? 0 : -1;
	res = PQgetResult(conn);
	if (rc == -1 || PQresultStatus(res) != PGRES_COMMAND_OK) {
		*resp = res;
		while ((res = PQgetResult(conn)) != NULL)
			PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	return 0;
}

/*
 * Marks the STORE items whose record was stored before (a redelivery): one
 * range scan of consumed_records' primary key per topic and partition of
 * the batch (nearly always one).
 */
static int
mark_dups(struct ingest *g, PGresult **resp)
{
	static const char sql[] =
	    "SELECT kafka_offset FROM consumed_records WHERE topic = $1 AND "
	    "kafka_partition = $2 AND kafka_offset BETWEEN $3 AND $4";
	const char *a = g->arena.data, *params[4];
	char part[16], lo[24], hi[24];
	struct item *it, *first;
	struct buf topic;
	PGresult *res;
	int64_t min, max, o;
	size_t i;
	int r, rc = 0;

	buf_init(&topic);
	for (;;) {
		first = NULL;
		min = INT64_MAX;
		max = -1;
		for (i = 0; i < g->n; i++) {
			it = &g->items[i];
			if (it->kind != IT_STORE || it->updated_at != 0)
				continue;
			if (first == NULL)
				first = it;
			else if (it->partition != first->partition ||
			    it->topic_len != first->topic_len ||
			    memcmp(a + it->topic_off, a + first->topic_off,
			    it->topic_len) != 0)
				continue;
			it->updated_at = -1;	/* in this group */
			if (it->offset < min)
				min = it->offset;
			if (it->offset > max)
				max = it->offset;
		}
		if (first == NULL)
			break;
		buf_reset(&topic);
		buf_add(&topic, a + first->topic_off, first->topic_len);
		snprintf(part, sizeof(part), "%d", first->partition);
		snprintf(lo, sizeof(lo), "%lld", (long long)min);
		snprintf(hi, sizeof(hi), "%lld", (long long)max);
		params[0] = topic.data;
		params[1] = part;
		params[2] = lo;
		params[3] = hi;
		res = PQexecParams(g->d->conn, sql, 4, NULL, params, NULL,
		    NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			*resp = res;
			rc = -1;
			break;
		}
		for (r = 0; r < PQntuples(res); r++) {
			o = strtoll(PQgetvalue(res, r, 0), NULL, 10);
			for (i = 0; i < g->n; i++) {
				it = &g->items[i];
				if (it->updated_at == -1 && it->offset == o)
					it->status = ST_DUP;
			}
		}
		PQclear(res);
		for (i = 0; i < g->n; i++)
			if (g->items[i].updated_at == -1)
				g->items[i].updated_at = -2;	/* done */
	}
	for (i = 0; i < g->n; i++)
		if (g->items[i].kind == IT_STORE)
			g->items[i].updated_at = 0;
	buf_free(&topic);
	return rc;
}

static int
insert_dead(struct ingest *g, struct item *it, PGresult **resp)
{
	static const char sql[] =
	    "INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, "
	    "raw, reason_code, reason, received_at) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7) ON CONFLICT (topic, kafka_partition, kafka_offset) "
	    "DO UPDATE SET reason_code = EXCLUDED.reason_code, "
	    "reason = EXCLUDED.reason WHERE $8::boolean";
	const char *a = g->arena.data;
	char part[16], off[24], now[40], *topic, *reason;
	const char *params[8];
	int lens[8] = { 0 }, fmts[8] = { 0 };
	PGresult *res;
	int rc = 0;

	topic = strndup(a + it->topic_off, it->topic_len);
	reason = strndup(a + it->reason_off, it->reason_len);
	if (topic == NULL || reason == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a dead letter");
	snprintf(part, sizeof(part), "%d", it->partition);
	snprintf(off, sizeof(off), "%lld", (long long)it->offset);
	time_fmt_pg(time_now_us(), now, sizeof(now));
	params[0] = topic;
	params[1] = part;
	params[2] = off;
	params[3] = a + it->data_off;
	lens[3] = (int)it->data_len;
	fmts[3] = 1;
	params[4] = it->code;
	params[5] = reason;
	params[6] = now;
	params[7] = it->dl_id != 0 ? "true" : "false";
	res = PQexecParams(g->d->conn, sql, 8, NULL, params, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*resp = res;
		rc = -1;
	} else
		PQclear(res);
	free(topic);
	free(reason);
	return rc;
}

/* Deletes the dead letters of resubmitted records that are now stored. */
static int
drop_resubmitted(struct ingest *g, PGresult **resp)
{
	struct buf ids;
	const char *params[1];
	PGresult *res;
	size_t i;
	int rc = 0;

	buf_init(&ids);
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		if (it->dl_id == 0 || it->kind != IT_STORE)
			continue;
		buf_putc(&ids, ids.len ? ',' : '{');
		buf_put_i64(&ids, it->dl_id);
	}
	if (ids.len > 0) {
		buf_putc(&ids, '}');
		params[0] = ids.data;
		res = PQexecParams(g->d->conn, "DELETE FROM dead_letters WHERE "
		    "id = ANY ($1::bigint[])", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*resp = res;
			rc = -1;
		} else
			PQclear(res);
	}
	buf_free(&ids);
	return rc;
}

static int
flush_fast(struct ingest *g, PGresult **resp)
{
	size_t i, nstore = 0;
	int rc;

	if ((rc = mark_dups(g, resp)) == -1)
		return -1;
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		if (it->kind == IT_STORE && it->status != ST_DUP) {
			it->updated_at = next_ts(g);
			nstore++;
		}
	}
	if (nstore > 0 &&
	    (copy_rows(g, "COPY new_reports (org_id, account_number, cluster, "
	    "report, updated_at, kafka_offset) FROM STDIN (FORMAT binary)", 0,
	    resp) == -1 ||
	    copy_rows(g, "COPY consumed_records (topic, kafka_partition, "
	    "kafka_offset, org_id, cluster, updated_at) FROM STDIN "
	    "(FORMAT binary)", 1, resp) == -1))
		return -1;
	for (i = 0; i < g->n; i++)
		if (g->items[i].kind == IT_DEAD &&
		    insert_dead(g, &g->items[i], resp) == -1)
			return -1;
	return drop_resubmitted(g, resp);
}

/*
 * Row by row under savepoints: a row the database refuses for good is
 * dead-lettered with its SQLSTATE and the rest of the batch goes on.
 */
static int
flush_slow(struct ingest *g, PGresult **resp)
{
	static const char sql[] =
	    "WITH c AS (INSERT INTO consumed_records (topic, kafka_partition, "
	    "kafka_offset, org_id, cluster, updated_at) VALUES ($1, $2, $3, "
	    "$4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1) "
	    "INSERT INTO new_reports (org_id, account_number, cluster, report, "
	    "updated_at, kafka_offset) SELECT $4, $7, $5, $8, "
	    "GREATEST($6::timestamp, (SELECT max(updated_at) + "
	    "interval '1 microsecond' FROM new_reports WHERE org_id = $4 AND "
	    "cluster = $5)), $3 FROM c";
	PGconn *conn = g->d->conn;
	char part[16], off[24], org[24], acct[24], ts[40], err[512];
	const char *params[8], *a;
	struct item *it;
	PGresult *res;
	size_t i;

	for (i = 0; i < g->n; i++) {
		it = &g->items[i];
		a = g->arena.data;
		if (pg_exec(conn, "SAVEPOINT row", err, sizeof(err)) == -1)
			return -1;
		if (it->kind == IT_STORE) {
			char *topic = strndup(a + it->topic_off,
			    it->topic_len);
			char *report = strndup(a + it->data_off, it->data_len);

			if (topic == NULL || report == NULL)
				log_fatal(EXIT_NOMEM, "unable to allocate a row");
			snprintf(part, sizeof(part), "%d", it->partition);
			snprintf(off, sizeof(off), "%lld",
			    (long long)it->offset);
			snprintf(org, sizeof(org), "%lld", (long long)it->org);
			snprintf(acct, sizeof(acct), "%lld",
			    (long long)it->acct);
			it->updated_at = next_ts(g);
			time_fmt_pg(it->updated_at, ts, sizeof(ts));
			params[0] = topic;
			params[1] = part;
			params[2] = off;
			params[3] = org;
			params[4] = it->cluster;
			params[5] = ts;
			params[6] = acct;
			params[7] = report;
			res = PQexecParams(conn, sql, 8, NULL, params, NULL,
			    NULL, 0);
			free(topic);
			free(report);
			if (PQresultStatus(res) == PGRES_COMMAND_OK) {
				it->status = strcmp(PQcmdTuples(res), "0") == 0 ?
				    ST_DUP : ST_STORED;
				PQclear(res);
				continue;
			}
			if (pg_transient(res, conn)) {
				*resp = res;
				return -1;
			}
			/* Refused for good: dead-letter this record. */
			pg_errmsg(conn, err, sizeof(err));
			snprintf(org, sizeof(org), "db:%s", pg_sqlstate(res));
			PQclear(res);
			if (pg_exec(conn, "ROLLBACK TO SAVEPOINT row", ts,
			    sizeof(ts)) == -1)
				return -1;
			it->status = ST_STORED;
			dead(g, it, org, a + it->raw_off, it->raw_len,
			    "the database refused the row: %s", err);
		}
		if (insert_dead(g, it, resp) == -1)
			return -1;
	}
	return drop_resubmitted(g, resp);
}

/*
 * One attempt at the batch: BEGIN, the rows (fast, or row by row once the
 * database refused the batch for good), COMMIT.  Returns BATCH_DONE,
 * BATCH_OUTAGE, or an exit status.
 */
static int
write_batch(void *arg, int attempt)
{
	struct ingest *g = arg;
	struct dbw *d = g->d;
	PGresult *res;
	char err[1024];
	size_t i;
	int rc;

	if (attempt == 1)
		g->slow = 0;
	for (;;) {
		res = NULL;
		for (i = 0; i < g->n; i++) {
			g->items[i].status = g->items[i].kind == IT_DEAD ?
			    ST_DEAD : ST_STORED;
			g->items[i].updated_at = 0;
		}
		if (dbw_connect(d) == -1)
			return d->need_schema == -1 ? EXIT_DB_ACCESS :
			    BATCH_OUTAGE;
		if (pg_exec(d->conn, "BEGIN", err, sizeof(err)) == 0) {
			rc = g->slow ? flush_slow(g, &res) : flush_fast(g, &res);
			if (rc == 0) {
				res = PQexec(d->conn, "COMMIT");
				if (PQresultStatus(res) == PGRES_COMMAND_OK) {
					PQclear(res);
					return BATCH_DONE;
				}
			}
		}
		pg_errmsg(d->conn, err, sizeof(err));
		if (res == NULL || pg_transient(res, d->conn))
			break;
		if (g->slow) {
			log_error("unable to store the batch: %s", err);
			PQclear(res);
			return EXIT_BUG;
		}
		log_warn("batch of %zu refused (%s: %s); retrying row by row",
		    g->n, pg_sqlstate(res), err);
		PQclear(res);
		pg_exec(d->conn, "ROLLBACK", err, sizeof(err));
		g->slow = 1;
	}
	log_warn("unable to store the batch: %s", err);
	PQclear(res);
	dbw_disconnect(d);
	return BATCH_OUTAGE;
}

/* Counts the batch, acknowledges it and empties it. */
static int
committed(void *arg)
{
	struct ingest *g = arg;
	struct dbw *d = g->d;
	size_t i;

	d->metrics[M_CONSUMING_ERRORS].value += g->nerr;
	g->nerr = 0;
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		if (it->status == ST_DUP)
			d->metrics[M_DUPLICATES].value++;
		else if (it->status == ST_DEAD || it->kind == IT_DEAD)
			d->metrics[M_DEAD].value++;
		else {
			d->metrics[M_STORED].value++;
			d->metrics[M_STORED_BYTES].value += it->data_len;
		}
	}
	write_acks(g);
	g->n = 0;
	buf_reset(&g->arena);
	return ferror(stdout) ? EXIT_DOWNSTREAM_GONE : 0;
}

static void
write_acks(struct ingest *g)
{
	struct lines_ack a;
	struct item *it;
	size_t i;

	buf_reset(&g->out);
	for (i = 0; i < g->n; i++) {
		it = &g->items[i];
		if (!it->has_id)
			continue;
		a.topic = g->arena.data + it->topic_off;
		a.topic_len = it->topic_len;
		a.partition = it->partition;
		a.offset = it->offset;
		a.status = it->kind == IT_DEAD || it->status == ST_DEAD ?
		    LINES_DEAD_LETTER : it->status == ST_DUP ?
		    LINES_DUPLICATE : LINES_STORED;
		lines_write_ack(&g->out, &a);
	}
	if (g->out.len > 0) {
		fwrite(g->out.data, 1, g->out.len, stdout);
		fflush(stdout);
	}
}

static void
ingest_init(struct ingest *g, struct dbw *d, int64_t *noid_seq)
{
	memset(g, 0, sizeof(*g));
	g->d = d;
	g->noid_seq = noid_seq;
	buf_init(&g->arena);
	buf_init(&g->copy);
	buf_init(&g->out);
	buf_init(&g->value);
	buf_init(&g->rec.report);
	g->line.store = &g->value;
}

static void
ingest_free(struct ingest *g)
{
	free(g->items);
	buf_free(&g->arena);
	buf_free(&g->copy);
	buf_free(&g->out);
	buf_free(&g->value);
	buf_free(&g->rec.report);
}

int
dbw_ingest(struct dbw *d)
{
	struct ingest g[2];
	struct batch b;
	int64_t noid_seq = 0;
	int rc;

	ingest_init(&g[0], d, &noid_seq);
	ingest_init(&g[1], d, &noid_seq);
	memset(&b, 0, sizeof(b));
	b.d = d;
	b.ops = &ingest_ops;
	b.arg = &g[0];
	b.spare = &g[1];
	d->schema_sql = "SELECT to_regclass('consumed_records') IS NOT NULL "
	    "AND to_regclass('dead_letters') IS NOT NULL";
	d->schema_why = "the database lacks the tables of migration 10 "
	    "(dead_letters, consumed_records): run \"db-writer migrate\" first";
	d->need_schema = 1;
	rc = batch_run(&b);
	ingest_free(&g[0]);
	ingest_free(&g[1]);
	return rc;
}
