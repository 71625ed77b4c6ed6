/*
 * jscan: a strict, single-pass JSON scanner (RFC 8259) over byte spans.
 *
 * The inner loops work on unsigned bytes with lookup tables and keep the
 * cursor in a local variable; nothing here calls a function per byte.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "utf8.h"

/* Byte classes inside a string. */
#define SC_PLAIN	0
#define SC_QUOTE	1
#define SC_BSLASH	2
#define SC_CTRL		3
#define SC_HIGH		4

static const unsigned char strclass[256] = {
	[0x00 ... 0x1f] = SC_CTRL,
	['"'] = SC_QUOTE,
	['\\'] = SC_BSLASH,
	[0x80 ... 0xff] = SC_HIGH,
};

#define IS_WS(c)	((c) == ' ' || (c) == '\n' || (c) == '\r' || \
			    (c) == '\t')
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
/* Whether the container at depth d is an object (else an array). */
#define IS_OBJ(js, d)	(((js)->stack[(d) >> 6] >> ((d) & 63)) & 1)

/* Skips whitespace at p, noting in flags that there was some. */
#define SKIP_WS(p, end, flags) do {					\
	if ((p) < (end) && IS_WS(*(p))) {				\
		(flags) |= JSPAN_WS;					\
		do							\
			(p)++;						\
		while ((p) < (end) && IS_WS(*(p)));			\
	}								\
} while (0)

static int	fail(struct jscan *, const unsigned char *, int, const char *);
static size_t	utf8_at(const unsigned char *, const unsigned char *)
		    __attribute__((noinline));
static int	kind_of(int);
static const unsigned char *plain_run(const unsigned char *,
		    const unsigned char *);
static int	scan_string(struct jscan *, const unsigned char **, int *);
static int	scan_number(struct jscan *, const unsigned char **);
static int	scan_digits(struct jscan *, const unsigned char **,
		    const char *);
static int	scan_colon(struct jscan *, const unsigned char **, int *);
static int	scan_literal(struct jscan *, const unsigned char **);
static int	push(struct jscan *, const unsigned char *, int *, int);
static int	enter(struct jscan *, int);
static int	next_item(struct jscan *, int, const unsigned char **);
static int	at_value(struct jscan *, const unsigned char *);
static unsigned long hex4(const unsigned char *);
static const char *decode_escape(const char *, const char *, char *,
		    size_t *);

/* Records the first error; always returns -1. */
static int
fail(struct jscan *js, const unsigned char *at, int code, const char *msg)
{
	if (js->err_code == JSCAN_OK) {
		js->err_code = code;
		js->err_off = (size_t)((const char *)at - js->base);
		js->err_msg = msg;
	}
	return -1;
}

/*
 * utf8_seq out of line: inlined into scan_string, it makes the compiler
 * keep each byte in one more register in the loop over plain characters,
 * which costs a third more time on ASCII text (the results-path reports).
 */
static size_t
utf8_at(const unsigned char *p, const unsigned char *end)
{
	return utf8_seq(p, (size_t)(end - p));
}

/* The kind of the value starting with byte c, or 0. */
static int
kind_of(int c)
{
	switch (c) {
	case '{':
		return JS_OBJECT;
	case '[':
		return JS_ARRAY;
	case '"':
		return JS_STRING;
	case 't':
		return JS_TRUE;
	case 'f':
		return JS_FALSE;
	case 'n':
		return JS_NULL;
	case '-':
		return JS_NUMBER;
	default:
		return IS_DIGIT(c) ? JS_NUMBER : 0;
	}
}

/*
 * The first byte at or after p that is not plain string text (a quote, a
 * backslash, a control character or a byte above 0x7f), or end.  Eight
 * bytes a step where a word is read little-endian: each test below flags
 * the high bit of every byte it matches, and may flag a byte after a match
 * too (a borrow), never one before, so the lowest flag is the first byte
 * to stop at.
 */
static const unsigned char *
plain_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t x, q, b, m;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		m = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
		    ((b - ones) & ~b) | x;
		if ((m &= high) != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && strclass[*p] == SC_PLAIN)
		p++;
	return p;
}

/*
 * Scans the string whose opening quote is at *pp.  Returns 0 with *pp past
 * the closing quote (JSPAN_ESC added to *flags when it has an escape), or
 * -1.
 */
