/*
 * helper config: drives common/config.c (and so common/toml.c) for t0600.
 *
 *	helper config [-s] [-v] writer|service
 *	helper config -c writer|service
 *	helper config -j writer|service
 *	helper config [-s] -d [-m MAXAGE] writer|service
 *	helper config -T writer|service
 *	helper config -K writer|service
 *	helper config -D DURATION
 *	helper config -t FILE
 *
 * The first form loads the program's configuration from the working
 * directory, the environment and ACG_CONFIG, as the front end will, and
 * prints "key=value" for every key (config_dump; -s shows the secrets, -v
 * adds " [SOURCE]" and " known" when the environment may set the key).
 * -c prints only what upstream prints on stdout while loading, byte for
 * byte.  -j prints the -show-configuration records (JSON, through zlog).
 * -d prints the derived values of COMPAT 3.5.  -T prints the config.toml
 * the key table describes, -K the table itself; neither loads anything.
 * -D parses a Go duration and prints it back as Go would.  -t parses a
 * TOML file (toml_parse) and prints the tree as JSON, floats marked with
 * a trailing "f", or "error: MESSAGE" (exit 1).  A load that
 * fails prints "helper config: MESSAGE" on stderr and exits 1 (after -c's
 * output).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <json.h>

#include "buf.h"
#include "config.h"
#include "json-put.h"
#include "toml.h"
#include "zlog.h"
#include "slurp.h"

extern char **environ;

int	helper_config(int, char **);

static int	usage(void);
static void	derived(const struct config *, int, const char *);
static void	table(int);
static int	duration(const char *);
static int	toml(const char *);

static int
usage(void)
{
	fprintf(stderr, "usage: helper config [-cdjKsTv] [-m maxage] "
	    "writer|service\n       helper config -D duration\n");
	return EX_USAGE;
}

static void
derived(const struct config *c, int reveal, const char *maxage)
{
	static const char *const sections[] = { "storage",
	    "aggregator_storage" };
	struct config_renderer r;
	struct buf b, pw;
	struct stat st;
	char err[512];
	size_t j;
	int rc;

	buf_init(&b);
	buf_init(&pw);
	for (j = 0; j < (c->prog == CONFIG_WRITER ? 1u : 2u); j++) {
		if (config_conninfo(c, sections[j], &b, &pw, err,
		    sizeof(err)) == -1)
			printf("%s.conninfo error: %s\n", sections[j], err);
		else
			printf("%s.conninfo=%s\n%s.password=%s\n", sections[j],
			    b.data, sections[j], reveal || pw.len == 0 ?
			    pw.data : "***");
	}
	if (config_kafka_props(c, &b, err, sizeof(err)) == -1)
		printf("props error: %s\n", err);
	else {
		for (char *l = strtok(b.data, "\n"); l != NULL;
		    l = strtok(NULL, "\n"))
			printf("prop %s\n", reveal ||
			    strncmp(l, "sasl.password=", 14) != 0 ? l :
			    "sasl.password=***");
	}
	printf("log_level=%d\n", config_log_level(c));
	printf("max_age=%s\n", config_max_age(c, maxage));
	if (c->prog == CONFIG_SERVICE) {
		config_content_url(c, &b);
		printf("content_url=%s\n", b.data);
		rc = config_renderer(c, &r, err, sizeof(err));
		if (rc == -1)
			printf("renderer error: %s\n", err);
		else if (rc == 1)
			printf("renderer unusable: %s\n", r.error.data);
		else
			printf("renderer=%s endpoint=%s url=%s\n", r.server.data,
			    r.endpoint.data, r.url.data);
		config_renderer_free(&r);
		printf("event_filter=%s|%s\n",
		    config_event_filter(c, "kafka_broker"),
		    config_event_filter(c, "service_log"));
		printf("cooldown_disabled=%d|%d\n", config_interval_disabled(
		    config_str(c, "kafka_broker.cooldown")),
		    config_interval_disabled(config_str(c,
		    "service_log.cooldown")));
	}
	if (c->ca_file != NULL && stat(c->ca_file, &st) == 0)
		printf("ca_file mode=%03o bytes=%lld\n",
		    (unsigned)(st.st_mode & 0777), (long long)st.st_size);
	if (pw.data != NULL)
		explicit_bzero(pw.data, pw.len);
	buf_free(&b);
	buf_free(&pw);
}

static void
table(int prog)
{
	static const char *const types[] = { "string", "bool", "int",
	    "duration", "interval", "list" };
	const struct config_key *k;
	size_t n, j;

	k = config_keys(prog, &n);
	for (j = 0; j < n; j++)
		printf("%s %s%s%s %s\n", k[j].name, types[k[j].type],
		    k[j].flags & CONFIG_SECRET ? ",secret" : "",
		    k[j].flags & CONFIG_UNUSED ? ",unused" : "",
		    k[j].shipped != NULL ? k[j].shipped : "-");
}

static int
duration(const char *s)
{
	struct buf b;
	char err[256];
	int64_t ns;

	if (config_parse_duration(s, &ns, err, sizeof(err)) == -1) {
		printf("error: %s\n", err);
		return 1;
	}
	buf_init(&b);
	config_duration_text(ns, &b);
	printf("%lld %s\n", (long long)ns, b.data);
	buf_free(&b);
	return 0;
}

static int
toml(const char *path)
{
	struct json_object *root;
	struct buf text, out;
	char err[512];

	buf_init(&text);
	if (slurp(path, &text) == -1) {
		perror(path);
		return EX_NOINPUT;
	}
	if ((root = toml_parse(text.data != NULL ? text.data : "", text.len,
	    err, sizeof(err))) == NULL) {
		printf("error: %s\n", err);
		buf_free(&text);
		return 1;
	}
	buf_init(&out);
	/* Document order; a float is "1.5f", "inff". */
	json_put(&out, root, JSON_PUT_FLOAT_F);
	printf("%s\n", out.data);
	json_object_put(root);
	buf_free(&out);
	buf_free(&text);
	return 0;
}

