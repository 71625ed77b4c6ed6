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
 * once, and so are the clusters (a UUID's 16 bytes, or a 128-bit hash of
 * a cluster name that is not a UUID) and organisations that rows name:
 * each holds the list of its pairs, 4 bytes a row.  A candidate costs a
 * bit of a bitmap (16 bits for each cluster and organisation, with some
 * false positives) and, when that is set, one look-up in an open-
 * addressing index of 32-bit slots (linear probing, at most half full);
 * its items then cost a look-up of their pair (a small table) and a scan
 * of the candidate's short lists.  Nothing is allocated per item; the
 * lists of a million rows take about 4 MB, and their clusters and
 * organisations 40 bytes each.
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
static void	finish(struct agg *);
static int64_t	intern(struct agg *, const char *, size_t, const char *,
		    size_t);
static int64_t	find_pair(const struct agg *, uint64_t, const char *, size_t,
		    const char *, size_t);
static int64_t	find_ent(const struct agg *, const struct agg_key *);
static int64_t	add_ent(struct agg *, const struct agg_key *);
static void	grow_index(struct agg *, uint32_t **, size_t *, size_t,
		    size_t, uint64_t (*)(const struct agg *, size_t));
static size_t	free_slot(const uint32_t *, size_t, uint64_t);
static uint64_t	ent_hash(const struct agg *, size_t);
static uint64_t	pair_hash(const struct agg *, size_t);
static void	make_bits(struct agg *);
static int	has_bit(const struct agg *, const struct agg_key *);
static void	cluster_key(const struct agg *, const char *, size_t,
		    struct agg_key *);
static void	sort_u32(uint32_t *, size_t);
static uint64_t	hash_str(uint64_t, const char *, size_t);
static uint64_t	hash_key(const struct agg *, const struct agg_key *);
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
	free(g->ents);
	free(g->eslot);
	free(g->links);
	free(g->plist);
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
	finish(g);
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
	struct agg_link *l;
	struct agg_key k;
	const char *who, *rule, *key, *e;
	size_t wn, rs, rn, kn;
	long long org;
	int64_t pair, ent;

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
	memset(&k, 0, sizeof(k));
	if (kind == AGG_ORG) {
		org = strtoll(who, (char **)&e, 10);
		if (rn == 0 || wn == 0 || e != who + wn || org < 0) {
			g->nskipped++;
			return 0;
		}
		k.kind = K_ORG;
		k.a = (uint64_t)org;
	} else if (rn == 0 || wn == 0) {
		g->nskipped++;
		return 0;
	} else
		cluster_key(g, who, wn, &k);
	if (g->nlinks >= AGG_MAX_ROWS ||
	    (pair = intern(g, rule + rs, rn, key, kn)) < 0 ||
	    (ent = add_ent(g, &k)) < 0)
		return -1;
	if (g->nlinks == g->caplinks)
		g->links = buf_grow_array(g->links, &g->caplinks, 1024,
		    sizeof(*l));
	l = &g->links[g->nlinks++];
	l->ent = (uint32_t)ent;
	l->pair = (uint32_t)pair;
	g->ents[ent].n++;
	return 0;
}

/*
 * After the last row: the pairs of each cluster and organisation, in
 * order and each once (a row may come in several spellings), in one
 * array; the rows as read are dropped.  Then the bitmap.
 */
