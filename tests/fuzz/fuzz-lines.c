/*
 * fuzz-lines: every reader of common/lines.c on arbitrary lines.
 *
 * The input is one line.  fuzz-record covers the record value (Contract
 * A) and jscan against json-c; this target covers the line around it and
 * the other line types.  Checked, for each type:
 *
 * - a line the reader accepts, written back and read again, gives the
 *   same values, and writing those gives the same bytes (the written form
 *   is a fixed point); an error comes with a message, and a member error
 *   names a member of the type;
 * - the jscan readers (record, ack, deadletter, candidate) accept a line
 *   or fail on a member only when jscan_validate takes it, and call it
 *   "not JSON" or "trailing data" only when it does not;
 * - a record's value read from a "value" string is what jscan_unescape
 *   makes of it (the reader has a faster unescape of its own);
 * - the record identity is in range (partition 0 to INT32_MAX, offset not
 *   negative, topic without NUL), the prefix parser finds the same one as
 *   the whole reader, and on every cut of a written record line it finds
 *   the identity exactly when the cut holds its offset and the byte after;
 * - a decision's pass text is the inside of a JSON object.
 */
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fuzz.h"
#include "jscan.h"
#include "lines.h"

static struct json_tokener	*tok;
static struct buf		 s1, s2, w1, w2;

/*
 * The written form of v, a line of type T read from the input, is a fixed
 * point: v written into w1, that read back into v2 (made ready for
 * lines_read_T by the caller) and written into w2 gives the same bytes,
 * and same, an expression of v and v2, holds.
 */
