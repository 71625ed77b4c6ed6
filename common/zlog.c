/*
 * zlog: zerolog's JSON and console records (COMPAT.md 6.1).  See zlog.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "redact.h"
#include "zlog.h"

#define ZLOG_MAX	8192
#define MAXFIELDS	64

static const char *const json_names[] = { "debug", "info", "warn", "error",
	"fatal" };
static const char *const console_names[] = { "DBG", "INF", "WRN", "ERR",
	"FTL" };
/* ANSI colours of the levels, as zerolog's ConsoleWriter has them. */
static const char *const level_colors[] = { "\033[33m", "\033[32m",
	"\033[31m", "\033[1m\033[31m", "\033[31m" };

static void	json_record(struct buf *, int, const char *,
		    const struct zfield *, size_t, time_t);
static void	console_record(const struct zlog *, struct buf *, int,
		    const char *, const struct zfield *, size_t, time_t);
static void	value_json(struct buf *, const struct zfield *);
static void	value_console(struct buf *, const struct zfield *);
static void	rfc3339(struct buf *, time_t);
static int	needs_quote(const char *);
static void	go_quote(struct buf *, const char *);
static void	colored(const struct zlog *, struct buf *, const char *,
		    const char *);

void
zlog_init(struct zlog *z)
{
	const char *nc = getenv("NO_COLOR");

	z->out = stdout;
	z->console = 0;
	z->color = nc == NULL || *nc == '\0';
	z->min_level = ZL_DEBUG;
}

int
zlog_level_from_name(const char *s)
{
	static const struct { const char *n; int l; } names[] = {
		{ "trace", ZL_DEBUG }, { "debug", ZL_DEBUG },
		{ "info", ZL_INFO }, { "warn", ZL_WARN },
		{ "warning", ZL_WARN }, { "error", ZL_ERROR },
		{ "fatal", ZL_FATAL }, { "panic", ZL_FATAL },
		{ "disabled", ZL_DISABLED },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].n) == 0)
			return names[i].l;
	return -1;
}

void
zlog_format(const struct zlog *z, int level, const char *msg,
    const struct zfield *f, size_t n, long long epoch, char *out,
    size_t size)
{
	struct buf b;

	buf_init_fixed(&b, out, size);
	if (level < ZL_DEBUG || level > ZL_FATAL)
		level = ZL_ERROR;
	if (z->console)
		console_record(z, &b, level, msg, f, n, (time_t)epoch);
	else
		json_record(&b, level, msg, f, n, (time_t)epoch);
	/* The last line of defence, as in log.c. */
	redact_text(out, size);
}

void
zlog_write(const struct zlog *z, int level, const char *msg,
    const struct zfield *f, size_t n)
{
	char line[ZLOG_MAX];

	if (level < z->min_level || z->min_level == ZL_DISABLED)
		return;
	zlog_format(z, level, msg, f, n, (long long)time(NULL), line,
	    sizeof(line) - 1);
	fprintf(z->out, "%s\n", line);
	fflush(z->out);
}

static void
json_record(struct buf *b, int level, const char *msg,
    const struct zfield *f, size_t n, time_t t)
{
	size_t i;

	buf_puts(b, "{\"level\":\"");
	buf_puts(b, json_names[level]);
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		buf_putc(b, ',');
		buf_json_str(b, f[i].name, strlen(f[i].name));
		buf_putc(b, ':');
		value_json(b, &f[i]);
	}
	buf_puts(b, ",\"time\":\"");
	rfc3339(b, t);
	buf_putc(b, '"');
	if (msg != NULL && *msg != '\0') {
		buf_puts(b, ",\"message\":");
		buf_json_str(b, msg, strlen(msg));
	}
	buf_putc(b, '}');
}

static void
value_json(struct buf *b, const struct zfield *f)
{
	char num[64];

	switch (f->type) {
	case ZF_INT:
		buf_put_i64(b, (int64_t)f->i);
		break;
	case ZF_BOOL:
		buf_puts(b, f->i ? "true" : "false");
		break;
	case ZF_FLOAT:
		snprintf(num, sizeof(num), "%.17g", f->d);
		buf_puts(b, num);
		break;
	case ZF_RAW:
		buf_puts(b, f->s != NULL ? f->s : "null");
		break;
	default:
		buf_json_str(b, f->s != NULL ? f->s : "",
		    f->s != NULL ? strlen(f->s) : 0);
	}
}

