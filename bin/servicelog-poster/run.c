/*
 * run: the line loop of servicelog-poster (see slp.h).
 *
 * One line at a time: a decision line with issues is rendered and posted
 * before the next line is read, and its outcome is written and flushed at
 * once, so that an outcome on stdout always means the entries are posted.
 * The lines are read and written by common/lines.c.  stdin and the
 * signal pipe are watched with poll(2), so that a termination signal is
 * seen while waiting for input.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lines.h"
#include "log.h"
#include "prog.h"
#include "sig.h"
#include "slp.h"
#include "timeutil.h"

static int	wait_input(struct poster *);
static void	handle_line(struct poster *, const char *, size_t, int);
static void	pass_line(struct poster *, const struct lines_decision *);
static void	invalid_line(struct poster *, const char *, const char *,
		    size_t);
static int	read_cluster(struct cluster *, const struct lines_decision *,
		    char *, size_t);
static void	handle_cluster(struct poster *, struct cluster *,
		    const struct lines_decision *);
static void	post_issues(struct poster *, struct cluster *);
static void	set_outcome(struct poster *, struct cluster *,
		    const struct lines_decision *);
static void	write_outcome(struct poster *, const struct lines_outcome *);

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
	prog_signals(sigs);
	p->cfg = cfg;
	memcpy(p->m, metric_defs, sizeof(p->m));
	if (http_init(&p->http, err, sizeof(err)) == -1)
		log_fatal(EXIT_SYSTEM, "%s", err);
	if ((p->tokener = json_tokener_new_ex(SLP_JSON_DEPTH)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a JSON tokener");
	json_tokener_set_flags(p->tokener,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	prog_io_init(&p->io, 0);
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

	while (!p->io.out_dead && !slp_terminating(p)) {
		r = lineio_next(&p->io.in, &line, &len);
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
		(void)prog_io_flush(&p->io);
		slp_metrics_tick(p, 0);
	}
	if (p->term && !p->eof)
		log_warn("terminating: the rest of stdin is left unread");
}

static const struct metric_label summary[] = {
	{ M_LINES_READ, "lines read" }, { M_ENTRIES_POSTED, "entries posted" },
	{ M_ENTRIES_FAILED, "not posted" },
	{ M_RENDERER_ERRORS, "renderer errors" },
	{ M_INVALID, "invalid lines" },
};

int
poster_close(struct poster *p)
{
	const struct metric *m = p->m;
	int status;

	token_free(&p->tok);
	json_tokener_free(p->tokener);
	prog_io_free(&p->io);
	http_free(&p->http);
	slp_metrics_tick(p, 1);
	metrics_push_warn(p->cfg->pushgateway, "servicelog-poster",
	    SLP_METRICS_PREFIX, p->m, M_NMETRICS);
	metrics_log_counts(m, summary, sizeof(summary) / sizeof(summary[0]));
	if ((status = prog_io_status(&p->io)) != 0)
		return status;
	if (p->term && !p->eof)
		return EXIT_STOPPED;
	if (m[M_INVALID].value > 0)
		return EXIT_BAD_INPUT;
	return 0;
}

/* Waits for input or a signal; returns -1 when reading must stop. */
static int
wait_input(struct poster *p)
{
	struct pollfd pfd[2];

	pfd[0].fd = sig_fd();
	pfd[1].fd = p->io.in.fd;
	pfd[0].events = pfd[1].events = POLLIN;
	if (poll(pfd, 2, slp_idle_ms(p)) == -1) {
		if (errno == EINTR)
			return 0;
		log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
	}
	slp_metrics_tick(p, 0);
	if (slp_terminating(p))
		return -1;
	if (pfd[1].revents == 0)
		return 0;
	return prog_io_fill(&p->io);
}

static void
handle_line(struct poster *p, const char *line, size_t len, int toolong)
{
	struct lines_decision d;
	struct cluster c;
	char why[512], msg[600];
	int rc;

	p->m[M_LINES_READ].value++;
	if (toolong) {
		snprintf(why, sizeof(why), "line too long (more than %zu "
		    "bytes)", p->io.in.max);
		invalid_line(p, why, line, len);
		return;
	}
	lines_decision_init(&d, p->tokener, LD_ALL);
	if ((rc = lines_read_decision(line, len, &d, why, sizeof(why))) !=
	    LINES_OK) {
		snprintf(msg, sizeof(msg), "%s%s", rc == LINES_ENOTOBJ ?
		    "not a JSON object: " : rc == LINES_EMEMBER ? "" :
		    "not JSON: ", why);
		invalid_line(p, msg, line, len);
	} else if (!(d.have & LD_ISSUES))
		pass_line(p, &d);
	else {
		memset(&c, 0, sizeof(c));
		c.lineno = p->io.in.lineno;
		if (read_cluster(&c, &d, why, sizeof(why)) == -1)
			invalid_line(p, why, line, len);
		else
			handle_cluster(p, &c, &d);
		free(c.issues);
		json_object_put(c.response);
	}
	lines_decision_free(&d);
}

