/*
 * yml: a YAML configuration file read with libyaml into the json-c tree
 * that toml.h makes of a TOML file, so that config.c treats both alike.
 *
 * The first document counts, as it does for viper (yaml.v3 Unmarshal):
 * what follows it is not read.  A mapping becomes an object (members in
 * document order), a sequence an array, a scalar what yaml.v3 resolves
 * it to when it decodes into an interface{}:
 *
 *  - plain and untagged: "", ~, null, Null, NULL are null; true, True,
 *    TRUE, false, False, FALSE booleans; an integer as Go's
 *    strconv.ParseInt(s, 0, 64) reads it once every '_' is removed
 *    (0x, 0o, 0b, leading-0 octal) an int64; a decimal float
 *    ([-+]?(.D+|D+(.D*)?)([eE][-+]?D+)?, so 08 and 1e3 too), .inf, -.inf,
 *    .nan and their capitalised spellings a double; anything else
 *    (yes, no, on, off included) a string;
 *  - quoted, literal, folded, or tagged ! or !!str: a string;
 *  - tagged !!null, !!bool, !!int, !!float: resolved as plain, and an
 *    error when it is not of that type (an integer is a float).
 *
 * Anchors and aliases share the node (json_object_get); a merge key
 * "<<" takes the members of a mapping, or of a sequence of mappings,
 * that the mapping lacks: its own keys win, then the earlier merged ones.
 *
 * Refused, with a message: a document that is not a mapping (or empty),
 * a key that is not a scalar or contains NUL, a key given twice in one
 * mapping (as yaml.v3 refuses it), an alias to an unknown anchor, plain
 * scalars that yaml.v3 would make a date or time, integers beyond 64
 * signed bits, other tags on scalars, nesting deeper than YML_MAX_DEPTH,
 * more than YML_MAX_MERGED members copied by merge keys, and whatever
 * libyaml refuses (invalid UTF-8, bad indentation, ...).
 */
#ifndef CCX_YML_H
#define CCX_YML_H

#include <stddef.h>

struct json_object;

#define YML_MAX_DEPTH	64
#define YML_MAX_MERGED	(1024 * 1024)

/*
 * Parses text[0..len) (no NUL needed).  Returns the root object, which
 * the caller releases with json_object_put (its nodes may be shared);
 * or NULL with "line L, column C: what" in err (from 1; the column in
 * characters).  Out of memory is fatal (EX_OSERR).
 */
struct json_object	*yml_parse(const char *text, size_t len, char *err,
			    size_t errsize);

#endif
