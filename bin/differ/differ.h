/*
 * differ: the decisions of one notification run (SPEC Contract C).
 *
 * differ.c reads the options and runs the program; source.c streams the
 * candidates (from PostgreSQL in one query, or from candidate lines);
 * decide.c turns one candidate into at most one decision line; outbox.c
 * writes it, after its claim when it will send something.
 */
#ifndef DIFFER_H
#define DIFFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "buf.h"
#include "content.h"
#include "evfilter.h"
#include "metrics.h"

struct json_object;

#define TARGET_NB	1	/* notifications backend, event target 1 */
#define TARGET_SL	2	/* service log, event target 2 */

#define DEFAULT_COOLDOWN	"1 week"
#define DEFAULT_CLAIM_EXPIRY	"1 hour"
#define DEFAULT_CLUSTER_URI	\
	"https://console.redhat.com/openshift/insights/advisor/clusters/" \
	"{cluster_id}"
#define DEFAULT_RULE_URI	DEFAULT_CLUSTER_URI "?first={module}|{error_key}"
#define DEFAULT_CONTENT_TIMEOUT	15
#define ERROR_TEXT_MAX		1000	/* read_errors.error_text */
#define PROGRESS_MS		2000

/*
 * Why an item is notified or not, with the name --explain gives it (the
 * counters M_SKIPPED + reason - R_NO_CONTENT too).  The first reason that
 * applies, in the order of the checks: disabled, then the event filter,
 * the tag filter and the cooldown; no_content stands for the filters when
 * the content has no rule and key for the item.  The last four are about
 * the whole report.
 */
#define REASONS(X)							\
	X(NOTIFY, notify)						\
	X(NO_CONTENT, no_content) X(BELOW_THRESHOLD, below_threshold)	\
	X(EVENT_FILTER, event_filter) X(TAG_FILTER, tag_filter)		\
	X(IN_COOLDOWN, in_cooldown) X(DISABLED_CLUSTER, disabled_cluster) \
	X(DISABLED_ORG, disabled_org) X(UNDECODABLE, undecodable)	\
	X(NO_REPORT, no_report) X(EMPTY_REPORT, empty_report)		\
	X(CLUSTER_FILTER, cluster_filter)

enum reason {
#define REASON_ENUM(r, name)	R_##r,
	REASONS(REASON_ENUM)
#undef REASON_ENUM
	R_NREASONS
};

enum {
	M_HIGH_IMPACT,		/* new issues */
	M_SAME,			/* same decisions (+ suppressed issues, SL) */
	M_DESERIALIZE,		/* undecodable reports */
	M_READ_ERRORS,		/* candidates that could not be read */
	M_CANDIDATES,
	M_DECISIONS,		/* lines written */
	M_FILTERED,		/* dropped by the allow or block list */
	M_BASELINE_ERRORS,	/* undecodable baselines */
	M_EVAL_ERRORS,		/* event filter divided by zero */
	M_IN_FLIGHT,		/* skipped: an earlier run's claim */
	M_CLAIMS_EXPIRED,	/* expired claims decided again */
	M_BASELINES,		/* candidates with a baseline */
	M_SKIPPED,		/* items skipped, one counter a reason from
				 * R_NO_CONTENT to R_UNDECODABLE */
	M_NMETRICS = M_SKIPPED + R_UNDECODABLE - R_NO_CONTENT + 1
};

#define AGG_CLUSTER	1	/* a cluster_rule_toggle row applies */
#define AGG_ORG		2	/* a rule_disable row applies */

/* The rules users disabled (aggregator.c). */
struct agg_pair {			/* a (rule, error key) of some row */
	uint64_t	 h;
	size_t		 off;		/* "rule\0key\0" in names */
	uint32_t	 rn, kn;
};

struct agg_key {			/* a cluster or an organisation */
	uint64_t	 a, b;
	uint32_t	 kind;
};

struct agg_ent {			/* one that rows name */
	struct agg_key	 key;
	uint32_t	 off, n;	/* its pairs: plist[off, off + n) */
};

struct agg_link {			/* a row, while loading */
	uint32_t	 ent, pair;
};

/* A candidate's cluster and organisation: the pairs disabled for each. */
struct agg_cand {
	const uint32_t	*cp, *op;	/* sorted */
	uint32_t	 cn, on;
	int		 maybe;		/* AGG_CLUSTER | AGG_ORG; 0: none */
};

