/*
 * fuzz-yaml: yml_parse (common/yml.c) on any bytes.
 *
 * Checked: an error leaves the tree NULL and a message "line L, column C:
 * what" with L no further than the text's line breaks allow; success
 * leaves the message empty and gives an object at the root, and below it
 * objects, arrays, strings, int64s, doubles, booleans and nulls, no
 * deeper than YML_MAX_DEPTH, with valid UTF-8 in every key and string and
 * no NUL in a key.  Then the tree is written back as one flow mapping
 * (explicit "? " keys, which may be longer than a simple key's 1024
 * characters; every key and string double-quoted, every character
 * outside printable ASCII escaped, every float with a point) and parsed
 * again: the second tree equals the first.  Aliases share nodes, so a tree can be far
 * larger written out than its text: that check stops at 1 MiB.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fuzz.h"
#include "fuzz-json.h"
#include "yml.h"

#define WRITE_MAX	(1024 * 1024)

static void	check_depth(struct json_object *, int);
static void	put_string(struct buf *, const char *, size_t);
static void	put_node(struct buf *, struct json_object *);
static void	check_position(const char *, unsigned long, unsigned long,
		    const uint8_t *, size_t);

static void
check_depth(struct json_object *o, int depth)
{
	(void)o;
	FUZZ_ASSERT(depth <= YML_MAX_DEPTH, "depth %d", depth);
}

/* A double-quoted scalar: printable ASCII as it is, the rest escaped. */
static void
put_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t j, k;

	buf_putc(b, '"');
	for (j = 0; j < n; j++) {
		if (p[j] == '"' || p[j] == '\\') {
			buf_printf(b, "\\%c", p[j]);
			continue;
		}
		if (p[j] >= 0x20 && p[j] < 0x7f) {
			buf_putc(b, (char)p[j]);
			continue;
		}
		k = p[j] < 0x80 ? 0 : p[j] < 0xe0 ? 1 : p[j] < 0xf0 ? 2 : 3;
		cp = k == 0 ? p[j] : p[j] & (0x3f >> k);
		for (; k > 0 && j + 1 < n; k--)
			cp = cp << 6 | (p[++j] & 0x3f);
		buf_printf(b, "\\U%08" PRIX32, cp);
	}
	buf_putc(b, '"');
}

static void
put_node(struct buf *b, struct json_object *o)
{
	struct json_object_iterator it, end;
	const char *sep = "";

	if (b->len > WRITE_MAX ||
	    fuzz_json_put_plain(b, o, ".nan", ".inf", put_string))
		return;
	switch (json_object_get_type(o)) {
	case json_type_null:
		buf_puts(b, "null");
		break;
	case json_type_array:
		fuzz_json_put_array(b, o, put_node);
		break;
	case json_type_object:
		buf_putc(b, '{');
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it), sep = ", ") {
			const char *k = json_object_iter_peek_name(&it);

			buf_puts(b, sep);
			buf_puts(b, "? ");
			put_string(b, k, strlen(k));
			buf_puts(b, " : ");
			put_node(b, json_object_iter_peek_value(&it));
		}
		buf_putc(b, '}');
		break;
	default:		/* written by fuzz_json_put_plain */
		break;
	}
}

/*
 * The position of a message.  libyaml counts CR, LF, CR LF and the
 * Unicode breaks NEL, LS and PS as line breaks, adds one at the end of a
 * text whose last line has no break, and counts columns in characters:
 * the line is at most two more than the breaks, the column at least 1.
 */
static void
check_position(const char *err, unsigned long line, unsigned long col,
    const uint8_t *data, size_t size)
{
	unsigned long breaks = 0;
	size_t j;

	for (j = 0; j < size; j++)
		if (data[j] == '\n' || data[j] == '\r' ||
		    (data[j] == 0x85 && j > 0 && data[j - 1] == 0xc2) ||
		    ((data[j] == 0xa8 || data[j] == 0xa9) && j > 1 &&
		    data[j - 1] == 0x80 && data[j - 2] == 0xe2))
			breaks++;
	FUZZ_ASSERT(line >= 1 && line <= breaks + 2, "message \"%s\": %lu "
	    "line breaks", err, breaks);
	FUZZ_ASSERT(col >= 1 && col <= size + 1, "message \"%s\"", err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *root;
	struct buf text;

	if ((root = fuzz_json_parse(yml_parse, check_position, data,
	    size)) == NULL)
		return 0;
	fuzz_json_walk(root, 0, check_depth);
	buf_init(&text);
	buf_reserve(&text, 64);
	put_node(&text, root);
	if (text.len <= WRITE_MAX)
		fuzz_json_again(yml_parse, root, &text);
	buf_free(&text);
	json_object_put(root);
	return 0;
}
