/*
 * mockbroker: a librdkafka mock Kafka cluster on loopback, steered from
 * stdin, for the tests.
 *
 *	mockbroker [-b NBROKERS] [-t TOPIC[:PARTITIONS]]... [-f READYFILE]
 *
 * It creates NBROKERS brokers (default 1), each listening on 127.0.0.1 on a
 * port the kernel picks, creates each TOPIC with PARTITIONS partitions
 * (default 1) and caps ListOffsets at version 3, which kcat needs.  When
 * ready it prints the bootstrap list as the first line of stdout and, with
 * -f, writes the same line to READYFILE.tmp and renames that to READYFILE.
 *
 * It then reads one command a line from stdin and answers each with one
 * line on stdout, "ok" or "error: TEXT" (blank lines get no answer):
 *
 *	down ID			broker ID stops accepting connections
 *	up ID			broker ID accepts connections again
 *	topic NAME PARTS	create topic NAME with PARTS partitions
 *	error APIKEY ERR COUNT	the next COUNT requests of APIKEY fail with
 *				ERR (a number or a name such as
 *				NOT_LEADER_FOR_PARTITION)
 *	rtt ID MS		broker ID answers MS milliseconds late
 *	apiversion APIKEY MIN MAX
 *				advertise versions MIN..MAX of APIKEY
 *	coordinator GROUP ID	broker ID coordinates consumer group GROUP
 *	quit			answer "ok" and exit
 *
 * Lines longer than CMD_MAX bytes are answered with an error.  EOF on
 * stdin, SIGTERM and SIGINT end it as quit does: the cluster and its handle
 * are destroyed and the exit status is 0.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "lineio.h"
#include "sig.h"

#define CMD_MAX		4096	/* longest command line */
#define CMD_ARGS	8	/* most words in a command */
#define MAX_BROKERS	32
#define MAX_PARTS	10000
#define MAX_ERRCNT	100000
#define APIKEY_LISTOFFSETS	2

struct mock {
	rd_kafka_t		*rk;	/* the handle the cluster lives in */
	rd_kafka_mock_cluster_t	*mc;
	int			 nbrokers;
};

struct topic {
	char	*name;
	int	 parts;
};

struct cmd {
	const char	*name;
	int		 nargs;
	int		(*fn)(struct mock *, char **, char *, size_t);
};

static void	usage(void) __attribute__((noreturn));
static void	mock_open(struct mock *, int);
static void	mock_close(struct mock *);
static void	topic_parse(struct topic *, const char *);
static rd_kafka_resp_err_t
		topic_create(struct mock *, const char *, int);
static void	ready(const char *, const char *);
static int	run(struct mock *);
static int	exec_line(struct mock *, char *);
static int	answer(const char *, const char *);
static int	num(const char *, long long, long long, long long *, char *,
		    size_t);
static int	kerr(rd_kafka_resp_err_t, char *, size_t);
static int	cmd_down(struct mock *, char **, char *, size_t);
static int	cmd_up(struct mock *, char **, char *, size_t);
static int	set_broker(struct mock *, const char *, int, char *, size_t);
static int	cmd_topic(struct mock *, char **, char *, size_t);
static int	cmd_error(struct mock *, char **, char *, size_t);
static int	cmd_rtt(struct mock *, char **, char *, size_t);
static int	cmd_apiversion(struct mock *, char **, char *, size_t);
static int	cmd_coordinator(struct mock *, char **, char *, size_t);

/* Commands with the number of words after the name; quit has no fn. */
static const struct cmd cmds[] = {
	{ "quit",	 0, NULL },
	{ "down",	 1, cmd_down },
	{ "up",		 1, cmd_up },
	{ "topic",	 2, cmd_topic },
	{ "error",	 3, cmd_error },
	{ "rtt",	 2, cmd_rtt },
	{ "apiversion",	 3, cmd_apiversion },
	{ "coordinator", 2, cmd_coordinator },
};

/*
 * Runs a mock Kafka cluster until quit, EOF or a termination signal.
 */
