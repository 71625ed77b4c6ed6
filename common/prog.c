#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "buf.h"
#include "log.h"
#include "prog.h"
#include "sig.h"

#ifndef CCX_VERSION
#define CCX_VERSION	"0.1"	/* make passes git describe */
#endif

#define SECRET_MAX	(64 * 1024)	/* bytes of a secret's file */
#define OPT_BASE	256		/* getopt_long value of setting 0 */

/* The frame's options after the settings and log-format. */
enum { F_HELP, F_VERSION, F_EXIT_CODES, F_NOPTS };

static const struct {
	const char	*name;
	int		 status;
	const char	*what;
} conditions[] = {
#define EXIT_ROW_(c, s, w)	{ "EXIT_" #c, s, w },
	EXIT_CONDITIONS(EXIT_ROW_)
#undef EXIT_ROW_
};

/* getopt_long's tables while prog_args runs (reachable when it exits). */
static struct option *longopts;
static char *shorts;

/*
 * The settings several programs have: a program names one in its table
 * and the frame completes what the table leaves out (letter, type,
 * argument, help), so that it is spelt and explained alike everywhere.
 */
static const struct prog_setting known[] = {
	{ .name = "ready-fd", .letter = 'n', .type = PROG_FD, .arg = "fd",
	    .help = "write a newline to fd once ready" },
	{ .name = "metrics-file", .arg = "path",
	    .help = "write the counters there (Prometheus text format)" },
	{ .name = "pushgateway", .arg = "url",
	    .help = "push the counters to this Pushgateway at exit" },
	{ .name = "property", .letter = 'X', .type = PROG_LIST,
	    .arg = "prop=val", .help = "a librdkafka property; -X and -F "
	    "apply in the order given" },
	{ .name = "property-file", .letter = 'F', .type = PROG_LIST,
	    .arg = "propfile", .help = "librdkafka properties, prop=val a "
	    "line" },
};

#define PIPE_WIDE	(1 << 20)

/* The conditions the frame itself ends a program with (prog.h). */
static const enum exit_condition frame_exits[] = {
	EXITC_OK, EXITC_BAD_FLAG, EXITC_NOMEM, EXITC_SYSTEM, EXITC_BAD_VALUE,
	EXITC_END
};

static const struct prog_setting logfmt_template = {
	.name = "log-format", .def = "text", .type = PROG_CHOICE,
	.arg = "text|json",
	.help = "diagnostics on stderr as text or as one JSON object a line",
};

static void	fail(const struct prog *, const struct prog_setting *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5),
		    noreturn));
static int	printable(const char *);
static void	complete(struct prog_setting *);
static int	listed(const enum exit_condition *, int);
static void	take(struct prog *, size_t, int, const char *, int);
static void	resolve(struct prog *, struct prog_setting *);
static void	check(struct prog *, struct prog_setting *);
static void	secret(struct prog *, struct prog_setting *);
static int	duration(const char *, long long, long long *);
static int	choice(const char *, const char *);
static const char *unit_name(long long);
static void	human(const char *, char *, size_t);
static void	help(const struct prog *);
static void	help_setting(const struct prog_setting *);
static void	exit_codes(const struct prog *);
static void	out_done(void) __attribute__((noreturn));
static void	print_usage(const struct prog *, FILE *);
static int	out_failed(struct prog_io *);
static const struct prog_main *embedded(const char *);

int
prog_parse(struct prog *p, int argc, char **argv)
{
	int first = prog_args(p, argc, argv);

	prog_check(p);
	prog_widen_pipe(1);
	return first;
}

/*
 * A pipe to the next filter holds 1 MiB instead of 64 KiB when the system
 * allows (pipe-max-size): a stage that writes a burst (differ after each
 * claim commit, db-writer -r's writer while its batch is in flight) goes
 * on with its own work instead of waiting for the reader, and the stages
 * of a chain overlap.  Anything but a pipe is left alone.
 */
void
prog_widen_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_WIDE);
}

