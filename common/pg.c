#include <string.h>


#include "log.h"
#include "pg.h"

static void	redact(char *);

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
	redact(err);
}

/*
 * libpq quotes a URI it cannot parse, password and all: blank out what
 * stands between "scheme://user:" and "@".
 */
static void
redact(char *s)
{
	char *p, *at, *colon;

	for (p = s; (p = strstr(p, "://")) != NULL; p += 3) {
		if ((at = strchr(p + 3, '@')) == NULL)
			return;
		colon = memchr(p + 3, ':', (size_t)(at - (p + 3)));
		if (colon != NULL && at > colon + 1) {
			memset(colon + 1, '*', (size_t)(at - colon - 1));
			if (at - colon - 1 > 3)
				memmove(colon + 4, at, strlen(at) + 1);
		}
	}
	/* The keyword form: "password=..." up to the next blank. */
	for (p = s; (p = strstr(p, "password=")) != NULL; p += 9)
		for (at = p + 9; *at != '\0' && *at != ' ' && *at != '"' &&
		    *at != '\''; at++)
			*at = '*';
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
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo ? conninfo : "", appname, NULL };
	PGconn *conn;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		pg_errmsg(conn, err, errsz);
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
