/*
 * The lines between the stages, read on their way (COMPAT.md 6.1, 6.2):
 * differ's decision lines give upstream's per-cluster and per-issue
 * records and the running counts of the series; the sender's outcome
 * lines give the outcome records and, matched with their decisions in
 * order, the durations of send_notification_kafka and
 * send_notification_servicelog.  Without a sender (a template renderer
 * without scheme) the outcome of each decision is made here.
 *
 * A notifications-backend decision carries Contract E only: the rule and
 * error key of each event come back from its rule_url, matched against
 * the rule_details_uri template differ expanded, and their likelihood
 * and impact from the rule content, which is fetched here (once a run)
 * only when debug records are written.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "content.h"
#include "jscan.h"
#include "lines.h"
#include "service.h"

/* A decision on its way to the sender. */
struct pending {
	double		 t;		/* when it passed */
	int		 send;		/* payload or issues */
};

struct tap {
	struct svc	*s;
	struct plan	*p;
	struct json_tokener *tok;
	struct lines_decision d;
	struct lines_outcome o;
	struct pending	*q;		/* a ring */
	size_t		 head, n, cap;
	uint64_t	 decisions;
	struct buf	 line;
	const char	*rule_uri;	/* notifications.rule_details_uri */
	struct content	 content;	/* for notifications-backend */
	int		 content_state;	/* 0 not tried, 1 loaded, -1 failed */
};

/* What the per-issue record says. */
struct issue_rec {
	const char	*type;
	const char	*rule;
	const char	*key;
	int64_t		 likelihood;
	int64_t		 impact;
	int64_t		 total_risk;
};

static void	push(struct tap *, int);
static int	pop(struct tap *, struct pending *);
static void	issues(struct tap *);
static void	events(struct tap *);
static void	metadata(struct json_object *, const char *, const char *,
		    int64_t *, int64_t *);
static const char *rule_of(const char *, size_t, char, char *, size_t);
static int	uri_match(const char *, const char *, const char *, size_t,
		    const char **, size_t *, const char **, size_t *, int);
static void	event_issue(struct tap *, struct json_object *,
		    struct issue_rec *, char *, size_t, char *, size_t);
static void	issue_record(struct tap *, const struct issue_rec *);
static void	outcome(struct tap *, const char *, size_t);
static void	answer(struct tap *, struct buf *);

struct tap *
tap_new(struct svc *s, struct plan *p)
{
	struct tap *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH)) == NULL)
		err(71, "unable to allocate");
	t->s = s;
	t->p = p;
	/* The pass text only makes the outcome when there is no sender. */
	lines_decision_init(&t->d, t->tok, LD_ISSUES | LD_CONTENT |
	    (p->sender.n > 0 ? LD_NO_PASS : 0));
	lines_outcome_init(&t->o);
	buf_init(&t->line);
	t->rule_uri = config_str(s->cfg, "notifications.rule_details_uri");
	content_init(&t->content);
	return t;
}

void
tap_free(struct tap *t)
{
	if (t == NULL)
		return;
	lines_decision_free(&t->d);
	lines_outcome_free(&t->o);
	json_tokener_free(t->tok);
	free(t->q);
	buf_free(&t->line);
	content_free(&t->content);
	free(t);
}

uint64_t
tap_decisions(const struct tap *t)
{
	return t->decisions;
}

/* What the common notifications-backend decision says, read quickly. */
struct quick {
	const char	*cluster;
	size_t		 cluster_len;
	int		 same;		/* state "same", no payload */
	int		 payload;	/* a payload, no state */
	size_t		 nevents;
};

/*
 * The number of elements of the array whose validated span is v: the
 * commas outside strings at its own depth, plus one unless it is empty.
 */
static size_t
elements(const struct jspan *v)
{
	const char *p = v->p + 1, *end = v->p + v->len - 1;
	size_t n = 0;
	int depth = 0, any = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			any = 1;
			break;
		case '[':
		case '{':
			depth++;
			any = 1;
			break;
		case ']':
		case '}':
			depth--;
			break;
		case ',':
			if (depth == 0)
				n++;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			any = 1;
		}
	}
	return any ? n + 1 : 0;
}

/*
 * A notifications-backend decision in one pass of the scanner, for when no
 * debug record is written: 1 when it is a "same" or a payload line with
 * a plain cluster (nearly every line), the number of events counted; 0
 * when the full reader must say (a read error, an escape, anything odd).
 */
