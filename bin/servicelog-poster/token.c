/*
 * token: the OAuth access token of the client-credentials grant (8.1).
 *
 * POST <token_url> with a form body, HTTP Basic client authentication and
 * Accept: application/json.  A 200 JSON object with a non-empty
 * access_token is a token; a token_type, if present, must be bearer (any
 * case).  Its lifetime is expires_in, or the exp claim when the token is a
 * JWT (the shorter of the two when both are known), else unlimited; it is
 * reused until 60 s before it ends (half its lifetime when that is under
 * two minutes).  Opaque tokens are fine.  A 429, a 5xx, a transport error
 * or a timeout is tried again with backoff, up to 1 + retries attempts;
 * other answers fail at once.  Neither the secret nor a token is ever
 * logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "redact.h"
#include "slp.h"
#include "timeutil.h"

#define REFRESH_MARGIN_S	60
#define NO_EXPIRY		INT64_MAX
#define LONGEST_S		(100LL * 366 * 86400)	/* = no expiry */

static int	fetch(struct poster *, char *, size_t);
static int	attempt(struct poster *, const char *const *, const char *,
		    size_t, struct http_response *, char *, size_t);
static int	read_token(struct poster *, const struct http_response *,
		    int64_t, char *, size_t);
static int64_t	jwt_exp(const char *);
static int64_t	seconds(struct json_object *);
static void	form_escape(struct buf *, const char *);
static void	refused(const char *, const struct http_response *, char *,
		    size_t);

const char *
token_get(struct poster *p, int force, char *err, size_t errsz)
{
	if (!force && p->tok.value != NULL &&
	    time_mono_ms() < p->tok.refresh_ms)
		return p->tok.value;
	if (p->tok.value != NULL)
		log_debug("%s the access token", force ? "replacing" :
		    "refreshing");
	token_free(&p->tok);
	if (fetch(p, err, errsz) == -1)
		return NULL;
	p->m[M_TOKEN_REFRESHES].value++;
	return p->tok.value;
}

void
token_free(struct token *t)
{
	if (t->value != NULL) {
		explicit_bzero(t->value, strlen(t->value));
		free(t->value);
	}
	t->value = NULL;
	t->refresh_ms = 0;
}

/* One token request, with its retries; returns 0 or -1 with err. */
static int
fetch(struct poster *p, char *err, size_t errsz)
{
	const struct config *cfg = p->cfg;
	struct http_response resp;
	struct buf auth, cred, form;
	const char *hdrs[4];
	int64_t start;
	int n, rc;

	buf_init(&cred);
	buf_init(&auth);
	buf_init(&form);
	buf_puts(&cred, cfg->client_id);
	buf_putc(&cred, ':');
	buf_puts(&cred, cfg->client_secret);
	buf_puts(&auth, "Authorization: Basic ");
	buf_base64(&auth, cred.data, cred.len);
	buf_puts(&form, "grant_type=client_credentials&client_id=");
	form_escape(&form, cfg->client_id);
	buf_puts(&form, "&scope=openid");
	hdrs[0] = "Content-Type: application/x-www-form-urlencoded";
	hdrs[1] = "Accept: application/json";
	hdrs[2] = auth.data;
	hdrs[3] = NULL;
	http_response_init(&resp);
	for (n = 1;; n++) {
		start = time_mono_ms();
		rc = attempt(p, hdrs, form.data, form.len, &resp, err, errsz);
		if (rc == 0)
			rc = read_token(p, &resp, start, err, errsz);
		if (rc != 1)
			break;
		if (n > cfg->retries) {
			rc = -1;
			break;
		}
		log_warn("%s; trying again", err);
		if (slp_wait(p, slp_backoff_ms(cfg, n, &resp)) == -1) {
			rc = -1;
			break;
		}
	}
	http_response_free(&resp);
	explicit_bzero(cred.data, cred.len);
	explicit_bzero(auth.data, auth.len);
	buf_free(&cred);
	buf_free(&auth);
	buf_free(&form);
	if (rc == 0)
		log_debug("access token obtained");
	return rc;
}

/*
 * One POST.  Returns 0 for a 200, 1 for a failure worth another attempt,
 * -1 for a final one (err says which).
 */
static int
attempt(struct poster *p, const char *const *hdrs, const char *body,
    size_t len, struct http_response *resp, char *err, size_t errsz)
{
	char herr[1024];

	p->http.timeout_ms = p->cfg->timeout_ms;
	p->http.connect_timeout_ms = HTTP_CONNECT_TIMEOUT_MS <
	    p->http.timeout_ms ? HTTP_CONNECT_TIMEOUT_MS : p->http.timeout_ms;
	if (http_request(&p->http, "POST", p->cfg->token_url, hdrs, body, len,
	    resp, herr, sizeof(herr)) == -1) {
		snprintf(err, errsz, "token: %s", herr);
		return 1;
	}
	if (resp->status == 200)
		return 0;
	refused(p->cfg->token_url, resp, err, errsz);
	return resp->status == 429 || resp->status >= 500 ? 1 : -1;
}

