/*
 * content: the rule content of Contract D (SPEC 5), loaded from its gob
 * encoding (what insights-content-service serves) or its JSON rendering.
 *
 * content_load decides by the first byte that is not white space: '{' means
 * JSON, anything else gob.  Either way the result is the same normalised
 * tree, the RuleContentDirectory as Go's encoding/json renders it: every
 * struct member present (zero when absent), absent maps and slices null.
 * Members of the wrong type are errors naming the member, for example
 * "Rules.r.error_keys.K.metadata.likelihood: expected an integer, not a
 * string"; unknown members are ignored.  Metadata likelihood and
 * impact.impact must fit in an int.
 *
 * Everything a lookup returns points into the struct content and stays
 * valid until content_free.  Out of memory is fatal (EX_OSERR).
 */
#ifndef CCX_CONTENT_H
#define CCX_CONTENT_H

#include <stddef.h>
#include <string.h>

struct json_object;

/* The largest content accepted from a file or over HTTP. */
#define CONTENT_MAX_BYTES	(16u * 1024 * 1024)

/* Returns of content_fetch and content_load_file. */
#define CONTENT_EFETCH		-1	/* not retrieved: EX_UNAVAILABLE */
#define CONTENT_EDATA		-2	/* undecodable: EX_DATAERR */

/* What the decisions need of one error key (SPEC 4.4). */
struct content_key {
	const char	*rule;		/* the Rules key */
	const char	*error_key;
	int		 likelihood;
	int		 impact;	/* metadata.impact.impact */
	const char	*description;
	const char	**tags;		/* ntags strings */
	size_t		 ntags;
};

struct content_rule {
	const char		*name;
	struct json_object	*obj;	/* the RuleContent */
};

/* Treat the members as private; use the functions below. */
struct content {
	struct json_object	*root;	/* the RuleContentDirectory */
	struct content_rule	*rules;	/* sorted by name */
	size_t			 nrules;
	struct content_key	*keys;	/* sorted by rule, then error key */
	size_t			 nkeys;
	const char		**tagv;	/* storage of every key's tags */
};

/* Makes c empty; content_free and the lookups work on it. */
static inline void
content_init(struct content *c)
{
	memset(c, 0, sizeof(*c));
}
/* Releases everything c holds and makes it empty. */
void	content_free(struct content *c);

/*
 * Loads content from data[0..len), overwriting c (which need not be
 * initialised).  Returns 0, or -1 with a message in err[0..errsz) and c
 * empty.
 */
int	content_load(struct content *c, const void *data, size_t len,
	    char *err, size_t errsz);
/*
 * Loads the file at path.  Returns 0, CONTENT_EFETCH when the file cannot
 * be read (or exceeds CONTENT_MAX_BYTES), or CONTENT_EDATA when it does not
 * decode; on error err holds a message and c is empty.
 */
int	content_load_file(struct content *c, const char *path, char *err,
	    size_t errsz);
/*
 * Fetches url with GET (http, https or file) and a total timeout of
 * timeout_ms (the default of http.h when <= 0), then loads the body.  Only
 * status 200 counts for http(s); a file:// URL succeeds when the file was
 * read.  Returns 0, CONTENT_EFETCH (transport error, timeout, other status,
 * body over CONTENT_MAX_BYTES) or CONTENT_EDATA, with err and c as above.
 */
int	content_fetch(const char *url, long timeout_ms, struct content *c,
	    char *err, size_t errsz);

/* The number of rules (the size of Rules). */
size_t	content_nrules(const struct content *c);
/* Rule i (< content_nrules), in name order. */
const struct content_rule *content_rule_at(const struct content *c,
	    size_t i);
/* The RuleContent of rule (borrowed; do not put it), or NULL. */
struct json_object *content_lookup_rule(const struct content *c,
	    const char *rule);
/* The error key of rule, or NULL when either is missing (SPEC 4.4: the
 * caller then uses 0, 0, "" and no tags). */
const struct content_key *content_lookup(const struct content *c,
	    const char *rule, const char *error_key);
/* All error keys, sorted by rule then key; *n gets their number. */
const struct content_key *content_keys(const struct content *c, size_t *n);
/* The whole RuleContentDirectory (borrowed), or NULL when empty. */
struct json_object *content_root(const struct content *c);

#endif
