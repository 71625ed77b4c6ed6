#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

#define MASKLEN		(sizeof(REDACT_MASK) - 1)

static size_t	splice(char *, size_t, size_t, size_t);
static int	masked(const char *, size_t);
static char	*mask_value(char *, size_t, char *, char *, int *);
static char	*quoted_end(char *, char);
static char	*blanks_after(char *);
static char	*blanks_before(const char *, char *);
static int	ends_with(const char *, size_t, const char *);
static int	contains(const char *, size_t, const char *);
static int	rest_key(const char *, size_t);
static int	url_end(unsigned char);
static int	value_end(unsigned char);
static int	key_char(unsigned char);
static int	urls(char *, size_t);
static int	settings(char *, size_t);
static int	members(char *, size_t);
static int	headers(char *, size_t);

int
redact_is_secret_key(const char *k, size_t n)
{
	return contains(k, n, "password") || contains(k, n, "passwd") ||
	    contains(k, n, "secret") || ends_with(k, n, "token") ||
	    ends_with(k, n, "key.pem") || ends_with(k, n, "ssl_key") ||
	    ends_with(k, n, "private_key") || ends_with(k, n, "apikey") ||
	    ends_with(k, n, "api_key") || ends_with(k, n, "oauthbearer.config");
}

void
redact_text(char *s, size_t size)
{
	int round, n;

	if (s == NULL || size == 0)
		return;
	/* A mask can join what a blank or a quote kept apart: again, until
	 * nothing changes (masked values are skipped, so this ends). */
	for (round = 0; round < 4; round++) {
		n = urls(s, size);
		n += settings(s, size);
		n += members(s, size);
		n += headers(s, size);
		if (n == 0)
			break;
	}
}

void
redact_value(char *s, size_t size, const char *v, size_t n)
{
	char *p;
	size_t i;

	if (s == NULL || size == 0 || n == 0)
		return;
	for (p = s; (p = memmem(p, strlen(p), v, n)) != NULL; p = s + i)
		i = splice(s, size, (size_t)(p - s), (size_t)(p - s) + n);
}

/*
 * Replaces s[a..b) by the mask, cutting what no longer fits; returns the
 * offset just past the mask.
 */
static size_t
splice(char *s, size_t size, size_t a, size_t b)
{
	size_t len = strlen(s), tail = len - b;

	if (a + MASKLEN >= size) {
		s[a] = '\0';
		return a;
	}
	if (a + MASKLEN + tail >= size)
		tail = size - 1 - a - MASKLEN;
	memmove(s + a + MASKLEN, s + b, tail);
	memcpy(s + a, REDACT_MASK, MASKLEN);
	s[a + MASKLEN + tail] = '\0';
	return a + MASKLEN;
}

