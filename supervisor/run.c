/*
 * run: starting, watching and stopping the pipelines.
 *
 * One poll loop waits on the self-pipe of signals, each member's standard
 * error, the readiness pipe being waited on, and the nearest deadline.
 * What happens to a pipeline is decided by one table of (state, event) ->
 * action, below; the actions are the only code that changes p->state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/wait.h>

#include "buf.h"
#include "lineio.h"
#include "exitcodes.h"
#include "log.h"
#include "prog.h"
#include "sig.h"
#include "sup.h"
#include "timeutil.h"

/* How many reads of a reaped child's standard error are passed on. */
#define DRAIN_READS	64

enum event {
	EV_TIMER,		/* p->timer_ms has passed */
	EV_DUE,			/* periodic: p->due_ms has passed */
	EV_READY,		/* the stage waited for wrote its newline */
	EV_NOTREADY,		/* ... closed its readiness fd without one */
	EV_EXIT,		/* a member exited (p->first_status updated) */
	EV_DOWN,		/* no member is left */
	EV_TERM,		/* shutdown */
	EV_NEVENTS
};

/* What a poll entry stands for. */
struct pref {
	struct pipeline	*p;
	struct stage	*st;		/* NULL: the readiness pipe */
};

typedef void	action_fn(struct sup *, struct pipeline *);

static action_fn a_start, a_restart, a_ready, a_notready, a_timeout;
static action_fn a_exit, a_down, a_stop, a_kill, a_skip, a_done;

/*
 * The table.  An empty entry ignores the event.  EV_EXIT and EV_DOWN come
 * from reaping, EV_READY and EV_NOTREADY from the readiness pipe, EV_TERM
 * from SIGTERM, SIGINT or SIGHUP.
 */
static action_fn *const table[ST_NSTATES][EV_NEVENTS] = {
	[ST_IDLE] = {
		[EV_DUE] = a_start,
		[EV_TERM] = a_done,
	},
	[ST_BACKOFF] = {
		[EV_TIMER] = a_restart,
		[EV_TERM] = a_done,
	},
	[ST_STARTING] = {
		[EV_TIMER] = a_timeout,
		[EV_DUE] = a_skip,
		[EV_READY] = a_ready,
		[EV_NOTREADY] = a_notready,
		[EV_EXIT] = a_exit,
		[EV_DOWN] = a_down,
		[EV_TERM] = a_stop,
	},
	[ST_RUNNING] = {
		[EV_DUE] = a_skip,
		[EV_EXIT] = a_exit,
		[EV_DOWN] = a_down,
		[EV_TERM] = a_stop,
	},
	[ST_STOPPING] = {
		[EV_TIMER] = a_kill,
		[EV_DUE] = a_skip,
		[EV_DOWN] = a_down,
	},
	[ST_FAILED] = { NULL },
	[ST_DONE] = { NULL },
};

static void	dispatch(struct sup *, struct pipeline *, enum event);
static void	set_state(struct sup *, struct pipeline *, enum pstate);
static void	advance(struct sup *, struct pipeline *);
static int	spawn(struct sup *, struct pipeline *, size_t);
static void	child(const struct stage *, const int *, int)
		    __attribute__((noreturn));
static void	close_fd(int *);
static void	reap(struct sup *);
static void	member_gone(struct sup *, struct pipeline *, size_t, int);
static void	read_err(struct sup *, struct stage *, int);
static void	put_line(struct sup *, const struct stage *, const char *,
		    size_t, int);
static void	read_ready(struct sup *, struct pipeline *);
static void	handle_signals(struct sup *);
static void	fire_timers(struct sup *);
static int	finished(const struct sup *, int *);
static int	permanent(int);
static int64_t	next_deadline(const struct sup *);

static void
dispatch(struct sup *s, struct pipeline *p, enum event ev)
{
	action_fn *fn = table[p->state][ev];

	if (fn != NULL)
		fn(s, p);
}

static void
set_state(struct sup *s, struct pipeline *p, enum pstate st)
{
	p->state = st;
	s->dirty = 1;
}

