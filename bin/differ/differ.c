/*
 * differ: one notification run for one target.  Reads the newest report of
 * every cluster with the report last sent to the target inside the
 * cooldown (one streamed query, or candidate lines with -i), applies SPEC
 * Contract C with the rule content, writes one decision line per cluster
 * and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "differ.h"
#include "log.h"
#include "prog.h"
#include "sig.h"

enum {
	O_CONNINFO, O_TARGET, O_CONTENT_URL, O_INPUT, O_DUMP, O_COOLDOWN,
	O_TR_THRESHOLD, O_LI_THRESHOLD, O_IM_THRESHOLD, O_SE_THRESHOLD,
	O_EVENT_FILTER, O_TAG_FILTER, O_NO_TAG_FILTER, O_ALLOWED, O_BLOCKED,
	O_CLUSTER_URI, O_RULE_URI, O_SHARD, O_NO_SAME, O_CONTENT_TIMEOUT,
	O_METRICS_FILE, O_PUSHGATEWAY, O_WAIT, O_GO, O_CLAIM_EXPIRY, O_DRY_RUN,
	O_AGGREGATOR_DB, O_EXPLAIN, O_READY, O_NSETTINGS
};

#define THRESHOLD(n, v, h)	{ .name = n, .env = v, .type = PROG_INT, \
	.min = INT_MIN, .max = INT_MAX, .arg = "n", .help = h }

/*
 * Every setting but -n has a variable: CCX_DIFFER_ and its name.  The
 * frame completes the settings it knows (prog.h).
 */
