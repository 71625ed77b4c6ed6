/*
 * The plan of a run: the configuration (COMPAT.md 3.4, 3.5) turned into
 * the command lines of differ, the sender and db-writer -r, their
 * environment and their files in a private temporary directory (the Kafka
 * property file, mode 0600, holds the SASL password; the metrics files).
 * No secret reaches a command line.
 */
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"

static int	make_dir(struct svc *, struct plan *);
static int	write_props(struct svc *, struct plan *);
static void	differ_args(struct svc *, struct plan *);
static int	sender_args(struct svc *, struct plan *);
static void	dbwriter_args(struct svc *, struct plan *);
static void	joined(const struct config *, const char *, struct buf *);
static void	add_int(struct strv *, const char *, int64_t);
static int	env_make(struct svc *, struct plan *);
static int	aggregator_env(struct svc *, struct buf *);

void
strv_init(struct strv *v)
{
	memset(v, 0, sizeof(*v));
}

void
strv_add(struct strv *v, const char *s)
{
	char **nv;

	if (v->n + 2 > v->cap) {
		if ((nv = reallocarray(v->v, v->cap + 16, sizeof(*nv))) ==
		    NULL)
			err(71, "unable to allocate");
		v->v = nv;
		v->cap += 16;
	}
	if ((v->v[v->n] = strdup(s)) == NULL)
		err(71, "unable to allocate");
	v->v[++v->n] = NULL;
}

/* Each argument up to a NULL, added in turn. */
void
strv_addl(struct strv *v, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, v);
	while ((a = va_arg(ap, const char *)) != NULL)
		strv_add(v, a);
	va_end(ap);
}

void
strv_free(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	strv_init(v);
}

int
plan_make(struct svc *s, struct plan *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	strv_init(&p->differ);
	strv_init(&p->sender);
	strv_init(&p->dbwriter);
	buf_init(&p->content_url);
	buf_init(&p->renderer_error);
	if ((r = make_dir(s, p)) != SV_OK || (r = env_make(s, p)) != SV_OK)
		return r;
	if ((r = sender_args(s, p)) != SV_OK)
		return r;
	differ_args(s, p);
	dbwriter_args(s, p);
	return SV_OK;
}

void
plan_free(struct plan *p)
{
	char path[320];

	strv_free(&p->differ);
	strv_free(&p->sender);
	strv_free(&p->dbwriter);
	fe_env_free(p->env);
	fe_env_free(p->sender_env);
	p->env = p->sender_env = NULL;
	buf_free(&p->content_url);
	buf_free(&p->renderer_error);
	if (p->dir[0] == '\0')
		return;
	unlink(p->props);
	unlink(p->differ_prom);
	unlink(p->sender_prom);
	snprintf(path, sizeof(path), "%s.tmp", p->differ_prom);
	unlink(path);
	snprintf(path, sizeof(path), "%s.tmp", p->sender_prom);
	unlink(path);
	rmdir(p->dir);
	p->dir[0] = '\0';
}

/* The private directory (0700) and the names of its files. */
static int
make_dir(struct svc *s, struct plan *p)
{
	const char *tmp = getenv("TMPDIR");
	struct zfield f;
	char err[512];

	snprintf(p->dir, sizeof(p->dir), "%s/ccx-notification-service.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(p->dir) == NULL) {
		snprintf(err, sizeof(err), "%s: %s", p->dir, strerror(errno));
		p->dir[0] = '\0';
		f = ZSTR("error", err);
		zlog_write(&s->log, ZL_ERROR, "Operation failed", &f, 1);
		return SV_STORAGE;
	}
	snprintf(p->props, sizeof(p->props), "%s/kafka.properties", p->dir);
	snprintf(p->differ_prom, sizeof(p->differ_prom), "%s/differ.prom",
	    p->dir);
	snprintf(p->sender_prom, sizeof(p->sender_prom), "%s/sender.prom",
	    p->dir);
	return SV_OK;
}

/*
 * The stages' environment: the front end's, without the variables that
 * would change what a stage does behind the configuration's back, with
 * PGPASSWORD from the storage section (fedb_storage).
 */
