/*
 * outbox: the run lock of a target and the claims of its decisions.
 *
 * At most one run per target decides at a time: a session advisory lock
 * of the target, taken on a connection of its own before the candidates
 * are read and held until differ exits.  Each decision that will send
 * something is claimed first: a row in notification_outbox, committed
 * before its line leaves differ.  db-writer -r deletes the claim in the
 * transaction that records the outcome.  A claim that is still there tells
 * the next run "a message may be on its way, its outcome is not recorded
 * yet": that cluster is skipped until the outcome is recorded, or until the
 * claim is older than --claim-expiry (then it is decided again, and a
 * warning says that it may be sent twice).
 *
 * The lines of a batch (with or without a claim) are held in order until
 * the batch's claims commit, then written together; a batch is at most
 * OUTBOX_BATCH claims, OUTBOX_DELAY_MS old or OUTBOX_BYTES of lines.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "differ.h"
#include "log.h"
#include "pg.h"
#include "sig.h"
#include "timeutil.h"

#define OUTBOX_BATCH	1000
#define OUTBOX_DELAY_MS	100
#define OUTBOX_BYTES	(8 << 20)
#define LOCK_CLASS	7242612		/* names our run locks */
#define LOCK_POLL_MS	500

static const char insert_sql[] =
    "INSERT INTO notification_outbox (event_type_id, org_id, cluster, "
    "updated_at, notified_at) SELECT $1::integer, u.* FROM unnest("
    "$2::integer[], $3::bpchar[], $4::timestamp[], $5::timestamp[]) "
    "AS u(org, cluster, upd, notified) ON CONFLICT DO NOTHING RETURNING org_id, rtrim(cluster)";

/* An expired claim is taken over only while it is still the one seen. */
static const char takeover_sql[] =
    "UPDATE notification_outbox o SET updated_at = u.upd, notified_at = "
    "u.notified, claimed_at = now() AT TIME ZONE 'UTC' FROM unnest("
    "$2::integer[], $3::bpchar[], $4::timestamp[], $5::timestamp[], "
    "$6::timestamp[]) AS u(org, cluster, upd, notified, prev) "
    "WHERE o.event_type_id = $1::integer AND o.org_id = u.org AND "
    "o.cluster = u.cluster AND o.notified_at = u.prev "
    "RETURNING o.org_id, rtrim(o.cluster)";

static int	lock_target(struct differ *);
static void	log_holder(struct differ *);
static long long shard_key(const struct differ *);
static int	claim(struct differ *, struct buf *);
static int	run_claims(struct differ *, const char *, int, struct buf *);
static int	failed(struct differ *, PGresult *, const char *);
static void	reset(struct outbox *);
static void	each_buf(struct outbox *, void (*)(struct buf *));
static int	cmp_key(const void *, const void *);

/*
 * Opens the claims connection, takes the target's run lock (waiting for it
 * with --wait) and checks that the schema has the outbox.  Returns 0 or
 * an exit status (logged).
 */
int
outbox_open(struct differ *d)
{
	struct outbox *o = &d->outbox;
	PGresult *res;
	char err[1024];
	int rc, perm;

	if ((o->conn = pg_connect_perm(d->conf.conninfo, "ccx-differ-lock",
	    &perm, err, sizeof(err))) == NULL) {
		log_error("unable to connect to the database: %s", err);
		return perm ? EX_CONFIG : EX_TEMPFAIL;
	}
	res = PQexec(o->conn, "SELECT to_regclass('notification_outbox') IS "
	    "NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return failed(d, res, "unable to look for notification_outbox");
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!rc) {
		log_error("the database has no table notification_outbox "
		    "(schema older than version 11): run db-writer migrate "
		    "latest");
		return EX_CONFIG;
	}
	if ((rc = lock_target(d)) != 0)
		return rc;
	each_buf(o, buf_init);
	return 0;
}

