/*
 * fuzz-json: what the targets that check json-c trees share (fuzz-toml,
 * fuzz-yaml): the parse and its message, the invariants of every tree,
 * writing values back, and the equality of the tree read again.
 */
#ifndef CCX_FUZZ_JSON_H
#define CCX_FUZZ_JSON_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fuzz.h"

/* toml_parse, yml_parse: a tree, or NULL with "line L, column C: what". */
typedef struct json_object *fuzz_json_parser(const char *, size_t, char *,
    size_t);

/* The position of a message in data, checked by the target. */
typedef void	fuzz_json_where(const char *err, unsigned long line,
    unsigned long col, const uint8_t *data, size_t size);

/*
 * Parses data.  A failure must leave the tree NULL and a message "line
 * L, column C: what" (where checks L and C); a success an empty message
 * and an object at the root, which is returned.
 */
static inline struct json_object *
fuzz_json_parse(fuzz_json_parser *parse, fuzz_json_where *where,
    const uint8_t *data, size_t size)
{
	struct json_object *root;
	unsigned long line, col;
	char err[512];
	int used = 0;

	memset(err, 'x', sizeof(err));
	root = parse((const char *)data, size, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "unterminated");
	if (root == NULL) {
		FUZZ_ASSERT(sscanf(err, "line %lu, column %lu: %n", &line,
		    &col, &used) == 2 && used > 0, "message \"%s\"", err);
		FUZZ_ASSERT(err[used] != '\0', "message \"%s\" says nothing",
		    err);
		where(err, line, col, data, size);
		return NULL;
	}
	FUZZ_ASSERT(err[0] == '\0', "message \"%s\" after success", err);
	FUZZ_ASSERT(json_object_is_type(root, json_type_object), "root");
	return root;
}

/*
 * Walks a parsed tree: every key and string must be valid UTF-8, and
 * check is called with every value and its depth (the root's is 0)
 * before the values inside it.
 */
static inline void
fuzz_json_walk(struct json_object *o, int depth,
    void (*check)(struct json_object *, int))
{
	struct json_object_iterator it, end;
	const char *k;
	size_t j, n;

	check(o, depth);
	switch (json_object_get_type(o)) {
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			k = json_object_iter_peek_name(&it);
			FUZZ_ASSERT(fuzz_utf8_ok((const unsigned char *)k,
			    strlen(k)), "key is not UTF-8");
			fuzz_json_walk(json_object_iter_peek_value(&it),
			    depth + 1, check);
		}
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (j = 0; j < n; j++)
			fuzz_json_walk(json_object_array_get_idx(o, j),
			    depth + 1, check);
		break;
	case json_type_string:
		FUZZ_ASSERT(fuzz_utf8_ok((const unsigned char *)
		    json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)),
		    "string is not UTF-8");
		break;
	default:
		break;
	}
}

/* An array as TOML and YAML both write it: "[a, b]", put writing each. */
static inline void
fuzz_json_put_array(struct buf *b, struct json_object *a,
    void (*put)(struct buf *, struct json_object *))
{
	size_t j, n = json_object_array_length(a);

	buf_putc(b, '[');
	for (j = 0; j < n; j++) {
		if (j > 0)
			buf_puts(b, ", ");
		put(b, json_object_array_get_idx(a, j));
	}
	buf_putc(b, ']');
}

/*
 * An integer, a float or a boolean as TOML and YAML both write it (a
 * float with a point or an exponent; NaN as nan, infinities as inf and
 * "-" inf: TOML's nan and inf, YAML's .nan and .inf), or a string as
 * put_string writes it.  Returns 0 for anything else, having written
 * nothing.
 */
static inline int
fuzz_json_put_plain(struct buf *b, struct json_object *o, const char *nan,
    const char *inf, void (*put_string)(struct buf *, const char *, size_t))
{
	char tmp[64];
	double d;

	switch (json_object_get_type(o)) {
	case json_type_string:
		put_string(b, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		return 1;
	case json_type_int:
		buf_printf(b, "%" PRId64, json_object_get_int64(o));
		return 1;
	case json_type_boolean:
		buf_puts(b, json_object_get_boolean(o) ? "true" : "false");
		return 1;
	case json_type_double:
		d = json_object_get_double(o);
		if (isnan(d))
			buf_puts(b, nan);
		else if (isinf(d))
			buf_printf(b, "%s%s", d > 0 ? "" : "-", inf);
		else {
			snprintf(tmp, sizeof(tmp), "%.17g", d);
			buf_puts(b, tmp);
			if (strpbrk(tmp, ".e") == NULL)
				buf_puts(b, ".0");
		}
		return 1;
	default:
		return 0;
	}
}

/* Deep equality, members in any order; NaN equals NaN, -0.0 does not
 * equal 0.0. */
static inline int
fuzz_json_equal(struct json_object *a, struct json_object *b)
{
	struct json_object_iterator it, end;
	struct json_object *v;
	size_t j, n;
	double x, y;

	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_object:
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		it = json_object_iter_begin(a);
		end = json_object_iter_end(a);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (!json_object_object_get_ex(b,
			    json_object_iter_peek_name(&it), &v) ||
			    !fuzz_json_equal(json_object_iter_peek_value(&it),
			    v))
				return 0;
		return 1;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (j = 0; j < n; j++)
			if (!fuzz_json_equal(json_object_array_get_idx(a, j),
			    json_object_array_get_idx(b, j)))
				return 0;
		return 1;
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_int:
		return json_object_get_int64(a) == json_object_get_int64(b);
	case json_type_double:
		x = json_object_get_double(a);
		y = json_object_get_double(b);
		if (isnan(x) || isnan(y))
			return isnan(x) && isnan(y);
		return x == y && signbit(x) == signbit(y);
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	default:
		return 1;
	}
}

/* text, written from root, parses again to a tree equal to root. */
static inline void
fuzz_json_again(fuzz_json_parser *parse, struct json_object *root,
    const struct buf *text)
{
	struct json_object *again;
	char err[512];

	again = parse(text->data, text->len, err, sizeof(err));
	FUZZ_ASSERT(again != NULL, "written back, it fails: %s\n%s", err,
	    text->data);
	FUZZ_ASSERT(fuzz_json_equal(root, again), "written back, it "
	    "differs:\n%s", text->data);
	json_object_put(again);
}

#endif
