#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pg.h"
#include "redact.h"

/* A secret of a conninfo string: conninfo[a..b). */
struct span {
	size_t	a, b;
};

#define MAX_SPANS	8

static size_t	secret_spans(const char *, struct span *);
static size_t	keyword_spans(const char *, struct span *);
static int	overlaps(const char *, const char *, size_t,
		    const struct span *, size_t);
static void	mask_conninfo(const char *, char *, size_t);
static const char *find_line(const char *, const char *, const char *,
		    const char **);
static const char *tls_hint(const char *);

void
pg_errmsg(PGconn *conn, char *err, size_t errsz)
{
	size_t n;

	strlcpy(err, conn ? PQerrorMessage(conn) : "out of memory", errsz);
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
	/* Keep only the first line: libpq adds detail lines we log apart. */
	if (strchr(err, '\n') != NULL)
		*strchr(err, '\n') = '\0';
	redact_text(err, errsz);
}

/* Server notices (NOTICE, INFO) are for the debug log only. */
static void
notice(void *arg, const char *msg)
{
	size_t n = strlen(msg);

	(void)arg;
	while (n > 0 && msg[n - 1] == '\n')
		n--;
	log_debug("server: %.*s", (int)n, msg);
}

PGconn *
pg_connect(const char *conninfo, const char *appname, char *err, size_t errsz)
{
	return pg_connect_perm(conninfo, appname, NULL, err, errsz);
}

PGconn *
pg_connect_perm(const char *conninfo, const char *appname, int *permanent,
    char *err, size_t errsz)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo ? conninfo : "", appname, NULL };
	const char *user, *line = "";
	char detail[1024];
	PGconn *conn;
	int cls = PG_TRANSIENT;

	if (permanent != NULL)
		*permanent = PG_TRANSIENT;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		if (conn != NULL)
			cls = pg_connfail(conninfo, PQerrorMessage(conn), &line);
		if (cls != PG_TRANSIENT) {
			/* The line that says why, not the first attempt's. */
			snprintf(detail, sizeof(detail), "%.*s",
			    (int)strcspn(line, "\n"), line);
			redact_text(detail, sizeof(detail));
		} else
			pg_errmsg(conn, detail, sizeof(detail));
		mask_conninfo(conninfo, detail, sizeof(detail));
		user = conn != NULL ? PQuser(conn) : NULL;
		if (cls == PG_PERM_AUTH)
			snprintf(err, errsz, "authentication failed for user "
			    "\"%s\" (permanent: fix the credentials): %s",
			    user != NULL ? user : "", detail);
		else if (cls == PG_PERM_CONFIG)
			snprintf(err, errsz, "%s (permanent: fix the "
			    "connection settings)", detail);
		else
			snprintf(err, errsz, "%s%s", detail, tls_hint(detail));
		if (permanent != NULL)
			*permanent = cls;
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice, NULL);
	if (pg_exec(conn, "SET TimeZone = 'UTC'", err, errsz) == -1) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int
