/*
 * db-writer -r: outcome lines (proto/lines.md, read by common/lines.c)
 * into reported and read_errors.
 *
 * Each batch is one transaction of two set-based statements fed with
 * arrays: the reported rows take their report text from new_reports on the
 * server (it need not travel through the pipes), minus the items of
 * drop_items when a Service Log run partly failed (with the json, not
 * the jsonb, functions: they accept \u0000); read_error outcomes go to
 * read_errors unless that report already has one.  The primary key of
 * reported (org_id, cluster, notified_at) makes a repeated outcome line a
 * no-op.  The rows go in in the order of that key (outcome lines come in
 * cluster order), so that neighbouring inserts share the pages they touch
 * in the three indexes keyed by org_id and cluster (doc/benchmarks.md).
 * The same statement deletes the outcome's claim (the row differ wrote in
 * notification_outbox before the message left), so a later run knows the
 * outcome is recorded.
 *
 * Nothing that went out is forgotten: each batch is written to the spool
 * (spool.c) before its transaction and dropped from it after the COMMIT.
 * A batch the database refuses is recorded again line by line, so that
 * one bad line holds back no other; but a refusal that is not about the
 * line's data (a read-only server, a revoked privilege, a trigger, a full
 * disk), or that hits every line of the batch the same way, is an outage:
 * retried with backoff for -R seconds, then every further line goes to
 * the spool too and db-writer exits EX_TEMPFAIL.  The next db-writer -r
 * for the same database replays the spool before anything else: before it
 * reports readiness, and it is not ready when the replay fails.  The loop
 * is the one of ingest (batch.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "dbw.h"
#include "exitcodes.h"
#include "lineio.h"
#include "lines.h"
#include "log.h"
#include "pg.h"
#include "spool.h"

#define NCOLS	10
#define NPARAMS	(NCOLS + 1)	/* + the replay guard */

/* Array literals for the statements' parameters, one per column. */
struct cols {
	struct buf	 c[NCOLS];
	size_t		 n;		/* rows */
};

enum { C_ORG, C_ACCT, C_CLUSTER, C_STATE, C_UPD, C_NOTIFIED, C_ERR,
    C_TARGET, C_DROP, C_KIND };

struct outcomes {
	struct dbw	*d;
	struct batch	*b;
	struct cols	 cols;
	struct buf	 lines;		/* the batch's lines, NUL-separated */
	int		 guard;		/* replaying: only claimed outcomes */
	int		 in_spool;	/* the batch's lines are in the spool */
	struct spool	*sp;		/* one for both instances */
	uint64_t	 invalid;
	uint64_t	 norow;		/* outcomes that added no row */
	uint64_t	 spooled;	/* lines left in the spool */
	uint64_t	 nrep;		/* rows recorded, not yet counted */
	uint64_t	 nerr;		/* lines refused, not yet counted */
};

/*
 * Two instances take turns (batch.h, overlap): the thread that writes one
 * runs write_batch only, which touches that instance, the spool (one batch
 * in flight at a time: appended before, cleared by committed after) and
 * the connection; what it records is counted by committed, in the loop.
 * A spool replay (start) is written in the loop, one batch at a time.
 */

/*
 * The statement, with or without ON CONFLICT DO NOTHING on reported (see
 * run_batch).
 */
