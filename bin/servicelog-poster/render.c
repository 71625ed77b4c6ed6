/*
 * render: the one template-renderer call of a cluster (Contract F).
 *
 * The request carries the line's rule content verbatim and the cluster's
 * issues as report items with their TotalRisk.  Anything but a 200 with a
 * JSON object whose "reports" is an object is a renderer error; a cluster
 * missing from "reports" means nothing was rendered.  Each rendered item
 * is matched to the first issue not matched yet with the same rule name
 * (last dot segment of rule_id) and error key, preferring an issue whose
 * component names exactly that rule_id.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "redact.h"
#include "slp.h"

#define JSON_OUT	(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

static struct json_object *request_body(const struct cluster *);
static struct json_object *new_obj(void);
static void	add(struct json_object *, const char *, struct json_object *);
static int	read_response(struct poster *, struct cluster *,
		    const struct http_response *, char *, size_t);
static int	read_item(struct json_object *, struct rendered *);
static struct span str_member(struct json_object *, const char *, int *);
static void	match(struct cluster *, const struct rendered *);
static int	module_is(const struct issue *, const char *, size_t);
static int	rule_is(const struct issue *, const char *, size_t);

int
render_cluster(struct poster *p, struct cluster *c, char *err, size_t errsz)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		NULL
	};
	struct http_response resp;
	struct json_object *req;
	char herr[1024], ex[SLP_EXCERPT_MAX + 8];
	const char *body;
	size_t len;
	int rc = -1;

	req = request_body(c);
	body = json_object_to_json_string_length(req, JSON_OUT, &len);
	if (body == NULL)
		log_fatal(EXIT_NOMEM, "unable to serialise a renderer request");
	http_response_init(&resp);
	p->http.timeout_ms = p->cfg->renderer_timeout_ms;
	p->http.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS <
	    p->http.timeout_ms ? HTTP_CONNECT_TIMEOUT_MS : p->http.timeout_ms;
	log_debug("cluster %s: rendering %zu issue(s), %zu bytes", c->id, c->n,
	    len);
	if (http_request(&p->http, "POST", p->cfg->renderer, hdrs, body, len,
	    &resp, herr, sizeof(herr)) == -1)
		snprintf(err, errsz, "renderer: %s", herr);
	else if (resp.status != 200) {
		slp_excerpt(resp.body.data, resp.body.len, SLP_EXCERPT_MAX, ex,
		    sizeof(ex));
		snprintf(err, errsz, "renderer: POST %s: HTTP %ld: %s",
		    p->cfg->renderer, resp.status, ex);
		redact_text(err, errsz);	/* the URL's userinfo */
	} else
		rc = read_response(p, c, &resp, err, errsz);
	http_response_free(&resp);
	json_object_put(req);
	return rc;
}

/*
 * {"content": [...], "report_data": {"clusters": [C], "reports": {C:
 * {"reports": [{type, component, key, details, TotalRisk}, ...]}}}}
 */
static struct json_object *
request_body(const struct cluster *c)
{
	struct json_object *req, *rd, *clusters, *reports, *cr, *items, *it;
	const struct issue *is;
	size_t i;

	req = new_obj();
	add(req, "content", json_object_get(c->content));
	rd = new_obj();
	if ((clusters = json_object_new_array()) == NULL ||
	    (items = json_object_new_array()) == NULL ||
	    json_object_array_add(clusters, json_object_new_string(c->id)))
		log_fatal(EXIT_NOMEM, "unable to allocate a JSON array");
	for (i = 0; i < c->n; i++) {
		is = &c->issues[i];
		it = new_obj();
		add(it, "type", json_object_new_string(is->type));
		add(it, "component", json_object_new_string(is->component));
		add(it, "key", json_object_new_string(is->key));
		json_object_object_add(it, "details",
		    json_object_get(is->details));
		add(it, "TotalRisk", json_object_new_int64(is->total_risk));
		if (json_object_array_add(items, it) == -1)
			log_fatal(EXIT_NOMEM, "unable to allocate a JSON array");
	}
	cr = new_obj();
	add(cr, "reports", items);
	reports = new_obj();
	add(reports, c->id, cr);
	add(rd, "clusters", clusters);
	add(rd, "reports", reports);
	add(req, "report_data", rd);
	return req;
}

static struct json_object *
new_obj(void)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a JSON object");
	return o;
}

/* Adds member k (which must not be NULL: that means out of memory). */
static void
add(struct json_object *o, const char *k, struct json_object *v)
{
	if (v == NULL || json_object_object_add(o, k, v) == -1)
		log_fatal(EXIT_NOMEM, "unable to allocate a JSON value");
}

