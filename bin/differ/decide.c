/*
 * decide: one candidate in, at most one decision line out (SPEC 4.3 to
 * 4.7, proto/lines.md; the line is written by common/lines.c).
 *
 * Reports are read with jscan, straight from the text the database (or the
 * candidate line) gave: nothing is converted, "details" is copied
 * verbatim, and the item strings are unescaped into an arena that is
 * reused for every candidate, so that after the first few clusters a
 * decision allocates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <json.h>

#include "differ.h"
#include "jscan.h"
#include "lines.h"
#include "log.h"
#include "timeutil.h"

#define JSON_OUT	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum { F_TYPE, F_COMPONENT, F_KEY, F_DETAILS, F_OTHER };

static int	decode_report(struct itemset *, const char *, size_t, char *,
		    size_t);
static int	decode_items(struct itemset *, struct jscan *, char *,
		    size_t, int *);
static int	decode_item(struct itemset *, struct jscan *, size_t, char *,
		    size_t, int *);
static int	field_of(const struct jspan *);
static struct item *new_item(struct itemset *);
static void	itemset_reset(struct itemset *);
static void	itemset_free(struct itemset *);
static void	each_buf(struct differ *, void (*)(struct buf *));
static int	keep_cluster(struct differ *, const struct cand *);
static int	in_flight(struct differ *, const struct cand *);
static int	emit(struct differ *, const struct cand *, int64_t, int);
static int64_t	notified_now(struct differ *);
static int	read_baseline(struct differ *, const struct cand *);
static int	explain(struct differ *, const struct cand *);
static int	evaluate(struct differ *, const struct cand *);
static void	judge(struct differ *, const struct cand *, size_t,
		    struct verdict *, int);
static void	add_disabled(struct differ *, size_t);
static void	put_disabled(struct differ *);
static int	has_tags(const struct differ_conf *,
		    const struct content_key *);
static int	in_baseline(const struct differ *, const struct item *);
static void	add_issue(struct differ *, size_t, int64_t,
		    const struct content_key *, struct json_object *);
static void	put_decision(struct differ *, const struct cand *, int64_t,
		    struct lines_decision *);
static void	put_payload(struct differ *, const struct cand *, int64_t);
static void	put_event(struct differ *, const struct cand *,
		    const struct issue *, const char *);
static void	put_issues(struct differ *);
static void	put_content(struct differ *);
static const struct rulejson *rule_json(struct differ *,
		    struct json_object *);
static void	expand(struct buf *, const char *, const struct cand *,
		    const struct itemset *, const struct item *);
static void	publish_date(struct buf *, const char *);
static size_t	trimmed(const char *, size_t);
static int	strlist_has(const struct strlist *, const char *, size_t);
static ssize_t	strlist_find(const struct strlist *, const char *, size_t);
static void	strlist_free(struct strlist *);

void
differ_init(struct differ *d)
{
	memset(d, 0, sizeof(*d));
	d->conf.ready_fd = -1;
	content_init(&d->content);
	buf_init(&d->cur.arena);
	buf_init(&d->base.arena);
	each_buf(d, buf_init);
	agg_init(&d->agg);
}

void
differ_free(struct differ *d)
{
	size_t i;

	for (i = 0; i < d->nrj; i++)
		free(d->rj[i].text);
	free(d->rj);
	free(d->iss);
	itemset_free(&d->cur);
	itemset_free(&d->base);
	each_buf(d, buf_free);
	content_free(&d->content);
	strlist_free(&d->conf.tags);
	strlist_free(&d->conf.allowed);
	strlist_free(&d->conf.blocked);
	strlist_free(&d->conf.explain);
	agg_free(&d->agg);
	free(d->dis);
	free(d->seen);
	evfilter_free(d->conf.filter);
	d->conf.filter = NULL;
}

/* fn on each of the working buffers of a run. */
static void
each_buf(struct differ *d, void (*fn)(struct buf *))
{
	fn(&d->line);
	fn(&d->tmp);
	fn(&d->rule);
	fn(&d->in_str);
	fn(&d->body);
}

