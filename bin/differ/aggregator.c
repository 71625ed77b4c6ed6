/*
 * aggregator: the rules users disabled, read once from the aggregator's
 * database (--aggregator-db) and looked up for every report item.
 *
 * Two tables of the aggregator (its schema at migration 32) say what is
 * disabled:
 *
 *	cluster_rule_toggle (cluster_id, rule_id, error_key, disabled, ...)
 *		disabled = 1: for that cluster; rule_id is the component
 *	rule_disable (org_id, rule_id, error_key, ...)
 *		for every cluster of the organisation; rule_id is the module
 *
 * Both are read in one read-only, repeatable-read transaction (one
 * snapshot), through cursors, so that no result holds more than
 * AGG_FETCH rows, and the connection is closed before anything is
 * decided.  Only the columns named above are selected, by name: older
 * schemas have fewer columns, newer ones more.
 *
 * A row matches an item by the short rule name (the last dotted segment
 * of its rule_id or of the item's component, one trailing ".report"
 * removed) and the error key (the item's "key"), so that every spelling
 * of the rule matches.  The (rule, key) pairs that occur are interned
 * once; a row is then 24 bytes: its cluster (a UUID's 16 bytes, or a
 * 128-bit hash of a cluster name that is not a UUID) or its organisation,
 * and its pair, found through an open-addressing index of 32-bit slots
 * (linear probing, at most half full).  A bitmap of 16 bits a row says
 * which clusters and organisations have rows at all (with some false
 * positives), so that the items of the others are not looked up.  A
 * look-up is O(1) and allocates nothing; a million rows take about 32 MB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "differ.h"
#include "exitcodes.h"
#include "log.h"
#include "pg.h"

#define AGG_FETCH	10000	/* rows a FETCH returns at most */
#define AGG_MAX_ROWS	(UINT32_MAX / 4)

enum { K_UUID = 1, K_NAME, K_ORG };

static const char toggles_sql[] =
    "DECLARE agg_toggles NO SCROLL CURSOR FOR SELECT cluster_id, rule_id, "
    "error_key FROM cluster_rule_toggle WHERE disabled = 1";
static const char acks_sql[] =
    "DECLARE agg_acks NO SCROLL CURSOR FOR SELECT org_id, rule_id, "
    "error_key FROM rule_disable";

static int	read_table(struct agg *, PGconn *, const char *, const char *,
		    int, char *, size_t);
static int	add_row(struct agg *, const PGresult *, int, int);
static int64_t	intern(struct agg *, const char *, size_t, const char *,
		    size_t);
static int64_t	find_pair(const struct agg *, uint64_t, const char *, size_t,
		    const char *, size_t);
static int	find_row(const struct agg *, const struct agg_row *);
static void	insert_row(struct agg *, const struct agg_row *);
static void	grow_rows(struct agg *);
static void	grow_pairs(struct agg *);
static void	make_bits(struct agg *);
static size_t	bit_of(const struct agg *, const struct agg_row *);
static void	cluster_key(const struct agg *, const char *, size_t,
		    struct agg_row *);
static uint64_t	hash_str(uint64_t, const char *, size_t);
static uint64_t	hash_row(const struct agg *, const struct agg_row *);
static uint64_t	mix(uint64_t);
static int	uuid_parse(const char *, size_t, uint64_t *, uint64_t *);
static size_t	trim(const char *, size_t);
static void	describe(const char *, PGconn *, char *, size_t);
static int	failed(PGconn *, PGresult *, const char *, char *, size_t);

void
agg_init(struct agg *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->names);
	g->seed = ((uint64_t)arc4random() << 32) | arc4random();
}

void
agg_free(struct agg *g)
{
	buf_free(&g->names);
	free(g->pairs);
	free(g->pslot);
	free(g->rows);
	free(g->rslot);
	free(g->bits);
	memset(g, 0, sizeof(*g));
}

/*
 * Reads both tables of the aggregator's database into g.  Returns 0, or
 * -1 with a sentence in err that names the database and says what failed.
 */