int
main(int argc, char *argv[])
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	struct mock m;
	struct topic *topics = NULL;
	const char *readyfile = NULL, *errstr;
	rd_kafka_resp_err_t e;
	size_t ntopics = 0, i;
	int ch, nbrokers = 1, status;

	while ((ch = getopt(argc, argv, "b:f:t:")) != -1) {
		switch (ch) {
		case 'b':
			nbrokers = (int)strtonum(optarg, 1, MAX_BROKERS,
			    &errstr);
			if (errstr != NULL)
				errx(EX_USAGE, "number of brokers is %s: %s",
				    errstr, optarg);
			break;
		case 'f':
			readyfile = optarg;
			break;
		case 't':
			topics = reallocarray(topics, ntopics + 1,
			    sizeof(*topics));
			if (topics == NULL)
				err(EX_OSERR, NULL);
			topic_parse(&topics[ntopics++], optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (sig_setup(sigs) == -1)
		err(EX_OSERR, "unable to set up signals");
	mock_open(&m, nbrokers);
	for (i = 0; i < ntopics; i++) {
		e = topic_create(&m, topics[i].name, topics[i].parts);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			errx(EX_UNAVAILABLE, "unable to create topic %s: %s",
			    topics[i].name, rd_kafka_err2str(e));
		free(topics[i].name);
	}
	free(topics);
	ready(rd_kafka_mock_cluster_bootstraps(m.mc), readyfile);

	status = run(&m);

	mock_close(&m);
	if (fclose(stdout) == EOF && status == 0)
		err(EX_UNAVAILABLE, "unable to close stdout");
	return status;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mockbroker [-b nbrokers] "
	    "[-t topic[:partitions]]... [-f readyfile]\n");
	exit(EX_USAGE);
}

/*
 * Creates the cluster inside a producer handle of its own, as librdkafka
 * requires; the cluster runs in a thread of its own until mock_close.
 */
static void
mock_open(struct mock *m, int nbrokers)
{
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t e;
	char errbuf[512];

	memset(m, 0, sizeof(*m));
	m->nbrokers = nbrokers;
	conf = rd_kafka_conf_new();
	/* Warnings only: the handle has no bootstrap.servers, by design. */
	if (rd_kafka_conf_set(conf, "client.id", "mockbroker", errbuf,
	    sizeof(errbuf)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "4", errbuf,
	    sizeof(errbuf)) != RD_KAFKA_CONF_OK)
		errx(EX_SOFTWARE, "unable to configure handle: %s", errbuf);
	/* On success rd_kafka_new owns conf; on failure we still do. */
	m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, sizeof(errbuf));
	if (m->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		errx(EX_UNAVAILABLE, "unable to create handle: %s", errbuf);
	}
	m->mc = rd_kafka_mock_cluster_new(m->rk, nbrokers);
	if (m->mc == NULL) {
		rd_kafka_destroy(m->rk);
		errx(EX_UNAVAILABLE, "unable to create mock cluster");
	}
	e = rd_kafka_mock_set_apiversion(m->mc, APIKEY_LISTOFFSETS, 0, 3);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		mock_close(m);
		errx(EX_SOFTWARE, "unable to cap ListOffsets version: %s",
		    rd_kafka_err2str(e));
	}
}

/* The cluster goes first: it runs inside the handle. */
static void
mock_close(struct mock *m)
{
	if (m->mc != NULL)
		rd_kafka_mock_cluster_destroy(m->mc);
	if (m->rk != NULL)
		rd_kafka_destroy(m->rk);
	m->mc = NULL;
	m->rk = NULL;
}

/* Parses a topic given as NAME or NAME:PARTITIONS, or dies. */
static void
topic_parse(struct topic *t, const char *spec)
{
	char *colon;
	const char *errstr;

	if ((t->name = strdup(spec)) == NULL)
		err(EX_OSERR, NULL);
	t->parts = 1;
	if ((colon = strrchr(t->name, ':')) != NULL) {
		*colon = '\0';
		t->parts = (int)strtonum(colon + 1, 1, MAX_PARTS, &errstr);
		if (errstr != NULL)
			errx(EX_USAGE, "number of partitions is %s: %s",
			    errstr, spec);
	}
	if (*t->name == '\0')
		errx(EX_USAGE, "empty topic name: %s", spec);
}

