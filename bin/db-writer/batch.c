/*
 * batch: the loop of db-writer's input modes (see batch.h).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "batch.h"
#include "dbw.h"
#include "exitcodes.h"
#include "lineio.h"
#include "log.h"
#include "sig.h"
#include "timeutil.h"

static int	begin(struct batch *);
static int	loop(struct batch *, struct lineio *);
static int	wait_input(struct batch *, struct lineio *);

int
batch_run(struct batch *b)
{
	struct lineio in;
	int rc;

	lineio_init(&in, 0, b->d->max_line);
	if ((rc = begin(b)) == 0)
		rc = loop(b, &in);
	if (b->outage && !b->term && b->ops->outage != NULL)
		b->ops->outage(b->arg, &in);
	if (b->term)
		log_info("terminating: what was read is recorded, the rest of "
		    "the input is left unread");
	lineio_free(&in);
	return rc;
}

/*
 * The first connection, the mode's start, then readiness.  Not ready: the
 * readiness fd is closed without a newline; an outage there keeps the input
 * only when no one waits for readiness (no -n), since whoever does has not
 * started what feeds us.
 */
static int
begin(struct batch *b)
{
	struct dbw *d = b->d;
	int rc = 0;

	if (dbw_connect(d) == -1) {
		rc = d->need_schema == -1 ? EXIT_DB_ACCESS : BATCH_OUTAGE;
		if (rc == BATCH_OUTAGE)
			log_error("not ready: no database at start");
	} else if (b->ops->start != NULL)
		rc = b->ops->start(b->arg);
	if (rc == 0) {
		dbw_ready(d);
		return 0;
	}
	if (rc == BATCH_OUTAGE) {
		rc = EXIT_DB_UNREACHABLE;
		b->outage = 1;
	}
	if (dbw_not_ready(d))
		b->outage = 0;
	return rc;
}

/* Reads, batches and writes until the end of the input, SIGTERM or a
 * failure. */
static int
loop(struct batch *b, struct lineio *in)
{
	struct dbw *d = b->d;
	char *line;
	size_t len, bytes;
	int r, rc = 0, eof = 0, failed = 0;

	while (!eof && !b->term && rc == 0) {
		if (wait_input(b, in) == -1)
			eof = failed = 1;
		r = LINE_AGAIN;
		while (rc == 0 && ((r = lineio_next(in, &line, &len)) ==
		    LINE_OK || r == LINE_TOOLONG))
			if (b->ops->take(b->arg, line, len, r == LINE_TOOLONG,
			    in->partial, in->lineno, &bytes))
				rc = batch_took(b, bytes);
		if (in->eof && r == LINE_EOF)
			eof = 1;
		if (rc == 0 && b->n > 0 && (eof || b->term ||
		    time_mono_ms() - b->first_ms >= d->batch_delay_ms))
			rc = batch_flush(b);
		if (rc == 0 && failed)
			rc = EXIT_INPUT_FAILED;
		dbw_metrics_flush(d, 0);
	}
	return rc;
}

int
batch_took(struct batch *b, size_t bytes)
{
	if (b->n++ == 0)
		b->first_ms = time_mono_ms();
	b->bytes += bytes;
	if (b->n >= (size_t)b->d->batch_size || b->bytes >= b->d->batch_bytes)
		return batch_flush(b);
	return 0;
}

int
batch_flush(struct batch *b)
{
	struct dbw *d = b->d;
	int64_t start = time_mono_ms();
	int attempt = 0, r;

	if (b->n == 0)
		return 0;
	while ((r = b->ops->write(b->arg, ++attempt)) == BATCH_OUTAGE) {
		d->metrics[M_DB_RETRIES].value++;
		if (b->impatient || dbw_backoff(d, attempt, start) == -1) {
			if (!b->impatient)
				log_error("giving up on the database after %lld "
				    "ms; %zu %s", (long long)(time_mono_ms() -
				    start), b->n, b->ops->lost);
			b->n = b->bytes = 0;
			b->outage = 1;
			return EXIT_DB_UNREACHABLE;
		}
	}
	if (r != BATCH_DONE)
		return r;
	d->metrics[M_BATCHES].value++;
	b->n = b->bytes = 0;
	return b->ops->committed(b->arg);
}

/*
 * Waits for input on stdin or a signal, at most until the open batch is
 * due (-w) or the metrics file is, and reads what came; sets term on
 * SIGTERM/SIGINT.  Returns 0, or -1 on a read error (logged).
 */
static int
wait_input(struct batch *b, struct lineio *in)
{
	struct pollfd pfd[2];
	int64_t wait = -1, now = time_mono_ms(), due;

	if (b->n > 0) {
		wait = b->first_ms + b->d->batch_delay_ms - now;
		if (wait < 0)
			wait = 0;
	}
	/* Wake up for changed counters, which the loop then writes. */
	due = metrics_timer_wait(&b->d->mtimer, now);
	if (due >= 0 && (wait < 0 || due < wait))
		wait = due;
	pfd[0].fd = 0;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	pfd[1].fd = sig_fd();
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	/* Interrupted: nothing to read yet; the signal shows on the pipe. */
	if (poll(pfd, 2, (int)wait) == -1) {
		if (errno != EINTR)
			log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
		pfd[0].revents = pfd[1].revents = 0;
	}
	if (pfd[1].revents & POLLIN) {
		sig_read();
		b->term = sig_pending_term();
	}
	if (!b->term && (pfd[0].revents & (POLLIN | POLLHUP)) &&
	    lineio_fill(in) == -1 && errno != EINTR && errno != EAGAIN) {
		log_error("unable to read stdin: %s", strerror(errno));
		return -1;
	}
	return 0;
}
