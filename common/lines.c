/*
 * lines: the line types of proto/, written and read in one place (see
 * lines.h).
 *
 * The jscan readers walk the members of the top-level object once, in
 * whatever order they come; a string is unescaped only when it has an
 * escape (else it points into the line) and a number is read from its
 * text, so that nothing is clamped or rounded.  The first member error
 * is kept while the scan goes on, because a syntax error further on
 * outranks it.  The json-c readers check the same things on json-c's
 * tree, with an exact reading of its integers.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "jscan.h"
#include "lines.h"
#include "log.h"
#include "timeutil.h"

#define JSON_OUT	(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)
#define EXCERPT_MAX	48	/* bytes of a value quoted in an error */

/* A string member as read: in the line (p) or in the store (off). */
struct sref {
	const char	*p;
	size_t		 off;
	size_t		 len;
	int		 set;
};

static int	target_id(const char *);
static void	flush_surrogate(struct json_tokener *);
static int	fail(char *, size_t, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	err_missing(char *, size_t, const char *);
static int	err_type(char *, size_t, const char *, const char *,
		    const char *);
static int	err_range(char *, size_t, const char *, const char *, size_t,
		    int64_t, int64_t);
static void	excerpt(char *, size_t, const char *, size_t);
static int	lookup(const struct jspan *, const char *const *, int);
static int	scan_open(struct jscan *, const char *, size_t, char *,
		    size_t);
static int	scan_end(struct jscan *, int, char *, size_t);
static int	next_member(struct jscan *, const char *const *, int,
		    struct jspan *, int *);
static int	scan_finish(struct jscan *, int, int, unsigned,
		    const char *const *, int, char *, size_t);
static int	scan_members(const char *, size_t, const char *const *, int,
		    int, int (*)(void *, int, const struct jspan *, char *,
		    size_t), void *, char *, size_t);
static int	span_int(const struct jspan *, const char *, int64_t, int64_t,
		    int64_t *, char *, size_t);
static int	span_str(const struct jspan *, const char *, struct buf *, int,
		    struct sref *, char *, size_t);
static const char *sref_ptr(const struct buf *, const struct sref *);
static void	unescape(struct buf *, const struct jspan *);
static int	span_topic(const struct jspan *, struct buf *, struct sref *,
		    char *, size_t);
static int	record_scan(const char *, size_t, struct lines_record *, int,
		    char *, size_t);
static int	record_value(struct lines_record *, const struct jspan *,
		    char *, size_t);
static int	span_b64(const struct jspan *, struct buf *, struct sref *);
static int	span_time(const char *, const char *, size_t, char *, size_t);
static int	scan_ack(const char *, size_t, struct lines_ack *, int, char *,
		    size_t);
static int	ack_member(void *, int, const struct jspan *, char *, size_t);
static int	deadletter_member(void *, int, const struct jspan *, char *,
		    size_t);
static int	candidate_member(void *, int, const struct jspan *, char *,
		    size_t);
static void	put_str_member(struct buf *, const char *, const char *,
		    size_t);
static void	put_int_member(struct buf *, const char *, int64_t);
static void	put_identity(struct buf *, const char *, size_t, int64_t,
		    int64_t);
static void	put_common(struct buf *, const char *, int64_t, int64_t,
		    const char *, size_t, const char *, const char *);
static long	int_overflow(const char *, size_t, int);
static int	not_passed(const char *);
static const char *jc_what(struct json_object *, char *, size_t);
static int	jc_int(struct json_object *, const char *, int64_t, int64_t,
		    int64_t *, char *, size_t);
static int	jc_str(struct json_object *, const char *, const char **,
		    size_t *, char *, size_t);
static int	jc_parse(struct json_tokener *, const char *, size_t,
		    struct json_object **, char *, size_t);
static void	decision_reset(struct lines_decision *);
static int	decision_quick(const char *, size_t, struct lines_decision *);
static int	quick_member(struct lines_decision *, const struct jspan *,
		    const struct jspan *);
static void	quick_pass(struct lines_decision *, const struct jspan *,
		    const struct jspan *);
static int	decision_member(struct lines_decision *, const char *,
		    struct json_object *, char *, size_t);
static int	decision_issues(struct lines_decision *, struct json_object *,
		    char *, size_t);
static int	decision_issue(struct lines_issue *, size_t,
		    struct json_object *, char *, size_t);
static int	outcome_member(struct lines_outcome *, const char *,
		    struct json_object *, char *, size_t);
static int	outcome_drop(struct lines_outcome *, const char *,
		    struct json_object *,
		    char *, size_t);

static const char *const targets[] = {
	NULL, "notifications-backend", "service-log"
};
static const char *const statuses[] = {
	"stored", "duplicate", "dead_letter"
};
static const char *const states[] = {
	NULL, "sent", "same", "error", "read_error", "invalid"
};

const char *
lines_target_name(int id)
{
	return id == LINES_TARGET_NB || id == LINES_TARGET_SL ?
	    targets[id] : NULL;
}

/* The id of a target's name, 0 for another name. */
static int
target_id(const char *name)
{
	return strcmp(name, targets[LINES_TARGET_NB]) == 0 ? LINES_TARGET_NB :
	    strcmp(name, targets[LINES_TARGET_SL]) == 0 ? LINES_TARGET_SL : 0;
}

/* Formats err and returns rc. */
static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
err_missing(char *err, size_t errlen, const char *name)
{
	return fail(err, errlen, LINES_EMEMBER, "member \"%s\" is required",
	    name);
}

static int
err_type(char *err, size_t errlen, const char *name, const char *got,
    const char *want)
{
	return fail(err, errlen, LINES_EMEMBER, "member \"%s\" is %s, not %s",
	    name, got, want);
}

static int
err_range(char *err, size_t errlen, const char *name, const char *text,
    size_t n, int64_t lo, int64_t hi)
{
	char x[EXCERPT_MAX + 8];

	excerpt(x, sizeof(x), text, n);
	return fail(err, errlen, LINES_EMEMBER, "%s %s is out of range "
	    "(%lld to %lld)", name, x, (long long)lo, (long long)hi);
}

/* Printable ASCII of s[0..n), others as '?', cut to EXCERPT_MAX bytes. */
static void
excerpt(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && i < EXCERPT_MAX && k + 1 < outsz; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n && k + 4 < outsz) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	if (outsz > 0)
		out[k] = '\0';
}

/* The index of key in names[0..n), or -1. */
static int
lookup(const struct jspan *key, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (jscan_str_eq(key, names[i], strlen(names[i])))
			return i;
	return -1;
}

/* Starts the scan of a top-level object; LINES_OK or the class. */
static int
scan_open(struct jscan *js, const char *line, size_t len, char *err,
    size_t errlen)
{
	int kind;

	jscan_init(js, line, len, 0);
	if ((kind = jscan_begin(js)) == JS_OBJECT && jscan_open(js) == 0)
		return LINES_OK;
	if (kind == -1 || kind == JS_OBJECT)
		return fail(err, errlen, LINES_ESYNTAX, "not JSON: %s at byte "
		    "%zu", js->err_msg, js->err_off);
	if (jscan_skip(js, NULL) == -1 || jscan_finish(js) == -1)
		return fail(err, errlen, LINES_ESYNTAX, "not JSON: %s at byte "
		    "%zu", js->err_msg, js->err_off);
	return fail(err, errlen, LINES_ENOTOBJ, "%s, not an object",
	    jscan_kind_name(kind));
}

/*
 * Ends the scan after the member loop returned kind: LINES_OK when the
 * object was complete and only blanks follow it, else the class.
 */
static int
scan_end(struct jscan *js, int kind, char *err, size_t errlen)
{
	const char *p = js->p, *end = js->end;

	if (kind == -1 && js->err_code == JSCAN_OK)
		return fail(err, errlen, LINES_ESYNTAX, "not JSON: unexpected "
		    "end of input at byte %zu", (size_t)(end - js->base));
	if (kind == -1)
		return fail(err, errlen, LINES_ESYNTAX, "not JSON: %s at byte "
		    "%zu", js->err_msg, js->err_off);
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	if (p < end)
		return fail(err, errlen, LINES_ETRAIL, "trailing data after "
		    "the JSON object at byte %zu", (size_t)(p - js->base));
	return LINES_OK;
}

