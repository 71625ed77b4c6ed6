/*
 * content: Contract D.  One schema describes the Go types; the gob decoder
 * matches wire fields against it by Go name, and the JSON reader walks the
 * parsed text with it, so both produce the same normalised tree.  An index
 * of rules and error keys, sorted for bsearch, is built over that tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include <json.h>

#include "buf.h"
#include "content.h"
#include "gob.h"
#include "http.h"
#include "lines.h"
#include "log.h"

#define FIELDS(a)	(a), sizeof(a) / sizeof((a)[0])

/* What the tags of a key without tags point to; never written. */
static const char *no_tags[1];

static const struct gob_schema s_bool = { GOB_BOOL, "bool", NULL, NULL, 0 };
static const struct gob_schema s_int = { GOB_INT, "int", NULL, NULL, 0 };
static const struct gob_schema s_string = {
	GOB_STRING, "string", NULL, NULL, 0
};
static const struct gob_schema s_strint = {
	GOB_MAP, "map[string]int", &s_int, NULL, 0
};
static const struct gob_schema s_tags = {
	GOB_SLICE, "[]string", &s_string, NULL, 0
};

static const struct gob_field f_impact[] = {
	{ "Name", "name", &s_string },
	{ "Impact", "impact", &s_int },
};
static const struct gob_schema s_impact = {
	GOB_STRUCT, "Impact", NULL, FIELDS(f_impact)
};

static const struct gob_field f_metadata[] = {
	{ "Description", "description", &s_string },
	{ "Impact", "impact", &s_impact },
	{ "Likelihood", "likelihood", &s_int },
	{ "PublishDate", "publish_date", &s_string },
	{ "ResolutionRisk", "resolution_risk", &s_int },
	{ "Status", "status", &s_string },
	{ "Tags", "tags", &s_tags },
};
static const struct gob_schema s_metadata = {
	GOB_STRUCT, "ErrorKeyMetadata", NULL, FIELDS(f_metadata)
};

/* The texts a rule and each of its error keys both have, in Go's order. */
#define TEXT_FIELDS							\
	{ "Generic", "generic", &s_string },				\
	{ "Summary", "summary", &s_string },				\
	{ "Resolution", "resolution", &s_string },			\
	{ "MoreInfo", "more_info", &s_string },				\
	{ "Reason", "reason", &s_string },				\
	{ "HasReason", "HasReason", &s_bool }

static const struct gob_field f_errkey[] = {
	{ "Metadata", "metadata", &s_metadata },
	{ "TotalRisk", "total_risk", &s_int },
	TEXT_FIELDS,
};
static const struct gob_schema s_errkey = {
	GOB_STRUCT, "RuleErrorKeyContent", NULL, FIELDS(f_errkey)
};
static const struct gob_schema s_errkeys = {
	GOB_MAP, "map[string]RuleErrorKeyContent", &s_errkey, NULL, 0
};

static const struct gob_field f_plugin[] = {
	{ "Name", "name", &s_string },
	{ "NodeID", "node_id", &s_string },
	{ "ProductCode", "product_code", &s_string },
	{ "PythonModule", "python_module", &s_string },
};
static const struct gob_schema s_plugin = {
	GOB_STRUCT, "RulePluginInfo", NULL, FIELDS(f_plugin)
};

static const struct gob_field f_rule[] = {
	{ "Plugin", "plugin", &s_plugin },
	{ "ErrorKeys", "error_keys", &s_errkeys },
	TEXT_FIELDS,
};
static const struct gob_schema s_rule = {
	GOB_STRUCT, "RuleContent", NULL, FIELDS(f_rule)
};
static const struct gob_schema s_rules = {
	GOB_MAP, "map[string]RuleContent", &s_rule, NULL, 0
};

static const struct gob_field f_config[] = {
	{ "Impact", "impact", &s_strint },
	{ "ResolutionRisk", "resolution_risk", &s_strint },
};
static const struct gob_schema s_config = {
	GOB_STRUCT, "GlobalRuleConfig", NULL, FIELDS(f_config)
};

static const struct gob_field f_dir[] = {
	{ "Config", "Config", &s_config },
	{ "Rules", "Rules", &s_rules },
};
static const struct gob_schema s_dir = {
	GOB_STRUCT, "RuleContentDirectory", NULL, FIELDS(f_dir)
};

/* The JSON path of the member being normalised, for messages. */
struct jpath {
	char	s[512];
	size_t	len;
	size_t	nvalues;	/* made so far, bounded by GOB_MAX_VALUES */
};

