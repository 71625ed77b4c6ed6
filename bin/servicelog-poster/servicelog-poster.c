/*
 * servicelog-poster: reads decision lines of the service-log target on
 * stdin, has the template renderer render the new issues of each cluster,
 * posts one Service Log entry per rendered issue with an OAuth access
 * token, and writes one outcome line per input line on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "opt.h"
#include "slp.h"

#define SECRET_MAX	(64 * 1024)	/* bytes of a client secret file */
#define SECRET_ENV	"CCX_SERVICELOG_CLIENT_SECRET"

/* The settings with an argument: flag, environment variable, default. */
enum {
	S_URL, S_TOKEN_URL, S_CLIENT_ID, S_SECRET_FILE, S_RENDERER_URL,
	S_RENDERER_ENDPOINT, S_CREATED_BY, S_USERNAME, S_RULE_DETAILS_URI,
	S_TIMEOUT, S_RETRIES, S_RETRY_BASE_MS, S_RETRY_AFTER_MAX,
	S_LOG_FORMAT, S_METRICS_FILE, S_PUSHGATEWAY, S_NSETTINGS
};

struct setting {
	const char	*name;		/* the long option */
	const char	*env;
	const char	*def;		/* or NULL */
	const char	*value;		/* after settings_load */
	int		 from_flag;
};

#define OPT_BASE	256	/* getopt_long value of setting 0 */

static void	usage(void) __attribute__((noreturn));
static void	settings_load(struct setting *);
static long	setting_number(const struct setting *, long, long);
static void	config_load(struct config *, struct setting *);
static void	check_url(const struct setting *);
static void	check_utf8(const struct setting *);
static char	*join_url(const char *, const char *);
static char	*read_secret(const char *);
static void	ready(int);

static struct setting settings[S_NSETTINGS] = {
	[S_URL] = { "url", "CCX_SERVICELOG_URL",
	    "https://api.openshift.com/api/service_logs/v1/cluster_logs/",
	    NULL, 0 },
	[S_TOKEN_URL] = { "token-url", "CCX_SERVICELOG_TOKEN_URL",
	    "https://sso.redhat.com/auth/realms/redhat-external/protocol/"
	    "openid-connect/token", NULL, 0 },
	[S_CLIENT_ID] = { "client-id", "CCX_SERVICELOG_CLIENT_ID", NULL,
	    NULL, 0 },
	[S_SECRET_FILE] = { "client-secret-file",
	    "CCX_SERVICELOG_CLIENT_SECRET_FILE", NULL, NULL, 0 },
	[S_RENDERER_URL] = { "renderer-url", "CCX_SERVICELOG_RENDERER_URL",
	    NULL, NULL, 0 },
	[S_RENDERER_ENDPOINT] = { "renderer-endpoint",
	    "CCX_SERVICELOG_RENDERER_ENDPOINT", "v1/rendered_reports", NULL,
	    0 },
	[S_CREATED_BY] = { "created-by", "CCX_SERVICELOG_CREATED_BY",
	    "service-account-ccx-notification-service", NULL, 0 },
	[S_USERNAME] = { "username", "CCX_SERVICELOG_USERNAME",
	    "insights-advisor", NULL, 0 },
	[S_RULE_DETAILS_URI] = { "rule-details-uri",
	    "CCX_SERVICELOG_RULE_DETAILS_URI",
	    "https://console.redhat.com/openshift/insights/advisor/"
	    "recommendations/{module}|{error_key}", NULL, 0 },
	[S_TIMEOUT] = { "timeout", "CCX_SERVICELOG_TIMEOUT", NULL, NULL, 0 },
	[S_RETRIES] = { "retries", "CCX_SERVICELOG_RETRIES", "2", NULL, 0 },
	[S_RETRY_BASE_MS] = { "retry-base-ms", "CCX_SERVICELOG_RETRY_BASE_MS",
	    "1000", NULL, 0 },
	[S_RETRY_AFTER_MAX] = { "retry-after-max",
	    "CCX_SERVICELOG_RETRY_AFTER_MAX", "60", NULL, 0 },
	[S_LOG_FORMAT] = { "log-format", "CCX_SERVICELOG_LOG_FORMAT", "text",
	    NULL, 0 },
	[S_METRICS_FILE] = { "metrics-file", "CCX_SERVICELOG_METRICS_FILE",
	    NULL, NULL, 0 },
	[S_PUSHGATEWAY] = { "pushgateway", "CCX_SERVICELOG_PUSHGATEWAY",
	    NULL, NULL, 0 },
};

