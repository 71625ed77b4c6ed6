#include "utf8.h"

size_t
utf8_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_seq(p, (size_t)(end - p))) == 0)
			break;
		p += k;
	}
	return (size_t)(p - (const unsigned char *)s);
}

int
utf8_valid(const char *s, size_t n)
{
	return utf8_prefix(s, n) == n;
}

size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	if (n <= max)
		return n;
	i = max;
	/* Back up over continuation bytes to the start of a character. */
	while (i > 0 && (p[i] & 0xc0) == 0x80)
		i--;
	return i;
}
