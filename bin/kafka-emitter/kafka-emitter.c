/*
 * kafka-emitter: produces the payload of each decision line read on stdin
 * as one message to a Kafka topic (idempotent producer, acks=all), and
 * writes one outcome line per input line, in input order, once the
 * message's delivery report has arrived.
 */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "emit.h"
#include "kconf.h"
#include "log.h"
#include "prog.h"

enum {
	S_BROKERS, S_PROPERTY_FILE, S_READY, S_TOPIC, S_PROPERTY,
	S_METRICS_FILE, S_PUSHGATEWAY, S_NSETTINGS
};

/* The frame completes the settings it knows (prog.h). */
static struct prog_setting settings[S_NSETTINGS] = {
	[S_BROKERS] = { .name = "brokers", .letter = 'b', .arg = "brokers",
	    .help = "the bootstrap brokers, host:port,... (or -X "
	    "bootstrap.servers=...)" },
	[S_PROPERTY_FILE] = { .name = "property-file" },
	[S_READY] = { .name = "ready-fd", .letter = 'n', .type = PROG_FD,
	    .help = "write a newline to fd once the producer is created" },
	[S_TOPIC] = { .name = "topic", .letter = 't', .required = 1,
	    .arg = "topic", .help = "the topic the payloads go to" },
	[S_PROPERTY] = { .name = "property" },
	[S_METRICS_FILE] = { .name = "metrics-file" },
	[S_PUSHGATEWAY] = { .name = "pushgateway" },
};

static struct prog P = {
	.name = "kafka-emitter",
	.about = "Produces the payload of each decision line on stdin to a "
	    "Kafka topic; writes an outcome line for each once delivered.",
	.usage =
	    "[-qv] [-b brokers] -t topic [-F propfile] [-n fd] [-X prop=val]\n"
	    "    [--log-format text|json] [--metrics-file path] "
	    "[--pushgateway url]",
	.settings = settings, .nsettings = S_NSETTINGS,
	.exits = (const enum exit_condition[]){
	    EXITC_BAD_INPUT, EXITC_SERVICE_DOWN, EXITC_BUG, EXITC_POLL_FAILED,
	    EXITC_DOWNSTREAM_GONE, EXITC_INPUT_FAILED, EXITC_END
	},
};

/* Set before -X and -F, so that those can override them. */
static const char *const conf_defaults[][2] = {
	{ "enable.idempotence",	"true" },
	{ "acks",		"all" },
	{ "message.timeout.ms",	"30000" },
	{ "client.id",		"ccx-kafka-emitter" },
};

static rd_kafka_conf_t *make_conf(void);
static void	conf_default(rd_kafka_conf_t *, const char *, const char *);
static void	conf_property(rd_kafka_conf_t *, const char *);

/*
 * Reads the settings, creates the producer, reports readiness, then emits
 * stdin until EOF or a termination signal and drains the producer.
 */
int
main(int argc, char *argv[])
{
	struct emitter e;

	prog_parse(&P, argc, argv);
	emit_open(&e, make_conf(), settings[S_TOPIC].value,
	    settings[S_METRICS_FILE].value);
	e.pushgateway = settings[S_PUSHGATEWAY].value;
	prog_ready(&P);
	emit_run(&e);
	emit_drain(&e);
	return prog_finish(&P, emit_close(&e));
}

/*
 * The producer's configuration: our defaults, then -X and -F in order,
 * then -b.  Exits with EXIT_BAD_VALUE and librdkafka's text on a bad
 * property.
 */
static rd_kafka_conf_t *
make_conf(void)
{
	rd_kafka_conf_t *conf;
	const char *v;
	char val[1024], err[512];
	size_t i, k, sz = sizeof(val);

	if ((conf = rd_kafka_conf_new()) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate configuration");
	for (i = 0; i < sizeof(conf_defaults) / sizeof(conf_defaults[0]); i++)
		conf_default(conf, conf_defaults[i][0], conf_defaults[i][1]);
	for (i = 0; prog_item(&P, i, &k, &v); i++) {
		if (k == S_PROPERTY) {
			conf_property(conf, v);
			continue;
		}
		if (kconf_file(conf, v, err, sizeof(err)) == -1)
			log_fatal(EXIT_BAD_VALUE, "%s", err);
		log_debug("properties read from %s", v);
	}
	if (settings[S_BROKERS].value != NULL)
		conf_default(conf, "bootstrap.servers",
		    settings[S_BROKERS].value);
	if (rd_kafka_conf_get(conf, "bootstrap.servers", val, &sz) !=
	    RD_KAFKA_CONF_OK || val[0] == '\0') {
		log_error("no brokers: use -b brokers or set bootstrap.servers");
		prog_usage(&P);
	}
	return conf;
}

static void
conf_default(rd_kafka_conf_t *conf, const char *key, const char *val)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, val, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		log_fatal(EXIT_BAD_VALUE, "unable to set %s: %s", key, err);
}

/*
 * Applies one -X.  kconf_set keeps a secret's value out of librdkafka's
 * text; the key alone (up to '=', a blank or ':') is named.  A secret
 * given this way works, with a warning: the process list shows it.
 */
static void
conf_property(rd_kafka_conf_t *conf, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char err[512], key[256];

	snprintf(key, sizeof(key), "%.*s", (int)strcspn(arg, "= \t:"), arg);
	if (kconf_set(conf, arg, err, sizeof(err)) == -1)
		log_fatal(EXIT_BAD_VALUE, "unable to set %s: %s", key, err);
	if (kconf_is_secret(key))
		log_warn("-X %s: a secret on the command line shows in the "
		    "process list; use -F", key);
	log_debug("property %s=%s", key,
	    kconf_is_secret(key) ? "(secret)" : eq + 1);
}
