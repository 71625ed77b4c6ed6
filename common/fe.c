/*
 * fe: running a filter for a front end, and passing its log records on in
 * upstream's shape.  See fe.h.
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

#include "config.h"
#include "fe.h"
#include "lineio.h"
#include "prog.h"
#include "sig.h"
#include "zlog.h"

#define FE_LINE_MAX	(1024 * 1024)

static void	child(char *const *, char *const *, int, int)
		    __attribute__((noreturn));
static void	spawned(char *const *, char *const *, const int *)
		    __attribute__((noreturn));
static int	drain(struct lineio *, fe_line_fn *, void *);
static int	level_of(const char *);

int
fe_start(struct fe_child *c, char *const argv[], char *const envp[],
    char *errbuf, size_t errsize)
{
	int po[2], pe[2];

	c->pid = -1;
	c->fd[0] = c->fd[1] = -1;
	if (pipe2(po, O_CLOEXEC) == -1)
		goto fail;
	if (pipe2(pe, O_CLOEXEC) == -1) {
		close(po[0]);
		close(po[1]);
		goto fail;
	}
	if ((c->pid = fork()) == -1) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		goto fail;
	}
	if (c->pid == 0)
		child(argv, envp, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	c->fd[0] = po[0];
	c->fd[1] = pe[0];
	lineio_init(&c->io[0], po[0], FE_LINE_MAX);
	lineio_init(&c->io[1], pe[0], FE_LINE_MAX);
	return 0;
fail:
	snprintf(errbuf, errsize, "unable to start %s: %s", argv[0],
	    strerror(errno));
	return -1;
}

int
fe_poll(struct fe_child *c, int timeout_ms, fe_line_fn *out, fe_line_fn *err,
    void *arg)
{
	struct pollfd pfd[2];
	fe_line_fn *fn[2] = { out, err };
	int i;

	for (i = 0; i < 2; i++) {
		pfd[i].fd = c->fd[i];
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (c->fd[0] == -1 && c->fd[1] == -1)
		return 0;
	if (poll(pfd, 2, timeout_ms) == -1)
		return 1;	/* EINTR: the caller looks at its signals */
	for (i = 0; i < 2; i++) {
		if (c->fd[i] == -1 || pfd[i].revents == 0)
			continue;
		if (drain(&c->io[i], fn[i], arg) == 0) {
			lineio_free(&c->io[i]);
			close(c->fd[i]);
			c->fd[i] = -1;
		}
	}
	return c->fd[0] != -1 || c->fd[1] != -1;
}

