/*
 * fuzz-config: config_load (common/config.c) on a fuzzed file, environment
 * and Clowder file, for both programs, then everything that reads a
 * loaded configuration.
 *
 * Input: the configuration file (TOML; JSON when it starts with '{'), then
 * optionally a NUL byte and environment lines, then optionally a NUL byte
 * and the ACG_CONFIG file.  An environment line "NAME=VALUE" is taken as
 * it is; ".section.key=VALUE" becomes both programs' variable for that
 * key, so that the fuzzer reaches the known keys easily.
 *
 * Checked: a failure has a message and success none; loading twice gives
 * the same values; the dump masks every non-empty secret; no secret of
 * eight bytes or more appears in the -show-configuration records unless
 * it appears in what they show anyway; the derived values, the renderer
 * included, come back without a crash or a leak; the Clowder CA file is
 * gone after config_free.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "fuzz.h"
#include "zlog.h"

#define MAXENV	64

static char	dir[PATH_MAX];

static void	remove_dir(void);
static void	write_file(const char *, const uint8_t *, size_t);
static void	add_env(struct buf *, const char *, size_t);
static char	*show(const struct config *);
static void	check(int, char *const *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/ccx-fuzz-config.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	return 0;
}

/* Each input's files are removed after it: the directory is empty. */
static void
remove_dir(void)
{
	(void)rmdir(dir);
}

static void
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, fp) != n)
		abort();
	if (fclose(fp) != 0)
		abort();
}

/* One environment line into env (entries separated by NUL). */
static void
add_env(struct buf *env, const char *s, size_t n)
{
	static const char *const prefixes[] = { "CCX_NOTIFICATION_WRITER__",
	    "CCX_NOTIFICATION_SERVICE__" };
	const char *eq = memchr(s, '=', n), *p;
	size_t j;

	if (eq == NULL || memchr(s, '\0', n) != NULL)
		return;
	if (s[0] != '.') {
		buf_add(env, s, n);
		buf_putc(env, '\0');
		return;
	}
	for (j = 0; j < 2; j++) {
		buf_puts(env, prefixes[j]);
		for (p = s + 1; p < eq; p++) {
			if (*p == '.')
				buf_puts(env, "__");
			else
				buf_putc(env, *p >= 'a' && *p <= 'z' ?
				    *p - 'a' + 'A' : *p);
		}
		buf_add(env, eq, (size_t)(s + n - eq));
		buf_putc(env, '\0');
	}
}

/* The -show-configuration records as text (the caller frees it). */
static char *
show(const struct config *c)
{
	struct zlog z;
	char *text = NULL;
	size_t len = 0;

	zlog_init(&z);
	z.color = 0;
	if ((z.out = open_memstream(&text, &len)) == NULL)
		abort();
	config_show(c, &z);
	z.console = 1;
	config_show(c, &z);
	if (fclose(z.out) != 0)
		abort();
	return text;
}

