/*
 * fuzz-record: record_check (common/record.c) on arbitrary record values,
 * and jscan_validate against json-c's strict parser.
 *
 * The input is the record value.  Checked: a stored record has a report
 * that is one compact JSON object (jscan_validate, jscan_minify leaves it
 * alone) with unique top-level keys, a "reports" member and none of the
 * members shrinking drops; a 36-character canonical cluster; numbers in
 * range; no reason.  A rejected one has a printable reason and nothing
 * else.  The rejection is "syntax" or "encoding" exactly when jscan finds
 * the text invalid, "encoding" exactly when it is not UTF-8 (by a checker
 * of our own), and a second call on the same output gives the same bytes.
 *
 * The differential part: whatever jscan accepts json-c must accept, and
 * whatever json-c rejects jscan must reject.  json-c is more lenient than
 * RFC 8259 in known ways (NaN and Infinity, "1.", "-.5", "01", raw control
 * characters in strings, UTF-8 that is overlong or encodes surrogates), so
 * "json-c accepts, jscan rejects" is a failure only for texts that avoid
 * them.  Texts with a NUL byte or more than 5000 brackets are left to
 * jscan alone (json-c stops at a NUL; its depth limit is its own).
 */
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fuzz.h"
#include "jscan.h"
#include "record.h"

/* 2026-01-01T00:00:00Z: the host clock of every call. */
#define NOW_US		INT64_C(1767225600000000)

static struct record_out	 out, out2;
static struct json_tokener	*tok;

static int	printable(const char *);
static int	canonical_uuid(const char *);
static void	check_report(const struct buf *);
static void	check_stored(const struct record_out *);
static void	check_rejected(const struct record_out *);
static void	check_same(const struct record_out *, const struct record_out *);
static int	jsonc_accepts(const uint8_t *, size_t, const char **);
static int	jsonc_lenient(const uint8_t *, size_t);
static void	differential(const uint8_t *, size_t, int);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	buf_init(&out.report);
	buf_init(&out2.report);
	if ((tok = json_tokener_new_ex(JSCAN_DEPTH_MAX)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	return 0;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
canonical_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	return 1;
}

/* The shrunk report: one compact object, keys unique, dropped ones gone. */
static void
check_report(const struct buf *r)
{
	static const char *const dropped[] = { "fingerprints", "system",
	    "skips", "info", "pass", "analysis_metadata" };
	struct jscan js;
	struct jspan key, all;
	struct buf names, min, name;
	const char *nm;
	size_t i, off;
	int kind, reports = 0;

	FUZZ_ASSERT(r->len >= 2 && r->data[0] == '{', "report %.*s",
	    (int)r->len, r->data);
	FUZZ_ASSERT(jscan_validate(&js, r->data, r->len, 0) == 0,
	    "report is not JSON: %s at %zu", js.err_msg, js.err_off);
	jscan_init(&js, r->data, r->len, 0);
	FUZZ_ASSERT(jscan_begin(&js) == JS_OBJECT && jscan_skip(&js, &all) == 0,
	    "report is not an object");
	buf_init(&min);
	all.flags |= JSPAN_WS;
	jscan_minify(&min, &all);
	FUZZ_ASSERT(min.len == r->len && memcmp(min.data, r->data,
	    r->len) == 0, "report is not compact");
	buf_free(&min);

	buf_init(&names);
	buf_init(&name);
	jscan_init(&js, r->data, r->len, 0);
	FUZZ_ASSERT(jscan_begin(&js) == JS_OBJECT && jscan_open(&js) == 0,
	    "report is not an object");
	while ((kind = jscan_member(&js, &key)) > 0) {
		FUZZ_ASSERT(jscan_skip(&js, NULL) == 0, "report member");
		buf_reset(&name);
		jscan_unescape(&name, &key);
		nm = name.data != NULL ? name.data : "";
		for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
			FUZZ_ASSERT(name.len != strlen(dropped[i]) ||
			    memcmp(nm, dropped[i], name.len) != 0,
			    "report keeps %s", dropped[i]);
		if (name.len == 7 && memcmp(nm, "reports", 7) == 0)
			reports++;
		/* names holds each key as its length and bytes. */
		for (off = 0; off < names.len; off += sizeof(size_t) + i) {
			memcpy(&i, names.data + off, sizeof(size_t));
			FUZZ_ASSERT(i != name.len || memcmp(names.data + off +
			    sizeof(size_t), nm, i) != 0,
			    "report key %.*s twice", (int)name.len, nm);
		}
		buf_add(&names, &name.len, sizeof(size_t));
		buf_add(&names, nm, name.len);
	}
	FUZZ_ASSERT(kind == 0 && jscan_finish(&js) == 0, "report scan");
	FUZZ_ASSERT(reports == 1, "report has %d \"reports\" members",
	    reports);
	buf_free(&names);
	buf_free(&name);
}

static void
check_stored(const struct record_out *o)
{
	FUZZ_ASSERT(o->reason_code[0] == '\0' && o->reason[0] == '\0',
	    "stored with reason %s", o->reason_code);
	FUZZ_ASSERT(canonical_uuid(o->cluster), "cluster %s", o->cluster);
	FUZZ_ASSERT(o->org_id >= 0 && o->org_id <= INT32_MAX, "org %lld",
	    (long long)o->org_id);
	FUZZ_ASSERT(o->account_number >= 0 && o->account_number <= INT32_MAX,
	    "account %lld", (long long)o->account_number);
	FUZZ_ASSERT(o->version >= 0 && o->version <= 255, "version %d",
	    o->version);
	FUZZ_ASSERT(o->version_warn == (o->version != 2), "version_warn");
	check_report(&o->report);
}

static void
check_rejected(const struct record_out *o)
{
	FUZZ_ASSERT(o->reason_code[0] != '\0' && o->reason[0] != '\0',
	    "rejected without a reason");
	FUZZ_ASSERT(printable(o->reason_code) && printable(o->reason),
	    "reason not printable: %s", o->reason);
	FUZZ_ASSERT(o->report.len == 0, "rejected with a report");
	FUZZ_ASSERT(o->org_id == 0 && o->account_number == 0 &&
	    o->cluster[0] == '\0', "rejected with an envelope");
}

static void
check_same(const struct record_out *a, const struct record_out *b)
{
	FUZZ_ASSERT(strcmp(a->reason_code, b->reason_code) == 0 &&
	    strcmp(a->reason, b->reason) == 0 && a->org_id == b->org_id &&
	    a->account_number == b->account_number &&
	    strcmp(a->cluster, b->cluster) == 0 && a->version == b->version &&
	    a->report.len == b->report.len && (a->report.len == 0 ||
	    memcmp(a->report.data, b->report.data, a->report.len) == 0),
	    "two calls differ");
}

/* Whether json-c's strict parser takes s[0..n) as one JSON text. */
static int
jsonc_accepts(const uint8_t *s, size_t n, const char **why)
{
	struct json_object *o;
	enum json_tokener_error je;
	char *b;
	size_t end;
	int ok;

	/* The NUL passed as the last byte ends a top-level number. */
	if ((b = malloc(n + 1)) == NULL)
		abort();
	memcpy(b, s, n);
	b[n] = '\0';
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, b, (int)n + 1);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	*why = json_tokener_error_desc(je);
	/* A top-level null is NULL with success. */
	ok = je == json_tokener_success;
	for (; ok && end < n; end++)
		if (strchr(" \t\r\n", b[end]) == NULL) {
			*why = "data after the value";
			ok = 0;
		}
	json_object_put(o);
	free(b);
	return ok;
}

