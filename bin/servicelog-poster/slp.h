/*
 * slp: the engine of servicelog-poster.
 *
 * A poster reads decision lines from stdin, one at a time.  For a line
 * with issues it asks the template renderer for the texts of the cluster
 * (render.c), builds one Service Log entry per rendered issue (entry.c) and
 * posts the entries one after the other (post.c) with an OAuth access
 * token from the client-credentials grant, cached until shortly before it
 * expires (token.c).  It then writes the cluster's outcome line (run.c).
 *
 * poster_open installs the signal handlers (sig.h) and the HTTP client;
 * it exits with EXIT_SYSTEM when that fails.  poster_run handles stdin until
 * EOF, a termination signal, a read error or EPIPE on stdout.
 * poster_close releases everything, writes the metrics a last time and
 * returns the exit status.  Nothing here logs the client secret or a
 * token, at any level.
 */
#ifndef SLP_H
#define SLP_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "buf.h"
#include "exitcodes.h"
#include "http.h"
#include "metrics.h"
#include "prog.h"

#define SLP_SUMMARY_MAX		255	/* bytes of an entry's summary */
#define SLP_DESCRIPTION_MAX	4000	/* bytes of an entry's description */
#define SLP_ECHO_MAX		4096	/* bytes of an invalid line echoed */
#define SLP_ERROR_MAX		1000	/* bytes of an outcome's error */
#define SLP_EXCERPT_MAX		200	/* bytes of a response body logged */
#define SLP_JSON_DEPTH		10001	/* nesting accepted in any JSON text: as
					 * db-writer and differ, 10000 + the line */
#define SLP_RENDERER_TIMEOUT_MS	10000L	/* unless --timeout is given */
#define SLP_IDLE_MS		1000	/* longest wait for input or a signal */
#define SLP_METRICS_PREFIX	"ccx_notification_service_service_log_"

/* The settings, as read from the flags, the environment and defaults. */
struct config {
	const char	*url;		/* Service Log cluster_logs URL */
	const char	*token_url;
	const char	*client_id;
	const char	*client_secret;	/* the frame's; never printed */
	char		*renderer;	/* owned: server URL + endpoint */
	const char	*created_by;
	const char	*username;
	const char	*rule_details_uri;
	const char	*metrics_file;	/* or NULL */
	const char	*pushgateway;	/* Pushgateway URL, or NULL */
	long		 timeout_ms;	/* SSO and Service Log requests */
	long		 renderer_timeout_ms;
	int		 retries;	/* after the first attempt */
	long		 retry_base_ms;
	long		 retry_after_max_ms;
};

enum {
	M_SENT,
	M_ERROR_STATE,
	M_SAME_STATE,
	M_RENDERER_ERRORS,
	M_TOKEN_REFRESHES,
	M_LINES_READ,
	M_INVALID,
	M_ENTRIES_POSTED,
	M_ENTRIES_FAILED,
	M_NMETRICS
};

/* The cached access token. */
struct token {
	char		*value;		/* owned; NULL when none */
	int64_t		 refresh_ms;	/* time_mono_ms() to fetch anew */
};

/* A text of n bytes (it may hold NUL), not owned. */
struct span {
	const char	*p;
	size_t		 len;
};

/* The texts the renderer gave one issue (borrowed from its response). */
struct rendered {
	struct span	 rule_id, error_key, description, reason;
};

enum { ISSUE_UNRENDERED, ISSUE_RENDERED, ISSUE_POSTED, ISSUE_FAILED };

/* One issue of a decision line (strings borrowed from the line). */
struct issue {
	int64_t			 item;
	int64_t			 total_risk;
	const char		*type;
	const char		*component;
	const char		*key;
	struct json_object	*details;	/* NULL when absent */
	struct rendered		 r;
	int			 state;		/* ISSUE_* */
};

/* The cluster of the decision line being handled. */
struct cluster {
	const char		*id;
	unsigned long		 lineno;
	struct issue		*issues;	/* owned array */
	size_t			 n;
	struct json_object	*content;	/* borrowed */
	struct json_object	*response;	/* owned: the renderer's */
	size_t			 rendered;
	size_t			 posted;
	size_t			 failed;
	int			 token_failed;	/* fail the rest fast */
	char			 token_error[512];
	char			 error[SLP_ERROR_MAX + 1];	/* first one */
};

struct poster {
	const struct config	*cfg;
	struct http		 http;
	struct token		 tok;
	struct json_tokener	*tokener;
	struct prog_io		 io;		/* stdin, stdout */
	struct metric		 m[M_NMETRICS];
	struct metrics_timer	 mtimer;	/* when the file is due */
	int			 term;		/* a termination signal came */
	int			 eof;		/* stdin was read to its end */
};

void	poster_open(struct poster *, const struct config *);
void	poster_run(struct poster *);
int	poster_close(struct poster *);

/* util.c: helpers for the other modules; it calls none of them. */
/* Parses text as one JSON value followed by nothing but blanks; returns
 * it (the caller owns it) or NULL with the reason in why. */
struct json_object *slp_parse(struct poster *, const char *, size_t,
	    char *why, size_t whysz);
/* Non-zero once a termination signal was received (reads the pipe). */
int	slp_terminating(struct poster *);
/* Sleeps ms milliseconds unless a termination signal comes; returns 0,
 * or -1 when interrupted by one. */
int	slp_wait(struct poster *, int64_t ms);
/* A printable excerpt of s[0..n) in out: at most max bytes, valid UTF-8,
 * control characters as spaces. */
void	slp_excerpt(const char *, size_t, size_t max, char *out, size_t);
/* The wait before retry number n (1, 2, ...): exponential backoff with
 * jitter, or the response's Retry-After if longer (capped).  token.c and
 * post.c both use it. */
int64_t	slp_backoff_ms(const struct config *, int n,
	    const struct http_response *);
/* Writes the metrics file by the rule of metrics_refresh (metrics.h): when
 * due, or when force is set. */
void	slp_metrics_tick(struct poster *, int force);
/* How long a wait for input or a signal may last: SLP_IDLE_MS, or until
 * the metrics file is due. */
int	slp_idle_ms(const struct poster *);

/* token.c */
/* Returns the access token (owned by the poster), fetched when there is
 * none, when it is due for refresh or when force is set; NULL with the
 * reason in err when the token endpoint fails. */
const char *token_get(struct poster *, int force, char *err, size_t errsz);
void	token_free(struct token *);

/* render.c */
/* One renderer call for the cluster; sets the rendered texts of the
 * matching issues.  Returns 0, or -1 with the reason in err. */
int	render_cluster(struct poster *, struct cluster *, char *err,
	    size_t errsz);

/* entry.c */
/* Appends the JSON body of the entry of a rendered issue to b. */
void	entry_build(const struct config *, const char *cluster,
	    const struct issue *, struct buf *b);
/* The Service Log severity name of a total risk (NULL if it has none). */
const char *entry_severity(int64_t total_risk);

/* post.c */
/* Posts one entry body with the token, retry and timeout policy of
 * Contract G 8.3; returns 0, or -1 with the reason in err. */
int	post_entry(struct poster *, struct cluster *, const char *body,
	    size_t len, char *err, size_t errsz);

#endif
