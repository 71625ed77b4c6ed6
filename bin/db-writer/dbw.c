/*
 * What the modes of db-writer share: the connection, backoff, readiness
 * and metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "dbw.h"
#include "lineio.h"
#include "log.h"
#include "pg.h"
#include "prog.h"
#include "sig.h"
#include "timeutil.h"

/* When the metrics file is due (one per process, as the file), which
 * dbw_wait_input wakes up for. */
static struct metrics_timer mtimer;

int
dbw_connect(struct dbw *d)
{
	char err[1024];
	PGresult *res;
	int perm;

	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK)
		return 0;
	dbw_disconnect(d);
	if ((d->conn = pg_connect_perm(d->conninfo, "db-writer", &perm, err,
	    sizeof(err))) == NULL) {
		if (perm)
			log_fatal(EXIT_DB_ACCESS, "unable to connect to the "
			    "database: %s", err);
		log_warn("unable to connect to the database: %s", err);
		return -1;
	}
	if (d->need_schema == 1) {
		res = PQexec(d->conn, "SELECT to_regclass('consumed_records') "
		    "IS NOT NULL AND to_regclass('dead_letters') IS NOT NULL");
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
			log_error("the database lacks the tables of migration "
			    "10 (dead_letters, consumed_records): run "
			    "\"db-writer migrate\" first");
			PQclear(res);
			d->need_schema = -1;
			dbw_disconnect(d);
			return -1;
		}
		PQclear(res);
		d->need_schema = 0;
	}
	/* Never go back in time, even across restarts (SPEC 2.6). */
	res = PQexec(d->conn, "SELECT (extract(epoch FROM max(updated_at)) * "
	    "1000000)::bigint FROM new_reports");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0)) {
		int64_t last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		if (last > d->last_updated_at)
			d->last_updated_at = last;
	}
	PQclear(res);
	return 0;
}

void
dbw_disconnect(struct dbw *d)
{
	PQfinish(d->conn);
	d->conn = NULL;
}

int
dbw_backoff(struct dbw *d, int n, int64_t start_ms)
{
	int64_t ms = 100, end;

	while (--n > 0 && ms < 10000)
		ms *= 2;
	if (ms > 10000)
		ms = 10000;
	if (time_mono_ms() + ms - start_ms > d->retry_timeout_ms)
		return -1;
	end = time_mono_ms() + ms;
	while (time_mono_ms() < end) {
		if (sig_pending_term())
			return -1;
		time_sleep_ms(end - time_mono_ms() > 100 ? 100 :
		    end - time_mono_ms());
		sig_read();
		dbw_metrics_flush(d, 0);
	}
	return sig_pending_term() ? -1 : 0;
}

void
dbw_ready(struct dbw *d)
{
	prog_ready(d->prog);
}

void
dbw_metrics_flush(struct dbw *d, int force)
{
	(void)metrics_refresh(&mtimer, d->metrics_file,
	    "ccx_notification_writer_", d->metrics, M_NMETRICS, force);
}

void
dbw_metrics_push(struct dbw *d)
{
	char err[512];

	if (metrics_push(d->pushgateway, "db-writer",
	    "ccx_notification_writer_", d->metrics, M_NMETRICS, err,
	    sizeof(err)) == -1)
		log_warn("unable to push metrics: %s", err);
}

int
dbw_wait_input(struct lineio *in, int64_t first_ms, int64_t delay_ms,
    int *term)
{
	struct pollfd pfd[2];
	int64_t wait = -1, now = time_mono_ms(), due;

	if (first_ms != 0) {
		wait = first_ms + delay_ms - now;
		if (wait < 0)
			wait = 0;
	}
	/* Wake up for changed counters, which the caller then writes. */
	due = metrics_timer_wait(&mtimer, now);
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
		*term = sig_pending_term();
	}
	if (!*term && (pfd[0].revents & (POLLIN | POLLHUP)) &&
	    lineio_fill(in) == -1 && errno != EINTR && errno != EAGAIN) {
		log_error("unable to read stdin: %s", strerror(errno));
		return -1;
	}
	return 0;
}