int
fe_finish(struct fe_child *c)
{
	int status, i;

	for (i = 0; i < 2; i++) {
		if (c->fd[i] != -1) {
			lineio_free(&c->io[i]);
			close(c->fd[i]);
			c->fd[i] = -1;
		}
	}
	if (c->pid <= 0)
		return -1;
	while (waitpid(c->pid, &status, 0) == -1)
		if (errno != EINTR)
			return 128 + 9;
	c->pid = -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
fe_run(char *const argv[], char *const envp[], fe_line_fn *out,
    fe_line_fn *err, void *arg, char *errbuf, size_t errsize)
{
	struct fe_child c;

	if (fe_start(&c, argv, envp, errbuf, errsize) == -1)
		return -1;
	while (fe_poll(&c, -1, out, err, arg) == 1)
		;
	return fe_finish(&c);
}

pid_t
fe_spawn(char *const argv[], char *const envp[], const int fds[4],
    char *errbuf, size_t errsize)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		snprintf(errbuf, errsize, "unable to start %s: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	if (pid == 0)
		spawned(argv, envp, fds);
	return pid;
}

/* The child of fe_spawn: its descriptors and signals, then the program. */
static void
spawned(char *const *argv, char *const *envp, const int *fds)
{
	int hi[4], i;

	sig_defaults();
	/* Out of the way first, so that no dup2 overwrites a source. */
	for (i = 0; i < 4; i++) {
		hi[i] = -1;
		if (fds[i] == -1 && i < 3)
			hi[i] = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
		else if (fds[i] != -1)
			hi[i] = fcntl(fds[i], F_DUPFD, 10);
		if ((fds[i] != -1 || i < 3) && hi[i] == -1)
			_exit(71);
	}
	for (i = 0; i < 4; i++)
		if (hi[i] != -1 && (dup2(hi[i], i) == -1 || close(hi[i]) == -1))
			_exit(71);
	prog_exec(argv, envp);
	dprintf(2, "unable to run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static void
child(char *const *argv, char *const *envp, int out, int err)
{
	int null;

	if ((null = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(null, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(71);
	prog_exec(argv, envp);
	dprintf(2, "unable to run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reads what fd has and hands out its lines; 0 at EOF or error. */
static int
drain(struct lineio *in, fe_line_fn *fn, void *arg)
{
	char *line;
	size_t len;
	ssize_t n;
	int r;

	n = lineio_fill(in);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	while ((r = lineio_next(in, &line, &len)) == LINE_OK ||
	    r == LINE_TOOLONG)
		if (fn != NULL)
			fn(arg, line, len);
	return n > 0;
}

char **
fe_env(char *const *base, const char *const *drop, const char *const *extra)
{
	char **env;
	size_t n = 0, k = 0, i, j;
	int skip;

	for (i = 0; base != NULL && base[i] != NULL; i++)
		n++;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; base != NULL && base[i] != NULL; i++) {
		skip = 0;
		for (j = 0; drop != NULL && drop[j] != NULL; j++)
			if (strncmp(base[i], drop[j], strlen(drop[j])) == 0)
				skip = 1;
		if (!skip && (env[k++] = strdup(base[i])) == NULL)
			goto fail;
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		if ((env[k++] = strdup(extra[i])) == NULL)
			goto fail;
	return env;
fail:
	fe_env_free(env);
	return NULL;
}

void
fe_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++) {
		explicit_bzero(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
}

void
fe_relay(const struct zlog *z, const char *stage, const char *line,
    size_t len)
{
	struct json_tokener *tok;
	struct json_object *o = NULL, *lv, *msg;
	struct zfield f = ZSTR("stage", stage);

	if ((tok = json_tokener_new()) != NULL) {
		o = json_tokener_parse_ex(tok, line, (int)len);
		json_tokener_free(tok);
	}
	if (o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "level", &lv) &&
	    json_object_object_get_ex(o, "msg", &msg))
		zlog_write(z, level_of(json_object_get_string(lv)),
		    json_object_get_string(msg), &f, 1);
	else
		zlog_write(z, ZL_INFO, line, &f, 1);
	json_object_put(o);
}

static int
level_of(const char *s)
{
	if (s == NULL)
		return ZL_INFO;
	if (strcmp(s, "warning") == 0)
		return ZL_WARN;
	if (strcmp(s, "error") == 0)
		return ZL_ERROR;
	if (strcmp(s, "debug") == 0)
		return ZL_DEBUG;
	return ZL_INFO;
}

int
fe_private_file(const char *prefix, const char *text, size_t len,
    char *path, size_t pathsize)
{
	const char *dir = getenv("TMPDIR");
	ssize_t w;
	size_t off = 0;
	int fd, e;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, pathsize, "%s/%s.XXXXXX", dir, prefix) >=
	    pathsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)	/* mode 0600 */
		return -1;
	while (off < len) {
		if ((w = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			unlink(path);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1) {
		e = errno;
		unlink(path);
		errno = e;
		return -1;
	}
	return 0;
}

int
fe_config(struct config *c, struct zlog *z, char *const *envp)
{
	struct zfield f;
	char err[1024];
	int r;

	r = config_load(c, envp, err, sizeof(err));
	f = ZSTR("filename", c->file_arg != NULL ? c->file_arg : "config");
	zlog_write(z, ZL_INFO, "parsing configuration file", &f, 1);
	fwrite(c->out.data != NULL ? c->out.data : "", 1, c->out.len, stdout);
	fflush(stdout);
	if (r == -1) {
		f = ZSTR("error", err);
		zlog_write(z, ZL_ERROR, "Load configuration", &f, 1);
	}
	return r;
}

void
fe_notices(const struct config *c, const struct zlog *z, int argc, int rest)
{
	struct zfield f;

	if (rest < argc) {
		f = ZINT("ignored arguments", argc - rest);
		zlog_write(z, ZL_WARN, "arguments after the first non-flag "
		    "argument are ignored, as upstream ignores them", &f, 1);
	}
	if (config_bool(c, "logging.logging_to_cloud_watch_enabled"))
		zlog_write(z, ZL_WARN, "logs are not shipped to CloudWatch by "
		    "ccx-notify: forward standard output with the platform's "
		    "log collector", NULL, 0);
	if (config_bool(c, "logging.logging_to_sentry_enabled"))
		zlog_write(z, ZL_WARN, "errors are not sent to Sentry by "
		    "ccx-notify: forward standard output with the platform's "
		    "log collector", NULL, 0);
	if (c->prog == CONFIG_WRITER &&
	    *config_str(c, "tracker.topic") != '\0') {
		f = ZSTR("topic", config_str(c, "tracker.topic"));
		zlog_write(z, ZL_INFO, "payload-tracker events are not sent "
		    "by ccx-notify", &f, 1);
	}
}

void
fe_buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}
