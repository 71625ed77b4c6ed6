/*
 * fuzz-lineio: the bounded line reader of common/lineio.c against a model
 * of its contract (lineio.h).
 *
 * Input: byte 0 sets the line limit (bit 7 set: the default limit, else
 * 1 + the low six bits), byte 1 the mode (bit 0 clear: a non-blocking pipe
 * written in chunks between lineio_fill calls; set: a memfd read with
 * lineio_get), byte 2 seeds the chunk sizes; the rest is the stream.
 *
 * Every line returned must be what the model expects: the stream split at
 * '\n', a last line without a newline returned at EOF, a line longer than
 * the limit returned once as LINE_TOOLONG with its first max bytes.  Each
 * line is NUL-terminated, has no '\n', is at most max bytes, and line
 * numbers go up by one.  A line of exactly max bytes is an ordinary line
 * (corpus/lineio/regress-exact-max-*: it used to be LINE_TOOLONG).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "lineio.h"

struct model {
	const unsigned char	*s;	/* the stream */
	size_t			 n;
	size_t			 pos;	/* start of the next line */
	size_t			 max;
	unsigned long		 lineno;
};

static void	expect_line(struct model *, int, const char *, size_t,
		    unsigned long);
static void	expect_eof(const struct model *);
static void	run_pipe(struct model *, unsigned int);
static void	run_memfd(struct model *);

/* Checks one line the reader returned against the model's next one. */
static void
expect_line(struct model *m, int r, const char *line, size_t len,
    unsigned long lineno)
{
	const unsigned char *nl;
	size_t want;
	int kind;

	FUZZ_ASSERT(r == LINE_OK || r == LINE_TOOLONG, "r %d", r);
	FUZZ_ASSERT(len <= m->max, "len %zu max %zu", len, m->max);
	FUZZ_ASSERT(memchr(line, '\n', len) == NULL, "newline in line %lu",
	    lineno);
	FUZZ_ASSERT(line[len] == '\0', "line %lu not NUL-terminated", lineno);
	FUZZ_ASSERT(lineno == m->lineno + 1, "line number %lu after %lu",
	    lineno, m->lineno);
	FUZZ_ASSERT(m->pos < m->n, "line %lu returned past the end", lineno);
	nl = memchr(m->s + m->pos, '\n', m->n - m->pos);
	want = nl != NULL ? (size_t)(nl - (m->s + m->pos)) : m->n - m->pos;
	kind = want > m->max ? LINE_TOOLONG : LINE_OK;
	FUZZ_ASSERT(r == kind, "line %lu of %zu bytes (max %zu) returned as "
	    "%s", lineno, want, m->max, r == LINE_OK ? "LINE_OK" :
	    "LINE_TOOLONG");
	FUZZ_ASSERT(len == (want < m->max ? want : m->max), "line %lu: len "
	    "%zu, want %zu", lineno, len, want);
	FUZZ_ASSERT(memcmp(line, m->s + m->pos, len) == 0, "line %lu: other "
	    "bytes", lineno);
	m->pos += want + (nl != NULL);
	m->lineno = lineno;
}

static void
expect_eof(const struct model *m)
{
	FUZZ_ASSERT(m->pos == m->n, "LINE_EOF with %zu bytes of %zu left",
	    m->n - m->pos, m->n);
}

/*
 * Writes the stream into a non-blocking pipe in chunks of 1 to 97 bytes,
 * calling lineio_fill once (or twice) after each and taking every line
 * that is complete; then closes the pipe and reads to the end.  The same
 * input always gives the same reads.
 */
static void
run_pipe(struct model *m, unsigned int seed)
{
	struct lineio l;
	char *line;
	size_t len, done = 0, chunk;
	ssize_t n;
	unsigned long rounds = 0;
	int fd[2], r, wopen = 1;

	FUZZ_ASSERT(pipe2(fd, O_NONBLOCK | O_CLOEXEC) == 0, "pipe: %s",
	    strerror(errno));
	lineio_init(&l, fd[0], m->max == LINEIO_DEFAULT_MAX ? 0 : m->max);
	for (;;) {
		if (done < m->n) {
			seed = seed * 1103515245u + 12345u;
			chunk = 1 + (seed >> 16) % 97;
			if (chunk > m->n - done)
				chunk = m->n - done;
			n = write(fd[1], m->s + done, chunk);
			FUZZ_ASSERT(n > 0, "write: %s", strerror(errno));
			done += (size_t)n;
		}
		if (done == m->n && wopen) {
			close(fd[1]);
			wopen = 0;
		}
		n = lineio_fill(&l);
		FUZZ_ASSERT(n >= 0 || errno == EAGAIN, "lineio_fill: %s",
		    strerror(errno));
		if ((seed >> 8) & 1)
			(void)lineio_fill(&l);
		while ((r = lineio_next(&l, &line, &len)) == LINE_OK ||
		    r == LINE_TOOLONG)
			expect_line(m, r, line, len, l.lineno);
		if (r == LINE_EOF)
			break;
		FUZZ_ASSERT(r == LINE_AGAIN, "lineio_next returned %d", r);
		FUZZ_ASSERT(++rounds < 4 * m->n + 64, "no progress after %lu "
		    "rounds", rounds);
	}
	FUZZ_ASSERT(done == m->n, "LINE_EOF before the writer was done");
	expect_eof(m);
	FUZZ_ASSERT(lineio_next(&l, &line, &len) == LINE_EOF, "EOF not kept");
	lineio_free(&l);
	close(fd[0]);
}

/* Reads the stream from a memfd with the blocking lineio_get. */
static void
run_memfd(struct model *m)
{
	struct lineio l;
	char *line;
	size_t len;
	int fd, r;

	fd = memfd_create("fuzz-lineio", MFD_CLOEXEC);
	FUZZ_ASSERT(fd != -1, "memfd_create: %s", strerror(errno));
	FUZZ_ASSERT(m->n == 0 || write(fd, m->s, m->n) == (ssize_t)m->n,
	    "write: %s", strerror(errno));
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0, "lseek: %s",
	    strerror(errno));
	lineio_init(&l, fd, m->max == LINEIO_DEFAULT_MAX ? 0 : m->max);
	while ((r = lineio_get(&l, &line, &len)) == LINE_OK ||
	    r == LINE_TOOLONG)
		expect_line(m, r, line, len, l.lineno);
	FUZZ_ASSERT(r == LINE_EOF, "lineio_get returned %d", r);
	expect_eof(m);
	FUZZ_ASSERT(lineio_get(&l, &line, &len) == LINE_EOF, "EOF not kept");
	lineio_free(&l);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	unsigned int mode, seed;

	if (size < 3)
		return 0;
	memset(&m, 0, sizeof(m));
	m.max = data[0] & 0x80 ? LINEIO_DEFAULT_MAX :
	    1 + (size_t)(data[0] & 0x3f);
	mode = data[1];
	seed = data[2];
	m.s = data + 3;
	m.n = size - 3;
	if (mode & 1)
		run_memfd(&m);
	else
		run_pipe(&m, seed);
	return 0;
}