static int
env_make(struct svc *s, struct plan *p)
{
	static const char *const drop[] = { "CCX_DIFFER_", "CCX_SERVICELOG_",
	    "CCX_PUSHGATEWAY_", "CCX_DB=", NULL };
	struct zfield f = ZSTR("error", "out of memory");
	struct buf agg;
	const char *extra[2] = { NULL, NULL };
	int r = SV_OK;

	buf_init(&agg);
	if (!s->ignore_disabled && (r = aggregator_env(s, &agg)) != SV_OK) {
		buf_free(&agg);
		return r;
	}
	extra[0] = agg.len > 0 ? agg.data : NULL;
	if ((p->env = fe_env(s->db.env, drop, extra)) == NULL) {
		zlog_write(&s->log, ZL_ERROR, "Operation failed", &f, 1);
		r = SV_STORAGE;
	}
	fe_buf_wipe(&agg);
	return r;
}

/*
 * Without -ignore-disabled-rules differ reads the rules users disabled
 * from the aggregator's database (aggregator_storage): its conninfo, the
 * password included, goes to differ in CCX_DIFFER_AGGREGATOR_DB, never on
 * a command line.
 */
static int
aggregator_env(struct svc *s, struct buf *out)
{
	struct buf ci, pw;
	struct zfield f;
	char err[512];
	size_t i;
	int r = SV_OK;

	buf_init(&ci);
	buf_init(&pw);
	if (config_conninfo(s->cfg, "aggregator_storage", &ci, &pw, err,
	    sizeof(err)) == -1) {
		f = ZSTR("error", err);
		zlog_write(&s->log, ZL_ERROR, "Operation failed", &f, 1);
		r = SV_AGGREGATOR;
	} else {
		buf_puts(out, "CCX_DIFFER_AGGREGATOR_DB=");
		buf_add(out, ci.data != NULL ? ci.data : "", ci.len);
		if (pw.len > 0) {
			buf_puts(out, " password='");
			for (i = 0; i < pw.len; i++) {
				if (pw.data[i] == '\'' || pw.data[i] == '\\')
					buf_putc(out, '\\');
				buf_putc(out, pw.data[i]);
			}
			buf_putc(out, '\'');
		}
	}
	fe_buf_wipe(&pw);
	buf_free(&ci);
	return r;
}

/*
 * differ: every setting of the target's section, the thresholds always
 * (0 included), the tag filter on or off, the cluster lists, the URIs
 * even when empty, the content with upstream's fixed 10 s.
 */
static void
differ_args(struct svc *s, struct plan *p)
{
	const struct config *c = s->cfg;
	static const char *const thr[][2] = {
		{ "total_risk_threshold", "--total-risk-threshold" },
		{ "likelihood_threshold", "--likelihood-threshold" },
		{ "impact_threshold", "--impact-threshold" },
		{ "severity_threshold", "--severity-threshold" },
	};
	struct strv *v = &p->differ;
	char *const *l;
	struct buf b;
	char name[96];
	size_t i;

	buf_init(&b);
	config_content_url(c, &p->content_url);
	strv_add(v, "differ");
	strv_add(v, "--log-format");
	strv_add(v, "json");
	strv_add(v, "-v");
	strv_add(v, "-T");
	strv_add(v, s->target == TARGET_NB ? "notifications-backend" :
	    "service-log");
	strv_add(v, "-c");
	strv_add(v, p->content_url.data);
	strv_addl(v, "--content-timeout", "10", "-n", "3", "--go-fd", "0", NULL);
	if (s->db.conninfo.len > 0)
		strv_addl(v, "-d", s->db.conninfo.data, NULL);
	strv_add(v, "--metrics-file");
	strv_add(v, p->differ_prom);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s.%s", s->section, thr[i][0]);
		add_int(v, thr[i][1], config_int(c, name));
	}
	snprintf(name, sizeof(name), "%s.event_filter", s->section);
	if (*config_str(c, name) != '\0') {
		strv_add(v, "--event-filter");
		strv_add(v, config_str(c, name));
	}
	snprintf(name, sizeof(name), "%s.tag_filter_enabled", s->section);
	if (config_bool(c, name)) {
		snprintf(name, sizeof(name), "%s.tags", s->section);
		joined(c, name, &b);
		strv_add(v, "--tag-filter");
		strv_add(v, b.data != NULL ? b.data : "");
	} else
		strv_add(v, "--no-tag-filter");
	snprintf(name, sizeof(name), "%s.cooldown", s->section);
	strv_add(v, "--cooldown");
	strv_add(v, config_str(c, name));
	if (config_bool(c, "processing.filter_allowed_clusters")) {
		p->allow_on = 1;
		l = config_list(c, "processing.allowed_clusters", &p->allowed);
		joined(c, "processing.allowed_clusters", &b);
		/* An allow list without a name keeps nothing: no run at all
		 * (to differ an empty list would be no list). */
		p->no_run = 1;
		for (i = 0; i < p->allowed; i++)
			if (*l[i] != '\0')
				p->no_run = 0;
		strv_add(v, "--allowed-clusters");
		strv_add(v, b.data != NULL ? b.data : "");
	} else if (config_bool(c, "processing.filter_blocked_clusters")) {
		p->block_on = 1;
		(void)config_list(c, "processing.blocked_clusters", &p->blocked);
		joined(c, "processing.blocked_clusters", &b);
		strv_add(v, "--blocked-clusters");
		strv_add(v, b.data != NULL ? b.data : "");
	}
	strv_add(v, "--cluster-details-uri");
	strv_add(v, config_str(c, "notifications.cluster_details_uri"));
	strv_add(v, "--rule-details-uri");
	strv_add(v, config_str(c, "notifications.rule_details_uri"));
	buf_free(&b);
}