int
agg_load(struct agg *g, const char *conninfo, char *err, size_t errsz)
{
	char why[1024], db[512];
	PGconn *conn;
	PGresult *res;
	int rc = -1;

	if ((conn = pg_connect(conninfo, "ccx-differ-aggregator", why,
	    sizeof(why))) == NULL) {
		describe(conninfo, NULL, db, sizeof(db));
		snprintf(err, errsz, "unable to connect to %s: %s", db, why);
		return -1;
	}
	describe(conninfo, conn, db, sizeof(db));
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		failed(conn, res, "unable to begin a read-only transaction",
		    why, sizeof(why));
		goto out;
	}
	PQclear(res);
	g->on = 1;
	if (read_table(g, conn, toggles_sql, "agg_toggles", AGG_CLUSTER, why,
	    sizeof(why)) == -1 || read_table(g, conn, acks_sql, "agg_acks",
	    AGG_ORG, why, sizeof(why)) == -1)
		goto out;
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		failed(conn, res, "unable to end the transaction", why,
		    sizeof(why));
		goto out;
	}
	PQclear(res);
	make_bits(g);
	rc = 0;
	log_info("disabled rules from %s: %llu cluster toggles, %llu "
	    "organisation acknowledgements, %u rules and keys (%llu rows "
	    "skipped)", db, (unsigned long long)g->ncluster,
	    (unsigned long long)g->norg, g->npairs,
	    (unsigned long long)g->nskipped);
out:
	if (rc == -1)
		snprintf(err, errsz, "unable to read the disabled rules from "
		    "%s: %s", db, why);
	PQfinish(conn);
	return rc;
}

/* One table through its cursor, AGG_FETCH rows at a time. */
static int
read_table(struct agg *g, PGconn *conn, const char *declare,
    const char *cursor, int kind, char *why, size_t whysz)
{
	PGresult *res;
	char sql[64];
	int i, n;

	res = PQexec(conn, declare);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(conn, res, kind == AGG_CLUSTER ?
		    "unable to read cluster_rule_toggle" :
		    "unable to read rule_disable", why, whysz);
	PQclear(res);
	snprintf(sql, sizeof(sql), "FETCH %d FROM %s", AGG_FETCH, cursor);
	do {
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return failed(conn, res, kind == AGG_CLUSTER ?
			    "unable to read cluster_rule_toggle" :
			    "unable to read rule_disable", why, whysz);
		n = PQntuples(res);
		for (i = 0; i < n; i++)
			if (add_row(g, res, i, kind) == -1) {
				PQclear(res);
				snprintf(why, whysz, "more than %u rows",
				    (unsigned)AGG_MAX_ROWS);
				return -1;
			}
		PQclear(res);
	} while (n == AGG_FETCH);
	snprintf(sql, sizeof(sql), "CLOSE %s", cursor);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return failed(conn, res, "unable to close a cursor", why,
		    whysz);
	PQclear(res);
	return 0;
}

/*
 * Row i of res: (cluster_id or org_id, rule_id, error_key).  A row with a
 * null, an empty rule name or an organisation that is not a number can
 * match nothing: it is skipped and counted.  Returns -1 when full.
 */
static int
add_row(struct agg *g, const PGresult *res, int i, int kind)
{
	struct agg_row r;
	const char *who, *rule, *key, *e;
	size_t wn, rs, rn, kn;
	long long org;
	int64_t pair;

	if (PQgetisnull(res, i, 0) || PQgetisnull(res, i, 1) ||
	    PQgetisnull(res, i, 2)) {
		g->nskipped++;
		return 0;
	}
	who = PQgetvalue(res, i, 0);
	wn = trim(who, (size_t)PQgetlength(res, i, 0));
	rule = PQgetvalue(res, i, 1);
	key = PQgetvalue(res, i, 2);
	kn = (size_t)PQgetlength(res, i, 2);
	agg_rule_span(rule, (size_t)PQgetlength(res, i, 1), &rs, &rn);
	memset(&r, 0, sizeof(r));
	if (kind == AGG_ORG) {
		org = strtoll(who, (char **)&e, 10);
		if (rn == 0 || wn == 0 || e != who + wn || org < 0) {
			g->nskipped++;
			return 0;
		}
		r.kind = K_ORG;
		r.a = (uint64_t)org;
	} else if (rn == 0 || wn == 0) {
		g->nskipped++;
		return 0;
	} else
		cluster_key(g, who, wn, &r);
	if ((pair = intern(g, rule + rs, rn, key, kn)) < 0)
		return -1;
	r.pair = (uint32_t)pair;
	if (find_row(g, &r))
		return 0;		/* the same, in another spelling */
	if (g->nrows >= AGG_MAX_ROWS)
		return -1;
	insert_row(g, &r);
	if (kind == AGG_ORG)
		g->norg++;
	else
		g->ncluster++;
	return 0;
}

