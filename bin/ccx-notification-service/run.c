/*
 * One notification run (COMPAT.md 5.2, 6.2, 7.2): differ | sender |
 * db-writer -r, the three started side by side and differ held at its
 * --go-fd until the other two reported readiness, with the lines between the
 * stages passing through here (tap.c reads them on their way) and every
 * stage's records passed on with its name.  SIGTERM goes to differ; the
 * others finish at the end of their input.  The exit status is that of
 * the most downstream stage that failed, as upstream numbers it.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lineio.h"
#include "prog.h"
#include "service.h"
#include "sig.h"

#define READY_S		60		/* for a stage's readiness */
#define HIGH_WATER	(1024 * 1024)	/* bytes waiting downstream */
#define LINE_MAX_B	(64u * 1024 * 1024 + 1024)

enum { S_DIFFER, S_SENDER, S_DBW, NSTAGES };

struct stage {
	const char	*name;
	pid_t		 pid;		/* -1: not running */
	int		 status;	/* -1 until reaped */
	int		 err_fd;	/* its stderr */
	struct lineio	 err_io;
	int		 ready_fd;	/* its readiness descriptor */
	int		 ready;		/* 1 ready, -1 failed, 0 not yet */
	int		 held;		/* its stderr waits for the go-ahead */
	char		 last[512];	/* its last error or warning */
};

/* Lines from one stage's stdout to the next one's stdin. */
struct relay {
	int		 in;		/* -1: closed */
	int		 out;		/* -1: closed */
	struct lineio	 io;
	struct buf	 pend;		/* bytes for out */
	size_t		 off;
	int		 eof;		/* in ended, or never will start */
	int		 outcomes;	/* 0: decisions, 1: outcomes */
};

struct run {
	struct svc	*s;
	struct plan	*p;
	struct tap	*tap;
	struct stage	 st[NSTAGES];
	struct relay	 rl[2];
	int		 term;		/* a termination signal came */
	int		 unready;	/* the stage that failed to start, -1 */
	int		 fail;		/* a failure of our own: its status */
	int		 term_sent;	/* and went to differ */
	int		 go_fd;		/* differ's go-ahead, or -1 */
	long		 rules;		/* differ's content: rules, -1 */
	int		 content;	/* 1 fetch failed, 2 decode failed */
	int		 refused;	/* differ refused one of our settings */
	double		 t_start, t_ready;
	double		 next_push;	/* 0: no loop */
};

static void	init(struct run *, struct svc *, struct plan *);
static void	launch(struct run *);
static int	start(struct run *, int, char *const *, char **, int, int);
static int	wait_ready(struct run *);
static int	two_pipes(int[2], int[2]);
static void	close_pipes(int[2], int[2]);
static void	go(struct run *);
static void	forget_differ(struct run *);
static void	differ_ready(struct run *);
static int	unready(const struct stage *);
static void	pump(struct run *, int);
static void	on_signal(struct run *);
static void	on_stderr(struct run *, int);
static void	on_ready(struct run *, int);
static int	fill_ended(struct lineio *);
static int	next_line(struct lineio *, char **, size_t *);
static void	relay_in(struct run *, struct relay *);
static void	relay_out(struct relay *);
static void	reap(struct run *);
static int	running(const struct run *);
static void	stop_inputs(struct run *);
static void	summary(struct run *);
static int	status_of(const struct run *);
static void	cleanup(struct run *);

int
run_pipeline(struct svc *s, struct plan *p, int *term)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD, 0 };
	struct run r;
	struct zfield f;
	int status;

	init(&r, s, p);
	if (s->ignore_disabled)
		zlog_write(&s->log, ZL_INFO, "Skipping aggregator DB connection "
		    "(--ignore-disabled-rules is set)", NULL, 0);
	if (p->no_run) {
		/* An empty allow list keeps no cluster. */
		f = ZINT("clusters", 0);
		zlog_write(&s->log, ZL_INFO, "Read cluster list: done", &f, 1);
		zlog_write(&s->log, ZL_INFO, "Differ finished", NULL, 0);
		s->pgw.status = ST_READING;
		status = SV_OK;
		goto out;
	}
	if (sig_setup(sigs) == -1) {
		f = ZSTR("error", strerror(errno));
		zlog_write(&s->log, ZL_ERROR, "Operation failed", &f, 1);
		status = SV_STORAGE;
		goto out;
	}

	launch(&r);
	stop_inputs(&r);
	while (running(&r))
		pump(&r, 1000);
	if (r.t_ready > 0)
		pgw_observe(&s->pgw, OP_PROCESS_CLUSTERS, svc_now() - r.t_ready);
	summary(&r);
	status = status_of(&r);
