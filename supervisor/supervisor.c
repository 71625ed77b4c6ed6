/*
 * supervisor: runs the pipelines of a pipeline file (supervisor(5)).  It
 * makes the pipes between the stages itself, restarts a long-running
 * pipeline as a unit with growing delays, runs periodic pipelines on their
 * schedule without overlap, prefixes every line the children write on
 * standard error, and drains every pipeline from its head on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "prog.h"
#include "sig.h"
#include "sup.h"

enum {
	S_ONCE, S_CHECK, S_GRACE, S_READY_TIMEOUT, S_METRICS_FILE,
	S_STATUS_FILE, S_NSETTINGS
};

/* The frame completes the settings it knows (prog.h). */
static struct prog_setting settings[S_NSETTINGS] = {
	[S_ONCE] = { .name = "once", .letter = '1', .type = PROG_BOOL,
	    .help = "run the pipeline named after the file once, and exit "
	    "with its status" },
	[S_CHECK] = { .name = "check", .letter = 'c', .type = PROG_BOOL,
	    .help = "check the file and print it as understood" },
	[S_GRACE] = { .name = "grace", .letter = 'g', .def = "60",
	    .type = PROG_DURATION, .min = 0, .max = 3600, .unit = 1000,
	    .arg = "grace", .help = "how long members may drain after "
	    "SIGTERM before they are killed" },
	[S_READY_TIMEOUT] = { .name = "ready-timeout", .letter = 'r',
	    .def = "60", .type = PROG_DURATION, .min = 1, .max = 3600,
	    .unit = 1000, .arg = "ready-timeout",
	    .help = "how long a stage may take to report readiness" },
	[S_METRICS_FILE] = { .name = "metrics-file" },
	[S_STATUS_FILE] = { .name = "status-file", .arg = "path",
	    .help = "write the status table of the pipelines there" },
};

static struct prog P = {
	.name = "supervisor",
	.about = "Runs the pipelines of a pipeline file: restarts, "
	    "schedules and drains them (supervisor(5)).",
	.usage =
	    "[-qv] [-g grace] [-r ready-timeout] [--log-format text|json]\n"
	    "    [--metrics-file path] [--status-file path] file\n"
	    "[-qv] [-g grace] [-r ready-timeout] -1 file name\n"
	    "-c file",
	.settings = settings, .nsettings = S_NSETTINGS,
	.operands = 2,
	.exits = (const enum exit_condition[]){
	    EXITC_POLL_FAILED, EXITC_GRACE_EXCEEDED, EXITC_END
	},
};

static void	std_fds(void);
static int	check(struct sup *);
static int	once(struct sup *, const char *);

/* Makes sure 0, 1 and 2 are open, so that no pipe gets one of them. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd == -1)
		log_fatal(EXIT_SYSTEM, "unable to open /dev/null: %s",
		    strerror(errno));
	close(fd);
}

/*
 * Reads the settings and the pipeline file, then checks it (-c), runs one
 * pipeline once (-1), or runs them all until a signal stops them.
 */
int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    0 };
	struct sup s;
	char err[1024];
	int first, rc;

	std_fds();
	first = prog_parse(&P, argc, argv);
	if ((settings[S_ONCE].num && settings[S_CHECK].num) ||
	    argc - first != (settings[S_ONCE].num ? 2 : 1))
		prog_usage(&P);
	argv += first;
	memset(&s, 0, sizeof(s));
	s.grace_ms = settings[S_GRACE].num;
	s.ready_ms = settings[S_READY_TIMEOUT].num;
	s.metrics_file = settings[S_METRICS_FILE].value;
	s.status_file = settings[S_STATUS_FILE].value;
	s.json = log_get_format() == LOG_JSON;
	if (conf_load(&s, argv[0], err, sizeof(err)) == -1)
		log_fatal(EXIT_BAD_VALUE, "%s", err);
	if (settings[S_CHECK].num)
		return check(&s);
	if (settings[S_ONCE].num && once(&s, argv[1]) == -1)
		return EXIT_BAD_FLAG;
	if ((s.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    sig_setup(sigs) == -1)
		log_fatal(EXIT_SYSTEM, "unable to set up: %s", strerror(errno));
	run_init(&s);
	rc = run_loop(&s);
	close(s.devnull);
	sup_free(&s);
	prog_free(&P);
	return rc;
}

/* -1: the one pipeline to run; -1 (logged, s freed) when there is none. */
static int
once(struct sup *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->npipes; i++)
		if (strcmp(s->pipes[i].name, name) == 0)
			s->once = &s->pipes[i];
	if (s->once != NULL)
		return 0;
	log_error("%s: no pipeline %s", s->file, name);
	sup_free(s);
	return -1;
}

/* -c: prints the file as understood. */
static int
check(struct sup *s)
{
	conf_print(s, &s->out);
	fwrite(s->out.data, 1, s->out.len, stdout);
	sup_free(s);
	prog_free(&P);
	if (fclose(stdout) == EOF)
		log_fatal(EXIT_SYSTEM, "unable to write stdout: %s",
		    strerror(errno));
	return EXIT_OK;
}