/* A line without issues keeps its state ("same" when it has none). */
static void
pass_line(struct poster *p, const struct lines_decision *d)
{
	struct lines_outcome o;

	lines_outcome_of(&o, d);
	if (strcmp(o.state, "same") == 0)
		p->m[M_SAME_STATE].value++;
	write_outcome(p, &o);
}

/*
 * A line that is not a decision: its outcome says so with its line number
 * and the start of its text, so that downstream can record it.
 */
static void
invalid_line(struct poster *p, const char *why, const char *line,
    size_t len)
{
	struct lines_outcome o;

	log_warn("line %lu: %s", p->io.in.lineno, why);
	p->m[M_INVALID].value++;
	lines_outcome_invalid(&o, p->io.in.lineno, why, line, len,
	    SLP_ECHO_MAX);
	write_outcome(p, &o);
}

/*
 * What a line with issues must have beyond what lines_read_decision
 * checked: a cluster, content, and no target but service-log.  Fills c
 * (its strings and trees borrowed from d).  Returns 0, or -1 with the
 * reason in why.
 */
static int
read_cluster(struct cluster *c, const struct lines_decision *d, char *why,
    size_t whysz)
{
	const struct lines_issue *li;
	struct issue *is;

	if (d->target != NULL && d->target_id != LINES_TARGET_SL) {
		snprintf(why, whysz, "target \"%s\" is not \"service-log\"",
		    d->target);
		return -1;
	}
	if (d->cluster == NULL || d->cluster[0] == '\0') {
		snprintf(why, whysz, "member \"cluster\" is %s",
		    d->cluster == NULL ? "required" : "empty");
		return -1;
	}
	if (d->content_obj == NULL) {
		snprintf(why, whysz, "member \"content\" is required");
		return -1;
	}
	c->id = d->cluster;
	c->content = d->content_obj;
	if (d->nissue > 0 && (c->issues = calloc(d->nissue,
	    sizeof(*c->issues))) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate %zu issues",
		    d->nissue);
	for (c->n = 0; c->n < d->nissue; c->n++) {
		li = &d->issue[c->n];
		is = &c->issues[c->n];
		is->item = li->item;
		is->total_risk = li->total_risk;
		is->type = li->type;
		is->component = li->component;
		is->key = li->key;
		is->details = li->details_obj;	/* NULL for a JSON null */
		is->state = ISSUE_UNRENDERED;
	}
	return 0;
}

/* Renders, posts and writes the outcome of one cluster. */
static void
handle_cluster(struct poster *p, struct cluster *c,
    const struct lines_decision *d)
{
	char err[SLP_ERROR_MAX + 1];

	if (c->n == 0)
		log_debug("cluster %s: no issues", c->id);
	else if (render_cluster(p, c, err, sizeof(err)) == -1) {
		log_warn("cluster %s: %s", c->id, err);
		p->m[M_RENDERER_ERRORS].value++;
		snprintf(c->error, sizeof(c->error), "%s", err);
	} else
		post_issues(p, c);
	set_outcome(p, c, d);
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
 * Writes the outcome: the line's members but issues, content, payload,
 * state, error and drop_items, then its state: error (the renderer
 * failed, or no entry was posted), same (nothing rendered) or sent (with
 * drop_items when some entries failed).
 */
static void
set_outcome(struct poster *p, struct cluster *c,
    const struct lines_decision *d)
{
	struct lines_outcome o;
	char err[SLP_ERROR_MAX + 64];
	int64_t *drop = NULL;
	size_t i;

	lines_outcome_of(&o, d);
	o.error = NULL;
	if (c->error[0] != '\0' && c->posted == 0) {
		if (c->failed > 0)
			snprintf(err, sizeof(err), "%zu of %zu entries not "
			    "posted: %s", c->failed, c->rendered, c->error);
		else
			snprintf(err, sizeof(err), "%s", c->error);
		o.state = "error";
		o.error = err;
		o.error_len = utf8_cut(err, strlen(err), SLP_ERROR_MAX);
		p->m[M_ERROR_STATE].value++;
	} else if (c->posted == 0) {
		o.state = "same";
		p->m[M_SAME_STATE].value++;
	} else {
		o.state = "sent";
		p->m[M_SENT].value++;
	}
	if (c->posted > 0 && c->failed > 0) {
		if ((drop = calloc(c->failed, sizeof(*drop))) == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate %zu items",
			    c->failed);
		for (i = 0; i < c->n; i++)
			if (c->issues[i].state == ISSUE_FAILED)
				drop[o.ndrop++] = c->issues[i].item;
		o.drop_items = drop;
	}
	write_outcome(p, &o);
	free(drop);
}

static void
write_outcome(struct poster *p, const struct lines_outcome *o)
{
	struct buf b;

	buf_init(&b);
	lines_write_outcome(&b, o);
	(void)prog_io_write(&p->io, b.data, b.len);
	buf_free(&b);
}
