/*
 * conf: the pipeline file (supervisor(5)): a line is a keyword and its
 * words, words are split at blanks, '...' is literal, "..." and bare words
 * expand $VAR and ${VAR} from the environment, and a word starting with '#'
 * begins a comment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "log.h"
#include "sup.h"

#define CONF_LINE_MAX	4096
#define NAME_MAX_LEN	64
#define PERIOD_MAX_S	(30 * 86400)

struct word {
	char	*s;
	int	 bare;		/* no quote, escape or expansion in it */
};

struct words {
	struct word	*v;
	size_t		 n, cap;
};

/* The parser's state for one file. */
struct parse {
	struct sup	*s;
	const char	*path;
	unsigned long	 line;
	char		*err;
	size_t		 errsz;
};

static int	fail(struct parse *, unsigned long, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	split(struct parse *, const char *, struct words *);
static int	expand(struct parse *, const char **, struct buf *);
static void	words_clear(struct words *);
static int	do_pipeline(struct parse *, struct words *);
static int	do_run(struct parse *, struct words *);
static int	do_ack(struct parse *, struct words *);
static int	finish(struct parse *, struct pipeline *);
static int	valid_name(const char *);
static void	make_labels(struct pipeline *);
static void	put_word(struct buf *, const char *, enum arg_kind);
static void	*xreallocarray(void *, size_t, size_t);
static char	*xstrdup(const char *);

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	return p;
}

static int
fail(struct parse *ps, unsigned long line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(ps->err, ps->errsz, "%s:%lu: %s", ps->path, line, msg);
	else
		snprintf(ps->err, ps->errsz, "%s: %s", ps->path, msg);
	return -1;
}

static void
words_clear(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i].s);
	w->n = 0;
}

/*
 * Expands the variable at **pp ('$NAME' or '${NAME}') into b and moves *pp
 * past it.  An unset variable or a '$' without a name is an error.
 */
static int
expand(struct parse *ps, const char **pp, struct buf *b)
{
	const char *p = *pp + 1, *start, *val;
	char name[256];
	size_t n;
	int brace = 0;

	if (*p == '{') {
		brace = 1;
		p++;
	}
	start = p;
	if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_')
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
	n = (size_t)(p - start);
	if (n == 0)
		return fail(ps, ps->line, "'$' without a variable name "
		    "(write '$' or \\$ for a dollar sign)");
	if (brace && *p != '}')
		return fail(ps, ps->line, "unterminated ${");
	if (n >= sizeof(name))
		return fail(ps, ps->line, "variable name too long");
	memcpy(name, start, n);
	name[n] = '\0';
	if ((val = getenv(name)) == NULL)
		return fail(ps, ps->line, "variable $%s is not set", name);
	buf_puts(b, val);
	*pp = p + brace;
	return 0;
}

/* Splits line into words (quotes removed, variables expanded). */
static int
split(struct parse *ps, const char *p, struct words *w)
{
	struct buf b;
	int bare, rc = -1;

	buf_init(&b);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		buf_reset(&b);
		bare = 1;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r') {
			if (*p == '\'') {
				bare = 0;
				for (p++; *p != '\'' && *p != '\0'; p++)
					buf_putc(&b, *p);
				if (*p++ == '\0') {
					fail(ps, ps->line, "unterminated '");
					goto out;
				}
			} else if (*p == '"') {
				bare = 0;
				for (p++; *p != '"'; ) {
					if (*p == '\0') {
						fail(ps, ps->line,
						    "unterminated \"");
						goto out;
					}
					if (*p == '\\' && (p[1] == '"' ||
					    p[1] == '\\' || p[1] == '$')) {
						buf_putc(&b, p[1]);
						p += 2;
					} else if (*p == '$') {
						if (expand(ps, &p, &b) == -1)
							goto out;
					} else
						buf_putc(&b, *p++);
				}
				p++;
			} else if (*p == '\\') {
				bare = 0;
				if (p[1] == '\0') {
					fail(ps, ps->line,
					    "backslash at the end of the line");
					goto out;
				}
				buf_putc(&b, p[1]);
				p += 2;
			} else if (*p == '$') {
				bare = 0;
				if (expand(ps, &p, &b) == -1)
					goto out;
			} else
				buf_putc(&b, *p++);
		}
		if (w->n == w->cap)
			w->v = buf_grow_array(w->v, &w->cap, 16,
			    sizeof(*w->v));
		w->v[w->n].s = xstrdup(b.data);
		w->v[w->n++].bare = bare;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == n;
}