/*
 * Reads the flags (each setting also from its environment variable),
 * checks the configuration, reports readiness, then handles stdin until
 * EOF or a termination signal.
 */
int
main(int argc, char *argv[])
{
	struct option longopts[S_NSETTINGS + 1];
	struct config cfg;
	struct poster p;
	int ch, i, readyfd = -1, status;

	log_init(argv[0]);
	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < S_NSETTINGS; i++) {
		longopts[i].name = settings[i].name;
		longopts[i].has_arg = required_argument;
		longopts[i].val = OPT_BASE + i;
	}
	while ((ch = getopt_long(argc, argv, "n:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			readyfd = (int)opt_number(optarg, "readiness fd", 0, INT_MAX);
			break;
		case 'q':
			log_quieter();
			break;
		case 'v':
			log_louder();
			break;
		default:
			if (ch < OPT_BASE || ch >= OPT_BASE + S_NSETTINGS)
				usage();
			settings[ch - OPT_BASE].value = optarg;
			settings[ch - OPT_BASE].from_flag = 1;
		}
	}
	if (optind != argc)
		usage();
	if (readyfd >= 0 && fcntl(readyfd, F_GETFD) == -1)
		log_fatal(EX_USAGE, "readiness fd %d is not open", readyfd);
	settings_load(settings);
	config_load(&cfg, settings);

	poster_open(&p, &cfg);
	ready(readyfd);
	poster_run(&p);
	status = poster_close(&p);
	explicit_bzero(cfg.client_secret, strlen(cfg.client_secret));
	free(cfg.client_secret);
	free(cfg.renderer);
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
	    "usage: servicelog-poster [-qv] --renderer-url url "
	    "--client-id id [--client-secret-file file]\n"
	    "                         [--url url] [--token-url url] "
	    "[--renderer-endpoint path]\n"
	    "                         [--created-by name] [--username name] "
	    "[--rule-details-uri template]\n"
	    "                         [--timeout seconds] [--retries n] "
	    "[--retry-base-ms ms]\n"
	    "                         [--retry-after-max seconds] "
	    "[--log-format text|json]\n"
	    "                         [--metrics-file path] [--pushgateway url] "
	    "[-n fd]\n");
	exit(EX_USAGE);
}


/* Fills in what no flag gave: the environment, else the default. */
static void
settings_load(struct setting *s)
{
	const char *v;
	int i;

	for (i = 0; i < S_NSETTINGS; i++) {
		if (s[i].from_flag)
			continue;
		if ((v = getenv(s[i].env)) != NULL)
			s[i].value = v;
		else
			s[i].value = s[i].def;
	}
	if (log_set_format_name(s[S_LOG_FORMAT].value) == -1)
		log_fatal(s[S_LOG_FORMAT].from_flag ? EX_USAGE : EX_CONFIG,
		    "unknown log format \"%s\"", s[S_LOG_FORMAT].value);
}

/* A bad number is a usage error from a flag, a configuration error else. */
static long
setting_number(const struct setting *s, long lo, long hi)
{
	const char *errstr;
	long v;

	v = (long)strtonum(s->value, lo, hi, &errstr);
	if (errstr != NULL)
		log_fatal(s->from_flag ? EX_USAGE : EX_CONFIG,
		    "%s%s \"%s\" is %s", s->from_flag ? "--" : "",
		    s->from_flag ? s->name : s->env, s->value, errstr);
	return v;
}