static int
permanent(int status)
{
	return EXIT_IS_PERMANENT(status);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A new run: the stages are forked from the last to the first. */
static void
a_start(struct sup *s, struct pipeline *p)
{
	int ack[2];

	p->runs++;
	p->last_run_us = time_now_us();
	p->first_status = 0;
	p->start_failed = 0;
	p->up_ms = 0;
	p->top = p->nstages;
	p->timer_ms = 0;
	set_state(s, p, ST_STARTING);
	log_info("%s: starting", p->name);
	if (p->ack_line != 0) {
		if (pipe2(ack, O_CLOEXEC) == -1) {
			log_warn("%s: unable to make the ack pipe: %s",
			    p->name, strerror(errno));
			p->start_failed = 1;
			a_stop(s, p);
			return;
		}
		p->ack_r = ack[0];
		p->held_w = ack[1];
	}
	advance(s, p);
}

static void
a_restart(struct sup *s, struct pipeline *p)
{
	p->restarts++;
	a_start(s, p);
}

/* Forks stages until one has to be waited for, or all run. */
static void
advance(struct sup *s, struct pipeline *p)
{
	while (p->top > 0) {
		p->top--;
		if (spawn(s, p, p->top) == -1) {
			p->start_failed = 1;
			a_stop(s, p);
			return;
		}
		if (p->ready_r >= 0) {
			p->timer_ms = time_mono_ms() + s->ready_ms;
			return;
		}
	}
	p->timer_ms = 0;
	p->up_ms = time_mono_ms();
	set_state(s, p, ST_RUNNING);
	log_info("%s: up", p->name);
}

static void
a_ready(struct sup *s, struct pipeline *p)
{
	log_debug("%s: ready", p->stages[p->top].label);
	close_fd(&p->ready_r);
	advance(s, p);
}

static void
a_timeout(struct sup *s, struct pipeline *p)
{
	log_warn("%s: not ready after %lld s", p->stages[p->top].label,
	    (long long)(s->ready_ms / 1000));
	a_notready(s, p);
}

static void
a_notready(struct sup *s, struct pipeline *p)
{
	p->start_failed = 1;
	a_stop(s, p);
}

/*
 * Stops a run from its head: closing the pipe ends the supervisor holds
 * gives the stages started so far end of input, and the most upstream one
 * still running gets SIGTERM; the others finish on end of input.  After
 * the grace period a_kill kills what is left.
 */
static void
a_stop(struct sup *s, struct pipeline *p)
{
	struct stage *head;

	close_fd(&p->held_w);
	close_fd(&p->ack_r);
	close_fd(&p->ready_r);
	set_state(s, p, ST_STOPPING);
	p->timer_ms = time_mono_ms() + s->grace_ms;
	if (p->top < p->nstages && (head = &p->stages[p->top])->pid > 0) {
		log_info("%s: stopping: SIGTERM to %s (pid %ld)", p->name,
		    head->label, (long)head->pid);
		kill(head->pid, SIGTERM);
	}
	if (p->nlive == 0)
		a_down(s, p);
}

static void
a_kill(struct sup *s, struct pipeline *p)
{
	size_t i;

	for (i = 0; i < p->nstages; i++) {
		if (p->stages[i].pid <= 0)
			continue;
		log_warn("%s: still running after %lld s: SIGKILL (pid %ld)",
		    p->stages[i].label, (long long)(s->grace_ms / 1000),
		    (long)p->stages[i].pid);
		kill(p->stages[i].pid, SIGKILL);
		if (s->stopping)
			s->killed = 1;
	}
	p->timer_ms = 0;
}

/*
 * A member exited.  A long-running pipeline restarts as a unit when any
 * member exits; a periodic run (or a -1 run) stops early only on a
 * failure, the other members finishing on end of input.
 */
static void
a_exit(struct sup *s, struct pipeline *p)
{
	if ((p->period_ms == 0 && s->once == NULL) || p->first_status != 0)
		a_stop(s, p);
}

/* The run is over: record its status and decide what comes next. */
static void
a_down(struct sup *s, struct pipeline *p)
{
	int64_t now = time_mono_ms();
	int status;

	status = p->first_status != 0 ? p->first_status :
	    p->start_failed ? EX_TEMPFAIL : 0;
	p->last_status = status;
	p->timer_ms = 0;
	s->dirty = 1;
	if (s->stopping || s->once != NULL) {
		log_info("%s: finished with status %d", p->name, status);
		set_state(s, p, ST_DONE);
	} else if (permanent(status)) {
		log_error("%s: PERMANENT FAILURE: %s exited with status %d; "
		    "not restarting", p->name,
		    p->stages[p->first_stage].label, status);
		set_state(s, p, ST_FAILED);
	} else if (p->period_ms > 0) {
		if (status == 0)
			log_info("%s: run finished", p->name);
		else
			log_warn("%s: run failed with status %d", p->name,
			    status);
		set_state(s, p, ST_IDLE);
	} else {
		if (p->up_ms != 0 && now - p->up_ms >= SUP_STABLE_MS)
			p->backoff_ms = SUP_BACKOFF_MIN_MS;
		p->timer_ms = now + p->backoff_ms;
		log_warn("%s: down with status %d; restarting in %lld s",
		    p->name, status, (long long)(p->backoff_ms / 1000));
		p->backoff_ms *= 2;
		if (p->backoff_ms > SUP_BACKOFF_MAX_MS)
			p->backoff_ms = SUP_BACKOFF_MAX_MS;
		set_state(s, p, ST_BACKOFF);
	}
}

static void
a_skip(struct sup *s, struct pipeline *p)
{
	p->skipped++;
	s->dirty = 1;
	log_warn("%s: the previous run is still going: run skipped", p->name);
}

static void
a_done(struct sup *s, struct pipeline *p)
{
	p->timer_ms = 0;
	set_state(s, p, ST_DONE);
}

/*
 * Forks stage i: stdin from the next pipe up (or /dev/null for the first
 * stage), stdout into p->held_w (or the supervisor's stdout for a last
 * stage without the back-edge), stderr into a pipe of its own, and the ack
 * and readiness fds.  Returns 0, or -1 with nothing left open.
 */
static int
spawn(struct sup *s, struct pipeline *p, size_t i)
{
	struct stage *st = &p->stages[i];
	int in[2] = { -1, -1 }, err[2] = { -1, -1 }, rdy[2] = { -1, -1 };
	int src[SUP_FIRST_FD + 2], nfd = SUP_FIRST_FD;
	sigset_t all, old;
	pid_t pid;

	if ((i > 0 && pipe2(in, O_CLOEXEC) == -1) ||
	    pipe2(err, O_CLOEXEC) == -1 ||
	    (st->ready_fd >= 0 && pipe2(rdy, O_CLOEXEC) == -1)) {
		log_warn("%s: unable to make a pipe: %s", st->label,
		    strerror(errno));
		goto fail;
	}
	src[0] = i > 0 ? in[0] : s->devnull;
	src[1] = p->held_w >= 0 ? p->held_w : STDOUT_FILENO;
	src[2] = err[1];
	if (st->ack_fd >= 0)
		src[nfd++] = p->ack_r;
	if (st->ready_fd >= 0)
		src[nfd++] = rdy[1];
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(st, src, nfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		log_warn("%s: unable to fork: %s", st->label, strerror(errno));
		goto fail;
	}
	close_fd(&in[0]);
	close_fd(&err[1]);
	close_fd(&rdy[1]);
	close_fd(&p->held_w);
	p->held_w = in[1];
	if (i == 0)
		close_fd(&p->ack_r);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	st->pid = pid;
	st->errfd = err[0];
	lineio_free(&st->err);
	lineio_init(&st->err, err[0], SUP_LINE_MAX);
	p->nlive++;
	if (rdy[0] >= 0)
		fcntl(rdy[0], F_SETFL, fcntl(rdy[0], F_GETFL) | O_NONBLOCK);
	p->ready_r = rdy[0];
	log_debug("%s: started (pid %ld)", st->label, (long)pid);
	return 0;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&rdy[0]);
	close_fd(&rdy[1]);
	return -1;
}

