/*
 * batch: the loop of db-writer's input modes (see batch.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

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
static int	finish(struct batch *, void *, size_t, int, int, int64_t);
static int	send_async(struct batch *);
static int	wait_inflight(struct batch *);
static void	*write_thread(void *);

int
batch_run(struct batch *b)
{
	struct lineio in;
	int rc, r;

	lineio_init(&in, 0, b->d->max_line);
	b->w.pipe[0] = b->w.pipe[1] = -1;
	if (b->spare != NULL && pipe(b->w.pipe) == -1) {
		log_warn("pipe: %s; batches are written one after the other",
		    strerror(errno));
		b->spare = NULL;
	}
	if ((rc = begin(b)) == 0)
		rc = loop(b, &in);
	if (b->w.running) {
		r = wait_inflight(b);
		if (rc == 0)
			rc = r;
	}
	if (b->w.pipe[0] != -1) {
		close(b->w.pipe[0]);
		close(b->w.pipe[1]);
	}
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
		if (b->w.running && b->w.done)
			rc = wait_inflight(b);
		r = LINE_AGAIN;
		while (rc == 0 && ((r = lineio_next(in, &line, &len)) ==
		    LINE_OK || r == LINE_TOOLONG))
			if (b->ops->take(b->arg, line, len, r == LINE_TOOLONG,
			    in->partial, in->lineno, &bytes))
				rc = batch_took(b, bytes);
		if (in->eof && r == LINE_EOF)
			eof = 1;
		if (rc == 0 && (eof || b->term))
			rc = batch_flush(b);
		else if (rc == 0 && b->n > 0 &&
		    time_mono_ms() - b->first_ms >= d->batch_delay_ms)
			rc = send_async(b);
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
		return send_async(b);
	return 0;
}

int
batch_flush(struct batch *b)
{
	size_t n = b->n;
	int rc;

	if ((rc = wait_inflight(b)) != 0 || n == 0)
		return rc;
	b->n = b->bytes = 0;
	return finish(b, b->arg, n, 0, 0, time_mono_ms());
}

/*
 * Writes the batch arg of n lines (attempt 0: not tried yet; else attempt
 * gave r), through outages unless impatient, then committed.
 */
static int
finish(struct batch *b, void *arg, size_t n, int attempt, int r,
    int64_t start)
{
	struct dbw *d = b->d;

	if (attempt == 0)
		r = b->ops->write(arg, ++attempt);
	while (r == BATCH_OUTAGE) {
		d->metrics[M_DB_RETRIES].value++;
		if (b->impatient || dbw_backoff(d, attempt, start) == -1) {
			if (!b->impatient)
				log_error("giving up on the database after %lld "
				    "ms; %zu %s", (long long)(time_mono_ms() -
				    start), n, b->ops->lost);
			b->outage = 1;
			return EXIT_DB_UNREACHABLE;
		}
		r = b->ops->write(arg, ++attempt);
	}
	if (r != BATCH_DONE)
		return r;
	d->metrics[M_BATCHES].value++;
	return b->ops->committed(arg);
}

/*
 * Hands the batch to a thread for its first attempt and goes on reading
 * into the spare instance; without one, writes it here.  Waits for the
 * batch in flight first: one at a time.
 */
static int
send_async(struct batch *b)
{
	sigset_t all, old;
	int rc;

	if (b->spare == NULL || b->impatient)
		return batch_flush(b);
	if ((rc = wait_inflight(b)) != 0 || b->n == 0)
		return rc;
	b->w.arg = b->arg;
	b->w.n = b->n;
	b->w.start = time_mono_ms();
	b->w.done = 0;
	b->arg = b->spare;
	b->spare = b->w.arg;
	b->n = b->bytes = 0;
	/* Signals are for the loop: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&b->w.thread, NULL, write_thread, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warn("unable to start a thread (%s): the batch is written "
		    "in the loop", strerror(rc));
		return finish(b, b->w.arg, b->w.n, 0, 0, b->w.start);
	}
	b->w.running = 1;
	return 0;
}

static void *
write_thread(void *arg)
{
	struct batch *b = arg;
	ssize_t r;

	b->w.rc = b->ops->write(b->w.arg, 1);
	do
		r = write(b->w.pipe[1], "", 1);
	while (r == -1 && errno == EINTR);
	return NULL;
}

/* Waits for the batch in flight, if any, and finishes it here. */
static int
wait_inflight(struct batch *b)
{
	char c;
	int rc;

	if (!b->w.running)
		return 0;
	if ((rc = pthread_join(b->w.thread, NULL)) != 0)
		log_fatal(EXIT_BUG, "pthread_join: %s", strerror(rc));
	b->w.running = 0;
	while (read(b->w.pipe[0], &c, 1) == -1 && errno == EINTR)
		;
	return finish(b, b->w.arg, b->w.n, 1, b->w.rc, b->w.start);
}

/*
 * Waits for input on stdin or a signal, at most until the open batch is
 * due (-w) or the metrics file is, and reads what came; sets term on
 * SIGTERM/SIGINT.  Returns 0, or -1 on a read error (logged).
 */
static int
wait_input(struct batch *b, struct lineio *in)
{
	struct pollfd pfd[3];
	nfds_t nfd = 2;
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
	if (b->w.running) {
		pfd[2].fd = b->w.pipe[0];
		pfd[2].events = POLLIN;
		pfd[2].revents = 0;
		nfd = 3;
	}
	/* Interrupted: nothing to read yet; the signal shows on the pipe. */
	if (poll(pfd, nfd, (int)wait) == -1) {
		if (errno != EINTR)
			log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
	}
	if (nfd == 3 && (pfd[2].revents & POLLIN))
		b->w.done = 1;
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
