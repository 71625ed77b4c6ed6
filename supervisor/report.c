/*
 * report: the status table (SIGUSR1, --status-file) and the counters for
 * the Prometheus textfile collector (--metrics-file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sup.h"
#include "timeutil.h"

static int	replace_file(const char *, const struct buf *);
static void	metric(struct buf *, const struct sup *, const char *,
		    const char *, const char *, int);

static const char *const state_names[ST_NSTATES] = {
	[ST_IDLE] = "idle",
	[ST_BACKOFF] = "backoff",
	[ST_STARTING] = "starting",
	[ST_RUNNING] = "running",
	[ST_STOPPING] = "stopping",
	[ST_FAILED] = "failed",
	[ST_DONE] = "done",
};

/* The metric families: what metric() prints for each pipeline. */
enum { M_RESTARTS, M_RUNS, M_SKIPPED, M_UP, M_STATUS, M_LAST_RUN };

void
report_status(const struct sup *s, struct buf *b)
{
	const struct pipeline *p;
	struct buf pids;
	char when[40], status[16];
	size_t i, j;

	buf_init(&pids);
	buf_printf(b, "%-16s %-8s %-16s %8s %6s %7s %6s %s\n", "PIPELINE",
	    "STATE", "PIDS", "RESTARTS", "RUNS", "SKIPPED", "STATUS",
	    "LAST-RUN");
	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		buf_reset(&pids);
		for (j = 0; j < p->nstages; j++)
			if (p->stages[j].pid > 0)
				buf_printf(&pids, "%s%ld", pids.len ? "," : "",
				    (long)p->stages[j].pid);
		if (p->last_status >= 0)
			snprintf(status, sizeof(status), "%d", p->last_status);
		else
			strlcpy(status, "-", sizeof(status));
		if (p->runs > 0)
			time_fmt_rfc3339(p->last_run_us / 1000000 * 1000000,
			    when, sizeof(when));
		else
			strlcpy(when, "-", sizeof(when));
		buf_printf(b, "%-16s %-8s %-16s %8llu %6llu %7llu %6s %s\n",
		    p->name, state_names[p->state], pids.len ? pids.data : "-",
		    (unsigned long long)p->restarts,
		    (unsigned long long)p->runs,
		    (unsigned long long)p->skipped, status, when);
	}
	buf_free(&pids);
}

/* One metric family: HELP, TYPE and a sample per pipeline. */
static void
metric(struct buf *b, const struct sup *s, const char *name,
    const char *type, const char *help, int which)
{
	const struct pipeline *p;
	long long v = 0;
	size_t i;

	buf_printf(b, "# HELP ccx_supervisor_%s %s\n# TYPE ccx_supervisor_%s "
	    "%s\n", name, help, name, type);
	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		switch (which) {
		case M_RESTARTS: v = (long long)p->restarts; break;
		case M_RUNS: v = (long long)p->runs; break;
		case M_SKIPPED: v = (long long)p->skipped; break;
		case M_UP: v = p->state == ST_RUNNING; break;
		case M_STATUS: v = p->last_status; break;
		case M_LAST_RUN: v = p->runs ? p->last_run_us / 1000000 : 0;
			break;
		}
		buf_printf(b, "ccx_supervisor_%s{pipeline=\"%s\"} %lld\n", name,
		    p->name, v);
	}
}

/* Replaces path with b's bytes: write path.tmp, fsync, rename. */
static int
replace_file(const char *path, const struct buf *b)
{
	char tmp[4096];
	int fd, ok, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	ok = write(fd, b->data, b->len) == (ssize_t)b->len && fsync(fd) == 0;
	saved = errno;
	if (close(fd) == -1 && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && rename(tmp, path) == -1) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		unlink(tmp);
		errno = saved;
	}
	return ok ? 0 : -1;
}

void
report_files(struct sup *s)
{
	struct buf b;

	if (!s->dirty)
		return;
	s->dirty = 0;
	buf_init(&b);
	if (s->status_file != NULL) {
		report_status(s, &b);
		if (replace_file(s->status_file, &b) == -1)
			log_warn("unable to write %s: %s", s->status_file,
			    strerror(errno));
	}
	if (s->metrics_file != NULL) {
		buf_reset(&b);
		metric(&b, s, "restarts_total", "counter",
		    "Restarts of the pipeline after it went down.", M_RESTARTS);
		metric(&b, s, "runs_total", "counter",
		    "Starts of the pipeline, the first one included.", M_RUNS);
		metric(&b, s, "skipped_runs_total", "counter",
		    "Periodic runs skipped because the previous one was "
		    "still going.", M_SKIPPED);
		metric(&b, s, "up", "gauge",
		    "1 while every stage of the pipeline runs.", M_UP);
		metric(&b, s, "last_exit_status", "gauge",
		    "Exit status of the last run, -1 before the first.",
		    M_STATUS);
		metric(&b, s, "last_run_timestamp_seconds", "gauge",
		    "Start of the last run, seconds since the epoch.",
		    M_LAST_RUN);
		if (replace_file(s->metrics_file, &b) == -1)
			log_warn("unable to write %s: %s", s->metrics_file,
			    strerror(errno));
	}
	buf_free(&b);
}
