/*
 * The writer's service mode (COMPAT.md 5.1, 7.1, 9.2): /metrics over HTTP
 * from the start, then kafka-reader | db-writer with the ack back-edge
 * under the supervisor, which restarts it with backoff and stops on a
 * permanent status.  db-writer's counters come from its metrics file and
 * are served under the configured namespace with upstream's names and
 * help texts, kept monotonic across restarts of the pipeline.  SIGTERM
 * drains the pipeline and ends the process with 0.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fe.h"
#include "mhttp.h"
#include "sig.h"
#include "writer.h"

extern char **environ;

/* Upstream's nine counters (COMPAT 7.1), db-writer's names. */
static const struct { const char *name, *help; } counters[] = {
	{ "consumed_messages",
	  "The total number of messages consumed from Kafka" },
	{ "consuming_errors",
	  "The total number of errors during consuming messages from Kafka" },
	{ "parse_incoming_message", "The total number of parsed messages" },
	{ "check_schema_version",
	  "The total number of messages with successful schema check" },
	{ "marshal_report", "The total number of marshaled reports" },
	{ "shrink_report", "The total number of shrunk reports" },
	{ "check_last_checked_timestamp",
	  "The total number of messages with last checked timestamp" },
	{ "stored_messages",
	  "The total number of messages stored into database" },
	{ "stored_bytes", "The total number of bytes stored into database" },
};
#define NCOUNTERS	(sizeof(counters) / sizeof(counters[0]))

struct serve {
	struct writer	*w;
	struct mhttp	*http;
	const char	*ns;
	char		 dir[256];	/* private temporary directory */
	char		 metrics[300];	/* db-writer's metrics file */
	unsigned long long base[NCOUNTERS];	/* of earlier pipelines */
	unsigned long long last[NCOUNTERS];	/* of the current one */
	int		 permanent;	/* the stage that failed for good */
};

static int	setup(struct serve *, char *, size_t);
static int	write_files(struct serve *, char *, size_t);
static void	refresh(struct serve *);
static void	publish(struct serve *);
static void	on_err(void *, const char *, size_t);
static void	rejected(struct serve *, const char *);
static void	cleanup(struct serve *);

int
op_service(struct writer *w)
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	struct serve s;
	struct fe_child c;
	struct zfield f;
	char err[512], conf[300];
	char *argv[] = { "supervisor", "--log-format", "json", conf, NULL };
	int r, stopping = 0;

	memset(&s, 0, sizeof(s));
	s.w = w;
	if ((r = setup(&s, err, sizeof(err))) != WR_OK)
		goto out;
	if (!config_bool(w->cfg, "broker.enabled")) {
		zlog_write(&w->log, ZL_INFO,
		    "Broker is disabled, not starting it", NULL, 0);
		r = WR_OK;
		goto out;
	}
	if ((r = writer_storage(w)) != WR_OK)
		goto out;
	if (write_files(&s, err, sizeof(err)) == -1) {
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Construct broker failed", &f, 1);
		r = WR_CONSUMER;
		goto out;
	}
	snprintf(conf, sizeof(conf), "%s/pipeline", s.dir);
	if (sig_setup(sigs) == -1 ||
	    fe_start(&c, argv, w->db.env, err, sizeof(err)) == -1) {
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Construct broker failed", &f, 1);
		r = WR_CONSUMER;
		goto out;
	}
	while (fe_poll(&c, 500, NULL, on_err, &s) == 1) {
		if (!stopping && sig_pending_term()) {
			stopping = 1;
			kill(c.pid, SIGTERM);
		}
		refresh(&s);
	}
	r = fe_finish(&c);
	refresh(&s);
	if (stopping || r == 0)
		r = WR_OK;
	else if (s.permanent == 'k')
		r = WR_CONSUMER;
	else
		r = WR_STORAGE;
out:
	cleanup(&s);
	return r;
}

