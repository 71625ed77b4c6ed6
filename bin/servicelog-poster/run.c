/*
 * run: the line loop of servicelog-poster (see slp.h).
 *
 * One line at a time: a decision line with issues is rendered and posted
 * before the next line is read, and its outcome is written and flushed at
 * once, so that an outcome on stdout always means the entries are posted.
 * stdin and the signal pipe are watched with poll(2), so that a
 * termination signal is seen while waiting for input.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sig.h"
#include "slp.h"
#include "timeutil.h"

#define JSON_OUT	(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

static int	wait_input(struct poster *);
static void	handle_line(struct poster *, const char *, size_t, int);
static void	pass_line(struct poster *, struct json_object *);
static void	invalid_line(struct poster *, const char *, const char *,
		    size_t);
static int	read_cluster(struct cluster *, struct json_object *, char *,
		    size_t);
static int	read_issue(struct issue *, struct json_object *, size_t,
		    char *, size_t);
static const char *member_str(struct json_object *, const char *);
static void	handle_cluster(struct poster *, struct cluster *,
		    struct json_object *);
static void	post_issues(struct poster *, struct cluster *);
static void	set_outcome(struct poster *, struct cluster *,
		    struct json_object *);
static void	strip_line(struct json_object *);
static void	add_str(struct json_object *, const char *, const char *);
static void	write_text(struct poster *, const char *, size_t);
static void	out_failed(struct poster *);

static const struct metric metric_defs[M_NMETRICS] = {
	[M_SENT] = { "notification_sent",
	    "Entries posted plus clusters with state sent", "counter", 0 },
	[M_ERROR_STATE] = { "notification_not_sent_error_state",
	    "Entries not posted plus clusters with state error", "counter",
	    0 },
	[M_SAME_STATE] = { "notification_not_sent_same_state",
	    "Clusters with state same", "counter", 0 },
	[M_RENDERER_ERRORS] = { "renderer_errors",
	    "Renderer calls that failed", "counter", 0 },
	[M_TOKEN_REFRESHES] = { "token_refreshes",
	    "Access tokens obtained from the token endpoint", "counter", 0 },
	[M_LINES_READ] = { "lines_read", "Input lines read", "counter", 0 },
	[M_INVALID] = { "invalid_lines",
	    "Input lines that are not a decision", "counter", 0 },
	[M_ENTRIES_POSTED] = { "entries_posted",
	    "Service Log entries accepted", "counter", 0 },
	[M_ENTRIES_FAILED] = { "entries_failed",
	    "Service Log entries not accepted", "counter", 0 },
};

void
poster_open(struct poster *p, const struct config *cfg)
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	char err[256];

	memset(p, 0, sizeof(*p));
	if (sig_setup(sigs) == -1)
		log_fatal(EX_OSERR, "unable to set up signals: %s",
		    strerror(errno));
	p->cfg = cfg;
	memcpy(p->m, metric_defs, sizeof(p->m));
	if (http_init(&p->http, err, sizeof(err)) == -1)
		log_fatal(EX_OSERR, "%s", err);
	if ((p->tokener = json_tokener_new_ex(SLP_JSON_DEPTH)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON tokener");
	json_tokener_set_flags(p->tokener,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	lineio_init(&p->in, STDIN_FILENO, 0);
	p->metrics_next = time_mono_ms() + SLP_METRICS_MS;
	log_debug("renderer %s, service log %s, token endpoint %s",
	    cfg->renderer, cfg->url, cfg->token_url);
}

/* Handles stdin line by line until EOF, a signal or a dead stdout. */
void
poster_run(struct poster *p)
{
	char *line;
	size_t len;
	int r;

	while (!p->out_dead && !slp_terminating(p)) {
		r = lineio_next(&p->in, &line, &len);
		if (r == LINE_AGAIN) {
			if (wait_input(p) == -1)
				break;
			continue;
		}
		if (r == LINE_EOF) {
			p->eof = 1;
			break;
		}
		handle_line(p, line, len, r == LINE_TOOLONG);
		if (!p->out_dead && fflush(stdout) == EOF)
			out_failed(p);
		slp_metrics_tick(p, 0);
	}
	if (p->term && !p->eof)
		log_warn("terminating: the rest of stdin is left unread");
}