static int
quick_decision(const char *line, size_t len, struct quick *q)
{
	struct jscan js;
	struct jspan key, v;
	int kind;

	memset(q, 0, sizeof(*q));
	jscan_init(&js, line, len, 0);
	if (jscan_begin(&js) != JS_OBJECT || jscan_open(&js) == -1)
		return 0;
	while ((kind = jscan_member(&js, &key)) > 0) {
		if (kind == JS_OBJECT && jscan_str_eq(&key, "payload", 7)) {
			if (jscan_open(&js) == -1)
				return 0;
			q->payload = 1;
			while ((kind = jscan_member(&js, &key)) > 0) {
				if (jscan_skip(&js, &v) == -1)
					return 0;
				if (kind == JS_ARRAY &&
				    jscan_str_eq(&key, "events", 6))
					q->nevents = elements(&v);
			}
			if (kind == -1)
				return 0;
			continue;
		}
		if (jscan_skip(&js, &v) == -1)
			return 0;
		if (jscan_str_eq(&key, "cluster", 7)) {
			if (v.kind != JS_STRING || (v.flags & JSPAN_ESC))
				return 0;
			q->cluster = v.p + 1;
			q->cluster_len = v.len - 2;
		} else if (jscan_str_eq(&key, "state", 5)) {
			if (!jscan_str_eq(&v, "same", 4))
				return 0;
			q->same = 1;
		} else if (jscan_str_eq(&key, "issues", 6) ||
		    jscan_str_eq(&key, "error", 5))
			return 0;
	}
	if (kind == -1 || jscan_finish(&js) == -1)
		return 0;
	return q->cluster != NULL && q->same != q->payload;
}

/*
 * The common lines at info level: the counts and the running status, no
 * record (those are debug), the line passed on to the sender.
 */
static int
tap_quick(struct tap *t, const char *line, size_t len)
{
	struct svc *s = t->s;
	struct quick q;

	if (s->target != TARGET_NB || s->log.min_level <= ZL_DEBUG ||
	    t->p->sender.n == 0 || !quick_decision(line, len, &q))
		return 0;
	if (t->decisions++ == 0)
		s->pgw.status = ST_PROCESSING;
	if (q.same)
		s->pgw.counter[C_NOT_SENT_SAME_STATE]++;
	else
		s->pgw.counter[C_REPORT_WITH_HIGH_IMPACT] += q.nevents;
	push(t, q.payload);
	return 1;
}

void
tap_decision(struct tap *t, const char *line, size_t len, int partial,
    struct buf *fwd)
{
	struct svc *s = t->s;
	struct lines_decision *d = &t->d;
	struct zfield f[2];
	char e[256], msg[512];
	int ok, send;

	if (tap_quick(t, line, len)) {
		buf_add(fwd, line, len);
		if (!partial)
			buf_putc(fwd, '\n');
		return;
	}
	ok = lines_read_decision(line, len, d, e, sizeof(e)) == LINES_OK;
	if (ok && t->decisions++ == 0)
		s->pgw.status = ST_PROCESSING;
	send = ok && (d->have & (LD_PAYLOAD | LD_ISSUES)) != 0;
	if (ok && (d->have & LD_PAYLOAD))
		events(t);
	else if (ok && (d->have & LD_ISSUES))
		issues(t);
	else if (ok && d->state != NULL && strcmp(d->state, "same") == 0) {
		s->pgw.counter[C_NOT_SENT_SAME_STATE]++;
		snprintf(msg, sizeof(msg), "No new issues to notify for "
		    "cluster %.*s", (int)d->cluster_len,
		    d->cluster != NULL ? d->cluster : "");
		zlog_write(&s->log, ZL_DEBUG, msg, NULL, 0);
	} else if (ok && d->state != NULL &&
	    strcmp(d->state, "read_error") == 0) {
		s->pgw.counter[C_DESERIALIZE_REPORT_ERRORS]++;
		f[0] = ZSTR("error", d->error != NULL ? d->error : "");
		f[1] = ZSTR("cluster", d->cluster != NULL ? d->cluster : "");
		zlog_write(&s->log, ZL_WARN, "Deserialization error - Couldn't "
		    "create report object", f, 2);
	}
	if (ok && t->p->sender.n == 0) {
		answer(t, fwd);
		return;
	}
	push(t, send);
	buf_add(fwd, line, len);
	if (!partial)
		buf_putc(fwd, '\n');
}

void
tap_outcome(struct tap *t, const char *line, size_t len, int partial,
    struct buf *fwd)
{
	struct pending pd;
	int op = t->s->target == TARGET_NB ? OP_SEND_KAFKA : OP_SEND_SERVICELOG;