static size_t	jpath_push(struct jpath *, const char *);
static int	normalize(const struct gob_schema *, struct json_object *,
		    struct jpath *, struct json_object **, char *, size_t);
static int	normalize_at(const struct gob_schema *, struct json_object *,
		    const char *, struct jpath *, struct json_object **, char *,
		    size_t);
static int	normalize_struct(const struct gob_schema *,
		    struct json_object *, struct jpath *, struct json_object *,
		    char *, size_t);
static int	normalize_map(const struct gob_schema *, struct json_object *,
		    struct jpath *, struct json_object *, char *, size_t);
static int	normalize_slice(const struct gob_schema *,
		    struct json_object *, struct jpath *, struct json_object *,
		    char *, size_t);
static int	json_budget(const char *, size_t, char *, size_t);
static int	load_json(const char *, size_t, struct json_object **, char *,
		    size_t);
static struct json_object *member(struct json_object *, const char *);
static int	get_int(struct json_object *, const char *, const char *,
		    const char *, const char *, int *, char *, size_t);
static int	cmp_rule(const void *, const void *);
static int	cmp_key(const void *, const void *);
static int	build_index(struct content *, char *, size_t);

void
content_free(struct content *c)
{
	json_object_put(c->root);
	free(c->rules);
	free(c->keys);
	free(c->tagv);
	memset(c, 0, sizeof(*c));
}

/* Appends ".name" (or "name" at the top); returns the length to restore. */
static size_t
jpath_push(struct jpath *p, const char *name)
{
	size_t old = p->len;
	int n;

	n = snprintf(p->s + p->len, sizeof(p->s) - p->len, "%s%.64s",
	    p->len > 0 ? "." : "", name);
	if (n > 0)
		p->len += (size_t)n < sizeof(p->s) - p->len ? (size_t)n :
		    sizeof(p->s) - p->len - 1;
	return old;
}

/* A json-c string of s[0..n), with bytes that are not UTF-8 replaced by
 * U+FFFD as the gob reader does: json-c lets overlong forms, surrogates
 * and code points past U+10FFFF through. */
static struct json_object *
new_utf8_string(const char *s, size_t n)
{
	struct json_object *o;
	struct buf b;

	if (utf8_valid(s, n))
		return json_object_new_string_len(s, (int)n);
	buf_init(&b);
	buf_utf8_repair(&b, s, n);
	o = json_object_new_string_len(b.data, (int)b.len);
	buf_free(&b);
	return o;
}

/*
 * Converts the parsed JSON value in (NULL for an absent member or null)
 * into the normalised value of schema s, as Go's encoding/json would
 * decode it into the Go type and encode it again.
 */
static int
normalize(const struct gob_schema *s, struct json_object *in,
    struct jpath *path, struct json_object **out, char *err, size_t errsz)
{
	static const char *const want[] = {
		[GOB_BOOL] = "a boolean", [GOB_INT] = "an integer",
		[GOB_STRING] = "a string", [GOB_STRUCT] = "an object",
		[GOB_MAP] = "an object", [GOB_SLICE] = "an array"
	};
	static const json_type jtypes[] = {
		[GOB_BOOL] = json_type_boolean, [GOB_INT] = json_type_int,
		[GOB_STRING] = json_type_string, [GOB_STRUCT] = json_type_object,
		[GOB_MAP] = json_type_object, [GOB_SLICE] = json_type_array
	};
	struct json_object *o;
	size_t n;
	int64_t iv;
	int rc = 0;

