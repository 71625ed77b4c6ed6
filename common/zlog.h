/*
 * zlog: log records in the shape upstream's Go programs write them with
 * zerolog (COMPAT.md 6.1), for the front ends that stand in for them.
 *
 * JSON: {"level":"info",<fields in the caller's order>,"time":"<RFC 3339,
 * whole seconds, local zone>","message":"..."}, the message left out when
 * empty.  Console (zerolog's ConsoleWriter): "3:04PM INF message
 * name=value ...", fields sorted by name with "error" first, values that
 * need it quoted as Go's strconv.Quote does, ANSI colours unless NO_COLOR
 * is set.  Records below the minimum level are dropped.  Every text goes
 * through redact_text first, as log.c does.
 */
#ifndef CCX_ZLOG_H
#define CCX_ZLOG_H

#include <stddef.h>
#include <stdio.h>

enum zlog_level { ZL_DEBUG, ZL_INFO, ZL_WARN, ZL_ERROR, ZL_FATAL,
	ZL_DISABLED };

enum zfield_type { ZF_STR, ZF_INT, ZF_BOOL, ZF_FLOAT, ZF_RAW };

struct zfield {
	const char	*name;
	int		 type;		/* enum zfield_type */
	const char	*s;		/* ZF_STR; ZF_RAW: JSON text */
	long long	 i;		/* ZF_INT; ZF_BOOL: 0 or 1 */
	double		 d;		/* ZF_FLOAT */
};

#define ZSTR(n, v)	((struct zfield){ (n), ZF_STR, (v), 0, 0 })
#define ZINT(n, v)	((struct zfield){ (n), ZF_INT, NULL, (v), 0 })
#define ZBOOL(n, v)	((struct zfield){ (n), ZF_BOOL, NULL, !!(v), 0 })
#define ZFLOAT(n, v)	((struct zfield){ (n), ZF_FLOAT, NULL, 0, (v) })
#define ZRAW(n, v)	((struct zfield){ (n), ZF_RAW, (v), 0, 0 })

struct zlog {
	FILE		*out;
	int		 console;	/* zerolog's console form */
	int		 color;		/* ANSI colours (console form) */
	int		 min_level;	/* enum zlog_level */
};

/* stdout, JSON, level debug, colours unless NO_COLOR is set. */
void	zlog_init(struct zlog *);

/* Level names as upstream's configuration spells them ("debug", "info",
 * "warn", "warning", "error", "fatal", "panic", "disabled", any case);
 * -1 for anything else. */
int	zlog_level_from_name(const char *);

void	zlog_write(const struct zlog *, int level, const char *msg,
	    const struct zfield *fields, size_t n);

/* The record as text, without the newline, into out (always terminated);
 * for tests. */
void	zlog_format(const struct zlog *, int level, const char *msg,
	    const struct zfield *fields, size_t n, long long epoch,
	    char *out, size_t size);

#endif
