/*
 * config: upstream's configuration from file, environment and Clowder
 * (config.h, COMPAT.md 3 and 4).
 *
 * Loading keeps viper's order of events: the file gives each key a raw
 * value (a json-c object, from TOML, JSON or YAML), a variable replaces
 * it for the keys viper knows, and only the winner is converted to the
 * key's type, so a file value that would not convert is harmless when the
 * environment overrides it.  Clowder then sets typed values.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <json.h>

#include "buf.h"
#include "config.h"
#include "evfilter.h"
#include "goflag.h"
#include "log.h"
#include "toml.h"
#include "yml.h"
#include "zlog.h"

#define FILE_MAX	(16u * 1024 * 1024)
#define MAXKEYS		128

#define S	CONFIG_STRING
#define B	CONFIG_BOOL
#define I	CONFIG_INT
#define D	CONFIG_DURATION
#define V	CONFIG_INTERVAL
#define L	CONFIG_LIST
#define SEC	CONFIG_SECRET
#define UNU	CONFIG_UNUSED

/* The storage keys, with their config.toml values, for both programs. */
#define STORAGE(sec, flags, db)						\
	{ sec ".db_driver", S, flags, "\"postgres\"" },			\
	{ sec ".pg_username", S, flags, "\"postgres\"" },		\
	{ sec ".pg_password", S, SEC | (flags), "\"postgres\"" },	\
	{ sec ".pg_host", S, flags, "\"localhost\"" },			\
	{ sec ".pg_port", I, flags, "5432" },				\
	{ sec ".pg_db_name", S, flags, db },				\
	{ sec ".pg_params", S, flags, "\"sslmode=disable\"" },		\
	{ sec ".log_sql_queries", B, flags, "true" }

/* CloudWatch: upstream's file has examples, which we do not repeat. */
#define CLOUDWATCH							\
	{ "cloudwatch.aws_access_id", S, SEC | UNU, NULL },		\
	{ "cloudwatch.aws_secret_key", S, SEC | UNU, NULL },		\
	{ "cloudwatch.aws_session_token", S, SEC | UNU, NULL },		\
	{ "cloudwatch.aws_region", S, UNU, NULL },			\
	{ "cloudwatch.log_group", S, UNU, NULL },			\
	{ "cloudwatch.stream_name", S, UNU, NULL },			\
	{ "cloudwatch.debug", B, UNU, NULL }

/* The thresholds and filters of a notification target. */
#define TARGET(sec, tr)							\
	{ sec ".likelihood_threshold", I, 0, "0" },			\
	{ sec ".impact_threshold", I, 0, "0" },				\
	{ sec ".severity_threshold", I, 0, "0" },			\
	{ sec ".total_risk_threshold", I, 0, tr },			\
	{ sec ".event_filter", S, 0, "\"totalRisk >= totalRiskThreshold\"" }

static const struct config_key writer_keys[] = {
	{ "broker.addresses", S, 0, "\"localhost:9093,localhost:9092\"" },
	{ "broker.security_protocol", S, 0, "\"PLAINTEXT\"" },
	{ "broker.cert_path", S, 0, NULL },
	{ "broker.sasl_mechanism", S, 0, "\"not-used\"" },
	{ "broker.sasl_username", S, 0, "\"not-used\"" },
	{ "broker.sasl_password", S, SEC, "\"not-used\"" },
	{ "broker.topic", S, 0, "\"ccx.ocp.results\"" },
	{ "broker.group", S, 0, "\"test-consumer-group\"" },
	{ "broker.enabled", B, 0, "true" },
	{ "broker.disable_api_versions_request", B, 0, NULL },
	STORAGE("storage", 0, "\"notification\""),
	{ "logging.debug", B, 0, "true" },
	{ "logging.use_stderr", B, 0, NULL },
	{ "logging.log_level", S, 0, "\"info\"" },
	{ "logging.logging_to_cloud_watch_enabled", B, UNU, "false" },
	{ "logging.logging_to_sentry_enabled", B, UNU, "false" },
	CLOUDWATCH,
	{ "sentry.dsn", S, SEC | UNU, "\"\"" },
	{ "sentry.environment", S, UNU, "\"dev\"" },
	{ "metrics.namespace", S, 0, "\"notification_writer\"" },
	{ "metrics.address", S, 0, "\":8080\"" },
	{ "tracker.topic", S, UNU, "\"platform.payload-status\"" },
	{ "tracker.service_name", S, UNU, "\"ccx-notification-writer\"" },
};

static const struct config_key service_keys[] = {
	{ "logging.debug", B, 0, "false" },
	{ "logging.use_stderr", B, 0, NULL },
	{ "logging.log_level", S, 0, "\"info\"" },
	{ "logging.logging_to_cloud_watch_enabled", B, UNU, "false" },
	{ "logging.logging_to_sentry_enabled", B, UNU, "false" },
	{ "sentry.dsn", S, SEC | UNU, "\"\"" },
	{ "sentry.environment", S, UNU, "\"dev\"" },
	CLOUDWATCH,
	STORAGE("storage", 0, "\"notification\""),
	STORAGE("aggregator_storage", UNU, "\"aggregator\""),
	{ "kafka_broker.enabled", B, 0, "true" },
	{ "kafka_broker.addresses", S, 0, "\"kafka:29092\"" },
	{ "kafka_broker.security_protocol", S, 0, "\"PLAINTEXT\"" },
	{ "kafka_broker.cert_path", S, 0, "\"not-set\"" },
	{ "kafka_broker.sasl_mechanism", S, 0, "\"PLAIN\"" },
	{ "kafka_broker.sasl_username", S, 0, "\"not-used\"" },
	{ "kafka_broker.sasl_password", S, SEC, "\"not-used\"" },
	{ "kafka_broker.topic", S, 0, "\"platform.notifications.ingress\"" },
	{ "kafka_broker.timeout", D, 0, "\"60s\"" },
	TARGET("kafka_broker", "2"),
	{ "kafka_broker.tag_filter_enabled", B, 0, "false" },
	{ "kafka_broker.tags", L, 0, "[]" },
	{ "kafka_broker.cooldown", V, 0, "\"1 week\"" },
	{ "service_log.enabled", B, 0, "false" },
	{ "service_log.client_id", S, 0, "\"a-service-id\"" },
	{ "service_log.client_secret", S, SEC, "\"a-secret\"" },
	{ "service_log.created_by", S, 0,
	    "\"service-account-ccx-notification-service\"" },
	{ "service_log.username", S, 0, "\"insights-advisor\"" },
	{ "service_log.token_url", S, 0, "\"\"" },
	{ "service_log.url", S, 0,
	    "\"https://api.openshift.com/api/service_logs/v1/cluster_logs/\"" },
	{ "service_log.timeout", D, 0, "\"15s\"" },
	TARGET("service_log", "0"),
	{ "service_log.rule_details_uri", S, 0, "\"https://console.redhat.com"
	    "/openshift/insights/advisor/recommendations/{module}|{error_key}\"" },
	{ "service_log.tag_filter_enabled", B, 0, "true" },
	{ "service_log.tags", L, 0, "[\"osd_customer\"]" },
	{ "service_log.cooldown", V, 0, "\"1 week\"" },
	{ "dependencies.content_server", S, 0, "\"localhost:8082\"" },
	{ "dependencies.content_endpoint", S, 0, "\"/api/v1/content\"" },
	{ "dependencies.template_renderer_server", S, 0, "\"localhost:8083\"" },
	{ "dependencies.template_renderer_endpoint", S, 0,
	    "\"/v1/rendered_reports\"" },
	{ "notifications.insights_advisor_url", S, UNU, "\"https://console."
	    "redhat.com/openshift/insights/advisor/clusters/{cluster_id}\"" },
	{ "notifications.cluster_details_uri", S, 0, "\"https://console."
	    "redhat.com/openshift/details/{cluster_id}#insights\"" },
	{ "notifications.rule_details_uri", S, 0, "\"https://console.redhat."
	    "com/openshift/details/{cluster_id}/insights/{module}/{error_key}\"" },
	{ "metrics.job_name", S, 0, "\"ccx_notification_service\"" },
	{ "metrics.namespace", S, 0, "\"ccx_notification_service\"" },
	{ "metrics.subsystem", S, 0, "\"to_notification_backend\"" },
	{ "metrics.gateway_url", S, 0, "\"localhost:9091\"" },
	{ "metrics.gateway_auth_token", S, SEC, "\"\"" },
	{ "metrics.retries", I, 0, "3" },
	{ "metrics.retry_after", D, 0, "\"60s\"" },
	{ "metrics.gateway_time_between_push", D, 0, "\"30s\"" },
	{ "cleaner.max_age", V, 0, "\"90 days\"" },
	{ "processing.filter_allowed_clusters", B, 0, "false" },
	{ "processing.allowed_clusters", L, 0, "[]" },
	{ "processing.filter_blocked_clusters", B, 0, "false" },
	{ "processing.blocked_clusters", L, 0, "[]" },
};

#undef S
#undef B
#undef I
#undef D
#undef V
#undef L
#undef SEC
#undef UNU

/* -show-configuration: the records, their fields and where each is from. */
enum { SF_STR, SF_INT, SF_BOOL, SF_DUR, SF_LIST };

struct show_field {
	const char	*label;
	const char	*key;
	int		 kind;
};

struct show_record {
	const char		*message;
	const struct show_field	*fields;
	size_t			 n;
};

#define FIELDS(a)	(a), sizeof(a) / sizeof((a)[0])

static const struct show_field w_broker[] = {
	{ "Broker addresses", "broker.addresses", SF_STR },
	{ "Security protocol", "broker.security_protocol", SF_STR },
	{ "Cert path", "broker.cert_path", SF_STR },
	{ "Sasl mechanism", "broker.sasl_mechanism", SF_STR },
	{ "Sasl username", "broker.sasl_username", SF_STR },
	{ "Topic", "broker.topic", SF_STR },
	{ "Group", "broker.group", SF_STR },
	{ "Enabled", "broker.enabled", SF_BOOL },
};
/* The fields of a storage record; the service's add the parameters. */
#define SHOW_STORAGE(sec)						\
	{ "Driver", sec ".db_driver", SF_STR },				\
	{ "DB Name", sec ".pg_db_name", SF_STR },			\
	{ "Username", sec ".pg_username", SF_STR },			\
	{ "Host", sec ".pg_host", SF_STR },				\
	{ "Port", sec ".pg_port", SF_INT },				\
	{ "LogSQLQueries", sec ".log_sql_queries", SF_BOOL }
