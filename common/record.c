/*
 * record: SPEC Contract A for one record value.  One jscan pass validates
 * the whole text and notes the spans of the known envelope keys (the last
 * occurrence of each) and of the members of the last Report object; the
 * checks of SPEC 2.2 then run in order on those spans, and the kept Report
 * members are copied out verbatim, minus insignificant whitespace.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "jscan.h"
#include "log.h"
#include "record.h"
#include "timeutil.h"

/* The envelope keys of SPEC 2.1, in the order of the step 3 checks. */
enum { K_ORGID, K_ACCOUNT, K_CLUSTER, K_REPORT, K_LASTCHECKED, K_VERSION,
	K_REQUESTID, K_COUNT };

static const struct {
	const char	*name;
	size_t		 len;
} keys[K_COUNT] = {
	{ "OrgID", 5 },
	{ "AccountNumber", 13 },
	{ "ClusterName", 11 },
	{ "Report", 6 },
	{ "LastChecked", 11 },
	{ "Version", 7 },
	{ "RequestId", 9 },
};

/* What a top-level Report member is to step 7 and to shrinking. */
#define RM_FINGERPRINTS	0x01
#define RM_REPORTS	0x02
#define RM_SYSTEM	0x04
#define RM_DROP		0x08	/* removed by shrinking */

/* Largest integer of SPEC 2.1, as digits. */
#define INT_MAX_DIGITS	"2147483647"

/* Kept members up to this many are de-duplicated pairwise, beyond it with
 * a hash table. */
#define DEDUP_PAIRWISE	16

struct kept {
	struct jspan	 key;
	struct jspan	 val;
	const char	*name;		/* the unescaped key */
	size_t		 nlen;
	size_t		 noff;		/* its offset in scratch, if escaped */
	int		 drop;		/* a later member has the same key */
};

struct scan {
	struct jspan	 v[K_COUNT];	/* last value of each known key */
	int		 have[K_COUNT];
	int		 rmembers;	/* RM_* seen in the last Report */
	struct kept	 small[8];
	struct kept	*kept;		/* small, or heap when it grew */
	size_t		 nkept;
	size_t		 capkept;
};