int
helper_config(int argc, char **argv)
{
	static const char *const srcs[] = { "zero", "file", "env", "clowder" };
	struct config *c;
	struct zlog z;
	struct buf b;
	const char *maxage = NULL;
	char err[1024];
	int ch, out = 0, json = 0, der = 0, reveal = 0, verbose = 0, prog,
	    status = 0;
	size_t j;

	optind = 1;
	while ((ch = getopt(argc, argv, "cdD:jKm:sTt:v")) != -1) {
		switch (ch) {
		case 'c':
			out = 1;
			break;
		case 'd':
			der = 1;
			break;
		case 'D':
			return duration(optarg);
		case 'j':
			json = 1;
			break;
		case 'K':
			out = 'K';
			break;
		case 'm':
			maxage = optarg;
			break;
		case 's':
			reveal = 1;
			break;
		case 'T':
			out = 'T';
			break;
		case 't':
			return toml(optarg);
		case 'v':
			verbose = 1;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 1)
		return usage();
	if (strcmp(argv[optind], "writer") == 0)
		prog = CONFIG_WRITER;
	else if (strcmp(argv[optind], "service") == 0)
		prog = CONFIG_SERVICE;
	else
		return usage();
	buf_init(&b);
	if (out == 'K' || out == 'T') {
		if (out == 'K')
			table(prog);
		else {
			config_shipped_toml(prog, &b);
			fputs(b.data, stdout);
		}
		buf_free(&b);
		return 0;
	}
	c = config_new(prog);
	if (config_load(c, environ, err, sizeof(err)) == -1) {
		if (out && c->out.len > 0)
			fwrite(c->out.data, 1, c->out.len, stdout);
		fprintf(stderr, "helper config: %s\n", err);
		config_free(c);
		return 1;
	}
	if (out) {
		if (c->out.len > 0)
			fwrite(c->out.data, 1, c->out.len, stdout);
	} else if (json) {
		zlog_init(&z);
		config_show(c, &z);
	} else if (der)
		derived(c, reveal, maxage);
	else if (!verbose) {
		config_dump(c, reveal, &b);
		fputs(b.data != NULL ? b.data : "", stdout);
	} else {
		for (j = 0; j < c->nv; j++) {
			buf_reset(&b);
			config_value_text(&c->v[j], reveal, &b);
			printf("%s=%s [%s]%s\n", c->v[j].key->name,
			    b.data != NULL ? b.data : "", srcs[c->v[j].source],
			    c->v[j].known ? " known" : "");
		}
	}
	if (fflush(stdout) == EOF)
		status = 1;
	buf_free(&b);
	config_free(c);
	return status;
}