/* The HTTP server, from the start; a listen failure is only logged. */
static int
setup(struct serve *s, char *err, size_t errsize)
{
	struct writer *w = s->w;
	const char *addr = config_str(w->cfg, "metrics.address");
	struct zfield f;

	s->ns = config_str(w->cfg, "metrics.namespace");
	f = ZSTR("namespace", s->ns);
	zlog_write(&w->log, ZL_INFO, "Setting metrics namespace", &f, 1);
	f = ZSTR("HTTP server address", addr);
	zlog_write(&w->log, ZL_INFO, "Starting HTTP server", &f, 1);
	if ((s->http = mhttp_start(addr, err, errsize)) == NULL) {
		f = ZSTR("error", err);
		zlog_write(&w->log, ZL_ERROR, "Listen and serve", &f, 1);
	}
	publish(s);
	return WR_OK;
}

/* Writes text to path in the private directory (mode 0600). */
static int
put_file(const char *path, const char *text, size_t len, char *err,
    size_t errsize)
{
	FILE *fp;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (fwrite(text, 1, len, fp) != len || fclose(fp) == EOF) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The supervisor's environment: the filters' plus the values the
 * pipeline file names, so that no configured value meets the file's
 * syntax.
 */
static int
pipeline_env(struct serve *s, const char *props, char *err, size_t errsize)
{
	struct writer *w = s->w;
	const char *kv[][2] = {
		{ "CCX_W_BROKERS", config_str(w->cfg, "broker.addresses") },
		{ "CCX_W_GROUP", config_str(w->cfg, "broker.group") },
		{ "CCX_W_TOPIC", config_str(w->cfg, "broker.topic") },
		{ "CCX_W_PROPS", props },
		{ "CCX_W_METRICS", s->metrics },
		{ "CCX_DB", w->db.conninfo.data != NULL ? w->db.conninfo.data : "" },
	};
	char *extra[7] = { NULL };
	char **env;
	size_t i, n = sizeof(kv) / sizeof(kv[0]);

	for (i = 0; i < n; i++)
		if (asprintf(&extra[i], "%s=%s", kv[i][0], kv[i][1]) == -1) {
			extra[i] = NULL;
			break;
		}
	env = i == n ? fe_env(w->db.env, (const char *const[]){ "CCX_W_",
	    "CCX_DB=", NULL }, (const char *const *)extra) : NULL;
	for (i = 0; i < n; i++)
		free(extra[i]);
	if (env == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	fe_env_free(w->db.env);
	w->db.env = env;
	return 0;
}

/*
 * The private directory: the Kafka property file (it may hold the SASL
 * password), db-writer's metrics file and the pipeline file.  A group
 * without committed offsets starts from the oldest record: nothing
 * produced before the first start is lost, and what is read twice is
 * stored once (consumed_records).
 */
static int
write_files(struct serve *s, char *err, size_t errsize)
{
	static const char pipeline[] = "pipeline results\n"
	    "\trun kafka-reader -b $CCX_W_BROKERS -G $CCX_W_GROUP "
	    "-t $CCX_W_TOPIC -X auto.offset.reset=earliest -F $CCX_W_PROPS "
	    "--log-format json -a @ack\n"
	    "\trun db-writer --log-format json --metrics-file $CCX_W_METRICS "
	    "-n @ready\n\tack\n";
	const char *tmp = getenv("TMPDIR");
	char props[300], path[300];
	struct buf text;
	int rc;

	snprintf(s->dir, sizeof(s->dir), "%s/ccx-writer.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		snprintf(err, errsize, "%s: %s", s->dir, strerror(errno));
		s->dir[0] = '\0';
		return -1;
	}
	snprintf(s->metrics, sizeof(s->metrics), "%s/db-writer.prom", s->dir);
	snprintf(props, sizeof(props), "%s/kafka.properties", s->dir);
	snprintf(path, sizeof(path), "%s/pipeline", s->dir);
	buf_init(&text);
	rc = config_kafka_props(s->w->cfg, &text, err, errsize);
	if (rc == 0)
		rc = put_file(props, text.data != NULL ? text.data : "",
		    text.len, err, errsize);
	fe_buf_wipe(&text);
	if (rc == 0)
		rc = put_file(path, pipeline, sizeof(pipeline) - 1, err,
		    errsize);
	if (rc == 0)
		rc = pipeline_env(s, props, err, errsize);
	return rc;
}

/* Reads db-writer's metrics file; a counter that went down means the
 * pipeline restarted: what it had counted is kept in base. */
static void
refresh(struct serve *s)
{
	char line[512], name[256];
	unsigned long long v, now[NCOUNTERS];
	size_t i, plen;
	int changed = 0, seen = 0;
	FILE *fp;
	char *p;

	if ((fp = fopen(s->metrics, "r")) == NULL)
		return;
	memcpy(now, s->last, sizeof(now));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || sscanf(line, "%255s %llu", name, &v) != 2)
			continue;
		for (i = 0; i < NCOUNTERS; i++) {
			plen = strlen(name) - strlen(counters[i].name);
			p = name + plen;
			if (strlen(name) >= strlen(counters[i].name) &&
			    strcmp(p, counters[i].name) == 0 &&
			    (plen == 0 || p[-1] == '_')) {
				now[i] = v;
				seen = 1;
			}
		}
	}
	fclose(fp);
	if (!seen)
		return;
	for (i = 0; i < NCOUNTERS; i++) {
		if (now[i] < s->last[i])
			s->base[i] += s->last[i];
		if (now[i] != s->last[i])
			changed = 1;
		s->last[i] = now[i];
	}
	if (changed)
		publish(s);
}

