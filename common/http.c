/*
 * http: one libcurl easy handle per struct http.  Each request starts with
 * curl_easy_reset, which clears the options but keeps the connection cache,
 * so nothing set for one request leaks into the next.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "redact.h"

static size_t	on_body(char *, size_t, size_t, void *);
static size_t	on_header(char *, size_t, size_t, void *);
static struct curl_slist *add_header(struct curl_slist *, const char *);
static int	set_options(CURL *, const struct http *, const char *,
		    const char *, struct curl_slist *, const void *, size_t,
		    struct http_response *, char *);

int
http_init(struct http *h, char *err, size_t errsz)
{
	memset(h, 0, sizeof(*h));
	if ((h->curl = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "unable to create a libcurl handle");
		return -1;
	}
	h->connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS;
	h->timeout_ms = HTTP_TIMEOUT_MS;
	h->max_body = HTTP_MAX_BODY;
	return 0;
}

void
http_free(struct http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void
http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	buf_init(&r->headers);
}

void
http_response_free(struct http_response *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
	memset(r, 0, sizeof(*r));
}

/* libcurl's write callback: keeps at most max_body bytes. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;

	n *= size;
	if (n > r->max_body - r->body.len) {
		r->overflow = 1;
		return 0;	/* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	buf_add(&r->body, p, n);
	return n;
}

/* libcurl's header callback: keeps the lines of the last response. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;

	n *= size;
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(&r->headers);	/* after 100 Continue and the like */
	if (n > HTTP_MAX_HEADERS - r->headers.len)
		return 0;
	buf_add(&r->headers, p, n);
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *h)
{
	struct curl_slist *nl;

	if ((nl = curl_slist_append(l, h)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate an HTTP header list");
	return nl;
}

/* Sets every option of one request; returns 0 or -1 (ebuf has the text). */
static int
set_options(CURL *c, const struct http *h, const char *method,
    const char *url, struct curl_slist *hdrs, const void *body, size_t len,
    struct http_response *r, char *ebuf)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)	do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(c, opt, val);			\
} while (0)
	SET(CURLOPT_ERRORBUFFER, ebuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS |
	    CURLPROTO_FILE));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms > 0 ?
	    h->connect_timeout_ms : HTTP_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_TIMEOUT_MS, h->timeout_ms > 0 ? h->timeout_ms :
	    HTTP_TIMEOUT_MS);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_USERAGENT, "ccx-notify");
	SET(CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else {
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
#undef SET
	if (rc != CURLE_OK) {
		snprintf(ebuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

int
http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len,
    struct http_response *r, char *err, size_t errsz)
{
	char ebuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	const char *scheme = NULL;
	CURLcode rc;
	size_t i;
	int ret = -1;

	buf_reset(&r->body);
	buf_reset(&r->headers);
	r->status = 0;
	r->file = 0;
	r->overflow = 0;
	r->max_body = h->max_body > 0 ? h->max_body : HTTP_MAX_BODY;
	ebuf[0] = '\0';
	curl_easy_reset(h->curl);
	/* No "Expect: 100-continue" round trip before a body. */
	hdrs = add_header(hdrs, "Expect:");
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hdrs = add_header(hdrs, headers[i]);
	if (set_options(h->curl, h, method, url, hdrs, body, len, r,
	    ebuf) == -1) {
		snprintf(err, errsz, "%s %s: unable to set up the request: %s",
		    method, url, ebuf);
		goto done;
	}
	rc = curl_easy_perform(h->curl);
	if (r->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errsz, "%s %s: response body exceeds %zu bytes",
		    method, url, r->max_body);
		goto done;
	}
	if (rc != CURLE_OK) {
		if (ebuf[0] != '\0')
			snprintf(err, errsz, "%s %s: %s (%s)", method, url,
			    curl_easy_strerror(rc), ebuf);
		else
			snprintf(err, errsz, "%s %s: %s", method, url,
			    curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h->curl, CURLINFO_SCHEME, &scheme) == CURLE_OK &&
	    scheme != NULL && strcasecmp(scheme, "file") == 0)
		r->file = 1;
	ret = 0;
done:
	/* The handle must not keep pointers to this call's data. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	if (ret == -1) {
		buf_reset(&r->body);
		r->status = 0;
		/* The URL's password, in our text or in libcurl's. */
		redact_text(err, errsz);
	}
	return ret;
}

int
http_response_header(const struct http_response *r, const char *name,
    char *v, size_t vsz)
{
	const char *p, *e, *end, *s, *next;
	size_t n = strlen(name);

	if (r->headers.len == 0 || vsz == 0)
		return -1;
	end = r->headers.data + r->headers.len;
	for (p = r->headers.data; p < end; p = next) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		next = e < end ? e + 1 : end;
		if ((size_t)(e - p) <= n || p[n] != ':' ||
		    strncasecmp(p, name, n) != 0)
			continue;
		for (s = p + n + 1; s < e && (*s == ' ' || *s == '\t'); s++)
			;
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\n'))
			e--;
		snprintf(v, vsz, "%.*s", (int)(e - s), s);
		return 0;
	}
	return -1;
}