	if (pop(t, &pd) == 0 && pd.send)
		pgw_observe(&t->s->pgw, op, svc_now() - pd.t);
	outcome(t, line, len);
	buf_add(fwd, line, len);
	if (!partial)
		buf_putc(fwd, '\n');
}

/*
 * The state of an outcome line in one scanner pass, for when no debug
 * record is written: 1 "sent", 2 "same", when the line has no item lists
 * (drop_items, disabled_items) and is valid JSON; else 0, for the full
 * reader.
 */
static int
quick_outcome(const char *line, size_t len)
{
	struct jscan js;
	struct jspan key, v;
	int kind, state = 0;

	jscan_init(&js, line, len, 0);
	if (jscan_begin(&js) != JS_OBJECT || jscan_open(&js) == -1)
		return 0;
	while ((kind = jscan_member(&js, &key)) > 0) {
		if (jscan_skip(&js, &v) == -1 ||
		    jscan_str_eq(&key, "drop_items", 10) ||
		    jscan_str_eq(&key, "disabled_items", 14))
			return 0;
		if (jscan_str_eq(&key, "state", 5))
			state = jscan_str_eq(&v, "sent", 4) ? 1 :
			    jscan_str_eq(&v, "same", 4) ? 2 : -1;
	}
	if (kind == -1 || jscan_finish(&js) == -1)
		return 0;
	return state > 0 ? state : 0;
}

/* The outcome records of one outcome line, and the running counts. */
static void
outcome(struct tap *t, const char *line, size_t len)
{
	struct svc *s = t->s;
	struct lines_outcome *o = &t->o;
	struct zfield f[2];
	char e[256], msg[512];
	const char *err;
	size_t i;
	int q;

	/* The common lines at info level: a count, no record. */
	if (s->log.min_level > ZL_DEBUG &&
	    (q = quick_outcome(line, len)) != 0) {
		if (q == 1)
			s->pgw.counter[C_SENT]++;
		return;
	}
	if (lines_read_outcome(line, len, o, e, sizeof(e)) != LINES_OK)
		return;
	err = o->error != NULL ? o->error : "";
	if (o->state_id == LINES_SENT) {
		s->pgw.counter[C_SENT]++;
		snprintf(msg, sizeof(msg), "New issues notified for cluster %.*s",
		    (int)o->cluster_len, o->cluster);
		zlog_write(&s->log, ZL_DEBUG, msg, NULL, 0);
		for (i = 0; i < o->ndrop; i++) {
			f[0] = ZSTR("cluster", o->cluster);
			f[1] = ZINT("item", o->drop_items[i]);
			zlog_write(&s->log, ZL_WARN, "Sending entry to service "
			    "log failed for this report", f, 2);
		}
	} else if (o->state_id == LINES_ERROR) {
		s->pgw.counter[C_NOT_SENT_ERROR_STATE]++;
		f[0] = ZSTR("error", err);
		f[1] = ZSTR("cluster", o->cluster);
		zlog_write(&s->log, ZL_WARN, "New issues couldn't be notified",
		    f, 2);
		if (s->target == TARGET_NB)
			zlog_write(&s->log, ZL_ERROR, "Couldn't send "
			    "notification message to kafka topic.", f, 1);
		else if (t->p->sender.n == 0 ||
		    strncmp(err, "renderer", 8) == 0) {
			f[1] = ZSTR("cluster name", o->cluster);
			zlog_write(&s->log, ZL_WARN, "Rendering reports failed "
			    "for this cluster", f, 2);
		} else
			zlog_write(&s->log, ZL_WARN, "Sending entry to service "
			    "log failed for this report", f, 2);
	}
}

/* The outcome of a decision when there is no sender: what the poster
 * would answer if every renderer call failed. */
static void
answer(struct tap *t, struct buf *fwd)
{
	struct lines_decision *d = &t->d;
	struct lines_outcome o;
	size_t start = fwd->len;

	memset(&o, 0, sizeof(o));
	o.pass = d->pass;
	o.pass_len = d->pass_len;
	if (d->have & LD_ISSUES) {
		o.state = "error";
		o.error = t->p->renderer_error.data != NULL ?
		    t->p->renderer_error.data : "";
		o.error_len = strlen(o.error);
	} else {
		o.state = d->state != NULL ? d->state : "same";
		o.error = d->error;
		o.error_len = d->error_len;
	}
	lines_write_outcome(fwd, &o);
	outcome(t, fwd->data + start, fwd->len - start - 1);
}

