/*
 * source: the candidates of one run (SPEC 4.1, 4.2), streamed.
 *
 * From the database: one set-based query, sent with parameters only and
 * read in single-row mode, so that memory does not grow with the number
 * of clusters; the connection is polled together with the signal pipe, so
 * that SIGTERM is seen even while the server is still sorting.  From
 * candidate lines (-i): one line at a time through lineio.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "differ.h"
#include "exitcodes.h"
#include "lineio.h"
#include "lines.h"
#include "log.h"
#include "pg.h"
#include "sig.h"
#include "timeutil.h"

/* Columns of the candidates query. */
enum {
	C_ORG, C_ACCOUNT, C_CLUSTER, C_OFFSET, C_UPDATED, C_REPORT,
	C_BASELINE, C_BASELINE_AT, C_CLAIM_AT, C_CLAIM_EXPIRED, C_NCOLS
};

static void	build_query(const struct differ_conf *, int, struct buf *,
		    const char **, int *, char (*)[16], struct buf *);
static int	check_interval(struct differ *, const char *, const char *,
		    int);
static int	wait_result(struct differ *);
static int	stopped(struct differ *);
static void	cancel(struct differ *);
static int	db_row(struct differ *, const PGresult *);
static int	db_error(struct differ *, const PGresult *, const char *);
static int	dump(struct differ *, const struct cand *);
static int	wait_input(struct differ *, int);
static int	flush_out(struct differ *);
static int	parse_cand(struct differ *, const char *, size_t,
		    struct cand *, char *, size_t);

int
differ_db_open(struct differ *d)
{
	const struct differ_conf *cf = &d->conf;
	char err[1024];
	int rc = 0, perm;

	if ((d->conn = pg_connect_perm(cf->conninfo, "ccx-differ", &perm, err,
	    sizeof(err))) == NULL) {
		log_error("unable to connect to the database: %s", err);
		return perm ? EX_CONFIG : EX_TEMPFAIL;
	}
	/* The text of timestamps, as the lines carry it. */
	if (pg_exec(d->conn, "SET DateStyle = 'ISO, YMD'", err,
	    sizeof(err)) == -1) {
		log_error("unable to set DateStyle: %s", err);
		return EX_TEMPFAIL;
	}
	if (cf->cooldown != NULL && (rc = check_interval(d, cf->cooldown,
	    "cooldown", 0)) != 0)
		return rc;
	if (!cf->dump && !cf->dry_run && cf->input == NULL)
		rc = check_interval(d, cf->claim_expiry, "claim-expiry", 1);
	return rc;
}

/*
 * An interval setting as PostgreSQL reads it.  A value the server does
 * not read as an interval, a negative one ("-1 day", "1 week ago"), or
 * zero where it must be positive, is a value of the right type that
 * differ cannot use: EXIT_BAD_VALUE, with d->invalid naming the setting
 * and d->error saying why (differ.c words the message as the frame does).
 */