static struct prog_setting settings[O_NSETTINGS] = {
	[O_CONNINFO] = { .name = "conninfo", .letter = 'd',
	    .env = "CCX_DIFFER_CONNINFO", .arg = "conninfo",
	    .help = "the database (a libpq conninfo or URI; PG* too)" },
	[O_TARGET] = { .name = "target", .letter = 'T',
	    .env = "CCX_DIFFER_TARGET", .type = PROG_CHOICE, .required = 1,
	    .arg = "notifications-backend|service-log",
	    .help = "the target whose notifications are decided" },
	[O_CONTENT_URL] = { .name = "content-url", .letter = 'c',
	    .env = "CCX_DIFFER_CONTENT_URL", .arg = "content-url",
	    .help = "the rule content: a file://, http:// or https:// URL" },
	[O_INPUT] = { .name = "input", .letter = 'i', .env = "CCX_DIFFER_INPUT",
	    .arg = "file|-", .help = "candidate lines instead of the database" },
	[O_DUMP] = { .name = "dump-candidates", .type = PROG_BOOL,
	    .env = "CCX_DIFFER_DUMP_CANDIDATES",
	    .help = "print the candidates as lines, decide nothing" },
	[O_COOLDOWN] = { .name = "cooldown", .env = "CCX_DIFFER_COOLDOWN",
	    .def = DEFAULT_COOLDOWN, .arg = "interval",
	    .help = "a PostgreSQL interval; 0 or empty: no cooldown" },
	[O_TR_THRESHOLD] = THRESHOLD("total-risk-threshold",
	    "CCX_DIFFER_TOTAL_RISK_THRESHOLD", "totalRiskThreshold of the "
	    "event filter (default 2 for notifications-backend, else 0)"),
	[O_LI_THRESHOLD] = THRESHOLD("likelihood-threshold",
	    "CCX_DIFFER_LIKELIHOOD_THRESHOLD",
	    "likelihoodThreshold of the event filter (default 0)"),
	[O_IM_THRESHOLD] = THRESHOLD("impact-threshold",
	    "CCX_DIFFER_IMPACT_THRESHOLD",
	    "impactThreshold of the event filter (default 0)"),
	[O_SE_THRESHOLD] = THRESHOLD("severity-threshold",
	    "CCX_DIFFER_SEVERITY_THRESHOLD",
	    "severityThreshold of the event filter (default 0)"),
	[O_EVENT_FILTER] = { .name = "event-filter",
	    .env = "CCX_DIFFER_EVENT_FILTER", .arg = "expr",
	    .help = "which new issues are notified (default: the target's)" },
	[O_TAG_FILTER] = { .name = "tag-filter", .env = "CCX_DIFFER_TAG_FILTER",
	    .arg = "tags", .help = "notify only rules with one of these tags "
	    "(service-log: osd_customer)" },
	[O_NO_TAG_FILTER] = { .name = "no-tag-filter", .type = PROG_BOOL,
	    .env = "CCX_DIFFER_NO_TAG_FILTER",
	    .help = "no tag filter; of it and --tag-filter, the last given" },
	[O_ALLOWED] = { .name = "allowed-clusters",
	    .env = "CCX_DIFFER_ALLOWED_CLUSTERS", .arg = "list",
	    .help = "decide only these clusters (comma-separated)" },
	[O_BLOCKED] = { .name = "blocked-clusters",
	    .env = "CCX_DIFFER_BLOCKED_CLUSTERS", .arg = "list",
	    .help = "never decide these clusters (comma-separated)" },
	[O_CLUSTER_URI] = { .name = "cluster-details-uri",
	    .env = "CCX_DIFFER_CLUSTER_DETAILS_URI", .def = DEFAULT_CLUSTER_URI,
	    .arg = "uri", .help = "the cluster link of a notification" },
	[O_RULE_URI] = { .name = "rule-details-uri",
	    .env = "CCX_DIFFER_RULE_DETAILS_URI", .def = DEFAULT_RULE_URI,
	    .arg = "uri", .help = "the rule link of a notification" },
	[O_SHARD] = { .name = "shard", .env = "CCX_DIFFER_SHARD", .arg = "k/n",
	    .help = "decide only the clusters of shard k of n" },
	[O_NO_SAME] = { .name = "no-same", .type = PROG_BOOL,
	    .env = "CCX_DIFFER_NO_SAME",
	    .help = "write no line for a cluster without a new issue" },
	[O_CONTENT_TIMEOUT] = { .name = "content-timeout",
	    .env = "CCX_DIFFER_CONTENT_TIMEOUT", .def = "15",
	    .type = PROG_DURATION, .min = 1, .max = 3600, .unit = 1000,
	    .arg = "seconds", .help = "the time limit of the content fetch" },
	[O_METRICS_FILE] = { .name = "metrics-file",
	    .env = "CCX_DIFFER_METRICS_FILE",
	    .help = "write the counters there at exit (Prometheus text)" },
	[O_PUSHGATEWAY] = { .name = "pushgateway",
	    .env = "CCX_DIFFER_PUSHGATEWAY" },
	[O_WAIT] = { .name = "wait", .type = PROG_BOOL, .env = "CCX_DIFFER_WAIT",
	    .help = "wait for the run lock of the target instead of exiting 75" },
	[O_GO] = { .name = "go-fd", .type = PROG_FD, .arg = "fd",
	    .help = "once ready, wait for a byte on fd before deciding; its "
	    "end instead: exit 75, nothing decided" },
	[O_CLAIM_EXPIRY] = { .name = "claim-expiry",
	    .env = "CCX_DIFFER_CLAIM_EXPIRY", .def = DEFAULT_CLAIM_EXPIRY,
	    .arg = "interval",
	    .help = "when an unrecorded claim is decided again" },
	[O_DRY_RUN] = { .name = "dry-run", .type = PROG_BOOL,
	    .env = "CCX_DIFFER_DRY_RUN",
	    .help = "decide without lock or claims: never feed it to a sender" },
	[O_AGGREGATOR_DB] = { .name = "aggregator-db",
	    .env = "CCX_DIFFER_AGGREGATOR_DB", .arg = "conninfo",
	    .help = "skip the rules users disabled, read from the "
	    "aggregator's database (a libpq conninfo or URI)" },
	[O_EXPLAIN] = { .name = "explain", .env = "CCX_DIFFER_EXPLAIN",
	    .type = PROG_LIST, .arg = "cluster",
	    .help = "decide only this cluster and explain each item as a "
	    "JSON line; sends and writes nothing (a comma list too)" },
	[O_READY] = { .name = "ready-fd", .letter = 'n', .type = PROG_FD },
};

static struct prog P = {
	.name = "differ",
	.about = "One notification run for one target: decides which new "
	    "issues of each cluster to notify and writes one line a cluster.",
	.usage =
	    "[-qv] [-d conninfo] -T notifications-backend|service-log\n"
	    "    -c content-url [-i file|-] [-n fd] [--cooldown interval]\n"
	    "    [--event-filter expr] [--aggregator-db conninfo] [--dry-run]\n"
	    "    [--wait] [option ...]\n"
	    "[-qv] [-d conninfo] -T target -c content-url "
	    "--explain cluster ...\n"
	    "    [--aggregator-db conninfo] [option ...]\n"
	    "[-qv] [-d conninfo] -T target --dump-candidates "
	    "[--cooldown interval]\n"
	    "    [--shard k/n]",
	.settings = settings, .nsettings = O_NSETTINGS,
	.log_env = "CCX_DIFFER_LOG_FORMAT",
	.exits = (const enum exit_condition[]){
	    EXITC_BAD_INPUT, EXITC_AGGREGATOR, EXITC_SERVICE_DOWN, EXITC_BUG,
	    EXITC_POLL_FAILED, EXITC_DOWNSTREAM_GONE, EXITC_INPUT_FAILED,
	    EXITC_DB_UNREACHABLE, EXITC_STOPPED, EXITC_DB_ACCESS, EXITC_END
	},
};

