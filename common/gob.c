/*
 * gob: a decoder of Go encoding/gob streams, written from the wire format
 * (SPEC 5.3).  A stream is a sequence of messages, each an unsigned byte
 * count and then that many bytes starting with a signed type id: -t
 * introduces the definition of type t (a wireType value), +t a value of
 * type t.  The definitions are collected until the first value; they are
 * then sorted by id and their references resolved once, so that decoding
 * the value follows pointers and never searches.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "gob.h"
#include "log.h"

/* The kinds of wire types; the first eight are the predefined ids. */
enum wkind {
	WK_BOOL = 1,
	WK_INT = 2,
	WK_UINT = 3,
	WK_FLOAT = 4,
	WK_BYTES = 5,
	WK_STRING = 6,
	WK_COMPLEX = 7,
	WK_INTERFACE = 8,
	WK_ARRAY,
	WK_SLICE,
	WK_STRUCT,
	WK_MAP
};

struct wtype;

/* One field of a wire struct; its name points into the input. */
struct wfield {
	const char		*name;
	size_t			 namelen;
	int64_t			 id;
	const struct wtype	*type;		/* NULL when undefined */
};

/* A type of the stream: predefined, or defined by a wireType message. */
struct wtype {
	int64_t			 id;
	enum wkind		 kind;
	const char		*name;		/* CommonType.Name, may be "" */
	size_t			 namelen;
	int64_t			 elem_id;	/* arrays, slices, maps */
	int64_t			 key_id;	/* maps */
	const struct wtype	*elem;
	const struct wtype	*key;
	uint64_t		 len;		/* arrays */
	struct wfield		*fields;	/* structs */
	size_t			 nfields;
	size_t			 offset;	/* where its definition starts */
};

static const struct wtype builtins[] = {
	{ .id = 1, .kind = WK_BOOL, .name = "bool", .namelen = 4 },
	{ .id = 2, .kind = WK_INT, .name = "int", .namelen = 3 },
	{ .id = 3, .kind = WK_UINT, .name = "uint", .namelen = 4 },
	{ .id = 4, .kind = WK_FLOAT, .name = "float", .namelen = 5 },
	{ .id = 5, .kind = WK_BYTES, .name = "[]byte", .namelen = 6 },
	{ .id = 6, .kind = WK_STRING, .name = "string", .namelen = 6 },
	{ .id = 7, .kind = WK_COMPLEX, .name = "complex", .namelen = 7 },
	{ .id = 8, .kind = WK_INTERFACE, .name = "interface", .namelen = 9 },
};

/* The highest predefined id (MapType); definitions must use larger ones. */
#define LAST_PREDEFINED_ID	23

/* The decoder's state for one gob_decode call. */
struct dec {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	size_t			 end;		/* of the current message */
	struct wtype		*types;		/* the stream's definitions */
	size_t			 ntypes;
	size_t			 captypes;
	size_t			 nfields;	/* over all definitions */
	size_t			 nvalues;	/* made for the result */
	char			*err;
	size_t			 errsz;
	int			 failed;
	char			 path[256];	/* JSON path of the value */
	size_t			 pathlen;
};

