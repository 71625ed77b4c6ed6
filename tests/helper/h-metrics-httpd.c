/*
 * helper metrics-httpd ADDRESS FILE: serves FILE at /metrics on ADDRESS
 * (common/mhttp.c), re-reading it every 50 ms, until its standard input
 * ends.  Prints "port N" on stdout once listening; exits 0, or 1 with
 * mhttp's error on stderr when it cannot listen.
 */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "buf.h"
#include "mhttp.h"
#include "slurp.h"

int	helper_metrics_httpd(int, char **);

static void
load(struct mhttp *h, const char *path)
{
	struct buf b;

	buf_init(&b);
	if (slurp(path, &b) == -1)
		return;
	(void)mhttp_set_body(h, b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
}

int
helper_metrics_httpd(int argc, char **argv)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	struct mhttp *h;
	char err[256], c;

	if (argc != 3) {
		fprintf(stderr, "usage: helper metrics-httpd ADDRESS FILE\n");
		return 64;
	}
	if ((h = mhttp_start(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	load(h, argv[2]);
	printf("port %d\n", mhttp_port(h));
	fflush(stdout);
	for (;;) {
		if (poll(&pfd, 1, 50) == 1 && read(0, &c, 1) <= 0)
			break;
		load(h, argv[2]);
	}
	mhttp_stop(h);
	return 0;
}