/* The exposition text: HELP, TYPE and value of each of the nine. */
static void
publish(struct serve *s)
{
	struct buf b;
	char name[256];
	size_t i;

	if (s->http == NULL)
		return;
	buf_init(&b);
	for (i = 0; i < NCOUNTERS; i++) {
		snprintf(name, sizeof(name), "%s%s%s", s->ns,
		    *s->ns != '\0' ? "_" : "", counters[i].name);
		buf_printf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    name, counters[i].help, name, name,
		    s->base[i] + s->last[i]);
	}
	(void)mhttp_set_body(s->http, b.data, b.len);
	buf_free(&b);
}

/* The supervisor's records, and through it the filters'. */
static void
on_err(void *arg, const char *line, size_t len)
{
	struct serve *s = arg;
	struct json_object *o, *prog, *msg;
	const char *label, *slash, *m;

	if ((o = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(o, "prog", &prog) ||
	    !json_object_object_get_ex(o, "msg", &msg)) {
		json_object_put(o);
		fe_relay(&s->w->log, "supervisor", line, len);
		return;
	}
	label = json_object_get_string(prog);
	m = json_object_get_string(msg);
	if ((slash = strchr(label, '/')) != NULL) {
		fe_relay(&s->w->log, slash + 1, m, strlen(m));
		rejected(s, m);
	} else {
		if (strstr(m, "PERMANENT FAILURE") != NULL)
			s->permanent = strstr(m, "/kafka-reader ") != NULL ?
			    'k' : 'd';
		fe_relay(&s->w->log, "supervisor", line, len);
	}
	json_object_put(o);
}

/*
 * db-writer's "rejected record T/P/O: reason" (kept in dead_letters):
 * upstream's "Error processing message consumed from Kafka".
 */
static void
rejected(struct serve *s, const char *line)
{
	struct json_object *o, *msg;
	const char *m, *why;
	struct zfield f;

	if ((o = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(o, "msg", &msg) ||
	    strncmp(m = json_object_get_string(msg), "rejected record ",
	    16) != 0 || (why = strstr(m + 16, ": ")) == NULL) {
		json_object_put(o);
		return;
	}
	f = ZSTR("error", why + 2);
	zlog_write(&s->w->log, ZL_WARN,
	    "Error processing message consumed from Kafka", &f, 1);
	json_object_put(o);
}

static void
cleanup(struct serve *s)
{
	char path[320];

	mhttp_stop(s->http);
	if (s->dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/kafka.properties", s->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pipeline", s->dir);
	unlink(path);
	unlink(s->metrics);
	snprintf(path, sizeof(path), "%s.tmp", s->metrics);
	unlink(path);
	rmdir(s->dir);
}
