/*
 * toml: a TOML 1.0 subset reader producing a json-c tree (toml.h).
 *
 * One pass over the text, a line at a time: a line is blank, a comment, a
 * table header or a key/value pair, then optional white space and a
 * comment.  Values are decoded into json-c objects at once.  How each
 * table came to be (as the parent of a header, by its own header, by a
 * dotted key) is kept in the object's userdata while parsing, so that the
 * rules of TOML on defining a table twice cost no search.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "log.h"
#include "toml.h"
#include "utf8.h"

/* How a table came to be: TOML allows adding to some of them only. */
enum tkind {
	T_NONE = 0,	/* not a table of this parse */
	T_ROOT,
	T_IMPLICIT,	/* created as the parent of a header's table */
	T_HEADER,	/* defined by its own [header] */
	T_DOTTED	/* created by a dotted key */
};

/* The parts of a key, each NUL-terminated in one buffer. */
struct tkey {
	struct buf	 text;
	size_t		 off[TOML_MAX_DEPTH];	/* each part in text */
	size_t		 at[TOML_MAX_DEPTH];	/* each part in the input */
	size_t		 n;
};

struct tp {
	const char		*s;
	size_t			 n;
	size_t			 i;
	char			*err;
	size_t			 errsize;
	int			 failed;
	struct json_object	*root;
	struct json_object	*cur;	/* the table of the current section */
	struct buf		 path;	/* its name, for messages */
	struct buf		 str;	/* the string being decoded */
};