/*
 * The next member of the object being scanned that is one of names[0..n):
 * returns its index, its value in *v; or -1 at the end of the object
 * (*kind 0) or when the text is not JSON (*kind -1).  The others are
 * skipped.  A number that ends the text is taken for the text cut short:
 * it may go on.
 */
static int
next_member(struct jscan *js, const char *const *names, int n,
    struct jspan *v, int *kind)
{
	struct jspan key;
	int m;

	while ((*kind = jscan_member(js, &key)) > 0) {
		if (jscan_skip(js, v) == -1 || (v->kind == JS_NUMBER &&
		    v->p + v->len == js->end)) {
			*kind = -1;
			break;
		}
		if ((m = lookup(&key, names, n)) != -1)
			return m;
	}
	return -1;
}

/*
 * Ends the scan of a reader: the class of the text (scan_end), else the
 * first member error merr, else the first of names[0..nreq) not in have.
 */
static int
scan_finish(struct jscan *js, int kind, int merr, unsigned have,
    const char *const *names, int nreq, char *err, size_t errlen)
{
	int rc, m;

	if ((rc = scan_end(js, kind, err, errlen)) != LINES_OK)
		return rc;
	if (merr != LINES_OK)
		return merr;
	for (m = 0; m < nreq; m++)
		if (!(have & (1u << m)))
			return err_missing(err, errlen, names[m]);
	return LINES_OK;
}

/*
 * The scan of a reader whose first member error ends the reading: calls
 * member(arg, m, value, err, errlen) for each member that is one of
 * names[0..n) until one returns an error (the rest is only scanned), and
 * ends as scan_finish, the first nreq names being required.
 */
static int
scan_members(const char *line, size_t len, const char *const *names, int n,
    int nreq, int (*member)(void *, int, const struct jspan *, char *,
    size_t), void *arg, char *err, size_t errlen)
{
	struct jscan js;
	struct jspan v;
	unsigned have = 0;
	int kind, m, rc, merr = LINES_OK;

	if ((rc = scan_open(&js, line, len, err, errlen)) != LINES_OK)
		return rc;
	while ((m = next_member(&js, names, n, &v, &kind)) != -1) {
		if (merr != LINES_OK)
			continue;
		have |= 1u << m;
		merr = member(arg, m, &v, err, errlen);
	}
	return scan_finish(&js, kind, merr, have, names, nreq, err, errlen);
}

/* An integer member in [lo, hi], from its text; LINES_OK or EMEMBER. */
static int
span_int(const struct jspan *v, const char *name, int64_t lo, int64_t hi,
    int64_t *out, char *err, size_t errlen)
{
	const char *p = v->p, *end = v->p + v->len;
	uint64_t u = 0, lim;
	char x[EXCERPT_MAX + 8];
	int neg = 0;

	if (v->kind != JS_NUMBER)
		return err_type(err, errlen, name, jscan_kind_name(v->kind),
		    "an integer");
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9') {
			excerpt(x, sizeof(x), v->p, v->len);
			return err_type(err, errlen, name, x, "an integer");
		}
		if (u > (lim - (uint64_t)(*p - '0')) / 10)
			return err_range(err, errlen, name, v->p, v->len, lo,
			    hi);
		u = u * 10 + (uint64_t)(*p - '0');
	}
	/* -2^63 is its own two's complement. */
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	if (*out < lo || *out > hi)
		return err_range(err, errlen, name, v->p, v->len, lo, hi);
	return LINES_OK;
}

/*
 * A string member: unescaped into store (with a NUL after it when nul
 * is set, else only when it has an escape).  LINES_OK or EMEMBER.
 */
static int
span_str(const struct jspan *v, const char *name, struct buf *store,
    int nul, struct sref *r, char *err, size_t errlen)
{
	if (v->kind != JS_STRING)
		return err_type(err, errlen, name, jscan_kind_name(v->kind),
		    "a string");
	memset(r, 0, sizeof(*r));
	r->set = 1;
	if (!nul && !(v->flags & JSPAN_ESC)) {
		r->p = v->p + 1;
		r->len = v->len - 2;
		return LINES_OK;
	}
	r->off = store->len;
	unescape(store, v);
	r->len = store->len - r->off;
	if (nul)
		buf_putc(store, '\0');
	return LINES_OK;
}

/*
 * jscan_unescape, in one pass over the string where jscan_unescape copies
 * each run between two escapes on its own: the value of a record line is
 * JSON in a JSON string, with an escaped quote every few bytes.  A string
 * with a \u escape is left to jscan_unescape.
 */
