/*
 * kafka-emitter: produces the payload of each decision line read on stdin
 * as one message to a Kafka topic (idempotent producer, acks=all), and
 * writes one outcome line per input line, in input order, once the
 * message's delivery report has arrived.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "emit.h"
#include "kconf.h"
#include "log.h"
#include "opt.h"

/* A -X or -F argument, applied in command-line order after the defaults. */
struct confarg {
	int		 opt;
	const char	*arg;
};

static void	usage(void) __attribute__((noreturn));
static rd_kafka_conf_t *make_conf(const struct confarg *, size_t,
		    const char *);
static void	conf_default(rd_kafka_conf_t *, const char *, const char *);
static void	conf_arg(rd_kafka_conf_t *, const struct confarg *);
static void	ready(int);

static const struct option longopts[] = {
	{ "log-format",		required_argument, NULL, 'L' },
	{ "metrics-file",	required_argument, NULL, 'M' },
	{ "pushgateway",	required_argument, NULL, 'P' },
	{ NULL,			0,		   NULL, 0 }
};

/* Set before -X and -F, so that those can override them. */
static const char *const conf_defaults[][2] = {
	{ "enable.idempotence",	"true" },
	{ "acks",		"all" },
	{ "message.timeout.ms",	"30000" },
	{ "client.id",		"ccx-kafka-emitter" },
};

/*
 * Reads the options, creates the producer, reports readiness, then emits
 * stdin until EOF or a termination signal and drains the producer.
 */
int
main(int argc, char *argv[])
{
	struct emitter e;
	struct confarg *ca;
	const char *brokers = NULL, *topic = NULL, *metrics = NULL;
	const char *push = NULL;
	size_t nca = 0;
	int ch, readyfd = -1, status;

	log_init(argv[0]);
	if ((ca = reallocarray(NULL, (size_t)argc, sizeof(*ca))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate options");
	while ((ch = getopt_long(argc, argv, "b:F:n:qt:vX:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'F':
		case 'X':
			ca[nca].opt = ch;
			ca[nca++].arg = optarg;
			break;
		case 'n':
			readyfd = (int)opt_number(optarg, "readiness fd", 0, INT_MAX);
			break;
		case 'q':
			log_quieter();
			break;
		case 't':
			topic = optarg;
			break;
		case 'v':
			log_louder();
			break;
		case 'L':
			if (log_set_format_name(optarg) == -1)
				log_fatal(EX_USAGE, "unknown log format \"%s\"",
				    optarg);
			break;
		case 'M':
			metrics = optarg;
			break;
		case 'P':
			push = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || topic == NULL || *topic == '\0')
		usage();
	if (readyfd >= 0 && fcntl(readyfd, F_GETFD) == -1)
		log_fatal(EX_USAGE, "readiness fd %d is not open", readyfd);

	emit_open(&e, make_conf(ca, nca, brokers), topic, metrics);
	e.pushgateway = push;
	free(ca);
	ready(readyfd);
	emit_run(&e);
	emit_drain(&e);
	status = emit_close(&e);
	if (fclose(stdout) == EOF && status == 0) {
		log_error("unable to write stdout: %s", strerror(errno));
		status = EX_TEMPFAIL;
	}
	return status;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kafka-emitter [-qv] [-b brokers] -t topic "
	    "[-F propfile] [-n fd] [-X prop=val]\n"
	    "                     [--log-format text|json] "
	    "[--metrics-file path] [--pushgateway url]\n");
	exit(EX_USAGE);
}


/*
 * The producer's configuration: our defaults, then -X and -F in order,
 * then -b.  Exits with EX_CONFIG and librdkafka's text on a bad property.
 */
static rd_kafka_conf_t *
make_conf(const struct confarg *ca, size_t n, const char *brokers)
{
	rd_kafka_conf_t *conf;
	char val[1024];
	size_t i, sz = sizeof(val);

	if ((conf = rd_kafka_conf_new()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate configuration");
	for (i = 0; i < sizeof(conf_defaults) / sizeof(conf_defaults[0]); i++)
		conf_default(conf, conf_defaults[i][0], conf_defaults[i][1]);
	for (i = 0; i < n; i++)
		conf_arg(conf, &ca[i]);
	if (brokers != NULL)
		conf_default(conf, "bootstrap.servers", brokers);
	if (rd_kafka_conf_get(conf, "bootstrap.servers", val, &sz) !=
	    RD_KAFKA_CONF_OK || val[0] == '\0')
		log_fatal(EX_USAGE, "no brokers: use -b brokers or set "
		    "bootstrap.servers");
	return conf;
}

static void
conf_default(rd_kafka_conf_t *conf, const char *key, const char *val)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, val, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		log_fatal(EX_CONFIG, "unable to set %s: %s", key, err);
}

/*
 * Applies one -X or -F.  The value of a secret property is never printed,
 * not even inside librdkafka's error text.
 */
static void
conf_arg(rd_kafka_conf_t *conf, const struct confarg *ca)
{
	char err[512], key[256], *p;
	const char *eq;
	size_t klen;

	if (ca->opt == 'F') {
		if (kconf_file(conf, ca->arg, err, sizeof(err)) == -1) {
			/* kconf echoes a line without '=': a secret? */
			if ((p = strstr(err, ", got \"")) != NULL)
				*p = '\0';
			log_fatal(EX_CONFIG, "%s", err);
		}
		log_debug("properties read from %s", ca->arg);
		return;
	}
	eq = strchr(ca->arg, '=');
	klen = eq != NULL ? (size_t)(eq - ca->arg) : strcspn(ca->arg, " \t:");
	snprintf(key, sizeof(key), "%.*s", (int)klen, ca->arg);
	if (kconf_set(conf, ca->arg, err, sizeof(err)) == -1) {
		if (kconf_is_secret(key) && eq != NULL && eq[1] != '\0' &&
		    strstr(err, eq + 1) != NULL)
			snprintf(err, sizeof(err), "invalid value");
		log_fatal(EX_CONFIG, "unable to set %s: %s", key, err);
	}
	log_debug("property %s=%s", key,
	    kconf_is_secret(key) ? "(secret)" : eq + 1);
}

/* Reports readiness on fd (if any) with a newline, then closes it. */
static void
ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "\n", 1) != 1)
		log_warn("unable to write readiness fd %d: %s", fd,
		    strerror(errno));
	close(fd);
}