/*
 * In the child: default signal dispositions, an empty signal mask, and
 * only the descriptors 0 to nfd - 1, taken from src[], before the exec.
 */
static void
child(const struct stage *st, const int *src, int nfd)
{
	int tmp[SUP_FIRST_FD + 2], i;

	sig_defaults();
	/* Above nfd first, so that no dup2 overwrites a source. */
	for (i = 0; i < nfd; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, nfd)) == -1)
			_exit(EX_OSERR);
	for (i = 0; i < nfd; i++)
		if (dup2(tmp[i], i) == -1)
			_exit(EX_OSERR);
	closefrom(nfd);
	prog_exec(st->argv, environ);
	dprintf(STDERR_FILENO, "unable to run %s: %s\n", st->argv[0],
	    strerror(errno));
	_exit(errno == ENOENT || errno == EACCES || errno == ENOEXEC ||
	    errno == ENOTDIR || errno == ELOOP ? EX_CONFIG : EX_OSERR);
}

static void
reap(struct sup *s)
{
	struct pipeline *p;
	pid_t pid;
	size_t i, j;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (i = 0; i < s->npipes; i++) {
			p = &s->pipes[i];
			for (j = 0; j < p->nstages; j++)
				if (p->stages[j].pid == pid)
					member_gone(s, p, j, WIFSIGNALED(ws) ?
					    128 + WTERMSIG(ws) :
					    WEXITSTATUS(ws));
		}
	}
}

