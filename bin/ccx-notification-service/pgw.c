/*
 * The Pushgateway (COMPAT.md 7.2): upstream's 14 series, named
 * namespace_subsystem_name, PUT as Prometheus text to
 * GATEWAY/metrics/job/JOB with the configured token as HTTP Basic
 * credentials, verbatim.  Nothing is pushed unless the namespace and the
 * token are both set.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "service.h"
#include "sig.h"

static const struct {
	const char	*name;
	const char	*help;
} series[NCOUNTERS] = {
	[C_FETCH_CONTENT_ERRORS] = { "fetch_content_errors",
	    "The total number of errors during fetch from content service" },
	[C_READ_CLUSTER_LIST_ERRORS] = { "read_cluster_list_errors",
	    "The total number of errors when reading cluster list from "
	    "new_reports table" },
	[C_READ_REPORTED_ERRORS] = { "read_reported_errors",
	    "The total number of errors when reading previously reported "
	    "reports fpr given clusters from reported table" },
	[C_PRODUCER_SETUP_ERRORS] = { "producer_setup_errors",
	    "The total number of errors when setting up Kafka producer" },
	[C_STORAGE_SETUP_ERRORS] = { "storage_setup_errors",
	    "The total number of errors when setting up storage connection" },
	[C_READ_REPORT_FOR_CLUSTER_ERRORS] = { "read_report_for_cluster_errors",
	    "The total number of errors when getting latest report for a "
	    "given cluster ID" },
	[C_DESERIALIZE_REPORT_ERRORS] = { "deserialize_report_errors",
	    "The total number of errors when deserializing a report "
	    "retrieved from the new_reports table" },
	[C_REPORT_WITH_HIGH_IMPACT] = { "report_with_high_impact",
	    "The total number of reports with total risk higher than the "
	    "configured threshold" },
	[C_NOT_SENT_SAME_STATE] = { "notification_not_sent_same_state",
	    "The total number of notifications not sent because we parsed "
	    "the same report" },
	[C_NOT_SENT_ERROR_STATE] = { "notification_not_sent_error_state",
	    "The total number of notifications not sent because of a Kafka "
	    "producer error" },
	[C_SENT] = { "notification_sent",
	    "The total number of notifications sent" },
	[C_TOTAL_RISK_NO_SEVERITY] = { "total_risk_no_severity",
	    "The total number of times we handled a total risk that does not "
	    "have an equivalent service log severity level" },
};

static const char *const ops[NOPS] = {
	[OP_FETCH_CONTENT] = "fetch_content",
	[OP_PROCESS_CLUSTERS] = "process_clusters",
	[OP_SEND_KAFKA] = "send_notification_kafka",
	[OP_SEND_SERVICELOG] = "send_notification_servicelog",
};

static const double buckets[NBUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

static void	base64url(struct buf *, const char *);
static void	pause_ms(int64_t);

double
svc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pgw_init(struct pgw *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->url);
	buf_init(&g->auth);
	buf_init(&g->prefix);
	g->status = ST_STARTING;
}

void
pgw_free(struct pgw *g)
{
	fe_buf_wipe(&g->auth);
	buf_free(&g->url);
	buf_free(&g->prefix);
}

void
pgw_setup(struct pgw *g, const struct config *c, const struct zlog *log)
{
	const char *ns = config_str(c, "metrics.namespace");
	const char *sub = config_str(c, "metrics.subsystem");
	const char *tok = config_str(c, "metrics.gateway_auth_token");
	const char *gw = config_str(c, "metrics.gateway_url");
	const char *job = config_str(c, "metrics.job_name");

	if (*ns == '\0' || *tok == '\0') {
		zlog_write(log, ZL_DEBUG, "No metrics configuration detected. "
		    "Metrics will not be pushed", NULL, 0);
		return;
	}
	g->on = 1;
	/* Prometheus joins the non-empty parts with '_'. */
	buf_printf(&g->prefix, "%s_", ns);
	if (*sub != '\0')
		buf_printf(&g->prefix, "%s_", sub);
	if (strstr(gw, "://") == NULL)
		buf_puts(&g->url, "http://");
	buf_puts(&g->url, gw);
	if (g->url.len > 0 && g->url.data[g->url.len - 1] == '/')
		g->url.data[--g->url.len] = '\0';
	if (*job == '\0' || strchr(job, '/') != NULL) {
		buf_puts(&g->url, "/metrics/job@base64/");
		base64url(&g->url, job);
	} else
		buf_printf(&g->url, "/metrics/job/%s", job);
	buf_printf(&g->auth, "Authorization: Basic %s", tok);
	g->retries = config_int(c, "metrics.retries");
	g->retry_after_ms = config_duration(c, "metrics.retry_after") / 1000000;
	g->period_ms = config_duration(c, "metrics.gateway_time_between_push") /
	    1000000;
}

void
pgw_observe(struct pgw *g, int op, double seconds)
{
	struct hist *h = &g->op[op];
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i])
			h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

