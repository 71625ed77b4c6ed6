#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "metrics.h"

int
metrics_push(const char *gateway, const char *job, const char *prefix,
    const struct metric *m, size_t n, char *err, size_t errsz)
{
	static const char *const headers[] = {
		"Content-Type: text/plain; version=0.0.4", NULL
	};
	struct http_response res;
	struct http h;
	struct buf body, url;
	int rc = -1;

	if (gateway == NULL || *gateway == '\0')
		return 0;
	if (http_init(&h, err, errsz) == -1)
		return -1;
	h.connect_timeout_ms = 5000;
	h.timeout_ms = 5000;
	buf_init(&body);
	buf_init(&url);
	metrics_format(&body, prefix, m, n);
	buf_puts(&url, gateway);
	while (url.len > 0 && url.data[url.len - 1] == '/')
		url.data[--url.len] = '\0';
	buf_printf(&url, "/metrics/job/%s", job);
	http_response_init(&res);
	if (http_request(&h, "PUT", url.data, headers, body.data, body.len,
	    &res, err, errsz) == 0) {
		if (res.status >= 200 && res.status < 300)
			rc = 0;
		else
			snprintf(err, errsz, "PUT %s: HTTP %ld", url.data,
			    res.status);
	}
	http_response_free(&res);
	http_free(&h);
	buf_free(&body);
	buf_free(&url);
	return rc;
}