/* Stage j of p exited with status: pass on its last words, then tell. */
static void
member_gone(struct sup *s, struct pipeline *p, size_t j, int status)
{
	struct stage *st = &p->stages[j];

	if (status > 128)
		log_warn("%s: pid %ld killed by signal %d", st->label,
		    (long)st->pid, status - 128);
	else if (status != 0)
		log_warn("%s: pid %ld exited with status %d", st->label,
		    (long)st->pid, status);
	else
		log_info("%s: pid %ld exited", st->label, (long)st->pid);
	st->pid = 0;
	p->nlive--;
	if (st->errfd >= 0)
		read_err(s, st, 1);
	if (status != 0 && p->first_status == 0) {
		p->first_status = status;
		p->first_stage = j;
	}
	s->dirty = 1;
	dispatch(s, p, EV_EXIT);
	if (p->nlive == 0 && (p->state == ST_STARTING ||
	    p->state == ST_RUNNING || p->state == ST_STOPPING))
		dispatch(s, p, EV_DOWN);
}

/*
 * Passes on the complete lines of a member's standard error, prefixed with
 * its label.  One read, or when the member is gone (last) everything there
 * is, up to DRAIN_READS reads, and a last line without its newline; then
 * the pipe is closed even if a grandchild still holds it.
 */
static void
read_err(struct sup *s, struct stage *st, int last)
{
	ssize_t n;
	size_t len;
	char *line;
	int r, e, reads = 0;

	do {
		n = lineio_fill(&st->err);
		e = errno;
		while ((r = lineio_next(&st->err, &line, &len)) == LINE_OK ||
		    r == LINE_TOOLONG)
			put_line(s, st, line, len, r == LINE_TOOLONG);
	} while (last && n > 0 && ++reads < DRAIN_READS);
	if (n == 0 || (n == -1 && e != EAGAIN && e != EINTR) || last) {
		/* At end of input lineio hands out the unfinished line. */
		st->err.eof = 1;
		while ((r = lineio_next(&st->err, &line, &len)) == LINE_OK ||
		    r == LINE_TOOLONG)
			put_line(s, st, line, len, r == LINE_TOOLONG);
		close_fd(&st->errfd);
		lineio_free(&st->err);
	}
}