int
prog_exec(char *const argv[], char *const envp[])
{
	char path[PATH_MAX], *slash;
	size_t len;
	ssize_t n;

	/* Between fork and exec: no allocation, no stdio. */
	execvpe(argv[0], argv, envp);
	if (errno != ENOENT || strchr(argv[0], '/') != NULL)
		return -1;
	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) > 0) {
		path[n] = '\0';
		len = strlen(argv[0]);
		if ((slash = strrchr(path, '/')) != NULL &&
		    (size_t)(slash + 1 - path) + len < sizeof(path)) {
			memcpy(slash + 1, argv[0], len + 1);
			if (execve(path, argv, envp) == -1 && errno != ENOENT)
				return -1;
		}
	}
	if (embedded(argv[0]) != NULL &&
	    execve("/proc/self/exe", argv, envp) == -1 && errno != ENOENT)
		return -1;
	errno = ENOENT;
	return -1;
}

/* The program of prog_embedded called name, or NULL. */
static const struct prog_main *
embedded(const char *name)
{
	const struct prog_main *e = prog_embedded;

	if (e == NULL)
		return NULL;
	for (; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

void
prog_multicall(int argc, char **argv)
{
	const struct prog_main *e;
	const char *base;

	if (argc < 1 || argv[0] == NULL)
		return;
	base = strrchr(argv[0], '/');
	if ((e = embedded(base != NULL ? base + 1 : argv[0])) != NULL)
		exit(e->main(argc, argv));
}

int
prog_args(struct prog *p, int argc, char **argv)
{
	struct option *lo;
	struct prog_setting *s;
	char *sp;
	size_t i, n = p->nsettings;
	int ch, order = 0;

	log_init(p->name);
	p->logfmt = logfmt_template;
	p->logfmt.env = p->log_env;
	for (i = 0; i < n; i++)
		complete(&p->settings[i]);
	if ((longopts = lo = calloc(n + 2 + F_NOPTS, sizeof(*lo))) == NULL ||
	    (shorts = malloc(2 * n + 6)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate the options");
	sp = shorts;
	if (p->in_order)
		*sp++ = '+';
	*sp++ = ':';
	*sp++ = 'q';
	*sp++ = 'v';
	for (i = 0; i <= n; i++) {
		s = i < n ? &p->settings[i] : &p->logfmt;
		lo[i].name = s->name;
		lo[i].has_arg = s->type == PROG_BOOL ? no_argument :
		    required_argument;
		lo[i].val = OPT_BASE + (int)i;
		if (s->letter == 0)
			continue;
		*sp++ = (char)s->letter;
		if (s->type != PROG_BOOL)
			*sp++ = ':';
	}
	*sp = '\0';
	lo[n + 1 + F_HELP].name = "help";
	lo[n + 1 + F_VERSION].name = "version";
	lo[n + 1 + F_EXIT_CODES].name = "exit-codes";
	for (i = 0; i < F_NOPTS; i++)
		lo[n + 1 + i].val = OPT_BASE + (int)(n + 1 + i);

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		order++;
		if (ch == 'q' || ch == 'v') {
			if (ch == 'q')
				log_quieter();
			else
				log_louder();
			continue;
		}
		if (ch == '?' || ch == ':') {
			if (optopt > 0 && optopt < OPT_BASE)
				log_error("%s -%c", ch == '?' ? "unknown option" :
				    "an argument is needed by", optopt);
			else
				log_error("%s %s", ch == ':' ?
				    "an argument is needed by" : optopt == 0 ?
				    "unknown option" : "bad option",
				    argv[optind - 1]);
			prog_usage(p);
		}
		if (ch == OPT_BASE + (int)(n + 1 + F_HELP))
			help(p);
		if (ch == OPT_BASE + (int)(n + 1 + F_VERSION)) {
			printf("%s (ccx-notify) %s\n", p->name, CCX_VERSION);
			out_done();
		}
		if (ch == OPT_BASE + (int)(n + 1 + F_EXIT_CODES))
			exit_codes(p);
		if (ch >= OPT_BASE) {
			take(p, (size_t)(ch - OPT_BASE), 0, optarg, order);
			continue;
		}
		for (i = 0; i < n && p->settings[i].letter != ch; i++)
			;
		take(p, i, ch, optarg, order);
	}
	free(longopts);
	free(shorts);
	longopts = NULL;
	shorts = NULL;
	if (p->operands >= 0 && argc - optind > p->operands) {
		log_error("unexpected argument \"%s\"",
		    argv[optind + p->operands]);
		prog_usage(p);
	}
	p->optind = optind;
	return optind;
}

/* Fills in what the table left out of a setting the frame knows. */
static void
complete(struct prog_setting *s)
{
	const struct prog_setting *k;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		k = &known[i];
		if (strcmp(s->name, k->name) != 0)
			continue;
		if (s->letter == 0)
			s->letter = k->letter;
		if (s->type == PROG_STRING)
			s->type = k->type;
		if (s->arg == NULL)
			s->arg = k->arg;
		if (s->help == NULL)
			s->help = k->help;
	}
}

/* A flag of setting i, given as letter (0: its long name). */
static void
take(struct prog *p, size_t i, int letter, const char *arg, int order)
{
	struct prog_setting *s = i < p->nsettings ? &p->settings[i] :
	    &p->logfmt;
	struct prog_item *it;
	size_t cap;

	if (s->type == PROG_SECRET) {
		log_error("--%s: a secret is never taken from the command "
		    "line, where the process list shows it; set %s%s%s",
		    s->name, s->env, s->file != NULL ? " or use --" : "",
		    s->file != NULL ? s->file : "");
		prog_usage(p);
	}
	s->value = s->type == PROG_BOOL ? "1" : arg;
	s->source = PROG_ARGV;
	s->order = order;
	s->given_as = letter;
	if (s->type != PROG_LIST) {
		s->count = 1;
		return;
	}
	if (p->nitems == p->capitems) {
		cap = p->capitems ? p->capitems * 2 : 8;
		if ((it = reallocarray(p->items, cap, sizeof(*it))) == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate the options");
		p->items = it;
		p->capitems = cap;
	}
	p->items[p->nitems].setting = i;
	p->items[p->nitems++].value = arg;
	s->count++;
}

void
prog_check(struct prog *p)
{
	size_t i, n = prog_nsettings(p);

	for (i = 0; i < n; i++)
		resolve(p, prog_setting(p, i));
	/* The log format first, for the messages of the others. */
	check(p, &p->logfmt);
	if (log_set_format_name(p->logfmt.value) == -1)
		fail(p, &p->logfmt, EXIT_BUG, "unknown log format");
	for (i = 0; i < p->nsettings; i++)
		if (p->settings[i].type != PROG_SECRET)
			check(p, &p->settings[i]);
	/* What is missing after what is wrong, then the secrets, whose
	 * files the settings above name. */
	for (i = 0; i < p->nsettings; i++)
		if (p->settings[i].type != PROG_SECRET &&
		    p->settings[i].value == NULL && p->settings[i].required)
			prog_missing(p, &p->settings[i], NULL);
	for (i = 0; i < p->nsettings; i++)
		if (p->settings[i].type == PROG_SECRET)
			secret(p, &p->settings[i]);
	p->checked = 1;
}

/* The value of a setting the command line did not give. */
static void
resolve(struct prog *p, struct prog_setting *s)
{
	const char *v = s->env != NULL ? getenv(s->env) : NULL;

	if (s->source == PROG_ARGV)
		return;
	if (v != NULL && !(s->type == PROG_SECRET && *v == '\0')) {
		s->value = v;
		s->source = PROG_ENV;
		s->count = 1;
		if (s->type == PROG_LIST) {
			/* One item, as if given once. */
			s->count = 0;
			take(p, (size_t)(s - p->settings), 0, v, 0);
			s->source = PROG_ENV;
		}
	} else if (s->source != PROG_SET && s->def != NULL) {
		s->value = s->def;
		s->source = PROG_DEFAULT;
		s->count = 1;
	}
}

/* Checks the value of s against its type and sets s->num. */
static void
check(struct prog *p, struct prog_setting *s)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "", "0", "false", "no", "off" };
	int st = s->source == PROG_ARGV ? EXIT_BAD_FLAG : EXIT_BAD_VALUE;
	const char *err;
	size_t k;

	s->num = s->type == PROG_FD ? -1 : 0;
	if (s->value == NULL)
		return;
	switch (s->type) {
	case PROG_INT:
	case PROG_FD:
		s->num = strtonum(s->value, s->type == PROG_FD ? 0 : s->min,
		    s->type == PROG_FD ? INT_MAX : s->max, &err);
		if (err != NULL && s->type == PROG_FD)
			fail(p, s, st, "not a file descriptor number");
		if (err != NULL)
			fail(p, s, st, "not a whole number from %lld to %lld",
			    s->min, s->max);
		if (s->type == PROG_FD && fcntl((int)s->num, F_GETFD) == -1)
			fail(p, s, st, "readiness fd %lld is not open", s->num);
		break;
	case PROG_BOOL:
		s->num = -1;
		for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
			if (strcasecmp(s->value, yes[k]) == 0)
				s->num = 1;
		for (k = 0; k < sizeof(no) / sizeof(no[0]); k++)
			if (strcasecmp(s->value, no[k]) == 0)
				s->num = 0;
		if (s->num == -1)
			fail(p, s, st, "neither true nor false (1, true, yes, "
			    "on; 0, false, no, off, empty)");
		break;
	case PROG_DURATION:
		if (duration(s->value, s->unit, &s->num) == -1 ||
		    s->num < s->min * s->unit || s->num > s->max * s->unit)
			fail(p, s, st, "not a duration from %lld to %lld %s "
			    "(a number, or one with ms, s, m or h after it)",
			    s->min, s->max, unit_name(s->unit));
		break;
	case PROG_CHOICE:
		if ((s->num = choice(s->arg, s->value)) == -1)
			fail(p, s, st, "not one of %s", s->arg);
		break;
	default:
		break;
	}
}

/* "120", "120s", "2m", "500ms": milliseconds in *ms; 0, or -1. */
static int
duration(const char *v, long long unit, long long *ms)
{
	static const struct {
		const char	*name;
		long long	 ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
	    { "h", 3600000 } };
	char *end;
	long long n;
	size_t i;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].name) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		unit = units[i].ms;
	}
	if (n > LLONG_MAX / unit)
		return -1;
	*ms = n * unit;
	return 0;
}