/*
 * The rule name of a component or rule_id (SPEC 4.4 step 1): without one
 * trailing ".report", the part after the last '.'.  Sets the span
 * [*start, *start + *n) of s.
 */
void
agg_rule_span(const char *s, size_t len, size_t *start, size_t *n)
{
	size_t i;

	if (len >= 7 && memcmp(s + len - 7, ".report", 7) == 0)
		len -= 7;
	for (i = len; i > 0 && s[i - 1] != '.'; i--)
		;
	*start = i;
	*n = len - i;
}

/* The keys of a candidate, and whether rows of each kind may apply. */
void
agg_candidate(const struct agg *g, const char *cluster, size_t n,
    int64_t org, struct agg_cand *c)
{
	size_t b;

	memset(c, 0, sizeof(*c));
	cluster_key(g, cluster, n, &c->cluster);
	c->org.kind = K_ORG;
	c->org.a = (uint64_t)org;
	if (g->bits == NULL)
		return;
	b = bit_of(g, &c->cluster);
	if (g->bits[b / 64] & (uint64_t)1 << (b % 64))
		c->maybe |= AGG_CLUSTER;
	b = bit_of(g, &c->org);
	if (org >= 0 && g->bits[b / 64] & (uint64_t)1 << (b % 64))
		c->maybe |= AGG_ORG;
}

/* The key of a cluster (trailing blanks removed by the caller) in r. */
static void
cluster_key(const struct agg *g, const char *s, size_t n, struct agg_row *r)
{
	if (uuid_parse(s, n, &r->a, &r->b) == 0) {
		r->kind = K_UUID;
		return;
	}
	r->kind = K_NAME;
	r->a = hash_str(g->seed, s, n);
	r->b = hash_str(~g->seed, s, n);
}

/*
 * Which rows disable (rule, key) for the candidate (agg_candidate):
 * AGG_CLUSTER, AGG_ORG, both or 0.
 */
int
agg_disabled(const struct agg *g, const struct agg_cand *c, const char *rule,
    size_t rn, const char *key, size_t kn)
{
	struct agg_row r;
	int64_t pair;
	int dis = 0;

	if (c->maybe == 0 || (pair = find_pair(g, hash_str(g->seed, rule, rn) ^
	    mix(hash_str(g->seed, key, kn)), rule, rn, key, kn)) < 0)
		return 0;
	if (c->maybe & AGG_CLUSTER) {
		r = c->cluster;
		r.pair = (uint32_t)pair;
		if (find_row(g, &r))
			dis |= AGG_CLUSTER;
	}
	if (c->maybe & AGG_ORG) {
		r = c->org;
		r.pair = (uint32_t)pair;
		if (find_row(g, &r))
			dis |= AGG_ORG;
	}
	return dis;
}