static void
unescape(struct buf *b, const struct jspan *v)
{
	const char *p = v->p + 1, *end = v->p + v->len - 1;
	size_t start = b->len;
	char *out, c;

	if (!(v->flags & JSPAN_ESC) || b->fixed) {
		jscan_unescape(b, v);
		return;
	}
	buf_reserve(b, (size_t)(end - p));
	out = b->data + b->len;
	while (p < end) {
		if ((c = *p++) != '\\') {
			*out++ = c;
			continue;
		}
		switch ((c = *p++)) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			b->len = start;
			jscan_unescape(b, v);
			return;
		}
		*out++ = c;	/* and '"', '\\', '/' as they are */
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

static const char *
sref_ptr(const struct buf *store, const struct sref *r)
{
	if (!r->set)
		return NULL;
	if (r->p != NULL)
		return r->p;
	return store->data != NULL ? store->data + r->off : "";
}

/* A topic: a string without NUL bytes. */
static int
span_topic(const struct jspan *v, struct buf *store, struct sref *r,
    char *err, size_t errlen)
{
	char x[EXCERPT_MAX + 8];
	const char *s;
	int rc;

	if ((rc = span_str(v, "topic", store, 0, r, err, errlen)) != LINES_OK)
		return rc;
	s = sref_ptr(store, r);
	if (memchr(s, '\0', r->len) != NULL) {
		excerpt(x, sizeof(x), s, r->len);
		r->set = 0;
		return fail(err, errlen, LINES_EMEMBER, "topic \"%s\" holds "
		    "a NUL byte", x);
	}
	return LINES_OK;
}

/* Writes ,"name":"s" (JSON-escaped). */
static void
put_str_member(struct buf *b, const char *name, const char *s, size_t n)
{
	buf_putc(b, ',');
	buf_putc(b, '"');
	buf_puts(b, name);
	buf_puts(b, "\":");
	buf_json_str(b, s, n);
}

static void
put_int_member(struct buf *b, const char *name, int64_t v)
{
	buf_putc(b, ',');
	buf_putc(b, '"');
	buf_puts(b, name);
	buf_puts(b, "\":");
	buf_put_i64(b, v);
}

/* Opens a line with {"topic":T,"partition":P,"offset":O. */
static void
put_identity(struct buf *b, const char *topic, size_t n, int64_t partition,
    int64_t offset)
{
	buf_puts(b, "{\"topic\":");
	buf_json_str(b, topic, n);
	put_int_member(b, "partition", partition);
	put_int_member(b, "offset", offset);
}

/* Opens a line with the common members of a decision or an outcome. */
static void
put_common(struct buf *b, const char *target, int64_t org, int64_t account,
    const char *cluster, size_t cluster_len, const char *updated_at,
    const char *notified_at)
{
	buf_puts(b, "{\"target\":");
	buf_json_str(b, target, strlen(target));
	put_int_member(b, "org_id", org);
	put_int_member(b, "account_number", account);
	put_str_member(b, "cluster", cluster, cluster_len);
	put_str_member(b, "updated_at", updated_at, strlen(updated_at));
	if (notified_at != NULL)
		put_str_member(b, "notified_at", notified_at,
		    strlen(notified_at));
}

/* record ------------------------------------------------------------ */

enum { R_TOPIC, R_PARTITION, R_OFFSET, R_TIMESTAMP, R_VALUE, R_VALUE_B64,
    R_PAYLOAD, R_DEAD_LETTER_ID, R_NMEMBERS };

static const char *const record_members[R_NMEMBERS] = {
	"topic", "partition", "offset", "timestamp", "value", "value_b64",
	"payload", "dead_letter_id"
};

void
lines_write_record(struct buf *b, const struct lines_record *r)
{
	size_t mark;

	put_identity(b, r->topic, r->topic_len, r->partition, r->offset);
	if (r->has_timestamp)
		put_int_member(b, "timestamp", r->timestamp);
	if (r->value == NULL)
		buf_puts(b, ",\"value\":null");
	else {
		mark = b->len;
		buf_puts(b, ",\"value\":");
		/* Escaped and checked in one pass; not UTF-8: base64. */
		if (buf_json_valid(b, r->value, r->value_len) == -1) {
			b->len = mark;
			buf_puts(b, ",\"value_b64\":\"");
			buf_base64(b, r->value, r->value_len);
			buf_putc(b, '"');
		}
	}
	if (r->dead_letter_id != 0)
		put_int_member(b, "dead_letter_id", r->dead_letter_id);
	buf_puts(b, "}\n");
}

int
lines_read_record(const char *line, size_t len, struct lines_record *r,
    char *err, size_t errlen)
{
	return record_scan(line, len, r, 1, err, errlen);
}

int
lines_record_id(const char *line, size_t len, struct lines_record *r)
{
	char err[8];

	record_scan(line, len, r, 0, err, sizeof(err));
	return r->has_id ? 0 : -1;
}

/*
 * Scans a record line; whole = 0 reads the identity only, as far as the
 * text can be scanned.
 */
static int
record_scan(const char *line, size_t len, struct lines_record *r, int whole,
    char *err, size_t errlen)
{
	struct buf *store = r->store;
	struct jscan js;
	struct jspan v, val[3];
	struct sref topic;
	int64_t n;
	int kind, m, rc, merr = LINES_OK, id = 0;

	memset(&topic, 0, sizeof(topic));
	memset(val, 0, sizeof(val));
	r->topic = NULL;
	r->topic_len = 0;
	r->partition = 0;
	r->offset = 0;
	r->has_timestamp = 0;
	r->timestamp = 0;
	r->value = NULL;
	r->value_len = 0;
	r->dead_letter_id = 0;
	r->has_id = 0;
	buf_reset(store);
	if ((rc = scan_open(&js, line, len, err, errlen)) != LINES_OK)
		return rc;
	while ((m = next_member(&js, record_members, whole ? R_NMEMBERS :
	    R_OFFSET + 1, &v, &kind)) != -1) {
		rc = LINES_OK;
		switch (m) {
		case R_TOPIC:
			id &= ~1;
			if ((rc = span_topic(&v, store, &topic, err,
			    merr ? 0 : errlen)) == LINES_OK)
				id |= 1;
			break;
		case R_PARTITION:
			id &= ~2;
			if ((rc = span_int(&v, "partition", 0, INT32_MAX, &n,
			    err, merr ? 0 : errlen)) == LINES_OK) {
				r->partition = (int32_t)n;
				id |= 2;
			}
			break;
		case R_OFFSET:
			id &= ~4;
			if ((rc = span_int(&v, "offset", 0, INT64_MAX,
			    &r->offset, err, merr ? 0 : errlen)) == LINES_OK)
				id |= 4;
			break;
		case R_TIMESTAMP:
			if (v.kind == JS_NULL)
				break;
			if ((rc = span_int(&v, "timestamp", 0, INT64_MAX,
			    &r->timestamp, err, merr ? 0 : errlen)) ==
			    LINES_OK)
				r->has_timestamp = 1;
			break;
		case R_DEAD_LETTER_ID:
			if (v.kind != JS_NULL)
				rc = span_int(&v, "dead_letter_id", 1,
				    INT64_MAX, &r->dead_letter_id, err,
				    merr ? 0 : errlen);
			break;
		case R_VALUE:
		case R_VALUE_B64:
		case R_PAYLOAD:
			val[m - R_VALUE] = v;
			break;
		}
		if (rc != LINES_OK && merr == LINES_OK)
			merr = rc;
	}
	if (topic.set) {
		r->topic = sref_ptr(store, &topic);
		r->topic_len = topic.len;
	}
	r->has_id = id == 7;
	if (!whole)
		return r->has_id ? LINES_OK : LINES_EMEMBER;
	if ((rc = scan_end(&js, kind, err, errlen)) != LINES_OK)
		return rc;
	if (merr != LINES_OK)
		return merr;
	if (!(id & 1))
		return err_missing(err, errlen, "topic");
	if (!(id & 2))
		return err_missing(err, errlen, "partition");
	if (!(id & 4))
		return err_missing(err, errlen, "offset");
	rc = record_value(r, val, err, errlen);
	/* The value may have moved the store. */
	r->topic = sref_ptr(store, &topic);
	return rc;
}

/*
 * The value of a record line: "value" (a string, or null for a
 * tombstone), else "value_b64", else kcat's "payload".
 */
static int
record_value(struct lines_record *r, const struct jspan *val, char *err,
    size_t errlen)
{
	static const char *const wants[] = { "a string or null", "a string",
	    "a string or null" };
	struct buf *store = r->store;
	struct sref s;
	int i;

	for (i = 0; i < 3; i++) {
		if (val[i].p == NULL)
			continue;
		if (i != 1 && val[i].kind == JS_NULL)
			return LINES_OK;	/* a tombstone */
		if (val[i].kind == JS_STRING)
			break;
	}
	if (i == 3) {
		for (i = 0; i < 3 && val[i].p == NULL; i++)
			;
		if (i == 3)
			return fail(err, errlen, LINES_EMEMBER, "member "
			    "\"value\" is required (or \"value_b64\", or "
			    "kcat's \"payload\")");
		return err_type(err, errlen, record_members[R_VALUE + i],
		    jscan_kind_name(val[i].kind), wants[i]);
	}
	if (i != 1)
		span_str(&val[i], "value", store, 0, &s, err, errlen);
	else if (span_b64(&val[1], store, &s) == -1)
		return fail(err, errlen, LINES_EMEMBER, "value_b64 is not "
		    "base64");
	r->value = sref_ptr(store, &s);
	r->value_len = s.len;
	return LINES_OK;
}

/* Decodes the base64 string v into store; 0, or -1 when it is not. */
static int
span_b64(const struct jspan *v, struct buf *store, struct sref *r)
{
	struct buf tmp;
	int rc;

	memset(r, 0, sizeof(*r));
	r->off = store->len;
	if (v->flags & JSPAN_ESC) {
		buf_init(&tmp);
		jscan_unescape(&tmp, v);
		rc = buf_unbase64(store, tmp.data != NULL ? tmp.data : "",
		    tmp.len);
		buf_free(&tmp);
	} else
		rc = buf_unbase64(store, v->p + 1, v->len - 2);
	r->len = store->len - r->off;
	r->set = rc == 0;
	return rc;
}

/* A string member that must be a PostgreSQL timestamp. */
static int
span_time(const char *name, const char *s, size_t len, char *err,
    size_t errlen)
{
	char x[EXCERPT_MAX + 8];
	int64_t us;

	if (time_parse_pg(s, &us) == 0)
		return LINES_OK;
	excerpt(x, sizeof(x), s, len);
	return fail(err, errlen, LINES_EMEMBER, "%s \"%s\" is not a timestamp",
	    name, x);
}

/* ack --------------------------------------------------------------- */

enum { A_TOPIC, A_PARTITION, A_OFFSET, A_STATUS, A_NMEMBERS };

static const char *const ack_members[A_NMEMBERS] = {
	"topic", "partition", "offset", "status"
};

void
lines_write_ack(struct buf *b, const struct lines_ack *a)
{
	put_identity(b, a->topic, a->topic_len, a->partition, a->offset);
	buf_puts(b, ",\"status\":\"");
	buf_puts(b, statuses[a->status]);
	buf_puts(b, "\"}\n");
}

/* What the ack reader keeps while it scans. */
struct ack_scan {
	struct lines_ack	*a;
	struct sref		 topic;
};

int
lines_read_ack(const char *line, size_t len, struct lines_ack *a,
    char *err, size_t errlen)
{
	return scan_ack(line, len, a, A_NMEMBERS, err, errlen);
}

int
lines_read_ack_id(const char *line, size_t len, struct lines_ack *a,
    char *err, size_t errlen)
{
	return scan_ack(line, len, a, A_STATUS, err, errlen);
}

/* Reads the first n members of ack_members, all required; the rest of the
 * line is ignored. */
static int
scan_ack(const char *line, size_t len, struct lines_ack *a, int n,
    char *err, size_t errlen)
{
	struct ack_scan sc = { .a = a };
	int rc;

	a->topic = NULL;
	a->topic_len = 0;
	a->partition = 0;
	a->offset = 0;
	a->status = 0;
	buf_reset(a->store);
	if ((rc = scan_members(line, len, ack_members, n, n, ack_member, &sc,
	    err, errlen)) != LINES_OK)
		return rc;
	a->topic = sref_ptr(a->store, &sc.topic);
	a->topic_len = sc.topic.len;
	return LINES_OK;
}

static int
ack_member(void *arg, int m, const struct jspan *v, char *err, size_t errlen)
{
	struct ack_scan *sc = arg;
	struct lines_ack *a = sc->a;
	char x[EXCERPT_MAX + 8];
	int64_t n;
	int rc = LINES_OK;

	switch (m) {
	case A_TOPIC:
		rc = span_topic(v, a->store, &sc->topic, err, errlen);
		break;
	case A_PARTITION:
		if ((rc = span_int(v, "partition", 0, INT32_MAX, &n, err,
		    errlen)) == LINES_OK)
			a->partition = (int32_t)n;
		break;
	case A_OFFSET:
		rc = span_int(v, "offset", 0, INT64_MAX, &a->offset, err,
		    errlen);
		break;
	case A_STATUS:
		for (a->status = 0; a->status < 3; a->status++)
			if (jscan_str_eq(v, statuses[a->status],
			    strlen(statuses[a->status])))
				break;
		if (v->kind != JS_STRING)
			rc = err_type(err, errlen, "status",
			    jscan_kind_name(v->kind), "a string");
		else if (a->status == 3) {
			excerpt(x, sizeof(x), v->p, v->len);
			rc = fail(err, errlen, LINES_EMEMBER, "status %s is not "
			    "stored, duplicate or dead_letter", x);
		}
		break;
	}
	return rc;
}

/* deadletter -------------------------------------------------------- */

enum { D_ID, D_TOPIC, D_PARTITION, D_OFFSET, D_REASON_CODE, D_REASON,
    D_RECEIVED_AT, D_VALUE, D_VALUE_B64, D_NMEMBERS };

static const char *const deadletter_members[D_NMEMBERS] = {
	"id", "topic", "partition", "offset", "reason_code", "reason",
	"received_at", "value", "value_b64"
};

/* The members of dead-letters, as db-writer always wrote them. */
void
lines_write_deadletter(struct buf *b, const struct lines_deadletter *d)
{
	put_identity(b, d->topic, d->topic_len, d->partition, d->offset);
	if (utf8_valid(d->value, d->value_len))
		put_str_member(b, "value", d->value, d->value_len);
	else {
		buf_puts(b, ",\"value_b64\":\"");
		buf_base64(b, d->value, d->value_len);
		buf_putc(b, '"');
	}
	put_int_member(b, "id", d->id);
	put_str_member(b, "reason_code", d->reason_code,
	    strlen(d->reason_code));
	put_str_member(b, "reason", d->reason, strlen(d->reason));
	put_str_member(b, "received_at", d->received_at,
	    strlen(d->received_at));
	buf_puts(b, "}\n");
}

/* What the deadletter reader keeps while it scans. */
struct deadletter_scan {
	struct lines_deadletter	*d;
	struct sref		 s[5];	/* topic, reason_code, reason,
					 * received_at, value */
	struct jspan		 b64;
};

int
lines_read_deadletter(const char *line, size_t len,
    struct lines_deadletter *d, char *err, size_t errlen)
{
	struct buf *store = d->store;
	struct deadletter_scan sc = { .d = d };
	struct sref *s = sc.s;
	int rc;

	memset(d, 0, offsetof(struct lines_deadletter, store));
	buf_reset(store);
	if ((rc = scan_members(line, len, deadletter_members, D_NMEMBERS,
	    D_VALUE, deadletter_member, &sc, err, errlen)) != LINES_OK)
		return rc;
	if (!s[4].set && sc.b64.p != NULL &&
	    span_b64(&sc.b64, store, &s[4]) == -1)
		return fail(err, errlen, LINES_EMEMBER, "value_b64 is not "
		    "base64");
	if (!s[4].set)
		return err_missing(err, errlen, "value");
	if ((rc = span_time("received_at", sref_ptr(store, &s[3]), s[3].len,
	    err, errlen)) != LINES_OK)
		return rc;
	d->topic = sref_ptr(store, &s[0]);
	d->topic_len = s[0].len;
	d->reason_code = sref_ptr(store, &s[1]);
	d->reason = sref_ptr(store, &s[2]);
	d->received_at = sref_ptr(store, &s[3]);
	d->value = sref_ptr(store, &s[4]);
	d->value_len = s[4].len;
	return LINES_OK;
}

static int
deadletter_member(void *arg, int m, const struct jspan *v, char *err,
    size_t errlen)
{
	struct deadletter_scan *sc = arg;
	struct lines_deadletter *d = sc->d;
	int64_t n;
	int rc;

	switch (m) {
	case D_ID:
		return span_int(v, "id", 1, INT64_MAX, &d->id, err, errlen);
	case D_TOPIC:
		if ((rc = span_topic(v, d->store, &sc->s[0], err, errlen)) ==
		    LINES_OK)
			buf_putc(d->store, '\0');
		return rc;
	case D_PARTITION:
		if ((rc = span_int(v, "partition", -1, INT32_MAX, &n, err,
		    errlen)) == LINES_OK)
			d->partition = (int32_t)n;
		return rc;
	case D_OFFSET:
		return span_int(v, "offset", INT64_MIN, INT64_MAX, &d->offset,
		    err, errlen);
	case D_VALUE_B64:
		sc->b64 = *v;
		if (v->kind != JS_STRING)
			return err_type(err, errlen, "value_b64",
			    jscan_kind_name(v->kind), "a string");
		return LINES_OK;
	default:	/* reason_code, reason, received_at, value */
		return span_str(v, deadletter_members[m], d->store, 1,
		    &sc->s[m - D_REASON_CODE + 1], err, errlen);
	}
}

/* candidate --------------------------------------------------------- */

enum { C_ORG, C_ACCOUNT, C_CLUSTER, C_UPDATED, C_REPORT, C_OFFSET,
    C_BASELINE, C_BASELINE_AT, C_NMEMBERS };

static const char *const candidate_members[C_NMEMBERS] = {
	"org_id", "account_number", "cluster", "updated_at", "report",
	"kafka_offset", "baseline", "baseline_notified_at"
};

void
lines_write_candidate(struct buf *b, const struct lines_candidate *c)
{
	buf_puts(b, "{\"org_id\":");
	buf_put_i64(b, c->org_id);
	put_int_member(b, "account_number", c->account_number);
	put_str_member(b, "cluster", c->cluster, c->cluster_len);
	put_str_member(b, "updated_at", c->updated_at, strlen(c->updated_at));
	put_int_member(b, "kafka_offset", c->kafka_offset);
	put_str_member(b, "report", c->report, c->report_len);
	if (c->baseline != NULL)
		put_str_member(b, "baseline", c->baseline, c->baseline_len);
	else
		buf_puts(b, ",\"baseline\":null");
	if (c->baseline != NULL && c->baseline_notified_at != NULL)
		put_str_member(b, "baseline_notified_at",
		    c->baseline_notified_at, strlen(c->baseline_notified_at));
	else
		buf_puts(b, ",\"baseline_notified_at\":null");
	buf_puts(b, "}\n");
}

/* What the candidate reader keeps while it scans. */
struct candidate_scan {
	struct lines_candidate	*c;
	struct sref		 s[C_NMEMBERS];
};

int
lines_read_candidate(const char *line, size_t len, struct lines_candidate *c,
    char *err, size_t errlen)
{
	struct candidate_scan sc = { .c = c };
	struct sref *s = sc.s;
	int rc;

	memset(c, 0, offsetof(struct lines_candidate, store));
	buf_reset(c->store);
	if ((rc = scan_members(line, len, candidate_members, C_NMEMBERS,
	    C_REPORT + 1, candidate_member, &sc, err, errlen)) != LINES_OK)
		return rc;
	c->cluster = sref_ptr(c->store, &s[C_CLUSTER]);
	c->cluster_len = s[C_CLUSTER].len;
	c->updated_at = sref_ptr(c->store, &s[C_UPDATED]);
	c->report = sref_ptr(c->store, &s[C_REPORT]);
	c->report_len = s[C_REPORT].len;
	if (s[C_BASELINE].set) {
		c->baseline = sref_ptr(c->store, &s[C_BASELINE]);
		c->baseline_len = s[C_BASELINE].len;
		c->baseline_notified_at = sref_ptr(c->store, &s[C_BASELINE_AT]);
	}
	return span_time("updated_at", c->updated_at, s[C_UPDATED].len, err,
	    errlen);
}

static int
candidate_member(void *arg, int m, const struct jspan *v, char *err,
    size_t errlen)
{
	struct candidate_scan *sc = arg;
	struct lines_candidate *c = sc->c;

	switch (m) {
	case C_ORG:
		return span_int(v, "org_id", 0, INT32_MAX, &c->org_id, err,
		    errlen);
	case C_ACCOUNT:
		return span_int(v, "account_number", 0, INT32_MAX,
		    &c->account_number, err, errlen);
	case C_OFFSET:
		return span_int(v, "kafka_offset", INT64_MIN, INT64_MAX,
		    &c->kafka_offset, err, errlen);
	case C_BASELINE:
	case C_BASELINE_AT:
		if (v->kind == JS_NULL) {
			sc->s[m].set = 0;	/* none, as if absent */
			return LINES_OK;
		}
		/* FALLTHROUGH */
	default:
		return span_str(v, candidate_members[m], c->store, 1,
		    &sc->s[m], err, errlen);
	}
}

/* json-c ------------------------------------------------------------ */

/*
 * json-c silently saturates integers outside the int64 and uint64 ranges;
 * returns the offset of the first such integer in a line that parsed (so
 * that the line is refused rather than altered), or -1.  Numbers with a
 * fraction or an exponent keep their text in json-c, and are fine.  With
 * negzero, the offset of a -0 too (json-c writes it as 0).
 */
static long
int_overflow(const char *s, size_t len, int negzero)
{
	static const char maxneg[] = "9223372036854775808";
	static const char maxpos[] = "18446744073709551615";
	const char *max;
	size_t i = 0, d, k, n, maxlen;

	while (i < len) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (s[i] != '-' && (s[i] < '0' || s[i] > '9')) {
			i++;
			continue;
		}
		d = s[i] == '-' ? i + 1 : i;
		for (k = d; k < len && s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k < len && (s[k] == '.' || s[k] == 'e' || s[k] == 'E')) {
			while (k < len &&
			    strchr("0123456789.eE+-", s[k]) != NULL)
				k++;
			i = k;
			continue;
		}
		n = k - d;
		max = s[i] == '-' ? maxneg : maxpos;
		maxlen = strlen(max);
		if (n > maxlen || (n == maxlen && memcmp(s + d, max, n) > 0))
			return (long)i;
		if (negzero && d > i && n == 1 && s[d] == '0')
			return (long)i;
		i = k;
	}
	return -1;
}

