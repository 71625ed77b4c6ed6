/*
 * post: one Service Log entry, with the policy of Contract G 8.3.
 *
 *   2xx                 success (a status other than 201 is logged)
 *   401                 a new token (cache bypassed), the entry sent once
 *                       more; a second 401 fails the entry
 *   429, 5xx, transport error, timeout
 *                       up to 1 + retries attempts, waiting base, 2 base,
 *                       4 base ... (jitter +-25 %) or the Retry-After of
 *                       the response if longer (capped) between them
 *   anything else       fails the entry at once
 *
 * A termination signal cuts a wait short and stops the retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "redact.h"
#include "slp.h"

enum { SENT, RETRY, FAILED, NEW_TOKEN };

static int	attempt(struct poster *, const char *, const char *, size_t,
		    struct http_response *, char *, size_t);

int
post_entry(struct poster *p, struct cluster *c, const char *body,
    size_t len, char *err, size_t errsz)
{
	const struct config *cfg = p->cfg;
	struct http_response resp;
	char why[SLP_ERROR_MAX + 1];
	const char *tok;
	int nfail = 0, refreshed = 0, rc = -1, force = 0;
	int64_t ms;

	if (c->token_failed) {
		strlcpy(err, c->token_error, errsz);
		return -1;
	}
	http_response_init(&resp);
	for (;;) {
		if ((tok = token_get(p, force, why, sizeof(why))) == NULL) {
			/* The other entries of the cluster fail at once. */
			c->token_failed = 1;
			strlcpy(c->token_error, why, sizeof(c->token_error));
			strlcpy(err, why, errsz);
			break;
		}
		force = 0;
		switch (attempt(p, tok, body, len, &resp, why, sizeof(why))) {
		case SENT:
			rc = 0;
			goto done;
		case FAILED:
			strlcpy(err, why, errsz);
			goto done;
		case NEW_TOKEN:
			if (refreshed) {
				snprintf(err, errsz, "%s, again with a new "
				    "token", why);
				goto done;
			}
			log_info("cluster %s: %s: getting a new token", c->id,
			    why);
			refreshed = force = 1;
			continue;
		}
		if (++nfail > cfg->retries) {
			snprintf(err, errsz, "%s (%d attempt%s)", why, nfail,
			    nfail == 1 ? "" : "s");
			break;
		}
		ms = slp_backoff_ms(cfg, nfail, &resp);
		log_warn("cluster %s: %s; trying again in %lld ms", c->id, why,
		    (long long)ms);
		if (slp_wait(p, ms) == -1) {
			snprintf(err, errsz, "%s (not tried again: "
			    "terminating)", why);
			break;
		}
	}
done:
	http_response_free(&resp);
	return rc;
}

/* One POST of the entry; returns SENT, RETRY, FAILED or NEW_TOKEN. */
static int
attempt(struct poster *p, const char *tok, const char *body, size_t len,
    struct http_response *resp, char *why, size_t whysz)
{
	const struct config *cfg = p->cfg;
	const char *hdrs[4];
	char herr[1024], ex[SLP_EXCERPT_MAX + 8];
	struct buf auth;
	int rc;

	buf_init(&auth);
	buf_puts(&auth, "Authorization: Bearer ");
	buf_puts(&auth, tok);
	hdrs[0] = auth.data;
	hdrs[1] = "Content-Type: application/json";
	hdrs[2] = "Accept: application/json";
	hdrs[3] = NULL;
	p->http.timeout_ms = cfg->timeout_ms;
	p->http.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS <
	    p->http.timeout_ms ? HTTP_CONNECT_TIMEOUT_MS : p->http.timeout_ms;
	rc = http_request(&p->http, "POST", cfg->url, hdrs, body, len, resp,
	    herr, sizeof(herr));
	explicit_bzero(auth.data, auth.len);
	buf_free(&auth);
	if (rc == -1) {
		strlcpy(why, "service log: ", whysz);
		strlcat(why, herr, whysz);
		return RETRY;
	}
	if (resp->status >= 200 && resp->status < 300) {
		if (resp->status != 201)
			log_info("service log: HTTP %ld taken as success",
			    resp->status);
		return SENT;
	}
	slp_excerpt(resp->body.data, resp->body.len, SLP_EXCERPT_MAX, ex,
	    sizeof(ex));
	snprintf(why, whysz, "service log: POST %s: HTTP %ld: %s", cfg->url,
	    resp->status, ex);
	redact_text(why, whysz);	/* the URL's userinfo */
	if (resp->status == 401)
		return NEW_TOKEN;
	if (resp->status == 429 || resp->status >= 500)
		return RETRY;
	return FAILED;
}
