/*
 * fuzz-json: what the targets that check json-c trees share (fuzz-toml,
 * fuzz-yaml).
 */
#ifndef CCX_FUZZ_JSON_H
#define CCX_FUZZ_JSON_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "buf.h"

/*
 * An integer, a float or a boolean as TOML and YAML both write it (a
 * float with a point or an exponent; NaN as nan, infinities as inf and
 * "-" inf: TOML's nan and inf, YAML's .nan and .inf).  Returns 0 for
 * anything else, having written nothing.
 */
static inline int
fuzz_json_put_plain(struct buf *b, struct json_object *o, const char *nan,
    const char *inf)
{
	char tmp[64];
	double d;

	switch (json_object_get_type(o)) {
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

#endif