/* The index of (rule, key) among the pairs, added if new; -1 when full. */
static int64_t
intern(struct agg *g, const char *rule, size_t rn, const char *key,
    size_t kn)
{
	uint64_t h = hash_str(g->seed, rule, rn) ^ mix(hash_str(g->seed, key,
	    kn));
	struct agg_pair *p;
	int64_t i;
	size_t s;

	if ((i = find_pair(g, h, rule, rn, key, kn)) >= 0)
		return i;
	if (g->npairs >= AGG_MAX_ROWS)
		return -1;
	if (2 * ((size_t)g->npairs + 1) > g->pmask)
		grow_pairs(g);
	if (g->npairs == g->cappairs) {
		s = g->cappairs ? (size_t)g->cappairs * 2 : 64;
		if ((p = reallocarray(g->pairs, s, sizeof(*p))) == NULL)
			log_fatal(EXIT_NOMEM, "out of memory");
		g->pairs = p;
		g->cappairs = (uint32_t)s;
	}
	p = &g->pairs[g->npairs];
	p->h = h;
	p->off = g->names.len;
	p->rn = (uint32_t)rn;
	p->kn = (uint32_t)kn;
	buf_add(&g->names, rule, rn);
	buf_putc(&g->names, '\0');
	buf_add(&g->names, key, kn);
	buf_putc(&g->names, '\0');
	for (s = h & g->pmask; g->pslot[s] != 0; s = (s + 1) & g->pmask)
		;
	g->pslot[s] = ++g->npairs;
	return (int64_t)g->npairs - 1;
}

static int64_t
find_pair(const struct agg *g, uint64_t h, const char *rule, size_t rn,
    const char *key, size_t kn)
{
	const struct agg_pair *p;
	const char *nm;
	size_t s;

	if (g->pslot == NULL)
		return -1;
	for (s = h & g->pmask; g->pslot[s] != 0; s = (s + 1) & g->pmask) {
		p = &g->pairs[g->pslot[s] - 1];
		nm = g->names.data + p->off;
		if (p->h == h && p->rn == rn && p->kn == kn &&
		    memcmp(nm, rule, rn) == 0 &&
		    memcmp(nm + rn + 1, key, kn) == 0)
			return (int64_t)g->pslot[s] - 1;
	}
	return -1;
}

static int
find_row(const struct agg *g, const struct agg_row *r)
{
	const struct agg_row *x;
	size_t s;

	if (g->rslot == NULL)
		return 0;
	for (s = hash_row(g, r) & g->rmask; g->rslot[s] != 0;
	    s = (s + 1) & g->rmask) {
		x = &g->rows[g->rslot[s] - 1];
		if (x->a == r->a && x->b == r->b && x->pair == r->pair &&
		    x->kind == r->kind)
			return 1;
	}
	return 0;
}

static void
insert_row(struct agg *g, const struct agg_row *r)
{
	struct agg_row *v;
	size_t s, cap;

	if (2 * (g->nrows + 1) > g->rmask)
		grow_rows(g);
	if (g->nrows == g->caprows) {
		cap = g->caprows ? g->caprows * 2 : 1024;
		if ((v = reallocarray(g->rows, cap, sizeof(*v))) == NULL)
			log_fatal(EXIT_NOMEM, "out of memory");
		g->rows = v;
		g->caprows = cap;
	}
	g->rows[g->nrows] = *r;
	for (s = hash_row(g, r) & g->rmask; g->rslot[s] != 0;
	    s = (s + 1) & g->rmask)
		;
	g->rslot[s] = (uint32_t)++g->nrows;
}

/* Doubles the row index and places every row again. */
static void
grow_rows(struct agg *g)
{
	size_t n = g->rmask ? (g->rmask + 1) * 2 : 2048, i, s;
	uint32_t *v;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	free(g->rslot);
	g->rslot = v;
	g->rmask = n - 1;
	for (i = 0; i < g->nrows; i++) {
		for (s = hash_row(g, &g->rows[i]) & g->rmask; v[s] != 0;
		    s = (s + 1) & g->rmask)
			;
		v[s] = (uint32_t)i + 1;
	}
}

static void
grow_pairs(struct agg *g)
{
	size_t n = g->pmask ? (g->pmask + 1) * 2 : 128, i, s;
	uint32_t *v;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	free(g->pslot);
	g->pslot = v;
	g->pmask = n - 1;
	for (i = 0; i < g->npairs; i++) {
		for (s = g->pairs[i].h & g->pmask; v[s] != 0;
		    s = (s + 1) & g->pmask)
			;
		v[s] = (uint32_t)i + 1;
	}
}

/*
 * The bitmap: 16 bits a row (at least 1024), one bit set for each row's
 * cluster or organisation, whatever its pair.
 */