static const struct metric metric_defs[M_NMETRICS] = {
	[M_HIGH_IMPACT] = { "report_with_high_impact",
	    "New issues that passed the filters", "counter", 0 },
	[M_SAME] = { "notification_not_sent_same_state",
	    "Clusters without a new issue (service log: plus issues "
	    "suppressed by the cooldown)", "counter", 0 },
	[M_DESERIALIZE] = { "deserialize_report_errors",
	    "Reports that could not be decoded", "counter", 0 },
	[M_READ_ERRORS] = { "read_report_for_cluster_errors",
	    "Candidates that could not be read", "counter", 0 },
	[M_CANDIDATES] = { "candidates", "Candidate clusters read",
	    "counter", 0 },
	[M_DECISIONS] = { "decisions", "Lines written", "counter", 0 },
	[M_FILTERED] = { "clusters_filtered_out",
	    "Clusters dropped by the allow or block list", "counter", 0 },
	[M_BASELINE_ERRORS] = { "baseline_errors",
	    "Baselines that could not be decoded (used as none)",
	    "counter", 0 },
	[M_EVAL_ERRORS] = { "event_filter_errors",
	    "Items skipped on a division by zero in the event filter",
	    "counter", 0 },
	[M_IN_FLIGHT] = { "clusters_in_flight",
	    "Clusters skipped: an earlier run's message has no recorded "
	    "outcome yet", "counter", 0 },
	[M_CLAIMS_EXPIRED] = { "claims_expired",
	    "Clusters decided again after their claim expired", "counter", 0 },
	[M_BASELINES] = { "baselines", "Candidates with a notified row of "
	    "the target inside the cooldown", "counter", 0 },
#define SKIPPED(r, n, h)	[M_SKIPPED + (r) - R_NO_CONTENT] = { \
	"items_skipped_" n, h, "counter", 0 }
	SKIPPED(R_NO_CONTENT, "no_content", "Items not notified: the content "
	    "lacks their rule and error key"),
	SKIPPED(R_BELOW_THRESHOLD, "below_threshold", "Items not notified: "
	    "below the threshold of the default event filter"),
	SKIPPED(R_EVENT_FILTER, "event_filter", "Items not notified: the "
	    "event filter gave 0 or divided by zero"),
	SKIPPED(R_TAG_FILTER, "tag_filter", "Items not notified: their rule "
	    "lacks a tag of the tag filter"),
	SKIPPED(R_IN_COOLDOWN, "in_cooldown", "Items not notified: in the "
	    "report sent inside the cooldown"),
	SKIPPED(R_DISABLED_CLUSTER, "disabled_cluster", "Items not notified: "
	    "their rule is disabled for the cluster"),
	SKIPPED(R_DISABLED_ORG, "disabled_org", "Items not notified: their "
	    "rule is disabled for the organisation"),
	SKIPPED(R_UNDECODABLE, "undecodable", "Reports not notified: "
	    "undecodable"),
#undef SKIPPED
};

static void	configure(struct differ_conf *);
static int	wait_go(int);
static void	filters(struct differ_conf *);
static void	shard(struct differ_conf *);
static void	strlist(struct strlist *, const char *);
static int	cmp_str(const void *, const void *);
static void	load_content(struct differ *);
static void	load_aggregator(struct differ *);
static void	explain_list(struct differ_conf *);
static void	metrics_out(struct differ *);
static void	bad_value(struct differ *) __attribute__((noreturn));

/*
 * Reads the settings, the rules users disabled and the content, connects,
 * reports readiness, then makes the decisions of one run (or explains
 * those of a few clusters) and exits.
 */
