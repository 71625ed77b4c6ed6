/*
 * http: a small libcurl wrapper for every HTTP call of the project.
 *
 * One struct http holds one easy handle, reused for each request so that
 * connections are kept alive.  Every request has a connect timeout and a
 * total timeout, never follows redirects, allows only http, https and file
 * URLs, and keeps at most max_body bytes of the response body (more is an
 * error, so memory stays bounded).  Out of memory is fatal (EX_OSERR).
 * libcurl's global initialisation happens on the first http_init; a
 * threaded program should call curl_global_init itself first.
 */
#ifndef CCX_HTTP_H
#define CCX_HTTP_H

#include <stddef.h>

#include "buf.h"

#define HTTP_CONNECT_TIMEOUT_MS	5000L
#define HTTP_TIMEOUT_MS		15000L
#define HTTP_MAX_BODY		(16u * 1024 * 1024)
#define HTTP_MAX_HEADERS	(64u * 1024)

struct http {
	void		*curl;		/* the CURL easy handle */
	long		 connect_timeout_ms;	/* HTTP_CONNECT_TIMEOUT_MS */
	long		 timeout_ms;		/* HTTP_TIMEOUT_MS */
	size_t		 max_body;		/* HTTP_MAX_BODY */
};

struct http_response {
	long		 status;	/* HTTP status; 0 for file:// */
	int		 file;		/* the URL was a file:// one */
	struct buf	 body;		/* NUL-terminated */
	struct buf	 headers;	/* the final response's header lines */
	int		 overflow;	/* private: the body limit was hit */
	size_t		 max_body;	/* private */
};

/* Returns 0, or -1 with a message when libcurl cannot make a handle. */
int	http_init(struct http *, char *err, size_t errsz);
void	http_free(struct http *);

void	http_response_init(struct http_response *);
void	http_response_free(struct http_response *);

/*
 * Performs one request: method ("GET", "POST", "PUT", ...), url, headers
 * (a NULL-terminated array of "Name: value" lines, or NULL) and a body of
 * len bytes (body may be NULL when len is 0; GET and HEAD send none).  The
 * response (reset first) gets the status, headers and body.  Returns 0
 * when a response arrived, whatever its status, or -1 on a transport
 * error, a timeout or an oversized body, with a message in err naming the
 * method and URL and giving libcurl's text (curl_easy_strerror), the URL's
 * password (and any other secret) masked by redact_text.
 */
int	http_request(struct http *, const char *method, const char *url,
	    const char *const *headers, const void *body, size_t len,
	    struct http_response *, char *err, size_t errsz);

/* Copies the value of the response header name (any case, first match,
 * surrounding blanks removed) into v[0..vsz); returns 0, or -1 when absent. */
int	http_response_header(const struct http_response *, const char *name,
	    char *v, size_t vsz);

#endif
