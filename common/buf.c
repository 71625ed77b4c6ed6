#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "log.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_init_fixed(struct buf *b, char *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->data = mem;
	b->cap = cap;
	b->fixed = 1;
	if (cap > 0)
		mem[0] = '\0';
}

void
buf_free(struct buf *b)
{
	if (!b->fixed)
		free(b->data);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->trunc = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL; returns how many fit. */
static size_t
room(struct buf *b, size_t n)
{
	size_t ncap;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return n;
	if (b->fixed) {
		b->trunc = 1;
		return b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
	}
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n + 1) {
		if (ncap > SIZE_MAX / 2)
			log_fatal(EX_OSERR, "buffer size overflow");
		ncap *= 2;
	}
	if ((p = realloc(b->data, ncap)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu bytes", ncap);
	b->data = p;
	b->cap = ncap;
	return n;
}

void
buf_reserve(struct buf *b, size_t n)
{
	(void)room(b, n);
}

void *
buf_grow_array(void *v, size_t *cap, size_t first, size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : first;

	if (ncap < *cap || (v = reallocarray(v, ncap, sz)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	*cap = ncap;
	return v;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	n = room(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	if (b->cap > 0)
		b->data[b->len] = '\0';
}

void
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

int
buf_vfail_at(char *err, size_t size, size_t line, size_t col,
    const char *fmt, va_list ap)
{
	int n;

	n = snprintf(err, size, "line %zu, column %zu: ", line, col);
	if (n >= 0 && (size_t)n < size)
		vsnprintf(err + n, size - (size_t)n, fmt, ap);
	return -1;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (room(b, (size_t)n) < (size_t)n) {
		/* Fixed buffer: format what fits. */
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		b->len = strlen(b->data);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_put_i64(struct buf *b, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

	buf_add(b, tmp, (size_t)n);
}

/*
 * Appends the character at p (before end), or U+FFFD for a byte that does
 * not start valid UTF-8; returns the position after what it took.
 */
static const unsigned char *
put_char(struct buf *b, const unsigned char *p, const unsigned char *end)
{
	size_t k;

	if ((k = utf8_seq(p, (size_t)(end - p))) == 0) {
		buf_add(b, "\xef\xbf\xbd", 3);
		return p + 1;
	}
	buf_add(b, p, k);
	return p + k;
}

void
buf_utf8_repair(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end)
		p = put_char(b, p, end);
}

void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run;

	buf_reserve(b, n + 2);
	buf_putc(b, '"');
	while (p < end) {
		run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p > run)
			buf_add(b, run, (size_t)(p - run));
		if (p >= end)
			break;
		if (*p >= 0x80) {
			p = put_char(b, p, end);
			continue;
		}
		switch (*p) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4],
			    hex[*p & 15] };
			buf_add(b, u, 6);
		}
		}
		p++;
	}
	buf_putc(b, '"');
}

void
buf_json_strv(struct buf *b, const char *const *v, size_t n)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, v[i], strlen(v[i]));
	}
	buf_putc(b, ']');
}

/*
 * What buf_json_valid does with a byte: 0 copies it, 1 escapes it as
 * \u00XX, 2 starts a UTF-8 sequence, or the letter of a short escape.
 */
static const unsigned char json_esc[256] = {
	[0x00 ... 0x08] = 1, ['\t'] = 't', ['\n'] = 'n', [0x0b ... 0x0c] = 1,
	['\r'] = 'r', [0x0e ... 0x1f] = 1,
	['"'] = '"', ['\\'] = '\\',
	[0x80 ... 0xff] = 2,
};

/*
 * buf_json_str for text that must be valid UTF-8, in one pass: the
 * results path's hot loop (kafka-reader writes every record value with
 * it).  It writes into room reserved a chunk at a time (an escape is at
 * most 6 bytes a byte) rather than a buf_add per run.
 */
int
buf_json_valid(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *stop;
	size_t start = b->len, chunk, k;
	char *o;

	if (b->fixed) {
		if (!utf8_valid(s, n))
			return -1;
		buf_json_str(b, s, n);
		return 0;
	}
	buf_putc(b, '"');
	while (p < end) {
		chunk = (size_t)(end - p) < 4096 ? (size_t)(end - p) : 4096;
		buf_reserve(b, 6 * chunk + 4);
		o = b->data + b->len;
		for (stop = p + chunk; p < stop; ) {
			unsigned c = *p, e = json_esc[c];

			if (e == 0) {
				*o++ = (char)c;
				p++;
			} else if (e == 2) {
				/* May run past stop: the room has 3 spare. */
				if ((k = utf8_seq(p, (size_t)(end - p))) == 0) {
					b->len = start;
					b->data[start] = '\0';
					return -1;
				}
				memcpy(o, p, k);
				o += k;
				p += k;
			} else if (e == 1) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				o += 6;
				p++;
			} else {
				o[0] = '\\';
				o[1] = (char)e;
				o += 2;
				p++;
			}
		}
		b->len = (size_t)(o - b->data);
	}
	buf_putc(b, '"');
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
buf_base64(struct buf *b, const void *src, size_t n)
{
	const unsigned char *p = src;
	char q[4];
	size_t i;

	buf_reserve(b, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = b64[p[i + 2] & 63];
		buf_add(b, q, 4);
	}
	if (i < n) {
		q[0] = b64[p[i] >> 2];
		if (i + 1 < n) {
			q[1] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = b64[(p[i + 1] & 15) << 2];
		} else {
			q[1] = b64[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		buf_add(b, q, 4);
	}
}

static int
b64val(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

int
buf_unbase64(struct buf *b, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(b, (int)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

static void
arr_sep(struct buf *b)
{
	buf_putc(b, b->len == 0 ? '{' : ',');
}

void
buf_arr_str(struct buf *b, const char *s, size_t n)
{
	size_t i;

	arr_sep(b);
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(b, '\\');
		if (s[i] != '\0')
			buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

void
buf_arr_raw(struct buf *b, const char *s)
{
	arr_sep(b);
	buf_puts(b, s);
}

void
buf_arr_null(struct buf *b)
{
	buf_arr_raw(b, "NULL");
}

void
buf_arr_end(struct buf *b)
{
	if (b->len == 0)
		buf_putc(b, '{');
	buf_putc(b, '}');
}