int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	struct differ d;
	int status;

	prog_parse(&P, argc, argv);
	differ_init(&d);
	memcpy(d.m, metric_defs, sizeof(d.m));
	configure(&d.conf);
	prog_signals(sigs);

	if (d.conf.explain.n > 0 && (d.seen = calloc(d.conf.explain.n, 1)) ==
	    NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	if (!d.conf.dump && d.conf.aggregator != NULL)
		load_aggregator(&d);
	if (!d.conf.dump)
		load_content(&d);
	if (d.conf.input == NULL && (status = differ_db_open(&d)) != 0) {
		if (d.invalid != NULL)
			bad_value(&d);
		goto out;
	}
	if (d.conf.input == NULL && !d.conf.dump && !d.conf.dry_run &&
	    (status = outbox_open(&d)) != 0)
		goto out;
	prog_ready(&P);
	if (d.conf.go_fd != -1 && (status = wait_go(d.conf.go_fd)) != 0)
		goto out;
	status = d.conf.input != NULL ? differ_run_input(&d) :
	    differ_run_db(&d);
	if (status == 0 && d.conf.explain.n > 0)
		status = explain_missing(&d);
	else if (!d.conf.dump && d.conf.explain.n == 0)
		differ_summary(&d);

out:
	if (d.conf.explain.n == 0)
		metrics_out(&d);
	if (d.conn != NULL)
		PQfinish(d.conn);
	if (d.conf.input_fd > STDIN_FILENO)
		close(d.conf.input_fd);
	outbox_close(&d);
	status = prog_finish(&P, status);
	differ_free(&d);
	return status;
}

/* Fills cf from the settings and checks what their types do not say. */
static void
configure(struct differ_conf *cf)
{
	const struct prog_setting *s = settings;
	const char *u = s[O_CONTENT_URL].value, *c;

	cf->target = s[O_TARGET].num == 0 ? TARGET_NB : TARGET_SL;
	cf->target_name = s[O_TARGET].value;
	cf->conninfo = s[O_CONNINFO].value;
	cf->input = s[O_INPUT].value;
	cf->dump = (int)s[O_DUMP].num;
	if (cf->dump && cf->input != NULL) {
		log_error("--dump-candidates reads the database: not with -i");
		prog_usage(&P);
	}
	cf->input_fd = -1;
	if (cf->input != NULL && strcmp(cf->input, "-") == 0)
		cf->input_fd = STDIN_FILENO;
	else if (cf->input != NULL &&
	    (cf->input_fd = open(cf->input, O_RDONLY | O_CLOEXEC)) == -1)
		prog_invalid(&P, &s[O_INPUT], "unable to open: %s",
		    strerror(errno));
	if (!cf->dump && (u == NULL || *u == '\0'))
		prog_missing(&P, &s[O_CONTENT_URL], "content");
	if (!cf->dump && strncasecmp(u, "file://", 7) != 0 &&
	    strncasecmp(u, "http://", 7) != 0 &&
	    strncasecmp(u, "https://", 8) != 0)
		prog_invalid(&P, &s[O_CONTENT_URL],
		    "not a file://, http:// or https:// URL");
	cf->content_url = u;

	/* Disabled when blank or when its first word is "0" (SPEC 4.2). */
	cf->cooldown = c = s[O_COOLDOWN].value;
	c += strspn(c, " \t\n");
	if (*c == '\0' || (c[0] == '0' && (c[1] == '\0' || c[1] == ' ')))
		cf->cooldown = NULL;
	filters(cf);
	cf->cluster_uri = s[O_CLUSTER_URI].value;
	cf->rule_uri = s[O_RULE_URI].value;
	shard(cf);
	cf->no_same = (int)s[O_NO_SAME].num;
	cf->wait_lock = (int)s[O_WAIT].num;
	cf->go_fd = (int)s[O_GO].num;
	cf->dry_run = (int)s[O_DRY_RUN].num;
	cf->claim_expiry = s[O_CLAIM_EXPIRY].value;
	/* An empty conninfo would be libpq's defaults: the wrong database. */
	cf->aggregator = s[O_AGGREGATOR_DB].value;
	if (cf->aggregator != NULL && *cf->aggregator == '\0')
		cf->aggregator = NULL;
	explain_list(cf);
	cf->content_timeout_ms = s[O_CONTENT_TIMEOUT].num;
	cf->metrics_file = s[O_METRICS_FILE].value;
	if (cf->metrics_file != NULL && *cf->metrics_file == '\0')
		cf->metrics_file = NULL;
	cf->pushgateway = s[O_PUSHGATEWAY].value;
}

