/*
 * mhttp: a Prometheus /metrics endpoint over HTTP, served by libmicrohttpd
 * from its own thread (COMPAT.md 7.1).
 *
 * The program hands the current exposition text over with mhttp_set_body
 * whenever its counters change; the server thread answers every request
 * from that copy, so a scrape or a probe is answered at once whatever the
 * program is doing, and no program state is touched from another thread.
 * Only the exact path /metrics is served, whatever the method; any other
 * path gets Go's "404 page not found".  The body is gzip'ed when the
 * client accepts it.
 */
#ifndef CCX_MHTTP_H
#define CCX_MHTTP_H

#include <stddef.h>

struct mhttp;

/*
 * Listens on address as Go's net/http takes it: "HOST:PORT", ":PORT" (every
 * interface), "[V6]:PORT", "" (":80").  Returns the server, or NULL with
 * the reason in err.
 */
struct mhttp	*mhttp_start(const char *address, char *err, size_t errlen);

/* The port the server listens on (for ":0"). */
int		 mhttp_port(const struct mhttp *);

/* Replaces the text served (copied); 0, or -1 when out of memory. */
int		 mhttp_set_body(struct mhttp *, const char *text, size_t len);

void		 mhttp_stop(struct mhttp *);

#endif
