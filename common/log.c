#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "buf.h"
#include "log.h"
#include "redact.h"

/* The logger's settings; set once at start by the program. */
static struct {
	const char	*prog;
	int		 level;
	int		 format;
} lg = { "ccx", LOG_INFO, LOG_TEXT };

static const char *level_names[] = { "error", "warning", "info", "debug" };

void
log_init(const char *prog)
{
	const char *p = strrchr(prog, '/');

	lg.prog = p ? p + 1 : prog;
}

void
log_set_level(int level)
{
	lg.level = level < LOG_ERROR ? LOG_ERROR :
	    level > LOG_DEBUG ? LOG_DEBUG : level;
}

int
log_get_level(void)
{
	return lg.level;
}

int
log_set_format_name(const char *name)
{
	if (strcmp(name, "text") == 0)
		lg.format = LOG_TEXT;
	else if (strcmp(name, "json") == 0)
		lg.format = LOG_JSON;
	else
		return -1;
	return 0;
}

int
log_get_format(void)
{
	return lg.format;
}

void
log_quieter(void)
{
	log_set_level(lg.level - 1);
}

void
log_louder(void)
{
	log_set_level(lg.level + 1);
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[2048], line[4096 + 256], ts[100];
	struct timeval tv;
	struct tm tm;
	struct buf b;

	if (level > lg.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* The last line of defence: no URL password, no secret setting. */
	redact_text(msg, sizeof(msg));
	if (lg.format == LOG_TEXT) {
		if (level == LOG_INFO || level == LOG_DEBUG)
			fprintf(stderr, "%s: %s\n", lg.prog, msg);
		else
			fprintf(stderr, "%s: %s: %s\n", lg.prog,
			    level_names[level], msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
	buf_init_fixed(&b, line, sizeof(line));
	buf_puts(&b, "{\"time\":\"");
	buf_puts(&b, ts);
	buf_puts(&b, "\",\"level\":\"");
	buf_puts(&b, level_names[level]);
	buf_puts(&b, "\",\"prog\":");
	buf_json_str(&b, lg.prog, strlen(lg.prog));
	buf_puts(&b, ",\"msg\":");
	buf_json_str(&b, msg, strlen(msg));
	buf_puts(&b, "}\n");
	fwrite(b.data, 1, b.len, stderr);
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
