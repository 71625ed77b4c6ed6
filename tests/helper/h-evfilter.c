/*
 * helper evfilter: compiles and evaluates event-filter expressions.
 *
 *	helper evfilter EXPR [NAME=VALUE ...]
 *
 * prints the value of EXPR with the named variables set (the others 0) and
 * exits 0; or prints "error: MESSAGE" and exits 1 when EXPR does not
 * compile, or "divzero" and exits 2 on a division by zero.
 *
 *	helper evfilter -
 *
 * reads a table from stdin and writes one line per input line.  A line
 * "let [NAME=VALUE ...]" sets the variables for the lines after it (the
 * others to 0), and a line starting with '#' is a comment; both are copied
 * as they are.  Any other line is an expression, in which \t, \n, \r and \\
 * stand for a tab, newline, carriage return and backslash; it is copied
 * followed by " => " and the value, "error: MESSAGE" or "divzero".
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "evfilter.h"
#include "lineio.h"

#define HEV_DIVZERO	2

int	helper_evfilter(int, char **);

static int	setvar(struct evfilter_vars *, const char *);
static int	run(const char *, const struct evfilter_vars *, struct buf *);
static void	unescape(struct buf *, const char *);
static int	table(void);

int
helper_evfilter(int argc, char **argv)
{
	struct evfilter_vars v;
	struct buf out;
	int i, status;

	if (argc < 2) {
		fprintf(stderr, "usage: helper evfilter EXPR [NAME=VALUE ...]"
		    "\n       helper evfilter -\n");
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-") == 0 && argc == 2)
		return table();
	memset(&v, 0, sizeof(v));
	for (i = 2; i < argc; i++)
		if (setvar(&v, argv[i]) == -1)
			return EX_USAGE;
	buf_init(&out);
	status = run(argv[1], &v, &out);
	printf("%s\n", out.data);
	buf_free(&out);
	return status;
}

/* Sets one NAME=VALUE; returns 0, or -1 with a message on stderr. */
static int
setvar(struct evfilter_vars *v, const char *arg)
{
	const char *eq, *errstr;
	int64_t *p;
	long long n;

	if ((eq = strchr(arg, '=')) == NULL ||
	    (p = evfilter_var(v, arg, (size_t)(eq - arg))) == NULL) {
		fprintf(stderr, "helper evfilter: bad variable: %s\n", arg);
		return -1;
	}
	n = strtonum(eq + 1, LLONG_MIN, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "helper evfilter: value is %s: %s\n", errstr,
		    arg);
		return -1;
	}
	*p = n;
	return 0;
}

/* Appends the outcome of expr to out; returns 0, 1 (error) or 2. */
static int
run(const char *expr, const struct evfilter_vars *v, struct buf *out)
{
	struct evfilter *f;
	char err[256];
	int64_t r;
	int status = 0;

	if ((f = evfilter_compile(expr, err, sizeof(err))) == NULL) {
		buf_printf(out, "error: %s", err);
		return 1;
	}
	if (evfilter_eval(f, v, &r) == -1) {
		buf_puts(out, "divzero");
		status = HEV_DIVZERO;
	} else
		buf_put_i64(out, r);
	evfilter_free(f);
	return status;
}

/* Appends s with \t, \n, \r and \\ made the bytes they name. */
static void
unescape(struct buf *b, const char *s)
{
	static const char names[] = "tnr\\", bytes[] = "\t\n\r\\";
	const char *p;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0' &&
		    (p = strchr(names, s[1])) != NULL) {
			buf_putc(b, bytes[p - names]);
			s++;
		} else
			buf_putc(b, *s);
	}
}

static int
table(void)
{
	struct evfilter_vars v;
	struct lineio l;
	struct buf expr, out;
	char *line, *w, *save;
	size_t len;
	int r, status = 0;

	memset(&v, 0, sizeof(v));
	lineio_init(&l, 0, 0);
	buf_init(&expr);
	buf_init(&out);
	while ((r = lineio_get(&l, &line, &len)) == LINE_OK) {
		buf_reset(&out);
		buf_puts(&out, line);
		if (line[0] == '#') {
			/* A comment: copied. */
		} else if (strncmp(line, "let", 3) == 0 &&
		    (line[3] == '\0' || line[3] == ' ')) {
			memset(&v, 0, sizeof(v));
			for (w = strtok_r(line + 3, " ", &save); w != NULL;
			    w = strtok_r(NULL, " ", &save))
				if (setvar(&v, w) == -1)
					status = EX_USAGE;
		} else {
			buf_reset(&expr);
			unescape(&expr, line);
			buf_puts(&out, " => ");
			run(expr.data != NULL ? expr.data : "", &v, &out);
		}
		printf("%s\n", out.data);
	}
	if (r != LINE_EOF) {
		fprintf(stderr, "helper evfilter: unable to read stdin\n");
		status = EX_IOERR;
	}
	lineio_free(&l);
	buf_free(&expr);
	buf_free(&out);
	return status;
}
