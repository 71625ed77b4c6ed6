/*
 * goflag: Go's flag package, as upstream's programs parse their command
 * line (flag.Parse with ExitOnError).  See goflag.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "goflag.h"

static int	one(struct goflag *, size_t, int, char **, int *, FILE *);
static void	fail(const char *, const struct goflag *, size_t, FILE *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

int
goflag_parse(struct goflag *flags, size_t n, int argc, char *argv[],
    FILE *err, int *rest)
{
	size_t i;
	int at = 1, r;

	for (i = 0; i < n; i++) {
		flags[i].set = 0;
		flags[i].on = 0;
		flags[i].value = NULL;
	}
	while (at < argc) {
		r = one(flags, n, argc, argv, &at, err);
		if (r == 1)
			continue;
		if (r == 0)
			break;
		return r == -2 ? 0 : 2;
	}
	*rest = at;
	return GOFLAG_OK;
}

/*
 * Parses the flag at argv[*at] (Go's parseOne).  Returns 1 when a flag was
 * taken, 0 when the flags end here, -1 on an error, -2 for -h/-help.
 */
static int
one(struct goflag *flags, size_t n, int argc, char **argv, int *at, FILE *err)
{
	const char *s = argv[*at], *name, *eq, *value = NULL;
	char nm[256];
	struct goflag *f;
	size_t len;
	int dashes = 1, b;

	if (strlen(s) < 2 || s[0] != '-')
		return 0;
	if (s[1] == '-') {
		dashes = 2;
		if (s[2] == '\0') {
			(*at)++;	/* "--" ends the flags, consumed */
			return 0;
		}
	}
	name = s + dashes;
	if (name[0] == '-' || name[0] == '=') {
		fail(argv[0], flags, n, err, "bad flag syntax: %s", s);
		return -1;
	}
	(*at)++;
	/* An '=' after the first character of the name holds the value. */
	eq = strchr(name + 1, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if (eq != NULL)
		value = eq + 1;
	snprintf(nm, sizeof(nm), "%.*s", (int)len, name);
	if ((f = goflag_find(flags, n, nm)) == NULL ||
	    strlen(nm) != len) {
		if (strcmp(nm, "help") == 0 || strcmp(nm, "h") == 0) {
			goflag_usage(argv[0], flags, n, err);
			return -2;
		}
		fail(argv[0], flags, n, err,
		    "flag provided but not defined: -%.*s", (int)len, name);
		return -1;
	}
	if (f->type == GOFLAG_BOOL) {
		b = value == NULL ? 1 : goflag_parse_bool(value);
		if (b == -1) {
			fail(argv[0], flags, n, err,
			    "invalid boolean value \"%s\" for -%s: parse error",
			    value, f->name);
			return -1;
		}
		f->set = 1;
		f->on = b;
		return 1;
	}
	if (value == NULL && *at < argc)
		value = argv[(*at)++];
	if (value == NULL) {
		fail(argv[0], flags, n, err, "flag needs an argument: -%s",
		    f->name);
		return -1;
	}
	f->set = 1;
	f->value = value;
	return 1;
}

/* Go's failf: the message, then the usage, on err. */
static void
fail(const char *argv0, const struct goflag *flags, size_t n, FILE *err,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	goflag_usage(argv0, flags, n, err);
}

void
goflag_usage(const char *argv0, const struct goflag *flags, size_t n,
    FILE *out)
{
	const struct goflag *f, *last = NULL;
	const char *p;
	size_t i, k;

	fprintf(out, "Usage of %s:\n", argv0);
	/* In byte order of the names, without sorting a copy. */
	for (k = 0; k < n; k++) {
		f = NULL;
		for (i = 0; i < n; i++) {
			if (last != NULL &&
			    strcmp(flags[i].name, last->name) <= 0)
				continue;
			if (f == NULL || strcmp(flags[i].name, f->name) < 0)
				f = &flags[i];
		}
		if (f == NULL)
			break;
		last = f;
		fprintf(out, "  -%s%s", f->name,
		    f->type == GOFLAG_STRING ? " string" : "");
		/* Go puts a one-letter boolean's help on the same line. */
		if (strlen(f->name) == 1 && f->type == GOFLAG_BOOL)
			fputc('\t', out);
		else
			fputs("\n    \t", out);
		for (p = f->usage; *p != '\0'; p++) {
			fputc(*p, out);
			if (*p == '\n')
				fputs("    \t", out);
		}
		fputc('\n', out);
	}
}

struct goflag *
goflag_find(struct goflag *flags, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(flags[i].name, name) == 0)
			return &flags[i];
	return NULL;
}

int
goflag_parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
	    "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
	    "False" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* strconv.ParseInt(s, 0, 64). */
int
goflag_parse_int(const char *s0, int64_t *out)
{
	const char *s = s0, *p;
	uint64_t u = 0, lim;
	int base = 10, neg = 0, under = 0, d;
	char saw;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		goto syntax;
	if (s[0] == '0') {
		if (strlen(s) >= 3 && (s[1] | 0x20) == 'b') {
			base = 2;
			s += 2;
		} else if (strlen(s) >= 3 && (s[1] | 0x20) == 'o') {
			base = 8;
			s += 2;
		} else if (strlen(s) >= 3 && (s[1] | 0x20) == 'x') {
			base = 16;
			s += 2;
		} else {
			base = 8;
			s++;
		}
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (p = s; *p != '\0'; p++) {
		if (*p == '_') {
			under = 1;
			continue;
		}
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
			d = (*p | 0x20) - 'a' + 10;
		else
			goto syntax;
		if (d >= base)
			goto syntax;
		if (u > (lim - (uint64_t)d) / (uint64_t)base)
			return GOFLAG_ERANGE;
		u = u * (uint64_t)base + (uint64_t)d;
	}
	if (under) {
		/* Go's underscoreOK: only between digits (or after a base
		 * prefix). */
		p = s0 + (*s0 == '+' || *s0 == '-');
		saw = '^';
		if (s - p == 2) {
			/* A base prefix counts as a digit; a leading 0 is
			 * one. */
			saw = '0';
			p = s;
		}
		for (; *p != '\0'; p++) {
			if (*p == '_') {
				if (saw != '0')
					goto syntax;
				saw = '_';
			} else
				saw = '0';
		}
		if (saw == '_')
			goto syntax;
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
syntax:
	return GOFLAG_ESYNTAX;
}