/* The session advisory lock (LOCK_CLASS, target). */
static int
lock_target(struct differ *d)
{
	struct outbox *o = &d->outbox;
	struct pollfd pfd;
	PGresult *res;
	char sql[256];
	int got, waited = 0;

	if (d->conf.shard_n == 0)
		snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d, %d)",
		    LOCK_CLASS, d->conf.target);
	else
		/* A shard: the target shared, its own shard alone (and the
		 * shared lock let go again when the shard's is not free). */
		snprintf(sql, sizeof(sql), "SELECT CASE WHEN "
		    "pg_try_advisory_lock_shared(%d, %d) THEN CASE WHEN "
		    "pg_try_advisory_lock(%lld) THEN true ELSE NOT "
		    "pg_advisory_unlock_shared(%d, %d) END ELSE false END",
		    LOCK_CLASS, d->conf.target, shard_key(d), LOCK_CLASS,
		    d->conf.target);
	for (;;) {
		res = PQexec(o->conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return failed(d, res, "unable to take the run lock");
		got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got)
			break;
		if (!d->conf.wait_lock) {
			log_holder(d);
			log_error("another run for target %s is in progress "
			    "(it holds the run lock); this run exits without "
			    "deciding anything (use --wait to wait for it)",
			    d->conf.target_name);
			return EX_TEMPFAIL;
		}
		if (!waited++) {
			log_holder(d);
			log_info("another run for target %s is in progress; "
			    "waiting for it to finish", d->conf.target_name);
		}
		pfd.fd = sig_fd();
		pfd.events = POLLIN;
		if (poll(&pfd, 1, LOCK_POLL_MS) > 0)
			sig_read();
		if (sig_pending_term()) {
			log_warn("terminated while waiting for the run lock");
			return EX_TEMPFAIL;
		}
	}
	if (waited)
		log_info("the other run finished; this run goes on");
	log_debug("run lock of target %s taken", d->conf.target_name);
	return 0;
}

/*
 * The lock of one shard of a target: a bigint key of its own (marker
 * byte, target, n, k), apart from the two-key lock of the target.
 */
static long long
shard_key(const struct differ *d)
{
	return (long long)((0x43ull << 56) | ((unsigned long long)
	    d->conf.target << 48) | ((unsigned long long)d->conf.shard_n <<
	    24) | d->conf.shard_k);
}

