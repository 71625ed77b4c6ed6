/*
 * config: the configuration of the upstream programs, built the way they
 * build it (COMPAT.md 3 and 4), for the drop-in front ends
 * ccx-notification-writer and ccx-notification-service.
 *
 * config_load takes, lowest precedence first:
 *
 *  1. the file: the one CCX_NOTIFICATION_WRITER_CONFIG_FILE (or
 *     ..._SERVICE_CONFIG_FILE) names, even empty, which must exist, its
 *     extension replaced by the first of json, toml, yaml, yml, ...
 *     that does; without the variable config.EXT in the working
 *     directory, when there is one.  TOML, JSON and YAML are read
 *     (yml.h); the other formats viper knows are refused.  Names are
 *     case-insensitive; unknown sections and keys are ignored.
 *  2. the environment: CCX_NOTIFICATION_WRITER__SECTION__KEY (or
 *     CCX_NOTIFICATION_SERVICE__...), exact upper-case names, for the keys
 *     that exist in the loaded configuration only: with a file the keys
 *     present in it, without one every key but the lists.  An empty
 *     variable counts as unset.
 *  3. the conversion of what 1 or 2 gave to each key's type, as viper's
 *     weakly typed decoding does (COMPAT 3.2).
 *  4. Clowder: when ACG_CONFIG is set and names a valid file, its
 *     database, brokers, SASL settings, CA and topic mapping override
 *     the storage and broker keys.
 *
 * Nothing here logs.  Error messages never quote a secret's value, and
 * the -show-configuration records leave secrets out.  Out of memory is
 * fatal (EX_OSERR); asking for a key that is not in the table, or with
 * the wrong type, is a bug (EX_SOFTWARE).
 */
#ifndef CCX_CONFIG_H
#define CCX_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct zlog;

enum config_prog { CONFIG_WRITER, CONFIG_SERVICE };

enum config_type {
	CONFIG_STRING,		/* verbatim */
	CONFIG_BOOL,
	CONFIG_INT,		/* 64 bits */
	CONFIG_DURATION,	/* Go's time.Duration: nanoseconds */
	CONFIG_INTERVAL,	/* a PostgreSQL interval, kept as text */
	CONFIG_LIST		/* strings */
};

/* Flags of a key. */
#define CONFIG_SECRET	0x1	/* never shown, never in a message */
#define CONFIG_UNUSED	0x2	/* accepted as upstream does, not used */

struct config_key {
	const char	*name;		/* "section.key", lower case */
	int		 type;		/* enum config_type */
	int		 flags;
	/* The value in upstream's config.toml (COMPAT 3.3, 3.4) as TOML
	 * text; NULL when that file has no such key, or an example only. */
	const char	*shipped;
};

/* The keys of one program, in COMPAT's order, sections together. */
const struct config_key	*config_keys(int prog, size_t *n);

enum config_source { CONFIG_ZERO, CONFIG_FILE, CONFIG_ENV, CONFIG_CLOWDER };

struct config_value {
	const struct config_key	*key;
	int		 source;	/* enum config_source */
	int		 known;		/* the environment may set it */
	char		*s;		/* STRING, INTERVAL; NULL means "" */
	int64_t		 i;		/* BOOL (0 or 1), INT, DURATION */
	char		**list;		/* LIST: nlist strings */
	size_t		 nlist;
};

/* Treat the members as read-only; the functions below give the values. */
struct config {
	int		 prog;		/* enum config_prog */
	struct config_value *v;		/* one per key, in table order */
	size_t		 nv;
	/* The "filename" upstream logs with "parsing configuration file":
	 * the variable's value, or "config". */
	char		*file_arg;
	char		*file;		/* the file read; NULL: none */
	int		 clowder;	/* ACG_CONFIG loaded and applied */
	/* What upstream prints on stdout while loading (the Clowder
	 * lines), byte for byte; the front end prints it, loaded or not. */
	struct buf	 out;
	char		*ca_file;	/* Clowder's CA, written here */
	pid_t		 ca_pid;	/* the process that removes it */
};

/* A configuration of prog with every key at its zero value. */
struct config	*config_new(int prog);
/* Releases c; removes the CA file when called by the process that wrote
 * it (not by a forked child); wipes the secrets. */
void		 config_free(struct config *c);

/*
 * Loads the configuration from the file, envp (an environ-style array)
 * and Clowder.  Returns 0; or -1 with the message of upstream's "Load
 * configuration" failure in err (a file not found is upstream's
 * 'Config File "NAME" Not Found in "[DIR]"').  c->out is filled either
 * way; after a failure only config_free may follow.
 */
int	config_load(struct config *c, char *const *envp, char *err,
	    size_t errsize);