static int
check_interval(struct differ *d, const char *val, const char *name,
    int positive)
{
	const char *pv[1];
	char msg[64];
	PGresult *res;
	int rc = 0;

	pv[0] = val;
	res = PQexecParams(d->conn, "SELECT $1::interval, $1::interval < "
	    "'0'::interval, $1::interval = '0'::interval", 1, NULL, pv, NULL,
	    NULL, 0);
	snprintf(msg, sizeof(msg), "unable to check --%s", name);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    strncmp(pg_sqlstate(res), "22", 2) == 0) {
		snprintf(d->error, sizeof(d->error), "not an interval: %s",
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		d->invalid = name;
		rc = EXIT_BAD_VALUE;
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = db_error(d, res, msg);
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0 ||
	    (positive && strcmp(PQgetvalue(res, 0, 2), "t") == 0)) {
		snprintf(d->error, sizeof(d->error), "the interval is %s (%s)",
		    positive ? "not positive" : "negative",
		    PQgetvalue(res, 0, 0));
		d->invalid = name;
		rc = EXIT_BAD_VALUE;
	} else
		log_debug("--%s \"%s\" = %s", name, val, PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/*
 * The candidates query: the newest new_reports row of each cluster (of
 * this shard), its report, and the newest sent row of the target inside
 * the cooldown (none when the cooldown is disabled), in cluster order.
 * With the indexes of migration 12 it streams: the newest rows come from
 * an index scan in cluster order, each baseline from one probe of the
 * partial index of sent rows, so the first line leaves before the last
 * row is read and the cost does not grow with reported's history.
 * Only parameter numbers are printed into the text, never values.
 */
static void
build_query(const struct differ_conf *cf, int claims, struct buf *q,
    const char **pv, int *np, char (*num)[16], struct buf *arr)
{
	size_t i;

	*np = 0;
	buf_puts(q, "SELECT l.org_id, l.account_number, l.cluster, "
	    "l.kafka_offset, l.updated_at, l.report, ");
	buf_puts(q, cf->cooldown != NULL ? "b.report, b.notified_at" :
	    "NULL, NULL");
	buf_puts(q, claims ? ", o.notified_at, o.claimed_at < (now() AT TIME "
	    "ZONE 'UTC') - $1::interval" : ", NULL, NULL");
	if (claims) {
		pv[0] = cf->claim_expiry;
		snprintf(num[1], sizeof(num[0]), "%d", cf->target);
		pv[1] = num[1];
		*np = 2;
	}
	buf_puts(q, " FROM (SELECT DISTINCT ON (cluster) org_id, "
	    "account_number, cluster, kafka_offset, updated_at, report "
	    "FROM new_reports");
	if (cf->shard_n > 0) {
		snprintf(num[*np], sizeof(num[0]), "%u", cf->shard_n);
		pv[*np] = num[*np];
		snprintf(num[*np + 1], sizeof(num[0]), "%u", cf->shard_k);
		pv[*np + 1] = num[*np + 1];
		buf_printf(q, " WHERE (hashtext(cluster::text) & 2147483647) "
		    "%% $%d::integer = $%d::integer", *np + 1, *np + 2);
		*np += 2;
	}
	if (cf->explain.n > 0) {
		for (i = 0; i < cf->explain.n; i++)
			buf_arr_str(arr, cf->explain.v[i],
			    strlen(cf->explain.v[i]));
		buf_arr_end(arr);
		pv[*np] = arr->data;
		buf_printf(q, " %s cluster = ANY($%d::bpchar[])",
		    cf->shard_n > 0 ? "AND" : "WHERE", *np + 1);
		*np += 1;
	}
	buf_puts(q, " ORDER BY cluster, updated_at DESC) l");
	if (cf->cooldown != NULL) {
		snprintf(num[*np], sizeof(num[0]), "%d", cf->target);
		pv[*np] = num[*np];
		pv[*np + 1] = cf->cooldown;
		buf_printf(q, " LEFT JOIN LATERAL (SELECT r.report, "
		    "r.notified_at FROM reported r WHERE r.org_id = l.org_id "
		    "AND r.cluster = l.cluster AND r.event_type_id = "
		    "$%d::integer AND r.state = 1 AND r.notified_at > NOW() - "
		    "$%d::interval ORDER BY r.notified_at DESC LIMIT 1) b "
		    "ON true", *np + 1, *np + 2);
		*np += 2;
	}
	if (claims)
		buf_puts(q, " LEFT JOIN notification_outbox o ON "
		    "o.event_type_id = $2::integer AND o.org_id = l.org_id AND "
		    "o.cluster = l.cluster");
	buf_puts(q, " ORDER BY l.cluster");
}

int
differ_run_db(struct differ *d)
{
	char num[7][16];
	const char *pv[7];
	struct buf q, arr;
	PGresult *res;
	int np, rc = 0, st;

	buf_init(&q);
	buf_init(&arr);
	build_query(&d->conf, d->outbox.conn != NULL, &q, pv, &np, num, &arr);
	log_debug("candidates query (one statement, single-row mode): %s",
	    q.data);
	/* Its estimated cost (a probe per cluster) would have the server
	 * compile it with LLVM first, a fixed cost of 0.1 s or more that
	 * buys nothing for index probes: no JIT for this session.  And no
	 * sequential scan where an index serves: once autovacuum has seen
	 * notification_outbox empty, the planner scans it whole for every
	 * candidate, while this run's own claims fill it (50k clusters: 9 s
	 * instead of 0.8 s; at 500k, minutes). */
	PQclear(PQexec(d->conn, "SET jit = off; SET enable_seqscan = off"));
	rc = PQsendQueryParams(d->conn, q.data, np, NULL, pv, NULL, NULL, 0);
	buf_free(&q);
	buf_free(&arr);
	if (!rc)
		return db_error(d, NULL, "unable to send the candidates query");
	rc = 0;
	if (!PQsetSingleRowMode(d->conn))
		log_fatal(EX_SOFTWARE, "unable to enter single-row mode");
	for (;;) {
		if ((rc = wait_result(d)) != 0)
			return rc;
		if ((res = PQgetResult(d->conn)) == NULL)
			break;
		st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE)
			rc = db_row(d, res);
		else if (st != PGRES_TUPLES_OK)
			rc = db_error(d, res, "unable to read the candidates");
		PQclear(res);
		if (rc != 0) {
			cancel(d);
			return rc;
		}
		if (stopped(d))
			return EX_TEMPFAIL;
		if ((rc = outbox_tick(d)) != 0) {
			cancel(d);
			return rc;
		}
		differ_progress(d, 0);
	}
	differ_progress(d, 1);
	return outbox_flush(d);
}

/*
 * Waits until PQgetResult will not block, serving signals meanwhile.
 * Returns 0, or an exit status (logged) when stopped or disconnected.
 */
static int
wait_result(struct differ *d)
{
	struct pollfd pfd[2];
	char err[512];
	int n;

	while (PQisBusy(d->conn)) {
		if (stopped(d))
			return EX_TEMPFAIL;
		pfd[0].fd = PQsocket(d->conn);
		pfd[0].events = POLLIN;
		pfd[1].fd = sig_fd();
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if ((n = poll(pfd, 2, 0)) == 0) {
			if ((n = outbox_flush(d)) != 0)
				return n;
			if (flush_out(d) != 0)
				return EX_TEMPFAIL;
			n = poll(pfd, 2, PROGRESS_MS);
		}
		if (n == -1 && errno != EINTR) {
			log_error("unable to poll: %s", strerror(errno));
			return EX_OSERR;
		}
		if (pfd[1].revents != 0)
			sig_read();
		if (pfd[0].revents != 0 && !PQconsumeInput(d->conn)) {
			pg_errmsg(d->conn, err, sizeof(err));
			log_error("lost the database connection: %s", err);
			return EX_TEMPFAIL;
		}
		differ_progress(d, 0);
	}
	return 0;
}

/* Flushes standard output; returns 0 or EX_TEMPFAIL (logged). */
static int
flush_out(struct differ *d)
{
	if (d->out_failed)
		return EX_TEMPFAIL;
	if (fflush(stdout) == EOF) {
		log_error("unable to write stdout: %s", strerror(errno));
		d->out_failed = 1;
		return EX_TEMPFAIL;
	}
	return 0;
}

/* SIGTERM or SIGINT: the run stops after the current line. */
static int
stopped(struct differ *d)
{
	if (!sig_pending_term())
		return 0;
	log_warn("terminated after %llu clusters: the run is incomplete",
	    (unsigned long long)d->nread);
	cancel(d);
	return 1;
}

/* Asks the server to abandon the query, if one is running. */
static void
cancel(struct differ *d)
{
	PGcancel *pc;
	char err[256];

	if (d->conn == NULL || PQtransactionStatus(d->conn) != PQTRANS_ACTIVE)
		return;
	if ((pc = PQgetCancel(d->conn)) == NULL)
		return;
	if (!PQcancel(pc, err, sizeof(err)))
		log_debug("unable to cancel the query: %s", err);
	PQfreeCancel(pc);
}

static int
db_row(struct differ *d, const PGresult *res)
{
	struct cand c;

	if (PQnfields(res) != C_NCOLS || PQgetisnull(res, 0, C_REPORT)) {
		log_error("unexpected candidates row");
		d->m[M_READ_ERRORS].value++;
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.org_id = strtoll(PQgetvalue(res, 0, C_ORG), NULL, 10);
	c.account_number = strtoll(PQgetvalue(res, 0, C_ACCOUNT), NULL, 10);
	c.kafka_offset = strtoll(PQgetvalue(res, 0, C_OFFSET), NULL, 10);
	c.cluster = PQgetvalue(res, 0, C_CLUSTER);
	c.cluster_len = (size_t)PQgetlength(res, 0, C_CLUSTER);
	c.updated_at = PQgetvalue(res, 0, C_UPDATED);
	c.report = PQgetvalue(res, 0, C_REPORT);
	c.report_len = (size_t)PQgetlength(res, 0, C_REPORT);
	if (!PQgetisnull(res, 0, C_BASELINE)) {
		c.baseline = PQgetvalue(res, 0, C_BASELINE);
		c.baseline_len = (size_t)PQgetlength(res, 0, C_BASELINE);
		c.baseline_notified_at = PQgetvalue(res, 0, C_BASELINE_AT);
	}
	if (!PQgetisnull(res, 0, C_CLAIM_AT)) {
		c.claim_at = PQgetvalue(res, 0, C_CLAIM_AT);
		c.claim_expired = strcmp(PQgetvalue(res, 0, C_CLAIM_EXPIRED),
		    "t") == 0;
	}
	if (d->conf.dump)
		return dump(d, &c);
	return differ_candidate(d, &c);
}

/*
 * Logs a failed statement (res may be NULL) and returns its exit status:
 * EX_TEMPFAIL for connection trouble and other transient failures,
 * EX_CONFIG for a schema or permission
 * problem, EX_SOFTWARE otherwise.
 */
static int
db_error(struct differ *d, const PGresult *res, const char *what)
{
	const char *state = pg_sqlstate(res), *msg = NULL;
	char err[1024];

	if (res != NULL)
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL) {
		pg_errmsg(d->conn, err, sizeof(err));
		msg = err;
	}
	if (pg_transient(res, d->conn) || strcmp(state, "57014") == 0) {
		log_error("%s: %s", what, msg);
		return EX_TEMPFAIL;
	}
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0) {
		log_error("%s: %s (is the schema migrated? see db-writer "
		    "migrate)", what, msg);
		return EX_CONFIG;
	}
	log_error("%s: %s (SQLSTATE %s)", what, msg, state);
	if (strncmp(state, "42501", 5) == 0 || strncmp(state, "28", 2) == 0 ||
	    strncmp(state, "3D", 2) == 0 || strncmp(state, "3F", 2) == 0)
		return EX_CONFIG;
	return EX_SOFTWARE;
}

