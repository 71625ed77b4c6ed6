/*
 * differ: one notification run for one target.  Reads the newest report of
 * every cluster with the report last sent to the target inside the
 * cooldown (one streamed query, or candidate lines with -i), applies SPEC
 * Contract C with the rule content, writes one decision line per cluster
 * and exits.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "differ.h"
#include "log.h"
#include "sig.h"

/* Every setting: a long option and the variable CCX_DIFFER_<NAME>. */
enum {
	O_CONNINFO, O_TARGET, O_CONTENT_URL, O_INPUT, O_DUMP, O_COOLDOWN,
	O_TR_THRESHOLD, O_LI_THRESHOLD, O_IM_THRESHOLD, O_SE_THRESHOLD,
	O_EVENT_FILTER, O_TAG_FILTER, O_NO_TAG_FILTER, O_ALLOWED, O_BLOCKED,
	O_CLUSTER_URI, O_RULE_URI, O_SHARD, O_NO_SAME, O_CONTENT_TIMEOUT,
	O_LOG_FORMAT, O_METRICS_FILE, O_PUSHGATEWAY, O_WAIT, O_CLAIM_EXPIRY,
	O_DRY_RUN, O_NSETTINGS
};

struct setting {
	const char	*name;
	int		 opt;		/* short option, or 0 */
	int		 arg;		/* required_argument or no_argument */
};

static const struct setting settings[O_NSETTINGS] = {
	[O_CONNINFO] = { "conninfo", 'd', required_argument },
	[O_TARGET] = { "target", 'T', required_argument },
	[O_CONTENT_URL] = { "content-url", 'c', required_argument },
	[O_INPUT] = { "input", 'i', required_argument },
	[O_DUMP] = { "dump-candidates", 0, no_argument },
	[O_COOLDOWN] = { "cooldown", 0, required_argument },
	[O_TR_THRESHOLD] = { "total-risk-threshold", 0, required_argument },
	[O_LI_THRESHOLD] = { "likelihood-threshold", 0, required_argument },
	[O_IM_THRESHOLD] = { "impact-threshold", 0, required_argument },
	[O_SE_THRESHOLD] = { "severity-threshold", 0, required_argument },
	[O_EVENT_FILTER] = { "event-filter", 0, required_argument },
	[O_TAG_FILTER] = { "tag-filter", 0, required_argument },
	[O_NO_TAG_FILTER] = { "no-tag-filter", 0, no_argument },
	[O_ALLOWED] = { "allowed-clusters", 0, required_argument },
	[O_BLOCKED] = { "blocked-clusters", 0, required_argument },
	[O_CLUSTER_URI] = { "cluster-details-uri", 0, required_argument },
	[O_RULE_URI] = { "rule-details-uri", 0, required_argument },
	[O_SHARD] = { "shard", 0, required_argument },
	[O_NO_SAME] = { "no-same", 0, no_argument },
	[O_CONTENT_TIMEOUT] = { "content-timeout", 0, required_argument },
	[O_LOG_FORMAT] = { "log-format", 0, required_argument },
	[O_METRICS_FILE] = { "metrics-file", 0, required_argument },
	[O_PUSHGATEWAY] = { "pushgateway", 0, required_argument },
	[O_WAIT] = { "wait", 0, no_argument },
	[O_CLAIM_EXPIRY] = { "claim-expiry", 0, required_argument },
	[O_DRY_RUN] = { "dry-run", 0, no_argument },
};

/* Where each setting's value came from, for messages. */
struct values {
	const char	*val[O_NSETTINGS];
	char		 src[O_NSETTINGS][48];
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
};

static void	usage(void) __attribute__((noreturn));
static void	from_env(struct values *);
static void	from_args(struct differ_conf *, struct values *, int, char **);
static void	configure(struct differ_conf *, const struct values *);
static int	boolean(const struct values *, int);
static long long number(const struct values *, int, long long, long long,
		    long long);
static void	shard(struct differ_conf *, const struct values *);
static void	strlist(struct strlist *, const char *);
static int	cmp_str(const void *, const void *);
static void	load_content(struct differ *);
static void	ready(int);

/*
 * Reads the settings, loads the content, connects, reports readiness, then
 * makes the decisions of one run and exits.
 */