#define INSERT_SQL(on_conflict)						\
    "WITH u AS (SELECT * FROM unnest($1::int[], $2::int[], $3::bpchar[], " \
    "$4::int[], $5::timestamp[], $6::timestamp[], $7::text[], $8::int[], " \
    "$9::text[], $10::int[]) AS u(org, acct, cluster, state, upd, notified, " \
    "err, target, drop_items, kind)), " \
    "rep AS (INSERT INTO reported (org_id, account_number, cluster, " \
    "notification_type, state, report, updated_at, notified_at, error_log, " \
    "event_type_id) " \
    "SELECT u.org, u.acct, u.cluster, 1, u.state, " \
    "CASE WHEN u.drop_items IS NULL THEN nr.report ELSE " \
    "(SELECT json_object_agg(k, CASE WHEN k = 'reports' THEN " \
    "(SELECT coalesce(json_agg(e ORDER BY i), '[]'::json) " \
    "FROM json_array_elements(v) WITH ORDINALITY AS t(e, i) " \
    "WHERE i - 1 <> ALL (u.drop_items::int[])) ELSE v END)::text " \
    "FROM json_each(nr.report::json) AS j(k, v)) END, " \
    "u.upd, u.notified, u.err, u.target " \
    "FROM u JOIN new_reports nr ON nr.org_id = u.org AND " \
    "nr.cluster = u.cluster AND nr.updated_at = u.upd WHERE u.kind = 0 " \
    "AND (NOT $11::boolean OR EXISTS (SELECT 1 FROM notification_outbox o " \
    "WHERE o.event_type_id = u.target AND o.org_id = u.org AND " \
    "o.cluster = u.cluster AND o.notified_at = u.notified)) " \
    "ORDER BY u.org, u.cluster " on_conflict "RETURNING 1), " \
    "cl AS (DELETE FROM notification_outbox o USING u WHERE u.kind = 0 AND " \
    "o.event_type_id = u.target AND o.org_id = u.org AND " \
    "o.cluster = u.cluster AND o.notified_at = u.notified RETURNING 1), " \
    "re AS (INSERT INTO read_errors (org_id, cluster, updated_at, " \
    "error_text, created_at) " \
    "SELECT DISTINCT ON (u.org, u.cluster, u.upd) u.org, u.cluster, u.upd, " \
    "left(coalesce(u.err, ''), 1000), now() AT TIME ZONE 'UTC' FROM u " \
    "WHERE u.kind = 1 AND EXISTS (SELECT 1 FROM new_reports nr WHERE " \
    "nr.org_id = u.org AND nr.cluster = u.cluster AND nr.updated_at = u.upd) " \
    "AND NOT EXISTS (SELECT 1 FROM read_errors r WHERE r.org_id = u.org AND " \
    "r.cluster = u.cluster AND r.updated_at = u.upd) RETURNING 1) " \
    "SELECT (SELECT count(*) FROM rep), (SELECT count(*) FROM re), " \
    "(SELECT count(*) FROM cl)"

static const char insert_sql[] = INSERT_SQL("ON CONFLICT DO NOTHING ");
static const char insert_new_sql[] = INSERT_SQL("");

static void	cols_reset(struct cols *);
static void	cols_free(struct cols *);
static int	take(struct outcomes *, struct cols *, const char *,
		    unsigned long);
static int	take_line(void *, const char *, size_t, int, int,
		    unsigned long, size_t *);
static int	one_by_one(struct outcomes *);
static int	refused(const PGresult *);
static int	write_batch(void *, int);
static int	committed(void *);
static int	replay_file(void *, const char *, int);
static int	replay(void *);
static void	drain(void *, struct lineio *);
static int	run_batch(struct outcomes *, const struct cols *,
		    PGresult **, long *, long *);

static const struct batch_ops reported_ops = {
	.take = take_line, .write = write_batch, .committed = committed,
	.start = replay, .outage = drain,
	.lost = "outcomes are kept in the spool",
};

static void
cols_reset(struct cols *c)
{
	int i;

	for (i = 0; i < NCOLS; i++)
		buf_reset(&c->c[i]);
	c->n = 0;
}

static void
cols_free(struct cols *c)
{
	int i;

	for (i = 0; i < NCOLS; i++)
		buf_free(&c->c[i]);
}

/* Adds one outcome line to the batch; -1 if it cannot be recorded. */
static int
take(struct outcomes *g, struct cols *c, const char *line,
    unsigned long lineno)
{
	static const int ids[] = {
		[LINES_SENT] = 1, [LINES_SAME] = 2, [LINES_ERROR] = 4,
	};
	struct lines_outcome o;
	char num[32], why[512];
	struct buf b;
	size_t i;
	int kind, rc;

	lines_outcome_init(&o);
	if ((rc = lines_read_outcome(line, strlen(line), &o, why,
	    sizeof(why))) == LINES_ESYNTAX || rc == LINES_ETRAIL ||
	    rc == LINES_ENOTOBJ) {
		log_warn("outcome line %lu is not a JSON object: %s", lineno,
		    why);
		goto bad;
	}
	if (rc != LINES_OK) {
		log_warn("outcome line %lu lacks a valid target, org_id, "
		    "account_number, cluster, updated_at, notified_at or state: "
		    "%s", lineno, why);
		goto bad;
	}
	if (o.state_id == LINES_INVALID) {
		log_warn("outcome line %lu: an earlier stage could not read its "
		    "input: %s", lineno, o.error);
		goto bad;
	}
	kind = o.state_id == LINES_READ_ERROR;
	if (c == &g->cols)
		buf_add(&g->lines, line, strlen(line) + 1);
	snprintf(num, sizeof(num), "%lld", (long long)o.org_id);
	buf_arr_raw(&c->c[C_ORG], num);
	snprintf(num, sizeof(num), "%lld", (long long)o.account_number);
	buf_arr_raw(&c->c[C_ACCT], num);
	buf_arr_str(&c->c[C_CLUSTER], o.cluster, o.cluster_len);
	snprintf(num, sizeof(num), "%d", kind ? 0 : ids[o.state_id]);
	buf_arr_raw(&c->c[C_STATE], num);
	buf_arr_str(&c->c[C_UPD], o.updated_at, strlen(o.updated_at));
	if (o.notified_at != NULL)
		buf_arr_str(&c->c[C_NOTIFIED], o.notified_at,
		    strlen(o.notified_at));
	else
		buf_arr_null(&c->c[C_NOTIFIED]);
	/* error_log is '' for sent and same, the reason for error. */
	if (o.state_id == LINES_ERROR || kind)
		buf_arr_str(&c->c[C_ERR], o.error ? o.error : "unknown error",
		    o.error ? o.error_len : 13);
	else
		buf_arr_str(&c->c[C_ERR], "", 0);
	snprintf(num, sizeof(num), "%d", o.target_id);
	buf_arr_raw(&c->c[C_TARGET], num);
	if (o.ndrop > 0) {
		buf_init(&b);
		for (i = 0; i < o.ndrop; i++) {
			buf_putc(&b, i == 0 ? '{' : ',');
			buf_put_i64(&b, o.drop_items[i]);
		}
		buf_putc(&b, '}');
		buf_arr_str(&c->c[C_DROP], b.data, b.len);
		buf_free(&b);
	} else
		buf_arr_null(&c->c[C_DROP]);
	buf_arr_raw(&c->c[C_KIND], kind ? "1" : "0");
	c->n++;
	lines_outcome_free(&o);
	return 0;
bad:
	lines_outcome_free(&o);
	g->invalid++;
	return -1;
}