/* The values; the returned pointers live as long as c. */
const struct config_value *config_get(const struct config *c,
	    const char *name);
const char	*config_str(const struct config *c, const char *name);
int		 config_bool(const struct config *c, const char *name);
int64_t		 config_int(const struct config *c, const char *name);
int64_t		 config_duration(const struct config *c, const char *name);
char *const	*config_list(const struct config *c, const char *name,
		    size_t *n);

/*
 * One value as text: strings with \\, \n, \r, \t and other control bytes
 * escaped (\xHH), booleans true and false, durations as Go prints them
 * (1m0s), lists as JSON arrays.  A secret that is not empty is "***"
 * unless reveal is set.
 */
void	config_value_text(const struct config_value *v, int reveal,
	    struct buf *out);
/* "name=value\n" for every key, in table order (config_value_text). */
void	config_dump(const struct config *c, int reveal, struct buf *out);
/* Upstream's config.toml as the table has it (keys with a shipped
 * value): what the service image ships, and test data. */
void	config_shipped_toml(int prog, struct buf *out);

/*
 * -show-configuration (COMPAT 3.6): one info record per section, with
 * upstream's messages, field names and types, through z.  No password,
 * secret, token, SASL credential, tracker, CloudWatch or Sentry value.
 */
void	config_show(const struct config *c, const struct zlog *z);

/* Go's parsing, as upstream applies it to a variable or a TOML string:
 * strconv.ParseBool, strconv.ParseInt(s, 0, 64), time.ParseDuration.
 * Each returns 0, or -1 with a message in err. */
int	config_parse_bool(const char *s, int *b);
int	config_parse_int(const char *s, int64_t *i, char *err, size_t errsize);
int	config_parse_duration(const char *s, int64_t *ns, char *err,
	    size_t errsize);
/* Go's Duration.String(): 0s, 1.5ms, 1m0s, 1h30m0s. */
void	config_duration_text(int64_t ns, struct buf *out);

/*
 * Derived values (COMPAT 3.5).
 *
 * config_conninfo: the libpq conninfo of section ("storage" or
 * "aggregator_storage") without the password, which goes to password
 * (the pg_password, or a password given in pg_params): host, port (when
 * not 0), dbname, user, then each pair of pg_params (a URL query,
 * percent-decoded; the first of a repeated keyword counts), sslmode
 * 'require' when pg_params has none.  Returns 0, or -1 with a message.
 */
int	config_conninfo(const struct config *c, const char *section,
	    struct buf *conninfo, struct buf *password, char *err,
	    size_t errsize);
/*
 * config_kafka_props: the librdkafka properties of the program's broker
 * section (broker or kafka_broker), "key=value" lines for a 0600 property
 * file: security.protocol, ssl.ca.location, sasl.mechanism,
 * sasl.username, sasl.password (a secret: never log the text),
 * api.version.request.  Returns 0, or -1 when a value cannot be written
 * in such a file (a line break, white space at either end).
 */
int	config_kafka_props(const struct config *c, struct buf *props,
	    char *err, size_t errsize);
/* The content service URL: server + endpoint, "http://" in front unless
 * it starts with "http". */
void	config_content_url(const struct config *c, struct buf *url);

struct config_renderer {
	struct buf	 server;	/* scheme://host, for --renderer-url */
	struct buf	 endpoint;	/* path[?query], for --renderer-endpoint */
	struct buf	 url;		/* the whole URL, as Go prints it */
	struct buf	 error;		/* when not usable: the error of each
					 * call, 'Post "URL": ...' */
};
/*
 * config_renderer: the template renderer's URL, Go's url.Parse of the
 * server with path.Join of the endpoint.  Returns 0 when usable (an http
 * or https URL with a host), 1 when every call would fail (no scheme, as
 * the shipped localhost:8083: r->error says how), -1 with a message in
 * err when the server does not parse (":8083").  r is initialised here;
 * release it with config_renderer_free.
 */
int	config_renderer(const struct config *c, struct config_renderer *r,
	    char *err, size_t errsize);
void	config_renderer_free(struct config_renderer *r);

/* The zlog level (zlog.h) of logging.log_level as upstream reads it:
 * trimmed, any case, debug info warn warning error fatal; else debug. */
int	config_log_level(const struct config *c);
/* 1 when an interval (a cooldown) disables: blank, or its first word
 * is "0". */
int	config_interval_disabled(const char *interval);
/* The section's event_filter, EVFILTER_DEFAULT when empty. */
const char *config_event_filter(const struct config *c,
	    const char *section);
/* The max age of the cleanup operations: the -max-age flag when not
 * empty; else the writer's "7 days", or the service's cleaner.max_age
 * ("90 days" when that is empty too). */
const char *config_max_age(const struct config *c, const char *flag);

#endif
