/*
 * util: what the modules of servicelog-poster share (see slp.h).
 *
 * The JSON parser of responses and lines, the termination check, the
 * interruptible wait and the backoff between attempts, the excerpt of a
 * response body for the log, and the metrics file.  This file calls
 * nothing of run.c, render.c, token.c or post.c: they all call it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "lines.h"
#include "log.h"
#include "sig.h"
#include "slp.h"
#include "timeutil.h"
#include "utf8.h"

#define LONGEST_WAIT_MS	(3600LL * 1000)

static int64_t	retry_after_ms(const struct http_response *);

struct json_object *
slp_parse(struct poster *p, const char *text, size_t len, char *why,
    size_t whysz)
{
	struct json_object *o;
	char err[512];

	if (lines_parse_json(p->tokener, text, len, "text", &o, err,
	    sizeof(err)) != LINES_OK) {
		snprintf(why, whysz, "not JSON: %s", err);
		return NULL;
	}
	if (o == NULL)
		snprintf(why, whysz, "a JSON null");
	return o;
}

int
slp_terminating(struct poster *p)
{
	if (!p->term && sig_read() != 0) {
		log_info("signal received: finishing the current cluster");
		p->term = 1;
	}
	return p->term;
}

int
slp_wait(struct poster *p, int64_t ms)
{
	struct pollfd pfd;
	int64_t end = time_mono_ms() + ms, left;

	while (!slp_terminating(p)) {
		slp_metrics_tick(p, 0);
		if ((left = end - time_mono_ms()) <= 0)
			return 0;
		pfd.fd = sig_fd();
		pfd.events = POLLIN;
		/* Wakes up for the metrics during a long backoff. */
		if (poll(&pfd, 1, left > slp_idle_ms(p) ? slp_idle_ms(p) :
		    (int)left) == -1 && errno != EINTR)
			log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
	}
	return -1;
}

int64_t
slp_backoff_ms(const struct config *cfg, int n,
    const struct http_response *resp)
{
	int64_t ms = cfg->retry_base_ms, ra;

	while (--n > 0 && ms < LONGEST_WAIT_MS)
		ms *= 2;
	if (ms > LONGEST_WAIT_MS)
		ms = LONGEST_WAIT_MS;
	ms = ms * (75 + (int64_t)arc4random_uniform(51)) / 100;
	if ((ra = retry_after_ms(resp)) >= 0) {
		if (ra > cfg->retry_after_max_ms)
			ra = cfg->retry_after_max_ms;
		if (ra > ms)
			ms = ra;
	}
	return ms;
}

/*
 * The Retry-After of an HTTP error response in ms (delay-seconds or an
 * HTTP-date), or -1 when it has none.
 */
static int64_t
retry_after_ms(const struct http_response *resp)
{
	char v[128];
	const char *errstr;
	long long s;
	struct tm tm;
	char *end;
	time_t t;

	if (resp->status < 400 ||
	    http_response_header(resp, "Retry-After", v, sizeof(v)) == -1)
		return -1;
	s = strtonum(v, 0, LONGEST_WAIT_MS / 1000, &errstr);
	if (errstr == NULL)
		return s * 1000;
	if (strspn(v, "0123456789") == strlen(v) && v[0] != '\0')
		return LONGEST_WAIT_MS;		/* too large */
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	t -= time(NULL);
	if (t <= 0)
		return 0;
	return t > LONGEST_WAIT_MS / 1000 ? LONGEST_WAIT_MS :
	    (int64_t)t * 1000;
}

void
slp_excerpt(const char *s, size_t n, size_t max, char *out, size_t outsz)
{
	const unsigned char *u = (const unsigned char *)s;
	struct buf b;
	size_t i, k;

	buf_init_fixed(&b, out, outsz);
	for (i = 0; i < n && b.len < max && !b.trunc; i += k) {
		k = 1;
		if (u[i] < 0x20 || u[i] == 0x7f) {
			if (b.len > 0 && b.data[b.len - 1] != ' ')
				buf_putc(&b, ' ');
			continue;
		}
		if (u[i] >= 0x80) {
			if ((k = utf8_seq(u + i, n - i)) == 0) {
				buf_putc(&b, '?');
				k = 1;
				continue;
			}
			if (b.len + k > max)
				break;
		}
		buf_add(&b, s + i, k);
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (i < n && b.len + 3 < outsz)
		buf_puts(&b, "...");
}

void
slp_metrics_tick(struct poster *p, int force)
{
	(void)metrics_refresh(&p->mtimer, p->cfg->metrics_file,
	    SLP_METRICS_PREFIX, p->m, M_NMETRICS, force);
}

int
slp_idle_ms(const struct poster *p)
{
	int64_t due = metrics_timer_wait(&p->mtimer, time_mono_ms());

	return due >= 0 && due < SLP_IDLE_MS ? (int)due : SLP_IDLE_MS;
}