static int
scan_string(struct jscan *js, const unsigned char **pp, int *flags)
{
	const unsigned char *p = *pp + 1;
	const unsigned char *end = (const unsigned char *)js->end;
	size_t k;

	for (;;) {
		p = plain_run(p, end);
		if (p >= end)
			return fail(js, p, JSCAN_ESYNTAX,
			    "unexpected end of input inside a string");
		switch (strclass[*p]) {
		case SC_QUOTE:
			*pp = p + 1;
			return 0;
		case SC_BSLASH:
			*flags |= JSPAN_ESC;
			if (end - p < 2)
				return fail(js, end, JSCAN_ESYNTAX,
				    "unexpected end of input inside a string");
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				break;
			case 'u':
				if (end - p < 6)
					return fail(js, end, JSCAN_ESYNTAX,
					    "unexpected end of input inside a "
					    "\\u escape");
				if (utf8_xdigit(p[2]) < 0 || utf8_xdigit(p[3]) < 0 ||
				    utf8_xdigit(p[4]) < 0 || utf8_xdigit(p[5]) < 0)
					return fail(js, p, JSCAN_ESYNTAX,
					    "\\u must be followed by four hex "
					    "digits");
				p += 6;
				break;
			default:
				return fail(js, p, JSCAN_ESYNTAX,
				    "invalid escape sequence in a string");
			}
			break;
		case SC_CTRL:
			return fail(js, p, JSCAN_ESYNTAX,
			    "unescaped control character (or NUL byte) in a "
			    "string");
		default:
			if ((k = utf8_at(p, end)) == 0)
				return fail(js, p, JSCAN_EUTF8,
				    "invalid UTF-8 in a string");
			p += k;
			break;
		}
	}
}

/* Skips the digits at *pp, of which there must be one (else fails with
 * msg); returns 0 or -1. */
static int
scan_digits(struct jscan *js, const unsigned char **pp, const char *msg)
{
	const unsigned char *p = *pp;
	const unsigned char *end = (const unsigned char *)js->end;

	if (p >= end || !IS_DIGIT(*p))
		return fail(js, p, JSCAN_ESYNTAX, msg);
	while (p < end && IS_DIGIT(*p))
		p++;
	*pp = p;
	return 0;
}

/* Skips what follows an object key at *pp: white space, ':', white space
 * (noted in *flags); returns 0 or -1. */
static int
scan_colon(struct jscan *js, const unsigned char **pp, int *flags)
{
	const unsigned char *p = *pp;
	const unsigned char *end = (const unsigned char *)js->end;

	SKIP_WS(p, end, *flags);
	if (p >= end || *p != ':')
		return fail(js, p, JSCAN_ESYNTAX,
		    "expected ':' after an object key");
	p++;
	SKIP_WS(p, end, *flags);
	*pp = p;
	return 0;
}

/* Scans the number at *pp (a '-' or a digit); returns 0 or -1. */
static int
scan_number(struct jscan *js, const unsigned char **pp)
{
	const unsigned char *p = *pp;
	const unsigned char *end = (const unsigned char *)js->end;

	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (scan_digits(js, &p, "expected a digit") == -1)
		return -1;
	if (p < end && *p == '.') {
		p++;
		if (scan_digits(js, &p,
		    "expected a digit after the decimal point") == -1)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (scan_digits(js, &p, "expected a digit in the exponent") ==
		    -1)
			return -1;
	}
	if (p < end && IS_DIGIT(*p))
		return fail(js, p, JSCAN_ESYNTAX,
		    "a number must not have a leading zero");
	*pp = p;
	return 0;
}

/* The literal at *pp: true, false or null, as its first byte says. */
static int
scan_literal(struct jscan *js, const unsigned char **pp)
{
	const unsigned char *p = *pp;
	const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
	size_t n = *p == 'f' ? 5 : 4;

	if ((size_t)((const unsigned char *)js->end - p) < n ||
	    memcmp(p, word, n) != 0)
		return fail(js, p, JSCAN_ESYNTAX, "invalid literal (expected "
		    "true, false or null)");
	*pp = p + n;
	return 0;
}

/* Opens a container at p: one level deeper, of type obj (1) or array. */
static int
push(struct jscan *js, const unsigned char *p, int *depth, int obj)
{
	int d = *depth + 1;
	uint64_t bit;

	if (d > js->maxdepth)
		return fail(js, p, JSCAN_EDEPTH, "containers nested too deep");
	bit = (uint64_t)1 << (d & 63);
	if (obj)
		js->stack[d >> 6] |= bit;
	else
		js->stack[d >> 6] &= ~bit;
	*depth = d;
	return 0;
}