/* The value v[0..n) is a mask already (all of it: "***secret" is not). */
static int
masked(const char *v, size_t n)
{
	static const char *const done[] = { REDACT_MASK, "(secret)",
	    "[redacted]" };
	size_t i;

	for (i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		if (n == strlen(done[i]) && memcmp(v, done[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Masks the value s[v..e) unless it is empty or a mask already, counting
 * a mask in *n; returns where the scan goes on.
 */
static char *
mask_value(char *s, size_t size, char *v, char *e, int *n)
{
	if (e == v || masked(v, (size_t)(e - v)))
		return v;
	(*n)++;
	return s + splice(s, size, (size_t)(v - s), (size_t)(e - s));
}

/* The closing quote q of the string whose contents start at v (a
 * backslash escapes the byte after it), or its terminating NUL. */
static char *
quoted_end(char *v, char q)
{
	for (; *v != '\0' && *v != q; v++)
		if (*v == '\\' && v[1] != '\0')
			v++;
	return v;
}

/* The position after the blanks (spaces, tabs) at p. */
static char *
blanks_after(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The start of the blanks that end at p, not before s. */
static char *
blanks_before(const char *s, char *p)
{
	while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	return p;
}

static int
ends_with(const char *k, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n >= l && strncasecmp(k + n - l, suffix, l) == 0;
}

static int
contains(const char *k, size_t n, const char *word)
{
	size_t i, l = strlen(word);

	for (i = 0; i + l <= n; i++)
		if (strncasecmp(k + i, word, l) == 0)
			return 1;
	return 0;
}

/* Secrets whose values may hold blanks: mask the rest of the line (of the
 * PEM block). */
static int
rest_key(const char *k, size_t n)
{
	return ends_with(k, n, "key.pem") || ends_with(k, n, "ssl_key") ||
	    ends_with(k, n, "private_key") ||
	    ends_with(k, n, "oauthbearer.config");
}

/* Where a URL in running text ends. */
static int
url_end(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>';
}

/* Where an unquoted value ends. */
static int
value_end(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' ||
	    c == '&';
}

static int
key_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/*
 * scheme://userinfo@host: the userinfo ends at the last '@' before the
 * URL ends, so that a password holding '/', '?' or '#' (which a URL should
 * have percent-encoded) is masked all the same.
 */
static int
urls(char *s, size_t size)
{
	int n = 0;
	char *p, *start, *end, *at, *colon, *a;

	for (p = s; (p = strstr(p, "://")) != NULL;) {
		start = p + 3;
		for (end = start; *end != '\0' && !url_end(*end); end++)
			;
		at = memrchr(start, '@', (size_t)(end - start));
		if (at == NULL || at == start) {
			p = start;
			continue;
		}
		colon = memchr(start, ':', (size_t)(at - start));
		a = colon != NULL ? colon + 1 : start;
		if (a == at || masked(a, (size_t)(at - a))) {
			p = at + 1;
			continue;
		}
		n++;
		p = s + splice(s, size, (size_t)(a - s), (size_t)(at - s));
	}
	return n;
}

/* key=value and key = value, the value quoted ('...', "...") or not. */
static int
settings(char *s, size_t size)
{
	int n = 0;
	char *p, *k, *ke, *v, *e;

	for (p = s; (p = strchr(p, '=')) != NULL;) {
		ke = blanks_before(s, p);
		for (k = ke; k > s && key_char((unsigned char)k[-1]); k--)
			;
		if (k == ke || !redact_is_secret_key(k, (size_t)(ke - k))) {
			p++;
			continue;
		}
		v = blanks_after(p + 1);
		if (rest_key(k, (size_t)(ke - k)) &&
		    strncmp(v, "-----BEGIN", 10) == 0) {
			/* A PEM block, across lines. */
			if ((e = strstr(v + 10, "-----END")) == NULL)
				e = v + strlen(v);
			else
				e += strcspn(e, "\r\n");
		} else if (rest_key(k, (size_t)(ke - k)))
			e = v + strcspn(v, "\r\n");
		else if (*v == '\'' || *v == '"') {
			if (*(e = quoted_end(v + 1, *v)) != '\0')
				e++;
		} else
			for (e = v; *e != '\0' && !value_end(*e); e++)
				;
		p = mask_value(s, size, v, e, &n);
	}
	return n;
}

/* "key": "value" with a secret key: the string's contents. */
static int
members(char *s, size_t size)
{
	int n = 0;
	char *p, *k, *ke, *v;

	for (p = s; (p = strchr(p, ':')) != NULL;) {
		ke = blanks_before(s, p);
		if (ke == s || ke[-1] != '"') {
			p++;
			continue;
		}
		ke--;
		for (k = ke; k > s && k[-1] != '"'; k--)
			;
		v = blanks_after(p + 1);
		if (k == s || *v != '"' ||
		    !redact_is_secret_key(k, (size_t)(ke - k))) {
			p++;
			continue;
		}
		v++;
		p = mask_value(s, size, v, quoted_end(v, '"'), &n);
	}
	return n;
}

/* Authorization: SCHEME CREDENTIALS, to the end of the line. */
static int
headers(char *s, size_t size)
{
	int n = 0;
	char *p, *v, *e;

	for (p = s; (p = strcasestr(p, "authorization:")) != NULL;) {
		v = blanks_after(p + 14);
		for (e = v; *e != '\0' && *e != ' ' && *e != '\r' &&
		    *e != '\n'; e++)
			;
		if (*e == ' ')	/* a scheme: keep it */
			for (v = e; *v == ' '; v++)
				;
		for (e = v; *e != '\0' && *e != '\r' && *e != '\n'; e++)
			;
		p = mask_value(s, size, v, e, &n);
	}
	return n;
}