	*out = NULL;
	n = in == NULL ? gob_zero_values(s) : 1;
	if (n > GOB_MAX_VALUES - path->nvalues) {
		snprintf(err, errsz, "%s: the content has more than %d parts",
		    path->len > 0 ? path->s : "content", GOB_MAX_VALUES);
		return -1;
	}
	path->nvalues += n;
	if (in == NULL) {
		*out = gob_zero(s);
		return 0;
	}
	if (!json_object_is_type(in, jtypes[s->kind])) {
		snprintf(err, errsz, "%s: expected %s, not %s",
		    path->len > 0 ? path->s : "content", want[s->kind],
		    lines_json_type(in));
		return -1;
	}
	switch (s->kind) {
	case GOB_BOOL:
		o = json_object_new_boolean(json_object_get_boolean(in));
		break;
	case GOB_INT:
		iv = json_object_get_int64(in);
		if (iv == INT64_MAX && json_object_get_uint64(in) >
		    (uint64_t)INT64_MAX) {
			snprintf(err, errsz, "%s: integer out of range",
			    path->s);
			return -1;
		}
		o = json_object_new_int64(iv);
		break;
	case GOB_STRING:
		o = new_utf8_string(json_object_get_string(in),
		    (size_t)json_object_get_string_len(in));
		break;
	case GOB_STRUCT:
		if ((o = json_object_new_object()) != NULL)
			rc = normalize_struct(s, in, path, o, err, errsz);
		break;
	case GOB_MAP:
		if ((o = json_object_new_object()) != NULL)
			rc = normalize_map(s, in, path, o, err, errsz);
		break;
	case GOB_SLICE:
		if ((o = json_object_new_array()) != NULL)
			rc = normalize_slice(s, in, path, o, err, errsz);
		break;
	default:
		o = NULL;
	}
	if (rc == -1) {
		json_object_put(o);
		return -1;
	}
	if (o == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON value");
	*out = o;
	return 0;
}

/* normalize for the member or element name of the value at path. */
static int
normalize_at(const struct gob_schema *s, struct json_object *in,
    const char *name, struct jpath *path, struct json_object **out,
    char *err, size_t errsz)
{
	size_t old;
	int rc;

	old = jpath_push(path, name);
	rc = normalize(s, in, path, out, err, errsz);
	path->len = old;
	path->s[old] = '\0';
	return rc;
}

/* Adds to o the fields of the struct schema s, from the object in. */
static int
normalize_struct(const struct gob_schema *s, struct json_object *in,
    struct jpath *path, struct json_object *o, char *err, size_t errsz)
{
	const struct gob_field *f;
	struct json_object *v;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (normalize_at(f->schema, member(in, f->json_name),
		    f->json_name, path, &v, err, errsz) == -1)
			return -1;
		if (json_object_object_add(o, f->json_name, v) != 0)
			log_fatal(EX_OSERR, "unable to add a member");
	}
	return 0;
}

/*
 * Adds to o the members of the object in, as values of the map schema s:
 * a null value decodes to the zero value, and a key that is not UTF-8 is
 * repaired as the gob reader does.
 */
static int
normalize_map(const struct gob_schema *s, struct json_object *in,
    struct jpath *path, struct json_object *o, char *err, size_t errsz)
{
	struct json_object *v;
	struct buf k;

	json_object_object_foreach(in, key, val) {
		if (normalize_at(s->elem, json_object_is_type(val,
		    json_type_null) ? NULL : val, key, path, &v, err,
		    errsz) == -1)
			return -1;
		if (utf8_valid(key, strlen(key))) {
			if (json_object_object_add(o, key, v) != 0)
				log_fatal(EX_OSERR, "unable to add a member");
			continue;
		}
		buf_init(&k);
		buf_utf8_repair(&k, key, strlen(key));
		if (json_object_object_add(o, k.data, v) != 0)
			log_fatal(EX_OSERR, "unable to add a member");
		buf_free(&k);
	}
	return 0;
}

/* Appends to o the elements of the array in, as elements of the slice
 * schema s (a null one decodes to the zero value). */
static int
normalize_slice(const struct gob_schema *s, struct json_object *in,
    struct jpath *path, struct json_object *o, char *err, size_t errsz)
{
	struct json_object *v, *e;
	size_t i, n;
	char idx[32];

	n = json_object_array_length(in);
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		e = json_object_array_get_idx(in, i);
		if (normalize_at(s->elem, json_object_is_type(e,
		    json_type_null) ? NULL : e, idx, path, &v, err,
		    errsz) == -1)
			return -1;
		if (json_object_array_add(o, v) != 0)
			log_fatal(EX_OSERR, "unable to grow an array");
	}
	return 0;
}

/*
 * Checks, before json-c builds a tree of it, that the JSON text p[0..n)
 * has at most GOB_MAX_VALUES values, of which at most a fifth are objects
 * or arrays (an empty object costs json-c about 700 bytes).  Counting the
 * separators and openers outside strings is enough for a bound.
 */
static int
json_budget(const char *p, size_t n, char *err, size_t errsz)
{
	size_t i, values = 1, containers = 0;
	int instr = 0;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				instr = 0;
			continue;
		}
		switch (p[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			containers++;
			/* FALLTHROUGH */
		case ',':
			values++;
			break;
		}
	}
	if (values > GOB_MAX_VALUES || containers > GOB_MAX_VALUES / 5) {
		snprintf(err, errsz, "json: the content has more than %d "
		    "values or %d objects and arrays", GOB_MAX_VALUES,
		    GOB_MAX_VALUES / 5);
		return -1;
	}
	return 0;
}