void
pgw_format(const struct pgw *g, struct buf *b)
{
	const char *p = g->prefix.data != NULL ? g->prefix.data : "";
	const struct hist *h;
	size_t i, j;
	int any = 0;

	for (i = 0; i < NCOUNTERS; i++)
		buf_printf(b, "# HELP %s%s %s\n# TYPE %s%s counter\n%s%s %llu\n",
		    p, series[i].name, series[i].help, p, series[i].name, p,
		    series[i].name, (unsigned long long)g->counter[i]);
	for (i = 0; i < NOPS; i++) {
		if ((h = &g->op[i])->count == 0)
			continue;
		if (!any++)
			buf_printf(b, "# HELP %soperation_duration_seconds "
			    "Duration of different operations in the "
			    "notification service\n"
			    "# TYPE %soperation_duration_seconds histogram\n",
			    p, p);
		for (j = 0; j < NBUCKETS; j++)
			buf_printf(b, "%soperation_duration_seconds_bucket"
			    "{operation=\"%s\",le=\"%g\"} %llu\n", p, ops[i],
			    buckets[j], (unsigned long long)h->bucket[j]);
		buf_printf(b, "%soperation_duration_seconds_bucket"
		    "{operation=\"%s\",le=\"+Inf\"} %llu\n"
		    "%soperation_duration_seconds_sum{operation=\"%s\"} %.9g\n"
		    "%soperation_duration_seconds_count{operation=\"%s\"} "
		    "%llu\n", p, ops[i], (unsigned long long)h->count,
		    p, ops[i], h->sum, p, ops[i], (unsigned long long)h->count);
	}
	buf_printf(b, "# HELP %sservice_status Current status of the "
	    "notification service (0=inactive, 1=starting, "
	    "2=fetching_content, 3=reading_clusters, "
	    "4=reading_previously_reported, 5=processing_clusters, "
	    "6=finished)\n# TYPE %sservice_status gauge\n%sservice_status %d\n",
	    p, p, p, g->status);
}

int
pgw_push(struct pgw *g, char *err, size_t errsize)
{
	struct buf body;
	long status = 0;
	int rc = -1;

	buf_init(&body);
	pgw_format(g, &body);
	if (metrics_put(g->url.data, g->auth.data, body.data, body.len,
	    &status, err, errsize) == 0) {
		if (status == 200 || status == 202)
			rc = 0;
		else
			snprintf(err, errsize, "unexpected HTTP status %ld from "
			    "%s", status, g->url.data);
	}
	buf_free(&body);
	return rc;
}

void
pgw_final(struct pgw *g, const struct zlog *log)
{
	struct zfield f;
	char err[512], msg[96];
	int64_t i;

	if (!g->on)
		return;
	zlog_write(log, ZL_INFO, "Differ finished. Pushing metrics to the "
	    "configured prometheus gateway.", NULL, 0);
	for (i = g->retries;; i--) {
		if (pgw_push(g, err, sizeof(err)) == 0) {
			zlog_write(log, ZL_INFO, "Metrics pushed successfully. "
			    "Terminating notification service successfully.",
			    NULL, 0);
			return;
		}
		f = ZSTR("error", err);
		zlog_write(log, ZL_ERROR, "Couldn't push prometheus metrics",
		    &f, 1);
		if (i <= 0 || g->retry_after_ms <= 0 || sig_pending_term())
			return;
		snprintf(msg, sizeof(msg), "Push metrics. Retrying (%lld/%lld "
		    "attempts left)", (long long)i, (long long)g->retries);
		zlog_write(log, ZL_INFO, msg, NULL, 0);
		pause_ms(g->retry_after_ms);
		if (sig_pending_term())
			return;
	}
}

uint64_t
pgw_file_value(const char *path, const char *name, int *found)
{
	char line[512], key[300];
	unsigned long long v, r = 0;
	size_t kl, nl = strlen(name);
	FILE *fp;

	*found = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || sscanf(line, "%299s %llu", key, &v) != 2)
			continue;
		kl = strlen(key);
		if (kl >= nl && strcmp(key + kl - nl, name) == 0 &&
		    (kl == nl || key[kl - nl - 1] == '_')) {
			r = v;
			*found = 1;
		}
	}
	fclose(fp);
	return r;
}

/* Go's base64.RawURLEncoding, as the Prometheus client encodes a job. */
static void
base64url(struct buf *b, const char *s)
{
	size_t start = b->len, i;

	if (*s == '\0') {
		buf_putc(b, '=');
		return;
	}
	buf_base64(b, s, strlen(s));
	for (i = start; i < b->len; i++) {
		if (b->data[i] == '+')
			b->data[i] = '-';
		else if (b->data[i] == '/')
			b->data[i] = '_';
	}
	while (b->len > start && b->data[b->len - 1] == '=')
		b->data[--b->len] = '\0';
}

/* Sleeps ms, or less when a termination signal comes. */
static void
pause_ms(int64_t ms)
{
	struct pollfd pfd;
	double end = svc_now() + (double)ms / 1000, left;
	int fd = sig_fd();

	while (!sig_pending_term() && (left = end - svc_now()) > 0) {
		if (fd >= 0)
			(void)sig_read();
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0,
		    left > 86400 ? 86400000 : (int)(left * 1000) + 1) == -1 &&
		    errno != EINTR)
			return;
	}
}
