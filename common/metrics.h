/*
 * metrics: counters in the Prometheus text exposition format.
 *
 * A program keeps its counters in an array of struct metric (name, help,
 * type, value) and calls metrics_write to replace PATH atomically (write to
 * PATH.tmp, fsync, rename), as node_exporter's textfile collector wants.
 * metrics_format appends the text to a buffer (for a Pushgateway PUT).
 */
#ifndef CCX_METRICS_H
#define CCX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct metric {
	const char	*name;
	const char	*help;
	const char	*type;		/* "counter" or "gauge" */
	uint64_t	 value;
};

void	metrics_format(struct buf *, const char *prefix,
	    const struct metric *, size_t n);
/* Returns 0, or -1 with errno set; a NULL path does nothing. */
int	metrics_write(const char *path, const char *prefix,
	    const struct metric *, size_t n);

/*
 * Pushes the counters to a Prometheus Pushgateway: PUT
 * <gateway>/metrics/job/<job> with the text format (libcurl, 5 s timeout),
 * replacing what that job pushed before.  Returns 0, or -1 with the reason
 * in err.  A NULL gateway does nothing.
 *
 * Credentials come from the environment, never from the URL (a URL with
 * user@ or user:password@ is refused: argv shows in the process list):
 * the file named by CCX_PUSHGATEWAY_AUTH_FILE, else CCX_PUSHGATEWAY_AUTH,
 * holds "user:password" (HTTP Basic) or a bearer token, one line.
 */
int	metrics_push(const char *gateway, const char *job, const char *prefix,
	    const struct metric *, size_t n, char *err, size_t errsz);

/* metrics_push at the end of a run: a failure is only warned of. */
void	metrics_push_warn(const char *gateway, const char *job,
	    const char *prefix, const struct metric *, size_t n);

/*
 * One PUT of body (len bytes of the text format) to url, with the header
 * line auth ("Authorization: ...", NULL: none), 5 s timeout: what
 * metrics_push does after building its URL and credential, for callers
 * that build their own.  Returns 0 with the HTTP status in *status when
 * an answer came, whatever the status, or -1 with the reason in err.
 */
int	metrics_put(const char *url, const char *auth, const char *body,
	    size_t len, long *status, char *err, size_t errsz);

/* A counter and its words in a summary line. */
struct metric_label {
	size_t		 index;
	const char	*words;
};

/* Logs "V0 words0: V1 words1, V2 words2, ..." at info level: a
 * program's last line. */
void	metrics_log_counts(const struct metric *,
	    const struct metric_label *, size_t n);

#define METRICS_MS	2000	/* a changed counter is in the file within */
#define METRICS_MAX	32	/* counters a timer follows */

/*
 * When to rewrite a metrics file, the same in every program: the first
 * time, then when a counter changed but at most every METRICS_MS, after a
 * failed write METRICS_MS later (warned once), every idle_ms (0: never)
 * when nothing changed, and always when forced (at exit).  Zero it, set
 * idle_ms, and call metrics_refresh from every round of the program's loop;
 * metrics_timer_wait says how long that loop may sleep.
 */
struct metrics_timer {
	uint64_t	 written[METRICS_MAX];	/* the values last written */
	int64_t		 last_ms;		/* 0: never written */
	int64_t		 due_ms;		/* a write is due; 0: none */
	int64_t		 idle_ms;
	int		 failed;
};

/* Writes path (NULL: nothing to do) when due or forced; n <= METRICS_MAX.
 * Returns 0, or -1 when a write failed (warned the first time). */
int	metrics_refresh(struct metrics_timer *, const char *path,
	    const char *prefix, const struct metric *, size_t n, int force);
/* Milliseconds until a write is due from now, 0 if overdue, -1 if none. */
int64_t	metrics_timer_wait(const struct metrics_timer *, int64_t now_ms);

#endif
