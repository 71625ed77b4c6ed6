/*
 * goflag: Go's flag package, as upstream's programs parse their command
 * line (flag.Parse with ExitOnError).  See goflag.h.
 */
#include <stdarg.h>
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