/*
 * kafka-emitter with the property file, or servicelog-poster with its
 * client secret in its own environment.  The Service Log needs both
 * credentials (11), a renderer server that parses (1); a renderer without
 * scheme leaves the sender out (tap.c answers for it).
 */
static int
sender_args(struct svc *s, struct plan *p)
{
	const struct config *c = s->cfg;
	struct strv *v = &p->sender;
	struct config_renderer rd;
	struct buf url, sec;
	struct zfield f;
	const char *id, *secret, *tok;
	char err[512];
	int64_t t;
	int r;

	if (s->target == TARGET_NB) {
		if (write_props(s, p) == -1)
			return SV_KAFKA;
		strv_add(v, "kafka-emitter");
		strv_add(v, "--log-format");
		strv_add(v, "json");
		/* Its debug records (two per message) only when they are
		 * written: reading them costs more than the relaying. */
		if (s->log.min_level <= ZL_DEBUG)
			strv_add(v, "-v");
		strv_add(v, "-b");
		strv_add(v, config_str(c, "kafka_broker.addresses"));
		strv_add(v, "-t");
		strv_add(v, config_str(c, "kafka_broker.topic"));
		strv_addl(v, "-F", p->props, "-n", "3", "--metrics-file",
		    p->sender_prom, NULL);
		return SV_OK;
	}
	id = config_str(c, "service_log.client_id");
	secret = config_str(c, "service_log.client_secret");
	if (*id == '\0' || *secret == '\0') {
		f = ZSTR("error", *id == '\0' ? "the client ID is empty" :
		    "the client secret is empty");
		zlog_write(&s->log, ZL_ERROR, "got error while setting up the "
		    "connection to OCM API gateway", &f, 1);
		s->pgw.counter[C_PRODUCER_SETUP_ERRORS]++;
		return SV_SERVICELOG;
	}
	if ((r = config_renderer(c, &rd, err, sizeof(err))) == -1) {
		f = ZSTR("error", err);
		zlog_write(&s->log, ZL_ERROR, "Load configuration", &f, 1);
		config_renderer_free(&rd);
		return SV_CONFIG;
	}
	if (r == 1) {
		/* Every renderer call would fail: no poster, an error each. */
		buf_add(&p->renderer_error, rd.error.data, rd.error.len);
		f = ZSTR("error", rd.error.data);
		zlog_write(&s->log, ZL_WARN, "the template renderer URL has no "
		    "scheme: every cluster with new issues gets an error",
		    &f, 1);
		config_renderer_free(&rd);
		return SV_OK;
	}
	buf_init(&url);
	buf_init(&sec);
	tok = config_str(c, "service_log.url");
	if (strncmp(tok, "http", 4) != 0)
		buf_puts(&url, "http://");
	buf_puts(&url, tok);
	strv_add(v, "servicelog-poster");
	strv_add(v, "--log-format");
	strv_add(v, "json");
	strv_add(v, "-v");
	strv_add(v, "--client-id");
	strv_add(v, id);
	strv_add(v, "--renderer-url");
	strv_add(v, rd.server.data);
	strv_add(v, "--renderer-endpoint");
	strv_add(v, rd.endpoint.data != NULL ? rd.endpoint.data : "");
	strv_add(v, "--url");
	strv_add(v, url.data);
	if (*(tok = config_str(c, "service_log.token_url")) != '\0') {
		strv_add(v, "--token-url");
		strv_add(v, tok);
	}
	strv_add(v, "--created-by");
	strv_add(v, config_str(c, "service_log.created_by"));
	strv_add(v, "--username");
	strv_add(v, config_str(c, "service_log.username"));
	strv_add(v, "--rule-details-uri");
	strv_add(v, config_str(c, "service_log.rule_details_uri"));
	/* Seconds, rounded up, 1 to 3600; 0 (no timeout): the default. */
	if ((t = config_duration(c, "service_log.timeout")) > 0) {
		t = (t + 999999999) / 1000000000;
		add_int(v, "--timeout", t > 3600 ? 3600 : t);
	}
	strv_addl(v, "-n", "3", "--metrics-file", p->sender_prom, NULL);
	config_renderer_free(&rd);
	buf_free(&url);
	buf_puts(&sec, "CCX_SERVICELOG_CLIENT_SECRET=");
	buf_puts(&sec, secret);
	p->sender_env = fe_env(p->env, NULL,
	    (const char *const[]){ sec.data, NULL });
	fe_buf_wipe(&sec);
	if (p->sender_env == NULL) {
		f = ZSTR("error", "out of memory");
		zlog_write(&s->log, ZL_ERROR, "got error while setting up the "
		    "connection to OCM API gateway", &f, 1);
		return SV_SERVICELOG;
	}
	return SV_OK;
}