static const char *
unit_name(long long unit)
{
	return unit == 1000 ? "seconds" : unit == 60000 ? "minutes" :
	    unit == 3600000 ? "hours" : "milliseconds";
}

/* The index of v among the words of "a|b|c", or -1. */
static int
choice(const char *words, const char *v)
{
	size_t len = strlen(v);
	int i = 0;

	for (;;) {
		if (strncmp(words, v, len) == 0 &&
		    (words[len] == '|' || words[len] == '\0'))
			return i;
		if ((words = strchr(words, '|')) == NULL)
			return -1;
		words++;
		i++;
	}
}

/*
 * A secret: the text of the file its file setting names (without its
 * line end; one line, at most SECRET_MAX bytes), else its variable's.
 * Nothing of the file is ever printed.
 */
static void
secret(struct prog *p, struct prog_setting *s)
{
	const struct prog_setting *f = s->file != NULL ?
	    prog_find(p, s->file) : NULL;
	const char *path;
	char what[64];
	size_t len = 0;
	ssize_t n;
	int fd;

	human(s->name, what, sizeof(what));
	if (f == NULL || f->value == NULL || *f->value == '\0') {
		if (s->value == NULL && s->required)
			log_fatal(EXIT_BAD_VALUE, "no %s: set %s%s%s", what,
			    s->env, f != NULL ? " or use --" : "",
			    f != NULL ? f->name : "");
		return;
	}
	path = f->value;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		log_fatal(EXIT_BAD_VALUE, "unable to open %s: %s", path,
		    strerror(errno));
	if ((s->owned = malloc(SECRET_MAX + 2)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate the %s", what);
	while (len <= SECRET_MAX) {
		n = read(fd, s->owned + len, SECRET_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			log_fatal(EXIT_BAD_VALUE, "unable to read %s: %s", path,
			    strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	s->owned[len] = '\0';
	s->value = s->owned;
	s->source = f->source;
	if (len > SECRET_MAX)
		log_fatal(EXIT_BAD_VALUE, "%s is longer than %d bytes", path,
		    SECRET_MAX);
	while (len > 0 && (s->owned[len - 1] == '\n' ||
	    s->owned[len - 1] == '\r'))
		s->owned[--len] = '\0';
	if (len == 0)
		log_fatal(EXIT_BAD_VALUE, "%s: the %s is empty", path, what);
	if (memchr(s->owned, '\0', len) != NULL ||
	    memchr(s->owned, '\n', len) != NULL)
		log_fatal(EXIT_BAD_VALUE, "%s: the %s must be one line of text",
		    path, what);
}

size_t
prog_nsettings(const struct prog *p)
{
	return p->nsettings + 1;
}

struct prog_setting *
prog_setting(struct prog *p, size_t i)
{
	if (i < p->nsettings)
		return &p->settings[i];
	return i == p->nsettings ? &p->logfmt : NULL;
}

struct prog_setting *
prog_find(struct prog *p, const char *name)
{
	size_t i;

	for (i = 0; i < prog_nsettings(p); i++)
		if (strcmp(prog_setting(p, i)->name, name) == 0)
			return prog_setting(p, i);
	return NULL;
}

int
prog_set(struct prog *p, const char *name, const char *value,
    const char *origin)
{
	struct prog_setting *s = prog_find(p, name);

	if (s == NULL || s->type == PROG_LIST || p->checked)
		return -1;
	if (s->source == PROG_ARGV)
		return 0;
	s->value = value;
	s->source = PROG_SET;
	s->origin = origin;
	s->count = 1;
	return 0;
}

int
prog_item(const struct prog *p, size_t i, size_t *setting,
    const char **value)
{
	if (i >= p->nitems)
		return 0;
	*setting = p->items[i].setting;
	*value = p->items[i].value;
	return 1;
}

/* Whether s is UTF-8 without control characters. */
static int
printable(const char *s)
{
	const char *c;

	for (c = s; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	return utf8_valid(s, (size_t)(c - s));
}

/* Exits with status: "--name "value" (from VAR): why". */
static void
fail(const struct prog *p, const struct prog_setting *s, int status,
    const char *fmt, ...)
{
	char why[1024], flag[128], from[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (s->given_as != 0 && s->source == PROG_ARGV)
		snprintf(flag, sizeof(flag), "-%c", s->given_as);
	else
		snprintf(flag, sizeof(flag), "--%s", s->name);
	from[0] = '\0';
	if (s->source == PROG_ENV)
		snprintf(from, sizeof(from), " (from %s)", s->env);
	else if (s->source == PROG_SET)
		snprintf(from, sizeof(from), " (from %s)",
		    s->origin != NULL ? s->origin : "the configuration");
	else if (s->source == PROG_DEFAULT)
		snprintf(from, sizeof(from), " (the default)");
	/* Never a secret, nor bytes a terminal or a log would mangle. */
	if (s->type == PROG_SECRET || s->value == NULL ||
	    !printable(s->value))
		log_error("%s%s: %s", flag, from, why);
	else
		log_error("%s \"%s\"%s: %s", flag, s->value ? s->value : "",
		    from, why);
	if (status == EXIT_BAD_FLAG)
		print_usage(p, stderr);
	exit(status);
}

void
prog_invalid(const struct prog *p, const struct prog_setting *s,
    const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fail(p, s, EXIT_BAD_VALUE, "%s", why);
}

void
prog_missing(const struct prog *p, const struct prog_setting *s,
    const char *what)
{
	char name[64], use[128];

	human(s->name, name, sizeof(name));
	if (s->letter != 0)
		snprintf(use, sizeof(use), "-%c (--%s)", s->letter, s->name);
	else
		snprintf(use, sizeof(use), "--%s", s->name);
	log_error("no %s: use %s%s%s", what != NULL ? what : name, use,
	    s->env != NULL ? " or set " : "", s->env != NULL ? s->env : "");
	prog_usage(p);
}

void
prog_usage(const struct prog *p)
{
	print_usage(p, stderr);
	exit(EXIT_BAD_FLAG);
}

static void
print_usage(const struct prog *p, FILE *fp)
{
	const char *l, *e;
	int first = 1;

	for (l = p->usage; *l != '\0'; l = *e == '\n' ? e + 1 : e) {
		e = l + strcspn(l, "\n");
		if (*l == ' ')
			fprintf(fp, "%*s%.*s\n", (int)strlen(p->name) + 8, "",
			    (int)(e - l - strspn(l, " ")), l + strspn(l, " "));
		else
			fprintf(fp, "%s %s %.*s\n", first ? "usage:" : "      ",
			    p->name, (int)(e - l), l);
		first = 0;
	}
	if (fp == stderr)
		fprintf(fp, "Try '%s --help' for every setting.\n", p->name);
}

/* "client-secret" as "client secret". */
static void
human(const char *name, char *out, size_t sz)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < sz; i++)
		out[i] = name[i] == '-' ? ' ' : name[i];
	out[i] = '\0';
}

/* --help: the usage, then each setting with its help line and facts. */
static void
help(const struct prog *p)
{
	size_t i;

	print_usage(p, stdout);
	printf("\n%s\n\nSettings (the command line wins over the "
	    "environment):\n", p->about);
	for (i = 0; i < p->nsettings; i++)
		help_setting(&p->settings[i]);
	printf("  -q, -v\n      log less, or more (repeatable)\n");
	help_setting(&p->logfmt);
	printf("  --help, --version\n      print this help, or the "
	    "version, and exit\n");
	out_done();
}

static void
help_setting(const struct prog_setting *s)
{
	const char *sep = "";

	if (s->type == PROG_SECRET)
		printf("  %s (never on the command line)\n", s->name);
	else if (s->letter != 0)
		printf("  -%c, --%s%s%s\n", s->letter, s->name,
		    s->type == PROG_BOOL ? "" : " ", s->type == PROG_BOOL ? "" :
		    s->arg != NULL ? s->arg : "value");
	else
		printf("  --%s%s%s\n", s->name, s->type == PROG_BOOL ? "" :
		    " ", s->type == PROG_BOOL ? "" : s->arg != NULL ? s->arg :
		    "value");
	printf("      %s\n", s->help);
	if (s->env == NULL && s->def == NULL && s->type != PROG_INT &&
	    s->type != PROG_DURATION && s->type != PROG_LIST && !s->required)
		return;
	printf("      [");
	if (s->required) {
		printf("required");
		sep = "; ";
	}
	if (s->env != NULL) {
		printf("%s%s", sep, s->env);
		sep = "; ";
	}
	if (s->type == PROG_SECRET && s->file != NULL) {
		printf("%sor the file named by --%s", sep, s->file);
		sep = "; ";
	}
	if (s->def != NULL) {
		printf("%sdefault %s", sep, s->def);
		sep = "; ";
	}
	if (s->type == PROG_INT || s->type == PROG_DURATION) {
		printf("%s%lld to %lld%s%s", sep, s->min, s->max,
		    s->type == PROG_DURATION ? " " : "",
		    s->type == PROG_DURATION ? unit_name(s->unit) : "");
		sep = "; ";
	}
	if (s->type == PROG_LIST)
		printf("%srepeatable", sep);
	printf("]\n");
}

/* --exit-codes: "STATUS NAME what", one condition a line: the frame's
 * and the program's, in the order of the table. */
static void
exit_codes(const struct prog *p)
{
	int c;

	for (c = 0; c < EXITC_END; c++)
		if (listed(frame_exits, c) || listed(p->exits, c))
			printf("%d %s %s\n", conditions[c].status,
			    conditions[c].name, conditions[c].what);
	out_done();
}

/* Whether condition c is in list (... EXITC_END). */
static int
listed(const enum exit_condition *list, int c)
{
	for (; *list != EXITC_END; list++)
		if ((int)*list == c)
			return 1;
	return 0;
}

/* After --help and the like: exit 0 once stdout is written. */
static void
out_done(void)
{
	if (fclose(stdout) == EOF)
		log_fatal(EXIT_SYSTEM, "unable to write stdout: %s",
		    strerror(errno));
	exit(EXIT_OK);
}

void
prog_signals(const int *sigs)
{
	if (sig_setup(sigs) == -1)
		log_fatal(EXIT_SYSTEM, "unable to set up signals: %s",
		    strerror(errno));
}

void
prog_io_init(struct prog_io *io, size_t max)
{
	memset(io, 0, sizeof(*io));
	lineio_init(&io->in, STDIN_FILENO, max);
}

void
prog_io_free(struct prog_io *io)
{
	lineio_free(&io->in);
}

int
prog_io_fill(struct prog_io *io)
{
	if (io->in_err)
		return -1;
	if (lineio_fill(&io->in) == -1 && errno != EINTR && errno != EAGAIN) {
		log_error("unable to read stdin: %s", strerror(errno));
		io->in_err = 1;
		return -1;
	}
	return 0;
}

int
prog_io_write(struct prog_io *io, const void *p, size_t len)
{
	if (io->out_dead)
		return -1;
	if (fwrite(p, 1, len, stdout) != len)
		return out_failed(io);
	return 0;
}

int
prog_io_flush(struct prog_io *io)
{
	if (io->out_dead)
		return -1;
	if (fflush(stdout) == EOF)
		return out_failed(io);
	return 0;
}

/* The first failure to write stdout: says why, and stops writing. */
static int
out_failed(struct prog_io *io)
{
	if (errno == EPIPE)
		log_error("stdout closed: downstream gone, stopping");
	else
		log_error("unable to write stdout: %s", strerror(errno));
	io->out_dead = 1;
	return -1;
}

int
prog_io_status(const struct prog_io *io)
{
	if (io->out_dead)
		return EXIT_DOWNSTREAM_GONE;
	if (io->in_err)
		return EXIT_INPUT_FAILED;
	return 0;
}

void
prog_ready(struct prog *p)
{
	struct prog_setting *s = prog_find(p, "ready-fd");

	if (s == NULL || s->num < 0)
		return;
	if (write((int)s->num, "\n", 1) != 1)
		log_warn("unable to write readiness fd %lld: %s", s->num,
		    strerror(errno));
	close((int)s->num);
	s->num = -1;
}

void
prog_free(struct prog *p)
{
	struct prog_setting *s;

	for (s = p->settings; s < p->settings + p->nsettings; s++) {
		if (s->owned == NULL)
			continue;
		explicit_bzero(s->owned, strlen(s->owned));
		free(s->owned);
		s->owned = NULL;
		s->value = NULL;
	}
	free(p->items);
	p->items = NULL;
	p->nitems = p->capitems = 0;
}

int
prog_finish(struct prog *p, int status)
{
	if (fclose(stdout) == EOF && status == 0) {
		log_error("unable to write stdout: %s", strerror(errno));
		status = EXIT_DOWNSTREAM_GONE;
	}
	prog_free(p);
	return status;
}