/* "token: HTTP 401: invalid_client: why", from the OAuth error body. */
static void
refused(const char *url, const struct http_response *resp, char *err,
    size_t errsz)
{
	struct json_object *o, *e, *d;
	char ex[SLP_EXCERPT_MAX + 8], msg[2 * SLP_EXCERPT_MAX];

	o = json_tokener_parse(resp->body.data != NULL ? resp->body.data : "");
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_string)) {
		if (!json_object_object_get_ex(o, "error_description", &d) ||
		    !json_object_is_type(d, json_type_string))
			d = NULL;
		snprintf(msg, sizeof(msg), "%s%s%s", json_object_get_string(e),
		    d != NULL ? ": " : "", d != NULL ?
		    json_object_get_string(d) : "");
		slp_excerpt(msg, strlen(msg), SLP_EXCERPT_MAX, ex, sizeof(ex));
	} else
		slp_excerpt(resp->body.data, resp->body.len, SLP_EXCERPT_MAX,
		    ex, sizeof(ex));
	json_object_put(o);
	snprintf(err, errsz, "token: POST %s: HTTP %ld: %s", url,
	    resp->status, ex);
	/* The URL's userinfo; a secret the endpoint may have echoed. */
	redact_text(err, errsz);
}

/*
 * Takes the token of a 200 response fetched at start (time_mono_ms).
 * Returns 0, or -1 with err when the answer is not a usable token.
 */
static int
read_token(struct poster *p, const struct http_response *resp,
    int64_t start, char *err, size_t errsz)
{
	struct json_object *o, *v;
	const char *tok;
	char why[512];
	int64_t life = NO_EXPIRY, exp;

	o = slp_parse(p, resp->body.data, resp->body.len, why, sizeof(why));
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errsz, "token: undecodable response: %s",
		    o == NULL ? why : "not a JSON object");
		json_object_put(o);
		return -1;
	}
	if (!json_object_object_get_ex(o, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		snprintf(err, errsz, "token: the response has no "
		    "access_token");
		goto bad;
	}
	tok = json_object_get_string(v);
	if (strcspn(tok, "\r\n") != strlen(tok) ||
	    (size_t)json_object_get_string_len(v) != strlen(tok)) {
		snprintf(err, errsz, "token: the access_token is not one "
		    "line of text");
		goto bad;
	}
	if (json_object_object_get_ex(o, "token_type", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcasecmp(json_object_get_string(v), "bearer") != 0)) {
		snprintf(err, errsz, "token: token_type is not bearer");
		goto bad;
	}
	if (json_object_object_get_ex(o, "expires_in", &v) && v != NULL &&
	    (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)))
		life = seconds(v);
	if ((exp = jwt_exp(tok)) != NO_EXPIRY) {
		exp -= time_now_us() / 1000000;
		if (exp < life)
			life = exp;
	}
	if ((p->tok.value = strdup(tok)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate the token");
	if (life == NO_EXPIRY)
		p->tok.refresh_ms = NO_EXPIRY;
	else {
		if (life < 0)
			life = 0;
		life -= life >= 2 * REFRESH_MARGIN_S ? REFRESH_MARGIN_S :
		    life / 2;
		p->tok.refresh_ms = start + life * 1000;
	}
	if (life == NO_EXPIRY)
		log_debug("access token without expiry");
	else
		log_debug("access token to be refreshed in %lld s",
		    (long long)life);
	json_object_put(o);
	return 0;
bad:
	json_object_put(o);
	return -1;
}

/* The exp claim of a JWT (header.payload.signature), or NO_EXPIRY. */
static int64_t
jwt_exp(const char *tok)
{
	struct json_object *o, *v;
	struct buf b, dec;
	const char *d1, *d2, *c;
	int64_t exp = NO_EXPIRY;

	if ((d1 = strchr(tok, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL || strchr(d2 + 1, '.') != NULL)
		return NO_EXPIRY;
	buf_init(&b);
	buf_init(&dec);
	/* base64url without padding to base64 */
	for (c = d1 + 1; c < d2; c++)
		buf_putc(&b, *c == '-' ? '+' : *c == '_' ? '/' : *c);
	while (b.len % 4 != 0)
		buf_putc(&b, '=');
	if (b.len > 0 && buf_unbase64(&dec, b.data, b.len) == 0 &&
	    dec.len > 0 && (o = json_tokener_parse(dec.data)) != NULL) {
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, "exp", &v) &&
		    (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
			exp = seconds(v);
		json_object_put(o);
	}
	buf_free(&dec);
	buf_free(&b);
	return exp;
}

/* A number of seconds; beyond a century it means no expiry. */
static int64_t
seconds(struct json_object *v)
{
	double d = json_object_get_double(v);

	if (!(d < (double)LONGEST_S))
		return NO_EXPIRY;
	if (d < (double)-LONGEST_S)
		return -LONGEST_S;
	return (int64_t)d;
}

/* application/x-www-form-urlencoded, unreserved characters kept. */
static void
form_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
		    (*u >= '0' && *u <= '9') || strchr("-._~", *u) != NULL)
			buf_putc(b, *u);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[*u >> 4]);
			buf_putc(b, hex[*u & 15]);
		}
	}
}
