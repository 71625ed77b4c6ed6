/*
 * pg: PostgreSQL connections the way every program wants them.
 *
 * pg_connect takes a conninfo string or URI (NULL or "" = libpq defaults,
 * i.e. the PG* environment and ~/.pgpass), names the application, and sets
 * the session time zone to UTC (Contract B).  It returns the connection, or
 * NULL with the reason in err.  The caller owns the connection (PQfinish).
 */
#ifndef CCX_PG_H
#define CCX_PG_H

#include <stddef.h>
#include <libpq-fe.h>

PGconn	*pg_connect(const char *conninfo, const char *appname, char *err,
	    size_t errsz);
/* The SQLSTATE of res, or "" when there is none (connection lost). */
const char *pg_sqlstate(const PGresult *res);
/* 1 when the failure that gave res (or the connection's state) is worth
 * retrying: connection lost, server shutting down, serialization failure,
 * deadlock, out of resources; 0 when the statement itself is wrong. */
int	pg_transient(const PGresult *res, PGconn *conn);
/* Runs a command without parameters; returns 0, or -1 with err set. */
int	pg_exec(PGconn *conn, const char *sql, char *err, size_t errsz);
/* Copies PQerrorMessage without its trailing newline into err. */
void	pg_errmsg(PGconn *conn, char *err, size_t errsz);

#endif