const char *
lines_json_type(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number with a fraction or exponent";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "an unknown value";
}

/* What a json-c value is, for an error: "a string", "true", "1.5", ... */
static const char *
jc_what(struct json_object *v, char *x, size_t xsz)
{
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v) ? "true" : "false";
	case json_type_double:
		s = json_object_get_string(v);
		excerpt(x, xsz, s, strlen(s));
		return x;
	default:
		return lines_json_type(v);
	}
}

/* An integer member in [lo, hi], read exactly from json-c's tree. */
static int
jc_int(struct json_object *v, const char *name, int64_t lo, int64_t hi,
    int64_t *out, char *err, size_t errlen)
{
	char x[EXCERPT_MAX + 8];
	const char *s;

	if (!json_object_is_type(v, json_type_int))
		return err_type(err, errlen, name, jc_what(v, x, sizeof(x)),
		    "an integer");
	*out = json_object_get_int64(v);
	/* json-c holds 2^63 and above as uint64 and reads them as
	 * INT64_MAX; it clamps what is beyond both ranges. */
	if ((*out == INT64_MAX && json_object_get_uint64(v) !=
	    (uint64_t)INT64_MAX) || *out < lo || *out > hi) {
		s = json_object_get_string(v);
		return err_range(err, errlen, name, s, strlen(s), lo, hi);
	}
	return LINES_OK;
}

