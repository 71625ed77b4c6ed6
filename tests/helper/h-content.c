/*
 * helper content: drives common/content.c and common/http.c for t0300.
 *
 *	helper content [-t MS] SOURCE
 *	helper content [-t MS] --json SOURCE
 *	helper content --mutate FILE [STRIDE]
 *	helper content --http [-t MS] [-m MAX] [-H LINE]... [-d BODY]
 *	    [-r HEADER] METHOD URL
 *
 * SOURCE is a URL when it contains "://" (content_fetch, with total
 * timeout MS), else a file name.  The first form prints "rules N" and then,
 * for each rule in name order and each of its error keys in order,
 * "RULE KEY likelihood=N impact=N tags=a,b description=TEXT" (a rule
 * without keys gives "RULE -"; newlines in TEXT are shown as \n).  --json
 * prints the decoded tree as JSON with sorted keys.  --mutate decodes every
 * proper prefix of FILE (each must fail with a message) and a set of one-byte
 * mutations of every STRIDE-th byte (default 1) of it (each must decode or
 * fail with a message), in process, and prints the counts.  --http performs one request and prints
 * "status N", the header asked for with -r, and the body.  Exit status:
 * 0, EX_UNAVAILABLE (fetch), EX_DATAERR (decode), 1 (check failed) or
 * EX_USAGE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "content.h"
#include "http.h"
#include "json-put.h"
#include "slurp.h"

int	helper_content(int, char **);

static int	load(const char *, long, struct content *);
static void	dump(const struct content *);
static int	mutate(const char *, size_t);
static int	do_http(int, char **);

static int
load(const char *src, long timeout_ms, struct content *c)
{
	char err[1024];
	int r;

	if (strstr(src, "://") != NULL)
		r = content_fetch(src, timeout_ms, c, err, sizeof(err));
	else
		r = content_load_file(c, src, err, sizeof(err));
	if (r == 0)
		return 0;
	fprintf(stderr, "helper: unable to load content from %s: %s\n", src,
	    err);
	return r == CONTENT_EFETCH ? EX_UNAVAILABLE : EX_DATAERR;
}

static void
dump(const struct content *c)
{
	const struct content_rule *rule;
	const struct content_key *keys;
	const char *s;
	size_t nkeys, i, j, k = 0;

	keys = content_keys(c, &nkeys);
	printf("rules %zu\n", content_nrules(c));
	for (i = 0; i < content_nrules(c); i++) {
		rule = content_rule_at(c, i);
		if (k == nkeys || strcmp(keys[k].rule, rule->name) != 0) {
			printf("%s -\n", rule->name);
			continue;
		}
		for (; k < nkeys && strcmp(keys[k].rule, rule->name) == 0;
		    k++) {
			printf("%s %s likelihood=%d impact=%d tags=", rule->name,
			    keys[k].error_key, keys[k].likelihood,
			    keys[k].impact);
			for (j = 0; j < keys[k].ntags; j++)
				printf("%s%s", j > 0 ? "," : "",
				    keys[k].tags[j]);
			printf(" description=");
			for (s = keys[k].description; *s != '\0'; s++)
				if (*s == '\n')
					fputs("\\n", stdout);
				else
					putchar(*s);
			putchar('\n');
		}
	}
}

static int
mutate(const char *path, size_t stride)
{
	static const int xors[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40,
	    0x80, 0xff };
	static const int sets[] = { 0x00, 0x01, 0x7f, 0x80, 0xf8, 0xff };
	struct content c;
	struct buf b;
	char err[1024], *m, *p;
	size_t i, j, nok = 0, nfail = 0;
	int bad = 0, r, v;

	buf_init(&b);
	if (slurp(path, &b) == -1) {
		perror(path);
		return EX_NOINPUT;
	}
	/* Exact sizes, so that ASan sees a read of even one byte more. */
	if ((m = malloc(b.len > 0 ? b.len : 1)) == NULL) {
		perror("helper");
		return EX_OSERR;
	}
	for (i = 0; i < b.len; i++) {
		if ((p = malloc(i > 0 ? i : 1)) == NULL) {
			perror("helper");
			return EX_OSERR;
		}
		memcpy(p, b.data, i);
		err[0] = '\0';
		if (content_load(&c, p, i, err, sizeof(err)) == 0) {
			printf("prefix %zu decoded\n", i);
			bad = 1;
			content_free(&c);
		} else if (err[0] == '\0') {
			printf("prefix %zu failed without a message\n", i);
			bad = 1;
		}
		free(p);
	}
	printf("prefixes %zu\n", b.len);
	for (i = 0; i < b.len; i += stride)
		for (j = 0; j < sizeof(xors) / sizeof(xors[0]) +
		    sizeof(sets) / sizeof(sets[0]); j++) {
			memcpy(m, b.data, b.len);
			v = j < sizeof(xors) / sizeof(xors[0]) ?
			    (unsigned char)m[i] ^ xors[j] :
			    sets[j - sizeof(xors) / sizeof(xors[0])];
			m[i] = (char)v;
			err[0] = '\0';
			r = content_load(&c, m, b.len, err, sizeof(err));
			if (r == 0) {
				nok++;
				content_free(&c);
			} else if (err[0] == '\0') {
				printf("mutation %zu/%d failed without a "
				    "message\n", i, v);
				bad = 1;
			} else
				nfail++;
		}
	printf("mutations %zu\n", nok + nfail);
	fprintf(stderr, "mutations: %zu decoded, %zu rejected\n", nok, nfail);
	free(m);
	buf_free(&b);
	return bad;
}

