/*
 * utf8: the one UTF-8 decoder of the project, and what is built on it.
 *
 * Valid UTF-8 is that of RFC 3629: no overlong forms, no surrogates
 * (U+D800 to U+DFFF), nothing above U+10FFFF.  utf8_seq is inline because
 * the JSON scanner (jscan) and buf_json_str call it for every byte above
 * 0x7f of the results path; utf8_xdigit and utf8_encode serve the \u
 * escapes of JSON (jscan) and TOML (toml).  Nothing here allocates or fails.
 */
#ifndef CCX_UTF8_H
#define CCX_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1 to 4) of the valid UTF-8 sequence at s, of which n > 0 bytes
 * may be read, or 0 when s does not start one. */
static inline size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;	/* a continuation byte, or overlong */
	if (c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/* The value of the hexadecimal digit c (of a \u escape), or -1. */
static inline int
utf8_xdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Writes the UTF-8 of the code point cp (at most U+10FFFF; the caller
 * rules out surrogates) to out; returns its length, 1 to 4. */
size_t	utf8_encode(uint32_t cp, char out[4]);
/* Returns 1 when s[0..n) is valid UTF-8. */
int	utf8_valid(const char *, size_t);
/* Length of the longest valid UTF-8 prefix of s[0..n). */
size_t	utf8_prefix(const char *, size_t);
/* Length of the longest prefix of s[0..n) that is at most max bytes and
 * ends on a character boundary. */
size_t	utf8_cut(const char *, size_t n, size_t max);

#endif
