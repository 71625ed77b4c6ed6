/*
 * gob: a decoder of Go encoding/gob streams into json-c object trees.
 *
 * The caller describes the Go value it expects with a schema: a tree of
 * struct, map (string keys only), slice, string, int and bool nodes, where
 * each struct field has its Go name (matched against the field names the
 * stream's type definitions carry) and the JSON name the result uses.
 * gob_decode reads the stream's type definitions (never assuming any user
 * type id), decodes its first value, which must be a struct, and builds the
 * JSON rendering Go's encoding/json would produce for the schema's Go type:
 *
 *	struct	an object with every schema field, in schema order; fields
 *		absent from the stream (or from the sender's struct) get
 *		their zero value
 *	map	an object, or null when absent
 *	slice	an array, or null when absent
 *	string	a string ("" when absent); bytes that are not UTF-8 become
 *		U+FFFD, as encoding/json writes them
 *	int	an integer (0 when absent); wire int and uint are accepted
 *	bool	a boolean (false when absent)
 *
 * Wire fields unknown to the schema are skipped by their wire type, however
 * nested.  Interface values (other than nil ones inside collections) and the
 * GobEncoder, BinaryMarshaler and TextMarshaler forms are rejected.  The
 * input is untrusted: every length is checked against the bytes that remain
 * before anything is allocated, nesting is bounded (GOB_MAX_DEPTH), and any
 * malformed input yields an error text that names the byte offset and, when
 * known, the JSON path of the value being decoded.  Running out of memory
 * is fatal (EX_OSERR).
 */
#ifndef CCX_GOB_H
#define CCX_GOB_H

#include <stddef.h>

struct json_object;

/* The deepest nesting of values (struct in map in struct ...) accepted. */
#define GOB_MAX_DEPTH		48
/* Limits on the type definitions of one stream. */
#define GOB_MAX_TYPES		4096
#define GOB_MAX_FIELDS		65536
/* The most fields a schema struct may have. */
#define GOB_SCHEMA_MAX_FIELDS	32
/*
 * The most JSON values one decoded tree may hold, zero-filled members
 * included: a few bytes of input can stand for a struct with many members,
 * so this, not the input size, bounds the memory used.
 */
#define GOB_MAX_VALUES		500000

enum gob_kind {
	GOB_BOOL,
	GOB_INT,
	GOB_STRING,
	GOB_STRUCT,
	GOB_MAP,		/* map[string]elem */
	GOB_SLICE		/* []elem */
};

struct gob_schema;

struct gob_field {
	const char		*go_name;	/* as on the wire: "NodeID" */
	const char		*json_name;	/* in the result: "node_id" */
	const struct gob_schema	*schema;
};

struct gob_schema {
	enum gob_kind		 kind;
	const char		*name;		/* for messages: "RuleContent" */
	const struct gob_schema	*elem;		/* GOB_MAP, GOB_SLICE */
	const struct gob_field	*fields;	/* GOB_STRUCT */
	size_t			 nfields;	/* at most GOB_SCHEMA_MAX_FIELDS */
};

/*
 * Decodes the first value of the gob stream data[0..len) with the struct
 * schema top.  Returns 0 and stores a new object in *out (the caller owns
 * it and releases it with json_object_put), or -1 with a message in
 * err[0..errsz) and *out set to NULL.  Bytes after the first value are
 * ignored.
 */
int	gob_decode(const void *data, size_t len, const struct gob_schema *top,
	    struct json_object **out, char *err, size_t errsz);

/*
 * Returns a new object holding the zero value of schema s, as gob_decode
 * fills in absent fields (NULL, the JSON null, for maps and slices).
 */
struct json_object *gob_zero(const struct gob_schema *s);
/* The number of values gob_zero(s) makes (JSON nulls do not count). */
size_t	gob_zero_values(const struct gob_schema *s);

#endif