/* Whether s[0..n) has something json-c is known to accept beyond JSON. */
static int
jsonc_lenient(const uint8_t *s, size_t n)
{
	size_t i;
	int instr = 0;

	if (!fuzz_utf8_ok(s, n) || memmem(s, n, "NaN", 3) != NULL ||
	    memmem(s, n, "Infinity", 8) != NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 && (instr || strchr(" \t\r\n", s[i]) == NULL))
			return 1;
		if (instr && s[i] == '\\') {
			if (i + 1 < n && s[i + 1] < 0x20)
				return 1;
			i++;
			continue;
		}
		if (s[i] == '"')
			instr = !instr;
		/* A fraction without digits on one side ("1.", "-.5"). */
		if (s[i] == '.' && (i + 1 == n || s[i + 1] < '0' ||
		    s[i + 1] > '9' || i == 0 || s[i - 1] < '0' ||
		    s[i - 1] > '9'))
			return 1;
		/* A number with a leading zero ("00", "-01"). */
		if (s[i] == '0' && i + 1 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '9' && (i == 0 ||
		    strchr("0123456789.eE+", s[i - 1]) == NULL ||
		    s[i - 1] == '\0'))
			return 1;
	}
	return 0;
}

static void
differential(const uint8_t *s, size_t n, int jscan_ok)
{
	const char *why;
	size_t i, brackets = 0;
	int jc;

	if (memchr(s, '\0', n) != NULL) {
		FUZZ_ASSERT(!jscan_ok, "jscan accepts a NUL byte");
		return;
	}
	for (i = 0; i < n; i++)
		brackets += s[i] == '[' || s[i] == '{';
	if (brackets > 5000 || n > INT32_MAX - 1)
		return;
	jc = jsonc_accepts(s, n, &why);
	FUZZ_ASSERT(jc || !jscan_ok, "jscan accepts what json-c rejects "
	    "(%s)", why);
	FUZZ_ASSERT(!jc || jscan_ok || jsonc_lenient(s, n), "json-c accepts "
	    "what jscan rejects");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct jscan js;
	int r, r2, valid;

	r = record_check(s, size, 0, NOW_US, &out);
	r2 = record_check(s, size, 0, NOW_US, &out2);
	FUZZ_ASSERT(r == r2, "two calls differ");
	check_same(&out, &out2);
	valid = jscan_validate(&js, s, size, 0) == 0;
	if (r) {
		FUZZ_ASSERT(valid, "stored a record jscan rejects");
		check_stored(&out);
	} else {
		check_rejected(&out);
		if (size == 0)
			FUZZ_ASSERT(strcmp(out.reason_code, "empty") == 0,
			    "empty record: %s", out.reason_code);
		else if (strcmp(out.reason_code, "encoding") == 0)
			FUZZ_ASSERT(!valid && !fuzz_utf8_ok(data, size),
			    "\"encoding\" for UTF-8: %s", out.reason);
		else if (strcmp(out.reason_code, "syntax") == 0)
			FUZZ_ASSERT(!valid && fuzz_utf8_ok(data, size),
			    "\"syntax\" for a valid text or bad UTF-8: %s",
			    out.reason);
		else
			FUZZ_ASSERT(valid, "\"%s\" for a text jscan rejects",
			    out.reason_code);
	}
	/* A limit of 0 is the default one. */
	if (size > 1) {
		r = record_check(s, size, size - 1, NOW_US, &out2);
		FUZZ_ASSERT(!r && strcmp(out2.reason_code, "too_large") == 0,
		    "%zu bytes over a limit of %zu: %s", size, size - 1,
		    out2.reason_code);
	}
	differential(data, size, valid);
	return 0;
}