static int
jc_str(struct json_object *v, const char *name, const char **out,
    size_t *len, char *err, size_t errlen)
{
	char x[EXCERPT_MAX + 8];

	if (!json_object_is_type(v, json_type_string))
		return err_type(err, errlen, name, jc_what(v, x, sizeof(x)),
		    "a string");
	*out = json_object_get_string(v);
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return LINES_OK;
}

/*
 * json-c (0.16) keeps the high surrogate of a "\ud800" that a failed
 * parse left unpaired across json_tokener_reset, and the next \u escape
 * of the next text, another line, then comes out with a U+FFFD before it.
 * A string of one escape, parsed and dropped, takes it.
 */
static void
flush_surrogate(struct json_tokener *tok)
{
	static const char s[] = "\"\\u0020\"";

	json_tokener_reset(tok);
	json_object_put(json_tokener_parse_ex(tok, s, (int)sizeof(s) - 1));
	json_tokener_reset(tok);
}

int
lines_parse_json(struct json_tokener *tok, const char *text, size_t len,
    const char *noun, struct json_object **obj, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_object *o;
	size_t end;

	*obj = NULL;
	if (len > INT_MAX)
		return fail(err, errlen, LINES_ESYNTAX, "longer than %d bytes",
		    INT_MAX);
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr != json_tokener_success)
		flush_surrogate(tok);
	if (jerr == json_tokener_continue)
		return fail(err, errlen, LINES_ESYNTAX, "unexpected end of %s",
		    noun);
	if (jerr != json_tokener_success)
		return fail(err, errlen, LINES_ESYNTAX, "%s at offset %zu",
		    json_tokener_error_desc(jerr), end);
	for (; end < len; end++)
		if (text[end] == '\0' || strchr(" \t\r\n", text[end]) == NULL) {
			json_object_put(o);
			return fail(err, errlen, LINES_ETRAIL, "text after the "
			    "value at offset %zu", end);
		}
	*obj = o;
	return LINES_OK;
}

/*
 * Parses line[0..len) as one JSON object with tok; *obj gets it (the
 * caller puts it).  The messages are json-c's, without a prefix.
 */
static int
jc_parse(struct json_tokener *tok, const char *line, size_t len,
    struct json_object **obj, char *err, size_t errlen)
{
	struct json_object *o;
	int rc;

	*obj = NULL;
	if ((rc = lines_parse_json(tok, line, len, "line", &o, err,
	    errlen)) != LINES_OK)
		return rc;
	if (o == NULL)
		return fail(err, errlen, LINES_ENOTOBJ, "a JSON null");
	if (!json_object_is_type(o, json_type_object)) {
		fail(err, errlen, LINES_ENOTOBJ, "a JSON %s",
		    json_type_to_name(json_object_get_type(o)));
		json_object_put(o);
		return LINES_ENOTOBJ;
	}
	*obj = o;
	return LINES_OK;
}

/* decision ---------------------------------------------------------- */

void
lines_write_issue(struct buf *b, const struct lines_issue *is)
{
	buf_puts(b, "{\"item\":");
	buf_put_i64(b, is->item);
	put_str_member(b, "type", is->type, is->type_len);
	put_str_member(b, "component", is->component, is->component_len);
	put_str_member(b, "key", is->key, is->key_len);
	buf_puts(b, ",\"details\":");
	if (is->details.p != NULL)
		jscan_minify(b, &is->details);
	else
		buf_puts(b, "null");
	put_int_member(b, "total_risk", is->total_risk);
	buf_putc(b, '}');
}

void
lines_write_decision(struct buf *b, const struct lines_decision *d)
{
	put_common(b, d->target, d->org_id, d->account_number, d->cluster,
	    d->cluster_len, d->updated_at, d->notified_at);
	if (d->payload != NULL) {
		buf_puts(b, ",\"payload\":");
		buf_add(b, d->payload, d->payload_len);
	}
	if (d->issues != NULL) {
		buf_puts(b, ",\"issues\":");
		buf_add(b, d->issues, d->issues_len);
	}
	if (d->content != NULL) {
		buf_puts(b, ",\"content\":");
		buf_add(b, d->content, d->content_len);
	}
	if (d->state != NULL)
		put_str_member(b, "state", d->state, strlen(d->state));
	if (d->error != NULL)
		put_str_member(b, "error", d->error, d->error_len);
	buf_puts(b, "}\n");
}

