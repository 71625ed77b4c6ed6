/*
 * The lines between the stages, read on their way (COMPAT.md 6.1, 6.2):
 * differ's decision lines give upstream's per-cluster and per-issue
 * records and the running counts of the series; the sender's outcome
 * lines give the outcome records and, matched with their decisions in
 * order, the durations of send_notification_kafka and
 * send_notification_servicelog.  Without a sender (a template renderer
 * without scheme) the outcome of each decision is made here.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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
};

static void	push(struct tap *, int);
static int	pop(struct tap *, struct pending *);
static void	issues(struct tap *);
static void	events(struct tap *);
static void	metadata(struct json_object *, const char *, const char *,
		    int64_t *, int64_t *);
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
	lines_decision_init(&t->d, t->tok, LD_ISSUES | LD_CONTENT);
	lines_outcome_init(&t->o);
	buf_init(&t->line);
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
	free(t);
}

uint64_t
tap_decisions(const struct tap *t)
{
	return t->decisions;
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
	struct json_object *p, *ev, *e, *pl, *tr;
	struct zfield f[2];
	size_t n = 0, i;

	p = json_tokener_parse(d->payload);
	if (p != NULL && json_object_object_get_ex(p, "events", &ev) &&
	    json_object_is_type(ev, json_type_array))
		n = json_object_array_length(ev);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(ev, i);
		f[0] = ZINT("totalRisk", json_object_object_get_ex(e, "payload",
		    &pl) && json_object_object_get_ex(pl, "total_risk", &tr) ?
		    atoll(json_object_get_string(tr)) : 0);
		zlog_write(&s->log, ZL_DEBUG, "Report with impact higher than "
		    "configured threshold detected", f, 1);
	}
	json_object_put(p);
	s->pgw.counter[C_REPORT_WITH_HIGH_IMPACT] += n;
	f[0] = ZSTR("cluster", d->cluster);
	f[1] = ZINT("number of events", (long long)n);
	zlog_write(&s->log, ZL_DEBUG, "Producing instant notification", f, 2);
}

/* A service-log decision's issues, with their rules' content. */
static void
issues(struct tap *t)
{
	struct svc *s = t->s;
	struct lines_decision *d = &t->d;
	const struct lines_issue *is;
	struct zfield f[6];
	const char *c, *rule;
	char name[256];
	int64_t li, im;
	size_t i, l;

	for (i = 0; i < d->nissue; i++) {
		is = &d->issue[i];
		/* The rule: the component without ".report", its last part. */
		l = is->component_len;
		if (l >= 7 && strncmp(is->component + l - 7, ".report", 7) == 0)
			l -= 7;
		snprintf(name, sizeof(name), "%.*s", (int)l, is->component);
		rule = (c = strrchr(name, '.')) != NULL ? c + 1 : name;
		li = im = 0;
		metadata(d->content_obj, rule, is->key, &li, &im);
		f[0] = ZSTR("type", is->type);
		f[1] = ZSTR("rule", rule);
		f[2] = ZSTR("error key", is->key);
		f[3] = ZINT("likelihood", li);
		f[4] = ZINT("impact", im);
		f[5] = ZINT("totalRisk", is->total_risk);
		zlog_write(&s->log, ZL_DEBUG, "Report with impact higher than "
		    "configured threshold detected", f, 6);
		if (is->total_risk < 1 || is->total_risk > 4) {
			s->pgw.counter[C_TOTAL_RISK_NO_SEVERITY]++;
			zlog_write(&s->log, ZL_WARN, "No Service log severity "
			    "defined for given total risk. Creating event with "
			    "Info severity", &f[5], 1);
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