int
differ_candidate(struct differ *d, const struct cand *c)
{
	const struct differ_conf *cf = &d->conf;
	struct lines_decision dec;
	int64_t now;
	size_t n;
	int r;

	memset(&dec, 0, sizeof(dec));
	if (cf->explain.n > 0)
		return explain(d, c);
	d->nread++;
	d->m[M_CANDIDATES].value++;
	if (c->baseline != NULL)
		d->m[M_BASELINES].value++;
	if (!keep_cluster(d, c)) {
		d->m[M_FILTERED].value++;
		return 0;
	}
	if (in_flight(d, c))
		return 0;
	if (d->agg.on)
		agg_candidate(&d->agg, c->cluster, trimmed(c->cluster,
		    c->cluster_len), c->org_id, &d->acand);
	now = notified_now(d);
	r = decode_report(&d->cur, c->report, c->report_len, d->error,
	    sizeof(d->error));
	if (r == -1) {
		d->m[M_DESERIALIZE].value++;
		d->m[M_SKIPPED + R_UNDECODABLE - R_NO_CONTENT].value++;
		d->nread_err++;
		log_warn("cluster %.*s, org %lld, updated_at %s: %s",
		    (int)c->cluster_len, c->cluster, (long long)c->org_id,
		    c->updated_at, d->error);
		dec.state = "read_error";
		dec.error = d->error;
		dec.error_len = utf8_cut(d->error, strlen(d->error),
		    ERROR_TEXT_MAX);
		put_decision(d, c, now, &dec);
		return emit(d, c, now, 0);
	}
	if (r == 0)
		return 0;		/* empty: no line at all */
	read_baseline(d, c);
	evaluate(d, c);
	if (d->niss == 0) {
		d->m[M_SAME].value++;
		if (cf->no_same)
			return 0;
		dec.state = "same";
		put_decision(d, c, now, &dec);
		put_disabled(d);
		return emit(d, c, now, 0);
	}
	d->nnew++;
	d->m[M_HIGH_IMPACT].value += d->niss;
	buf_reset(&d->body);
	if (cf->target == TARGET_NB) {
		put_payload(d, c, now);
		dec.payload = d->body.data;
		dec.payload_len = d->body.len;
	} else {
		put_issues(d);
		n = d->body.len;
		put_content(d);
		dec.issues = d->body.data;
		dec.issues_len = n;
		dec.content = d->body.data + n;
		dec.content_len = d->body.len - n;
	}
	put_decision(d, c, now, &dec);
	put_disabled(d);
	return emit(d, c, now, 1);
}

/*
 * The baseline of c into d->base: none when there is none, or when it is
 * undecodable (logged and counted).  Returns 0, or -1 when undecodable.
 * A baseline that is the report itself, byte for byte (a cluster whose
 * report did not change since it was notified, the common case), is not
 * decoded: every item of the report is in it (base_same).
 */
static int
read_baseline(struct differ *d, const struct cand *c)
{
	itemset_reset(&d->base);
	d->base_same = c->baseline != NULL &&
	    c->baseline_len == c->report_len &&
	    memcmp(c->baseline, c->report, c->report_len) == 0;
	if (d->base_same)
		return 0;
	if (c->baseline == NULL || decode_report(&d->base, c->baseline,
	    c->baseline_len, d->error, sizeof(d->error)) != -1)
		return 0;
	d->m[M_BASELINE_ERRORS].value++;
	log_warn("cluster %.*s, org %lld: the baseline sent at %s is "
	    "undecodable, treated as none: %s", (int)c->cluster_len,
	    c->cluster, (long long)c->org_id, c->baseline_notified_at != NULL ?
	    c->baseline_notified_at : "?", d->error);
	itemset_reset(&d->base);
	return -1;
}

/*
 * --explain: the lines of explain.c for c if it is one of the clusters
 * asked about (with -i, other lines come too), instead of a decision.
 */
static int
explain(struct differ *d, const struct cand *c)
{
	ssize_t k;
	int r;

	k = strlist_find(&d->conf.explain, c->cluster, trimmed(c->cluster,
	    c->cluster_len));
	if (k < 0)
		return 0;
	d->seen[k] = 1;
	d->nread++;
	d->m[M_CANDIDATES].value++;
	if (!keep_cluster(d, c))
		return explain_report(d, c, NULL, R_CLUSTER_FILTER, NULL);
	if (d->agg.on)
		agg_candidate(&d->agg, c->cluster, trimmed(c->cluster,
		    c->cluster_len), c->org_id, &d->acand);
	r = decode_report(&d->cur, c->report, c->report_len, d->error,
	    sizeof(d->error));
	if (r == -1)
		return explain_report(d, c, NULL, R_UNDECODABLE, d->error);
	if (r == 0)
		return explain_report(d, c, NULL, R_EMPTY_REPORT, NULL);
	read_baseline(d, c);
	return evaluate(d, c);
}