void
lines_decision_init(struct lines_decision *d, struct json_tokener *tok,
    unsigned need)
{
	memset(d, 0, sizeof(*d));
	d->tok = tok;
	d->need = need;
}

void
lines_decision_free(struct lines_decision *d)
{
	json_object_put(d->obj);
	json_object_put(d->passobj);
	free(d->issue);
	buf_free(&d->qstr);
	buf_free(&d->qpass);
	lines_decision_init(d, d->tok, d->need);
}

/* The members that an outcome does not pass on. */
static int
not_passed(const char *k)
{
	return strcmp(k, "payload") == 0 || strcmp(k, "issues") == 0 ||
	    strcmp(k, "content") == 0 || strcmp(k, "state") == 0 ||
	    strcmp(k, "error") == 0 || strcmp(k, "drop_items") == 0;
}

int
lines_read_decision(const char *line, size_t len, struct lines_decision *d,
    char *err, size_t errlen)
{
	struct jscan js;
	size_t n;
	const char *text;
	long off;
	int rc;

	decision_reset(d);
	if (d->need == 0) {
		if (decision_quick(line, len, d))
			return LINES_OK;
		decision_reset(d);
	}
	if ((rc = jc_parse(d->tok, line, len, &d->obj, err, errlen)) !=
	    LINES_OK)
		return rc;
	/* json-c takes "1." or "01", and would pass them on as they are. */
	if (jscan_validate(&js, line, len, JSCAN_DEPTH_MAX) == -1)
		return fail(err, errlen, LINES_ESYNTAX, "%s at byte %zu",
		    js.err_msg, js.err_off);
	if ((off = int_overflow(line, len, 0)) >= 0)
		return fail(err, errlen, LINES_EMEMBER, "integer out of range "
		    "at offset %ld", off);
	if (!(d->need & LD_NO_PASS) &&
	    (d->passobj = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON object");
	json_object_object_foreach(d->obj, k, v) {
		if (d->passobj != NULL && !not_passed(k) &&
		    json_object_object_add(d->passobj, k,
		    json_object_get(v)) == -1)
			log_fatal(EX_OSERR, "unable to allocate a JSON object");
		if ((rc = decision_member(d, k, v, err, errlen)) != LINES_OK)
			return rc;
	}
	if (d->passobj == NULL)
		return LINES_OK;	/* LD_NO_PASS: no pass text */
	text = json_object_to_json_string_length(d->passobj, JSON_OUT, &n);
	if (text == NULL)
		log_fatal(EX_OSERR, "unable to serialise a JSON object");
	d->pass = text + 1;
	d->pass_len = n - 2;
	return LINES_OK;
}

/*
 * The members of a decision the readers know: json-c's type of each, and
 * jscan's kind for the quick path (0: only the json-c path reads it).
 * drop_items (bit 0) is only never passed on.
 */
static const struct known_member {
	const char	*name;
	unsigned	 bit;
	json_type	 type;
	int		 kind;
	size_t		 str, len;	/* a string's place and its length's
					 * in the struct (0: none) */
} decision_members[] = {
#define DS(m)	offsetof(struct lines_decision, m)
	{ "target", LD_TARGET, json_type_string, JS_STRING, DS(target), 0 },
	{ "org_id", LD_ORG, json_type_int, JS_NUMBER, 0, 0 },
	{ "account_number", LD_ACCOUNT, json_type_int, JS_NUMBER, 0, 0 },
	{ "cluster", LD_CLUSTER, json_type_string, JS_STRING, DS(cluster),
	  DS(cluster_len) },
	{ "updated_at", LD_UPDATED, json_type_string, JS_STRING,
	  DS(updated_at), 0 },
	{ "notified_at", LD_NOTIFIED, json_type_string, JS_STRING,
	  DS(notified_at), 0 },
	{ "payload", LD_PAYLOAD, json_type_object, JS_OBJECT, 0, 0 },
	{ "issues", LD_ISSUES, json_type_array, 0, 0, 0 },
	{ "content", LD_CONTENT, json_type_array, 0, 0, 0 },
	{ "state", LD_STATE, json_type_string, JS_STRING, DS(state), 0 },
	{ "error", LD_ERROR, json_type_string, JS_STRING, DS(error),
	  DS(error_len) },
	{ "drop_items", 0, json_type_array, 0, 0, 0 },
#undef DS
};
#define D_NKNOWN	(sizeof(decision_members) / sizeof(decision_members[0]))

/* The index of the known member name[0..len), or D_NKNOWN. */
static size_t
decision_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < D_NKNOWN; i++)
		if (strncmp(decision_members[i].name, name, len) == 0 &&
		    decision_members[i].name[len] == '\0')
			break;
	return i;
}

/* Empties what a reading filled, keeping the caller's and the storage. */
static void
decision_reset(struct lines_decision *d)
{
	memset(d, 0, offsetof(struct lines_decision, issue));
	json_object_put(d->obj);
	json_object_put(d->passobj);
	d->obj = d->passobj = NULL;
	buf_reset(&d->qstr);
	buf_reset(&d->qpass);
}

#define QUICK_KEYS	32

/*
 * The quick path of a reader that checks nothing (need 0: kafka-emitter):
 * one scan, the payload and the passed members as the line has them.
 * That is what the json-c path writes for a compact line whose strings
 * json-c escapes as they are and whose keys are unique; for any other
 * line (an error to describe, too) it returns 0 and the json-c path
 * reads it.  Returns 1 when it read the line.
 */
static int
decision_quick(const char *line, size_t len, struct lines_decision *d)
{
	struct jspan keys[QUICK_KEYS], v;
	struct jscan js;
	const char *b;
	size_t n = 0, i;
	int kind;

	/* json-c writes "\/" as "/" and decodes \u escapes. */
	for (b = line; (b = memchr(b, '\\', len - (size_t)(b - line))) !=
	    NULL && b + 1 < line + len; b += 2)
		if (b[1] == '/' || b[1] == 'u')
			return 0;
	if (int_overflow(line, len, 1) >= 0)
		return 0;	/* an error, or a -0 json-c writes as 0 */
	/*
	 * No deeper than json-c takes: its depth counts the innermost
	 * scalar too, so max_depth - 2 containers always pass it; a line
	 * at its edge is json-c's to judge.
	 */
	if (d->tok->max_depth < 3)
		return 0;
	/* Room for all, so that the pointers into them stay valid. */
	buf_reserve(&d->qstr, len + 2 * QUICK_KEYS);
	buf_reserve(&d->qpass, len + 1);
	jscan_init(&js, line, len, d->tok->max_depth - 2);
	if (jscan_begin(&js) != JS_OBJECT || jscan_open(&js) == -1)
		return 0;
	while ((kind = jscan_member(&js, &keys[n])) > 0) {
		if ((keys[n].flags & JSPAN_ESC) || n + 1 == QUICK_KEYS)
			return 0;
		for (i = 0; i < n; i++)
			if (keys[i].len == keys[n].len &&
			    memcmp(keys[i].p, keys[n].p, keys[n].len) == 0)
				return 0;
		if (jscan_skip(&js, &v) == -1 || (v.flags & JSPAN_WS) ||
		    !quick_member(d, &keys[n], &v))
			return 0;
		n++;
	}
	if (kind == -1 || jscan_finish(&js) == -1)
		return 0;
	d->pass = d->qpass.data != NULL ? d->qpass.data : "";
	d->pass_len = d->qpass.len;
	return 1;
}

/*
 * One member on the quick path: a known one of the expected type is read
 * (its string into qstr), the others are appended to the pass text.
 * Returns 0 when the json-c path must read the line.
 */
