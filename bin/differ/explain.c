/*
 * explain: the lines of --explain CLUSTER.
 *
 * One JSON object a line for each item of the cluster's newest report,
 * with the values decide.c used and what came of them:
 *
 *	{"cluster":…,"target":…,"org_id":…,"updated_at":…,"item":0,
 *	 "type":…,"component":…,"key":…,"rule":…,"likelihood":4,
 *	 "impact":4,"total_risk":4,"threshold":2,"event_filter":1,
 *	 "tags":[…]|null,"tag_filter":[…]|null,
 *	 "baseline_notified_at":…|null,"in_baseline":false,"disabled":[],
 *	 "outcome":"notify"|"skip"[,"reason":…]}
 *
 * and one line without the item members for a report that holds none:
 * undecodable (with "error"), empty_report, cluster_filter (the allow or
 * block list drops the cluster), no_report (no row in new_reports).
 */
#include <stdio.h>
#include <string.h>

#include "differ.h"

static const char *const reasons[R_NREASONS] = {
#define REASON_NAME(r, name)	[R_##r] = #name,
	REASONS(REASON_NAME)
#undef REASON_NAME
};

static void	head(struct buf *, const struct differ *, const struct cand *,
		    const char *);
static int	finish(struct differ *, int);

const char *
explain_reason(int r)
{
	return r >= 0 && r < R_NREASONS ? reasons[r] : "?";
}

int
explain_item(struct differ *d, const struct cand *c, size_t i,
    const struct verdict *v)
{
	const struct differ_conf *cf = &d->conf;
	const struct item *it = &d->cur.v[i];
	const char *comp = ARENA(&d->cur, it->comp);
	struct buf *b = &d->line;
	size_t rs, rn;

	buf_reset(b);
	head(b, d, c, NULL);
	buf_printf(b, ",\"item\":%zu,\"type\":", i);
	buf_json_str(b, ARENA(&d->cur, it->type), it->type_len);
	buf_puts(b, ",\"component\":");
	buf_json_str(b, comp, it->comp_len);
	buf_puts(b, ",\"key\":");
	buf_json_str(b, ARENA(&d->cur, it->key), it->key_len);
	agg_rule_span(comp, it->comp_len, &rs, &rn);
	buf_puts(b, ",\"rule\":");
	buf_json_str(b, comp + rs, rn);
	buf_printf(b, ",\"likelihood\":%lld,\"impact\":%lld,"
	    "\"total_risk\":%lld,\"threshold\":%lld,\"event_filter\":",
	    (long long)v->vars.likelihood, (long long)v->vars.impact,
	    (long long)v->vars.totalRisk,
	    (long long)v->vars.totalRiskThreshold);
	if (v->filter_err)
		buf_puts(b, "null,\"event_filter_error\":\"division by zero\"");
	else
		buf_put_i64(b, v->filter);
	buf_puts(b, ",\"tags\":");
	if (v->ck != NULL)
		buf_json_strv(b, v->ck->tags, v->ck->ntags);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"tag_filter\":");
	if (cf->tag_filter)
		buf_json_strv(b, (const char *const *)cf->tags.v, cf->tags.n);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"baseline_notified_at\":");
	if (c->baseline != NULL && c->baseline_notified_at != NULL)
		buf_json_str(b, c->baseline_notified_at,
		    strlen(c->baseline_notified_at));
	else
		buf_puts(b, "null");
	buf_printf(b, ",\"in_baseline\":%s,\"disabled\":[%s%s%s]",
	    v->in_baseline ? "true" : "false",
	    v->disabled & AGG_CLUSTER ? "\"cluster\"" : "",
	    v->disabled == (AGG_CLUSTER | AGG_ORG) ? "," : "",
	    v->disabled & AGG_ORG ? "\"org\"" : "");
	return finish(d, v->reason);
}

int
explain_report(struct differ *d, const struct cand *c, const char *cluster,
    int reason, const char *error)
{
	struct buf *b = &d->line;

	buf_reset(b);
	head(b, d, c, cluster);
	if (error != NULL) {
		buf_puts(b, ",\"error\":");
		buf_json_str(b, error, strlen(error));
	}
	return finish(d, reason);
}

int
explain_missing(struct differ *d)
{
	const struct strlist *l = &d->conf.explain;
	size_t i;
	int rc = 0;

	for (i = 0; i < l->n && rc == 0; i++)
		if (!d->seen[i])
			rc = explain_report(d, NULL, l->v[i], R_NO_REPORT,
			    NULL);
	return rc;
}

/* "{" and the members that name the cluster (c, or only its name). */
static void
head(struct buf *b, const struct differ *d, const struct cand *c,
    const char *cluster)
{
	size_t n;

	buf_puts(b, "{\"cluster\":");
	if (c != NULL) {
		for (n = c->cluster_len; n > 0 && c->cluster[n - 1] == ' '; n--)
			;
		buf_json_str(b, c->cluster, n);
	} else
		buf_json_str(b, cluster, strlen(cluster));
	buf_puts(b, ",\"target\":");
	buf_json_str(b, d->conf.target_name, strlen(d->conf.target_name));
	if (c == NULL)
		return;
	buf_printf(b, ",\"org_id\":%lld,\"updated_at\":", (long long)c->org_id);
	buf_json_str(b, c->updated_at, strlen(c->updated_at));
}

/* The outcome, the reason of a skip, the end of the line; written. */
static int
finish(struct differ *d, int reason)
{
	struct buf *b = &d->line;

	if (reason == R_NOTIFY)
		buf_puts(b, ",\"outcome\":\"notify\"}\n");
	else {
		buf_puts(b, ",\"outcome\":\"skip\",\"reason\":");
		buf_json_str(b, reasons[reason], strlen(reasons[reason]));
		buf_puts(b, "}\n");
	}
	return differ_write(d, b->data, b->len);
}