static int
do_http(int argc, char **argv)
{
	const char *hdrs[17], *body = NULL, *want = NULL;
	struct http h;
	struct http_response r;
	char err[1024], val[1024];
	int nh = 0, i, ret = 0;
	long tmo = 0, max = 0;

	for (i = 0; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-t") == 0)
			tmo = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "-m") == 0)
			max = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "-H") == 0 && nh < 16)
			hdrs[nh++] = argv[i + 1];
		else if (strcmp(argv[i], "-d") == 0)
			body = argv[i + 1];
		else if (strcmp(argv[i], "-r") == 0)
			want = argv[i + 1];
		else
			return EX_USAGE;
	}
	hdrs[nh] = NULL;
	if (argc - i != 2)
		return EX_USAGE;
	if (http_init(&h, err, sizeof(err)) == -1) {
		fprintf(stderr, "helper: %s\n", err);
		return EX_SOFTWARE;
	}
	if (tmo > 0)
		h.timeout_ms = tmo;
	if (max > 0)
		h.max_body = (size_t)max;
	http_response_init(&r);
	/* Twice, to exercise the reuse of the handle. */
	if (http_request(&h, argv[i], argv[i + 1], hdrs, body,
	    body ? strlen(body) : 0, &r, err, sizeof(err)) == -1 ||
	    http_request(&h, argv[i], argv[i + 1], hdrs, body,
	    body ? strlen(body) : 0, &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "helper: %s\n", err);
		ret = EX_UNAVAILABLE;
	} else {
		printf("status %ld\n", r.status);
		if (want != NULL && http_response_header(&r, want, val,
		    sizeof(val)) == 0)
			printf("%s: %s\n", want, val);
		fwrite(r.body.data ? r.body.data : "", 1, r.body.len, stdout);
	}
	http_response_free(&r);
	http_free(&h);
	return ret;
}

int
helper_content(int argc, char **argv)
{
	struct content c;
	struct buf b;
	long tmo = 0;
	int json = 0, r, i = 1;

	if (argc > 1 && strcmp(argv[1], "--http") == 0)
		return do_http(argc - 2, argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--mutate") == 0)
		return mutate(argv[2], argc == 4 && atoi(argv[3]) > 0 ?
		    (size_t)atoi(argv[3]) : 1);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			tmo = strtol(argv[++i], NULL, 10);
		else
			break;
	}
	if (argc - i != 1) {
		fprintf(stderr, "usage: helper content [-t ms] [--json] "
		    "file|url\n");
		return EX_USAGE;
	}
	if ((r = load(argv[i], tmo, &c)) != 0)
		return r;
	if (json) {
		buf_init(&b);
		json_put(&b, content_root(&c), JSON_PUT_SORTED);
		buf_putc(&b, '\n');
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
	} else
		dump(&c);
	content_free(&c);
	return fflush(stdout) == 0 ? 0 : 1;
}
