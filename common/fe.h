/*
 * fe: what the upstream front ends (ccx-notification-writer,
 * ccx-notification-service) share: running a filter as a child with a
 * private environment, reading its output lines, and passing its log
 * records on in upstream's shape.
 *
 * The filters run with --log-format json; each record they write
 * ({"time","level","prog","msg"}) becomes a zlog record with the field
 * "stage" (COMPAT.md 6.1), "warning" becoming "warn".  A line that is not
 * such a record is passed on as an info record of its own.
 */
#ifndef CCX_FE_H
#define CCX_FE_H

#include <stddef.h>
#include <sys/types.h>

#include "lineio.h"

struct zlog;

/* Called with each line (NUL-terminated, without its newline). */
typedef void	fe_line_fn(void *arg, const char *line, size_t len);

/* A child whose stdout and stderr are read line by line. */
struct fe_child {
	pid_t		 pid;
	int		 fd[2];		/* its stdout, stderr; -1 once closed */
	struct lineio	 io[2];
};

/*
 * Starts argv[0] (looked up in PATH) with envp, stdin from /dev/null.
 * Returns 0, or -1 with a message in errbuf.
 */
int	fe_start(struct fe_child *c, char *const argv[], char *const envp[],
	    char *errbuf, size_t errsize);
/*
 * Waits up to timeout_ms (-1: for ever) for output of c, calling out for
 * each line of its stdout and err for each line of its stderr (either may
 * be NULL).  Returns 1 while a stream is open, 0 once both are closed.
 * A signal interrupts the wait (1 is returned).
 */
int	fe_poll(struct fe_child *c, int timeout_ms, fe_line_fn *out,
	    fe_line_fn *err, void *arg);
/* Reaps c: its exit status, or 128 + N when killed by signal N. */
int	fe_finish(struct fe_child *c);

/*
 * Starts argv[0] (looked up in PATH) with envp, its descriptors 0, 1, 2
 * and 3 made from fds[0..3] (-1: /dev/null for 0 to 2, none for 3), for a
 * pipeline the caller builds: the caller's other descriptors must be
 * close-on-exec.  The child gets the default action of every signal and
 * an empty signal mask; when it cannot run argv[0] it says so on its
 * stderr and exits 127 (not found) or 126.  Returns its pid, or -1 with a
 * message in errbuf.  Reap it with waitpid(2).
 */
pid_t	fe_spawn(char *const argv[], char *const envp[], const int fds[4],
	    char *errbuf, size_t errsize);

/* fe_start, fe_poll until both streams close, fe_finish; -1 when it
 * cannot be started. */
int	fe_run(char *const argv[], char *const envp[], fe_line_fn *out,
	    fe_line_fn *err, void *arg, char *errbuf, size_t errsize);

/*
 * A copy of base (an environ) without the variables whose names start with
 * one of drop (NULL-terminated), with "NAME=VALUE" strings of extra
 * (NULL-terminated) added after it.  Release with fe_env_free, which
 * wipes the strings (they may hold a password).
 */
char	**fe_env(char *const *base, const char *const *drop,
	    const char *const *extra);
void	fe_env_free(char **env);

struct config;

/*
 * Loads c from envp as upstream does (config_load) and says so in
 * upstream's records on z (JSON on stderr until then): "parsing
 * configuration file", Clowder's lines on stdout, "Load configuration"
 * on failure.  Returns 0, or -1 when the configuration cannot be used.
 */
int	fe_config(struct config *c, struct zlog *z, char *const *envp);
/*
 * After the logging is set up: a warning for the arguments Go's flag
 * package leaves unparsed (argc - rest of them), and a line for each
 * upstream setting that ccx-notify accepts and does not act on (log
 * shipping to CloudWatch or Sentry, payload-tracker events).
 */
void	fe_notices(const struct config *c, const struct zlog *z, int argc,
	    int rest);

/* Wipes b's bytes (it may hold a secret), then frees it. */
struct buf;
void	fe_buf_wipe(struct buf *b);

/* Passes one log line of stage on through z (see above). */
void	fe_relay(const struct zlog *z, const char *stage, const char *line,
	    size_t len);

/*
 * Writes text to a new file of mode 0600 in the temporary directory
 * ($TMPDIR or /tmp), named after prefix; its path into path.  Returns 0,
 * or -1 with errno.
 */
int	fe_private_file(const char *prefix, const char *text, size_t len,
	    char *path, size_t pathsize);

#endif