/* Each partition gets up to three replicas, as in a real cluster. */
static rd_kafka_resp_err_t
topic_create(struct mock *m, const char *name, int parts)
{
	return rd_kafka_mock_topic_create(m->mc, name, parts,
	    m->nbrokers < 3 ? m->nbrokers : 3);
}

/* Announces the bootstrap list on stdout and, atomically, in readyfile. */
static void
ready(const char *bootstraps, const char *readyfile)
{
	char *tmp;
	FILE *fp;

	if (printf("%s\n", bootstraps) < 0 || fflush(stdout) == EOF)
		err(EX_UNAVAILABLE, "unable to write stdout");
	if (readyfile == NULL)
		return;
	if (asprintf(&tmp, "%s.tmp", readyfile) == -1)
		err(EX_OSERR, NULL);
	if ((fp = fopen(tmp, "w")) == NULL)
		err(EX_CONFIG, "unable to create %s", tmp);
	fprintf(fp, "%s\n", bootstraps);
	if (fclose(fp) == EOF)
		err(EX_TEMPFAIL, "unable to write %s", tmp);
	if (rename(tmp, readyfile) == -1)
		err(EX_CONFIG, "unable to rename %s", tmp);
	free(tmp);
}

/*
 * Reads and runs commands until quit, EOF or SIGTERM/SIGINT.  The mock
 * cluster serves clients from its own thread meanwhile.  Returns the exit
 * status.
 */
static int
run(struct mock *m)
{
	struct pollfd pfd[2];
	struct lineio in;
	char *line;
	size_t len;
	int r, status = -1;

	lineio_init(&in, STDIN_FILENO, CMD_MAX);
	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = sig_fd();
	pfd[1].events = POLLIN;
	while (status == -1) {
		while (status == -1 &&
		    (r = lineio_next(&in, &line, &len)) != LINE_AGAIN) {
			if (r == LINE_EOF)
				status = 0;
			else if (r == LINE_TOOLONG)
				status = answer("error: line too long", NULL);
			else
				status = exec_line(m, line);
		}
		if (status != -1)
			break;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(EX_OSERR, "poll");
		}
		if (pfd[1].revents != 0) {
			sig_read();
			if (sig_pending_term())
				status = 0;
		}
		if (status == -1 && pfd[0].revents != 0 &&
		    lineio_fill(&in) == -1 && errno != EAGAIN &&
		    errno != EINTR) {
			warn("unable to read stdin");
			status = EX_UNAVAILABLE;
		}
	}
	lineio_free(&in);
	return status;
}

/*
 * Runs one command line and answers it.  Returns -1 to go on, or the exit
 * status.
 */
static int
exec_line(struct mock *m, char *line)
{
	char *av[CMD_ARGS + 1], *p, ebuf[512];
	size_t i;
	int ac = 0;

	while ((p = strsep(&line, " \t\r")) != NULL) {
		if (*p == '\0')
			continue;
		if (ac == CMD_ARGS)
			return answer("error: too many words", NULL);
		av[ac++] = p;
	}
	if (ac == 0)
		return -1;
	av[ac] = NULL;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(av[0], cmds[i].name) != 0)
			continue;
		if (ac - 1 != cmds[i].nargs) {
			snprintf(ebuf, sizeof(ebuf), "%s takes %d arguments",
			    cmds[i].name, cmds[i].nargs);
			return answer("error: ", ebuf);
		}
		if (cmds[i].fn == NULL) {
			answer("ok", NULL);
			return 0;
		}
		if (cmds[i].fn(m, av + 1, ebuf, sizeof(ebuf)) == -1)
			return answer("error: ", ebuf);
		return answer("ok", NULL);
	}
	snprintf(ebuf, sizeof(ebuf), "unknown command %s", av[0]);
	return answer("error: ", ebuf);
}

/* Writes one answer line; returns -1 to go on, or an exit status. */
static int
answer(const char *s, const char *detail)
{
	if (printf("%s%s\n", s, detail ? detail : "") < 0 ||
	    fflush(stdout) == EOF) {
		warn("unable to write stdout");
		return EX_UNAVAILABLE;
	}
	return -1;
}