static const struct show_field w_storage[] = { SHOW_STORAGE("storage") };
static const struct show_field logging_fields[] = {
	{ "Level", "logging.log_level", SF_STR },
	{ "Pretty colored debug logging", "logging.debug", SF_BOOL },
};
static const struct show_field w_metrics[] = {
	{ "Namespace", "metrics.namespace", SF_STR },
	{ "Address", "metrics.address", SF_STR },
};
static const struct show_record writer_show[] = {
	{ "Broker configuration", FIELDS(w_broker) },
	{ "Storage configuration", FIELDS(w_storage) },
	{ "Logging configuration", FIELDS(logging_fields) },
	{ "Metrics configuration", FIELDS(w_metrics) },
};

/*
 * The decision fields of a target: the first three thresholds always
 * kafka_broker's (in ServiceLog configuration too: upstream's slip,
 * kept), the rest the section's; the service log adds its URL before the
 * tags.
 */
#define SHOW_THRESHOLDS(sec)						\
	{ "Likelihood threshold", "kafka_broker.likelihood_threshold",	\
	    SF_INT },							\
	{ "Impact threshold", "kafka_broker.impact_threshold", SF_INT },\
	{ "Severity threshold", "kafka_broker.severity_threshold",	\
	    SF_INT },							\
	{ "Total risk threshold", sec ".total_risk_threshold", SF_INT },\
	{ "CoolDown", sec ".cooldown", SF_STR },			\
	{ "Event filter", sec ".event_filter", SF_STR }
#define SHOW_TAGS(sec)							\
	{ "Filter by tags", sec ".tag_filter_enabled", SF_BOOL },	\
	{ "List of tags", sec ".tags", SF_LIST }
static const struct show_field s_broker[] = {
	{ "Enabled", "kafka_broker.enabled", SF_BOOL },
	{ "Address", "kafka_broker.addresses", SF_STR },
	{ "SecurityProtocol", "kafka_broker.security_protocol", SF_STR },
	{ "SaslMechanism", "kafka_broker.sasl_mechanism", SF_STR },
	{ "Topic", "kafka_broker.topic", SF_STR },
	{ "Timeout", "kafka_broker.timeout", SF_DUR },
	SHOW_THRESHOLDS("kafka_broker"),
	SHOW_TAGS("kafka_broker"),
};
static const struct show_field s_servicelog[] = {
	{ "Enabled", "service_log.enabled", SF_BOOL },
	{ "ClientID", "service_log.client_id", SF_STR },
	{ "Created by", "service_log.created_by", SF_STR },
	{ "Username", "service_log.username", SF_STR },
	SHOW_THRESHOLDS("service_log"),
	{ "OCM URL", "service_log.url", SF_STR },
	SHOW_TAGS("service_log"),
};
static const struct show_field s_storage[] = {
	SHOW_STORAGE("storage"),
	{ "Parameters", "storage.pg_params", SF_STR },
};
static const struct show_field s_aggregator[] = {
	SHOW_STORAGE("aggregator_storage"),
	{ "Parameters", "aggregator_storage.pg_params", SF_STR },
};
static const struct show_field s_dependencies[] = {
	{ "Content server", "dependencies.content_server", SF_STR },
	{ "Content endpoint", "dependencies.content_endpoint", SF_STR },
	{ "Template renderer server", "dependencies.template_renderer_server",
	    SF_STR },
	{ "Template renderer endpoint",
	    "dependencies.template_renderer_endpoint", SF_STR },
};
static const struct show_field s_notifications[] = {
	{ "Insights Advisor URL", "notifications.insights_advisor_url",
	    SF_STR },
	{ "Cluster details URI", "notifications.cluster_details_uri", SF_STR },
	{ "Rule details URI", "notifications.rule_details_uri", SF_STR },
};
static const struct show_field s_metrics[] = {
	{ "Namespace", "metrics.namespace", SF_STR },
	{ "Subsystem", "metrics.subsystem", SF_STR },
	{ "Push Gateway", "metrics.gateway_url", SF_STR },
	{ "Retries", "metrics.retries", SF_INT },
	{ "Retry after", "metrics.retry_after", SF_DUR },
};
static const struct show_field s_processing[] = {
	{ "Filter allowed clusters", "processing.filter_allowed_clusters",
	    SF_BOOL },
	{ "List of allowed clusters", "processing.allowed_clusters", SF_LIST },
	{ "Filter blocked clusters", "processing.filter_blocked_clusters",
	    SF_BOOL },
	{ "List of blocked clusters", "processing.blocked_clusters", SF_LIST },
};
static const struct show_record service_show[] = {
	{ "Broker configuration", FIELDS(s_broker) },
	{ "ServiceLog configuration", FIELDS(s_servicelog) },
	{ "Storage configuration", FIELDS(s_storage) },
	{ "Aggregator storage configuration", FIELDS(s_aggregator) },
	{ "Dependencies configuration", FIELDS(s_dependencies) },
	{ "Logging configuration", FIELDS(logging_fields) },
	{ "Notifications configuration", FIELDS(s_notifications) },
	{ "Metrics configuration", FIELDS(s_metrics) },
	{ "Processing configuration", FIELDS(s_processing) },
};

/* The extensions viper tries, in its order. */
static const char *const exts[] = { "json", "toml", "yaml", "yml",
	"properties", "props", "prop", "hcl", "tfvars", "dotenv", "env",
	"ini" };

static const char *env_get(char *const *, const char *);
static int	key_index(int, const char *);
static struct config_value *value_of(const struct config *, const char *,
		    int);
static void	*xcalloc(size_t, size_t);
static char	*xstrndup(const char *, size_t);
static void	clear_value(struct config_value *);
static void	set_str(struct config_value *, const char *, size_t);
static void	list_add(struct config_value *, const char *, size_t);
static void	set_text(struct config_value *, const char *, size_t);
static void	lower(struct buf *, const char *);
static int	is_section(const struct config *, const char *);
static uint64_t	dur_frac(char *, size_t *, uint64_t, int);
static void	dur_int(char *, size_t *, uint64_t);
static void	go_float(double, struct buf *);
static void	path_clean(const char *, struct buf *);
static void	path_join(const char *, const char *, struct buf *);
static void	go_errno(char *, size_t, const char *, const char *, int);
static int	read_file(const char *, struct buf *, char *, size_t);
static int	find_file(struct config *, char *const *, struct buf *,
		    char *, size_t);
static struct json_object *json_whole(const char *, size_t, char *, size_t);
static struct json_object *parse_file(const char *, int *, char *, size_t);
static int	collect(struct config *, struct json_object *,
		    struct json_object **, char *, char *, size_t);
static const char *type_name(int);
static void	quote_value(struct buf *, const struct config_value *,
		    const char *, size_t);
static int	conv_text(struct config_value *, const char *, size_t,
		    const char *, char *, size_t);
static int	list_scalar(struct config_value *, struct json_object *, int,
		    const char *, char *, size_t);
static int	conv_json(struct config_value *, struct json_object *, int,
		    const char *, char *, size_t);
static void	env_name(const struct config *, const char *, struct buf *);
static int	member(struct json_object *, const char *, enum json_type,
		    int, const char *, struct json_object **, char *, size_t);
static int	clowder_check(struct json_object *, char *, size_t);
static struct json_object *clowder_elem(struct json_object *, size_t,
		    const char *, const char *, const char *, char *, size_t);
static struct json_object *clowder_init(struct config *, char *const *);
static void	cset(struct config *, const char *, const char *,
		    const char *, size_t);
static void	cset_member(struct config *, const char *, const char *,
		    struct json_object *, const char *);
static struct json_object *get(struct json_object *, const char *);
static int	write_ca(struct config *, const char *, size_t,
		    char *const *);
static void	clowder_apply(struct config *, struct json_object *,
		    char *const *);
static void	esc_text(struct buf *, const char *);
static int	query_unescape(const char *, size_t, struct buf *);
static void	conn_quote(struct buf *, const char *);
static void	conn_kv(struct buf *, const char *, const char *);
static int	prop(struct buf *, const char *, const char *, const char *,
		    const char *, char *, size_t);

const struct config_key *
config_keys(int prog, size_t *n)
{
	if (prog == CONFIG_WRITER) {
		*n = sizeof(writer_keys) / sizeof(writer_keys[0]);
		return writer_keys;
	}
	*n = sizeof(service_keys) / sizeof(service_keys[0]);
	return service_keys;
}

/* Position of name in prog's table, or -1. */
static int
key_index(int prog, const char *name)
{
	const struct config_key *k;
	size_t n, j;

	k = config_keys(prog, &n);
	for (j = 0; j < n; j++)
		if (strcmp(k[j].name, name) == 0)
			return (int)j;
	return -1;
}