/* A notifications-backend payload: one event per new issue. */
static void
events(struct tap *t)
{
	struct svc *s = t->s;
	struct lines_decision *d = &t->d;
	struct json_object *p, *ev;
	struct issue_rec r;
	struct zfield f[2];
	char rule[256], key[256];
	size_t n = 0, i;

	/* The decision's tree holds the payload: no second parse. */
	if (json_object_object_get_ex(d->obj, "payload", &p) &&
	    json_object_object_get_ex(p, "events", &ev) &&
	    json_object_is_type(ev, json_type_array))
		n = json_object_array_length(ev);
	for (i = 0; i < n && s->log.min_level <= ZL_DEBUG; i++) {
		event_issue(t, json_object_array_get_idx(ev, i), &r, rule,
		    sizeof(rule), key, sizeof(key));
		issue_record(t, &r);
	}
	s->pgw.counter[C_REPORT_WITH_HIGH_IMPACT] += n;
	f[0] = ZSTR("cluster", d->cluster);
	f[1] = ZINT("number of events", (long long)n);
	zlog_write(&s->log, ZL_DEBUG, "Producing instant notification", f, 2);
}

/*
 * The issue of one Contract E event: its total risk, the rule and error
 * key its rule_url was made of, their likelihood and impact in the
 * content.  The type is "rule": Contract E drops it, and every item of an
 * OCP report is a rule.
 */
static void
event_issue(struct tap *t, struct json_object *e, struct issue_rec *r,
    char *rule, size_t rulesize, char *key, size_t keysize)
{
	struct json_object *pl, *v;
	const struct content_key *ck;
	const char *url = "", *mod = NULL, *ek = NULL;
	size_t modlen = 0, eklen = 0;
	char err[256];

	memset(r, 0, sizeof(*r));
	r->type = "rule";
	rule[0] = key[0] = '\0';
	r->rule = rule;
	if (json_object_object_get_ex(e, "payload", &pl)) {
		if (json_object_object_get_ex(pl, "total_risk", &v))
			r->total_risk = atoll(json_object_get_string(v));
		if (json_object_object_get_ex(pl, "rule_url", &v))
			url = json_object_get_string(v);
	}
	if (strlen(url) < 4096 && uri_match(t->rule_uri, url, t->d.cluster,
	    t->d.cluster_len, &mod, &modlen, &ek, &eklen, 0)) {
		if (mod != NULL)
			r->rule = rule_of(mod, modlen, '|', rule, rulesize);
		if (ek != NULL)
			snprintf(key, keysize, "%.*s", (int)eklen, ek);
	}
	r->key = key;
	if (t->content_state == 0)
		t->content_state = content_fetch(t->p->content_url.data, 10000,
		    &t->content, err, sizeof(err)) == 0 ? 1 : -1;
	if (t->content_state == 1 && (ck = content_lookup(&t->content,
	    r->rule, key)) != NULL) {
		r->likelihood = ck->likelihood;
		r->impact = ck->impact;
	}
}

/*
 * 1 when url is template t expanded as differ expands a rule link: every
 * {cluster_id} the cluster, every {module} one text and every {error_key}
 * another, the longest that fits first.  The texts go to *mod and *key
 * (NULL when t lacks them).
 */
static int
uri_match(const char *t, const char *url, const char *cl, size_t cllen,
    const char **mod, size_t *modlen, const char **key, size_t *keylen,
    int depth)
{
	const char **bound;
	size_t *blen, n;

	if (depth > 16)
		return 0;
	for (;;) {
		if (*t == '\0')
			return *url == '\0';
		if (strncmp(t, "{cluster_id}", 12) == 0) {
			if (strncmp(url, cl, cllen) != 0)
				return 0;
			t += 12;
			url += cllen;
			continue;
		}
		bound = NULL;
		if (strncmp(t, "{module}", 8) == 0) {
			bound = mod;
			blen = modlen;
			t += 8;
		} else if (strncmp(t, "{error_key}", 11) == 0) {
			bound = key;
			blen = keylen;
			t += 11;
		}
		if (bound == NULL) {
			if (*t++ != *url++)
				return 0;
			continue;
		}
		if (*bound != NULL) {
			if (strncmp(url, *bound, *blen) != 0)
				return 0;
			url += *blen;
			continue;
		}
		for (n = strlen(url) + 1; n-- > 0;) {
			*bound = url;
			*blen = n;
			if (uri_match(t, url + n, cl, cllen, mod, modlen, key,
			    keylen, depth + 1))
				return 1;
		}
		*bound = NULL;
		return 0;
	}
}