static int	reject(struct record_out *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	excerpt(char *, size_t, const char *, size_t);
static int	known_key(const struct jspan *);
static int	report_member(const struct jspan *);
static void	keep(struct scan *, const struct jspan *,
		    const struct jspan *);
static int	scan_report(struct jscan *, struct scan *);
static int	scan_record(const char *, size_t, struct scan *,
		    struct record_out *);
static int	syntax_error(const char *, size_t, const struct jscan *,
		    struct record_out *);
static int	is_uint(const struct jspan *);
static int	check_types(const struct scan *, struct record_out *);
static int	check_range(const struct jspan *, const char *, int64_t *,
		    struct record_out *);
static int	uuid_canonical(const char *, size_t);
static int	check_cluster(const struct jspan *, struct record_out *);
static int64_t	days_from_civil(int64_t, int, int);
static const char *parse_time(const char *, size_t, int64_t *, long *);
static int	colon_sixty(const char **, const char *, int *);
static int	check_time(const struct scan *, int64_t, struct record_out *);
static void	dedup(struct scan *);
static void	shrink(struct scan *, struct buf *);
static int	check(const char *, size_t, size_t, int64_t, struct scan *,
		    struct record_out *);

/* Fills the reason code and sentence; returns 0 (rejected). */
static int
reject(struct record_out *out, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(out->reason_code, sizeof(out->reason_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	buf_reset(&out->report);
	return 0;
}

/*
 * Writes at most 40 bytes of s[0..n) into dst as printable ASCII: other
 * bytes (and '"' and '\\') become '?', and a longer text ends in "...".
 */
static void
excerpt(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, max = 40;

	if (dstsz < max + 4)
		max = dstsz > 4 ? dstsz - 4 : 0;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ?
		    (char)c : '?';
	}
	if (i < n) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/* Returns the K_* index of an envelope key, or -1. */
static int
known_key(const struct jspan *key)
{
	const char *s = key->p + 1;
	int k;

	if (key->flags & JSPAN_ESC) {
		for (k = 0; k < K_COUNT; k++)
			if (jscan_str_eq(key, keys[k].name, keys[k].len))
				return k;
		return -1;
	}
	switch (key->len - 2) {
	case 5:
		k = K_ORGID;
		break;
	case 6:
		k = K_REPORT;
		break;
	case 7:
		k = K_VERSION;
		break;
	case 9:
		k = K_REQUESTID;
		break;
	case 11:
		k = s[0] == 'C' ? K_CLUSTER : K_LASTCHECKED;
		break;
	case 13:
		k = K_ACCOUNT;
		break;
	default:
		return -1;
	}
	return memcmp(s, keys[k].name, keys[k].len) == 0 ? k : -1;
}

/* Returns the RM_* flags of a top-level Report member's key (0: kept). */
static int
report_member(const struct jspan *key)
{
	static const struct {
		const char	*name;
		size_t		 len;
		int		 flags;
	} names[] = {
		{ "reports", 7, RM_REPORTS },
		{ "fingerprints", 12, RM_FINGERPRINTS | RM_DROP },
		{ "system", 6, RM_SYSTEM | RM_DROP },
		{ "skips", 5, RM_DROP },
		{ "info", 4, RM_DROP },
		{ "pass", 4, RM_DROP },
		{ "analysis_metadata", 17, RM_DROP },
	};
	size_t i, n = key->len - 2;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (key->flags & JSPAN_ESC) {
			if (jscan_str_eq(key, names[i].name, names[i].len))
				return names[i].flags;
		} else if (n == names[i].len &&
		    memcmp(key->p + 1, names[i].name, n) == 0)
			return names[i].flags;
	}
	return 0;
}

/* Appends a kept Report member. */
static void
keep(struct scan *sc, const struct jspan *key, const struct jspan *val)
{
	struct kept *k;
	size_t ncap;

	if (sc->nkept == sc->capkept) {
		ncap = sc->capkept * 4;
		if ((k = reallocarray(sc->kept == sc->small ? NULL : sc->kept,
		    ncap, sizeof(*k))) == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu report "
			    "members", ncap);
		if (sc->kept == sc->small)
			memcpy(k, sc->small, sizeof(sc->small));
		sc->kept = k;
		sc->capkept = ncap;
	}
	k = &sc->kept[sc->nkept++];
	k->key = *key;
	k->val = *val;
	k->name = NULL;
	k->nlen = 0;
	k->noff = 0;
	k->drop = 0;
}

/* Walks the Report object at the cursor, noting its members. */
static int
scan_report(struct jscan *js, struct scan *sc)
{
	struct jspan key, val;
	int kind, f;

	sc->rmembers = 0;
	sc->nkept = 0;
	if (jscan_open(js) == -1)
		return -1;
	while ((kind = jscan_member(js, &key)) > 0) {
		if (jscan_skip(js, &val) == -1)
			return -1;
		f = report_member(&key);
		sc->rmembers |= f;
		if (!(f & RM_DROP))
			keep(sc, &key, &val);
	}
	return kind;
}

/*
 * Step 1 and 2: validates the text and collects the envelope.  Returns 1,
 * or 0 after filling the rejection.
 */
static int
scan_record(const char *value, size_t len, struct scan *sc,
    struct record_out *out)
{
	struct jscan js;
	struct jspan key, val;
	int kind, k;

	jscan_init(&js, value, len, 0);
	if ((kind = jscan_begin(&js)) == -1)
		return syntax_error(value, len, &js, out);
	if (kind != JS_OBJECT) {
		if (jscan_skip(&js, NULL) == -1 || jscan_finish(&js) == -1)
			return syntax_error(value, len, &js, out);
		return reject(out, "not_object", "the record is %s, expected "
		    "a JSON object (the result envelope)",
		    jscan_kind_name(kind));
	}
	if (jscan_open(&js) == -1)
		return syntax_error(value, len, &js, out);
	while ((kind = jscan_member(&js, &key)) > 0) {
		k = known_key(&key);
		if (k == K_REPORT && kind == JS_OBJECT) {
			val.p = js.p;
			if (scan_report(&js, sc) == -1)
				return syntax_error(value, len, &js, out);
			val.len = (size_t)(js.p - val.p);
			val.kind = JS_OBJECT;
			val.flags = 0;
		} else if (jscan_skip(&js, &val) == -1)
			return syntax_error(value, len, &js, out);
		if (k >= 0) {
			sc->v[k] = val;
			sc->have[k] = 1;
			if (k == K_REPORT && kind != JS_OBJECT) {
				sc->rmembers = 0;
				sc->nkept = 0;
			}
		}
	}
	if (kind == -1 || jscan_finish(&js) == -1)
		return syntax_error(value, len, &js, out);
	return 1;
}

/* Rejects after a scanner error: "encoding" when any byte is not UTF-8
 * (that check comes first), else "syntax". */
static int
syntax_error(const char *value, size_t len, const struct jscan *js,
    struct record_out *out)
{
	size_t off;

	if (js->err_code == JSCAN_EUTF8)
		return reject(out, "encoding", "the record is not valid UTF-8 "
		    "(at byte %zu, inside a string)", js->err_off);
	if ((off = jscan_utf8_prefix(value, len)) < len)
		return reject(out, "encoding", "the record is not valid UTF-8 "
		    "(at byte %zu)", off);
	if (js->err_code == JSCAN_EDEPTH)
		return reject(out, "syntax", "JSON syntax error at byte %zu: "
		    "arrays and objects nested more than %d deep",
		    js->err_off, js->maxdepth);
	return reject(out, "syntax", "JSON syntax error at byte %zu: %s",
	    js->err_off, js->err_msg);
}

/* An integer of SPEC 2.1: a number token of decimal digits only. */
static int
is_uint(const struct jspan *v)
{
	size_t i;

	if (v->kind != JS_NUMBER)
		return 0;
	for (i = 0; i < v->len; i++)
		if (v->p[i] < '0' || v->p[i] > '9')
			return 0;
	return 1;
}

/* Step 3: each known key present with a non-null value has its type. */
static int
check_types(const struct scan *sc, struct record_out *out)
{
	const struct jspan *v;
	const char *want;
	char num[48], code[64];
	int k, ok;

	for (k = 0; k < K_COUNT; k++) {
		if (!sc->have[k] || sc->v[k].kind == JS_NULL)
			continue;
		v = &sc->v[k];
		switch (k) {
		case K_ORGID:
		case K_ACCOUNT:
		case K_VERSION:
			ok = is_uint(v) && (k != K_VERSION || v->len < 3 ||
			    (v->len == 3 && memcmp(v->p, "255", 3) <= 0));
			want = k == K_VERSION ? "an integer from 0 to 255" :
			    "an integer";
			break;
		case K_REPORT:
			ok = v->kind == JS_OBJECT;
			want = "an object";
			break;
		case K_REQUESTID:
			ok = v->kind == JS_STRING;
			want = "a string or null";
			break;
		case K_LASTCHECKED:
			ok = v->kind == JS_STRING;
			want = "a string (an RFC 3339 timestamp)";
			break;
		default:
			ok = v->kind == JS_STRING;
			want = "a string";
			break;
		}
		if (ok)
			continue;
		snprintf(code, sizeof(code), "type:%s", keys[k].name);
		if (v->kind != JS_NUMBER)
			return reject(out, code, "%s is %s, expected %s",
			    keys[k].name, jscan_kind_name(v->kind), want);
		excerpt(num, sizeof(num), v->p, v->len);
		return reject(out, code, "%s is the number %s, expected %s%s",
		    keys[k].name, num, want, is_uint(v) ? "" : " written with "
		    "digits only (no sign, fraction or exponent)");
	}
	return 1;
}

/* Step 5 for one integer; stores its value. */
static int
check_range(const struct jspan *v, const char *name, int64_t *val,
    struct record_out *out)
{
	char num[48], code[64];
	int64_t n = 0;
	size_t i;

	if (v->len > sizeof(INT_MAX_DIGITS) - 1 ||
	    (v->len == sizeof(INT_MAX_DIGITS) - 1 &&
	    memcmp(v->p, INT_MAX_DIGITS, v->len) > 0)) {
		excerpt(num, sizeof(num), v->p, v->len);
		snprintf(code, sizeof(code), "range:%s", name);
		return reject(out, code, "%s %s is out of range (at most "
		    INT_MAX_DIGITS ")", name, num);
	}
	for (i = 0; i < v->len; i++)
		n = n * 10 + (v->p[i] - '0');
	*val = n;
	return 1;
}

/* SPEC 2.3: 8-4-4-4-12 hex digits. */
static int
uuid_canonical(const char *s, size_t n)
{
	size_t i;
	int c;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		c = (unsigned char)s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* Step 6: the ClusterName string, unescaped, is a canonical UUID. */
static int
check_cluster(const struct jspan *v, struct record_out *out)
{
	char mem[64], shown[48];
	struct buf b;

	buf_init_fixed(&b, mem, sizeof(mem));
	jscan_unescape(&b, v);
	if (b.trunc || !uuid_canonical(b.data, b.len)) {
		excerpt(shown, sizeof(shown), b.data, b.len);
		return reject(out, "cluster_uuid", "ClusterName \"%s\" is not "
		    "a canonical UUID (36 characters: 8-4-4-4-12 hex digits)",
		    shown);
	}
	memcpy(out->cluster, b.data, 36);
	out->cluster[36] = '\0';
	return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

#define DIG(p, i)	((p)[i] >= '0' && (p)[i] <= '9')
#define NUM2(p)		(((p)[0] - '0') * 10 + ((p)[1] - '0'))

/* ":NN" at *pp, into *v: 0, -1 when it is not there, -2 when NN > 59. */
static int
colon_sixty(const char **pp, const char *end, int *v)
{
	const char *p = *pp;

	if (end - p < 3 || p[0] != ':' || !DIG(p, 1) || !DIG(p, 2))
		return -1;
	*v = NUM2(p + 1);
	*pp = p + 3;
	return *v > 59 ? -2 : 0;
}

/*
 * SPEC 2.4: parses s[0..n) into seconds since the epoch and nanoseconds.
 * Returns NULL, or what is wrong.
 */
static const char *
parse_time(const char *s, size_t n, int64_t *sec, long *nsec)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	const char *p = s, *end = s + n;
	int y, mo, d, h, mi, se, off = 0, nd, leap, rc;
	long ns = 0;

	if (end - p < 5 || !DIG(p, 0) || !DIG(p, 1) || !DIG(p, 2) ||
	    !DIG(p, 3) || p[4] != '-')
		return "expected a four-digit year and '-'";
	y = NUM2(p) * 100 + NUM2(p + 2);
	p += 5;
	if (end - p < 3 || !DIG(p, 0) || !DIG(p, 1) || p[2] != '-')
		return "expected a two-digit month and '-'";
	mo = NUM2(p);
	p += 3;
	if (mo < 1 || mo > 12)
		return "month out of range";
	if (end - p < 3 || !DIG(p, 0) || !DIG(p, 1) || p[2] != 'T')
		return "expected a two-digit day and 'T'";
	d = NUM2(p);
	p += 3;
	leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
		return "day out of range for the month";
	if (end - p < 1 || !DIG(p, 0))
		return "expected an hour";
	h = p[0] - '0';
	p++;
	if (p < end && DIG(p, 0)) {
		h = h * 10 + (p[0] - '0');
		p++;
	}
	if (h > 23)
		return "hour out of range";
	if ((rc = colon_sixty(&p, end, &mi)) != 0)
		return rc == -1 ? "expected ':' and a two-digit minute" :
		    "minute out of range";
	if ((rc = colon_sixty(&p, end, &se)) != 0)
		return rc == -1 ? "expected ':' and a two-digit second" :
		    "second out of range";
	if (end - p >= 2 && (p[0] == '.' || p[0] == ',') && DIG(p, 1)) {
		for (p++, nd = 0; p < end && DIG(p, 0); p++, nd++)
			if (nd < 9)
				ns = ns * 10 + (p[0] - '0');
		for (; nd < 9; nd++)
			ns *= 10;
	}
	if (p < end && p[0] == 'Z')
		p++;
	else if (end - p >= 6 && (p[0] == '+' || p[0] == '-') &&
	    DIG(p, 1) && DIG(p, 2) && p[3] == ':' && DIG(p, 4) && DIG(p, 5)) {
		if (NUM2(p + 1) > 23 || NUM2(p + 4) > 59)
			return "time zone offset out of range";
		off = (NUM2(p + 1) * 60 + NUM2(p + 4)) * 60;
		if (p[0] == '-')
			off = -off;
		p += 6;
	} else
		return "expected a time zone: Z, +hh:mm or -hh:mm";
	if (p != end)
		return "unexpected text after the time zone";
	*sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    off;
	*nsec = ns;
	return NULL;
}

/* Steps 9 and 10: LastChecked is a timestamp, not later than now. */
static int
check_time(const struct scan *sc, int64_t now_us, struct record_out *out)
{
	const struct jspan *v = &sc->v[K_LASTCHECKED];
	char shown[48], clock[40];
	const char *s, *why;
	struct buf tmp;
	int64_t sec, now_sec;
	long nsec, now_ns;
	size_t n;

	if (!sc->have[K_LASTCHECKED] || v->kind == JS_NULL)
		return reject(out, "last_checked", "LastChecked is %s, "
		    "expected an RFC 3339 timestamp",
		    sc->have[K_LASTCHECKED] ? "null" : "missing");
	buf_init(&tmp);
	if (v->flags & JSPAN_ESC) {
		jscan_unescape(&tmp, v);
		s = tmp.data != NULL ? tmp.data : "";
		n = tmp.len;
	} else {
		s = v->p + 1;
		n = v->len - 2;
	}
	excerpt(shown, sizeof(shown), s, n);
	why = parse_time(s, n, &sec, &nsec);
	buf_free(&tmp);
	if (why != NULL)
		return reject(out, "last_checked", "LastChecked \"%s\" is not "
		    "an RFC 3339 timestamp: %s", shown, why);
	now_sec = now_us / 1000000;
	now_ns = (long)(now_us % 1000000) * 1000;
	if (now_ns < 0) {
		now_ns += 1000000000;
		now_sec--;
	}
	if (sec > now_sec || (sec == now_sec && nsec > now_ns))
		return reject(out, "future", "LastChecked \"%s\" is in the "
		    "future (the host clock says %s)", shown,
		    time_fmt_rfc3339(now_us, clock, sizeof(clock)));
	return 1;
}

/* Marks each kept member that a later one with the same key replaces. */
static void
dedup(struct scan *sc)
{
	struct buf scratch;
	struct kept *k, *o;
	size_t i, j, nslot, mask, *slot;
	uint32_t h;

	buf_init(&scratch);
	for (i = 0; i < sc->nkept; i++) {
		k = &sc->kept[i];
		if (k->key.flags & JSPAN_ESC) {
			k->noff = scratch.len;
			jscan_unescape(&scratch, &k->key);
			k->nlen = scratch.len - k->noff;
		} else {
			k->name = k->key.p + 1;
			k->nlen = k->key.len - 2;
		}
	}
	for (i = 0; i < sc->nkept; i++)
		if (sc->kept[i].key.flags & JSPAN_ESC)
			sc->kept[i].name = scratch.data + sc->kept[i].noff;

	if (sc->nkept <= DEDUP_PAIRWISE) {
		for (i = 0; i < sc->nkept; i++) {
			k = &sc->kept[i];
			for (j = i + 1; j < sc->nkept; j++) {
				o = &sc->kept[j];
				if (o->nlen == k->nlen &&
				    memcmp(o->name, k->name, k->nlen) == 0) {
					k->drop = 1;
					break;
				}
			}
		}
		buf_free(&scratch);
		return;
	}

	/* Open addressing over the members, last first. */
	for (nslot = 64; nslot < sc->nkept * 2; nslot *= 2)
		;
	mask = nslot - 1;
	if ((slot = reallocarray(NULL, nslot, sizeof(*slot))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu slots", nslot);
	for (i = 0; i < nslot; i++)
		slot[i] = SIZE_MAX;
	for (i = sc->nkept; i-- > 0;) {
		k = &sc->kept[i];
		h = 2166136261u;
		for (j = 0; j < k->nlen; j++)
			h = (h ^ (unsigned char)k->name[j]) * 16777619u;
		for (j = h & mask; slot[j] != SIZE_MAX; j = (j + 1) & mask) {
			o = &sc->kept[slot[j]];
			if (o->nlen == k->nlen &&
			    memcmp(o->name, k->name, k->nlen) == 0) {
				k->drop = 1;
				break;
			}
		}
		if (!k->drop)
			slot[j] = i;
	}
	free(slot);
	buf_free(&scratch);
}

/* SPEC 2.5: the kept members as one compact object. */
static void
shrink(struct scan *sc, struct buf *b)
{
	struct kept *k;
	size_t i, total = 2;
	int first = 1;

	if (sc->nkept > 1)
		dedup(sc);
	for (i = 0; i < sc->nkept; i++)
		total += sc->kept[i].key.len + sc->kept[i].val.len + 2;
	buf_reserve(b, total);
	buf_putc(b, '{');
	for (i = 0; i < sc->nkept; i++) {
		k = &sc->kept[i];
		if (k->drop)
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_add(b, k->key.p, k->key.len);
		buf_putc(b, ':');
		jscan_minify(b, &k->val);
	}
	buf_putc(b, '}');
}

/* SPEC 2.2 steps 1 to 10 and 2.5; returns 1 (store) or 0 (reject). */
static int
check(const char *value, size_t len, size_t max_size, int64_t now_us,
    struct scan *sc, struct record_out *out)
{
	static const char rnames[3][13] = { "fingerprints", "reports",
	    "system" };
	static const int rflags[3] = { RM_FINGERPRINTS, RM_REPORTS,
	    RM_SYSTEM };
	const struct jspan *v;
	char code[64];
	int k, i;

	if (max_size == 0)
		max_size = RECORD_MAX_DEFAULT;
	if (len > max_size)
		return reject(out, "too_large", "the record is %zu bytes, more "
		    "than the limit of %zu bytes", len, max_size);
	if (len == 0)
		return reject(out, "empty", "the record value is empty (zero "
		    "bytes or a tombstone)");
	if (!scan_record(value, len, sc, out))
		return 0;
	if (!check_types(sc, out))
		return 0;
	for (k = K_ORGID; k <= K_REPORT; k++) {
		if (sc->have[k] && sc->v[k].kind != JS_NULL)
			continue;
		snprintf(code, sizeof(code), "missing:%s", keys[k].name);
		return reject(out, code, "the required key %s is %s",
		    keys[k].name, sc->have[k] ? "null" : "missing");
	}
	if (!check_range(&sc->v[K_ORGID], "OrgID", &out->org_id, out) ||
	    !check_range(&sc->v[K_ACCOUNT], "AccountNumber",
	    &out->account_number, out))
		return 0;
	if (!check_cluster(&sc->v[K_CLUSTER], out))
		return 0;
	for (i = 0; i < 3; i++) {
		if (sc->rmembers & rflags[i])
			continue;
		snprintf(code, sizeof(code), "report_key:%s", rnames[i]);
		return reject(out, code, "Report has no member \"%s\" (it "
		    "needs fingerprints, reports and system)", rnames[i]);
	}
	v = &sc->v[K_VERSION];
	if (sc->have[K_VERSION] && v->kind == JS_NUMBER) {
		for (i = 0; (size_t)i < v->len; i++)
			out->version = out->version * 10 + (v->p[i] - '0');
	}
	out->version_warn = out->version != 2;
	if (!check_time(sc, now_us, out))
		return 0;
	shrink(sc, &out->report);
	return 1;
}

int
record_check(const char *value, size_t len, size_t max_size, int64_t now_us,
    struct record_out *out)
{
	struct scan sc;
	int r;

	out->reason_code[0] = '\0';
	out->reason[0] = '\0';
	out->org_id = 0;
	out->account_number = 0;
	out->cluster[0] = '\0';
	out->version = 0;
	out->version_warn = 0;
	buf_reset(&out->report);

	memset(sc.have, 0, sizeof(sc.have));
	sc.rmembers = 0;
	sc.kept = sc.small;
	sc.nkept = 0;
	sc.capkept = sizeof(sc.small) / sizeof(sc.small[0]);
	r = check(value, len, max_size, now_us, &sc, out);
	if (sc.kept != sc.small)
		free(sc.kept);
	if (!r) {
		out->org_id = 0;
		out->account_number = 0;
		out->cluster[0] = '\0';
	}
	return r;
}
