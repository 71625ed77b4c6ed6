/*
 * jscan: a strict RFC 8259 JSON scanner that validates in one pass and
 * hands out byte spans of the input, never converted values.
 *
 * The scanner is a pull parser over a caller-owned text s[0..len).  It
 * keeps pointers into that text and allocates nothing: every span it
 * returns stays valid as long as the text does.  Numbers are never
 * converted (to a double or otherwise); strings are unescaped only on
 * request.  The whole text is checked: UTF-8 everywhere (no overlongs,
 * surrogates or code points above U+10FFFF), no byte order mark, nothing
 * but whitespace around the one value, and containers nested at most
 * maxdepth deep (an explicit bit stack, no recursion).
 *
 * Typical use, iterating the members of the top-level object:
 *
 *	jscan_init(&js, s, len, 0);
 *	if (jscan_begin(&js) != JS_OBJECT || jscan_open(&js) == -1)
 *		...;
 *	while ((kind = jscan_member(&js, &key)) > 0) {
 *		if (kind == JS_OBJECT && jscan_str_eq(&key, "Report", 6)) {
 *			jscan_open(&js);
 *			...	(jscan_member on the Report until it
 *				returns 0)
 *		} else
 *			jscan_skip(&js, &val);
 *	}
 *	if (kind == -1 || jscan_finish(&js) == -1)
 *		... js.err_off, js.err_code, js.err_msg ...
 *
 * After jscan_member returns a member (or jscan_element an element of an
 * array entered with jscan_open_array), the caller must consume its value
 * with jscan_skip, jscan_open (an object) or jscan_open_array (an array)
 * before the next call.  The first error sticks: every later call
 * returns -1 and leaves the error fields alone.  The spans and flags of
 * values inside a container entered with jscan_open or jscan_open_array
 * are those of jscan_skip; the entered container itself gets no span (its
 * start is js.p before it is entered, its end js.p after the jscan_member
 * or jscan_element that returns 0).
 *
 * Bytes that are not UTF-8 inside a string are JSCAN_EUTF8; outside
 * strings any byte above 0x7f is simply not JSON (JSCAN_ESYNTAX), so a
 * caller that ranks "not UTF-8" above "not JSON" checks a text that failed
 * with jscan_utf8_prefix (only on that error path: a text that scans
 * cleanly is valid UTF-8).
 */
#ifndef CCX_JSCAN_H
#define CCX_JSCAN_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Upstream's limit (Go encoding/json): deeper nesting is an error. */
#define JSCAN_DEPTH_DEFAULT	10000
#define JSCAN_DEPTH_MAX		10000

/* Value kinds; jscan functions return them, 0 (end) or -1 (error). */
enum jscan_kind {
	JS_OBJECT = 1,
	JS_ARRAY,
	JS_STRING,
	JS_NUMBER,
	JS_TRUE,
	JS_FALSE,
	JS_NULL
};

/* Error classes in err_code. */
enum jscan_err {
	JSCAN_OK = 0,
	JSCAN_ESYNTAX,		/* not JSON (also a byte order mark) */
	JSCAN_EUTF8,		/* not UTF-8 inside a string */
	JSCAN_EDEPTH		/* nested deeper than maxdepth */
};

/* Span flags. */
#define JSPAN_ESC	0x01	/* a string with a backslash escape */
#define JSPAN_WS	0x02	/* a container with whitespace inside */

/*
 * One value (or key) of the text: p[0..len) are its exact bytes, a string
 * with its quotes.  kind is a JS_* value.
 */
struct jspan {
	const char	*p;
	size_t		 len;
	int		 kind;
	int		 flags;
};

/* The scanner's state, about 1.3 KB; it may live on the stack. */
struct jscan {
	const char	*base;		/* start of the text */
	const char	*p;		/* cursor */
	const char	*end;
	int		 depth;		/* containers open at the cursor */
	int		 maxdepth;
	int		 first;		/* just after '{' (no member yet) */
	int		 err_code;	/* JSCAN_OK or the first error */
	size_t		 err_off;	/* byte offset of the first error */
	const char	*err_msg;	/* static text, e.g. "expected ':'" */
	uint64_t	 stack[(JSCAN_DEPTH_MAX + 63) / 64]; /* 1 = object */
};

/* Starts scanning s[0..len); maxdepth 0 means JSCAN_DEPTH_DEFAULT (values
 * above JSCAN_DEPTH_MAX are lowered to it).  s need not be NUL-terminated. */
void	jscan_init(struct jscan *, const char *s, size_t len, int maxdepth);
/* Rejects a byte order mark, skips leading whitespace and returns the kind
 * of the top-level value (the cursor on its first byte), or -1. */
int	jscan_begin(struct jscan *);
/* Validates the value at the cursor and moves past it; fills *v (may be
 * NULL).  Returns 0 or -1. */
int	jscan_skip(struct jscan *, struct jspan *v);
/* Enters the object at the cursor (its '{'); returns 0 or -1. */
int	jscan_open(struct jscan *);
/* Reads the next member of the innermost open object: fills *key (the key
 * string's span) and returns the kind of its value, the cursor on the
 * value's first byte.  Returns 0 after the closing '}' (the object is left
 * and the cursor is after it), or -1. */
int	jscan_member(struct jscan *, struct jspan *key);
/* Enters the array at the cursor (its '['); returns 0 or -1. */
int	jscan_open_array(struct jscan *);
/* Reads the next element of the innermost open array: returns its kind,
 * the cursor on its first byte (the caller consumes it as a member's
 * value), or 0 after the closing ']' (the array is left and the cursor is
 * after it), or -1. */
int	jscan_element(struct jscan *);
/* Checks that only whitespace follows the top-level value; returns 0 or
 * -1. */
int	jscan_finish(struct jscan *);
/* Validates a whole text; returns 0, or -1 with the error in *js. */
int	jscan_validate(struct jscan *js, const char *s, size_t len,
	    int maxdepth);

/* Returns 1 when the string span s, unescaped, equals t[0..n). */
int	jscan_str_eq(const struct jspan *s, const char *t, size_t n);
/* Appends the unescaped contents of the string span s to b (no quotes, no
 * NUL added beyond buf's own).  A lone surrogate escape becomes U+FFFD. */
void	jscan_unescape(struct buf *b, const struct jspan *s);
/* Appends the value span v (validated JSON) to b without insignificant
 * whitespace; strings (and so every escape) are copied byte for byte.  A
 * container span without JSPAN_WS is copied as it is, so a span not made
 * by jscan_skip must have JSPAN_WS set unless it is known to be compact. */
void	jscan_minify(struct buf *b, const struct jspan *v);
/* Returns the length of the longest valid UTF-8 prefix of s[0..n) (as
 * utf8_prefix, with the decoder jscan uses). */
size_t	jscan_utf8_prefix(const char *s, size_t n);
/* Returns "an object", "an array", "a string", ... for a JS_* kind. */
const char *jscan_kind_name(int kind);

#endif