static void
check(int prog, char *const *envp)
{
	struct config *c, *c2;
	struct config_renderer r;
	struct buf d1, d2, t, pw;
	char err[1024], err2[1024], *shown, *fixed, *ca = NULL;
	struct config *zero;
	size_t j;
	int rc, rc2;

	c = config_new(prog);
	memset(err, 'x', sizeof(err));
	rc = config_load(c, envp, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "unterminated");
	c2 = config_new(prog);
	rc2 = config_load(c2, envp, err2, sizeof(err2));
	FUZZ_ASSERT(rc == rc2, "two loads: %d, then %d", rc, rc2);
	if (rc == -1) {
		FUZZ_ASSERT(err[0] != '\0', "a failure without a message");
		FUZZ_ASSERT(strcmp(err, err2) == 0, "%s, then %s", err, err2);
		config_free(c);
		config_free(c2);
		return;
	}
	FUZZ_ASSERT(rc == 0 && err[0] == '\0', "%d: %s", rc, err);
	buf_init(&d1);
	buf_init(&d2);
	buf_init(&t);
	buf_init(&pw);
	/* The same but for the name of the CA file each load writes. */
	for (j = 0; j < c->nv; j++) {
		if (c->v[j].source == CONFIG_CLOWDER &&
		    strstr(c->v[j].key->name, ".cert_path") != NULL)
			continue;
		config_value_text(&c->v[j], 1, &d1);
		config_value_text(&c2->v[j], 1, &d2);
		buf_putc(&d1, '\n');
		buf_putc(&d2, '\n');
	}
	FUZZ_ASSERT(d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0,
	    "two loads differ:\n%s\n--\n%s", d1.data, d2.data);
	FUZZ_ASSERT(c->out.len == c2->out.len && (c->out.len == 0 ||
	    memcmp(c->out.data, c2->out.data, c->out.len) == 0),
	    "stdout differs");
	config_free(c2);

	/* Masked: every non-empty secret is "***" in the dump. */
	buf_reset(&d1);
	buf_putc(&d1, '\n');
	config_dump(c, 0, &d1);
	zero = config_new(prog);
	fixed = show(zero);
	shown = show(c);
	for (j = 0; j < c->nv; j++) {
		const struct config_value *v = &c->v[j];

		if (!(v->key->flags & CONFIG_SECRET) || v->s == NULL ||
		    *v->s == '\0')
			continue;
		buf_reset(&t);
		buf_printf(&t, "\n%s=***\n", v->key->name);
		FUZZ_ASSERT(strstr(d1.data, t.data) != NULL, "%s not masked",
		    v->key->name);
		if (strlen(v->s) >= 8 && strstr(d1.data, v->s) == NULL &&
		    strstr(fixed, v->s) == NULL)
			FUZZ_ASSERT(strstr(shown, v->s) == NULL, "the secret "
			    "of %s is shown", v->key->name);
	}
	free(shown);
	free(fixed);
	config_free(zero);

	/* The derived values. */
	(void)config_conninfo(c, "storage", &t, &pw, err, sizeof(err));
	if (prog == CONFIG_SERVICE)
		(void)config_conninfo(c, "aggregator_storage", &t, &pw, err,
		    sizeof(err));
	(void)config_kafka_props(c, &t, err, sizeof(err));
	(void)config_log_level(c);
	(void)config_max_age(c, NULL);
	if (prog == CONFIG_SERVICE) {
		config_content_url(c, &t);
		rc = config_renderer(c, &r, err, sizeof(err));
		FUZZ_ASSERT(rc >= -1 && rc <= 1, "renderer %d", rc);
		if (rc == 1)
			FUZZ_ASSERT(r.error.len > 0, "unusable, no error");
		if (rc == 0)
			FUZZ_ASSERT(strncmp(r.server.data, "http", 4) == 0,
			    "renderer %s", r.server.data);
		config_renderer_free(&r);
		(void)config_event_filter(c, "kafka_broker");
		(void)config_interval_disabled(config_str(c,
		    "service_log.cooldown"));
	}
	if (c->ca_file != NULL && (ca = strdup(c->ca_file)) == NULL)
		abort();
	config_free(c);
	if (ca != NULL) {
		FUZZ_ASSERT(access(ca, F_OK) == -1, "%s left behind", ca);
		free(ca);
	}
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&t);
	buf_free(&pw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *env = NULL, *acg = NULL, *end = data + size, *p, *nl;
	char *envp[MAXENV + 8], path[PATH_MAX + 32], acgpath[PATH_MAX + 32];
	struct buf vars, fixed;
	size_t n, fsize, j, k = 0;
	int json;

	if ((p = memchr(data, '\0', size)) != NULL) {
		env = p + 1;
		if ((p = memchr(env, '\0', (size_t)(end - env))) != NULL)
			acg = p + 1;
	}
	fsize = env != NULL ? (size_t)(env - 1 - data) : size;
	json = fsize > 0 && data[0] == '{';
	snprintf(path, sizeof(path), "%s/config.%s", dir, json ? "json" :
	    "toml");
	write_file(path, data, fsize);
	buf_init(&vars);
	buf_init(&fixed);
	buf_printf(&fixed, "CCX_NOTIFICATION_WRITER_CONFIG_FILE=%s%c", path, 0);
	buf_printf(&fixed, "CCX_NOTIFICATION_SERVICE_CONFIG_FILE=%s%c", path, 0);
	buf_printf(&fixed, "TMPDIR=%s%c", dir, 0);
	if (acg != NULL) {
		snprintf(acgpath, sizeof(acgpath), "%s/acg.json", dir);
		write_file(acgpath, acg, (size_t)(end - acg));
		buf_printf(&fixed, "ACG_CONFIG=%s%c", acgpath, 0);
	}
	if (env != NULL) {
		const uint8_t *eend = acg != NULL ? acg - 1 : end;

		for (p = env; p < eend; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(eend - p))) == NULL)
				nl = eend;
			add_env(&vars, (const char *)p, (size_t)(nl - p));
		}
	}
	for (j = 0; j < fixed.len && k < 8; j += strlen(fixed.data + j) + 1)
		envp[k++] = fixed.data + j;
	for (j = 0; j < vars.len && k < MAXENV; j += n + 1) {
		n = strlen(vars.data + j);
		envp[k++] = vars.data + j;
	}
	envp[k] = NULL;
	check(CONFIG_WRITER, envp);
	check(CONFIG_SERVICE, envp);
	unlink(path);
	if (acg != NULL)
		unlink(acgpath);
	buf_free(&vars);
	buf_free(&fixed);
	return 0;
}
