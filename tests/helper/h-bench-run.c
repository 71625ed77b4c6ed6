/*
 * helper bench-run PIDFILE RESULTFILE CMD [ARGS...]: runs CMD as a child
 * for tests/bench/bench.sh and measures it.
 *
 * The child's pid goes to PIDFILE (written to PIDFILE.tmp, then renamed)
 * as soon as it runs.  When it has exited, one line goes to RESULTFILE:
 *
 *	maxrss_kb=K user_ms=U sys_ms=S wall_ms=W status=X
 *
 * from wait4(2): maxrss_kb is the child's peak resident set size (its
 * VmHWM, what GNU time -f %M reports), user_ms and sys_ms its CPU time,
 * wall_ms the time from fork to exit, status the exit status (128 + signal
 * when killed).  TERM, INT and HUP are passed on to the child.  The helper
 * lets go of its own stdin and stdout once the child has them, so that the
 * child alone decides when the readers and writers of a pipeline see EOF.
 * Exits with the child's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timeutil.h"

int	helper_bench_run(int, char **);

static volatile sig_atomic_t child;

static void
pass_on(int sig)
{
	if (child > 0)
		kill((pid_t)child, sig);
}

static int
write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fputs(text, fp);
	if (fclose(fp) == EOF || rename(tmp, path) == -1)
		return -1;
	return 0;
}

int
helper_bench_run(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage ru;
	char text[256];
	double t0;
	pid_t pid;
	int st, rc, fd;

	if (argc < 4) {
		fprintf(stderr, "usage: helper bench-run PIDFILE RESULTFILE "
		    "CMD [ARGS...]\n");
		return 64;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	t0 = time_mono_us() / 1e3;
	if ((pid = fork()) == -1) {
		perror("helper bench-run: fork");
		return 71;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "helper bench-run: %s: %s\n", argv[3],
		    strerror(errno));
		_exit(127);
	}
	child = pid;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 1)
			close(fd);
	}
	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	if (write_file(argv[1], text) == -1)
		fprintf(stderr, "helper bench-run: unable to write %s: %s\n",
		    argv[1], strerror(errno));
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("helper bench-run: wait4");
			return 71;
		}
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	snprintf(text, sizeof(text), "maxrss_kb=%ld user_ms=%ld sys_ms=%ld "
	    "wall_ms=%.1f status=%d\n", ru.ru_maxrss,
	    (long)(ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000),
	    (long)(ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000),
	    time_mono_us() / 1e3 - t0, rc);
	if (write_file(argv[2], text) == -1)
		fprintf(stderr, "helper bench-run: unable to write %s: %s\n",
		    argv[2], strerror(errno));
	return rc;
}
