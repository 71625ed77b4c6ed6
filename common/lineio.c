#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"

void
lineio_init(struct lineio *l, int fd, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->max = max ? max : LINEIO_DEFAULT_MAX;
}

void
lineio_free(struct lineio *l)
{
	free(l->buf);
	lineio_init(l, l->fd, l->max);
}

ssize_t
lineio_fill(struct lineio *l)
{
	size_t want, ncap;
	ssize_t n;
	char *p;

	if (l->eof)
		return 0;
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->len - l->start);
		l->len -= l->start;
		l->scan -= l->start;
		l->start = 0;
	}
	/* Room for max bytes, the newline and the NUL. */
	if (l->cap - l->len < 4096 && l->cap < l->max + 2) {
		ncap = l->cap ? l->cap * 2 : 65536;
		if (ncap > l->max + 2)
			ncap = l->max + 2;
		if ((p = realloc(l->buf, ncap)) == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu bytes", ncap);
		l->buf = p;
		l->cap = ncap;
	}
	want = l->cap - l->len - 1;
	if (want == 0) {
		/* Full buffer without a newline: lineio_next reports it. */
		return 1;
	}
	n = read(l->fd, l->buf + l->len, want);
	if (n == 0)
		l->eof = 1;
	if (n > 0)
		l->len += (size_t)n;
	return n;
}

int
lineio_next(struct lineio *l, char **line, size_t *len)
{
	char *nl;
	size_t n;

	l->partial = 0;
	for (;;) {
		nl = l->len > l->scan ?
		    memchr(l->buf + l->scan, '\n', l->len - l->scan) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - (l->buf + l->start));
			*nl = '\0';
			*line = l->buf + l->start;
			l->start += n + 1;
			l->scan = l->start;
			if (l->skipping) {
				l->skipping = 0;
				continue;
			}
			l->lineno++;
			if (n > l->max) {
				(*line)[l->max] = '\0';
				*len = l->max;
				return LINE_TOOLONG;
			}
			*len = n;
			return LINE_OK;
		}
		l->scan = l->len;
		n = l->len - l->start;
		if (n > l->max) {
			/* Over-long: report the prefix now, drop the rest. */
			if (l->skipping) {
				l->start = l->len = l->scan = 0;
				return LINE_AGAIN;
			}
			l->lineno++;
			l->skipping = 1;
			*line = l->buf + l->start;
			*len = l->max;
			(*line)[l->max] = '\0';
			/* Keep nothing: the caller copies what it needs. */
			l->start = l->scan = l->len;
			return LINE_TOOLONG;
		}
		if (!l->eof)
			return LINE_AGAIN;
		if (n == 0 || l->skipping)
			return LINE_EOF;
		/* A last line without a newline. */
		l->buf[l->len] = '\0';
		*line = l->buf + l->start;
		*len = n;
		l->start = l->scan = l->len;
		l->lineno++;
		l->partial = 1;
		return LINE_OK;
	}
}

int
lineio_get(struct lineio *l, char **line, size_t *len)
{
	ssize_t n;
	int r;

	while ((r = lineio_next(l, line, len)) == LINE_AGAIN) {
		n = lineio_fill(l);
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return r;
}
