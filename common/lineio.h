/*
 * lineio: a bounded reader of newline-terminated lines from a file
 * descriptor, usable from a poll loop.
 *
 * lineio_fill reads what the descriptor has (one read(2)); lineio_next hands
 * out complete lines from the buffer.  A line longer than max bytes is
 * returned once as LINE_TOOLONG with its first max bytes, the rest of it is
 * discarded, and reading goes on with the next line.  A last line without a
 * newline is returned at EOF as LINE_OK with partial set: the writer may
 * have stopped in the middle of it, and a caller that must not act on half
 * a line checks it.  Line pointers stay valid until the next lineio_fill.
 * The buffer grows up to max + 2 bytes.
 */
#ifndef CCX_LINEIO_H
#define CCX_LINEIO_H

#include <stddef.h>
#include <sys/types.h>

#define LINEIO_DEFAULT_MAX	(64u * 1024 * 1024)

enum { LINE_OK, LINE_AGAIN, LINE_EOF, LINE_TOOLONG };

struct lineio {
	int		 fd;
	char		*buf;
	size_t		 cap;
	size_t		 start;		/* first unconsumed byte */
	size_t		 len;		/* bytes in buf */
	size_t		 scan;		/* bytes already searched for '\n' */
	size_t		 max;
	unsigned long	 lineno;	/* number of the last line returned */
	int		 eof;
	int		 skipping;	/* discarding the rest of a long line */
	int		 partial;	/* the last LINE_OK had no newline */
};

void	lineio_init(struct lineio *, int fd, size_t max);
/* Frees the buffer: l is then empty, as lineio_init left it (the same fd
 * and limit), and may be freed again. */
void	lineio_free(struct lineio *);
/* Returns bytes read, 0 at EOF, or -1 with errno (EAGAIN, EINTR, ...). */
ssize_t	lineio_fill(struct lineio *);
/* LINE_OK or LINE_TOOLONG: *line, *len set (no newline, NUL-terminated),
 * partial set when a LINE_OK is the last line at EOF without a newline and
 * cleared otherwise; LINE_AGAIN: call lineio_fill first; LINE_EOF: no more
 * lines. */
int	lineio_next(struct lineio *, char **line, size_t *len);
/* Blocking convenience: fills as needed; returns as lineio_next, or -1 on a
 * read error (errno set). */
int	lineio_get(struct lineio *, char **line, size_t *len);

#endif