/* Enters the object (obj) or array at the cursor. */
static int
enter(struct jscan *js, int obj)
{
	const unsigned char *p = (const unsigned char *)js->p;

	if (js->err_code != JSCAN_OK)
		return -1;
	if (p >= (const unsigned char *)js->end || *p != (obj ? '{' : '['))
		return fail(js, p, JSCAN_ESYNTAX, obj ? "expected an object" :
		    "expected an array");
	if (push(js, p, &js->depth, obj) == -1)
		return -1;
	js->p = (const char *)p + 1;
	js->first = 1;
	return 0;
}

/*
 * The step of jscan_member (obj) and jscan_element: past the separator to
 * the next member or element, *pp on its first byte (maybe the end of the
 * text), and 1; or 0 after the closing bracket (the container is left);
 * or -1.
 */
static int
next_item(struct jscan *js, int obj, const unsigned char **pp)
{
	const unsigned char *p = (const unsigned char *)js->p;
	const unsigned char *end = (const unsigned char *)js->end;
	int flags = 0;

	if (js->err_code != JSCAN_OK)
		return -1;
	if (js->depth == 0 || (int)IS_OBJ(js, js->depth) != obj)
		return fail(js, p, JSCAN_ESYNTAX, obj ? "jscan_member called "
		    "outside an object" : "jscan_element called outside an "
		    "array");
	SKIP_WS(p, end, flags);
	if (p >= end)
		return fail(js, p, JSCAN_ESYNTAX, "unexpected end of input");
	if (*p == (obj ? '}' : ']')) {
		js->p = (const char *)p + 1;
		js->depth--;
		js->first = 0;
		return 0;
	}
	if (!js->first) {
		if (*p != ',')
			return fail(js, p, JSCAN_ESYNTAX, obj ? "expected ',' "
			    "or '}' after an object member" : "expected ',' "
			    "or ']' after an array element");
		p++;
		SKIP_WS(p, end, flags);
	}
	*pp = p;
	return 1;
}

/*
 * The end of jscan_member and jscan_element: the cursor on the value at p
 * (maybe the end of the text); its kind, or -1.
 */
static int
at_value(struct jscan *js, const unsigned char *p)
{
	int kind;

	if (p >= (const unsigned char *)js->end)
		return fail(js, p, JSCAN_ESYNTAX, "unexpected end of input");
	if ((kind = kind_of(*p)) == 0)
		return fail(js, p, JSCAN_ESYNTAX, "expected a value");
	js->p = (const char *)p;
	js->first = 0;
	return kind;
}

void
jscan_init(struct jscan *js, const char *s, size_t len, int maxdepth)
{
	js->base = s;
	js->p = s;
	js->end = s + len;
	js->depth = 0;
	if (maxdepth <= 0)
		maxdepth = JSCAN_DEPTH_DEFAULT;
	if (maxdepth > JSCAN_DEPTH_MAX)
		maxdepth = JSCAN_DEPTH_MAX;
	js->maxdepth = maxdepth;
	js->first = 0;
	js->err_code = JSCAN_OK;
	js->err_off = 0;
	js->err_msg = NULL;
	js->stack[0] = 0;
}

