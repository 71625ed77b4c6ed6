#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"

/* The self-pipe; process-wide by nature, as signal handlers are. */
static int sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t term_seen;

static void
handler(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;

	if (signo == SIGTERM || signo == SIGINT)
		term_seen = 1;
	(void)!write(sigpipe[1], &c, 1);
	errno = saved;
}

int
sig_setup(const int *signals)
{
	struct sigaction sa;
	int i;

	if (sigpipe[0] < 0) {
		if (pipe(sigpipe) == -1)
			return -1;
		for (i = 0; i < 2; i++) {
			fcntl(sigpipe[i], F_SETFL,
			    fcntl(sigpipe[i], F_GETFL) | O_NONBLOCK);
			fcntl(sigpipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	for (i = 0; signals[i] != 0; i++)
		if (sigaction(signals[i], &sa, NULL) == -1)
			return -1;
	return 0;
}

int
sig_fd(void)
{
	return sigpipe[0];
}

int
sig_read(void)
{
	unsigned char c[64];
	ssize_t n;
	int last = 0;

	while ((n = read(sigpipe[0], c, sizeof(c))) > 0)
		last = c[n - 1];
	return last;
}

int
sig_pending_term(void)
{
	return term_seen;
}

void
sig_defaults(void)
{
	struct sigaction sa;
	sigset_t none;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 1; i < NSIG; i++)
		(void)sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
