/*
 * fuzz-toml: toml_parse (common/toml.c) on any bytes.
 *
 * Checked: an error leaves the tree NULL and a message "line L, column C:
 * what" whose position is inside the text (or just after it); success
 * leaves the message empty and gives a tree of tables, strings, int64s,
 * doubles, booleans and arrays of scalars, no deeper than two key limits,
 * with valid UTF-8 in every key and string and no NUL in a key.  Then the
 * tree is written back as TOML (every key and string quoted, every float
 * with a point) and parsed again: the second tree equals the first.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fuzz.h"
#include "fuzz-json.h"
#include "toml.h"

static void	check_value(struct json_object *, int);
static void	put_string(struct buf *, const char *, size_t);
static void	put_scalar(struct buf *, struct json_object *);
static void	put_table(struct buf *, struct json_object *, struct buf *);
static int	depth_of(struct json_object *);
static void	check_position(const char *, unsigned long, unsigned long,
		    const uint8_t *, size_t);

/* The invariants of each value of a tree toml_parse returned. */
static void
check_value(struct json_object *o, int depth)
{
	struct json_object *e;
	size_t j, n;

	FUZZ_ASSERT(depth <= 2 * TOML_MAX_DEPTH + 1, "depth %d", depth);
	switch (json_object_get_type(o)) {
	case json_type_object:
		FUZZ_ASSERT(json_object_get_userdata(o) == NULL,
		    "a table keeps the parse's userdata");
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (j = 0; j < n; j++) {
			e = json_object_array_get_idx(o, j);
			FUZZ_ASSERT(e != NULL, "null in an array");
			FUZZ_ASSERT(!json_object_is_type(e, json_type_array) &&
			    !json_object_is_type(e, json_type_object),
			    "an array holds an array or a table");
		}
		break;
	case json_type_null:
		FUZZ_ASSERT(0, "null in the tree");
		break;
	default:
		break;
	}
}

/* A basic string, everything below 0x20 and 0x7f escaped. */
static void
put_string(struct buf *b, const char *s, size_t n)
{
	size_t j;

	buf_putc(b, '"');
	for (j = 0; j < n; j++) {
		unsigned char c = (unsigned char)s[j];

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void
put_scalar(struct buf *b, struct json_object *o)
{
	if (fuzz_json_put_plain(b, o, "nan", "inf", put_string))
		return;
	FUZZ_ASSERT(json_object_is_type(o, json_type_array), "not a scalar");
	fuzz_json_put_array(b, o, put_scalar);
}

/* The values of a table, then each subtable under its own header. */
static void
put_table(struct buf *b, struct json_object *t, struct buf *path)
{
	struct json_object_iterator it, end;
	size_t len = path->len;

	it = json_object_iter_begin(t);
	end = json_object_iter_end(t);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (json_object_is_type(v, json_type_object))
			continue;
		put_string(b, k, strlen(k));
		buf_puts(b, " = ");
		put_scalar(b, v);
		buf_putc(b, '\n');
	}
	it = json_object_iter_begin(t);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (!json_object_is_type(v, json_type_object))
			continue;
		if (path->len > 0)
			buf_putc(path, '.');
		put_string(path, k, strlen(k));
		buf_printf(b, "[%s]\n", path->data);
		put_table(b, v, path);
		path->len = len;
		if (path->data != NULL)
			path->data[len] = '\0';
	}
}

/* How many tables deep the tree goes. */
static int
depth_of(struct json_object *o)
{
	struct json_object_iterator it, end;
	int d = 0, x;

	if (!json_object_is_type(o, json_type_object))
		return 0;
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if ((x = depth_of(json_object_iter_peek_value(&it))) > d)
			d = x;
	return d + 1;
}

/* The position of a message: inside data or just past it. */
static void
check_position(const char *err, unsigned long line, unsigned long col,
    const uint8_t *data, size_t size)
{
	unsigned long l = 1;
	size_t j, bol = 0, len;

	for (j = 0; j < size && l < line; j++)
		if (data[j] == '\n') {
			l++;
			bol = j + 1;
		}
	FUZZ_ASSERT(l == line && line >= 1, "message \"%s\": only %lu lines",
	    err, l);
	for (len = 0; bol + len < size && data[bol + len] != '\n'; len++)
		;
	FUZZ_ASSERT(col >= 1 && col <= len + 1, "message \"%s\": the line "
	    "has %zu bytes", err, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *root;
	struct buf text, path;

	if ((root = fuzz_json_parse(toml_parse, check_position, data,
	    size)) == NULL)
		return 0;
	fuzz_json_walk(root, 0, check_value);
	if (depth_of(root) <= TOML_MAX_DEPTH) {
		buf_init(&text);
		buf_init(&path);
		buf_reserve(&text, 64);
		put_table(&text, root, &path);
		fuzz_json_again(toml_parse, root, &text);
		buf_free(&text);
		buf_free(&path);
	}
	json_object_put(root);
	return 0;
}