struct agg {
	int		 on;
	uint64_t	 seed;
	struct buf	 names;
	struct agg_pair	*pairs;
	uint32_t	 npairs;
	size_t		 cappairs;
	uint32_t	*pslot;		/* pair index + 1; 0: empty */
	size_t		 pmask;
	struct agg_ent	*ents;
	size_t		 nents, capents;
	uint32_t	*eslot;		/* ent index + 1; 0: empty */
	size_t		 emask;
	struct agg_link	*links;
	size_t		 nlinks, caplinks;
	uint32_t	*plist;		/* the pairs of each ent */
	size_t		 nplist;
	uint64_t	*bits;		/* a bit set for each ent (with
					 * false positives for others) */
	size_t		 bmask;
	uint64_t	 ncluster, norg, nskipped;
};

/* A sorted list of strings (cluster lists, tags), from a comma list. */
struct strlist {
	char		**v;
	size_t		  n;
	char		 *mem;
};

struct differ_conf {
	const char	*conninfo;
	int		 target;		/* TARGET_NB or TARGET_SL */
	const char	*target_name;
	const char	*content_url;
	const char	*input;			/* -i: NULL = the database */
	int		 input_fd;		/* -i: open, or -1 */
	int		 dump;			/* --dump-candidates */
	const char	*cooldown;		/* NULL: disabled */
	struct evfilter_vars thresholds;	/* the four *Threshold only */
	struct evfilter	*filter;
	int		 default_filter;	/* no --event-filter */
	int		 tag_filter;
	struct strlist	 tags;
	int		 allow_on, block_on;
	struct strlist	 allowed, blocked;
	const char	*cluster_uri;
	const char	*rule_uri;
	unsigned	 shard_k, shard_n;	/* shard_n 0: no sharding */
	int		 no_same;
	int		 wait_lock;		/* --wait: for the run lock */
	int		 go_fd;			/* --go-fd, or -1 */
	int		 dry_run;		/* no lock, no claims */
	const char	*aggregator;		/* conninfo, or NULL */
	struct strlist	 explain;		/* --explain: the clusters */
	const char	*claim_expiry;		/* interval text */
	long		 content_timeout_ms;
	int		 ready_fd;
	const char	*metrics_file;
	const char	*pushgateway;	/* Pushgateway URL, or NULL */
};

/* The judgement of one item (decide.c), which --explain writes out. */
struct verdict {
	int		 reason;		/* R_NOTIFY ... */
	const struct content_key *ck;		/* NULL: no content */
	struct evfilter_vars vars;
	int64_t		 filter;		/* the event filter's value */
	int		 filter_err;		/* it divided by zero */
	int		 tags_ok;
	int		 in_baseline;
	int		 disabled;		/* AGG_CLUSTER | AGG_ORG */
};

/* One candidate: borrowed pointers, valid while it is being decided. */
struct cand {
	int64_t		 org_id;
	int64_t		 account_number;
	int64_t		 kafka_offset;
	const char	*cluster;
	size_t		 cluster_len;
	const char	*updated_at;		/* NUL-terminated */
	const char	*report;
	size_t		 report_len;
	const char	*baseline;		/* NULL: no baseline */
	size_t		 baseline_len;
	const char	*baseline_notified_at;	/* NULL when none */
	const char	*claim_at;		/* an earlier run's claim */
	int		 claim_expired;
};

/* A decision line held until the claims before it commit. */
struct held {
	size_t		 off, len;		/* in outbox.lines */
	size_t		 key;			/* in outbox.keys, or -1 */
};

/* The run lock and the claims of decisions (outbox.c). */
struct outbox {
	PGconn		*conn;		/* NULL: no claims (-i, dumps) */
	struct buf	 col[4];	/* fresh claims: org, cluster, upd,
					 * notified_at (array literals) */
	struct buf	 tcol[5];	/* takeovers: the same, + the old
					 * claim's notified_at */
	struct buf	 lines;		/* held lines */
	struct buf	 keys;		/* "org cluster" of each claim */
	struct held	*held;
	size_t		 nheld, capheld, nfresh, ntake;
	int64_t		 first_ms;
};

/* One report item: strings unescaped into the set's arena. */
struct item {
	size_t		 type, type_len;	/* offsets into arena */
	size_t		 comp, comp_len;
	size_t		 key, key_len;
	const char	*details;		/* span in the report, or NULL */
	size_t		 details_len;
	int		 details_flags;
	int		 details_kind;
};

struct itemset {
	struct item	*v;
	size_t		 n, cap;
	struct buf	 arena;
};

#define ARENA(set, off)	((set)->arena.data + (off))

