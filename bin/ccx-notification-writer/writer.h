/*
 * ccx-notification-writer: the upstream writer's interface (COMPAT.md) over
 * kafka-reader and db-writer.  main.c parses the command line as Go does
 * and picks the operation; ops.c runs the database operations through
 * db-writer; serve.c runs the service mode: /metrics over HTTP and the
 * results pipeline under the supervisor.
 */
#ifndef CCX_WRITER_H
#define CCX_WRITER_H

#include "buf.h"
#include "config.h"
#include "fedb.h"
#include "zlog.h"

/* Upstream's exit statuses (COMPAT 5.1). */
#define WR_OK		0
#define WR_CONFIG	1
#define WR_CONSUMER	2
#define WR_KAFKA		4
#define WR_STORAGE	5
#define WR_MIGRATION	7

/* The operations, in the order upstream picks the first one set. */
enum wop {
	OP_VERSION, OP_AUTHORS, OP_SHOW_CONFIG, OP_CHECK_KAFKA, OP_DB_INIT,
	OP_DB_CLEANUP, OP_DB_DROP, OP_DB_INIT_MIGRATION, OP_PRINT_NEW,
	OP_NEW_CLEANUP, OP_PRINT_OLD, OP_OLD_CLEANUP, OP_PRINT_READ_ERRORS,
	OP_READ_ERRORS_CLEANUP, OP_MIGRATION_INFO, OP_MIGRATE, OP_TRUNCATE,
	OP_SERVICE
};

struct writer {
	struct config	*cfg;
	struct zlog	 log;
	const char	*max_age;	/* -max-age, or NULL */
	const char	*migrate;	/* -migrate, or NULL */
	struct fedb	 db;		/* the filters' conninfo, environment */
};

/* ops.c */
int	op_database(struct writer *, enum wop);
int	op_check_kafka(struct writer *);
/* The filters' environment and conninfo; 0, or WR_CONFIG/WR_STORAGE. */
int	writer_storage(struct writer *);

/* serve.c */
int	op_service(struct writer *);

#endif