/*
 * Whether an earlier run's claim holds the cluster back: its message may
 * be on its way and its outcome is not recorded yet.  An expired claim
 * does not: the cluster is decided again, which may send twice.
 */
static int
in_flight(struct differ *d, const struct cand *c)
{
	if (c->claim_at == NULL)
		return 0;
	if (!c->claim_expired) {
		d->m[M_IN_FLIGHT].value++;
		log_debug("cluster %.*s, org %lld: skipped, the outcome of the "
		    "run that decided it at %s is not recorded yet",
		    (int)c->cluster_len, c->cluster, (long long)c->org_id,
		    c->claim_at);
		return 1;
	}
	d->m[M_CLAIMS_EXPIRED].value++;
	log_warn("cluster %.*s, org %lld: the outcome of the message decided "
	    "at %s was never recorded and its claim expired; deciding again "
	    "(it may be sent twice)", (int)c->cluster_len, c->cluster,
	    (long long)c->org_id, c->claim_at);
	return 0;
}

/* The decision line in d->line goes out, through the claims if any. */
static int
emit(struct differ *d, const struct cand *c, int64_t now, int claimed)
{
	if (d->outbox.conn != NULL)
		return outbox_hold(d, c, now, claimed);
	return differ_write(d, d->line.data, d->line.len);
}

/* With -v, a progress line every PROGRESS_MS (or now when force). */
void
differ_progress(struct differ *d, int force)
{
	int64_t t;

	if (log_get_level() < LOG_DEBUG)
		return;
	t = time_mono_ms();
	if (!force && t < d->next_progress_ms)
		return;
	d->next_progress_ms = t + PROGRESS_MS;
	log_debug("progress: %llu clusters read, %llu decided, %llu with new "
	    "issues", (unsigned long long)d->nread,
	    (unsigned long long)d->m[M_DECISIONS].value,
	    (unsigned long long)d->nnew);
}

void
differ_summary(struct differ *d)
{
	const struct differ_conf *cf = &d->conf;
	struct rusage ru;

	if (cf->allow_on)
		log_info("allow list: %llu clusters read, %llu allowed, %llu "
		    "dropped", (unsigned long long)d->nread,
		    (unsigned long long)d->nallowed,
		    (unsigned long long)d->m[M_FILTERED].value);
	else if (cf->block_on)
		log_info("block list: %llu clusters read, %llu blocked, %llu "
		    "kept", (unsigned long long)d->nread,
		    (unsigned long long)d->nblocked,
		    (unsigned long long)(d->nread - d->nblocked));
	log_info("%s: %llu clusters, %llu with new issues (%llu issues), "
	    "%llu same, %llu unreadable reports, %llu lines written",
	    cf->target_name, (unsigned long long)d->nread,
	    (unsigned long long)d->nnew,
	    (unsigned long long)d->m[M_HIGH_IMPACT].value,
	    (unsigned long long)(d->m[M_SAME].value),
	    (unsigned long long)d->nread_err,
	    (unsigned long long)d->m[M_DECISIONS].value);
	if (d->m[M_BASELINE_ERRORS].value > 0 || d->m[M_EVAL_ERRORS].value > 0)
		log_warn("%llu undecodable baselines, %llu items skipped on a "
		    "division by zero in the event filter",
		    (unsigned long long)d->m[M_BASELINE_ERRORS].value,
		    (unsigned long long)d->m[M_EVAL_ERRORS].value);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_debug("peak RSS %ld KiB", ru.ru_maxrss);
}

/*
 * Decodes a report into set (SPEC 4.3) in one pass of the scanner.
 * Returns 1 when it has items, 0 when it is empty (a null report,
 * "reports" absent, null or []), or -1 when it is undecodable, with the
 * reason in why.  A syntax error anywhere wins over a type error, and the
 * first type error over later ones, as in Go's encoding/json; of a
 * "reports" given twice the last counts, its items' type errors too.
 */
