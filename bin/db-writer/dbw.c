/*
 * What the modes of db-writer share: the connection, backoff, readiness
 * and metrics.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbw.h"
#include "log.h"
#include "pg.h"
#include "prog.h"
#include "sig.h"
#include "timeutil.h"

static int	has_schema(struct dbw *);

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
	if (d->need_schema == 1 && !has_schema(d)) {
		d->need_schema = -1;
		dbw_disconnect(d);
		return -1;
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

/*
 * Whether the tables of the mode are there (schema_sql, one boolean); yes
 * when the query fails: the batches will say.
 */
static int
has_schema(struct dbw *d)
{
	PGresult *res;
	int ok = 1;

	res = PQexec(d->conn, d->schema_sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		log_error("%s", d->schema_why);
		ok = 0;
	} else
		d->need_schema = 0;
	PQclear(res);
	return ok;
}

void
dbw_disconnect(struct dbw *d)
{
	PQfinish(d->conn);
	d->conn = NULL;
}

int
dbw_failed(struct dbw *d)
{
	return PQstatus(d->conn) == CONNECTION_OK ? EXIT_DB_REFUSED :
	    EXIT_DB_UNREACHABLE;
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

int
dbw_not_ready(struct dbw *d)
{
	struct prog_setting *s = prog_find(d->prog, "ready-fd");

	if (s == NULL || s->num < 0)
		return 0;
	close((int)s->num);
	s->num = -1;
	return 1;
}

void
dbw_metrics_flush(struct dbw *d, int force)
{
	(void)metrics_refresh(&d->mtimer, d->metrics_file,
	    "ccx_notification_writer_", d->metrics, M_NMETRICS, force);
}

void
dbw_metrics_push(struct dbw *d)
{
	metrics_push_warn(d->pushgateway, "db-writer",
	    "ccx_notification_writer_", d->metrics, M_NMETRICS);
}
