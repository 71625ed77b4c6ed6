/*
 * json-put: a json-c tree as compact JSON (json-put.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json-put.h"

static int	cmp_str(const void *, const void *);
static void	put_float_f(struct buf *, double);
static void	put_object(struct buf *, struct json_object *, int);

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* d in the fewest digits that read back as d, then "f". */
static void
put_float_f(struct buf *b, double d)
{
	char tmp[64];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_printf(b, "%.*gf", prec, d);
}

static void
put_object(struct buf *b, struct json_object *o, int flags)
{
	const char **keys;
	size_t n, i = 0;

	n = (size_t)json_object_object_length(o);
	keys = n > 0 ? calloc(n, sizeof(*keys)) : NULL;
	if (n > 0 && keys == NULL) {
		perror("helper");
		exit(EX_OSERR);
	}
	{
		json_object_object_foreach(o, k, v) {
			(void)v;
			keys[i++] = k;
		}
	}
	if ((flags & JSON_PUT_SORTED) && n > 1)
		qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		buf_putc(b, i == 0 ? '{' : ',');
		buf_json_str(b, keys[i], strlen(keys[i]));
		buf_putc(b, ':');
		json_put(b, json_object_object_get(o, keys[i]), flags);
	}
	buf_puts(b, n == 0 ? "{}" : "}");
	free(keys);
}

void
json_put(struct buf *b, struct json_object *o, int flags)
{
	size_t n, i;

	switch (json_object_get_type(o)) {
	case json_type_null:
		buf_puts(b, "null");
		break;
	case json_type_boolean:
		buf_puts(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		buf_put_i64(b, json_object_get_int64(o));
		break;
	case json_type_double:
		if (flags & JSON_PUT_FLOAT_F)
			put_float_f(b, json_object_get_double(o));
		else
			buf_puts(b, json_object_to_json_string(o));
		break;
	case json_type_string:
		buf_json_str(b, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		buf_putc(b, '[');
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			json_put(b, json_object_array_get_idx(o, i), flags);
		}
		buf_putc(b, ']');
		break;
	case json_type_object:
		put_object(b, o, flags);
		break;
	}
}
