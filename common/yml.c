/*
 * yml: YAML through libyaml's event parser into a json-c tree (yml.h).
 *
 * A stack of the collections being built: a scalar, an alias or a
 * finished collection goes to the one below it, as an array's next
 * element, or as a mapping's key and then as the value of that key.
 * Anchors are kept by name until the end of the parse; the merges of a
 * mapping are applied when it ends, so that its own keys win.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>
#include <yaml.h>

#include "buf.h"
#include "goflag.h"
#include "log.h"
#include "yml.h"

#define TAG(t)	"tag:yaml.org,2002:" t

/* A collection being built. */
struct frame {
	struct json_object	*node;		/* an object or an array */
	int			 map;
	char			*anchor;	/* its anchor, registered at
						 * its end */
	char			*key;		/* a key waiting for its value */
	int			 merge;		/* that key is "<<" */
	int			 merged;	/* "<<" was given */
	struct json_object	*sources;	/* the mappings "<<" gave */
	yaml_mark_t		 mark;		/* where it starts */
};

struct anchor {
	char			*name;
	struct json_object	*node;		/* a reference; NULL: null */
	char			*text;		/* a scalar's text, else NULL */
	size_t			 len;
};

/* A node on its way to its parent, and what a key needs of it. */
struct item {
	struct json_object	*node;		/* NULL: null */
	const char		*text;		/* a scalar's text, else NULL */
	size_t			 len;
	int			 merge;		/* the plain scalar "<<" */
	yaml_mark_t		 mark;
};

struct yp {
	struct frame		 st[YML_MAX_DEPTH];
	int			 depth;
	struct anchor		*anchors;
	size_t			 nanchors;
	struct json_object	*index;		/* name: its last anchors[] */
	struct json_object	*root;
	size_t			 merged;	/* members copied by merges */
	char			*err;
	size_t			 errsize;
};