/* A line of stdin: into the batch unless it cannot be recorded. */
static int
take_line(void *arg, const char *line, size_t len, int toolong, int partial,
    unsigned long lineno, size_t *bytes)
{
	struct outcomes *g = arg;

	(void)partial;
	g->d->metrics[M_CONSUMED].value++;
	if (toolong) {
		log_warn("outcome line %lu is too long", lineno);
		g->invalid++;
		return 0;
	}
	if (take(g, &g->cols, line, lineno) == -1)
		return 0;
	*bytes = len + 1;
	return 1;
}

static int
run_batch(struct outcomes *g, const struct cols *c, PGresult **resp,
    long *nrep, long *nerr)
{
	struct buf closed[NCOLS];
	const char *params[NPARAMS];
	PGresult *res;
	int i, rc = 0;

	for (i = 0; i < NCOLS; i++) {
		buf_init(&closed[i]);
		buf_add(&closed[i], c->c[i].data, c->c[i].len);
		buf_arr_end(&closed[i]);
		params[i] = closed[i].data;
	}
	params[NCOLS] = g->guard ? "t" : "f";
	/*
	 * An outcome recorded already is rare (a line fed twice; a replay,
	 * which asks for ON CONFLICT at once), and ON CONFLICT DO NOTHING
	 * costs a tenth of the statement (doc/benchmarks.md): the plain
	 * INSERT goes first, and only when the primary key refuses it does
	 * the batch go again, with ON CONFLICT.
	 */
	res = NULL;
	if (!g->guard) {
		res = PQexecParams(g->d->conn, insert_new_sql, NPARAMS, NULL,
		    params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
		    strcmp(pg_sqlstate(res), "23505") == 0 &&
		    PQstatus(g->d->conn) == CONNECTION_OK) {
			log_debug("a batch of %zu outcomes holds one recorded "
			    "already: again, with ON CONFLICT", c->n);
			PQclear(res);
			res = NULL;
		}
	}
	if (res == NULL)
		res = PQexecParams(g->d->conn, insert_sql, NPARAMS, NULL,
		    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		*resp = res;
		rc = -1;
	} else {
		*nrep = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		*nerr = strtol(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
	}
	for (i = 0; i < NCOLS; i++)
		buf_free(&closed[i]);
	return rc;
}

/*
 * One attempt at recording the batch, in the spool first (unless it comes
 * from there): BATCH_DONE, or BATCH_OUTAGE.
 */
static int
write_batch(void *arg, int attempt)
{
	struct outcomes *g = arg;
	struct dbw *d = g->d;
	PGresult *res = NULL;
	char err[1024];
	long nrep = 0, nerr = 0;

	if (attempt == 1 && !g->guard && (spool_append(g->sp, g->lines.data,
	    g->lines.len) == -1 || spool_sync(g->sp) == -1))
		log_error("the batch of %zu outcomes is not in the spool: if "
		    "the database refuses it, it is lost", g->cols.n);
	else if (attempt == 1 && !g->guard)
		g->in_spool = 1;
	if (dbw_connect(d) == -1)
		return BATCH_OUTAGE;
	if (run_batch(g, &g->cols, &res, &nrep, &nerr) == 0) {
		g->nrep += (uint64_t)nrep;
		if ((size_t)(nrep + nerr) < g->cols.n)
			g->norow += g->cols.n - (size_t)(nrep + nerr);
		return BATCH_DONE;
	}
	pg_errmsg(d->conn, err, sizeof(err));
	if (!pg_transient(res, d->conn) && !refused(res)) {
		log_warn("the database refused a batch of %zu outcomes (%s: %s); "
		    "recording them one by one", g->cols.n, pg_sqlstate(res),
		    err);
		PQclear(res);
		if (one_by_one(g) == 0)
			return BATCH_DONE;
	} else {
		log_warn("unable to record outcomes (%s%s%s)", err,
		    *pg_sqlstate(res) ? ", SQLSTATE " : "", pg_sqlstate(res));
		PQclear(res);
	}
	if (PQstatus(d->conn) != CONNECTION_OK)
		dbw_disconnect(d);
	return BATCH_OUTAGE;
}

/* Recorded: the batch leaves the spool. */
static int
committed(void *arg)
{
	struct outcomes *g = arg;

	g->d->metrics[M_REPORTED].value += g->nrep;
	g->d->metrics[M_CONSUMING_ERRORS].value += g->nerr;
	g->nrep = g->nerr = 0;
	cols_reset(&g->cols);
	buf_reset(&g->lines);
	if (!g->guard)
		spool_clear(g->sp);
	g->in_spool = 0;
	return 0;
}

/*
 * Whether a refusal is about the database whatever the line holds: a
 * read-only server (class 25), a revoked privilege or a missing table or
 * column (42501, 42P01, 42703), no space or memory (53), the operator
 * (57), the system (58, XX).
 */
static int
refused(const PGresult *res)
{
	static const char *const cls[] = { "25", "53", "54", "57", "58",
	    "XX", "08", "40", "42501", "42P01", "42703" };
	const char *st = pg_sqlstate(res);
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if (strncmp(st, cls[i], strlen(cls[i])) == 0)
			return 1;
	return 0;
}

/*
 * Records the batch line by line, so that the one line the database
 * refuses for what it holds holds back no other; that line is logged
 * with its content and dropped.  Returns -1 on an outage: a refusal about
 * the database (refused()), or a batch of which no line was taken while
 * some refusal was not about the data of its line (classes 22 and 23):
 * a trigger that refuses everything, say.  A data exception names the
 * value of one line, even when the batch is that one line.
 */
static int
one_by_one(struct outcomes *g)
{
	struct dbw *d = g->d;
	struct cols one;
	const char *p = g->lines.data, *end = p + g->lines.len;
	PGresult *res;
	char err[1024], first[6] = "";
	long nrep, nerr;
	size_t nfail = 0, nsame = 0, nok = 0, ndata = 0;
	int i, rc = 0;

	memset(&one, 0, sizeof(one));
	for (i = 0; i < NCOLS; i++)
		buf_init(&one.c[i]);
	for (; p < end && rc == 0; p += strlen(p) + 1) {
		cols_reset(&one);
		if (take(g, &one, p, 0) == -1)
			continue;
		res = NULL;
		if (run_batch(g, &one, &res, &nrep, &nerr) == 0) {
			g->nrep += (uint64_t)nrep;
			nok++;
			continue;
		}
		if (pg_transient(res, d->conn) || refused(res)) {
			rc = -1;
		} else {
			if (nfail++ == 0)
				snprintf(first, sizeof(first), "%s",
				    pg_sqlstate(res));
			if (strcmp(first, pg_sqlstate(res)) == 0)
				nsame++;
			if (strncmp(pg_sqlstate(res), "22", 2) == 0 ||
			    strncmp(pg_sqlstate(res), "23", 2) == 0)
				ndata++;
			pg_errmsg(d->conn, err, sizeof(err));
			log_error("the database refused an outcome (%s: %s): "
			    "%.300s", pg_sqlstate(res), err, p);
			g->nerr++;
		}
		PQclear(res);
	}
	cols_free(&one);
	if (rc == 0 && nok == 0 && nfail > 0 && ndata < nfail) {
		log_error("the database took no outcome of the batch (SQLSTATE "
		    "%s%s): an outage, not bad data", first,
		    nsame == nfail ? " for every line" : " and others");
		rc = -1;
	}
	return rc;
}

/* Replays one left-over spool file; 0 when every line was taken. */
static int
replay_file(void *arg, const char *path, int fd)
{
	struct outcomes *g = arg;
	struct lineio in;
	char *line;
	size_t len;
	int r, rc = 0;
	uint64_t before = g->d->metrics[M_REPORTED].value;

	log_info("replaying %s", path);
	lineio_init(&in, fd, g->d->max_line);
	g->guard = g->b->impatient = 1;
	while (rc == 0 && (r = lineio_get(&in, &line, &len)) != LINE_EOF) {
		if (r == -1) {
			log_error("unable to read %s: %s", path,
			    strerror(errno));
			rc = -1;
		} else if (r == LINE_OK && take(g, &g->cols, line,
		    in.lineno) == 0 && batch_took(g->b, len + 1) != 0)
			rc = -1;
	}
	if (rc == 0 && batch_flush(g->b) != 0)
		rc = -1;
	g->guard = g->b->impatient = 0;
	g->b->n = g->b->bytes = 0;
	lineio_free(&in);
	cols_reset(&g->cols);
	buf_reset(&g->lines);
	if (rc != 0)
		log_warn("%s kept: it is replayed again next time", path);
	else
		log_info("%s: %llu outcomes recorded from an earlier run",
		    path, (unsigned long long)(g->d->metrics[M_REPORTED].value -
		    before));
	return rc;
}

/*
 * Once connected: the left-overs of earlier runs, before any new line and
 * before readiness.  Not all recorded (an outage): not ready.
 */
static int
replay(void *arg)
{
	struct outcomes *g = arg;

	if (spool_replay(g->sp, replay_file, g) == 0)
		return 0;
	log_error("not ready: outcomes of an earlier run are not recorded");
	return BATCH_OUTAGE;
}

/*
 * The database gave up: every further line goes to the spool until the
 * input ends, so that no outcome of a message that went out is lost.
 */
static void
drain(void *arg, struct lineio *in)
{
	struct outcomes *g = arg;
	char *line;
	size_t len;
	int r;

	log_error("outcomes go to the spool until the input ends; the run "
	    "fails (EX_TEMPFAIL) and the next db-writer -r records them");
	/* Read while the batch before was in flight, not written yet. */
	if (g->lines.len > 0 && !g->in_spool && !g->guard &&
	    spool_append(g->sp, g->lines.data, g->lines.len) == 0)
		g->spooled += g->cols.n;
	while ((r = lineio_get(in, &line, &len)) != LINE_EOF && r != -1) {
		if (r != LINE_OK)
			continue;
		g->d->metrics[M_CONSUMED].value++;
		if (spool_append(g->sp, line, len + 1) == 0)
			g->spooled++;
	}
	spool_sync(g->sp);
}

static void
outcomes_init(struct outcomes *g, struct dbw *d, struct batch *b,
    struct spool *sp)
{
	int i;

	memset(g, 0, sizeof(*g));
	g->d = d;
	g->b = b;
	g->sp = sp;
	for (i = 0; i < NCOLS; i++)
		buf_init(&g->cols.c[i]);
	buf_init(&g->lines);
}

int
dbw_reported(struct dbw *d)
{
	struct outcomes g[2];
	struct spool sp;
	struct batch b;
	uint64_t norow, invalid;
	int rc;

	if (spool_init(&sp, d->spool, d->conninfo) == -1)
		return EXIT_BAD_VALUE;
	memset(&b, 0, sizeof(b));
	outcomes_init(&g[0], d, &b, &sp);
	outcomes_init(&g[1], d, &b, &sp);
	b.d = d;
	b.ops = &reported_ops;
	b.arg = &g[0];
	b.spare = &g[1];
	d->schema_sql = "SELECT to_regclass('notification_outbox') IS NOT NULL";
	d->schema_why = "the database has no table notification_outbox "
	    "(schema older than version 11): run db-writer migrate latest";
	d->need_schema = 1;
	rc = batch_run(&b);
	norow = g[0].norow + g[1].norow;
	invalid = g[0].invalid + g[1].invalid;
	if (norow > 0)
		log_info("%llu outcomes added no row (already recorded, or "
		    "their report is gone)", (unsigned long long)norow);
	if (invalid > 0) {
		log_warn("%llu outcome lines could not be recorded",
		    (unsigned long long)invalid);
		d->metrics[M_CONSUMING_ERRORS].value += invalid;
		if (rc == 0)
			rc = EXIT_BAD_INPUT;
	}
	spool_close(&sp);
	cols_free(&g[0].cols);
	cols_free(&g[1].cols);
	buf_free(&g[0].lines);
	buf_free(&g[1].lines);
	return rc;
}
