#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define AUTH_ENV	"CCX_PUSHGATEWAY_AUTH"
#define AUTH_FILE_ENV	"CCX_PUSHGATEWAY_AUTH_FILE"
#define AUTH_MAX	4096		/* bytes of a credential */

static int	auth_header(struct buf *, char *, size_t);
static int	read_cred(const char *, struct buf *, char *, size_t);
static int	has_userinfo(const char *);
static void	wipe(struct buf *);

int
metrics_push(const char *gateway, const char *job, const char *prefix,
    const struct metric *m, size_t n, char *err, size_t errsz)
{
	struct buf body, url, auth;
	long status;
	int rc = -1, have;

	if (gateway == NULL || *gateway == '\0')
		return 0;
	if (has_userinfo(gateway)) {
		snprintf(err, errsz, "the Pushgateway URL must not carry "
		    "credentials (they would show in the process list): set "
		    "%s or %s", AUTH_ENV, AUTH_FILE_ENV);
		return -1;
	}
	buf_init(&auth);
	if ((have = auth_header(&auth, err, errsz)) == -1) {
		wipe(&auth);
		return -1;
	}
	buf_init(&body);
	buf_init(&url);
	metrics_format(&body, prefix, m, n);
	buf_puts(&url, gateway);
	while (url.len > 0 && url.data[url.len - 1] == '/')
		url.data[--url.len] = '\0';
	buf_printf(&url, "/metrics/job/%s", job);
	if (metrics_put(url.data, have == 1 ? auth.data : NULL, body.data,
	    body.len, &status, err, errsz) == 0) {
		if (status >= 200 && status < 300)
			rc = 0;
		else
			snprintf(err, errsz, "PUT %s: HTTP %ld", url.data,
			    status);
	}
	buf_free(&body);
	buf_free(&url);
	wipe(&auth);
	return rc;
}

void
metrics_push_warn(const char *gateway, const char *job, const char *prefix,
    const struct metric *m, size_t n)
{
	char err[512];

	if (metrics_push(gateway, job, prefix, m, n, err, sizeof(err)) == -1)
		log_warn("unable to push metrics: %s", err);
}

int
metrics_put(const char *url, const char *auth, const char *body, size_t len,
    long *status, char *err, size_t errsz)
{
	const char *headers[3] = {
		"Content-Type: text/plain; version=0.0.4", auth, NULL
	};
	struct http_response res;
	struct http h;
	int rc;

	if (http_init(&h, err, errsz) == -1)
		return -1;
	h.connect_timeout_ms = 5000;
	h.timeout_ms = 5000;
	http_response_init(&res);
	rc = http_request(&h, "PUT", url, headers, body, len, &res, err,
	    errsz);
	*status = res.status;
	http_response_free(&res);
	http_free(&h);
	return rc;
}

/*
 * The Authorization header line of the credential in the file named by
 * CCX_PUSHGATEWAY_AUTH_FILE, else in CCX_PUSHGATEWAY_AUTH: "user:password"
 * is sent as Basic, anything else as a Bearer token.  Returns 1 with the
 * line in hdr, 0 when neither is set, or -1 with err (which never holds
 * the credential).
 */
static int
auth_header(struct buf *hdr, char *err, size_t errsz)
{
	const char *path = getenv(AUTH_FILE_ENV), *v;
	struct buf cred;
	int rc = 1;

	buf_init(&cred);
	buf_reserve(&cred, AUTH_MAX + 1);	/* no copies left by growth */
	if (path != NULL && *path != '\0') {
		if (read_cred(path, &cred, err, errsz) == -1)
			rc = -1;
	} else if ((v = getenv(AUTH_ENV)) != NULL && *v != '\0') {
		if (strlen(v) > AUTH_MAX) {
			snprintf(err, errsz, "%s is longer than %d bytes",
			    AUTH_ENV, AUTH_MAX);
			rc = -1;
		} else
			buf_puts(&cred, v);
	} else
		rc = 0;
	if (rc == 1 && cred.len == 0) {
		snprintf(err, errsz, "%s: the Pushgateway credential is empty",
		    path);
		rc = -1;
	} else if (rc == 1 && strcspn(cred.data, "\r\n") != cred.len) {
		snprintf(err, errsz, "%s: the Pushgateway credential must be "
		    "one line of text", path != NULL && *path != '\0' ? path :
		    AUTH_ENV);
		rc = -1;
	}
	if (rc == 1) {
		buf_reserve(hdr, 32 + (cred.len + 2) / 3 * 4);
		if (strchr(cred.data, ':') != NULL) {
			buf_puts(hdr, "Authorization: Basic ");
			buf_base64(hdr, cred.data, cred.len);
		} else {
			buf_puts(hdr, "Authorization: Bearer ");
			buf_puts(hdr, cred.data);
		}
	}
	wipe(&cred);
	return rc;
}

/* Reads the one-line credential file path into cred (a trailing newline
 * dropped); returns 0, or -1 with err. */
static int
read_cred(const char *path, struct buf *cred, char *err, size_t errsz)
{
	char chunk[512];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "unable to open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errsz, "unable to read %s: %s", path,
			    strerror(errno));
			rc = -1;
			break;
		}
		if (cred->len + (size_t)n > AUTH_MAX) {
			snprintf(err, errsz, "%s is longer than %d bytes", path,
			    AUTH_MAX);
			rc = -1;
			break;
		}
		buf_add(cred, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	while (cred->len > 0 && (cred->data[cred->len - 1] == '\n' ||
	    cred->data[cred->len - 1] == '\r'))
		cred->data[--cred->len] = '\0';
	if (rc == 0 && memchr(cred->data, '\0', cred->len) != NULL) {
		snprintf(err, errsz, "%s: the Pushgateway credential must be "
		    "one line of text", path);
		rc = -1;
	}
	return rc;
}

/* The URL has a userinfo part (scheme://userinfo@host...). */
static int
has_userinfo(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return memchr(p, '@', strcspn(p, "/?#")) != NULL;
}

/* Frees a buffer that held a credential, zeroed first. */
static void
wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}
