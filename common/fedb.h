/*
 * fedb: the database side that the upstream front ends
 * (ccx-notification-writer, ccx-notification-service) share: the storage
 * settings turned into db-writer's connection string and private
 * environment, db-writer commands run with their log records passed on,
 * and the print and cleanup operations of old rows logged with upstream's
 * phrases (COMPAT.md 6.2, 8).
 *
 * Nothing here decides an exit status: the functions return what
 * db-writer returned, and each front end maps it to its own (the writer 5,
 * the service 8).
 */
#ifndef CCX_FEDB_H
#define CCX_FEDB_H

#include <stddef.h>

#include "buf.h"
#include "fe.h"

struct config;
struct zlog;

struct fedb {
	const struct config *cfg;
	const struct zlog *log;
	const char	*max_age;	/* the -max-age flag, or NULL */
	char *const	*base;		/* the environment given */
	char		**env;		/* db-writer's environment (fedb_storage) */
	struct buf	 conninfo;	/* without the password */
};

/* One print or cleanup operation of an upstream table. */
struct fedb_maint {
	int		 print;		/* print-for-cleanup, else cleanup */
	const char	*table;		/* upstream's table */
	const char	*args[3];	/* db-writer's tables, NULL-terminated */
	const char	*sql;		/* upstream's statement, for the log */
};

/* Upstream's print and cleanup operations (COMPAT 8), in fedb_maints. */
enum fedb_op {
	FEDB_PRINT_NEW, FEDB_NEW_CLEANUP, FEDB_PRINT_OLD, FEDB_OLD_CLEANUP,
	FEDB_PRINT_READ_ERRORS, FEDB_READ_ERRORS_CLEANUP, FEDB_NOPS
};
extern const struct fedb_maint fedb_maints[FEDB_NOPS];

/*
 * The goflag entries (goflag.h) of -max-age and of the print and cleanup
 * flags that both programs have, with upstream's help texts, for a table
 * indexed by the given names.
 */
#define FEDB_FLAGS(max_age, new_cleanup, old_cleanup, print_new, print_old) \
	[max_age] = { "max-age", GOFLAG_STRING,				\
	    "max age for displaying/cleaning old records", 0, 0, 0 },	\
	[new_cleanup] = { "new-reports-cleanup", GOFLAG_BOOL,		\
	    "perform new reports clean up", 0, 0, 0 },			\
	[old_cleanup] = { "old-reports-cleanup", GOFLAG_BOOL,		\
	    "perform old reports clean up", 0, 0, 0 },			\
	[print_new] = { "print-new-reports-for-cleanup", GOFLAG_BOOL,	\
	    "print new reports to be cleaned up", 0, 0, 0 },		\
	[print_old] = { "print-old-reports-for-cleanup", GOFLAG_BOOL,	\
	    "print old reports to be cleaned up", 0, 0, 0 }

/* cfg, log and base (an environ) must outlive db; max_age may be NULL. */
void	fedb_init(struct fedb *db, const struct config *cfg,
	    const struct zlog *log, const char *max_age, char *const *base);
/* Releases the environment (wiped: it holds the password) and conninfo. */
void	fedb_free(struct fedb *db);

/*
 * The conninfo of section storage (config_conninfo) and an environment,
 * db->base without PGPASSWORD and CCX_DB, plus PGPASSWORD when there is a
 * password: it never reaches a command line.  Returns 0, or -1 with a
 * message in err.
 */
int	fedb_storage(struct fedb *db, char *err, size_t errsize);

/*
 * Runs "db-writer --log-format json [-d conninfo] [--max-age AGE] args..."
 * (the max age with cleanup and print-for-cleanup, or when the flag was
 * given) in db->env (db->base when fedb_storage was not called); out gets each
 * line of its stdout (NULL: dropped), its records are passed on with the
 * field stage "db-writer".  Returns its exit status, or -1 with a message
 * in err when it could not be started.
 */
int	fedb_run(struct fedb *db, const char *const *args,
	    fe_line_fn *out, void *arg, char *err, size_t errsize);

/* An fe_line_fn appending each line and a newline to the struct buf arg. */
void	fedb_text(void *arg, const char *line, size_t len);

/*
 * Print or cleanup (m): logs "PrintReportsForCleanup operation", or
 * cleanup_msg, with the max age and upstream's statement; a print logs
 * each row as "Old report from `TABLE` table", a cleanup "Cleanup `TABLE`
 * finished" with the rows deleted from the upstream table.  Returns 0, or
 * db-writer's non-zero status (-1: not started), having logged nothing
 * about the failure: that message is the caller's.
 */
int	fedb_maintain(struct fedb *db, const struct fedb_maint *m,
	    const char *cleanup_msg);

#endif