int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	struct values v;
	struct differ d;
	char prefix[96], errbuf[512];
	int status;

	log_init(argv[0]);
	differ_init(&d);
	memcpy(d.m, metric_defs, sizeof(d.m));
	from_env(&v);
	from_args(&d.conf, &v, argc, argv);
	configure(&d.conf, &v);
	if (d.conf.ready_fd >= 0 && fcntl(d.conf.ready_fd, F_GETFD) == -1)
		log_fatal(EX_USAGE, "readiness fd %d is not open",
		    d.conf.ready_fd);
	if (sig_setup(sigs) == -1)
		log_fatal(EX_OSERR, "unable to set up signals: %s",
		    strerror(errno));

	if (!d.conf.dump)
		load_content(&d);
	if (d.conf.input == NULL && (status = differ_db_open(&d)) != 0)
		goto out;
	if (d.conf.input == NULL && !d.conf.dump && !d.conf.dry_run &&
	    (status = outbox_open(&d)) != 0)
		goto out;
	ready(d.conf.ready_fd);
	status = d.conf.input != NULL ? differ_run_input(&d) :
	    differ_run_db(&d);
	if (!d.conf.dump)
		differ_summary(&d);

out:
	snprintf(prefix, sizeof(prefix), "ccx_notification_service_%s_",
	    d.conf.target == TARGET_NB ? "notification_backend" :
	    "service_log");
	if (metrics_write(d.conf.metrics_file, prefix, d.m, M_NMETRICS) == -1)
		log_warn("unable to write %s: %s", d.conf.metrics_file,
		    strerror(errno));
	if (metrics_push(d.conf.pushgateway, "differ", prefix, d.m,
	    M_NMETRICS, errbuf, sizeof(errbuf)) == -1)
		log_warn("unable to push metrics: %s", errbuf);
	if (d.conn != NULL)
		PQfinish(d.conn);
	outbox_close(&d);
	if (fclose(stdout) == EOF && status == 0) {
		log_error("unable to write stdout: %s", strerror(errno));
		status = EX_TEMPFAIL;
	}
	differ_free(&d);
	return status;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: differ [-qv] [-d conninfo] -T notifications-backend|"
	    "service-log -c content-url\n"
	    "              [-i file|-] [-n fd] [--cooldown interval] "
	    "[--event-filter expr]\n"
	    "              [--total-risk-threshold n] "
	    "[--likelihood-threshold n]\n"
	    "              [--impact-threshold n] [--severity-threshold n]\n"
	    "              [--tag-filter tags | --no-tag-filter] "
	    "[--allowed-clusters list]\n"
	    "              [--blocked-clusters list] "
	    "[--cluster-details-uri uri]\n"
	    "              [--rule-details-uri uri] [--shard k/n] "
	    "[--no-same]\n"
	    "              [--content-timeout seconds] "
	    "[--log-format text|json]\n"
	    "              [--metrics-file path] [--pushgateway url] [--wait]\n"
	    "              [--claim-expiry interval] [--dry-run]\n"
	    "       differ [-qv] [-d conninfo] -T target --dump-candidates "
	    "[--cooldown interval]\n"
	    "              [--shard k/n]\n");
	exit(EX_USAGE);
}

/* The environment first: CCX_DIFFER_COOLDOWN for --cooldown, and so on. */
static void
from_env(struct values *v)
{
	char *p;
	int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < O_NSETTINGS; i++) {
		snprintf(v->src[i], sizeof(v->src[i]), "CCX_DIFFER_%s",
		    settings[i].name);
		for (p = v->src[i] + 11; *p != '\0'; p++)
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		v->val[i] = getenv(v->src[i]);
	}
	/* CCX_DIFFER_NO_TAG_FILTER wins over CCX_DIFFER_TAG_FILTER. */
	if (v->val[O_NO_TAG_FILTER] != NULL && boolean(v, O_NO_TAG_FILTER))
		v->val[O_TAG_FILTER] = NULL;
}

/* Then the command line, which wins; of two flags, the last one. */
static void
from_args(struct differ_conf *cf, struct values *v, int argc, char **argv)
{
	static struct option lo[O_NSETTINGS + 1];
	const char *err;
	int ch, i;

	for (i = 0; i < O_NSETTINGS; i++) {
		lo[i].name = settings[i].name;
		lo[i].has_arg = settings[i].arg;
		lo[i].val = settings[i].opt ? settings[i].opt : 256 + i;
	}
	while ((ch = getopt_long(argc, argv, "c:d:i:n:qT:v", lo, NULL)) !=
	    -1) {
		if (ch == 'n') {
			cf->ready_fd = (int)strtonum(optarg, 0, INT_MAX, &err);
			if (err != NULL)
				log_fatal(EX_USAGE, "readiness fd \"%s\" is %s",
				    optarg, err);
			continue;
		}
		if (ch == 'q' || ch == 'v') {
			if (ch == 'q')
				log_quieter();
			else
				log_louder();
			continue;
		}
		for (i = 0; i < O_NSETTINGS; i++)
			if (ch == lo[i].val)
				break;
		if (i == O_NSETTINGS)
			usage();
		v->val[i] = settings[i].arg == no_argument ? "1" : optarg;
		snprintf(v->src[i], sizeof(v->src[i]), "--%s",
		    settings[i].name);
		if (i == O_TAG_FILTER)
			v->val[O_NO_TAG_FILTER] = NULL;
		else if (i == O_NO_TAG_FILTER)
			v->val[O_TAG_FILTER] = NULL;
	}
	if (optind != argc)
		usage();
}

