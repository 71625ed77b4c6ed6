/*
 * servicelog-poster: reads decision lines of the service-log target on
 * stdin, has the template renderer render the new issues of each cluster,
 * posts one Service Log entry per rendered issue with an OAuth access
 * token, and writes one outcome line per input line on stdout.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "prog.h"
#include "slp.h"

enum {
	S_URL, S_TOKEN_URL, S_CLIENT_ID, S_SECRET_FILE, S_SECRET,
	S_RENDERER_URL, S_RENDERER_ENDPOINT, S_CREATED_BY, S_USERNAME,
	S_RULE_DETAILS_URI, S_TIMEOUT, S_RETRIES, S_RETRY_BASE_MS,
	S_RETRY_AFTER_MAX, S_METRICS_FILE, S_PUSHGATEWAY, S_READY, S_NSETTINGS
};

/* The frame completes the settings it knows (prog.h). */
static struct prog_setting settings[S_NSETTINGS] = {
	[S_URL] = { .name = "url", .env = "CCX_SERVICELOG_URL",
	    .def = "https://api.openshift.com/api/service_logs/v1/"
	    "cluster_logs/", .arg = "url",
	    .help = "the Service Log endpoint entries are posted to" },
	[S_TOKEN_URL] = { .name = "token-url",
	    .env = "CCX_SERVICELOG_TOKEN_URL",
	    .def = "https://sso.redhat.com/auth/realms/redhat-external/"
	    "protocol/openid-connect/token", .arg = "url",
	    .help = "the OAuth token endpoint (client-credentials grant)" },
	[S_CLIENT_ID] = { .name = "client-id",
	    .env = "CCX_SERVICELOG_CLIENT_ID", .arg = "id", .required = 1,
	    .help = "the OAuth client id" },
	[S_SECRET_FILE] = { .name = "client-secret-file",
	    .env = "CCX_SERVICELOG_CLIENT_SECRET_FILE", .arg = "file",
	    .help = "a file holding the OAuth client secret, one line" },
	[S_SECRET] = { .name = "client-secret", .type = PROG_SECRET,
	    .env = "CCX_SERVICELOG_CLIENT_SECRET",
	    .file = "client-secret-file", .required = 1,
	    .help = "the OAuth client secret" },
	[S_RENDERER_URL] = { .name = "renderer-url",
	    .env = "CCX_SERVICELOG_RENDERER_URL", .arg = "url",
	    .required = 1, .help = "the template renderer's server" },
	[S_RENDERER_ENDPOINT] = { .name = "renderer-endpoint",
	    .env = "CCX_SERVICELOG_RENDERER_ENDPOINT",
	    .def = "v1/rendered_reports", .arg = "path",
	    .help = "the renderer's path, joined to --renderer-url" },
	[S_CREATED_BY] = { .name = "created-by",
	    .env = "CCX_SERVICELOG_CREATED_BY",
	    .def = "service-account-ccx-notification-service", .arg = "name",
	    .help = "the created_by of each entry" },
	[S_USERNAME] = { .name = "username", .env = "CCX_SERVICELOG_USERNAME",
	    .def = "insights-advisor", .arg = "name",
	    .help = "the username of each entry" },
	[S_RULE_DETAILS_URI] = { .name = "rule-details-uri",
	    .env = "CCX_SERVICELOG_RULE_DETAILS_URI",
	    .def = "https://console.redhat.com/openshift/insights/advisor/"
	    "recommendations/{module}|{error_key}", .arg = "template",
	    .help = "the link of each entry" },
	[S_TIMEOUT] = { .name = "timeout", .env = "CCX_SERVICELOG_TIMEOUT",
	    .type = PROG_DURATION, .min = 1, .max = 3600, .unit = 1000,
	    .arg = "seconds", .help = "the time limit of each request "
	    "(default: 15 s; 10 s to the renderer)" },
	[S_RETRIES] = { .name = "retries", .env = "CCX_SERVICELOG_RETRIES",
	    .def = "2", .type = PROG_INT, .min = 0, .max = 10, .arg = "n",
	    .help = "attempts after the first one of a failed request" },
	[S_RETRY_BASE_MS] = { .name = "retry-base-ms",
	    .env = "CCX_SERVICELOG_RETRY_BASE_MS", .def = "1000",
	    .type = PROG_DURATION, .min = 0, .max = 600000, .unit = 1,
	    .arg = "ms", .help = "the first backoff, doubled at each retry" },
	[S_RETRY_AFTER_MAX] = { .name = "retry-after-max",
	    .env = "CCX_SERVICELOG_RETRY_AFTER_MAX", .def = "60",
	    .type = PROG_DURATION, .min = 0, .max = 3600, .unit = 1000,
	    .arg = "seconds", .help = "the longest Retry-After obeyed" },
	[S_METRICS_FILE] = { .name = "metrics-file",
	    .env = "CCX_SERVICELOG_METRICS_FILE" },
	[S_PUSHGATEWAY] = { .name = "pushgateway",
	    .env = "CCX_SERVICELOG_PUSHGATEWAY" },
	[S_READY] = { .name = "ready-fd", .letter = 'n', .type = PROG_FD },
};