/*
 * The rule of a component (a module with its parts separated by sep):
 * without ".report", its last part, in buf.
 */
static const char *
rule_of(const char *comp, size_t len, char sep, char *buf, size_t size)
{
	char *c;
	size_t i;

	if (len >= 7 && strncmp(comp + len - 7, sep == '.' ? ".report" :
	    "|report", 7) == 0)
		len -= 7;
	snprintf(buf, size, "%.*s", (int)len, comp);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == sep)
			buf[i] = '.';
	return (c = strrchr(buf, '.')) != NULL ? c + 1 : buf;
}

/* "Report with impact higher than configured threshold detected". */
static void
issue_record(struct tap *t, const struct issue_rec *r)
{
	struct zfield f[6];

	f[0] = ZSTR("type", r->type);
	f[1] = ZSTR("rule", r->rule);
	f[2] = ZSTR("error key", r->key);
	f[3] = ZINT("likelihood", r->likelihood);
	f[4] = ZINT("impact", r->impact);
	f[5] = ZINT("totalRisk", r->total_risk);
	zlog_write(&t->s->log, ZL_DEBUG, "Report with impact higher than "
	    "configured threshold detected", f, 6);
}

/* A service-log decision's issues, with their rules' content. */
static void
issues(struct tap *t)
{
	struct svc *s = t->s;
	struct lines_decision *d = &t->d;
	const struct lines_issue *is;
	struct issue_rec r;
	struct zfield f;
	char name[256];
	size_t i;

	for (i = 0; i < d->nissue; i++) {
		is = &d->issue[i];
		memset(&r, 0, sizeof(r));
		r.type = is->type;
		r.rule = rule_of(is->component, is->component_len, '.', name,
		    sizeof(name));
		r.key = is->key;
		r.total_risk = is->total_risk;
		metadata(d->content_obj, r.rule, is->key, &r.likelihood,
		    &r.impact);
		issue_record(t, &r);
		if (is->total_risk < 1 || is->total_risk > 4) {
			s->pgw.counter[C_TOTAL_RISK_NO_SEVERITY]++;
			f = ZINT("totalRisk", is->total_risk);
			zlog_write(&s->log, ZL_WARN, "No Service log severity "
			    "defined for given total risk. Creating event with "
			    "Info severity", &f, 1);
		}
	}
	s->pgw.counter[C_REPORT_WITH_HIGH_IMPACT] += d->nissue;
}

/* The likelihood and impact of rule and key in the content array. */
static void
metadata(struct json_object *content, const char *rule, const char *key,
    int64_t *li, int64_t *im)
{
	struct json_object *rc, *pl, *mod, *eks, *ek, *md, *v, *imp;
	const char *m, *dot;
	size_t i, n;

	if (content == NULL || !json_object_is_type(content, json_type_array))
		return;
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		rc = json_object_array_get_idx(content, i);
		if (!json_object_object_get_ex(rc, "plugin", &pl) ||
		    !json_object_object_get_ex(pl, "python_module", &mod))
			continue;
		m = json_object_get_string(mod);
		dot = strrchr(m, '.');
		if (strcmp(dot != NULL ? dot + 1 : m, rule) != 0 ||
		    !json_object_object_get_ex(rc, "error_keys", &eks) ||
		    !json_object_object_get_ex(eks, key, &ek) ||
		    !json_object_object_get_ex(ek, "metadata", &md))
			continue;
		if (json_object_object_get_ex(md, "likelihood", &v))
			*li = json_object_get_int64(v);
		if (json_object_object_get_ex(md, "impact", &imp) &&
		    json_object_object_get_ex(imp, "impact", &v))
			*im = json_object_get_int64(v);
		return;
	}
}

/* The ring of decisions waiting for their outcomes. */
static void
push(struct tap *t, int send)
{
	struct pending *nq;
	size_t i;

	if (t->n == t->cap) {
		if ((nq = reallocarray(NULL, t->cap + 256, sizeof(*nq))) ==
		    NULL)
			err(71, "unable to allocate");
		for (i = 0; i < t->n; i++)
			nq[i] = t->q[(t->head + i) % t->cap];
		free(t->q);
		t->q = nq;
		t->head = 0;
		t->cap += 256;
	}
	t->q[(t->head + t->n) % t->cap].t = svc_now();
	t->q[(t->head + t->n) % t->cap].send = send;
	t->n++;
}

static int
pop(struct tap *t, struct pending *pd)
{
	if (t->n == 0)
		return -1;
	*pd = t->q[t->head];
	t->head = (t->head + 1) % t->cap;
	t->n--;
	return 0;
}