/* Checks the settings and fills cf; exits EX_USAGE on the first error. */
static void
configure(struct differ_conf *cf, const struct values *v)
{
	static const int thr[] = { O_TR_THRESHOLD, O_LI_THRESHOLD,
	    O_IM_THRESHOLD, O_SE_THRESHOLD };
	int64_t *tv[4];
	const char *t = v->val[O_TARGET], *s, *u = v->val[O_CONTENT_URL];
	char err[512];
	size_t i;

	if (v->val[O_LOG_FORMAT] != NULL &&
	    log_set_format_name(v->val[O_LOG_FORMAT]) == -1)
		log_fatal(EX_USAGE, "%s: unknown log format \"%s\"",
		    v->src[O_LOG_FORMAT], v->val[O_LOG_FORMAT]);
	if (t == NULL || *t == '\0')
		log_fatal(EX_USAGE, "no target: use -T notifications-backend "
		    "or -T service-log");
	if (strcmp(t, "notifications-backend") == 0)
		cf->target = TARGET_NB;
	else if (strcmp(t, "service-log") == 0)
		cf->target = TARGET_SL;
	else
		log_fatal(EX_USAGE, "%s: unknown target \"%s\" (use "
		    "notifications-backend or service-log)", v->src[O_TARGET],
		    t);
	cf->target_name = cf->target == TARGET_NB ? "notifications-backend" :
	    "service-log";
	cf->conninfo = v->val[O_CONNINFO];
	cf->input = v->val[O_INPUT];
	cf->dump = boolean(v, O_DUMP);
	if (cf->dump && cf->input != NULL)
		log_fatal(EX_USAGE, "--dump-candidates reads the database: "
		    "not with -i");
	if (!cf->dump && (u == NULL || *u == '\0'))
		log_fatal(EX_USAGE, "no content: use -c content-url");
	if (!cf->dump && strncasecmp(u, "file://", 7) != 0 &&
	    strncasecmp(u, "http://", 7) != 0 &&
	    strncasecmp(u, "https://", 8) != 0)
		log_fatal(EX_USAGE, "%s: \"%s\" is not a file://, http:// or "
		    "https:// URL", v->src[O_CONTENT_URL], u);
	cf->content_url = u;

	/* Disabled when blank or when its first word is "0" (SPEC 4.2). */
	s = v->val[O_COOLDOWN] != NULL ? v->val[O_COOLDOWN] : DEFAULT_COOLDOWN;
	cf->cooldown = s;
	s += strspn(s, " \t\n");
	if (*s == '\0' || (s[0] == '0' && (s[1] == '\0' || s[1] == ' ')))
		cf->cooldown = NULL;

	tv[0] = &cf->thresholds.totalRiskThreshold;
	tv[1] = &cf->thresholds.likelihoodThreshold;
	tv[2] = &cf->thresholds.impactThreshold;
	tv[3] = &cf->thresholds.severityThreshold;
	for (i = 0; i < 4; i++)
		*tv[i] = number(v, thr[i], INT_MIN, INT_MAX,
		    i == 0 && cf->target == TARGET_NB ? 2 : 0);
	s = v->val[O_EVENT_FILTER] != NULL ? v->val[O_EVENT_FILTER] : "";
	if ((cf->filter = evfilter_compile(s, err, sizeof(err))) == NULL)
		log_fatal(EX_USAGE, "%s: invalid event filter \"%s\": %s",
		    v->src[O_EVENT_FILTER], s, err);

	if (v->val[O_NO_TAG_FILTER] != NULL && boolean(v, O_NO_TAG_FILTER))
		cf->tag_filter = 0;
	else if (v->val[O_TAG_FILTER] != NULL) {
		cf->tag_filter = 1;
		strlist(&cf->tags, v->val[O_TAG_FILTER]);
	} else if (cf->target == TARGET_SL) {
		cf->tag_filter = 1;
		strlist(&cf->tags, "osd_customer");
	}
	/* An empty list is no list (an unset variable). */
	if (v->val[O_ALLOWED] != NULL && *v->val[O_ALLOWED] != '\0') {
		cf->allow_on = 1;
		strlist(&cf->allowed, v->val[O_ALLOWED]);
	}
	if (v->val[O_BLOCKED] != NULL && *v->val[O_BLOCKED] != '\0') {
		cf->block_on = 1;
		strlist(&cf->blocked, v->val[O_BLOCKED]);
	}
	cf->cluster_uri = v->val[O_CLUSTER_URI] != NULL ?
	    v->val[O_CLUSTER_URI] : DEFAULT_CLUSTER_URI;
	cf->rule_uri = v->val[O_RULE_URI] != NULL ? v->val[O_RULE_URI] :
	    DEFAULT_RULE_URI;
	shard(cf, v);
	cf->no_same = boolean(v, O_NO_SAME);
	cf->wait_lock = boolean(v, O_WAIT);
	cf->dry_run = boolean(v, O_DRY_RUN);
	cf->claim_expiry = v->val[O_CLAIM_EXPIRY] != NULL ?
	    v->val[O_CLAIM_EXPIRY] : DEFAULT_CLAIM_EXPIRY;
	cf->content_timeout_ms = number(v, O_CONTENT_TIMEOUT, 1, 3600,
	    DEFAULT_CONTENT_TIMEOUT) * 1000;
	cf->metrics_file = v->val[O_METRICS_FILE];
	if (cf->metrics_file != NULL && *cf->metrics_file == '\0')
		cf->metrics_file = NULL;
	cf->pushgateway = v->val[O_PUSHGATEWAY];
}