/* A new issue of the current candidate. */
struct issue {
	size_t			 item;
	int64_t			 total_risk;
	const struct content_key *ck;		/* NULL: no content */
	struct json_object	*rule;		/* SL: its RuleContent */
};

/* The serialised RuleContent of one rule, made once per run. */
struct rulejson {
	struct json_object	*obj;
	char			*text;
	size_t			 len;
};

struct differ {
	struct differ_conf	 conf;
	struct content		 content;
	PGconn			*conn;
	struct outbox		 outbox;
	struct itemset		 cur, base;
	int			 base_same;	/* base is cur, byte for byte:
						 * not decoded */
	struct issue		*iss;
	size_t			 niss, capiss;
	struct rulejson		*rj;
	size_t			 nrj, caprj;
	struct buf		 line, tmp, rule;
	struct buf		 in_str;	/* a candidate line's strings */
	struct buf		 body;		/* payload, or issues and content */
	char			 error[ERROR_TEXT_MAX + 256];
	const char		*invalid;	/* the setting the database
						 * refused (error says why) */
	int64_t			 last_notified_us;
	int64_t			 next_progress_ms;
	int			 warned_eval;
	int			 out_failed;
	uint64_t		 nread, nnew, nread_err, nallowed, nblocked;
	struct metric		 m[M_NMETRICS];
	struct agg		 agg;
	struct agg_cand		 acand;		/* the candidate's keys */
	size_t			*dis;		/* its disabled items */
	size_t			 ndis, capdis;
	unsigned char		*seen;		/* per conf.explain cluster */
};

/* aggregator.c */
void	agg_init(struct agg *);
void	agg_free(struct agg *);
/* Reads the disabled rules; 0, or -1 with a sentence naming the
 * database in err. */
int	agg_load(struct agg *, const char *conninfo, char *err, size_t);
/* The rule name of a component or rule_id: [*start, *start + *n). */
void	agg_rule_span(const char *, size_t, size_t *start, size_t *n);
/* The keys of a candidate's cluster (without trailing blanks) and
 * organisation. */
void	agg_candidate(const struct agg *, const char *cluster, size_t,
	    int64_t org, struct agg_cand *);
/* AGG_CLUSTER and AGG_ORG: what disables (rule, key) for the candidate;
 * 0: nothing. */
int	agg_disabled(const struct agg *, const struct agg_cand *,
	    const char *rule, size_t, const char *key, size_t);

/* explain.c: --explain lines, written with differ_write. */
/* One item of the current report (d->cur), its verdict and values. */
int	explain_item(struct differ *, const struct cand *, size_t,
	    const struct verdict *);
/* A line about the whole report (R_UNDECODABLE, R_EMPTY_REPORT,
 * R_CLUSTER_FILTER; c NULL: R_NO_REPORT for the cluster name). */
int	explain_report(struct differ *, const struct cand *, const char *,
	    int reason, const char *error);
/* R_NO_REPORT lines for the --explain clusters no candidate named. */
int	explain_missing(struct differ *);
/* The name of a reason. */
const char *explain_reason(int);

/* decide.c */
void	differ_init(struct differ *);
void	differ_free(struct differ *);
/* Filters, decides and writes one candidate; returns 0, or EX_TEMPFAIL
 * when standard output failed (logged). */
int	differ_candidate(struct differ *, const struct cand *);
void	differ_progress(struct differ *, int);
void	differ_summary(struct differ *);

/* outbox.c */
/* Writes s[0..n) to standard output; returns 0 or EX_TEMPFAIL (logged). */
int	differ_write(struct differ *, const char *, size_t);
int	outbox_open(struct differ *);
/* Writes or holds the line in d->line; claimed: it will send something. */
int	outbox_hold(struct differ *, const struct cand *, int64_t now,
	    int claimed);
int	outbox_tick(struct differ *);
int	outbox_flush(struct differ *);
void	outbox_close(struct differ *);

/* source.c */
/* Connects and checks the cooldown; returns 0 or an exit status. */
int	differ_db_open(struct differ *);
/* Streams the candidates of the database: decides them, or with
 * conf.dump prints them; returns the exit status. */
int	differ_run_db(struct differ *);
/* Reads candidate lines from conf.input; returns the exit status. */
int	differ_run_input(struct differ *);
/* PostgreSQL's hashtext() of s[0..n) (hash_bytes, little-endian). */
uint32_t differ_hashtext(const char *, size_t);
/* Whether the cluster belongs to this run's shard. */
int	differ_in_shard(const struct differ_conf *, const char *, size_t);

#endif
