/*
 * buf: a growable byte buffer, and JSON text output into it.
 *
 * A heap buffer (buf_init) grows as needed; running out of memory is fatal
 * (EX_OSERR), so appends never fail.  A fixed buffer (buf_init_fixed) never
 * grows: appends that do not fit are cut and b->trunc is set.  The data is
 * always NUL-terminated.  buf_free releases a heap buffer's storage.
 */
#ifndef CCX_BUF_H
#define CCX_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"	/* utf8_valid and utf8_cut, for buf's users */

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 fixed;
	int	 trunc;
};

void	buf_init(struct buf *);
void	buf_init_fixed(struct buf *, char *, size_t);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
void	buf_reserve(struct buf *, size_t);
/* Grows an array of *cap elements of size sz that is full: *cap doubles
 * (or becomes first when 0) and v is reallocated.  Returns v, possibly
 * moved; out of memory is fatal (EX_OSERR). */
void	*buf_grow_array(void *v, size_t *cap, size_t first, size_t sz);
void	buf_add(struct buf *, const void *, size_t);
void	buf_putc(struct buf *, int);
void	buf_puts(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_put_i64(struct buf *, int64_t);
/* Appends s[0..n) as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
void	buf_json_str(struct buf *, const char *, size_t);
/* The same for valid UTF-8 only: 0, or -1 (b unchanged) when s is not. */
int	buf_json_valid(struct buf *, const char *, size_t);
/* A JSON array of the n NUL-terminated strings v[]. */
void	buf_json_strv(struct buf *, const char *const *v, size_t n);
/* Appends s[0..n) base64-encoded (RFC 4648, with padding). */
void	buf_base64(struct buf *, const void *, size_t);
/* Decodes base64 into b; returns 0, or -1 on malformed input. */
int	buf_unbase64(struct buf *, const char *, size_t);

/*
 * PostgreSQL array literals, for statements fed with arrays: each call
 * appends one element, opening the literal ('{') on the first; buf_arr_end
 * closes it ('{}' when empty).  Strings are quoted and escaped; NUL bytes
 * are dropped (PostgreSQL text cannot hold them).
 */
void	buf_arr_str(struct buf *, const char *, size_t);
void	buf_arr_raw(struct buf *, const char *);
void	buf_arr_null(struct buf *);
void	buf_arr_end(struct buf *);

/* Appends s[0..n) with each byte that does not start a valid UTF-8
 * sequence replaced by U+FFFD (as Go's encoding/json does). */
void	buf_utf8_repair(struct buf *, const char *, size_t);

/* A parser's message into err[size]: "line L, column C: " and fmt's
 * text (cut to fit).  Returns -1, for the parser to return. */
int	buf_vfail_at(char *, size_t, size_t, size_t, const char *, va_list);

#endif
