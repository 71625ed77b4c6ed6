/*
 * toml: a reader for the part of TOML 1.0 that configuration files use.
 *
 * Accepted: comments; tables ([a.b], parts bare or quoted); key/value
 * pairs with bare, quoted and dotted keys; basic and literal strings,
 * single- and multi-line, with every escape of TOML 1.0; integers
 * (decimal, 0x, 0o, 0b, underscores between digits, 64 bits); floats
 * (fraction, exponent, inf, nan); booleans; arrays of these, mixed,
 * spread over lines, with comments and a trailing comma.
 *
 * Refused, with a message: inline tables, arrays of tables, arrays of
 * arrays, dates and times (configuration files do not use them), and
 * whatever TOML itself forbids: a key or table defined twice, a table
 * defined by dotted keys and then by a header (or the other way round),
 * invalid UTF-8, control characters, leading zeros, and so on.  A key
 * may have at most TOML_MAX_DEPTH parts and may not contain NUL.
 *
 * The document becomes a json-c tree: a table is an object (members in
 * document order), a string a string (it may hold NUL bytes:
 * json_object_get_string_len), an integer an int64, a float a double, a
 * boolean a boolean, an array an array.  Keys keep their case.
 */
#ifndef CCX_TOML_H
#define CCX_TOML_H

#include <stddef.h>

struct json_object;

#define TOML_MAX_DEPTH	64

/*
 * Parses text[0..len) (no NUL needed).  Returns the root table, which the
 * caller releases with json_object_put; or NULL with "line L, column C:
 * what" in err (lines and columns from 1, columns in bytes).  Out of
 * memory is fatal (EX_OSERR).
 */
struct json_object	*toml_parse(const char *text, size_t len, char *err,
			    size_t errsize);

#endif