/* Says which backend holds the lock, as far as this role may see. */
static void
log_holder(struct differ *d)
{
	PGresult *res;
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT l.pid, coalesce(host(a.client_addr),"
	    " 'local'), coalesce(a.application_name, ''), coalesce(to_char("
	    "a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
	    "'?') FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = "
	    "l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid "
	    "= %d AND l.objid = %d AND l.objsubid = 2", LOCK_CLASS,
	    d->conf.target);
	res = PQexec(d->outbox.conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		log_warn("the run lock of target %s is held by PostgreSQL "
		    "backend %s (client %s, application \"%s\", connected %s "
		    "UTC)", d->conf.target_name, PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
		    PQgetvalue(res, 0, 3));
	PQclear(res);
}

/*
 * Holds the decision line in d->line: with a claim when it will send
 * something.  Lines go out at once while no claim is pending; otherwise
 * in order after the pending claims commit.  Returns 0 or an exit status.
 */
int
outbox_hold(struct differ *d, const struct cand *c, int64_t now, int claimed)
{
	struct outbox *o = &d->outbox;
	struct held *h;
	char ts[40], num[24];
	struct buf *col = c->claim_at != NULL ? o->tcol : o->col;

	if (!claimed && o->nheld == 0)
		return differ_write(d, d->line.data, d->line.len);
	if (o->nheld == o->capheld) {
		size_t n = o->capheld ? o->capheld * 2 : 256;
		struct held *v = reallocarray(o->held, n, sizeof(*v));

		if (v == NULL)
			log_fatal(EX_OSERR, "out of memory");
		o->held = v;
		o->capheld = n;
	}
	if (o->nheld == 0)
		o->first_ms = time_mono_ms();
	h = &o->held[o->nheld++];
	h->off = o->lines.len;
	h->len = d->line.len;
	h->key = claimed ? o->keys.len : (size_t)-1;
	buf_add(&o->lines, d->line.data, d->line.len);
	if (claimed) {
		size_t cl = c->cluster_len;

		while (cl > 0 && c->cluster[cl - 1] == ' ')
			cl--;		/* character(36) pads; claims trim */
		buf_printf(&o->keys, "%lld ", (long long)c->org_id);
		buf_add(&o->keys, c->cluster, cl);
		buf_putc(&o->keys, '\0');
		snprintf(num, sizeof(num), "%lld", (long long)c->org_id);
		buf_arr_raw(&col[0], num);
		buf_arr_str(&col[1], c->cluster, c->cluster_len);
		buf_arr_str(&col[2], c->updated_at, strlen(c->updated_at));
		time_fmt_pg(now, ts, sizeof(ts));
		buf_arr_str(&col[3], ts, strlen(ts));
		if (c->claim_at != NULL) {
			buf_arr_str(&col[4], c->claim_at, strlen(c->claim_at));
			o->ntake++;
		} else
			o->nfresh++;
	}
	if (o->nfresh + o->ntake >= OUTBOX_BATCH ||
	    o->lines.len >= OUTBOX_BYTES)
		return outbox_flush(d);
	return 0;
}

/*
 * Every line differ writes goes out here: decisions (through outbox_hold
 * or straight), candidate dumps and explanations.
 */
int
differ_write(struct differ *d, const char *s, size_t n)
{
	if (d->out_failed)
		return EX_TEMPFAIL;
	if (fwrite(s, 1, n, stdout) != n || ferror(stdout)) {
		log_error("unable to write stdout: %s", strerror(errno));
		d->out_failed = 1;
		return EX_TEMPFAIL;
	}
	d->m[M_DECISIONS].value++;
	return 0;
}

/* Flushes the held lines when the oldest has waited long enough. */
int
outbox_tick(struct differ *d)
{
	struct outbox *o = &d->outbox;

	if (o->conn == NULL || o->nheld == 0 ||
	    time_mono_ms() - o->first_ms < OUTBOX_DELAY_MS)
		return 0;
	return outbox_flush(d);
}

/*
 * Commits the pending claims, then writes the held lines; a line whose
 * claim was not granted (another run claimed the cluster meanwhile, or an
 * expired claim was resolved meanwhile) is dropped with a warning.
 */
int
outbox_flush(struct differ *d)
{
	struct outbox *o = &d->outbox;
	struct buf got;
	const char **keys = NULL;
	size_t i, n = 0;
	int rc = 0;
	const char *k;

	if (o->conn == NULL || o->nheld == 0)
		return 0;
	buf_init(&got);
	if (o->nfresh + o->ntake > 0) {
		if ((rc = claim(d, &got)) != 0)
			goto out;
		for (k = got.data; k < got.data + got.len; k += strlen(k) + 1)
			n++;
	}
	if (n < o->nfresh + o->ntake) {
		if ((keys = reallocarray(NULL, n + 1, sizeof(*keys))) == NULL)
			log_fatal(EX_OSERR, "out of memory");
		n = 0;
		for (k = got.data; k < got.data + got.len; k += strlen(k) + 1)
			keys[n++] = k;
		qsort(keys, n, sizeof(*keys), cmp_key);
	}
	for (i = 0; i < o->nheld && rc == 0; i++) {
		const struct held *h = &o->held[i];

		k = h->key == (size_t)-1 ? NULL : o->keys.data + h->key;
		if (k != NULL && keys != NULL &&
		    bsearch(&k, keys, n, sizeof(*keys), cmp_key) == NULL) {
			log_warn("cluster (org, id) %s: another run claimed "
			    "it, or recorded its outcome, while this run "
			    "decided; not sent by this run", k);
			d->m[M_IN_FLIGHT].value++;
			continue;
		}
		rc = differ_write(d, o->lines.data + h->off, h->len);
	}
out:
	free(keys);
	buf_free(&got);
	reset(o);
	return rc;
}

/* One transaction: takeovers, then fresh claims; the granted keys ("org
 * cluster", NUL-separated) into got. */
static int
claim(struct differ *d, struct buf *got)
{
	struct outbox *o = &d->outbox;
	PGresult *res;
	int rc = 0;

	res = PQexec(o->conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(d, res, "unable to claim decisions");
	PQclear(res);
	if (o->ntake > 0)
		rc = run_claims(d, takeover_sql, 1, got);
	if (rc == 0 && o->nfresh > 0)
		rc = run_claims(d, insert_sql, 0, got);
	if (rc != 0) {
		PQclear(PQexec(o->conn, "ROLLBACK"));
		return rc;
	}
	res = PQexec(o->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(d, res, "unable to commit the claims");
	PQclear(res);
	return 0;
}

static int
run_claims(struct differ *d, const char *sql, int take, struct buf *got)
{
	struct outbox *o = &d->outbox;
	struct buf *col = take ? o->tcol : o->col;
	const char *pv[6];
	char tnum[16];
	PGresult *res;
	int i, np = take ? 6 : 5;

	snprintf(tnum, sizeof(tnum), "%d", d->conf.target);
	pv[0] = tnum;
	for (i = 1; i < np; i++) {
		buf_arr_end(&col[i - 1]);
		pv[i] = col[i - 1].data;
	}
	res = PQexecParams(o->conn, sql, np, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return failed(d, res, take ? "unable to take over expired "
		    "claims" : "unable to claim decisions");
	for (i = 0; i < PQntuples(res); i++) {
		buf_puts(got, PQgetvalue(res, i, 0));
		buf_putc(got, ' ');
		buf_puts(got, PQgetvalue(res, i, 1));
		buf_putc(got, '\0');
	}
	PQclear(res);
	return 0;
}

/*
 * A statement on the claims connection failed: nothing of the batch was
 * sent.  A missing schema is EX_CONFIG; anything else (an outage, a
 * read-only server, a revoked privilege, a trigger) fails this run only.
 */
static int
failed(struct differ *d, PGresult *res, const char *what)
{
	char err[1024], state[6];

	/* The SQLSTATE lives in res: copied before res goes. */
	snprintf(state, sizeof(state), "%s", pg_sqlstate(res));
	pg_errmsg(d->outbox.conn, err, sizeof(err));
	PQclear(res);
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0) {
		log_error("%s: %s (is the schema migrated? see db-writer "
		    "migrate)", what, err);
		return EX_CONFIG;
	}
	log_error("%s: %s%s%s%s; nothing of it was sent", what, err,
	    *state != '\0' ? " (SQLSTATE " : "", state,
	    *state != '\0' ? ")" : "");
	return EX_TEMPFAIL;
}

static void
reset(struct outbox *o)
{
	each_buf(o, buf_reset);
	o->nheld = o->nfresh = o->ntake = 0;
}

/* fn on every buffer of the outbox. */
static void
each_buf(struct outbox *o, void (*fn)(struct buf *))
{
	size_t i;

	for (i = 0; i < sizeof(o->col) / sizeof(o->col[0]); i++)
		fn(&o->col[i]);
	for (i = 0; i < sizeof(o->tcol) / sizeof(o->tcol[0]); i++)
		fn(&o->tcol[i]);
	fn(&o->lines);
	fn(&o->keys);
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
outbox_close(struct differ *d)
{
	struct outbox *o = &d->outbox;

	if (o->conn == NULL)
		return;
	PQfinish(o->conn);		/* releases the run lock */
	o->conn = NULL;
	each_buf(o, buf_free);
	free(o->held);
	o->held = NULL;
}