static int
quick_member(struct lines_decision *d, const struct jspan *k,
    const struct jspan *v)
{
	const struct known_member *members = decision_members;
	struct buf *b = &d->qstr;
	const char *s;
	size_t m, i, start;
	int64_t x = 0;

	if ((m = decision_lookup(k->p + 1, k->len - 2)) == D_NKNOWN) {
		quick_pass(d, k, v);
		return 1;
	}
	if (members[m].bit == 0)
		return 1;		/* drop_items: not passed on */
	if (v->kind != members[m].kind)
		return 0;
	d->have |= members[m].bit;
	switch (members[m].bit) {
	case LD_PAYLOAD:
		d->payload = v->p;
		d->payload_len = v->len;
		return 1;
	case LD_ORG:
	case LD_ACCOUNT:
		for (i = 0; i < v->len; i++)
			if (v->p[i] < '0' || v->p[i] > '9' ||
			    (x = x * 10 + (v->p[i] - '0')) > INT32_MAX)
				return 0;
		*(members[m].bit == LD_ORG ? &d->org_id :
		    &d->account_number) = x;
		break;
	default:
		start = b->len;
		jscan_unescape(b, v);
		buf_putc(b, '\0');
		s = b->data + start;
		*(const char **)(void *)((char *)d + members[m].str) = s;
		if (members[m].len != 0)
			*(size_t *)(void *)((char *)d + members[m].len) =
			    b->len - 1 - start;
		if (members[m].bit == LD_TARGET)
			d->target_id = target_id(s);
	}
	/* The common members are passed on too. */
	if (members[m].bit != LD_STATE && members[m].bit != LD_ERROR)
		quick_pass(d, k, v);
	return 1;
}

/* Appends a member to the pass text as the line has it. */
static void
quick_pass(struct lines_decision *d, const struct jspan *k,
    const struct jspan *v)
{
	if (d->qpass.len > 0)
		buf_putc(&d->qpass, ',');
	buf_add(&d->qpass, k->p, k->len);
	buf_putc(&d->qpass, ':');
	buf_add(&d->qpass, v->p, v->len);
}

/* One member of a decision line. */
static int
decision_member(struct lines_decision *d, const char *k,
    struct json_object *v, char *err, size_t errlen)
{
	const struct known_member *members = decision_members;
	char x[EXCERPT_MAX + 8], elem[48];
	struct json_object *e;
	const char *name;
	int64_t *ip;
	size_t i, n;
	unsigned bit;
	int need, rc;

	if ((i = decision_lookup(k, strlen(k))) == D_NKNOWN || v == NULL)
		return LINES_OK;
	name = members[i].name;
	bit = members[i].bit;
	need = (d->need & bit) != 0;
	d->have |= bit;
	if (!json_object_is_type(v, members[i].type)) {
		if (!need)
			return LINES_OK;
		return err_type(err, errlen, name, jc_what(v, x, sizeof(x)),
		    members[i].type == json_type_string ? "a string" :
		    members[i].type == json_type_int ? "an integer" :
		    members[i].type == json_type_array ? "an array" :
		    "an object");
	}
	switch (bit) {
	case LD_TARGET:
		d->target = json_object_get_string(v);
		d->target_id = target_id(d->target);
		if (need && d->target_id == 0) {
			excerpt(x, sizeof(x), d->target, strlen(d->target));
			return fail(err, errlen, LINES_EMEMBER, "target \"%s\" "
			    "is not notifications-backend or service-log", x);
		}
		break;
	case LD_ORG:
	case LD_ACCOUNT:
		ip = bit == LD_ORG ? &d->org_id : &d->account_number;
		if ((rc = jc_int(v, name, 0, INT32_MAX, ip, err, need ?
		    errlen : 0)) != LINES_OK) {
			*ip = 0;
			if (need)
				return rc;
		}
		break;
	case LD_CLUSTER:
		jc_str(v, name, &d->cluster, &d->cluster_len, err, errlen);
		break;
	case LD_UPDATED:
		d->updated_at = json_object_get_string(v);
		break;
	case LD_NOTIFIED:
		d->notified_at = json_object_get_string(v);
		break;
	case LD_STATE:
		d->state = json_object_get_string(v);
		break;
	case LD_ERROR:
		jc_str(v, name, &d->error, &d->error_len, err, errlen);
		break;
	case LD_PAYLOAD:
		d->payload = json_object_to_json_string_length(v, JSON_OUT,
		    &d->payload_len);
		break;
	case LD_ISSUES:
		d->issues = json_object_to_json_string_length(v, JSON_OUT,
		    &d->issues_len);
		if (need)
			return decision_issues(d, v, err, errlen);
		break;
	case LD_CONTENT:
		d->content = json_object_to_json_string_length(v, JSON_OUT,
		    &d->content_len);
		d->content_obj = v;
		n = json_object_array_length(v);
		for (i = 0; need && i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (json_object_is_type(e, json_type_object))
				continue;
			snprintf(elem, sizeof(elem), "content[%zu]", i);
			return err_type(err, errlen, elem, jc_what(e, x,
			    sizeof(x)), "an object");
		}
		break;
	}
	return LINES_OK;
}

static int
decision_issues(struct lines_decision *d, struct json_object *v, char *err,
    size_t errlen)
{
	struct lines_issue *is;
	size_t n = json_object_array_length(v), i;
	int rc;

	if (n > d->capissue) {
		if ((is = reallocarray(d->issue, n, sizeof(*is))) == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu issues", n);
		d->issue = is;
		d->capissue = n;
	}
	for (i = 0; i < n; i++)
		if ((rc = decision_issue(&d->issue[i], i,
		    json_object_array_get_idx(v, i), err, errlen)) != LINES_OK)
			return rc;
	d->nissue = n;
	return LINES_OK;
}

static int
decision_issue(struct lines_issue *is, size_t i, struct json_object *o,
    char *err, size_t errlen)
{
	static const char *const strs[] = { "type", "component", "key" };
	struct json_object *v;
	char name[64], x[EXCERPT_MAX + 8];
	const char **sp[3];
	size_t *lp[3], k;
	int rc;

	memset(is, 0, sizeof(*is));
	snprintf(name, sizeof(name), "issues[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return err_type(err, errlen, name, jc_what(o, x, sizeof(x)),
		    "an object");
	snprintf(name, sizeof(name), "issues[%zu].item", i);
	if (!json_object_object_get_ex(o, "item", &v) || v == NULL)
		return err_missing(err, errlen, name);
	if ((rc = jc_int(v, name, 0, INT32_MAX, &is->item, err, errlen)) !=
	    LINES_OK)
		return rc;
	sp[0] = &is->type;
	sp[1] = &is->component;
	sp[2] = &is->key;
	lp[0] = &is->type_len;
	lp[1] = &is->component_len;
	lp[2] = &is->key_len;
	for (k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "issues[%zu].%s", i, strs[k]);
		if (!json_object_object_get_ex(o, strs[k], &v) || v == NULL)
			return err_missing(err, errlen, name);
		if ((rc = jc_str(v, name, sp[k], lp[k], err, errlen)) !=
		    LINES_OK)
			return rc;
	}
	snprintf(name, sizeof(name), "issues[%zu].total_risk", i);
	if (!json_object_object_get_ex(o, "total_risk", &v) || v == NULL)
		return err_missing(err, errlen, name);
	if ((rc = jc_int(v, name, INT64_MIN, INT64_MAX, &is->total_risk, err,
	    errlen)) != LINES_OK)
		return rc;
	if (json_object_object_get_ex(o, "details", &v) && v != NULL) {
		is->details_obj = v;
		is->details.p = json_object_to_json_string_length(v, JSON_OUT,
		    &is->details.len);
		is->details.kind = json_object_is_type(v, json_type_object) ?
		    JS_OBJECT : json_object_is_type(v, json_type_array) ?
		    JS_ARRAY : JS_STRING;
	}
	return LINES_OK;
}

/* outcome ----------------------------------------------------------- */