#define WRITTEN_TWICE(T, v, v2, same) do {				\
	char wt_err[512] = "";						\
									\
	buf_reset(&w1);							\
	lines_write_##T(&w1, &(v));					\
	FUZZ_ASSERT(lines_read_##T(w1.data, w1.len - 1, &(v2), wt_err,	\
	    sizeof(wt_err)) == LINES_OK, "written " #T " refused: %s",	\
	    wt_err);							\
	FUZZ_ASSERT(same, #T " read back differs");			\
	buf_reset(&w2);							\
	lines_write_##T(&w2, &(v2));					\
	same_bytes(&w1, &w2, #T);					\
} while (0)

static void	check_err(int, const char *, const char *const *);
static void	check_syntax(const uint8_t *, size_t, int);
static int	refused(const uint8_t *, size_t, int, const char *,
		    const char *const *);
static void	fuzz_record(const uint8_t *, size_t);
static void	record_cuts(const struct buf *, const struct lines_record *);
static void	record_value(const uint8_t *, size_t,
		    const struct lines_record *);
static void	fuzz_ack(const uint8_t *, size_t);
static void	fuzz_deadletter(const uint8_t *, size_t);
static void	fuzz_candidate(const uint8_t *, size_t);
static void	fuzz_decision(const uint8_t *, size_t);
static void	fuzz_quick(const uint8_t *, size_t);
static void	same_json(const char *, size_t, const char *, size_t,
		    const char *);
static void	fuzz_outcome(const uint8_t *, size_t);
static void	same_bytes(const struct buf *, const struct buf *,
		    const char *);

static const char *const record_names[] = { "topic", "partition",
    "offset", "timestamp", "value", "dead_letter_id", NULL };
static const char *const ack_names[] = { "topic", "partition", "offset",
    "status", NULL };
static const char *const deadletter_names[] = { "id", "topic",
    "partition", "offset", "reason_code", "reason", "received_at", "value",
    NULL };
static const char *const candidate_names[] = { "org_id", "account_number",
    "cluster", "updated_at", "kafka_offset", "report", "baseline", NULL };
static const char *const decision_names[] = { "target", "org_id",
    "account_number", "cluster", "updated_at", "notified_at", "payload",
    "issues", "content", "state", "error", "integer out of range", NULL };
static const char *const outcome_names[] = { "target", "org_id",
    "account_number", "cluster", "updated_at", "notified_at", "state",
    "error", "drop_items", "disabled_items", "line", "input", NULL };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	buf_init(&s1);
	buf_init(&s2);
	buf_init(&w1);
	buf_init(&w2);
	if ((tok = json_tokener_new_ex(JSCAN_DEPTH_MAX + 1)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

/* An error has a message; a member error names a member. */
static void
check_err(int rc, const char *err, const char *const *names)
{
	size_t i;

	FUZZ_ASSERT(rc >= LINES_EMEMBER && rc < 0, "result %d", rc);
	FUZZ_ASSERT(err[0] != '\0', "error %d without a message", rc);
	if (rc != LINES_EMEMBER)
		return;
	for (i = 0; names[i] != NULL; i++)
		if (strstr(err, names[i]) != NULL)
			return;
	FUZZ_ASSERT(0, "a member error that names no member: %s", err);
}

/* A jscan reader's verdict agrees with jscan_validate. */
static void
check_syntax(const uint8_t *data, size_t size, int rc)
{
	struct jscan js;
	int valid, kind;

	valid = jscan_validate(&js, (const char *)data, size, 0) == 0;
	if (rc == LINES_OK || rc == LINES_EMEMBER || rc == LINES_ENOTOBJ)
		FUZZ_ASSERT(valid, "result %d for a text jscan rejects", rc);
	else
		FUZZ_ASSERT(!valid, "result %d for a valid text", rc);
	if (!valid)
		return;
	jscan_init(&js, (const char *)data, size, 0);
	kind = jscan_begin(&js);
	FUZZ_ASSERT((kind == JS_OBJECT) == (rc != LINES_ENOTOBJ),
	    "result %d for a text of kind %d", rc, kind);
}

/*
 * The verdict rc of a jscan reader on data, with its message err: checked
 * as above; returns whether the line was refused.
 */
static int
refused(const uint8_t *data, size_t size, int rc, const char *err,
    const char *const *names)
{
	check_syntax(data, size, rc);
	if (rc == LINES_OK)
		return 0;
	check_err(rc, err, names);
	return 1;
}

static void
same_bytes(const struct buf *a, const struct buf *b, const char *what)
{
	FUZZ_ASSERT(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
	    "%s: written twice, not the same bytes:\n%.*s%.*s", what,
	    (int)a->len, a->data, (int)b->len, b->data);
}

static void
fuzz_record(const uint8_t *data, size_t size)
{
	struct lines_record r, r2, id;
	char err[512] = "";
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&id, 0, sizeof(id));
	r.store = &s1;
	id.store = &s2;
	rc = lines_read_record((const char *)data, size, &r, err, sizeof(err));
	if (rc != LINES_OK)
		check_err(rc, err, record_names);
	check_syntax(data, size, rc);
	if (r.has_id) {
		FUZZ_ASSERT(r.partition >= 0 && r.offset >= 0 &&
		    memchr(r.topic, '\0', r.topic_len) == NULL,
		    "identity out of range");
		FUZZ_ASSERT(fuzz_utf8_ok((const unsigned char *)r.topic,
		    r.topic_len), "topic not UTF-8");
	}
	FUZZ_ASSERT((lines_record_id((const char *)data, size, &id) == 0) ==
	    (r.has_id != 0), "the prefix parser and the reader disagree");
	if (r.has_id)
		FUZZ_ASSERT(id.partition == r.partition &&
		    id.offset == r.offset && id.topic_len == r.topic_len &&
		    memcmp(id.topic, r.topic, r.topic_len) == 0,
		    "the prefix parser found another identity");
	if (rc != LINES_OK)
		return;
	FUZZ_ASSERT(r.has_id, "a record read without its identity");
	record_value(data, size, &r);
	memset(&r2, 0, sizeof(r2));
	r2.store = &s2;
	WRITTEN_TWICE(record, r, r2, r2.partition == r.partition &&
	    r2.offset == r.offset && r2.topic_len == r.topic_len &&
	    memcmp(r2.topic, r.topic, r.topic_len) == 0 &&
	    r2.has_timestamp == r.has_timestamp &&
	    r2.timestamp == r.timestamp &&
	    r2.dead_letter_id == r.dead_letter_id &&
	    (r2.value == NULL) == (r.value == NULL) &&
	    r2.value_len == r.value_len && (r.value == NULL ||
	    memcmp(r2.value, r.value, r.value_len) == 0));
	record_cuts(&w1, &r);
}

/* The value from the last "value" member, if a string, as jscan has it. */
static void
record_value(const uint8_t *data, size_t size, const struct lines_record *r)
{
	struct jscan js;
	struct jspan key, v, last;
	struct buf b;

	memset(&last, 0, sizeof(last));
	jscan_init(&js, (const char *)data, size, 0);
	if (jscan_begin(&js) != JS_OBJECT || jscan_open(&js) == -1)
		return;
	while (jscan_member(&js, &key) > 0 && jscan_skip(&js, &v) == 0)
		if (jscan_str_eq(&key, "value", 5))
			last = v;
	if (last.kind != JS_STRING)
		return;
	buf_init(&b);
	jscan_unescape(&b, &last);
	FUZZ_ASSERT(r->value != NULL && r->value_len == b.len &&
	    (b.len == 0 || memcmp(r->value, b.data, b.len) == 0),
	    "the value is not what jscan_unescape makes of it");
	buf_free(&b);
}

/*
 * On a cut of the written line w (identity first, offset last of it), the
 * prefix parser finds the identity exactly when the cut holds the offset
 * and the byte after it.
 */
static void
record_cuts(const struct buf *w, const struct lines_record *r)
{
	struct lines_record id;
	const char *off;
	size_t need, k, step;
	char num[32];

	snprintf(num, sizeof(num), ",\"offset\":%lld", (long long)r->offset);
	off = strstr(w->data, num);
	FUZZ_ASSERT(off != NULL, "no offset in a written record");
	need = (size_t)(off - w->data) + strlen(num) + 1;
	memset(&id, 0, sizeof(id));
	id.store = &s2;
	step = w->len / 16 + 1;
	for (k = 1; k < w->len; k++) {
		/* Every cut near the end of the offset, a few others. */
		if ((k + 3 < need || k > need + 2) && k % step != 0)
			continue;
		if (lines_record_id(w->data, k, &id) == 0) {
			FUZZ_ASSERT(k >= need, "an identity from %zu bytes of "
			    "%zu", k, need);
			FUZZ_ASSERT(id.offset == r->offset &&
			    id.partition == r->partition, "another identity "
			    "from a cut");
		} else
			FUZZ_ASSERT(k < need, "no identity from %zu bytes "
			    "(%zu needed)", k, need);
	}
}

/*
 * fuzz_T, for a line type T that a jscan reader reads into a struct
 * lines_T with a store: the reader's verdict is checked (refused()); a
 * line read into v must satisfy ok, and its written form be a fixed point
 * (WRITTEN_TWICE) with same holding of v and v2.
 */
#define FUZZ_STORED(T, ok, same)					\
static void								\
fuzz_##T(const uint8_t *data, size_t size)				\
{									\
	struct lines_##T v, v2;						\
	char err[512] = "";						\
	int rc;								\
									\
	v.store = &s1;							\
	rc = lines_read_##T((const char *)data, size, &v, err,		\
	    sizeof(err));						\
	if (refused(data, size, rc, err, T##_names))			\
		return;							\
	FUZZ_ASSERT(ok, #T " out of range");				\
	v2.store = &s2;							\
	WRITTEN_TWICE(T, v, v2, same);					\
}

FUZZ_STORED(ack, v.partition >= 0 && v.offset >= 0 && v.status >= 0 &&
    v.status <= LINES_DEAD_LETTER, 1)
FUZZ_STORED(deadletter, v.id >= 1 && v.partition >= -1,
    v2.value_len == v.value_len &&
    memcmp(v2.value, v.value, v.value_len) == 0)
FUZZ_STORED(candidate, v.org_id >= 0 && v.org_id <= INT32_MAX &&
    v.account_number >= 0 && v.account_number <= INT32_MAX,
    v2.report_len == v.report_len &&
    memcmp(v2.report, v.report, v.report_len) == 0 &&
    (v2.baseline == NULL) == (v.baseline == NULL))

static void
fuzz_decision(const uint8_t *data, size_t size)
{
	struct lines_decision d, d2;
	struct buf obj;
	struct jscan js;
	char err[512] = "";
	int rc;

	lines_decision_init(&d, tok, LD_ALL);
	rc = lines_read_decision((const char *)data, size, &d, err,
	    sizeof(err));
	if (rc != LINES_OK) {
		check_err(rc, err, decision_names);
		goto done;
	}
	buf_init(&obj);
	buf_putc(&obj, '{');
	buf_add(&obj, d.pass, d.pass_len);
	buf_putc(&obj, '}');
	FUZZ_ASSERT(jscan_validate(&js, obj.data, obj.len, 0) == 0,
	    "pass is not the inside of an object: %s", obj.data);
	buf_free(&obj);
	FUZZ_ASSERT(!(d.have & LD_ORG) || (d.org_id >= 0 &&
	    d.org_id <= INT32_MAX), "org_id out of range");
	if ((d.have & (LD_TARGET | LD_ORG | LD_ACCOUNT | LD_CLUSTER |
	    LD_UPDATED | LD_NOTIFIED)) != (LD_TARGET | LD_ORG | LD_ACCOUNT |
	    LD_CLUSTER | LD_UPDATED | LD_NOTIFIED))
		goto done;
	lines_decision_init(&d2, tok, LD_ALL);
	WRITTEN_TWICE(decision, d, d2, d2.nissue == d.nissue &&
	    d2.org_id == d.org_id && d2.account_number == d.account_number);
	lines_decision_free(&d2);
done:
	lines_decision_free(&d);
}

#define STR_SAME(a, b)	(((a) == NULL) == ((b) == NULL) && \
	((a) == NULL || strcmp((a), (b)) == 0))

/*
 * kafka-emitter's reading (need 0: the one-scan path where it applies)
 * and json-c's (LD_FULL) agree: the same result, members and strings,
 * and a payload and a pass text of the same JSON value (the bytes may
 * differ only where json-c folds a duplicate key inside a value).
 */
static void
fuzz_quick(const uint8_t *data, size_t size)
{
	struct lines_decision q, f;
	char err[512];
	int rq, rf;

	lines_decision_init(&q, tok, 0);
	rq = lines_read_decision((const char *)data, size, &q, err,
	    sizeof(err));
	lines_decision_init(&f, tok, LD_FULL);
	rf = lines_read_decision((const char *)data, size, &f, err,
	    sizeof(err));
	FUZZ_ASSERT(rq == rf, "quick %d, json-c %d", rq, rf);
	if (rq == LINES_OK) {
		FUZZ_ASSERT(q.have == f.have, "have %#x, json-c %#x", q.have,
		    f.have);
		FUZZ_ASSERT(q.org_id == f.org_id &&
		    q.account_number == f.account_number &&
		    q.target_id == f.target_id, "org_id, account or target");
		FUZZ_ASSERT(STR_SAME(q.target, f.target) &&
		    STR_SAME(q.cluster, f.cluster) &&
		    STR_SAME(q.updated_at, f.updated_at) &&
		    STR_SAME(q.notified_at, f.notified_at) &&
		    STR_SAME(q.state, f.state) && STR_SAME(q.error, f.error),
		    "a string member differs");
		FUZZ_ASSERT((q.payload == NULL) == (f.payload == NULL),
		    "payload present in one reading only");
		if (q.payload != NULL)
			same_json(q.payload, q.payload_len, f.payload,
			    f.payload_len, "payload");
		same_json(q.pass, q.pass_len, f.pass, f.pass_len, "pass");
	}
	lines_decision_free(&q);
	lines_decision_free(&f);
}

/* a[0..an) and b[0..bn), wrapped in braces for a pass text, are the same
 * JSON value. */
static void
same_json(const char *a, size_t an, const char *b, size_t bn,
    const char *what)
{
	struct json_object *ja, *jb;
	int pass = strcmp(what, "pass") == 0;

	if (an == bn && memcmp(a, b, an) == 0)
		return;
	buf_reset(&w1);
	buf_reset(&w2);
	buf_printf(&w1, "%s%.*s%s", pass ? "{" : "", (int)an, a,
	    pass ? "}" : "");
	buf_printf(&w2, "%s%.*s%s", pass ? "{" : "", (int)bn, b,
	    pass ? "}" : "");
	json_tokener_reset(tok);
	ja = json_tokener_parse_ex(tok, w1.data, (int)w1.len);
	json_tokener_reset(tok);
	jb = json_tokener_parse_ex(tok, w2.data, (int)w2.len);
	FUZZ_ASSERT(ja != NULL && jb != NULL && json_object_equal(ja, jb),
	    "%s: %s against json-c's %s", what, w1.data, w2.data);
	json_object_put(ja);
	json_object_put(jb);
}

static void
fuzz_outcome(const uint8_t *data, size_t size)
{
	struct lines_outcome o, o2;
	char err[512] = "";
	int rc;

	lines_outcome_init(&o);
	rc = lines_read_outcome((const char *)data, size, &o, err,
	    sizeof(err));
	if (rc != LINES_OK) {
		check_err(rc, err, outcome_names);
		lines_outcome_free(&o);
		return;
	}
	FUZZ_ASSERT(o.state_id >= LINES_SENT && o.state_id <= LINES_INVALID,
	    "state %d", o.state_id);
	lines_outcome_init(&o2);
	WRITTEN_TWICE(outcome, o, o2, o2.state_id == o.state_id &&
	    o2.ndrop == o.ndrop);
	lines_outcome_free(&o2);
	lines_outcome_free(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_record(data, size);
	fuzz_ack(data, size);
	fuzz_deadletter(data, size);
	fuzz_candidate(data, size);
	fuzz_decision(data, size);
	fuzz_quick(data, size);
	fuzz_outcome(data, size);
	return 0;
}