static int
num(const char *s, long long min, long long max, long long *v, char *ebuf,
    size_t elen)
{
	const char *errstr;

	*v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		snprintf(ebuf, elen, "%s is %s", s, errstr);
		return -1;
	}
	return 0;
}

static int
kerr(rd_kafka_resp_err_t e, char *ebuf, size_t elen)
{
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	snprintf(ebuf, elen, "%s", rd_kafka_err2str(e));
	return -1;
}

static int
cmd_down(struct mock *m, char **av, char *ebuf, size_t elen)
{
	return set_broker(m, av[0], 0, ebuf, elen);
}

static int
cmd_up(struct mock *m, char **av, char *ebuf, size_t elen)
{
	return set_broker(m, av[0], 1, ebuf, elen);
}

/* Broker arg goes down, or up again. */
static int
set_broker(struct mock *m, const char *arg, int up, char *ebuf, size_t elen)
{
	long long id;

	if (num(arg, 0, INT32_MAX, &id, ebuf, elen) == -1)
		return -1;
	return kerr(up ? rd_kafka_mock_broker_set_up(m->mc, (int32_t)id) :
	    rd_kafka_mock_broker_set_down(m->mc, (int32_t)id), ebuf, elen);
}

static int
cmd_topic(struct mock *m, char **av, char *ebuf, size_t elen)
{
	long long parts;

	if (num(av[1], 1, MAX_PARTS, &parts, ebuf, elen) == -1)
		return -1;
	return kerr(topic_create(m, av[0], (int)parts), ebuf, elen);
}

static int
cmd_error(struct mock *m, char **av, char *ebuf, size_t elen)
{
	const struct rd_kafka_err_desc *descs;
	rd_kafka_resp_err_t *errs;
	long long key, code = 0, cnt;
	size_t ndescs, i;
	int found = 0;

	if (num(av[0], 0, INT16_MAX, &key, ebuf, elen) == -1 ||
	    num(av[2], 1, MAX_ERRCNT, &cnt, ebuf, elen) == -1)
		return -1;
	rd_kafka_get_err_descs(&descs, &ndescs);
	for (i = 0; i < ndescs && !found; i++) {
		if (descs[i].name != NULL &&
		    strcmp(descs[i].name, av[1]) == 0) {
			code = descs[i].code;
			found = 1;
		}
	}
	if (!found && num(av[1], INT32_MIN, INT32_MAX, &code, ebuf,
	    elen) == -1)
		return -1;
	if ((errs = reallocarray(NULL, (size_t)cnt, sizeof(*errs))) == NULL)
		err(EX_OSERR, NULL);
	for (i = 0; i < (size_t)cnt; i++)
		errs[i] = (rd_kafka_resp_err_t)code;
	rd_kafka_mock_push_request_errors_array(m->mc, (int16_t)key,
	    (size_t)cnt, errs);
	free(errs);
	return 0;
}

static int
cmd_rtt(struct mock *m, char **av, char *ebuf, size_t elen)
{
	long long id, ms;

	if (num(av[0], 0, INT32_MAX, &id, ebuf, elen) == -1 ||
	    num(av[1], 0, INT32_MAX, &ms, ebuf, elen) == -1)
		return -1;
	return kerr(rd_kafka_mock_broker_set_rtt(m->mc, (int32_t)id,
	    (int)ms), ebuf, elen);
}

static int
cmd_apiversion(struct mock *m, char **av, char *ebuf, size_t elen)
{
	long long key, min, max;

	if (num(av[0], 0, INT16_MAX, &key, ebuf, elen) == -1 ||
	    num(av[1], -1, INT16_MAX, &min, ebuf, elen) == -1 ||
	    num(av[2], -1, INT16_MAX, &max, ebuf, elen) == -1)
		return -1;
	return kerr(rd_kafka_mock_set_apiversion(m->mc, (int16_t)key,
	    (int16_t)min, (int16_t)max), ebuf, elen);
}

static int
cmd_coordinator(struct mock *m, char **av, char *ebuf, size_t elen)
{
	long long id;

	if (num(av[1], 0, INT32_MAX, &id, ebuf, elen) == -1)
		return -1;
	return kerr(rd_kafka_mock_coordinator_set(m->mc, "group", av[0],
	    (int32_t)id), ebuf, elen);
}