static struct prog P = {
	.name = "servicelog-poster",
	.about = "Posts a Service Log entry for each new issue of the "
	    "decision lines on stdin; writes one outcome line for each.",
	.usage =
	    "[-qv] [-n fd] --renderer-url url --client-id id\n"
	    "    [--client-secret-file file] [--url url] [--token-url url]\n"
	    "    [option ...]",
	.settings = settings, .nsettings = S_NSETTINGS,
	.log_env = "CCX_SERVICELOG_LOG_FORMAT",
	.exits = (const enum exit_condition[]){
	    EXITC_BAD_INPUT, EXITC_POLL_FAILED, EXITC_DOWNSTREAM_GONE,
	    EXITC_INPUT_FAILED, EXITC_STOPPED, EXITC_END
	},
};

static void	config_load(struct config *);
static void	check_url(const struct prog_setting *);
static void	check_utf8(const struct prog_setting *);
static char	*join_url(const char *, const char *);

/*
 * Reads the settings (flags, then the environment), checks them, reports
 * readiness, then handles stdin until EOF or a termination signal.
 */
int
main(int argc, char *argv[])
{
	struct config cfg;
	struct poster p;
	int status;

	prog_parse(&P, argc, argv);
	config_load(&cfg);
	poster_open(&p, &cfg);
	prog_ready(&P);
	poster_run(&p);
	status = poster_close(&p);
	free(cfg.renderer);
	return prog_finish(&P, status);
}

/* Checks what the types do not say (one message each) and fills in cfg. */
static void
config_load(struct config *cfg)
{
	struct prog_setting *s = settings;

	memset(cfg, 0, sizeof(*cfg));
	check_url(&s[S_RENDERER_URL]);
	check_url(&s[S_URL]);
	check_url(&s[S_TOKEN_URL]);
	if (s[S_CLIENT_ID].value[0] == '\0')
		prog_invalid(&P, &s[S_CLIENT_ID], "no client id");
	check_utf8(&s[S_CREATED_BY]);
	check_utf8(&s[S_USERNAME]);
	check_utf8(&s[S_RULE_DETAILS_URI]);
	cfg->timeout_ms = HTTP_TIMEOUT_MS;
	cfg->renderer_timeout_ms = SLP_RENDERER_TIMEOUT_MS;
	if (s[S_TIMEOUT].value != NULL)
		cfg->timeout_ms = cfg->renderer_timeout_ms = s[S_TIMEOUT].num;
	cfg->retries = (int)s[S_RETRIES].num;
	cfg->retry_base_ms = s[S_RETRY_BASE_MS].num;
	cfg->retry_after_max_ms = s[S_RETRY_AFTER_MAX].num;
	cfg->client_secret = s[S_SECRET].value;
	cfg->url = s[S_URL].value;
	cfg->token_url = s[S_TOKEN_URL].value;
	cfg->client_id = s[S_CLIENT_ID].value;
	cfg->renderer = join_url(s[S_RENDERER_URL].value,
	    s[S_RENDERER_ENDPOINT].value);
	cfg->created_by = s[S_CREATED_BY].value;
	cfg->username = s[S_USERNAME].value;
	cfg->rule_details_uri = s[S_RULE_DETAILS_URI].value;
	cfg->metrics_file = s[S_METRICS_FILE].value;
	cfg->pushgateway = s[S_PUSHGATEWAY].value;
}

/* An HTTP URL must say so: without a scheme a path would be lost. */
static void
check_url(const struct prog_setting *s)
{
	const char *u = s->value;

	if (strncasecmp(u, "http://", 7) != 0 &&
	    strncasecmp(u, "https://", 8) != 0)
		prog_invalid(&P, s, "no http:// or https:// scheme");
	if (u[strcspn(u, " \t\r\n")] != '\0')
		prog_invalid(&P, s, "blanks in a URL");
}

/* Texts copied into entries must be UTF-8 so that their lengths hold. */
static void
check_utf8(const struct prog_setting *s)
{
	if (!utf8_valid(s->value, strlen(s->value)))
		prog_invalid(&P, s, "not valid UTF-8");
}

/* The server URL joined with the endpoint as a path (one '/' between). */
static char *
join_url(const char *base, const char *endpoint)
{
	struct buf b;
	size_t n = strlen(base);

	while (*endpoint == '/')
		endpoint++;
	buf_init(&b);
	while (n > 0 && base[n - 1] == '/' && *endpoint != '\0')
		n--;
	buf_add(&b, base, n);
	if (*endpoint != '\0') {
		buf_putc(&b, '/');
		buf_puts(&b, endpoint);
	}
	return b.data;
}