int
jscan_begin(struct jscan *js)
{
	const unsigned char *p = (const unsigned char *)js->p;
	const unsigned char *end = (const unsigned char *)js->end;
	int kind;

	if (js->err_code != JSCAN_OK)
		return -1;
	if (end - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return fail(js, p, JSCAN_ESYNTAX,
		    "byte order mark (U+FEFF) before the JSON text");
	while (p < end && IS_WS(*p))
		p++;
	if (p >= end)
		return fail(js, p, JSCAN_ESYNTAX, "no JSON value");
	if ((kind = kind_of(*p)) == 0)
		return fail(js, p, JSCAN_ESYNTAX, "expected a JSON value");
	js->p = (const char *)p;
	return kind;
}

int
jscan_skip(struct jscan *js, struct jspan *v)
{
	const unsigned char *p = (const unsigned char *)js->p;
	const unsigned char *end = (const unsigned char *)js->end;
	const unsigned char *start = p;
	int depth0 = js->depth, depth = js->depth, flags = 0, kind, obj;

	if (js->err_code != JSCAN_OK)
		return -1;
	if (p >= end)
		return fail(js, p, JSCAN_ESYNTAX, "unexpected end of input");
	kind = kind_of(*p);
	for (;;) {
		/* A value starts at p. */
		if (p >= end)
			return fail(js, p, JSCAN_ESYNTAX,
			    "unexpected end of input");
		switch (*p) {
		case '{':
		case '[':
			/* Empty, it is a whole value; else a member or an
			 * element follows. */
			obj = *p == '{';
			if (push(js, p, &depth, obj) == -1)
				return -1;
			p++;
			SKIP_WS(p, end, flags);
			if (p < end && *p == (obj ? '}' : ']')) {
				p++;
				depth--;
				break;
			}
			if (obj)
				goto key;
			continue;
		case '"':
			if (scan_string(js, &p, &flags) == -1)
				return -1;
			break;
		case 't':
		case 'f':
		case 'n':
			if (scan_literal(js, &p) == -1)
				return -1;
			break;
		default:
			if (*p != '-' && !IS_DIGIT(*p))
				return fail(js, p, JSCAN_ESYNTAX,
				    "expected a value");
			if (scan_number(js, &p) == -1)
				return -1;
			break;
		}

		/* After a value: close containers until one goes on. */
		for (;;) {
			if (depth == depth0)
				goto done;
			SKIP_WS(p, end, flags);
			if (p >= end)
				return fail(js, p, JSCAN_ESYNTAX,
				    "unexpected end of input");
			if (*p == (IS_OBJ(js, depth) ? '}' : ']')) {
				p++;
				depth--;
				continue;
			}
			if (*p != ',')
				return fail(js, p, JSCAN_ESYNTAX,
				    IS_OBJ(js, depth) ? "expected ',' or '}' "
				    "after an object member" : "expected ',' "
				    "or ']' after an array element");
			p++;
			SKIP_WS(p, end, flags);
			if (IS_OBJ(js, depth))
				goto key;
			break;
		}
		continue;

key:
		/* An object member's key, then ':', then its value. */
		if (p >= end || *p != '"')
			return fail(js, p, JSCAN_ESYNTAX,
			    p >= end ? "unexpected end of input" :
			    "expected a string (an object key)");
		{
			int kflags = 0;

			if (scan_string(js, &p, &kflags) == -1)
				return -1;
		}
		if (scan_colon(js, &p, &flags) == -1)
			return -1;
	}

done:
	if (v != NULL) {
		v->p = (const char *)start;
		v->len = (size_t)(p - start);
		v->kind = kind;
		if (kind == JS_STRING)
			v->flags = flags & JSPAN_ESC;
		else if (kind == JS_OBJECT || kind == JS_ARRAY)
			v->flags = flags & JSPAN_WS;
		else
			v->flags = 0;
	}
	js->p = (const char *)p;
	return 0;
}

int
jscan_open(struct jscan *js)
{
	return enter(js, 1);
}

int
jscan_open_array(struct jscan *js)
{
	return enter(js, 0);
}

int
jscan_element(struct jscan *js)
{
	const unsigned char *p;
	int r;

	if ((r = next_item(js, 0, &p)) <= 0)
		return r;
	return at_value(js, p);
}

int
jscan_member(struct jscan *js, struct jspan *key)
{
	const unsigned char *end = (const unsigned char *)js->end;
	const unsigned char *p, *k;
	int flags = 0, kind;

	if ((kind = next_item(js, 1, &p)) <= 0)
		return kind;
	if (p >= end || *p != '"')
		return fail(js, p, JSCAN_ESYNTAX,
		    p >= end ? "unexpected end of input" :
		    "expected a string (an object key)");
	k = p;
	if (scan_string(js, &p, &flags) == -1)
		return -1;
	key->p = (const char *)k;
	key->len = (size_t)(p - k);
	key->kind = JS_STRING;
	key->flags = flags & JSPAN_ESC;
	if (scan_colon(js, &p, &flags) == -1)
		return -1;
	return at_value(js, p);
}

int
jscan_finish(struct jscan *js)
{
	const unsigned char *p = (const unsigned char *)js->p;
	const unsigned char *end = (const unsigned char *)js->end;

	if (js->err_code != JSCAN_OK)
		return -1;
	if (js->depth != 0)
		return fail(js, p, JSCAN_ESYNTAX, "unexpected end of input");
	while (p < end && IS_WS(*p))
		p++;
	if (p < end)
		return fail(js, p, JSCAN_ESYNTAX,
		    "unexpected data after the JSON value");
	js->p = (const char *)p;
	return 0;
}

int
jscan_validate(struct jscan *js, const char *s, size_t len, int maxdepth)
{
	jscan_init(js, s, len, maxdepth);
	if (jscan_begin(js) == -1 || jscan_skip(js, NULL) == -1)
		return -1;
	return jscan_finish(js);
}

/* The code unit of the validated \uXXXX escape at u. */
static unsigned long
hex4(const unsigned char *u)
{
	return (unsigned long)(utf8_xdigit(u[2]) << 12 | utf8_xdigit(u[3]) <<
	    8 | utf8_xdigit(u[4]) << 4 | utf8_xdigit(u[5]));
}

/*
 * Decodes the escape at p (a backslash, before end) of a validated string
 * into out (at least 4 bytes, *n set); returns the position after it.
 */
static const char *
decode_escape(const char *p, const char *end, char *out, size_t *n)
{
	static const char names[] = "bfnrt", bytes[] = "\b\f\n\r\t";
	const unsigned char *u = (const unsigned char *)p;
	const char *e;
	unsigned long cp, lo;

	if (u[1] != 'u') {
		/* '"', '\\' and '/' stand for themselves. */
		e = strchr(names, u[1]);
		out[0] = e != NULL && *e != '\0' ? bytes[e - names] :
		    (char)u[1];
		*n = 1;
		return p + 2;
	}
	cp = hex4(u);
	p += 6;
	if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' &&
	    p[1] == 'u') {
		lo = hex4((const unsigned char *)p);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;	/* a lone surrogate, as Go does */
	*n = utf8_encode((uint32_t)cp, out);
	return p;
}

int
jscan_str_eq(const struct jspan *s, const char *t, size_t n)
{
	const char *p, *end, *bs;
	char ch[4];
	size_t k;

	if (s->kind != JS_STRING || s->len < 2)
		return 0;
	p = s->p + 1;
	end = s->p + s->len - 1;
	if (!(s->flags & JSPAN_ESC))
		return (size_t)(end - p) == n && memcmp(p, t, n) == 0;
	while (p < end) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL)
			bs = end;
		k = (size_t)(bs - p);
		if (k > n || memcmp(p, t, k) != 0)
			return 0;
		t += k;
		n -= k;
		if (bs == end)
			break;
		p = decode_escape(bs, end, ch, &k);
		if (k > n || memcmp(ch, t, k) != 0)
			return 0;
		t += k;
		n -= k;
	}
	return n == 0;
}