/* "3:04PM INF message error=... a=1 b=2" */
static void
console_record(const struct zlog *z, struct buf *b, int level,
    const char *msg, const struct zfield *f, size_t n, time_t t)
{
	const struct zfield *order[MAXFIELDS], *tmp;
	char ts[16];
	struct tm tm;
	size_t i, j, k = 0;

	localtime_r(&t, &tm);
	snprintf(ts, sizeof(ts), "%d:%02d%s", tm.tm_hour % 12 == 0 ? 12 :
	    tm.tm_hour % 12, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM");
	colored(z, b, "\033[90m", ts);
	buf_putc(b, ' ');
	colored(z, b, level_colors[level], console_names[level]);
	if (msg != NULL && *msg != '\0') {
		buf_putc(b, ' ');
		buf_puts(b, msg);
	}
	for (i = 0; i < n && k < MAXFIELDS; i++)
		order[k++] = &f[i];
	/* Sorted by name, "error" first (insertion sort: a few fields). */
	for (i = 1; i < k; i++) {
		for (j = i; j > 0; j--) {
			int ae = strcmp(order[j]->name, "error") == 0;
			int be = strcmp(order[j - 1]->name, "error") == 0;
			if (!ae && (be ||
			    strcmp(order[j - 1]->name, order[j]->name) <= 0))
				break;
			tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	}
	for (i = 0; i < k; i++) {
		buf_putc(b, ' ');
		if (z->color)
			buf_puts(b, "\033[36m");
		buf_puts(b, order[i]->name);
		buf_putc(b, '=');
		if (z->color)
			buf_puts(b, "\033[0m");
		if (strcmp(order[i]->name, "error") == 0 && z->color) {
			buf_puts(b, "\033[31m\033[1m");
			value_console(b, order[i]);
			buf_puts(b, "\033[0m\033[0m");
		} else
			value_console(b, order[i]);
	}
}

static void
value_console(struct buf *b, const struct zfield *f)
{
	if (f->type != ZF_STR) {
		value_json(b, f);
		return;
	}
	if (f->s == NULL)
		return;
	if (needs_quote(f->s))
		go_quote(b, f->s);
	else
		buf_puts(b, f->s);
}

static void
colored(const struct zlog *z, struct buf *b, const char *color,
    const char *s)
{
	if (z->color)
		buf_puts(b, color);
	buf_puts(b, s);
	if (z->color)
		buf_puts(b, "\033[0m");
}

/* RFC 3339 with whole seconds in the local zone, Z for UTC. */
static void
rfc3339(struct buf *b, time_t t)
{
	char s[40];
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_puts(b, s);
	off = tm.tm_gmtoff;
	if (off == 0) {
		buf_putc(b, 'Z');
		return;
	}
	snprintf(s, sizeof(s), "%c%02ld:%02ld", off < 0 ? '-' : '+',
	    labs(off) / 3600, labs(off) % 3600 / 60);
	buf_puts(b, s);
}

/* zerolog's needsQuote: a control, a space, a quote, a backslash or a
 * byte beyond ASCII. */
static int
needs_quote(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == ' ' || *p == '\\' ||
		    *p == '"')
			return 1;
	return 0;
}

/*
 * Go's strconv.Quote, near enough for log values: the escapes Go uses for
 * ASCII; bytes beyond ASCII are kept (valid UTF-8 prints as itself there).
 */
static void
go_quote(struct buf *b, const char *s)
{
	static const char bytes[] = "\"\\\n\t\r", names[] = "\"\\ntr";
	const unsigned char *p;
	const char *e;
	char esc[8];

	buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((e = strchr(bytes, *p)) != NULL) {
			buf_putc(b, '\\');
			buf_putc(b, names[e - bytes]);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			buf_puts(b, esc);
		} else
			buf_putc(b, *p);
	}
	buf_putc(b, '"');
}