out:
	*term = r.term;
	cleanup(&r);
	return status;
}

/* Nothing running yet, nothing open. */
static void
init(struct run *r, struct svc *s, struct plan *p)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->s = s;
	r->p = p;
	r->rules = -1;
	r->unready = -1;
	r->go_fd = -1;
	for (i = 0; i < NSTAGES; i++) {
		r->st[i].pid = -1;
		r->st[i].status = -1;
		r->st[i].err_fd = r->st[i].ready_fd = -1;
	}
	r->st[S_DIFFER].name = "differ";
	r->st[S_SENDER].name = p->sender.n > 0 ? p->sender.v[0] : "sender";
	r->st[S_DBW].name = "db-writer";
	r->rl[0].in = r->rl[0].out = r->rl[1].in = r->rl[1].out = -1;
	r->rl[1].outcomes = 1;
	buf_init(&r->rl[0].pend);
	buf_init(&r->rl[1].pend);
	r->tap = tap_new(s, p);
}

/*
 * The write end of a pipe this process relays lines into: non-blocking,
 * and as deep as the filters make their own stdout pipes, so that a burst
 * does not stall the stage that writes it.
 */
static void
relay_pipe(int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	prog_widen_pipe(fd);
}

/* Two pipes, or none: returns 0, or -1 with errno set. */
static int
two_pipes(int a[2], int b[2])
{
	if (pipe2(a, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(b, O_CLOEXEC) == -1) {
		close(a[0]);
		close(a[1]);
		return -1;
	}
	return 0;
}

static void
close_pipes(int a[2], int b[2])
{
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/*
 * Starts the three stages side by side, with the pipes and relays between
 * them: differ fetches its content, connects and takes its run lock while
 * the others start, and decides only after its go-ahead, once both are
 * ready (nothing is decided while a destination is down).  A failure is
 * logged, and leaves what was started to finish at the end of its input.
 */
static void
launch(struct run *r)
{
	struct plan *p = r->p;
	int pa[2], pd[2], pg[2];
	char sep[61], msg[1024];

	/* db-writer -r, reading what comes from the sender (or here). */
	if (pipe2(pd, O_CLOEXEC) == -1) {
		r->fail = SV_STORAGE;
		return;
	}
	if (start(r, S_DBW, p->dbwriter.v, p->env, pd[0], -1) == -1) {
		close(pd[0]);
		close(pd[1]);
		return;
	}
	close(pd[0]);
	relay_pipe(pd[1]);
	if (p->sender.n > 0) {
		/* The sender between two relays, started beside db-writer. */
		r->rl[1].out = pd[1];
		if (two_pipes(pa, pd) == -1) {
			r->fail = SV_STORAGE;
			return;
		}
		if (start(r, S_SENDER, p->sender.v, p->sender_env != NULL ?
		    p->sender_env : p->env, pa[0], pd[1]) == -1) {
			close_pipes(pa, pd);
			return;
		}
		close(pa[0]);
		close(pd[1]);
		r->rl[1].in = pd[0];
		lineio_init(&r->rl[1].io, pd[0], LINE_MAX_B);
		r->rl[0].out = pa[1];
		relay_pipe(pa[1]);
	} else
		r->rl[0].out = pd[1];

	/* differ beside them, held at its go-ahead (its stdin) once ready. */
	if (two_pipes(pg, pa) == -1) {
		r->fail = SV_STORAGE;
		return;
	}
	r->t_start = svc_now();
	if (start(r, S_DIFFER, p->differ.v, p->env, pg[0], pa[1]) == -1) {
		close_pipes(pg, pa);
		return;
	}
	close(pg[0]);
	close(pa[1]);
	r->go_fd = pg[1];
	r->st[S_DIFFER].held = 1;
	r->rl[0].in = pa[0];
	lineio_init(&r->rl[0].io, pa[0], LINE_MAX_B);
	if (wait_ready(r) == -1) {
		forget_differ(r);
		return;
	}
	if (p->sender.n > 0)
		zlog_write(&r->s->log, ZL_INFO, r->s->target == TARGET_NB ?
		    "Kafka producer ready" : "Service Log producer ready",
		    NULL, 0);
	zlog_write(&r->s->log, ZL_INFO, "Differ started", NULL, 0);
	memset(sep, '-', 60);
	sep[60] = '\0';
	zlog_write(&r->s->log, ZL_INFO, sep, NULL, 0);
	r->s->pgw.status = ST_FETCHING;
	snprintf(msg, sizeof(msg), "Fetching rules content from %s",
	    p->content_url.data);
	zlog_write(&r->s->log, ZL_INFO, msg, NULL, 0);
	go(r);
}

/*
 * The destinations are up: differ's records so far are read (what it
 * said while it fetched and connected, in the order upstream logs it),
 * its readiness announced if it came, and the go-ahead given.
 */
static void
go(struct run *r)
{
	struct stage *st = &r->st[S_DIFFER];
	struct pollfd pfd;

	st->held = 0;
	while (st->err_fd != -1) {
		pfd.fd = st->err_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			break;
		on_stderr(r, S_DIFFER);
	}
	if (st->ready == 1)
		differ_ready(r);
	if (write(r->go_fd, "g", 1) == -1 && errno != EPIPE)
		r->fail = SV_STORAGE;
	close(r->go_fd);
	r->go_fd = -1;
}

/*
 * A destination did not come up: differ, which decided nothing, is
 * stopped and forgotten, as if it had never started (its records and
 * status are not the run's).
 */
static void
forget_differ(struct run *r)
{
	struct stage *st = &r->st[S_DIFFER];

	close(r->go_fd);
	r->go_fd = -1;
	if (st->pid > 0 && st->status == -1) {
		kill(st->pid, SIGKILL);
		(void)waitpid(st->pid, NULL, 0);
	}
	st->pid = -1;
	st->status = -1;
	st->held = 0;
	if (st->err_fd != -1) {
		lineio_free(&st->err_io);
		close(st->err_fd);
		st->err_fd = -1;
	}
	if (st->ready_fd != -1) {
		close(st->ready_fd);
		st->ready_fd = -1;
	}
	st->ready = 0;
	lineio_free(&r->rl[0].io);
	close(r->rl[0].in);
	r->rl[0].in = -1;
}

/*
 * Starts stage i with stdin in and stdout out (-1: /dev/null), its stderr
 * and readiness descriptor piped here.  Returns 0, or -1 logged.
 */
static int
start(struct run *r, int i, char *const *argv, char **env, int in, int out)
{
	struct stage *st = &r->st[i];
	struct zfield f;
	int pe[2], pr[2], fds[4];
	char err[512];

	if (pipe2(pe, O_CLOEXEC) == -1) {
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pipe2(pr, O_CLOEXEC) == -1) {
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		close(pe[0]);
		close(pe[1]);
		goto fail;
	}
	fds[0] = in;
	fds[1] = out;
	fds[2] = pe[1];
	fds[3] = pr[1];
	st->pid = fe_spawn(argv, env, fds, err, sizeof(err));
	close(pe[1]);
	close(pr[1]);
	if (st->pid == -1) {
		close(pe[0]);
		close(pr[0]);
		goto fail;
	}
	st->err_fd = pe[0];
	lineio_init(&st->err_io, pe[0], 64 * 1024);
	st->ready_fd = pr[0];
	return 0;
fail:
	f = ZSTR("error", err);
	zlog_write(&r->s->log, ZL_ERROR, "Operation failed", &f, 1);
	st->status = 71;
	return -1;
}

/* 1 when stage st ended its start without reporting readiness. */
static int
unready(const struct stage *st)
{
	return st->ready == -1 || (st->ready == 0 && st->status != -1);
}

/*
 * Pumps until db-writer -r and the sender (when there is one) are both
 * ready: 0.  Else -1, once one of them failed, exited or timed out and
 * that one is logged as the one before it would have been when they
 * started one after the other: db-writer -r when it did not come up
 * (a sender that did is left to end at the end of its input, one that
 * did not yet is stopped, and says nothing more), else the sender.
 */
static int
wait_ready(struct run *r)
{
	struct stage *st, *w = &r->st[S_DBW], *e = &r->st[S_SENDER];
	struct zfield f;
	double end = svc_now() + READY_S;
	int i, k, sender = r->p->sender.n > 0;

	while (!r->term && svc_now() < end && !unready(w) &&
	    (w->ready == 0 || (sender && e->ready == 0 && e->status == -1)))
		pump(r, 500);
	if (w->ready == 1 && (!sender || e->ready == 1))
		return 0;
	i = w->ready == 1 ? S_SENDER : S_DBW;
	st = &r->st[i];
	/* Not ready in time, or beside the one that failed: stopped.  Then
	 * its exit, and why. */
	for (k = S_SENDER; k <= S_DBW; k++)
		if (r->st[k].ready == 0 && r->st[k].status == -1 &&
		    r->st[k].pid > 0)
			kill(r->st[k].pid, SIGTERM);
	end = svc_now() + 10;
	while ((st->status == -1 || st->err_fd != -1) && svc_now() < end)
		pump(r, 100);
	if (st->status == -1 && st->pid > 0)
		kill(st->pid, SIGKILL);
	if (r->term)
		return -1;
	r->unready = i;
	f = ZSTR(i == S_SENDER && r->s->target == TARGET_NB ? "Error:" : "error",
	    st->last[0] != '\0' ? st->last : "it did not report readiness");
	if (i == S_SENDER && r->s->target == TARGET_NB)
		zlog_write(&r->s->log, ZL_ERROR, "Couldn't initialize Kafka "
		    "producer with the provided config.", &f, 1);
	else if (i == S_SENDER)
		zlog_write(&r->s->log, ZL_ERROR, "got error while setting up "
		    "the connection to OCM API gateway", &f, 1);
	else
		zlog_write(&r->s->log, ZL_ERROR, "Operation failed", &f, 1);
	return -1;
}

/* One round: waits up to ms for anything, handles what came. */
static void
pump(struct run *r, int ms)
{
	struct pollfd pfd[2 + 2 * NSTAGES + 4];
	int who[2 + 2 * NSTAGES + 4];
	struct relay *rl;
	char err[512];
	struct zfield f;
	size_t n = 0, i;
	double now;
	int k;

	now = svc_now();
	if (r->next_push > 0) {
		if (now >= r->next_push) {
			if (pgw_push(&r->s->pgw, err, sizeof(err)) == -1) {
				f = ZSTR("error", err);
				zlog_write(&r->s->log, ZL_WARN,
				    "Error pushing the metrics in loop", &f, 1);
			}
			r->next_push = (now = svc_now()) +
			    (double)r->s->pgw.period_ms / 1000;
		}
		if ((r->next_push - now) * 1000 < ms)
			ms = (int)((r->next_push - now) * 1000) + 1;
	}
	pfd[n].fd = sig_fd();
	pfd[n].events = POLLIN;
	who[n++] = 0;
	for (k = 0; k < NSTAGES; k++) {
		if (r->st[k].err_fd != -1 && !r->st[k].held) {
			pfd[n].fd = r->st[k].err_fd;
			pfd[n].events = POLLIN;
			who[n++] = 10 + k;
		}
	}
	for (k = 0; k < NSTAGES; k++) {
		if (r->st[k].ready_fd != -1) {
			pfd[n].fd = r->st[k].ready_fd;
			pfd[n].events = POLLIN;
			who[n++] = 20 + k;
		}
	}
	for (k = 0; k < 2; k++) {
		rl = &r->rl[k];
		if (rl->in != -1 && rl->pend.len - rl->off < HIGH_WATER) {
			pfd[n].fd = rl->in;
			pfd[n].events = POLLIN;
			who[n++] = 30 + k;
		}
		if (rl->out != -1 && rl->pend.len > rl->off) {
			pfd[n].fd = rl->out;
			pfd[n].events = POLLOUT;
			who[n++] = 40 + k;
		}
	}
	for (i = 0; i < n; i++)
		pfd[i].revents = 0;
	if (poll(pfd, n, ms) == -1 && errno != EINTR)
		ms = 0;
	/* Stderr first: a stage writes why before it reports anything. */
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (who[i] == 0)
			on_signal(r);
		else if (who[i] >= 10 && who[i] < 20)
			on_stderr(r, who[i] - 10);
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (who[i] >= 20 && who[i] < 30)
			on_ready(r, who[i] - 20);
		else if (who[i] >= 30 && who[i] < 40)
			relay_in(r, &r->rl[who[i] - 30]);
		else if (who[i] >= 40)
			relay_out(&r->rl[who[i] - 40]);
	}
	for (k = 0; k < 2; k++) {
		rl = &r->rl[k];
		/* Its input ended and everything went on: the end of input
		 * downstream. */
		if (rl->eof && rl->out != -1 && rl->pend.len == rl->off) {
			close(rl->out);
			rl->out = -1;
		}
	}
	reap(r);
}

/* SIGTERM and SIGINT go to differ; before it runs, nothing starts. */
static void
on_signal(struct run *r)
{
	unsigned char c[64];
	ssize_t n, i;

	while ((n = read(sig_fd(), c, sizeof(c))) > 0)
		for (i = 0; i < n; i++)
			if (c[i] == SIGTERM || c[i] == SIGINT)
				r->term = 1;
	if (r->term && !r->term_sent && r->st[S_DIFFER].pid > 0 &&
	    r->st[S_DIFFER].status == -1) {
		kill(r->st[S_DIFFER].pid, SIGTERM);
		r->term_sent = 1;
	}
}

/*
 * Reads what io's descriptor has: 1 when the descriptor is at its end or
 * failed (the lines read are still to be taken), else 0.
 */
static int
fill_ended(struct lineio *io)
{
	ssize_t got = lineio_fill(io);

	return got == 0 || (got == -1 && errno != EINTR && errno != EAGAIN);
}

/* The next line of io, an over-long one cut short: 1, or 0 for none. */
static int
next_line(struct lineio *io, char **line, size_t *len)
{
	int rc = lineio_next(io, line, len);

	return rc == LINE_OK || rc == LINE_TOOLONG;
}

/* A stage's records, passed on; what they tell about the content. */
static void
on_stderr(struct run *r, int k)
{
	struct stage *st = &r->st[k];
	struct json_object *o, *lv, *msg;
	const char *m, *l, *p;
	char *line;
	size_t len;
	int ended;

	ended = fill_ended(&st->err_io);
	while (next_line(&st->err_io, &line, &len)) {
		fe_relay(&r->s->log, st->name, line, len);
		if ((o = json_tokener_parse(line)) == NULL)
			continue;
		if (json_object_object_get_ex(o, "level", &lv) &&
		    json_object_object_get_ex(o, "msg", &msg)) {
			l = json_object_get_string(lv);
			m = json_object_get_string(msg);
			if (strcmp(l, "error") == 0 || strcmp(l, "warning") == 0 ||
			    strcmp(l, "fatal") == 0)
				snprintf(st->last, sizeof(st->last), "%s", m);
			/* The frame names the option of a value it refuses. */
			if (k == S_DIFFER && strcmp(l, "error") == 0 &&
			    strncmp(m, "--", 2) == 0)
				r->refused = 1;
			if (k == S_SENDER && strcmp(m, "access token obtained") == 0)
				zlog_write(&r->s->log, ZL_INFO,
				    "access token refreshed successfully", NULL, 0);
			if (k == S_DIFFER && strncmp(m, "content: ", 9) == 0)
				r->rules = strtol(m + 9, NULL, 10);
			if (k == S_DIFFER && (p = strstr(m, "the content")) !=
			    NULL && strncmp(m, "unable to fetch", 15) == 0)
				r->content = 1;
			else if (k == S_DIFFER && p != NULL &&
			    (strncmp(m, "unable to decode", 16) == 0 ||
			    strstr(m, "holds no rule") != NULL))
				r->content = 2;
		}
		json_object_put(o);
	}
	if (ended) {
		lineio_free(&st->err_io);
		close(st->err_fd);
		st->err_fd = -1;
	}
}

/* A stage's readiness: a newline, or its end without one. */
static void
on_ready(struct run *r, int k)
{
	struct stage *st = &r->st[k];
	ssize_t n;
	char c;

	n = read(st->ready_fd, &c, 1);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	close(st->ready_fd);
	st->ready_fd = -1;
	st->ready = n == 1 && c == '\n' ? 1 : -1;
	if (k != S_DIFFER || st->ready != 1)
		return;
	r->t_ready = svc_now();
	if (!st->held)
		differ_ready(r);
}

/* differ is ready (content loaded, connected, lock taken) and may go. */
static void
differ_ready(struct run *r)
{
	struct svc *s = r->s;
	struct pgw *g = &s->pgw;
	char msg[128];

	pgw_observe(g, OP_FETCH_CONTENT, r->t_ready - r->t_start);
	if (g->status < ST_READING)
		g->status = ST_READING;
	snprintf(msg, sizeof(msg), "Retrieved %ld rules from content service",
	    r->rules < 0 ? 0 : r->rules);
	zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
	zlog_write(&s->log, ZL_INFO, "Checking new issues for all new reports",
	    NULL, 0);
	if (g->on && g->period_ms > 0) {
		snprintf(msg, sizeof(msg), "Metrics will be pushed in loop each "
		    "%f seconds", (double)g->period_ms / 1000);
		zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
		r->next_push = r->t_ready + (double)g->period_ms / 1000;
	}
}

/* Lines from upstream, through the tap, to the buffer for downstream. */
static void
relay_in(struct run *r, struct relay *rl)
{
	char *line;
	size_t len;
	int ended;

	ended = fill_ended(&rl->io);
	while (next_line(&rl->io, &line, &len)) {
		if (rl->outcomes)
			tap_outcome(r->tap, line, len, rl->io.partial,
			    &rl->pend);
		else
			tap_decision(r->tap, line, len, rl->io.partial,
			    &rl->pend);
	}
	if (ended) {
		lineio_free(&rl->io);
		close(rl->in);
		rl->in = -1;
		rl->eof = 1;
	}
	relay_out(rl);
}

/* Writes what downstream can take.  When downstream is gone, the input
 * closes too, so that upstream sees EPIPE as in a shell pipeline. */
static void
relay_out(struct relay *rl)
{
	ssize_t w;

	while (rl->out != -1 && rl->off < rl->pend.len) {
		w = write(rl->out, rl->pend.data + rl->off,
		    rl->pend.len - rl->off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			break;
		if (w == -1) {
			close(rl->out);
			rl->out = -1;
			if (rl->in != -1) {
				lineio_free(&rl->io);
				close(rl->in);
				rl->in = -1;
			}
			rl->eof = 1;
			break;
		}
		rl->off += (size_t)w;
	}
	if (rl->off == rl->pend.len || rl->out == -1) {
		buf_reset(&rl->pend);
		rl->off = 0;
	} else if (rl->off > HIGH_WATER) {
		memmove(rl->pend.data, rl->pend.data + rl->off,
		    rl->pend.len - rl->off);
		rl->pend.len -= rl->off;
		rl->pend.data[rl->pend.len] = '\0';
		rl->off = 0;
	}
}

static void
reap(struct run *r)
{
	int k, ws;
	pid_t p;

	for (k = 0; k < NSTAGES; k++) {
		if (r->st[k].pid <= 0 || r->st[k].status != -1)
			continue;
		if ((p = waitpid(r->st[k].pid, &ws, WNOHANG)) == 0)
			continue;
		if (p == -1 && errno == EINTR)
			continue;
		r->st[k].status = p == -1 ? 71 : WIFSIGNALED(ws) ?
		    128 + WTERMSIG(ws) : WEXITSTATUS(ws);
		r->st[k].pid = -1;
	}
}

static int
running(const struct run *r)
{
	int k;

	for (k = 0; k < NSTAGES; k++)
		if (r->st[k].pid > 0 || r->st[k].err_fd != -1)
			return 1;
	return r->rl[0].in != -1 || r->rl[1].in != -1 ||
	    (r->rl[0].out != -1 && r->rl[0].pend.len > r->rl[0].off) ||
	    (r->rl[1].out != -1 && r->rl[1].pend.len > r->rl[1].off);
}

/* A relay whose input never started: downstream sees the end of its
 * input once the buffer is written. */
static void
stop_inputs(struct run *r)
{
	int k;

	for (k = 0; k < 2; k++)
		if (r->rl[k].in == -1)
			r->rl[k].eof = 1;
}

/* The records at the end of a run and the series from the counters. */
static void
summary(struct run *r)
{
	struct svc *s = r->s;
	struct plan *p = r->p;
	uint64_t *c = s->pgw.counter;
	uint64_t cand, filt, dec, fl, v;
	struct zfield f[4];
	char msg[1024];
	int st = r->st[S_DIFFER].status, found, ok;

	if (r->st[S_DBW].status > 0) {
		f[0] = ZSTR("error", r->st[S_DBW].last[0] != '\0' ?
		    r->st[S_DBW].last : "db-writer -r failed");
		zlog_write(&s->log, ZL_ERROR, "Write notification record failed",
		    f, 1);
	}
	if (st == 65 || st == 69) {
		c[C_FETCH_CONTENT_ERRORS]++;
		f[0] = ZSTR("error", r->st[S_DIFFER].last);
		if (r->content == 2)
			zlog_write(&s->log, ZL_ERROR, "Error trying to decode "
			    "rules content from received answer", f, 1);
		else {
			snprintf(msg, sizeof(msg), "Got error while processing "
			    "HTTP request - %s", r->st[S_DIFFER].last);
			zlog_write(&s->log, ZL_ERROR, msg, NULL, 0);
		}
	} else if (st == 70 || st == 75 || st == 78)
		c[C_READ_CLUSTER_LIST_ERRORS]++;
	/* (A sender beside a db-writer -r that did not start is not
	 * counted: one after the other, it would not have started.) */
	if (((st = r->st[S_SENDER].status) == 78 || st == 64) &&
	    r->unready != S_DBW)
		c[C_PRODUCER_SETUP_ERRORS]++;

	/* differ's counters are the final word on what it decided. */
	cand = pgw_file_value(p->differ_prom, "candidates", &ok);
	if (ok) {
		static const struct { int c; const char *name; } m[] = {
			{ C_REPORT_WITH_HIGH_IMPACT, "report_with_high_impact" },
			{ C_NOT_SENT_SAME_STATE,
			  "notification_not_sent_same_state" },
			{ C_DESERIALIZE_REPORT_ERRORS,
			  "deserialize_report_errors" },
			{ C_READ_REPORT_FOR_CLUSTER_ERRORS,
			  "read_report_for_cluster_errors" },
		};
		size_t i;

		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
			if ((v = pgw_file_value(p->differ_prom, m[i].name,
			    &found)), found)
				c[m[i].c] = v;
		/* One record per item the event filter failed on. */
		v = pgw_file_value(p->differ_prom, "event_filter_errors",
		    &found);
		f[0] = ZSTR("error", "division by zero in the event filter");
		while (v-- > 0)
			zlog_write(&s->log, ZL_ERROR, "Evaluation error", f, 1);
	}
	v = pgw_file_value(p->sender_prom, s->target == TARGET_NB ?
	    "messages_delivered" : "notification_sent", &found);
	if (found)
		c[C_SENT] = v;
	v = pgw_file_value(p->sender_prom, s->target == TARGET_NB ?
	    "delivery_errors" : "notification_not_sent_error_state", &found);
	if (found)
		c[C_NOT_SENT_ERROR_STATE] = v;
	if (!ok || r->st[S_DIFFER].status != 0)
		return;
	filt = pgw_file_value(p->differ_prom, "clusters_filtered_out", &found);
	dec = pgw_file_value(p->differ_prom, "decisions", &found);
	fl = pgw_file_value(p->differ_prom, "clusters_in_flight", &found);
	f[0] = ZINT("clusters", (long long)cand);
	zlog_write(&s->log, ZL_INFO, "Read cluster list: done", f, 1);
	f[0] = ZINT("target", s->target);
	f[1] = ZINT("retrieved", (long long)pgw_file_value(p->differ_prom,
	    "baselines", &found));
	zlog_write(&s->log, ZL_INFO, "Done reading previously reported issues "
	    "still in cool down", f, 2);
	if (p->allow_on || p->block_on) {
		f[0] = ZINT("On input", (long long)cand);
		f[1] = ZINT("Allowed", (long long)p->allowed);
		f[2] = ZINT("Blocked", (long long)p->blocked);
		f[3] = ZINT("Filtered", (long long)(cand - filt));
		zlog_write(&s->log, ZL_INFO, "Filter cluster list", f, 4);
	}
	if (cand == filt) {
		zlog_write(&s->log, ZL_INFO, "Differ finished", NULL, 0);
		return;
	}
	snprintf(msg, sizeof(msg), "Number of reports not retrieved/"
	    "deserialized: %llu", (unsigned long long)
	    (c[C_READ_REPORT_FOR_CLUSTER_ERRORS] +
	    c[C_DESERIALIZE_REPORT_ERRORS]));
	zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
	v = cand - filt;
	v = v > dec + fl ? v - dec - fl : 0;
	snprintf(msg, sizeof(msg), "Number of empty reports skipped: %llu",
	    (unsigned long long)v);
	zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
	snprintf(msg, sizeof(msg), "Number of high impact issues notified: "
	    "%llu", (unsigned long long)c[C_REPORT_WITH_HIGH_IMPACT]);
	zlog_write(&s->log, ZL_INFO, msg, NULL, 0);
	zlog_write(&s->log, ZL_INFO, "Process Clusters Entries: done", NULL, 0);
}

/* COMPAT 5.2: the most downstream stage that failed. */
static int
status_of(const struct run *r)
{
	int d = r->st[S_DIFFER].status, e = r->st[S_SENDER].status;

	if (r->st[S_DBW].status > 0 || r->unready == S_DBW)
		return SV_STORAGE;
	if (r->unready == S_SENDER && (e <= 0 || e >= 128))
		e = 78;
	if (e > 0 && (e == 65 || e == 70 || e == 71 || e == 75))
		return SV_STORAGE;
	if (e > 0)
		return r->s->target == TARGET_NB ? SV_KAFKA : SV_SERVICELOG;
	if (d == 64 || (d == 78 && r->refused))
		return SV_CONFIG;
	if (d == 65 || d == 69)
		return SV_CONTENT;
	if (d == 66)		/* differ: the aggregator's database */
		return SV_AGGREGATOR;
	if (d > 0)
		return SV_STORAGE;
	return r->fail;
}

static void
cleanup(struct run *r)
{
	int k;

	for (k = 0; k < NSTAGES; k++) {
		if (r->st[k].pid > 0) {
			kill(r->st[k].pid, SIGKILL);
			(void)waitpid(r->st[k].pid, NULL, 0);
		}
		if (r->st[k].err_fd != -1) {
			lineio_free(&r->st[k].err_io);
			close(r->st[k].err_fd);
		}
		if (r->st[k].ready_fd != -1)
			close(r->st[k].ready_fd);
	}
	for (k = 0; k < 2; k++) {
		if (r->rl[k].in != -1) {
			lineio_free(&r->rl[k].io);
			close(r->rl[k].in);
		}
		if (r->rl[k].out != -1)
			close(r->rl[k].out);
		buf_free(&r->rl[k].pend);
	}
	tap_free(r->tap);
}