void
jscan_unescape(struct buf *b, const struct jspan *s)
{
	const char *p, *end, *bs;
	char ch[4];
	size_t k;

	if (s->kind != JS_STRING || s->len < 2)
		return;
	p = s->p + 1;
	end = s->p + s->len - 1;
	if (!(s->flags & JSPAN_ESC)) {
		buf_add(b, p, (size_t)(end - p));
		return;
	}
	buf_reserve(b, (size_t)(end - p));
	while (p < end) {
		if ((bs = memchr(p, '\\', (size_t)(end - p))) == NULL)
			bs = end;
		if (bs > p)
			buf_add(b, p, (size_t)(bs - p));
		if (bs == end)
			break;
		p = decode_escape(bs, end, ch, &k);
		buf_add(b, ch, k);
	}
}

void
jscan_minify(struct buf *b, const struct jspan *v)
{
	const unsigned char *p = (const unsigned char *)v->p;
	const unsigned char *end = p + v->len, *run;

	if (!(v->flags & JSPAN_WS) ||
	    (v->kind != JS_OBJECT && v->kind != JS_ARRAY)) {
		buf_add(b, v->p, v->len);
		return;
	}
	buf_reserve(b, v->len);
	run = p;
	while (p < end) {
		if (*p == '"') {
			/* Copy the string through its closing quote. */
			p++;
			for (;;) {
				while (p < end && *p != '"' && *p != '\\')
					p++;
				if (p >= end)
					break;
				if (*p == '"') {
					p++;
					break;
				}
				p += 2;
			}
		} else if (IS_WS(*p)) {
			if (p > run)
				buf_add(b, run, (size_t)(p - run));
			do
				p++;
			while (p < end && IS_WS(*p));
			run = p;
		} else
			p++;
	}
	if (end > run)
		buf_add(b, run, (size_t)(end - run));
}

size_t
jscan_utf8_prefix(const char *s, size_t n)
{
	return utf8_prefix(s, n);
}

const char *
jscan_kind_name(int kind)
{
	switch (kind) {
	case JS_OBJECT:
		return "an object";
	case JS_ARRAY:
		return "an array";
	case JS_STRING:
		return "a string";
	case JS_NUMBER:
		return "a number";
	case JS_TRUE:
		return "true";
	case JS_FALSE:
		return "false";
	case JS_NULL:
		return "null";
	default:
		return "nothing";
	}
}
