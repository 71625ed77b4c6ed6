/*
 * content-check: what fuzz-gob and fuzz-content-json check of one
 * content_load call (common/content.c); content_check_load is the body of
 * both targets.
 *
 * After a failure: a message and an empty content.  After success: a
 * RuleContentDirectory with both members, rules and keys sorted and
 * unique, every lookup finding what the index lists, every string and key
 * UTF-8 (content.h: the tree is what Go's encoding/json renders, which
 * writes U+FFFD for anything else), and the tree's own JSON rendering
 * loading back (through the JSON path) into an equal tree: normalising is
 * idempotent, and the gob and JSON readers agree on it.
 */
#ifndef CCX_FUZZ_CONTENT_CHECK_H
#define CCX_FUZZ_CONTENT_CHECK_H

#include <string.h>

#include <json.h>

#include "content.h"
#include "fuzz.h"

static void	content_check_utf8(struct json_object *, int);
static void	content_check_index(const struct content *);
static void	content_check(const struct content *, int, const char *);
static int	content_check_load(const uint8_t *, size_t, int);

/* Every string and member name of the tree o is UTF-8 (RFC 3629). */
static void
content_check_utf8(struct json_object *o, int depth)
{
	size_t i, n;

	FUZZ_ASSERT(depth < 64, "tree deeper than its schema");
	switch (json_object_get_type(o)) {
	case json_type_string:
		FUZZ_ASSERT(fuzz_utf8_ok((const unsigned char *)
		    json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)),
		    "string is not UTF-8: \"%s\"", json_object_get_string(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			content_check_utf8(json_object_array_get_idx(o, i),
			    depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			FUZZ_ASSERT(fuzz_utf8_ok((const unsigned char *)k,
			    strlen(k)), "member name is not UTF-8: \"%s\"", k);
			content_check_utf8(v, depth + 1);
		}
		break;
	}
	default:
		break;
	}
}

static void
content_check_index(const struct content *c)
{
	const struct content_rule *ru, *prev = NULL;
	const struct content_key *keys, *k;
	struct json_object *rules;
	size_t i, j, nkeys;

	FUZZ_ASSERT(json_object_is_type(content_root(c), json_type_object),
	    "root is not an object");
	FUZZ_ASSERT(json_object_object_get_ex(content_root(c), "Config",
	    NULL) && json_object_object_get_ex(content_root(c), "Rules",
	    &rules), "root without Config or Rules");
	FUZZ_ASSERT(content_nrules(c) == (rules == NULL ? 0 :
	    (size_t)json_object_object_length(rules)), "%zu rules",
	    content_nrules(c));
	for (i = 0; i < content_nrules(c); i++) {
		ru = content_rule_at(c, i);
		FUZZ_ASSERT(ru != NULL && ru->name != NULL && ru->obj != NULL,
		    "rule %zu", i);
		FUZZ_ASSERT(prev == NULL || strcmp(prev->name, ru->name) < 0,
		    "rules out of order");
		FUZZ_ASSERT(content_lookup_rule(c, ru->name) == ru->obj,
		    "rule %s not found", ru->name);
		prev = ru;
	}
	FUZZ_ASSERT(content_rule_at(c, i) == NULL, "rule past the end");
	keys = content_keys(c, &nkeys);
	for (i = 0; i < nkeys; i++) {
		k = &keys[i];
		FUZZ_ASSERT(k->rule != NULL && k->error_key != NULL &&
		    k->description != NULL && k->tags != NULL, "key %zu", i);
		FUZZ_ASSERT(i == 0 || strcmp(keys[i - 1].rule, k->rule) < 0 ||
		    (strcmp(keys[i - 1].rule, k->rule) == 0 &&
		    strcmp(keys[i - 1].error_key, k->error_key) < 0),
		    "keys out of order");
		FUZZ_ASSERT(content_lookup(c, k->rule, k->error_key) == k,
		    "key %s/%s not found", k->rule, k->error_key);
		FUZZ_ASSERT(content_lookup_rule(c, k->rule) != NULL,
		    "key %s of no rule", k->rule);
		for (j = 0; j < k->ntags; j++)
			FUZZ_ASSERT(k->tags[j] != NULL, "tag %zu of %s/%s",
			    j, k->rule, k->error_key);
	}
}

static void
content_check(const struct content *c, int r, const char *err)
{
	struct content again;
	const char *text;
	char err2[1024];
	size_t n1, n2;

	if (r != 0) {
		FUZZ_ASSERT(r == -1, "content_load returned %d", r);
		FUZZ_ASSERT(err[0] != '\0', "failed without a message");
		FUZZ_ASSERT(content_root(c) == NULL && content_nrules(c) == 0 &&
		    content_keys(c, &n1) == NULL && n1 == 0,
		    "failed but not empty");
		return;
	}
	FUZZ_ASSERT(err[0] == '\0', "succeeded with a message: %s", err);
	content_check_index(c);
	content_check_utf8(content_root(c), 0);
	text = json_object_to_json_string_ext(content_root(c),
	    JSON_C_TO_STRING_PLAIN);
	FUZZ_ASSERT(text != NULL, "no JSON rendering");
	r = content_load(&again, text, strlen(text), err2, sizeof(err2));
	if (r == -1 && strstr(err2, "has more than") != NULL)
		return;		/* the JSON budget counts differently */
	FUZZ_ASSERT(r == 0, "own rendering does not load: %s", err2);
	FUZZ_ASSERT(json_object_equal(content_root(c), content_root(&again)),
	    "own rendering loads as another tree");
	content_keys(c, &n1);
	content_keys(&again, &n2);
	FUZZ_ASSERT(n1 == n2 && content_nrules(c) == content_nrules(&again),
	    "own rendering has other keys");
	content_free(&again);
}

/*
 * One fuzz input: skipped unless its first byte that is not white space
 * says it is of the kind asked for ('{': JSON when json is 1, anything
 * else: gob when json is 0), then loaded and checked.  Returns 0, as
 * LLVMFuzzerTestOneInput does.
 */
static int
content_check_load(const uint8_t *data, size_t size, int json)
{
	struct content c;
	char err[1024];
	size_t i;
	int r;

	for (i = 0; i < size && strchr(" \t\r\n", data[i]) != NULL &&
	    data[i] != '\0'; i++)
		;
	if ((i < size && data[i] == '{') != json)
		return 0;
	memset(err, 'x', sizeof(err));
	r = content_load(&c, data, size, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "err not "
	    "terminated");
	content_check(&c, r, err);
	if (r == 0)
		content_free(&c);
	return 0;
}

#endif