/*
 * --explain: the clusters of every value (each a comma list), decided like
 * --dry-run (no run lock, no claims) and whatever the shard.
 */
static void
explain_list(struct differ_conf *cf)
{
	const struct prog_setting *s = &settings[O_EXPLAIN];
	const char *v;
	struct buf all;
	size_t i, k;

	if (s->count == 0)
		return;
	if (cf->dump) {
		log_error("--dump-candidates decides nothing: not with "
		    "--explain");
		prog_usage(&P);
	}
	buf_init(&all);
	for (i = 0; prog_item(&P, i, &k, &v); i++)
		if (k == O_EXPLAIN) {
			buf_puts(&all, v);
			buf_putc(&all, ',');
		}
	strlist(&cf->explain, all.data);
	buf_free(&all);
	if (cf->explain.n == 0)
		prog_invalid(&P, s, "no cluster");
	for (i = 0; i < cf->explain.n; i++)
		if (!utf8_valid(cf->explain.v[i], strlen(cf->explain.v[i])))
			prog_invalid(&P, s, "a cluster name that is not UTF-8");
	cf->dry_run = 1;
	cf->shard_n = 0;
}

/*
 * The thresholds, the event filter, the tag filter (of --tag-filter and
 * --no-tag-filter the last flag given; else CCX_DIFFER_NO_TAG_FILTER wins
 * over CCX_DIFFER_TAG_FILTER) and the cluster lists.
 */
static void
filters(struct differ_conf *cf)
{
	static const int thr[] = { O_TR_THRESHOLD, O_LI_THRESHOLD,
	    O_IM_THRESHOLD, O_SE_THRESHOLD };
	const struct prog_setting *s = settings, *tf = &s[O_TAG_FILTER],
	    *ntf = &s[O_NO_TAG_FILTER];
	int64_t *tv[4];
	char err[512];
	size_t i;

	tv[0] = &cf->thresholds.totalRiskThreshold;
	tv[1] = &cf->thresholds.likelihoodThreshold;
	tv[2] = &cf->thresholds.impactThreshold;
	tv[3] = &cf->thresholds.severityThreshold;
	for (i = 0; i < 4; i++)
		*tv[i] = s[thr[i]].value != NULL ? s[thr[i]].num :
		    i == 0 && cf->target == TARGET_NB ? 2 : 0;
	cf->default_filter = s[O_EVENT_FILTER].value == NULL ||
	    *s[O_EVENT_FILTER].value == '\0';
	if ((cf->filter = evfilter_compile(s[O_EVENT_FILTER].value != NULL ?
	    s[O_EVENT_FILTER].value : "", err, sizeof(err))) == NULL)
		prog_invalid(&P, &s[O_EVENT_FILTER], "invalid event filter: %s",
		    err);

	if (ntf->source == PROG_ARGV && (tf->source != PROG_ARGV ||
	    ntf->order > tf->order))
		cf->tag_filter = 0;
	else if (tf->source != PROG_ARGV && ntf->num)
		cf->tag_filter = 0;
	else if (tf->value != NULL) {
		cf->tag_filter = 1;
		strlist(&cf->tags, tf->value);
	} else if (cf->target == TARGET_SL) {
		cf->tag_filter = 1;
		strlist(&cf->tags, "osd_customer");
	}
	/* An empty list is no list (an unset variable). */
	if (s[O_ALLOWED].value != NULL && *s[O_ALLOWED].value != '\0') {
		cf->allow_on = 1;
		strlist(&cf->allowed, s[O_ALLOWED].value);
	}
	if (s[O_BLOCKED].value != NULL && *s[O_BLOCKED].value != '\0') {
		cf->block_on = 1;
		strlist(&cf->blocked, s[O_BLOCKED].value);
	}
}

/* --shard K/N: 0 <= K < N. */
static void
shard(struct differ_conf *cf)
{
	const struct prog_setting *sh = &settings[O_SHARD];
	const char *s = sh->value, *slash, *err = NULL;
	char k[16];
	long long kk, nn;

	if (s == NULL || *s == '\0')
		return;
	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(k))
		prog_invalid(&P, sh, "not K/N");
	memcpy(k, s, (size_t)(slash - s));
	k[slash - s] = '\0';
	nn = strtonum(slash + 1, 1, 1 << 20, &err);
	if (err == NULL)
		kk = strtonum(k, 0, nn - 1, &err);
	if (err != NULL)
		prog_invalid(&P, sh, "not K/N with 0 <= K < N <= %d", 1 << 20);
	cf->shard_k = (unsigned)kk;
	cf->shard_n = (unsigned)nn;
}