/* --dump-candidates: the candidate line of c (proto/lines.md). */
static int
dump(struct differ *d, const struct cand *c)
{
	struct buf *b = &d->line;
	struct lines_candidate lc;

	d->nread++;
	d->m[M_CANDIDATES].value++;
	lc.org_id = c->org_id;
	lc.account_number = c->account_number;
	lc.cluster = c->cluster;
	lc.cluster_len = c->cluster_len;
	lc.updated_at = c->updated_at;
	lc.kafka_offset = c->kafka_offset;
	lc.report = c->report;
	lc.report_len = c->report_len;
	lc.baseline = c->baseline;
	lc.baseline_len = c->baseline_len;
	lc.baseline_notified_at = c->baseline_notified_at;
	buf_reset(b);
	lines_write_candidate(b, &lc);
	return differ_write(d, b->data, b->len);
}

int
differ_run_input(struct differ *d)
{
	const struct differ_conf *cf = &d->conf;
	struct lineio in;
	struct cand c;
	char why[512], *line;
	size_t len;
	unsigned long invalid = 0;
	int fd = cf->input_fd, r, rc = 0;

	lineio_init(&in, fd, LINEIO_DEFAULT_MAX);
	for (;;) {
		if (stopped(d)) {
			rc = EX_TEMPFAIL;
			break;
		}
		r = lineio_next(&in, &line, &len);
		if (r == LINE_AGAIN) {
			if ((rc = wait_input(d, fd)) == 1)
				rc = 0;		/* a signal: see above */
			else if (rc == 0 && lineio_fill(&in) == -1 &&
			    errno != EINTR && errno != EAGAIN) {
				log_error("unable to read %s: %s", cf->input,
				    strerror(errno));
				rc = EX_TEMPFAIL;
			}
			if (rc != 0)
				break;
			continue;
		}
		if (r == LINE_EOF)
			break;
		if (r == LINE_TOOLONG)
			snprintf(why, sizeof(why), "line longer than %zu bytes",
			    in.max);
		if (r == LINE_TOOLONG ||
		    parse_cand(d, line, len, &c, why, sizeof(why)) == -1) {
			log_error("%s: line %lu: invalid candidate line: %s",
			    cf->input, in.lineno, why);
			d->m[M_READ_ERRORS].value++;
			invalid++;
			continue;
		}
		if (!differ_in_shard(cf, c.cluster, c.cluster_len))
			continue;
		if (cf->cooldown == NULL)
			c.baseline = NULL;	/* disabled: no baselines */
		if ((rc = differ_candidate(d, &c)) != 0)
			break;
		differ_progress(d, 0);
	}
	lineio_free(&in);
	differ_progress(d, 1);
	if (rc == 0 && invalid > 0) {
		log_error("%lu invalid candidate lines", invalid);
		rc = EX_DATAERR;
	}
	return rc;
}