/* Parses the JSON text p[0..n) into *out. */
static int
load_json(const char *p, size_t n, struct json_object **out, char *err,
    size_t errsz)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error je;
	size_t end;

	*out = NULL;
	if (n > INT_MAX) {
		snprintf(err, errsz, "json: content of %zu bytes is too large",
		    n);
		return -1;
	}
	if (json_budget(p, n, err, errsz) == -1)
		return -1;
	if ((tok = json_tokener_new_ex(64)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON parser");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, p, (int)n);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || je != json_tokener_success) {
		json_object_put(o);
		snprintf(err, errsz, "json: offset %zu: %s", end,
		    je == json_tokener_continue ? "unexpected end of data" :
		    json_tokener_error_desc(je));
		return -1;
	}
	for (; end < n; end++)
		if (strchr(" \t\r\n", p[end]) == NULL || p[end] == '\0') {
			json_object_put(o);
			snprintf(err, errsz, "json: offset %zu: data after the "
			    "JSON object", end);
			return -1;
		}
	*out = o;
	return 0;
}

/* The member k of object o, or NULL when o is NULL or has none. */
static struct json_object *
member(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/*
 * Reads the normalised integer member k of o into an int; what names the
 * member below metadata in a message.
 */
static int
get_int(struct json_object *o, const char *k, const char *what,
    const char *rule, const char *ek, int *v, char *err, size_t errsz)
{
	int64_t x = json_object_get_int64(member(o, k));

	if (x < INT_MIN || x > INT_MAX) {
		snprintf(err, errsz, "Rules.%.64s.error_keys.%.64s.metadata.%s: "
		    "%" PRId64 " is out of range", rule, ek, what, x);
		return -1;
	}
	*v = (int)x;
	return 0;
}

static int
cmp_rule(const void *a, const void *b)
{
	const struct content_rule *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct content_key *x = a, *y = b;
	int r;

	if ((r = strcmp(x->rule, y->rule)) != 0)
		return r;
	return strcmp(x->error_key, y->error_key);
}

/* Builds the sorted rule and key arrays over the normalised c->root. */
static int
build_index(struct content *c, char *err, size_t errsz)
{
	struct json_object *rules, *eks, *md, *tags;
	struct content_key *k;
	size_t nkeys = 0, ntags = 0, i, j, t;

	rules = member(c->root, "Rules");
	if (rules == NULL)
		return 0;
	/* First count, so that each array is allocated once. */
	{
		json_object_object_foreach(rules, cname, crc) {
			(void)cname;
			if ((eks = member(crc, "error_keys")) == NULL)
				continue;
			json_object_object_foreach(eks, ckname, cek) {
				(void)ckname;
				nkeys++;
				tags = member(member(cek, "metadata"), "tags");
				if (tags != NULL)
					ntags += json_object_array_length(tags);
			}
		}
	}
	c->nrules = (size_t)json_object_object_length(rules);
	if (c->nrules > 0 && (c->rules = calloc(c->nrules,
	    sizeof(*c->rules))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu rules", c->nrules);
	if (nkeys > 0 && (c->keys = calloc(nkeys, sizeof(*c->keys))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu keys", nkeys);
	if (ntags > 0 && (c->tagv = calloc(ntags, sizeof(*c->tagv))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate %zu tags", ntags);
	i = t = 0;
	json_object_object_foreach(rules, name, rc) {
		c->rules[i].name = name;
		c->rules[i++].obj = rc;
		if ((eks = member(rc, "error_keys")) == NULL)
			continue;
		json_object_object_foreach(eks, kname, ek) {
			k = &c->keys[c->nkeys++];
			k->rule = name;
			k->error_key = kname;
			md = member(ek, "metadata");
			if (get_int(md, "likelihood", "likelihood", name, kname,
			    &k->likelihood, err, errsz) == -1 ||
			    get_int(member(md, "impact"), "impact",
			    "impact.impact", name, kname, &k->impact, err,
			    errsz) == -1)
				return -1;
			k->description = json_object_get_string(
			    member(md, "description"));
			if (k->description == NULL)
				k->description = "";
			k->tags = c->tagv != NULL ? c->tagv + t : no_tags;
			if ((tags = member(md, "tags")) == NULL)
				continue;
			k->ntags = json_object_array_length(tags);
			for (j = 0; j < k->ntags; j++)
				c->tagv[t++] = json_object_get_string(
				    json_object_array_get_idx(tags, j));
		}
	}
	if (c->nrules > 1)
		qsort(c->rules, c->nrules, sizeof(*c->rules), cmp_rule);
	if (c->nkeys > 1)
		qsort(c->keys, c->nkeys, sizeof(*c->keys), cmp_key);
	return 0;
}

int
content_load(struct content *c, const void *data, size_t len, char *err,
    size_t errsz)
{
	struct json_object *parsed;
	struct jpath path;
	const char *p = data;
	size_t i;
	int r;

	content_init(c);
	if (errsz > 0)
		err[0] = '\0';
	for (i = 0; i < len && strchr(" \t\r\n", p[i]) != NULL && p[i] != '\0';
	    i++)
		;
	if (i == len) {
		snprintf(err, errsz, "empty content");
		return -1;
	}
	if (p[i] == '{') {
		if (load_json(p, len, &parsed, err, errsz) == -1)
			return -1;
		path.len = 0;
		path.s[0] = '\0';
		path.nvalues = 0;
		r = normalize(&s_dir, parsed, &path, &c->root, err, errsz);
		json_object_put(parsed);
	} else
		r = gob_decode(data, len, &s_dir, &c->root, err, errsz);
	if (r == 0)
		r = build_index(c, err, errsz);
	if (r == -1)
		content_free(c);
	return r;
}

int
content_load_file(struct content *c, const char *path, char *err,
    size_t errsz)
{
	struct buf b;
	char tmp[65536];
	ssize_t n;
	int fd, e;

	content_init(c);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "unable to open %s: %s", path,
		    strerror(errno));
		return CONTENT_EFETCH;
	}
	buf_init(&b);
	for (;;) {
		if ((n = read(fd, tmp, sizeof(tmp))) == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			snprintf(err, errsz, "unable to read %s: %s", path,
			    strerror(e));
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > CONTENT_MAX_BYTES - b.len) {
			snprintf(err, errsz, "%s: content exceeds %u bytes",
			    path, CONTENT_MAX_BYTES);
			n = -1;
			break;
		}
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	if (n == -1) {
		buf_free(&b);
		return CONTENT_EFETCH;
	}
	if (content_load(c, b.data != NULL ? b.data : "", b.len, err,
	    errsz) == -1) {
		buf_free(&b);
		return CONTENT_EDATA;
	}
	buf_free(&b);
	return 0;
}

int
content_fetch(const char *url, long timeout_ms, struct content *c,
    char *err, size_t errsz)
{
	struct http h;
	struct http_response r;
	char msg[512];
	int ret = CONTENT_EFETCH;

	content_init(c);
	if (http_init(&h, err, errsz) == -1)
		return CONTENT_EFETCH;
	if (timeout_ms > 0) {
		h.timeout_ms = timeout_ms;
		if (h.connect_timeout_ms > timeout_ms)
			h.connect_timeout_ms = timeout_ms;
	}
	h.max_body = CONTENT_MAX_BYTES;
	http_response_init(&r);
	if (http_request(&h, "GET", url, NULL, NULL, 0, &r, err,
	    errsz) == -1)
		goto done;
	if (!(r.file || r.status == 200)) {
		snprintf(err, errsz, "GET %s: HTTP status %ld", url, r.status);
		goto done;
	}
	if (content_load(c, r.body.data != NULL ? r.body.data : "", r.body.len,
	    msg, sizeof(msg)) == -1) {
		snprintf(err, errsz, "%s: %s", url, msg);
		ret = CONTENT_EDATA;
		goto done;
	}
	ret = 0;
done:
	http_response_free(&r);
	http_free(&h);
	return ret;
}

size_t
content_nrules(const struct content *c)
{
	return c->nrules;
}

const struct content_rule *
content_rule_at(const struct content *c, size_t i)
{
	return i < c->nrules ? &c->rules[i] : NULL;
}

struct json_object *
content_lookup_rule(const struct content *c, const char *rule)
{
	struct content_rule key, *r;

	if (c->nrules == 0)
		return NULL;
	key.name = rule;
	r = bsearch(&key, c->rules, c->nrules, sizeof(*c->rules), cmp_rule);
	return r != NULL ? r->obj : NULL;
}

const struct content_key *
content_lookup(const struct content *c, const char *rule,
    const char *error_key)
{
	struct content_key key;

	if (c->nkeys == 0)
		return NULL;
	key.rule = rule;
	key.error_key = error_key;
	return bsearch(&key, c->keys, c->nkeys, sizeof(*c->keys), cmp_key);
}

const struct content_key *
content_keys(const struct content *c, size_t *n)
{
	*n = c->nkeys;
	return c->keys;
}

struct json_object *
content_root(const struct content *c)
{
	return c->root;
}