/* The property file: security settings, message.timeout.ms. */
static int
write_props(struct svc *s, struct plan *p)
{
	struct buf props;
	struct zfield f;
	char err[512];
	int64_t t = config_duration(s->cfg, "kafka_broker.timeout");
	ssize_t w;
	size_t off = 0;
	int fd, rc = -1;

	buf_init(&props);
	if (config_kafka_props(s->cfg, &props, err, sizeof(err)) == -1)
		goto fail;
	if (t > 0)
		buf_printf(&props, "message.timeout.ms=%lld\n",
		    (long long)((t + 999999) / 1000000));
	if ((fd = open(p->props, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, sizeof(err), "%s: %s", p->props, strerror(errno));
		goto fail;
	}
	while (off < props.len) {
		if ((w = write(fd, props.data + off, props.len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1 || off < props.len) {
		snprintf(err, sizeof(err), "%s: %s", p->props, strerror(errno));
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	f = ZSTR("Error:", err);
	zlog_write(&s->log, ZL_ERROR, "Couldn't initialize Kafka producer with "
	    "the provided config.", &f, 1);
	s->pgw.counter[C_PRODUCER_SETUP_ERRORS]++;
out:
	fe_buf_wipe(&props);
	return rc;
}

/*
 * db-writer -r.  Its spool directory: CCX_SPOOL_DIR or STATE_DIRECTORY
 * when set (db-writer reads them), else one in the temporary directory
 * per user, kept from run to run so that a later run replays it.
 */
static void
dbwriter_args(struct svc *s, struct plan *p)
{
	struct strv *v = &p->dbwriter;
	const char *e, *tmp = getenv("TMPDIR");
	char dir[300];

	strv_add(v, "db-writer");
	strv_add(v, "--log-format");
	strv_add(v, "json");
	/* Batches of 5000 outcomes: the server's work a row is less than at
	 * the default 1000 and the tail after the last message no longer
	 * (doc/benchmarks.md, "Outcome rows in key order"). */
	strv_addl(v, "-r", "-n", "3", "-b", "5000", NULL);
	if (s->db.conninfo.len > 0)
		strv_addl(v, "-d", s->db.conninfo.data, NULL);
	if (((e = getenv("CCX_SPOOL_DIR")) == NULL || *e == '\0') &&
	    ((e = getenv("STATE_DIRECTORY")) == NULL || *e == '\0')) {
		snprintf(dir, sizeof(dir), "%s/ccx-notify-spool-%lu",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp",
		    (unsigned long)getuid());
		strv_add(v, "--spool");
		strv_add(v, dir);
	}
}

/* A list setting joined by commas. */
static void
joined(const struct config *c, const char *name, struct buf *b)
{
	char *const *l;
	size_t n, i;

	buf_reset(b);
	l = config_list(c, name, &n);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, l[i]);
	}
}

static void
add_int(struct strv *v, const char *flag, int64_t n)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)n);
	strv_add(v, flag);
	strv_add(v, num);
}