int
poster_close(struct poster *p)
{
	const struct metric *m = p->m;
	char errbuf[512];

	token_free(&p->tok);
	json_tokener_free(p->tokener);
	lineio_free(&p->in);
	http_free(&p->http);
	slp_metrics_tick(p, 1);
	if (metrics_push(p->cfg->pushgateway, "servicelog-poster",
	    SLP_METRICS_PREFIX, p->m, M_NMETRICS, errbuf, sizeof(errbuf)) == -1)
		log_warn("unable to push metrics: %s", errbuf);
	log_info("%llu lines read: %llu entries posted, %llu not posted, "
	    "%llu renderer errors, %llu invalid lines",
	    (unsigned long long)m[M_LINES_READ].value,
	    (unsigned long long)m[M_ENTRIES_POSTED].value,
	    (unsigned long long)m[M_ENTRIES_FAILED].value,
	    (unsigned long long)m[M_RENDERER_ERRORS].value,
	    (unsigned long long)m[M_INVALID].value);
	if (p->out_dead || p->in_err || (p->term && !p->eof))
		return EX_TEMPFAIL;
	if (m[M_INVALID].value > 0)
		return EX_DATAERR;
	return 0;
}

/* Waits for input or a signal; returns -1 when reading must stop. */
static int
wait_input(struct poster *p)
{
	struct pollfd pfd[2];
	ssize_t n;

	pfd[0].fd = sig_fd();
	pfd[1].fd = p->in.fd;
	pfd[0].events = pfd[1].events = POLLIN;
	if (poll(pfd, 2, SLP_IDLE_MS) == -1) {
		if (errno == EINTR)
			return 0;
		log_fatal(EX_SOFTWARE, "poll: %s", strerror(errno));
	}
	slp_metrics_tick(p, 0);
	if (slp_terminating(p))
		return -1;
	if (pfd[1].revents == 0)
		return 0;
	n = lineio_fill(&p->in);
	if (n == -1 && errno != EINTR && errno != EAGAIN) {
		log_error("unable to read stdin: %s", strerror(errno));
		p->in_err = 1;
		return -1;
	}
	return 0;
}

static void
handle_line(struct poster *p, const char *line, size_t len, int toolong)
{
	struct json_object *o, *issues;
	struct cluster c;
	char why[512];

	p->m[M_LINES_READ].value++;
	if (toolong) {
		snprintf(why, sizeof(why), "line too long (more than %zu "
		    "bytes)", p->in.max);
		invalid_line(p, why, line, len);
		return;
	}
	if ((o = slp_parse(p, line, len, why, sizeof(why))) == NULL) {
		invalid_line(p, why, line, len);
		return;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, sizeof(why), "not a JSON object: a JSON %s",
		    json_type_to_name(json_object_get_type(o)));
		json_object_put(o);
		invalid_line(p, why, line, len);
		return;
	}
	if (!json_object_object_get_ex(o, "issues", &issues) ||
	    issues == NULL) {
		pass_line(p, o);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.lineno = p->in.lineno;
	if (read_cluster(&c, o, why, sizeof(why)) == -1) {
		free(c.issues);
		json_object_put(o);
		invalid_line(p, why, line, len);
		return;
	}
	handle_cluster(p, &c, o);
	free(c.issues);
	json_object_put(c.response);
	json_object_put(o);
}

/* A line without issues keeps its state ("same" when it has none). */
static void
pass_line(struct poster *p, struct json_object *o)
{
	struct json_object *st = NULL;
	const char *out;
	size_t len;

	if (json_object_object_get_ex(o, "state", &st) && st != NULL &&
	    !json_object_is_type(st, json_type_string)) {
		json_object_put(o);
		invalid_line(p, "state is not a string", NULL, 0);
		return;
	}
	strip_line(o);
	if (st == NULL)
		add_str(o, "state", "same");
	if (strcmp(json_object_get_string(json_object_object_get(o,
	    "state")), "same") == 0)
		p->m[M_SAME_STATE].value++;
	out = json_object_to_json_string_length(o, JSON_OUT, &len);
	write_text(p, out, len);
	json_object_put(o);
}

/*
 * A line that is not a decision: its outcome says so with its line number
 * and the start of its text, so that downstream can record it.
 */