/*
 * Waits until fd is readable or a signal arrived, flushing standard output
 * first if it would block.  Returns 0 when fd is readable, 1 when only the
 * signal pipe is, or an exit status.
 */
static int
wait_input(struct differ *d, int fd)
{
	struct pollfd pfd[2];
	int n;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sig_fd();
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	if ((n = poll(pfd, 2, 0)) == 0) {
		if (flush_out(d) != 0)
			return EX_TEMPFAIL;
		n = poll(pfd, 2, -1);
	}
	if (n == -1 && errno != EINTR) {
		log_error("unable to poll: %s", strerror(errno));
		return EX_OSERR;
	}
	if (pfd[1].revents != 0)
		sig_read();
	return pfd[0].revents == 0 ? 1 : 0;
}

/*
 * Reads one candidate line (proto/lines.md, common/lines.c) into c, whose
 * strings point into d->in_str.  Returns 0, or -1 with the reason in why.
 */
static int
parse_cand(struct differ *d, const char *line, size_t len, struct cand *c,
    char *why, size_t whysz)
{
	struct lines_candidate lc;

	memset(c, 0, sizeof(c[0]));
	lc.store = &d->in_str;
	if (lines_read_candidate(line, len, &lc, why, whysz) != LINES_OK)
		return -1;
	c->org_id = lc.org_id;
	c->account_number = lc.account_number;
	c->kafka_offset = lc.kafka_offset;
	c->cluster = lc.cluster;
	c->cluster_len = lc.cluster_len;
	c->updated_at = lc.updated_at;
	c->report = lc.report;
	c->report_len = lc.report_len;
	c->baseline = lc.baseline;
	c->baseline_len = lc.baseline_len;
	c->baseline_notified_at = lc.baseline_notified_at;
	return 0;
}

