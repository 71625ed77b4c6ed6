/*
 * supervisor: runs the pipelines of a pipeline file (supervisor(5)).  It
 * makes the pipes between the stages itself, restarts a long-running
 * pipeline as a unit with growing delays, runs periodic pipelines on their
 * schedule without overlap, prefixes every line the children write on
 * standard error, and drains every pipeline from its head on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sig.h"
#include "sup.h"

static void	usage(void) __attribute__((noreturn));
static int64_t	seconds(const char *, const char *, long long, long long);
static void	parse_options(struct sup *, int, char **, int *);
static void	std_fds(void);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: supervisor [-qv] [-g grace] [-r ready-timeout] "
	    "[--log-format text|json]\n"
	    "                  [--metrics-file path] [--status-file path] "
	    "file\n"
	    "       supervisor [-qv] [-g grace] [-r ready-timeout] -1 file "
	    "name\n"
	    "       supervisor -c file\n");
	exit(EX_USAGE);
}

/* A number of seconds from the command line, in milliseconds. */
static int64_t
seconds(const char *s, const char *what, long long lo, long long hi)
{
	const char *err;
	long long v = strtonum(s, lo, hi, &err);

	if (err != NULL)
		log_fatal(EX_USAGE, "%s \"%s\" is %s (%lld to %lld seconds)",
		    what, s, err, lo, hi);
	return (int64_t)v * 1000;
}

/* Sets *mode to '1' (-1), 'c' (-c) or 0. */
static void
parse_options(struct sup *s, int argc, char **argv, int *mode)
{
	static const struct option longopts[] = {
		{ "log-format", required_argument, NULL, 'L' },
		{ "metrics-file", required_argument, NULL, 'M' },
		{ "status-file", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "1cg:qr:v", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case '1':
		case 'c':
			if (*mode != 0 && *mode != ch)
				usage();
			*mode = ch;
			break;
		case 'g':
			s->grace_ms = seconds(optarg, "grace period", 0, 3600);
			break;
		case 'q':
			log_quieter();
			break;
		case 'r':
			s->ready_ms = seconds(optarg, "readiness timeout", 1,
			    3600);
			break;
		case 'v':
			log_louder();
			break;
		case 'L':
			if (log_set_format_name(optarg) == -1)
				log_fatal(EX_USAGE, "unknown log format \"%s\"",
				    optarg);
			s->json = strcmp(optarg, "json") == 0;
			break;
		case 'M':
			s->metrics_file = optarg;
			break;
		case 'S':
			s->status_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != (*mode == '1' ? 2 : 1))
		usage();
}

/* Makes sure 0, 1 and 2 are open, so that no pipe gets one of them. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd == -1)
		log_fatal(EX_OSERR, "unable to open /dev/null: %s",
		    strerror(errno));
	close(fd);
}

/*
 * Reads the options and the pipeline file, then checks it (-c), runs one
 * pipeline once (-1), or runs them all until a signal stops them.
 */
int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    0 };
	struct sup s;
	char err[1024];
	size_t i;
	int mode = 0, rc;

	log_init("supervisor");
	std_fds();
	memset(&s, 0, sizeof(s));
	s.grace_ms = 60 * 1000;
	s.ready_ms = 60 * 1000;
	parse_options(&s, argc, argv, &mode);
	argv += optind;
	if (conf_load(&s, argv[0], err, sizeof(err)) == -1)
		log_fatal(EX_CONFIG, "%s", err);
	if (mode == 'c') {
		conf_print(&s, &s.out);
		fwrite(s.out.data, 1, s.out.len, stdout);
		sup_free(&s);
		if (fclose(stdout) == EOF)
			log_fatal(EX_OSERR, "unable to write stdout: %s",
			    strerror(errno));
		return 0;
	}
	for (i = 0; mode == '1' && i < s.npipes; i++)
		if (strcmp(s.pipes[i].name, argv[1]) == 0)
			s.once = &s.pipes[i];
	if (mode == '1' && s.once == NULL) {
		log_error("%s: no pipeline %s", s.file, argv[1]);
		sup_free(&s);
		return EX_USAGE;
	}
	if ((s.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    sig_setup(sigs) == -1)
		log_fatal(EX_OSERR, "unable to set up: %s", strerror(errno));

	run_init(&s);
	rc = run_loop(&s);

	close(s.devnull);
	sup_free(&s);
	return rc;
}