/* The value of a key the program must know, of the given type (-1: any). */
static struct config_value *
value_of(const struct config *c, const char *name, int type)
{
	int j;

	if ((j = key_index(c->prog, name)) == -1)
		log_fatal(EX_SOFTWARE, "config: no key %s", name);
	if (type != -1 && c->v[j].key->type != type &&
	    !(type == CONFIG_STRING && c->v[j].key->type == CONFIG_INTERVAL) &&
	    !(type == CONFIG_INT && c->v[j].key->type == CONFIG_DURATION))
		log_fatal(EX_SOFTWARE, "config: %s has another type", name);
	return &c->v[j];
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate the configuration");
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a configuration value");
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Back to the zero value; a secret's text is wiped first. */
static void
clear_value(struct config_value *v)
{
	size_t j;

	if (v->s != NULL) {
		if (v->key->flags & CONFIG_SECRET)
			explicit_bzero(v->s, strlen(v->s));
		free(v->s);
		v->s = NULL;
	}
	for (j = 0; j < v->nlist; j++)
		free(v->list[j]);
	free(v->list);
	v->list = NULL;
	v->nlist = 0;
	v->i = 0;
}

static void
set_str(struct config_value *v, const char *s, size_t n)
{
	clear_value(v);
	v->s = xstrndup(s, n);
}

static void
list_add(struct config_value *v, const char *s, size_t n)
{
	char **l;

	if ((l = reallocarray(v->list, v->nlist + 1, sizeof(*l))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a list");
	v->list = l;
	v->list[v->nlist++] = xstrndup(s, n);
}

/* A value given as text: the string, or a list of one, by v's type. */
static void
set_text(struct config_value *v, const char *s, size_t n)
{
	if (v->key->type == CONFIG_LIST)
		list_add(v, s, n);
	else
		set_str(v, s, n);
}

/* An environ-style lookup: the first NAME=... entry. */
static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Appends s in lower case (ASCII: viper's keys are). */
static void
lower(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_putc(b, *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
}

struct config *
config_new(int prog)
{
	const struct config_key *k;
	struct config *c;
	size_t n, j;

	c = xcalloc(1, sizeof(*c));
	c->prog = prog == CONFIG_SERVICE ? CONFIG_SERVICE : CONFIG_WRITER;
	k = config_keys(c->prog, &n);
	c->v = xcalloc(n, sizeof(*c->v));
	c->nv = n;
	for (j = 0; j < n; j++)
		c->v[j].key = &k[j];
	buf_init(&c->out);
	return c;
}

void
config_free(struct config *c)
{
	size_t j;

	if (c == NULL)
		return;
	for (j = 0; j < c->nv; j++)
		clear_value(&c->v[j]);
	free(c->v);
	if (c->ca_file != NULL && c->ca_pid == getpid())
		(void)unlink(c->ca_file);
	free(c->ca_file);
	free(c->file_arg);
	free(c->file);
	buf_free(&c->out);
	free(c);
}

const struct config_value *
config_get(const struct config *c, const char *name)
{
	return value_of(c, name, -1);
}

const char *
config_str(const struct config *c, const char *name)
{
	const struct config_value *v = value_of(c, name, CONFIG_STRING);

	return v->s != NULL ? v->s : "";
}

int
config_bool(const struct config *c, const char *name)
{
	return value_of(c, name, CONFIG_BOOL)->i != 0;
}

int64_t
config_int(const struct config *c, const char *name)
{
	return value_of(c, name, CONFIG_INT)->i;
}

int64_t
config_duration(const struct config *c, const char *name)
{
	return value_of(c, name, CONFIG_DURATION)->i;
}

char *const *
config_list(const struct config *c, const char *name, size_t *n)
{
	const struct config_value *v = value_of(c, name, CONFIG_LIST);
	static char *const empty[1];

	*n = v->nlist;
	return v->nlist > 0 ? v->list : empty;
}

/* ---- Go's conversions ------------------------------------------------ */

/* strconv.ParseBool, which Go's flag package also uses (goflag). */
int
config_parse_bool(const char *s, int *b)
{
	int v;

	if ((v = goflag_parse_bool(s)) == -1)
		return -1;
	*b = v;
	return 0;
}

int
config_parse_int(const char *s, int64_t *out, char *err, size_t errsize)
{
	switch (goflag_parse_int(s, out)) {
	case 0:
		return 0;
	case GOFLAG_ERANGE:
		snprintf(err, errsize, "value out of range");
		return -1;
	default:
		snprintf(err, errsize, "invalid syntax");
		return -1;
	}
}

int
config_parse_duration(const char *s0, int64_t *ns, char *err,
    size_t errsize)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 }, { "m", 60 * (uint64_t)1000000000 },
		{ "h", 3600 * (uint64_t)1000000000 },
	};
	const uint64_t top = (uint64_t)1 << 63;
	const char *s = s0;
	uint64_t d = 0, v, f, unit;
	double scale;
	size_t n, j;
	int neg = 0, pre, post, ovf;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		goto invalid;
	while (*s != '\0') {
		if (*s != '.' && !(*s >= '0' && *s <= '9'))
			goto invalid;
		for (v = 0, pre = 0; *s >= '0' && *s <= '9'; s++, pre = 1) {
			if (v > top / 10)
				goto invalid;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > top)
				goto invalid;
		}
		f = 0;
		scale = 1;
		post = 0;
		if (*s == '.') {
			for (s++, ovf = 0; *s >= '0' && *s <= '9'; s++) {
				post = 1;
				if (ovf)
					continue;
				if (f > (top - 1) / 10) {
					ovf = 1;
					continue;
				}
				if (f * 10 + (uint64_t)(*s - '0') > top) {
					ovf = 1;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			goto invalid;
		for (n = 0; s[n] != '\0' && s[n] != '.' &&
		    !(s[n] >= '0' && s[n] <= '9'); n++)
			;
		if (n == 0) {
			snprintf(err, errsize, "missing unit in duration "
			    "\"%s\"", s0);
			return -1;
		}
		for (j = 0; j < sizeof(units) / sizeof(units[0]); j++)
			if (strlen(units[j].u) == n &&
			    memcmp(units[j].u, s, n) == 0)
				break;
		if (j == sizeof(units) / sizeof(units[0])) {
			snprintf(err, errsize, "unknown unit \"%.*s\" in "
			    "duration \"%s\"", (int)n, s, s0);
			return -1;
		}
		s += n;
		unit = units[j].ns;
		if (v > top / unit)
			goto invalid;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > top)
				goto invalid;
		}
		d += v;
		if (d > top)
			goto invalid;
	}
	if (neg) {
		*ns = (int64_t)(0 - d);
		return 0;
	}
	if (d > top - 1)
		goto invalid;
	*ns = (int64_t)d;
	return 0;
invalid:
	snprintf(err, errsize, "invalid duration \"%s\"", s0);
	return -1;
}

/* Appends the digits of v, then the fraction of prec digits Go shows. */
static uint64_t
dur_frac(char *buf, size_t *w, uint64_t v, int prec)
{
	int print = 0, i;
	uint64_t digit;

	for (i = 0; i < prec; i++) {
		digit = v % 10;
		print = print || digit != 0;
		if (print)
			buf[--*w] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--*w] = '.';
	return v;
}

static void
dur_int(char *buf, size_t *w, uint64_t v)
{
	if (v == 0) {
		buf[--*w] = '0';
		return;
	}
	for (; v > 0; v /= 10)
		buf[--*w] = (char)('0' + v % 10);
}

void
config_duration_text(int64_t d, struct buf *out)
{
	char buf[40];
	size_t w = sizeof(buf);
	uint64_t u = (uint64_t)d;
	int neg = d < 0;

	if (neg)
		u = 0 - u;
	if (u < 1000000000) {
		int prec = 0;

		buf[--w] = 's';
		if (u == 0) {
			buf_puts(out, "0s");
			return;
		}
		if (u < 1000) {
			buf[--w] = 'n';
		} else if (u < 1000000) {
			prec = 3;
			w -= 2;
			memcpy(buf + w, "\xc2\xb5", 2);
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
		u = dur_frac(buf, &w, u, prec);
		dur_int(buf, &w, u);
	} else {
		buf[--w] = 's';
		u = dur_frac(buf, &w, u, 9);
		dur_int(buf, &w, u % 60);
		u /= 60;
		if (u > 0) {
			buf[--w] = 'm';
			dur_int(buf, &w, u % 60);
			u /= 60;
			if (u > 0) {
				buf[--w] = 'h';
				dur_int(buf, &w, u);
			}
		}
	}
	if (neg)
		buf[--w] = '-';
	buf_add(out, buf + w, sizeof(buf) - w);
}

/* strconv.FormatFloat(f, 'f', -1, 64): the shortest exact decimal. */
static void
go_float(double f, struct buf *out)
{
	char tmp[64], digs[32];
	const char *e;
	size_t nd = 0, j;
	int prec, exp;

	if (isnan(f)) {
		buf_puts(out, "NaN");
		return;
	}
	if (isinf(f)) {
		buf_puts(out, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(f)) {
		buf_putc(out, '-');
		f = -f;
	}
	if (f == 0) {
		buf_putc(out, '0');
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	for (e = tmp; *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			digs[nd++] = *e;
	exp = atoi(e + 1);
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	if (exp >= 0) {
		for (j = 0; j < (size_t)exp + 1 || j < nd; j++) {
			if (j == (size_t)exp + 1)
				buf_putc(out, '.');
			buf_putc(out, j < nd ? digs[j] : '0');
		}
	} else {
		buf_puts(out, "0.");
		for (j = 1; j < (size_t)-exp; j++)
			buf_putc(out, '0');
		buf_add(out, digs, nd);
	}
}

/* Go's path.Clean. */
static void
path_clean(const char *p, struct buf *out)
{
	size_t n = strlen(p), r = 0, dotdot = 0;
	int rooted;

	buf_reset(out);
	if (n == 0) {
		buf_putc(out, '.');
		return;
	}
	rooted = p[0] == '/';
	if (rooted) {
		buf_putc(out, '/');
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/')
			r++;
		else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
			r++;
		else if (p[r] == '.' && p[r + 1] == '.' &&
		    (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (out->len > dotdot) {
				out->len--;
				while (out->len > dotdot &&
				    out->data[out->len] != '/')
					out->len--;
				out->data[out->len] = '\0';
			} else if (!rooted) {
				if (out->len > 0)
					buf_putc(out, '/');
				buf_puts(out, "..");
				dotdot = out->len;
			}
		} else {
			if ((rooted && out->len != 1) ||
			    (!rooted && out->len != 0))
				buf_putc(out, '/');
			for (; r < n && p[r] != '/'; r++)
				buf_putc(out, p[r]);
		}
	}
	if (out->len == 0)
		buf_putc(out, '.');
}

/* Go's path.Join of two elements. */
static void
path_join(const char *a, const char *b, struct buf *out)
{
	struct buf t;

	buf_reset(out);
	if (*a == '\0' && *b == '\0')
		return;
	buf_init(&t);
	buf_puts(&t, a);
	if (*a != '\0' && *b != '\0')
		buf_putc(&t, '/');
	buf_puts(&t, b);
	path_clean(t.data, out);
	buf_free(&t);
}

/* ---- The file ------------------------------------------------------- */

/* "op path: text" with the errno text in lower case, as Go prints it. */
static void
go_errno(char *err, size_t errsize, const char *op, const char *path, int e)
{
	int n;

	n = snprintf(err, errsize, "%s %s: ", op, path);
	snprintf(err + (n > 0 && (size_t)n < errsize ? n : 0),
	    n > 0 && (size_t)n < errsize ? errsize - (size_t)n : errsize, "%s",
	    strerror(e));
	if (n > 0 && (size_t)n < errsize && err[n] >= 'A' && err[n] <= 'Z' &&
	    err[n + 1] >= 'a' && err[n + 1] <= 'z')
		err[n] = (char)(err[n] - 'A' + 'a');
}

static int
read_file(const char *path, struct buf *b, char *err, size_t errsize)
{
	struct stat st;
	char chunk[8192];
	ssize_t r;
	int fd, e;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		go_errno(err, errsize, "open", path, errno);
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		go_errno(err, errsize, "read", path, EISDIR);
		return -1;
	}
	for (;;) {
		if ((r = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			go_errno(err, errsize, "read", path, e);
			return -1;
		}
		if (r == 0)
			break;
		if (b->len + (size_t)r > FILE_MAX) {
			close(fd);
			snprintf(err, errsize, "%s: larger than %u bytes", path,
			    FILE_MAX);
			return -1;
		}
		buf_add(b, chunk, (size_t)r);
	}
	close(fd);
	return 0;
}

/*
 * Finds the file as viper does: the directory of the variable's value (or
 * the working directory), the base name without its extension, the first
 * extension of exts that names a file.  Returns 0 (c->file NULL when
 * there is none and none was asked for) or -1.
 */
static int
find_file(struct config *c, char *const *envp, struct buf *tmp, char *err,
    size_t errsize)
{
	const char *var, *v, *base, *dot;
	struct buf dir, name, abs;
	struct stat st;
	char cwd[PATH_MAX];
	size_t j;
	int rc = 0;

	var = c->prog == CONFIG_WRITER ? "CCX_NOTIFICATION_WRITER_CONFIG_FILE" :
	    "CCX_NOTIFICATION_SERVICE_CONFIG_FILE";
	v = env_get(envp, var);
	c->file_arg = xstrndup(v != NULL ? v : "config",
	    strlen(v != NULL ? v : "config"));
	buf_init(&dir);
	buf_init(&name);
	if (v == NULL) {
		buf_puts(&dir, ".");
		buf_puts(&name, "config");
	} else {
		base = strrchr(v, '/');
		base = base != NULL ? base + 1 : v;
		/* Upstream finds nothing without a directory; we look in
		 * the working directory (COMPAT 3.1 allows it). */
		if (base == v)
			buf_puts(&dir, ".");
		else
			buf_add(&dir, v, (size_t)(base - v));
		dot = strrchr(base, '.');
		buf_add(&name, base, dot != NULL ? (size_t)(dot - base) :
		    strlen(base));
	}
	for (j = 0; j < sizeof(exts) / sizeof(exts[0]); j++) {
		buf_reset(tmp);
		buf_puts(tmp, dir.data);
		if (tmp->data[tmp->len - 1] != '/')
			buf_putc(tmp, '/');
		buf_printf(tmp, "%s.%s", name.data, exts[j]);
		if (stat(tmp->data, &st) == 0 && !S_ISDIR(st.st_mode)) {
			c->file = xstrndup(tmp->data, tmp->len);
			goto out;
		}
	}
	if (v != NULL) {
		/* viper's message names the directory made absolute. */
		buf_init(&abs);
		if (dir.data[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
			path_join(cwd, dir.data, &abs);
		else
			path_clean(dir.data, &abs);
		snprintf(err, errsize, "Config File \"%s\" Not Found in "
		    "\"[%s]\"", name.data, abs.data);
		buf_free(&abs);
		rc = -1;
	}
out:
	buf_free(&dir);
	buf_free(&name);
	return rc;
}

/*
 * The whole text as one JSON value; NULL with why and where ("... at
 * offset N") in err.
 */
static struct json_object *
json_whole(const char *text, size_t len, char *err, size_t errsize)
{
	struct json_tokener *tok;
	struct json_object *root;
	const char *why;

	if ((tok = json_tokener_new()) == NULL)
		log_fatal(EX_OSERR, "unable to allocate a JSON parser");
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) != len) {
		if (root != NULL)
			why = "invalid character after top-level value";
		else if (json_tokener_get_error(tok) == json_tokener_continue)
			why = "unexpected end of JSON input";
		else
			why = json_tokener_error_desc(
			    json_tokener_get_error(tok));
		snprintf(err, errsize, "%s at offset %zu", why,
		    json_tokener_get_parse_end(tok));
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/*
 * Parses the file by its extension: TOML, JSON or YAML; *is_json says
 * whether it was JSON (whose numbers are all floats to the conversion).
 */
static struct json_object *
parse_file(const char *path, int *is_json, char *err, size_t errsize)
{
	struct json_object *root;
	struct buf text;
	const char *ext, *data;
	char msg[256];
	int yaml;

	ext = strrchr(path, '.') + 1;
	*is_json = strcmp(ext, "json") == 0;
	yaml = strcmp(ext, "yaml") == 0 || strcmp(ext, "yml") == 0;
	if (!*is_json && !yaml && strcmp(ext, "toml") != 0) {
		snprintf(err, errsize, "%s: the %s format is not supported, "
		    "only toml, json and yaml", path, ext);
		return NULL;
	}
	buf_init(&text);
	if (read_file(path, &text, err, errsize) == -1) {
		buf_free(&text);
		return NULL;
	}
	data = text.data != NULL ? text.data : "";
	if (!*is_json) {
		root = yaml ? yml_parse(data, text.len, msg, sizeof(msg)) :
		    toml_parse(data, text.len, msg, sizeof(msg));
		if (root == NULL)
			snprintf(err, errsize, "%s: %s", path, msg);
		buf_free(&text);
		return root;
	}
	if ((root = json_whole(data, text.len, msg, sizeof(msg))) == NULL)
		snprintf(err, errsize, "%s: %s", path, msg);
	else if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errsize, "%s: not a JSON object", path);
		json_object_put(root);
		root = NULL;
	}
	buf_free(&text);
	return root;
}

/* 1 when some key of the program is in section sec. */
static int
is_section(const struct config *c, const char *sec)
{
	size_t j, n = strlen(sec);

	for (j = 0; j < c->nv; j++)
		if (strncmp(c->v[j].key->name, sec, n) == 0 &&
		    c->v[j].key->name[n] == '.')
			return 1;
	return 0;
}

/*
 * Takes the file's value of each known key into raw[] (present[] set,
 * even for a JSON null).  Names are compared in lower case, as viper
 * does; two spellings of one name are an error here (viper would keep
 * either, at random).
 */
static int
collect(struct config *c, struct json_object *root, struct json_object **raw,
    char *present, char *err, size_t errsize)
{
	struct json_object_iterator it, end, kit, kend;
	struct buf sec, name, seen;
	int j, rc = -1;

	buf_init(&sec);
	buf_init(&name);
	buf_init(&seen);
	buf_putc(&seen, '\n');
	it = json_object_iter_begin(root);
	end = json_object_iter_end(root);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		struct json_object *sv = json_object_iter_peek_value(&it);

		buf_reset(&sec);
		lower(&sec, json_object_iter_peek_name(&it));
		if (!is_section(c, sec.data))
			continue;
		buf_reset(&name);
		buf_printf(&name, "\n%s\n", sec.data);
		if (strstr(seen.data, name.data) != NULL) {
			snprintf(err, errsize, "section %s given twice (names "
			    "are case-insensitive)", sec.data);
			goto out;
		}
		buf_puts(&seen, name.data + 1);
		if (sv == NULL)
			continue;
		if (!json_object_is_type(sv, json_type_object)) {
			snprintf(err, errsize, "%s: expected a table, not a "
			    "value", sec.data);
			goto out;
		}
		kit = json_object_iter_begin(sv);
		kend = json_object_iter_end(sv);
		for (; !json_object_iter_equal(&kit, &kend);
		    json_object_iter_next(&kit)) {
			struct json_object *kv =
			    json_object_iter_peek_value(&kit);

			buf_reset(&name);
			buf_printf(&name, "%s.", sec.data);
			lower(&name, json_object_iter_peek_name(&kit));
			if ((j = key_index(c->prog, name.data)) == -1)
				continue;
			if (present[j]) {
				snprintf(err, errsize, "%s given twice (names "
				    "are case-insensitive)", name.data);
				goto out;
			}
			if (json_object_is_type(kv, json_type_object) &&
			    !(c->v[j].key->type == CONFIG_LIST &&
			    json_object_object_length(kv) == 0)) {
				snprintf(err, errsize, "%s: expected a value, "
				    "not a table", name.data);
				goto out;
			}
			present[j] = 1;
			raw[j] = kv;
		}
	}
	rc = 0;
out:
	buf_free(&sec);
	buf_free(&name);
	buf_free(&seen);
	return rc;
}

/* ---- Conversion (COMPAT 3.2) ------------------------------------------ */

static const char *
type_name(int type)
{
	static const char *const names[] = { "string", "boolean", "integer",
		"duration", "interval", "list" };

	return names[type];
}

/* A value for a message: JSON-quoted, or nothing of a secret. */
static void
quote_value(struct buf *b, const struct config_value *v, const char *s,
    size_t n)
{
	if (v->key->flags & CONFIG_SECRET)
		buf_puts(b, "the value");
	else
		buf_json_str(b, s, n);
}

/*
 * Converts the text s[0..n) (s[n] is NUL), a variable or a file's
 * string, to v's type; what names the source in messages.
 */
static int
conv_text(struct config_value *v, const char *s, size_t n, const char *what,
    char *err, size_t errsize)
{
	struct buf q;
	const char *p, *comma, *e = s + n;
	char msg[256];
	int64_t i = 0;
	int b = 0, rc = -1;

	buf_init(&q);
	if (memchr(s, '\0', n) != NULL) {
		snprintf(err, errsize, "%s: a %s cannot contain NUL", what,
		    type_name(v->key->type));
		goto out;
	}
	switch (v->key->type) {
	case CONFIG_STRING:
	case CONFIG_INTERVAL:
		set_str(v, s, n);
		break;
	case CONFIG_LIST:
		/* strings.Split(s, ","); nothing for "". */
		clear_value(v);
		for (p = s; n > 0; p = comma + 1) {
			if ((comma = memchr(p, ',', (size_t)(e - p))) == NULL) {
				list_add(v, p, (size_t)(e - p));
				break;
			}
			list_add(v, p, (size_t)(comma - p));
		}
		break;
	case CONFIG_BOOL:
		if (n > 0 && config_parse_bool(s, &b) == -1) {
			quote_value(&q, v, s, n);
			snprintf(err, errsize, "%s: %s is not a boolean", what,
			    q.data);
			goto out;
		}
		clear_value(v);
		v->i = b;
		break;
	case CONFIG_INT:
		if (n > 0 && config_parse_int(s, &i, msg, sizeof(msg)) == -1) {
			quote_value(&q, v, s, n);
			snprintf(err, errsize, "%s: %s is not an integer: %s",
			    what, q.data, msg);
			goto out;
		}
		clear_value(v);
		v->i = i;
		break;
	case CONFIG_DURATION:
		if (config_parse_duration(s, &i, msg, sizeof(msg)) == -1) {
			snprintf(err, errsize, "%s: %s", what, msg);
			goto out;
		}
		clear_value(v);
		v->i = i;
		break;
	}
	rc = 0;
out:
	buf_free(&q);
	return rc;
}

/* One scalar of a list, as mapstructure makes a string of it. */
static int
list_scalar(struct config_value *v, struct json_object *e, int is_json,
    const char *what, char *err, size_t errsize)
{
	struct buf t;

	buf_init(&t);
	switch (e == NULL ? json_type_null : json_object_get_type(e)) {
	case json_type_null:
		break;
	case json_type_string:
		if (memchr(json_object_get_string(e), '\0',
		    (size_t)json_object_get_string_len(e)) != NULL) {
			snprintf(err, errsize, "%s: a list element cannot "
			    "contain NUL", what);
			buf_free(&t);
			return -1;
		}
		buf_add(&t, json_object_get_string(e),
		    (size_t)json_object_get_string_len(e));
		break;
	case json_type_boolean:
		buf_puts(&t, json_object_get_boolean(e) ? "1" : "0");
		break;
	case json_type_int:
		if (!is_json) {
			buf_printf(&t, "%" PRId64, json_object_get_int64(e));
			break;
		}
		go_float((double)json_object_get_int64(e), &t);
		break;
	case json_type_double:
		go_float(json_object_get_double(e), &t);
		break;
	default:
		snprintf(err, errsize, "%s: a list holds values, not arrays "
		    "or tables", what);
		buf_free(&t);
		return -1;
	}
	list_add(v, t.data != NULL ? t.data : "", t.len);
	buf_free(&t);
	return 0;
}

/*
 * Converts a file's value (TOML, or JSON whose numbers are all floats, as
 * encoding/json makes them) to v's type, weakly typed as viper decodes.
 */
static int
conv_json(struct config_value *v, struct json_object *jo, int is_json,
    const char *what, char *err, size_t errsize)
{
	struct buf t;
	size_t j, n;
	double d = 0;
	int64_t iv;
	int type = v->key->type, rc = 0;

	buf_init(&t);
	switch (jo == NULL ? json_type_null : json_object_get_type(jo)) {
	case json_type_null:
		clear_value(v);
		break;
	case json_type_string:
		rc = conv_text(v, json_object_get_string(jo),
		    (size_t)json_object_get_string_len(jo), what, err, errsize);
		break;
	case json_type_boolean:
		iv = json_object_get_boolean(jo);
		clear_value(v);
		if (type == CONFIG_BOOL || type == CONFIG_INT ||
		    type == CONFIG_DURATION)
			v->i = iv;
		else
			set_text(v, iv ? "1" : "0", 1);
		break;
	case json_type_int:
		iv = json_object_get_int64(jo);
		if (is_json) {
			d = (double)iv;
			goto real;
		}
		clear_value(v);
		if (type == CONFIG_BOOL)
			v->i = iv != 0;
		else if (type == CONFIG_INT || type == CONFIG_DURATION)
			v->i = iv;
		else {
			buf_printf(&t, "%" PRId64, iv);
			set_text(v, t.data, t.len);
		}
		break;
	case json_type_double:
		d = json_object_get_double(jo);
real:
		clear_value(v);
		if (type == CONFIG_BOOL)
			v->i = d != 0;
		else if (type == CONFIG_INT || type == CONFIG_DURATION) {
			if (isnan(d) || d >= 9223372036854775808.0 ||
			    d < -9223372036854775808.0) {
				snprintf(err, errsize, "%s: %g is out of the "
				    "range of an integer", what, d);
				rc = -1;
			} else
				v->i = (int64_t)d;
		} else {
			go_float(d, &t);
			set_text(v, t.data, t.len);
		}
		break;
	case json_type_array:
		if (type != CONFIG_LIST) {
			snprintf(err, errsize, "%s: expected a %s, not an "
			    "array", what, type_name(type));
			rc = -1;
			break;
		}
		clear_value(v);
		n = json_object_array_length(jo);
		for (j = 0; j < n && rc == 0; j++)
			rc = list_scalar(v, json_object_array_get_idx(jo, j),
			    is_json, what, err, errsize);
		break;
	case json_type_object:
		/* Only an empty table for a list gets here: no elements. */
		clear_value(v);
		break;
	}
	buf_free(&t);
	return rc;
}

/* The variable viper reads for a key: PREFIX__SECTION__KEY. */
static void
env_name(const struct config *c, const char *key, struct buf *b)
{
	buf_puts(b, c->prog == CONFIG_WRITER ? "CCX_NOTIFICATION_WRITER__" :
	    "CCX_NOTIFICATION_SERVICE__");
	for (; *key != '\0'; key++) {
		if (*key == '.')
			buf_puts(b, "__");
		else if (*key == '-')
			buf_putc(b, '_');
		else
			buf_putc(b, *key >= 'a' && *key <= 'z' ?
			    *key - 'a' + 'A' : *key);
	}
}

/* ---- Clowder (COMPAT 4) ------------------------------------------------ */

/* Member name of o, of type t; absent or null is an error if required. */
static int
member(struct json_object *o, const char *name, enum json_type t,
    int required, const char *where, struct json_object **out, char *err,
    size_t errsize)
{
	struct json_object *m = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(o, name, &m) || m == NULL) {
		if (!required)
			return 0;
		snprintf(err, errsize, "field %s in %s: required", name, where);
		return -1;
	}
	if (!json_object_is_type(m, t)) {
		snprintf(err, errsize, "json: cannot unmarshal %s into Go "
		    "struct field %s.%s of type %s",
		    json_type_to_name(json_object_get_type(m)), where, name,
		    t == json_type_int ? "int" : t == json_type_string ?
		    "string" : t == json_type_array ? "slice" : "struct");
		return -1;
	}
	*out = m;
	return 0;
}

/*
 * Element j of KafkaConfig's array field (of Go type typ, whose first
 * required member is first), or NULL with app-common-go's message.
 */
static struct json_object *
clowder_elem(struct json_object *list, size_t j, const char *field,
    const char *typ, const char *first, char *err, size_t errsize)
{
	struct json_object *e = json_object_array_get_idx(list, j);

	if (e == NULL)
		snprintf(err, errsize, "field %s in %s: required", first, typ);
	else if (!json_object_is_type(e, json_type_object))
		snprintf(err, errsize, "json: cannot unmarshal %s into Go struct "
		    "field KafkaConfig.%s of type v1.%s",
		    json_type_to_name(json_object_get_type(e)), field, typ);
	else
		return e;
	return NULL;
}

/* What the generated types of app-common-go insist on. */
static int
clowder_check(struct json_object *root, char *err, size_t errsize)
{
	static const char *const dbfields[] = { "adminPassword",
		"adminUsername", "hostname", "name", "password", "sslMode",
		"username" };
	static const char *const saslfields[] = { "password", "username",
		"saslMechanism", "securityProtocol" };
	struct json_object *o, *m, *list, *e, *sasl;
	size_t j, k, n;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errsize, "json: cannot unmarshal %s into Go "
		    "value of type v1.AppConfig",
		    json_type_to_name(json_object_get_type(root)));
		return -1;
	}
	if (member(root, "logging", json_type_object, 1, "AppConfig", &o,
	    err, errsize) == -1 ||
	    member(o, "type", json_type_string, 1, "LoggingConfig", &m, err,
	    errsize) == -1 ||
	    member(root, "metricsPath", json_type_string, 1, "AppConfig", &m,
	    err, errsize) == -1 ||
	    member(root, "metricsPort", json_type_int, 1, "AppConfig", &m,
	    err, errsize) == -1 ||
	    member(root, "database", json_type_object, 0, "AppConfig", &o,
	    err, errsize) == -1)
		return -1;
	if (o != NULL) {
		for (j = 0; j < sizeof(dbfields) / sizeof(dbfields[0]); j++)
			if (member(o, dbfields[j], json_type_string, 1,
			    "DatabaseConfig", &m, err, errsize) == -1)
				return -1;
		if (member(o, "port", json_type_int, 1, "DatabaseConfig", &m,
		    err, errsize) == -1 ||
		    member(o, "rdsCa", json_type_string, 0, "DatabaseConfig",
		    &m, err, errsize) == -1)
			return -1;
	}
	if (member(root, "kafka", json_type_object, 0, "AppConfig", &o, err,
	    errsize) == -1)
		return -1;
	if (o == NULL)
		return 0;
	if (member(o, "brokers", json_type_array, 1, "KafkaConfig", &list,
	    err, errsize) == -1)
		return -1;
	n = json_object_array_length(list);
	for (j = 0; j < n; j++) {
		if ((e = clowder_elem(list, j, "brokers", "BrokerConfig",
		    "hostname", err, errsize)) == NULL)
			return -1;
		if (member(e, "hostname", json_type_string, 1, "BrokerConfig",
		    &m, err, errsize) == -1 ||
		    member(e, "port", json_type_int, 0, "BrokerConfig", &m, err,
		    errsize) == -1 ||
		    member(e, "cacert", json_type_string, 0, "BrokerConfig", &m,
		    err, errsize) == -1 ||
		    member(e, "securityProtocol", json_type_string, 0,
		    "BrokerConfig", &m, err, errsize) == -1 ||
		    member(e, "authtype", json_type_string, 0, "BrokerConfig",
		    &m, err, errsize) == -1)
			return -1;
		if (m != NULL && strcmp(json_object_get_string(m), "sasl") != 0) {
			snprintf(err, errsize, "invalid value (expected one of "
			    "[]interface {}{\"sasl\"}): \"%s\"",
			    json_object_get_string(m));
			return -1;
		}
		if (member(e, "sasl", json_type_object, 0, "BrokerConfig",
		    &sasl, err, errsize) == -1)
			return -1;
		for (k = 0; sasl != NULL && k < sizeof(saslfields) /
		    sizeof(saslfields[0]); k++)
			if (member(sasl, saslfields[k], json_type_string, 0,
			    "KafkaSASLConfig", &m, err, errsize) == -1)
				return -1;
	}
	if (member(o, "topics", json_type_array, 1, "KafkaConfig", &list,
	    err, errsize) == -1)
		return -1;
	n = json_object_array_length(list);
	for (j = 0; j < n; j++) {
		if ((e = clowder_elem(list, j, "topics", "TopicConfig", "name",
		    err, errsize)) == NULL)
			return -1;
		if (member(e, "name", json_type_string, 1, "TopicConfig", &m,
		    err, errsize) == -1 ||
		    member(e, "requestedName", json_type_string, 1,
		    "TopicConfig", &m, err, errsize) == -1)
			return -1;
	}
	return 0;
}

/*
 * app-common-go's init: the parsed and checked ACG_CONFIG file, or NULL
 * when there is none or it fails (the error then in c->out, as upstream
 * prints it).
 */
static struct json_object *
clowder_init(struct config *c, char *const *envp)
{
	struct json_object *root;
	const char *path;
	struct buf text;
	char err[512];

	if ((path = env_get(envp, "ACG_CONFIG")) == NULL)
		return NULL;
	buf_init(&text);
	if (read_file(path, &text, err, sizeof(err)) == -1) {
		buf_printf(&c->out, "%s\n", err);
		buf_free(&text);
		return NULL;
	}
	if ((root = json_whole(text.data != NULL ? text.data : "", text.len,
	    err, sizeof(err))) == NULL)
		buf_printf(&c->out, "%s\n", err);
	else if (clowder_check(root, err, sizeof(err)) == -1) {
		buf_printf(&c->out, "%s\n", err);
		json_object_put(root);
		root = NULL;
	}
	buf_free(&text);
	return root;
}

/* Sets a string key from Clowder. */
static void
cset(struct config *c, const char *sec, const char *key, const char *s,
    size_t n)
{
	struct config_value *v;
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", sec, key);
	v = value_of(c, name, -1);
	set_str(v, s, n);
	v->source = CONFIG_CLOWDER;
}

/* As cset, from a JSON string member when it is there. */
static void
cset_member(struct config *c, const char *sec, const char *key,
    struct json_object *o, const char *name)
{
	struct json_object *m;

	if (json_object_object_get_ex(o, name, &m) && m != NULL)
		cset(c, sec, key, json_object_get_string(m),
		    (size_t)json_object_get_string_len(m));
}

/* A non-null member, or NULL. */
static struct json_object *
get(struct json_object *o, const char *name)
{
	struct json_object *m;

	if (o == NULL || !json_object_object_get_ex(o, name, &m))
		return NULL;
	return m;
}

/* Writes Clowder's CA to a new 0600 file in $TMPDIR (or /tmp). */
static int
write_ca(struct config *c, const char *pem, size_t n, char *const *envp)
{
	const char *dir = env_get(envp, "TMPDIR");
	struct buf path;
	ssize_t w;
	size_t off = 0;
	int fd;

	buf_init(&path);
	buf_printf(&path, "%s/ccx-kafka-ca.XXXXXX", dir != NULL &&
	    *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(path.data)) == -1) {
		buf_free(&path);
		return -1;
	}
	while (off < n) {
		if ((w = write(fd, pem + off, n - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			(void)unlink(path.data);
			buf_free(&path);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1) {
		(void)unlink(path.data);
		buf_free(&path);
		return -1;
	}
	if (c->ca_file != NULL && c->ca_pid == getpid())
		(void)unlink(c->ca_file);
	free(c->ca_file);
	c->ca_file = path.data;
	c->ca_pid = getpid();
	return 0;
}

/* updateConfigFromClowder, with the lines it prints. */
static void
clowder_apply(struct config *c, struct json_object *root, char *const *envp)
{
	const char *sec = c->prog == CONFIG_WRITER ? "broker" : "kafka_broker";
	struct json_object *kafka, *list, *b0, *e, *sasl, *proto, *ca, *db;
	struct config_value *v;
	const char *topic, *found = NULL;
	struct buf addr;
	size_t j, n;
	char name[64];

	c->clowder = 1;
	buf_puts(&c->out, "Clowder is enabled\n");
	if ((kafka = get(root, "kafka")) == NULL)
		buf_puts(&c->out, "no Kafka configuration available in "
		    "Clowder, using default one\n");
	else {
		list = get(kafka, "brokers");
		if ((n = json_object_array_length(list)) > 0) {
			buf_init(&addr);
			for (j = 0; j < n; j++) {
				e = json_object_array_get_idx(list, j);
				if (j > 0)
					buf_putc(&addr, ',');
				buf_puts(&addr, json_object_get_string(get(e,
				    "hostname")));
				if (get(e, "port") != NULL)
					buf_printf(&addr, ":%" PRId64,
					    json_object_get_int64(get(e,
					    "port")));
			}
			cset(c, sec, "addresses", addr.data, addr.len);
			buf_free(&addr);
			b0 = json_object_array_get_idx(list, 0);
			if (get(b0, "authtype") != NULL) {
				buf_puts(&c->out, "kafka is configured to use "
				    "authentication\n");
				if ((sasl = get(b0, "sasl")) != NULL) {
					cset_member(c, sec, "sasl_username",
					    sasl, "username");
					cset_member(c, sec, "sasl_password",
					    sasl, "password");
					cset_member(c, sec, "sasl_mechanism",
					    sasl, "saslMechanism");
					/* The writer reads the broker's, the
					 * service SASL's; either falls back. */
					proto = c->prog == CONFIG_WRITER ?
					    get(b0, "securityProtocol") :
					    get(sasl, "securityProtocol");
					if (proto == NULL)
						proto = c->prog == CONFIG_WRITER ?
						    get(sasl, "securityProtocol") :
						    get(b0, "securityProtocol");
					if (proto != NULL)
						cset(c, sec, "security_protocol",
						    json_object_get_string(proto),
						    (size_t)json_object_get_string_len(
						    proto));
					if ((ca = get(b0, "cacert")) != NULL &&
					    write_ca(c, json_object_get_string(
					    ca), (size_t)json_object_get_string_len(
					    ca), envp) == 0)
						cset(c, sec, "cert_path",
						    c->ca_file, strlen(c->ca_file));
				} else
					buf_puts(&c->out, "warning: SASL "
					    "configuration is missing\n");
			}
		} else
			buf_puts(&c->out, "warning: no broker configurations "
			    "found in clowder config\n");
		snprintf(name, sizeof(name), "%s.topic", sec);
		topic = config_str(c, name);
		list = get(kafka, "topics");
		n = json_object_array_length(list);
		for (j = 0; j < n; j++) {
			e = json_object_array_get_idx(list, j);
			if (strcmp(json_object_get_string(get(e,
			    "requestedName")), topic) == 0)
				found = json_object_get_string(get(e, "name"));
		}
		if (found != NULL)
			cset(c, sec, "topic", found, strlen(found));
		else
			buf_printf(&c->out, "warning: no kafka mapping found "
			    "for topic %s", topic);
	}
	if ((db = get(root, "database")) != NULL) {
		cset_member(c, "storage", "pg_db_name", db, "name");
		cset_member(c, "storage", "pg_host", db, "hostname");
		v = value_of(c, "storage.pg_port", CONFIG_INT);
		clear_value(v);
		v->i = json_object_get_int64(get(db, "port"));
		v->source = CONFIG_CLOWDER;
		cset_member(c, "storage", "pg_username", db, "username");
		cset_member(c, "storage", "pg_password", db, "password");
	} else
		buf_puts(&c->out, "warning: no storage section in Clowder "
		    "config\n");
}

/* ---- Loading ------------------------------------------------------------ */

int
config_load(struct config *c, char *const *envp, char *err, size_t errsize)
{
	struct json_object *root = NULL, *croot, *raw[MAXKEYS];
	char present[MAXKEYS];
	struct buf name;
	const char *ev;
	size_t j;
	int is_json = 0, rc = -1;

	if (errsize > 0)
		err[0] = '\0';
	if (c->nv > MAXKEYS)
		log_fatal(EX_SOFTWARE, "config: too many keys");
	memset(raw, 0, sizeof(raw));
	memset(present, 0, sizeof(present));
	buf_init(&name);
	/* app-common-go reads ACG_CONFIG when the program starts. */
	croot = clowder_init(c, envp);
	if (find_file(c, envp, &name, err, errsize) == -1)
		goto out;
	if (c->file != NULL) {
		if ((root = parse_file(c->file, &is_json, err, errsize)) ==
		    NULL ||
		    collect(c, root, raw, present, err, errsize) == -1)
			goto out;
	}
	for (j = 0; j < c->nv; j++) {
		struct config_value *v = &c->v[j];

		v->known = c->file != NULL ? present[j] :
		    v->key->type != CONFIG_LIST;
		ev = NULL;
		if (v->known) {
			buf_reset(&name);
			env_name(c, v->key->name, &name);
			if ((ev = env_get(envp, name.data)) != NULL &&
			    *ev == '\0')
				ev = NULL;
		}
		if (ev != NULL) {
			v->source = CONFIG_ENV;
			if (conv_text(v, ev, strlen(ev), name.data, err,
			    errsize) == -1)
				goto out;
		} else if (present[j]) {
			v->source = CONFIG_FILE;
			if (conv_json(v, raw[j], is_json, v->key->name, err,
			    errsize) == -1)
				goto out;
		} else {
			clear_value(v);
			v->source = CONFIG_ZERO;
		}
	}
	if (croot != NULL)
		clowder_apply(c, croot, envp);
	else
		buf_puts(&c->out, "Clowder is disabled\n");
	rc = 0;
out:
	json_object_put(croot);
	json_object_put(root);
	buf_free(&name);
	return rc;
}

/* ---- Output --------------------------------------------------------------- */

/* s with backslash, control bytes and DEL escaped: one line. */
static void
esc_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\\')
			buf_puts(b, "\\\\");
		else if (ch == '\n')
			buf_puts(b, "\\n");
		else if (ch == '\r')
			buf_puts(b, "\\r");
		else if (ch == '\t')
			buf_puts(b, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			buf_printf(b, "\\x%02x", ch);
		else
			buf_putc(b, (char)ch);
	}
}

void
config_value_text(const struct config_value *v, int reveal, struct buf *out)
{
	switch (v->key->type) {
	case CONFIG_STRING:
	case CONFIG_INTERVAL:
		if ((v->key->flags & CONFIG_SECRET) && !reveal &&
		    v->s != NULL && *v->s != '\0')
			buf_puts(out, "***");
		else if (v->s != NULL)
			esc_text(out, v->s);
		break;
	case CONFIG_BOOL:
		buf_puts(out, v->i ? "true" : "false");
		break;
	case CONFIG_INT:
		buf_printf(out, "%" PRId64, v->i);
		break;
	case CONFIG_DURATION:
		config_duration_text(v->i, out);
		break;
	case CONFIG_LIST:
		buf_json_strv(out, (const char *const *)v->list, v->nlist);
		break;
	}
}

void
config_dump(const struct config *c, int reveal, struct buf *out)
{
	size_t j;

	for (j = 0; j < c->nv; j++) {
		buf_printf(out, "%s=", c->v[j].key->name);
		config_value_text(&c->v[j], reveal, out);
		buf_putc(out, '\n');
	}
}

void
config_shipped_toml(int prog, struct buf *out)
{
	const struct config_key *k;
	const char *dot, *last = NULL;
	size_t n, j, len = 0;

	k = config_keys(prog, &n);
	for (j = 0; j < n; j++) {
		if (k[j].shipped == NULL)
			continue;
		dot = strchr(k[j].name, '.');
		if (last == NULL || (size_t)(dot - k[j].name) != len ||
		    memcmp(last, k[j].name, len) != 0) {
			last = k[j].name;
			len = (size_t)(dot - k[j].name);
			buf_printf(out, "%s[%.*s]\n", out->len > 0 ? "\n" : "",
			    (int)len, last);
		}
		buf_printf(out, "%s = %s\n", dot + 1, k[j].shipped);
	}
}

void
config_show(const struct config *c, const struct zlog *z)
{
	const struct show_record *r;
	const struct config_value *v;
	struct zfield f[16];
	struct buf text[16];
	size_t nr, j, k;

	if (c->prog == CONFIG_WRITER) {
		r = writer_show;
		nr = sizeof(writer_show) / sizeof(writer_show[0]);
	} else {
		r = service_show;
		nr = sizeof(service_show) / sizeof(service_show[0]);
	}
	for (j = 0; j < nr; j++) {
		for (k = 0; k < r[j].n && k < 16; k++) {
			const struct show_field *sf = &r[j].fields[k];

			buf_init(&text[k]);
			v = config_get(c, sf->key);
			switch (sf->kind) {
			case SF_STR:
				f[k] = ZSTR(sf->label, v->s != NULL ? v->s : "");
				break;
			case SF_INT:
				f[k] = ZINT(sf->label, v->i);
				break;
			case SF_BOOL:
				f[k] = ZBOOL(sf->label, v->i);
				break;
			case SF_DUR:
				config_duration_text(v->i, &text[k]);
				f[k] = ZSTR(sf->label, text[k].data);
				break;
			case SF_LIST:
				buf_json_strv(&text[k],
				    (const char *const *)v->list, v->nlist);
				f[k] = ZRAW(sf->label, text[k].data);
				break;
			}
		}
		zlog_write(z, ZL_INFO, r[j].message, f, k);
		while (k > 0)
			buf_free(&text[--k]);
	}
}

/* ---- Derived values (COMPAT 3.5) ---------------------------------------- */

/* Go's url.QueryUnescape of s[0..n) into out; -1 on a bad escape. */
static int
query_unescape(const char *s, size_t n, struct buf *out)
{
	size_t j;
	int h, l;

	buf_reset(out);
	for (j = 0; j < n; j++) {
		if (s[j] == '+')
			buf_putc(out, ' ');
		else if (s[j] == '%') {
			if (j + 2 >= n)
				return -1;
			h = s[j + 1] >= '0' && s[j + 1] <= '9' ? s[j + 1] - '0' :
			    (s[j + 1] | 0x20) >= 'a' && (s[j + 1] | 0x20) <= 'f' ?
			    (s[j + 1] | 0x20) - 'a' + 10 : -1;
			l = s[j + 2] >= '0' && s[j + 2] <= '9' ? s[j + 2] - '0' :
			    (s[j + 2] | 0x20) >= 'a' && (s[j + 2] | 0x20) <= 'f' ?
			    (s[j + 2] | 0x20) - 'a' + 10 : -1;
			if (h < 0 || l < 0)
				return -1;
			buf_putc(out, (char)(h << 4 | l));
			j += 2;
		} else
			buf_putc(out, s[j]);
	}
	return 0;
}

/* keyword='value', with \ and ' escaped, as libpq reads it. */
static void
conn_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\'')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

static void
conn_kv(struct buf *b, const char *k, const char *v)
{
	if (b->len > 0)
		buf_putc(b, ' ');
	buf_printf(b, "%s=", k);
	conn_quote(b, v);
}

int
config_conninfo(const struct config *c, const char *sec, struct buf *conn,
    struct buf *password, char *err, size_t errsize)
{
	struct buf name, k, v, seen;
	const char *params, *p, *amp, *eq, *q;
	size_t len;
	int64_t port;
	int sslmode = 0, rc = -1;

	buf_init(&name);
	buf_init(&k);
	buf_init(&v);
	buf_init(&seen);
	buf_reset(conn);
	buf_reset(password);
#define FIELD(f) (buf_reset(&name), buf_printf(&name, "%s." f, sec), name.data)
	conn_kv(conn, "host", config_str(c, FIELD("pg_host")));
	if ((port = config_int(c, FIELD("pg_port"))) != 0) {
		buf_reset(&v);
		buf_printf(&v, "%" PRId64, port);
		conn_kv(conn, "port", v.data);
	}
	conn_kv(conn, "dbname", config_str(c, FIELD("pg_db_name")));
	conn_kv(conn, "user", config_str(c, FIELD("pg_username")));
	buf_puts(password, config_str(c, FIELD("pg_password")));
	params = config_str(c, FIELD("pg_params"));
#undef FIELD
	buf_putc(&seen, '\n');
	for (p = params; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		len = (size_t)(amp - p);
		if (len == 0)
			continue;
		if (memchr(p, ';', len) != NULL) {
			snprintf(err, errsize, "%s.pg_params: invalid semicolon "
			    "separator in query", sec);
			goto out;
		}
		eq = memchr(p, '=', len);
		if (query_unescape(p, eq != NULL ? (size_t)(eq - p) : len,
		    &k) == -1 || (eq != NULL && query_unescape(eq + 1,
		    (size_t)(amp - eq - 1), &v) == -1)) {
			snprintf(err, errsize, "%s.pg_params: invalid URL "
			    "escape", sec);
			goto out;
		}
		if (eq == NULL)
			buf_reset(&v);
		if (k.len == 0)
			continue;
		for (q = k.data; *q != '\0'; q++)
			if (!(*q >= 'a' && *q <= 'z') && *q != '_')
				break;
		if (*q != '\0' || k.len != strlen(k.data)) {
			snprintf(err, errsize, "%s.pg_params: \"%s\" is not a "
			    "connection keyword", sec, k.data);
			goto out;
		}
		buf_reset(&name);
		buf_printf(&name, "\n%s\n", k.data);
		if (strstr(seen.data, name.data) != NULL)
			continue;	/* lib/pq takes the first */
		buf_puts(&seen, name.data + 1);
		if (v.data == NULL)
			buf_puts(&v, "");
		if (memchr(v.data, '\0', v.len) != NULL) {
			snprintf(err, errsize, "%s.pg_params: a value cannot "
			    "contain NUL", sec);
			goto out;
		}
		if (strcmp(k.data, "password") == 0) {
			buf_reset(password);
			buf_puts(password, v.data);
			continue;
		}
		if (strcmp(k.data, "sslmode") == 0)
			sslmode = 1;
		conn_kv(conn, k.data, v.data);
	}
	/* Go's lib/pq defaults to sslmode=require, libpq to prefer. */
	if (!sslmode)
		conn_kv(conn, "sslmode", "require");
	rc = 0;
out:
	if (v.data != NULL)
		explicit_bzero(v.data, v.len);
	buf_free(&name);
	buf_free(&k);
	buf_free(&v);
	buf_free(&seen);
	return rc;
}

/* One key=value line of a property file, if it can be one. */
static int
prop(struct buf *b, const char *sec, const char *key, const char *pname,
    const char *val, char *err, size_t errsize)
{
	size_t n = strlen(val);

	if (strpbrk(val, "\r\n") != NULL || (n > 0 &&
	    (strchr(" \t\v\f", val[0]) != NULL ||
	    strchr(" \t\v\f", val[n - 1]) != NULL))) {
		snprintf(err, errsize, "%s.%s cannot be written to a librdkafka "
		    "property file (a line break, or white space at an end)",
		    sec, key);
		return -1;
	}
	buf_printf(b, "%s=%s\n", pname, val);
	return 0;
}

int
config_kafka_props(const struct config *c, struct buf *props, char *err,
    size_t errsize)
{
	const char *sec = c->prog == CONFIG_WRITER ? "broker" : "kafka_broker";
	const char *sp, *cp, *mech, *proto, *ca = NULL;
	char name[96];
	int sasl;

#define FIELD(f) (snprintf(name, sizeof(name), "%s." f, sec), name)
	sp = config_str(c, FIELD("security_protocol"));
	cp = config_str(c, FIELD("cert_path"));
	mech = config_str(c, FIELD("sasl_mechanism"));
	sasl = strncmp(sp, "SASL_", 5) == 0;
	if (strcmp(sp, "SSL") == 0 && *cp != '\0') {
		proto = "ssl";
		ca = cp;
	} else if (strstr(sp, "SSL") != NULL)
		proto = sasl ? "sasl_ssl" : "ssl";
	else
		proto = sasl ? "sasl_plaintext" : "plaintext";
	buf_reset(props);
	buf_printf(props, "security.protocol=%s\n", proto);
	if (ca != NULL && prop(props, sec, "cert_path", "ssl.ca.location", ca,
	    err, errsize) == -1)
		return -1;
	if (sasl) {
		if (*mech == '\0')
			mech = "PLAIN";
		else if (strcasecmp(mech, "SCRAM-SHA-512") == 0)
			mech = "SCRAM-SHA-512";
		if (prop(props, sec, "sasl_mechanism", "sasl.mechanism", mech,
		    err, errsize) == -1 ||
		    prop(props, sec, "sasl_username", "sasl.username",
		    config_str(c, FIELD("sasl_username")), err, errsize) == -1 ||
		    prop(props, sec, "sasl_password", "sasl.password",
		    config_str(c, FIELD("sasl_password")), err, errsize) == -1)
			return -1;
	}
#undef FIELD
	if (c->prog == CONFIG_WRITER &&
	    config_bool(c, "broker.disable_api_versions_request"))
		buf_puts(props, "api.version.request=false\n");
	return 0;
}

void
config_content_url(const struct config *c, struct buf *url)
{
	buf_reset(url);
	buf_puts(url, config_str(c, "dependencies.content_server"));
	buf_puts(url, config_str(c, "dependencies.content_endpoint"));
	if (strncmp(url->data, "http", 4) != 0) {
		struct buf t;

		buf_init(&t);
		buf_printf(&t, "http://%s", url->data);
		buf_reset(url);
		buf_add(url, t.data, t.len);
		buf_free(&t);
	}
}

void
config_renderer_free(struct config_renderer *r)
{
	buf_free(&r->server);
	buf_free(&r->endpoint);
	buf_free(&r->url);
	buf_free(&r->error);
}

int
config_renderer(const struct config *c, struct config_renderer *r,
    char *err, size_t errsize)
{
	const char *server = config_str(c, "dependencies.template_renderer_server");
	const char *endpoint = config_str(c,
	    "dependencies.template_renderer_endpoint");
	struct buf scheme, rest, auth, path, joined, query;
	const char *p, *hash, *slash, *colon;
	int opaque = 0, hasauth = 0, rc = -1;
	size_t j;

	buf_init(&r->server);
	buf_init(&r->endpoint);
	buf_init(&r->url);
	buf_init(&r->error);
	buf_init(&scheme);
	buf_init(&rest);
	buf_init(&auth);
	buf_init(&path);
	buf_init(&joined);
	buf_init(&query);
	for (p = server; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errsize, "parse \"%s\": net/url: invalid "
			    "control character in URL", server);
			goto out;
		}
	/* url.Parse: the fragment, the scheme, the query. */
	hash = strchr(server, '#');
	buf_add(&rest, server, hash != NULL ? (size_t)(hash - server) :
	    strlen(server));
	for (j = 0; j < rest.len; j++) {
		char ch = rest.data[j];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			continue;
		if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' ||
		    ch == '.') {
			if (j == 0)
				break;
			continue;
		}
		if (ch == ':') {
			if (j == 0) {
				snprintf(err, errsize, "parse \"%s\": missing "
				    "protocol scheme", server);
				goto out;
			}
			rest.data[j] = '\0';
			lower(&scheme, rest.data);
			memmove(rest.data, rest.data + j + 1, rest.len - j);
			rest.len -= j + 1;
		}
		break;
	}
	if ((p = strchr(rest.data != NULL ? rest.data : "", '?')) != NULL) {
		buf_puts(&query, p + 1);
		rest.len = (size_t)(p - rest.data);
		rest.data[rest.len] = '\0';
	}
	if (rest.data == NULL)
		buf_puts(&rest, "");
	if (rest.data[0] != '/' && scheme.len > 0)
		opaque = 1;
	else {
		if (scheme.len == 0) {
			slash = strchr(rest.data, '/');
			colon = strchr(rest.data, ':');
			if (colon != NULL && (slash == NULL || colon < slash)) {
				snprintf(err, errsize, "parse \"%s\": first path "
				    "segment in URL cannot contain colon", server);
				goto out;
			}
		}
		if (strncmp(rest.data, "//", 2) == 0 && (scheme.len > 0 ||
		    strncmp(rest.data, "///", 3) != 0)) {
			hasauth = 1;
			slash = strchr(rest.data + 2, '/');
			buf_add(&auth, rest.data + 2, slash != NULL ?
			    (size_t)(slash - rest.data - 2) : strlen(rest.data + 2));
			buf_puts(&path, slash != NULL ? slash : "");
			/* A port must be digits. */
			p = strrchr(auth.data != NULL ? auth.data : "", ':');
			if (p != NULL && strchr(p, ']') == NULL &&
			    strchr(p, '@') == NULL) {
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
				if (*p != '\0') {
					snprintf(err, errsize, "parse \"%s\": "
					    "invalid port \"%s\" after host",
					    server, strrchr(auth.data, ':'));
					goto out;
				}
			}
		} else
			buf_puts(&path, rest.data);
	}
	if (auth.data == NULL)
		buf_puts(&auth, "");
	if (path.data == NULL)
		buf_puts(&path, "");
	if (opaque) {
		buf_printf(&r->url, "%s:%s", scheme.data, rest.data);
	} else {
		path_join(path.data, endpoint, &joined);
		if (joined.data == NULL)
			buf_puts(&joined, "");
		if (scheme.len > 0)
			buf_printf(&r->url, "%s:", scheme.data);
		if (hasauth || scheme.len > 0)
			if (auth.len > 0 || joined.len > 0)
				buf_printf(&r->url, "//%s", auth.data);
		if (joined.len > 0 && joined.data[0] != '/' && auth.len > 0)
			buf_putc(&r->url, '/');
		if (r->url.len == 0 && (p = strchr(joined.data, ':')) != NULL &&
		    ((slash = strchr(joined.data, '/')) == NULL || p < slash))
			buf_puts(&r->url, "./");
		buf_puts(&r->url, joined.data);
	}
	if (query.len > 0)
		buf_printf(&r->url, "?%s", query.data);
	if (r->url.data == NULL)
		buf_puts(&r->url, "");
	if (scheme.len == 0 || (strcmp(scheme.data, "http") != 0 &&
	    strcmp(scheme.data, "https") != 0)) {
		buf_printf(&r->error, "Post \"%s\": unsupported protocol "
		    "scheme \"%s\"", r->url.data, scheme.len > 0 ?
		    scheme.data : "");
		rc = 1;
	} else if (opaque || auth.len == 0) {
		buf_printf(&r->error, "Post \"%s\": http: no Host in request "
		    "URL", r->url.data);
		rc = 1;
	} else {
		buf_printf(&r->server, "%s://%s", scheme.data, auth.data);
		for (p = joined.data; *p == '/'; p++)
			;
		buf_puts(&r->endpoint, p);
		if (query.len > 0)
			buf_printf(&r->endpoint, "?%s", query.data);
		rc = 0;
	}
out:
	buf_free(&scheme);
	buf_free(&rest);
	buf_free(&auth);
	buf_free(&path);
	buf_free(&joined);
	buf_free(&query);
	return rc;
}

int
config_log_level(const struct config *c)
{
	static const struct { const char *n; int l; } names[] = {
		{ "debug", ZL_DEBUG }, { "info", ZL_INFO }, { "warn", ZL_WARN },
		{ "warning", ZL_WARN }, { "error", ZL_ERROR },
		{ "fatal", ZL_FATAL },
	};
	const char *s = config_str(c, "logging.log_level"), *e;
	size_t j;

	while (*s != '\0' && strchr(" \t\n\v\f\r", *s) != NULL)
		s++;
	for (e = s + strlen(s); e > s && strchr(" \t\n\v\f\r", e[-1]) != NULL;
	    e--)
		;
	for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
		if (strlen(names[j].n) == (size_t)(e - s) &&
		    strncasecmp(names[j].n, s, (size_t)(e - s)) == 0)
			return names[j].l;
	return ZL_DEBUG;
}

int
config_interval_disabled(const char *s)
{
	size_t n;

	while (*s != '\0' && strchr(" \t\n\v\f\r", *s) != NULL)
		s++;
	if (*s == '\0')
		return 1;
	n = strcspn(s, " \t\n\v\f\r");
	return n == 1 && *s == '0';
}

const char *
config_event_filter(const struct config *c, const char *sec)
{
	char name[96];
	const char *s;

	snprintf(name, sizeof(name), "%s.event_filter", sec);
	s = config_str(c, name);
	return *s != '\0' ? s : EVFILTER_DEFAULT;
}

const char *
config_max_age(const struct config *c, const char *flag)
{
	const char *s;

	if (flag != NULL && *flag != '\0')
		return flag;
	if (c->prog == CONFIG_WRITER)
		return "7 days";
	s = config_str(c, "cleaner.max_age");
	return *s != '\0' ? s : "90 days";
}