static void
invalid_line(struct poster *p, const char *why, const char *line,
    size_t len)
{
	struct buf b;

	log_warn("line %lu: %s", p->in.lineno, why);
	p->m[M_INVALID].value++;
	buf_init(&b);
	buf_puts(&b, "{\"state\":\"invalid\",\"line\":");
	buf_put_i64(&b, (int64_t)p->in.lineno);
	buf_puts(&b, ",\"error\":");
	buf_json_str(&b, why, strlen(why));
	if (line != NULL) {
		buf_puts(&b, ",\"input\":");
		buf_json_str(&b, line, utf8_cut(line, len, SLP_ECHO_MAX));
	}
	buf_putc(&b, '}');
	write_text(p, b.data, b.len);
	buf_free(&b);
}

/*
 * Reads the members a line with issues must have: cluster, issues (an
 * array of issue objects) and content (an array of objects), and target,
 * if present, must be service-log.  Returns 0, or -1 with the reason.
 */
static int
read_cluster(struct cluster *c, struct json_object *o, char *why,
    size_t whysz)
{
	struct json_object *issues, *content, *v;
	size_t i, n;

	if (json_object_object_get_ex(o, "target", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "service-log") != 0)) {
		snprintf(why, whysz, "target is not \"service-log\"");
		return -1;
	}
	if ((c->id = member_str(o, "cluster")) == NULL || c->id[0] == '\0') {
		snprintf(why, whysz, "cluster is missing or not a string");
		return -1;
	}
	json_object_object_get_ex(o, "issues", &issues);
	if (!json_object_is_type(issues, json_type_array)) {
		snprintf(why, whysz, "issues is not an array");
		return -1;
	}
	if (!json_object_object_get_ex(o, "content", &content) ||
	    !json_object_is_type(content, json_type_array)) {
		snprintf(why, whysz, "content is missing or not an array");
		return -1;
	}
	for (i = 0; i < json_object_array_length(content); i++)
		if (!json_object_is_type(json_object_array_get_idx(content, i),
		    json_type_object)) {
			snprintf(why, whysz, "content[%zu] is not an object",
			    i);
			return -1;
		}
	c->content = content;
	n = json_object_array_length(issues);
	if (n > 0 && (c->issues = calloc(n, sizeof(*c->issues))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu issues", n);
	for (c->n = 0; c->n < n; c->n++)
		if (read_issue(&c->issues[c->n], json_object_array_get_idx(
		    issues, c->n), c->n, why, whysz) == -1)
			return -1;
	return 0;
}

static int
read_issue(struct issue *is, struct json_object *o, size_t i, char *why,
    size_t whysz)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, whysz, "issues[%zu] is not an object", i);
		return -1;
	}
	if (!json_object_object_get_ex(o, "item", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (is->item = json_object_get_int64(v)) < 0) {
		snprintf(why, whysz, "issues[%zu].item is missing or not a "
		    "non-negative integer", i);
		return -1;
	}
	if (!json_object_object_get_ex(o, "total_risk", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(why, whysz, "issues[%zu].total_risk is missing or "
		    "not an integer", i);
		return -1;
	}
	is->total_risk = json_object_get_int64(v);
	if ((is->type = member_str(o, "type")) == NULL ||
	    (is->component = member_str(o, "component")) == NULL ||
	    (is->key = member_str(o, "key")) == NULL) {
		snprintf(why, whysz, "issues[%zu]: type, component and key "
		    "must be strings", i);
		return -1;
	}
	if (json_object_object_get_ex(o, "details", &v))
		is->details = v;	/* NULL for a JSON null */
	is->state = ISSUE_UNRENDERED;
	return 0;
}

/* The string member name of o, or NULL when absent or not a string. */
static const char *
member_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Renders, posts and writes the outcome of one cluster. */
static void
handle_cluster(struct poster *p, struct cluster *c, struct json_object *o)
{
	char err[SLP_ERROR_MAX + 1];
	const char *out;
	size_t len;

	if (c->n == 0)
		log_debug("cluster %s: no issues", c->id);
	else if (render_cluster(p, c, err, sizeof(err)) == -1) {
		log_warn("cluster %s: %s", c->id, err);
		p->m[M_RENDERER_ERRORS].value++;
		snprintf(c->error, sizeof(c->error), "%s", err);
	} else
		post_issues(p, c);
	set_outcome(p, c, o);
	out = json_object_to_json_string_length(o, JSON_OUT, &len);
	write_text(p, out, len);
}

/* Posts the rendered issues in report order, one at a time. */
static void
post_issues(struct poster *p, struct cluster *c)
{
	char err[SLP_ERROR_MAX + 1];
	struct issue *is;
	struct buf body;
	size_t i;

	log_debug("cluster %s: %zu issue(s), %zu rendered", c->id, c->n,
	    c->rendered);
	buf_init(&body);
	for (i = 0; i < c->n; i++) {
		is = &c->issues[i];
		if (is->state != ISSUE_RENDERED)
			continue;
		if (slp_terminating(p))
			snprintf(err, sizeof(err), "not posted: terminating");
		else {
			buf_reset(&body);
			entry_build(p->cfg, c->id, is, &body);
		}
		if (!p->term && post_entry(p, c, body.data, body.len, err,
		    sizeof(err)) == 0) {
			is->state = ISSUE_POSTED;
			c->posted++;
			p->m[M_ENTRIES_POSTED].value++;
			p->m[M_SENT].value++;
			log_debug("cluster %s item %lld: entry posted", c->id,
			    (long long)is->item);
			continue;
		}
		is->state = ISSUE_FAILED;
		c->failed++;
		p->m[M_ENTRIES_FAILED].value++;
		p->m[M_ERROR_STATE].value++;
		log_warn("cluster %s item %lld: entry not posted: %s", c->id,
		    (long long)is->item, err);
		if (c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "%s", err);
	}
	buf_free(&body);
}

/*
 * The outcome is the line without issues, content and payload, plus its
 * state: error (the renderer failed, or no entry was posted), same
 * (nothing rendered) or sent (with drop_items when some entries failed).
 */
static void
set_outcome(struct poster *p, struct cluster *c, struct json_object *o)
{
	struct json_object *drop;
	char err[SLP_ERROR_MAX + 64];
	size_t i;

	strip_line(o);
	json_object_object_del(o, "error");
	json_object_object_del(o, "drop_items");
	if (c->error[0] != '\0' && c->posted == 0) {
		if (c->failed > 0)
			snprintf(err, sizeof(err), "%zu of %zu entries not "
			    "posted: %s", c->failed, c->rendered, c->error);
		else
			snprintf(err, sizeof(err), "%s", c->error);
		err[utf8_cut(err, strlen(err), SLP_ERROR_MAX)] = '\0';
		add_str(o, "state", "error");
		add_str(o, "error", err);
		p->m[M_ERROR_STATE].value++;
		return;
	}
	if (c->posted == 0) {
		add_str(o, "state", "same");
		p->m[M_SAME_STATE].value++;
		return;
	}
	add_str(o, "state", "sent");
	p->m[M_SENT].value++;
	if (c->failed == 0)
		return;
	if ((drop = json_object_new_array()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON array");
	for (i = 0; i < c->n; i++)
		if (c->issues[i].state == ISSUE_FAILED &&
		    json_object_array_add(drop,
		    json_object_new_int64(c->issues[i].item)) == -1)
			log_fatal(EX_OSERR, "unable to allocate a JSON array");
	json_object_object_add(o, "drop_items", drop);
}

/* What a decision line has that an outcome line has not. */
static void
strip_line(struct json_object *o)
{
	json_object_object_del(o, "issues");
	json_object_object_del(o, "content");
	json_object_object_del(o, "payload");
}

static void
add_str(struct json_object *o, const char *k, const char *v)
{
	struct json_object *s;

	if ((s = json_object_new_string(v)) == NULL ||
	    json_object_object_add(o, k, s) == -1)
		log_fatal(EX_OSERR, "unable to allocate a JSON string");
}

static void
write_text(struct poster *p, const char *s, size_t len)
{
	if (p->out_dead)
		return;
	if (fwrite(s, 1, len, stdout) != len || putchar('\n') == EOF)
		out_failed(p);
}

static void
out_failed(struct poster *p)
{
	if (p->out_dead)
		return;
	if (errno == EPIPE)
		log_error("stdout closed: downstream gone, stopping");
	else
		log_error("unable to write stdout: %s", strerror(errno));
	p->out_dead = 1;
}