static int	fail(struct tp *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	quote_part(struct buf *, const char *);
static void	key_name(struct buf *, const struct buf *, const struct tkey *,
		    size_t);
static size_t	toml_utf8_seq(const unsigned char *, size_t);
static int	check_utf8(struct tp *);
static enum tkind kind_of(struct json_object *);
static void	set_kind(struct json_object *, enum tkind);
static void	clear_kinds(struct json_object *);
static struct json_object *new_table(struct json_object *, const char *,
		    enum tkind);
static int	is_ctl(unsigned char);
static void	skip_ws(struct tp *);
static int	newline(struct tp *);
static int	comment(struct tp *);
static int	end_of_line(struct tp *);
static int	skip_blank(struct tp *);
static int	escape(struct tp *);
static int	line_ending_backslash(struct tp *);
static int	string(struct tp *, int);
static int	simple_key(struct tp *, struct tkey *);
static int	parse_key(struct tp *, struct tkey *);
static int	is_delim(struct tp *);
static int	digits(const char *, size_t, size_t *, int);
static struct json_object *number(struct tp *);
static struct json_object *array(struct tp *);
static struct json_object *value(struct tp *, int);
static int	header(struct tp *, struct tkey *, struct buf *);
static int	keyval(struct tp *, struct tkey *, struct buf *);

/* Records the first error, at byte offset at; always returns -1. */
static int
fail(struct tp *p, size_t at, const char *fmt, ...)
{
	size_t line = 1, bol = 0, k;
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	if (at > p->n)
		at = p->n;
	for (k = 0; k < at; k++)
		if (p->s[k] == '\n') {
			line++;
			bol = k + 1;
		}
	va_start(ap, fmt);
	buf_vfail_at(p->err, p->errsize, line, at - bol + 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends a key part for a message: bare when it can be, else quoted. */
static void
quote_part(struct buf *b, const char *s)
{
	const char *q;

	for (q = s; *q != '\0'; q++)
		if (!(*q >= 'a' && *q <= 'z') && !(*q >= 'A' && *q <= 'Z') &&
		    !(*q >= '0' && *q <= '9') && *q != '_' && *q != '-')
			break;
	if (*q == '\0' && q != s) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (q = s; *q != '\0'; q++) {
		if (*q == '"' || *q == '\\')
			buf_printf(b, "\\%c", *q);
		else if ((unsigned char)*q < 0x20 || *q == 0x7f)
			buf_printf(b, "\\u%04x", (unsigned char)*q);
		else
			buf_putc(b, *q);
	}
	buf_putc(b, '"');
}

/* The section's name (if any) and the first n parts of k, for a message. */
static void
key_name(struct buf *b, const struct buf *section, const struct tkey *k,
    size_t n)
{
	size_t j;

	buf_reset(b);
	if (section != NULL && section->len > 0)
		buf_puts(b, section->data);
	for (j = 0; j < n; j++) {
		if (b->len > 0)
			buf_putc(b, '.');
		quote_part(b, k->text.data + k->off[j]);
	}
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t
toml_utf8_seq(const unsigned char *s, size_t n)
{
	size_t k, j;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 1;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		k = 2;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 3;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n <= k)
		return 0;
	for (j = 1; j <= k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[j] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k + 1;
}

/* A TOML document is UTF-8 throughout. */
static int
check_utf8(struct tp *p)
{
	const unsigned char *u = (const unsigned char *)p->s;
	size_t i = 0, k;

	while (i < p->n) {
		if ((k = toml_utf8_seq(u + i, p->n - i)) == 0)
			return fail(p, i, "invalid UTF-8");
		i += k;
	}
	return 0;
}

static enum tkind
kind_of(struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return T_NONE;
	return (enum tkind)(uintptr_t)json_object_get_userdata(o);
}

static void
set_kind(struct json_object *o, enum tkind k)
{
	json_object_set_userdata(o, (void *)(uintptr_t)k, NULL);
}

/* Takes the parse's bookkeeping out of the tree it returns. */
static void
clear_kinds(struct json_object *o)
{
	struct json_object_iterator it, end;

	json_object_set_userdata(o, NULL, NULL);
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		struct json_object *v = json_object_iter_peek_value(&it);

		if (json_object_is_type(v, json_type_object))
			clear_kinds(v);
	}
}

/* Adds an empty table called name to parent. */
static struct json_object *
new_table(struct json_object *parent, const char *name, enum tkind k)
{
	struct json_object *t;

	if ((t = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a TOML table");
	set_kind(t, k);
	if (json_object_object_add(parent, name, t) != 0)
		log_fatal(EX_OSERR, "unable to add a TOML table");
	return t;
}

/* Control characters other than tab may not appear as they are. */
static int
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void
skip_ws(struct tp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

/* Consumes a newline (LF or CR LF): 1, none there: 0, a lone CR: -1. */
static int
newline(struct tp *p)
{
	if (p->i < p->n && p->s[p->i] == '\n') {
		p->i++;
		return 1;
	}
	if (p->i < p->n && p->s[p->i] == '\r') {
		if (p->i + 1 < p->n && p->s[p->i + 1] == '\n') {
			p->i += 2;
			return 1;
		}
		return fail(p, p->i, "carriage return without a line feed");
	}
	return 0;
}

/* Consumes a comment, if one starts here, up to its newline. */
static int
comment(struct tp *p)
{
	if (p->i >= p->n || p->s[p->i] != '#')
		return 0;
	for (p->i++; p->i < p->n && p->s[p->i] != '\n'; p->i++) {
		if (p->s[p->i] == '\r' && p->i + 1 < p->n &&
		    p->s[p->i + 1] == '\n')
			break;
		if (is_ctl((unsigned char)p->s[p->i]))
			return fail(p, p->i, "control character in a comment");
	}
	return 0;
}

/* White space, a comment, then the newline or the end of the text. */
static int
end_of_line(struct tp *p)
{
	int r;

	skip_ws(p);
	if (comment(p) == -1)
		return -1;
	if (p->i >= p->n)
		return 0;
	if ((r = newline(p)) == -1)
		return -1;
	if (r == 0)
		return fail(p, p->i, "expected the end of the line");
	return 0;
}

/* White space, comments and newlines, as arrays allow between values. */
static int
skip_blank(struct tp *p)
{
	int r;

	for (;;) {
		skip_ws(p);
		if (comment(p) == -1)
			return -1;
		if ((r = newline(p)) == -1)
			return -1;
		if (r == 0)
			return 0;
	}
}

/* Decodes the escape whose backslash is at p->i into p->str. */
static int
escape(struct tp *p)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *e;
	size_t at = p->i, k, len;
	uint32_t cp = 0;
	char u[4];
	int h;

	if (p->i + 1 >= p->n)
		return fail(p, at, "unterminated string");
	if ((e = strchr(from, p->s[p->i + 1])) != NULL && *e != '\0') {
		buf_putc(&p->str, to[e - from]);
		p->i += 2;
		return 0;
	}
	if (p->s[p->i + 1] != 'u' && p->s[p->i + 1] != 'U')
		return fail(p, at, "invalid escape sequence");
	len = p->s[p->i + 1] == 'u' ? 4 : 8;
	for (k = 0; k < len; k++) {
		if (p->i + 2 + k >= p->n ||
		    (h = utf8_xdigit((unsigned char)p->s[p->i + 2 + k])) == -1)
			return fail(p, at, "\\%c needs %zu hexadecimal digits",
			    p->s[p->i + 1], len);
		if (cp > 0x10ffff)
			continue;
		cp = cp << 4 | (uint32_t)h;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(p, at, "escape of an invalid Unicode scalar value");
	buf_add(&p->str, u, utf8_encode(cp, u));
	p->i += 2 + len;
	return 0;
}

/*
 * After a backslash at p->i of a multi-line basic string, one that ends
 * its line: trims it, the line end and the white space and line ends after
 * it.  Returns 1 when it did, 0 when the backslash starts an escape, or -1.
 */
static int
line_ending_backslash(struct tp *p)
{
	size_t at = p->i;
	int r;

	if (p->i + 1 >= p->n || (p->s[p->i + 1] != ' ' &&
	    p->s[p->i + 1] != '\t' && p->s[p->i + 1] != '\n' &&
	    p->s[p->i + 1] != '\r'))
		return 0;
	p->i++;
	skip_ws(p);
	if ((r = newline(p)) == -1)
		return -1;
	if (r == 0)
		return fail(p, at, "invalid escape sequence");
	while ((r = newline(p)) == 1 || (p->i < p->n &&
	    (p->s[p->i] == ' ' || p->s[p->i] == '\t')))
		if (r == 0)
			p->i++;
	return r == -1 ? -1 : 1;
}

/*
 * Decodes the string at p->i (at its first quote: '"' a basic string,
 * '\'' a literal one, without escapes) into p->str; multi-line ones (""" or
 * ''') only when ml is set.
 */
static int
string(struct tp *p, int ml)
{
	size_t at = p->i, q, extra;
	const char quote = p->s[p->i];
	const char delim[3] = { quote, quote, quote };
	unsigned char c;
	int r;

	buf_reset(&p->str);
	if (p->i + 2 < p->n && memcmp(p->s + p->i, delim, 3) == 0) {
		if (!ml)
			return fail(p, at, "a multi-line string cannot be a "
			    "key");
		p->i += 3;
		if (newline(p) == -1)
			return -1;
	} else {
		ml = 0;
		p->i++;
	}
	for (;;) {
		if (p->i >= p->n)
			return fail(p, at, "unterminated string");
		c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)quote) {
			for (q = 0; p->i + q < p->n && p->s[p->i + q] == quote;
			    q++)
				;
			if (!ml) {
				p->i++;
				return 0;
			}
			if (q < 3) {
				buf_add(&p->str, delim, q);
				p->i += q;
				continue;
			}
			extra = q - 3 > 2 ? 2 : q - 3;
			buf_add(&p->str, delim, extra);
			p->i += extra + 3;
			return 0;
		}
		if (c == '\\' && quote == '"') {
			if (ml && (r = line_ending_backslash(p)) != 0) {
				if (r == -1)
					return -1;
				continue;
			}
			if (escape(p) == -1)
				return -1;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!ml)
				return fail(p, at, "unterminated string");
			if (newline(p) == -1)
				return -1;
			buf_putc(&p->str, '\n');
			continue;
		}
		if (is_ctl(c))
			return fail(p, p->i, "control character in a string");
		buf_putc(&p->str, c);
		p->i++;
	}
}

/* One part of a key: bare, or a one-line basic or literal string. */
static int
simple_key(struct tp *p, struct tkey *k)
{
	size_t at = p->i, start;
	int r;

	if (k->n == TOML_MAX_DEPTH)
		return fail(p, at, "a key has more than %d parts",
		    TOML_MAX_DEPTH);
	if (p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
		r = string(p, 0);
		if (r == -1)
			return -1;
		if (memchr(p->str.data, '\0', p->str.len) != NULL)
			return fail(p, at, "a key cannot contain NUL");
		k->off[k->n] = k->text.len;
		buf_add(&k->text, p->str.data, p->str.len);
	} else {
		for (start = p->i; p->i < p->n; p->i++) {
			char c = p->s[p->i];

			if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
			    !(c >= '0' && c <= '9') && c != '_' && c != '-')
				break;
		}
		if (p->i == start)
			return fail(p, at, "expected a key");
		k->off[k->n] = k->text.len;
		buf_add(&k->text, p->s + start, p->i - start);
	}
	buf_add(&k->text, "", 1);
	k->at[k->n++] = at;
	return 0;
}

/* A key of one or more parts separated by dots. */
static int
parse_key(struct tp *p, struct tkey *k)
{
	buf_reset(&k->text);
	k->n = 0;
	for (;;) {
		if (simple_key(p, k) == -1)
			return -1;
		skip_ws(p);
		if (p->i >= p->n || p->s[p->i] != '.')
			return 0;
		p->i++;
		skip_ws(p);
	}
}

/* What may follow a number or a boolean. */
static int
is_delim(struct tp *p)
{
	return p->i >= p->n || strchr(" \t\r\n#,]", p->s[p->i]) != NULL;
}

/*
 * Digits of base (2, 8, 10 or 16) at s[*i..n), underscores only between
 * two digits; returns how many digits, or -1 on a misplaced underscore.
 */
static int
digits(const char *s, size_t n, size_t *i, int base)
{
	int count = 0, h;

	for (; *i < n; (*i)++) {
		if (s[*i] == '_') {
			if (count == 0 || *i + 1 >= n ||
			    (h = utf8_xdigit((unsigned char)s[*i + 1])) == -1 ||
			    h >= base)
				return -1;
			continue;
		}
		if ((h = utf8_xdigit((unsigned char)s[*i])) == -1 || h >= base)
			break;
		count++;
	}
	return count;
}

/* An integer or a float at p->i (a digit, a sign, "inf" or "nan"). */
static struct json_object *
number(struct tp *p)
{
	struct json_object *o;
	const char *t = p->s + p->i;
	size_t at = p->i, len, j, k, intstart;
	uint64_t u, lim;
	char tmp[128];
	int base, neg = 0, isfloat = 0, d;
	double f;

	for (len = 0; p->i + len < p->n &&
	    strchr("0123456789abcdefABCDEFxXoOnNiI_+-.:TtZz",
	    p->s[p->i + len]) != NULL && p->s[p->i + len] != '\0'; len++)
		;
	if (memchr(t, ':', len) != NULL || (len >= 5 && t[4] == '-' &&
	    digits(t, 4, &(size_t){ 0 }, 10) == 4)) {
		fail(p, at, "dates and times are not supported");
		return NULL;
	}
	j = 0;
	if (len >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' ||
	    t[1] == 'b')) {
		base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
		j = 2;
		if (digits(t, len, &j, base) <= 0 || j != len)
			goto bad;
		for (u = 0, k = 2; k < len; k++) {
			if (t[k] == '_')
				continue;
			d = utf8_xdigit((unsigned char)t[k]);
			if (u > ((uint64_t)INT64_MAX - (uint64_t)d) /
			    (uint64_t)base) {
				fail(p, at, "integer out of range");
				return NULL;
			}
			u = u * (uint64_t)base + (uint64_t)d;
		}
		goto integer;
	}
	if (j < len && (t[j] == '+' || t[j] == '-'))
		neg = t[j++] == '-';
	if (len - j == 3 && (memcmp(t + j, "inf", 3) == 0 ||
	    memcmp(t + j, "nan", 3) == 0)) {
		f = t[j] == 'i' ? INFINITY : NAN;
		if (neg)
			f = -f;
		p->i += len;
		goto real;
	}
	intstart = j;
	if (digits(t, len, &j, 10) <= 0)
		goto bad;
	if (t[intstart] == '0' && j - intstart > 1) {
		fail(p, at, "leading zeros are not allowed");
		return NULL;
	}
	if (j < len && t[j] == '.') {
		j++;
		isfloat = 1;
		if (digits(t, len, &j, 10) <= 0)
			goto bad;
	}
	if (j < len && (t[j] == 'e' || t[j] == 'E')) {
		j++;
		isfloat = 1;
		if (j < len && (t[j] == '+' || t[j] == '-'))
			j++;
		if (digits(t, len, &j, 10) <= 0)
			goto bad;
	}
	if (j != len)
		goto bad;
	if (isfloat) {
		if (len >= sizeof(tmp)) {
			fail(p, at, "float too long");
			return NULL;
		}
		for (j = k = 0; j < len; j++)
			if (t[j] != '_')
				tmp[k++] = t[j];
		tmp[k] = '\0';
		errno = 0;
		f = strtod(tmp, NULL);
		if (errno == ERANGE && isinf(f)) {
			fail(p, at, "float out of range");
			return NULL;
		}
		p->i += len;
		goto real;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (u = 0, k = intstart; k < len; k++) {
		if (t[k] == '_')
			continue;
		d = t[k] - '0';
		if (u > (lim - (uint64_t)d) / 10) {
			fail(p, at, "integer out of range");
			return NULL;
		}
		u = u * 10 + (uint64_t)d;
	}
integer:
	p->i += len;
	if ((o = json_object_new_int64(neg ? (int64_t)(0 - u) :
	    (int64_t)u)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a TOML value");
	return o;
real:
	if ((o = json_object_new_double(f)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a TOML value");
	return o;
bad:
	fail(p, at, "invalid number");
	return NULL;
}

/* An array of scalars, at its '['. */
static struct json_object *
array(struct tp *p)
{
	struct json_object *a, *v;
	size_t at = p->i;

	if ((a = json_object_new_array()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a TOML array");
	p->i++;
	for (;;) {
		if (skip_blank(p) == -1)
			goto err;
		if (p->i >= p->n) {
			fail(p, at, "unterminated array");
			goto err;
		}
		if (p->s[p->i] == ']')
			break;
		if ((v = value(p, 1)) == NULL)
			goto err;
		if (json_object_array_add(a, v) != 0)
			log_fatal(EX_OSERR, "unable to grow a TOML array");
		if (skip_blank(p) == -1)
			goto err;
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']')
			break;
		if (p->i >= p->n)
			fail(p, at, "unterminated array");
		else
			fail(p, p->i, "expected ',' or ']' in an array");
		goto err;
	}
	p->i++;
	return a;
err:
	json_object_put(a);
	return NULL;
}

/* The value at p->i; in_array forbids the values arrays may not hold. */
static struct json_object *
value(struct tp *p, int in_array)
{
	struct json_object *o;
	size_t at = p->i;
	int r;
	char c;

	if (p->i >= p->n || p->s[p->i] == '\n' || p->s[p->i] == '\r' ||
	    p->s[p->i] == '#') {
		fail(p, at, "expected a value");
		return NULL;
	}
	c = p->s[p->i];
	if (c == '"' || c == '\'') {
		r = string(p, 1);
		if (r == -1)
			return NULL;
		if ((o = json_object_new_string_len(p->str.data,
		    (int)p->str.len)) == NULL)
			log_fatal(EX_OSERR, "unable to allocate a TOML string");
		return o;
	}
	if (c == '[') {
		if (in_array) {
			fail(p, at, "arrays of arrays are not supported");
			return NULL;
		}
		return array(p);
	}
	if (c == '{') {
		fail(p, at, "inline tables are not supported");
		return NULL;
	}
	if (c == 't' || c == 'f') {
		r = c == 't';
		if (p->n - p->i >= (r ? 4u : 5u) &&
		    memcmp(p->s + p->i, r ? "true" : "false", r ? 4 : 5) == 0) {
			p->i += r ? 4 : 5;
			if (!is_delim(p)) {
				fail(p, at, "invalid value");
				return NULL;
			}
			if ((o = json_object_new_boolean(r)) == NULL)
				log_fatal(EX_OSERR, "unable to allocate a "
				    "TOML value");
			return o;
		}
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
	    (p->n - p->i >= 3 && (memcmp(p->s + p->i, "inf", 3) == 0 ||
	    memcmp(p->s + p->i, "nan", 3) == 0))) {
		if ((o = number(p)) == NULL)
			return NULL;
		if (!is_delim(p)) {
			json_object_put(o);
			fail(p, at, "invalid value");
			return NULL;
		}
		return o;
	}
	fail(p, at, "invalid value");
	return NULL;
}

/* A table header, at its '['. */
static int
header(struct tp *p, struct tkey *k, struct buf *name)
{
	struct json_object *t, *x;
	size_t at = p->i, j;
	enum tkind kind;

	p->i++;
	if (p->i < p->n && p->s[p->i] == '[')
		return fail(p, at, "arrays of tables are not supported");
	skip_ws(p);
	if (parse_key(p, k) == -1)
		return -1;
	if (p->i >= p->n || p->s[p->i] != ']')
		return fail(p, p->i, "expected ']' after the table name");
	p->i++;
	t = p->root;
	for (j = 0; j < k->n; j++) {
		const char *part = k->text.data + k->off[j];

		if (!json_object_object_get_ex(t, part, &x)) {
			t = new_table(t, part, j + 1 < k->n ? T_IMPLICIT :
			    T_HEADER);
			continue;
		}
		key_name(name, NULL, k, j + 1);
		if ((kind = kind_of(x)) == T_NONE)
			return fail(p, k->at[j], "%s is not a table",
			    name->data);
		t = x;
		if (j + 1 < k->n)
			continue;
		if (kind == T_HEADER)
			return fail(p, at, "table [%s] is defined twice",
			    name->data);
		if (kind == T_DOTTED)
			return fail(p, at, "table [%s] was defined by dotted "
			    "keys", name->data);
		set_kind(t, T_HEADER);
	}
	p->cur = t;
	key_name(&p->path, NULL, k, k->n);
	return end_of_line(p);
}

/* A key/value pair of the current table, at its key. */
static int
keyval(struct tp *p, struct tkey *k, struct buf *name)
{
	struct json_object *t = p->cur, *x, *v;
	size_t at = p->i, j;

	if (parse_key(p, k) == -1)
		return -1;
	if (p->i >= p->n || p->s[p->i] != '=')
		return fail(p, p->i, "expected '=' after a key");
	p->i++;
	skip_ws(p);
	for (j = 0; j + 1 < k->n; j++) {
		const char *part = k->text.data + k->off[j];

		if (!json_object_object_get_ex(t, part, &x)) {
			t = new_table(t, part, T_DOTTED);
			continue;
		}
		key_name(name, &p->path, k, j + 1);
		if (kind_of(x) == T_NONE)
			return fail(p, k->at[j], "%s is not a table",
			    name->data);
		if (kind_of(x) != T_DOTTED)
			return fail(p, k->at[j], "table %s cannot be added "
			    "to with dotted keys", name->data);
		t = x;
	}
	if (json_object_object_get_ex(t, k->text.data + k->off[k->n - 1],
	    NULL)) {
		key_name(name, &p->path, k, k->n);
		return fail(p, at, "%s is defined twice", name->data);
	}
	if ((v = value(p, 0)) == NULL)
		return -1;
	if (json_object_object_add(t, k->text.data + k->off[k->n - 1],
	    v) != 0)
		log_fatal(EX_OSERR, "unable to add a TOML value");
	return end_of_line(p);
}

struct json_object *
toml_parse(const char *text, size_t len, char *err, size_t errsize)
{
	struct tp p = { .s = text, .n = len, .err = err, .errsize = errsize };
	struct tkey k;
	struct buf name;
	int r = 0;

	if (errsize > 0)
		err[0] = '\0';
	buf_init(&p.str);
	buf_reserve(&p.str, 64);	/* never NULL, even for "" */
	buf_init(&p.path);
	buf_init(&k.text);
	buf_init(&name);
	if ((p.root = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a TOML table");
	set_kind(p.root, T_ROOT);
	p.cur = p.root;
	if (check_utf8(&p) == -1)
		r = -1;
	while (r == 0 && p.i < p.n) {
		skip_ws(&p);
		if (p.i >= p.n)
			break;
		switch (p.s[p.i]) {
		case '#':
		case '\n':
		case '\r':
			r = end_of_line(&p);
			break;
		case '[':
			r = header(&p, &k, &name);
			break;
		default:
			r = keyval(&p, &k, &name);
			break;
		}
	}
	buf_free(&p.str);
	buf_free(&p.path);
	buf_free(&k.text);
	buf_free(&name);
	if (r == -1) {
		json_object_put(p.root);
		return NULL;
	}
	clear_kinds(p.root);
	return p.root;
}