static int	fail(struct yp *, yaml_mark_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	libyaml_error(struct yp *, const yaml_parser_t *,
		    const char *, size_t);
static int	event(struct yp *, const yaml_event_t *);
static int	scalar(struct yp *, const yaml_event_t *,
		    struct json_object **);
static int	plain(struct yp *, const char *, size_t, yaml_mark_t, int,
		    struct json_object **);
static int	is_float(const char *);
static int	is_time(const char *, size_t);
static int	open_node(struct yp *, const yaml_event_t *, int);
static int	close_node(struct yp *, yaml_mark_t);
static int	add(struct yp *, struct item *);
static int	merge_source(struct yp *, struct frame *, struct item *);
static int	merge_apply(struct yp *, struct frame *, yaml_mark_t);
static void	anchor_set(struct yp *, const char *, struct json_object *,
		    const char *, size_t);
static const struct anchor *anchor_find(const struct yp *, const char *);
static void	*xstrndup(const char *, size_t);
static void	cleanup(struct yp *);

struct json_object *
yml_parse(const char *text, size_t len, char *err, size_t errsize)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct yp yp = { .err = err, .errsize = errsize };
	int rc = 0, end = 0;

	if (errsize > 0)
		err[0] = '\0';
	if (!yaml_parser_initialize(&p))
		log_fatal(EX_OSERR, "unable to allocate a YAML parser");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	/* The first document only, as yaml.v3 reads it. */
	while (rc == 0 && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = libyaml_error(&yp, &p, text, len);
			break;
		}
		end = ev.type == YAML_DOCUMENT_END_EVENT ||
		    ev.type == YAML_STREAM_END_EVENT;
		rc = event(&yp, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == 0 && yp.root == NULL &&
	    (yp.root = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	cleanup(&yp);
	if (rc == -1) {
		json_object_put(yp.root);
		return NULL;
	}
	return yp.root;
}

static int
fail(struct yp *yp, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vfail_at(yp->err, yp->errsize, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* libyaml's message; a reader error has an offset, not a mark. */
static int
libyaml_error(struct yp *yp, const yaml_parser_t *p, const char *text,
    size_t len)
{
	yaml_mark_t m = p->problem_mark;
	size_t i;

	if (p->error == YAML_MEMORY_ERROR)
		log_fatal(EX_OSERR, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		memset(&m, 0, sizeof(m));
		for (i = 0; i < p->problem_offset && i < len; i++) {
			m.column++;
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			}
		}
	}
	return fail(yp, m, "%s", p->problem != NULL ? p->problem :
	    "invalid YAML");
}

static int
event(struct yp *yp, const yaml_event_t *ev)
{
	const struct anchor *a;
	struct item it;

	memset(&it, 0, sizeof(it));
	it.mark = ev->start_mark;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (scalar(yp, ev, &it.node) == -1)
			return -1;
		it.text = (const char *)ev->data.scalar.value;
		it.len = ev->data.scalar.length;
		it.merge = ev->data.scalar.plain_implicit &&
		    ev->data.scalar.tag == NULL && strcmp(it.text, "<<") == 0;
		if (ev->data.scalar.anchor != NULL)
			anchor_set(yp, (const char *)ev->data.scalar.anchor,
			    it.node, it.text, it.len);
		return add(yp, &it);
	case YAML_ALIAS_EVENT:
		if ((a = anchor_find(yp,
		    (const char *)ev->data.alias.anchor)) == NULL)
			return fail(yp, ev->start_mark, "unknown anchor '%s'",
			    (const char *)ev->data.alias.anchor);
		it.node = a->node != NULL ? json_object_get(a->node) : NULL;
		it.text = a->text;
		it.len = a->len;
		return add(yp, &it);
	case YAML_SEQUENCE_START_EVENT:
		return open_node(yp, ev, 0);
	case YAML_MAPPING_START_EVENT:
		return open_node(yp, ev, 1);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_node(yp, ev->start_mark);
	default:
		return 0;
	}
}

/* A scalar as yaml.v3 resolves it (yml.h). */
static int
scalar(struct yp *yp, const yaml_event_t *ev, struct json_object **out)
{
	static const struct { const char *tag; enum json_type type; } tags[] = {
		{ TAG("null"), json_type_null },
		{ TAG("bool"), json_type_boolean },
		{ TAG("int"), json_type_int },
		{ TAG("float"), json_type_double },
	};
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t n = ev->data.scalar.length, i;
	enum json_type got;
	int64_t iv;

	*out = NULL;
	if (n > INT_MAX)
		return fail(yp, ev->start_mark, "a scalar of more than %d "
		    "bytes", INT_MAX);
	if (tag == NULL && ev->data.scalar.plain_implicit)
		return plain(yp, s, n, ev->start_mark, 1, out);
	if (tag == NULL || strcmp(tag, "!") == 0 ||
	    strcmp(tag, TAG("str")) == 0) {
		if ((*out = json_object_new_string_len(s, (int)n)) == NULL)
			log_fatal(EX_OSERR, "out of memory");
		return 0;
	}
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(tag, tags[i].tag) == 0)
			break;
	if (i == sizeof(tags) / sizeof(tags[0]))
		return fail(yp, ev->start_mark, "the tag %s is not supported",
		    tag);
	if (plain(yp, s, n, ev->start_mark, 0, out) == -1)
		return -1;
	got = *out == NULL ? json_type_null : json_object_get_type(*out);
	if (got == json_type_int && tags[i].type == json_type_double) {
		got = json_type_double;
		iv = json_object_get_int64(*out);
		json_object_put(*out);
		if ((*out = json_object_new_double((double)iv)) == NULL)
			log_fatal(EX_OSERR, "out of memory");
	}
	if (got == tags[i].type)
		return 0;
	json_object_put(*out);
	*out = NULL;
	return fail(yp, ev->start_mark, "a scalar tagged %s is not of that "
	    "type", tag);
}

/* A plain scalar's value (yml.h); timestamps: refuse what would be one. */
static int
plain(struct yp *yp, const char *s, size_t n, yaml_mark_t m, int timestamps,
    struct json_object **out)
{
	static const struct { const char *w; int v; } words[] = {
		{ "~", 0 }, { "null", 0 }, { "Null", 0 }, { "NULL", 0 },
		{ "true", 1 }, { "True", 1 }, { "TRUE", 1 },
		{ "false", 2 }, { "False", 2 }, { "FALSE", 2 },
		{ ".nan", 3 }, { ".NaN", 3 }, { ".NAN", 3 },
		{ ".inf", 4 }, { ".Inf", 4 }, { ".INF", 4 },
		{ "+.inf", 4 }, { "+.Inf", 4 }, { "+.INF", 4 },
		{ "-.inf", 5 }, { "-.Inf", 5 }, { "-.INF", 5 },
	};
	char *t, *q;
	size_t i;
	int64_t iv;
	double d;

	*out = NULL;
	if (n == 0)
		return 0;
	if (memchr(s, '\0', n) != NULL)
		goto string;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i].w) == 0)
			break;
	if (i < sizeof(words) / sizeof(words[0])) {
		switch (words[i].v) {
		case 0:
			return 0;
		case 1:
		case 2:
			*out = json_object_new_boolean(words[i].v == 1);
			break;
		default:
			*out = json_object_new_double(words[i].v == 3 ? NAN :
			    words[i].v == 4 ? INFINITY : -INFINITY);
			break;
		}
		goto made;
	}
	if (s[0] == '.') {
		errno = 0;
		if (is_float(s) && ((d = strtod(s, NULL)), errno != ERANGE ||
		    !isinf(d))) {
			*out = json_object_new_double(d);
			goto made;
		}
		goto string;
	}
	if ((s[0] < '0' || s[0] > '9') && s[0] != '+' && s[0] != '-')
		goto string;
	if (timestamps && is_time(s, n))
		return fail(yp, m, "dates and times are not supported");
	/* yaml.v3 drops every '_' first. */
	if ((t = malloc(n + 1)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	for (q = t, i = 0; i < n; i++)
		if (s[i] != '_')
			*q++ = s[i];
	*q = '\0';
	if (goflag_parse_int(t, &iv) == 0)
		*out = json_object_new_int64(iv);
	else if (is_float(t)) {
		errno = 0;
		d = strtod(t, NULL);
		if (errno != ERANGE || !isinf(d))
			*out = json_object_new_double(d);
	}
	free(t);
	if (*out != NULL)
		return 0;
string:
	*out = json_object_new_string_len(s, (int)n);
made:
	if (*out == NULL)
		log_fatal(EX_OSERR, "out of memory");
	return 0;
}

/*
 * yaml.v3's yamlStyleFloat:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 */
static int
is_float(const char *p)
{
	size_t k = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			k++;
	} else {
		for (; *p >= '0' && *p <= '9'; p++)
			k++;
		if (k > 0 && *p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (k == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/*
 * What yaml.v3 would take for a timestamp: YYYY-M-D alone, or followed by
 * T, t or a space and an hour with its colon.
 */
static int
is_time(const char *s, size_t n)
{
	size_t i, part, k;

	for (i = 0, part = 0; part < 3; part++) {
		for (k = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			k++;
		if (part == 0 ? k != 4 : k < 1 || k > 2)
			return 0;
		if (part < 2 && (i == n || s[i++] != '-'))
			return 0;
	}
	if (i == n)
		return 1;
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return 0;
	for (k = 0, i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		k++;
	return k >= 1 && k <= 2 && i < n && s[i] == ':';
}

/* A sequence or a mapping starts. */
static int
open_node(struct yp *yp, const yaml_event_t *ev, int map)
{
	struct frame *f;
	const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor :
	    ev->data.sequence_start.anchor;

	if (yp->depth == YML_MAX_DEPTH)
		return fail(yp, ev->start_mark, "nested deeper than %d levels",
		    YML_MAX_DEPTH);
	f = &yp->st[yp->depth++];
	memset(f, 0, sizeof(*f));
	f->map = map;
	f->mark = ev->start_mark;
	f->node = map ? json_object_new_object() : json_object_new_array();
	if (f->node == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if (anchor != NULL)
		f->anchor = xstrndup((const char *)anchor,
		    strlen((const char *)anchor));
	return 0;
}

/* The collection on top ends: merged, registered, given to its parent. */
static int
close_node(struct yp *yp, yaml_mark_t m)
{
	struct frame *f = &yp->st[yp->depth - 1];
	struct item it;
	int rc = 0;

	if (f->map)
		rc = merge_apply(yp, f, m);
	yp->depth--;
	memset(&it, 0, sizeof(it));
	it.node = f->node;
	it.mark = f->mark;
	if (rc == 0 && f->anchor != NULL)
		anchor_set(yp, f->anchor, f->node, NULL, 0);
	free(f->anchor);
	free(f->key);
	json_object_put(f->sources);
	if (rc == -1) {
		json_object_put(f->node);
		return -1;
	}
	return add(yp, &it);
}

/* Gives it (its reference) to the collection on top, or makes it the
 * document. */
static int
add(struct yp *yp, struct item *it)
{
	struct frame *f;

	if (yp->depth == 0) {
		if (it->node != NULL &&
		    !json_object_is_type(it->node, json_type_object)) {
			json_object_put(it->node);
			return fail(yp, it->mark, "the document is not a "
			    "mapping");
		}
		yp->root = it->node;
		return 0;
	}
	f = &yp->st[yp->depth - 1];
	if (!f->map) {
		if (json_object_array_add(f->node, it->node) != 0)
			log_fatal(EX_OSERR, "out of memory");
		return 0;
	}
	if (f->merge) {
		f->merge = 0;
		return merge_source(yp, f, it);
	}
	if (f->key != NULL) {
		if (json_object_object_add(f->node, f->key, it->node) != 0)
			log_fatal(EX_OSERR, "out of memory");
		free(f->key);
		f->key = NULL;
		return 0;
	}
	/* A key. */
	json_object_put(it->node);
	if (it->text == NULL)
		return fail(yp, it->mark, "a mapping key must be a scalar");
	if (memchr(it->text, '\0', it->len) != NULL)
		return fail(yp, it->mark, "a key cannot contain NUL");
	if (it->merge ? f->merged : json_object_object_get_ex(f->node,
	    it->text, NULL))
		return fail(yp, it->mark, "mapping key \"%s\" already defined",
		    it->text);
	if (it->merge)
		f->merge = f->merged = 1;
	else
		f->key = xstrndup(it->text, it->len);
	return 0;
}

/* The value of "<<": a mapping, or a sequence of mappings. */
static int
merge_source(struct yp *yp, struct frame *f, struct item *it)
{
	struct json_object *o = it->node, *e;
	size_t i, n = 0;
	int ok = o != NULL;

	if (ok && json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n && ok; i++)
			ok = json_object_is_type(json_object_array_get_idx(o,
			    i), json_type_object);
	} else if (ok)
		ok = json_object_is_type(o, json_type_object);
	if (!ok) {
		json_object_put(o);
		return fail(yp, it->mark, "a merge key needs a mapping or a "
		    "sequence of mappings");
	}
	if (f->sources == NULL && (f->sources = json_object_new_array()) ==
	    NULL)
		log_fatal(EX_OSERR, "out of memory");
	for (i = 0; i < (json_object_is_type(o, json_type_array) ? n : 1);
	    i++) {
		e = json_object_is_type(o, json_type_array) ?
		    json_object_array_get_idx(o, i) : o;
		if (json_object_array_add(f->sources, json_object_get(e)) != 0)
			log_fatal(EX_OSERR, "out of memory");
	}
	json_object_put(o);
	return 0;
}

/* The members of the merged mappings that f's mapping lacks. */
static int
merge_apply(struct yp *yp, struct frame *f, yaml_mark_t m)
{
	struct json_object_iterator it, end;
	struct json_object *src;
	const char *k;
	size_t i, n;

	n = f->sources != NULL ? json_object_array_length(f->sources) : 0;
	for (i = 0; i < n; i++) {
		src = json_object_array_get_idx(f->sources, i);
		it = json_object_iter_begin(src);
		end = json_object_iter_end(src);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			k = json_object_iter_peek_name(&it);
			if (json_object_object_get_ex(f->node, k, NULL))
				continue;
			if (++yp->merged > YML_MAX_MERGED)
				return fail(yp, m, "merge keys copy more than "
				    "%d members", YML_MAX_MERGED);
			if (json_object_object_add(f->node, k, json_object_get(
			    json_object_iter_peek_value(&it))) != 0)
				log_fatal(EX_OSERR, "out of memory");
		}
	}
	return 0;
}

/* Registers an anchor; a later one of the same name replaces it. */
static void
anchor_set(struct yp *yp, const char *name, struct json_object *node,
    const char *text, size_t len)
{
	struct anchor *a;

	if ((a = reallocarray(yp->anchors, yp->nanchors + 1,
	    sizeof(*a))) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	yp->anchors = a;
	a = &yp->anchors[yp->nanchors++];
	a->name = xstrndup(name, strlen(name));
	a->node = node != NULL ? json_object_get(node) : NULL;
	a->text = text != NULL ? xstrndup(text, len) : NULL;
	a->len = len;
	if ((yp->index == NULL && (yp->index = json_object_new_object()) ==
	    NULL) || json_object_object_add(yp->index, name,
	    json_object_new_int64((int64_t)yp->nanchors - 1)) != 0)
		log_fatal(EX_OSERR, "out of memory");
}

static const struct anchor *
anchor_find(const struct yp *yp, const char *name)
{
	struct json_object *i;

	if (yp->index == NULL || !json_object_object_get_ex(yp->index, name,
	    &i))
		return NULL;
	return &yp->anchors[json_object_get_int64(i)];
}

static void *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		log_fatal(EX_OSERR, "out of memory");
	return p;
}

/* Everything but the root. */
static void
cleanup(struct yp *yp)
{
	size_t i;

	while (yp->depth > 0) {
		struct frame *f = &yp->st[--yp->depth];

		json_object_put(f->node);
		json_object_put(f->sources);
		free(f->anchor);
		free(f->key);
	}
	for (i = 0; i < yp->nanchors; i++) {
		free(yp->anchors[i].name);
		free(yp->anchors[i].text);
		json_object_put(yp->anchors[i].node);
	}
	free(yp->anchors);
	json_object_put(yp->index);
}
