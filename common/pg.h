/*
 * pg: PostgreSQL connections the way every program wants them.
 *
 * pg_connect takes a conninfo string or URI (NULL or "" = libpq defaults,
 * i.e. the PG* environment and ~/.pgpass), names the application, and sets
 * the session time zone to UTC (Contract B).  It returns the connection, or
 * NULL with the reason in err.  The caller owns the connection (PQfinish).
 * No message of this module shows a password: libpq's texts go through
 * redact_text, and what libpq quotes of a conninfo it cannot parse is
 * masked where it is part of a secret.
 */
#ifndef CCX_PG_H
#define CCX_PG_H

#include <stddef.h>
#include <libpq-fe.h>

PGconn	*pg_connect(const char *conninfo, const char *appname, char *err,
	    size_t errsz);

/* What a failed connection attempt means (pg_connect_perm, pg_connfail). */
enum {
	PG_TRANSIENT = 0,	/* server down, network, TLS, DNS: retry */
	PG_PERM_AUTH = 1,	/* login refused: credentials, pg_hba.conf */
	PG_PERM_CONFIG = 2	/* no such database, conninfo unparsable */
};

/*
 * pg_connect, and when it fails *permanent says whether trying again can
 * help: PG_PERM_AUTH when the server refused the login (a wrong or
 * missing password, an unknown role or one without LOGIN, no or a reject
 * pg_hba.conf entry, no CONNECT privilege: SQLSTATE 28P01, 28000, 42501),
 * PG_PERM_CONFIG when the database does not exist (3D000) or libpq cannot
 * parse the conninfo or refuses an option value; PG_TRANSIENT (0) for
 * anything else.  On a permanent failure err reads
 *	authentication failed for user "U" (permanent: fix the credentials): ...
 *	... (permanent: fix the connection settings)
 * and the caller should exit EX_CONFIG; permanent may be NULL.  libpq
 * gives connection failures as text only (no SQLSTATE), so they are
 * recognised by the English texts of libpq and the server: a server
 * answering in another language looks transient.  A failure about the
 * server's certificate gets a hint of what to check (sslrootcert, the
 * host name) after libpq's text.
 */
PGconn	*pg_connect_perm(const char *conninfo, const char *appname,
	    int *permanent, char *err, size_t errsz);
/* The PG_* class of libpq's connection failure text msg for conninfo
 * (may be NULL); *line (if line is not NULL) gets the line that says so. */
int	pg_connfail(const char *conninfo, const char *msg, const char **line);
/* The SQLSTATE of res, or "" when there is none (connection lost). */
const char *pg_sqlstate(const PGresult *res);
/* 1 when the failure that gave res (or the connection's state) is worth
 * retrying: connection lost, server shutting down, serialization failure,
 * deadlock, out of resources; 0 when the statement itself is wrong. */
int	pg_transient(const PGresult *res, PGconn *conn);
/* Runs a command without parameters; returns 0, or -1 with err set. */
int	pg_exec(PGconn *conn, const char *sql, char *err, size_t errsz);
/* Copies the first line of PQerrorMessage into err, redacted. */
void	pg_errmsg(PGconn *conn, char *err, size_t errsz);

#endif