/* A comma-separated list, blanks around entries and empty ones dropped. */
static void
strlist(struct strlist *l, const char *s)
{
	char *p, *tok, *e;

	free(l->v);
	free(l->mem);
	memset(l, 0, sizeof(*l));
	if ((l->mem = strdup(s)) == NULL ||
	    (l->v = reallocarray(NULL, strlen(s) / 2 + 1, sizeof(*l->v))) ==
	    NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	for (p = l->mem; (tok = strsep(&p, ",")) != NULL;) {
		tok += strspn(tok, " \t");
		for (e = tok + strlen(tok); e > tok && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (*tok != '\0')
			l->v[l->n++] = tok;
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The content, once.  It comes from another service on every run, so a
 * failure fails this run only (EXIT_SERVICE_DOWN, transient): not fetched,
 * undecodable (a truncated body, an error page served with 200, a field
 * of a new type), or holding no rule at all.
 */
static void
load_content(struct differ *d)
{
	char err[1024];
	int r;

	r = content_fetch(d->conf.content_url, d->conf.content_timeout_ms,
	    &d->content, err, sizeof(err));
	if (r == CONTENT_EFETCH)
		log_fatal(EXIT_SERVICE_DOWN, "unable to fetch the content: %s; "
		    "this run decides nothing", err);
	if (r != 0)
		log_fatal(EXIT_SERVICE_DOWN, "unable to decode the content from "
		    "%s: %s; this run decides nothing", d->conf.content_url,
		    err);
	if (content_nrules(&d->content) == 0)
		log_fatal(EXIT_SERVICE_DOWN, "the content from %s holds no rule; "
		    "this run decides nothing", d->conf.content_url);
	log_debug("content: %zu rules from %s", content_nrules(&d->content),
	    d->conf.content_url);
}

/*
 * A setting the database would not take (d->invalid, why in d->error):
 * the frame's message and status, before anything was decided.
 */
static void
bad_value(struct differ *d)
{
	const struct prog_setting *s = prog_find(&P, d->invalid);

	if (d->conn != NULL)
		PQfinish(d->conn);
	d->conn = NULL;
	if (s == NULL)
		log_fatal(EXIT_BUG, "no setting %s", d->invalid);
	prog_invalid(&P, s, "%s", d->error);
}

/*
 * The rules users disabled, once, before the content (as upstream).  A
 * database that cannot be read fails this run before it decides anything,
 * with a status of its own (EXIT_AGGREGATOR, transient).
 */
static void
load_aggregator(struct differ *d)
{
	char err[2048];

	if (agg_load(&d->agg, d->conf.aggregator, err, sizeof(err)) == -1)
		log_fatal(EXIT_AGGREGATOR, "%s; this run decides nothing", err);
}

/* Writes the metrics file and pushes the counters, if asked for. */
static void
metrics_out(struct differ *d)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "ccx_notification_service_%s_",
	    d->conf.target == TARGET_NB ? "notification_backend" :
	    "service_log");
	if (metrics_write(d->conf.metrics_file, prefix, d->m, M_NMETRICS) ==
	    -1)
		log_warn("unable to write %s: %s", d->conf.metrics_file,
		    strerror(errno));
	metrics_push_warn(d->conf.pushgateway, "differ", prefix, d->m,
	    M_NMETRICS);
}

/*
 * --go-fd: ready (content loaded, connected, run lock taken), it waits for
 * one byte on fd before it reads a candidate or takes a claim, so that a
 * caller can start it beside the stages it writes to and let it decide
 * once they are up.  The end of fd, or a termination signal, ends the run
 * with nothing decided.
 */
static int
wait_go(int fd)
{
	struct pollfd pfd[2];
	ssize_t n;
	char c;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sig_fd();
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno != EINTR)
				log_fatal(EXIT_POLL_FAILED, "poll: %s",
				    strerror(errno));
			continue;
		}
		if (pfd[1].revents != 0)
			sig_read();
		if (sig_pending_term()) {
			log_warn("terminated after 0 clusters, before the "
			    "go-ahead: nothing decided");
			close(fd);
			return EXIT_STOPPED;
		}
		if (pfd[0].revents == 0)
			continue;
		if ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
			continue;
		close(fd);
		if (n == 1)
			return 0;
		log_info("no go-ahead on the go descriptor: nothing decided");
		return EXIT_STOPPED;
	}
}