static int	fail(struct dec *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	need(struct dec *, size_t, size_t, const char *);
static int	rd_uint(struct dec *, uint64_t *);
static int	rd_int(struct dec *, int64_t *);
static int	rd_bytes(struct dec *, const unsigned char **, size_t *);
static int	rd_typeref(struct dec *, int64_t *);
static int	rd_count(struct dec *, uint64_t *, const char *);
static int	next_field(struct dec *, int64_t *, size_t);
static int	rd_common(struct dec *, struct wtype *);
static int	rd_container(struct dec *, struct wtype *);
static int	rd_fieldtype(struct dec *, struct wfield *);
static int	rd_struct(struct dec *, struct wtype *);
static int	rd_definition(struct dec *, int64_t, size_t);
static int	cmp_type(const void *, const void *);
static const struct wtype *find_type(const struct dec *, int64_t);
static int	resolve(struct dec *);
static void	describe(const struct wtype *, char *, size_t);
static size_t	path_push(struct dec *, const char *, size_t);
static void	path_pop(struct dec *, size_t);
static struct json_object *new_string(struct dec *, const unsigned char *,
		    size_t);
static void	obj_add(struct json_object *, const char *,
		    struct json_object *);
static int	skip_value(struct dec *, const struct wtype *, int);
static int	skip_struct(struct dec *, const struct wtype *, int);
static int	dec_value(struct dec *, const struct gob_schema *,
		    const struct wtype *, int, struct json_object **);
static int	dec_struct(struct dec *, const struct gob_schema *,
		    const struct wtype *, int, struct json_object **);
static int	dec_map(struct dec *, const struct gob_schema *,
		    const struct wtype *, int, struct json_object **);
static int	dec_slice(struct dec *, const struct gob_schema *,
		    const struct wtype *, int, struct json_object **);
static int	compatible(const struct gob_schema *, const struct wtype *);
static int	count_values(struct dec *, size_t, size_t);
static int	dec_top(struct dec *, const struct gob_schema *, int64_t,
		    struct json_object **);
static void	dec_free(struct dec *);

/* Records the first error, at byte offset off; always returns -1. */
static int
fail(struct dec *d, size_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (d->failed)
		return -1;
	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->pathlen > 0)
		snprintf(d->err, d->errsz, "gob: offset %zu: %s: %s", off,
		    d->path, msg);
	else
		snprintf(d->err, d->errsz, "gob: offset %zu: %s", off, msg);
	return -1;
}

/* Checks that n more bytes of the current message remain. */
static int
need(struct dec *d, size_t off, size_t n, const char *what)
{
	if (n > d->end - d->pos)
		return fail(d, off, "truncated %s: %zu bytes needed, %zu left "
		    "in the message", what, n, d->end - d->pos);
	return 0;
}

static int
rd_uint(struct dec *d, uint64_t *v)
{
	size_t off = d->pos, n, i;
	unsigned int b;

	if (need(d, off, 1, "unsigned integer") == -1)
		return -1;
	b = d->p[d->pos++];
	if (b < 0x80) {
		*v = b;
		return 0;
	}
	n = 256 - b;
	if (n > 8)
		return fail(d, off, "invalid unsigned integer length byte "
		    "0x%02x", b);
	if (need(d, off, n, "unsigned integer") == -1)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | d->p[d->pos++];
	return 0;
}

static int
rd_int(struct dec *d, int64_t *v)
{
	uint64_t u;

	if (rd_uint(d, &u) == -1)
		return -1;
	*v = (int64_t)(u >> 1);
	if (u & 1)
		*v = ~*v;
	return 0;
}

/* Reads a length-prefixed byte string; *s points into the input. */
static int
rd_bytes(struct dec *d, const unsigned char **s, size_t *n)
{
	size_t off = d->pos;
	uint64_t u;

	if (rd_uint(d, &u) == -1)
		return -1;
	if (u > d->end - d->pos)
		return fail(d, off, "string of %" PRIu64 " bytes, but only %zu "
		    "bytes left in the message", u, d->end - d->pos);
	*s = d->p + d->pos;
	*n = (size_t)u;
	d->pos += (size_t)u;
	return 0;
}

/* Reads a type id inside a definition: 0 (undefined) or 1..INT32_MAX. */
static int
rd_typeref(struct dec *d, int64_t *id)
{
	size_t off = d->pos;

	if (rd_int(d, id) == -1)
		return -1;
	if (*id < 0 || *id > INT32_MAX)
		return fail(d, off, "invalid type id %" PRId64, *id);
	return 0;
}

/*
 * Reads an element count; every element takes at least one byte, so a
 * count larger than what is left of the message is corrupt.
 */
static int
rd_count(struct dec *d, uint64_t *n, const char *what)
{
	size_t off = d->pos;

	if (rd_uint(d, n) == -1)
		return -1;
	if (*n > d->end - d->pos)
		return fail(d, off, "%s of %" PRIu64 " elements, but only %zu "
		    "bytes left in the message", what, *n, d->end - d->pos);
	return 0;
}

/*
 * Reads the next field delta of a struct of nfields fields; *f holds the
 * previous field number (-1 at the start).  Returns 1 with the new field
 * number in *f, 0 at the end of the struct, or -1.
 */
