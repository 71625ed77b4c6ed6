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

#endif

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