int
differ_in_shard(const struct differ_conf *cf, const char *s, size_t n)
{
	if (cf->shard_n == 0)
		return 1;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return (differ_hashtext(s, n) & 0x7fffffff) % cf->shard_n ==
	    cf->shard_k;
}

#define ROT(x, k)	(((x) << (k)) | ((x) >> (32 - (k))))
#define MIX(a, b, c) do {						\
	a -= c; a ^= ROT(c, 4); c += b;					\
	b -= a; b ^= ROT(a, 6); a += c;					\
	c -= b; c ^= ROT(b, 8); b += a;					\
	a -= c; a ^= ROT(c, 16); c += b;				\
	b -= a; b ^= ROT(a, 19); a += c;				\
	c -= b; c ^= ROT(b, 4); b += a;					\
} while (0)
#define FINAL(a, b, c) do {						\
	c ^= b; c -= ROT(b, 14);					\
	a ^= c; a -= ROT(c, 11);					\
	b ^= a; b -= ROT(a, 25);					\
	c ^= b; c -= ROT(b, 16);					\
	a ^= c; a -= ROT(c, 4);						\
	b ^= a; b -= ROT(a, 14);					\
	c ^= b; c -= ROT(b, 24);					\
} while (0)
#define LE32(p)	((uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 |		\
		    (uint32_t)(p)[2] << 16 | (uint32_t)(p)[3] << 24)

/*
 * Bob Jenkins' lookup3 hash as PostgreSQL's hash_bytes computes it on a
 * little-endian server, which is what hashtext() returns for text in a
 * deterministic collation.  t3100 checks it against the server.
 */
uint32_t
differ_hashtext(const char *s, size_t n)
{
	const unsigned char *k = (const unsigned char *)s;
	uint32_t a, b, c;
	size_t i;

	a = b = c = 0x9e3779b9u + (uint32_t)n + 3923095u;
	for (; n >= 12; n -= 12, k += 12) {
		a += LE32(k);
		b += LE32(k + 4);
		c += LE32(k + 8);
		MIX(a, b, c);
	}
	/* The last 0 to 11 bytes: 0-3 into a, 4-7 into b, 8-10 into c from
	 * its second byte on (lookup3 keeps c's lowest byte for the length). */
	for (i = 0; i < n; i++) {
		if (i < 4)
			a += (uint32_t)k[i] << (8 * i);
		else if (i < 8)
			b += (uint32_t)k[i] << (8 * (i - 4));
		else
			c += (uint32_t)k[i] << (8 * (i - 7));
	}
	FINAL(a, b, c);
	return c;
}