static int
decode_report(struct itemset *set, const char *s, size_t len, char *why,
    size_t whysz)
{
	struct jscan js;
	struct jspan key;
	int kind, bad = 0, rep = 0, ierr = 0;

	itemset_reset(set);
	jscan_init(&js, s, len, 0);
	if ((kind = jscan_begin(&js)) == JS_OBJECT) {
		if (jscan_open(&js) == -1)
			goto syntax;
		while ((kind = jscan_member(&js, &key)) > 0) {
			if (!jscan_str_eq(&key, "reports", 7)) {
				if (jscan_skip(&js, NULL) == -1)
					goto syntax;
				continue;
			}
			itemset_reset(set);
			ierr = 0;
			rep = kind;
			if (kind == JS_ARRAY) {
				if (decode_items(set, &js, why, whysz, &ierr) ==
				    -1)
					goto syntax;
				continue;
			}
			if (kind != JS_NULL && !bad)
				bad = kind;
			if (jscan_skip(&js, NULL) == -1)
				goto syntax;
		}
		if (kind == -1 || jscan_finish(&js) == -1)
			goto syntax;
	} else {
		if (kind == -1 || jscan_skip(&js, NULL) == -1 ||
		    jscan_finish(&js) == -1)
			goto syntax;
		if (kind == JS_NULL)
			return 0;
		snprintf(why, whysz, "the report is %s, not an object",
		    jscan_kind_name(kind));
		return -1;
	}
	if (bad) {
		snprintf(why, whysz, "reports is %s, not an array",
		    jscan_kind_name(bad));
		return -1;
	}
	if (rep != JS_ARRAY)
		return 0;		/* absent or null */
	if (ierr)
		return -1;		/* why says which item */
	return set->n > 0;

syntax:
	snprintf(why, whysz, "the report is not JSON: %s at byte %zu",
	    js.err_msg, js.err_off);
	return -1;
}

/*
 * The elements of the array at the cursor into set; the first type error
 * goes to why (*ierr set), and the rest is only validated.  Returns -1 on a
 * syntax error (in *js), else 0.
 */
static int
decode_items(struct itemset *set, struct jscan *js, char *why, size_t whysz,
    int *ierr)
{
	size_t i;
	int kind;

	if (jscan_open_array(js) == -1)
		return -1;
	for (i = 0; (kind = jscan_element(js)) > 0; i++) {
		if (kind == JS_OBJECT && !*ierr) {
			if (decode_item(set, js, i, why, whysz, ierr) == -1)
				return -1;
			continue;
		}
		if (!*ierr) {
			snprintf(why, whysz, "reports[%zu] is %s, not an "
			    "object", i, jscan_kind_name(kind));
			*ierr = 1;
		}
		if (jscan_skip(js, NULL) == -1)
			return -1;
	}
	return kind == -1 ? -1 : 0;
}

static int
decode_item(struct itemset *set, struct jscan *js, size_t i, char *why,
    size_t whysz, int *ierr)
{
	static const char *const names[] = { "type", "component", "key" };
	struct item *it = new_item(set);
	struct jspan key, v;
	size_t *off, *len;
	int kind, f;

	if (jscan_open(js) == -1)
		return -1;
	while ((kind = jscan_member(js, &key)) > 0) {
		f = *ierr ? F_OTHER : field_of(&key);
		if (f <= F_KEY && kind != JS_STRING && kind != JS_NULL) {
			snprintf(why, whysz, "reports[%zu].%s is %s, not a "
			    "string", i, names[f], jscan_kind_name(kind));
			*ierr = 1;
			f = F_OTHER;
		}
		if (jscan_skip(js, &v) == -1)
			return -1;
		if (f == F_DETAILS) {
			it->details = v.p;
			it->details_len = v.len;
			it->details_flags = v.flags;
			it->details_kind = v.kind;
		}
		/* A null string member leaves it as it was (Go). */
		if (f > F_KEY || kind == JS_NULL)
			continue;
		off = f == F_TYPE ? &it->type : f == F_COMPONENT ? &it->comp :
		    &it->key;
		len = f == F_TYPE ? &it->type_len : f == F_COMPONENT ?
		    &it->comp_len : &it->key_len;
		*off = set->arena.len;
		jscan_unescape(&set->arena, &v);
		*len = set->arena.len - *off;
		buf_putc(&set->arena, '\0');
	}
	return kind == -1 ? -1 : 0;
}