/* pipeline NAME [every SECONDS] */
static int
do_pipeline(struct parse *ps, struct words *w)
{
	struct sup *s = ps->s;
	struct pipeline *p;
	const char *e;
	long long sec = 0;
	size_t i;

	if (w->n != 2 && !(w->n == 4 && strcmp(w->v[2].s, "every") == 0))
		return fail(ps, ps->line,
		    "expected: pipeline NAME [every SECONDS]");
	if (!valid_name(w->v[1].s))
		return fail(ps, ps->line, "bad pipeline name \"%s\" (1 to %d "
		    "letters, digits, '_', '.' or '-')", w->v[1].s,
		    NAME_MAX_LEN);
	for (i = 0; i < s->npipes; i++)
		if (strcmp(s->pipes[i].name, w->v[1].s) == 0)
			return fail(ps, ps->line, "pipeline %s already defined "
			    "at line %lu", w->v[1].s, s->pipes[i].line);
	if (w->n == 4) {
		sec = strtonum(w->v[3].s, 1, PERIOD_MAX_S, &e);
		if (e != NULL)
			return fail(ps, ps->line, "every: \"%s\" is %s "
			    "(1 to %d seconds)", w->v[3].s, e, PERIOD_MAX_S);
	}
	if (s->npipes > 0 && finish(ps, &s->pipes[s->npipes - 1]) == -1)
		return -1;
	s->pipes = xreallocarray(s->pipes, s->npipes + 1, sizeof(*s->pipes));
	p = &s->pipes[s->npipes++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(w->v[1].s);
	p->line = ps->line;
	p->period_ms = sec * 1000;
	return 0;
}

/* run PROG [ARG ...]: @ack and @ready become descriptor numbers. */
static int
do_run(struct parse *ps, struct words *w)
{
	struct sup *s = ps->s;
	struct pipeline *p;
	struct stage *st;
	char num[16];
	size_t i, n = w->n - 1;

	if (s->npipes == 0)
		return fail(ps, ps->line, "run outside a pipeline");
	if (n == 0)
		return fail(ps, ps->line, "expected: run PROGRAM [ARG ...]");
	p = &s->pipes[s->npipes - 1];
	p->stages = xreallocarray(p->stages, p->nstages + 1,
	    sizeof(*p->stages));
	st = &p->stages[p->nstages++];
	memset(st, 0, sizeof(*st));
	st->line = ps->line;
	st->ack_fd = st->ready_fd = -1;
	st->errfd = -1;
	st->argv = xreallocarray(NULL, n + 1, sizeof(*st->argv));
	st->kind = xreallocarray(NULL, n, sizeof(*st->kind));
	for (i = 0; i < n; i++) {
		st->kind[i] = ARG_WORD;
		if (w->v[i + 1].bare && strcmp(w->v[i + 1].s, "@ack") == 0)
			st->kind[i] = ARG_ACK;
		else if (w->v[i + 1].bare &&
		    strcmp(w->v[i + 1].s, "@ready") == 0)
			st->kind[i] = ARG_READY;
		if (st->kind[i] == ARG_ACK)
			st->ack_fd = SUP_FIRST_FD;
		if (st->kind[i] == ARG_READY)
			st->ready_fd = SUP_FIRST_FD;
		st->argv[i] = w->v[i + 1].s;	/* taken over */
		w->v[i + 1].s = NULL;
	}
	st->argv[n] = NULL;
	if (st->kind[0] != ARG_WORD)
		return fail(ps, ps->line, "the program name cannot be %s",
		    st->argv[0]);
	if (st->ack_fd >= 0 && p->nstages > 1)
		return fail(ps, ps->line, "@ack is for the first stage only");
	if (st->ack_fd >= 0 && st->ready_fd >= 0)
		st->ready_fd = SUP_FIRST_FD + 1;
	for (i = 0; i < n; i++) {
		if (st->kind[i] == ARG_WORD)
			continue;
		snprintf(num, sizeof(num), "%d", st->kind[i] == ARG_ACK ?
		    st->ack_fd : st->ready_fd);
		free(st->argv[i]);
		st->argv[i] = xstrdup(num);
	}
	return 0;
}

/* ack: the last stage's stdout goes to the first stage's @ack fd. */
static int
do_ack(struct parse *ps, struct words *w)
{
	struct pipeline *p;

	if (ps->s->npipes == 0)
		return fail(ps, ps->line, "ack outside a pipeline");
	if (w->n != 1)
		return fail(ps, ps->line, "ack takes no arguments");
	p = &ps->s->pipes[ps->s->npipes - 1];
	if (p->ack_line != 0)
		return fail(ps, ps->line, "second ack in pipeline %s "
		    "(first at line %lu)", p->name, p->ack_line);
	p->ack_line = ps->line;
	return 0;
}

/* Checks a pipeline once all its lines are read. */
static int
finish(struct parse *ps, struct pipeline *p)
{
	if (p->nstages == 0)
		return fail(ps, p->line, "pipeline %s has no run line",
		    p->name);
	if (p->ack_line != 0 && p->stages[0].ack_fd < 0)
		return fail(ps, p->ack_line, "ack without @ack in the first "
		    "stage of pipeline %s", p->name);
	if (p->ack_line == 0 && p->stages[0].ack_fd >= 0)
		return fail(ps, p->stages[0].line, "@ack without an ack line "
		    "in pipeline %s", p->name);
	make_labels(p);
	return 0;
}

/*
 * Each stage's label is "pipeline/prog", prog being the base name of its
 * program; a program that appears twice gets its stage number: "p/sh#2".
 */
static void
make_labels(struct pipeline *p)
{
	const char *base, *other;
	struct buf b;
	size_t i, j;
	int dup;

	buf_init(&b);
	for (i = 0; i < p->nstages; i++) {
		base = strrchr(p->stages[i].argv[0], '/');
		base = base ? base + 1 : p->stages[i].argv[0];
		dup = 0;
		for (j = 0; j < p->nstages; j++) {
			other = strrchr(p->stages[j].argv[0], '/');
			other = other ? other + 1 : p->stages[j].argv[0];
			if (j != i && strcmp(base, other) == 0)
				dup = 1;
		}
		p->stages[i].prog = base;
		buf_reset(&b);
		buf_printf(&b, "%s/%s", p->name, base);
		if (dup)
			buf_printf(&b, "#%zu", i + 1);
		p->stages[i].label = xstrdup(b.data);
	}
	buf_free(&b);
}

int
conf_load(struct sup *s, const char *path, char *err, size_t errsz)
{
	struct parse ps = { s, path, 0, err, errsz };
	struct words w = { NULL, 0, 0 };
	struct lineio lio;
	char *line;
	size_t len;
	int fd, r, rc = -1;

	s->file = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(&ps, 0, "unable to open: %s", strerror(errno));
	lineio_init(&lio, fd, CONF_LINE_MAX);
	while ((r = lineio_get(&lio, &line, &len)) != LINE_EOF) {
		ps.line = lio.lineno;
		if (r == -1) {
			fail(&ps, ps.line, "unable to read: %s",
			    strerror(errno));
			goto out;
		}
		if (r == LINE_TOOLONG) {
			fail(&ps, ps.line, "line longer than %d bytes",
			    CONF_LINE_MAX - 1);
			goto out;
		}
		if (memchr(line, '\0', len) != NULL) {
			fail(&ps, ps.line, "NUL byte in the line");
			goto out;
		}
		words_clear(&w);
		if (split(&ps, line, &w) == -1)
			goto out;
		if (w.n == 0)
			continue;
		if (strcmp(w.v[0].s, "pipeline") == 0)
			r = do_pipeline(&ps, &w);
		else if (strcmp(w.v[0].s, "run") == 0)
			r = do_run(&ps, &w);
		else if (strcmp(w.v[0].s, "ack") == 0)
			r = do_ack(&ps, &w);
		else
			r = fail(&ps, ps.line, "unknown keyword \"%s\" "
			    "(pipeline, run or ack expected)", w.v[0].s);
		if (r == -1)
			goto out;
	}
	if (s->npipes == 0)
		fail(&ps, 0, "no pipeline defined");
	else if (finish(&ps, &s->pipes[s->npipes - 1]) == 0)
		rc = 0;
out:
	words_clear(&w);
	free(w.v);
	lineio_free(&lio);
	close(fd);
	if (rc == -1)
		sup_free(s);
	return rc;
}

/* Appends one word, quoted so that the file syntax reads it back. */
static void
put_word(struct buf *b, const char *s, enum arg_kind kind)
{
	const char *p;

	if (kind == ARG_ACK || kind == ARG_READY) {
		buf_puts(b, kind == ARG_ACK ? "@ack" : "@ready");
		return;
	}
	if (*s != '\0' && *s != '#' && strcmp(s, "@ack") != 0 &&
	    strcmp(s, "@ready") != 0 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-+=.,:/@%^#") == strlen(s)) {
		buf_puts(b, s);
		return;
	}
	if (strchr(s, '\'') == NULL) {
		buf_printf(b, "'%s'", s);
		return;
	}
	buf_putc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == '$')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

void
conf_print(const struct sup *s, struct buf *b)
{
	const struct pipeline *p;
	const struct stage *st;
	size_t i, j, k;

	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		if (i > 0)
			buf_putc(b, '\n');
		buf_printf(b, "pipeline %s", p->name);
		if (p->period_ms > 0)
			buf_printf(b, " every %lld",
			    (long long)(p->period_ms / 1000));
		buf_putc(b, '\n');
		for (j = 0; j < p->nstages; j++) {
			st = &p->stages[j];
			buf_puts(b, "\trun");
			for (k = 0; st->argv[k] != NULL; k++) {
				buf_putc(b, ' ');
				put_word(b, st->argv[k], st->kind[k]);
			}
			buf_putc(b, '\n');
		}
		if (p->ack_line != 0)
			buf_puts(b, "\tack\n");
	}
}

void
sup_free(struct sup *s)
{
	struct pipeline *p;
	struct stage *st;
	size_t i, j, k;

	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		for (j = 0; j < p->nstages; j++) {
			st = &p->stages[j];
			for (k = 0; st->argv[k] != NULL; k++)
				free(st->argv[k]);
			free(st->argv);
			free(st->kind);
			free(st->label);
			lineio_free(&st->err);
		}
		free(p->stages);
		free(p->name);
	}
	free(s->pipes);
	s->pipes = NULL;
	s->npipes = 0;
	buf_free(&s->out);
}