static int
read_response(struct poster *p, struct cluster *c,
    const struct http_response *resp, char *err, size_t errsz)
{
	struct json_object *reports, *items;
	struct rendered r;
	char why[512];
	size_t i, n;

	c->response = slp_parse(p, resp->body.data, resp->body.len, why,
	    sizeof(why));
	if (c->response == NULL) {
		snprintf(err, errsz, "renderer: undecodable response: %s", why);
		return -1;
	}
	if (!json_object_is_type(c->response, json_type_object) ||
	    !json_object_object_get_ex(c->response, "reports", &reports) ||
	    !json_object_is_type(reports, json_type_object)) {
		snprintf(err, errsz, "renderer: undecodable response: no "
		    "reports object");
		return -1;
	}
	if (!json_object_object_get_ex(reports, c->id, &items) ||
	    items == NULL) {
		log_debug("cluster %s: nothing rendered", c->id);
		return 0;
	}
	if (!json_object_is_type(items, json_type_array)) {
		snprintf(err, errsz, "renderer: undecodable response: the "
		    "cluster's reports are not an array");
		return -1;
	}
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		if (read_item(json_object_array_get_idx(items, i), &r) == -1) {
			snprintf(err, errsz, "renderer: undecodable response: "
			    "item %zu lacks a rule_id, error_key, description "
			    "or reason string", i);
			return -1;
		}
		match(c, &r);
	}
	return 0;
}

/* rule_id and error_key are required; description and reason may be
 * absent (""), but must be strings when present. */
static int
read_item(struct json_object *o, struct rendered *r)
{
	int bad = 0;

	if (!json_object_is_type(o, json_type_object))
		return -1;
	r->rule_id = str_member(o, "rule_id", &bad);
	r->error_key = str_member(o, "error_key", &bad);
	r->description = str_member(o, "description", &bad);
	r->reason = str_member(o, "reason", &bad);
	if (bad || r->rule_id.p == NULL || r->error_key.p == NULL)
		return -1;
	if (r->description.p == NULL)
		r->description.p = "";
	if (r->reason.p == NULL)
		r->reason.p = "";
	return 0;
}

/* A string member (p NULL when absent); sets *bad when of another type. */
static struct span
str_member(struct json_object *o, const char *name, int *bad)
{
	struct json_object *v;
	struct span s = { NULL, 0 };

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return s;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return s;
	}
	s.p = json_object_get_string(v);
	s.len = (size_t)json_object_get_string_len(v);
	return s;
}

static void
match(struct cluster *c, const struct rendered *r)
{
	struct issue *is;
	const char *name;
	size_t i, namelen;
	int pass;

	name = memrchr(r->rule_id.p, '.', r->rule_id.len);
	name = name != NULL ? name + 1 : r->rule_id.p;
	namelen = r->rule_id.len - (size_t)(name - r->rule_id.p);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->n; i++) {
			is = &c->issues[i];
			if (is->state != ISSUE_UNRENDERED ||
			    strlen(is->key) != r->error_key.len || memcmp(is->key,
			    r->error_key.p, r->error_key.len) != 0)
				continue;
			if (pass == 0 ? !module_is(is, r->rule_id.p,
			    r->rule_id.len) : !rule_is(is, name, namelen))
				continue;
			is->r = *r;
			is->state = ISSUE_RENDERED;
			c->rendered++;
			return;
		}
	log_debug("cluster %s: rendered %.*s|%.*s matches no issue", c->id,
	    (int)r->rule_id.len, r->rule_id.p, (int)r->error_key.len,
	    r->error_key.p);
}

/* The component minus its last dot segment is rule_id. */
static int
module_is(const struct issue *is, const char *id, size_t len)
{
	const char *dot = strrchr(is->component, '.');

	return dot != NULL && (size_t)(dot - is->component) == len &&
	    memcmp(is->component, id, len) == 0;
}

/* The rule name (SPEC 4.4) of the issue's component is name. */
static int
rule_is(const struct issue *is, const char *name, size_t len)
{
	const char *comp = is->component, *end, *dot;
	size_t n = strlen(comp);

	if (n >= 7 && strcmp(comp + n - 7, ".report") == 0)
		n -= 7;
	end = comp + n;
	dot = memrchr(comp, '.', n);
	comp = dot != NULL ? dot + 1 : comp;
	return (size_t)(end - comp) == len && memcmp(comp, name, len) == 0;
}