static int
next_field(struct dec *d, int64_t *f, size_t nfields)
{
	size_t off = d->pos;
	uint64_t delta;

	if (rd_uint(d, &delta) == -1)
		return -1;
	if (delta == 0)
		return 0;
	if (delta > (uint64_t)nfields - (uint64_t)(*f + 1))
		return fail(d, off, "field delta %" PRIu64 " after field %"
		    PRId64 " is past the last of %zu fields", delta, *f,
		    nfields);
	*f += (int64_t)delta;
	return 1;
}

/* CommonType {Name string; Id int}: the id is informational here. */
static int
rd_common(struct dec *d, struct wtype *t)
{
	const unsigned char *s;
	int64_t f = -1, id;
	int r;

	while ((r = next_field(d, &f, 2)) == 1) {
		if (f == 0) {
			if (rd_bytes(d, &s, &t->namelen) == -1)
				return -1;
			t->name = (const char *)s;
		} else if (rd_int(d, &id) == -1)
			return -1;
	}
	return r;
}

/*
 * arrayType {CommonType; Elem typeId; Len int}, sliceType {CommonType;
 * Elem typeId} or mapType {CommonType; Key typeId; Elem typeId}, as
 * t->kind (WK_ARRAY, WK_SLICE, WK_MAP) says.
 */
static int
rd_container(struct dec *d, struct wtype *t)
{
	int64_t f = -1, n;
	size_t off;
	int r;

	while ((r = next_field(d, &f, t->kind == WK_SLICE ? 2 : 3)) == 1) {
		off = d->pos;
		if (f == 0)
			r = rd_common(d, t);
		else if (f == 1)
			r = rd_typeref(d, t->kind == WK_MAP ? &t->key_id :
			    &t->elem_id);
		else if (t->kind == WK_MAP)
			r = rd_typeref(d, &t->elem_id);
		else {
			if ((r = rd_int(d, &n)) == -1)
				return -1;
			if (n < 0)
				return fail(d, off, "negative array length %"
				    PRId64, n);
			t->len = (uint64_t)n;
		}
		if (r == -1)
			return -1;
	}
	return r;
}

/* fieldType {Name string; Id typeId} */
static int
rd_fieldtype(struct dec *d, struct wfield *wf)
{
	const unsigned char *s;
	int64_t f = -1;
	int r;

	while ((r = next_field(d, &f, 2)) == 1) {
		if (f == 0) {
			r = rd_bytes(d, &s, &wf->namelen);
			wf->name = (const char *)s;
		} else
			r = rd_typeref(d, &wf->id);
		if (r == -1)
			return -1;
	}
	return r;
}

/* structType {CommonType; Field []*fieldType} */
static int
rd_struct(struct dec *d, struct wtype *t)
{
	int64_t f = -1;
	uint64_t n, i;
	size_t off;
	int r;

	t->kind = WK_STRUCT;
	while ((r = next_field(d, &f, 2)) == 1) {
		if (f == 0) {
			if (rd_common(d, t) == -1)
				return -1;
			continue;
		}
		off = d->pos;
		if (rd_count(d, &n, "field list") == -1)
			return -1;
		if (n > GOB_MAX_FIELDS - d->nfields)
			return fail(d, off, "more than %d struct fields in the "
			    "type definitions", GOB_MAX_FIELDS);
		if (n == 0)
			continue;
		t->fields = calloc((size_t)n, sizeof(*t->fields));
		if (t->fields == NULL)
			log_fatal(EX_OSERR, "unable to allocate %" PRIu64
			    " struct fields", n);
		t->nfields = (size_t)n;
		d->nfields += (size_t)n;
		for (i = 0; i < n; i++)
			if (rd_fieldtype(d, &t->fields[i]) == -1)
				return -1;
	}
	return r;
}

/*
 * Reads the wireType that defines type id, a message that started at off.
 * A wireType is a struct of which exactly one field is set.
 */