/* Checks every setting (one message each) and fills in cfg. */
static void
config_load(struct config *cfg, struct setting *s)
{
	const char *sec;

	memset(cfg, 0, sizeof(*cfg));
	if (s[S_RENDERER_URL].value == NULL)
		log_fatal(EX_CONFIG, "no renderer URL: use --renderer-url or "
		    "set CCX_SERVICELOG_RENDERER_URL");
	check_url(&s[S_RENDERER_URL]);
	check_url(&s[S_URL]);
	check_url(&s[S_TOKEN_URL]);
	if (s[S_CLIENT_ID].value == NULL || s[S_CLIENT_ID].value[0] == '\0')
		log_fatal(EX_CONFIG, "no client id: use --client-id or set "
		    "CCX_SERVICELOG_CLIENT_ID");
	check_utf8(&s[S_CREATED_BY]);
	check_utf8(&s[S_USERNAME]);
	check_utf8(&s[S_RULE_DETAILS_URI]);
	if (s[S_TIMEOUT].value != NULL) {
		cfg->timeout_ms = setting_number(&s[S_TIMEOUT], 1, 3600) * 1000;
		cfg->renderer_timeout_ms = cfg->timeout_ms;
	} else {
		cfg->timeout_ms = HTTP_TIMEOUT_MS;
		cfg->renderer_timeout_ms = SLP_RENDERER_TIMEOUT_MS;
	}
	cfg->retries = (int)setting_number(&s[S_RETRIES], 0, 10);
	cfg->retry_base_ms = setting_number(&s[S_RETRY_BASE_MS], 0, 600000);
	cfg->retry_after_max_ms = setting_number(&s[S_RETRY_AFTER_MAX], 0,
	    3600) * 1000;
	if (s[S_SECRET_FILE].value != NULL)
		cfg->client_secret = read_secret(s[S_SECRET_FILE].value);
	else if ((sec = getenv(SECRET_ENV)) != NULL && sec[0] != '\0') {
		if ((cfg->client_secret = strdup(sec)) == NULL)
			log_fatal(EX_OSERR, "unable to allocate the secret");
	} else
		log_fatal(EX_CONFIG, "no client secret: set %s or use "
		    "--client-secret-file", SECRET_ENV);
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
check_url(const struct setting *s)
{
	const char *u = s->value;

	if (strncasecmp(u, "http://", 7) != 0 &&
	    strncasecmp(u, "https://", 8) != 0)
		log_fatal(EX_CONFIG, "%s%s \"%s\" has no http:// or https:// "
		    "scheme", s->from_flag ? "--" : "",
		    s->from_flag ? s->name : s->env, u);
	if (u[strcspn(u, " \t\r\n")] != '\0')
		log_fatal(EX_CONFIG, "%s%s \"%s\" contains blanks",
		    s->from_flag ? "--" : "", s->from_flag ? s->name : s->env,
		    u);
}

/* Texts copied into entries must be UTF-8 so that their lengths hold. */
static void
check_utf8(const struct setting *s)
{
	if (!utf8_valid(s->value, strlen(s->value)))
		log_fatal(EX_CONFIG, "%s%s is not valid UTF-8",
		    s->from_flag ? "--" : "", s->from_flag ? s->name : s->env);
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

/*
 * The secret is the file's text without its trailing line end.  Nothing
 * of the file is ever printed.
 */
static char *
read_secret(const char *path)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		log_fatal(EX_CONFIG, "unable to open %s: %s", path,
		    strerror(errno));
	buf_init(&b);
	buf_reserve(&b, SECRET_MAX);	/* no copies left behind by growth */
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			log_fatal(EX_CONFIG, "unable to read %s: %s", path,
			    strerror(errno));
		if (b.len + (size_t)n > SECRET_MAX)
			log_fatal(EX_CONFIG, "%s is longer than %d bytes", path,
			    SECRET_MAX);
		buf_add(&b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' ||
	    b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len == 0)
		log_fatal(EX_CONFIG, "%s: the client secret is empty", path);
	if (memchr(b.data, '\0', b.len) != NULL ||
	    memchr(b.data, '\n', b.len) != NULL)
		log_fatal(EX_CONFIG, "%s: the client secret must be one line "
		    "of text", path);
	return b.data;
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