static void
finish(struct agg *g)
{
	struct agg_ent *e;
	size_t i, j, off = 0, w = 0, start;

	for (i = 0; i < g->nents; i++) {
		g->ents[i].off = (uint32_t)off;
		off += g->ents[i].n;
		g->ents[i].n = 0;
	}
	if (off > 0 && (g->plist = reallocarray(NULL, off,
	    sizeof(*g->plist))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	for (i = 0; i < g->nlinks; i++) {
		e = &g->ents[g->links[i].ent];
		g->plist[e->off + e->n++] = g->links[i].pair;
	}
	free(g->links);
	g->links = NULL;
	g->nlinks = g->caplinks = 0;
	for (i = 0; i < g->nents; i++) {
		e = &g->ents[i];
		start = w;
		sort_u32(g->plist + e->off, e->n);
		for (j = 0; j < e->n; j++)
			if (j == 0 || g->plist[e->off + j] !=
			    g->plist[e->off + j - 1])
				g->plist[w++] = g->plist[e->off + j];
		e->off = (uint32_t)start;
		e->n = (uint32_t)(w - start);
		if (e->key.kind == K_ORG)
			g->norg += e->n;
		else
			g->ncluster += e->n;
	}
	g->nplist = w;
	make_bits(g);
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

/*
 * The candidate's cluster (trailing blanks removed by the caller) and
 * organisation: the pairs disabled for each.
 */
void
agg_candidate(const struct agg *g, const char *cluster, size_t n,
    int64_t org, struct agg_cand *c)
{
	const struct agg_ent *e;
	struct agg_key k;
	int64_t i;

	memset(c, 0, sizeof(*c));
	if (g->nents == 0)
		return;
	cluster_key(g, cluster, n, &k);
	if (has_bit(g, &k) && (i = find_ent(g, &k)) >= 0) {
		e = &g->ents[i];
		c->cp = g->plist + e->off;
		c->cn = e->n;
	}
	memset(&k, 0, sizeof(k));
	k.kind = K_ORG;
	k.a = (uint64_t)org;
	if (org >= 0 && has_bit(g, &k) && (i = find_ent(g, &k)) >= 0) {
		e = &g->ents[i];
		c->op = g->plist + e->off;
		c->on = e->n;
	}
	c->maybe = (c->cn > 0 ? AGG_CLUSTER : 0) | (c->on > 0 ? AGG_ORG : 0);
}

/* The key of a cluster name (without trailing blanks). */
static void
cluster_key(const struct agg *g, const char *s, size_t n, struct agg_key *k)
{
	if (uuid_parse(s, n, &k->a, &k->b) == 0) {
		k->kind = K_UUID;
		return;
	}
	k->kind = K_NAME;
	k->a = hash_str(g->seed, s, n);
	k->b = hash_str(~g->seed, s, n);
}

/*
 * Which rows disable (rule, key) for the candidate (agg_candidate):
 * AGG_CLUSTER, AGG_ORG, both or 0.
 */
int
agg_disabled(const struct agg *g, const struct agg_cand *c, const char *rule,
    size_t rn, const char *key, size_t kn)
{
	int64_t pair;
	uint32_t i;
	int dis = 0;

	if (c->maybe == 0 || (pair = find_pair(g, hash_str(g->seed, rule, rn) ^
	    mix(hash_str(g->seed, key, kn)), rule, rn, key, kn)) < 0)
		return 0;
	for (i = 0; i < c->cn && c->cp[i] <= (uint32_t)pair; i++)
		if (c->cp[i] == (uint32_t)pair)
			dis |= AGG_CLUSTER;
	for (i = 0; i < c->on && c->op[i] <= (uint32_t)pair; i++)
		if (c->op[i] == (uint32_t)pair)
			dis |= AGG_ORG;
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

	if ((i = find_pair(g, h, rule, rn, key, kn)) >= 0)
		return i;
	if (g->npairs >= AGG_MAX_ROWS)
		return -1;
	if (2 * ((size_t)g->npairs + 1) > g->pmask)
		grow_index(g, &g->pslot, &g->pmask, 128, g->npairs, pair_hash);
	if (g->npairs == g->cappairs)
		g->pairs = buf_grow_array(g->pairs, &g->cappairs, 64,
		    sizeof(*p));
	p = &g->pairs[g->npairs];
	p->h = h;
	p->off = g->names.len;
	p->rn = (uint32_t)rn;
	p->kn = (uint32_t)kn;
	buf_add(&g->names, rule, rn);
	buf_putc(&g->names, '\0');
	buf_add(&g->names, key, kn);
	buf_putc(&g->names, '\0');
	g->pslot[free_slot(g->pslot, g->pmask, h)] = ++g->npairs;
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

/* The index of a cluster or organisation that rows name, or -1. */
static int64_t
find_ent(const struct agg *g, const struct agg_key *k)
{
	const struct agg_key *x;
	size_t s;

	if (g->eslot == NULL)
		return -1;
	for (s = hash_key(g, k) & g->emask; g->eslot[s] != 0;
	    s = (s + 1) & g->emask) {
		x = &g->ents[g->eslot[s] - 1].key;
		if (x->a == k->a && x->b == k->b && x->kind == k->kind)
			return (int64_t)g->eslot[s] - 1;
	}
	return -1;
}

/* The index of the cluster or organisation, added if new; -1 when full. */
static int64_t
add_ent(struct agg *g, const struct agg_key *k)
{
	struct agg_ent *v;
	int64_t i;

	if ((i = find_ent(g, k)) >= 0)
		return i;
	if (g->nents >= AGG_MAX_ROWS)
		return -1;
	if (2 * (g->nents + 1) > g->emask)
		grow_index(g, &g->eslot, &g->emask, 2048, g->nents, ent_hash);
	if (g->nents == g->capents)
		g->ents = buf_grow_array(g->ents, &g->capents, 1024,
		    sizeof(*v));
	v = &g->ents[g->nents];
	memset(v, 0, sizeof(*v));
	v->key = *k;
	g->eslot[free_slot(g->eslot, g->emask, hash_key(g, k))] =
	    (uint32_t)++g->nents;
	return (int64_t)g->nents - 1;
}

/*
 * Doubles an index (of first slots at first) and fills it again with the
 * n elements whose hashes hash(g, i) gives.
 */
static void
grow_index(struct agg *g, uint32_t **slot, size_t *mask, size_t first,
    size_t n, uint64_t (*hash)(const struct agg *, size_t))
{
	size_t size = *mask ? (*mask + 1) * 2 : first, i;
	uint32_t *v;

	if ((v = calloc(size, sizeof(*v))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	free(*slot);
	*slot = v;
	*mask = size - 1;
	for (i = 0; i < n; i++)
		v[free_slot(v, *mask, hash(g, i))] = (uint32_t)i + 1;
}

/* The empty slot of an index where the probe for hash h ends. */
static size_t
free_slot(const uint32_t *slot, size_t mask, uint64_t h)
{
	size_t s;

	for (s = h & mask; slot[s] != 0; s = (s + 1) & mask)
		;
	return s;
}

static uint64_t
ent_hash(const struct agg *g, size_t i)
{
	return hash_key(g, &g->ents[i].key);
}

static uint64_t
pair_hash(const struct agg *g, size_t i)
{
	return g->pairs[i].h;
}

/*
 * The bitmap: 16 bits for each cluster and organisation (at least 1024),
 * one of them set for each.
 */
static void
make_bits(struct agg *g)
{
	size_t n = 1024, i, b;

	while (n < 16 * g->nents)
		n *= 2;
	if ((g->bits = calloc(n / 64, sizeof(*g->bits))) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	g->bmask = n - 1;
	for (i = 0; i < g->nents; i++) {
		b = (size_t)(mix(hash_key(g, &g->ents[i].key)) & g->bmask);
		g->bits[b / 64] |= (uint64_t)1 << (b % 64);
	}
}

/* Whether rows may name k: its bit is set. */
static int
has_bit(const struct agg *g, const struct agg_key *k)
{
	size_t b = (size_t)(mix(hash_key(g, k)) & g->bmask);

	return (g->bits[b / 64] >> (b % 64)) & 1;
}

/* A few elements at most, in place. */
static void
sort_u32(uint32_t *v, size_t n)
{
	size_t i, j;
	uint32_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Eight bytes at a time from a per-run seed, then mixed. */
static uint64_t
hash_str(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL), w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	return mix(h ^ w);
}

static uint64_t
hash_key(const struct agg *g, const struct agg_key *k)
{
	return mix(k->a ^ g->seed) ^ mix(k->b + k->kind);
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
	static const unsigned char pos[32] = {
		0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17,
		19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35
	};
	uint64_t v[2] = { 0, 0 };
	size_t k;
	int x, bad = 0;

	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-')
		return -1;
	for (k = 0; k < 32; k++) {
		x = utf8_xdigit((unsigned char)s[pos[k]]);
		bad |= x;
		v[k / 16] = v[k / 16] << 4 | (uint64_t)(x & 15);
	}
	if (bad < 0)
		return -1;
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