static void
make_bits(struct agg *g)
{
	size_t n = 1024, i, b;

	while (n < 16 * g->nrows)
		n *= 2;
	free(g->bits);
	if ((g->bits = calloc(n / 64, sizeof(*g->bits))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	g->bmask = n - 1;
	for (i = 0; i < g->nrows; i++) {
		b = bit_of(g, &g->rows[i]);
		g->bits[b / 64] |= (uint64_t)1 << (b % 64);
	}
}

/* The bit of a row's cluster or organisation (its pair ignored). */
static size_t
bit_of(const struct agg *g, const struct agg_row *r)
{
	return (size_t)(mix(r->a ^ mix(r->b ^ r->kind ^ g->seed)) & g->bmask);
}

/* FNV-1a from a per-run seed, then mixed. */
static uint64_t
hash_str(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return mix(h ^ n);
}

static uint64_t
hash_row(const struct agg *g, const struct agg_row *r)
{
	return mix(r->a ^ g->seed) ^ mix(r->b + ((uint64_t)r->pair << 8 |
	    r->kind));
}

/* The finaliser of SplitMix64. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A UUID, 8-4-4-4-12 hex digits of either case, into two halves. */
static int
uuid_parse(const char *s, size_t n, uint64_t *a, uint64_t *b)
{
	uint64_t v[2] = { 0, 0 };
	size_t i, k = 0;
	int x;

	if (n != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if (s[i] >= '0' && s[i] <= '9')
			x = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			x = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			x = s[i] - 'A' + 10;
		else
			return -1;
		v[k / 16] = v[k / 16] << 4 | (uint64_t)x;
		k++;
	}
	*a = v[0];
	*b = v[1];
	return 0;
}

/* The length without trailing blanks. */
static size_t
trim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/*
 * Names the database for messages, never with its password: what the
 * connection says once connected, else what the conninfo (or libpq's
 * defaults) names.
 */
static void
describe(const char *conninfo, PGconn *conn, char *out, size_t outsz)
{
	PQconninfoOption *opts = NULL, *o;
	const char *db = NULL, *host = NULL, *port = NULL;
	char *perr = NULL;

	if (conn != NULL) {
		db = PQdb(conn);
		host = PQhost(conn);
		port = PQport(conn);
	} else if ((opts = PQconninfoParse(conninfo != NULL ? conninfo : "",
	    &perr)) != NULL) {
		for (o = opts; o->keyword != NULL; o++) {
			if (o->val == NULL || *o->val == '\0')
				continue;
			if (strcmp(o->keyword, "dbname") == 0)
				db = o->val;
			else if (strcmp(o->keyword, "host") == 0)
				host = o->val;
			else if (strcmp(o->keyword, "port") == 0)
				port = o->val;
		}
	}
	PQfreemem(perr);
	if (db == NULL && (db = getenv("PGDATABASE")) == NULL)
		db = "";
	/* A dbname may be a connection string itself: never show it. */
	if (strchr(db, '=') != NULL || strstr(db, "://") != NULL)
		db = "";
	snprintf(out, outsz, "the aggregator database%s%s%s%s%s%s%s",
	    *db != '\0' ? " \"" : "", db, *db != '\0' ? "\"" : "",
	    host != NULL && *host != '\0' ? " on " : "",
	    host != NULL ? host : "",
	    port != NULL && *port != '\0' ? " port " : "",
	    port != NULL ? port : "");
	if (opts != NULL)
		PQconninfoFree(opts);
}

/* A failed statement: what, and the server's words, in why; -1. */
static int
failed(PGconn *conn, PGresult *res, const char *what, char *why,
    size_t whysz)
{
	const char *state = pg_sqlstate(res), *msg;
	char err[512];

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (msg == NULL) {
		pg_errmsg(conn, err, sizeof(err));
		msg = err;
	}
	if (strcmp(state, "42P01") == 0)
		snprintf(why, whysz, "%s: %s (is it the aggregator's "
		    "database, migrated?)", what, msg);
	else if (*state != '\0')
		snprintf(why, whysz, "%s: %s (SQLSTATE %s)", what, msg, state);
	else
		snprintf(why, whysz, "%s: %s", what, msg);
	PQclear(res);
	return -1;
}
