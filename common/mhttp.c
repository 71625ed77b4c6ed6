/*
 * mhttp: /metrics over HTTP with libmicrohttpd (see mhttp.h).  Why the
 * library: a probe with failureThreshold 1 must be answered within a
 * second at all times, with keep-alive, slow clients, HEAD and gzip; a
 * maintained server gets those right where a hand-written one would not.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <zlib.h>

#include "mhttp.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define NOT_FOUND	"404 page not found\n"

struct mhttp {
	struct MHD_Daemon	*d;
	pthread_mutex_t		 mu;
	char			*body;		/* under mu */
	size_t			 len;
	int			 port;
};

static enum MHD_Result	answer(void *, struct MHD_Connection *,
			    const char *, const char *, const char *,
			    const char *, size_t *, void **);
static int	reply(struct MHD_Connection *, unsigned int, const char *,
		    size_t, const char *, int);
static int	gzip(const char *, size_t, char **, size_t *);
static int	split(const char *, char *, size_t, char *, size_t);

struct mhttp *
mhttp_start(const char *address, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct mhttp *h;
	char host[256], port[32];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	int r;

	if (split(address, host, sizeof(host), port, sizeof(port)) == -1) {
		snprintf(err, errlen, "listen tcp %s: address %s: missing "
		    "port in address", address, address);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = *host == '\0' ? AF_INET6 : AF_UNSPEC;
	r = getaddrinfo(*host == '\0' ? NULL : host, port, &hints, &ai);
	if (r != 0 && *host == '\0') {
		hints.ai_family = AF_INET;	/* no IPv6 here */
		r = getaddrinfo(NULL, port, &hints, &ai);
	}
	if (r != 0) {
		snprintf(err, errlen, "listen tcp %s: %s", address,
		    gai_strerror(r));
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ai->ai_family == AF_INET6)
		flags |= *host == '\0' ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	freeaddrinfo(ai);
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		snprintf(err, errlen, "unable to create a mutex");
		return NULL;
	}
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "listen tcp %s: unable to listen "
		    "(address in use, or not permitted)", address);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	return h;
}

int
mhttp_port(const struct mhttp *h)
{
	return h->port;
}

int
mhttp_set_body(struct mhttp *h, const char *text, size_t len)
{
	char *copy;

	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->mu);
	free(h->body);
	h->body = copy;
	h->len = len;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

void
mhttp_stop(struct mhttp *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->mu);
	free(h->body);
	free(h);
}

/* One request: /metrics from the copy, anything else 404. */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	static int begun;
	struct mhttp *h = cls;
	const char *ae;
	char *copy;
	size_t len;
	int r, gz;

	(void)method;
	(void)version;
	(void)upload;
	if (*state == NULL) {		/* the headers: wait for the body */
		*state = &begun;
		return MHD_YES;
	}
	if (*upload_size != 0) {	/* a request body: ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, NOT_FOUND,
		    sizeof(NOT_FOUND) - 1, "text/plain; charset=utf-8", 0) ?
		    MHD_YES : MHD_NO;
	pthread_mutex_lock(&h->mu);
	len = h->len;
	copy = malloc(len + 1);
	if (copy != NULL && len > 0)
		memcpy(copy, h->body, len);
	pthread_mutex_unlock(&h->mu);
	if (copy == NULL)
		return MHD_NO;
	ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING);
	gz = ae != NULL && strstr(ae, "gzip") != NULL;
	r = reply(c, MHD_HTTP_OK, copy, len, CONTENT_TYPE, gz);
	free(copy);
	return r ? MHD_YES : MHD_NO;
}

static int
reply(struct MHD_Connection *c, unsigned int status, const char *body,
    size_t len, const char *type, int gz)
{
	struct MHD_Response *res;
	char *z = NULL;
	size_t zlen = 0;
	int ok;

	if (gz && gzip(body, len, &z, &zlen) == 0)
		res = MHD_create_response_from_buffer(zlen, z,
		    MHD_RESPMEM_MUST_FREE);
	else {
		gz = 0;
		res = MHD_create_response_from_buffer(len, (void *)body,
		    MHD_RESPMEM_MUST_COPY);
	}
	if (res == NULL) {
		free(z);
		return 0;
	}
	ok = MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE,
	    type) == MHD_YES;
	if (gz)
		ok = ok && MHD_add_response_header(res,
		    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") == MHD_YES;
	if (status == MHD_HTTP_NOT_FOUND)
		ok = ok && MHD_add_response_header(res,
		    "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok = ok && MHD_queue_response(c, status, res) == MHD_YES;
	MHD_destroy_response(res);
	return ok;
}

/* in as one gzip member into *out (malloc'ed). */
static int
gzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs;
	uLong cap;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&zs, (uLong)len) + 32;
	if ((*out = malloc(cap)) == NULL) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)*out;
	zs.avail_out = (uInt)cap;
	r = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* "HOST:PORT", "[V6]:PORT", ":PORT", "" (port 80) into host and port. */
static int
split(const char *a, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon, *end;

	if (*a == '\0')
		a = ":80";
	if (*a == '[') {
		if ((end = strchr(a, ']')) == NULL || end[1] != ':')
			return -1;
		snprintf(host, hl, "%.*s", (int)(end - a - 1), a + 1);
		colon = end + 1;
	} else {
		if ((colon = strrchr(a, ':')) == NULL)
			return -1;
		snprintf(host, hl, "%.*s", (int)(colon - a), a);
	}
	snprintf(port, pl, "%s", *(colon + 1) == '\0' ? "0" : colon + 1);
	return 0;
}