pg_exec(PGconn *conn, const char *sql, char *err, size_t errsz)
{
	PGresult *res = PQexec(conn, sql);
	int st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_errmsg(conn, err, errsz);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

const char *
pg_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

int
pg_transient(const PGresult *res, PGconn *conn)
{
	const char *s = pg_sqlstate(res);

	if (conn != NULL && PQstatus(conn) != CONNECTION_OK)
		return 1;
	if (*s == '\0')
		return 1;		/* no server answer: connection trouble */
	if (strncmp(s, "08", 2) == 0 ||	/* connection exception */
	    strncmp(s, "53", 2) == 0 ||	/* insufficient resources */
	    strncmp(s, "57P", 3) == 0 ||	/* admin/crash shutdown, cannot connect now */
	    strcmp(s, "40001") == 0 ||	/* serialization failure */
	    strcmp(s, "40P01") == 0 ||	/* deadlock */
	    strcmp(s, "55P03") == 0 ||	/* lock not available */
	    strcmp(s, "58000") == 0 || strcmp(s, "58030") == 0)	/* system, io */
		return 1;
	return 0;
}

int
pg_connfail(const char *conninfo, const char *msg, const char **line)
{
	static const char *const auth[] = {
		"authentication failed for user",	/* 28P01, 28000 */
		"no password supplied",			/* libpq */
		"no pg_hba.conf entry",			/* 28000 */
		"pg_hba.conf rejects connection",	/* 28000 */
		"is not permitted to log in",		/* 28000 */
		"permission denied for database",	/* 42501 */
		NULL
	};
	const char *p, *dummy;
	PQconninfoOption *opts;
	char *perr = NULL;
	size_t i;

	if (line == NULL)
		line = &dummy;
	*line = msg;
	for (i = 0; auth[i] != NULL; i++)
		if ((p = strstr(msg, auth[i])) != NULL) {
			while (p > msg && p[-1] != '\n')
				p--;
			*line = p;
			return PG_PERM_AUTH;
		}
	if ((p = find_line(msg, "role \"", "\" does not exist", line)) != NULL)
		return PG_PERM_AUTH;			/* 28000 */
	if ((p = find_line(msg, "database \"", "\" does not exist",
	    line)) != NULL)
		return PG_PERM_CONFIG;			/* 3D000 */
	/* A conninfo libpq cannot parse, an option value it refuses. */
	if (conninfo != NULL && (strchr(conninfo, '=') != NULL ||
	    strncmp(conninfo, "postgresql://", 13) == 0 ||
	    strncmp(conninfo, "postgres://", 11) == 0)) {
		if ((opts = PQconninfoParse(conninfo, &perr)) == NULL) {
			PQfreemem(perr);
			return PG_PERM_CONFIG;
		}
		PQconninfoFree(opts);
	}
	if (strncmp(msg, "invalid ", 8) == 0)
		return PG_PERM_CONFIG;
	return PG_TRANSIENT;
}

/* What to check when libpq's first line is about the server's certificate. */
static const char *
tls_hint(const char *msg)
{
	if (strstr(msg, "certificate verify failed") != NULL)
		return " (is sslrootcert the CA that signed the server's "
		    "certificate?)";
	if (strstr(msg, "does not match host name") != NULL)
		return " (sslmode=verify-full: the certificate must name the "
		    "host of the conninfo)";
	if (strstr(msg, "root certificate file") != NULL)
		return " (sslmode verify-ca and verify-full need sslrootcert, "
		    "the CA that signed the server's certificate)";
	return "";
}

/*
 * The first line of msg holding a then b; returns where a starts (and
 * sets *line to that line), or NULL.
 */
static const char *
find_line(const char *msg, const char *a, const char *b, const char **line)
{
	const char *p, *nl, *q;

	for (p = msg; (p = strstr(p, a)) != NULL; p++) {
		nl = p + strcspn(p, "\n");
		if ((q = strstr(p + strlen(a), b)) != NULL && q < nl) {
			for (*line = p; *line > msg && (*line)[-1] != '\n';
			    (*line)--)
				;
			return p;
		}
	}
	return NULL;
}

/*
 * libpq quotes bits of a conninfo it cannot parse: a token of a password
 * with a blank, a percent-encoded token, the part before an unencoded '/'
 * taken for a port.  Masks in err each secret of conninfo (4 bytes or
 * more) and each quoted fragment that is, wherever it stands in conninfo,
 * part of a secret.
 */
static void
mask_conninfo(const char *ci, char *err, size_t errsz)
{
	struct span sp[MAX_SPANS];
	const char *o;
	char *p, *q;
	size_t n, i, len;
	int round;

	if (ci == NULL || (n = secret_spans(ci, sp)) == 0)
		return;
	for (i = 0; i < n; i++)
		if (sp[i].b - sp[i].a >= 4)
			redact_value(err, errsz, ci + sp[i].a, sp[i].b - sp[i].a);
	for (round = 0; round < 32; round++) {
		for (p = err; (p = strchr(p, '"')) != NULL; p = q + 1) {
			if ((q = strchr(p + 1, '"')) == NULL)
				return;
			len = (size_t)(q - p - 1);
			if (len == 0 || (len == sizeof(REDACT_MASK) - 1 &&
			    memcmp(p + 1, REDACT_MASK, len) == 0))
				continue;
			if ((o = memmem(ci, strlen(ci), p + 1, len)) != NULL &&
			    overlaps(ci, p + 1, len, sp, n)) {
				redact_value(err, errsz, o, len);
				break;
			}
		}
		if (p == NULL)
			return;
	}
}

/* Some occurrence of f[0..len) in ci overlaps one of the spans. */
static int
overlaps(const char *ci, const char *f, size_t len, const struct span *sp,
    size_t n)
{
	const char *o;
	size_t i, a, cilen = strlen(ci);

	for (o = ci; (o = memmem(o, cilen - (size_t)(o - ci), f, len)) != NULL;
	    o++) {
		a = (size_t)(o - ci);
		for (i = 0; i < n; i++)
			if (a < sp[i].b && a + len > sp[i].a)
				return 1;
	}
	return 0;
}

/*
 * The secrets of a conninfo: in a URI, the password of the userinfo (up
 * to the last '@' before the query) and secret query parameters; in the
 * keyword form, the values of secret keywords.  Returns their number.
 */
static size_t
secret_spans(const char *ci, struct span *sp)
{
	const char *start, *q, *at, *colon, *p, *eq, *e;
	size_t n = 0;

	if ((start = strstr(ci, "://")) == NULL ||
	    (strncmp(ci, "postgresql://", 13) != 0 &&
	    strncmp(ci, "postgres://", 11) != 0))
		return keyword_spans(ci, sp);
	start += 3;
	q = start + strcspn(start, "?");
	if ((at = memrchr(start, '@', (size_t)(q - start))) != NULL &&
	    (colon = memchr(start, ':', (size_t)(at - start))) != NULL &&
	    at > colon + 1) {
		sp[n].a = (size_t)(colon + 1 - ci);
		sp[n++].b = (size_t)(at - ci);
	}
	for (p = q; *p != '\0' && n < MAX_SPANS; p = *e != '\0' ? e + 1 : e) {
		p += *p == '?';
		e = p + strcspn(p, "&");
		if ((eq = memchr(p, '=', (size_t)(e - p))) != NULL &&
		    redact_is_secret_key(p, (size_t)(eq - p)) && e > eq + 1) {
			sp[n].a = (size_t)(eq + 1 - ci);
			sp[n++].b = (size_t)(e - ci);
		}
	}
	return n;
}

/*
 * keyword = value ...: an unquoted secret value runs on over the words
 * that follow it up to the next "keyword =", as a password with a blank
 * in it was meant to.
 */
static size_t
keyword_spans(const char *ci, struct span *sp)
{
	const char *p = ci, *k, *ke, *v, *e, *w, *we;
	size_t n = 0;

	while (n < MAX_SPANS) {
		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			break;
		k = p;
		ke = k + strcspn(k, "= \t\r\n");
		p = ke + strspn(ke, " \t\r\n");
		if (*p != '=')
			break;
		v = ++p;
		v += strspn(v, " \t\r\n");
		if (*v == '\'') {
			for (e = v + 1; *e != '\0' && *e != '\''; e++)
				if (*e == '\\' && e[1] != '\0')
					e++;
			p = *e != '\0' ? e + 1 : e;
			v++;
		} else {
			e = v + strcspn(v, " \t\r\n");
			for (;;) {
				w = e + strspn(e, " \t\r\n");
				we = w + strcspn(w, "= \t\r\n");
				if (we == w || we[strspn(we, " \t\r\n")] == '=' ||
				    !redact_is_secret_key(k, (size_t)(ke - k)))
					break;
				e = we;
			}
			p = e;
		}
		if (redact_is_secret_key(k, (size_t)(ke - k)) && e > v) {
			sp[n].a = (size_t)(v - ci);
			sp[n++].b = (size_t)(e - ci);
		}
	}
	return n;
}