static int
field_of(const struct jspan *key)
{
	if (jscan_str_eq(key, "type", 4))
		return F_TYPE;
	if (jscan_str_eq(key, "component", 9))
		return F_COMPONENT;
	if (jscan_str_eq(key, "key", 3))
		return F_KEY;
	if (jscan_str_eq(key, "details", 7))
		return F_DETAILS;
	return F_OTHER;
}

/* A new item with every string "" (offset 0 of the arena holds a NUL). */
static struct item *
new_item(struct itemset *set)
{
	struct item *v;

	if (set->n == set->cap)
		set->v = buf_grow_array(set->v, &set->cap, 16, sizeof(*v));
	v = &set->v[set->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

static void
itemset_reset(struct itemset *set)
{
	set->n = 0;
	buf_reset(&set->arena);
	buf_putc(&set->arena, '\0');
}

static void
itemset_free(struct itemset *set)
{
	free(set->v);
	buf_free(&set->arena);
	memset(set, 0, sizeof(*set));
}

/* SPEC 4.6: the allow list wins; the block list applies only without. */
static int
keep_cluster(struct differ *d, const struct cand *c)
{
	size_t n = trimmed(c->cluster, c->cluster_len);

	if (d->conf.allow_on) {
		if (!strlist_has(&d->conf.allowed, c->cluster, n))
			return 0;
		d->nallowed++;
	} else if (d->conf.block_on &&
	    strlist_has(&d->conf.blocked, c->cluster, n)) {
		d->nblocked++;
		return 0;
	}
	return 1;
}

/* The time processing of a cluster began, strictly increasing. */
static int64_t
notified_now(struct differ *d)
{
	int64_t now = time_now_us();

	if (now <= d->last_notified_us)
		now = d->last_notified_us + 1;
	d->last_notified_us = now;
	return now;
}

/*
 * SPEC 4.4 for each item of d->cur, collecting the new issues, and the
 * disabled items; with --explain, one line each instead.  Returns 0, or
 * the status of a failed write.
 */
static int
evaluate(struct differ *d, const struct cand *c)
{
	const struct differ_conf *cf = &d->conf;
	struct json_object *rule;
	struct verdict v;
	size_t i;
	int all = cf->explain.n > 0, rc;

	d->niss = 0;
	d->ndis = 0;
	for (i = 0; i < d->cur.n; i++) {
		judge(d, c, i, &v, all);
		if (v.disabled)
			add_disabled(d, i);
		if (all) {
			if ((rc = explain_item(d, c, i, &v)) != 0)
				return rc;
			continue;
		}
		if (v.reason != R_NOTIFY) {
			d->m[M_SKIPPED + v.reason - R_NO_CONTENT].value++;
			if (v.reason == R_IN_COOLDOWN &&
			    cf->target == TARGET_SL)
				d->m[M_SAME].value++;
			continue;
		}
		rule = NULL;
		/* judge left the rule name in d->rule; one with a NUL in
		 * it (a \u0000 escape) has no content. */
		if (cf->target == TARGET_SL &&
		    memchr(d->rule.data, '\0', d->rule.len) == NULL)
			rule = content_lookup_rule(&d->content, d->rule.data);
		add_issue(d, i, v.vars.totalRisk, v.ck, rule);
	}
	return 0;
}

/*
 * The verdict on item i of d->cur, the first check that fails giving the
 * reason: a disabled rule, the event filter, the tag filter, the cooldown
 * (the baseline).  With all (--explain) every value is worked out, else
 * judging stops at the reason.
 */
static void
judge(struct differ *d, const struct cand *c, size_t i, struct verdict *v,
    int all)
{
	const struct differ_conf *cf = &d->conf;
	const struct item *it = &d->cur.v[i];
	const char *comp = ARENA(&d->cur, it->comp);
	const char *key = ARENA(&d->cur, it->key);
	size_t rs, rn;

	memset(v, 0, sizeof(*v));
	agg_rule_span(comp, it->comp_len, &rs, &rn);
	buf_reset(&d->rule);
	buf_add(&d->rule, comp + rs, rn);
	if (d->agg.on && d->acand.maybe && (v->disabled = agg_disabled(
	    &d->agg, &d->acand, comp + rs, rn, key, it->key_len)) != 0) {
		v->reason = v->disabled & AGG_CLUSTER ? R_DISABLED_CLUSTER :
		    R_DISABLED_ORG;
		if (!all)
			return;
	}
	if (memchr(d->rule.data, '\0', rn) == NULL &&
	    memchr(key, '\0', it->key_len) == NULL)
		v->ck = content_lookup(&d->content, d->rule.data, key);
	v->vars = cf->thresholds;
	v->vars.likelihood = v->ck != NULL ? v->ck->likelihood : 0;
	v->vars.impact = v->ck != NULL ? v->ck->impact : 0;
	v->vars.totalRisk = (v->vars.impact + v->vars.likelihood) / 2;
	v->vars.severity = 0;
	if (evfilter_eval(cf->filter, &v->vars, &v->filter) == -1) {
		v->filter_err = 1;
		if (v->reason == R_NOTIFY) {
			v->reason = R_EVENT_FILTER;
			d->m[M_EVAL_ERRORS].value++;
			log_msg(d->warned_eval++ ? LOG_DEBUG : LOG_WARN,
			    "cluster %.*s: the event filter divides by zero "
			    "for %s|%s, item skipped", (int)c->cluster_len,
			    c->cluster, d->rule.data, key);
		}
	} else if (v->filter <= 0 && v->reason == R_NOTIFY)
		v->reason = v->ck == NULL ? R_NO_CONTENT : cf->default_filter ?
		    R_BELOW_THRESHOLD : R_EVENT_FILTER;
	v->tags_ok = !cf->tag_filter || has_tags(cf, v->ck);
	if (!v->tags_ok && v->reason == R_NOTIFY)
		v->reason = v->ck == NULL ? R_NO_CONTENT : R_TAG_FILTER;
	if (v->reason != R_NOTIFY && !all)
		return;
	v->in_baseline = in_baseline(d, it);
	if (v->in_baseline && v->reason == R_NOTIFY)
		v->reason = R_IN_COOLDOWN;
}

static void
add_disabled(struct differ *d, size_t item)
{
	if (d->ndis == d->capdis)
		d->dis = buf_grow_array(d->dis, &d->capdis, 16,
		    sizeof(*d->dis));
	d->dis[d->ndis++] = item;
}

/*
 * The disabled items of the decision in d->line, as "disabled_items": the
 * indices in the report's "reports".  The senders pass the member on to
 * the outcome line, for db-writer -r to leave those items out of the
 * report it stores in reported (so that their cooldown is not extended).
 */
static void
put_disabled(struct differ *d)
{
	struct buf *b = &d->line;
	size_t i;

	if (d->ndis == 0 || b->len < 2)
		return;
	b->len -= 2;			/* "}\n" */
	buf_puts(b, ",\"disabled_items\":[");
	for (i = 0; i < d->ndis; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_put_i64(b, (int64_t)d->dis[i]);
	}
	buf_puts(b, "]}\n");
}

/* Every configured tag is among the rule's tags (none: no content). */
static int
has_tags(const struct differ_conf *cf, const struct content_key *ck)
{
	size_t i, j;

	for (i = 0; i < cf->tags.n; i++) {
		if (ck == NULL)
			return 0;
		for (j = 0; j < ck->ntags; j++)
			if (strcmp(ck->tags[j], cf->tags.v[i]) == 0)
				break;
		if (j == ck->ntags)
			return 0;
	}
	return 1;
}

/* The baseline has an item of equal type, component and key. */
static int
in_baseline(const struct differ *d, const struct item *it)
{
	const struct item *b;
	size_t i;

	if (d->base_same)
		return 1;
	for (i = 0; i < d->base.n; i++) {
		b = &d->base.v[i];
		if (b->type_len == it->type_len &&
		    b->comp_len == it->comp_len && b->key_len == it->key_len &&
		    memcmp(ARENA(&d->base, b->key), ARENA(&d->cur, it->key),
		    it->key_len) == 0 &&
		    memcmp(ARENA(&d->base, b->comp), ARENA(&d->cur, it->comp),
		    it->comp_len) == 0 &&
		    memcmp(ARENA(&d->base, b->type), ARENA(&d->cur, it->type),
		    it->type_len) == 0)
			return 1;
	}
	return 0;
}

static void
add_issue(struct differ *d, size_t item, int64_t risk,
    const struct content_key *ck, struct json_object *rule)
{
	struct issue *v;

	if (d->niss == d->capiss)
		d->iss = buf_grow_array(d->iss, &d->capiss, 16, sizeof(*v));
	v = &d->iss[d->niss++];
	v->item = item;
	v->total_risk = risk;
	v->ck = ck;
	v->rule = rule;
}

/*
 * The decision line of c in d->line: the common members, then what dec
 * holds (its body, or its state).
 */
static void
put_decision(struct differ *d, const struct cand *c, int64_t now,
    struct lines_decision *dec)
{
	char ts[40];

	dec->target = d->conf.target_name;
	dec->org_id = c->org_id;
	dec->account_number = c->account_number;
	dec->cluster = c->cluster;
	dec->cluster_len = c->cluster_len;
	dec->updated_at = c->updated_at;
	dec->notified_at = time_fmt_pg(now, ts, sizeof(ts));
	buf_reset(&d->line);
	lines_write_decision(&d->line, dec);
}

/* Contract E, member by member (SPEC 6), in d->body. */
static void
put_payload(struct differ *d, const struct cand *c, int64_t now)
{
	struct buf *b = &d->body;
	char ts[48], pub[64];
	struct buf pb;
	size_t i;

	buf_init_fixed(&pb, pub, sizeof(pub));
	publish_date(&pb, c->updated_at);
	buf_puts(b, "{\"bundle\":\"openshift\","
	    "\"application\":\"advisor\",\"event_type\":"
	    "\"new-recommendation\",\"timestamp\":\"");
	buf_puts(b, time_fmt_rfc3339(now, ts, sizeof(ts)));
	buf_puts(b, "\",\"account_id\":\"");
	buf_put_i64(b, c->account_number);
	buf_puts(b, "\",\"org_id\":\"");
	buf_put_i64(b, c->org_id);
	buf_puts(b, "\",\"events\":[");
	for (i = 0; i < d->niss; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_event(d, c, &d->iss[i], pb.data);
	}
	buf_puts(b, "],\"context\":{\"display_name\":");
	buf_json_str(b, c->cluster, c->cluster_len);
	buf_puts(b, ",\"host_url\":");
	expand(&d->tmp, d->conf.cluster_uri, c, NULL, NULL);
	buf_json_str(b, d->tmp.data, d->tmp.len);
	buf_puts(b, "}}");
}

static void
put_event(struct differ *d, const struct cand *c, const struct issue *is,
    const char *pub)
{
	const struct item *it = &d->cur.v[is->item];
	struct buf *b = &d->body;
	const char *desc = is->ck != NULL && is->ck->description != NULL ?
	    is->ck->description : "";

	buf_puts(b, "{\"metadata\":{},\"payload\":{\"publish_date\":");
	buf_json_str(b, pub, strlen(pub));
	buf_puts(b, ",\"rule_description\":");
	buf_json_str(b, desc, strlen(desc));
	buf_puts(b, ",\"rule_url\":");
	expand(&d->tmp, d->conf.rule_uri, c, &d->cur, it);
	buf_json_str(b, d->tmp.data, d->tmp.len);
	buf_puts(b, ",\"total_risk\":\"");
	buf_put_i64(b, is->total_risk);
	buf_puts(b, "\"}}");
}

/* Target service-log: the new issues, as proto/lines.md says, in d->body. */
static void
put_issues(struct differ *d)
{
	const struct item *it;
	struct buf *b = &d->body;
	struct lines_issue is;
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < d->niss; i++) {
		it = &d->cur.v[d->iss[i].item];
		if (i > 0)
			buf_putc(b, ',');
		memset(&is, 0, sizeof(is));
		is.item = (int64_t)d->iss[i].item;
		is.type = ARENA(&d->cur, it->type);
		is.type_len = it->type_len;
		is.component = ARENA(&d->cur, it->comp);
		is.component_len = it->comp_len;
		is.key = ARENA(&d->cur, it->key);
		is.key_len = it->key_len;
		is.details.p = it->details;	/* NULL: null */
		is.details.len = it->details_len;
		is.details.flags = it->details_flags;
		is.details.kind = it->details_kind;
		is.total_risk = d->iss[i].total_risk;
		lines_write_issue(b, &is);
	}
	buf_putc(b, ']');
}

/* The RuleContent of each rule of the new issues, once, in issue order. */
static void
put_content(struct differ *d)
{
	const struct rulejson *rj;
	size_t i, j, n = 0;

	buf_putc(&d->body, '[');
	for (i = 0; i < d->niss; i++) {
		if (d->iss[i].rule == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (d->iss[j].rule == d->iss[i].rule)
				break;
		if (j < i)
			continue;
		rj = rule_json(d, d->iss[i].rule);
		if (n++ > 0)
			buf_putc(&d->body, ',');
		buf_add(&d->body, rj->text, rj->len);
	}
	buf_putc(&d->body, ']');
}

/* The serialised RuleContent obj, made on first use. */
static const struct rulejson *
rule_json(struct differ *d, struct json_object *obj)
{
	struct rulejson *v;
	const char *s;
	size_t i, len;

	for (i = 0; i < d->nrj; i++)
		if (d->rj[i].obj == obj)
			return &d->rj[i];
	if (d->nrj == d->caprj)
		d->rj = buf_grow_array(d->rj, &d->caprj, 32, sizeof(*v));
	s = json_object_to_json_string_length(obj, JSON_OUT, &len);
	v = &d->rj[d->nrj];
	if (s == NULL || (v->text = malloc(len + 1)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	memcpy(v->text, s, len + 1);
	v->len = len;
	v->obj = obj;
	d->nrj++;
	return v;
}

/*
 * Expands template t into b (reset first), in one pass.  With an item,
 * every "{cluster_id}", "{module}" (the component with each '.' turned
 * into '|') and "{error_key}" is replaced (rule_url); without, only the
 * first "{cluster_id}" (Contract E, host_url).
 */
static void
expand(struct buf *b, const char *t, const struct cand *c,
    const struct itemset *set, const struct item *it)
{
	const char *p, *comp;
	size_t i;
	int done = 0;

	buf_reset(b);
	while ((p = strchr(t, '{')) != NULL) {
		buf_add(b, t, (size_t)(p - t));
		t = p;
		if (!done && strncmp(p, "{cluster_id}", 12) == 0) {
			buf_add(b, c->cluster, c->cluster_len);
			t += 12;
			done = it == NULL;
		} else if (it != NULL && strncmp(p, "{module}", 8) == 0) {
			comp = ARENA(set, it->comp);
			for (i = 0; i < it->comp_len; i++)
				buf_putc(b, comp[i] == '.' ? '|' : comp[i]);
			t += 8;
		} else if (it != NULL && strncmp(p, "{error_key}", 11) == 0) {
			buf_add(b, ARENA(set, it->key), it->key_len);
			t += 11;
		} else {
			buf_putc(b, '{');
			t++;
		}
	}
	buf_puts(b, t);
}

/*
 * PostgreSQL timestamp text to RFC 3339 (Contract E): the space becomes
 * 'T', the fraction loses its trailing zeros (and its '.' when nothing is
 * left), and 'Z' follows.
 */
static void
publish_date(struct buf *b, const char *s)
{
	const char *dot, *end = s + strlen(s);

	if ((dot = strchr(s, '.')) != NULL) {
		while (end > dot + 1 && end[-1] == '0')
			end--;
		if (end == dot + 1)
			end = dot;
	}
	for (; s < end; s++)
		buf_putc(b, *s == ' ' ? 'T' : *s);
	buf_putc(b, 'Z');
}

/* The length without trailing spaces (character(36) padding). */
static size_t
trimmed(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return n;
}

static int
strlist_has(const struct strlist *l, const char *s, size_t n)
{
	return strlist_find(l, s, n) >= 0;
}

/* The index of s[0..n) in the sorted list, or -1. */
static ssize_t
strlist_find(const struct strlist *l, const char *s, size_t n)
{
	size_t lo = 0, hi = l->n, mid, k;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = strlen(l->v[mid]);
		r = memcmp(l->v[mid], s, k < n ? k : n);
		if (r == 0)
			r = k < n ? -1 : k > n;
		if (r == 0)
			return (ssize_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
strlist_free(struct strlist *l)
{
	free(l->v);
	free(l->mem);
	memset(l, 0, sizeof(*l));
}