static int
rd_definition(struct dec *d, int64_t id, size_t off)
{
	static const char *const marshalers[] = {
		"GobEncoder", "BinaryMarshaler", "TextMarshaler"
	};
	struct wtype *t, *nt;
	size_t ncap, foff;
	int64_t f = -1;
	int r, got = 0;

	if (id <= LAST_PREDEFINED_ID || id > INT32_MAX)
		return fail(d, off, "definition of reserved or invalid type id "
		    "%" PRId64, id);
	if (d->ntypes == GOB_MAX_TYPES)
		return fail(d, off, "more than %d type definitions",
		    GOB_MAX_TYPES);
	if (d->ntypes == d->captypes) {
		ncap = d->captypes ? d->captypes * 2 : 16;
		nt = reallocarray(d->types, ncap, sizeof(*nt));
		if (nt == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu types",
			    ncap);
		d->types = nt;
		d->captypes = ncap;
	}
	t = &d->types[d->ntypes++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->name = "";
	t->offset = off;
	while ((r = next_field(d, &f, 7)) == 1) {
		foff = d->pos;
		if (got)
			return fail(d, foff, "type %" PRId64 ": wireType has "
			    "more than one kind", id);
		got = 1;
		/* wireType {ArrayT; SliceT; StructT; MapT; marshalers} */
		if (f == 2)
			r = rd_struct(d, t);
		else if (f < 4) {
			t->kind = f == 0 ? WK_ARRAY : f == 1 ? WK_SLICE :
			    WK_MAP;
			r = rd_container(d, t);
		} else
			return fail(d, foff, "type %" PRId64 " is encoded by a "
			    "%s, which is not supported", id,
			    marshalers[f - 4]);
		if (r == -1)
			return -1;
	}
	if (r == -1)
		return -1;
	if (!got)
		return fail(d, off, "type %" PRId64 ": empty wireType", id);
	return 0;
}

static int
cmp_type(const void *a, const void *b)
{
	const struct wtype *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Returns the predefined or defined type id, or NULL. */
static const struct wtype *
find_type(const struct dec *d, int64_t id)
{
	struct wtype key;

	if (id >= WK_BOOL && id <= WK_INTERFACE)
		return &builtins[id - 1];
	if (d->ntypes == 0)
		return NULL;
	key.id = id;
	return bsearch(&key, d->types, d->ntypes, sizeof(*d->types),
	    cmp_type);
}

/*
 * Sorts the definitions, rejects duplicates and links every reference.
 * References to undefined ids stay NULL: they are an error only if a value
 * needs them.
 */
static int
resolve(struct dec *d)
{
	struct wtype *t;
	size_t i, j;

	if (d->ntypes > 0)
		qsort(d->types, d->ntypes, sizeof(*d->types), cmp_type);
	for (i = 1; i < d->ntypes; i++)
		if (d->types[i].id == d->types[i - 1].id) {
			j = d->types[i].offset > d->types[i - 1].offset ?
			    i : i - 1;
			return fail(d, d->types[j].offset, "type %" PRId64
			    " defined twice", d->types[i].id);
		}
	for (i = 0; i < d->ntypes; i++) {
		t = &d->types[i];
		t->elem = find_type(d, t->elem_id);
		t->key = find_type(d, t->key_id);
		for (j = 0; j < t->nfields; j++)
			t->fields[j].type = find_type(d, t->fields[j].id);
	}
	return 0;
}

/* Writes a short description of a wire type, for messages. */
static void
describe(const struct wtype *t, char *s, size_t n)
{
	static const char *const kinds[] = {
		[WK_ARRAY] = "array", [WK_SLICE] = "slice",
		[WK_STRUCT] = "struct", [WK_MAP] = "map"
	};

	if (t->kind <= WK_INTERFACE)
		snprintf(s, n, "%s", t->name);
	else if (t->namelen > 0)
		snprintf(s, n, "%s %.*s (type %" PRId64 ")", kinds[t->kind],
		    (int)(t->namelen > 64 ? 64 : t->namelen), t->name, t->id);
	else
		snprintf(s, n, "%s (type %" PRId64 ")", kinds[t->kind], t->id);
}

/*
 * Appends "." and the name s[0..n) to the path (cut to fit, unprintable
 * bytes shown as '?'); returns the length to restore with path_pop.
 */
static size_t
path_push(struct dec *d, const char *s, size_t n)
{
	size_t old = d->pathlen, i;

	if (old > 0 && d->pathlen + 1 < sizeof(d->path))
		d->path[d->pathlen++] = '.';
	if (n > 64)
		n = 64;
	for (i = 0; i < n && d->pathlen + 1 < sizeof(d->path); i++)
		d->path[d->pathlen++] = (s[i] >= 0x20 && s[i] < 0x7f) ?
		    s[i] : '?';
	d->path[d->pathlen] = '\0';
	return old;
}

static void
path_pop(struct dec *d, size_t old)
{
	if (d->failed)
		return;		/* keep the path of the error */
	d->pathlen = old;
	d->path[old] = '\0';
}

/* A JSON string of s[0..n), each byte that is not UTF-8 made U+FFFD. */
static struct json_object *
new_string(struct dec *d, const unsigned char *s, size_t n)
{
	struct json_object *o;
	struct buf b;

	if (n > INT_MAX) {
		fail(d, d->pos, "string of %zu bytes is too long", n);
		return NULL;
	}
	if (utf8_valid((const char *)s, n)) {
		if ((o = json_object_new_string_len((const char *)s,
		    (int)n)) == NULL)
			log_fatal(EX_OSERR, "unable to allocate a string");
		return o;
	}
	buf_init(&b);
	buf_utf8_repair(&b, (const char *)s, n);
	if (b.len > INT_MAX) {
		buf_free(&b);
		fail(d, d->pos, "string of %zu bytes is too long", n);
		return NULL;
	}
	o = json_object_new_string_len(b.data, (int)b.len);
	buf_free(&b);
	if (o == NULL)
		log_fatal(EX_OSERR, "unable to allocate a string");
	return o;
}

/* Adds v (which may be NULL, the JSON null) to o under key k. */
static void
obj_add(struct json_object *o, const char *k, struct json_object *v)
{
	if (json_object_object_add(o, k, v) != 0)
		log_fatal(EX_OSERR, "unable to add a JSON member");
}

struct json_object *
gob_zero(const struct gob_schema *s)
{
	struct json_object *o = NULL;
	size_t i;

	switch (s->kind) {
	case GOB_BOOL:
		o = json_object_new_boolean(0);
		break;
	case GOB_INT:
		o = json_object_new_int64(0);
		break;
	case GOB_STRING:
		o = json_object_new_string("");
		break;
	case GOB_STRUCT:
		o = json_object_new_object();
		if (o == NULL)
			break;
		for (i = 0; i < s->nfields; i++)
			obj_add(o, s->fields[i].json_name,
			    gob_zero(s->fields[i].schema));
		break;
	case GOB_MAP:
	case GOB_SLICE:
		return NULL;
	}
	if (o == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON value");
	return o;
}

size_t
gob_zero_values(const struct gob_schema *s)
{
	size_t i, n;

	switch (s->kind) {
	case GOB_STRUCT:
		for (i = 0, n = 1; i < s->nfields; i++)
			n += gob_zero_values(s->fields[i].schema);
		return n;
	case GOB_MAP:
	case GOB_SLICE:
		return 0;
	default:
		return 1;
	}
}

/* Accounts for n more values of the result, made at offset off. */
static int
count_values(struct dec *d, size_t off, size_t n)
{
	if (n > GOB_MAX_VALUES - d->nvalues)
		return fail(d, off, "the value has more than %d parts",
		    GOB_MAX_VALUES);
	d->nvalues += n;
	return 0;
}

/* Skips one value of wire type t. */
static int
skip_value(struct dec *d, const struct wtype *t, int depth)
{
	const unsigned char *s;
	size_t off = d->pos, n;
	uint64_t u, i;

	if (depth > GOB_MAX_DEPTH)
		return fail(d, off, "values nested more than %d deep",
		    GOB_MAX_DEPTH);
	switch (t->kind) {
	case WK_BOOL:
	case WK_INT:
	case WK_UINT:
	case WK_FLOAT:
		return rd_uint(d, &u);
	case WK_COMPLEX:
		if (rd_uint(d, &u) == -1)
			return -1;
		return rd_uint(d, &u);
	case WK_BYTES:
	case WK_STRING:
		return rd_bytes(d, &s, &n);
	case WK_INTERFACE:
		if (rd_bytes(d, &s, &n) == -1)
			return -1;
		if (n > 0)
			return fail(d, off, "interface values are not "
			    "supported");
		return 0;
	case WK_ARRAY:
	case WK_SLICE:
		if (rd_count(d, &u, t->kind == WK_ARRAY ? "array" :
		    "slice") == -1)
			return -1;
		if (t->kind == WK_ARRAY && u != t->len)
			return fail(d, off, "array of %" PRIu64 " elements, "
			    "but its type has %" PRIu64, u, t->len);
		if (u > 0 && t->elem == NULL)
			return fail(d, off, "element type %" PRId64 " is not "
			    "defined", t->elem_id);
		for (i = 0; i < u; i++)
			if (skip_value(d, t->elem, depth + 1) == -1)
				return -1;
		return 0;
	case WK_MAP:
		if (rd_count(d, &u, "map") == -1)
			return -1;
		if (u > 0 && (t->key == NULL || t->elem == NULL))
			return fail(d, off, "key or element type of map type %"
			    PRId64 " is not defined", t->id);
		for (i = 0; i < u; i++)
			if (skip_value(d, t->key, depth + 1) == -1 ||
			    skip_value(d, t->elem, depth + 1) == -1)
				return -1;
		return 0;
	case WK_STRUCT:
		return skip_struct(d, t, depth);
	}
	return fail(d, off, "unknown wire type");
}

static int
skip_struct(struct dec *d, const struct wtype *t, int depth)
{
	const struct wfield *wf;
	int64_t f = -1;
	size_t off;
	int r;

	for (;;) {
		off = d->pos;
		if ((r = next_field(d, &f, t->nfields)) != 1)
			return r;
		wf = &t->fields[f];
		if (wf->type == NULL)
			return fail(d, off, "field %.*s has undefined type %"
			    PRId64, (int)(wf->namelen > 64 ? 64 : wf->namelen),
			    wf->name, wf->id);
		if (skip_value(d, wf->type, depth + 1) == -1)
			return -1;
	}
}

/* Whether a value of wire type t can be decoded as schema s. */
static int
compatible(const struct gob_schema *s, const struct wtype *t)
{
	switch (s->kind) {
	case GOB_BOOL:
		return t->kind == WK_BOOL;
	case GOB_INT:
		return t->kind == WK_INT || t->kind == WK_UINT;
	case GOB_STRING:
		return t->kind == WK_STRING;
	case GOB_STRUCT:
		return t->kind == WK_STRUCT;
	case GOB_MAP:
		return t->kind == WK_MAP && (t->key == NULL ||
		    t->key->kind == WK_STRING);
	case GOB_SLICE:
		return t->kind == WK_SLICE;
	}
	return 0;
}

static int
dec_value(struct dec *d, const struct gob_schema *s, const struct wtype *t,
    int depth, struct json_object **out)
{
	const unsigned char *str;
	char desc[128];
	size_t off = d->pos, n;
	uint64_t u;
	int64_t v;

	*out = NULL;
	if (depth > GOB_MAX_DEPTH)
		return fail(d, off, "values nested more than %d deep",
		    GOB_MAX_DEPTH);
	if (!compatible(s, t)) {
		describe(t, desc, sizeof(desc));
		return fail(d, off, "wire type %s does not match the expected "
		    "%s", desc, s->name);
	}
	if (count_values(d, off, 1) == -1)
		return -1;
	switch (s->kind) {
	case GOB_BOOL:
		if (rd_uint(d, &u) == -1)
			return -1;
		if (u > 1)
			return fail(d, off, "boolean value %" PRIu64, u);
		*out = json_object_new_boolean(u == 1);
		break;
	case GOB_INT:
		if (t->kind == WK_INT) {
			if (rd_int(d, &v) == -1)
				return -1;
		} else {
			if (rd_uint(d, &u) == -1)
				return -1;
			if (u > INT64_MAX)
				return fail(d, off, "unsigned value %" PRIu64
				    " is out of range", u);
			v = (int64_t)u;
		}
		*out = json_object_new_int64(v);
		break;
	case GOB_STRING:
		if (rd_bytes(d, &str, &n) == -1)
			return -1;
		if ((*out = new_string(d, str, n)) == NULL)
			return -1;
		break;
	case GOB_STRUCT:
		return dec_struct(d, s, t, depth, out);
	case GOB_MAP:
		return dec_map(d, s, t, depth, out);
	case GOB_SLICE:
		return dec_slice(d, s, t, depth, out);
	}
	if (*out == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON value");
	return 0;
}

static int
dec_struct(struct dec *d, const struct gob_schema *s, const struct wtype *t,
    int depth, struct json_object **out)
{
	struct json_object *slot[GOB_SCHEMA_MAX_FIELDS] = { NULL };
	struct json_object *o;
	const struct gob_field *sf;
	const struct wfield *wf;
	int64_t f = -1;
	size_t off, i, old;
	int r;

	for (;;) {
		off = d->pos;
		if ((r = next_field(d, &f, t->nfields)) != 1)
			break;
		wf = &t->fields[f];
		if (wf->type == NULL) {
			r = fail(d, off, "field %.*s has undefined type %"
			    PRId64, (int)(wf->namelen > 64 ? 64 : wf->namelen),
			    wf->name, wf->id);
			break;
		}
		for (i = 0; i < s->nfields && i < GOB_SCHEMA_MAX_FIELDS; i++) {
			sf = &s->fields[i];
			if (strlen(sf->go_name) == wf->namelen &&
			    memcmp(sf->go_name, wf->name, wf->namelen) == 0)
				break;
		}
		if (i == s->nfields || i == GOB_SCHEMA_MAX_FIELDS) {
			old = path_push(d, wf->name, wf->namelen);
			r = skip_value(d, wf->type, depth + 1);
			path_pop(d, old);
		} else {
			old = path_push(d, s->fields[i].json_name,
			    strlen(s->fields[i].json_name));
			json_object_put(slot[i]);
			r = dec_value(d, s->fields[i].schema, wf->type,
			    depth + 1, &slot[i]);
			path_pop(d, old);
		}
		if (r == -1)
			break;
	}
	for (i = 0; r == 0 && i < s->nfields && i < GOB_SCHEMA_MAX_FIELDS; i++)
		if (slot[i] == NULL)
			r = count_values(d, off,
			    gob_zero_values(s->fields[i].schema));
	if (r == -1) {
		for (i = 0; i < GOB_SCHEMA_MAX_FIELDS; i++)
			json_object_put(slot[i]);
		return -1;
	}
	if ((o = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON object");
	for (i = 0; i < s->nfields && i < GOB_SCHEMA_MAX_FIELDS; i++) {
		sf = &s->fields[i];
		obj_add(o, sf->json_name, slot[i] != NULL ? slot[i] :
		    gob_zero(sf->schema));
	}
	*out = o;
	return 0;
}

static int
dec_map(struct dec *d, const struct gob_schema *s, const struct wtype *t,
    int depth, struct json_object **out)
{
	struct json_object *o, *v;
	const unsigned char *k;
	char *key;
	size_t off = d->pos, n, old;
	uint64_t cnt, i;

	if (rd_count(d, &cnt, "map") == -1)
		return -1;
	if (cnt > 0 && (t->key == NULL || t->elem == NULL))
		return fail(d, off, "key or element type of map type %" PRId64
		    " is not defined", t->id);
	if ((o = json_object_new_object()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON object");
	for (i = 0; i < cnt; i++) {
		if (rd_bytes(d, &k, &n) == -1)
			goto bad;
		/* Keys are NUL-terminated C strings in json-c. */
		if (memchr(k, '\0', n) != NULL) {
			fail(d, d->pos - n, "map key contains a NUL byte");
			goto bad;
		}
		if ((v = new_string(d, k, n)) == NULL)
			goto bad;
		key = strdup(json_object_get_string(v));
		json_object_put(v);
		if (key == NULL)
			log_fatal(EX_OSERR, "unable to allocate a map key");
		old = path_push(d, key, strlen(key));
		if (dec_value(d, s->elem, t->elem, depth + 1, &v) == -1) {
			free(key);
			goto bad;
		}
		path_pop(d, old);
		obj_add(o, key, v);
		free(key);
	}
	*out = o;
	return 0;
bad:
	json_object_put(o);
	return -1;
}

static int
dec_slice(struct dec *d, const struct gob_schema *s, const struct wtype *t,
    int depth, struct json_object **out)
{
	struct json_object *a, *v;
	size_t off = d->pos;
	uint64_t cnt, i;

	if (rd_count(d, &cnt, "slice") == -1)
		return -1;
	if (cnt > 0 && t->elem == NULL)
		return fail(d, off, "element type %" PRId64 " is not defined",
		    t->elem_id);
	if ((a = json_object_new_array()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON array");
	for (i = 0; i < cnt; i++) {
		if (dec_value(d, s->elem, t->elem, depth + 1, &v) == -1) {
			json_object_put(a);
			return -1;
		}
		if (json_object_array_add(a, v) != 0)
			log_fatal(EX_OSERR, "unable to grow a JSON array");
	}
	*out = a;
	return 0;
}

/* Decodes the value message of type id (after its type id) as schema s. */
static int
dec_top(struct dec *d, const struct gob_schema *s, int64_t id,
    struct json_object **out)
{
	const struct wtype *t;
	const struct gob_field *sf;
	size_t off = d->pos, i, j;
	char desc[128];

	if (resolve(d) == -1)
		return -1;
	if ((t = find_type(d, id)) == NULL)
		return fail(d, off, "value of undefined type %" PRId64, id);
	if (t->kind != WK_STRUCT) {
		describe(t, desc, sizeof(desc));
		return fail(d, off, "the first value is a %s, not a %s", desc,
		    s->name);
	}
	for (i = 0; i < t->nfields; i++)
		for (j = 0; j < s->nfields; j++) {
			sf = &s->fields[j];
			if (strlen(sf->go_name) == t->fields[i].namelen &&
			    memcmp(sf->go_name, t->fields[i].name,
			    t->fields[i].namelen) == 0)
				goto match;
		}
	describe(t, desc, sizeof(desc));
	return fail(d, off, "the first value, a %s, has none of the fields "
	    "of %s", desc, s->name);
match:
	if (count_values(d, off, 1) == -1 || dec_struct(d, s, t, 0, out) == -1)
		return -1;
	if (d->pos != d->end) {
		json_object_put(*out);
		*out = NULL;
		return fail(d, d->pos, "%zu bytes left after the value",
		    d->end - d->pos);
	}
	return 0;
}

static void
dec_free(struct dec *d)
{
	size_t i;

	for (i = 0; i < d->ntypes; i++)
		free(d->types[i].fields);
	free(d->types);
}

int
gob_decode(const void *data, size_t len, const struct gob_schema *top,
    struct json_object **out, char *err, size_t errsz)
{
	struct dec d = { .p = data, .len = len, .err = err, .errsz = errsz };
	size_t off;
	uint64_t n;
	int64_t id;
	int r = -1;

	*out = NULL;
	if (errsz > 0)
		err[0] = '\0';
	if (top->kind != GOB_STRUCT || top->nfields > GOB_SCHEMA_MAX_FIELDS) {
		fail(&d, 0, "the schema must be a struct of at most %d fields",
		    GOB_SCHEMA_MAX_FIELDS);
		goto done;
	}
	for (;;) {
		off = d.pos;
		if (d.pos == d.len) {
			fail(&d, off, d.len == 0 ? "empty input" :
			    "end of data before any value");
			break;
		}
		d.end = d.len;
		if (rd_uint(&d, &n) == -1)
			break;
		if (n == 0) {
			fail(&d, off, "empty message");
			break;
		}
		if (n > d.len - d.pos) {
			fail(&d, off, "message of %" PRIu64 " bytes, but only "
			    "%zu bytes remain", n, d.len - d.pos);
			break;
		}
		d.end = d.pos + (size_t)n;
		if (rd_int(&d, &id) == -1)
			break;
		if (id == 0) {
			fail(&d, off, "message with type id 0");
			break;
		}
		if (id > 0) {
			r = dec_top(&d, top, id, out);
			break;
		}
		if (id == INT64_MIN) {
			fail(&d, off, "invalid type id");
			break;
		}
		if (rd_definition(&d, -id, off) == -1)
			break;
		if (d.pos != d.end) {
			fail(&d, d.pos, "%zu bytes left after the definition "
			    "of type %" PRId64, d.end - d.pos, -id);
			break;
		}
	}
	dec_free(&d);
done:
	if (r == -1) {
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}