/*
 * Writes "label: line" (cut lines marked) to stderr in one write.  A line
 * that starts with "prog: ", as those of our programs do, loses that.
 */
static void
put_line(struct sup *s, const struct stage *st, const char *line,
    size_t len, int cut)
{
	const char *label = st->label;
	size_t off = 0, n = strlen(st->prog);
	char ts[40];
	ssize_t w;

	if (len >= n + 2 && memcmp(line, st->prog, n) == 0 &&
	    line[n] == ':' && line[n + 1] == ' ') {
		line += n + 2;
		len -= n + 2;
	}
	buf_reset(&s->out);
	if (s->json) {
		buf_puts(&s->out, "{\"time\":\"");
		buf_puts(&s->out, time_fmt_rfc3339(time_now_us(), ts,
		    sizeof(ts)));
		buf_puts(&s->out, "\",\"prog\":");
		buf_json_str(&s->out, label, strlen(label));
		buf_puts(&s->out, ",\"msg\":");
		buf_json_str(&s->out, line, len);
		buf_puts(&s->out, cut ? ",\"cut\":true}\n" : "}\n");
	} else {
		buf_printf(&s->out, "%s: ", label);
		buf_add(&s->out, line, len);
		buf_puts(&s->out, cut ? " [cut]\n" : "\n");
	}
	while (off < s->out.len) {
		w = write(STDERR_FILENO, s->out.data + off, s->out.len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

/* A newline on the readiness pipe is readiness; end of file is not. */
static void
read_ready(struct sup *s, struct pipeline *p)
{
	char b[64];
	ssize_t n;

	while ((n = read(p->ready_r, b, sizeof(b))) > 0)
		if (memchr(b, '\n', (size_t)n) != NULL) {
			dispatch(s, p, EV_READY);
			return;
		}
	if (n == 0) {
		log_warn("%s: closed its readiness fd without a newline",
		    p->stages[p->top].label);
		dispatch(s, p, EV_NOTREADY);
	}
}

/* Reads every signal number the self-pipe holds (see sig.h). */
static void
handle_signals(struct sup *s)
{
	unsigned char c[64];
	ssize_t n, k;
	size_t i;
	int chld = 0;

	while ((n = read(sig_fd(), c, sizeof(c))) > 0) {
		for (k = 0; k < n; k++) {
			if (c[k] == SIGCHLD)
				chld = 1;
			else if (c[k] == SIGUSR1) {
				buf_reset(&s->out);
				report_status(s, &s->out);
				(void)!write(STDERR_FILENO, s->out.data,
				    s->out.len);
				s->dirty = 1;
			} else if (!s->stopping) {
				log_info("signal %d: stopping every pipeline",
				    c[k]);
				s->stopping = 1;
				for (i = 0; i < s->npipes; i++)
					dispatch(s, &s->pipes[i], EV_TERM);
			}
		}
	}
	if (chld)
		reap(s);
}

static void
fire_timers(struct sup *s)
{
	struct pipeline *p;
	int64_t now = time_mono_ms();
	size_t i;

	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		if (p->timer_ms != 0 && now >= p->timer_ms) {
			p->timer_ms = 0;
			dispatch(s, p, EV_TIMER);
		}
		if (p->due_ms != 0 && now >= p->due_ms) {
			if (p->period_ms == 0 || s->once != NULL)
				p->due_ms = 0;
			while (p->due_ms != 0 && p->due_ms <= now)
				p->due_ms += p->period_ms;
			dispatch(s, p, EV_DUE);
		}
		if (p->state == ST_FAILED || p->state == ST_DONE)
			p->due_ms = 0;
	}
}

static int64_t
next_deadline(const struct sup *s)
{
	const struct pipeline *p;
	int64_t d = 0;
	size_t i;

	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		if (p->timer_ms != 0 && (d == 0 || p->timer_ms < d))
			d = p->timer_ms;
		if (p->due_ms != 0 && (d == 0 || p->due_ms < d))
			d = p->due_ms;
	}
	return d;
}

/*
 * Whether the supervisor is done, and with which status: in once mode when
 * its pipeline is, after a shutdown when every pipeline is, and otherwise
 * when every pipeline has failed for good.
 */
static int
finished(const struct sup *s, int *status)
{
	size_t i, nfailed = 0, ndone = 0;
	int first = 0;

	for (i = 0; i < s->npipes; i++) {
		if (s->pipes[i].state == ST_FAILED) {
			nfailed++;
			if (first == 0)
				first = s->pipes[i].last_status;
		}
		if (s->pipes[i].state == ST_DONE)
			ndone++;
	}
	if (s->once != NULL) {
		*status = s->once->last_status;
		return s->once->state == ST_DONE;
	}
	if (s->stopping && nfailed + ndone == s->npipes) {
		*status = s->killed ? EX_TEMPFAIL : 0;
		return 1;
	}
	if (!s->stopping && nfailed == s->npipes) {
		log_error("every pipeline has failed for good: exiting");
		*status = first;
		return 1;
	}
	return 0;
}

void
run_init(struct sup *s)
{
	struct pipeline *p;
	int64_t now = time_mono_ms();
	size_t i, j;

	for (i = 0; i < s->npipes; i++) {
		p = &s->pipes[i];
		p->held_w = p->ack_r = p->ready_r = -1;
		p->last_status = -1;
		p->backoff_ms = SUP_BACKOFF_MIN_MS;
		for (j = 0; j < p->nstages; j++)
			p->stages[j].errfd = -1;
		/* Everything starts on the first turn of the loop. */
		p->state = s->once != NULL && p != s->once ? ST_DONE : ST_IDLE;
		p->due_ms = p->state == ST_IDLE ? now : 0;
	}
	s->dirty = 1;
}

int
run_loop(struct sup *s)
{
	struct pollfd *pfd;
	struct pref *ref;
	struct pipeline *p;
	size_t i, j, n, max = 1;
	int64_t d;
	int timeout, status;

	for (i = 0; i < s->npipes; i++)
		max += s->pipes[i].nstages + 1;
	if ((pfd = calloc(max, sizeof(*pfd))) == NULL ||
	    (ref = calloc(max, sizeof(*ref))) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	fire_timers(s);
	report_files(s);
	while (!finished(s, &status)) {
		n = 0;
		pfd[n].fd = sig_fd();
		pfd[n++].events = POLLIN;
		for (i = 0; i < s->npipes; i++) {
			p = &s->pipes[i];
			for (j = 0; j < p->nstages; j++) {
				if (p->stages[j].errfd < 0)
					continue;
				ref[n].p = p;
				ref[n].st = &p->stages[j];
				pfd[n].fd = p->stages[j].errfd;
				pfd[n++].events = POLLIN;
			}
			if (p->ready_r >= 0) {
				ref[n].p = p;
				ref[n].st = NULL;
				pfd[n].fd = p->ready_r;
				pfd[n++].events = POLLIN;
			}
		}
		timeout = -1;
		if ((d = next_deadline(s)) != 0) {
			d -= time_mono_ms();
			timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
		}
		if (poll(pfd, n, timeout) == -1) {
			if (errno != EINTR)
				log_fatal(EX_OSERR, "poll: %s", strerror(errno));
			for (i = 0; i < n; i++)
				pfd[i].revents = 0;
		}
		/* Standard error first: nothing has closed an fd yet. */
		for (i = 1; i < n; i++)
			if (ref[i].st != NULL && pfd[i].revents != 0 &&
			    ref[i].st->errfd == pfd[i].fd)
				read_err(s, ref[i].st, 0);
		for (i = 1; i < n; i++)
			if (ref[i].st == NULL && pfd[i].revents != 0 &&
			    ref[i].p->ready_r == pfd[i].fd)
				read_ready(s, ref[i].p);
		if (pfd[0].revents != 0)
			handle_signals(s);
		fire_timers(s);
		report_files(s);
	}
	report_files(s);
	free(pfd);
	free(ref);
	return status;
}