void
lines_write_outcome(struct buf *b, const struct lines_outcome *o)
{
	size_t i;

	if (strcmp(o->state, states[LINES_INVALID]) == 0) {
		buf_puts(b, "{\"state\":\"invalid\"");
		put_int_member(b, "line", o->line);
		put_str_member(b, "error", o->error, o->error_len);
		if (o->input != NULL)
			put_str_member(b, "input", o->input, o->input_len);
		buf_puts(b, "}\n");
		return;
	}
	if (o->pass != NULL) {
		buf_putc(b, '{');
		buf_add(b, o->pass, o->pass_len);
		if (o->pass_len > 0)
			buf_putc(b, ',');
	} else {
		put_common(b, o->target, o->org_id, o->account_number,
		    o->cluster, o->cluster_len, o->updated_at, o->notified_at);
		buf_putc(b, ',');
	}
	buf_puts(b, "\"state\":");
	buf_json_str(b, o->state, strlen(o->state));
	if (o->error != NULL)
		put_str_member(b, "error", o->error, o->error_len);
	if (o->drop_items != NULL) {
		buf_puts(b, ",\"drop_items\":[");
		for (i = 0; i < o->ndrop; i++) {
			if (i > 0)
				buf_putc(b, ',');
			buf_put_i64(b, o->drop_items[i]);
		}
		buf_putc(b, ']');
	}
	buf_puts(b, "}\n");
}

void
lines_outcome_of(struct lines_outcome *o, const struct lines_decision *d)
{
	memset(o, 0, sizeof(*o));
	o->pass = d->pass;
	o->pass_len = d->pass_len;
	o->state = d->state != NULL ? d->state : states[LINES_SAME];
	o->error = d->error;
	o->error_len = d->error_len;
}

void
lines_outcome_invalid(struct lines_outcome *o, unsigned long lineno,
    const char *why, const char *line, size_t len, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->state = states[LINES_INVALID];
	o->line = (int64_t)lineno;
	o->error = why;
	o->error_len = strlen(why);
	o->input = line;
	o->input_len = utf8_cut(line, len, max);
}

void
lines_outcome_init(struct lines_outcome *o)
{
	memset(o, 0, sizeof(*o));
}

void
lines_outcome_free(struct lines_outcome *o)
{
	json_object_put(o->obj);
	free(o->drop);
	lines_outcome_init(o);
}

int
lines_read_outcome(const char *line, size_t len, struct lines_outcome *o,
    char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} required[] = {
		{ "target", LO_TARGET }, { "org_id", LO_ORG },
		{ "account_number", LO_ACCOUNT }, { "cluster", LO_CLUSTER },
		{ "updated_at", LO_UPDATED }, { "notified_at", LO_NOTIFIED },
	};
	struct json_tokener *tok;
	int64_t *drop = o->drop;
	size_t cap = o->capdrop, i, n;
	int rc;

	json_object_put(o->obj);
	memset(o, 0, sizeof(*o));
	o->drop = drop;
	o->capdrop = cap;
	/* As json_tokener_parse: not strict, the default depth. */
	if ((tok = json_tokener_new()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON tokener");
	rc = jc_parse(tok, line, len, &o->obj, err, errlen);
	json_tokener_free(tok);
	if (rc != LINES_OK)
		return rc;
	json_object_object_foreach(o->obj, k, v)
		if ((rc = outcome_member(o, k, v, err, errlen)) != LINES_OK)
			return rc;
	if (!(o->have & LO_STATE))
		return err_missing(err, errlen, "state");
	if (o->state_id == LINES_INVALID) {
		if (!(o->have & LO_LINE))
			return err_missing(err, errlen, "line");
		if (!(o->have & LO_ERROR))
			return err_missing(err, errlen, "error");
		return LINES_OK;
	}
	n = sizeof(required) / sizeof(required[0]);
	for (i = 0; i < n; i++)
		if (!(o->have & required[i].bit) &&
		    (required[i].bit != LO_NOTIFIED ||
		    o->state_id != LINES_READ_ERROR))
			return err_missing(err, errlen, required[i].name);
	return LINES_OK;
}

/* One member of an outcome line. */
static int
outcome_member(struct lines_outcome *o, const char *k, struct json_object *v,
    char *err, size_t errlen)
{
	char x[EXCERPT_MAX + 8];
	int rc = LINES_OK, i;

	if (v == NULL)
		return LINES_OK;
	if (strcmp(k, "target") == 0) {
		if ((rc = jc_str(v, k, &o->target, NULL, err, errlen)) !=
		    LINES_OK)
			return rc;
		for (i = 1; i <= 2 && strcmp(o->target, targets[i]) != 0; i++)
			;
		if (i > 2) {
			excerpt(x, sizeof(x), o->target, strlen(o->target));
			return fail(err, errlen, LINES_EMEMBER, "target \"%s\" "
			    "is not notifications-backend or service-log", x);
		}
		o->target_id = i;
		o->have |= LO_TARGET;
	} else if (strcmp(k, "org_id") == 0) {
		rc = jc_int(v, k, 0, INT32_MAX, &o->org_id, err, errlen);
		o->have |= LO_ORG;
	} else if (strcmp(k, "account_number") == 0) {
		rc = jc_int(v, k, 0, INT32_MAX, &o->account_number, err,
		    errlen);
		o->have |= LO_ACCOUNT;
	} else if (strcmp(k, "cluster") == 0) {
		if ((rc = jc_str(v, k, &o->cluster, &o->cluster_len, err,
		    errlen)) == LINES_OK && strlen(o->cluster) !=
		    o->cluster_len) {
			excerpt(x, sizeof(x), o->cluster, o->cluster_len);
			rc = fail(err, errlen, LINES_EMEMBER, "cluster \"%s\" "
			    "holds a NUL byte", x);
		}
		o->have |= LO_CLUSTER;
	} else if (strcmp(k, "updated_at") == 0) {
		rc = jc_str(v, k, &o->updated_at, NULL, err, errlen);
		o->have |= LO_UPDATED;
	} else if (strcmp(k, "notified_at") == 0) {
		rc = jc_str(v, k, &o->notified_at, NULL, err, errlen);
		o->have |= LO_NOTIFIED;
	} else if (strcmp(k, "state") == 0) {
		if ((rc = jc_str(v, k, &o->state, NULL, err, errlen)) !=
		    LINES_OK)
			return rc;
		for (i = 1; i <= LINES_INVALID && strcmp(o->state,
		    states[i]) != 0; i++)
			;
		if (i > LINES_INVALID) {
			excerpt(x, sizeof(x), o->state, strlen(o->state));
			return fail(err, errlen, LINES_EMEMBER, "state \"%s\" "
			    "is not sent, same, error, read_error or invalid",
			    x);
		}
		o->state_id = i;
		o->have |= LO_STATE;
	} else if (strcmp(k, "error") == 0) {
		rc = jc_str(v, k, &o->error, &o->error_len, err, errlen);
		o->have |= LO_ERROR;
	} else if (strcmp(k, "input") == 0) {
		rc = jc_str(v, k, &o->input, &o->input_len, err, errlen);
		o->have |= LO_INPUT;
	} else if (strcmp(k, "line") == 0) {
		rc = jc_int(v, k, 1, INT64_MAX, &o->line, err, errlen);
		o->have |= LO_LINE;
	} else if (strcmp(k, "drop_items") == 0 ||
	    strcmp(k, "disabled_items") == 0) {
		/* Items a sender could not deliver, and items of rules the
		 * users disabled (differ): neither goes into the stored
		 * report. */
		rc = outcome_drop(o, k, v, err, errlen);
		o->have |= LO_DROP;
	}
	return rc;
}

static int
outcome_drop(struct lines_outcome *o, const char *key, struct json_object *v,
    char *err, size_t errlen)
{
	static const int64_t none[1];
	struct json_object *e;
	char name[48], x[EXCERPT_MAX + 8];
	size_t n, i, k;
	int64_t *d;
	int rc;

	if (!json_object_is_type(v, json_type_array))
		return err_type(err, errlen, key, jc_what(v, x,
		    sizeof(x)), "an array");
	/* Appended to what the other member gave. */
	n = o->ndrop + json_object_array_length(v);
	if (n > o->capdrop) {
		if ((d = reallocarray(o->drop, n, sizeof(*d))) == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu items", n);
		o->drop = d;
		o->capdrop = n;
	}
	n = json_object_array_length(v);
	for (i = 0, k = o->ndrop; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_int))
			continue;	/* as db-writer -r always did */
		snprintf(name, sizeof(name), "%s[%zu]", key, i);
		if ((rc = jc_int(e, name, 0, INT32_MAX, &o->drop[k++], err,
		    errlen)) != LINES_OK)
			return rc;
	}
	o->drop_items = k > 0 ? o->drop : none;
	o->ndrop = k;
	return LINES_OK;
}
