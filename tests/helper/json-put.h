/*
 * json-put: a json-c tree as compact JSON, for the helper commands that
 * print one (config toml, content load).
 */
#ifndef CCX_HELPER_JSON_PUT_H
#define CCX_HELPER_JSON_PUT_H

#include <json.h>

#include "buf.h"

/* Object members sorted by name (else in document order). */
#define JSON_PUT_SORTED		0x01
/* A double as its shortest round-trip digits and "f": "1.5f", "inff". */
#define JSON_PUT_FLOAT_F	0x02

/* Appends o to b; exits EX_OSERR when out of memory. */
void	json_put(struct buf *b, struct json_object *o, int flags);

#endif