/* A flag, or a variable set to 1/true/yes/on or 0/false/no/off/"". */
static int
boolean(const struct values *v, int i)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "", "0", "false", "no", "off" };
	const char *s = v->val[i];
	size_t k;

	if (s == NULL)
		return 0;
	for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
		if (strcasecmp(s, yes[k]) == 0)
			return 1;
	for (k = 0; k < sizeof(no) / sizeof(no[0]); k++)
		if (strcasecmp(s, no[k]) == 0)
			return 0;
	log_fatal(EX_USAGE, "%s: \"%s\" is neither true nor false", v->src[i],
	    s);
}

static long long
number(const struct values *v, int i, long long lo, long long hi,
    long long dflt)
{
	const char *err;
	long long n;

	if (v->val[i] == NULL)
		return dflt;
	n = strtonum(v->val[i], lo, hi, &err);
	if (err != NULL)
		log_fatal(EX_USAGE, "%s: \"%s\" is %s (%lld to %lld)",
		    v->src[i], v->val[i], err, lo, hi);
	return n;
}

/* --shard K/N: 0 <= K < N. */
static void
shard(struct differ_conf *cf, const struct values *v)
{
	const char *s = v->val[O_SHARD], *slash, *err = NULL;
	char k[16];
	long long kk, nn;

	if (s == NULL || *s == '\0')
		return;
	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(k))
		log_fatal(EX_USAGE, "%s: \"%s\" is not K/N", v->src[O_SHARD],
		    s);
	memcpy(k, s, (size_t)(slash - s));
	k[slash - s] = '\0';
	nn = strtonum(slash + 1, 1, 1 << 20, &err);
	if (err == NULL)
		kk = strtonum(k, 0, nn - 1, &err);
	if (err != NULL)
		log_fatal(EX_USAGE, "%s: \"%s\" is not K/N with 0 <= K < N "
		    "<= %d", v->src[O_SHARD], s, 1 << 20);
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
		log_fatal(EX_OSERR, "out of memory");
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
 * failure fails this run only (EX_UNAVAILABLE, transient): not fetched,
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
		log_fatal(EX_UNAVAILABLE, "unable to fetch the content: %s; "
		    "this run decides nothing", err);
	if (r != 0)
		log_fatal(EX_UNAVAILABLE, "unable to decode the content from "
		    "%s: %s; this run decides nothing", d->conf.content_url,
		    err);
	if (content_nrules(&d->content) == 0)
		log_fatal(EX_UNAVAILABLE, "the content from %s holds no rule; "
		    "this run decides nothing", d->conf.content_url);
	log_debug("content: %zu rules from %s", content_nrules(&d->content),
	    d->conf.content_url);
}

/* Reports readiness on fd (if any) with a newline, then closes it. */
static void
ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "\n", 1) != 1)
		log_warn("unable to write readiness fd %d: %s", fd,
		    strerror(errno));
	close(fd);
}
